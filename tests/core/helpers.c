/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * helpers.c - shared test helpers; see helpers.h.
 *
 * The test domain keeps a flat array of leaf entries. It refuses overlapping maps (EEXIST),
 * misaligned leaves and sizes not in its bitmap (EINVAL) so a core bug that maps twice or
 * maps crooked fails loudly, and can fail the Nth map to exercise all-or-nothing paths.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

int t_ioctl(struct ioasid_ctx *ctx, unsigned long cmd, void *arg)
{
	return ioasid_ioctl(ctx, cmd, arg) ? errno : 0;
}

int t_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *out_id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = t_ioctl(ctx, IOMMU_IOAS_ALLOC, &a);

	if (!rc)
		*out_id = a.out_ioas_id;
	return rc;
}

int t_map(struct ioasid_ctx *ctx, uint32_t ioas, void *buf, uint64_t len, uint64_t *iova,
	  uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = *iova,
	};
	int rc = t_ioctl(ctx, IOMMU_IOAS_MAP, &m);

	if (!rc)
		*iova = m.iova;
	return rc;
}

int t_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len,
	    uint64_t *out_unmapped)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len
	};
	int rc = t_ioctl(ctx, IOMMU_IOAS_UNMAP, &u);

	if (!rc && out_unmapped)
		*out_unmapped = u.length;
	return rc;
}

static uint64_t limit_bytes;

static uint64_t limited_memlock(void *priv)
{
	return *(uint64_t *)priv;
}

static struct ioasid_mem_ops limited_ops;

void t_set_memlock_limit(uint64_t limit_pages)
{
	limit_bytes = limit_pages * IOASID_PAGE_SIZE;
}

struct ioasid_ctx *t_ctx_limited(uint64_t limit_pages, bool cap_sys_resource, uid_t *out_uid,
				 pid_t *out_pid)
{
	static uid_t next_uid = 70000;
	struct ioasid_ctx_params p;
	struct ioasid_ctx *ctx;

	ioasid_ctx_params_self(&p);
	limited_ops = *p.mem;
	limited_ops.memlock_limit = limited_memlock;
	limit_bytes = limit_pages * IOASID_PAGE_SIZE;
	p.mem = &limited_ops;
	p.mem_priv = &limit_bytes;
	p.uid = next_uid++;
	p.pid = (pid_t)(next_uid + 1000000);
	p.cap_ipc_lock = false;
	p.cap_sys_resource = cap_sys_resource;
	assert_int_equal(ioasid_ctx_new(&p, &ctx), 0);
	*out_uid = p.uid;
	*out_pid = p.pid;
	return ctx;
}

/* ---- test domain ----------------------------------------------------------------------- */

static struct tdom *to_tdom(struct iommu_domain *d)
{
	return container_of(d, struct tdom, dom);
}

static struct tdom_entry *tdom_find(struct tdom *d, uint64_t iova)
{
	for (uint64_t i = 0; i < d->nr_entries; i++)
		if (iova >= d->e[i].iova && iova - d->e[i].iova < d->e[i].size)
			return &d->e[i];
	return NULL;
}

static int tdom_map(struct iommu_domain *dom, uint64_t iova, uint64_t paddr, uint64_t pgsize,
		    uint64_t pgcount, int prot, uint64_t *out_mapped)
{
	struct tdom *d = to_tdom(dom);

	*out_mapped = 0;
	if (!(dom->pgsize_bitmap & pgsize) || (iova & (pgsize - 1)) || (paddr & (pgsize - 1)))
		return -EINVAL;
	for (uint64_t n = 0; n < pgcount; n++) {
		if (d->fail_after >= 0 && d->maps >= (uint64_t)d->fail_after)
			return -ENOMEM;
		if (tdom_find(d, iova) || tdom_find(d, iova + pgsize - 1))
			return -EEXIST;
		if (d->nr_entries == d->cap) {
			/* like a table page allocation, this may fail (test_failnth) */
			uint64_t cap = d->cap ? d->cap * 2 : 64;
			struct tdom_entry *e = realloc(d->e, cap * sizeof(*d->e));

			if (!e)
				return -ENOMEM;
			d->e = e;
			d->cap = cap;
		}
		d->e[d->nr_entries++] = (struct tdom_entry){ iova, paddr, pgsize, prot };
		d->maps++;
		iova += pgsize;
		paddr += pgsize;
		*out_mapped += pgsize;
	}
	return 0;
}

static uint64_t tdom_unmap(struct iommu_domain *dom, uint64_t iova, uint64_t pgsize,
			   uint64_t pgcount, struct iommu_gather *g)
{
	struct tdom *d = to_tdom(dom);
	uint64_t done = 0;

	for (uint64_t n = 0; n < pgcount; n++) {
		struct tdom_entry *e = tdom_find(d, iova);

		if (!e || e->iova != iova || e->size != pgsize)
			break;
		*e = d->e[--d->nr_entries];
		d->unmaps++;
		if (iova < g->start)
			g->start = iova;
		if (iova + pgsize - 1 > g->last)
			g->last = iova + pgsize - 1;
		iova += pgsize;
		done += pgsize;
	}
	return done;
}

static void tdom_sync(struct iommu_domain *dom, struct iommu_gather *g)
{
	(void)g;
	to_tdom(dom)->syncs++;
}

static int tdom_iova_to_phys(struct iommu_domain *dom, uint64_t iova, uint64_t *out_pa,
			     uint64_t *out_size, int *out_prot)
{
	struct tdom_entry *e = tdom_find(to_tdom(dom), iova);

	if (!e)
		return -ENOENT;
	*out_pa = e->pa + (iova - e->iova);
	*out_size = e->size;
	*out_prot = e->prot;
	return 0;
}

static void tdom_free_op(struct iommu_domain *dom)
{
	(void)dom;
}

static const struct iommu_domain_ops tdom_ops = {
	.map_pages = tdom_map,
	.unmap_pages = tdom_unmap,
	.iotlb_sync = tdom_sync,
	.iova_to_phys = tdom_iova_to_phys,
	.free = tdom_free_op,
};

struct tdom *tdom_new(uint64_t pgsize_bitmap, uint64_t aperture_start, uint64_t aperture_last)
{
	struct tdom *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->dom.ops = &tdom_ops;
	d->dom.pgsize_bitmap = pgsize_bitmap;
	d->dom.nr_ranges = 1;
	d->dom.ranges[0].start = aperture_start;
	d->dom.ranges[0].last = aperture_last;
	d->fail_after = -1;
	return d;
}

void tdom_free(struct tdom *d)
{
	free(d->e);
	free(d);
}

int tdom_lookup(struct tdom *d, uint64_t iova, uint64_t *out_pa, int *out_prot)
{
	uint64_t size;

	return tdom_iova_to_phys(&d->dom, iova, out_pa, &size, out_prot);
}

uint64_t tdom_mapped_bytes(const struct tdom *d)
{
	uint64_t total = 0;

	for (uint64_t i = 0; i < d->nr_entries; i++)
		total += d->e[i].size;
	return total;
}
