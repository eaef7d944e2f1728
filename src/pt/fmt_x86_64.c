/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_x86_64.c - x86-64 4- and 5-level paging as an IOMMU first-stage table: what Intel
 * VT-d uses for first-stage (scalable-mode PASID entry PGTT=1, FLPTR/FLPM) and AMD uses for
 * its v2 (guest) tables behind GCR3. One 4K table = 512 eight-byte little-endian entries.
 *
 * Levels (level 0 is the leaf level):
 *   4: PML5 (5-level only)  3: PML4  2: PDPT (1G leaf with PS)  1: PD (2M leaf with PS)
 *   0: PT (4K leaf; bit 7 is PAT there, not PS)
 * Entry bits used: 0 P, 1 R/W, 2 U/S, 5 A, 6 D (leaves), 7 PS (levels 1 and 2), 12..51
 * address (for 2M/1G leaves bit 12 is PAT, so the address starts at bit 21/30), 63 XD.
 *
 * Choices: every entry is written with U/S=1 (device requests without supervisor privilege
 * need it at every level) and A=1 (as Linux does, so the hardware need not update it);
 * tables get R/W=1 so the leaf alone decides writability. D starts clear: the hardware
 * sets it on the first write, which is the format's dirty tracking. IOMMU_PROT_NOEXEC maps
 * to XD; IOMMU_PROT_CACHE has no bit (write-back through PAT index 0). A present entry is
 * always readable, so a write-only request decodes as READ|WRITE.
 *
 * Ranges: addresses are canonical, bits 63..47 (or 63..56) all equal; the lower and the
 * upper halves are both translatable and both reported. Indexing just masks bits, so the
 * upper half lands in the top table's upper 256 entries.
 */
#include "pt/pt_int.h"

#define X86_P	 (UINT64_C(1) << 0)
#define X86_RW	 (UINT64_C(1) << 1)
#define X86_US	 (UINT64_C(1) << 2)
#define X86_A	 (UINT64_C(1) << 5)
#define X86_D	 (UINT64_C(1) << 6)
#define X86_PS	 (UINT64_C(1) << 7)
#define X86_XD	 (UINT64_C(1) << 63)
#define X86_ADDR UINT64_C(0x000ffffffffff000) /* bits 51:12 */

#define PTF_BIG_ENDIAN 0

static inline bool x86_ps_level(unsigned int lvl)
{
	return lvl == 1 || lvl == 2;
}

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	if (!(e & X86_P))
		return PT_ENTRY_EMPTY;
	if (!lvl || (x86_ps_level(lvl) && (e & X86_PS)))
		return PT_ENTRY_LEAF;
	return PT_ENTRY_TABLE;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & X86_ADDR;
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return (pa & X86_ADDR) | X86_P | X86_RW | X86_US | X86_A;
}

PTF_PLAIN_LEAF_ACCESSORS(X86_ADDR)

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	uint64_t e = (pa & X86_ADDR) | X86_P | X86_US | X86_A;

	(void)pd;
	(void)k;
	(void)i;
	if (lvl)
		e |= X86_PS;
	if (prot & IOMMU_PROT_WRITE)
		e |= X86_RW;
	if (prot & IOMMU_PROT_NOEXEC)
		e |= X86_XD;
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	int prot = IOMMU_PROT_READ;

	(void)pd;
	(void)lvl;
	if (e & X86_RW)
		prot |= IOMMU_PROT_WRITE;
	if (e & X86_XD)
		prot |= IOMMU_PROT_NOEXEC;
	return prot;
}

PTF_DIRTY_BIT_ACCESSORS(X86_D)

/* The x86 walk sets A on every entry it uses and D on the leaf of a write, always. */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)pd;
	(void)lvl;
	if (!(e & X86_RW))
		return -EACCES;
	*out = e | X86_A | (kind == PT_ENTRY_LEAF ? X86_D : 0);
	return 0;
}

#include "pt/pt_walk.h"

static int x86_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	unsigned int levels = cfg->levels ? cfg->levels : 4, w, l;
	struct iommu_iova_range r[2];

	if (levels != 4 && levels != 5)
		return -EINVAL;
	w = 12 + 9 * levels;
	if ((cfg->granule && cfg->granule != 4096) || (cfg->input_bits && cfg->input_bits != w))
		return -EINVAL;
	pt_geom_uniform(pd, levels, 12, 9, 12);
	for (l = 0; l <= 2; l++) {
		pd->lvl[l].leaf_hw = 1;
		pd->lvl[l].leaf_contig = 1;
	}
	pd->input_bits = w;
	pd->oa_last = pt_lg2_mask(52);
	r[0].start = 0;
	r[0].last = pt_lg2_mask(w - 1);
	r[1].start = ~pt_lg2_mask(w - 1);
	r[1].last = UINT64_MAX;
	return pt_set_ranges(pd, r, 2);
}

static void x86_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = pd->levels == 5;
	out->hw_word = (pd->root_pa & X86_ADDR) | ((uint64_t)out->mode << 2);
}

const struct pt_format_desc pt_fmt_x86_64 = {
	.format = PT_FMT_X86_64,
	.name = "x86_64",
	.init = x86_init,
	.hw_info = x86_hw_info,
	PTW_DESC_OPS,
};
