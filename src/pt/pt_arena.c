/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_arena.c - the table-page allocator over a memfd (see pt_arena.h for the contract).
 *
 * Layout: one reservation of max_bytes of PROT_NONE address space, aligned to a chunk
 * (2 MiB). The memfd's size is always a whole number of chunks and file offset X is mapped
 * at base + X. Every chunk is carved, when it is added, into pages of one size class (4K,
 * 8K, ... 2M); each class keeps a free list.
 *
 * Side metadata, one record per 4K slot of the file, holds the free-list and deferred-list
 * links (slot numbers) and the slot's state: free, the head of a live page (with its
 * size), or a tail slot of a live larger page. Nothing is ever written into a page by the
 * allocator except the zeroing when it is handed out.
 *
 * Words: slot = 4K unit of the file; a page's number is its head slot. "Live" counts pages
 * handed out and not yet freed, including pages waiting on a deferred list.
 *
 * Traps: the metadata arrays are reallocated as the file grows, so they are only touched
 * under the mutex; the pages themselves never move.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pt/pt_arena.h"
#include "iommu/phys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOT_LG2	  PT_ARENA_MIN_LG2
#define CHUNK_BYTES	  (UINT64_C(1) << PT_ARENA_CHUNK_LG2)
#define SLOTS_PER_CHUNK	  (1u << (PT_ARENA_CHUNK_LG2 - SLOT_LG2))
#define NR_CLASSES	  (PT_ARENA_CHUNK_LG2 - PT_ARENA_MIN_LG2 + 1)
#define NO_SLOT		  UINT32_MAX
#define DEFAULT_MAX_BYTES (UINT64_C(4) << 30)

enum slot_state {
	SLOT_FREE = 0,
	SLOT_HEAD = 0x80, /* | size_lg2 */
	SLOT_TAIL = 0x40,
	SLOT_DEFERRED = 0x20, /* head is on a deferred list */
	SLOT_LG2_MASK = 0x1f,
};

struct pt_arena {
	pthread_mutex_t lock;
	int fd;
	int refs;			/* atomic */
	uint8_t *base;			/* reservation start: file offset 0 in this process */
	uint64_t name;			/* pa (iommu/phys.h name) of file offset 0 */
	struct iommu_phys_region *phys; /* the reservation's names; reachable: size */
	uint64_t max_bytes;		/* reservation size */
	uint64_t size;			/* bytes of the file mapped (lock) */
	uint32_t nslots;		/* size >> SLOT_LG2 (lock) */
	uint32_t *next;			/* per slot: list link (lock) */
	uint8_t *state;			/* per slot: enum slot_state (lock) */
	uint32_t free_head[NR_CLASSES]; /* (lock) */
	size_t live_pages;		/* (lock) */
	uint64_t live_bytes;		/* (lock) */
	uint64_t total_allocs;		/* (lock) */
	unsigned int fail_countdown;	/* (lock) */
};

bool (*pt_arena_fail_hook)(void);

int pt_arena_create(uint64_t max_bytes, struct pt_arena **out)
{
	return pt_arena_create_charged(max_bytes, IOMMU_PHYS_UNCHARGED, out);
}

int pt_arena_create_charged(uint64_t max_bytes, int64_t uid, struct pt_arena **out)
{
	struct pt_arena *a;
	uint8_t *raw, *base;
	uint64_t slop, i;
	int rc;

	if (!max_bytes)
		max_bytes = DEFAULT_MAX_BYTES;
	if (max_bytes > (UINT64_C(1) << 40))
		return -EINVAL;
	max_bytes = (max_bytes + CHUNK_BYTES - 1) & ~(CHUNK_BYTES - 1);
	if ((max_bytes >> SLOT_LG2) >= NO_SLOT)
		return -EINVAL;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	rc = pthread_mutex_init(&a->lock, NULL);
	if (rc) {
		rc = -rc;
		goto err_free;
	}
	a->fd = memfd_create("ioasid-pt-arena", MFD_CLOEXEC);
	if (a->fd < 0) {
		rc = -errno;
		goto err_mutex;
	}
	/* Over-reserve by one chunk so the base can be aligned to a chunk. */
	raw = mmap(NULL, max_bytes + CHUNK_BYTES, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		rc = -errno;
		goto err_fd;
	}
	base = (uint8_t *)(((uintptr_t)raw + CHUNK_BYTES - 1) & ~(uintptr_t)(CHUNK_BYTES - 1));
	slop = (uint64_t)(base - raw);
	if (slop)
		munmap(raw, slop);
	if (CHUNK_BYTES - slop)
		munmap(base + max_bytes, CHUNK_BYTES - slop);

	a->base = base;
	a->max_bytes = max_bytes;
	a->refs = 1;
	for (i = 0; i < NR_CLASSES; i++)
		a->free_head[i] = NO_SLOT;
	/* names for the whole reservation; only what is mapped resolves (arena_grow) */
	rc = iommu_phys_add_charged(base, max_bytes, IOMMU_PHYS_ARENA, a, uid, &a->phys);
	if (rc)
		goto err_unmap;
	iommu_phys_set_len(a->phys, 0);
	a->name = iommu_phys_name(a->phys, 0);
	*out = a;
	return 0;

err_unmap:
	munmap(base, max_bytes);
err_fd:
	close(a->fd);
err_mutex:
	pthread_mutex_destroy(&a->lock);
err_free:
	free(a);
	return rc;
}

