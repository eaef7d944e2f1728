// SPDX-License-Identifier: BSD-3-Clause
/*
 * ioat_vfio.c - a small userspace driver for an Intel I/OAT DMA channel, through VFIO.
 *
 * It knows only the kernel ABI (<linux/vfio.h>, <linux/iommufd.h>) and sysfs: no libioasid.
 * Run it on a machine with an I/OAT device bound to vfio-pci, or under ioasid-run --inproc,
 * which shows ioasid's emulated one (8086:2021) in the same places.
 *
 *   ioat_vfio [cdev|type1|iommufd]
 *     cdev     (default) /dev/vfio/devices/vfioN, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC,
 *              VFIO_DEVICE_ATTACH_IOMMUFD_PT, IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP
 *     type1    the legacy path: /dev/vfio/<group> in a /dev/vfio/vfio container, VFIO type1v2
 *     iommufd  the legacy group path with /dev/iommu as its container
 *
 * Then the same driver: config space (memory and bus master on), BAR 0 mapped where the
 * region offers mmap (loads and stores; IOAT_VFIO_NO_MMAP=1 or no MMAP flag: pread/pwrite
 * at the region's offset), the channel's identity in BAR 0, MSI-X vector 0 to an eventfd, reset the
 * channel, one 64 KiB copy through a descriptor with completion write-back and an interrupt,
 * checked byte for byte; then a copy to an IOVA that is not mapped, which the channel reports
 * (halted, CHANERR) without any harm to the program; a software trigger of the interrupt;
 * VFIO_DEVICE_RESET. Registers: docs/devices.md, "The I/OAT channel".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/* BAR 0 */
#define CHANCNT	   0x00
#define XFERCAP	   0x01
#define INTRCTRL   0x03
#define CBVER	   0x08
#define CH_CTRL	   0x80
#define CH_CMD	   0x84
#define CH_COUNT   0x86
#define CH_STS	   0x88
#define CH_CHAIN   0x90
#define CH_CMP	   0x98
#define CH_ERR	   0xa8
#define CMD_RESET  0x20
#define CTRL_RUN   0x001d /* INT_REARM | ERR_COMPLETION_EN | ANY_ERR_ABORT_EN | ERR_INT_EN */
#define STS_MASK   0x7
#define STS_DONE   0x1
#define STS_HALTED 0x3
#define DESC_INT   (1u << 0)
#define DESC_COMPL (1u << 3)

#define COPY_SIZE (64u << 10)

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next, rsv[4];
};

static int dev_fd;
static uint64_t bar0, cfg;
static volatile uint8_t *regs; /* BAR 0 mapped, when the region offers mmap */
static size_t bar0_size;

#define die(...)                                            \
	do {                                                \
		fprintf(stderr, "ioat_vfio: " __VA_ARGS__); \
		fprintf(stderr, "\n");                      \
		exit(1);                                    \
	} while (0)
#define check(cond, ...)                  \
	do {                              \
		if (!(cond))              \
			die(__VA_ARGS__); \
	} while (0)

static uint64_t rd(unsigned int reg, unsigned int size)
{
	uint64_t v = 0;

	if (regs) {
		switch (size) {
		case 1:
			return *(volatile uint8_t *)(regs + reg);
		case 2:
			return *(volatile uint16_t *)(regs + reg);
		case 4:
			return *(volatile uint32_t *)(regs + reg);
		default:
			return *(volatile uint64_t *)(regs + reg);
		}
	}
	check(pread(dev_fd, &v, size, (off_t)(bar0 + reg)) == (ssize_t)size, "read 0x%x: %s", reg,
	      strerror(errno));
	return v;
}

static void wr(unsigned int reg, unsigned int size, uint64_t v)
{
	if (regs) {
		switch (size) {
		case 1:
			*(volatile uint8_t *)(regs + reg) = (uint8_t)v;
			return;
		case 2:
			*(volatile uint16_t *)(regs + reg) = (uint16_t)v;
			return;
		case 4:
			*(volatile uint32_t *)(regs + reg) = (uint32_t)v;
			return;
		default:
			*(volatile uint64_t *)(regs + reg) = v;
			return;
		}
	}
	check(pwrite(dev_fd, &v, size, (off_t)(bar0 + reg)) == (ssize_t)size, "write 0x%x: %s", reg,
	      strerror(errno));
}

static int read_hex(const char *dir, const char *name, unsigned int *out)
{
	char path[600], text[32] = { 0 };
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	*out = (unsigned int)strtoul(text, NULL, 16);
	return 0;
}

