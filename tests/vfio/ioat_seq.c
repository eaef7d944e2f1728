// SPDX-License-Identifier: BSD-3-Clause
/*
 * ioat_seq.c - a second I/OAT driver through VFIO, following the order of operations of the
 * Linux ioat driver (drivers/dma/ioat: probe, reset, channel start with a null descriptor,
 * the DMA engine self test, batched copies on a descriptor ring that wraps, the interrupt
 * and its re-arm, and error recovery), not the example's simpler order. Kernel ABI only.
 *
 *   ioasid-run --inproc -- ioat_seq [cdev|type1|iommufd]
 *
 * Steps, each checked (exit 1 with the step's name on the first failure):
 *   probe      CBVER 3.3, CHANCNT, XFERCAP, DMACAPABILITY read in that order
 *   reset      CHANERR read and written back, CHANCMD reset, poll until it clears
 *   start      MSI-X vector 0, INTRCTRL master enable, CHANCTRL run, CHANCMP, a ring of 16
 *              descriptors, a null descriptor (interrupt and completion) through CHAINADDR
 *              and DMACOUNT, its interrupt, CHANSTS and the write-back idle at it
 *   selftest   a 2000-byte copy with an interrupt, checked, CHANCTRL re-armed
 *   batch      40 copies of 4 KiB in batches of 8 (interrupt and completion on the last of
 *              each), the ring wrapping, DMACOUNT counting on, every byte checked
 *   (with $IOAT_SEQ_LOOP set: batches of 8 copies of 32 KiB until killed, after "looping")
 *   recover    a copy whose source is not mapped: halted, CHANERR READ_DATA (what the driver
 *              reports to the client) cleared, channel reset and restarted with a null
 *              descriptor, then a good copy
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

#define CHANCNT	     0x00
#define XFERCAP	     0x01
#define INTRCTRL     0x03
#define CBVER	     0x08
#define DMACAP	     0x10
#define CHANCTRL     0x80
#define CHANCMD	     0x84
#define DMACOUNT     0x86
#define CHANSTS	     0x88
#define CHAINADDR    0x90
#define CHANCMP	     0x98
#define CHANERR	     0xa8
#define CHANCTRL_RUN 0x001d
#define STS_DONE     1
#define STS_HALTED   3
#define CTL_INT	     (1u << 0)
#define CTL_COMPL    (1u << 3)
#define CTL_NULL     (1u << 5)
#define ERR_READ     0x100
#define RING	     16u

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next, rsv[4];
};

static int dev, efd;
static const char *step = "setup";
static struct desc *ring;
static volatile uint64_t *cmpl;
static uint64_t ring_iova, cmpl_iova;
static unsigned int head;  /* descriptors issued since the chain began */
static unsigned int total; /* descriptors issued in all */

#define fail(...)                                                         \
	do {                                                              \
		fprintf(stderr, "ioat_seq: %s: ", step);                  \
		fprintf(stderr, __VA_ARGS__);                             \
		fprintf(stderr, " (%s)\n", errno ? strerror(errno) : ""); \
		exit(1);                                                  \
	} while (0)
#define need(c, ...)                       \
	do {                               \
		if (!(c))                  \
			fail(__VA_ARGS__); \
	} while (0)

static uint64_t rd(unsigned int reg, unsigned int n)
{
	uint64_t v = 0;

	need(pread(dev, &v, n, reg) == (ssize_t)n, "read 0x%x", reg);
	return v;
}

static void wr(unsigned int reg, unsigned int n, uint64_t v)
{
	need(pwrite(dev, &v, n, reg) == (ssize_t)n, "write 0x%x", reg);
}

static void wait_irq(void)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n;

	need(poll(&p, 1, 5000) == 1, "no interrupt");
	need(read(efd, &n, 8) == 8, "eventfd");
}

static char *find_bdf(void)
{
	static char bdf[256];
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	need(d, "sysfs");
	while ((e = readdir(d))) {
		char path[512], id[16] = { 0 };
		int fd;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (read(fd, id, sizeof(id) - 1) > 0 && !strncmp(id, "0x2021", 6))
			snprintf(bdf, sizeof(bdf), "%s", e->d_name);
		close(fd);
	}
	closedir(d);
	need(bdf[0], "no 8086:2021");
	return bdf;
}

