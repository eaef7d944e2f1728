/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simple.h - the simple flow: IOVA space for a program that only wants DMA.
 *
 * From the 2021 /dev/ioasid discussion: a userspace driver should be able to say "give me
 * about 4 GiB of IOVA space; map this buffer and tell me its IOVA" without learning
 * domains, nesting or page-table formats. This API is that sentence. It is built on the same
 * objects as the full ABI (a context, one IOAS with an allowed window, IOMMU_IOAS_MAP with
 * an IOVA the allocator picks), so a program can outgrow it with ioasid_simple_ctx().
 *
 *	struct ioasid_simple *s;
 *	uint64_t iova;
 *	ioasid_simple_open(4ULL << 30, &s);
 *	ioasid_simple_map(s, buf, len, IOASID_SIMPLE_RW, &iova);
 *	... hand iova to the device; the device side reads and writes through
 *	    ioasid_simple_dma_read()/ioasid_simple_dma_write() ...
 *	ioasid_simple_unmap(s, iova);
 *	ioasid_simple_close(s);
 *
 * Underneath, one emulated device behind a VT-d IOMMU (second-stage tables) is attached to the
 *IOAS: mapping pins the buffer (charged to RLIMIT_MEMLOCK as the kernel would) and writes it into
 *the device's page table, and the DMA calls translate through that table.
 *
 * Every function returns 0, or -1 with errno set (ENOSPC: the window is full; ENOENT: no
 * mapping starts at that IOVA; EFAULT: bad buffer, or DMA to an IOVA with no translation;
 * EPERM: DMA against the mapping's permissions; ENOMEM: RLIMIT_MEMLOCK reached). One handle
 * may be used from several threads.
 */
#ifndef IOASID_SIMPLE_H
#define IOASID_SIMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "ioasid/ioasid.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ioasid_simple;

enum ioasid_simple_flags {
	IOASID_SIMPLE_READ = 1 << 0,  /* the device may read the buffer */
	IOASID_SIMPLE_WRITE = 1 << 1, /* the device may write the buffer */
	IOASID_SIMPLE_RW = IOASID_SIMPLE_READ | IOASID_SIMPLE_WRITE,
};

/*
 * About iova_bytes of IOVA space: rounded up to a power of two (at least 2 MiB, at most
 * 2^55) and placed at a naturally aligned base above zero, so IOVA 0 is never handed out.
 */
IOASID_EXPORT int ioasid_simple_open(uint64_t iova_bytes, struct ioasid_simple **out);
IOASID_EXPORT void ioasid_simple_close(struct ioasid_simple *s);

/* The window the allocator hands IOVAs from, [*out_start, *out_last]. */
IOASID_EXPORT void ioasid_simple_window(const struct ioasid_simple *s, uint64_t *out_start,
					uint64_t *out_last);

/*
 * Map len bytes at buf (any alignment: the pages holding them are mapped) and return the
 * IOVA of buf's first byte.
 */
IOASID_EXPORT int ioasid_simple_map(struct ioasid_simple *s, void *buf, size_t len,
				    unsigned int flags, uint64_t *out_iova);
/* Unmap the mapping ioasid_simple_map() returned iova for. */
IOASID_EXPORT int ioasid_simple_unmap(struct ioasid_simple *s, uint64_t iova);

/* The device side: DMA from / to IOVA space, checked against each mapping's permissions. */
IOASID_EXPORT int ioasid_simple_dma_read(struct ioasid_simple *s, uint64_t iova, void *dst,
					 size_t len);
IOASID_EXPORT int ioasid_simple_dma_write(struct ioasid_simple *s, uint64_t iova, const void *src,
					  size_t len);

/* The context and IOAS underneath, for programs that need the full ABI. */
IOASID_EXPORT struct ioasid_ctx *ioasid_simple_ctx(struct ioasid_simple *s, uint32_t *out_ioas_id);

#ifdef __cplusplus
}
#endif
#endif
