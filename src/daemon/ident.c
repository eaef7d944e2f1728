/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ident.c - who a request comes from, in a way that cannot be forged or recycled.
 *
 * A pid names a process only while that process lives: once it has exited and been reaped,
 * the number may go to anybody. A request that waits in the socket behind a slow one may
 * well outlive its sender, so the pid the kernel stamped on it (SCM_CREDENTIALS) is not
 * enough to act on. A pidfd is: it refers to one process for good, and polls readable once
 * that process has exited.
 *
 * Where the identity comes from. On kernels with SO_PASSPIDFD (Linux 6.5 and later), the
 * kernel attaches to every message a pidfd of its sender (SCM_PIDFD), taken at send time;
 * the daemon sets the option on every connection. On older kernels the daemon opens a pidfd
 * for the stamped pid when it reads the message (pidfd_open), which protects everything
 * from that moment on but not the time the message spent queued; docs/daemon.md says so.
 * The same holds at accept: SO_PEERPIDFD, or pidfd_open of SO_PEERCRED's pid.
 *
 * The check. A caller is served only while its pidfd says it is alive and names the
 * stamped pid (PIDFD_GET_INFO, or the pidfd's fdinfo on kernels without it). Every access
 * to the caller's memory is checked: a write before (it must not land in another process),
 * a read after (what was read came from the caller only if it still lives then: while a
 * process lives its pid cannot be reused). A request whose sender is
 * gone by the time it is served is dropped without an answer: nobody is left to hear it.
 *
 * Words: "alive" means not yet exited (a zombie is gone; its memory is).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/daemon.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* PIDFD_GET_INFO (Linux 6.13), defined here: older headers lack it */
struct ident_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define IDENT_PIDFD_INFO_PID 1ULL
#define IDENT_PIDFD_GET_INFO _IOWR(0xFF, 11, struct ident_pidfd_info)

static int have_get_info = -1;	/* atomic: -1 unknown, 0 no, 1 yes */
static int have_passpidfd = -1; /* atomic: SO_PASSPIDFD was accepted */

bool ident_alive(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int n;

	if (pidfd < 0)
		return false;
	do {
		n = poll(&pfd, 1, 0);
	} while (n < 0 && errno == EINTR);
	return n == 0;
}

/* The pid in /proc/self/fdinfo/<pidfd>: "Pid:" is -1 once the process has exited. */
static pid_t fdinfo_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int v;

		if (sscanf(line, "Pid: %d", &v) == 1) {
			pid = v;
			break;
		}
	}
	fclose(f);
	return pid;
}

pid_t ident_pidfd_pid(int pidfd)
{
	struct ident_pidfd_info info = { .mask = IDENT_PIDFD_INFO_PID };
	int have = __atomic_load_n(&have_get_info, __ATOMIC_RELAXED);

	if (pidfd < 0)
		return -1;
	if (have != 0) {
		if (!ioctl(pidfd, IDENT_PIDFD_GET_INFO, &info)) {
			__atomic_store_n(&have_get_info, 1, __ATOMIC_RELAXED);
			return info.mask & IDENT_PIDFD_INFO_PID ? (pid_t)info.pid : -1;
		}
		if (errno == ESRCH)
			return -1; /* exited */
		if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
			return -1;
		__atomic_store_n(&have_get_info, 0, __ATOMIC_RELAXED);
	}
	return fdinfo_pid(pidfd);
}

int ident_pidfd_open(pid_t pid)
{
	int fd;

	if (pid <= 0)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

void ident_sock_setup(int sock)
{
	int one = 1;

	setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	/* where the kernel has it; otherwise ident_caller() opens the pidfd itself */
	__atomic_store_n(&have_passpidfd,
			 !setsockopt(sock, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)),
			 __ATOMIC_RELAXED);
}

int ident_peer_pidfd(int sock, pid_t pid)
{
	socklen_t len = sizeof(int);
	int fd = -1;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) || fd < 0)
		fd = ident_pidfd_open(pid);
	else
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fd >= 0 && ident_pidfd_pid(fd) != pid) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int ident_caller(struct ioasid_recv *r)
{
	int fd = r->pidfd;

	if (!r->have_creds || r->pid <= 0 || r->pidfd_failed)
		return -1;
	/* with SO_PASSPIDFD every message has one: never look the pid up afresh then */
	if (fd < 0 && __atomic_load_n(&have_passpidfd, __ATOMIC_RELAXED) == 1)
		return -1;
	if (fd < 0)
		fd = ident_pidfd_open(r->pid); /* the fallback: from now on only */
	else
		r->pidfd = -1; /* ours now */
	if (fd < 0)
		return -1;
	if (ident_pidfd_pid(fd) != r->pid || !ident_alive(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}
