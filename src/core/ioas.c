/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioas.c - the IOMMU_IOAS_* and IOMMU_OPTION handlers.
 *
 * Each handler checks in the project's one order: unknown flags or non-zero reserved fields
 * (EOPNOTSUPP), values too large to be an IOVA or length (EOVERFLOW), bad values (EINVAL),
 * then the object lookup (ENOENT), then the work in iopt.c. Replies go through
 * ucmd_respond(), which never writes past the caller's size. A handler that fails after
 * changing state undoes it: when the reply cannot be written the mapping just made is
 * removed again.
 */
#include <stdlib.h>
#include <string.h>

#include "core/private.h"

struct ioas *ioas_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_IOAS);

	return obj ? container_of(obj, struct ioas, obj) : NULL;
}

struct ioas *ioas_alloc(struct ioasid_ctx *ctx)
{
	struct obj *obj = obj_alloc(ctx, OBJ_IOAS);
	struct ioas *ioas;

	if (!obj)
		return NULL;
	ioas = container_of(obj, struct ioas, obj);
	iopt_init(&ioas->iopt);
	return ioas;
}

void ioas_destroy(struct obj *obj)
{
	struct ioas *ioas = container_of(obj, struct ioas, obj);

	if (obj->ctx->vfio_ioas == ioas)
		obj->ctx->vfio_ioas = NULL;
	iopt_destroy(&ioas->iopt);
}

int ioas_alloc_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct ioas *ioas;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = ioas_alloc(ucmd->ctx);
	if (!ioas)
		return -ENOMEM;
	cmd->out_ioas_id = ioas->obj.id;
	/* pending: the dispatcher publishes it once this returns, or aborts it */
	return ucmd_respond(ucmd, sizeof(*cmd));
}

struct ranges_out {
	struct ucmd *ucmd;
	uint64_t uptr;
	uint32_t max, n;
	int rc;
};

static bool ranges_emit(void *arg, uint64_t start, uint64_t last)
{
	struct ranges_out *o = arg;

	if (o->n < o->max) {
		struct iommu_iova_range r = { .start = start, .last = last };

		o->rc = uaccess_to(o->ucmd->ctx, o->uptr + (uint64_t)o->n * sizeof(r), &r,
				   sizeof(r));
		if (o->rc)
			return false;
	}
	o->n++;
	return true;
}

int ioas_iova_ranges_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct ranges_out out = { .ucmd = ucmd };
	struct ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	out.uptr = cmd->allowed_iovas;
	out.max = cmd->num_iovas;
	iopt_for_each_usable(&ioas->iopt, ranges_emit, &out);
	rc = out.rc;
	if (rc)
		goto out_put;
	cmd->num_iovas = out.n;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && out.n > out.max)
		rc = -EMSGSIZE;
out_put:
	obj_put(&ioas->obj);
	return rc;
}

/* Read num ranges into a new tree: each start < last, no two overlapping. */
static int load_ranges(struct ioasid_ctx *ctx, uint64_t uptr, uint32_t num, struct itree *out)
{
	for (uint32_t i = 0; i < num; i++) {
		struct iommu_iova_range r;
		struct iopt_allowed *a;
		int rc;

		rc = uaccess_from(ctx, &r, uptr + (uint64_t)i * sizeof(r), sizeof(r));
		if (rc)
			return rc;
		if (r.start >= r.last)
			return -EINVAL;
		if (itree_iter_first(out, r.start, r.last))
			return -EINVAL;
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a->node.start = r.start;
		a->node.last = r.last;
		itree_insert(out, &a->node);
	}
	return 0;
}

int ioas_allow_iovas_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct itree allowed;
	struct itree_node *n;
	struct ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	itree_init(&allowed);
	rc = load_ranges(ucmd->ctx, cmd->allowed_iovas, cmd->num_iovas, &allowed);
	if (!rc)
		rc = iopt_set_allow(&ioas->iopt, &allowed);
	/* on success `allowed` now holds the old tree */
	while ((n = itree_first(&allowed))) {
		itree_remove(&allowed, n);
		free(itree_entry(n, struct iopt_allowed, node));
	}
	obj_put(&ioas->obj);
	return rc;
}

