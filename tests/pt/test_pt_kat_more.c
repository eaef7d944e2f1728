/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pt_kat_more.c - known-answer tests for the RISC-V, AMD v1 and POWER TCE formats:
 * the exact bytes of table entries, level by level, as tests/pt/test_pt_kat.c does for the
 * first formats.
 *
 * Each expected value is derived in the comment above its test from the specification's
 * bit layout (the sources are named there and in docs/formats.md). A table entry's pointer
 * part is whatever table the walk visits next, so the test builds it from the walk with the
 * format's own pointer encoding (RISC-V keeps the PPN at bit 10, the others keep the
 * address in place) and only the flag bits are constants. Bytes are compared in memory
 * order: little endian for RISC-V and AMD, big endian for TCE.
 *
 * Words: level 0 is the leaf level; "flags" are an entry's non-address bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iommu/phys.h"
#include "pt/pt.h"

#define RW (IOMMU_PROT_READ | IOMMU_PROT_WRITE)

/* How a format writes a table pointer and lays out bytes. */
struct kat_fmt {
	unsigned int addr_shift; /* the next table's pa >> 12 sits at this bit */
	bool big_endian;
};

static const struct kat_fmt kat_riscv = { .addr_shift = 10 };
static const struct kat_fmt kat_amd = { .addr_shift = 12 };
static const struct kat_fmt kat_tce = { .addr_shift = 12, .big_endian = true };

/* The 8 bytes at pa, in the format's byte order, against v. */
static void assert_bytes(const struct kat_fmt *f, uint64_t pa, uint64_t v)
{
	/* a table's pa is a name of the arena (iommu/phys.h) */
	const uint8_t *p = iommu_phys_resolve(pa, 8);
	unsigned int i;

	assert_non_null(p);
	for (i = 0; i < 8; i++)
		assert_int_equal(p[i], (v >> (8 * (f->big_endian ? 7 - i : i))) & 0xff);
}

struct kat_level {
	unsigned int index; /* expected index into this level's table */
	uint64_t flags;	    /* table entry: flag bits beside the next table's pointer */
};

/*
 * Walk iova; check each level's index, that each table entry is the next table's pointer
 * | flags, and that the leaf (at level `leaf`) is exactly `leaf_value`.
 */
