/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device.c - devices, the one attach path, and IOMMU_GET_HW_INFO.
 *
 * A device is bound to a context and reaches its IOMMU through an IOMMU model (struct
 * dev_model_ops): the model makes its paging domains, says which HWPTs it may join and
 * describes the hardware. Everything else is common to every device: attach, replace and
 * detach, the device's reserved IOVA regions (an MSI window) carved out of the IOAS while it
 * is attached there, capabilities reported by GET_HW_INFO.
 *
 * Attaching to an IOAS means "to an automatic HWPT on it": the first automatic HWPT of the
 * IOAS that the device can join (its model agrees; EINVAL from a join means "try another")
 * is reused, otherwise one is made. An automatic HWPT dies with its last device. This is
 * the kernel's rule, and the selftest counts on it: the HWPT ID that MOCK_DOMAIN returns is
 * shared by every mock device of the IOAS.
 *
 * A device holds one user reference on the HWPT it is attached to, and the HWPT's IOAS
 * is held by the HWPT; so IOMMU_DESTROY of an HWPT with devices, or of an IOAS with an HWPT,
 * is EBUSY. A device has one reference from its binder (users 2) and one more while
 * attached, so IOMMU_DESTROY of a device is EBUSY too; the binder unbinds it.
 *
 * Locking: ctx->lock, held by every caller (the ioctl dispatcher or the public functions
 * below), protects everything here.
 */
#include <stdlib.h>
#include <string.h>

#include "core/kcall.h"
#include "core/private.h"
#include "iommu/iommu.h"
#include <linux/iommufd_test.h>

struct device *dev_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_DEVICE);

	return obj ? container_of(obj, struct device, obj) : NULL;
}

int dev_bind(struct ioasid_ctx *ctx, const struct dev_model_ops *model, void *model_priv,
	     struct device **out)
{
	struct obj *obj = obj_alloc(ctx, OBJ_DEVICE);
	struct device *dev;
	int rc;

	if (!obj)
		return -ENOMEM;
	dev = container_of(obj, struct device, obj);
	rc = iommu_dev_new(&ctx->iommu_dir, obj->id, DEV_PASID_BITS, &dev->iommu);
	if (rc) {
		obj_abort(ctx, obj);
		return rc;
	}
	dev->model = model;
	dev->model_priv = model_priv;
	obj_ref(&dev->obj); /* the binder's */
	*out = dev;	    /* published when the call commits (obj_commit_pending) */
	return 0;
}

void device_destroy(struct obj *obj)
{
	struct device *dev = container_of(obj, struct device, obj);

	viommu_dev_gone(dev);
	dev_detach(dev);
	free(dev->pasids);
	if (dev->iommu)
		iommu_dev_free(&obj->ctx->iommu_dir, dev->iommu);
	if (dev->model && dev->model->release)
		dev->model->release(dev);
}

void dev_unbind(struct device *dev)
{
	dev_detach(dev);
	obj_remove(dev->obj.ctx, &dev->obj);
}

void device_close(struct obj *obj)
{
	struct device *dev = container_of(obj, struct device, obj);

	if (dev->ctx_owned)
		dev_unbind(dev);
}

/* ---- reserved regions ------------------------------------------------------------------ */

static int dev_reserve(struct device *dev, struct iopt *iopt)
{
	for (unsigned int i = 0; i < dev->nr_resv; i++) {
		int rc = iopt_reserve(iopt, dev->resv[i].start, dev->resv[i].last, dev);

		if (rc) {
			iopt_unreserve_owner(iopt, dev);
			return rc;
		}
	}
	return 0;
}

static void dev_unreserve(struct device *dev, struct iopt *iopt)
{
	if (dev->nr_resv)
		iopt_unreserve_owner(iopt, dev);
}

/* ---- attach, replace, detach ----------------------------------------------------------- */

static int dev_check_hwpt(struct device *dev, struct hwpt_paging *hwpt)
{
	if (hwpt->model != dev->model)
		return -EINVAL;
	if (dev->model->attach_check)
		return dev->model->attach_check(dev, hwpt);
	return 0;
}

/* ---- the PASID table -------------------------------------------------------------------- */

