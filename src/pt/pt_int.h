/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_int.h - what the page-table module's own files share: the domain struct, the level
 * geometry and the format descriptor. Nothing outside src/pt/ includes this.
 *
 * A format is two things. At run time, a struct pt_format_desc: its init hook turns a
 * pt_config into geometry (per level: IOVA shift, index bits, table size, which leaf
 * sizes may sit there), the IOVA ranges and the output-address limit. At compile time, a
 * handful of static inline accessors that pt_walk.h is specialised with (see that file);
 * the generated map/unmap/lookup/dirty functions land in the descriptor.
 *
 * Words: entry size at level L = 1 << lvl[L].shift bytes of IOVA; a table at level L has
 * 1 << lvl[L].bits entries and occupies 1 << lvl[L].table_lg2 bytes; "contig" leaves span
 * 2^k neighbouring entries of one table (bit k of lvl[L].leaf_contig says k is allowed,
 * bit 0 is the ordinary one-entry leaf).
 *
 * Traps: shifts reach 56 (mock-64's top level); never shift a 1 by 64. Every table below
 * the root holds at least one present entry after every mutating call returns: map undoes
 * tables it created for nothing, unmap frees tables it emptied. Tests count on it.
 */
#ifndef IOASID_PT_INT_H
#define IOASID_PT_INT_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "pt/pt.h"
#include "pt/pt_arena.h"

struct pt_level {
	uint8_t shift;	      /* log2 of the IOVA bytes one entry covers */
	uint8_t bits;	      /* log2 of the entries in one table of this level */
	uint8_t table_lg2;    /* log2 of the bytes of one table of this level */
	uint8_t leaf_hw;      /* the format can place leaves here (hardware capability) */
	uint32_t leaf_contig; /* allowed leaf spans for this domain, bit k = 2^k entries */
};

struct pt_domain;

struct pt_format_desc {
	enum pt_format format;
	const char *name;
	/* Validate d->cfg and fill geometry, ranges, oa_last. No allocation. */
	int (*init)(struct pt_domain *pd);
	const struct iommu_domain_ops *ops;
	const struct iommu_domain_ops *ops_nodirty;
	void (*hw_info)(const struct pt_domain *pd, struct pt_hw_info *out);
	int (*mark_dirty)(struct pt_domain *pd, uint64_t iova);
	int (*walk_path)(const struct pt_domain *pd, uint64_t iova, struct pt_path *out);
	int (*translate)(struct pt_domain *pd, const struct pt_reader *rd, uint64_t root_pa,
			 uint64_t iova, unsigned int access, bool set_ad,
			 struct pt_walk_result *out);
	int (*encode)(const struct pt_domain *pd, unsigned int lvl, const struct pt_entry_info *in,
		      uint64_t *out);
	void (*decode)(const struct pt_domain *pd, unsigned int lvl, uint64_t e,
		       struct pt_entry_info *out);
};

struct pt_domain {
	struct iommu_domain dom; /* first: the core's view */
	const struct pt_format_desc *desc;
	struct pt_config cfg;	/* as given, arena replaced by the one in use */
	struct pt_arena *arena; /* one reference held */
	uint64_t *root;
	uint64_t root_pa;
	/* host address - pa of every table of the arena (pt_tbl_ptr, pt_tbl_pa: names) */
	uint64_t tbl_delta;
	const struct iommu_phys_region *tbl_region; /* the arena's names (pt_translate) */
	unsigned int levels;			    /* top level = levels - 1 */
	unsigned int input_bits;
	struct pt_level lvl[PT_MAX_LEVELS];
	uint64_t oa_last; /* largest output address the format can hold */
	/* pgsize lookup: for log2 size n in pgsize_bitmap, the level and contig span */
	uint8_t pg_level[64];
	uint8_t pg_contig[64];
	void *deferred;	  /* tables awaiting the next iotlb_sync */
	size_t nr_tables; /* tables held, root included (serialised) */
	pt_flush_fn flush;
	void *flush_ctx;
	uint64_t fmt_word; /* format-private (mock: granule lg2) */
	uint32_t tag;	   /* pt_domain_tag */
};

/*
 * A table's pa (its emulated physical address, iommu/phys.h) and back, for the domain's own
 * tables, whose pa came from this domain (the owner's paths: map, unmap, dirty, dump, free).
 * A walk that starts from a root someone else gave resolves through the region table instead
 * (pt_translate).
 */
static inline uint64_t *pt_tbl_ptr(const struct pt_domain *pd, uint64_t pa)
{
	return (uint64_t *)(uintptr_t)(pa + pd->tbl_delta);
}

static inline uint64_t pt_tbl_pa(const struct pt_domain *pd, const void *p)
{
	return (uint64_t)(uintptr_t)p - pd->tbl_delta;
}

static inline struct pt_domain *to_pt(struct iommu_domain *d)
{
	return (struct pt_domain *)d;
}

static inline const struct pt_domain *to_pt_const(const struct iommu_domain *d)
{
	return (const struct pt_domain *)d;
}

extern const struct pt_format_desc pt_fmt_x86_64;
extern const struct pt_format_desc pt_fmt_vtd_ss;
extern const struct pt_format_desc pt_fmt_mock;
extern const struct pt_format_desc pt_fmt_arm_lpae;
extern const struct pt_format_desc pt_fmt_riscv;
extern const struct pt_format_desc pt_fmt_amd_v1;
extern const struct pt_format_desc pt_fmt_tce;

/* Helpers the formats' init hooks share (pt_domain.c). */
void pt_geom_uniform(struct pt_domain *pd, unsigned int levels, unsigned int granule_lg2,
		     unsigned int bits, unsigned int table_lg2);
int pt_set_ranges(struct pt_domain *pd, const struct iommu_iova_range *r, unsigned int n);
bool pt_range_ok(const struct pt_domain *pd, uint64_t iova, uint64_t last);
void pt_release(struct pt_domain *pd);

static inline uint64_t pt_lg2_mask(unsigned int lg2)
{
	return lg2 >= 64 ? UINT64_MAX : (UINT64_C(1) << lg2) - 1;
}

static inline unsigned int pt_fls64(uint64_t v)
{
	return v ? 64 - (unsigned int)__builtin_clzll(v) : 0;
}

static inline bool pt_add_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out);
}

