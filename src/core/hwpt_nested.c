/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hwpt_nested.c - nested HWPTs: a user-owned stage-1 table on a nest-parent HWPT, and
 * IOMMU_HWPT_INVALIDATE, the user's cache invalidation.
 *
 * A nested HWPT is made by IOMMU_HWPT_ALLOC with pt_id naming a paging HWPT that was
 * allocated with IOMMU_HWPT_ALLOC_NEST_PARENT (its stage 2), or a vIOMMU on one (viommu.c),
 * and driver data in the format of the device's IOMMU:
 *
 *   data type                   IOMMU (the parent's format)   on a parent   on a vIOMMU
 *   IOMMU_HWPT_DATA_SELFTEST    the selftest's mock           yes           yes
 *   IOMMU_HWPT_DATA_VTD_S1      VT-d (second-stage parent)    yes           no
 *   IOMMU_HWPT_DATA_ARM_SMMUV3  SMMUv3 (ARM LPAE parent)      no            yes
 *   IOMMU_HWPT_DATA_AMD_GUEST   AMD (AMD v1 parent)           yes           yes
 *
 * as upstream Linux does: an SMMUv3 nested domain exists only on a vIOMMU, which gives it
 * the VMID. The data is checked as the kernel's drivers check it, then kept as a copy (type
 * and bytes), from which the IOMMU side makes the nested HWPT's translation
 * (iommu_nested_alloc, src/iommu/nested.c): a device attached to the nested HWPT (its RID
 * or a PASID) DMAs through the user's stage 1 read through the parent's stage 2. The walk
 * belongs to the IOMMU models, not here. VT-d data the kernel accepts at
 * allocation but refuses at attach (an address width other than 48/57, an unaligned root)
 * is kept as attach_err, the attach's EINVAL.
 *
 * Size rules of the data (the kernel's iommu_copy_struct_from_user): shorter than the
 * first version of the struct, or longer than ours, EINVAL; a bad pointer EFAULT.
 *
 * Caches. A nested HWPT's caches are the user's to manage, as on hardware: nothing here
 * flushes them on the user's behalf (an unmap of the parent flushes what it built on the
 * parent, src/iommu). IOMMU_HWPT_INVALIDATE takes an array of entries of one format,
 * handles them in order and stops at the first bad one, reporting how many it handled in
 * entry_num even when it fails. The mock's format resets entries of its four-entry IOTLB,
 * which IOMMU_TEST_OP_MD_CHECK_IOTLB reads back, and drops every IOTLB entry of the
 * translation; the VT-d format is checked entry by entry as the kernel checks it and drops
 * the entries of its range (every PASID: the kernel's invalidation is per domain). A
 * vIOMMU's invalidation (viommu.c) flushes every nested HWPT on the vIOMMU.
 *
 * Lifetime: the nested HWPT holds a user reference on its parent (so the parent is EBUSY
 * to destroy) and on its fault queue; each attached device holds one on it.
 *
 * Locking: ctx->lock, held by every caller.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "core/private.h"
#include "iommu/iommu.h"
#include "pt/pt.h"
#include "util/kver.h"
#include <linux/iommufd_test.h>

/* The bounds the newest kernel puts on one IOMMU_HWPT_INVALIDATE call. */
#define HWPT_INVALIDATE_MAX_ENTRIES (1U << 19)
#define HWPT_INVALIDATE_MAX_LEN	    IOASID_PAGE_SIZE

#define endof(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

struct hwpt_nested *hwpt_nested_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_HWPT_NESTED);

	return obj ? container_of(obj, struct hwpt_nested, obj) : NULL;
}

void hwpt_nested_stage1(const struct hwpt_nested *n, uint32_t *out_type, const void **out_data,
			uint32_t *out_len, struct iommu_domain **out_stage2)
{
	*out_type = n->data_type;
	*out_data = n->data;
	*out_len = n->data_len;
	*out_stage2 = n->parent->domain;
}

