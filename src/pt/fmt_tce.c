/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fmt_tce.c - POWER TCE tables: one DMA window of a PowerNV PHB (IODA2 on POWER8, IODA3 on
 * POWER9), with its own bus offset, one IO page size and one to five levels of tables of
 * 8-byte big-endian entries. The window is what the PHB's TVE (translation validation
 * entry) describes: table address, number of levels, table size, IO page size.
 *
 * Sources (facts only): Linux arch/powerpc/include/asm/tce.h (TCE_PCI_READ = bit 0,
 * TCE_PCI_WRITE = bit 1, a 40-bit RPN of 4K pages at bit 12), asm/iommu.h (struct
 * iommu_table: it_offset, it_page_shift, it_indirect_levels, it_level_size) and
 * platforms/powernv/pci-ioda-tce.c (pnv_tce: indirect entries are pa | READ | WRITE, every
 * level has it_level_size entries; pnv_tce_build: a writable TCE is also readable;
 * pnv_pci_ioda2_table_alloc_pages: levels <= 5, page_shift + index bits < 60); skiboot's
 * IODA3 TVT fields and QEMU's PHB4 TVE walk (table size 2^(tts + 8) entries, IO page
 * 2^(tps + 11) bytes, index = (address >> shift) & (entries - 1) at every level).
 *
 * Words: the window is [bus_offset, bus_offset + 2^input_bits - 1]; the page size is the
 * window's granule, the only leaf size. Level 0 holds the TCEs that map pages; levels above
 * hold indirect entries. Every table, the top one included, has 2^bits entries.
 *
 * Entry bits: 0 READ (the device may read memory), 1 WRITE (it may write), 51:12 the real
 * address (pages bigger than 4K leave their low bits zero). An entry with neither bit is
 * empty. There are no dirty or accessed bits: the domain has no dirty tracking ops.
 *
 * Choices: write implies read, as PowerNV builds TCEs, so a write-only map decodes as
 * READ|WRITE. Tables have at least 512 entries (4K); with levels given, each level takes
 * ceil(index bits / levels) bits, as Linux sizes them. The hardware indexes with the
 * address bits themselves (no subtraction of the window base), so the base must be a
 * multiple of the window size, which keeps the window inside one turn of the top table.
 * For the 64-bit window at 1 << 59 (the PHB picks TVE 1 with address bit 59) this is the
 * same index Linux computes relative to it_offset.
 */
#include "pt/pt_int.h"

#define TCE_READ  (UINT64_C(1) << 0)
#define TCE_WRITE (UINT64_C(1) << 1)
#define TCE_RW	  (TCE_READ | TCE_WRITE)
#define TCE_ADDR  UINT64_C(0x000ffffffffff000) /* bits 51:12: TCE_RPN_MASK << 12 */

#define TCE_MAX_LEVELS	  5
#define TCE_MIN_BITS	  9			    /* 512 entries, a 4K table */
#define TCE_MAX_TABLE_LG2 21			    /* the arena's largest page */
#define TCE_WINDOW_LAST	  ((UINT64_C(1) << 60) - 1) /* above: MSI and other PHB regions */

/* IODA3 TVE (skiboot IODA3_TVT_*, IBM bit numbers converted to bit 0 = least significant) */
#define TVE_ADDR_SHIFT	 16 /* TABLE_ADDR, bits 0:47: table pa >> 12 */
#define TVE_LEVELS_SHIFT 13 /* NUM_LEVELS, bits 48:50: levels - 1 */
#define TVE_TTS_SHIFT	 8  /* TCE_TABLE_SIZE, bits 51:55: log2(table bytes) - 11 */
#define TVE_TPS_SHIFT	 0  /* IO_PSIZE, bits 59:63: page shift - 11 */

#define PTF_BIG_ENDIAN 1

static inline enum pt_entry_kind ptf_kind(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	if (!(e & TCE_RW))
		return PT_ENTRY_EMPTY;
	return lvl ? PT_ENTRY_TABLE : PT_ENTRY_LEAF;
}

static inline uint64_t ptf_table_pa(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e & TCE_ADDR;
}

static inline uint64_t ptf_mk_table(const struct pt_domain *pd, uint64_t pa, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return (pa & TCE_ADDR) | TCE_RW;
}

PTF_PLAIN_LEAF_ACCESSORS(TCE_ADDR)

