/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client.c - the client end of the protocol: connect, start the daemon, forward an ioctl.
 *
 * Used by the shim (inside arbitrary programs), by tests that talk to the daemon without
 * the shim, and later by ioasidctl. Like proto.c it keeps no global state beyond a sequence
 * counter and never writes to stdio.
 *
 * Starting the daemon on demand. Two programs opening /dev/iommu at the same moment must
 * not start two daemons, and a daemon that is exiting (idle) must not swallow a new client:
 *   1. connect and say HELLO; a daemon that answers is alive;
 *   2. otherwise take an exclusive flock on "<socket>.start", and try again (someone else
 *      may have started it while we waited);
 *   3. still nobody: spawn the daemon (double fork + setsid, so it is in no process group
 *      or session of ours and a harness killing our group does not kill it; stdio on
 *      /dev/null; LD_PRELOAD removed so the daemon is not shimmed), and retry the connect
 *      with a growing pause, for up to 10 s;
 *   4. release the lock.
 * The daemon itself holds "<socket>.lock" for its whole life, which makes removing a stale
 * socket file safe; see ioasidd.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/proto.h"
#include "util/kver.h"

#ifndef IOASID_DAEMON_BUILD_PATH
#define IOASID_DAEMON_BUILD_PATH ""
#endif
#ifndef IOASID_DAEMON_INSTALL_PATH
#define IOASID_DAEMON_INSTALL_PATH "/usr/local/bin/ioasidd"
#endif

extern char **environ;

static uint32_t client_seq;

static uint32_t next_seq(void)
{
	return __atomic_add_fetch(&client_seq, 1, __ATOMIC_RELAXED);
}

const char *ioasid_daemon_exe(void)
{
	const char *env = getenv("IOASID_DAEMON");

	if (env && *env)
		return env;
	if (*IOASID_DAEMON_BUILD_PATH && !access(IOASID_DAEMON_BUILD_PATH, X_OK))
		return IOASID_DAEMON_BUILD_PATH;
	return IOASID_DAEMON_INSTALL_PATH;
}

int ioasid_reply_timeout_ms(void)
{
	const char *env = getenv("IOASID_TIMEOUT_MS");
	long v = env && *env ? strtol(env, NULL, 10) : 0;

	return v > 0 && v < 24L * 3600 * 1000 ? (int)v : 60000;
}

int ioasid_connect_timeout_ms(void)
{
	int t = ioasid_reply_timeout_ms();

	return t < 5000 ? t : 5000;
}

/* Wait until fd is readable: 0, or -EIO when timeout_ms passes first (a wedged daemon). */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec t0, t1;
	int n, left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -EIO;
		if (errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms -
		       (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -EIO;
	}
}

/* Open a reply channel: sv[0] stays here, sv[1] travels with the request. */
static int reply_channel(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	return 0;
}

/* Send a request that carries a reply channel (plus extra fds); return our end, or -errno. */
static int request(int sock, const void *msg, size_t len, const int *extra, unsigned int nextra)
{
	int fds[IOASID_PROTO_MAX_FDS], sv[2], rc;

	if (nextra + 1 > IOASID_PROTO_MAX_FDS)
		return -EINVAL;
	rc = reply_channel(sv);
	if (rc)
		return rc;
	fds[0] = sv[1];
	for (unsigned int i = 0; i < nextra; i++)
		fds[i + 1] = extra[i];
	rc = ioasid_send(sock, msg, len, fds, nextra + 1);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		/* a connection the daemon dropped reads as a device that went away */
		return rc == -EPIPE || rc == -ECONNRESET ? -EIO : rc;
	}
	return sv[0];
}

/*
 * Wait on a reply channel for a message of `type`, serving FD_INSTALL meanwhile; each
 * message must come within timeout_ms (-EIO otherwise).
 */
