/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_viommu.c - vIOMMUs, vDEVICEs, vEVENTQs and HW queues through the ioctl ABI and the
 * mock IOMMU.
 *
 * Written from the kernel's documented behaviour (include/uapi/linux/iommufd.h and the
 * selftest's mock vIOMMU): a vIOMMU needs a nest-parent HWPT and a type the device's IOMMU
 * has; its data is echoed and it offers one page through mmap of the iommufd; a device
 * has at most one vDEVICE and a virt_id names at most one; the vIOMMU's invalidation
 * resets a vDEVICE's cache entries with partial completion; a vEVENTQ (one per type)
 * delivers (header, data) records with consecutive sequence numbers and reports events
 * dropped on a full queue with a LOST_EVENTS header; HW queues are allocated from index 0
 * up, pin their memory, and are destroyed from the top down.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mock_helpers.h"
#include "core/private.h"

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, stdev, idev, parent, viommu;
	uint8_t *buf;
};

static int viommu_alloc(struct fix *f, uint32_t dev, uint32_t hwpt, uint32_t type, void *data,
			uint32_t len, uint32_t *out)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = type,
		.dev_id = dev,
		.hwpt_id = hwpt,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = t_ioctl(f->ctx, IOMMU_VIOMMU_ALLOC, &a);

	if (!rc && out)
		*out = a.out_viommu_id;
	return rc;
}

static int vdev_alloc(struct fix *f, uint32_t viommu, uint32_t dev, uint64_t virt_id, uint32_t *out)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .dev_id = dev, .virt_id = virt_id
	};
	int rc = t_ioctl(f->ctx, IOMMU_VDEVICE_ALLOC, &a);

	if (!rc && out)
		*out = a.out_vdevice_id;
	return rc;
}

static int veventq_alloc(struct fix *f, uint32_t viommu, uint32_t type, uint32_t depth,
			 uint32_t *out_id, int *out_fd)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .type = type, .veventq_depth = depth
	};
	int rc = t_ioctl(f->ctx, IOMMU_VEVENTQ_ALLOC, &a);

	if (!rc) {
		*out_id = a.out_veventq_id;
		*out_fd = (int)a.out_veventq_fd;
	}
	return rc;
}

static int hw_queue_alloc(struct fix *f, uint32_t type, uint32_t index, uint64_t iova, uint64_t len,
			  uint32_t *out)
{
	struct iommu_hw_queue_alloc a = {
		.size = sizeof(a),
		.viommu_id = f->viommu,
		.type = type,
		.index = index,
		.nesting_parent_iova = iova,
		.length = len,
	};
	int rc = t_ioctl(f->ctx, IOMMU_HW_QUEUE_ALLOC, &a);

	if (!rc && out)
		*out = a.out_hw_queue_id;
	return rc;
}

static int trigger_vevent(struct fix *f, uint32_t dev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };

	c.trigger_vevent.dev_id = dev;
	return m_cmd(f->ctx, &c);
}

static int check_cache(struct fix *f, uint32_t dev, uint32_t entry, uint32_t val)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = dev };

	c.check_dev_cache.id = entry;
	c.check_dev_cache.cache = val;
	return m_cmd(f->ctx, &c);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &f->stdev, NULL, &f->idev));
	T_OK(m_hwpt_alloc(f->ctx, f->idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &f->parent));
	T_OK(viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, &f->viommu));
	f->buf = m_buf(4 * PG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	m_buf_free(f->buf, 4 * PG);
	free(f);
	return 0;
}

