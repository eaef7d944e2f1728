/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt.h - page-table domains in real hardware formats, for the rest of ioasid.
 *
 * What it owns: building an iommu_domain (core/domain.h) whose translation lives in page
 * tables laid out bit for bit as a chosen IOMMU would read them, in a memfd arena that
 * another process can map. The core reaches such a domain only through its ops table;
 * everything here is for the code that creates domains, for IOMMU models that need the
 * hardware root and mode, for dumps and for tests.
 *
 * Words: level 0 is the leaf level (4K entries on x86), the top level is levels - 1; a
 * "leaf" maps memory, a "table" entry points at the next level. Ranges are [start, last]
 * with `last` inclusive: IOVA can reach UINT64_MAX (the upper canonical half on x86), so
 * nothing here computes an exclusive end. pa = emulated physical address, a name of memory
 * the IOMMU side owns (iommu/phys.h): a leaf holds what the caller mapped, a table entry
 * and a domain's root the name of a page of the table arena.
 *
 * Errors of map_pages on a pt domain: -EINVAL (bad page size, misaligned iova or paddr, no
 * READ or WRITE in prot), -EOVERFLOW (pgsize * pgcount or iova + size wraps), -ERANGE (iova
 * range outside the domain's ranges, or paddr beyond the format's output size), -EEXIST
 * (something already mapped), -ENOMEM (table allocation). *out_mapped is the prefix mapped.
 * unmap_pages removes whole leaves that start inside [iova, last], stops at the first hole
 * (or at a leaf that began before iova: leaves are never split) and returns bytes removed,
 * which can exceed the request when the final leaf reaches past `last`.
 *
 * Locking: map, unmap, iotlb_sync, set_dirty_tracking and free of one domain are serialised
 * by the caller. iova_to_phys, read_and_clear_dirty, pt_mark_dirty and walkers in other
 * processes may run alongside them: entries are written with single 64-bit stores, a new
 * table is zeroed before its pointer is published, dirty bits change by compare-and-swap.
 * A table unlinked by unmap stays readable until iotlb_sync frees it, so the owner's flush
 * hook (pt_domain_set_flush) must wait out walks that began before it, as an IOTLB
 * invalidation fences hardware walkers.
 */
#ifndef IOASID_PT_PT_H
#define IOASID_PT_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "pt/pt_arena.h"

enum pt_format {
	PT_FMT_X86_64,	 /* x86-64 4/5-level paging: VT-d first stage, AMD v2 (GCR3) */
	PT_FMT_VTD_SS,	 /* Intel VT-d second stage, 3/4/5 levels */
	PT_FMT_MOCK,	 /* the kernel selftest's mock domain: IO page = CPU page / 2 */
	PT_FMT_ARM_LPAE, /* ARM VMSAv8-64 stage 1 / stage 2; 4K, 16K, 64K granules */
	PT_FMT_RISCV,	 /* RISC-V IOMMU Sv39/Sv48/Sv57, first stage or (x4) second stage */
	PT_FMT_AMD_V1,	 /* AMD IOMMU v1 host tables, modes 1..6, page size encoding */
	PT_FMT_TCE,	 /* POWER TCE: one DMA window, its own bus offset and page size, BE */
	PT_FMT_NR
};

enum pt_config_flags {
	PT_CFG_NO_DIRTY = 1 << 0, /* domain offers no dirty tracking ops */
	PT_CFG_APERTURE = 1 << 1, /* narrow the ranges to [aperture_start, aperture_last] */
	PT_CFG_MOCK_HUGE =
		1 << 2, /* mock: add the 512-IO-page size (MOCK_FLAGS_DEVICE_HUGE_IOVA) */
	PT_CFG_MOCK_CONTIG =
		1 << 3, /* mock: 16-entry contiguous leaves at level 0 (walker tests) */
	PT_CFG_RISCV_NAPOT = 1 << 4, /* riscv: Svnapot 64K leaves (16 replicated level-0 PTEs) */
	PT_CFG_RISCV_X4 = 1 << 5,    /* riscv: G stage Sv39x4/48x4/57x4 (16K root, zero extended) */
	PT_CFG_ARM_S2 = 1 << 6,	     /* arm: stage 2 (VTCR/VTTBR, S2AP, concatenated top) */
	/*
	 * mock: Linux 7.x's mock (an AMD v1 table with 2K pages): a CPU page is one leaf of two
	 * contiguous IO-page entries, whose dirty state is the leaf's (IOMMU_HWPT_DATA_SELFTEST
	 * with pagetable_type, MOCK_IOMMUPT_*)
	 */
	PT_CFG_MOCK_IOMMUPT = 1 << 7,
	PT_CFG_ALL_FLAGS = (1 << 8) - 1,
};

