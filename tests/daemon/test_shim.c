/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_shim.c - an ordinary program on /dev/iommu, run under ioasid-run.
 *
 * Everything here is what a program written for the kernel does: open("/dev/iommu"),
 * ioctl, dup, fork, SCM_RIGHTS, close. Nothing is linked from ioasid except the protocol's
 * client end, used only to read the daemon's statistics (to see a context die at the last
 * close). meson runs it as `ioasid-run --socket ... -- test_shim`; run alone (no shim), its
 * open of /dev/iommu fails and it skips (exit 77).
 *
 * Cases: the basic flow (IOAS_ALLOC, MAP of shared anonymous memory, IOVA_RANGES, UNMAP);
 * bad pointers give EFAULT and other fds' ioctls pass through; dup/close/fd reuse; a child's
 * map through an inherited fd is the parent's; the context outlives the parent's close
 * while a child holds the fd and dies at the last close, which returns only once the
 * daemon has let go of everything; an fd received by SCM_RIGHTS;
 * MAP_FILE of a memfd; pinned shared memory is the program's memory (the mock domain reads
 * what the program writes); private anonymous memory and a private file mapping (written
 * pages, write pins) are pinned once the shim made them shared in place (memmap.c); the selftest's
 * access fds are the program's own fds, named by the access ops and ended by close(); pins come
 * from the process that mapped (a child's pages, EFAULT once it is gone); capabilities held in a
 * user namespace of one's own do not count; threads and a forked child hammering one fd
 * get their own replies; the shim's fd table stays right when an iommufd is closed behind
 * its back (a raw close_range, closefrom) and the number goes to another file, and an
 * iommufd inherited across exec is known to the new program (read is EINVAL, not a hang).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

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

/* in a child: report by exit status */
#define CHILD_CHECK(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: child: failed: %s (errno %s)\n", __FILE__, \
				__LINE__, #cond, strerror(errno));                         \
			_exit(1);                                                          \
		}                                                                          \
	} while (0)

#define BUF_SIZE (1UL << 20)
static uint8_t *shared_buf; /* MAP_SHARED | MAP_ANONYMOUS, before any fork */

static int iommufd_open(void)
{
	return open("/dev/iommu", O_RDWR | O_CLOEXEC);
}

static int ioas_alloc(int fd, uint32_t *out_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	*out_id = cmd.out_ioas_id;
	return rc;
}

static int ioas_map(int fd, uint32_t ioas, void *buf, uint64_t len, uint64_t *inout_iova,
		    bool fixed)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = *inout_iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	*inout_iova = cmd.iova;
	return rc;
}

static int ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out_len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (out_len)
		*out_len = cmd.length;
	return rc;
}

/* Wait (up to 3 s) until the daemon holds `want` contexts. */
static bool wait_contexts(uint64_t want)
{
	struct ioasidd_stats st;

	for (int i = 0; i < 300; i++) {
		if (daemon_stats(&st) && st.contexts == want)
			return true;
		usleep(10000);
	}
	fprintf(stderr, "daemon holds %lu contexts, not %lu\n", st.contexts, want);
	return false;
}

static bool child_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status);
}

/* ---- cases ---------------------------------------------------------------------------- */

static void test_basic(void)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r),
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint64_t iova = 0, len = 0;
	uint32_t ioas;
	int fd = iommufd_open();

	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd, &ioas) == 0 && ioas != 0);
	CHECK(ioas_map(fd, ioas, shared_buf, BUF_SIZE, &iova, false) == 0);
	r.ioas_id = ioas;
	CHECK(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r) == 0);
	CHECK(r.num_iovas >= 1 && r.out_iova_alignment >= 1);
	CHECK(ioas_unmap(fd, ioas, iova, BUF_SIZE, &len) == 0 && len == BUF_SIZE);
	CHECK(ioas_unmap(fd, ioas, iova, BUF_SIZE, NULL) == -1 && errno == ENOENT);
	CHECK(close(fd) == 0);
}

static void test_efault(void)
{
	uint8_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = iommufd_open(), pfd[2], n = -1;

	CHECK(fd >= 0 && none != MAP_FAILED);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, NULL) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, (void *)1) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, none) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, NULL) == -1 && errno == EFAULT);
	CHECK(ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), NULL) == -1 && errno == ENOTTY);
	/* ioctls on other fds go to the kernel */
	CHECK(pipe(pfd) == 0);
	CHECK(write(pfd[1], "abc", 3) == 3);
	CHECK(ioctl(pfd[0], FIONREAD, &n) == 0 && n == 3);
	CHECK(ioctl(pfd[0], IOMMU_IOAS_ALLOC, NULL) == -1 && errno != EFAULT);
	/* an iommufd has no read or write */
	CHECK(read(fd, &n, sizeof(n)) == -1 && errno == EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	munmap(none, 4096);
	close(fd);
}

