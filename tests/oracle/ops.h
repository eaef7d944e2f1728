/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops.h - one traced call per helper, for the oracle's scenarios: each fills the kernel's
 * struct, calls tr_ioctl and hands back what the call wrote (an ID, an IOVA, a count). A
 * helper never checks the result: the trace is the result, and the comparison judges it.
 * Outputs are left at 0 when the call failed, so that later calls name ID 0 (and get the
 * kernel's answer to that) rather than garbage.
 */
#ifndef ORACLE_OPS_H
#define ORACLE_OPS_H

#include <stdbool.h>

#include "trace.h"

/* the mock domain's aperture, as 64-bit values (the header's are enum constants) */
#define AP_START ((uint64_t)MOCK_APERTURE_START)
#define AP_LAST	 ((uint64_t)MOCK_APERTURE_LAST)

struct mock_dev {
	uint32_t stdev_id, hwpt_id, idev_id;
};

/* a scratch buffer the kernel may read and write: ranges, bitmaps, info */
void *ops_scratch(void);

uint32_t op_ioas_alloc(int fd);
long op_destroy(int fd, uint32_t id);
long op_map(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t *iova, uint32_t flags);
/* fixed IOVA, read+write */
long op_map_fixed(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t iova);
/* automatic IOVA, read+write; returns the IOVA (0 on failure) */
uint64_t op_map_auto(int fd, uint32_t ioas, const void *va, uint64_t len);
long op_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out_len);
long op_copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova, uint64_t len,
	     uint64_t *dst_iova, uint32_t flags);
/* allow n ranges given as start, last pairs */
long op_allow(int fd, uint32_t ioas, unsigned int n, const uint64_t *pairs);
long op_ranges(int fd, uint32_t ioas, uint32_t capacity);
long op_option(int fd, uint32_t option, uint16_t op, uint32_t object, uint64_t *val);
long op_mock_domain(int fd, uint32_t ioas, uint32_t dev_flags, struct mock_dev *out);
long op_replace(int fd, uint32_t stdev, uint32_t pt_id);
long op_hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *out_hwpt);
long op_add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len);
long op_check_map(int fd, uint32_t id, uint64_t iova, const void *va, uint64_t len);
long op_check_refs(int fd, const void *va, uint64_t len, uint32_t refs);
int op_create_access(int fd, uint32_t ioas, uint32_t flags);
long op_access_pages(int fd, int access_fd, uint64_t iova, uint64_t len, const void *va,
		     uint32_t flags, uint32_t *out_id);
long op_destroy_access_pages(int fd, int access_fd, uint32_t pages_id);
long op_access_rw(int fd, int access_fd, uint64_t iova, void *va, uint64_t len, uint32_t flags);
long op_access_replace(int fd, int access_fd, uint32_t ioas);
long op_memory_limit(int fd, uint32_t pages);
long op_hw_info(int fd, uint32_t dev, uint32_t data_len);
long op_set_dirty(int fd, uint32_t hwpt, bool enable);
long op_test_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t page_size,
		   const void *bitmap);
long op_get_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t page_size,
		  uint32_t flags);
long op_vfio_ioas(int fd, uint16_t op, uint32_t ioas);

/* drop capabilities (CAP_* numbers) from the effective, permitted and inheritable sets */
void ops_drop_caps(const int *caps, int n);

#endif