/* the device fd and a way to map: the iommufd (cdev, iommufd) or the container (type1) */
static int open_device(const char *mode, const char *bdf, uint32_t *ioas)
{
	char path[600], link[512];
	ssize_t n;
	int fd, g;

	if (!strcmp(mode, "cdev")) {
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
		d = opendir(path);
		need(d, "%s", path);
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "vfio", 4))
				snprintf(link, sizeof(link), "/dev/vfio/devices/%s", e->d_name);
		closedir(d);
		dev = open(link, O_RDWR);
		fd = open("/dev/iommu", O_RDWR);
		need(dev >= 0 && fd >= 0, "open");
		b.iommufd = fd;
		need(!ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), "bind");
		need(!ioctl(fd, IOMMU_IOAS_ALLOC, &a), "ioas");
		at.pt_id = a.out_ioas_id;
		need(!ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), "attach");
		*ioas = a.out_ioas_id;
		return fd;
	}
	fd = open(!strcmp(mode, "type1") ? "/dev/vfio/vfio" : "/dev/iommu", O_RDWR);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	need(fd >= 0 && n > 0, "container, group link");
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	g = open(path, O_RDWR);
	need(g >= 0, "%s", path);
	need(!ioctl(g, VFIO_GROUP_SET_CONTAINER, &fd), "set container");
	need(!ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "set iommu");
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf);
	need(dev >= 0, "get device fd");
	*ioas = 0;
	return fd;
}

static void map(int fd, uint32_t ioas, void *va, uint64_t iova, uint64_t len)
{
	if (ioas) {
		struct iommu_ioas_map m = { .size = sizeof(m),
					    .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
						     IOMMU_IOAS_MAP_READABLE |
						     IOMMU_IOAS_MAP_WRITEABLE,
					    .ioas_id = ioas,
					    .user_va = (uintptr_t)va,
					    .length = len,
					    .iova = iova };

		need(!ioctl(fd, IOMMU_IOAS_MAP, &m), "map");
	} else {
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
						      .flags = VFIO_DMA_MAP_FLAG_READ |
							       VFIO_DMA_MAP_FLAG_WRITE,
						      .vaddr = (uintptr_t)va,
						      .iova = iova,
						      .size = len };

		need(!ioctl(fd, VFIO_IOMMU_MAP_DMA, &m), "map dma");
	}
}

/* ioat_reset_hw */
static void reset_hw(void)
{
	wr(CHANERR, 4, rd(CHANERR, 4));
	wr(CHANCMD, 1, 0x20);
	for (int i = 0; i < 200 && (rd(CHANCMD, 1) & 0x20); i++)
		usleep(100);
	need(!(rd(CHANCMD, 1) & 0x20), "reset pending");
	head = 0;
}

/* append a descriptor at the ring's head; returns its IOVA */
static uint64_t push(uint32_t size, uint32_t ctl, uint64_t src, uint64_t dst)
{
	unsigned int i = head % RING;

	ring[i] = (struct desc){ .size = size,
				 .ctl = ctl,
				 .src = src,
				 .dst = dst,
				 .next = ring_iova + ((i + 1) % RING) * 64 };
	head++;
	total++;
	return ring_iova + i * 64;
}