static void kat_path(const struct kat_fmt *f, struct iommu_domain *d, uint64_t iova,
		     const struct kat_level *lv, unsigned int leaf, uint64_t leaf_value)
{
	struct pt_path path;
	unsigned int l;

	assert_int_equal(pt_domain_walk_path(d, iova, &path), 0);
	assert_int_equal(path.end_level, leaf);
	assert_int_equal(path.step[path.top].table_pa, pt_domain_root_pa(d));
	for (l = path.top;; l--) {
		const struct pt_path_step *st = &path.step[l];
		unsigned int k = path.top - l;
		uint64_t want;

		assert_int_equal(st->index, lv[k].index);
		assert_int_equal(st->entry_pa, st->table_pa + 8 * st->index);
		if (l == leaf) {
			assert_int_equal(st->value, leaf_value);
			assert_bytes(f, st->entry_pa, leaf_value);
			break;
		}
		want = ((path.step[l - 1].table_pa >> 12) << f->addr_shift) | lv[k].flags;
		assert_int_equal(st->value, want);
		assert_bytes(f, st->entry_pa, want);
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

static void lookup(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t size, int prot)
{
	uint64_t got_pa, got_size;
	int got_prot;

	assert_int_equal(d->ops->iova_to_phys(d, iova, &got_pa, &got_size, &got_prot), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_size, size);
	assert_int_equal(got_prot, prot);
}

/* ---- RISC-V ------------------------------------------------------------------------ */

/*
 * RISC-V privileged spec, Sv39 PTE: V(0) R(1) W(2) X(3) U(4) G(5) A(6) D(7), PPN in bits
 * 53:10 (the physical address >> 12, shifted left by 10), N(63) from Svnapot. Non-leaf PTE:
 * V only, so a table entry is (next_pa >> 12) << 10 | 0x1. Our leaves carry V|R|U|A = 0x53,
 * plus W(0x4) for write and X(0x8) unless no-exec; RW executable leaves carry 0x5f.
 * Sv39 indexes: VPN[2] = IOVA bits 38:30, VPN[1] = 29:21, VPN[0] = 20:12.
 * 1) 4K, IOVA 0x1234000 -> PA 0x5678000, RW: indexes 0, 9, 0x34; leaf = 0x5678 << 10 |
 *    0x5f = 0x159e000 | 0x5f = 0x159e05f. A DMA write sets D(7): 0x159e0df (A is pre-set).
 * 2) 2M, IOVA 0x40000000 -> PA 0x80200000, read only, no exec: indexes 1, 0; leaf at level 1
 *    = 0x80200 << 10 | V|R|U|A = 0x20080000 | 0x53 = 0x20080053. A write faults.
 * 3) 1G, IOVA 0xffffffffc0000000 (the last 1G of the sign-extended upper half) -> PA
 *    0x40000000, RW: VPN[2] = 511; leaf at level 2 = 0x40000 << 10 | 0x5f = 0x1000005f.
 * 4) Svnapot 64K, IOVA 0x10000 -> PA 0x30000, RW: level-0 entries 16..31 all equal: PPN
 *    0x30 with PPN[3:0] = 0b1000 -> 0x38 << 10 = 0xe000, | N(63) | 0x5f =
 *    0x800000000000e05f. The path walk reports each entry's place: index 26 is entry 10.
 * iosatp (RISC-V IOMMU spec, DC.fsc): MODE(63:60) = 8 for Sv39 | PPN(43:0) = root >> 12.
 * Ranges: bits 63:39 equal bit 38: [0, 0x3fffffffff] and [0xffffffc000000000, ~0].
 */
static void kat_riscv_sv39(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_RISCV, .levels = 3, .flags = PT_CFG_RISCV_NAPOT });
	const struct kat_level k1[] = { { 0, 1 }, { 9, 1 }, { 0x34, 0 } };
	const struct kat_level k2[] = { { 1, 1 }, { 0, 0 } };
	const struct kat_level k3[] = { { 511, 0 } };
	struct pt_hw_info hw;
	struct pt_path path;
	unsigned int i;

	(void)state;
	assert_int_equal(d->nr_ranges, 2);
	assert_int_equal(d->ranges[0].last, 0x3fffffffffULL);
	assert_int_equal(d->ranges[1].start, 0xffffffc000000000ULL);
	assert_int_equal(d->pgsize_bitmap,
			 (1ULL << 12) | (1ULL << 16) | (1ULL << 21) | (1ULL << 30));
	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	map1(d, 0x40000000, 0x80200000ULL, 1ULL << 21, IOMMU_PROT_READ | IOMMU_PROT_NOEXEC);
	map1(d, 0xffffffffc0000000ULL, 0x40000000, 1ULL << 30, RW);
	map1(d, 0x10000, 0x30000, 1ULL << 16, RW);
	kat_path(&kat_riscv, d, 0x1234000, k1, 0, 0x159e05f);
	kat_path(&kat_riscv, d, 0x40000000, k2, 1, 0x20080053);
	kat_path(&kat_riscv, d, 0xffffffffc0000000ULL, k3, 2, 0x1000005f);
	for (i = 0; i < 16; i++) {
		const struct kat_level k4[] = { { 0, 1 }, { 0, 1 }, { 16 + i, 0 } };

		kat_path(&kat_riscv, d, 0x10000 + i * 0x1000, k4, 0, 0x800000000000e05fULL);
	}
	assert_int_equal(pt_domain_walk_path(d, 0x1a000, &path), 0);
	assert_int_equal(path.step[0].info.contig_index, 10);
	assert_int_equal(path.step[0].info.oa, 0x30000);
	assert_int_equal(path.step[0].info.size_lg2, 16);
	lookup(d, 0x1abcd, 0x3abcd, 1ULL << 16, RW);
	lookup(d, 0x40000000, 0x80200000ULL, 1ULL << 21, IOMMU_PROT_READ | IOMMU_PROT_NOEXEC);
	/* a write-only request is R|W: W without R is reserved */
	map1(d, 0x2000000, 0x2000000, 1ULL << 12, IOMMU_PROT_WRITE);
	lookup(d, 0x2000000, 0x2000000, 1ULL << 12, RW);

	assert_int_equal(pt_mark_dirty(d, 0x1234fff), 0);
	kat_path(&kat_riscv, d, 0x1234000, k1, 0, 0x159e0df);
	assert_int_equal(pt_mark_dirty(d, 0x40000000), -EACCES);
	kat_path(&kat_riscv, d, 0x40000000, k2, 1, 0x20080053);
	/* a write into a NAPOT page dirties the entry the walk used */
	assert_int_equal(pt_mark_dirty(d, 0x1a000), 0);
	assert_int_equal(pt_domain_walk_path(d, 0x1a000, &path), 0);
	assert_int_equal(path.step[0].value, 0x800000000000e0dfULL);
	assert_int_equal(pt_domain_walk_path(d, 0x19000, &path), 0);
	assert_int_equal(path.step[0].value, 0x800000000000e05fULL);
	assert_int_equal(d->ops->set_dirty_tracking(d, true), 0);
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0, 1ULL << 32, 0, NULL), 0);
	kat_path(&kat_riscv, d, 0x1234000, k1, 0, 0x159e05f);
	assert_int_equal(pt_domain_walk_path(d, 0x1a000, &path), 0);
	assert_int_equal(path.step[0].value, 0x800000000000e05fULL);

	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 8);
	assert_int_equal(hw.hw_word, (8ULL << 60) | (pt_domain_root_pa(d) >> 12));
	d->ops->free(d);
}

