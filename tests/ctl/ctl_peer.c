/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_peer.c - the control channel as an attacker sees it.
 *
 *   ctl_peer CONTROL_SOCKET IOASIDCTL
 *
 * 1. Another user (uid 65534, made by setuid in a forked child; needs root, exits 77 as a
 *    skipped test otherwise) cannot reach the channel: the directory and the socket file
 *    refuse the connect (EACCES). With both opened up by hand, the connect succeeds and the
 *    daemon itself refuses the peer (SO_PEERCRED): one error line, errno 13, no data. And
 *    ioasidctl run as that user fails with status 1 and "permission denied".
 * 2. Malformed requests from the daemon's own user: not JSON, too long, nested too deep, an
 *    unknown key, numbers out of range, nothing at all (answered after the read timeout):
 *    each gets an error reply and the channel still answers a good request afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define OTHER_UID 65534

static const char *ctl_path;
static int failures;

#define EXPECT(cond, ...)                                      \
	do {                                                   \
		if (!(cond)) {                                 \
			fprintf(stderr, "FAIL: " __VA_ARGS__); \
			fputc('\n', stderr);                   \
			failures++;                            \
		}                                              \
	} while (0)

static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_path);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Send req (len bytes; shut the write side if shut), read the whole reply into buf. */
static ssize_t exchange(const char *req, size_t len, bool shut, char *buf, size_t max)
{
	size_t got = 0;
	int fd = ctl_connect();

	if (fd < 0)
		return fd;
	if (len && send(fd, req, len, MSG_NOSIGNAL) < 0) {
		/* the daemon may close first; its answer is still there to read */
	}
	if (shut)
		shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf + got, max - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == max - 1)
			break;
	}
	buf[got] = 0;
	close(fd);
	return (ssize_t)got;
}

static void become_other(void)
{
	if (setgroups(0, NULL) || setgid(OTHER_UID) || setuid(OTHER_UID)) {
		perror("ctl_peer: setuid");
		_exit(99);
	}
}

