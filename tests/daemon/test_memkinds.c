/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_memkinds.c - every kind of memory a program hands IOMMU_IOAS_MAP, pinned and used
 * for DMA through the daemon, as an ordinary program under ioasid-run.
 *
 * scripts/unpriv.sh runs it with the daemon as a user with no capabilities at all (the path
 * CI must exercise: files handed over by the shim, src/shim/memmap.c); meson runs it with
 * whatever the daemon has (as root: /proc/<pid>/map_files too). For each kind: private
 * anonymous (mmap, and malloc'd), shared anonymous, memfd, shared and private hugetlb (when
 * huge pages are free), a shared file and a private file mapping:
 *   1. the buffer holds a pattern; IOAS_MAP (read-write) with no domain, then a mock domain
 *      is attached, which pins the pages then (the daemon must still reach them);
 *   2. the bytes are unchanged for the program; MD_CHECK_MAP; the device reads the pattern
 *      (IOASID_DEV_DMA) and what the program writes after the pin, and writes bytes the
 *      program then reads in its buffer;
 *   3. an access pins the pages (ACCESS_PAGES, checked against the buffer's address) and
 *      reads and writes through them (ACCESS_RW);
 *   4. private kinds: a forked child sees the bytes of the fork and writes its own copy; the
 *      device keeps seeing the parent's;
 *   5. private file: the file itself never changes.
 * Exit 77 when there is no /dev/iommu (not under ioasid-run) or no test hooks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#define PG	 4096UL
#define LEN	 (64 * PG)
#define HUGE_LEN (4UL << 20)

static int failures;

#define CHECK(cond)                                                                               \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "%s:%d: %s: failed: %s (errno %s)\n", __FILE__, __LINE__, \
				kind, #cond, strerror(errno));                                    \
			failures++;                                                               \
			return false;                                                             \
		}                                                                                 \
	} while (0)

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static int dma(int fd, uint32_t dev, uint64_t iova, void *buf, uint64_t len, bool write)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = IOMMU_TEST_OP_IOASID_DEV_DMA,
		.id = dev,
		.dev_dma = { .flags = write ? IOMMU_TEST_DMA_WRITE : 0,
			     .iova = iova,
			     .length = len,
			     .uptr = (uintptr_t)buf },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &c);

	if (!rc && (c.dev_dma.out_fault_type || c.dev_dma.length != len)) {
		errno = EIO;
		return -1;
	}
	return rc;
}

static int access_rw(int fd, uint32_t afd, uint64_t iova, void *buf, uint64_t len, bool write)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = afd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = write ? MOCK_ACCESS_RW_WRITE : 0 },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &c);
}

