/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_amd_v1.c - AMD IOMMU v1 ("host") page tables: what the device table entry's Host
 * Page Table Root Pointer and Mode fields select. Source: the AMD I/O Virtualization
 * Technology (IOMMU) Specification, 2.2.3 "I/O Page Tables for Host Translations" (the PDE
 * and PTE formats, Next Level, page size encoding) and 2.2.2 "Device Table Entry Format"
 * (Mode, Host Page Table Root Pointer, IR, IW, HAD). Facts cross-checked with Linux 6.12
 * drivers/iommu/amd/amd_iommu_types.h and io_pgtable.c, and the later
 * drivers/iommu/generic_pt/fmt/amdv1.h. One table = 512 little-endian 64-bit entries, 4K.
 *
 * Levels: level L here is level L+1 of the specification (level 0 = the 4K PTE table).
 * Mode = the number of levels, 1 to 6; mode 6 translates all 64 bits (its top table uses
 * 128 of its entries, IOVA bits 63:57) and its top level holds no leaves.
 * Entry bits: 0 PR, 6 D (the hardware dirty bit, written while the DTE's HAD is 11b),
 * 11:9 Next Level (NL), 51:12 address, 60 FC, 61 IR, 62 IW.
 *   PDE:  PR | NL = L (the specification level of the table it points at) | IR | IW
 *   PTE:  PR | NL = 0 (the level's own size: 4K, 2M, 1G, ...) | IR? | IW? | FC?
 *   PTE with NL = 7: a page of another size, 2 to 256 times the level's own, written into
 *         each of the entries it covers, all the same. The size is in the address: the
 *         bits from 12 up to size/2 are ones, the bit at size/2 is zero (8K: bit 12 = 0;
 *         32K: bits 13:12 = 11b, bit 14 = 0).
 *
 * Choices: tables carry IR|IW, so the leaf alone decides (the hardware ANDs them along the
 * walk). FC (force coherent) is set for IOMMU_PROT_CACHE. IR and IW are independent, so a
 * write-only leaf exists. 512G pages are not offered, as in Linux, because of a hardware
 * erratum; every other power of two from 4K to 2^51 is (sizes past the IOVA width aside).
 * Level skipping (a PDE whose NL is below L, the skipped index bits being zero) is not
 * used: our PDEs always point one level down. A skipping PDE written by someone else is
 * read as a table and walked as if it pointed one level down; no test writes one.
 *
 * Dirty tracking: set_dirty_tracking is the DTE's HAD field (11b: accessed and dirty
 * updates on). The hardware then sets D in the PTE a write used, so only that one entry of
 * a replicated page; dirty reads check them all. The accessed bit (5) is not modelled.
 *
 * Ranges: one, [0, 2^input_bits - 1]; input_bits is 12 + 9 * mode (64 for mode 6) and may
 * be narrowed, as a device's DMA mask would.
 */
#include "pt/pt_int.h"

#define AMD_PR	     (UINT64_C(1) << 0)
#define AMD_D	     (UINT64_C(1) << 6)
#define AMD_NL_SHIFT 9
#define AMD_NL	     (UINT64_C(7) << AMD_NL_SHIFT)
#define AMD_FC	     (UINT64_C(1) << 60)
#define AMD_IR	     (UINT64_C(1) << 61)
#define AMD_IW	     (UINT64_C(1) << 62)
#define AMD_ADDR     UINT64_C(0x000ffffffffff000) /* bits 51:12 */

#define AMD_NL_DEFAULT	   0
#define AMD_NL_SIZE	   7
#define AMD_MAX_CONTIG_LG2 8  /* at most 256 of a table's 512 entries */
#define AMD_ERRATUM_LG2	   39 /* no 512G pages */

/* DTE bits 63:0 (2.2.2): V, TV, HAD, Mode, root pointer, IR, IW */
#define AMD_DTE_V	   (UINT64_C(1) << 0)
#define AMD_DTE_TV	   (UINT64_C(1) << 1)
#define AMD_DTE_HAD	   (UINT64_C(3) << 7)
#define AMD_DTE_MODE_SHIFT 9

#define PTF_BIG_ENDIAN	      0
#define PTF_CONTIG_REPLICATED 1

static inline unsigned int amd_nl(uint64_t e)
{
	return (unsigned int)((e & AMD_NL) >> AMD_NL_SHIFT);
}

/* log2 of the bytes an NL=7 entry maps: ones from bit 12 up, the first zero at size / 2 */
static inline unsigned int amd_size_lg2(uint64_t e)
{
	uint64_t ones = (e & AMD_ADDR) >> 12;

	return 13 + (unsigned int)__builtin_ctzll(~ones);
}

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	unsigned int nl = amd_nl(e);

	(void)pd;
	if (!(e & AMD_PR))
		return PT_ENTRY_EMPTY;
	if (!lvl || nl == AMD_NL_DEFAULT || nl == AMD_NL_SIZE)
		return PT_ENTRY_LEAF;
	return PT_ENTRY_TABLE;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & AMD_ADDR;
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	return (pa & AMD_ADDR) | ((uint64_t)lvl << AMD_NL_SHIFT) | AMD_PR | AMD_IR | AMD_IW;
}

