/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_formats_ioas.c - one IOAS, devices behind IOMMUs of different page-table formats.
 *
 * Each device attached to the IOAS gets its own automatic domain in its own format; the IOAS
 * keeps them all in step. After every map and unmap, every IOVA page of every area must
 * translate in every domain to the same physical address (the host address of the pinned
 * page), with the same permissions, and unmapped IOVA must translate in none. The IOVA
 * ranges the IOAS reports are what every attached format can translate: the x86-64 format's
 * upper canonical half disappears once a VT-d second-stage domain joins, the mock's narrow
 * aperture wins once it joins. DMA through each device reaches the same bytes. The same
 * for RISC-V Sv39, AMD v1 and a POWER TCE window, and a TCE window alone: its window is the
 * IOAS's only IOVA range.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd_test.h>

#include "helpers.h"
#include "pt/pt.h"

#define PG 4096ULL
#define MB (1ULL << 20)

static const char *const formats[] = { "x86_64-4", "vtd-ss-4", "vtd-ss-3", "mock" };
#define NFMT (sizeof(formats) / sizeof(formats[0]))

struct world {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev[NFMT], hwpt[NFMT];
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

/* Every page of every area, in every domain: the same pa and prot; holes unmapped. */
static void check_agree(struct world *w)
{
	struct ioas *ioas = ioas_get(w->ctx, w->ioas);
	struct iopt *iopt = &ioas->iopt;
	uint64_t pages = 0;

	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		for (uint64_t off = 0; off <= n->last - n->start; off += PG) {
			uint64_t want = pages_name(a->pages, a->start_byte + off);

			/* every domain maps the page's name, which names its host page */
			assert_ptr_equal(iommu_phys_resolve(want, PG),
					 pages_host(a->pages, a->start_byte + off));

			for (unsigned int i = 0; i < w->ndev; i++) {
				struct iommu_domain *d = dev_domain(w, i);
				uint64_t pa, size;
				int prot;

				assert_int_equal(
					d->ops->iova_to_phys(d, n->start + off, &pa, &size, &prot),
					0);
				assert_int_equal(pa, want);
				assert_int_equal(prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE),
						 a->prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE));
			}
			pages++;
			if (n->last - n->start - off < PG)
				break;
		}
		/* the page after the area is a hole in every domain unless another area */
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
	assert_true(pages > 0 || itree_empty(&iopt->areas));
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

