/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_view.c - what a program sees of the VFIO devices under the in-process back end.
 *
 * The devices of the platform (src/platform: the default, or the file $IOASID_PLATFORM
 * names) are served by src/vfio inside the program. This file makes them visible:
 *
 * Paths. On the first look-up of one of the kernel's VFIO paths, a private directory is made
 * ($XDG_RUNTIME_DIR or /tmp, ioasid-vfio-XXXXXX, 0700) and src/vfio writes the sysfs and /dev
 * tree into it (vfio_sysfs_build). From then on, a path that starts with /dev/vfio,
 * /sys/bus/pci/devices, /sys/bus/pci/drivers/vfio-pci, /sys/kernel/iommu_groups or
 * /sys/devices/pci<SSSS>:<BB>/<BDF> of one of our devices is rewritten into the tree, for
 * the calls that take paths: open family, fopen, stat family, access, readlink, opendir,
 * the xattr reads.
 * Since the tree is a real one, listings, stat, readlink and open agree without a special
 * case per call, and the links (relative, as the kernel's) resolve inside it. Only the
 * device nodes need help: they are empty files in the tree, and stat reports them as the
 * character devices they stand for (VFIO_*_MAJOR of src/vfio/vfio.h; /dev/vfio/vfio 10:196).
 * Nothing outside these prefixes changes; the real /sys/bus/pci/devices is hidden while the
 * view is on. The tree is removed when the process that made it exits (a forked child uses
 * its parent's; an exec'd program makes its own).
 *
 * Device nodes. open of /dev/vfio/devices/vfioN or /dev/vfio/<group> gives a real eventfd
 * (so close-on-exec, dup and close behave as fds) that a table here maps to its src/vfio
 * file; ioctl, pread, pwrite, mmap, fstat and close of that fd come here (the hooks in
 * shim.c), and every other call sees an eventfd. An entry is trusted only while fstat still
 * shows its eventfd (as inproc.c does). /dev/vfio/vfio, the container, opens an in-process
 * iommufd (the type1 calls are the core's VFIO compatibility). read and write of a device
 * fd are EINVAL here (the kernel's use the file position; pread and pwrite are served).
 *
 * Under the daemon back end the view shows the daemon's platform (asked of the daemon,
 * IOASID_PLATFORM_GET, on the first look-up) and the nodes open files served by the daemon
 * (vfio_remote.c); /dev/vfio/vfio is then an iommufd of the daemon. If no daemon answers,
 * the paths are the system's.
 *
 * Locking: tbl_lock protects fds[]; it is never held across a call into src/vfio.
 */
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat64 is stat");

#include "devices/devices.h"
#include "platform/platform.h"
#include "shim/backend.h"
#include "shim/memmap.h"
#include "vfio/vfio.h"

#define SHIM_EXPORT  __attribute__((visibility("default")))
#define VFD_MAX	     65536
#define VIEW_MAX_DEV PLATFORM_MAX_DEVICES

enum vnode { VNODE_NONE, VNODE_CONTAINER, VNODE_GROUP, VNODE_DEVICE };

struct vfd {
	struct vfio_file *f;
	ino_t ino;
	dev_t dev;
	enum vnode kind;
	unsigned int num;
};

static bool active;
static bool remote; /* the daemon serves the devices (vfio_remote.c) */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct vfio_sys *sys;
static struct platform *loaded;
static char root[PATH_MAX / 2];
static size_t root_len;
static pid_t creator;
static char devpaths[VIEW_MAX_DEV][48]; /* "/sys/devices/pciSSSS:BB/SSSS:BB:DD.F" */
static unsigned int nr_devpaths;

static pthread_mutex_t tbl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfd fds[VFD_MAX]; /* tbl_lock */

/* ---- the next definitions of the calls this file interposes ------------------------------ */

#define NEXT_FN(type, name)                                                                     \
	static type next_##name(void)                                                           \
	{                                                                                       \
		static type fn;                                                                 \
		if (!__atomic_load_n(&fn, __ATOMIC_RELAXED))                                    \
			__atomic_store_n(&fn, (type)dlsym(RTLD_NEXT, #name), __ATOMIC_RELAXED); \
		return fn;                                                                      \
	}

typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*statx_fn)(int, const char *, int, unsigned int, struct statx *);
typedef int (*access_fn)(const char *, int);
typedef int (*faccessat_fn)(int, const char *, int, int);
typedef ssize_t (*readlink_fn)(const char *, char *, size_t);
typedef ssize_t (*readlinkat_fn)(int, const char *, char *, size_t);
typedef DIR *(*opendir_fn)(const char *);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef ssize_t (*getxattr_fn)(const char *, const char *, void *, size_t);
typedef ssize_t (*listxattr_fn)(const char *, char *, size_t);
typedef int (*munmap_fn)(void *, size_t);

NEXT_FN(munmap_fn, munmap)
NEXT_FN(stat_fn, stat)
NEXT_FN(stat_fn, stat64)
NEXT_FN(stat_fn, lstat)
NEXT_FN(stat_fn, lstat64)
NEXT_FN(fstat_fn, fstat)
NEXT_FN(fstat_fn, fstat64)
NEXT_FN(fstatat_fn, fstatat)
NEXT_FN(fstatat_fn, fstatat64)
NEXT_FN(statx_fn, statx)
NEXT_FN(access_fn, access)
NEXT_FN(faccessat_fn, faccessat)
NEXT_FN(readlink_fn, readlink)
NEXT_FN(readlinkat_fn, readlinkat)
NEXT_FN(opendir_fn, opendir)
NEXT_FN(fopen_fn, fopen)
NEXT_FN(fopen_fn, fopen64)
NEXT_FN(getxattr_fn, getxattr)
NEXT_FN(getxattr_fn, lgetxattr)
NEXT_FN(listxattr_fn, listxattr)
NEXT_FN(listxattr_fn, llistxattr)

/* ---- the fd table -------------------------------------------------------------------------- */

static bool fd_in_range(int fd)
{
	return fd >= 0 && fd < VFD_MAX;
}

/* The file fd names with a reference for the caller, or NULL. */
static struct vfio_file *vfd_get(int fd, struct vfd *out)
{
	struct vfio_file *f = NULL;
	struct stat st;

	if (!fd_in_range(fd) || !__atomic_load_n(&fds[fd].f, __ATOMIC_RELAXED))
		return NULL;
	if (next_fstat()(fd, &st))
		return NULL;
	pthread_mutex_lock(&tbl_lock);
	if (fds[fd].f && st.st_ino == fds[fd].ino && st.st_dev == fds[fd].dev) {
		f = fds[fd].f;
		vfio_file_get(f);
		if (out)
			*out = fds[fd];
	}
	pthread_mutex_unlock(&tbl_lock);
	return f;
}

/* Forget fd's entry; the reference it held is the caller's to put. */
static struct vfio_file *vfd_take_locked(int fd)
{
	struct vfio_file *f;

	if (!fd_in_range(fd))
		return NULL;
	f = fds[fd].f;
	__atomic_store_n(&fds[fd].f, NULL, __ATOMIC_RELAXED);
	return f;
}

/* A new fd for f (whose reference it takes): the fd, or -errno (f put). */
static int vfd_make(struct vfio_file *f, bool cloexec, enum vnode kind, unsigned int num)
{
	struct stat st;
	int fd = eventfd(0, cloexec ? EFD_CLOEXEC : 0), err;

	if (fd < 0) {
		err = -errno;
		vfio_file_put(f);
		return err;
	}
	if (!fd_in_range(fd) || next_fstat()(fd, &st)) {
		shim_next_close(fd);
		vfio_file_put(f);
		return -EMFILE;
	}
	pthread_mutex_lock(&tbl_lock);
	fds[fd] = (struct vfd){
		.f = f, .ino = st.st_ino, .dev = st.st_dev, .kind = kind, .num = num
	};
	pthread_mutex_unlock(&tbl_lock);
	return fd;
}

/* ---- the host ops src/vfio calls ------------------------------------------------------------ */

static int host_ctx_get(int fd, struct ioasid_ctx **out_ctx, void **out_ref)
{
	return shim_inproc_ctx_get(fd, out_ctx, out_ref);
}

static int host_install(struct vfio_file *f)
{
	/* only device files are installed (VFIO_GROUP_GET_DEVICE_FD) */
	return vfd_make(f, true, VNODE_DEVICE, (unsigned int)vfio_file_device_index(f));
}

static bool host_is_emulated(int fd)
{
	return shim_inproc_is_ours(fd) || shim_vfio_is_ours(fd);
}

static struct vfio_file *host_file_get(int fd, int *err)
{
	struct vfio_file *f = vfd_get(fd, NULL);

	if (!f)
		*err = fcntl(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	return f;
}

static const struct vfio_host_ops host_ops = {
	.ctx_get = host_ctx_get,
	.ctx_put = shim_inproc_ctx_put,
	.install = host_install,
	.is_emulated = host_is_emulated,
	.file_get = host_file_get,
};

/* ---- the tree -------------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void view_cleanup(void)
{
	if (getpid() == creator && root_len)
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void view_init(void)
{
	const struct platform *p = platform_default();
	const char *file = getenv("IOASID_PLATFORM");
	const char *base = getenv("XDG_RUNTIME_DIR");
	char err[256];
	int rc;

	if (remote) {
		/* the daemon's devices: its platform, whatever file this process was given */
		char *text = shim_remote_platform();

		if (!text)
			return;
		rc = platform_parse(text, &loaded, err, sizeof(err));
		free(text);
		if (rc) {
			fprintf(stderr, "libioasid-preload: the daemon's platform: %s\n", err);
			return;
		}
		p = loaded;
	} else if (file && *file) {
		rc = platform_load(file, &loaded, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "libioasid-preload: %s\n", err);
			return;
		}
		p = loaded;
	}
	if (vfio_sys_new(p, &host_ops, &sys))
		return;
	if (!base || !*base || access(base, W_OK))
		base = "/tmp";
	snprintf(root, sizeof(root), "%s/ioasid-vfio-XXXXXX", base);
	if (!mkdtemp(root)) {
		vfio_sys_free(sys);
		sys = NULL;
		return;
	}
	root_len = strlen(root);
	creator = getpid();
	atexit(view_cleanup);
	rc = vfio_sysfs_build(sys, root);
	if (rc) {
		fprintf(stderr, "libioasid-preload: cannot build the VFIO view in %s: %s\n", root,
			strerror(-rc));
		view_cleanup();
		vfio_sys_free(sys);
		sys = NULL;
		return;
	}
	for (size_t i = 0; i < p->nr_devs && i < VIEW_MAX_DEV; i++) {
		char bdf[16];

		platform_bdf_format(&p->devs[i].bdf, bdf, sizeof(bdf));
		snprintf(devpaths[i], sizeof(devpaths[i]), "/sys/devices/pci%04x:%02x/%s",
			 p->devs[i].bdf.segment, p->devs[i].bdf.bus, bdf);
		nr_devpaths++;
	}
}

static bool ready(void)
{
	if (!active)
		return false;
	pthread_once(&once, view_init);
	return sys != NULL;
}

void shim_vfio_setup(bool inproc)
{
	active = true;
	remote = !inproc;
}

static bool has_prefix(const char *path, const char *pre, size_t n)
{
	return !strncmp(path, pre, n) && (path[n] == '/' || !path[n]);
}

static bool redirected(const char *path)
{
	static const struct {
		const char *s;
		size_t n;
	} pre[] = {
		{ "/dev/vfio", 9 },
		{ "/sys/bus/pci/devices", 20 },
		{ "/sys/bus/pci/drivers/vfio-pci", 29 },
		{ "/sys/kernel/iommu_groups", 24 },
	};

	if (!path || path[0] != '/')
		return false;
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (has_prefix(path, pre[i].s, pre[i].n))
			return ready();
	if (strncmp(path, "/sys/devices/pci", 16) || !ready())
		return false;
	for (unsigned int i = 0; i < nr_devpaths; i++)
		if (has_prefix(path, devpaths[i], strlen(devpaths[i])))
			return true;
	return false;
}

const char *shim_vfio_path(int dirfd, const char *path, char *buf, size_t len)
{
	(void)dirfd; /* only absolute paths are rewritten; relative ones to a dirfd in the tree
		      * are already inside it */
	if (!active || !redirected(path))
		return NULL;
	if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
		return NULL;
	return buf;
}

/* "/vfio", "/<group>", "/devices/vfio<N>" after /dev/vfio */
static enum vnode parse_node(const char *rest, unsigned int *num)
{
	const char *p;
	char *end;
	unsigned long n;

	if (!strcmp(rest, "/vfio"))
		return VNODE_CONTAINER;
	if (!strncmp(rest, "/devices/vfio", 13))
		p = rest + 13;
	else if (rest[0] == '/')
		p = rest + 1;
	else
		return VNODE_NONE;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
		return VNODE_NONE;
	n = strtoul(p, &end, 10);
	if (*end || n > UINT_MAX)
		return VNODE_NONE;
	*num = (unsigned int)n;
	return p == rest + 1 ? VNODE_GROUP : VNODE_DEVICE;
}

/* The /dev/vfio node an open names (absolute, or relative to a dirfd inside the tree). */
static enum vnode node_of(int dirfd, const char *path, unsigned int *num)
{
	char dir[PATH_MAX], full[PATH_MAX], proc[32];
	ssize_t n;

	if (path[0] == '/')
		return has_prefix(path, "/dev/vfio", 9) ? parse_node(path + 9, num) : VNODE_NONE;
	if (dirfd == AT_FDCWD || !root_len)
		return VNODE_NONE;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
	n = next_readlink()(proc, dir, sizeof(dir) - 1);
	if (n <= 0)
		return VNODE_NONE;
	dir[n] = 0;
	if (strncmp(dir, root, root_len) || !has_prefix(dir + root_len, "/dev/vfio", 9))
		return VNODE_NONE;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir + root_len + 9, path) >= sizeof(full))
		return VNODE_NONE;
	return parse_node(full, num);
}

