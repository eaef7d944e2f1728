/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_safety.c - the daemon path against the processes it serves, and the client against
 * a daemon it must not trust. One case per run:
 *
 *   test_safety IOASIDD CASE
 *
 * squat: the client refuses a socket in a directory others may write (/tmp), in a
 *   directory of another user, and a peer of another uid (SO_PEERCRED); it believes the
 *   kernel about the daemon's pid, not the HELLO; a daemon that accepts and never answers,
 *   or answers HELLO and then never again, gives EIO within the timeout, never a hang; the
 *   default socket path is never under /tmp. (The parts that need another uid run as root.)
 * pid_reuse: a request that waits behind a stalled one while its sender exits and another
 *   process takes the sender's pid is dropped: the newcomer's memory is not written and
 *   nothing is made for it. Forcing the pid needs /proc/sys/kernel/ns_last_pid (root).
 * fd_limits: beyond --max-clients the daemon refuses at once (EMFILE); a freed slot serves
 *   again; with its RLIMIT_NOFILE exhausted it neither spins nor floods its log, and nobody
 *   hangs; access fds beyond --max-access-fds are EMFILE.
 * zero_len: a zero-length message on a shared connection is a bad message, not EOF: the
 *   context and its objects live on for everybody else holding the fd.
 * slow_reader: a reply channel that is never read (full) costs the daemon nothing: the next
 *   request on the connection is served; a client stalled mid-protocol does not keep
 *   SIGTERM from ending the daemon within a second.
 * objects: --max-objects per context and --max-uid-objects per user, ENOMEM beyond, and a
 *   destroyed object frees its place.
 * conn_soak: 10,000 connections, each saying HELLO (every tenth also makes an IOAS, every
 *   hundredth closes before its HELLO is answered): the daemon ends with the clients,
 *   contexts, fds and threads it started with, and its heap within 1 MiB of it.
 * map_file_areas: MAP_FILE of one memfd as many small areas keeps one daemon fd for the
 *   file, not one per area: 5,000 areas under a daemon limited to 1,024 fds.
 * chan_inject: a forked child's messages on its parent's call channel are dropped: nothing
 *   is made for it, and the parent's channel serves on.
 * chan_bad: malformed messages on a call channel (no bytes, lying sizes, too many inline
 *   bytes, a type of the connection's, an unannounced fd) are dropped one by one; the
 *   channel lives on and no stray answer reaches the caller.
 * chan_slow_reader: a channel whose answers are never read costs the daemon nothing: the
 *   connection's other requests are served, SIGTERM ends it within a second.
 * chan_limits: --max-channels per connection (EMFILE beyond); a closed channel, and one of
 *   a process that exited, free their places.
 *
 * Each case starts its own daemon on a socket in a fresh private directory. Every one of
 * these failed on the daemon before the fixes (see git log).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "proto/proto.h"

static const char *daemon_exe;
static char dir[] = "/tmp/ioasid-safety-XXXXXX";
static char sock_path[108];
static char log_path[128];
static int failures;
/* the case cannot run here (it said why): exit 77 once its daemon is stopped */
static bool skipped;

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: failed: %s (errno %s)\n", __FILE__, __LINE__, \
				#cond, strerror(errno));                                      \
			failures++;                                                           \
			return;                                                               \
		}                                                                             \
	} while (0)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int call(int s, unsigned long cmd, void *arg)
{
	long ret;
	int rc = ioasid_client_ioctl(s, cmd, (uintptr_t)arg, -1, IOASID_IN_FD_NONE, &ret);

	return rc ? rc : (int)ret;
}

static int ioas_alloc(int s, uint32_t *out_id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = call(s, IOMMU_IOAS_ALLOC, &a);

	*out_id = a.out_ioas_id;
	return rc;
}

static int conn(void)
{
	return ioasid_client_connect(sock_path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
}

/* Start the daemon with extra options (NULL-terminated); nofile > 0 caps its fds. */
static pid_t start_daemon(rlim_t nofile, const char *const *opts)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[24] = { daemon_exe, "--socket", sock_path };
		int n = 3, logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		for (; opts && *opts && n < 22; opts++)
			argv[n++] = *opts;
		argv[n] = NULL;
		if (logfd >= 0)
			dup2(logfd, 2);
		if (nofile) {
			struct rlimit rl = { nofile, nofile };

			setrlimit(RLIMIT_NOFILE, &rl);
		}
		execv(daemon_exe, (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		int s = conn();

		if (s >= 0) {
			close(s);
			return pid;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* SIGTERM; the daemon must be gone within `within` seconds. */
static bool stop_daemon(pid_t pid, double within)
{
	double t0 = now();
	int status;

	kill(pid, SIGTERM);
	while (now() - t0 < within) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		usleep(5000);
	}
	fprintf(stderr, "daemon still running %.2f s after SIGTERM\n", now() - t0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return false;
}

/* ---- squat ------------------------------------------------------------------------------ */

/* A fake daemon on path: answers HELLO with daemon_pid 1 (if hello), then never again. */
static pid_t fake_daemon(const char *path, bool hello, uid_t as_uid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid)
		goto out_parent;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	chmod(path, 0666);
	/* the credentials SO_PEERCRED reports are the listener's at listen() */
	if (as_uid != (uid_t)-1 && (setgid(as_uid) || setuid(as_uid)))
		_exit(1);
	if (listen(lfd, 8) || write(ready[1], "r", 1) != 1)
		_exit(1);
	for (;;) {
		_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
		struct ioasid_recv r;
		int fd = accept(lfd, NULL, NULL);

		while (fd >= 0 && !ioasid_recv(fd, buf, &r) && r.len) {
			struct ioasid_msg_hello_reply rep;
			struct ioasid_msg_hdr hdr;

			memcpy(&hdr, buf, sizeof(hdr));
			if (hello && hdr.type == IOASID_MSG_HELLO && r.nfds) {
				ioasid_msg_init(&rep.hdr, IOASID_MSG_HELLO_REPLY, hdr.seq);
				rep.daemon_pid = 1; /* a lie */
				ioasid_send(r.fds[0], &rep, sizeof(rep), NULL, 0);
			}
			/* keep the reply channels: the client must time out, not see EOF */
		}
	}
out_parent:
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return pid;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_squat(void)
{
	char tmp_sock[108], other_dir[64];
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	pid_t fake, dpid = 0;
	double t0;
	long ret;
	int s;

	setenv("IOASID_TIMEOUT_MS", "300", 1);

	/* the README's old example: a socket straight in /tmp is anybody's */
	snprintf(tmp_sock, sizeof(tmp_sock), "/tmp/ioasid-squat-%d.sock", getpid());
	fake = fake_daemon(tmp_sock, true, (uid_t)-1);
	CHECK(fake > 0);
	s = ioasid_client_connect(tmp_sock, 0, NULL, NULL);
	end_child(fake);
	unlink(tmp_sock);
	CHECK(s == -EPERM);

	/* a fake daemon of our own uid in our directory is trusted, but not about its pid */
	fake = fake_daemon(sock_path, true, (uid_t)-1);
	CHECK(fake > 0);
	s = ioasid_client_connect(sock_path, 0, NULL, &dpid);
	CHECK(s >= 0);
	CHECK(dpid == fake);
	/* it never answers the call: EIO within the timeout, and close does not hang */
	t0 = now();
	CHECK(ioasid_client_ioctl(s, IOMMU_IOAS_ALLOC, (uintptr_t)&a, -1, IOASID_IN_FD_NONE,
				  &ret) == -EIO);
	CHECK(now() - t0 < 3);
	t0 = now();
	ioasid_client_close(s, close, NULL);
	CHECK(now() - t0 < 3);
	end_child(fake);

	/* one that accepts and never answers HELLO */
	fake = fake_daemon(sock_path, false, (uid_t)-1);
	CHECK(fake > 0);
	t0 = now();
	s = ioasid_client_connect(sock_path, 0, NULL, NULL);
	CHECK(s == -EIO && now() - t0 < 3);
	end_child(fake);

	/* no XDG_RUNTIME_DIR: the default is never a shared /tmp path */
	{
		char path[108], *xdg = getenv("XDG_RUNTIME_DIR"), *saved = xdg ? strdup(xdg) : NULL;
		int rc;

		unsetenv("XDG_RUNTIME_DIR");
		unsetenv("IOASID_SOCKET");
		rc = ioasid_socket_path(path, sizeof(path));
		if (saved)
			setenv("XDG_RUNTIME_DIR", saved, 1);
		free(saved);
		CHECK(rc || strncmp(path, "/tmp/", 5));
	}

	if (geteuid() != 0) {
		printf("squat: the parts with another uid need root; not run\n");
		return;
	}
	/* a daemon of another uid, in our directory */
	fake = fake_daemon(sock_path, true, 65534);
	CHECK(fake > 0);
	s = ioasid_client_connect(sock_path, 0, NULL, NULL);
	end_child(fake);
	CHECK(s == -EPERM);
	/* a directory another user made (the /tmp/ioasid-$UID squat) */
	snprintf(other_dir, sizeof(other_dir), "%s/other", dir);
	CHECK(!mkdir(other_dir, 0700) && !chown(other_dir, 65534, 65534));
	snprintf(tmp_sock, sizeof(tmp_sock), "%s/ioasidd.sock", other_dir);
	fake = fake_daemon(tmp_sock, true, (uid_t)-1);
	CHECK(fake > 0);
	s = ioasid_client_connect(tmp_sock, 0, NULL, NULL);
	end_child(fake);
	CHECK(s == -EPERM);
	CHECK(ioasid_socket_dir_prepare(tmp_sock) == -EPERM);
}

/* ---- pid reuse ------------------------------------------------------------------------- */

/* Stall the connection's thread: CLOSE, and CLOSED not yet sent. Returns the channel. */
static int stall(int s)
{
	struct ioasid_msg_hdr msg;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	ioasid_msg_init(&msg, IOASID_MSG_CLOSE, 1);
	if (ioasid_send(s, &msg, sizeof(msg), &sv[1], 1)) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

static void unstall(int ch)
{
	struct ioasid_msg_hdr msg;

	ioasid_msg_init(&msg, IOASID_MSG_CLOSED, 1);
	ioasid_send(ch, &msg, sizeof(msg), NULL, 0);
	close(ch);
}

/* Send IOAS_ALLOC on s with a fresh channel whose our end is dropped; no wait. */
static int send_alloc(int s, void *arg)
{
	struct ioasid_msg_ioctl msg;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	ioasid_msg_init(&msg.hdr, IOASID_MSG_IOCTL, 7);
	msg.cmd = IOMMU_IOAS_ALLOC;
	msg.arg = (uintptr_t)arg;
	rc = ioasid_send(s, &msg, sizeof(msg), &sv[1], 1);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void test_pid_reuse(void)
{
	/* at the same address in every process of ours */
	struct iommu_ioas_alloc *a =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ioasidd_stats st0, st1;
	int s = conn(), go[2], res[2], ch, last;
	pid_t victim, newcomer = -1;
	char c = 0;

	CHECK(a != MAP_FAILED && s >= 0);
	if (geteuid() != 0 || access("/proc/sys/kernel/ns_last_pid", W_OK)) {
		printf("pid_reuse: cannot choose pids (ns_last_pid needs root); skipped\n");
		skipped = true;
		return;
	}
	a->size = sizeof(*a);
	CHECK(ioasid_client_stats(s, &st0) == 0);
	CHECK(!pipe(go) && !pipe(res));
	ch = stall(s);
	CHECK(ch >= 0);
	/* the victim queues a request behind the stall, and exits */
	victim = fork();
	if (victim == 0)
		_exit(send_alloc(s, a) ? 1 : 0);
	CHECK(victim > 0);
	waitpid(victim, NULL, 0);
	/* a newcomer takes its pid; a few tries, other processes may take it first */
	for (int tries = 0; tries < 50 && newcomer != victim; tries++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

		CHECK(f);
		fprintf(f, "%d", victim - 1);
		fclose(f);
		newcomer = fork();
		if (newcomer == 0) {
			/* the same struct at the same address, as the victim had it */
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			c = a->out_ioas_id == 0 ? 'k' : 'W';
			_exit(write(res[1], &c, 1) == 1 ? 0 : 2);
		}
		if (newcomer != victim) {
			end_child(newcomer);
			newcomer = -1;
		}
	}
	if (newcomer != victim) {
		unstall(ch);
		printf("pid_reuse: could not get pid %d again; skipped\n", victim);
		skipped = true;
		return;
	}
	unstall(ch);
	/* the daemon serves in order: once this is answered, the victim's request was seen */
	CHECK(ioasid_client_stats(s, &st1) == 0);
	CHECK(write(go[1], "g", 1) == 1 && read(res[0], &c, 1) == 1);
	last = 0;
	waitpid(newcomer, &last, 0);
	printf("pid_reuse: pid %d reused; newcomer's memory %s; contexts %lu -> %lu\n", victim,
	       c == 'k' ? "untouched" : "WRITTEN", (unsigned long)st0.contexts,
	       (unsigned long)st1.contexts);
	CHECK(c == 'k');
	/* nothing was made for the request: no context came to life for it */
	CHECK(st1.contexts == st0.contexts);
	CHECK(st1.dropped_total == st0.dropped_total + 1);
	close(s);
}

/* ---- fd limits --------------------------------------------------------------------------- */

static long daemon_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* fields after the name: state is 3, utime 14, stime 15 */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, ch;

	if (!f)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void test_fd_limits(void)
{
	const char *opts[] = { "--max-clients", "4", "--max-access-fds", "3", NULL };
	struct iommu_test_cmd ca = { .size = sizeof(ca), .op = IOMMU_TEST_OP_CREATE_ACCESS };
	int s[40], extra, afd[4], refused = 0;
	pid_t d = start_daemon(0, opts);
	long t0, t1;
	double w;
	uint32_t ioas;

	CHECK(d > 0);
	for (int i = 0; i < 4; i++) {
		s[i] = conn();
		CHECK(s[i] >= 0);
	}
	w = now();
	extra = conn();
	{
		struct ioasidd_stats st;

		CHECK(ioasid_client_stats(s[0], &st) == 0 && st.refused_total >= 1);
	}
	if (extra != -EMFILE)
		fprintf(stderr, "fifth connection: %d\n", extra);
	CHECK(extra == -EMFILE && now() - w < 2);
	close(s[3]);
	for (int i = 0; i < 100 && (extra = conn()) < 0; i++)
		usleep(10000);
	CHECK(extra >= 0);

	/* access fds: a bounded number per context */
	CHECK(ioas_alloc(extra, &ioas) == 0);
	ca.id = ioas;
	for (int i = 0; i < 4; i++) {
		long ret;
		int rc = ioasid_client_ioctl(extra, IOMMU_TEST_CMD, (uintptr_t)&ca, -1,
					     IOASID_IN_FD_NONE, &ret);

		if (rc == -ENOTTY) {
			printf("fd_limits: no test hooks: access fds not checked\n");
			break;
		}
		afd[i] = (int)ca.create_access.out_access_fd;
		CHECK(i < 3 ? rc == 0 : rc == -EMFILE);
	}
	close(extra);
	for (int i = 0; i < 3; i++)
		close(s[i]);
	CHECK(stop_daemon(d, 1.0));
	(void)afd;

	/* out of fds: the daemon pauses instead of spinning, and nobody hangs */
	d = start_daemon(24, NULL);
	CHECK(d > 0);
	t0 = daemon_cpu_ticks(d);
	w = now();
	setenv("IOASID_TIMEOUT_MS", "1000", 1);
	for (int i = 0; i < 40; i++) {
		s[i] = conn(); /* some are served, the rest refused or timed out */
		if (s[i] < 0 && refused++ < 3)
			printf("fd_limits: connection %d: %s\n", i, strerror(-s[i]));
	}
	CHECK(refused > 0);
	sleep(1);
	t1 = daemon_cpu_ticks(d);
	printf("fd_limits: out of fds: %d of 40 refused; %ld ticks of daemon CPU in %.1f s, %d log "
	       "lines\n",
	       refused, t1 - t0, now() - w, count_lines(log_path));
	CHECK(t1 - t0 < sysconf(_SC_CLK_TCK) / 2);
	CHECK(count_lines(log_path) < 200);
	for (int i = 0; i < 40; i++)
		if (s[i] >= 0)
			close(s[i]);
	/* with fds again, it serves */
	for (int i = 0; i < 200 && (extra = conn()) < 0; i++)
		usleep(10000);
	CHECK(extra >= 0);
	close(extra);
	CHECK(stop_daemon(d, 1.0));
}

/* ---- zero-length message ----------------------------------------------------------------- */

static void test_zero_len(void)
{
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r) };
	struct ioasidd_stats st;
	int s = conn();
	pid_t child;
	uint32_t ioas;

	CHECK(s >= 0 && ioas_alloc(s, &ioas) == 0);
	/* another holder of the shared fd (a child) sends a message of no bytes */
	child = fork();
	if (child == 0)
		_exit(send(s, "", 0, MSG_NOSIGNAL) == 0 ? 0 : 1);
	CHECK(child > 0);
	waitpid(child, NULL, 0);
	r.ioas_id = ioas;
	CHECK(call(s, IOMMU_IOAS_IOVA_RANGES, &r) == -EMSGSIZE || r.num_iovas > 0);
	CHECK(ioasid_client_stats(s, &st) == 0);
	CHECK(st.contexts == 1 && st.bad_messages_total >= 1);
	close(s);
}

/* ---- a client that does not read --------------------------------------------------------- */

static void test_slow_reader(void)
{
	struct ioasidd_stats st;
	struct ioasid_msg_hdr msg;
	int s = conn(), sv[2], n = 0, ch;
	pid_t d = 0;
	double t0;

	CHECK(s >= 0);
	/* a reply channel whose queue is full before the daemon gets it */
	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
	while (send(sv[1], "x", 1, MSG_DONTWAIT) == 1)
		n++;
	CHECK(n > 0);
	/* the daemon's copy shares the file: it must not find it non-blocking by our doing */
	CHECK(!fcntl(sv[1], F_SETFL, 0));
	ioasid_msg_init(&msg, IOASID_MSG_STATS, 3);
	CHECK(ioasid_send(s, &msg, sizeof(msg), &sv[1], 1) == 0);
	/* the next request on the connection is still served */
	t0 = now();
	setenv("IOASID_TIMEOUT_MS", "3000", 1);
	CHECK(ioasid_client_stats(s, &st) == 0 && now() - t0 < 2);
	close(sv[0]);
	close(sv[1]);
	close(s);

	/* SIGTERM with a client stalled mid-protocol: the daemon ends within a second */
	s = ioasid_client_connect(sock_path, 0, NULL, &d);
	CHECK(s >= 0 && d > 0);
	ch = stall(s);
	CHECK(ch >= 0);
	usleep(100000);
	CHECK(stop_daemon(d, 1.0));
	close(ch);
	close(s);
}

/* ---- objects ------------------------------------------------------------------------------- */

static void test_objects(void)
{
	const char *opts[] = { "--max-objects", "100", "--max-uid-objects", "150", NULL };
	struct iommu_destroy del = { .size = sizeof(del) };
	pid_t d = start_daemon(0, opts);
	int s1, s2, n1 = 0, n2 = 0, rc;
	uint32_t id, first = 0;

	CHECK(d > 0);
	s1 = conn();
	s2 = conn();
	CHECK(s1 >= 0 && s2 >= 0);
	while ((rc = ioas_alloc(s1, &id)) == 0 && n1 < 1000) {
		if (!n1)
			first = id;
		n1++;
	}
	CHECK(rc == -ENOMEM && n1 == 100);
	while ((rc = ioas_alloc(s2, &id)) == 0 && n2 < 1000)
		n2++;
	CHECK(rc == -ENOMEM && n2 == 50);
	/* a place given back is a place to take */
	del.id = first;
	CHECK(call(s1, IOMMU_DESTROY, &del) == 0);
	CHECK(ioas_alloc(s2, &id) == 0);
	CHECK(ioas_alloc(s1, &id) == -ENOMEM);
	close(s1);
	close(s2);
	CHECK(stop_daemon(d, 1.0));
}

/* ---- memory of one uid ---------------------------------------------------------------------- */

/* Map len bytes of memfd m (handed over first, as the shim does) into ioas of s, pinned by the
 * mock domain already attached: 0 or -errno. */
static int map_pinned(int s, uint32_t ioas, int m, uint8_t *p, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)p,
		.length = len,
		.iova = iova,
	};
	int rc = ioasid_client_mem(s, m);

	return rc ? rc : call(s, IOMMU_IOAS_MAP, &map);
}

/*
 * --max-uid-mirror-mb: the bytes of client memory the daemon maps for one uid, across its
 * connections and processes. Beyond, the pin is ENOMEM (the kernel's errno for memory over
 * its accounting limit); unmapping gives the room back (idle units go first).
 */
static void test_uid_mirror(void)
{
	const char *opts[] = { "--max-uid-mirror-mb", "1", NULL };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	pid_t d = start_daemon(0, opts), child;
	int s1, s2, m = memfd_create("uid-mirror", MFD_CLOEXEC), status;
	uint32_t ioas1, ioas2;
	uint8_t *p;

	CHECK(d > 0 && m >= 0 && !ftruncate(m, 2 << 20));
	p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	CHECK(p != MAP_FAILED);
	s1 = conn();
	s2 = conn();
	CHECK(s1 >= 0 && s2 >= 0 && !ioas_alloc(s1, &ioas1) && !ioas_alloc(s2, &ioas2));
	md.id = ioas1;
	CHECK(call(s1, IOMMU_TEST_CMD, &md) == 0);
	md.id = ioas2;
	CHECK(call(s2, IOMMU_TEST_CMD, &md) == 0);
	/* 768 KiB on one connection; 512 KiB more on the other is beyond 1 MiB */
	CHECK(map_pinned(s1, ioas1, m, p, 768 << 10, MOCK_APERTURE_START) == 0);
	CHECK(map_pinned(s2, ioas2, m, p + (1 << 20), 512 << 10, MOCK_APERTURE_START) == -ENOMEM);
	/* the same from another process of the uid */
	child = fork();
	CHECK(child >= 0);
	if (!child) {
		int s3 = conn();
		uint32_t ioas3;
		struct iommu_test_cmd md3 = { .size = sizeof(md3),
					      .op = IOMMU_TEST_OP_MOCK_DOMAIN };

		if (s3 < 0 || ioas_alloc(s3, &ioas3))
			_exit(2);
		md3.id = ioas3;
		if (call(s3, IOMMU_TEST_CMD, &md3))
			_exit(3);
		_exit(map_pinned(s3, ioas3, m, p + (1 << 20), 512 << 10, MOCK_APERTURE_START) ==
				      -ENOMEM ?
			      0 :
			      4);
	}
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && !WEXITSTATUS(status));
	/* 256 KiB fit */
	CHECK(map_pinned(s2, ioas2, m, p + (1 << 20), 256 << 10, MOCK_APERTURE_START) == 0);
	/* the first map gone, its room is there again */
	um.ioas_id = ioas1;
	um.iova = MOCK_APERTURE_START;
	um.length = 768 << 10;
	CHECK(call(s1, IOMMU_IOAS_UNMAP, &um) == 0);
	CHECK(map_pinned(s2, ioas2, m, p + (1 << 20) + (256 << 10), 512 << 10,
			 MOCK_APERTURE_START + (256 << 10)) == 0);
	close(s1);
	close(s2);
	munmap(p, 2 << 20);
	close(m);
	CHECK(stop_daemon(d, 1.0));
}

/*
 * A forged hand-over: the daemon maps a handed file only where the caller's own maps show
 * it. The program maps memfd B at p and hands over memfd A (never mapped): a pinned map of p
 * is EFAULT and the IOAS is as before. B handed read-only: a writable pin is EFAULT, a
 * read-only one works. B handed as it is: the map works and the domain reads B's bytes.
 * The daemon runs with IOASIDD_NO_MAP_FILES=1, so even as root it cannot reach p otherwise.
 */
static void test_handover_forged(void)
{
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
		.length = 64 << 10,
		.iova = MOCK_APERTURE_START,
	};
	int a = memfd_create("forged-a", MFD_CLOEXEC), b = memfd_create("forged-b", MFD_CLOEXEC);
	char path[64];
	pid_t d;
	int s, ro;
	uint32_t ioas;
	uint8_t *p;

	setenv("IOASIDD_NO_MAP_FILES", "1", 1);
	d = start_daemon(0, NULL);
	unsetenv("IOASIDD_NO_MAP_FILES");
	CHECK(d > 0 && a >= 0 && b >= 0 && !ftruncate(a, 64 << 10) && !ftruncate(b, 64 << 10));
	p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 'B', 64 << 10);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", b);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	s = conn();
	CHECK(ro >= 0 && s >= 0 && !ioas_alloc(s, &ioas));
	md.id = ioas;
	CHECK(call(s, IOMMU_TEST_CMD, &md) == 0);
	map.ioas_id = ioas;
	map.user_va = (uintptr_t)p;
	/* A handed, p maps B: refused, nothing left in the IOAS */
	CHECK(map_pinned(s, ioas, a, p, 64 << 10, MOCK_APERTURE_START) == -EFAULT);
	/* B read-only: no writable pin, a read-only one */
	CHECK(map_pinned(s, ioas, ro, p, 64 << 10, MOCK_APERTURE_START) == -EFAULT);
	CHECK(ioasid_client_mem(s, ro) == 0 && call(s, IOMMU_IOAS_MAP, &map) == 0);
	{
		struct iommu_ioas_unmap um = { .size = sizeof(um),
					       .ioas_id = ioas,
					       .iova = MOCK_APERTURE_START,
					       .length = 64 << 10 };

		CHECK(call(s, IOMMU_IOAS_UNMAP, &um) == 0 && um.length == 64 << 10);
	}
	/* B as it is: the writable pin works, at the IOVA the refused maps did not take */
	CHECK(map_pinned(s, ioas, b, p, 64 << 10, MOCK_APERTURE_START) == 0);
	close(s);
	close(ro);
	munmap(p, 64 << 10);
	close(a);
	close(b);
	CHECK(stop_daemon(d, 1.0));
}

