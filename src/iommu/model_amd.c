/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_amd.c - the AMD IOMMU's own structure for a device: its Device Table Entry (DTE),
 * written when the device's translation changes and read by every walk.
 *
 * What it owns: amd_dte_decode() (the DTE at an address -> the host and guest fields, every
 * read through the caller's reader) and the hardware context of an AMD v1 device
 * ("amd-v1-*"): one 256-bit DTE. An attach to a paging HWPT writes the host half (V, TV,
 * Mode, the v1 table's root, IR, IW, HAD while dirty tracking is on, DomainID); an attach to
 * a nested HWPT of IOMMU_HWPT_DATA_AMD_GUEST writes the parent's host half plus the guest's
 * fields from the user's DTE (GV, GIOV, GLX, the GCR3 table root, the guest paging mode), as
 * the kernel merges a guest DTE into the host's; a detach clears the entry (V = 0). On an
 * IOTLB miss the walk reads the DTE and walks what it names: the v1 table from the root with
 * Mode levels, or with GV the guest's GCR3 table and x86-64 stage 1 through the v1 stage 2
 * (nested.c, with the fields read here: the DTE is the structure, not the HWPT's copy).
 *
 * Format (AMD I/O Virtualization Technology specification, Device Table; little-endian):
 *   word 0: V (0), TV (1), reserved (6:2), HAD (8:7), Mode (11:9: 0 translation disabled,
 *     1..6 levels, 7 reserved), host page-table root (51:12), PPR (52), GPRP (53), GIOV
 *     (54), GV (55), GLX (57:56: GCR3 levels - 1; 3 reserved), GCR3[14:12] (60:58), IR (61),
 *     IW (62), reserved (63).
 *   word 1: DomainID (15:0), GCR3[30:15] (31:16), GCR3[51:31] (63:43).
 *   word 2: guest paging mode (55:54: 0 4-level, 1 5-level, others reserved), reserved
 *     (53:52). Word 3 (interrupt remapping) is not read.
 *
 * Faults (the event the IOMMU logs in brackets): V clear, or TV clear (no translation
 * information) not present at the device level; reserved bits, Mode 7, GLX 3, a reserved
 * guest paging mode [ILLEGAL_DEV_TABLE_ENTRY] a bad context at the device level; Mode 0
 * (translation disabled: the hardware passes the request untranslated under IR/IW) a bad
 * context too, because an untranslated address has no meaning here yet (identity would need
 * a check of the name against the context's own pins; see docs/translation.md, Pass-through);
 * a Mode that is not the attached table's depth a bad context; IR or IW clear for the access a
 * permission fault at the device level [IO_PAGE_FAULT with the DTE's permission]. IR and IW
 * narrow the leaf's permissions (the IOTLB keeps the result).
 *
 * PASIDs: a v1 table serves none (a PASID goes through the GCR3 table, whose entries name
 * x86-64 tables). A PASID attached on its own to a paging HWPT is refused at attach with
 * EOPNOTSUPP, the kernel's answer (Linux 6.12: the AMD paging domains have no set_dev_pasid,
 * and iommu_attach_device_pasid answers EOPNOTSUPP); PASIDs of a nested HWPT (GV) go through
 * the guest's GCR3 table. Not modelled: the device table itself (one entry per device), interrupt
 * remapping. The DTE lives in the structure arena (hwctx.c): root_pa is a name, read through
 * the region table; the GCR3 root is the guest's (a guest physical address, read through stage
 * 2). HAD is the truth for dirty bits: the walk of the host table sets them only with HAD
 * 11b (10b is reserved: a bad context); a toggle of the domain's dirty tracking rewrites HAD in the
 * DTE (iommu_domain_resync, as the driver's amd_iommu_set_dirty_tracking does) and flushes the
 * IOTLB. Concurrency as model_vtd.c: a sequence count per device; a walk whose DTE does not
 * describe the slot's translation returns -EAGAIN. DomainID is the low 16 bits of the IOTLB tag.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

#define DTE0_V		  (UINT64_C(1) << 0)
#define DTE0_TV		  (UINT64_C(1) << 1)
#define DTE0_RESERVED	  ((UINT64_C(0x1f) << 2) | (UINT64_C(1) << 63))
#define DTE0_HAD_SHIFT	  7
#define DTE0_MODE_SHIFT	  9
#define DTE0_ROOT	  UINT64_C(0x000ffffffffff000) /* 51:12 */
#define DTE0_GIOV	  (UINT64_C(1) << 54)
#define DTE0_GV		  (UINT64_C(1) << 55)
#define DTE0_GLX_SHIFT	  56
#define DTE0_GCR3_A_SHIFT 58
#define DTE0_IR		  (UINT64_C(1) << 61)
#define DTE0_IW		  (UINT64_C(1) << 62)
#define DTE1_DOMID	  UINT64_C(0xffff)
#define DTE1_GCR3_B_SHIFT 16
#define DTE1_GCR3_C_SHIFT 43
#define DTE2_GPT_SHIFT	  54
#define DTE2_RESERVED	  (UINT64_C(3) << 52)
#define DTE_GUEST_W0(g)                                          \
	(((g)->gv ? DTE0_GV : 0) | ((g)->giov ? DTE0_GIOV : 0) | \
	 (uint64_t)(g)->glx << DTE0_GLX_SHIFT | (((g)->gcr3 >> 12) & 7) << DTE0_GCR3_A_SHIFT)

static int dte_fault(struct iommu_fault *f, enum iommu_fault_type t, uint64_t iova)
{
	return iommu_ctx_fault(f, t, IOMMU_FAULT_CTX_DEVICE, iova);
}

int amd_dte_decode(const struct pt_reader *rd, uint64_t dte_pa, uint64_t iova, struct amd_dte *out,
		   struct iommu_fault *f)
{
	uint64_t w[3];
	unsigned int gpt;
	int rc;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < 3; i++)
		if ((rc = iommu_ctx_read(rd, dte_pa + i * 8, IOMMU_FAULT_CTX_DEVICE, iova, &w[i],
					 f)))
			return rc;
	if (!(w[0] & DTE0_V) || !(w[0] & DTE0_TV))
		return dte_fault(f, IOMMU_FAULT_NOT_PRESENT, iova);
	out->had = (unsigned int)(w[0] >> DTE0_HAD_SHIFT) & 3;
	out->mode = (unsigned int)(w[0] >> DTE0_MODE_SHIFT) & 7;
	out->root = w[0] & DTE0_ROOT;
	out->ir = w[0] & DTE0_IR;
	out->iw = w[0] & DTE0_IW;
	out->domid = (uint16_t)(w[1] & DTE1_DOMID);
	out->g.gv = w[0] & DTE0_GV;
	out->g.giov = w[0] & DTE0_GIOV;
	out->g.glx = (unsigned int)(w[0] >> DTE0_GLX_SHIFT) & 3;
	out->g.gcr3 = ((w[0] >> DTE0_GCR3_A_SHIFT) & 7) << 12 |
		      ((w[1] >> DTE1_GCR3_B_SHIFT) & 0xffff) << 15 |
		      ((w[1] >> DTE1_GCR3_C_SHIFT) & 0x1fffff) << 31;
	gpt = (unsigned int)(w[2] >> DTE2_GPT_SHIFT) & 3;
	out->g.levels = gpt ? 5 : 4;
	if ((w[0] & DTE0_RESERVED) || (w[2] & DTE2_RESERVED) || out->mode == 7 || gpt > 1 ||
	    out->had == 2 || (out->g.gv && out->g.glx == 3))
		return dte_fault(f, IOMMU_FAULT_BAD_CTX, iova);
	if (!out->mode) /* translation disabled: no identity meaning here (see the top) */
		return dte_fault(f, IOMMU_FAULT_BAD_CTX, iova);
	return 0;
}

/* ---- the host's DTE for one device ----------------------------------------------------------- */

struct amd_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	 /* atomic: odd while the DTE is being rewritten */
	uint64_t dte[4]; /* little-endian, as the device table holds it */
};

static int amd_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct amd_hw *h = (struct amd_hw *)hw;
	uint64_t w[3] = { 0, 0, 0 };
	struct pt_hw_info hi;

	if (pasid != IOMMU_NO_PASID)
		return 0; /* a PASID is a nested translation's (amd_attach_check) */
	if (x) {
		if (pt_domain_hw_info(x->s2, &hi) || hi.format != PT_FMT_AMD_V1)
			return -EINVAL;
		w[0] = hi.hw_word;
		w[1] = x->tag & DTE1_DOMID;
		if (x->s1_type == IOMMU_HWPT_DATA_AMD_GUEST) {
			struct amd_guest g;

			iommu_nested_amd_guest(x, &g);
			w[0] |= DTE_GUEST_W0(&g);
			w[1] |= ((g.gcr3 >> 15) & 0xffff) << DTE1_GCR3_B_SHIFT |
				((g.gcr3 >> 31) & 0x1fffff) << DTE1_GCR3_C_SHIFT;
			w[2] = (uint64_t)(g.levels == 5) << DTE2_GPT_SHIFT;
		} else if (x->s1_type != IOMMU_HWPT_DATA_NONE) {
			return -EINVAL;
		}
	}
	/* V last when setting, first when clearing: here the sequence count covers both */
	iommu_seq_write_begin(&h->seq);
	for (unsigned int i = 0; i < 3; i++)
		__atomic_store_n(&h->dte[i], htole64(w[i]), __ATOMIC_RELAXED);
	iommu_seq_write_end(&h->seq);
	return 0;
}

/* Does the DTE describe x (else the slot is being replaced)? */
static bool amd_dte_is(const struct amd_dte *d, const struct iommu_xlate *x)
{
	struct amd_guest g = { .gv = false };

	if (d->root != pt_domain_root_pa(x->s2) || d->domid != (x->tag & DTE1_DOMID))
		return false;
	if (x->s1_type == IOMMU_HWPT_DATA_AMD_GUEST)
		iommu_nested_amd_guest(x, &g);
	return d->g.gv == g.gv;
}

static int amd_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
		    unsigned int access, struct iommu_xlate_result *out, struct iommu_fault *fault)
{
	struct amd_hw *h = (struct amd_hw *)hw;
	unsigned int spins = 0;
	struct amd_dte d;
	uint32_t s;
	int rc;

	if (pasid != IOMMU_NO_PASID && x->s1_type != IOMMU_HWPT_DATA_AMD_GUEST) /* see the top */
		return dte_fault(fault, IOMMU_FAULT_NOT_PRESENT, iova);
	do {
		s = iommu_seq_read_begin(&h->seq, &spins);
		rc = amd_dte_decode(NULL, hw->root_pa, iova, &d, fault);
	} while (iommu_seq_read_retry(&h->seq, s, &spins));
	/* a PASID attached on its own to a nested HWPT (the RID's DTE is another's or none) */
	if (pasid != IOMMU_NO_PASID && (rc || !amd_dte_is(&d, x)))
		return x->ops->walk(x, pasid, iova, access, out, fault);
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT ? -EAGAIN : rc;
	if (!amd_dte_is(&d, x)) {
		dte_fault(fault, IOMMU_FAULT_BAD_CTX, iova);
		return -EAGAIN;
	}
	if (d.mode != pt_domain_levels(x->s2))
		return dte_fault(fault, IOMMU_FAULT_BAD_CTX, iova);
	if (((access & IOMMU_ACCESS_READ) && !d.ir) || ((access & IOMMU_ACCESS_WRITE) && !d.iw)) {
		dte_fault(fault, IOMMU_FAULT_PERMISSION, iova);
		fault->stage = x->s1_type ? 2 : 1; /* the host's permission: stage 2 when nested */
		return -EFAULT;
	}
	if (d.g.gv)
		rc = iommu_nested_amd_walk(x, &d.g, pasid, iova, access, out, fault);
	else if (x->s1_type) /* GV clear: stage 2 alone, as the guest DTE says */
		rc = x->ops->walk(x, pasid, iova, access, out, fault);
	else
		rc = iommu_walk_root(x, d.root, iova, access, d.had == 3, out, fault);
	if (!rc)
		out->prot &= (d.ir ? IOMMU_PROT_READ : 0) | (d.iw ? IOMMU_PROT_WRITE : 0);
	return rc;
}

/* A paging (v1) domain serves no PASID: the kernel's answer (see the top). */
static int amd_attach_check(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	(void)hw;
	return pasid != IOMMU_NO_PASID && x->s1_type == IOMMU_HWPT_DATA_NONE ? -EOPNOTSUPP : 0;
}

static const struct iommu_hwctx_ops amd_hwctx_ops = {
	.name = "amd",
	.program = amd_program,
	.walk = amd_walk,
	.attach_check = amd_attach_check,
};

int iommu_amd_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	(void)pasid_bits; /* a v1 DTE serves no PASID */
	return IOMMU_HWCTX_NEW(struct amd_hw, &amd_hwctx_ops, dte, out);
}
