/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ioat.h - the I/OAT DMA channel model's registers and descriptor, for drivers of it (tests,
 * the example driver, benchmarks) and for ioat.c. The numbers are the hardware's (Linux's
 * drivers/dma/ioat/registers.h and hw.h name the same offsets and bits); the names are ours.
 * docs/devices.md describes what the model does on each register.
 */
#ifndef IOASID_DEVICES_IOAT_H
#define IOASID_DEVICES_IOAT_H

#include <stdint.h>

struct dev_model;

#define IOAT_VENDOR	0x8086
#define IOAT_DEVICE_SKX 0x2021
#define IOAT_BAR0_MIN	0x4000u /* BAR 0 is 16 KiB */

/* global registers (BAR 0) */
#define IOAT_REG_CHANCNT    0x00 /* 8: number of channels */
#define IOAT_REG_XFERCAP    0x01 /* 8: log2 of the largest descriptor size */
#define IOAT_REG_GENCTRL    0x02 /* 8 */
#define IOAT_REG_INTRCTRL   0x03 /* 8 */
#define IOAT_REG_ATTNSTATUS 0x04 /* 32: a bit per channel with an interrupt pending */
#define IOAT_REG_CBVER	    0x08 /* 8: major << 4 | minor */
#define IOAT_REG_INTRDELAY  0x0c /* 16 */
#define IOAT_REG_DMACAP	    0x10 /* 32: operations beyond memcpy */

#define IOAT_CBVER_3_3		 0x33
#define IOAT_XFERCAP_LOG2	 21 /* 2 MiB descriptors (our choice) */
#define IOAT_GENCTRL_DEBUG_EN	 0x01
#define IOAT_INTRCTRL_MASTER_EN	 0x01
#define IOAT_INTRCTRL_INT_STATUS 0x02
#define IOAT_INTRCTRL_INT	 0x04
#define IOAT_INTRCTRL_MSIX_VC	 0x08
#define IOAT_INTRDELAY_MASK	 0x3fff

/* channel registers: channel n at 0x80 * (n + 1) */
#define IOAT_CHAN_BASE	    0x80
#define IOAT_CHAN_CTRL	    0x00 /* 16 */
#define IOAT_CHAN_CMD	    0x04 /* 8 */
#define IOAT_CHAN_DMACOUNT  0x06 /* 16: the doorbell */
#define IOAT_CHAN_STS	    0x08 /* 64 */
#define IOAT_CHAN_CHAINADDR 0x10 /* 64 */
#define IOAT_CHAN_CMP	    0x18 /* 64: completion write-back address */
#define IOAT_CHAN_CDAR	    0x20 /* 64: current descriptor address */
#define IOAT_CHAN_ERR	    0x28 /* 32: write 1 to clear */
#define IOAT_CHAN_ERRMSK    0x2c /* 32 */

#define IOAT_CHANCTRL_INT_REARM		0x0001
#define IOAT_CHANCTRL_ERR_COMPLETION_EN 0x0004
#define IOAT_CHANCTRL_ANY_ERR_ABORT_EN	0x0008
#define IOAT_CHANCTRL_ERR_INT_EN	0x0010
#define IOAT_CHANCTRL_DESC_SNOOP	0x0020
#define IOAT_CHANCTRL_IN_USE		0x0100
#define IOAT_CHANCTRL_COMPL_DCA_EN	0x0200
#define IOAT_CHANCTRL_PRIORITY		0xf000
#define IOAT_CHANCTRL_RW                                                                        \
	(IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_COMPLETION_EN |                            \
	 IOAT_CHANCTRL_ANY_ERR_ABORT_EN | IOAT_CHANCTRL_ERR_INT_EN | IOAT_CHANCTRL_DESC_SNOOP | \
	 IOAT_CHANCTRL_IN_USE | IOAT_CHANCTRL_COMPL_DCA_EN | IOAT_CHANCTRL_PRIORITY)
/* what Linux writes to run a channel */
#define IOAT_CHANCTRL_RUN                                                                       \
	(IOAT_CHANCTRL_INT_REARM | IOAT_CHANCTRL_ERR_INT_EN | IOAT_CHANCTRL_ERR_COMPLETION_EN | \
	 IOAT_CHANCTRL_ANY_ERR_ABORT_EN)

#define IOAT_CHANCMD_START   0x01
#define IOAT_CHANCMD_APPEND  0x02
#define IOAT_CHANCMD_SUSPEND 0x04
#define IOAT_CHANCMD_ABORT   0x08
#define IOAT_CHANCMD_RESUME  0x10
#define IOAT_CHANCMD_RESET   0x20

#define IOAT_STS_ADDR_MASK (~UINT64_C(0x3f))
#define IOAT_STS_MASK	   0x7
#define IOAT_STS_ACTIVE	   0x0
#define IOAT_STS_DONE	   0x1
#define IOAT_STS_SUSPENDED 0x2
#define IOAT_STS_HALTED	   0x3

#define IOAT_CHANERR_SRC_ADDR	      0x0001
#define IOAT_CHANERR_DEST_ADDR	      0x0002
#define IOAT_CHANERR_NEXT_ADDR	      0x0004
#define IOAT_CHANERR_NEXT_DESC_ALIGN  0x0008
#define IOAT_CHANERR_CHAIN_ADDR_VALUE 0x0010
#define IOAT_CHANERR_CHANCMD	      0x0020
#define IOAT_CHANERR_READ_DATA	      0x0100
#define IOAT_CHANERR_WRITE_DATA	      0x0200
#define IOAT_CHANERR_CONTROL	      0x0400
#define IOAT_CHANERR_LENGTH	      0x0800
#define IOAT_CHANERR_COMPLETION_ADDR  0x1000

/* the 64-byte descriptor (little-endian) */
#define IOAT_DESC_SIZE	      64u
#define IOAT_DESC_SIZE_OFF    0x00 /* 32: bytes to copy */
#define IOAT_DESC_CTL	      0x04 /* 32 */
#define IOAT_DESC_SRC	      0x08 /* 64 */
#define IOAT_DESC_DST	      0x10 /* 64 */
#define IOAT_DESC_NEXT	      0x18 /* 64 */
#define IOAT_DESC_INT_EN      (1u << 0)
#define IOAT_DESC_COMPL_WRITE (1u << 3)
#define IOAT_DESC_FENCE	      (1u << 4)
#define IOAT_DESC_NULL	      (1u << 5)
#define IOAT_DESC_OP_SHIFT    24
#define IOAT_OP_COPY	      0x00

struct ioat_desc {
	uint32_t size;
	uint32_t ctl;
	uint64_t src_addr;
	uint64_t dst_addr;
	uint64_t next;
	uint64_t rsv[4];
};

/* What the channel did since it was made (not reset by a reset). */
struct ioat_stats {
	uint64_t descriptors, bytes, interrupts, errors;
};

/* Statistics of an "ioat" device (zeros for another model). */
void ioat_stats(struct dev_model *m, struct ioat_stats *out);

#endif
