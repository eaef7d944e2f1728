// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_selftest_pasid.c - the kernel selftest's PASID ops (IOMMU_TEST_OP_PASID_ATTACH,
 * _REPLACE, _DETACH, _CHECK_HWPT) on mock devices, as the selftest drives them, and DMA per
 * PASID of a mock device through the C API.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "../core/helpers.h"
#include "../mock/mock_helpers.h"

static int pasid_op(struct ioasid_ctx *ctx, uint32_t op, uint32_t stdev, uint32_t pasid,
		    uint32_t *inout_pt)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = op, .id = stdev };

	switch (op) {
	case IOMMU_TEST_OP_PASID_ATTACH:
		c.pasid_attach.pasid = pasid;
		c.pasid_attach.pt_id = *inout_pt;
		break;
	case IOMMU_TEST_OP_PASID_REPLACE:
		c.pasid_replace.pasid = pasid;
		c.pasid_replace.pt_id = *inout_pt;
		break;
	case IOMMU_TEST_OP_PASID_DETACH:
		c.pasid_detach.pasid = pasid;
		break;
	default:
		c.pasid_check.pasid = pasid;
		c.pasid_check.hwpt_id = *inout_pt;
		break;
	}
	int rc = m_cmd(ctx, &c);

	if (!rc && (op == IOMMU_TEST_OP_PASID_ATTACH || op == IOMMU_TEST_OP_PASID_REPLACE))
		*inout_pt = op == IOMMU_TEST_OP_PASID_ATTACH ? c.pasid_attach.pt_id :
							       c.pasid_replace.pt_id;
	return rc;
}

static int check(struct ioasid_ctx *ctx, uint32_t stdev, uint32_t pasid, uint32_t hwpt)
{
	return pasid_op(ctx, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, &hwpt);
}

static void test_pasid_ops(void **state)
{
	struct ioasid_ctx *ctx;
	uint32_t ioas, stdev, nopasid_stdev, hwpt, pasid_hwpt, pasid_hwpt2, pt, idev;
	uint8_t *buf = m_buf(2 * 4096), out = 0;

	(void)state;
	T_OK(ioasid_ctx_new(NULL, &ctx) ? errno : 0);
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(m_map_fixed(ctx, ioas, buf, 4096, MOCK_APERTURE_START, T_MAP_RW));
	memset(buf, 0x5a, 4096);
	T_OK(m_mock_domain(ctx, ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, &hwpt, &idev));
	T_OK(m_mock_domain(ctx, ioas, 0, &nopasid_stdev, NULL, NULL));
	T_OK(m_hwpt_alloc(ctx, idev, ioas, IOMMU_HWPT_ALLOC_PASID, &pasid_hwpt));
	T_OK(m_hwpt_alloc(ctx, idev, ioas, IOMMU_HWPT_ALLOC_PASID, &pasid_hwpt2));

	/* nothing on PASID 100 */
	T_OK(check(ctx, stdev, 100, 0));
	T_ERR(EINVAL, check(ctx, stdev, 100, pasid_hwpt));
	T_ERR(ENOENT, check(ctx, stdev, 100, 9999));
	/* the RID's automatic domain was made without IOMMU_HWPT_ALLOC_PASID: EINVAL */
	pt = pasid_hwpt;
	T_ERR(EINVAL, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, &pt));
	/* move the RID to a PASID-capable HWPT, then attach */
	T_OK(m_replace(ctx, stdev, pasid_hwpt, NULL));
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, &pt));
	T_OK(check(ctx, stdev, 100, pasid_hwpt));
	T_ERR(EBUSY, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, &pt));
	pt = pasid_hwpt2; /* attach never overwrites a PASID, whatever it is on (Linux 7.x) */
	T_ERR(EBUSY, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 100, &pt));
	T_OK(check(ctx, stdev, 100, pasid_hwpt));
	/* the mock driver's planted failure at PASID 1024: every other change fails, nothing moves
	 */
	pt = pasid_hwpt;
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 1024, &pt));
	pt = pasid_hwpt2;
	T_ERR(ENOMEM, pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 1024, &pt));
	T_OK(check(ctx, stdev, 1024, pasid_hwpt));
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 1024, &pt));
	T_OK(check(ctx, stdev, 1024, pasid_hwpt2));
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_DETACH, stdev, 1024, NULL));
	T_OK(check(ctx, stdev, 1024, 0));
	/* the device's DMA with PASID 100 lands in the IOAS */
	T_OK(ioasid_device_dma_pasid(ctx, idev, 100, MOCK_APERTURE_START + 7, &out, 1, 0, NULL) ?
		     errno :
		     0);
	assert_int_equal(out, 0x5a);
	/* replace */
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 100, &pt));
	T_OK(check(ctx, stdev, 100, pasid_hwpt2));
	T_ERR(EBUSY, m_destroy(ctx, pasid_hwpt2));
	pt = pasid_hwpt;
	T_ERR(EINVAL, pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 200, &pt));
	/* PASIDs beyond the mock's width, and a device without PASIDs */
	T_ERR(EINVAL,
	      pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 1u << MOCK_PASID_WIDTH, &pt));
	T_ERR(EINVAL, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, nopasid_stdev, 1, &pt));
	T_ERR(ENOENT, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, 9999, 1, &pt));
	/* detach, twice: the second is a no-op */
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_DETACH, stdev, 100, NULL));
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_DETACH, stdev, 100, NULL));
	T_OK(check(ctx, stdev, 100, 0));
	T_OK(m_destroy(ctx, pasid_hwpt2));
	T_ERR(ENODEV,
	      ioasid_device_dma_pasid(ctx, idev, 100, MOCK_APERTURE_START, &out, 1, 0, NULL) ?
		      errno :
		      0);
	/* an attach to an IOAS is EINVAL, as Linux 7.x: no automatic PASID-capable HWPT */
	pt = ioas;
	T_ERR(EINVAL, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 7, &pt));
	assert_int_equal(pt, ioas);
	T_OK(check(ctx, stdev, 7, 0));
	pt = pasid_hwpt;
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 7, &pt));
	T_OK(check(ctx, stdev, 7, pasid_hwpt));
	/* left attached: the context's close tears it down */
	ioasid_ctx_free(ctx);
	m_buf_free(buf, 2 * 4096);
}

