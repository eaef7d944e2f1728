/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_nested.c - nested HWPTs, IOMMU_HWPT_INVALIDATE, fault queues and the dispatcher's
 * object lifecycle, through the ioctl ABI and the mock IOMMU.
 *
 * Written from the kernel's documented behaviour (include/uapi/linux/iommufd.h and the
 * selftest's mock driver): a nested HWPT needs a nest-parent HWPT of the same IOMMU and
 * data of the IOMMU's own type and size; the parent is EBUSY while it has children; the
 * mock IOTLB starts at the value the data gave and entries are reset one invalidation
 * entry at a time, the call stopping at the first bad entry and reporting how many it
 * handled; a page request reaches the fault queue's fd as one record whose cookie the
 * response echoes; the fd keeps the queue alive until it is closed; an object whose reply
 * cannot be written is never published.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mock_helpers.h"
#include "core/private.h"

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, stdev, idev, parent;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &f->stdev, NULL, &f->idev));
	T_OK(m_hwpt_alloc(f->ctx, f->idev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &f->parent));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	free(f);
	return 0;
}

static int nested_alloc(struct fix *f, uint32_t pt, uint32_t flags, uint32_t fault_id,
			uint32_t type, void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = f->idev,
		.pt_id = pt,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a);

	if (!rc && out)
		*out = a.out_hwpt_id;
	return rc;
}

static int invalidate(struct fix *f, uint32_t id, uint32_t type, void *reqs, uint32_t len,
		      uint32_t *inout_num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)reqs,
		.data_type = type,
		.entry_len = len,
		.entry_num = *inout_num,
	};
	int rc = t_ioctl(f->ctx, IOMMU_HWPT_INVALIDATE, &inv);

	*inout_num = inv.entry_num;
	return rc;
}

static int check_iotlb(struct fix *f, uint32_t id, uint32_t entry, uint32_t val)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = id };

	c.check_iotlb.id = entry;
	c.check_iotlb.iotlb = val;
	return m_cmd(f->ctx, &c);
}

static int fault_alloc(struct fix *f, uint32_t *out_id, int *out_fd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };
	int rc = t_ioctl(f->ctx, IOMMU_FAULT_QUEUE_ALLOC, &a);

	if (!rc) {
		*out_id = a.out_fault_id;
		*out_fd = (int)a.out_fault_fd;
	}
	return rc;
}

static int trigger_iopf(struct fix *f, uint32_t dev, uint32_t pasid, uint64_t addr)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };

	c.trigger_iopf.dev_id = dev;
	c.trigger_iopf.pasid = pasid;
	c.trigger_iopf.grpid = 7;
	c.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ;
	c.trigger_iopf.addr = addr;
	return m_cmd(f->ctx, &c);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_nested_alloc_errors(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_vtd_s1 vtd = { 0 };
	uint8_t big[16] = { 0 };
	uint32_t plain = 0, nested = 0, h = 0;

	T_OK(m_hwpt_alloc(f->ctx, f->idev, f->ioas, 0, &plain));
	/* data type and length disagree */
	T_ERR(EINVAL,
	      nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_NONE, &data, sizeof(data), &h));
	/* not the mock's type */
	T_ERR(EOPNOTSUPP,
	      nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_VTD_S1, &vtd, sizeof(vtd), &h));
	T_ERR(EOPNOTSUPP, nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST + 1, &data,
				       sizeof(data), &h));
	/*
	 * too short, unreadable; a longer struct (a newer kernel's) must end in zeros, as the
	 * kernel's copy_struct_from_user: E2BIG, and accepted once the tail is zero
	 */
	T_ERR(EINVAL, nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, 3, &h));
	big[sizeof(big) - 1] = 1;
	T_ERR(E2BIG,
	      nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, big, sizeof(big), &h));
	big[sizeof(big) - 1] = 0;
	T_OK(nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, big, sizeof(big), &h));
	T_OK(m_destroy(f->ctx, h));
	T_ERR(EFAULT,
	      nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, NULL, sizeof(data), &h));
	/* flags other than FAULT_ID_VALID; a parent that is not a nest parent */
	T_ERR(EOPNOTSUPP, nested_alloc(f, f->parent, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				       IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &h));
	T_ERR(EINVAL,
	      nested_alloc(f, plain, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &h));
	/* a fault queue that does not exist */
	T_ERR(ENOENT, nested_alloc(f, f->parent, IOMMU_HWPT_FAULT_ID_VALID, 9999,
				   IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &h));
	T_OK(nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			  &nested));
	/* no nesting on a nested HWPT; the parent is busy while it has a child */
	T_ERR(EINVAL,
	      nested_alloc(f, nested, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &h));
	T_ERR(EBUSY, m_destroy(f->ctx, f->parent));
	T_OK(m_destroy(f->ctx, nested));
	T_OK(m_destroy(f->ctx, f->parent));
	T_OK(m_destroy(f->ctx, plain));
}

