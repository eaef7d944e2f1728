/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scenarios.c - the oracle's scenarios: short call sequences on the parts of iommufd whose
 * semantics are subtle, written from the kernel's documentation and then run on the kernel.
 *
 * Each scenario runs in a process of its own (main.c forks), opens its own /dev/iommu and
 * leaves everything to the process's exit. Scenarios never check a result; they print it
 * (tr_ioctl) and the comparison with the kernel's trace is the check. Where a later call
 * depends on an earlier answer (an ID, an IOVA), it takes whatever came back, so the
 * traces stay comparable line by line up to the first difference.
 *
 * Memory is shared (MAP_SHARED anonymous) unless a scenario is about memory kinds: the
 * daemon can pin shared pages of another process but not private ones, a difference of
 * principle documented in docs/conformance.md and shown, tagged, by the memory_* scenarios.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"
#include "scenarios.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PG  TR_PAGE
#define ALL ~0ULL

/* the usual buffer: 8 MiB shared anonymous memory at a 1 GiB aligned address */
static char *buf(void)
{
	return tr_mem("buf", TR_ANON_SHARED, 0, 8 * MiB);
}

/* ---- allowed and reserved ranges with automatic IOVA ----------------------------------- */

static void sc_allowed_adjacent(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t r2[] = { 1 * MiB, 2 * MiB - 1, 2 * MiB, 3 * MiB - 1 };
	uint64_t r3[] = { 0x100000, 0x100fff, 0x101000, 0x101fff, 0x102000, 0x102fff };
	uint64_t out;

	op_allow(fd, ioas, 2, r2);
	op_ranges(fd, ioas, 8);
	/* 1.5 MiB from a 4 KiB aligned address: straddles the two ranges */
	op_map_auto(fd, ioas, b + PG, 3 * MiB / 2);
	op_map_auto(fd, ioas, b + PG, 3 * MiB / 2);
	op_map_auto(fd, ioas, b + PG, MiB / 2);
	op_map_auto(fd, ioas, b + PG, PG);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* 2 MiB from a 2 MiB aligned address: aligned to 2 MiB, does not fit in [1M, 3M) */
	op_map_auto(fd, ioas, b + 2 * MiB, 2 * MiB);
	/* three adjacent pages, one map over all three */
	op_allow(fd, ioas, 3, r3);
	op_map_auto(fd, ioas, b + PG, 3 * PG);
	op_map_auto(fd, ioas, b + PG, PG);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* the same ranges given in reverse order */
	{
		uint64_t rev[] = { 0x102000, 0x102fff, 0x101000, 0x101fff, 0x100000, 0x100fff };

		op_allow(fd, ioas, 3, rev);
		op_map_auto(fd, ioas, b + PG, 3 * PG);
		op_unmap(fd, ioas, 0, ALL, &out);
	}
	tr_close(fd);
}

static void sc_allowed_nested(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t out;

	/* one range inside another */
	{
		uint64_t r[] = { 1 * MiB, 5 * MiB - 1, 2 * MiB, 3 * MiB - 1 };

		op_allow(fd, ioas, 2, r);
		op_ranges(fd, ioas, 8);
		op_map_auto(fd, ioas, b, 4 * MiB);
		op_map_auto(fd, ioas, b + PG, 3 * MiB);
		op_unmap(fd, ioas, 0, ALL, &out);
	}
	/* overlapping, identical, and a range whose start is after its last */
	{
		uint64_t r[] = { 1 * MiB, 3 * MiB - 1, 2 * MiB, 4 * MiB - 1 };
		uint64_t same[] = { 1 * MiB, 2 * MiB - 1, 1 * MiB, 2 * MiB - 1 };
		uint64_t bad[] = { 3 * MiB, 1 * MiB };
		uint64_t odd[] = { 0x100001, 0x1fffff };
		uint64_t odd2[] = { 0x100000, 0x1ffffe };

		op_allow(fd, ioas, 2, r);
		op_map_auto(fd, ioas, b + PG, 3 * MiB - PG);
		op_unmap(fd, ioas, 0, ALL, &out);
		op_allow(fd, ioas, 2, same);
		op_map_auto(fd, ioas, b, MiB);
		op_unmap(fd, ioas, 0, ALL, &out);
		op_allow(fd, ioas, 1, bad);
		op_allow(fd, ioas, 1, odd);
		op_map_auto(fd, ioas, b + PG, PG);
		op_allow(fd, ioas, 1, odd2);
		op_map_auto(fd, ioas, b + PG, PG);
		op_ranges(fd, ioas, 8);
		op_unmap(fd, ioas, 0, ALL, &out);
	}
	tr_close(fd);
}

