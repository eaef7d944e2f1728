// SPDX-License-Identifier: BSD-3-Clause
/*
 * devices_bench.c - the I/OAT channel model's copy throughput (src/devices/ioat.c).
 *
 * Figures (JSON lines on stdout, each with its limit measured in the same run and the ratio):
 *   ioat_copy   descriptors of 4 KiB and of 2 MiB, 16 appended per doorbell (one DMACOUNT
 *               write), in-process, behind a VT-d second-stage (vtd-ss-4) IOMMU: every
 *               descriptor fetch, source read, destination write is DMA through the
 *               translation, the completion written back once per doorbell. ns = time per
 *               descriptor; limit: memcpy of the same size between the same buffers.
 *               ratio = memcpy time / engine time (a throughput ratio). Goal: >= 0.5.
 *
 *               The doorbell is a call here (dev_model_mmio_write), so the engine runs in
 *               the timed thread: the same engine code a store through a window wakes.
 *   mmio_read   a load of CHANSTS (8 bytes) through a BAR window (dev_model_bar_mmap: the
 *               window's read pages, which the model keeps current), ns per load; limits in
 *               the same run: a plain load of ordinary memory (ratio = window / plain) and a
 *               one-byte socketpair round trip between two threads (ratio_rtt).
 *   doorbell    a DMACOUNT store through the window to the engine having run a null
 *               descriptor whose completion write-back the program sees in memory: the
 *               doorbell-to-start latency (the store's trap, the worker's wake-up, the
 *               descriptor fetch; the write-back is one 8-byte DMA more). Also the time the
 *               store itself takes to return (store_ns: the SIGSEGV trap, decode, the
 *               device's write, sigreturn). Limit: the one-byte socketpair round trip between
 *               two threads (a wake-up each way); ratio = doorbell / rtt.
 *
 * Copy time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) on both sides: on a shared
 * machine wall time mostly measures waiting for a core (the engine's longer loops are
 * preempted more than the memcpy's, which made wall-clock ratios 4-10 times worse and
 * unstable). Latencies cross threads, so they are wall time (CLOCK_MONOTONIC), the median of
 * many, each limit measured the same way.
 *
 * Options: DEVICES_BENCH_QUICK=1 runs fewer rounds (a smoke run). Best of 3 runs each.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "devices/devices.h"
#include "devices/ioat.h"
#include "ioasid/ioasid.h"
#include "pci/pci.h"
#include "platform/platform.h"

#define IOVA	UINT64_C(0x40000000)
#define SZ_2M	(UINT64_C(2) << 20)
#define BATCH	16u
#define NR_RING 64u

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void *echo_thread(void *arg)
{
	int fd = *(int *)arg;
	char c;

	while (read(fd, &c, 1) == 1)
		if (write(fd, &c, 1) != 1)
			break;
	return NULL;
}

/* Median one-byte round trip over a socketpair to an echoing thread. */
static double rtt_ns(unsigned int n)
{
	int sv[2];
	pthread_t t;
	double *v = calloc(n, sizeof(*v)), r;
	char c = 1;

	if (!v || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
	    pthread_create(&t, NULL, echo_thread, &sv[1]))
		return -1;
	for (unsigned int i = 0; i < 200; i++)
		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			return -1;
	for (unsigned int i = 0; i < n; i++) {
		double t0 = wall_ns();

		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			return -1;
		v[i] = wall_ns() - t0;
	}
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	r = median(v, n);
	free(v);
	return r;
}

static int map(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, void *p, size_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)p,
		.length = len,
		.iova = iova,
	};

	return ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &m);
}

/*
 * Through a window of BAR 0: CHANSTS loads, and doorbells each running one null descriptor
 * that writes the completion back. ring/cmp at IOVA and IOVA + 4096; count: DMACOUNT so far.
 */
