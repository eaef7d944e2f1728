/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_int.h - the VFIO module's own: devices, groups, files, shared by
 *   device.c  the device file: open, bind (cdev and group), attach, reset, the ioctl table
 *   region.c  regions: info with capability chains, config space virtualization, BAR access
 *   irq.c     interrupts: IRQ info, SET_IRQS, MSI-X vectors to eventfds
 *   group.c   groups and the container: the legacy path
 *   sysfs.c   the sysfs and /dev tree; the BAR addresses both it and config space show
 *
 * Lock order: sys->lock (bookkeeping: who is open and bound, groups, containers), then
 * vdev->lock (a bound device's virtual config and IRQ setup), then the model's own lock
 * (src/devices), then vdev->irq_lock (the eventfds the model's irq callback signals, which
 * runs under the model's lock). Nothing calls the host (ops) with a lock held.
 */
#ifndef IOASID_VFIO_VFIO_INT_H
#define IOASID_VFIO_VFIO_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "devices/devices.h"
#include "pci/pci.h"
#include "vfio/vfio.h"

/* region offsets: index << 40, as vfio-pci's VFIO_PCI_OFFSET_SHIFT */
#define VFIO_OFF_SHIFT	  40
#define VFIO_OFF_MASK	  ((UINT64_C(1) << VFIO_OFF_SHIFT) - 1)
#define VFIO_INDEX_OFF(i) ((uint64_t)(i) << VFIO_OFF_SHIFT)

struct vgroup {
	unsigned int id;
	const struct platform_iommu *iommu;
	bool opened;		/* a group file exists (one at most); sys->lock */
	unsigned int cdev_open; /* devices of it bound through their cdev; sys->lock */
	unsigned int dev_files; /* device files opened through the group; sys->lock */
	struct ioasid_ctx *ctx; /* the container, or NULL; sys->lock */
	void *ctx_ref;
};

enum virq_type { VIRQ_NONE = -1 };

struct vdev {
	struct vfio_sys *sys;
	unsigned int index; /* vfio<index> */
	const struct platform_device *pdev;
	const struct platform_iommu *iommu;
	struct vgroup *group;
	uint64_t bar_addr[PLATFORM_NR_BARS]; /* the "host" addresses (sysfs resource) */

	/* sys->lock */
	unsigned int open_count; /* files with access: one cdev, or group opens */
	bool cdev_bound;
	struct ioasid_ctx *ctx;
	void *ctx_ref; /* held for a cdev bind (a group holds its own) */
	uint32_t dev_id;
	struct dev_model *model; /* while open_count > 0 */

	pthread_mutex_t lock; /* below */
	bool attached;
	uint32_t vbar[PLATFORM_NR_BARS]; /* virtual BAR registers */
	uint8_t vline;			 /* interrupt line */
	bool vintx_disable;		 /* command register bit 10, virtualized */
	bool low_power;
	bool bar_mmap; /* BAR mmap offered (the model is open: dev_model_bar_mmap) */
	int irq_type;  /* VFIO_PCI_*_IRQ_INDEX or VIRQ_NONE */
	bool intx_masked;

	pthread_mutex_t irq_lock;    /* below */
	int intx_fd, err_fd, req_fd; /* -1: none */
	int *msix_fds;		     /* pdev->msix_vectors of them; -1: none */
	unsigned int msix_nvec;	     /* vectors enabled (0: MSI-X off) */

	struct vioev *ioev; /* VFIO_DEVICE_IOEVENTFD entries (ioeventfd.c); sys->lock */
	unsigned int nr_ioev;
};

struct vfio_sys {
	const struct platform *p;
	struct vfio_host_ops ops;
	pthread_mutex_t lock;
	struct vdev *devs;
	size_t nr_devs;
	struct vgroup *groups;
	size_t nr_groups;
	/* ioeventfd.c: the thread that waits on every device's ioeventfds (sys->lock) */
	pthread_t ioev_thread;
	bool ioev_started, ioev_stop;
	int ioev_wake; /* eventfd: a list changed, or stop */
};

enum vfile_kind { VFILE_DEVICE, VFILE_GROUP };

struct vfio_file {
	enum vfile_kind kind;
	struct vfio_sys *sys;
	unsigned int refs;	 /* atomic */
	struct vdev *dev;	 /* VFILE_DEVICE */
	bool access;		 /* bound (cdev) or opened through the group; sys->lock */
	bool via_group;		 /* opened by VFIO_GROUP_GET_DEVICE_FD */
	struct vgroup *group;	 /* VFILE_GROUP */
	struct vfio_file *gfile; /* a device opened through a group: that group's file */
};

/* user memory of this process, as copy_from_user: 0 or -EFAULT */
int vu_read(unsigned long uptr, void *dst, size_t len);
int vu_write(unsigned long uptr, const void *src, size_t len);

/* device.c */
int vdev_open_locked(struct vdev *d, struct ioasid_ctx *ctx, bool via_group);
void vdev_close_locked(struct vdev *d, bool via_group);
long vdev_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg);
void vdev_reset(struct vdev *d);
struct vdev *vdev_by_bdf(struct vfio_sys *s, const char *name);

/* region.c */
long vregion_info(struct vdev *d, unsigned long arg);
ssize_t vregion_rw(struct vdev *d, void *buf, size_t len, uint64_t off, bool write);
void vcfg_init(struct vdev *d);
uint16_t vcfg_cmd(struct vdev *d);
void vcfg_set_cmd(struct vdev *d, uint16_t cmd);
/* An info capability chain being built: caps appended, then copied out after hdr_size. */
struct vcaps {
	uint8_t buf[256];
	size_t size;
	int err;
};
void vcaps_add(struct vcaps *c, uint16_t id, uint16_t version, const void *body, size_t len);
/* Write the chain after hdr_size bytes of the caller's struct if it fits in *argsz. */
int vcaps_emit(struct vcaps *c, unsigned long arg, size_t hdr_size, uint32_t *argsz,
	       uint32_t *cap_offset, uint32_t *flags, uint32_t caps_flag);

/* irq.c */
void virq_init(struct vdev *d);
void virq_release(struct vdev *d);
long virq_info(struct vdev *d, unsigned long arg);
long virq_set(struct vdev *d, unsigned long arg);
void virq_model_cb(void *opaque, unsigned int vector);
/* After a reset (vdev->lock held): MSI-X enable and vector masks as the host set them. */
void virq_restore(struct vdev *d);
unsigned int virq_count(struct vdev *d, unsigned int index);
int virq_eventfd_dup(struct vdev *d, int fd);

/* ioeventfd.c: VFIO_DEVICE_IOEVENTFD; at most VIOEV_MAX per device, as the kernel */
#define VIOEV_MAX 1000
struct vioev;
long vioev_ioctl(struct vdev *d, unsigned long arg);
void vioev_release_locked(struct vdev *d); /* the device closes: its entries go */
void vioev_sys_fini(struct vfio_sys *s);   /* the thread stops */

/*
 * dmabuf.c: VFIO_DEVICE_FEATURE_DMA_BUF (GET; arg: the feature's data, argsz checked) and
 * the device's dma-bufs following its memory state: vdmabuf_revoke before a reset,
 * vdmabuf_sync after one and after the command register or low power changed (revoked
 * unless memory decode is on), vdmabuf_gone at the close. vdev->lock held for all.
 */
long vdmabuf_feature(struct vdev *d, unsigned long arg, size_t argsz);
void vdmabuf_revoke(struct vdev *d);
void vdmabuf_sync(struct vdev *d);
void vdmabuf_gone(struct vdev *d);

/* group.c */
long vgroup_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg);
void vgroup_release(struct vfio_file *f);

/* sysfs.c */
void vsys_bar_addrs(struct vfio_sys *s);

#endif
