/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pt.c - every page-table variant against its specification and a shadow model.
 *
 * What it covers, for each variant of pt_variants() (or those named by argv[1..] or the
 * PT_VARIANT environment variable, comma separated): entry encode/decode round trips of
 * every entry type at every level; each page size at the lowest and highest addresses of
 * each IOVA range (both canonical halves on x86-64); the errno contract; batched map
 * failing part way (injected allocation failure N, then an existing mapping) leaving
 * exactly the prefix; the best-page-size helper; dirty tracking; the tables seen through
 * a second mapping of the arena's memfd; and PT_RANDOM_OPS (default 100,000) random
 * operations checked after each against tests/pt/pt_shadow.h, including the exact number
 * of table pages. The arena's live-page counter must be zero after every domain is freed.
 *
 * Words: P = a page size, c = a page count, W = the width of the windows the random test
 * works in (4 of the largest page, at least 2048 of the smallest), anchors = windows at
 * each range's lowest and highest addresses and one in the middle.
 *
 * Traps: compute `last`, never `end` (ranges reach UINT64_MAX). PT_SEED changes the seed.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "pt/pt.h"
#include "pt_shadow.h"

static const struct pt_variant *cur;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- what each format promises (from its specification, see docs/formats.md) ---- */

static int expect_prot(int prot)
{
	switch (cur->cfg.format) {
	case PT_FMT_X86_64: /* present means readable; R/W; XD */
	case PT_FMT_RISCV:  /* W needs R; X unless NOEXEC */
		return IOMMU_PROT_READ | (prot & (IOMMU_PROT_WRITE | IOMMU_PROT_NOEXEC));
	case PT_FMT_ARM_LPAE: /* stage 1 valid means readable; AttrIndx/MemAttr; XN */
		if (!(cur->cfg.flags & PT_CFG_ARM_S2))
			prot |= IOMMU_PROT_READ;
		return prot &
		       (IOMMU_PROT_READ | IOMMU_PROT_WRITE | IOMMU_PROT_CACHE | IOMMU_PROT_NOEXEC);
	case PT_FMT_AMD_V1: /* IR, IW; FC for CACHE */
		return prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE | IOMMU_PROT_CACHE);
	case PT_FMT_TCE: /* write implies read, as PowerNV builds TCEs */
		return IOMMU_PROT_READ | (prot & IOMMU_PROT_WRITE);
	default: /* R and W bits */
		return prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE);
	}
}

static int mark_rc(int prot)
{
	if (cur->cfg.format == PT_FMT_MOCK)
		return 0;
	return (prot & IOMMU_PROT_WRITE) ? 0 : -EACCES;
}

static bool mark_sets_dirty(int prot, bool tracking)
{
	switch (cur->cfg.format) {
	case PT_FMT_X86_64:   /* the x86 walk always sets D */
	case PT_FMT_RISCV:    /* so does the RISC-V IOMMU with SADE/GADE */
	case PT_FMT_ARM_LPAE: /* DBM: HD is on for a dirty-tracking domain's life */
		return prot & IOMMU_PROT_WRITE;
	case PT_FMT_VTD_SS: /* only while SSADE is on */
	case PT_FMT_AMD_V1: /* only while the DTE's HAD is 11b */
		return (prot & IOMMU_PROT_WRITE) && tracking;
	default:
		return tracking;
	}
}

static uint64_t oa_last(void)
{
	if (cur->cfg.format == PT_FMT_RISCV) /* 44-bit PPN */
		return (UINT64_C(1) << 56) - 1;
	if (cur->cfg.format == PT_FMT_ARM_LPAE) /* the PS field: arm variants name it */
		return (UINT64_C(1) << cur->cfg.oa_bits) - 1;
	return cur->cfg.format == PT_FMT_MOCK ? UINT64_MAX : (UINT64_C(1) << 52) - 1;
}

/* Formats whose multi-entry leaves repeat one entry: decode cannot tell the index. */
static bool contig_replicated(void)
{
	return cur->cfg.format == PT_FMT_RISCV || cur->cfg.format == PT_FMT_AMD_V1;
}

/* Can a leaf with this prot hold the dirty state? ARM DBM: writable leaves with DBM only. */
static bool dirty_holds(int prot)
{
	if (cur->cfg.format == PT_FMT_ARM_LPAE)
		return (prot & IOMMU_PROT_WRITE) && !(cur->cfg.flags & PT_CFG_NO_DIRTY);
	return cur->cfg.format != PT_FMT_TCE; /* TCEs have no dirty bit */
}

/* An entry as its 8 bytes sit in memory (TCEs are big endian), in CPU order. */
static uint64_t entry_to_cpu(uint64_t raw)
{
	return cur->cfg.format == PT_FMT_TCE ? be64toh(raw) : le64toh(raw);
}

static int random_prot(void)
{
	static const int p[] = {
		IOMMU_PROT_READ,
		IOMMU_PROT_WRITE,
		IOMMU_PROT_READ | IOMMU_PROT_WRITE,
		IOMMU_PROT_READ | IOMMU_PROT_NOEXEC,
		IOMMU_PROT_READ | IOMMU_PROT_WRITE | IOMMU_PROT_NOEXEC,
	};
	return p[rnd_below(
		cur->cfg.format == PT_FMT_X86_64 || cur->cfg.format == PT_FMT_RISCV ? 5 : 3)];
}

/* ---- fixture ---- */

struct fx {
	struct pt_arena *arena;
	struct iommu_domain *d;
	struct shadow *sh; /* freed by teardown even when a check fails part way */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pt_config cfg = cur->cfg;

	if (!f || pt_arena_create(UINT64_C(1) << 30, &f->arena))
		return -1;
	cfg.arena = f->arena;
	if (pt_domain_alloc(&cfg, &f->d))
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	size_t live;

	if (f->sh)
		sh_destroy(f->sh);
	f->d->ops->free(f->d);
	live = pt_arena_live_pages(f->arena);
	pt_arena_put(f->arena);
	free(f);
	if (live) {
		fprintf(stderr, "leak: %zu table pages live after free\n", live);
		return -1;
	}
	return 0;
}

