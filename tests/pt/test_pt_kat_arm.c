/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pt_kat_arm.c - known answers for the ARM VMSAv8-64 format: exact descriptor bytes,
 * table indexes, and the TCR / VTCR values, derived below from the Arm ARM's bit layout
 * (DDI 0487, D8.3 descriptors, D8.4 attributes and DBM, D8.6 Contiguous, D19 TCR_EL1 and
 * VTCR_EL2). docs/formats.md has the same tables.
 *
 * Levels: the walker's level 0 is the leaf level, Arm level 3. Index lists below run from
 * the top of the walk down, as Arm numbers them (level 0, 1, 2, 3; -1 first for 4K LPA2).
 *
 * Descriptor bits used (stage 1 / stage 2):
 *   0 valid, 1 table-or-page (0 for a block), 4:2 AttrIndx / 5:2 MemAttr,
 *   6 AP[1] (EL0) / S2AP read, 7 AP[2] (read only) / S2AP write, 9:8 SH (or OA[51:50] with
 *   LPA2), 10 AF, 11 nG (stage 1), 15:12 OA[51:48] with 64K, 51 DBM, 52 Contiguous,
 *   53 PXN, 54 UXN / XN[1].
 * Our choices, spelled out once: AF = 1 always; stage 1 nG = 1 and AP[1] = 1; without
 * IOMMU_PROT_CACHE AttrIndx 0 (MAIR 0x44) or MemAttr 0b0101 and SH = 0b10 (outer); with it
 * AttrIndx 1 (MAIR 0xff) or MemAttr 0b1111 and SH = 0b11 (inner). In a dirty-tracking
 * domain a writable leaf starts writable-clean: DBM = 1 with AP[2] = 1 (stage 1) or S2AP
 * write = 0 (stage 2); the hardware's first write flips that bit.
 *
 * So the recurring stage-1 low bits are:
 *   page  RW clean: 0x3 | AP1 0x40 | AP2 0x80 | SH 0x200 | AF 0x400 | nG 0x800 = 0xec3
 *   page  RW dirty: 0xec3 - AP2 = 0xe43
 *   block RO:       0x1 | 0x40 | 0x80 | 0x200 | 0x400 | 0x800 = 0xec1
 * and DBM is bit 51 (0x0008000000000000), Contiguous bit 52 (0x0010000000000000).
 * Table descriptors are next-table pa | 0b11, nothing else.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iommu/phys.h"
#include "pt/pt.h"

#define RW   (IOMMU_PROT_READ | IOMMU_PROT_WRITE)
#define DBM  (1ULL << 51)
#define CONT (1ULL << 52)

/* The 8 bytes at pa, little endian, against v. */
static void assert_bytes(uint64_t pa, uint64_t v)
{
	/* a table's pa is a name of the arena (iommu/phys.h) */
	const uint8_t *p = iommu_phys_resolve(pa, 8);
	unsigned int i;

	assert_non_null(p);
	for (i = 0; i < 8; i++)
		assert_int_equal(p[i], (v >> (8 * i)) & 0xff);
}

/*
 * Walk iova; idx[] are the expected indexes from the top; every table entry must be the
 * next table's pa | 0b11; the leaf (at our level `leaf`) must be exactly leaf_value.
 */
static void kat_path(struct iommu_domain *d, uint64_t iova, const unsigned int *idx,
		     unsigned int leaf, uint64_t leaf_value)
{
	struct pt_path path;
	unsigned int l;

	assert_int_equal(pt_domain_walk_path(d, iova, &path), 0);
	assert_int_equal(path.end_level, leaf);
	assert_int_equal(path.step[path.top].table_pa, pt_domain_root_pa(d));
	for (l = path.top;; l--) {
		const struct pt_path_step *st = &path.step[l];

		assert_int_equal(st->index, idx[path.top - l]);
		assert_int_equal(st->entry_pa, st->table_pa + 8 * st->index);
		if (l == leaf) {
			assert_int_equal(st->value, leaf_value);
			assert_bytes(st->entry_pa, leaf_value);
			return;
		}
		assert_int_equal(st->value, path.step[l - 1].table_pa | 3);
		assert_bytes(st->entry_pa, path.step[l - 1].table_pa | 3);
	}
}

static struct iommu_domain *mk(struct pt_config cfg)
{
	struct iommu_domain *d = NULL;

	assert_int_equal(pt_domain_alloc(&cfg, &d), 0);
	return d;
}

static void map1(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t size, int prot)
{
	uint64_t mapped;

	assert_int_equal(d->ops->map_pages(d, iova, pa, size, 1, prot, &mapped), 0);
	assert_int_equal(mapped, size);
}

struct rec {
	struct iommu_dirty_sink sink;
	unsigned int n;
	uint64_t iova, len;
};