int ioasid_client_await(int ch, void *buf, unsigned int type, int timeout_ms)
{
	for (;;) {
		struct ioasid_recv r;
		struct ioasid_msg_hdr hdr;
		/* < 0: the channel's own SO_RCVTIMEO bounds the wait (a call channel) */
		int rc = timeout_ms >= 0 ? wait_readable(ch, timeout_ms) : 0;

		if (rc)
			return rc;
		rc = ioasid_recv(ch, buf, &r);
		if (rc)
			return rc == -EAGAIN ? -EIO : rc;
		if (!r.len)
			return -EIO; /* the daemon died, or dropped the call */
		if (ioasid_msg_check(buf, r.len, 0)) {
			ioasid_recv_close_fds(&r);
			return -EPROTO;
		}
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.type == IOASID_MSG_FD_INSTALL && r.nfds == 1) {
			struct ioasid_msg_fd_install in;
			struct ioasid_msg_fd_installed out;
			int fd = r.fds[0];

			memcpy(&in, buf, sizeof(in));
			/* received fds are CLOEXEC; keep that only if asked */
			if (!(in.flags & O_CLOEXEC))
				fcntl(fd, F_SETFD, 0);
			ioasid_msg_init(&out.hdr, IOASID_MSG_FD_INSTALLED, hdr.seq);
			out.fd = fd;
			rc = ioasid_send(ch, &out, sizeof(out), NULL, 0);
			if (rc) {
				close(fd);
				return rc;
			}
			continue;
		}
		if (hdr.type != type || r.nfds) {
			ioasid_recv_close_fds(&r);
			return -EPROTO;
		}
		return 0;
	}
}

int ioasid_client_ioctl_nth(int sock, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
			    unsigned int *fail_nth, long *out_ret)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_ioctl_nth msg;
	struct ioasid_msg_ioctl *io = &msg.io;
	struct ioasid_msg_reply rep;
	unsigned int nextra = 0;
	bool nth = fail_nth && *fail_nth;
	int ch, rc;

	ioasid_msg_init(&io->hdr, nth ? IOASID_MSG_IOCTL_NTH : IOASID_MSG_IOCTL, next_seq());
	io->cmd = cmd;
	io->arg = arg;
	if (nth)
		msg.fail_nth = *fail_nth;
	if (in_fd_offset >= 0 && in_fd != IOASID_IN_FD_NONE) {
		io->in_fd_offset = in_fd_offset;
		if (in_fd >= 0) {
			io->flags |= IOASID_IOCTL_IN_FD;
			nextra = 1;
		} else {
			io->flags |= IOASID_IOCTL_IN_FD_BAD;
		}
	}
	ch = request(sock, &msg, io->hdr.size, &in_fd, nextra);
	if (ch < 0)
		return ch;
	rc = ioasid_client_await(ch, buf, IOASID_MSG_REPLY, ioasid_reply_timeout_ms());
	close(ch);
	if (rc)
		return rc;
	memcpy(&rep, buf, sizeof(rep));
	if (nth)
		*fail_nth = rep.fail_nth < *fail_nth ? rep.fail_nth : *fail_nth;
	if (rep.err)
		return rep.err > 0 && rep.err < 4096 ? -rep.err : -EPROTO;
	*out_ret = rep.ret;
	return 0;
}

int ioasid_client_ioctl(int sock, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
			long *out_ret)
{
	return ioasid_client_ioctl_nth(sock, cmd, arg, in_fd_offset, in_fd, NULL, out_ret);
}

/* ---- memory hand-over (MEM) ----------------------------------------------------------------- */

int ioasid_client_mem(int sock, int memfd)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_mem msg;
	struct ioasid_msg_reply rep;
	int ch, rc;

	ioasid_msg_init(&msg.hdr, IOASID_MSG_MEM, next_seq());
	ch = request(sock, &msg, sizeof(msg), &memfd, 1);
	if (ch < 0)
		return ch;
	rc = ioasid_client_await(ch, buf, IOASID_MSG_REPLY, ioasid_reply_timeout_ms());
	close(ch);
	if (rc)
		return rc;
	memcpy(&rep, buf, sizeof(rep));
	if (rep.err)
		return rep.err > 0 && rep.err < 4096 ? -rep.err : -EPROTO;
	return 0;
}

int ioasid_chan_mem(int ch, int memfd)
{
	struct ioasid_msg_mem msg;
	int rc;

	ioasid_msg_init(&msg.hdr, IOASID_MSG_MEM, next_seq());
	rc = ioasid_send(ch, &msg, sizeof(msg), &memfd, 1);
	return rc == -EAGAIN || rc == -EPIPE || rc == -ECONNRESET ? -EIO : rc;
}