bool shim_vfio_open(int dirfd, const char *path, int flags, int *out_fd)
{
	struct vfio_file *f;
	enum vnode kind;
	unsigned int num = 0;
	int rc;

	if (!active || !path)
		return false;
	kind = node_of(dirfd, path, &num);
	if (kind == VNODE_NONE || !ready())
		return false;
	if (remote && kind != VNODE_CONTAINER) {
		if (kind == VNODE_GROUP ? !vfio_group_exists(sys, num) :
					  num >= vfio_nr_devices(sys))
			return false;
		rc = shim_remote_open(kind == VNODE_GROUP ? 2 : 1, num, flags);
		*out_fd = rc < 0 ? -1 : rc;
		if (rc < 0)
			errno = -rc;
		return true;
	}
	switch (kind) {
	case VNODE_CONTAINER:
		*out_fd = remote ? shim_daemon_open(flags) : shim_inproc_backend.open(flags);
		return true;
	case VNODE_GROUP:
		if (!vfio_group_exists(sys, num))
			return false; /* the real open in the tree says ENOENT */
		rc = vfio_open_group(sys, num, &f);
		break;
	default:
		if (num >= vfio_nr_devices(sys))
			return false;
		rc = vfio_open_device(sys, num, &f);
		break;
	}
	if (!rc)
		rc = vfd_make(f, flags & O_CLOEXEC, kind, num);
	if (rc < 0) {
		errno = -rc;
		*out_fd = -1;
	} else {
		*out_fd = rc;
	}
	return true;
}

