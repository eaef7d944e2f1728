/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_vtd.c - Intel VT-d's own structures in scalable mode: a device's context entry, its
 * PASID directory and PASID tables, written when a PASID is attached and read by every walk.
 *
 * What it owns: vtd_pasid_lookup() (context entry + PASID -> the PASID-table entry, every
 * read through the caller's reader, so the same code reads host structures or a guest's
 * through stage 2) and the VT-d hardware context of a device (struct iommu_hwctx, see
 * iommu_int.h) that the VT-d second-stage model ("vtd-ss-*" devices) gets at bind: on
 * attach, replace or detach of a PASID the entry is rewritten (P, PGTT, AW, SSADE,
 * SSPTPTR, DID, and for a nested HWPT FSPTPTR and FLPM); on an IOTLB miss of a DMA the walk
 * reads context entry -> PASID directory entry -> PASID entry and walks what the entry names.
 *
 * Formats (VT-d architecture specification, scalable mode; little-endian words):
 *   context entry, word 0: P (0), FPD (1), DTE (2), PASIDE (3), PRE (4), PDTS (11:9: the
 *     directory has 2^(PDTS + 7) entries), PASIDDIRPTR (63:12); word 1: RID_PASID (19:0),
 *     the PASID entry used by requests without a PASID.
 *   PASID directory entry (8 bytes, indexed by PASID[19:6]): P (0), FPD (1), SMPTBLPTR
 *     (63:12), a table of 64 PASID entries.
 *   PASID entry (64 bytes, indexed by PASID[5:0]; words 0-2 read): word 0: P (0), FPD (1),
 *     AW (4:2: 1 = 39-bit 3-level, 2 = 48-bit 4-level, 3 = 57-bit 5-level), PGTT (8:6:
 *     1 first stage, 2 second stage, 3 nested, 4 pass-through), SSADE (9), SSPTPTR (63:12);
 *     word 1: DID (15:0); word 2: SRE (0), FLPM (3:2: 0 4-level, 1 5-level), WPE (4),
 *     FSPTPTR (63:12).
 *
 * Faults (the VT-d fault reasons named in brackets): context entry P clear [SCT.1]
 * not present at the device level; a PASID beyond the directory's size [SCT.3] or a directory
 * entry with P clear [SCT.4] not present at the directory level; a PASID entry with P clear
 * [SCT.7] not present at the PASID level; reserved PGTT, AW or FLPM values [SCT.9]
 * bad context at the PASID level. A structure read stage 2 refuses is a stage-2 fault.
 * Natively, a PASIDDIRPTR or SMPTBLPTR that names nothing (iommu/phys.h: a forged pointer, a
 * name past a region) is a bad context at the level of the entry holding it (device,
 * directory), and nothing is read there.
 *
 * Host structures: every address in them is a name (iommu/phys.h), never a pointer: the
 * context entry, the directory and the PASID tables live in the structure arena (hwctx.c),
 * root_pa names the context entry, and the native walk resolves each name as a domain's walk
 * does; the writers turn a name back with iommu_ctx_host. DID is the low 16 bits of the
 * translation's IOTLB tag. Two kinds of device get them: "vtd-ss-*" (second-stage tables) and
 * "x86_64-*" (first-stage tables: a VT-d whose paging domains are first-stage, as Linux uses a
 * modern VT-d). What the walk does per PGTT: second stage (2) walks SSPTPTR with the domain's
 * geometry (AW must agree); nested (3) walks the guest's FSPTPTR through the second stage
 * (nested.c); first stage (1, written for an x86-64 domain) walks FSPTPTR with FLPM's levels (FLPM
 * must agree; SRE and WPE are decoded, and matter to no request here: an emulated device's requests
 * are user requests, never privileged ones, so supervisor-request enabling and write protection of
 * supervisor accesses change nothing); pass-through (4) is decoded but refused: no attach writes it
 * (the uAPI has no identity domain) and a walk that meets it is a bad context: IOVA == PA
 * would need a check of the name against what the context itself pinned, not done
 * (docs/translation.md, Pass-through). SSADE is written at attach from the domain's dirty tracking
 * and rewritten in every entry on the domain when it is toggled (iommu_domain_resync, pasid.c); a
 * second-stage walk sets dirty bits only with SSADE set. First stage (PGTT 1) has no SSADE: its
 * walk follows the domain's switch.
 *
 * Concurrency: entries are rewritten under ctx->lock while DMA reads them without a lock.
 * A per-device sequence count stands for the hardware's "clear P, invalidate, write, set P"
 * protocol: a walk that saw the count move reads again. The PASID slot (pasid.c) acts as
 * the context cache: it gives the IOTLB tag; a walk whose entry does not describe the slot's
 * translation (the slot is being replaced) returns -EAGAIN and the caller reads the slot
 * again. PASID tables are freed only with the device.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

