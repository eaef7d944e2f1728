/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommu_int.h - what the IOMMU module's own files share: the translation object, its kinds,
 * the IOTLB's internal calls. Nothing outside src/iommu/ includes this.
 *
 * A translation (struct iommu_xlate) is what one context/PASID entry of a real IOMMU holds:
 * which tables to walk and how. Its kinds (ops) are the paging kind (xlate.c: one paging
 * domain, walked natively) and the nested kinds (nested.c: a guest stage-1 format over a
 * nest-parent domain). A new IOMMU's first-stage format is a new nested kind: a parser of the
 * user's data and a walk; the IOTLB, DMA and PASID tables are shared.
 *
 * Traps: x->tag is the IOTLB key an invalidation names. Paging translations share their
 * domain's tag (every device on the domain is flushed by one unmap); a nested translation
 * has its own, so only the user's invalidation drops its entries, as on hardware.
 */
#ifndef IOASID_IOMMU_INT_H
#define IOASID_IOMMU_INT_H

#include "iommu/iommu.h"

struct iommu_xlate_ops {
	const char *name;
	/* The walk (no IOTLB). 0, or -EFAULT with *fault set. */
	int (*walk)(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		    struct iommu_xlate_result *out, struct iommu_fault *fault);
	void (*release)(struct iommu_xlate *x); /* frees priv; optional */
};

struct iommu_xlate {
	const struct iommu_xlate_ops *ops;
	uint32_t refs;		 /* atomic */
	uint32_t tag;		 /* IOTLB tag of this translation's entries */
	uint32_t s2_tag;	 /* the paging domain's tag (== tag for a paging translation) */
	uint64_t sizes_seen;	 /* atomic: bit n = an entry of 2^n bytes was filled under tag */
	struct iommu_domain *s2; /* the paging domain walked last; not owned */
	void *priv;		 /* the kind's own state */
};

/* A fresh tag for a nested translation (never equal to a domain's). */
uint32_t iommu_new_tag(void);
int iommu_xlate_init(struct iommu_xlate **out, const struct iommu_xlate_ops *ops,
		     struct iommu_domain *s2, uint32_t tag);

struct pt_walk_result;
/* A page-table walk's fault as an IOMMU fault; stage is used when the walk set none. */
void iommu_fault_from_pt(const struct pt_walk_result *r, unsigned int stage, struct iommu_fault *f);
/* enum iommu_access -> enum pt_access */
unsigned int iommu_pt_access(unsigned int access);

/* ---- iotlb.c ---- */

/* A hit fills *out and returns true. */
bool iotlb_lookup(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		  struct iommu_xlate_result *out);
/* The invalidation generation: read before a walk, passed to iotlb_fill. */
uint64_t iotlb_gen(void);
/* Cache a walk's result; dropped again if an invalidation ran since gen was read. */
void iotlb_fill(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		const struct iommu_xlate_result *r, uint64_t gen);
/* Drop the entries of tag (pasid UINT32_MAX: any) overlapping [start, last]. */
void iotlb_invalidate_tag(uint32_t tag, uint32_t pasid, uint64_t start, uint64_t last);

#endif