/* ---- calls on our fds --------------------------------------------------------------------------
 */

bool shim_vfio_is_ours(int fd)
{
	struct vfio_file *f;

	if (remote)
		return shim_remote_is_ours(fd, NULL, NULL);
	if (!fd_in_range(fd) || !__atomic_load_n(&fds[fd].f, __ATOMIC_RELAXED))
		return false;
	f = vfd_get(fd, NULL);
	if (!f)
		return false;
	vfio_file_put(f);
	return true;
}

void shim_vfio_probe(int fd)
{
	if (remote)
		shim_remote_probe(fd);
}

static long result(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

int shim_vfio_ioctl(int fd, unsigned long req, unsigned long arg)
{
	struct vfio_file *f;
	uint32_t kind;
	long rc;

	if (remote && shim_remote_is_ours(fd, &kind, NULL))
		return shim_remote_ioctl(fd, kind, req, arg);
	f = vfd_get(fd, NULL);
	if (!f)
		return (int)result(-EBADF);
	rc = vfio_file_ioctl(f, req, arg);
	vfio_file_put(f);
	return (int)result(rc);
}

ssize_t shim_vfio_pread(int fd, void *buf, size_t len, off_t off)
{
	struct vfio_file *f;
	ssize_t rc;

	if (remote)
		return shim_remote_rw(fd, buf, len, off, false);
	f = vfd_get(fd, NULL);
	if (!f)
		return result(-EBADF);
	rc = off < 0 ? -EINVAL : vfio_file_pread(f, buf, len, (uint64_t)off);
	vfio_file_put(f);
	return result(rc);
}

ssize_t shim_vfio_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	struct vfio_file *f;
	ssize_t rc;

	if (remote)
		return shim_remote_rw(fd, (void *)buf, len, off, true);
	f = vfd_get(fd, NULL);
	if (!f)
		return result(-EBADF);
	rc = off < 0 ? -EINVAL : vfio_file_pwrite(f, buf, len, (uint64_t)off);
	vfio_file_put(f);
	return result(rc);
}

