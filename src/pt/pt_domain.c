/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_domain.c - building pt domains and everything that is the same for every format:
 * the variant list, the configuration checks shared by formats' init hooks, the IOVA
 * range test, page-size picking for batched maps, and the public entry points of pt.h
 * that dispatch to a format's descriptor.
 *
 * Words: a variant is a named pt_config; tests, the benchmark and the fuzzer run over all
 * of them. "ranges" are the IOVA ranges the format with its configuration can translate,
 * copied into iommu_domain.ranges for the IOAS to report.
 *
 * Traps: pgsize_bitmap is derived from the geometry, then narrowed by cfg; the per-size
 * level table must agree with it. A domain whose allocation fails part way is released
 * by the same pt_release its free uses, so nothing is leaked on any error path.
 */
#include "pt/pt_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct pt_format_desc *const pt_formats[PT_FMT_NR] = {
	[PT_FMT_X86_64] = &pt_fmt_x86_64, [PT_FMT_VTD_SS] = &pt_fmt_vtd_ss,
	[PT_FMT_MOCK] = &pt_fmt_mock,	  [PT_FMT_ARM_LPAE] = &pt_fmt_arm_lpae,
	[PT_FMT_RISCV] = &pt_fmt_riscv,	  [PT_FMT_AMD_V1] = &pt_fmt_amd_v1,
	[PT_FMT_TCE] = &pt_fmt_tce,
};

