/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kcall.h - the core's calls for other modules of this tree (not the public API): what the
 * kernel's own callers of iommufd do with kernel memory, and what the device models reach
 * of a context without the core's private header.
 *
 * ioasid_ioctl_local: the ioctl with arg (and any pointer inside it) in this process's
 * memory, whatever memory the context's mem ops reach: the VFIO layer's own calls on a
 * program's context (a group's compatibility IOAS, as the kernel's
 * iommufd_vfio_compat_ioas_create), which in the daemon would otherwise be read from the
 * client. 0 or -1 with errno, as ioasid_ioctl. Only for structs without user pointers to
 * pin (no MAP): pins still go through the context's mem ops.
 */
#ifndef IOASID_CORE_KCALL_H
#define IOASID_CORE_KCALL_H

struct ioasid_ctx;
struct iommu_ctx_dir;

int ioasid_ioctl_local(struct ioasid_ctx *ctx, unsigned long cmd, void *arg);

/*
 * The context's device directory (src/iommu: devices and their translation state), for a
 * device model's DMA sessions (src/devices/dma.c), which look a device up under the IOMMU
 * read lock rather than through the context's lock. Lives as long as the context.
 */
struct iommu_ctx_dir **ioasid_ctx_iommu_dir(struct ioasid_ctx *ctx);

/*
 * Every device DMA of the context that waits for a page response gives up now (its request
 * withdrawn, the DMA failing with the fault), and any later one does not wait at all: the
 * process serving the context is stopping (the daemon at SIGTERM) and must not wait for a
 * program's answer. Takes the context's lock; the waiting threads notice within their nap
 * (FAULT_DMA_POLL_MS). Never undone.
 */
void ioasid_ctx_cancel_waits(struct ioasid_ctx *ctx);

#endif