static void rec_record(struct iommu_dirty_sink *s, uint64_t iova, uint64_t len)
{
	struct rec *r = (struct rec *)s;

	r->n++;
	r->iova = iova;
	r->len = len;
}

static struct pt_hw_info hw(struct iommu_domain *d)
{
	struct pt_hw_info h;

	assert_int_equal(pt_domain_hw_info(d, &h), 0);
	assert_int_equal(h.root_pa, pt_domain_root_pa(d));
	return h;
}

/*
 * Stage 1, 4K granule, 48-bit VA (T0SZ 16), 48-bit PA (IPS 0b101), dirty tracking (DBM).
 * Four levels, Arm 0..3, each indexing 9 bits: 47:39, 38:30, 29:21, 20:12.
 * 1) 4K page, IOVA 0x1234000 -> PA 0x5678000, RW: indexes 0, 0, 9, 0x34 (0x1234000 >> 21 =
 *    9, (0x1234000 >> 12) & 0x1ff = 0x34). Page: 0x5678000 | 0xec3 | DBM =
 *    0x0008000005678ec3. A DMA write clears AP[2]: 0x0008000005678e43; read-and-clear sets
 *    it again.
 * 2) 2M block, IOVA 0x7fe00000 -> PA 0x123400000, READ|CACHE: indexes 0, 1, 511. Block:
 *    0x1 | AttrIndx 1 (0x4) | AP1 0x40 | AP2 0x80 | SH inner 0x300 | AF 0x400 | nG 0x800 =
 *    0xfc5, no DBM (read only): 0x0000000123400fc5. A DMA write faults.
 * 3) 1G block, IOVA 0xffffc0000000 (the last 1G) -> PA 0x80000000, RW|NOEXEC: indexes 511,
 *    511. Block 0xec1 | DBM | PXN (53) | UXN (54) = 0x0068000080000ec1.
 * 4) 64K contiguous (16 x 4K), IOVA 0x10000 -> PA 0x3450000, RW: level-3 entries 0x10..0x1f,
 *    entry i = (0x3450000 + i * 0x1000) | 0xec3 | DBM | CONT = 0x0018000003450ec3 + i*0x1000.
 *    A write at 0x15abc dirties entry 5 only; the dirty read reports all 64K.
 * TCR_EL1: T0SZ 16 | IRGN0 WBWA (1 << 8) | ORGN0 WBWA (1 << 10) | SH0 inner (3 << 12) |
 * TG0 4K (0 << 14) | EPD1 (1 << 23) | IPS 48-bit (5 << 32) | HA (1 << 39) | HD (1 << 40) =
 * 0x0000018500803510; mode = T0SZ = 16.
 */
static void kat_s1_4k_48(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 48, .oa_bits = 48 });
	const unsigned int i1[] = { 0, 0, 9, 0x34 }, i2[] = { 0, 1, 511 }, i3[] = { 511, 511 };
	struct rec r = { .sink.record = rec_record };
	struct pt_hw_info h = hw(d);
	uint64_t pa, sz;
	unsigned int i;
	int prot;

	(void)state;
	assert_int_equal(pt_domain_levels(d), 4);
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, (1ULL << 48) - 1);
	/* 4K, 64K (contiguous), 2M, 32M (contiguous), 1G, 16G (contiguous) */
	assert_int_equal(d->pgsize_bitmap, 0x442211000ULL);
	assert_int_equal(h.hw_word, 0x0000018500803510ULL);
	assert_int_equal(h.mode, 16);

	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	map1(d, 0x7fe00000, 0x123400000ULL, 1ULL << 21, IOMMU_PROT_READ | IOMMU_PROT_CACHE);
	map1(d, 0xffffc0000000ULL, 0x80000000ULL, 1ULL << 30, RW | IOMMU_PROT_NOEXEC);
	map1(d, 0x10000, 0x3450000, 1ULL << 16, RW);
	kat_path(d, 0x1234000, i1, 0, 0x0008000005678ec3ULL);
	kat_path(d, 0x7fe00000, i2, 1, 0x0000000123400fc5ULL);
	kat_path(d, 0xffffc0000000ULL, i3, 2, 0x0068000080000ec1ULL);
	for (i = 0; i < 16; i++) {
		const unsigned int i4[] = { 0, 0, 0, 0x10 + i };

		kat_path(d, 0x10000 + i * 0x1000, i4, 0, 0x0018000003450ec3ULL + i * 0x1000);
	}
	assert_int_equal(d->ops->iova_to_phys(d, 0x7fffffff, &pa, &sz, &prot), 0);
	assert_int_equal(pa, 0x1235fffffULL);
	assert_int_equal(sz, 1ULL << 21);
	assert_int_equal(prot, IOMMU_PROT_READ | IOMMU_PROT_CACHE);
	assert_int_equal(d->ops->iova_to_phys(d, 0x1ffff, &pa, &sz, &prot), 0);
	assert_int_equal(pa, 0x345ffff);
	assert_int_equal(sz, 1ULL << 16);

	/* DBM: a write flips AP[2] of the one entry it used */
	assert_int_equal(pt_mark_dirty(d, 0x1234abc), 0);
	kat_path(d, 0x1234000, i1, 0, 0x0008000005678e43ULL);
	assert_int_equal(pt_mark_dirty(d, 0x7fe00000), -EACCES);
	kat_path(d, 0x7fe00000, i2, 1, 0x0000000123400fc5ULL);
	assert_int_equal(pt_mark_dirty(d, 0x15abc), 0);
	for (i = 0; i < 16; i++) {
		const unsigned int i4[] = { 0, 0, 0, 0x10 + i };
		uint64_t e = 0x0018000003450ec3ULL + i * 0x1000;

		kat_path(d, 0x10000 + i * 0x1000, i4, 0, i == 5 ? e & ~0x80ULL : e);
	}
	assert_int_equal(d->ops->set_dirty_tracking(d, true), 0);
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0x10000, 0x10000, 0, &r.sink), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.iova, 0x10000);
	assert_int_equal(r.len, 0x10000);
	kat_path(d, 0x15000, (const unsigned int[]){ 0, 0, 0, 0x15 }, 0,
		 0x0018000003450ec3ULL + 5 * 0x1000);
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0x1234000, 0x1000, 0, &r.sink), 0);
	assert_int_equal(r.n, 2);
	kat_path(d, 0x1234000, i1, 0, 0x0008000005678ec3ULL);
	d->ops->free(d);
}

