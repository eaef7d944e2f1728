// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_nested_hwpt.c - nested HWPT objects wired to translation: a device attached (RID or
 * PASID) to a nested HWPT DMAs through the user's stage-1 table read through the parent's
 * stage 2, through the ioctl ABI (IOMMU_HWPT_ALLOC, IOMMU_HWPT_INVALIDATE) and the C API's
 * device DMA.
 *
 * The guest: a buffer of this process mapped by the IOAS at guest physical addresses; the
 * test writes its stage-1 tables there bit by bit in the hardware's format (x86-64 for VT-d,
 * an SMMUv3 context descriptor and an ARM LPAE stage-1 table for SMMUv3).
 *
 * Checked: DMA lands on the bytes the stage-1 table names; the stage-1 walk sets the dirty
 * bit in guest memory; a guest's edit of its table is not seen (stale IOTLB entry) until
 * IOMMU_HWPT_INVALIDATE (VT-d entries) or the vIOMMU's invalidation (SMMUv3 commands); an
 * unmap of stage 2 flushes without any invalidation; a PASID attached to a nested HWPT
 * walks the same stage 1; replace between the nested HWPT and its parent switches the
 * translation; VT-d data refused at attach (address width), and the PASID rule on nested
 * HWPTs.
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
#include <sys/mman.h>

#include "../core/helpers.h"
#include "ioasid/ioasid.h"
#include "iommu/iommu.h"
#include <linux/iommufd.h>

#define SZ_4K	  UINT64_C(0x1000)
#define GPA_BASE  UINT64_C(0x100000) /* guest RAM at [1M, 1M + 256K) */
#define GPA_SIZE  UINT64_C(0x40000)
#define GUEST_VA  UINT64_C(0x7f0000201000)
#define ADDR_MASK UINT64_C(0x000ffffffffff000)

/* x86-64 paging entry bits */
#define X_P  (UINT64_C(1) << 0)
#define X_RW (UINT64_C(1) << 1)
#define X_US (UINT64_C(1) << 2)
#define X_D  (UINT64_C(1) << 6)

/* ARM LPAE stage-1 descriptor bits (4K granule) */
#define A_VALID (UINT64_C(1) << 0)
#define A_TABLE (UINT64_C(1) << 1) /* table (levels 0-2) or page (level 3) */
#define A_AP_RO (UINT64_C(1) << 7)
#define A_AF	(UINT64_C(1) << 10)
#define A_DBM	(UINT64_C(1) << 51)

struct guest {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, parent;
	uint8_t *ram;
	uint64_t next_gpa, root;
};

static uint64_t *gptr(struct guest *g, uint64_t gpa)
{
	assert_true(gpa >= GPA_BASE && gpa + 8 <= GPA_BASE + GPA_SIZE);
	return (uint64_t *)(g->ram + (gpa - GPA_BASE));
}

static uint64_t galloc(struct guest *g)
{
	uint64_t gpa = g->next_gpa;

	g->next_gpa += SZ_4K;
	memset(gptr(g, gpa), 0, SZ_4K);
	return gpa;
}

/* One 4K page va -> gpa in a 4-level table of 9-bit levels; leaf bits as given. */
static uint64_t *gmap4(struct guest *g, uint64_t va, uint64_t gpa, uint64_t table_bits,
		       uint64_t leaf_bits)
{
	uint64_t table = g->root, *e;

	for (int lvl = 3; lvl > 0; lvl--) {
		e = gptr(g, table) + ((va >> (12 + 9 * lvl)) & 511);
		if (!*e)
			*e = galloc(g) | table_bits;
		table = *e & ADDR_MASK;
	}
	e = gptr(g, table) + ((va >> 12) & 511);
	*e = gpa | leaf_bits;
	return e;
}