void *shim_vfio_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct vfio_file *f;
	void *out = MAP_FAILED;
	int rc;

	(void)addr;
	if (remote)
		return shim_remote_mmap(fd, len, prot, flags, off);
	f = vfd_get(fd, NULL);
	if (!f) {
		errno = EBADF;
		return MAP_FAILED;
	}
	rc = !(flags & MAP_SHARED) || off < 0 ? -EINVAL :
						vfio_file_mmap(f, (uint64_t)off, len, prot, &out);
	vfio_file_put(f);
	if (rc) {
		errno = -rc;
		return MAP_FAILED;
	}
	return out;
}

int shim_vfio_close(int fd)
{
	struct vfio_file *f;
	int rc, err;

	if (remote)
		return shim_remote_close(fd);
	pthread_mutex_lock(&tbl_lock);
	f = vfd_take_locked(fd);
	pthread_mutex_unlock(&tbl_lock);
	rc = shim_next_close(fd);
	err = errno;
	vfio_file_put(f);
	errno = err;
	return rc;
}

void shim_vfio_dup(int from, int to)
{
	struct vfio_file *old = NULL, *f;
	struct vfd e;

	if (remote) {
		shim_remote_dup(from, to);
		return;
	}
	if (from == to || !fd_in_range(to))
		return;
	if (__atomic_load_n(&fds[to].f, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&tbl_lock);
		old = vfd_take_locked(to);
		pthread_mutex_unlock(&tbl_lock);
		vfio_file_put(old);
	}
	f = vfd_get(from, &e);
	if (!f)
		return;
	pthread_mutex_lock(&tbl_lock);
	e.f = f; /* the reference vfd_get took is the new fd's */
	fds[to] = e;
	pthread_mutex_unlock(&tbl_lock);
}

