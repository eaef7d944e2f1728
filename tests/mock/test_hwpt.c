/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_hwpt.c - devices and HWPTs through the ioctl ABI and the mock IOMMU.
 *
 * The object graph's EBUSY rules (an IOAS with an HWPT, an HWPT with a device, a bound
 * device), automatic domains shared and dying with their last device, IOMMU_HWPT_ALLOC's
 * errno for each bad input, replace, two domains of one IOAS agreeing on every IOVA,
 * GET_HW_INFO, dirty tracking, the in-process device API with a reserved region, and
 * IOMMU_HWPT_INVALIDATE's answers without a nested HWPT.
 */
#include <stdlib.h>
#include <string.h>

#include "mock_helpers.h"

#define BUF_PAGES 16
#define BASE	  ((uint64_t)MOCK_APERTURE_START)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->buf = m_buf(BUF_PAGES * PG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	/* closing the context released every pin */
	assert_int_equal(pages_count_user_pins(&uaccess_self_ops, NULL, (uintptr_t)f->buf), 0);
	m_buf_free(f->buf, BUF_PAGES * PG);
	free(f);
	return 0;
}

static void test_destroy_busy(void **state)
{
	struct fix *f = *state;
	uint32_t stdev, hwpt, idev;

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, &hwpt, &idev));
	assert_true(stdev && hwpt && idev);
	assert_true(stdev != hwpt && hwpt != idev && stdev != idev);
	T_ERR(EBUSY, m_destroy(f->ctx, f->ioas));
	T_ERR(EBUSY, m_destroy(f->ctx, hwpt));
	T_ERR(EBUSY, m_destroy(f->ctx, idev));
	T_OK(m_destroy(f->ctx, stdev));
	/* the automatic HWPT died with its only device, and the device with its stdev */
	T_ERR(ENOENT, m_destroy(f->ctx, hwpt));
	T_ERR(ENOENT, m_destroy(f->ctx, idev));
	T_OK(m_destroy(f->ctx, f->ioas));
	/* MOCK_DOMAIN on nothing */
	T_ERR(ENOENT, m_mock_domain(f->ctx, f->ioas, 0, NULL, NULL, NULL));
	T_ERR(EINVAL, m_mock_domain(f->ctx, 0, 1u << 30, NULL, NULL, NULL));
	/*
	 * The table is empty: MOCK_DOMAIN takes ID 1 for its stdev and 2 for the device it
	 * binds. The kernel publishes that device at once, so pt_id 2 names a device (EINVAL),
	 * while 3 names nothing (ENOENT); neither leaves an object (oracle random sequence 50).
	 */
	T_ERR(EINVAL, m_mock_domain(f->ctx, 2, 0, NULL, NULL, NULL));
	T_ERR(ENOENT, m_mock_domain(f->ctx, 3, 0, NULL, NULL, NULL));
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	assert_int_equal(f->ioas, 1);
}

static void test_auto_domain_shared(void **state)
{
	struct fix *f = *state;
	uint32_t s1, s2, s3, h1, h2, h3;

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &s1, &h1, NULL));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &s2, &h2, NULL));
	/* a device without dirty tracking can join a domain allocated without it */
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &s3, &h3, NULL));
	assert_int_equal(h1, h2);
	assert_int_equal(h1, h3);
	T_OK(m_destroy(f->ctx, s1));
	T_ERR(EBUSY, m_destroy(f->ctx, h1));
	T_OK(m_destroy(f->ctx, s2));
	T_OK(m_destroy(f->ctx, s3));
	T_ERR(ENOENT, m_destroy(f->ctx, h1));
	T_OK(m_destroy(f->ctx, f->ioas));
}

