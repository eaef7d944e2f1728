// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_phys.c - emulated physical addresses (src/iommu/phys.h): names, not pointers.
 *
 * The table on its own: a name is never the host pointer, keeps its 1 GiB congruence, a
 * region longer than one ID's span takes consecutive IDs with contiguous names, a name past
 * the region or of a withdrawn region resolves to nothing, IDs are not taken again at once,
 * the ID space runs out with ENOMEM and comes back. Then through a context: what a domain's
 * leaf holds for two pages objects (two regions), DMA that lands in the program's buffer,
 * and a forged, a stale and an out-of-region name written into a leaf: the DMA faults
 * (address size) and the memory is untouched. Last, the models' structure tables: named
 * inside one arena region, no ID each.
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

#include "core/private.h"
#include "ioasid/ioasid.h"
#include "iommu/iommu.h"
#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"
#include "pt/pt_arena.h"

#define PG   4096u
#define IOVA UINT64_C(0x200000)
#define SPAN (UINT64_C(1) << IOMMU_PHYS_SPAN_LG2)

#define OK(expr)       assert_int_equal((expr) ? errno : 0, 0)
#define ERR(err, expr) assert_int_equal((expr) ? errno : 0, (err))

static void test_table(void **state)
{
	static uint8_t mem[3 * PG] __attribute__((aligned(4096)));
	struct iommu_phys_region *a, *b, *c;
	size_t regions0, ids0, regions, ids;
	uint64_t name, name_b;

	(void)state;
	iommu_phys_usage(&regions0, &ids0);
	assert_int_equal(iommu_phys_add(mem, sizeof(mem), IOMMU_PHYS_TEST, mem, &a), 0);
	name = iommu_phys_name(a, 0);
	assert_int_not_equal(name, (uintptr_t)mem);
	assert_true(name >> IOMMU_PHYS_SPAN_LG2 != 0); /* ID 0 is never a region */
	assert_true(name < (UINT64_C(1) << IOMMU_PHYS_NAME_BITS));
	/* the congruence modulo 1 GiB of the host address: leaves up to 1 GiB fit as before */
	assert_int_equal(name & ((UINT64_C(1) << IOMMU_PHYS_ALIGN_LG2) - 1),
			 (uintptr_t)mem & ((UINT64_C(1) << IOMMU_PHYS_ALIGN_LG2) - 1));
	assert_ptr_equal(iommu_phys_resolve(name, 1), mem);
	assert_ptr_equal(iommu_phys_resolve(name + PG + 7, 8), mem + PG + 7);
	assert_ptr_equal(iommu_phys_resolve(name, sizeof(mem)), mem);
	assert_ptr_equal(iommu_phys_region_of(name + 5), a);
	/* past the end, across the end, before the start, 0, beyond the name bits */
	assert_null(iommu_phys_resolve(name + sizeof(mem), 1));
	assert_null(iommu_phys_resolve(name + sizeof(mem) - 4, 8));
	assert_null(iommu_phys_resolve(name, sizeof(mem) + 1));
	if (name & (SPAN - 1))
		assert_null(iommu_phys_resolve(name - 1, 1));
	assert_null(iommu_phys_resolve(0, 1));
	assert_null(iommu_phys_resolve((uintptr_t)mem, 1));
	assert_null(iommu_phys_resolve(name | UINT64_C(1) << IOMMU_PHYS_NAME_BITS, 1));
	assert_null(iommu_phys_resolve(UINT64_MAX, 1));

	/* a second region: another ID, never overlapping */
	assert_int_equal(iommu_phys_add(mem + PG, PG, IOMMU_PHYS_TEST, NULL, &b), 0);
	name_b = iommu_phys_name(b, 0);
	assert_int_not_equal(name_b >> IOMMU_PHYS_SPAN_LG2, name >> IOMMU_PHYS_SPAN_LG2);
	assert_ptr_equal(iommu_phys_resolve(name_b, PG), mem + PG);
	assert_null(iommu_phys_resolve(name_b + PG, 1));

	/* withdrawn: nothing resolves, and the next region takes other IDs */
	iommu_phys_withdraw(a);
	assert_null(iommu_phys_resolve(name, 1));
	assert_null(iommu_phys_region_of(name));
	assert_int_equal(iommu_phys_add(mem, PG, IOMMU_PHYS_TEST, NULL, &c), 0);
	assert_int_not_equal(iommu_phys_name(c, 0) >> IOMMU_PHYS_SPAN_LG2,
			     name >> IOMMU_PHYS_SPAN_LG2);
	assert_null(iommu_phys_resolve(name, 1));
	iommu_phys_withdraw(b);
	iommu_phys_withdraw(c);
	iommu_phys_withdraw(NULL);
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(regions, regions0);
	assert_int_equal(ids, ids0);

	/* bad lengths */
	assert_int_equal(iommu_phys_add(mem, 0, IOMMU_PHYS_TEST, NULL, &a), -EINVAL);
	assert_int_equal(
		iommu_phys_add(mem, UINT64_C(1) << IOMMU_PHYS_NAME_BITS, IOMMU_PHYS_TEST, NULL, &a),
		-EINVAL);
}

