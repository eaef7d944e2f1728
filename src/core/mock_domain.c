/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mock_domain.c - the kernel selftest's mock IOMMU: a model for devices and its domain.
 *
 * The mock IOMMU is what the kernel's iommufd selftest drives through IOMMU_TEST_CMD, and
 * what a program gets from ioasid_device_new() with the "mock" format. Its documented
 * behaviour, which the selftest checks:
 *   - the IO page is half the CPU page (2K with 4K pages); with MOCK_FLAGS_DEVICE_HUGE_IOVA
 *     a domain also maps 512 IO pages at once (1M);
 *   - the aperture is [MOCK_APERTURE_START, MOCK_APERTURE_LAST]; the IOAS reserves the rest;
 *   - dirty tracking unless MOCK_FLAGS_DEVICE_NO_DIRTY; a device without it cannot attach to
 *     a domain allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING (EINVAL);
 *   - hardware info IOMMU_HW_INFO_TYPE_SELFTEST with test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
 *   - PASID support (MOCK_PASID_WIDTH bits) with MOCK_FLAGS_DEVICE_PASID.
 *
 * The domain is not a hardware format: a two-level table of 64-bit entries, one per IO
 * page of the aperture, each holding the IO page's physical address with flag bits in its
 * low bits (a physical address of an IO page is 2K aligned, so 11 bits are free). The leaf
 * tables are allocated on first use and never shrink while the domain lives. The
 * page-table module (src/pt) also has a "mock" format; this one stays small, and is what
 * the core's own tests rely on.
 *
 * Words: "entry" is one IO page's slot; a huge mapping is 512 entries marked HUGE, so a
 * lookup at any IO page of it answers and the dirty scan reports it whole.
 */
#include <stdlib.h>
#include <string.h>

#include "core/private.h"
#include <linux/iommufd_test.h>

#define MOCK_IO_PAGE_SHIFT (IOASID_PAGE_SHIFT - 1)
#define MOCK_IO_PAGE_SIZE (1ULL << MOCK_IO_PAGE_SHIFT)
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_IO_PAGE_SIZE)
#define MOCK_PASID_MAX_LOG2 MOCK_PASID_WIDTH

/* Entry bits below the 2K-aligned physical address. */
enum {
	MOCK_ENT_PRESENT = 1 << 0,
	MOCK_ENT_READ = 1 << 1,
	MOCK_ENT_WRITE = 1 << 2,
	MOCK_ENT_DIRTY = 1 << 3,
	MOCK_ENT_HUGE = 1 << 4,
	MOCK_ENT_FLAGS = MOCK_IO_PAGE_SIZE - 1,
};

/* Entries of the aperture: [0, MOCK_APERTURE_LAST] in IO pages, split in two levels. */
#define MOCK_LEAF_BITS 11
#define MOCK_LEAF_ENTRIES (1u << MOCK_LEAF_BITS)
#define MOCK_NR_ENTRIES (((uint64_t)MOCK_APERTURE_LAST + 1) >> MOCK_IO_PAGE_SHIFT)
#define MOCK_NR_LEAVES (MOCK_NR_ENTRIES >> MOCK_LEAF_BITS)

struct mock_domain {
	struct iommu_domain dom;
	bool tracking;                       /* dirty tracking on */
	bool dirty_capable;                  /* allocated with DIRTY_TRACKING */
	uint64_t *leaves[MOCK_NR_LEAVES];
};

static struct mock_domain *to_mock(struct iommu_domain *d)
{
	return container_of(d, struct mock_domain, dom);
}

/* The entry of IO page index idx; NULL if its leaf is missing and alloc is false. */
static uint64_t *mock_entry(struct mock_domain *m, uint64_t idx, bool alloc)
{
	uint64_t **leaf = &m->leaves[idx >> MOCK_LEAF_BITS];

	if (!*leaf) {
		if (!alloc)
			return NULL;
		*leaf = calloc(MOCK_LEAF_ENTRIES, sizeof(**leaf));
		if (!*leaf)
			return NULL;
	}
	return &(*leaf)[idx & (MOCK_LEAF_ENTRIES - 1)];
}

static bool mock_in_aperture(uint64_t iova, uint64_t len)
{
	uint64_t last;

	return len && !check_add_u64(iova, len - 1, &last) && iova >= MOCK_APERTURE_START &&
	       last <= MOCK_APERTURE_LAST;
}

static void mock_clear(struct mock_domain *m, uint64_t iova, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += MOCK_IO_PAGE_SIZE) {
		uint64_t *e = mock_entry(m, (iova + off) >> MOCK_IO_PAGE_SHIFT, false);

		if (e)
			*e = 0;
	}
}