struct pt_config {
	enum pt_format format;
	unsigned int levels;	 /* 0: format default (x86-64 4, VT-d SS 4, mock from input bits) */
	unsigned int input_bits; /* 0: implied by levels; VT-d SS may narrow (MGAW); mock: width */
	unsigned int granule;	 /* base page bytes; 0: format default (mock: CPU page / 2) */
	unsigned int oa_bits;	 /* output address bits; 0: format default (arm: the PS field) */
	uint64_t pgsize_bitmap;	 /* 0: every size the format offers; else a subset of them */
	uint64_t aperture_start; /* with PT_CFG_APERTURE */
	uint64_t aperture_last;
	uint64_t bus_offset;	/* tce: the DMA window's base; the window is 2^input_bits bytes */
	unsigned int flags;	/* enum pt_config_flags */
	struct pt_arena *arena; /* NULL: the domain creates a private arena */
};

/* A named configuration; tests and benchmarks run over every one. */
struct pt_variant {
	const char *name;
	const char *desc;
	struct pt_config cfg;
};

const struct pt_variant *pt_variants(size_t *out_nr);
const struct pt_variant *pt_variant_find(const char *name);
const char *pt_format_name(enum pt_format fmt);

/*
 * Build a domain. -EOPNOTSUPP (unknown format or flag), -EINVAL (levels, bits, granule or
 * page sizes the format cannot do), -ENOMEM. Free it with d->ops->free(d).
 */
int pt_domain_alloc(const struct pt_config *cfg, struct iommu_domain **out);
/*
 * Do two configurations describe the same translation hardware, so that one domain can
 * serve devices of both? Every field counts except the arena and PT_CFG_NO_DIRTY (a domain
 * allocated with dirty tracking serves a device whatever it asked for).
 */
bool pt_config_equivalent(const struct pt_config *a, const struct pt_config *b);
bool pt_is_domain(const struct iommu_domain *d);
const struct pt_config *pt_domain_config(const struct iommu_domain *d);
struct pt_arena *pt_domain_arena(const struct iommu_domain *d);
uint64_t pt_domain_root_pa(const struct iommu_domain *d);
unsigned int pt_domain_levels(const struct iommu_domain *d);
/* Table pages this domain holds now (including its root and pages waiting for a sync). */
size_t pt_domain_table_pages(const struct iommu_domain *d);

/* Geometry of one level: an entry covers 2^shift bytes, a table has 2^bits entries. */
struct pt_level_info {
	unsigned int shift;
	unsigned int bits;
	unsigned int table_lg2; /* bytes of one table at this level, log2 */
	uint64_t leaf_sizes;	/* leaf sizes this domain maps at this level, as a bitmap */
};
int pt_domain_level_info(const struct iommu_domain *d, unsigned int level,
			 struct pt_level_info *out);