static void test_hwpt_alloc_errors(void **state)
{
	struct fix *f = *state;
	uint32_t stdev, idev, nodirty_stdev, nodirty_idev, hwpt, parent, h;
	struct iommu_hwpt_alloc a = { .size = sizeof(a) };
	uint8_t data[8] = { 0 };

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, NULL, &idev));
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nodirty_stdev, NULL,
			   &nodirty_idev));
	T_ERR(EOPNOTSUPP, m_hwpt_alloc(f->ctx, idev, f->ioas, 1u << 20, &h));
	T_ERR(ENOENT, m_hwpt_alloc(f->ctx, f->ioas, f->ioas, 0, &h));
	T_ERR(EINVAL, m_hwpt_alloc(f->ctx, idev, idev, 0, &h));
	T_ERR(EINVAL, m_hwpt_alloc(f->ctx, idev, 99999, 0, &h));
	T_ERR(EOPNOTSUPP,
	      m_hwpt_alloc(f->ctx, idev, f->ioas,
			   IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID, &h));
	T_ERR(EOPNOTSUPP,
	      m_hwpt_alloc(f->ctx, nodirty_idev, f->ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
	/* a PASID-compatible domain needs no PASID-capable device (Linux 7.x) */
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, IOMMU_HWPT_ALLOC_PASID, &h));
	T_OK(m_destroy(f->ctx, h));
	/* data type and length must agree */
	a.dev_id = idev;
	a.pt_id = f->ioas;
	a.data_len = sizeof(data);
	a.data_uptr = (uintptr_t)data;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	a.data_len = 0;
	a.data_type = IOMMU_HWPT_DATA_VTD_S1;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	a.data_type = IOMMU_HWPT_DATA_NONE;
	a.__reserved = 1;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));

	/* a manual HWPT outlives its devices and keeps its IOAS busy */
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, 0, &hwpt));
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	/* nested on a parent that is not a nest parent: EINVAL; on a real parent: not yet */
	a.__reserved = 0;
	a.pt_id = hwpt;
	a.data_type = IOMMU_HWPT_DATA_VTD_S1;
	a.data_len = sizeof(data);
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	a.pt_id = parent;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));

	T_OK(m_mock_domain(f->ctx, hwpt, 0, &stdev, &h, NULL));
	assert_int_equal(h, hwpt);
	T_ERR(EBUSY, m_destroy(f->ctx, hwpt));
	T_OK(m_destroy(f->ctx, stdev));
	T_OK(m_destroy(f->ctx, hwpt));
	T_OK(m_destroy(f->ctx, parent));
}

static void test_replace(void **state)
{
	struct fix *f = *state;
	uint32_t ioas2, stdev, idev, nd_stdev, auto1, manual, dirty_hwpt, h;

	T_OK(t_ioas_alloc(f->ctx, &ioas2));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, &auto1, &idev));
	T_OK(m_mock_domain(f->ctx, ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd_stdev, NULL, NULL));
	T_OK(m_hwpt_alloc(f->ctx, idev, ioas2, 0, &manual));
	T_OK(m_hwpt_alloc(f->ctx, idev, ioas2, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty_hwpt));

	T_OK(m_replace(f->ctx, stdev, manual, &h));
	assert_int_equal(h, manual);
	/* the automatic HWPT left behind is gone, and its IOAS is free */
	T_ERR(ENOENT, m_destroy(f->ctx, auto1));
	T_ERR(EBUSY, m_destroy(f->ctx, manual));
	/* a device without dirty tracking cannot use a dirty-tracking domain */
	T_ERR(EINVAL, m_replace(f->ctx, nd_stdev, dirty_hwpt, NULL));
	T_OK(m_replace(f->ctx, stdev, dirty_hwpt, NULL));
	/* back to an IOAS: an automatic HWPT again */
	T_OK(m_replace(f->ctx, stdev, f->ioas, &h));
	assert_true(h != manual && h != dirty_hwpt);
	T_ERR(EBUSY, m_destroy(f->ctx, f->ioas));
	T_ERR(ENOENT, m_replace(f->ctx, 99999, f->ioas, NULL));
	T_OK(m_destroy(f->ctx, manual));
	T_OK(m_destroy(f->ctx, dirty_hwpt));
	T_OK(m_destroy(f->ctx, stdev));
	T_OK(m_destroy(f->ctx, f->ioas));
}

