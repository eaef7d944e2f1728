/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - the oracle program: runs scenarios and random sequences and prints their traces.
 *
 *   oracle-trace list                          the scenario names
 *   oracle-trace scenario NAME|all ...         scenarios, each in a process of its own
 *   oracle-trace random SEED COUNT NCALLS      COUNT sequences from SEED, SEED+1, ...
 *   oracle-trace replay SEED NCALLS KEEP       one sequence with only the calls in KEEP
 *                                              ("3,7-9,12"; the shrinker's candidates)
 *
 * The same source is built static (run on the kernel in the VM) and dynamic (run under
 * ioasid-run); scripts/oracle.sh compares the two traces. Random sequences run in a child
 * process each, so that one sequence's leftovers (fds, rlimits) cannot reach the next, and
 * print the generator's coverage counts at the end.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"
#include "scenarios.h"
#include "trace.h"

static void in_child(void (*fn)(void *), void *arg, const char *name)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("@@ CRASH %s fork/wait failed\n", name);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("@@ CRASH %s status=%#x\n", name, status);
	fflush(stdout);
}

static void run_scenario(void *arg)
{
	const struct scenario *sc = arg;

	tr_begin(sc->name);
	sc->run();
	tr_end();
}

struct rnd {
	uint64_t seed;
	unsigned int ncalls;
	const uint8_t *keep;
	int pipe_fd;
};

static void run_random(void *arg)
{
	struct rnd *r = arg;

	memset(&tr_cov, 0, sizeof(tr_cov));
	random_sequence(r->seed, r->ncalls, r->keep);
	/* hand the coverage counts back to the parent */
	if (r->pipe_fd >= 0 && write(r->pipe_fd, &tr_cov, sizeof(tr_cov)) != sizeof(tr_cov))
		_exit(3);
}

static int parse_keep(const char *s, uint8_t *keep, unsigned int ncalls)
{
	memset(keep, 0, (ncalls + 7) / 8);
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (unsigned long i = a; i <= b && i < ncalls; i++)
			keep[i / 8] |= (uint8_t)(1U << (i % 8));
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

static void add_cov(const struct tr_cov *c)
{
	const unsigned long *src = (const void *)c;
	unsigned long *dst = (void *)&tr_cov;

	for (size_t i = 0; i < sizeof(*c) / sizeof(unsigned long); i++)
		dst[i] += src[i];
}

static void random_child(struct rnd *r, const char *name)
{
	struct tr_cov got;
	int p[2];

	if (pipe(p))
		exit(2);
	r->pipe_fd = p[1];
	in_child(run_random, r, name);
	close(p[1]);
	if (read(p[0], &got, sizeof(got)) == sizeof(got))
		add_cov(&got);
	close(p[0]);
}

int main(int argc, char **argv)
{
	/*
	 * The same privilege on both sides: the VM runs us as root with every capability, the
	 * host may not grant CAP_SYS_RESOURCE (containers), which IOMMU_OPTION_RLIMIT_MODE
	 * needs. Without it everywhere, both answer EPERM.
	 */
	static const int caps[] = { CAP_SYS_RESOURCE };

	ops_drop_caps(caps, 1);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (const struct scenario *sc = scenarios; sc->name; sc++)
			printf("%s\n", sc->name);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "scenario")) {
		for (int i = 2; i < argc; i++)
			for (const struct scenario *sc = scenarios; sc->name; sc++)
				if (!strcmp(argv[i], "all") || !strcmp(argv[i], sc->name))
					in_child(run_scenario, (void *)sc, sc->name);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "random")) {
		uint64_t seed = strtoull(argv[2], NULL, 0);
		unsigned long count = strtoul(argv[3], NULL, 0);
		struct rnd r = { .ncalls = (unsigned int)strtoul(argv[4], NULL, 0) };

		for (unsigned long i = 0; i < count; i++) {
			r.seed = seed + i;
			random_child(&r, "random");
		}
		tr_cov_print();
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "replay")) {
		struct rnd r = { .seed = strtoull(argv[2], NULL, 0),
				 .ncalls = (unsigned int)strtoul(argv[3], NULL, 0) };
		uint8_t *keep = calloc((r.ncalls + 7) / 8 + 1, 1);

		if (!keep || parse_keep(argv[4], keep, r.ncalls)) {
			fprintf(stderr, "oracle-trace: bad keep list %s\n", argv[4]);
			return 2;
		}
		r.keep = keep;
		random_child(&r, "replay");
		free(keep);
		return 0;
	}
	fprintf(stderr, "usage: oracle-trace list | scenario NAME|all ... | random SEED COUNT N |"
			" replay SEED N KEEP\n");
	return 2;
}