/*
 * The same 4K stage 1 without dirty tracking (PT_CFG_NO_DIRTY: no HTTU, HA = HD = 0): a
 * writable page is plainly writable, AP[2] = 0 and DBM = 0: 0x5678000 | 0xe43. A write
 * changes nothing. TCR_EL1 loses HA and HD: 0x0000000500803510.
 * 39-bit VA (T0SZ 25), 40-bit PA (IPS 0b010): three levels, Arm 1..3; the last 4K page
 * 0x7ffffff000 has indexes 511, 511, 511. TCR_EL1 = 25 | 0x100 | 0x400 | 0x3000 | 0x800000
 * | 2 << 32 = 0x0000000200803519.
 */
static void kat_s1_4k_nodirty(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_ARM_LPAE,
							.granule = 4096,
							.input_bits = 48,
							.oa_bits = 48,
							.flags = PT_CFG_NO_DIRTY });
	struct iommu_domain *d39 = mk((struct pt_config){ .format = PT_FMT_ARM_LPAE,
							  .granule = 4096,
							  .input_bits = 39,
							  .oa_bits = 40,
							  .flags = PT_CFG_NO_DIRTY });
	const unsigned int i1[] = { 0, 0, 9, 0x34 }, i2[] = { 511, 511, 511 };
	uint64_t mapped;

	(void)state;
	assert_null(d->ops->read_and_clear_dirty);
	assert_int_equal(hw(d).hw_word, 0x0000000500803510ULL);
	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	kat_path(d, 0x1234000, i1, 0, 0x0000000005678e43ULL);
	assert_int_equal(pt_mark_dirty(d, 0x1234000), 0);
	kat_path(d, 0x1234000, i1, 0, 0x0000000005678e43ULL);

	assert_int_equal(pt_domain_levels(d39), 3);
	assert_int_equal(d39->ranges[0].last, (1ULL << 39) - 1);
	assert_int_equal(hw(d39).hw_word, 0x0000000200803519ULL);
	assert_int_equal(hw(d39).mode, 25);
	map1(d39, 0x7ffffff000ULL, 0xfffffff000ULL, 1ULL << 12, IOMMU_PROT_READ);
	kat_path(d39, 0x7ffffff000ULL, i2, 0, 0x000000fffffffec3ULL);
	/* the output size is 40 bits: 2^40 is out of reach, and so is IOVA 2^39 */
	assert_int_equal(d39->ops->map_pages(d39, 0, 1ULL << 40, 1ULL << 12, 1, RW, &mapped),
			 -ERANGE);
	assert_int_equal(d39->ops->map_pages(d39, 1ULL << 39, 0, 1ULL << 12, 1, RW, &mapped),
			 -ERANGE);
	d->ops->free(d);
	d39->ops->free(d39);
}

