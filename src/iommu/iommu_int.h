/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommu_int.h - what the IOMMU module's own files share: the translation object, its kinds,
 * the IOTLB's internal calls. Nothing outside src/iommu/ includes this.
 *
 * A translation (struct iommu_xlate) is what one context/PASID entry of a real IOMMU holds:
 * which tables to walk and how. Its kinds (ops) are the paging kind (xlate.c: one paging
 * domain, walked natively) and the nested kinds (nested.c: a guest stage-1 format over a
 * nest-parent domain). A new IOMMU's first-stage format is a new nested kind: a parser of the
 * user's data and a walk; the IOTLB, DMA and PASID tables are shared.
 *
 * Traps: x->tag is the IOTLB key an invalidation names. Paging translations share their
 * domain's tag (every device on the domain is flushed by one unmap); a nested translation
 * has its own, so only the user's invalidation drops its entries, as on hardware.
 */
#ifndef IOASID_IOMMU_INT_H
#define IOASID_IOMMU_INT_H

#include <endian.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iommu.h"

struct iommu_xlate_ops {
	const char *name;
	/* The walk (no IOTLB). 0, or -EFAULT with *fault set. */
	int (*walk)(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		    struct iommu_xlate_result *out, struct iommu_fault *fault);
	void (*release)(struct iommu_xlate *x); /* frees priv; optional */
};

struct iommu_xlate {
	const struct iommu_xlate_ops *ops;
	uint32_t refs;	 /* atomic */
	uint32_t tag;	 /* IOTLB tag of this translation's entries */
	uint32_t s2_tag; /* the paging domain's tag (== tag for a paging translation) */
	bool uncached;	 /* never in the IOTLB: nothing would invalidate its entries */
	/*
	 * The translation holds a PASID table of its own (a guest STE with a CD table, an AMD
	 * DTE with GV): a request with a PASID that has nothing attached of its own goes
	 * through the RID's translation, which selects by PASID.
	 */
	bool owns_pasids;
	uint64_t sizes_seen;	 /* atomic: bit n = an entry of 2^n bytes was filled under tag */
	struct iommu_domain *s2; /* the paging domain walked last; not owned */
	void *priv;		 /* the kind's own state */
	/* what a context structure names as stage 1: the nested data type (0: none), its root */
	uint32_t s1_type;
	unsigned int s1_levels;
	uint64_t s1_root;
};

/* A fresh tag for a nested translation (never equal to a domain's). */
uint32_t iommu_new_tag(void);
int iommu_xlate_init(struct iommu_xlate **out, const struct iommu_xlate_ops *ops,
		     struct iommu_domain *s2, uint32_t tag);

struct pt_walk_result;
/* A page-table walk's fault as an IOMMU fault; stage is used when the walk set none. */
void iommu_fault_from_pt(const struct pt_walk_result *r, unsigned int stage, struct iommu_fault *f);
/* enum iommu_access -> enum pt_access */
unsigned int iommu_pt_access(unsigned int access);
/*
 * Walk x's stage-2 table from root (PT_ROOT_OWN: the domain's own) for iova: the leaf into
 * *out, or a stage-1 fault (-EFAULT). The last step of every model's walk.
 */
int iommu_walk_root(struct iommu_xlate *x, uint64_t root, uint64_t iova, unsigned int access,
		    bool dirty, struct iommu_xlate_result *out, struct iommu_fault *fault);
/* A fault in a context structure (level: IOMMU_FAULT_CTX_*) at addr, stage 1: -EFAULT. */
int iommu_ctx_fault(struct iommu_fault *f, enum iommu_fault_type t, unsigned int level,
		    uint64_t addr);

/*
 * A device's context structures are rewritten under a sequence count, odd while a writer
 * (serialized by the caller) is at work: the hardware's "clear P, write, set P" with the
 * invalidation in between. A lock-free reader retries until it read a stable copy:
 *	do {
 *		s = iommu_seq_read_begin(&h->seq, &spins);
 *		... read the structures ...
 *	} while (iommu_seq_read_retry(&h->seq, s, &spins));
 */
