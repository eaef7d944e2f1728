/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shim.c - libioasid-preload.so: /dev/iommu for an unmodified program.
 *
 * Loaded with LD_PRELOAD (ioasid-run does it), the shim turns an open of "/dev/iommu" into
 * a connection to ioasidd and forwards every ioctl on that fd to the daemon. The fd the
 * program holds is the connection itself, so the kernel keeps the file semantics for us:
 * dup, fork, SCM_RIGHTS and exec share one context, and the daemon frees it at the last
 * close. Everything else goes straight to the next definition (dlsym(RTLD_NEXT)).
 *
 * Which fds are ours. fd_ino[fd] holds the socket's inode for an fd we know is an iommufd,
 * 0 otherwise. open sets it; close, close_range and closefrom clear it; dup, dup2, dup3 and
 * fcntl(F_DUPFD*) copy it (a dup2 over an iommufd copies the new file's 0). The table can
 * still go stale behind our back (a raw syscall, an io_uring close), so every call that
 * acts on an entry (ioctl, close, read, write, mmap) trusts it only if fstat still shows
 * the same socket; a stale entry is cleared and the call goes to the next definition. An
 * unknown fd that receives an iommufd-type ioctl (type ';', shared by iommufd and VFIO) is
 * probed: a SOCK_SEQPACKET socket whose peer is a daemon we trust (its path, and its uid by
 * SO_PEERCRED) is an iommufd received by SCM_RIGHTS. Fds inherited across exec are found
 * by the constructor, which probes every socket fd the new program starts with. Other
 * calls on unknown fds cost one table load.
 *
 * ioctl. glibc's prototype is variadic: the third argument is read as one word and sent as
 * is. Each process calls on each fd through a call channel of its own (fd_chan, below): the
 * struct is read here without trusting the pointer (process_vm_readv on ourselves) and sent
 * with the call, and what the daemon wrote comes back with the answer; on the per-request
 * path the daemon reads and writes the struct in our memory. Either way a NULL or wild
 * pointer is EFAULT, never a crash here. An fd named in the struct (IOMMU_IOAS_MAP_FILE's
 * fd, and the access fd of the selftest's access ops; ioasid_proto_in_fd() says which) is
 * read here (safely, with process_vm_readv on ourselves) and the fd itself travels with the
 * request.
 *
 * read/write on an iommufd are EINVAL, as the kernel's iommufd has neither; mmap of an
 * iommufd maps the region an object offers there (shim_mmap_iommufd()). Fds the
 * daemon creates for us (access, fault, event queue) arrive during the call on the reply
 * channel and are ordinary fds (client.c in src/proto).
 *
 * Fault injection. The kernel's selftest drives its error paths with fail-nth: it writes N to
 * /proc/self/task/<tid>/fail-nth so that the Nth allocation of the thread's next calls fails,
 * and reads the count back (0: the fault fired). The shim serves those files itself, from a
 * per-thread count kept here (nth_tab), and the files the selftest configures under
 * /sys/kernel/debug/fail* (failslab, fail_page_alloc) as memfds that take what is written;
 * the real ones are never touched. An ioctl of a thread whose count is not 0 carries it to
 * the daemon (IOASID_MSG_IOCTL_NTH), which fails its Nth allocation serving the call and
 * answers with the count left. Only the daemon's allocations count, not the other system
 * calls of the program.
 *
 * If the kernel has Yama's ptrace_scope >= 1, the daemon cannot read our memory unless we
 * name it our ptracer; the shim does so (PR_SET_PTRACER) in each process that calls, and
 * only for the pid the kernel gives for a peer that passed the client's checks
 * (ioasid_client_connect: private socket directory, SO_PEERCRED uid ours or root), never
 * for a pid a daemon names itself.
 */
/* define open, open64, mmap, mmap64 ... each under its own name, not redirected */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "proto/proto.h"
#include "shim/backend.h"
#include "shim/memmap.h"
#include "shim/veventq.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define FDT_SIZE    65536

static uint64_t fd_ino[FDT_SIZE]; /* atomics: relaxed loads and stores */
static pid_t daemon_pid;
static pid_t ptracer_set_in; /* the process that last named the daemon its ptracer */
static int yama_scope = -1;

/* ---- the next definitions ---------------------------------------------------------------- */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*close_range_fn)(unsigned int, unsigned int, int);
typedef void (*closefrom_fn)(int);
typedef void *(*mremap_fn)(void *, size_t, size_t, int, ...);

static struct {
	open_fn open, open64;
	openat_fn openat, openat64;
	open2_fn open_2, open64_2;
	openat2_fn openat_2, openat64_2;
	ioctl_fn ioctl;
	close_fn close;
	dup_fn dup;
	dup2_fn dup2;
	dup3_fn dup3;
	fcntl_fn fcntl, fcntl64;
	mmap_fn mmap, mmap64;
	read_fn read;
	write_fn write;
	pread_fn pread, pread64;
	pwrite_fn pwrite, pwrite64;
	close_range_fn close_range;
	closefrom_fn closefrom;
	mremap_fn mremap;
} next;

#define NEXT(field, sym)                                                                       \
	(__atomic_load_n(&next.field, __ATOMIC_RELAXED) ?                                      \
		 next.field :                                                                  \
		 (__atomic_store_n(&next.field, (__typeof__(next.field))dlsym(RTLD_NEXT, sym), \
				   __ATOMIC_RELAXED),                                          \
		  next.field))

static void shim_scan_inherited(void);
static const struct shim_backend daemon_backend;
static const struct shim_backend *be = &daemon_backend; /* set once, at start */

/* $IOASID_BACKEND: "inproc" for the library in this process, else the daemon */
static void shim_pick_backend(void)
{
	const char *env = getenv("IOASID_BACKEND");

	if (env && !strcmp(env, "inproc"))
		be = &shim_inproc_backend;
}

__attribute__((constructor)) static void shim_init(void)
{
	NEXT(open, "open");
	NEXT(open64, "open64");
	NEXT(openat, "openat");
	NEXT(openat64, "openat64");
	NEXT(ioctl, "ioctl");
	NEXT(close, "close");
	NEXT(dup, "dup");
	NEXT(dup2, "dup2");
	NEXT(dup3, "dup3");
	NEXT(fcntl, "fcntl");
	NEXT(mmap, "mmap");
	NEXT(read, "read");
	NEXT(write, "write");
	NEXT(pread, "pread");
	NEXT(pread64, "pread64");
	NEXT(pwrite, "pwrite");
	NEXT(pwrite64, "pwrite64");
	NEXT(close_range, "close_range");
	NEXT(closefrom, "closefrom");
	shim_pick_backend();
	shim_vfio_setup(be == &shim_inproc_backend); /* VFIO devices: here, or the daemon's */
	if (be != &shim_inproc_backend)
		shim_scan_inherited();
	memmap_setup(be != &shim_inproc_backend); /* the daemon's pins need files (memmap.c) */
}

int shim_next_close(int fd)
{
	return NEXT(close, "close")(fd);
}

/* ---- the fd table ----------------------------------------------------------------------- */

static uint64_t fdt_get(int fd)
{
	if (fd < 0 || fd >= FDT_SIZE)
		return 0;
	return __atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED);
}