static void sc_allowed_exhausted(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t r[] = { 1 * MiB, 1 * MiB + 4 * PG - 1 };
	uint64_t iova[5], out;

	op_allow(fd, ioas, 1, r);
	for (int i = 0; i < 5; i++)
		iova[i] = op_map_auto(fd, ioas, b + i * PG, PG);
	op_unmap(fd, ioas, iova[1], PG, &out);
	op_map_auto(fd, ioas, b, 2 * PG);
	op_map_auto(fd, ioas, b + 7 * PG, PG);
	op_unmap(fd, ioas, iova[2], PG, &out);
	op_map_auto(fd, ioas, b + PG, 2 * PG);
	op_map_auto(fd, ioas, b + 2 * PG, 2 * PG);
	op_ranges(fd, ioas, 8);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* fixed maps are not held to the allowed ranges */
	op_map_fixed(fd, ioas, b, PG, 64 * MiB);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

static void sc_allowed_cleared(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t r[] = { 16 * MiB, 32 * MiB - 1 };
	uint64_t r2[] = { 64 * MiB, 128 * MiB - 1 };
	uint64_t iova, out;

	op_allow(fd, ioas, 1, r);
	iova = op_map_auto(fd, ioas, b, 64 * PG);
	/* an area outside the new allowed ranges */
	op_allow(fd, ioas, 1, r2);
	op_ranges(fd, ioas, 8);
	op_unmap(fd, ioas, iova, 64 * PG, &out);
	op_allow(fd, ioas, 1, r2);
	op_map_auto(fd, ioas, b, 64 * PG);
	/* cleared: the allocator may use everything again */
	op_allow(fd, ioas, 0, NULL);
	op_ranges(fd, ioas, 8);
	op_map_auto(fd, ioas, b, 64 * PG);
	op_map_auto(fd, ioas, b + PG, PG);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

static void sc_allowed_reserved(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t r[] = { 1 * MiB, 3 * MiB - 1 };
	uint64_t out;

	op_add_reserved(fd, ioas, 2 * MiB, MiB);
	op_ranges(fd, ioas, 8);
	op_allow(fd, ioas, 1, r);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* reserved inside an allowed range: the allocator goes around it */
	{
		uint64_t r2[] = { 4 * MiB, 8 * MiB - 1 };

		op_add_reserved(fd, ioas, 5 * MiB, MiB);
		op_allow(fd, ioas, 1, r2);
		op_map_auto(fd, ioas, b, MiB);
		op_map_auto(fd, ioas, b, MiB);
		op_map_auto(fd, ioas, b, MiB);
		op_map_auto(fd, ioas, b, MiB);
		op_map_fixed(fd, ioas, b, PG, 5 * MiB + PG);
		op_map_fixed(fd, ioas, b, 2 * PG, 5 * MiB - PG);
		op_ranges(fd, ioas, 8);
	}
	op_add_reserved(fd, ioas, 4 * MiB, PG);
	op_add_reserved(fd, ioas, 0, 0);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

/* ---- alignment -------------------------------------------------------------------------- */

static void sc_auto_alignment(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = tr_mem("big", TR_ANON_SHARED, 0, 512 * MiB);
	static const uint64_t offs[] = { 0, PG, 3 * PG, 16 * PG, 2 * MiB, 2 * MiB + PG, 64 * MiB };
	static const uint64_t lens[] = { PG, 3 * PG, 5 * PG, 64 * PG, 2 * MiB, 3 * MiB, 128 * MiB };
	uint64_t out;

	for (unsigned int i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (unsigned int j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			op_map_auto(fd, ioas, b + offs[i], lens[j]);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* transparent huge pages asked for: the IOVA choice must not change */
	madvise(b, 512 * MiB, MADV_HUGEPAGE);
	op_map_auto(fd, ioas, b + 2 * MiB, 4 * MiB);
	op_map_auto(fd, ioas, b + PG, 4 * MiB);
	/* misaligned inputs */
	op_map_auto(fd, ioas, b + 1, PG);
	op_map_auto(fd, ioas, b, PG + 1);
	op_map_auto(fd, ioas, b, 0);
	op_map_fixed(fd, ioas, b, PG, 0x1001);
	op_map_fixed(fd, ioas, b + 0x800, PG, 0x100800);
	op_map_fixed(fd, ioas, b, PG, 0);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

static void sc_huge_pages_option(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t v = 0, out, iova;
	struct mock_dev d;

	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v);
	v = 0;
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v);
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v);
	v = 2;
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v);
	v = 1;
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, &v);
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, 7, ioas, &v);
	iova = op_map_auto(fd, ioas, b + 2 * MiB, 2 * MiB);
	op_mock_domain(fd, ioas, 0, &d);
	op_ranges(fd, ioas, 8);
	op_check_map(fd, d.hwpt_id, iova, b + 2 * MiB, 2 * MiB);
	op_unmap(fd, ioas, 0, ALL, &out);
	v = 1;
	op_option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas, &v);
	/* a device with 2 KiB pages in a 4 KiB IOAS; then maps at 2 KiB granularity */
	op_map_fixed(fd, ioas, b, 2 * PG, AP_START + 0x800);
	op_map_fixed(fd, ioas, b, 2 * PG, AP_START);
	op_ranges(fd, ioas, 8);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

/* ---- unmap rules ------------------------------------------------------------------------ */

static void sc_unmap_rules(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t out;

	op_map_fixed(fd, ioas, b, 4 * PG, 0x10000);
	op_map_fixed(fd, ioas, b + 4 * PG, 4 * PG, 0x14000);
	op_map_fixed(fd, ioas, b, 2 * PG, 0x20000);
	op_map_fixed(fd, ioas, b, 2 * PG, 0x21000);
	op_map_fixed(fd, ioas, b, 2 * PG, 0x1f000);
	op_unmap(fd, ioas, 0x10000, PG, &out);
	op_unmap(fd, ioas, 0x12000, 4 * PG, &out);
	op_unmap(fd, ioas, 0x11000, ALL - 0x11000 + 1, &out);
	op_unmap(fd, ioas, 0x10000, 8 * PG, &out);
	op_unmap(fd, ioas, 0x10000, 8 * PG, &out);
	op_unmap(fd, ioas, 0x1e000, 6 * PG, &out);
	op_unmap(fd, ioas, 0x20000, 0, &out);
	op_unmap(fd, ioas, 0x20001, PG, &out);
	op_unmap(fd, ioas, 0x20000, PG + 1, &out);
	op_unmap(fd, ioas, ALL - PG + 1, 2 * PG, &out);
	op_unmap(fd, ioas, ALL - PG + 1, PG, &out);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_unmap(fd, ioas, 0x20000, 2 * PG, &out);
	/* unmap-all counts: several areas, holes between them */
	op_map_fixed(fd, ioas, b, 3 * PG, 0x100000);
	op_map_fixed(fd, ioas, b, 5 * PG, 0x200000);
	op_map_fixed(fd, ioas, b, PG, ALL - PG + 1);
	op_map_fixed(fd, ioas, b, PG, 0);
	op_unmap(fd, ioas, 0, ALL - PG, &out);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_unmap(fd, 999, 0, ALL, &out);
	tr_close(fd);
}

