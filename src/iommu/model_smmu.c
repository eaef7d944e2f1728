/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_smmu.c - the ARM SMMUv3's own structures: a Stream Table Entry's stage-1 fields and
 * the context descriptor (CD) table they name, linear or two-level, read the way the SMMU
 * fetches them.
 *
 * What it owns: smmu_ste_check() (what a guest may put in the STE of a nested HWPT),
 * smmu_ste_decode() (a whole STE with its stage-2 fields), the STE of a stage-2 device
 * (below: stage 2 alone, or a guest's stage 1 merged over it) and
 * smmu_cd_fetch() (STE + SubstreamID -> the CD that governs the request, or the fault the
 * SMMU would record). The LPAE stage-1 walk of the CD's TTB0 and the stage 2 underneath
 * belong to nested.c; every structure read here goes through the caller's reader, so the
 * same code reads a native table or a guest's table through stage 2.
 *
 * Formats (SMMUv3 architecture, STE and CD chapters):
 *   STE word 0: V (0), Config (3:1: 0b000 abort, 0b100 bypass, 0b101 stage 1), S1Fmt (5:4),
 *     S1ContextPtr (51:6), S1CDMax (63:59: log2 of the number of CDs, 0 = no substreams).
 *   STE word 1: S1DSS (1:0): what a request without a SubstreamID does when S1CDMax != 0:
 *     0b00 terminate, 0b01 bypass stage 1, 0b10 use CD 0 (and SSID 0 is then invalid).
 *   S1Fmt 0b00: a linear table of 2^S1CDMax CDs at S1ContextPtr.
 *   S1Fmt 0b01 / 0b10: two levels. S1ContextPtr is a table of 8-byte L1 descriptors, one per
 *     2^6 (4 KiB leaf) or 2^10 (64 KiB leaf) SubstreamIDs: L1Desc.V (0), L1Desc.L2Ptr (51:12)
 *     the address of a leaf table of 64-byte CDs. (The L1 CD descriptor has no span field:
 *     the leaf's size is S1Fmt's; the span field belongs to the L1 stream table descriptor.)
 *   CD (64 bytes; words 0 and 1 read): T0SZ (5:0), TG0 (7:6), EPD0 (14), V (31), IPS
 *     (34:32), AA64 (41), HD (42), HA (43); TTB0 (word 1, 55:4).
 *
 * Faults, as the SMMU records them (event names in brackets) and as they reach the program
 * (enum iommu_fault_type, level IOMMU_FAULT_CTX_*): an STE that is not valid or aborts
 * [C_BAD_STE / abort] not present at the device level; a SubstreamID at or beyond 2^S1CDMax,
 * or an SSID-less request under S1DSS terminate [C_BAD_SUBSTREAMID] not present at the PASID
 * level; an L1 descriptor with V clear [C_BAD_SUBSTREAMID] not present at the directory
 * level; a CD with V clear [C_BAD_CD] not present, a CD with a reserved TG0 or IPS, a T0SZ out
 * of range or AA64 clear (AArch32 tables are not modelled) [C_BAD_CD] bad context, both at the
 * PASID level; a structure read that stage 2 refuses [F_TRANSLATION, class CD] a stage-2 fault
 * with the IPA of the structure. Natively, an S1ContextPtr or L2Ptr that names nothing
 * (iommu/phys.h: a forged pointer, a name past a region) is a bad context at the level of the
 * entry holding it (device, directory) [F_CD_FETCH], nothing read. Nothing here reads beyond a
 * table the STE sizes.
 *
 * Host structures (a stage-1 device's STE, its L1 table and CD leaves; a stage-2 device's
 * STE) live in the structure arena (hwctx.c): every address they hold and root_pa are names.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"

#define STE0_V		 (UINT64_C(1) << 0)
#define STE0_CFG_SHIFT	 1
#define STE0_S1FMT_SHIFT 4
#define STE0_CTXPTR_MASK UINT64_C(0x000fffffffffffc0) /* 51:6 */
#define STE0_CDMAX_SHIFT 59
#define STE0_ALLOWED                                                  \
	(STE0_V | UINT64_C(0xe) | UINT64_C(0x30) | STE0_CTXPTR_MASK | \
	 (UINT64_C(0x1f) << STE0_CDMAX_SHIFT))
#define STE1_S1DSS_MASK UINT64_C(0x3)
#define STE1_EATS_SHIFT 28
#define STE1_ALLOWED	(UINT64_C(0xff) | (UINT64_C(1) << 27) | (UINT64_C(3) << STE1_EATS_SHIFT))
#define STE_CFG_ABORT	0
#define STE_CFG_BYPASS	4
#define STE_CFG_S1	5
#define S1DSS_TERMINATE 0
#define S1DSS_BYPASS	1
#define S1DSS_SSID0	2

#define S1FMT_LINEAR 0
#define S1FMT_L2_4K  1 /* 64 CDs per leaf */
#define S1FMT_L2_64K 2 /* 1024 CDs per leaf */

#define L1CD_V	      (UINT64_C(1) << 0)
#define L1CD_L2PTR    UINT64_C(0x000ffffffffff000) /* 51:12 */
#define L1CD_RESERVED (UINT64_C(0xfff) & ~L1CD_V)

#define CD0_T0SZ_MASK 0x3fu
#define CD0_TG0_SHIFT 6
#define CD0_EPD0      (UINT64_C(1) << 14)
#define CD0_V	      (UINT64_C(1) << 31)
#define CD0_IPS_SHIFT 32
#define CD0_AA64      (UINT64_C(1) << 41)
#define CD0_HD	      (UINT64_C(1) << 42)
#define CD1_TTB0_MASK UINT64_C(0x00fffffffffffff0)
#define CD_BYTES      64

int smmu_ste_check(uint64_t ste[2])
{
	unsigned int cfg, eats;

	if (!(ste[0] & STE0_V)) {
		ste[0] = ste[1] = 0; /* an invalid STE is an abort */
		return 0;
	}
	if ((ste[0] & ~STE0_ALLOWED) || (ste[1] & ~STE1_ALLOWED))
		return -EIO;
	cfg = (unsigned int)(ste[0] >> STE0_CFG_SHIFT) & 7;
	if (cfg != STE_CFG_ABORT && cfg != STE_CFG_BYPASS && cfg != STE_CFG_S1)
		return -EIO;
	eats = (unsigned int)(ste[1] >> STE1_EATS_SHIFT) & 3;
	if (eats > 1)
		return -EIO;
	return 0;
}

/*
 * Read the 8 bytes at pa through rd; a reader's fault (stage 2) becomes *f. Natively pa is a
 * name: one that resolves to nothing (a forged host pointer, a stale or out-of-region name) is
 * a bad context at level, never a read.
 */
int iommu_ctx_read(const struct pt_reader *rd, uint64_t pa, unsigned int level, uint64_t iova,
		   uint64_t *out, struct iommu_fault *f)
{
	struct pt_walk_result r = { 0 };
	uint64_t *p;

	if (!rd) {
		p = (pa & 7) ? NULL : iommu_phys_resolve(pa, 8);
		if (!p)
			return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, level, iova);
	} else {
		p = rd->entry(rd, pa, PT_ACC_READ, &r);
		if (!p) {
			iommu_fault_from_pt(&r, 2, f);
			return -EFAULT;
		}
	}
	*out = le64toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	return 0;
}

