/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_walk.h - the one page-table walker, compiled once per format.
 *
 * A format's .c file defines the accessors below as static inline functions, then includes
 * this header, which writes map, unmap, iotlb_sync, lookup, dirty read-and-clear, the
 * simulated hardware write, the path walk, the entry codec and free in terms of them.
 * The compiler inlines the accessors into each loop, so a format costs no indirect call
 * per entry. The format then names the generated functions in its pt_format_desc.
 *
 * Accessors a format defines (e = an entry in CPU order, lvl = level, 0 is the leaf level):
 *   PTF_BIG_ENDIAN                        0 or 1: byte order of entries in memory
 *   PTF_CONTIG_REPLICATED                 optional, 1: every entry of a multi-entry leaf
 *                                         is the same (RISC-V NAPOT, AMD v1 page sizes);
 *                                         ptf_leaf_oa returns the leaf's start, decode
 *                                         reports contig_index 0, the path walk the slot's
 *                                         place in the leaf
 *   ptf_kind(pd, e, lvl)                  PT_ENTRY_EMPTY, _TABLE or _LEAF
 *   ptf_table_pa(pd, e, lvl)              table entry -> pa of the next table
 *   ptf_mk_table(pd, pa, lvl)             pa of a level lvl-1 table -> entry at lvl
 *   ptf_leaf_contig_lg2(pd, e, lvl)       leaf -> log2 of the entries the leaf spans
 *   ptf_leaf_oa(pd, e, lvl)               leaf -> output address the entry carries (for a
 *                                         contiguous leaf the walker rounds it down to the
 *                                         leaf's start)
 *   ptf_mk_leaf(pd, pa, lvl, k, i, prot)  entry i of a 2^k-entry leaf starting at pa
 *   ptf_leaf_prot(pd, e, lvl)             enum iommu_prot the leaf grants
 *   ptf_leaf_dirty(pd, e, lvl)            the hardware dirty state of one entry
 *   ptf_mk_dirty(pd, e, lvl), ptf_mk_clean(pd, e, lvl)   set / clear that state
 *   ptf_hw_write(pd, e, lvl, kind, &new)  a DMA write's walk passes e: -EACCES if a leaf
 *                                         forbids writes, else *new = e plus the accessed
 *                                         and dirty bits the hardware would set now
 *
 * Words: slot = pointer to an entry in a table; table pointers are pas cast back to host
 * pointers (pa == host VA in the owning process). `last` is inclusive everywhere; loops run
 * on page counts or stop when a leaf's last byte reaches the range's last, so nothing wraps
 * at UINT64_MAX.
 *
 * Traps: a leaf is never split. Unmap clears entry by entry (it must find holes), so a
 * table it frees is all zero. Dirty bits are set by "hardware" concurrently, so clearing
 * them is a compare-and-swap loop, and so is the simulated hardware write.
 */
#ifndef IOASID_PT_WALK_H
#define IOASID_PT_WALK_H

#include <string.h>

#include "iommu/phys.h"
#include "pt/pt_int.h"

#ifndef PTF_CONTIG_REPLICATED
#define PTF_CONTIG_REPLICATED 0
#endif

#if PTF_BIG_ENDIAN
#define ptw_to_cpu(x)	be64toh(x)
#define ptw_from_cpu(x) htobe64(x)
#else
#define ptw_to_cpu(x)	le64toh(x)
#define ptw_from_cpu(x) htole64(x)
#endif

static inline uint64_t ptw_load(const uint64_t *slot)
{
	return ptw_to_cpu(__atomic_load_n(slot, __ATOMIC_ACQUIRE));
}

static inline void ptw_store(uint64_t *slot, uint64_t e)
{
	__atomic_store_n(slot, ptw_from_cpu(e), __ATOMIC_RELAXED);
}

/* Publish a table pointer: its zeroed contents must be visible first. */
static inline void ptw_store_release(uint64_t *slot, uint64_t e)
{
	__atomic_store_n(slot, ptw_from_cpu(e), __ATOMIC_RELEASE);
}

static inline bool ptw_cas(uint64_t *slot, uint64_t *old, uint64_t new_e)
{
	uint64_t raw_old = ptw_from_cpu(*old);
	bool ok = __atomic_compare_exchange_n(slot, &raw_old, ptw_from_cpu(new_e), false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);

	*old = ptw_to_cpu(raw_old);
	return ok;
}

static inline uint64_t *ptw_table(const struct pt_domain *pd, uint64_t pa)
{
	return pt_tbl_ptr(pd, pa);
}

/*
 * The entry at pa of a native table: the domain's own arena first (its region is known: one
 * bounds check against the mapped length, no table load), else whatever region names pa
 * (a root someone else gave). NULL: pa names no memory.
 */
static inline uint64_t *ptw_native_entry(const struct pt_domain *pd, uint64_t pa)
{
	const struct iommu_phys_region *r = pd->tbl_region;
	uint64_t off = pa - r->name, len = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);

	if (__builtin_expect(off < len && len - off >= sizeof(uint64_t), 1))
		return (uint64_t *)(r->host + off);
	return iommu_phys_resolve(pa, sizeof(uint64_t));
}