static int mock_map_pages(struct iommu_domain *d, uint64_t iova, uint64_t paddr,
			  uint64_t pgsize, uint64_t pgcount, int prot, uint64_t *out_mapped)
{
	struct mock_domain *m = to_mock(d);
	uint64_t len, flags = MOCK_ENT_PRESENT;

	*out_mapped = 0;
	if (!(d->pgsize_bitmap & pgsize) || (iova | paddr) & (pgsize - 1))
		return -EINVAL;
	if (!(prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE)))
		return -EINVAL;
	if (__builtin_mul_overflow(pgsize, pgcount, &len))
		return -EOVERFLOW;
	if (!mock_in_aperture(iova, len))
		return -ERANGE;
	if (prot & IOMMU_PROT_READ)
		flags |= MOCK_ENT_READ;
	if (prot & IOMMU_PROT_WRITE)
		flags |= MOCK_ENT_WRITE;
	if (pgsize != MOCK_IO_PAGE_SIZE)
		flags |= MOCK_ENT_HUGE;
	/* refuse an overlap before writing anything */
	for (uint64_t off = 0; off < len; off += MOCK_IO_PAGE_SIZE) {
		uint64_t *e = mock_entry(m, (iova + off) >> MOCK_IO_PAGE_SHIFT, false);

		if (e && *e)
			return -EEXIST;
	}
	for (uint64_t off = 0; off < len; off += MOCK_IO_PAGE_SIZE) {
		uint64_t *e = mock_entry(m, (iova + off) >> MOCK_IO_PAGE_SHIFT, true);

		if (!e) {
			/* report the whole pages done; the caller undoes that prefix */
			uint64_t done = off - off % pgsize;

			mock_clear(m, iova + done, off - done);
			*out_mapped = done;
			return -ENOMEM;
		}
		*e = (paddr + off) | flags;
	}
	*out_mapped = len;
	return 0;
}

static uint64_t mock_unmap_pages(struct iommu_domain *d, uint64_t iova, uint64_t pgsize,
				 uint64_t pgcount, struct iommu_gather *gather)
{
	struct mock_domain *m = to_mock(d);
	uint64_t len, off;

	if (__builtin_mul_overflow(pgsize, pgcount, &len) || !mock_in_aperture(iova, len))
		return 0;
	for (off = 0; off < len; off += MOCK_IO_PAGE_SIZE) {
		uint64_t *e = mock_entry(m, (iova + off) >> MOCK_IO_PAGE_SHIFT, false);

		if (!e || !*e)
			break;
		*e = 0;
	}
	if (off) {
		if (iova < gather->start)
			gather->start = iova;
		if (iova + off - 1 > gather->last)
			gather->last = iova + off - 1;
		if (!gather->pgsize || pgsize < gather->pgsize)
			gather->pgsize = pgsize;
	}
	return off;
}

static int mock_iova_to_phys(struct iommu_domain *d, uint64_t iova, uint64_t *out_paddr,
			     uint64_t *out_leaf_size, int *out_prot)
{
	uint64_t *e;

	if (!mock_in_aperture(iova, 1))
		return -ENOENT;
	e = mock_entry(to_mock(d), iova >> MOCK_IO_PAGE_SHIFT, false);
	if (!e || !*e)
		return -ENOENT;
	*out_paddr = (*e & ~(uint64_t)MOCK_ENT_FLAGS) + (iova & (MOCK_IO_PAGE_SIZE - 1));
	if (out_leaf_size)
		*out_leaf_size = *e & MOCK_ENT_HUGE ? MOCK_HUGE_PAGE_SIZE : MOCK_IO_PAGE_SIZE;
	if (out_prot)
		*out_prot = (*e & MOCK_ENT_READ ? IOMMU_PROT_READ : 0) |
			    (*e & MOCK_ENT_WRITE ? IOMMU_PROT_WRITE : 0);
	return 0;
}

static int mock_set_dirty_tracking(struct iommu_domain *d, bool enable)
{
	struct mock_domain *m = to_mock(d);

	if (enable && !m->dirty_capable)
		return -EINVAL;
	m->tracking = enable;
	d->dirty_tracking = enable;
	return 0;
}

/* Test and (unless no_clear) clear the dirty bits of [head, head + size). */
static bool mock_test_clear_dirty(struct mock_domain *m, uint64_t head, uint64_t size,
				  bool no_clear)
{
	bool dirty = false;

	for (uint64_t off = 0; off < size; off += MOCK_IO_PAGE_SIZE) {
		uint64_t *e = mock_entry(m, (head + off) >> MOCK_IO_PAGE_SHIFT, false);

		if (!e || !(*e & MOCK_ENT_DIRTY))
			continue;
		dirty = true;
		if (!no_clear)
			*e &= ~(uint64_t)MOCK_ENT_DIRTY;
	}
	return dirty;
}

