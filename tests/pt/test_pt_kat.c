/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pt_kat.c - known-answer tests: the exact bytes of table entries, level by level.
 *
 * For a few mappings per format the expected entry values are derived below, in the
 * comments, from the specification's bit layout, and compared with the 8 bytes found at
 * the entry's address (little endian for all three formats). Table entries point at the
 * next table the walk visits, so the pointer part is taken from the walk and only the
 * flag bits are constants. Indexes are derived from the IOVA the same way.
 *
 * Words: level 0 is the leaf level; "flags" are an entry's non-address bits.
 *
 * Traps: the mock's geometry depends on the CPU page size (IO page = page / 2); its known
 * answers are written for 4K pages and skipped elsewhere.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "iommu/phys.h"
#include "pt/pt.h"

/* The 8 bytes at pa, as little-endian bytes, against v. */
static void assert_bytes(uint64_t pa, uint64_t v)
{
	/* a table's pa is a name of the arena (iommu/phys.h) */
	const uint8_t *p = iommu_phys_resolve(pa, 8);
	unsigned int i;

	assert_non_null(p);
	for (i = 0; i < 8; i++)
		assert_int_equal(p[i], (v >> (8 * i)) & 0xff);
}

struct kat_level {
	unsigned int index; /* expected index into this level's table */
	uint64_t flags;	    /* table entry: flag bits beside the next table's pa */
};

/*
 * Walk iova; check each level's index, that table entries are next_table_pa | flags and
 * that the leaf (at level `leaf`) is exactly `leaf_value`.
 */
static void kat_path(struct iommu_domain *d, uint64_t iova, const struct kat_level *lv,
		     unsigned int leaf, uint64_t leaf_value)
{
	struct pt_path path;
	unsigned int l;

	assert_int_equal(pt_domain_walk_path(d, iova, &path), 0);
	assert_int_equal(path.end_level, leaf);
	assert_int_equal(path.step[path.top].table_pa, pt_domain_root_pa(d));
	for (l = path.top;; l--) {
		const struct pt_path_step *st = &path.step[l];
		unsigned int k = path.top - l;

		assert_int_equal(st->index, lv[k].index);
		assert_int_equal(st->entry_pa, st->table_pa + 8 * st->index);
		if (l == leaf) {
			assert_int_equal(st->value, leaf_value);
			assert_bytes(st->entry_pa, leaf_value);
			break;
		}
		assert_int_equal(st->value, path.step[l - 1].table_pa | lv[k].flags);
		assert_bytes(st->entry_pa, path.step[l - 1].table_pa | lv[k].flags);
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

#define RW (IOMMU_PROT_READ | IOMMU_PROT_WRITE)

/*
 * x86-64, 4 levels. Table entries: P(0) | R/W(1) | U/S(2) | A(5) = 0x27.
 * 1) 4K, IOVA 0x1234000 -> PA 0x5678000, RW. Indexes: PML4 = bits 47:39 = 0, PDPT = bits
 *    38:30 = 0, PD = bits 29:21 = 0x1234000 >> 21 = 9, PT = bits 20:12 = 0x1234 & 0x1ff =
 *    0x34. Leaf = 0x5678000 | P | R/W | U/S | A = 0x5678027.
 * 2) 2M, IOVA 0x7fe00000 -> PA 0x123400000, RW: PDPT index 1, PD index 0x3ff & 0x1ff = 511,
 *    leaf at level 1 with PS(7): 0x123400000 | 0x27 | 0x80 = 0x1234000a7.
 * 3) 1G, IOVA 0xffffffffc0000000 (the last 1G of the upper canonical half) -> PA
 *    0x40000000, read only, no execute: PML4 index 511, PDPT index 511, leaf = 0x40000000 |
 *    P | U/S | A | PS | XD(63) = 0x80000000400000a5.
 * A simulated write to (1) sets D(6): 0x5678067.
 */
static void kat_x86_4(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_X86_64, .levels = 4 });
	const struct kat_level k1[] = { { 0, 0x27 }, { 0, 0x27 }, { 9, 0x27 }, { 0x34, 0 } };
	const struct kat_level k2[] = { { 0, 0x27 }, { 1, 0x27 }, { 511, 0 } };
	const struct kat_level k3[] = { { 511, 0x27 }, { 511, 0 } };
	struct pt_hw_info hw;

	(void)state;
	assert_int_equal(d->nr_ranges, 2);
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, 0x00007fffffffffffULL);
	assert_int_equal(d->ranges[1].start, 0xffff800000000000ULL);
	assert_int_equal(d->ranges[1].last, UINT64_MAX);
	assert_int_equal(d->pgsize_bitmap, (1ULL << 12) | (1ULL << 21) | (1ULL << 30));
	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	map1(d, 0x7fe00000, 0x123400000ULL, 1ULL << 21, RW);
	map1(d, 0xffffffffc0000000ULL, 0x40000000, 1ULL << 30, IOMMU_PROT_READ | IOMMU_PROT_NOEXEC);
	kat_path(d, 0x1234000, k1, 0, 0x5678027);
	kat_path(d, 0x7fe00000, k2, 1, 0x1234000a7ULL);
	kat_path(d, 0xffffffffc0000000ULL, k3, 2, 0x80000000400000a5ULL);
	assert_int_equal(pt_mark_dirty(d, 0x1234abc), 0);
	kat_path(d, 0x1234000, k1, 0, 0x5678067);
	assert_int_equal(pt_mark_dirty(d, 0xffffffffc0000000ULL), -EACCES);
	/* VT-d PASID entry bits 191:128: FLPTR | FLPM(0 = 4-level) << 2 */
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 0);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d));
	d->ops->free(d);
}

