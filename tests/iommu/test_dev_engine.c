/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dev_engine.c - an emulated device's DMA (the I/OAT engine, src/devices/dma.c) is
 * translated exactly as its IOMMU model says: through the device's translation call, which
 * reads the model's own structures on an IOTLB miss.
 *
 * For each model with structures (VT-d second and first stage, SMMUv3 stage 1 and stage 2,
 * AMD, RISC-V, POWER TCE): a copy lands; the device's entry is then made malformed behind
 * the attach's back (a reserved PGTT, TG0, S2TG, Mode, iosatp mode, IO page size); a copy
 * between pages the IOTLB holds still lands (stale until invalidated, as on hardware); a copy
 * from pages it does not hold halts the channel with a source-read error and writes nothing;
 * with the entry restored and the channel reset, the same copy lands. A walk that ignored
 * the structures (a translation of the slot's domain alone) would let the faulting copy land.
 */
#include <endian.h>
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

#include "core/private.h"
#include "devices/devices.h"
#include "devices/ioat.h"
#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "ioasid/ioasid.h"
#include "platform/platform.h"

#define OK(x) assert_int_equal((x), 0)
#define BASE  UINT64_C(0x1000000) /* ring at BASE, completion at BASE + 4K */
/* 64K: sources in the first half, destinations after; IOVA and memory aligned differently,
 * so that every leaf is 4K (no 64K contiguous, NAPOT or 32K AMD leaves) */
#define BUF	 (BASE + 0x11000)
#define CH(r)	 (IOAT_CHAN_BASE + (r))
#define PPN_MASK ((UINT64_C(1) << 44) - 1)

struct eng {
	struct ioasid_ctx *ctx;
	struct dev_model *m;
	uint32_t dev;
	uint8_t *ring, *buf;
};

static void eng_wr(struct eng *e, uint64_t off, unsigned int size, uint64_t v)
{
	OK(dev_model_mmio_write(e->m, 0, off, size, v));
}

static uint64_t eng_rd(struct eng *e, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	OK(dev_model_mmio_read(e->m, 0, off, size, &v));
	return v;
}

/* Reset the channel (clearing any error) and run one copy descriptor; CHANERR after it. */
static uint32_t copy(struct eng *e, uint32_t src_off, uint32_t dst_off, uint32_t len)
{
	struct ioat_desc d = { .size = len,
			       .ctl = IOAT_DESC_COMPL_WRITE,
			       .src_addr = BUF + src_off,
			       .dst_addr = BUF + dst_off,
			       .next = BASE + 64 };

	eng_wr(e, CH(IOAT_CHAN_ERR), 4, eng_rd(e, CH(IOAT_CHAN_ERR), 4));
	eng_wr(e, CH(IOAT_CHAN_CMD), 1, IOAT_CHANCMD_RESET);
	eng_wr(e, CH(IOAT_CHAN_CTRL), 2, IOAT_CHANCTRL_RUN);
	eng_wr(e, CH(IOAT_CHAN_CMP), 8, BASE + 4096);
	eng_wr(e, CH(IOAT_CHAN_CHAINADDR), 8, BASE);
	memcpy(e->ring, &d, sizeof(d));
	eng_wr(e, CH(IOAT_CHAN_DMACOUNT), 2, 1);
	return (uint32_t)eng_rd(e, CH(IOAT_CHAN_ERR), 4);
}

static void eng_open(struct eng *e, const char *format)
{
	struct ioasid_device_desc desc = { .format = format };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_ioas_map mp = { .size = sizeof(mp),
				     .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
					      IOMMU_IOAS_MAP_FIXED_IOVA };
	const struct platform *p = platform_default();
	struct platform_device pd;
	struct platform_bdf bdf;
	struct dev_model_params params;
	uint32_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	OK(ioasid_ctx_new(NULL, &e->ctx));
	OK(ioasid_ioctl(e->ctx, IOMMU_IOAS_ALLOC, &a));
	OK(ioasid_device_new(e->ctx, &desc, &e->dev));
	OK(ioasid_device_attach(e->ctx, e->dev, a.out_ioas_id, NULL));
	OK(posix_memalign((void **)&e->ring, 65536, 65536));
	OK(posix_memalign((void **)&e->buf, 65536, 65536));
	memset(e->ring, 0, 65536);
	for (unsigned int k = 0; k < 32768; k++)
		e->buf[k] = (uint8_t)(k * 13 + 1);
	memset(e->buf + 32768, 0, 32768);
	mp.ioas_id = a.out_ioas_id;
	mp.length = 65536;
	mp.user_va = (uintptr_t)e->ring;
	mp.iova = BASE;
	OK(ioasid_ioctl(e->ctx, IOMMU_IOAS_MAP, &mp));
	mp.user_va = (uintptr_t)e->buf;
	mp.iova = BUF;
	OK(ioasid_ioctl(e->ctx, IOMMU_IOAS_MAP, &mp));
	OK(platform_bdf_parse("0000:00:04.0", &bdf));
	pd = *platform_device_find(p, &bdf);
	params = (struct dev_model_params){ .pdev = &pd, .ctx = e->ctx, .dev_id = e->dev };
	OK(dev_model_new(&params, &e->m));
	OK(dev_model_cfg_write(e->m, PCI_COMMAND, &cmd, 2));
}

static void eng_close(struct eng *e)
{
	dev_model_free(e->m);
	ioasid_ctx_free(e->ctx);
	free(e->ring);
	free(e->buf);
}

/* The 8-byte word of the device's structures that the breaker edits, and how. */
static uint64_t *victim(struct eng *e, const char *format, uint64_t *out_bad)
{
	struct iommu_dev *idev = iommu_dir_lookup(&e->ctx->iommu_dir, e->dev);
	uint64_t *root = (uint64_t *)iommu_phys_resolve(iommu_dev_hw(idev)->root_pa, 8);

	if (!strncmp(format, "vtd", 3) || !strncmp(format, "x86", 3)) {
		/* RID_PASID 0's PASID entry: PGTT 5 (reserved) */
		uint64_t *dir =
			(uint64_t *)iommu_phys_resolve(le64toh(root[0]) & ~UINT64_C(0xfff), 8);
		uint64_t *pe =
			(uint64_t *)iommu_phys_resolve(le64toh(dir[0]) & ~UINT64_C(0xfff), 8);

		*out_bad = (le64toh(pe[0]) & ~(UINT64_C(7) << 6)) | UINT64_C(5) << 6;
		return pe;
	}
	if (!strncmp(format, "arm-s1", 6)) { /* CD 0: TG0 reserved */
		struct smmu_cd cd;
		struct iommu_fault f;

		OK(smmu_cd_fetch(NULL, root, 0, 0, &cd, &f));
		*out_bad = le64toh(*(uint64_t *)iommu_phys_resolve(cd.cd_pa, 8)) | UINT64_C(3) << 6;
		return iommu_phys_resolve(cd.cd_pa, 8);
	}
	if (!strncmp(format, "arm-s2", 6)) { /* STE word 2: S2TG reserved */
		*out_bad = le64toh(root[2]) | UINT64_C(3) << 46;
		return &root[2];
	}
	if (!strncmp(format, "amd", 3)) { /* DTE: Mode 7 */
		*out_bad = le64toh(root[0]) | UINT64_C(7) << 9;
		return &root[0];
	}
	if (!strncmp(format, "riscv", 5)) { /* process context 0 (PD20): iosatp mode 3 */
		uint64_t *t =
			(uint64_t *)iommu_phys_resolve((le64toh(root[3]) & PPN_MASK) << 12, 8);

		t = (uint64_t *)iommu_phys_resolve(((le64toh(t[0]) >> 10) & PPN_MASK) << 12, 8);
		t = (uint64_t *)iommu_phys_resolve(((le64toh(t[0]) >> 10) & PPN_MASK) << 12, 8);
		*out_bad = (le64toh(t[1]) & PPN_MASK) | UINT64_C(3) << 60;
		return &t[1];
	}
	/* POWER: TVE 0 (CPU order): IO_PSIZE 8K, not implemented */
	*out_bad = (root[0] & ~UINT64_C(0x1f)) | 2;
	return &root[0];
}

static void test_engine_reads_structures(void **state)
{
	static const char *const formats[] = { "vtd-ss-4",     "x86_64-4", "arm-s1-4k-48",
					       "arm-s2-4k-48", "amd-v1-4", "riscv-sv48",
					       "tce-4k" };

	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct eng e;
		uint64_t *w, saved, bad;
		bool le = strncmp(formats[i], "tce", 3) != 0;

		eng_open(&e, formats[i]);
		/* a copy lands: sources 0..8K to 32K */
		assert_int_equal(copy(&e, 0, 32768, 8192), 0);
		assert_memory_equal(e.buf + 32768, e.buf, 8192);
		w = victim(&e, formats[i], &bad);
		saved = *w;
		*w = le ? htole64(bad) : bad;
		/* stale until invalidated: pages the IOTLB holds still translate */
		memset(e.buf + 32768, 0, 8192);
		assert_int_equal(copy(&e, 0, 32768, 4096), 0);
		assert_memory_equal(e.buf + 32768, e.buf, 4096);
		/* a source page it does not hold: the structure is read, the channel halts */
		assert_int_equal(copy(&e, 16384, 49152, 4096),
				 IOAT_CHANERR_SRC_ADDR | IOAT_CHANERR_READ_DATA);
		assert_int_equal(e.buf[49152], 0);
		assert_int_equal(eng_rd(&e, CH(IOAT_CHAN_STS), 8) & IOAT_STS_MASK, IOAT_STS_HALTED);
		/* restored: the same copy lands */
		*w = saved;
		assert_int_equal(copy(&e, 16384, 49152, 4096), 0);
		assert_memory_equal(e.buf + 49152, e.buf + 16384, 4096);
		eng_close(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_reads_structures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
