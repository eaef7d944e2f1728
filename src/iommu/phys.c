/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * phys.c - the table of physical regions: emulated physical addresses as (region ID,
 * offset) names of memory the IOMMU side owns. phys.h has the layout and the contract.
 *
 * One table per process (one emulated machine's physical address space), as the IOTLB and
 * the read sections are: a name goes into a domain's leaf only from the memory of the
 * context that maps it (a pages object of that context), so a client of the daemon never
 * holds another's name unless it forges one, and nothing lets a forged name into a table
 * (pass-through stays refused). A per-context table would cost the DMA path a pointer chase
 * for nothing the table's checks do not already give.
 *
 * The table is an array of 16384 slots indexed by ID, each NULL or the region holding that
 * ID (a region of n spans holds n consecutive slots). Readers load a slot with acquire and
 * check bounds; writers, under phys_lock, fill a region before publishing its slots
 * (release) and clear them before freeing it (after iommu_synchronize). ID runs are found
 * next-fit from a cursor that only moves forward (wrapping), so a freed ID is the last to be
 * taken again: a stale name keeps faulting as long as possible.
 *
 * Traps: the first ID of a run is constrained modulo 2^(ALIGN - SPAN) (4) so that names keep
 * the host address's 1 GiB congruence; the search honours it. A fork's child inherits the
 * table (its pages objects came with it); withdraw is never called inside a read section.
 */
#include "iommu/phys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "iommu/iommu.h"
#include "util/ushare.h"

#define SPAN	    (UINT64_C(1) << IOMMU_PHYS_SPAN_LG2)
#define ID_ALIGN_NR (1u << (IOMMU_PHYS_ALIGN_LG2 - IOMMU_PHYS_SPAN_LG2))

struct iommu_phys_region *iommu_phys_slots[IOMMU_PHYS_NR_IDS];

static pthread_mutex_t phys_lock = PTHREAD_MUTEX_INITIALIZER;
/* IDs taken, published or not (phys_lock); slots[] alone would miss a run being withdrawn */
static uint8_t phys_taken[IOMMU_PHYS_NR_IDS];
static uint32_t phys_cursor = 1;      /* where the next search starts (phys_lock) */
static size_t phys_regions, phys_ids; /* (phys_lock) */
static bool phys_shared;	      /* (phys_lock) */

static struct ushare phys_users; /* IDs charged to each user (phys_lock) */

void iommu_phys_set_shared(bool shared)
{
	pthread_mutex_lock(&phys_lock);
	phys_shared = shared;
	pthread_mutex_unlock(&phys_lock);
}

bool iommu_phys_shared(void)
{
	bool on;

	pthread_mutex_lock(&phys_lock);
	on = phys_shared;
	pthread_mutex_unlock(&phys_lock);
	return on;
}

uint32_t iommu_phys_user_ids(int64_t uid)
{
	uint32_t n;

	pthread_mutex_lock(&phys_lock);
	n = (uint32_t)ushare_held(&phys_users, uid);
	pthread_mutex_unlock(&phys_lock);
	return n;
}

/* A free run of nr IDs starting at an ID == want (mod ID_ALIGN_NR), or 0. phys_lock. */
static uint32_t find_run(uint32_t nr, uint32_t want)
{
	for (unsigned int pass = 0; pass < 2; pass++) {
		uint32_t id = pass ? 1 : phys_cursor;

		/* the first candidate at or after id with the right residue */
		id += (want - id) & (ID_ALIGN_NR - 1);
		for (; id && id + nr <= IOMMU_PHYS_NR_IDS; id += ID_ALIGN_NR) {
			uint32_t k = 0;

			while (k < nr && !phys_taken[id + k])
				k++;
			if (k == nr)
				return id;
		}
	}
	return 0;
}

int iommu_phys_add(void *host, uint64_t len, enum iommu_phys_kind kind, const void *owner,
		   struct iommu_phys_region **out)
{
	return iommu_phys_add_charged(host, len, kind, owner, IOMMU_PHYS_UNCHARGED, out);
}

int iommu_phys_add_charged(void *host, uint64_t len, enum iommu_phys_kind kind, const void *owner,
			   int64_t uid, struct iommu_phys_region **out)
{
	uint64_t h = (uint64_t)(uintptr_t)host, skew = h & (SPAN - 1), spans;
	uint32_t want = (uint32_t)(h >> IOMMU_PHYS_SPAN_LG2) & (ID_ALIGN_NR - 1), id;
	struct iommu_phys_region *r;
	bool charged = false;

	if (!len || len > (UINT64_C(1) << IOMMU_PHYS_NAME_BITS) - SPAN - skew)
		return -EINVAL;
	spans = (skew + len + SPAN - 1) >> IOMMU_PHYS_SPAN_LG2;
	if (spans >= IOMMU_PHYS_NR_IDS)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&phys_lock);
	if (uid != IOMMU_PHYS_UNCHARGED) {
		if (ushare_charge(&phys_users, uid, spans, IOMMU_PHYS_NR_IDS - 1, phys_ids,
				  phys_shared))
			goto out_nomem;
		charged = true;
	}
	id = find_run((uint32_t)spans, want);
	if (!id)
		goto out_nomem;
	r->host = host;
	r->name = ((uint64_t)id << IOMMU_PHYS_SPAN_LG2) + skew;
	r->len = len;
	r->max_len = len;
	r->kind = kind;
	r->owner = owner;
	r->id0 = id;
	r->nr_ids = (uint32_t)spans;
	r->uid = uid;
	for (uint32_t k = 0; k < spans; k++) {
		phys_taken[id + k] = 1;
		__atomic_store_n(&iommu_phys_slots[id + k], r, __ATOMIC_RELEASE);
	}
	phys_cursor = id + (uint32_t)spans;
	if (phys_cursor >= IOMMU_PHYS_NR_IDS)
		phys_cursor = 1;
	phys_regions++;
	phys_ids += spans;
	pthread_mutex_unlock(&phys_lock);
	*out = r;
	return 0;

out_nomem:
	if (charged)
		ushare_uncharge(&phys_users, uid, spans);
	pthread_mutex_unlock(&phys_lock);
	free(r);
	return -ENOMEM;
}