/* A refused unmap: the areas before the one that sticks out of the range. */
static void sc_unmap_prefix(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t out;

	op_map_fixed(fd, ioas, b, 4 * PG, 0x10000);
	op_map_fixed(fd, ioas, b, 4 * PG, 0x14000);
	op_map_fixed(fd, ioas, b, 8 * PG, 0x18000);
	op_unmap(fd, ioas, 0x10000, 12 * PG, &out);
	op_ranges(fd, ioas, 4);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_map_fixed(fd, ioas, b, 4 * PG, 0x10000);
	op_map_fixed(fd, ioas, b, 8 * PG, 0x18000);
	op_unmap(fd, ioas, 0x8000, 0x14000, &out);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

/* ---- IOVA ranges with domains ----------------------------------------------------------- */

static void sc_iova_ranges_domains(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	struct mock_dev d1, d2;
	uint64_t out;

	op_ranges(fd, ioas, 0);
	op_ranges(fd, ioas, 1);
	op_mock_domain(fd, ioas, 0, &d1);
	op_ranges(fd, ioas, 0);
	op_ranges(fd, ioas, 8);
	op_add_reserved(fd, ioas, AP_START + 16 * MiB, MiB);
	op_ranges(fd, ioas, 1);
	op_ranges(fd, ioas, 8);
	op_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, &d2);
	op_ranges(fd, ioas, 8);
	/* maps outside the aperture */
	op_map_fixed(fd, ioas, b, PG, AP_START - PG);
	op_map_fixed(fd, ioas, b, PG, AP_LAST + 1);
	op_map_fixed(fd, ioas, b, 2 * PG, AP_LAST - PG + 1);
	op_map_auto(fd, ioas, b, 4 * MiB);
	op_map_auto(fd, ioas, b + PG, PG);
	{
		uint64_t r[] = { 0, AP_START + MiB - 1 };

		op_allow(fd, ioas, 1, r);
		op_map_auto(fd, ioas, b, MiB);
		op_map_auto(fd, ioas, b, 2 * MiB);
	}
	op_destroy(fd, d2.stdev_id);
	op_ranges(fd, ioas, 8);
	op_destroy(fd, d1.stdev_id);
	op_ranges(fd, ioas, 8);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

/* ---- copy ----------------------------------------------------------------------------- */

static void sc_copy(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t a = op_ioas_alloc(fd), c = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t dst, out;
	struct mock_dev d;

	op_map_fixed(fd, a, b, 16 * PG, 0x100000);
	op_map_fixed(fd, a, b + 16 * PG, 16 * PG, 0x110000);
	dst = 0x400000;
	op_copy(fd, c, a, 0x100000, 16 * PG, &dst,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
	dst = 0;
	op_copy(fd, c, a, 0x104000, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, a, 0x10e000, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, a, 0x100000, 32 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, a, 0x120000, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, a, 0x100000, 4 * PG, &dst, 1U << 5);
	op_copy(fd, c, a, 0x100800, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, a, 0x100000, 0, &dst, IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, a, a, 0x100000, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	dst = 0x400000;
	op_copy(fd, c, a, 0x100000, 4 * PG, &dst,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	op_copy(fd, c, 999, 0x100000, 4 * PG, &dst, IOMMU_IOAS_MAP_READABLE);
	/* the copy stays when the source goes */
	op_unmap(fd, a, 0, ALL, &out);
	op_mock_domain(fd, c, 0, &d);
	op_check_map(fd, d.hwpt_id, 0x400000, b, 16 * PG);
	op_check_refs(fd, b, 16 * PG, 1);
	op_unmap(fd, c, 0, ALL, &out);
	op_check_refs(fd, b, 16 * PG, 0);
	tr_close(fd);
}

/* ---- fork and SCM_RIGHTS -------------------------------------------------------------- */

static void sc_fork(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	int go[2], done[2];
	struct mock_dev d;
	pid_t pid;
	uint64_t out;
	char c = 0;

	op_map_fixed(fd, ioas, b, 4 * PG, 0x100000);
	if (pipe(go) || pipe(done))
		exit(2);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* the child maps memory of its own through the inherited fd */
		char *cb = tr_mem("childbuf", TR_ANON_SHARED, 1 * GiB, 16 * PG);

		op_map_fixed(fd, ioas, cb, 16 * PG, 0x200000);
		op_ioas_alloc(fd);
		op_ranges(fd, ioas, 4);
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	if (read(done[0], &c, 1) != 1)
		exit(2);
	tr_note("child is alive");
	/* pins the child's pages while the child lives */
	op_mock_domain(fd, ioas, 0, &d);
	op_unmap(fd, ioas, 0x200000, 16 * PG, &out);
	op_destroy(fd, d.stdev_id);
	if (write(go[1], &c, 1) != 1)
		exit(2);
	waitpid(pid, NULL, 0);
	tr_note("child is gone");
	/* a fresh child maps, exits; its memory is gone before any domain pins it */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *cb = tr_mem("childbuf2", TR_ANON_SHARED, 1 * GiB, 16 * PG);

		op_map_fixed(fd, ioas, cb, 16 * PG, 0x300000);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	tr_note("second child is gone");
	op_ranges(fd, ioas, 4);
	op_mock_domain(fd, ioas, 0, &d);
	op_unmap(fd, ioas, 0x300000, 16 * PG, &out);
	op_mock_domain(fd, ioas, 0, &d);
	op_check_map(fd, d.hwpt_id, 0x100000, b, 4 * PG);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 'f';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void sc_scm_rights(void)
{
	char *b = buf();
	int sv[2], fd;
	pid_t pid;
	uint32_t ioas = 0;
	struct mock_dev d;
	uint64_t out;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(2);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* the child opens, makes an IOAS, sends the fd and closes its own */
		int cfd = tr_open_iommu("childfd");
		char *cb = tr_mem("childbuf", TR_ANON_SHARED, 1 * GiB, 16 * PG);

		close(sv[0]);
		op_ioas_alloc(cfd);
		op_map_fixed(cfd, 1, cb, 16 * PG, 0x200000);
		if (send_fd(sv[1], cfd))
			_exit(2);
		tr_close(cfd);
		_exit(0);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	waitpid(pid, NULL, 0);
	tr_note("received an fd: %s", fd >= 0 ? "yes" : "no");
	tr_fd_name(fd, "received");
	ioas = 1;
	op_ranges(fd, ioas, 4);
	op_map_fixed(fd, ioas, b, 4 * PG, 0x100000);
	op_unmap(fd, ioas, 0x200000, 16 * PG, &out);
	op_mock_domain(fd, ioas, 0, &d);
	op_check_map(fd, d.hwpt_id, 0x100000, b, 4 * PG);
	op_check_refs(fd, b, 4 * PG, 1);
	/* and back: a dup'd fd is the same context */
	{
		int fd2 = dup(fd);

		tr_fd_name(fd2, "dup");
		op_ioas_alloc(fd2);
		tr_close(fd);
		op_ranges(fd2, ioas, 4);
		op_unmap(fd2, ioas, 0, ALL, &out);
		tr_close(fd2);
	}
	{
		int fd3 = tr_open_iommu("fresh");

		op_check_refs(fd3, b, 4 * PG, 0);
		tr_close(fd3);
	}
}

/* ---- memory kinds ---------------------------------------------------------------------- */

/*
 * One kind of memory mapped with and without a domain, read and written through an access,
 * checked in the mock domain and by pin count. Private anonymous and written private file
 * pages cannot be pinned by the daemon: those calls are tagged [doc:private-pin].
 */
static void memory_kind(enum tr_mem_kind kind, uint64_t len, bool private_pin)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *m = tr_mem("mem", kind, 4 * MiB, len);
	char *rd = tr_mem("rd", TR_ANON_PRIVATE, 512 * MiB, 4 * PG);
	struct mock_dev d;
	uint64_t out, iova;
	int access;
	/*
	 * The kernel's MD_CHECK_REFS skips compound pages (hugetlb, THP) and so passes any
	 * count there; ioasid counts its pins on every page.
	 */
	const bool compound = kind == TR_HUGETLB || kind == TR_HUGETLB_SHARED;
	const char *doc = private_pin ? "private-pin" : NULL;

	if (!m) {
		tr_skip("memory of this kind is not available here");
		return;
	}
	iova = op_map_auto(fd, ioas, m, len);
	op_map_fixed(fd, ioas, m, len, 64 * MiB);
	op_map_fixed(fd, ioas, m + PG, PG, 128 * MiB);
	access = op_create_access(fd, ioas, 0);
	if (private_pin)
		tr_doc("private-pin");
	op_access_rw(fd, access, 64 * MiB + PG - 16, rd, 32, 0);
	op_access_rw(fd, access, 64 * MiB + 2 * PG, rd, 64, MOCK_ACCESS_RW_SLOW_PATH);
	op_access_rw(fd, access, 64 * MiB + 3 * PG, rd + PG, 8, MOCK_ACCESS_RW_WRITE);
	tr_note("memory after write: %02x%02x", (unsigned char)m[3 * PG],
		(unsigned char)m[3 * PG + 7]);
	op_access_pages(fd, access, 64 * MiB, 2 * PG, m, 0, NULL);
	tr_doc(compound && !doc ? "compound-refs" : doc);
	op_check_refs(fd, m, 2 * PG, 1);
	tr_doc(doc);
	/* the automatic IOVA is below the mock aperture: take it away before the domain */
	op_unmap(fd, ioas, iova, len, &out);
	op_mock_domain(fd, ioas, 0, &d);
	op_check_map(fd, d.hwpt_id, 64 * MiB, m, len);
	op_check_map(fd, d.hwpt_id, 128 * MiB, m + PG, PG);
	tr_doc(compound && !doc ? "compound-refs" : doc);
	op_check_refs(fd, m, 2 * PG, 2);
	tr_doc(doc);
	tr_doc(compound && !doc ? "compound-refs" : doc);
	op_check_refs(fd, m + 2 * PG, PG, 1);
	tr_doc(doc);
	op_map_fixed(fd, ioas, m, len, 256 * MiB);
	tr_doc(compound && !doc ? "compound-refs" : doc);
	op_check_refs(fd, m + 2 * PG, PG, 2);
	tr_doc(doc);
	/* the device exists only where the domain could pin */
	op_destroy(fd, d.stdev_id);
	tr_doc(NULL);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
	{
		int fd2 = tr_open_iommu("again");

		tr_doc(compound ? "compound-refs" : NULL);
		op_check_refs(fd2, m, len, 0);
		tr_doc(NULL);
		tr_close(fd2);
	}
}

static void sc_memory_anon_private(void)
{
	memory_kind(TR_ANON_PRIVATE, 16 * PG, true);
}

static void sc_memory_anon_shared(void)
{
	memory_kind(TR_ANON_SHARED, 16 * PG, false);
}

static void sc_memory_memfd(void)
{
	memory_kind(TR_MEMFD, 16 * PG, false);
}

static void sc_memory_file_shared(void)
{
	memory_kind(TR_FILE_SHARED, 16 * PG, false);
}

static void sc_memory_file_private(void)
{
	memory_kind(TR_FILE_PRIVATE, 16 * PG, true);
}

static void sc_memory_hugetlb(void)
{
	memory_kind(TR_HUGETLB, 2 * TR_HPAGE, true);
}

static void sc_memory_hugetlb_shared(void)
{
	memory_kind(TR_HUGETLB_SHARED, 2 * TR_HPAGE, false);
}

/* ---- accounting ------------------------------------------------------------------------- */

static void sc_accounting(void)
{
	static const int caps[] = { CAP_IPC_LOCK, CAP_SYS_RESOURCE };
	struct rlimit rl = { 64 * PG, 64 * PG };
	int fd;
	uint32_t ioas;
	char *b = buf();
	struct mock_dev d;
	uint64_t v = 0, out;
	int access;

	/* the same privilege on both sides: no CAP_IPC_LOCK, no CAP_SYS_RESOURCE */
	ops_drop_caps(caps, 2);
	setrlimit(RLIMIT_MEMLOCK, &rl);
	fd = tr_open_iommu("iommufd");
	ioas = op_ioas_alloc(fd);
	op_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v);
	v = 1;
	op_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v);
	op_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, ioas, &v);
	op_option(fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v);
	op_option(fd, 5, IOMMU_OPTION_OP_GET, 0, &v);
	/* mapping does not pin; a domain pins, up to RLIMIT_MEMLOCK */
	op_map_fixed(fd, ioas, b, 48 * PG, AP_START);
	op_map_fixed(fd, ioas, b + 48 * PG, 48 * PG, AP_START + 48 * PG);
	op_mock_domain(fd, ioas, 0, &d);
	op_unmap(fd, ioas, AP_START + 48 * PG, 48 * PG, &out);
	op_mock_domain(fd, ioas, 0, &d);
	op_map_fixed(fd, ioas, b + 48 * PG, 16 * PG, AP_START + 48 * PG);
	op_map_fixed(fd, ioas, b + 64 * PG, PG, AP_START + 64 * PG);
	/* the same pages again count again in the user mode */
	op_map_fixed(fd, ioas, b, PG, AP_START + 1024 * PG);
	access = op_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	op_access_pages(fd, access, AP_START, 4 * PG, b, 0, NULL);
	op_destroy(fd, d.stdev_id);
	op_map_fixed(fd, ioas, b + 64 * PG, PG, AP_START + 64 * PG);
	op_unmap(fd, ioas, 0, ALL, &out);
	/* the selftest's own cap on pages per pin batch */
	op_memory_limit(fd, 4);
	op_map_fixed(fd, ioas, b, 16 * PG, AP_START);
	op_mock_domain(fd, ioas, 0, &d);
	op_check_map(fd, d.hwpt_id, AP_START, b, 16 * PG);
	op_memory_limit(fd, 0);
	tr_close(fd);
}

/* ---- accesses ------------------------------------------------------------------------- */

static void sc_access(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd), ioas2 = op_ioas_alloc(fd);
	char *b = buf();
	char *rd = tr_mem("rd", TR_ANON_PRIVATE, 512 * MiB, 4 * PG);
	uint32_t p1 = 0, p2 = 0;
	uint64_t out, iova;
	int a1, a2;

	op_map_fixed(fd, ioas, b, 8 * PG, 0x100000);
	op_map_fixed(fd, ioas, b + 8 * PG, 8 * PG, 0x108000);
	iova = 0x200000;
	op_map(fd, ioas, b, 4 * PG, &iova, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	a1 = op_create_access(fd, ioas, 0);
	a2 = op_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	op_create_access(fd, 999, 0);
	op_create_access(fd, ioas, 1U << 8);
	op_access_pages(fd, a1, 0x100000, 4 * PG, b, MOCK_FLAGS_ACCESS_WRITE, &p1);
	op_access_pages(fd, a1, 0x106000, 4 * PG, b + 6 * PG, 0, &p2);
	op_access_pages(fd, a1, 0x200000, PG, b, MOCK_FLAGS_ACCESS_WRITE, NULL);
	op_access_pages(fd, a1, 0x200000, PG, b, 0, NULL);
	op_access_pages(fd, a1, 0x300000, PG, b, 0, NULL);
	op_access_pages(fd, a1, 0x100800, PG, b + 0x800, 0, NULL);
	op_access_pages(fd, a1, 0x100000, 0, b, 0, NULL);
	op_check_refs(fd, b, 4 * PG, 1);
	/* an unmap under a pin: the access is told and lets go */
	op_unmap(fd, ioas, 0x100000, 8 * PG, &out);
	op_check_refs(fd, b, 4 * PG, 0);
	op_destroy_access_pages(fd, a1, p1);
	op_destroy_access_pages(fd, a1, p2);
	op_destroy_access_pages(fd, a1, 77);
	op_access_pages(fd, a2, 0x108000, 2 * PG, b + 8 * PG, 0, &p1);
	op_unmap(fd, ioas, 0x108000, 8 * PG, &out);
	/* reads and writes, across areas and into holes */
	op_map_fixed(fd, ioas, b, 8 * PG, 0x100000);
	op_map_fixed(fd, ioas, b + 8 * PG, 8 * PG, 0x108000);
	op_access_rw(fd, a1, 0x107ff0, rd, 32, 0);
	op_access_rw(fd, a1, 0x107ff0, rd, 32, MOCK_ACCESS_RW_SLOW_PATH);
	op_access_rw(fd, a1, 0x10fff0, rd, 32, 0);
	op_access_rw(fd, a1, 0x100001, rd + PG, 3, MOCK_ACCESS_RW_WRITE);
	op_access_rw(fd, a1, 0x100000, rd, 8, 0);
	op_access_rw(fd, a1, 0x200000, rd + PG, 8, MOCK_ACCESS_RW_WRITE);
	op_access_rw(fd, a1, 0x200000, rd, 8, 0);
	op_access_rw(fd, a1, 0x100000, rd, 0, 0);
	op_access_rw(fd, a1, 0x100000, rd, 8, 1U << 7);
	/* the access moves to another IOAS */
	op_access_replace(fd, a1, ioas2);
	op_access_rw(fd, a1, 0x100000, rd, 8, 0);
	op_map_fixed(fd, ioas2, b + PG, PG, 0x100000);
	op_access_rw(fd, a1, 0x100000, rd, 8, 0);
	op_access_replace(fd, a1, 999);
	op_destroy(fd, ioas2);
	tr_close(a2);
	op_access_rw(fd, a2, 0x100000, rd, 8, 0);
	op_unmap(fd, ioas, 0, ALL, &out);
	tr_close(fd);
}

/* ---- VFIO type1 compatibility --------------------------------------------------------- */

static void vfio_info(int fd, uint32_t argsz)
{
	struct vfio_iommu_type1_info *i = ops_scratch();

	i->argsz = argsz;
	tr_ioctl(fd, VFIO_IOMMU_GET_INFO, i);
}

static long vfio_map(int fd, const void *va, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = flags,
					      .vaddr = (uintptr_t)va,
					      .iova = iova,
					      .size = size };

	return tr_ioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
}

