/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backend.h - what serves an iommufd behind the shim: the daemon or this very process.
 *
 * The shim (shim.c) interposes the calls (open of /dev/iommu, ioctl, close, the dup
 * family, read, write, mmap) and asks one back end, chosen once per process from
 * $IOASID_BACKEND ("daemon", the default, or "inproc"; ioasid-run --inproc sets it):
 *   daemon  the fd is a connection to ioasidd (shim.c and src/proto): shared by fork, dup,
 *           SCM_RIGHTS and exec like a kernel file, served by another process;
 *   inproc  the fd is an eventfd standing for a context living in this process (inproc.c):
 *           no transport at all, the library called directly; fork gives the child a copy
 *           of the context, SCM_RIGHTS and exec an ordinary eventfd (docs/daemon.md).
 * Every function is called with no lock of the shim held. fd numbers are the program's.
 */
#ifndef IOASID_SHIM_BACKEND_H
#define IOASID_SHIM_BACKEND_H

#include <stdbool.h>

struct shim_backend {
	const char *name;
	/* open("/dev/iommu", flags): the new fd, or -1 with errno */
	int (*open)(int flags);
	/* Is fd one of ours (checked against the fd it was, not just a table)? req: the ioctl
	 * about to be served, 0 for any other call. */
	bool (*is_ours)(int fd, unsigned long req);
	/* ioctl on one of ours: ioctl(2)'s result with errno */
	int (*ioctl)(int fd, unsigned long req, unsigned long arg);
	/* close one of ours (or a stale one: it forgets it); close(2)'s result with errno */
	int (*close)(int fd);
	/* after a successful dup of from to to (which the kernel closed first) */
	void (*dup)(int from, int to);
	/* fds first..last were closed behind the shim (close_range, closefrom) */
	void (*forget)(unsigned int first, unsigned int last);
};

extern const struct shim_backend shim_inproc_backend;

/* shim.c: the next definitions, for the back ends */
int shim_next_close(int fd);

#endif
