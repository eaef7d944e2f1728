/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_veventq_read.c - a vEVENTQ fd read through the shim follows the kernel's rules
 * (src/shim/veventq.c, src/core/viommu.c), with the daemon and in-process (meson runs it
 * both ways under ioasid-run):
 *   - a read shorter than a header is EINVAL, empty queue or not;
 *   - a read shorter than the next whole event is EINVAL and leaves the event queued;
 *   - an empty queue reads 0 at once;
 *   - several events come whole in one read, numbered in order;
 *   - past the depth, a header flagged LOST_EVENTS is queued at once, numbered as the lost
 *     event, and the next event after it is numbered on from it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s failed (errno %d)\n", __FILE__, __LINE__, \
				#cond, errno);                                               \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

struct rec {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest ev;
};

static int test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(fd, IOMMU_TEST_CMD, c);
}

static void trigger(int fd, uint32_t dev_id)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };

	c.trigger_vevent.dev_id = dev_id;
	CHECK(test_cmd(fd, &c) == 0);
}

int main(void)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_hwpt_alloc parent = { .size = sizeof(parent) };
	struct iommu_viommu_alloc va = { .size = sizeof(va) };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd) };
	struct iommu_veventq_alloc qa = { .size = sizeof(qa) };
	struct iommu_hwpt_alloc nested = { .size = sizeof(nested) };
	struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	struct rec r[4];
	uint32_t seq;
	int fd, q;

	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &ioas) == 0);
	md.id = ioas.out_ioas_id;
	CHECK(test_cmd(fd, &md) == 0);
	parent.dev_id = md.mock_domain.out_idev_id;
	parent.pt_id = ioas.out_ioas_id;
	parent.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &parent) == 0);
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.dev_id = md.mock_domain.out_idev_id;
	va.hwpt_id = parent.out_hwpt_id;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0);
	qa.viommu_id = va.out_viommu_id;
	qa.type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	qa.veventq_depth = 2;
	CHECK(ioctl(fd, IOMMU_VEVENTQ_ALLOC, &qa) == 0);
	q = (int)qa.out_veventq_fd;
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = md.mock_domain.out_idev_id;
	vd.virt_id = 0x77;
	CHECK(ioctl(fd, IOMMU_VDEVICE_ALLOC, &vd) == 0);
	nested.dev_id = md.mock_domain.out_idev_id;
	nested.pt_id = va.out_viommu_id;
	nested.data_type = IOMMU_HWPT_DATA_SELFTEST;
	nested.data_len = sizeof(data);
	nested.data_uptr = (uintptr_t)&data;
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &nested) == 0);
	rep.id = md.mock_domain.out_stdev_id;
	rep.mock_domain_replace.pt_id = nested.out_hwpt_id;
	CHECK(test_cmd(fd, &rep) == 0);

	/* empty: too short is EINVAL, a long enough read returns 0 at once */
	errno = 0;
	CHECK(read(q, r, 0) == -1 && errno == EINVAL);
	CHECK(read(q, r, sizeof(r[0].hdr) - 1) == -1 && errno == EINVAL);
	CHECK(read(q, r, sizeof(r)) == 0);

	/* one event: a header's worth is still too short, and the event stays */
	trigger(fd, md.mock_domain.out_idev_id);
	CHECK(read(q, r, sizeof(r[0].hdr)) == -1 && errno == EINVAL);
	CHECK(read(q, r, sizeof(r[0]) + 3) == (ssize_t)sizeof(r[0]));
	CHECK(!r[0].hdr.flags && r[0].ev.virt_id == 0x77);
	seq = r[0].hdr.sequence;

	/* two events, one read: whole, in order */
	trigger(fd, md.mock_domain.out_idev_id);
	trigger(fd, md.mock_domain.out_idev_id);
	CHECK(read(q, r, 2 * sizeof(r[0])) == (ssize_t)(2 * sizeof(r[0])));
	CHECK(r[0].hdr.sequence == seq + 1 && r[1].hdr.sequence == seq + 2);

	/* three into a queue of two: two events, then the LOST_EVENTS header alone */
	trigger(fd, md.mock_domain.out_idev_id);
	trigger(fd, md.mock_domain.out_idev_id);
	trigger(fd, md.mock_domain.out_idev_id);
	memset(r, 0, sizeof(r));
	CHECK(read(q, r, sizeof(r)) == (ssize_t)(2 * sizeof(r[0]) + sizeof(r[0].hdr)));
	CHECK(r[0].hdr.sequence == seq + 3 && r[1].hdr.sequence == seq + 4);
	CHECK(r[2].hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	CHECK(r[2].hdr.sequence == seq + 5);
	/* and then the queue goes on, numbered after the lost one */
	trigger(fd, md.mock_domain.out_idev_id);
	CHECK(read(q, r, sizeof(r)) == (ssize_t)sizeof(r[0]));
	CHECK(!r[0].hdr.flags && r[0].hdr.sequence == seq + 6);
	CHECK(close(q) == 0);
	CHECK(close(fd) == 0);
	printf("veventq read rules: ok\n");
	return 0;
}
