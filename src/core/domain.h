/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * domain.h - the one ops table through which the core reaches a translation domain.
 *
 * A domain translates IOVA to "physical" addresses. In ioasid the emulated machine's physical
 * address space is the host virtual address space of the process that owns the domain: a
 * pinned user page's physical address is the address at which the IOMMU side can touch it,
 * and a page-table page's physical address is where its arena maps it. Formats (src/pt/)
 * implement these ops; the IOAS keeps every attached domain in step with its areas.
 *
 * Words: ranges are [iova, iova + len - 1]; callers never pass a range that wraps. Mutation
 * and invalidation are separate: unmap gathers what it touched into an iommu_gather, the owner
 * calls iotlb_sync once, and only then are freed table pages returned to the arena.
 */
#ifndef IOASID_CORE_DOMAIN_H
#define IOASID_CORE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>

struct iommu_domain;

enum iommu_prot {
	IOMMU_PROT_READ = 1 << 0,
	IOMMU_PROT_WRITE = 1 << 1,
	IOMMU_PROT_CACHE = 1 << 2,
	IOMMU_PROT_NOEXEC = 1 << 3,
};

/* What an unmap touched; the domain's owner flushes once per gather. */
struct iommu_gather {
	uint64_t start, last; /* IOVA span touched; start > last when empty */
	void *freelist;	      /* table pages to free after the flush (format-private list) */
	size_t pgsize;	      /* smallest leaf size seen, 0 if none */
};

static inline void iommu_gather_init(struct iommu_gather *g)
{
	g->start = UINT64_MAX;
	g->last = 0;
	g->freelist = NULL;
	g->pgsize = 0;
}

/* Receives dirty ranges from read_and_clear_dirty. */
struct iommu_dirty_sink {
	void (*record)(struct iommu_dirty_sink *sink, uint64_t iova, uint64_t len);
};

enum iommu_dirty_flags {
	IOMMU_DIRTY_NO_CLEAR = 1 << 0, /* report without clearing */
};

/* struct iommu_iova_range {start, last} comes from the ABI header */

#define IOMMU_DOMAIN_MAX_RANGES 4

struct iommu_domain_ops {
	/*
	 * Map pgcount pages of pgsize (a size in pgsize_bitmap) at iova -> paddr. Returns 0 or
	 * -errno; *out_mapped holds the bytes mapped either way, so a caller can undo exactly
	 * the prefix that was done. -EEXIST if something is already mapped there.
	 */
	int (*map_pages)(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			 uint64_t pgcount, int prot, uint64_t *out_mapped);
	/* Unmap; never allocates; returns bytes unmapped (stops at the first hole). */
	uint64_t (*unmap_pages)(struct iommu_domain *d, uint64_t iova, uint64_t pgsize,
				uint64_t pgcount, struct iommu_gather *gather);
	/* Flush what the gather holds and free gathered table pages. May be NULL. */
	void (*iotlb_sync)(struct iommu_domain *d, struct iommu_gather *gather);
	/* Look up one IOVA: -ENOENT if unmapped; else its paddr, leaf size and prot (the last
	 * two may be NULL). */
	int (*iova_to_phys)(struct iommu_domain *d, uint64_t iova, uint64_t *out_paddr,
			    uint64_t *out_leaf_size, int *out_prot);
	/* Optional dirty tracking. */
	int (*set_dirty_tracking)(struct iommu_domain *d, bool enable);
	int (*read_and_clear_dirty)(struct iommu_domain *d, uint64_t iova, uint64_t len,
				    unsigned int flags, struct iommu_dirty_sink *sink);
	void (*free)(struct iommu_domain *d);
};

struct iommu_domain {
	const struct iommu_domain_ops *ops;
	uint64_t pgsize_bitmap; /* leaf sizes this domain can map, bit n = 2^n bytes */
	/* IOVA ranges the domain can translate (format and configuration decide) */
	unsigned int nr_ranges;
	struct iommu_iova_range ranges[IOMMU_DOMAIN_MAX_RANGES];
	bool dirty_tracking;
	void *owner_priv; /* for the owner (hwpt), never touched by the format */
};

#endif
