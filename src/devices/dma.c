// SPDX-License-Identifier: BSD-3-Clause
/*
 * dma.c - a device's DMA session: its accesses through the IOMMU straight to host memory.
 *
 * What it owns: struct dev_dma (devices_int.h), the data path of an engine that makes many
 * accesses in a row (a descriptor fetch, a copy, a completion write-back), and
 * dev_dma_copy(), memory to memory without a bounce buffer. Copying through
 * dev_model_dma() twice (source into a bounce buffer, bounce buffer out) costs two memcpy's
 * and two translations a piece; a 4 KiB descriptor then ran at a fifth of memcpy's speed.
 * Here both IOVAs are translated (source for reading, destination for writing) and the
 * bytes go straight from one host address to the other, in pieces that cross neither
 * translation's block: one memmove per piece (the IOAS may map one page twice).
 *
 * Every translation is the device's own (iommu_dev_translate: its PASID slot, the IOTLB, its
 * model's structures on a miss, the walk), with the PASID of its requests (d->pasid; none for
 * the I/OAT engine). A session is one IOMMU read section (dev_dma_begin/end): host addresses are
 * only valid inside one (an unmap waits for the sections that began before it, src/iommu), and
 * entering one is an atomic exchange, which an engine pays once per session rather than per access.
 * The section is held for at most DMA_SECTION bytes moved and then left and re-entered, the
 * device looked up again: a long copy never holds off an unmap for long, and a device
 * detached meanwhile faults the rest. Read translations are kept for the section (a few
 * entries: the descriptor ring, the source); an unmap cannot return while the section
 * lasts, so a device never reaches memory after the unmap that removed it returned, as with
 * a hardware IOTLB the unmap invalidates. Writes are translated every time (dirty tracking
 * sees each one), through the translation's own per-thread cache.
 *
 * A session must not be open while calling anything that may wait for read sections
 * (an unmap, an irq callback that could): the engine ends it around its interrupts.
 *
 * Faults are as the device sees them: a piece's source is translated before its
 * destination, and nothing of a piece is written unless both translate, so the pieces
 * before a fault are copied and a destination that is not mapped is never written.
 *
 * Coupling: the device directory of a context is core's (ioasid_ctx_iommu_dir, core/kcall.h);
 * this file is the one place in src/devices that reads it.
 */
#include <errno.h>
#include <string.h>

#include "core/kcall.h"
#include "devices/devices_int.h"
#include "iommu/iommu.h"
#include "iommu/phys.h"

#define DMA_SECTION (256u << 10)

/* Enter a read section and find the device again (it may have gone since the last one). */
static void dma_enter(struct dev_dma *d)
{
	d->tok = iommu_read_lock();
	d->open = true;
	d->idev = iommu_dir_lookup(ioasid_ctx_iommu_dir(d->m->ctx), d->m->dev_id);
	d->budget = DMA_SECTION;
	d->nr_cached = 0;
	d->next = 0;
}

void dev_dma_begin(struct dev_dma *d, struct dev_model *m)
{
	d->m = m;
	d->pasid = IOMMU_NO_PASID;
	dma_enter(d);
}

void dev_dma_end(struct dev_dma *d)
{
	if (!d->open)
		return;
	iommu_read_unlock(d->tok);
	d->open = false;
}

/* Leave the section and enter a new one once it has moved DMA_SECTION bytes. */
static void dma_account(struct dev_dma *d, size_t n)
{
	if (n < d->budget) {
		d->budget -= n;
		return;
	}
	dev_dma_end(d);
	dma_enter(d);
}

/*
 * Translate iova for access: reads through the section's own cache first (valid for the
 * section: an unmap waits for it to end before it returns), writes always through the
 * device's translation call, iommu_dev_translate: the one a DMA of the C API takes, so the
 * model's own structures (a VT-d PASID entry, an STE, a DTE, a device context, a TVE) are
 * read on a miss and a device behind any model is translated as that model says (its
 * one-entry per-thread IOTLB then holds the destination).
 */
static int dma_xlate(struct dev_dma *d, uint64_t iova, unsigned int access,
		     struct iommu_xlate_result *out)
{
	struct iommu_fault fault;
	int rc;

