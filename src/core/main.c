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
 * written, and only then is the object published. obj_alloc puts every new object on the
 * context's list of pending objects; the dispatcher, once the handler has returned (so after
 * the reply is written), publishes every pending object in the order they were made if the
 * handler succeeded, or aborts them newest first if it failed. A handler never publishes:
 * it builds, replies and returns; on failure it undoes only the links it made between
 * objects (a device it attached), never the objects themselves. The in-process API, which
 * has no dispatcher, ends its calls with the same obj_commit_pending. users counts
 * long-term references (the table holds one); shortterm counts callers in flight.
 *
 * The command table is the only place that knows the full command list. Its rows name a
 * member of union ucmd_buffer, so the buffer the dispatcher copies a command into is, by
 * construction, as large as the largest command struct; and each row says which of the
 * struct's fields carry fds (an fd the caller passes in, one the call creates), so that a
 * transport (the daemon's protocol) can ask instead of keeping its own list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/private.h"
#include "util/kver.h"
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
	[OBJ_HWPT_NESTED] = { .destroy = hwpt_nested_destroy, .size = sizeof(struct hwpt_nested) },
	[OBJ_FAULT] = { .destroy = fault_destroy,
			.close = fault_close,
			.size = sizeof(struct fault_queue) },
	[OBJ_VIOMMU] = { .destroy = viommu_destroy,
			 .busy = viommu_busy,
			 .size = sizeof(struct viommu) },
	[OBJ_VDEVICE] = { .destroy = vdevice_destroy, .size = sizeof(struct vdevice) },
	[OBJ_VEVENTQ] = { .destroy = veventq_destroy,
			  .close = veventq_close,
			  .size = sizeof(struct veventq) },
	[OBJ_HW_QUEUE] = { .destroy = hw_queue_destroy, .size = sizeof(struct hw_queue) },
#ifdef IOASID_TEST_HOOKS
	[OBJ_SELFTEST] = { .destroy = selftest_obj_destroy,
			   .abort = selftest_obj_abort,
			   .size = sizeof(struct selftest_obj) },
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
	if (ctx->npending >= CTX_MAX_PENDING)
		goto err_unreserve;
	obj->type = type;
	obj->id = id;
	obj->users = 1;
	obj->ctx = ctx;
	ctx->pending[ctx->npending++] = obj;
	return obj;

err_unreserve:
	idt_unreserve(ctx->objects, id);
err_free:
	free(obj);
err_uncharge:
	obj_uncharge(ctx);
	return NULL;
}

static void obj_unpend(struct ioasid_ctx *ctx, struct obj *obj)
{
	for (unsigned int i = 0; i < ctx->npending; i++) {
		if (ctx->pending[i] != obj)
			continue;
		memmove(&ctx->pending[i], &ctx->pending[i + 1],
			(ctx->npending - i - 1) * sizeof(ctx->pending[0]));
		ctx->npending--;
		return;
	}
}

static void obj_publish(struct ioasid_ctx *ctx, struct obj *obj)
{
	obj->published = true;
	idt_publish(ctx->objects, obj->id, obj);
}

/* Undo obj_alloc plus whatever the type built: the ID was never visible. */
void obj_abort(struct ioasid_ctx *ctx, struct obj *obj)
{
	const struct obj_ops *ops = &obj_ops_table[obj->type];

	obj_unpend(ctx, obj);
	if (ops->abort)
		ops->abort(obj);
	else if (ops->destroy)
		ops->destroy(obj);
	idt_unreserve(ctx->objects, obj->id);
	free(obj);
	obj_uncharge(ctx);
}

int obj_commit_pending(struct ioasid_ctx *ctx, int rc)
{
	if (rc >= 0) {
		for (unsigned int i = 0; i < ctx->npending; i++)
			obj_publish(ctx, ctx->pending[i]);
		ctx->npending = 0;
		return rc;
	}
	while (ctx->npending)
		obj_abort(ctx, ctx->pending[ctx->npending - 1]);
	return rc;
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
	if (!obj->published)
		obj_abort(ctx, obj);
	else
		obj_free(ctx, obj);
}

