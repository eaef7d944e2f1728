/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_inproc.c - the shim's in-process back end (src/shim/inproc.c) keeps fd semantics.
 *
 * Run as `ioasid-run --inproc -- test_inproc` (meson does it). An open of /dev/iommu is a
 * context; dup, dup2 and fcntl(F_DUPFD_CLOEXEC) name the same one, so an IOAS made
 * through one fd is seen through the others; the context lives until the last of them
 * closes, and then its pins are gone (MD_CHECK_REFS from a fresh fd, as the kernel
 * selftest's teardown asks). Other fds' ioctls still reach the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
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

static int ioas_alloc(int fd, uint32_t *out_id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &a);

	*out_id = a.out_ioas_id;
	return rc;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d);
}

static int check_refs(int fd, void *buf, size_t len, uint32_t refs)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)buf, .refs = refs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &c);
}

/* Map buf through a mock domain on a new IOAS of fd: pins it. */
static void map_pinned(int fd, void *buf, size_t len)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = MOCK_APERTURE_START,
	};

	CHECK(ioas_alloc(fd, &md.id) == 0);
	map.ioas_id = md.id;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &md) == 0);
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);
}

int main(void)
{
	size_t len = 4 * 4096;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd, fd2, fd3, fd4, probe;
	struct termios t;
	uint32_t id, id2;

	CHECK(buf != MAP_FAILED);
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd, &id) == 0 && id == 1);

	/* the copies name the same context */
	fd2 = dup(fd);
	fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	CHECK(fd2 >= 0 && fd3 >= 100);
	CHECK(ioas_alloc(fd2, &id2) == 0 && id2 == 2);
	CHECK(destroy(fd3, id2) == 0);
	CHECK(destroy(fd3, id2) == -1 && errno == ENOENT);

	/* another open is another context */
	fd4 = open("/dev/iommu", O_RDWR);
	CHECK(fd4 >= 0);
	CHECK(destroy(fd4, id) == -1 && errno == ENOENT);

	/* dup2 over one of a context's fds drops only that fd */
	CHECK(dup2(fd4, fd2) == fd2);
	CHECK(destroy(fd2, id) == -1 && errno == ENOENT);
	CHECK(close(fd4) == 0);
	CHECK(ioas_alloc(fd2, &id2) == 0);

	/* pins of the first context, seen from another, gone after its last close */
	map_pinned(fd, buf, len);
	CHECK(check_refs(fd2, buf, len, 1) == 0);
	CHECK(close(fd) == 0);
	CHECK(check_refs(fd2, buf, len, 1) == 0);
	CHECK(close(fd3) == 0);
	CHECK(check_refs(fd2, buf, len, 0) == 0);
	CHECK(close(fd2) == 0);
	CHECK(ioctl(fd2, IOMMU_IOAS_ALLOC, &id) == -1 && errno == EBADF);

	/* other fds are the kernel's */
	probe = open("/dev/null", O_RDWR);
	CHECK(probe >= 0);
	CHECK(ioctl(probe, TCGETS, &t) == -1 && errno == ENOTTY);
	CHECK(close(probe) == 0);
	munmap(buf, len);
	printf("inproc: ok\n");
	return 0;
}
