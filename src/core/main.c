/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - the context, object lifetime, and the ioctl dispatcher.
 *
 * The ABI is a table: one row per command with the size of its struct today and the size up
 * to the last field of the struct's first version. One dispatcher applies every size rule,
 * so handlers never look at sizes:
 *   - a number that is not ours: ENOTTY;
 *   - `size` (the struct's first u32) below the first version: EINVAL;
 *   - `size` beyond ours with any non-zero byte past ours: E2BIG (the caller asks for
 *     something we do not know); otherwise the extra is ignored;
 *   - `size` shorter than ours: the missing tail reads as zero;
 *   - the reply is written back over min(size, ours) bytes, never more.
 *
 * Objects: an ID is reserved invisibly (lookups miss it), the object is built, the reply is
 * written, and only then is the object published. Any failure before publishing aborts it and
 * frees the ID. users counts long-term references (the table holds one); shortterm counts
 * callers in flight. This is the only file that knows the full command list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/private.h"
#include "pt/pt_arena.h"
#ifdef IOASID_TEST_HOOKS
#include <linux/iommufd_test.h>
#endif

/* ---- objects ------------------------------------------------------------------------- */

static const struct obj_ops obj_ops_table[OBJ_MAX] = {
	[OBJ_IOAS] = { .destroy = ioas_destroy, .size = sizeof(struct ioas) },
	[OBJ_DEVICE] = { .destroy = device_destroy,
			 .close = device_close,
			 .size = sizeof(struct device) },
	[OBJ_HWPT_PAGING] = { .destroy = hwpt_paging_destroy,
			      .abort = hwpt_paging_abort,
			      .size = sizeof(struct hwpt_paging) },
	[OBJ_ACCESS] = { .destroy = access_obj_destroy,
			 .close = access_obj_close,
			 .size = sizeof(struct access) },
#ifdef IOASID_TEST_HOOKS
	[OBJ_SELFTEST] = { .destroy = selftest_obj_destroy, .size = sizeof(struct selftest_obj) },
#endif
};

/*
 * The bounds of a context serving another process (params.max_objects and the user's
 * shared count): false when one is reached. The user's count is shared with other threads'
 * contexts, hence atomic; the context's own is under its lock.
 */
static bool obj_charge(struct ioasid_ctx *ctx)
{
	const struct ioasid_ctx_params *p = &ctx->params;

	if (p->max_objects && ctx->nr_objects >= p->max_objects)
		return false;
	if (p->uid_objects &&
	    __atomic_add_fetch(p->uid_objects, 1, __ATOMIC_RELAXED) > p->max_uid_objects &&
	    p->max_uid_objects) {
		__atomic_sub_fetch(p->uid_objects, 1, __ATOMIC_RELAXED);
		return false;
	}
	ctx->nr_objects++;
	return true;
}

static void obj_uncharge(struct ioasid_ctx *ctx)
{
	ctx->nr_objects--;
	if (ctx->params.uid_objects)
		__atomic_sub_fetch(ctx->params.uid_objects, 1, __ATOMIC_RELAXED);
}

struct obj *obj_alloc(struct ioasid_ctx *ctx, enum obj_type type)
{
	const struct obj_ops *ops = &obj_ops_table[type];
	struct obj *obj;
	uint32_t id;
	int rc;

	if (!obj_charge(ctx))
		return NULL;
	obj = calloc(1, ops->size);
	if (!obj)
		goto err_uncharge;
	rc = idt_reserve(ctx->objects, INT32_MAX, &id);
	if (rc)
		goto err_free;
	obj->type = type;
	obj->id = id;
	obj->users = 1;
	obj->ctx = ctx;
	return obj;

err_free:
	free(obj);
err_uncharge:
	obj_uncharge(ctx);
	return NULL;
}

void obj_publish(struct ioasid_ctx *ctx, struct obj *obj)
{
	idt_publish(ctx->objects, obj->id, obj);
}

/* Undo obj_alloc plus whatever the type built: the ID was never visible. */
void obj_abort(struct ioasid_ctx *ctx, struct obj *obj)
{
	const struct obj_ops *ops = &obj_ops_table[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else if (ops->destroy)
		ops->destroy(obj);
	idt_unreserve(ctx->objects, obj->id);
	free(obj);
	obj_uncharge(ctx);
}

struct obj *obj_get(struct ioasid_ctx *ctx, uint32_t id, enum obj_type type)
{
	struct obj *obj = idt_lookup(ctx->objects, id);

	if (!obj || (type != OBJ_ANY && obj->type != type))
		return NULL;
	obj->shortterm++;
	return obj;
}

void obj_put(struct obj *obj)
{
	obj->shortterm--;
}

static void obj_free(struct ioasid_ctx *ctx, struct obj *obj)
{
	const struct obj_ops *ops = &obj_ops_table[obj->type];

	idt_erase(ctx->objects, obj->id);
	if (ops->destroy)
		ops->destroy(obj);
	free(obj);
	obj_uncharge(ctx);
}

void obj_remove(struct ioasid_ctx *ctx, struct obj *obj)
{
	obj_free(ctx, obj);
}

int obj_destroy_id(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = idt_lookup(ctx->objects, id);

	if (!obj)
		return -ENOENT;
	if (obj->users > 1 || obj->shortterm)
		return -EBUSY;
	obj_free(ctx, obj);
	return 0;
}

/* ---- the command table ----------------------------------------------------------------- */

typedef int (*ucmd_fn)(struct ucmd *ucmd);

struct ucmd_op {
	unsigned long ioctl_num;
	uint32_t size;	   /* our struct today */
	uint32_t min_size; /* up to the end of the first version's last field */
	ucmd_fn fn;
};

#define endof(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define UCMD_OP(num, fn_, type, last)                                                            \
	[_IOC_NR(num) - IOMMUFD_CMD_BASE] = {                                                    \
		.ioctl_num = num, .size = sizeof(type), .min_size = endof(type, last), .fn = fn_ \
	}

static int destroy_ioctl(struct ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return obj_destroy_id(ucmd->ctx, cmd->id);
}

static const struct ucmd_op ucmd_ops[] = {
	UCMD_OP(IOMMU_DESTROY, destroy_ioctl, struct iommu_destroy, id),
	UCMD_OP(IOMMU_IOAS_ALLOC, ioas_alloc_ioctl, struct iommu_ioas_alloc, out_ioas_id),
	UCMD_OP(IOMMU_IOAS_ALLOW_IOVAS, ioas_allow_iovas_ioctl, struct iommu_ioas_allow_iovas,
		allowed_iovas),
	UCMD_OP(IOMMU_IOAS_COPY, ioas_copy_ioctl, struct iommu_ioas_copy, src_iova),
	UCMD_OP(IOMMU_IOAS_IOVA_RANGES, ioas_iova_ranges_ioctl, struct iommu_ioas_iova_ranges,
		out_iova_alignment),
	UCMD_OP(IOMMU_IOAS_MAP, ioas_map_ioctl, struct iommu_ioas_map, iova),
	UCMD_OP(IOMMU_IOAS_MAP_FILE, ioas_map_file_ioctl, struct iommu_ioas_map_file, iova),
	UCMD_OP(IOMMU_IOAS_UNMAP, ioas_unmap_ioctl, struct iommu_ioas_unmap, length),
	UCMD_OP(IOMMU_OPTION, option_ioctl, struct iommu_option, val64),
	UCMD_OP(IOMMU_VFIO_IOAS, vfio_ioas_ioctl, struct iommu_vfio_ioas, __reserved),
	UCMD_OP(IOMMU_IOAS_CHANGE_PROCESS, ioas_change_process_ioctl,
		struct iommu_ioas_change_process, __reserved),
	UCMD_OP(IOMMU_HWPT_ALLOC, hwpt_alloc_ioctl, struct iommu_hwpt_alloc, __reserved),
	UCMD_OP(IOMMU_GET_HW_INFO, get_hw_info_ioctl, struct iommu_hw_info, __reserved),
	UCMD_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, hwpt_set_dirty_tracking_ioctl,
		struct iommu_hwpt_set_dirty_tracking, __reserved),
	UCMD_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, hwpt_get_dirty_bitmap_ioctl,
		struct iommu_hwpt_get_dirty_bitmap, data),
	UCMD_OP(IOMMU_HWPT_INVALIDATE, hwpt_invalidate_ioctl, struct iommu_hwpt_invalidate,
		__reserved),
#ifdef IOASID_TEST_HOOKS
	UCMD_OP(IOMMU_TEST_CMD, selftest_ioctl, struct iommu_test_cmd, last),
#endif
};

