/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inproc_preload.c - /dev/iommu served inside the program itself, for conformance work.
 *
 * A test tool, not the product: libioasid-preload.so (src/shim) with the daemon is how an
 * unmodified program meets ioasid. This library is loaded with LD_PRELOAD
 * (tests/conformance/run-inproc.sh) and answers /dev/iommu from a context living in the
 * program's own address space, so the core and the mock layer can be checked against the
 * kernel's own selftest without a daemon, and a failed assertion can be debugged in one
 * process.
 *
 * Files and fds. An open of exactly "/dev/iommu" (open, openat, their 64-bit and fortified
 * forms) makes a context and a "file" that owns it; the fd handed back is a real eventfd,
 * so that close, dup and exec's close-on-exec need no help from us to behave as fds. The
 * table fds[] maps an fd number to its file; a file counts the fds naming it and frees the
 * context when the last one closes, as the kernel releases an iommufd's file. dup, dup2,
 * dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC) copy a table entry; close drops one. Each entry
 * also records the eventfd's inode, and is trusted only while fstat still shows it, so an
 * fd closed behind our back (close_range, a raw syscall) and reused is not mistaken for an
 * iommufd.
 *
 * ioctl on one of our fds goes to ioasid_ioctl(); anything else goes to the next ioctl.
 * The core itself calls close() and fcntl() on fds of its own (access fds, file pages);
 * those reach our wrappers too and pass through, so no table lock is ever held while the
 * core runs.
 *
 * Limits, by construction:
 *  - fork: the child gets a copy of the address space, so its context is a copy. What the
 *    child maps is not seen by the parent, and the pages a child pins are its own copies.
 *    The selftest's fork_gone and fork_present cannot pass in this mode; they need the
 *    daemon, where the fd is a connection shared by both processes.
 *  - SCM_RIGHTS and exec: a received or inherited eventfd is not an iommufd here.
 *  - no kernel fault injection emulation (iommufd_fail_nth is not run this way).
 *
 * Locking: tbl_lock protects fds[] and the files' fd counts; it is never held across a
 * call into the core or into another library function that may come back here.
 */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ioasid/ioasid.h"

#define INPROC_EXPORT  __attribute__((visibility("default")))
#define INPROC_MAX_FDS 65536

struct inproc_file {
	struct ioasid_ctx *ctx;
	unsigned int nfds; /* fds naming this file; tbl_lock */
};

struct inproc_fd {
	struct inproc_file *file;
	ino_t ino;
	dev_t dev;
};

static pthread_mutex_t tbl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inproc_fd fds[INPROC_MAX_FDS];

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
} next;

static pthread_once_t next_once = PTHREAD_ONCE_INIT;

static void next_resolve(void)
{
#define NEXT(field, name) next.field = (__typeof__(next.field))dlsym(RTLD_NEXT, name)
	NEXT(open, "open");
	NEXT(open64, "open64");
	NEXT(openat, "openat");
	NEXT(openat64, "openat64");
	NEXT(open_2, "__open_2");
	NEXT(open64_2, "__open64_2");
	NEXT(openat_2, "__openat_2");
	NEXT(openat64_2, "__openat64_2");
	NEXT(ioctl, "ioctl");
	NEXT(close, "close");
	NEXT(dup, "dup");
	NEXT(dup2, "dup2");
	NEXT(dup3, "dup3");
	NEXT(fcntl, "fcntl");
	NEXT(fcntl64, "fcntl64");
#undef NEXT
}

static void next_init(void)
{
	pthread_once(&next_once, next_resolve);
}

static bool fd_in_range(int fd)
{
	return fd >= 0 && fd < INPROC_MAX_FDS;
}

/* The file fd names, or NULL; the entry is dropped if the fd is no longer our eventfd. */
static struct inproc_file *fd_file_locked(int fd)
{
	struct inproc_fd *e;
	struct stat st;

	if (!fd_in_range(fd) || !fds[fd].file)
		return NULL;
	e = &fds[fd];
	if (fstat(fd, &st) || st.st_ino != e->ino || st.st_dev != e->dev)
		return NULL;
	return e->file;
}

/* Drop one fd's reference; returns the context to free (outside the lock) or NULL. */
static struct ioasid_ctx *fd_forget_locked(int fd)
{
	struct inproc_file *f;
	struct ioasid_ctx *ctx = NULL;

	if (!fd_in_range(fd) || !fds[fd].file)
		return NULL;
	f = fds[fd].file;
	fds[fd].file = NULL;
	if (--f->nfds == 0) {
		ctx = f->ctx;
		free(f);
	}
	return ctx;
}