static void test_two_domains_agree(void **state)
{
	struct fix *f = *state;
	uint32_t s1, h1, idev, h2, h3, s3;
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};
	uint8_t *other = m_buf(4 * PG);

	/* mapped before any domain: pinned and mapped when the domains come */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, BUF_PAGES * PG, BASE, T_MAP_RW));
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 0));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &s1, &h1, &idev));
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, 0, &h2));
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, &s3, &h3, NULL));
	T_OK(m_check_map(f->ctx, h1, BASE, f->buf, BUF_PAGES * PG));
	T_OK(m_check_map(f->ctx, h2, BASE, f->buf, BUF_PAGES * PG));
	T_OK(m_check_map(f->ctx, h3, BASE, f->buf, BUF_PAGES * PG));
	/* one pin per page, however many domains */
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 1));
	T_ERR(EIO, m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 2));
	/* other memory, or IOVA not mapped, does not match */
	T_ERR(EINVAL, m_check_map(f->ctx, h1, BASE, other, 4 * PG));
	T_ERR(EINVAL, m_check_map(f->ctx, h2, BASE + BUF_PAGES * PG, f->buf, PG));
	T_ERR(EINVAL, m_check_map(f->ctx, h1, BASE + 1, f->buf, PG));
	/* the mock aperture is all the IOAS offers now */
	q.ioas_id = f->ioas;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &q));
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(r[0].start, MOCK_APERTURE_START);
	assert_int_equal(r[0].last, MOCK_APERTURE_LAST);
	assert_int_equal(q.out_iova_alignment, MOCK_PG);
	T_ERR(EINVAL, m_map_fixed(f->ctx, f->ioas, other, PG, MOCK_APERTURE_START - PG, T_MAP_RW));
	/* a later map lands in every domain; unmap leaves none */
	T_OK(m_map_fixed(f->ctx, f->ioas, other, 4 * PG, BASE + (1 << 20), T_MAP_RW));
	T_OK(m_check_map(f->ctx, h2, BASE + (1 << 20), other, 4 * PG));
	T_OK(m_check_map(f->ctx, h3, BASE + (1 << 20), other, 4 * PG));
	T_OK(t_unmap(f->ctx, f->ioas, BASE, BUF_PAGES * PG, NULL));
	T_ERR(EINVAL, m_check_map(f->ctx, h1, BASE, f->buf, PG));
	T_OK(m_check_refs(f->ctx, f->buf, BUF_PAGES * PG, 0));
	T_OK(m_check_refs(f->ctx, other, 4 * PG, 1));
	/* the last domain leaving unpins */
	T_OK(m_destroy(f->ctx, s1));
	T_OK(m_destroy(f->ctx, s3));
	T_OK(m_check_refs(f->ctx, other, 4 * PG, 1));
	T_OK(m_destroy(f->ctx, h2));
	T_OK(m_check_refs(f->ctx, other, 4 * PG, 0));
	m_buf_free(other, 4 * PG);
}

