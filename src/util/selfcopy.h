/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * selfcopy.h - copy to or from an untrusted address of this very process, as the kernel's
 * copy_from_user/copy_to_user would: a NULL, wild, wrapping or read-only address gives
 * -EFAULT, never a crash. The core's in-process memory ops and the VFIO layer's argument
 * reads both use it.
 */
#ifndef IOASID_UTIL_SELFCOPY_H
#define IOASID_UTIL_SELFCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* to_user: local -> uptr, else uptr -> local. 0 or -EFAULT. */
int self_copy(uint64_t uptr, void *local, size_t len, bool to_user);

#endif
