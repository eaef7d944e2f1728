/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_riscv.c - the RISC-V IOMMU's own structures: a device context (DC) and, for
 * process_ids (PASIDs), the process directory table (PDT) and its process contexts (PC).
 *
 * What it owns: riscv_ctx_lookup() (DC + process_id -> the first- and second-stage roots
 * that govern a request, every read through the caller's reader) and the hardware context of
 * a first-stage RISC-V device ("riscv-sv39/48/57"): its DC points to a three-level PDT
 * (PD20) whose process contexts are written on attach, replace and detach of each PASID;
 * requests without a process_id use process context 0 (DC.tc.DPE). Second-stage devices
 * ("...x4") put their domain in DC.iohgatp, which is one per device: they get no
 * structures here (their walk is the paging kind's).
 *
 * Formats (RISC-V IOMMU architecture specification, base-format DC of 32 bytes):
 *   DC.tc: V (0), EN_ATS (1), EN_PRI (2), T2GPA (3), DTF (4), PDTV (5), PRPR (6), GADE (7),
 *     SADE (8), DPE (9), SBE (10), SXL (11); bits 63:12 reserved.
 *   DC.iohgatp: MODE (63:60: 0 Bare, 8 Sv39x4, 9 Sv48x4, 10 Sv57x4), GSCID (59:44), PPN (43:0).
 *   DC.ta: PSCID (39:12). DC.fsc: with PDTV clear, iosatp (MODE 63:60: 0 Bare, 8 Sv39,
 *     9 Sv48, 10 Sv57; PPN 43:0); with PDTV set, pdtp (MODE: 0 Bare, 1 PD8, 2 PD17, 3 PD20).
 *   PDT: process_id split PDI[2] = bits 19:17, PDI[1] = 16:8, PDI[0] = 7:0; a non-leaf entry
 *     is V (0) and PPN (53:10); the leaf level holds 16-byte process contexts.
 *   PC: ta: V (0), ENS (1), SUM (2), PSCID (39:12); fsc: iosatp.
 *
 * Faults (the spec's cause codes in brackets): DC.tc.V clear [258 DDT entry not valid] not
 * present at the device level; reserved DC bits or modes [259 misconfigured] bad context at
 * the device level; a process_id with PDTV clear [260 transaction type disallowed], or
 * beyond the PDT's mode, not present at the PASID level; a PDT entry with V clear [266]
 * not present at the directory level; a PC with V clear [266] not present, a PC with a
 * reserved mode [267] bad context, at the PASID level. Second-stage structure accesses
 * (G-stage translation of the DC's and PDT's addresses for a guest's tables) are the
 * reader's. Natively, a pdtp or PDT entry PPN that names nothing (iommu/phys.h: a forged
 * pointer, a name past a region) is a bad context at the level of the entry holding it
 * (device, directory) [257/261 access fault], nothing read. The host's DC and PDT live in the
 * structure arena (hwctx.c): root_pa and every PPN in them are names.
 *
 * Concurrency: as model_vtd.c (a sequence count per device; a walk whose PC does not
 * describe the slot's translation returns -EAGAIN). PSCID is the low 20 bits of the IOTLB tag.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

#define TC_V	    (UINT64_C(1) << 0)
#define TC_PDTV	    (UINT64_C(1) << 5)
#define TC_DPE	    (UINT64_C(1) << 9)
#define TC_RESERVED (~UINT64_C(0xfff))
#define ATP_MODE(w) ((unsigned int)((w) >> 60))
#define ATP_PPN	    ((UINT64_C(1) << 44) - 1)
#define PDTE_V	    (UINT64_C(1) << 0)
#define PDTE_PPN(e) (((e) >> 10) & ATP_PPN)
#define PC_V	    (UINT64_C(1) << 0)
#define PSCID_SHIFT 12
#define PSCID_MASK  UINT64_C(0xfffff)
#define PDTP_PD8    1
#define PDTP_PD17   2
#define PDTP_PD20   3

static bool atp_mode_ok(unsigned int mode)
{
	return mode == 0 || (mode >= 8 && mode <= 10);
}

int riscv_ctx_lookup(const struct pt_reader *rd, uint64_t dc_pa, uint32_t pasid, uint64_t iova,
		     struct riscv_ctx *out, struct iommu_fault *f)
{
	uint64_t tc, gatp, ta, fsc, table;
	unsigned int mode, levels, holder = IOMMU_FAULT_CTX_DEVICE; /* the entry naming table */
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = iommu_ctx_read(rd, dc_pa, IOMMU_FAULT_CTX_DEVICE, iova, &tc, f)))
		return rc;
	if (!(tc & TC_V))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_DEVICE, iova);
	if ((rc = iommu_ctx_read(rd, dc_pa + 8, IOMMU_FAULT_CTX_DEVICE, iova, &gatp, f)) ||
	    (rc = iommu_ctx_read(rd, dc_pa + 16, IOMMU_FAULT_CTX_DEVICE, iova, &ta, f)) ||
	    (rc = iommu_ctx_read(rd, dc_pa + 24, IOMMU_FAULT_CTX_DEVICE, iova, &fsc, f)))
		return rc;
	if ((tc & TC_RESERVED) || !atp_mode_ok(ATP_MODE(gatp)))
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	out->s2_mode = ATP_MODE(gatp);
	out->s2_root = (gatp & ATP_PPN) << 12;
	out->gscid = (uint32_t)(gatp >> 44) & 0xffff;
	if (!(tc & TC_PDTV)) {
		if (pasid != IOMMU_NO_PASID)
			return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID,
					       iova);
		if (!atp_mode_ok(ATP_MODE(fsc)))
			return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE,
					       iova);
		out->s1_mode = ATP_MODE(fsc);
		out->s1_root = (fsc & ATP_PPN) << 12;
		out->pscid = (uint32_t)((ta >> PSCID_SHIFT) & PSCID_MASK);
		return 0;
	}
	mode = ATP_MODE(fsc);
	if (pasid == IOMMU_NO_PASID && !(tc & TC_DPE))
		return 0; /* no process_id and no default process: first stage Bare */
	if (mode == 0)
		return 0;
	if (mode > PDTP_PD20)
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_DEVICE, iova);
	levels = mode; /* PD8: 1, PD17: 2, PD20: 3 */
	if (pasid >> (mode == PDTP_PD8 ? 8 : mode == PDTP_PD17 ? 17 : 20))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	table = (fsc & ATP_PPN) << 12;
	for (unsigned int lvl = levels - 1; lvl > 0; lvl--) {
		unsigned int idx = lvl == 2 ? (pasid >> 17) & 7 : (pasid >> 8) & 511;
		uint64_t e;

		if ((rc = iommu_ctx_read(rd, table + idx * 8, holder, iova, &e, f)))
			return rc;
		holder = IOMMU_FAULT_CTX_PASID_DIR;
		if (!(e & PDTE_V))
			return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT,
					       IOMMU_FAULT_CTX_PASID_DIR, iova);
		table = PDTE_PPN(e) << 12;
	}
	table += (uint64_t)(pasid & 0xff) * 16;
	if ((rc = iommu_ctx_read(rd, table, holder, iova, &ta, f)) ||
	    (rc = iommu_ctx_read(rd, table + 8, holder, iova, &fsc, f)))
		return rc;
	if (!(ta & PC_V))
		return iommu_ctx_fault(f, IOMMU_FAULT_NOT_PRESENT, IOMMU_FAULT_CTX_PASID, iova);
	if (!atp_mode_ok(ATP_MODE(fsc)))
		return iommu_ctx_fault(f, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	out->s1_mode = ATP_MODE(fsc);
	out->s1_root = (fsc & ATP_PPN) << 12;
	out->pscid = (uint32_t)((ta >> PSCID_SHIFT) & PSCID_MASK);
	out->pc = true;
	return 0;
}