int smmu_cd_fetch(const struct pt_reader *rd, const uint64_t ste[2], uint32_t pasid, uint64_t iova,
		  struct smmu_cd *out, struct iommu_fault *f)
{
	static const uint8_t ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	static const uint8_t tg0_lg2[4] = { 12, 16, 14, 0 };
	unsigned int cfg = (unsigned int)(ste[0] >> STE0_CFG_SHIFT) & 7;
	unsigned int cdmax = (unsigned int)(ste[0] >> STE0_CDMAX_SHIFT) & 0x1f;
	unsigned int fmt = (unsigned int)(ste[0] >> STE0_S1FMT_SHIFT) & 3;
	unsigned int dss = (unsigned int)(ste[1] & STE1_S1DSS_MASK), t0sz;
	uint64_t table = ste[0] & STE0_CTXPTR_MASK, cd_pa, cd[2];
	unsigned int cd_holder = IOMMU_FAULT_CTX_DEVICE; /* the entry naming the CD */
	uint32_t ssid = pasid;

	memset(out, 0, sizeof(*out));
	if (!(ste[0] & STE0_V) || cfg == STE_CFG_ABORT)
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_DEVICE, iova);
	if (cfg == STE_CFG_BYPASS) {
		out->bypass = true;
		return 0;
	}
	if (pasid == IOMMU_NO_PASID && cdmax) {
		if (dss == S1DSS_BYPASS) {
			out->bypass = true;
			return 0;
		}
		if (dss != S1DSS_SSID0)
			return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID,
					       iova);
	} else if (pasid != IOMMU_NO_PASID) {
		if (!cdmax || pasid >= (UINT32_C(1) << cdmax))
			return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID,
					       iova);
	}
	if (fmt == S1FMT_LINEAR || !cdmax) {
		cd_pa = table + (uint64_t)ssid * CD_BYTES;
	} else if (fmt == S1FMT_L2_4K || fmt == S1FMT_L2_64K) {
		unsigned int split = fmt == S1FMT_L2_4K ? 6 : 10;
		uint64_t l1;
		int rc = iommu_ctx_read(rd, table + (uint64_t)(ssid >> split) * 8,
					IOMMU_FAULT_CTX_DEVICE, iova, &l1, f);

		if (rc)
			return rc;
		if (!(l1 & L1CD_V))
			return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT,
					       IOMMU_FAULT_CTX_PASID_DIR, iova);
		if (l1 & L1CD_RESERVED)
			return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID_DIR,
					       iova);
		cd_holder = IOMMU_FAULT_CTX_PASID_DIR;
		cd_pa = (l1 & L1CD_L2PTR) +
			(uint64_t)(ssid & ((UINT32_C(1) << split) - 1)) * CD_BYTES;
	} else {
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	}
	for (unsigned int w = 0; w < 2; w++) {
		int rc = iommu_ctx_read(rd, cd_pa + w * 8, cd_holder, iova, &cd[w], f);

		if (rc)
			return rc;
	}
	if (!(cd[0] & CD0_V))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	out->granule_lg2 = tg0_lg2[(cd[0] >> CD0_TG0_SHIFT) & 3];
	out->oa_bits = ips_bits[(cd[0] >> CD0_IPS_SHIFT) & 7];
	t0sz = (unsigned int)(cd[0] & CD0_T0SZ_MASK);
	if (!(cd[0] & CD0_AA64) || !out->granule_lg2 || !out->oa_bits || t0sz < 12 || t0sz > 39)
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if (cd[0] & CD0_EPD0) /* TTB0 walks disabled: a translation fault of stage 1 */
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, 0, iova);
	out->ia_bits = 64 - t0sz;
	out->hd = cd[0] & CD0_HD;
	out->ttb0 = cd[1] & CD1_TTB0_MASK;
	out->asid = (uint16_t)(cd[0] >> 48);
	out->cd_pa = cd_pa;
	return 0;
}

