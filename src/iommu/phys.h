/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * phys.h - emulated physical addresses: names for memory the IOMMU side owns.
 *
 * What it owns: the process's table of physical regions. A region is a run of memory the
 * IOMMU side really holds (a pages object's pinned memory; a test's buffer), reachable in
 * this process at a host address. Each region gets a small ID, and an emulated physical
 * address (a "name": what a domain's leaf holds, what iommu_xlate_result.oa gives, what
 * IOMMU_IOAS_NOIOMMU_GET_PA answers) is the ID in the bits above IOMMU_PHYS_SPAN_LG2 plus
 * an offset. A name is never a pointer: whoever touches memory resolves it
 * (iommu_phys_resolve), and a name whose region is gone, or a range past the region's end,
 * resolves to nothing (a fault for the DMA, never a wild access).
 *
 * Layout (see docs/translation.md, "Emulated physical addresses"):
 *   bits 63..42  zero: a name fits the narrowest output size of every format (ARM LPAE
 *                variants with a 42-bit PS);
 *   bits 41..28  the region ID (1 .. 16383; 0 is never a region, so a small value, 0
 *                included, never names memory);
 *   bits 27..0   the offset inside the ID's 256 MiB span.
 * A region longer than one span takes a run of consecutive IDs, so its names are one
 * contiguous range: name(host + off) = name(host) + off across the whole region. Names keep
 * the host address's congruence modulo IOMMU_PHYS_ALIGN_LG2 (1 GiB): the first ID of a run
 * is chosen so, and a leaf size up to 1 GiB maps a region exactly where it mapped the host
 * pointer before.
 *
 * Lifetime: a region is added when its memory becomes reachable (a pages object's first
 * pin), and withdrawn when the last holder lets go, which for a domain's leaves is after the
 * unmap's flush (iotlb_sync: IOTLB entries dropped, iommu_synchronize). Withdrawing clears
 * the table's slots, waits for the read sections that began before (iommu_synchronize), and
 * only then frees the region and lets its IDs be taken again; IDs are handed out round-robin,
 * so a withdrawn name stays unresolvable for as long as the ID space allows.
 *
 * Sharing: in the daemon the table serves every client. Each region's IDs are charged to the
 * user whose memory (pages object) or context (table arena) it is, and once the table is
 * shared a user may hold at most as many IDs as remain free after its add: one user can take
 * at most half of the free IDs, and never the last ones another user needs to start.
 *
 * Locking: iommu_phys_resolve takes no lock: one atomic load of the ID's slot, then bounds
 * checks; call it inside a read section (iommu_read_lock) when the region may be withdrawn
 * meanwhile, as a DMA does. iommu_phys_add and iommu_phys_withdraw take the table's own
 * mutex; withdraw calls iommu_synchronize, so never call it inside a read section.
 */
#ifndef IOASID_IOMMU_PHYS_H
#define IOASID_IOMMU_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMMU_PHYS_SPAN_LG2  28 /* bytes one ID names */
#define IOMMU_PHYS_ID_BITS   14
#define IOMMU_PHYS_NAME_BITS (IOMMU_PHYS_SPAN_LG2 + IOMMU_PHYS_ID_BITS) /* 42 */
#define IOMMU_PHYS_ALIGN_LG2 30 /* a name is congruent to its host address modulo this */
#define IOMMU_PHYS_NR_IDS    (1u << IOMMU_PHYS_ID_BITS)

/* What a region's memory is. */
enum iommu_phys_kind {
	IOMMU_PHYS_PAGES = 1, /* a pages object's memory (src/core/pages.c) */
	IOMMU_PHYS_ARENA = 2, /* a page-table arena */
	IOMMU_PHYS_TEST = 3,  /* memory a test or benchmark owns and maps itself */
};

struct iommu_phys_region {
	uint8_t *host;	  /* where name `name` is reachable in this process */
	uint64_t name;	  /* the region's first name */
	uint64_t len;	  /* bytes reachable now: [name, name + len - 1] (atomic) */
	uint64_t max_len; /* bytes its IDs cover (len never grows past it) */
	enum iommu_phys_kind kind;
	const void *owner;    /* the pages object or arena (for dumps and tests) */
	uint32_t id0, nr_ids; /* the run of IDs (table's mutex) */
	int64_t uid;	      /* the user its IDs are charged to, or IOMMU_PHYS_UNCHARGED */
};

#define IOMMU_PHYS_UNCHARGED ((int64_t)-1)

/*
 * Name [host, host + len - 1] (len > 0). -ENOMEM when no run of IDs is free (or no memory),
 * -EINVAL for len 0 or a region that cannot fit the name space.
 */
int iommu_phys_add(void *host, uint64_t len, enum iommu_phys_kind kind, const void *owner,
		   struct iommu_phys_region **out);
/*
 * The same, the IDs charged to user uid (IOMMU_PHYS_UNCHARGED: to nobody). While the table is
 * shared (iommu_phys_set_shared), a user may hold at most as many IDs as stay free after the
 * add: -ENOMEM beyond.
 */
int iommu_phys_add_charged(void *host, uint64_t len, enum iommu_phys_kind kind, const void *owner,
			   int64_t uid, struct iommu_phys_region **out);
/*
 * The table serves several users (the daemon: its clients): from now on no user takes IDs
 * past the fair share above, so no user can take the last IDs another needs. A process of
 * one user (in-process) leaves it off: its programs may use every ID.
 */
void iommu_phys_set_shared(bool shared);
bool iommu_phys_shared(void);
/* IDs charged to uid now (tests). */
uint32_t iommu_phys_user_ids(int64_t uid);
/*
 * Make the first len bytes of r reachable (len <= r->max_len): a table arena adds its whole
 * reservation, reachable as it grows (memory mapped before the names resolve). Owner's lock.
 */
void iommu_phys_set_len(struct iommu_phys_region *r, uint64_t len);
/* Withdraw r (NULL: nothing): its names stop resolving, then it is freed. Not in a section. */
void iommu_phys_withdraw(struct iommu_phys_region *r);

/* The name of host + off, a byte of r (off < r->len). */
static inline uint64_t iommu_phys_name(const struct iommu_phys_region *r, uint64_t off)
{
	return r->name + off;
}

/* The table: slot i is the region holding ID i, or NULL (atomic; phys.c). */
extern struct iommu_phys_region *iommu_phys_slots[IOMMU_PHYS_NR_IDS];

/*
 * This process's pointer to the len bytes named [name, name + len - 1] (len >= 1), all in
 * one region, or NULL: no region there (withdrawn, forged, 0), or the range runs past the
 * region's end. Lock-free; see Locking.
 */
static inline void *iommu_phys_resolve(uint64_t name, uint64_t len)
{
	const struct iommu_phys_region *r;
	uint64_t off, rlen;

	if (__builtin_expect(name >> IOMMU_PHYS_NAME_BITS, 0))
		return NULL;
	r = __atomic_load_n(&iommu_phys_slots[name >> IOMMU_PHYS_SPAN_LG2], __ATOMIC_ACQUIRE);
	if (__builtin_expect(!r, 0))
		return NULL;
	off = name - r->name; /* wraps to a huge value below the region's first name */
	rlen = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
	if (__builtin_expect(off >= rlen || len > rlen - off, 0))
		return NULL;
	return r->host + off;
}

/* The region naming `name`, or NULL (read section, as resolve). */
const struct iommu_phys_region *iommu_phys_region_of(uint64_t name);

/* Regions and IDs in use now (tests: nothing leaks). */
void iommu_phys_usage(size_t *out_regions, size_t *out_ids);

#endif
