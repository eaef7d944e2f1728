/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_failnth.c - the kernel's fault-injection interface, as the shim emulates it.
 *
 * Run as `ioasid-run --socket ... -- test_failnth`. A program sees what it would see on a
 * kernel with fault injection: /sys/kernel/debug/failslab/ and fail_page_alloc/ files that
 * take a write, and /proc/self/task/<tid>/fail-nth, which reads "%u\n" and takes a number.
 * Cases: the files (a dup is the same file; a number closed behind the shim's back and
 * reused is an ordinary fd again); the count is per thread and another thread's file sets that
 * thread's; a sweep of N over a sequence of ioctls, in which every call either succeeds or fails
 * with ENOMEM, the count reads 0 once the fault fired, the context is still usable after a
 * failure and the daemon is back at its baseline (no context, no pin, no mirror) after the
 * close; the sweep must end (N past the last allocation leaves a count).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "daemon_stats.h"
#include "proto/proto.h"

static int failures;

#define CHECK(cond)                                                                               \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "%s:%d: %s: failed: %s (errno %s)\n", __FILE__, __LINE__, \
				__func__, #cond, strerror(errno));                                \
			failures++;                                                               \
			return;                                                                   \
		}                                                                                 \
	} while (0)

#define BUF_SIZE (1UL << 20)
static uint8_t *shared_buf;

static pid_t tid_self(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int nth_open(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", (int)tid);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* the count the file reads, or -1 */
static long nth_read(int fd)
{
	char buf[32] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 2 || buf[n - 1] != '\n')
		return -1;
	return strtol(buf, NULL, 10);
}

static bool nth_write(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len;
}

static int ioas_alloc(int fd, uint32_t *out_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	*out_id = cmd.out_ioas_id;
	return rc;
}

/* ---- cases ---------------------------------------------------------------------------- */

static void test_debugfs_files(void)
{
	static const char *const files[] = {
		"/sys/kernel/debug/failslab/ignore-gfp-wait",
		"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
		"/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem",
		"/sys/kernel/debug/failslab/verbose",
	};
	char back[4] = { 0 };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_WRONLY);

		CHECK(fd >= 0);
		CHECK(write(fd, "N", 1) == 1);
		CHECK(pread(fd, back, 1, 0) == 1 && back[0] == 'N');
		CHECK(close(fd) == 0);
	}
}

static void test_file(void)
{
	int fd = nth_open(tid_self());
	int other;
	char buf[8];

	CHECK(fd >= 0);
	CHECK(nth_read(fd) == 0);
	CHECK(nth_write(fd, 7));
	CHECK(nth_read(fd) == 7);
	/* the same thread through another name */
	other = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
	CHECK(other >= 0);
	CHECK(read(other, buf, sizeof(buf)) == 2 && !memcmp(buf, "7\n", 2));
	CHECK(read(other, buf, sizeof(buf)) == 0);
	CHECK(close(other) == 0);
	errno = 0;
	CHECK(pwrite(fd, "x", 1, 0) == -1 && errno == EINVAL);
	CHECK(pwrite(fd, "-1", 2, 0) == -1 && errno == EINVAL);
	CHECK(pwrite(fd, "0\n", 2, 0) == 2);
	CHECK(nth_read(fd) == 0);
	/* a dup is the same file */
	other = dup(fd);
	CHECK(other >= 0);
	CHECK(nth_write(other, 5) && nth_read(fd) == 5);
	CHECK(nth_write(fd, 0) && close(other) == 0);
	/* closed behind the shim's back, the number reused: an ordinary file again */
	CHECK(syscall(SYS_close, fd) == 0);
	other = memfd_create("plain", MFD_CLOEXEC);
	CHECK(other == fd);
	CHECK(pwrite(other, "x", 1, 0) == 1);
	CHECK(pread(other, buf, sizeof(buf), 0) == 1 && buf[0] == 'x');
	CHECK(close(other) == 0);
}

struct thread_arg {
	int iommufd;
	pid_t tid;
	int ready; /* atomics */
	int go;
	int rc, err;
};