/* ---- the data formats ------------------------------------------------------------------- */

struct nested_format {
	uint32_t type;
	int parent_format; /* enum pt_format of the stage 2 it goes on */
	uint32_t min_len, max_len;
	bool on_parent, on_viommu;
	int (*check)(void *data);
};

static int vtd_s1_check(void *data)
{
	(void)data; /* the kernel checks nothing more at allocation */
	return 0;
}

/* SMMUv3 STE bits a guest may set (word 0: V, Cfg, S1Fmt, S1ContextPtr, S1CDMax) */
#define STE0_V		(1ULL << 0)
#define STE0_CFG_SHIFT	1
#define STE0_CFG_MASK	(7ULL << STE0_CFG_SHIFT)
#define STE0_CFG_ABORT	0
#define STE0_CFG_BYPASS 4
#define STE0_CFG_S1	5
#define STE0_ALLOWED \
	(STE0_V | STE0_CFG_MASK | (3ULL << 4) | (((1ULL << 50) - 1) << 6) | (0x1fULL << 59))
/* word 1: S1DSS (1:0), S1CIR (3:2), S1COR (5:4), S1CSH (7:6), S1STALLD (27), EATS (29:28) */
#define STE1_ALLOWED (0xffULL | (1ULL << 27) | (3ULL << 28))

static int smmuv3_check(void *data)
{
	struct iommu_hwpt_arm_smmuv3 *d = data;
	uint64_t w0 = le64toh(d->ste[0]), w1 = le64toh(d->ste[1]);
	unsigned int cfg = (w0 & STE0_CFG_MASK) >> STE0_CFG_SHIFT;

	if (!(w0 & STE0_V)) {
		memset(d->ste, 0, sizeof(d->ste)); /* an invalid STE is an abort */
		return 0;
	}
	if (cfg != STE0_CFG_ABORT && cfg != STE0_CFG_BYPASS && cfg != STE0_CFG_S1)
		return -EIO;
	if ((w0 & ~STE0_ALLOWED) || (w1 & ~STE1_ALLOWED))
		return -EIO;
	return 0;
}

static const struct nested_format nested_formats[] = {
	{ .type = IOMMU_HWPT_DATA_SELFTEST,
	  .parent_format = PT_FMT_MOCK,
	  .min_len = endof(struct iommu_hwpt_selftest, iotlb),
	  .max_len = sizeof(struct iommu_hwpt_selftest),
	  .on_parent = true,
	  .on_viommu = true },
	{ .type = IOMMU_HWPT_DATA_VTD_S1,
	  .parent_format = PT_FMT_VTD_SS,
	  .min_len = endof(struct iommu_hwpt_vtd_s1, __reserved),
	  .max_len = sizeof(struct iommu_hwpt_vtd_s1),
	  .on_parent = true,
	  .check = vtd_s1_check },
	{ .type = IOMMU_HWPT_DATA_AMD_GUEST,
	  .parent_format = PT_FMT_AMD_V1,
	  .min_len = endof(struct iommu_hwpt_amd_guest, dte),
	  .max_len = sizeof(struct iommu_hwpt_amd_guest),
	  .on_parent = true,
	  .on_viommu = true },
	{ .type = IOMMU_HWPT_DATA_ARM_SMMUV3,
	  .parent_format = PT_FMT_ARM_LPAE,
	  .min_len = endof(struct iommu_hwpt_arm_smmuv3, ste),
	  .max_len = sizeof(struct iommu_hwpt_arm_smmuv3),
	  .on_viommu = true,
	  .check = smmuv3_check },
};

/* The format of the IOMMU whose stage-2 domain d is, or NULL (no nesting there). */
static const struct nested_format *nested_format_of(const struct iommu_domain *d)
{
	int fmt;

	if (!pt_is_domain(d))
		return NULL;
	fmt = pt_domain_config(d)->format;
	for (size_t i = 0; i < ARRAY_SIZE(nested_formats); i++)
		if (nested_formats[i].parent_format == fmt)
			return &nested_formats[i];
	return NULL;
}

