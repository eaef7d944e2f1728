// SPDX-License-Identifier: BSD-3-Clause
/*
 * ioat.c - an Intel Crystal Beach DMA (I/OAT) channel: the Skylake-SP function 8086:2021,
 * I/OAT version 3.3, one channel per function, memory copy only.
 *
 * What it owns: the registers in BAR 0 that the Linux ioat driver programs (offsets and bits
 * from its registers.h and hw.h, read for facts), the channel's state machine and the
 * descriptor engine. docs/devices.md has the register table.
 *
 *   0x00 CHANCNT (1)  0x01 XFERCAP (2^21)  0x02 GENCTRL  0x03 INTRCTRL  0x04 ATTNSTATUS
 *   0x08 CBVER (0x33)  0x0c INTRDELAY  0x10 DMACAPABILITY (0: memcpy only)
 *   channel 0 at 0x80: +0x00 CHANCTRL, +0x04 CHANCMD, +0x06 DMACOUNT, +0x08 CHANSTS,
 *   +0x10 CHAINADDR, +0x18 CHANCMP, +0x20 CDAR, +0x28 CHANERR, +0x2c CHANERRMSK
 *
 * The engine: CHAINADDR names the first 64-byte descriptor; DMACOUNT is the doorbell, the
 * number of descriptors appended since the chain began (16 bits, wrapping). A write runs
 * descriptors until the channel's own count reaches it: fetch the descriptor, check it,
 * copy `size` bytes from src_addr to dst_addr, then (ctl bits) write the channel status to
 * the completion address and raise the interrupt. The next descriptor is the `next` field
 * of the one just done. Every fetch, source read, destination write and completion write
 * is the device's DMA through the IOMMU (dev_model_dma); nothing is touched any other way.
 * Bus mastering off holds the engine (the doorbell is kept and acted on when bus mastering
 * is enabled).
 *
 * Where it runs: one thread at a time runs the engine (`running`), holding the device lock
 * except while it copies a descriptor of more than 64 KiB, so registers (CHANSTS, CDAR) read
 * during a long copy show it in progress. A reset while the lock is dropped bumps `gen`: the copy
 * in flight is dropped (not completed, no write-back) and the runner starts over from the reset
 * state. A doorbell written by a call (dev_model_mmio_write) runs the engine in the caller; one
 * stored through a BAR mapping (mmio.c) only wakes the worker thread that the first mapping
 * started, so the store returns at once. A doorbell rung while another thread runs the engine is
 * picked up by that thread (it re-reads DMACOUNT after each descriptor). After fork the child has
 * no worker: its doorbells run in the storing thread.
 *
 * Errors stop the channel: CHANSTS reads HALTED with the last completed descriptor, CHANERR
 * says why (as the hardware reports it, and as Linux's error handler reads it):
 *   descriptor address not 64-byte aligned  CHAINADDR: CHAIN_ADDR_VALUE; next: NEXT_DESC_ALIGN
 *   descriptor fetch faults                 NEXT_ADDR
 *   source read faults                      SRC_ADDR | READ_DATA
 *   destination write faults                DEST_ADDR | WRITE_DATA
 *   completion write faults                 COMPLETION_ADDR
 *   unknown operation                       CONTROL
 *   size 0 or above XFERCAP                 LENGTH
 *   CHANCMD start, append, abort (not v3)   CHANCMD
 * With CHANCTRL's error-completion enable the halted status is written back; with the
 * error-interrupt enable the interrupt is raised. A halted channel does nothing until
 * CHANCMD reset, which brings every channel register back to its reset value. A copy goes
 * host to host in pieces that cross no translation block (dev_dma_copy, dma.c): a fault
 * part-way leaves the pieces before it copied, as posted writes already issued would be; a
 * piece is written only when both sides translate, so a destination that is not mapped at
 * all is never written.
 *
 * BAR windows (mmio.c): ioat_shadow_render puts every register into BAR 0's read pages;
 * the engine puts CDAR at each fetch and CHANSTS at each completion (before the write-back).
 *
 * Interrupts: a descriptor with int_en completes -> the channel's interrupt is pending
 * (ATTNSTATUS bit 0). It is sent (MSI-X vector 0) when INTRCTRL's master enable is set and
 * CHANCTRL's INT_REARM is armed; sending disarms it (the driver re-arms by writing CHANCTRL),
 * and a re-arm with one pending sends it at once.
 *
 * Not modelled: DCA, XOR/PQ/fill operations, CHANCMD suspend/resume, interrupt coalescing
 * (INTRDELAY is kept, not acted on), CHANERRMSK (kept, every error halts).
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pci_regs.h>

#include "devices/devices_int.h"
#include "devices/ioat.h"

enum ioat_reg {
	R_CHANCNT,
	R_XFERCAP,
	R_GENCTRL,
	R_INTRCTRL,
	R_ATTNSTATUS,
	R_CBVER,
	R_INTRDELAY,
	R_DMACAP,
	R_CHANCTRL,
	R_CHANCMD,
	R_DMACOUNT,
	R_CHANSTS,
	R_CHAINADDR,
	R_CHANCMP,
	R_CDAR,
	R_CHANERR,
	R_CHANERRMSK,
	R_NR,
};

static const struct {
	uint16_t off;
	uint8_t size;
} ioat_regs[R_NR] = {
	[R_CHANCNT] = { IOAT_REG_CHANCNT, 1 },
	[R_XFERCAP] = { IOAT_REG_XFERCAP, 1 },
	[R_GENCTRL] = { IOAT_REG_GENCTRL, 1 },
	[R_INTRCTRL] = { IOAT_REG_INTRCTRL, 1 },
	[R_ATTNSTATUS] = { IOAT_REG_ATTNSTATUS, 4 },
	[R_CBVER] = { IOAT_REG_CBVER, 1 },
	[R_INTRDELAY] = { IOAT_REG_INTRDELAY, 2 },
	[R_DMACAP] = { IOAT_REG_DMACAP, 4 },
	[R_CHANCTRL] = { IOAT_CHAN_BASE + IOAT_CHAN_CTRL, 2 },
	[R_CHANCMD] = { IOAT_CHAN_BASE + IOAT_CHAN_CMD, 1 },
	[R_DMACOUNT] = { IOAT_CHAN_BASE + IOAT_CHAN_DMACOUNT, 2 },
	[R_CHANSTS] = { IOAT_CHAN_BASE + IOAT_CHAN_STS, 8 },
	[R_CHAINADDR] = { IOAT_CHAN_BASE + IOAT_CHAN_CHAINADDR, 8 },
	[R_CHANCMP] = { IOAT_CHAN_BASE + IOAT_CHAN_CMP, 8 },
	[R_CDAR] = { IOAT_CHAN_BASE + IOAT_CHAN_CDAR, 8 },
	[R_CHANERR] = { IOAT_CHAN_BASE + IOAT_CHAN_ERR, 4 },
	[R_CHANERRMSK] = { IOAT_CHAN_BASE + IOAT_CHAN_ERRMSK, 4 },
};

struct ioat {
	/* global */
	uint8_t genctrl, intrctrl;
	uint16_t intrdelay;
	/* channel 0 */
	uint16_t chanctrl;
	uint16_t dmacount; /* what the driver wrote */
	uint16_t done;	   /* descriptors the channel completed since the chain began */
	uint64_t chainaddr, chancmp, cdar;
	uint64_t completed;  /* address of the last completed descriptor */
	unsigned int status; /* IOAT_STS_* */
	uint32_t chanerr, chanerrmsk;
	uint64_t next;	  /* the next descriptor to fetch */
	bool first;	  /* next is CHAINADDR (nothing fetched since it was written) */
	bool irq_pending; /* ATTNSTATUS bit 0 */
	struct ioat_stats stats;
	/* the engine */
	bool running; /* a thread is in chan_run (it drops m->lock while it copies) */
	unsigned int runner_fork_gen;
	uint64_t gen; /* bumped by every channel reset */
	/* the worker thread (the first BAR mapping starts it) */
	pthread_t worker;
	pthread_cond_t kick_cv;
	bool worker_on, stop, kicked;
	unsigned int worker_fork_gen; /* dev_fork_gen() when it started: not ours in a child */
};

