/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_arm_lpae.c - ARM VMSAv8-64 translation tables (the "LPAE" long-descriptor format) as
 * an SMMUv3 walks them: stage 1 (context descriptor TTB0/TCR) and stage 2 (STE S2TTB/VTCR),
 * with 4K, 16K and 64K granules, input sizes 32..52 bits, output sizes 32..52 bits.
 * Arm ARM (DDI 0487) chapter D8 "The AArch64 Virtual Memory System Architecture": D8.2
 * translation tables and lookup levels, D8.3 descriptor formats, D8.4 memory attributes and
 * permissions (AP, S2AP, XN), D8.6 the Contiguous bit, D8.4.x hardware management of the
 * dirty state (DBM). Facts cross-checked with Linux 6.12 io-pgtable-arm.c / arm-smmu-v3.h
 * and with QEMU's stage-2 start-level checks (the Arm pseudocode AArch64.S2InvalidSL and
 * AArch64.S2InconsistentSL).
 *
 * Levels. Arm numbers lookup levels from the top, 0..3 (-1 for the 52-bit 4K LPA2 walk),
 * level 3 being the page level. Ours count up from the leaf: our level L is Arm level 3 - L.
 * A granule of 2^g bytes holds 2^(g-3) entries, so every level resolves s = g - 3 bits:
 *   4K:  s = 9,  our levels 0..3 (4: LPA2) = Arm 3, 2, 1, 0 (-1); pages 4K, blocks 2M, 1G,
 *        512G (Arm level 0, LPA2 only)
 *   16K: s = 11, our levels 0..3 = Arm 3..0; pages 16K, blocks 32M, 64G (Arm level 1, LPA2)
 *   64K: s = 13, our levels 0..2 = Arm 3..1; pages 64K, blocks 512M, 4T (Arm level 1, only
 *        with a 52-bit output size, FEAT_LPA)
 * The top level resolves what is left of the input size: fewer bits than s (a small table),
 * or, at stage 2 only, up to s + 4 bits: 2..16 "concatenated" tables, one contiguous table
 * of up to 16 granules aligned to its size. Stage 1 starts where T0SZ puts it; stage 2
 * starts where VTCR.SL0 (and SL2) says, which must agree with T0SZ (see arm_s2_start_ok).
 *
 * Descriptor bits (block = leaf above Arm level 3, page = leaf at Arm level 3):
 *   0 valid   1 table (Arm levels < 3) / page (Arm level 3; 0 there is reserved = invalid)
 *   stage 1 leaf: 4:2 AttrIndx, 6 AP[1] (EL0 access), 7 AP[2] (read only), 9:8 SH, 10 AF,
 *                 11 nG, 51 DBM, 52 Contiguous, 53 PXN, 54 UXN
 *   stage 2 leaf: 5:2 MemAttr, 6 S2AP read, 7 S2AP write, 9:8 SH, 10 AF, 51 DBM,
 *                 52 Contiguous, 54:53 XN
 *   output / next-table address: bits 47:g; with 64K granules bits 15:12 hold OA[51:48]
 *   (FEAT_LPA); with 4K/16K and TCR.DS = 1 (FEAT_LPA2) bits 49:g hold OA[49:g] and bits 9:8
 *   hold OA[51:50], replacing SH, which then comes from TCR.SH0.
 *
 * Choices, as Linux makes them for an SMMU domain: every leaf has AF = 1 (no access-flag
 * faults, so HA is not needed for it), stage 1 leaves have nG = 1 and AP[1] = 1.
 * IOMMU_PROT_CACHE picks AttrIndx 1 (MAIR attribute 0xff, write-back) or stage-2 MemAttr
 * 0b1111 and inner shareable; otherwise AttrIndx 0 (MAIR 0x44, non-cacheable) or MemAttr
 * 0b0101 and outer shareable. IOMMU_PROT_NOEXEC sets UXN and PXN (stage 1) or XN = 0b10
 * (stage 2: not executable at any level, with or without FEAT_XNX). Table descriptors carry
 * no attributes (APTable, XNTable, NSTable all 0). A valid stage-1 leaf is always readable,
 * so a write-only request decodes as READ|WRITE; stage 2 can say write-only.
 *
 * Dirty tracking is DBM (hardware dirty-state management, TCR.HD / VTCR.HD). A domain with
 * dirty tracking ops (no PT_CFG_NO_DIRTY) runs with HA = HD = 1 for its whole life, as an
 * SMMUv3 context for a dirty-tracking domain does, and maps every writable leaf with DBM = 1
 * in the writable-clean state: stage 1 AP[2] = 1, stage 2 S2AP write = 0. The first write
 * through it makes the hardware flip that bit (AP[2] to 0, S2AP write to 1): writable-dirty.
 * Read-and-clear sets the leaf back to writable-clean. So "dirty" is DBM = 1 with write
 * permission; a read-only leaf (DBM = 0) can never be dirty. Linux maps writable leaves
 * already dirty to spare the hardware that first update; we start clean so a fresh mapping
 * is not reported. Without dirty tracking, writable leaves are plainly writable (AP[2] = 0
 * or S2AP write = 1) with DBM = 0, and HD is off.
 *
 * Contiguous hint: 2^k neighbouring entries, aligned, same attributes, each carrying its own
 * output address, mapping one naturally aligned region (Arm pseudocode ContiguousSize):
 * 4K granule 16 entries at Arm levels 1..3; 16K 32 at level 2, 128 at level 3; 64K 32 at
 * levels 2 and 3. The LPA/LPA2-only blocks have none. With DBM the hardware updates only
 * the entry it used: the walker's dirty read tests and cleans all 2^k, which is what the
 * Arm ARM asks of software.
 *
 * Traps: the walker's `lvl` is ours, not Arm's; 4K LPA2 has five levels. The top table
 * can be smaller than a granule: its allocation is still at least 4K (the arena's smallest
 * page), which more than meets the TTBR alignment rule.
 */