static int map_prot(uint32_t flags)
{
	int prot = IOMMU_PROT_CACHE;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_PROT_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_PROT_READ;
	return prot;
}

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)
#define MAP_RW	  (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

/* The reply failed after a map succeeded: take the map back. */
static void unmap_after_failed_reply(struct ioas *ioas, uint64_t iova, uint64_t length)
{
	uint64_t unmapped;

	iopt_unmap(&ioas->iopt, iova, length, &unmapped);
}

/*
 * MAP and MAP_FILE from here on: map the pages (consuming the caller's reference), write
 * the IOVA into the command's iova field and reply; a reply that cannot be written takes
 * the mapping back.
 */
static int map_and_reply(struct ucmd *ucmd, size_t cmd_len, struct ioas *ioas, struct pages *pages,
			 uint64_t start_byte, uint64_t length, uint32_t flags, __u64 *cmd_iova)
{
	uint64_t iova = *cmd_iova;
	int rc = iopt_map_pages(&ioas->iopt, pages, start_byte, length, &iova, map_prot(flags),
				!(flags & IOMMU_IOAS_MAP_FIXED_IOVA));

	pages_put(pages);
	if (rc)
		return rc;
	*cmd_iova = iova;
	rc = ucmd_respond(ucmd, cmd_len);
	if (rc)
		unmap_after_failed_reply(ioas, iova, length);
	return rc;
}

int ioas_map_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	uint64_t last;
	struct pages *pages;
	struct ioas *ioas;
	int rc;

	if ((cmd->flags & ~MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova == UINT64_MAX || cmd->length == UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	/*
	 * As the kernel sizes its pages object (Linux 6.12, tests/oracle "errno_args"): a
	 * length within a page of 2^64 is EINVAL, and so is 0; a buffer that ends at or
	 * beyond 2^64 (user_va + length wraps, even to exactly 0) is EOVERFLOW.
	 */
	rc = -EINVAL;
	if (!cmd->length || cmd->length > UINT64_MAX - IOASID_PAGE_SIZE)
		goto out_put;
	rc = -EOVERFLOW;
	if (check_add_u64(cmd->user_va, cmd->length, &last))
		goto out_put;
	rc = -ENOMEM;
	pages = pages_new_user(ucmd->ctx, cmd->user_va, cmd->length,
			       cmd->flags & IOMMU_IOAS_MAP_WRITEABLE);
	if (!pages)
		goto out_put;
	rc = map_and_reply(ucmd, sizeof(*cmd), ioas, pages, cmd->user_va - pages->uptr, cmd->length,
			   cmd->flags, &cmd->iova);
out_put:
	obj_put(&ioas->obj);
	return rc;
}

int ioas_map_file_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct ioasid_dmabuf *b;
	uint64_t last;
	struct pages *pages;
	struct ioas *ioas;
	int rc;

	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->iova == UINT64_MAX || cmd->length == UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	rc = -EBADF;
	if (cmd->fd < 0)
		goto out_put;
	rc = -EINVAL;
	if (!cmd->length)
		goto out_put;
	rc = -EOVERFLOW;
	if (check_add_u64(cmd->start, cmd->length - 1, &last) || last > INT64_MAX)
		goto out_put;
	/* a dma-buf: the exporter's range (dmabuf.c), else an ordinary file */
	b = dmabuf_get_fd(cmd->fd);
	if (b) {
		pages = pages_new_dmabuf(ucmd->ctx, b, cmd->start, cmd->length,
					 cmd->flags & IOMMU_IOAS_MAP_WRITEABLE, &rc);
		dmabuf_put(b); /* the pages hold their own reference */
	} else {
		pages = pages_new_file(ucmd->ctx, cmd->fd, cmd->start, cmd->length,
				       cmd->flags & IOMMU_IOAS_MAP_WRITEABLE, &rc);
	}
	if (!pages)
		goto out_put;
	rc = map_and_reply(ucmd, sizeof(*cmd), ioas, pages, cmd->start & (IOASID_PAGE_SIZE - 1),
			   cmd->length, cmd->flags, &cmd->iova);
out_put:
	obj_put(&ioas->obj);
	return rc;
}

