// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_device.c - the VFIO device file (src/vfio) against the kernel's rules: for every
 * ioctl the argsz floor, flags and errnos, and what it answers; config space as vfio-pci
 * virtualizes it; BAR access; reset; IRQ eventfds including the software trigger and an
 * MSI-X message the I/OAT model sends for a real copy; VFIO_DEVICE_FEATURE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "devices/ioat.h"
#include "helpers.h"

#define CH(r) (IOAT_CHAN_BASE + (r))

static void close_file(struct vfio_file *f, int iommufd)
{
	vfio_file_put(f);
	if (iommufd >= 0)
		h_iommufd_close(iommufd);
}

/* ---- before and at bind --------------------------------------------------------------------- */

static void test_unbound(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_file *f;
	uint32_t v;

	(void)state;
	OK(vfio_open_device(hsys, IDX_IOAT0, &f));
	/* everything but BIND is EINVAL until bound, as the kernel's cdev */
	ERR(h_ioctl(f, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	ERR(h_ioctl(f, VFIO_DEVICE_RESET, NULL), EINVAL);
	ERR(h_ioctl(f, 0x12345, NULL), EINVAL);
	ERR(vfio_file_pread(f, &v, 4, VFIO_INDEX_OFF(VFIO_PCI_CONFIG_REGION_INDEX)), EINVAL);
	ERR(vfio_open_device(hsys, 9999, &f) ? -ENODEV : 0, ENODEV);
	vfio_file_put(f);
}

static void test_bind_rules(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_file *f, *f2;
	struct ioasid_ctx *ctx;
	int iommufd = h_iommufd(&ctx), other = eventfd(0, 0);

	(void)state;
	OK(vfio_open_device(hsys, IDX_IOAT0, &f));
	OK(vfio_open_device(hsys, IDX_IOAT0, &f2));
	b.iommufd = iommufd;
	b.argsz = 15;
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	b.argsz = sizeof(b);
	b.flags = 1;
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	b.flags = 0;
	b.iommufd = -1;
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	b.iommufd = 1000; /* not open */
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADF);
	b.iommufd = other; /* open, not an iommufd */
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADFD);
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, (void *)8), EFAULT);
	assert_int_equal(h_ctx_refs(), 0);
	b.iommufd = iommufd;
	b.out_devid = 0;
	OK(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b));
	assert_int_not_equal(b.out_devid, 0);
	assert_int_equal(h_ctx_refs(), 1);
	/* bound twice, or a second cdev of the same device: EINVAL */
	ERR(h_ioctl(f, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	ERR(h_ioctl(f2, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL);
	/* the device ID is a device in the context: IOMMU_DESTROY of it is EBUSY */
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = b.out_devid };

		assert_int_equal(ioasid_ioctl(ctx, IOMMU_DESTROY, &d), -1);
		assert_int_equal(errno, EBUSY);
	}
	/* the iommufd closed first: the device keeps the context until it closes */
	h_iommufd_close(iommufd);
	assert_int_equal(h_ctx_refs(), 1);
	vfio_file_put(f);
	assert_int_equal(h_ctx_refs(), 0);
	/* the other file may bind now */
	b.iommufd = h_iommufd(NULL);
	OK(h_ioctl(f2, VFIO_DEVICE_BIND_IOMMUFD, &b));
	close_file(f2, b.iommufd);
	close(other);
}

static void test_attach_rules(void **state)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct vfio_device_detach_iommufd_pt de = { .argsz = 8 };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_ctx *ctx;
	struct vfio_file *f;
	int fd;
	uint32_t ioas;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, &ctx, &ioas);
	at.argsz = 11;
	at.pt_id = ioas;
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	at.argsz = 12;
	at.flags = 2;
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	/* PASID on a device without the capability */
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EOPNOTSUPP);
	at.flags = 0;
	at.pt_id = 9999;
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), ENOENT);
	/* attached already (by h_bound): another IOAS replaces, pt_id comes back as the HWPT */
	OK(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &a));
	at.pt_id = a.out_ioas_id;
	OK(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	assert_int_not_equal(at.pt_id, a.out_ioas_id);
	de.argsz = 7;
	ERR(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
	de.argsz = 8;
	de.flags = 4;
	ERR(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
	de.flags = 0;
	OK(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de));
	OK(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de)); /* not attached: nothing to do */
	close_file(f, fd);
}

