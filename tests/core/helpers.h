/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * helpers.h - what the core tests share: ioctl helpers in three forms (raw, asserting
 * success, expecting an errno), a test domain that records what the IOAS maps into it and
 * checks the core's invariants, and contexts with chosen accounting identities.
 */
#ifndef IOASID_TESTS_CORE_HELPERS_H
#define IOASID_TESTS_CORE_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/private.h"

/* raw: returns 0 or errno */
int t_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg);
/* the three forms for the common commands */
int t_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *out_id);
int t_map(struct ioasid_ctx *ctx, uint32_t ioas, void *buf, uint64_t len, uint64_t *iova,
	  uint32_t flags);
int t_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len,
	    uint64_t *out_unmapped);

#define T_OK(expr)	 assert_int_equal((expr), 0)
#define T_ERR(err, expr) assert_int_equal((expr), (err))

#define T_MAP_RW    (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define T_MAP_FIXED (T_MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA)

/* Change the memlock limit that every t_ctx_limited() context reads from now on. */
void t_set_memlock_limit(uint64_t limit_pages);

/* A context charged to a fresh uid/pid pair with a memlock limit of limit_pages. */
struct ioasid_ctx *t_ctx_limited(uint64_t limit_pages, bool cap_sys_resource, uid_t *out_uid,
				 pid_t *out_pid);

/* ---- the test domain ------------------------------------------------------------------ */

struct tdom {
	struct iommu_domain dom;
	uint64_t nr_entries, cap;
	struct tdom_entry {
		uint64_t iova, pa, size;
		int prot;
	} * e;
	int64_t fail_after; /* map_pages calls allowed before -ENOMEM; <0: never */
	uint64_t maps, unmaps, syncs;
};

struct tdom *tdom_new(uint64_t pgsize_bitmap, uint64_t aperture_start, uint64_t aperture_last);
void tdom_free(struct tdom *d);
/* paddr for iova, or -ENOENT */
int tdom_lookup(struct tdom *d, uint64_t iova, uint64_t *out_pa, int *out_prot);
/* bytes mapped in total */
uint64_t tdom_mapped_bytes(const struct tdom *d);

#endif
