/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hwpt.c - hardware page tables: IOMMU_HWPT_ALLOC, dirty tracking, cache invalidation.
 *
 * A paging HWPT owns one domain, made by the IOMMU model of the device named at allocation,
 * and keeps it in step with one IOAS: the domain is added to the IOAS's iopt when the HWPT
 * is made (which pins and maps every area, or fails with nothing changed) and removed when
 * it dies. The HWPT holds a user reference on its IOAS, so the IOAS cannot be destroyed
 * under it (EBUSY); each attached device holds one on the HWPT.
 *
 * Dirty tracking: a domain allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING (only for a
 * device whose IOMMU can) offers the dirty ops. Turning tracking on first clears whatever
 * the domain already recorded, so the first bitmap read is a clean snapshot. Reading walks
 * the areas inside the requested range (holes read as clean) and ORs the result into the
 * caller's bitmap: bit n stands for [iova + n * page_size, iova + (n + 1) * page_size).
 *
 * Nested HWPTs (a user stage-1 table on a nest-parent HWPT or a vIOMMU) and the user's cache
 * invalidation live in hwpt_nested.c; IOMMU_HWPT_ALLOC dispatches to them from here. Either
 * kind may name a fault queue (IOMMU_HWPT_FAULT_ID_VALID), except a nest parent: its faults
 * are the stage 1's to report.
 *
 * Lifecycle: the new HWPT is pending until the dispatcher publishes it after the reply; an
 * automatic HWPT that loses its last device is destroyed only once published (a pending
 * one is the dispatcher's to abort).
 *
 * Error order (STYLE habit 4): unknown flags or non-zero reserved fields (EOPNOTSUPP),
 * overflow (EOVERFLOW), bad values (EINVAL), missing objects (ENOENT) - except where the
 * kernel answers differently and a program checks it (a pt_id that is not an object is
 * EINVAL in IOMMU_HWPT_ALLOC, as in the kernel).
 */
#include <stdlib.h>
#include <string.h>

#include "core/private.h"
#include "iommu/iommu.h"

struct hwpt_paging *hwpt_paging_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_HWPT_PAGING);

	return obj ? container_of(obj, struct hwpt_paging, obj) : NULL;
}

static void hwpt_unlink(struct hwpt_paging *hwpt)
{
	struct hwpt_paging **pp;

	for (pp = &hwpt->ioas->hwpts; *pp; pp = &(*pp)->ioas_next)
		if (*pp == hwpt) {
			*pp = hwpt->ioas_next;
			return;
		}
}

void hwpt_paging_destroy(struct obj *obj)
{
	struct hwpt_paging *hwpt = container_of(obj, struct hwpt_paging, obj);

	if (hwpt->in_iopt) {
		iopt_remove_domain(&hwpt->ioas->iopt, hwpt->domain);
		hwpt->in_iopt = false;
	}
	hwpt_unlink(hwpt);
	if (hwpt->domain)
		hwpt->domain->ops->free(hwpt->domain);
	if (hwpt->fault)
		obj_unref(&hwpt->fault->obj);
	obj_unref(&hwpt->ioas->obj);
}

void hwpt_paging_abort(struct obj *obj)
{
	hwpt_paging_destroy(obj);
}

/*
 * IOMMU_HWPT_ALLOC_PASID asks for a domain a PASID may use; it does not need a PASID-capable
 * device (Linux 7.x allocates it and refuses the PASID attach of such a device instead).
 */
int hwpt_paging_check_flags(const struct device *dev, uint32_t flags)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			       IOMMU_HWPT_ALLOC_PASID;

	if (flags & ~valid)
		return -EOPNOTSUPP;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && !(dev->caps & DEV_CAP_DIRTY))
		return -EOPNOTSUPP;
	return 0;
}

int hwpt_paging_alloc(struct ioas *ioas, struct device *dev, uint32_t flags,
		      struct hwpt_paging **out)
{
	return hwpt_paging_alloc_data(ioas, dev, flags, NULL, out);
}

int hwpt_paging_alloc_data(struct ioas *ioas, struct device *dev, uint32_t flags, const void *data,
			   struct hwpt_paging **out)
{
	struct hwpt_paging *hwpt;
	struct obj *obj;
	int rc;

