/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidd.c - the daemon: the listening socket and the life of the process.
 *
 *   ioasidd [--socket PATH] [--idle-exit SECONDS] [--verbose] [--max-clients N]
 *           [--max-clients-per-uid N] [--max-objects N] [--max-uid-objects N]
 *           [--max-access-fds N] [--max-channels N] [--max-idle-mb N] [--max-uid-mirror-mb N]
 *
 * Three ways to start: by hand; on demand by the shim or ioasid-run (with --idle-exit, so
 * an on-demand daemon goes away when nobody uses it); or by systemd socket activation. The
 * activation protocol is read by hand, without libsystemd: LISTEN_PID must be our pid and
 * LISTEN_FDS 1, and fd 3 must be a listening AF_UNIX SOCK_SEQPACKET socket.
 *
 * Owning a socket path. "<socket>.lock" is flock'ed for the daemon's whole life. Whoever
 * holds it owns the path, so it may remove a stale socket file left by a daemon that was
 * killed; a second daemon for the same path waits a little (an idle one may be on its way
 * out) and then exits with status 3. On exit the owner removes the socket file before it
 * stops accepting, so a client either reaches this daemon or finds no socket and starts a
 * new one.
 *
 * Who may connect: SO_PEERCRED at accept, our own uid or root; every message is checked
 * again by its SCM_CREDENTIALS and its sender's pidfd (client.c, ident.c). The socket file
 * is created mode 0600 in a directory only we may write.
 *
 * Limits. At most --max-clients connections (and --max-clients-per-uid of one uid); one
 * more is accepted only to be told so (IOASID_MSG_REFUSED, EMFILE: the program's open()
 * fails at once) and closed. When accept itself fails for want of fds or memory, one fd
 * kept in reserve is given up to accept and refuse the waiting connection, and accepting
 * pauses for ACCEPT_BACKOFF_MS with one log line: never a busy loop, never a client left
 * hanging. The limits on objects and access fds are handed to each context (client.c).
 *
 * Threads: this one accepts and reaps; each connection has its own thread (client.c).
 * SIGTERM or SIGINT shut down within a second: the listening socket goes, stop_fd wakes
 * every client thread waiting on a client, every connection is shut down so its thread
 * sees EOF and frees its context, and the threads are joined against a deadline; a thread
 * still busy then (a call that does not finish) is abandoned and the process exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "iommu/phys.h"

int log_verbose;
int stop_fd = -1; /* eventfd, written once at shutdown */

struct daemon_limits limits = {
	.max_clients = 512,
	.max_clients_per_uid = 256,
	.max_objects = 65536,
	.max_uid_objects = 262144,
	.max_access_fds = 64,
	.max_channels = 16,
	.max_idle_pages = (1ULL << 30) >> 12, /* 1 GiB */
	.max_uid_mirror = 256ULL << 30,
};

#define ACCEPT_BACKOFF_MS 100
#define STOP_DEADLINE_MS  800

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static struct client *clients; /* clients_lock */
static int reap_fd = -1;       /* eventfd: a client thread finished */

/* The object count of each uid that connected (never freed: a few bytes per user). */
struct uid_count {
	struct uid_count *next;
	uid_t uid;
	unsigned long objects; /* atomic, shared by the uid's contexts */
	uint64_t mirror;       /* atomic: bytes the mirror maps for the uid's processes */
};
static struct uid_count *uid_counts; /* clients_lock */

static struct uid_count *uid_count_get(uid_t uid)
{
	struct uid_count *u;

	pthread_mutex_lock(&clients_lock);
	for (u = uid_counts; u && u->uid != uid; u = u->next)
		;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (u) {
			u->uid = uid;
			u->next = uid_counts;
			uid_counts = u;
		}
	}
	pthread_mutex_unlock(&clients_lock);
	return u;
}

unsigned long *daemon_uid_objects(uid_t uid)
{
	struct uid_count *u = uid_count_get(uid);

	return u ? &u->objects : NULL;
}