struct hwpt_paging *dev_pasid_hwpt(const struct device *dev, uint32_t pasid)
{
	if (pasid == IOMMU_NO_PASID)
		return dev->hwpt;
	for (unsigned int i = 0; i < dev->nr_pasids; i++)
		if (dev->pasids[i].pasid == pasid)
			return dev->pasids[i].hwpt;
	return NULL;
}

static bool dev_pasid_valid(const struct device *dev, uint32_t pasid)
{
	return pasid == IOMMU_NO_PASID ||
	       ((dev->caps & DEV_CAP_PASID) && dev->max_pasid_log2 <= DEV_PASID_BITS &&
		pasid < (UINT32_C(1) << dev->max_pasid_log2));
}

/*
 * The kernel's PASID compatibility rule: a PASID goes only on an HWPT allocated with
 * IOMMU_HWPT_ALLOC_PASID, and only while the RID (if attached) is on one too; once a PASID
 * is attached, the RID may only move to such an HWPT.
 */
static int dev_pasid_compat(const struct device *dev, uint32_t pasid, uint32_t alloc_flags)
{
	bool compat = alloc_flags & IOMMU_HWPT_ALLOC_PASID;

	if (pasid == IOMMU_NO_PASID)
		return !compat && dev->nr_pasids ? -EINVAL : 0;
	if (!compat)
		return -EINVAL;
	if (dev->hwpt && !((dev->nested ? dev->nested->alloc_flags : dev->hwpt->alloc_flags) &
			   IOMMU_HWPT_ALLOC_PASID))
		return -EINVAL;
	return 0;
}

/* Where dev records the nested HWPT of pasid (RID: dev->nested), NULL if pasid is unused. */
static struct hwpt_nested **dev_nested_slot(struct device *dev, uint32_t pasid)
{
	if (pasid == IOMMU_NO_PASID)
		return &dev->nested;
	for (unsigned int i = 0; i < dev->nr_pasids; i++)
		if (dev->pasids[i].pasid == pasid)
			return &dev->pasids[i].nested;
	return NULL;
}

static struct hwpt_nested *dev_pasid_nested(struct device *dev, uint32_t pasid)
{
	struct hwpt_nested **slot = dev_nested_slot(dev, pasid);

	return slot ? *slot : NULL;
}

/*
 * Record hwpt for pasid (NULL: forget it, with its nested HWPT). Room was made by
 * dev_pasid_reserve. A replace keeps the nested HWPT recorded; dev_set_nested_slot sets it.
 */
static void dev_pasid_record(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt)
{
	unsigned int i;

	if (!hwpt)
		hwpt_nested_unlink(dev, dev_nested_slot(dev, pasid));
	if (pasid == IOMMU_NO_PASID) {
		dev->hwpt = hwpt;
		return;
	}
	for (i = 0; i < dev->nr_pasids; i++)
		if (dev->pasids[i].pasid == pasid)
			break;
	if (!hwpt) {
		if (i < dev->nr_pasids)
			dev->pasids[i] = dev->pasids[--dev->nr_pasids];
		return;
	}
	if (i == dev->nr_pasids)
		dev->pasids[dev->nr_pasids++] = (struct dev_pasid){ .pasid = pasid };
	dev->pasids[i].hwpt = hwpt;
}

/* The nested HWPT at pasid becomes n (NULL: none, the paging HWPT alone). */
static void dev_set_nested_slot(struct device *dev, uint32_t pasid, struct hwpt_nested *n)
{
	struct hwpt_nested **slot = dev_nested_slot(dev, pasid);

	if (n)
		hwpt_nested_link(dev, slot, n);
	else
		hwpt_nested_unlink(dev, slot);
}

