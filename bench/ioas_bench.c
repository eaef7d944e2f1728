/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioas_bench.c - the full ABI path, timed: IOMMU_IOAS_MAP and _UNMAP of a large buffer into
 * an IOAS with an emulated device attached (so every page is pinned and written into the
 * device's page table), and DMA translations through the device, each beside a limit
 * measured in the same run:
 *   - map/unmap: ns per 4K page next to the machine's store cost for 4K (memset bandwidth);
 *   - DMA: ns per 8-byte device read at a random IOVA next to an 8-byte CPU read at a
 *     random address of the same buffer (the cache-miss cost the DMA also pays).
 *
 * Output: JSON lines on stdout. Arguments: device formats to run ("mock" and, when built
 * with the page-table formats, their variant names); default: mock. IOAS_BENCH_BYTES sets
 * the buffer (default 256 MiB).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define REPS 3

static double store_ns_per_4k(uint8_t *buf, size_t len)
{
	double best = 1e30;

	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();

		memset(buf, r + 1, len);
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	return best / (double)(len >> 12);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int bench_format(const char *format, uint8_t *buf, size_t len, double store)
{
	struct ioasid_device_desc desc = { .format = format };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
	};
	struct ioasid_ctx *ctx;
	uint32_t dev, hwpt;
	const char *leaf[2] = { "small", "large" };

	if (ioasid_ctx_new(NULL, &ctx))
		return -1;
	if (ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &alloc) || ioasid_device_new(ctx, &desc, &dev) ||
	    ioasid_device_attach(ctx, dev, alloc.out_ioas_id, &hwpt)) {
		fprintf(stderr, "ioas_bench: %s: setup failed: %s\n", format, strerror(errno));
		ioasid_ctx_free(ctx);
		return -1;
	}
	opt.object_id = alloc.out_ioas_id;
	for (int large = 0; large < 2; large++) {
		double best_map = 1e30, best_unmap = 1e30;
		uint64_t iova = 0;

		/* huge pages off: every leaf is the smallest size; on: the walker picks */
		opt.val64 = large;
		if (ioasid_ioctl(ctx, IOMMU_OPTION, &opt))
			continue;
		for (int r = 0; r < REPS; r++) {
			struct iommu_ioas_map map = {
				.size = sizeof(map),
				.ioas_id = alloc.out_ioas_id,
				.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
				.user_va = (uintptr_t)buf,
				.length = len,
			};
			struct iommu_ioas_unmap unmap = {
				.size = sizeof(unmap),
				.ioas_id = alloc.out_ioas_id,
				.length = len,
			};
			double t0 = now_ns(), t1;

			if (ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &map)) {
				fprintf(stderr, "ioas_bench: map: %s\n", strerror(errno));
				break;
			}
			t1 = now_ns();
			iova = map.iova;
			unmap.iova = iova;
			if (r == REPS - 1) {
				/* DMA while mapped: random 8-byte reads through the device */
				const int n = 200000;
				double d0, d1, c0, c1;
				uint64_t v, sum = 0;

				d0 = now_ns();
				for (int i = 0; i < n; i++) {
					ioasid_device_dma(ctx, dev,
							  iova + (rnd() % (len - 8) & ~7ULL), &v, 8,
							  false);
					sum += v;
				}
				d1 = now_ns();
				c0 = now_ns();
				for (int i = 0; i < n; i++)
					sum += *(volatile uint64_t *)(buf +
								      (rnd() % (len - 8) & ~7ULL));
				c1 = now_ns();
				printf("{\"bench\":\"dma_read8\",\"format\":\"%s\",\"leaf\":\"%s\","
				       "\"ns_per_op\":%.1f,\"limit\":\"cpu_random_read8_ns\","
				       "\"limit_value\":%.1f,\"ratio\":%.2f,\"checksum\":%llu}\n",
				       format, leaf[large], (d1 - d0) / n, (c1 - c0) / n,
				       (d1 - d0) / (c1 - c0), (unsigned long long)(sum & 1));
			}
			if (ioasid_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap)) {
				fprintf(stderr, "ioas_bench: unmap: %s\n", strerror(errno));
				break;
			}
			if (t1 - t0 < best_map)
				best_map = t1 - t0;
			if (now_ns() - t1 < best_unmap)
				best_unmap = now_ns() - t1;
		}
		printf("{\"bench\":\"ioas_map\",\"format\":\"%s\",\"leaf\":\"%s\",\"bytes\":%zu,"
		       "\"ns_per_4k\":%.1f,\"limit\":\"store_ns_per_4k\",\"limit_value\":%.1f,"
		       "\"ratio\":%.2f}\n",
		       format, leaf[large], len, best_map / (double)(len >> 12), store,
		       best_map / (double)(len >> 12) / store);
		printf("{\"bench\":\"ioas_unmap\",\"format\":\"%s\",\"leaf\":\"%s\",\"bytes\":%zu,"
		       "\"ns_per_4k\":%.1f,\"limit\":\"store_ns_per_4k\",\"limit_value\":%.1f,"
		       "\"ratio\":%.2f}\n",
		       format, leaf[large], len, best_unmap / (double)(len >> 12), store,
		       best_unmap / (double)(len >> 12) / store);
	}
	ioasid_ctx_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = (size_t)256 << 20;
	const char *env = getenv("IOAS_BENCH_BYTES");
	uint8_t *raw, *buf;
	double store;
	int rc = 0;

	if (env)
		len = strtoull(env, NULL, 0) & ~((size_t)(2 << 20) - 1);
	if (len < (4 << 20))
		len = 4 << 20;
	raw = mmap(NULL, len + (2 << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (raw == MAP_FAILED)
		return 1;
	/* 2 MiB aligned so the large-leaf runs can use 2M leaves */
	buf = (uint8_t *)(((uintptr_t)raw + (2 << 20) - 1) & ~((uintptr_t)(2 << 20) - 1));
	memset(buf, 0, len);
	store = store_ns_per_4k(buf, len);
	printf("{\"bench\":\"store\",\"bytes\":%zu,\"ns_per_4k\":%.1f,\"gbps\":%.2f}\n", len, store,
	       4096.0 / store);
	if (argc < 2) {
		rc |= bench_format("mock", buf, len, store);
	} else {
		for (int i = 1; i < argc; i++)
			rc |= bench_format(argv[i], buf, len, store);
	}
	munmap(raw, len + (2 << 20));
	return rc ? 1 : 0;
}