static void sync(struct iommu_domain *d)
{
	struct iommu_gather g;

	iommu_gather_init(&g);
	d->ops->iotlb_sync(d, &g);
}

static bool in_ranges(const struct iommu_domain *d, uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < d->nr_ranges; i++)
		if (iova >= d->ranges[i].start && last <= d->ranges[i].last)
			return true;
	return false;
}

static unsigned int nsizes(uint64_t bm, uint64_t *out)
{
	unsigned int n = 0, b;

	for (b = 0; b < 64; b++)
		if (bm & (UINT64_C(1) << b))
			out[n++] = UINT64_C(1) << b;
	return n;
}

/* ---- encode/decode round trips ---- */

static void roundtrip_one(struct iommu_domain *d, unsigned int lvl, const struct pt_entry_info *in)
{
	struct pt_entry_info out;
	uint64_t v;

	assert_int_equal(pt_entry_encode(d, lvl, in, &v), 0);
	assert_int_equal(pt_entry_decode(d, lvl, v, &out), 0);
	assert_int_equal(out.kind, in->kind);
	if (in->kind == PT_ENTRY_EMPTY) {
		assert_int_equal(v, 0);
		return;
	}
	assert_int_equal(out.oa, in->oa);
	if (in->kind == PT_ENTRY_LEAF) {
		assert_int_equal(out.size_lg2, in->size_lg2);
		assert_int_equal(out.contig_index, contig_replicated() ? 0 : in->contig_index);
		assert_int_equal(out.prot, expect_prot(in->prot));
		assert_int_equal(out.dirty, in->dirty && dirty_holds(in->prot));
	}
}

static void test_codec(void **state)
{
	struct iommu_domain *d = ((struct fx *)*state)->d;
	unsigned int lvl, levels = pt_domain_levels(d);
	struct pt_entry_info in = { .kind = PT_ENTRY_EMPTY };
	struct pt_level_info li, below;
	uint64_t v;

	for (lvl = 0; lvl < levels; lvl++) {
		uint64_t sizes[64];
		unsigned int ns, s;

		assert_int_equal(pt_domain_level_info(d, lvl, &li), 0);
		in = (struct pt_entry_info){ .kind = PT_ENTRY_EMPTY };
		roundtrip_one(d, lvl, &in);

		/* table entries: every level above 0, lowest, highest and a random address */
		in.kind = PT_ENTRY_TABLE;
		if (lvl) {
			uint64_t tsz, oas[3];
			unsigned int i;

			pt_domain_level_info(d, lvl - 1, &below);
			tsz = UINT64_C(1) << below.table_lg2;
			oas[0] = tsz;
			oas[1] = (oa_last() - tsz + 1) & ~(tsz - 1);
			oas[2] = rnd() & oa_last() & ~(tsz - 1);
			for (i = 0; i < 3; i++) {
				in.oa = oas[i];
				roundtrip_one(d, lvl, &in);
			}
			in.oa = tsz / 2; /* misaligned */
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
			if (oa_last() != UINT64_MAX) {
				in.oa = oa_last() + 1;
				assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
			}
		} else {
			in.oa = 1 << 20;
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
		}

		/* leaves: every size this level holds, every prot, every contig index, dirty */
		ns = nsizes(li.leaf_sizes, sizes);
		for (s = 0; s < ns; s++) {
			unsigned int lg2 = (unsigned int)__builtin_ctzll(sizes[s]);
			unsigned int nidx = 1u << (lg2 - li.shift), idx, p, dirty, i;
			uint64_t oas[3] = { 0, (oa_last() - sizes[s] + 1) & ~(sizes[s] - 1),
					    rnd() & oa_last() & ~(sizes[s] - 1) };

			for (p = 1; p < 16; p++) {
				if (!(p & (IOMMU_PROT_READ | IOMMU_PROT_WRITE)))
					continue;
				for (idx = 0; idx < nidx; idx += (nidx > 1 ? nidx - 1 : 1))
					for (dirty = 0; dirty < 2; dirty++)
						for (i = 0; i < 3; i++) {
							in = (struct pt_entry_info){
								.kind = PT_ENTRY_LEAF,
								.oa = oas[i],
								.size_lg2 = lg2,
								.contig_index = idx,
								.prot = (int)p,
								.dirty = dirty,
							};
							roundtrip_one(d, lvl, &in);
						}
			}
			in.oa = sizes[s] / 2; /* misaligned */
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
			in.oa = 0;
			in.prot = 0; /* neither R nor W */
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
		}
		/* a size this level cannot hold */
		in = (struct pt_entry_info){ .kind = PT_ENTRY_LEAF,
					     .size_lg2 = li.shift + 1,
					     .prot = IOMMU_PROT_READ };
		if (!(li.leaf_sizes & (UINT64_C(1) << (li.shift + 1))))
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
		if (!li.leaf_sizes) {
			in.size_lg2 = li.shift;
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
		}
	}
}

/* ---- each page size at each range's edges ---- */

static void check_one_leaf(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t P, int prot)
{
	uint64_t got_pa, got_size;
	int got_prot;

	assert_int_equal(d->ops->iova_to_phys(d, iova, &got_pa, &got_size, &got_prot), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_size, P);
	assert_int_equal(got_prot, expect_prot(prot));
	assert_int_equal(d->ops->iova_to_phys(d, iova + (P - 1), &got_pa, &got_size, &got_prot), 0);
	assert_int_equal(got_pa, pa + (P - 1));
	if (iova && in_ranges(d, iova - 1, iova - 1))
		assert_int_equal(d->ops->iova_to_phys(d, iova - 1, &got_pa, &got_size, &got_prot),
				 -ENOENT);
	if (iova + (P - 1) != UINT64_MAX && in_ranges(d, iova + P, iova + P))
		assert_int_equal(d->ops->iova_to_phys(d, iova + P, &got_pa, &got_size, &got_prot),
				 -ENOENT);
}