static void test_invalidate(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = 0x1234 };
	struct iommu_hwpt_invalidate_selftest reqs[2] = { 0 };
	uint32_t n = 0, num;

	T_OK(nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &n));
	for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		T_OK(check_iotlb(f, n, i, 0x1234));
	T_ERR(EINVAL, check_iotlb(f, n, 0, IOMMU_TEST_IOTLB_DEFAULT));
	T_ERR(EINVAL, check_iotlb(f, n, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, 0x1234));
	/* a paging HWPT has no user-managed caches */
	num = 1;
	T_ERR(EINVAL, invalidate(f, f->parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs,
				 sizeof(reqs[0]), &num));
	assert_int_equal(num, 0);
	/* bounds of the newest kernel: entry_len up to a page, entry_num up to 2^19 */
	num = 1;
	T_ERR(EINVAL, invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, 4097, &num));
	num = (1u << 19) + 1;
	T_ERR(EINVAL,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, sizeof(reqs[0]), &num));
	assert_int_equal(num, 0);
	/* zero entries only checks the type */
	num = 0;
	T_OK(invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, sizeof(reqs[0]), &num));
	num = 1;
	T_ERR(EINVAL, invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, reqs,
				 sizeof(reqs[0]), &num));
	assert_int_equal(num, 0);
	/* partial completion: the first entry is done, the second refused */
	reqs[0].iotlb_id = 2;
	reqs[1].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	num = 2;
	T_ERR(EINVAL,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, sizeof(reqs[0]), &num));
	assert_int_equal(num, 1);
	T_OK(check_iotlb(f, n, 2, 0));
	T_OK(check_iotlb(f, n, 1, 0x1234));
	reqs[1].iotlb_id = 0;
	reqs[1].flags = 0x80;
	num = 2;
	T_ERR(EOPNOTSUPP,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, sizeof(reqs[0]), &num));
	assert_int_equal(num, 1);
	T_OK(check_iotlb(f, n, 0, 0x1234));
	/* a longer entry than ours is EINVAL, as the kernel's array copy */
	num = 1;
	T_ERR(EINVAL, invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs,
				 sizeof(reqs[0]) + 4, &num));
	/* everything */
	reqs[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	num = 1;
	T_OK(invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs, sizeof(reqs[0]), &num));
	assert_int_equal(num, 1);
	for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		T_OK(check_iotlb(f, n, i, 0));
	T_OK(m_destroy(f->ctx, n));
}

static void test_attach_replace(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	uint32_t n0 = 0, n1 = 0, hwpt = 0;
	struct obj *obj;

	T_OK(nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &n0));
	T_OK(nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &n1));
	T_OK(m_replace(f->ctx, f->stdev, n0, &hwpt));
	assert_int_equal(hwpt, n0);
	T_ERR(EBUSY, m_destroy(f->ctx, n0));
	obj = idt_lookup(f->ctx->objects, f->idev);
	assert_non_null(obj);
	assert_int_equal(container_of(obj, struct device, obj)->nested->obj.id, n0);
	T_OK(m_replace(f->ctx, f->stdev, n1, NULL));
	T_OK(m_destroy(f->ctx, n0));
	T_ERR(EBUSY, m_destroy(f->ctx, n1));
	/* back to the parent itself: the nested HWPT is free again */
	T_OK(m_replace(f->ctx, f->stdev, f->parent, NULL));
	assert_null(container_of(obj, struct device, obj)->nested);
	T_OK(m_destroy(f->ctx, n1));
	T_OK(m_replace(f->ctx, f->stdev, f->ioas, NULL));
	T_OK(m_destroy(f->ctx, f->parent));
}