	if (!d->idev)
		return -ENODEV;
	if (access == IOMMU_ACCESS_READ) {
		for (unsigned int i = 0; i < d->nr_cached; i++) {
			const struct dma_cached *c = &d->cache[i];
			uint64_t mask = (UINT64_C(1) << c->size_lg2) - 1;

			if ((iova & ~mask) == c->base) {
				out->oa = c->oa + (iova & mask);
				out->size_lg2 = c->size_lg2;
				out->prot = c->prot;
				return 0;
			}
		}
	}
	rc = iommu_dev_translate(d->idev, d->pasid, iova, access, out, &fault);
	if (rc || access != IOMMU_ACCESS_READ || out->size_lg2 >= 63)
		return rc;
	{
		struct dma_cached *c = &d->cache[d->next];
		uint64_t mask = (UINT64_C(1) << out->size_lg2) - 1;

		c->base = iova & ~mask;
		c->oa = out->oa - (iova & mask);
		c->size_lg2 = out->size_lg2;
		c->prot = out->prot;
		d->next = (d->next + 1) % DEV_DMA_CACHE;
		if (d->nr_cached < DEV_DMA_CACHE)
			d->nr_cached++;
	}
	return 0;
}

static uint64_t piece(const struct iommu_xlate_result *r, uint64_t iova)
{
	if (r->size_lg2 >= 63)
		return UINT64_MAX;
	return (UINT64_C(1) << r->size_lg2) - (iova & ((UINT64_C(1) << r->size_lg2) - 1));
}

static int dma_rw(struct dev_dma *d, uint64_t iova, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	if (len && iova + (len - 1) < iova)
		return -EFAULT;
	while (len) {
		struct iommu_xlate_result r;
		uint64_t n;
		void *host;
		int rc = dma_xlate(d, iova, write ? IOMMU_ACCESS_WRITE : IOMMU_ACCESS_READ, &r);

		if (rc)
			return rc == -ENODEV ? rc : -EFAULT;
		n = piece(&r, iova);
		if (n > len)
			n = len;
		/* the output address is a name (iommu/phys.h): this process's pointer, or a fault
		 */
		host = iommu_phys_resolve(r.oa, n);
		if (!host)
			return -EFAULT;
		if (write)
			memcpy(host, p, n);
		else
			memcpy(p, host, n);
		p += n;
		iova += n;
		len -= n;
		dma_account(d, n);
	}
	return 0;
}

int dev_dma_read(struct dev_dma *d, uint64_t iova, void *buf, size_t len)
{
	return dma_rw(d, iova, buf, len, false);
}

int dev_dma_write(struct dev_dma *d, uint64_t iova, const void *buf, size_t len)
{
	return dma_rw(d, iova, (void *)(uintptr_t)buf, len, true);
}

int dev_dma_copy(struct dev_dma *d, uint64_t src, uint64_t dst, size_t len, bool *out_dst_fault)
{
	*out_dst_fault = false;
	if (!len)
		return 0;
	if (src + (len - 1) < src)
		return -EFAULT;
	if (dst + (len - 1) < dst) {
		*out_dst_fault = true;
		return -EFAULT;
	}
	while (len) {
		struct iommu_xlate_result rs, rd;
		uint64_t n;
		void *hs, *hd;
		int rc = dma_xlate(d, src, IOMMU_ACCESS_READ, &rs);

		if (!rc) {
			rc = dma_xlate(d, dst, IOMMU_ACCESS_WRITE, &rd);
			*out_dst_fault = rc != 0;
		}
		if (rc)
			return rc == -ENODEV ? rc : -EFAULT;
		n = piece(&rs, src);
		if (piece(&rd, dst) < n)
			n = piece(&rd, dst);
		if (n > len)
			n = len;
		if (n > d->budget)
			n = d->budget;
		hs = iommu_phys_resolve(rs.oa, n);
		hd = iommu_phys_resolve(rd.oa, n);
		if (!hs || !hd) {
			*out_dst_fault = hs != NULL;
			return -EFAULT;
		}
		memmove(hd, hs, n);
		src += n;
		dst += n;
		len -= n;
		dma_account(d, n);
	}
	return 0;
}