static inline size_t ptw_index(const struct pt_domain *pd, uint64_t iova, unsigned int lvl)
{
	return (size_t)((iova >> pd->lvl[lvl].shift) & pt_lg2_mask(pd->lvl[lvl].bits));
}

static inline size_t ptw_nent(const struct pt_domain *pd, unsigned int lvl)
{
	return (size_t)1 << pd->lvl[lvl].bits;
}

static uint64_t *ptw_alloc_table(struct pt_domain *pd, unsigned int lvl)
{
	uint64_t *t = pt_arena_alloc(pd->arena, pd->lvl[lvl].table_lg2);

	if (t)
		pd->nr_tables++;
	return t;
}

/*
 * True if no entry of the table is present. [lo, hi] are the entries an unmap just went
 * through: everything strictly inside is known empty, the two ends may still point at
 * partly emptied sub-tables. The search checks the ends, then moves outward both ways:
 * the nearest live neighbour ends it, so unmapping pages one by one in either direction
 * costs O(1) per page instead of a scan over everything already cleared (measured, 4K
 * pages unmapped one per call in order: 185 -> 18 ns/page).
 */
static bool ptw_table_empty(const struct pt_domain *pd, const uint64_t *table, unsigned int lvl,
			    size_t lo, size_t hi)
{
	size_t n = ptw_nent(pd, lvl), up = hi + 1, down = lo;

	if (ptf_kind(pd, ptw_load(&table[lo]), lvl) != PT_ENTRY_EMPTY ||
	    ptf_kind(pd, ptw_load(&table[hi]), lvl) != PT_ENTRY_EMPTY)
		return false;

	while (up < n || down > 0) {
		if (up < n && ptf_kind(pd, ptw_load(&table[up++]), lvl) != PT_ENTRY_EMPTY)
			return false;
		if (down > 0 && ptf_kind(pd, ptw_load(&table[--down]), lvl) != PT_ENTRY_EMPTY)
			return false;
	}
	return true;
}

/* ---- map ------------------------------------------------------------------------- */

struct ptw_map {
	struct pt_domain *pd;
	uint64_t iova, pa; /* next page to map */
	uint64_t left;	   /* pages still to map */
	uint64_t pgsize;
	uint64_t mapped; /* bytes mapped so far */
	unsigned int leaf_lvl, contig_lg2;
	int prot;
};

