/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctx_dirty.c - IOMMU_HWPT_SET_DIRTY_TRACKING on a domain already attached rewrites the
 * hardware-dirty enable bits of the structures its devices have, and the walk follows those
 * bits, not the domain's switch:
 *   AMD v1: the DTE's HAD (8:7) = 11b while tracking, 00b otherwise;
 *   VT-d second stage: SSADE (PASID entry bit 9) of the RID's entry and of every PASID's;
 *   SMMUv3 stage 2: the STE's S2HA and S2HD (word 2, bits 56 and 55);
 *   SMMUv3 stage 1: the CD's HD is written at attach for a domain made with dirty tracking
 *   and left alone by a toggle (Linux 6.12 arm-smmu-v3: set_dirty_tracking does nothing).
 * For each: attach with tracking off (bits clear), enable (bits set, a DMA write is in the
 * dirty bitmap), the bit cleared by hand in the structure (a write after the flush is not),
 * disable (bits clear again).
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/private.h"
#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"
#include "ioasid/ioasid.h"

#define PG   4096u
#define IOVA UINT64_C(0x400000)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t dev, ioas, hwpt;
	uint8_t *buf;
	uint64_t *root; /* the device's own entry: DTE, VT-d context entry, STE */
};

static void fix_open(struct fix *f, const char *format, uint32_t dev_flags)
{
	struct ioasid_device_desc desc = { .format = format, .flags = dev_flags };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.length = 4 * PG,
		.iova = IOVA,
	};
	struct iommu_hwpt_alloc h = { .size = sizeof(h) };

	memset(f, 0, sizeof(*f));
	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	assert_int_equal(ioasid_device_new(f->ctx, &desc, &f->dev), 0);
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a), 0);
	f->ioas = a.out_ioas_id;
	assert_int_equal(posix_memalign((void **)&f->buf, PG, 4 * PG), 0);
	memset(f->buf, 0, 4 * PG);
	m.ioas_id = f->ioas;
	m.user_va = (uintptr_t)f->buf;
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m), 0);
	h.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
		  (dev_flags & IOASID_DEVICE_PASID ? IOMMU_HWPT_ALLOC_PASID : 0);
	h.dev_id = f->dev;
	h.pt_id = f->ioas;
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &h), 0);
	f->hwpt = h.out_hwpt_id;
	assert_int_equal(ioasid_device_attach(f->ctx, f->dev, f->hwpt, NULL), 0);
	f->root = (uint64_t *)iommu_phys_resolve(
		iommu_dev_hw(iommu_dir_lookup(&f->ctx->iommu_dir, f->dev))->root_pa, 8);
}

static void fix_close(struct fix *f)
{
	ioasid_ctx_free(f->ctx);
	free(f->buf);
}

static int set_tracking(struct fix *f, bool on)
{
	struct iommu_hwpt_set_dirty_tracking t = {
		.size = sizeof(t),
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = f->hwpt,
	};

	return ioasid_ioctl(f->ctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &t) ? -errno : 0;
}

/* The dirty pages of the 4 (bit n: page n), cleared; -errno when the domain refuses. */
static int dirty_pages(struct fix *f)
{
	uint64_t bitmap = 0;
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = f->hwpt,
		.iova = IOVA,
		.length = 4 * PG,
		.page_size = PG,
		.data = (uintptr_t)&bitmap,
	};

	if (ioasid_ioctl(f->ctx, IOMMU_HWPT_GET_DIRTY_BITMAP, &g))
		return -errno;
	return (int)bitmap;
}

static void dma_write(struct fix *f, uint32_t pasid, unsigned int page)
{
	struct ioasid_dma_fault flt;
	uint8_t b = 'w';

	assert_int_equal(ioasid_device_dma_pasid(f->ctx, f->dev, pasid, IOVA + page * PG + 3, &b, 1,
						 IOASID_DMA_WRITE, &flt),
			 0);
	assert_int_equal(f->buf[page * PG + 3], 'w');
}

