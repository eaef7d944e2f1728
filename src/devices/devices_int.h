/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devices_int.h - the device-model module's own: the instance struct shared by model.c (the
 * generic part: registry, config space, MSI-X table, locking) and each model (ioat.c).
 *
 * Adding a model: a file <model>.c defining a struct dev_model_type, one line in
 * dev_model_types[] (model.c), its name in platform_model_known() (src/platform).
 */
#ifndef IOASID_DEVICES_DEVICES_INT_H
#define IOASID_DEVICES_DEVICES_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "devices/devices.h"
#include "pci/pci.h"

struct dev_model_type {
	const char *name;
	/* Check the platform device fits, allocate m->priv. m->lock is not yet needed. */
	int (*init)(struct dev_model *m);
	void (*fini)(struct dev_model *m);
	/* BAR accesses outside the MSI-X table and PBA; checked in range and size. m->lock. */
	uint64_t (*mmio_read)(struct dev_model *m, unsigned int bar, uint64_t off,
			      unsigned int size);
	void (*mmio_write)(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			   uint64_t val);
	/* The model's state back to power-on (config space is done by the caller). m->lock. */
	void (*reset)(struct dev_model *m);
	/* Bits the model owns changed in config space (see pci.h). m->lock. */
	void (*cfg_changed)(struct dev_model *m, unsigned int off, uint32_t old, uint32_t val);
	/*
	 * Optional: every register's current value into the BAR's read pages, through
	 * dev_model_shadow_put() (reads of this model have no side effects, so BAR windows may
	 * serve loads from memory the model keeps current: mmio.c). m->lock.
	 */
	void (*shadow_render)(struct dev_model *m);
	/*
	 * The first BAR mapping is being made: start what lets a doorbell store return at once
	 * (the model's worker thread). Idempotent; not under m->lock; fini stops it. Optional.
	 */
	int (*start_async)(struct dev_model *m);
};

struct dev_model {
	const struct dev_model_type *type;
	struct platform_device pdev;
	struct ioasid_ctx *ctx;
	uint32_t dev_id;
	dev_irq_fn irq;
	void *opaque;
	pthread_mutex_t lock; /* everything below and the model's priv */
	struct pci_cfg cfg;
	uint8_t *msix;	    /* the table: 16 bytes per vector */
	uint64_t *msix_pba; /* pending bits */
	bool trapped;	    /* the access in progress is a load or store through a mapping */
	/* mmio.c: the BARs' read pages (NULL: none), shared with the windows; m->lock */
	uint8_t *shadow[PLATFORM_NR_BARS];
	int shadow_fd[PLATFORM_NR_BARS];
	size_t shadow_len[PLATFORM_NR_BARS];
	bool shadow_ones; /* they read all ones (memory decode off) */
	/* RAM BARs (PLATFORM_BAR_RAM): a memfd mapped shared, for the device's life */
	uint8_t *ram[PLATFORM_NR_BARS];
	int ram_fd[PLATFORM_NR_BARS];
	unsigned int shadow_fork_gen; /* dev_fork_gen() when made: a fork child drops them */
	struct dev_model *next;	      /* every model of the process (fork takes every lock) */
	void *priv;
};

/* Raise MSI-X vector (or set its pending bit). m->lock held. */
void dev_model_msix_raise(struct dev_model *m, unsigned int vector);
/* The device's DMA (no PASID): 0, or -errno of the translation (EFAULT, EPERM, ENODEV). */
int dev_model_dma(struct dev_model *m, uint64_t iova, void *buf, size_t len, bool write);
/*
 * dma.c: a DMA session, one IOMMU read section for many accesses of the device (no PASID).
 * Each call: 0, -EFAULT (not mapped, or not with that permission), -ENODEV (nothing
 * attached). dev_dma_copy moves len bytes IOVA to IOVA, host address to host address;
 * *out_dst_fault tells which side faulted (the pieces before the fault are copied, a piece
 * is written only when both sides translate). No lock is taken; the session must be ended
 * before anything that may wait for read sections (an unmap, the irq callback).
 */
#define DEV_DMA_CACHE 4
struct iommu_xlate;
struct dev_dma {
	struct dev_model *m;
	struct iommu_dev *idev; /* NULL: the device is gone */
	uint32_t pasid;		/* of the device's requests (IOMMU_NO_PASID: none) */
	unsigned int tok;
	bool open;
	size_t budget; /* bytes until the section is renewed */
	unsigned int nr_cached, next;
	struct dma_cached {
		uint64_t base, oa;
		unsigned int size_lg2;
		int prot;
	} cache[DEV_DMA_CACHE]; /* read translations of this section */
};
void dev_dma_begin(struct dev_dma *d, struct dev_model *m);
void dev_dma_end(struct dev_dma *d);
int dev_dma_read(struct dev_dma *d, uint64_t iova, void *buf, size_t len);
int dev_dma_write(struct dev_dma *d, uint64_t iova, const void *buf, size_t len);
int dev_dma_copy(struct dev_dma *d, uint64_t src, uint64_t dst, size_t len, bool *out_dst_fault);

/*
 * One BAR access as dev_model_mmio_read/write, marked as coming through a mapping (mmio.c's
 * trap handler): m->trapped is true while the model handles it.
 */
int dev_model_mmio_access(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			  uint64_t *out, uint64_t val, bool write);
/* The model's start_async, if any. */
int dev_model_start_async(struct dev_model *m);
/* mmio.c: every mapping of m goes (dev_model_free), then (no thread left) its read pages. */
void dev_model_bar_unmap_all(struct dev_model *m);
void dev_model_shadow_free(struct dev_model *m);
/*
 * mmio.c, the read pages: put size bytes of val at off of bar (a no-op without them);
 * sync renders everything after a change (the model's registers, the MSI-X table and PBA,
 * all ones with memory decode off). m->lock.
 */
void dev_model_shadow_put_slow(struct dev_model *m, unsigned int bar, uint64_t off,
			       unsigned int size, uint64_t val);
static inline void dev_model_shadow_put(struct dev_model *m, unsigned int bar, uint64_t off,
					unsigned int size, uint64_t val)
{
	if (m->shadow[bar])
		dev_model_shadow_put_slow(m, bar, off, size, val);
}
void dev_model_shadow_sync(struct dev_model *m);
/* How many times this process forked (a child's count is one more than at the fork). */
unsigned int dev_fork_gen(void);

extern const struct dev_model_type dev_model_ioat;

#endif