static void test_viommu_alloc(void **state)
{
	struct fix *f = *state;
	struct iommu_viommu_selftest data = { .in_data = 0xabcd1234 };
	uint32_t plain, v = 0, v2 = 0;
	uint32_t *page;
	int fd;

	T_OK(m_hwpt_alloc(f->ctx, f->idev, f->ioas, 0, &plain));
	T_ERR(EOPNOTSUPP,
	      viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_DEFAULT, NULL, 0, NULL));
	T_ERR(EOPNOTSUPP,
	      viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0, NULL));
	T_ERR(ENOENT, viommu_alloc(f, 9999, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, NULL));
	T_ERR(ENOENT, viommu_alloc(f, f->idev, f->ioas, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, NULL));
	T_ERR(EINVAL, viommu_alloc(f, f->idev, plain, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, NULL));
	/* data: too short is EINVAL, unreadable EFAULT; echoed, with a page to map */
	T_ERR(EINVAL,
	      viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data, 4, NULL));
	T_ERR(EFAULT, viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL,
				   sizeof(data), NULL));
	T_OK(viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data, sizeof(data),
			  &v));
	assert_int_equal(data.out_data, 0xabcd1234);
	assert_int_not_equal(data.out_mmap_length, 0);
	/* the region is exactly (offset, length) */
	assert_int_equal(ioasid_mmap_fd(f->ctx, data.out_mmap_offset + PG, data.out_mmap_length),
			 -1);
	assert_int_equal(errno, ENXIO);
	assert_int_equal(ioasid_mmap_fd(f->ctx, data.out_mmap_offset, data.out_mmap_length / 2),
			 -1);
	assert_int_equal(data.out_mmap_length, 2 * PG); /* the kernel's mock: two pages */
	fd = ioasid_mmap_fd(f->ctx, data.out_mmap_offset, data.out_mmap_length);
	assert_true(fd >= 0);
	/* the fd holds the region, then the mapping alone: the vIOMMU is busy */
	T_ERR(EBUSY, m_destroy(f->ctx, v));
	page = mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(page != MAP_FAILED);
	close(fd);
	assert_int_equal(page[0], 0xabcd1234);
	T_ERR(EBUSY, m_destroy(f->ctx, v));
	/* the region cannot be resized through the fd given out */
	fd = ioasid_mmap_fd(f->ctx, data.out_mmap_offset, data.out_mmap_length);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(ftruncate(fd, 1 << 30), -1);
	close(fd);
	munmap(page, data.out_mmap_length);
	/* the first version of the data (no mmap fields) still works */
	data.out_mmap_length = 0;
	T_OK(viommu_alloc(f, f->idev, f->parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data, 8, &v2));
	assert_int_equal(data.out_mmap_length, 0);
	/* the parent is held */
	T_ERR(EBUSY, m_destroy(f->ctx, f->parent));
	T_OK(m_destroy(f->ctx, v));
	T_OK(m_destroy(f->ctx, v2));
	T_OK(m_destroy(f->ctx, plain));
}

static void test_vdevice(void **state)
{
	struct fix *f = *state;
	struct iommu_viommu_invalidate_selftest inv[2] = { 0 };
	struct iommu_hwpt_invalidate c = { .size = sizeof(c) };
	uint32_t vdev = 0, stdev2, idev2, vdev2 = 0;

	T_ERR(ENOENT, vdev_alloc(f, 9999, f->idev, 0x10, NULL));
	T_ERR(ENOENT, vdev_alloc(f, f->viommu, 9999, 0x10, NULL));
	T_OK(vdev_alloc(f, f->viommu, f->idev, 0x10, &vdev));
	/* one vDEVICE per device, one device per virt_id */
	T_ERR(EEXIST, vdev_alloc(f, f->viommu, f->idev, 0x11, NULL));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev2, NULL, &idev2));
	T_ERR(EEXIST, vdev_alloc(f, f->viommu, idev2, 0x10, NULL));
	T_OK(vdev_alloc(f, f->viommu, idev2, 0x20, &vdev2));
	T_ERR(EBUSY, m_destroy(f->ctx, f->viommu));
	/* vIOMMU-scoped invalidation of the device caches, stopping at the first bad entry */
	for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		T_OK(check_cache(f, f->idev, i, IOMMU_TEST_DEV_CACHE_DEFAULT));
	c.hwpt_id = f->viommu;
	c.data_uptr = (uintptr_t)inv;
	c.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
	c.entry_len = sizeof(inv[0]);
	c.entry_num = 2;
	inv[0].vdev_id = 0x10;
	inv[0].cache_id = 1;
	inv[1].vdev_id = 0x30; /* no such vDEVICE */
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &c));
	assert_int_equal(c.entry_num, 1);
	T_OK(check_cache(f, f->idev, 1, 0));
	T_OK(check_cache(f, f->idev, 0, IOMMU_TEST_DEV_CACHE_DEFAULT));
	inv[0].vdev_id = 0x20;
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	c.entry_num = 1;
	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &c));
	for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++)
		T_OK(check_cache(f, idev2, i, 0));
	c.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID;
	c.entry_num = 1;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &c));
	assert_int_equal(c.entry_num, 0);
	/* a vDEVICE goes with its device */
	T_OK(m_destroy(f->ctx, stdev2));
	T_ERR(ENOENT, m_destroy(f->ctx, vdev2));
	T_OK(m_destroy(f->ctx, vdev));
	T_OK(m_destroy(f->ctx, f->viommu));
}