static inline void iommu_seq_write_begin(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void iommu_seq_write_end(uint32_t *seq)
{
	__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
}

static inline void iommu_seq_spin(unsigned int *spins)
{
	if (++*spins > 64)
		sched_yield();
}

static inline uint32_t iommu_seq_read_begin(const uint32_t *seq, unsigned int *spins)
{
	uint32_t s;

	while ((s = __atomic_load_n(seq, __ATOMIC_ACQUIRE)) & 1)
		iommu_seq_spin(spins);
	return s;
}

static inline bool iommu_seq_read_retry(const uint32_t *seq, uint32_t s, unsigned int *spins)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(seq, __ATOMIC_RELAXED) == s)
		return false;
	iommu_seq_spin(spins);
	return true;
}

/* ---- context structures (model_*.c) ---- */

struct pt_reader;
/*
 * The little-endian 8 bytes at pa, through rd (NULL: pa is a name, iommu/phys.h, resolved
 * through the region table). A name that resolves to nothing is a bad context at `level`
 * (IOMMU_FAULT_CTX_*: the level of the entry that held the name) for iova, stage 1: -EFAULT,
 * nothing read. Through rd, a read stage 2 refuses is stage 2's fault.
 */
int iommu_ctx_read(const struct pt_reader *rd, uint64_t pa, unsigned int level, uint64_t iova,
		   uint64_t *out, struct iommu_fault *f);

/* model_smmu.c: the CD that governs a request, decoded */
struct smmu_cd {
	bool bypass; /* the STE (or S1DSS) bypasses stage 1 */
	unsigned int granule_lg2, ia_bits, oa_bits;
	bool hd;	/* hardware dirty-bit updates */
	uint64_t ttb0;	/* the stage-1 root */
	uint16_t asid;	/* the CD's ASID */
	uint64_t cd_pa; /* where the CD was read */
};
/* Check (and, for V = 0, turn into abort) a guest STE, CPU order: 0 or -EIO. */
int smmu_ste_check(uint64_t ste[2]);
/* STE + SubstreamID (pasid, 0 = none) -> CD, every read through rd; -EFAULT with *f. */
int smmu_cd_fetch(const struct pt_reader *rd, const uint64_t ste[2], uint32_t pasid, uint64_t iova,
		  struct smmu_cd *out, struct iommu_fault *f);

/*
 * A device's hardware context structures (model_vtd.c): what the IOMMU reads per (device,
 * PASID) before it walks. Owned by the device's struct iommu_dev (pasid.c), which programs
 * them on every PASID change before publishing the slot, and asks them on every IOTLB miss.
 */
struct iommu_hwctx;
struct iommu_hwctx_ops {
	const char *name;
	/* Write pasid's entries for x (NULL: not present). ctx->lock. 0 or -errno, unchanged. */
	int (*program)(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x);
	/*
	 * Read pasid's entries and walk. 0, -EFAULT with *fault, or -EAGAIN with *fault: the
	 * entries are missing or do not describe x (the slot is being changed): read the slot
	 * again; if it stays x, the fault stands (the structures were edited behind us).
	 */
	int (*walk)(struct iommu_hwctx *hw, struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
		    unsigned int access, struct iommu_xlate_result *out, struct iommu_fault *fault);
	/*
	 * May x be attached at pasid (replacing what is there)? Optional (NULL: yes). 0, or the
	 * errno the kernel's driver answers such an attach with. ctx->lock.
	 */
	int (*attach_check)(struct iommu_hwctx *hw, uint32_t pasid, const struct iommu_xlate *x);
	/* Free the tables the model made beyond its struct (optional; iommu_hwctx_free). */
	void (*release)(struct iommu_hwctx *hw);
};
struct iommu_hwctx {
	const struct iommu_hwctx_ops *ops;
	uint64_t root_pa; /* the name of the device's own entry (VT-d: its context entry) */
	/*
	 * The user the tables its program() makes are charged to (iommu_ctx_table_alloc_for;
	 * IOMMU_PHYS_UNCHARGED until its maker says), and how many pages are charged (ctx->lock).
	 */
	int64_t uid;
	uint64_t charged_pages;
};

/* hwctx.c: the structure arena's reservation (names for every model's structures) */
#define IOMMU_CTX_ARENA_BYTES (UINT64_C(1) << 30)
struct pt_arena;
/* The process's structure arena, made at the first call (NULL: it could not be made). */
struct pt_arena *iommu_ctx_arena(void);
/*
 * hwctx.c: a model's context, zeroed, in the structure arena: size bytes of the model's
 * struct (struct iommu_hwctx first) with ops, root_pa the name of the struct's byte
 * root_off. NULL: no memory.
 */