static int ptw_map_table(struct ptw_map *m, uint64_t *table, unsigned int lvl)
{
	struct pt_domain *pd = m->pd;
	size_t nent = ptw_nent(pd, lvl);
	size_t idx = ptw_index(pd, m->iova, lvl);

	if (lvl == m->leaf_lvl) {
		/*
		 * Locals, not m->: the stores into table[] may alias *m as far as the compiler
		 * knows, which kept every field in memory (measured, warm 4K batch map:
		 * 8.0 -> 1.5 ns/page).
		 */
		size_t span = (size_t)1 << m->contig_lg2, i;
		unsigned int k = m->contig_lg2;
		uint64_t pa = m->pa, pgsize = m->pgsize, left = m->left, done = 0;
		int prot = m->prot, rc = 0;

		for (; idx < nent && left; idx += span) {
			for (i = 0; i < span; i++)
				if (ptf_kind(pd, ptw_load(&table[idx + i]), lvl) != PT_ENTRY_EMPTY)
					rc = -EEXIST;
			if (rc)
				break;
			for (i = 0; i < span; i++)
				ptw_store(&table[idx + i],
					  ptf_mk_leaf(pd, pa, lvl, k, (unsigned int)i, prot));
			left--;
			done++;
			pa += pgsize;
		}
		m->left = left;
		m->pa = pa;
		m->iova += done * pgsize;
		m->mapped += done * pgsize;
		return rc;
	}

	for (; idx < nent && m->left; idx++) {
		uint64_t *slot = &table[idx], *child;
		uint64_t e = ptw_load(slot);
		bool fresh = false;
		int rc;

		switch (ptf_kind(pd, e, lvl)) {
		case PT_ENTRY_EMPTY:
			child = ptw_alloc_table(pd, lvl - 1);
			if (!child)
				return -ENOMEM;
			ptw_store_release(slot, ptf_mk_table(pd, pt_tbl_pa(pd, child), lvl));
			fresh = true;
			break;
		case PT_ENTRY_TABLE:
			child = ptw_table(pd, ptf_table_pa(pd, e, lvl));
			break;
		default:
			return -EEXIST;
		}
		rc = ptw_map_table(m, child, lvl - 1);
		if (rc) {
			/* A table made for nothing goes; a walker may have seen it: defer. */
			if (fresh && ptw_table_empty(pd, child, lvl - 1, 0, 0)) {
				ptw_store(slot, 0);
				pt_arena_defer(pd->arena, &pd->deferred, child);
			}
			return rc;
		}
	}
	return 0;
}

static int ptw_map_pages(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			 uint64_t pgcount, int prot, uint64_t *out_mapped)
{
	struct pt_domain *pd = to_pt(d);
	uint64_t size, last, pa_last;
	struct ptw_map m;
	unsigned int lg2;
	int rc;

	*out_mapped = 0;
	if (!pgsize || (pgsize & (pgsize - 1)) || !(d->pgsize_bitmap & pgsize))
		return -EINVAL;
	if ((iova | paddr) & (pgsize - 1))
		return -EINVAL;
	if (!(prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE)))
		return -EINVAL;
	if (!pgcount)
		return 0;
	if (pt_mul_overflows(pgsize, pgcount, &size) || pt_add_overflows(iova, size - 1, &last) ||
	    pt_add_overflows(paddr, size - 1, &pa_last))
		return -EOVERFLOW;
	if (!pt_range_ok(pd, iova, last) || pa_last > pd->oa_last)
		return -ERANGE;

	lg2 = (unsigned int)__builtin_ctzll(pgsize);
	m = (struct ptw_map){
		.pd = pd,
		.iova = iova,
		.pa = paddr,
		.left = pgcount,
		.pgsize = pgsize,
		.leaf_lvl = pd->pg_level[lg2],
		.contig_lg2 = pd->pg_contig[lg2],
		.prot = prot,
	};
	rc = ptw_map_table(&m, pd->root, pd->levels - 1);
	*out_mapped = m.mapped;
	return rc;
}

/* ---- unmap ----------------------------------------------------------------------- */

struct ptw_unmap {
	struct pt_domain *pd;
	struct iommu_gather *g;
	uint64_t iova; /* next IOVA expected to start a leaf */
	uint64_t last;
	uint64_t unmapped;
	uint64_t cleared_to; /* last byte of the last leaf removed (valid once unmapped) */
	bool stop;
};

static void ptw_gather_leaf(struct iommu_gather *g, uint64_t start, uint64_t last, uint64_t size)
{
	if (start < g->start)
		g->start = start;
	if (last > g->last)
		g->last = last;
	if (!g->pgsize || size < g->pgsize)
		g->pgsize = (size_t)size;
}