/* Copies up to this size run under the device lock (cheaper than dropping it, and short). */
#define IOAT_COPY_LOCKED (64u << 10)

static struct ioat *ioat_of(struct dev_model *m)
{
	return m->priv;
}

static void chan_reset(struct ioat *io)
{
	io->chanctrl = 0;
	io->dmacount = 0;
	io->done = 0;
	io->chainaddr = 0;
	io->chancmp = 0;
	io->cdar = 0;
	io->completed = 0;
	io->status = IOAT_STS_DONE;
	io->chanerr = 0;
	io->chanerrmsk = 0;
	io->next = 0;
	io->first = true;
	io->irq_pending = false;
	io->gen++;
}

static void ioat_reset(struct dev_model *m)
{
	struct ioat *io = ioat_of(m);

	io->genctrl = 0;
	io->intrctrl = 0;
	io->intrdelay = 0;
	chan_reset(io);
}

static int ioat_init(struct dev_model *m)
{
	struct ioat *io;

	if (m->pdev.bars[0].size < IOAT_BAR0_MIN || (m->pdev.bars[0].flags & PLATFORM_BAR_IO) ||
	    !m->pdev.msix_vectors)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	if (pthread_cond_init(&io->kick_cv, NULL)) {
		free(io);
		return -ENOMEM;
	}
	m->priv = io;
	ioat_reset(m);
	return 0;
}