/* ---- allocation ------------------------------------------------------------------------- */

/*
 * The translation of a nested HWPT: the user's stage 1 over the parent. The IOMMU side
 * checks the data once more as its walker needs it; what the kernel refuses only at attach
 * (VT-d's address width and root alignment) fails the attach instead.
 */
static int nested_make_xlate(struct hwpt_nested *n)
{
	int rc;

	rc = iommu_nested_alloc(n->parent->domain, n->data_type, n->data, n->data_len, &n->xlate);
	if (rc == -EINVAL && n->data_type == IOMMU_HWPT_DATA_VTD_S1) {
		n->attach_err = rc;
		return 0;
	}
	return rc;
}

void hwpt_nested_destroy(struct obj *obj)
{
	struct hwpt_nested *n = container_of(obj, struct hwpt_nested, obj);

	iommu_xlate_put(n->xlate); /* no device holds it: their slots are gone */
	if (n->fault)
		obj_unref(&n->fault->obj);
	if (n->viommu)
		obj_unref(&n->viommu->obj);
	if (n->parent)
		obj_unref(&n->parent->obj);
	free(n->data);
}

int hwpt_nested_alloc(struct ucmd *ucmd, struct hwpt_paging *parent, struct viommu *viommu,
		      struct device *dev, struct hwpt_nested **out)
{
	const struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct nested_format *f;
	struct hwpt_nested *n;
	struct obj *obj;
	int rc;

	if ((cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)) || !cmd->data_len)
		return -EOPNOTSUPP;
	if (!viommu &&
	    (parent->auto_domain || !(parent->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT)))
		return -EINVAL;
	if (parent->model != dev->model)
		return -EINVAL;
	f = nested_format_of(parent->domain);
	/* the driver: its own type or EOPNOTSUPP, then its own parent or EINVAL */
	if (!f || f->type != cmd->data_type || !(viommu ? f->on_viommu : f->on_parent))
		return -EOPNOTSUPP;
	if (cmd->data_len < f->min_len)
		return -EINVAL;
	obj = obj_alloc(ucmd->ctx, OBJ_HWPT_NESTED);
	if (!obj)
		return -ENOMEM;
	n = container_of(obj, struct hwpt_nested, obj);
	n->parent = parent;
	obj_ref(&parent->obj);
	if (viommu) {
		n->viommu = viommu;
		obj_ref(&viommu->obj);
	}
	n->model = dev->model;
	n->alloc_flags = cmd->flags;
	n->data_type = cmd->data_type;
	n->data_len = f->max_len;
	n->data = calloc(1, f->max_len);
	if (!n->data)
		return -ENOMEM; /* the dispatcher aborts n */
	/* a longer struct of a newer kernel is fine if its tail is zero (E2BIG otherwise) */
	rc = uaccess_struct_from(ucmd->ctx, n->data, f->max_len, cmd->data_uptr, cmd->data_len);
	if (rc)
		return rc;
	if (f->check) {
		rc = f->check(n->data);
		if (rc)
			return rc;
	}
	rc = nested_make_xlate(n);
	if (rc)
		return rc;
	if (f->type == IOMMU_HWPT_DATA_SELFTEST) {
		const struct iommu_hwpt_selftest *st = n->data;

		for (size_t i = 0; i < ARRAY_SIZE(n->mock_iotlb); i++)
			n->mock_iotlb[i] = st->iotlb;
	}
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct fault_queue *fq = fault_get(ucmd->ctx, cmd->fault_id);

		if (!fq)
			return -ENOENT;
		n->fault = fq;
		obj_ref(&fq->obj);
		obj_put(&fq->obj);
	}
	*out = n;
	return 0;
}

/* ---- devices ---------------------------------------------------------------------------- */