static void ptw_unmap_table(struct ptw_unmap *u, uint64_t *table, unsigned int lvl)
{
	struct pt_domain *pd = u->pd;
	unsigned int shift = pd->lvl[lvl].shift;
	size_t nent = ptw_nent(pd, lvl);
	size_t idx = ptw_index(pd, u->iova, lvl);

	while (idx < nent) {
		uint64_t *slot = &table[idx];
		uint64_t e = ptw_load(slot);

		switch (ptf_kind(pd, e, lvl)) {
		case PT_ENTRY_EMPTY:
			u->stop = true;
			return;
		case PT_ENTRY_TABLE: {
			uint64_t *child = ptw_table(pd, ptf_table_pa(pd, e, lvl));
			uint64_t entry_last = u->iova | pt_lg2_mask(shift);
			bool from_start = !(u->iova & pt_lg2_mask(shift));
			uint64_t before = u->unmapped, first_iova = u->iova;

			ptw_unmap_table(u, child, lvl - 1);
			if (u->unmapped == before)
				return; /* the child began with a hole: stop is set */
			if ((from_start && u->cleared_to >= entry_last) ||
			    ptw_table_empty(pd, child, lvl - 1, ptw_index(pd, first_iova, lvl - 1),
					    ptw_index(pd, u->cleared_to, lvl - 1))) {
				ptw_store(slot, 0);
				pt_arena_defer(pd->arena, &u->g->freelist, child);
			}
			if (u->stop)
				return;
			idx++;
			break;
		}
		case PT_ENTRY_LEAF: {
			unsigned int k = ptf_leaf_contig_lg2(pd, e, lvl);
			uint64_t mask = pt_lg2_mask(shift + k);
			uint64_t start = u->iova & ~mask, leaf_last = start | mask;
			size_t first = idx & ~(((size_t)1 << k) - 1), i;

			if (start != u->iova) {
				u->stop = true; /* the leaf began before the range: never split */
				return;
			}
			for (i = 0; i < ((size_t)1 << k); i++)
				ptw_store(&table[first + i], 0);
			ptw_gather_leaf(u->g, start, leaf_last, mask + 1);
			u->unmapped += mask + 1;
			u->cleared_to = leaf_last;
			if (leaf_last >= u->last) {
				u->stop = true;
				return;
			}
			u->iova = leaf_last + 1;
			idx = first + ((size_t)1 << k);
			break;
		}
		}
	}
}

static uint64_t ptw_unmap_pages(struct iommu_domain *d, uint64_t iova, uint64_t pgsize,
				uint64_t pgcount, struct iommu_gather *gather)
{
	struct pt_domain *pd = to_pt(d);
	uint64_t size, last;
	struct ptw_unmap u;

	if (!pgcount || !pgsize || (pgsize & (pgsize - 1)) || !(d->pgsize_bitmap & pgsize) ||
	    (iova & (pgsize - 1)))
		return 0;
	if (pt_mul_overflows(pgsize, pgcount, &size) || pt_add_overflows(iova, size - 1, &last))
		return 0;
	if (!pt_range_ok(pd, iova, last))
		return 0;
	u = (struct ptw_unmap){ .pd = pd, .g = gather, .iova = iova, .last = last };
	ptw_unmap_table(&u, pd->root, pd->levels - 1);
	return u.unmapped;
}

static void ptw_iotlb_sync(struct iommu_domain *d, struct iommu_gather *gather)
{
	struct pt_domain *pd = to_pt(d);
	size_t n;

	if (pd->flush)
		pd->flush(pd->flush_ctx, d, gather);
	n = pt_arena_free_list(pd->arena, &gather->freelist);
	n += pt_arena_free_list(pd->arena, &pd->deferred);
	pd->nr_tables -= n;
	iommu_gather_init(gather);
}

/* ---- lookup ---------------------------------------------------------------------- */

