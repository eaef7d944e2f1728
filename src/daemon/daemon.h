/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon.h - ioasidd's own structures: a client (one connection, one context) and the
 * ioasid_mem_ops through which the daemon reaches its clients' memory.
 *
 * Files: ioasidd.c (the listening socket, systemd activation, signals, idle exit, reaping,
 * the limits on connections), client.c (one thread per connection: receive, validate,
 * serve), ident.c (who a request comes from: pidfds), mem.c (the
 * ioasid_mem_ops for a remote client: copies, sources (one per client process) and the
 * mirror of each source's pinned pages).
 *
 * Locking. clients_lock (ioasidd.c) protects the list of clients. A client's thread is the
 * only one that reads its socket; the call it serves lives in a struct call on that
 * thread's stack (c->call points at it while the core runs), so per-call state needs no
 * lock. A call that may wait (a DMA waiting for its page response) is served by a waiter
 * thread with a copy of its own (client.c); client_call() gives each thread its call. A
 * source (mem.c) is shared by every connection of its process:
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

/* ---- a call ------------------------------------------------------------------------------ */

/* One request being served: everything that belongs to it and not to the connection. */
struct call {
	pid_t pid;    /* the sender, as the kernel stamped it (SCM_CREDENTIALS) */
	int pidfd;    /* the sender for good (ident.c); checked around every access */
	int reply_fd; /* its reply channel, or its call channel */
	uint32_t seq;
	bool chan;    /* came on a call channel: answered with CALL_REPLY */
	bool overlay; /* read overlay_val at overlay_uptr (MAP_FILE's fd) */
	uint64_t overlay_uptr;
	int32_t overlay_val;  /* the daemon's fd */
	int32_t overlay_orig; /* what the program wrote there */
	/*
	 * The struct's window that came with a CALL (mem.c): client addresses
	 * [win_uptr, win_uptr + win_len) read from win, the first win_wr of them written to it;
	 * [dirty_lo, dirty_hi) is what the core wrote, sent back with the reply.
	 */
	uint8_t *win;
	uint64_t win_uptr;
	uint32_t win_len, win_wr;
	uint32_t dirty_lo, dirty_hi;
};

/* A call channel attached to a connection (client.c): one process's private way in. */
struct chan {
	int fd;	   /* the daemon's end; non-blocking reads */
	int pidfd; /* the process that attached it, for good */
	pid_t pid;
	void *src; /* mem.c: its process's source, held once it handed memory over, or NULL */
};

/* ---- limits (ioasidd.c; docs/daemon.md lists them with their options) --------------------- */

struct daemon_limits {
	unsigned int max_clients;	  /* connections in all: more are refused, EMFILE */
	unsigned int max_clients_per_uid; /* connections of one uid */
	unsigned int max_objects;	  /* objects of one context: ENOMEM beyond */
	unsigned long max_uid_objects;	  /* objects of one uid in all its contexts: ENOMEM */
	unsigned int max_access_fds;	  /* selftest access fds of one context: EMFILE */
	unsigned int max_channels;	  /* call channels of one connection: EMFILE */
	uint64_t max_idle_pages;	  /* unpinned pages a source keeps mapped (mem.c) */
	uint64_t max_uid_mirror;	  /* bytes of client memory mapped for one uid: ENOMEM */
};
extern struct daemon_limits limits;

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
	uint32_t kernel_abi;	    /* HELLO's, for the context (client's thread) */
	struct ioasid_ctx *ctx;	    /* made at the first ioctl */
	unsigned long *uid_objects; /* the uid's shared object count (atomic) */

	/* synchronous closes waiting to hear whether they were the last (client's thread) */
#define CLIENT_MAX_CLOSERS 16
	int closers[CLIENT_MAX_CLOSERS]; /* their reply channels */
	uint32_t closer_seq[CLIENT_MAX_CLOSERS];
	unsigned int nclosers;

	/* the call the client's thread serves, or NULL; a waiter's is its own: client_call() */
	struct call *call;
	void *src_hold; /* mem.c: the source of the last pin, kept (the client's thread) */

	/* call channels (the client's thread only); at most CLIENT_MAX_CHANS */
#define CLIENT_MAX_CHANS 64
	struct chan chans[CLIENT_MAX_CHANS];
	unsigned int nchans;

	/* devices.c: a VFIO file's connection, or the token registry entry of c->ctx */
	void *dconn;
	void *dctx;

	/*
	 * Calls that may wait (a device DMA waiting for its page response) are served on a
	 * thread of their own, a *waiter*, so the connection serves the program's other calls
	 * meanwhile (client.c). Slots and the eventfd: the client's thread; waiter_done[i]:
	 * set by waiter i as it ends (atomic), then the eventfd is written.
	 */
#define CLIENT_MAX_WAITERS 8
	pthread_t waiters[CLIENT_MAX_WAITERS];
	bool waiter_busy[CLIENT_MAX_WAITERS]; /* a thread to join in that slot */
	bool waiter_done[CLIENT_MAX_WAITERS];
	unsigned int nwaiters;
	int waiter_efd; /* valid while waiter_efd_ok */
	bool waiter_efd_ok;
};