/*
 * Sv48 and Sv57 add VPN[3] (IOVA bits 47:39) and VPN[4] (56:48); a leaf may sit at any
 * level, so VPN[3] entries can map 512G.
 * 1) Sv48, 512G, IOVA 0x8000000000 -> PA 0x10000000000 (1T), RW: VPN[3] = 1; leaf at level
 *    3 = (0x10000000000 >> 12 = 0x10000000) << 10 | 0x5f = 0x400000005f. iosatp MODE 9.
 * 2) Sv57, 4K at the last page of the lower half, IOVA 0x00fffffffffff000 -> PA 0x1000, RW:
 *    VPN[4] = 0xff, then 511 at every level; leaf = 1 << 10 | 0x5f = 0x45f. MODE 10.
 */
static void kat_riscv_sv48_57(void **state)
{
	struct iommu_domain *d4 = mk((struct pt_config){ .format = PT_FMT_RISCV, .levels = 4 });
	struct iommu_domain *d5 = mk((struct pt_config){ .format = PT_FMT_RISCV, .levels = 5 });
	const struct kat_level k4[] = { { 1, 0 } };
	const struct kat_level k5[] = {
		{ 0xff, 1 }, { 511, 1 }, { 511, 1 }, { 511, 1 }, { 511, 0 }
	};
	struct pt_hw_info hw;

	(void)state;
	assert_int_equal(d4->ranges[0].last, 0x00007fffffffffffULL);
	assert_int_equal(d5->ranges[1].start, 0xff00000000000000ULL);
	assert_true(d4->pgsize_bitmap & (1ULL << 39));
	assert_true(d5->pgsize_bitmap & (1ULL << 48));
	map1(d4, 0x8000000000ULL, 0x10000000000ULL, 1ULL << 39, RW);
	kat_path(&kat_riscv, d4, 0x8000000000ULL, k4, 3, 0x400000005fULL);
	lookup(d4, 0x8012345678ULL, 0x10012345678ULL, 1ULL << 39, RW);
	pt_domain_hw_info(d4, &hw);
	assert_int_equal(hw.hw_word, (9ULL << 60) | (pt_domain_root_pa(d4) >> 12));
	map1(d5, 0x00fffffffffff000ULL, 0x1000, 1ULL << 12, RW);
	kat_path(&kat_riscv, d5, 0x00fffffffffff000ULL, k5, 0, 0x45f);
	pt_domain_hw_info(d5, &hw);
	assert_int_equal(hw.mode, 10);
	assert_int_equal(hw.hw_word, (10ULL << 60) | (pt_domain_root_pa(d5) >> 12));
	d4->ops->free(d4);
	d5->ops->free(d5);
}

/*
 * Sv48x4, the G stage (privileged spec, "Guest physical address translation"): the guest
 * physical address is 50 bits, zero extended, and the root table has 2048 entries (16K,
 * 16K aligned), indexed by GPA bits 49:39.
 * 1) 4K, GPA 0x2000000001000 (bit 49 set) -> PA 0x2000, RW: root index 0x400, then 0, 0, 1;
 *    leaf = 2 << 10 | 0x5f = 0x85f.
 * 2) GPA 2^50 is outside: -ERANGE.
 * iohgatp (RISC-V IOMMU spec, DC.iohgatp): MODE(63:60) = 9 for Sv48x4, GSCID(59:44) = 0,
 * PPN(43:0) = root >> 12.
 */
static void kat_riscv_sv48x4(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){
		.format = PT_FMT_RISCV, .levels = 4, .flags = PT_CFG_RISCV_X4 });
	const struct kat_level k[] = { { 0x400, 1 }, { 0, 1 }, { 0, 1 }, { 1, 0 } };
	struct pt_level_info li;
	struct pt_hw_info hw;
	uint64_t mapped;

	(void)state;
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, (1ULL << 50) - 1);
	assert_int_equal(pt_domain_level_info(d, 3, &li), 0);
	assert_int_equal(li.bits, 11);
	assert_int_equal(li.table_lg2, 14);
	assert_int_equal(pt_domain_root_pa(d) & 0x3fff, 0);
	map1(d, 0x2000000001000ULL, 0x2000, 1ULL << 12, RW);
	kat_path(&kat_riscv, d, 0x2000000001000ULL, k, 0, 0x85f);
	assert_int_equal(d->ops->map_pages(d, 1ULL << 50, 0, 1ULL << 12, 1, RW, &mapped), -ERANGE);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 9);
	assert_int_equal(hw.hw_word, (9ULL << 60) | (pt_domain_root_pa(d) >> 12));
	d->ops->free(d);
}