void shim_vfio_forget(unsigned int first, unsigned int last)
{
	if (remote) {
		shim_remote_forget(first, last);
		return;
	}
	for (unsigned int fd = first; fd <= last && fd < VFD_MAX; fd++) {
		struct vfio_file *f;

		if (!__atomic_load_n(&fds[fd].f, __ATOMIC_RELAXED))
			continue;
		pthread_mutex_lock(&tbl_lock);
		f = vfd_take_locked((int)fd);
		pthread_mutex_unlock(&tbl_lock);
		vfio_file_put(f);
	}
}

/* ---- stat of the nodes ----------------------------------------------------------------------- */

static void node_stat(enum vnode kind, unsigned int num, struct stat *st)
{
	switch (kind) {
	case VNODE_CONTAINER:
		st->st_mode = S_IFCHR | 0666;
		st->st_rdev = makedev(VFIO_CONTAINER_MAJOR, VFIO_CONTAINER_MINOR);
		break;
	case VNODE_GROUP:
		st->st_mode = S_IFCHR | 0600;
		st->st_rdev = makedev(VFIO_GROUP_MAJOR, num);
		break;
	default:
		st->st_mode = S_IFCHR | 0600;
		st->st_rdev = makedev(VFIO_DEV_MAJOR, num);
		break;
	}
	st->st_size = 0;
	st->st_blocks = 0;
}