static const struct pt_variant pt_variant_list[] = {
	{ "x86_64-4",
	  "x86-64 4-level (VT-d first stage, AMD v2), 48-bit sign extended",
	  { .format = PT_FMT_X86_64, .levels = 4 } },
	{ "x86_64-5",
	  "x86-64 5-level (VT-d first stage FLPM=1, AMD v2 GLX=1), 57-bit",
	  { .format = PT_FMT_X86_64, .levels = 5 } },
	{ "vtd-ss-3",
	  "VT-d second stage, 3 levels, 39-bit (AW=1)",
	  { .format = PT_FMT_VTD_SS, .levels = 3 } },
	{ "vtd-ss-4",
	  "VT-d second stage, 4 levels, 48-bit (AW=2)",
	  { .format = PT_FMT_VTD_SS, .levels = 4 } },
	{ "vtd-ss-5",
	  "VT-d second stage, 5 levels, 57-bit (AW=3)",
	  { .format = PT_FMT_VTD_SS, .levels = 5 } },
	{ "mock",
	  "selftest mock domain: IO page = CPU page / 2, aperture [1<<24, (1<<31)-1]",
	  { .format = PT_FMT_MOCK } },
	{ "mock-huge",
	  "mock with MOCK_FLAGS_DEVICE_HUGE_IOVA: adds 512 IO pages",
	  { .format = PT_FMT_MOCK, .flags = PT_CFG_MOCK_HUGE } },
	{ "mock-64",
	  "mock over the whole 64-bit IOVA space (6 levels), with huge pages",
	  { .format = PT_FMT_MOCK, .input_bits = 64, .flags = PT_CFG_MOCK_HUGE } },
	{ "mock-contig",
	  "mock with 16-entry contiguous leaves and huge pages (walker test)",
	  { .format = PT_FMT_MOCK, .flags = PT_CFG_MOCK_HUGE | PT_CFG_MOCK_CONTIG } },
	/* ARM VMSAv8-64: arm-s<stage>-<granule>-<input bits>; output bits (PS) as given */
	{ "arm-s1-4k-48",
	  "ARM stage 1, 4K granule, 48-bit VA, 48-bit PA, 4 levels, DBM",
	  { .format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 48, .oa_bits = 48 } },
	{ "arm-s1-4k-39",
	  "ARM stage 1, 4K granule, 39-bit VA, 44-bit PA, 3 levels, DBM",
	  { .format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 39, .oa_bits = 44 } },
	{ "arm-s1-4k-32",
	  "ARM stage 1, 4K granule, 32-bit VA (4-entry top), 42-bit PA, DBM",
	  { .format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 32, .oa_bits = 42 } },
	{ "arm-s1-4k-52",
	  "ARM stage 1, 4K granule, FEAT_LPA2 (DS=1): 52-bit VA and PA, 5 levels",
	  { .format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 52, .oa_bits = 52 } },
	{ "arm-s1-16k-47",
	  "ARM stage 1, 16K granule, 47-bit VA, 48-bit PA, 3 levels, DBM",
	  { .format = PT_FMT_ARM_LPAE, .granule = 16384, .input_bits = 47, .oa_bits = 48 } },
	{ "arm-s1-16k-48",
	  "ARM stage 1, 16K granule, 48-bit VA (2-entry level 0), 44-bit PA",
	  { .format = PT_FMT_ARM_LPAE, .granule = 16384, .input_bits = 48, .oa_bits = 44 } },
	{ "arm-s1-16k-52",
	  "ARM stage 1, 16K granule, FEAT_LPA2: 52-bit VA and PA, 64G blocks",
	  { .format = PT_FMT_ARM_LPAE, .granule = 16384, .input_bits = 52, .oa_bits = 52 } },
	{ "arm-s1-64k-42",
	  "ARM stage 1, 64K granule, 42-bit VA, 42-bit PA, 2 levels, no HTTU",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 65536,
	    .input_bits = 42,
	    .oa_bits = 42,
	    .flags = PT_CFG_NO_DIRTY } },
	{ "arm-s1-64k-48",
	  "ARM stage 1, 64K granule, 48-bit VA, 48-bit PA, 3 levels, DBM",
	  { .format = PT_FMT_ARM_LPAE, .granule = 65536, .input_bits = 48, .oa_bits = 48 } },
	{ "arm-s1-64k-52",
	  "ARM stage 1, 64K granule, FEAT_LVA + FEAT_LPA: 52-bit VA and PA",
	  { .format = PT_FMT_ARM_LPAE, .granule = 65536, .input_bits = 52, .oa_bits = 52 } },
	{ "arm-s2-4k-40-concat",
	  "ARM stage 2, 4K, 40-bit IPA from level 1: 2 concatenated tables",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 4096,
	    .input_bits = 40,
	    .oa_bits = 48,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-4k-40-l0",
	  "ARM stage 2, 4K, 40-bit IPA from level 0 (SL0=2), no concatenation",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 4096,
	    .levels = 4,
	    .input_bits = 40,
	    .oa_bits = 44,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-4k-32",
	  "ARM stage 2, 4K, 32-bit IPA from level 2: 4 concatenated tables",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 4096,
	    .input_bits = 32,
	    .oa_bits = 42,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-4k-48",
	  "ARM stage 2, 4K, 48-bit IPA, 48-bit PA, 4 levels, DBM",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 4096,
	    .input_bits = 48,
	    .oa_bits = 48,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-4k-52",
	  "ARM stage 2, 4K, FEAT_LPA2 52-bit IPA from level 0: 16 concatenated",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 4096,
	    .input_bits = 52,
	    .oa_bits = 52,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-16k-40",
	  "ARM stage 2, 16K, 40-bit IPA from level 2: 16 concatenated tables",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 16384,
	    .input_bits = 40,
	    .oa_bits = 42,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-16k-48",
	  "ARM stage 2, 16K, 48-bit IPA from level 1: 2 concatenated tables",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 16384,
	    .input_bits = 48,
	    .oa_bits = 48,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-64k-42",
	  "ARM stage 2, 64K, 42-bit IPA from level 2, 48-bit PA, DBM",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 65536,
	    .input_bits = 42,
	    .oa_bits = 48,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-64k-46",
	  "ARM stage 2, 64K, 46-bit IPA from level 2: 16 concatenated (1M)",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 65536,
	    .input_bits = 46,
	    .oa_bits = 48,
	    .flags = PT_CFG_ARM_S2 } },
	{ "arm-s2-64k-52",
	  "ARM stage 2, 64K, FEAT_LPA 52-bit IPA and PA from level 1, 4T blocks",
	  { .format = PT_FMT_ARM_LPAE,
	    .granule = 65536,
	    .input_bits = 52,
	    .oa_bits = 52,
	    .flags = PT_CFG_ARM_S2 } },
	{ "riscv-sv39",
	  "RISC-V IOMMU first stage Sv39 (iosatp MODE 8), Svnapot 64K",
	  { .format = PT_FMT_RISCV, .levels = 3, .flags = PT_CFG_RISCV_NAPOT } },
	{ "riscv-sv48",
	  "RISC-V IOMMU first stage Sv48 (iosatp MODE 9), 512G leaves",
	  { .format = PT_FMT_RISCV, .levels = 4 } },
	{ "riscv-sv57",
	  "RISC-V IOMMU first stage Sv57 (iosatp MODE 10), Svnapot 64K, 256T leaves",
	  { .format = PT_FMT_RISCV, .levels = 5, .flags = PT_CFG_RISCV_NAPOT } },
	{ "riscv-sv48x4",
	  "RISC-V IOMMU second stage Sv48x4 (iohgatp MODE 9), 50-bit, 16K root",
	  { .format = PT_FMT_RISCV,
	    .levels = 4,
	    .input_bits = 50,
	    .flags = PT_CFG_RISCV_X4 | PT_CFG_RISCV_NAPOT } },
	/* AMD v1: every power of two is a page size (512G aside); the tests' windows are four
	 * of the largest size, so the bigger sizes come with the wider modes */
	{ "amd-v1-3",
	  "AMD IOMMU v1, mode 3 (39-bit), every size 4K..1G (8K..1M, 4M..512M by NL=7)",
	  { .format = PT_FMT_AMD_V1, .levels = 3, .pgsize_bitmap = UINT64_C(0x7ffff000) } },
	{ "amd-v1-4",
	  "AMD IOMMU v1, mode 4 (48-bit), 4K 32K 2M 8M 1G 4G 256G 1T 32T",
	  { .format = PT_FMT_AMD_V1,
	    .levels = 4,
	    .pgsize_bitmap = (UINT64_C(1) << 12) | (UINT64_C(1) << 15) | (UINT64_C(1) << 21) |
			     (UINT64_C(1) << 23) | (UINT64_C(1) << 30) | (UINT64_C(1) << 32) |
			     (UINT64_C(1) << 38) | (UINT64_C(1) << 40) | (UINT64_C(1) << 45) } },
	{ "amd-v1-6",
	  "AMD IOMMU v1, mode 6 (64-bit), every size 4K..256T but 512G",
	  { .format = PT_FMT_AMD_V1,
	    .levels = 6,
	    .pgsize_bitmap = UINT64_C(0x0001fffffffff000) & ~(UINT64_C(1) << 39) } },
	/* POWER TCE: one DMA window each; 4K tables so that every window has several levels */
	{ "tce-4k",
	  "POWER TCE 32-bit window [0, 2G), 4K pages, 2 levels of 1024 entries",
	  { .format = PT_FMT_TCE, .granule = 4096, .input_bits = 31, .levels = 2 } },
	{ "tce-4k-64",
	  "POWER TCE 64-bit window at 1 << 59, 64G, 4K pages, 3 levels",
	  { .format = PT_FMT_TCE,
	    .granule = 4096,
	    .input_bits = 36,
	    .levels = 3,
	    .bus_offset = UINT64_C(1) << 59 } },
	{ "tce-64k",
	  "POWER TCE 64-bit window at 1 << 59, 1T, 64K pages, 3 levels",
	  { .format = PT_FMT_TCE,
	    .granule = UINT64_C(1) << 16,
	    .input_bits = 40,
	    .levels = 3,
	    .bus_offset = UINT64_C(1) << 59 } },
	{ "tce-2m",
	  "POWER TCE 64-bit window at 1 << 59, 16T, 2M pages, 3 levels",
	  { .format = PT_FMT_TCE,
	    .granule = UINT64_C(1) << 21,
	    .input_bits = 44,
	    .levels = 3,
	    .bus_offset = UINT64_C(1) << 59 } },
	{ "tce-16m",
	  "POWER TCE window [2T, 4T), 16M pages, 2 levels: the top table's upper half",
	  { .format = PT_FMT_TCE,
	    .granule = UINT64_C(1) << 24,
	    .input_bits = 41,
	    .levels = 2,
	    .bus_offset = UINT64_C(1) << 41 } },
};