static int mock_read_and_clear_dirty(struct iommu_domain *d, uint64_t iova, uint64_t len,
				     unsigned int flags, struct iommu_dirty_sink *sink)
{
	struct mock_domain *m = to_mock(d);
	uint64_t last, cur = iova;

	if (!m->tracking && sink)
		return -EINVAL;
	if (!len || check_add_u64(iova, len - 1, &last))
		return -EINVAL;
	while (cur <= last) {
		uint64_t pgsize = MOCK_IO_PAGE_SIZE, *e = NULL;

		if (mock_in_aperture(cur, 1))
			e = mock_entry(m, cur >> MOCK_IO_PAGE_SHIFT, false);
		if (e && *e) {
			if (*e & MOCK_ENT_HUGE)
				pgsize = MOCK_HUGE_PAGE_SIZE;
			if (mock_test_clear_dirty(m, cur & ~(pgsize - 1), pgsize,
						  flags & IOMMU_DIRTY_NO_CLEAR) && sink)
				sink->record(sink, cur, pgsize);
		}
		if (cur + pgsize - 1 < cur)
			break;
		cur = (cur & ~(pgsize - 1)) + pgsize;
	}
	return 0;
}

static void mock_free(struct iommu_domain *d)
{
	struct mock_domain *m = to_mock(d);

	for (unsigned int i = 0; i < MOCK_NR_LEAVES; i++)
		free(m->leaves[i]);
	free(m);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
	.free = mock_free,
};

/* The same without dirty ops: what a domain not allocated for dirty tracking offers. */
static const struct iommu_domain_ops mock_domain_ops_nodirty = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_free,
};

bool mock_is_domain(const struct iommu_domain *d)
{
	return d->ops == &mock_domain_ops || d->ops == &mock_domain_ops_nodirty;
}

bool mock_domain_dirty_enabled(const struct iommu_domain *d)
{
	return d->ops == &mock_domain_ops &&
	       container_of(d, struct mock_domain, dom)->tracking;
}

/* Test hook: mark the IO page at iova dirty, as a device write would. */
static int mock_mark_dirty(struct iommu_domain *d, uint64_t iova)
{
	uint64_t *e;

	if (!mock_is_domain(d) || !mock_in_aperture(iova, 1))
		return -ENOENT;
	e = mock_entry(to_mock(d), iova >> MOCK_IO_PAGE_SHIFT, false);
	if (!e || !*e)
		return -ENOENT;
	*e |= MOCK_ENT_DIRTY;
	return 0;
}

/* ---- the model ------------------------------------------------------------------------ */

static int mock_domain_alloc_paging(struct device *dev, uint32_t flags,
				    struct iommu_domain **out)
{
	struct mock_domain *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->dirty_capable = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	m->dom.ops = m->dirty_capable ? &mock_domain_ops : &mock_domain_ops_nodirty;
	m->dom.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (dev->model_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		m->dom.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	m->dom.nr_ranges = 1;
	m->dom.ranges[0].start = MOCK_APERTURE_START;
	m->dom.ranges[0].last = MOCK_APERTURE_LAST;
	*out = &m->dom;
	return 0;
}

static int mock_attach_check(struct device *dev, const struct hwpt_paging *hwpt)
{
	if (!mock_is_domain(hwpt->domain))
		return -EINVAL;
	if ((hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (dev->model_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	return 0;
}

static int mock_hw_info(struct device *dev, void *buf, uint32_t buf_len, uint32_t *out_len,
			uint32_t *out_type)
{
	struct iommu_test_hw_info info = { .test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };

	(void)dev;
	memcpy(buf, &info, buf_len < sizeof(info) ? buf_len : sizeof(info));
	*out_len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return 0;
}

const struct dev_model_ops mock_model_ops = {
	.name = "mock",
	.domain_alloc_paging = mock_domain_alloc_paging,
	.attach_check = mock_attach_check,
	.hw_info = mock_hw_info,
	.mark_dirty = mock_mark_dirty,
};

/* A mock device, bound (published) with the given MOCK_FLAGS_DEVICE_* flags. */
int mock_dev_new(struct ioasid_ctx *ctx, uint32_t dev_flags, struct device **out)
{
	struct device *dev;
	int rc;

	if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
			  MOCK_FLAGS_DEVICE_PASID))
		return -EINVAL;
	rc = dev_bind(ctx, &mock_model_ops, NULL, &dev);
	if (rc)
		return rc;
	dev->model_flags = dev_flags;
	if (!(dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		dev->caps |= DEV_CAP_DIRTY;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID) {
		dev->caps |= DEV_CAP_PASID;
		dev->max_pasid_log2 = MOCK_PASID_MAX_LOG2;
	}
	*out = dev;
	return 0;
}