static void test_dup_close(void)
{
	int fd = iommufd_open(), d1, d2, d3, pfd[2], n = -1;
	uint32_t ioas, ioas2;

	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd, &ioas) == 0);
	d1 = dup(fd);
	d2 = dup2(fd, 200);
	d3 = fcntl(fd, F_DUPFD_CLOEXEC, 300);
	CHECK(d1 >= 0 && d2 == 200 && d3 >= 300);
	CHECK(close(fd) == 0);
	/* one context behind all of them: the IOAS is there, IDs continue */
	CHECK(ioas_alloc(d1, &ioas2) == 0 && ioas2 != ioas);
	CHECK(ioas_unmap(d2, ioas, 0, UINT64_MAX, NULL) == 0);
	CHECK(ioas_unmap(d3, ioas2, 0, UINT64_MAX, NULL) == 0);
	close(d1);
	close(d2);
	close(d3);
	/* the numbers are reused by ordinary fds, which must behave as ordinary fds */
	CHECK(pipe(pfd) == 0);
	CHECK(write(pfd[1], "x", 1) == 1);
	CHECK(ioctl(pfd[0], FIONREAD, &n) == 0 && n == 1);
	CHECK(read(pfd[0], &n, 1) == 1);
	close(pfd[0]);
	close(pfd[1]);
	/* dup2 of an ordinary fd over an iommufd number */
	fd = iommufd_open();
	CHECK(fd >= 0 && pipe(pfd) == 0);
	CHECK(dup2(pfd[0], fd) == fd);
	CHECK(write(pfd[1], "yz", 2) == 2);
	CHECK(ioctl(fd, FIONREAD, &n) == 0 && n == 2);
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
}

static void test_fork_map(void)
{
	const uint64_t iova_fixed = 1ULL << 32;
	uint64_t len = 0;
	uint32_t ioas;
	int fd = iommufd_open();
	pid_t pid;

	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	pid = fork();
	if (pid == 0) {
		uint64_t iova = iova_fixed;

		CHILD_CHECK(ioas_map(fd, ioas, shared_buf, BUF_SIZE, &iova, true) == 0);
		_exit(0);
	}
	CHECK(pid > 0 && child_ok(pid));
	/* the child's mapping is in the parent's context */
	CHECK(ioas_unmap(fd, ioas, iova_fixed, BUF_SIZE, &len) == 0 && len == BUF_SIZE);
	close(fd);
}

static void test_last_close(void)
{
	struct ioasidd_stats st;
	uint64_t base;
	uint32_t ioas;
	int fd, go[2];
	pid_t pid;

	CHECK(wait_contexts(0)); /* earlier cases' contexts are gone */
	CHECK(daemon_stats(&st));
	base = st.contexts;
	fd = iommufd_open();
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0 && pipe(go) == 0);
	CHECK(wait_contexts(base + 1));
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		/* the parent closed its copy: ours keeps the context and the IOAS alive */
		CHILD_CHECK(ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL) == 0);
		_exit(0);
	}
	CHECK(pid > 0);
	close(go[0]);
	CHECK(close(fd) == 0);
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	CHECK(child_ok(pid));
	CHECK(wait_contexts(base));
}

/*
 * close() is synchronous, as the kernel's: when the last copy is closed, the context and
 * every pin are gone by the time close() returns; closing one of two copies frees nothing.
 */
static void test_close_sync(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct ioasidd_stats st;
	uint64_t base, iova = 0;
	uint32_t ioas;
	int fd, d;

	CHECK(wait_contexts(0));
	CHECK(daemon_stats(&st));
	base = st.contexts;
	fd = iommufd_open();
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	md.id = ioas;
	/* pinned if the build has the mock domain */
	if (ioctl(fd, IOMMU_TEST_CMD, &md))
		CHECK(errno == ENOTTY);
	/* many pinned pages objects: freeing them takes the daemon a while */
	for (uint64_t off = 0; off < BUF_SIZE; off += 4096) {
		iova = 0;
		CHECK(ioas_map(fd, ioas, shared_buf + off, 4096, &iova, false) == 0);
	}
	d = dup(fd);
	CHECK(d >= 0 && close(fd) == 0);
	CHECK(daemon_stats(&st) && st.contexts == base + 1);
	CHECK(close(d) == 0);
	/* no waiting: close() returned after the daemon let go */
	CHECK(daemon_stats(&st) && st.contexts == base && st.mirror_mapped == 0 &&
	      st.pinned_pages == 0);
	CHECK(close(d) == -1 && errno == EBADF);
}