static void test_edges(void **state)
{
	struct iommu_domain *d = ((struct fx *)*state)->d;
	uint64_t sizes[64], mapped, got;
	unsigned int ns = nsizes(d->pgsize_bitmap, sizes), r, s, e;
	struct iommu_gather g;

	for (r = 0; r < d->nr_ranges; r++) {
		const struct iommu_iova_range *rg = &d->ranges[r];

		for (s = 0; s < ns; s++) {
			uint64_t P = sizes[s], edge[2];

			if (rg->last - rg->start < P - 1)
				continue;
			edge[0] = (rg->start + (P - 1)) & ~(P - 1);
			edge[1] = (rg->last - (P - 1)) & ~(P - 1);
			for (e = 0; e < 2; e++) {
				uint64_t pa = e ? ((oa_last() - P + 1) & ~(P - 1)) : P * 3;
				int prot = IOMMU_PROT_READ | IOMMU_PROT_WRITE;
				struct pt_path path;

				assert_int_equal(
					d->ops->map_pages(d, edge[e], pa, P, 1, prot, &mapped), 0);
				assert_int_equal(mapped, P);
				check_one_leaf(d, edge[e], pa, P, prot);
				assert_int_equal(pt_domain_walk_path(d, edge[e], &path), 0);
				assert_int_equal(path.step[path.end_level].info.kind,
						 PT_ENTRY_LEAF);
				assert_int_equal(
					UINT64_C(1) << path.step[path.end_level].info.size_lg2, P);
				iommu_gather_init(&g);
				got = d->ops->unmap_pages(d, edge[e], P, 1, &g);
				assert_int_equal(got, P);
				assert_int_equal(g.start, edge[e]);
				assert_int_equal(g.last, edge[e] + (P - 1));
				d->ops->iotlb_sync(d, &g);
				assert_int_equal(pt_domain_table_pages(d), 1);
			}
			/* one page just outside each edge is refused */
			if (rg->start >= P && !in_ranges(d, rg->start - P, rg->start - 1))
				assert_int_equal(d->ops->map_pages(d, (rg->start - P) & ~(P - 1), 0,
								   P, 1, IOMMU_PROT_READ, &mapped),
						 -ERANGE);
			if (rg->last != UINT64_MAX && !((rg->last + 1) & (P - 1)) &&
			    !in_ranges(d, rg->last + 1, rg->last + 1))
				assert_int_equal(d->ops->map_pages(d, rg->last + 1, 0, P, 1,
								   IOMMU_PROT_READ, &mapped),
						 -ERANGE);
		}
	}
}

/* ---- errno contract and teardown ---- */

