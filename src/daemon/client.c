/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client.c - one connection: one thread, one ioasid context.
 *
 * The thread polls the connection and the connection's call channels (one per process that
 * attached one, with that process's pidfd) and serves one message at a time, so the requests
 * of every process sharing the connection (a parent and its forked children, threads) are
 * served one after another, as the core's per-context lock would order them anyway. A call
 * channel is served only for the process it is bound to (client_serve_chan), read without
 * ever blocking, and dropped when every copy of it is closed or its process has exited.
 * The one exception to "one at a time": a device DMA that waits for the program's page
 * response is served on a waiter thread (below), so the program can fix the fault on the
 * same iommufd meanwhile.
 *
 * Each message is validated before anything acts on it, in this order: complete (no
 * truncated body or control data, no fd beyond the two a request may carry), stamped with
 * the sender's credentials, from an allowed user (the opener's uid, or root), a known type
 * of exactly its size, with the fds its type and flags call for, the first of which is a
 * socket (the reply channel). A message that fails before a reply channel is known is
 * dropped, its fds closed, and counted in bad_messages_total; after that the sender gets
 * EINVAL (or EPERM) on its channel. A bad message never closes the connection: the
 * connection is the program's iommufd, shared with whoever else holds it.
 *
 * EOF on the connection is the last close of the iommufd in every process: the context is
 * freed with every object and pin it holds (a source whose last pages object goes checks its
 * mirror empty), and only then are the shim's synchronous closes answered (CLOSE in
 * src/proto/proto.h), so a program's last close() returns after everything is released, as
 * with the kernel. A client that is killed mid-call costs nothing more: its reads fail with
 * EFAULT, the core unwinds, the reply goes nowhere (MSG_NOSIGNAL), and the EOF follows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "core/kcall.h"
#include "daemon/daemon.h"

struct daemon_counters counters;

static int reply_err(int ch, uint32_t seq, int err)
{
	struct ioasid_msg_reply rep;

	ioasid_msg_init(&rep.hdr, IOASID_MSG_REPLY, seq);
	rep.ret = -1;
	rep.err = err;
	return ioasid_send_nb(ch, &rep, sizeof(rep), NULL, 0);
}

/*
 * Wait for a client's answer on fd: 1 readable, 0 not within CLIENT_WAIT_MS or the daemon
 * is stopping (stop_fd), -errno. A client thread never waits on a client without bound.
 */
#define CLIENT_WAIT_MS 5000
static int wait_client(int fd)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = stop_fd, .events = POLLIN } };
	int n;

	do {
		n = poll(pfd, 2, CLIENT_WAIT_MS);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0 || pfd[1].revents)
		return 0;
	return 1;
}

int client_install_fd(struct client *c, int fd, unsigned int flags)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_msg_fd_install msg;
	struct ioasid_msg_fd_installed ans;
	struct ioasid_recv r;
	struct call *call = client_call(c);
	int rc, ch = call ? call->reply_fd : -1;

	if (ch < 0)
		return -EBADF;
	ioasid_msg_init(&msg.hdr, IOASID_MSG_FD_INSTALL, call->seq);
	msg.flags = flags & O_CLOEXEC;
	rc = ioasid_send_nb(ch, &msg, sizeof(msg), &fd, 1);
	if (rc)
		return rc;
	/* the program is blocked in its ioctl waiting on this channel; a dead one hangs up */
	rc = wait_client(ch);
	if (rc <= 0)
		return rc ? rc : -ETIMEDOUT;
	/* never blocking: another holder of the channel may have taken the answer */
	rc = ioasid_recv_flags(ch, buf, &r, MSG_DONTWAIT);
	if (rc)
		return rc == -EAGAIN ? -EPROTO : rc;
	/* on a call channel, only the caller answers (anybody else's message is refused) */
	if (call->chan && r.len && (!r.have_creds || r.pid != call->pid)) {
		ioasid_recv_close_fds(&r);
		return -EPROTO;
	}
	if (!r.len || r.nfds || ioasid_msg_check(buf, r.len, IOASID_MSG_FD_INSTALLED)) {
		ioasid_recv_close_fds(&r);
		return -EPROTO;
	}
	memcpy(&ans, buf, sizeof(ans));
	return ans.fd;
}

/* ---- synchronous close ----------------------------------------------------------------- */

static void answer_closers(struct client *c, bool last)
{
	for (unsigned int i = 0; i < c->nclosers; i++) {
		struct ioasid_msg_close_reply rep;

		ioasid_msg_init(&rep.hdr, IOASID_MSG_CLOSE_REPLY, c->closer_seq[i]);
		rep.last = last;
		ioasid_send_nb(c->closers[i], &rep, sizeof(rep), NULL, 0);
		close(c->closers[i]);
	}
	c->nclosers = 0;
}

