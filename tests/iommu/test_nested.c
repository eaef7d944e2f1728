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
#include <endian.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "iommu/iommu.h"
#include "iommu/phys.h"
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
	struct iommu_phys_region *ram_region;
	uint64_t ram_pa; /* its emulated physical address */
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
	/* stage 2 maps the RAM's emulated physical addresses (iommu/phys.h), not pointers */
	assert_int_equal(iommu_phys_add(g->ram, GPA_SIZE, IOMMU_PHYS_TEST, g, &g->ram_region), 0);
	g->ram_pa = iommu_phys_name(g->ram_region, 0);
	assert_int_equal(pt_map_range(g->s2, GPA_BASE, g->ram_pa, GPA_SIZE - 0x10000,
				      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &mapped),
			 0);
	assert_int_equal(pt_map_range(g->s2, GPA_BASE + GPA_SIZE - 0x10000,
				      g->ram_pa + GPA_SIZE - 0x10000, 0x10000, IOMMU_PROT_READ,
				      &mapped),
			 0);
	g->next_gpa = GPA_BASE;
	g->root = galloc(g);
}

static void guest_free(struct guest *g)
{
	iommu_synchronize();
	g->s2->ops->free(g->s2);
	iommu_phys_withdraw(g->ram_region);
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
	assert_int_equal(r.oa, g.ram_pa + 0x80123);
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
	assert_int_equal(r.oa, g.ram_pa + 0x80000);
	/* remap in the guest table, no invalidation */
	gmap(&g, iova, GPA_BASE + 0x90000, true);
	iommu_iotlb_stats(&s0);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x80000); /* stale */
	iommu_iotlb_stats(&s1);
	assert_int_equal(s1.hits, s0.hits + 1);
	/* an invalidation elsewhere changes nothing */
	iommu_nested_invalidate(x, 0, iova + SZ_4K, SZ_4K);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x80000);
	/* the user's invalidation of that range */
	iommu_nested_invalidate(x, 0, iova, SZ_4K);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x90000);
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
	assert_int_equal(r.oa, g.ram_pa + 0x777);
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
	assert_int_equal(r.oa, g.ram_pa + 0x70042);
	iommu_xlate_put(x);
	guest_free(&g);
}

/* ---- SMMUv3: STE -> CD table -> LPAE stage 1 ---------------------------------------- */

/* ARM VMSAv8-64 descriptor bits (Arm ARM D8.3) */
#define A_VALID (UINT64_C(1) << 0)
#define A_TABLE (UINT64_C(1) << 1) /* table, or page at level 3 */
#define A_AP1	(UINT64_C(1) << 6)
#define A_AP2	(UINT64_C(1) << 7) /* read only */
#define A_AF	(UINT64_C(1) << 10)

/* SMMUv3 STE / CD fields (SMMUv3 spec 5.2, 5.4) */
#define STE_V	     (UINT64_C(1) << 0)
#define STE_CFG(c)   ((uint64_t)(c) << 1)
#define STE_CDMAX(n) ((uint64_t)(n) << 59)
#define CD_T0SZ(t)   ((uint64_t)(t))
#define CD_V	     (UINT64_C(1) << 31)
#define CD_IPS(i)    ((uint64_t)(i) << 32)
#define CD_AA64	     (UINT64_C(1) << 41)
#define CD_HA	     (UINT64_C(1) << 43)
#define CD_HD	     (UINT64_C(1) << 42)
#define CD_EPD0	     (UINT64_C(1) << 14)

/* A 39-bit, 4K-granule stage-1 table (Arm levels 1..3) mapping one 4K page. */
static uint64_t arm_s1_table(struct guest *g, uint64_t iova, uint64_t gpa, bool ro)
{
	uint64_t l1 = galloc(g), l2 = galloc(g), l3 = galloc(g);

	gptr(g, l1)[(iova >> 30) & 511] = l2 | A_VALID | A_TABLE;
	gptr(g, l2)[(iova >> 21) & 511] = l3 | A_VALID | A_TABLE;
	gptr(g, l3)[(iova >> 12) & 511] = gpa | A_VALID | A_TABLE | A_AF | A_AP1 | (ro ? A_AP2 : 0);
	/* and a 2M block right after */
	gptr(g, l2)[((iova >> 21) + 1) & 511] =
		(GPA_BASE & ~UINT64_C(0x1fffff)) | A_VALID | A_AF | A_AP1;
	return l1;
}

static void set_cd(struct guest *g, uint64_t cd_gpa, uint64_t ttb, uint64_t extra)
{
	gptr(g, cd_gpa)[0] = CD_T0SZ(25) | CD_V | CD_IPS(5) | CD_AA64 | extra;
	gptr(g, cd_gpa)[1] = ttb;
}

static struct iommu_xlate *smmu_nested(struct guest *g, uint64_t ste0, uint64_t ste1)
{
	struct iommu_hwpt_arm_smmuv3 d = { .ste = { htole64(ste0), htole64(ste1) } };
	struct iommu_xlate *x;