static int window_bench(struct dev_model *m, uint8_t *ring, uint8_t *cmp, uint16_t count,
			bool quick)
{
	unsigned int n = quick ? 200 : 5000, loads = quick ? 2000 : 50000;
	volatile uint8_t *bar;
	volatile uint64_t *done = (volatile uint64_t *)cmp, plain = 0;
	double *v = calloc(n, sizeof(*v)), *st = calloc(n, sizeof(*st)), t0, rd, pl, rtt, db, sn;
	uint64_t sum = 0;
	void *p;

	if (!v || !st || dev_model_bar_mmap(m, 0, 0, IOAT_BAR0_MIN, PROT_READ | PROT_WRITE, &p))
		return 1;
	bar = p;
	/* loads */
	t0 = wall_ns();
	for (unsigned int i = 0; i < loads; i++)
		sum += *(volatile uint64_t *)(bar + IOAT_CHAN_BASE + IOAT_CHAN_STS);
	rd = (wall_ns() - t0) / loads;
	t0 = wall_ns();
	for (unsigned int i = 0; i < loads * 100; i++)
		sum += plain;
	pl = (wall_ns() - t0) / (loads * 100.0);
	rtt = rtt_ns(n);
	/* doorbells: the ring's descriptors become null ones, each writing its completion */
	for (unsigned int i = 0; i < NR_RING; i++) {
		struct ioat_desc d = {
			.ctl = IOAT_DESC_NULL | IOAT_DESC_COMPL_WRITE,
			.next = IOVA + ((i + 1) % NR_RING) * IOAT_DESC_SIZE,
		};

		memcpy(ring + i * IOAT_DESC_SIZE, &d, sizeof(d));
	}
	for (unsigned int i = 0; i < n + 100; i++) {
		unsigned int spins = 0;
		double t1;

		*done = 0;
		count++;
		t0 = wall_ns();
		*(volatile uint16_t *)(bar + IOAT_CHAN_BASE + IOAT_CHAN_DMACOUNT) = count;
		t1 = wall_ns();
		while (!*done)
			if (++spins > 1000)
				sched_yield();
		if (i >= 100) {
			v[i - 100] = wall_ns() - t0;
			st[i - 100] = t1 - t0;
		}
	}
	db = median(v, n);
	sn = median(st, n);
	if ((*(volatile uint64_t *)(bar + IOAT_CHAN_BASE + IOAT_CHAN_STS) & IOAT_STS_MASK) !=
	    IOAT_STS_DONE)
		return 1;
	printf("{\"bench\":\"mmio_read\",\"what\":\"CHANSTS load through a BAR window "
	       "(read pages kept by the "
	       "model)\",\"ns\":%.1f,\"limit\":\"plain_load\",\"limit_ns\":%.2f,"
	       "\"ratio\":%.0f,\"rtt_ns\":%.1f,\"ratio_rtt\":%.2f,\"checksum\":%llu}\n",
	       rd, pl, rd / pl, rtt, rd / rtt, (unsigned long long)(sum & 1));
	printf("{\"bench\":\"doorbell\",\"what\":\"DMACOUNT store through a BAR window "
	       "(trapped) to a null descriptor's completion in memory (worker "
	       "thread)\",\"ns\":%.1f,"
	       "\"store_ns\":%.1f,\"limit\":\"socketpair_rtt_threads\",\"limit_ns\":%.1f,"
	       "\"ratio\":%.2f}\n",
	       db, sn, rtt, db / rtt);
	free(v);
	free(st);
	return dev_model_bar_munmap(m, p, IOAT_BAR0_MIN);
}

