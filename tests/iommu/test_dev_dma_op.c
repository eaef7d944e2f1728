/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dev_dma_op.c - a program on /dev/iommu drives a device's DMA with ioasid's test op
 * (IOMMU_TEST_OP_IOASID_DEV_DMA) and reads back the bytes or the typed fault.
 *
 * The same program runs twice (tests/iommu/meson.build): under ioasid-run, where the daemon
 * serves it and reaches this program's memory through its mirror of the pinned pages (DMA
 * writes must land in our buffer, shared memory as the daemon requires), and under the
 * in-process preload (libioasid-inproc.so). Run alone, open("/dev/iommu") fails: skip (77).
 *
 * Cases: a mock device writes and reads across a page boundary; unmapped IOVA stops with a
 * not-present fault naming the first byte, after the bytes before it; a write to a read-only
 * mapping is a permission fault; DMA with a PASID attached by the selftest's PASID op goes
 * to that PASID's IOAS, a PASID not attached faults; bad flags and a missing device are the
 * call's own errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#define PG 4096u

static int failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d)\n", __FILE__, \
				__LINE__, #cond, errno);                                  \
			failures++;                                                       \
		}                                                                         \
	} while (0)

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(!ioctl(fd, IOMMU_IOAS_ALLOC, &a));
	return a.out_ioas_id;
}

static int map(int fd, uint32_t ioas, void *buf, uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m);
}

static int dma(int fd, uint32_t dev, uint32_t pasid, uint64_t iova, void *buf, uint64_t len,
	       uint32_t flags, struct iommu_test_cmd *out)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = IOMMU_TEST_OP_IOASID_DEV_DMA,
		.id = dev,
		.dev_dma = { .pasid = pasid,
			     .flags = flags,
			     .iova = iova,
			     .length = len,
			     .uptr = (uintptr_t)buf },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &c);

	if (out)
		*out = c;
	return rc;
}

int main(void)
{
	const uint32_t rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	struct iommu_test_cmd r, md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS };
	uint64_t base = MOCK_APERTURE_START;
	char out[32] = { 0 };
	uint8_t *mem;
	uint32_t ioas, ioas2, dev, stdev;
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "no /dev/iommu here (run under ioasid-run): skip\n");
		return 77;
	}
	/* shared memory: what the daemon can pin (docs/daemon.md) */
	mem = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	memset(mem, 0, 4 * PG);
	ioas = ioas_alloc(fd);
	ioas2 = ioas_alloc(fd);
	CHECK(!map(fd, ioas, mem, 2 * PG, base, rw));
	CHECK(!map(fd, ioas, mem + 2 * PG, PG, base + 2 * PG, IOMMU_IOAS_MAP_READABLE));
	CHECK(!map(fd, ioas2, mem + 3 * PG, PG, base, rw));
	md.id = ioas;
	md.mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	CHECK(!ioctl(fd, IOMMU_TEST_CMD, &md));
	dev = md.mock_domain_flags.out_idev_id;
	stdev = md.mock_domain_flags.out_stdev_id;

	/* write then read across the page boundary: the bytes are in our memory */
	CHECK(!dma(fd, dev, 0, base + PG - 5, "device wrote this", 18, IOMMU_TEST_DMA_WRITE, &r));
	CHECK(r.dev_dma.out_fault_type == 0 && r.dev_dma.length == 18);
	CHECK(!memcmp(mem + PG - 5, "device wrote this", 18));
	memcpy(mem + PG, "XYZ", 3);
	CHECK(!dma(fd, dev, 0, base + PG - 5, out, 18, 0, &r));
	CHECK(!memcmp(out, "devicXYZ", 8));

	/* a read-only page: permission fault at its first byte, nothing written */
	CHECK(!dma(fd, dev, 0, base + 2 * PG, "no", 2, IOMMU_TEST_DMA_WRITE, &r));
	CHECK(r.dev_dma.out_fault_type == 2 && r.dev_dma.length == 0);
	CHECK(r.dev_dma.out_fault_addr == base + 2 * PG);
	CHECK(mem[2 * PG] == 0);
	/* reading runs off the end: the bytes before the hole, then not present */
	memset(out, 0, sizeof(out));
	mem[3 * PG - 4] = 'e';
	CHECK(!dma(fd, dev, 0, base + 3 * PG - 4, out, 16, 0, &r));
	CHECK(r.dev_dma.out_fault_type == 1 && r.dev_dma.length == 4);
	CHECK(r.dev_dma.out_fault_addr == base + 3 * PG && r.dev_dma.out_fault_stage == 1);
	CHECK(out[0] == 'e');

	/* PASID 5 on the second IOAS */
	{
		struct iommu_test_cmd pa = { .size = sizeof(pa),
					     .op = IOMMU_TEST_OP_PASID_ATTACH,
					     .id = stdev };
		struct iommu_hwpt_alloc h = { .size = sizeof(h),
					      .flags = IOMMU_HWPT_ALLOC_PASID,
					      .dev_id = dev,
					      .pt_id = ioas };

		/* the RID must be on a PASID-capable HWPT first */
		CHECK(!ioctl(fd, IOMMU_HWPT_ALLOC, &h));
		{
			struct iommu_test_cmd rep = { .size = sizeof(rep),
						      .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
						      .id = stdev };

			rep.mock_domain_replace.pt_id = h.out_hwpt_id;
			CHECK(!ioctl(fd, IOMMU_TEST_CMD, &rep));
		}
		/* an IOAS at a PASID is EINVAL (Linux 7.x): a PASID-capable HWPT of ioas2 */
		pa.pasid_attach.pasid = 5;
		pa.pasid_attach.pt_id = ioas2;
		CHECK(ioctl(fd, IOMMU_TEST_CMD, &pa) == -1 && errno == EINVAL);
		h.pt_id = ioas2;
		CHECK(!ioctl(fd, IOMMU_HWPT_ALLOC, &h));
		pa.pasid_attach.pt_id = h.out_hwpt_id;
		CHECK(!ioctl(fd, IOMMU_TEST_CMD, &pa));
		CHECK(!dma(fd, dev, 5, base + 8, "pasid five", 11, IOMMU_TEST_DMA_WRITE, &r));
		CHECK(r.dev_dma.out_fault_type == 0);
		CHECK(!memcmp(mem + 3 * PG + 8, "pasid five", 11));
		CHECK(!dma(fd, dev, 6, base + 8, out, 1, 0, &r));
		CHECK(r.dev_dma.out_fault_type == 1 && r.dev_dma.length == 0);
	}

	/* the call's own errors */
	CHECK(dma(fd, dev, 0, base, out, 1, 0x80, NULL) && errno == EOPNOTSUPP);
	CHECK(dma(fd, 9999, 0, base, out, 1, 0, NULL) && errno == ENOENT);
	CHECK(dma(fd, dev, 0, UINT64_MAX, out, 2, 0, NULL) && errno == EOVERFLOW);
	CHECK(dma(fd, dev, 0, base, (void *)8, 4, 0, NULL) && errno == EFAULT);

	close(fd);
	munmap(mem, 4 * PG);
	if (failures)
		fprintf(stderr, "test_dev_dma_op: %d failures\n", failures);
	return failures ? 1 : 0;
}