/* The largest command struct we know: the kernel copy of any command fits in it. */
#define UCMD_BUF_SIZE 512

int ucmd_respond(struct ucmd *ucmd, size_t cmd_len)
{
	size_t n = cmd_len < ucmd->user_size ? cmd_len : ucmd->user_size;

	return uaccess_to(ucmd->ctx, ucmd->ubuffer, ucmd->cmd, n);
}

/* Is every byte of the caller's struct past `from` zero? 0, -E2BIG, or -EFAULT. */
static int ucmd_check_tail(struct ioasid_ctx *ctx, uint64_t ubuf, size_t from, size_t to)
{
	uint8_t chunk[256];

	while (from < to) {
		size_t n = to - from < sizeof(chunk) ? to - from : sizeof(chunk);
		int rc = uaccess_from(ctx, chunk, ubuf + from, n);

		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (chunk[i])
				return -E2BIG;
		from += n;
	}
	return 0;
}

static int dispatch(struct ioasid_ctx *ctx, unsigned long cmd, uint64_t arg)
{
	_Alignas(8) uint8_t buf[UCMD_BUF_SIZE];
	const struct ucmd_op *op;
	struct ucmd ucmd = { .ctx = ctx, .ubuffer = arg, .cmd = buf };
	unsigned int nr = _IOC_NR(cmd);
	int rc;

#ifdef IOASID_TEST_HOOKS
	if (ctx->nr_access_fds)
		selftest_sweep_access_fds(ctx);
#endif
	if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ucmd_ops))
		return vfio_compat_ioctl(ctx, cmd, arg);
	op = &ucmd_ops[nr - IOMMUFD_CMD_BASE];
	/* the size is read before the number is checked, as the kernel: a bad arg is EFAULT */
	rc = uaccess_from(ctx, &ucmd.user_size, arg, sizeof(ucmd.user_size));
	if (rc)
		return rc;
	if (!op->fn || op->ioctl_num != cmd)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	memset(buf, 0, op->size);
	if (ucmd.user_size > op->size) {
		rc = ucmd_check_tail(ctx, arg, op->size, ucmd.user_size);
		if (rc)
			return rc;
	}
	rc = uaccess_from(ctx, buf, arg, ucmd.user_size < op->size ? ucmd.user_size : op->size);
	if (rc)
		return rc;
	return op->fn(&ucmd);
}

