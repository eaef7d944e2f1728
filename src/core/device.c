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

#include "core/private.h"
#ifdef IOASID_HAVE_PT
#include "pt/pt.h"
#endif
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

	if (!obj)
		return -ENOMEM;
	dev = container_of(obj, struct device, obj);
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
	if (dev->hwpt)
		dev_detach(dev);
	if (dev->model->release)
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

static void dev_link_hwpt(struct device *dev, struct hwpt_paging *hwpt)
{
	dev->hwpt = hwpt;
	hwpt->ndevices++;
	obj_ref(&hwpt->obj);
}

static int dev_attach_hwpt(struct device *dev, struct hwpt_paging *hwpt)
{
	int rc;

	if (dev->hwpt)
		return -EINVAL;
	rc = dev_check_hwpt(dev, hwpt);
	if (rc)
		return rc;
	rc = dev_reserve(dev, &hwpt->ioas->iopt);
	if (rc)
		return rc;
	dev_link_hwpt(dev, hwpt);
	obj_ref(&dev->obj); /* attached */
	return 0;
}

static int dev_replace_hwpt(struct device *dev, struct hwpt_paging *hwpt)
{
	struct hwpt_paging *old = dev->hwpt;
	bool moves = old && old->ioas != hwpt->ioas;
	int rc;

	if (!old)
		return -EINVAL;
	if (old == hwpt)
		return 0;
	rc = dev_check_hwpt(dev, hwpt);
	if (rc)
		return rc;
	if (moves) {
		rc = dev_reserve(dev, &hwpt->ioas->iopt);
		if (rc)
			return rc;
	}
	dev_link_hwpt(dev, hwpt);
	if (moves)
		dev_unreserve(dev, &old->ioas->iopt);
	hwpt_put_device(old);
	return 0;
}

typedef int (*dev_attach_fn)(struct device *dev, struct hwpt_paging *hwpt);

/* Join an automatic HWPT of ioas, or make one. */
static int dev_auto_domain(struct device *dev, struct ioas *ioas, dev_attach_fn fn,
			   uint32_t *out_id)
{
	struct hwpt_paging *hwpt;
	int rc;

	for (hwpt = ioas->hwpts; hwpt; hwpt = hwpt->ioas_next) {
		if (!hwpt->auto_domain)
			continue;
		rc = fn(dev, hwpt);
		if (rc == -EINVAL)
			continue; /* not for this device: try the next */
		if (!rc)
			*out_id = hwpt->obj.id;
		return rc;
	}
	if (fn == dev_attach_hwpt && dev->hwpt)
		return -EINVAL;
	if (fn == dev_replace_hwpt && !dev->hwpt)
		return -EINVAL;
	rc = hwpt_paging_alloc(ioas, dev, 0, &hwpt);
	if (rc)
		return rc;
	rc = fn(dev, hwpt);
	if (rc) {
		obj_abort(dev->obj.ctx, &hwpt->obj);
		return rc;
	}
	hwpt->auto_domain = true; /* published when the call commits */
	*out_id = hwpt->obj.id;
	return 0;
}

/*
 * Onto a nested HWPT: the device joins the parent as for a paging HWPT (unless already
 * there), then links the nested HWPT (hwpt_nested.c), dropping a previous one.
 */
static int dev_set_nested(struct device *dev, struct hwpt_nested *n, dev_attach_fn fn)
{
	int rc;

	if ((fn == dev_attach_hwpt) == (dev->hwpt != NULL))
		return -EINVAL;
	rc = hwpt_nested_attach_check(dev, n);
	if (rc)
		return rc;
	if (dev->hwpt != n->parent) {
		rc = fn(dev, n->parent);
		if (rc)
			return rc;
	}
	hwpt_nested_link(dev, n);
	return 0;
}

