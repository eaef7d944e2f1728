/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops.c - the scenarios' call helpers (see ops.h): each builds one of the kernel's structs,
 * passes it through tr_ioctl and returns what the kernel wrote. The scratch buffer lives in
 * the arena's last megabyte, so that arrays the kernel writes there are printed by offset.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

#define SCRATCH_OFF ((2UL << 30) - (1UL << 20))
#define SCRATCH_LEN (1UL << 20)

void *ops_scratch(void)
{
	static void *s;

	if (!s)
		s = tr_mem("scratch", TR_ANON_PRIVATE, SCRATCH_OFF, SCRATCH_LEN);
	memset(s, 0, 4096);
	return s;
}

uint32_t op_ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	return tr_ioctl(fd, IOMMU_IOAS_ALLOC, &a) ? 0 : a.out_ioas_id;
}

long op_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return tr_ioctl(fd, IOMMU_DESTROY, &d);
}

long op_map(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = flags,
				    .ioas_id = ioas,
				    .user_va = (uintptr_t)va,
				    .length = len,
				    .iova = iova ? *iova : 0 };
	long rc = tr_ioctl(fd, IOMMU_IOAS_MAP, &m);

	if (iova)
		*iova = rc ? 0 : m.iova;
	return rc;
}

long op_map_fixed(int fd, uint32_t ioas, const void *va, uint64_t len, uint64_t iova)
{
	return op_map(fd, ioas, va, len, &iova,
		      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			      IOMMU_IOAS_MAP_WRITEABLE);
}

uint64_t op_map_auto(int fd, uint32_t ioas, const void *va, uint64_t len)
{
	uint64_t iova = 0;

	op_map(fd, ioas, va, len, &iova, IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
	return iova;
}

long op_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out_len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len
	};
	long rc = tr_ioctl(fd, IOMMU_IOAS_UNMAP, &u);

	if (out_len)
		*out_len = rc ? 0 : u.length;
	return rc;
}

long op_copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova, uint64_t len,
	     uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy c = { .size = sizeof(c),
				     .flags = flags,
				     .dst_ioas_id = dst,
				     .src_ioas_id = src,
				     .length = len,
				     .dst_iova = dst_iova ? *dst_iova : 0,
				     .src_iova = src_iova };
	long rc = tr_ioctl(fd, IOMMU_IOAS_COPY, &c);

	if (dst_iova)
		*dst_iova = rc ? 0 : c.dst_iova;
	return rc;
}

long op_allow(int fd, uint32_t ioas, unsigned int n, const uint64_t *pairs)
{
	struct iommu_iova_range *r = ops_scratch();
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = n, .allowed_iovas = (uintptr_t)r
	};

	for (unsigned int i = 0; i < n; i++) {
		r[i].start = pairs[2 * i];
		r[i].last = pairs[2 * i + 1];
	}
	return tr_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

long op_ranges(int fd, uint32_t ioas, uint32_t capacity)
{
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r),
					    .ioas_id = ioas,
					    .num_iovas = capacity,
					    .allowed_iovas = (uintptr_t)ops_scratch() };

	return tr_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r);
}

long op_option(int fd, uint32_t option, uint16_t op, uint32_t object, uint64_t *val)
{
	struct iommu_option o = { .size = sizeof(o),
				  .option_id = option,
				  .op = op,
				  .object_id = object,
				  .val64 = val ? *val : 0 };
	long rc = tr_ioctl(fd, IOMMU_OPTION, &o);

	if (val)
		*val = o.val64;
	return rc;
}

static struct iommu_test_cmd test_cmd(uint32_t op, uint32_t id)
{
	struct iommu_test_cmd t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = op;
	t.id = id;
	return t;
}

long op_mock_domain(int fd, uint32_t ioas, uint32_t dev_flags, struct mock_dev *out)
{
	struct iommu_test_cmd t = test_cmd(
		dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN, ioas);
	long rc;

	t.mock_domain_flags.dev_flags = dev_flags;
	rc = tr_ioctl(fd, IOMMU_TEST_CMD, &t);
	if (out) {
		memset(out, 0, sizeof(*out));
		if (!rc) {
			out->stdev_id = t.mock_domain_flags.out_stdev_id;
			out->hwpt_id = t.mock_domain_flags.out_hwpt_id;
			out->idev_id = t.mock_domain_flags.out_idev_id;
		}
	}
	return rc;
}