/* A region over several spans: consecutive IDs, one contiguous run of names. */
static void test_multi_span(void **state)
{
	/* address space only: names are checked, the memory is never touched */
	uint8_t *host = (uint8_t *)(uintptr_t)(UINT64_C(0x7f1234567000));
	uint64_t len = 3 * SPAN + 0x5000, name;
	struct iommu_phys_region *r;

	(void)state;
	assert_int_equal(iommu_phys_add(host, len, IOMMU_PHYS_TEST, NULL, &r), 0);
	name = iommu_phys_name(r, 0);
	assert_true(r->nr_ids >= 4);
	for (uint64_t off = 0; off < len; off += SPAN / 2)
		assert_ptr_equal(iommu_phys_resolve(name + off, 1), host + off);
	/* a piece across an ID boundary inside the region resolves whole */
	{
		uint64_t edge = SPAN - (name & (SPAN - 1));

		assert_ptr_equal(iommu_phys_resolve(name + edge - 8, 16), host + edge - 8);
	}
	assert_ptr_equal(iommu_phys_resolve(name + len - 1, 1), host + len - 1);
	assert_null(iommu_phys_resolve(name + len, 1));
	assert_int_equal(name & ((UINT64_C(1) << IOMMU_PHYS_ALIGN_LG2) - 1),
			 (uintptr_t)host & ((UINT64_C(1) << IOMMU_PHYS_ALIGN_LG2) - 1));
	iommu_phys_withdraw(r);
	assert_null(iommu_phys_resolve(name + SPAN, 1));
}

/* The ID space runs out with ENOMEM, and every ID comes back. */
static void test_exhaust(void **state)
{
	static uint8_t byte;
	struct iommu_phys_region **rs = calloc(IOMMU_PHYS_NR_IDS, sizeof(*rs));
	size_t n = 0, regions0, ids0, regions, ids;
	int rc;

	(void)state;
	assert_non_null(rs);
	iommu_phys_usage(&regions0, &ids0);
	/* residue-free: one byte at the same host address takes one ID of each residue class */
	while ((rc = iommu_phys_add(&byte, 1, IOMMU_PHYS_TEST, NULL, &rs[n])) == 0)
		n++;
	assert_int_equal(rc, -ENOMEM);
	/* IDs congruent to the address's residue modulo 4 only: about a quarter of them */
	assert_true(n + 2 >= (IOMMU_PHYS_NR_IDS - ids0) / 4);
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(regions, regions0 + n);
	while (n)
		iommu_phys_withdraw(rs[--n]);
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(regions, regions0);
	assert_int_equal(ids, ids0);
	assert_int_equal(iommu_phys_add(&byte, 1, IOMMU_PHYS_TEST, NULL, &rs[0]), 0);
	iommu_phys_withdraw(rs[0]);
	free(rs);
}

/* A host address of residue i mod 4 (in 256 MiB spans): regions that are never touched. */
static void *fake_host(size_t i)
{
	return (void *)(uintptr_t)(((uint64_t)(i & 3) << IOMMU_PHYS_SPAN_LG2) + 4096);
}

/*
 * The daemon's table is shared (iommu_phys_set_shared): user A takes one-ID regions until
 * refused, and holds then about half of what was free, no more than stays free; user B still
 * gets about half of the rest; every ID comes back. Unshared (in-process), A takes more.
 */