/*
 * CLOSE: the sender closes its fd right after sending it, then says CLOSED on ch. Wait for
 * that (or for ch to hang up: the sender died, and its fd is closed too), then keep ch
 * until we know whether that was the last copy (client_thread).
 */
static void begin_close(struct client *c, int ch, uint32_t seq)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_recv r;

	if (wait_client(ch) == 1 && !ioasid_recv_flags(ch, buf, &r, MSG_DONTWAIT))
		ioasid_recv_close_fds(&r);
	c->closers[c->nclosers] = ch;
	c->closer_seq[c->nclosers++] = seq;
	if (c->nclosers == CLIENT_MAX_CLOSERS)
		answer_closers(c, false); /* never wait without bound: a plain close then */
}

/* After each message: answer the closers now unless every copy of the fd is closed. */
static void check_closers(struct client *c, bool *inout_draining)
{
	struct pollfd pfd = { .fd = c->sock, .events = POLLRDHUP };

	if (!c->nclosers || *inout_draining)
		return;
	if (poll(&pfd, 1, 0) == 1 && pfd.revents & (POLLRDHUP | POLLHUP))
		*inout_draining = true; /* serve what is queued; the answer comes at EOF */
	else
		answer_closers(c, false);
}

/* ---- stats ------------------------------------------------------------------------------- */

static uint64_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n ? n - 1 : 0; /* not the directory's own fd */
}

static void proc_self_stats(struct ioasidd_stats *s)
{
	char line[128];
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Threads: %lu", &s->threads) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/self/statm", "re");
	if (f) {
		unsigned long size, rss;

		if (fscanf(f, "%lu %lu", &size, &rss) == 2)
			s->rss_pages = rss;
		fclose(f);
	}
}

void daemon_fill_stats(struct ioasidd_stats *s, uid_t uid, pid_t pid)
{
	struct ioasid_acct_info acct;
	struct mallinfo2 mi = mallinfo2();

	memset(s, 0, sizeof(*s));
	s->clients = counter_get(clients);
	s->contexts = counter_get(contexts);
	s->clients_total = counter_get(clients_total);
	s->requests_total = counter_get(requests_total);
	s->bad_messages_total = counter_get(bad_messages_total);
	s->pins_total = counter_get(pins_total);
	s->mirror_windows = counter_get(mirror_windows);
	s->mirror_mapped = counter_get(mirror_mapped);
	s->pinned_pages = daemon_pinned_pages();
	s->files = counter_get(files);
	s->sources = counter_get(sources);
	s->refused_total = counter_get(refused_total);
	s->dropped_total = counter_get(dropped_total);
	ioasid_acct_get(uid, pid, &acct);
	s->user_locked_pages = acct.user_locked_pages;
	s->open_fds = count_fds();
	proc_self_stats(s);
	s->heap_bytes = mi.uordblks;
}

/* ---- requests -------------------------------------------------------------------------- */

static int client_ctx(struct client *c)
{
	struct ioasid_ctx_params params = {
		.mem = &client_mem_ops,
		.mem_priv = c,
		.uid = c->uid,
		.pid = c->pid,
		.cap_ipc_lock = c->cap_ipc_lock,
		.cap_sys_resource = c->cap_sys_resource,
		.max_objects = limits.max_objects,
		.uid_objects = c->uid_objects,
		.max_uid_objects = limits.max_uid_objects,
		.max_access_fds = limits.max_access_fds,
		.kernel_abi = c->kernel_abi,
	};
	struct ioasid_ctx *ctx;

	if (c->ctx)
		return 0;
	if (ioasid_ctx_new(&params, &ctx))
		return -errno;
	control_set_ctx(c, ctx); /* the control channel reads c->ctx */
	counter_add(contexts, 1);
	return 0;
}

int client_get_ctx(struct client *c)
{
	return client_ctx(c);
}

static void send_reply(struct call *call, int ret, int err, unsigned int fail_nth)
{
	struct ioasid_msg_reply rep;

	if (call->chan) {
		_Alignas(
			8) char buf[sizeof(struct ioasid_msg_call_reply) + IOASID_PROTO_MAX_INLINE];
		struct ioasid_msg_call_reply cr;

		ioasid_msg_init(&cr.hdr, IOASID_MSG_CALL_REPLY, call->seq);
		cr.ret = ret;
		cr.err = err;
		cr.fail_nth = fail_nth;
		/* what the core wrote into the struct, even if the call failed after (as the
		 * kernel) */
		if (call->dirty_hi > call->dirty_lo && call->dirty_hi <= call->win_wr) {
			cr.out_off = call->dirty_lo;
			cr.out_len = call->dirty_hi - call->dirty_lo;
			memcpy(buf + sizeof(cr), call->win + cr.out_off, cr.out_len);
		}
		cr.hdr.size += cr.out_len;
		memcpy(buf, &cr, sizeof(cr));
		ioasid_send_nb(call->reply_fd, buf, cr.hdr.size, NULL, 0);
		return;
	}

	ioasid_msg_init(&rep.hdr, IOASID_MSG_REPLY, call->seq);
	rep.ret = ret;
	rep.err = err;
	rep.fail_nth = fail_nth;
	/* the caller may be gone, or not reading: nobody to tell, and nobody to wait for */
	ioasid_send_nb(call->reply_fd, &rep, sizeof(rep), NULL, 0);
}