int ioasid_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg)
{
	int rc;

	pthread_mutex_lock(&ctx->lock);
	rc = dispatch(ctx, cmd, (uintptr_t)arg);
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/* ---- the context --------------------------------------------------------------------- */

struct pt_arena *ctx_pt_arena(struct ioasid_ctx *ctx)
{
	if (!ctx->pt_arena && pt_arena_create(0, &ctx->pt_arena))
		ctx->pt_arena = NULL;
	return ctx->pt_arena;
}

static bool cap_effective(unsigned int cap)
{
	char line[256];
	bool has = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long eff;

		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			has = (eff >> cap) & 1;
			break;
		}
	}
	fclose(f);
	return has;
}

void ioasid_ctx_params_self(struct ioasid_ctx_params *out)
{
	memset(out, 0, sizeof(*out));
	out->mem = &uaccess_self_ops;
	out->uid = getuid();
	out->pid = getpid();
	out->cap_ipc_lock = cap_effective(14);	   /* CAP_IPC_LOCK */
	out->cap_sys_resource = cap_effective(24); /* CAP_SYS_RESOURCE */
}

int ioasid_ctx_new(const struct ioasid_ctx_params *params, struct ioasid_ctx **out)
{
	struct ioasid_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		goto err_nomem;
	if (params)
		ctx->params = *params;
	else
		ioasid_ctx_params_self(&ctx->params);
	if (!ctx->params.mem)
		ctx->params.mem = &uaccess_self_ops;
	ctx->objects = idt_new();
	if (!ctx->objects)
		goto err_ctx;
	ctx->acct_user = acct_get_user(ctx->params.uid);
	if (!ctx->acct_user)
		goto err_objects;
	ctx->acct_proc = acct_get_proc(ctx->params.pid);
	if (!ctx->acct_proc)
		goto err_user;
	ctx->account_mode = ctx->params.cap_ipc_lock ? PAGES_ACCOUNT_NONE : PAGES_ACCOUNT_USER;
	pthread_mutex_init(&ctx->lock, NULL);
	*out = ctx;
	return 0;

err_user:
	acct_put_user(ctx->acct_user);
err_objects:
	idt_free(ctx->objects);
err_ctx:
	free(ctx);
err_nomem:
	errno = ENOMEM;
	return -1;
}

/*
 * Destroy leaves first: an object nobody else references can go; freeing it drops its own
 * references, which frees further leaves. Repeat until the table is empty.
 */
void ioasid_ctx_free(struct ioasid_ctx *ctx)
{
	bool progress = true;

	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->lock);
	/* owners outside the table (in-process devices, access fds) let go first */
	for (uint32_t id = 0;; id++) {
		struct obj *obj = idt_find_next(ctx->objects, &id);

		if (!obj)
			break;
		if (obj_ops_table[obj->type].close)
			obj_ops_table[obj->type].close(obj);
	}
	while (progress) {
		uint32_t id = 0;
		struct obj *obj;

		progress = false;
		while ((obj = idt_find_next(ctx->objects, &id))) {
			if (obj->users == 1) {
				obj_free(ctx, obj);
				progress = true;
			}
			id++;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	idt_free(ctx->objects);
	if (ctx->pt_arena)
		pt_arena_put(ctx->pt_arena); /* domains hold their own references */
	acct_put_proc(ctx->acct_proc);
	acct_put_user(ctx->acct_user);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}