void *iommu_hwctx_alloc(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off);
#define IOMMU_HWCTX_ALLOC(type, ops, root_field) \
	((type *)iommu_hwctx_alloc(sizeof(type), ops, offsetof(type, root_field)))
/* The same into *out for a model with nothing beyond its struct: 0 or -ENOMEM. */
#define IOMMU_HWCTX_NEW(type, ops, root_field, out) \
	iommu_hwctx_new(sizeof(type), ops, offsetof(type, root_field), out)
int iommu_hwctx_new(size_t size, const struct iommu_hwctx_ops *ops, size_t root_off,
		    struct iommu_hwctx **out);
/* ops->release, then the struct (NULL: nothing). Also a failed *_hwctx_new's undo. */
void iommu_hwctx_free(struct iommu_hwctx *hw);
/*
 * A zeroed table of at least bytes (at least a page, aligned to its power-of-two size) in
 * the structure arena: the owner's pointer (its name: iommu_ctx_name). NULL: no memory.
 */
uint64_t *iommu_ctx_table_alloc(size_t bytes);
/*
 * The same for a table hw's program() makes as PASIDs are attached, charged to hw->uid until
 * hw is freed: while the name table is shared (the daemon: iommu_phys_set_shared), a user may
 * hold at most as many of the arena's pages as stay free after the allocation (NULL beyond:
 * the caller's ENOMEM), so one client's PASIDs cannot fill the arena for the others.
 */
uint64_t *iommu_ctx_table_alloc_for(struct iommu_hwctx *hw, size_t bytes);
/* Pages of the structure arena charged to uid now (tests). */
uint64_t iommu_ctx_user_pages(int64_t uid);
/* Free a table iommu_ctx_table_alloc gave (NULL: nothing). */
void iommu_ctx_table_free(void *table);
/* The name of p, a byte of the structure arena's memory handed out. */
uint64_t iommu_ctx_name(const void *p);
/*
 * The owner's pointer to the len bytes named name, all in live memory of the structure
 * arena, or NULL (a forged or stale name: a host pointer, another region's name). Takes the
 * arena's lock: writers and release only, never a walk.
 */
void *iommu_ctx_host(uint64_t name, size_t len);
/*
 * Free the table each little-endian entry of dir[0..n) with a valid bit names (its name:
 * entry & addr_mask; one that is not a live table of the arena is left alone), then dir
 * itself (NULL: nothing).
 */
void iommu_ctx_tables_free(uint64_t *dir, size_t n, uint64_t valid, uint64_t addr_mask);
/* A structure's word as the hardware reads it (little-endian), one relaxed store. */
static inline void iommu_store_le(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, htole64(v), __ATOMIC_RELAXED);
}

/*
 * Every model's constructor: the structures of a device with pasid_bits-bit PASIDs (a model
 * without PASIDs ignores them). 0 or -ENOMEM.
 */
typedef int iommu_hwctx_new_fn(unsigned int pasid_bits, struct iommu_hwctx **out);

/* pasid.c: give idev its hardware context (before any attach); the device frees it. */
void iommu_dev_set_hw(struct iommu_dev *idev, struct iommu_hwctx *hw);
struct iommu_hwctx *iommu_dev_hw(const struct iommu_dev *idev);
unsigned int iommu_dev_pasid_bits(const struct iommu_dev *idev);

/* model_vtd.c: a scalable-mode PASID entry, decoded */
enum { VTD_PGTT_FS = 1, VTD_PGTT_SS = 2, VTD_PGTT_NESTED = 3, VTD_PGTT_PT = 4 };
struct vtd_pasid_entry {
	unsigned int pgtt, aw, flpm;
	bool ssade, sre, wpe;
	uint16_t did;
	uint64_t ssptptr, fsptptr;
};
/* Context entry at ctx_pa + PASID (0: the entry's RID_PASID) -> PASID entry, through rd. */
int vtd_pasid_lookup(const struct pt_reader *rd, uint64_t ctx_pa, uint32_t pasid, uint64_t iova,
		     struct vtd_pasid_entry *out, struct iommu_fault *f);
/* The VT-d structures of a device with pasid_bits-bit PASIDs. */
int iommu_vtd_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);