/* ---- 10,000 connections -----------------------------------------------------------------------
 */

static bool baseline_again(int s, const struct ioasidd_stats *b, struct ioasidd_stats *out)
{
	for (int i = 0; i < 300; i++) {
		if (ioasid_client_stats(s, out))
			return false;
		if (out->clients == b->clients && out->contexts == b->contexts &&
		    out->open_fds == b->open_fds && out->threads == b->threads)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_conn_soak(void)
{
	struct ioasidd_stats b, st;
	int keep = conn();
	double t0 = now();

	CHECK(keep >= 0);
	/* warm up the allocator, then take the baseline */
	for (int i = 0; i < 100; i++) {
		int s = conn();
		uint32_t id;

		CHECK(s >= 0 && ioas_alloc(s, &id) == 0);
		close(s);
	}
	for (int i = 0; i < 300; i++) {
		CHECK(ioasid_client_stats(keep, &b) == 0);
		if (b.clients == 1 && b.contexts == 0)
			break;
		usleep(10000);
	}
	CHECK(b.clients == 1 && b.contexts == 0);
	for (int i = 0; i < 10000; i++) {
		if (i % 100 == 99) {
			/* gone before the answer: connect, send HELLO, close */
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			struct ioasid_msg_hello h;
			int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), sv[2];

			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
			CHECK(s >= 0 && !connect(s, (struct sockaddr *)&sa, sizeof(sa)));
			CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
			ioasid_msg_init(&h.hdr, IOASID_MSG_HELLO, 1);
			ioasid_send(s, &h, sizeof(h), &sv[1], 1);
			close(sv[0]);
			close(sv[1]);
			close(s);
			continue;
		}
		int s = conn();

		CHECK(s >= 0);
		if (i % 10 == 0) {
			uint32_t id;

			CHECK(ioas_alloc(s, &id) == 0);
		}
		close(s);
	}
	CHECK(baseline_again(keep, &b, &st));
	printf("conn_soak: 10,000 connections in %.1f s; clients %lu, contexts %lu, fds %lu -> "
	       "%lu, "
	       "threads %lu -> %lu, heap %lu -> %lu bytes\n",
	       now() - t0, (unsigned long)st.clients, (unsigned long)st.contexts,
	       (unsigned long)b.open_fds, (unsigned long)st.open_fds, (unsigned long)b.threads,
	       (unsigned long)st.threads, (unsigned long)b.heap_bytes,
	       (unsigned long)st.heap_bytes);
	CHECK(st.heap_bytes < b.heap_bytes + (1 << 20));
	close(keep);
}

/* ---- MAP_FILE: a reference per file, not an fd per area ----------------------------------- */

static void test_map_file_areas(void)
{
	pid_t d = start_daemon(1024, NULL);
	struct ioasidd_stats st;
	int s = conn(), mfd = memfd_create("areas", MFD_CLOEXEC), n;
	uint32_t ioas;

	CHECK(d > 0 && s >= 0 && mfd >= 0 && !ftruncate(mfd, 2 * 4096));
	CHECK(ioas_alloc(s, &ioas) == 0);
	for (n = 0; n < 5000; n++) {
		struct iommu_ioas_map_file mf = {
			.size = sizeof(mf),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.fd = mfd,
			.start = (n % 2) * 4096,
			.length = 4096,
		};
		long ret;
		int rc = ioasid_client_ioctl(s, IOMMU_IOAS_MAP_FILE, (uintptr_t)&mf,
					     ioasid_proto_in_fd(IOMMU_IOAS_MAP_FILE, 0), mfd, &ret);

		if (rc) {
			fprintf(stderr, "map_file_areas: area %d: %s\n", n, strerror(-rc));
			break;
		}
	}
	CHECK(n == 5000);
	CHECK(ioasid_client_stats(s, &st) == 0);
	printf("map_file_areas: %d areas, the daemon holds %lu fds\n", n,
	       (unsigned long)st.open_fds);
	CHECK(st.open_fds < 64);
	close(s);
	close(mfd);
	CHECK(stop_daemon(d, 1.0));
}

/* ---- call channels -------------------------------------------------------------------------- */

static int chan_call(int ch, unsigned long cmd, void *arg)
{
	long ret = 0;
	int err = 0, rc;

	rc = ioasid_chan_ioctl(ch, cmd, (uintptr_t)arg, -1, IOASID_IN_FD_NONE, NULL, &ret, &err);
	return rc ? rc : err ? -err : (int)ret;
}

static int chan_option_get(int ch)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.val64 = 77,
	};
	int rc = chan_call(ch, IOMMU_OPTION, &o);

	/* the answer was written back into our struct from the reply */
	return rc ? rc : o.val64 == 77 ? -EPROTO : 0;
}