static int ptw_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *out_paddr,
			    uint64_t *out_leaf_size, int *out_prot)
{
	const struct pt_domain *pd = to_pt(d);
	const uint64_t *table = pd->root;
	unsigned int lvl = pd->levels - 1;

	if (!pt_range_ok(pd, iova, iova))
		return -ENOENT;
	for (;;) {
		uint64_t e = ptw_load(&table[ptw_index(pd, iova, lvl)]);

		switch (ptf_kind(pd, e, lvl)) {
		case PT_ENTRY_EMPTY:
			return -ENOENT;
		case PT_ENTRY_TABLE:
			if (!lvl)
				return -ENOENT; /* corrupt: no tables below level 0 */
			table = ptw_table(pd, ptf_table_pa(pd, e, lvl));
			lvl--;
			break;
		case PT_ENTRY_LEAF: {
			unsigned int k = ptf_leaf_contig_lg2(pd, e, lvl);
			uint64_t mask = pt_lg2_mask(pd->lvl[lvl].shift + k);

			*out_paddr = (ptf_leaf_oa(pd, e, lvl) & ~mask) | (iova & mask);
			if (out_leaf_size)
				*out_leaf_size = mask + 1;
			if (out_prot)
				*out_prot = ptf_leaf_prot(pd, e, lvl);
			return 0;
		}
		}
	}
}

/* ---- dirty ----------------------------------------------------------------------- */

static int ptw_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	d->dirty_tracking = enable;
	return 0;
}

struct ptw_dirty {
	struct pt_domain *pd;
	uint64_t iova, last;
	bool clear, done;
	struct iommu_dirty_sink *sink;
};

/* Test (and clear) the dirty state of every entry of one leaf. */
static bool ptw_leaf_test_clear(struct ptw_dirty *w, uint64_t *first, size_t n, unsigned int lvl)
{
	bool dirty = false;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t old = ptw_load(&first[i]);

		while (ptf_leaf_dirty(w->pd, old, lvl)) {
			dirty = true;
			if (!w->clear || ptw_cas(&first[i], &old, ptf_mk_clean(w->pd, old, lvl)))
				break;
		}
	}
	return dirty;
}

static void ptw_dirty_table(struct ptw_dirty *w, uint64_t *table, unsigned int lvl)
{
	const struct pt_domain *pd = w->pd;
	unsigned int shift = pd->lvl[lvl].shift;
	size_t nent = ptw_nent(pd, lvl);
	size_t idx = ptw_index(pd, w->iova, lvl);

	while (idx < nent && !w->done) {
		uint64_t e = ptw_load(&table[idx]);
		uint64_t elast = w->iova | pt_lg2_mask(shift);

		switch (ptf_kind(pd, e, lvl)) {
		case PT_ENTRY_EMPTY:
			break;
		case PT_ENTRY_TABLE:
			ptw_dirty_table(w, ptw_table(pd, ptf_table_pa(pd, e, lvl)), lvl - 1);
			break;
		case PT_ENTRY_LEAF: {
			unsigned int k = ptf_leaf_contig_lg2(pd, e, lvl);
			uint64_t mask = pt_lg2_mask(shift + k);
			uint64_t start = w->iova & ~mask;
			size_t first = idx & ~(((size_t)1 << k) - 1);

			elast = start | mask;
			if (ptw_leaf_test_clear(w, &table[first], (size_t)1 << k, lvl) && w->sink) {
				uint64_t s = start > w->iova ? start : w->iova;
				uint64_t l = elast < w->last ? elast : w->last;

				w->sink->record(w->sink, s, l - s + 1);
			}
			idx = first + ((size_t)1 << k) - 1;
			break;
		}
		}
		if (elast >= w->last) {
			w->done = true;
			return;
		}
		w->iova = elast + 1;
		idx++;
	}
}

