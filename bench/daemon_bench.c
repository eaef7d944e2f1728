/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon_bench.c - the cost of the daemon path, beside the limits that bound it.
 *
 *   ioasid-run -- daemon_bench        (scripts/bench.sh runs it so)
 *
 * One process, one run, three ways to the same work:
 *   rtt      a one-byte round trip over a SOCK_SEQPACKET socketpair to a forked child that
 *            echoes it: the floor of any request/reply between two processes;
 *   shim     open("/dev/iommu") and ioctl(2), served by ioasidd through the preload shim;
 *   inproc   the library in this process (ioasid_ctx_new, ioasid_ioctl): no transport.
 * Figures: the cheapest ioctl (IOMMU_OPTION get; goal: shim <= 2x rtt), a fixed 4 KiB
 * IOMMU_IOAS_MAP + UNMAP pair, and IOMMU_IOAS_MAP + UNMAP of 256 MiB of memfd memory with a
 * mock domain attached, per 4 KiB page (goal: shim <= 1.5x inproc; the mean of three pairs,
 * and the first pair alone: a buffer the back end has not seen yet). Each figure is printed
 * as a JSON line with its ratio to the round trip and, for the shim, to in-process.
 * $DAEMON_BENCH_BYTES changes the big map's size (BENCH_QUICK sets 16 MiB); without the
 * shim (not run under ioasid-run) the shim figures are left out.
 */
#include <errno.h>
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
#include <linux/iommufd_test.h>

#include "ioasid/ioasid.h"

/* one back end: the shim's fd, or the library's context */
struct path {
	const char *name;
	int fd;
	struct ioasid_ctx *ctx;
};

static int do_ioctl(struct path *p, unsigned long cmd, void *arg)
{
	return p->ctx ? ioasid_ioctl(p->ctx, cmd, arg) : ioctl(p->fd, cmd, arg);
}

static double option_ns(struct path *p, unsigned int n)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	double t0;

	for (unsigned int i = 0; i < 100; i++)
		if (do_ioctl(p, IOMMU_OPTION, &opt))
			return -1;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n; i++)
		do_ioctl(p, IOMMU_OPTION, &opt);
	return (bench_now_ns() - t0) / n;
}

static int ioas_new(struct path *p, uint32_t *out)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = do_ioctl(p, IOMMU_IOAS_ALLOC, &a);

	*out = a.out_ioas_id;
	return rc;
}

/* the first pair of the last map_unmap_ns() run: a buffer the back end had not seen */
static double first_pair_ns;

static double map_unmap_ns(struct path *p, void *buf, uint64_t len, unsigned int n, bool domain)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = 1ULL << 24,
	};
	struct iommu_ioas_unmap um = { .size = sizeof(um), .iova = 1ULL << 24, .length = len };
	struct iommu_destroy d = { .size = sizeof(d) };
	uint32_t ioas;
	double t0, t;

	if (ioas_new(p, &ioas))
		return -1;
	map.ioas_id = um.ioas_id = ioas;
	md.id = ioas;
	if (domain && do_ioctl(p, IOMMU_TEST_CMD, &md))
		return -1;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		if (do_ioctl(p, IOMMU_IOAS_MAP, &map) || do_ioctl(p, IOMMU_IOAS_UNMAP, &um)) {
			fprintf(stderr, "daemon_bench: %s: map/unmap: %s\n", p->name,
				strerror(errno));
			return -1;
		}
		if (i == 0)
			first_pair_ns = bench_now_ns() - t0;
	}
	t = (bench_now_ns() - t0) / n;
	if (domain) {
		d.id = md.mock_domain.out_stdev_id;
		do_ioctl(p, IOMMU_DESTROY, &d);
	}
	d.id = ioas;
	do_ioctl(p, IOMMU_DESTROY, &d);
	return t;
}

