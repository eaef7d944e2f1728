/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_mock.c - the kernel iommufd selftest's mock domain, as a radix table of our own
 * design. The facts mirrored from the selftest (drivers/iommu/iommufd/selftest.c,
 * iommufd_test.h in Linux 6.12): the IO page is half the CPU page (2K on 4K hosts); the
 * aperture is [MOCK_APERTURE_START = 1 << 24, MOCK_APERTURE_LAST = (1 << 31) - 1]; a
 * device flagged MOCK_FLAGS_DEVICE_HUGE_IOVA adds one more page size, 512 IO pages (1M on
 * 4K hosts); every IO page carries a dirty bit, which is only set while dirty tracking is
 * on, on any mapped page whatever its permissions (the selftest's dirty op).
 *
 * The representation: 4K tables of 512 little-endian 64-bit entries, so each level adds 9
 * IOVA bits above the IO page: level 0 entries map one IO page, level 1 entries map 512 of
 * them, exactly the huge size. Entry bits (our own layout):
 *   0 P (present)   1 R   2 W   3 H (leaf above level 0)   4 D (dirty)
 *   5 C (one of 16 entries of a contiguous level-0 leaf with PT_CFG_MOCK_CONTIG; one of the
 *        2^k entries of a CPU page with PT_CFG_MOCK_IOMMUPT)
 *   6..63 address (a table's pa, or the IO page this entry maps)
 * A table entry is address | P. The mock-contig variant exists to exercise the walker's
 * multi-entry leaves (ARM's contiguous hint, RISC-V NAPOT, AMD v1 sizes come in phase 2);
 * the kernel's mock has nothing like it.
 *
 * PT_CFG_MOCK_IOMMUPT is the mock of Linux 7.x, which builds its mock domain from the generic
 * AMD v1 page table with 2K pages: a CPU page (4K) is one leaf of two contiguous entries, and
 * a device write anywhere in it marks the whole leaf dirty (the selftest's
 * MOCK_IOMMUPT_DEFAULT); with PT_CFG_MOCK_HUGE too (MOCK_IOMMUPT_HUGE) the page sizes are only
 * the CPU page and 512 IO pages, over the whole input range of the levels instead of the
 * mock aperture. Only the leaf sizes and the dirty granule are mirrored, not AMD's encoding.
 *
 * Levels: enough to cover the aperture's last address: 3 for the selftest aperture, 6 for
 * input_bits = 64 (the whole IOVA space, which tests the UINT64_MAX edge).
 */
#include "pt/pt_int.h"

#include <unistd.h>

#define MOCK_P	  (UINT64_C(1) << 0)
#define MOCK_R	  (UINT64_C(1) << 1)
#define MOCK_W	  (UINT64_C(1) << 2)
#define MOCK_H	  (UINT64_C(1) << 3)
#define MOCK_D	  (UINT64_C(1) << 4)
#define MOCK_C	  (UINT64_C(1) << 5)
#define MOCK_ADDR (~UINT64_C(0x3f))

#define MOCK_CONTIG_LG2	    4
#define MOCK_APERTURE_START (UINT64_C(1) << 24)
#define MOCK_APERTURE_LAST  ((UINT64_C(1) << 31) - 1)

#define PTF_BIG_ENDIAN 0

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	if (!(e & MOCK_P))
		return PT_ENTRY_EMPTY;
	if (!lvl || (e & MOCK_H))
		return PT_ENTRY_LEAF;
	return PT_ENTRY_TABLE;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & MOCK_ADDR;
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return (pa & MOCK_ADDR) | MOCK_P;
}

/* log2 of the IO pages in a CPU page: the contiguous leaf of PT_CFG_MOCK_IOMMUPT */
static inline unsigned int mock_cpu_page_lg2(const struct pt_domain *pd)
{
	return (unsigned int)pt_fls64((uint64_t)sysconf(_SC_PAGESIZE)) - 1 - pd->fmt_word;
}

static inline unsigned int ptf_leaf_contig_lg2(const struct pt_domain *pd, uint64_t e,
					       unsigned int lvl)
{
	if (lvl || !(e & MOCK_C))
		return 0;
	return (pd->cfg.flags & PT_CFG_MOCK_IOMMUPT) ? mock_cpu_page_lg2(pd) : MOCK_CONTIG_LG2;
}

static inline uint64_t ptf_leaf_oa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & MOCK_ADDR;
}

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	uint64_t e = ((pa + ((uint64_t)i << pd->lvl[lvl].shift)) & MOCK_ADDR) | MOCK_P;

	if (lvl)
		e |= MOCK_H;
	if (k)
		e |= MOCK_C;
	if (prot & IOMMU_PROT_READ)
		e |= MOCK_R;
	if (prot & IOMMU_PROT_WRITE)
		e |= MOCK_W;
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return ((e & MOCK_R) ? IOMMU_PROT_READ : 0) | ((e & MOCK_W) ? IOMMU_PROT_WRITE : 0);
}

