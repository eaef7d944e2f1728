/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control.c - the daemon's control channel: what ioasidctl talks to.
 *
 * A second unix socket beside the daemon's: "<socket>.ctl", a SOCK_STREAM socket of mode
 * 0600 in the daemon's private directory (0700). Whoever connects is checked again with
 * SO_PEERCRED at accept: the daemon's own uid or root, anyone else gets one line saying
 * why and the connection closes. The channel only reads: it changes no context.
 *
 * One request per connection: a JSON object of at most CTL_MAX_REQUEST bytes, ended by a
 * newline or by the peer shutting down its side, within CTL_READ_TIMEOUT_MS. Keys:
 *   "cmd"   status | objects | ioas | pt | dump | iotlb | faults | devices
 *   "pid"   optional: only the contexts of that client process
 *   "id"    ioas / pt: the object ID;  "iova": pt: one IOVA to walk
 * Any other key, a type that is not the one expected, a number out of range: EINVAL. The
 * reply is one JSON object and a newline, then the daemon closes: {"error": "...",
 * "errno": N} on failure. Replies larger than CTL_MAX_REPLY are refused (E2BIG).
 *
 * Never blocking the daemon's clients: the channel has its own thread, which serves one
 * connection at a time with bounded reads and writes. It reads a context under that
 * context's lock, waiting at most CTL_CTX_TIMEOUT_MS for it and CTL_REQUEST_BUDGET_MS for
 * all of them (a context busy that long is reported busy). The words "client" and "context" are
 * those of daemon.h.
 *
 * Lifetime of what it reads. A client's context pointer is set and cleared only through
 * control_set_ctx(), under ctl_lock; the channel holds ctl_lock from the moment it lists
 * the clients (under clients_lock, by daemon_for_each_client) until it has read their
 * contexts, so no context it reads can be freed meanwhile. Lock order: ctl_lock, then
 * clients_lock or a context's lock; a client thread takes ctl_lock holding neither.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/daemon.h"
#include "inspect/inspect.h"

#define CTL_MAX_REQUEST	      4096
#define CTL_MAX_REPLY	      (64u << 20)
#define CTL_READ_TIMEOUT_MS   2000
#define CTL_WRITE_TIMEOUT_MS  10000
#define CTL_CTX_TIMEOUT_MS    500
#define CTL_REQUEST_BUDGET_MS 1500 /* waiting for contexts' locks, in all */
#define CTL_MAX_CLIENTS	      4096 /* contexts listed per request at most */

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t ctl_thread;
static bool ctl_running;
static int ctl_listen_fd = -1, ctl_stop_fd = -1;
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct timespec ctl_started;
static long ctl_idle_exit;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * How long to wait for the next context's lock: CTL_CTX_TIMEOUT_MS, less once the request
 * has used up CTL_REQUEST_BUDGET_MS (then 0: only a free lock is taken). ctl_lock is held
 * meanwhile and a closing client waits for it, so the whole request is bounded.
 */
static int64_t ctl_deadline;

static int ctx_timeout(void)
{
	int64_t left = ctl_deadline - now_ms();

	return left <= 0 ? 0 : left < CTL_CTX_TIMEOUT_MS ? (int)left : CTL_CTX_TIMEOUT_MS;
}

void control_set_ctx(struct client *c, struct ioasid_ctx *ctx)
{
	pthread_mutex_lock(&ctl_lock);
	c->ctx = ctx;
	pthread_mutex_unlock(&ctl_lock);
}

/* ---- the clients, as the channel sees them ------------------------------------------------ */

struct ctl_client {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	struct ioasid_ctx *ctx;
};

struct ctl_snapshot {
	struct ctl_client *c;
	unsigned int n, max;
	bool truncated;
};

static void snapshot_one(void *arg, struct client *c)
{
	struct ctl_snapshot *s = arg;

	if (s->n == s->max) {
		s->truncated = true;
		return;
	}
	s->c[s->n++] = (struct ctl_client){ c->pid, c->uid, c->gid, c->ctx };
}

/* ctl_lock held: the clients now, their contexts alive until ctl_lock is dropped. */
static int snapshot_take(struct ctl_snapshot *s)
{
	s->max = CTL_MAX_CLIENTS;
	s->n = 0;
	s->truncated = false;
	s->c = calloc(s->max, sizeof(*s->c));
	if (!s->c)
		return -ENOMEM;
	daemon_for_each_client(snapshot_one, s);
	return 0;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* ---- replies ----------------------------------------------------------------------------- */

static struct json_object *error_reply(int err, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error",
			       json_object_new_string(msg ? msg : inspect_strerror(err)));
	json_object_object_add(o, "errno", json_object_new_int(-err));
	return o;
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *client_head(const struct ctl_client *c)
{
	struct json_object *o = json_object_new_object();
	char comm[32];

	read_comm(c->pid, comm, sizeof(comm));
	add_u64(o, "pid", (uint64_t)c->pid);
	add_u64(o, "uid", c->uid);
	add_u64(o, "gid", c->gid);
	json_object_object_add(o, "command", json_object_new_string(comm));
	return o;
}

static struct json_object *rlimit_json(int res)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return json_object_new_string("unlimited");
	return json_object_new_uint64(rl.rlim_cur);
}