/*
 * x86-64, 5 levels: one more table level (PML5, bits 56:48) above PML4.
 * 1) 4K at the last page of the lower half, IOVA 0x00fffffffffff000 -> PA 0x1000, RW:
 *    PML5 index 0xff, then 511 at every level; leaf = 0x1000 | 0x27 = 0x1027.
 * 2) 1G at IOVA 0xff00000000000000 (the first 1G of the upper half) -> PA 0xc0000000, RW:
 *    PML5 index 0x100 (bits 56:48 = 0x100), PML4 0, PDPT 0, leaf = 0xc0000000 | 0xa7.
 * FLPM = 1 for 5-level paging: hw_word = root | 1 << 2.
 */
static void kat_x86_5(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_X86_64, .levels = 5 });
	const struct kat_level k1[] = {
		{ 0xff, 0x27 }, { 511, 0x27 }, { 511, 0x27 }, { 511, 0x27 }, { 511, 0 }
	};
	const struct kat_level k2[] = { { 0x100, 0x27 }, { 0, 0x27 }, { 0, 0 } };
	struct pt_hw_info hw;

	(void)state;
	assert_int_equal(d->ranges[0].last, 0x00ffffffffffffffULL);
	assert_int_equal(d->ranges[1].start, 0xff00000000000000ULL);
	map1(d, 0x00fffffffffff000ULL, 0x1000, 1ULL << 12, RW);
	map1(d, 0xff00000000000000ULL, 0xc0000000ULL, 1ULL << 30, RW);
	kat_path(d, 0x00fffffffffff000ULL, k1, 0, 0x1027);
	kat_path(d, 0xff00000000000000ULL, k2, 2, 0xc00000a7ULL);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 1);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 4);
	d->ops->free(d);
}

/*
 * VT-d second stage, 4 levels (AW = 2, 48-bit). Table entries: R(0) | W(1) = 0x3.
 * 1) 4K, IOVA 0x1234000 -> PA 0x5678000, RW: indexes 0, 0, 9, 0x34 as for x86;
 *    leaf = 0x5678000 | R | W = 0x5678003.
 * 2) 2M, IOVA 0x200000 -> PA 0x400000, read only: PD index 1, leaf = 0x400000 | R | PS(7)
 *    = 0x400081.
 * 3) 1G, IOVA 0x40000000 -> PA 0x80000000, write only: PDPT index 1, leaf = 0x80000000 |
 *    W | PS = 0x80000082.
 * With SSADE on (dirty tracking), a write to (1) sets A(8) on every entry of the walk and
 * D(9) on the leaf: tables become pa | 0x103, the leaf 0x5678303. Read-and-clear clears D
 * only: 0x5678103. A write to the read-only (2) faults and leaves its leaf unchanged.
 * PASID entry bits 63:0: SLPTPTR | AW(2) << 2 | PGTT(2, second stage only) << 6, and
 * SSADE(9) while tracking: root | 0x88, then root | 0x288.
 */