void iommu_phys_set_len(struct iommu_phys_region *r, uint64_t len)
{
	if (len <= r->max_len)
		__atomic_store_n(&r->len, len, __ATOMIC_RELEASE);
}

void iommu_phys_withdraw(struct iommu_phys_region *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&phys_lock);
	for (uint32_t k = 0; k < r->nr_ids; k++)
		__atomic_store_n(&iommu_phys_slots[r->id0 + k], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&phys_lock);
	/* a reader that loaded a slot before the stores above is done after this */
	iommu_synchronize();
	pthread_mutex_lock(&phys_lock);
	for (uint32_t k = 0; k < r->nr_ids; k++)
		phys_taken[r->id0 + k] = 0;
	phys_regions--;
	phys_ids -= r->nr_ids;
	if (r->uid != IOMMU_PHYS_UNCHARGED)
		ushare_uncharge(&phys_users, r->uid, r->nr_ids);
	pthread_mutex_unlock(&phys_lock);
	free(r);
}

const struct iommu_phys_region *iommu_phys_region_of(uint64_t name)
{
	if (name >> IOMMU_PHYS_NAME_BITS)
		return NULL;
	return __atomic_load_n(&iommu_phys_slots[name >> IOMMU_PHYS_SPAN_LG2], __ATOMIC_ACQUIRE);
}

void iommu_phys_usage(size_t *out_regions, size_t *out_ids)
{
	pthread_mutex_lock(&phys_lock);
	*out_regions = phys_regions;
	*out_ids = phys_ids;
	pthread_mutex_unlock(&phys_lock);
}