/* A PASID on a mock nested HWPT: attach, CHECK_HWPT names the nested HWPT, replace, detach. */
static void test_pasid_nested(void **state)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = { .size = sizeof(a) };
	uint32_t ioas, stdev, idev, parent, nested, nested_nopasid, pt;
	struct ioasid_ctx *ctx;

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(m_mock_domain(ctx, ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL, &idev));
	T_OK(m_hwpt_alloc(ctx, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			  &parent));
	T_OK(m_replace(ctx, stdev, parent, NULL));
	a.dev_id = idev;
	a.pt_id = parent;
	a.data_type = IOMMU_HWPT_DATA_SELFTEST;
	a.data_len = sizeof(data);
	a.data_uptr = (uintptr_t)&data;
	T_OK(t_ioctl(ctx, IOMMU_HWPT_ALLOC, &a));
	nested_nopasid = a.out_hwpt_id;
	a.flags = IOMMU_HWPT_ALLOC_PASID;
	T_OK(t_ioctl(ctx, IOMMU_HWPT_ALLOC, &a));
	nested = a.out_hwpt_id;

	pt = nested_nopasid;
	T_ERR(EINVAL, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 4, &pt));
	pt = nested;
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 4, &pt));
	T_OK(check(ctx, stdev, 4, nested));
	T_ERR(EINVAL, check(ctx, stdev, 4, parent));
	T_ERR(EBUSY, pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 4, &pt));
	/* the nested HWPT is busy while the PASID is on it */
	T_ERR(EBUSY, m_destroy(ctx, nested));
	pt = parent;
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 4, &pt));
	T_OK(check(ctx, stdev, 4, parent));
	pt = nested;
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_REPLACE, stdev, 4, &pt));
	T_OK(check(ctx, stdev, 4, nested));
	T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_DETACH, stdev, 4, &pt));
	T_OK(check(ctx, stdev, 4, 0));
	T_OK(m_destroy(ctx, nested));

	/* TRIGGER_IOPF with a PASID reaches the fault queue of that PASID's nested HWPT */
	{
		struct iommu_fault_alloc fa = { .size = sizeof(fa) };
		struct iommu_test_cmd trig = { .size = sizeof(trig),
					       .op = IOMMU_TEST_OP_TRIGGER_IOPF };
		struct iommu_hwpt_pgfault rec;

		T_OK(t_ioctl(ctx, IOMMU_FAULT_QUEUE_ALLOC, &fa));
		a.flags = IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID;
		a.fault_id = fa.out_fault_id;
		T_OK(t_ioctl(ctx, IOMMU_HWPT_ALLOC, &a));
		pt = a.out_hwpt_id;
		T_OK(pasid_op(ctx, IOMMU_TEST_OP_PASID_ATTACH, stdev, 7, &pt));
		trig.trigger_iopf.dev_id = idev;
		trig.trigger_iopf.pasid = 7;
		trig.trigger_iopf.grpid = 3;
		trig.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ;
		trig.trigger_iopf.addr = 0x1000;
		T_OK(m_cmd(ctx, &trig));
		assert_int_equal(read((int)fa.out_fault_fd, &rec, sizeof(rec)), sizeof(rec));
		assert_int_equal(rec.pasid, 7);
		assert_true(rec.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID);
		assert_int_equal(rec.addr, 0x1000);
		close((int)fa.out_fault_fd);
	}
	ioasid_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pasid_ops),
		cmocka_unit_test(test_pasid_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
