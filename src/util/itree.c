/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * itree.c - AVL interval tree (see itree.h for the words and the contract).
 *
 * Every node caches two facts about its subtree: its height (in `balance`) and the greatest
 * `last` inside it (subtree_last).  Both are recomputed bottom-up by node_update() whenever a
 * node's children change.  Insert and remove change the shape along one root path only, so
 * they walk that path back to the root, rotating where the heights differ by two and
 * refreshing the two cached facts on the way: O(log n) each, with no early stop to get wrong.
 *
 * Overlap search rests on one argument.  Standing on a subtree whose subtree_last >= q.start,
 * either it holds an overlapping node or no node after it in order can overlap: some node y
 * in it has y.last >= q.start, so if y does not overlap then y.start > q.last, and every
 * node from y on starts even later.  So the search goes left whenever the left subtree can
 * reach q.start, and never needs to back up out of a subtree it entered.
 *
 * Traps: a range may end at UINT64_MAX, so comparisons are always against `last`, never
 * against `last + 1`.
 */
#include "util/itree.h"

static inline int node_height(const struct itree_node *n)
{
	return n ? n->balance : 0;
}

/* Recompute n's height and subtree_last from its children. */
static void node_update(struct itree_node *n)
{
	int hl = node_height(n->left);
	int hr = node_height(n->right);
	uint64_t max = n->last;

	if (n->left && n->left->subtree_last > max)
		max = n->left->subtree_last;
	if (n->right && n->right->subtree_last > max)
		max = n->right->subtree_last;
	n->subtree_last = max;
	n->balance = 1 + (hl > hr ? hl : hr);
}

/* Make `to` take `from`'s place under parent (or as the root). */
static void replace_child(struct itree *t, struct itree_node *parent, struct itree_node *from,
			  struct itree_node *to)
{
	if (!parent)
		t->root = to;
	else if (parent->left == from)
		parent->left = to;
	else
		parent->right = to;
	if (to)
		to->parent = parent;
}

/*
 *     x                y
 *    / \              / \
 *   a   y     ->     x   c
 *      / \          / \
 *     b   c        a   b
 */
static struct itree_node *rotate_left(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->right;
	struct itree_node *b = y->left;

	replace_child(t, x->parent, x, y);
	x->right = b;
	if (b)
		b->parent = x;
	y->left = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/* Mirror image of rotate_left. */
static struct itree_node *rotate_right(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->left;
	struct itree_node *b = y->right;

	replace_child(t, x->parent, x, y);
	x->left = b;
	if (b)
		b->parent = x;
	y->right = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/*
 * Restore the AVL property at n, whose children are already balanced and up to date.
 * Returns the node now at n's position.
 */
static struct itree_node *rebalance(struct itree *t, struct itree_node *n)
{
	int diff = node_height(n->left) - node_height(n->right);

	if (diff > 1) {
		struct itree_node *l = n->left;

		if (node_height(l->right) > node_height(l->left))
			rotate_left(t, l);
		return rotate_right(t, n);
	}
	if (diff < -1) {
		struct itree_node *r = n->right;

		if (node_height(r->left) > node_height(r->right))
			rotate_right(t, r);
		return rotate_left(t, n);
	}
	node_update(n);
	return n;
}

/* Walk from n up to the root, rebalancing and refreshing every node on the way. */
static void fix_path(struct itree *t, struct itree_node *n)
{
	while (n) {
		n = rebalance(t, n);
		n = n->parent;
	}
}

void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
}

void itree_insert(struct itree *t, struct itree_node *n)
{
	struct itree_node *parent = NULL;
	struct itree_node **link = &t->root;

	/* Equal starts go right, so they stay in insertion order. */
	while (*link) {
		parent = *link;
		if (n->start < parent->start)
			link = &parent->left;
		else
			link = &parent->right;
	}
	n->left = NULL;
	n->right = NULL;
	n->parent = parent;
	n->balance = 1;
	n->subtree_last = n->last;
	*link = n;
	t->count++;
	fix_path(t, parent);
}

static struct itree_node *leftmost(struct itree_node *n)
{
	while (n->left)
		n = n->left;
	return n;
}

static struct itree_node *rightmost(struct itree_node *n)
{
	while (n->right)
		n = n->right;
	return n;
}

void itree_remove(struct itree *t, struct itree_node *n)
{
	struct itree_node *fix_from;

	if (!n->left || !n->right) {
		/* At most one child: splice it into n's place. */
		fix_from = n->parent;
		replace_child(t, n->parent, n, n->left ? n->left : n->right);
	} else {
		/*
		 * Two children: n's in-order successor s has no left child.  Unhook s and
		 * move it, links and all, into n's place, which keeps the order intact.
		 */
		struct itree_node *s = leftmost(n->right);

		if (s == n->right) {
			fix_from = s;
		} else {
			fix_from = s->parent;
			fix_from->left = s->right;
			if (s->right)
				s->right->parent = fix_from;
			s->right = n->right;
			n->right->parent = s;
		}
		s->left = n->left;
		n->left->parent = s;
		replace_child(t, n->parent, n, s);
	}
	fix_path(t, fix_from);
	t->count--;
	n->left = NULL;
	n->right = NULL;
	n->parent = NULL;
}

/*
 * First node in order, within the subtree at n, that overlaps [start, last].
 * Requires n->subtree_last >= start.
 */
static struct itree_node *subtree_search(struct itree_node *n, uint64_t start, uint64_t last)
{
	for (;;) {
		if (n->left && n->left->subtree_last >= start) {
			n = n->left;
			continue;
		}
		/* Nothing on the left reaches start; n is the next candidate. */
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		n = n->right;
		if (!n || n->subtree_last < start)
			return NULL;
	}
}

struct itree_node *itree_iter_first(const struct itree *t, uint64_t start, uint64_t last)
{
	struct itree_node *root = t->root;

	if (!root || root->subtree_last < start)
		return NULL;
	return subtree_search(root, start, last);
}

struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start, uint64_t last)
{
	const struct itree_node *cur = n;
	struct itree_node *right = n->right;

	for (;;) {
		/* Everything after cur in its own subtree lives on its right. */
		if (right && right->subtree_last >= start)
			return subtree_search(right, start, last);

		/* Climb until we arrive from a left child: that parent is next in order. */
		for (;;) {
			const struct itree_node *child = cur;

			cur = cur->parent;
			if (!cur)
				return NULL;
			if (cur->left == child)
				break;
		}
		if (cur->start > last)
			return NULL;
		if (cur->last >= start)
			return (struct itree_node *)cur;
		right = cur->right;
	}
}