/* ---- call channels ----------------------------------------------------------------------- */

int ioasid_client_attach(int sock)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	int tmo = ioasid_reply_timeout_ms();
	struct timeval tv = { .tv_sec = tmo / 1000, .tv_usec = (tmo % 1000) * 1000 };
	struct ioasid_msg_hdr msg;
	struct ioasid_msg_attached ans;
	int ch, rc;

	ioasid_msg_init(&msg, IOASID_MSG_ATTACH, next_seq());
	ch = request(sock, &msg, sizeof(msg), NULL, 0);
	if (ch < 0)
		return ch;
	rc = ioasid_client_await(ch, buf, IOASID_MSG_ATTACHED, tmo);
	if (rc) {
		close(ch);
		return rc == -EPROTO ? -EINVAL : rc; /* a daemon without channels answers REPLY */
	}
	memcpy(&ans, buf, sizeof(ans));
	if (ans.err) {
		close(ch);
		return ans.err > 0 && ans.err < 4096 ? -ans.err : -EPROTO;
	}
	/* every later wait on the channel is bounded by the socket itself: no poll per call */
	if (setsockopt(ch, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(ch, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		rc = -errno;
		close(ch);
		return rc;
	}
	return ch;
}

/*
 * Our pid without a system call per ask. The answer is kept in a page marked
 * MADV_WIPEONFORK: the kernel hands a child of any fork (glibc's, a raw clone without
 * CLONE_VM) that page zeroed, so a child never believes the parent's pid. (A vfork child
 * shares our memory, but may only exec or _exit.)
 */
static pid_t *self_pid_page;

pid_t ioasid_self_pid(void)
{
	pid_t *page = __atomic_load_n(&self_pid_page, __ATOMIC_ACQUIRE), pid;

	if (!page) {
		pid_t *expect = NULL;

		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			return getpid();
		if (madvise(page, 4096, MADV_WIPEONFORK)) {
			munmap(page, 4096);
			return getpid(); /* before Linux 4.14: ask each time */
		}
		if (!__atomic_compare_exchange_n(&self_pid_page, &expect, page, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			munmap(page, 4096);
			page = expect;
		}
	}
	pid = __atomic_load_n(page, __ATOMIC_RELAXED);
	if (!pid) {
		pid = getpid();
		__atomic_store_n(page, pid, __ATOMIC_RELAXED);
	}
	return pid;
}

/*
 * Copy between our own memory at addr (not trusted: the program's pointer) and local, as
 * far as it goes: the bytes moved, a prefix of len. The remote side is split at 4 KiB
 * boundaries because process_vm_* move whole iovecs or nothing; a bad pointer moves 0.
 */
static size_t self_xfer(uint64_t addr, void *local, size_t len, bool write)
{
	struct iovec l = { .iov_base = local, .iov_len = len };
	struct iovec r[IOASID_PROTO_MAX_INLINE / 4096 + 2];
	unsigned int nr = 0;
	uint64_t a = addr, end = addr + len;
	ssize_t n;

	if (!len || end < addr)
		return 0;
	while (a < end && nr < sizeof(r) / sizeof(r[0])) {
		uint64_t next = (a | 4095) + 1;

		if (next > end || next < a)
			next = end;
		r[nr].iov_base = (void *)(uintptr_t)a;
		r[nr++].iov_len = next - a;
		a = next;
	}
	n = write ? process_vm_writev(ioasid_self_pid(), &l, 1, r, nr, 0) :
		    process_vm_readv(ioasid_self_pid(), &l, 1, r, nr, 0);
	return n > 0 ? (size_t)n : 0;
}

void ioasid_read_struct(uint64_t arg, void *buf, uint16_t *out_len, uint16_t *out_wr)
{
	/* what a struct may bring, but nothing past the page arg is in (never touch the next) */
	size_t first = 4096 - (arg & 4095);
	struct iovec local[2], remote[2];
	uint32_t size = 0;
	size_t got;
	ssize_t n;

	if (first > IOASID_PROTO_MAX_INLINE)
		first = IOASID_PROTO_MAX_INLINE;
	local[0] = (struct iovec){ buf, first };
	local[1] = (struct iovec){ (void *)(uintptr_t)arg, 1 };
	remote[0] = (struct iovec){ (void *)(uintptr_t)arg, first };
	remote[1] = (struct iovec){ (void *)(uintptr_t)arg, 1 };
	*out_len = *out_wr = 0;
	/*
	 * The common case in one system call: read the rest of the struct's page, as far as a
	 * struct may reach (its size, the first u32, is not known yet), then copy its first byte
	 * onto itself, which tells whether that page is writable. A struct within one page is
	 * then writable whole. A struct across pages is read and probed page by page.
	 */
	n = process_vm_readv(ioasid_self_pid(), local, 2, remote, 2, 0);
	if (n < (ssize_t)first || first < sizeof(size)) {
		/* not all of it (a page not writable, or arg unreadable), or a page's last bytes */
		got = self_xfer(arg, buf, first < sizeof(size) ? sizeof(size) : first, false);
		n = 0;
	} else {
		got = first;
	}
	if (got < sizeof(size))
		return; /* unreadable: the daemon meets the same EFAULT */
	memcpy(&size, buf, sizeof(size));
	if (size > got && got < IOASID_PROTO_MAX_INLINE) {
		got = self_xfer(arg, buf,
				size < IOASID_PROTO_MAX_INLINE ? size : IOASID_PROTO_MAX_INLINE,
				false);
		n = 0;
	}
	*out_len = size < got ? size : got;
	if (n > (ssize_t)first && (arg & 4095) + *out_len <= 4096) {
		*out_wr = *out_len; /* all of it in the page whose first byte took a write */
		return;
	}
	/* may the daemon's writes land there? copying the struct onto itself tells */
	*out_wr = self_xfer(arg, buf, *out_len, true);
}

int ioasid_chan_ioctl(int ch, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
		      unsigned int *fail_nth, long *out_ret, int *out_err)
{
	_Alignas(8) char msg[IOASID_PROTO_MAX_MSG];
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	uint8_t *data = (uint8_t *)msg + sizeof(struct ioasid_msg_call);
	struct ioasid_msg_call call;
	struct ioasid_msg_call_reply rep;
	unsigned int nfds = 0;
	int rc;

	ioasid_msg_init(&call.hdr, IOASID_MSG_CALL, next_seq());
	call.cmd = cmd;
	call.arg = arg;
	if (fail_nth && *fail_nth) {
		call.flags |= IOASID_CALL_NTH;
		call.fail_nth = *fail_nth;
	}
	if (in_fd_offset >= 0 && in_fd != IOASID_IN_FD_NONE) {
		call.in_fd_offset = in_fd_offset;
		if (in_fd >= 0) {
			call.flags |= IOASID_CALL_IN_FD;
			nfds = 1;
		} else {
			call.flags |= IOASID_CALL_IN_FD_BAD;
		}
	}
	ioasid_read_struct(arg, data, &call.in_len, &call.wr_len);
	call.hdr.size = sizeof(call) + call.in_len;
	memcpy(msg, &call, sizeof(call));
	rc = ioasid_send(ch, msg, call.hdr.size, &in_fd, nfds);
	if (rc)
		return rc == -EAGAIN || rc == -EPIPE || rc == -ECONNRESET ? -EIO : rc;
	for (;;) {
		rc = ioasid_client_await(ch, buf, IOASID_MSG_CALL_REPLY, -1);
		if (rc)
			return rc;
		memcpy(&rep, buf, sizeof(rep));
		if (rep.hdr.seq == call.hdr.seq)
			break;
		/* an answer to a call given up on cannot be here: we drop a channel on timeout */
		return -EPROTO;
	}
	if ((size_t)rep.out_off + rep.out_len > call.wr_len)
		return -EPROTO; /* nothing is written outside what we offered */
	if (fail_nth && *fail_nth)
		*fail_nth = rep.fail_nth < *fail_nth ? rep.fail_nth : *fail_nth;
	*out_err = rep.err > 0 && rep.err < 4096 ? rep.err : rep.err ? EPROTO : 0;
	/*
	 * Where the answer goes, the same call found the program's memory writable (wr_len):
	 * a plain copy. (A program that unmaps its struct while its own ioctl runs may fault
	 * here, where the kernel would say EFAULT.)
	 */
	if (rep.out_len)
		memcpy((uint8_t *)(uintptr_t)arg + rep.out_off, buf + sizeof(rep), rep.out_len);
	if (!*out_err)
		*out_ret = rep.ret;
	return 0;
}

int ioasid_client_stats(int sock, struct ioasidd_stats *out)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_hdr msg;
	struct ioasid_msg_stats_reply rep;
	int ch, rc;

	ioasid_msg_init(&msg, IOASID_MSG_STATS, next_seq());
	ch = request(sock, &msg, sizeof(msg), NULL, 0);
	if (ch < 0)
		return ch;
	rc = ioasid_client_await(ch, buf, IOASID_MSG_STATS_REPLY, ioasid_reply_timeout_ms());
	close(ch);
	if (rc)
		return rc;
	memcpy(&rep, buf, sizeof(rep));
	*out = rep.stats;
	return 0;
}

int ioasid_client_close(int sock, int (*close_fn)(int), bool *out_last)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_hdr msg;
	struct ioasid_msg_close_reply rep;
	int ch, rc, err;

	if (out_last)
		*out_last = false;
	ioasid_msg_init(&msg, IOASID_MSG_CLOSE, next_seq());
	ch = request(sock, &msg, sizeof(msg), NULL, 0);
	rc = close_fn(sock);
	err = errno;
	if (ch < 0)
		goto out; /* the daemon is gone: nothing to wait for */
	ioasid_msg_init(&msg, IOASID_MSG_CLOSED, msg.seq);
	/* an old daemon, or one that died: EOF on the channel, done either way */
	if (!ioasid_send(ch, &msg, sizeof(msg), NULL, 0) &&
	    !ioasid_client_await(ch, buf, IOASID_MSG_CLOSE_REPLY, ioasid_reply_timeout_ms())) {
		memcpy(&rep, buf, sizeof(rep));
		if (out_last)
			*out_last = rep.last == 1;
	}
	close(ch);
out:
	errno = err;
	return rc;
}

