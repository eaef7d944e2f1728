// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_pasid.c - a device's PASID table through the C API: attach, replace and detach per
 * PASID with the kernel's errno for each misuse, DMA tagged with a PASID landing in the
 * PASID's IOAS, and the per-(device, PASID) IOVA windows query.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"

#define PG   4096u
#define IOVA UINT64_C(0x200000)

#define OK(expr)       assert_int_equal((expr) ? errno : 0, 0)
#define ERR(err, expr) assert_int_equal((expr) ? errno : 0, (err))

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas[2];
	uint8_t *buf[2];
	uint32_t dev;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct ioasid_device_desc desc = { .format = "x86_64-4", .flags = IOASID_DEVICE_PASID };

	assert_non_null(f);
	OK(ioasid_ctx_new(NULL, &f->ctx));
	for (unsigned int i = 0; i < 2; i++) {
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
				 IOMMU_IOAS_MAP_FIXED_IOVA,
			.length = PG,
			.iova = IOVA,
		};

		OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a));
		f->ioas[i] = a.out_ioas_id;
		assert_int_equal(posix_memalign((void **)&f->buf[i], PG, PG), 0);
		memset(f->buf[i], 'A' + (int)i, PG);
		m.ioas_id = f->ioas[i];
		m.user_va = (uintptr_t)f->buf[i];
		OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	}
	OK(ioasid_device_new(f->ctx, &desc, &f->dev));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	free(f->buf[0]);
	free(f->buf[1]);
	free(f);
	return 0;
}

/* The first byte a DMA with this PASID reads at IOVA, or 0 with errno. */
static int peek(struct fix *f, uint32_t pasid)
{
	struct ioasid_dma_fault flt;
	uint8_t b = 0;

	if (ioasid_device_dma_pasid(f->ctx, f->dev, pasid, IOVA + 3, &b, 1, 0, &flt))
		return 0;
	return b;
}

static uint32_t hwpt_alloc(struct fix *f, uint32_t ioas, uint32_t flags)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = f->dev, .pt_id = ioas
	};

	OK(ioasid_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &h));
	return h.out_hwpt_id;
}

static void test_attach_rules(void **state)
{
	struct fix *f = *state;
	uint32_t h1, h2, plain, again;

	/* a PASID on an IOAS: EINVAL, as Linux 7.x (no automatic PASID-capable HWPT) */
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, f->dev, 1, f->ioas[0], &h1));
	assert_int_equal(peek(f, 1), 0);
	h1 = hwpt_alloc(f, f->ioas[0], IOMMU_HWPT_ALLOC_PASID);
	OK(ioasid_device_pasid_attach(f->ctx, f->dev, 1, h1, &again));
	assert_int_equal(again, h1);
	assert_int_equal(peek(f, 1), 'A');
	assert_int_equal(peek(f, 2), 0);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(peek(f, 0), 0); /* the RID is not attached */
	assert_int_equal(errno, ENODEV);
	/* attach again: on the same HWPT EBUSY, elsewhere EINVAL */
	ERR(EBUSY, ioasid_device_pasid_attach(f->ctx, f->dev, 1, h1, &again));
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, f->dev, 1, f->ioas[1], &again));
	/* an HWPT not allocated for PASIDs takes no PASID, and no RID while a PASID is on */
	plain = hwpt_alloc(f, f->ioas[1], 0);
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, f->dev, 2, plain, &again));
	ERR(EINVAL, ioasid_device_attach(f->ctx, f->dev, plain, &again));
	/* PASIDs beyond the device's 20 bits */
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, f->dev, 1u << 20, h1, &again));
	/* the RID's automatic HWPT is not PASID-capable: EINVAL while a PASID is on */
	ERR(EINVAL, ioasid_device_attach(f->ctx, f->dev, f->ioas[0], &again));
	OK(ioasid_device_attach(f->ctx, f->dev, h1, &again));
	assert_int_equal(again, h1);
	assert_int_equal(peek(f, 0), 'A');
	/* replace: PASID 1 moves to the second IOAS, the RID stays */
	h2 = hwpt_alloc(f, f->ioas[1], IOMMU_HWPT_ALLOC_PASID);
	OK(ioasid_device_pasid_replace(f->ctx, f->dev, 1, h2, &again));
	assert_int_equal(again, h2);
	assert_int_equal(peek(f, 1), 'B');
	assert_int_equal(peek(f, 0), 'A');
	OK(ioasid_device_pasid_replace(f->ctx, f->dev, 1, h2, &again)); /* to itself */
	ERR(EINVAL, ioasid_device_pasid_replace(f->ctx, f->dev, 3, h2, &again));
	/* a busy HWPT cannot be destroyed */
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = h2 };

		ERR(EBUSY, ioasid_ioctl(f->ctx, IOMMU_DESTROY, &d));
	}
	/* many PASIDs at once, each its own slot */
	for (uint32_t p = 100; p < 110; p++)
		OK(ioasid_device_pasid_attach(f->ctx, f->dev, p, (p & 1) ? h1 : h2, NULL));
	for (uint32_t p = 100; p < 110; p++)
		assert_int_equal(peek(f, p), (p & 1) ? 'A' : 'B');
	for (uint32_t p = 100; p < 110; p++)
		OK(ioasid_device_pasid_detach(f->ctx, f->dev, p));
	/* detach */
	OK(ioasid_device_pasid_detach(f->ctx, f->dev, 1));
	assert_int_equal(peek(f, 1), 0);
	assert_int_equal(errno, ENODEV);
	ERR(EINVAL, ioasid_device_pasid_detach(f->ctx, f->dev, 1));
	/* with no PASID left, the RID may go to a plain HWPT again */
	OK(ioasid_device_replace(f->ctx, f->dev, plain, &again));
	assert_int_equal(peek(f, 0), 'B');
	/* (h1, automatic, died with its last user) */
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, f->dev, 5, h2, &again));
	OK(ioasid_device_detach(f->ctx, f->dev));
	OK(ioasid_device_pasid_attach(f->ctx, f->dev, 5, h2, &again));
	assert_int_equal(peek(f, 5), 'B');
	/* left attached: the context's close detaches every PASID */
}

