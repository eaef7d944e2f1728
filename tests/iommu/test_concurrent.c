// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_concurrent.c - DMA from one thread while another maps, unmaps and remaps, checked
 * against a shadow model. Also built with ThreadSanitizer by run-tsan.sh.
 *
 * The shadow: NSLOTS IOVA pages; slot i is either unmapped or mapped to page i of buffer A
 * or of buffer B, whose bytes name the buffer and the slot. The mapper thread bumps slot i's
 * version to odd before changing it and to even after (seq_cst). The DMA thread reads the
 * version before and after each DMA of slot i: when both reads agree and are even, the slot
 * did not change during the DMA, so the DMA must have seen exactly the shadow's state: the
 * right buffer's bytes (a stale IOTLB entry after a remap would show the other buffer), or a
 * not-present fault when unmapped. Whatever the versions, a successful DMA must return one
 * of the two pages of that slot, never anything else.
 *
 * The nested variant: a guest edits its stage-1 table (x86-64, in memory a VT-d second stage
 * maps) and invalidates each change, as IOMMU_HWPT_INVALIDATE would, while another thread
 * translates through the nested translation. A translation whose slot did not change while
 * it ran (the change and its invalidation both before it) must match the shadow.
 *
 * Nested HWPT objects: a device replaced between a VT-d nested HWPT and its parent (with
 * detach/attach and IOMMU_HWPT_INVALIDATE between) while another thread DMAs: every DMA
 * sees the parent's page or the one the guest's stage 1 names, or faults.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <cmocka.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"
#include "iommu/iommu.h"
#include "iommu/phys.h"
#include "pt/pt.h"

#define PG	   4096u
#define NSLOTS	   64u
#define IOVA_BASE  UINT64_C(0x40000000)
#define ITERATIONS 20000u

struct shared {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev;
	uint8_t *buf[2];
	uint32_t version[NSLOTS]; /* odd: changing */
	uint32_t state[NSLOTS];	  /* 0 unmapped, 1 buffer A, 2 buffer B */
	uint32_t stop;
	uint64_t checked, faults, errors;
};

static uint8_t pattern(unsigned int which, unsigned int slot)
{
	return (uint8_t)(0x11 * (which + 1) + slot * 2);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int do_map(struct shared *sh, unsigned int slot, unsigned int which)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = sh->ioas,
		.user_va = (uintptr_t)(sh->buf[which] + (size_t)slot * PG),
		.length = PG,
		.iova = IOVA_BASE + (uint64_t)slot * PG,
	};

	return ioasid_ioctl(sh->ctx, IOMMU_IOAS_MAP, &m);
}

static int do_unmap(struct shared *sh, unsigned int slot)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = sh->ioas,
		.iova = IOVA_BASE + (uint64_t)slot * PG,
		.length = PG,
	};

	return ioasid_ioctl(sh->ctx, IOMMU_IOAS_UNMAP, &u);
}