/* ---- the host's structures for one stage-1 device -------------------------------------------- */

/*
 * A stage-1 SMMUv3 device ("arm-s1-*"): its STE (Config stage 1, S1Fmt 0b01: a two-level CD
 * table with 64-CD leaves, S1CDMax the device's PASID width, S1DSS 0b10 so requests without
 * a SubstreamID use CD 0) and the CDs written on attach, replace and detach of each PASID
 * (T0SZ, TG0, IPS, AA64, HD, ASID = the low 16 bits of the IOTLB tag; TTB0 the domain's
 * root). HD is set when the domain was made with dirty tracking and, as in Linux 6.12's
 * driver, never rewritten by a toggle; the walk sets dirty bits when the CD's HD says so. Every
 * walk reads them through smmu_cd_fetch, as a guest's are read. A nested HWPT on such a device is
 * not written here: its guest STE is the structure, and the walk is the nested kind's
 * (smmu_hw.nested).
 */
struct smmu_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	    /* atomic: odd while a CD is being rewritten */
	uint8_t nested;	    /* atomic: the RID is on a nested HWPT (its own STE) */
	unsigned int cdmax; /* log2 of the CDs */
	uint64_t ste[2];    /* CPU order */
	uint64_t *l1;	    /* 2^(cdmax - 6) L1 descriptors */
};

static const uint8_t smmu_ips_code[] = {
	[32] = 0, [36] = 1, [40] = 2, [42] = 3, [44] = 4, [48] = 5, [52] = 6
};

static unsigned int smmu_ia_bits(const struct iommu_domain *d)
{
	struct pt_hw_info hi;

	return pt_domain_hw_info(d, &hi) ? 0 : hi.input_bits;
}