static void guest_new(struct guest *g, const char *format, uint32_t dev_flags)
{
	struct ioasid_device_desc d = { .format = format, .flags = dev_flags };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	uint64_t iova = GPA_BASE;

	memset(g, 0, sizeof(*g));
	assert_int_equal(ioasid_ctx_new(NULL, &g->ctx), 0);
	T_OK(t_ioas_alloc(g->ctx, &g->ioas));
	T_OK(ioasid_device_new(g->ctx, &d, &g->dev));
	g->ram = mmap(NULL, GPA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(g->ram != MAP_FAILED);
	/* page by page, so that one page can be unmapped */
	for (; iova < GPA_BASE + GPA_SIZE; iova += SZ_4K) {
		uint64_t at = iova;

		T_OK(t_map(g->ctx, g->ioas, g->ram + (iova - GPA_BASE), SZ_4K, &at, T_MAP_FIXED));
	}
	a.dev_id = g->dev;
	a.pt_id = g->ioas;
	if (dev_flags & IOASID_DEVICE_PASID)
		a.flags |= IOMMU_HWPT_ALLOC_PASID;
	T_OK(t_ioctl(g->ctx, IOMMU_HWPT_ALLOC, &a));
	g->parent = a.out_hwpt_id;
	g->next_gpa = GPA_BASE;
	g->root = galloc(g);
}

static void guest_free(struct guest *g)
{
	ioasid_ctx_free(g->ctx);
	munmap(g->ram, GPA_SIZE);
}

static int nested_alloc(struct guest *g, uint32_t pt, uint32_t flags, uint32_t type,
			const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = g->dev,
		.pt_id = pt,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = t_ioctl(g->ctx, IOMMU_HWPT_ALLOC, &a);

	if (!rc)
		*out = a.out_hwpt_id;
	return rc;
}

static int dma(struct guest *g, uint32_t pasid, uint64_t iova, void *buf, size_t len, bool write,
	       struct ioasid_dma_fault *f)
{
	int rc = ioasid_device_dma_pasid(g->ctx, g->dev, pasid, iova, buf, len,
					 write ? IOASID_DMA_WRITE : 0, f);

	return rc ? errno : 0;
}

static int vtd_invalidate(struct guest *g, uint32_t hwpt, uint64_t addr, uint64_t npages)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = addr, .npages = npages };
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv),
		.entry_num = 1,
	};

	return t_ioctl(g->ctx, IOMMU_HWPT_INVALIDATE, &c);
}