/* The first 8086:2021 in sysfs: its BDF. */
static void find_ioat(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	check(d, "no /sys/bus/pci/devices: %s", strerror(errno));
	while ((e = readdir(d))) {
		char dir[300];
		unsigned int ven, dev;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", e->d_name);
		if (!read_hex(dir, "vendor", &ven) && !read_hex(dir, "device", &dev) &&
		    ven == 0x8086 && dev == 0x2021) {
			snprintf(bdf, len, "%s", e->d_name);
			closedir(d);
			return;
		}
	}
	die("no I/OAT device (8086:2021) in /sys/bus/pci/devices");
}

static int open_cdev(const char *bdf)
{
	char dir[512], path[600];
	struct dirent *e;
	DIR *d;
	int fd = -1;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	check(d, "%s: %s (is it bound to vfio-pci?)", dir, strerror(errno));
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s", e->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			check(fd >= 0, "%s: %s", path, strerror(errno));
			printf("  device %s is %s\n", bdf, path);
			break;
		}
	closedir(d);
	check(fd >= 0, "no vfio-dev entry for %s", bdf);
	return fd;
}

/* cdev path: returns the iommufd; *ioas the IOAS the device is attached to */
static int setup_cdev(const char *bdf, uint32_t *ioas)
{
	int iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .flags = 0 };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };

	check(iommufd >= 0, "/dev/iommu: %s", strerror(errno));
	dev_fd = open_cdev(bdf);
	bind.iommufd = iommufd;
	check(!ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind), "BIND_IOMMUFD: %s", strerror(errno));
	check(!ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc), "IOAS_ALLOC: %s", strerror(errno));
	attach.pt_id = alloc.out_ioas_id;
	check(!ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach), "ATTACH_IOMMUFD_PT: %s",
	      strerror(errno));
	printf("  bound as device %u, IOAS %u, attached through HWPT %u\n", bind.out_devid,
	       alloc.out_ioas_id, attach.pt_id);
	*ioas = alloc.out_ioas_id;
	return iommufd;
}

/* legacy path: the container fd (an iommufd in iommufd mode) */
static int setup_group(const char *bdf, const char *container_path, uint32_t *ioas)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char link[512], target[512], path[600];
	const char *group;
	ssize_t n;
	int container = open(container_path, O_RDWR | O_CLOEXEC), gfd;

	check(container >= 0, "%s: %s", container_path, strerror(errno));
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	check(n > 0, "%s: %s", link, strerror(errno));
	target[n] = 0;
	group = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	check(gfd >= 0, "%s: %s", path, strerror(errno));
	check(ioctl(container, VFIO_GET_API_VERSION) == VFIO_API_VERSION, "API version");
	check(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1, "no type1v2");
	check(!ioctl(gfd, VFIO_GROUP_GET_STATUS, &st), "GROUP_GET_STATUS: %s", strerror(errno));
	check(st.flags & VFIO_GROUP_FLAGS_VIABLE, "group %s not viable", group);
	check(!ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container), "SET_CONTAINER: %s",
	      strerror(errno));
	check(!ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "SET_IOMMU: %s",
	      strerror(errno));
	dev_fd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	check(dev_fd >= 0, "GET_DEVICE_FD: %s", strerror(errno));
	printf("  device %s through group %s in container %s\n", bdf, path, container_path);
	*ioas = 0;
	if (!strcmp(container_path, "/dev/iommu")) {
		struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };

		check(!ioctl(container, IOMMU_VFIO_IOAS, &v), "VFIO_IOAS: %s", strerror(errno));
		*ioas = v.ioas_id;
		printf("  the container's compatibility IOAS is %u\n", v.ioas_id);
	}
	return container;
}

/* map len bytes at va to iova, by the path's own call */
static void map(int fd, uint32_t ioas, void *va, uint64_t iova, uint64_t len)
{
	if (ioas) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.user_va = (uintptr_t)va,
			.length = len,
			.iova = iova,
		};

		check(!ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP: %s", strerror(errno));
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)va,
			.iova = iova,
			.size = len,
		};

		check(!ioctl(fd, VFIO_IOMMU_MAP_DMA, &m), "MAP_DMA: %s", strerror(errno));
	}
}

