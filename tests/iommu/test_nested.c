// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_nested.c - nested translation through the hook a nested HWPT calls
 * (iommu_nested_alloc): a guest-style VT-d first-stage table built here, bit by bit in the
 * x86-64 format, inside guest memory that a stage-2 domain maps at guest physical addresses.
 *
 * Checked: the two-stage result; stage-1 A/D bits set by a write's walk, in guest memory;
 * faults typed by stage (a stage-1 hole, a stage-1 table that stage 2 does not map, an output
 * IPA stage 2 does not map, a read-only stage-1 leaf) with level and address; a stale IOTLB
 * entry after the guest edits its table, visible until the user's invalidation; an unmap of
 * the parent drops the nested entries; the selftest kind (identity stage 1); bad data.
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
#include <linux/iommufd_test.h>

#include "iommu/iommu.h"
#include "pt/pt.h"

#define SZ_4K	 UINT64_C(0x1000)
#define GPA_BASE UINT64_C(0x100000) /* guest RAM at [1M, 2M) */
#define GPA_SIZE UINT64_C(0x100000)

/* x86-64 paging entry bits (Intel SDM vol. 3, 4-level paging) */
#define X_P  (UINT64_C(1) << 0)
#define X_RW (UINT64_C(1) << 1)
#define X_US (UINT64_C(1) << 2)
#define X_A  (UINT64_C(1) << 5)
#define X_D  (UINT64_C(1) << 6)
#define X_PS (UINT64_C(1) << 7)

struct guest {
	struct iommu_domain *s2;
	uint8_t *ram; /* host memory of guest RAM */
	uint64_t next_gpa;
	uint64_t root; /* gpa of the stage-1 root */
};

static uint64_t *gptr(struct guest *g, uint64_t gpa)
{
	assert_true(gpa >= GPA_BASE && gpa < GPA_BASE + GPA_SIZE);
	return (uint64_t *)(g->ram + (gpa - GPA_BASE));
}

static uint64_t galloc(struct guest *g)
{
	uint64_t gpa = g->next_gpa;

	g->next_gpa += SZ_4K;
	memset(gptr(g, gpa), 0, SZ_4K);
	return gpa;
}

/* Guest-side map of one 4K page iova -> gpa in the 4-level table, as a guest driver would. */
static void gmap(struct guest *g, uint64_t iova, uint64_t gpa, bool writable)
{
	uint64_t table = g->root;

	for (int lvl = 3; lvl > 0; lvl--) {
		uint64_t *e = gptr(g, table) + ((iova >> (12 + 9 * lvl)) & 511);

		if (!(*e & X_P))
			*e = galloc(g) | X_P | X_RW | X_US;
		table = *e & UINT64_C(0x000ffffffffff000);
	}
	gptr(g, table)[(iova >> 12) & 511] = gpa | X_P | X_US | (writable ? X_RW : 0);
}

static uint64_t *gleaf(struct guest *g, uint64_t iova, int want_lvl)
{
	uint64_t table = g->root;

	for (int lvl = 3;; lvl--) {
		uint64_t *e = gptr(g, table) + ((iova >> (12 + 9 * lvl)) & 511);

		if (lvl == want_lvl)
			return e;
		table = *e & UINT64_C(0x000ffffffffff000);
	}
}