static void fdt_set(int fd, uint64_t ino)
{
	if (fd >= 0 && fd < FDT_SIZE)
		__atomic_store_n(&fd_ino[fd], ino, __ATOMIC_RELAXED);
}

static bool peer_is_daemon(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	char path[sizeof(sa.sun_path)];
	int type = 0;
	socklen_t tlen = sizeof(type);
	size_t n;

	struct ucred cr;
	socklen_t crlen = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) || type != SOCK_SEQPACKET)
		return false;
	/* a daemon of another user is nobody we talk to, whatever its path */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) || !ioasid_peer_uid_ok(cr.uid))
		return false;
	memset(&sa, 0, sizeof(sa));
	if (getpeername(fd, (struct sockaddr *)&sa, &len) || sa.sun_family != AF_UNIX)
		return false;
	if (!ioasid_socket_path(path, sizeof(path)) && !strncmp(sa.sun_path, path, sizeof(path)))
		return true;
	/* a daemon at another path (the fd came from a process with another IOASID_SOCKET) */
	n = strnlen(sa.sun_path, sizeof(sa.sun_path));
	return n >= 12 && !memcmp(sa.sun_path + n - 12, "ioasidd.sock", 12);
}

/* Is fd an iommufd? Trust the table only if the socket is still the same one. */
static bool fd_is_ours(int fd, unsigned long req)
{
	uint64_t ino = fdt_get(fd);
	struct stat st;

	if (!ino && _IOC_TYPE(req) != IOMMUFD_TYPE)
		return false;
	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode)) {
		if (ino)
			fdt_set(fd, 0);
		return false;
	}
	if (ino && st.st_ino == ino)
		return true;
	fdt_set(fd, 0);
	if (!peer_is_daemon(fd))
		return false;
	if (!daemon_pid) {
		struct ucred cr;
		socklen_t len = sizeof(cr);

		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
			daemon_pid = cr.pid;
	}
	if (fd >= FDT_SIZE)
		return true; /* served, just not remembered */
	fdt_set(fd, st.st_ino);
	shim_vfio_probe(fd); /* a VFIO file of the daemon's, received (vfio_remote.c)? */
	return true;
}

/* An fd received by SCM_RIGHTS that turns out to be one of the daemon's VFIO files. */
static bool vfio_received(int fd)
{
	return be == &daemon_backend && fd >= 0 && !fdt_get(fd) &&
	       fd_is_ours(fd, IOMMU_IOAS_ALLOC) && shim_vfio_is_ours(fd);
}

/*
 * Is fd, which the table says is an iommufd, still one? For the calls that act on the
 * table's word (read, write, mmap, close): a stale entry is cleared.
 */
static bool fd_still_ours(int fd)
{
	return fdt_get(fd) && fd_is_ours(fd, 0);
}

/* At start (after exec): the iommufds the program inherited. */
static void shim_scan_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) || fd >= FDT_SIZE)
			continue;
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode) || !peer_is_daemon(fd))
			continue;
		fdt_set(fd, st.st_ino);
		shim_vfio_probe(fd);
	}
	closedir(d);
}

static void nth_fd_copy(int from, int to);

static void fdt_copy(int from, int to)
{
	if (to >= 0 && to != from)
		fdt_set(to, fdt_get(from));
	nth_fd_copy(from, to);
	if (be->dup)
		be->dup(from, to);
	shim_vfio_dup(from, to);
}

/* ---- fault injection: fail-nth ----------------------------------------------------------- */

#define NTH_SLOTS 256

