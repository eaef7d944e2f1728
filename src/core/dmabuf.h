/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmabuf.h - dma-buf exporters, for the modules that export (src/vfio: a BAR of a device,
 * VFIO_DEVICE_FEATURE_DMA_BUF; the selftest's IOMMU_TEST_OP_DMABUF_GET) and for the core's
 * importer (IOMMU_IOAS_MAP_FILE of a dma-buf).
 *
 * What a dma-buf is here. Userspace has no dma-buf files, so ours is a registry entry
 * (core/dmabuf.c) named by a token the program holds as an fd: the read end of a pipe whose
 * write end the registry keeps. The registry recognises the token by identity (st_dev,
 * st_ino of the pipe, which cannot be reused while it keeps the write end open), in the
 * process that made it and in the daemon that receives it by SCM_RIGHTS with a MAP_FILE;
 * nothing a program can make names an entry it was not given. It learns that the program
 * let go of every copy of the token when polling the write end reports POLLERR (no readers
 * left); an entry is freed when that is so and no IOAS maps it any more.
 *
 * An entry has an exporter (owner: an opaque pointer, the VFIO device or the selftest's
 * context), a size, one or more ranges, and, when it is one range of memory the IOMMU side
 * can reach (a RAM BAR's memfd, the selftest's memfd), that memory as a file and offset.
 * The exporter revokes and restores it (dmabuf_revoke_owner: device reset, memory decode
 * off, low power) and lets go of it at its end (dmabuf_owner_gone: the device closes):
 * revoked for good. A revoke is synchronous: when it returns, every IOAS area that mapped
 * the dma-buf is unmapped from its domains (its IOVA stays allocated, a DMA to it faults,
 * IOMMU_IOAS_UNMAP still removes it) and stays so even after a restore, as iommufd's
 * importer does (Linux 6.19); a restore lets new MAP_FILEs in.
 *
 * Locking: dmabuf_lock (core/dmabuf.c) is taken alone or inside ctx->lock; a revoke takes
 * each importing context's lock with no lock of the registry held. So an exporter must not
 * revoke while holding a lock that a context's call may wait for. It may hold its own
 * device locks (src/vfio: sys->lock, vdev->lock), which no context call takes.
 */
#ifndef IOASID_CORE_DMABUF_H
#define IOASID_CORE_DMABUF_H

#include <stdbool.h>
#include <stdint.h>

struct ioasid_ctx;

struct ioasid_dmabuf_desc {
	const void *owner;	    /* the exporter, as dmabuf_revoke_owner/owner_gone name it */
	uint64_t size;		    /* bytes: a multiple of the page size, > 0 */
	unsigned int nr_ranges;	    /* >= 1; MAP_FILE takes only dma-bufs of one range */
	int backing_fd;		    /* the range's memory (duplicated, not consumed), or -1 */
	uint64_t backing_off;	    /* its offset in backing_fd: page aligned */
	bool revoked;		    /* born revoked (the device's memory decode is off) */
	unsigned int max_per_owner; /* more live entries of owner: -EMFILE */
};

/*
 * A new dma-buf: *out_fd is the program's token, with close-on-exec (the caller hands it
 * over, or clears FD_CLOEXEC). 0, -EMFILE (the owner's limit), -ENOMEM, -errno of pipe2.
 * Entries whose tokens were closed and that nothing maps are reclaimed first.
 */
int dmabuf_export(const struct ioasid_dmabuf_desc *d, int *out_fd);

/*
 * Revoke (true) or restore (false) every dma-buf of owner. held: a context whose lock the
 * caller holds (the selftest's op, served under its context's lock), or NULL.
 */
void dmabuf_revoke_owner(const void *owner, bool revoked, struct ioasid_ctx *held);

/*
 * The same for the one dma-buf fd names, if owner exported it: 0, -EBADF (fd not open),
 * -EINVAL (not a dma-buf of owner).
 */
int dmabuf_revoke_fd(const void *owner, int fd, bool revoked, struct ioasid_ctx *held);

/* The exporter ends: its dma-bufs are revoked for good and forget it. Lock as a revoke. */
void dmabuf_owner_gone(const void *owner, struct ioasid_ctx *held);

/* Live entries (tests: nothing leaks); reclaims dead ones first. */
unsigned int dmabuf_count(void);

#endif
