/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.h - the wire protocol between libioasid-preload.so (the shim) and ioasidd.
 *
 * One connection is one open of /dev/iommu. The program's iommufd IS the client end of a
 * SOCK_SEQPACKET unix socket connected to the daemon, so everything the kernel does with
 * the file (dup, fork, SCM_RIGHTS, exec without CLOEXEC, last close) the socket does too;
 * the daemon frees the context when it reads EOF on the connection, i.e. when the last copy
 * in any process is closed.
 *
 * Because a connection may be shared by a parent and its forked children (and by threads),
 * no reply ever travels on it. A request on the connection carries, as its first SCM_RIGHTS
 * fd, one end of a fresh socketpair: the reply channel. The daemon answers on that channel
 * only, so a reply reaches the thread that asked, whichever process it is in. The same
 * channel carries the daemon's questions during a call (FD_INSTALL: "put this fd in your
 * table and tell me its number"), which is how fds made by the daemon (access, fault,
 * event-queue fds) become real fds of the client.
 *
 * The fast path: a process attaches once per fd a call channel of its own (ATTACH, bound by
 * the daemon to its pidfd), and its ioctls are then one CALL and one CALL_REPLY there, the
 * struct inline, no fd passing (see "Call channels" below). The per-request path stays for
 * HELLO, STATS, CLOSE, ATTACH itself, and calls that cannot use a channel (another thread
 * of the process holds it).
 *
 * The daemon knows which process sent a request from SCM_CREDENTIALS (SO_PASSCRED on its
 * end): the kernel stamps every message with the sender's pid, so after a fork the child's
 * requests are served against the child's memory.
 *
 * Requests carry the ioctl number and the client's argument exactly as passed to ioctl(2);
 * on the per-request path the daemon reads and writes the client's struct in place with
 * process_vm_readv/writev; a CALL brings it along.
 * An input fd (IOMMU_IOAS_MAP_FILE's, the selftest's access fd) travels as the second
 * SCM_RIGHTS fd and is overlaid on the struct field while the daemon serves the call: the
 * core reads the daemon's fd number where the program wrote its own (see
 * ioasid_proto_in_fd()).
 *
 * Every message starts with struct ioasid_msg_hdr. A receiver checks magic, version, type,
 * that hdr.size equals the bytes received and the type's size, and the fd count, before it
 * looks at anything else; ioasid_msg_check() does that.
 */
#ifndef IOASID_PROTO_H
#define IOASID_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#define IOASID_PROTO_MAGIC	0x494f4144u /* "IOAD" */
#define IOASID_PROTO_VERSION	1
#define IOASID_PROTO_MAX_FDS	2   /* reply channel + one input fd */
#define IOASID_PROTO_MAX_MSG	512 /* no message is larger */
#define IOASID_PROTO_MAX_INLINE 256 /* bytes of an ioctl's struct carried with CALL */

enum ioasid_msg_type {
	/* client -> daemon, on the connection, each with a reply channel */
	IOASID_MSG_HELLO = 1,
	IOASID_MSG_IOCTL = 2,
	IOASID_MSG_STATS = 3,
	IOASID_MSG_CLOSE = 4,	  /* the sender is about to close its fd (see below) */
	IOASID_MSG_IOCTL_NTH = 5, /* IOCTL with a fail-nth countdown (see below) */
	IOASID_MSG_ATTACH = 6,	  /* attach a call channel (the one fd) to the context */
	/* client -> daemon, on an attached call channel, no reply fd */
	IOASID_MSG_CALL = 7, /* an ioctl, its struct inline (variable size) */
	/* client -> daemon: a file backing the sender's memory (below); on the connection
	 * with a reply channel (answered REPLY), or on a call channel (not answered) */
	IOASID_MSG_MEM = 8,
	/* daemon -> client, on the reply channel */
	IOASID_MSG_REPLY = 16, /* the final answer to IOCTL */
	IOASID_MSG_HELLO_REPLY = 17,
	IOASID_MSG_STATS_REPLY = 18,
	IOASID_MSG_FD_INSTALL = 19,  /* mid-call, carries one fd */
	IOASID_MSG_CLOSE_REPLY = 22, /* the answer to CLOSE, once it is known */
	IOASID_MSG_REFUSED = 23,     /* on the connection itself: not served (limits), then EOF */
	IOASID_MSG_ATTACHED = 24,    /* on the new call channel: the answer to ATTACH */
	IOASID_MSG_CALL_REPLY = 25,  /* on the call channel: the answer to CALL (variable size) */
	/* client -> daemon, on the reply channel */
	IOASID_MSG_FD_INSTALLED = 20,
	IOASID_MSG_CLOSED = 21, /* after CLOSE: the fd is closed now */
};