static long vfio_unmap(int fd, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size
	};

	return tr_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);
}

static void vfio_type1(unsigned long type)
{
	int fd = tr_open_iommu("iommufd");
	char *b = buf();
	uint32_t ioas;
	struct mock_dev d;
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

	tr_ioctl_raw(fd, VFIO_GET_API_VERSION, 0);
	for (unsigned long e = 0; e <= 12; e++)
		tr_ioctl_raw(fd, VFIO_CHECK_EXTENSION, e);
	vfio_info(fd, sizeof(struct vfio_iommu_type1_info));
	tr_ioctl_raw(fd, VFIO_SET_IOMMU, type);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, 0);
	ioas = op_ioas_alloc(fd);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, ioas);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, 0);
	tr_ioctl_raw(fd, VFIO_SET_IOMMU, 99);
	tr_ioctl_raw(fd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU);
	tr_ioctl_raw(fd, VFIO_SET_IOMMU, type);
	op_mock_domain(fd, ioas, 0, &d);
	vfio_info(fd, 8);
	vfio_info(fd, sizeof(struct vfio_iommu_type1_info));
	vfio_info(fd, 256);
	vfio_map(fd, b, AP_START, 16 * PG, rw);
	vfio_map(fd, b, AP_START + 16 * PG, 16 * PG, VFIO_DMA_MAP_FLAG_READ);
	vfio_map(fd, b, AP_START, 16 * PG, rw);
	vfio_map(fd, b + 1, AP_START + 64 * PG, 16 * PG, rw);
	vfio_map(fd, b, AP_START + 64 * PG, 0, rw);
	vfio_map(fd, b, AP_START + 64 * PG, PG, rw | VFIO_DMA_MAP_FLAG_VADDR);
	vfio_map(fd, b, AP_START + 64 * PG, PG, 1U << 9);
	op_check_map(fd, d.hwpt_id, AP_START, b, 16 * PG);
	/* part of a mapping: type1 splits it, type1v2 refuses */
	vfio_unmap(fd, AP_START + 4 * PG, 4 * PG, 0);
	vfio_unmap(fd, AP_START, 4 * PG, 0);
	vfio_unmap(fd, AP_START + 100 * PG, 4 * PG, 0);
	vfio_unmap(fd, AP_START, 0, 0);
	vfio_unmap(fd, 1, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR);
	vfio_unmap(fd, 0, 0, 1U << 7);
	vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	vfio_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	tr_ioctl_raw(fd, VFIO_IOMMU_ENABLE, 0);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, 0);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, 0);
	op_vfio_ioas(fd, 9, 0);
	vfio_map(fd, b, AP_START, 16 * PG, rw);
	tr_close(fd);
}

