/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client.c - one connection: one thread, one ioasid context.
 *
 * The thread reads requests off the connection one at a time, so the requests of every
 * process sharing the connection (a parent and its forked children, threads) are served in
 * arrival order, exactly as the core's per-context lock would order them anyway.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

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
	int rc, ch = c->call ? c->call->reply_fd : -1;

	if (ch < 0)
		return -EBADF;
	ioasid_msg_init(&msg.hdr, IOASID_MSG_FD_INSTALL, 0);
	msg.flags = flags & O_CLOEXEC;
	rc = ioasid_send_nb(ch, &msg, sizeof(msg), &fd, 1);
	if (rc)
		return rc;
	/* the program is blocked in its ioctl waiting on this channel; a dead one hangs up */
	rc = wait_client(ch);
	if (rc <= 0)
		return rc ? rc : -ETIMEDOUT;
	rc = ioasid_recv(ch, buf, &r);
	if (rc)
		return rc;
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

	if (wait_client(ch) == 1 && !ioasid_recv(ch, buf, &r))
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

static void send_reply(struct call *call, int ret, int err, unsigned int fail_nth)
{
	struct ioasid_msg_reply rep;

	ioasid_msg_init(&rep.hdr, IOASID_MSG_REPLY, call->seq);
	rep.ret = ret;
	rep.err = err;
	rep.fail_nth = fail_nth;
	/* the caller may be gone, or not reading: nobody to tell, and nobody to wait for */
	ioasid_send_nb(call->reply_fd, &rep, sizeof(rep), NULL, 0);
}

static void serve_ioctl(struct client *c, struct call *call, const struct ioasid_msg_ioctl *msg,
			unsigned int fail_nth, struct ioasid_recv *r)
{
	const uint32_t known = IOASID_IOCTL_IN_FD | IOASID_IOCTL_IN_FD_BAD;
	int in_fd = -1, ret, err = 0;
	unsigned int want = 1;

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
		want = msg->flags & IOASID_IOCTL_IN_FD ? 2 : 1;
	}
	if (r->nfds != want)
		goto out_inval;
	err = -client_ctx(c);
	if (err)
		goto out_reply;
	if (msg->flags) {
		in_fd = want == 2 ? r->fds[1] : -1;
		call->overlay_uptr = msg->arg + msg->in_fd_offset;
		call->overlay_val = in_fd;
		/* unreadable: no overlay, and the core meets the same EFAULT */
		call->overlay = !client_mem_ops.copy_from_user(
			c, &call->overlay_orig, call->overlay_uptr, sizeof(call->overlay_orig));
	}
	failnth_arm(fail_nth);
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

		if (r->nfds != 1)
			goto out_bad;
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
		serve_ioctl(c, &call, &msg, 0, r);
		break;
	}
	case IOASID_MSG_IOCTL_NTH: {
		struct ioasid_msg_ioctl_nth msg;

		memcpy(&msg, buf, sizeof(msg));
		serve_ioctl(c, &call, &msg.io, msg.fail_nth, r);
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
	answer_closers(c, true);
	if (c->ctx) {
		ioasid_ctx_free(c->ctx);
		counter_sub(contexts, 1);
	}
	if (c->sock >= 0)
		close(c->sock);
	free(c);
}

void *client_thread(void *arg)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct client *c = arg;
	bool draining = false;

	for (;;) {
		struct ioasid_recv r;
		int rc = ioasid_recv(c->sock, buf, &r);

		if (rc == -EPROTO) {
			counter_add(bad_messages_total, 1);
			continue;
		}
		if (rc || !r.len)
			break; /* EOF: the last copy of the iommufd is closed */
		client_serve(c, buf, &r);
		ioasid_recv_close_fds(&r);
		check_closers(c, &draining);
	}
	/* free the context now, not when the main thread gets around to reaping us */
	if (c->ctx) {
		struct ioasid_ctx *ctx = c->ctx;

		control_set_ctx(c, NULL); /* the control channel reads c->ctx */
		ioasid_ctx_free(ctx);
		counter_sub(contexts, 1);
	}
	/* a synchronous last close returns only now, as the kernel's release */
	answer_closers(c, true);
	daemon_client_done(c);
	return NULL;
}