/* Forget what the IOTLB holds of the domain (after a structure is edited by hand). */
static void flush(struct fix *f)
{
	struct iommu_dev *idev = iommu_dir_lookup(&f->ctx->iommu_dir, f->dev);

	iommu_iotlb_flush_domain(pt_domain_tag(iommu_xlate_domain(iommu_dev_pasid(idev, 0))), 0,
				 UINT64_MAX);
}

#define HAD_SHIFT 7

static unsigned int amd_had(const struct fix *f)
{
	return (unsigned int)(le64toh(f->root[0]) >> HAD_SHIFT) & 3;
}

static void test_amd(void **state)
{
	struct fix f;

	(void)state;
	fix_open(&f, "amd-v1-4", 0);
	assert_int_equal(amd_had(&f), 0);
	assert_int_equal(dirty_pages(&f), -EINVAL); /* not tracking */
	assert_int_equal(set_tracking(&f, true), 0);
	assert_int_equal(amd_had(&f), 3);
	dma_write(&f, 0, 1);
	assert_int_equal(dirty_pages(&f), 1 << 1);
	/* HAD cleared behind the domain's back: the walk sets no dirty bit */
	f.root[0] = htole64(le64toh(f.root[0]) & ~(UINT64_C(3) << HAD_SHIFT));
	flush(&f);
	dma_write(&f, 0, 2);
	assert_int_equal(dirty_pages(&f), 0);
	/* HAD 10b is reserved: a bad context at the device level */
	f.root[0] = htole64(le64toh(f.root[0]) | UINT64_C(2) << HAD_SHIFT);
	{
		struct ioasid_dma_fault flt;
		uint8_t b = 'x';

		assert_int_equal(ioasid_device_dma_pasid(f.ctx, f.dev, 0, IOVA + 3 * PG, &b, 1,
							 IOASID_DMA_WRITE, &flt),
				 -1);
		assert_int_equal(flt.type, 4);
	}
	/* a toggle rewrites the DTE from the domain: off clears HAD, on sets it again */
	assert_int_equal(set_tracking(&f, false), 0);
	assert_int_equal(amd_had(&f), 0);
	dma_write(&f, 0, 3);
	assert_int_equal(set_tracking(&f, true), 0);
	assert_int_equal(amd_had(&f), 3);
	assert_int_equal(dirty_pages(&f), 0); /* enabling starts from a clean snapshot */
	dma_write(&f, 0, 3);
	assert_int_equal(dirty_pages(&f), 1 << 3);
	fix_close(&f);
}

#define SSADE (UINT64_C(1) << 9)

/* The first word of the PASID entry of pasid, as the hardware finds it. */
static uint64_t *vtd_pe(const struct fix *f, uint32_t pasid)
{
	uint64_t *dir = (uint64_t *)iommu_phys_resolve(le64toh(f->root[0]) & ~UINT64_C(0xfff), 8);
	uint64_t *table =
		(uint64_t *)iommu_phys_resolve(le64toh(dir[pasid >> 6]) & ~UINT64_C(0xfff), 8);

	return table + (pasid & 63) * 8;
}

static bool vtd_ssade(const struct fix *f, uint32_t pasid)
{
	return le64toh(vtd_pe(f, pasid)[0]) & SSADE;
}