/* The CD of ssid in the host's table (its leaf made if make), or NULL. */
static uint64_t *smmu_host_cd(struct smmu_hw *h, uint32_t ssid, bool make)
{
	uint64_t *d = &h->l1[ssid >> 6], v = le64toh(*d), *leaf;

	if (!(v & L1CD_V)) {
		if (!make || !(leaf = iommu_ctx_table_alloc_for(&h->hw, 4096)))
			return NULL;
		iommu_store_le(d, iommu_ctx_name(leaf) | L1CD_V);
		v = le64toh(*d);
	}
	leaf = iommu_ctx_host(v & L1CD_L2PTR, 4096); /* NULL: an entry edited behind us */
	return leaf ? leaf + (ssid & 63) * (CD_BYTES / 8) : NULL;
}

static int smmu_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct smmu_hw *h = (struct smmu_hw *)hw;
	uint64_t w0 = 0, w1 = 0, *cd;

	if (pasid >> h->cdmax)
		return -EINVAL;
	if (x && x->s1_type) { /* a guest STE: the nested kind walks it */
		if (pasid == IOMMU_NO_PASID)
			__atomic_store_n(&h->nested, 1, __ATOMIC_RELEASE);
		x = NULL;
	} else if (pasid == IOMMU_NO_PASID) {
		__atomic_store_n(&h->nested, 0, __ATOMIC_RELEASE);
	}
	if (x) {
		const struct pt_config *c = pt_domain_config(x->s2);
		unsigned int tg0 = c->granule == 65536 ? 1 : c->granule == 16384 ? 2 : 0;
		unsigned int oa = c->oa_bits ? c->oa_bits : 48;

		if (c->format != PT_FMT_ARM_LPAE || (c->flags & PT_CFG_ARM_S2) || oa > 52)
			return -EINVAL;
		w0 = (64 - smmu_ia_bits(x->s2)) | (uint64_t)tg0 << CD0_TG0_SHIFT | CD0_V |
		     (uint64_t)smmu_ips_code[oa] << CD0_IPS_SHIFT | CD0_AA64 |
		     (c->flags & PT_CFG_NO_DIRTY ? 0 : CD0_HD) | (uint64_t)(x->tag & 0xffff) << 48;
		w1 = pt_domain_root_pa(x->s2) & CD1_TTB0_MASK;
	}
	cd = smmu_host_cd(h, pasid, x != NULL);
	if (!cd)
		return x ? -ENOMEM : 0;
	iommu_seq_write_begin(&h->seq);
	iommu_store_le(&cd[1], w1);
	iommu_store_le(&cd[0], w0);
	iommu_seq_write_end(&h->seq);
	return 0;
}

static int smmu_host_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid,
			  uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			  struct iommu_fault *fault)
{
	struct smmu_hw *h = (struct smmu_hw *)hw;
	const struct pt_config *c = pt_domain_config(x->s2);
	unsigned int spins = 0;
	struct smmu_cd cd;
	uint32_t s;
	int rc;

	if (x->s1_type)
		return x->ops->walk(x, pasid, iova, access, out, fault);
	if (pasid == IOMMU_NO_PASID && __atomic_load_n(&h->nested, __ATOMIC_ACQUIRE)) {
		iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
		return -EAGAIN; /* the slot is leaving a nested HWPT */
	}
	do {
		s = iommu_seq_read_begin(&h->seq, &spins);
		rc = smmu_cd_fetch(NULL, h->ste, pasid, iova, &cd, fault);
	} while (iommu_seq_read_retry(&h->seq, s, &spins));
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT ? -EAGAIN : rc;
	if (cd.bypass || cd.ttb0 != pt_domain_root_pa(x->s2) || cd.asid != (x->tag & 0xffff)) {
		iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
		return -EAGAIN;
	}
	if ((1u << cd.granule_lg2) != c->granule || cd.ia_bits != smmu_ia_bits(x->s2))
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	return iommu_walk_root(x, cd.ttb0, iova, access, cd.hd, out, fault);
}

static void smmu_hw_release(struct iommu_hwctx *hw)
{
	struct smmu_hw *h = (struct smmu_hw *)hw;

	iommu_ctx_tables_free(h->l1, (size_t)1 << (h->cdmax - 6), L1CD_V, L1CD_L2PTR);
}