const struct pt_variant *pt_variants(size_t *out_nr)
{
	*out_nr = sizeof(pt_variant_list) / sizeof(pt_variant_list[0]);
	return pt_variant_list;
}

const struct pt_variant *pt_variant_find(const char *name)
{
	size_t i, n;
	const struct pt_variant *v = pt_variants(&n);

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const char *pt_format_name(enum pt_format fmt)
{
	if ((unsigned int)fmt >= PT_FMT_NR)
		return "?";
	return pt_formats[fmt]->name;
}

/* Geometry where every level has the same table size and index width. */
void pt_geom_uniform(struct pt_domain *pd, unsigned int levels, unsigned int granule_lg2,
		     unsigned int bits, unsigned int table_lg2)
{
	unsigned int l;

	pd->levels = levels;
	for (l = 0; l < levels; l++) {
		pd->lvl[l].shift = (uint8_t)(granule_lg2 + l * bits);
		pd->lvl[l].bits = (uint8_t)bits;
		pd->lvl[l].table_lg2 = (uint8_t)table_lg2;
	}
}

int pt_set_ranges(struct pt_domain *pd, const struct iommu_iova_range *r, unsigned int n)
{
	const struct pt_config *cfg = &pd->cfg;
	unsigned int i, out = 0;

	for (i = 0; i < n && out < IOMMU_DOMAIN_MAX_RANGES; i++) {
		struct iommu_iova_range x = r[i];

		if (cfg->flags & PT_CFG_APERTURE) {
			if (cfg->aperture_start > x.start)
				x.start = cfg->aperture_start;
			if (cfg->aperture_last < x.last)
				x.last = cfg->aperture_last;
			if (x.start > x.last)
				continue;
		}
		pd->dom.ranges[out++] = x;
	}
	pd->dom.nr_ranges = out;
	return out ? 0 : -EINVAL;
}

bool pt_range_ok(const struct pt_domain *pd, uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < pd->dom.nr_ranges; i++)
		if (iova >= pd->dom.ranges[i].start && last <= pd->dom.ranges[i].last)
			return true;
	return false;
}