/*
 * Stage 2, 4K granule, 40-bit IPA (T0SZ 24), 48-bit PA. The shortest walk starts at Arm
 * level 1 with 2 concatenated level-1 tables (one 8K table indexed by IPA bits 39:30, 10
 * bits), then levels 2 and 3: VTCR.SL0 = 1 (4K: SL0 = 2 - start level).
 * 1) 4K page, IPA 0x8040203000 -> PA 0x5678000, RW: top index 0x8040203000 >> 30 = 0x201
 *    (entry 1 of the second concatenated table), then 1, 3. Page: 0x3 | MemAttr NC 0b0101
 *    (0x14) | S2AP read 0x40 | SH outer 0x200 | AF 0x400 = 0x657, write through DBM (clean,
 *    S2AP write 0): 0x0008000005678657. A write sets S2AP write (0x80): ...6d7.
 * 2) 1G block at the concatenated top, IPA 0xffc0000000 (the last 1G, index 1023) -> PA
 *    0x40000000, WRITE|CACHE: 0x1 | MemAttr WB 0b1111 (0x3c) | SH inner 0x300 | AF 0x400 |
 *    DBM = 0x000800004000073d (no S2AP read: stage 2 can be write-only).
 * 3) 2M block, IPA 0x200000 -> PA 0x200000, READ|NOEXEC: indexes 0, 1; 0x1 | 0x14 | 0x40 |
 *    0x200 | 0x400 | XN[1] (bit 54) = 0x0040000000200655.
 * VTCR_EL2: T0SZ 24 | SL0 1 << 6 | IRGN0 1 << 8 | ORGN0 1 << 10 | SH0 3 << 12 | TG0 4K 0 |
 * PS 48-bit 5 << 16 | HA 1 << 21 | HD 1 << 22 | RES1 1 << 31 = 0x80653558; mode = SL0 = 1.
 */
static void kat_s2_4k_40_concat(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_ARM_LPAE,
							.granule = 4096,
							.input_bits = 40,
							.oa_bits = 48,
							.flags = PT_CFG_ARM_S2 });
	const unsigned int i1[] = { 0x201, 1, 3 }, i2[] = { 1023 }, i3[] = { 0, 1 };
	struct pt_level_info li;
	struct pt_hw_info h = hw(d);
	uint64_t pa, sz;
	int prot;

	(void)state;
	assert_int_equal(pt_domain_levels(d), 3);
	assert_int_equal(pt_domain_level_info(d, 2, &li), 0);
	assert_int_equal(li.bits, 10);
	assert_int_equal(li.table_lg2, 13); /* two 4K tables, one 8K-aligned 8K block */
	assert_int_equal(pt_domain_root_pa(d) & 0x1fff, 0);
	assert_int_equal(li.leaf_sizes, (1ULL << 30) | (1ULL << 34));
	assert_int_equal(h.hw_word, 0x80653558ULL);
	assert_int_equal(h.mode, 1);

	map1(d, 0x8040203000ULL, 0x5678000, 1ULL << 12, RW);
	map1(d, 0xffc0000000ULL, 0x40000000, 1ULL << 30, IOMMU_PROT_WRITE | IOMMU_PROT_CACHE);
	map1(d, 0x200000, 0x200000, 1ULL << 21, IOMMU_PROT_READ | IOMMU_PROT_NOEXEC);
	kat_path(d, 0x8040203000ULL, i1, 0, 0x0008000005678657ULL);
	kat_path(d, 0xffc0000000ULL, i2, 2, 0x000800004000073dULL);
	kat_path(d, 0x200000, i3, 1, 0x0040000000200655ULL);
	assert_int_equal(d->ops->iova_to_phys(d, 0xffc0000000ULL, &pa, &sz, &prot), 0);
	assert_int_equal(prot, IOMMU_PROT_WRITE | IOMMU_PROT_CACHE);
	assert_int_equal(d->ops->iova_to_phys(d, 0x200000, &pa, &sz, &prot), 0);
	assert_int_equal(prot, IOMMU_PROT_READ | IOMMU_PROT_NOEXEC);

	assert_int_equal(pt_mark_dirty(d, 0x8040203000ULL), 0);
	kat_path(d, 0x8040203000ULL, i1, 0, 0x00080000056786d7ULL);
	assert_int_equal(pt_mark_dirty(d, 0x200000), -EACCES);
	assert_int_equal(pt_mark_dirty(d, 0xffffffffffULL), 0);
	kat_path(d, 0xffc0000000ULL, i2, 2, 0x00080000400007bdULL);
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0, 1ULL << 40, 0, NULL), 0);
	kat_path(d, 0x8040203000ULL, i1, 0, 0x0008000005678657ULL);
	kat_path(d, 0xffc0000000ULL, i2, 2, 0x000800004000073dULL);
	d->ops->free(d);
}

/*
 * The same 40-bit IPA without concatenation: levels = 4 starts at Arm level 0 (SL0 = 2)
 * with a 2-entry top table (IPA bit 39). The Arm ARM lets a 4K walk start at level 0 only
 * with a PA size above 42 bits (AArch64.S2InvalidSL), so this needs PS >= 44: here 44
 * (0b100). IPA 0x8040203000: indexes 1, 1, 1, 3. VTCR = 24 | 2 << 6 | 0x3500 | 4 << 16 |
 * HA | HD | RES1 = 0x80643598; mode 2.
 * Refused: the same with PS 40 (level 0 needs 44), levels = 2 (level 2 would resolve 19
 * bits, more than 9 + 4), a 4K walk from level 3 (levels = 1), IPA 48 > PA 44.
 */