static void test_errors(void **state)
{
	struct fx *f = *state;
	struct iommu_domain *d = f->d, *d2;
	uint64_t P = d->pgsize_bitmap & -d->pgsize_bitmap, base, mapped, pa, sz;
	struct pt_config cfg = cur->cfg;
	struct iommu_gather g;
	int prot;

	base = (d->ranges[0].start + (UINT64_C(1) << 30) - 1) & ~((UINT64_C(1) << 30) - 1);
	if (!in_ranges(d, base, base + (UINT64_C(1) << 25)))
		base = (d->ranges[0].start + (UINT64_C(1) << 21) - 1) & ~((UINT64_C(1) << 21) - 1);
	assert_int_equal(d->ops->map_pages(d, base, 0, P * 3, 1, IOMMU_PROT_READ, &mapped),
			 -EINVAL);
	assert_int_equal(d->ops->map_pages(d, base + P / 2, 0, P, 1, IOMMU_PROT_READ, &mapped),
			 -EINVAL);
	assert_int_equal(d->ops->map_pages(d, base, P / 2, P, 1, IOMMU_PROT_READ, &mapped),
			 -EINVAL);
	assert_int_equal(d->ops->map_pages(d, base, 0, P, 1, 0, &mapped), -EINVAL);
	assert_int_equal(
		d->ops->map_pages(d, base, 0, P, UINT64_MAX / P + 1, IOMMU_PROT_READ, &mapped),
		-EOVERFLOW);
	assert_int_equal(d->ops->map_pages(d, base, 0, P, 0, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(mapped, 0);
	if (oa_last() != UINT64_MAX)
		assert_int_equal(
			d->ops->map_pages(d, base, oa_last() + 1, P, 1, IOMMU_PROT_READ, &mapped),
			-ERANGE);
	assert_int_equal(d->ops->map_pages(d, base, P, P, 4, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(d->ops->map_pages(d, base + 2 * P, P, P, 1, IOMMU_PROT_READ, &mapped),
			 -EEXIST);
	assert_int_equal(mapped, 0);
	assert_int_equal(d->ops->iova_to_phys(d, base + 4 * P, &pa, &sz, &prot), -ENOENT);
	iommu_gather_init(&g);
	/* starting inside nothing, or a hole, unmaps nothing */
	assert_int_equal(d->ops->unmap_pages(d, base + 4 * P, P, 1, &g), 0);
	/* stops at the hole after the four pages */
	assert_int_equal(d->ops->unmap_pages(d, base + 2 * P, P, 8, &g), 2 * P);
	assert_int_equal(d->ops->unmap_pages(d, base, P, 2, &g), 2 * P);
	d->ops->iotlb_sync(d, &g);
	assert_int_equal(pt_domain_table_pages(d), 1);

	/* a large leaf is never split: unmap from its middle removes nothing */
	if (d->pgsize_bitmap & ~P) {
		uint64_t big = UINT64_C(1) << (63 - __builtin_clzll(d->pgsize_bitmap));

		base = (d->ranges[0].start + big - 1) & ~(big - 1);
		assert_int_equal(d->ops->map_pages(d, base, big, big, 1, IOMMU_PROT_READ, &mapped),
				 0);
		assert_int_equal(d->ops->unmap_pages(d, base + P, P, 1, &g), 0);
		/* unmap of its first small page removes the whole leaf and says so */
		assert_int_equal(d->ops->unmap_pages(d, base, P, 1, &g), big);
		d->ops->iotlb_sync(d, &g);
	}
	/* outside every range (below the mock aperture, x86's non-canonical hole) */
	if (!in_ranges(d, 0, 0))
		assert_int_equal(d->ops->iova_to_phys(d, 0, &pa, &sz, &prot), -ENOENT);
	if (d->nr_ranges == 2) {
		uint64_t hole = d->ranges[0].last + 1;

		assert_int_equal(d->ops->iova_to_phys(d, hole, &pa, &sz, &prot), -ENOENT);
		assert_int_equal(d->ops->map_pages(d, hole, 0, P, 1, IOMMU_PROT_READ, &mapped),
				 -ERANGE);
		assert_int_equal(pt_mark_dirty(d, hole), -ENOENT);
	}

	/* configuration errors */
	cfg.arena = f->arena;
	cfg.flags |= 1u << 30;
	assert_int_equal(pt_domain_alloc(&cfg, &d2), -EOPNOTSUPP);
	cfg = cur->cfg;
	cfg.arena = f->arena;
	cfg.levels = 7;
	assert_int_equal(pt_domain_alloc(&cfg, &d2), -EINVAL);
	cfg.levels = cur->cfg.levels;
	cfg.pgsize_bitmap = UINT64_C(1) << 63;
	assert_int_equal(pt_domain_alloc(&cfg, &d2), -EINVAL);
	cfg.pgsize_bitmap = 0;
	pt_arena_fail_nth(f->arena, 1);
	assert_int_equal(pt_domain_alloc(&cfg, &d2), -ENOMEM);
	assert_int_equal(pt_arena_live_pages(f->arena), 1);
	/* narrowing to the smallest size works and is reported */
	cfg.pgsize_bitmap = P;
	assert_int_equal(pt_domain_alloc(&cfg, &d2), 0);
	assert_int_equal(d2->pgsize_bitmap, P);
	assert_true(pt_is_domain(d2));
	/* freeing a domain with mappings in place frees every table */
	assert_int_equal(d2->ops->map_pages(
				 d2, d2->ranges[0].start & ~(P - 1) ? d2->ranges[0].start : P * 512,
				 0, P, 1024, IOMMU_PROT_READ, &mapped),
			 0);
	assert_true(pt_arena_live_pages(f->arena) >= 3); /* two roots and a table at least */
	d2->ops->free(d2);
	assert_int_equal(pt_arena_live_pages(f->arena), 1);
}

/* ---- batched map failing part way ---- */

static void sweep_failures(struct fx *f, uint64_t P, uint64_t iova, uint64_t n)
{
	struct iommu_domain *d = f->d;
	unsigned int k;

	for (k = 1;; k++) {
		uint64_t mapped = 0, pa, sz, i;
		struct iommu_gather g;
		int prot, rc;

		pt_arena_fail_nth(f->arena, k);
		rc = d->ops->map_pages(d, iova, P * 5, P, n, IOMMU_PROT_WRITE, &mapped);
		pt_arena_fail_nth(f->arena, 0);
		assert_int_equal(mapped % P, 0);
		if (!rc) {
			assert_int_equal(mapped, n * P);
		} else {
			assert_int_equal(rc, -ENOMEM);
			assert_true(mapped < n * P);
			assert_int_equal(d->ops->iova_to_phys(d, iova + mapped, &pa, &sz, &prot),
					 -ENOENT);
		}
		for (i = 0; i < mapped / P; i++) {
			assert_int_equal(d->ops->iova_to_phys(d, iova + i * P, &pa, &sz, &prot), 0);
			assert_int_equal(pa, P * 5 + i * P);
		}
		iommu_gather_init(&g);
		if (mapped)
			assert_int_equal(d->ops->unmap_pages(d, iova, P, mapped / P, &g), mapped);
		d->ops->iotlb_sync(d, &g);
		assert_int_equal(pt_domain_table_pages(d), 1);
		assert_int_equal(pt_arena_live_pages(f->arena), 1);
		if (!rc)
			break;
		assert_true(k < 64);
	}
}

static void test_partial(void **state)
{
	struct fx *f = *state;
	struct iommu_domain *d = f->d;
	unsigned int levels = pt_domain_levels(d), l, r;
	uint64_t sizes[64], mapped;
	unsigned int ns = nsizes(d->pgsize_bitmap, sizes), s;
	struct pt_level_info li;

	for (r = 0; r < d->nr_ranges; r++) {
		const struct iommu_iova_range *rg = &d->ranges[r];

		for (s = 0; s < ns; s++) {
			uint64_t P = sizes[s], span, iova, n, tmp;

			for (l = 0; l < levels; l++) {
				pt_domain_level_info(d, l, &li);
				if (li.leaf_sizes & P)
					break;
			}
			/* start two pages before a boundary of an entry two levels up */
			pt_domain_level_info(d, l + 2 < levels ? l + 2 : levels - 1, &li);
			span = UINT64_C(1) << li.shift;
			n = s == 0 ? (UINT64_C(1) << li.bits) / 64 + 5 : 4;
			if (rg->last - rg->start < 2 * span)
				span = UINT64_C(1)
				       << (l + 1 < levels ?
						   (pt_domain_level_info(d, l + 1, &li), li.shift) :
						   0);
			iova = ((rg->start + span - 1) & ~(span - 1)) + span - 2 * P;
			if (iova < rg->start || __builtin_add_overflow(iova, n * P - 1, &tmp) ||
			    tmp > rg->last)
				continue;
			sweep_failures(f, P, iova, n);
		}
	}

	/* an existing mapping in the middle: the batch stops exactly before it */
	{
		uint64_t P = sizes[0], pa, sz;
		uint64_t base =
			(d->ranges[0].start + (UINT64_C(1) << 22) - 1) & ~((UINT64_C(1) << 22) - 1);
		struct iommu_gather g;
		int prot;

		assert_int_equal(
			d->ops->map_pages(d, base + 700 * P, 0, P, 1, IOMMU_PROT_READ, &mapped), 0);
		assert_int_equal(d->ops->map_pages(d, base, P, P, 1000, IOMMU_PROT_READ, &mapped),
				 -EEXIST);
		assert_int_equal(mapped, 700 * P);
		assert_int_equal(d->ops->iova_to_phys(d, base + 699 * P, &pa, &sz, &prot), 0);
		assert_int_equal(pa, 700 * P);
		assert_int_equal(d->ops->iova_to_phys(d, base + 700 * P, &pa, &sz, &prot), 0);
		assert_int_equal(pa, 0);
		iommu_gather_init(&g);
		assert_int_equal(d->ops->unmap_pages(d, base, P, 700, &g), 700 * P);
		d->ops->iotlb_sync(d, &g);
		assert_int_equal(d->ops->iova_to_phys(d, base + 700 * P, &pa, &sz, &prot), 0);
		assert_int_equal(d->ops->unmap_pages(d, base + 700 * P, P, 1, &g), P);
		d->ops->iotlb_sync(d, &g);
		assert_int_equal(pt_domain_table_pages(d), 1);
	}
}

/* ---- best page size helper ---- */

static uint64_t greedy_size(uint64_t bm, uint64_t iova, uint64_t pa, uint64_t left)
{
	int b;

	for (b = 63; b >= 0; b--) {
		uint64_t S = UINT64_C(1) << b;

		if ((bm & S) && !((iova | pa) & (S - 1)) && S <= left)
			return S;
	}
	return 0;
}

static void test_map_range(void **state)
{
	struct iommu_domain *d = ((struct fx *)*state)->d;
	uint64_t sizes[64], mapped, cur_iova;
	unsigned int ns = nsizes(d->pgsize_bitmap, sizes);
	uint64_t small = sizes[0], big = sizes[ns - 1];
	uint64_t base = ((d->ranges[0].start + big - 1) & ~(big - 1)) + 4 * big;
	uint64_t iova = base - 3 * small, pa = big * 8 - 3 * small;
	uint64_t len = 3 * small + 2 * big + (ns > 1 ? sizes[ns - 2] : 0) + 5 * small;
	struct iommu_gather g;

	if (!in_ranges(d, iova, iova + len - 1))
		skip();
	assert_int_equal(pt_map_range(d, iova, pa, len, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(mapped, len);
	for (cur_iova = iova; cur_iova - iova < len;) {
		uint64_t off = cur_iova - iova, gpa, gsz;
		int prot;

		assert_int_equal(d->ops->iova_to_phys(d, cur_iova, &gpa, &gsz, &prot), 0);
		assert_int_equal(gpa, pa + off);
		assert_int_equal(gsz, greedy_size(d->pgsize_bitmap, cur_iova, pa + off, len - off));
		cur_iova += gsz;
	}
	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(d, iova, len, &g), len);
	d->ops->iotlb_sync(d, &g);
	assert_int_equal(pt_domain_table_pages(d), 1);
	/* a misaligned pa relative to iova keeps everything small (2G at most: 512G leaves) */
	len = 2 * big < (UINT64_C(1) << 31) ? 2 * big : UINT64_C(1) << 31;
	assert_int_equal(pt_map_range(d, base, small, len, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(pt_pgsize_pick(d->pgsize_bitmap, base, small, len, &mapped), small);
	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(d, base, len, &g), len);
	assert_int_equal(g.pgsize, small);
	d->ops->iotlb_sync(d, &g);
}

/* ---- dirty tracking ---- */

struct rec_sink {
	struct iommu_dirty_sink sink;
	size_t n;
	uint64_t iova[256], len[256];
};

static void rec_record(struct iommu_dirty_sink *s, uint64_t iova, uint64_t len)
{
	struct rec_sink *r = (struct rec_sink *)s;

	if (r->n < 256) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
}

static void test_dirty(void **state)
{
	struct iommu_domain *d = ((struct fx *)*state)->d;
	uint64_t sizes[64], mapped, base, off = 0;
	unsigned int ns = nsizes(d->pgsize_bitmap, sizes), s;
	struct rec_sink rs = { .sink.record = rec_record };
	struct pt_hw_info hw;
	struct iommu_gather g;

	if (!d->ops->read_and_clear_dirty)
		skip();
	base = (d->ranges[0].start + sizes[ns - 1] - 1) & ~(sizes[ns - 1] - 1);
	/* one writable and one read-only leaf of each size, back to back */
	for (s = ns; s-- > 0;) {
		assert_int_equal(d->ops->map_pages(d, base + off, off, sizes[s], 1,
						   IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
				 0);
		off += sizes[s];
		assert_int_equal(d->ops->map_pages(d, base + off, off, sizes[s], 1, IOMMU_PROT_READ,
						   &mapped),
				 0);
		off += sizes[s];
	}
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, 0, &rs.sink), -EINVAL);
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, 0, NULL), 0);
	assert_int_equal(d->ops->set_dirty_tracking(d, true), 0);
	pt_domain_hw_info(d, &hw);
	assert_true(hw.dirty_tracking);
	if (cur->cfg.format == PT_FMT_VTD_SS)
		assert_int_equal((hw.hw_word >> 9) & 1, 1); /* SSADE */
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, 2, &rs.sink), -EOPNOTSUPP);
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, 0, &rs.sink), 0);
	assert_int_equal(rs.n, 0);

	/* write into the last byte of every leaf */
	off = 0;
	for (s = ns; s-- > 0;) {
		assert_int_equal(pt_mark_dirty(d, base + off + sizes[s] - 1), 0);
		off += sizes[s];
		assert_int_equal(pt_mark_dirty(d, base + off + sizes[s] - 1),
				 mark_rc(IOMMU_PROT_READ));
		off += sizes[s];
	}
	assert_int_equal(pt_mark_dirty(d, base + off), -ENOENT);
	/* report without clearing, then with, then nothing is left */
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, IOMMU_DIRTY_NO_CLEAR, &rs.sink),
			 0);
	assert_int_equal(rs.n, cur->cfg.format == PT_FMT_MOCK ? 2 * ns : ns);
	rs.n = 0;
	/* a window starting inside the first leaf reports it clipped */
	assert_int_equal(d->ops->read_and_clear_dirty(d, base + sizes[0] / 2, off - sizes[0] / 2, 0,
						      &rs.sink),
			 0);
	assert_int_equal(rs.n, cur->cfg.format == PT_FMT_MOCK ? 2 * ns : ns);
	assert_int_equal(rs.iova[0], base + sizes[0] / 2);
	assert_int_equal(rs.len[0], sizes[ns - 1] - sizes[0] / 2);
	rs.n = 0;
	assert_int_equal(d->ops->read_and_clear_dirty(d, base, off, 0, &rs.sink), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(d->ops->set_dirty_tracking(d, false), 0);
	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(d, base, off, &g), off);
	d->ops->iotlb_sync(d, &g);
	assert_int_equal(pt_domain_table_pages(d), 1);
}