long op_replace(int fd, uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev);

	t.mock_domain_replace.pt_id = pt_id;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *out_hwpt)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = dev, .pt_id = pt
	};
	long rc = tr_ioctl(fd, IOMMU_HWPT_ALLOC, &h);

	if (out_hwpt)
		*out_hwpt = rc ? 0 : h.out_hwpt_id;
	return rc;
}

long op_add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_ADD_RESERVED, ioas);

	t.add_reserved.start = start;
	t.add_reserved.length = len;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_check_map(int fd, uint32_t id, uint64_t iova, const void *va, uint64_t len)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_MD_CHECK_MAP, id);

	t.check_map.iova = iova;
	t.check_map.length = len;
	t.check_map.uptr = (uintptr_t)va;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_check_refs(int fd, const void *va, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_MD_CHECK_REFS, 0);

	t.check_refs.length = len;
	t.check_refs.uptr = (uintptr_t)va;
	t.check_refs.refs = refs;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

int op_create_access(int fd, uint32_t ioas, uint32_t flags)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioas);
	static int n;
	char name[16];

	t.create_access.flags = flags;
	/* name the fd before the call prints it: the number is the lowest free one */
	snprintf(name, sizeof(name), "access%d", n++);
	if (tr_ioctl(fd, IOMMU_TEST_CMD, &t))
		return -1;
	tr_fd_name((int)t.create_access.out_access_fd, name);
	return (int)t.create_access.out_access_fd;
}

long op_access_pages(int fd, int access_fd, uint64_t iova, uint64_t len, const void *va,
		     uint32_t flags, uint32_t *out_id)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_ACCESS_PAGES, (uint32_t)access_fd);
	long rc;

	t.access_pages.flags = flags;
	t.access_pages.iova = iova;
	t.access_pages.length = len;
	t.access_pages.uptr = (uintptr_t)va;
	rc = tr_ioctl(fd, IOMMU_TEST_CMD, &t);
	if (out_id)
		*out_id = rc ? 0 : t.access_pages.out_access_pages_id;
	return rc;
}

long op_destroy_access_pages(int fd, int access_fd, uint32_t pages_id)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, (uint32_t)access_fd);

	t.destroy_access_pages.access_pages_id = pages_id;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_access_rw(int fd, int access_fd, uint64_t iova, void *va, uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_ACCESS_RW, (uint32_t)access_fd);

	t.access_rw.iova = iova;
	t.access_rw.length = len;
	t.access_rw.uptr = (uintptr_t)va;
	t.access_rw.flags = flags;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_access_replace(int fd, int access_fd, uint32_t ioas)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, (uint32_t)access_fd);

	t.access_replace_ioas.ioas_id = ioas;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_memory_limit(int fd, uint32_t pages)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0);

	t.memory_limit.limit = pages;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_hw_info(int fd, uint32_t dev, uint32_t data_len)
{
	struct iommu_hw_info h = { .size = sizeof(h),
				   .dev_id = dev,
				   .data_len = data_len,
				   .data_uptr = (uintptr_t)ops_scratch() };

	return tr_ioctl(fd, IOMMU_GET_HW_INFO, &h);
}

long op_set_dirty(int fd, uint32_t hwpt, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt
	};

	return tr_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

long op_test_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t page_size,
		   const void *bitmap)
{
	struct iommu_test_cmd t = test_cmd(IOMMU_TEST_OP_DIRTY, hwpt);

	t.dirty.iova = iova;
	t.dirty.length = len;
	t.dirty.page_size = page_size;
	t.dirty.uptr = (uintptr_t)bitmap;
	return tr_ioctl(fd, IOMMU_TEST_CMD, &t);
}

long op_get_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t page_size,
		  uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g),
						 .hwpt_id = hwpt,
						 .flags = flags,
						 .iova = iova,
						 .length = len,
						 .page_size = page_size,
						 .data = (uintptr_t)ops_scratch() };

	return tr_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

long op_vfio_ioas(int fd, uint16_t op, uint32_t ioas)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = ioas, .op = op };

	return tr_ioctl(fd, IOMMU_VFIO_IOAS, &v);
}

void ops_drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return;
	for (int i = 0; i < n; i++) {
		d[caps[i] / 32].effective &= ~(1U << (caps[i] % 32));
		d[caps[i] / 32].permitted &= ~(1U << (caps[i] % 32));
		d[caps[i] / 32].inheritable &= ~(1U << (caps[i] % 32));
	}
	syscall(SYS_capset, &h, d);
}
