/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idtable.c - growable slot array plus a min-heap of free IDs (see idtable.h).
 *
 * Layout: slots[id - 1] holds the state of id.  NULL means free, the address of
 * reserved_mark means reserved, anything else is the visible value.  No caller can hold
 * &reserved_mark, so it cannot collide with a published pointer.
 *
 * IDs 1..high are the ones handed out at least once; everything above `high` is free and
 * never recorded.  The free IDs at or below `high` sit in a binary min-heap, so the lowest
 * free ID is either the heap's top or, if the heap is empty, high + 1.  `high` never goes
 * down; the arrays never shrink.
 *
 * The heap holds at most `high` entries, and both arrays have the same capacity `cap`
 * >= high.  Growth happens only in idt_reserve(), before anything is changed, and allocates
 * both new arrays first so that a failure leaves the table as it was.  Freeing an ID pushes
 * onto a heap that is known to have room, which is why erase and unreserve cannot fail.
 *
 * Not thread-safe: the caller holds its lock around every call.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/idtable.h"

#define IDT_MIN_CAP 16

struct idtable {
	void **slots;	/* slots[id - 1]: NULL, RESERVED or the visible value */
	uint32_t *heap; /* min-heap of free IDs in [1, high] */
	size_t nr_heap; /* entries in heap */
	size_t cap;	/* length of slots and of heap */
	size_t high;	/* highest ID ever handed out */
	size_t count;	/* reserved + visible IDs */
};

static char reserved_mark;
#define RESERVED ((void *)&reserved_mark)

void *(*idt_test_alloc)(size_t size);

static void *idt_alloc(size_t size)
{
	return idt_test_alloc ? idt_test_alloc(size) : malloc(size);
}

/* The slot of id, or NULL if id was never handed out. */
static void **slot_of(const struct idtable *t, uint32_t id)
{
	if (id == 0 || id > t->high)
		return NULL;
	return &t->slots[id - 1];
}

static void heap_swap(uint32_t *heap, size_t a, size_t b)
{
	uint32_t tmp = heap[a];

	heap[a] = heap[b];
	heap[b] = tmp;
}

/* Add id; the caller guarantees room. */
static void heap_push(struct idtable *t, uint32_t id)
{
	size_t i = t->nr_heap++;

	t->heap[i] = id;
	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (t->heap[up] <= t->heap[i])
			break;
		heap_swap(t->heap, up, i);
		i = up;
	}
}

/* Remove and return the smallest ID; the heap must not be empty. */
static uint32_t heap_pop(struct idtable *t)
{
	uint32_t top = t->heap[0];
	size_t n = --t->nr_heap;
	size_t i = 0;

	t->heap[0] = t->heap[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < n && t->heap[l] < t->heap[min])
			min = l;
		if (r < n && t->heap[r] < t->heap[min])
			min = r;
		if (min == i)
			break;
		heap_swap(t->heap, min, i);
		i = min;
	}
	return top;
}

/* Grow both arrays so that cap > high.  On failure nothing changes. */
static int grow(struct idtable *t)
{
	size_t new_cap = t->cap ? t->cap * 2 : IDT_MIN_CAP;
	size_t slots_bytes, heap_bytes;
	void **slots;
	uint32_t *heap;

	if (new_cap > UINT32_MAX)
		new_cap = UINT32_MAX;
	if (__builtin_mul_overflow(new_cap, sizeof(*slots), &slots_bytes) ||
	    __builtin_mul_overflow(new_cap, sizeof(*heap), &heap_bytes))
		return -ENOMEM;

	slots = idt_alloc(slots_bytes);
	if (!slots)
		return -ENOMEM;
	heap = idt_alloc(heap_bytes);
	if (!heap)
		goto err_free_slots;

	if (t->cap) {
		memcpy(slots, t->slots, t->cap * sizeof(*slots));
		memcpy(heap, t->heap, t->nr_heap * sizeof(*heap));
	}
	memset(slots + t->cap, 0, (new_cap - t->cap) * sizeof(*slots));
	free(t->slots);
	free(t->heap);
	t->slots = slots;
	t->heap = heap;
	t->cap = new_cap;
	return 0;

err_free_slots:
	free(slots);
	return -ENOMEM;
}

struct idtable *idt_new(void)
{
	struct idtable *t = idt_alloc(sizeof(*t));

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	return t;
}

void idt_free(struct idtable *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->heap);
	free(t);
}

int idt_reserve(struct idtable *t, uint32_t max_id, uint32_t *out_id)
{
	uint32_t id;
	int rc;

	/* Every free ID <= high is in the heap, and all of them are below high + 1. */
	if (t->nr_heap) {
		if (t->heap[0] > max_id)
			return -ENOSPC;
		id = heap_pop(t);
	} else {
		if (t->high >= max_id)
			return -ENOSPC;
		if (t->high == t->cap) {
			rc = grow(t);
			if (rc)
				return rc;
		}
		id = (uint32_t)++t->high;
	}
	t->slots[id - 1] = RESERVED;
	t->count++;
	*out_id = id;
	return 0;
}

void idt_publish(struct idtable *t, uint32_t id, void *ptr)
{
	void **slot = slot_of(t, id);

	assert(ptr && slot && *slot == RESERVED);
	if (ptr && slot && *slot == RESERVED)
		*slot = ptr;
}

/* Return a taken ID to the free pool. */
static void release(struct idtable *t, uint32_t id)
{
	t->slots[id - 1] = NULL;
	t->count--;
	heap_push(t, id);
}

void idt_unreserve(struct idtable *t, uint32_t id)
{
	void **slot = slot_of(t, id);

	assert(slot && *slot == RESERVED);
	if (slot && *slot == RESERVED)
		release(t, id);
}

void *idt_lookup(const struct idtable *t, uint32_t id)
{
	void **slot = slot_of(t, id);

	if (!slot || *slot == RESERVED)
		return NULL;
	return *slot;
}

void *idt_erase(struct idtable *t, uint32_t id)
{
	void **slot = slot_of(t, id);
	void *old;

	if (!slot || !*slot)
		return NULL;
	old = *slot;
	release(t, id);
	return old == RESERVED ? NULL : old;
}

bool idt_cmpxchg(struct idtable *t, uint32_t id, void *old, void *new_ptr)
{
	void **slot = slot_of(t, id);

	if (!slot || !old || old == RESERVED || *slot != old)
		return false;
	*slot = new_ptr ? new_ptr : RESERVED;
	return true;
}

void *idt_find_next(const struct idtable *t, uint32_t *id)
{
	size_t i = *id ? *id : 1;

	for (; i <= t->high; i++) {
		void *v = t->slots[i - 1];

		if (v && v != RESERVED) {
			*id = (uint32_t)i;
			return v;
		}
	}
	return NULL;
}

size_t idt_count(const struct idtable *t)
{
	return t->count;
}