/* Configurations the format refuses. */
static void kat_riscv_config(void **state)
{
	struct pt_config bad[] = {
		{ .format = PT_FMT_RISCV, .levels = 2 },
		{ .format = PT_FMT_RISCV, .levels = 6 },
		{ .format = PT_FMT_RISCV, .levels = 3, .input_bits = 48 },
		{ .format = PT_FMT_RISCV, .levels = 3, .granule = 65536 },
		{ .format = PT_FMT_RISCV, .levels = 4, .pgsize_bitmap = 1ULL << 16 },
	};
	struct iommu_domain *d;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt_domain_alloc(&bad[i], &d), -EINVAL);
	/* input_bits may be given when it matches: 41 for Sv39x4 */
	d = mk((struct pt_config){
		.format = PT_FMT_RISCV, .levels = 3, .input_bits = 41, .flags = PT_CFG_RISCV_X4 });
	assert_int_equal(d->ranges[0].last, (1ULL << 41) - 1);
	d->ops->free(d);
}

/* ---- AMD v1 ------------------------------------------------------------------------ */

/*
 * AMD IOMMU specification 2.2.3: PR(0), D(6), Next Level NL(11:9), address(51:12), FC(60),
 * IR(61), IW(62). A PDE at our level L (the specification's level L+1) points at a table
 * of specification level L, so NL = L: level-2 PDEs carry PR | NL 2 << 9 | IR | IW =
 * 0x6000000000000401, level-1 PDEs 0x6000000000000201. A PTE of its level's own size has
 * NL 0; one of another size has NL 7, the size in the address bits, and is repeated in
 * every entry it covers. Mode 3: indexes are IOVA bits 38:30, 29:21, 20:12.
 * 1) 4K, IOVA 0x1234000 -> PA 0x5678000, RW: indexes 0, 9, 0x34; PTE = 0x5678000 | PR |
 *    IR | IW = 0x6000000005678001. With HAD on, a write sets D: 0x6000000005678041.
 * 2) 32K, IOVA 0x1248000 -> PA 0x9abc8000, RW: 8 level-0 entries 0x48..0x4f, each with the
 *    address bits 13:12 = 11b and 14 = 0 (32K = 2^(12 + 2 ones + 1)): 0x9abc8000 | 0x3000 =
 *    0x9abcb000, | NL 7 (0xe00) | PR | IR | IW = 0x600000009abcbe01. (Linux's
 *    PAGE_SIZE_PTE: (pa | (size - 1)) & ~(size / 2), the same value.)
 * 3) 2M, IOVA 0x40000000 -> PA 0x80000000, read only: indexes 1, 0; PTE at level 1 with
 *    NL 0: 0x80000000 | PR | IR = 0x2000000080000001. A write faults.
 * 4) 1G, IOVA 0x7fc0000000 (the last 1G of the 39-bit space) -> PA 0x40000000, write
 *    only: index 511; PTE = 0x40000000 | PR | IW = 0x4000000040000001.
 * 5) 8M (4 level-1 entries), IOVA 0x800000 -> PA 0x1000000, RW and CACHE: indexes 0, 4..7;
 *    address bits 21:12 ones, bit 22 zero: 0x1000000 | 0x3ff000 = 0x13ff000, | 0xe00 | PR |
 *    FC(60) | IR | IW = 0x70000000013ffe01.
 * DTE (2.2.2) bits 63:0: root | Mode 3 << 9 | IR | IW | TV(1) | V(0) = root |
 * 0x6000000000000603; with dirty tracking HAD(8:7) = 11b adds 0x180.
 */
