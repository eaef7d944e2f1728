// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_ioat.c - the I/OAT DMA channel model (src/devices/ioat.c), driven as a driver would:
 * a context, an IOAS, the device bound behind a VT-d second-stage IOMMU and attached,
 * buffers mapped at IOVAs, config space set up (memory decode, bus mastering, MSI-X), the
 * channel reset and armed, a descriptor ring built in mapped memory, the doorbell rung.
 *
 * Checked: copies byte for byte, the completion write-back and CHANSTS, the interrupt on
 * MSI-X vector 0 (re-arm, masking, pending bit), every error the channel reports (each
 * halts it with CHANERR bits, touches nothing it should not) and recovery by reset, null
 * descriptors, the 16-bit DMACOUNT wrapping, bus mastering holding the doorbell, memory
 * decode off, FLR.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "devices/devices.h"
#include "devices/ioat.h"
#include "ioasid/ioasid.h"
#include "pci/pci.h"
#include "platform/platform.h"

_Static_assert(sizeof(struct ioat_desc) == IOAT_DESC_SIZE, "descriptor is 64 bytes");

#define OK(x)	  assert_int_equal((x), 0)
#define SZ_4K	  0x1000u
#define IOVA_BASE UINT64_C(0x40000000)
#define RING_IOVA IOVA_BASE		 /* 4K: 64 descriptors */
#define CMP_IOVA  (IOVA_BASE + SZ_4K)	 /* 4K: completion write-back */
#define SRC_IOVA  (IOVA_BASE + 0x100000) /* 1M */
#define DST_IOVA  (IOVA_BASE + 0x200000) /* 1M */
#define RO_IOVA	  (IOVA_BASE + 0x300000) /* 4K, read-only to the device */
#define HOLE_IOVA (IOVA_BASE + 0x400000) /* nothing mapped */
#define NR_RING	  64u
#define CH(r)	  (IOAT_CHAN_BASE + (r))

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev_id;
	uint8_t *ring, *cmp, *src, *dst, *ro;
	struct dev_model *m;
	const struct platform_device *pdev;
	unsigned int irqs, last_vector;
};

static void on_irq(void *opaque, unsigned int vector)
{
	struct fix *f = opaque;

	f->irqs++;
	f->last_vector = vector;
}

static uint8_t *map(struct fix *f, uint64_t iova, size_t len, bool writeable)
{
	uint8_t *p = NULL;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA |
			 (writeable ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.ioas_id = f->ioas,
		.length = len,
		.iova = iova,
	};

	assert_int_equal(posix_memalign((void **)&p, SZ_4K, len), 0);
	memset(p, 0, len);
	m.user_va = (uintptr_t)p;
	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	return p;
}

static uint64_t rd(struct fix *f, uint64_t off, unsigned int size)
{
	uint64_t v;

	OK(dev_model_mmio_read(f->m, 0, off, size, &v));
	return v;
}

static void wr(struct fix *f, uint64_t off, unsigned int size, uint64_t v)
{
	OK(dev_model_mmio_write(f->m, 0, off, size, v));
}

static void cfg_wr(struct fix *f, unsigned int off, unsigned int size, uint32_t v)
{
	OK(dev_model_cfg_write(f->m, off, &v, size));
}

static uint32_t cfg_rd(struct fix *f, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	OK(dev_model_cfg_read(f->m, off, &v, size));
	return v;
}

