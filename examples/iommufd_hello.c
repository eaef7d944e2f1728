/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd_hello.c - a program written for the kernel's iommufd and nothing else: it opens
 * /dev/iommu and uses only <linux/iommufd.h>. Run it under ioasid-run and it gets ioasid's
 * daemon instead of the kernel, without a change:
 *
 *	build/tools/ioasid-run -- build/examples/iommufd-hello
 *
 * It allocates two IOAS, asks which IOVA ranges are valid (with the EMSGSIZE retry), maps a
 * memfd-backed buffer (IOMMU_IOAS_MAP_FILE) and a shared anonymous one (IOMMU_IOAS_MAP) at
 * IOVAs the allocator picks, copies a mapping into the second IOAS, shows that a fixed map
 * over an existing one is refused with the kernel's errno (EEXIST), unmaps everything and
 * checks the byte counts. Exit status 0 only if every step behaved.
 */
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

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "iommufd-hello: FAILED: %s (errno %d: %s)\n", what, errno, \
				strerror(errno));                                                  \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static unsigned int ioas_alloc(int fd)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0, "IOMMU_IOAS_ALLOC");
	return alloc.out_ioas_id;
}

int main(void)
{
	const size_t len = 2 << 20;
	struct iommu_iova_range *ranges = NULL;
	struct iommu_ioas_iova_ranges rq = { .size = sizeof(rq) };
	unsigned int a, b;
	int fd, mfd;
	char *anon;

	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0, "open /dev/iommu (run me under ioasid-run)");
	a = ioas_alloc(fd);
	b = ioas_alloc(fd);
	printf("IOAS %u and %u allocated\n", a, b);

	/* ask with room for nothing: the kernel says how many there are (EMSGSIZE) */
	rq.ioas_id = a;
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rq) == -1 && errno == EMSGSIZE,
	      "IOVA_RANGES with no room gives EMSGSIZE");
	ranges = calloc(rq.num_iovas, sizeof(*ranges));
	rq.allowed_iovas = (uintptr_t)ranges;
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &rq) == 0, "IOVA_RANGES");
	for (unsigned int i = 0; i < rq.num_iovas; i++)
		printf("valid IOVA       [0x%llx, 0x%llx]\n", (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);

	/* a memfd, mapped by file and offset */
	mfd = memfd_create("iommufd-hello", 0);
	CHECK(mfd >= 0 && ftruncate(mfd, len) == 0, "memfd");
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = a,
		.fd = mfd,
		.start = 0,
		.length = len,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf) == 0, "IOMMU_IOAS_MAP_FILE");
	printf("memfd            -> IOVA 0x%llx (%zu KiB)\n", (unsigned long long)mf.iova,
	       len >> 10);

	/* shared anonymous memory, mapped by address */
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(anon != MAP_FAILED, "mmap");
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = a,
		.user_va = (uintptr_t)anon,
		.length = len,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0, "IOMMU_IOAS_MAP");
	printf("anonymous buffer -> IOVA 0x%llx\n", (unsigned long long)m.iova);

	/* the same IOVA again, fixed: the kernel's EEXIST */
	m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == -1 && errno == EEXIST, "overlap gives EEXIST");

	/* copy the file mapping into the second IOAS */
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = b,
		.src_ioas_id = a,
		.length = len,
		.src_iova = mf.iova,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_COPY, &c) == 0, "IOMMU_IOAS_COPY");
	printf("copied to IOAS %u -> IOVA 0x%llx\n", b, (unsigned long long)c.dst_iova);

	/* unmap everything: the byte counts come back */
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = a, .length = UINT64_MAX };
	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == 2 * len, "unmap all of A");
	u = (struct iommu_ioas_unmap){ .size = sizeof(u), .ioas_id = b, .length = UINT64_MAX };
	CHECK(ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == len, "unmap all of B");
	struct iommu_destroy d = { .size = sizeof(d), .id = a };
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == 0, "IOMMU_DESTROY");
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == ENOENT, "destroyed twice: ENOENT");
	close(fd);
	printf("iommufd-hello: OK\n");
	free(ranges);
	munmap(anon, len);
	close(mfd);
	return 0;
}
