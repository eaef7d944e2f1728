/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_dump.h - read-only views of a pt domain's tables, for dumps and tools (ioasidctl).
 *
 * Two things: a visitor over every non-zero entry of every table, top level first and in
 * IOVA order (a depth-first walk, the order a person reads a table in), and each format's
 * entry layout as a list of named bit fields, so a dump can print an entry's flags and
 * fields as the hardware specification names them.
 *
 * Locking: the caller holds whatever serialises the domain's map and unmap (the context
 * lock for a domain of the core); the visitor only loads entries, so hardware-style dirty
 * updates may run alongside and are seen or not.
 */
#ifndef IOASID_PT_DUMP_H
#define IOASID_PT_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "pt/pt.h"

/* One entry met by the visitor. */
struct pt_dump_entry {
	unsigned int level;
	uint64_t table_pa; /* the table holding it */
	unsigned int index;
	uint64_t iova;	    /* first IOVA this entry covers (with the format's bus offset) */
	uint64_t iova_last; /* last IOVA this entry covers */
	uint64_t value;	    /* in CPU order */
	struct pt_entry_info info;
};

/*
 * Return false to stop the walk. Called for each table before its entries (entry NULL,
 * level and table_pa in the arguments) and for each entry whose value is not zero.
 */
typedef bool (*pt_dump_fn)(void *arg, unsigned int level, uint64_t table_pa,
			   const struct pt_dump_entry *entry);

/* Walk every table from the root. 0, -EINVAL (not a pt domain), or 1 if fn stopped it. */
int pt_dump_walk(const struct iommu_domain *d, pt_dump_fn fn, void *arg);

/* A named field of an entry: bits [lo, hi]. */
enum pt_field_use {
	PT_FIELD_TABLE = 1 << 0, /* meaningful in a table entry */
	PT_FIELD_LEAF = 1 << 1,	 /* meaningful in a leaf */
	PT_FIELD_ANY = PT_FIELD_TABLE | PT_FIELD_LEAF,
	PT_FIELD_ADDR = 1 << 2, /* an address held in place: shown as value << lo */
};

struct pt_field {
	const char *name;
	unsigned char lo, hi;
	unsigned char use; /* enum pt_field_use */
};

/* The entry layout of d's format; NULL (and *out_n 0) if unknown. */
const struct pt_field *pt_dump_fields(const struct iommu_domain *d, unsigned int *out_n);

/* The value of a field of entry e. */
static inline uint64_t pt_field_get(const struct pt_field *f, uint64_t e)
{
	unsigned int w = f->hi - f->lo + 1u;

	return (e >> f->lo) & (w >= 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1);
}

#endif