/* ---- the host's structures for one first-stage device -------------------------------------- */

struct rv_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	/* atomic: odd while a PC is being rewritten */
	uint64_t dc[4]; /* tc, iohgatp, ta, fsc */
	uint64_t *pdt2; /* the PD20 root: 8 entries (one page) */
};

/* The next table below entry *e (made if make). NULL: none or no memory. */
static uint64_t *pdt_next(struct iommu_hwctx *hw, uint64_t *e, bool make)
{
	uint64_t v = le64toh(*e), *t;

	if (v & PDTE_V) /* NULL: an entry edited behind us */
		return iommu_ctx_host(PDTE_PPN(v) << 12, 4096);
	if (!make || !(t = iommu_ctx_table_alloc_for(hw, 4096)))
		return NULL;
	iommu_store_le(e, (iommu_ctx_name(t) >> 12) << 10 | PDTE_V);
	return t;
}

static uint64_t *rv_pc(struct rv_hw *h, uint32_t pasid, bool make)
{
	uint64_t *l1 = pdt_next(&h->hw, &h->pdt2[(pasid >> 17) & 7], make), *l0;

	if (!l1 || !(l0 = pdt_next(&h->hw, &l1[(pasid >> 8) & 511], make)))
		return NULL;
	return l0 + (pasid & 0xff) * 2;
}

