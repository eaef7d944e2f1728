/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * helpers.h - a host for src/vfio in the tests: what the shim does in a program, done with
 * plain tables. An "iommufd" is an eventfd standing for an in-process context; installed
 * device files (VFIO_GROUP_GET_DEVICE_FD) are eventfds too. The host counts the context
 * references src/vfio holds, so a test can check that none is left behind.
 */
#ifndef IOASID_TESTS_VFIO_HELPERS_H
#define IOASID_TESTS_VFIO_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/vfio.h>

#include "ioasid/ioasid.h"
#include "vfio/vfio_int.h"

#define OK(x)	    assert_int_equal((x), 0)
#define ERR(x, e)   assert_int_equal((x), -(e))
#define HMAX_FDS    1024
#define BDF_IOAT0   "0000:00:04.0"
#define BDF_IOAT1   "0000:00:04.1"
#define IDX_IOAT0   0u /* vfio0 in the default platform */
#define IDX_IOAT1   1u
#define IDX_NVME    3u /* 0002:00:01.0, PASID width 20, 65 MSI-X vectors */
#define GROUP_IOAT0 0u

extern struct vfio_sys *hsys;

/* the default platform's VFIO view with this host */
int h_setup(void **state);
int h_teardown(void **state);

/* a new "iommufd": its fd (ctx in *out) */
int h_iommufd(struct ioasid_ctx **out);
void h_iommufd_close(int fd);
/* references src/vfio holds on contexts now */
unsigned int h_ctx_refs(void);
/* the file behind an installed fd, or NULL; closing it */
struct vfio_file *h_installed(int fd);
void h_close_installed(int fd);

/* an fd standing for group file g (its reference now the fd's); closing it */
int h_group_fd(struct vfio_file *g);
void h_group_fd_close(int fd);

/* a cdev file of device idx bound to a new iommufd (*out_fd), attached to a new IOAS */
struct vfio_file *h_bound(unsigned int idx, int *out_fd, struct ioasid_ctx **out_ctx,
			  uint32_t *out_ioas);
long h_ioctl(struct vfio_file *f, unsigned long cmd, void *arg);
/* config / BAR accessors that assert success */
uint32_t h_cfg_rd(struct vfio_file *f, unsigned int off, unsigned int size);
void h_cfg_wr(struct vfio_file *f, unsigned int off, unsigned int size, uint32_t v);
uint64_t h_bar_rd(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size);
void h_bar_wr(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size, uint64_t v);
/* the eventfd's count (0 if nothing came), read without blocking */
uint64_t h_efd_count(int efd);

#endif
