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
 *
 * "priv" below is the context's mem_priv, except where a source is said to be passed (see
 * source_get): then it is the source, or mem_priv when the ops have no source_get.
 */
struct ioasid_mem_ops {
	/* The struct of the call being served (priv: mem_priv). */
	int (*copy_from_user)(void *priv, void *dst, uint64_t uptr, size_t len);
	int (*copy_to_user)(void *priv, uint64_t uptr, const void *src, size_t len);
	/*
	 * Make user memory [uptr, uptr + len) of the source reachable by the IOMMU side and
	 * fault it in (writable if write). *out_host is where byte uptr can be touched; for one
	 * uptr the same mapping must be returned for as long as any part of it is pinned, and
	 * a pages object's memory must be reached linearly (the core refuses, EFAULT, a pin
	 * whose host address does not follow the object's earlier pins). Per page, pins and
	 * unpins balance: every page of a successful pin_user is given back by exactly one
	 * unpin_user covering it (host: where byte uptr is reached), though the ranges may be
	 * split differently. A pages object pins each of its pages once, however many domains
	 * and accesses use it. priv: the source.
	 */
	int (*pin_user)(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host);
	void (*unpin_user)(void *priv, uint64_t uptr, uint64_t len, void *host);
	/* The source's RLIMIT_MEMLOCK in bytes (RLIM_INFINITY for none). priv: the source. */
	uint64_t (*memlock_limit)(void *priv);
	/*
	 * Give fd (made by the core: an access, fault or event-queue fd) to the caller as one
	 * of its own fds: returns the caller's fd number, or -errno. On success fd now belongs
	 * to the caller and the core must not use or close its number again (the daemon sends
	 * it to the program and closes its copy). NULL: in-process, fd is the caller's already.
	 */
	int (*install_fd)(void *priv, int fd, unsigned int flags);
	/*
	 * Optional, both or neither: the process whose memory a pages object is. As the
	 * kernel's pages object keeps the mm and task of whoever mapped it, the core calls
	 * source_get(mem_priv) when it makes a pages object (IOMMU_IOAS_MAP, MAP_FILE, VFIO
	 * MAP_DMA, ...) and keeps the reference until the object is freed (source_put): that
	 * object's pin_user, unpin_user and memlock_limit get the source, whoever asks later
	 * (a parent attaching a domain to what its child mapped pins the child's memory; once
	 * the child is gone such pins are EFAULT). The core's own checks of the caller's memory
	 * (the selftest's MD_CHECK_MAP, MD_CHECK_REFS) take the caller's source the same way.
	 * Sources are compared by pointer: one process must get the same source from every
	 * context for pin counts to add up across them. NULL from source_get: out of memory
	 * (the call fails with ENOMEM). Without these ops every source is mem_priv.
	 */
	void *(*source_get)(void *priv);
	void (*source_put)(void *source);
	/*
	 * Optional: has the process whose call is being served (priv: mem_priv) exited? A
	 * device DMA that waits for a page response on its caller's behalf gives up then (the
	 * request is withdrawn and the DMA fails), as a kernel wait ends on a fatal signal.
	 * Called every few milliseconds while a DMA waits, from the waiting thread.
	 */
	bool (*caller_gone)(void *priv);
};

/* Who the context acts for: pinned memory is charged to this user or process. */
struct ioasid_ctx_params {
	const struct ioasid_mem_ops *mem; /* NULL: this process's own memory */
	void *mem_priv;
	uid_t uid;	       /* the client's user, for per-user accounting */
	pid_t pid;	       /* the client's process, for per-process accounting */
	bool cap_ipc_lock;     /* as the kernel: pinning is not charged at all */
	bool cap_sys_resource; /* may change IOMMU_OPTION_RLIMIT_MODE */
	/*
	 * Bounds for a context serving another process (a daemon); 0 / NULL: none. Objects
	 * beyond max_objects in this context, or beyond max_uid_objects counted in
	 * *uid_objects (shared by the contexts of one user, updated atomically), fail the call
	 * with ENOMEM, as the kernel's allocation would; selftest access fds beyond
	 * max_access_fds with EMFILE.
	 */
	unsigned int max_objects;
	unsigned long *uid_objects;
	unsigned long max_uid_objects;
	unsigned int max_access_fds;
	/*
	 * The Linux release whose answers to give where releases differ, (major << 8) | minor
	 * (0x060c for 6.12); 0: the newest ioasid knows. docs/conformance.md lists each
	 * difference. ioasid_ctx_params_self() reads it from $IOASID_KERNEL_ABI ("6.12").
	 */
	uint32_t kernel_abi;
};