static void test_veventq(void **state)
{
	struct fix *f = *state;
	uint32_t vdev = 0, q = 0, q2;
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest ev;
	} rec;
	struct iommufd_vevent_header lost;
	struct pollfd p;
	int fd = -1, fd2;

	T_ERR(EOPNOTSUPP, veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 2, &q2, &fd2));
	T_ERR(EINVAL, veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 0, &q2, &fd2));
	/* the kernel's bound on the depth (Linux 7.x): 1 << 19 */
	T_ERR(EINVAL,
	      veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, (1u << 19) + 1, &q2, &fd2));
	T_ERR(ENOENT, veventq_alloc(f, 9999, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &q2, &fd2));
	T_OK(veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &q, &fd));
	T_ERR(EEXIST, veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &q2, &fd2));
	/* no vDEVICE: nothing to name */
	T_ERR(ENOENT, trigger_vevent(f, f->idev));
	T_OK(vdev_alloc(f, f->viommu, f->idev, 0x77, &vdev));
	T_OK(trigger_vevent(f, f->idev));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.hdr.flags, 0);
	assert_int_equal(rec.hdr.sequence, 0);
	assert_int_equal(rec.ev.virt_id, 0x77);
	/* depth 2: the third and fourth are lost, reported before the next one */
	for (int i = 0; i < 4; i++)
		T_OK(trigger_vevent(f, f->idev));
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.hdr.sequence, 1);
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.hdr.sequence, 2);
	T_OK(trigger_vevent(f, f->idev));
	assert_int_equal(read(fd, &lost, sizeof(lost)), sizeof(lost));
	assert_int_equal(lost.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.hdr.flags, 0);
	assert_int_equal(rec.hdr.sequence, 5); /* 3 and 4 were lost: the gap shows it */
	/* the queue holds the vIOMMU; its fd holds the queue */
	T_ERR(EBUSY, m_destroy(f->ctx, f->viommu));
	T_ERR(EBUSY, m_destroy(f->ctx, q));
	close(fd);
	T_OK(m_destroy(f->ctx, q));
	T_OK(m_destroy(f->ctx, vdev));
}

/* Closing the context with a vEVENTQ's fd open frees everything; the fd then reads EOF. */
static void test_veventq_open_at_close(void **state)
{
	struct fix *f = *state;
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest ev;
	} rec;
	uint32_t q = 0;
	int fd = -1;

	T_OK(veventq_alloc(f, f->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &q, &fd));
	T_OK(vdev_alloc(f, f->viommu, f->idev, 0x9, NULL));
	T_OK(trigger_vevent(f, f->idev));
	ioasid_ctx_free(f->ctx);
	f->ctx = NULL;
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.ev.virt_id, 0x9);
	assert_int_equal(read(fd, &rec, sizeof(rec)), 0);
	close(fd);
}