#include "pt/pt_int.h"

#define ARM_VALID      (UINT64_C(1) << 0)
#define ARM_TABLE      (UINT64_C(1) << 1) /* table at Arm levels < 3 */
#define ARM_PAGE       (UINT64_C(1) << 1) /* page at Arm level 3 */
#define ARM_ATTR_SHIFT 2		  /* S1 AttrIndx[2:0], S2 MemAttr[3:0] */
#define ARM_AP1	       (UINT64_C(1) << 6) /* S1: EL0 (unprivileged) access */
#define ARM_AP2	       (UINT64_C(1) << 7) /* S1: read only */
#define ARM_S2AP_R     (UINT64_C(1) << 6)
#define ARM_S2AP_W     (UINT64_C(1) << 7)
#define ARM_SH_SHIFT   8
#define ARM_AF	       (UINT64_C(1) << 10)
#define ARM_NG	       (UINT64_C(1) << 11)
#define ARM_DBM	       (UINT64_C(1) << 51)
#define ARM_CONT       (UINT64_C(1) << 52)
#define ARM_PXN	       (UINT64_C(1) << 53)
#define ARM_UXN	       (UINT64_C(1) << 54) /* S2: XN[1] */

#define ARM_ADDR_48 UINT64_C(0x0000ffffffffffff) /* OA bits 47:0 in place */
#define ARM_ADDR_50 UINT64_C(0x0003ffffffffffff) /* LPA2: OA bits 49:0 in place */
#define ARM_LPA_HI  UINT64_C(0x000000000000f000) /* 64K: bits 15:12 = OA[51:48] */
#define ARM_LPA2_HI UINT64_C(0x0000000000000300) /* LPA2: bits 9:8 = OA[51:50] */

#define ARM_SH_OS	  2
#define ARM_SH_IS	  3
#define ARM_S1_IDX_NC	  0 /* MAIR attribute 0x44: normal, non-cacheable */
#define ARM_S1_IDX_CACHE  1 /* MAIR attribute 0xff: normal, write-back RW-allocate */
#define ARM_S2_MEMATTR_NC 0x5
#define ARM_S2_MEMATTR_WB 0xf