int ioas_copy_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct ioas *src, *dst;
	uint64_t iova;
	int rc;

	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length == UINT64_MAX || cmd->src_iova == UINT64_MAX || cmd->dst_iova == UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & MAP_RW))
		return -EINVAL;
	src = ioas_get(ucmd->ctx, cmd->src_ioas_id);
	if (!src)
		return -ENOENT;
	/* the source range is checked before the destination is looked up, as the kernel */
	rc = iopt_check_contig(&src->iopt, cmd->src_iova, cmd->length);
	if (rc)
		goto out_src;
	dst = ioas_get(ucmd->ctx, cmd->dst_ioas_id);
	if (!dst) {
		rc = -ENOENT;
		goto out_src;
	}
	iova = cmd->dst_iova;
	rc = iopt_copy(&dst->iopt, &src->iopt, cmd->src_iova, cmd->length, &iova,
		       map_prot(cmd->flags), !(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA));
	if (rc)
		goto out_dst;
	cmd->dst_iova = iova;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		unmap_after_failed_reply(dst, iova, cmd->length);
out_dst:
	obj_put(&dst->obj);
out_src:
	obj_put(&src->obj);
	return rc;
}

int ioas_unmap_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	uint64_t unmapped = 0;
	struct ioas *ioas;
	int rc;

	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		rc = -EOVERFLOW;
		if (cmd->iova == UINT64_MAX || cmd->length == UINT64_MAX)
			goto out_put;
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length, &unmapped);
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (rc)
		goto out_put;
	cmd->length = unmapped;
	/* the unmap happened; a reply that cannot be written is still reported */
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	obj_put(&ioas->obj);
	return rc;
}

/* ---- IOMMU_OPTION ---------------------------------------------------------------------- */

static int option_rlimit_mode(struct ucmd *ucmd, struct iommu_option *cmd)
{
	struct ioasid_ctx *ctx = ucmd->ctx;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ctx->account_mode == PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!ctx->params.cap_sys_resource)
		return -EPERM;
	if (idt_count(ctx->objects))
		return -EBUSY;
	if (cmd->val64 == 0)
		ctx->account_mode = PAGES_ACCOUNT_USER;
	else if (cmd->val64 == 1)
		ctx->account_mode = PAGES_ACCOUNT_MM;
	else
		return -EINVAL;
	return 0;
}

static int option_huge_pages(struct ucmd *ucmd, struct iommu_option *cmd)
{
	struct ioas *ioas = ioas_get(ucmd->ctx, cmd->object_id);
	int rc = 0;

	if (!ioas)
		return -ENOENT;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
	} else if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 > 1)
			rc = -EINVAL;
		else
			rc = iopt_set_large_pages(&ioas->iopt, cmd->val64 == 1);
	} else {
		rc = -EOPNOTSUPP;
	}
	obj_put(&ioas->obj);
	return rc;
}