int hwpt_nested_attach_check(struct device *dev, const struct hwpt_nested *n)
{
	if (n->model != dev->model || n->attach_err)
		return -EINVAL;
	if (n->viommu && !vdevice_of_dev(dev->obj.ctx, dev) &&
	    n->data_type != IOMMU_HWPT_DATA_SELFTEST)
		return -EINVAL;
	return 0;
}

void hwpt_nested_unlink(struct device *dev, struct hwpt_nested **slot)
{
	struct hwpt_nested *n = slot ? *slot : NULL;

	if (!n)
		return;
	*slot = NULL;
	if (n->fault)
		fault_cancel_owner(n->fault, n, dev->obj.id);
	n->ndevices--;
	obj_unref(&n->obj);
}

void hwpt_nested_link(struct device *dev, struct hwpt_nested **slot, struct hwpt_nested *n)
{
	if (*slot == n)
		return;
	hwpt_nested_unlink(dev, slot);
	*slot = n;
	n->ndevices++;
	obj_ref(&n->obj);
}

void hwpt_nested_flush_viommu(struct viommu *v)
{
	struct ioasid_ctx *ctx = v->obj.ctx;
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct hwpt_nested *n;

		if (obj->type != OBJ_HWPT_NESTED)
			continue;
		n = container_of(obj, struct hwpt_nested, obj);
		if (n->viommu == v && n->xlate)
			iommu_nested_invalidate(n->xlate, UINT32_MAX, 0, 0);
	}
}

struct fault_queue *dev_fault_queue(struct device *dev, bool pasid_valid, uint32_t pasid,
				    const void **out_owner)
{
	struct obj *at = dev_pasid_attached(dev, pasid_valid ? pasid : IOMMU_NO_PASID);

	/* a PASID's request with nothing on that PASID goes to a nested RID (its guest's table) */
	if (!at && pasid_valid && dev->nested)
		at = &dev->nested->obj;
	if (!at)
		return NULL;
	if (at->type == OBJ_HWPT_NESTED) {
		*out_owner = container_of(at, struct hwpt_nested, obj);
		return container_of(at, struct hwpt_nested, obj)->fault;
	}
	*out_owner = container_of(at, struct hwpt_paging, obj);
	return container_of(at, struct hwpt_paging, obj)->fault;
}

/* ---- IOMMU_HWPT_INVALIDATE ---------------------------------------------------------------- */

/*
 * Copy entry i of the user's array into dst (dst_len bytes, zero-extended): the kernel's
 * rules, entry_len below the first version or above ours is EINVAL.
 */
static int inv_entry(struct ioasid_ctx *ctx, uint64_t uptr, uint32_t entry_len, uint32_t i,
		     void *dst, size_t dst_len, size_t min_len)
{
	if (entry_len < min_len || entry_len > dst_len)
		return -EINVAL;
	memset(dst, 0, dst_len);
	return uaccess_from(ctx, dst, uptr + (uint64_t)entry_len * i, entry_len);
}

static int inv_selftest(struct hwpt_nested *n, struct ioasid_ctx *ctx, uint64_t uptr,
			uint32_t entry_len, uint32_t *inout_num)
{
	uint32_t done = 0;
	int rc = 0;

	for (; done < *inout_num; done++) {
		struct iommu_hwpt_invalidate_selftest inv;

		rc = inv_entry(ctx, uptr, entry_len, done, &inv, sizeof(inv),
			       endof(struct iommu_hwpt_invalidate_selftest, iotlb_id));
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			memset(n->mock_iotlb, 0, sizeof(n->mock_iotlb));
		else
			n->mock_iotlb[inv.iotlb_id] = 0;
	}
	/* the mock's entries name no range: all of the translation, once for the array */
	if (done && n->xlate)
		iommu_nested_invalidate(n->xlate, UINT32_MAX, 0, 0);
	*inout_num = done;
	return rc;
}