static void test_hw_info(void **state)
{
	struct fix *f = *state;
	uint32_t idev, nd_idev, pasid_idev;
	uint8_t data[32];
	struct iommu_test_hw_info *info = (void *)data;
	struct iommu_hw_info h = { .size = sizeof(h) };

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, NULL, NULL, &idev));
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL, &nd_idev));
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL, &pasid_idev));
	memset(data, 0xAA, sizeof(data));
	h.dev_id = idev;
	h.data_len = sizeof(data);
	h.data_uptr = (uintptr_t)data;
	T_OK(t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(h.data_len, sizeof(*info));
	assert_int_equal(info->test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	assert_int_equal(info->flags, 0);
	/* the rest of a larger buffer is zeroed */
	for (size_t i = sizeof(*info); i < sizeof(data); i++)
		assert_int_equal(data[i], 0);
	/* the mock device is not a PCI device: no ATS bit, as the kernel's mock */
	assert_int_equal(h.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(h.out_max_pasid_log2, 0);
	/* a short buffer gets a prefix and the full length */
	memset(data, 0xAA, sizeof(data));
	h.data_len = 4;
	T_OK(t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	assert_int_equal(h.data_len, sizeof(*info));
	assert_int_equal(data[4], 0xAA);

	h.dev_id = nd_idev;
	T_OK(t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	assert_int_equal(h.out_capabilities, 0);
	h.dev_id = pasid_idev;
	T_OK(t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	assert_int_equal(h.out_max_pasid_log2, MOCK_PASID_WIDTH);

	h.flags = 1u << 7;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
	h.flags = 0;
	h.dev_id = f->ioas;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));
}

static int dirty_set(struct ioasid_ctx *ctx, uint32_t hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s),
		.hwpt_id = hwpt,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};

	return t_ioctl(ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

static int dirty_get(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, uint64_t len,
		     uint64_t *bits, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = MOCK_PG,
		.data = (uintptr_t)bits,
	};

	return t_ioctl(ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static void test_dirty(void **state)
{
	struct fix *f = *state;
	uint32_t idev, hwpt, plain, stdev;
	uint64_t mark = 0x5, bits = 0;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, NULL, &plain, &idev));
	T_OK(m_hwpt_alloc(f->ctx, idev, f->ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	T_OK(m_mock_domain(f->ctx, hwpt, 0, &stdev, NULL, NULL));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 4 * PG, BASE, T_MAP_RW));
	T_ERR(EOPNOTSUPP, dirty_set(f->ctx, plain, true));
	c.id = hwpt;
	c.dirty.iova = BASE;
	c.dirty.length = 8 * MOCK_PG;
	c.dirty.page_size = MOCK_PG;
	c.dirty.uptr = (uintptr_t)&mark;
	/* not tracking yet */
	T_ERR(EINVAL, m_cmd(f->ctx, &c));
	T_OK(dirty_set(f->ctx, hwpt, true));
	T_OK(m_cmd(f->ctx, &c));
	assert_int_equal(c.dirty.out_nr_dirty, 2);
	T_OK(dirty_get(f->ctx, hwpt, BASE, 8 * MOCK_PG, &bits,
		       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	assert_int_equal(bits, 0x5);
	bits = 0x80; /* ORed into, never cleared */
	T_OK(dirty_get(f->ctx, hwpt, BASE, 8 * MOCK_PG, &bits, 0));
	assert_int_equal(bits, 0x85);
	bits = 0;
	T_OK(dirty_get(f->ctx, hwpt, BASE, 8 * MOCK_PG, &bits, 0));
	assert_int_equal(bits, 0);
	/* bad ranges */
	T_ERR(EINVAL, dirty_get(f->ctx, hwpt, BASE + 1, 8 * MOCK_PG, &bits, 0));
	T_ERR(EINVAL, dirty_get(f->ctx, hwpt, BASE, 0, &bits, 0));
	T_ERR(EOPNOTSUPP, dirty_get(f->ctx, hwpt, BASE, 8 * MOCK_PG, &bits, 1u << 5));
	T_ERR(ENOENT, dirty_get(f->ctx, f->ioas, BASE, 8 * MOCK_PG, &bits, 0));
	T_OK(dirty_set(f->ctx, hwpt, false));
	T_OK(m_destroy(f->ctx, stdev));
	T_OK(m_destroy(f->ctx, hwpt));
}

static void test_device_api(void **state)
{
	struct fix *f = *state;
	struct ioasid_iova_range msi = { BASE + (1 << 20), BASE + (2 << 20) - 1 };
	struct ioasid_device_desc desc = {
		.format = "mock",
		.nr_reserved = 1,
		.reserved = &msi,
	};
	uint32_t dev, hwpt, again;
	char out[64] = { 0 };

	T_OK(ioasid_device_new(f->ctx, &desc, &dev) ? errno : 0);
	/* something mapped in the device's reserved region blocks the attach */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, PG, msi.start, T_MAP_RW));
	T_ERR(EADDRINUSE, ioasid_device_attach(f->ctx, dev, f->ioas, &hwpt) ? errno : 0);
	T_OK(t_unmap(f->ctx, f->ioas, msi.start, PG, NULL));
	T_OK(ioasid_device_attach(f->ctx, dev, f->ioas, &hwpt) ? errno : 0);
	T_ERR(EINVAL, ioasid_device_attach(f->ctx, dev, f->ioas, &again) ? errno : 0);
	T_ERR(EINVAL, m_map_fixed(f->ctx, f->ioas, f->buf, PG, msi.start, T_MAP_RW));
	T_ERR(EBUSY, m_destroy(f->ctx, dev));
	/* DMA goes through the domain's translation */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 2 * PG, BASE, T_MAP_RW));
	T_OK(ioasid_device_dma(f->ctx, dev, BASE + PG - 3, "hello, dma", 11, true) ? errno : 0);
	assert_string_equal((char *)f->buf + PG - 3, "hello, dma");
	T_OK(ioasid_device_dma(f->ctx, dev, BASE + PG - 3, out, 11, false) ? errno : 0);
	assert_string_equal(out, "hello, dma");
	T_ERR(EFAULT, ioasid_device_dma(f->ctx, dev, BASE + 2 * PG, out, 1, false) ? errno : 0);
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + 2 * PG, PG, BASE + 2 * PG,
			 IOMMU_IOAS_MAP_READABLE));
	T_ERR(EPERM, ioasid_device_dma(f->ctx, dev, BASE + 2 * PG, out, 1, true) ? errno : 0);
	T_OK(ioasid_device_detach(f->ctx, dev) ? errno : 0);
	T_ERR(ENODEV, ioasid_device_dma(f->ctx, dev, BASE, out, 1, false) ? errno : 0);
	/* reserved region released with the detach; the automatic HWPT is gone */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + 3 * PG, PG, msi.start, T_MAP_RW));
	T_ERR(ENOENT, m_destroy(f->ctx, hwpt));
	T_ERR(EINVAL, ioasid_device_detach(f->ctx, dev) ? errno : 0);
	T_ERR(EADDRINUSE, ioasid_device_attach(f->ctx, dev, f->ioas, NULL) ? errno : 0);
	T_OK(t_unmap(f->ctx, f->ioas, msi.start, PG, NULL));
	/* left attached: the context's close cleans up (ASan checks for leaks) */
	T_OK(ioasid_device_attach(f->ctx, dev, f->ioas, NULL) ? errno : 0);
	desc.format = "no-such-format";
	T_ERR(EOPNOTSUPP, ioasid_device_new(f->ctx, &desc, &again) ? errno : 0);
	desc.format = "mock";
	desc.nr_reserved = IOASID_DEVICE_MAX_RESERVED + 1;
	T_ERR(EINVAL, ioasid_device_new(f->ctx, &desc, &again) ? errno : 0);
	desc.nr_reserved = 0;
	T_OK(ioasid_device_new(f->ctx, &desc, &again) ? errno : 0);
	T_OK(ioasid_device_destroy(f->ctx, again) ? errno : 0);
	T_ERR(ENOENT, ioasid_device_destroy(f->ctx, again) ? errno : 0);
}

