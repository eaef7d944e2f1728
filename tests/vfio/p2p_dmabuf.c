// SPDX-License-Identifier: BSD-3-Clause
/*
 * p2p_dmabuf.c - peer-to-peer DMA as a program written for the kernel does it, with only
 * <linux/vfio.h> and <linux/iommufd.h>: the NVMe's controller memory buffer (BAR 2, RAM)
 * exported with VFIO_DEVICE_FEATURE_DMA_BUF, mapped into the I/OAT's IOAS with
 * IOMMU_IOAS_MAP_FILE, and the I/OAT engine copying host memory into it by IOVA; the bytes
 * read back through the NVMe's BAR mapping and pread. Then the revokes as a driver meets
 * them: memory decode off (the engine's write faults, the channel halts, MAP_FILE is
 * ENODEV), on again (a new map works, the old IOVA stays dead, unmap still works), a forged
 * dma-buf (a pipe: EINVAL), and the NVMe's close while mapped (the copy faults, MAP_FILE
 * is ENODEV, unmap works). Run under ioasid-run --inproc and with the devices in a daemon.
 * Exit 0 when everything held; a message and 1 at the first thing that did not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define CHANCTRL     0x80
#define CHANCMD	     0x84
#define DMACOUNT     0x86
#define CHAINADDR    0x90
#define CHANCMP	     0x98
#define CHANERR	     0xa8
#define CHANCTRL_RUN 0x001d
#define STS_DONE     1
#define STS_HALTED   3
#define CTL_COMPL    (1u << 3)
#define PG	     4096u
#define CMB_SIZE     (1u << 20)
#define REGION(i)    ((uint64_t)(i) << 40)

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next, rsv[4];
};

static const char *step = "setup";
static int ioat, nvme, iommufd;
static uint32_t ioas;
static struct desc *ring;
static volatile uint64_t *cmpl;
static unsigned int head;

#define RING_IOVA 0x100000ull
#define CMPL_IOVA 0x200000ull
#define SRC_IOVA  0x300000ull

static void fail(const char *what)
{
	fprintf(stderr, "p2p_dmabuf: %s: %s (errno %d %s)\n", step, what, errno, strerror(errno));
	exit(1);
}

#define need(c, what)               \
	do {                        \
		if (!(c))           \
			fail(what); \
	} while (0)
#define need_err(call, e)                                    \
	do {                                                 \
		errno = 0;                                   \
		if ((call) != -1 || errno != (e))            \
			fail(#call " should fail with " #e); \
	} while (0)

static int open_cdev(const char *bdf)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	char path[512], dev[600] = "";
	struct dirent *e;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	need(d, path);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(dev, sizeof(dev), "/dev/vfio/devices/%s", e->d_name);
	closedir(d);
	fd = open(dev, O_RDWR);
	need(fd >= 0, dev);
	need(!ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b), "bind");
	return fd;
}

static void wr(int fd, uint64_t off, unsigned int n, uint64_t v)
{
	need(pwrite(fd, &v, n, (off_t)off) == (ssize_t)n, "pwrite");
}

static uint64_t rd(int fd, uint64_t off, unsigned int n)
{
	uint64_t v = 0;

	need(pread(fd, &v, n, (off_t)off) == (ssize_t)n, "pread");
	return v;
}

static void map_va(void *va, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .ioas_id = ioas,
				    .user_va = (uintptr_t)va,
				    .length = len,
				    .iova = iova };

	need(!ioctl(iommufd, IOMMU_IOAS_MAP, &m), "map");
}

static int map_file(int fd, uint64_t start, uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map_file m = { .size = sizeof(m),
					 .flags =
						 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
					 .ioas_id = ioas,
					 .fd = fd,
					 .start = start,
					 .length = len };
	int rc = ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &m);

	if (!rc)
		*iova = m.iova;
	return rc;
}

static int unmap(uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &u) || u.length != len ? -1 : 0;
}

static int export(int dev, uint32_t region, uint64_t off, uint64_t len, uint32_t flags)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf d;
		struct vfio_region_dma_range r;
	} a = { .f = { .argsz = sizeof(a), .flags = flags },
		.d = { .region_index = region, .open_flags = O_CLOEXEC | O_RDWR, .nr_ranges = 1 },
		.r = { off, len } };

	return ioctl(dev, VFIO_DEVICE_FEATURE, &a);
}

/*
 * Compare through the BAR mapping one aligned 8-byte load at a time: where a window's loads
 * trap (a daemon built with ThreadSanitizer, IOASID_MMIO_TRAP_READS=1) only plain moves are
 * emulated, never the vector loads memcmp makes.
 */
static int bar_cmp(const uint8_t *bar, const uint8_t *mem, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = *(const volatile uint64_t *)(bar + i), w;

		memcpy(&w, mem + i, 8);
		if (v != w)
			return 1;
	}
	return 0;
}

static void chan_reset(void)
{
	wr(ioat, CHANERR, 4, rd(ioat, CHANERR, 4));
	wr(ioat, CHANCMD, 1, 0x20);
	for (int i = 0; i < 200 && (rd(ioat, CHANCMD, 1) & 0x20); i++)
		usleep(100);
	head = 0;
}