static const struct iommu_hwctx_ops smmu_hwctx_ops = {
	.name = "smmuv3",
	.program = smmu_program,
	.walk = smmu_host_walk,
	.release = smmu_hw_release,
};

int iommu_smmu_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	unsigned int cdmax = pasid_bits < 7 ? 7 : pasid_bits > 20 ? 20 : pasid_bits;
	struct smmu_hw *h = IOMMU_HWCTX_ALLOC(struct smmu_hw, &smmu_hwctx_ops, ste);

	if (!h)
		return -ENOMEM;
	h->cdmax = cdmax;
	h->l1 = iommu_ctx_table_alloc((size_t)8 << (cdmax - 6));
	if (!h->l1) {
		iommu_hwctx_free(&h->hw);
		return -ENOMEM;
	}
	h->ste[0] = STE0_V | (uint64_t)STE_CFG_S1 << STE0_CFG_SHIFT |
		    (uint64_t)S1FMT_L2_4K << STE0_S1FMT_SHIFT | iommu_ctx_name(h->l1) |
		    (uint64_t)cdmax << STE0_CDMAX_SHIFT;
	h->ste[1] = S1DSS_SSID0;
	*out = &h->hw;
	return 0;
}

/* ---- the whole STE: stage 2, and stage 1 over stage 2 ---------------------------------------- */

/*
 * STE words 2 and 3 (SMMUv3 architecture, STE chapter): S2VMID (word 2, 15:0), S2VTCR (50:32:
 * S2T0SZ 5:0, S2SL0 7:6, S2IR0 9:8, S2OR0 11:10, S2SH0 13:12, S2TG 15:14 (0b00 4K, 0b01 64K,
 * 0b10 16K), S2PS 18:16 (as IPS)), S2AA64 (51), S2ENDI (52), S2AFFD (53), S2PTW (54), S2HD
 * (55), S2HA (56), S2S (57), S2R (58); S2TTB (word 3, 51:4). Config 0b110 walks stage 2 alone;
 * 0b111 (nested) reads the CD table named by the stage-1 fields of words 0 and 1 through
 * stage 2, then walks stage 1 and stage 2. Config 0b001..0b011 are reserved.
 *
 * Faults [C_BAD_STE]: a reserved Config, S2TG 0b11, S2PS 0b111, a S2T0SZ outside 12..40,
 * S2AA64 clear (AArch32 stage-2 tables are not modelled), S2ENDI set (big-endian tables are
 * not modelled): a bad context at the device level. S2SL0 is checked against the attached
 * domain's (an STE whose stage-2 geometry is not the table's is a bad context too).
 */
#define STE2_VMID_MASK	UINT64_C(0xffff)
#define STE2_VTCR_SHIFT 32
#define STE2_VTCR_MASK	UINT64_C(0x7ffff)
#define STE2_S2AA64	(UINT64_C(1) << 51)
#define STE2_S2ENDI	(UINT64_C(1) << 52)
#define STE2_S2PTW	(UINT64_C(1) << 54)
#define STE2_S2HD	(UINT64_C(1) << 55)
#define STE2_S2HA	(UINT64_C(1) << 56)
#define STE2_S2R	(UINT64_C(1) << 58)
#define STE3_S2TTB_MASK UINT64_C(0x000ffffffffffff0)
#define STE0_CFG_MASK	(UINT64_C(7) << STE0_CFG_SHIFT)
#define STE0_S1_FIELDS	(UINT64_C(0x30) | STE0_CTXPTR_MASK | (UINT64_C(0x1f) << STE0_CDMAX_SHIFT))

