/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kcall.h - the core's calls for other modules of this tree (not the public API): what the
 * kernel's own callers of iommufd do with kernel memory.
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

int ioasid_ioctl_local(struct ioasid_ctx *ctx, unsigned long cmd, void *arg);

#endif