static void sc_vfio_type1(void)
{
	vfio_type1(VFIO_TYPE1_IOMMU);
}

static void sc_vfio_type1v2(void)
{
	vfio_type1(VFIO_TYPE1v2_IOMMU);
}

static void sc_vfio_auto_ioas(void)
{
	int fd = tr_open_iommu("iommufd");
	char *b = buf();

	/* no IOAS chosen: SET_IOMMU makes one */
	tr_ioctl_raw(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	op_vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, 0);
	vfio_info(fd, 256);
	vfio_map(fd, b, 0x100000, 4 * PG, VFIO_DMA_MAP_FLAG_READ);
	op_ranges(fd, 1, 4);
	op_destroy(fd, 1);
	vfio_info(fd, 256);
	tr_close(fd);
}

/* ---- HWPT alloc and replace ----------------------------------------------------------- */

static void sc_hwpt(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd), ioas2 = op_ioas_alloc(fd);
	char *b = buf();
	uint32_t h1 = 0, h2 = 0, h3 = 0;
	struct mock_dev d;
	uint64_t out;

	op_map_fixed(fd, ioas, b, 4 * PG, AP_START);
	op_mock_domain(fd, ioas, 0, &d);
	op_hw_info(fd, d.idev_id, 64);
	op_hw_info(fd, d.idev_id, 0);
	op_hw_info(fd, d.idev_id, 4);
	op_hw_info(fd, d.stdev_id, 64);
	op_hw_info(fd, 999, 64);
	op_hwpt_alloc(fd, d.idev_id, ioas, 0, &h1);
	op_hwpt_alloc(fd, d.idev_id, ioas2, IOMMU_HWPT_ALLOC_NEST_PARENT, &h2);
	op_hwpt_alloc(fd, d.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h3);
	op_hwpt_alloc(fd, d.idev_id, ioas, 1U << 9, NULL);
	op_hwpt_alloc(fd, d.idev_id, 999, 0, NULL);
	op_hwpt_alloc(fd, 999, ioas, 0, NULL);
	op_hwpt_alloc(fd, d.idev_id, h1, 0, NULL);
	op_hwpt_alloc(fd, ioas, ioas, 0, NULL);
	op_check_map(fd, h1, AP_START, b, 4 * PG);
	/* replace: to another HWPT, to another IOAS, back */
	op_replace(fd, d.stdev_id, h1);
	op_destroy(fd, h1);
	op_destroy(fd, d.hwpt_id);
	op_replace(fd, d.stdev_id, ioas2);
	op_map_fixed(fd, ioas2, b, 4 * PG, AP_START);
	op_check_map(fd, h2, AP_START, b, 4 * PG);
	op_replace(fd, d.stdev_id, h2);
	op_replace(fd, d.stdev_id, 999);
	op_replace(fd, d.stdev_id, d.idev_id);
	op_destroy(fd, ioas2);
	op_destroy(fd, h1);
	op_destroy(fd, h3);
	op_destroy(fd, d.idev_id);
	op_destroy(fd, d.stdev_id);
	op_destroy(fd, h2);
	op_destroy(fd, ioas2);
	op_unmap(fd, ioas, 0, ALL, &out);
	op_destroy(fd, ioas);
	op_destroy(fd, ioas);
	tr_close(fd);
}