static int rv_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct rv_hw *h = (struct rv_hw *)hw;
	uint64_t ta = 0, fsc = 0, *pc;
	struct pt_hw_info hi;

	if (pasid >> 20)
		return -EINVAL;
	if (x) {
		if (x->s1_type || pt_domain_hw_info(x->s2, &hi) || hi.format != PT_FMT_RISCV ||
		    (pt_domain_config(x->s2)->flags & PT_CFG_RISCV_X4))
			return -EINVAL;
		ta = (x->tag & PSCID_MASK) << PSCID_SHIFT | PC_V;
		fsc = hi.hw_word;
	}
	pc = rv_pc(h, pasid, x != NULL);
	if (!pc)
		return x ? -ENOMEM : 0;
	iommu_seq_write_begin(&h->seq);
	iommu_store_le(&pc[1], fsc);
	iommu_store_le(&pc[0], ta);
	iommu_seq_write_end(&h->seq);
	return 0;
}

static int rv_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
		   unsigned int access, struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct rv_hw *h = (struct rv_hw *)hw;
	struct riscv_ctx c;
	unsigned int spins = 0;
	uint32_t s;
	int rc;

	do {
		s = iommu_seq_read_begin(&h->seq, &spins);
		rc = riscv_ctx_lookup(NULL, hw->root_pa, pasid, iova, &c, fault);
	} while (iommu_seq_read_retry(&h->seq, s, &spins));
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT ? -EAGAIN : rc;
	if (!c.pc || c.s1_root != pt_domain_root_pa(x->s2) || c.pscid != (x->tag & PSCID_MASK)) {
		iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
		return -EAGAIN;
	}
	if (c.s1_mode != pt_domain_levels(x->s2) + 5) /* Sv39 = 8 is 3 levels */
		return iommu_ctx_fault(fault, IOMMU_FAULT_BAD_CTX, IOMMU_FAULT_CTX_PASID, iova);
	return iommu_walk_root(x, c.s1_root, iova, access, x->s2->dirty_tracking, out, fault);
}

static void rv_release(struct iommu_hwctx *hw)
{
	struct rv_hw *h = (struct rv_hw *)hw;

	for (unsigned int i = 0; h->pdt2 && i < 8; i++) {
		uint64_t *l1 = pdt_next(hw, &h->pdt2[i], false);

		for (unsigned int j = 0; l1 && j < 512; j++)
			iommu_ctx_table_free(pdt_next(hw, &l1[j], false));
		iommu_ctx_table_free(l1);
	}
	iommu_ctx_table_free(h->pdt2);
}

static const struct iommu_hwctx_ops rv_hwctx_ops = {
	.name = "riscv",
	.program = rv_program,
	.walk = rv_walk,
	.release = rv_release,
};

int iommu_riscv_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	struct rv_hw *h = IOMMU_HWCTX_ALLOC(struct rv_hw, &rv_hwctx_ops, dc);

	(void)pasid_bits; /* always PD20: 20-bit process_ids */
	if (!h)
		return -ENOMEM;
	h->pdt2 = iommu_ctx_table_alloc(4096);
	if (!h->pdt2) {
		iommu_hwctx_free(&h->hw);
		return -ENOMEM;
	}
	/* V, PDTV, DPE (requests without a process_id use PC 0); iohgatp Bare; pdtp PD20 */
	h->dc[0] = htole64(TC_V | TC_PDTV | TC_DPE);
	h->dc[3] = htole64((uint64_t)PDTP_PD20 << 60 | iommu_ctx_name(h->pdt2) >> 12);
	*out = &h->hw;
	return 0;
}