static int send_fd(int sock, int fd)
{
	char c = 'f';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void test_scm_rights(void)
{
	uint64_t iova = 0;
	uint32_t ioas;
	int sv[2], fd;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pid = fork();
	if (pid == 0) {
		int got;
		uint32_t id;

		close(sv[0]);
		got = recv_fd(sv[1]);
		CHILD_CHECK(got >= 0);
		/* this number was never opened here: the shim finds out it is an iommufd */
		CHILD_CHECK(read(sv[1], &id, sizeof(id)) == sizeof(id));
		CHILD_CHECK(ioas_unmap(got, id, 0, UINT64_MAX, NULL) == 0);
		CHILD_CHECK(ioas_alloc(got, &id) == 0);
		_exit(0);
	}
	CHECK(pid > 0);
	close(sv[1]);
	fd = iommufd_open();
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	CHECK(ioas_map(fd, ioas, shared_buf, BUF_SIZE, &iova, false) == 0);
	CHECK(send_fd(sv[0], fd) == 0);
	CHECK(write(sv[0], &ioas, sizeof(ioas)) == sizeof(ioas));
	CHECK(child_ok(pid));
	/* the child unmapped everything in our IOAS */
	CHECK(ioas_unmap(fd, ioas, iova, BUF_SIZE, NULL) == -1 && errno == ENOENT);
	close(sv[0]);
	close(fd);
}

static void test_map_file(void)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.length = BUF_SIZE,
	};
	int fd = iommufd_open(), mfd = memfd_create("test", MFD_CLOEXEC), pfd[2];
	uint64_t len = 0;
	uint32_t ioas;

	CHECK(fd >= 0 && mfd >= 0 && ftruncate(mfd, BUF_SIZE) == 0);
	CHECK(ioas_alloc(fd, &ioas) == 0);
	cmd.ioas_id = ioas;
	cmd.fd = mfd;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) == 0);
	/* our struct still holds our fd number: the daemon's never reaches us */
	CHECK(cmd.fd == mfd);
	CHECK(ioas_unmap(fd, ioas, cmd.iova, BUF_SIZE, &len) == 0 && len == BUF_SIZE);
	cmd.fd = 999;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) == -1 && errno == EBADF);
	cmd.fd = -1;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) == -1 && errno == EBADF);
	CHECK(pipe(pfd) == 0);
	cmd.fd = pfd[0];
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) == -1 && errno == EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	close(mfd);
	close(fd);
}

/* A mock domain pins; the domain then reads through the daemon's mirror what we wrote. */
static void test_pin_shared(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd chk = { .size = sizeof(chk), .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	uint8_t *priv =
		mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ioasidd_stats st;
	uint64_t iova = 0;
	uint32_t ioas;
	int fd = iommufd_open();

	CHECK(fd >= 0 && priv != MAP_FAILED && ioas_alloc(fd, &ioas) == 0);
	md.id = ioas;
	if (ioctl(fd, IOMMU_TEST_CMD, &md)) {
		CHECK(errno == ENOTTY); /* built without test hooks */
		close(fd);
		return;
	}
	for (size_t i = 0; i < BUF_SIZE; i++)
		shared_buf[i] = (uint8_t)(i * 13);
	CHECK(ioas_map(fd, ioas, shared_buf, BUF_SIZE, &iova, false) == 0);
	CHECK(daemon_stats(&st) && st.mirror_mapped >= BUF_SIZE && st.mirror_windows >= 1);
	chk.id = md.mock_domain.out_hwpt_id;
	chk.check_map.iova = iova;
	chk.check_map.length = BUF_SIZE;
	chk.check_map.uptr = (uintptr_t)shared_buf;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	/* a write after pinning is seen through the pin */
	shared_buf[12345] ^= 0x5a;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	CHECK(ioas_unmap(fd, ioas, iova, BUF_SIZE, NULL) == 0);
	/* private memory: the shim makes it memfd-backed shared memory in place (memmap.c) */
	memset(priv, 1, BUF_SIZE);
	iova = 0;
	CHECK(ioas_map(fd, ioas, priv, BUF_SIZE, &iova, false) == 0);
	CHECK(priv[0] == 1 && priv[BUF_SIZE - 1] == 1);
	chk.check_map.iova = iova;
	chk.check_map.uptr = (uintptr_t)priv;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	CHECK(ioas_unmap(fd, ioas, iova, BUF_SIZE, NULL) == 0);
	close(fd);
	munmap(priv, BUF_SIZE);
	/* the last close let go of every pin and every mirrored page */
	CHECK(wait_contexts(0));
	CHECK(daemon_stats(&st) && st.mirror_mapped == 0 && st.mirror_windows == 0);
}

/*
 * The selftest's access fds: CREATE_ACCESS gives us a real fd of our own (CLOEXEC, as the
 * kernel's); the access ops name it, a dup names the same access, anything else is
 * EBADFD; our close() ends the access (the IOAS it held can then be destroyed).
 */
static int access_rw(int fd, uint32_t access_fd, uint64_t iova, void *buf, uint64_t len, bool write)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = write ? MOCK_ACCESS_RW_WRITE : 0 },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static void test_access_fd(void)
{
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct iommu_destroy d = { .size = sizeof(d) };
	uint8_t out[64], in[64];
	uint64_t iova = 0;
	int fd = iommufd_open(), afd, dupfd, pfd[2];
	uint32_t ioas;

	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	ca.id = ioas;
	if (ioctl(fd, IOMMU_TEST_CMD, &ca)) {
		CHECK(errno == ENOTTY); /* built without test hooks */
		close(fd);
		return;
	}
	afd = (int)ca.create_access.out_access_fd;
	CHECK(fcntl(afd, F_GETFD) == FD_CLOEXEC);
	CHECK(ioas_map(fd, ioas, shared_buf, BUF_SIZE, &iova, false) == 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	CHECK(access_rw(fd, afd, iova + 100, out, sizeof(out), true) == 0);
	CHECK(!memcmp(shared_buf + 100, out, sizeof(out)));
	dupfd = dup(afd);
	CHECK(dupfd >= 0);
	memset(in, 0, sizeof(in));
	CHECK(access_rw(fd, dupfd, iova + 100, in, sizeof(in), false) == 0);
	CHECK(!memcmp(in, out, sizeof(in)));
	/* not an access: another socket, a closed number */
	CHECK(pipe(pfd) == 0);
	CHECK(access_rw(fd, pfd[0], iova, in, 1, false) == -1 && errno == EBADFD);
	CHECK(access_rw(fd, 1000, iova, in, 1, false) == -1 && errno == EBADFD);
	close(pfd[0]);
	close(pfd[1]);
	/* the access holds the IOAS until its last fd is closed */
	d.id = ioas;
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == EBUSY);
	CHECK(close(afd) == 0);
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == EBUSY);
	CHECK(access_rw(fd, dupfd, iova, in, 1, false) == 0);
	CHECK(close(dupfd) == 0);
	CHECK(access_rw(fd, dupfd, iova, in, 1, false) == -1 && errno == EBADFD);
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) == 0);
	close(fd);
}

/*
 * A pages object pins the memory of the process that mapped it. A child maps a buffer only
 * it has into two IOAS without a domain; while it lives, the parent's domain on the first
 * pins the child's pages (an access then reads the child's data through them, also after
 * the child is gone); once it is gone, the second cannot be pinned (EFAULT), as with the
 * kernel.
 */
static void test_fork_source(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	const uint64_t iova = MOCK_APERTURE_START, len = 16 * 4096;
	uint32_t probe, ioas1, ioas2;
	int fd = iommufd_open(), ready[2], go[2], afd;
	uint8_t got[64];
	uint64_t where;
	pid_t pid;

	CHECK(fd >= 0 && ioas_alloc(fd, &probe) == 0);
	md.id = probe;
	if (ioctl(fd, IOMMU_TEST_CMD, &md)) {
		CHECK(errno == ENOTTY); /* built without test hooks */
		close(fd);
		return;
	}
	CHECK(ioas_alloc(fd, &ioas1) == 0 && ioas_alloc(fd, &ioas2) == 0);
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid = fork();
	if (pid == 0) {
		uint8_t *mine =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		uint64_t at = iova;
		char c;

		alarm(20); /* never outlive a parent that gave up */
		CHILD_CHECK(mine != MAP_FAILED);
		for (uint64_t i = 0; i < len; i++)
			mine[i] = (uint8_t)(i * 3 + 7);
		CHILD_CHECK(ioas_map(fd, ioas1, mine, len, &at, true) == 0);
		at = iova;
		CHILD_CHECK(ioas_map(fd, ioas2, mine, len, &at, true) == 0);
		at = (uintptr_t)mine;
		CHILD_CHECK(write(ready[1], &at, sizeof(at)) == sizeof(at));
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK(read(ready[0], &where, sizeof(where)) == sizeof(where));
	/* the child's buffer is not mapped here: only the child's pages can back the pins */
	CHECK(msync((void *)(uintptr_t)where, 4096, MS_ASYNC) == -1 && errno == ENOMEM);
	md.id = ioas1;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &md) == 0);
	ca.id = ioas1;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ca) == 0);
	afd = (int)ca.create_access.out_access_fd;
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(child_ok(pid));
	/* pinned while the child lived: still there, with the child's data */
	CHECK(access_rw(fd, afd, iova + 4096, got, sizeof(got), false) == 0);
	for (size_t i = 0; i < sizeof(got); i++)
		CHECK(got[i] == (uint8_t)((4096 + i) * 3 + 7));
	/* never pinned, and its process is gone */
	md.id = ioas2;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &md) == -1 && errno == EFAULT);
	close(afd);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	close(fd);
}

/*
 * A private file mapping: its pages can be pinned read-only while they are the file's own
 * (the device reads the file's data); a write pin, or a page the program has written to
 * (now a private copy), is EFAULT. (Not checked, and documented in docs/daemon.md: a write
 * by the program after the pin is not seen by the device, which the kernel's early unshare
 * would give.)
 */
static void test_pin_private_file(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct iommu_test_cmd chk = { .size = sizeof(chk), .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	struct iommu_ioas_map map = { .size = sizeof(map), .flags = IOMMU_IOAS_MAP_READABLE };
	char path[] = "/tmp/ioasid-test-XXXXXX";
	const size_t len = 4 * 4096;
	uint8_t data[len], got[64], *p;
	int fd = iommufd_open(), f = mkstemp(path);
	uint32_t ioas;

	CHECK(fd >= 0 && f >= 0 && ioas_alloc(fd, &ioas) == 0);
	unlink(path);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 5 + 3);
	CHECK(write(f, data, len) == (ssize_t)len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0);
	CHECK(p != MAP_FAILED);
	md.id = ioas;
	if (ioctl(fd, IOMMU_TEST_CMD, &md)) {
		CHECK(errno == ENOTTY); /* built without test hooks */
		goto out;
	}
	/* page 3 becomes the program's own copy */
	p[3 * 4096] ^= 1;
	map.ioas_id = ioas;
	map.user_va = (uintptr_t)p;
	map.length = 3 * 4096;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);
	chk.id = md.mock_domain.out_hwpt_id;
	chk.check_map.iova = map.iova;
	chk.check_map.length = 3 * 4096;
	chk.check_map.uptr = (uintptr_t)p;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	ca.id = ioas;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ca) == 0);
	CHECK(access_rw(fd, ca.create_access.out_access_fd, map.iova + 4096 + 10, got, sizeof(got),
			false) == 0);
	CHECK(!memcmp(got, data + 4096 + 10, sizeof(got)));
	close((int)ca.create_access.out_access_fd);
	/*
	 * The copied page, and a write pin: the mapping was made shared memory of the
	 * program's own bytes (memmap.c), as the kernel pins the unshared private copy; the
	 * file is never written.
	 */
	map.user_va = (uintptr_t)p + 3 * 4096;
	map.length = 4096;
	map.iova = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);
	map.user_va = (uintptr_t)p;
	map.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	map.iova = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);
	CHECK(p[3 * 4096] == (data[3 * 4096] ^ 1) && p[10] == data[10]);
	CHECK(pread(f, got, 1, 3 * 4096) == 1 && got[0] == data[3 * 4096]);
out:
	munmap(p, len);
	close(f);
	close(fd);
}

/*
 * IOMMU_OPTION_RLIMIT_MODE needs CAP_SYS_RESOURCE as the kernel's capable() sees it: in
 * the initial user namespace. A child that makes a user namespace of its own holds every
 * capability there, and still gets EPERM. (Skipped where unshare(CLONE_NEWUSER) is not
 * allowed.)
 */