/* ---- calls that may wait: waiters ------------------------------------------------------- */

/*
 * A device DMA on a fault-capable HWPT waits for the program's page response, and the
 * program may need to call on the same iommufd to fix the fault first (IOAS_MAP the page
 * from another thread). So such a call is not served on the connection's thread: a waiter
 * thread serves it, with a copy of the call (the struct's window, duplicates of the reply
 * channel and of the caller's pidfd), and answers on the call's own channel; the
 * connection's thread serves on. The core orders the two as in-process (the context's lock,
 * dropped while the DMA waits); a call that returned was answered after it ended, so it
 * happens before whatever the program sends next.
 *
 * Which calls: IOMMU_TEST_CMD's IOASID_DEV_DMA (no input fd, no fd to install). At most
 * CLIENT_MAX_WAITERS per connection and WAITERS_MAX in the daemon: more are EBUSY, a thread
 * that cannot be made ENOMEM. A waiter ends when the DMA does: the program answers, closes
 * the fault fd, its caller exits (caller_gone, checked every FAULT_DMA_POLL_MS), or the wait
 * times out (IOASID_IOPF_TIMEOUT_MS). At the connection's end its thread waits for them (the
 * call in flight holds the file, as the kernel's ioctl does) and, if the daemon stops
 * meanwhile, ends their waits (ioasid_ctx_cancel_waits).
 */
#define WAITERS_MAX 256
static unsigned int waiters_total;	  /* atomic */
static __thread struct call *waiter_call; /* the call a waiter thread serves */

_Static_assert(sizeof(struct iommu_test_cmd) <= IOASID_PROTO_MAX_INLINE,
	       "a waiter's window holds a test command");

struct waiter {
	struct client *c;
	unsigned int slot;
	struct call call;
	uint8_t win[IOASID_PROTO_MAX_INLINE];
	uint64_t cmd, arg;
	unsigned int fail_nth;
};

struct call *client_call(struct client *c)
{
	return waiter_call ? waiter_call : c->call;
}

/*
 * Is this a call for a waiter? The waiter serves the struct read here, never the program's
 * memory read again later: a program that rewrites its struct after sending must not get a
 * waiter to serve another op (found by daemon_msg_fuzz: MD_CHECK_REFS walking the caller's
 * memory on a waiter, beside the connection's thread). A CALL's inline bytes already are
 * such a copy, when they hold the op; an IOCTL's struct is copied into snap (*snap_len
 * bytes, at most the test command's size; 0 for a CALL).
 */
static bool may_wait(struct client *c, const struct call *call, const struct ioasid_msg_ioctl *msg,
		     uint8_t *snap, uint32_t *snap_len)
{
	const uint64_t op_end = IOASID_PROTO_OP_OFFSET + sizeof(uint32_t);
	uint32_t size, op;

	*snap_len = 0;
	if (msg->cmd != IOMMU_TEST_CMD || msg->flags || c->dconn)
		return false;
	if (call->win) {
		if (call->win_uptr != msg->arg || call->win_len < op_end)
			return false; /* served on the connection's thread */
		memcpy(&op, call->win + IOASID_PROTO_OP_OFFSET, sizeof(op));
		return op == IOMMU_TEST_OP_IOASID_DEV_DMA;
	}
	if (client_mem_ops.copy_from_user(c, &size, msg->arg, sizeof(size)))
		return false;
	if (size < op_end)
		size = op_end;
	if (size > sizeof(struct iommu_test_cmd))
		size = sizeof(struct iommu_test_cmd);
	if (client_mem_ops.copy_from_user(c, snap, msg->arg, size))
		return false;
	memcpy(&op, snap + IOASID_PROTO_OP_OFFSET, sizeof(op));
	if (op != IOMMU_TEST_OP_IOASID_DEV_DMA)
		return false;
	*snap_len = size;
	return true;
}

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	struct client *c = w->c;
	unsigned int slot = w->slot;
	int ret, err = 0;
	uint64_t one = 1;
	ssize_t n;

	waiter_call = &w->call;
	failnth_arm(w->fail_nth);
	ret = ioasid_ioctl(c->ctx, w->cmd, (void *)(uintptr_t)w->arg);
	if (ret < 0)
		err = errno;
	w->fail_nth = failnth_disarm();
	waiter_call = NULL;
	/*
	 * The slot is free before the answer goes: a program that has its answer may start
	 * another DMA at once, and the connection's thread then joins us (a moment at most)
	 * instead of finding every slot still busy (EBUSY: dma_wait's "every slot again" failed
	 * so in CI).
	 */
	__atomic_sub_fetch(&waiters_total, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->waiter_done[slot], true, __ATOMIC_RELEASE);
	send_reply(&w->call, ret, err, w->fail_nth);
	close(w->call.reply_fd);
	close(w->call.pidfd);
	free(w);
	n = write(c->waiter_efd, &one, sizeof(one)); /* the client's thread joins us */
	(void)n;
	return NULL;
}