/* the fail-nth count of each thread that has one; a slot with tid 0 is free */
static struct {
	int32_t tid;
	uint32_t val;
} nth_tab[NTH_SLOTS];
static int nth_lock;
/*
 * For a fail-nth file we serve: the thread it names, + 1 (0 for any other fd), and the
 * memfd's inode. As with fd_ino, an entry is trusted only while fstat shows the same inode.
 */
static int32_t nth_fd[FDT_SIZE];
static uint64_t nth_fd_ino[FDT_SIZE];

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void nth_lock_take(void)
{
	while (__atomic_exchange_n(&nth_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void nth_lock_drop(void)
{
	__atomic_store_n(&nth_lock, 0, __ATOMIC_RELEASE);
}

static unsigned int nth_get(pid_t tid)
{
	unsigned int val = 0;

	nth_lock_take();
	for (int i = 0; i < NTH_SLOTS; i++) {
		if (nth_tab[i].tid == tid) {
			val = nth_tab[i].val;
			break;
		}
	}
	nth_lock_drop();
	return val;
}

/* 0, or -ENOMEM when every slot is taken by another thread */
static int nth_set(pid_t tid, unsigned int val)
{
	int i, free_slot = -1, rc = 0;

	nth_lock_take();
	for (i = 0; i < NTH_SLOTS; i++) {
		if (nth_tab[i].tid == tid)
			break;
		if (free_slot < 0 && !nth_tab[i].tid)
			free_slot = i;
	}
	if (i == NTH_SLOTS)
		i = free_slot;
	if (i >= 0) {
		nth_tab[i].tid = val ? tid : 0;
		nth_tab[i].val = val;
	} else if (val) {
		rc = -ENOMEM;
	}
	nth_lock_drop();
	return rc;
}

static void nth_fd_set(int fd, pid_t tid, uint64_t ino)
{
	if (fd >= 0 && fd < FDT_SIZE) {
		__atomic_store_n(&nth_fd_ino[fd], ino, __ATOMIC_RELAXED);
		__atomic_store_n(&nth_fd[fd], tid + 1, __ATOMIC_RELAXED);
	}
}

/* The thread a fail-nth file of ours names, or <= 0 for any other fd. */
static pid_t nth_fd_tid(int fd)
{
	struct stat st;
	pid_t tid;

	if (fd < 0 || fd >= FDT_SIZE)
		return 0;
	tid = __atomic_load_n(&nth_fd[fd], __ATOMIC_RELAXED) - 1;
	if (tid <= 0)
		return tid;
	if (fstat(fd, &st) || st.st_ino != __atomic_load_n(&nth_fd_ino[fd], __ATOMIC_RELAXED)) {
		nth_fd_set(fd, -1, 0); /* closed behind our back, the number reused */
		return -1;
	}
	return tid;
}

static void nth_fd_copy(int from, int to)
{
	pid_t tid = -1;
	uint64_t ino = 0;

	if (from >= 0 && from < FDT_SIZE) {
		tid = __atomic_load_n(&nth_fd[from], __ATOMIC_RELAXED) - 1;
		ino = __atomic_load_n(&nth_fd_ino[from], __ATOMIC_RELAXED);
	}
	if (to >= 0 && to != from)
		nth_fd_set(to, tid, tid > 0 ? ino : 0);
}

/* Parse a run of decimal digits at *p; 0 if there is none. */
static long parse_id(const char **p)
{
	long v = 0;

	if (**p < '0' || **p > '9')
		return 0;
	while (**p >= '0' && **p <= '9' && v < 1L << 30)
		v = v * 10 + (*(*p)++ - '0');
	return v;
}

/*
 * /proc/{self,<pid>}/fail-nth, /proc/{self,<pid>}/task/<tid>/fail-nth or
 * /proc/thread-self/fail-nth: the thread named, or 0 for any other path.
 */
static pid_t failnth_path_tid(const char *path)
{
	const char *p;
	pid_t tid;

	if (!path || strncmp(path, "/proc/", 6))
		return 0;
	p = path + 6;
	if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
		tid = my_tid();
	} else {
		if (!strncmp(p, "self/", 5)) {
			p += 5;
			tid = getpid();
		} else {
			tid = (pid_t)parse_id(&p);
			if (!tid || *p++ != '/')
				return 0;
		}
		if (!strncmp(p, "task/", 5)) {
			p += 5;
			tid = (pid_t)parse_id(&p);
			if (!tid || *p++ != '/')
				return 0;
		}
	}
	return strcmp(p, "fail-nth") ? 0 : tid;
}

/* A file under /sys/kernel/debug/fail*: absolute, or relative to a dirfd of the directory. */
static bool is_fault_debugfs_path(int dirfd, const char *path)
{
	static const char dir[] = "/sys/kernel/debug";
	char link[sizeof(dir) + 1];
	char proc[32];
	ssize_t n;

	if (!path)
		return false;
	if (path[0] == '/') {
		path += strspn(path, "/");
		if (strncmp(path, "sys/kernel/debug/", 17))
			return false;
		path += 17;
		path += strspn(path, "/");
		return !strncmp(path, "fail", 4) && strchr(path, '/');
	}
	if (strncmp(path, "fail", 4) || !strchr(path, '/') || dirfd == AT_FDCWD)
		return false;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	n = readlink(proc, link, sizeof(link));
	return n == (ssize_t)sizeof(dir) - 1 && !memcmp(link, dir, n);
}

/*
 * An emulated file: a memfd. A fail-nth file is marked with its thread, and read and
 * written through nth_read/nth_write; a debugfs fault-injection file just keeps what is
 * written to it.
 */
static int fake_open(const char *name, int flags, pid_t tid)
{
	int fd = memfd_create(name, flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
	struct stat st;

	if (fd < 0)
		return -1;
	if (tid && (fd >= FDT_SIZE || fstat(fd, &st))) {
		NEXT(close, "close")(fd);
		errno = EMFILE;
		return -1;
	}
	if (tid)
		nth_fd_set(fd, tid, st.st_ino);
	return fd;
}

/* read of a fail-nth file at off: the count, "%u\n", as the kernel's */
static ssize_t nth_read(pid_t tid, void *buf, size_t len, off_t off)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%u\n", nth_get(tid));

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (off >= n)
		return 0;
	if (len > (size_t)(n - off))
		len = n - off;
	memcpy(buf, text + off, len);
	return (ssize_t)len;
}

/* write of a fail-nth file: a number (decimal, 0x hex or 0 octal), an optional newline */
static ssize_t nth_write(pid_t tid, const void *buf, size_t len)
{
	char text[24], *end;
	unsigned long v;
	int rc;

	if (!len || len >= sizeof(text)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(text, buf, len);
	text[len] = 0;
	if (text[len - 1] == '\n')
		text[len - 1] = 0;
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || end == text || *end || text[0] == '-' || text[0] == '+' || v > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	rc = nth_set(tid, (unsigned int)v);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return (ssize_t)len;
}

/* ---- open ------------------------------------------------------------------------------- */

static bool is_iommu_path(const char *path)
{
	return path && !strcmp(path, "/dev/iommu");
}

static void yama_allow_daemon(pid_t me)
{

	if (yama_scope < 0) {
		char c = '0';
		int fd = NEXT(open, "open")("/proc/sys/kernel/yama/ptrace_scope",
					    O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (NEXT(read, "read")(fd, &c, 1) != 1)
				c = '0';
			NEXT(close, "close")(fd);
		}
		yama_scope = c - '0';
	}
	if (yama_scope > 0 && daemon_pid > 0 && ptracer_set_in != me) {
		prctl(PR_SET_PTRACER, daemon_pid, 0, 0, 0);
		ptracer_set_in = me;
	}
}

static int iommu_open(int flags)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *no_start = getenv("IOASID_NO_AUTOSTART");
	unsigned int cflags = 0;
	struct stat st;
	pid_t dpid = 0;
	int fd, rc;

	if ((flags & O_ACCMODE) != O_RDWR && (flags & O_ACCMODE) != O_RDONLY) {
		errno = EINVAL;
		return -1;
	}
	rc = ioasid_socket_path(path, sizeof(path));
	if (rc) {
		errno = -rc;
		return -1;
	}
	if (flags & O_CLOEXEC)
		cflags |= IOASID_CONNECT_CLOEXEC;
	if (!no_start || !*no_start || !strcmp(no_start, "0"))
		cflags |= IOASID_CONNECT_AUTOSTART;
	fd = ioasid_client_connect(path, cflags, NULL, &dpid);
	if (fd < 0) {
		if (getenv("IOASID_DEBUG"))
			fprintf(stderr, "libioasid-preload: cannot reach ioasidd at %s: %s\n", path,
				strerror(-fd));
		errno = fd == -ECONNREFUSED ? ENODEV : -fd;
		return -1;
	}
	if (fd >= FDT_SIZE) {
		int low =
			NEXT(fcntl, "fcntl")(fd, flags & O_CLOEXEC ? F_DUPFD_CLOEXEC : F_DUPFD, 3);

		NEXT(close, "close")(fd);
		if (low < 0 || low >= FDT_SIZE) {
			if (low >= 0)
				NEXT(close, "close")(low);
			errno = EMFILE;
			return -1;
		}
		fd = low;
	}
	if (fstat(fd, &st)) {
		NEXT(close, "close")(fd);
		errno = ENODEV;
		return -1;
	}
	daemon_pid = dpid;
	fdt_set(fd, st.st_ino);
	yama_allow_daemon(getpid());
	return fd;
}

/*
 * VFIO devices (vfio_view.c): an open of a device node gives its fd; a path under the VFIO
 * view is rewritten into the generated tree.
 */
#define VFIO_OPEN_HOOK(dirfd, path, flags)                             \
	char vfio_buf_[PATH_MAX];                                      \
	int vfio_fd_;                                                  \
	if (shim_vfio_open(dirfd, path, flags, &vfio_fd_))             \
		return vfio_fd_;                                       \
	if (shim_vfio_path(dirfd, path, vfio_buf_, sizeof(vfio_buf_))) \
		path = vfio_buf_;

static bool open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_BODY(call)                                    \
	do {                                               \
		mode_t mode = 0;                           \
		if (open_needs_mode(flags)) {              \
			va_list ap;                        \
			va_start(ap, flags);               \
			mode = va_arg(ap, mode_t);         \
			va_end(ap);                        \
		}                                          \
		if (is_iommu_path(path))                   \
			return be->open(flags);            \
		VFIO_OPEN_HOOK(dirfd, path, flags);        \
		if (is_emulated(dirfd, path))              \
			return emulated_open(path, flags); \
		return call;                               \
	} while (0)

static bool is_emulated(int dirfd, const char *path)
{
	return failnth_path_tid(path) || is_fault_debugfs_path(dirfd, path);
}

static int emulated_open(const char *path, int flags)
{
	pid_t tid = failnth_path_tid(path);

	return fake_open(tid ? "fail-nth" : "ioasid-fault-debugfs", flags, tid);
}

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	int dirfd = AT_FDCWD;

	OPEN_BODY(NEXT(open, "open")(path, flags, mode));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	int dirfd = AT_FDCWD;

	OPEN_BODY(NEXT(open64, "open64")(path, flags, mode));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(NEXT(openat, "openat")(dirfd, path, flags, mode));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(NEXT(openat64, "openat64")(dirfd, path, flags, mode));
}

/* the _FORTIFY_SOURCE entry points */
SHIM_EXPORT int __open_2(const char *path, int flags)
{
	if (is_iommu_path(path))
		return be->open(flags);
	VFIO_OPEN_HOOK(AT_FDCWD, path, flags);
	if (is_emulated(AT_FDCWD, path))
		return emulated_open(path, flags);
	return NEXT(open_2, "__open_2")(path, flags);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	if (is_iommu_path(path))
		return be->open(flags);
	VFIO_OPEN_HOOK(AT_FDCWD, path, flags);
	if (is_emulated(AT_FDCWD, path))
		return emulated_open(path, flags);
	return NEXT(open64_2, "__open64_2")(path, flags);
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (is_iommu_path(path))
		return be->open(flags);
	VFIO_OPEN_HOOK(dirfd, path, flags);
	if (is_emulated(dirfd, path))
		return emulated_open(path, flags);
	return NEXT(openat_2, "__openat_2")(dirfd, path, flags);
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (is_iommu_path(path))
		return be->open(flags);
	VFIO_OPEN_HOOK(dirfd, path, flags);
	if (is_emulated(dirfd, path))
		return emulated_open(path, flags);
	return NEXT(openat64_2, "__openat64_2")(dirfd, path, flags);
}

/* ---- ioctl ------------------------------------------------------------------------------ */

/* Read 4 bytes of the program at uptr without trusting it: 0, or -1 for a bad pointer. */
static int read_u32(unsigned long uptr, void *out)
{
	struct iovec l = { .iov_base = out, .iov_len = 4 };
	struct iovec r = { .iov_base = (void *)uptr, .iov_len = 4 };

	return process_vm_readv(ioasid_self_pid(), &l, 1, &r, 1, 0) == 4 ? 0 : -1;
}

/*
 * The program's fd for a command that takes one (MAP_FILE's fd, the access fd of the
 * selftest's access ops), read without trusting arg; *out_off is where it sits, or -1.
 */
static int input_fd(unsigned long req, unsigned long arg, int *out_off)
{
	uint32_t op = 0;
	int val;

	*out_off = -1;
	if (req == IOMMU_TEST_CMD && read_u32(arg + IOASID_PROTO_OP_OFFSET, &op))
		return IOASID_IN_FD_NONE; /* the daemon will find the same bad pointer */
	*out_off = ioasid_proto_in_fd(req, op);
	if (*out_off < 0)
		return IOASID_IN_FD_NONE;
	if (read_u32(arg + *out_off, &val))
		return IOASID_IN_FD_NONE;
	if (val < 0 || NEXT(fcntl, "fcntl")(val, F_GETFD) < 0)
		return IOASID_IN_FD_BAD;
	return val;
}

/* ---- call channels -------------------------------------------------------------------------- */

/*
 * The fast path (docs/daemon.md, "Call channels"): each process attaches, per iommufd fd it
 * calls on, a private channel to the connection's context, and each ioctl is then one
 * message there and one answer, the struct inline. fd_chan[fd] is that channel:
 *   busy   0, or the pid of the process whose thread is calling on it (atomic). A thread
 *          that finds it busy in its own process (another thread, or a signal handler
 *          interrupting a call) takes the per-call path on the connection instead: no wait,
 *          no deadlock. A pid of another process is a copy inherited by fork: free.
 *   pid    the process that attached it: a forked child sees another pid, closes its copy
 *          of the parent's channel (the parent's stays open) and attaches its own;
 *   conn   the connection's inode: an fd number that now names another iommufd drops it;
 *   ino    the channel's own inode, checked with fstat before every use and before closing
 *          it, so a program that closed it behind our back (close_range, a raw syscall) and
 *          reuses the number never has our message written into its file.
 */
struct shim_chan {
	int32_t busy;
	int32_t pid;
	int32_t fd1;	 /* the channel's fd + 1; 0: none */
	int32_t refused; /* the daemon will not attach one (too many, or too old): per call */
	uint64_t conn;
	uint64_t ino;
};
static struct shim_chan fd_chan[FDT_SIZE];

static bool chan_fd_same(const struct shim_chan *s)
{
	struct stat st;

	return s->fd1 && !fstat(s->fd1 - 1, &st) && S_ISSOCK(st.st_mode) && st.st_ino == s->ino;
}

/* Forget the slot's channel (held busy by us), closing it if it is still ours. */
static void chan_forget(struct shim_chan *s)
{
	if (chan_fd_same(s))
		NEXT(close, "close")(s->fd1 - 1);
	s->fd1 = 0;
	s->refused = 0;
}

/*
 * The shim is never built with ThreadSanitizer, so a program that is cannot see that the
 * busy flag's acquire and release order one thread's use of the channel fd before the
 * next's (TSan follows fds through libc). In such a program these name the edges for it;
 * everywhere else they are not there.
 */
extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));