	rc = hwpt_paging_check_flags(dev, flags);
	if (rc)
		return rc;
	if (data && !dev->model->domain_alloc_paging_data)
		return -EOPNOTSUPP;
	obj = obj_alloc(ioas->obj.ctx, OBJ_HWPT_PAGING);
	if (!obj)
		return -ENOMEM;
	hwpt = container_of(obj, struct hwpt_paging, obj);
	hwpt->ioas = ioas;
	obj_ref(&ioas->obj);
	hwpt->ioas_next = ioas->hwpts;
	ioas->hwpts = hwpt;
	hwpt->model = dev->model;
	hwpt->alloc_flags = flags;
	if (data)
		rc = dev->model->domain_alloc_paging_data(dev, flags, data, &hwpt->domain);
	else
		rc = dev->model->domain_alloc_paging(dev, flags, &hwpt->domain);
	if (rc) {
		hwpt->domain = NULL;
		goto err_abort;
	}
	rc = iopt_add_domain(&ioas->iopt, hwpt->domain);
	if (rc)
		goto err_abort;
	hwpt->in_iopt = true;
	*out = hwpt;
	return 0;

err_abort:
	obj_abort(ioas->obj.ctx, &hwpt->obj);
	return rc;
}

void hwpt_put_device(struct hwpt_paging *hwpt)
{
	hwpt->ndevices--;
	obj_unref(&hwpt->obj);
	if (hwpt->fault && !hwpt->ndevices)
		fault_cancel_owner(hwpt->fault, hwpt, 0);
	if (hwpt->auto_domain && hwpt->obj.published && hwpt->obj.users == 1 &&
	    !hwpt->obj.shortterm)
		obj_remove(hwpt->obj.ctx, &hwpt->obj);
}

/* ---- IOMMU_HWPT_ALLOC ----------------------------------------------------------------- */

/* IOMMU_HWPT_FAULT_ID_VALID on a paging HWPT: hold the queue. 0 or -ENOENT. */
static int hwpt_paging_set_fault(struct ucmd *ucmd, struct hwpt_paging *hwpt, uint32_t fault_id)
{
	struct fault_queue *fq = fault_get(ucmd->ctx, fault_id);

	if (!fq)
		return -ENOENT;
	hwpt->fault = fq;
	obj_ref(&fq->obj);
	obj_put(&fq->obj);
	return 0;
}

/*
 * A paging HWPT from IOMMU_HWPT_ALLOC: the flags first, then the driver data, which only a
 * model that takes some accepts (the mock of Linux 7.x: struct iommu_hwpt_selftest).
 */
static int hwpt_alloc_paging_user(struct ucmd *ucmd, struct ioas *ioas, struct device *dev,
				  struct hwpt_paging **out)
{
	const struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	uint32_t flags = cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID;
	const struct dev_model_ops *m = dev->model;
	void *data;
	int rc;

	if (!cmd->data_len)
		return hwpt_paging_alloc(ioas, dev, flags, out);
	rc = hwpt_paging_check_flags(dev, flags);
	if (rc)
		return rc;
	if (!m->domain_alloc_paging_data || cmd->data_type != m->paging_data_type)
		return -EOPNOTSUPP;
	if (cmd->data_len < m->paging_data_min)
		return -EINVAL;
	data = malloc(m->paging_data_max);
	if (!data)
		return -ENOMEM;
	rc = uaccess_struct_from(ucmd->ctx, data, m->paging_data_max, cmd->data_uptr,
				 cmd->data_len);
	if (!rc)
		rc = hwpt_paging_alloc_data(ioas, dev, flags, data, out);
	free(data);
	return rc;
}

