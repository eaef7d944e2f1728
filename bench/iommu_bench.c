/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommu_bench.c - the translation path (src/iommu) against the machine's own memory latency
 * and copy speed, measured in the same run.
 *
 * Figures (JSON lines on stdout, each with its limit and the ratio):
 *   iotlb_hit        iommu_translate of an IOVA whose entry is in the IOTLB, inside one read
 *                    section; limit: one L1-resident dependent load (a pointer chase over
 *                    4 KiB). Goal: ratio <= 4.
 *   walk_miss_4lvl   iommu_translate of random IOVAs over 8 GiB of 4K leaves of an x86-64
 *                    4-level domain (16 MiB of leaf tables: the IOTLB holds 4096 entries,
 *                    so nearly every lookup misses and walks); limit: a chain of 4
 *                    DRAM-resident dependent loads (a pointer chase over 256 MiB).
 *                    Goal: ratio <= 2.
 *   nested_miss      the same over a VT-d first-stage table (x86-64, 4 levels) nested in a
 *                    VT-d second-stage domain (4 levels): every stage-1 entry is reached
 *                    through a stage-2 walk, 24 table reads in all; limit: 24 DRAM loads.
 *   ctx_miss         ioasid_device_dma of 8 bytes at random 4K pages of 64 MiB (mostly
 *                    IOTLB misses) through a VT-d device, whose miss first reads its
 *                    context entry, PASID directory and PASID entry; limit: the same through
 *                    a RISC-V Sv48x4 device of the same depth, which has no such structures
 *                    (its iohgatp is one per device; the two devices alternate, best of 4).
 *                    Goal: report.
 *   dma_copy         ioasid_device_dma (in-process, x86-64 device, write) of 4 KiB and of
 *                    2 MiB; limit: memcpy of the same size between the same buffers.
 *                    ratio = memcpy time / DMA time (a throughput ratio). Goal: >= 0.5.
 *
 * Options: IOMMU_BENCH_QUICK=1 shrinks the sizes (a smoke run). Best of 3 runs each.
 *
 * Traps: the chase arrays are random cyclic permutations so the prefetcher cannot follow;
 * results are summed into a checksum printed with each figure, so nothing is optimised out.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"
#include "iommu/iommu.h"
#include "pt/pt.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t seed = 88172645463325252ull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static int quick;
static uint64_t checksum;

/* ns per dependent load over a random cycle through bytes of memory (one load per line). */
static double chase_ns(size_t bytes)
{
	size_t n = bytes / 64, i, steps = quick ? 200000 : 4000000;
	size_t *perm = malloc(n * sizeof(*perm));
	uint64_t *mem =
		aligned_alloc(2u << 20, (n * 64 + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1));
	double best = 1e30;

	if (!perm || !mem)
		exit(1);
	/* huge pages where the kernel gives them: the limit is DRAM latency, not TLB misses */
	madvise(mem, n * 64, MADV_HUGEPAGE);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < n; i++)
		mem[perm[i] * 8] = (uint64_t)(uintptr_t)&mem[perm[(i + 1) % n] * 8];
	for (int r = 0; r < 3; r++) {
		uint64_t *p = &mem[perm[0] * 8];
		double t0 = now_ns();

		for (i = 0; i < steps; i++)
			p = (uint64_t *)(uintptr_t)*p;
		best = (now_ns() - t0) / (double)steps < best ? (now_ns() - t0) / (double)steps :
								best;
		checksum += (uint64_t)(uintptr_t)p;
	}
	free(perm);
	free(mem);
	return best;
}

static struct iommu_domain *domain(const char *variant)
{
	struct pt_config cfg = pt_variant_find(variant)->cfg;
	struct iommu_domain *d;

	cfg.flags |= PT_CFG_NO_DIRTY;
	if (pt_domain_alloc(&cfg, &d))
		exit(1);
	iommu_domain_track(d);
	return d;
}

/* ns per iommu_translate of random 4K pages in [base, base + bytes). */
static double translate_ns(struct iommu_xlate *x, uint64_t base, uint64_t bytes, size_t n,
			   bool random)
{
	double best = 1e30;

	for (int r = 0; r < 3; r++) {
		unsigned int tok = iommu_read_lock();
		double t0 = now_ns(), t;

		for (size_t i = 0; i < n; i++) {
			struct iommu_xlate_result res;
			struct iommu_fault f;
			uint64_t iova = random ? base + ((rnd() % (bytes >> 12)) << 12) :
						 base + (i & 0xff8);

			if (iommu_translate(x, 0, iova, IOMMU_ACCESS_READ, &res, &f))
				exit(2);
			checksum += res.oa;
		}
		t = (now_ns() - t0) / (double)n;
		iommu_read_unlock(tok);
		if (t < best)
			best = t;
	}
	return best;
}

