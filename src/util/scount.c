/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scount.c - the sparse counter array of scount.h.
 *
 * A node at height h covers 512^(h+1) positions; height 0 is a leaf of 512 uint32_t, above
 * it nodes of 512 pointers. The height is fixed at init from the size, so a lookup is a
 * fixed number of steps (at most 6 for 2^52 positions) and never rebalances. A slot is
 * filled by the writer with a release store after the new node is zeroed, so a reader that
 * sees the pointer sees an empty node, never garbage.
 */
#include <errno.h>
#include <stdlib.h>

#include "util/scount.h"

#define FAN_SHIFT SCOUNT_LEAF_SHIFT
#define FAN	  SCOUNT_LEAF

void scount_init(struct scount *s, uint64_t size)
{
	unsigned int h = 0;

	/* the smallest height whose root covers size positions */
	while (h * FAN_SHIFT + FAN_SHIFT < 64 && size > (1ULL << (h * FAN_SHIFT + FAN_SHIFT)))
		h++;
	s->root = NULL;
	s->height = h;
}

static void free_node(void *n, unsigned int h)
{
	if (!n)
		return;
	if (h) {
		void **slots = n;

		for (unsigned int i = 0; i < FAN; i++)
			free_node(slots[i], h - 1);
	}
	free(n);
}

void scount_free(struct scount *s)
{
	free_node(s->root, s->height);
	s->root = NULL;
}

static unsigned int slot_of(uint64_t i, unsigned int h)
{
	unsigned int shift = h * FAN_SHIFT;

	return shift < 64 ? (unsigned int)(i >> shift) & (FAN - 1) : 0;
}

uint32_t *scount_leaf(struct scount *s, uint64_t i, bool alloc, unsigned int *avail)
{
	void **slot = &s->root;

	*avail = FAN - (unsigned int)(i & (FAN - 1));
	for (unsigned int h = s->height;; h--) {
		void *n = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (!n) {
			if (!alloc)
				return NULL;
			n = calloc(FAN, h ? sizeof(void *) : sizeof(uint32_t));
			if (!n)
				return NULL;
			__atomic_store_n(slot, n, __ATOMIC_RELEASE);
		}
		if (!h)
			return (uint32_t *)n + (i & (FAN - 1));
		slot = (void **)n + slot_of(i, h);
	}
}

int scount_reserve(struct scount *s, uint64_t first, uint64_t last)
{
	uint64_t i = first;
	unsigned int avail;

	while (i <= last) {
		if (!scount_leaf(s, i, true, &avail))
			return -ENOMEM;
		if (last - i < avail)
			break;
		i += avail;
	}
	return 0;
}

uint32_t scount_get(const struct scount *s, uint64_t i)
{
	void *n = __atomic_load_n(&s->root, __ATOMIC_ACQUIRE);

	for (unsigned int h = s->height; n; h--) {
		if (!h)
			return __atomic_load_n((uint32_t *)n + (i & (FAN - 1)), __ATOMIC_RELAXED);
		n = __atomic_load_n((void **)n + slot_of(i, h), __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* Nonzero counters of node n (height h, first position base) inside [first, last]. */
static uint64_t count_node(void *n, unsigned int h, uint64_t base, uint64_t first, uint64_t last)
{
	unsigned int shift = h * FAN_SHIFT;
	uint64_t span = 1ULL << shift, total = 0;

	for (unsigned int k = 0; k < FAN; k++) {
		uint64_t lo = base + k * span, hi = lo + span - 1;
		void *c;

		if (hi < first)
			continue;
		if (lo > last)
			break;
		if (!h) {
			total += __atomic_load_n((uint32_t *)n + k, __ATOMIC_RELAXED) != 0;
			continue;
		}
		c = __atomic_load_n((void **)n + k, __ATOMIC_ACQUIRE);
		if (c)
			total += count_node(c, h - 1, lo, first, last);
	}
	return total;
}

uint64_t scount_count_nonzero(const struct scount *s, uint64_t first, uint64_t last)
{
	void *root = __atomic_load_n(&s->root, __ATOMIC_ACQUIRE);

	return root && first <= last ? count_node(root, s->height, 0, first, last) : 0;
}
