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
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	/* mmap of one of ours: an fd of the region at exactly (off, len), to be mapped at file
	 * offset 0 and closed; -1 with errno (ENXIO: no such region) */
	int (*mmap_fd)(int fd, uint64_t off, uint64_t len);
};

extern const struct shim_backend shim_inproc_backend;

/* shim.c: the next definitions, for the back ends */
int shim_next_close(int fd);

/* inproc.c, for vfio_view.c: the context behind an in-process iommufd fd, held */
struct ioasid_ctx;
int shim_inproc_ctx_get(int fd, struct ioasid_ctx **out_ctx, void **out_ref);
void shim_inproc_ctx_put(void *ref);
bool shim_inproc_is_ours(int fd);

/*
 * vfio_view.c: the VFIO devices of the in-process back end (docs/devices.md, "VFIO"). Every
 * hook is a no-op answer (false, NULL) under the daemon back end.
 *
 * shim_vfio_path: the path to use instead of path (dirfd as given), in buf, or NULL to
 * leave it alone: /sys/bus/pci/devices, /sys/bus/pci/drivers/vfio-pci, /sys/devices/pci*
 * /<our BDF>, /sys/kernel/iommu_groups and /dev/vfio go to the generated tree.
 * shim_vfio_open: *out_fd for an open of a device node (path as the program gave it);
 * false if path is not one.
 */
/* inproc: the devices are served in this process; else by the daemon (vfio_remote.c) */
void shim_vfio_setup(bool inproc);
const char *shim_vfio_path(int dirfd, const char *path, char *buf, size_t len);
bool shim_vfio_open(int dirfd, const char *path, int flags, int *out_fd);
bool shim_vfio_is_ours(int fd);
/* fd was just found to be a daemon connection (received, inherited): is it a VFIO file? */
void shim_vfio_probe(int fd);
int shim_vfio_ioctl(int fd, unsigned long req, unsigned long arg);
ssize_t shim_vfio_pread(int fd, void *buf, size_t len, off_t off);
ssize_t shim_vfio_pwrite(int fd, const void *buf, size_t len, off_t off);
void *shim_vfio_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int shim_vfio_close(int fd);
void shim_vfio_dup(int from, int to);
void shim_vfio_forget(unsigned int first, unsigned int last);
/* After a stat of a rewritten path (or of one of our fds): device nodes as char devices. */
struct stat;
void shim_vfio_fix_stat(const char *real_path, struct stat *st);
void shim_vfio_fix_fstat(int fd, struct stat *st);

/*
 * shim.c, the daemon back end for vfio_remote.c (whatever back end the process uses for
 * /dev/iommu, these talk to the daemon): open a connection as for /dev/iommu (the fd, or -1
 * with errno), forward an ioctl on it, close it synchronously, remember an fd the daemon
 * installed as one of its connections, and tell whether fd is an iommufd connection.
 */
int shim_daemon_open(int flags);
int shim_daemon_ioctl(int fd, unsigned long req, unsigned long arg);
int shim_daemon_close(int fd);
void shim_daemon_adopt(int fd);
bool shim_daemon_is_iommufd(int fd);

/*
 * vfio_remote.c: the VFIO files of the daemon back end (docs/devices.md, "Devices in the
 * daemon"). Each returns what the call it stands for returns (-1 with errno), except
 * shim_remote_open (the fd or -errno).
 */
#include <stdint.h>
int shim_remote_open(uint32_t kind, uint32_t num, int flags);
bool shim_remote_is_ours(int fd, uint32_t *kind, uint32_t *num);
int shim_remote_ioctl(int fd, uint32_t kind, unsigned long req, unsigned long arg);
ssize_t shim_remote_rw(int fd, void *buf, size_t len, off_t off, bool write);
void *shim_remote_mmap(int fd, size_t len, int prot, int flags, off_t off);
int shim_remote_close(int fd);
void shim_remote_dup(int from, int to);
void shim_remote_forget(unsigned int first, unsigned int last);
char *shim_remote_platform(void);
void shim_remote_probe(int fd);

#endif
