/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_formats_ioas_more.c - the RISC-V, AMD v1 and POWER TCE formats behind one IOAS.
 *
 * Two scenarios. A device behind a TCE window alone: the IOAS's IOVA ranges are exactly the
 * window [bus_offset, bus_offset + size - 1], maps land inside it (a fixed one outside is
 * refused) and translate there. Then RISC-V Sv39, AMD v1 mode 3 and the 32-bit TCE window on
 * one IOAS: the ranges shrink to what all three translate, every IOVA page of every area
 * translates to the same physical address in each domain, holes in none, and DMA through
 * each device reads the same byte. tests/core/test_formats_ioas.c does the same for the
 * first formats.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "helpers.h"

#define PG 4096ULL
#define MB (1ULL << 20)

struct world {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev[3];
	unsigned int ndev;
};

static struct iommu_domain *dev_domain(struct world *w, unsigned int i)
{
	struct device *dev = dev_get(w->ctx, w->dev[i]);
	struct iommu_domain *d;

	assert_non_null(dev);
	assert_non_null(dev->hwpt);
	d = dev->hwpt->domain;
	obj_put(&dev->obj);
	return d;
}

/* Every 4K of every area: the host address of the pinned page in every domain. */
static void check_agree(struct world *w)
{
	struct ioas *ioas = ioas_get(w->ctx, w->ioas);
	struct iopt *iopt = &ioas->iopt;

	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		for (uint64_t off = 0; off <= n->last - n->start; off += PG) {
			uint64_t want = (uintptr_t)pages_host(a->pages, a->start_byte + off);

			for (unsigned int i = 0; i < w->ndev; i++) {
				struct iommu_domain *d = dev_domain(w, i);
				uint64_t pa, size;
				int prot;

				assert_int_equal(
					d->ops->iova_to_phys(d, n->start + off, &pa, &size, &prot),
					0);
				assert_int_equal(pa, want);
				assert_true(prot & IOMMU_PROT_READ);
			}
			if (n->last - n->start - off < PG)
				break;
		}
		if (n->last != UINT64_MAX && !iopt_find_area(iopt, n->last + 1)) {
			for (unsigned int i = 0; i < w->ndev; i++) {
				struct iommu_domain *d = dev_domain(w, i);
				uint64_t pa, size;
				int prot;

				assert_int_equal(
					d->ops->iova_to_phys(d, n->last + 1, &pa, &size, &prot),
					-ENOENT);
			}
		}
	}
	obj_put(&ioas->obj);
}