static void kat_amd_3(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_AMD_V1, .levels = 3 });
	const uint64_t pde2 = 0x6000000000000401ULL, pde1 = 0x6000000000000201ULL;
	const struct kat_level k1[] = { { 0, pde2 }, { 9, pde1 }, { 0x34, 0 } };
	const struct kat_level k3[] = { { 1, pde2 }, { 0, 0 } };
	const struct kat_level k4[] = { { 511, 0 } };
	struct pt_hw_info hw;
	struct pt_path path;
	unsigned int i;

	(void)state;
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].last, (1ULL << 39) - 1);
	/* every power of two from 4K to 2^38 */
	assert_int_equal(d->pgsize_bitmap, 0x7ffffff000ULL);
	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	map1(d, 0x1248000, 0x9abc8000ULL, 1ULL << 15, RW);
	map1(d, 0x40000000, 0x80000000ULL, 1ULL << 21, IOMMU_PROT_READ);
	map1(d, 0x7fc0000000ULL, 0x40000000, 1ULL << 30, IOMMU_PROT_WRITE);
	map1(d, 0x800000, 0x1000000, 1ULL << 23, RW | IOMMU_PROT_CACHE);
	kat_path(&kat_amd, d, 0x1234000, k1, 0, 0x6000000005678001ULL);
	for (i = 0; i < 8; i++) {
		const struct kat_level k2[] = { { 0, pde2 }, { 9, pde1 }, { 0x48 + i, 0 } };

		kat_path(&kat_amd, d, 0x1248000 + i * 0x1000, k2, 0, 0x600000009abcbe01ULL);
	}
	kat_path(&kat_amd, d, 0x40000000, k3, 1, 0x2000000080000001ULL);
	kat_path(&kat_amd, d, 0x7fc0000000ULL, k4, 2, 0x4000000040000001ULL);
	for (i = 0; i < 4; i++) {
		const struct kat_level k5[] = { { 0, pde2 }, { 4 + i, 0 } };

		kat_path(&kat_amd, d, 0x800000 + i * 0x200000, k5, 1, 0x70000000013ffe01ULL);
	}
	lookup(d, 0x124f123, 0x9abcf123ULL, 1ULL << 15, RW);
	lookup(d, 0xfedcba, 0x17edcba, 1ULL << 23, RW | IOMMU_PROT_CACHE);
	lookup(d, 0x7fc0000000ULL, 0x40000000, 1ULL << 30, IOMMU_PROT_WRITE);
	assert_int_equal(pt_domain_walk_path(d, 0x124d000, &path), 0);
	assert_int_equal(path.step[0].info.size_lg2, 15);
	assert_int_equal(path.step[0].info.oa, 0x9abc8000ULL);
	assert_int_equal(path.step[0].info.contig_index, 5);

	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 3);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 0x6000000000000603ULL);
	/* without HAD the hardware logs nothing */
	assert_int_equal(pt_mark_dirty(d, 0x1234000), 0);
	kat_path(&kat_amd, d, 0x1234000, k1, 0, 0x6000000005678001ULL);
	assert_int_equal(d->ops->set_dirty_tracking(d, true), 0);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 0x6000000000000783ULL);
	assert_int_equal(pt_mark_dirty(d, 0x1234008), 0);
	kat_path(&kat_amd, d, 0x1234000, k1, 0, 0x6000000005678041ULL);
	assert_int_equal(pt_mark_dirty(d, 0x40000000), -EACCES);
	kat_path(&kat_amd, d, 0x40000000, k3, 1, 0x2000000080000001ULL);
	/* a write into the 32K page sets D in the entry its walk used, entry 4 only */
	assert_int_equal(pt_mark_dirty(d, 0x124c010), 0);
	for (i = 0; i < 8; i++) {
		const struct kat_level k2[] = { { 0, pde2 }, { 9, pde1 }, { 0x48 + i, 0 } };

		kat_path(&kat_amd, d, 0x1248000 + i * 0x1000, k2, 0,
			 i == 4 ? 0x600000009abcbe41ULL : 0x600000009abcbe01ULL);
	}
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0, 1ULL << 32, 0, NULL), 0);
	kat_path(&kat_amd, d, 0x1234000, k1, 0, 0x6000000005678001ULL);
	assert_int_equal(pt_domain_walk_path(d, 0x124c000, &path), 0);
	assert_int_equal(path.step[0].value, 0x600000009abcbe01ULL);
	d->ops->free(d);
}

/*
 * Mode 6: all 64 bits; the top table is indexed by IOVA bits 63:57 and holds no PTEs.
 * PDEs at levels 5..1 carry NL 5..1: 0x6000000000000a01, 0x801, 0x601, 0x401, 0x201.
 * 1) 4K at the last page, IOVA 0xfffffffffffff000 -> PA 0x1000, RW: top index 0x7f, then
 *    511 everywhere; PTE = 0x6000000000001001.
 * 2) 1T (two level-3 entries, NL 7), IOVA 0x10000000000 -> PA 0x30000000000, RW: indexes 0,
 *    0, then 2 and 3 at level 3; address bits 38:12 ones, bit 39 zero: 0x30000000000 |
 *    0x7ffffff000 = 0x37ffffff000, | 0xe00 | PR | IR | IW = 0x6000037ffffffe01.
 * 512G pages are not offered (the erratum Linux avoids); 256T (level 4, NL 0) is.
 * DTE: root | 6 << 9 | IR | IW | TV | V = root | 0x6000000000000c03.
 */