/* What a driver does before the first copy: reset the channel and arm it. */
static void chan_start(struct fix *f)
{
	wr(f, CH(IOAT_CHAN_CMD), 1, IOAT_CHANCMD_RESET);
	assert_int_equal(rd(f, CH(IOAT_CHAN_CMD), 1), 0);
	wr(f, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	/* completion address as two dwords, as the driver writes it */
	wr(f, CH(IOAT_CHAN_CMP), 4, (uint32_t)CMP_IOVA);
	wr(f, CH(IOAT_CHAN_CMP) + 4, 4, CMP_IOVA >> 32);
	wr(f, CH(IOAT_CHAN_CHAINADDR), 8, RING_IOVA);
	memset(f->cmp, 0, SZ_4K);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_device_desc desc = { .flags = 0 };
	struct platform_bdf bdf;
	const struct platform *p = platform_default();
	struct dev_model_params params;

	assert_non_null(f);
	OK(platform_bdf_parse("0000:00:04.0", &bdf));
	f->pdev = platform_device_find(p, &bdf);
	assert_non_null(f->pdev);
	desc.format = p->iommus[f->pdev->iommu].format;
	OK(ioasid_ctx_new(NULL, &f->ctx));
	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a));
	f->ioas = a.out_ioas_id;
	OK(ioasid_device_new(f->ctx, &desc, &f->dev_id));
	OK(ioasid_device_attach(f->ctx, f->dev_id, f->ioas, NULL));
	f->ring = map(f, RING_IOVA, SZ_4K, true);
	f->cmp = map(f, CMP_IOVA, SZ_4K, true);
	f->src = map(f, SRC_IOVA, 0x100000, true);
	f->dst = map(f, DST_IOVA, 0x100000, true);
	f->ro = map(f, RO_IOVA, SZ_4K, false);
	for (size_t i = 0; i < 0x100000; i++)
		f->src[i] = (uint8_t)(i * 7 + (i >> 11));
	params = (struct dev_model_params){
		.pdev = f->pdev,
		.ctx = f->ctx,
		.dev_id = f->dev_id,
		.irq = on_irq,
		.opaque = f,
	};
	OK(dev_model_new(&params, &f->m));
	assert_string_equal(dev_model_name(f->m), "ioat");

	/* probe: identity, memory decode and bus mastering, MSI-X on with vector 0 unmasked */
	assert_int_equal(cfg_rd(f, PCI_VENDOR_ID, 4), IOAT_DEVICE_SKX << 16 | IOAT_VENDOR);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cfg_wr(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	wr(f, f->pdev->msix_table_off + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	assert_int_equal(rd(f, IOAT_REG_CBVER, 1), IOAT_CBVER_3_3);
	assert_int_equal(rd(f, IOAT_REG_CHANCNT, 1), 1);
	assert_int_equal(rd(f, IOAT_REG_XFERCAP, 1), IOAT_XFERCAP_LOG2);
	wr(f, IOAT_REG_INTRCTRL, 1, IOAT_INTRCTRL_MASTER_EN | IOAT_INTRCTRL_MSIX_VC);
	chan_start(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	dev_model_free(f->m);
	ioasid_ctx_free(f->ctx);
	free(f->ring);
	free(f->cmp);
	free(f->src);
	free(f->dst);
	free(f->ro);
	free(f);
	return 0;
}

/* Descriptor i of the ring: a copy, linked to i + 1 (the ring wraps). */
static void desc_set(struct fix *f, unsigned int i, uint32_t size, uint32_t ctl, uint64_t src,
		     uint64_t dst)
{
	struct ioat_desc d = {
		.size = size,
		.ctl = ctl,
		.src_addr = src,
		.dst_addr = dst,
		.next = RING_IOVA + ((i + 1) % NR_RING) * IOAT_DESC_SIZE,
	};

	memcpy(f->ring + i * IOAT_DESC_SIZE, &d, sizeof(d));
}

static uint64_t completion(struct fix *f)
{
	uint64_t v;

	memcpy(&v, f->cmp, sizeof(v));
	return v;
}

static void test_copy(void **state)
{
	struct fix *f = *state;

	/* three copies; the last asks for a completion write-back and an interrupt */
	desc_set(f, 0, 4096, 0, SRC_IOVA, DST_IOVA);
	desc_set(f, 1, 100, 0, SRC_IOVA + 5000, DST_IOVA + 8192 + 3);
	desc_set(f, 2, 65536 + 17, IOAT_DESC_INT_EN | IOAT_DESC_COMPL_WRITE, SRC_IOVA + 0x20000,
		 DST_IOVA + 0x40000);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 3);
	assert_memory_equal(f->dst, f->src, 4096);
	assert_memory_equal(f->dst + 8192 + 3, f->src + 5000, 100);
	assert_int_equal(f->dst[8192 + 2], 0);
	assert_int_equal(f->dst[8192 + 103], 0);
	assert_memory_equal(f->dst + 0x40000, f->src + 0x20000, 65536 + 17);
	assert_int_equal(f->dst[0x40000 + 65536 + 17], 0);
	assert_int_equal(completion(f), (RING_IOVA + 2 * 64) | IOAT_STS_DONE);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8), (RING_IOVA + 2 * 64) | IOAT_STS_DONE);
	/* the status as two dwords */
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 4), (uint32_t)((RING_IOVA + 128) | 1));
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS) + 4, 4), (RING_IOVA + 128) >> 32);
	assert_int_equal(f->irqs, 1);
	assert_int_equal(f->last_vector, 0);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), 0);
	/* the interrupt disarmed itself */
	assert_int_equal(rd(f, CH(IOAT_CHAN_CTRL), 2) & IOAT_CHANCTRL_INT_REARM, 0);

	/* append two more: the channel goes on from descriptor 3 */
	desc_set(f, 3, 64, 0, SRC_IOVA + 64, DST_IOVA + 0x80000);
	desc_set(f, 4, 64, IOAT_DESC_INT_EN | IOAT_DESC_COMPL_WRITE, SRC_IOVA + 128,
		 DST_IOVA + 0x80040);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 5);
	assert_memory_equal(f->dst + 0x80000, f->src + 64, 128);
	assert_int_equal(completion(f), (RING_IOVA + 4 * 64) | IOAT_STS_DONE);
	/* not re-armed: the interrupt waits, pending */
	assert_int_equal(f->irqs, 1);
	assert_int_equal(rd(f, IOAT_REG_ATTNSTATUS, 4), 1);
	assert_true(rd(f, IOAT_REG_INTRCTRL, 1) & IOAT_INTRCTRL_INT_STATUS);
	wr(f, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	assert_int_equal(f->irqs, 2);
	assert_int_equal(rd(f, IOAT_REG_ATTNSTATUS, 4), 0);

	/* the same count again starts nothing */
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 5);
	{
		struct ioat_stats st;

		ioat_stats(f->m, &st);
		assert_int_equal(st.descriptors, 5);
		assert_int_equal(st.bytes, 4096 + 100 + 65536 + 17 + 128);
		assert_int_equal(st.interrupts, 2);
		assert_int_equal(st.errors, 0);
	}
}

