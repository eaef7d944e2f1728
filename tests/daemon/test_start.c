/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_start.c - the ways ioasidd comes to life.
 *
 *   test_start IOASIDD
 *
 * activation: systemd socket activation done by hand, as systemd does it: we bind and
 *   listen, the child puts the socket on fd 3, sets LISTEN_FDS=1 and LISTEN_PID to its own
 *   pid and execs the daemon (exec keeps the pid). A client must be served through it, and
 *   SIGTERM must end the daemon with status 0 without removing a socket it did not make.
 * autostart_race: eight processes open the same missing socket at once with AUTOSTART, as
 *   eight programs starting under the shim would: all must be served, by one daemon (every
 *   HELLO names the same pid), and that daemon must not be in our session or process group.
 * second_daemon: a second ioasidd for a path that is owned exits 3 and leaves the first one
 *   serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/proto.h"

static const char *daemon_exe;
static char dir[] = "/tmp/ioasid-start-XXXXXX";
static int failures;

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: failed: %s (errno %s)\n", __FILE__, __LINE__, \
				#cond, strerror(errno));                                      \
			failures++;                                                           \
			return;                                                               \
		}                                                                             \
	} while (0)

static bool wait_exit(pid_t pid, int want)
{
	int status;

	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == want;
		if (r < 0 && errno == ECHILD) {
			/* not our child (the autostarted one): wait for it to vanish */
			if (kill(pid, 0) && errno == ESRCH)
				return true;
		}
		usleep(10000);
	}
	return false;
}

static void test_activation(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ioasidd_stats st;
	int lfd, c;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/activated.sock", dir);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 8));
	pid = fork();
	if (pid == 0) {
		char me[16];

		if (dup2(lfd, 3) != 3)
			_exit(126);
		snprintf(me, sizeof(me), "%d", getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", me, 1);
		unsetenv("IOASID_SOCKET");
		execl(daemon_exe, daemon_exe, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	close(lfd);
	c = ioasid_client_connect(sa.sun_path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
	CHECK(c >= 0);
	CHECK(ioasid_client_stats(c, &st) == 0 && st.clients == 1);
	close(c);
	kill(pid, SIGTERM);
	CHECK(wait_exit(pid, 0));
	/* systemd's socket, not the daemon's to remove */
	CHECK(access(sa.sun_path, F_OK) == 0);
	unlink(sa.sun_path);
}

static void test_autostart_race(void)
{
	char path[108];
	int pfd[2];
	pid_t kids[8], first = 0;

	snprintf(path, sizeof(path), "%s/race.sock", dir);
	CHECK(pipe(pfd) == 0);
	for (int i = 0; i < 8; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pid_t dpid = 0;
			int c = ioasid_client_connect(
				path, IOASID_CONNECT_CLOEXEC | IOASID_CONNECT_AUTOSTART, daemon_exe,
				&dpid);

			if (c < 0 || write(pfd[1], &dpid, sizeof(dpid)) != sizeof(dpid))
				_exit(1);
			_exit(0);
		}
		CHECK(kids[i] > 0);
	}
	close(pfd[1]);
	for (int i = 0; i < 8; i++) {
		pid_t dpid;
		int status;

		CHECK(read(pfd[0], &dpid, sizeof(dpid)) == sizeof(dpid) && dpid > 0);
		if (!first)
			first = dpid;
		CHECK(dpid == first); /* one daemon for all */
		CHECK(waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) &&
		      !WEXITSTATUS(status));
	}
	close(pfd[0]);
	/* detached: another session (not its leader: it cannot take a terminal) and group */
	CHECK(getsid(first) > 0 && getsid(first) != getsid(0) && getsid(first) != first);
	CHECK(getpgid(first) != getpgid(0));
	kill(first, SIGTERM);
	CHECK(wait_exit(first, 0));
}

static void test_second_daemon(void)
{
	char path[108];
	pid_t one, two;
	int c;

	snprintf(path, sizeof(path), "%s/owned.sock", dir);
	one = fork();
	if (one == 0) {
		execl(daemon_exe, daemon_exe, "--socket", path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		c = ioasid_client_connect(path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
		if (c >= 0)
			break;
		usleep(10000);
	}
	CHECK(c >= 0);
	two = fork();
	if (two == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2); /* its complaint is expected */
		execl(daemon_exe, daemon_exe, "--socket", path, (char *)NULL);
		_exit(127);
	}
	CHECK(wait_exit(two, 3));
	close(c);
	c = ioasid_client_connect(path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
	CHECK(c >= 0);
	close(c);
	kill(one, SIGTERM);
	CHECK(wait_exit(one, 0));
	CHECK(access(path, F_OK) == -1); /* the owner removed its socket */
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "activation", test_activation },
		{ "autostart_race", test_autostart_race },
		{ "second_daemon", test_second_daemon },
	};
	char cmd[128];

	if (argc < 2) {
		fprintf(stderr, "usage: test_start IOASIDD\n");
		return 2;
	}
	daemon_exe = argv[1];
	if (!mkdtemp(dir))
		return 1;
	printf("1..%zu\n", sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = failures;

		cases[i].fn();
		printf("%s %zu - %s\n", failures == before ? "ok" : "not ok", i + 1, cases[i].name);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		failures++;
	return failures ? 1 : 0;
}