uint64_t *daemon_uid_mirror(uid_t uid)
{
	struct uid_count *u = uid_count_get(uid);

	return u ? &u->mirror : NULL;
}

static void uid_counts_free(void)
{
	while (uid_counts) {
		struct uid_count *u = uid_counts;

		uid_counts = u->next;
		free(u);
	}
}

void dlog(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "ioasidd[%d]: ", getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void daemon_client_done(struct client *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&clients_lock);
	c->done = true;
	pthread_mutex_unlock(&clients_lock);
	if (write(reap_fd, &one, sizeof(one)) < 0)
		dlog(0, "reap notification: %s", strerror(errno));
}

uint64_t daemon_pinned_pages(void)
{
	uint64_t total = 0;

	pthread_mutex_lock(&clients_lock);
	for (struct client *c = clients; c; c = c->next) {
		struct ioasid_acct_info acct;
		bool seen = false;

		for (struct client *o = clients; o != c && !seen; o = o->next)
			seen = o->pid == c->pid;
		if (seen)
			continue;
		ioasid_acct_get(c->uid, c->pid, &acct);
		total += acct.proc_pinned_pages;
	}
	pthread_mutex_unlock(&clients_lock);
	return total;
}

void daemon_for_each_client(void (*fn)(void *arg, struct client *c), void *arg)
{
	pthread_mutex_lock(&clients_lock);
	for (struct client *c = clients; c; c = c->next)
		if (!c->done)
			fn(arg, c);
	pthread_mutex_unlock(&clients_lock);
}

/*
 * Join and free every client whose thread has finished; with all, every client, waiting
 * until deadline at most: false if a thread was still busy then (it is left running).
 */
static bool reap(bool all, const struct timespec *deadline)
{
	for (;;) {
		struct client **pp, *c = NULL;

		pthread_mutex_lock(&clients_lock);
		for (pp = &clients; *pp; pp = &(*pp)->next) {
			if ((*pp)->done || all) {
				c = *pp;
				*pp = c->next;
				break;
			}
		}
		pthread_mutex_unlock(&clients_lock);
		if (!c)
			return true;
		if (deadline && pthread_timedjoin_np(c->thread, NULL, deadline)) {
			dlog(0, "client %d: its thread is still busy; exiting without it", c->pid);
			return false;
		}
		if (!deadline)
			pthread_join(c->thread, NULL);
		counter_sub(clients, 1);
		client_free(c);
	}
}

/*
 * Is pid in our user namespace? The kernel's capable() looks at the initial user namespace,
 * so capabilities a process holds in a namespace of its own (unshare -U) do not count; we
 * take our own namespace for the initial one (the widest we can see).
 */
static bool pid_in_our_userns(pid_t pid)
{
	struct stat ours, theirs;
	char path[64];

	if (stat("/proc/self/ns/user", &ours))
		return true; /* no user namespaces here */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	return !stat(path, &theirs) && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

/*
 * Is capability `cap` in the effective set of the process pidfd names, as capable() would
 * see it? What /proc/<pid> said counts only if the process is still alive afterwards, so
 * that it was not a newcomer that reused the pid (ident.c).
 */
static bool pid_has_cap(int pidfd, pid_t pid, unsigned int cap)
{
	char path[64], line[256];
	bool has = false;
	FILE *f;

	if (pidfd < 0 || !pid_in_our_userns(pid))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long eff;

		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			has = (eff >> cap) & 1;
			break;
		}
	}
	fclose(f);
	return has && ident_alive(pidfd);
}

/* Tell a connection we will not serve it (never blocks), and close it. */
static void refuse(int fd, int err)
{
	struct ioasid_msg_refused ref;

	counter_add(refused_total, 1); /* counted before the client can hear of it */
	ioasid_msg_init(&ref.hdr, IOASID_MSG_REFUSED, 0);
	ref.err = err;
	ioasid_send_nb(fd, &ref, sizeof(ref), NULL, 0);
	close(fd);
}