struct ioasid_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t size; /* of the whole message */
	uint32_t seq;  /* echoed in answers; for logs */
};

struct ioasid_msg_hello {
	struct ioasid_msg_hdr hdr;
	/*
	 * The Linux release whose answers the program expects where releases differ
	 * ($IOASID_KERNEL_ABI, util/kver.h: (major << 8) | minor); 0: the newest. Taken for
	 * the connection's context when it is made (a later HELLO changes nothing).
	 */
	uint32_t kernel_abi;
	uint32_t __reserved;
};

struct ioasid_msg_hello_reply {
	struct ioasid_msg_hdr hdr;
	int32_t daemon_pid;
	uint32_t __reserved;
	uint64_t features;
};

enum ioasid_ioctl_flags {
	IOASID_IOCTL_IN_FD = 1 << 0,	 /* fd #2 is the input fd at arg + in_fd_offset */
	IOASID_IOCTL_IN_FD_BAD = 1 << 1, /* the program's fd was not open: read it as -1 */
};

struct ioasid_msg_ioctl {
	struct ioasid_msg_hdr hdr;
	uint64_t cmd;
	uint64_t arg;	/* as passed to ioctl(2): a pointer in the sender, or a value */
	uint32_t flags; /* enum ioasid_ioctl_flags */
	uint32_t in_fd_offset;
};

/*
 * Fault injection (the kernel's /proc/<pid>/task/<tid>/fail-nth, emulated by the shim). A
 * thread whose fail-nth is N > 0 sends IOCTL_NTH instead of IOCTL: the same request and N.
 * The daemon counts the allocations it makes serving the call down from N and fails the
 * one that brings the count to 0, as the kernel's should_fail() does; the reply's fail_nth
 * is the count left (0 once the fault fired), which the shim stores back. A thread at 0
 * sends plain IOCTL, so a daemon that predates IOCTL_NTH is met only under fault injection.
 */
struct ioasid_msg_ioctl_nth {
	struct ioasid_msg_ioctl io; /* io.hdr.type is IOASID_MSG_IOCTL_NTH */
	uint32_t fail_nth;
	uint32_t __reserved;
};

/*
 * Call channels: the fast path (docs/daemon.md, "Call channels"). A process attaches, once
 * per iommufd it calls on, a private SOCK_SEQPACKET channel to the connection's context:
 * ATTACH on the connection, carrying one end of a socketpair the process made; the daemon
 * binds the channel to the sender's pidfd and answers ATTACHED on the channel itself. From
 * then on each ioctl is one CALL and one CALL_REPLY on the channel, no fd passing (but an
 * input fd). The daemon serves a channel message only if the kernel stamped it with the
 * bound process's pid and that process is still alive: a forked child or anybody else that
 * holds a copy of the channel can neither call as the attacher nor be served at all.
 *
 * CALL carries the first in_len bytes of the program's struct at arg (what the shim could
 * read, at most IOASID_PROTO_MAX_INLINE and the struct's own size) and says how many of
 * them the program may also write (wr_len <= in_len). The daemon reads and writes that
 * window in the message instead of the program's memory; everything outside it (pointers
 * inside structs, a larger struct's tail) goes through process_vm_readv/writev as before.
 * CALL_REPLY gives back the bytes [out_off, out_off + out_len) of the window the core wrote,
 * which the shim copies into the struct.
 */
enum ioasid_call_flags {
	IOASID_CALL_IN_FD = 1 << 0,	/* the one fd is the input fd at arg + in_fd_offset */
	IOASID_CALL_IN_FD_BAD = 1 << 1, /* the program's fd was not open: read it as -1 */
	IOASID_CALL_NTH = 1 << 2,	/* fail_nth is armed (IOCTL_NTH's meaning) */
};