int main(void)
{
	const struct platform *p = platform_default();
	struct platform_bdf bdf;
	const struct platform_device *pd;
	struct ioasid_device_desc desc = { 0 };
	struct iommu_ioas_alloc al = { .size = sizeof(al) };
	struct ioasid_ctx *ctx;
	struct dev_model *m;
	struct dev_model_params params = { 0 };
	uint8_t *ring = aligned_alloc(4096, 4096), *cmp = aligned_alloc(4096, 4096);
	uint8_t *src = aligned_alloc(SZ_2M, SZ_2M), *dst = aligned_alloc(SZ_2M, SZ_2M);
	uint32_t dev, cmd;
	uint64_t checksum = 0, sts;
	uint16_t count = 0;
	bool quick = getenv("DEVICES_BENCH_QUICK") != NULL;
	static const size_t lens[] = { 4096, SZ_2M };

	if (!ring || !cmp || !src || !dst || platform_bdf_parse("0000:00:04.0", &bdf))
		return 1;
	pd = platform_device_find(p, &bdf);
	desc.format = p->iommus[pd->iommu].format;
	memset(src, 3, SZ_2M);
	memset(dst, 0, SZ_2M);
	if (ioasid_ctx_new(NULL, &ctx) || ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &al) ||
	    ioasid_device_new(ctx, &desc, &dev) ||
	    ioasid_device_attach(ctx, dev, al.out_ioas_id, NULL) ||
	    map(ctx, al.out_ioas_id, IOVA, ring, 4096) ||
	    map(ctx, al.out_ioas_id, IOVA + 4096, cmp, 4096) ||
	    map(ctx, al.out_ioas_id, IOVA + SZ_2M, src, SZ_2M) ||
	    map(ctx, al.out_ioas_id, IOVA + 2 * SZ_2M, dst, SZ_2M))
		return 1;
	params.pdev = pd;
	params.ctx = ctx;
	params.dev_id = dev;
	if (dev_model_new(&params, &m))
		return 1;
	cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	dev_model_cfg_write(m, PCI_COMMAND, &cmd, 2);
	dev_model_mmio_write(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_CMD, 1, IOAT_CHANCMD_RESET);
	dev_model_mmio_write(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_CTRL, 2, IOAT_CHANCTRL_RUN);
	dev_model_mmio_write(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_CMP, 8, IOVA + 4096);
	dev_model_mmio_write(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_CHAINADDR, 8, IOVA);

	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		size_t len = lens[l], n = len == 4096 ? (quick ? 2048 : 32768) : (quick ? 32 : 512);
		double best_dev = 1e30, best_mem = 1e30;

		for (unsigned int i = 0; i < NR_RING; i++) {
			struct ioat_desc d = {
				.size = (uint32_t)len,
				.ctl = (i % BATCH == BATCH - 1) ? IOAT_DESC_COMPL_WRITE : 0,
				.src_addr = IOVA + SZ_2M,
				.dst_addr = IOVA + 2 * SZ_2M,
				.next = IOVA + ((i + 1) % NR_RING) * IOAT_DESC_SIZE,
			};

			memcpy(ring + i * IOAT_DESC_SIZE, &d, sizeof(d));
		}
		for (int run = 0; run < 3; run++) {
			double t0 = now_ns(), t;

			for (size_t i = 0; i < n; i += BATCH) {
				count = (uint16_t)(count + BATCH);
				dev_model_mmio_write(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_DMACOUNT, 2,
						     count);
			}
			t = (now_ns() - t0) / (double)n;
			best_dev = t < best_dev ? t : best_dev;
			t0 = now_ns();
			for (size_t i = 0; i < n; i++) {
				memcpy(dst, src, len);
				__asm__ volatile("" ::"r"(dst) : "memory");
			}
			t = (now_ns() - t0) / (double)n;
			best_mem = t < best_mem ? t : best_mem;
		}
		dev_model_mmio_read(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_STS, 8, &sts);
		if ((sts & IOAT_STS_MASK) != IOAT_STS_DONE) {
			fprintf(stderr, "devices_bench: the channel halted (CHANSTS %#llx)\n",
				(unsigned long long)sts);
			return 1;
		}
		checksum += dst[len - 1];
		printf("{\"bench\":\"ioat_copy\",\"what\":\"%s descriptors, %u per doorbell\","
		       "\"ns\":%.2f,\"limit\":\"memcpy_same_size\",\"limit_ns\":%.2f,"
		       "\"ratio\":%.2f,\"goal\":\">= 0.5 (throughput)\",\"checksum\":%llu}\n",
		       len == 4096 ? "4 KiB" : "2 MiB", BATCH, best_dev, best_mem,
		       best_mem / best_dev, (unsigned long long)(checksum & 0xff));
	}
	if (window_bench(m, ring, cmp, count, quick))
		return 1;
	dev_model_free(m);
	ioasid_ctx_free(ctx);
	free(ring);
	free(cmp);
	free(src);
	free(dst);
	return 0;
}
