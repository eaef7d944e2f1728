// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_xlate.c - the one translation call (src/iommu): typed faults with level and stage,
 * accessed/dirty bits set by the walk itself, the IOTLB (hits, block entries, flush on
 * unmap through the domain's iotlb_sync, statistics), and device DMA through the C API.
 *
 * Every check runs over page-table domains of several formats: the walker is compiled once
 * per format, so each format is its own code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iommu/iommu.h"
#include "pt/pt.h"
#include "ioasid/ioasid.h"

#define SZ_4K UINT64_C(0x1000)
#define SZ_2M UINT64_C(0x200000)

static const char *const variants[] = {
	"x86_64-4", "vtd-ss-4", "arm-s1-4k-48", "arm-s2-4k-48", "riscv-sv48", "amd-v1-4", "mock",
};

struct fix {
	struct iommu_domain *d;
	struct iommu_xlate *x;
	uint8_t *mem;  /* 4 MiB, 2M aligned */
	uint64_t base; /* an IOVA inside the domain's first range, 2M aligned */
	uint64_t pg;   /* the domain's smallest page */
};

static void fix_open(struct fix *f, const char *name, bool dirty)
{
	const struct pt_variant *v = pt_variant_find(name);
	struct pt_config cfg;

	assert_non_null(v);
	cfg = v->cfg;
	if (!dirty)
		cfg.flags |= PT_CFG_NO_DIRTY;
	assert_int_equal(pt_domain_alloc(&cfg, &f->d), 0);
	iommu_domain_track(f->d);
	assert_int_equal(iommu_xlate_paging(f->d, &f->x), 0);
	assert_int_equal(posix_memalign((void **)&f->mem, SZ_2M, 2 * SZ_2M), 0);
	memset(f->mem, 0, 2 * SZ_2M);
	f->pg = f->d->pgsize_bitmap & -f->d->pgsize_bitmap;
	f->base = (f->d->ranges[0].start + 4 * SZ_2M - 1) & ~(SZ_2M - 1);
	if (dirty)
		assert_int_equal(f->d->ops->set_dirty_tracking(f->d, true), 0);
}

static void fix_close(struct fix *f)
{
	iommu_synchronize();
	iommu_xlate_put(f->x);
	f->d->ops->free(f->d);
	free(f->mem);
}

static int xl(struct fix *f, uint64_t iova, unsigned int access, struct iommu_xlate_result *r,
	      struct iommu_fault *flt)
{
	unsigned int tok = iommu_read_lock();
	int rc = iommu_translate(f->x, IOMMU_NO_PASID, iova, access, r, flt);

	iommu_read_unlock(tok);
	return rc;
}

static void unmap(struct fix *f, uint64_t iova, uint64_t len)
{
	struct iommu_gather g;

	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(f->d, iova, len, &g), len);
	f->d->ops->iotlb_sync(f->d, &g);
}

/* The result and the typed faults of one walk, in every format. */
static void test_faults(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct iommu_xlate_result r;
		struct iommu_fault flt;
		uint64_t mapped;
		struct fix f;

		fix_open(&f, variants[i], false);
		assert_int_equal(pt_map_range(f.d, f.base, (uintptr_t)f.mem, f.pg,
					      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
				 0);
		assert_int_equal(pt_map_range(f.d, f.base + f.pg, (uintptr_t)f.mem + f.pg, f.pg,
					      IOMMU_PROT_READ, &mapped),
				 0);
		/* a hit on the first page, at an offset */
		assert_int_equal(xl(&f, f.base + 5, IOMMU_ACCESS_WRITE, &r, &flt), 0);
		assert_int_equal(r.oa, (uintptr_t)f.mem + 5);
		assert_int_equal(UINT64_C(1) << r.size_lg2, f.pg);
		assert_true(r.prot & IOMMU_PROT_WRITE);
		/* write to the read-only page: permission, at the leaf level */
		assert_int_equal(xl(&f, f.base + f.pg + 1, IOMMU_ACCESS_WRITE, &r, &flt), -EFAULT);
		assert_int_equal(flt.type, IOMMU_FAULT_PERMISSION);
		assert_int_equal(flt.level, 0);
		assert_int_equal(flt.stage, 1);
		assert_int_equal(flt.addr, f.base + f.pg + 1);
		assert_int_equal(xl(&f, f.base + f.pg + 1, IOMMU_ACCESS_READ, &r, &flt), 0);
		/* the next page in the same leaf table: not present at level 0 */
		assert_int_equal(xl(&f, f.base + 2 * f.pg, IOMMU_ACCESS_READ, &r, &flt), -EFAULT);
		assert_int_equal(flt.type, IOMMU_FAULT_NOT_PRESENT);
		assert_int_equal(flt.level, 0);
		/* far away: not present at a level above 0 */
		assert_int_equal(xl(&f, f.base + 64 * SZ_2M, IOMMU_ACCESS_READ, &r, &flt), -EFAULT);
		assert_int_equal(flt.type, IOMMU_FAULT_NOT_PRESENT);
		assert_true(flt.level > 0);
		/* outside every range of the domain: address size */
		if (f.d->ranges[0].start > 0) {
			assert_int_equal(
				xl(&f, f.d->ranges[0].start - 1, IOMMU_ACCESS_READ, &r, &flt),
				-EFAULT);
			assert_int_equal(flt.type, IOMMU_FAULT_ADDR_SIZE);
		} else if (f.d->ranges[f.d->nr_ranges - 1].last < UINT64_MAX) {
			assert_int_equal(xl(&f, f.d->ranges[f.d->nr_ranges - 1].last + 1,
					    IOMMU_ACCESS_READ, &r, &flt),
					 -EFAULT);
			assert_int_equal(flt.type, IOMMU_FAULT_ADDR_SIZE);
		}
		unmap(&f, f.base, 2 * f.pg);
		fix_close(&f);
	}
}