static void *thread_alloc(void *p)
{
	struct thread_arg *a = p;
	uint32_t id;

	a->tid = tid_self();
	__atomic_store_n(&a->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&a->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	a->rc = ioas_alloc(a->iommufd, &id);
	a->err = errno;
	return NULL;
}

/* A count belongs to one thread; another thread's file sets that thread's. */
static void test_per_thread(void)
{
	struct thread_arg a = { 0 };
	pthread_t t;
	uint32_t id;
	int me = nth_open(tid_self()), fd, tfd;

	CHECK(me >= 0);
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	a.iommufd = fd;
	CHECK(pthread_create(&t, NULL, thread_alloc, &a) == 0);
	while (!__atomic_load_n(&a.ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	tfd = nth_open(a.tid);
	CHECK(tfd >= 0);
	CHECK(nth_write(tfd, 1));
	CHECK(nth_read(me) == 0);
	/* this thread's count is 0: its call is not touched */
	CHECK(ioas_alloc(fd, &id) == 0);
	__atomic_store_n(&a.go, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(a.rc == -1 && a.err == ENOMEM);
	CHECK(nth_read(tfd) == 0);
	/* a call refused before any allocation leaves the count alone */
	CHECK(nth_write(me, 1));
	{
		struct iommu_ioas_alloc bad = { .size = 4 };

		CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &bad) == -1 && errno == EINVAL);
	}
	CHECK(nth_read(me) == 1);
	CHECK(ioas_alloc(fd, &id) == -1 && errno == ENOMEM);
	CHECK(nth_read(me) == 0);
	CHECK(ioas_alloc(fd, &id) == 0);
	CHECK(close(tfd) == 0);
	CHECK(close(me) == 0);
	CHECK(close(fd) == 0);
}

/*
 * The scenario swept: each step either succeeds or fails with ENOMEM (then the scenario
 * stops, as the selftest's do). *failed says whether a step failed.
 */
static void scenario(int fd, bool *failed, int *bad_errno)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)shared_buf,
		.length = BUF_SIZE,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_READABLE,
		.length = BUF_SIZE,
	};
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap), .length = UINT64_MAX };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	uint32_t a, b;

#define STEP(call)                                  \
	do {                                        \
		if (call) {                         \
			*failed = true;             \
			if (errno != ENOMEM)        \
				*bad_errno = errno; \
			return;                     \
		}                                   \
	} while (0)
	STEP(ioas_alloc(fd, &a));
	map.ioas_id = a;
	STEP(ioctl(fd, IOMMU_IOAS_MAP, &map));
	STEP(ioas_alloc(fd, &b));
	copy.src_ioas_id = a;
	copy.dst_ioas_id = b;
	copy.src_iova = map.iova;
	STEP(ioctl(fd, IOMMU_IOAS_COPY, &copy));
	unmap.ioas_id = a;
	STEP(ioctl(fd, IOMMU_IOAS_UNMAP, &unmap));
	destroy.id = b;
	STEP(ioctl(fd, IOMMU_DESTROY, &destroy));
#undef STEP
}

static void test_sweep(void)
{
	struct ioasidd_stats base, st;
	int nfd = nth_open(tid_self());
	unsigned int n;
	long left = 0;
	int fired = 0;

	CHECK(nfd >= 0);
	CHECK(daemon_stats(&base));
	for (n = 1; n < 1000; n++) {
		bool failed = false;
		int bad_errno = 0;
		uint32_t id;
		int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

		CHECK(fd >= 0);
		CHECK(nth_write(nfd, n));
		scenario(fd, &failed, &bad_errno);
		left = nth_read(nfd);
		CHECK(nth_write(nfd, 0));
		CHECK(bad_errno == 0);
		CHECK(left >= 0);
		/* a failure is the injected one, and the count says it fired */
		CHECK(failed == (left == 0));
		/* the context still works */
		CHECK(ioas_alloc(fd, &id) == 0);
		CHECK(close(fd) == 0);
		CHECK(daemon_stats(&st));
		CHECK(st.contexts == base.contexts && st.pinned_pages == base.pinned_pages &&
		      st.mirror_mapped == base.mirror_mapped);
		if (left)
			break;
		fired++;
	}
	CHECK(left > 0);
	CHECK(fired >= 6); /* at least one allocation per step */
	CHECK(close(nfd) == 0);
}

int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "debugfs_files", test_debugfs_files },
		{ "file", test_file },
		{ "per_thread", test_per_thread },
		{ "sweep", test_sweep },
	};
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("1..0 # SKIP /dev/iommu not served (run under ioasid-run): %s\n",
		       strerror(errno));
		return 77;
	}
	close(fd);
	shared_buf =
		mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_buf == MAP_FAILED)
		return 1;
	printf("1..%zu\n", sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = failures;

		cases[i].fn();
		printf("%s %zu - %s\n", failures == before ? "ok" : "not ok", i + 1, cases[i].name);
	}
	return failures ? 1 : 0;
}
