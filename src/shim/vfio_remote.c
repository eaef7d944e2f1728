/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_remote.c - the VFIO files of the daemon back end: devices served by ioasidd.
 *
 * Under the daemon back end (plain ioasid-run) the view (vfio_view.c) shows the daemon's
 * platform, and an open of /dev/vfio/devices/vfioN or /dev/vfio/<group> is a connection to
 * the daemon that says IOASID_VFIO_OPEN first (src/proto/vfio_proto.h); /dev/vfio/vfio is
 * an iommufd, as /dev/iommu. The fd is the connection, so fork, dup, SCM_RIGHTS and the last
 * close are the kernel's file semantics, and the device model in the daemon serves every
 * process that holds it. Its ioctls are forwarded as an iommufd's are (shim.c), with what
 * the daemon cannot see staged first:
 *   BIND_IOMMUFD, GROUP_SET_CONTAINER: the iommufd's token (asked of that iommufd's own
 *     connection), or why the fd is none (EBADF: not open; EBADFD: not an iommufd);
 *   SET_IRQS with eventfds, IOEVENTFD, the low-power wake-up feature: each eventfd, by
 *     SCM_RIGHTS.
 *   PCI_HOT_RESET with group fds: each group's token (asked of that group's connection), or
 *     why the fd is none (EBADF: not open; EINVAL: not a group).
 * GROUP_GET_DEVICE_FD's fd is a connection opened here and claimed for the device
 * (IOASID_VFIO_CLAIM), its token staged for the group's call, like a cdev's a connection to
 * the daemon's socket: adopted here (and in shim.c's table). pread and pwrite are IOASID_VFIO_RW
 * calls on the program's buffer (at most 1 MiB a call; longer ones loop).
 *
 * mmap of a BAR: the daemon gives a read-only fd of the BAR's read pages, which the window
 * maps (src/devices/mmio.c, dev_window_map): loads are plain loads of memory the model in
 * the daemon keeps current; a store faults, and mmio.c's decoder (the same as in-process)
 * hands it to remote_access, which sends it as one IOASID_VFIO_RW INLINE call: the daemon
 * performs it as a store through a mapping (a doorbell starts the engine on its worker and
 * the call returns). A window holds a private duplicate of the device fd, so the device
 * stays open while it is mapped, as the kernel's mapping holds the file; munmap of the
 * window closes it. Forked children keep the windows (the read pages are the daemon's),
 * their stores are served as theirs.
 *
 * Table: rfd[fd] holds the socket's inode (0: not ours), kind and number; an entry is
 * trusted only while fstat shows the same socket, as shim.c's.
 */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "devices/devices.h"
#include "proto/proto.h"
#include "proto/vfio_proto.h"
#include "shim/backend.h"

#define RFD_MAX 65536

struct rfd {
	uint64_t ino;
	uint32_t kind;
	uint32_t num;
};
static struct rfd rfd[RFD_MAX];

/* fstat(2) itself: the shim's fstat comes back here (shim_vfio_fix_fstat) */
static int raw_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

static bool in_range(int fd)
{
	return fd >= 0 && fd < RFD_MAX;
}

static void rfd_set(int fd, uint64_t ino, uint32_t kind, uint32_t num)
{
	if (!in_range(fd))
		return;
	rfd[fd].kind = kind;
	rfd[fd].num = num;
	__atomic_store_n(&rfd[fd].ino, ino, __ATOMIC_RELEASE);
}

bool shim_remote_is_ours(int fd, uint32_t *kind, uint32_t *num)
{
	struct stat st;
	uint64_t ino;

	if (!in_range(fd))
		return false;
	ino = __atomic_load_n(&rfd[fd].ino, __ATOMIC_ACQUIRE);
	if (!ino)
		return false;
	if (raw_fstat(fd, &st) || st.st_ino != ino) {
		__atomic_store_n(&rfd[fd].ino, 0, __ATOMIC_RELAXED);
		return false;
	}
	if (kind)
		*kind = rfd[fd].kind;
	if (num)
		*num = rfd[fd].num;
	return true;
}

/* Remember fd (a daemon connection) as a VFIO file of ours. */
static int adopt(int fd, uint32_t kind, uint32_t num)
{
	struct stat st;

	if (!in_range(fd) || raw_fstat(fd, &st))
		return -EMFILE;
	shim_daemon_adopt(fd);
	rfd_set(fd, st.st_ino, kind, num);
	return 0;
}

static int call(int fd, unsigned long req, void *arg)
{
	int rc = shim_daemon_ioctl(fd, req, (unsigned long)arg);

	return rc < 0 ? -errno : rc;
}

int shim_remote_open(uint32_t kind, uint32_t num, int flags)
{
	struct ioasid_vfio_open o = { .size = sizeof(o), .kind = kind, .num = num };
	int fd = shim_daemon_open(O_RDWR | (flags & O_CLOEXEC)), rc;

	if (fd < 0)
		return -errno;
	rc = call(fd, IOASID_VFIO_OPEN, &o);
	if (!rc)
		rc = adopt(fd, kind, num);
	if (rc) {
		shim_daemon_close(fd);
		return rc;
	}
	return fd;
}

/* ---- ioctl ------------------------------------------------------------------------------- */

/* the program's memory, read without trusting it: 0 or -1 */
static int self_read(unsigned long uptr, void *dst, size_t len)
{
	struct iovec l = { .iov_base = dst, .iov_len = len };
	struct iovec r = { .iov_base = (void *)uptr, .iov_len = len };

	return process_vm_readv(ioasid_self_pid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Tell the daemon what the program's iommufd number `ifd` is. */
static int stage_ctx(int fd, int ifd)
{
	struct ioasid_vfio_stage s = { .size = sizeof(s), .fd = -1, .key = ifd };
	struct ioasid_ctx_token t = { .size = sizeof(t) };

	if (ifd < 0 || fcntl(ifd, F_GETFD) < 0)
		s.err = -EBADF;
	else if (shim_remote_is_ours(ifd, NULL, NULL) || !shim_daemon_is_iommufd(ifd) ||
		 call(ifd, IOASID_CTX_TOKEN, &t))
		s.err = -EBADFD;
	else
		memcpy(s.token, t.token, sizeof(s.token));
	return call(fd, IOASID_VFIO_STAGE_CTX, &s);
}

/*
 * Tell the daemon which VFIO group file the program's fd `gfd` is (hot reset's group fds):
 * its token, asked of the group's own connection, or why it is none (EBADF: not open;
 * EINVAL: not a group of ours, as the kernel's vfio_file_is_group). A group fd received by
 * SCM_RIGHTS is recognised here (shim_daemon_is_iommufd probes an unknown daemon socket).
 */
static int stage_group(int fd, int gfd)
{
	struct ioasid_vfio_stage s = { .size = sizeof(s), .fd = -1, .key = gfd };
	struct ioasid_vfio_token t = { .size = sizeof(t) };
	uint32_t kind = 0;

	if (gfd < 0 || fcntl(gfd, F_GETFD) < 0)
		s.err = -EBADF;
	else if (!shim_remote_is_ours(gfd, &kind, NULL) &&
		 (!shim_daemon_is_iommufd(gfd) || !shim_remote_is_ours(gfd, &kind, NULL)))
		s.err = -EINVAL;
	else if (kind != IOASID_VFIO_GROUP || call(gfd, IOASID_VFIO_TOKEN, &t))
		s.err = -EINVAL;
	else
		memcpy(s.token, t.token, sizeof(s.token));
	return call(fd, IOASID_VFIO_STAGE_FILE, &s);
}

/* Send the program's fd `efd` (an eventfd, the daemon checks) for the next call. */
static int stage_fd(int fd, int efd)
{
	struct ioasid_vfio_stage s = { .size = sizeof(s), .fd = efd, .key = efd };

	return call(fd, IOASID_VFIO_STAGE_FD, &s);
}

static int stage_for(int fd, uint32_t kind, unsigned long req, unsigned long arg)
{
	int32_t v;
	uint32_t u[2];

	if (kind == IOASID_VFIO_GROUP && req == VFIO_GROUP_SET_CONTAINER)
		return self_read(arg, &v, 4) ? 0 : stage_ctx(fd, v);
	if (kind != IOASID_VFIO_DEVICE)
		return 0;
	if (req == VFIO_DEVICE_BIND_IOMMUFD)
		return self_read(arg + 8, &v, 4) ? 0 : stage_ctx(fd, v);
	if (req == VFIO_DEVICE_SET_IRQS) {
		/* argsz, flags, index, start, count, then the data */
		uint32_t hdr[5];

		if (self_read(arg, hdr, sizeof(hdr)) || !(hdr[1] & VFIO_IRQ_SET_DATA_EVENTFD) ||
		    hdr[4] > IOASID_VFIO_STAGE_MAX || hdr[0] < 20 + 4ull * hdr[4])
			return 0; /* the daemon answers what the kernel would, or ENOSPC */
		for (uint32_t i = 0; i < hdr[4]; i++) {
			int rc;

			if (self_read(arg + 20 + 4 * i, &v, 4))
				return 0;
			if (v < 0)
				continue;
			rc = stage_fd(fd, v);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (req == VFIO_DEVICE_PCI_HOT_RESET) {
		/* argsz, flags, count, then the group fds; the daemon checks count first */
		uint32_t hdr[3];

		if (self_read(arg, hdr, sizeof(hdr)) || !hdr[2] || hdr[2] > IOASID_VFIO_STAGE_MAX)
			return 0;
		for (uint32_t i = 0; i < hdr[2]; i++) {
			int rc;

			if (self_read(arg + 12 + 4 * i, &v, 4))
				return 0; /* EFAULT from the daemon's read */
			rc = stage_group(fd, v);
			if (rc)
				return rc;
		}
		return 0;
	}
	/* argsz, flags, offset, data, then the eventfd */
	if (req == VFIO_DEVICE_IOEVENTFD && !self_read(arg + 24, &v, 4) && v >= 0)
		return stage_fd(fd, v);
	if (req == VFIO_DEVICE_FEATURE && !self_read(arg, u, 8) &&
	    (u[1] & VFIO_DEVICE_FEATURE_MASK) == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP &&
	    !self_read(arg + 8, &v, 4) && v >= 0)
		return stage_fd(fd, v);
	return 0;
}

/*
 * VFIO_GROUP_GET_DEVICE_FD: a new connection (close-on-exec, as the kernel's fd) claimed for
 * the device, its token staged on the group; the group's call gives it the device and
 * returns its number. Like a cdev's, it is a connection to the daemon's socket, so a
 * process that receives it (SCM_RIGHTS, exec) recognises it.
 */
static int get_device_fd(int fd, unsigned long arg)
{
	struct ioasid_vfio_stage s = { .size = sizeof(s), .fd = -1 };
	struct ioasid_vfio_token t = { .size = sizeof(t) };
	struct ioasid_vfio_what w = { .size = sizeof(w) };
	int dfd = shim_daemon_open(O_RDWR | O_CLOEXEC), rc, ret = -1;

	if (dfd < 0)
		return -1;
	rc = call(dfd, IOASID_VFIO_CLAIM, &t);
	if (!rc) {
		s.key = dfd;
		memcpy(s.token, t.token, sizeof(s.token));
		rc = call(fd, IOASID_VFIO_STAGE_FILE, &s);
	}
	if (!rc) {
		ret = shim_daemon_ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, arg);
		rc = ret < 0 ? -errno : ret != dfd ? -EIO : 0;
	}
	if (!rc)
		rc = call(dfd, IOASID_VFIO_WHAT, &w);
	if (!rc)
		rc = adopt(dfd, w.kind, w.num);
	if (rc) {
		shim_daemon_close(dfd);
		errno = -rc;
		return -1;
	}
	return dfd;
}

int shim_remote_ioctl(int fd, uint32_t kind, unsigned long req, unsigned long arg)
{
	int rc;

	if (kind == IOASID_VFIO_GROUP && req == VFIO_GROUP_GET_DEVICE_FD)
		return get_device_fd(fd, arg);
	rc = stage_for(fd, kind, req, arg);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return shim_daemon_ioctl(fd, req, arg);
}

/* ---- pread, pwrite ------------------------------------------------------------------------ */

ssize_t shim_remote_rw(int fd, void *buf, size_t len, off_t off, bool write)
{
	size_t done = 0;

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	do {
		struct ioasid_vfio_rw rw = {
			.size = sizeof(rw),
			.flags = write ? IOASID_VFIO_RW_WRITE : 0,
			.off = (uint64_t)off + done,
			.buf = (uint64_t)(uintptr_t)buf + done,
			.len = len - done,
		};
		int n = shim_daemon_ioctl(fd, IOASID_VFIO_RW, (unsigned long)&rw);

		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
		if (!n || (size_t)n < IOASID_VFIO_RW_MAX)
			break;
	} while (done < len);
	return (ssize_t)done;
}

/* ---- BAR windows -------------------------------------------------------------------------- */

/* A window's store (or trapped load): the daemon's model does it, as through its mapping. */
static int remote_access(void *opaque, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t *val, bool write)
{
	struct ioasid_vfio_rw rw = {
		.size = sizeof(rw),
		.flags = IOASID_VFIO_RW_INLINE | (write ? IOASID_VFIO_RW_WRITE : 0),
		.off = (uint64_t)bar << 40 | off,
		.len = size,
		.val = *val,
	};
	int hold = (int)(intptr_t)opaque - 1;

	if (shim_daemon_ioctl(hold, IOASID_VFIO_RW, (unsigned long)&rw) < 0)
		return -1;
	*val = rw.val;
	return 0;
}

static void remote_release(void *opaque)
{
	int hold = (int)(intptr_t)opaque - 1;

	if (in_range(hold))
		rfd_set(hold, 0, 0, 0);
	shim_daemon_close(hold);
}

static const struct dev_window_ops remote_ops = {
	.access = remote_access,
	.release = remote_release,
};

void *shim_remote_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
	struct ioasid_vfio_mmap m = { .size = sizeof(m), .off = (uint64_t)off, .len = len };
	uint32_t kind = 0, num = 0;
	void *out = MAP_FAILED;
	int hold, rc;

	if (!(flags & MAP_SHARED) || off < 0 || (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	shim_remote_is_ours(fd, &kind, &num);
	rc = call(fd, IOASID_VFIO_MMAP, &m);
	if (rc) {
		errno = -rc;
		return MAP_FAILED;
	}
	/* the window's own reference to the device file */
	hold = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (hold < 0 || adopt(hold, kind, num)) {
		if (hold >= 0)
			shim_next_close(hold);
		if (m.fd >= 0)
			shim_next_close(m.fd);
		errno = EMFILE;
		return MAP_FAILED;
	}
	rc = dev_window_map(&remote_ops, (void *)(intptr_t)(hold + 1),
			    (unsigned int)((uint64_t)off >> 40), (uint64_t)off & ((1ull << 40) - 1),
			    len, m.bar_size, prot, m.fd, &out);
	if (m.fd >= 0)
		shim_next_close(m.fd);
	if (rc) {
		remote_release((void *)(intptr_t)(hold + 1));
		errno = -rc;
		return MAP_FAILED;
	}
	return out;
}

/* ---- close, dup --------------------------------------------------------------------------- */

int shim_remote_close(int fd)
{
	rfd_set(fd, 0, 0, 0);
	return shim_daemon_close(fd);
}

void shim_remote_dup(int from, int to)
{
	uint32_t kind, num;

	if (from == to || !in_range(to))
		return;
	if (shim_remote_is_ours(from, &kind, &num))
		rfd_set(to, rfd[from].ino, kind, num);
	else
		rfd_set(to, 0, 0, 0);
}

void shim_remote_forget(unsigned int first, unsigned int last)
{
	for (unsigned int fd = first; fd <= last && fd < RFD_MAX; fd++)
		if (__atomic_load_n(&rfd[fd].ino, __ATOMIC_RELAXED))
			rfd_set((int)fd, 0, 0, 0);
}

/* A daemon connection found by shim.c (received, inherited): remembered if a VFIO file. */
void shim_remote_probe(int fd)
{
	struct ioasid_vfio_what w = { .size = sizeof(w) };
	int err = errno;

	if (!call(fd, IOASID_VFIO_WHAT, &w))
		adopt(fd, w.kind, w.num);
	errno = err;
}

/* The daemon's platform as text (malloc'd, NUL-terminated), or NULL. */
char *shim_remote_platform(void)
{
	struct ioasid_platform_get g = { .size = sizeof(g) };
	char *text = NULL;
	int fd = shim_daemon_open(O_RDWR | O_CLOEXEC), n;

	if (fd < 0)
		return NULL;
	n = call(fd, IOASID_PLATFORM_GET, &g);
	if (n > 0 && n < (64 << 20)) {
		text = calloc(1, (size_t)n + 1);
		g.buf = (uint64_t)(uintptr_t)text;
		g.len = (uint64_t)n;
		if (text && call(fd, IOASID_PLATFORM_GET, &g) != n) {
			free(text);
			text = NULL;
		}
	}
	shim_daemon_close(fd);
	return text;
}