/* One kind: buf (len bytes, holding pat()) is the program's memory of that kind. */
static bool exercise(const char *kind, uint8_t *buf, size_t len, bool priv)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd chk = { .size = sizeof(chk), .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct iommu_test_cmd ap = { .size = sizeof(ap), .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					       IOMMU_IOAS_MAP_FIXED_IOVA,
				      .user_va = (uintptr_t)buf,
				      .length = len,
				      .iova = MOCK_APERTURE_START + ((uintptr_t)buf & (PG - 1)) };
	/* the same offset in the page as the buffer's (a domain maps whole pages) */
	uint64_t iova = map.iova;
	uint8_t got[256];
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC), status;
	pid_t pid;

	CHECK(buf);
	CHECK(fd >= 0 && !ioctl(fd, IOMMU_IOAS_ALLOC, &alloc));
	map.ioas_id = alloc.out_ioas_id;
	CHECK(!ioctl(fd, IOMMU_IOAS_MAP, &map));
	/* the pin comes with the domain, after the map */
	md.id = alloc.out_ioas_id;
	CHECK(!ioctl(fd, IOMMU_TEST_CMD, &md));
	for (size_t i = 0; i < len; i += 997)
		CHECK(buf[i] == pat(i));
	chk.id = md.mock_domain.out_hwpt_id;
	chk.check_map =
		(typeof(chk.check_map)){ .iova = iova, .length = len, .uptr = (uintptr_t)buf };
	CHECK(!ioctl(fd, IOMMU_TEST_CMD, &chk));
	/* the device reads the program's bytes, also those written after the pin */
	CHECK(!dma(fd, md.mock_domain.out_idev_id, iova + len - 100, got, 100, false));
	for (size_t i = 0; i < 100; i++)
		CHECK(got[i] == pat(len - 100 + i));
	buf[3 * PG + 5] = 0xa5;
	CHECK(!dma(fd, md.mock_domain.out_idev_id, iova + 3 * PG + 5, got, 1, false));
	CHECK(got[0] == 0xa5);
	/* and writes where the program reads */
	memcpy(got, "written by the device", 22);
	CHECK(!dma(fd, md.mock_domain.out_idev_id, iova + 5 * PG - 7, got, 22, true));
	CHECK(!memcmp(buf + 5 * PG - 7, "written by the device", 22));

	/* an access pins the same pages */
	ca.id = alloc.out_ioas_id;
	ca.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	CHECK(!ioctl(fd, IOMMU_TEST_CMD, &ca));
	ap.id = ca.create_access.out_access_fd;
	ap.access_pages.iova = iova + PG;
	ap.access_pages.length = 4 * PG;
	ap.access_pages.uptr = (uintptr_t)buf + PG;
	ap.access_pages.flags = MOCK_FLAGS_ACCESS_WRITE;
	CHECK(!ioctl(fd, IOMMU_TEST_CMD, &ap));
	CHECK(!access_rw(fd, ca.create_access.out_access_fd, iova + 2 * PG, got, 64, false));
	for (size_t i = 0; i < 64; i++)
		CHECK(got[i] == pat(2 * PG + i));
	CHECK(!access_rw(fd, ca.create_access.out_access_fd, iova + 2 * PG + 64, "through", 7,
			 true));
	CHECK(!memcmp(buf + 2 * PG + 64, "through", 7));

	if (priv) {
		/* a child: the bytes of the fork, then its own copy; the device keeps ours */
		buf[7 * PG] = 0x11;
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			if (buf[7 * PG] != 0x11 || buf[7 * PG + 1] != pat(7 * PG + 1))
				_exit(1);
			buf[7 * PG] = 0x22;
			_exit(buf[7 * PG] == 0x22 ? 0 : 2);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
		CHECK(buf[7 * PG] == 0x11);
		CHECK(!dma(fd, md.mock_domain.out_idev_id, iova + 7 * PG, got, 1, false));
		CHECK(got[0] == 0x11);
		buf[7 * PG] = 0x33;
		CHECK(!dma(fd, md.mock_domain.out_idev_id, iova + 7 * PG, got, 1, false));
		CHECK(got[0] == 0x33);
	}
	close((int)ca.create_access.out_access_fd);
	close(fd);
	fprintf(stderr, "%s: mapped, pinned (domain and access), DMA both ways: ok\n", kind);
	return true;
}

/*
 * kB allocated to the memfds the shim made of private memory (its fds in this process,
 * "/memfd:ioasid-private"), or -1.
 */
static long converted_kb(void)
{
	char path[300], link[128];
	struct dirent *e;
	struct stat st;
	long kb = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strncmp(link, "/memfd:ioasid-private", 21) && !stat(path, &st))
			kb += (long)st.st_blocks / 2;
	}
	closedir(d);
	return kb;
}

/*
 * A large private buffer the program barely touched (a VMM's guest RAM): made shared at the
 * map, it keeps the touched bytes and zeros elsewhere, and costs memory only for the pages
 * that existed.
 */
static bool sparse(void)
{
	const char *kind = "sparse private anonymous";
	const size_t len = 256UL << 20;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
				      .length = len };
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	long before;

	CHECK(p != MAP_FAILED && fd >= 0 && !ioctl(fd, IOMMU_IOAS_ALLOC, &alloc));
	for (size_t i = 0; i < len; i += 16UL << 20)
		p[i + 7] = (uint8_t)(i >> 20);
	before = converted_kb();
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)p;
	CHECK(!ioctl(fd, IOMMU_IOAS_MAP, &map));
	for (size_t i = 0; i < len; i += 16UL << 20)
		CHECK(p[i + 7] == (uint8_t)(i >> 20) && p[i] == 0 && p[i + 8192] == 0);
	/* 16 touched pages, not 256 MiB */
	CHECK(before >= 0 && converted_kb() - before < 4096);
	close(fd);
	munmap(p, len);
	fprintf(stderr, "%s: touched pages kept, the rest holes: ok\n", kind);
	return true;
}

static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pat(i);
}

static uint8_t *anon(size_t len, int flags)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	fill(p, len);
	return p;
}