static void test_fault_queue(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_hwpt_page_response resp = { .code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct iommu_hwpt_pgfault rec;
	struct fault_queue *fq;
	uint32_t fault_id = 0, iopf = 0, plain = 0;
	int fd = -1;

	T_OK(fault_alloc(f, &fault_id, &fd));
	assert_true(fault_id && fd > 2);
	fq = container_of(idt_lookup(f->ctx->objects, fault_id), struct fault_queue, obj);
	/* a nest parent reports no faults; a plain paging HWPT may */
	T_ERR(EOPNOTSUPP,
	      m_hwpt_alloc(f->ctx, f->idev, f->ioas,
			   IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID, NULL));
	T_OK(nested_alloc(f, f->parent, IOMMU_HWPT_FAULT_ID_VALID, fault_id,
			  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &iopf));
	/* the device is not on it yet: the request goes nowhere */
	T_OK(trigger_iopf(f, f->idev, 0, 0x1000));
	assert_false(readable(fd));
	T_OK(m_replace(f->ctx, f->stdev, iopf, NULL));
	T_OK(trigger_iopf(f, f->idev, 3, 0xdead000));
	assert_true(readable(fd));
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.dev_id, f->idev);
	assert_int_equal(rec.pasid, 3);
	assert_int_equal(rec.grpid, 7);
	assert_int_equal(rec.perm, IOMMU_PGFAULT_PERM_READ);
	assert_int_equal(rec.addr, 0xdead000);
	assert_int_equal(rec.flags,
			 IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(fq->npending, 1);
	/* a response with a wrong cookie is dropped; the right one answers the group */
	resp.cookie = rec.cookie + 100;
	assert_int_equal(write(fd, &resp, sizeof(resp)), sizeof(resp));
	resp.cookie = rec.cookie;
	assert_int_equal(write(fd, &resp, sizeof(resp)), sizeof(resp));
	T_OK(check_iotlb(f, iopf, 0, 1)); /* any call serves the queue */
	assert_int_equal(fq->npending, 0);
	assert_int_equal(fq->stats_bad_responses, 1);
	assert_int_equal(fq->stats_responses, 1);
	/* an unanswered group is answered "invalid" when the device leaves */
	T_OK(trigger_iopf(f, f->idev, 0, 0x2000));
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(fq->npending, 1);
	T_OK(m_replace(f->ctx, f->stdev, f->parent, NULL));
	assert_int_equal(fq->npending, 0);
	/* a paging HWPT may name the queue too; it holds it */
	T_OK(nested_alloc(f, f->ioas, IOMMU_HWPT_FAULT_ID_VALID, fault_id, IOMMU_HWPT_DATA_NONE,
			  NULL, 0, &plain));
	T_OK(m_replace(f->ctx, f->stdev, plain, NULL));
	T_OK(trigger_iopf(f, f->idev, 0, 0x3000));
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.addr, 0x3000);
	T_OK(m_replace(f->ctx, f->stdev, f->parent, NULL));
	T_OK(m_destroy(f->ctx, plain));
	/* the queue lives while the fd is open and an HWPT names it */
	T_ERR(EBUSY, m_destroy(f->ctx, fault_id));
	T_OK(m_destroy(f->ctx, iopf));
	T_ERR(EBUSY, m_destroy(f->ctx, fault_id));
	close(fd);
	T_OK(m_destroy(f->ctx, fault_id));
	T_ERR(ENOENT, m_destroy(f->ctx, fault_id));
}

/*
 * Closing the context with a fault queue's fd still open, a group waiting for its answer:
 * everything is freed (the sanitizer build checks for leaks), and the fd reads the record
 * that was sent, then end of file.
 */
