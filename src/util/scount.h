/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scount.h - a sparse array of 32-bit counters indexed by a 64-bit position.
 *
 * A pages object counts the holders of each of its pages; an area may span 2^50 pages
 * while only a few are ever pinned, so the counters are a radix tree of 512-way nodes whose
 * leaves (512 counters) exist only where a counter was ever made writable. Memory is then
 * proportional to the pinned ranges, not to the area.
 *
 * Concurrency: one writer at a time (the owner's lock); readers may run beside it with no
 * lock: nodes are published with release stores and never freed before scount_free, and
 * each counter is read and written atomically (relaxed: they are counts, not flags).
 */
#ifndef IOASID_UTIL_SCOUNT_H
#define IOASID_UTIL_SCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#define SCOUNT_LEAF_SHIFT 9
#define SCOUNT_LEAF	  (1u << SCOUNT_LEAF_SHIFT) /* counters per leaf */

struct scount {
	void *root;	     /* NULL: every counter is 0 */
	unsigned int height; /* 0: root is a leaf */
};

/* An empty array for positions 0 .. size - 1 (size 0 is taken as 1). */
void scount_init(struct scount *s, uint64_t size);
/* Frees every node; the array is empty afterwards. */
void scount_free(struct scount *s);

/*
 * The leaf holding position i and the number of positions from i to that leaf's end
 * (*avail). With alloc, missing nodes are made (NULL if memory runs out); without, NULL
 * means every counter of that leaf is 0.
 */
uint32_t *scount_leaf(struct scount *s, uint64_t i, bool alloc, unsigned int *avail);
/* Make every leaf of [first, last] exist: 0, or -ENOMEM (what was made stays, all zero). */
int scount_reserve(struct scount *s, uint64_t first, uint64_t last);

/* The counter at i (0 where no leaf exists); safe beside the writer. */
uint32_t scount_get(const struct scount *s, uint64_t i);

/* How many counters of [first, last] are not 0; skips what was never reserved. */
uint64_t scount_count_nonzero(const struct scount *s, uint64_t first, uint64_t last);

#endif