/*
 * IOMMU_HWPT_INVALIDATE: the dispatcher knows it (size rules, not ENOTTY); only a nested
 * HWPT has caches to invalidate, so a paging HWPT's ID is ENOENT like a missing one; bad
 * entry arrays are EINVAL before any lookup; entry_num comes back as the entries done.
 */
static void test_hwpt_invalidate(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_invalidate inv = { .size = sizeof(inv), .entry_num = 3 };
	uint32_t hwpt;

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, NULL, &hwpt, NULL));
	inv.size = offsetof(struct iommu_hwpt_invalidate, __reserved);
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.size = sizeof(inv);
	inv.__reserved = 1;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
	assert_int_equal(inv.entry_num, 0);
	inv.__reserved = 0;
	inv.hwpt_id = hwpt;
	inv.entry_num = 1;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.entry_num = 1;
	inv.data_uptr = (uintptr_t)f->buf;
	inv.entry_len = PG + 1;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
	inv.entry_len = 8;
	/* a paging HWPT takes no invalidation: EINVAL as Linux 6.13 and later */
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
	assert_int_equal(inv.entry_num, 0);
	inv.entry_num = 0;
	inv.hwpt_id = 0;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv));
}

/*
 * A context made for a program written for Linux 6.12 (kernel_abi) gets 6.12's answer to
 * the one call whose errno changed in 6.13: a paging HWPT given to IOMMU_HWPT_INVALIDATE is
 * ENOENT there. 6.13 itself and 0 (the newest) answer EINVAL.
 */