static unsigned int get_ranges(struct world *w, struct iommu_iova_range *out, unsigned int max)
{
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r),
		.ioas_id = w->ioas,
		.num_iovas = max,
		.allowed_iovas = (uintptr_t)out,
	};

	T_OK(t_ioctl(w->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	return r.num_iovas;
}

static void attach(struct world *w, const char *format)
{
	struct ioasid_device_desc desc = { .format = format };
	uint32_t hwpt;

	T_OK(ioasid_device_new(w->ctx, &desc, &w->dev[w->ndev]) ? errno : 0);
	T_OK(ioasid_device_attach(w->ctx, w->dev[w->ndev], w->ioas, &hwpt) ? errno : 0);
	w->ndev++;
}

/*
 * The 64-bit TCE window at 1 << 59 (64G of 4K pages) is the IOAS's only IOVA range. (A
 * window of 64K pages cannot join an IOAS on a 4K-page host: a domain must take PAGE_SIZE
 * pages, as in Linux's iopt_table_add_domain.)
 */
static void tce_window_ranges(void **state)
{
	const uint64_t base = 1ULL << 59;
	struct world w = { 0 };
	struct iommu_iova_range rg[4];
	uint8_t *raw =
		mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf = (uint8_t *)(((uintptr_t)raw + MB - 1) & ~(MB - 1));
	uint64_t iova, unmapped;

	(void)state;
	assert_true(raw != MAP_FAILED);
	assert_int_equal(ioasid_ctx_new(NULL, &w.ctx), 0);
	T_OK(t_ioas_alloc(w.ctx, &w.ioas));
	attach(&w, "tce-4k-64");
	assert_int_equal(get_ranges(&w, rg, 4), 1);
	assert_int_equal(rg[0].start, base);
	assert_int_equal(rg[0].last, base + (1ULL << 36) - 1);

	iova = base + 16 * MB;
	T_OK(t_map(w.ctx, w.ioas, buf, 2 * MB, &iova, T_MAP_FIXED));
	iova = 0; /* the IOAS picks: inside the window */
	T_OK(t_map(w.ctx, w.ioas, buf + 2 * MB, MB, &iova, T_MAP_RW));
	assert_true(iova >= base && iova + MB - 1 <= rg[0].last);
	iova = 16 * MB;
	T_ERR(EINVAL, t_map(w.ctx, w.ioas, buf, MB, &iova, T_MAP_FIXED));
	check_agree(&w);
	T_OK(t_unmap(w.ctx, w.ioas, base + 16 * MB, 2 * MB, &unmapped));
	assert_int_equal(unmapped, 2 * MB);
	check_agree(&w);
	ioasid_ctx_free(w.ctx);
	munmap(raw, 4 * MB);
}

/* RISC-V Sv39, AMD v1 mode 3 and the 32-bit TCE window agree on every IOVA. */
static void three_formats_agree(void **state)
{
	static const char *const formats[] = { "riscv-sv39", "amd-v1-3", "tce-4k" };
	struct world w = { 0 };
	struct iommu_iova_range rg[4];
	uint8_t *raw =
		mmap(NULL, 12 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf = (uint8_t *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	uint64_t iova, unmapped;

	(void)state;
	assert_true(raw != MAP_FAILED);
	for (size_t i = 0; i < 8 * MB; i += PG)
		buf[i] = (uint8_t)(i / PG);
	assert_int_equal(ioasid_ctx_new(NULL, &w.ctx), 0);
	T_OK(t_ioas_alloc(w.ctx, &w.ioas));

	/* Sv39 alone: both sign-extended halves */
	attach(&w, formats[0]);
	assert_int_equal(get_ranges(&w, rg, 4), 2);
	assert_int_equal(rg[0].last, (1ULL << 38) - 1);
	assert_int_equal(rg[1].start, ~0ULL << 38);
	iova = 16 * MB;
	T_OK(t_map(w.ctx, w.ioas, buf, 4 * MB, &iova, T_MAP_FIXED)); /* 2M leaves */
	iova = 32 * MB + 5 * PG;
	T_OK(t_map(w.ctx, w.ioas, buf + 4 * MB + PG, 7 * PG, &iova,
		   IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA)); /* 4K, read only */
	check_agree(&w);

	/* AMD v1 mode 3: [0, 2^39 - 1]; then the TCE window [0, 2G - 1] */
	attach(&w, formats[1]);
	assert_int_equal(get_ranges(&w, rg, 4), 1);
	assert_int_equal(rg[0].last, (1ULL << 38) - 1);
	check_agree(&w);
	attach(&w, formats[2]);
	assert_int_equal(get_ranges(&w, rg, 4), 1);
	assert_int_equal(rg[0].start, 0);
	assert_int_equal(rg[0].last, (1ULL << 31) - 1);
	check_agree(&w);
	iova = 1ULL << 31;
	T_ERR(EINVAL, t_map(w.ctx, w.ioas, buf, PG, &iova, T_MAP_FIXED));

	/* 32K of AMD page size encoding next to 4K pages, then unmap part */
	iova = 64 * MB + 32 * 1024;
	T_OK(t_map(w.ctx, w.ioas, buf + 2 * MB + 32 * 1024, 96 * 1024, &iova, T_MAP_FIXED));
	check_agree(&w);
	{
		struct iommu_domain *rv = dev_domain(&w, 0), *amd = dev_domain(&w, 1);
		uint64_t pa, size;
		int prot;

		/* the leaves each format chose: AMD 32K (NL 7) then 64K; Sv39 64K by Svnapot */
		T_OK(amd->ops->iova_to_phys(amd, iova, &pa, &size, &prot));
		assert_int_equal(size, 32 * 1024);
		T_OK(amd->ops->iova_to_phys(amd, iova + 32 * 1024, &pa, &size, &prot));
		assert_int_equal(size, 64 * 1024);
		T_OK(rv->ops->iova_to_phys(rv, iova + 32 * 1024, &pa, &size, &prot));
		assert_int_equal(size, 64 * 1024);
	}
	T_OK(t_unmap(w.ctx, w.ioas, 16 * MB, 4 * MB, &unmapped));
	assert_int_equal(unmapped, 4 * MB);
	check_agree(&w);

	for (unsigned int i = 0; i < 3; i++) {
		uint8_t b = 0xff;

		T_OK(ioasid_device_dma(w.ctx, w.dev[i], 64 * MB + 32 * 1024 + 3 * PG, &b, 1,
				       false) ?
			     errno :
			     0);
		assert_int_equal(b, (uint8_t)((2 * MB + 32 * 1024) / PG + 3));
	}
	ioasid_ctx_free(w.ctx);
	munmap(raw, 12 * MB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tce_window_ranges),
		cmocka_unit_test(three_formats_agree),
	};

	return cmocka_run_group_tests_name("formats_ioas_more", tests, NULL, NULL);
}