/* Halted with exactly `err`, the halted status written back, the error interrupt sent. */
static void expect_halt(struct fix *f, uint32_t err, uint64_t last_done)
{
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), err);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8), last_done | IOAT_STS_HALTED);
	assert_int_equal(completion(f), last_done | IOAT_STS_HALTED);
}

/* What Linux's error handler does: clear CHANERR by writing it back, reset, restart. */
static void recover(struct fix *f)
{
	uint32_t err = (uint32_t)rd(f, CH(IOAT_CHAN_ERR), 4);

	wr(f, CH(IOAT_CHAN_ERR), 4, err);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), 0);
	chan_start(f);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8), IOAT_STS_DONE);
	assert_int_equal(rd(f, CH(IOAT_CHAN_DMACOUNT), 2), 0);
}

static void good_copy(struct fix *f)
{
	memset(f->dst, 0, 4096);
	desc_set(f, 0, 4096, IOAT_DESC_COMPL_WRITE, SRC_IOVA + 4096, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_memory_equal(f->dst, f->src + 4096, 4096);
	assert_int_equal(completion(f), RING_IOVA | IOAT_STS_DONE);
}

static void test_dest_fault(void **state)
{
	struct fix *f = *state;
	uint8_t before[SZ_4K];

	/* one good copy, then one to an IOVA nothing maps */
	desc_set(f, 0, 256, 0, SRC_IOVA, DST_IOVA);
	desc_set(f, 1, 256, IOAT_DESC_COMPL_WRITE, SRC_IOVA, HOLE_IOVA);
	desc_set(f, 2, 256, 0, SRC_IOVA, DST_IOVA + 4096);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 3);
	expect_halt(f, IOAT_CHANERR_DEST_ADDR | IOAT_CHANERR_WRITE_DATA, RING_IOVA);
	assert_int_equal(f->irqs, 1); /* the error interrupt */
	assert_memory_equal(f->dst, f->src, 256);
	/* the descriptor after the fault did not run */
	assert_int_equal(f->dst[4096], 0);
	/* a halted channel ignores the doorbell */
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 4);
	assert_int_equal(f->dst[4096], 0);
	recover(f);
	good_copy(f);

	/* a destination the IOMMU maps read-only: refused, untouched */
	memcpy(before, f->ro, sizeof(before));
	desc_set(f, 0, 512, 0, SRC_IOVA, RO_IOVA);
	recover(f);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	expect_halt(f, IOAT_CHANERR_DEST_ADDR | IOAT_CHANERR_WRITE_DATA, 0);
	assert_memory_equal(f->ro, before, sizeof(before));
	recover(f);
	good_copy(f);
}