/* Record newfd as another fd of f (newfd already a copy of one of f's fds). */
static void fd_link_locked(int newfd, struct inproc_file *f, int oldfd)
{
	if (!fd_in_range(newfd))
		return;
	fds[newfd].file = f;
	fds[newfd].ino = fds[oldfd].ino;
	fds[newfd].dev = fds[oldfd].dev;
	f->nfds++;
}

static bool is_dev_iommu(const char *path)
{
	return path && !strcmp(path, "/dev/iommu");
}

static int inproc_open(int flags)
{
	struct inproc_file *f;
	struct ioasid_ctx *ctx;
	struct stat st;
	int fd, err;

	if (ioasid_ctx_new(NULL, &ctx))
		return -1;
	f = calloc(1, sizeof(*f));
	if (!f) {
		err = ENOMEM;
		goto err_ctx;
	}
	fd = eventfd(0, (flags & O_CLOEXEC) ? EFD_CLOEXEC : 0);
	if (fd < 0) {
		err = errno;
		goto err_file;
	}
	if (!fd_in_range(fd) || fstat(fd, &st)) {
		err = EMFILE;
		goto err_fd;
	}
	f->ctx = ctx;
	f->nfds = 1;
	pthread_mutex_lock(&tbl_lock);
	fds[fd].file = f;
	fds[fd].ino = st.st_ino;
	fds[fd].dev = st.st_dev;
	pthread_mutex_unlock(&tbl_lock);
	return fd;

err_fd:
	next.close(fd);
err_file:
	free(f);
err_ctx:
	ioasid_ctx_free(ctx);
	errno = err;
	return -1;
}

static mode_t open_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | __O_TMPFILE))
		return va_arg(ap, mode_t);
	return 0;
}

INPROC_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next.open(path, flags, mode);
}

INPROC_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next.open64(path, flags, mode);
}

INPROC_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next.openat(dirfd, path, flags, mode);
}

INPROC_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next.openat64(dirfd, path, flags, mode);
}

INPROC_EXPORT int __open_2(const char *path, int flags)
{
	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	return next.open_2(path, flags);
}

INPROC_EXPORT int __open64_2(const char *path, int flags)
{
	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	return next.open64_2(path, flags);
}

INPROC_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	return next.openat_2(dirfd, path, flags);
}

INPROC_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	next_init();
	if (is_dev_iommu(path))
		return inproc_open(flags);
	return next.openat64_2(dirfd, path, flags);
}

INPROC_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct inproc_file *f;
	va_list ap;
	void *arg;

	next_init();
	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&tbl_lock);
	f = fd_file_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	/* f stays valid: only a close of fd (by this program, not concurrently) frees it */
	if (f)
		return ioasid_ioctl(f->ctx, request, arg);
	return next.ioctl(fd, request, arg);
}

INPROC_EXPORT int close(int fd)
{
	struct ioasid_ctx *ctx;
	int rc;

	next_init();
	/* a stale entry (closed behind our back) is dropped all the same */
	pthread_mutex_lock(&tbl_lock);
	ctx = fd_forget_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	rc = next.close(fd);
	if (ctx)
		ioasid_ctx_free(ctx);
	return rc;
}

/* After a successful duplication of oldfd to newfd (which the kernel closed first). */
static void dup_done(int oldfd, int newfd)
{
	struct ioasid_ctx *ctx;
	struct inproc_file *f;

	pthread_mutex_lock(&tbl_lock);
	/* newfd's previous file lost this fd when the kernel closed it */
	ctx = oldfd != newfd ? fd_forget_locked(newfd) : NULL;
	f = fd_file_locked(oldfd);
	if (f && oldfd != newfd)
		fd_link_locked(newfd, f, oldfd);
	pthread_mutex_unlock(&tbl_lock);
	if (ctx)
		ioasid_ctx_free(ctx);
}

INPROC_EXPORT int dup(int oldfd)
{
	int fd;

	next_init();
	fd = next.dup(oldfd);
	if (fd >= 0)
		dup_done(oldfd, fd);
	return fd;
}

INPROC_EXPORT int dup2(int oldfd, int newfd)
{
	int fd;

	next_init();
	fd = next.dup2(oldfd, newfd);
	if (fd >= 0)
		dup_done(oldfd, fd);
	return fd;
}

INPROC_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int fd;

	next_init();
	fd = next.dup3(oldfd, newfd, flags);
	if (fd >= 0)
		dup_done(oldfd, fd);
	return fd;
}

static int fcntl_common(fcntl_fn fn, int fd, int cmd, void *arg)
{
	int rc = fn(fd, cmd, arg);

	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		dup_done(fd, rc);
	return rc;
}

INPROC_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	next_init();
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(next.fcntl, fd, cmd, arg);
}

INPROC_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	next_init();
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(next.fcntl64 ? next.fcntl64 : next.fcntl, fd, cmd, arg);
}