/*
 * chan_inject: a forked child holds a copy of its parent's call channel. What it sends there
 * is dropped unanswered (the kernel stamped it with the child's pid, not the attacher's):
 * nothing is made in the context, and the parent's channel serves on undisturbed.
 */
static void test_chan_inject(void)
{
	const char *opts[] = { "--max-objects", "2", NULL };
	pid_t d = start_daemon(0, opts), child;
	struct ioasidd_stats st0, st1;
	uint32_t ioas;
	int s, ch, status;

	CHECK(d > 0);
	s = conn();
	CHECK(s >= 0);
	ch = ioasid_client_attach(s);
	CHECK(ch >= 0);
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	CHECK(chan_call(ch, IOMMU_IOAS_ALLOC, &a) == 0);
	ioas = a.out_ioas_id;
	CHECK(ioasid_client_stats(s, &st0) == 0);
	child = fork();
	if (child == 0) {
		struct timeval tv = { 0, 300000 };
		struct iommu_ioas_alloc b = { .size = sizeof(b) };

		setsockopt(ch, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* served as the parent, it would make the context's second object */
		_exit(chan_call(ch, IOMMU_IOAS_ALLOC, &b) == -EIO ? 0 : 1);
	}
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the parent's second object is the context's second: the child made none */
	CHECK(chan_call(ch, IOMMU_IOAS_ALLOC, &a) == 0 && a.out_ioas_id != ioas);
	CHECK(chan_option_get(ch) == 0);
	CHECK(ioasid_client_stats(s, &st1) == 0);
	CHECK(st1.dropped_total == st0.dropped_total + 1);
	close(ch);
	close(s);
	CHECK(stop_daemon(d, 1.0));
}

/* Send raw bytes (and fds) on a socket, as a hostile client would. */
static int raw_send(int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 2)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
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
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/*
 * chan_bad: malformed messages on a call channel (no bytes, a size that lies, more inline
 * bytes than a call may carry, a writable part larger than what came, a type that has no
 * business there, a truncated call, an fd it did not announce) are each dropped (or
 * refused) on their own: the channel is not taken for closed, no stray answer comes, and
 * the next call is served.
 */
static void test_chan_bad(void)
{
	_Alignas(8) char msg[IOASID_PROTO_MAX_MSG];
	struct ioasidd_stats st0, st1;
	struct ioasid_msg_call c;
	struct ioasid_msg_hdr hello;
	struct iommu_option o = { .size = sizeof(o) };
	int s = conn(), ch, pfd[2];

	CHECK(s >= 0);
	ch = ioasid_client_attach(s);
	CHECK(ch >= 0);
	CHECK(chan_option_get(ch) == 0);
	CHECK(ioasid_client_stats(s, &st0) == 0);
	/* no bytes at all: a message, not EOF */
	CHECK(raw_send(ch, "", 0, NULL, 0) == 0);
	CHECK(chan_option_get(ch) == 0);
	/* hdr.size that is not what was sent */
	ioasid_msg_init(&c.hdr, IOASID_MSG_CALL, 1000);
	c.cmd = IOMMU_OPTION;
	c.arg = (uintptr_t)&o;
	c.in_len = sizeof(o);
	c.wr_len = sizeof(o);
	c.hdr.size = sizeof(c) + sizeof(o) + 8;
	memcpy(msg, &c, sizeof(c));
	memcpy(msg + sizeof(c), &o, sizeof(o));
	CHECK(raw_send(ch, msg, sizeof(c) + sizeof(o), NULL, 0) == 0);
	/* more inline bytes than any call carries */
	c.in_len = c.wr_len = IOASID_PROTO_MAX_INLINE + 16;
	c.hdr.size = sizeof(c) + c.in_len;
	memset(msg + sizeof(c), 0, c.in_len);
	memcpy(msg, &c, sizeof(c));
	CHECK(raw_send(ch, msg, c.hdr.size, NULL, 0) == 0);
	/* a writable part larger than what came */
	c.in_len = sizeof(o);
	c.wr_len = sizeof(o) + 8;
	c.hdr.size = sizeof(c) + c.in_len;
	memcpy(msg, &c, sizeof(c));
	CHECK(raw_send(ch, msg, c.hdr.size, NULL, 0) == 0);
	/* only the fixed part */
	c.wr_len = sizeof(o);
	memcpy(msg, &c, sizeof(c));
	CHECK(raw_send(ch, msg, sizeof(c) - 8, NULL, 0) == 0);
	/* a request of the connection's, sent here */
	ioasid_msg_init(&hello, IOASID_MSG_STATS, 1001);
	CHECK(raw_send(ch, &hello, sizeof(hello), NULL, 0) == 0);
	CHECK(chan_option_get(ch) == 0);
	/* a good call with an fd it does not announce: refused with EINVAL, fd closed */
	CHECK(!pipe(pfd));
	memcpy(msg, &c, sizeof(c));
	memcpy(msg + sizeof(c), &o, sizeof(o));
	CHECK(raw_send(ch, msg, c.hdr.size, &pfd[0], 1) == 0);
	{
		_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
		struct ioasid_msg_call_reply rep;

		CHECK(ioasid_client_await(ch, buf, IOASID_MSG_CALL_REPLY, 2000) == 0);
		memcpy(&rep, buf, sizeof(rep));
		CHECK(rep.err == EINVAL && rep.hdr.seq == 1000);
	}
	close(pfd[0]);
	CHECK(chan_option_get(ch) == 0);
	/* the daemon's copy of the pipe's read end is gone (before it took the next call) */
	CHECK(write(pfd[1], "x", 1) < 0 && errno == EPIPE);
	close(pfd[1]);
	CHECK(ioasid_client_stats(s, &st1) == 0);
	CHECK(st1.bad_messages_total >= st0.bad_messages_total + 6);
	CHECK(st1.contexts == 1);
	close(ch);
	close(s);
}

/*
 * chan_slow_reader: a process that sends calls on its channel and never reads the answers
 * fills the channel; the daemon drops answers instead of waiting, so the connection's
 * other requests are served at once, and SIGTERM still ends the daemon within a second.
 */
static void test_chan_slow_reader(void)
{
	_Alignas(8) char msg[IOASID_PROTO_MAX_MSG];
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	struct ioasidd_stats st;
	struct ioasid_msg_call c;
	pid_t d = start_daemon(0, NULL);
	int s, ch, sent = 0;
	double t0;

	CHECK(d > 0);
	s = conn();
	CHECK(s >= 0);
	ch = ioasid_client_attach(s);
	CHECK(ch >= 0);
	ioasid_msg_init(&c.hdr, IOASID_MSG_CALL, 1);
	c.cmd = IOMMU_OPTION;
	c.arg = (uintptr_t)&o;
	c.in_len = c.wr_len = sizeof(o);
	c.hdr.size = sizeof(c) + sizeof(o);
	memcpy(msg, &c, sizeof(c));
	memcpy(msg + sizeof(c), &o, sizeof(o));
	t0 = now();
	while (sent < 5000 && now() - t0 < 3) {
		if (send(ch, msg, c.hdr.size, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)c.hdr.size)
			sent++;
		else
			usleep(1000);
	}
	CHECK(sent == 5000);
	/* every answer the channel had room for is there; the rest were dropped */
	t0 = now();
	setenv("IOASID_TIMEOUT_MS", "3000", 1);
	CHECK(ioasid_client_stats(s, &st) == 0 && now() - t0 < 2);
	CHECK(stop_daemon(d, 1.0));
	close(ch);
	close(s);
}

/*
 * chan_limits: --max-channels per connection, EMFILE beyond (the shim then calls the slow
 * way); a channel whose process closed it, or that exited, frees its place.
 */
static void test_chan_limits(void)
{
	const char *opts[] = { "--max-channels", "2", NULL };
	pid_t d = start_daemon(0, opts), child;
	int s, ch1, ch2, ch3 = -1, status;

	CHECK(d > 0);
	s = conn();
	CHECK(s >= 0);
	ch1 = ioasid_client_attach(s);
	ch2 = ioasid_client_attach(s);
	CHECK(ch1 >= 0 && ch2 >= 0);
	CHECK(ioasid_client_attach(s) == -EMFILE);
	/* still served, the per-call way */
	CHECK(call(s, IOMMU_OPTION,
		   &(struct iommu_option){ .size = sizeof(struct iommu_option),
					   .option_id = IOMMU_OPTION_RLIMIT_MODE,
					   .op = IOMMU_OPTION_OP_GET }) == 0);
	close(ch2);
	for (int i = 0; i < 100 && ch3 < 0; i++) {
		ch3 = ioasid_client_attach(s);
		if (ch3 < 0)
			usleep(10000);
	}
	CHECK(ch3 >= 0 && chan_option_get(ch3) == 0);
	/* a child attaches the last place and exits with it open in us: the place comes back */
	close(ch3);
	usleep(50000);
	child = fork();
	if (child == 0)
		_exit(ioasid_client_attach(s) >= 0 ? 0 : 1);
	CHECK(child > 0 && waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 0);
	ch3 = -1;
	for (int i = 0; i < 100 && ch3 < 0; i++) {
		ch3 = ioasid_client_attach(s);
		if (ch3 < 0)
			usleep(10000);
	}
	CHECK(ch3 >= 0);
	CHECK(chan_option_get(ch1) == 0 && chan_option_get(ch3) == 0);
	close(ch1);
	close(ch3);
	close(s);
	CHECK(stop_daemon(d, 1.0));
}

/* ---- a DMA waiting for its page response at SIGTERM ----------------------------------- */

/*
 * A device DMA waits on a thread of its own for the program's page response (client.c,
 * waiters); the program never answers and keeps its fault fd. SIGTERM must still end the
 * daemon within a second, cleanly (exit 0: every thread joined, none abandoned), and the
 * waiting call is answered (the DMA reports its fault) before the daemon goes.
 */
static void test_dma_sigterm(void)
{
	const char *opts[] = { NULL };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID };
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_IOASID_DEV_NEW };
	static struct iommu_test_cmd dma = { .size = sizeof(dma),
					     .op = IOMMU_TEST_OP_IOASID_DEV_DMA };
	static char buf[64];
	struct iommu_hwpt_pgfault rec;
	struct ioasid_msg_ioctl io;
	_Alignas(8) char ans[IOASID_PROTO_MAX_MSG];
	struct pollfd p;
	int s, sv[2], status = -1;
	pid_t d = start_daemon(0, opts), got = 0;
	double t0;

	CHECK(d > 0);
	s = conn();
	CHECK(s >= 0);
	CHECK(!call(s, IOMMU_IOAS_ALLOC, &ia));
	snprintf(c.dev_new.format, sizeof(c.dev_new.format), "mock");
	CHECK(!call(s, IOMMU_TEST_CMD, &c));
	CHECK(!call(s, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	ha.dev_id = c.dev_new.out_dev_id;
	ha.pt_id = ia.out_ioas_id;
	ha.fault_id = fa.out_fault_id;
	CHECK(!call(s, IOMMU_HWPT_ALLOC, &ha));
	dma.id = c.dev_new.out_dev_id;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_IOASID_DEV_ATTACH;
	c.id = dma.id;
	c.dev_attach.op = IOMMU_TEST_DEV_ATTACH;
	c.dev_attach.pt_id = ha.out_hwpt_id;
	CHECK(!call(s, IOMMU_TEST_CMD, &c));
	/* the DMA, sent without waiting for its answer: nothing is mapped, it faults */
	dma.dev_dma.iova = MOCK_APERTURE_START;
	dma.dev_dma.length = sizeof(buf);
	dma.dev_dma.uptr = (uintptr_t)buf;
	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	memset(&io, 0, sizeof(io));
	ioasid_msg_init(&io.hdr, IOASID_MSG_IOCTL, 9);
	io.cmd = IOMMU_TEST_CMD;
	io.arg = (uintptr_t)&dma;
	CHECK(ioasid_send(s, &io, sizeof(io), &sv[1], 1) == 0);
	close(sv[1]);
	p = (struct pollfd){ .fd = (int)fa.out_fault_fd, .events = POLLIN };
	CHECK(poll(&p, 1, 5000) == 1 &&
	      read((int)fa.out_fault_fd, &rec, sizeof(rec)) == (ssize_t)sizeof(rec));
	/* the connection serves on meanwhile */
	CHECK(!ioas_alloc(s, &ia.out_ioas_id));
	t0 = now();
	kill(d, SIGTERM);
	while (now() - t0 < 1.0 && (got = waitpid(d, &status, WNOHANG)) == 0)
		usleep(5000);
	if (got != d) {
		fprintf(stderr, "daemon still running %.2f s after SIGTERM\n", now() - t0);
		failures++;
		kill(d, SIGKILL);
		waitpid(d, &status, 0);
	}
	CHECK(got == d && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the waiting call was answered: the DMA reports the fault it could not wait out */
	CHECK(ioasid_client_await(sv[0], ans, IOASID_MSG_REPLY, 1000) == 0);
	close(sv[0]);
	close((int)fa.out_fault_fd);
	close(s);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
		bool own_daemon; /* the case starts its daemon itself */
	} cases[] = {
		{ "squat", test_squat, true },
		{ "pid_reuse", test_pid_reuse, false },
		{ "fd_limits", test_fd_limits, true },
		{ "zero_len", test_zero_len, false },
		{ "slow_reader", test_slow_reader, false },
		{ "objects", test_objects, true },
		{ "map_file_areas", test_map_file_areas, true },
		{ "conn_soak", test_conn_soak, false },
		{ "chan_inject", test_chan_inject, true },
		{ "chan_bad", test_chan_bad, false },
		{ "chan_slow_reader", test_chan_slow_reader, true },
		{ "chan_limits", test_chan_limits, true },
		{ "uid_mirror", test_uid_mirror, true },
		{ "handover_forged", test_handover_forged, true },
		{ "dma_sigterm", test_dma_sigterm, true },
	};
	pid_t d = 0;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: test_safety IOASIDD CASE\n");
		return 2;
	}
	daemon_exe = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/ioasidd.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", dir);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++)
		if (!strcmp(cases[i].name, argv[2]))
			break;
	if (i == (int)(sizeof(cases) / sizeof(cases[0]))) {
		fprintf(stderr, "test_safety: no case %s\n", argv[2]);
		return 2;
	}
	if (!cases[i].own_daemon) {
		d = start_daemon(0, NULL);
		if (d < 0) {
			fprintf(stderr, "test_safety: the daemon did not start\n");
			return 1;
		}
	}
	cases[i].fn();
	if (d > 0 && kill(d, 0) == 0 && !stop_daemon(d, 1.0))
		failures++;
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "test_safety: could not remove %s\n", dir);
	}
	if (skipped && !failures)
		return 77; /* the case's own line says why */
	printf("%s: %s\n", argv[2], failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
