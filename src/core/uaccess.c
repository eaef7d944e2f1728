/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uaccess.c - reaching the caller's memory.
 *
 * Every byte the core reads from or writes to a caller goes through the context's
 * ioasid_mem_ops, so the same handlers serve a program in-process and a client of the daemon.
 *
 * The in-process ops here must behave as the kernel's copy_from_user does: a NULL or wild
 * pointer gives EFAULT, never a crash. They copy with process_vm_readv/writev on our own pid,
 * which the kernel checks page by page. Pinning faults pages in with MADV_POPULATE_READ or
 * _WRITE, which fails on an unmapped range (ENOMEM, reported as EFAULT) or one that cannot be
 * written (EFAULT), as pin_user_pages would.
 *
 * Limit of the in-process model: the kernel's pin keeps a page alive if the program unmaps
 * it; here a program that unmaps memory it mapped into an IOAS leaves the IOMMU side
 * pointing at nothing. Programs written for iommufd unmap the IOVA first.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/kcall.h"
#include "core/private.h"
#include "util/selfcopy.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif

static int self_copy_from(void *priv, void *dst, uint64_t uptr, size_t len)
{
	(void)priv;
	return self_copy(uptr, dst, len, false);
}

static int self_copy_to(void *priv, uint64_t uptr, const void *src, size_t len)
{
	(void)priv;
	return self_copy(uptr, (void *)src, len, true);
}

static int self_pin(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host)
{
	(void)priv;
	if (!len)
		return -EINVAL;
	if (uptr + (len - 1) < uptr)
		return -EFAULT;
	if (madvise((void *)(uintptr_t)uptr, len, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ))
		return errno == EINVAL ? -EINVAL : -EFAULT;
	*out_host = (void *)(uintptr_t)uptr;
	return 0;
}

static void self_unpin(void *priv, uint64_t uptr, uint64_t len, void *host)
{
	(void)priv;
	(void)uptr;
	(void)len;
	(void)host;
}

static uint64_t self_memlock_limit(void *priv)
{
	struct rlimit rl;

	(void)priv;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return RLIM_INFINITY;
	return rl.rlim_cur;
}

const struct ioasid_mem_ops uaccess_self_ops = {
	.copy_from_user = self_copy_from,
	.copy_to_user = self_copy_to,
	.pin_user = self_pin,
	.unpin_user = self_unpin,
	.memlock_limit = self_memlock_limit,
};

/* set while this thread serves ioasid_ioctl_local (kcall.h): user memory is ours */
static __thread bool local_call;

int ioasid_ioctl_local(struct ioasid_ctx *ctx, unsigned long cmd, void *arg)
{
	bool was = local_call;
	int rc;

	local_call = true;
	rc = ioasid_ioctl(ctx, cmd, arg);
	local_call = was;
	return rc;
}

int uaccess_from(struct ioasid_ctx *ctx, void *dst, uint64_t uptr, size_t len)
{
	if (!len)
		return 0;
	if (local_call)
		return self_copy(uptr, dst, len, false);
	return ctx->params.mem->copy_from_user(ctx->params.mem_priv, dst, uptr, len);
}

int uaccess_to(struct ioasid_ctx *ctx, uint64_t uptr, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (local_call)
		return self_copy(uptr, (void *)src, len, true);
	return ctx->params.mem->copy_to_user(ctx->params.mem_priv, uptr, src, len);
}

int uaccess_struct_from(struct ioasid_ctx *ctx, void *dst, size_t dst_len, uint64_t uptr,
			size_t ulen)
{
	size_t off = dst_len;
	int rc;

	/* the part of the user's struct we do not know must be zero: E2BIG otherwise */
	while (off < ulen) {
		uint8_t buf[64];
		size_t n = ulen - off < sizeof(buf) ? ulen - off : sizeof(buf);

		rc = uaccess_from(ctx, buf, uptr + off, n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return -E2BIG;
		off += n;
	}
	memset(dst, 0, dst_len);
	return uaccess_from(ctx, dst, uptr, ulen < dst_len ? ulen : dst_len);
}