static void ioat_fini(struct dev_model *m)
{
	struct ioat *io = ioat_of(m);

	if (!io)
		return;
	if (io->worker_on && io->worker_fork_gen == dev_fork_gen()) {
		pthread_mutex_lock(&m->lock);
		io->stop = true;
		pthread_cond_signal(&io->kick_cv);
		pthread_mutex_unlock(&m->lock);
		pthread_join(io->worker, NULL);
		pthread_cond_destroy(&io->kick_cv);
	} else if (!io->worker_on) {
		pthread_cond_destroy(&io->kick_cv);
	} /* else a fork child: the parent's worker still "waits" on it; leave it */
	free(io);
	m->priv = NULL;
}

static uint64_t chansts(const struct ioat *io)
{
	return (io->completed & IOAT_STS_ADDR_MASK) | io->status;
}

/* The channel's interrupt: send it if armed and enabled, else leave it pending. */
static void chan_irq_try(struct dev_model *m)
{
	struct ioat *io = ioat_of(m);

	if (!io->irq_pending || !(io->intrctrl & IOAT_INTRCTRL_MASTER_EN) ||
	    !(io->chanctrl & IOAT_CHANCTRL_INT_REARM))
		return;
	io->irq_pending = false;
	io->chanctrl &= (uint16_t)~IOAT_CHANCTRL_INT_REARM;
	io->stats.interrupts++;
	dev_model_msix_raise(m, 0);
}

static void chan_irq(struct dev_model *m)
{
	ioat_of(m)->irq_pending = true;
	chan_irq_try(m);
}

/* CHANSTS to the completion address: in the engine's DMA session, or on its own. */
static int write_completion(struct dev_model *m, struct dev_dma *dma)
{
	struct ioat *io = ioat_of(m);
	uint64_t sts = chansts(io);
	uint8_t le[8];

	for (unsigned int i = 0; i < 8; i++)
		le[i] = (uint8_t)(sts >> (8 * i));
	if (dma)
		return dev_dma_write(dma, io->chancmp, le, sizeof(le));
	return dev_model_dma(m, io->chancmp, le, sizeof(le), true);
}

static void chan_halt(struct dev_model *m, uint32_t err)
{
	struct ioat *io = ioat_of(m);

	io->chanerr |= err;
	io->status = IOAT_STS_HALTED;
	io->stats.errors++;
	if ((io->chanctrl & IOAT_CHANCTRL_ERR_COMPLETION_EN) && io->chancmp &&
	    write_completion(m, NULL))
		io->chanerr |= IOAT_CHANERR_COMPLETION_ADDR;
	if (io->chanctrl & IOAT_CHANCTRL_ERR_INT_EN)
		chan_irq(m);
}