PTF_DIRTY_BIT_ACCESSORS(MOCK_D)

/* The mock marks any mapped page, writable or not, and only while tracking is on. */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)lvl;
	*out = e;
	if (kind == PT_ENTRY_LEAF && pd->dom.dirty_tracking)
		*out |= MOCK_D;
	return 0;
}

#include "pt/pt_walk.h"

static int mock_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	uint64_t granule = cfg->granule;
	unsigned int g, bits, levels;
	struct iommu_iova_range r;

	if (!granule)
		granule = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (granule < 1024 || granule > (UINT64_C(1) << 20) || (granule & (granule - 1)))
		return -EINVAL;
	g = (unsigned int)__builtin_ctzll(granule);
	if (cfg->input_bits) {
		if (cfg->input_bits > 64 || cfg->input_bits <= g)
			return -EINVAL;
		r.start = 0;
		r.last = pt_lg2_mask(cfg->input_bits);
	} else {
		r.start = MOCK_APERTURE_START;
		r.last = MOCK_APERTURE_LAST;
	}
	bits = pt_fls64(r.last);
	levels = (bits - g + 8) / 9;
	if (!levels)
		levels = 1;
	if (cfg->levels) {
		if (cfg->levels < levels)
			return -EINVAL;
		levels = cfg->levels;
	}
	if (levels > PT_MAX_LEVELS || g + 9 * (levels - 1) >= 64)
		return -EINVAL;
	if ((cfg->flags & PT_CFG_MOCK_HUGE) && levels < 2)
		return -EINVAL;
	if ((cfg->flags & PT_CFG_MOCK_IOMMUPT) &&
	    ((cfg->flags & PT_CFG_MOCK_CONTIG) || (uint64_t)sysconf(_SC_PAGESIZE) <= granule))
		return -EINVAL;

	pt_geom_uniform(pd, levels, g, 9, 12);
	pd->lvl[0].leaf_hw = 1;
	pd->lvl[0].leaf_contig = 1;
	if (cfg->flags & PT_CFG_MOCK_CONTIG)
		pd->lvl[0].leaf_contig |= UINT32_C(1) << MOCK_CONTIG_LG2;
	if (cfg->flags & PT_CFG_MOCK_HUGE) {
		pd->lvl[1].leaf_hw = 1;
		pd->lvl[1].leaf_contig = 1;
	}
	pd->input_bits = bits;
	pd->oa_last = UINT64_MAX;
	pd->fmt_word = g;
	if (cfg->flags & PT_CFG_MOCK_IOMMUPT) {
		/* the CPU page as a contiguous leaf; with HUGE, no single IO page */
		pd->lvl[0].leaf_contig = UINT32_C(1) << mock_cpu_page_lg2(pd);
		if (!(cfg->flags & PT_CFG_MOCK_HUGE))
			pd->lvl[0].leaf_contig |= 1;
	}
	return pt_set_ranges(pd, &r, 1);
}

static void mock_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = pd->levels;
	out->hw_word = pd->root_pa | pd->levels;
}

const struct pt_format_desc pt_fmt_mock = {
	.format = PT_FMT_MOCK,
	.name = "mock",
	.init = mock_init,
	.hw_info = mock_hw_info,
	PTW_DESC_OPS,
};