static void kat_amd_6(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_AMD_V1, .levels = 6 });
	const struct kat_level k1[] = {
		{ 0x7f, 0x6000000000000a01ULL }, { 511, 0x6000000000000801ULL },
		{ 511, 0x6000000000000601ULL },	 { 511, 0x6000000000000401ULL },
		{ 511, 0x6000000000000201ULL },	 { 511, 0 }
	};
	struct pt_level_info li;
	struct pt_hw_info hw;
	uint64_t pa, sz;
	unsigned int i;
	int prot;

	(void)state;
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, UINT64_MAX);
	assert_false(d->pgsize_bitmap & (1ULL << 39));
	assert_true(d->pgsize_bitmap & (1ULL << 40));
	assert_true(d->pgsize_bitmap & (1ULL << 48));
	assert_true(d->pgsize_bitmap & (1ULL << 51));
	assert_int_equal(pt_domain_level_info(d, 5, &li), 0);
	assert_int_equal(li.leaf_sizes, 0);
	map1(d, 0xfffffffffffff000ULL, 0x1000, 1ULL << 12, RW);
	kat_path(&kat_amd, d, 0xfffffffffffff000ULL, k1, 0, 0x6000000000001001ULL);
	assert_int_equal(d->ops->iova_to_phys(d, UINT64_MAX, &pa, &sz, &prot), 0);
	assert_int_equal(pa, 0x1fff);
	map1(d, 0x10000000000ULL, 0x30000000000ULL, 1ULL << 40, RW);
	for (i = 0; i < 2; i++) {
		const struct kat_level k2[] = { { 0, 0x6000000000000a01ULL },
						{ 0, 0x6000000000000801ULL },
						{ 2 + i, 0 } };

		kat_path(&kat_amd, d, 0x10000000000ULL + i * (1ULL << 39), k2, 3,
			 0x6000037ffffffe01ULL);
	}
	lookup(d, 0x1ffffffffffULL, 0x3ffffffffffULL, 1ULL << 40, RW);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 6);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 0x6000000000000c03ULL);
	d->ops->free(d);
}

/* Page-size encodings of every size a mode-4 table offers, decoded back from the bytes. */
static void kat_amd_sizes(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_AMD_V1, .levels = 4 });
	struct pt_config bad = { .format = PT_FMT_AMD_V1, .levels = 7 };
	struct iommu_domain *d2;
	unsigned int lg2;

	(void)state;
	for (lg2 = 12; lg2 < 48; lg2++) {
		unsigned int lvl = lg2 < 21 ? 0 : lg2 < 30 ? 1 : lg2 < 39 ? 2 : 3;
		unsigned int shift = 12 + 9 * lvl;
		struct pt_entry_info in = { .kind = PT_ENTRY_LEAF,
					    .oa = 1ULL << 51,
					    .size_lg2 = lg2,
					    .prot = RW },
				     out;
		uint64_t v, want;

		if (lg2 == 39) { /* 512G: refused */
			assert_int_equal(pt_entry_encode(d, lvl, &in, &v), -EINVAL);
			continue;
		}
		/* NL 0 at the level's own size, else NL 7 with ones in bits lg2-2..12 */
		want = (1ULL << 51) | 1 | (3ULL << 61);
		if (lg2 != shift)
			want |= (((1ULL << (lg2 - 1)) - 1) & ~0xfffULL) | (7ULL << 9);
		assert_int_equal(pt_entry_encode(d, lvl, &in, &v), 0);
		assert_int_equal(v, want);
		assert_int_equal(pt_entry_decode(d, lvl, v, &out), 0);
		assert_int_equal(out.size_lg2, lg2);
		assert_int_equal(out.oa, 1ULL << 51);
	}
	assert_int_equal(pt_domain_alloc(&bad, &d2), -EINVAL);
	bad.levels = 3;
	bad.input_bits = 40;
	assert_int_equal(pt_domain_alloc(&bad, &d2), -EINVAL);
	d->ops->free(d);
}

/* ---- POWER TCE --------------------------------------------------------------------- */