/* Join the waiters that have ended (the client's thread). */
static void waiters_reap(struct client *c)
{
	uint64_t v;
	ssize_t n;

	if (!c->waiter_efd_ok)
		return;
	n = read(c->waiter_efd, &v, sizeof(v));
	(void)n;
	for (unsigned int i = 0; i < CLIENT_MAX_WAITERS; i++) {
		if (!c->waiter_busy[i] || !__atomic_load_n(&c->waiter_done[i], __ATOMIC_ACQUIRE))
			continue;
		pthread_join(c->waiters[i], NULL);
		c->waiter_busy[i] = false;
		c->nwaiters--;
	}
}

/* Hand the call to a waiter: 0 (it answers), or -errno (the caller answers). */
static int waiter_start(struct client *c, const struct call *call,
			const struct ioasid_msg_ioctl *msg, const uint8_t *snap, uint32_t snap_len,
			unsigned int fail_nth)
{
	unsigned int slot;
	struct waiter *w;
	int rc;

	waiters_reap(c);
	if (c->nwaiters >= CLIENT_MAX_WAITERS)
		return -EBUSY;
	if (!c->waiter_efd_ok) {
		c->waiter_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->waiter_efd < 0)
			return -ENOMEM;
		c->waiter_efd_ok = true;
	}
	if (__atomic_add_fetch(&waiters_total, 1, __ATOMIC_RELAXED) > WAITERS_MAX) {
		rc = -EBUSY;
		goto out_total;
	}
	for (slot = 0; c->waiter_busy[slot]; slot++)
		;
	rc = -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out_total;
	w->c = c;
	w->slot = slot;
	w->call = *call;
	w->cmd = msg->cmd;
	w->arg = msg->arg;
	w->fail_nth = fail_nth;
	if (call->win) {
		memcpy(w->win, call->win, call->win_len);
		w->call.win = w->win;
	} else {
		/* the struct as may_wait read it; the answer is written to the program */
		memcpy(w->win, snap, snap_len);
		w->call.win = w->win;
		w->call.win_uptr = msg->arg;
		w->call.win_len = snap_len;
		w->call.win_wr = 0;
	}
	/* its own copies: the channel (and its pidfd) may go before the waiter does */
	w->call.reply_fd = fcntl(call->reply_fd, F_DUPFD_CLOEXEC, 0);
	w->call.pidfd = fcntl(call->pidfd, F_DUPFD_CLOEXEC, 0);
	if (w->call.reply_fd < 0 || w->call.pidfd < 0) {
		rc = errno == EMFILE || errno == ENFILE ? -EMFILE : -ENOMEM;
		goto out_fds;
	}
	c->waiter_done[slot] = false;
	if (pthread_create(&c->waiters[slot], NULL, waiter_thread, w))
		goto out_fds;
	c->waiter_busy[slot] = true;
	c->nwaiters++;
	return 0;

out_fds:
	if (w->call.reply_fd >= 0)
		close(w->call.reply_fd);
	if (w->call.pidfd >= 0)
		close(w->call.pidfd);
	free(w);
out_total:
	__atomic_sub_fetch(&waiters_total, 1, __ATOMIC_RELAXED);
	return rc;
}

void client_waiters_end(struct client *c)
{
	bool cancelled = false;

	while (c->nwaiters) {
		struct pollfd pfd[2] = { { .fd = c->waiter_efd, .events = POLLIN },
					 { .fd = stop_fd, .events = POLLIN } };

		if (poll(pfd, cancelled ? 1 : 2, -1) < 0 && errno != EINTR)
			break;
		if (!cancelled && pfd[1].revents) {
			if (c->ctx) /* waiters exist only once it does */
				ioasid_ctx_cancel_waits(c->ctx); /* they notice within a nap */
			cancelled = true;
		}
		waiters_reap(c);
	}
	if (c->waiter_efd_ok) {
		close(c->waiter_efd);
		c->waiter_efd_ok = false;
	}
}

