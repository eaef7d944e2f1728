/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio.h - the VFIO ABI over emulated PCI devices, for the shim (and the tests).
 *
 * What it owns: the files a program opens under /dev/vfio (a device's cdev
 * /dev/vfio/devices/vfioN, a group /dev/vfio/<N>) and what they answer, byte for byte the
 * kernel's <linux/vfio.h>: the device ioctls, pread/pwrite at region offsets, the group
 * ioctls, and the sysfs view (/sys/bus/pci/devices/<BDF>/..., /sys/kernel/iommu_groups/)
 * materialized as a directory tree. Each platform device (src/platform) is one VFIO device,
 * bound to vfio-pci, numbered vfio0, vfio1 ... in platform order; its running model
 * (src/devices) exists while it is open and bound to an iommufd.
 *
 * The host (the shim) owns fds: it makes a real fd for each open file, routes that fd's
 * ioctl, pread, pwrite and close here, and answers the ops below. An iommufd is an
 * in-process context (struct ioasid_ctx) the host names by fd; /dev/vfio/vfio, the legacy
 * container, is such a context too (as the kernel with CONFIG_IOMMUFD_VFIO_CONTAINER).
 *
 * User memory: every ioctl argument is a pointer into this process, copied with
 * process_vm_readv/writev so a bad pointer is EFAULT, never a crash.
 *
 * Locking: all functions may be called from any thread; none is called with a host lock
 * held, and none calls the host with one of ours held, except ops.install (see below).
 */
#ifndef IOASID_VFIO_VFIO_H
#define IOASID_VFIO_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"

struct ioasid_ctx;
struct vfio_sys;
struct vfio_file;

struct vfio_host_ops {
	/*
	 * The iommufd context fd names, with a reference (*out_ref) kept until ctx_put: 0,
	 * -EBADF (fd not open), -EBADFD (open, not an iommufd), as the kernel's
	 * iommufd_ctx_from_fd.
	 */
	int (*ctx_get)(int fd, struct ioasid_ctx **out_ctx, void **out_ref);
	void (*ctx_put)(void *ref);
	/*
	 * A new fd of the program standing for f (VFIO_GROUP_GET_DEVICE_FD; O_CLOEXEC as the
	 * kernel's): the fd, or -errno. On success the fd holds the reference to f it was
	 * given (vfio_file_put when its last copy closes). Called with no lock of ours held.
	 */
	int (*install)(struct vfio_file *f);
	/* May be NULL: is fd a file the host emulates (so not an eventfd, whatever it is)? */
	bool (*is_emulated)(int fd);
	/*
	 * May be NULL: the VFIO file fd names, with a reference (vfio_file_put), or NULL if fd is
	 * not one (VFIO_DEVICE_PCI_HOT_RESET's group fds). -EBADF in *err for an fd not open.
	 */
	struct vfio_file *(*file_get)(int fd, int *err);
	/*
	 * May be NULL (then the fd is this process's and is duplicated here): our own duplicate
	 * of the eventfd the program's fd >= 0 names (SET_IRQS, the wake-up feature), or -EBADF
	 * (not open), -EINVAL (not an eventfd). The daemon's resolves the fds the call staged.
	 */
	int (*eventfd_dup)(int fd);
	/*
	 * May be NULL (then fd, ours, is the program's: this process is the program's): hand
	 * our new fd to the program (a dma-buf of VFIO_DEVICE_FEATURE_DMA_BUF), close-on-exec if
	 * open_flags has O_CLOEXEC. The program's fd number, or -errno; ours is consumed either
	 * way. Called with no lock of ours held.
	 */
	int (*install_fd)(int fd, int open_flags);
};

/*
 * The program's memory for the calls of this thread: NULL (the default) is this process's
 * own; the daemon sets the calling client's around each call it serves. read and write:
 * 0 or -EFAULT.
 */
struct vfio_uaccess {
	int (*read)(void *priv, void *dst, uint64_t uptr, size_t len);
	int (*write)(void *priv, uint64_t uptr, const void *src, size_t len);
};
void vfio_set_uaccess(const struct vfio_uaccess *ops, void *priv);