/*
 * TCE (Linux asm/tce.h): TCE_PCI_READ = bit 0, TCE_PCI_WRITE = bit 1, the real address in
 * bits 51:12; 8 bytes, big endian. Indirect entries (powernv pnv_tce, pci-ioda-tce.c):
 * next table pa | READ | WRITE = pa | 0x3. Writable TCEs are also readable (pnv_tce_build).
 * The 64-bit window of a PHB sits at bus address 1 << 59 = 0x0800000000000000 (TVE 1 is
 * picked by address bit 59). Window: 2^40 bytes, 64K pages, 3 levels of 512 entries
 * (24 index bits in 27): level 0 index = bus address bits 24:16, level 1 = 33:25, level 2
 * = 42:34 (bit 59 falls outside every index).
 * 1) 64K at 0x0800000012340000 -> PA 0x56780000, RW: indexes 0, 9 (0x12340000 >> 25), 0x34
 *    ((0x12340000 >> 16) & 0x1ff); TCE = 0x56780000 | 0x3 = 0x56780003, in memory the bytes
 *    00 00 00 00 56 78 00 03.
 * 2) 64K at the window's last page, 0x080000ffffff0000 -> PA 0x10000, read only: indexes
 *    63 ((2^40 - 1) >> 34), 511, 511; TCE = 0x10001.
 * 3) A write-only request at 0x0800000000000000 -> PA 0x20000 is stored READ|WRITE:
 *    0x20003.
 * TVE (IODA3, skiboot IODA3_TVT_*): TABLE_ADDR (root >> 12) at bit 16, NUM_LEVELS 2 at bit
 * 13 (0x4000), TCE_TABLE_SIZE log2(4K) - 11 = 1 at bit 8 (0x100), IO_PSIZE 16 - 11 = 5:
 * root >> 12 << 16 | 0x4105.
 */
static void kat_tce_64k(void **state)
{
	const uint64_t base = 0x0800000000000000ULL;
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_TCE,
							.granule = 1 << 16,
							.input_bits = 40,
							.levels = 3,
							.bus_offset = base });
	const struct kat_level k1[] = { { 0, 3 }, { 9, 3 }, { 0x34, 0 } };
	const struct kat_level k2[] = { { 63, 3 }, { 511, 3 }, { 511, 0 } };
	const struct kat_level k3[] = { { 0, 3 }, { 0, 3 }, { 0, 0 } };
	const uint8_t bytes[8] = { 0, 0, 0, 0, 0x56, 0x78, 0, 0x03 };
	struct pt_hw_info hw;
	struct pt_path path;
	uint64_t mapped, pa, sz;
	int prot;

	(void)state;
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].start, base);
	assert_int_equal(d->ranges[0].last, 0x080000ffffffffffULL);
	assert_int_equal(d->pgsize_bitmap, 1ULL << 16);
	assert_null(d->ops->read_and_clear_dirty);
	assert_null(d->ops->set_dirty_tracking);
	map1(d, base + 0x12340000, 0x56780000, 1 << 16, RW);
	map1(d, 0x080000ffffff0000ULL, 0x10000, 1 << 16, IOMMU_PROT_READ);
	map1(d, base, 0x20000, 1 << 16, IOMMU_PROT_WRITE);
	kat_path(&kat_tce, d, base + 0x12340000, k1, 0, 0x56780003);
	kat_path(&kat_tce, d, 0x080000ffffff0000ULL, k2, 0, 0x10001);
	kat_path(&kat_tce, d, base, k3, 0, 0x20003);
	assert_int_equal(pt_domain_walk_path(d, base + 0x12345678, &path), 0);
	assert_memory_equal(iommu_phys_resolve(path.step[0].entry_pa, 8), bytes, 8);
	lookup(d, base + 0x1234abcd, 0x5678abcd, 1 << 16, RW);
	lookup(d, 0x080000ffffffffffULL, 0x1ffff, 1 << 16, IOMMU_PROT_READ);
	lookup(d, base + 0x10, 0x20010, 1 << 16, RW);
	/* outside the window: nothing translates, nothing maps */
	assert_int_equal(d->ops->iova_to_phys(d, 0x12340000, &pa, &sz, &prot), -ENOENT);
	assert_int_equal(d->ops->map_pages(d, 0, 0, 1 << 16, 1, RW, &mapped), -ERANGE);
	assert_int_equal(d->ops->map_pages(d, base + (1ULL << 40), 0, 1 << 16, 1, RW, &mapped),
			 -ERANGE);
	/* a DMA write through a read-only TCE faults; TCEs have no bits the hardware sets */
	assert_int_equal(pt_mark_dirty(d, 0x080000ffffff0000ULL), -EACCES);
	assert_int_equal(pt_mark_dirty(d, base + 0x12340000), 0);
	kat_path(&kat_tce, d, base + 0x12340000, k1, 0, 0x56780003);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 2);
	assert_int_equal(hw.input_bits, 40);
	assert_int_equal(hw.hw_word, ((pt_domain_root_pa(d) >> 12) << 16) | 0x4105);
	d->ops->free(d);
}