/*
 * IOASID_CTX_MMAP (src/proto/proto.h): the region of the caller's context at exactly
 * (offset, length), a vIOMMU's pages, as a new fd installed in the caller (opened for
 * writing: while it or a mapping of it lives, anywhere, the vIOMMU is EBUSY to destroy,
 * ioasid_mmap_fd()). ioctl(2)'s result: the caller's fd number, or -1 with errno. Only
 * this context's regions are looked at; one destroyed is ENXIO.
 */
static int ctx_mmap(struct client *c, uint64_t arg)
{
	struct ioasid_ctx_mmap m;
	int fd, rc;

	if (client_mem_ops.copy_from_user(c, &m, arg, sizeof(m)))
		rc = -EFAULT;
	else if (m.size < sizeof(m) || m.flags)
		rc = -EINVAL;
	else if ((fd = ioasid_mmap_fd(c->ctx, m.offset, m.length)) < 0)
		rc = -errno;
	else {
		rc = client_install_fd(c, fd, O_CLOEXEC);
		close(fd); /* the caller's copy holds the region now, or nothing does */
	}
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/*
 * Serve an ioctl. base: where the input fd is among r's fds (1 on the connection, after
 * the reply channel; 0 on a call channel, which needs none).
 */
static void serve_ioctl(struct client *c, struct call *call, const struct ioasid_msg_ioctl *msg,
			unsigned int fail_nth, struct ioasid_recv *r, unsigned int base)
{
	const uint32_t known = IOASID_IOCTL_IN_FD | IOASID_IOCTL_IN_FD_BAD;
	_Alignas(8) uint8_t snap[sizeof(struct iommu_test_cmd)];
	int in_fd = -1, ret, err = 0;
	unsigned int want = base;
	uint32_t snap_len;
	bool dev;

	if (msg->flags & ~known || (msg->flags & known) == known)
		goto out_inval;
	c->call = call;
	if (msg->flags) {
		uint32_t op = 0;

		/* the test op decides whether IOMMU_TEST_CMD names an fd: read it as the core will
		 */
		if (msg->cmd == IOMMU_TEST_CMD &&
		    client_mem_ops.copy_from_user(c, &op, msg->arg + IOASID_PROTO_OP_OFFSET,
						  sizeof(op))) {
			err = EFAULT;
			goto out_reply;
		}
		if (ioasid_proto_in_fd(msg->cmd, op) != (int)msg->in_fd_offset)
			goto out_inval;
		want = base + (msg->flags & IOASID_IOCTL_IN_FD ? 1 : 0);
	}
	if (r->nfds != want)
		goto out_inval;
	/* a VFIO file has no context; the private IOASID_CTX_MMAP is the context's */
	dev = devices_owns(c, msg->cmd) && (msg->cmd != IOASID_CTX_MMAP || c->dconn);
	err = dev ? 0 : -client_ctx(c);
	if (err)
		goto out_reply;
	if (msg->flags) {
		in_fd = want > base ? r->fds[base] : -1;
		call->overlay_uptr = msg->arg + msg->in_fd_offset;
		call->overlay_val = in_fd;
		/* unreadable: no overlay, and the core meets the same EFAULT */
		call->overlay = !client_mem_ops.copy_from_user(
			c, &call->overlay_orig, call->overlay_uptr, sizeof(call->overlay_orig));
	}
	if (!dev && may_wait(c, call, msg, snap, &snap_len)) {
		err = -waiter_start(c, call, msg, snap, snap_len, fail_nth);
		if (err)
			goto out_reply;
		c->call = NULL; /* the waiter answers */
		return;
	}
	failnth_arm(fail_nth);
	if (dev) /* src/daemon/devices.c */
		ret = (int)devices_ioctl(c, msg->cmd, msg->arg);
	else if (msg->cmd == IOASID_CTX_MMAP)
		ret = ctx_mmap(c, msg->arg);
	else
		ret = ioasid_ioctl(c->ctx, msg->cmd, (void *)(uintptr_t)msg->arg);
	if (ret < 0)
		err = errno;
	fail_nth = failnth_disarm();
	c->call = NULL;
	send_reply(call, ret, err, fail_nth);
	return;

out_inval:
	err = EINVAL;
out_reply:
	/* refused before the core ran: the count is untouched */
	c->call = NULL;
	send_reply(call, -1, err, fail_nth);
}

/* A reply channel must be a unix seqpacket socket (what the shim makes), nothing else. */
static bool is_reply_channel(int fd)
{
	int type = 0, domain = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET)
		return false;
	len = sizeof(int);
	return !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) && domain == AF_UNIX;
}