/* ---- the tables through a second mapping of the memfd, as another process sees them ---- */

static void test_remote_view(void **state)
{
	struct fx *f = *state;
	struct iommu_domain *d = f->d;
	uint64_t P = d->pgsize_bitmap & -d->pgsize_bitmap, mapped, size, i;
	uint64_t iova = (d->ranges[d->nr_ranges - 1].last - 64 * P + 1) & ~(P - 1);
	uint8_t *view;
	struct iommu_gather g;

	assert_int_equal(d->ops->map_pages(d, iova, P * 77, P, 64, IOMMU_PROT_READ, &mapped), 0);
	size = pt_arena_size(f->arena);
	view = mmap(NULL, size, PROT_READ, MAP_SHARED, pt_arena_fd(f->arena), 0);
	assert_true(view != MAP_FAILED);
	assert_true((uint64_t)(uintptr_t)view != pt_arena_base_pa(f->arena));
	for (i = 0; i < 64; i += 7) {
		uint64_t pa = pt_domain_root_pa(d), va = iova + i * P, off, e = 0;
		unsigned int lvl = pt_domain_levels(d) - 1;
		struct pt_entry_info info;
		struct pt_path path;

		assert_int_equal(pt_domain_walk_path(d, va, &path), 0);
		for (;; lvl--) {
			assert_true(pt_arena_pa_to_offset(f->arena, pa, &off));
			assert_int_equal(off + 8 * path.step[lvl].index <= size - 8, 1);
			memcpy(&e, view + off + 8 * path.step[lvl].index, 8);
			assert_int_equal(entry_to_cpu(e), path.step[lvl].value);
			pt_entry_decode(d, lvl, entry_to_cpu(e), &info);
			if (info.kind != PT_ENTRY_TABLE)
				break;
			pa = info.oa;
		}
		assert_int_equal(info.kind, PT_ENTRY_LEAF);
		assert_int_equal(info.oa, P * 77 + i * P);
	}
	munmap(view, size);
	iommu_gather_init(&g);
	assert_int_equal(d->ops->unmap_pages(d, iova, P, 64, &g), 64 * P);
	d->ops->iotlb_sync(d, &g);
}