/* an IOVA base where [base, base + 4 MiB) is usable */
static uint64_t pick_iova(int fd, uint32_t ioas)
{
	struct {
		struct iommu_ioas_iova_ranges hdr;
		struct iommu_iova_range r[16];
	} q = { .hdr = { .size = sizeof(q.hdr), .ioas_id = ioas, .num_iovas = 16 } };

	if (!ioas)
		return 0x100000; /* type1: below the MSI window, inside every format here */
	q.hdr.allowed_iovas = (uintptr_t)q.r;
	check(!ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), "IOVA_RANGES: %s", strerror(errno));
	for (unsigned int i = 0; i < q.hdr.num_iovas && i < 16; i++) {
		uint64_t base = (q.r[i].start + 0xfffff) & ~UINT64_C(0xfffff);

		if (!base)
			base = 0x100000;
		if (base > q.r[i].start && base - 1 + (4u << 20) <= q.r[i].last) {
			printf("  IOVA range %u: 0x%llx..0x%llx, using 0x%llx\n", i,
			       (unsigned long long)q.r[i].start, (unsigned long long)q.r[i].last,
			       (unsigned long long)base);
			return base;
		}
	}
	die("no usable IOVA range");
}

static void channel_reset(void)
{
	wr(CH_CMD, 1, CMD_RESET);
	for (int i = 0; i < 1000 && (rd(CH_CMD, 1) & CMD_RESET); i++)
		usleep(100);
	check(!(rd(CH_CMD, 1) & CMD_RESET), "channel reset did not complete");
	wr(CH_ERR, 4, rd(CH_ERR, 4));
	wr(INTRCTRL, 1, 1); /* master interrupt enable */
	wr(CH_CTRL, 2, CTRL_RUN);
}

