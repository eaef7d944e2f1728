/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasidd.c - the daemon: the listening socket and the life of the process.
 *
 *   ioasidd [--socket PATH] [--idle-exit SECONDS] [--verbose]
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
 * again by its SCM_CREDENTIALS (client.c). The socket file is created mode 0600.
 *
 * Threads: this one accepts and reaps; each connection has its own thread (client.c).
 * SIGTERM or SIGINT shut down cleanly: the listening socket goes, every connection is shut
 * down so its thread sees EOF and frees its context, the threads are joined.
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"

int log_verbose;

static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;
static struct client *clients; /* clients_lock */
static int reap_fd = -1;       /* eventfd: a client thread finished */

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

/* Join and free every client whose thread has finished. */
static void reap(bool all)
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
			return;
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

/* Is capability `cap` in the effective set of pid, as capable() would see it? */
static bool pid_has_cap(pid_t pid, unsigned int cap)
{
	char path[64], line[256];
	bool has = false;
	FILE *f;

	if (!pid_in_our_userns(pid))
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
	return has;
}

static void accept_one(int lfd)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct client *c;
	int one = 1, fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			dlog(0, "accept: %s", strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) ||
	    (cr.uid != geteuid() && cr.uid != 0)) {
		dlog(0, "refusing a client of uid %d", (int)cr.uid);
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->sock = fd;
	c->uid = cr.uid;
	c->gid = cr.gid;
	c->pid = cr.pid;
	c->reply_fd = -1;
	c->cap_ipc_lock = pid_has_cap(cr.pid, 14);     /* CAP_IPC_LOCK */
	c->cap_sys_resource = pid_has_cap(cr.pid, 24); /* CAP_SYS_RESOURCE */
	/* counted before its thread runs: its first request may ask for the statistics */
	counter_add(clients, 1);
	pthread_mutex_lock(&clients_lock);
	if (pthread_create(&c->thread, NULL, client_thread, c)) {
		pthread_mutex_unlock(&clients_lock);
		counter_sub(clients, 1);
		dlog(0, "no thread for a client");
		close(fd);
		free(c);
		return;
	}
	c->next = clients;
	clients = c;
	pthread_mutex_unlock(&clients_lock);
	counter_add(clients_total, 1);
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
		   "  serves /dev/iommu (iommufd) to programs run with libioasid-preload.so\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = "";
	int lfd, lock = -1, sfd, one = 1, opt, ctl_rc;
	long idle_exit = 0;
	bool socket_activated;
	time_t idle_since;
	sigset_t sigs;

	failnth_init();
	while ((opt = getopt_long(argc, argv, "s:i:vh", opts, NULL)) != -1) {
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
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
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
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	reap_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || reap_fd < 0) {
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
	/* messages queued before accept carry credentials only if the listener asks */
	setsockopt(lfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	dlog(1, "listening on %s", socket_activated ? "fd 3 (systemd)" : path);
	/* ioasidctl's channel, <socket>.ctl (control.c); the daemon serves without it */
	ctl_rc = control_start(path, idle_exit);
	if (ctl_rc)
		dlog(0, "no control channel: %s", strerror(-ctl_rc));

	idle_since = time(NULL);
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = reap_fd, .events = POLLIN },
		};
		int n = poll(pfd, 3, idle_exit > 0 ? 1000 : -1);

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
			reap(false);
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
	/* no new clients from here on; then every connection sees EOF */
	if (!socket_activated)
		unlink(path);
	close(lfd);
	pthread_mutex_lock(&clients_lock);
	for (struct client *c = clients; c; c = c->next)
		shutdown(c->sock, SHUT_RDWR);
	pthread_mutex_unlock(&clients_lock);
	reap(true);
	if (lock >= 0)
		close(lock);
	close(sfd);
	close(reap_fd);
	return 0;
}
