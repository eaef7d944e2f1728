/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon_host.h - what ioasidd.c provides to the daemon's sources (src/daemon/client.c and
 * the files it calls), for a program that links those sources without ioasidd.c and plays
 * one connection of a daemon itself: the fuzz target daemon_msg_fuzz.c and
 * tests/daemon/test_waiter_snapshot.c. Limits are small; the per-uid counters are this
 * program's own, and nothing is ever logged or listed. Include it once.
 */
#ifndef IOASID_DAEMON_HOST_H
#define IOASID_DAEMON_HOST_H

#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"

int log_verbose;
int stop_fd = -1;
struct daemon_limits limits = {
	.max_clients = 4,
	.max_clients_per_uid = 4,
	.max_objects = 64,
	.max_uid_objects = 128,
	.max_access_fds = 4,
	.max_channels = 4,
	/* low, so that a fuzzer's RSS stays far below libFuzzer's 2 GB limit */
	.max_idle_pages = (16ULL << 20) >> 12,
	.max_uid_mirror = 64ULL << 20,
};
static unsigned long uid_objects; /* what a context's objects count against */
static uint64_t uid_mirror;

uint64_t *daemon_uid_mirror(uid_t uid)
{
	(void)uid;
	return &uid_mirror;
}

void dlog(int level, const char *fmt, ...)
{
	(void)level, (void)fmt;
}

void daemon_client_done(struct client *c)
{
	(void)c;
}

uint64_t daemon_pinned_pages(void)
{
	return 0;
}

/* control.c lists the daemon's clients; the harness has only its own, never listed */
void daemon_for_each_client(void (*fn)(void *arg, struct client *c), void *arg)
{
	(void)fn, (void)arg;
}

unsigned long *daemon_uid_objects(uid_t uid)
{
	(void)uid;
	return &uid_objects;
}

#endif
