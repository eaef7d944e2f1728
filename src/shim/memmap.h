/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memmap.h - which file backs the program's memory, for the daemon's pins (memmap.c).
 *
 * shim.c calls these from its interposed mmap, mmap64, munmap, mremap and ioctl; every one
 * is cheap when the program has no shared mapping (one load).
 */
#ifndef IOASID_SHIM_MEMMAP_H
#define IOASID_SHIM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef void *(*memmap_mmap_fn)(void *, size_t, int, int, int, off_t);

/* Once, from the shim's constructor: on under the daemon back end only (the fork handlers). */
void memmap_setup(bool on);
/*
 * mmap through the shim: MAP_SHARED|MAP_ANONYMOUS becomes a mapping of a memfd of our own
 * (the same memory semantics, and a file the daemon can be handed), a MAP_SHARED mapping of
 * a regular file is recorded with a copy of its fd; everything else goes to next as is.
 */
void *memmap_mmap(memmap_mmap_fn next, void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
/* After a successful munmap, or mremap (new is the result). */
void memmap_unmapped(void *addr, size_t len);
void memmap_remapped(void *old, size_t old_len, void *new_addr, size_t new_len);
/*
 * Before ioctl req (arg as given) on an iommufd: if the call makes the daemon reach memory
 * by address (ioasid_proto_mem_range), make the range's private memory shareable (memfd,
 * in place) and call send(ctx, fd) once per file backing the range. chan: the call
 * channel's identity (its inode), whose files are not sent twice; 0 on the per-request
 * path. Never fails: what cannot be handed over is left for the daemon to refuse (EFAULT,
 * as an unreachable page).
 */
void memmap_handover(unsigned long req, unsigned long arg, uint64_t chan,
		     int (*send)(void *ctx, int fd), void *ctx);

#endif
