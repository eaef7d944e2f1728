/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_viommu_mmap.c - mmap of an iommufd: the region a mock vIOMMU offers, through the
 * shim, with the daemon and in-process (meson runs it both ways under ioasid-run). What the
 * kernel does (Linux 6.15+, the selftest's viommu_alloc_with_data), and what a program that
 * does not play along can do:
 *   - mmap(2)'s own checks and the iommufd's, in the kernel's order: a zero length or an
 *     unaligned offset EINVAL, MAP_PRIVATE EINVAL, PROT_EXEC EPERM, any offset or length
 *     that is not exactly the region's ENXIO (inside it, past it, half, double, huge);
 *   - the right one maps two pages whose first word is in_data, writable and shared by
 *     every mapping of it; the dup of the iommufd maps the same;
 *   - IOMMU_DESTROY of the vIOMMU is EBUSY while any mapping lives: two mappings, then one,
 *     then only a forked child's copy; free once the child exited; mmap after the destroy
 *     is ENXIO;
 *   - another context's offsets name that context's regions only: nothing there is ENXIO,
 *     its own vIOMMU at the same offset maps its own in_data;
 *   - (daemon) the private call itself with a bad size, flags, NULL pointer, another
 *     offset; an fd asked for and held unmapped keeps the vIOMMU busy until closed;
 *   - the iommufd closed while its region is mapped: the pages stay readable, the daemon
 *     serves on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "proto/proto.h"

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s failed (errno %d)\n", __FILE__, __LINE__, \
				#cond, errno);                                               \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

#define MAP_ERR(want, fd, len, prot, flags, off)                                      \
	do {                                                                          \
		errno = 0;                                                            \
		CHECK(mmap(NULL, (len), (prot), (flags), (fd), (off)) == MAP_FAILED); \
		CHECK(errno == (want));                                               \
	} while (0)

static long pg;

struct vctx {
	int fd;
	uint32_t ioas, idev, parent;
};

static void setup(struct vctx *v)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_hwpt_alloc parent = { .size = sizeof(parent) };

	v->fd = open("/dev/iommu", O_RDWR);
	CHECK(v->fd >= 0);
	CHECK(ioctl(v->fd, IOMMU_IOAS_ALLOC, &ioas) == 0);
	v->ioas = ioas.out_ioas_id;
	md.id = v->ioas;
	CHECK(ioctl(v->fd, IOMMU_TEST_CMD, &md) == 0);
	v->idev = md.mock_domain.out_idev_id;
	parent.dev_id = v->idev;
	parent.pt_id = v->ioas;
	parent.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	CHECK(ioctl(v->fd, IOMMU_HWPT_ALLOC, &parent) == 0);
	v->parent = parent.out_hwpt_id;
}

static uint32_t viommu(struct vctx *v, uint32_t in_data, struct iommu_viommu_selftest *data)
{
	struct iommu_viommu_alloc va = { .size = sizeof(va) };

	memset(data, 0, sizeof(*data));
	data->in_data = in_data;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.dev_id = v->idev;
	va.hwpt_id = v->parent;
	va.data_len = sizeof(*data);
	va.data_uptr = (uintptr_t)data;
	CHECK(ioctl(v->fd, IOMMU_VIOMMU_ALLOC, &va) == 0);
	CHECK(data->out_data == in_data && data->out_mmap_length == (uint64_t)(2 * pg));
	return va.out_viommu_id;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d);
}

static void *map(int fd, const struct iommu_viommu_selftest *d)
{
	void *p = mmap(NULL, d->out_mmap_length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)d->out_mmap_offset);

	CHECK(p != MAP_FAILED);
	return p;
}

#define BUSY(fd, id) CHECK(destroy((fd), (id)) == -1 && errno == EBUSY)

/* the kernel's checks, in its order */
static void bad_maps(int fd, const struct iommu_viommu_selftest *d)
{
	off_t off = (off_t)d->out_mmap_offset;
	size_t len = d->out_mmap_length;
	const int rw = PROT_READ | PROT_WRITE;

	MAP_ERR(EINVAL, fd, 0, rw, MAP_SHARED, off);
	MAP_ERR(EINVAL, fd, len, rw, MAP_SHARED, off + 1);
	MAP_ERR(EINVAL, fd, len, rw, MAP_PRIVATE, off);
	MAP_ERR(EPERM, fd, len, rw | PROT_EXEC, MAP_SHARED, off);
	/* the selftest's four, then a length that is no region's and one far past it */
	MAP_ERR(ENXIO, fd, len, rw, MAP_SHARED, off + pg);
	MAP_ERR(ENXIO, fd, len, rw, MAP_SHARED, off + 2 * pg);
	MAP_ERR(ENXIO, fd, len / 2, rw, MAP_SHARED, off);
	MAP_ERR(ENXIO, fd, len * 2, rw, MAP_SHARED, off);
	MAP_ERR(ENXIO, fd, 1UL << 40, rw, MAP_SHARED, off);
	MAP_ERR(ENXIO, fd, len, rw, MAP_SHARED, off + ((off_t)1 << 40));
}

