/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_shadow.h - the shadow model the page-table tests and the fuzzer check against.
 *
 * It owns a sorted array of leaves {iova, last, pa, prot, dirty}: what should be mapped,
 * one record per leaf the walker creates (a batched map of N pages is N records). It
 * predicts what the walker must answer: the translation of any IOVA, what an unmap
 * removes (whole leaves starting inside the range, stopping at the first hole or at a
 * leaf that began earlier), what a dirty read reports, and how many table pages must
 * exist (every table below the root that has at least one entry).
 *
 * Words: `last` inclusive, as everywhere; "key" of a table = (level, iova >> (shift+bits))
 * of any IOVA it covers. Table keys are counted in a small open-addressing hash.
 *
 * Traps: nothing here may compute iova + size: ranges reach UINT64_MAX. Header-only so
 * the fuzzer (fuzz/pt_fuzz.c) and tests/pt/test_pt.c share it without a library.
 */
#ifndef IOASID_TESTS_PT_SHADOW_H
#define IOASID_TESTS_PT_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt/pt.h"

struct sh_leaf {
	uint64_t iova, last, pa;
	int prot;
	bool dirty;
	unsigned int level;
};

struct sh_keys {
	uint64_t *key; /* key + 1; 0 marks an empty slot */
	uint32_t *count;
	size_t cap, used;
};

struct shadow {
	struct sh_leaf *v;
	size_t n, cap;
	struct sh_keys keys;
	/* geometry of the domain being shadowed */
	unsigned int levels;
	struct pt_level_info li[PT_MAX_LEVELS];
};

static inline void sh_die(const char *what)
{
	fprintf(stderr, "shadow: %s\n", what);
	abort();
}

static inline uint64_t sh_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return k;
}

static inline void sh_keys_grow(struct sh_keys *h);

/* Add delta (+1/-1) to key's count; a count reaching 0 removes the key. */
static inline void sh_keys_add(struct sh_keys *h, uint64_t key, int delta)
{
	size_t i, j, mask;

	if (delta > 0 && (h->used + 1) * 2 > h->cap)
		sh_keys_grow(h);
	if (!h->cap)
		sh_die("key removed from empty set");
	mask = h->cap - 1;
	key += 1;
	for (i = sh_hash(key) & mask; h->key[i]; i = (i + 1) & mask) {
		if (h->key[i] != key)
			continue;
		if (delta > 0) {
			h->count[i]++;
			return;
		}
		if (--h->count[i])
			return;
		/* Remove by shifting the following cluster back (no tombstones). */
		h->key[i] = 0;
		h->used--;
		for (j = (i + 1) & mask; h->key[j]; j = (j + 1) & mask) {
			size_t home = sh_hash(h->key[j]) & mask;

			if ((j > i && (home <= i || home > j)) ||
			    (j < i && home <= i && home > j)) {
				h->key[i] = h->key[j];
				h->count[i] = h->count[j];
				h->key[j] = 0;
				i = j;
			}
		}
		return;
	}
	if (delta < 0)
		sh_die("removing a key that is not there");
	h->key[i] = key;
	h->count[i] = 1;
	h->used++;
}

static inline void sh_keys_grow(struct sh_keys *h)
{
	struct sh_keys old = *h;
	size_t i;

	h->cap = old.cap ? old.cap * 2 : 256;
	h->key = calloc(h->cap, sizeof(*h->key));
	h->count = calloc(h->cap, sizeof(*h->count));
	h->used = 0;
	if (!h->key || !h->count)
		sh_die("out of memory");
	for (i = 0; i < old.cap; i++) {
		size_t j, mask = h->cap - 1;

		if (!old.key[i])
			continue;
		for (j = sh_hash(old.key[i]) & mask; h->key[j]; j = (j + 1) & mask)
			;
		h->key[j] = old.key[i];
		h->count[j] = old.count[i];
		h->used++;
	}
	free(old.key);
	free(old.count);
}

