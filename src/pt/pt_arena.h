/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_arena.h - memory for page-table pages, shareable with another process.
 *
 * An arena owns one memfd and one reserved run of host virtual addresses. It grows in
 * chunks: ftruncate the memfd, then map the new chunk MAP_FIXED|MAP_SHARED over the
 * reservation, so a page never moves once handed out. A table page is 4K, 16K, 64K ...
 * up to a chunk, always aligned to its own size, and always returned zeroed.
 *
 * Words: a page's "physical address" (pa) is its emulated physical address (iommu/phys.h): the
 * arena's reservation is one region of names, added at creation, whose names resolve as far
 * as the file is mapped (withdrawn at the last put). A table entry holds the pa of the next
 * table, never a pointer. Another process that maps the same memfd (pt_arena_fd) at its own
 * base turns a pa found in an entry into its own pointer with pt_arena_pa_to_offset.
 *
 * Freed pages are recycled through per-size free lists. Deferred lists (an iommu_gather's
 * freelist) link pages through side metadata, never through the page's own bytes: until the
 * owner's flush completes, a stale walker may still read a page that is on such a list.
 *
 * Traps: the reservation is fixed at creation; running out of it is ENOMEM like any other
 * allocation failure. The test hook pt_arena_fail_nth makes the Nth next allocation fail.
 *
 * Locking: every function takes the arena's own mutex where it needs it; callers need no
 * lock. Refcounted: a domain that shares an arena holds a reference.
 */
#ifndef IOASID_PT_ARENA_H
#define IOASID_PT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_arena;
struct iommu_phys_region;

#define PT_ARENA_MIN_LG2   12 /* smallest page: 4K */
#define PT_ARENA_CHUNK_LG2 21 /* growth step and largest page: 2M */

/*
 * Create an arena able to grow to max_bytes (0: a default of 4 GiB of reserved VA).
 * -ENOMEM also when the name space has no room for the reservation (iommu/phys.h).
 */
int pt_arena_create(uint64_t max_bytes, struct pt_arena **out);
/* The same, its names charged to user uid (iommu/phys.h: a context's arena, in the daemon). */
int pt_arena_create_charged(uint64_t max_bytes, int64_t uid, struct pt_arena **out);
void pt_arena_get(struct pt_arena *a);
/* Drops a reference; the last one unmaps everything and closes the memfd. */
void pt_arena_put(struct pt_arena *a);

/* A zeroed page of 2^size_lg2 bytes aligned to its size; NULL (errno ENOMEM) on failure. */
void *pt_arena_alloc(struct pt_arena *a, unsigned int size_lg2);
void pt_arena_free(struct pt_arena *a, void *page);

/* Deferred frees: push onto a list held in a void * (an iommu_gather's freelist). */
void pt_arena_defer(struct pt_arena *a, void **list, void *page);
/* Free every page on the list; returns how many. */
size_t pt_arena_free_list(struct pt_arena *a, void **list);

size_t pt_arena_live_pages(struct pt_arena *a);
uint64_t pt_arena_live_bytes(struct pt_arena *a);
uint64_t pt_arena_total_allocs(struct pt_arena *a);

/* Sharing: the memfd, its current size, and translation between pa and file offset. */
int pt_arena_fd(const struct pt_arena *a);
uint64_t pt_arena_size(struct pt_arena *a);
/* The pa of file offset 0, and where this process sees it. */
uint64_t pt_arena_base_pa(const struct pt_arena *a);
uint8_t *pt_arena_base(const struct pt_arena *a);
/* The pa of p, a byte of a page handed out. */
uint64_t pt_arena_pa(const struct pt_arena *a, const void *p);
/* The arena's region of names (iommu/phys.h), for as long as the arena lives. */
const struct iommu_phys_region *pt_arena_region(const struct pt_arena *a);
bool pt_arena_pa_to_offset(struct pt_arena *a, uint64_t pa, uint64_t *out_off);
uint64_t pt_arena_offset_to_pa(const struct pt_arena *a, uint64_t off);
/* True if pa lies in a page currently handed out (not free). */
bool pt_arena_pa_is_live(struct pt_arena *a, uint64_t pa);

/* Test hook: the nth next allocation fails (1 = the next one); 0 disarms. */
void pt_arena_fail_nth(struct pt_arena *a, unsigned int nth);
/*
 * Process-wide hook (NULL by default), asked before every allocation of every arena: true
 * fails it. ioasidd's fail-nth (src/daemon/failnth.c) counts table pages with it. It is
 * called with the arena's lock held and must not call back into the arena.
 */
extern bool (*pt_arena_fail_hook)(void);

#endif