/*
 * One level: a 1G window at bus address 0 with 4K pages needs 2^18 TCEs, one 2M table.
 * 4K at 0x1234000 -> PA 0x5678000, read only: index 0x1234, TCE = 0x5678001.
 * TVE: levels - 1 = 0, table size log2(2M) - 11 = 10 (0xa00), page 12 - 11 = 1: 0xa01.
 * A 16M window [2T, 4T) in 2 levels of 512: the top table is indexed by bits 41:33, so the
 * window is its upper half: 16M at 2T -> PA 0x3000000, RW: indexes 256, 0; TCE 0x3000003.
 * TVE: 1 << 13 | 1 << 8 | (24 - 11 = 13) = 0x210d.
 */
static void kat_tce_levels(void **state)
{
	struct iommu_domain *d1 = mk((struct pt_config){
		.format = PT_FMT_TCE, .granule = 4096, .input_bits = 30, .levels = 1 });
	struct iommu_domain *d2 = mk((struct pt_config){ .format = PT_FMT_TCE,
							 .granule = 1 << 24,
							 .input_bits = 41,
							 .levels = 2,
							 .bus_offset = 1ULL << 41 });
	const struct kat_level k1[] = { { 0x1234, 0 } };
	const struct kat_level k2[] = { { 256, 3 }, { 0, 0 } };
	struct pt_level_info li;
	struct pt_hw_info hw;

	(void)state;
	assert_int_equal(pt_domain_levels(d1), 1);
	assert_int_equal(pt_domain_level_info(d1, 0, &li), 0);
	assert_int_equal(li.table_lg2, 21);
	map1(d1, 0x1234000, 0x5678000, 4096, IOMMU_PROT_READ);
	kat_path(&kat_tce, d1, 0x1234000, k1, 0, 0x5678001);
	pt_domain_hw_info(d1, &hw);
	assert_int_equal(hw.hw_word, ((pt_domain_root_pa(d1) >> 12) << 16) | 0xa01);
	map1(d2, 1ULL << 41, 0x3000000, 1 << 24, RW);
	kat_path(&kat_tce, d2, 1ULL << 41, k2, 0, 0x3000003);
	pt_domain_hw_info(d2, &hw);
	assert_int_equal(hw.hw_word, ((pt_domain_root_pa(d2) >> 12) << 16) | 0x210d);
	d1->ops->free(d1);
	d2->ops->free(d2);
}

/* Windows the format refuses. */
static void kat_tce_config(void **state)
{
	struct pt_config bad[] = {
		/* 8K is not a TCE page size */
		{ .format = PT_FMT_TCE, .granule = 8192, .input_bits = 31, .levels = 2 },
		/* the base must be a multiple of the window size */
		{ .format = PT_FMT_TCE, .input_bits = 31, .levels = 2, .bus_offset = 1ULL << 30 },
		/* at most 5 levels */
		{ .format = PT_FMT_TCE, .input_bits = 31, .levels = 6 },
		/* below 2^60, where the PHB's MSI regions begin */
		{ .format = PT_FMT_TCE, .granule = 1 << 16, .input_bits = 60 },
		/* one level for 2^19 TCEs would be a 4M table */
		{ .format = PT_FMT_TCE, .input_bits = 31, .levels = 1 },
		/* the window is at least one page */
		{ .format = PT_FMT_TCE, .granule = 1 << 24, .input_bits = 24 },
	};
	struct iommu_domain *d;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt_domain_alloc(&bad[i], &d), -EINVAL);
	/* the defaults: a 2G window at 0 of 4K pages, 3 levels of 512 */
	d = mk((struct pt_config){ .format = PT_FMT_TCE });
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, (1ULL << 31) - 1);
	assert_int_equal(pt_domain_levels(d), 3);
	assert_true(pt_domain_config(d)->flags & PT_CFG_NO_DIRTY);
	d->ops->free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kat_riscv_sv39),   cmocka_unit_test(kat_riscv_sv48_57),
		cmocka_unit_test(kat_riscv_sv48x4), cmocka_unit_test(kat_riscv_config),
		cmocka_unit_test(kat_amd_3),	    cmocka_unit_test(kat_amd_6),
		cmocka_unit_test(kat_amd_sizes),    cmocka_unit_test(kat_tce_64k),
		cmocka_unit_test(kat_tce_levels),   cmocka_unit_test(kat_tce_config),
	};

	return cmocka_run_group_tests_name("pt-kat-more", tests, NULL, NULL);
}
