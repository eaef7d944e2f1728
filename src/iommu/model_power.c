/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_power.c - a POWER PHB's own structure for a device: its partitionable endpoint's
 * translation validation table (TVT), two translation validation entries (TVE), one per DMA
 * window, written on attach and read by every walk.
 *
 * What it owns: power_tve_decode() and the hardware context of a TCE device ("tce-*"). The
 * PHB picks the TVE by bus address bit 59 (TVE 0: the 32-bit window from 0; TVE 1: the
 * 64-bit window at 1 << 59), reads the table's address, levels, table size and IO page size
 * from it, and walks the TCE table (src/pt/fmt_tce.c). An attach writes the TVE of the
 * domain's window and clears the other; a detach clears both.
 *
 * Format (PHB4, IODA3; IBM bit numbers, bit 63 the least significant): TABLE_ADDR (0:47,
 * the table's address >> 12), NUM_LEVELS (48:50, levels - 1), TCE_TABLE_SIZE (51:55,
 * log2(table bytes) - 11; 0 = the TVE is invalid), IO_PSIZE (59:63, page shift - 11).
 *
 * Faults: an invalid TVE (TCE_TABLE_SIZE 0) not present at the device level; a TVE with a
 * page size or level count the PHB does not implement a bad context at the device level; an
 * address outside the window an address-size fault of the walk.
 *
 * The TVT lives in the structure arena (hwctx.c; root_pa, a name, is what a PHB register would
 * hold); a TVE's TABLE_ADDR is the domain's root, a name of the table arena.
 *
 * Not modelled: PASIDs (a PHB has none; ioasid's PASID attach on a TCE device keeps the
 * paging kind's walk), the TVE's "no translate" bypass mode, EEH freezing of the PE on a
 * fault. Concurrency as model_vtd.c (a sequence count, -EAGAIN when the TVE does not
 * describe the slot's translation).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu_int.h"
#include "pt/pt.h"

#define TVE_ADDR_SHIFT	 16
#define TVE_LEVELS_SHIFT 13
#define TVE_TTS_SHIFT	 8
#define TVE_TPS_MASK	 UINT64_C(0x1f)
#define TVE_WINDOW_BIT	 59

static int tve_fault(struct iommu_fault *f, enum iommu_fault_type t, uint64_t iova)
{
	return iommu_ctx_fault(f, t, IOMMU_FAULT_CTX_DEVICE, iova);
}

int power_tve_decode(uint64_t tve, uint64_t iova, struct power_tve *out, struct iommu_fault *f)
{
	unsigned int tps = (unsigned int)(tve & TVE_TPS_MASK) + 11;

	memset(out, 0, sizeof(*out));
	out->table_lg2 = (unsigned int)((tve >> TVE_TTS_SHIFT) & 0x1f);
	if (!out->table_lg2)
		return tve_fault(f, IOMMU_FAULT_NOT_PRESENT, iova);
	out->table_lg2 += 11;
	out->levels = (unsigned int)((tve >> TVE_LEVELS_SHIFT) & 7) + 1;
	out->page_shift = tps;
	out->root = (tve >> TVE_ADDR_SHIFT) << 12;
	if ((tps != 12 && tps != 16 && tps != 21 && tps != 24) || out->levels > 5)
		return tve_fault(f, IOMMU_FAULT_BAD_CTX, iova);
	return 0;
}

struct power_hw {
	struct iommu_hwctx hw;
	uint32_t seq;	 /* atomic: odd while a TVE is being rewritten */
	uint64_t tvt[2]; /* CPU order, as the PHB's registers */
};

static int power_program(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x)
{
	struct power_hw *h = (struct power_hw *)hw;
	uint64_t tvt[2] = { 0, 0 };
	struct pt_hw_info hi;

	if (pasid != IOMMU_NO_PASID)
		return 0; /* no PASIDs on a PHB (see the top) */
	if (x) {
		if (x->s1_type || pt_domain_hw_info(x->s2, &hi) || hi.format != PT_FMT_TCE)
			return -EINVAL;
		tvt[(x->s2->ranges[0].start >> TVE_WINDOW_BIT) & 1] = hi.hw_word;
	}
	iommu_seq_write_begin(&h->seq);
	__atomic_store_n(&h->tvt[0], tvt[0], __ATOMIC_RELAXED);
	__atomic_store_n(&h->tvt[1], tvt[1], __ATOMIC_RELAXED);
	iommu_seq_write_end(&h->seq);
	return 0;
}

static int power_walk(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
		      unsigned int access, struct iommu_xlate_result *out,
		      struct iommu_fault *fault)
{
	struct power_hw *h = (struct power_hw *)hw;
	struct power_tve t;
	unsigned int spins = 0;
	uint64_t tve;
	uint32_t s;
	int rc;

	if (pasid != IOMMU_NO_PASID)
		return x->ops->walk(x, pasid, iova, access, out, fault);
	do {
		s = iommu_seq_read_begin(&h->seq, &spins);
		tve = __atomic_load_n(&h->tvt[(iova >> TVE_WINDOW_BIT) & 1], __ATOMIC_RELAXED);
	} while (iommu_seq_read_retry(&h->seq, s, &spins));
	rc = power_tve_decode(tve, iova, &t, fault);
	/* the other window's TVE is not a change in progress: x has none there */
	if (rc && ((iova ^ x->s2->ranges[0].start) >> TVE_WINDOW_BIT & 1))
		return rc;
	if (rc)
		return fault->type == IOMMU_FAULT_NOT_PRESENT ? -EAGAIN : rc;
	if (t.root != pt_domain_root_pa(x->s2)) {
		tve_fault(fault, IOMMU_FAULT_BAD_CTX, iova);
		return -EAGAIN;
	}
	if (t.levels != pt_domain_levels(x->s2))
		return tve_fault(fault, IOMMU_FAULT_BAD_CTX, iova);
	return iommu_walk_root(x, t.root, iova, access, false, out, fault);
}

static const struct iommu_hwctx_ops power_hwctx_ops = {
	.name = "power",
	.program = power_program,
	.walk = power_walk,
};

int iommu_power_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out)
{
	(void)pasid_bits; /* a PHB has no PASIDs */
	return IOMMU_HWCTX_NEW(struct power_hw, &power_hwctx_ops, tvt, out);
}