/* ioat_start_null_desc: the channel restarts at the head, on a null descriptor */
static void start_null_desc(void)
{
	uint64_t at;

	wr(CHANCTRL, 2, CHANCTRL_RUN);
	wr(CHANCMP, 8, cmpl_iova);
	at = push(1, CTL_NULL | CTL_INT | CTL_COMPL, 0, 0);
	wr(CHAINADDR, 8, at);
	wr(DMACOUNT, 2, head & 0xffff);
	wait_irq();
	need((*cmpl & ~UINT64_C(0x3f)) == at && (*cmpl & 7) == STS_DONE,
	     "null descriptor completion 0x%llx", (unsigned long long)*cmpl);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "cdev";
	struct {
		struct vfio_irq_set s;
		int32_t fd;
	} irq = { .s = { .argsz = sizeof(irq),
			 .index = VFIO_PCI_MSIX_IRQ_INDEX,
			 .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };
	uint32_t ioas;
	uint16_t cmd = 6;
	uint8_t *mem, *src, *dst;
	uint64_t base = 0x10000000, last;
	int fd = open_device(mode, find_bdf(), &ioas);

	/* config space: memory and bus master, as pci_enable_device + pci_set_master */
	need(pwrite(dev, &cmd, 2, (off_t)((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + 4) == 2,
	     "command");
	step = "probe";
	need(rd(CBVER, 1) == 0x33, "CBVER 0x%llx", (unsigned long long)rd(CBVER, 1));
	need((rd(CHANCNT, 1) & 0x1f) == 1, "CHANCNT");
	need(rd(XFERCAP, 1) >= 12, "XFERCAP");
	(void)rd(DMACAP, 4);
	step = "reset";
	reset_hw();

	step = "start";
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	need(mem != MAP_FAILED, "mmap");
	ring = (struct desc *)(void *)mem;
	cmpl = (volatile uint64_t *)(void *)(mem + 4096);
	src = mem + 8192;
	dst = src + 256 * 1024;
	ring_iova = base;
	cmpl_iova = base + 4096;
	map(fd, ioas, mem, base, 1 << 20);
	irq.fd = efd = eventfd(0, EFD_CLOEXEC);
	need(!ioctl(dev, VFIO_DEVICE_SET_IRQS, &irq), "SET_IRQS");
	wr(INTRCTRL, 1, 1);
	start_null_desc();

	step = "selftest"; /* ioat_dma_self_test: 2000 bytes, an interrupt */
	for (unsigned int i = 0; i < 2000; i++)
		src[i] = (uint8_t)i;
	memset(dst, 0, 2000);
	wr(CHANCTRL, 2, CHANCTRL_RUN); /* re-arm, as the cleanup does */
	last = push(2000, CTL_INT | CTL_COMPL, base + 8192, base + 8192 + 256 * 1024);
	wr(DMACOUNT, 2, head & 0xffff);
	wait_irq();
	need((*cmpl & ~UINT64_C(0x3f)) == last, "completion");
	need(!memcmp(src, dst, 2000), "self-test data");

	step = "batch"; /* 40 copies of 4 KiB, 8 per doorbell, wrapping the 16-entry ring */
	for (unsigned int i = 0; i < 40 * 4096; i++)
		src[i % (64 * 4096)] = (uint8_t)(i * 31 + 7);
	memset(dst, 0, 64 * 4096);
	for (unsigned int b = 0; b < 5; b++) {
		for (unsigned int k = 0; k < 8; k++) {
			unsigned int n = b * 8 + k;
			uint32_t ctl = k == 7 ? CTL_INT | CTL_COMPL : 0;

			last = push(4096, ctl, base + 8192 + (uint64_t)n * 4096,
				    base + 8192 + 256 * 1024 + (uint64_t)n * 4096);
		}
		wr(CHANCTRL, 2, CHANCTRL_RUN);
		wr(DMACOUNT, 2, head & 0xffff);
		wait_irq();
		need((*cmpl & ~UINT64_C(0x3f)) == last, "batch %u completion", b);
	}
	need(!memcmp(src, dst, 40 * 4096), "batch data");
	need((rd(CHANSTS, 8) & 7) == STS_DONE, "idle after the batches");
	if (getenv("IOAT_SEQ_LOOP")) {
		/* tests/vfio/test_devkill.c: copy until killed, the device busy in DMA */
		printf("looping\n");
		fflush(stdout);
		for (unsigned int n = 0;; n++) {
			for (unsigned int k = 0; k < 8; k++)
				last = push(32768, k == 7 ? CTL_INT | CTL_COMPL : 0,
					    base + 8192 + (uint64_t)k * 32768,
					    base + 8192 + 256 * 1024 + (uint64_t)k * 32768);
			wr(CHANCTRL, 2, CHANCTRL_RUN);
			wr(DMACOUNT, 2, head & 0xffff);
			wait_irq();
			need((*cmpl & ~UINT64_C(0x3f)) == last, "loop %u completion", n);
		}
	}

	step = "recover"; /* a source nothing maps: READ_DATA, reported; reset; restart */
	wr(CHANCTRL, 2, CHANCTRL_RUN);
	push(4096, CTL_INT | CTL_COMPL, base + (64u << 20), base + 8192 + 256 * 1024);
	wr(DMACOUNT, 2, head & 0xffff);
	wait_irq();
	need((rd(CHANSTS, 8) & 7) == STS_HALTED, "not halted");
	need(rd(CHANERR, 4) & ERR_READ, "CHANERR 0x%llx", (unsigned long long)rd(CHANERR, 4));
	printf("ioat_seq (%s): a copy from an unmapped source failed with CHANERR 0x%llx\n", mode,
	       (unsigned long long)rd(CHANERR, 4));
	reset_hw();
	need(!rd(CHANERR, 4), "CHANERR after reset");
	start_null_desc();
	memset(dst, 0, 4096);
	wr(CHANCTRL, 2, CHANCTRL_RUN);
	last = push(4096, CTL_INT | CTL_COMPL, base + 8192, base + 8192 + 256 * 1024);
	wr(DMACOUNT, 2, head & 0xffff);
	wait_irq();
	need((*cmpl & ~UINT64_C(0x3f)) == last && !memcmp(src, dst, 4096), "copy after recovery");
	printf("ioat_seq (%s): probe, reset, start, self test, %u descriptors, recovery: ok\n",
	       mode, total);
	close(dev);
	close(fd);
	return 0;
}
