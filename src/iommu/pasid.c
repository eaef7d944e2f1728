/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pasid.c - a device's PASID table, and the per-context directory that finds a device's
 * IOMMU state by device ID without the context's lock.
 *
 * A PASID table is what a VT-d PASID directory/table or an SMMUv3 CD table is: for each
 * PASID, the translation its DMA goes through. PASID 0 (IOMMU_NO_PASID) is the slot of
 * requests without a PASID (the RID); PASIDs 1 .. 2^pasid_bits - 1 live in a two-level
 * table (a directory of PASID_LEAF-entry leaves) made on first use and freed with the
 * device, so a 20-bit PASID space costs nothing until used.
 *
 * The directory: one per context, an array indexed by device ID holding each bound device's
 * struct iommu_dev. It grows by copy: the new array is published, readers still on the old
 * one finish (iommu_synchronize), the old one is freed. It counts its devices and goes away
 * with the last one, so the context needs no teardown hook.
 *
 * Locking: writers (new, free, set_pasid) run under the context's lock; readers (lookup,
 * iommu_dev_pasid) run in read sections and see each slot by one atomic load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

#define PASID_LEAF_LG2 10
#define PASID_LEAF     (1u << PASID_LEAF_LG2)
#define PASID_MAX_BITS 20

struct pasid_leaf {
	struct iommu_xlate *slot[PASID_LEAF];
};

struct iommu_dev {
	uint32_t dev_id;
	unsigned int pasid_bits;
	struct iommu_xlate *rid;  /* PASID 0: atomic */
	struct pasid_leaf **dir;  /* 2^pasid_bits / PASID_LEAF leaves, made on first use */
	unsigned int nr_attached; /* PASIDs other than 0 with a translation */
	struct iommu_hwctx *hw;	  /* the model's own structures, or NULL (model_vtd.c) */
};

struct iommu_ctx_dir {
	uint32_t nr_slots;
	unsigned int nr_devs;
	struct iommu_dev **slots; /* atomic pointer to an array of atomic pointers */
};

static size_t pasid_nr_leaves(const struct iommu_dev *idev)
{
	return idev->pasid_bits ? (((size_t)1 << idev->pasid_bits) + PASID_LEAF - 1) / PASID_LEAF :
				  0;
}

static struct iommu_xlate **pasid_slot(const struct iommu_dev *idev, uint32_t pasid, bool make)
{
	struct pasid_leaf *leaf, **dir;

	if (pasid == IOMMU_NO_PASID)
		return (struct iommu_xlate **)&idev->rid;
	if (!idev->pasid_bits || pasid >= (UINT32_C(1) << idev->pasid_bits))
		return NULL;
	dir = idev->dir;
	leaf = __atomic_load_n(&dir[pasid >> PASID_LEAF_LG2], __ATOMIC_ACQUIRE);
	if (!leaf && make) {
		leaf = calloc(1, sizeof(*leaf));
		if (!leaf)
			return NULL;
		__atomic_store_n(&dir[pasid >> PASID_LEAF_LG2], leaf, __ATOMIC_RELEASE);
	}
	return leaf ? &leaf->slot[pasid & (PASID_LEAF - 1)] : NULL;
}

struct iommu_xlate *iommu_dev_pasid(const struct iommu_dev *idev, uint32_t pasid)
{
	struct iommu_xlate **slot = pasid_slot(idev, pasid, false);

	return slot ? __atomic_load_n(slot, __ATOMIC_ACQUIRE) : NULL;
}

int iommu_dev_set_pasid(struct iommu_dev *idev, uint32_t pasid, struct iommu_xlate *x,
			struct iommu_xlate **out_old)
{
	struct iommu_xlate **slot;

	*out_old = NULL;
	if (pasid != IOMMU_NO_PASID &&
	    (!idev->pasid_bits || pasid >= (UINT32_C(1) << idev->pasid_bits)))
		return -EINVAL;
	slot = pasid_slot(idev, pasid, x != NULL);
	if (!slot)
		return x ? -ENOMEM : 0;
	/* the hardware's structures first: a walk that finds them ahead of the slot retries */
	if (idev->hw) {
		int rc = idev->hw->ops->program(idev->hw, pasid, x);

		if (rc)
			return rc;
	}
	*out_old = __atomic_exchange_n(slot, x, __ATOMIC_ACQ_REL);
	if (pasid != IOMMU_NO_PASID)
		idev->nr_attached += (x != NULL) - (*out_old != NULL);
	return 0;
}

int iommu_dev_attach_check(const struct iommu_dev *idev, uint32_t pasid,
			   const struct iommu_xlate *x)
{
	if (!idev->hw || !idev->hw->ops->attach_check)
		return 0;
	return idev->hw->ops->attach_check(idev->hw, pasid, x);
}

/* ---- the directory ------------------------------------------------------------------------ */

static int dir_grow(struct iommu_ctx_dir *dir, uint32_t dev_id)
{
	uint32_t n = dir->nr_slots ? dir->nr_slots : 16;
	struct iommu_dev **old = dir->slots, **slots;

	while (n <= dev_id)
		n *= 2;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < dir->nr_slots; i++)
		slots[i] = __atomic_load_n(&old[i], __ATOMIC_RELAXED);
	__atomic_store_n(&dir->slots, slots, __ATOMIC_RELEASE);
	__atomic_store_n(&dir->nr_slots, n, __ATOMIC_RELEASE);
	if (old) {
		iommu_synchronize();
		free(old);
	}
	return 0;
}

int iommu_dev_new(struct iommu_ctx_dir **dirp, uint32_t dev_id, unsigned int pasid_bits,
		  struct iommu_dev **out)
{
	struct iommu_ctx_dir *dir = *dirp;
	struct iommu_dev *idev;
	bool made = false;
	int rc;

