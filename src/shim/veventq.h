/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * veventq.h - the shim's read() of vEVENTQ fds (veventq.c): the kernel's read rules over
 * the pipe the core hands out.
 */
#ifndef IOASID_SHIM_VEVENTQ_H
#define IOASID_SHIM_VEVENTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* fd is a vEVENTQ of IOMMU_VEVENTQ_TYPE_* type (from a successful IOMMU_VEVENTQ_ALLOC). */
void shim_veventq_note(int fd, uint32_t type);
/* fd was closed. */
void shim_veventq_forget(int fd);
void shim_veventq_forget_range(unsigned int first, unsigned int last);
bool shim_veventq_is(int fd);
/* read(2) on a noted fd, with the kernel's rules; next_read is the real read. */
ssize_t shim_veventq_read(int fd, void *buf, size_t len, ssize_t (*next_read)(int, void *, size_t));

#endif