/* VT-d: stage 1 in the x86-64 format, RID attach, stale until invalidated, unmap flushes. */
static void test_vtd_rid(void **state)
{
	const uint64_t tb = X_P | X_RW | X_US, lb = X_P | X_RW | X_US;
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	struct ioasid_dma_fault f;
	uint64_t data1, data2, *leaf;
	uint32_t nested = 0;
	char buf[16] = { 0 };
	struct guest g;

	(void)state;
	guest_new(&g, "vtd-ss-4", 0);
	data1 = galloc(&g);
	data2 = galloc(&g);
	leaf = gmap4(&g, GUEST_VA, data1, tb, lb);
	s1.pgtbl_addr = g.root;
	T_OK(nested_alloc(&g, g.parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &nested));
	T_OK(ioasid_device_attach(g.ctx, g.dev, nested, NULL));

	/* the write lands where stage 1 then stage 2 say; the walk set D in guest memory */
	T_OK(dma(&g, 0, GUEST_VA + 0x10, "stage one", 10, true, &f));
	assert_string_equal((char *)gptr(&g, data1 + 0x10), "stage one");
	assert_true(*leaf & X_D);
	/* the IOVA is not a guest physical address: the parent alone has nothing there */
	T_ERR(EFAULT, dma(&g, 0, GPA_BASE + 0x10, buf, 4, false, &f));
	assert_int_equal(f.stage, 1);

	/* the guest remaps its page without invalidating: the device still sees the old one */
	memcpy(gptr(&g, data2 + 0x10), "page two", 9);
	*leaf = data2 | lb;
	T_OK(dma(&g, 0, GUEST_VA + 0x10, buf, 10, false, &f));
	assert_string_equal(buf, "stage one");
	/* an invalidation of another page changes nothing */
	T_OK(vtd_invalidate(&g, nested, GUEST_VA + SZ_4K, 1));
	T_OK(dma(&g, 0, GUEST_VA + 0x10, buf, 10, false, &f));
	assert_string_equal(buf, "stage one");
	/* the user's invalidation of that page: the new translation */
	T_OK(vtd_invalidate(&g, nested, GUEST_VA, 1));
	T_OK(dma(&g, 0, GUEST_VA + 0x10, buf, 9, false, &f));
	assert_string_equal(buf, "page two");

	/* two entries in one call: both pages are flushed (the call scans the IOTLB once) */
	{
		uint64_t va3 = GUEST_VA + 8 * SZ_4K, *leaf3 = gmap4(&g, va3, data1, tb, lb);
		struct iommu_hwpt_vtd_s1_invalidate inv[2] = {
			{ .addr = GUEST_VA, .npages = 1 },
			{ .addr = va3, .npages = 1 },
		};
		struct iommu_hwpt_invalidate c = {
			.size = sizeof(c),
			.hwpt_id = nested,
			.data_uptr = (uintptr_t)inv,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
			.entry_len = sizeof(inv[0]),
			.entry_num = 2,
		};

		T_OK(dma(&g, 0, va3 + 0x10, buf, 10, false, &f));
		assert_string_equal(buf, "stage one");
		*leaf = data1 | lb;
		*leaf3 = data2 | lb;
		T_OK(dma(&g, 0, GUEST_VA + 0x10, buf, 9, false, &f));
		assert_string_equal(buf, "page two"); /* both stale */
		T_OK(dma(&g, 0, va3 + 0x10, buf, 10, false, &f));
		assert_string_equal(buf, "stage one");
		T_OK(t_ioctl(g.ctx, IOMMU_HWPT_INVALIDATE, &c));
		assert_int_equal(c.entry_num, 2);
		T_OK(dma(&g, 0, GUEST_VA + 0x10, buf, 10, false, &f));
		assert_string_equal(buf, "stage one");
		T_OK(dma(&g, 0, va3 + 0x10, buf, 9, false, &f));
		assert_string_equal(buf, "page two");
		*leaf = data2 | lb; /* as the rest of the test expects */
		T_OK(vtd_invalidate(&g, nested, GUEST_VA, 1));
	}

	/* an unmap of stage 2 flushes on its own: a stage-2 fault at once */
	{
		uint64_t unmapped;

		T_OK(t_unmap(g.ctx, g.ioas, data2, SZ_4K, &unmapped));
		T_ERR(EFAULT, dma(&g, 0, GUEST_VA + 0x10, buf, 4, false, &f));
		assert_int_equal(f.type, IOASID_DMA_FAULT_NOT_PRESENT);
		assert_int_equal(f.stage, 2);
		assert_int_equal(f.addr, data2 + 0x10);
	}

	/* replace with the parent: the IOVA is a guest physical address again */
	{
		uint32_t id = g.parent;

		T_OK(ioasid_device_replace(g.ctx, g.dev, id, NULL));
		T_OK(dma(&g, 0, data1 + 0x10, buf, 10, false, &f));
		assert_string_equal(buf, "stage one");
		T_ERR(EFAULT, dma(&g, 0, GUEST_VA + 0x10, buf, 4, false, &f));
		/* and back: stage 1 again, whose page stage 2 no longer maps */
		T_OK(ioasid_device_replace(g.ctx, g.dev, nested, NULL));
		T_ERR(EFAULT, dma(&g, 0, GUEST_VA + 0x10, buf, 4, false, &f));
		assert_int_equal(f.stage, 2);
		T_OK(ioasid_device_detach(g.ctx, g.dev));
		T_ERR(ENODEV, dma(&g, 0, GUEST_VA + 0x10, buf, 4, false, &f));
	}
	/* data the kernel takes at allocation but refuses at attach */
	{
		uint32_t bad = 0;

		s1.addr_width = 39;
		T_OK(nested_alloc(&g, g.parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &bad));
		T_ERR(-1, ioasid_device_attach(g.ctx, g.dev, bad, NULL));
		assert_int_equal(errno, EINVAL);
		s1.flags = 1u << 20; /* unknown flag: refused at allocation */
		s1.addr_width = 48;
		T_ERR(EOPNOTSUPP,
		      nested_alloc(&g, g.parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &bad));
	}
	guest_free(&g);
}