/* the private call itself, as a program could make it through the shim (daemon only) */
static void raw_call(struct vctx *v, const struct iommu_viommu_selftest *d, uint32_t id)
{
	struct ioasid_ctx_mmap m = { .size = sizeof(m),
				     .offset = d->out_mmap_offset,
				     .length = d->out_mmap_length };
	int held;

	m.size = 8;
	CHECK(ioctl(v->fd, IOASID_CTX_MMAP, &m) == -1 && errno == EINVAL);
	m.size = sizeof(m);
	m.flags = 1;
	CHECK(ioctl(v->fd, IOASID_CTX_MMAP, &m) == -1 && errno == EINVAL);
	m.flags = 0;
	CHECK(ioctl(v->fd, IOASID_CTX_MMAP, NULL) == -1 && errno == EFAULT);
	m.offset += pg;
	CHECK(ioctl(v->fd, IOASID_CTX_MMAP, &m) == -1 && errno == ENXIO);
	m.offset -= pg;
	m.length = UINT64_MAX & ~(uint64_t)(pg - 1);
	CHECK(ioctl(v->fd, IOASID_CTX_MMAP, &m) == -1 && errno == ENXIO);
	m.length = d->out_mmap_length;
	/* an fd asked for and never mapped holds the region as a mapping would */
	held = ioctl(v->fd, IOASID_CTX_MMAP, &m);
	CHECK(held >= 0);
	CHECK(ftruncate(held, 0) == -1); /* sealed: the program cannot resize it */
	BUSY(v->fd, id);
	CHECK(close(held) == 0);
	CHECK(destroy(v->fd, id) == 0);
}

int main(void)
{
	const char *be = getenv("IOASID_BACKEND");
	bool daemon = !be || strcmp(be, "inproc");
	struct iommu_viommu_selftest d, d2, d3;
	struct vctx v, w;
	uint32_t id, id2, id3;
	uint32_t *a, *b;
	int go[2], dupfd, st;
	pid_t child;

	pg = sysconf(_SC_PAGESIZE);
	setup(&v);
	id = viommu(&v, 0xbeef, &d);
	bad_maps(v.fd, &d);

	/* the region: in_data first, writable, shared by every mapping; a dup names it too */
	a = map(v.fd, &d);
	CHECK(a[0] == 0xbeef);
	dupfd = dup(v.fd);
	CHECK(dupfd >= 0);
	b = map(dupfd, &d);
	a[pg / 4] = 0x1234;
	CHECK(b[pg / 4] == 0x1234 && b[0] == 0xbeef);
	CHECK(close(dupfd) == 0);

	/* busy while mapped: two, one, then only a forked child's copy */
	BUSY(v.fd, id);
	CHECK(munmap(b, d.out_mmap_length) == 0);
	BUSY(v.fd, id);
	CHECK(pipe(go) == 0);
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		char c;

		close(go[1]);
		/* the inherited mapping, until the parent says */
		if (read(go[0], &c, 1) != 1 || a[0] != 0xbeef)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	CHECK(munmap(a, d.out_mmap_length) == 0);
	BUSY(v.fd, id);
	CHECK(write(go[1], "x", 1) == 1);
	CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(go[1]);
	CHECK(destroy(v.fd, id) == 0);
	/* gone: its offset names nothing */
	MAP_ERR(ENXIO, v.fd, d.out_mmap_length, PROT_READ, MAP_SHARED, (off_t)d.out_mmap_offset);

	/* another context: its own regions only, whatever the offset */
	id2 = viommu(&v, 0x1111, &d2);
	setup(&w);
	MAP_ERR(ENXIO, w.fd, d2.out_mmap_length, PROT_READ, MAP_SHARED, (off_t)d2.out_mmap_offset);
	id3 = viommu(&w, 0x2222, &d3);
	if (d3.out_mmap_offset == d2.out_mmap_offset) {
		b = map(w.fd, &d3);
		CHECK(b[0] == 0x2222);
		CHECK(munmap(b, d3.out_mmap_length) == 0);
	}
	a = map(v.fd, &d2);
	CHECK(a[0] == 0x1111);
	BUSY(v.fd, id2);
	CHECK(destroy(w.fd, id3) == 0); /* the other context's mapping holds nothing here */
	CHECK(munmap(a, d2.out_mmap_length) == 0);

	if (daemon)
		raw_call(&v, &d2, id2);
	else
		CHECK(destroy(v.fd, id2) == 0);

	/* the iommufd closed under a mapping: the pages stay, the next context works */
	id = viommu(&v, 0x3333, &d);
	a = map(v.fd, &d);
	CHECK(close(v.fd) == 0);
	CHECK(a[0] == 0x3333);
	a[1] = 7;
	CHECK(munmap(a, d.out_mmap_length) == 0);
	setup(&v);
	id = viommu(&v, 0x4444, &d);
	a = map(v.fd, &d);
	CHECK(a[0] == 0x4444);
	CHECK(munmap(a, d.out_mmap_length) == 0);
	CHECK(destroy(v.fd, id) == 0);
	CHECK(close(v.fd) == 0);
	CHECK(close(w.fd) == 0);
	printf("viommu_mmap: ok (%s)\n", daemon ? "daemon" : "inproc");
	return 0;
}