static void test_userns_caps(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct iommu_option opt = {
			.size = sizeof(opt),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_SET,
			.val64 = 1,
		};
		int fd;

		if (unshare(CLONE_NEWUSER))
			_exit(0);
		fd = iommufd_open();
		CHILD_CHECK(fd >= 0);
		CHILD_CHECK(ioctl(fd, IOMMU_OPTION, &opt) == -1 && errno == EPERM);
		opt.op = IOMMU_OPTION_OP_GET;
		CHILD_CHECK(ioctl(fd, IOMMU_OPTION, &opt) == 0 && opt.val64 == 0);
		_exit(0);
	}
	CHECK(pid > 0 && child_ok(pid));
}

struct hammer {
	int fd;
	int failed;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 200; i++) {
		struct iommu_destroy d = { .size = sizeof(d) };
		uint32_t id;

		if (ioas_alloc(h->fd, &id) || !id) {
			h->failed++;
			continue;
		}
		d.id = id;
		if (ioctl(h->fd, IOMMU_DESTROY, &d))
			h->failed++;
	}
	return NULL;
}

static void test_concurrency(void)
{
	struct hammer h[4];
	pthread_t t[4];
	int fd = iommufd_open();
	pid_t pid;

	CHECK(fd >= 0);
	pid = fork();
	if (pid == 0) {
		struct hammer me = { .fd = fd };

		hammer_thread(&me);
		_exit(me.failed ? 1 : 0);
	}
	CHECK(pid > 0);
	for (int i = 0; i < 4; i++) {
		h[i].fd = fd;
		h[i].failed = 0;
		CHECK(pthread_create(&t[i], NULL, hammer_thread, &h[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(h[i].failed == 0);
	}
	CHECK(child_ok(pid));
	close(fd);
}

/*
 * Call channels across fork and threads: a parent, its forked child and two threads of the
 * parent call on one fd at once, each asking about another IOAS (huge pages on or off); an
 * answer that reached the wrong caller would show the other's value.
 */
struct asker {
	int fd;
	uint32_t ioas;
	uint64_t want;
	int failed;
};

static void *asker_thread(void *arg)
{
	struct asker *a = arg;

	for (int i = 0; i < 1500 && !a->failed; i++) {
		struct iommu_option o = {
			.size = sizeof(o),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_GET,
			.object_id = a->ioas,
			.val64 = 99,
		};

		if (ioctl(a->fd, IOMMU_OPTION, &o) || o.val64 != a->want)
			a->failed = 1;
	}
	return NULL;
}

static void test_chan_fork(void)
{
	struct asker as[4];
	pthread_t t[2];
	uint32_t ioas[4];
	int fd = iommufd_open();
	pid_t pid;

	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		struct iommu_option o = {
			.size = sizeof(o),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_SET,
			.val64 = i & 1,
		};

		CHECK(ioas_alloc(fd, &ioas[i]) == 0);
		o.object_id = ioas[i];
		CHECK(ioctl(fd, IOMMU_OPTION, &o) == 0);
		as[i] = (struct asker){ .fd = fd, .ioas = ioas[i], .want = i & 1 };
	}
	pid = fork();
	if (pid == 0) {
		asker_thread(&as[3]);
		_exit(as[3].failed ? 1 : 0);
	}
	CHECK(pid > 0);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, asker_thread, &as[i + 1]) == 0);
	asker_thread(&as[0]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(child_ok(pid));
	CHECK(!as[0].failed && !as[1].failed && !as[2].failed);
	close(fd);
}

/*
 * A buffer pinned, unpinned, then replaced by other memory at the same address and mapped
 * again: the daemon's idle mirror of the first memory must not be taken for the second
 * (the mock domain reads what the program wrote into the new memory).
 */
static void test_idle_remap(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd chk = { .size = sizeof(chk), .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	const size_t len = 64 * 4096;
	uint8_t in[3];
	int afd;
	int fd = iommufd_open(), m1 = memfd_create("one", MFD_CLOEXEC),
	    m2 = memfd_create("two", MFD_CLOEXEC);
	uint64_t iova = 0;
	uint32_t ioas;
	uint8_t *buf;

	CHECK(fd >= 0 && m1 >= 0 && m2 >= 0 && !ftruncate(m1, len) && !ftruncate(m2, len));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m1, 0);
	CHECK(buf != MAP_FAILED && ioas_alloc(fd, &ioas) == 0);
	memset(buf, 0x11, len);
	md.id = ioas;
	if (ioctl(fd, IOMMU_TEST_CMD, &md)) {
		CHECK(errno == ENOTTY); /* built without test hooks */
		goto out;
	}
	chk.id = md.mock_domain.out_hwpt_id;
	CHECK(ioas_map(fd, ioas, buf, len, &iova, false) == 0);
	CHECK(ioas_unmap(fd, ioas, iova, len, NULL) == 0);
	/* the same again: served by the idle mirror, still the program's memory */
	iova = 0;
	CHECK(ioas_map(fd, ioas, buf, len, &iova, false) == 0);
	buf[7] = 0x12;
	chk.check_map.iova = iova;
	chk.check_map.length = len;
	chk.check_map.uptr = (uintptr_t)buf;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	CHECK(ioas_unmap(fd, ioas, iova, len, NULL) == 0);
	/* other memory at the same address */
	CHECK(mmap(buf, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m2, 0) == buf);
	memset(buf, 0x22, len);
	iova = 0;
	CHECK(ioas_map(fd, ioas, buf, len, &iova, false) == 0);
	chk.check_map.iova = iova;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	buf[4097] = 0x33; /* and what it writes now is seen through the new pin */
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &chk) == 0);
	/* read through the domain's pin: the new memory, not the old one's 0x11 */
	ca.id = ioas;
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &ca) == 0);
	afd = (int)ca.create_access.out_access_fd;
	CHECK(access_rw(fd, afd, iova + 4096, in, sizeof(in), false) == 0);
	CHECK(in[0] == 0x22 && in[1] == 0x33 && in[2] == 0x22);
	close(afd);
	CHECK(ioas_unmap(fd, ioas, iova, len, NULL) == 0);
