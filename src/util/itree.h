/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * itree.h - intrusive interval tree over closed u64 ranges.
 *
 * Owns only the links inside struct itree_node; the caller embeds the node in its own
 * object, allocates and frees it, and gets back to the object with itree_entry().
 *
 * Words:
 *   range         [start, last], both inclusive.  last may be UINT64_MAX; a range can cover
 *                 the whole u64 space, so there is no `end` anywhere in this API.
 *   overlap       node and query share at least one value: node.start <= q.last and
 *                 node.last >= q.start.
 *   order         nodes are kept sorted by start; equal starts keep insertion order.
 *
 * The tree is an AVL tree (balance holds the height of the node's subtree) augmented with
 * subtree_last, the greatest `last` in the subtree, which lets overlap searches skip whole
 * subtrees: a query costs O(log n + k) for k results.
 *
 * Traps:
 *   - start and last must not change while the node is inserted.
 *   - Query ranges need start <= last.
 *   - Nothing here locks.  The caller serialises every call on one tree, readers included,
 *     and must not remove the node an iteration is standing on before stepping past it.
 */
#ifndef IOASID_UTIL_ITREE_H
#define IOASID_UTIL_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itree_node {
	struct itree_node *left, *right, *parent;
	uint64_t start, last;  /* set by the caller before insert; fixed while inserted */
	uint64_t subtree_last; /* private: max last in this subtree */
	int balance;	       /* private: height of this subtree (leaf = 1) */
};

struct itree {
	struct itree_node *root;
	size_t count;
};

void itree_init(struct itree *t);

/* Insert n; n->start <= n->last.  Duplicate and overlapping ranges are allowed. */
void itree_insert(struct itree *t, struct itree_node *n);

/* Remove n, which must be in t. */
void itree_remove(struct itree *t, struct itree_node *n);

/* The node with the lowest start among nodes overlapping [start, last], or NULL. */
struct itree_node *itree_iter_first(const struct itree *t, uint64_t start, uint64_t last);

/* The next node (in start order) after n that overlaps [start, last], or NULL. */
struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start, uint64_t last);

/* In-order walk over every node. */
struct itree_node *itree_first(const struct itree *t);
struct itree_node *itree_next(const struct itree_node *n);
struct itree_node *itree_prev(const struct itree_node *n);
struct itree_node *itree_last_node(const struct itree *t);

/*
 * Among nodes with start <= key, the one with the greatest start (NULL if none).  When
 * several share that start, the last of them in order.
 */
struct itree_node *itree_find_le(const struct itree *t, uint64_t key);

/*
 * Verify every structural invariant: parent links, start order, AVL heights and balance,
 * subtree_last and count.  O(n); for tests and debug builds.
 */
bool itree_check(const struct itree *t);

static inline bool itree_empty(const struct itree *t)
{
	return !t->root;
}

#define itree_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* for (n = each node overlapping [s, l]) */
#define itree_for_each_overlap(n, t, s, l) \
	for ((n) = itree_iter_first((t), (s), (l)); (n); (n) = itree_iter_next((n), (s), (l)))

#endif /* IOASID_UTIL_ITREE_H */