/* ---- dirty tracking ------------------------------------------------------------------- */

static void sc_dirty(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t *marks = (uint64_t *)tr_mem("marks", TR_ANON_PRIVATE, 512 * MiB, PG);
	uint32_t h = 0, h0 = 0;
	struct mock_dev d, nd;

	op_map_fixed(fd, ioas, b, 64 * PG, AP_START);
	op_mock_domain(fd, ioas, 0, &d);
	op_mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd);
	op_hw_info(fd, nd.idev_id, 64);
	op_hwpt_alloc(fd, nd.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL);
	op_hwpt_alloc(fd, d.idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h);
	op_hwpt_alloc(fd, d.idev_id, ioas, 0, &h0);
	op_replace(fd, nd.stdev_id, h);
	op_replace(fd, d.stdev_id, h);
	op_set_dirty(fd, h0, true);
	op_get_dirty(fd, h0, AP_START, 64 * PG, PG, 0);
	op_set_dirty(fd, h, true);
	op_set_dirty(fd, h, true);
	marks[0] = 0x8000000000000f05ULL;
	op_test_dirty(fd, h, AP_START, 64 * PG, PG, marks);
	op_get_dirty(fd, h, AP_START, 64 * PG, PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	op_get_dirty(fd, h, AP_START, 64 * PG, 2 * PG, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	op_get_dirty(fd, h, AP_START, 64 * PG, PG, 0);
	op_get_dirty(fd, h, AP_START, 64 * PG, PG, 0);
	op_get_dirty(fd, h, AP_START + 0x800, 8 * PG, PG, 0);
	op_get_dirty(fd, h, AP_START, 8 * PG, 3 * PG, 0);
	op_get_dirty(fd, h, AP_START, 0, PG, 0);
	op_get_dirty(fd, h, AP_START, 8 * PG, 0, 0);
	op_get_dirty(fd, h, AP_START, 8 * PG, PG, 1U << 4);
	op_get_dirty(fd, h, AP_START + 128 * PG, 8 * PG, PG, 0);
	op_get_dirty(fd, h, ALL - PG + 1, 2 * PG, PG, 0);
	marks[0] = ~0ULL;
	op_test_dirty(fd, h, AP_START + 32 * PG, 8 * PG, PG, marks);
	op_get_dirty(fd, h, AP_START + 32 * PG, 8 * PG, PG, 0);
	op_set_dirty(fd, h, false);
	op_test_dirty(fd, h, AP_START, 8 * PG, PG, marks);
	op_get_dirty(fd, h, AP_START, 8 * PG, PG, 0);
	{
		struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
							   .flags = 2,
							   .hwpt_id = h };

		tr_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
	}
	op_set_dirty(fd, ioas, true);
	op_set_dirty(fd, 999, true);
	tr_close(fd);
}