static uint64_t wait_irq(int efd, const char *what)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n = 0;

	check(poll(&p, 1, 5000) == 1, "no interrupt for %s", what);
	check(read(efd, &n, 8) == 8, "eventfd read: %s", strerror(errno));
	return n;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "cdev";
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq = { .s = { .argsz = sizeof(irq),
			 .index = VFIO_PCI_MSIX_IRQ_INDEX,
			 .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	struct vfio_irq_set trig = { .argsz = sizeof(trig),
				     .index = VFIO_PCI_MSIX_IRQ_INDEX,
				     .count = 1,
				     .flags =
					     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER };
	char bdf[256];
	uint32_t ioas = 0;
	uint16_t ids[2], cmd;
	uint64_t iova, sts;
	struct desc *d;
	uint8_t *src, *dst;
	volatile uint64_t *cmp;
	int fd, efd;

	printf("ioat_vfio (%s):\n", mode);
	find_ioat(bdf, sizeof(bdf));
	if (!strcmp(mode, "cdev"))
		fd = setup_cdev(bdf, &ioas);
	else if (!strcmp(mode, "type1"))
		fd = setup_group(bdf, "/dev/vfio/vfio", &ioas);
	else if (!strcmp(mode, "iommufd"))
		fd = setup_group(bdf, "/dev/iommu", &ioas);
	else
		die("mode is cdev, type1 or iommufd");

	check(!ioctl(dev_fd, VFIO_DEVICE_GET_INFO, &info), "GET_INFO: %s", strerror(errno));
	check(info.flags & VFIO_DEVICE_FLAGS_PCI, "not a PCI device");
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	check(!ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri), "config info: %s", strerror(errno));
	cfg = ri.offset;
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	check(!ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri), "BAR0 info: %s", strerror(errno));
	bar0 = ri.offset;
	/* registers through a mapping of the BAR where the region offers one (no call per
	 * access: a doorbell is a store), else through pread/pwrite at the region's offset */
	if (ri.flags & VFIO_REGION_INFO_FLAG_MMAP && !getenv("IOAT_VFIO_NO_MMAP")) {
		void *p = mmap(NULL, (size_t)ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd,
			       (off_t)ri.offset);

		check(p != MAP_FAILED, "mmap of BAR0: %s", strerror(errno));
		regs = p;
	}
	bar0_size = (size_t)ri.size;
	check(!ioctl(dev_fd, VFIO_DEVICE_GET_IRQ_INFO, &ii), "IRQ info: %s", strerror(errno));
	printf("  %u regions, %u IRQ indexes, BAR0 %llu KiB (%s), %u MSI-X vectors\n",
	       info.num_regions, info.num_irqs, (unsigned long long)ri.size >> 10,
	       regs ? "mapped" : "pread/pwrite", ii.count);

	/* config space: identity, then memory decode and bus mastering on */
	check(pread(dev_fd, ids, 4, (off_t)cfg) == 4, "config read: %s", strerror(errno));
	check(pread(dev_fd, &cmd, 2, (off_t)cfg + 4) == 2, "config read: %s", strerror(errno));
	cmd |= 0x6;
	check(pwrite(dev_fd, &cmd, 2, (off_t)cfg + 4) == 2, "config write: %s", strerror(errno));
	printf("  config %04x:%04x, CBVER 0x%02llx, %llu channel(s), XFERCAP 2^%llu\n", ids[0],
	       ids[1], (unsigned long long)rd(CBVER, 1), (unsigned long long)rd(CHANCNT, 1),
	       (unsigned long long)rd(XFERCAP, 1));
	check(rd(CBVER, 1) == 0x33, "not I/OAT 3.3");

	efd = eventfd(0, EFD_CLOEXEC);
	irq.fd = efd;
	check(!ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, &irq), "SET_IRQS: %s", strerror(errno));
	channel_reset();

	/* memory: a descriptor page, the completion word, source, destination */
	d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, 2 * COPY_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(d != MAP_FAILED && src != MAP_FAILED, "mmap");
	dst = src + COPY_SIZE;
	cmp = (volatile uint64_t *)((uint8_t *)d + 2048);
	for (unsigned int i = 0; i < COPY_SIZE; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, COPY_SIZE);
	iova = pick_iova(fd, ioas);
	map(fd, ioas, d, iova, 4096);
	map(fd, ioas, src, iova + 0x100000, 2 * COPY_SIZE);

	/* one copy: descriptor, completion address, chain address, doorbell */
	d[0] = (struct desc){ .size = COPY_SIZE,
			      .ctl = DESC_INT | DESC_COMPL,
			      .src = iova + 0x100000,
			      .dst = iova + 0x100000 + COPY_SIZE };
	wr(CH_CMP, 8, iova + 2048);
	wr(CH_CHAIN, 8, iova);
	wr(CH_COUNT, 2, 1);
	printf("  copy: %llu interrupt(s) on MSI-X vector 0\n",
	       (unsigned long long)wait_irq(efd, "the copy"));
	sts = rd(CH_STS, 8);
	check((sts & STS_MASK) == STS_DONE, "CHANSTS 0x%llx, CHANERR 0x%llx",
	      (unsigned long long)sts, (unsigned long long)rd(CH_ERR, 4));
	check(*cmp == sts, "completion write-back 0x%llx, CHANSTS 0x%llx", (unsigned long long)*cmp,
	      (unsigned long long)sts);
	check(!memcmp(src, dst, COPY_SIZE), "the copy differs");
	printf("  copied %u bytes, every byte checked; completion 0x%llx\n", COPY_SIZE,
	       (unsigned long long)*cmp);

	/* a copy to an IOVA nothing maps: the channel halts and says why */
	channel_reset();
	d[1] = (struct desc){ .size = 4096,
			      .ctl = DESC_INT | DESC_COMPL,
			      .src = iova + 0x100000,
			      .dst = iova + 0x300000 };
	wr(CH_CHAIN, 8, iova + 64);
	wr(CH_COUNT, 2, 1);
	wait_irq(efd, "the error");
	/* the engine runs beside the program (a doorbell store only starts it): as a driver
	 * does, give the channel up to 2 s to reach its final state */
	sts = rd(CH_STS, 8);
	for (int i = 0; i < 20000 && (sts & STS_MASK) != STS_HALTED; i++) {
		usleep(100);
		sts = rd(CH_STS, 8);
	}
	check((sts & STS_MASK) == STS_HALTED, "CHANSTS 0x%llx after a bad copy",
	      (unsigned long long)sts);
	check(rd(CH_ERR, 4) & 0x2, "CHANERR 0x%llx lacks DEST_ADDR",
	      (unsigned long long)rd(CH_ERR, 4));
	printf("  copy to unmapped IOVA 0x%llx: channel halted, CHANERR 0x%llx (reported by "
	       "the device, the program is fine)\n",
	       (unsigned long long)(iova + 0x300000), (unsigned long long)rd(CH_ERR, 4));
	channel_reset();
	check((rd(CH_STS, 8) & STS_MASK) != STS_HALTED, "the channel stays halted after reset");

	/* the interrupt by software, then a device reset */
	check(!ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, &trig), "trigger: %s", strerror(errno));
	wait_irq(efd, "the software trigger");
	check(!ioctl(dev_fd, VFIO_DEVICE_RESET), "RESET: %s", strerror(errno));
	check(pread(dev_fd, &cmd, 2, (off_t)cfg + 4) == 2 && (cmd & 0x6) == 0x6,
	      "the command register was not restored by the reset");
	printf("  software trigger received; VFIO_DEVICE_RESET done, command 0x%04x kept\n", cmd);
	if (regs)
		check(!munmap((void *)regs, bar0_size), "munmap of BAR0: %s", strerror(errno));
	close(dev_fd);
	close(efd);
	close(fd);
	printf("ioat_vfio (%s): ok\n", mode);
	return 0;
}