/* The VFIO view of platform p (kept by pointer: p must outlive it). 0, -ENOMEM. */
int vfio_sys_new(const struct platform *p, const struct vfio_host_ops *ops, struct vfio_sys **out);
/* Every file must be closed first. */
void vfio_sys_free(struct vfio_sys *s);

/* Numbering: devices vfio0 .. vfio(n-1) in platform order; groups by their number. */
unsigned int vfio_nr_devices(const struct vfio_sys *s);
bool vfio_group_exists(const struct vfio_sys *s, unsigned int group);
/* The character devices' numbers (stat of /dev/vfio/...): majors of our choosing. */
#define VFIO_DEV_MAJOR	     510 /* /dev/vfio/devices/vfioN: minor N */
#define VFIO_GROUP_MAJOR     511 /* /dev/vfio/<group>: minor = group */
#define VFIO_CONTAINER_MAJOR 10	 /* /dev/vfio/vfio: the misc device 10:196 */
#define VFIO_CONTAINER_MINOR 196

/*
 * open() of /dev/vfio/devices/vfio<index> / /dev/vfio/<group>: a file with one reference,
 * or -ENODEV (no such device or group), -EBUSY (a group already open, or a device of it
 * bound through its cdev: the kernel's exclusions), -ENOMEM.
 */
int vfio_open_device(struct vfio_sys *s, unsigned int index, struct vfio_file **out);
int vfio_open_group(struct vfio_sys *s, unsigned int group, struct vfio_file **out);

/* The calls on an open file: ioctl(2)'s result (>= 0) or -errno, as the kernel's. */
long vfio_file_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg);
ssize_t vfio_file_pread(struct vfio_file *f, void *buf, size_t len, uint64_t off);
ssize_t vfio_file_pwrite(struct vfio_file *f, const void *buf, size_t len, uint64_t off);
/*
 * mmap of a memory BAR region: *out_addr is a window of this process whose loads and stores
 * reach the device (dev_model_bar_mmap). -EINVAL as the kernel's for config space, the ROM,
 * an I/O BAR, an offset not page-aligned or a range past the BAR (rounded up to pages). The
 * window holds a reference to f until the program unmaps it (dev_model_windows_forget), so
 * the device stays open while it is mapped, as the kernel's mapping holds the file.
 */
int vfio_file_mmap(struct vfio_file *f, uint64_t off, size_t len, int prot, void **out_addr);

/*
 * For a mapping in another process (the daemon's devices, whose program maps what the shim
 * asks for): the checks of vfio_file_mmap for [off, off + len), then the BAR's read pages
 * (*out_fd: the model's memfd, ours, not a copy; -1 when loads must trap too), the BAR, its
 * offset and size. The model's engine is started as for a mapping. 0 or -EINVAL.
 */
int vfio_file_mmap_export(struct vfio_file *f, uint64_t off, size_t len, int *out_fd,
			  unsigned int *out_bar, uint64_t *out_bar_off, uint64_t *out_bar_size);
/*
 * One load or store of such a mapping: size 1, 2, 4, 8 at BAR offset off, as a window's
 * trapped access (dev_model_window_access). -EINVAL for a file without access, a BAR that
 * is not offered for mmap, a bad offset or size.
 */
int vfio_file_bar_access(struct vfio_file *f, unsigned int bar, uint64_t off, unsigned int size,
			 uint64_t *val, bool write);

/* The device index (vfio<N>) of a device file, or -1 for a group file. */
int vfio_file_device_index(const struct vfio_file *f);

/* References: one per fd naming the file (the host's dup adds one, its close drops one). */
void vfio_file_get(struct vfio_file *f);
void vfio_file_put(struct vfio_file *f);

/*
 * Write the sysfs and /dev view under root (an empty directory): root/sys/bus/pci/devices,
 * root/sys/devices/pci<SSSS>:<BB>/<BDF>/..., root/sys/kernel/iommu_groups,
 * root/sys/bus/pci/drivers/vfio-pci and root/dev/vfio (device nodes as empty regular files;
 * the host reports them as character devices). 0 or -errno.
 */
int vfio_sysfs_build(const struct vfio_sys *s, const char *root);

#endif