void pt_release(struct pt_domain *pd)
{
	pt_arena_put(pd->arena);
	free(pd);
}

/* Derive pgsize_bitmap and the per-size level table from the geometry, narrowed by cfg. */
static int pt_finish_pgsizes(struct pt_domain *pd)
{
	uint64_t all = 0, want = pd->cfg.pgsize_bitmap;
	unsigned int l, k;

	for (l = 0; l < pd->levels; l++) {
		for (k = 0; k < 32; k++) {
			unsigned int lg2 = pd->lvl[l].shift + k;

			if (!(pd->lvl[l].leaf_contig & (UINT32_C(1) << k)))
				continue;
			if (lg2 >= 64)
				return -EINVAL;
			if (want && !(want & (UINT64_C(1) << lg2))) {
				pd->lvl[l].leaf_contig &= ~(UINT32_C(1) << k);
				continue;
			}
			all |= UINT64_C(1) << lg2;
			pd->pg_level[lg2] = (uint8_t)l;
			pd->pg_contig[lg2] = (uint8_t)k;
		}
	}
	if (!all || (want & ~all))
		return -EINVAL;
	pd->dom.pgsize_bitmap = all;
	return 0;
}

/* Tags are never reused: an IOTLB entry of a freed domain can never hit a new one. */
static uint32_t pt_next_tag(void)
{
	static uint32_t next;

	return __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
}