static void test_not_pasid_capable(void **state)
{
	struct fix *f = *state;
	struct ioasid_device_desc desc = { .format = "x86_64-4" };
	uint32_t dev, h;

	OK(ioasid_device_new(f->ctx, &desc, &dev));
	ERR(EINVAL, ioasid_device_pasid_attach(f->ctx, dev, 1, f->ioas[0], &h));
	ERR(ENOENT, ioasid_device_pasid_attach(f->ctx, dev + 1000, 1, f->ioas[0], &h));
	OK(ioasid_device_destroy(f->ctx, dev));
}

static void test_iova_windows(void **state)
{
	struct fix *f = *state;
	struct ioasid_iova_range msi = { 0xfee00000, 0xfeefffff };
	struct ioasid_device_desc desc = {
		.format = "x86_64-4",
		.flags = IOASID_DEVICE_PASID,
		.reserved = &msi,
		.nr_reserved = 1,
	};
	struct ioasid_iova_range r[8];
	uint32_t dev, n = 8;

	OK(ioasid_device_new(f->ctx, &desc, &dev));
	ERR(ENODEV, ioasid_device_pasid_iova_ranges(f->ctx, dev, 0, r, &n));
	{
		struct iommu_hwpt_alloc h = { .size = sizeof(h),
					      .flags = IOMMU_HWPT_ALLOC_PASID,
					      .dev_id = dev,
					      .pt_id = f->ioas[0] };

		OK(ioasid_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &h));
		OK(ioasid_device_attach(f->ctx, dev, h.out_hwpt_id, NULL));
	}
	{
		struct iommu_hwpt_alloc h = { .size = sizeof(h),
					      .flags = IOMMU_HWPT_ALLOC_PASID,
					      .dev_id = dev,
					      .pt_id = f->ioas[1] };

		OK(ioasid_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &h));
		OK(ioasid_device_pasid_attach(f->ctx, dev, 7, h.out_hwpt_id, NULL));
	}
	/* x86-64 4-level: the two canonical halves; the RID loses its MSI window */
	n = 8;
	OK(ioasid_device_pasid_iova_ranges(f->ctx, dev, 0, r, &n));
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, msi.start - 1);
	assert_int_equal(r[1].start, msi.last + 1);
	assert_int_equal(r[1].last, (UINT64_C(1) << 47) - 1);
	assert_int_equal(r[2].start, UINT64_C(0xffff800000000000));
	assert_int_equal(r[2].last, UINT64_MAX);
	n = 8;
	OK(ioasid_device_pasid_iova_ranges(f->ctx, dev, 7, r, &n));
	assert_int_equal(n, 2);
	assert_int_equal(r[0].last, (UINT64_C(1) << 47) - 1);
	n = 1;
	ERR(EMSGSIZE, ioasid_device_pasid_iova_ranges(f->ctx, dev, 0, r, &n));
	assert_int_equal(n, 3);
	n = 8;
	ERR(ENODEV, ioasid_device_pasid_iova_ranges(f->ctx, dev, 8, r, &n));
	ERR(EINVAL, ioasid_device_pasid_iova_ranges(f->ctx, dev, 1u << 20, r, &n));
	OK(ioasid_device_destroy(f->ctx, dev));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_pasid_capable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iova_windows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