static void test_other_faults(void **state)
{
	struct fix *f = *state;
	static const struct {
		uint32_t size, ctl;
		uint64_t src, dst;
		uint32_t err;
	} cases[] = {
		{ 256, 0, HOLE_IOVA, DST_IOVA, IOAT_CHANERR_SRC_ADDR | IOAT_CHANERR_READ_DATA },
		{ 256, 0x87u << IOAT_DESC_OP_SHIFT, SRC_IOVA, DST_IOVA, IOAT_CHANERR_CONTROL },
		{ 0, 0, SRC_IOVA, DST_IOVA, IOAT_CHANERR_LENGTH },
		{ (1u << IOAT_XFERCAP_LOG2) + 1, 0, SRC_IOVA, DST_IOVA, IOAT_CHANERR_LENGTH },
		{ 16, 0, UINT64_MAX - 7, DST_IOVA, IOAT_CHANERR_SRC_ADDR | IOAT_CHANERR_READ_DATA },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(f->dst, 0, 4096);
		desc_set(f, 0, cases[i].size, cases[i].ctl, cases[i].src, cases[i].dst);
		wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
		expect_halt(f, cases[i].err, 0);
		assert_int_equal(f->dst[0], 0);
		recover(f);
		good_copy(f);
		recover(f);
	}

	/* CHAINADDR not 64-byte aligned; a descriptor fetch that faults; a bad next link */
	wr(f, CH(IOAT_CHAN_CHAINADDR), 8, RING_IOVA + 8);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	expect_halt(f, IOAT_CHANERR_CHAIN_ADDR_VALUE, 0);
	recover(f);
	wr(f, CH(IOAT_CHAN_CHAINADDR), 8, HOLE_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	expect_halt(f, IOAT_CHANERR_NEXT_ADDR, 0);
	recover(f);
	desc_set(f, 0, 64, 0, SRC_IOVA, DST_IOVA);
	memcpy(f->ring + IOAT_DESC_NEXT, &(uint64_t){ RING_IOVA + 65 }, 8);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 2);
	expect_halt(f, IOAT_CHANERR_NEXT_DESC_ALIGN, RING_IOVA);
	recover(f);

	/* a completion address nothing maps */
	wr(f, CH(IOAT_CHAN_CMP), 8, HOLE_IOVA);
	desc_set(f, 0, 64, IOAT_DESC_COMPL_WRITE, SRC_IOVA, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), IOAT_CHANERR_COMPLETION_ADDR);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_HALTED);
	recover(f);

	/* v1 commands are not this channel's */
	wr(f, CH(IOAT_CHAN_CMD), 1, IOAT_CHANCMD_START);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), IOAT_CHANERR_CHANCMD);
	recover(f);
	good_copy(f);
}

