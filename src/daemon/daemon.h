/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon.h - ioasidd's own structures: a client (one connection, one context) and the
 * mirror through which the daemon reaches that client's memory.
 *
 * Files: ioasidd.c (the listening socket, systemd activation, signals, idle exit, reaping),
 * client.c (one thread per connection: receive, validate, serve), mem.c (the
 * ioasid_mem_ops for a remote client: copies and the mirror of pinned pages).
 *
 * Locking. clients_lock (ioasidd.c) protects the list of clients. A client's thread is the
 * only one that reads its socket, so a client's per-call fields (caller, reply channel,
 * overlay) need no lock. The mirror is touched only from the core's mem ops, which the core
 * calls with the context's lock held, and one context belongs to one client: the context
 * lock protects it. The global counters are atomics.
 */
#ifndef IOASIDD_DAEMON_H
#define IOASIDD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ioasid/ioasid.h"
#include "proto/proto.h"

/* ---- the mirror of a client's pinned memory (mem.c) ------------------------------------ */

struct mirror_window;
struct mirror_file;

struct mirror {
	struct mirror_window *windows;   /* disjoint in client address space */
	struct mirror_file *files;       /* backing files with pages mapped, indexed 1..n */
	unsigned int nfiles, cap_files;
};

/* ---- a client ---------------------------------------------------------------------------- */

struct client {
	struct client *next;             /* clients_lock */
	pthread_t thread;
	bool done;                       /* clients_lock: the thread has finished */
	int sock;
	uid_t uid;                       /* SO_PEERCRED at accept: the opener */
	gid_t gid;
	pid_t pid;
	bool cap_ipc_lock, cap_sys_resource;
	struct ioasid_ctx *ctx;          /* made at the first ioctl */

	/* the call being served (the client's thread only) */
	pid_t caller_pid;                /* SCM_CREDENTIALS of this request */
	int reply_fd;
	bool overlay;                    /* read overlay_val at overlay_uptr (MAP_FILE's fd) */
	uint64_t overlay_uptr;
	int32_t overlay_val;             /* the daemon's fd */
	int32_t overlay_orig;            /* what the program wrote there */

	struct mirror mirror;            /* the context's lock */
};

/* Counters for IOASID_MSG_STATS. */
struct daemon_counters {
	uint64_t clients, contexts, clients_total, requests_total, bad_messages_total, pins_total;
	uint64_t mirror_windows, mirror_mapped, files;
};
extern struct daemon_counters counters;

#define counter_add(field, n) __atomic_add_fetch(&counters.field, (n), __ATOMIC_RELAXED)
#define counter_sub(field, n) __atomic_sub_fetch(&counters.field, (n), __ATOMIC_RELAXED)
#define counter_get(field) __atomic_load_n(&counters.field, __ATOMIC_RELAXED)

extern int log_verbose;
void dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mem.c */
extern const struct ioasid_mem_ops client_mem_ops;
struct client;
/* Everything the mirror still holds (the client's context is freed): unmapped, freed. */
void mirror_release(struct client *c);

/* client.c */
void *client_thread(void *arg);
void client_free(struct client *c);
/*
 * Give the client a copy of our fd `fd` as a new fd in the calling process: the client's
 * fd number, or -errno. For the core's fd-returning commands (access, fault, event queue):
 * the core makes a real fd in the daemon, this installs it in the program.
 */
int client_install_fd(struct client *c, int fd, unsigned int flags);
void daemon_fill_stats(struct ioasidd_stats *s, uid_t uid, pid_t pid);
/* ioasidd.c: called by a client thread as it finishes */
void daemon_client_done(struct client *c);
/* ioasidd.c: pages pinned for the live clients' processes (the core's pinned_vm) */
uint64_t daemon_pinned_pages(void);

#endif
