// SPDX-License-Identifier: BSD-3-Clause
/*
 * region.c - a VFIO device's regions: their info, config space as vfio-pci virtualizes it,
 * and BAR accesses through the device model.
 *
 * Regions are vfio-pci's: BAR0..5 (index 0..5), the ROM (6), config space (7), VGA (8); a
 * region starts at file offset index << 40. A BAR the device lacks, or the upper half of a
 * 64-bit BAR, has size 0 and no flags. There is no ROM (size 0) and no VGA (EINVAL).
 *
 * Config space (pread/pwrite at offset 7 << 40). Accesses are split as the kernel splits
 * them (naturally aligned 4, 2 or 1 bytes) and go to the model's config space (src/pci's
 * rules decide what a write may change), except what vfio-pci keeps virtual:
 *   - the BARs: a virtual register per BAR holding the "host" address (the same address
 *     sysfs's resource file shows) that a driver may overwrite; sizing by writing all ones
 *     reads back the size mask with the BAR's type bits, as on hardware; the device's own
 *     BARs are never written;
 *   - the command register's INTx disable bit (the device's is left alone; the virtual bit
 *     blocks the INTx eventfd); memory, I/O and bus master reach the device;
 *   - the interrupt line (read-write, virtual);
 *   - the MSI-X capability: the host owns it (VFIO_DEVICE_SET_IRQS), writes are dropped;
 *   - an FLR written to PCI Express device control is a reset with saved and restored
 *     state, as VFIO_DEVICE_RESET (the kernel turns it into pci_try_reset_function).
 *
 * BARs (pread/pwrite at index << 40 + offset): a read or write is cut into naturally
 * aligned accesses of 8, 4, 2 or 1 bytes (dev_model_mmio_read/write), clamped to the end of
 * the BAR; with memory decode off in the command register it is EIO, as the kernel's. The
 * MSI-X table belongs to the host: reading it gives all ones, writes are dropped (the PBA
 * reads through). An I/O BAR has no model behind it: reads give all ones, writes are dropped.
 *
 * BAR mmap: a memory BAR's region info has the MMAP flag (and the MSI-X BAR the MSIX_MAPPABLE
 * capability), and vfio_file_mmap() gives a window of src/devices' dev_model_bar_mmap(): loads
 * and stores reach the model with no call (trap and emulate, docs/devices.md).
 */
#include <string.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vfio/vfio_int.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

/* ---- capability chains ---------------------------------------------------------------------- */

void vcaps_add(struct vcaps *c, uint16_t id, uint16_t version, const void *body, size_t len)
{
	struct vfio_info_cap_header h = { .id = id, .version = version, .next = 0 };
	size_t prev = 0, at;

	if (c->err)
		return;
	at = (c->size + 7) & ~(size_t)7;
	if (at + sizeof(h) + len > sizeof(c->buf)) {
		c->err = -ENOMEM;
		return;
	}
	/* link the previous header to this one: next is relative to the chain for now */
	for (size_t off = 0; c->size && off < c->size;) {
		struct vfio_info_cap_header *p = (void *)(c->buf + off);

		prev = off;
		if (!p->next)
			break;
		off = p->next;
	}
	if (c->size)
		((struct vfio_info_cap_header *)(void *)(c->buf + prev))->next = (uint32_t)at;
	memset(c->buf + c->size, 0, at - c->size);
	memcpy(c->buf + at, &h, sizeof(h));
	if (len)
		memcpy(c->buf + at + sizeof(h), (const uint8_t *)body + sizeof(h), len - sizeof(h));
	c->size = at + (len ? len : sizeof(h));
}