static int reserve_fd = -1; /* given up to accept and refuse a client when out of fds */
static struct timespec accept_paused_until;

static bool accept_paused(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < accept_paused_until.tv_sec ||
	       (now.tv_sec == accept_paused_until.tv_sec &&
		now.tv_nsec < accept_paused_until.tv_nsec);
}

/* accept failed for want of a resource: refuse who is waiting, pause, log once a pause */
static void accept_backoff(int lfd, int err)
{
	struct timespec *t = &accept_paused_until;
	int fd;

	if (reserve_fd >= 0 && (err == EMFILE || err == ENFILE)) {
		close(reserve_fd);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			refuse(fd, EMFILE);
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	dlog(0, "accept: %s: pausing %d ms", strerror(err), ACCEPT_BACKOFF_MS);
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_nsec += ACCEPT_BACKOFF_MS * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* Connections of uid, and in all (clients_lock). */
static unsigned int count_clients(uid_t uid, unsigned int *out_all)
{
	unsigned int n = 0, all = 0;

	for (struct client *c = clients; c; c = c->next) {
		all += !c->done;
		n += !c->done && c->uid == uid;
	}
	*out_all = all;
	return n;
}

/* Start c's thread and list it (clients_lock not held): 0 or -ENOMEM. */
static int client_start(struct client *c)
{
	/* counted before its thread runs: its first request may ask for the statistics */
	counter_add(clients, 1);
	pthread_mutex_lock(&clients_lock);
	if (!c->uid_objects || pthread_create(&c->thread, NULL, client_thread, c)) {
		pthread_mutex_unlock(&clients_lock);
		counter_sub(clients, 1);
		dlog(0, "no thread for a client");
		return -ENOMEM;
	}
	c->next = clients;
	clients = c;
	pthread_mutex_unlock(&clients_lock);
	counter_add(clients_total, 1);
	return 0;
}

static void accept_one(int lfd)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	unsigned int all, mine;
	struct client *c;
	int fd, pidfd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_backoff(lfd, errno);
		else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			dlog(0, "accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) || !ioasid_peer_uid_ok(cr.uid)) {
		dlog(0, "refusing a client of uid %d", (int)cr.uid);
		close(fd);
		return;
	}
	pthread_mutex_lock(&clients_lock);
	mine = count_clients(cr.uid, &all);
	pthread_mutex_unlock(&clients_lock);
	if (all >= limits.max_clients || mine >= limits.max_clients_per_uid) {
		dlog(1, "refusing pid %d: %u connections (%u of uid %d)", cr.pid, all, mine,
		     (int)cr.uid);
		refuse(fd, EMFILE);
		return;
	}
	ident_sock_setup(fd);
	c = calloc(1, sizeof(*c));
	if (!c) {
		refuse(fd, ENOMEM);
		return;
	}
	c->sock = fd;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	c->uid_objects = daemon_uid_objects(cr.uid);
	/* the opener's capabilities, read from the process SO_PEERCRED names, for sure */
	pidfd = ident_peer_pidfd(fd, cr.pid);
	c->cap_ipc_lock = pid_has_cap(pidfd, cr.pid, 14);     /* CAP_IPC_LOCK */
	c->cap_sys_resource = pid_has_cap(pidfd, cr.pid, 24); /* CAP_SYS_RESOURCE */
	if (pidfd >= 0)
		close(pidfd);
	if (client_start(c)) {
		refuse(fd, ENOMEM);
		free(c);
		return;
	}
	dlog(1, "client pid %d uid %d connected", cr.pid, (int)cr.uid);
}

/* fd 3 from systemd, if the activation variables are meant for us; -1 otherwise. */
static int systemd_listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, acc = 0, domain = 0, fd = 3;
	socklen_t len = sizeof(int);

	if (!pid || !fds || strtol(pid, NULL, 10) != getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strtol(fds, NULL, 10) != 1) {
		dlog(0, "LISTEN_FDS=%s: expected exactly one socket", fds);
		return -2;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) || type != SOCK_SEQPACKET ||
	    domain != AF_UNIX || !acc) {
		dlog(0, "fd 3 from systemd is not a listening unix seqpacket socket");
		return -2;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Own the path (the lock), remove a stale socket, bind and listen. The socket or -1. */
static int listen_on(const char *path, int *out_lock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char lock_path[sizeof(sa.sun_path) + 8];
	mode_t old_umask;
	int fd, lock, rc;

	rc = ioasid_socket_dir_prepare(path);
	if (rc) {
		dlog(0, "%s: cannot prepare the directory: %s", path, strerror(-rc));
		return -1;
	}
	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0) {
		dlog(0, "%s: %s", lock_path, strerror(errno));
		return -1;
	}
	for (int tries = 0; flock(lock, LOCK_EX | LOCK_NB); tries++) {
		struct timespec ts = { 0, 10000000 };

		if (tries == 300) {
			dlog(0, "%s: another daemon owns this socket", path);
			close(lock);
			exit(3);
		}
		nanosleep(&ts, NULL);
	}
	strcpy(sa.sun_path, path);
	unlink(path); /* ours now: whatever is there is stale */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err_lock;
	old_umask = umask(077);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc || listen(fd, 128))
		goto err_sock;
	*out_lock = lock;
	return fd;