/* ---- call channels ------------------------------------------------------------------------ */

static void attached(int fd, uint32_t seq, int err)
{
	struct ioasid_msg_attached ans;

	ioasid_msg_init(&ans.hdr, IOASID_MSG_ATTACHED, seq);
	ans.err = err;
	ioasid_send_nb(fd, &ans, sizeof(ans), NULL, 0);
}

static void chan_close(struct chan *ch)
{
	close(ch->fd);
	close(ch->pidfd);
	ch->fd = ch->pidfd = -1;
	mem_unhold(ch->src);
	ch->src = NULL;
}

/* Let channel i go (its process exited, or hung up); the last one takes its place. */
static void chan_detach(struct client *c, unsigned int i)
{
	chan_close(&c->chans[i]);
	c->chans[i] = c->chans[--c->nchans];
}

void client_chans_close(struct client *c)
{
	while (c->nchans)
		chan_detach(c, c->nchans - 1);
}

/*
 * ATTACH: keep r's channel as a call channel of the sender (call's pid and pidfd). The
 * channel is the sender's own socketpair (SO_PEERCRED of a socketpair names the process
 * that made it); SO_PASSCRED on our end makes the kernel stamp every later message with
 * its sender, which client_serve_chan holds to the attacher. 0: the channel and the
 * pidfd are the client's now (r->fds[0] is set to -1).
 */
static int attach_chan(struct client *c, struct call *call, struct ioasid_recv *r)
{
	unsigned int max =
		limits.max_channels < CLIENT_MAX_CHANS ? limits.max_channels : CLIENT_MAX_CHANS;
	int fd = r->fds[0], one = 1;
	struct ucred cr;
	socklen_t len = sizeof(cr);

	/* channels of processes that have exited go first */
	for (unsigned int i = c->nchans; i-- > 0;)
		if (!ident_alive(c->chans[i].pidfd))
			chan_detach(c, i);
	if (c->nchans >= max) {
		attached(fd, call->seq, EMFILE);
		return -EMFILE;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || cr.pid != call->pid ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		attached(fd, call->seq, EPERM);
		return -EPERM;
	}
	c->chans[c->nchans++] = (struct chan){ .fd = fd, .pidfd = call->pidfd, .pid = call->pid };
	r->fds[0] = -1;
	attached(fd, call->seq, 0);
	return 0;
}

/*
 * MEM on a call channel (the attacher is checked already): the file is kept for the
 * attacher's source; no answer (a pin that needs it and finds nothing fails with EFAULT).
 */
static void chan_mem(struct client *c, struct chan *ch, struct call *call, struct ioasid_recv *r)
{
	counter_add(requests_total, 1);
	if (r->uid != c->uid && r->uid != 0)
		return;
	if (r->nfds != 1 || mem_handover(c, call, r->fds[0], &ch->src)) {
		counter_add(bad_messages_total, 1);
		dlog(1, "client %d: memory hand-over of %d refused", c->pid, call->pid);
	}
}

void client_serve_chan(struct client *c, struct chan *ch, const char *buf, struct ioasid_recv *r)
{
	_Alignas(8) uint8_t win[IOASID_PROTO_MAX_INLINE];
	struct call call = { .pid = ch->pid, .pidfd = ch->pidfd, .reply_fd = ch->fd, .chan = true };
	struct ioasid_msg_call m;
	struct ioasid_msg_ioctl io;

	/*
	 * Only the attacher is served: the kernel stamped this message with its sender's pid,
	 * and the attacher is alive now, so nobody else had that pid when it was sent. A forked
	 * child, or any other holder of the channel, is dropped unanswered (an answer would go
	 * to the attacher, who asked nothing).
	 */
	if (!r->have_creds || r->pid != ch->pid || !ident_alive(ch->pidfd)) {
		counter_add(dropped_total, 1);
		dlog(1, "client %d: channel message from %d, not its process %d: dropped", c->pid,
		     r->have_creds ? r->pid : -1, ch->pid);
		return;
	}
	if (!ioasid_msg_check(buf, r->len, IOASID_MSG_MEM)) {
		chan_mem(c, ch, &call, r);
		return;
	}
	if (ioasid_msg_check(buf, r->len, IOASID_MSG_CALL)) {
		counter_add(bad_messages_total, 1);
		dlog(1, "client %d: bad message on a call channel dropped", c->pid);
		return;
	}
	memcpy(&m, buf, sizeof(m));
	counter_add(requests_total, 1);
	call.seq = m.hdr.seq;
	if (r->uid != c->uid && r->uid != 0) {
		send_reply(&call, -1, EPERM, 0);
		return;
	}
	if (m.flags & ~(IOASID_CALL_IN_FD | IOASID_CALL_IN_FD_BAD | IOASID_CALL_NTH)) {
		send_reply(&call, -1, EINVAL, m.fail_nth);
		return;
	}
	/* the struct's window: a range that wraps is no window, and the core meets EFAULT */
	if (m.in_len && m.arg + m.in_len > m.arg) {
		memcpy(win, buf + sizeof(m), m.in_len);
		call.win = win;
		call.win_uptr = m.arg;
		call.win_len = m.in_len;
		call.win_wr = m.wr_len;
		call.dirty_lo = m.in_len;
	}
	memset(&io, 0, sizeof(io));
	io.hdr = m.hdr;
	io.cmd = m.cmd;
	io.arg = m.arg;
	io.flags = m.flags & (IOASID_CALL_IN_FD | IOASID_CALL_IN_FD_BAD);
	io.in_fd_offset = m.in_fd_offset;
	serve_ioctl(c, &call, &io, m.flags & IOASID_CALL_NTH ? m.fail_nth : 0, r, 0);
}