/* VT-d with PASIDs: a PASID on a nested HWPT walks its stage 1; the PASID rule applies. */
static void test_vtd_pasid(void **state)
{
	const uint64_t b = X_P | X_RW | X_US;
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	struct ioasid_dma_fault f;
	uint32_t nested = 0, nested_nopasid = 0;
	uint64_t data;
	char buf[8] = { 0 };
	struct guest g;

	(void)state;
	guest_new(&g, "vtd-ss-4", IOASID_DEVICE_PASID);
	data = galloc(&g);
	gmap4(&g, GUEST_VA, data, b, b);
	s1.pgtbl_addr = g.root;
	T_OK(nested_alloc(&g, g.parent, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_VTD_S1, &s1,
			  sizeof(s1), &nested));
	T_OK(nested_alloc(&g, g.parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1),
			  &nested_nopasid));
	/* the RID on the PASID-capable parent, PASID 3 on the nested HWPT */
	T_OK(ioasid_device_attach(g.ctx, g.dev, g.parent, NULL));
	assert_int_equal(ioasid_device_pasid_attach(g.ctx, g.dev, 3, nested_nopasid, NULL), -1);
	assert_int_equal(errno, EINVAL);
	T_OK(ioasid_device_pasid_attach(g.ctx, g.dev, 3, nested, NULL));
	assert_int_equal(ioasid_device_pasid_attach(g.ctx, g.dev, 3, nested, NULL), -1);
	assert_int_equal(errno, EBUSY);
	T_OK(dma(&g, 3, GUEST_VA + 8, "pasid", 6, true, &f));
	assert_string_equal((char *)gptr(&g, data + 8), "pasid");
	/* the RID still goes through stage 2 alone */
	T_OK(dma(&g, 0, data + 8, buf, 6, false, &f));
	assert_string_equal(buf, "pasid");
	/* once a PASID is attached, the RID may not move to a non-PASID HWPT */
	assert_int_equal(ioasid_device_replace(g.ctx, g.dev, nested_nopasid, NULL), -1);
	assert_int_equal(errno, EINVAL);
	T_OK(ioasid_device_pasid_detach(g.ctx, g.dev, 3));
	T_ERR(ENODEV, dma(&g, 3, GUEST_VA + 8, buf, 1, false, &f));
	guest_free(&g);
}

static int smmu_invalidate(struct guest *g, uint32_t viommu, uint64_t op)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmd = { .cmd = { htole64(op), 0 } };
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c),
		.hwpt_id = viommu,
		.data_uptr = (uintptr_t)&cmd,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(cmd),
		.entry_num = 1,
	};

	return t_ioctl(g->ctx, IOMMU_HWPT_INVALIDATE, &c);
}