/* Clamped so that a malformed entry never makes the walker reach outside its table. */
static inline unsigned int ptf_leaf_contig_lg2(const struct pt_domain *pd, uint64_t e,
					       unsigned int lvl)
{
	unsigned int lg2, shift = pd->lvl[lvl].shift;

	if (amd_nl(e) != AMD_NL_SIZE)
		return 0;
	lg2 = amd_size_lg2(e);
	if (lg2 <= shift)
		return 0;
	return lg2 - shift > AMD_MAX_CONTIG_LG2 ? AMD_MAX_CONTIG_LG2 : lg2 - shift;
}

static inline uint64_t ptf_leaf_oa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	unsigned int lg2 = pd->lvl[lvl].shift + ptf_leaf_contig_lg2(pd, e, lvl);

	return e & AMD_ADDR & ~pt_lg2_mask(lg2);
}

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	unsigned int lg2 = pd->lvl[lvl].shift + k;
	uint64_t e = (pa & AMD_ADDR) | AMD_PR;

	(void)i; /* replicated: every entry of the page is the same */
	if (k)
		e |= (pt_lg2_mask(lg2 - 1) & AMD_ADDR) | ((uint64_t)AMD_NL_SIZE << AMD_NL_SHIFT);
	if (prot & IOMMU_PROT_READ)
		e |= AMD_IR;
	if (prot & IOMMU_PROT_WRITE)
		e |= AMD_IW;
	if (prot & IOMMU_PROT_CACHE)
		e |= AMD_FC;
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return ((e & AMD_IR) ? IOMMU_PROT_READ : 0) | ((e & AMD_IW) ? IOMMU_PROT_WRITE : 0) |
	       ((e & AMD_FC) ? IOMMU_PROT_CACHE : 0);
}

PTF_DIRTY_BIT_ACCESSORS(AMD_D)

/* A write needs IW on the PTE (and on every PDE: ours all have it); D only under HAD. */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)lvl;
	if (!(e & AMD_IW))
		return -EACCES;
	*out = e;
	if (kind == PT_ENTRY_LEAF && pd->dom.dirty_tracking)
		*out |= AMD_D;
	return 0;
}

#include "pt/pt_walk.h"

static int amd_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	unsigned int levels = cfg->levels ? cfg->levels : 3, bits, full, l, k;
	struct iommu_iova_range r;

	if (levels < 1 || levels > 6)
		return -EINVAL;
	full = levels == 6 ? 64 : 12 + 9 * levels;
	bits = cfg->input_bits ? cfg->input_bits : full;
	if (bits > full || bits < 21 || (cfg->granule && cfg->granule != 4096))
		return -EINVAL;
	if (cfg->flags & (PT_CFG_MOCK_HUGE | PT_CFG_MOCK_CONTIG | PT_CFG_MOCK_IOMMUPT))
		return -EINVAL;
	pt_geom_uniform(pd, levels, 12, 9, 12);
	/* mode 6's top level holds no PTEs (the specification's level parameters) */
	for (l = 0; l < levels && l < 5; l++) {
		pd->lvl[l].leaf_hw = 1;
		for (k = 0; k <= AMD_MAX_CONTIG_LG2; k++) {
			unsigned int lg2 = pd->lvl[l].shift + k;

			if (lg2 > 51 || lg2 >= bits)
				break;
			if (lg2 != AMD_ERRATUM_LG2)
				pd->lvl[l].leaf_contig |= UINT32_C(1) << k;
		}
	}
	pd->input_bits = bits;
	pd->oa_last = pt_lg2_mask(52);
	r.start = 0;
	r.last = pt_lg2_mask(bits);
	return pt_set_ranges(pd, &r, 1);
}

/* DTE bits 63:0: root | Mode << 9 | IR | IW | TV | V, and HAD = 11b while tracking */
static void amd_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = pd->levels;
	out->hw_word = (pd->root_pa & AMD_ADDR) | ((uint64_t)out->mode << AMD_DTE_MODE_SHIFT) |
		       AMD_IR | AMD_IW | AMD_DTE_TV | AMD_DTE_V |
		       (pd->dom.dirty_tracking ? AMD_DTE_HAD : 0);
}

const struct pt_format_desc pt_fmt_amd_v1 = {
	.format = PT_FMT_AMD_V1,
	.name = "amd_v1",
	.init = amd_init,
	.hw_info = amd_hw_info,
	PTW_DESC_OPS,
};
