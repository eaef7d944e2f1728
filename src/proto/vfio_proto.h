/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio_proto.h - the daemon's VFIO devices on the wire: the private calls the shim makes.
 *
 * Under the daemon back end a VFIO file (/dev/vfio/devices/vfioN, /dev/vfio/<group>, and a
 * device fd VFIO_GROUP_GET_DEVICE_FD returns) is, like an iommufd, a connection to ioasidd:
 * dup, fork, SCM_RIGHTS and the last close behave as the kernel's file because the socket
 * does. Its ioctls travel as any ioctl does (IOCTL or CALL, src/proto/proto.h) and the
 * daemon serves them with src/vfio instead of the core. What a file does besides ioctls
 * (pread, pwrite, mmap) and what the daemon cannot see by itself (which iommufd an fd
 * number names, the eventfds of SET_IRQS) are the calls below, private ioctl numbers of
 * type IOASID_PRIV_TYPE that no kernel ABI uses. Each struct starts with its size, as the
 * kernel's argsz (the shim sends that many bytes inline with a CALL).
 *
 * Trust: every field is the client's. The daemon checks sizes, kinds and indexes; an
 * iommufd is named only by a token the daemon gave to a caller of that iommufd
 * (IOASID_CTX_TOKEN: 128 random bits), never by a number; staged fds are the sender's own
 * (SCM_RIGHTS), checked like any input fd; lengths are bounded (IOASID_VFIO_RW_MAX).
 * docs/daemon.md ("VFIO devices in the daemon") has the list.
 */
#ifndef IOASID_PROTO_VFIO_PROTO_H
#define IOASID_PROTO_VFIO_PROTO_H

#include <stdint.h>
#include <sys/ioctl.h>

#define IOASID_PRIV_TYPE 0xA5

enum ioasid_vfio_kind {
	IOASID_VFIO_DEVICE = 1, /* /dev/vfio/devices/vfio<num>, or a device fd of a group */
	IOASID_VFIO_GROUP = 2,	/* /dev/vfio/<num> */
};

/* On a fresh connection: make it the open file (num: the device index or the group). */
struct ioasid_vfio_open {
	uint32_t size;
	uint32_t kind;
	uint32_t num;
	uint32_t __reserved;
};

/* On an iommufd connection: the token that names its context to the daemon's devices. */
struct ioasid_ctx_token {
	uint32_t size;
	uint32_t __reserved;
	uint64_t token[2];
};

/*
 * On a VFIO connection, before a call that names fds: what the program's fd `key` is.
 * STAGE_CTX: an iommufd (token) or err (-EBADF: not open, -EBADFD: not an iommufd);
 * STAGE_FD: the fd itself travels with the call (the input fd at `fd`, ioasid_proto_in_fd),
 * for SET_IRQS's and the wake-up feature's eventfds. The next other call uses and clears
 * what was staged. At most IOASID_VFIO_STAGE_MAX at a time (ENOSPC beyond).
 */
struct ioasid_vfio_stage {
	uint32_t size;
	int32_t fd; /* STAGE_FD: overlaid with the daemon's copy while it is served */
	int32_t key;
	int32_t err;
	uint64_t token[2];
};
#define IOASID_VFIO_STAGE_MAX 64

/*
 * pread/pwrite at a region offset: len bytes at buf (at most IOASID_VFIO_RW_MAX a call: a
 * shorter count comes back, as a short read). INLINE: one 1, 2, 4 or 8-byte access of a BAR
 * through a mapping (the shim's window trap): the value in val, and the model sees it as a
 * load or store of the mapping (a doorbell returns at once, the engine runs on its worker).
 */
enum ioasid_vfio_rw_flags {
	IOASID_VFIO_RW_WRITE = 1 << 0,
	IOASID_VFIO_RW_INLINE = 1 << 1,
};
struct ioasid_vfio_rw {
	uint32_t size;
	uint32_t flags;
	uint64_t off;
	uint64_t buf;
	uint64_t len;
	uint64_t val;
};
#define IOASID_VFIO_RW_MAX (1u << 20)

/*
 * mmap of a BAR region at off, len bytes: checked as the kernel checks it; fd is a
 * read-only fd of the BAR's read pages installed in the program (FD_INSTALL), to be mapped
 * at the BAR offset off & ((1 << 40) - 1), or -1 (every access of the window traps).
 */
struct ioasid_vfio_mmap {
	uint32_t size;
	int32_t fd;
	uint64_t off;
	uint64_t len;
	uint64_t bar_size;
};

/* What a VFIO connection is (a device fd received from elsewhere). */
struct ioasid_vfio_what {
	uint32_t size;
	uint32_t kind;
	uint32_t num;
	uint32_t __reserved;
};

/*
 * A VFIO file named across connections by a token (128 random bits, given only to a caller
 * on that very connection), as an iommufd is by IOASID_CTX_TOKEN:
 *  CLAIM, on a fresh connection: make it a device file waiting for its device, which the
 *    next VFIO_GROUP_GET_DEVICE_FD of a group that staged this token (STAGE_FILE, key: the
 *    program's number of this connection) gives it; GET_DEVICE_FD then returns that key.
 *    So a group's device fd is a connection the program made, like a cdev's: any process
 *    that receives it recognises it (docs/devices.md, "Devices in the daemon").
 *  TOKEN, on a VFIO file: the token naming it, for VFIO_DEVICE_PCI_HOT_RESET's group fds:
 *    STAGE_FILE {key: the program's fd in the array, token} or err (-EBADF: not open;
 *    -EINVAL: not a VFIO group file).
 */
struct ioasid_vfio_token {
	uint32_t size;
	uint32_t __reserved;
	uint64_t token[2];
};

/* The daemon's platform, as platform_write() text: up to len bytes at buf; returns its length. */
struct ioasid_platform_get {
	uint32_t size;
	uint32_t __reserved;
	uint64_t buf;
	uint64_t len;
};

#define IOASID_VFIO_OPEN       _IOW(IOASID_PRIV_TYPE, 0x00, struct ioasid_vfio_open)
#define IOASID_CTX_TOKEN       _IOWR(IOASID_PRIV_TYPE, 0x01, struct ioasid_ctx_token)
#define IOASID_VFIO_STAGE_CTX  _IOW(IOASID_PRIV_TYPE, 0x02, struct ioasid_vfio_stage)
#define IOASID_VFIO_STAGE_FD   _IOW(IOASID_PRIV_TYPE, 0x03, struct ioasid_vfio_stage)
#define IOASID_VFIO_RW	       _IOWR(IOASID_PRIV_TYPE, 0x04, struct ioasid_vfio_rw)
#define IOASID_VFIO_MMAP       _IOWR(IOASID_PRIV_TYPE, 0x05, struct ioasid_vfio_mmap)
#define IOASID_VFIO_WHAT       _IOWR(IOASID_PRIV_TYPE, 0x06, struct ioasid_vfio_what)
#define IOASID_PLATFORM_GET    _IOWR(IOASID_PRIV_TYPE, 0x07, struct ioasid_platform_get)
#define IOASID_VFIO_CLAIM      _IOWR(IOASID_PRIV_TYPE, 0x08, struct ioasid_vfio_token)
#define IOASID_VFIO_TOKEN      _IOWR(IOASID_PRIV_TYPE, 0x09, struct ioasid_vfio_token)
#define IOASID_VFIO_STAGE_FILE _IOW(IOASID_PRIV_TYPE, 0x0a, struct ioasid_vfio_stage)

#endif