static void test_fault_fd_open_at_close(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_hwpt_pgfault rec;
	uint32_t fault_id = 0, iopf = 0;
	int fd = -1;

	T_OK(fault_alloc(f, &fault_id, &fd));
	T_OK(nested_alloc(f, f->parent, IOMMU_HWPT_FAULT_ID_VALID, fault_id,
			  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &iopf));
	T_OK(m_replace(f->ctx, f->stdev, iopf, NULL));
	T_OK(trigger_iopf(f, f->idev, 0, 0x5000));
	ioasid_ctx_free(f->ctx);
	f->ctx = NULL;
	assert_int_equal(read(fd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.addr, 0x5000);
	assert_int_equal(read(fd, &rec, sizeof(rec)), 0);
	close(fd);
}

/* A context holds at most CTX_MAX_FD_OBJECTS fd-backed objects: then EMFILE, nothing made. */
static void test_fault_queue_limit(void **state)
{
	struct fix *f = *state;
	static int fds[CTX_MAX_FD_OBJECTS];
	uint32_t id = 0;
	int fd = -1;

	for (int i = 0; i < CTX_MAX_FD_OBJECTS; i++)
		T_OK(fault_alloc(f, &id, &fds[i]));
	T_ERR(EMFILE, fault_alloc(f, &id, &fd));
	assert_int_equal(f->ctx->npending, 0);
	for (int i = 0; i < CTX_MAX_FD_OBJECTS; i++)
		close(fds[i]);
	/* closed fds let their queues go at the next call; destroying one makes room */
	T_OK(m_destroy(f->ctx, id));
	T_OK(fault_alloc(f, &id, &fd));
	close(fd);
}

/* A reply that cannot be written: the object the call made is never published. */
static void test_lifecycle_failed_reply(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_alloc *a;
	struct iommu_fault_alloc *fa;
	size_t before = idt_count(f->ctx->objects);
	void *page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t ioas;

	assert_true(page != MAP_FAILED);
	a = page;
	a->size = sizeof(*a);
	fa = (void *)((uint8_t *)page + 64);
	fa->size = sizeof(*fa);
	assert_int_equal(mprotect(page, PG, PROT_READ), 0);
	T_ERR(EFAULT, t_ioctl(f->ctx, IOMMU_IOAS_ALLOC, a));
	T_ERR(EFAULT, t_ioctl(f->ctx, IOMMU_FAULT_QUEUE_ALLOC, fa));
	assert_int_equal(idt_count(f->ctx->objects), before);
	assert_int_equal(f->ctx->npending, 0);
	assert_int_equal(f->ctx->nr_faults, 0);
	/* MOCK_DOMAIN makes three objects; all three are aborted */
	{
		struct iommu_test_cmd *c = (void *)((uint8_t *)page + 256);

		assert_int_equal(mprotect(page, PG, PROT_READ | PROT_WRITE), 0);
		memset(c, 0, sizeof(*c));
		c->size = sizeof(*c);
		c->op = IOMMU_TEST_OP_MOCK_DOMAIN;
		T_OK(t_ioas_alloc(f->ctx, &ioas));
		c->id = ioas;
		before = idt_count(f->ctx->objects);
		assert_int_equal(mprotect(page, PG, PROT_READ), 0);
		T_ERR(EFAULT, t_ioctl(f->ctx, IOMMU_TEST_CMD, c));
		assert_int_equal(idt_count(f->ctx->objects), before);
		/* the IOAS has no HWPT left behind */
		T_OK(m_destroy(f->ctx, ioas));
	}
	munmap(page, PG);
}

/* The hardware formats: VT-d S1 and AMD guest data on their own stage 2, SMMUv3 only on a vIOMMU.
 */
static void test_hw_formats(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_vtd_s1 vtd = { .pgtbl_addr = 0x100000, .addr_width = 48 };
	struct iommu_hwpt_vtd_s1_invalidate vinv = { .addr = 0x1000, .npages = 1 };
	struct iommu_hwpt_amd_guest amd = { .dte = { 1, 0, 0, 0 } };
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { 1, 0 } };
	struct ioasid_device_desc vd = { .format = "vtd-ss-4" };
	struct ioasid_device_desc ad = { .format = "amd-v1-4" };
	struct ioasid_device_desc ld = { .format = "arm-s2-4k-52" };
	uint32_t vdev, adev, ldev, vparent, aparent, n = 0, num, saved = f->idev;

	T_OK(ioasid_device_new(f->ctx, &vd, &vdev));
	T_OK(ioasid_device_new(f->ctx, &ad, &adev));
	f->idev = vdev;
	T_OK(m_hwpt_alloc(f->ctx, vdev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &vparent));
	T_ERR(EOPNOTSUPP, nested_alloc(f, vparent, 0, 0, IOMMU_HWPT_DATA_SELFTEST, &vtd, 4, NULL));
	/* a mock parent is another IOMMU's */
	T_ERR(EINVAL,
	      nested_alloc(f, f->parent, 0, 0, IOMMU_HWPT_DATA_VTD_S1, &vtd, sizeof(vtd), NULL));
	T_ERR(EINVAL, nested_alloc(f, vparent, 0, 0, IOMMU_HWPT_DATA_VTD_S1, &vtd, 16, NULL));
	T_OK(nested_alloc(f, vparent, 0, 0, IOMMU_HWPT_DATA_VTD_S1, &vtd, sizeof(vtd), &n));
	/* the translation side reads the stage-1 data back */
	{
		struct hwpt_nested *hn = hwpt_nested_get(f->ctx, n);
		const struct iommu_hwpt_vtd_s1 *got;
		struct iommu_domain *s2;
		uint32_t type, len;
		const void *data;

		assert_non_null(hn);
		hwpt_nested_stage1(hn, &type, &data, &len, &s2);
		got = data;
		assert_int_equal(type, IOMMU_HWPT_DATA_VTD_S1);
		assert_int_equal(len, sizeof(vtd));
		assert_int_equal(got->pgtbl_addr, 0x100000);
		assert_ptr_equal(s2, hn->parent->domain);
		obj_put(&hn->obj);
	}
	num = 1;
	T_OK(invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &vinv, sizeof(vinv), &num));
	assert_int_equal(num, 1);
	vinv.addr = 0x1234;
	T_ERR(EINVAL,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &vinv, sizeof(vinv), &num));
	assert_int_equal(num, 0);
	vinv.addr = 0;
	vinv.flags = 2;
	num = 1;
	T_ERR(EOPNOTSUPP,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &vinv, sizeof(vinv), &num));
	num = 1;
	T_ERR(EINVAL,
	      invalidate(f, n, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &vinv, sizeof(vinv), &num));
	T_OK(m_destroy(f->ctx, n));
	/* AMD: the guest DTE on an AMD v1 stage 2 */
	f->idev = adev;
	T_OK(m_hwpt_alloc(f->ctx, adev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &aparent));
	T_ERR(EINVAL, nested_alloc(f, aparent, 0, 0, IOMMU_HWPT_DATA_AMD_GUEST, &amd, 16, NULL));
	T_OK(nested_alloc(f, aparent, 0, 0, IOMMU_HWPT_DATA_AMD_GUEST, &amd, sizeof(amd), &n));
	T_OK(m_destroy(f->ctx, n));
	/* SMMUv3: never directly on a parent (upstream wants a vIOMMU for the VMID) */
	T_OK(ioasid_device_new(f->ctx, &ld, &ldev));
	{
		uint32_t lparent;

		f->idev = ldev;
		T_OK(m_hwpt_alloc(f->ctx, ldev, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &lparent));
		T_ERR(EOPNOTSUPP, nested_alloc(f, lparent, 0, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
					       sizeof(ste), NULL));
		T_OK(m_destroy(f->ctx, lparent));
	}
	f->idev = saved;
	T_OK(m_destroy(f->ctx, vparent));
	T_OK(m_destroy(f->ctx, aparent));
}