static int dev_change_pt(struct device *dev, uint32_t *inout_pt_id, dev_attach_fn fn)
{
	struct obj *pt = obj_get(dev->obj.ctx, *inout_pt_id, OBJ_ANY);
	int rc;

	if (!pt)
		return -ENOENT;
	switch (pt->type) {
	case OBJ_HWPT_PAGING:
		rc = fn(dev, container_of(pt, struct hwpt_paging, obj));
		break;
	case OBJ_IOAS:
		rc = dev_auto_domain(dev, container_of(pt, struct ioas, obj), fn, inout_pt_id);
		break;
	case OBJ_HWPT_NESTED:
		rc = dev_set_nested(dev, container_of(pt, struct hwpt_nested, obj), fn);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	/* on a paging HWPT now: whatever nested HWPT the device was on lets go */
	if (!rc && pt->type != OBJ_HWPT_NESTED)
		hwpt_nested_unlink(dev);
	obj_put(pt);
	return rc;
}

int dev_attach(struct device *dev, uint32_t *inout_pt_id)
{
	return dev_change_pt(dev, inout_pt_id, dev_attach_hwpt);
}

int dev_replace(struct device *dev, uint32_t *inout_pt_id)
{
	return dev_change_pt(dev, inout_pt_id, dev_replace_hwpt);
}

void dev_detach(struct device *dev)
{
	struct hwpt_paging *hwpt = dev->hwpt;

	if (!hwpt)
		return;
	hwpt_nested_unlink(dev);
	dev_unreserve(dev, &hwpt->ioas->iopt);
	dev->hwpt = NULL;
	obj_unref(&dev->obj);
	hwpt_put_device(hwpt);
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
	/* no device here has an address translation cache (hw_info.c) */
	cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	cmd->out_max_pasid_log2 = dev->caps & DEV_CAP_PASID ? dev->max_pasid_log2 : 0;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	obj_put(&dev->obj);
	return rc;
}

/* ---- page-table formats as IOMMU models ------------------------------------------------- */

#ifdef IOASID_HAVE_PT
/* A device whose IOMMU walks one of the page-table formats (src/pt). */
struct pt_model {
	struct pt_config cfg;
};

static int ptm_domain_alloc(struct device *dev, uint32_t flags, struct iommu_domain **out)
{
	struct pt_model *m = dev->model_priv;
	struct pt_config cfg = m->cfg;

	cfg.arena = ctx_pt_arena(dev->obj.ctx);
	if (!cfg.arena)
		return -ENOMEM;
	if (!(flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		cfg.flags |= PT_CFG_NO_DIRTY;
	return pt_domain_alloc(&cfg, out);
}

static int ptm_attach_check(struct device *dev, const struct hwpt_paging *hwpt)
{
	struct pt_model *m = dev->model_priv;
	const struct pt_config *c;

	if (!pt_is_domain(hwpt->domain))
		return -EINVAL;
	c = pt_domain_config(hwpt->domain);
	if (!pt_config_equivalent(c, &m->cfg))
		return -EINVAL;
	if ((hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !(dev->caps & DEV_CAP_DIRTY))
		return -EINVAL;
	return 0;
}

static int ptm_hw_info(struct device *dev, void *buf, uint32_t buf_len, uint32_t *out_len,
		       uint32_t *out_type)
{
	struct pt_model *m = dev->model_priv;

	return hw_info_of_config(&m->cfg, dev->caps & DEV_CAP_DIRTY, buf, buf_len, out_len,
				 out_type);
}

static void ptm_release(struct device *dev)
{
	free(dev->model_priv);
}

static const struct dev_model_ops pt_model_ops = {
	.name = "pt",
	.domain_alloc_paging = ptm_domain_alloc,
	.attach_check = ptm_attach_check,
	.hw_info = ptm_hw_info,
	.mark_dirty = pt_mark_dirty,
	.release = ptm_release,
};

static int pt_dev_new(struct ioasid_ctx *ctx, const char *format, struct device **out)
{
	const struct pt_variant *v = pt_variant_find(format);
	struct pt_model *m;
	int rc;

	if (!v)
		return -EOPNOTSUPP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = v->cfg;
	rc = dev_bind(ctx, &pt_model_ops, m, out);
	if (rc)
		free(m);
	return rc;
}
#endif

/* ---- the in-process API ------------------------------------------------------------------ */

static int api_result(int rc)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

static int device_new_locked(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
			     uint32_t *out_dev_id)
{
	const uint32_t valid =
		IOASID_DEVICE_NO_DIRTY | IOASID_DEVICE_HUGE_IOVA | IOASID_DEVICE_PASID;
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
	if (!strcmp(desc->format, "mock")) {
		uint32_t mflags = 0;

		if (desc->flags & IOASID_DEVICE_NO_DIRTY)
			mflags |= MOCK_FLAGS_DEVICE_NO_DIRTY;
		if (desc->flags & IOASID_DEVICE_HUGE_IOVA)
			mflags |= MOCK_FLAGS_DEVICE_HUGE_IOVA;
		if (desc->flags & IOASID_DEVICE_PASID)
			mflags |= MOCK_FLAGS_DEVICE_PASID;
		rc = mock_dev_new(ctx, mflags, &dev);
	} else {
#ifdef IOASID_HAVE_PT
		if (desc->flags & IOASID_DEVICE_HUGE_IOVA)
			return -EOPNOTSUPP;
		rc = pt_dev_new(ctx, desc->format, &dev);
		if (!rc && !(desc->flags & IOASID_DEVICE_NO_DIRTY))
			dev->caps |= DEV_CAP_DIRTY;
#else
		rc = -EOPNOTSUPP;
#endif
	}
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

static int device_op(struct ioasid_ctx *ctx, uint32_t dev_id, enum api_op op, uint32_t pt_id,
		     uint32_t *out_hwpt_id)
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
		rc = dev_attach(dev, &pt_id);
		break;
	case API_REPLACE:
		rc = dev_replace(dev, &pt_id);
		break;
	case API_DETACH:
		if (!dev->hwpt)
			rc = -EINVAL;
		dev_detach(dev);
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
	return device_op(ctx, dev_id, API_ATTACH, pt_id, out_hwpt_id);
}

int ioasid_device_replace(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
			  uint32_t *out_hwpt_id)
{
	return device_op(ctx, dev_id, API_REPLACE, pt_id, out_hwpt_id);
}

int ioasid_device_detach(struct ioasid_ctx *ctx, uint32_t dev_id)
{
	return device_op(ctx, dev_id, API_DETACH, 0, NULL);
}

int ioasid_device_destroy(struct ioasid_ctx *ctx, uint32_t dev_id)
{
	return device_op(ctx, dev_id, API_DESTROY, 0, NULL);
}

/* One translated copy: [iova, iova + len) through the domain, never crossing a leaf. */
static int dev_dma_locked(struct device *dev, uint64_t iova, uint8_t *buf, size_t len, bool write)
{
	struct iommu_domain *d;
	uint64_t last;

	if (!dev->hwpt)
		return -ENODEV;
	d = dev->hwpt->domain;
	if (!len)
		return 0;
	if (check_add_u64(iova, len - 1, &last))
		return -EOVERFLOW;
	while (len) {
		uint64_t pa, leaf, n;
		int prot, rc;

		rc = d->ops->iova_to_phys(d, iova, &pa, &leaf, &prot);
		if (rc)
			return -EFAULT;
		if (!(prot & (write ? IOMMU_PROT_WRITE : IOMMU_PROT_READ)))
			return -EPERM;
		n = leaf - (iova & (leaf - 1));
		if (n > len)
			n = len;
		if (write) {
			memcpy((void *)(uintptr_t)pa, buf, n);
			if (d->dirty_tracking && dev->model->mark_dirty)
				dev->model->mark_dirty(d, iova);
		} else {
			memcpy(buf, (void *)(uintptr_t)pa, n);
		}
		buf += n;
		iova += n;
		len -= n;
	}
	return 0;
}

int ioasid_device_dma(struct ioasid_ctx *ctx, uint32_t dev_id, uint64_t iova, void *buf, size_t len,
		      bool write)
{
	struct device *dev;
	int rc;

	pthread_mutex_lock(&ctx->lock);
	dev = dev_get(ctx, dev_id);
	if (!dev) {
		pthread_mutex_unlock(&ctx->lock);
		return api_result(-ENOENT);
	}
	rc = dev_dma_locked(dev, iova, buf, len, write);
	obj_put(&dev->obj);
	pthread_mutex_unlock(&ctx->lock);
	return api_result(rc);
}