static inline bool pt_mul_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

/*
 * The dirty accessors of a format whose leaves carry one dirty bit that the hardware sets
 * (x86-64, VT-d second stage, AMD v1, RISC-V, the mock): a leaf is dirty when the bit is
 * set, marking sets it, cleaning clears it. A format with other rules (ARM's DBM, TCE's
 * none) writes its own three functions instead.
 */
#define PTF_DIRTY_BIT_ACCESSORS(bit)                                                \
	static inline bool ptf_leaf_dirty(const struct pt_domain *pd, uint64_t e,   \
					  unsigned int lvl)                         \
	{                                                                           \
		(void)pd;                                                           \
		(void)lvl;                                                          \
		return e & (bit);                                                   \
	}                                                                           \
	static inline uint64_t ptf_mk_dirty(const struct pt_domain *pd, uint64_t e, \
					    unsigned int lvl)                       \
	{                                                                           \
		(void)pd;                                                           \
		(void)lvl;                                                          \
		return e | (bit);                                                   \
	}                                                                           \
	static inline uint64_t ptf_mk_clean(const struct pt_domain *pd, uint64_t e, \
					    unsigned int lvl)                       \
	{                                                                           \
		(void)pd;                                                           \
		(void)lvl;                                                          \
		return e & ~(uint64_t)(bit);                                        \
	}

/*
 * The leaf accessors of a format whose leaves are single entries holding their output
 * address in the bits of addr_mask (x86-64, VT-d second stage, POWER TCE): no multi-entry
 * leaves, and the output address is the entry's address bits with the offset inside the leaf
 * cleared.
 */
#define PTF_PLAIN_LEAF_ACCESSORS(addr_mask)                                                    \
	static inline unsigned int ptf_leaf_contig_lg2(const struct pt_domain *pd, uint64_t e, \
						       unsigned int lvl)                       \
	{                                                                                      \
		(void)pd;                                                                      \
		(void)e;                                                                       \
		(void)lvl;                                                                     \
		return 0;                                                                      \
	}                                                                                      \
	static inline uint64_t ptf_leaf_oa(const struct pt_domain *pd, uint64_t e,             \
					   unsigned int lvl)                                   \
	{                                                                                      \
		return e & (addr_mask) & ~pt_lg2_mask(pd->lvl[lvl].shift);                     \
	}

#endif