/* Fill params for the calling process (uid, pid, capabilities read from /proc/self). */
IOASID_EXPORT void ioasid_ctx_params_self(struct ioasid_ctx_params *out);

/* Open a context; params NULL means ioasid_ctx_params_self(). 0 or -1 with errno. */
IOASID_EXPORT int ioasid_ctx_new(const struct ioasid_ctx_params *params, struct ioasid_ctx **out);
/* Close: destroys every object the context holds and releases every pin. Never fails. */
IOASID_EXPORT void ioasid_ctx_free(struct ioasid_ctx *ctx);

/* The iommufd ioctl: cmd is IOMMU_* (or a VFIO compat ioctl), arg the user struct pointer. */
IOASID_EXPORT int ioasid_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg);

/*
 * mmap() of the iommufd: the region an object offers at [offset, offset + length) (a
 * vIOMMU's pages, whose offset and length its allocation returned). Returns a new fd the
 * caller maps (MAP_SHARED) at file offset 0 and closes, or -1 with errno ENXIO when offset
 * and length are not exactly a region's. The fd and every mapping of it hold the region:
 * IOMMU_DESTROY of its object is EBUSY until all are gone (closed, unmapped, in forked
 * children too), as the kernel's vma does. A shim's mmap of an iommufd calls this.
 */
IOASID_EXPORT int ioasid_mmap_fd(struct ioasid_ctx *ctx, uint64_t offset, uint64_t length);

/* Pinned-memory accounting, in pages, as the kernel's counters for this uid / pid. */
struct ioasid_acct_info {
	uint64_t user_locked_pages; /* user_struct->locked_vm for uid */
	uint64_t proc_locked_pages; /* mm->locked_vm for pid (per-process mode) */
	uint64_t proc_pinned_pages; /* mm->pinned_vm for pid (always) */
};
IOASID_EXPORT void ioasid_acct_get(uid_t uid, pid_t pid, struct ioasid_acct_info *out);

/*
 * Emulated devices, in-process. A device sits behind an IOMMU model chosen by `format`:
 * "mock" (the kernel selftest's mock IOMMU: 2K IO pages, aperture [16 MiB, 2 GiB)) or, when
 * libioasid is built with its page-table formats, the name of a format variant. It gets an
 * ID in the context like a device bound by VFIO: IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO take
 * it as dev_id. It is the caller's until ioasid_device_destroy() or the context's close
 * (IOMMU_DESTROY of it is EBUSY, as for a bound device in the kernel).
 */
struct ioasid_iova_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};

enum ioasid_device_flags {
	IOASID_DEVICE_NO_DIRTY = 1 << 0,  /* its IOMMU cannot track dirty pages */
	IOASID_DEVICE_HUGE_IOVA = 1 << 1, /* mock: domains also map 1 MiB pages */
	IOASID_DEVICE_PASID = 1 << 2,	  /* PASID capable */
};

#define IOASID_DEVICE_MAX_RESERVED 4

struct ioasid_device_desc {
	const char *format;			  /* "mock" or a format variant name */
	uint32_t flags;				  /* enum ioasid_device_flags */
	unsigned int nr_reserved;		  /* at most IOASID_DEVICE_MAX_RESERVED */
	const struct ioasid_iova_range *reserved; /* IOVA it cannot use (an MSI window) */
};

/* 0 or -1 with errno: EINVAL (bad desc), EOPNOTSUPP (unknown format), ENOMEM. */
IOASID_EXPORT int ioasid_device_new(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
				    uint32_t *out_dev_id);
/*
 * Attach to pt_id, an HWPT or an IOAS (then an automatic HWPT on it is reused, or made, as
 * the kernel does); *out_hwpt_id (may be NULL) is the HWPT used. Errnos as the kernel's
 * attach: EINVAL (already attached, incompatible HWPT), ENOENT, EADDRINUSE (a reserved
 * region is mapped), ENOMEM (pinning limit).
 */
IOASID_EXPORT int ioasid_device_attach(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
				       uint32_t *out_hwpt_id);
/* Move an attached device to pt_id in one step (EINVAL if not attached). */
IOASID_EXPORT int ioasid_device_replace(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt_id,
					uint32_t *out_hwpt_id);