static void chan_put(struct shim_chan *s)
{
	if (__tsan_release)
		__tsan_release(&s->busy);
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
}

/* Take fd's slot for process me: true, or false when a thread of ours holds it. */
static bool chan_take(struct shim_chan *s, pid_t me)
{
	int32_t v = __atomic_load_n(&s->busy, __ATOMIC_RELAXED);

	do {
		if (v == me)
			return false;
	} while (!__atomic_compare_exchange_n(&s->busy, &v, me, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	if (__tsan_acquire)
		__tsan_acquire(&s->busy);
	return true;
}

/*
 * The channel for a call on fd (an iommufd the caller just checked) by process me, with
 * its slot held: the channel fd, or -1 (the slot is not held then) for the per-call path.
 */
static int chan_get(int fd, pid_t me, struct shim_chan **out)
{
	uint64_t conn = fdt_get(fd);
	struct shim_chan *s;
	struct stat st;
	int ch;

	if (fd < 0 || fd >= FDT_SIZE || !conn)
		return -1;
	s = &fd_chan[fd];
	if (!chan_take(s, me))
		return -1;
	if ((s->fd1 || s->refused) && (s->pid != me || s->conn != conn))
		chan_forget(s); /* inherited from the parent, or another connection's */
	if (s->fd1 && !chan_fd_same(s))
		s->fd1 = 0; /* closed behind our back: the number is not ours to close */
	if (!s->fd1 && !s->refused) {
		ch = ioasid_client_attach(fd);
		s->pid = me;
		s->conn = conn;
		if (ch >= 0 && (ch >= FDT_SIZE || fstat(ch, &st))) {
			NEXT(close, "close")(ch);
			ch = -EMFILE;
		}
		if (ch < 0) {
			/* a daemon that refuses is asked again only for another fd or process */
			s->refused = ch == -EMFILE || ch == -EINVAL;
			chan_put(s);
			return -1;
		}
		s->ino = st.st_ino;
		s->fd1 = ch + 1;
	}
	if (s->refused) {
		chan_put(s);
		return -1;
	}
	*out = s;
	return s->fd1 - 1;
}

/* fd is closed (or another file now): its channel goes, unless a call is using it. */
static void chan_release_fd(int fd)
{
	struct shim_chan *s;

	if (fd < 0 || fd >= FDT_SIZE)
		return;
	s = &fd_chan[fd];
	if (!__atomic_load_n(&s->fd1, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&s->refused, __ATOMIC_RELAXED))
		return;
	if (!chan_take(s, ioasid_self_pid()))
		return; /* in use by another thread: found stale at its next use */
	chan_forget(s);
	chan_put(s);
}

/* the thread's id, cached per thread (gettid is a system call) and renewed after fork */
static __thread pid_t tid_cache, tid_pid;

static pid_t my_tid_in(pid_t me)
{
	if (tid_pid != me) {
		tid_cache = my_tid();
		tid_pid = me;
	}
	return tid_cache;
}

/* memory hand-over (memmap.c): on the call channel, or on the connection */
static int mem_send_chan(void *ctx, int memfd)
{
	return ioasid_chan_mem(*(int *)ctx, memfd);
}

static int mem_send_conn(void *ctx, int memfd)
{
	return ioasid_client_mem(*(int *)ctx, memfd);
}

static int forward_ioctl(int fd, unsigned long req, unsigned long arg)
{
	long ret = 0;
	int rc, off, in_fd, ch, err = 0;
	pid_t me = ioasid_self_pid(), tid = my_tid_in(me);
	unsigned int nth = nth_get(tid);
	struct shim_chan *s = NULL;

	yama_allow_daemon(me);
	in_fd = input_fd(req, arg, &off);
	ch = chan_get(fd, me, &s);
	/* a VFIO file's calls pin nothing by address (its PCI_HOT_RESET has MAP_DMA's number) */
	if (!shim_remote_is_ours(fd, NULL, NULL))
		memmap_handover(req, arg, ch >= 0 ? s->ino : 0,
				ch >= 0 ? mem_send_chan : mem_send_conn, ch >= 0 ? &ch : &fd);
	if (ch >= 0) {
		rc = ioasid_chan_ioctl(ch, req, arg, off, in_fd, &nth, &ret, &err);
		if (rc)
			chan_forget(s); /* a channel that failed is not used again */
		chan_put(s);
		if (!rc && err)
			rc = -err;
	} else {
		rc = ioasid_client_ioctl_nth(fd, req, arg, off, in_fd, &nth, &ret);
	}
	if (nth_get(tid) != nth)
		nth_set(tid, nth);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return (int)ret;
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (shim_vfio_is_ours(fd))
		return shim_vfio_ioctl(fd, req, arg);
	if (be->is_ours(fd, req)) {
		int rc;

		if (shim_vfio_is_ours(fd)) /* a VFIO file just recognized (SCM_RIGHTS) */
			return shim_vfio_ioctl(fd, req, arg);
		rc = be->ioctl(fd, req, arg);
		/* a vEVENTQ's fd: read() follows the kernel's rules (veventq.c) */
		if (!rc && req == IOMMU_VEVENTQ_ALLOC) {
			const struct iommu_veventq_alloc *q = (const void *)arg;

			shim_veventq_note((int)q->out_veventq_fd, q->type);
		}
		return rc;
	}
	return NEXT(ioctl, "ioctl")(fd, req, arg);
}

/* ---- close and the dup family -------------------------------------------------------------- */

/*
 * The close of an iommufd we know is synchronous, as the kernel's: the last one returns
 * once the daemon has freed the context (ioasid_client_close). One we never looked at (an
 * fd received and closed without an ioctl) is closed plainly; the context still goes, a
 * moment later.
 */
static int daemon_close(int fd)
{
	chan_release_fd(fd);
	if (fd_still_ours(fd)) {
		fdt_set(fd, 0);
		return ioasid_client_close(fd, NEXT(close, "close"), NULL);
	}
	fdt_set(fd, 0);
	return NEXT(close, "close")(fd);
}

SHIM_EXPORT int close(int fd)
{
	if (fd >= 0 && fd < FDT_SIZE && __atomic_load_n(&nth_fd[fd], __ATOMIC_RELAXED))
		nth_fd_set(fd, -1, 0);
	if (shim_vfio_is_ours(fd))
		return shim_vfio_close(fd);
	shim_veventq_forget(fd);
	return be->close(fd);
}

static void fdt_clear_range(unsigned int first, unsigned int last)
{
	for (unsigned int fd = first; fd <= last && fd < FDT_SIZE; fd++) {
		fdt_set((int)fd, 0);
		if (__atomic_load_n(&nth_fd[fd], __ATOMIC_RELAXED))
			nth_fd_set((int)fd, -1, 0);
	}
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	close_range_fn fn = NEXT(close_range, "close_range");
	int rc = fn ? fn(first, last, flags) : (int)syscall(SYS_close_range, first, last, flags);

	/* CLOSE_RANGE_CLOEXEC (4) only marks them */
	if (!rc && !(flags & 4)) {
		fdt_clear_range(first, last);
		be->forget(first, last);
		shim_vfio_forget(first, last);
		shim_veventq_forget_range(first, last);
	}
	return rc;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	closefrom_fn fn = NEXT(closefrom, "closefrom");

	if (lowfd < 0)
		lowfd = 0;
	if (fn)
		fn(lowfd);
	else
		syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0);
	fdt_clear_range((unsigned int)lowfd, ~0U);
	be->forget((unsigned int)lowfd, ~0U);
	shim_vfio_forget((unsigned int)lowfd, ~0U);
}

SHIM_EXPORT int dup(int fd)
{
	int n = NEXT(dup, "dup")(fd);

	if (n >= 0)
		fdt_copy(fd, n);
	return n;
}

SHIM_EXPORT int dup2(int fd, int to)
{
	int n = NEXT(dup2, "dup2")(fd, to);

	if (n >= 0)
		fdt_copy(fd, n);
	return n;
}

SHIM_EXPORT int dup3(int fd, int to, int flags)
{
	int n = NEXT(dup3, "dup3")(fd, to, flags);

	if (n >= 0)
		fdt_copy(fd, n);
	return n;
}

static int fcntl_common(fcntl_fn fn, int fd, int cmd, void *arg)
{
	int n = fn(fd, cmd, arg);

	if (n >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		fdt_copy(fd, n);
	return n;
}

/* fcntl's third argument is an int or a pointer; one word carries either */
SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	void *arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(NEXT(fcntl, "fcntl"), fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	void *arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(NEXT(fcntl64, "fcntl64"), fd, cmd, arg);
}

/* ---- what an iommufd does not do -------------------------------------------------------- */

/*
 * mmap of an iommufd: the region an object of the context offers (a vIOMMU's pages). The
 * kernel's checks come first, in its order: mmap(2)'s own (offset aligned, length not 0 nor
 * overflowing), then the iommufd's (shared only, EINVAL; never executable, EPERM; exactly
 * a region's offset and page-rounded length, ENXIO). Then the back end gives an fd of the
 * region (the daemon installs one in this process, IOASID_CTX_MMAP), which is mapped at
 * the program's address with its protection and flags, and closed: the mapping holds it,
 * and while it does the region's object is EBUSY to IOMMU_DESTROY.
 */
static void *shim_mmap_iommufd(mmap_fn next, void *addr, size_t len, int prot, int flags, int fd,
			       off_t off)
{
	const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	int type = flags & MAP_TYPE, err = 0, mfd;
	uint64_t alen;
	void *p;

	alen = ((uint64_t)len + pg - 1) & ~(pg - 1);
	if (off < 0 || (uint64_t)off & (pg - 1) || !len)
		err = EINVAL;
	else if (!alen)
		err = ENOMEM;
	else if ((uint64_t)off + alen < (uint64_t)off)
		err = EOVERFLOW;
	else if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		err = EINVAL;
	else if (prot & PROT_EXEC)
		err = EPERM;
	if (err) {
		errno = err;
		return MAP_FAILED;
	}
	if (!be->mmap_fd) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	mfd = be->mmap_fd(fd, (uint64_t)off, alen);
	if (mfd < 0)
		return MAP_FAILED;
	p = next(addr, len, prot, flags, mfd, 0);
	err = errno;
	shim_next_close(mfd);
	errno = err;
	return p;
}

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (shim_vfio_is_ours(fd))
		return shim_vfio_mmap(addr, len, prot, flags, fd, off);
	void *p;

	if (fd >= 0 && be->is_ours(fd, 0))
		return shim_mmap_iommufd(NEXT(mmap, "mmap"), addr, len, prot, flags, fd, off);
	p = memmap_mmap(NEXT(mmap, "mmap"), addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED && errno == ENODEV && vfio_received(fd))
		return shim_vfio_mmap(addr, len, prot, flags, fd, off);
	return p;
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (shim_vfio_is_ours(fd))
		return shim_vfio_mmap(addr, len, prot, flags, fd, off);
	void *p;

	if (fd >= 0 && be->is_ours(fd, 0))
		return shim_mmap_iommufd(NEXT(mmap64, "mmap64"), addr, len, prot, flags, fd, off);
	p = memmap_mmap(NEXT(mmap64, "mmap64"), addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED && errno == ENODEV && vfio_received(fd))
		return shim_vfio_mmap(addr, len, prot, flags, fd, off);
	return p;
}

/* mremap: the memory table (memmap.c) follows the mapping */
SHIM_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL, *p;
	va_list ap;

	va_start(ap, flags);
	if (flags & MREMAP_FIXED)
		want = va_arg(ap, void *);
	va_end(ap);
	p = NEXT(mremap, "mremap")(old, old_len, new_len, flags, want);
	if (p != MAP_FAILED)
		memmap_remapped(old, old_len, p, new_len);
	return p;
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	pid_t tid = nth_fd_tid(fd);

	if (be->is_ours(fd, 0) || shim_vfio_is_ours(fd)) {
		errno = EINVAL;
		return -1;
	}
	if (shim_veventq_is(fd))
		return shim_veventq_read(fd, buf, len, NEXT(read, "read"));
	if (tid > 0) {
		off_t off = lseek(fd, 0, SEEK_CUR);
		ssize_t n = nth_read(tid, buf, len, off);

		if (n > 0)
			lseek(fd, off + n, SEEK_SET);
		return n;
	}
	return NEXT(read, "read")(fd, buf, len);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	pid_t tid = nth_fd_tid(fd);

	if (be->is_ours(fd, 0) || shim_vfio_is_ours(fd)) {
		errno = EINVAL;
		return -1;
	}
	if (tid > 0)
		return nth_write(tid, buf, len);
	return NEXT(write, "write")(fd, buf, len);
}