static void test_hwpt_invalidate_kernel_abi(void **state)
{
	static const struct {
		uint32_t abi;
		int err;
	} cases[] = { { 0x060c, ENOENT },
		      { 0x0601, ENOENT },
		      { 0x060d, EINVAL },
		      { 0x0703, EINVAL },
		      { 0, EINVAL } };
	struct fix *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct iommu_hwpt_invalidate inv = { .size = sizeof(inv),
						     .entry_num = 1,
						     .entry_len = 8 };
		struct ioasid_ctx_params p;
		struct ioasid_ctx *ctx;
		uint32_t ioas, hwpt;

		ioasid_ctx_params_self(&p);
		p.kernel_abi = cases[i].abi;
		assert_int_equal(ioasid_ctx_new(&p, &ctx), 0);
		T_OK(t_ioas_alloc(ctx, &ioas));
		T_OK(m_mock_domain(ctx, ioas, 0, NULL, &hwpt, NULL));
		inv.hwpt_id = hwpt;
		inv.data_uptr = (uintptr_t)f->buf;
		T_ERR(cases[i].err, t_ioctl(ctx, IOMMU_HWPT_INVALIDATE, &inv));
		assert_int_equal(inv.entry_num, 0);
		/* a missing ID is ENOENT for every release */
		inv.hwpt_id = hwpt + 100;
		inv.entry_num = 1;
		T_ERR(ENOENT, t_ioctl(ctx, IOMMU_HWPT_INVALIDATE, &inv));
		ioasid_ctx_free(ctx);
	}
}

/*
 * MD_CHECK_REFS counts pins of a page as the kernel's page refcount does: one per pages
 * object pinning it (two maps of one buffer are two), from any context of the process, so
 * a fresh context sees another's pins until that one closes. Memory the caller cannot
 * read is EFAULT, as the kernel's page lookup fails there.
 */
static void test_check_refs(void **state)
{
	struct fix *f = *state;
	struct ioasid_ctx *other;
	uint64_t iova = BASE, iova2 = BASE + BUF_PAGES * PG;
	uint32_t ioas2;
	uint8_t *hole;

	T_OK(m_mock_domain(f->ctx, f->ioas, 0, NULL, NULL, NULL));
	T_OK(t_map(f->ctx, f->ioas, f->buf, 2 * PG, &iova, T_MAP_FIXED));
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova2, T_MAP_FIXED));
	T_OK(t_ioas_alloc(f->ctx, &ioas2));
	assert_int_equal(ioasid_ctx_new(NULL, &other), 0);
	T_OK(m_check_refs(other, f->buf, PG, 2));
	T_OK(m_check_refs(other, f->buf + PG, PG, 1));
	T_ERR(EIO, m_check_refs(other, f->buf, PG, 1));
	T_ERR(EINVAL, m_check_refs(other, f->buf + 1, PG, 0));

	hole = m_buf(PG);
	m_buf_free(hole, PG);
	T_ERR(EFAULT, m_check_refs(other, hole, PG, 0));

	ioasid_ctx_free(f->ctx);
	T_OK(t_ioas_alloc(other, &ioas2));
	T_OK(m_check_refs(other, f->buf, BUF_PAGES * PG, 0));
	f->ctx = other;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_destroy_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_domain_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hwpt_alloc_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hwpt_invalidate_kernel_abi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_domains_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hwpt_invalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_refs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