static void test_vtd(void **state)
{
	struct fix f;

	(void)state;
	fix_open(&f, "vtd-ss-4", IOASID_DEVICE_PASID);
	assert_int_equal(ioasid_device_pasid_attach(f.ctx, f.dev, 77, f.hwpt, NULL), 0);
	assert_false(vtd_ssade(&f, 0));
	assert_false(vtd_ssade(&f, 77));
	assert_int_equal(set_tracking(&f, true), 0);
	/* every entry on the domain: the RID's (RID_PASID 0) and PASID 77's */
	assert_true(vtd_ssade(&f, 0));
	assert_true(vtd_ssade(&f, 77));
	dma_write(&f, 0, 0);
	dma_write(&f, 77, 2);
	assert_int_equal(dirty_pages(&f), 1 << 0 | 1 << 2);
	/* SSADE cleared in PASID 77's entry alone: its writes set no dirty bit, the RID's do */
	vtd_pe(&f, 77)[0] = htole64(le64toh(vtd_pe(&f, 77)[0]) & ~SSADE);
	flush(&f);
	dma_write(&f, 77, 1);
	dma_write(&f, 0, 3);
	assert_int_equal(dirty_pages(&f), 1 << 3);
	assert_int_equal(set_tracking(&f, false), 0);
	assert_false(vtd_ssade(&f, 0));
	assert_false(vtd_ssade(&f, 77));
	assert_int_equal(set_tracking(&f, true), 0);
	assert_true(vtd_ssade(&f, 77)); /* rewritten from the domain, the hand edit gone */
	dma_write(&f, 77, 1);
	assert_int_equal(dirty_pages(&f), 1 << 1);
	/* a PASID attached while tracking is on gets SSADE from the attach */
	assert_int_equal(ioasid_device_pasid_attach(f.ctx, f.dev, 78, f.hwpt, NULL), 0);
	assert_true(vtd_ssade(&f, 78));
	fix_close(&f);
}

#define S2HD (UINT64_C(1) << 55)
#define S2HA (UINT64_C(1) << 56)

static uint64_t ste_ha_hd(const struct fix *f)
{
	return le64toh(f->root[2]) & (S2HA | S2HD);
}

static void test_smmu_s2(void **state)
{
	struct fix f;

	(void)state;
	fix_open(&f, "arm-s2-4k-48", 0);
	assert_int_equal(ste_ha_hd(&f), 0);
	assert_int_equal(set_tracking(&f, true), 0);
	assert_int_equal(ste_ha_hd(&f), S2HA | S2HD);
	dma_write(&f, 0, 2);
	assert_int_equal(dirty_pages(&f), 1 << 2);
	f.root[2] = htole64(le64toh(f.root[2]) & ~S2HD); /* S2HD clear: no dirty update */
	flush(&f);
	dma_write(&f, 0, 1);
	assert_int_equal(dirty_pages(&f), 0);
	assert_int_equal(set_tracking(&f, false), 0);
	assert_int_equal(ste_ha_hd(&f), 0);
	assert_int_equal(set_tracking(&f, true), 0);
	assert_int_equal(ste_ha_hd(&f), S2HA | S2HD);
	dma_write(&f, 0, 1);
	assert_int_equal(dirty_pages(&f), 1 << 1);
	fix_close(&f);
}

/* Stage 1: HD is the domain's (made with dirty tracking), not the toggle's. */
static void test_smmu_s1(void **state)
{
	struct iommu_fault flt = { 0 };
	struct smmu_cd cd;
	struct fix f;

	(void)state;
	fix_open(&f, "arm-s1-4k-48", 0);
	assert_int_equal(smmu_cd_fetch(NULL, f.root, 0, 0, &cd, &flt), 0);
	assert_true(cd.hd);
	assert_int_equal(set_tracking(&f, true), 0);
	assert_int_equal(smmu_cd_fetch(NULL, f.root, 0, 0, &cd, &flt), 0);
	assert_true(cd.hd);
	dma_write(&f, 0, 0);
	assert_int_equal(dirty_pages(&f), 1 << 0);
	assert_int_equal(set_tracking(&f, false), 0);
	assert_int_equal(smmu_cd_fetch(NULL, f.root, 0, 0, &cd, &flt), 0);
	assert_true(cd.hd);
	fix_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amd),
		cmocka_unit_test(test_vtd),
		cmocka_unit_test(test_smmu_s2),
		cmocka_unit_test(test_smmu_s1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