	assert_int_equal(iommu_nested_alloc(g->s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 0);
	return x;
}

static void test_smmu_walk(void **state)
{
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;
	uint64_t iova = UINT64_C(0x12345000), cd, ttb;

	(void)state;
	guest_new(&g, false);
	cd = galloc(&g); /* room for 64 CDs of 64 bytes */
	ttb = arm_s1_table(&g, iova, GPA_BASE + 0x60000, false);
	set_cd(&g, cd, ttb, 0);
	x = smmu_nested(&g, STE_V | STE_CFG(5) | cd, 0);
	assert_int_equal(xl(x, iova + 0x21, IOMMU_ACCESS_WRITE, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x60021);
	assert_int_equal(r.size_lg2, 12);
	/* the 2M block: stage 2 maps 4K leaves, so the result is 4K */
	assert_int_equal(xl(x, (iova & ~UINT64_C(0x1fffff)) + 0x200000 + GPA_BASE + 0x3456,
			    IOMMU_ACCESS_READ, &r, &f),
			 0);
	assert_int_equal(r.oa, g.ram_pa + 0x3456);
	/* outside the 39-bit input range: address size */
	assert_int_equal(xl(x, UINT64_C(1) << 40, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_ADDR_SIZE);
	assert_int_equal(f.stage, 1);
	/* a PASID with S1CDMax 0: no substreams */
	assert_int_equal(iommu_translate(x, 3, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	/* the guest invalidates its CD (V = 0): seen after the user's invalidation */
	gptr(&g, cd)[0] &= ~CD_V;
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), 0);
	iommu_nested_invalidate(x, UINT32_MAX, 0, 0);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 1);
	iommu_xlate_put(x);

	/* a CD table outside stage 2: the CD fetch faults in stage 2 */
	x = smmu_nested(&g, STE_V | STE_CFG(5) | UINT64_C(0x7000000), 0);
	assert_int_equal(xl(x, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.stage, 2);
	assert_int_equal(f.addr, UINT64_C(0x7000000));
	iommu_xlate_put(x);

	/* bypass and abort */
	x = smmu_nested(&g, STE_V | STE_CFG(4), 0);
	assert_int_equal(xl(x, GPA_BASE + 0x10, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x10);
	iommu_xlate_put(x);
	x = smmu_nested(&g, 0, 0);
	assert_int_equal(xl(x, GPA_BASE, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	iommu_xlate_put(x);
	guest_free(&g);
}

/* Substreams: S1CDMax 2 = four CDs, PASID n uses CD n; the RID per S1DSS. */
static void test_smmu_pasid(void **state)
{
	struct iommu_xlate_result r;
	struct iommu_fault f;
	struct iommu_xlate *x;
	struct guest g;
	uint64_t iova = UINT64_C(0x40000000), cd;

	(void)state;
	guest_new(&g, true);
	cd = galloc(&g);
	set_cd(&g, cd + 1 * 64, arm_s1_table(&g, iova, GPA_BASE + 0x61000, false), CD_HA | CD_HD);
	set_cd(&g, cd + 2 * 64, arm_s1_table(&g, iova, GPA_BASE + 0x62000, true), 0);
	/* S1DSS = substream 0 (2): the RID uses CD 0, which is invalid */
	x = smmu_nested(&g, STE_V | STE_CFG(5) | STE_CDMAX(2) | cd, 2);
	assert_int_equal(iommu_translate(x, 1, iova + 4, IOMMU_ACCESS_WRITE, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x61004);
	assert_int_equal(iommu_translate(x, 2, iova + 4, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 0x62004);
	assert_int_equal(iommu_translate(x, 2, iova, IOMMU_ACCESS_WRITE, &r, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_PERMISSION);
	assert_int_equal(iommu_translate(x, 3, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(iommu_translate(x, 4, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	assert_int_equal(iommu_translate(x, 0, iova, IOMMU_ACCESS_READ, &r, &f), -EFAULT);
	iommu_xlate_put(x);
	/* S1DSS = bypass: the RID goes through stage 2 only */
	x = smmu_nested(&g, STE_V | STE_CFG(5) | STE_CDMAX(2) | cd, 1);
	assert_int_equal(iommu_translate(x, 0, GPA_BASE + 8, IOMMU_ACCESS_READ, &r, &f), 0);
	assert_int_equal(r.oa, g.ram_pa + 8);
	iommu_xlate_put(x);
	guest_free(&g);
}

static void test_smmu_bad_ste(void **state)
{
	struct iommu_hwpt_arm_smmuv3 d = { 0 };
	struct iommu_xlate *x;
	struct guest g;

	(void)state;
	guest_new(&g, false);
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, 8, &x), -EINVAL);
	d.ste[0] = htole64(STE_V | STE_CFG(6)); /* stage-2 translate: not the guest's */
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 -EIO);
	d.ste[0] = htole64(STE_V | STE_CFG(5) | (UINT64_C(1) << 55)); /* reserved bit */
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 -EIO);
	d.ste[0] = htole64(STE_V | STE_CFG(5));
	d.ste[1] = htole64(UINT64_C(2) << 28); /* EATS 2 */
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 -EIO);
	d.ste[1] = htole64(UINT64_C(1) << 63); /* a word-1 field the guest may not set */
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 -EIO);
	d.ste[0] = htole64(STE_CFG(6) | (UINT64_C(1) << 55)); /* V = 0: abort, whatever else */
	assert_int_equal(iommu_nested_alloc(g.s2, IOMMU_HWPT_DATA_ARM_SMMUV3, &d, sizeof(d), &x),
			 0);
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
		cmocka_unit_test(test_smmu_walk),
		cmocka_unit_test(test_smmu_pasid),
		cmocka_unit_test(test_smmu_bad_ste),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