struct ioasid_msg_call {
	struct ioasid_msg_hdr hdr; /* hdr.size = sizeof(struct ioasid_msg_call) + in_len */
	uint64_t cmd;
	uint64_t arg;
	uint32_t flags; /* enum ioasid_call_flags */
	uint32_t in_fd_offset;
	uint32_t fail_nth;
	uint16_t in_len; /* bytes of *arg that follow */
	uint16_t wr_len; /* of those, how many the program may write */
			 /* uint8_t data[in_len] */
};

struct ioasid_msg_call_reply {
	struct ioasid_msg_hdr hdr; /* hdr.size = sizeof(struct ioasid_msg_call_reply) + out_len */
	int64_t ret;
	int32_t err;
	uint32_t fail_nth;
	uint16_t out_off; /* the written bytes of the window: at arg + out_off */
	uint16_t out_len;
	uint32_t __reserved;
	/* uint8_t data[out_len] */
};

/*
 * Memory hand-over (docs/daemon.md, "Client memory"). Before a call that makes the daemon
 * reach the sender's memory by address (IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA, the selftest's
 * MD_CHECK_MAP and ACCESS_PAGES), the shim sends one MEM per file that backs the range: the
 * fd travels as the message's one memory fd (after the reply channel on the connection).
 * The daemon keeps it for the sender's process and maps it only where the process's own
 * /proc/<pid>/maps shows that very file (device, inode, offset) at the address it pins: a
 * process can hand over nothing it could not map itself. ioasid_proto_mem_range() says
 * which calls, and which range, as both ends read it.
 */
struct ioasid_msg_mem {
	struct ioasid_msg_hdr hdr;
	uint32_t flags; /* none defined: 0 */
	uint32_t __reserved;
};

/*
 * mmap of an iommufd (a vIOMMU's region, docs/daemon.md "mmap of an iommufd"): not a
 * message but a private ioctl number on the iommufd (type 0xA5, IOASID_PRIV_TYPE of
 * vfio_proto.h), carried as any ioctl. The daemon looks the region up in the caller's
 * context by exactly (offset, length) (ENXIO otherwise), installs a new fd of it in the
 * caller (FD_INSTALL, opened for reading and writing) and returns that fd's number; the
 * shim maps it at file offset 0 and closes it. The region's object is EBUSY to
 * IOMMU_DESTROY for as long as that file lives anywhere (ioasid_mmap_fd()).
 */
struct ioasid_ctx_mmap {
	uint32_t size;
	uint32_t flags; /* none defined: 0 */
	uint64_t offset;
	uint64_t length; /* page aligned, as the kernel's vma */
};
#define IOASID_CTX_MMAP _IOW(0xA5, 0x20, struct ioasid_ctx_mmap)

struct ioasid_msg_attached {
	struct ioasid_msg_hdr hdr;
	int32_t err; /* 0: the channel serves calls; else not attached (EMFILE: too many) */
	uint32_t __reserved;
};

struct ioasid_msg_reply {
	struct ioasid_msg_hdr hdr;
	int64_t ret;	   /* ioctl's return value when err == 0 */
	int32_t err;	   /* errno, 0 on success */
	uint32_t fail_nth; /* the answer to IOCTL_NTH: the count left; 0 otherwise */
};

struct ioasid_msg_fd_install {
	struct ioasid_msg_hdr hdr;
	uint32_t flags; /* O_CLOEXEC for the client's new fd */
	uint32_t __reserved;
};

struct ioasid_msg_fd_installed {
	struct ioasid_msg_hdr hdr;
	int32_t fd; /* the client's fd number, or -errno */
	uint32_t __reserved;
};

/*
 * A synchronous close. The kernel releases an iommufd (every object, every pin) before the
 * last close() returns; so does the shim: it sends CLOSE (with a reply channel) on the
 * connection, closes its fd, sends CLOSED on the channel, and waits for CLOSE_REPLY. The
 * daemon, once CLOSED has come, looks at the connection: if every copy is closed
 * (POLLRDHUP), it serves what is still queued, frees the context at EOF and answers
 * last = 1; otherwise it answers last = 0 at once. A daemon that does not know CLOSE drops
 * it and the channel reads EOF, which the shim takes as done.
 */