static void test_fair_share(void **state)
{
	struct iommu_phys_region **rs = calloc(IOMMU_PHYS_NR_IDS, sizeof(*rs));
	const int64_t A = 4000001, B = 4000002;
	size_t n = 0, m = 0, k = 0, regions0, ids0, regions, ids, free0;
	int rc;

	(void)state;
	assert_non_null(rs);
	iommu_phys_usage(&regions0, &ids0);
	free0 = IOMMU_PHYS_NR_IDS - 1 - ids0;
	iommu_phys_set_shared(true);
	while ((rc = iommu_phys_add_charged(fake_host(n), 1, IOMMU_PHYS_TEST, NULL, A, &rs[n])) ==
	       0)
		n++;
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(iommu_phys_user_ids(A), n);
	iommu_phys_usage(&regions, &ids);
	assert_true(n <= IOMMU_PHYS_NR_IDS - 1 - ids); /* no more than stays free */
	assert_true(n + 2 >= free0 / 2);	       /* refused by the share, not the table */
	while (iommu_phys_add_charged(fake_host(n + m), 1, IOMMU_PHYS_TEST, NULL, B, &rs[n + m]) ==
	       0)
		m++;
	assert_true(m + 2 >= (free0 - n) / 2);
	assert_true(m > 0);
	assert_int_equal(iommu_phys_user_ids(B), m);
	assert_int_equal(iommu_phys_user_ids(A), n); /* B's adds did not touch A's count */
	for (size_t i = 0; i < n + m; i++)
		iommu_phys_withdraw(rs[i]);
	assert_int_equal(iommu_phys_user_ids(A), 0);
	assert_int_equal(iommu_phys_user_ids(B), 0);
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(regions, regions0);
	assert_int_equal(ids, ids0);
	/* one user of an unshared table (in-process) may take past the share */
	iommu_phys_set_shared(false);
	while (iommu_phys_add_charged(fake_host(k), 1, IOMMU_PHYS_TEST, NULL, A, &rs[k]) == 0)
		k++;
	assert_true(k + 8 >= free0);
	while (k)
		iommu_phys_withdraw(rs[--k]);
	assert_int_equal(iommu_phys_user_ids(A), 0);
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(ids, ids0);
	free(rs);
}

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, hwpt;
	uint8_t *buf[2];
};

static void map(struct fix *f, uint8_t *buf, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = f->ioas,
		.user_va = (uintptr_t)buf,
		.length = PG,
		.iova = iova,
	};

	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
}

static void unmap(struct fix *f, uint64_t iova)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = f->ioas, .iova = iova, .length = PG
	};

	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_UNMAP, &u));
}

static void fix_open(struct fix *f)
{
	struct ioasid_device_desc desc = { .format = "x86_64-4" };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	memset(f, 0, sizeof(*f));
	OK(ioasid_ctx_new(NULL, &f->ctx));
	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a));
	f->ioas = a.out_ioas_id;
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(posix_memalign((void **)&f->buf[i], PG, PG), 0);
		memset(f->buf[i], 'a' + (int)i, PG);
	}
	OK(ioasid_device_new(f->ctx, &desc, &f->dev));
	OK(ioasid_device_attach(f->ctx, f->dev, f->ioas, &f->hwpt));
}

static void fix_close(struct fix *f)
{
	ioasid_ctx_free(f->ctx);
	free(f->buf[0]);
	free(f->buf[1]);
}

/* The attached HWPT's domain (the test writes leaves of its own into it). */
static struct iommu_domain *domain_of(struct fix *f)
{
	struct hwpt_paging *h = hwpt_paging_get(f->ctx, f->hwpt);
	struct iommu_domain *d;

	assert_non_null(h);
	d = h->domain;
	obj_put(&h->obj);
	return d;
}

static uint64_t leaf_pa(struct iommu_domain *d, uint64_t iova)
{
	uint64_t pa, size;
	int prot;

	assert_int_equal(d->ops->iova_to_phys(d, iova, &pa, &size, &prot), 0);
	return pa;
}