static inline void sh_init(struct shadow *s, const struct iommu_domain *d)
{
	unsigned int l;

	memset(s, 0, sizeof(*s));
	s->levels = pt_domain_levels(d);
	for (l = 0; l < s->levels; l++)
		pt_domain_level_info(d, l, &s->li[l]);
}

static inline void sh_destroy(struct shadow *s)
{
	free(s->v);
	free(s->keys.key);
	free(s->keys.count);
	memset(s, 0, sizeof(*s));
}

/* Tables holding a leaf at `level`: one per level from `level` up to below the top. */
static inline void sh_account(struct shadow *s, const struct sh_leaf *lf, int delta)
{
	unsigned int l;

	for (l = lf->level; l + 1 < s->levels; l++) {
		unsigned int sh = s->li[l].shift + s->li[l].bits;
		uint64_t key = ((uint64_t)l << 60) | (sh >= 64 ? 0 : lf->iova >> sh);

		sh_keys_add(&s->keys, key, delta);
	}
}

/* Expected table pages, root included. */
static inline size_t sh_tables(const struct shadow *s)
{
	return 1 + s->keys.used;
}

/* Index of the first leaf with last >= iova (s->n if none). */
static inline size_t sh_lower(const struct shadow *s, uint64_t iova)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline struct sh_leaf *sh_find(struct shadow *s, uint64_t iova)
{
	size_t i = sh_lower(s, iova);

	return (i < s->n && s->v[i].iova <= iova) ? &s->v[i] : NULL;
}

/* The first leaf overlapping [iova, last], or NULL. */
static inline struct sh_leaf *sh_first_overlap(struct shadow *s, uint64_t iova, uint64_t last)
{
	size_t i = sh_lower(s, iova);

	return (i < s->n && s->v[i].iova <= last) ? &s->v[i] : NULL;
}

static inline unsigned int sh_level_of(const struct shadow *s, uint64_t size)
{
	unsigned int l;

	for (l = 0; l < s->levels; l++)
		if (s->li[l].leaf_sizes & size)
			return l;
	sh_die("no level for size");
	return 0;
}

static inline void sh_insert(struct shadow *s, uint64_t iova, uint64_t size, uint64_t pa, int prot)
{
	struct sh_leaf lf = { .iova = iova, .last = iova + (size - 1), .pa = pa, .prot = prot };
	size_t i = sh_lower(s, iova), j;

	if (i < s->n && s->v[i].iova <= lf.last)
		sh_die("insert overlaps");
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			sh_die("out of memory");
	}
	lf.level = sh_level_of(s, size);
	/*
	 * A loop, not memmove: ASan's memmove copies byte by byte (measured, test_pt
	 * riscv-sv48 under ASan: 8.2 -> 3.7 s).
	 */
	for (j = s->n; j > i; j--)
		s->v[j] = s->v[j - 1];
	s->v[i] = lf;
	s->n++;
	sh_account(s, &lf, +1);
}

static inline void sh_remove_at(struct shadow *s, size_t i)
{
	size_t j;

	sh_account(s, &s->v[i], -1);
	for (j = i; j + 1 < s->n; j++)
		s->v[j] = s->v[j + 1];
	s->n--;
}

/* What unmap of [iova, last] removes: returns bytes, updates the model. */
static inline uint64_t sh_unmap(struct shadow *s, uint64_t iova, uint64_t last)
{
	size_t i = sh_lower(s, iova);
	uint64_t cur = iova, done = 0;

	for (;;) {
		struct sh_leaf lf;

		if (i >= s->n || s->v[i].iova != cur)
			return done; /* hole, or a leaf that began before cur */
		lf = s->v[i];
		sh_remove_at(s, i);
		done += lf.last - lf.iova + 1;
		if (lf.last >= last)
			return done;
		cur = lf.last + 1;
	}
}

#endif