static void kat_vtd_4(void **state)
{
	struct iommu_domain *d = mk((struct pt_config){ .format = PT_FMT_VTD_SS, .levels = 4 });
	const struct kat_level k1[] = { { 0, 3 }, { 0, 3 }, { 9, 3 }, { 0x34, 0 } };
	const struct kat_level k1a[] = { { 0, 0x103 }, { 0, 0x103 }, { 9, 0x103 }, { 0x34, 0 } };
	const struct kat_level k2[] = { { 0, 3 }, { 0, 3 }, { 1, 0 } };
	const struct kat_level k2a[] = { { 0, 0x103 }, { 0, 0x103 }, { 1, 0 } };
	const struct kat_level k3[] = { { 0, 3 }, { 1, 0 } };
	struct pt_hw_info hw;

	(void)state;
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].last, (1ULL << 48) - 1);
	map1(d, 0x1234000, 0x5678000, 1ULL << 12, RW);
	map1(d, 0x200000, 0x400000, 1ULL << 21, IOMMU_PROT_READ);
	map1(d, 0x40000000, 0x80000000ULL, 1ULL << 30, IOMMU_PROT_WRITE);
	kat_path(d, 0x1234000, k1, 0, 0x5678003);
	kat_path(d, 0x200000, k2, 1, 0x400081);
	kat_path(d, 0x40000000, k3, 2, 0x80000082ULL);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.mode, 2);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 0x88);

	/* without SSADE the hardware logs nothing */
	assert_int_equal(pt_mark_dirty(d, 0x1234000), 0);
	kat_path(d, 0x1234000, k1, 0, 0x5678003);
	assert_int_equal(d->ops->set_dirty_tracking(d, true), 0);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 0x288);
	assert_int_equal(pt_mark_dirty(d, 0x1234008), 0);
	kat_path(d, 0x1234000, k1a, 0, 0x5678303);
	assert_int_equal(pt_mark_dirty(d, 0x200000), -EACCES);
	kat_path(d, 0x200000, k2a, 1, 0x400081); /* shares the upper entries, now accessed */
	assert_int_equal(d->ops->read_and_clear_dirty(d, 0, 1ULL << 31, 0, NULL), 0);
	kat_path(d, 0x1234000, k1a, 0, 0x5678103);
	d->ops->free(d);
}

/*
 * VT-d second stage, 3 levels (AW = 1, 39-bit) and 5 levels (AW = 3, 57-bit).
 * 3 levels: the last 4K page, IOVA 0x7ffffff000 -> PA 0xabc000, RW: indexes 511, 511, 511,
 * leaf 0xabc003; hw_word = root | 1 << 2 | 2 << 6 = root | 0x84.
 * 5 levels: IOVA 0x1ffffffffe00000 (the last 2M below 2^57) -> PA 0x200000, RW: indexes
 * 511 at levels 4..1, leaf 0x200083; hw_word = root | 3 << 2 | 0x80 = root | 0x8c.
 */
static void kat_vtd_3_5(void **state)
{
	struct iommu_domain *d3 = mk((struct pt_config){ .format = PT_FMT_VTD_SS, .levels = 3 });
	struct iommu_domain *d5 = mk((struct pt_config){ .format = PT_FMT_VTD_SS, .levels = 5 });
	const struct kat_level k3[] = { { 511, 3 }, { 511, 3 }, { 511, 0 } };
	const struct kat_level k5[] = { { 511, 3 }, { 511, 3 }, { 511, 3 }, { 511, 0 } };
	struct pt_hw_info hw;
	uint64_t mapped;

	(void)state;
	assert_int_equal(d3->ranges[0].last, (1ULL << 39) - 1);
	assert_int_equal(d5->ranges[0].last, (1ULL << 57) - 1);
	map1(d3, 0x7ffffff000ULL, 0xabc000, 1ULL << 12, RW);
	kat_path(d3, 0x7ffffff000ULL, k3, 0, 0xabc003);
	assert_int_equal(d3->ops->map_pages(d3, 1ULL << 39, 0, 1ULL << 12, 1, RW, &mapped),
			 -ERANGE);
	pt_domain_hw_info(d3, &hw);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d3) | 0x84);
	map1(d5, 0x1ffffffffe00000ULL, 0x200000, 1ULL << 21, RW);
	kat_path(d5, 0x1ffffffffe00000ULL, k5, 1, 0x200083);
	pt_domain_hw_info(d5, &hw);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d5) | 0x8c);
	d3->ops->free(d3);
	d5->ops->free(d5);
}

/*
 * Mock (4K CPU pages: IO page 2K, levels cover bits 19:11, 28:20, 37:29). Table entries:
 * P(0) = 0x1.
 * 1) 2K, IOVA 0x1000800 (aperture start + 2K) -> PA 0x3000800, RW: level-2 index
 *    0x1000800 >> 29 = 0, level-1 index (0x1000800 >> 20) & 0x1ff = 16, level-0 index
 *    (0x1000800 >> 11) & 0x1ff = 1; leaf = 0x3000800 | P | R(1) | W(2) = 0x3000807.
 * With huge pages: 2) 1M, IOVA 0x7ff00000 (the aperture's last 1M) -> PA 0x100000, read
 * only: level-2 index 3, level-1 index 511, leaf = 0x100000 | P | R | H(3) = 0x10000b;
 * with dirty tracking on, a DMA write (allowed even to read-only pages, as the selftest's
 * dirty op does) sets D(4): 0x10001b.
 * With contiguous leaves: 3) 32K, IOVA 0x1008000 -> PA 0x20000, RW: level-0 entries 16..31,
 * entry i = (0x20000 + i * 0x800) | P | R | W | C(5) = 0x20027 + i * 0x800.
 */