static void kat_s2_4k_40_l0(void **state)
{
	struct pt_config cfg = { .format = PT_FMT_ARM_LPAE,
				 .granule = 4096,
				 .levels = 4,
				 .input_bits = 40,
				 .oa_bits = 44,
				 .flags = PT_CFG_ARM_S2 };
	struct iommu_domain *d = mk(cfg), *bad;
	const unsigned int i1[] = { 1, 1, 1, 3 };

	(void)state;
	assert_int_equal(hw(d).hw_word, 0x80643598ULL);
	assert_int_equal(hw(d).mode, 2);
	map1(d, 0x8040203000ULL, 0x5678000, 1ULL << 12, RW);
	kat_path(d, 0x8040203000ULL, i1, 0, 0x0008000005678657ULL);
	d->ops->free(d);

	cfg.oa_bits = 40;
	assert_int_equal(pt_domain_alloc(&cfg, &bad), -EINVAL);
	cfg.oa_bits = 44;
	cfg.levels = 2;
	assert_int_equal(pt_domain_alloc(&cfg, &bad), -EINVAL);
	cfg.levels = 1;
	cfg.input_bits = 32;
	assert_int_equal(pt_domain_alloc(&cfg, &bad), -EINVAL);
	cfg.levels = 0;
	cfg.input_bits = 48;
	assert_int_equal(pt_domain_alloc(&cfg, &bad), -EINVAL);
}

/*
 * Stage 1, 16K granule, 47-bit VA (T0SZ 17), 48-bit PA: three levels, Arm 1..3, 11 bits
 * each: 46:36, 35:25, 24:14.
 * 1) 16K page, IOVA 0x1234000 -> PA 0x5678000, RW: indexes 0, 0, 0x48d (0x1234000 >> 14);
 *    page 0x0008000005678ec3, exactly as with 4K: the granule moves no attribute bit.
 * 2) 32M block, IOVA 0x2000000 -> PA 0x4000000, read only: indexes 0, 1; 0x4000ec1.
 * 3) 2M contiguous (128 x 16K at Arm level 3), IOVA 0x200000 -> PA 0x800000, RW: entries
 *    0x80..0xff, entry i = (0x800000 + i * 0x4000) | 0xec3 | DBM | CONT.
 * 4) 1G contiguous (32 x 32M at Arm level 2), IOVA 0x40000000 -> PA 0x40000000, RW: level-2
 *    entries 32..63, entry i = (0x40000000 + i * 0x2000000) | 0xec1 | DBM | CONT.
 * TCR_EL1 = 17 | 0x3500 | TG0 16K (2 << 14) | EPD1 | 5 << 32 | HA | HD = 0x000001850080b511.
 */
static void kat_s1_16k_47(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_ARM_LPAE, .granule = 16384, .input_bits = 47, .oa_bits = 48 });
	const unsigned int i1[] = { 0, 0, 0x48d }, i2[] = { 0, 1 };
	struct pt_entry_info info;
	unsigned int i;

	(void)state;
	assert_int_equal(pt_domain_levels(d), 3);
	/* 16K, 2M (contiguous), 32M, 1G (contiguous) */
	assert_int_equal(d->pgsize_bitmap,
			 (1ULL << 14) | (1ULL << 21) | (1ULL << 25) | (1ULL << 30));
	assert_int_equal(hw(d).hw_word, 0x000001850080b511ULL);
	map1(d, 0x1234000, 0x5678000, 1ULL << 14, RW);
	map1(d, 0x2000000, 0x4000000, 1ULL << 25, IOMMU_PROT_READ);
	map1(d, 0x200000, 0x800000, 1ULL << 21, RW);
	map1(d, 0x40000000, 0x40000000, 1ULL << 30, RW);
	kat_path(d, 0x1234000, i1, 0, 0x0008000005678ec3ULL);
	kat_path(d, 0x2000000, i2, 1, 0x0000000004000ec1ULL);
	for (i = 0; i < 128; i += 127) {
		const unsigned int i3[] = { 0, 0, 0x80 + i };

		kat_path(d, 0x200000 + i * 0x4000, i3, 0,
			 (0x800000 + i * 0x4000) | 0xec3 | DBM | CONT);
	}
	for (i = 0; i < 32; i += 31) {
		const unsigned int i4[] = { 0, 32 + i };

		kat_path(d, 0x40000000 + i * 0x2000000ULL, i4, 1,
			 (0x40000000 + i * 0x2000000ULL) | 0xec1 | DBM | CONT);
	}
	/* decode of entry 31 of the 1G run: the run's start, index 31 */
	assert_int_equal(
		pt_entry_decode(d, 1, (0x40000000 + 31 * 0x2000000ULL) | 0xec1 | DBM | CONT, &info),
		0);
	assert_int_equal(info.oa, 0x40000000);
	assert_int_equal(info.size_lg2, 30);
	assert_int_equal(info.contig_index, 31);
	assert_int_equal(info.prot, RW);
	assert_false(info.dirty);
	d->ops->free(d);
}

/*
 * Stage 1, 64K granule, 52-bit VA (FEAT_LVA, T0SZ 12) and 52-bit PA (FEAT_LPA, IPS 0b110):
 * three levels, Arm 1..3: 51:42 (10 bits), 41:29, 28:16 (13 bits each). OA[51:48] sits in
 * descriptor bits 15:12.
 * 1) 64K page, IOVA 0xfffffffff0000 (the last) -> PA 0xfedcba9870000, RW: indexes 0x3ff,
 *    0x1fff, 0x1fff. Address bits: 0xedcba9870000 (47:16) | 0xf << 12 = 0xedcba987f000;
 *    page 0x0008edcba987fec3.
 * 2) 4T block at Arm level 1 (only with a 52-bit PA), IOVA 1 << 48 -> PA 1 << 51, read
 *    only: index 64; OA[51:48] = 0x8 -> 0x8000; block 0x0000000000008ec1.
 * 3) A table descriptor pointing at PA 0xabcdef1230000 (codec): 0xbcdef1230000 | 0xa000 |
 *    0b11 = 0x0000bcdef123a003.
 * TCR_EL1 = 12 | 0x3500 | TG0 64K (1 << 14) | EPD1 | 6 << 32 | HA | HD = 0x000001860080750c.
 */
static void kat_s1_64k_52(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_ARM_LPAE, .granule = 65536, .input_bits = 52, .oa_bits = 52 });
	const unsigned int i1[] = { 0x3ff, 0x1fff, 0x1fff }, i2[] = { 64 };
	struct pt_entry_info in = { .kind = PT_ENTRY_TABLE, .oa = 0xabcdef1230000ULL }, out;
	uint64_t v, pa, sz;
	int prot;

	(void)state;
	assert_int_equal(pt_domain_levels(d), 3);
	assert_int_equal(hw(d).hw_word, 0x000001860080750cULL);
	map1(d, 0xfffffffff0000ULL, 0xfedcba9870000ULL, 1ULL << 16, RW);
	map1(d, 1ULL << 48, 1ULL << 51, 1ULL << 42, IOMMU_PROT_READ);
	kat_path(d, 0xfffffffff0000ULL, i1, 0, 0x0008edcba987fec3ULL);
	kat_path(d, 1ULL << 48, i2, 2, 0x0000000000008ec1ULL);
	assert_int_equal(d->ops->iova_to_phys(d, (1ULL << 48) + 0x123456789ULL, &pa, &sz, &prot),
			 0);
	assert_int_equal(pa, (1ULL << 51) + 0x123456789ULL);
	assert_int_equal(sz, 1ULL << 42);
	assert_int_equal(pt_entry_encode(d, 1, &in, &v), 0);
	assert_int_equal(v, 0x0000bcdef123a003ULL);
	assert_int_equal(pt_entry_decode(d, 1, v, &out), 0);
	assert_int_equal(out.kind, PT_ENTRY_TABLE);
	assert_int_equal(out.oa, 0xabcdef1230000ULL);
	d->ops->free(d);
}

/*
 * Stage 1, 4K granule with FEAT_LPA2 (TCR.DS = 1): 52-bit VA and PA, five levels, Arm -1
 * (IOVA bits 51:48, 16 entries) then 0..3. With DS = 1, descriptor bits 49:12 hold OA
 * 49:12 in place and bits 9:8 hold OA[51:50]; SH leaves the descriptor (TCR.SH0 rules).
 * 1) 4K page, IOVA 0xffffffffff000 -> PA 0xfedcba9876000, RW: indexes 15, 511, 511, 511,
 *    511. OA[49:12] = 0x3edcba9876000, OA[51:50] = 0b11 -> 0x300; low bits 0x3 | 0x40 |
 *    0x80 | 0x400 | 0x800 = 0xcc3; with DBM: 0x000bedcba9876fc3.
 * 2) 512G block at Arm level 0 (4K with DS only), IOVA 1 << 39 -> PA 1 << 39, RW: indexes
 *    0, 1; 0x8000000000 | 0xcc1 | DBM = 0x0008008000000cc1.
 * TCR_EL1 = 12 | 0x3500 | EPD1 | 6 << 32 | HA | HD | DS (1 << 59) = 0x080001860080350c.
 */