struct sink {
	struct iommu_dirty_sink s;
	uint64_t bytes;
};

static void sink_record(struct iommu_dirty_sink *s, uint64_t iova, uint64_t len)
{
	(void)iova;
	((struct sink *)s)->bytes += len;
}

/* A write's walk sets the dirty bit itself (when the domain tracks dirty pages); a read's not. */
static void test_dirty_in_walk(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct sink sk = { .s.record = sink_record };
		struct iommu_xlate_result r;
		struct iommu_fault flt;
		uint64_t mapped;
		struct fix f;

		fix_open(&f, variants[i], true);
		assert_int_equal(pt_map_range(f.d, f.base, (uintptr_t)f.mem, 4 * f.pg,
					      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
				 0);
		assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), 0);
		assert_int_equal(f.d->ops->read_and_clear_dirty(f.d, f.base, 4 * f.pg, 0, &sk.s),
				 0);
		assert_int_equal(sk.bytes, 0);
		assert_int_equal(xl(&f, f.base + 2 * f.pg + 7, IOMMU_ACCESS_WRITE, &r, &flt), 0);
		assert_int_equal(f.d->ops->read_and_clear_dirty(f.d, f.base, 4 * f.pg, 0, &sk.s),
				 0);
		assert_int_equal(sk.bytes, f.pg);
		/* cleared: the next write walks again (no IOTLB write hit while tracking) */
		sk.bytes = 0;
		assert_int_equal(xl(&f, f.base + 2 * f.pg, IOMMU_ACCESS_WRITE, &r, &flt), 0);
		assert_int_equal(f.d->ops->read_and_clear_dirty(f.d, f.base, 4 * f.pg, 0, &sk.s),
				 0);
		assert_int_equal(sk.bytes, f.pg);
		unmap(&f, f.base, 4 * f.pg);
		fix_close(&f);
	}
}

/* IOTLB: a second lookup hits, a 2M block hits anywhere inside, unmap's sync flushes. */
static void test_iotlb(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct iommu_iotlb_stats s0, s1;
		struct iommu_xlate_result r;
		struct iommu_fault flt;
		uint64_t mapped;
		struct fix f;

		fix_open(&f, variants[i], false);
		assert_int_equal(
			pt_map_range(f.d, f.base, (uintptr_t)f.mem, f.pg, IOMMU_PROT_READ, &mapped),
			0);
		assert_int_equal(xl(&f, f.base + 1, IOMMU_ACCESS_READ, &r, &flt), 0);
		iommu_iotlb_stats(&s0);
		assert_int_equal(xl(&f, f.base + 2, IOMMU_ACCESS_READ, &r, &flt), 0);
		assert_int_equal(r.oa, (uintptr_t)f.mem + 2);
		iommu_iotlb_stats(&s1);
		assert_int_equal(s1.hits, s0.hits + 1);
		assert_int_equal(s1.misses, s0.misses);
		/* a permission the entry lacks is a miss, then a fault */
		assert_int_equal(xl(&f, f.base + 2, IOMMU_ACCESS_WRITE, &r, &flt), -EFAULT);
		assert_int_equal(flt.type, IOMMU_FAULT_PERMISSION);
		/* unmap flushes: no stale hit */
		unmap(&f, f.base, f.pg);
		iommu_iotlb_stats(&s0);
		assert_true(s0.invalidations > s1.invalidations);
		assert_int_equal(xl(&f, f.base + 2, IOMMU_ACCESS_READ, &r, &flt), -EFAULT);
		assert_int_equal(flt.type, IOMMU_FAULT_NOT_PRESENT);

		/* a 2M leaf: one entry serves the whole block */
		if (f.d->pgsize_bitmap & SZ_2M) {
			assert_int_equal(pt_map_range(f.d, f.base, (uintptr_t)f.mem, SZ_2M,
						      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
					 0);
			assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), 0);
			assert_int_equal(r.size_lg2, 21);
			iommu_iotlb_stats(&s0);
			assert_int_equal(xl(&f, f.base + 0x12345, IOMMU_ACCESS_READ, &r, &flt), 0);
			assert_int_equal(r.oa, (uintptr_t)f.mem + 0x12345);
			assert_int_equal(xl(&f, f.base + SZ_2M - 1, IOMMU_ACCESS_READ, &r, &flt),
					 0);
			iommu_iotlb_stats(&s1);
			assert_int_equal(s1.hits, s0.hits + 2);
			unmap(&f, f.base, SZ_2M);
			assert_int_equal(xl(&f, f.base + 0x12345, IOMMU_ACCESS_READ, &r, &flt),
					 -EFAULT);
		}
		fix_close(&f);
	}
}