/* Write a leaf naming pa at iova straight into the domain, under the context's lock. */
static void forge(struct fix *f, struct iommu_domain *d, uint64_t iova, uint64_t pa)
{
	uint64_t mapped;

	pthread_mutex_lock(&f->ctx->lock);
	assert_int_equal(pt_map_range(d, iova, pa, PG, IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
			 0);
	pthread_mutex_unlock(&f->ctx->lock);
}

static void unforge(struct fix *f, struct iommu_domain *d, uint64_t iova)
{
	struct iommu_gather g;

	pthread_mutex_lock(&f->ctx->lock);
	iommu_gather_init(&g);
	assert_int_equal(pt_unmap_range(d, iova, PG, &g), PG);
	d->ops->iotlb_sync(d, &g);
	pthread_mutex_unlock(&f->ctx->lock);
}

/* A DMA at iova faults with an address-size fault and moves no byte. */
static void dma_faults(struct fix *f, uint64_t iova, const uint8_t *guard, uint8_t fill)
{
	struct ioasid_dma_fault flt;
	uint8_t out[64];

	memset(out, 0x5a, sizeof(out));
	ERR(EFAULT, ioasid_device_dma_pasid(f->ctx, f->dev, 0, iova, out, sizeof(out), 0, &flt));
	assert_int_equal(flt.type, IOASID_DMA_FAULT_ADDR_SIZE);
	assert_int_equal(flt.addr, iova);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x5a);
	ERR(EFAULT, ioasid_device_dma_pasid(f->ctx, f->dev, 0, iova, out, sizeof(out),
					    IOASID_DMA_WRITE, &flt));
	assert_int_equal(flt.type, IOASID_DMA_FAULT_ADDR_SIZE);
	if (guard)
		for (size_t i = 0; i < PG; i++)
			assert_int_equal(guard[i], fill);
}

/* The fixture with buf[0] mapped at IOVA and buf[1] at IOVA + PG: its domain. */
static struct iommu_domain *fix_open_mapped(struct fix *f)
{
	fix_open(f);
	map(f, f->buf[0], IOVA);
	map(f, f->buf[1], IOVA + PG);
	return domain_of(f);
}

/* What the leaves hold for two pages objects, and DMA that lands through them. */
static void test_leaves_and_dma(void **state)
{
	struct iommu_domain *d;
	uint64_t pa0, pa1;
	uint8_t out[16];
	struct fix f;

	(void)state;
	d = fix_open_mapped(&f);
	pa0 = leaf_pa(d, IOVA + 16);
	pa1 = leaf_pa(d, IOVA + PG + 16);
	/* names, not pointers: each in its own region, resolving to the program's page */
	assert_int_not_equal(pa0, (uintptr_t)f.buf[0] + 16);
	assert_int_not_equal(pa1, (uintptr_t)f.buf[1] + 16);
	assert_int_not_equal(pa0 >> IOMMU_PHYS_SPAN_LG2, pa1 >> IOMMU_PHYS_SPAN_LG2);
	assert_ptr_not_equal(iommu_phys_region_of(pa0), iommu_phys_region_of(pa1));
	assert_int_equal(iommu_phys_region_of(pa0)->kind, IOMMU_PHYS_PAGES);
	assert_ptr_equal(iommu_phys_resolve(pa0, 1), f.buf[0] + 16);
	assert_ptr_equal(iommu_phys_resolve(pa1, 1), f.buf[1] + 16);
	/* the device's DMA lands in the program's buffer, across both objects */
	memset(out, 'Z', sizeof(out));
	OK(ioasid_device_dma(f.ctx, f.dev, IOVA + PG - 8, out, sizeof(out), true));
	assert_memory_equal(f.buf[0] + PG - 8, "ZZZZZZZZ", 8);
	assert_memory_equal(f.buf[1], "ZZZZZZZZ", 8);
	memset(out, 0, sizeof(out));
	OK(ioasid_device_dma(f.ctx, f.dev, IOVA + PG - 4, out, 8, false));
	assert_memory_equal(out, "ZZZZZZZZ", 8);
	fix_close(&f);
}