/* one copy of len bytes src -> dst (IOVAs); the completion's status: DONE or HALTED */
static unsigned int copy(uint64_t src, uint64_t dst, uint32_t len)
{
	unsigned int i = head % 16;

	chan_reset();
	*cmpl = 0;
	wr(ioat, CHANCTRL, 2, CHANCTRL_RUN);
	wr(ioat, CHANCMP, 8, CMPL_IOVA);
	ring[i] = (struct desc){ .size = len,
				 .ctl = CTL_COMPL,
				 .src = src,
				 .dst = dst,
				 .next = RING_IOVA + ((i + 1) % 16) * 64 };
	head++;
	wr(ioat, CHAINADDR, 8, RING_IOVA + i * 64);
	wr(ioat, DMACOUNT, 2, head & 0xffff);
	for (int t = 0; t < 5000; t++) {
		unsigned int sts = (unsigned int)(rd(ioat, 0x88, 8) & 7);

		if (sts == STS_DONE && (*cmpl & 7) == STS_DONE)
			return STS_DONE;
		if (sts == STS_HALTED)
			return STS_HALTED;
		usleep(1000);
	}
	fail("the copy never ended");
	return 0;
}

int main(void)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_feature probe = { .argsz = sizeof(probe),
					     .flags = VFIO_DEVICE_FEATURE_PROBE |
						      VFIO_DEVICE_FEATURE_GET |
						      VFIO_DEVICE_FEATURE_DMA_BUF };
	const uint32_t get = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	uint64_t iova, iova2, scratch;
	uint8_t *src, *bar, buf[64];
	int dfd, p[2];

	iommufd = open("/dev/iommu", O_RDWR);
	need(iommufd >= 0, "/dev/iommu");
	ioat = open_cdev("0000:00:04.0");
	nvme = open_cdev("0002:00:01.0");
	need(!ioctl(iommufd, IOMMU_IOAS_ALLOC, &a), "ioas");
	ioas = at.pt_id = a.out_ioas_id;
	need(!ioctl(ioat, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), "attach");
	wr(ioat, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND, 2,
	   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wr(nvme, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ring = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cmpl = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	need(ring != MAP_FAILED && cmpl != MAP_FAILED && src != MAP_FAILED, "mmap");
	map_va(ring, RING_IOVA, PG);
	map_va((void *)cmpl, CMPL_IOVA, PG);
	map_va(src, SRC_IOVA, 4 * PG);

	step = "feature";
	need(!ioctl(nvme, VFIO_DEVICE_FEATURE, &probe), "probe");
	probe.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF;
	need_err(ioctl(nvme, VFIO_DEVICE_FEATURE, &probe), EINVAL);
	need_err(export(nvme, VFIO_PCI_ROM_REGION_INDEX, 0, PG, get), ENODEV);
	need_err(export(nvme, 2, 1, PG, get), EINVAL);
	need_err(export(nvme, 2, CMB_SIZE, PG, get), EINVAL);
	need_err(export(nvme, 2, UINT64_MAX - PG + 1, PG, get), EOVERFLOW);
	dfd = export(nvme, 2, 0, CMB_SIZE, get);
	need(dfd > 2, "export the CMB");
	need(fcntl(dfd, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC");

	step = "p2p copy";
	need_err(map_file(dfd, 0, CMB_SIZE + PG, &iova), EINVAL);
	need(!map_file(dfd, 0, CMB_SIZE, &iova), "MAP_FILE of the dma-buf");
	for (unsigned int i = 0; i < 4 * PG; i++)
		src[i] = (uint8_t)(i * 13 + 1);
	need(copy(SRC_IOVA, iova + 8 * PG + 64, 3 * PG) == STS_DONE, "I/OAT copy into the CMB");
	bar = mmap(NULL, CMB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, nvme, (off_t)REGION(2));
	need(bar != MAP_FAILED, "mmap BAR 2");
	need(!bar_cmp(bar + 8 * PG + 64, src, 3 * PG), "bytes through the BAR mmap");
	need(pread(nvme, buf, sizeof(buf), (off_t)(REGION(2) + 8 * PG + 64 + 2 * PG)) ==
			     sizeof(buf) &&
		     !memcmp(buf, src + 2 * PG, sizeof(buf)),
	     "bytes through pread");
	/* and back: the BAR's bytes (stored through the mapping) copied to host memory */
	*(volatile uint64_t *)(bar + 16 * PG) = 0x0123456789abcdefull;
	need(copy(iova + 16 * PG, SRC_IOVA, 8) == STS_DONE, "I/OAT copy out of the CMB");
	need(*(uint64_t *)src == 0x0123456789abcdefull, "bytes out of the CMB");

	step = "revoke";
	wr(nvme, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND, 2, 0);
	need(copy(SRC_IOVA, iova, 64) == STS_HALTED, "a copy to a revoked dma-buf halts");
	need_err(map_file(dfd, 0, PG, &scratch), ENODEV);
	wr(nvme, REGION(VFIO_PCI_CONFIG_REGION_INDEX) + PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	need(copy(SRC_IOVA, iova, 64) == STS_HALTED, "the old IOVA stays dead");
	need(!map_file(dfd, 0, CMB_SIZE, &iova2), "MAP_FILE after the restore");
	need(copy(SRC_IOVA, iova2, 64) == STS_DONE, "a copy through the new map");
	need(!unmap(iova, CMB_SIZE), "unmap of the revoked area");

	step = "forged";
	need(!pipe(p), "pipe");
	need_err(map_file(p[0], 0, PG, &scratch), EINVAL);
	close(p[0]);
	close(p[1]);

	step = "exporter closed";
	munmap(bar, CMB_SIZE); /* the mapping holds the device open */
	close(nvme);
	need(copy(SRC_IOVA, iova2, 64) == STS_HALTED, "a copy after the NVMe's close halts");
	need_err(map_file(dfd, 0, PG, &scratch), ENODEV);
	need(!unmap(iova2, CMB_SIZE), "unmap after the close");
	close(dfd);
	chan_reset();
	close(ioat);
	close(iommufd);
	printf("p2p_dmabuf: ok\n");
	return 0;
}