int pt_domain_alloc(const struct pt_config *cfg, struct iommu_domain **out)
{
	const struct pt_format_desc *desc;
	struct pt_domain *pd;
	int rc;

	if ((unsigned int)cfg->format >= PT_FMT_NR ||
	    (cfg->flags & ~(unsigned int)PT_CFG_ALL_FLAGS))
		return -EOPNOTSUPP;
	desc = pt_formats[cfg->format];
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pd->desc = desc;
	pd->cfg = *cfg;
	if (cfg->arena) {
		pd->arena = cfg->arena;
		pt_arena_get(pd->arena);
	} else {
		rc = pt_arena_create(0, &pd->arena);
		if (rc) {
			free(pd);
			return rc;
		}
	}
	pd->cfg.arena = pd->arena;

	rc = desc->init(pd);
	if (rc)
		goto err_release;
	rc = pt_finish_pgsizes(pd);
	if (rc)
		goto err_release;
	pd->root = pt_arena_alloc(pd->arena, pd->lvl[pd->levels - 1].table_lg2);
	if (!pd->root) {
		rc = -ENOMEM;
		goto err_release;
	}
	pd->root_pa = pt_arena_pa(pd->arena, pd->root);
	pd->tbl_delta = (uint64_t)(uintptr_t)pd->root - pd->root_pa;
	pd->tbl_region = pt_arena_region(pd->arena);
	pd->tag = pt_next_tag();
	pd->nr_tables = 1;
	/* pd->cfg: a format without dirty bits (TCE) sets PT_CFG_NO_DIRTY in its init */
	pd->dom.ops = (pd->cfg.flags & PT_CFG_NO_DIRTY) ? desc->ops_nodirty : desc->ops;
	*out = &pd->dom;
	return 0;

err_release:
	pt_release(pd);
	return rc;
}

bool pt_is_domain(const struct iommu_domain *d)
{
	unsigned int i;

	for (i = 0; i < PT_FMT_NR; i++)
		if (d->ops == pt_formats[i]->ops || d->ops == pt_formats[i]->ops_nodirty)
			return true;
	return false;
}

const struct pt_config *pt_domain_config(const struct iommu_domain *d)
{
	return &to_pt_const(d)->cfg;
}

struct pt_arena *pt_domain_arena(const struct iommu_domain *d)
{
	return to_pt_const(d)->arena;
}

uint64_t pt_domain_root_pa(const struct iommu_domain *d)
{
	return to_pt_const(d)->root_pa;
}

unsigned int pt_domain_levels(const struct iommu_domain *d)
{
	return to_pt_const(d)->levels;
}

size_t pt_domain_table_pages(const struct iommu_domain *d)
{
	return to_pt_const(d)->nr_tables;
}

int pt_domain_level_info(const struct iommu_domain *d, unsigned int level,
			 struct pt_level_info *out)
{
	const struct pt_domain *pd = to_pt_const(d);
	unsigned int k;

	if (level >= pd->levels)
		return -EINVAL;
	out->shift = pd->lvl[level].shift;
	out->bits = pd->lvl[level].bits;
	out->table_lg2 = pd->lvl[level].table_lg2;
	out->leaf_sizes = 0;
	for (k = 0; k < 32 && pd->lvl[level].shift + k < 64; k++)
		if (pd->lvl[level].leaf_contig & (UINT32_C(1) << k))
			out->leaf_sizes |= UINT64_C(1) << (pd->lvl[level].shift + k);
	return 0;
}

int pt_domain_hw_info(const struct iommu_domain *d, struct pt_hw_info *out)
{
	const struct pt_domain *pd = to_pt_const(d);

	memset(out, 0, sizeof(*out));
	out->format = pd->cfg.format;
	out->levels = pd->levels;
	out->input_bits = pd->input_bits;
	out->root_pa = pd->root_pa;
	out->dirty_tracking = d->dirty_tracking;
	pd->desc->hw_info(pd, out);
	return 0;
}

void pt_domain_set_flush(struct iommu_domain *d, pt_flush_fn fn, void *ctx)
{
	struct pt_domain *pd = to_pt(d);

	pd->flush = fn;
	pd->flush_ctx = ctx;
}

int pt_mark_dirty(struct iommu_domain *d, uint64_t iova)
{
	struct pt_domain *pd = to_pt(d);

	return pd->desc->mark_dirty(pd, iova);
}

int pt_translate(const struct iommu_domain *d, const struct pt_reader *rd, uint64_t root_pa,
		 uint64_t iova, unsigned int access, bool set_ad, struct pt_walk_result *out)
{
	struct pt_domain *pd = (struct pt_domain *)d;

	return pd->desc->translate(pd, rd, root_pa, iova, access, set_ad, out);
}

uint32_t pt_domain_tag(const struct iommu_domain *d)
{
	return to_pt_const(d)->tag;
}