static void test_null_and_wrap(void **state)
{
	struct fix *f = *state;
	uint16_t count = 0;

	/* a ring of null descriptors, run past 65535: the count wraps as the driver's does */
	for (unsigned int i = 0; i < NR_RING; i++)
		desc_set(f, i, 0, IOAT_DESC_NULL, 0, 0);
	for (unsigned int round = 0; round < 5; round++) {
		count = (uint16_t)(count + 20000);
		wr(f, CH(IOAT_CHAN_DMACOUNT), 2, count);
		assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_DONE);
	}
	/* 100000 descriptors: the last one done is number 99999 of the ring */
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8),
			 (RING_IOVA + (99999 % NR_RING) * 64) | IOAT_STS_DONE);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), 0);
}

static void test_bus_master_and_decode(void **state)
{
	struct fix *f = *state;
	uint64_t v;

	/* bus mastering off: the doorbell is kept, nothing moves until it is on */
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	desc_set(f, 0, 512, IOAT_DESC_COMPL_WRITE, SRC_IOVA, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(f->dst[1], 0);
	assert_int_equal(completion(f), 0);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_memory_equal(f->dst, f->src, 512);
	assert_int_equal(completion(f), RING_IOVA | IOAT_STS_DONE);

	/* memory decode off: reads are all ones, writes dropped */
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	OK(dev_model_mmio_read(f->m, 0, IOAT_REG_CBVER, 1, &v));
	assert_int_equal(v, 0xff);
	OK(dev_model_mmio_read(f->m, 0, CH(IOAT_CHAN_STS), 8, &v));
	assert_int_equal(v, UINT64_MAX);
	wr(f, CH(IOAT_CHAN_CMD), 1, IOAT_CHANCMD_RESET);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8), RING_IOVA | IOAT_STS_DONE);

	/* bad MMIO accesses */
	assert_int_equal(dev_model_mmio_read(f->m, 1, 0, 4, &v), -EINVAL);
	assert_int_equal(dev_model_mmio_read(f->m, 0, 0x4000, 4, &v), -EINVAL);
	assert_int_equal(dev_model_mmio_read(f->m, 0, 0x3ffc, 8, &v), -EINVAL);
	assert_int_equal(dev_model_mmio_read(f->m, 0, 2, 4, &v), -EINVAL);
	assert_int_equal(dev_model_mmio_read(f->m, 0, 0, 3, &v), -EINVAL);
	assert_int_equal(dev_model_mmio_write(f->m, 0, UINT64_MAX - 3, 4, 0), -EINVAL);
}