static void kat_s1_4k_52_lpa2(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_ARM_LPAE, .granule = 4096, .input_bits = 52, .oa_bits = 52 });
	const unsigned int i1[] = { 15, 511, 511, 511, 511 }, i2[] = { 0, 1 };
	struct pt_level_info li;

	(void)state;
	assert_int_equal(pt_domain_levels(d), 5);
	assert_int_equal(pt_domain_level_info(d, 4, &li), 0);
	assert_int_equal(li.bits, 4);
	assert_int_equal(li.leaf_sizes, 0);
	assert_int_equal(pt_domain_level_info(d, 3, &li), 0);
	assert_int_equal(li.leaf_sizes, 1ULL << 39); /* no contiguous 512G run */
	assert_int_equal(hw(d).hw_word, 0x080001860080350cULL);
	map1(d, 0xffffffffff000ULL, 0xfedcba9876000ULL, 1ULL << 12, RW);
	map1(d, 1ULL << 39, 1ULL << 39, 1ULL << 39, RW);
	kat_path(d, 0xffffffffff000ULL, i1, 0, 0x000bedcba9876fc3ULL);
	kat_path(d, 1ULL << 39, i2, 3, 0x0008008000000cc1ULL);
	d->ops->free(d);
}

/*
 * Stage 2 start levels and concatenation, VTCR and mode per granule:
 * - 4K, 52-bit IPA (LPA2, PS 52): the shortest walk starts at Arm level 0 with 16
 *   concatenated tables (IPA bits 51:39, 8192 entries, one 64K block): SL0 = 2. IPA
 *   0xffffffffff000 has top index 0x1fff. VTCR = 12 | 2 << 6 | 0x3500 | 6 << 16 | HA | HD
 *   | RES1 | DS (1 << 32) = 0x18066358c.
 * - 4K, 52-bit IPA, levels = 5: Arm level -1 (16 entries) needs SL2 = 1 (bit 33) with
 *   SL0 = 0: VTCR = 12 | 0x3500 | 6 << 16 | HA | HD | RES1 | DS | SL2 = 0x38066350c, mode 4.
 * - 16K, 40-bit IPA: Arm level 2 with 16 concatenated tables (IPA bits 39:25, 32768
 *   entries, 256K): SL0 = 3 - 2 = 1. VTCR = 24 | 1 << 6 | 0x3500 | TG0 16K 2 << 14 |
 *   PS 42-bit 3 << 16 | HA | HD | RES1 = 0x8063b558.
 * - 64K, 46-bit IPA: Arm level 2 with 16 concatenated tables (IPA bits 45:29, 1M): SL0 = 1.
 *   VTCR = 18 | 1 << 6 | 0x3500 | TG0 64K 1 << 14 | 5 << 16 | HA | HD | RES1 = 0x80657552.
 * - 64K, 32-bit IPA, 32-bit PA: a single level, Arm 3, 8 concatenated tables (IPA 31:16):
 *   SL0 = 0. VTCR = 32 | 0x3500 | 1 << 14 | PS 0 | HA | HD | RES1 = 0x80607520.
 * Refused: 16K, 40-bit IPA from Arm level 1 (levels = 3) with PS 40 (level 1 needs PS >=
 * 42); 16K 48-bit IPA from level 0 without LPA2; 64K from level 0 (never).
 */