/* A file of len bytes holding pat() in dir; its fd. */
static int pattern_file(const char *dir, size_t len)
{
	char path[4096];
	uint8_t *data = malloc(len);
	int f;

	snprintf(path, sizeof(path), "%s/memkinds-XXXXXX", dir);
	f = mkstemp(path);
	if (f < 0 || !data)
		return -1;
	unlink(path);
	fill(data, len);
	if (write(f, data, len) != (ssize_t)len) {
		close(f);
		f = -1;
	}
	free(data);
	return f;
}

int main(void)
{
	const char *kind = "setup";
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint8_t *p, *q;
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC), f;
	bool huge_ok = false;

	if (fd < 0) {
		fprintf(stderr, "no /dev/iommu (run under ioasid-run): skip\n");
		return 77;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) ||
	    (md.id = alloc.out_ioas_id, ioctl(fd, IOMMU_TEST_CMD, &md))) {
		fprintf(stderr, "no test hooks: skip\n");
		return 77;
	}
	close(fd);

	exercise("private anonymous", anon(LEN, MAP_PRIVATE), LEN, true);
	sparse();
	/*
	 * malloc: the heap, or a malloc mmap chunk around the buffer (its pages shared with
	 * malloc's own headers). Mapped from a page boundary: a domain maps whole pages.
	 */
	kind = "malloc";
	p = malloc(LEN + PG);
	if (p) {
		q = (uint8_t *)(((uintptr_t)p + PG - 1) & ~(PG - 1));
		fill(q, LEN);
		exercise("malloc", q, LEN, true);
		free(p);
		/* freed and allocated again (malloc unmaps and maps without the shim seeing it,
		 * most often at the same address): the new memory, not the old record */
		p = malloc(LEN + PG);
		if (p) {
			q = (uint8_t *)(((uintptr_t)p + PG - 1) & ~(PG - 1));
			fill(q, LEN);
			exercise("malloc again", q, LEN, true);
			free(p);
		}
	}
	/* and a small one from the main heap (brk) */
	p = malloc(9 * PG);
	if (p) {
		q = (uint8_t *)(((uintptr_t)p + PG - 1) & ~(PG - 1));
		fill(q, 8 * PG);
		exercise("malloc heap", q, 8 * PG, true);
		free(p);
	}
	exercise("shared anonymous", anon(LEN, MAP_SHARED), LEN, false);
	kind = "memfd";
	f = memfd_create("memkinds", MFD_CLOEXEC);
	if (f >= 0 && !ftruncate(f, LEN)) {
		p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (p != MAP_FAILED) {
			fill(p, LEN);
			exercise("memfd", p, LEN, false);
		}
		close(f);
	} else {
		failures++;
	}
	/* hugetlb, where huge pages are free */
	p = anon(HUGE_LEN, MAP_SHARED | MAP_HUGETLB);
	if (p) {
		huge_ok = exercise("hugetlb shared", p, HUGE_LEN, false);
		munmap(p, HUGE_LEN);
		p = anon(HUGE_LEN, MAP_PRIVATE | MAP_HUGETLB);
		if (p)
			huge_ok &= exercise("hugetlb private", p, HUGE_LEN, true);
		else
			fprintf(stderr, "hugetlb private: no huge page free: skipped\n");
	} else {
		fprintf(stderr, "hugetlb: no huge page free (%s): skipped\n", strerror(errno));
	}
	(void)huge_ok;
	kind = "shared file";
	f = pattern_file(dir, LEN);
	if (f < 0) {
		failures++;
		fprintf(stderr, "no file in %s: %s\n", dir, strerror(errno));
	} else {
		p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (p != MAP_FAILED)
			exercise("shared file", p, LEN, false);
		else
			failures++;
		/* a private mapping of the same file: a written page is the program's copy */
		q = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0);
		if (q != MAP_FAILED) {
			uint8_t b[5 * PG];

			/* the shared mapping above changed the file: put the pattern back */
			fill(p, LEN);
			q[9 * PG] = pat(9 * PG); /* page 9 a private copy, same bytes */
			kind = "private file";
			if (exercise("private file", q, LEN, true)) {
				/* the file is what the shared mapping left, not what q became */
				if (pread(f, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
				    b[5 * PG - 7] != pat(5 * PG - 7)) {
					fprintf(stderr, "private file: the file changed\n");
					failures++;
				}
			}
		} else {
			failures++;
		}
		close(f);
	}
	if (failures)
		fprintf(stderr, "test_memkinds: %d failures (last kind: %s)\n", failures, kind);
	return failures ? 1 : 0;
}