static ssize_t pread_common(pread_fn fn, int fd, void *buf, size_t len, off_t off)
{
	pid_t tid = nth_fd_tid(fd);

	if (shim_vfio_is_ours(fd))
		return shim_vfio_pread(fd, buf, len, off);
	ssize_t n;

	if (tid > 0)
		return nth_read(tid, buf, len, off);
	n = fn(fd, buf, len, off);
	if (n < 0 && errno == ESPIPE && vfio_received(fd))
		return shim_vfio_pread(fd, buf, len, off);
	return n;
}

static ssize_t pwrite_common(pwrite_fn fn, int fd, const void *buf, size_t len, off_t off)
{
	pid_t tid = nth_fd_tid(fd);

	if (shim_vfio_is_ours(fd))
		return shim_vfio_pwrite(fd, buf, len, off);
	ssize_t n;

	if (tid > 0)
		return nth_write(tid, buf, len);
	n = fn(fd, buf, len, off);
	if (n < 0 && errno == ESPIPE && vfio_received(fd))
		return shim_vfio_pwrite(fd, buf, len, off);
	return n;
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return pread_common(NEXT(pread, "pread"), fd, buf, len, off);
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return pread_common(NEXT(pread64, "pread64"), fd, buf, len, off);
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite_common(NEXT(pwrite, "pwrite"), fd, buf, len, off);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite_common(NEXT(pwrite64, "pwrite64"), fd, buf, len, off);
}