void shim_vfio_fix_stat(const char *real, struct stat *st)
{
	enum vnode kind;
	unsigned int num = 0;

	if (!root_len || !S_ISREG(st->st_mode) || strncmp(real, root, root_len))
		return;
	if (!has_prefix(real + root_len, "/dev/vfio", 9))
		return;
	kind = parse_node(real + root_len + 9, &num);
	if (kind != VNODE_NONE)
		node_stat(kind, num, st);
}

void shim_vfio_fix_fstat(int fd, struct stat *st)
{
	struct vfio_file *f;
	struct vfd e;

	if (remote) {
		uint32_t kind, num;

		if (shim_remote_is_ours(fd, &kind, &num))
			node_stat(kind == 2 ? VNODE_GROUP : VNODE_DEVICE, num, st);
		return;
	}
	if (!fd_in_range(fd) || !__atomic_load_n(&fds[fd].f, __ATOMIC_RELAXED))
		return;
	f = vfd_get(fd, &e);
	if (!f)
		return;
	vfio_file_put(f);
	node_stat(e.kind, e.num, st);
}

/* ---- the path calls ----------------------------------------------------------------------------
 */

#define REWRITE(path)                                                                           \
	char vbuf_[PATH_MAX];                                                                   \
	const char *vp_ = active ? shim_vfio_path(AT_FDCWD, path, vbuf_, sizeof(vbuf_)) : NULL; \
	if (vp_)                                                                                \
		path = vp_;

#define STAT_BODY(fn)                                 \
	do {                                          \
		int rc_;                              \
		REWRITE(path);                        \
		rc_ = fn(path, st);                   \
		if (!rc_ && vp_)                      \
			shim_vfio_fix_stat(path, st); \
		return rc_;                           \
	} while (0)

/*
 * munmap of a BAR window (or of a range over one): the devices' table forgets the window
 * first, so that a later fault at that address is the program's own, never an emulated
 * device access. One load when no window exists.
 */
SHIM_EXPORT int munmap(void *addr, size_t len)
{
	int rc;

	if (active)
		dev_model_windows_forget(addr, len);
	rc = next_munmap()(addr, len);
	if (!rc)
		memmap_unmapped(addr, len); /* memmap.c's table of shared mappings */
	return rc;
}