out:
	close(fd);
	munmap(buf, len);
	close(m1);
	close(m2);
}

/*
 * Where the struct lies: read-only (the kernel's EFAULT, as its copy_to_user, and no object
 * left behind), across two pages (read and written whole), its result half in a read-only
 * page (EFAULT), and at the very end of the mapping (EFAULT for what lies past it).
 */
/*
 * Each connection carries the Linux release its program expects ($IOASID_KERNEL_ABI when it
 * was opened): one daemon answers a 6.12 program and a newer one side by side. A paging HWPT
 * given to IOMMU_HWPT_INVALIDATE is ENOENT for 6.12 and EINVAL for 6.13 and the default.
 */
static void test_kernel_abi(void)
{
	static const struct {
		const char *abi;
		int err;
	} cases[] = {
		{ "6.12", ENOENT }, { NULL, EINVAL }, { "6.13", EINVAL }, { "junk", EINVAL }
	};
	int fds[4];

	for (int i = 0; i < 4; i++) {
		if (cases[i].abi)
			setenv("IOASID_KERNEL_ABI", cases[i].abi, 1);
		else
			unsetenv("IOASID_KERNEL_ABI");
		fds[i] = iommufd_open();
		CHECK(fds[i] >= 0);
	}
	unsetenv("IOASID_KERNEL_ABI");
	/* asked in reverse order of opening: the answer is the connection's, not the latest */
	for (int i = 3; i >= 0; i--) {
		struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
		struct iommu_hwpt_invalidate inv = { .size = sizeof(inv),
						     .entry_num = 1,
						     .entry_len = 8 };
		uint64_t entry = 0;
		uint32_t ioas;

		CHECK(ioas_alloc(fds[i], &ioas) == 0);
		md.id = ioas;
		CHECK(ioctl(fds[i], IOMMU_TEST_CMD, &md) == 0);
		inv.hwpt_id = md.mock_domain.out_hwpt_id;
		inv.data_uptr = (uintptr_t)&entry;
		CHECK(ioctl(fds[i], IOMMU_HWPT_INVALIDATE, &inv) == -1 && errno == cases[i].err);
		CHECK(inv.entry_num == 0);
		CHECK(close(fds[i]) == 0);
	}
}