/* ---- the daemon back end ------------------------------------------------------------------ */

/* the table says nothing about other fds: dups are copied by fdt_copy itself */
static void daemon_forget(unsigned int first, unsigned int last)
{
	/* the table itself fdt_clear_range did; their channels go (those still open) */
	for (unsigned int fd = first; fd <= last && fd < FDT_SIZE; fd++)
		chan_release_fd((int)fd);
}

/* a dup2/dup3 over `to` closed what it was: its channel goes (a new fd attaches its own) */
static void daemon_dup(int from, int to)
{
	if (to != from)
		chan_release_fd(to);
}

static int daemon_mmap_fd(int fd, uint64_t off, uint64_t len)
{
	struct ioasid_ctx_mmap m = { .size = sizeof(m), .offset = off, .length = len };

	return forward_ioctl(fd, IOASID_CTX_MMAP, (unsigned long)&m);
}

static const struct shim_backend daemon_backend = {
	.name = "daemon",
	.open = iommu_open,
	.is_ours = fd_is_ours,
	.ioctl = forward_ioctl,
	.close = daemon_close,
	.dup = daemon_dup,
	.forget = daemon_forget,
	.mmap_fd = daemon_mmap_fd,
};

/* ---- for vfio_remote.c: the daemon's VFIO files are connections too -------------------------- */

int shim_daemon_open(int flags)
{
	return iommu_open(flags);
}

int shim_daemon_ioctl(int fd, unsigned long req, unsigned long arg)
{
	return forward_ioctl(fd, req, arg);
}

int shim_daemon_close(int fd)
{
	return daemon_close(fd);
}

void shim_daemon_adopt(int fd)
{
	struct stat st;

	if (!fstat(fd, &st))
		fdt_set(fd, st.st_ino);
}

bool shim_daemon_is_iommufd(int fd)
{
	return fd_is_ours(fd, IOMMU_IOAS_ALLOC);
}