static int inv_vtd_s1(struct hwpt_nested *n, struct ioasid_ctx *ctx, uint64_t uptr,
		      uint32_t entry_len, uint32_t *inout_num)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t done = 0;
	bool any = false;
	int rc = 0;

	for (; done < *inout_num; done++) {
		struct iommu_hwpt_vtd_s1_invalidate inv;

		rc = inv_entry(ctx, uptr, entry_len, done, &inv, sizeof(inv),
			       endof(struct iommu_hwpt_vtd_s1_invalidate, __reserved));
		if (rc)
			break;
		if ((inv.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved) {
			rc = -EOPNOTSUPP;
			break;
		}
		if ((inv.addr & 0xfff) || (inv.npages == UINT64_MAX && inv.addr)) {
			rc = -EINVAL;
			break;
		}
		/* the entries' union, flushed once below */
		if (inv.npages) {
			uint64_t last = UINT64_MAX;

			if (inv.npages < (UINT64_C(1) << 52) &&
			    __builtin_add_overflow(inv.addr, (inv.npages << 12) - 1, &last))
				last = UINT64_MAX;
			lo = inv.addr < lo ? inv.addr : lo;
			hi = last > hi ? last : hi;
			any = true;
		}
	}
	/*
	 * One IOTLB scan for the whole array (each scans every entry: 2^19 entries one by one
	 * would keep the daemon busy for seconds); flushing more than asked is allowed.
	 */
	if (any && n->xlate)
		iommu_nested_invalidate(n->xlate, UINT32_MAX, lo,
					hi - lo == UINT64_MAX ? 0 : hi - lo + 1);
	*inout_num = done;
	return rc;
}

/*
 * Invalidate the caches of a nested HWPT or a vIOMMU with entries of the user's format.
 * A paging HWPT has no caches the user manages: EINVAL (ENOENT for a 6.12 program).
 * entry_num is written back as the entries handled, even on failure, as the kernel does.
 */
int hwpt_invalidate_ioctl(struct ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	uint32_t num = cmd->entry_num, done = 0;
	struct obj *obj;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len || cmd->entry_len > HWPT_INVALIDATE_MAX_LEN ||
	     cmd->entry_num > HWPT_INVALIDATE_MAX_ENTRIES)) {
		rc = -EINVAL;
		goto out;
	}
	/*
	 * An object that takes no invalidation (a paging HWPT) is EINVAL, as Linux 6.13 and
	 * later look up any object and refuse its type; Linux 6.12 looked up a nested HWPT only,
	 * so its answer is ENOENT. The two selftests assert each their kernel's errno: a program
	 * that says it was written for 6.12 (kernel_abi) gets 6.12's.
	 */
	obj = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_ANY);
	if (!obj || (obj->type != OBJ_HWPT_NESTED && obj->type != OBJ_VIOMMU)) {
		if (obj)
			obj_put(obj);
		rc = obj && !ctx_abi_before(ucmd->ctx, KVER(6, 13)) ? -EINVAL : -ENOENT;
		goto out;
	}
	if (obj->type == OBJ_VIOMMU) {
		rc = viommu_invalidate(container_of(obj, struct viommu, obj), cmd->data_type,
				       cmd->data_uptr, cmd->entry_len, &num);
	} else {
		struct hwpt_nested *n = container_of(obj, struct hwpt_nested, obj);

		if (n->data_type == IOMMU_HWPT_DATA_AMD_GUEST)
			rc = -EOPNOTSUPP, num = 0; /* upstream (7.3) has no AMD format */
		else if (n->data_type == IOMMU_HWPT_DATA_SELFTEST &&
			 cmd->data_type == IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
			rc = inv_selftest(n, ucmd->ctx, cmd->data_uptr, cmd->entry_len, &num);
		else if (n->data_type == IOMMU_HWPT_DATA_VTD_S1 &&
			 cmd->data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
			rc = inv_vtd_s1(n, ucmd->ctx, cmd->data_uptr, cmd->entry_len, &num);
		else
			rc = -EINVAL, num = 0;
		n->invalidations += num;
	}
	done = num;
	obj_put(obj);
out:
	cmd->entry_num = done;
	if (ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