static void *mapper(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (unsigned int it = 0; it < ITERATIONS; it++) {
		unsigned int slot = (unsigned int)(rnd(&seed) % NSLOTS);
		uint32_t st = __atomic_load_n(&sh->state[slot], __ATOMIC_RELAXED);
		uint32_t next = (uint32_t)(rnd(&seed) % 3);
		int rc = 0;

		__atomic_add_fetch(&sh->version[slot], 1, __ATOMIC_SEQ_CST);
		if (st && (next != st))
			rc |= do_unmap(sh, slot);
		if (next && next != st)
			rc |= do_map(sh, slot, next - 1);
		__atomic_store_n(&sh->state[slot], next, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sh->version[slot], 1, __ATOMIC_SEQ_CST);
		if (rc)
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *dma(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = 12345;
	uint8_t out[64];

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		unsigned int slot = (unsigned int)(rnd(&seed) % NSLOTS);
		unsigned int off = (unsigned int)(rnd(&seed) % (PG - sizeof(out)));
		uint32_t v1 = __atomic_load_n(&sh->version[slot], __ATOMIC_SEQ_CST);
		uint32_t st = __atomic_load_n(&sh->state[slot], __ATOMIC_SEQ_CST);
		struct ioasid_dma_fault f;
		uint32_t v2;
		int rc = ioasid_device_dma_pasid(sh->ctx, sh->dev, 0,
						 IOVA_BASE + (uint64_t)slot * PG + off, out,
						 sizeof(out), 0, &f);
		int seen = -1;

		v2 = __atomic_load_n(&sh->version[slot], __ATOMIC_SEQ_CST);
		if (!rc) {
			for (unsigned int w = 0; w < 2; w++)
				if (out[0] == pattern(w, slot) &&
				    !memcmp(out, sh->buf[w] + (size_t)slot * PG + off, sizeof(out)))
					seen = (int)w + 1;
			if (seen < 0)
				__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		} else if (errno != EFAULT || f.type != IOASID_DMA_FAULT_NOT_PRESENT) {
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		}
		if (v1 == v2 && !(v1 & 1)) {
			sh->checked++;
			if ((st == 0 && !rc) || (st != 0 && (rc || seen != (int)st)))
				__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		}
		if (rc)
			sh->faults++;
	}
	return NULL;
}

static void test_dma_while_mapping(void **state)
{
	struct ioasid_device_desc desc = { .format = "x86_64-4" };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct shared sh = { 0 };
	pthread_t t1, t2;
	uint32_t hwpt;

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &sh.ctx), 0);
	assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_IOAS_ALLOC, &a), 0);
	sh.ioas = a.out_ioas_id;
	for (unsigned int w = 0; w < 2; w++) {
		assert_int_equal(posix_memalign((void **)&sh.buf[w], PG, (size_t)NSLOTS * PG), 0);
		for (unsigned int i = 0; i < NSLOTS; i++)
			memset(sh.buf[w] + (size_t)i * PG, pattern(w, i), PG);
	}
	assert_int_equal(ioasid_device_new(sh.ctx, &desc, &sh.dev), 0);
	assert_int_equal(ioasid_device_attach(sh.ctx, sh.dev, sh.ioas, &hwpt), 0);
	assert_int_equal(pthread_create(&t1, NULL, mapper, &sh), 0);
	assert_int_equal(pthread_create(&t2, NULL, dma, &sh), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	print_message("checked %llu DMAs against the shadow, %llu faults\n",
		      (unsigned long long)sh.checked, (unsigned long long)sh.faults);
	assert_int_equal(sh.errors, 0);
	assert_true(sh.checked > 0);
	ioasid_ctx_free(sh.ctx);
	free(sh.buf[0]);
	free(sh.buf[1]);
}