/* Names that do not name memory fault; they never reach it. */
static void test_forged_and_stale(void **state)
{
	struct iommu_domain *d;
	uint64_t pa0, stale;
	struct fix f;

	(void)state;
	d = fix_open_mapped(&f);
	pa0 = leaf_pa(d, IOVA) & ~(uint64_t)(PG - 1);
	stale = leaf_pa(d, IOVA + PG) & ~(uint64_t)(PG - 1);

	/* the host pointer itself, as a leaf held before: no region there */
	forge(&f, d, IOVA + 4 * PG, (uintptr_t)f.buf[1]);
	dma_faults(&f, IOVA + 4 * PG, f.buf[1], 'b');
	unforge(&f, d, IOVA + 4 * PG);
	/* a name one page past a one-page region (the same ID) */
	forge(&f, d, IOVA + 4 * PG, pa0 + PG);
	dma_faults(&f, IOVA + 4 * PG, NULL, 0);
	unforge(&f, d, IOVA + 4 * PG);
	/* an ID no region holds */
	{
		uint32_t id = IOMMU_PHYS_NR_IDS - 1;

		while (iommu_phys_slots[id])
			id--;
		forge(&f, d, IOVA + 4 * PG, (uint64_t)id << IOMMU_PHYS_SPAN_LG2);
	}
	dma_faults(&f, IOVA + 4 * PG, NULL, 0);
	unforge(&f, d, IOVA + 4 * PG);

	/* stale: the second object unmapped (its leaf flushed, its region withdrawn) */
	unmap(&f, IOVA + PG);
	assert_null(iommu_phys_resolve(stale, 1));
	forge(&f, d, IOVA + 4 * PG, stale);
	dma_faults(&f, IOVA + 4 * PG, f.buf[1], 'b');
	unforge(&f, d, IOVA + 4 * PG);
	/* the first object is still there */
	{
		uint8_t b = 0;

		OK(ioasid_device_dma(f.ctx, f.dev, IOVA + 3, &b, 1, false));
		assert_int_equal(b, 'a');
	}
	fix_close(&f);
	assert_null(iommu_phys_resolve(pa0, 1));
}

/*
 * A table address is a name too: the walk from the domain's root (a name of the arena)
 * translates, the same walk from the root's host pointer, or from a name past the arena's
 * mapped part, faults with address size at the top level instead of reading there.
 */
static void test_table_names(void **state)
{
	struct iommu_domain *d;
	struct pt_walk_result r;
	uint64_t root, *host, mapped;
	static uint8_t page[PG] __attribute__((aligned(4096)));
	struct iommu_phys_region *pr;

	(void)state;
	assert_int_equal(pt_domain_alloc(&pt_variant_find("x86_64-4")->cfg, &d), 0);
	assert_int_equal(iommu_phys_add(page, PG, IOMMU_PHYS_TEST, NULL, &pr), 0);
	assert_int_equal(
		pt_map_range(d, IOVA, iommu_phys_name(pr, 0), PG, IOMMU_PROT_READ, &mapped), 0);
	root = pt_domain_root_pa(d);
	host = iommu_phys_resolve(root, PG);
	assert_non_null(host);
	assert_int_not_equal(root, (uintptr_t)host);
	assert_int_equal(iommu_phys_region_of(root)->kind, IOMMU_PHYS_ARENA);
	assert_int_equal(pt_translate(d, NULL, root, IOVA + 5, PT_ACC_READ, false, &r), 0);
	assert_int_equal(r.oa, iommu_phys_name(pr, 5));
	assert_int_equal(pt_translate(d, NULL, PT_ROOT_OWN, IOVA + 5, PT_ACC_READ, false, &r), 0);
	assert_int_equal(pt_translate(d, NULL, (uintptr_t)host, IOVA + 5, PT_ACC_READ, false, &r),
			 -EFAULT);
	assert_int_equal(r.fault, PT_FAULT_ADDR_SIZE);
	assert_int_equal(r.level, 3);
	assert_int_equal(pt_translate(d, NULL,
				      pt_arena_base_pa(pt_domain_arena(d)) +
					      pt_arena_size(pt_domain_arena(d)),
				      IOVA + 5, PT_ACC_READ, false, &r),
			 -EFAULT);
	assert_int_equal(r.fault, PT_FAULT_ADDR_SIZE);
	d->ops->free(d);
	iommu_phys_withdraw(pr);
}

/*
 * The models' structures (iommu_ctx_table_alloc, hwctx.c): a thousand tables take no region
 * ID of their own; each one's name resolves to it in the structure arena's region, is not its
 * pointer, and everything goes back.
 */
static const struct iommu_hwctx_ops nop_ops = { .name = "test" };

/*
 * The structure arena is shared fairly too: once the table is shared, user A's devices take
 * 2 MiB tables until refused and hold then no more than stays free (about half); user B still
 * gets tables; freeing the devices gives every page's charge back.
 */