/* Room for one more PASID entry: the only allocation of a PASID attach besides the xlate. */
static int dev_pasid_reserve(struct device *dev)
{
	struct dev_pasid *n;

	n = realloc(dev->pasids, (dev->nr_pasids + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	dev->pasids = n;
	return 0;
}

/* Publish x in the PASID's slot; the old translation is put after the readers are gone. */
static void dev_swap_xlate(struct device *dev, uint32_t pasid, struct iommu_xlate *x)
{
	struct iommu_xlate *old;

	iommu_dev_set_pasid(dev->iommu, pasid, x, &old);
	if (old) {
		iommu_synchronize();
		iommu_xlate_put(old);
	}
}

/*
 * Publish x (a translation of hwpt's domain, or of a nested HWPT on it) in the PASID's slot:
 * DMA sees the new translation from here on.
 */
static void dev_link_hwpt(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt,
			  struct iommu_xlate *x)
{
	dev_pasid_record(dev, pasid, hwpt);
	hwpt->ndevices++;
	obj_ref(&hwpt->obj);
	iommu_domain_track(hwpt->domain);
	dev_swap_xlate(dev, pasid, x);
}

/*
 * A translation for hwpt (or for n, a nested HWPT on it: the user's stage 1 over hwpt), and
 * room in the PASID list. The PASID rule looks at what the PASID attaches to: n if given.
 */
static int dev_prepare(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt,
		       struct hwpt_nested *n, struct iommu_xlate **out)
{
	int rc = dev_check_hwpt(dev, hwpt);

	if (!rc)
		rc = dev_pasid_compat(dev, pasid, n ? n->alloc_flags : hwpt->alloc_flags);
	/*
	 * The mock IOMMU (Linux 7.x) attaches its RID to a vIOMMU's nested HWPT only through the
	 * device's vDEVICE on that vIOMMU: it is how the vIOMMU names the device in its events.
	 */
	if (!rc && n && n->viommu && pasid == IOMMU_NO_PASID && dev->model == &mock_model_ops) {
		struct vdevice *vd = vdevice_of_dev(dev->obj.ctx, dev);

		if (!vd || vd->viommu != n->viommu)
			rc = -ENOENT;
	}
	if (!rc && pasid != IOMMU_NO_PASID)
		rc = dev_pasid_reserve(dev);
	if (rc)
		return rc;
	if (n && n->xlate) {
		iommu_xlate_get(n->xlate);
		*out = n->xlate;
	} else if ((rc = iommu_xlate_paging(hwpt->domain, out))) {
		return rc;
	}
	/* the IOMMU model's own rule (AMD v1, SMMUv3 stage 2: no PASID on a paging domain) */
	rc = iommu_dev_attach_check(dev->iommu, pasid, *out);
	if (rc) {
		iommu_xlate_put(*out);
		*out = NULL;
	}
	return rc;
}

static int dev_attach_hwpt(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt,
			   struct hwpt_nested *n)
{
	struct hwpt_paging *cur = dev_pasid_hwpt(dev, pasid);
	struct iommu_xlate *x;
	int rc;

	if (cur) /* a PASID is never overwritten by attach (Linux 7.x: EBUSY); the RID EINVAL */
		return pasid != IOMMU_NO_PASID ? -EBUSY : -EINVAL;
	rc = dev_prepare(dev, pasid, hwpt, n, &x);
	if (rc)
		return rc;
	if (pasid == IOMMU_NO_PASID) {
		rc = dev_reserve(dev, &hwpt->ioas->iopt);
		if (rc) {
			iommu_xlate_put(x);
			return rc;
		}
	}
	dev_link_hwpt(dev, pasid, hwpt, x);
	dev_set_nested_slot(dev, pasid, n);
	obj_ref(&dev->obj); /* attached */
	return 0;
}

static int dev_replace_hwpt(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt,
			    struct hwpt_nested *n)
{
	struct hwpt_paging *old = dev_pasid_hwpt(dev, pasid);
	bool moves = old && old->ioas != hwpt->ioas && pasid == IOMMU_NO_PASID;
	struct iommu_xlate *x;
	int rc;

	if (!old)
		return -EINVAL;
	if (old == hwpt && dev_pasid_nested(dev, pasid) == n)
		return 0;
	rc = dev_prepare(dev, pasid, hwpt, n, &x);
	if (rc)
		return rc;
	if (old == hwpt) {
		/* same stage 2, another stage 1 (or none): only the translation changes */
		dev_swap_xlate(dev, pasid, x);
		dev_set_nested_slot(dev, pasid, n);
		return 0;
	}
	if (moves) {
		rc = dev_reserve(dev, &hwpt->ioas->iopt);
		if (rc) {
			iommu_xlate_put(x);
			return rc;
		}
	}
	dev_link_hwpt(dev, pasid, hwpt, x); /* waits out DMA still on the old translation */
	dev_set_nested_slot(dev, pasid, n);
	if (moves)
		dev_unreserve(dev, &old->ioas->iopt);
	hwpt_put_device(old);
	return 0;
}

typedef int (*dev_attach_fn)(struct device *dev, uint32_t pasid, struct hwpt_paging *hwpt,
			     struct hwpt_nested *n);

/* Join an automatic HWPT of ioas, or make one. */
static int dev_auto_domain(struct device *dev, uint32_t pasid, struct ioas *ioas, dev_attach_fn fn,
			   uint32_t *out_id)
{
	struct hwpt_paging *hwpt, *cur = dev_pasid_hwpt(dev, pasid);
	int rc;

	for (hwpt = ioas->hwpts; hwpt; hwpt = hwpt->ioas_next) {
		if (!hwpt->auto_domain)
			continue;
		rc = fn(dev, pasid, hwpt, NULL);
		if (rc == -EINVAL)
			continue; /* not for this device: try the next */
		if (!rc)
			*out_id = hwpt->obj.id;
		return rc;
	}
	if (fn == dev_attach_hwpt && cur)
		return -EINVAL;
	if (fn == dev_replace_hwpt && !cur)
		return -EINVAL;
	rc = hwpt_paging_alloc(ioas, dev, 0, &hwpt);
	if (rc)
		return rc;
	rc = fn(dev, pasid, hwpt, NULL);
	if (rc) {
		obj_abort(dev->obj.ctx, &hwpt->obj);
		return rc;
	}
	hwpt->auto_domain = true; /* published when the call commits */
	*out_id = hwpt->obj.id;
	return 0;
}

/*
 * Onto a nested HWPT, at the RID or a PASID: the device joins the parent as for a paging
 * HWPT (or stays on it), and the PASID's slot gets the nested HWPT's translation: the user's
 * stage-1 table walked through the parent's stage 2 (src/iommu/nested.c). Attach and
 * replace keep their rules (attach of an attached PASID: EBUSY, whatever it is on; replace
 * of a detached one: EINVAL); the PASID rule is the nested HWPT's flag.
 */
static int dev_set_nested(struct device *dev, uint32_t pasid, struct hwpt_nested *n,
			  dev_attach_fn fn)
{
	int rc = hwpt_nested_attach_check(dev, n);

	if (rc)
		return rc;
	return fn(dev, pasid, n->parent, n);
}

static int dev_change_pt(struct device *dev, uint32_t pasid, uint32_t *inout_pt_id,
			 dev_attach_fn fn)
{
	struct obj *pt;
	int rc;

	if (!dev_pasid_valid(dev, pasid))
		return -EINVAL;
	pt = obj_get(dev->obj.ctx, *inout_pt_id, OBJ_ANY);
	if (!pt)
		return -ENOENT;
	switch (pt->type) {
	case OBJ_HWPT_PAGING:
		rc = fn(dev, pasid, container_of(pt, struct hwpt_paging, obj), NULL);
		break;
	case OBJ_IOAS:
		/*
		 * As Linux 7.x: an IOAS only at the RID. The automatic HWPT is never made
		 * PASID-capable, so a PASID is attached to an HWPT allocated with
		 * IOMMU_HWPT_ALLOC_PASID (the upstream selftest's pasid_attach checks this).
		 */
		if (pasid != IOMMU_NO_PASID)
			rc = -EINVAL;
		else
			rc = dev_auto_domain(dev, pasid, container_of(pt, struct ioas, obj), fn,
					     inout_pt_id);
		break;
	case OBJ_HWPT_NESTED:
		rc = dev_set_nested(dev, pasid, container_of(pt, struct hwpt_nested, obj), fn);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	obj_put(pt);
	return rc;
}

struct obj *dev_pasid_attached(struct device *dev, uint32_t pasid)
{
	struct hwpt_nested *n = dev_pasid_nested(dev, pasid);
	struct hwpt_paging *hwpt = dev_pasid_hwpt(dev, pasid);

	if (n)
		return &n->obj;
	return hwpt ? &hwpt->obj : NULL;
}

struct fault_queue *dev_pasid_fault_queue(struct device *dev, uint32_t pasid, unsigned int stage,
					  const void **out_owner)
{
	struct hwpt_nested *n = dev_pasid_nested(dev, pasid);
	struct hwpt_paging *hwpt = dev_pasid_hwpt(dev, pasid);

	if (n && (stage == 1 || !n->xlate)) {
		*out_owner = n;
		return n->fault;
	}
	if (!hwpt)
		return NULL;
	*out_owner = hwpt;
	return hwpt->fault;
}

int dev_pasid_attach(struct device *dev, uint32_t pasid, uint32_t *inout_pt_id)
{
	return dev_change_pt(dev, pasid, inout_pt_id, dev_attach_hwpt);
}

int dev_pasid_replace(struct device *dev, uint32_t pasid, uint32_t *inout_pt_id)
{
	return dev_change_pt(dev, pasid, inout_pt_id, dev_replace_hwpt);
}

void dev_pasid_detach(struct device *dev, uint32_t pasid)
{
	struct hwpt_paging *hwpt = dev_pasid_hwpt(dev, pasid);
	struct iommu_xlate *x;

	if (!hwpt)
		return;
	iommu_dev_set_pasid(dev->iommu, pasid, NULL, &x);
	iommu_synchronize(); /* no DMA left on the translation, nor on the domain */
	iommu_xlate_put(x);
	if (pasid == IOMMU_NO_PASID)
		dev_unreserve(dev, &hwpt->ioas->iopt);
	dev_pasid_record(dev, pasid, NULL);
	obj_unref(&dev->obj);
	hwpt_put_device(hwpt);
}

int dev_pasid_detach_checked(struct device *dev, uint32_t pasid)
{
	if (!dev_pasid_valid(dev, pasid) || !dev_pasid_hwpt(dev, pasid))
		return -EINVAL;
	dev_pasid_detach(dev, pasid);
	return 0;
}

int dev_attach(struct device *dev, uint32_t *inout_pt_id)
{
	return dev_pasid_attach(dev, IOMMU_NO_PASID, inout_pt_id);
}

int dev_replace(struct device *dev, uint32_t *inout_pt_id)
{
	return dev_pasid_replace(dev, IOMMU_NO_PASID, inout_pt_id);
}

/* Detach the RID and every PASID. */
void dev_detach(struct device *dev)
{
	while (dev->nr_pasids)
		dev_pasid_detach(dev, dev->pasids[dev->nr_pasids - 1].pasid);
	dev_pasid_detach(dev, IOMMU_NO_PASID);
}

/* ---- IOMMU_GET_HW_INFO ----------------------------------------------------------------- */

#define HW_INFO_MAX 256

int get_hw_info_ioctl(struct ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	uint8_t data[HW_INFO_MAX] = { 0 };
	uint32_t len = 0, type = IOMMU_HW_INFO_TYPE_NONE, want = cmd->in_data_type;
	struct device *dev;
	int rc;

	if ((cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) || cmd->__reserved[0] ||
	    cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	dev = dev_get(ucmd->ctx, cmd->dev_id);
	if (!dev)
		return -ENOENT;
	if (dev->model->hw_info) {
		rc = dev->model->hw_info(dev, data, sizeof(data), &len, &type);
		if (rc)
			goto out_put;
	}
	rc = -EOPNOTSUPP;
	if ((cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) && want != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    want != type)
		goto out_put;
	/* as much as fits; the rest of a larger buffer is zeroed */
	{
		uint64_t copy = len < cmd->data_len ? len : cmd->data_len;
		uint8_t zero[64] = { 0 };

		rc = uaccess_to(ucmd->ctx, cmd->data_uptr, data, copy);
		while (!rc && copy < cmd->data_len) {
			uint64_t n = cmd->data_len - copy;

			if (n > sizeof(zero))
				n = sizeof(zero);
			rc = uaccess_to(ucmd->ctx, cmd->data_uptr + copy, zero, n);
			copy += n;
		}
		if (rc)
			goto out_put;
	}
	cmd->data_len = len;
	cmd->out_data_type = type;
	cmd->out_capabilities = 0;
	if (dev->caps & DEV_CAP_DIRTY)
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/*
	 * No emulated PCI device has an address translation cache (hw_info.c). The selftest's
	 * mock device is not a PCI device, so the kernel reports no ATS bit for it (checked on
	 * Linux 6.12 by the oracle's hwpt scenario).
	 */
	if (dev->model != &mock_model_ops)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	cmd->out_max_pasid_log2 = dev->caps & DEV_CAP_PASID ? dev->max_pasid_log2 : 0;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	obj_put(&dev->obj);
	return rc;
}

/* ---- the in-process API ------------------------------------------------------------------ */

static int api_result(int rc)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int device_new_locked(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
		      uint32_t *out_dev_id)
{
	const uint32_t valid =
		IOASID_DEVICE_NO_DIRTY | IOASID_DEVICE_HUGE_IOVA | IOASID_DEVICE_PASID;
	const struct iommu_model *model;
	struct device *dev;
	int rc;

	if (!desc || !desc->format || !out_dev_id)
		return -EINVAL;
	if (desc->flags & ~valid)
		return -EOPNOTSUPP;
	if (desc->nr_reserved > IOASID_DEVICE_MAX_RESERVED ||
	    (desc->nr_reserved && !desc->reserved))
		return -EINVAL;
	for (unsigned int i = 0; i < desc->nr_reserved; i++)
		if (desc->reserved[i].start > desc->reserved[i].last)
			return -EINVAL;
	model = iommu_model_find(desc->format);
	if (!model)
		return -EOPNOTSUPP;
	rc = model->device_new(ctx, desc, &dev);
	if (rc)
		return rc;
	dev->ctx_owned = true;
	dev->nr_resv = desc->nr_reserved;
	for (unsigned int i = 0; i < desc->nr_reserved; i++) {
		dev->resv[i].start = desc->reserved[i].start;
		dev->resv[i].last = desc->reserved[i].last;
	}
	*out_dev_id = dev->obj.id;
	return 0;
}

int ioasid_device_new(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
		      uint32_t *out_dev_id)
{
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = obj_commit_pending(ctx, device_new_locked(ctx, desc, out_dev_id));
	pthread_mutex_unlock(&ctx->lock);
	return api_result(rc);
}

enum api_op { API_ATTACH, API_REPLACE, API_DETACH, API_DESTROY };

static int device_op(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, enum api_op op,
		     uint32_t pt_id, uint32_t *out_hwpt_id)
{
	struct device *dev;
	int rc = 0;

	pthread_mutex_lock(&ctx->lock);
	dev = dev_get(ctx, dev_id);
	if (!dev || !dev->ctx_owned) {
		if (dev)
			obj_put(&dev->obj);
		pthread_mutex_unlock(&ctx->lock);
		return api_result(-ENOENT);
	}
	switch (op) {
	case API_ATTACH:
		rc = dev_pasid_attach(dev, pasid, &pt_id);
		break;
	case API_REPLACE:
		rc = dev_pasid_replace(dev, pasid, &pt_id);
		break;
	case API_DETACH:
		rc = dev_pasid_detach_checked(dev, pasid);
		break;
	case API_DESTROY:
		obj_put(&dev->obj);
		dev_unbind(dev);
		pthread_mutex_unlock(&ctx->lock);
		return 0;
	}
	if (!rc && out_hwpt_id && op != API_DETACH)
		*out_hwpt_id = pt_id;
	obj_put(&dev->obj);
	rc = obj_commit_pending(ctx, rc); /* an automatic HWPT the attach made */
	pthread_mutex_unlock(&ctx->lock);
	return api_result(rc);
}

int ioasid_device_attach(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
			 uint32_t *out_hwpt_id)
{
	return device_op(ctx, dev_id, IOMMU_NO_PASID, API_ATTACH, pt_id, out_hwpt_id);
}

int ioasid_device_replace(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
			  uint32_t *out_hwpt_id)
{
	return device_op(ctx, dev_id, IOMMU_NO_PASID, API_REPLACE, pt_id, out_hwpt_id);
}

int ioasid_device_detach(struct ioasid_ctx *ctx, uint32_t dev_id)
{
	return device_op(ctx, dev_id, IOMMU_NO_PASID, API_DETACH, 0, NULL);
}

int ioasid_device_destroy(struct ioasid_ctx *ctx, uint32_t dev_id)
{
	return device_op(ctx, dev_id, IOMMU_NO_PASID, API_DESTROY, 0, NULL);
}

int ioasid_device_pasid_attach(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid,
			       uint32_t pt_id, uint32_t *out_hwpt_id)
{
	return device_op(ctx, dev_id, pasid, API_ATTACH, pt_id, out_hwpt_id);
}

int ioasid_device_pasid_replace(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid,
				uint32_t pt_id, uint32_t *out_hwpt_id)
{
	return device_op(ctx, dev_id, pasid, API_REPLACE, pt_id, out_hwpt_id);
}

int ioasid_device_pasid_detach(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid)
{
	return device_op(ctx, dev_id, pasid, API_DETACH, 0, NULL);
}

/* Append [start, last] minus the device's reserved regions (RID only) to the output. */
static void dev_window_add(const struct device *dev, bool rid, uint64_t start, uint64_t last,
			   struct ioasid_iova_range *out, uint32_t cap, uint32_t *n)
{
	for (unsigned int i = 0; rid && i < dev->nr_resv; i++) {
		const struct iommu_iova_range *r = &dev->resv[i];

		if (r->last < start || r->start > last)
			continue;
		if (r->start > start)
			dev_window_add(dev, rid, start, r->start - 1, out, cap, n);
		if (r->last >= last)
			return;
		start = r->last + 1;
	}
	if (*n < cap)
		out[*n] = (struct ioasid_iova_range){ .start = start, .last = last };
	(*n)++;
}

int ioasid_device_pasid_iova_ranges(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid,
				    struct ioasid_iova_range *ranges, uint32_t *inout_num)
{
	struct hwpt_paging *hwpt;
	struct device *dev;
	uint32_t n = 0, cap;
	int rc = 0;

	if (!inout_num || (*inout_num && !ranges))
		return api_result(-EINVAL);
	cap = *inout_num;
	pthread_mutex_lock(&ctx->lock);
	dev = dev_get(ctx, dev_id);
	if (!dev) {
		pthread_mutex_unlock(&ctx->lock);
		return api_result(-ENOENT);
	}
	if (!dev_pasid_valid(dev, pasid)) {
		rc = -EINVAL;
		goto out;
	}
	hwpt = dev_pasid_hwpt(dev, pasid);
	if (!hwpt) {
		rc = -ENODEV;
		goto out;
	}
	for (unsigned int i = 0; i < hwpt->domain->nr_ranges; i++)
		dev_window_add(dev, pasid == IOMMU_NO_PASID, hwpt->domain->ranges[i].start,
			       hwpt->domain->ranges[i].last, ranges, cap, &n);
	*inout_num = n;
	if (n > cap)
		rc = -EMSGSIZE;
out:
	obj_put(&dev->obj);
	pthread_mutex_unlock(&ctx->lock);
	return api_result(rc);
}

/* A DMA's result as the API's errno: the fault's type picks it. */
static int dev_dma_errno(int rc, const struct iommu_fault *f)
{
	if (rc != -EFAULT)
		return rc;
	return f->type == IOMMU_FAULT_PERMISSION ? -EPERM : -EFAULT;
}

/* One pass of DMA in a read section, no lock: the bytes copied in *done. */
static int dev_dma_pass(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
			uint8_t *buf, size_t len, bool write, struct iommu_fault *fault,
			size_t *done)
{
	struct iommu_dev *idev;
	unsigned int tok = iommu_read_lock();
	int rc;

	idev = iommu_dir_lookup(&ctx->iommu_dir, dev_id);
	rc = idev ? iommu_dma(idev, pasid, iova, buf, len, write, fault, done) : -ENOENT;
	iommu_read_unlock(tok);
	if (rc == -ENOENT)
		*done = 0;
	return rc;
}

/*
 * The page request of a faulting DMA, if what the device is attached to at pasid is
 * fault-capable: report it and wait for the answer (ctx->lock held, dropped while waiting).
 * 1: answered SUCCESS, retry; 0: no retry (not fault-capable, answered INVALID, timed out,
 * queue full).
 */
static int dev_dma_page_request(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, bool write,
				const struct iommu_fault *fault)
{
	static uint32_t next_grpid;
	struct iommu_hwpt_pgfault rec = { 0 };
	struct fault_queue *fq;
	const void *owner = NULL;
	struct device *dev;

	if (fault->type != IOMMU_FAULT_NOT_PRESENT && fault->type != IOMMU_FAULT_PERMISSION)
		return 0; /* an address-size fault is not something a page request can fix */
	if (fault->level & IOMMU_FAULT_CTX)
		return 0; /* a context structure's fault is an event, never a page request */
	dev = dev_get(ctx, dev_id);
	if (!dev)
		return 0;
	fq = dev_pasid_fault_queue(dev, pasid, fault->stage, &owner);
	obj_put(&dev->obj);
	if (!fq)
		return 0;
	rec.flags = pasid != IOMMU_NO_PASID ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0;
	rec.dev_id = dev_id;
	rec.pasid = pasid;
	rec.grpid = __atomic_add_fetch(&next_grpid, 1, __ATOMIC_RELAXED) & 0x1ff; /* PRG index */
	rec.perm = write ? IOMMU_PGFAULT_PERM_WRITE : IOMMU_PGFAULT_PERM_READ;
	rec.addr = fault->addr & ~(uint64_t)(IOASID_PAGE_SIZE - 1);
	rec.length = IOASID_PAGE_SIZE;
	return fault_dma_wait(ctx, fq, owner, &rec) == IOMMUFD_PAGE_RESP_SUCCESS;
}

int dev_dma_iopf(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova, void *buf,
		 size_t len, bool write, bool locked, struct iommu_fault *fault, size_t *out_done)
{
	uint8_t *p = buf;
	size_t off = 0, n;
	int rc;

	memset(fault, 0, sizeof(*fault));
	for (unsigned int requests = 0;; requests++) {
		int retry;

		rc = dev_dma_pass(ctx, dev_id, pasid, iova + off, p + off, len - off, write, fault,
				  &n);
		off += n;
		if (rc != -EFAULT || requests == DEV_DMA_MAX_PAGE_REQUESTS)
			break;
		/* the slow path: a fault, maybe a page request the program answers */
		if (!locked)
			pthread_mutex_lock(&ctx->lock);
		retry = dev_dma_page_request(ctx, dev_id, pasid, write, fault);
		if (!locked)
			pthread_mutex_unlock(&ctx->lock);
		if (!retry)
			break;
	}
	*out_done = off;
	return rc;
}

/*
 * Device DMA takes no lock of the context: the device is found in the context's directory
 * and translated inside a read section (src/iommu/xlate.c), so a device can DMA while the
 * program maps, unmaps, attaches and detaches. Only a fault on a fault-capable HWPT takes the
 * lock, to report a page request and wait for the answer.
 */
static int dev_dma(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		   void *buf, size_t len, bool write, struct iommu_fault *fault)
{
	uint64_t last;
	size_t done;

	if (len && check_add_u64(iova, len - 1, &last))
		return -EOVERFLOW;
	return dev_dma_iopf(ctx, dev_id, pasid, iova, buf, len, write, false, fault, &done);
}

int ioasid_device_dma(struct ioasid_ctx *ctx, uint32_t dev_id, uint64_t iova, void *buf, size_t len,
		      bool write)
{
	struct iommu_fault f;

	return api_result(
		dev_dma_errno(dev_dma(ctx, dev_id, IOMMU_NO_PASID, iova, buf, len, write, &f), &f));
}

int ioasid_device_dma_pasid(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
			    void *buf, size_t len, unsigned int flags,
			    struct ioasid_dma_fault *out_fault)
{
	struct iommu_fault f = { 0 };
	int rc;

	if (flags & ~(unsigned int)IOASID_DMA_WRITE)
		return api_result(-EOPNOTSUPP);
	rc = dev_dma(ctx, dev_id, pasid, iova, buf, len, flags & IOASID_DMA_WRITE, &f);
	if (out_fault) {
		memset(out_fault, 0, sizeof(*out_fault));
		out_fault->type = (uint32_t)f.type;
		out_fault->stage = f.stage;
		out_fault->level = f.level;
		out_fault->addr = f.addr;
	}
	return api_result(dev_dma_errno(rc, &f));
}

/* kcall.h: for the device models' DMA (src/devices/dma.c) */
struct iommu_ctx_dir **ioasid_ctx_iommu_dir(struct ioasid_ctx *ctx)
{
	return &ctx->iommu_dir;
}
