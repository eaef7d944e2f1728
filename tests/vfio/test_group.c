// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_group.c - the legacy path of src/vfio: group files and their container, against the
 * kernel's rules (exclusive opens, the cdev blocking the group and back, GET_STATUS,
 * SET_CONTAINER with what is and is not an iommufd, GET_DEVICE_FD, UNSET_CONTAINER with
 * devices open), then the type1 flow of a container (VFIO_SET_IOMMU, VFIO_IOMMU_MAP_DMA) and
 * a device reaching the mapped memory through it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "devices/ioat.h"
#include "helpers.h"

#define CH(r) (IOAT_CHAN_BASE + (r))

static void test_exclusive(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_file *g, *g2, *d;

	(void)state;
	ERR(vfio_open_group(hsys, 77, &g), ENODEV);
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	ERR(vfio_open_group(hsys, GROUP_IOAT0, &g2), EBUSY);
	/* a cdev cannot bind while its group is open */
	OK(vfio_open_device(hsys, IDX_IOAT0, &d));
	b.iommufd = h_iommufd(NULL);
	ERR(h_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), EBUSY);
	vfio_file_put(g);
	OK(h_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b));
	/* and the group cannot be opened while a device of it is bound */
	ERR(vfio_open_group(hsys, GROUP_IOAT0, &g), EBUSY);
	/* another group is not affected */
	OK(vfio_open_group(hsys, GROUP_IOAT0 + 1, &g2));
	vfio_file_put(g2);
	vfio_file_put(d);
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	vfio_file_put(g);
	h_iommufd_close(b.iommufd);
}

static void test_status_container(void **state)
{
	struct vfio_group_status st = { .argsz = 7 };
	struct vfio_file *g;
	int iommufd = h_iommufd(NULL), other = eventfd(0, 0), bad = 900;

	(void)state;
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	ERR(h_ioctl(g, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	st.argsz = sizeof(st);
	OK(h_ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	ERR(h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT0), EINVAL); /* no container */
	ERR(h_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), EINVAL);
	ERR(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), EBADF);
	ERR(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &other), EBADFD);
	ERR(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), EFAULT);
	OK(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd));
	ERR(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd), EINVAL);
	OK(h_ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	assert_int_equal(h_ctx_refs(), 1);
	OK(h_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL));
	assert_int_equal(h_ctx_refs(), 0);
	OK(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd));
	ERR(h_ioctl(g, 0x3b7f, NULL), ENOTTY);
	/* closing the group lets the container go */
	vfio_file_put(g);
	assert_int_equal(h_ctx_refs(), 0);
	h_iommufd_close(iommufd);
	close(other);
}

static void test_get_device_fd(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_file *g, *d;
	int iommufd = h_iommufd(NULL), fd, fd2;

	(void)state;
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	OK(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &iommufd));
	ERR(h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV);
	ERR(h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT1), ENODEV); /* another group's */
	ERR(h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "00:04.0"), ENODEV); /* not its name */
	ERR(h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NULL), EFAULT);
	fd = (int)h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT0);
	assert_true(fd >= 0);
	d = h_installed(fd);
	assert_non_null(d);
	OK(h_ioctl(d, VFIO_DEVICE_GET_INFO, &info));
	/* a group device file: no BIND, no cdev attach */
	b.iommufd = iommufd;
	ERR(h_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	ERR(h_ioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), ENOTTY);
	/* the device may be opened again through its group; both share it */
	fd2 = (int)h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT0);
	assert_true(fd2 >= 0);
	assert_int_equal(hsys->devs[IDX_IOAT0].open_count, 2);
	ERR(h_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), EBUSY);
	/* the group file closed while its devices are open: they keep it */
	vfio_file_put(g);
	assert_int_equal(h_ctx_refs(), 1);
	assert_int_equal(h_cfg_rd(d, 0, 4), 0x20218086);
	h_close_installed(fd);
	h_close_installed(fd2);
	assert_int_equal(hsys->devs[IDX_IOAT0].open_count, 0);
	assert_int_equal(h_ctx_refs(), 0);
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	vfio_file_put(g);
	h_iommufd_close(iommufd);
}