/* ---- random operations against the shadow ---- */

struct rt {
	struct iommu_domain *d;
	struct shadow sh;
	uint64_t sizes[64];
	unsigned int ns;
	uint64_t W;
	uint64_t anchor[3 * IOMMU_DOMAIN_MAX_RANGES];
	unsigned int na;
	uint64_t last_iova;
	unsigned long op;
	const char *what;
	/* coverage, printed at the end so a quiet run still shows what it exercised */
	unsigned long maps_ok, maps_exist, unmaps_hit, unmaps_miss, dirty_recs, max_leaves;
	unsigned long leaves_at[PT_MAX_LEVELS];
};

#define CK(rt, c)                                                                        \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s: op %lu (%s): check failed: %s (line %d)\n", \
				cur->name, (rt)->op, (rt)->what, #c, __LINE__);          \
			fail();                                                          \
		}                                                                        \
	} while (0)

static void rt_check_point(struct rt *t, uint64_t iova)
{
	uint64_t pa = 0, sz = 0;
	int prot = 0, rc = t->d->ops->iova_to_phys(t->d, iova, &pa, &sz, &prot);
	struct sh_leaf *lf = in_ranges(t->d, iova, iova) ? sh_find(&t->sh, iova) : NULL;

	if (!lf) {
		CK(t, rc == -ENOENT);
		return;
	}
	CK(t, rc == 0);
	CK(t, pa == lf->pa + (iova - lf->iova));
	CK(t, sz == lf->last - lf->iova + 1);
	CK(t, prot == lf->prot);
}

static void rt_check_tables(struct rt *t)
{
	CK(t, pt_domain_table_pages(t->d) == sh_tables(&t->sh));
}

/* An IOVA for c pages of P: anywhere in a window, near a leaf, or near the last op. */
static uint64_t rt_pick(struct rt *t, uint64_t P, uint64_t c)
{
	unsigned int tries;

	for (tries = 0; tries < 8; tries++) {
		uint64_t a = t->anchor[rnd_below(t->na)], iova, tmp;
		uint64_t k = rnd_below(9);

		switch (rnd_below(4)) {
		case 0:
			iova = a + rnd_below(t->W / P) * P;
			break;
		case 1:
			if (t->sh.n) {
				iova = t->sh.v[rnd_below(t->sh.n)].iova & ~(P - 1);
				iova += (k - 4) * P;
				break;
			}
			/* fall through */
		case 2:
			iova = (t->last_iova & ~(P - 1)) + (k - 4) * P;
			break;
		default:
			iova = a + rnd_below(64) * P;
			if (iova - a >= t->W)
				iova = a;
			break;
		}
		if (!__builtin_add_overflow(iova, c * P - 1, &tmp) && in_ranges(t->d, iova, tmp))
			return iova;
	}
	return t->anchor[0];
}

static void rt_map(struct rt *t)
{
	unsigned int si = (unsigned int)rnd_below(t->ns);
	uint64_t P = t->sizes[si], c = 1 + rnd_below(si + 1 == t->ns && t->ns > 1 ? 2 : 8);
	uint64_t iova = rt_pick(t, P, c), last = iova + (c * P - 1), mapped = 7;
	uint64_t pa = (rnd() & oa_last() & ~(P - 1));
	int prot = random_prot(), rc;
	struct sh_leaf *ov;
	uint64_t expect, i;

	if (pa > oa_last() - c * P + 1)
		pa = 0;
	t->what = "map";
	ov = sh_first_overlap(&t->sh, iova, last);
	expect = ov ? (ov->iova > iova ? (ov->iova - iova) / P : 0) : c;
	rc = t->d->ops->map_pages(t->d, iova, pa, P, c, prot, &mapped);
	CK(t, rc == (ov ? -EEXIST : 0));
	CK(t, mapped == expect * P);
	for (i = 0; i < expect; i++)
		sh_insert(&t->sh, iova + i * P, P, pa + i * P, expect_prot(prot));
	if (ov)
		t->maps_exist++;
	else
		t->maps_ok++;
	if (expect)
		t->leaves_at[sh_level_of(&t->sh, P)] += expect;
	if (ov && expect && rnd_below(2)) {
		struct iommu_gather g;

		/* the caller's undo of exactly the prefix */
		iommu_gather_init(&g);
		CK(t, t->d->ops->unmap_pages(t->d, iova, P, expect, &g) == expect * P);
		CK(t, sh_unmap(&t->sh, iova, iova + (expect * P - 1)) == expect * P);
		t->d->ops->iotlb_sync(t->d, &g);
	}
	sync(t->d);
	t->last_iova = iova;
	rt_check_point(t, iova);
	rt_check_point(t, last);
	if (iova)
		rt_check_point(t, iova - 1);
	if (last != UINT64_MAX)
		rt_check_point(t, last + 1);
	rt_check_point(t, iova + rnd_below(c * P));
}

