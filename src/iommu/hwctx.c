/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hwctx.c - what every model's hardware context shares: its allocation and its release, and
 * the zeroed, page-aligned tables the models hang below it (PASID tables, CD leaves, process
 * directories), all in named memory (iommu/phys.h).
 *
 * A model's context is its own struct with struct iommu_hwctx first; it names the device's
 * own entry (a VT-d context entry, an STE, a DTE ...) by the field's offset, and its ops'
 * release frees only the tables it made beyond the struct. Nothing here takes a lock beyond
 * the arena's own: a context is made before any attach and freed with its device (pasid.c).
 *
 * The structure arena: one pt_arena per process, made at the first context (under a mutex,
 * retried if it failed) and never freed, holds every context struct and every table below
 * it. Its reservation is one region of names (IOMMU_CTX_ARENA_BYTES: 1 GiB, 4 or 5 region
 * IDs), so a table gets a name without a region of its own (16383 IDs per process would not
 * go far at one per 4 KiB table). A context struct is one arena page, so root_pa, the
 * device's own entry, is a name too; the entries that point at lower tables hold names of
 * the same arena, and the native decoders read them through the region table
 * (iommu_ctx_read) like any name. The owner's writers and release turn a name back into a
 * pointer with iommu_ctx_host, which answers only for live pages of this arena: an entry a
 * test forged (a host pointer, another region's name) is neither written through nor freed.
 *
 * Traps: the arena's memory is a memfd mapped MAP_SHARED, as the domains' arenas are: a
 * child of fork() shares the pages with its parent (neither should model devices after a
 * fork). The arena is never withdrawn, so its region counts in iommu_phys_usage from the
 * first context on (iommu_ctx_arena makes it early for a test's baseline).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt_arena.h"
#include "util/ushare.h"

static pthread_mutex_t ctx_arena_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pt_arena *ctx_arena; /* atomic: set once, never freed */

static struct ushare ctx_users; /* pages charged to each user (ctx_arena_lock) */

/* The arena, once made (whoever holds a context or a table saw it made). */
static struct pt_arena *arena(void)
{
	return __atomic_load_n(&ctx_arena, __ATOMIC_ACQUIRE);
}

struct pt_arena *iommu_ctx_arena(void)
{
	struct pt_arena *a = arena();

	if (a)
		return a;
	pthread_mutex_lock(&ctx_arena_lock);
	a = ctx_arena;
	if (!a && !pt_arena_create(IOMMU_CTX_ARENA_BYTES, &a))
		__atomic_store_n(&ctx_arena, a, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx_arena_lock);
	return a;
}

/* The page order of bytes: at least a page. */
static unsigned int ctx_lg2(size_t bytes)
{
	unsigned int lg2 = PT_ARENA_MIN_LG2;

	while (((size_t)1 << lg2) < bytes)
		lg2++;
	return lg2;
}

void *iommu_hwctx_alloc(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off)
{
	struct pt_arena *a = iommu_ctx_arena();
	struct iommu_hwctx *hw;

	if (!a || !(hw = pt_arena_alloc(a, ctx_lg2(size))))
		return NULL;
	hw->ops = ops;
	hw->root_pa = pt_arena_pa(a, (char *)hw + root_off);
	hw->uid = IOMMU_PHYS_UNCHARGED;
	return hw;
}

int iommu_hwctx_new(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off,
		    struct iommu_hwctx **out)
{
	*out = iommu_hwctx_alloc(size, ops, root_off);
	return *out ? 0 : -ENOMEM;
}

uint64_t *iommu_ctx_table_alloc_for(struct iommu_hwctx *hw, size_t bytes)
{
	struct pt_arena *a = iommu_ctx_arena();
	uint64_t n = UINT64_C(1) << (ctx_lg2(bytes) - PT_ARENA_MIN_LG2);
	uint64_t *t;
	int rc;

	if (!a)
		return NULL;
	if (hw->uid == IOMMU_PHYS_UNCHARGED)
		return iommu_ctx_table_alloc(bytes);
	/* charged before the allocation (the share sees the arena's pages in use), undone if
	 * it fails */
	pthread_mutex_lock(&ctx_arena_lock);
	rc = ushare_charge(&ctx_users, hw->uid, n, IOMMU_CTX_ARENA_BYTES >> PT_ARENA_MIN_LG2,
			   pt_arena_live_bytes(a) >> PT_ARENA_MIN_LG2, iommu_phys_shared());
	pthread_mutex_unlock(&ctx_arena_lock);
	if (rc)
		return NULL;
	t = iommu_ctx_table_alloc(bytes);
	pthread_mutex_lock(&ctx_arena_lock);
	if (t)
		hw->charged_pages += n;
	else
		ushare_uncharge(&ctx_users, hw->uid, n);
	pthread_mutex_unlock(&ctx_arena_lock);
	return t;
}

uint64_t iommu_ctx_user_pages(int64_t uid)
{
	uint64_t n;

	pthread_mutex_lock(&ctx_arena_lock);
	n = ushare_held(&ctx_users, uid);
	pthread_mutex_unlock(&ctx_arena_lock);
	return n;
}

void iommu_hwctx_free(struct iommu_hwctx *hw)
{
	if (!hw)
		return;
	if (hw->charged_pages) {
		pthread_mutex_lock(&ctx_arena_lock);
		ushare_uncharge(&ctx_users, hw->uid, hw->charged_pages);
		pthread_mutex_unlock(&ctx_arena_lock);
	}
	if (hw->ops->release)
		hw->ops->release(hw);
	pt_arena_free(arena(), hw);
}

uint64_t *iommu_ctx_table_alloc(size_t bytes)
{
	struct pt_arena *a = iommu_ctx_arena();

	return a ? pt_arena_alloc(a, ctx_lg2(bytes)) : NULL;
}

void iommu_ctx_table_free(void *table)
{
	if (table)
		pt_arena_free(arena(), table);
}

uint64_t iommu_ctx_name(const void *p)
{
	return pt_arena_pa(arena(), p);
}

void *iommu_ctx_host(uint64_t name, size_t len)
{
	struct pt_arena *a = arena();
	const struct iommu_phys_region *r;
	uint64_t off;

	if (!a)
		return NULL;
	r = pt_arena_region(a);
	off = name - r->name;
	if (off >= __atomic_load_n(&r->len, __ATOMIC_ACQUIRE) || !pt_arena_pa_is_live(a, name) ||
	    !pt_arena_pa_is_live(a, name + len - 1))
		return NULL;
	return r->host + off;
}

void iommu_ctx_tables_free(uint64_t *dir, size_t n, uint64_t valid, uint64_t addr_mask)
{
	if (!dir)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t e = le64toh(dir[i]);

		uint64_t *t = e & valid ? iommu_ctx_host(e & addr_mask, 4096) : NULL;

		if (t && !((uintptr_t)t & 4095)) /* a live page: one of ours, not a forgery */
			iommu_ctx_table_free(t);
	}
	iommu_ctx_table_free(dir);
}
