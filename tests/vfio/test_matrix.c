// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_matrix.c - one sequence of VFIO calls, run in-process and with the devices in the
 * daemon, whose answers must be the same: the back ends differ in where the device runs,
 * never in what a program sees.
 *
 *   ioasid-run --inproc -- test_matrix > a;  ioasid-run -- test_matrix > b;  diff a b
 *   (tests/vfio/test_matrix.sh does it)
 *
 * Kernel ABI only. Every call prints one line: its name, its result and errno, and the
 * outputs that matter (sizes, flags, IDs, the bytes read back), so a difference of either
 * back end shows as a differing line. The calls the kernel's rules pin down are also
 * checked here against those rules (exit 1 on the first that is not what the kernel
 * gives): VFIO_DEVICE_PCI_HOT_RESET by group fds (drivers/vfio/pci/vfio_pci_core.c: the
 * count first, EINVAL beyond the affected functions; then each fd: EBADF not open, EINVAL
 * not a group; then every affected function's group covered, else EINVAL; a group fd read
 * from memory that is not there, EFAULT), with the device state left as it was by every
 * refused call, and GET_PCI_HOT_RESET_INFO of both paths. The rest (info, regions, IRQs,
 * config and BAR access, container and group calls with good and bad input) is compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define CFG	 ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define CHANCTRL 0x80

static int nfail;

/* one line of the transcript: the call, its result, errno when it failed */
static long show(const char *what, long rc)
{
	if (rc < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %ld\n", what, rc);
	fflush(stdout);
	return rc < 0 ? -errno : rc;
}

/* ... and checked against the kernel's answer (0, or -errno) */
static void expect(const char *what, long rc, long want)
{
	long got = show(what, rc);

	if (got != want && !(want >= 0 && got >= 0)) {
		printf("FAIL %s: %ld, the kernel's answer is %ld\n", what, got, want);
		nfail++;
	}
}

#define need(cond, what)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s: %s\n", what, strerrorname_np(errno)); \
			exit(1);                                               \
		}                                                              \
	} while (0)

static uint16_t ctl_rd(int dev)
{
	uint16_t v = 0xffff;

	need(pread(dev, &v, 2, CHANCTRL) == 2, "CHANCTRL read");
	return v;
}

static void ctl_wr(int dev, uint16_t v)
{
	need(pwrite(dev, &v, 2, CHANCTRL) == 2, "CHANCTRL write");
}

static void mem_on(int dev)
{
	uint16_t cmd = 0x6;

	need(pwrite(dev, &cmd, 2, CFG + 4) == 2, "memory decode on");
}

struct reset {
	struct vfio_pci_hot_reset h;
	int32_t fd[4];
};

/* a hot reset by group fds, checked, and the state it must leave */
static void hot_reset(int dev, const char *what, const int32_t *fds, uint32_t n, long want)
{
	struct reset r = { .h = { .argsz = sizeof(r), .count = n } };
	char label[64];

	memcpy(r.fd, fds, n * sizeof(*fds));
	ctl_wr(dev, 0x0001);
	snprintf(label, sizeof(label), "hot reset %s", what);
	expect(label, ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), want);
	snprintf(label, sizeof(label), "  CHANCTRL after it: %#x", ctl_rd(dev));
	expect(label, want ? ctl_rd(dev) == 0x0001 : ctl_rd(dev) == 0, 1);
}

static void info(int dev, const char *what)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[4];
	} r = { .h = { .argsz = sizeof(r) } };
	char line[160];
	long rc = show(what, ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r));

	if (rc)
		return;
	for (uint32_t i = 0; i < r.h.count && i < 4; i++) {
		snprintf(line, sizeof(line), "  %04x:%02x:%02x.%x id %#x flags %#x", r.d[i].segment,
			 r.d[i].bus, r.d[i].devfn >> 3, r.d[i].devfn & 7, r.d[i].group_id,
			 r.h.flags);
		show(line, 0);
	}
}