/* Little-endian fields of a fetched descriptor (one load each, not a byte loop). */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* Copy one descriptor's bytes: 0 or the CHANERR bits. Runs without m->lock. */
static uint32_t do_copy(struct dev_dma *dma, uint64_t src, uint64_t dst, uint32_t size)
{
	bool dst_fault;

	if (!dev_dma_copy(dma, src, dst, size, &dst_fault))
		return 0;
	return dst_fault ? IOAT_CHANERR_DEST_ADDR | IOAT_CHANERR_WRITE_DATA :
			   IOAT_CHANERR_SRC_ADDR | IOAT_CHANERR_READ_DATA;
}

/*
 * Run descriptors until the channel's count reaches DMACOUNT, or it halts. m->lock held on
 * entry and exit, dropped around each copy; a thread finding the engine running returns
 * (the runner sees the new DMACOUNT).
 */
static void chan_run(struct dev_model *m)
{
	struct ioat *io = ioat_of(m);
	struct dev_dma dma;
	uint32_t halt = 0;

	if (io->running && io->runner_fork_gen == dev_fork_gen())
		return; /* (a fork child's engine was the parent's thread's: it runs again here) */
	io->running = true;
	io->runner_fork_gen = dev_fork_gen();
	dev_dma_begin(&dma, m);
	while (!io->stop && io->status != IOAT_STS_HALTED && io->done != io->dmacount &&
	       pci_cfg_bus_master(&m->cfg)) {
		uint8_t d[IOAT_DESC_SIZE];
		uint64_t addr = io->next, src, dst, gen;
		uint32_t size, ctl;

		io->status = IOAT_STS_ACTIVE;
		if (addr & (IOAT_DESC_SIZE - 1)) {
			halt = io->first ? IOAT_CHANERR_CHAIN_ADDR_VALUE :
					   IOAT_CHANERR_NEXT_DESC_ALIGN;
			break;
		}
		if (dev_dma_read(&dma, addr, d, sizeof(d))) {
			halt = IOAT_CHANERR_NEXT_ADDR;
			break;
		}
		io->cdar = addr;
		dev_model_shadow_put(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_CDAR, 8, addr);
		io->first = false;
		io->stats.descriptors++;
		size = le32(d + IOAT_DESC_SIZE_OFF);
		ctl = le32(d + IOAT_DESC_CTL);
		src = le64(d + IOAT_DESC_SRC);
		dst = le64(d + IOAT_DESC_DST);
		if ((ctl >> IOAT_DESC_OP_SHIFT) != IOAT_OP_COPY) {
			halt = IOAT_CHANERR_CONTROL;
			break;
		}
		if (!(ctl & IOAT_DESC_NULL)) {
			if (!size || size > (UINT32_C(1) << IOAT_XFERCAP_LOG2)) {
				halt = IOAT_CHANERR_LENGTH;
				break;
			}
			gen = io->gen;
			if (size > IOAT_COPY_LOCKED)
				pthread_mutex_unlock(&m->lock);
			halt = do_copy(&dma, src, dst, size);
			if (size > IOAT_COPY_LOCKED)
				pthread_mutex_lock(&m->lock);
			if (io->gen != gen) {
				halt = 0;
				continue; /* reset meanwhile: this descriptor is dropped */
			}
			if (halt)
				break;
			io->stats.bytes += size;
		}
		io->completed = addr;
		io->done++;
		io->next = le64(d + IOAT_DESC_NEXT);
		io->status = io->done == io->dmacount ? IOAT_STS_DONE : IOAT_STS_ACTIVE;
		/* a window's loads see the status no later than the write-back in memory */
		dev_model_shadow_put(m, 0, IOAT_CHAN_BASE + IOAT_CHAN_STS, 8, chansts(io));
		if ((ctl & IOAT_DESC_COMPL_WRITE) && write_completion(m, &dma)) {
			halt = IOAT_CHANERR_COMPLETION_ADDR;
			break;
		}
		if (ctl & IOAT_DESC_INT_EN) {
			/* the callback runs outside the read section */
			dev_dma_end(&dma);
			chan_irq(m);
			dev_dma_begin(&dma, m);
		}
	}
	dev_dma_end(&dma);
	if (halt)
		chan_halt(m, halt);
	io->running = false;
	dev_model_shadow_sync(m);
}

