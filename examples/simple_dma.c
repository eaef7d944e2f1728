/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simple_dma.c - the simple flow, end to end: "give me about 4 GiB of IOVA space; map this
 * buffer and tell me its IOVA", then play the device (behind an emulated VT-d IOMMU whose
 * page table the mapping filled): DMA a message in through the IOVA,
 * read it back the CPU way, and check that unmapped IOVA and read-only mappings refuse DMA.
 * Exit status 0 only if every step behaved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ioasid/simple.h"

#define CHECK(cond, ...)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "simple-dma: FAILED: " __VA_ARGS__);          \
			fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno)); \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

int main(void)
{
	const size_t len = 1 << 20;
	const char msg[] = "hello from the device, through the IOMMU";
	struct ioasid_simple *s;
	uint64_t start, last, iova, ro_iova;
	char *buf, *ro, back[sizeof(msg)];

	CHECK(ioasid_simple_open(4ULL << 30, &s) == 0, "open 4 GiB of IOVA space");
	ioasid_simple_window(s, &start, &last);
	printf("IOVA window      [0x%llx, 0x%llx] (%llu MiB)\n", (unsigned long long)start,
	       (unsigned long long)last, (unsigned long long)((last - start + 1) >> 20));

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	CHECK(ioasid_simple_map(s, buf, len, IOASID_SIMPLE_RW, &iova) == 0, "map buffer");
	CHECK(iova >= start && iova + len - 1 <= last, "IOVA inside the window");
	printf("buffer %p      -> IOVA 0x%llx (%zu KiB)\n", (void *)buf, (unsigned long long)iova,
	       len >> 10);

	/* the device writes into the buffer through its IOVA */
	CHECK(ioasid_simple_dma_write(s, iova + 4096, msg, sizeof(msg)) == 0, "DMA write");
	CHECK(memcmp(buf + 4096, msg, sizeof(msg)) == 0, "CPU sees the device's write");
	CHECK(ioasid_simple_dma_read(s, iova + 4096, back, sizeof(back)) == 0, "DMA read");
	CHECK(memcmp(back, msg, sizeof(msg)) == 0, "device reads back what it wrote");
	printf("device wrote     \"%s\"\n", buf + 4096);

	/* IOVA outside any mapping faults */
	CHECK(ioasid_simple_dma_read(s, iova + len, back, 1) == -1 && errno == EFAULT,
	      "DMA past the mapping is refused");
	/* a read-only mapping refuses device writes */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap");
	CHECK(ioasid_simple_map(s, ro, 4096, IOASID_SIMPLE_READ, &ro_iova) == 0, "map read-only");
	CHECK(ioasid_simple_dma_write(s, ro_iova, msg, 1) == -1 && errno == EPERM,
	      "DMA write to a read-only mapping is refused");
	printf("read-only buffer -> IOVA 0x%llx, device writes refused\n",
	       (unsigned long long)ro_iova);

	CHECK(ioasid_simple_unmap(s, iova) == 0, "unmap");
	CHECK(ioasid_simple_dma_read(s, iova, back, 1) == -1 && errno == EFAULT,
	      "DMA after unmap is refused");
	ioasid_simple_close(s);
	munmap(buf, len);
	munmap(ro, 4096);
	printf("simple-dma: OK\n");
	return 0;
}
