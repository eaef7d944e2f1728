/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon_msg_fuzz.c - a fuzz target over the daemon's handling of a client's message: the
 * receive path (ioasid_recv), the validation and the serving of src/daemon/client.c
 * (client_serve), down into the core for the requests that pass.
 *
 * The target is one connection of a daemon living in this process: a socketpair whose
 * daemon end has the daemon's options (SO_PASSCRED, SO_PASSPIDFD), a struct client whose
 * opener is this process, the daemon's limits made small (64 objects, 4 access fds). Each
 * input is one message sent on the client end, with control data, then received and served
 * exactly as client_thread does. The fuzzer is the sender, so an IOCTL's argument may point
 * into its own memory (an arena filled from the input), and the core reads and writes it
 * through the daemon's mem ops (process_vm_readv on our own pid).
 *
 * Input: byte 0, flags: bit 0 breaks the magic; bits 1-2 the number of fds (0 to 3); bit 3
 * the first fd is a seqpacket socket (the shape of a reply channel), else a pipe; bit 4 the
 * ioctl's arg points into the arena; bit 5 hdr.size comes from the input; bit 6 the message
 * is sent with no bytes at all; bit 7 the type (and an ioctl's cmd) is taken raw from the
 * input, else chosen among the valid ones. Byte 1 selects the type, byte 2 the command.
 * The rest is the message body after the header, and again the arena.
 *
 * Calls (IOASID_MSG_CALL) go on a call channel of this process, attached to the client
 * (with data[2] bit 6 clear; any other type with bits 6 and 7 set), and are served as
 * client_thread serves a channel (client_serve_chan): inline struct bytes that lie about
 * their length or writability, fds they do not announce. An ATTACH on the connection
 * attaches further channels, up to the limit (4).
 *
 * Waits on a client (FD_INSTALLED, CLOSED) end at once: stop_fd is readable here. Checks:
 * no crash, no sanitizer report, the daemon's fd count stays bounded (the context is
 * freed every 256 inputs, after which everything it held must be gone).
 *
 * Build: see fuzz_main.h. The daemon's sources are linked in (with failnth.c's malloc
 * wrappers); what ioasidd.c provides is defined below.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "daemon/daemon.h"
#include "daemon_host.h"
#include "fuzz_main.h"

/* ---- the client's memory ---------------------------------------------------------------- */

/*
 * The client's memory as the daemon may reach it: a 16 MiB window at a fixed address (so a
 * saved corpus keeps meaning the same bytes), whose first page is the arena the ioctl's
 * struct is built in. The daemon's copies to and from the caller (process_vm_readv/writev,
 * wrapped below) reach only this window; anything else is EFAULT, as an address the client
 * has not mapped. Without it the fuzzer is a client whose address space holds ASan's
 * terabytes of NORESERVE shadow: an ACCESS_RW or device DMA that writes 16 MiB into it
 * commits 16 MiB of the harness for good, and a few dozen such inputs end the run on
 * libFuzzer's RSS limit (CI, stop 17). A real client pays for its own pages.
 */
#define CLIENT_WIN_ADDR 0x600000000000ULL
#if defined(__SANITIZE_THREAD__)
#define HARNESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HARNESS_TSAN 1
#endif
#endif
#ifndef HARNESS_TSAN
#define HARNESS_TSAN 0
#endif
#define CLIENT_WIN_SIZE (16ULL << 20)
#define ARENA_SIZE	4096
static uint8_t *client_win;
static uint8_t *arena;

ssize_t __real_process_vm_readv(pid_t pid, const struct iovec *l, unsigned long ln,
				const struct iovec *r, unsigned long rn, unsigned long flags);
ssize_t __real_process_vm_writev(pid_t pid, const struct iovec *l, unsigned long ln,
				 const struct iovec *r, unsigned long rn, unsigned long flags);

/* every remote range of a copy to or from this process lies inside the client window */
static bool in_client_win(pid_t pid, const struct iovec *r, unsigned long rn)
{
	uintptr_t lo = (uintptr_t)client_win, hi = lo + CLIENT_WIN_SIZE;

	if (pid != getpid())
		return true;
	for (unsigned long i = 0; i < rn; i++) {
		uintptr_t b = (uintptr_t)r[i].iov_base;

		if (!r[i].iov_len)
			continue;
		if (!client_win || b < lo || b >= hi || r[i].iov_len > hi - b)
			return false;
	}
	return true;
}

typedef ssize_t vm_copy_fn(pid_t pid, const struct iovec *l, unsigned long ln,
			   const struct iovec *r, unsigned long rn, unsigned long flags);

/* the copy, if every remote range lies in the client window; else EFAULT */
static ssize_t confined(vm_copy_fn *copy, pid_t pid, const struct iovec *l, unsigned long ln,
			const struct iovec *r, unsigned long rn, unsigned long flags)
{
	if (!in_client_win(pid, r, rn)) {
		errno = EFAULT;
		return -1;
	}
	return copy(pid, l, ln, r, rn, flags);
}