static void kat_s2_starts(void **state)
{
	struct pt_config c = { .format = PT_FMT_ARM_LPAE,
			       .granule = 4096,
			       .input_bits = 52,
			       .oa_bits = 52,
			       .flags = PT_CFG_ARM_S2 };
	struct iommu_domain *d, *bad;
	struct pt_level_info li;
	struct pt_path path;

	(void)state;
	d = mk(c);
	assert_int_equal(pt_domain_levels(d), 4);
	pt_domain_level_info(d, 3, &li);
	assert_int_equal(li.bits, 13);
	assert_int_equal(li.table_lg2, 16);
	assert_int_equal(hw(d).hw_word, 0x18066358cULL);
	assert_int_equal(hw(d).mode, 2);
	map1(d, 0xffffffffff000ULL, 0x1000, 1ULL << 12, RW);
	assert_int_equal(pt_domain_walk_path(d, 0xffffffffff000ULL, &path), 0);
	assert_int_equal(path.step[3].index, 0x1fff);
	/* 0x3 | MemAttr 0x14 | S2AP read 0x40 | AF 0x400: bits 9:8 are OA[51:50] now, not SH */
	assert_int_equal(path.step[0].value, 0x1000 | 0x457 | DBM);
	d->ops->free(d);

	c.levels = 5;
	d = mk(c);
	assert_int_equal(hw(d).hw_word, 0x38066350cULL);
	assert_int_equal(hw(d).mode, 4);
	d->ops->free(d);

	c = (struct pt_config){ .format = PT_FMT_ARM_LPAE,
				.granule = 16384,
				.input_bits = 40,
				.oa_bits = 42,
				.flags = PT_CFG_ARM_S2 };
	d = mk(c);
	assert_int_equal(pt_domain_levels(d), 2);
	pt_domain_level_info(d, 1, &li);
	assert_int_equal(li.bits, 15);
	assert_int_equal(li.table_lg2, 18);
	assert_int_equal(hw(d).hw_word, 0x8063b558ULL);
	assert_int_equal(hw(d).mode, 1);
	d->ops->free(d);
	c.levels = 3;
	c.oa_bits = 40;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);
	c.input_bits = 48;
	c.oa_bits = 48;
	c.levels = 4;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);

	c = (struct pt_config){ .format = PT_FMT_ARM_LPAE,
				.granule = 65536,
				.input_bits = 46,
				.oa_bits = 48,
				.flags = PT_CFG_ARM_S2 };
	d = mk(c);
	pt_domain_level_info(d, 1, &li);
	assert_int_equal(li.bits, 17);
	assert_int_equal(li.table_lg2, 20);
	assert_int_equal(hw(d).hw_word, 0x80657552ULL);
	d->ops->free(d);
	c.levels = 3;
	c.input_bits = 52;
	c.oa_bits = 52;
	d = mk(c); /* Arm level 1, 10 bits, PS 52 */
	d->ops->free(d);
	c.levels = 4;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);

	c = (struct pt_config){ .format = PT_FMT_ARM_LPAE,
				.granule = 65536,
				.input_bits = 32,
				.oa_bits = 32,
				.flags = PT_CFG_ARM_S2 };
	d = mk(c);
	assert_int_equal(pt_domain_levels(d), 1);
	assert_int_equal(hw(d).hw_word, 0x80607520ULL);
	assert_int_equal(hw(d).mode, 0);
	map1(d, 0xffff0000ULL, 0xffff0000ULL, 1ULL << 16, IOMMU_PROT_READ);
	assert_int_equal(pt_domain_walk_path(d, 0xffff0000ULL, &path), 0);
	assert_int_equal(path.step[0].index, 0xffff);
	assert_int_equal(path.step[0].value, 0xffff0000ULL | 0x657);
	d->ops->free(d);
}

/* Configurations the format refuses, and entries the hardware would not take. */
static void kat_refused(void **state)
{
	struct pt_config c = { .format = PT_FMT_ARM_LPAE, .granule = 8192 };
	struct iommu_domain *d, *bad;
	struct pt_entry_info info;

	(void)state;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL); /* no 8K granule */
	c.granule = 4096;
	c.input_bits = 31;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);
	c.input_bits = 53;
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);
	c.input_bits = 48;
	c.oa_bits = 46; /* PS has no 46 */
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);
	c.oa_bits = 48;
	c.levels = 3; /* stage 1: T0SZ alone fixes the start level */
	assert_int_equal(pt_domain_alloc(&c, &bad), -EINVAL);
	c.levels = 0;

	/* default: 4K, 48-bit VA and PA, stage 1 */
	c = (struct pt_config){ .format = PT_FMT_ARM_LPAE };
	d = mk(c);
	assert_int_equal(pt_domain_levels(d), 4);
	assert_int_equal(d->ranges[0].last, (1ULL << 48) - 1);
	/* Arm level 3 with bits 1:0 = 0b01 is reserved: not a page */
	assert_int_equal(pt_entry_decode(d, 0, 0x5678000 | 0xec1, &info), 0);
	assert_int_equal(info.kind, PT_ENTRY_EMPTY);
	/* no block at Arm level 0 without LPA2 */
	assert_int_equal(pt_entry_decode(d, 3, 0x8000000000ULL | 0xec1, &info), 0);
	assert_int_equal(info.kind, PT_ENTRY_EMPTY);
	/* a 1G block at Arm level 1 is one */
	assert_int_equal(pt_entry_decode(d, 2, 0x80000000ULL | 0xec1, &info), 0);
	assert_int_equal(info.kind, PT_ENTRY_LEAF);
	assert_int_equal(info.size_lg2, 30);
	assert_int_equal(info.prot, IOMMU_PROT_READ);
	d->ops->free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kat_s1_4k_48),	       cmocka_unit_test(kat_s1_4k_nodirty),
		cmocka_unit_test(kat_s2_4k_40_concat), cmocka_unit_test(kat_s2_4k_40_l0),
		cmocka_unit_test(kat_s1_16k_47),       cmocka_unit_test(kat_s1_64k_52),
		cmocka_unit_test(kat_s1_4k_52_lpa2),   cmocka_unit_test(kat_s2_starts),
		cmocka_unit_test(kat_refused),
	};

	return cmocka_run_group_tests_name("pt-kat-arm", tests, NULL, NULL);
}