/* The type1 flow: the container's VFIO calls, and DMA through what MAP_DMA mapped. */
static void test_type1_dma(void **state)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE
	};
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	struct ioasid_ctx *ctx;
	struct vfio_file *g, *d;
	struct ioat_desc *desc;
	uint8_t *buf = NULL;
	int container = h_iommufd(&ctx), fd;

	(void)state;
	/* before a group is set, the container has no compatibility IOAS */
	assert_int_equal(ioasid_ioctl(ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), -1);
	assert_int_equal(errno, ENODEV);
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g));
	OK(h_ioctl(g, VFIO_GROUP_SET_CONTAINER, &container));
	OK(ioasid_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	OK(ioasid_ioctl(ctx, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU));
	assert_int_equal(posix_memalign((void **)&buf, 4096, 3 * 4096), 0);
	memset(buf, 0, 3 * 4096);
	for (unsigned int i = 0; i < 4096; i++)
		buf[4096 + i] = (uint8_t)(i * 13);
	m.vaddr = (uintptr_t)buf;
	m.iova = 0x200000;
	m.size = 3 * 4096;
	OK(ioasid_ioctl(ctx, VFIO_IOMMU_MAP_DMA, &m));
	fd = (int)h_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT0);
	assert_true(fd >= 0);
	d = h_installed(fd);
	h_cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	h_bar_wr(d, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	desc = (struct ioat_desc *)(void *)buf;
	desc[0] = (struct ioat_desc){ .size = 4096, .src_addr = 0x201000, .dst_addr = 0x202000 };
	h_bar_wr(d, 0, CH(IOAT_CHAN_CHAINADDR), 8, 0x200000);
	h_bar_wr(d, 0, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(h_bar_rd(d, 0, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_memory_equal(buf + 4096, buf + 8192, 4096);
	/* unmapped behind the device's back: the next copy faults in the device */
	{
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
							.iova = 0x200000,
							.size = 3 * 4096 };

		OK(ioasid_ioctl(ctx, VFIO_IOMMU_UNMAP_DMA, &u));
		assert_int_equal(u.size, 3 * 4096);
	}
	h_bar_wr(d, 0, CH(IOAT_CHAN_DMACOUNT), 2, 2);
	assert_int_equal(h_bar_rd(d, 0, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_HALTED);
	assert_int_equal(h_bar_rd(d, 0, CH(IOAT_CHAN_ERR), 4), IOAT_CHANERR_NEXT_ADDR);
	h_close_installed(fd);
	vfio_file_put(g);
	h_iommufd_close(container);
	free(buf);
}

/* VFIO_DEVICE_PCI_HOT_RESET from a group's device: the group fds must cover the bus */
static void test_hot_reset_groups(void **state)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fd[3];
	} r = { .h = { .argsz = sizeof(r) } };
	struct vfio_file *g0, *g1;
	int container = h_iommufd(NULL), gfd0, gfd1, fd;

	(void)state;
	OK(vfio_open_group(hsys, GROUP_IOAT0, &g0));
	OK(vfio_open_group(hsys, GROUP_IOAT0 + 1, &g1));
	gfd0 = h_group_fd(g0);
	gfd1 = h_group_fd(g1);
	OK(h_ioctl(g0, VFIO_GROUP_SET_CONTAINER, &container));
	fd = (int)h_ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, BDF_IOAT0);
	assert_true(fd >= 0);
	ERR(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL); /* no fds */
	r.h.count = 3; /* more than the functions on the bus */
	ERR(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.h.count = 1;
	r.fd[0] = 900;
	ERR(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r), EBADF);
	r.fd[0] = fd; /* a device file, not a group */
	ERR(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.fd[0] = gfd0; /* the sibling's group is missing */
	ERR(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.h.count = 2;
	r.fd[1] = gfd1;
	h_cfg_wr(h_installed(fd), PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	h_bar_wr(h_installed(fd), 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	OK(h_ioctl(h_installed(fd), VFIO_DEVICE_PCI_HOT_RESET, &r));
	assert_int_equal(h_bar_rd(h_installed(fd), 0, CH(IOAT_CHAN_CTRL), 2), 0);
	h_close_installed(fd);
	h_group_fd_close(gfd0);
	h_group_fd_close(gfd1);
	h_iommufd_close(container);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exclusive, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_status_container, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_get_device_fd, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_type1_dma, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_hot_reset_groups, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