IOASID_EXPORT int ioasid_device_detach(struct ioasid_ctx *ctx, uint32_t dev_id);
/* Detach if needed and remove the device. */
IOASID_EXPORT int ioasid_device_destroy(struct ioasid_ctx *ctx, uint32_t dev_id);
/*
 * DMA by the device: copy len bytes between buf and IOVA through the device's domain (the
 * translation the IOMMU would do). EFAULT for an IOVA not mapped, EPERM for a write to a
 * read-only mapping (or a read of a write-only one), ENODEV if the device is not attached.
 */
IOASID_EXPORT int ioasid_device_dma(struct ioasid_ctx *ctx, uint32_t dev_id, uint64_t iova,
				    void *buf, size_t len, bool write);

/*
 * PASIDs (process address space IDs): a PASID-capable device (IOASID_DEVICE_PASID, or a
 * mock device with MOCK_FLAGS_DEVICE_PASID) has a PASID table; each PASID is attached on
 * its own to an HWPT allocated with IOMMU_HWPT_ALLOC_PASID, or to an IOAS (an automatic such
 * HWPT). PASID 0 is the RID: the calls above. Errnos as the kernel's: EINVAL for a PASID
 * beyond the device's width, an HWPT not allocated for PASIDs (or a RID attached to one
 * that is not), attach of a PASID attached elsewhere, replace or detach of one not
 * attached; EBUSY for attach of a PASID already on that same HWPT; ENOENT.
 */
IOASID_EXPORT int ioasid_device_pasid_attach(struct ioasid_ctx *ctx, uint32_t dev_id,
					     uint32_t pasid, uint32_t pt_id, uint32_t *out_hwpt_id);
IOASID_EXPORT int ioasid_device_pasid_replace(struct ioasid_ctx *ctx, uint32_t dev_id,
					      uint32_t pasid, uint32_t pt_id,
					      uint32_t *out_hwpt_id);
IOASID_EXPORT int ioasid_device_pasid_detach(struct ioasid_ctx *ctx, uint32_t dev_id,
					     uint32_t pasid);
/*
 * The IOVA windows through which (device, PASID) can DMA now: the attached HWPT's
 * translation ranges less, for the RID, the device's reserved regions; ascending, disjoint.
 * In: *inout_num = room in ranges. Out: the number of windows; EMSGSIZE (with the first
 * *inout_num filled and the count written back) if there are more. ENODEV if nothing is
 * attached at that PASID, EINVAL for a PASID the device does not have.
 */
IOASID_EXPORT int ioasid_device_pasid_iova_ranges(struct ioasid_ctx *ctx, uint32_t dev_id,
						  uint32_t pasid, struct ioasid_iova_range *ranges,
						  uint32_t *inout_num);

/* The typed fault of a DMA that failed (docs/translation.md). */
enum ioasid_dma_fault_type {
	IOASID_DMA_FAULT_NONE = 0,
	IOASID_DMA_FAULT_NOT_PRESENT = 1, /* no translation (or nothing attached at the PASID) */
	IOASID_DMA_FAULT_PERMISSION = 2,  /* the translation forbids the access */
	IOASID_DMA_FAULT_ADDR_SIZE = 3,	  /* input or output address beyond the stage's size */
	/* a context structure (STE, CD, PASID entry ...) with reserved or invalid fields */
	IOASID_DMA_FAULT_BAD_CONTEXT = 4,
};

struct ioasid_dma_fault {
	uint32_t type;	/* enum ioasid_dma_fault_type */
	uint32_t stage; /* 1 (or a single-stage translation), 2 (a nested one's stage 2) */
	uint32_t level; /* page-table level that faulted, 0 = leaf; 0x101 device entry,
			 * 0x102 PASID directory, 0x103 PASID entry (docs/translation.md) */
	uint32_t __reserved;
	uint64_t addr; /* input address of the faulting stage: IOVA, or the guest address */
};

enum ioasid_dma_flags {
	IOASID_DMA_WRITE = 1 << 0, /* device writes memory (else reads it) */
};

/*
 * DMA tagged with a PASID (0: requests without PASID), reporting the typed fault in
 * *out_fault (may be NULL). Errnos as ioasid_device_dma; ENODEV if nothing is attached at
 * that PASID; EOPNOTSUPP for unknown flags. Takes no lock of the context: a device may DMA
 * from one thread while another maps and unmaps.
 */
IOASID_EXPORT int ioasid_device_dma_pasid(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid,
					  uint64_t iova, void *buf, size_t len, unsigned int flags,
					  struct ioasid_dma_fault *out_fault);

#ifdef __cplusplus
}
#endif
#endif
