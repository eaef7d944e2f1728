/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_riscv.c - RISC-V Sv39, Sv48 and Sv57 page tables as the RISC-V IOMMU walks them:
 * first stage behind DC.fsc.iosatp (MODE 8, 9, 10), or with PT_CFG_RISCV_X4 the second
 * ("G") stage Sv39x4, Sv48x4, Sv57x4 behind DC.iohgatp. Sources: the RISC-V privileged
 * specification, "Sv39/Sv48/Sv57: Page-Based Virtual-Memory Systems" and "Hypervisor
 * extension, two-stage address translation" (the x4 modes); the "Svnapot" chapter for 64K
 * NAPOT pages; the RISC-V IOMMU specification 1.0, chapter 2 (device context: tc.SADE and
 * tc.GADE, iosatp, iohgatp). One table = 512 little-endian 64-bit PTEs, 4K, except the x4
 * root: 2048 PTEs, 16K, aligned to 16K.
 *
 * Levels (level 0 is the leaf level, level i of the specification is the same number):
 *   Sv39: 2..0   Sv48: 3..0   Sv57: 4..0   each 9 IOVA bits above the 4K page
 *   a leaf may sit at any level: 4K, 2M, 1G, 512G (Sv48, Sv57), 256T (Sv57)
 * PTE bits: 0 V, 1 R, 2 W, 3 X, 4 U, 5 G, 6 A, 7 D, 9:8 RSW, 53:10 PPN, 62:61 PBMT, 63 N.
 * An entry with V and any of R, W, X is a leaf; V alone points at the next table, and in
 * such an entry D, A and U are reserved (written 0).
 *
 * Choices: leaves get V, R, U (device accesses are user-mode accesses; the G stage needs U
 * on every leaf), A pre-set (as Linux does, so the walk only ever writes D), W for
 * IOMMU_PROT_WRITE and X unless IOMMU_PROT_NOEXEC. W without R is a reserved encoding, so a
 * write-only request becomes R|W and decodes as READ|WRITE. PBMT stays 0 (the PMA decides;
 * IOMMU_PROT_CACHE has no bit). G (global) is never set.
 *
 * Dirty tracking: D starts clear and the IOMMU sets it on a write. That needs
 * capabilities.AMO_HWAD with DC.tc.SADE=1 (GADE=1 for the x4 stage), which Linux programs
 * whenever the IOMMU has AMO_HWAD; with it clear the IOMMU would fault on such a write
 * instead. The domain assumes it is set: D is set on every write whether or not tracking is
 * on (as on x86), and set_dirty_tracking only gates the reporting.
 *
 * Svnapot (PT_CFG_RISCV_NAPOT): a 64K page is 16 aligned level-0 PTEs that are all the
 * same: N=1 and PPN[3:0] = 0b1000, the rest of the PPN that of the 64K page. The entries
 * are replicated, not consecutive, so an entry alone cannot say which of the 16 it is:
 * decode reports contig_index 0 and the path walk takes it from the slot.
 *
 * Ranges: the first stage is sign extended like x86 (bits 63..w-1 all equal), two ranges;
 * the x4 modes translate a zero-extended guest physical address of w+2 bits, one range.
 */
#include "pt/pt_int.h"

#define RV_V	     (UINT64_C(1) << 0)
#define RV_R	     (UINT64_C(1) << 1)
#define RV_W	     (UINT64_C(1) << 2)
#define RV_X	     (UINT64_C(1) << 3)
#define RV_U	     (UINT64_C(1) << 4)
#define RV_A	     (UINT64_C(1) << 6)
#define RV_D	     (UINT64_C(1) << 7)
#define RV_N	     (UINT64_C(1) << 63)
#define RV_RWX	     (RV_R | RV_W | RV_X)
#define RV_PPN_SHIFT 10
#define RV_PPN	     UINT64_C(0x003ffffffffffc00) /* bits 53:10 */

/* Svnapot: PPN[3:0] of a 64K NAPOT PTE, and the span in 4K entries (log2) */
#define RV_NAPOT_64K_CODE UINT64_C(0x8)
#define RV_NAPOT_LG2	  4

/* iosatp / iohgatp: MODE in bits 63:60, PPN of the root in 43:0 */
#define RV_ATP_MODE_SHIFT 60
#define RV_ATP_PPN	  UINT64_C(0x00000fffffffffff)
#define RV_MODE_SV39	  8

#define PTF_BIG_ENDIAN	      0
#define PTF_CONTIG_REPLICATED 1

static inline uint64_t rv_pa_to_ppn_field(uint64_t pa)
{
	return ((pa >> 12) << RV_PPN_SHIFT) & RV_PPN;
}