static int ptw_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t len,
				    unsigned int flags, struct iommu_dirty_sink *sink)
{
	struct pt_domain *pd = to_pt(d);
	uint64_t last;
	unsigned int r;

	if (flags & ~(unsigned int)IOMMU_DIRTY_NO_CLEAR)
		return -EOPNOTSUPP;
	if (!len)
		return 0;
	if (pt_add_overflows(iova, len - 1, &last))
		return -EOVERFLOW;
	if (!d->dirty_tracking && sink)
		return -EINVAL;
	for (r = 0; r < d->nr_ranges; r++) {
		const struct iommu_iova_range *rg = &d->ranges[r];
		struct ptw_dirty w = {
			.pd = pd,
			.clear = !(flags & IOMMU_DIRTY_NO_CLEAR),
			.sink = sink,
		};

		if (rg->last < iova || rg->start > last)
			continue;
		w.iova = iova > rg->start ? iova : rg->start;
		w.last = last < rg->last ? last : rg->last;
		ptw_dirty_table(&w, pd->root, pd->levels - 1);
	}
	return 0;
}

/* A DMA write at iova: the accessed and dirty bits the hardware sets on its way. */
static int ptw_mark_dirty(struct pt_domain *pd, uint64_t iova)
{
	uint64_t *table = pd->root;
	unsigned int lvl = pd->levels - 1;

	if (!pt_range_ok(pd, iova, iova))
		return -ENOENT;
	for (;;) {
		uint64_t *slot = &table[ptw_index(pd, iova, lvl)];
		uint64_t e = ptw_load(slot), ne;
		enum pt_entry_kind kind = ptf_kind(pd, e, lvl);
		int rc;

		if (kind == PT_ENTRY_EMPTY || (kind == PT_ENTRY_TABLE && !lvl))
			return -ENOENT;
		for (;;) {
			rc = ptf_hw_write(pd, e, lvl, kind, &ne);
			if (rc)
				return rc;
			if (ne == e || ptw_cas(slot, &e, ne))
				break;
			kind = ptf_kind(pd, e, lvl);
			if (kind == PT_ENTRY_EMPTY)
				return -ENOENT;
		}
		if (kind == PT_ENTRY_LEAF)
			return 0;
		table = ptw_table(pd, ptf_table_pa(pd, e, lvl));
		lvl--;
	}
}

/* ---- translation ---------------------------------------------------------------- */

static inline bool ptw_fault(struct pt_walk_result *out, enum pt_fault_type f, unsigned int lvl,
			     uint64_t iova)
{
	out->fault = f;
	out->level = lvl;
	out->stage = 0;
	out->fault_addr = iova;
	return false;
}

/*
 * One walk from root_pa: the slot of each level comes from the reader (or is a native pointer),
 * a write with set_ad updates each entry as ptf_hw_write says by compare-and-swap, and the
 * leaf's permissions are checked against the access. Reads set no bit: the formats describe
 * only what a write sets.
 */
static int ptw_translate(struct pt_domain *pd, const struct pt_reader *rd, uint64_t root_pa,
			 uint64_t iova, unsigned int access, bool set_ad,
			 struct pt_walk_result *out)
{
	uint64_t table_pa = root_pa == PT_ROOT_OWN ? pd->root_pa : root_pa;
	unsigned int lvl = pd->levels - 1;
	bool write = access & PT_ACC_WRITE;

