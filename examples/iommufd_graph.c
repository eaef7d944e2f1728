/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_graph.c - build a small iommufd object graph through /dev/iommu and keep it alive
 * while another command looks at it (ioasidctl in `make run` and in tests/ctl):
 *
 *	build/tools/ioasid-run -- build/examples/iommufd-graph -- COMMAND [ARGS]
 *
 * It allocates an IOAS, maps a 2 MiB memfd (IOMMU_IOAS_MAP_FILE) and 64 KiB of shared
 * anonymous memory (IOMMU_IOAS_MAP) at IOVAs the allocator picks, and, when the selftest
 * interface is there (IOMMU_TEST_CMD, the default build), attaches a mock device to the IOAS:
 * an HWPT whose page table really maps both areas. Then it runs COMMAND with the graph in
 * its environment (IOASID_GRAPH_PID, _IOAS, _HWPT, _DEV, _IOVA_FILE, _IOVA_ANON; HWPT and DEV
 * are 0 without the selftest interface), waits for it, tears everything down and exits with
 * COMMAND's status. Without a command it prints the IDs and waits for its stdin to close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "iommufd-graph: FAILED: %s (errno %d: %s)\n", what, errno, \
				strerror(errno));                                                  \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static void setenv_u64(const char *name, uint64_t v, const char *fmt)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, (unsigned long long)v);
	setenv(name, buf, 1);
}

int main(int argc, char **argv)
{
	const size_t flen = 2 << 20, alen = 64 << 10;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = { .size = sizeof(mock), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint32_t hwpt = 0, dev = 0;
	int fd, mfd, status = 0;
	char *anon;

	if (argc > 1 && strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: iommufd-graph [-- COMMAND [ARGS]]\n");
		return 2;
	}
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0, "open /dev/iommu (run me under ioasid-run)");
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0, "IOMMU_IOAS_ALLOC");

	/* a mock device first: its aperture then shapes where the allocator puts the areas */
	mock.id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &mock) == 0) {
		hwpt = mock.mock_domain.out_hwpt_id;
		dev = mock.mock_domain.out_idev_id;
	}

	mfd = memfd_create("iommufd-graph", 0);
	CHECK(mfd >= 0 && ftruncate(mfd, flen) == 0, "memfd");
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = alloc.out_ioas_id,
		.fd = mfd,
		.length = flen,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf) == 0, "IOMMU_IOAS_MAP_FILE");
	anon = mmap(NULL, alen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(anon != MAP_FAILED, "mmap");
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.ioas_id = alloc.out_ioas_id,
		.user_va = (uintptr_t)anon,
		.length = alen,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0, "IOMMU_IOAS_MAP");

	printf("iommufd-graph: pid %d: IOAS %u, memfd at IOVA 0x%llx, anonymous at IOVA 0x%llx",
	       (int)getpid(), alloc.out_ioas_id, (unsigned long long)mf.iova,
	       (unsigned long long)m.iova);
	if (hwpt)
		printf(", mock device %u on HWPT %u\n", dev, hwpt);
	else
		printf(" (no selftest interface: no device, no HWPT)\n");
	fflush(stdout);

	setenv_u64("IOASID_GRAPH_PID", (uint64_t)getpid(), "%llu");
	setenv_u64("IOASID_GRAPH_IOAS", alloc.out_ioas_id, "%llu");
	setenv_u64("IOASID_GRAPH_HWPT", hwpt, "%llu");
	setenv_u64("IOASID_GRAPH_DEV", dev, "%llu");
	setenv_u64("IOASID_GRAPH_IOVA_FILE", mf.iova, "0x%llx");
	setenv_u64("IOASID_GRAPH_IOVA_ANON", m.iova, "0x%llx");
	if (argc > 2) {
		pid_t pid = fork();

		CHECK(pid >= 0, "fork");
		if (!pid) {
			close(fd); /* the child must not keep the context alive on its own */
			execvp(argv[2], argv + 2);
			fprintf(stderr, "iommufd-graph: %s: %s\n", argv[2], strerror(errno));
			_exit(127);
		}
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else {
		char buf[64];

		while (read(0, buf, sizeof(buf)) > 0)
			;
	}

	struct iommu_ioas_unmap u = { .size = sizeof(u),
				      .ioas_id = alloc.out_ioas_id,
				      .length = UINT64_MAX };
	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == flen + alen, "unmap all");
	close(fd);
	munmap(anon, alen);
	close(mfd);
	return status;
}