void pt_arena_get(struct pt_arena *a)
{
	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
}

void pt_arena_put(struct pt_arena *a)
{
	if (!a || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL))
		return;
	iommu_phys_withdraw(a->phys);
	munmap(a->base, a->max_bytes);
	close(a->fd);
	free(a->next);
	free(a->state);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Add one chunk carved into pages of class cls. Called with the lock held. */
static int arena_grow(struct pt_arena *a, unsigned int cls)
{
	uint32_t first = a->nslots, nslots = a->nslots + SLOTS_PER_CHUNK;
	uint32_t step = 1u << cls, s, *next;
	uint8_t *state;
	void *p;

	if (a->size + CHUNK_BYTES > a->max_bytes)
		return -ENOMEM;
	next = realloc(a->next, nslots * sizeof(*next));
	if (!next)
		return -ENOMEM;
	a->next = next;
	state = realloc(a->state, nslots * sizeof(*state));
	if (!state)
		return -ENOMEM;
	a->state = state;
	if (ftruncate(a->fd, (off_t)(a->size + CHUNK_BYTES)))
		return -ENOMEM;
	p = mmap(a->base + a->size, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 a->fd, (off_t)a->size);
	if (p == MAP_FAILED) {
		/* Give the size back; a failed ftruncate shrink only wastes file space. */
		if (ftruncate(a->fd, (off_t)a->size)) {
			/* nothing more to undo */
		}
		return -ENOMEM;
	}
	memset(state + first, SLOT_FREE, SLOTS_PER_CHUNK);
	/* Push in reverse so the lowest address is handed out first. */
	for (s = nslots - step;; s -= step) {
		next[s] = a->free_head[cls];
		a->free_head[cls] = s;
		if (s == first)
			break;
	}
	a->size += CHUNK_BYTES;
	a->nslots = nslots;
	iommu_phys_set_len(a->phys, a->size);
	return 0;
}

void *pt_arena_alloc(struct pt_arena *a, unsigned int size_lg2)
{
	unsigned int cls;
	uint32_t s, i;
	void *page;

	if (size_lg2 < PT_ARENA_MIN_LG2)
		size_lg2 = PT_ARENA_MIN_LG2;
	if (size_lg2 > PT_ARENA_CHUNK_LG2) {
		errno = EINVAL;
		return NULL;
	}
	cls = size_lg2 - PT_ARENA_MIN_LG2;

	pthread_mutex_lock(&a->lock);
	if (a->fail_countdown && --a->fail_countdown == 0)
		goto fail;
	if (pt_arena_fail_hook && pt_arena_fail_hook())
		goto fail;
	if (a->free_head[cls] == NO_SLOT && arena_grow(a, cls))
		goto fail;
	s = a->free_head[cls];
	a->free_head[cls] = a->next[s];
	a->next[s] = NO_SLOT;
	a->state[s] = (uint8_t)(SLOT_HEAD | size_lg2);
	for (i = 1; i < (1u << cls); i++)
		a->state[s + i] = SLOT_TAIL;
	a->live_pages++;
	a->live_bytes += UINT64_C(1) << size_lg2;
	a->total_allocs++;
	pthread_mutex_unlock(&a->lock);

	page = a->base + ((uint64_t)s << SLOT_LG2);
	memset(page, 0, (size_t)1 << size_lg2);
	return page;

fail:
	pthread_mutex_unlock(&a->lock);
	errno = ENOMEM;
	return NULL;
}

/* Slot number of a live page head, or abort: freeing anything else is a caller bug. */
static uint32_t arena_head_slot(struct pt_arena *a, const void *page)
{
	uint64_t off = (uint64_t)((const uint8_t *)page - a->base);
	uint32_t s;

	if ((const uint8_t *)page < a->base || off >= a->size || (off & ((1u << SLOT_LG2) - 1)))
		abort();
	s = (uint32_t)(off >> SLOT_LG2);
	if (!(a->state[s] & SLOT_HEAD))
		abort();
	return s;
}

