/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon.h - ioasidd's own structures: a client (one connection, one context) and the
 * ioasid_mem_ops through which the daemon reaches its clients' memory.
 *
 * Files: ioasidd.c (the listening socket, systemd activation, signals, idle exit, reaping),
 * client.c (one thread per connection: receive, validate, serve), mem.c (the
 * ioasid_mem_ops for a remote client: copies, sources (one per client process) and the
 * mirror of each source's pinned pages).
 *
 * Locking. clients_lock (ioasidd.c) protects the list of clients. A client's thread is the
 * only one that reads its socket, so a client's per-call fields (caller, reply channel,
 * overlay) need no lock. A source (mem.c) is shared by every connection of its process:
 * its mirror has its own lock, taken inside the context's (the core calls the mem ops with
 * the context lock held). The global counters are atomics.
 */
#ifndef IOASIDD_DAEMON_H
#define IOASIDD_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ioasid/ioasid.h"
#include "proto/proto.h"

/* ---- a client ---------------------------------------------------------------------------- */

struct client {
	struct client *next; /* clients_lock */
	pthread_t thread;
	bool done; /* clients_lock: the thread has finished */
	int sock;
	uid_t uid; /* SO_PEERCRED at accept: the opener */
	gid_t gid;
	pid_t pid;
	bool cap_ipc_lock, cap_sys_resource;
	struct ioasid_ctx *ctx; /* made at the first ioctl */

	/* synchronous closes waiting to hear whether they were the last (client's thread) */
#define CLIENT_MAX_CLOSERS 16
	int closers[CLIENT_MAX_CLOSERS]; /* their reply channels */
	uint32_t closer_seq[CLIENT_MAX_CLOSERS];
	unsigned int nclosers;

	/* the call being served (the client's thread only) */
	pid_t caller_pid; /* SCM_CREDENTIALS of this request */
	int reply_fd;
	bool overlay; /* read overlay_val at overlay_uptr (MAP_FILE's fd) */
	uint64_t overlay_uptr;
	int32_t overlay_val;  /* the daemon's fd */
	int32_t overlay_orig; /* what the program wrote there */
};

/* Counters for IOASID_MSG_STATS. */
struct daemon_counters {
	uint64_t clients, contexts, clients_total, requests_total, bad_messages_total, pins_total;
	uint64_t mirror_windows, mirror_mapped, files, sources;
};
extern struct daemon_counters counters;

#define counter_add(field, n) __atomic_add_fetch(&counters.field, (n), __ATOMIC_RELAXED)
#define counter_sub(field, n) __atomic_sub_fetch(&counters.field, (n), __ATOMIC_RELAXED)
#define counter_get(field)    __atomic_load_n(&counters.field, __ATOMIC_RELAXED)

extern int log_verbose;
void dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mem.c */
extern const struct ioasid_mem_ops client_mem_ops;
struct client;

/* client.c */
void *client_thread(void *arg);
void client_free(struct client *c);
/*
 * Give the client a copy of our fd `fd` as a new fd in the calling process: the client's
 * fd number, or -errno. For the core's fd-returning commands (access, fault, event queue):
 * the core makes a real fd in the daemon, this installs it in the program.
 */
int client_install_fd(struct client *c, int fd, unsigned int flags);
/* failnth.c: the fail-nth countdown of this thread, armed while an IOCTL_NTH is served */
void failnth_init(void); /* once, at start: table pages count too */
void failnth_arm(unsigned int nth);
unsigned int failnth_disarm(void); /* the count left; 0 once the fault fired */
void daemon_fill_stats(struct ioasidd_stats *s, uid_t uid, pid_t pid);
/* ioasidd.c: called by a client thread as it finishes */
void daemon_client_done(struct client *c);
/* ioasidd.c: pages pinned for the live clients' processes (the core's pinned_vm) */
uint64_t daemon_pinned_pages(void);

/*
 * The control channel (control.c, ioasidctl). daemon_for_each_client (ioasidd.c) calls fn
 * for each live client with clients_lock held; fn must not block. A client's ctx is set
 * and cleared only through control_set_ctx, so the channel can read it safely.
 */
void daemon_for_each_client(void (*fn)(void *arg, struct client *c), void *arg);
int control_start(const char *sock_path, long idle_exit); /* 0 or -errno */
void control_stop(void);
void control_set_ctx(struct client *c, struct ioasid_ctx *ctx);

#endif
