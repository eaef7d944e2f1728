// SPDX-License-Identifier: BSD-3-Clause
/*
 * dmabuf.c - VFIO_DEVICE_FEATURE_DMA_BUF: ranges of a device's BAR as a dma-buf, the
 * exporter vfio-pci is (Linux 6.19), over the core's dma-buf registry (core/dmabuf.h).
 *
 * The call: VFIO_DEVICE_FEATURE with GET (PROBE answers 0; SET is EINVAL), the header
 * struct vfio_device_feature_dma_buf (argsz covers it) followed by nr_ranges
 * struct vfio_region_dma_range, read from the caller's memory whatever argsz says, as the
 * kernel's memdup. Checks in the kernel's order, each with its errno:
 *   nr_ranges 0, flags not 0                                  EINVAL
 *   region_index not a BAR (>= VFIO_PCI_ROM_REGION_INDEX)      ENODEV
 *   the ranges more than the kernel's kmalloc gives (4 MiB)   ENOMEM; unreadable EFAULT
 *   a range of length 0, or not page aligned; the lengths' sum overflowing or reaching
 *   2^63                                                      EINVAL
 *   the region not a memory BAR (absent, I/O, a 64-bit BAR's upper half)   EINVAL
 *   BAR address + offset (+ length) overflowing 64 bits       EOVERFLOW
 *   a range past the BAR's end                                EINVAL
 * open_flags is not checked (dma-buf keeps O_ACCMODE and O_NONBLOCK of it, the fd gets
 * close-on-exec from O_CLOEXEC); the result is the new fd. The ranges may overlap, as the
 * kernel lets them.
 *
 * What it maps to. A dma-buf of one range of a RAM BAR (platform "ram": a controller memory
 * buffer) carries the BAR's memfd and offset: IOMMU_IOAS_MAP_FILE of it maps that memory,
 * so a device's DMA to those IOVAs reads and writes the BAR (P2P) and the program sees the
 * bytes through the BAR's mmap or pread. A dma-buf of a register BAR (the I/OAT's BAR 0),
 * or of several ranges, is exported (as the kernel does) but MAP_FILE refuses it with
 * EOPNOTSUPP: a DMA into a device's registers would have to become MMIO writes with side
 * effects from inside the IOMMU's translation, which the model does not do; iommufd itself
 * (6.19) refuses dma-bufs of more than one range with EOPNOTSUPP.
 *
 * Revocation, as vfio-pci: the device's dma-bufs are revoked while its memory decode is off
 * (command register) or it is in low power, and around a reset (function reset, FLR, hot
 * reset); restored when memory decode is on again. A dma-buf made while decode is off is
 * born revoked. The device's close revokes them for good. Revoking unmaps every IOAS area
 * that imported them (for good: map again after a restore) before the call returns.
 *
 * Limits: at most VDMABUF_MAX live dma-bufs per open device (EMFILE beyond: a program that
 * closes its fds gets them back).
 *
 * Locking: vdev->lock around the checks and the export (the memory state cannot change
 * meanwhile); the fd is handed to the program (host install_fd) after it. Revokes run with
 * vdev->lock held (and sys->lock for a close or a hot reset): they take the importing
 * contexts' locks, which no context call holds while it waits for a VFIO lock.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "core/dmabuf.h"
#include "vfio/vfio_int.h"

#define VDMABUF_MAX	 1024
#define VDMABUF_PAGE	 4096u
#define VDMABUF_MAX_COPY (UINT64_C(4) << 20) /* the kernel's largest kmalloc */
#define VDMABUF_SIZE_TOP (UINT64_C(1) << 63) /* DMA_IOVA_USE_SWIOTLB: no such size */

/* Does the device decode memory (command register, not in low power)? vdev->lock. */
static bool mem_enabled(struct vdev *d)
{
	return (vcfg_cmd(d) & PCI_COMMAND_MEMORY) && !d->low_power;
}

void vdmabuf_revoke(struct vdev *d)
{
	dmabuf_revoke_owner(d, true, NULL);
}

void vdmabuf_sync(struct vdev *d)
{
	dmabuf_revoke_owner(d, !mem_enabled(d), NULL);
}

void vdmabuf_gone(struct vdev *d)
{
	dmabuf_owner_gone(d, NULL);
}

/* The ranges' checks against BAR bar: 0 or -errno, in the kernel's order. */
static int check_ranges(struct vdev *d, unsigned int bar, const struct vfio_region_dma_range *r,
			uint32_t n, uint64_t *out_size)
{
	const struct platform_bar *b = &d->pdev->bars[bar];
	uint64_t total = 0, start = d->bar_addr[bar], end_bar;

	for (uint32_t i = 0; i < n; i++) {
		if (!r[i].length || (r[i].offset % VDMABUF_PAGE) || (r[i].length % VDMABUF_PAGE))
			return -EINVAL;
		if (__builtin_add_overflow(total, r[i].length, &total))
			return -EINVAL;
	}
	if (total & VDMABUF_SIZE_TOP)
		return -EINVAL;
	if (!b->size || (b->flags & PLATFORM_BAR_IO))
		return -EINVAL; /* no P2P provider: not a memory BAR */
	end_bar = start + b->size;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t pa, end;

		if (__builtin_add_overflow(start, r[i].offset, &pa) ||
		    __builtin_add_overflow(pa, r[i].length, &end))
			return -EOVERFLOW;
		if (end > end_bar)
			return -EINVAL;
	}
	*out_size = total;
	return 0;
}

long vdmabuf_feature(struct vdev *d, unsigned long arg, size_t argsz)
{
	struct vfio_device_feature_dma_buf get;
	struct ioasid_dmabuf_desc desc = { .owner = d, .max_per_owner = VDMABUF_MAX };
	struct vfio_region_dma_range *r;
	struct vfio_sys *s = d->sys;
	uint64_t bytes;
	int rc, fd;

	(void)argsz; /* checked by the caller (feature_check); the ranges follow regardless */
	if (vu_read(arg, &get, sizeof(get)))
		return -EFAULT;
	if (!get.nr_ranges || get.flags)
		return -EINVAL;
	if (get.region_index >= VFIO_PCI_ROM_REGION_INDEX)
		return -ENODEV;
	bytes = (uint64_t)get.nr_ranges * sizeof(*r);
	if (bytes > VDMABUF_MAX_COPY)
		return -ENOMEM;
	r = malloc((size_t)bytes);
	if (!r)
		return -ENOMEM;
	if (vu_read(arg + sizeof(get), r, (size_t)bytes)) {
		free(r);
		return -EFAULT;
	}
	pthread_mutex_lock(&d->lock);
	rc = check_ranges(d, get.region_index, r, get.nr_ranges, &desc.size);
	if (!rc) {
		desc.nr_ranges = get.nr_ranges;
		desc.backing_fd =
			get.nr_ranges == 1 ? dev_model_bar_ram_fd(d->model, get.region_index) : -1;
		desc.backing_off = r[0].offset;
		desc.revoked = !mem_enabled(d);
		rc = dmabuf_export(&desc, &fd);
	}
	pthread_mutex_unlock(&d->lock);
	free(r);
	if (rc)
		return rc;
	if (s->ops.install_fd)
		return s->ops.install_fd(fd, (int)get.open_flags);
	if (!(get.open_flags & O_CLOEXEC))
		fcntl(fd, F_SETFD, 0);
	return fd;
}