/* Attach, replace and detach while DMA runs: every DMA lands in the attached IOAS or faults. */
static void *attacher(void *arg)
{
	struct shared *sh = arg;
	uint32_t ioas2 = sh->state[0]; /* the second IOAS, passed by the test */
	uint32_t hwpt;

	for (unsigned int it = 0; it < 300; it++) {
		uint32_t target = (it & 1) ? ioas2 : sh->ioas;

		if (it % 7 == 3) {
			if (ioasid_device_detach(sh->ctx, sh->dev) ||
			    ioasid_device_attach(sh->ctx, sh->dev, target, &hwpt))
				__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		} else if (ioasid_device_replace(sh->ctx, sh->dev, target, &hwpt)) {
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *dma_any(void *arg)
{
	struct shared *sh = arg;
	uint8_t out[16];

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		int rc = ioasid_device_dma_pasid(sh->ctx, sh->dev, 0, IOVA_BASE + 8, out,
						 sizeof(out), 0, NULL);

		if (!rc && out[0] != pattern(0, 0) && out[0] != pattern(1, 0))
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		if (rc && errno != EFAULT && errno != ENODEV)
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		sh->checked++;
	}
	return NULL;
}

/* *state: the device's format (each model's structures rewritten under DMA) */
static void test_dma_while_attaching(void **state)
{
	struct ioasid_device_desc desc = { .format = *state ? *state : "vtd-ss-4" };
	struct shared sh = { 0 };
	pthread_t t1, t2;
	uint32_t hwpt, ioas[2];

	assert_int_equal(ioasid_ctx_new(NULL, &sh.ctx), 0);
	for (unsigned int w = 0; w < 2; w++) {
		struct iommu_ioas_alloc a = { .size = sizeof(a) };

		assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_IOAS_ALLOC, &a), 0);
		ioas[w] = a.out_ioas_id;
		assert_int_equal(posix_memalign((void **)&sh.buf[w], PG, PG), 0);
		memset(sh.buf[w], pattern(w, 0), PG);
	}
	for (unsigned int w = 0; w < 2; w++) {
		sh.ioas = ioas[w];
		assert_int_equal(do_map(&sh, 0, w), 0);
	}
	sh.ioas = ioas[0];
	sh.state[0] = ioas[1];
	assert_int_equal(ioasid_device_new(sh.ctx, &desc, &sh.dev), 0);
	assert_int_equal(ioasid_device_attach(sh.ctx, sh.dev, sh.ioas, &hwpt), 0);
	assert_int_equal(pthread_create(&t1, NULL, attacher, &sh), 0);
	assert_int_equal(pthread_create(&t2, NULL, dma_any, &sh), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(sh.errors, 0);
	ioasid_ctx_free(sh.ctx);
	free(sh.buf[0]);
	free(sh.buf[1]);
}

/*
 * Nested HWPT objects: replace between a VT-d nested HWPT and its parent (and detach, attach,
 * the user's invalidation) while DMA runs. At IOVA_BASE the parent maps buffer 0, the guest's
 * stage 1 maps buffer 1 (through stage 2): every DMA sees one of them, or faults.
 */
static void *nest_attacher(void *arg)
{
	struct shared *sh = arg;
	uint32_t parent = sh->state[0], nested = sh->state[1];
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = IOVA_BASE, .npages = 1 };
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c),
		.hwpt_id = nested,
		.data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv),
	};

	for (unsigned int it = 0; it < 300; it++) {
		uint32_t target = (it & 1) ? nested : parent;

		c.entry_num = 1;
		if (ioasid_ioctl(sh->ctx, IOMMU_HWPT_INVALIDATE, &c))
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		if (it % 7 == 3) {
			if (ioasid_device_detach(sh->ctx, sh->dev) ||
			    ioasid_device_attach(sh->ctx, sh->dev, target, NULL))
				__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		} else if (ioasid_device_replace(sh->ctx, sh->dev, target, NULL)) {
			__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_dma_while_nesting(void **state)
{
	const uint64_t tables = UINT64_C(0x100000), g1 = UINT64_C(0x200000), b = 7; /* P RW US */
	struct iommu_hwpt_alloc pa = { .size = sizeof(pa), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = tables, .addr_width = 48 };
	struct iommu_hwpt_alloc na = { .size = sizeof(na) };
	struct ioasid_device_desc desc = { .format = "vtd-ss-4" };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct shared sh = { 0 };
	uint64_t *t = NULL;
	pthread_t t1, t2;

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &sh.ctx), 0);
	assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_IOAS_ALLOC, &ia), 0);
	sh.ioas = ia.out_ioas_id;
	for (unsigned int w = 0; w < 2; w++) {
		assert_int_equal(posix_memalign((void **)&sh.buf[w], PG, PG), 0);
		memset(sh.buf[w], pattern(w, 0), PG);
	}
	assert_int_equal(posix_memalign((void **)&t, PG, 4 * PG), 0);
	memset(t, 0, 4 * PG);
	/* the guest's table: IOVA_BASE (1G) -> g1 */
	t[0] = (tables + PG) | b;
	t[512 + 1] = (tables + 2 * PG) | b;
	t[1024] = (tables + 3 * PG) | b;
	t[1536] = g1 | b;
	assert_int_equal(do_map(&sh, 0, 0), 0); /* IOVA_BASE -> buffer 0 */
	{
		struct iommu_ioas_map m = { .size = sizeof(m),
					    .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
						     IOMMU_IOAS_MAP_READABLE |
						     IOMMU_IOAS_MAP_WRITEABLE,
					    .ioas_id = sh.ioas };

		m.user_va = (uintptr_t)sh.buf[1], m.length = PG, m.iova = g1;
		assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_IOAS_MAP, &m), 0);
		m.user_va = (uintptr_t)t, m.length = 4 * PG, m.iova = tables;
		assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_IOAS_MAP, &m), 0);
	}
	assert_int_equal(ioasid_device_new(sh.ctx, &desc, &sh.dev), 0);
	pa.dev_id = sh.dev;
	pa.pt_id = sh.ioas;
	assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_HWPT_ALLOC, &pa), 0);
	na.dev_id = sh.dev;
	na.pt_id = pa.out_hwpt_id;
	na.data_type = IOMMU_HWPT_DATA_VTD_S1;
	na.data_len = sizeof(s1);
	na.data_uptr = (uintptr_t)&s1;
	assert_int_equal(ioasid_ioctl(sh.ctx, IOMMU_HWPT_ALLOC, &na), 0);
	sh.state[0] = pa.out_hwpt_id;
	sh.state[1] = na.out_hwpt_id;
	assert_int_equal(ioasid_device_attach(sh.ctx, sh.dev, na.out_hwpt_id, NULL), 0);
	{
		uint8_t out[16];

		assert_int_equal(ioasid_device_dma(sh.ctx, sh.dev, IOVA_BASE, out, 1, false), 0);
		assert_int_equal(out[0], pattern(1, 0)); /* through the guest's stage 1 */
	}
	assert_int_equal(pthread_create(&t1, NULL, nest_attacher, &sh), 0);
	assert_int_equal(pthread_create(&t2, NULL, dma_any, &sh), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(sh.errors, 0);
	ioasid_ctx_free(sh.ctx);
	free(sh.buf[0]);
	free(sh.buf[1]);
	free(t);
}