static void chan_cmd(struct dev_model *m, uint8_t cmd)
{
	struct ioat *io = ioat_of(m);

	if (cmd & IOAT_CHANCMD_RESET) {
		chan_reset(io);
		return;
	}
	if (cmd & (IOAT_CHANCMD_START | IOAT_CHANCMD_APPEND | IOAT_CHANCMD_ABORT |
		   IOAT_CHANCMD_SUSPEND | IOAT_CHANCMD_RESUME))
		chan_halt(m, IOAT_CHANERR_CHANCMD);
}

static uint64_t reg_value(struct dev_model *m, enum ioat_reg r)
{
	struct ioat *io = ioat_of(m);

	switch (r) {
	case R_CHANCNT:
		return 1;
	case R_XFERCAP:
		return IOAT_XFERCAP_LOG2;
	case R_GENCTRL:
		return io->genctrl;
	case R_INTRCTRL:
		return io->intrctrl | (io->irq_pending ? IOAT_INTRCTRL_INT_STATUS : 0) |
		       (io->irq_pending && (io->intrctrl & IOAT_INTRCTRL_MASTER_EN) ?
				IOAT_INTRCTRL_INT :
				0);
	case R_ATTNSTATUS:
		return io->irq_pending ? 1 : 0;
	case R_CBVER:
		return IOAT_CBVER_3_3;
	case R_INTRDELAY:
		return io->intrdelay;
	case R_DMACAP:
		return 0;
	case R_CHANCTRL:
		return io->chanctrl;
	case R_CHANCMD:
		return 0; /* a reset completes before the write returns */
	case R_DMACOUNT:
		return io->dmacount;
	case R_CHANSTS:
		return chansts(io);
	case R_CHAINADDR:
		return io->chainaddr;
	case R_CHANCMP:
		return io->chancmp;
	case R_CDAR:
		return io->cdar;
	case R_CHANERR:
		return io->chanerr;
	case R_CHANERRMSK:
		return io->chanerrmsk;
	default:
		return 0;
	}
}

/* A write covering bytes `mask` of register r: merged is the register with them replaced. */
static void reg_write(struct dev_model *m, enum ioat_reg r, uint64_t merged, uint64_t written)
{
	struct ioat *io = ioat_of(m);

	switch (r) {
	case R_GENCTRL:
		io->genctrl = (uint8_t)(merged & IOAT_GENCTRL_DEBUG_EN);
		break;
	case R_INTRCTRL:
		io->intrctrl =
			(uint8_t)(merged & (IOAT_INTRCTRL_MASTER_EN | IOAT_INTRCTRL_MSIX_VC));
		chan_irq_try(m);
		break;
	case R_INTRDELAY:
		io->intrdelay = (uint16_t)(merged & IOAT_INTRDELAY_MASK);
		break;
	case R_CHANCTRL:
		io->chanctrl = (uint16_t)(merged & IOAT_CHANCTRL_RW);
		chan_irq_try(m);
		break;
	case R_CHANCMD:
		chan_cmd(m, (uint8_t)merged);
		break;
	case R_DMACOUNT:
		io->dmacount = (uint16_t)merged;
		/* the channel has work: it reads active from the doorbell on */
		if (io->status != IOAT_STS_HALTED && io->done != io->dmacount &&
		    pci_cfg_bus_master(&m->cfg))
			io->status = IOAT_STS_ACTIVE;
		if (m->trapped && io->worker_on && io->worker_fork_gen == dev_fork_gen()) {
			io->kicked = true;
			pthread_cond_signal(&io->kick_cv);
		} else {
			chan_run(m);
		}
		break;
	case R_CHAINADDR:
		io->chainaddr = merged;
		io->next = merged;
		io->first = true;
		break;
	case R_CHANCMP:
		io->chancmp = merged;
		break;
	case R_CHANERR:
		io->chanerr &= ~(uint32_t)written;
		break;
	case R_CHANERRMSK:
		io->chanerrmsk = (uint32_t)merged;
		break;
	default:
		break; /* read-only */
	}
}

