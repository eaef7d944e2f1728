/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_bench.c - the cost of the VFIO device path, beside a socket round trip.
 *
 *   ioasid-run --inproc -- vfio_bench        (scripts/bench.sh runs it so, and under a
 *   ioasid-run -- vfio_bench                  private daemon: the device in the daemon)
 *
 * A program that knows only <linux/vfio.h>: it opens the I/OAT device's cdev (vfio0 of the
 * default platform), binds it to /dev/iommu, attaches an IOAS, and times, through the shim as
 * any program pays it:
 *   ioctl      VFIO_DEVICE_GET_REGION_INFO (goal: <= 2x the round trip)
 *   cfg_read   a 4-byte pread of config space
 *   bar_read   a 1-byte pread of BAR 0 (CBVER)
 *   doorbell   pwrite of DMACOUNT for one 64-byte copy descriptor, which the model runs
 *              inside the write: doorbell to completion
 *   window_doorbell   a store of DMACOUNT through BAR 0 mapped (no library call), then
 *              loads of CHANSTS through the mapping until the descriptor is done: the
 *              doorbell's latency as a driver sees it (in the daemon: the store's trap,
 *              its forwarding, the engine on the daemon's worker, the read pages)
 * beside rtt, a one-byte round trip over a SOCK_SEQPACKET socketpair to a forked child that
 * echoes it. Each figure is a JSON line with its ratio to the round trip.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_limits.h"

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define N 20000

static const char *where; /* "inproc" or "daemon": where the device runs */

static void report(const char *what, double ns, double rtt)
{
	printf("{\"bench\":\"vfio\",\"where\":\"%s\",\"what\":\"%s\",\"ns\":%.1f,"
	       "\"rtt_ns\":%.1f,\"ratio_to_rtt\":%.2f}\n",
	       where, what, ns, rtt, ns / rtt);
}

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next, rsv[4];
};

int main(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = 12 };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	const uint64_t bar0 = 0, cfg = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR), iommufd = open("/dev/iommu", O_RDWR);
	double rtt = bench_rtt_process_ns(N), t0;
	uint16_t cmd = 0x6, count = 0;
	uint32_t v32;
	uint8_t v8, *mem;
	struct desc *d;

	const char *be = getenv("IOASID_BACKEND");
	volatile uint8_t *bar;

	where = be && !strcmp(be, "inproc") ? "inproc" : "daemon";
	if (dev < 0 || iommufd < 0 || rtt < 0) {
		fprintf(stderr, "vfio_bench: run it under ioasid-run\n");
		return 1;
	}
	bind.iommufd = iommufd;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) || ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return 1;
	at.pt_id = alloc.out_ioas_id;
	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return 1;
	/* shared: the daemon's device reaches shared memory (docs/daemon.md) */
	mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)mem;
	map.length = 8192;
	map.iova = 0x100000;
	if (mem == MAP_FAILED || ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		return 1;

	t0 = bench_now_ns();
	for (unsigned int i = 0; i < N; i++)
		ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri);
	report("ioctl_region_info", (bench_now_ns() - t0) / N, rtt);

	t0 = bench_now_ns();
	for (unsigned int i = 0; i < N; i++)
		if (pread(dev, &v32, 4, (off_t)cfg) != 4)
			return 1;
	report("cfg_read", (bench_now_ns() - t0) / N, rtt);

	if (pwrite(dev, &cmd, 2, (off_t)cfg + 4) != 2) /* memory and bus master */
		return 1;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < N; i++)
		if (pread(dev, &v8, 1, (off_t)(bar0 + 0x08)) != 1)
			return 1;
	report("bar_read", (bench_now_ns() - t0) / N, rtt);

	/* a ring of 64 one-descriptor copies (64 bytes each), linked in a circle */
	d = (struct desc *)(void *)mem;
	for (unsigned int i = 0; i < 64; i++)
		d[i] = (struct desc){ .size = 64,
				      .src = 0x101000,
				      .dst = 0x101800,
				      .next = 0x100000 + ((i + 1) % 64) * 64 };
	if (pwrite(dev, &(uint64_t){ 0x100000 }, 8, (off_t)(bar0 + 0x90)) != 8)
		return 1;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < N; i++) {
		count++;
		if (pwrite(dev, &count, 2, (off_t)(bar0 + 0x86)) != 2)
			return 1;
	}
	report("doorbell_to_completion", (bench_now_ns() - t0) / N, rtt);
	if ((pread(dev, &v8, 1, (off_t)(bar0 + 0x88)) != 1) || (v8 & 7) != 1) {
		fprintf(stderr, "vfio_bench: the channel is not idle after the copies\n");
		return 1;
	}

	/* the same through BAR 0 mapped: a store, then loads until the descriptor is done */
	bar = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)bar0);
	if (bar == MAP_FAILED)
		return 1;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < N / 4; i++) {
		uint64_t want = 0x100000 + (uint64_t)(count % 64) * 64, sts;
		double start = bench_now_ns();

		count++;
		*(volatile uint16_t *)(bar + 0x86) = count;
		do {
			sts = *(volatile uint64_t *)(bar + 0x88);
			if (bench_now_ns() - start > 1e9) {
				fprintf(stderr, "vfio_bench: no completion through the window\n");
				return 1;
			}
		} while ((sts & ~UINT64_C(0x3f)) != want || (sts & 7) != 1);
	}
	report("window_doorbell_to_completion", (bench_now_ns() - t0) / (N / 4), rtt);
	munmap((void *)bar, 16384);
	close(dev);
	close(iommufd);
	return 0;
}
