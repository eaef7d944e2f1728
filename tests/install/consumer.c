/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * consumer.c - an out-of-tree program built against an INSTALLED libioasid, with nothing but
 * `pkg-config --cflags --libs ioasid` (tests/install/test_install.sh compiles it against a
 * `meson install --destdir` tree; scripts/deb.sh against the Debian packages in a clean root).
 *
 * It uses what an installed libioasid promises: <ioasid/ioasid.h> from the library and the
 * <linux/iommufd.h> the library installs, which must win over the system's copy (that one may
 * predate IOMMU_IOAS_MAP_FILE, used below, so an older header fails the build). Then it does
 * something real: a context, an IOAS, a map of an anonymous buffer and of a memfd at IOVAs the
 * allocator picks, an emulated device behind a VT-d IOMMU that writes through its page table
 * into the buffer, unmaps whose byte counts are checked, and DMA refused after the unmap.
 * Exit status 0 and "consumer: OK" only if every step behaved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>
#include <linux/iommufd.h>

#define CHECK(cond, what)                                                                     \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "consumer: FAILED: %s (errno %d: %s)\n", what, errno, \
				strerror(errno));                                             \
			exit(1);                                                              \
		}                                                                             \
	} while (0)

#define LEN (64 * 4096UL)

int main(void)
{
	const char msg[] = "written by the device through its IOMMU";
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_ioas_map_file map_file = { .size = sizeof(map_file) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct ioasid_device_desc desc = { .format = "vtd-ss-4" };
	struct ioasid_ctx *ctx;
	uint32_t dev_id, hwpt_id;
	char *buf, back[sizeof(msg)];
	int memfd;

	CHECK(ioasid_ctx_new(NULL, &ctx) == 0, "ioasid_ctx_new");
	CHECK(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &alloc) == 0, "IOMMU_IOAS_ALLOC");
	CHECK(alloc.out_ioas_id != 0, "an IOAS ID");

	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = LEN;
	CHECK(ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &map) == 0, "IOMMU_IOAS_MAP");
	CHECK(map.iova % 4096 == 0, "a page-aligned IOVA");

	memfd = memfd_create("consumer", MFD_CLOEXEC);
	CHECK(memfd >= 0 && ftruncate(memfd, LEN) == 0, "memfd");
	map_file.flags = IOMMU_IOAS_MAP_READABLE;
	map_file.ioas_id = alloc.out_ioas_id;
	map_file.fd = memfd;
	map_file.length = LEN;
	CHECK(ioasid_ioctl(ctx, IOMMU_IOAS_MAP_FILE, &map_file) == 0, "IOMMU_IOAS_MAP_FILE");
	CHECK(map_file.iova != map.iova, "two mappings, two IOVAs");

	/* a device behind a VT-d IOMMU, attached to the IOAS: its page table holds the map */
	CHECK(ioasid_device_new(ctx, &desc, &dev_id) == 0, "ioasid_device_new vtd-ss-4");
	CHECK(ioasid_device_attach(ctx, dev_id, alloc.out_ioas_id, &hwpt_id) == 0, "attach");
	CHECK(ioasid_device_dma(ctx, dev_id, map.iova + 8192, (void *)msg, sizeof(msg), true) == 0,
	      "DMA write through the IOVA");
	CHECK(memcmp(buf + 8192, msg, sizeof(msg)) == 0, "the CPU sees the device's write");
	CHECK(ioasid_device_dma(ctx, dev_id, map_file.iova, (void *)msg, 1, true) == -1 &&
		      errno == EPERM,
	      "DMA write to the read-only file mapping refused (EPERM)");

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = map.iova;
	unmap.length = LEN;
	CHECK(ioasid_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap) == 0 && unmap.length == LEN,
	      "IOMMU_IOAS_UNMAP of the buffer, every byte");
	CHECK(ioasid_device_dma(ctx, dev_id, map.iova + 8192, back, 1, false) == -1 &&
		      errno == EFAULT,
	      "DMA after the unmap refused (EFAULT)");
	unmap.iova = 0;
	unmap.length = UINT64_MAX; /* everything left */
	CHECK(ioasid_ioctl(ctx, IOMMU_IOAS_UNMAP, &unmap) == 0 && unmap.length == LEN,
	      "IOMMU_IOAS_UNMAP of the rest: the file mapping");

	CHECK(ioasid_device_destroy(ctx, dev_id) == 0, "ioasid_device_destroy");
	ioasid_ctx_free(ctx);
	close(memfd);
	munmap(buf, LEN);
	printf("consumer: OK (IOAS %u, IOVA 0x%llx and 0x%llx, HWPT %u)\n", alloc.out_ioas_id,
	       (unsigned long long)map.iova, (unsigned long long)map_file.iova, hwpt_id);
	return 0;
}