/* Counters for IOASID_MSG_STATS. */
struct daemon_counters {
	uint64_t clients, contexts, clients_total, requests_total, bad_messages_total, pins_total;
	uint64_t refused_total, dropped_total; /* connections refused, requests of the gone */
	uint64_t mirror_windows, mirror_mapped, files, sources;
	uint64_t handed; /* files handed over by clients and kept (handed.c) */
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
void mem_release(struct client *c); /* the connection ends: its hold on a source goes */
/*
 * A MEM message: keep fd (a file backing the sender's memory) for the sender's source, to
 * be mapped only where its maps show that file (handed.c). call names the sender. 0 or
 * -errno (EINVAL: not a file we map; ENOMEM: too many).
 */
int mem_handover(struct client *c, struct call *call, int fd, void **hold);
/* hold (if not NULL and still NULL) keeps a reference to the source; mem_unhold drops it */
void mem_unhold(void *src);

/* handed.c: the files one source handed over (under the source's lock) */
struct handed_file {
	dev_t dev;
	ino_t ino;
	int fd;	 /* the daemon's copy */
	bool rw; /* opened for reading and writing */
};
struct handed {
	struct handed_file *files;
	unsigned int n, cap;
};
int handed_add(struct handed *h, int fd, pid_t pid); /* a copy of fd is kept */
int handed_find(const struct handed *h, dev_t dev, ino_t ino, bool *out_rw); /* or -1 */
void handed_clear(struct handed *h);

/* client.c */
void *client_thread(void *arg);
/*
 * Validate and serve one received message of c (the loop body of client_thread; the fuzz
 * target fuzz/daemon_msg_fuzz.c drives it directly). r's fds stay the caller's to close.
 */
void client_serve(struct client *c, const char *buf, struct ioasid_recv *r);
/*
 * Validate and serve one message received on call channel ch of c (fuzz/daemon_msg_fuzz.c
 * drives it too). r's fds stay the caller's to close.
 */
void client_serve_chan(struct client *c, struct chan *ch, const char *buf, struct ioasid_recv *r);
/* Close every call channel of c. */
void client_chans_close(struct client *c);
/*
 * The call the calling thread serves for c (a waiter's own, else c->call), or NULL: what
 * the mem ops read and write the caller's memory for.
 */
struct call *client_call(struct client *c);
/*
 * The connection ends: wait for c's waiters to finish (they end by themselves: the program
 * answers, its caller exits, the DMA times out), ending their waits at once if the daemon
 * stops meanwhile; join them and close the eventfd. Before c->ctx is freed.
 */
void client_waiters_end(struct client *c);
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
/* ioasidd.c: readable once the daemon is stopping; every wait of a client thread polls it */
extern int stop_fd;
/* ioasidd.c: the shared object count of a uid (lives as long as the daemon) */
unsigned long *daemon_uid_objects(uid_t uid);
/* ioasidd.c: the bytes of client memory the mirror maps for a uid (atomic; never freed) */
uint64_t *daemon_uid_mirror(uid_t uid);

/* ident.c */
bool ident_alive(int pidfd);
pid_t ident_pidfd_pid(int pidfd); /* -1 once exited */
int ident_pidfd_open(pid_t pid);
void ident_sock_setup(int sock); /* SO_PASSCRED and SO_PASSPIDFD */
/* A pidfd of the peer that pid names (SO_PEERPIDFD, or pidfd_open), checked; or -1. */
int ident_peer_pidfd(int sock, pid_t pid);
/*
 * The pidfd of a received request's sender, checked alive and naming its stamped pid; the
 * received SCM_PIDFD is taken (r->pidfd becomes -1). -1: the sender is gone, drop it.
 */
int ident_caller(struct ioasid_recv *r);

/*
 * devices.c: the emulated VFIO devices (docs/devices.md, "Devices in the daemon").
 * devices_init: the platform (file, else $IOASID_PLATFORM, else the default): 0 or -errno
 * (the error printed). devices_owns: is this call on c served by devices_ioctl (c is a VFIO
 * file, or cmd is one of src/proto/vfio_proto.h's) rather than the core. devices_ioctl:
 * ioctl(2)'s result with errno, c->call set. devices_ctx_held: c's context ends; is a device
 * still bound to it? devices_ctx_end: wait until none is. devices_conn_end: a VFIO file's
 * connection ended (its reference to the file goes).
 */
int devices_init(const char *platform_file);
void devices_fini(void);
bool devices_owns(const struct client *c, unsigned long cmd);
long devices_ioctl(struct client *c, unsigned long cmd, uint64_t arg);
bool devices_ctx_held(struct client *c);
void devices_ctx_end(struct client *c);
void devices_conn_end(struct client *c);
/* client.c: c's context, made on first use: 0 or -errno */
int client_get_ctx(struct client *c);
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