#define CTX0_P		(UINT64_C(1) << 0)
#define CTX0_PDTS_SHIFT 9
#define CTX_ADDR	UINT64_C(0xfffffffffffff000)
#define CTX1_RID_PASID	UINT64_C(0xfffff)
#define DIR_P		(UINT64_C(1) << 0)
#define PE0_P		(UINT64_C(1) << 0)
#define PE0_AW_SHIFT	2
#define PE0_PGTT_SHIFT	6
#define PE0_PGTT_MASK	(UINT64_C(7) << PE0_PGTT_SHIFT)
#define PE0_SSADE	(UINT64_C(1) << 9)
#define PE2_SRE		(UINT64_C(1) << 0)
#define PE2_FLPM_SHIFT	2
#define PE2_WPE		(UINT64_C(1) << 4)
#define PE_BYTES	64
#define PASID_TABLE_LG2 6 /* 64 entries of 64 bytes: one 4 KiB page */

int vtd_pasid_lookup(const struct pt_reader *rd, uint64_t ctx_pa, uint32_t pasid, uint64_t iova,
		     struct vtd_pasid_entry *out, struct iommu_fault *f)
{
	uint64_t c0, c1, de, pe[3];
	unsigned int dir_lg2;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = iommu_ctx_read(rd, ctx_pa, IOMMU_FAULT_CTX_DEVICE, iova, &c0, f)) ||
	    (rc = iommu_ctx_read(rd, ctx_pa + 8, IOMMU_FAULT_CTX_DEVICE, iova, &c1, f)))
		return rc;
	if (!(c0 & CTX0_P))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_DEVICE, iova);
	if (pasid == IOMMU_NO_PASID)
		pasid = (uint32_t)(c1 & CTX1_RID_PASID);
	dir_lg2 = (unsigned int)((c0 >> CTX0_PDTS_SHIFT) & 7) + 7;
	if ((pasid >> PASID_TABLE_LG2) >> dir_lg2)
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID_DIR, iova);
	rc = iommu_ctx_read(rd, (c0 & CTX_ADDR) + (uint64_t)(pasid >> PASID_TABLE_LG2) * 8,
			    IOMMU_FAULT_CTX_DEVICE, iova, &de, f);
	if (rc)
		return rc;
	if (!(de & DIR_P))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID_DIR, iova);
	for (unsigned int w = 0; w < 3; w++) {
		uint64_t pa = (de & CTX_ADDR) +
			      (uint64_t)(pasid & ((1u << PASID_TABLE_LG2) - 1)) * PE_BYTES + w * 8;

		rc = iommu_ctx_read(rd, pa, IOMMU_FAULT_CTX_PASID_DIR, iova, &pe[w], f);
		if (rc)
			return rc;
	}
	if (!(pe[0] & PE0_P))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	out->pgtt = (unsigned int)((pe[0] & PE0_PGTT_MASK) >> PE0_PGTT_SHIFT);
	out->aw = (unsigned int)(pe[0] >> PE0_AW_SHIFT) & 7;
	out->ssade = pe[0] & PE0_SSADE;
	out->ssptptr = pe[0] & CTX_ADDR;
	out->did = (uint16_t)pe[1];
	out->flpm = (unsigned int)(pe[2] >> PE2_FLPM_SHIFT) & 3;
	out->sre = pe[2] & PE2_SRE;
	out->wpe = pe[2] & PE2_WPE;
	out->fsptptr = pe[2] & CTX_ADDR;
	if (out->pgtt < VTD_PGTT_FS || out->pgtt > VTD_PGTT_PT)
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if ((out->pgtt == VTD_PGTT_SS || out->pgtt == VTD_PGTT_NESTED) &&
	    (out->aw < 1 || out->aw > 3))
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if ((out->pgtt == VTD_PGTT_FS || out->pgtt == VTD_PGTT_NESTED) && out->flpm > 1)
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	return 0;
}