static void emit(const char *what, const char *path, double ns, double rtt, double inproc,
		 const char *unit)
{
	printf("{\"bench\":\"daemon\",\"what\":\"%s\",\"path\":\"%s\",\"ns\":%.1f,\"unit\":\"%s\","
	       "\"rtt_ns\":%.1f,\"ratio_to_rtt\":%.2f",
	       what, path, ns, unit, rtt, ns / rtt);
	if (inproc > 0)
		printf(",\"ratio_to_inproc\":%.2f", ns / inproc);
	printf("}\n");
	fflush(stdout);
}

int main(void)
{
	const char *env = getenv("DAEMON_BENCH_BYTES");
	uint64_t big = env && *env ? strtoull(env, NULL, 0) : 256ULL << 20;
	struct path paths[2] = { { .name = "inproc", .fd = -1 }, { .name = "shim", .fd = -1 } };
	double rtt, fig[2][4] = { { 0 } };
	void *small, *large;
	int mfd;

	big = big < 4096 ? 4096 : big & ~4095ULL;
	if (ioasid_ctx_new(NULL, &paths[0].ctx)) {
		perror("daemon_bench: ioasid_ctx_new");
		return 1;
	}
	paths[1].fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (paths[1].fd < 0)
		fprintf(stderr,
			"daemon_bench: no /dev/iommu (not under ioasid-run?): %s; "
			"in-process figures only\n",
			strerror(errno));
	small = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mfd = memfd_create("daemon-bench", MFD_CLOEXEC);
	if (small == MAP_FAILED || mfd < 0 || ftruncate(mfd, (off_t)big))
		return 1;
	large = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (large == MAP_FAILED)
		return 1;
	memset(small, 1, 4096);
	memset(large, 1, big);
	rtt = bench_rtt_process_ns(20000);
	for (int i = 0; i < 2; i++) {
		struct path *p = &paths[i];

		if (!p->ctx && p->fd < 0)
			continue;
		fig[i][0] = option_ns(p, 20000);
		fig[i][1] = map_unmap_ns(p, small, 4096, 5000, false);
		fig[i][2] = map_unmap_ns(p, large, big, 3, true) / (double)(big >> 12);
		fig[i][3] = first_pair_ns / (double)(big >> 12);
	}
	for (int i = 0; i < 2; i++) {
		if (fig[i][0] <= 0)
			continue;
		emit("ioctl_option_get", paths[i].name, fig[i][0], rtt, i ? fig[0][0] : 0, "call");
		emit("map_unmap_4k", paths[i].name, fig[i][1], rtt, i ? fig[0][1] : 0, "pair");
		if (fig[i][2] > 0) {
			emit("map_domain_per_4k_page", paths[i].name, fig[i][2], rtt,
			     i ? fig[0][2] : 0, "page");
			emit("map_domain_first_per_4k_page", paths[i].name, fig[i][3], rtt,
			     i ? fig[0][3] : 0, "page");
		}
	}
	fprintf(stderr,
		"daemon_bench: rtt %.1f us; option get: inproc %.2f us, shim %.2f us (%.1fx rtt, "
		"goal 2); 4K map+unmap: inproc %.2f us, shim %.2f us; %llu MiB map with a domain "
		"per 4K page: inproc %.3f us, shim %.3f us (%.2fx inproc, goal 1.5); its first "
		"map+unmap "
		"per 4K page: inproc %.3f us, shim %.3f us (%.2fx)\n",
		rtt / 1e3, fig[0][0] / 1e3, fig[1][0] / 1e3, fig[1][0] / rtt, fig[0][1] / 1e3,
		fig[1][1] / 1e3, (unsigned long long)(big >> 20), fig[0][2] / 1e3, fig[1][2] / 1e3,
		fig[0][2] > 0 ? fig[1][2] / fig[0][2] : 0, fig[0][3] / 1e3, fig[1][3] / 1e3,
		fig[0][3] > 0 ? fig[1][3] / fig[0][3] : 0);
	ioasid_ctx_free(paths[0].ctx);
	return 0;
}