static void guest_new(struct guest *g, bool s2_dirty)
{
	const struct pt_variant *v = pt_variant_find("vtd-ss-4");
	struct pt_config cfg = v->cfg;
	uint64_t mapped;

	if (!s2_dirty)
		cfg.flags |= PT_CFG_NO_DIRTY;
	assert_int_equal(pt_domain_alloc(&cfg, &g->s2), 0);
	iommu_domain_track(g->s2);
	assert_int_equal(posix_memalign((void **)&g->ram, SZ_4K, GPA_SIZE), 0);
	memset(g->ram, 0, GPA_SIZE);
	/* guest RAM; the last 64K of it stage 2 maps read-only */
	assert_int_equal(pt_map_range(g->s2, GPA_BASE, (uintptr_t)g->ram, GPA_SIZE - 0x10000,
				      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
			 0);
	assert_int_equal(pt_map_range(g->s2, GPA_BASE + GPA_SIZE - 0x10000,
				      (uintptr_t)g->ram + GPA_SIZE - 0x10000, 0x10000,
				      IOMMU_PROT_READ, &mapped),
			 0);
	g->next_gpa = GPA_BASE;
	g->root = galloc(g);
}

static void guest_free(struct guest *g)
{
	iommu_synchronize();
	g->s2->ops->free(g->s2);
	free(g->ram);
}

static int xl(struct iommu_xlate *x, uint64_t iova, unsigned int access,
	      struct iommu_xlate_result *r, struct iommu_fault *f)
{
	unsigned int tok = iommu_read_lock();
	int rc = iommu_translate(x, 0, iova, access, r, f);

	iommu_read_unlock(tok);
	return rc;
}

static struct iommu_xlate *vtd_nested(struct guest *g, uint32_t aw)
{
	struct iommu_hwpt_vtd_s1 d = { .pgtbl_addr = g->root, .addr_width = aw };
	struct iommu_xlate *x;

	assert_int_equal(iommu_nested_alloc(g->s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &x), 0);
	return x;
}

static void test_vtd_walk(void **state)
{
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;
	uint64_t data = GPA_BASE + 0x80000, iova = UINT64_C(0x7f1234567000);

	(void)state;
	guest_new(&g, false);
	gmap(&g, iova, data, true);
	gmap(&g, iova + SZ_4K, data + SZ_4K, false);
	x = vtd_nested(&g, 48);

	assert_int_equal(xl(x, iova + 0x123, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x80123);
	assert_int_equal(r.size_lg2, 12);
	assert_false(*gleaf(&g, iova, 0) & X_D);
	/* a write sets A on the way and D at the leaf, in guest memory */
	assert_int_equal(xl(x, iova + 8, IOMMU_ACCESS_WRITE, &r, &f), 0);
	assert_true(*gleaf(&g, iova, 0) & X_D);
	assert_true(*gleaf(&g, iova, 0) & X_A);
	assert_true(*gleaf(&g, iova, 3) & X_A);
	/* read-only stage-1 leaf */
	assert_int_equal(xl(x, iova + SZ_4K, IOMMU_ACCESS_WRITE, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_PERMISSION);
	assert_int_equal(f.stage, 1);
	assert_int_equal(f.level, 0);
	/* stage-1 hole */
	assert_int_equal(xl(x, iova + 2 * SZ_4K, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 1);
	assert_int_equal(f.level, 0);
	assert_int_equal(f.addr, iova + 2 * SZ_4K);
	/* output IPA outside stage 2: stage-2 fault naming the IPA */
	gmap(&g, iova + 3 * SZ_4K, UINT64_C(0x40000000), true);
	assert_int_equal(xl(x, iova + 3 * SZ_4K + 5, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 2);
	assert_int_equal(f.addr, UINT64_C(0x40000005));
	/* a stage-1 table outside stage 2: the walk faults in stage 2 at that table's entry */
	*gleaf(&g, UINT64_C(0x10000000), 3) = UINT64_C(0x50000000) | X_P | X_RW;
	assert_int_equal(xl(x, UINT64_C(0x10000000), IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 2);
	assert_int_equal(f.addr & ~UINT64_C(0xfff), UINT64_C(0x50000000));
	/* a write through a stage-1 table that stage 2 maps read-only: stage-2 permission */
	{
		uint64_t ro_table = GPA_BASE + GPA_SIZE - 0x10000, iova2 = UINT64_C(0x20000000);
		uint64_t *l3 = gleaf(&g, iova2, 3);

		memset(gptr(&g, ro_table), 0, SZ_4K);
		*l3 = ro_table | X_P | X_RW | X_US;
		gptr(&g, ro_table)[(iova2 >> 30) & 511] =
			(data & ~UINT64_C(0x3fffffff)) | X_P | X_RW | X_PS;
		assert_int_equal(xl(x, iova2, IOMMU_ACCESS_WRITE, &r, &f), -EFAULT);
		assert_int_equal(f.type, IOMMU_FAULT_PERMISSION);
		assert_int_equal(f.stage, 2);
		assert_int_equal(f.addr & ~UINT64_C(0xfff), ro_table);
	}
	iommu_synchronize();
	iommu_xlate_put(x);
	guest_free(&g);
}

/* The guest edits its table: the old translation stays until the user invalidates. */
static void test_stale_until_invalidated(void **state)
{
	struct iommu_iotlb_stats s0, s1;
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;
	uint64_t iova = UINT64_C(0x40000000);

	(void)state;
	guest_new(&g, false);
	gmap(&g, iova, GPA_BASE + 0x80000, true);
	x = vtd_nested(&g, 48);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x80000);
	/* remap in the guest table, no invalidation */
	gmap(&g, iova, GPA_BASE + 0x90000, true);
	iommu_iotlb_stats(&s0);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x80000); /* stale */
	iommu_iotlb_stats(&s1);
	assert_int_equal(s1.hits, s0.hits + 1);
	/* an invalidation elsewhere changes nothing */
	iommu_nested_invalidate(x, 0, iova + SZ_4K, SZ_4K);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x80000);
	/* the user's invalidation of that range */
	iommu_nested_invalidate(x, 0, iova, SZ_4K);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x90000);
	/* unmap of the parent (stage 2) drops nested entries built on it */
	{
		struct iommu_gather gt;

		iommu_gather_init(&gt);
		assert_int_equal(pt_unmap_range(g.s2, GPA_BASE + 0x90000, SZ_4K, &gt), SZ_4K);
		g.s2->ops->iotlb_sync(g.s2, &gt);
	}
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.stage, 2);
	iommu_synchronize();
	iommu_xlate_put(x);
	guest_free(&g);
}

static void test_selftest_kind(void **state)
{
	struct iommu_hwpt_selftest d = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;

	(void)state;
	guest_new(&g, false);
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_SELFTEST, &d, sizeof(d), &x), 0);
	assert_int_equal(xl(x, GPA_BASE + 0x777, IOMMU_ACCESS_WRITE, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x777);
	assert_int_equal(xl(x, GPA_BASE + GPA_SIZE - 8, IOMMU_ACCESS_WRITE, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_PERMISSION);
	assert_int_equal(f.stage, 2);
	iommu_xlate_put(x);
	guest_free(&g);
}

static void test_bad_data(void **state)
{
	struct iommu_hwpt_vtd_s1 d = { .pgtbl_addr = GPA_BASE, .addr_width = 48 };
	struct iommu_xlate *x;
	struct guest g;

	(void)state;
	guest_new(&g, false);
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d) - 8, &x),
			 -EINVAL);
	assert_int_equal(iommu_nested_alloc(g.s2, 0x77, &d, sizeof(d), &x), -EOPNOTSUPP);
	d.addr_width = 39;
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &x),
			 -EINVAL);
	d.addr_width = 57;
	d.flags = 1u << 7;
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &x),
			 -EOPNOTSUPP);
	d.flags = IOMMU_VTD_S1_SRE;
	d.pgtbl_addr = GPA_BASE + 8;
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &x),
			 -EINVAL);
	d.pgtbl_addr = GPA_BASE;
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_VTD_S1, &d, sizeof(d), &x), 0);
	iommu_xlate_put(x);
	guest_free(&g);
}

/* 5-level first stage: a 57-bit IOVA. */
static void test_vtd_5level(void **state)
{
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;
	uint64_t iova = UINT64_C(0x00ab123456789000), table;

	(void)state;
	guest_new(&g, false);
	table = g.root;
	for (int lvl = 4; lvl > 0; lvl--) {
		uint64_t *e = gptr(&g, table) + ((iova >> (12 + 9 * lvl)) & 511);

		*e = galloc(&g) | X_P | X_RW;
		table = *e & UINT64_C(0x000ffffffffff000);
	}
	gptr(&g, table)[(iova >> 12) & 511] = (GPA_BASE + 0x70000) | X_P | X_RW;
	x = vtd_nested(&g, 57);
	assert_int_equal(xl(x, iova + 0x42, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, (uintptr_t)g.ram + 0x70042);
	iommu_xlate_put(x);
	guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtd_walk),
		cmocka_unit_test(test_stale_until_invalidated),
		cmocka_unit_test(test_selftest_kind),
		cmocka_unit_test(test_bad_data),
		cmocka_unit_test(test_vtd_5level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