static void test_attach_pasid(void **state)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = 12,
						    .flags = VFIO_DEVICE_ATTACH_PASID };
	struct vfio_device_detach_iommufd_pt de = { .argsz = 8, .flags = VFIO_DEVICE_DETACH_PASID };
	struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_ALLOC_PASID };
	struct ioasid_ctx *ctx;
	struct vfio_file *f;
	int fd;
	uint32_t ioas;

	(void)state;
	f = h_bound(IDX_NVME, &fd, &ctx, &ioas);
	h.dev_id = hsys->devs[IDX_NVME].dev_id;
	h.pt_id = ioas;
	OK(ioasid_ioctl(ctx, IOMMU_HWPT_ALLOC, &h));
	at.pt_id = h.out_hwpt_id;
	/* the pasid field is needed with the flag */
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	at.argsz = 16;
	at.pasid = 5;
	/* the kernel's rule: not while the RID is on an HWPT not made for PASIDs */
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	at.flags = 0;
	OK(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	OK(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	assert_int_equal(at.pt_id, h.out_hwpt_id);
	/* again, to the same HWPT: a replace that changes nothing, as the kernel's */
	OK(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	assert_int_equal(at.pt_id, h.out_hwpt_id);
	/* beyond the device's 20-bit PASID width */
	at.pasid = 1u << 20;
	ERR(h_ioctl(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	ERR(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de), EINVAL);
	de.argsz = 12;
	de.pasid = 5;
	OK(h_ioctl(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de));
	close_file(f, fd);
}

/* ---- info ---------------------------------------------------------------------------------- */

static void test_info(void **state)
{
	struct vfio_device_info info = { .argsz = 15 };
	struct vfio_region_info ri = { .argsz = 31 };
	struct vfio_irq_info ii = { .argsz = 15 };
	struct vfio_file *f;
	int fd;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	ERR(h_ioctl(f, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	info.argsz = 16;
	OK(h_ioctl(f, VFIO_DEVICE_GET_INFO, &info));
	assert_int_equal(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(info.num_irqs, VFIO_PCI_NUM_IRQS);

	ERR(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri));
	assert_int_equal(ri.size, 4096);
	assert_int_equal(ri.offset, VFIO_INDEX_OFF(7));
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	ri.index = 0;
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri));
	assert_int_equal(ri.size, 16384);
	/* memory BAR: mappable (the MSI-X BAR also says MSIX_MAPPABLE in its chain) */
	assert_int_equal(ri.flags & ~(uint32_t)VFIO_REGION_INFO_FLAG_CAPS,
			 VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				 VFIO_REGION_INFO_FLAG_MMAP);
	ri.index = 1; /* the upper half of 64-bit BAR 0 */
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri));
	assert_int_equal(ri.size, 0);
	assert_int_equal(ri.flags, 0);
	ri.index = VFIO_PCI_ROM_REGION_INDEX;
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri));
	assert_int_equal(ri.size, 0);
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	ERR(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	ri.index = 9;
	ERR(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);

	ERR(h_ioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	ii.argsz = 16;
	ii.index = VFIO_PCI_NUM_IRQS;
	ERR(h_ioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
	OK(h_ioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	assert_int_equal(ii.count, 1);
	assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD);
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	OK(h_ioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	assert_int_equal(ii.flags,
			 VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);
	ii.index = VFIO_PCI_MSI_IRQ_INDEX;
	OK(h_ioctl(f, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	assert_int_equal(ii.count, 0);
	assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	ERR(h_ioctl(f, 0x3b99, NULL), ENOTTY);
	close_file(f, fd);
}

/* the capability chain, as it will be once BAR mmap is wired (the flag set by hand) */
static void test_region_caps(void **state)
{
	struct {
		struct vfio_region_info ri;
		struct vfio_info_cap_header cap;
		uint8_t spare[8];
	} q;
	struct vfio_file *f;
	int fd;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	hsys->devs[IDX_IOAT0].bar_mmap = true;
	memset(&q, 0xaa, sizeof(q));
	q.ri.argsz = sizeof(q.ri);
	q.ri.index = 0;
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &q));
	/* too small for the chain: argsz says what is needed, nothing written past argsz */
	assert_int_equal(q.ri.argsz, sizeof(q.ri) + sizeof(q.cap));
	assert_true(q.ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
	assert_true(q.ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	assert_int_equal(q.ri.cap_offset, 0);
	assert_int_equal(q.cap.id, 0xaaaa);
	q.ri.argsz = sizeof(q);
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &q));
	assert_int_equal(q.ri.cap_offset, sizeof(q.ri));
	assert_int_equal(q.cap.id, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	assert_int_equal(q.cap.version, 1);
	assert_int_equal(q.cap.next, 0);
	ERR(vfio_file_mmap(f, 0, 4096, PROT_READ, NULL), EINVAL); /* not wired yet */
	hsys->devs[IDX_IOAT0].bar_mmap = false;
	OK(h_ioctl(f, VFIO_DEVICE_GET_REGION_INFO, &q));
	assert_false(q.ri.flags & (VFIO_REGION_INFO_FLAG_CAPS | VFIO_REGION_INFO_FLAG_MMAP));
	close_file(f, fd);
}

/* ---- config space --------------------------------------------------------------------------- */

static void test_config(void **state)
{
	struct vfio_file *f;
	struct vdev *d = &hsys->devs[IDX_IOAT0];
	uint32_t v, dev_bar;
	uint8_t big[4096];
	int fd;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	assert_int_equal(h_cfg_rd(f, 0, 4), 0x20218086);
	/* BAR 0: the host address, sizing reads the mask with the type bits */
	v = h_cfg_rd(f, PCI_BASE_ADDRESS_0, 4);
	assert_int_equal(v, (uint32_t)d->bar_addr[0] | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(h_cfg_rd(f, PCI_BASE_ADDRESS_1, 4), (uint32_t)(d->bar_addr[0] >> 32));
	dev_model_cfg_read(d->model, PCI_BASE_ADDRESS_0, &dev_bar, 4);
	h_cfg_wr(f, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(h_cfg_rd(f, PCI_BASE_ADDRESS_0, 4), 0xffffc004);
	h_cfg_wr(f, PCI_BASE_ADDRESS_0, 4, 0x12345678);
	assert_int_equal(h_cfg_rd(f, PCI_BASE_ADDRESS_0, 4), 0x12344004);
	/* the device's own BAR is never written */
	dev_model_cfg_read(d->model, PCI_BASE_ADDRESS_0, &v, 4);
	assert_int_equal(v, dev_bar);
	/* INTx disable is virtual; memory and bus master reach the device */
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_MEMORY);
	assert_int_equal(h_cfg_rd(f, PCI_COMMAND, 2) & 0x406, 0x402);
	dev_model_cfg_read(d->model, PCI_COMMAND, &v, 2);
	assert_int_equal(v & 0x406, PCI_COMMAND_MEMORY);
	/* the interrupt line is kept; the pin is read-only */
	h_cfg_wr(f, PCI_INTERRUPT_LINE, 2, 0xff0b);
	assert_int_equal(h_cfg_rd(f, PCI_INTERRUPT_LINE, 2), 0x010b);
	/* the MSI-X capability is the host's: a write to its control is dropped */
	h_cfg_wr(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_false(h_cfg_rd(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	/* the whole space in one read, split as the kernel splits it; bounds */
	assert_int_equal(vfio_file_pread(f, big, sizeof(big), VFIO_INDEX_OFF(7)), 4096);
	assert_int_equal(big[0], 0x86);
	ERR(vfio_file_pread(f, big, 8, VFIO_INDEX_OFF(7) + 4092), EINVAL);
	ERR(vfio_file_pread(f, big, 1, VFIO_INDEX_OFF(7) + 4096), EINVAL);
	ERR(vfio_file_pread(f, big, 4, VFIO_INDEX_OFF(9)), EINVAL);
	ERR(vfio_file_pread(f, big, 4, VFIO_INDEX_OFF(VFIO_PCI_ROM_REGION_INDEX)), EINVAL);
	close_file(f, fd);
}

/* ---- BARs ------------------------------------------------------------------------------------ */

static void test_bar(void **state)
{
	struct vfio_file *f;
	uint8_t buf[64];
	int fd;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	/* memory decode off: EIO, as the kernel's */
	ERR(vfio_file_pread(f, buf, 1, VFIO_INDEX_OFF(0) + IOAT_REG_CBVER), EIO);
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(h_bar_rd(f, 0, IOAT_REG_CBVER, 1), IOAT_CBVER_3_3);
	assert_int_equal(h_bar_rd(f, 0, IOAT_REG_CHANCNT, 1), 1);
	/* an unaligned, odd-sized read is cut into device accesses */
	assert_int_equal(vfio_file_pread(f, buf, 11, VFIO_INDEX_OFF(0) + 1), 11);
	assert_int_equal(buf[0], IOAT_XFERCAP_LOG2);
	assert_int_equal(buf[7], IOAT_CBVER_3_3);
	/* the MSI-X table reads all ones and ignores writes; the PBA reads through */
	h_bar_wr(f, 0, 0x2000, 4, 0);
	assert_int_equal(h_bar_rd(f, 0, 0x2000, 8), UINT64_MAX);
	assert_int_equal(h_bar_rd(f, 0, 0x3000, 8), 0);
	/* clamped to the BAR's end, then EINVAL beyond it; a missing BAR is EINVAL */
	assert_int_equal(vfio_file_pread(f, buf, 16, VFIO_INDEX_OFF(0) + 0x4000 - 8), 8);
	ERR(vfio_file_pread(f, buf, 4, VFIO_INDEX_OFF(0) + 0x4000), EINVAL);
	ERR(vfio_file_pread(f, buf, 4, VFIO_INDEX_OFF(1)), EINVAL);
	ERR(vfio_file_pread(f, buf, 4, VFIO_INDEX_OFF(2)), EINVAL);
	close_file(f, fd);
}

/* VFIO_DEVICE_IOEVENTFD: the kernel's rules, and a write done when the eventfd fires */
struct ioev_arg {
	uint32_t argsz, flags;
	uint64_t offset, data;
	int32_t fd, pad;
};

static long ioev(struct vfio_file *f, uint32_t flags, uint64_t off, uint64_t data, int fd)
{
	struct ioev_arg a = { .argsz = 28, .flags = flags, .offset = off, .data = data, .fd = fd };

	return h_ioctl(f, VFIO_DEVICE_IOEVENTFD, &a);
}

static void test_ioeventfd(void **state)
{
	const uint64_t ctl = VFIO_INDEX_OFF(0) + (IOAT_CHAN_BASE + IOAT_CHAN_CTRL);
	struct ioev_arg a = { .argsz = 27, .flags = 2, .offset = ctl, .fd = -1 };
	struct vfio_file *f;
	int fd, efd = eventfd(0, EFD_CLOEXEC), p[2];

	(void)state;
	assert_true(efd >= 0 && !pipe(p));
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ERR(h_ioctl(f, VFIO_DEVICE_IOEVENTFD, &a), EINVAL); /* argsz short of fd */
	ERR(ioev(f, 0, ctl, 1, efd), EINVAL);		    /* no width */
	ERR(ioev(f, 3, ctl, 1, efd), EINVAL);		    /* two widths */
	ERR(ioev(f, 0x12, ctl, 1, efd), EINVAL);	    /* unknown flag */
	ERR(ioev(f, 2, ctl, 1, -2), EINVAL);
	ERR(ioev(f, 4, VFIO_INDEX_OFF(VFIO_PCI_CONFIG_REGION_INDEX), 1, efd), EINVAL);
	ERR(ioev(f, 8, VFIO_INDEX_OFF(0) + 0x4000 - 4, 1, efd), EINVAL); /* past the BAR */
	ERR(ioev(f, 4, VFIO_INDEX_OFF(2), 1, efd), EINVAL);		 /* no BAR 2 */
	ERR(ioev(f, 4, VFIO_INDEX_OFF(0) + 0x2000 + 4, 1, efd), EINVAL); /* MSI-X table */
	ERR(ioev(f, 2, ctl, 1, -1), ENODEV);				 /* nothing to remove */
	ERR(ioev(f, 2, ctl, 1, p[0]), EINVAL);				 /* not an eventfd */
	ERR(ioev(f, 2, ctl, 1, 1000), EBADF);
	OK(ioev(f, 2, ctl, 1, efd));
	ERR(ioev(f, 2, ctl, 1, efd), EEXIST);
	/* the eventfd fires: CHANCTRL is written, with no call */
	assert_int_equal(h_bar_rd(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2), 0);
	assert_int_equal(write(efd, &(uint64_t){ 1 }, 8), 8);
	for (int i = 0; i < 500 && h_bar_rd(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2) != 1; i++)
		usleep(2000);
	assert_int_equal(h_bar_rd(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2), 1);
	/* another entry (other data) on the same eventfd, then both removed */
	h_bar_wr(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2, 0);
	OK(ioev(f, 2, ctl, 0x10, efd));
	OK(ioev(f, 2, ctl, 1, -1));
	ERR(ioev(f, 2, ctl, 1, -1), ENODEV);
	assert_int_equal(write(efd, &(uint64_t){ 1 }, 8), 8);
	for (int i = 0; i < 500 && h_bar_rd(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2) != 0x10;
	     i++)
		usleep(2000);
	assert_int_equal(h_bar_rd(f, 0, (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 2), 0x10);
	OK(ioev(f, 2, ctl, 0x10, -1));
	/* the device's close removes what is left (no fd of ours leaks: teardown counts) */
	OK(ioev(f, 4, VFIO_INDEX_OFF(0) + (IOAT_CHAN_BASE + IOAT_CHAN_CTRL), 7, efd));
	close_file(f, fd);
	close(efd);
	close(p[0]);
	close(p[1]);
}

/* ---- interrupts ------------------------------------------------------------------------------ */

struct irq_set_fd {
	struct vfio_irq_set s;
	int32_t fd[2];
};

static long set_irqs(struct vfio_file *f, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const void *data, size_t len)
{
	struct irq_set_fd q = { .s = { .argsz = (uint32_t)(sizeof(q.s) + len),
				       .flags = flags,
				       .index = index,
				       .start = start,
				       .count = count } };

	if (len)
		memcpy(q.fd, data, len);
	return h_ioctl(f, VFIO_DEVICE_SET_IRQS, &q);
}

#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER
#define NONE VFIO_IRQ_SET_DATA_NONE
#define BOOL VFIO_IRQ_SET_DATA_BOOL
#define EVFD VFIO_IRQ_SET_DATA_EVENTFD
#define MSIX VFIO_PCI_MSIX_IRQ_INDEX
#define INTX VFIO_PCI_INTX_IRQ_INDEX

static void test_set_irqs_rules(void **state)
{
	struct vfio_irq_set s = { .argsz = 15 };
	struct vfio_file *f;
	int fd, efd = eventfd(0, 0), notefd = open("/dev/null", O_RDONLY);
	int32_t fds[2] = { efd, efd };
	uint8_t yes = 1;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	ERR(h_ioctl(f, VFIO_DEVICE_SET_IRQS, &s), EINVAL);
	ERR(set_irqs(f, TRIG | EVFD, VFIO_PCI_NUM_IRQS, 0, 1, fds, 4), EINVAL);
	ERR(set_irqs(f, TRIG | EVFD | (1u << 6), MSIX, 0, 1, fds, 4), EINVAL);
	ERR(set_irqs(f, TRIG | NONE | BOOL, MSIX, 0, 1, NULL, 0), EINVAL);
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 1, 1, fds, 4), EINVAL); /* beyond the count */
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 0, 2, fds, 8), EINVAL); /* beyond the count */
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 0), EINVAL); /* no room for the data */
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 1, UINT32_MAX, fds, 4), EINVAL);
	ERR(set_irqs(f, TRIG | EVFD, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds, 4), EINVAL); /* no MSI */
	ERR(set_irqs(f, VFIO_IRQ_SET_ACTION_MASK | NONE, MSIX, 0, 1, NULL, 0), ENOTTY);
	ERR(set_irqs(f, TRIG | VFIO_IRQ_SET_ACTION_MASK | NONE, MSIX, 0, 1, NULL, 0), ENOTTY);
	/* a trigger of MSI-X before it is enabled, or disabling it then */
	ERR(set_irqs(f, TRIG | NONE, MSIX, 0, 1, NULL, 0), EINVAL);
	ERR(set_irqs(f, TRIG | NONE, MSIX, 0, 0, NULL, 0), EINVAL);
	/* eventfd checks: not open, not an eventfd, an eventfd */
	fds[0] = 900;
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4), EBADF);
	fds[0] = notefd;
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4), EINVAL);
	fds[0] = fd; /* the host's iommufd is no eventfd of the program's */
	ERR(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4), EINVAL);
	assert_int_equal(hsys->devs[IDX_IOAT0].irq_type, VIRQ_NONE);
	fds[0] = efd;
	OK(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4));
	/* INTx while MSI-X is on: EINVAL */
	ERR(set_irqs(f, TRIG | EVFD, INTX, 0, 1, fds, 4), EINVAL);
	/* software triggers: DATA_NONE, DATA_BOOL */
	OK(set_irqs(f, TRIG | NONE, MSIX, 0, 1, NULL, 0));
	OK(set_irqs(f, TRIG | BOOL, MSIX, 0, 1, &yes, 1));
	yes = 0;
	OK(set_irqs(f, TRIG | BOOL, MSIX, 0, 1, &yes, 1));
	assert_int_equal(h_efd_count(efd), 2);
	/* disable: count 0 with DATA_NONE; then INTx may be used */
	OK(set_irqs(f, TRIG | NONE, MSIX, 0, 0, NULL, 0));
	OK(set_irqs(f, TRIG | EVFD, INTX, 0, 1, fds, 4));
	OK(set_irqs(f, TRIG | NONE, INTX, 0, 1, NULL, 0));
	assert_int_equal(h_efd_count(efd), 1);
	/* the virtual INTx disable bit holds it back */
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	OK(set_irqs(f, TRIG | NONE, INTX, 0, 1, NULL, 0));
	assert_int_equal(h_efd_count(efd), 0);
	h_cfg_wr(f, PCI_COMMAND, 2, 0);
	OK(set_irqs(f, VFIO_IRQ_SET_ACTION_MASK | NONE, INTX, 0, 1, NULL, 0));
	OK(set_irqs(f, VFIO_IRQ_SET_ACTION_UNMASK | NONE, INTX, 0, 1, NULL, 0));
	ERR(set_irqs(f, VFIO_IRQ_SET_ACTION_MASK | EVFD, INTX, 0, 1, fds, 4), ENOTTY);
	OK(set_irqs(f, TRIG | NONE, INTX, 0, 0, NULL, 0));
	ERR(set_irqs(f, VFIO_IRQ_SET_ACTION_MASK | NONE, INTX, 0, 1, NULL, 0), EINVAL);
	/* the error and request indexes */
	ERR(set_irqs(f, TRIG | NONE, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL, 0), EINVAL);
	OK(set_irqs(f, TRIG | EVFD, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, fds, 4));
	OK(set_irqs(f, TRIG | NONE, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, NULL, 0));
	assert_int_equal(h_efd_count(efd), 1);
	OK(set_irqs(f, TRIG | NONE, VFIO_PCI_ERR_IRQ_INDEX, 0, 0, NULL, 0));
	ERR(set_irqs(f, TRIG | NONE, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, NULL, 0), EINVAL);
	close_file(f, fd);
	close(efd);
	close(notefd);
}