static void formats_agree(void **state)
{
	(void)state;
	struct world w = { 0 };
	struct iommu_iova_range rg[8];
	uint8_t *raw =
		mmap(NULL, 12 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf = (uint8_t *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	uint64_t iova, unmapped;

	assert_true(raw != MAP_FAILED);
	for (size_t i = 0; i < 8 * MB; i += PG)
		buf[i] = (uint8_t)(i / PG);
	assert_int_equal(ioasid_ctx_new(NULL, &w.ctx), 0);
	T_OK(t_ioas_alloc(w.ctx, &w.ioas));

	/* x86-64 4-level alone: both canonical halves are valid IOVA */
	struct ioasid_device_desc desc = { .format = formats[0] };
	T_OK(ioasid_device_new(w.ctx, &desc, &w.dev[0]) ? errno : 0);
	T_OK(ioasid_device_attach(w.ctx, w.dev[0], w.ioas, &w.hwpt[0]) ? errno : 0);
	w.ndev = 1;
	assert_int_equal(get_ranges(&w, rg, 8), 2);
	assert_int_equal(rg[0].start, 0);
	assert_int_equal(rg[0].last, (1ULL << 47) - 1);
	assert_int_equal(rg[1].start, ~0ULL << 47);
	assert_int_equal(rg[1].last, UINT64_MAX);

	/* mappings made before the other devices join: filled into their domains on attach */
	iova = 16 * MB;
	T_OK(t_map(w.ctx, w.ioas, buf, 4 * MB, &iova, T_MAP_FIXED)); /* 2M leaves */
	iova = 32 * MB + 5 * PG;
	T_OK(t_map(w.ctx, w.ioas, buf + 4 * MB + PG, 7 * PG, &iova,
		   IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA)); /* 4K, RO */
	check_agree(&w);

	for (unsigned int i = 1; i < NFMT; i++) {
		desc.format = formats[i];
		T_OK(ioasid_device_new(w.ctx, &desc, &w.dev[i]) ? errno : 0);
		T_OK(ioasid_device_attach(w.ctx, w.dev[i], w.ioas, &w.hwpt[i]) ? errno : 0);
		/* a different format cannot share a domain: a new automatic HWPT */
		for (unsigned int j = 0; j < i; j++)
			assert_int_not_equal(w.hwpt[i], w.hwpt[j]);
		w.ndev = i + 1;
		check_agree(&w);
	}

	/* the ranges are now what all four translate: the mock's aperture [16M, 2G - 1] */
	assert_int_equal(get_ranges(&w, rg, 8), 1);
	assert_int_equal(rg[0].start, MOCK_APERTURE_START);
	assert_int_equal(rg[0].last, MOCK_APERTURE_LAST);
	/* and a fixed map outside it is refused in every format's name */
	iova = 1ULL << 40;
	T_ERR(EINVAL, t_map(w.ctx, w.ioas, buf, PG, &iova, T_MAP_FIXED));

	/* more maps and unmaps with all four attached */
	for (int i = 0; i < 16; i++) {
		iova = 0;
		T_OK(t_map(w.ctx, w.ioas, buf + i * 3 * PG, (1 + i % 3) * PG, &iova, T_MAP_RW));
	}
	iova = 64 * MB + 2 * MB;
	T_OK(t_map(w.ctx, w.ioas, buf + 2 * MB, 2 * MB, &iova, T_MAP_FIXED));
	check_agree(&w);
	T_OK(t_unmap(w.ctx, w.ioas, 16 * MB, 4 * MB, &unmapped));
	assert_int_equal(unmapped, 4 * MB);
	check_agree(&w);

	/* DMA through each device reads the same byte */
	for (unsigned int i = 0; i < NFMT; i++) {
		uint8_t b = 0xff;

		T_OK(ioasid_device_dma(w.ctx, w.dev[i], 64 * MB + 2 * MB + 3 * PG, &b, 1, false) ?
			     errno :
			     0);
		assert_int_equal(b, (uint8_t)(2 * MB / PG + 3));
	}

	/* detach the mock: the wider ranges come back, the others still agree */
	T_OK(ioasid_device_detach(w.ctx, w.dev[3]) ? errno : 0);
	w.ndev = 3;
	assert_int_equal(get_ranges(&w, rg, 8), 1);
	assert_int_equal(rg[0].start, 0);
	assert_int_equal(rg[0].last, (1ULL << 39) - 1); /* vtd-ss-3 is the narrowest */
	check_agree(&w);
	ioasid_ctx_free(w.ctx);
	munmap(raw, 12 * MB);
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

/*
 * Devices whose IOMMUs differ in anything but dirty tracking never share an automatic
 * domain: two TCE windows of one format differing only in their bus offset get two HWPTs,
 * two identical devices share one.
 */
static void different_configs_do_not_share(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx;
	struct ioasid_device_desc a = { .format = "tce-4k" }, b = { .format = "tce-4k-64" };
	uint32_t ioas, d1, d2, d3, h1, h2, h3;

	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(ioasid_device_new(ctx, &a, &d1) ? errno : 0);
	T_OK(ioasid_device_new(ctx, &a, &d2) ? errno : 0);
	T_OK(ioasid_device_new(ctx, &b, &d3) ? errno : 0);
	T_OK(ioasid_device_attach(ctx, d1, ioas, &h1) ? errno : 0);
	T_OK(ioasid_device_attach(ctx, d2, ioas, &h2) ? errno : 0);
	assert_int_equal(h1, h2);
	T_OK(ioasid_device_attach(ctx, d3, ioas, &h3) ? errno : 0);
	assert_int_not_equal(h3, h1);
	ioasid_ctx_free(ctx);

	/* the comparison itself: every field but the arena and NO_DIRTY counts */
	const struct pt_variant *v = pt_variant_find("tce-4k-64");
	struct pt_config x = v->cfg, y = v->cfg;

	assert_true(pt_config_equivalent(&x, &y));
	y.flags |= PT_CFG_NO_DIRTY;
	y.arena = (struct pt_arena *)&y;
	assert_true(pt_config_equivalent(&x, &y));
	y = x;
	y.bus_offset = UINT64_C(1) << 58;
	assert_false(pt_config_equivalent(&x, &y));
	y = x;
	y.oa_bits = 40;
	assert_false(pt_config_equivalent(&x, &y));
	y = x;
	y.pgsize_bitmap = 4096;
	assert_false(pt_config_equivalent(&x, &y));
	y = x;
	y.flags |= PT_CFG_MOCK_HUGE;
	assert_false(pt_config_equivalent(&x, &y));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_agree),
		cmocka_unit_test(different_configs_do_not_share),
		cmocka_unit_test(tce_window_ranges),
		cmocka_unit_test(three_formats_agree),
	};

	return cmocka_run_group_tests_name("formats_ioas", tests, NULL, NULL);
}
