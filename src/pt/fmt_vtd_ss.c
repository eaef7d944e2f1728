/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_vtd_ss.c - Intel VT-d second-stage tables (VT-d spec chapter 9, "second-stage paging
 * entries"; 3.6 / 3.7 for translation and A/D; 9.6 scalable-mode PASID entry for the root
 * pointer and mode). 4K tables of 512 little-endian 64-bit entries.
 *
 * Levels (level 0 is the leaf level) and the adjusted guest address widths:
 *   3 levels: 39-bit, AW=1   4 levels: 48-bit, AW=2   5 levels: 57-bit, AW=3
 *   level 2 SL-PDPE (1G leaf with PS), level 1 SL-PDE (2M leaf with PS), level 0 SL-PTE
 * Entry bits used: 0 R, 1 W, 7 PS (levels 1, 2), 8 A, 9 D (both only while SSADE is set in
 * the PASID entry), 12..51 address. There is no present bit: an entry with R=W=0 is not
 * present, so a leaf must grant READ or WRITE.
 *
 * Choices: tables carry R|W so the leaf decides. IOMMU_PROT_CACHE (SNP, bit 11) and the
 * memory-type fields are left zero; NOEXEC has no meaning here. A and D are never written
 * by software except to clear D in read_and_clear_dirty; pt_mark_dirty sets A along the
 * walk and D on the leaf only while dirty tracking (SSADE) is on, as the hardware does.
 *
 * Ranges: one, [0, 2^input_bits - 1]; input_bits may be below the AGAW (an MGAW narrower
 * than the table), never above.
 */
#include "pt/pt_int.h"

#define VTD_R	 (UINT64_C(1) << 0)
#define VTD_W	 (UINT64_C(1) << 1)
#define VTD_PS	 (UINT64_C(1) << 7)
#define VTD_A	 (UINT64_C(1) << 8)
#define VTD_D	 (UINT64_C(1) << 9)
#define VTD_ADDR UINT64_C(0x000ffffffffff000) /* bits 51:12 */

#define VTD_PGTT_SL_ONLY 2

#define PTF_BIG_ENDIAN 0

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	if (!(e & (VTD_R | VTD_W)))
		return PT_ENTRY_EMPTY;
	if (!lvl || ((lvl == 1 || lvl == 2) && (e & VTD_PS)))
		return PT_ENTRY_LEAF;
	return PT_ENTRY_TABLE;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & VTD_ADDR;
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return (pa & VTD_ADDR) | VTD_R | VTD_W;
}

PTF_PLAIN_LEAF_ACCESSORS(VTD_ADDR)

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	uint64_t e = pa & VTD_ADDR;

	(void)pd;
	(void)k;
	(void)i;
	if (lvl)
		e |= VTD_PS;
	if (prot & IOMMU_PROT_READ)
		e |= VTD_R;
	if (prot & IOMMU_PROT_WRITE)
		e |= VTD_W;
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return ((e & VTD_R) ? IOMMU_PROT_READ : 0) | ((e & VTD_W) ? IOMMU_PROT_WRITE : 0);
}

PTF_DIRTY_BIT_ACCESSORS(VTD_D)

static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)lvl;
	if (!(e & VTD_W))
		return -EACCES;
	*out = e;
	if (pd->dom.dirty_tracking)
		*out |= VTD_A | (kind == PT_ENTRY_LEAF ? VTD_D : 0);
	return 0;
}

#include "pt/pt_walk.h"

static int vtd_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	unsigned int levels = cfg->levels, bits = cfg->input_bits, l;
	struct iommu_iova_range r;

	if (!levels)
		levels = bits ? (bits <= 39 ? 3 : (bits <= 48 ? 4 : 5)) : 4;
	if (levels < 3 || levels > 5)
		return -EINVAL;
	if (!bits)
		bits = 12 + 9 * levels;
	if (bits > 12 + 9 * levels || bits < 32 || (cfg->granule && cfg->granule != 4096))
		return -EINVAL;
	pt_geom_uniform(pd, levels, 12, 9, 12);
	for (l = 0; l <= 2; l++) {
		pd->lvl[l].leaf_hw = 1;
		pd->lvl[l].leaf_contig = 1;
	}
	pd->input_bits = bits;
	pd->oa_last = pt_lg2_mask(52);
	r.start = 0;
	r.last = pt_lg2_mask(bits);
	return pt_set_ranges(pd, &r, 1);
}

static void vtd_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = pd->levels - 2; /* AW: 1 = 39-bit, 2 = 48-bit, 3 = 57-bit */
	out->hw_word = (pd->root_pa & VTD_ADDR) | ((uint64_t)out->mode << 2) |
		       ((uint64_t)VTD_PGTT_SL_ONLY << 6) |
		       (pd->dom.dirty_tracking ? UINT64_C(1) << 9 : 0);
}

const struct pt_format_desc pt_fmt_vtd_ss = {
	.format = PT_FMT_VTD_SS,
	.name = "vtd_ss",
	.init = vtd_init,
	.hw_info = vtd_hw_info,
	PTW_DESC_OPS,
};