static void emit(const char *bench, const char *what, double ns, const char *limit, double lim,
		 double ratio, const char *goal)
{
	printf("{\"bench\":\"%s\",\"what\":\"%s\",\"ns\":%.2f,\"limit\":\"%s\",\"limit_ns\":%.2f,"
	       "\"ratio\":%.2f,\"goal\":\"%s\",\"checksum\":%llu}\n",
	       bench, what, ns, limit, lim, ratio, goal, (unsigned long long)(checksum & 0xff));
}

int main(void)
{
	uint64_t bytes, mapped, base = UINT64_C(0x100000000), fake_pa = UINT64_C(0x400000000);
	double l1 = chase_ns(4096), dram, t;
	struct iommu_domain *d, *s2;
	struct iommu_xlate *x;

	quick = getenv("IOMMU_BENCH_QUICK") != NULL;
	bytes = quick ? UINT64_C(256) << 20 : UINT64_C(8) << 30;
	dram = chase_ns(quick ? (size_t)32 << 20 : (size_t)256 << 20);

	/* IOTLB hit: the same page again and again */
	d = domain("x86_64-4");
	if (pt_map_range(d, base, fake_pa, bytes, IOMMU_PROT_READ, &mapped) ||
	    iommu_xlate_paging(d, &x))
		return 1;
	t = translate_ns(x, base, 4096, quick ? 100000 : 2000000, false);
	emit("iotlb_hit", "x86_64-4, 4K leaf", t, "l1_dependent_load", l1, t / l1, "<= 4");

	/* miss: 4-level walk. pt_map_range picked 1G leaves above; remap with 4K ones. */
	{
		struct iommu_gather g;

		iommu_gather_init(&g);
		pt_unmap_range(d, base, bytes, &g);
		d->ops->iotlb_sync(d, &g);
		for (uint64_t off = 0; off < bytes; off += UINT64_C(1) << 30) {
			uint64_t len =
				bytes - off < (UINT64_C(1) << 30) ? bytes - off : UINT64_C(1) << 30;

			if (d->ops->map_pages(d, base + off, fake_pa + off, 4096, len >> 12,
					      IOMMU_PROT_READ, &mapped))
				return 1;
		}
	}
	t = translate_ns(x, base, bytes, quick ? 100000 : 2000000, true);
	emit("walk_miss_4lvl",
	     quick ? "x86_64-4, random 4K over 256 MiB" : "x86_64-4, random 4K over 8 GiB", t,
	     "4_dram_dependent_loads", 4 * dram, t / (4 * dram), "<= 2");
	iommu_synchronize();
	iommu_xlate_put(x);

	/*
	 * Nested: d becomes the guest's stage-1 table; stage 2 maps the guest physical space
	 * (IPA = the emulated physical address of d's table arena, iommu/phys.h, which the
	 * nested reader resolves; and the IPAs d maps to) with 4K leaves.
	 */
	{
		struct pt_arena *a = pt_domain_arena(d);
		uint64_t abase = pt_arena_base_pa(a), asize = pt_arena_size(a);
		struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = pt_domain_root_pa(d),
						.addr_width = 48 };
		uint64_t s1bytes = quick ? bytes : UINT64_C(1) << 30;

		s2 = domain("vtd-ss-4");
		if (s2->ops->map_pages(s2, abase, abase, 4096, asize >> 12, IOMMU_PROT_READ,
				       &mapped) ||
		    s2->ops->map_pages(s2, fake_pa, fake_pa, 4096, s1bytes >> 12, IOMMU_PROT_READ,
				       &mapped) ||
		    iommu_nested_alloc(s2, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &x))
			return 1;
		t = translate_ns(x, base, s1bytes, quick ? 50000 : 1000000, true);
		emit("nested_miss", "VT-d S1 4-level in VT-d SS 4-level, random 4K", t,
		     "24_dram_dependent_loads", 24 * dram, t / (24 * dram), "report");
		iommu_synchronize();
		iommu_xlate_put(x);
		s2->ops->free(s2);
	}
	d->ops->free(d);

	/* a device's miss through its model's structures, against one without */
	{
		size_t sz = quick ? (size_t)16 << 20 : (size_t)64 << 20,
		       n = quick ? 200000 : 2000000;
		uint8_t *mem = aligned_alloc(2u << 20, sz);
		const char *formats[2] = { "vtd-ss-4", "riscv-sv48x4" };
		double ns[2] = { 1e30, 1e30 };

		if (!mem)
			return 1;
		memset(mem, 3, sz);
		for (int kk = 0; kk < 8; kk++) {
			int k = (kk + 1) & 1; /* the limit first, then alternating */
			struct ioasid_device_desc desc = { .format = formats[k] };
			struct iommu_ioas_alloc al = { .size = sizeof(al) };
			struct iommu_ioas_map m = {
				.size = sizeof(m),
				.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					 IOMMU_IOAS_MAP_FIXED_IOVA,
				.user_va = (uintptr_t)mem,
				.length = sz,
				.iova = UINT64_C(0x40000000),
			};
			struct ioasid_ctx *ctx;
			uint64_t v;
			uint32_t dev;

			if (ioasid_ctx_new(NULL, &ctx) || ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &al))
				return 1;
			m.ioas_id = al.out_ioas_id;
			if (ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &m) ||
			    ioasid_device_new(ctx, &desc, &dev) ||
			    ioasid_device_attach(ctx, dev, al.out_ioas_id, NULL))
				return 1;
			ns[k] = 1e30;
			for (int r = 0; r < 3; r++) {
				double t0 = now_ns();

				for (size_t i = 0; i < n; i++) {
					uint64_t iova =
						UINT64_C(0x40000000) + ((rnd() % (sz >> 12)) << 12);

					if (ioasid_device_dma(ctx, dev, iova, &v, 8, false))
						return 1;
					checksum += v;
				}
				t = (now_ns() - t0) / (double)n;
				ns[k] = t < ns[k] ? t : ns[k];
			}
			ioasid_ctx_free(ctx);
		}
		free(mem);
		emit("ctx_miss", "VT-d context+PASID entries, random 4K", ns[0],
		     "riscv_sv48x4_device_miss", ns[1], ns[0] / ns[1], "report");
	}

	/* DMA copy through a device vs memcpy */
	{
		struct ioasid_device_desc desc = { .format = "x86_64-4" };
		struct iommu_ioas_alloc al = { .size = sizeof(al) };
		size_t sz = 4u << 20;
		uint8_t *dst = aligned_alloc(2u << 20, sz), *src = aligned_alloc(2u << 20, sz);
		struct ioasid_ctx *ctx;
		uint32_t dev;

		if (!dst || !src || ioasid_ctx_new(NULL, &ctx) ||
		    ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &al))
			return 1;
		memset(dst, 1, sz);
		memset(src, 2, sz);
		{
			struct iommu_ioas_map m = {
				.size = sizeof(m),
				.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					 IOMMU_IOAS_MAP_FIXED_IOVA,
				.ioas_id = al.out_ioas_id,
				.user_va = (uintptr_t)dst,
				.length = sz,
				.iova = UINT64_C(0x40000000),
			};

			if (ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &m) ||
			    ioasid_device_new(ctx, &desc, &dev) ||
			    ioasid_device_attach(ctx, dev, al.out_ioas_id, NULL))
				return 1;
		}
		for (size_t len = 4096; len <= (2u << 20); len *= 512) {
			size_t n = (quick ? (size_t)16 << 20 : (size_t)1 << 30) / len;
			double bd = 1e30, bm = 1e30;

			for (int r = 0; r < 3; r++) {
				double t0 = now_ns();

				for (size_t i = 0; i < n; i++)
					if (ioasid_device_dma(ctx, dev,
							      UINT64_C(0x40000000) + (i & 1) * len,
							      src, len, true))
						return 1;
				t = (now_ns() - t0) / (double)n;
				bd = t < bd ? t : bd;
				t0 = now_ns();
				for (size_t i = 0; i < n; i++) {
					memcpy(dst + (i & 1) * len, src, len);
					__asm__ volatile("" ::"r"(dst) : "memory");
				}
				t = (now_ns() - t0) / (double)n;
				bm = t < bm ? t : bm;
			}
			checksum += dst[len - 1];
			emit("dma_copy", len == 4096 ? "write 4 KiB" : "write 2 MiB", bd,
			     "memcpy_same_size", bm, bm / bd, ">= 0.5 (throughput)");
		}
		ioasid_ctx_free(ctx);
		free(dst);
		free(src);
	}
	{
		struct iommu_iotlb_stats s;

		iommu_iotlb_stats(&s);
		fprintf(stderr, "iommu_bench: IOTLB hits %llu misses %llu invalidations %llu\n",
			(unsigned long long)s.hits, (unsigned long long)s.misses,
			(unsigned long long)s.invalidations);
	}
	return 0;
}
