/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd test command (IOMMU_TEST_CMD) and its mock driver's data.
 *
 * Linux builds this interface only with CONFIG_IOMMUFD_TEST; its selftest
 * (tools/testing/selftests/iommu) drives a mock IOMMU and mock devices
 * through it. ioasid serves the same command so that selftest runs, unchanged,
 * against us. This file is our own rendering of the kernel's private header
 * drivers/iommu/iommufd/iommufd_test.h: same names, values and layout.
 *
 * For a conformance run it is copied to drivers/iommu/iommufd/iommufd_test.h
 * next to the selftest tree (see docs/abi.md). It is not a stable ABI upstream:
 * op numbers follow the kernel's enum order, and tests/abi pins them.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/iommufd.h>
#include <linux/types.h>

/* op of struct iommu_test_cmd. Numbered from 1, in the kernel's order. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	IOMMU_TEST_OP_DEV_CHECK_CACHE,
	IOMMU_TEST_OP_TRIGGER_VEVENT,
	IOMMU_TEST_OP_PASID_ATTACH,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
	IOMMU_TEST_OP_DMABUF_GET,
	IOMMU_TEST_OP_DMABUF_REVOKE,
};

/*
 * ioasid's own test op, not the kernel's (numbered far from its ops): device DMA, so that a
 * program served by the daemon can drive a device's DMA and read back the result or the
 * typed fault. See docs/translation.md.
 */
#define IOMMU_TEST_OP_IOASID_DEV_DMA 0x494f0001
/* dev_dma.flags */
#define IOMMU_TEST_DMA_WRITE (1u << 0) /* the device writes memory (from uptr) */
/*
 * ioasid's test op: bind a device of one of ioasid's IOMMU models (dev_new.format: "mock"
 * or a page-table variant such as "vtd-ss-4", NUL-terminated) to the context, so that a
 * program served by the daemon can drive every IOMMU kind. The context owns the device
 * (unbound when it closes). See docs/translation.md.
 */
#define IOMMU_TEST_OP_IOASID_DEV_NEW 0x494f0002
#define IOMMU_TEST_DEV_NEW_PASID     (1u << 2) /* dev_new.flags: 20-bit PASIDs */
/*
 * ioasid's test op: attach, replace or detach (dev_attach.op) a PASID (0: the RID) of a
 * device made by IOASID_DEV_NEW (@id) to an HWPT or IOAS (pt_id), with the kernel's rules
 * and errnos (ioasid_device_pasid_attach and friends). Out: the HWPT used.
 */
#define IOMMU_TEST_OP_IOASID_DEV_ATTACH 0x494f0003
enum {
	IOMMU_TEST_DEV_ATTACH = 0,
	IOMMU_TEST_DEV_REPLACE = 1,
	IOMMU_TEST_DEV_DETACH = 2,
};

/* The mock IOMMU's aperture: [16 MiB, 2 GiB - 1]. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags: the access will pin pages, not only read and write */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/*
 * iommu_hwpt_selftest.pagetable_type (Linux 7.x): the page table of a paging HWPT allocated
 * with IOMMU_HWPT_DATA_SELFTEST data. DEFAULT: IO pages of half a CPU page in the mock
 * aperture, a CPU page mapped as one leaf (dirty as a whole); HUGE: only CPU pages and 512 IO
 * pages (1M with 4K CPU pages), the whole range of the table.
 */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,
	MOCK_IOMMUPT_HUGE,
};

/*
 * mock_domain_flags.dev_flags. HUGE_IOVA is Linux 6.12's (Linux 7.x dropped it for
 * MOCK_IOMMUPT_HUGE): the device's domains also map 512 IO pages at once.
 */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* A mock nested HWPT has this many IOTLB entries, IDs 0..MAX. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* A mock device has this many device-cache entries, IDs 0..MAX. */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* A PASID the mock driver treats specially in the PASID replace test. */
#define IOMMU_TEST_PASID_RESERVED 1024