	out->fault = PT_FAULT_NONE;
	if (!pt_range_ok(pd, iova, iova)) {
		ptw_fault(out, PT_FAULT_ADDR_SIZE, lvl, iova);
		return -EFAULT;
	}
	for (;;) {
		uint64_t entry_pa = table_pa + ptw_index(pd, iova, lvl) * sizeof(uint64_t);
		uint64_t *slot, e, ne;
		enum pt_entry_kind kind;

		if (rd) {
			slot = rd->entry(rd, entry_pa, access, out);
			if (!slot)
				return -EFAULT;
		} else {
			/* a native table: its pa names arena memory (iommu/phys.h), or nothing */
			slot = ptw_native_entry(pd, entry_pa);
			if (!slot) {
				ptw_fault(out, PT_FAULT_ADDR_SIZE, lvl, iova);
				return -EFAULT;
			}
		}
		e = ptw_load(slot);
		kind = ptf_kind(pd, e, lvl);
		if (kind == PT_ENTRY_EMPTY || (kind == PT_ENTRY_TABLE && !lvl)) {
			ptw_fault(out, PT_FAULT_NOT_PRESENT, lvl, iova);
			return -EFAULT;
		}
		if (kind == PT_ENTRY_LEAF) {
			int prot = ptf_leaf_prot(pd, e, lvl);
			unsigned int k = ptf_leaf_contig_lg2(pd, e, lvl);
			uint64_t mask = pt_lg2_mask(pd->lvl[lvl].shift + k);
			uint64_t oa = ptf_leaf_oa(pd, e, lvl) & ~mask;

			if (((access & PT_ACC_READ) && !(prot & IOMMU_PROT_READ)) ||
			    (write && !(prot & IOMMU_PROT_WRITE))) {
				ptw_fault(out, PT_FAULT_PERMISSION, lvl, iova);
				return -EFAULT;
			}
			if (oa > pd->oa_last) {
				ptw_fault(out, PT_FAULT_ADDR_SIZE, lvl, iova);
				return -EFAULT;
			}
			while (write && set_ad) {
				if (ptf_hw_write(pd, e, lvl, kind, &ne)) {
					ptw_fault(out, PT_FAULT_PERMISSION, lvl, iova);
					return -EFAULT;
				}
				if (ne == e || ptw_cas(slot, &e, ne))
					break;
				if (ptf_kind(pd, e, lvl) != PT_ENTRY_LEAF) {
					ptw_fault(out, PT_FAULT_NOT_PRESENT, lvl, iova);
					return -EFAULT;
				}
			}
			out->oa = oa | (iova & mask);
			out->size_lg2 = pd->lvl[lvl].shift + k;
			out->prot = prot;
			return 0;
		}
		while (write && set_ad) {
			if (ptf_hw_write(pd, e, lvl, kind, &ne)) {
				ptw_fault(out, PT_FAULT_PERMISSION, lvl, iova);
				return -EFAULT;
			}
			if (ne == e || ptw_cas(slot, &e, ne))
				break;
			if (ptf_kind(pd, e, lvl) != PT_ENTRY_TABLE) {
				ptw_fault(out, PT_FAULT_NOT_PRESENT, lvl, iova);
				return -EFAULT;
			}
		}
		table_pa = ptf_table_pa(pd, e, lvl);
		if (table_pa > pd->oa_last) {
			ptw_fault(out, PT_FAULT_ADDR_SIZE, lvl, iova);
			return -EFAULT;
		}
		lvl--;
	}
}

/* ---- codec and path -------------------------------------------------------------- */

static void ptw_decode(const struct pt_domain *pd, unsigned int lvl, uint64_t e,
		       struct pt_entry_info *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = ptf_kind(pd, e, lvl);
	if (out->kind == PT_ENTRY_TABLE) {
		out->oa = ptf_table_pa(pd, e, lvl);
	} else if (out->kind == PT_ENTRY_LEAF) {
		unsigned int k = ptf_leaf_contig_lg2(pd, e, lvl);
		uint64_t oa = ptf_leaf_oa(pd, e, lvl);

		out->size_lg2 = pd->lvl[lvl].shift + k;
		out->oa = oa & ~pt_lg2_mask(out->size_lg2);
		out->contig_index = (unsigned int)((oa >> pd->lvl[lvl].shift) & pt_lg2_mask(k));
		out->prot = ptf_leaf_prot(pd, e, lvl);
		out->dirty = ptf_leaf_dirty(pd, e, lvl);
	}
}