	if (pasid_bits > PASID_MAX_BITS)
		return -EINVAL;
	idev = calloc(1, sizeof(*idev));
	if (!idev)
		return -ENOMEM;
	idev->dev_id = dev_id;
	idev->pasid_bits = pasid_bits;
	if (pasid_bits) {
		idev->dir = calloc(pasid_nr_leaves(idev), sizeof(*idev->dir));
		if (!idev->dir) {
			rc = -ENOMEM;
			goto err_free;
		}
	}
	if (!dir) {
		dir = calloc(1, sizeof(*dir));
		if (!dir) {
			rc = -ENOMEM;
			goto err_free;
		}
		made = true;
	}
	if (dev_id >= dir->nr_slots) {
		rc = dir_grow(dir, dev_id);
		if (rc)
			goto err_dir;
	}
	__atomic_store_n(&dir->slots[dev_id], idev, __ATOMIC_RELEASE);
	dir->nr_devs++;
	if (made)
		__atomic_store_n(dirp, dir, __ATOMIC_RELEASE);
	*out = idev;
	return 0;

err_dir:
	if (made)
		free(dir);
err_free:
	free(idev->dir);
	free(idev);
	return rc;
}

void iommu_dev_free(struct iommu_ctx_dir **dirp, struct iommu_dev *idev)
{
	struct iommu_ctx_dir *dir = *dirp;
	struct iommu_xlate *olds[2] = { NULL, NULL };
	size_t i, j, nl = pasid_nr_leaves(idev);

	if (dir && idev->dev_id < dir->nr_slots &&
	    __atomic_load_n(&dir->slots[idev->dev_id], __ATOMIC_RELAXED) == idev) {
		__atomic_store_n(&dir->slots[idev->dev_id], NULL, __ATOMIC_RELEASE);
		dir->nr_devs--;
		if (!dir->nr_devs)
			__atomic_store_n(dirp, NULL, __ATOMIC_RELEASE);
		else
			dir = NULL;
	} else {
		dir = NULL;
	}
	olds[0] = __atomic_exchange_n(&idev->rid, NULL, __ATOMIC_ACQ_REL);
	iommu_synchronize();
	iommu_xlate_put(olds[0]);
	for (i = 0; i < nl; i++) {
		struct pasid_leaf *leaf = idev->dir[i];

		if (!leaf)
			continue;
		for (j = 0; j < PASID_LEAF; j++)
			iommu_xlate_put(leaf->slot[j]);
		free(leaf);
	}
	free(idev->dir);
	iommu_hwctx_free(idev->hw);
	free(idev);
	if (dir) {
		free(dir->slots);
		free(dir);
	}
}

struct iommu_dev *iommu_dir_lookup(struct iommu_ctx_dir *const *dirp, uint32_t dev_id)
{
	struct iommu_ctx_dir *dir = __atomic_load_n(dirp, __ATOMIC_ACQUIRE);
	struct iommu_dev **slots;

	if (!dir)
		return NULL;
	/* nr_slots is published after slots and read before them: always in bounds */
	if (dev_id >= __atomic_load_n(&dir->nr_slots, __ATOMIC_ACQUIRE))
		return NULL;
	slots = __atomic_load_n(&dir->slots, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&slots[dev_id], __ATOMIC_ACQUIRE);
}

unsigned int iommu_dev_pasid_bits(const struct iommu_dev *idev)
{
	return idev->pasid_bits;
}

unsigned int iommu_dev_nr_pasids_attached(const struct iommu_dev *idev)
{
	return idev->nr_attached;
}

void iommu_dev_set_hw(struct iommu_dev *idev, struct iommu_hwctx *hw)
{
	idev->hw = hw;
}

struct iommu_hwctx *iommu_dev_hw(const struct iommu_dev *idev)
{
	return idev->hw;
}

/* ---- a domain's state changed: rewrite what the hardware keeps of it ----------------------- */

/* Reprogram idev's entry at pasid if its translation walks d. */
static int dev_resync_one(struct iommu_dev *idev, uint32_t pasid, const struct iommu_domain *d)
{
	struct iommu_xlate *x = iommu_dev_pasid(idev, pasid);

	if (!x || x->s2 != d)
		return 0;
	return idev->hw->ops->program(idev->hw, pasid, x);
}

static int dev_resync(struct iommu_dev *idev, const struct iommu_domain *d)
{
	size_t nl = pasid_nr_leaves(idev);
	int rc;

	if (!idev->hw)
		return 0;
	rc = dev_resync_one(idev, IOMMU_NO_PASID, d);
	for (size_t i = 0; !rc && idev->nr_attached && i < nl; i++) {
		if (!idev->dir[i])
			continue;
		for (uint32_t j = 0; !rc && j < PASID_LEAF; j++)
			rc = dev_resync_one(idev, (uint32_t)(i * PASID_LEAF + j), d);
	}
	return rc;
}

int iommu_domain_resync(struct iommu_ctx_dir *const *dirp, struct iommu_domain *d)
{
	struct iommu_ctx_dir *dir = *dirp;
	int rc = 0;

	for (uint32_t i = 0; dir && !rc && i < dir->nr_slots; i++) {
		struct iommu_dev *idev = dir->slots[i];

		if (idev)
			rc = dev_resync(idev, d);
	}
	/* the entries the IOTLB filled under the old structures go, as the drivers flush */
	if (pt_is_domain(d))
		iommu_iotlb_flush_domain(pt_domain_tag(d), 0, UINT64_MAX);
	return rc;
}
