/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * idtable.h - map small 32-bit IDs to pointers, handing out the lowest free ID.
 *
 * Owns the ID space and its slots, never the values: idt_free() and idt_erase() leave the
 * pointed-to objects alone.
 *
 * Words:
 *   free       the ID is not in use; idt_reserve() may hand it out
 *   reserved   the ID is taken but invisible: lookups and iteration see NULL.  A new
 *              object sits here while it is being built.
 *   visible    the ID maps to a non-NULL pointer (published)
 *   count      reserved + visible IDs
 *
 * IDs start at 1; 0 is never handed out, so callers may use it as "none".  Reservation
 * always returns the lowest free ID not above the caller's limit.
 *
 * Cost: lookup O(1); reserve and erase O(log n) plus amortised array growth; iteration
 * O(highest ID ever used).
 *
 * Traps:
 *   - Not thread-safe.  Every call, idt_lookup() included, needs the caller's lock.
 *   - Only idt_reserve() allocates.  On -ENOMEM the table is exactly as before; every other
 *     call (erase and unreserve included) cannot fail and never allocates.
 *   - Test hook: when idt_test_alloc is non-NULL it is called instead of malloc(); it must
 *     return memory that free() accepts, or NULL to inject a failure.
 */
#ifndef IOASID_UTIL_IDTABLE_H
#define IOASID_UTIL_IDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idtable;

/* Allocation hook for tests; NULL means malloc(). */
extern void *(*idt_test_alloc)(size_t size);

/* A new empty table, or NULL when out of memory. */
struct idtable *idt_new(void);

/* Free the table (NULL is fine); the values are not touched. */
void idt_free(struct idtable *t);

/*
 * Reserve the lowest free ID in [1, max_id] and store it in *out_id.  The slot stays
 * invisible until idt_publish().  Returns 0, -ENOSPC when every ID up to max_id is taken,
 * or -ENOMEM (table unchanged).
 */
int idt_reserve(struct idtable *t, uint32_t max_id, uint32_t *out_id);

/* Make a reserved ID visible with value ptr (non-NULL). */
void idt_publish(struct idtable *t, uint32_t id, void *ptr);

/* Free a reserved, never published (or hidden again) ID. */
void idt_unreserve(struct idtable *t, uint32_t id);

/* The visible value at id, or NULL if id is free or only reserved. */
void *idt_lookup(const struct idtable *t, uint32_t id);

/*
 * Free id whatever its state and return the visible value it held (NULL if it was free or
 * reserved).
 */
void *idt_erase(struct idtable *t, uint32_t id);

/*
 * If id is visible with value old, replace it by new_ptr and return true; otherwise change
 * nothing and return false.  old == NULL never matches.  new_ptr == NULL hides the entry
 * again: the ID goes back to reserved (still counted, still taken) until idt_erase() or
 * idt_unreserve() frees it or idt_publish() shows it again.
 */
bool idt_cmpxchg(struct idtable *t, uint32_t id, void *old, void *new_ptr);

/*
 * The visible entry with the lowest ID >= *id: sets *id and returns its value, or returns
 * NULL at the end (*id is then unspecified).  Iterate with *id = 0 (or 1), then *id + 1.
 */
void *idt_find_next(const struct idtable *t, uint32_t *id);

/* Number of reserved + visible IDs. */
size_t idt_count(const struct idtable *t);

#endif /* IOASID_UTIL_IDTABLE_H */