/* ---- every command's size and argument rules ------------------------------------------ */

static void sc_errno_sizes(void)
{
	static const unsigned long cmds[] = {
		IOMMU_DESTROY,
		IOMMU_IOAS_ALLOC,
		IOMMU_IOAS_ALLOW_IOVAS,
		IOMMU_IOAS_COPY,
		IOMMU_IOAS_IOVA_RANGES,
		IOMMU_IOAS_MAP,
		IOMMU_IOAS_UNMAP,
		IOMMU_OPTION,
		IOMMU_VFIO_IOAS,
		IOMMU_HWPT_ALLOC,
		IOMMU_GET_HW_INFO,
		IOMMU_HWPT_SET_DIRTY_TRACKING,
		IOMMU_HWPT_GET_DIRTY_BITMAP,
		IOMMU_HWPT_INVALIDATE,
		IOMMU_FAULT_QUEUE_ALLOC,
		IOMMU_IOAS_MAP_FILE,
		IOMMU_VIOMMU_ALLOC,
		IOMMU_VDEVICE_ALLOC,
		IOMMU_IOAS_CHANGE_PROCESS,
		IOMMU_VEVENTQ_ALLOC,
		IOMMU_TEST_CMD,
	};
	int fd = tr_open_iommu("iommufd");
	uint32_t *raw = ops_scratch();

	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* commands Linux added after 6.12: ENOTTY there, served by ioasid */
		bool later = cmds[i] == IOMMU_IOAS_MAP_FILE || cmds[i] == IOMMU_VIOMMU_ALLOC ||
			     cmds[i] == IOMMU_VDEVICE_ALLOC ||
			     cmds[i] == IOMMU_IOAS_CHANGE_PROCESS || cmds[i] == IOMMU_VEVENTQ_ALLOC;

		tr_doc(later ? "after-6.12" : NULL);
		/* size 0, 4, 8, 24, 300 with a zero tail, 300 with a non-zero tail */
		static const uint32_t sizes[] = { 0, 4, 8, 24, 300 };

		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			memset(raw, 0, 512);
			raw[0] = sizes[s];
			tr_ioctl(fd, cmds[i], raw);
		}
		memset(raw, 0, 512);
		raw[0] = 300;
		raw[70] = 1;
		tr_ioctl(fd, cmds[i], raw);
		tr_ioctl_raw(fd, cmds[i], 0);
		tr_ioctl_raw(fd, cmds[i], 0x10);
	}
	tr_doc(NULL);
	tr_ioctl_raw(fd, _IO(IOMMUFD_TYPE, 0x7f), 0);
	tr_ioctl_raw(fd, _IO(IOMMUFD_TYPE, 0xff), 0);
	tr_ioctl_raw(fd, _IO('Q', 0x80), 0);
	tr_ioctl_raw(fd, _IOWR(IOMMUFD_TYPE, 0x81, struct iommu_ioas_alloc), 0);
	{
		struct iommu_test_cmd t = { .size = sizeof(t), .op = 77 };

		tr_ioctl(fd, IOMMU_TEST_CMD, &t);
	}
	tr_close(fd);
	tr_ioctl_raw(fd, IOMMU_IOAS_ALLOC, 0);
}