int vcaps_emit(struct vcaps *c, unsigned long arg, size_t hdr_size, uint32_t *argsz,
	       uint32_t *cap_offset, uint32_t *flags, uint32_t caps_flag)
{
	if (c->err)
		return c->err;
	if (!c->size)
		return 0;
	*flags |= caps_flag;
	if (*argsz < hdr_size + c->size) {
		*argsz = (uint32_t)(hdr_size + c->size);
		*cap_offset = 0;
		return 0;
	}
	/* make every next an offset from the start of the caller's struct */
	for (size_t off = 0;;) {
		struct vfio_info_cap_header *p = (void *)(c->buf + off);

		if (!p->next)
			break;
		off = p->next;
		p->next += (uint32_t)hdr_size;
	}
	if (vu_write(arg + hdr_size, c->buf, c->size))
		return -EFAULT;
	*cap_offset = (uint32_t)hdr_size;
	return 0;
}

/* ---- region info ------------------------------------------------------------------------------
 */

static bool bar_present(const struct vdev *d, unsigned int bar)
{
	return bar < PLATFORM_NR_BARS && d->pdev->bars[bar].size;
}

long vregion_info(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;
	struct vcaps caps = { .size = 0 };
	int rc;

	if (vu_read(arg, &info, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.cap_offset = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = VFIO_INDEX_OFF(info.index);
		info.size = PCI_CFG_SPACE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info.offset = VFIO_INDEX_OFF(info.index);
		info.size = d->pdev->bars[info.index].size;
		info.flags = 0;
		if (!info.size)
			break;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		pthread_mutex_lock(&d->lock);
		if (d->bar_mmap && !(d->pdev->bars[info.index].flags & PLATFORM_BAR_IO)) {
			info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
			/* the MSI-X table may be mapped too (the kernel's MSIX_MAPPABLE) */
			if (d->pdev->msix_vectors && info.index == d->pdev->msix_bar)
				vcaps_add(&caps, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, NULL, 0);
		}
		pthread_mutex_unlock(&d->lock);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		info.offset = VFIO_INDEX_OFF(info.index);
		info.size = 0;
		info.flags = 0;
		break;
	default:
		/* no VGA, no device-specific regions */
		return -EINVAL;
	}
	rc = vcaps_emit(&caps, arg, sizeof(info), &info.argsz, &info.cap_offset, &info.flags,
			VFIO_REGION_INFO_FLAG_CAPS);
	if (rc)
		return rc;
	return vu_write(arg, &info, minsz) ? -EFAULT : 0;
}

/* ---- config space -----------------------------------------------------------------------------
 */

static uint32_t bar_type_bits(const struct platform_bar *b)
{
	if (b->flags & PLATFORM_BAR_IO)
		return PCI_BASE_ADDRESS_SPACE_IO;
	return ((b->flags & PLATFORM_BAR_MEM64) ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
	       ((b->flags & PLATFORM_BAR_PREFETCH) ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

/* What the virtual BARs read after a write: address bits above the size, the type bits. */
static void vbar_fixup(struct vdev *d)
{
	for (unsigned int i = 0; i < PLATFORM_NR_BARS; i++) {
		const struct platform_bar *b = &d->pdev->bars[i];
		uint64_t mask;

		if (!b->size) {
			if (!(i > 0 && (d->pdev->bars[i - 1].flags & PLATFORM_BAR_MEM64) &&
			      d->pdev->bars[i - 1].size))
				d->vbar[i] = 0;
			continue;
		}
		mask = ~(b->size - 1);
		d->vbar[i] = (d->vbar[i] & (uint32_t)mask & ~0xfu) | bar_type_bits(b);
		if (b->flags & PLATFORM_BAR_IO)
			d->vbar[i] = (d->vbar[i] & (uint32_t)mask & ~0x3u) | bar_type_bits(b);
		if ((b->flags & PLATFORM_BAR_MEM64) && i + 1 < PLATFORM_NR_BARS)
			d->vbar[i + 1] &= (uint32_t)(mask >> 32);
	}
}

void vcfg_init(struct vdev *d)
{
	for (unsigned int i = 0; i < PLATFORM_NR_BARS; i++) {
		const struct platform_bar *b = &d->pdev->bars[i];

		if (!b->size)
			continue;
		d->vbar[i] = (uint32_t)d->bar_addr[i];
		if ((b->flags & PLATFORM_BAR_MEM64) && i + 1 < PLATFORM_NR_BARS)
			d->vbar[i + 1] = (uint32_t)(d->bar_addr[i] >> 32);
	}
	vbar_fixup(d);
	d->vline = 0;
	d->vintx_disable = false;
}

/* The device's command register with the virtual INTx disable bit. vdev->lock. */
uint16_t vcfg_cmd(struct vdev *d)
{
	uint16_t cmd = 0;

	dev_model_cfg_read(d->model, PCI_COMMAND, &cmd, 2);
	cmd &= ~PCI_COMMAND_INTX_DISABLE;
	return cmd | (d->vintx_disable ? PCI_COMMAND_INTX_DISABLE : 0);
}

/* Write the command register: INTx disable virtual, the rest to the device. vdev->lock. */
void vcfg_set_cmd(struct vdev *d, uint16_t cmd)
{
	uint16_t dev = 0;

	dev_model_cfg_read(d->model, PCI_COMMAND, &dev, 2);
	d->vintx_disable = cmd & PCI_COMMAND_INTX_DISABLE;
	cmd = (cmd & ~PCI_COMMAND_INTX_DISABLE) | (dev & PCI_COMMAND_INTX_DISABLE);
	dev_model_cfg_write(d->model, PCI_COMMAND, &cmd, 2);
}

static void vcfg_read(struct vdev *d, unsigned int off, uint8_t *buf, unsigned int n)
{
	dev_model_cfg_read(d->model, off, buf, n);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int p = off + i;

		if (p >= PCI_BASE_ADDRESS_0 && p < PCI_BASE_ADDRESS_5 + 4)
			buf[i] = (uint8_t)(d->vbar[(p - PCI_BASE_ADDRESS_0) / 4] >>
					   (8 * ((p - PCI_BASE_ADDRESS_0) % 4)));
		else if (p == PCI_INTERRUPT_LINE)
			buf[i] = d->vline;
		else if (p == PCI_COMMAND + 1)
			buf[i] = (uint8_t)((buf[i] & ~(PCI_COMMAND_INTX_DISABLE >> 8)) |
					   (d->vintx_disable ? PCI_COMMAND_INTX_DISABLE >> 8 : 0));
	}
}

static bool in_msix_cap(const struct vdev *d, unsigned int p)
{
	return d->pdev->msix_vectors && p >= PCI_CFG_MSIX_OFF && p < PCI_CFG_MSIX_OFF + 12;
}

static void vcfg_write(struct vdev *d, unsigned int off, uint8_t *buf, unsigned int n)
{
	unsigned int devctl = PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL;
	bool flr = false;

	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_5 + 4) {
		for (unsigned int i = 0; i < n; i++) {
			unsigned int p = off + i - PCI_BASE_ADDRESS_0;

			d->vbar[p / 4] &= ~(0xffu << (8 * (p % 4)));
			d->vbar[p / 4] |= (uint32_t)buf[i] << (8 * (p % 4));
		}
		vbar_fixup(d);
		return;
	}
	if (off >= PCI_INTERRUPT_LINE && off < PCI_INTERRUPT_LINE + 4) {
		if (off == PCI_INTERRUPT_LINE)
			d->vline = buf[0];
		return; /* pin, min grant and max latency are read-only */
	}
	if (in_msix_cap(d, off))
		return;
	if (off <= PCI_COMMAND + 1 && off + n > PCI_COMMAND + 1) {
		uint8_t cur = 0;
		uint8_t *hi = &buf[PCI_COMMAND + 1 - off];

		d->vintx_disable = *hi & (PCI_COMMAND_INTX_DISABLE >> 8);
		dev_model_cfg_read(d->model, PCI_COMMAND + 1, &cur, 1);
		*hi = (uint8_t)((*hi & ~(PCI_COMMAND_INTX_DISABLE >> 8)) |
				(cur & (PCI_COMMAND_INTX_DISABLE >> 8)));
	}
	if (off <= devctl + 1 && off + n > devctl + 1 &&
	    (buf[devctl + 1 - off] & (PCI_EXP_DEVCTL_BCR_FLR >> 8))) {
		buf[devctl + 1 - off] &= (uint8_t) ~(PCI_EXP_DEVCTL_BCR_FLR >> 8);
		flr = true;
	}
	dev_model_cfg_write(d->model, off, buf, n);
	if (flr)
		vdev_reset(d);
	else if (off <= PCI_COMMAND && off + n > PCI_COMMAND)
		vdmabuf_sync(d); /* memory decode off revokes the dma-bufs, on restores them */
}

static ssize_t vcfg_rw(struct vdev *d, uint8_t *buf, size_t len, uint64_t pos, bool write)
{
	size_t done = 0;

	if (pos >= PCI_CFG_SPACE || len > PCI_CFG_SPACE - pos)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	while (done < len) {
		unsigned int p = (unsigned int)(pos + done), n = 1;
		uint8_t tmp[4];

		if (len - done >= 4 && !(p % 4))
			n = 4;
		else if (len - done >= 2 && !(p % 2))
			n = 2;
		if (write) {
			memcpy(tmp, buf + done, n);
			vcfg_write(d, p, tmp, n);
		} else {
			vcfg_read(d, p, buf + done, n);
		}
		done += n;
	}
	pthread_mutex_unlock(&d->lock);
	return (ssize_t)done;
}

/* ---- BARs ---------------------------------------------------------------------------------------
 */

static ssize_t vbar_rw(struct vdev *d, unsigned int bar, uint8_t *buf, size_t len, uint64_t pos,
		       bool write)
{
	const struct platform_device *pd = d->pdev;
	const struct platform_bar *b = &pd->bars[bar];
	uint64_t x_start = 0, x_end = 0;
	size_t done = 0;

	if (!bar_present(d, bar) || pos >= b->size)
		return -EINVAL;
	if (len > b->size - pos)
		len = (size_t)(b->size - pos);
	if (pd->msix_vectors && bar == pd->msix_bar) {
		x_start = pd->msix_table_off;
		x_end = x_start + (uint64_t)pd->msix_vectors * 16;
	}
	while (done < len) {
		uint64_t off = pos + done, val = 0;
		size_t left = len - done, fill;
		unsigned int n;

		if (off < x_start)
			fill = left < x_start - off ? left : (size_t)(x_start - off);
		else if (off >= x_end)
			fill = left;
		else
			fill = 0;
		if (!fill || (b->flags & PLATFORM_BAR_IO)) {
			/* the host's MSI-X table, or no I/O space: all ones, writes dropped */
			n = !fill ? (unsigned int)(left < x_end - off ? left : x_end - off) :
				    (unsigned int)left;
			if (!write)
				memset(buf + done, 0xff, n);
			done += n;
			continue;
		}
		if (!(vcfg_cmd(d) & PCI_COMMAND_MEMORY))
			return -EIO;
		n = (fill >= 8 && !(off % 8)) ? 8 :
		    (fill >= 4 && !(off % 4)) ? 4 :
		    (fill >= 2 && !(off % 2)) ? 2 :
						1;
		if (write) {
			for (unsigned int i = 0; i < n; i++)
				val |= (uint64_t)buf[done + i] << (8 * i);
			dev_model_mmio_write(d->model, bar, off, n, val);
		} else {
			dev_model_mmio_read(d->model, bar, off, n, &val);
			for (unsigned int i = 0; i < n; i++)
				buf[done + i] = (uint8_t)(val >> (8 * i));
		}
		done += n;
	}
	return (ssize_t)done;
}

ssize_t vregion_rw(struct vdev *d, void *buf, size_t len, uint64_t off, bool write)
{
	unsigned int index = (unsigned int)(off >> VFIO_OFF_SHIFT);
	uint64_t pos = off & VFIO_OFF_MASK;

	if (off >> VFIO_OFF_SHIFT >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return vcfg_rw(d, buf, len, pos, write);
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return vbar_rw(d, index, buf, len, pos, write);
	default:
		/* no ROM, no VGA */
		return -EINVAL;
	}
}

static void window_gone(void *f)
{
	vfio_file_put(f);
}

int vfio_file_mmap(struct vfio_file *f, uint64_t off, size_t len, int prot, void **out_addr)
{
	int rc;

	unsigned int index = (unsigned int)(off >> VFIO_OFF_SHIFT);
	uint64_t boff = off & VFIO_OFF_MASK, span;
	long page = sysconf(_SC_PAGESIZE);
	struct vdev *d = f->dev;
	bool offered;

	if (f->kind != VFILE_DEVICE || !f->access || !len || index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (index >= VFIO_PCI_ROM_REGION_INDEX || !bar_present(d, index))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	offered = d->bar_mmap && !(d->pdev->bars[index].flags & PLATFORM_BAR_IO);
	pthread_mutex_unlock(&d->lock);
	if (!offered)
		return -EINVAL;
	/* as the kernel: page-aligned, and inside the BAR rounded up to pages */
	span = (d->pdev->bars[index].size + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	if (boff % (uint64_t)page || boff >= span || len > span - boff)
		return -EINVAL;
	/* the window holds the file, so the device stays open while it is mapped (the kernel's) */
	vfio_file_get(f);
	rc = dev_model_bar_mmap_held(d->model, index, boff, len, prot, window_gone, f, out_addr);
	if (rc)
		vfio_file_put(f);
	return rc;
}

/* The checks of vfio_file_mmap: the BAR index, or -EINVAL. */
static int mmap_check(struct vfio_file *f, uint64_t off, size_t len)
{
	unsigned int index = (unsigned int)(off >> VFIO_OFF_SHIFT);
	uint64_t boff = off & VFIO_OFF_MASK, span;
	long page = sysconf(_SC_PAGESIZE);
	struct vdev *d = f->dev;
	bool offered, access;

	if (f->kind != VFILE_DEVICE || !len || index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	pthread_mutex_lock(&f->sys->lock);
	access = f->access;
	pthread_mutex_unlock(&f->sys->lock);
	if (!access || !bar_present(d, index))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	offered = d->bar_mmap && !(d->pdev->bars[index].flags & PLATFORM_BAR_IO);
	pthread_mutex_unlock(&d->lock);
	if (!offered)
		return -EINVAL;
	span = (d->pdev->bars[index].size + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	if (boff % (uint64_t)page || boff >= span || len > span - boff)
		return -EINVAL;
	return (int)index;
}

int vfio_file_mmap_export(struct vfio_file *f, uint64_t off, size_t len, int *out_fd,
			  unsigned int *out_bar, uint64_t *out_bar_off, uint64_t *out_bar_size)
{
	int bar = mmap_check(f, off, len);

	if (bar < 0)
		return bar;
	*out_bar = (unsigned int)bar;
	*out_bar_off = off & VFIO_OFF_MASK;
	*out_bar_size = f->dev->pdev->bars[bar].size;
	*out_fd = dev_model_bar_shadow_fd(f->dev->model, (unsigned int)bar);
	return 0;
}

int vfio_file_bar_access(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t *val, bool write)
{
	if (bar >= VFIO_PCI_ROM_REGION_INDEX || mmap_check(f, VFIO_INDEX_OFF(bar), 1) < 0)
		return -EINVAL;
	return dev_model_window_access(f->dev->model, bar, off, size, val, write);
}