static inline uint64_t ptf_mk_leaf(const struct pt_domain *pd, uint64_t pa, unsigned int lvl,
				   unsigned int k, unsigned int i, int prot)
{
	(void)pd;
	(void)lvl;
	(void)k;
	(void)i;
	return (pa & TCE_ADDR) | TCE_READ | ((prot & IOMMU_PROT_WRITE) ? TCE_WRITE : 0);
}

static inline int ptf_leaf_prot(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return ((e & TCE_READ) ? IOMMU_PROT_READ : 0) | ((e & TCE_WRITE) ? IOMMU_PROT_WRITE : 0);
}

static inline bool ptf_leaf_dirty(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)e;
	(void)lvl;
	return false;
}

static inline uint64_t ptf_mk_dirty(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e;
}

static inline uint64_t ptf_mk_clean(const struct pt_domain *pd, uint64_t e, unsigned int lvl)
{
	(void)pd;
	(void)lvl;
	return e;
}

/* A write through a TCE without WRITE is a TCE access fault; nothing is ever written. */
static inline int ptf_hw_write(const struct pt_domain *pd, uint64_t e, unsigned int lvl,
			       enum pt_entry_kind kind, uint64_t *out)
{
	(void)pd;
	(void)lvl;
	if (kind == PT_ENTRY_LEAF && !(e & TCE_WRITE))
		return -EACCES;
	*out = e;
	return 0;
}

#include "pt/pt_walk.h"

static bool tce_page_shift_ok(unsigned int s)
{
	/* PHB4: 4K, 64K, 2M, 16M, 256M, 1G (PHB3 lacks 2M and 1G) */
	return s == 12 || s == 16 || s == 21 || s == 24 || s == 28 || s == 30;
}

static int tce_init(struct pt_domain *pd)
{
	struct pt_config *cfg = &pd->cfg;
	uint64_t granule = cfg->granule ? cfg->granule : 4096, size_m1;
	unsigned int page, win = cfg->input_bits ? cfg->input_bits : 31, entries, bits, levels;
	struct iommu_iova_range r;

	if (granule & (granule - 1))
		return -EINVAL;
	page = (unsigned int)__builtin_ctzll(granule);
	if (!tce_page_shift_ok(page) || win <= page || win > 59)
		return -EINVAL;
	if (cfg->flags & (PT_CFG_MOCK_HUGE | PT_CFG_MOCK_CONTIG | PT_CFG_MOCK_IOMMUPT))
		return -EINVAL;
	size_m1 = pt_lg2_mask(win);
	if ((cfg->bus_offset & size_m1) || cfg->bus_offset > TCE_WINDOW_LAST - size_m1)
		return -EINVAL;
	entries = win - page; /* log2 of the TCEs the window needs */
	levels = cfg->levels ? cfg->levels : (entries + TCE_MIN_BITS - 1) / TCE_MIN_BITS;
	if (levels < 1 || levels > TCE_MAX_LEVELS)
		return -EINVAL;
	bits = (entries + levels - 1) / levels;
	if (bits < TCE_MIN_BITS)
		bits = TCE_MIN_BITS;
	if (bits + 3 > TCE_MAX_TABLE_LG2 || page + bits * levels >= 60)
		return -EINVAL;

	pt_geom_uniform(pd, levels, page, bits, bits + 3);
	pd->lvl[0].leaf_hw = 1;
	pd->lvl[0].leaf_contig = 1;
	pd->input_bits = win;
	pd->oa_last = pt_lg2_mask(52);
	cfg->flags |= PT_CFG_NO_DIRTY; /* no dirty bits: the ops without dirty tracking */
	r.start = cfg->bus_offset;
	r.last = cfg->bus_offset + size_m1;
	return pt_set_ranges(pd, &r, 1);
}

/* The PHB4 TVE for this window: table address, levels - 1, table size and page size codes */
static void tce_hw_info(const struct pt_domain *pd, struct pt_hw_info *out)
{
	out->mode = pd->levels - 1;
	out->hw_word = ((pd->root_pa >> 12) << TVE_ADDR_SHIFT) |
		       ((uint64_t)(pd->levels - 1) << TVE_LEVELS_SHIFT) |
		       ((uint64_t)(pd->lvl[0].table_lg2 - 11) << TVE_TTS_SHIFT) |
		       ((uint64_t)(pd->lvl[0].shift - 11) << TVE_TPS_SHIFT);
}

const struct pt_format_desc pt_fmt_tce = {
	.format = PT_FMT_TCE,
	.name = "tce",
	.init = tce_init,
	.hw_info = tce_hw_info,
	PTW_DESC_OPS,
};
