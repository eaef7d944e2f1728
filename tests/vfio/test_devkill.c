// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_devkill.c - a client killed while the daemon's device copies for it.
 *
 *   test_devkill IOASIDD IOASID_RUN IOAT_SEQ [ROUNDS]
 *
 * Starts its own daemon on a private socket and reads its statistics on a connection of its
 * own. Each round runs the Linux-order driver (tests/vfio/ioat_seq.c) under plain ioasid-run
 * with IOAT_SEQ_LOOP set: the device (in the daemon) is bound to the driver's context,
 * BAR 0 is mapped, and batches of 32 KiB copies run back to back through the daemon's
 * translation into the driver's memory. Once it says "looping", it is SIGKILLed after 0 to
 * 30 ms (mid-batch: the engine is copying on the daemon's worker, or a doorbell store is on
 * its way), the paths alternating cdev, type1 and iommufd. After each kill the daemon must
 * come back to the baseline taken before the first round: clients, contexts, mirror
 * windows and mapped bytes, pinned pages, files, sources, open fds and threads (the
 * device's worker thread and read pages included). Then the same device must serve a full
 * run of the driver again (probe, reset, copies, recovery): resettable, nothing left bound.
 * TAP output.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/proto.h"

static char dir[] = "/tmp/ioasid-devkill-XXXXXX";
static char sock_path[108];

static bool at_baseline(const struct ioasidd_stats *b, const struct ioasidd_stats *n)
{
	return n->clients == b->clients && n->contexts == b->contexts &&
	       n->mirror_windows == b->mirror_windows && n->mirror_mapped == b->mirror_mapped &&
	       n->pinned_pages == b->pinned_pages && n->files == b->files &&
	       n->sources == b->sources && n->open_fds == b->open_fds && n->threads == b->threads;
}

static void print_stats(const char *what, const struct ioasidd_stats *s)
{
	printf("# %s: clients %lu contexts %lu windows %lu mapped %lu pinned %lu files %lu "
	       "sources %lu fds %lu threads %lu\n",
	       what, s->clients, s->contexts, s->mirror_windows, s->mirror_mapped, s->pinned_pages,
	       s->files, s->sources, s->open_fds, s->threads);
}

/* Run the driver; with loop, return its pid once it says "looping" (-1 if it did not). */
static pid_t run_driver(char **argv, const char *mode, bool loop, int *out_status)
{
	int p[2];
	pid_t pid;
	char buf[256];
	size_t got = 0;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (loop)
			setenv("IOAT_SEQ_LOOP", "1", 1);
		execl(argv[2], argv[2], "--socket", sock_path, "--no-daemon", "--", argv[3], mode,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (loop && strstr(buf, "looping"))
			break;
		if (got == sizeof(buf) - 1)
			got = 0;
	}
	close(p[0]);
	if (loop && strstr(buf, "looping"))
		return pid;
	waitpid(pid, out_status, 0);
	return loop ? -1 : pid;
}

static bool back_to_baseline(int s, const struct ioasidd_stats *base, struct ioasidd_stats *st)
{
	for (int i = 0; i < 500; i++) {
		if (ioasid_client_stats(s, st))
			return false;
		if (at_baseline(base, st))
			return true;
		usleep(10000);
	}
	return false;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "cdev", "type1", "iommufd" };
	struct ioasidd_stats base, st;
	int rounds = argc > 4 ? atoi(argv[4]) : 12, s = -1, status, failed = 0;
	pid_t daemon;

	if (argc < 4) {
		fprintf(stderr, "usage: test_devkill IOASIDD IOASID_RUN IOAT_SEQ [ROUNDS]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/ioasidd.sock", dir);
	srand((unsigned int)time(NULL));
	daemon = fork();
	if (daemon == 0) {
		execl(argv[1], argv[1], "--socket", sock_path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && s < 0; i++) {
		s = ioasid_client_connect(sock_path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
		if (s < 0)
			usleep(10000);
	}
	if (s < 0) {
		printf("not ok 1 - daemon did not come up\n");
		kill(daemon, SIGKILL);
		return 1;
	}
	printf("1..3\n");
	fflush(stdout);
	/* warm up: a full run makes the device, its worker and its read pages once */
	run_driver(argv, "cdev", false, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("not ok 1 - the driver does not run (status %#x)\n", status);
		kill(daemon, SIGKILL); /* no daemon left behind by a failure */
		return 1;
	}
	usleep(100000);
	if (ioasid_client_stats(s, &base)) {
		kill(daemon, SIGKILL);
		return 1;
	}
	print_stats("baseline", &base);
	for (int r = 0; r < rounds && !failed; r++) {
		pid_t pid = run_driver(argv, modes[r % 3], true, &status);

		if (pid < 0) {
			printf("# round %d: the driver did not reach its loop\n", r);
			failed = 1;
			break;
		}
		usleep((useconds_t)(rand() % 30000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!back_to_baseline(s, &base, &st)) {
			printf("# round %d (%s): not back to baseline\n", r, modes[r % 3]);
			print_stats("after", &st);
			failed = 1;
		}
	}
	printf("%sok 1 - %d clients killed mid-copy, the daemon back at its baseline each time\n",
	       failed ? "not " : "", rounds);
	/* the device serves again, from reset to recovery, through every path */
	for (int m = 0; m < 3; m++) {
		run_driver(argv, modes[m], false, &status);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# %s run after the kills: status %#x\n", modes[m], status);
			failed |= 2;
		}
	}
	printf("%sok 2 - the device resets and copies again on every path\n",
	       failed & 2 ? "not " : "");
	if (!back_to_baseline(s, &base, &st))
		failed |= 4;
	print_stats("end", &st);
	printf("%sok 3 - nothing left after the last run\n", failed & 4 ? "not " : "");
	close(s);
	kill(daemon, SIGTERM);
	waitpid(daemon, &status, 0);
	/* a clean exit: in the sanitizer build, LeakSanitizer found nothing either */
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# the daemon's exit: status %#x\n", status);
		failed |= 8;
	}
	unlink(sock_path);
	rmdir(dir);
	return failed ? 1 : 0;
}