/* SMMUv3: STE -> CD -> LPAE stage 1, on a vIOMMU; vIOMMU-scoped invalidation. */
static void test_smmuv3(void **state)
{
	const uint64_t tb = A_VALID | A_TABLE, lb = A_VALID | A_TABLE | A_AF | A_DBM;
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 0x42 };
	struct iommu_hwpt_arm_smmuv3 ste = { 0 };
	struct ioasid_dma_fault f;
	uint64_t cdt, data1, data2, *leaf, *cd;
	uint32_t nested = 0;
	char buf[16] = { 0 };
	struct guest g;

	(void)state;
	guest_new(&g, "arm-s2-4k-48", 0);
	cdt = galloc(&g);
	data1 = galloc(&g);
	data2 = galloc(&g);
	leaf = gmap4(&g, GUEST_VA, data1, tb, lb);
	/* CD 0: V, AA64, T0SZ 16 (48-bit VA), TG0 4K, IPS 48 bits, HD; TTB0 the root */
	cd = gptr(&g, cdt);
	cd[0] = htole64(16 | (UINT64_C(1) << 31) | (UINT64_C(5) << 32) | (UINT64_C(1) << 41) |
			(UINT64_C(1) << 42));
	cd[1] = htole64(g.root);
	/* STE: V, Cfg stage-1 translate, S1ContextPtr, S1CDMax 0 */
	ste.ste[0] = htole64(1 | (5 << 1) | cdt);
	va.dev_id = g.dev;
	va.hwpt_id = g.parent;
	T_OK(t_ioctl(g.ctx, IOMMU_VIOMMU_ALLOC, &va));
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = g.dev;
	T_OK(t_ioctl(g.ctx, IOMMU_VDEVICE_ALLOC, &vd));
	T_OK(nested_alloc(&g, va.out_viommu_id, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			  &nested));
	T_OK(ioasid_device_attach(g.ctx, g.dev, nested, NULL));

	T_OK(dma(&g, 0, GUEST_VA + 0x20, "smmu stage 1", 13, true, &f));
	assert_string_equal((char *)gptr(&g, data1 + 0x20), "smmu stage 1");
	/* DBM page written: hardware clears AP[2] (writable-clean -> dirty) */
	assert_false(le64toh(*leaf) & A_AP_RO);

	/* the guest remaps: stale until the vIOMMU's TLBI */
	memcpy(gptr(&g, data2 + 0x20), "second page", 12);
	*leaf = htole64(data2 | lb);
	T_OK(dma(&g, 0, GUEST_VA + 0x20, buf, 13, false, &f));
	assert_string_equal(buf, "smmu stage 1");
	T_OK(smmu_invalidate(&g, va.out_viommu_id, 0x10 /* TLBI_NH_ALL */));
	T_OK(dma(&g, 0, GUEST_VA + 0x20, buf, 12, false, &f));
	assert_string_equal(buf, "second page");

	/* the guest invalidates its CD: the walk sees it after CFGI_CD + TLBI */
	cd[0] = 0;
	T_OK(dma(&g, 0, GUEST_VA + 0x20, buf, 12, false, &f));
	T_OK(smmu_invalidate(&g, va.out_viommu_id, 0x05 | (UINT64_C(0x42) << 32)));
	T_ERR(EFAULT, dma(&g, 0, GUEST_VA + 0x20, buf, 12, false, &f));
	assert_int_equal(f.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 1);
	guest_free(&g);
}

/* AMD: the guest DTE's GCR3 table gives each PASID's x86-64 root; nothing is cached. */
static uint32_t amd_nested(struct guest *g, uint32_t flags, uint64_t d0, uint64_t gcr3, uint64_t d2,
			   int *err)
{
	struct iommu_hwpt_amd_guest dte = { 0 };
	uint32_t id = 0;

	dte.dte[0] = htole64(d0 | ((gcr3 >> 12) & 7) << 58);
	dte.dte[1] = htole64(((gcr3 >> 15) & 0xffff) << 16 | (gcr3 >> 31) << 43);
	dte.dte[2] = htole64(d2);
	*err = nested_alloc(g, g->parent, flags, IOMMU_HWPT_DATA_AMD_GUEST, &dte, sizeof(dte), &id);
	return id;
}