int obj_destroy_id(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = idt_lookup(ctx->objects, id);

	if (!obj)
		return -ENOENT;
	if (obj->users > 1 || obj->shortterm)
		return -EBUSY;
	if (obj_ops_table[obj->type].busy && obj_ops_table[obj->type].busy(obj))
		return -EBUSY;
	obj_free(ctx, obj);
	return 0;
}

/* ---- the command table ----------------------------------------------------------------- */

typedef int (*ucmd_fn)(struct ucmd *ucmd);

/* Every command struct: the dispatcher's copy of any command fits, by construction. */
union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_ioas_change_process change_process;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_set_dirty_tracking set_dirty;
	struct iommu_hwpt_get_dirty_bitmap get_dirty;
	struct iommu_hwpt_invalidate invalidate;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_viommu_alloc viommu_alloc;
	struct iommu_vdevice_alloc vdevice_alloc;
	struct iommu_veventq_alloc veventq_alloc;
	struct iommu_hw_queue_alloc hw_queue_alloc;
	struct iommu_ioas_noiommu_get_pa noiommu_get_pa;
#ifdef IOASID_TEST_HOOKS
	struct iommu_test_cmd test;
#endif
};

struct ucmd_op {
	unsigned long ioctl_num;
	uint32_t size;	   /* our struct today */
	uint32_t min_size; /* up to the end of the first version's last field */
	int16_t in_fd;	   /* offset of an fd the caller passes in, or -1 */
	int16_t out_fd;	   /* offset of an fd the call makes for the caller, or -1 */
	ucmd_fn fn;
};

#define endof(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define UCMD_TYPE(m)	    __typeof__(((union ucmd_buffer *)0)->m)
#define UCMD_OP_FD(num, fn_, m, last, in_fd_, out_fd_)                               \
	[_IOC_NR(num) - IOMMUFD_CMD_BASE] = { .ioctl_num = num,                      \
					      .size = sizeof(UCMD_TYPE(m)),          \
					      .min_size = endof(UCMD_TYPE(m), last), \
					      .in_fd = in_fd_,                       \
					      .out_fd = out_fd_,                     \
					      .fn = fn_ }
#define UCMD_OP(num, fn_, m, last) UCMD_OP_FD(num, fn_, m, last, -1, -1)
#define UCMD_FD(m, field)	   ((int16_t)offsetof(UCMD_TYPE(m), field))

static int destroy_ioctl(struct ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return obj_destroy_id(ucmd->ctx, cmd->id);
}

static const struct ucmd_op ucmd_ops[] = {
	UCMD_OP(IOMMU_DESTROY, destroy_ioctl, destroy, id),
	UCMD_OP(IOMMU_IOAS_ALLOC, ioas_alloc_ioctl, ioas_alloc, out_ioas_id),
	UCMD_OP(IOMMU_IOAS_ALLOW_IOVAS, ioas_allow_iovas_ioctl, allow_iovas, allowed_iovas),
	UCMD_OP(IOMMU_IOAS_COPY, ioas_copy_ioctl, ioas_copy, src_iova),
	UCMD_OP(IOMMU_IOAS_IOVA_RANGES, ioas_iova_ranges_ioctl, iova_ranges, out_iova_alignment),
	UCMD_OP(IOMMU_IOAS_MAP, ioas_map_ioctl, map, iova),
	UCMD_OP_FD(IOMMU_IOAS_MAP_FILE, ioas_map_file_ioctl, map_file, iova, UCMD_FD(map_file, fd),
		   -1),
	UCMD_OP(IOMMU_IOAS_UNMAP, ioas_unmap_ioctl, unmap, length),
	UCMD_OP(IOMMU_OPTION, option_ioctl, option, val64),
	UCMD_OP(IOMMU_VFIO_IOAS, vfio_ioas_ioctl, vfio_ioas, __reserved),
	UCMD_OP(IOMMU_IOAS_CHANGE_PROCESS, ioas_change_process_ioctl, change_process, __reserved),
	UCMD_OP(IOMMU_HWPT_ALLOC, hwpt_alloc_ioctl, hwpt_alloc, __reserved),
	UCMD_OP(IOMMU_GET_HW_INFO, get_hw_info_ioctl, hw_info, __reserved),
	UCMD_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, hwpt_set_dirty_tracking_ioctl, set_dirty,
		__reserved),
	UCMD_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, hwpt_get_dirty_bitmap_ioctl, get_dirty, data),
	UCMD_OP(IOMMU_HWPT_INVALIDATE, hwpt_invalidate_ioctl, invalidate, __reserved),
	UCMD_OP_FD(IOMMU_FAULT_QUEUE_ALLOC, fault_alloc_ioctl, fault_alloc, out_fault_fd, -1,
		   UCMD_FD(fault_alloc, out_fault_fd)),
	UCMD_OP(IOMMU_VIOMMU_ALLOC, viommu_alloc_ioctl, viommu_alloc, out_viommu_id),
	UCMD_OP(IOMMU_VDEVICE_ALLOC, vdevice_alloc_ioctl, vdevice_alloc, virt_id),
	UCMD_OP_FD(IOMMU_VEVENTQ_ALLOC, veventq_alloc_ioctl, veventq_alloc, out_veventq_fd, -1,
		   UCMD_FD(veventq_alloc, out_veventq_fd)),
	UCMD_OP(IOMMU_HW_QUEUE_ALLOC, hw_queue_alloc_ioctl, hw_queue_alloc, length),
	UCMD_OP(IOMMU_IOAS_NOIOMMU_GET_PA, ioas_noiommu_get_pa_ioctl, noiommu_get_pa, out_phys),
