// SPDX-License-Identifier: BSD-3-Clause
/*
 * helpers.c - the tests' host for src/vfio (helpers.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "helpers.h"

struct vfio_sys *hsys;

static struct {
	struct ioasid_ctx *ctx;
	unsigned int refs;
	bool closed;
} ctxs[HMAX_FDS];
static struct vfio_file *installed[HMAX_FDS];
static struct vfio_file *groupfds[HMAX_FDS];

static int ctx_get(int fd, struct ioasid_ctx **out, void **ref)
{
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (fd >= HMAX_FDS || !ctxs[fd].ctx || ctxs[fd].closed)
		return -EBADFD;
	ctxs[fd].refs++;
	*out = ctxs[fd].ctx;
	*ref = &ctxs[fd];
	return 0;
}

static void ctx_put(void *ref)
{
	typeof(&ctxs[0]) c = ref;

	assert_true(c->refs > 0);
	if (!--c->refs && c->closed) {
		ioasid_ctx_free(c->ctx);
		c->ctx = NULL;
		c->closed = false;
	}
}

static int install(struct vfio_file *f)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fd >= HMAX_FDS) {
		close(fd);
		return -EMFILE;
	}
	installed[fd] = f;
	return fd;
}

static bool is_emulated(int fd)
{
	return fd >= 0 && fd < HMAX_FDS && (ctxs[fd].ctx || installed[fd]);
}

static struct vfio_file *file_get(int fd, int *err)
{
	struct vfio_file *f = NULL;

	if (fd >= 0 && fd < HMAX_FDS)
		f = groupfds[fd] ? groupfds[fd] : installed[fd];
	if (f)
		vfio_file_get(f);
	else
		*err = fd < 0 || fcntl(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	return f;
}

static const struct vfio_host_ops ops = {
	.ctx_get = ctx_get,
	.ctx_put = ctx_put,
	.install = install,
	.is_emulated = is_emulated,
	.file_get = file_get,
};

int h_group_fd(struct vfio_file *g)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	assert_true(fd >= 0 && fd < HMAX_FDS);
	groupfds[fd] = g;
	return fd;
}

void h_group_fd_close(int fd)
{
	struct vfio_file *g = groupfds[fd];

	groupfds[fd] = NULL;
	close(fd);
	vfio_file_put(g);
}

int h_setup(void **state)
{
	(void)state;
	return vfio_sys_new(platform_default(), &ops, &hsys);
}

int h_teardown(void **state)
{
	(void)state;
	for (int fd = 0; fd < HMAX_FDS; fd++)
		if (installed[fd])
			h_close_installed(fd);
	/* every file is closed by the test: no context may still be held */
	assert_int_equal(h_ctx_refs(), 0);
	for (int fd = 0; fd < HMAX_FDS; fd++)
		if (ctxs[fd].ctx)
			h_iommufd_close(fd);
	vfio_sys_free(hsys);
	hsys = NULL;
	return 0;
}

int h_iommufd(struct ioasid_ctx **out)
{
	struct ioasid_ctx *ctx;
	int fd;

	OK(ioasid_ctx_new(NULL, &ctx));
	fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0 && fd < HMAX_FDS);
	ctxs[fd].ctx = ctx;
	ctxs[fd].closed = false;
	if (out)
		*out = ctx;
	return fd;
}

void h_iommufd_close(int fd)
{
	ctxs[fd].closed = true;
	if (!ctxs[fd].refs) {
		ioasid_ctx_free(ctxs[fd].ctx);
		ctxs[fd].ctx = NULL;
		ctxs[fd].closed = false;
	}
	close(fd);
}

unsigned int h_ctx_refs(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < HMAX_FDS; fd++)
		n += ctxs[fd].refs;
	return n;
}

struct vfio_file *h_installed(int fd)
{
	return fd >= 0 && fd < HMAX_FDS ? installed[fd] : NULL;
}

void h_close_installed(int fd)
{
	struct vfio_file *f = installed[fd];

	installed[fd] = NULL;
	close(fd);
	vfio_file_put(f);
}

long h_ioctl(struct vfio_file *f, unsigned long cmd, void *arg)
{
	return vfio_file_ioctl(f, cmd, (unsigned long)arg);
}

struct vfio_file *h_bound(unsigned int idx, int *out_fd, struct ioasid_ctx **out_ctx,
			  uint32_t *out_ioas)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_ctx *ctx;
	struct vfio_file *f;

	OK(vfio_open_device(hsys, idx, &f));
	bind.iommufd = h_iommufd(&ctx);
	OK(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	OK(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &a));
	at.pt_id = a.out_ioas_id;
	OK(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	if (out_fd)
		*out_fd = bind.iommufd;
	if (out_ctx)
		*out_ctx = ctx;
	if (out_ioas)
		*out_ioas = a.out_ioas_id;
	return f;
}

uint32_t h_cfg_rd(struct vfio_file *f, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	assert_int_equal(
		vfio_file_pread(f, &v, size, VFIO_INDEX_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off),
		size);
	return v;
}

void h_cfg_wr(struct vfio_file *f, unsigned int off, unsigned int size, uint32_t v)
{
	assert_int_equal(
		vfio_file_pwrite(f, &v, size, VFIO_INDEX_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off),
		size);
}

uint64_t h_bar_rd(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	assert_int_equal(vfio_file_pread(f, &v, size, VFIO_INDEX_OFF(bar) + off), size);
	return v;
}

void h_bar_wr(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size, uint64_t v)
{
	assert_int_equal(vfio_file_pwrite(f, &v, size, VFIO_INDEX_OFF(bar) + off), size);
}

uint64_t h_efd_count(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, 0) != 1)
		return 0;
	assert_int_equal(read(efd, &n, 8), 8);
	return n;
}