/* The eventfd survives the program closing its own fd (the kernel holds the context). */
static void test_msix_dup_kept(void **state)
{
	struct vfio_file *f;
	int fd, efd = eventfd(0, 0), watch = dup(efd);
	int32_t fds[1] = { efd };

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	OK(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4));
	close(efd);
	OK(set_irqs(f, TRIG | NONE, MSIX, 0, 1, NULL, 0));
	assert_int_equal(h_efd_count(watch), 1);
	close_file(f, fd);
	close(watch);
}

/* ---- a real copy: the model's MSI-X message on the eventfd; reset -------------------------- */

static void map_at(struct ioasid_ctx *ctx, uint32_t ioas, void *va, uint64_t iova, size_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	OK(ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &m));
}

static void test_copy_irq_reset(void **state)
{
	struct ioasid_ctx *ctx;
	struct vfio_file *f;
	struct ioat_desc *desc;
	uint8_t *buf = NULL;
	uint32_t ioas;
	int fd, efd = eventfd(0, 0);
	int32_t fds[1] = { efd };

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, &ctx, &ioas);
	assert_int_equal(posix_memalign((void **)&buf, 4096, 3 * 4096), 0);
	memset(buf, 0, 3 * 4096);
	desc = (struct ioat_desc *)(void *)buf;
	for (unsigned int i = 0; i < 4096; i++)
		buf[4096 + i] = (uint8_t)(i ^ 0x5a);
	map_at(ctx, ioas, buf, 0x100000, 3 * 4096);
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	OK(set_irqs(f, TRIG | EVFD, MSIX, 0, 1, fds, 4));
	/* the host enabled MSI-X and unmasked vector 0 */
	assert_true(h_cfg_rd(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	h_bar_wr(f, 0, IOAT_REG_INTRCTRL, 1, IOAT_INTRCTRL_MASTER_EN);
	h_bar_wr(f, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	desc[0] = (struct ioat_desc){
		.size = 4096, .ctl = IOAT_DESC_INT_EN, .src_addr = 0x101000, .dst_addr = 0x102000
	};
	h_bar_wr(f, 0, CH(IOAT_CHAN_CHAINADDR), 8, 0x100000);
	h_bar_wr(f, 0, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(h_efd_count(efd), 1);
	assert_memory_equal(buf + 4096, buf + 8192, 4096);
	assert_int_equal(h_bar_rd(f, 0, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_DONE);
	/* reset: the channel to power-on, config and the host's MSI-X put back */
	OK(h_ioctl(f, VFIO_DEVICE_RESET, NULL));
	assert_int_equal(h_cfg_rd(f, PCI_COMMAND, 2) & 6, 6);
	assert_int_equal(h_bar_rd(f, 0, CH(IOAT_CHAN_CTRL), 2), 0);
	assert_int_equal(h_bar_rd(f, 0, CH(IOAT_CHAN_DMACOUNT), 2), 0);
	assert_true(h_cfg_rd(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	/* and it copies again, with its interrupt */
	memset(buf + 8192, 0, 4096);
	h_bar_wr(f, 0, IOAT_REG_INTRCTRL, 1, IOAT_INTRCTRL_MASTER_EN);
	h_bar_wr(f, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	h_bar_wr(f, 0, CH(IOAT_CHAN_CHAINADDR), 8, 0x100000);
	h_bar_wr(f, 0, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(h_efd_count(efd), 1);
	assert_memory_equal(buf + 4096, buf + 8192, 4096);
	/* an FLR through config space is the same reset */
	h_cfg_wr(f, PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(h_bar_rd(f, 0, CH(IOAT_CHAN_CTRL), 2), 0);
	assert_int_equal(h_cfg_rd(f, PCI_COMMAND, 2) & 6, 6);
	close_file(f, fd);
	close(efd);
	free(buf);
}

/* ---- hot reset info, feature --------------------------------------------------------------- */

static void test_hot_reset_info(void **state)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[2];
	} r = { .h = { .argsz = 11 } };
	struct vfio_file *f, *f1;
	int fd, fd1;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	ERR(h_ioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r), EINVAL);
	r.h.argsz = sizeof(r.h) + sizeof(r.d[0]);
	ERR(h_ioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r), ENOSPC);
	assert_int_equal(r.h.count, 2); /* both I/OAT functions are on bus 0 */
	r.h.argsz = sizeof(r);
	OK(h_ioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r));
	assert_int_equal(r.h.count, 2);
	/* the sibling is not bound to this iommufd: not owned */
	assert_int_equal(r.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	assert_int_equal(r.d[0].devfn, 4 << 3);
	assert_int_equal(r.d[0].group_id, hsys->devs[IDX_IOAT0].dev_id);
	assert_int_equal(r.d[1].devfn, 4 << 3 | 1);
	assert_int_equal(r.d[1].group_id, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED);
	/* bound to another iommufd: still not owned by this one */
	f1 = h_bound(IDX_IOAT1, &fd1, NULL, NULL);
	OK(h_ioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r));
	assert_int_equal(r.d[1].group_id, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED);
	close_file(f1, fd1);
	close_file(f, fd);
}

/*
 * A closed function in a group whose other function is bound to this iommufd: OWNED (0) in
 * the info, the DEV_ID_OWNED flag kept, and the reset allowed, as the kernel's
 * vfio_iommufd_get_dev_id (-ENOENT) makes both. The default platform's 0003:00:01.0 and .1
 * (vfio4, vfio5) share group 4.
 */
static void test_hot_reset_group_owned(void **state)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[2];
	} r = { .h = { .argsz = sizeof(r) } };
	struct vfio_pci_hot_reset rs = { .argsz = sizeof(rs) };
	struct vfio_file *f;
	int fd;

	(void)state;
	f = h_bound(4, &fd, NULL, NULL);
	OK(h_ioctl(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r));
	assert_int_equal(r.h.count, 2);
	assert_int_equal(r.h.flags,
			 VFIO_PCI_HOT_RESET_FLAG_DEV_ID | VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	assert_int_equal(r.d[0].devfn, 1 << 3);
	assert_int_equal(r.d[0].group_id, hsys->devs[4].dev_id);
	assert_int_equal(r.d[1].devfn, 1 << 3 | 1);
	assert_int_equal(r.d[1].group_id, (uint32_t)VFIO_PCI_DEVID_OWNED);
	OK(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &rs));
	/* the group is this iommufd's: the other function binds to no other one (EPERM, the
	 * kernel's iommu_device_claim_dma_owner), to this one it does */
	{
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
		struct vfio_file *f5;
		int other = h_iommufd(NULL);

		OK(vfio_open_device(hsys, 5, &f5));
		b.iommufd = other;
		ERR(h_ioctl(f5, VFIO_DEVICE_BIND_IOMMUFD, &b), EPERM);
		b.iommufd = fd;
		OK(h_ioctl(f5, VFIO_DEVICE_BIND_IOMMUFD, &b));
		vfio_file_put(f5);
		h_iommufd_close(other);
	}
	close_file(f, fd);
}

/* VFIO_DEVICE_PCI_HOT_RESET from a cdev: every function on the bus must be this iommufd's */
static void test_hot_reset_cdev(void **state)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fd[1];
	} r = { .h = { .argsz = 11 } };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_file *f, *f1;
	int fd, fd2;

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	ERR(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.h.argsz = sizeof(r.h);
	r.h.flags = 1;
	ERR(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.h.flags = 0;
	r.h.count = 1; /* a cdev gives no group fds */
	r.h.argsz = sizeof(r);
	ERR(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.h.count = 0;
	/* the sibling function (another group) is nobody's: not allowed */
	ERR(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	/* bound to another iommufd: still not */
	f1 = h_bound(IDX_IOAT1, &fd2, NULL, NULL);
	ERR(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	close_file(f1, fd2);
	/* bound to the same one: both functions reset */
	OK(vfio_open_device(hsys, IDX_IOAT1, &f1));
	b.iommufd = fd;
	OK(h_ioctl(f1, VFIO_DEVICE_BIND_IOMMUFD, &b));
	h_cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	h_cfg_wr(f1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	h_bar_wr(f, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	h_bar_wr(f1, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	OK(h_ioctl(f, VFIO_DEVICE_PCI_HOT_RESET, &r));
	assert_int_equal(h_bar_rd(f, 0, CH(IOAT_CHAN_CTRL), 2), 0);
	assert_int_equal(h_bar_rd(f1, 0, CH(IOAT_CHAN_CTRL), 2), 0);
	assert_int_equal(h_cfg_rd(f1, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY, PCI_COMMAND_MEMORY);
	vfio_file_put(f1);
	close_file(f, fd);
}

static void test_feature(void **state)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} q = { .f = { .argsz = sizeof(q.f) } };
	struct vfio_file *f;
	int fd, efd = eventfd(0, 0);

	(void)state;
	f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	q.f.argsz = 7;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.argsz = sizeof(q.f);
	q.f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	OK(h_ioctl(f, VFIO_DEVICE_FEATURE, &q));
	q.f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		    VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_GET |
		    VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.flags = VFIO_DEVICE_FEATURE_LOW_POWER_EXIT; /* neither GET nor SET nor PROBE */
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.flags = VFIO_DEVICE_FEATURE_SET | (1u << 19);
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.flags =
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), ENOTTY);
	q.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	OK(h_ioctl(f, VFIO_DEVICE_FEATURE, &q));
	assert_true(hsys->devs[IDX_IOAT0].low_power);
	q.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	OK(h_ioctl(f, VFIO_DEVICE_FEATURE, &q));
	assert_false(hsys->devs[IDX_IOAT0].low_power);
	/* with wake-up: the eventfd's size is needed, and an eventfd */
	q.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EINVAL);
	q.f.argsz = sizeof(q);
	q.w.wakeup_eventfd = 900;
	ERR(h_ioctl(f, VFIO_DEVICE_FEATURE, &q), EBADF);
	q.w.wakeup_eventfd = efd;
	OK(h_ioctl(f, VFIO_DEVICE_FEATURE, &q));
	assert_true(hsys->devs[IDX_IOAT0].low_power);
	close_file(f, fd);
	close(efd);
}

/* ---- capability chains; threads ----------------------------------------------------------- */

/* Two capabilities: aligned, linked by offsets from the start of the caller's struct. */
static void test_caps_chain(void **state)
{
	struct {
		struct vfio_region_info ri;
		uint8_t chain[64];
	} q;
	struct vfio_info_cap_header *h;
	uint8_t body[12] = { 0 };
	struct vcaps c = { .size = 0 };
	uint32_t argsz = sizeof(q.ri) + 8, cap_offset = 7, flags = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	vcaps_add(&c, 3, 1, NULL, 0);
	body[8] = 0x42;
	vcaps_add(&c, 9, 2, body, sizeof(body));
	assert_int_equal(c.size, 8 + 12);
	/* too small: the size needed, no offset, nothing written */
	OK(vcaps_emit(&c, (unsigned long)&q, sizeof(q.ri), &argsz, &cap_offset, &flags, 8));
	assert_int_equal(argsz, sizeof(q.ri) + 20);
	assert_int_equal(cap_offset, 0);
	assert_int_equal(flags, 8);
	assert_int_equal(q.chain[0], 0);
	argsz = sizeof(q);
	OK(vcaps_emit(&c, (unsigned long)&q, sizeof(q.ri), &argsz, &cap_offset, &flags, 8));
	assert_int_equal(cap_offset, sizeof(q.ri));
	h = (void *)q.chain;
	assert_int_equal(h->id, 3);
	assert_int_equal(h->next, sizeof(q.ri) + 8);
	h = (void *)(q.chain + 8);
	assert_int_equal(h->id, 9);
	assert_int_equal(h->version, 2);
	assert_int_equal(h->next, 0);
	assert_int_equal(q.chain[16], 0x42);
}

struct race {
	struct vfio_file *f;
	int efd[2];
	unsigned long triggers; /* successful software triggers */
	bool stop;		/* atomic */
};

static void *race_trigger(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (!set_irqs(r->f, TRIG | NONE, MSIX, 0, 1, NULL, 0))
			r->triggers++;
		(void)h_cfg_rd(r->f, PCI_COMMAND, 2);
	}
	return NULL;
}

/*
 * One thread triggers MSI-X vector 0 while another moves it between two eventfds and turns
 * MSI-X off and on: every trigger that succeeded reached exactly one eventfd.
 */
static void test_irq_race(void **state)
{
	struct race r = { .stop = false };
	pthread_t t;
	int fd;

	(void)state;
	r.f = h_bound(IDX_IOAT0, &fd, NULL, NULL);
	r.efd[0] = eventfd(0, 0);
	r.efd[1] = eventfd(0, 0);
	assert_int_equal(pthread_create(&t, NULL, race_trigger, &r), 0);
	for (unsigned int i = 0; i < 2000; i++) {
		int32_t e = r.efd[i % 2];

		if (i && i % 7 == 0) /* disabling what is off is EINVAL */
			OK(set_irqs(r.f, TRIG | NONE, MSIX, 0, 0, NULL, 0));
		OK(set_irqs(r.f, TRIG | EVFD, MSIX, 0, 1, &e, 4));
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(r.triggers > 0);
	assert_int_equal(h_efd_count(r.efd[0]) + h_efd_count(r.efd[1]), r.triggers);
	close_file(r.f, fd);
	close(r.efd[0]);
	close(r.efd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unbound, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_attach_rules, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_attach_pasid, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_info, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_region_caps, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_config, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_bar, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_set_irqs_rules, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_msix_dup_kept, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_copy_irq_reset, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_hot_reset_info, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_hot_reset_cdev, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_hot_reset_group_owned, h_setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_feature, h_setup, h_teardown),
		cmocka_unit_test(test_caps_chain),
		cmocka_unit_test_setup_teardown(test_irq_race, h_setup, h_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
