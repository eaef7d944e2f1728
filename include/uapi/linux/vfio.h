/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * <linux/vfio.h> as ioasid speaks it: the system's header, plus what newer kernels added.
 *
 * The VFIO ABI lives in the system's <linux/vfio.h> (linux-libc-dev). Debian's may be older
 * than the ABI ioasid serves: the device cdev (Linux 6.6: VFIO_DEVICE_BIND_IOMMUFD,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT, the hot-reset device IDs)
 * and per-PASID attach (Linux 6.13), the dma-buf export of a BAR (Linux 6.19). This file
 * includes the system's header and then defines, with the kernel's names, numbers and
 * layouts, whichever of those it lacks, so a program written for a recent kernel builds here
 * and sends the same bytes.
 *
 * One layout changed: struct vfio_device_attach_iommufd_pt and _detach_ gained a pasid field
 * in 6.13. A system header from 6.6 .. 6.12 defines them without it; then the structs are
 * the system's and IOASID_VFIO_NO_PASID_FIELD is defined (ioasid's own code reads the field
 * by offset, see src/vfio/vfio_int.h).
 */
#ifndef IOASID_UAPI_LINUX_VFIO_H
#define IOASID_UAPI_LINUX_VFIO_H

#include_next <linux/vfio.h>

#ifndef VFIO_DEVICE_BIND_IOMMUFD
/* Linux 6.6: the device cdev (/dev/vfio/devices/vfioN) */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
	__u32 pt_id;
	__u32 pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#elif !defined(VFIO_DEVICE_ATTACH_PASID)
/* Linux 6.6 .. 6.12: the structs without pasid */
#define VFIO_DEVICE_ATTACH_PASID   (1 << 0)
#define VFIO_DEVICE_DETACH_PASID   (1 << 0)
#define IOASID_VFIO_NO_PASID_FIELD 1
#endif

#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
/* Linux 6.6: in the cdev path, vfio_pci_dependent_device's first field is a device ID */
#define VFIO_PCI_DEVID_OWNED		     0
#define VFIO_PCI_DEVID_NOT_OWNED	     -1
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID	     (1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED (1 << 1)
#endif

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
/*
 * Linux 6.19: VFIO_DEVICE_FEATURE_GET of a dma-buf fd for ranges of a BAR (region_index),
 * open(2)'s flags for the new fd in open_flags, flags 0, nr_ranges ranges after the header.
 * The ioctl's result is the fd.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

#endif