static int ptw_encode(const struct pt_domain *pd, unsigned int lvl, const struct pt_entry_info *in,
		      uint64_t *out)
{
	unsigned int k;

	if (lvl >= pd->levels)
		return -EINVAL;
	switch (in->kind) {
	case PT_ENTRY_EMPTY:
		*out = 0;
		return 0;
	case PT_ENTRY_TABLE:
		if (!lvl || (in->oa & pt_lg2_mask(pd->lvl[lvl - 1].table_lg2)) ||
		    in->oa > pd->oa_last)
			return -EINVAL;
		*out = ptf_mk_table(pd, in->oa, lvl);
		return 0;
	case PT_ENTRY_LEAF:
		if (in->size_lg2 < pd->lvl[lvl].shift || in->size_lg2 - pd->lvl[lvl].shift >= 32)
			return -EINVAL;
		k = in->size_lg2 - pd->lvl[lvl].shift;
		if (!(pd->lvl[lvl].leaf_contig & (UINT32_C(1) << k)) ||
		    (in->oa & pt_lg2_mask(in->size_lg2)) || in->oa > pd->oa_last ||
		    in->contig_index >= (1u << k) ||
		    !(in->prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE)))
			return -EINVAL;
		*out = ptf_mk_leaf(pd, in->oa, lvl, k, in->contig_index, in->prot);
		if (in->dirty)
			*out = ptf_mk_dirty(pd, *out, lvl);
		return 0;
	}
	return -EINVAL;
}

static int ptw_walk_path(const struct pt_domain *pd, uint64_t iova, struct pt_path *out)
{
	const uint64_t *table = pd->root;
	unsigned int lvl = pd->levels - 1;

	if (!pt_range_ok(pd, iova, iova))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->top = lvl;
	for (;;) {
		struct pt_path_step *st = &out->step[lvl];

		st->table_pa = pt_tbl_pa(pd, table);
		st->index = (unsigned int)ptw_index(pd, iova, lvl);
		st->entry_pa = st->table_pa + st->index * sizeof(uint64_t);
		st->value = ptw_load(&table[st->index]);
		ptw_decode(pd, lvl, st->value, &st->info);
		if (PTF_CONTIG_REPLICATED && st->info.kind == PT_ENTRY_LEAF)
			st->info.contig_index =
				st->index &
				(unsigned int)pt_lg2_mask(st->info.size_lg2 - pd->lvl[lvl].shift);
		out->end_level = lvl;
		if (st->info.kind != PT_ENTRY_TABLE || !lvl)
			return 0;
		table = ptw_table(pd, st->info.oa);
		lvl--;
	}
}

/* ---- teardown -------------------------------------------------------------------- */

static void ptw_free_tree(struct pt_domain *pd, uint64_t *table, unsigned int lvl)
{
	size_t i, n = ptw_nent(pd, lvl);

	if (lvl) {
		for (i = 0; i < n; i++) {
			uint64_t e = ptw_load(&table[i]);

			if (ptf_kind(pd, e, lvl) == PT_ENTRY_TABLE)
				ptw_free_tree(pd, ptw_table(pd, ptf_table_pa(pd, e, lvl)), lvl - 1);
		}
	}
	pt_arena_free(pd->arena, table);
	pd->nr_tables--;
}

static void ptw_free(struct iommu_domain *d)
{
	struct pt_domain *pd = to_pt(d);

	if (pd->root)
		ptw_free_tree(pd, pd->root, pd->levels - 1);
	pd->nr_tables -= pt_arena_free_list(pd->arena, &pd->deferred);
	pt_release(pd);
}

static const struct iommu_domain_ops ptw_ops = {
	.map_pages = ptw_map_pages,
	.unmap_pages = ptw_unmap_pages,
	.iotlb_sync = ptw_iotlb_sync,
	.iova_to_phys = ptw_iova_to_phys,
	.set_dirty_tracking = ptw_set_dirty_tracking,
	.read_and_clear_dirty = ptw_read_and_clear_dirty,
	.free = ptw_free,
};

static const struct iommu_domain_ops ptw_ops_nodirty = {
	.map_pages = ptw_map_pages,
	.unmap_pages = ptw_unmap_pages,
	.iotlb_sync = ptw_iotlb_sync,
	.iova_to_phys = ptw_iova_to_phys,
	.free = ptw_free,
};

/* The descriptor fields a format takes from the walker. */
#define PTW_DESC_OPS                                                                    \
	.ops = &ptw_ops, .ops_nodirty = &ptw_ops_nodirty, .mark_dirty = ptw_mark_dirty, \
	.walk_path = ptw_walk_path, .encode = ptw_encode, .decode = ptw_decode,         \
	.translate = ptw_translate

#endif