static struct json_object *cmd_status(const struct ctl_snapshot *s)
{
	struct json_object *o = json_object_new_object(), *d = json_object_new_object();
	struct json_object *lim = json_object_new_object(), *cnt = json_object_new_object();
	struct json_object *clients = json_object_new_array(), *users = json_object_new_array();
	struct ioasidd_stats st;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	add_u64(d, "pid", (uint64_t)getpid());
	add_u64(d, "uid", geteuid());
	add_u64(d, "uptime_s", (uint64_t)(now.tv_sec - ctl_started.tv_sec));
	json_object_object_add(d, "control_socket", json_object_new_string(ctl_path));
	add_u64(lim, "idle_exit_s", (uint64_t)(ctl_idle_exit > 0 ? ctl_idle_exit : 0));
	add_u64(lim, "max_message_bytes", IOASID_PROTO_MAX_MSG);
	add_u64(lim, "max_control_request_bytes", CTL_MAX_REQUEST);
	add_u64(lim, "max_control_reply_bytes", CTL_MAX_REPLY);
	add_u64(lim, "max_pt_entries_listed", INSPECT_PT_MAX_ENTRIES);
	json_object_object_add(lim, "rlimit_nofile", rlimit_json(RLIMIT_NOFILE));
	json_object_object_add(lim, "rlimit_memlock", rlimit_json(RLIMIT_MEMLOCK));
	json_object_object_add(d, "limits", lim);
	daemon_fill_stats(&st, geteuid(), getpid());
	add_u64(cnt, "clients", st.clients);
	add_u64(cnt, "contexts", st.contexts);
	add_u64(cnt, "clients_total", st.clients_total);
	add_u64(cnt, "requests_total", st.requests_total);
	add_u64(cnt, "bad_messages_total", st.bad_messages_total);
	add_u64(cnt, "pinned_pages", st.pinned_pages);
	add_u64(cnt, "open_fds", st.open_fds);
	add_u64(cnt, "threads", st.threads);
	add_u64(cnt, "rss_pages", st.rss_pages);
	json_object_object_add(d, "counters", cnt);
	json_object_object_add(o, "daemon", d);

	for (unsigned int i = 0; i < s->n; i++) {
		const struct ctl_client *c = &s->c[i];
		struct json_object *co = client_head(c), *sum = NULL;
		struct ioasid_acct_info acct;
		struct rlimit rl;
		bool seen = false;

		ioasid_acct_get(c->uid, c->pid, &acct);
		add_u64(co, "proc_pinned_pages", acct.proc_pinned_pages);
		add_u64(co, "proc_locked_pages", acct.proc_locked_pages);
		if (!prlimit(c->pid, RLIMIT_MEMLOCK, NULL, &rl))
			json_object_object_add(co, "memlock_limit",
					       rl.rlim_cur == RLIM_INFINITY ?
						       json_object_new_string("unlimited") :
						       json_object_new_uint64(rl.rlim_cur));
		if (c->ctx) {
			int rc = inspect_ctx_summary(c->ctx, ctx_timeout(), &sum);

			json_object_object_add(co, "context", rc ? error_reply(rc, NULL) : sum);
		} else {
			json_object_object_add(co, "context", NULL);
		}
		json_object_array_add(clients, co);
		for (unsigned int j = 0; j < i && !seen; j++)
			seen = s->c[j].uid == c->uid;
		if (!seen) {
			struct json_object *u = json_object_new_object();

			add_u64(u, "uid", c->uid);
			add_u64(u, "locked_pages", acct.user_locked_pages);
			json_object_array_add(users, u);
		}
	}
	json_object_object_add(o, "clients", clients);
	json_object_object_add(o, "users", users);
	json_object_object_add(o, "truncated", json_object_new_boolean(s->truncated));
	return o;
}

/* objects / dump / faults: one entry per selected context. */
static struct json_object *cmd_each_ctx(const struct ctl_snapshot *s, struct json_object *req,
					bool has_pid, pid_t pid)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	for (unsigned int i = 0; i < s->n; i++) {
		const struct ctl_client *c = &s->c[i];
		struct json_object *co, *ans;

		if (!c->ctx || (has_pid && c->pid != pid))
			continue;
		co = client_head(c);
		if (inspect_request(c->ctx, req, ctx_timeout(), &ans))
			json_object_object_add(co, "error", ans);
		else
			json_object_object_add(co, "context", ans);
		json_object_array_add(arr, co);
	}
	json_object_object_add(o, "contexts", arr);
	return o;
}