/* the legacy path: two groups in a type1 container, hot reset by group fds */
static void groups(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c = open("/dev/vfio/vfio", O_RDWR), g0 = open("/dev/vfio/0", O_RDWR);
	int g1 = open("/dev/vfio/1", O_RDWR), dev, dev1, p[2];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *two;

	need(c >= 0 && g0 >= 0 && g1 >= 0 && !pipe(p), "open");
	show("container api version", ioctl(c, VFIO_GET_API_VERSION));
	for (int e = 1; e <= 10; e++) {
		char l[48];

		snprintf(l, sizeof(l), "container check extension %d", e);
		show(l, ioctl(c, VFIO_CHECK_EXTENSION, e));
	}
	show("group status", ioctl(g0, VFIO_GROUP_GET_STATUS, &st));
	printf("  flags %#x\n", st.flags);
	expect("group get device fd, no container",
	       ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0"), -EINVAL);
	expect("set container pipe", ioctl(g0, VFIO_GROUP_SET_CONTAINER, &p[0]), -EBADFD);
	expect("set container 999", ioctl(g0, VFIO_GROUP_SET_CONTAINER, &(int){ 999 }), -EBADF);
	expect("set container", ioctl(g0, VFIO_GROUP_SET_CONTAINER, &c), 0);
	expect("set container again", ioctl(g0, VFIO_GROUP_SET_CONTAINER, &c), -EINVAL);
	expect("set container group 1", ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c), 0);
	show("set iommu type1v2", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	st.flags = 0;
	show("group status", ioctl(g0, VFIO_GROUP_GET_STATUS, &st));
	printf("  flags %#x\n", st.flags);
	expect("device of another group", ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1"),
	       -ENODEV);
	expect("device by a bad name", ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, "00:04.0"), -ENODEV);
	dev = (int)ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0");
	dev1 = (int)ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1");
	need(dev >= 0 && dev1 >= 0, "GET_DEVICE_FD");
	show("device fd close-on-exec", fcntl(dev, F_GETFD) & FD_CLOEXEC);
	mem_on(dev);
	info(dev, "hot reset info (group)");

	/* the kernel's order: flags, the count against the functions, each fd, coverage */
	{
		struct reset r = { .h = { .argsz = sizeof(r), .flags = 1, .count = 1 } };

		expect("hot reset flags 1", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), -EINVAL);
		r.h.flags = 0;
		r.h.count = 0;
		expect("hot reset no fds (group path)", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r),
		       -EINVAL);
		r.h.argsz = 8;
		expect("hot reset short argsz", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), -EINVAL);
	}
	hot_reset(dev, "3 fds, 2 functions", (int32_t[]){ g0, g1, g0 }, 3, -EINVAL);
	hot_reset(dev, "group 0 alone", (int32_t[]){ g0 }, 1, -EINVAL);
	hot_reset(dev, "fd 999", (int32_t[]){ g0, 999 }, 2, -EBADF);
	hot_reset(dev, "fd -1", (int32_t[]){ -1, g1 }, 2, -EBADF);
	hot_reset(dev, "a pipe", (int32_t[]){ g0, p[0] }, 2, -EINVAL);
	hot_reset(dev, "a device fd", (int32_t[]){ g0, dev1 }, 2, -EINVAL);
	hot_reset(dev, "the container", (int32_t[]){ c, g1 }, 2, -EINVAL);
	hot_reset(dev, "group 0 twice", (int32_t[]){ g0, g0 }, 2, -EINVAL);
	hot_reset(dev, "groups 0 and 1", (int32_t[]){ g0, g1 }, 2, 0);
	hot_reset(dev, "groups 1 and 0", (int32_t[]){ g1, g0 }, 2, 0);
	{
		int d0 = dup(g0);

		hot_reset(dev, "a dup of group 0", (int32_t[]){ d0, g1 }, 2, 0);
		close(d0);
	}
	/* the group fds read from memory that ends: EFAULT, nothing reset */
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	need(two != MAP_FAILED && !munmap(two + pg, pg), "mmap");
	{
		struct vfio_pci_hot_reset *h = (void *)(two + pg - sizeof(*h) - 4);

		*h = (struct vfio_pci_hot_reset){ .argsz = sizeof(*h) + 8, .count = 2 };
		h->group_fds[0] = g0;
		ctl_wr(dev, 0x0001);
		expect("hot reset fds past the mapping", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, h),
		       -EFAULT);
		expect("  CHANCTRL kept", ctl_rd(dev) == 0x0001, 1);
	}
	munmap(two, pg);
	close(dev1);
	close(dev);
	close(g1);
	close(g0);
	close(c);
	close(p[0]);
	close(p[1]);
}