static void rt_unmap(struct rt *t)
{
	uint64_t P = t->sizes[rnd_below(t->ns)], c = 1 + rnd_below(16), iova, last, expect, got;
	struct iommu_gather g;

	t->what = "unmap";
	if (t->sh.n && rnd_below(2)) {
		iova = t->sh.v[rnd_below(t->sh.n)].iova;
		P = t->sizes[0];
		if (__builtin_add_overflow(iova, c * P - 1, &last) || !in_ranges(t->d, iova, last))
			c = 1;
	} else {
		iova = rt_pick(t, P, c);
		/* a range narrower than c pages (arm-s1-4k-32: 16 x 1G) falls back to one */
		if (__builtin_add_overflow(iova, c * P - 1, &last) || !in_ranges(t->d, iova, last))
			c = 1;
	}
	last = iova + (c * P - 1);
	expect = sh_unmap(&t->sh, iova, last);
	iommu_gather_init(&g);
	got = t->d->ops->unmap_pages(t->d, iova, P, c, &g);
	CK(t, got == expect);
	if (got)
		t->unmaps_hit++;
	else
		t->unmaps_miss++;
	if (got) {
		CK(t, g.start == iova);
		CK(t, g.last == iova + (got - 1));
	}
	t->d->ops->iotlb_sync(t->d, &g);
	t->last_iova = iova;
	rt_check_point(t, iova);
	rt_check_point(t, last);
	if (got)
		rt_check_point(t, iova + (got - 1));
	if (iova)
		rt_check_point(t, iova - 1);
	if (last != UINT64_MAX)
		rt_check_point(t, last + 1);
}

static void rt_map_range(struct rt *t)
{
	uint64_t small = t->sizes[0], big = t->sizes[t->ns - 1];
	uint64_t len = small * (1 + rnd_below(3 * (big / small > 64 ? 64 : big / small)));
	uint64_t iova = rt_pick(t, small, len / small), last = iova + (len - 1);
	uint64_t pa = (rnd() & oa_last() & ~(big - 1)) + (rnd_below(2) ? (iova & (big - 1)) : 0);
	uint64_t mapped, cur_iova;
	int prot = random_prot(), rc;
	struct sh_leaf *ov;

	t->what = "map_range";
	if (pa > oa_last() - len + 1)
		pa = iova & (big - 1);
	ov = sh_first_overlap(&t->sh, iova, last);
	rc = pt_map_range(t->d, iova, pa, len, prot, &mapped);
	CK(t, rc == (ov ? -EEXIST : 0));
	CK(t, ov ? mapped <= (ov->iova > iova ? ov->iova - iova : 0) : mapped == len);
	/* read back the decomposition and check it is the greedy one */
	for (cur_iova = iova; cur_iova - iova < mapped;) {
		uint64_t off = cur_iova - iova, gpa = 0, gsz = 0;
		int gprot;

		CK(t, t->d->ops->iova_to_phys(t->d, cur_iova, &gpa, &gsz, &gprot) == 0);
		CK(t, gpa == pa + off);
		CK(t, gsz == greedy_size(t->d->pgsize_bitmap, cur_iova, gpa, len - off));
		CK(t, gsz <= mapped - off);
		sh_insert(&t->sh, cur_iova, gsz, gpa, expect_prot(prot));
		cur_iova += gsz;
	}
	sync(t->d);
	t->last_iova = iova;
	rt_check_point(t, iova);
	rt_check_point(t, last);
}

static void rt_mark(struct rt *t)
{
	uint64_t iova;
	struct sh_leaf *lf;
	int rc;

	t->what = "mark_dirty";
	if (t->sh.n && rnd_below(4)) {
		lf = &t->sh.v[rnd_below(t->sh.n)];
		iova = lf->iova + rnd_below(lf->last - lf->iova + 1);
	} else {
		iova = rt_pick(t, t->sizes[0], 1) + rnd_below(t->sizes[0]);
	}
	lf = sh_find(&t->sh, iova);
	rc = pt_mark_dirty(t->d, iova);
	if (!lf) {
		CK(t, rc == -ENOENT);
		return;
	}
	CK(t, rc == mark_rc(lf->prot));
	if (!rc && mark_sets_dirty(lf->prot, t->d->dirty_tracking))
		lf->dirty = true;
}

static void rt_read_dirty(struct rt *t)
{
	struct rec_sink rs = { .sink.record = rec_record };
	uint64_t P = t->sizes[rnd_below(t->ns)], c = 1 + rnd_below(32), iova, last;
	unsigned int flags = rnd_below(4) ? 0 : IOMMU_DIRTY_NO_CLEAR;
	bool with_sink = rnd_below(5);
	size_t i, n = 0;
	int rc;

	t->what = "read_dirty";
	iova = rt_pick(t, P, c);
	last = iova + (c * P - 1);
	if (rnd_below(2)) { /* half the windows end and start off page boundaries */
		last -= rnd_below(P);
		iova += rnd_below(last - iova + 1);
	}
	rc = t->d->ops->read_and_clear_dirty(t->d, iova, last - iova + 1, flags,
					     with_sink ? &rs.sink : NULL);
	if (with_sink && !t->d->dirty_tracking) {
		CK(t, rc == -EINVAL);
		return;
	}
	CK(t, rc == 0);
	for (i = sh_lower(&t->sh, iova); i < t->sh.n && t->sh.v[i].iova <= last; i++) {
		struct sh_leaf *lf = &t->sh.v[i];
		uint64_t s = lf->iova > iova ? lf->iova : iova;
		uint64_t l = lf->last < last ? lf->last : last;

		if (!lf->dirty)
			continue;
		if (with_sink) {
			CK(t, n < rs.n && n < 256);
			CK(t, rs.iova[n] == s);
			CK(t, rs.len[n] == l - s + 1);
		}
		n++;
		if (!(flags & IOMMU_DIRTY_NO_CLEAR))
			lf->dirty = false;
	}
	if (with_sink)
		CK(t, rs.n == n);
	t->dirty_recs += n;
}