int hwpt_alloc_ioctl(struct ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	bool want_fault = cmd->flags & IOMMU_HWPT_FAULT_ID_VALID;
	struct hwpt_paging *hwpt = NULL;
	struct hwpt_nested *nested = NULL;
	struct device *dev;
	struct obj *pt;
	int rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	dev = dev_get(ucmd->ctx, cmd->dev_id);
	if (!dev)
		return -ENOENT;
	pt = obj_get(ucmd->ctx, cmd->pt_id, OBJ_ANY);
	if (!pt) {
		rc = -EINVAL;
		goto out_dev;
	}
	switch (pt->type) {
	case OBJ_IOAS:
		/* a nest parent reports no faults */
		rc = -EOPNOTSUPP;
		if (want_fault && (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
			break;
		rc = hwpt_alloc_paging_user(ucmd, container_of(pt, struct ioas, obj), dev, &hwpt);
		if (!rc && want_fault)
			rc = hwpt_paging_set_fault(ucmd, hwpt, cmd->fault_id);
		if (!rc)
			cmd->out_hwpt_id = hwpt->obj.id;
		break;
	case OBJ_HWPT_PAGING:
		rc = hwpt_nested_alloc(ucmd, container_of(pt, struct hwpt_paging, obj), NULL, dev,
				       &nested);
		if (!rc)
			cmd->out_hwpt_id = nested->obj.id;
		break;
	case OBJ_VIOMMU: {
		struct viommu *v = container_of(pt, struct viommu, obj);

		rc = hwpt_nested_alloc(ucmd, v->parent, v, dev, &nested);
		if (!rc)
			cmd->out_hwpt_id = nested->obj.id;
		break;
	}
	default:
		rc = -EINVAL;
		break;
	}
	/* the new HWPT is pending: published after this reply, or aborted by the dispatcher */
	if (!rc)
		rc = ucmd_respond(ucmd, sizeof(*cmd));
	obj_put(pt);
out_dev:
	obj_put(&dev->obj);
	return rc;
}

/* ---- dirty tracking ------------------------------------------------------------------- */

/* Read-and-clear over every area inside [iova, last]; sink NULL only clears. */
static int hwpt_walk_dirty(struct hwpt_paging *hwpt, uint64_t iova, uint64_t last,
			   unsigned int flags, struct iommu_dirty_sink *sink)
{
	struct iommu_domain *d = hwpt->domain;
	struct iopt *iopt = &hwpt->ioas->iopt;

	for (struct itree_node *n = itree_iter_first(&iopt->areas, iova, last); n;
	     n = itree_iter_next(n, iova, last)) {
		uint64_t s = n->start > iova ? n->start : iova;
		uint64_t l = n->last < last ? n->last : last;
		int rc = d->ops->read_and_clear_dirty(d, s, l - s + 1, flags, sink);

		if (rc)
			return rc;
	}
	return 0;
}

int hwpt_set_dirty_tracking_ioctl(struct ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	struct hwpt_paging *hwpt;
	struct iommu_domain *d;
	bool was;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = hwpt_paging_get(ucmd->ctx, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	d = hwpt->domain;
	rc = -EOPNOTSUPP;
	if (!d->ops->set_dirty_tracking || !d->ops->read_and_clear_dirty)
		goto out_put;
	/* a clean snapshot: forget what was recorded before tracking started */
	if (enable) {
		rc = hwpt_walk_dirty(hwpt, 0, UINT64_MAX, 0, NULL);
		if (rc)
			goto out_put;
	}
	was = d->dirty_tracking;
	rc = d->ops->set_dirty_tracking(d, enable);
	/*
	 * The hardware's enable bits live in the structures of the devices on the domain (AMD
	 * DTE HAD, VT-d SSADE, SMMUv3 S2HA/S2HD): rewritten as the drivers do, the walk reads
	 * them. A model that cannot rewrite them leaves the domain as it was.
	 */
	if (!rc && (rc = iommu_domain_resync(&ucmd->ctx->iommu_dir, d))) {
		d->ops->set_dirty_tracking(d, was);
		iommu_domain_resync(&ucmd->ctx->iommu_dir, d);
	}
out_put:
	obj_put(&hwpt->obj);
	return rc;
}

/* Bits of the caller's bitmap for one window of IOVA, kept in our memory. */
#define DIRTY_WINDOW_BYTES 4096

struct dirty_window {
	struct iommu_dirty_sink sink;
	uint64_t iova;	    /* what bit 0 of the window stands for */
	uint64_t last;	    /* last IOVA of the window */
	unsigned int shift; /* one bit per 1 << shift bytes: the lowest bit of page_size */
	uint8_t bits[DIRTY_WINDOW_BYTES];
};

static void dirty_window_record(struct iommu_dirty_sink *sink, uint64_t iova, uint64_t len)
{
	struct dirty_window *w = container_of(sink, struct dirty_window, sink);
	uint64_t last;

	if (!len || check_add_u64(iova, len - 1, &last))
		last = UINT64_MAX;
	if (iova < w->iova)
		iova = w->iova;
	if (last > w->last)
		last = w->last;
	if (iova > last)
		return;
	for (uint64_t b = (iova - w->iova) >> w->shift; b <= (last - w->iova) >> w->shift; b++)
		w->bits[b / 8] |= 1u << (b % 8);
}

/*
 * Read and clear [iova, last], which areas must cover without a gap, as the kernel walks
 * it: what lies before the first gap is read (and cleared), then the gap is EINVAL.
 */
static int hwpt_walk_dirty_contig(struct hwpt_paging *hwpt, uint64_t iova, uint64_t last,
				  unsigned int flags, struct iommu_dirty_sink *sink)
{
	struct iommu_domain *d = hwpt->domain;
	struct iopt *iopt = &hwpt->ioas->iopt;

	for (;;) {
		struct itree_node *n = itree_iter_first(&iopt->areas, iova, iova);
		uint64_t l;
		int rc;

		if (!n)
			return -EINVAL;
		l = n->last < last ? n->last : last;
		rc = d->ops->read_and_clear_dirty(d, iova, l - iova + 1, flags, sink);
		if (rc || l == last)
			return rc;
		iova = l + 1;
	}
}

int hwpt_get_dirty_bitmap_ioctl(struct ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	unsigned int flags = 0;
	struct hwpt_paging *hwpt;
	struct dirty_window *w;
	uint64_t last, align, nbits, done = 0;
	int rc;

	/*
	 * In the kernel's order (checked on Linux 6.12 by tests/oracle "dirty"): the HWPT
	 * first, then the range, the page size (any non-zero value the range is aligned to;
	 * its lowest set bit is what one bit stands for), then the domain's support.
	 */
	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = hwpt_paging_get(ucmd->ctx, cmd->hwpt_id);
	if (!hwpt)
		return -ENOENT;
	rc = -EINVAL;
	if (!cmd->length)
		goto out_put;
	rc = -EOVERFLOW;
	if (check_add_u64(cmd->iova, cmd->length - 1, &last))
		goto out_put;
	align = hwpt->ioas->iopt.iova_alignment;
	rc = -EINVAL;
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		goto out_put;
	if (!cmd->page_size || (cmd->iova & (cmd->page_size - 1)) ||
	    ((last + 1) & (cmd->page_size - 1)))
		goto out_put;
	rc = -EOPNOTSUPP;
	if (!hwpt->domain->ops->read_and_clear_dirty)
		goto out_put;
	rc = -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out_put;
	if (cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
		flags |= IOMMU_DIRTY_NO_CLEAR;
	w->sink.record = dirty_window_record;
	w->shift = (unsigned int)__builtin_ctzll(cmd->page_size);
	nbits = ((cmd->length - 1) >> w->shift) + 1;
	rc = 0;
	while (done < nbits) {
		uint64_t n = nbits - done, bytes;
		int walk;

		if (n > DIRTY_WINDOW_BYTES * 8)
			n = DIRTY_WINDOW_BYTES * 8;
		bytes = (n + 7) / 8;
		w->iova = cmd->iova + (done << w->shift);
		w->last = n == nbits - done ? last : w->iova + (n << w->shift) - 1;
		/* the caller's bits are ORed into, never cleared */
		rc = uaccess_from(ucmd->ctx, w->bits, cmd->data + done / 8, bytes);
		if (rc)
			break;
		walk = hwpt_walk_dirty_contig(hwpt, w->iova, w->last, flags, &w->sink);
		/* bits found before a gap reach the caller, as in the kernel */
		rc = uaccess_to(ucmd->ctx, cmd->data + done / 8, w->bits, bytes);
		if (walk)
			rc = walk;
		if (rc)
			break;
		done += n;
	}
	free(w);
out_put:
	obj_put(&hwpt->obj);
	return rc;
}