/*
 * A connection the daemon will not serve (a limit on connections is reached): the only
 * message ever written on the connection itself, followed by EOF. err is the errno for the
 * program's open() (EMFILE).
 */
struct ioasid_msg_refused {
	struct ioasid_msg_hdr hdr;
	int32_t err;
	uint32_t __reserved;
};

struct ioasid_msg_close_reply {
	struct ioasid_msg_hdr hdr;
	uint32_t last; /* 1: that was the last copy, and the context is freed */
	uint32_t __reserved;
};

/*
 * What a live daemon holds; the kill test asserts these return to their baseline. Counters
 * ending in _total only grow.
 */
struct ioasidd_stats {
	uint64_t clients;  /* live connections */
	uint64_t contexts; /* live ioasid contexts */
	uint64_t clients_total;
	uint64_t requests_total;
	uint64_t bad_messages_total;
	uint64_t pins_total;	    /* successful pin_user calls of the mirror */
	uint64_t mirror_windows;    /* reserved mirrors of client address space */
	uint64_t mirror_mapped;	    /* bytes of client memory mapped into the daemon */
	uint64_t pinned_pages;	    /* pinned for live clients' processes (core pinned_vm) */
	uint64_t files;		    /* cached client backing files */
	uint64_t user_locked_pages; /* core accounting, for the asking uid */
	uint64_t open_fds;	    /* of the daemon process */
	uint64_t threads;	    /* of the daemon process */
	uint64_t rss_pages;	    /* of the daemon process */
	uint64_t heap_bytes;	    /* malloc'd and live (0 when the allocator cannot say) */
	uint64_t sources;	    /* client processes that pages objects remember (mem.c) */
	uint64_t refused_total;	    /* connections refused (limits, out of fds) */
	uint64_t dropped_total;	    /* requests dropped: their sender was gone (ident.c) */
};

struct ioasid_msg_stats_reply {
	struct ioasid_msg_hdr hdr;
	struct ioasidd_stats stats;
};

/*
 * Size of a message of this type, or 0 for an unknown type. For CALL and CALL_REPLY, the
 * size without their data; ioasid_msg_check() checks the data's length field.
 */
size_t ioasid_msg_size(unsigned int type);
void ioasid_msg_init(struct ioasid_msg_hdr *hdr, unsigned int type, uint32_t seq);
/* Validate a received message: 0 or -EPROTO. */
int ioasid_msg_check(const void *buf, size_t len, unsigned int want_type);

/*
 * An ioctl that takes an input fd in its struct: the offset of the fd field, or -1. Both
 * ends use this one table: the shim to know what to send, the daemon to refuse an overlay
 * anywhere else. op is the struct's second u32 (the test op) for IOMMU_TEST_CMD, whose
 * access ops name an access by its fd in `id`; it is ignored for every other command.
 */
#define IOASID_PROTO_OP_OFFSET 4
int ioasid_proto_in_fd(unsigned long cmd, uint32_t op);
/*
 * A call that makes the daemon reach memory by the caller's address: true, and where the
 * range's start and length sit in the struct (byte offsets of two u64). op as above.
 */
bool ioasid_proto_mem_range(unsigned long cmd, uint32_t op, unsigned int *out_va_off,
			    unsigned int *out_len_off);

/*
 * Send hdr-prefixed msg with up to IOASID_PROTO_MAX_FDS fds (nfds may be 0). MSG_NOSIGNAL.
 * 0 or -errno.
 */
int ioasid_send(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds);
/*
 * The same, never blocking (MSG_DONTWAIT): what the daemon uses for every answer, so that a
 * client that does not read (a reply channel whose buffer it filled) cannot hold a daemon
 * thread. -EAGAIN when the peer's queue is full; the answer is then dropped.
 */
int ioasid_send_nb(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds);