static void kat_mock(void **state)
{
	struct iommu_domain *d, *h, *c;
	const struct kat_level k1[] = { { 0, 1 }, { 16, 1 }, { 1, 0 } };
	const struct kat_level k2[] = { { 3, 1 }, { 511, 0 } };
	struct pt_hw_info hw;
	unsigned int i;

	(void)state;
	if (sysconf(_SC_PAGESIZE) != 4096)
		skip();
	d = mk((struct pt_config){ .format = PT_FMT_MOCK });
	assert_int_equal(d->nr_ranges, 1);
	assert_int_equal(d->ranges[0].start, 1ULL << 24);
	assert_int_equal(d->ranges[0].last, (1ULL << 31) - 1);
	assert_int_equal(d->pgsize_bitmap, 2048);
	assert_int_equal(pt_domain_levels(d), 3);
	map1(d, 0x1000800, 0x3000800, 2048, RW);
	kat_path(d, 0x1000800, k1, 0, 0x3000807);
	pt_domain_hw_info(d, &hw);
	assert_int_equal(hw.hw_word, pt_domain_root_pa(d) | 3);
	d->ops->free(d);

	h = mk((struct pt_config){ .format = PT_FMT_MOCK, .flags = PT_CFG_MOCK_HUGE });
	assert_int_equal(h->pgsize_bitmap, 2048 | (1 << 20));
	map1(h, 0x7ff00000, 0x100000, 1 << 20, IOMMU_PROT_READ);
	kat_path(h, 0x7ff00000, k2, 1, 0x10000b);
	assert_int_equal(pt_mark_dirty(h, 0x7fffffff), 0); /* tracking off: nothing */
	kat_path(h, 0x7ff00000, k2, 1, 0x10000b);
	assert_int_equal(h->ops->set_dirty_tracking(h, true), 0);
	assert_int_equal(pt_mark_dirty(h, 0x7fffffff), 0);
	kat_path(h, 0x7ff00000, k2, 1, 0x10001b);
	h->ops->free(h);

	c = mk((struct pt_config){ .format = PT_FMT_MOCK, .flags = PT_CFG_MOCK_CONTIG });
	assert_int_equal(c->pgsize_bitmap, 2048 | 32768);
	map1(c, 0x1008000, 0x20000, 32768, RW);
	for (i = 0; i < 16; i++) {
		const struct kat_level k3[] = { { 0, 1 }, { 16, 1 }, { 16 + i, 0 } };

		kat_path(c, 0x1008000 + i * 2048, k3, 0, 0x20027 + i * 0x800);
	}
	c->ops->free(c);
}

/* The 64-bit mock: 6 levels, the last IO page below 2^64 has index 511 ... and 255 on top. */
static void kat_mock_64(void **state)
{
	struct iommu_domain *d;
	const struct kat_level k[] = { { 255, 1 }, { 511, 1 }, { 511, 1 },
				       { 511, 1 }, { 511, 1 }, { 511, 0 } };
	uint64_t pa, sz;
	int prot;

	(void)state;
	if (sysconf(_SC_PAGESIZE) != 4096)
		skip();
	d = mk((struct pt_config){ .format = PT_FMT_MOCK, .input_bits = 64 });
	assert_int_equal(pt_domain_levels(d), 6);
	assert_int_equal(d->ranges[0].start, 0);
	assert_int_equal(d->ranges[0].last, UINT64_MAX);
	map1(d, 0xfffffffffffff800ULL, 0x800, 2048, RW);
	kat_path(d, 0xfffffffffffff800ULL, k, 0, 0x807);
	assert_int_equal(d->ops->iova_to_phys(d, UINT64_MAX, &pa, &sz, &prot), 0);
	assert_int_equal(pa, 0xfff);
	d->ops->free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kat_x86_4), cmocka_unit_test(kat_x86_5),
		cmocka_unit_test(kat_vtd_4), cmocka_unit_test(kat_vtd_3_5),
		cmocka_unit_test(kat_mock),  cmocka_unit_test(kat_mock_64),
	};

	return cmocka_run_group_tests_name("pt-kat", tests, NULL, NULL);
}