ssize_t __wrap_process_vm_readv(pid_t pid, const struct iovec *l, unsigned long ln,
				const struct iovec *r, unsigned long rn, unsigned long flags)
{
	return confined(__real_process_vm_readv, pid, l, ln, r, rn, flags);
}

ssize_t __wrap_process_vm_writev(pid_t pid, const struct iovec *l, unsigned long ln,
				 const struct iovec *r, unsigned long rn, unsigned long flags)
{
	return confined(__real_process_vm_writev, pid, l, ln, r, rn, flags);
}

/* ---- the target ------------------------------------------------------------------------ */

static const uint16_t types[] = {
	IOASID_MSG_HELLO,  IOASID_MSG_IOCTL, IOASID_MSG_IOCTL,	   IOASID_MSG_IOCTL,
	IOASID_MSG_STATS,  IOASID_MSG_CLOSE, IOASID_MSG_IOCTL_NTH, IOASID_MSG_REPLY,
	IOASID_MSG_ATTACH, IOASID_MSG_CALL,  IOASID_MSG_CALL,	   IOASID_MSG_CALL,
	IOASID_MSG_MEM,
};

static const unsigned long cmds[] = {
	IOMMU_IOAS_ALLOC,	IOMMU_IOAS_MAP,		IOMMU_IOAS_UNMAP, IOMMU_IOAS_COPY,
	IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_DESTROY,	  IOMMU_OPTION,
	IOMMU_IOAS_MAP_FILE,	IOMMU_TEST_CMD,		IOMMU_TEST_CMD,	  IOMMU_HWPT_ALLOC,
	IOMMU_GET_HW_INFO,	IOMMU_VFIO_IOAS,
};