static void sc_errno_args(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	uint64_t iova, out;

	{
		struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };

		tr_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	}
	{
		struct iommu_ioas_map m = { .size = sizeof(m),
					    .flags = IOMMU_IOAS_MAP_READABLE,
					    .ioas_id = ioas,
					    .__reserved = 1,
					    .user_va = (uintptr_t)b,
					    .length = PG };

		tr_ioctl(fd, IOMMU_IOAS_MAP, &m);
	}
	{
		struct iommu_ioas_iova_ranges r = { .size = sizeof(r),
						    .ioas_id = ioas,
						    .__reserved = 1 };

		tr_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	}
	{
		struct iommu_ioas_allow_iovas a = { .size = sizeof(a),
						    .ioas_id = ioas,
						    .num_iovas = 1,
						    .__reserved = 1,
						    .allowed_iovas = (uintptr_t)ops_scratch() };

		tr_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
		a.__reserved = 0;
		a.allowed_iovas = 0x10;
		tr_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
		a.num_iovas = 1U << 30;
		tr_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
	}
	{
		struct iommu_ioas_iova_ranges r = {
			.size = sizeof(r), .ioas_id = ioas, .num_iovas = 4, .allowed_iovas = 0x10
		};

		tr_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	}
	/* maps: every flag alone, unknown flags, bad pointers, lengths, wrapping */
	for (uint32_t f = 0; f < 16; f++) {
		iova = 0x100000 * (f + 1);
		op_map(fd, ioas, b, PG, &iova, f);
	}
	iova = 0x2000000;
	op_map(fd, ioas, b, PG, &iova, 1U << 31 | IOMMU_IOAS_MAP_FIXED_IOVA);
	op_map(fd, ioas, NULL, PG, &iova, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	op_map(fd, ioas, (void *)0x1000, PG, &iova,
	       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	op_map(fd, ioas, (void *)0xffff800000000000ULL, PG, &iova,
	       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	op_map(fd, ioas, (void *)(ALL - PG + 1), 2 * PG, &iova,
	       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE);
	op_map_fixed(fd, ioas, b, ALL - PG + 1, 0);
	op_map_fixed(fd, ioas, b, 2 * PG, ALL - PG + 1);
	op_map_fixed(fd, ioas, b, PG, ALL - PG + 1);
	op_map_fixed(fd, ioas, b, 1ULL << 62, 0x4000000);
	op_map_auto(fd, ioas, b, 1ULL << 62);
	op_map_auto(fd, ioas, b, ALL);
	op_map_fixed(fd, ioas, b, PG, 0x3000000);
	op_map_fixed(fd, ioas, b, PG, 0x3000000);
	op_map_fixed(fd, 999, b, PG, 0x3000000);
	op_map_fixed(fd, 0, b, PG, 0x3000000);
	/* names of objects of another type */
	{
		struct mock_dev d;

		op_mock_domain(fd, ioas, 0, &d);
		op_map_fixed(fd, d.hwpt_id, b, PG, AP_START);
		op_map_fixed(fd, d.idev_id, b, PG, AP_START);
		op_unmap(fd, d.hwpt_id, 0, ALL, &out);
		op_ranges(fd, d.stdev_id, 4);
		op_mock_domain(fd, d.hwpt_id, 0, NULL);
		op_mock_domain(fd, 999, 0, NULL);
		op_mock_domain(fd, ioas, 1U << 12, NULL);
		op_destroy(fd, d.idev_id);
		op_destroy(fd, 0);
		op_destroy(fd, ioas);
	}
	{
		struct iommu_option o = { .size = sizeof(o),
					  .option_id = IOMMU_OPTION_HUGE_PAGES,
					  .op = IOMMU_OPTION_OP_GET,
					  .__reserved = 1,
					  .object_id = ioas };

		tr_ioctl(fd, IOMMU_OPTION, &o);
	}
	{
		struct iommu_vfio_ioas v = { .size = sizeof(v),
					     .op = IOMMU_VFIO_IOAS_SET,
					     .ioas_id = ioas,
					     .__reserved = 1 };

		tr_ioctl(fd, IOMMU_VFIO_IOAS, &v);
		v.__reserved = 0;
		v.ioas_id = 999;
		tr_ioctl(fd, IOMMU_VFIO_IOAS, &v);
	}
	tr_close(fd);
}

/* ---- close releases ------------------------------------------------------------------- */

static void sc_close_release(void)
{
	int fd = tr_open_iommu("iommufd");
	uint32_t ioas = op_ioas_alloc(fd);
	char *b = buf();
	struct mock_dev d;
	int access;

	op_map_fixed(fd, ioas, b, 8 * PG, AP_START);
	op_mock_domain(fd, ioas, 0, &d);
	access = op_create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	op_access_pages(fd, access, AP_START, 2 * PG, b, 0, NULL);
	op_check_refs(fd, b, 2 * PG, 2);
	op_check_refs(fd, b + 2 * PG, 6 * PG, 1);
	op_check_refs(fd, b + 8 * PG, PG, 0);
	op_check_refs(fd, b + 1, PG, 0);
	op_check_refs(fd, NULL, PG, 0);
	tr_close(access);
	tr_close(fd);
	fd = tr_open_iommu("iommufd2");
	op_check_refs(fd, b, 8 * PG, 0);
	op_ioas_alloc(fd);
	tr_close(fd);
}

const struct scenario scenarios[] = {
	{ "allowed_adjacent", sc_allowed_adjacent },
	{ "allowed_nested", sc_allowed_nested },
	{ "allowed_exhausted", sc_allowed_exhausted },
	{ "allowed_cleared", sc_allowed_cleared },
	{ "allowed_reserved", sc_allowed_reserved },
	{ "auto_alignment", sc_auto_alignment },
	{ "huge_pages_option", sc_huge_pages_option },
	{ "unmap_rules", sc_unmap_rules },
	{ "unmap_prefix", sc_unmap_prefix },
	{ "iova_ranges_domains", sc_iova_ranges_domains },
	{ "copy", sc_copy },
	{ "fork", sc_fork },
	{ "scm_rights", sc_scm_rights },
	{ "memory_anon_private", sc_memory_anon_private },
	{ "memory_anon_shared", sc_memory_anon_shared },
	{ "memory_memfd", sc_memory_memfd },
	{ "memory_file_shared", sc_memory_file_shared },
	{ "memory_file_private", sc_memory_file_private },
	{ "memory_hugetlb", sc_memory_hugetlb },
	{ "memory_hugetlb_shared", sc_memory_hugetlb_shared },
	{ "accounting", sc_accounting },
	{ "access", sc_access },
	{ "vfio_type1", sc_vfio_type1 },
	{ "vfio_type1v2", sc_vfio_type1v2 },
	{ "vfio_auto_ioas", sc_vfio_auto_ioas },
	{ "hwpt", sc_hwpt },
	{ "dirty", sc_dirty },
	{ "errno_sizes", sc_errno_sizes },
	{ "errno_args", sc_errno_args },
	{ "close_release", sc_close_release },
	{ NULL, NULL },
};