uint64_t pt_domain_oa_last(const struct iommu_domain *d)
{
	return to_pt_const(d)->oa_last;
}

int pt_domain_walk_path(const struct iommu_domain *d, uint64_t iova, struct pt_path *out)
{
	const struct pt_domain *pd = to_pt_const(d);

	return pd->desc->walk_path(pd, iova, out);
}

int pt_entry_encode(const struct iommu_domain *d, unsigned int level,
		    const struct pt_entry_info *in, uint64_t *out_value)
{
	const struct pt_domain *pd = to_pt_const(d);

	return pd->desc->encode(pd, level, in, out_value);
}

int pt_entry_decode(const struct iommu_domain *d, unsigned int level, uint64_t value,
		    struct pt_entry_info *out)
{
	const struct pt_domain *pd = to_pt_const(d);

	if (level >= pd->levels)
		return -EINVAL;
	pd->desc->decode(pd, level, value, out);
	return 0;
}

uint64_t pt_pgsize_pick(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t len,
			uint64_t *out_count)
{
	uint64_t merged = iova | paddr, sizes, pgsize, bigger, count;

	*out_count = 0;
	if (!len)
		return 0;
	/* sizes no larger than len */
	sizes = bitmap & pt_lg2_mask(pt_fls64(len));
	/* sizes both addresses are aligned to */
	if (merged)
		sizes &= pt_lg2_mask((unsigned int)__builtin_ctzll(merged) + 1);
	if (!sizes)
		return 0;
	pgsize = UINT64_C(1) << (pt_fls64(sizes) - 1);
	count = len / pgsize;

	/* Stop where the next larger size could start, if iova and paddr agree on it. */
	bigger = bitmap & ~pt_lg2_mask((unsigned int)__builtin_ctzll(pgsize) + 1);
	if (bigger) {
		uint64_t next = bigger & -bigger;

		if (!((iova ^ paddr) & (next - 1))) {
			uint64_t upto = (next - (iova & (next - 1))) / pgsize;

			if (upto < count)
				count = upto;
		}
	}
	*out_count = count;
	return pgsize;
}

int pt_map_range(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t len, int prot,
		 uint64_t *out_mapped)
{
	uint64_t done = 0, tmp;
	int rc = 0;

	*out_mapped = 0;
	if (len &&
	    (pt_add_overflows(iova, len - 1, &tmp) || pt_add_overflows(paddr, len - 1, &tmp)))
		return -EOVERFLOW;
	while (done < len) {
		uint64_t count, got = 0;
		uint64_t pgsize = pt_pgsize_pick(d->pgsize_bitmap, iova + done, paddr + done,
						 len - done, &count);

		if (!pgsize) {
			rc = -EINVAL;
			break;
		}
		rc = d->ops->map_pages(d, iova + done, paddr + done, pgsize, count, prot, &got);
		done += got;
		if (rc)
			break;
	}
	*out_mapped = done;
	return rc;
}

uint64_t pt_unmap_range(struct iommu_domain *d, uint64_t iova, uint64_t len,
			struct iommu_gather *gather)
{
	uint64_t pgsize, tmp;

	if (!len || !d->pgsize_bitmap || pt_add_overflows(iova, len - 1, &tmp))
		return 0;
	pgsize = d->pgsize_bitmap & -d->pgsize_bitmap;
	if ((iova | len) & (pgsize - 1))
		return 0;
	return d->ops->unmap_pages(d, iova, pgsize, len / pgsize, gather);
}

bool pt_config_equivalent(const struct pt_config *a, const struct pt_config *b)
{
	unsigned int fa = a->flags & ~PT_CFG_NO_DIRTY, fb = b->flags & ~PT_CFG_NO_DIRTY;

	/* field by field: a new field of struct pt_config belongs here too */
	return a->format == b->format && a->levels == b->levels && a->input_bits == b->input_bits &&
	       a->granule == b->granule && a->oa_bits == b->oa_bits &&
	       a->pgsize_bitmap == b->pgsize_bitmap && a->aperture_start == b->aperture_start &&
	       a->aperture_last == b->aperture_last && a->bus_offset == b->bus_offset && fa == fb;
}
