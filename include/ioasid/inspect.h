/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioasid/inspect.h - a program linked to libioasid looks inside its own contexts.
 *
 * The answers are the JSON that `ioasidctl -j` prints for a daemon's client, so the same
 * tools read both (docs/ioasidctl.md lists the fields). A request is a JSON object:
 *   {"cmd": "objects"}, {"cmd": "ioas", "id": N}, {"cmd": "pt", "id": N},
 *   {"cmd": "pt", "id": N, "iova": "0x1000"}, {"cmd": "dump"}, {"cmd": "iotlb"} (the
 *   process's IOTLB counters), {"cmd": "faults"} (fault queues and vEVENTQs).
 * Each call takes the context's lock while it reads and changes nothing.
 */
#ifndef IOASID_INSPECT_PUBLIC_H
#define IOASID_INSPECT_PUBLIC_H

#include "ioasid/ioasid.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ioasid_inspect_flags {
	IOASID_INSPECT_PRETTY = 1 << 0, /* indented, one member a line */
};

/*
 * Answer request (NULL: {"cmd": "dump"}, everything) as a JSON text the caller frees with
 * free(). NULL with errno: EINVAL (malformed request or flags), ENOENT (no such ID), ENODEV
 * (an ID of another type), EOPNOTSUPP (a kind this build lacks), E2BIG, ENOMEM.
 */
IOASID_EXPORT char *ioasid_ctx_inspect(struct ioasid_ctx *ctx, const char *request,
				       unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif
