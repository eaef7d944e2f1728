/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommu.h - the IOMMU side of a device, for the core: translation, the IOTLB, PASID tables
 * and device DMA.
 *
 * What it owns: everything between "a device issues a DMA at (PASID, IOVA)" and "these
 * bytes of memory". A device's IOMMU state (struct iommu_dev) is a PASID table: each slot
 * holds a translation (struct iommu_xlate), what the hardware would find in a context or
 * PASID entry: a paging domain walked alone, or a guest's stage-1 table walked through a
 * nest-parent domain. iommu_translate() is the one translation call; an IOTLB sits in
 * front of it; iommu_dma() copies through it.
 *
 * Words: "tag" = a never-reused 32-bit name of a translation's cache domain (the IOTLB key
 * that an invalidation names); s2 tag = the tag of the paging domain underneath (a nested
 * translation's parent). PASID IOMMU_NO_PASID (0) is the requests without a PASID (the
 * RID). A fault is typed (enum iommu_fault_type) with the level and stage that faulted.
 *
 * Locking: the read side (iommu_translate, iommu_dma, the device directory lookups) takes no
 * lock: it runs inside iommu_read_lock()/iommu_read_unlock() (per-thread records, nestable,
 * never allocating, never waiting), and whoever unpublishes
 * something a reader may hold (a PASID slot's translation, a page-table page, a device)
 * calls iommu_synchronize() before freeing it. Every function that changes a PASID table
 * or the directory runs under the context's lock (ctx->lock); the IOTLB has no lock
 * (entries are seqlocked). See docs/translation.md.
 */
#ifndef IOASID_IOMMU_IOMMU_H
#define IOASID_IOMMU_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>

#include "core/domain.h"

struct iommu_dev;
struct iommu_xlate;
struct iommu_ctx_dir;

#define IOMMU_NO_PASID 0u

/* ---- models ------------------------------------------------------------------------------ */

struct ioasid_ctx;
struct ioasid_device_desc;
struct device;

/*
 * An IOMMU model: which device formats it serves and how it binds such a device (its
 * struct dev_model_ops makes domains and decides attach rules). registry.c lists them.
 */
struct iommu_model {
	const char *name;
	const char *desc;
	bool (*serves)(const char *format);
	/* Bind a device for desc (flags and reserved regions already checked). ctx->lock. */
	int (*device_new)(struct ioasid_ctx *ctx, const struct ioasid_device_desc *desc,
			  struct device **out);
};

/* The model serving format, or NULL. */
const struct iommu_model *iommu_model_find(const char *format);
/* The i-th registered model, NULL past the end. */
const struct iommu_model *iommu_model_at(size_t i);
extern const struct iommu_model iommu_model_pt;

/* ---- the translation call -------------------------------------------------------------- */

enum iommu_access {
	IOMMU_ACCESS_READ = 1 << 0,
	IOMMU_ACCESS_WRITE = 1 << 1,
};

enum iommu_fault_type {
	IOMMU_FAULT_NONE = 0,
	IOMMU_FAULT_NOT_PRESENT = 1, /* no translation (or nothing attached at that PASID) */
	IOMMU_FAULT_PERMISSION = 2,  /* the translation forbids the access */
	IOMMU_FAULT_ADDR_SIZE = 3,   /* input or output beyond what the stage can address */
	IOMMU_FAULT_BAD_CTX = 4,     /* a context structure with reserved or invalid fields */
};

/*
 * The level of a fault in a context structure (the model's own tables, read before the page
 * table): IOMMU_FAULT_CTX | which. DEVICE: the device's entry (VT-d context entry, SMMUv3
 * STE, AMD DTE, RISC-V device context); PASID_DIR: a non-leaf PASID structure (VT-d PASID
 * directory entry, SMMUv3 L1 CD descriptor, AMD GCR3 upper level, RISC-V PDT non-leaf);
 * PASID: the PASID's own entry (VT-d PASID entry, SMMUv3 CD, AMD GCR3 entry, RISC-V process
 * context). A structure read that stage 2 refuses is a stage-2 fault at its page-table level.
 */
#define IOMMU_FAULT_CTX		  0x100u
#define IOMMU_FAULT_CTX_DEVICE	  (IOMMU_FAULT_CTX | 1u)
#define IOMMU_FAULT_CTX_PASID_DIR (IOMMU_FAULT_CTX | 2u)
#define IOMMU_FAULT_CTX_PASID	  (IOMMU_FAULT_CTX | 3u)

struct iommu_fault {
	enum iommu_fault_type type;
	unsigned int stage; /* 1 or 2 (a single-stage translation reports 1) */
	unsigned int level; /* page-table level that faulted, 0 = leaf; or IOMMU_FAULT_CTX_* */
	uint64_t addr;	    /* input address of the faulting stage (IOVA, or the IPA in stage 2) */
};

struct iommu_xlate_result {
	uint64_t oa; /* output address of the IOVA: a name (iommu/phys.h), not a pointer */
	unsigned int size_lg2; /* the translation holds for the 2^size_lg2 aligned block */
	int prot;	       /* enum iommu_prot */
};

/* Read-side sections (see Locking), nestable. Returns the token to pass to unlock. */
unsigned int iommu_read_lock(void);
void iommu_read_unlock(unsigned int token);
/* Wait until every read section that began before this call has ended. Never inside one. */
void iommu_synchronize(void);

/*
 * Translate iova for the given access through x (IOTLB first, then the walk). 0, or -EFAULT
 * with *fault set. Call inside a read section; x must be reachable from it.
 */
int iommu_translate(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		    struct iommu_xlate_result *out, struct iommu_fault *fault);

/* ---- translations ---------------------------------------------------------------------- */

/* A translation that walks paging domain d alone (an attach to a paging HWPT). */
int iommu_xlate_paging(struct iommu_domain *d, struct iommu_xlate **out);
void iommu_xlate_get(struct iommu_xlate *x);
/* Drop a reference; the last one frees (the caller has synchronized if readers may see x). */
void iommu_xlate_put(struct iommu_xlate *x);
/* The paging domain x walks last (its own, or a nested translation's parent). */
struct iommu_domain *iommu_xlate_domain(const struct iommu_xlate *x);

/*
 * The nesting hook a nested HWPT calls: the user's stage-1 data (type and bytes as copied
 * from IOMMU_HWPT_ALLOC) over the nest parent's paging domain. Stage-1 table addresses in
 * the data are IOVAs of the parent (guest physical addresses) and every stage-1 table read
 * goes through the parent. Types: IOMMU_HWPT_DATA_SELFTEST (stage 1 is the identity, as the
 * kernel's mock), IOMMU_HWPT_DATA_VTD_S1 (x86-64 4/5-level first-stage table),
 * IOMMU_HWPT_DATA_ARM_SMMUV3 (the guest's STE: CD table, LPAE stage 1),
 * IOMMU_HWPT_DATA_AMD_GUEST (the guest's DTE: GCR3 table, x86-64; never cached). -EOPNOTSUPP for
 * another type or unknown flags, -EINVAL for a bad length or field, -EIO for an STE with
 * fields a guest may not set (the kernel's rule).
 * The result is cached in the IOTLB under its own tag and flushed only by
 * iommu_nested_invalidate (or an unmap of the parent, which flushes the parent's tag).
 */
int iommu_nested_alloc(struct iommu_domain *parent, uint32_t data_type, const void *data,
		       size_t len, struct iommu_xlate **out);
/*
 * The user's invalidation of a nested translation: drop its IOTLB entries for
 * [iova, iova + len - 1] (len 0: all of them) and PASID (UINT32_MAX: every PASID).
 */
void iommu_nested_invalidate(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, uint64_t len);

/* ---- the IOTLB -------------------------------------------------------------------------- */

struct iommu_iotlb_stats {
	uint64_t hits, misses, fills, invalidations, entries_dropped;
};

void iommu_iotlb_stats(struct iommu_iotlb_stats *out);
/* Drop every entry with s2 tag (or tag) `tag` overlapping [start, last]: an unmap's flush. */
void iommu_iotlb_flush_domain(uint32_t tag, uint64_t start, uint64_t last);
/* Set the iotlb_sync hook of a page-table domain: flush its entries, wait out walkers. */
void iommu_domain_track(struct iommu_domain *d);

/* ---- devices: PASID tables and the per-context directory ------------------------------- */

/*
 * The IOMMU side of a device, created at bind and registered in the context's directory
 * (lock-free lookup by device ID). pasid_bits: PASIDs 1 .. 2^bits - 1 are valid (0: none).
 */
int iommu_dev_new(struct iommu_ctx_dir **dirp, uint32_t dev_id, unsigned int pasid_bits,
		  struct iommu_dev **out);
/* Unregister, detach every PASID, synchronize, free. ctx->lock held. */
void iommu_dev_free(struct iommu_ctx_dir **dirp, struct iommu_dev *idev);
/*
 * Install x at pasid (NULL: detach), returning the old translation in *out_old (to put after
 * iommu_synchronize). -EINVAL for a PASID the device does not have. ctx->lock held.
 */
int iommu_dev_set_pasid(struct iommu_dev *idev, uint32_t pasid, struct iommu_xlate *x,
			struct iommu_xlate **out_old);
/*
 * May x be attached at pasid of idev? The model's rule (a v1 AMD table or a stage-2 SMMUv3
 * domain serves no PASID): 0, or the kernel's -errno. Nothing changes. ctx->lock held.
 */
int iommu_dev_attach_check(const struct iommu_dev *idev, uint32_t pasid,
			   const struct iommu_xlate *x);
/* The translation at pasid, or NULL (a read section, or ctx->lock). */
struct iommu_xlate *iommu_dev_pasid(const struct iommu_dev *idev, uint32_t pasid);
/*
 * d's state the models write into their structures changed (IOMMU_HWPT_SET_DIRTY_TRACKING):
 * reprogram every entry of every device in the directory whose translation walks d (the RID
 * and each PASID, nested translations over d included), then flush d's IOTLB entries. The
 * models write what d says now. 0 or the first model's -errno. ctx->lock held.
 */
int iommu_domain_resync(struct iommu_ctx_dir *const *dirp, struct iommu_domain *d);
/* The device registered under dev_id in the directory, or NULL. Read section. */
struct iommu_dev *iommu_dir_lookup(struct iommu_ctx_dir *const *dirp, uint32_t dev_id);

/*
 * The translation call of a device: what its DMA at (pasid, iova) reaches, exactly as its
 * model says (the PASID's slot, or the RID's when the RID's translation holds a PASID table;
 * the IOTLB; on a miss the model's own structures, then the walk). 0, -EFAULT with *fault,
 * or -ENODEV (nothing attached there; *fault not present). Call inside a read section that
 * also covers finding idev; out->oa is valid until the section ends.
 */
int iommu_dev_translate(struct iommu_dev *idev, uint32_t pasid, uint64_t iova, unsigned int access,
			struct iommu_xlate_result *out, struct iommu_fault *fault);

/*
 * Device DMA: copy len bytes between buf and [iova, iova + len - 1] (which must not wrap) of
 * (idev, pasid), in pieces that never cross a translation. Call inside a read section that
 * also covers finding idev. 0, or -EFAULT with *fault describing the first fault; bytes
 * before the faulting piece were copied (*out_done, may be NULL, counts the bytes copied).
 * -ENODEV: nothing attached at that PASID (fault type NOT_PRESENT too).
 */
int iommu_dma(struct iommu_dev *idev, uint32_t pasid, uint64_t iova, void *buf, size_t len,
	      bool write, struct iommu_fault *fault, size_t *out_done);
/*
 * The fault of a DMA whose translation's output address names no memory (iommu/phys.h: a
 * withdrawn or forged name, or a piece past its region): an address-size fault at iova,
 * stage 1, level 0. Returns -EFAULT.
 */
int iommu_phys_fault(struct iommu_fault *f, uint64_t iova);

#endif