static void test_random(void **state)
{
	struct fx *f = *state;
	struct rt t = { .d = f->d };
	unsigned long nops = 100000, i;
	const char *env = getenv("PT_RANDOM_OPS");
	unsigned int r;
	uint64_t span;

	if (env)
		nops = strtoul(env, NULL, 0);
	sh_init(&t.sh, t.d);
	f->sh = &t.sh;
	t.ns = nsizes(t.d->pgsize_bitmap, t.sizes);
	span = t.sizes[t.ns - 1] > t.sizes[0] * 512 ? t.sizes[t.ns - 1] : t.sizes[0] * 512;
	t.W = 4 * span;
	for (r = 0; r < t.d->nr_ranges; r++) {
		const struct iommu_iova_range *rg = &t.d->ranges[r];
		uint64_t lo = (rg->start + (t.W - 1)) & ~(t.W - 1);
		uint64_t hi = (rg->last - (t.W - 1)) & ~(t.W - 1);

		assert_true(lo <= hi && hi >= rg->start);
		t.anchor[t.na++] = lo;
		t.anchor[t.na++] = hi;
		t.anchor[t.na++] = lo + rnd_below((hi - lo) / t.W + 1) * t.W;
	}
	t.last_iova = t.anchor[0];

	for (i = 0; i < nops; i++) {
		uint64_t roll = rnd_below(100);

		t.op = i;
		if (roll < 40)
			rt_map(&t);
		else if (roll < 75)
			rt_unmap(&t);
		else if (roll < 80)
			rt_map_range(&t);
		else if (roll < 88 && t.d->ops->read_and_clear_dirty)
			rt_mark(&t);
		else if (roll < 96 && t.d->ops->read_and_clear_dirty)
			rt_read_dirty(&t);
		else if (roll < 98 && t.d->ops->set_dirty_tracking)
			t.d->ops->set_dirty_tracking(t.d, !t.d->dirty_tracking);
		else
			rt_check_point(&t, t.anchor[rnd_below(t.na)] + rnd_below(t.W));
		if (t.sh.n)
			rt_check_point(&t, t.sh.v[rnd_below(t.sh.n)].iova + rnd_below(t.sizes[0]));
		rt_check_tables(&t);
		if (t.sh.n > t.max_leaves)
			t.max_leaves = t.sh.n;
		/* keep the model from growing without bound */
		while (t.sh.n > 3000) {
			struct iommu_gather g;
			struct sh_leaf lf = t.sh.v[rnd_below(t.sh.n)];

			iommu_gather_init(&g);
			CK(&t, t.d->ops->unmap_pages(t.d, lf.iova, t.sizes[0], 1, &g) ==
				       lf.last - lf.iova + 1);
			sh_unmap(&t.sh, lf.iova, lf.iova);
			t.d->ops->iotlb_sync(t.d, &g);
		}
	}

	/* everything the model holds is there; then take it all down */
	t.what = "final";
	for (i = 0; i < t.sh.n; i++) {
		rt_check_point(&t, t.sh.v[i].iova);
		rt_check_point(&t, t.sh.v[i].last);
	}
	while (t.sh.n) {
		struct iommu_gather g;
		struct sh_leaf lf = t.sh.v[t.sh.n - 1];

		iommu_gather_init(&g);
		CK(&t,
		   t.d->ops->unmap_pages(t.d, lf.iova, t.sizes[0], 1, &g) == lf.last - lf.iova + 1);
		sh_unmap(&t.sh, lf.iova, lf.iova);
		t.d->ops->iotlb_sync(t.d, &g);
	}
	rt_check_tables(&t);
	CK(&t, pt_domain_table_pages(t.d) == 1);
	fprintf(stderr,
		"%s: %lu ops: maps %lu ok %lu EEXIST, unmaps %lu hit %lu miss, "
		"leaves by level %lu/%lu/%lu, dirty records %lu, max live leaves %lu\n",
		cur->name, nops, t.maps_ok, t.maps_exist, t.unmaps_hit, t.unmaps_miss,
		t.leaves_at[0], t.leaves_at[1], t.leaves_at[2], t.dirty_recs, t.max_leaves);
	CK(&t, pt_arena_live_pages(f->arena) == 1);
	sh_destroy(&t.sh);
	f->sh = NULL;
}

/* ---- runner: one cmocka group per variant ---- */

static bool wanted(const char *name, int argc, char **argv)
{
	const char *env = getenv("PT_VARIANT");
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (!strcmp(argv[i], name))
				return true;
		return false;
	}
	if (env && *env) {
		size_t n = strlen(name);
		const char *p = env;

		while ((p = strstr(p, name))) {
			if ((p == env || p[-1] == ',') && (p[n] == ',' || !p[n]))
				return true;
			p += n;
		}
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_codec, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_edges, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_partial, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_map_range, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dirty, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_remote_view, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_random, fx_setup, fx_teardown),
	};
	const char *seed = getenv("PT_SEED");
	size_t nv, i, ran = 0;
	const struct pt_variant *v = pt_variants(&nv);
	int failed = 0;

	for (i = 0; i < nv; i++) {
		if (!wanted(v[i].name, argc, argv))
			continue;
		cur = &v[i];
		rng_state = (seed ? strtoull(seed, NULL, 0) : 1) * 1000003 + i;
		failed += cmocka_run_group_tests_name(v[i].name, tests, NULL, NULL);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no variant matched\n");
		return 2;
	}
	return failed ? 1 : 0;
}