err_sock:
	close(fd);
err_lock:
	dlog(0, "%s: %s", path, strerror(errno));
	close(lock);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ioasidd [--socket PATH] [--idle-exit SECONDS] [--verbose]\n"
		   "               [--max-clients N] [--max-clients-per-uid N] [--max-objects N]\n"
		   "               [--max-uid-objects N] [--max-access-fds N] [--max-channels N]\n"
		   "               [--max-idle-mb N] [--max-uid-mirror-mb N]\n"
		   "               [--platform FILE]\n"
		   "  serves /dev/iommu (iommufd) to programs run with libioasid-preload.so\n"
		   "  (docs/daemon.md: the trust model and the limits)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-clients", required_argument, NULL, 'C' },
		{ "max-clients-per-uid", required_argument, NULL, 'U' },
		{ "max-objects", required_argument, NULL, 'O' },
		{ "max-uid-objects", required_argument, NULL, 'P' },
		{ "max-access-fds", required_argument, NULL, 'A' },
		{ "max-channels", required_argument, NULL, 'H' },
		{ "max-idle-mb", required_argument, NULL, 'I' },
		{ "max-uid-mirror-mb", required_argument, NULL, 'M' },
		{ "platform", required_argument, NULL, 'F' },
		{ 0 },
	};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	int lfd, lock = -1, sfd, opt, ctl_rc;
	long idle_exit = 0;
	const char *platform_file = NULL;
	bool socket_activated;
	time_t idle_since;
	sigset_t sigs;
	struct rlimit rl;
	struct timespec deadline;
	unsigned long v;
	char *end;

	failnth_init();
	while ((opt = getopt_long(argc, argv, "s:i:vhF:I:M:", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (strlen(optarg) >= sizeof(path)) {
				fprintf(stderr, "ioasidd: socket path too long\n");
				return 2;
			}
			strcpy(path, optarg);
			break;
		case 'i':
			idle_exit = strtol(optarg, NULL, 10);
			break;
		case 'v':
			log_verbose++;
			break;
		case 'F':
			platform_file = optarg;
			break;
		case 'C':
		case 'U':
		case 'O':
		case 'P':
		case 'A':
		case 'H':
		case 'I':
		case 'M':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !v || v > UINT32_MAX) {
				fprintf(stderr, "ioasidd: bad limit '%s'\n", optarg);
				return 2;
			}
			if (opt == 'C')
				limits.max_clients = v;
			else if (opt == 'U')
				limits.max_clients_per_uid = v;
			else if (opt == 'O')
				limits.max_objects = v;
			else if (opt == 'P')
				limits.max_uid_objects = v;
			else if (opt == 'H')
				limits.max_channels = v;
			else if (opt == 'I')
				limits.max_idle_pages = (uint64_t)v << (20 - 12);
			else if (opt == 'M')
				limits.max_uid_mirror = (uint64_t)v << 20;
			else
				limits.max_access_fds = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* the emulated devices (devices.c): a bad platform file stops us here, with its line */
	if (devices_init(platform_file))
		return 2;
	if (!*path && ioasid_socket_path(path, sizeof(path))) {
		fprintf(stderr, "ioasidd: socket path too long\n");
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread: they inherit it */
	signal(SIGPIPE, SIG_IGN);
	/* a lease's break signal (a client opening a vIOMMU region while viommu_busy() holds
	 * its read lease for an instant) must not end the daemon */
	signal(SIGIO, SIG_IGN);
	/* every fd we may use: the limits above, not the soft default, bound the clients */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* one table of emulated physical addresses for every client: each user a fair share */
	iommu_phys_set_shared(true);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	reap_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sfd < 0 || reap_fd < 0 || stop_fd < 0) {
		perror("ioasidd: signalfd/eventfd");
		return 1;
	}

	lfd = systemd_listen_fd();
	socket_activated = lfd >= 0;
	if (lfd == -2)
		return 1;
	if (lfd < 0)
		lfd = listen_on(path, &lock);
	if (lfd < 0)
		return 1;
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	/* messages queued before accept carry credentials (and pidfds) only if the listener asks */
	ident_sock_setup(lfd);
	dlog(1, "listening on %s", socket_activated ? "fd 3 (systemd)" : path);
	/* ioasidctl's channel, <socket>.ctl (control.c); the daemon serves without it */
	ctl_rc = control_start(path, idle_exit);
	if (ctl_rc)
		dlog(0, "no control channel: %s", strerror(-ctl_rc));

	idle_since = time(NULL);
	for (;;) {
		bool paused = accept_paused();
		struct pollfd pfd[3] = {
			{ .fd = paused ? -1 : lfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = reap_fd, .events = POLLIN },
		};
		int n = poll(pfd, 3, paused ? ACCEPT_BACKOFF_MS : idle_exit > 0 ? 1000 : -1);

		if (n < 0 && errno != EINTR) {
			dlog(0, "poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				dlog(1, "signal %u: shutting down", si.ssi_signo);
			break;
		}
		if (n > 0 && pfd[2].revents) {
			uint64_t cnt;

			if (read(reap_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
				dlog(0, "reap: %s", strerror(errno));
			reap(false, NULL);
		}
		if (n > 0 && pfd[0].revents)
			accept_one(lfd);
		if (counter_get(clients))
			idle_since = time(NULL);
		else if (idle_exit > 0 && time(NULL) - idle_since >= idle_exit) {
			dlog(1, "idle for %ld s: exiting", idle_exit);
			break;
		}
	}

	control_stop();
	/* no new clients from here on; then every connection sees EOF, every wait ends */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += STOP_DEADLINE_MS * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if (!socket_activated)
		unlink(path);
	close(lfd);
	{
		uint64_t one64 = 1;

		if (write(stop_fd, &one64, sizeof(one64)) < 0)
			dlog(0, "stop: %s", strerror(errno));
	}
	pthread_mutex_lock(&clients_lock);
	for (struct client *c = clients; c; c = c->next)
		shutdown(c->sock, SHUT_RDWR);
	pthread_mutex_unlock(&clients_lock);
	if (!reap(true, &deadline))
		_exit(1); /* a call that does not end: SIGTERM still ends the daemon */
	uid_counts_free();
	devices_fini();
	if (lock >= 0)
		close(lock);
	if (reserve_fd >= 0)
		close(reserve_fd);
	close(sfd);
	close(reap_fd);
	close(stop_fd);
	return 0;
}