/*
 * ioas / pt: the one context holding the ID (of the process pid, if given). Several
 * contexts with that ID and no pid: EINVAL with the pids to choose from.
 */
static struct json_object *cmd_one_obj(const struct ctl_snapshot *s, struct json_object *req,
				       bool has_pid, pid_t pid)
{
	struct json_object *best = NULL, *best_err = NULL, *o;
	const struct ctl_client *owner = NULL;
	char pids[256] = "";
	unsigned int found = 0;
	size_t used = 0;

	for (unsigned int i = 0; i < s->n; i++) {
		const struct ctl_client *c = &s->c[i];
		struct json_object *ans;
		int rc;

		if (!c->ctx || (has_pid && c->pid != pid))
			continue;
		rc = inspect_request(c->ctx, req, ctx_timeout(), &ans);
		if (rc == -ENOENT) {
			if (!best_err)
				best_err = ans;
			else
				json_object_put(ans);
			continue;
		}
		if (rc) {
			json_object_put(best_err);
			best_err = ans; /* a stronger reason than "no such object" */
			continue;
		}
		found++;
		if (used < sizeof(pids) - 16)
			used += (size_t)snprintf(pids + used, sizeof(pids) - used, "%s%d",
						 used ? ", " : "", (int)c->pid);
		if (!best) {
			best = ans;
			owner = c;
		} else {
			json_object_put(ans);
		}
	}
	if (found > 1 && !has_pid) {
		char msg[400];

		json_object_put(best);
		json_object_put(best_err);
		snprintf(msg, sizeof(msg),
			 "that ID exists in several contexts (pids %s): choose one with --pid",
			 pids);
		return error_reply(-EINVAL, msg);
	}
	if (!best) {
		if (best_err)
			return best_err;
		return error_reply(-ENOENT, has_pid ? "no context of that pid" : "no context");
	}
	json_object_put(best_err);
	o = client_head(owner);
	json_object_object_add(o, "context", best);
	return o;
}