int option_ioctl(struct ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = option_rlimit_mode(ucmd, cmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = option_huge_pages(ucmd, cmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* only val64 is an output */
	return uaccess_to(ucmd->ctx, ucmd->ubuffer + offsetof(struct iommu_option, val64),
			  &cmd->val64, sizeof(cmd->val64));
}

/* ---- IOMMU_VFIO_IOAS and IOMMU_IOAS_CHANGE_PROCESS ------------------------------------- */

int vfio_ioas_ioctl(struct ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		if (!ucmd->ctx->vfio_ioas)
			return -ENODEV;
		cmd->ioas_id = ucmd->ctx->vfio_ioas->obj.id;
		return ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		ucmd->ctx->vfio_ioas = ioas;
		obj_put(&ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		ucmd->ctx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Apply fn to every area of every IOAS of ctx; stop at the first error. */
static int areas_each(struct ioasid_ctx *ctx, int (*fn)(struct iopt_area *a, void *arg), void *arg)
{
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct ioas *ioas;

		if (obj->type != OBJ_IOAS)
			continue;
		ioas = container_of(obj, struct ioas, obj);
		for (struct itree_node *n = itree_first(&ioas->iopt.areas); n; n = itree_next(n)) {
			int rc = fn(itree_entry(n, struct iopt_area, node), arg);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* A revoked dma-buf's areas are unmapped for good (dmabuf.c). */
static int revoke_one(struct iopt_area *a, void *arg)
{
	struct pages *p = a->pages;

	(void)arg;
	if (!p->dmabuf)
		return 0;
	if (!p->dmabuf_revoked && dmabuf_stale(p->dmabuf, p->dmabuf_gen))
		p->dmabuf_revoked = true;
	if (p->dmabuf_revoked)
		iopt_area_revoke(a);
	return 0;
}

void ioas_dmabuf_revoke(struct ioasid_ctx *ctx)
{
	areas_each(ctx, revoke_one, NULL);
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS moves the charge of every pinned page to the caller's process,
 * in three passes over the areas: check, prepare (undone on failure), commit. Only
 * file-backed memory can move: user addresses mean nothing in another process. A dma-buf
 * is the exporter's memory, charged to nobody: EINVAL too, as iommufd's change process
 * takes only file pages. Nothing changes before every area has passed the check.
 */
enum change_step { CHANGE_CHECK, CHANGE_PREPARE, CHANGE_ABORT, CHANGE_COMMIT };

struct change_arg {
	struct ioasid_ctx *ctx;
	enum change_step step;
};

static int change_one(struct iopt_area *a, void *arg)
{
	const struct change_arg *ca = arg;
	struct pages *p = a->pages;

	switch (ca->step) {
	case CHANGE_CHECK:
		return p->kind == PAGES_FILE && !p->dmabuf ? 0 : -EINVAL;
	case CHANGE_PREPARE:
		return pages_change_prepare(p, ca->ctx);
	case CHANGE_ABORT:
		pages_change_abort(p, ca->ctx);
		return 0;
	case CHANGE_COMMIT:
		pages_change_commit(p, ca->ctx);
		return 0;
	}
	return -EINVAL;
}

int ioas_change_process_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct change_arg ca = { .ctx = ucmd->ctx, .step = CHANGE_CHECK };
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = areas_each(ca.ctx, change_one, &ca);
	if (rc)
		return rc;
	ca.step = CHANGE_PREPARE;
	rc = areas_each(ca.ctx, change_one, &ca);
	if (rc) {
		ca.step = CHANGE_ABORT;
		areas_each(ca.ctx, change_one, &ca);
		return rc;
	}
	ca.step = CHANGE_COMMIT;
	areas_each(ca.ctx, change_one, &ca);
	return 0;
}

/*
 * IOMMU_IOAS_NOIOMMU_GET_PA: for a device with no IOMMU, the IOVA is only a key naming
 * mapped memory; the answer is where that memory is ("physical" here: its emulated physical
 * address, iommu/phys.h, the one a domain's leaf holds and MD_CHECK_MAP compares) and how
 * many bytes from there are contiguous (a pages object's names are one contiguous range). Only
 * pinned memory has an address worth giving: a page that no domain or access holds pinned is
 * EINVAL. A hole is ENOENT.
 */
int ioas_noiommu_get_pa_ioctl(struct ucmd *ucmd)
{
	struct iommu_ioas_noiommu_get_pa *cmd = ucmd->cmd;
	struct iopt_area *a;
	struct ioas *ioas;
	uint64_t off, len, avail;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	ioas = ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	rc = -ENOENT;
	a = iopt_find_area(&ioas->iopt, cmd->iova);
	if (!a || !a->pages)
		goto out_put;
	off = a->start_byte + (cmd->iova - iopt_area_iova(a));
	avail = iopt_area_last(a) - cmd->iova + 1; /* never 0: iova is inside */
	len = cmd->length < avail ? cmd->length : avail;
	/* contiguous while each page on the way is pinned (pages are one host range) */
	rc = -EINVAL;
	for (uint64_t done = 0; done < len;) {
		uint64_t pg = (off + done) >> IOASID_PAGE_SHIFT;
		uint64_t step = IOASID_PAGE_SIZE - ((off + done) & (IOASID_PAGE_SIZE - 1));

		if (!pages_is_pinned(a->pages, pg)) {
			len = done;
			break;
		}
		done += step;
	}
	if (!len || !a->pages->phys)
		goto out_put;
	cmd->out_phys = pages_name(a->pages, off);
	cmd->length = len;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	obj_put(&ioas->obj);
	return rc;
}