/* TCR_EL1 / VTCR_EL2 fields (Arm ARM D19, the register descriptions) */
#define ARM_RGN_WBWA	  1
#define ARM_TCR_EPD1	  (UINT64_C(1) << 23)
#define ARM_TCR_IPS_SHIFT 32
#define ARM_TCR_HA	  (UINT64_C(1) << 39)
#define ARM_TCR_HD	  (UINT64_C(1) << 40)
#define ARM_TCR_DS	  (UINT64_C(1) << 59)
#define ARM_VTCR_PS_SHIFT 16
#define ARM_VTCR_HA	  (UINT64_C(1) << 21)
#define ARM_VTCR_HD	  (UINT64_C(1) << 22)
#define ARM_VTCR_RES1	  (UINT64_C(1) << 31)
#define ARM_VTCR_DS	  (UINT64_C(1) << 32)
#define ARM_VTCR_SL2	  (UINT64_C(1) << 33)

/* pd->fmt_word: what the accessors need, packed */
#define ARM_W_G	       UINT64_C(0x1f) /* granule lg2: 12, 14, 16 */
#define ARM_W_S2       (UINT64_C(1) << 8)
#define ARM_W_DS       (UINT64_C(1) << 9)  /* TCR.DS: FEAT_LPA2 descriptors */
#define ARM_W_DBM      (UINT64_C(1) << 10) /* dirty tracking: DBM leaves, HA = HD = 1 */
#define ARM_W_OA_SHIFT 16		   /* output bits */

#define PTF_BIG_ENDIAN 0

static inline unsigned int arm_g(const struct pt_domain *pd)
{
	return (unsigned int)(pd->fmt_word & ARM_W_G);
}

/* A granule-aligned address into the descriptor's address bits, and back. */
static inline uint64_t arm_pack(const struct pt_domain *pd, uint64_t pa)
{
	uint64_t low = ~pt_lg2_mask(arm_g(pd));

	if (arm_g(pd) == 16)
		return (pa & ARM_ADDR_48 & low) | ((pa >> 36) & ARM_LPA_HI);
	if (pd->fmt_word & ARM_W_DS)
		return (pa & ARM_ADDR_50 & low) | ((pa >> 42) & ARM_LPA2_HI);
	return pa & ARM_ADDR_48 & low;
}

static inline uint64_t arm_unpack(const struct pt_domain *pd, uint64_t e)
{
	uint64_t low = ~pt_lg2_mask(arm_g(pd));

	if (arm_g(pd) == 16)
		return (e & ARM_ADDR_48 & low) | ((e & ARM_LPA_HI) << 36);
	if (pd->fmt_word & ARM_W_DS)
		return (e & ARM_ADDR_50 & low) | ((e & ARM_LPA2_HI) << 42);
	return e & ARM_ADDR_48 & low;
}

/*
 * log2 of the entries the Contiguous bit joins at our level lvl (Arm level 3 - lvl), 0 where
 * it joins none: the blocks that exist only with LPA or LPA2 (4K Arm level 0, 16K and 64K
 * Arm level 1) have no contiguous form.
 */
static inline unsigned int arm_contig_lg2(unsigned int g, unsigned int lvl)
{
	if (g == 12)
		return lvl <= 2 ? 4 : 0;
	if (g == 14)
		return lvl == 0 ? 7 : (lvl == 1 ? 5 : 0);
	return lvl <= 1 ? 5 : 0;
}

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	if (!(e & ARM_VALID))
		return PT_ENTRY_EMPTY;
	if (!lvl) /* bits 1:0 = 01 at Arm level 3 is reserved: the walk faults */
		return (e & ARM_PAGE) ? PT_ENTRY_LEAF : PT_ENTRY_EMPTY;
	if (e & ARM_TABLE)
		return PT_ENTRY_TABLE;
	/* a block where the granule allows none faults like an invalid entry */
	return pd->lvl[lvl].leaf_hw ? PT_ENTRY_LEAF : PT_ENTRY_EMPTY;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)lvl;
	return arm_unpack(pd, e);
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)lvl;
	return arm_pack(pd, pa) | ARM_VALID | ARM_TABLE;
}

