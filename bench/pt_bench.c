/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_bench.c - how fast the page-table walker maps, unmaps and translates, beside the
 * machine's own memory store bandwidth measured in the same run.
 *
 * For every variant (pt_variants) and for its smallest page size and its page size
 * nearest 2M (4K and 2M on x86-64 and VT-d, 2K and 1M on the mock with huge pages), it
 * maps 1 GiB in one batched map_pages call into a fresh arena ("cold": the memfd's pages
 * fault in), unmaps it, maps it again ("warm": table pages come from the free lists; the
 * walker's own cost), looks every page up with iova_to_phys,
 * unmaps it in one unmap_pages call plus one iotlb_sync, and also maps and unmaps it one
 * page per call, as a caller without batching would. Each figure is the best of
 * PT_BENCH_REPS runs (default 3). The limit it stands beside: memset of a 256 MiB buffer
 * (best of the same number of runs), reported as GB/s and as ns per 4K of stores.
 *
 * Output: JSON lines on stdout, one object per measurement; nothing else on stdout.
 * Options: --quick or PT_BENCH_BYTES=N to map N bytes instead of 1 GiB (CI smoke runs);
 * variant names as arguments to run only those.
 *
 * Words: "page" = one leaf of the size being measured; ns/page = total time / pages.
 *
 * Traps: the memset buffer is touched once before timing so page faults are not counted;
 * the domains' tables are fresh per run, so table allocation is part of map's cost, as
 * it is for a real first map.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pt/pt.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned int reps = 3;

/* Memory store bandwidth: memset of a 256 MiB buffer, best of reps. */
static double bench_memset(void)
{
	size_t len = (size_t)256 << 20;
	uint8_t *buf = malloc(len);
	double best = 1e30, gbps;
	unsigned int r;

	if (!buf)
		return 0;
	memset(buf, 1, len); /* fault it in */
	for (r = 0; r < reps; r++) {
		double t0 = now_ns();

		memset(buf, (int)r + 2, len);
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		t0 = now_ns() - t0;
		if (t0 < best)
			best = t0;
	}
	gbps = (double)len / best; /* bytes per ns = GB/s */
	printf("{\"bench\":\"memset\",\"bytes\":%zu,\"best_ns\":%.0f,\"gbps\":%.2f,"
	       "\"ns_per_4k\":%.2f}\n",
	       len, best, gbps, 4096.0 / gbps);
	free(buf);
	return 4096.0 / gbps;
}

struct result {
	double cold_map, map, unmap, lookup, map1, unmap1;
	size_t tables;
};

static int run_once(const struct pt_variant *v, uint64_t pgsize, uint64_t bytes, struct result *res)
{
	struct iommu_domain *d;
	uint64_t npages = bytes / pgsize, iova, mapped, i, pa, sz, got;
	struct iommu_gather g;
	double t0;
	int prot, rc;

	rc = pt_domain_alloc(&v->cfg, &d);
	if (rc)
		return rc;
	/* a 1 GiB aligned spot inside the first range (the mock's aperture is [16M, 2G)) */
	iova = (d->ranges[0].start + bytes - 1) & ~(bytes - 1);
	if (iova < d->ranges[0].start ||
	    iova - d->ranges[0].start > d->ranges[0].last - bytes + 1 ||
	    d->ranges[0].last - iova < bytes - 1) {
		d->ops->free(d);
		return -1;
	}

	/* cold: the arena's pages are touched for the first time */
	t0 = now_ns();
	rc = d->ops->map_pages(d, iova, bytes, pgsize, npages, IOMMU_PROT_READ | IOMMU_PROT_WRITE,
			       &mapped);
	res->cold_map = now_ns() - t0;
	iommu_gather_init(&g);
	if (rc || mapped != bytes || d->ops->unmap_pages(d, iova, pgsize, npages, &g) != bytes)
		goto fail;
	d->ops->iotlb_sync(d, &g);

	/* warm: table pages come from the arena's free lists */
	t0 = now_ns();
	rc = d->ops->map_pages(d, iova, bytes, pgsize, npages, IOMMU_PROT_READ | IOMMU_PROT_WRITE,
			       &mapped);
	res->map = now_ns() - t0;
	if (rc || mapped != bytes)
		goto fail;
	res->tables = pt_domain_table_pages(d);

	t0 = now_ns();
	for (i = 0; i < npages; i++) {
		if (d->ops->iova_to_phys(d, iova + i * pgsize, &pa, &sz, &prot) ||
		    pa != bytes + i * pgsize)
			goto fail;
	}
	res->lookup = now_ns() - t0;

	iommu_gather_init(&g);
	t0 = now_ns();
	got = d->ops->unmap_pages(d, iova, pgsize, npages, &g);
	d->ops->iotlb_sync(d, &g);
	res->unmap = now_ns() - t0;
	if (got != bytes || pt_domain_table_pages(d) != 1)
		goto fail;

	/* one page per call */
	t0 = now_ns();
	for (i = 0; i < npages; i++)
		if (d->ops->map_pages(d, iova + i * pgsize, bytes + i * pgsize, pgsize, 1,
				      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped))
			goto fail;
	res->map1 = now_ns() - t0;
	iommu_gather_init(&g);
	t0 = now_ns();
	for (i = 0; i < npages; i++)
		if (d->ops->unmap_pages(d, iova + i * pgsize, pgsize, 1, &g) != pgsize)
			goto fail;
	d->ops->iotlb_sync(d, &g);
	res->unmap1 = now_ns() - t0;

	d->ops->free(d);
	return 0;
fail:
	d->ops->free(d);
	return -1;
}

static void bench_variant(const struct pt_variant *v, uint64_t pgsize, uint64_t bytes,
			  double mem_ns_4k)
{
	struct result best = { 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 0 }, r;
	double pages = (double)(bytes / pgsize);
	unsigned int i;

	for (i = 0; i < reps; i++) {
		if (run_once(v, pgsize, bytes, &r)) {
			printf("{\"bench\":\"pt\",\"variant\":\"%s\",\"pgsize\":%llu,\"error\":"
			       "true}\n",
			       v->name, (unsigned long long)pgsize);
			return;
		}
#define KEEP_MIN(f)                   \
	do {                          \
		if (r.f < best.f)     \
			best.f = r.f; \
	} while (0)
		KEEP_MIN(cold_map);
		KEEP_MIN(map);
		KEEP_MIN(unmap);
		KEEP_MIN(lookup);
		KEEP_MIN(map1);
		KEEP_MIN(unmap1);
#undef KEEP_MIN
		best.tables = r.tables;
	}
	/*
	 * The limit: one 8-byte entry store per page at the memset bandwidth measured above,
	 * the least any table format must write to map a page. Ratios are time / limit.
	 */
	double entry_ns = mem_ns_4k * 8.0 / 4096.0;

	printf("{\"bench\":\"pt\",\"variant\":\"%s\",\"format\":\"%s\",\"pgsize\":%llu,"
	       "\"bytes\":%llu,\"pages\":%.0f,\"tables\":%zu,"
	       "\"cold_map_ns_per_page\":%.2f,"
	       "\"map_ns_per_page\":%.2f,\"unmap_ns_per_page\":%.2f,\"lookup_ns_per_page\":%.2f,"
	       "\"map1_ns_per_page\":%.2f,\"unmap1_ns_per_page\":%.2f,"
	       "\"mem_ns_per_4k\":%.2f,\"limit\":\"entry_store_ns\",\"limit_value\":%.3f,"
	       "\"map_ratio\":%.1f,\"unmap_ratio\":%.1f}\n",
	       v->name, pt_format_name(v->cfg.format), (unsigned long long)pgsize,
	       (unsigned long long)bytes, pages, best.tables, best.cold_map / pages,
	       best.map / pages, best.unmap / pages, best.lookup / pages, best.map1 / pages,
	       best.unmap1 / pages, mem_ns_4k, entry_ns, best.map / pages / entry_ns,
	       best.unmap / pages / entry_ns);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t bytes = UINT64_C(1) << 30;
	const char *env = getenv("PT_BENCH_BYTES");
	size_t nv, i;
	const struct pt_variant *v = pt_variants(&nv);
	double mem;
	int a, named = 0;

	if (env)
		bytes = strtoull(env, NULL, 0);
	if (getenv("PT_BENCH_REPS"))
		reps = (unsigned int)strtoul(getenv("PT_BENCH_REPS"), NULL, 0);
	if (!reps)
		reps = 1;
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--quick"))
			bytes = UINT64_C(64) << 20;
		else
			named++;
	}
	if (!bytes || (bytes & (bytes - 1)) || bytes < (UINT64_C(4) << 20)) {
		fprintf(stderr, "PT_BENCH_BYTES must be a power of two of at least 4 MiB\n");
		return 2;
	}
	mem = bench_memset();
	for (i = 0; i < nv; i++) {
		uint64_t small, near2m = 0, bm;
		struct iommu_domain *d;
		unsigned int b;

		if (named) {
			bool want = false;

			for (a = 1; a < argc; a++)
				want |= !strcmp(argv[a], v[i].name);
			if (!want)
				continue;
		}
		if (pt_domain_alloc(&v[i].cfg, &d))
			continue;
		bm = d->pgsize_bitmap;
		d->ops->free(d);
		small = bm & -bm;
		for (b = 0; b < 64; b++) {
			uint64_t s = UINT64_C(1) << b;

			if ((bm & s) && s != small && s <= (UINT64_C(2) << 20))
				near2m = s;
		}
		bench_variant(&v[i], small, bytes, mem);
		if (near2m)
			bench_variant(&v[i], near2m, bytes, mem);
	}
	return 0;
}