/* ---- nested: guest table edits + invalidations vs translations ---------------------- */

#define G_BASE UINT64_C(0x100000)
#define G_SIZE UINT64_C(0x100000)
#define G_IOVA UINT64_C(0x80000000)

struct nshared {
	struct iommu_domain *s2;
	struct iommu_xlate *x;
	uint8_t *ram;
	struct iommu_phys_region *ram_region;
	uint64_t ram_pa; /* ram's emulated physical address (iommu/phys.h) */
	uint64_t *leaf;	 /* the stage-1 leaf table: slot i maps G_IOVA + i * PG */
	uint64_t target[NSLOTS][2];
	uint32_t version[NSLOTS];
	uint32_t state[NSLOTS];
	uint32_t stop;
	uint64_t checked, errors;
};

static uint64_t *g(struct nshared *n, uint64_t gpa)
{
	return (uint64_t *)(n->ram + (gpa - G_BASE));
}

#define MIN_CHECKED 1000 /* stable translations the nested test wants checked */

static void *guest_editor(void *arg)
{
	struct nshared *n = arg;
	uint64_t seed = 777;

	time_t until = time(NULL) + 30;

	/*
	 * At least ITERATIONS / 4 edits, and on until the translator has checked some stable
	 * translations (on a loaded machine it may not have run at all yet), 30 s at most.
	 */
	for (unsigned int it = 0;
	     it < ITERATIONS / 4 ||
	     (__atomic_load_n(&n->checked, __ATOMIC_RELAXED) < MIN_CHECKED && time(NULL) < until);
	     it++) {
		unsigned int slot = (unsigned int)(rnd(&seed) % NSLOTS);
		uint32_t next = (uint32_t)(rnd(&seed) % 3);
		uint64_t pte = next ? n->target[slot][next - 1] | 0x7 : 0; /* P, RW, US */

		__atomic_add_fetch(&n->version[slot], 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&n->leaf[slot], pte, __ATOMIC_SEQ_CST);
		__atomic_store_n(&n->state[slot], next, __ATOMIC_SEQ_CST);
		iommu_nested_invalidate(n->x, 0, G_IOVA + (uint64_t)slot * PG, PG);
		__atomic_add_fetch(&n->version[slot], 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *translator(void *arg)
{
	struct nshared *n = arg;
	uint64_t seed = 4242;

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		unsigned int slot = (unsigned int)(rnd(&seed) % NSLOTS);
		uint32_t v1 = __atomic_load_n(&n->version[slot], __ATOMIC_SEQ_CST);
		uint32_t st = __atomic_load_n(&n->state[slot], __ATOMIC_SEQ_CST), v2;
		unsigned int access = (rnd(&seed) & 1) ? IOMMU_ACCESS_WRITE : IOMMU_ACCESS_READ;
		struct iommu_xlate_result r;
		struct iommu_fault f;
		unsigned int tok = iommu_read_lock();
		int rc = iommu_translate(n->x, 0, G_IOVA + (uint64_t)slot * PG + 8, access, &r, &f);
		int seen = 0;

		iommu_read_unlock(tok);
		v2 = __atomic_load_n(&n->version[slot], __ATOMIC_SEQ_CST);
		if (!rc) {
			for (unsigned int w = 0; w < 2; w++)
				if (r.oa == n->ram_pa + (n->target[slot][w] - G_BASE) + 8)
					seen = (int)w + 1;
			if (!seen)
				__atomic_add_fetch(&n->errors, 1, __ATOMIC_RELAXED);
		} else if (f.type != IOMMU_FAULT_NOT_PRESENT || f.stage != 1) {
			__atomic_add_fetch(&n->errors, 1, __ATOMIC_RELAXED);
		}
		if (v1 == v2 && !(v1 & 1)) {
			__atomic_add_fetch(&n->checked, 1, __ATOMIC_RELAXED);
			if ((st == 0 && !rc) || (st != 0 && seen != (int)st))
				__atomic_add_fetch(&n->errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void test_nested_edits(void **state)
{
	struct pt_config cfg = pt_variant_find("vtd-ss-4")->cfg;
	struct nshared n = { 0 };
	uint64_t mapped, next = G_BASE, root, l2, l1;
	struct iommu_hwpt_vtd_s1 d = { .addr_width = 48 };
	pthread_t t1, t2;

	(void)state;
	cfg.flags |= PT_CFG_NO_DIRTY;
	assert_int_equal(pt_domain_alloc(&cfg, &n.s2), 0);
	iommu_domain_track(n.s2);
	assert_int_equal(posix_memalign((void **)&n.ram, PG, G_SIZE), 0);
	memset(n.ram, 0, G_SIZE);
	assert_int_equal(iommu_phys_add(n.ram, G_SIZE, IOMMU_PHYS_TEST, &n, &n.ram_region), 0);
	n.ram_pa = iommu_phys_name(n.ram_region, 0);
	assert_int_equal(pt_map_range(n.s2, G_BASE, n.ram_pa, G_SIZE,
				      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
			 0);
	root = next, next += PG;
	l2 = next, next += PG;
	l1 = next, next += PG;
	n.leaf = g(&n, next);
	*g(&n, root + 8 * ((G_IOVA >> 39) & 511)) = l2 | 7;
	*g(&n, l2 + 8 * ((G_IOVA >> 30) & 511)) = l1 | 7;
	*g(&n, l1 + 8 * ((G_IOVA >> 21) & 511)) = next | 7;
	next += PG;
	for (unsigned int i = 0; i < NSLOTS; i++)
		for (unsigned int w = 0; w < 2; w++, next += PG)
			n.target[i][w] = next;
	d.pgtbl_addr = root;
	assert_int_equal(iommu_nested_alloc(n.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &n.x), 0);
	assert_int_equal(pthread_create(&t1, NULL, guest_editor, &n), 0);
	assert_int_equal(pthread_create(&t2, NULL, translator, &n), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	print_message("checked %llu nested translations against the shadow\n",
		      (unsigned long long)n.checked);
	assert_int_equal(n.errors, 0);
	assert_true(n.checked > 0);
	iommu_xlate_put(n.x);
	n.s2->ops->free(n.s2);
	iommu_phys_withdraw(n.ram_region);
	free(n.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_while_mapping),
		cmocka_unit_test(test_dma_while_attaching),
		cmocka_unit_test_prestate(test_dma_while_attaching, (void *)"arm-s1-4k-48"),
		cmocka_unit_test_prestate(test_dma_while_attaching, (void *)"riscv-sv48"),
		cmocka_unit_test_prestate(test_dma_while_attaching, (void *)"tce-4k"),
		cmocka_unit_test(test_dma_while_nesting),
		cmocka_unit_test(test_nested_edits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