static inline unsigned int ptf_leaf_contig_lg2(const struct pt_domain *pd, uint64_t e,
					       unsigned int lvl)
{
	unsigned int k;

	if (!(e & ARM_CONT))
		return 0;
	k = arm_contig_lg2(arm_g(pd), lvl);
	return k <= pd->lvl[lvl].bits ? k : 0; /* none here, or a top table too small */
}

static inline uint64_t ptf_leaf_oa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	return arm_unpack(pd, e) & ~pt_lg2_mask(pd->lvl[lvl].shift);
}

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	uint64_t w = pd->fmt_word;
	bool cache = prot & IOMMU_PROT_CACHE;
	uint64_t e = arm_pack(pd, pa + ((uint64_t)i << pd->lvl[lvl].shift)) | ARM_VALID | ARM_AF;

	if (!lvl)
		e |= ARM_PAGE;
	if (k)
		e |= ARM_CONT;
	if (!(w & ARM_W_DS))
		e |= (uint64_t)(cache ? ARM_SH_IS : ARM_SH_OS) << ARM_SH_SHIFT;
	if (w & ARM_W_S2) {
		e |= (uint64_t)(cache ? ARM_S2_MEMATTR_WB : ARM_S2_MEMATTR_NC) << ARM_ATTR_SHIFT;
		if (prot & IOMMU_PROT_READ)
			e |= ARM_S2AP_R;
		if (prot & IOMMU_PROT_WRITE)
			e |= (w & ARM_W_DBM) ? ARM_DBM : ARM_S2AP_W; /* clean, or plain writable */
		if (prot & IOMMU_PROT_NOEXEC)
			e |= ARM_UXN; /* XN = 0b10 */
	} else {
		e |= ARM_NG | ARM_AP1;
		e |= (uint64_t)(cache ? ARM_S1_IDX_CACHE : ARM_S1_IDX_NC) << ARM_ATTR_SHIFT;
		if (!(prot & IOMMU_PROT_WRITE))
			e |= ARM_AP2;
		else if (w & ARM_W_DBM)
			e |= ARM_AP2 | ARM_DBM; /* writable-clean */
		if (prot & IOMMU_PROT_NOEXEC)
			e |= ARM_UXN | ARM_PXN;
	}
	return e;
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	uint64_t attr = (e >> ARM_ATTR_SHIFT) & 0xf;
	int prot = 0;

	(void)lvl;
	if (pd->fmt_word & ARM_W_S2) {
		if (e & ARM_S2AP_R)
			prot |= IOMMU_PROT_READ;
		if (e & (ARM_S2AP_W | ARM_DBM))
			prot |= IOMMU_PROT_WRITE;
		if (attr == ARM_S2_MEMATTR_WB)
			prot |= IOMMU_PROT_CACHE;
		if (e & ARM_UXN)
			prot |= IOMMU_PROT_NOEXEC;
	} else {
		prot = IOMMU_PROT_READ;
		if (!(e & ARM_AP2) || (e & ARM_DBM))
			prot |= IOMMU_PROT_WRITE;
		if ((attr & 7) == ARM_S1_IDX_CACHE)
			prot |= IOMMU_PROT_CACHE;
		if ((e & (ARM_UXN | ARM_PXN)) == (ARM_UXN | ARM_PXN))
			prot |= IOMMU_PROT_NOEXEC;
	}
	return prot;
}

/* The write-permission bit that DBM hands to the hardware: set = may write. */
static inline bool arm_may_write(const struct pt_domain *pd, uint64_t e)
{
	return (pd->fmt_word & ARM_W_S2) ? (e & ARM_S2AP_W) : !(e & ARM_AP2);
}

static inline uint64_t arm_grant_write(const struct pt_domain *pd, uint64_t e)
{
	return (pd->fmt_word & ARM_W_S2) ? (e | ARM_S2AP_W) : (e & ~ARM_AP2);
}

static inline bool ptf_leaf_dirty(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)lvl;
	return (e & ARM_DBM) && arm_may_write(pd, e);
}

static inline uint64_t ptf_mk_dirty(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)lvl;
	return (e & ARM_DBM) ? arm_grant_write(pd, e) : e; /* read only: cannot be dirty */
}