struct itree_node *itree_first(const struct itree *t)
{
	return t->root ? leftmost(t->root) : NULL;
}

struct itree_node *itree_last_node(const struct itree *t)
{
	return t->root ? rightmost(t->root) : NULL;
}

struct itree_node *itree_next(const struct itree_node *n)
{
	const struct itree_node *child;

	if (n->right)
		return leftmost(n->right);
	do {
		child = n;
		n = n->parent;
	} while (n && n->right == child);
	return (struct itree_node *)n;
}

struct itree_node *itree_prev(const struct itree_node *n)
{
	const struct itree_node *child;

	if (n->left)
		return rightmost(n->left);
	do {
		child = n;
		n = n->parent;
	} while (n && n->left == child);
	return (struct itree_node *)n;
}

struct itree_node *itree_find_le(const struct itree *t, uint64_t key)
{
	struct itree_node *n = t->root;
	struct itree_node *best = NULL;

	while (n) {
		if (n->start <= key) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/*
 * Check the subtree at n, whose parent must be `parent` and whose starts must lie in
 * [lo, hi].  Adds its node count to *count; returns its height, or -1 on any violation.
 */
static int check_subtree(const struct itree_node *n, const struct itree_node *parent, uint64_t lo,
			 uint64_t hi, size_t *count)
{
	int hl, hr;
	uint64_t max;

	if (!n)
		return 0;
	if (n->parent != parent || n->start < lo || n->start > hi || n->start > n->last)
		return -1;
	hl = check_subtree(n->left, n, lo, n->start, count);
	hr = check_subtree(n->right, n, n->start, hi, count);
	if (hl < 0 || hr < 0 || hl - hr > 1 || hr - hl > 1)
		return -1;
	if (n->balance != 1 + (hl > hr ? hl : hr))
		return -1;
	max = n->last;
	if (n->left && n->left->subtree_last > max)
		max = n->left->subtree_last;
	if (n->right && n->right->subtree_last > max)
		max = n->right->subtree_last;
	if (n->subtree_last != max)
		return -1;
	(*count)++;
	return n->balance;
}

bool itree_check(const struct itree *t)
{
	size_t count = 0;

	if (check_subtree(t->root, NULL, 0, UINT64_MAX, &count) < 0)
		return false;
	return count == t->count;
}