/*
 * A call channel is readable (or hung up): serve one message. Never blocks: the attacher
 * may hold a copy of our end and take what it sent. false: the channel is done.
 */
static bool chan_step(struct client *c, struct chan *ch)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_recv r;
	int rc = ioasid_recv_flags(ch->fd, buf, &r, MSG_DONTWAIT);

	if (rc == -EAGAIN)
		return true;
	if (rc == -EPROTO) {
		counter_add(bad_messages_total, 1);
		return true;
	}
	if (rc || !r.len)
		return false; /* every copy of the process's end is closed */
	client_serve_chan(c, ch, buf, &r);
	ioasid_recv_close_fds(&r);
	return true;
}

/* Serve what is queued on every channel (the connection is at EOF). */
static void chans_drain(struct client *c)
{
	for (unsigned int i = 0; i < c->nchans; i++)
		for (unsigned int n = 0; n < 64; n++) {
			struct pollfd pfd = { .fd = c->chans[i].fd, .events = POLLIN };

			if (poll(&pfd, 1, 0) != 1 || !chan_step(c, &c->chans[i]))
				break;
		}
}

void client_serve(struct client *c, const char *buf, struct ioasid_recv *r)
{
	struct call call = { .pidfd = -1, .reply_fd = -1 };
	struct ioasid_msg_hdr hdr;

	if (!r->have_creds || ioasid_msg_check(buf, r->len, 0) || r->nfds < 1 ||
	    !is_reply_channel(r->fds[0]))
		goto out_bad;
	memcpy(&hdr, buf, sizeof(hdr));
	counter_add(requests_total, 1);
	if (r->uid != c->uid && r->uid != 0) {
		reply_err(r->fds[0], hdr.seq, EPERM);
		return;
	}
	/* the sender, for good; gone already (a request queued behind a slow one): dropped */
	call.pidfd = ident_caller(r);
	if (call.pidfd < 0) {
		counter_add(dropped_total, 1);
		dlog(1, "client %d: request of gone process %d dropped", c->pid, r->pid);
		return;
	}
	call.pid = r->pid;
	call.reply_fd = r->fds[0];
	call.seq = hdr.seq;
	switch (hdr.type) {
	case IOASID_MSG_HELLO: {
		struct ioasid_msg_hello_reply rep;
		struct ioasid_msg_hello h;

		if (r->nfds != 1)
			goto out_bad;
		memcpy(&h, buf, sizeof(h));
		if (!c->ctx)
			c->kernel_abi = h.kernel_abi;
		ioasid_msg_init(&rep.hdr, IOASID_MSG_HELLO_REPLY, hdr.seq);
		rep.daemon_pid = getpid();
		ioasid_send_nb(r->fds[0], &rep, sizeof(rep), NULL, 0);
		break;
	}
	case IOASID_MSG_STATS: {
		struct ioasid_msg_stats_reply rep;

		if (r->nfds != 1)
			goto out_bad;
		ioasid_msg_init(&rep.hdr, IOASID_MSG_STATS_REPLY, hdr.seq);
		daemon_fill_stats(&rep.stats, r->uid, r->pid);
		ioasid_send_nb(r->fds[0], &rep, sizeof(rep), NULL, 0);
		break;
	}
	case IOASID_MSG_IOCTL: {
		struct ioasid_msg_ioctl msg;

		memcpy(&msg, buf, sizeof(msg));
		serve_ioctl(c, &call, &msg, 0, r, 1);
		break;
	}
	case IOASID_MSG_IOCTL_NTH: {
		struct ioasid_msg_ioctl_nth msg;

		memcpy(&msg, buf, sizeof(msg));
		serve_ioctl(c, &call, &msg.io, msg.fail_nth, r, 1);
		break;
	}
	case IOASID_MSG_ATTACH:
		if (r->nfds != 1)
			goto out_bad;
		if (!attach_chan(c, &call, r))
			call.pidfd = -1; /* the channel's now */
		break;
	case IOASID_MSG_MEM: {
		struct ioasid_msg_reply rep;
		int rc;

		if (r->nfds != 2)
			goto out_bad;
		rc = mem_handover(c, &call, r->fds[1], NULL);
		ioasid_msg_init(&rep.hdr, IOASID_MSG_REPLY, hdr.seq);
		rep.ret = rc ? -1 : 0;
		rep.err = -rc;
		ioasid_send_nb(r->fds[0], &rep, sizeof(rep), NULL, 0);
		break;
	}
	case IOASID_MSG_CLOSE: {
		int ch = r->fds[0];

		if (r->nfds != 1)
			goto out_bad;
		r->fds[0] = -1; /* ours now */
		begin_close(c, ch, hdr.seq);
		break;
	}
	default:
		/* a daemon-to-client type sent to us */
		reply_err(r->fds[0], hdr.seq, EINVAL);
		break;
	}
	if (call.pidfd >= 0)
		close(call.pidfd);
	return;

out_bad:
	if (call.pidfd >= 0)
		close(call.pidfd);
	counter_add(bad_messages_total, 1);
	dlog(1, "client %d: bad message dropped", c->pid);
}