/*
 * The daemon refused the connection (IOASID_MSG_REFUSED on the connection itself): its
 * errno, or 0 if what is there is not a refusal.
 */
static int refused(int sock)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_refused ref;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct ioasid_recv r;

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return 0;
	if (ioasid_recv(sock, buf, &r) || !r.len)
		return 0;
	ioasid_recv_close_fds(&r);
	if (ioasid_msg_check(buf, r.len, IOASID_MSG_REFUSED))
		return 0;
	memcpy(&ref, buf, sizeof(ref));
	return ref.err > 0 && ref.err < 4096 ? ref.err : EIO;
}

/*
 * One attempt: verify the socket's directory, connect (bounded by SO_SNDTIMEO, which also
 * bounds every later send on the connection), verify the peer's uid, exchange HELLO. The
 * socket, or -errno: -ENOENT/-ECONNREFUSED for nobody listening, -EPERM for a socket or
 * a peer we must not trust, -EIO for a daemon that does not answer in time.
 */
static int try_connect(const char *path, unsigned int flags, pid_t *out_pid)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int tmo = ioasid_connect_timeout_ms();
	struct timeval tv = { .tv_sec = tmo / 1000, .tv_usec = (tmo % 1000) * 1000 };
	struct ioasid_msg_hello hello;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct stat st;
	int sock, ch, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	rc = ioasid_socket_dir_check(path);
	if (rc)
		return rc;
	/* the socket file itself: ours or root's (the directory says nobody else wrote it) */
	if (lstat(path, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode) || !ioasid_peer_uid_ok(st.st_uid))
		return -EPERM;
	sock = socket(AF_UNIX, SOCK_SEQPACKET | (flags & IOASID_CONNECT_CLOEXEC ? SOCK_CLOEXEC : 0),
		      0);
	if (sock < 0)
		return -errno;
	tmo = ioasid_reply_timeout_ms();
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = errno == EAGAIN || errno == EINPROGRESS ? -EIO : -errno;
		goto out_close;
	}
	/* later sends (each request) are bounded by the reply timeout */
	tv.tv_sec = tmo / 1000;
	tv.tv_usec = (tmo % 1000) * 1000;
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* who listens there, as the kernel recorded it: nothing is sent to anybody else */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) || !ioasid_peer_uid_ok(cr.uid)) {
		rc = -EPERM;
		goto out_close;
	}
	ioasid_msg_init(&hello.hdr, IOASID_MSG_HELLO, next_seq());
	hello.kernel_abi = kver_from_env();
	ch = request(sock, &hello, sizeof(hello), NULL, 0);
	if (ch < 0) {
		rc = refused(sock);
		rc = rc ? -rc : -ECONNREFUSED;
		goto out_close;
	}
	{
		struct pollfd pfd[2] = { { .fd = ch, .events = POLLIN },
					 { .fd = sock, .events = POLLIN } };
		int n;

		do {
			n = poll(pfd, 2, ioasid_connect_timeout_ms());
		} while (n < 0 && errno == EINTR);
		if (n == 0) {
			rc = -EIO;
			goto out_ch;
		}
		/* a refusal (limits) comes on the connection; the channel then reads EOF */
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			rc = refused(sock);
			if (rc) {
				rc = -rc;
				goto out_ch;
			}
		}
	}
	rc = ioasid_client_await(ch, buf, IOASID_MSG_HELLO_REPLY, ioasid_connect_timeout_ms());
	if (rc) {
		int err = refused(sock);

		/* EOF: accepted by a daemon on its way out; try again */
		rc = err ? -err : rc == -EIO ? -EIO : -ECONNREFUSED;
		goto out_ch;
	}
	close(ch);
	/* the daemon's pid is the one the kernel stamped, not what the HELLO says */
	if (out_pid)
		*out_pid = cr.pid;
	return sock;