/*
 * What a hardware model programs to use the domain. `mode` is the format's own field value:
 *   VT-d SS: AW (1: 39-bit 3-level, 2: 48-bit 4-level, 3: 57-bit 5-level);
 *   x86-64:  FLPM (VT-d PASID entry) = GLX (AMD DTE) = 0 for 4-level, 1 for 5-level;
 *   mock:    the number of levels.
 *   riscv:   iosatp.MODE = iohgatp.MODE (x4): 8 Sv39, 9 Sv48, 10 Sv57.
 *   amd_v1:  DTE Mode = the number of levels (1..6).
 *   tce:     the TVE's NUM_LEVELS field: levels - 1.
 *   arm:     stage 1: TCR.T0SZ (64 - input bits); stage 2: VTCR.SL0 | SL2 << 2.
 * `hw_word` is the format's ready-made 64-bit root+mode word:
 *   VT-d SS: scalable-mode PASID entry bits 63:0 less P, FPD: SLPTPTR | AW << 2 |
 *            PGTT(2 = second stage only) << 6 | SSADE << 9 (when dirty tracking is on);
 *   x86-64:  PASID entry bits 191:128 fields FLPTR | FLPM << 2;
 *   mock:    root pa | levels.
 *   riscv:   DC.fsc.iosatp (or DC.iohgatp with GSCID 0): MODE << 60 | root pa >> 12.
 *   amd_v1:  DTE bits 63:0: root | Mode << 9 | IR(61) | IW(62) | TV(1) | V(0), and
 *            HAD(8:7) = 11b while dirty tracking is on.
 *   tce:     the PHB4 (IODA3) TVE: root >> 12 << 16 | (levels - 1) << 13 |
 *            (log2(table bytes) - 11) << 8 | (page shift - 11).
 *   arm:     the translation control register (root_pa is the TTBR0 / VTTBR value):
 *            stage 1 TCR_EL1 (TTBR0 fields, EPD1, IPS, HA/HD, DS), stage 2 VTCR_EL2;
 *            fields listed in docs/formats.md.
 */
struct pt_hw_info {
	enum pt_format format;
	unsigned int levels;
	unsigned int input_bits;
	uint64_t root_pa;
	unsigned int mode;
	uint64_t hw_word;
	bool dirty_tracking;
};
int pt_domain_hw_info(const struct iommu_domain *d, struct pt_hw_info *out);

/*
 * Map [iova, iova + len - 1] -> paddr picking the largest page size that fits each run of
 * aligned memory; *out_mapped as map_pages. Unmap [iova, iova + len - 1] through a gather.
 */
int pt_map_range(struct iommu_domain *d, uint64_t iova, uint64_t paddr, uint64_t len, int prot,
		 uint64_t *out_mapped);
uint64_t pt_unmap_range(struct iommu_domain *d, uint64_t iova, uint64_t len,
			struct iommu_gather *gather);
/*
 * The page size and count for the next step of mapping len bytes at iova -> paddr: the
 * largest size in bitmap aligned for both, repeated until a larger size would fit. 0 if
 * no size fits.
 */
uint64_t pt_pgsize_pick(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t len,
			uint64_t *out_count);

/*
 * Simulate a DMA write at iova the way the hardware would: set the accessed/dirty bits the
 * format defines (when the format's dirty logging is on). -ENOENT if unmapped, -EACCES if
 * the leaf is not writable. For tests and device models.
 */
int pt_mark_dirty(struct iommu_domain *d, uint64_t iova);

/*
 * The translation walk: one pass from the root to the leaf that checks permissions, sets the
 * accessed/dirty bits the format defines on the way (when set_ad: the domain's dirty tracking
 * for a native table, always for a guest's stage-1 table), and reports a typed fault.
 *
 * Table reads go through a reader. NULL is the native fast path: a table's pa is a name of
 * the table arena, resolved through the region table (iommu_phys_resolve; a name that names
 * nothing is an address-size fault at that level). A reader turns the pa of one entry into
 * a pointer, or fails with a fault of its own (a stage-1 table read through stage 2 that
 * stage 2 does not map): the walk then ends with that fault, its stage and level as the
 * reader set them.
 */
enum pt_access {
	PT_ACC_READ = 1 << 0,
	PT_ACC_WRITE = 1 << 1,
};

enum pt_fault_type {
	PT_FAULT_NONE,
	PT_FAULT_NOT_PRESENT, /* an empty entry on the way, or a table below level 0 */
	PT_FAULT_PERMISSION,  /* the leaf (or a table entry on a write) forbids the access */
	PT_FAULT_ADDR_SIZE,   /* input outside the domain's ranges, output beyond its OA size */
};