int smmu_ste_decode(const struct pt_reader *rd, uint64_t ste_pa, uint64_t iova,
		    struct smmu_ste *out, struct iommu_fault *f)
{
	static const uint8_t ps_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	static const uint8_t tg_lg2[4] = { 12, 16, 14, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < 4; i++)
		if ((rc = iommu_ctx_read(rd, ste_pa + i * 8, IOMMU_FAULT_CTX_DEVICE, iova,
					 &out->w[i], f)))
			return rc;
	out->cfg = (unsigned int)(out->w[0] >> STE0_CFG_SHIFT) & 7;
	if (!(out->w[0] & STE0_V) || out->cfg == SMMU_CFG_ABORT)
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_DEVICE, iova);
	if (out->cfg < SMMU_CFG_BYPASS)
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	if (out->cfg < SMMU_CFG_S2)
		return 0;
	out->vmid = (uint16_t)(out->w[2] & STE2_VMID_MASK);
	out->s2vtcr = (uint32_t)((out->w[2] >> STE2_VTCR_SHIFT) & STE2_VTCR_MASK);
	out->s2t0sz = out->s2vtcr & 0x3f;
	out->s2sl0 = (out->s2vtcr >> 6) & 3;
	out->s2tg_lg2 = tg_lg2[(out->s2vtcr >> 14) & 3];
	out->s2ps_bits = ps_bits[(out->s2vtcr >> 16) & 7];
	out->s2aa64 = out->w[2] & STE2_S2AA64;
	out->s2ha = out->w[2] & STE2_S2HA;
	out->s2hd = out->w[2] & STE2_S2HD;
	out->s2r = out->w[2] & STE2_S2R;
	out->s2ttb = out->w[3] & STE3_S2TTB_MASK;
	if (!out->s2tg_lg2 || !out->s2ps_bits || out->s2t0sz < 12 || out->s2t0sz > 40 ||
	    !out->s2aa64 || (out->w[2] & STE2_S2ENDI))
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	return 0;
}

/*
 * A stage-2 SMMUv3 device ("arm-s2-*"): its STE, written on attach, replace and detach of
 * the RID. A paging HWPT: Config stage 2 (0b110), S2VMID = the low 16 bits of the IOTLB tag,
 * S2VTCR the domain's VTCR_EL2 bits 18:0, S2AA64, S2R, S2HA/S2HD while the domain tracks
 * dirty pages (rewritten when it is toggled: iommu_domain_resync; the stage-2 walk sets dirty
 * bits only with S2HD), S2TTB its root. A nested HWPT of IOMMU_HWPT_DATA_ARM_SMMUV3: the guest's
 * STE merged with the parent's stage 2 as the kernel makes it: the guest's abort stays abort, its
 * bypass becomes stage 2 alone, its stage 1 becomes nested (0b111) with the guest's S1Fmt,
 * S1ContextPtr, S1CDMax and word 1 (S1DSS, EATS ...), and S2PTW set. Every miss reads the STE and
 * walks what it says: the nested walk (nested.c) takes the stage-1 fields from this STE, not from
 * the HWPT's copy. A PASID attached on its own to a paging HWPT is refused at attach with EINVAL,
 * the kernel's answer (Linux 6.12 arm_smmu_s1_set_dev_pasid: the domain is not stage 1; a
 * stage-2 STE has no CD table to hold the PASID).
 */
struct smmu_s2_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	 /* atomic: odd while the STE is being rewritten */
	uint64_t ste[8]; /* little-endian, as the stream table holds it (words 4-7 unused) */
};

/* The Config x's STE has: stage 2, or what the guest's STE makes of it. */
static unsigned int smmu_s2_cfg_of(const struct iommu_xlate *x)
{
	uint64_t g[2];
	unsigned int gcfg;

	if (x->s1_type != IOMMU_HWPT_DATA_ARM_SMMUV3)
		return SMMU_CFG_S2;
	iommu_nested_smmu_ste(x, g);
	gcfg = (unsigned int)(g[0] >> STE0_CFG_SHIFT) & 7;
	if (!(g[0] & STE0_V) || gcfg == STE_CFG_ABORT)
		return SMMU_CFG_ABORT;
	return gcfg == STE_CFG_S1 ? SMMU_CFG_NESTED : SMMU_CFG_S2;
}