#ifdef IOASID_TEST_HOOKS
	UCMD_OP(IOMMU_TEST_CMD, selftest_ioctl, test, last),
#endif
};

static const struct ucmd_op *ucmd_op_find(unsigned long cmd)
{
	unsigned int nr = _IOC_NR(cmd);
	const struct ucmd_op *op;

	if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ucmd_ops))
		return NULL;
	op = &ucmd_ops[nr - IOMMUFD_CMD_BASE];
	return op->fn && op->ioctl_num == cmd ? op : NULL;
}

int ucmd_fd_fields(unsigned long cmd, int *out_in_fd, int *out_out_fd)
{
	const struct ucmd_op *op = ucmd_op_find(cmd);

	if (!op)
		return -ENOTTY;
	*out_in_fd = op->in_fd;
	*out_out_fd = op->out_fd;
	return 0;
}

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
	union ucmd_buffer buf;
	const struct ucmd_op *op;
	struct ucmd ucmd = { .ctx = ctx, .ubuffer = arg, .cmd = &buf };
	unsigned int nr = _IOC_NR(cmd);
	int rc;

#ifdef IOASID_TEST_HOOKS
	if (ctx->nr_access_fds)
		selftest_sweep_access_fds(ctx);
#endif
	if (ctx->nr_faults) {
		fault_sweep(ctx);
		viommu_sweep(ctx);
	}
	if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(ucmd_ops))
		return vfio_compat_ioctl(ctx, cmd, arg);
	op = ucmd_op_find(cmd);
	/* the size is read before the number is checked, as the kernel: a bad arg is EFAULT */
	rc = uaccess_from(ctx, &ucmd.user_size, arg, sizeof(ucmd.user_size));
	if (rc)
		return rc;
	if (!op)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	memset(&buf, 0, op->size);
	if (ucmd.user_size > op->size) {
		rc = ucmd_check_tail(ctx, arg, op->size, ucmd.user_size);
		if (rc)
			return rc;
	}
	rc = uaccess_from(ctx, &buf, arg, ucmd.user_size < op->size ? ucmd.user_size : op->size);
	if (rc)
		return rc;
	return op->fn(&ucmd);
}

int ioasid_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg)
{
	int rc;

	pthread_mutex_lock(&ctx->lock);
	/* the reply is written (or failed) by now: publish what the call made, or abort it */
	rc = obj_commit_pending(ctx, dispatch(ctx, cmd, (uintptr_t)arg));
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
	if (!ctx->pt_arena && pt_arena_create_charged(0, ctx->params.uid, &ctx->pt_arena))
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
	out->kernel_abi = kver_from_env();
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
#ifdef IOASID_TEST_HOOKS
	selftest_dmabuf_free_all(ctx); /* revokes visit other contexts: not under our lock */
#endif
	dmabuf_ctx_fini(ctx); /* no revoke visits it any more */
	idt_free(ctx->objects);
	if (ctx->pt_arena)
		pt_arena_put(ctx->pt_arena); /* domains hold their own references */
	acct_put_proc(ctx->acct_proc);
	acct_put_user(ctx->acct_user);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}