/*
 * IOMMU_IOAS_NOIOMMU_GET_PA: where pinned memory is, and how much of it is contiguous. The
 * answer is an emulated physical address (iommu/phys.h), never the program's pointer: it
 * names the pages object's region, two objects lie in two regions, and once the memory is
 * unpinned the name resolves to nothing.
 */
static void test_noiommu_get_pa(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_noiommu_get_pa g = { .size = sizeof(g) };
	uint8_t *buf = m_buf(4 * PG), *buf2 = m_buf(PG);
	uint32_t ioas2, stdev2;
	uint64_t name, name2;

	T_OK(t_ioas_alloc(f->ctx, &ioas2));
	T_OK(m_map_fixed(f->ctx, ioas2, buf, 4 * PG, MOCK_APERTURE_START, T_MAP_RW));
	g.ioas_id = ioas2;
	g.iova = MOCK_APERTURE_START + 100;
	g.length = 8 * PG;
	/* nothing holds it pinned yet */
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	T_OK(m_mock_domain(f->ctx, ioas2, 0, &stdev2, NULL, NULL));
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	name = g.out_phys;
	assert_int_not_equal(name, (uintptr_t)buf + 100);
	assert_true(name < (UINT64_C(1) << IOMMU_PHYS_NAME_BITS));
	assert_int_equal(g.length, 4 * PG - 100);
	/* the whole contiguous run is one range of names of the program's buffer */
	assert_ptr_equal(iommu_phys_resolve(name, g.length), buf + 100);
	assert_null(iommu_phys_resolve(name, g.length + 1));
	g.length = 10;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	assert_int_equal(g.length, 10);
	assert_int_equal(g.out_phys, name);
	/* a second pages object: another region, other ID bits */
	T_OK(m_map_fixed(f->ctx, ioas2, buf2, PG, MOCK_APERTURE_START + 8 * PG, T_MAP_RW));
	g.iova = MOCK_APERTURE_START + 8 * PG + 5;
	g.length = PG;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	name2 = g.out_phys;
	assert_int_equal(g.length, PG - 5);
	assert_ptr_equal(iommu_phys_resolve(name2, 1), buf2 + 5);
	assert_int_not_equal(name2 >> IOMMU_PHYS_SPAN_LG2, name >> IOMMU_PHYS_SPAN_LG2);
	assert_ptr_not_equal(iommu_phys_region_of(name2), iommu_phys_region_of(name));
	g.iova = MOCK_APERTURE_START + 4 * PG;
	g.length = 10;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	g.flags = 1;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	g.flags = 0;
	g.length = 0;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g));
	/* unpinned (the only domain gone): the names are withdrawn, they resolve to nothing */
	T_OK(m_destroy(f->ctx, stdev2));
	assert_null(iommu_phys_resolve(name, 1));
	assert_null(iommu_phys_resolve(name2, 1));
	m_buf_free(buf, 4 * PG);
	m_buf_free(buf2, PG);
}

