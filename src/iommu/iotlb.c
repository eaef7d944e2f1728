/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iotlb.c - the IOTLB: a bounded cache of finished translations in front of every walk.
 *
 * What it owns: one table of IOTLB_ENTRIES entries for the process (one IOMMU's TLB), hashed
 * by (tag, PASID, size, block base) with one entry per hash slot (direct mapped: a new fill
 * evicts whatever held the slot). An entry caches one whole leaf block: base = IOVA rounded
 * down to the block, so a 2M or 1G leaf hits for any IOVA inside it. A lookup probes each
 * block size the translation has ever filled (x->sizes_seen), smallest first.
 *
 * Words: tag = iommu_xlate.tag (a domain's tag for a paging translation, a nested
 * translation's own); s2 tag = the paging domain's tag; "gen" = the invalidation generation.
 *
 * Concurrency, lock-free: each entry is a seqlock (even seq = stable, odd = being written;
 * writers take it by compare-and-swap and give up if it is taken). A reader copies the fields
 * with atomic loads and rechecks seq. A fill that raced an invalidation (the walk saw the old
 * tables, the invalidation scanned before the fill landed) would leave a stale entry: so an
 * invalidation first bumps gen, then scans; a fill reads gen before its walk and, after
 * storing, drops its own entry again if gen moved. Either the scan sees the entry or the
 * filler sees the new gen.
 *
 * Writes: an entry remembers whether the walk that filled it was a write. A write hits only
 * such an entry and only when the translation's paging domain is not tracking dirty pages:
 * with tracking on, every write walks, so a dirty bit cleared by read-and-clear is set
 * again by the next write (the core does not flush after read-and-clear).
 *
 * Measured (make bench, bench/iommu_bench): see docs/translation.md for the hit / miss
 * figures against one L1 load and a DRAM load chain.
 */
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"

#define IOTLB_ENTRIES_LG2 12
#define IOTLB_ENTRIES	  (1u << IOTLB_ENTRIES_LG2)

struct iotlb_entry {
	uint32_t seq;
	uint32_t tag; /* 0: empty */
	uint32_t s2_tag;
	uint32_t pasid;
	uint32_t meta; /* size lg2 | prot << 8 | IOTLB_META_WRITE */
	uint64_t base;
	uint64_t oa; /* output address of base */
};

static struct iotlb_entry iotlb[IOTLB_ENTRIES];
uint64_t iotlb_generation;

struct iotlb_stats_raw iotlb_stats_raw;
#define stats iotlb_stats_raw

#define COUNT(f) IOTLB_COUNT(f)

static inline uint32_t iotlb_hash(uint32_t tag, uint32_t pasid, uint64_t base, unsigned int lg2)
{
	uint64_t h = (base >> lg2) * UINT64_C(0x9e3779b97f4a7c15);

	h ^= ((uint64_t)tag << 32 | pasid) * UINT64_C(0xc2b2ae3d27d4eb4f);
	h ^= lg2;
	h ^= h >> 29;
	return (uint32_t)(h >> (64 - IOTLB_ENTRIES_LG2));
}

struct iotlb_copy {
	uint32_t tag, s2_tag, pasid, meta;
	uint64_t base, oa;
};

/* A stable copy of entry e, or false if a writer held it. */
static bool iotlb_read(struct iotlb_entry *e, struct iotlb_copy *c)
{
	uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	if (s & 1)
		return false;
	c->tag = LOAD(&e->tag);
	c->s2_tag = LOAD(&e->s2_tag);
	c->pasid = LOAD(&e->pasid);
	c->meta = LOAD(&e->meta);
	c->base = LOAD(&e->base);
	c->oa = LOAD(&e->oa);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return LOAD(&e->seq) == s;
}

static bool iotlb_write_begin(struct iotlb_entry *e, uint32_t *seq)
{
	uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	if (!__atomic_compare_exchange_n(&e->seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*seq = s + 2;
	return true;
}

static void iotlb_write_end(struct iotlb_entry *e, uint32_t seq)
{
	__atomic_store_n(&e->seq, seq, __ATOMIC_RELEASE);
}

__thread struct iotlb_l0 iotlb_l0 __attribute__((tls_model("initial-exec")));

bool iotlb_lookup(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		  struct iommu_xlate_result *out)
{
	uint64_t sizes = __atomic_load_n(&x->sizes_seen, __ATOMIC_RELAXED), gen;
	bool write = access & IOMMU_ACCESS_WRITE;

	if (write && x->s2->dirty_tracking)
		sizes = 0;
	gen = __atomic_load_n(&iotlb_generation, __ATOMIC_SEQ_CST);
	while (sizes) {
		unsigned int lg2 = (unsigned int)__builtin_ctzll(sizes);
		uint64_t mask = lg2 >= 64 ? UINT64_MAX : (UINT64_C(1) << lg2) - 1;
		uint64_t base = iova & ~mask;
		struct iotlb_entry *e = &iotlb[iotlb_hash(x->tag, pasid, base, lg2)];
		struct iotlb_copy c;

		sizes &= sizes - 1;
		if (!iotlb_read(e, &c) || c.tag != x->tag || c.pasid != pasid || c.base != base ||
		    (c.meta & 0xff) != lg2)
			continue;
		if (write && !(c.meta & IOTLB_META_WRITE))
			break;
		out->oa = c.oa | (iova & mask);
		out->size_lg2 = lg2;
		out->prot = (int)((c.meta >> 8) & 0x7f);
		iotlb_l0_fill(x, pasid, base, c.oa, c.meta, gen);
		COUNT(hits);
		return true;
	}
	COUNT(misses);
	return false;
}

uint64_t iotlb_gen(void)
{
	return __atomic_load_n(&iotlb_generation, __ATOMIC_SEQ_CST);
}

void iotlb_fill(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		const struct iommu_xlate_result *r, uint64_t gen)
{
	unsigned int lg2 = r->size_lg2;
	uint64_t mask = lg2 >= 64 ? UINT64_MAX : (UINT64_C(1) << lg2) - 1;
	uint64_t base = iova & ~mask;
	struct iotlb_entry *e = &iotlb[iotlb_hash(x->tag, pasid, base, lg2)];
	uint32_t meta = lg2 | (uint32_t)(r->prot & 0x7f) << 8, seq;

	if (access & IOMMU_ACCESS_WRITE)
		meta |= IOTLB_META_WRITE;
	if (lg2 >= 64 || !iotlb_write_begin(e, &seq))
		return;
	STORE(&e->tag, x->tag);
	STORE(&e->s2_tag, x->s2_tag);
	STORE(&e->pasid, pasid);
	STORE(&e->meta, meta);
	STORE(&e->base, base);
	STORE(&e->oa, r->oa & ~mask);
	iotlb_write_end(e, seq);
	iotlb_l0_fill(x, pasid, base, r->oa & ~mask, meta, gen);
	if (!(__atomic_load_n(&x->sizes_seen, __ATOMIC_RELAXED) & (UINT64_C(1) << lg2)))
		__atomic_fetch_or(&x->sizes_seen, UINT64_C(1) << lg2, __ATOMIC_RELAXED);
	COUNT(fills);
	/* An invalidation since the walk began: it may have scanned before we stored. */
	if (__atomic_load_n(&iotlb_generation, __ATOMIC_SEQ_CST) != gen &&
	    iotlb_write_begin(e, &seq)) {
		if (LOAD(&e->tag) == x->tag && LOAD(&e->base) == base)
			STORE(&e->tag, 0);
		iotlb_write_end(e, seq);
	}
}

/* Drop every entry match() accepts. */
static void iotlb_scan(bool (*match)(const struct iotlb_copy *c, const void *arg), const void *arg)
{
	__atomic_add_fetch(&iotlb_generation, 1, __ATOMIC_SEQ_CST);
	COUNT(invalidations);
	for (unsigned int i = 0; i < IOTLB_ENTRIES; i++) {
		struct iotlb_entry *e = &iotlb[i];
		struct iotlb_copy c;
		uint32_t seq;

		if (!LOAD(&e->tag))
			continue;
		/* A writer holds it: spin, the write is a handful of stores. */
		while (!iotlb_write_begin(e, &seq))
			;
		c.tag = LOAD(&e->tag);
		c.s2_tag = LOAD(&e->s2_tag);
		c.pasid = LOAD(&e->pasid);
		c.meta = LOAD(&e->meta);
		c.base = LOAD(&e->base);
		c.oa = 0;
		if (c.tag && match(&c, arg)) {
			STORE(&e->tag, 0);
			COUNT(dropped);
		}
		iotlb_write_end(e, seq);
	}
}

struct iotlb_range {
	uint32_t tag, pasid;
	uint64_t start, last;
	bool s2; /* also entries whose s2 tag is tag, whatever their range */
};

static bool iotlb_match_range(const struct iotlb_copy *c, const void *arg)
{
	const struct iotlb_range *r = arg;
	unsigned int lg2 = c->meta & 0xff;
	uint64_t last = c->base + (lg2 >= 64 ? UINT64_MAX : (UINT64_C(1) << lg2) - 1);

	if (r->s2 && c->s2_tag == r->tag && c->tag != r->tag)
		return true; /* a nested entry over the unmapped parent */
	if (c->tag != r->tag || (r->pasid != UINT32_MAX && c->pasid != r->pasid))
		return false;
	return c->base <= r->last && last >= r->start;
}

void iotlb_invalidate_tag(uint32_t tag, uint32_t pasid, uint64_t start, uint64_t last)
{
	struct iotlb_range r = { .tag = tag, .pasid = pasid, .start = start, .last = last };

	iotlb_scan(iotlb_match_range, &r);
}

void iommu_iotlb_flush_domain(uint32_t tag, uint64_t start, uint64_t last)
{
	struct iotlb_range r = {
		.tag = tag, .pasid = UINT32_MAX, .start = start, .last = last, .s2 = true
	};

	iotlb_scan(iotlb_match_range, &r);
}

void iommu_iotlb_stats(struct iommu_iotlb_stats *out)
{
	out->hits = LOAD(&stats.hits);
	out->misses = LOAD(&stats.misses);
	out->fills = LOAD(&stats.fills);
	out->invalidations = LOAD(&stats.invalidations);
	out->entries_dropped = LOAD(&stats.dropped);
}