void client_free(struct client *c)
{
	client_waiters_end(c);
	answer_closers(c, true);
	client_chans_close(c);
	devices_conn_end(c);
	devices_ctx_end(c);
	if (c->ctx) {
		ioasid_ctx_free(c->ctx);
		counter_sub(contexts, 1);
	}
	mem_release(c);
	if (c->sock >= 0)
		close(c->sock);
	free(c);
}

void *client_thread(void *arg)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct client *c = arg;
	bool draining = false;

	struct pollfd pfd[2 + 2 * CLIENT_MAX_CHANS];

	for (;;) {
		struct ioasid_recv r;
		unsigned int n = 0;
		int rc;

		/* the connection, and each call channel with its process's pidfd */
		pfd[n++] = (struct pollfd){ .fd = c->sock, .events = POLLIN };
		for (unsigned int i = 0; i < c->nchans; i++) {
			pfd[n++] = (struct pollfd){ .fd = c->chans[i].fd, .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = c->chans[i].pidfd, .events = POLLIN };
		}
		/* and the waiters' eventfd: one has ended, to be joined */
		if (c->nwaiters)
			pfd[n++] = (struct pollfd){ .fd = c->waiter_efd, .events = POLLIN };
		rc = poll(pfd, n, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (c->nwaiters && pfd[n - 1].revents)
			waiters_reap(c);
		/* backwards: a channel that goes is replaced by the last, already looked at */
		for (unsigned int i = c->nchans; i-- > 0;) {
			short ev = pfd[1 + 2 * i].revents, gone = pfd[2 + 2 * i].revents;

			if (ev & (POLLIN | POLLHUP | POLLERR)) {
				if (!chan_step(c, &c->chans[i]))
					chan_detach(c, i);
			} else if (gone) {
				chan_detach(c, i); /* the process exited: nobody to serve */
			}
		}
		if (pfd[0].revents) {
			rc = ioasid_recv(c->sock, buf, &r);
			if (rc == -EPROTO) {
				counter_add(bad_messages_total, 1);
				continue;
			}
			if (rc || !r.len)
				break; /* EOF: the last copy of the iommufd is closed */
			client_serve(c, buf, &r);
			ioasid_recv_close_fds(&r);
		}
		check_closers(c, &draining);
	}
	/* calls already sent on a channel are served, as a call in flight holds the kernel's file
	 */
	chans_drain(c);
	/* calls still waiting hold the context, as an ioctl in flight holds the kernel's file */
	client_waiters_end(c);
	client_chans_close(c);
	devices_conn_end(c); /* a VFIO file: its last close */
	/* a device bound to the context keeps it: the closers hear now, the context waits */
	if (devices_ctx_held(c))
		answer_closers(c, true);
	devices_ctx_end(c);
	/* free the context now, not when the main thread gets around to reaping us */
	if (c->ctx) {
		struct ioasid_ctx *ctx = c->ctx;

		control_set_ctx(c, NULL); /* the control channel reads c->ctx */
		ioasid_ctx_free(ctx);
		counter_sub(contexts, 1);
	}
	mem_release(c);
	/* a synchronous last close returns only now, as the kernel's release */
	answer_closers(c, true);
	daemon_client_done(c);
	return NULL;
}