static void test_msix_mask(void **state)
{
	struct fix *f = *state;
	uint64_t entry_ctrl = f->pdev->msix_table_off + PCI_MSIX_ENTRY_VECTOR_CTRL;

	/* vector 0 masked: the message waits in the PBA */
	wr(f, entry_ctrl, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	desc_set(f, 0, 64, IOAT_DESC_INT_EN, SRC_IOVA, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_equal(f->irqs, 0);
	assert_int_equal(rd(f, f->pdev->msix_pba_off, 8), 1);
	/* the PBA is read-only */
	wr(f, f->pdev->msix_pba_off, 8, 0);
	assert_int_equal(rd(f, f->pdev->msix_pba_off, 8), 1);
	wr(f, entry_ctrl, 4, 0);
	assert_int_equal(f->irqs, 1);
	assert_int_equal(rd(f, f->pdev->msix_pba_off, 8), 0);

	/* function mask in config space, the same */
	cfg_wr(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2,
	       PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	wr(f, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	desc_set(f, 1, 64, IOAT_DESC_INT_EN, SRC_IOVA, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 2);
	assert_int_equal(f->irqs, 1);
	cfg_wr(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(f->irqs, 2);

	/* the table keeps what the driver wrote */
	wr(f, f->pdev->msix_table_off, 8, UINT64_C(0xfee00000));
	wr(f, f->pdev->msix_table_off + 8, 4, 0x4041);
	assert_int_equal(rd(f, f->pdev->msix_table_off, 8), 0xfee00000);
	assert_int_equal(rd(f, f->pdev->msix_table_off + 8, 4), 0x4041);
}

static void test_flr(void **state)
{
	struct fix *f = *state;
	uint32_t devctl = cfg_rd(f, PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL, 2);

	desc_set(f, 0, 64, 0, HOLE_IOVA, DST_IOVA);
	wr(f, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	assert_int_not_equal(rd(f, CH(IOAT_CHAN_ERR), 4), 0);
	/* FLR: config space back to power-on (decode off), the channel reset */
	cfg_wr(f, PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL, 2,
	       devctl | PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_URRE);
	assert_int_equal(cfg_rd(f, PCI_COMMAND, 2), 0);
	/* device control itself is back to power-on, not what the FLR write carried */
	assert_int_equal(cfg_rd(f, PCI_CFG_EXP_OFF + PCI_EXP_DEVCTL, 2), devctl);
	assert_int_equal(cfg_rd(f, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, 2), 0);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(rd(f, CH(IOAT_CHAN_ERR), 4), 0);
	assert_int_equal(rd(f, CH(IOAT_CHAN_STS), 8), IOAT_STS_DONE);
	assert_int_equal(rd(f, CH(IOAT_CHAN_CMP), 8), 0);
	/* the MSI-X vector is masked again */
	assert_int_equal(rd(f, f->pdev->msix_table_off + PCI_MSIX_ENTRY_VECTOR_CTRL, 4),
			 PCI_MSIX_ENTRY_CTRL_MASKBIT);
	chan_start(f);
	good_copy(f);
	/* dev_model_reset is the same */
	dev_model_reset(f->m);
	assert_int_equal(cfg_rd(f, PCI_COMMAND, 2), 0);
}

static void test_models(void **state)
{
	struct fix *f = *state;
	struct dev_model *m;
	struct platform_device pd = *f->pdev;
	struct dev_model_params params = { .pdev = &pd, .ctx = f->ctx, .dev_id = f->dev_id };
	uint64_t v;

	/* "none": config space only, BAR reads 0 */
	snprintf(pd.model, sizeof(pd.model), "none");
	OK(dev_model_new(&params, &m));
	assert_string_equal(dev_model_name(m), "none");
	v = 1;
	OK(dev_model_cfg_write(m, PCI_COMMAND, &(uint16_t){ PCI_COMMAND_MEMORY }, 2));
	OK(dev_model_mmio_read(m, 0, IOAT_REG_CBVER, 1, &v));
	assert_int_equal(v, 0);
	dev_model_free(m);
	/* an unknown model; an I/OAT without its BAR */
	snprintf(pd.model, sizeof(pd.model), "nvme");
	assert_int_equal(dev_model_new(&params, &m), -EOPNOTSUPP);
	snprintf(pd.model, sizeof(pd.model), "ioat");
	pd.bars[0].size = 4096;
	pd.msix_vectors = 0;
	assert_int_equal(dev_model_new(&params, &m), -EINVAL);
}

/*
 * The I/OAT channel behind each IOMMU of the default platform (every kind), and every
 * default device made as its model: bound with its IOMMU's format, config space readable.
 */
static void test_every_iommu(void **state)
{
	const struct platform *p = platform_default();

	(void)state;
	for (size_t i = 0; i < p->nr_iommus; i++) {
		struct ioasid_device_desc desc = { .format = p->iommus[i].format };
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_iova_range ranges[8];
		struct iommu_ioas_iova_ranges rq = { .size = sizeof(rq), .num_iovas = 8 };
		struct platform_bdf bdf;
		struct platform_device pd;
		struct dev_model_params params;
		struct ioasid_ctx *ctx;
		struct dev_model *m;
		uint32_t dev_id, ioas, cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
		uint64_t base = 0, sts;
		uint8_t *ring = NULL, *buf = NULL;
		struct ioat_desc d;

		OK(platform_bdf_parse("0000:00:04.0", &bdf));
		pd = *platform_device_find(p, &bdf);
		pd.iommu = (unsigned int)i;
		OK(ioasid_ctx_new(NULL, &ctx));
		OK(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &a));
		ioas = a.out_ioas_id;
		OK(ioasid_device_new(ctx, &desc, &dev_id));
		OK(ioasid_device_attach(ctx, dev_id, ioas, NULL));
		rq.ioas_id = ioas;
		rq.allowed_iovas = (uintptr_t)ranges;
		OK(ioasid_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &rq));
		for (unsigned int r = 0; r < rq.num_iovas && r < 8 && !base; r++) {
			uint64_t lo = ranges[r].start > (UINT64_C(16) << 20) ? ranges[r].start :
									       UINT64_C(16) << 20;
			uint64_t b = (lo + 0x3fffff) & ~UINT64_C(0x3fffff);

			if (b >= lo && b + (UINT64_C(16) << 20) - 1 <= ranges[r].last)
				base = b;
		}
		assert_int_not_equal(base, 0);
		/* ring + completion at base, a 64 KiB buffer (source half, destination half) */
		assert_int_equal(posix_memalign((void **)&ring, 65536, 65536), 0);
		assert_int_equal(posix_memalign((void **)&buf, 65536, 65536), 0);
		memset(ring, 0, 65536);
		for (unsigned int k = 0; k < 32768; k++)
			buf[k] = (uint8_t)(k ^ i);
		memset(buf + 32768, 0, 32768);
		{
			struct iommu_ioas_map mp = {
				.size = sizeof(mp),
				.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					 IOMMU_IOAS_MAP_FIXED_IOVA,
				.ioas_id = ioas,
				.length = 65536,
			};

			mp.user_va = (uintptr_t)ring;
			mp.iova = base;
			OK(ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &mp));
			mp.user_va = (uintptr_t)buf;
			mp.iova = base + 65536;
			OK(ioasid_ioctl(ctx, IOMMU_IOAS_MAP, &mp));
		}
		params = (struct dev_model_params){ .pdev = &pd, .ctx = ctx, .dev_id = dev_id };
		OK(dev_model_new(&params, &m));
		OK(dev_model_cfg_write(m, PCI_COMMAND, &cmd, 2));
		OK(dev_model_mmio_write(m, 0, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN));
		OK(dev_model_mmio_write(m, 0, CH(IOAT_CHAN_CMP), 8, base + 4096));
		OK(dev_model_mmio_write(m, 0, CH(IOAT_CHAN_CHAINADDR), 8, base));
		d = (struct ioat_desc){ .size = 30000,
					.ctl = IOAT_DESC_COMPL_WRITE,
					.src_addr = base + 65536 + 7,
					.dst_addr = base + 65536 + 32768,
					.next = base + 64 };
		memcpy(ring, &d, sizeof(d));
		/* the second: to 1 MiB past the mapped buffer, nothing there */
		d.dst_addr = base + (UINT64_C(1) << 20);
		d.next = base + 128;
		memcpy(ring + 64, &d, sizeof(d));
		OK(dev_model_mmio_write(m, 0, CH(IOAT_CHAN_DMACOUNT), 2, 2));
		assert_memory_equal(buf + 32768, buf + 7, 30000);
		OK(dev_model_mmio_read(m, 0, CH(IOAT_CHAN_STS), 8, &sts));
		assert_int_equal(sts, base | IOAT_STS_HALTED);
		OK(dev_model_mmio_read(m, 0, CH(IOAT_CHAN_ERR), 4, &sts));
		assert_int_equal(sts, IOAT_CHANERR_DEST_ADDR | IOAT_CHANERR_WRITE_DATA);
		dev_model_free(m);

		/* every default device behind this IOMMU comes up as its model */
		for (size_t j = 0; j < p->nr_devs; j++) {
			uint32_t id, vd;

			if (p->devs[j].iommu != i)
				continue;
			OK(ioasid_device_new(ctx, &desc, &id));
			params = (struct dev_model_params){ .pdev = &p->devs[j],
							    .ctx = ctx,
							    .dev_id = id };
			OK(dev_model_new(&params, &m));
			assert_string_equal(dev_model_name(m), p->devs[j].model);
			OK(dev_model_cfg_read(m, PCI_VENDOR_ID, &vd, 4));
			assert_int_equal(vd, (uint32_t)p->devs[j].device << 16 | p->devs[j].vendor);
			dev_model_free(m);
		}
		ioasid_ctx_free(ctx);
		free(ring);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dest_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_and_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_master_and_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_models, setup, teardown),
		cmocka_unit_test(test_every_iommu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