struct pt_walk_result {
	uint64_t oa;	       /* output address of iova (no fault) */
	unsigned int size_lg2; /* the leaf's size: the translation holds for the aligned block */
	int prot;	       /* enum iommu_prot the leaf grants */
	enum pt_fault_type fault;
	unsigned int level;  /* fault: the level of the entry that faulted */
	unsigned int stage;  /* fault: 0 this walk; a reader sets its own (2: stage 2) */
	uint64_t fault_addr; /* fault: the input address of the walk that faulted */
};

struct pt_reader {
	/* A pointer to the 8 bytes at pa, or NULL with out->fault set (level, stage, addr). */
	uint64_t *(*entry)(const struct pt_reader *r, uint64_t pa, unsigned int access,
			   struct pt_walk_result *out);
};

/* root_pa of pt_translate meaning "the domain's own root" (never a table's address). */
#define PT_ROOT_OWN UINT64_MAX

/*
 * Translate iova with the geometry and format of d, starting at root_pa (PT_ROOT_OWN: d's
 * own root; else a table address as the reader understands it, 0 included).
 * 0 with out filled, or -EFAULT with out->fault set. Safe alongside map/unmap (see above).
 */
int pt_translate(const struct iommu_domain *d, const struct pt_reader *rd, uint64_t root_pa,
		 uint64_t iova, unsigned int access, bool set_ad, struct pt_walk_result *out);
/* A process-unique, never reused, non-zero tag for d (an IOTLB tag). */
uint32_t pt_domain_tag(const struct iommu_domain *d);
/* The largest output address d's format can hold. */
uint64_t pt_domain_oa_last(const struct iommu_domain *d);

/* Optional hook run by iotlb_sync before gathered table pages are freed. */
typedef void (*pt_flush_fn)(void *ctx, struct iommu_domain *d, const struct iommu_gather *g);
void pt_domain_set_flush(struct iommu_domain *d, pt_flush_fn fn, void *ctx);

/* Entry codec, for dumps, tools and round-trip tests. */
enum pt_entry_kind {
	PT_ENTRY_EMPTY,
	PT_ENTRY_TABLE,
	PT_ENTRY_LEAF,
};

struct pt_entry_info {
	enum pt_entry_kind kind;
	uint64_t oa;		   /* table: next table's pa; leaf: pa of the start of the leaf */
	unsigned int size_lg2;	   /* leaf: log2 of the bytes the whole leaf maps */
	unsigned int contig_index; /* leaf made of several entries: which one this is */
	int prot;		   /* enum iommu_prot as the entry grants it */
	bool dirty;		   /* leaf: the hardware dirty state */
};

/* 0, or -EINVAL when this kind/size/level/address cannot be encoded by the format. */
int pt_entry_encode(const struct iommu_domain *d, unsigned int level,
		    const struct pt_entry_info *in, uint64_t *out_value);
int pt_entry_decode(const struct iommu_domain *d, unsigned int level, uint64_t value,
		    struct pt_entry_info *out);

#define PT_MAX_LEVELS 6

/* One translation as the hardware would walk it, top level first. */
struct pt_path_step {
	uint64_t table_pa; /* the table read at this level */
	uint64_t entry_pa; /* where the entry is: table_pa + index * 8 */
	unsigned int index;
	uint64_t value; /* the entry in CPU order */
	struct pt_entry_info info;
};

struct pt_path {
	unsigned int top;	/* levels - 1 */
	unsigned int end_level; /* level of the leaf or empty entry that ended the walk */
	struct pt_path_step step[PT_MAX_LEVELS]; /* valid for levels top .. end_level */
};

/* -ENOENT if iova is outside the domain's ranges; otherwise fills *out (even for a hole). */
int pt_domain_walk_path(const struct iommu_domain *d, uint64_t iova, struct pt_path *out);

#endif