static void arena_free_locked(struct pt_arena *a, uint32_t s)
{
	unsigned int lg2 = a->state[s] & SLOT_LG2_MASK;
	unsigned int cls = lg2 - PT_ARENA_MIN_LG2;
	uint32_t i;

	for (i = 0; i < (1u << cls); i++)
		a->state[s + i] = SLOT_FREE;
	a->next[s] = a->free_head[cls];
	a->free_head[cls] = s;
	a->live_pages--;
	a->live_bytes -= UINT64_C(1) << lg2;
}

void pt_arena_free(struct pt_arena *a, void *page)
{
	uint32_t s;

	if (!page)
		return;
	pthread_mutex_lock(&a->lock);
	s = arena_head_slot(a, page);
	if (a->state[s] & SLOT_DEFERRED)
		abort();
	arena_free_locked(a, s);
	pthread_mutex_unlock(&a->lock);
}

/* A deferred list is a void * holding (head slot + 1); NULL is the empty list. */
void pt_arena_defer(struct pt_arena *a, void **list, void *page)
{
	uint32_t s;

	pthread_mutex_lock(&a->lock);
	s = arena_head_slot(a, page);
	if (a->state[s] & SLOT_DEFERRED)
		abort();
	a->state[s] |= SLOT_DEFERRED;
	a->next[s] = *list ? (uint32_t)((uintptr_t)*list - 1) : NO_SLOT;
	*list = (void *)(uintptr_t)((uintptr_t)s + 1);
	pthread_mutex_unlock(&a->lock);
}

size_t pt_arena_free_list(struct pt_arena *a, void **list)
{
	uint32_t s, nx;
	size_t n = 0;

	if (!*list)
		return 0;
	pthread_mutex_lock(&a->lock);
	for (s = (uint32_t)((uintptr_t)*list - 1); s != NO_SLOT; s = nx) {
		if (s >= a->nslots || !(a->state[s] & SLOT_DEFERRED))
			abort();
		nx = a->next[s];
		a->state[s] &= (uint8_t)~SLOT_DEFERRED;
		arena_free_locked(a, s);
		n++;
	}
	pthread_mutex_unlock(&a->lock);
	*list = NULL;
	return n;
}

size_t pt_arena_live_pages(struct pt_arena *a)
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->live_pages;
	pthread_mutex_unlock(&a->lock);
	return n;
}

uint64_t pt_arena_live_bytes(struct pt_arena *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->lock);
	n = a->live_bytes;
	pthread_mutex_unlock(&a->lock);
	return n;
}

uint64_t pt_arena_total_allocs(struct pt_arena *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->lock);
	n = a->total_allocs;
	pthread_mutex_unlock(&a->lock);
	return n;
}

int pt_arena_fd(const struct pt_arena *a)
{
	return a->fd;
}

uint64_t pt_arena_size(struct pt_arena *a)
{
	uint64_t n;

	pthread_mutex_lock(&a->lock);
	n = a->size;
	pthread_mutex_unlock(&a->lock);
	return n;
}

uint64_t pt_arena_base_pa(const struct pt_arena *a)
{
	return a->name;
}

uint8_t *pt_arena_base(const struct pt_arena *a)
{
	return a->base;
}

uint64_t pt_arena_pa(const struct pt_arena *a, const void *p)
{
	return a->name + (uint64_t)((const uint8_t *)p - a->base);
}

const struct iommu_phys_region *pt_arena_region(const struct pt_arena *a)
{
	return a->phys;
}

bool pt_arena_pa_to_offset(struct pt_arena *a, uint64_t pa, uint64_t *out_off)
{
	uint64_t base = a->name;
	bool ok;

	pthread_mutex_lock(&a->lock);
	ok = pa >= base && pa - base < a->size;
	pthread_mutex_unlock(&a->lock);
	if (ok)
		*out_off = pa - base;
	return ok;
}

uint64_t pt_arena_offset_to_pa(const struct pt_arena *a, uint64_t off)
{
	return a->name + off;
}

bool pt_arena_pa_is_live(struct pt_arena *a, uint64_t pa)
{
	uint64_t off;
	uint32_t s;
	bool live = false;

	if (!pt_arena_pa_to_offset(a, pa, &off))
		return false;
	pthread_mutex_lock(&a->lock);
	s = (uint32_t)(off >> SLOT_LG2);
	if (s < a->nslots)
		live = a->state[s] & (SLOT_HEAD | SLOT_TAIL);
	pthread_mutex_unlock(&a->lock);
	return live;
}

void pt_arena_fail_nth(struct pt_arena *a, unsigned int nth)
{
	pthread_mutex_lock(&a->lock);
	a->fail_countdown = nth;
	pthread_mutex_unlock(&a->lock);
}