static void test_hw_queue(void **state)
{
	struct fix *f = *state;
	uint64_t iova = MOCK_APERTURE_START, iova2 = iova + 16 * PG, unmapped;
	uint32_t hq[2] = { 0 };

	T_ERR(EOPNOTSUPP, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, iova, PG, NULL));
	T_ERR(EINVAL, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, 0, NULL));
	T_ERR(EOVERFLOW, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, UINT64_MAX, PG, NULL));
	/* nothing mapped there yet */
	T_ERR(ENOENT, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, PG, NULL));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, PG, iova, T_MAP_RW));
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + PG, PG, iova2, T_MAP_RW));
	T_ERR(EIO, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1, iova, PG, NULL));
	T_ERR(EINVAL, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, IOMMU_TEST_HW_QUEUE_MAX, iova,
				     PG, NULL));
	T_OK(hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, PG, &hq[0]));
	T_ERR(EEXIST, hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, iova, PG, NULL));
	/* the queue's page is locked: unmapping it is EBUSY, the other page goes */
	T_ERR(EBUSY, t_unmap(f->ctx, f->ioas, iova, PG, &unmapped));
	T_OK(t_unmap(f->ctx, f->ioas, iova2, PG, &unmapped));
	/* a queue inside a page, the second one */
	T_OK(hw_queue_alloc(f, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1, iova + PG / 2, PG / 2, &hq[1]));
	T_ERR(EBUSY, m_destroy(f->ctx, hq[0]));
	T_ERR(EBUSY, m_destroy(f->ctx, f->viommu));
	T_OK(m_destroy(f->ctx, hq[1]));
	T_OK(m_destroy(f->ctx, hq[0]));
	T_OK(t_unmap(f->ctx, f->ioas, iova, PG, &unmapped));
	T_OK(m_destroy(f->ctx, f->viommu));
}

static void test_nested_on_viommu(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.dev_id = f->idev,
		.pt_id = f->viommu,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	uint32_t vdev = 0;

	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	T_ERR(EBUSY, m_destroy(f->ctx, f->viommu));
	/* the mock device attaches to a vIOMMU's nested HWPT only with a vDEVICE there */
	T_ERR(ENOENT, m_replace(f->ctx, f->stdev, a.out_hwpt_id, NULL));
	T_OK(vdev_alloc(f, f->viommu, f->idev, 0x42, &vdev));
	T_OK(m_replace(f->ctx, f->stdev, a.out_hwpt_id, NULL));
	T_ERR(EBUSY, m_destroy(f->ctx, a.out_hwpt_id));
	T_OK(m_replace(f->ctx, f->stdev, f->ioas, NULL));
	T_OK(m_destroy(f->ctx, a.out_hwpt_id));
	T_OK(m_destroy(f->ctx, vdev));
	T_OK(m_destroy(f->ctx, f->viommu));
}