static inline uint64_t rv_ppn_field_to_pa(uint64_t e)
{
	return ((e & RV_PPN) >> RV_PPN_SHIFT) << 12;
}

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	if (!(e & RV_V))
		return PT_ENTRY_EMPTY;
	if (e & RV_RWX)
		return PT_ENTRY_LEAF;
	/* a pointer below level 0 does not exist: the walk faults, nothing is mapped */
	return lvl ? PT_ENTRY_TABLE : PT_ENTRY_EMPTY;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return rv_ppn_field_to_pa(e);
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return rv_pa_to_ppn_field(pa) | RV_V;
}

static inline unsigned int ptf_leaf_contig_lg2(const struct pt_domain *pd, uint64_t e,
					       unsigned int lvl)
{
	(void)pd;
	return (!lvl && (e & RV_N)) ? RV_NAPOT_LG2 : 0;
}

/* The start of the page: a NAPOT PTE's PPN[3:0] is the size code, not address bits. */
static inline uint64_t ptf_leaf_oa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	uint64_t pa = rv_ppn_field_to_pa(e);

	if (!lvl && (e & RV_N))
		pa &= ~pt_lg2_mask(12 + RV_NAPOT_LG2);
	return pa & ~pt_lg2_mask(pd->lvl[lvl].shift);
}

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	uint64_t e = rv_pa_to_ppn_field(pa) | RV_V | RV_R | RV_U | RV_A;

	(void)pd;
	(void)lvl;
	(void)i; /* replicated: every entry of a NAPOT run is the same */
	if (k)
		e = (e & ~(UINT64_C(0xf) << RV_PPN_SHIFT)) | (RV_NAPOT_64K_CODE << RV_PPN_SHIFT) |
		    RV_N;
	if (prot & IOMMU_PROT_WRITE)
		e |= RV_W;
	if (!(prot & IOMMU_PROT_NOEXEC))
		e |= RV_X;
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	int prot = 0;

	(void)pd;
	(void)lvl;
	if (e & RV_R)
		prot |= IOMMU_PROT_READ;
	if (e & RV_W)
		prot |= IOMMU_PROT_WRITE;
	if (!(e & RV_X))
		prot |= IOMMU_PROT_NOEXEC;
	return prot;
}

PTF_DIRTY_BIT_ACCESSORS(RV_D)

/*
 * With SADE/GADE set the IOMMU sets A and D of the leaf of a write (A is pre-set here);
 * non-leaf PTEs have no A/D. A leaf without W is a store page fault.
 */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)pd;
	(void)lvl;
	*out = e;
	if (kind != PT_ENTRY_LEAF)
		return 0;
	if (!(e & RV_W))
		return -EACCES;
	*out |= RV_A | RV_D;
	return 0;
}

#include "pt/pt_walk.h"

static int rv_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	bool x4 = cfg->flags & PT_CFG_RISCV_X4;
	unsigned int levels = cfg->levels ? cfg->levels : 4, w, l;
	struct iommu_iova_range r[2];

	if (levels < 3 || levels > 5)
		return -EINVAL;
	w = 12 + 9 * levels + (x4 ? 2 : 0);
	if ((cfg->granule && cfg->granule != 4096) || (cfg->input_bits && cfg->input_bits != w))
		return -EINVAL;
	if (cfg->flags & (PT_CFG_MOCK_HUGE | PT_CFG_MOCK_CONTIG | PT_CFG_MOCK_IOMMUPT))
		return -EINVAL;
	pt_geom_uniform(pd, levels, 12, 9, 12);
	if (x4) {
		/* the G-stage root: 2 more index bits, 16K, 16K aligned */
		pd->lvl[levels - 1].bits = 11;
		pd->lvl[levels - 1].table_lg2 = 14;
	}
	for (l = 0; l < levels; l++) {
		pd->lvl[l].leaf_hw = 1;
		pd->lvl[l].leaf_contig = 1;
	}
	if (cfg->flags & PT_CFG_RISCV_NAPOT)
		pd->lvl[0].leaf_contig |= UINT32_C(1) << RV_NAPOT_LG2;
	pd->input_bits = w;
	pd->oa_last = pt_lg2_mask(56); /* 44-bit PPN */
	if (x4) {
		r[0].start = 0;
		r[0].last = pt_lg2_mask(w);
		return pt_set_ranges(pd, r, 1);
	}
	r[0].start = 0;
	r[0].last = pt_lg2_mask(w - 1);
	r[1].start = ~pt_lg2_mask(w - 1);
	r[1].last = UINT64_MAX;
	return pt_set_ranges(pd, r, 2);
}

/* iosatp (first stage) or iohgatp with GSCID 0 (x4): MODE << 60 | root PPN */
static void rv_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = RV_MODE_SV39 + (pd->levels - 3);
	out->hw_word =
		((uint64_t)out->mode << RV_ATP_MODE_SHIFT) | ((pd->root_pa >> 12) & RV_ATP_PPN);
}

const struct pt_format_desc pt_fmt_riscv = {
	.format = PT_FMT_RISCV,
	.name = "riscv",
	.init = rv_init,
	.hw_info = rv_hw_info,
	PTW_DESC_OPS,
};