SHIM_EXPORT int stat(const char *path, struct stat *st)
{
	STAT_BODY(next_stat());
}

/* the *64 calls: struct stat64 is struct stat on the 64-bit targets the shim builds for */
SHIM_EXPORT int stat64(const char *path, struct stat64 *st64)
{
	struct stat *st = (struct stat *)(void *)st64;

	STAT_BODY(next_stat64());
}

SHIM_EXPORT int lstat(const char *path, struct stat *st)
{
	STAT_BODY(next_lstat());
}

SHIM_EXPORT int lstat64(const char *path, struct stat64 *st64)
{
	struct stat *st = (struct stat *)(void *)st64;

	STAT_BODY(next_lstat64());
}

static int fstatat_common(fstatat_fn fn, int dirfd, const char *path, struct stat *st, int flags)
{
	int rc;

	if (path && !path[0] && (flags & AT_EMPTY_PATH)) {
		rc = fn(dirfd, path, st, flags);
		if (!rc && active)
			shim_vfio_fix_fstat(dirfd, st);
		return rc;
	}
	{
		REWRITE(path);
		rc = fn(dirfd, path, st, flags);
		if (!rc && vp_)
			shim_vfio_fix_stat(path, st);
	}
	return rc;
}

SHIM_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return fstatat_common(next_fstatat(), dirfd, path, st, flags);
}

SHIM_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat_common(next_fstatat64(), dirfd, path, (struct stat *)(void *)st, flags);
}

SHIM_EXPORT int fstat(int fd, struct stat *st)
{
	int rc = next_fstat()(fd, st);

	if (!rc && active)
		shim_vfio_fix_fstat(fd, st);
	return rc;
}

SHIM_EXPORT int fstat64(int fd, struct stat64 *st64)
{
	struct stat *st = (struct stat *)(void *)st64;
	int rc = next_fstat64()(fd, st);

	if (!rc && active)
		shim_vfio_fix_fstat(fd, st);
	return rc;
}

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	struct stat st;
	int rc;
	REWRITE(path);

	rc = next_statx()(dirfd, path, flags, mask, stx);
	if (!rc && vp_ && S_ISREG(stx->stx_mode)) {
		st.st_mode = stx->stx_mode;
		shim_vfio_fix_stat(path, &st);
		if (S_ISCHR(st.st_mode)) {
			stx->stx_mode = (uint16_t)st.st_mode;
			stx->stx_rdev_major = major(st.st_rdev);
			stx->stx_rdev_minor = minor(st.st_rdev);
			stx->stx_size = 0;
			stx->stx_blocks = 0;
		}
	}
	return rc;
}

SHIM_EXPORT int access(const char *path, int mode)
{
	REWRITE(path);
	return next_access()(path, mode);
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	REWRITE(path);
	return next_faccessat()(dirfd, path, mode, flags);
}

SHIM_EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	REWRITE(path);
	return next_readlink()(path, buf, len);
}

SHIM_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	REWRITE(path);
	return next_readlinkat()(dirfd, path, buf, len);
}

SHIM_EXPORT DIR *opendir(const char *path)
{
	REWRITE(path);
	return next_opendir()(path);
}

SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	REWRITE(path);
	return next_fopen()(path, mode);
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	REWRITE(path);
	return next_fopen64()(path, mode);
}

/* ls -l and SELinux look at extended attributes */
SHIM_EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t len)
{
	REWRITE(path);
	return next_getxattr()(path, name, value, len);
}

SHIM_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t len)
{
	REWRITE(path);
	return next_lgetxattr()(path, name, value, len);
}

SHIM_EXPORT ssize_t listxattr(const char *path, char *list, size_t len)
{
	REWRITE(path);
	return next_listxattr()(path, list, len);
}

SHIM_EXPORT ssize_t llistxattr(const char *path, char *list, size_t len)
{
	REWRITE(path);
	return next_llistxattr()(path, list, len);
}