/* An SMMUv3 vIOMMU on an ARM stage 2: the guest's STE, command-queue invalidations. */
static void test_smmuv3(void **state)
{
	struct fix *f = *state;
	struct ioasid_device_desc d = { .format = "arm-s2-4k-52" };
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { 1 | (5 << 1), 0 } };
	struct iommu_viommu_arm_smmuv3_invalidate cmds[3] = { 0 };
	struct iommu_hwpt_invalidate c = { .size = sizeof(c) };
	struct iommu_hwpt_alloc a = { .size = sizeof(a) };
	uint32_t adev, parent, v = 0, vdev = 0;

	T_OK(ioasid_device_new(f->ctx, &d, &adev));
	T_OK(m_hwpt_alloc(f->ctx, adev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	/* the mock's type is not this IOMMU's; a mock parent is another IOMMU's */
	T_ERR(EOPNOTSUPP, viommu_alloc(f, adev, parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0, NULL));
	T_ERR(EINVAL,
	      viommu_alloc(f, adev, f->parent, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0, NULL));
	T_OK(viommu_alloc(f, adev, parent, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0, &v));
	a.dev_id = adev;
	a.pt_id = v;
	a.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	a.data_len = sizeof(ste);
	a.data_uptr = (uintptr_t)&ste;
	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	T_OK(m_destroy(f->ctx, a.out_hwpt_id));
	ste.ste[0] = 1 | (3 << 1); /* a reserved Config */
	T_ERR(EIO, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	ste.ste[0] = 1 | (5 << 1);
	ste.ste[1] = 1ULL << 40; /* a field the guest may not set */
	T_ERR(EIO, t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	ste.ste[0] = 0xf0; /* not valid: taken as an abort STE */
	ste.ste[1] = 0;
	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	T_OK(m_destroy(f->ctx, a.out_hwpt_id));
	/* commands: TLB invalidations go; a per-stream one needs the vSID of a vDEVICE */
	T_OK(vdev_alloc(f, v, adev, 0x42, &vdev));
	cmds[0].cmd[0] = 0x10;			 /* TLBI_NH_ALL */
	cmds[1].cmd[0] = 0x05 | (0x42ULL << 32); /* CFGI_CD, vSID 0x42 */
	cmds[2].cmd[0] = 0x05 | (0x43ULL << 32); /* no such vSID */
	c.hwpt_id = v;
	c.data_uptr = (uintptr_t)cmds;
	c.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	c.entry_len = sizeof(cmds[0]);
	c.entry_num = 3;
	T_ERR(EIO, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &c));
	assert_int_equal(c.entry_num, 2);
	cmds[0].cmd[0] = 0x99; /* not a command a guest may send */
	c.entry_num = 1;
	T_ERR(EIO, t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &c));
	assert_int_equal(c.entry_num, 0);
	T_OK(m_destroy(f->ctx, vdev));
	T_OK(m_destroy(f->ctx, v));
	T_OK(m_destroy(f->ctx, parent));
}

static int hw_info(struct fix *f, uint32_t dev, void *buf, uint32_t len, struct iommu_hw_info *h)
{
	memset(h, 0, sizeof(*h));
	h->size = sizeof(*h);
	h->dev_id = dev;
	h->data_len = len;
	h->data_uptr = (uintptr_t)buf;
	return t_ioctl(f->ctx, IOMMU_GET_HW_INFO, h);
}

/* GET_HW_INFO per IOMMU model: the registers a VMM builds its vIOMMU from. */
static void test_hw_info_models(void **state)
{
	struct fix *f = *state;
	struct ioasid_device_desc vd = { .format = "vtd-ss-5" }, ad = { .format = "amd-v1-6" };
	struct ioasid_device_desc ld = { .format = "arm-s2-64k-42" },
				  rd = { .format = "riscv-sv48" };
	struct iommu_hw_info_arm_smmuv3 smmu;
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info_amd amd;
	struct iommu_hw_info h;
	uint32_t dev;

	T_OK(ioasid_device_new(f->ctx, &vd, &dev));
	T_OK(hw_info(f, dev, &vtd, sizeof(vtd), &h));
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(h.data_len, sizeof(vtd));
	assert_int_equal((vtd.cap_reg >> 8) & 0x1f, 1u << 3); /* SAGAW: 5 levels */
	assert_int_equal((vtd.cap_reg >> 16) & 0x3f, 57 - 1); /* MGAW */
	assert_true(vtd.ecap_reg & (1ULL << 26));	      /* nesting */
	assert_true(vtd.ecap_reg & (1ULL << 45));	      /* dirty (SLADS) */
	assert_int_equal(h.out_capabilities & IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED,
			 IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	/* asking for another type is EOPNOTSUPP */
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = IOMMU_HW_INFO_TYPE_AMD;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_GET_HW_INFO, &h));

	T_OK(ioasid_device_new(f->ctx, &ad, &dev));
	T_OK(hw_info(f, dev, &amd, sizeof(amd), &h));
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_AMD);
	assert_int_equal((amd.efr >> 10) & 3, 2);     /* HATS: 6 levels */
	assert_int_equal((amd.efr >> 32) & 0x1f, 19); /* PASmax */
	assert_int_equal(amd.efr2, 0);

	T_OK(ioasid_device_new(f->ctx, &ld, &dev));
	T_OK(hw_info(f, dev, &smmu, sizeof(smmu), &h));
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	assert_int_equal(smmu.idr[0] & 3, 3);	    /* stage 1 and stage 2 */
	assert_int_equal(smmu.idr[5] & 0x70, 0x40); /* the 64K granule only */

	T_OK(ioasid_device_new(f->ctx, &rd, &dev));
	T_OK(hw_info(f, dev, NULL, 0, &h));
	assert_int_equal(h.out_data_type, IOMMU_HW_INFO_TYPE_NONE);
	assert_int_equal(h.data_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_viommu_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdevice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_veventq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_veventq_open_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_on_viommu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smmuv3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_info_models, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