/* Without the flush hook the IOTLB keeps what the tables lost: the flush is what clears it. */
static void test_iotlb_needs_flush(void **state)
{
	struct iommu_xlate_result r;
	struct iommu_fault flt;
	struct iommu_gather g;
	uint64_t mapped;
	struct fix f;

	(void)state;
	fix_open(&f, "x86_64-4", false);
	pt_domain_set_flush(f.d, NULL, NULL); /* a domain nobody tracks */
	assert_int_equal(
		pt_map_range(f.d, f.base, (uintptr_t)f.mem, f.pg, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), 0);
	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(f.d, f.base, f.pg, &g), f.pg);
	assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), 0); /* stale */
	f.d->ops->iotlb_sync(f.d, &g);
	assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), 0); /* still stale */
	iommu_iotlb_flush_domain(pt_domain_tag(f.d), f.base, f.base);
	assert_int_equal(xl(&f, f.base, IOMMU_ACCESS_READ, &r, &flt), -EFAULT);
	fix_close(&f);
}

/* The C API: DMA through an attached device, typed faults reported. */
static void test_dma_api(void **state)
{
	struct ioasid_device_desc desc = { .format = "x86_64-4" };
	struct ioasid_dma_fault df;
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, hwpt;
	uint8_t *buf = NULL, out[64];
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	assert_int_equal(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &a), 0);
	ioas = a.out_ioas_id;
	assert_int_equal(posix_memalign((void **)&buf, SZ_4K, 4 * SZ_4K), 0);
	memset(buf, 0, 4 * SZ_4K);
	{
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
				 IOMMU_IOAS_MAP_FIXED_IOVA,
			.ioas_id = ioas,
			.user_va = (uintptr_t)buf,
			.length = 2 * SZ_4K,
			.iova = 0x100000,
		};
		assert_int_equal(ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &m), 0);
	}
	assert_int_equal(ioasid_device_new(ctx, &desc, &dev), 0);
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x100000, out, 1, 0, &df), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(ioasid_device_attach(ctx, dev, ioas, &hwpt), 0);
	/* across the page boundary */
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x100ffc, "0123456789", 10,
						 IOASID_DMA_WRITE, &df),
			 0);
	assert_int_equal(df.type, IOASID_DMA_FAULT_NONE);
	assert_memory_equal(buf + 0xffc, "0123456789", 10);
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x100ffc, out, 10, 0, &df), 0);
	assert_memory_equal(out, "0123456789", 10);
	/* running off the end: the fault names the first byte not mapped */
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x101ff0, out, 32, 0, &df), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(df.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(df.addr, 0x102000);
	assert_int_equal(df.level, 0);
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x100000, out, 1, 0x80, &df), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev + 100, 0, 0x100000, out, 1, 0, &df), -1);
	assert_int_equal(errno, ENOENT);
	/* unmap: the device sees it at once */
	{
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = ioas, .iova = 0x100000, .length = 2 * SZ_4K
		};
		assert_int_equal(ioasid_ioctl(ctx, IOMMU_IOAS_UNMAP, &u), 0);
	}
	assert_int_equal(ioasid_device_dma_pasid(ctx, dev, 0, 0x100ffc, out, 4, 0, &df), -1);
	assert_int_equal(df.type, IOASID_DMA_FAULT_NOT_PRESENT);
	ioasid_ctx_free(ctx);
	free(buf);
}

/* Devices find their model through the registry; an unknown format is EOPNOTSUPP. */
static void test_registry(void **state)
{
	struct ioasid_device_desc desc = { .format = "no-such-iommu" };
	struct ioasid_ctx *ctx;
	uint32_t dev;
	size_t n = 0;

	(void)state;
	assert_string_equal(iommu_model_find("mock")->name, "mock");
	assert_string_equal(iommu_model_find("arm-s2-4k-48")->name, "pt");
	assert_null(iommu_model_find("no-such-iommu"));
	while (iommu_model_at(n))
		n++;
	assert_true(n >= 2);
	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	assert_int_equal(ioasid_device_new(ctx, &desc, &dev), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	desc.format = "riscv-sv39";
	assert_int_equal(ioasid_device_new(ctx, &desc, &dev), 0);
	desc.flags = IOASID_DEVICE_HUGE_IOVA; /* the mock's flag */
	assert_int_equal(ioasid_device_new(ctx, &desc, &dev), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	ioasid_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults),	cmocka_unit_test(test_dirty_in_walk),
		cmocka_unit_test(test_iotlb),	cmocka_unit_test(test_iotlb_needs_flush),
		cmocka_unit_test(test_dma_api), cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