/* the cdev path: a device of a two-function group bound, the other closed: owned */
static void cdev(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_pci_hot_reset r = { .argsz = sizeof(r) };
	int ifd = open("/dev/iommu", O_RDWR), d4 = open("/dev/vfio/devices/vfio4", O_RDWR);
	int d0 = open("/dev/vfio/devices/vfio0", O_RDWR);

	need(ifd >= 0 && d4 >= 0 && d0 >= 0 && !ioctl(ifd, IOMMU_IOAS_ALLOC, &a), "open");
	b.iommufd = ifd;
	expect("bind vfio4", ioctl(d4, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	printf("  devid %u\n", b.out_devid);
	info(d4, "hot reset info (cdev, group owned)");
	expect("hot reset cdev, group owned", ioctl(d4, VFIO_DEVICE_PCI_HOT_RESET, &r), 0);
	{
		/* the group is this iommufd's DMA owner: vfio5 binds to no other one */
		int other = open("/dev/iommu", O_RDWR),
		    d5 = open("/dev/vfio/devices/vfio5", O_RDWR);

		need(other >= 0 && d5 >= 0, "open");
		b.iommufd = other;
		expect("bind vfio5 to another iommufd", ioctl(d5, VFIO_DEVICE_BIND_IOMMUFD, &b),
		       -EPERM);
		b.iommufd = ifd;
		expect("bind vfio5 to the group's", ioctl(d5, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
		close(d5);
		close(other);
	}
	expect("bind vfio0", ioctl(d0, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	info(d0, "hot reset info (cdev, sibling not bound)");
	expect("hot reset cdev, sibling nobody's", ioctl(d0, VFIO_DEVICE_PCI_HOT_RESET, &r),
	       -EINVAL);
	r.count = 1;
	expect("hot reset cdev with a count", ioctl(d0, VFIO_DEVICE_PCI_HOT_RESET, &r), -EINVAL);
	close(d0);
	close(d4);
	close(ifd);
}

/* the device calls both back ends serve: their answers, compared */
static void device_calls(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int ifd = open("/dev/iommu", O_RDWR), dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	uint32_t v = 0;
	char l[80];

	need(ifd >= 0 && dev >= 0 && !ioctl(ifd, IOMMU_IOAS_ALLOC, &a), "open");
	expect("get info before bind", ioctl(dev, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	expect("pread before bind", pread(dev, &v, 4, CFG), -EINVAL);
	b.iommufd = ifd;
	b.flags = 1;
	expect("bind flags 1", ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0;
	b.iommufd = 999;
	expect("bind fd 999", ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBADF);
	b.iommufd = ifd;
	expect("bind", ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	at.pt_id = a.out_ioas_id;
	expect("attach", ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	di.argsz = 4;
	expect("get info argsz 4", ioctl(dev, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	di.argsz = sizeof(di);
	show("get info", ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	printf("  flags %#x regions %u irqs %u\n", di.flags, di.num_regions, di.num_irqs);
	for (uint32_t i = 0; i <= di.num_regions; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		snprintf(l, sizeof(l), "region info %u", i);
		if (!show(l, ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri)))
			printf("  flags %#x size %#llx offset %#llx argsz %u cap %u\n", ri.flags,
			       (unsigned long long)ri.size, (unsigned long long)ri.offset, ri.argsz,
			       ri.cap_offset);
	}
	for (uint32_t i = 0; i <= di.num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		snprintf(l, sizeof(l), "irq info %u", i);
		if (!show(l, ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii)))
			printf("  flags %#x count %u\n", ii.flags, ii.count);
	}
	for (off_t off = 0; off < 0x40; off += 4) {
		snprintf(l, sizeof(l), "config %#lx", (long)off);
		v = 0;
		if (show(l, pread(dev, &v, 4, CFG + off)) == 4)
			printf("  %#010x\n", v);
	}
	mem_on(dev);
	show("bar0 CBVER", pread(dev, &v, 1, 8));
	printf("  %#x\n", v & 0xff);
	show("bar0 past the end", pread(dev, &v, 4, 1 << 20));
	show("region 9", pread(dev, &v, 4, (off_t)9 << 40));
	show("read(2)", read(dev, &v, 4));
	show("mmap config",
	     mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, CFG) == MAP_FAILED ? -1 : 0);
	show("mmap bar0 unaligned",
	     mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, 100) == MAP_FAILED ? -1 : 0);
	{
		volatile uint8_t *bar = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, 0);

		show("mmap bar0", bar == MAP_FAILED ? -1 : 0);
		if (bar != MAP_FAILED) {
			printf("  CBVER %#x\n", bar[8]);
			munmap((void *)bar, 4096);
		}
	}
	{
		char buf[sizeof(struct vfio_irq_set) + 4];
		struct vfio_irq_set *s = (void *)buf;
		int efd = eventfd(0, EFD_CLOEXEC);
		uint64_t n = 0;

		*s = (struct vfio_irq_set){ .argsz = sizeof(buf),
					    .flags = VFIO_IRQ_SET_DATA_EVENTFD |
						     VFIO_IRQ_SET_ACTION_TRIGGER,
					    .index = VFIO_PCI_MSIX_IRQ_INDEX,
					    .count = 1 };
		memcpy(s->data, &(int){ 999 }, 4);
		expect("set irqs fd 999", ioctl(dev, VFIO_DEVICE_SET_IRQS, s), -EBADF);
		memcpy(s->data, &ifd, 4);
		expect("set irqs an iommufd", ioctl(dev, VFIO_DEVICE_SET_IRQS, s), -EINVAL);
		memcpy(s->data, &efd, 4);
		expect("set irqs eventfd", ioctl(dev, VFIO_DEVICE_SET_IRQS, s), 0);
		s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		s->argsz = sizeof(*s);
		expect("set irqs trigger", ioctl(dev, VFIO_DEVICE_SET_IRQS, s), 0);
		show("eventfd fired", read(efd, &n, 8) == 8 ? (long)n : -1);
		s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
		show("set irqs msix mask", ioctl(dev, VFIO_DEVICE_SET_IRQS, s));
		s->index = 9;
		show("set irqs index 9", ioctl(dev, VFIO_DEVICE_SET_IRQS, s));
		close(efd);
	}
	{
		struct vfio_device_feature f = { .argsz = sizeof(f),
						 .flags = VFIO_DEVICE_FEATURE_PROBE |
							  VFIO_DEVICE_FEATURE_SET |
							  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY };

		show("feature probe low power", ioctl(dev, VFIO_DEVICE_FEATURE, &f));
		f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_MIGRATION;
		show("feature probe migration", ioctl(dev, VFIO_DEVICE_FEATURE, &f));
	}
	expect("reset", ioctl(dev, VFIO_DEVICE_RESET), 0);
	show("unknown ioctl", ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 60)));
	expect("detach",
	       ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT,
		     &(struct vfio_device_detach_iommufd_pt){ .argsz = 8 }),
	       0);
	close(dev);
	close(ifd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	groups();
	cdev();
	device_calls();
	printf("%s\n", nfail ? "FAILED" : "done");
	return nfail ? 1 : 0;
}