static struct client cl;
static int sv[2] = { -1, -1 };
/* a call channel attached to cl by this process: [0] the daemon's end, [1] ours */
static int csv[2] = { -1, -1 };
static struct chan fchan = { .fd = -1, .pidfd = -1 };
static unsigned long runs;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void setup(void)
{
	if (sv[0] >= 0)
		return;
	client_win = MAP_FAILED;
#if !HARNESS_TSAN /* TSan refuses a fixed mapping outside its application ranges */
	client_win =
		mmap((void *)(uintptr_t)CLIENT_WIN_ADDR, CLIENT_WIN_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
#endif
	if (client_win == MAP_FAILED)
		client_win = mmap(NULL, CLIENT_WIN_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (client_win == MAP_FAILED)
		abort();
	arena = client_win;
	stop_fd = eventfd(1, EFD_CLOEXEC); /* readable: no wait on a client lasts */
	if (stop_fd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	ident_sock_setup(sv[0]);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, csv))
		abort();
	{
		int one = 1;

		setsockopt(csv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	}
	fchan.fd = csv[0];
	fchan.pid = getpid();
	fchan.pidfd = ident_pidfd_open(getpid());
	if (fchan.pidfd < 0)
		abort();
	cl.sock = sv[0];
	cl.uid = geteuid();
	cl.gid = getegid();
	cl.pid = getpid();
	cl.uid_objects = &uid_objects;
}

/* What client_thread does at EOF: the context goes with everything in it. */
static void reset(void)
{
	client_waiters_end(&cl); /* a DMA op served on a waiter */
	client_chans_close(&cl);
	if (cl.ctx) {
		ioasid_ctx_free(cl.ctx);
		cl.ctx = NULL;
		counter_sub(contexts, 1);
	}
	mem_release(&cl);
	mem_unhold(fchan.src); /* what the harness's own channel was handed */
	fchan.src = NULL;
	if (__atomic_load_n(&uid_objects, __ATOMIC_RELAXED))
		abort(); /* an object outlived its context */
}

/*
 * Two test ops walk the caller's memory a page at a time (MD_CHECK_REFS, MD_CHECK_MAP). The
 * caller here is this very process, whose ASan shadow is terabytes of NORESERVE memory that
 * such a walk faults in until libFuzzer's RSS limit ends the run; a daemon's real client
 * pays for its own walks. Their lengths are kept to 16 MiB so the run measures the daemon,
 * not the harness's shadow.
 */
static void clamp_memory_walks(void)
{
	struct iommu_test_cmd tc;
	__u64 *len = NULL;

	memcpy(&tc, arena, sizeof(tc));
	if (tc.op == IOMMU_TEST_OP_MD_CHECK_REFS)
		len = &tc.check_refs.length;
	else if (tc.op == IOMMU_TEST_OP_MD_CHECK_MAP)
		len = &tc.check_map.length;
	if (len && *len > (16u << 20)) {
		*len = 16u << 20;
		memcpy(arena, &tc, sizeof(tc));
	}
}

/* sendmsg with up to 3 fds (one more than a request may carry: the daemon must refuse it) */
static int send_raw(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Drain what the daemon answered on our end of a reply channel. */
static void drain(int fd)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_recv r;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!ioasid_recv(fd, buf, &r) && r.len)
		ioasid_recv_close_fds(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_Alignas(8) char msg[IOASID_PROTO_MAX_MSG];
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_hdr hdr;
	struct ioasid_recv r;
	int fds[3] = { -1, -1, -1 }, keep = -1, chan[2];
	unsigned int nfds, type;
	bool on_chan;
	uint8_t flags;
	size_t len, body;

	if (size < 3)
		return 0;
	setup();
	flags = data[0];
	type = flags & 0x80 ? data[1] : types[data[1] % (sizeof(types) / sizeof(types[0]))];
	len = ioasid_msg_size(type);
	body = size - 3;
	if (!len || flags & 0x20)
		len = sizeof(hdr) +
		      (body < sizeof(msg) - sizeof(hdr) ? body : sizeof(msg) - sizeof(hdr));
	memset(msg, 0, sizeof(msg));
	memcpy(msg + sizeof(hdr), data + 3, body < len - sizeof(hdr) ? body : len - sizeof(hdr));
	hdr.magic = flags & 1 ? 0x41414141u : IOASID_PROTO_MAGIC;
	hdr.version = IOASID_PROTO_VERSION;
	hdr.type = type;
	hdr.size = flags & 0x20 && body >= 4 ? (uint32_t)data[3] << 2 : (uint32_t)len;
	hdr.seq = (uint32_t)runs;
	memcpy(msg, &hdr, sizeof(hdr));
	if ((type == IOASID_MSG_IOCTL || type == IOASID_MSG_IOCTL_NTH) && len >= 32) {
		struct ioasid_msg_ioctl io;

		memcpy(&io, msg, sizeof(io));
		if (!(flags & 0x80))
			io.cmd = cmds[data[2] % (sizeof(cmds) / sizeof(cmds[0]))];
		if (flags & 0x10) {
			/* the struct: a plausible size first, then the input again */
			memset(arena, 0, ARENA_SIZE);
			memcpy(arena, data + 3, body < ARENA_SIZE ? body : ARENA_SIZE);
			arena[0] = 8 + data[2] % 120;
			arena[1] = arena[2] = arena[3] = 0;
			io.arg = (uintptr_t)arena;
			if (io.cmd == IOMMU_TEST_CMD)
				clamp_memory_walks();
		}
		memcpy(msg, &io, sizeof(io));
	}
	if (type == IOASID_MSG_CALL && len >= sizeof(struct ioasid_msg_call)) {
		struct ioasid_msg_call c;

		memcpy(&c, msg, sizeof(c));
		if (!(flags & 0x80))
			c.cmd = cmds[data[2] % (sizeof(cmds) / sizeof(cmds[0]))];
		if (flags & 0x10) {
			memset(arena, 0, ARENA_SIZE);
			memcpy(arena, data + 3, body < ARENA_SIZE ? body : ARENA_SIZE);
			arena[0] = 8 + data[2] % 120;
			arena[1] = arena[2] = arena[3] = 0;
			c.arg = (uintptr_t)arena;
		}
		/* inline bytes: as many as the message has past its fixed part, unless raw */
		if (!(flags & 0x20)) {
			size_t room = sizeof(msg) - sizeof(c);

			c.in_len = body < room ? body : room;
			if (c.in_len > IOASID_PROTO_MAX_INLINE)
				c.in_len = IOASID_PROTO_MAX_INLINE;
			c.wr_len = c.in_len ? c.wr_len % (c.in_len + 1) : 0;
			len = sizeof(c) + c.in_len;
			c.hdr.size = (uint32_t)len;
		}
		memcpy(msg, &c, sizeof(c));
	}
	nfds = (flags >> 1) & 3;
	for (unsigned int i = 0; i < nfds; i++) {
		if (i == 0 && flags & 8) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan))
				abort();
			fds[0] = chan[1];
			keep = chan[0];
		} else if (pipe2(chan, O_CLOEXEC)) {
			abort();
		} else {
			fds[i] = chan[0];
			close(chan[1]);
		}
	}
	/* a call goes on the call channel (and everything else, when data[2] says so) */
	on_chan = type == IOASID_MSG_CALL ? !(data[2] & 0x40) : (data[2] & 0xc0) == 0xc0;
	if (send_raw(on_chan ? csv[1] : sv[1], msg, flags & 0x40 ? 0 : len, fds, nfds)) {
		perror("daemon_msg_fuzz: sendmsg");
		abort();
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	/* received and served as client_thread does */
	if (on_chan) {
		int rc = ioasid_recv_flags(csv[0], buf, &r, MSG_DONTWAIT);

		if (!rc && r.len) {
			client_serve_chan(&cl, &fchan, buf, &r);
			ioasid_recv_close_fds(&r);
		}
		drain(csv[1]);
	} else if (!ioasid_recv(sv[0], buf, &r) && r.len) {
		client_serve(&cl, buf, &r);
		ioasid_recv_close_fds(&r);
	}
	if (keep >= 0) {
		drain(keep);
		close(keep);
	}
	if (++runs % 256 == 0)
		reset();
	if (count_fds() > 256) {
		fprintf(stderr, "daemon_msg_fuzz: %d fds open\n", count_fds());
		abort();
	}
	return 0;
}