/* In a child of another uid: run fn, its return is the exit status. */
static int as_other(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		become_other();
		_exit(fn(arg));
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int other_connect_refused(void *arg)
{
	int fd = ctl_connect();

	(void)arg;
	if (fd >= 0) {
		fprintf(stderr, "FAIL: another user connected through 0700/0600\n");
		return 1;
	}
	return fd == -EACCES ? 0 : 2;
}

static int other_refused_by_daemon(void *arg)
{
	char buf[4096];
	ssize_t n = exchange("{\"cmd\":\"status\"}\n", 17, true, buf, sizeof(buf));

	(void)arg;
	if (n < 0) {
		fprintf(stderr, "FAIL: connect with the modes opened: %s\n", strerror((int)-n));
		return 1;
	}
	if (!strstr(buf, "permission denied") || !strstr(buf, "\"errno\":13") ||
	    strstr(buf, "clients") || strchr(buf, '\n') != buf + n - 1) {
		fprintf(stderr, "FAIL: the daemon answered another user: %s\n", buf);
		return 1;
	}
	return 0;
}

static int other_runs_ioasidctl(void *arg)
{
	const char *ctl = arg;
	char sock[4096];
	int pipefd[2], status;
	char err[1024] = "";
	ssize_t n;
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s", ctl_path); /* ioasidctl takes the .ctl path too */
	if (pipe(pipefd))
		return 1;
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 2);
		execl(ctl, ctl, "--socket", sock, "status", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (size_t got = 0;; got += (size_t)n) {
		n = read(pipefd[0], err + got, sizeof(err) - 1 - got);
		if (n <= 0) {
			err[got] = 0;
			break;
		}
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(err, "permission denied") ||
	    strncmp(err, "ioasidctl: ", 11) || strchr(err, '\n') != err + strlen(err) - 1) {
		fprintf(stderr, "FAIL: ioasidctl as another user: status %d, stderr '%s'\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1, err);
		return 1;
	}
	return 0;
}

/* The directories above the socket that another user cannot cross, and their modes. */
struct opened {
	char path[8][4096];
	mode_t mode[8];
	int n;
};

/* Let others cross every directory from the socket's up (restored by close_doors). */
static void open_doors(struct opened *o)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", ctl_path);
	o->n = 0;
	for (char *d = dirname(buf); strcmp(d, "/") && o->n < 8; d = dirname(d)) {
		struct stat st;

		if (stat(d, &st) || (st.st_mode & 0001))
			continue;
		snprintf(o->path[o->n], sizeof(o->path[0]), "%s", d);
		o->mode[o->n] = st.st_mode & 07777;
		EXPECT(!chmod(d, o->mode[o->n] | 0711), "chmod %s: %s", d, strerror(errno));
		o->n++;
	}
}

static void close_doors(const struct opened *o)
{
	for (int i = 0; i < o->n; i++)
		chmod(o->path[i], o->mode[i]);
}

static void check_other_user(const char *ioasidctl)
{
	char dir_buf[4096];
	struct stat dst, sst;
	struct opened doors;
	char *dir;

	snprintf(dir_buf, sizeof(dir_buf), "%s", ctl_path);
	dir = dirname(dir_buf);
	EXPECT(!stat(ctl_path, &sst) && (sst.st_mode & 0777) == 0600, "socket mode %o",
	       sst.st_mode & 0777);
	EXPECT(!stat(dir, &dst) && (dst.st_mode & 0077) == 0, "directory mode %o",
	       dst.st_mode & 0777);
	EXPECT(as_other(other_connect_refused, NULL) == 0, "the file modes did not refuse");
	EXPECT(as_other(other_runs_ioasidctl, (void *)ioasidctl) == 0, "ioasidctl as another user");
	/* open the doors by hand: the daemon must still refuse */
	open_doors(&doors);
	EXPECT(!chmod(ctl_path, 0666), "chmod: %s", strerror(errno));
	EXPECT(as_other(other_refused_by_daemon, NULL) == 0, "SO_PEERCRED did not refuse");
	EXPECT(as_other(other_runs_ioasidctl, (void *)ioasidctl) == 0,
	       "ioasidctl as another user, modes opened");
	chmod(ctl_path, sst.st_mode & 0777);
	close_doors(&doors);
}

static void expect_error(const char *what, const char *req, size_t len, bool shut,
			 const char *errno_str)
{
	char buf[8192];
	ssize_t n = exchange(req, len, shut, buf, sizeof(buf));

	EXPECT(n > 0 && strstr(buf, "\"error\"") && strstr(buf, errno_str), "%s: reply '%s'", what,
	       n > 0 ? buf : strerror((int)-n));
}

static void check_bad_requests(void)
{
	static char big[6000], deep[200];
	char buf[65536];
	ssize_t n;

	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < sizeof(deep) / 2; i++) {
		deep[i] = '[';
		deep[sizeof(deep) - 1 - i] = ']';
	}
	expect_error("not JSON", "nope\n", 5, true, "\"errno\":22");
	expect_error("too long", big, sizeof(big), false, "\"errno\":7");
	expect_error("too deep", deep, sizeof(deep), true, "\"errno\":22");
	expect_error("not an object", "[1]\n", 4, true, "\"errno\":22");
	expect_error("unknown key", "{\"cmd\":\"status\",\"x\":1}\n", 23, true, "\"errno\":22");
	expect_error("pid out of range", "{\"cmd\":\"objects\",\"pid\":99999999999}\n", 36, true,
		     "\"errno\":22");
	expect_error("id out of range", "{\"cmd\":\"ioas\",\"id\":\"0x1ffffffffffffffff\"}\n", 41,
		     true, "\"errno\":22");
	expect_error("negative id", "{\"cmd\":\"ioas\",\"id\":-3}\n", 23, true, "\"errno\":22");
	expect_error("cmd not a string", "{\"cmd\":[\"status\"]}\n", 19, true, "\"errno\":22");
	expect_error("unknown cmd", "{\"cmd\":\"reboot\"}\n", 17, true, "\"errno\":22");
	expect_error("no object", "{\"cmd\":\"ioas\",\"id\":4000000}\n", 28, true, "\"errno\":2");
	/* nothing sent, the write side left open: answered after the read timeout */
	expect_error("silence", "", 0, false, "\"errno\":110");
	/* and the channel still serves */
	n = exchange("{\"cmd\":\"status\"}\n", 17, true, buf, sizeof(buf));
	EXPECT(n > 0 && strstr(buf, "\"daemon\"") && strstr(buf, "\"clients\""),
	       "status after the bad requests: '%s'", n > 0 ? buf : "");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ctl_peer CONTROL_SOCKET IOASIDCTL\n");
		return 2;
	}
	ctl_path = argv[1];
	check_bad_requests();
	if (getuid() != 0 || geteuid() == OTHER_UID) {
		printf("ctl_peer: not root: cannot make another user; the refusal is untested\n");
		return failures ? 1 : 77;
	}
	check_other_user(argv[2]);
	printf("ctl_peer: %d failures\n", failures);
	return failures ? 1 : 0;
}