static void test_ctx_fair_share(void **state)
{
	enum { MAXT = 512 };
	uint64_t **ta = calloc(MAXT, sizeof(*ta)), **tb = calloc(MAXT, sizeof(*tb));
	const uint64_t cap = IOMMU_CTX_ARENA_BYTES >> 12, chunk = (2u << 20) >> 12;
	const int64_t A = 4000011, B = 4000012;
	struct iommu_hwctx *ha, *hb;
	size_t na = 0, nb = 0;
	uint64_t live0, live;

	(void)state;
	assert_non_null(ta);
	assert_non_null(tb);
	assert_non_null(iommu_ctx_arena());
	live0 = pt_arena_live_bytes(iommu_ctx_arena()) >> 12;
	ha = iommu_hwctx_alloc(sizeof(*ha), &nop_ops, 0);
	hb = iommu_hwctx_alloc(sizeof(*hb), &nop_ops, 0);
	assert_non_null(ha);
	assert_non_null(hb);
	assert_true(ha->uid == IOMMU_PHYS_UNCHARGED); /* until its maker says */
	ha->uid = A;
	hb->uid = B;
	iommu_phys_set_shared(true);
	while (na < MAXT && (ta[na] = iommu_ctx_table_alloc_for(ha, 2u << 20)))
		na++;
	assert_true(na < MAXT);
	assert_int_equal(iommu_ctx_user_pages(A), na * chunk);
	assert_int_equal(ha->charged_pages, na * chunk);
	live = pt_arena_live_bytes(iommu_ctx_arena()) >> 12;
	assert_true(na * chunk <= cap - live);		      /* no more than stays free */
	assert_true((na + 2) * chunk * 2 >= cap - live0 - 2); /* refused by the share */
	while (nb < MAXT && (tb[nb] = iommu_ctx_table_alloc_for(hb, 2u << 20)))
		nb++;
	assert_true(nb > 0);
	assert_int_equal(iommu_ctx_user_pages(B), nb * chunk);
	iommu_phys_set_shared(false);
	while (na)
		iommu_ctx_table_free(ta[--na]);
	while (nb)
		iommu_ctx_table_free(tb[--nb]);
	iommu_hwctx_free(ha);
	iommu_hwctx_free(hb);
	assert_int_equal(iommu_ctx_user_pages(A), 0);
	assert_int_equal(iommu_ctx_user_pages(B), 0);
	assert_int_equal(pt_arena_live_bytes(iommu_ctx_arena()) >> 12, live0);
	free(ta);
	free(tb);
}

static void test_ctx_tables(void **state)
{
	enum { NT = 1000 };
	uint64_t **t = calloc(NT, sizeof(*t));
	size_t regions0, ids0, regions, ids, pages0;
	const struct iommu_phys_region *arena;

	(void)state;
	assert_non_null(t);
	assert_non_null(iommu_ctx_arena());
	arena = pt_arena_region(iommu_ctx_arena());
	iommu_phys_usage(&regions0, &ids0);
	pages0 = pt_arena_live_pages(iommu_ctx_arena());
	for (size_t i = 0; i < NT; i++) {
		uint64_t name;

		t[i] = iommu_ctx_table_alloc(PG);
		assert_non_null(t[i]);
		name = iommu_ctx_name(t[i]);
		assert_int_not_equal(name, (uintptr_t)t[i]);
		assert_ptr_equal(iommu_phys_resolve(name, PG), t[i]);
		assert_ptr_equal(iommu_phys_region_of(name), arena);
		assert_ptr_equal(iommu_ctx_host(name, PG), t[i]);
	}
	iommu_phys_usage(&regions, &ids);
	assert_int_equal(regions, regions0);
	assert_int_equal(ids, ids0);
	/* the owner's way back refuses what is not a live table of the arena */
	assert_null(iommu_ctx_host((uintptr_t)t[0], 8));
	iommu_ctx_table_free(t[NT - 1]);
	assert_null(iommu_ctx_host(iommu_ctx_name(t[0]) + (uint64_t)(t[NT - 1] - t[0]) * 8, 8));
	for (size_t i = 0; i + 1 < NT; i++)
		iommu_ctx_table_free(t[i]);
	assert_int_equal(pt_arena_live_pages(iommu_ctx_arena()), pages0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	       cmocka_unit_test(test_multi_span),
		cmocka_unit_test(test_exhaust),	       cmocka_unit_test(test_fair_share),
		cmocka_unit_test(test_leaves_and_dma), cmocka_unit_test(test_forged_and_stale),
		cmocka_unit_test(test_table_names),    cmocka_unit_test(test_ctx_tables),
		cmocka_unit_test(test_ctx_fair_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