static void test_struct_edges(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_destroy d = { .size = sizeof(d) };
	uint8_t *pg =
		mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc *ro = (void *)(pg + 4096 + 64), *cross = (void *)(pg + 4096 - 4);
	int fd = iommufd_open();
	uint32_t id;

	CHECK(fd >= 0 && pg != MAP_FAILED);
	/* across two writable pages */
	memcpy(cross, &a, sizeof(a));
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, cross) == 0);
	memcpy(&a, cross, sizeof(a));
	id = a.out_ioas_id;
	d.id = id;
	CHECK(id != 0 && ioctl(fd, IOMMU_DESTROY, &d) == 0);
	/* read-only: nothing may be written, so nothing is made */
	a.out_ioas_id = 0;
	memcpy(ro, &a, sizeof(a));
	CHECK(mprotect(pg + 4096, 4096, PROT_READ) == 0);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, ro) == -1 && errno == EFAULT);
	/* its out field in the read-only page */
	memcpy(cross, &a, 4);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, cross) == -1 && errno == EFAULT);
	/* no IOAS was left behind by the failed calls: the context has no object at all */
	for (d.id = 0; d.id < 64; d.id++)
		CHECK(ioctl(fd, IOMMU_DESTROY, &d) == -1 && errno == ENOENT);
	/* the struct's tail past the end of the mapping */
	CHECK(munmap(pg + 2 * 4096, 4096) == 0);
	CHECK(mprotect(pg + 4096, 4096, PROT_READ | PROT_WRITE) == 0);
	memcpy(pg + 2 * 4096 - 4, &a, 4);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, pg + 2 * 4096 - 4) == -1 && errno == EFAULT);
	close(fd);
	munmap(pg, 2 * 4096);
}

/* A file at number `fd` that is not ours must read, write and map as itself. */
static bool plain_file_works(int fd)
{
	char buf[4] = { 0 };
	void *p;

	if (write(fd, "abc", 3) != 3 || pread(fd, buf, 3, 0) != 3 || memcmp(buf, "abc", 3))
		return false;
	if (ftruncate(fd, 4096))
		return false;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return false;
	munmap(p, 4096);
	return true;
}

static void test_fd_table(void)
{
	char self[64], num[16];
	int fd, mfd, status;
	pid_t pid;
	uint32_t ioas;

	/* closed by a raw system call the shim never sees */
	fd = iommufd_open();
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	CHECK(syscall(SYS_close_range, fd, fd, 0) == 0);
	mfd = memfd_create("plain", MFD_CLOEXEC);
	CHECK(mfd == fd);
	CHECK(plain_file_works(mfd));
	close(mfd);

	/* closefrom */
	fd = iommufd_open();
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	closefrom(fd);
	mfd = memfd_create("plain", MFD_CLOEXEC);
	CHECK(mfd == fd);
	CHECK(plain_file_works(mfd));
	close(mfd);

	/* dup2 of another file over it */
	fd = iommufd_open();
	mfd = memfd_create("plain", MFD_CLOEXEC);
	CHECK(fd >= 0 && mfd >= 0 && dup2(mfd, fd) == fd);
	CHECK(plain_file_works(fd));
	close(fd);
	close(mfd);

	/* inherited across exec: the new program's shim knows it */
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0 && ioas_alloc(fd, &ioas) == 0);
	snprintf(num, sizeof(num), "%d", fd);
	memset(self, 0, sizeof(self));
	CHECK(readlink("/proc/self/exe", self, sizeof(self) - 1) > 0);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "--inherited", num, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	close(fd);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The exec'd half of test_fd_table: fd is an iommufd we inherited. */
static int inherited(int fd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	char c;

	alarm(5); /* a read that went to the socket would block for good */
	if (read(fd, &c, 1) != -1 || errno != EINVAL) {
		fprintf(stderr, "inherited: read of an iommufd is not EINVAL\n");
		return 1;
	}
	if (write(fd, &c, 1) != -1 || errno != EINVAL) {
		fprintf(stderr, "inherited: write of an iommufd is not EINVAL\n");
		return 1;
	}
	return ioctl(fd, IOMMU_IOAS_ALLOC, &cmd) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "basic", test_basic },
		{ "efault", test_efault },
		{ "dup_close", test_dup_close },
		{ "fork_map", test_fork_map },
		{ "last_close", test_last_close },
		{ "close_sync", test_close_sync },
		{ "scm_rights", test_scm_rights },
		{ "map_file", test_map_file },
		{ "pin_shared", test_pin_shared },
		{ "access_fd", test_access_fd },
		{ "fork_source", test_fork_source },
		{ "pin_private_file", test_pin_private_file },
		{ "userns_caps", test_userns_caps },
		{ "concurrency", test_concurrency },
		{ "fd_table", test_fd_table },
		{ "chan_fork", test_chan_fork },
		{ "idle_remap", test_idle_remap },
		{ "struct_edges", test_struct_edges },
		{ "kernel_abi", test_kernel_abi },
	};
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--inherited"))
		return inherited(atoi(argv[2]));
	fd = iommufd_open();

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