/* model_riscv.c: what a device context (and process context) gives a request */
struct riscv_ctx {
	unsigned int s1_mode, s2_mode; /* iosatp / iohgatp MODE (0: Bare) */
	uint64_t s1_root, s2_root;
	uint32_t pscid, gscid;
	bool pc; /* stage 1 came from a process context */
};
/* DC at dc_pa + process_id (0: none) -> the stages, through rd; -EFAULT with *f. */
int riscv_ctx_lookup(const struct pt_reader *rd, uint64_t dc_pa, uint32_t pasid, uint64_t iova,
		     struct riscv_ctx *out, struct iommu_fault *f);
/* The DC and PD20 process directory of a first-stage RISC-V device. */
int iommu_riscv_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);

/* model_power.c: a PHB4 TVE, decoded */
struct power_tve {
	uint64_t root;
	unsigned int levels, table_lg2, page_shift;
};
/* 0, or -EFAULT: invalid (not present) or unimplemented sizes (bad context), device level */
int power_tve_decode(uint64_t tve, uint64_t iova, struct power_tve *out, struct iommu_fault *f);
/* The TVT of a TCE device (root_pa: the two TVEs). */
int iommu_power_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);

/*
 * model_amd.c: an AMD Device Table Entry, decoded (words 0-2; the interrupt half is not
 * read). Host fields: V, TV, HAD, Mode, the host page-table root, IR, IW, DomainID; guest
 * fields: GV, GIOV, GLX, the GCR3 table root, the guest paging mode (4 or 5 levels).
 */
struct amd_guest {
	bool gv, giov;
	unsigned int glx;    /* GCR3 table levels - 1 (0..2) */
	unsigned int levels; /* guest page-table levels: 4 or 5 */
	uint64_t gcr3;	     /* the GCR3 table's root (a guest physical address when nested) */
};
struct amd_dte {
	bool ir, iw;
	unsigned int had;  /* host access/dirty update: 0 none, 1 accessed, 3 accessed and dirty */
	unsigned int mode; /* host page-table levels (1..6) */
	uint64_t root;	   /* host page-table root */
	uint16_t domid;
	struct amd_guest g;
};
/* The DTE at dte_pa, through rd: 0, or -EFAULT with *f (level IOMMU_FAULT_CTX_DEVICE). */
int amd_dte_decode(const struct pt_reader *rd, uint64_t dte_pa, uint64_t iova, struct amd_dte *out,
		   struct iommu_fault *f);
/* The DTE of an AMD v1 device (root_pa: its 256-bit entry). */
int iommu_amd_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);
/* nested.c: the guest fields of an AMD nested translation (IOMMU_HWPT_DATA_AMD_GUEST). */
void iommu_nested_amd_guest(const struct iommu_xlate *x, struct amd_guest *out);
/*
 * nested.c: walk an AMD nested translation with the guest fields g read from a DTE: GCR3
 * table -> guest CR3 -> x86-64 stage 1, every read through x's stage 2.
 */
int iommu_nested_amd_walk(struct iommu_xlate *x, const struct amd_guest *g, uint32_t pasid,
			  uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			  struct iommu_fault *fault);

/* model_smmu.c: the STE and CD table of a stage-1 SMMUv3 device (root_pa: its STE) */
int iommu_smmu_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);
/* model_smmu.c: a whole STE (words 0-3) with its stage-2 fields, decoded */
struct smmu_ste {
	uint64_t w[4]; /* CPU order */
	unsigned int cfg;
	uint16_t vmid;
	uint32_t s2vtcr; /* S2T0SZ, S2SL0, S2IR0, S2OR0, S2SH0, S2TG, S2PS: VTCR_EL2 18:0 */
	unsigned int s2t0sz, s2sl0, s2tg_lg2, s2ps_bits;
	bool s2aa64, s2ha, s2hd, s2r;
	uint64_t s2ttb;
};
enum {
	SMMU_CFG_ABORT = 0,
	SMMU_CFG_BYPASS = 4,
	SMMU_CFG_S1 = 5,
	SMMU_CFG_S2 = 6,
	SMMU_CFG_NESTED = 7
};
/*
 * The STE at ste_pa, through rd: 0 (cfg bypass, stage 1, stage 2 or both), or -EFAULT with
 * *f at the device level (V clear or abort: not present; a reserved Config or stage-2 field:
 * bad context).
 */
int smmu_ste_decode(const struct pt_reader *rd, uint64_t ste_pa, uint64_t iova,
		    struct smmu_ste *out, struct iommu_fault *f);