static void test_amd(void **state)
{
	const uint64_t b = X_P | X_RW | X_US, V = 1, GIOV = UINT64_C(1) << 54,
		       GV = UINT64_C(1) << 55;
	uint64_t gcr3, data1, data2, root0, *leaf;
	struct ioasid_dma_fault f;
	uint32_t n, n_nogiov;
	char buf[16] = { 0 };
	struct guest g;
	int err;

	(void)state;
	guest_new(&g, "amd-v1-4", IOASID_DEVICE_PASID);
	gcr3 = galloc(&g);
	data1 = galloc(&g);
	data2 = galloc(&g);
	root0 = g.root;
	leaf = gmap4(&g, GUEST_VA, data1, b, b);
	g.root = galloc(&g); /* PASID 5's own table */
	gmap4(&g, GUEST_VA, data2, b, b);
	gptr(&g, gcr3)[0] = root0 | 1;
	gptr(&g, gcr3)[5] = g.root | 1;

	/* the kernel's checks of a guest DTE */
	amd_nested(&g, 0, V | GV | (UINT64_C(4) << 9), gcr3, 0, &err); /* host Mode */
	assert_int_equal(err, EINVAL);
	amd_nested(&g, 0, V | GV | (UINT64_C(3) << 56), gcr3, 0, &err); /* GLX 3 */
	assert_int_equal(err, EINVAL);
	amd_nested(&g, 0, V | GV, gcr3, UINT64_C(2) << 54, &err); /* guest paging mode 2 */
	assert_int_equal(err, EINVAL);
	amd_nested(&g, 0, V | GV, 0, 0, &err); /* no GCR3 table */
	assert_int_equal(err, EINVAL);

	n = amd_nested(&g, IOMMU_HWPT_ALLOC_PASID, V | GV | GIOV, gcr3, 0, &err);
	T_OK(err);
	n_nogiov = amd_nested(&g, IOMMU_HWPT_ALLOC_PASID, V | GV, gcr3, 0, &err);
	T_OK(err);
	T_OK(ioasid_device_attach(g.ctx, g.dev, n, NULL));
	/* the RID through GCR3 entry 0 (GIOV) */
	T_OK(dma(&g, 0, GUEST_VA + 4, "amd rid", 8, true, &f));
	assert_string_equal((char *)gptr(&g, data1 + 4), "amd rid");
	assert_true(*leaf & X_D);
	/* PASID 5 through its own GCR3 entry */
	T_OK(ioasid_device_pasid_attach(g.ctx, g.dev, 5, n, NULL));
	T_OK(dma(&g, 5, GUEST_VA + 4, "pasid5", 7, true, &f));
	assert_string_equal((char *)gptr(&g, data2 + 4), "pasid5");
	/* a PASID with no GCR3 entry: a stage-1 fault */
	T_OK(ioasid_device_pasid_attach(g.ctx, g.dev, 6, n, NULL));
	T_ERR(EFAULT, dma(&g, 6, GUEST_VA + 4, buf, 1, false, &f));
	assert_int_equal(f.stage, 1);
	assert_int_equal(f.level, 0x103); /* the GCR3 entry (IOMMU_FAULT_CTX_PASID) */
	/* a PASID with nothing attached of its own: the RID's GCR3 table selects */
	gptr(&g, gcr3)[9] = g.root | 1;
	T_OK(dma(&g, 9, GUEST_VA + 4, buf, 7, false, &f));
	assert_string_equal(buf, "pasid5");
	T_ERR(EFAULT, dma(&g, 10, GUEST_VA + 4, buf, 1, false, &f));
	assert_int_equal(f.level, 0x103);
	/* upstream (7.3) defines no AMD invalidation: EOPNOTSUPP, nothing handled */
	assert_int_equal(vtd_invalidate(&g, n, 0, 1), EOPNOTSUPP);
	/* never cached: the guest's remap is seen at once */
	*leaf = data2 | b;
	T_OK(dma(&g, 0, GUEST_VA + 4, buf, 7, false, &f));
	assert_string_equal(buf, "pasid5");
	/* without GIOV the RID goes through stage 2 alone */
	T_OK(ioasid_device_pasid_detach(g.ctx, g.dev, 5));
	T_OK(ioasid_device_pasid_detach(g.ctx, g.dev, 6));
	T_OK(ioasid_device_replace(g.ctx, g.dev, n_nogiov, NULL));
	T_OK(dma(&g, 0, data1 + 4, buf, 8, false, &f));
	assert_string_equal(buf, "amd rid");
	guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtd_rid),
		cmocka_unit_test(test_vtd_pasid),
		cmocka_unit_test(test_smmuv3),
		cmocka_unit_test(test_amd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