out_ch:
	close(ch);
out_close:
	close(sock);
	return rc;
}

int ioasid_daemon_spawn(const char *exe, const char *sock_path)
{
	const char *idle = getenv("IOASID_IDLE_EXIT");
	char *argv[] = { (char *)exe,
			 "--socket",
			 (char *)sock_path,
			 "--idle-exit",
			 (char *)(idle && *idle ? idle : "10"),
			 NULL };
	size_t n = 0, k = 0;
	char **envp;
	pid_t child;
	int status;

	/* everything the child needs is built before fork: it only calls async-safe code */
	while (environ && environ[n])
		n++;
	envp = calloc(n + 1, sizeof(*envp));
	if (!envp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			envp[k++] = environ[i];
	child = fork();
	if (child < 0) {
		free(envp);
		return -errno;
	}
	if (child == 0) {
		sigset_t all;
		int null;

		setsid();
		if (fork() != 0)
			_exit(0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		syscall(SYS_close_range, 3, ~0U, 0);
		execve(exe, argv, envp);
		_exit(127);
	}
	free(envp);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int ioasid_client_connect(const char *path, unsigned int flags, const char *exe,
			  pid_t *out_daemon_pid)
{
	char lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	struct timespec pause = { 0, 1000000 };
	int sock, lock, rc;

	sock = try_connect(path, flags, out_daemon_pid);
	if (sock >= 0 || !(flags & IOASID_CONNECT_AUTOSTART))
		return sock;
	if (sock != -ENOENT && sock != -ECONNREFUSED)
		return sock;
	rc = ioasid_socket_dir_prepare(path);
	if (rc)
		return rc;
	snprintf(lock_path, sizeof(lock_path), "%s.start", path);
	lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return -errno;
	while (flock(lock, LOCK_EX) && errno == EINTR)
		;
	sock = try_connect(path, flags, out_daemon_pid);
	if (sock >= 0)
		goto out_unlock;
	rc = ioasid_daemon_spawn(exe ? exe : ioasid_daemon_exe(), path);
	if (rc) {
		sock = rc;
		goto out_unlock;
	}
	for (int waited_ms = 0; waited_ms < 10000; waited_ms += pause.tv_nsec / 1000000) {
		nanosleep(&pause, NULL);
		sock = try_connect(path, flags, out_daemon_pid);
		if (sock >= 0 || (sock != -ENOENT && sock != -ECONNREFUSED))
			break;
		if (pause.tv_nsec < 64000000)
			pause.tv_nsec *= 2;
	}
out_unlock:
	flock(lock, LOCK_UN);
	close(lock);
	return sock;
}
