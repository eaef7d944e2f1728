/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devices.h - emulated PCI device models, for other modules (later: the VFIO device ABI,
 * the daemon's devices, MMIO through shared pages).
 *
 * What it owns: a running device (struct dev_model) made for one platform device
 * (src/platform) by the model its `model` key names ("ioat": the I/OAT DMA channel;
 * "none": config space only). A device has its config space (src/pci), its MMIO as read and
 * write calls at BAR offsets, an MSI-X table in the BAR the platform names, and DMA through
 * the IOMMU: every access the device makes to memory is ioasid_device_dma_pasid() for its
 * device ID in its context (requests without PASID), so it reaches exactly what the IOAS
 * maps and a fault is the device's to report.
 *
 * Interrupts: an MSI-X vector the device raises reaches params.irq(opaque, vector) when
 * MSI-X is enabled, the function is not masked and the vector's entry is not masked;
 * otherwise the vector's pending bit is set and the message goes out when unmasked.
 *
 * Locking: one mutex per device; every call below takes it. The device's DMA and irq
 * callbacks run under it (irq must not call back into the same device). The context may be
 * used by other threads meanwhile (DMA takes no lock of the context).
 */
#ifndef IOASID_DEVICES_DEVICES_H
#define IOASID_DEVICES_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "platform/platform.h"

struct ioasid_ctx;
struct dev_model;

typedef void (*dev_irq_fn)(void *opaque, unsigned int vector);

struct dev_model_params {
	const struct platform_device *pdev; /* copied; the platform may go */
	struct ioasid_ctx *ctx;		    /* where its DMA is translated */
	uint32_t dev_id;		    /* its device ID in ctx (ioasid_device_new) */
	dev_irq_fn irq;			    /* an MSI-X message; may be NULL */
	void *opaque;
};

/* 0, -EOPNOTSUPP (no such model), -EINVAL (the platform device does not fit it), -ENOMEM. */
int dev_model_new(const struct dev_model_params *params, struct dev_model **out);
void dev_model_free(struct dev_model *m);

/* Config space, as a driver accesses it (src/pci rules; -EINVAL outside 4 KiB). */
int dev_model_cfg_read(struct dev_model *m, unsigned int off, void *buf, size_t len);
int dev_model_cfg_write(struct dev_model *m, unsigned int off, const void *buf, size_t len);

/*
 * MMIO: size 1, 2, 4 or 8 at an offset of a memory BAR, naturally aligned. -EINVAL for a
 * BAR the device lacks, an offset outside it, or a bad size/alignment. With memory decode
 * off (command register) a read gives all ones and a write is dropped, as on a bus.
 */
int dev_model_mmio_read(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			uint64_t *out);
int dev_model_mmio_write(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t val);

/* Function-level reset: config space to power-on, the model's state to reset. */
void dev_model_reset(struct dev_model *m);

/* The model's name ("ioat", "none"). */
const char *dev_model_name(const struct dev_model *m);

#endif
