/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inproc.c - the shim's in-process back end: /dev/iommu served inside the program itself.
 *
 * Chosen with ioasid-run --inproc ($IOASID_BACKEND=inproc). An open of /dev/iommu makes a
 * context of the library compiled into the shim and a "file" that owns it; the fd handed
 * back is a real eventfd, so that close, dup and close-on-exec behave as fds without help.
 * The table fds[] maps an fd number to its file; a file counts the fds naming it and frees
 * the context when the last one closes, as the kernel releases an iommufd's file. The shim
 * reports dups (dup, dup2, dup3, fcntl F_DUPFD*) and closes (close, close_range,
 * closefrom) here. Each entry also records the eventfd's inode and is trusted only while
 * fstat still shows it, so an fd closed behind our back (a raw syscall) and reused is not
 * mistaken for an iommufd.
 *
 * ioctl on one of our fds goes to ioasid_ioctl(). The core itself calls close() and
 * fcntl() on fds of its own (access fds, file pages); those reach the shim's wrappers and
 * pass through, so no table lock is ever held while the core runs.
 *
 * Limits, by construction (docs/daemon.md): fork gives the child a copy of the address
 * space, so its context is a copy (what the child maps the parent does not see; the
 * selftest's fork_gone and fork_present need the daemon); a received or inherited eventfd
 * is not an iommufd; the shim's fail-nth emulation is not wired to the in-process core.
 *
 * Locking: tbl_lock protects fds[] and the files' fd counts; it is never held across a call
 * into the core or into another library function that may come back here.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ioasid/ioasid.h"
#include "shim/backend.h"

#define INPROC_MAX_FDS 65536

struct inproc_file {
	struct ioasid_ctx *ctx;
	unsigned int nfds;  /* fds naming this file; tbl_lock */
	unsigned int holds; /* references of VFIO devices and groups bound to it; tbl_lock */
};

struct inproc_fd {
	struct inproc_file *file;
	ino_t ino;
	dev_t dev;
};

static pthread_mutex_t tbl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inproc_fd fds[INPROC_MAX_FDS]; /* tbl_lock */

static bool fd_in_range(int fd)
{
	return fd >= 0 && fd < INPROC_MAX_FDS;
}

/* The file fd names, or NULL; the entry is not trusted if the fd is not our eventfd now. */
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
	__atomic_store_n(&fds[fd].file, NULL, __ATOMIC_RELAXED);
	if (--f->nfds == 0 && !f->holds) {
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
	fds[newfd].ino = fds[oldfd].ino;
	fds[newfd].dev = fds[oldfd].dev;
	__atomic_store_n(&fds[newfd].file, f, __ATOMIC_RELAXED);
	f->nfds++;
}

static int inproc_open(int flags)
{
	struct inproc_file *f;
	struct ioasid_ctx *ctx;
	struct stat st;
	int fd, err;

	if ((flags & O_ACCMODE) != O_RDWR && (flags & O_ACCMODE) != O_RDONLY) {
		errno = EINVAL;
		return -1;
	}
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
	fds[fd].ino = st.st_ino;
	fds[fd].dev = st.st_dev;
	__atomic_store_n(&fds[fd].file, f, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&tbl_lock);
	return fd;

err_fd:
	shim_next_close(fd);
err_file:
	free(f);
err_ctx:
	ioasid_ctx_free(ctx);
	errno = err;
	return -1;
}

static bool inproc_is_ours(int fd, unsigned long req)
{
	struct inproc_file *f;

	(void)req;
	if (!fd_in_range(fd) || !__atomic_load_n(&fds[fd].file, __ATOMIC_RELAXED))
		return false; /* the cheap answer for every other fd */
	pthread_mutex_lock(&tbl_lock);
	f = fd_file_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	return f != NULL;
}

static int inproc_ioctl(int fd, unsigned long req, unsigned long arg)
{
	struct inproc_file *f;

	pthread_mutex_lock(&tbl_lock);
	f = fd_file_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	/* f stays valid: only a close of fd (by this program, not concurrently) frees it */
	if (!f) {
		errno = EBADF;
		return -1;
	}
	return ioasid_ioctl(f->ctx, req, (void *)arg);
}

static int inproc_close(int fd)
{
	struct ioasid_ctx *ctx;
	int rc, err;

	pthread_mutex_lock(&tbl_lock);
	ctx = fd_forget_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	rc = shim_next_close(fd);
	err = errno;
	if (ctx)
		ioasid_ctx_free(ctx);
	errno = err;
	return rc;
}

static void inproc_dup(int oldfd, int newfd)
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

static void inproc_forget(unsigned int first, unsigned int last)
{
	for (unsigned int fd = first; fd <= last && fd < INPROC_MAX_FDS; fd++) {
		struct ioasid_ctx *ctx;

		if (!__atomic_load_n(&fds[fd].file, __ATOMIC_RELAXED))
			continue;
		pthread_mutex_lock(&tbl_lock);
		ctx = fd_forget_locked((int)fd);
		pthread_mutex_unlock(&tbl_lock);
		if (ctx)
			ioasid_ctx_free(ctx);
	}
}

/*
 * For the VFIO devices (vfio_view.c): the context an iommufd fd names, held (as the kernel's
 * iommufd_ctx_get keeps the file) until shim_inproc_ctx_put. -EBADF: fd not open; -EBADFD:
 * not an iommufd of ours.
 */
int shim_inproc_ctx_get(int fd, struct ioasid_ctx **out_ctx, void **out_ref)
{
	struct inproc_file *f;

	pthread_mutex_lock(&tbl_lock);
	f = fd_file_locked(fd);
	if (f)
		f->holds++;
	pthread_mutex_unlock(&tbl_lock);
	if (!f)
		return fcntl(fd, F_GETFD) < 0 ? -EBADF : -EBADFD;
	*out_ctx = f->ctx;
	*out_ref = f;
	return 0;
}

void shim_inproc_ctx_put(void *ref)
{
	struct inproc_file *f = ref;
	struct ioasid_ctx *ctx = NULL;

	pthread_mutex_lock(&tbl_lock);
	if (--f->holds == 0 && !f->nfds) {
		ctx = f->ctx;
		free(f);
	}
	pthread_mutex_unlock(&tbl_lock);
	if (ctx)
		ioasid_ctx_free(ctx);
}

static int inproc_mmap_fd(int fd, uint64_t off, uint64_t len)
{
	struct ioasid_ctx *ctx;
	void *ref;
	int rc = shim_inproc_ctx_get(fd, &ctx, &ref);

	if (rc) {
		errno = -rc;
		return -1;
	}
	rc = ioasid_mmap_fd(ctx, off, len);
	shim_inproc_ctx_put(ref);
	return rc;
}

const struct shim_backend shim_inproc_backend = {
	.name = "inproc",
	.open = inproc_open,
	.is_ours = inproc_is_ours,
	.ioctl = inproc_ioctl,
	.close = inproc_close,
	.dup = inproc_dup,
	.forget = inproc_forget,
	.mmap_fd = inproc_mmap_fd,
};

bool shim_inproc_is_ours(int fd)
{
	return inproc_is_ours(fd, 0);
}
