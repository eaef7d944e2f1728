/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_limits.c - see bench_limits.h. The round trip is what a request to the daemon and
 * its answer cannot beat: two wake-ups across processes, one byte each way.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_limits.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

double bench_rtt_process_ns(unsigned int n)
{
	int sv[2];
	char c = 1;
	pid_t child;
	double t0, t;

	if (!n || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (child == 0) {
		close(sv[0]);
		while (read(sv[1], &c, 1) == 1)
			if (write(sv[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(sv[1]);
	t = -1;
	for (unsigned int i = 0; i < 200; i++)
		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			goto out;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < n; i++)
		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			goto out;
	t = (bench_now_ns() - t0) / n;
out:
	close(sv[0]);
	waitpid(child, NULL, 0);
	return t;
}
