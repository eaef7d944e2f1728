/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon_stats.h - the tests' one way to read the daemon's counters: a connection of its
 * own to the socket this process would use ($IOASID_SOCKET under ioasid-run), STATS, close.
 * The connection itself counts as a client while it is open, and its end is served a little
 * after close() returns: a test comparing client counts must allow for that.
 */
#ifndef IOASID_TESTS_DAEMON_STATS_H
#define IOASID_TESTS_DAEMON_STATS_H

#include <stdbool.h>
#include <unistd.h>

#include "proto/proto.h"

static inline bool daemon_stats(struct ioasidd_stats *out)
{
	char path[108];
	int s, rc;

	if (ioasid_socket_path(path, sizeof(path)))
		return false;
	s = ioasid_client_connect(path, IOASID_CONNECT_CLOEXEC, NULL, NULL);
	if (s < 0)
		return false;
	rc = ioasid_client_stats(s, out);
	close(s);
	return rc == 0;
}

#endif