struct ioasid_recv {
	size_t len;
	int fds[IOASID_PROTO_MAX_FDS];
	unsigned int nfds;
	int pidfd;	   /* SCM_PIDFD (SO_PASSPIDFD on the socket), or -1; closed with the fds */
	bool pidfd_failed; /* SCM_PIDFD came with an error: the sender is gone */
	bool have_creds;
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * Receive one message into buf (IOASID_PROTO_MAX_MSG bytes). Received fds are CLOEXEC and
 * owned by the caller. A truncated message or control data is refused (-EPROTO) with every
 * fd it carried closed. 0 on EOF (out->len == 0), 0 with out->len > 0, or -errno.
 *
 * A zero-length message is not EOF: on SOCK_SEQPACKET both read as 0 bytes, but a message
 * carries control data (credentials, on a socket with SO_PASSCRED, as the daemon's are)
 * and EOF none. One with control data is refused (-EPROTO, out->len 1) like any other
 * malformed message, so a process holding a shared iommufd cannot end it for the others.
 */
int ioasid_recv(int sock, void *buf, struct ioasid_recv *out);
/*
 * The same with recvmsg flags (MSG_DONTWAIT: what the daemon uses on every socket a client
 * also holds an end of, so that a client that steals a message it announced cannot hold a
 * daemon thread in recvmsg). -EAGAIN when nothing is there.
 */
int ioasid_recv_flags(int sock, void *buf, struct ioasid_recv *out, int flags);
/* Close the received fds; one set to -1 was taken by the caller. */
void ioasid_recv_close_fds(struct ioasid_recv *r);

/* ---- paths --------------------------------------------------------------------------- */

/*
 * The daemon's socket: $IOASID_SOCKET, else $XDG_RUNTIME_DIR/ioasid/ioasidd.sock, else
 * /run/ioasid/ioasidd.sock for root, else /run/user/$UID/ioasid/ioasidd.sock when that
 * runtime directory exists and is ours, else $HOME/.ioasid/ioasidd.sock. Never a path in a
 * directory others can write (/tmp): see ioasid_socket_dir_check(). 0, -ENAMETOOLONG, or
 * -ENOENT when there is no private place (no runtime directory and no $HOME).
 */
int ioasid_socket_path(char *buf, size_t len);
/*
 * mkdir -p of the socket's directory; the last level is made mode 0700. Then
 * ioasid_socket_dir_check(). 0 or -errno.
 */
int ioasid_socket_dir_prepare(const char *sock_path);
/*
 * Is the socket's directory private to us? It must be a directory (not a symlink) owned by
 * our euid or root, and writable by nobody else (no group or other write bit), so nobody
 * but us (and root) can have put a socket there. -EPERM otherwise, or -errno.
 */
int ioasid_socket_dir_check(const char *sock_path);
/*
 * May a socket peer with these credentials serve us (the client) or be served (the daemon)?
 * Our own euid, or root.
 */
bool ioasid_peer_uid_ok(uid_t uid);

/* ---- the client side (the shim, tests, ioasidctl) ------------------------------------ */

enum ioasid_connect_flags {
	IOASID_CONNECT_CLOEXEC = 1 << 0,
	IOASID_CONNECT_AUTOSTART = 1 << 1, /* start the daemon if nobody listens */
};

/*
 * Connect and say hello. With AUTOSTART, a missing daemon is started (daemon_exe, or
 * $IOASID_DAEMON, or the built-in path) under a lock so that concurrent first opens start
 * one. Returns the socket or -errno; *out_daemon_pid is the daemon's pid if not NULL.
 *
 * The daemon is verified before anything is sent to it: the socket's directory passes
 * ioasid_socket_dir_check() (-EPERM), and the listening process's uid (SO_PEERCRED,
 * stamped by the kernel) passes ioasid_peer_uid_ok() (-EPERM). *out_daemon_pid is the
 * SO_PEERCRED pid, never what the daemon says about itself. A daemon that does not answer
 * the connect or the HELLO within the connect timeout gives -EIO; one that refuses the
 * connection (IOASID_MSG_REFUSED) gives its errno (EMFILE).
 */
int ioasid_client_connect(const char *path, unsigned int flags, const char *daemon_exe,
			  pid_t *out_daemon_pid);
/*
 * The timeouts of the client, in ms: $IOASID_TIMEOUT_MS (default 60000) for each answer to
 * a call (-EIO once it passes: the daemon is wedged), and the smaller of that and 5000 for
 * the connect and HELLO.
 */
int ioasid_reply_timeout_ms(void);
int ioasid_connect_timeout_ms(void);

/*
 * Serve one ioctl through the daemon: returns 0 and *out_ret, or -errno. in_fd_offset is
 * ioasid_proto_in_fd()'s answer for this call (-1: none); the caller's input fd there
 * (in_fd >= 0, or IOASID_IN_FD_BAD) is sent with the request.
 */
#define IOASID_IN_FD_NONE (-1)
#define IOASID_IN_FD_BAD  (-2)
int ioasid_client_ioctl(int sock, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
			long *out_ret);
/*
 * The same under fault injection: *fail_nth (> 0: IOCTL_NTH is sent; 0: plain IOCTL) is
 * replaced by the count the daemon left, 0 once the fault fired.
 */
int ioasid_client_ioctl_nth(int sock, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
			    unsigned int *fail_nth, long *out_ret);
int ioasid_client_stats(int sock, struct ioasidd_stats *out);

/*
 * Attach a call channel to the connection sock: the channel's fd (CLOEXEC, SO_RCVTIMEO and
 * SO_SNDTIMEO set to the reply timeout), or -errno (-EMFILE: the daemon has as many
 * channels on this connection as it allows; -EINVAL: it knows no channels). The channel is
 * this process's: a forked child must attach its own (its calls on the parent's are never
 * served).
 */
int ioasid_client_attach(int sock);
/*
 * One ioctl on a call channel, its struct inline (above). 0 when the daemon answered:
 * *out_err is the ioctl's errno (0: success, *out_ret its value; EFAULT too if the result
 * could not be written back), *fail_nth (may be NULL; > 0 arms the fault) the count left.
 * -errno when the channel failed (timeout, EOF, a protocol error): the channel must then be
 * closed and not used again.
 */
/*
 * Read the program's struct at arg (not trusted) into buf (IOASID_PROTO_MAX_INLINE bytes)
 * for a CALL: *out_len bytes of it (what its size, the first u32, says, as far as it is
 * readable), of which the first *out_wr are writable. Never faults.
 */
void ioasid_read_struct(uint64_t arg, void *buf, uint16_t *out_len, uint16_t *out_wr);
/* Our pid, without a system call once known (a page the kernel wipes in a forked child). */
pid_t ioasid_self_pid(void);
int ioasid_chan_ioctl(int ch, unsigned long cmd, uint64_t arg, int in_fd_offset, int in_fd,
		      unsigned int *fail_nth, long *out_ret, int *out_err);
/*
 * Hand the daemon a file backing our memory (MEM, above): on call channel ch (no answer;
 * the next CALL on ch comes after it), or on the connection sock (answered). 0 or -errno.
 */
int ioasid_chan_mem(int ch, int memfd);
int ioasid_client_mem(int sock, int memfd);
/*
 * Wait on a reply channel ch for a message of `type` into buf (IOASID_PROTO_MAX_MSG
 * bytes), serving FD_INSTALL meanwhile (the fd becomes ours, its number is answered); each
 * message must come within timeout_ms. 0, -EIO (EOF or timeout), -EPROTO (anything else,
 * its fds closed). What the daemon says is never trusted further than this: the fuzz target
 * fuzz/reply_fuzz.c drives it with arbitrary messages.
 */
int ioasid_client_await(int ch, void *buf, unsigned int type, int timeout_ms);
/*
 * Close sock, an iommufd, synchronously (CLOSE, above): returns close()'s result with its
 * errno; *out_last (may be NULL) says whether that was the last copy and the daemon has
 * freed the context. close_fn is the close(2) to use (the shim's next definition).
 */
int ioasid_client_close(int sock, int (*close_fn)(int), bool *out_last);

/* Start the daemon detached (double fork, setsid, stdio on /dev/null). 0 or -errno. */
int ioasid_daemon_spawn(const char *daemon_exe, const char *sock_path);
/* The daemon executable to start: $IOASID_DAEMON or the built-in path. */
const char *ioasid_daemon_exe(void);

#endif
