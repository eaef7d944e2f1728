/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasid.h - the public C API of libioasid.
 *
 * libioasid is the iommufd ABI (<linux/iommufd.h>) served in userspace. A context is what an
 * open of /dev/iommu is in the kernel: it owns objects (IOAS, HWPT, devices ...) by 32-bit
 * ID, and everything it owns dies with it. ioasid_ioctl() takes exactly the command numbers
 * and structs a program would pass to ioctl(2) on an iommufd, and answers as the kernel does:
 * 0, or -1 with errno set to the kernel's errno for the case.
 *
 * Two ways in:
 *  - the full ABI: ioasid_ctx_new() + ioasid_ioctl(), for programs written for iommufd;
 *  - the simple flow (ioasid/simple.h): "give me about N GiB of IOVA space, map this buffer
 *    and tell me its IOVA", for userspace drivers that never touch nesting.
 *
 * Every function is safe to call from several threads on one context; calls on one context
 * are serialised (one lock per context).
 */
#ifndef IOASID_IOASID_H
#define IOASID_IOASID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define IOASID_EXPORT __attribute__((visibility("default")))
#else
#define IOASID_EXPORT
#endif

struct ioasid_ctx;

/*
 * How the core reaches the memory of the program it serves. In-process (the default, params
 * NULL) a user pointer is an address of this process. A daemon serving another process
 * supplies its own ops. Each returns 0 or a negative errno (-EFAULT for a bad address).
 */
struct ioasid_mem_ops {
	int (*copy_from_user)(void *priv, void *dst, uint64_t uptr, size_t len);
	int (*copy_to_user)(void *priv, uint64_t uptr, const void *src, size_t len);
	/*
	 * Make user memory [uptr, uptr + len) reachable by the IOMMU side and fault it in
	 * (writable if write). *out_host is where byte uptr can be touched; for one uptr the
	 * same mapping must be returned for as long as any part of it is pinned.
	 */
	int (*pin_user)(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host);
	void (*unpin_user)(void *priv, uint64_t uptr, uint64_t len, void *host);
	/* The client's RLIMIT_MEMLOCK in bytes (RLIM_INFINITY for none). */
	uint64_t (*memlock_limit)(void *priv);
};

/* Who the context acts for: pinned memory is charged to this user or process. */
struct ioasid_ctx_params {
	const struct ioasid_mem_ops *mem;  /* NULL: this process's own memory */
	void *mem_priv;
	uid_t uid;                         /* the client's user, for per-user accounting */
	pid_t pid;                         /* the client's process, for per-process accounting */
	bool cap_ipc_lock;                 /* as the kernel: pinning is not charged at all */
	bool cap_sys_resource;             /* may change IOMMU_OPTION_RLIMIT_MODE */
};

/* Fill params for the calling process (uid, pid, capabilities read from /proc/self). */
IOASID_EXPORT void ioasid_ctx_params_self(struct ioasid_ctx_params *out);

/* Open a context; params NULL means ioasid_ctx_params_self(). 0 or -1 with errno. */
IOASID_EXPORT int ioasid_ctx_new(const struct ioasid_ctx_params *params, struct ioasid_ctx **out);
/* Close: destroys every object the context holds and releases every pin. Never fails. */
IOASID_EXPORT void ioasid_ctx_free(struct ioasid_ctx *ctx);

/* The iommufd ioctl: cmd is IOMMU_* (or a VFIO compat ioctl), arg the user struct pointer. */
IOASID_EXPORT int ioasid_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg);

/* Pinned-memory accounting, in pages, as the kernel's counters for this uid / pid. */
struct ioasid_acct_info {
	uint64_t user_locked_pages;   /* user_struct->locked_vm for uid */
	uint64_t proc_locked_pages;   /* mm->locked_vm for pid (per-process mode) */
	uint64_t proc_pinned_pages;   /* mm->pinned_vm for pid (always) */
};
IOASID_EXPORT void ioasid_acct_get(uid_t uid, pid_t pid, struct ioasid_acct_info *out);

#ifdef __cplusplus
}
#endif
#endif