/**
 * struct iommu_test_cmd - IOMMU_TEST_CMD: one test operation.
 * @size: sizeof(struct iommu_test_cmd)
 * @op: IOMMU_TEST_OP_*
 * @id: the object the op acts on (an IOAS, HWPT, device or access)
 * @__reserved: must be 0
 * @last: end marker; the size rules treat the struct as ending here
 *
 * One union member per op; the member is named after the op.
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		/* ADD_RESERVED: reserve [start, start + length) in IOAS @id */
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		/* MOCK_DOMAIN: a mock device attached to IOAS @id */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			/* the device's ID as a normal bound device */
			__u32 out_idev_id;
		} mock_domain;
		/* MOCK_DOMAIN_FLAGS: as MOCK_DOMAIN, with MOCK_FLAGS_DEVICE_* */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		/* MOCK_DOMAIN_REPLACE: move mock device @id to @pt_id */
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		/* MD_CHECK_MAP: HWPT/IOAS @id maps [iova, +length) to uptr */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		/* MD_CHECK_REFS: pages at [uptr, +length) are pinned refs times */
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		/* CREATE_ACCESS: an in-kernel style user of IOAS @id, as an fd */
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		/* DESTROY_ACCESS_PAGES: unpin what ACCESS_PAGES pinned */
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		/* ACCESS_PAGES: pin [iova, +length) through access @id */
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		/* ACCESS_RW: copy between IOVA and uptr through access @id */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		/* SET_TEMP_MEMORY_LIMIT: cap on pages per batch, for tests */
		struct {
			__u32 limit;
		} memory_limit;
		/* ACCESS_REPLACE_IOAS: move access @id to another IOAS */
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		/* DIRTY: mark pages dirty in HWPT @id from the bitmap at uptr */
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		/* MD_CHECK_IOTLB: IOTLB entry @id of nested HWPT holds iotlb */
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		/* TRIGGER_IOPF: make device dev_id fault at addr */
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		/* DEV_CHECK_CACHE: cache entry @id of the device holds cache */
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		/* TRIGGER_VEVENT: queue a vEVENT for device dev_id */
		struct {
			__u32 dev_id;
		} trigger_vevent;
		/* PASID_ATTACH: attach @pasid of mock device @id to pt_id */
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		/* PASID_REPLACE: move @pasid of mock device @id to pt_id */
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		/* PASID_DETACH: detach @pasid of mock device @id */
		struct {
			__u32 pasid;
		} pasid_detach;
		/* PASID_CHECK_HWPT: @pasid of mock device @id is on hwpt_id */
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		/* DMABUF_GET: a test dma-buf of @length bytes; the op returns its fd */
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		/* DMABUF_REVOKE: revoke (or restore) the test dma-buf @dmabuf_fd */
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
		/*
		 * IOASID_DEV_DMA: device @id does DMA at [iova, +length) with @pasid (0:
		 * none), to or from the caller's buffer at uptr. Out: length = bytes done;
		 * out_fault_type 0, or the typed fault that stopped it (1 not present, 2
		 * permission, 3 address size, 4 bad context structure) with its stage,
		 * level (0x101..0x103: a context structure) and input address.
		 */
		struct {
			__u32 pasid;
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 out_fault_type;
			__u16 out_fault_stage;
			__u16 out_fault_level;
			__aligned_u64 out_fault_addr;
		} dev_dma;
		/* IOASID_DEV_NEW: a device of @format with @flags; out: its device ID */
		struct {
			char format[32];
			__u32 flags;
			__u32 out_dev_id;
		} dev_new;
		/* IOASID_DEV_ATTACH: @op on @pasid of device @id; out: the HWPT */
		struct {
			__u32 op;
			__u32 pasid;
			__u32 pt_id;
			__u32 out_hwpt_id;
		} dev_attach;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of mock devices that have MOCK_FLAGS_DEVICE_PASID */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO on a mock device returns this type and register value */
#define IOMMU_HW_INFO_TYPE_SELFTEST   0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

/**
 * struct iommu_test_hw_info - IOMMU_HW_INFO_TYPE_SELFTEST data.
 * @flags: 0
 * @test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL
 */
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* Nested HWPT data type of the mock driver; no real type uses this value */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
/* Every IOTLB entry of a new mock nested HWPT starts with this value */
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
/* Every device-cache entry of a mock device starts with this value */
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/**
 * struct iommu_hwpt_selftest - IOMMU_HWPT_DATA_SELFTEST data.
 * @iotlb: initial value of every IOTLB entry of a nested HWPT (IOMMU_TEST_IOTLB_DEFAULT)
 * @pagetable_type: a paging HWPT's table, MOCK_IOMMUPT_* (Linux 7.x; a nested HWPT ignores
 *                  it). The struct of Linux 6.12 ended at @iotlb, which is still accepted.
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};

/* Invalidation types of a mock nested HWPT: one valid, one always refused */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST	    0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* flags of the selftest invalidations: every entry, ignoring the index */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

/**
 * struct iommu_hwpt_invalidate_selftest - IOMMU_HWPT_INVALIDATE_DATA_SELFTEST.
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_ALL or 0
 * @iotlb_id: IOTLB entry to reset (0..MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
 */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* vIOMMU type of the mock driver */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/**
 * struct iommu_viommu_selftest - IOMMU_VIOMMU_TYPE_SELFTEST data.
 * @in_data: any value
 * @out_data: @in_data, echoed back
 * @out_mmap_offset: mmap() offset of a page of the iommufd that holds @in_data
 * @out_mmap_length: its length
 */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* Invalidation types of a mock vIOMMU: one valid, one always refused */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST	      0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_viommu_invalidate_selftest - IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST.
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_ALL or 0
 * @vdev_id: the vDEVICE (by virt_id) whose cache to flush
 * @cache_id: cache entry to reset (0..MOCK_DEV_CACHE_ID_MAX)
 */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* vEVENTQ type of the mock driver */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/**
 * struct iommu_viommu_event_selftest - an IOMMU_VEVENTQ_TYPE_SELFTEST event.
 * @virt_id: virt_id of the vDEVICE that TRIGGER_VEVENT named
 */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* HW queue type of the mock driver, and how many a mock vIOMMU takes */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX	     2

#endif /* _UAPI_IOMMUFD_TEST_H */
