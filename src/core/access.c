/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * access.c - accesses: users of an IOAS that touch its memory from the CPU side.
 *
 * An access is what the kernel calls an iommufd_access: an emulated device (a mediated
 * device, the selftest's mock) that reads and writes IOVA through the IOAS's areas instead
 * of through an IOMMU, or pins pages of it for longer. Its owner supplies struct access_ops:
 * whether it pins pages (then the IOAS's IOVA alignment becomes at least a CPU page), and
 * an unmap call. When the IOAS unmaps an area the access has pinned, the owner is told to
 * unpin everything in that range, and the unmap then proceeds (iopt.c); an owner must
 * comply, as a kernel driver must.
 *
 * Pins live in the pages objects (pages_pin), so a page pinned by an access and by a domain
 * is pinned and charged once. area->num_accesses counts the pins inside each area.
 *
 * Replacing the IOAS: the access joins the new IOAS first (which may fail: EADDRINUSE when
 * its alignment breaks the new IOAS's areas), then its owner is told to unpin everything in
 * the old one, then it leaves the old one. During that, ioas is already NULL (no new pins)
 * while ioas_unpin still names where the old pins live.
 *
 * Lifetime: users is 2 (the table's and the owner's): IOMMU_DESTROY of an access is EBUSY.
 * The owner ends it with access_destroy(). An attached access holds a user reference on its
 * IOAS, so the IOAS cannot be destroyed under it.
 *
 * Locking: ctx->lock, held by every caller.
 */
#include <stdlib.h>
#include <string.h>

#include "core/private.h"

static void access_iopt_unmap(struct iopt_access *ia, uint64_t iova, uint64_t length)
{
	struct access *access = container_of(ia, struct access, hook);

	if (access->ops->unmap)
		access->ops->unmap(access->data, iova, length);
}

int access_create(struct ioasid_ctx *ctx, const struct access_ops *ops, void *data,
		  struct access **out)
{
	struct obj *obj = obj_alloc(ctx, OBJ_ACCESS);
	struct access *access;

	if (!obj)
		return -ENOMEM;
	access = container_of(obj, struct access, obj);
	access->ops = ops;
	access->data = data;
	access->hook.iova_alignment = ops->needs_pin_pages ? IOASID_PAGE_SIZE : 1;
	access->hook.unmap = access_iopt_unmap;
	obj_ref(&access->obj); /* the owner's; published when the call commits */
	*out = access;
	return 0;
}

/* Move to new_ioas (NULL: detach). */
static int access_change_ioas(struct access *access, struct ioas *new_ioas)
{
	struct ioas *cur = access->ioas;
	int rc;

	if (cur == new_ioas)
		return 0;
	access->ioas = NULL;
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, &access->hook);
		if (rc) {
			access->ioas = cur;
			return rc;
		}
		obj_ref(&new_ioas->obj);
	}
	if (cur) {
		if (access->ops->unmap)
			access->ops->unmap(access->data, 0, UINT64_MAX);
		iopt_remove_access(&cur->iopt, &access->hook);
		obj_unref(&cur->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

static int access_change_ioas_id(struct access *access, uint32_t ioas_id)
{
	struct ioas *ioas = ioas_get(access->obj.ctx, ioas_id);
	int rc;

	if (!ioas)
		return -ENOENT;
	rc = access_change_ioas(access, ioas);
	obj_put(&ioas->obj);
	return rc;
}

int access_attach(struct access *access, uint32_t ioas_id)
{
	if (access->ioas)
		return -EINVAL;
	return access_change_ioas_id(access, ioas_id);
}

int access_replace(struct access *access, uint32_t ioas_id)
{
	if (!access->ioas)
		return -ENOENT;
	return access_change_ioas_id(access, ioas_id);
}

void access_obj_destroy(struct obj *obj)
{
	struct access *access = container_of(obj, struct access, obj);

	if (access->ioas)
		access_change_ioas(access, NULL);
}

void access_destroy(struct access *access)
{
	obj_remove(access->obj.ctx, &access->obj);
}

void access_obj_close(struct obj *obj)
{
	struct access *access = container_of(obj, struct access, obj);

	if (access->ops->close)
		access->ops->close(access->data);
}

int access_pin_pages(struct access *access, uint64_t iova, uint64_t length, bool write,
		     void **out_host)
{
	if (!access->ops->needs_pin_pages || !access->ops->unmap)
		return -EINVAL;
	if (!length)
		return -EINVAL;
	if (!access->ioas)
		return -ENOENT;
	return iopt_access_pin(&access->ioas->iopt, iova, length, write, access->ops->internal,
			       out_host);
}

void access_unpin_pages(struct access *access, uint64_t iova, uint64_t length)
{
	if (!access->ioas_unpin)
		return;
	iopt_access_unpin(&access->ioas_unpin->iopt, iova, length, access->ops->internal);
}

int access_rw(struct access *access, uint64_t iova, void *buf, uint64_t length, bool write)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (check_add_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	return iopt_access_rw(&access->ioas->iopt, iova, buf, length, write);
}