static int map_file(struct fix *f, int fd, uint64_t start, uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = f->ioas,
		.fd = fd,
		.start = start,
		.length = len,
	};
	int rc = t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m);

	if (!rc && iova)
		*iova = m.iova;
	return rc;
}

static int dmabuf_revoke(struct fix *f, int fd, bool revoked)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_REVOKE };

	c.dmabuf_revoke.dmabuf_fd = fd;
	c.dmabuf_revoke.revoked = revoked;
	return m_cmd(f->ctx, &c);
}

/* The selftest's dma-bufs: MAP_FILE maps a range inside one (as iommufd), not while revoked. */
static void test_dmabuf(void **state)
{
	struct fix *f = *state;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_GET };
	uint64_t size = 4 * PG, iova, iova2;
	int dfd, pipefd[2];

	c.dmabuf_get.length = 0;
	T_ERR(EINVAL, m_cmd(f->ctx, &c));
	c.dmabuf_get.length = 513 * PG;
	T_ERR(EINVAL, m_cmd(f->ctx, &c));
	c.size = sizeof(c);
	c.dmabuf_get.length = size - 100; /* rounded up to a page */
	c.dmabuf_get.open_flags = O_CLOEXEC;
	dfd = ioasid_ioctl(f->ctx, IOMMU_TEST_CMD, &c);
	assert_true(dfd > 2);
	T_ERR(EINVAL, map_file(f, dfd, 0, 0, &iova));
	T_ERR(EINVAL, map_file(f, dfd, size, size, &iova));
	T_ERR(EINVAL, map_file(f, dfd, 0, size + 1, &iova));
	T_ERR(EINVAL, map_file(f, dfd, PG, size, &iova));
	T_OK(map_file(f, dfd, PG, size - PG, &iova)); /* a part, as Linux 6.19 allows */
	T_OK(map_file(f, dfd, 0, size, &iova));
	T_OK(dmabuf_revoke(f, dfd, true));
	T_ERR(ENODEV, map_file(f, dfd, 0, size, &iova2));
	T_OK(dmabuf_revoke(f, dfd, false));
	T_OK(map_file(f, dfd, 0, size, &iova2));
	/* not a dma-buf, not an fd */
	assert_int_equal(pipe(pipefd), 0);
	T_ERR(EINVAL, dmabuf_revoke(f, pipefd[0], true));
	T_ERR(EBADF, dmabuf_revoke(f, -1, true));
	close(pipefd[0]);
	close(pipefd[1]);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nested_alloc_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_failed_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_fd_open_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_queue_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noiommu_get_pa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dmabuf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