static inline uint64_t ptf_mk_clean(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)lvl;
	if (!(e & ARM_DBM))
		return e;
	return (pd->fmt_word & ARM_W_S2) ? (e & ~ARM_S2AP_W) : (e | ARM_AP2);
}

/*
 * A DMA write: tables have nothing to update (AF is only in leaves, and preset). A leaf
 * that grants write passes unchanged; a writable-clean one (DBM, HD on for the domain's
 * life) becomes dirty; anything else is a permission fault.
 */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)lvl;
	*out = e;
	if (kind != PT_ENTRY_LEAF || arm_may_write(pd, e))
		return 0;
	if (!(e & ARM_DBM) || !(pd->fmt_word & ARM_W_DBM))
		return -EACCES;
	*out = arm_grant_write(pd, e);
	return 0;
}

#include "pt/pt_walk.h"

/* The PS / IPS encoding of an output size, or -1. */
static int arm_ps(unsigned int oa)
{
	static const unsigned char sizes[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes); i++)
		if (sizes[i] == oa)
			return (int)i;
	return -1;
}

/*
 * May a stage-2 walk start at Arm level `start` (-1..3) for this input and output size?
 * AArch64.S2InconsistentSL: the start level resolves between 1 and s + 4 bits (up to 16
 * concatenated tables). AArch64.S2InvalidSL: which levels SL0/SL2 can name per granule,
 * and the output sizes some of them need. A 4K walk starting at level 3 (SL0 = 3) needs
 * FEAT_TTST: not modelled. 16K and 64K walks may start at level 3 (SL0 = 0).
 */
static bool arm_s2_start_ok(unsigned int g, int start, unsigned int ia, unsigned int oa, bool ds)
{
	unsigned int s = g - 3, below = (unsigned int)(3 - start) * s + g;

	if (start < -1 || start > 3 || ia <= below || ia - below > s + 4)
		return false;
	switch (g) {
	case 12:
		if (start == -1)
			return ds;
		return start != 3 && (start != 0 || oa >= 44);
	case 14:
		if (start == 0)
			return ds;
		return start != 1 || oa >= 42;
	default:
		if (start == 0 || start == -1)
			return false;
		return start != 1 || oa >= 44;
	}
}

/* Can Arm level `alvl` hold blocks (AArch64.BlockDescSupported)? Level 3 holds pages. */
static bool arm_block_ok(unsigned int g, int alvl, bool ds, unsigned int oa)
{
	if (alvl >= 2)
		return true;
	if (alvl == 1)
		return g == 12 || (g == 14 && ds) || (g == 16 && oa == 52);
	return alvl == 0 && g == 12 && ds;
}