static uint64_t ioat_mmio_read(struct dev_model *m, unsigned int bar, uint64_t off,
			       unsigned int size)
{
	uint64_t v = 0;

	if (bar != 0)
		return 0;
	for (unsigned int r = 0; r < R_NR; r++) {
		uint64_t ro = ioat_regs[r].off, rs = ioat_regs[r].size, val;

		if (ro + rs <= off || off + size <= ro)
			continue;
		val = reg_value(m, (enum ioat_reg)r);
		for (uint64_t b = 0; b < rs; b++) {
			uint64_t at = ro + b;

			if (at >= off && at < off + size)
				v |= ((val >> (8 * b)) & 0xff) << (8 * (at - off));
		}
	}
	return v;
}

static void ioat_mmio_write(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			    uint64_t val)
{
	if (bar != 0)
		return;
	for (unsigned int r = 0; r < R_NR; r++) {
		uint64_t ro = ioat_regs[r].off, rs = ioat_regs[r].size;
		uint64_t merged, written = 0, mask = 0;

		if (ro + rs <= off || off + size <= ro)
			continue;
		merged = reg_value(m, (enum ioat_reg)r);
		for (uint64_t b = 0; b < rs; b++) {
			uint64_t at = ro + b, byte;

			if (at < off || at >= off + size)
				continue;
			byte = (val >> (8 * (at - off))) & 0xff;
			mask |= UINT64_C(0xff) << (8 * b);
			written |= byte << (8 * b);
		}
		merged = (merged & ~mask) | written;
		reg_write(m, (enum ioat_reg)r, merged, written);
	}
}

/*
 * Every register into BAR 0's read pages (mmio.c). CHANSTS goes last: a driver polls it and
 * then reads CHANERR, CDAR and the rest, so whatever a halt or completion changed must be
 * visible before the status that announces it (each put is a release store).
 */
static void ioat_shadow_render(struct dev_model *m)
{
	for (unsigned int r = 0; r < R_NR; r++)
		if (r != R_CHANSTS)
			dev_model_shadow_put(m, 0, ioat_regs[r].off, ioat_regs[r].size,
					     reg_value(m, (enum ioat_reg)r));
	dev_model_shadow_put(m, 0, ioat_regs[R_CHANSTS].off, ioat_regs[R_CHANSTS].size,
			     reg_value(m, R_CHANSTS));
}

static void ioat_cfg_changed(struct dev_model *m, unsigned int off, uint32_t old, uint32_t val)
{
	/* bus mastering enabled: a doorbell rung while it was off is acted on now */
	if (off == PCI_COMMAND && !(old & PCI_COMMAND_MASTER) && (val & PCI_COMMAND_MASTER))
		chan_run(m);
}

static void *ioat_worker(void *arg)
{
	struct dev_model *m = arg;
	struct ioat *io = ioat_of(m);

	pthread_mutex_lock(&m->lock);
	while (!io->stop) {
		if (!io->kicked) {
			pthread_cond_wait(&io->kick_cv, &m->lock);
			continue;
		}
		io->kicked = false;
		chan_run(m);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/*
 * The worker: signals blocked (a program's signal never lands on it). One per device for
 * its life: a fork child's copy of the device keeps running doorbells in the storing thread.
 */
static int ioat_start_async(struct dev_model *m)
{
	struct ioat *io = ioat_of(m);
	sigset_t all, old;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	if (io->worker_on)
		goto out; /* running, or the parent's (a fork child runs doorbells itself) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&io->worker, NULL, ioat_worker, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc) {
		io->worker_on = true;
		io->worker_fork_gen = dev_fork_gen();
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

void ioat_stats(struct dev_model *m, struct ioat_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (m->type != &dev_model_ioat)
		return;
	pthread_mutex_lock(&m->lock);
	*out = ioat_of(m)->stats;
	pthread_mutex_unlock(&m->lock);
}

const struct dev_model_type dev_model_ioat = {
	.name = "ioat",
	.init = ioat_init,
	.fini = ioat_fini,
	.mmio_read = ioat_mmio_read,
	.mmio_write = ioat_mmio_write,
	.reset = ioat_reset,
	.cfg_changed = ioat_cfg_changed,
	.shadow_render = ioat_shadow_render,
	.start_async = ioat_start_async,
};
