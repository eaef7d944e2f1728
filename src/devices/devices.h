/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devices.h - emulated PCI device models, for other modules (the VFIO device ABI, later the
 * daemon's devices).
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
 * callbacks run under it (irq must not call back into the same device, nor touch its BAR
 * windows). The context may be used by other threads meanwhile (DMA takes no lock of the
 * context). The irq callback may run on the device's worker thread, or inside the SIGSEGV
 * handler of a store through a window (an MSI-X unmask, an I/OAT re-arm): it must be
 * async-signal-safe (an eventfd write is).
 */
#ifndef IOASID_DEVICES_DEVICES_H
#define IOASID_DEVICES_DEVICES_H

#include <stdbool.h>
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

/*
 * A BAR as memory of this process (mmio.c): loads and stores to the returned window reach
 * the device as dev_model_mmio_read/write would, with no call by the program: a doorbell
 * store starts the device, a status load reads its current state. Stores trap (a SIGSEGV
 * handler installed on the first mapping, chaining to the handler in place then, decodes
 * and emulates them, one device write per instruction); loads read pages the model keeps
 * current when its reads have no side effects (the I/OAT), else trap too. docs/devices.md
 * ("MMIO through memory") lists the instruction forms emulated and the limits.
 *
 * offset: a page-aligned offset in memory BAR `bar`; len: bytes (rounded up to pages) that
 * must lie in the BAR (a BAR smaller than a page maps one page, and an access beyond the
 * BAR faults); prot: PROT_READ and/or PROT_WRITE (a store to a window without PROT_WRITE,
 * or a load without PROT_READ, faults as it would on a real mapping). Stores (and trapped
 * loads) must be 1, 2, 4 or 8 bytes, naturally aligned; others are delivered as SIGSEGV. Several
 * windows of one device, and of several devices, may coexist (up to 256 in the process). 0, -EINVAL
 * (bad BAR, offset, len or prot), -ENOMEM, or -errno of mmap/sigaction/thread.
 *
 * The first mapping of a device whose model has an engine starts its worker thread: from
 * then on a doorbell store through a window returns at once and the engine runs on that
 * thread (status loads show its progress); doorbells by dev_model_mmio_write still run it
 * in the caller unless the worker is already busy with it.
 */
int dev_model_bar_mmap(struct dev_model *m, unsigned int bar, uint64_t offset, size_t len, int prot,
		       void **out);
/*
 * The same, and release(arg) once the window is gone (the program's munmap, or
 * dev_model_bar_munmap), called with no lock of ours held: what the mapping holds (the VFIO
 * layer's file, so that the device stays open while it is mapped, as the kernel's mapping
 * holds the file).
 */
int dev_model_bar_mmap_held(struct dev_model *m, unsigned int bar, uint64_t offset, size_t len,
			    int prot, void (*release)(void *), void *arg, void **out);
/*
 * Unmap a whole window made by dev_model_bar_mmap (addr as returned, len as given): 0, or
 * -EINVAL if it is not one of m's. Waits for an access to it in progress on another thread.
 * dev_model_free() unmaps the device's windows itself; an access after that faults as an
 * access to unmapped memory.
 */
int dev_model_bar_munmap(struct dev_model *m, void *addr, size_t len);

/*
 * The program unmaps [addr, addr + len) itself (munmap): every window of any device that
 * overlaps the range is retired whole first, so that a later fault there is the program's
 * own and never emulated. The number of windows retired; one atomic load when none exist.
 */
int dev_model_windows_forget(void *addr, size_t len);

/*
 * A device in another process (the daemon's, mapped by a program through the shim): the
 * read pages of memory BAR bar as a memfd the model keeps current (ours: not a copy; the
 * model's engine is started as for a mapping), or -1 when loads cannot be served from
 * memory (no renderer, a BAR smaller than a page, reads trapped by configuration).
 */
int dev_model_bar_shadow_fd(struct dev_model *m, unsigned int bar);
/* One access of such a mapping, as a trapped load or store of a window: 0 or -EINVAL. */
int dev_model_window_access(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			    uint64_t *val, bool write);
/*
 * A window of this process onto a device served elsewhere: loads read shadow_fd (mapped
 * read-only at bar_off; -1: loads trap too), stores (and trapped loads) are decoded by the
 * same handler and given to ops->access (which may fail: the access is then delivered as
 * SIGSEGV). ops->release(opaque) runs when the window goes (munmap, through
 * dev_model_windows_forget). The checks and errors of dev_model_bar_mmap.
 */
struct dev_window_ops {
	int (*access)(void *opaque, unsigned int bar, uint64_t off, unsigned int size,
		      uint64_t *val, bool write);
	void (*release)(void *opaque);
};
int dev_window_map(const struct dev_window_ops *ops, void *opaque, unsigned int bar,
		   uint64_t bar_off, size_t len, uint64_t bar_size, int prot, int shadow_fd,
		   void **out);

/*
 * A RAM BAR's memory (platform "ram"): the model's memfd of the BAR's size, ours (not a
 * copy; valid until dev_model_free), or -1 when bar is not a RAM BAR. Accesses by the model
 * (MMIO, windows) and by whoever maps this fd (an IOMMU importing a dma-buf of the BAR) see
 * the same bytes.
 */
int dev_model_bar_ram_fd(const struct dev_model *m, unsigned int bar);

/* Function-level reset: config space to power-on, the model's state to reset. */
void dev_model_reset(struct dev_model *m);

/* The model's name ("ioat", "none"). */
const char *dev_model_name(const struct dev_model *m);

#endif
