/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect.h - looking inside a context: its objects, its IOAS maps, its page tables, as
 * json-c objects. For the daemon's control channel (ioasidctl), for the library's public
 * dump (ioasid/inspect.h), and for tests.
 *
 * A request is a small JSON object, the same in-process and on the control channel:
 *   {"cmd": "objects"}                       every object: ID, type, users, links
 *   {"cmd": "ioas", "id": N}                 areas, allowed and reserved ranges, IOVA_RANGES
 *   {"cmd": "pt", "id": N}                   an HWPT's tables, level by level
 *   {"cmd": "pt", "id": N, "iova": "0x..."}  the walk of one IOVA down to its leaf
 *   {"cmd": "dump"}                          objects, every IOAS and every HWPT's tables
 *   {"cmd": "iotlb"}                         the IOTLB's counters (process-wide, no context)
 *   {"cmd": "faults"}                        fault queues and vEVENTQs, with their users
 *   {"cmd": "devices"}                       platform IOMMUs and devices: not in this build
 * Numbers that are addresses travel as "0x..." strings (JSON readers lose bits above 2^53);
 * counts and sizes below 2^53 as numbers. The answer to a request is a JSON object, or an
 * error: -EINVAL (a malformed request), -ENOENT (no such ID), -ENODEV (an ID of another
 * type), -EOPNOTSUPP (a kind this build lacks), -EBUSY (the context stayed locked for the
 * whole timeout), -E2BIG (the answer would exceed its bound), -ENOMEM.
 *
 * Locking: each call takes the context's lock (ctx->lock) for as long as it reads, waiting
 * at most timeout_ms (negative: forever). Nothing here writes to the context.
 */
#ifndef IOASID_INSPECT_H
#define IOASID_INSPECT_H

#include <stdint.h>

#include <json-c/json.h>

struct ioasid_ctx;

/* Entries a page-table dump lists at most; beyond, the answer says "truncated". */
#define INSPECT_PT_MAX_ENTRIES 100000

/* Serve one request on ctx: 0 and *out (the caller's reference), or -errno. */
int inspect_request(struct ioasid_ctx *ctx, struct json_object *req, int timeout_ms,
		    struct json_object **out);

/* A context in one line of numbers: {"objects": N, "ioas": N, "hwpt": N, "devices": N ...}. */
int inspect_ctx_summary(struct ioasid_ctx *ctx, int timeout_ms, struct json_object **out);

/* The message of an inspect error, for replies and tools. */
const char *inspect_strerror(int err);

/* Helpers the control channel and the tools share. */
struct json_object *inspect_hex(uint64_t v);
/* Parse "0x..." / decimal, as a string or a JSON number: 0 or -EINVAL. */
int inspect_get_u64(struct json_object *v, uint64_t *out);

#endif