/* ---- the host's structures for one device -------------------------------------------------- */

struct vtd_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	 /* atomic: odd while an entry is being rewritten */
	uint64_t ctx[4]; /* the scalable-mode context entry (256 bits) */
	uint64_t *dir;	 /* the PASID directory: 2^dir_lg2 entries */
	unsigned int dir_lg2;
};

/* The entry of pasid in the host's tables, its table made if make. NULL: none (or no memory). */
static uint64_t *vtd_entry(struct vtd_hw *h, uint32_t pasid, bool make)
{
	uint64_t *dir = &h->dir[pasid >> PASID_TABLE_LG2], de = le64toh(*dir), *table;

	if (!(de & DIR_P)) {
		if (!make)
			return NULL;
		table = iommu_ctx_table_alloc_for(&h->hw, 4096);
		if (!table)
			return NULL;
		iommu_store_le(dir, iommu_ctx_name(table) | DIR_P);
		de = le64toh(*dir);
	}
	table = iommu_ctx_host(de & CTX_ADDR, 4096); /* NULL: an entry edited behind us */
	return table ? table + (pasid & ((1u << PASID_TABLE_LG2) - 1)) * (PE_BYTES / 8) : NULL;
}

static int vtd_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct vtd_hw *h = (struct vtd_hw *)hw;
	uint64_t w[3] = { 0, 0, 0 }, *pe;
	struct pt_hw_info hi;

	if ((pasid >> PASID_TABLE_LG2) >> h->dir_lg2)
		return -EINVAL;
	if (x) {
		if (pt_domain_hw_info(x->s2, &hi) ||
		    (hi.format != PT_FMT_VTD_SS && hi.format != PT_FMT_X86_64))
			return -EINVAL;
		w[1] = x->tag & 0xffff;
		if (hi.format == PT_FMT_X86_64) { /* first stage only: FSPTPTR, FLPM */
			if (x->s1_type != IOMMU_HWPT_DATA_NONE)
				return -EINVAL;
			w[0] = (uint64_t)VTD_PGTT_FS << PE0_PGTT_SHIFT | PE0_P;
			w[2] = hi.hw_word;
		} else if (x->s1_type == IOMMU_HWPT_DATA_VTD_S1) {
			w[0] = (hi.hw_word & ~PE0_PGTT_MASK) | PE0_P;
			w[0] |= (uint64_t)VTD_PGTT_NESTED << PE0_PGTT_SHIFT;
			w[2] = x->s1_root | (uint64_t)(x->s1_levels == 5) << PE2_FLPM_SHIFT;
		} else if (x->s1_type == IOMMU_HWPT_DATA_NONE) {
			w[0] = (hi.hw_word & ~PE0_PGTT_MASK) | PE0_P;
			w[0] |= (uint64_t)VTD_PGTT_SS << PE0_PGTT_SHIFT;
		} else {
			return -EINVAL;
		}
	}
	pe = vtd_entry(h, pasid, x != NULL);
	if (!pe)
		return x ? -ENOMEM : 0;
	iommu_seq_write_begin(&h->seq);
	for (unsigned int i = 0; i < 3; i++)
		iommu_store_le(&pe[i], w[i]);
	iommu_seq_write_end(&h->seq);
	return 0;
}

/* Does entry e describe x (else the slot is being replaced)? */
static bool vtd_entry_is(const struct vtd_pasid_entry *e, const struct iommu_xlate *x)
{
	if (e->did != (x->tag & 0xffff))
		return false;
	if (e->pgtt == VTD_PGTT_FS)
		return x->s1_type == IOMMU_HWPT_DATA_NONE &&
		       pt_domain_config(x->s2)->format == PT_FMT_X86_64 &&
		       e->fsptptr == pt_domain_root_pa(x->s2);
	if (e->ssptptr != pt_domain_root_pa(x->s2))
		return false;
	if (e->pgtt == VTD_PGTT_NESTED)
		return x->s1_type == IOMMU_HWPT_DATA_VTD_S1 && e->fsptptr == x->s1_root;
	return e->pgtt == VTD_PGTT_SS && x->s1_type == IOMMU_HWPT_DATA_NONE;
}

static int vtd_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
		    unsigned int access, struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct vtd_hw *h = (struct vtd_hw *)hw;
	struct vtd_pasid_entry e;
	unsigned int spins = 0;
	uint32_t s;
	int rc;

	do {
		s = iommu_seq_read_begin(&h->seq, &spins);
		rc = vtd_pasid_lookup(NULL, hw->root_pa, pasid, iova, &e, fault);
	} while (iommu_seq_read_retry(&h->seq, s, &spins));
	/* a missing entry or one for another translation: the slot may be changing (retry) */
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT ? -EAGAIN : rc;
	if (e.pgtt == VTD_PGTT_PT) /* pass-through: no identity meaning here (see the top) */
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if (!vtd_entry_is(&e, x)) {
		iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
		return -EAGAIN;
	}
	if (e.pgtt == VTD_PGTT_FS) { /* FSPTPTR with FLPM's levels */
		if (e.flpm + 4 != pt_domain_levels(x->s2))
			return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID,
					       iova);
		return iommu_walk_root(x, e.fsptptr, iova, access, x->s2->dirty_tracking, out,
				       fault);
	}
	if (e.aw + 2 != pt_domain_levels(x->s2))
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	if (e.pgtt == VTD_PGTT_NESTED) /* FSPTPTR through SSPTPTR: the nested kind's walk */
		return x->ops->walk(x, pasid, iova, access, out, fault);
	return iommu_walk_root(x, e.ssptptr, iova, access, e.ssade, out, fault);
}

static void vtd_release(struct iommu_hwctx *hw)
{
	struct vtd_hw *h = (struct vtd_hw *)hw;

	iommu_ctx_tables_free(h->dir, (size_t)1 << h->dir_lg2, DIR_P, CTX_ADDR);
}

static const struct iommu_hwctx_ops vtd_hwctx_ops = {
	.name = "vtd",
	.program = vtd_program,
	.walk = vtd_walk,
	.release = vtd_release,
};

int iommu_vtd_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	unsigned int dir_lg2 = pasid_bits > PASID_TABLE_LG2 + 7 ? pasid_bits - PASID_TABLE_LG2 : 7;
	struct vtd_hw *h = IOMMU_HWCTX_ALLOC(struct vtd_hw, &vtd_hwctx_ops, ctx);

	if (!h)
		return -ENOMEM;
	if (dir_lg2 > 14)
		dir_lg2 = 14;
	h->dir_lg2 = dir_lg2;
	h->dir = iommu_ctx_table_alloc((size_t)8 << dir_lg2);
	if (!h->dir) {
		iommu_hwctx_free(&h->hw);
		return -ENOMEM;
	}
	/* P, PASIDE, PDTS, the directory; RID_PASID 0 */
	h->ctx[0] = htole64(iommu_ctx_name(h->dir) | (uint64_t)(dir_lg2 - 7) << CTX0_PDTS_SHIFT |
			    (UINT64_C(1) << 3) | CTX0_P);
	*out = &h->hw;
	return 0;
}