static int check_request(struct json_object *req, const char **out_cmd, bool *out_has_pid,
			 pid_t *out_pid)
{
	struct json_object *cmd = NULL;
	uint64_t v;

	if (!json_object_is_type(req, json_type_object))
		return -EINVAL;
	*out_has_pid = false;
	json_object_object_foreach(req, key, val)
	{
		if (!strcmp(key, "cmd")) {
			cmd = val;
		} else if (!strcmp(key, "pid")) {
			if (inspect_get_u64(val, &v) || !v || v > INT32_MAX)
				return -EINVAL;
			*out_has_pid = true;
			*out_pid = (pid_t)v;
		} else if (!strcmp(key, "id") || !strcmp(key, "iova")) {
			if (inspect_get_u64(val, &v))
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (!cmd || !json_object_is_type(cmd, json_type_string) ||
	    json_object_get_string_len(cmd) > 32)
		return -EINVAL;
	*out_cmd = json_object_get_string(cmd);
	return 0;
}

static struct json_object *serve_request(struct json_object *req)
{
	struct json_object *ans;
	struct ctl_snapshot s;
	const char *cmd;
	bool has_pid;
	pid_t pid = 0;
	int rc;

	rc = check_request(req, &cmd, &has_pid, &pid);
	if (rc)
		return error_reply(rc, "malformed request");
	if (!strcmp(cmd, "iotlb") || !strcmp(cmd, "devices")) {
		/* kinds the inspect module answers without a context, or says it lacks */
		inspect_request(NULL, req, 0, &ans);
		return ans;
	}
	pthread_mutex_lock(&ctl_lock);
	ctl_deadline = now_ms() + CTL_REQUEST_BUDGET_MS;
	rc = snapshot_take(&s);
	if (rc) {
		pthread_mutex_unlock(&ctl_lock);
		return error_reply(rc, NULL);
	}
	if (!strcmp(cmd, "status"))
		ans = cmd_status(&s);
	else if (!strcmp(cmd, "objects") || !strcmp(cmd, "dump") || !strcmp(cmd, "faults"))
		ans = cmd_each_ctx(&s, req, has_pid, pid);
	else if (!strcmp(cmd, "ioas") || !strcmp(cmd, "pt"))
		ans = cmd_one_obj(&s, req, has_pid, pid);
	else
		ans = error_reply(-EINVAL, "unknown command");
	pthread_mutex_unlock(&ctl_lock);
	free(s.c);
	return ans;
}

/* ---- one connection ------------------------------------------------------------------------ */

/* Read one request: up to a newline or EOF, within the deadline. Length, or -errno. */
static int read_request(int fd, char *buf, size_t max)
{
	int64_t deadline = now_ms() + CTL_READ_TIMEOUT_MS;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + len, max - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (int)len;
		if (memchr(buf + len, '\n', (size_t)n))
			return (int)(len + (size_t)n);
		len += (size_t)n;
		if (len == max)
			return -E2BIG;
	}
}

static void write_all(int fd, const char *s, size_t len)
{
	int64_t deadline = now_ms() + CTL_WRITE_TIMEOUT_MS;

	while (len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = send(fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void send_json(int fd, struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = text ? strlen(text) : 0;

	if (!text || len > CTL_MAX_REPLY) {
		struct json_object *e = error_reply(text ? -E2BIG : -ENOMEM, NULL);

		send_json(fd, e);
		json_object_put(e);
		return;
	}
	write_all(fd, text, len);
	write_all(fd, "\n", 1);
}

/*
 * End a connection without losing the reply: a unix socket closed with unread input makes
 * the peer's next read fail (ECONNRESET), maybe before it has read what we sent. So shut
 * our side, then read and drop what the peer still sends, for a bounded time and size.
 */
static void finish_conn(int fd)
{
	int64_t deadline = now_ms() + 200;
	size_t drained = 0;
	char junk[4096];

	shutdown(fd, SHUT_WR);
	while (drained < (64u << 10)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		drained += (size_t)n;
	}
}

static void serve_conn(int fd)
{
	static char buf[CTL_MAX_REQUEST + 1];
	struct json_tokener *tok;
	struct json_object *req, *ans;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	int n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) ||
	    (cr.uid != geteuid() && cr.uid != 0)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "permission denied: uid %d is not the daemon's user",
			 (int)cr.uid);
		dlog(0, "control: refusing uid %d", (int)cr.uid);
		ans = error_reply(-EACCES, msg);
		send_json(fd, ans);
		json_object_put(ans);
		return;
	}
	n = read_request(fd, buf, CTL_MAX_REQUEST);
	if (n < 0) {
		ans = error_reply(n, n == -E2BIG ? "request too long" : "no request in time");
		send_json(fd, ans);
		json_object_put(ans);
		return;
	}
	buf[n] = 0;
	tok = json_tokener_new_ex(4);
	req = tok ? json_tokener_parse_ex(tok, buf, n) : NULL;
	if (req && json_tokener_get_error(tok) == json_tokener_success)
		ans = serve_request(req);
	else
		ans = error_reply(-EINVAL, "the request is not JSON");
	if (tok)
		json_tokener_free(tok);
	json_object_put(req);
	send_json(fd, ans);
	json_object_put(ans);
}

static void *control_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = ctl_listen_fd, .events = POLLIN },
			{ .fd = ctl_stop_fd, .events = POLLIN },
		};
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		fd = accept4(ctl_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		serve_conn(fd);
		finish_conn(fd);
		close(fd);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

int control_start(const char *sock_path, long idle_exit)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, rc;

	clock_gettime(CLOCK_MONOTONIC, &ctl_started);
	ctl_idle_exit = idle_exit;
	rc = snprintf(ctl_path, sizeof(ctl_path), "%s.ctl", sock_path);
	if (rc < 0 || (size_t)rc >= sizeof(ctl_path))
		return -ENAMETOOLONG;
	rc = ioasid_socket_dir_prepare(ctl_path);
	if (rc)
		return rc;
	strcpy(sa.sun_path, ctl_path);
	unlink(ctl_path); /* the daemon socket's owner owns this one too */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old_umask = umask(077);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc || chmod(ctl_path, 0600) || listen(fd, 16))
		goto err_sock;
	ctl_stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ctl_stop_fd < 0)
		goto err_unlink;
	ctl_listen_fd = fd;
	if (pthread_create(&ctl_thread, NULL, control_thread, NULL)) {
		errno = EAGAIN;
		goto err_event;
	}
	ctl_running = true;
	dlog(1, "control channel on %s", ctl_path);
	return 0;

err_event:
	close(ctl_stop_fd);
	ctl_stop_fd = -1;
	ctl_listen_fd = -1;
err_unlink:
	unlink(ctl_path);
err_sock:
	rc = -errno;
	close(fd);
	return rc;
}

void control_stop(void)
{
	uint64_t one = 1;

	if (!ctl_running)
		return;
	unlink(ctl_path);
	if (write(ctl_stop_fd, &one, sizeof(one)) < 0)
		dlog(0, "control stop: %s", strerror(errno));
	pthread_join(ctl_thread, NULL);
	close(ctl_listen_fd);
	close(ctl_stop_fd);
	ctl_listen_fd = ctl_stop_fd = -1;
	ctl_running = false;
}