static int arm_init(struct pt_domain *pd)
{
	const struct pt_config *cfg = &pd->cfg;
	bool s2 = cfg->flags & PT_CFG_ARM_S2, ds;
	unsigned int granule = cfg->granule ? cfg->granule : 4096;
	unsigned int ia = cfg->input_bits ? cfg->input_bits : 48, oa, g, s, levels, top, l;
	struct iommu_iova_range r;

	if (granule != 4096 && granule != 16384 && granule != 65536)
		return -EINVAL;
	g = (unsigned int)__builtin_ctz(granule);
	s = g - 3;
	oa = cfg->oa_bits ? cfg->oa_bits : (ia > 48 ? 52 : 48);
	if (ia < 32 || ia > 52 || arm_ps(oa) < 0)
		return -EINVAL;
	/* 4K and 16K need FEAT_LPA2 (TCR.DS) beyond 48 bits; 64K has LVA and LPA instead */
	ds = g != 16 && (ia > 48 || oa > 48);

	if (!s2) {
		levels = (ia - g + s - 1) / s;
		if (cfg->levels && cfg->levels != levels)
			return -EINVAL;
	} else {
		if (ia > oa) /* an IPA wider than PS is CONSTRAINED UNPREDICTABLE */
			return -EINVAL;
		levels = cfg->levels;
		if (!levels) /* the shortest walk: as many concatenated tables as allowed */
			for (levels = 1; levels <= 5; levels++)
				if (arm_s2_start_ok(g, 4 - (int)levels, ia, oa, ds))
					break;
		if (levels > 5 || !arm_s2_start_ok(g, 4 - (int)levels, ia, oa, ds))
			return -EINVAL;
	}
	if (levels < 1 || levels > PT_MAX_LEVELS)
		return -EINVAL;
	top = ia - g - s * (levels - 1);

	pt_geom_uniform(pd, levels, g, s, g);
	pd->lvl[levels - 1].bits = (uint8_t)top;
	pd->lvl[levels - 1].table_lg2 = (uint8_t)(top + 3 < 12 ? 12 : top + 3);
	for (l = 0; l < levels; l++) {
		unsigned int k = arm_contig_lg2(g, l);

		if (!arm_block_ok(g, 3 - (int)l, ds, oa))
			continue;
		pd->lvl[l].leaf_hw = 1;
		pd->lvl[l].leaf_contig = 1;
		if (k && k <= pd->lvl[l].bits)
			pd->lvl[l].leaf_contig |= UINT32_C(1) << k;
	}
	pd->input_bits = ia;
	pd->oa_last = pt_lg2_mask(oa);
	pd->fmt_word = g | (s2 ? ARM_W_S2 : 0) | (ds ? ARM_W_DS : 0) |
		       ((cfg->flags & PT_CFG_NO_DIRTY) ? 0 : ARM_W_DBM) |
		       ((uint64_t)oa << ARM_W_OA_SHIFT);
	r.start = 0;
	r.last = pt_lg2_mask(ia);
	return pt_set_ranges(pd, &r, 1);
}

/*
 * The translation control register a model programs beside TTBR0 / VTTBR (= root_pa: host
 * addresses are below 2^48, so the 52-bit BADDR packing into bits 5:2 changes nothing).
 * Table walks are cacheable and inner shareable (IRGN = ORGN = WBWA, SH = IS), as for a
 * coherent SMMU. Stage 1 is TCR_EL1 with only TTBR0 in use (EPD1 = 1); the SMMUv3 CD holds
 * the same fields at other positions. Stage 2 is VTCR_EL2; its bits 18:0 are STE.S2VTCR.
 */
static void arm_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	uint64_t w = pd->fmt_word, tg, v;
	unsigned int g = arm_g(pd), t0sz = 64 - pd->input_bits;
	uint64_t ps = (uint64_t)arm_ps((unsigned int)(w >> ARM_W_OA_SHIFT));
	bool dbm = w & ARM_W_DBM, ds = w & ARM_W_DS;

	tg = g == 12 ? 0 : (g == 16 ? 1 : 2); /* TG0: 4K 0b00, 64K 0b01, 16K 0b10 */
	v = t0sz | (ARM_RGN_WBWA << 8) | (ARM_RGN_WBWA << 10) | ((uint64_t)ARM_SH_IS << 12) |
	    (tg << 14);
	if (w & ARM_W_S2) {
		int start = 4 - (int)pd->levels;
		unsigned int sl0, sl2 = start < 0;

		sl0 = g == 12 ? (sl2 ? 0 : (unsigned int)(2 - start)) : (unsigned int)(3 - start);
		v |= ((uint64_t)sl0 << 6) | (ps << ARM_VTCR_PS_SHIFT) | ARM_VTCR_RES1;
		if (dbm)
			v |= ARM_VTCR_HA | ARM_VTCR_HD;
		if (ds)
			v |= ARM_VTCR_DS;
		if (sl2)
			v |= ARM_VTCR_SL2;
		out->mode = sl0 | sl2 << 2;
	} else {
		v |= ARM_TCR_EPD1 | (ps << ARM_TCR_IPS_SHIFT);
		if (dbm)
			v |= ARM_TCR_HA | ARM_TCR_HD;
		if (ds)
			v |= ARM_TCR_DS;
		out->mode = t0sz;
	}
	out->hw_word = v;
}

const struct pt_format_desc pt_fmt_arm_lpae = {
	.format = PT_FMT_ARM_LPAE,
	.name = "arm_lpae",
	.init = arm_init,
	.hw_info = arm_hw_info,
	PTW_DESC_OPS,
};