static int smmu_s2_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct smmu_s2_hw *h = (struct smmu_s2_hw *)hw;
	uint64_t w[4] = { 0, 0, 0, 0 };
	struct pt_hw_info hi;

	if (pasid != IOMMU_NO_PASID)
		return 0; /* a PASID is a nested translation's (smmu_s2_attach_check) */
	if (x) {
		const struct pt_config *c = pt_domain_config(x->s2);
		unsigned int cfg;

		if (c->format != PT_FMT_ARM_LPAE || !(c->flags & PT_CFG_ARM_S2) ||
		    pt_domain_hw_info(x->s2, &hi))
			return -EINVAL;
		w[2] = (x->tag & STE2_VMID_MASK) |
		       (hi.hw_word & STE2_VTCR_MASK) << STE2_VTCR_SHIFT | STE2_S2AA64 | STE2_S2R |
		       (hi.dirty_tracking ? STE2_S2HA | STE2_S2HD : 0);
		w[3] = pt_domain_root_pa(x->s2) & STE3_S2TTB_MASK;
		if (x->s1_type != IOMMU_HWPT_DATA_NONE && x->s1_type != IOMMU_HWPT_DATA_ARM_SMMUV3)
			return -EINVAL;
		cfg = smmu_s2_cfg_of(x);
		if (cfg == SMMU_CFG_ABORT) {
			w[2] = w[3] = 0;
		} else if (cfg == SMMU_CFG_NESTED) {
			uint64_t g[2];

			iommu_nested_smmu_ste(x, g);
			w[0] = g[0] & STE0_S1_FIELDS;
			w[1] = g[1];
			w[2] |= STE2_S2PTW;
		}
		w[0] |= STE0_V | (uint64_t)cfg << STE0_CFG_SHIFT;
	}
	iommu_seq_write_begin(&h->seq);
	for (unsigned int i = 0; i < 4; i++)
		iommu_store_le(&h->ste[i], w[i]);
	iommu_seq_write_end(&h->seq);
	return 0;
}

/* Does STE s describe x (else the slot is being replaced)? */
static bool smmu_s2_ste_is(const struct smmu_ste *s, const struct iommu_xlate *x)
{
	return s->s2ttb == (pt_domain_root_pa(x->s2) & STE3_S2TTB_MASK) &&
	       s->vmid == (x->tag & STE2_VMID_MASK) && s->cfg == smmu_s2_cfg_of(x);
}

static int smmu_s2_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid,
			uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			struct iommu_fault *fault)
{
	struct smmu_s2_hw *h = (struct smmu_s2_hw *)hw;
	unsigned int spins = 0;
	struct pt_hw_info hi;
	struct smmu_ste s;
	uint32_t seq;
	int rc;

	if (pasid != IOMMU_NO_PASID && !x->s1_type) /* never attached (see above) */
		return iommu_ctx_fault(fault, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	do {
		seq = iommu_seq_read_begin(&h->seq, &spins);
		rc = smmu_ste_decode(NULL, hw->root_pa, iova, &s, fault);
	} while (iommu_seq_read_retry(&h->seq, seq, &spins));
	/* a PASID attached on its own to a nested HWPT (the RID's STE is another's or none) */
	if (pasid != IOMMU_NO_PASID && (rc || !smmu_s2_ste_is(&s, x)))
		return x->ops->walk(x, pasid, iova, access, out, fault);
	/* not present: the slot may be changing, unless x is a guest's abort */
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT &&
				       smmu_s2_cfg_of(x) != SMMU_CFG_ABORT ?
			       -EAGAIN :
			       rc;
	if (s.cfg < SMMU_CFG_S2 || !smmu_s2_ste_is(&s, x)) {
		iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
		return -EAGAIN;
	}
	if (pt_domain_hw_info(x->s2, &hi) || s.s2vtcr != (hi.hw_word & STE2_VTCR_MASK))
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	if (s.cfg == SMMU_CFG_NESTED)
		return iommu_nested_smmu_walk(x, s.w, pasid, iova, access, out, fault);
	rc = iommu_walk_root(x, s.s2ttb, iova, access, s.s2hd, out, fault);
	if (rc && x->s1_type) /* the guest bypasses stage 1: a fault is stage 2's */
		fault->stage = 2;
	return rc;
}

/* A stage-2 domain serves no PASID: the kernel's answer (see above). */
static int smmu_s2_attach_check(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	(void)hw;
	return pasid != IOMMU_NO_PASID && x->s1_type == IOMMU_HWPT_DATA_NONE ? -EINVAL : 0;
}

static const struct iommu_hwctx_ops smmu_s2_hwctx_ops = {
	.name = "smmuv3-s2",
	.program = smmu_s2_program,
	.walk = smmu_s2_walk,
	.attach_check = smmu_s2_attach_check,
};

int iommu_smmu_s2_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	(void)pasid_bits; /* a stage-2 STE has no CD table */
	return IOMMU_HWCTX_NEW(struct smmu_s2_hw, &smmu_s2_hwctx_ops, ste, out);
}