/* The STE of a stage-2 SMMUv3 device ("arm-s2-*"; root_pa: its STE). */
int iommu_smmu_s2_hwctx_new(unsigned int pasid_bits, struct iommu_hwctx **out);
/* nested.c: an SMMUv3 nested translation's guest STE (words 0, 1; CPU order, checked). */
void iommu_nested_smmu_ste(const struct iommu_xlate *x, uint64_t out[2]);
/* nested.c: walk x with the stage-1 half of an STE (words 0, 1): CD, LPAE, all through stage 2 */
int iommu_nested_smmu_walk(struct iommu_xlate *x, const uint64_t ste[2], uint32_t pasid,
			   uint64_t iova, unsigned int access, struct iommu_xlate_result *out,
			   struct iommu_fault *fault);

/* ---- iotlb.c ---- */

#define LOAD(p)	    __atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)

enum { IOTLB_META_WRITE = 1 << 15 };

extern uint64_t iotlb_generation; /* bumped (seq_cst) before every invalidation's scan */

struct iotlb_stats_raw {
	uint64_t hits, misses, fills, invalidations, dropped;
};
extern struct iotlb_stats_raw iotlb_stats_raw;
/*
 * Statistics are plain loads and stores of atomics, not read-modify-writes: a locked add per
 * lookup cost more than the rest of a hit (measured, iotlb_hit 11.7 -> 5.9 ns with the
 * random IOVA taken out of the loop too). Concurrent lookups may lose a count; a single
 * thread's are exact.
 */
#define IOTLB_COUNT(f) STORE(&iotlb_stats_raw.f, LOAD(&iotlb_stats_raw.f) + 1)

/*
 * The level-0 IOTLB: one entry per thread, the last translation it used, valid while the
 * invalidation generation has not moved since it was filled (any invalidation anywhere
 * empties every thread's). Keyed by tag, never by the translation's address, which may be
 * reused. Checked inline by iommu_translate before the shared IOTLB. Measured (iotlb_hit,
 * make bench): 5.9 -> see docs/translation.md.
 */
struct iotlb_l0 {
	uint64_t gen, base, oa;
	uint32_t tag, pasid;
	uint32_t meta; /* size lg2 | prot << 8 | IOTLB_META_WRITE; 0: empty */
};
extern __thread struct iotlb_l0 iotlb_l0 __attribute__((tls_model("initial-exec")));

static inline bool iotlb_l0_hit(const struct iommu_xlate *x, uint32_t pasid, uint64_t iova,
				unsigned int access, struct iommu_xlate_result *out)
{
	struct iotlb_l0 *l0 = &iotlb_l0;
	unsigned int lg2 = l0->meta & 0xff;
	uint64_t mask = (UINT64_C(1) << lg2) - 1;
	bool write = access & IOMMU_ACCESS_WRITE;

	if (!l0->meta || l0->tag != x->tag || l0->pasid != pasid || (iova & ~mask) != l0->base ||
	    (write && (!(l0->meta & IOTLB_META_WRITE) || x->s2->dirty_tracking)) ||
	    l0->gen != __atomic_load_n(&iotlb_generation, __ATOMIC_ACQUIRE))
		return false;
	out->oa = l0->oa | (iova & mask);
	out->size_lg2 = lg2;
	out->prot = (int)((l0->meta >> 8) & 0x7f);
	IOTLB_COUNT(hits);
	return true;
}

static inline void iotlb_l0_fill(const struct iommu_xlate *x, uint32_t pasid, uint64_t base,
				 uint64_t oa, uint32_t meta, uint64_t gen)
{
	struct iotlb_l0 *l0 = &iotlb_l0;

	if ((meta & 0xff) >= 63)
		return;
	l0->gen = gen;
	l0->tag = x->tag;
	l0->pasid = pasid;
	l0->base = base;
	l0->oa = oa;
	l0->meta = meta;
}

/* A hit fills *out and returns true. */
bool iotlb_lookup(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		  struct iommu_xlate_result *out);
/* The invalidation generation: read before a walk, passed to iotlb_fill. */
uint64_t iotlb_gen(void);
/* Cache a walk's result; dropped again if an invalidation ran since gen was read. */
void iotlb_fill(struct iommu_xlate *x, uint32_t pasid, uint64_t iova, unsigned int access,
		const struct iommu_xlate_result *r, uint64_t gen);
/* Drop the entries of tag (pasid UINT32_MAX: any) overlapping [start, last]. */
void iotlb_invalidate_tag(uint32_t tag, uint32_t pasid, uint64_t start, uint64_t last);

#endif
