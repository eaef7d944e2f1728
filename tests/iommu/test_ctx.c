/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ctx.c - the IOMMU models' own context structures (src/iommu/model_vtd.c): VT-d
 * scalable-mode context entry -> PASID directory -> PASID entry, decoded per PGTT, with the
 * typed fault of each missing or malformed structure; the same reads through a stage 2 that
 * does not map a structure; and a VT-d device whose DMA goes through the structures its
 * attaches wrote (an edit of an entry is seen by the next walk, a broken one faults). The
 * same for RISC-V (model_riscv.c): device context, process directory (PD8/PD17/PD20),
 * process context; a POWER PHB's TVEs (model_power.c); a stage-1 SMMUv3 device's STE and
 * two-level CD table (model_smmu.c). Every address the structures hold is a name of the
 * structure arena (hwctx.c): each model's own entry and each pointer to a lower table resolve
 * to the table and are not its host pointer; a host pointer forged into such an entry is a
 * bad context at the entry's level, never read; nothing stays in the arena or the region table
 * after the device goes.
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

#include "core/private.h"
#include "iommu/iommu_int.h"
#include "iommu/phys.h"
#include "pt/pt.h"
#include "pt/pt_arena.h"
#include "ioasid/ioasid.h"

#define PG		4096u
#define PGTT(e, v)	(((e) & ~(UINT64_C(7) << 6)) | (uint64_t)(v) << 6)
#define F_CTX_DEVICE	0x101u
#define F_CTX_PASID_DIR 0x102u
#define F_CTX_PASID	0x103u

/*
 * Structures are named (iommu/phys.h): a test builds its own in the models' structure arena
 * (T: a zeroed table; N: its name) and finds a device's through the region table (H).
 */
static uint64_t *T(size_t bytes)
{
	uint64_t *t = iommu_ctx_table_alloc(bytes);

	assert_non_null(t);
	return t;
}

#define N(p) iommu_ctx_name(p)

static void *H(uint64_t name)
{
	void *p = iommu_phys_resolve(name, 8);

	assert_non_null(p);
	return p;
}

/* Host-built VT-d structures: context entry, a 128-entry directory, one PASID table. */
struct vtd_mem {
	uint64_t *ctx, *dir, *table;
};

static void vtd_mem_new(struct vtd_mem *m)
{
	m->ctx = T(PG);
	m->dir = T(PG);
	m->table = T(PG);
	m->ctx[0] = N(m->dir) | 1; /* P, PDTS 0: PASIDs below 2^13 */
	m->dir[0] = N(m->table) | 1;
}

static void vtd_mem_free(struct vtd_mem *m)
{
	iommu_ctx_table_free(m->ctx);
	iommu_ctx_table_free(m->dir);
	iommu_ctx_table_free(m->table);
}

static uint64_t *pe(struct vtd_mem *m, uint32_t pasid)
{
	return m->table + (pasid & 63) * 8;
}

static int lookup(const struct pt_reader *rd, uint64_t ctx_pa, uint32_t pasid,
		  struct vtd_pasid_entry *e, struct iommu_fault *f)
{
	memset(f, 0, sizeof(*f));
	return vtd_pasid_lookup(rd, ctx_pa, pasid, 0x1234000, e, f);
}

static void expect_fault(const struct pt_reader *rd, uint64_t ctx_pa, uint32_t pasid,
			 unsigned int type, unsigned int stage, unsigned int level)
{
	struct vtd_pasid_entry e;
	struct iommu_fault f;

	assert_int_equal(lookup(rd, ctx_pa, pasid, &e, &f), -EFAULT);
	assert_int_equal(f.type, type);
	assert_int_equal(f.stage, stage);
	assert_int_equal(f.level, level);
}

static void test_vtd_pgtt(void **state)
{
	struct vtd_mem m;
	struct vtd_pasid_entry e;
	struct iommu_fault f;
	uint64_t ctx;

	(void)state;
	vtd_mem_new(&m);
	ctx = N(m.ctx);
	/* second stage: AW 48-bit, SSADE, SSPTPTR; DID 0x42 */
	pe(&m, 5)[0] = 0xabc000 | 2 << 2 | 2 << 6 | 1 << 9 | 1;
	pe(&m, 5)[1] = 0x42;
	assert_int_equal(lookup(NULL, ctx, 5, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_SS);
	assert_int_equal(e.aw, 2);
	assert_true(e.ssade);
	assert_int_equal(e.ssptptr, 0xabc000);
	assert_int_equal(e.did, 0x42);
	/* first stage: FSPTPTR, FLPM 5-level */
	pe(&m, 6)[0] = 1 << 6 | 1;
	pe(&m, 6)[2] = 0xdef000 | 1 << 2;
	assert_int_equal(lookup(NULL, ctx, 6, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_FS);
	assert_int_equal(e.fsptptr, 0xdef000);
	assert_int_equal(e.flpm, 1);
	/* nested: both pointers */
	pe(&m, 7)[0] = 0x111000 | 3 << 2 | 3 << 6 | 1;
	pe(&m, 7)[2] = 0x222000;
	assert_int_equal(lookup(NULL, ctx, 7, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_NESTED);
	assert_int_equal(e.ssptptr, 0x111000);
	assert_int_equal(e.fsptptr, 0x222000);
	assert_int_equal(e.aw, 3);
	/* pass-through */
	pe(&m, 8)[0] = 4 << 6 | 1;
	assert_int_equal(lookup(NULL, ctx, 8, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_PT);
	/* reserved PGTT values, AW, FLPM: a bad context at the PASID level */
	for (unsigned int v = 0; v < 8; v++) {
		if (v >= 1 && v <= 4)
			continue;
		pe(&m, 9)[0] = PGTT(0x111000 | 2 << 2 | 1, v);
		expect_fault(NULL, ctx, 9, IOMMU_FAULT_BAD_CTX, 1, F_CTX_PASID);
	}
	pe(&m, 9)[0] = 0x111000 | 4 << 2 | 2 << 6 | 1; /* AW 4 */
	expect_fault(NULL, ctx, 9, IOMMU_FAULT_BAD_CTX, 1, F_CTX_PASID);
	pe(&m, 9)[0] = 1 << 6 | 1;
	pe(&m, 9)[2] = 0x222000 | 2 << 2; /* FLPM 2 */
	expect_fault(NULL, ctx, 9, IOMMU_FAULT_BAD_CTX, 1, F_CTX_PASID);
	/* not present at each level */
	expect_fault(NULL, ctx, 10, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID);	  /* entry P */
	expect_fault(NULL, ctx, 64, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID_DIR); /* dir P */
	expect_fault(NULL, ctx, 1u << 13, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID_DIR);
	m.ctx[0] |= 1 << 9; /* PDTS 1: 256 directory entries, PASID 2^13 is inside */
	expect_fault(NULL, ctx, 1u << 13, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID_DIR);
	m.dir[128] = N(m.table) | 1;
	assert_int_equal(lookup(NULL, ctx, (1u << 13) | 5, &e, &f), 0);
	assert_int_equal(e.did, 0x42);
	/* requests without a PASID use the context entry's RID_PASID */
	m.ctx[1] = 7;
	assert_int_equal(lookup(NULL, ctx, 0, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_NESTED);
	m.ctx[0] &= ~UINT64_C(1);
	expect_fault(NULL, ctx, 5, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_DEVICE);
	vtd_mem_free(&m);
}

/* A guest's structures: IPAs mapped to the host pages by a stage-2 domain. */
struct s2_reader {
	struct pt_reader rd;
	struct iommu_domain *d;
};

static uint64_t *s2_entry(const struct pt_reader *rd, uint64_t pa, unsigned int access,
			  struct pt_walk_result *out)
{
	const struct s2_reader *r = (const struct s2_reader *)rd;

	if (pt_translate(r->d, NULL, PT_ROOT_OWN, pa, access, false, out)) {
		out->stage = 2;
		return NULL;
	}
	return iommu_phys_resolve(out->oa, 8); /* stage 2 outputs names */
}

static void test_vtd_through_stage2(void **state)
{
	const uint64_t ipa_ctx = 0x100000, ipa_dir = 0x101000, ipa_table = 0x102000;
	struct pt_config cfg = pt_variant_find("vtd-ss-4")->cfg;
	struct s2_reader r = { .rd.entry = s2_entry };
	struct vtd_pasid_entry e;
	struct iommu_fault f;
	struct vtd_mem m;
	uint64_t mapped;

	(void)state;
	vtd_mem_new(&m);
	/* the guest's structures name IPAs */
	m.ctx[0] = ipa_dir | 1;
	m.dir[0] = ipa_table | 1;
	pe(&m, 3)[0] = 0x300000 | 2 << 2 | 2 << 6 | 1;
	cfg.flags |= PT_CFG_NO_DIRTY;
	assert_int_equal(pt_domain_alloc(&cfg, &r.d), 0);
	assert_int_equal(pt_map_range(r.d, ipa_ctx, N(m.ctx), PG, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(pt_map_range(r.d, ipa_dir, N(m.dir), PG, IOMMU_PROT_READ, &mapped), 0);
	/* the PASID table is not mapped: a stage-2 fault at its entry's IPA */
	assert_int_equal(lookup(&r.rd, ipa_ctx, 3, &e, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.stage, 2);
	assert_int_equal(f.addr, ipa_table + 3 * 64);
	assert_int_equal(pt_map_range(r.d, ipa_table, N(m.table), PG, IOMMU_PROT_READ, &mapped), 0);
	assert_int_equal(lookup(&r.rd, ipa_ctx, 3, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_SS);
	assert_int_equal(e.ssptptr, 0x300000);
	r.d->ops->free(r.d);
	vtd_mem_free(&m);
}

/* ---- a VT-d device: attaches write the structures, DMA reads them ---------------------------- */

struct dev_fix {
	struct ioasid_ctx *ctx;
	uint32_t dev, ioas[2], hwpt[2];
	uint8_t *buf[2];
};

#define IOVA UINT64_C(0x400000)

static void dev_open_desc(struct dev_fix *f, const struct ioasid_device_desc *desc)
{
	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	assert_int_equal(ioasid_device_new(f->ctx, desc, &f->dev), 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
				 IOMMU_IOAS_MAP_FIXED_IOVA,
			.length = 4 * PG,
			.iova = IOVA,
		};
		struct iommu_hwpt_alloc h = { .size = sizeof(h),
					      .flags = desc->flags & IOASID_DEVICE_PASID ?
							       IOMMU_HWPT_ALLOC_PASID :
							       0,
					      .dev_id = f->dev };

		assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a), 0);
		f->ioas[i] = a.out_ioas_id;
		assert_int_equal(posix_memalign((void **)&f->buf[i], PG, 4 * PG), 0);
		memset(f->buf[i], 'A' + (int)i, 4 * PG);
		m.ioas_id = f->ioas[i];
		m.user_va = (uintptr_t)f->buf[i];
		assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m), 0);
		h.pt_id = f->ioas[i];
		assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &h), 0);
		f->hwpt[i] = h.out_hwpt_id;
	}
}

static void dev_open(struct dev_fix *f)
{
	struct ioasid_device_desc desc = { .format = "vtd-ss-4", .flags = IOASID_DEVICE_PASID };

	dev_open_desc(f, &desc);
}

static void dev_close(struct dev_fix *f)
{
	ioasid_ctx_free(f->ctx);
	free(f->buf[0]);
	free(f->buf[1]);
}

/* The device's context entry, as its model keeps it. */
static uint64_t dev_ctx_pa(struct dev_fix *f)
{
	struct iommu_dev *idev = iommu_dir_lookup(&f->ctx->iommu_dir, f->dev);

	assert_non_null(idev);
	assert_non_null(iommu_dev_hw(idev));
	return iommu_dev_hw(idev)->root_pa;
}

/* The PASID entry's first word, found as the hardware finds it. */
static uint64_t *dev_pe(struct dev_fix *f, uint32_t pasid)
{
	uint64_t *ctx = H(dev_ctx_pa(f));
	uint64_t *dir = H(ctx[0] & ~UINT64_C(0xfff));
	uint64_t *table = H(dir[pasid >> 6] & ~UINT64_C(0xfff));

	return table + (pasid & 63) * 8;
}

static int peek(struct dev_fix *f, uint32_t pasid, unsigned int page, struct ioasid_dma_fault *flt)
{
	uint8_t b = 0;

	memset(flt, 0, sizeof(*flt));
	if (ioasid_device_dma_pasid(f->ctx, f->dev, pasid, IOVA + page * PG + 5, &b, 1, 0, flt))
		return -errno;
	return b;
}

static void test_vtd_device(void **state)
{
	struct ioasid_dma_fault flt;
	struct vtd_pasid_entry e;
	struct iommu_fault f;
	struct dev_fix d;
	uint64_t *w, saved;

	(void)state;
	dev_open(&d);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 7, d.hwpt[1], NULL), 0);
	assert_int_equal(peek(&d, 0, 0, &flt), 'A');
	assert_int_equal(peek(&d, 7, 0, &flt), 'B');
	/* what the attaches wrote: second-stage entries, 4-level, with different DIDs */
	assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 7, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_SS);
	assert_int_equal(e.aw, 2);
	assert_true(e.ssptptr != 0);
	{
		struct vtd_pasid_entry rid;

		assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 0, &rid, &f), 0);
		assert_int_equal(rid.pgtt, VTD_PGTT_SS);
		assert_true(rid.did != e.did && rid.ssptptr != e.ssptptr);
	}
	/* the walk reads the entry: a reserved PGTT faults at the next miss (page 1) */
	w = dev_pe(&d, 7);
	saved = w[0];
	w[0] = PGTT(saved, 5);
	assert_int_equal(peek(&d, 7, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4); /* a bad context */
	assert_int_equal(flt.level, F_CTX_PASID);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A'); /* the RID's entry is untouched */
	w[0] = PGTT(saved, VTD_PGTT_PT);
	assert_int_equal(peek(&d, 7, 1, &flt), -EFAULT);
	assert_int_equal(flt.level, F_CTX_PASID);
	w[0] = saved & ~UINT64_C(1); /* P clear behind the slot's back: not present */
	assert_int_equal(peek(&d, 7, 2, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_PASID);
	w[0] = saved;
	assert_int_equal(peek(&d, 7, 2, &flt), 'B');
	assert_int_equal(peek(&d, 7, 0, &flt), 'B'); /* the IOTLB entry of before */
	/* replace and detach rewrite the entry */
	assert_int_equal(ioasid_device_pasid_replace(d.ctx, d.dev, 7, d.hwpt[0], NULL), 0);
	assert_int_equal(peek(&d, 7, 3, &flt), 'A');
	assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 7, &e, &f), 0);
	{
		struct vtd_pasid_entry rid;

		assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 0, &rid, &f), 0);
		assert_int_equal(rid.ssptptr, e.ssptptr);
		assert_int_equal(rid.did, e.did);
	}
	assert_int_equal(ioasid_device_pasid_detach(d.ctx, d.dev, 7), 0);
	expect_fault(NULL, dev_ctx_pa(&d), 7, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID);
	assert_int_equal(peek(&d, 7, 3, &flt), -ENODEV);
	dev_close(&d);
}

/*
 * A VT-d device whose domains are first-stage (x86-64) tables: its attaches write PGTT 001
 * with FSPTPTR and FLPM (no second stage), the walk reads them; FLPM not the table's depth,
 * a pass-through PGTT: bad context; stale until invalidated; 5-level FLPM for x86_64-5.
 */
static void test_vtd_first_stage(void **state)
{
	struct ioasid_device_desc desc = { .format = "x86_64-4", .flags = IOASID_DEVICE_PASID };
	struct ioasid_dma_fault flt;
	struct vtd_pasid_entry e, rid;
	struct iommu_fault f;
	struct dev_fix fx;
	uint64_t *w, saved[3];

	(void)state;
	dev_open_desc(&fx, &desc);
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, fx.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(fx.ctx, fx.dev, 70, fx.hwpt[1], NULL), 0);
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	assert_int_equal(peek(&fx, 70, 0, &flt), 'B');
	assert_int_equal(lookup(NULL, dev_ctx_pa(&fx), 70, &e, &f), 0);
	assert_int_equal(lookup(NULL, dev_ctx_pa(&fx), 0, &rid, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_FS);
	assert_int_equal(e.flpm, 0);
	assert_int_equal(e.ssptptr, 0);
	assert_true(e.fsptptr != 0 && e.fsptptr != rid.fsptptr && e.did != rid.did);
	assert_false(e.sre || e.wpe);
	w = dev_pe(&fx, 70);
	memcpy(saved, w, sizeof(saved));
	w[2] = saved[2] | 1 << 2; /* FLPM 5-level on a 4-level table */
	assert_int_equal(peek(&fx, 70, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_PASID);
	w[2] = saved[2] | 1 | 1 << 4; /* SRE and WPE: decoded, no effect on user requests */
	assert_int_equal(lookup(NULL, dev_ctx_pa(&fx), 70, &e, &f), 0);
	assert_true(e.sre && e.wpe);
	assert_int_equal(peek(&fx, 70, 1, &flt), 'B');
	w[2] = saved[2];
	w[0] = PGTT(saved[0], VTD_PGTT_PT); /* pass-through: refused */
	assert_int_equal(peek(&fx, 70, 2, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_PASID);
	/* stale until invalidated: page 0 still hits; after the domain's flush it faults */
	assert_int_equal(peek(&fx, 70, 0, &flt), 'B');
	iommu_iotlb_flush_domain(pt_domain_tag(iommu_xlate_domain(iommu_dev_pasid(
					 iommu_dir_lookup(&fx.ctx->iommu_dir, fx.dev), 70))),
				 0, UINT64_MAX);
	assert_int_equal(peek(&fx, 70, 0, &flt), -EFAULT);
	w[0] = saved[0];
	assert_int_equal(peek(&fx, 70, 0, &flt), 'B');
	assert_int_equal(ioasid_device_pasid_detach(fx.ctx, fx.dev, 70), 0);
	expect_fault(NULL, dev_ctx_pa(&fx), 70, IOMMU_FAULT_NOT_PRESENT, 1, F_CTX_PASID);
	dev_close(&fx);

	desc.format = "x86_64-5";
	dev_open_desc(&fx, &desc);
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, fx.hwpt[1], NULL), 0);
	assert_int_equal(peek(&fx, 0, 3, &flt), 'B');
	assert_int_equal(lookup(NULL, dev_ctx_pa(&fx), 0, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_FS);
	assert_int_equal(e.flpm, 1);
	dev_close(&fx);
}

/* ---- RISC-V: device context -> process directory -> process context -------------------------- */

static int rv_lookup(uint64_t dc_pa, uint32_t pasid, struct riscv_ctx *c, struct iommu_fault *f)
{
	memset(f, 0, sizeof(*f));
	return riscv_ctx_lookup(NULL, dc_pa, pasid, 0x5000, c, f);
}

static void rv_expect(uint64_t dc_pa, uint32_t pasid, unsigned int type, unsigned int level)
{
	struct riscv_ctx c;
	struct iommu_fault f;

	assert_int_equal(rv_lookup(dc_pa, pasid, &c, &f), -EFAULT);
	assert_int_equal(f.type, type);
	assert_int_equal(f.level, level);
}

static void test_riscv_formats(void **state)
{
	uint64_t *dc = NULL, *pdt1, *pdt0, dcp;
	struct iommu_fault f;
	struct riscv_ctx c;

	(void)state;
	dc = T(3 * PG);
	pdt1 = dc + 512;
	pdt0 = dc + 1024;
	dcp = N(dc);
	/* PDTV clear: iosatp Sv48 in DC.fsc, PSCID in DC.ta; iohgatp Sv39x4 with GSCID 3 */
	dc[0] = 1;
	dc[1] = UINT64_C(8) << 60 | UINT64_C(3) << 44 | 0x777;
	dc[2] = UINT64_C(0x55) << 12;
	dc[3] = UINT64_C(9) << 60 | 0x123;
	assert_int_equal(rv_lookup(dcp, 0, &c, &f), 0);
	assert_int_equal(c.s1_mode, 9);
	assert_int_equal(c.s1_root, 0x123000);
	assert_int_equal(c.pscid, 0x55);
	assert_int_equal(c.s2_mode, 8);
	assert_int_equal(c.s2_root, 0x777000);
	assert_int_equal(c.gscid, 3);
	rv_expect(dcp, 4, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID); /* no PDT: no process_id */
	dc[3] = UINT64_C(5) << 60;				 /* reserved iosatp mode */
	rv_expect(dcp, 0, IOMMU_FAULT_BAD_CTX, F_CTX_DEVICE);
	dc[0] = 1 | 1 << 12; /* reserved tc bit */
	rv_expect(dcp, 0, IOMMU_FAULT_BAD_CTX, F_CTX_DEVICE);
	dc[0] = 0;
	rv_expect(dcp, 0, IOMMU_FAULT_NOT_PRESENT, F_CTX_DEVICE);
	/* PDTV, PD17: PDI[1] in pdt1, PCs in pdt0 */
	dc[0] = 1 | 1 << 5;
	dc[3] = UINT64_C(2) << 60 | N(pdt1) >> 12;
	pdt1[1] = (N(pdt0) >> 12) << 10 | 1;	/* process_ids 256..511 */
	pdt0[2 * 7] = UINT64_C(0x66) << 12 | 1; /* process_id 263 */
	pdt0[2 * 7 + 1] = UINT64_C(10) << 60 | 0x999;
	assert_int_equal(rv_lookup(dcp, 263, &c, &f), 0);
	assert_true(c.pc);
	assert_int_equal(c.s1_mode, 10);
	assert_int_equal(c.s1_root, 0x999000);
	assert_int_equal(c.pscid, 0x66);
	rv_expect(dcp, 264, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID);	/* PC.V clear */
	rv_expect(dcp, 7, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID_DIR);	/* PDT entry */
	rv_expect(dcp, 1u << 17, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID); /* beyond PD17 */
	pdt0[2 * 7 + 1] = UINT64_C(3) << 60;
	rv_expect(dcp, 263, IOMMU_FAULT_BAD_CTX, F_CTX_PASID); /* PC: reserved mode */
	/* no process_id: Bare without DPE, process context 0 with it */
	assert_int_equal(rv_lookup(dcp, 0, &c, &f), 0);
	assert_false(c.pc);
	assert_int_equal(c.s1_mode, 0);
	dc[0] |= 1 << 9;
	rv_expect(dcp, 0, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID_DIR);
	/* PD8: one level of PCs */
	dc[3] = UINT64_C(1) << 60 | N(pdt0) >> 12;
	pdt0[2 * 7 + 1] = UINT64_C(8) << 60 | 0x31;
	assert_int_equal(rv_lookup(dcp, 7, &c, &f), 0);
	assert_int_equal(c.s1_root, 0x31000);
	rv_expect(dcp, 256, IOMMU_FAULT_NOT_PRESENT, F_CTX_PASID);
	iommu_ctx_table_free(dc);
}

static void test_riscv_device(void **state)
{
	struct ioasid_device_desc desc = { .format = "riscv-sv48", .flags = IOASID_DEVICE_PASID };
	struct ioasid_dma_fault flt;
	struct iommu_fault f;
	struct riscv_ctx c;
	struct dev_fix d;
	uint64_t *dc, *pc, saved;

	(void)state;
	dev_open_desc(&d, &desc);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 300, d.hwpt[1], NULL), 0);
	assert_int_equal(peek(&d, 0, 0, &flt), 'A');
	assert_int_equal(peek(&d, 300, 0, &flt), 'B');
	assert_int_equal(rv_lookup(dev_ctx_pa(&d), 300, &c, &f), 0);
	assert_true(c.pc);
	assert_int_equal(c.s1_mode, 9); /* Sv48 */
	/* the process context of 300, found as the hardware finds it (PD20) */
	dc = H(dev_ctx_pa(&d));
	pc = H((dc[3] & ((UINT64_C(1) << 44) - 1)) << 12);
	pc = H(((pc[0] >> 10) & ((UINT64_C(1) << 44) - 1)) << 12);
	pc = H(((pc[1] >> 10) & ((UINT64_C(1) << 44) - 1)) << 12);
	pc += 2 * (300 & 0xff);
	saved = pc[1];
	pc[1] = UINT64_C(3) << 60 | (saved & ((UINT64_C(1) << 44) - 1)); /* reserved mode */
	assert_int_equal(peek(&d, 300, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_PASID);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	pc[1] = saved;
	assert_int_equal(peek(&d, 300, 1, &flt), 'B');
	assert_int_equal(ioasid_device_pasid_detach(d.ctx, d.dev, 300), 0);
	assert_int_equal(rv_lookup(dev_ctx_pa(&d), 300, &c, &f), -EFAULT);
	assert_int_equal(f.level, F_CTX_PASID);
	assert_int_equal(peek(&d, 300, 2, &flt), -ENODEV);
	dev_close(&d);
}

/* ---- POWER: the TVT ----------------------------------------------------------------------------
 */

static void test_power_device(void **state)
{
	struct ioasid_device_desc desc = { .format = "tce-4k" };
	struct ioasid_dma_fault flt;
	struct power_tve t;
	struct iommu_fault f;
	struct dev_fix d;
	uint64_t *tvt, saved;

	(void)state;
	dev_open_desc(&d, &desc);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(peek(&d, 0, 0, &flt), 'A');
	tvt = H(dev_ctx_pa(&d));
	assert_int_equal(tvt[1], 0); /* the 32-bit window's domain: TVE 0 only */
	assert_int_equal(power_tve_decode(tvt[0], 0, &t, &f), 0);
	assert_int_equal(t.page_shift, 12);
	assert_true(t.root != 0 && t.levels >= 1);
	saved = tvt[0];
	tvt[0] = (saved & ~UINT64_C(0x1f)) | 2; /* IO_PSIZE 8K: not implemented */
	assert_int_equal(peek(&d, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	tvt[0] = saved & ~(UINT64_C(0x1f) << 8); /* TCE_TABLE_SIZE 0: invalid */
	assert_int_equal(peek(&d, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	tvt[0] = saved;
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	/* replace rewrites the TVE; detach clears it */
	assert_int_equal(ioasid_device_replace(d.ctx, d.dev, d.hwpt[1], NULL), 0);
	assert_int_equal(peek(&d, 0, 2, &flt), 'B');
	assert_true(tvt[0] != saved);
	assert_int_equal(ioasid_device_detach(d.ctx, d.dev), 0);
	assert_int_equal(tvt[0], 0);
	dev_close(&d);
}

/* ---- SMMUv3 stage 1: STE -> two-level CD table ------------------------------------------------
 */

static void test_smmu_device(void **state)
{
	struct ioasid_device_desc desc = { .format = "arm-s1-4k-48", .flags = IOASID_DEVICE_PASID };
	struct ioasid_dma_fault flt;
	struct iommu_fault f = { 0 };
	struct smmu_cd cd, rid;
	struct dev_fix d;
	const uint64_t *ste;
	uint64_t *w, saved;

	(void)state;
	dev_open_desc(&d, &desc);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 9, d.hwpt[1], NULL), 0);
	assert_int_equal(peek(&d, 0, 0, &flt), 'A');
	assert_int_equal(peek(&d, 9, 0, &flt), 'B');
	ste = H(dev_ctx_pa(&d));
	assert_int_equal((ste[0] >> 4) & 3, 1); /* S1Fmt: two levels */
	assert_int_equal(smmu_cd_fetch(NULL, ste, 9, 0, &cd, &f), 0);
	assert_int_equal(smmu_cd_fetch(NULL, ste, 0, 0, &rid, &f), 0); /* S1DSS: CD 0 */
	assert_int_equal(cd.granule_lg2, 12);
	assert_int_equal(cd.ia_bits, 48);
	assert_true(cd.ttb0 && cd.ttb0 != rid.ttb0 && cd.asid != rid.asid);
	w = H(cd.cd_pa);
	saved = w[0];
	w[0] = saved | UINT64_C(3) << 6; /* TG0 reserved */
	assert_int_equal(peek(&d, 9, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_PASID);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	w[0] = saved;
	assert_int_equal(peek(&d, 9, 1, &flt), 'B');
	assert_int_equal(ioasid_device_pasid_detach(d.ctx, d.dev, 9), 0);
	assert_int_equal(smmu_cd_fetch(NULL, ste, 9, 0, &cd, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_NOT_PRESENT);
	assert_int_equal(f.level, F_CTX_PASID);
	assert_int_equal(peek(&d, 9, 2, &flt), -ENODEV);
	dev_close(&d);
}

/* ---- AMD: the device table entry ---------------------------------------------------------------
 */

#define DTE_V	 (UINT64_C(1) << 0)
#define DTE_TV	 (UINT64_C(1) << 1)
#define DTE_GIOV (UINT64_C(1) << 54)
#define DTE_GV	 (UINT64_C(1) << 55)
#define DTE_IR	 (UINT64_C(1) << 61)
#define DTE_IW	 (UINT64_C(1) << 62)
#define DTE_MODE (UINT64_C(7) << 9)
#define DTE_ROOT UINT64_C(0x000ffffffffff000)

static void amd_expect(const uint64_t *dte, unsigned int type)
{
	struct amd_dte d;
	struct iommu_fault f = { 0 };

	assert_int_equal(amd_dte_decode(NULL, N(dte), 0x7000, &d, &f), -EFAULT);
	assert_int_equal(f.type, type);
	assert_int_equal(f.level, F_CTX_DEVICE);
	assert_int_equal(f.addr, 0x7000);
}

static void test_amd_formats(void **state)
{
	uint64_t *dte = T(PG);
	const uint64_t gcr3 = UINT64_C(0x000abcdef1234000);
	struct iommu_fault f;
	struct amd_dte d;

	(void)state;
	/* host fields: V, TV, Mode 4, root, IR, IW; DomainID 0x1234 */
	dte[0] = DTE_V | DTE_TV | 4 << 9 | 0x5555000 | DTE_IR | DTE_IW;
	dte[1] = 0x1234;
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_int_equal(d.mode, 4);
	assert_int_equal(d.root, 0x5555000);
	assert_true(d.ir && d.iw && !d.g.gv);
	assert_int_equal(d.domid, 0x1234);
	/* guest fields: GV, GIOV, GLX 2, GCR3 split over three fields, 5-level guest tables */
	dte[0] |= DTE_GV | DTE_GIOV | UINT64_C(2) << 56 | ((gcr3 >> 12) & 7) << 58;
	dte[1] |= ((gcr3 >> 15) & 0xffff) << 16 | (gcr3 >> 31) << 43;
	dte[2] = UINT64_C(1) << 54;
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_true(d.g.gv && d.g.giov);
	assert_int_equal(d.g.glx, 2);
	assert_int_equal(d.g.gcr3, gcr3);
	assert_int_equal(d.g.levels, 5);
	assert_int_equal(d.domid, 0x1234);
	/* malformed: GLX 3, a reserved guest paging mode, reserved bits, Mode 7, Mode 0 */
	dte[0] |= UINT64_C(3) << 56;
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[0] &= ~(UINT64_C(3) << 56);
	dte[2] = UINT64_C(2) << 54;
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[2] = UINT64_C(1) << 52;
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[2] = 0;
	for (unsigned int b = 2; b <= 6; b++) {
		dte[0] |= UINT64_C(1) << b;
		amd_expect(dte, IOMMU_FAULT_BAD_CTX);
		dte[0] &= ~(UINT64_C(1) << b);
	}
	dte[0] |= UINT64_C(1) << 63;
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[0] &= ~(UINT64_C(1) << 63);
	dte[0] |= DTE_MODE;
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[0] &= ~DTE_MODE; /* translation disabled: no identity meaning here */
	amd_expect(dte, IOMMU_FAULT_BAD_CTX);
	dte[0] |= 4 << 9;
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	/* missing: V or TV clear */
	dte[0] &= ~DTE_TV;
	amd_expect(dte, IOMMU_FAULT_NOT_PRESENT);
	dte[0] |= DTE_TV;
	dte[0] &= ~DTE_V;
	amd_expect(dte, IOMMU_FAULT_NOT_PRESENT);
	iommu_ctx_table_free(dte);
}

static int poke(struct dev_fix *f, unsigned int page, struct ioasid_dma_fault *flt)
{
	uint8_t b = 'w';

	memset(flt, 0, sizeof(*flt));
	if (ioasid_device_dma_pasid(f->ctx, f->dev, 0, IOVA + page * PG + 9, &b, 1,
				    IOASID_DMA_WRITE, flt))
		return -errno;
	return 0;
}

static void test_amd_device(void **state)
{
	struct ioasid_device_desc desc = { .format = "amd-v1-4" };
	struct ioasid_dma_fault flt;
	struct iommu_fault f;
	struct amd_dte d;
	struct dev_fix fx;
	uint64_t *dte, saved, root0;

	(void)state;
	dev_open_desc(&fx, &desc);
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, fx.hwpt[0], NULL), 0);
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	/* what the attach wrote: V, TV, Mode 4 (the table's depth), the root, IR, IW */
	dte = H(dev_ctx_pa(&fx));
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_int_equal(d.mode, 4);
	assert_true(d.root != 0 && d.ir && d.iw && !d.g.gv);
	root0 = d.root;
	saved = dte[0];
	/* each malformed DTE is seen by the next miss (page 1), typed, at the device level */
	dte[0] = saved | DTE_MODE; /* Mode 7 */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	dte[0] = (saved & ~DTE_MODE) | 3 << 9; /* Mode 3: not the table's depth */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	dte[0] = saved & ~DTE_MODE; /* Mode 0: untranslated, refused */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	dte[0] = saved | UINT64_C(1) << 3; /* a reserved bit */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	dte[0] = saved & ~DTE_TV; /* no translation information, behind the slot's back */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	/* IW clear: a write is refused at the DTE, a read goes through */
	dte[0] = saved & ~DTE_IW;
	assert_int_equal(poke(&fx, 1, &flt), -EPERM);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_PERMISSION);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	assert_int_equal(peek(&fx, 0, 1, &flt), 'A');
	dte[0] = saved & ~DTE_IR; /* IR clear: a read is refused (page 2: not cached) */
	assert_int_equal(peek(&fx, 0, 2, &flt), -EPERM);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	/* stale until invalidated: page 0's IOTLB entry outlives the DTE edit, until a flush */
	dte[0] = saved & ~DTE_V;
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	iommu_iotlb_flush_domain(pt_domain_tag(iommu_xlate_domain(iommu_dev_pasid(
					 iommu_dir_lookup(&fx.ctx->iommu_dir, fx.dev), 0))),
				 0, UINT64_MAX);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	dte[0] = saved;
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	assert_int_equal(poke(&fx, 3, &flt), 0);
	assert_int_equal(fx.buf[0][3 * PG + 9], 'w');
	/* replace rewrites the DTE (another root, another DomainID); detach clears V */
	assert_int_equal(ioasid_device_replace(fx.ctx, fx.dev, fx.hwpt[1], NULL), 0);
	assert_int_equal(peek(&fx, 0, 2, &flt), 'B');
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_true(d.root != root0);
	assert_int_equal(ioasid_device_detach(fx.ctx, fx.dev), 0);
	assert_int_equal(le64toh(dte[0]) & DTE_V, 0);
	assert_int_equal(peek(&fx, 0, 2, &flt), -ENODEV);
	dev_close(&fx);
}

/*
 * A nested HWPT of the guest's DTE on an AMD device: the host DTE gets the guest's GV, GIOV,
 * GLX and GCR3, and the walk takes them from there. The guest's GCR3 table is page 0 of the
 * IOAS (IPA IOVA), its entry 0 not valid: not present at the PASID level. A GCR3 root edited
 * in the host DTE to an IPA stage 2 does not map is a stage-2 fault at that IPA: the DTE, not
 * the HWPT's copy, is what the walk reads. (AMD nested is never cached: each DMA walks.)
 */
static void test_amd_nested_dte(void **state)
{
	struct ioasid_device_desc desc = { .format = "amd-v1-4" };
	struct iommu_hwpt_amd_guest g = { 0 };
	const uint64_t gcr3 = IOVA; /* guest physical */
	struct ioasid_dma_fault flt;
	struct iommu_hwpt_alloc parent_a, nest_a;
	struct iommu_fault f;
	struct amd_dte d;
	struct dev_fix fx;
	uint64_t *dte, saved1;

	(void)state;
	dev_open_desc(&fx, &desc);
	parent_a = (struct iommu_hwpt_alloc){ .size = sizeof(parent_a),
					      .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
					      .dev_id = fx.dev,
					      .pt_id = fx.ioas[0] };
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &parent_a), 0);
	g.dte[0] = htole64(DTE_V | DTE_GV | DTE_GIOV | ((gcr3 >> 12) & 7) << 58);
	g.dte[1] = htole64(((gcr3 >> 15) & 0xffff) << 16 | (gcr3 >> 31) << 43);
	nest_a = (struct iommu_hwpt_alloc){ .size = sizeof(nest_a),
					    .dev_id = fx.dev,
					    .pt_id = parent_a.out_hwpt_id,
					    .data_type = IOMMU_HWPT_DATA_AMD_GUEST,
					    .data_len = sizeof(g),
					    .data_uptr = (uintptr_t)&g };
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &nest_a), 0);
	memset(fx.buf[0], 0, PG); /* the GCR3 table: no entry valid */
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, nest_a.out_hwpt_id, NULL), 0);
	dte = H(dev_ctx_pa(&fx));
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_true(d.g.gv && d.g.giov && d.ir && d.iw);
	assert_int_equal(d.g.gcr3, gcr3);
	assert_int_equal(d.g.glx, 0);
	assert_int_equal(d.mode, 4);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_PASID);
	/* the GCR3 root moved in the DTE: to 0x40000000, which stage 2 does not map */
	saved1 = dte[1];
	dte[1] = htole64(le64toh(saved1) & 0xffff) | htole64(UINT64_C(0x40000000) >> 15 << 16);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.stage, 2);
	assert_int_equal(flt.addr, 0x40000000);
	/* GLX 3 in the host DTE: reserved */
	dte[1] = saved1;
	dte[0] |= htole64(UINT64_C(3) << 56);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	dte[0] &= ~htole64(UINT64_C(3) << 56);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	assert_int_equal(flt.level, F_CTX_PASID);
	/* back to the parent: the guest fields leave the DTE */
	assert_int_equal(ioasid_device_replace(fx.ctx, fx.dev, parent_a.out_hwpt_id, NULL), 0);
	assert_int_equal(amd_dte_decode(NULL, N(dte), 0, &d, &f), 0);
	assert_false(d.g.gv);
	assert_int_equal(d.g.gcr3, 0);
	assert_int_equal(peek(&fx, 0, 1, &flt), 'A');
	dev_close(&fx);
}

/* ---- SMMUv3 stage 2: the whole STE -------------------------------------------------------------
 */

#define STE_CFG(c) ((uint64_t)(c) << 1)

static void ste_expect(const uint64_t *ste, unsigned int type)
{
	struct smmu_ste st;
	struct iommu_fault f = { 0 };

	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0x9000, &st, &f), -EFAULT);
	assert_int_equal(f.type, type);
	assert_int_equal(f.level, F_CTX_DEVICE);
}

static void test_smmu_ste_formats(void **state)
{
	/* Config stage 2; VMID 7; S2T0SZ 16, S2SL0 2, S2TG 4K, S2PS 48-bit; S2AA64, S2R; S2TTB */
	const uint64_t vtcr = 16 | 2 << 6 | UINT64_C(5) << 16;
	const uint64_t init[4] = { 1 | STE_CFG(6), 0,
				   7 | vtcr << 32 | UINT64_C(1) << 51 | UINT64_C(1) << 58,
				   0x12345000 };
	uint64_t *ste = T(PG);
	struct iommu_fault f;
	struct smmu_ste st;

	(void)state;
	memcpy(ste, init, sizeof(init));
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.cfg, 6);
	assert_int_equal(st.vmid, 7);
	assert_int_equal(st.s2vtcr, vtcr);
	assert_int_equal(st.s2t0sz, 16);
	assert_int_equal(st.s2sl0, 2);
	assert_int_equal(st.s2tg_lg2, 12);
	assert_int_equal(st.s2ps_bits, 48);
	assert_true(st.s2aa64 && st.s2r && !st.s2hd);
	assert_int_equal(st.s2ttb, 0x12345000);
	ste[2] |= UINT64_C(2) << (32 + 14); /* S2TG 16K */
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.s2tg_lg2, 14);
	/* malformed: S2TG 0b11, S2PS 0b111, S2T0SZ 41, S2AA64 clear, S2ENDI, reserved Configs */
	ste[2] |= UINT64_C(3) << (32 + 14);
	ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	ste[2] &= ~(UINT64_C(3) << (32 + 14));
	ste[2] |= UINT64_C(7) << (32 + 16);
	ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	ste[2] &= ~(UINT64_C(7) << (32 + 16));
	ste[2] = (ste[2] & ~(UINT64_C(0x3f) << 32)) | UINT64_C(41) << 32;
	ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	ste[2] = (ste[2] & ~(UINT64_C(0x3f) << 32)) | UINT64_C(16) << 32;
	ste[2] &= ~(UINT64_C(1) << 51);
	ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	ste[2] |= UINT64_C(3) << 51; /* S2AA64, S2ENDI */
	ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	ste[2] &= ~(UINT64_C(1) << 52);
	for (unsigned int c = 1; c <= 3; c++) {
		ste[0] = 1 | STE_CFG(c);
		ste_expect(ste, IOMMU_FAULT_BAD_CTX);
	}
	/* nested: the stage-2 fields are decoded as well */
	ste[0] = 1 | STE_CFG(7) | 0xabc0;
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.cfg, 7);
	assert_int_equal(st.w[0] & ~UINT64_C(0xf), 0xabc0);
	/* missing: V clear, abort */
	ste[0] = STE_CFG(6);
	ste_expect(ste, IOMMU_FAULT_NOT_PRESENT);
	ste[0] = 1 | STE_CFG(0);
	ste_expect(ste, IOMMU_FAULT_NOT_PRESENT);
	iommu_ctx_table_free(ste);
}

static void test_smmu_s2_device(void **state)
{
	struct ioasid_device_desc desc = { .format = "arm-s2-4k-48" };
	struct ioasid_dma_fault flt;
	struct iommu_fault f;
	struct smmu_ste st;
	struct dev_fix fx;
	uint64_t *ste, saved[4];

	(void)state;
	dev_open_desc(&fx, &desc);
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, fx.hwpt[0], NULL), 0);
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	ste = H(dev_ctx_pa(&fx));
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.cfg, 6);
	assert_int_equal(st.s2t0sz, 16);
	assert_int_equal(st.s2tg_lg2, 12);
	assert_int_equal(st.s2ps_bits, 48);
	assert_true(st.s2aa64 && st.s2ttb != 0);
	memcpy(saved, ste, sizeof(saved));
	/* each malformed field is seen by the next miss (page 1), at the device level */
	ste[2] = saved[2] | UINT64_C(3) << (32 + 14); /* S2TG reserved */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	ste[2] = (saved[2] & ~(UINT64_C(0x3f) << 32)) | UINT64_C(20) << 32; /* not the table's */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	ste[2] = saved[2] & ~(UINT64_C(1) << 51); /* S2AA64 clear */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	ste[2] = saved[2];
	ste[0] = saved[0] & ~UINT64_C(1); /* V clear behind the slot's back: not present */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_DEVICE);
	ste[0] = (saved[0] & ~UINT64_C(0xe)) | STE_CFG(2); /* reserved Config */
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, 4);
	/* stale until invalidated: page 0's entry outlives the edit, until the domain's flush */
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	iommu_iotlb_flush_domain(pt_domain_tag(iommu_xlate_domain(iommu_dev_pasid(
					 iommu_dir_lookup(&fx.ctx->iommu_dir, fx.dev), 0))),
				 0, UINT64_MAX);
	assert_int_equal(peek(&fx, 0, 0, &flt), -EFAULT);
	ste[0] = saved[0];
	assert_int_equal(peek(&fx, 0, 1, &flt), 'A');
	/* replace rewrites S2TTB and S2VMID; detach clears V */
	assert_int_equal(ioasid_device_replace(fx.ctx, fx.dev, fx.hwpt[1], NULL), 0);
	assert_int_equal(peek(&fx, 0, 2, &flt), 'B');
	assert_true(ste[3] != saved[3] && (ste[2] & 0xffff) != (saved[2] & 0xffff));
	assert_int_equal(ioasid_device_detach(fx.ctx, fx.dev), 0);
	assert_int_equal(le64toh(ste[0]) & 1, 0);
	dev_close(&fx);
}

/*
 * Nested STEs on a stage-2 device: the guest's STE (stage 1: a CD table at IPA IOVA, page 0,
 * whose CD 0 has V clear) becomes Config 0b111 with the guest's stage-1 fields; the walk
 * reads them from the host STE: a CD not valid is not present at the PASID level; the host
 * STE's S1ContextPtr moved to an IPA stage 2 does not map is a stage-2 fault at that IPA. A
 * guest STE that bypasses becomes Config stage 2: DMA lands at the IPA.
 */
static void test_smmu_nested_ste(void **state)
{
	struct ioasid_device_desc desc = { .format = "arm-s2-4k-48" };
	struct iommu_hwpt_arm_smmuv3 g = { 0 };
	struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 1 };
	struct iommu_hwpt_alloc pa = { .size = sizeof(pa), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_hwpt_alloc na = { .size = sizeof(na),
				       .data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
				       .data_len = sizeof(g),
				       .data_uptr = (uintptr_t)&g };
	struct ioasid_dma_fault flt;
	struct iommu_fault f;
	struct smmu_ste st;
	struct dev_fix fx;
	uint64_t *ste, saved0;
	uint32_t bypass, s1;

	(void)state;
	dev_open_desc(&fx, &desc);
	pa.dev_id = fx.dev;
	pa.pt_id = fx.ioas[0];
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &pa), 0);
	va.dev_id = fx.dev;
	va.hwpt_id = pa.out_hwpt_id;
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = fx.dev;
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	na.dev_id = fx.dev;
	na.pt_id = va.out_viommu_id;
	g.ste[0] = htole64(1 | STE_CFG(5) | IOVA); /* V, stage 1, S1ContextPtr: linear, 1 CD */
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &na), 0);
	s1 = na.out_hwpt_id;
	g.ste[0] = htole64(1 | STE_CFG(4)); /* bypass */
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &na), 0);
	bypass = na.out_hwpt_id;
	memset(fx.buf[0], 0, 64); /* CD 0: V clear */
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, s1, NULL), 0);
	ste = H(dev_ctx_pa(&fx));
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.cfg, 7);
	assert_int_equal(st.w[0] & UINT64_C(0x000fffffffffffc0), IOVA);
	assert_true(st.s2aa64 && st.s2ttb != 0);
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(flt.level, F_CTX_PASID);
	saved0 = ste[0];
	ste[0] = htole64((le64toh(saved0) & ~UINT64_C(0x000fffffffffffc0)) | 0x40000000);
	assert_int_equal(peek(&fx, 0, 1, &flt), -EFAULT);
	assert_int_equal(flt.stage, 2);
	assert_int_equal(flt.addr, 0x40000000);
	ste[0] = saved0;
	/* the guest's bypass: Config stage 2 in the host STE, DMA at the IPA */
	assert_int_equal(ioasid_device_replace(fx.ctx, fx.dev, bypass, NULL), 0);
	assert_int_equal(smmu_ste_decode(NULL, N(ste), 0, &st, &f), 0);
	assert_int_equal(st.cfg, 6);
	assert_int_equal(peek(&fx, 0, 1, &flt), 'A');
	dev_close(&fx);
}

/*
 * PASIDs on their own on a device whose model's paging domains cannot serve one, refused at
 * attach with the kernel's errno (Linux 6.12): an AMD v1 domain has no set_dev_pasid
 * (iommu_attach_device_pasid: EOPNOTSUPP); an SMMUv3 stage-2 domain is not stage 1
 * (arm_smmu_s1_set_dev_pasid: EINVAL). The compatibility rule (an HWPT without
 * IOMMU_HWPT_ALLOC_PASID: EINVAL) comes first. Nothing changes: the device's entry is the
 * same bytes, no PASID is recorded, DMA at the PASID finds nothing, the RID still works.
 */
static void pasid_refused(const char *format, int want)
{
	struct ioasid_device_desc desc = { .format = format, .flags = IOASID_DEVICE_PASID };
	struct iommu_hwpt_alloc h = { .size = sizeof(h) };
	struct ioasid_dma_fault flt;
	uint64_t before[4];
	struct dev_fix fx;
	const uint64_t *root;

	dev_open_desc(&fx, &desc);
	h.dev_id = fx.dev;
	h.pt_id = fx.ioas[1];
	assert_int_equal(ioasid_ioctl(fx.ctx, IOMMU_HWPT_ALLOC, &h), 0); /* no ALLOC_PASID */
	/* nothing on the RID yet: the model refuses all the same */
	assert_int_equal(ioasid_device_pasid_attach(fx.ctx, fx.dev, 7, fx.hwpt[1], NULL), -1);
	assert_int_equal(errno, want);
	assert_int_equal(ioasid_device_attach(fx.ctx, fx.dev, fx.hwpt[0], NULL), 0);
	assert_int_equal(peek(&fx, 0, 0, &flt), 'A');
	root = H(dev_ctx_pa(&fx));
	memcpy(before, root, sizeof(before));
	assert_int_equal(ioasid_device_pasid_attach(fx.ctx, fx.dev, 7, h.out_hwpt_id, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ioasid_device_pasid_attach(fx.ctx, fx.dev, 7, fx.hwpt[1], NULL), -1);
	assert_int_equal(errno, want);
	assert_int_equal(ioasid_device_pasid_attach(fx.ctx, fx.dev, 7, fx.hwpt[0], NULL), -1);
	assert_int_equal(errno, want);
	assert_int_equal(ioasid_device_pasid_replace(fx.ctx, fx.dev, 7, fx.hwpt[0], NULL), -1);
	assert_int_equal(errno, EINVAL); /* nothing there to replace */
	assert_memory_equal(before, root, sizeof(before));
	assert_null(iommu_dev_pasid(iommu_dir_lookup(&fx.ctx->iommu_dir, fx.dev), 7));
	assert_int_equal(peek(&fx, 7, 0, &flt), -ENODEV);
	assert_int_equal(peek(&fx, 0, 1, &flt), 'A');
	/* the RID moves on as before */
	assert_int_equal(ioasid_device_replace(fx.ctx, fx.dev, fx.hwpt[1], NULL), 0);
	assert_int_equal(peek(&fx, 0, 2, &flt), 'B');
	dev_close(&fx);
}

static void test_pasid_refused(void **state)
{
	(void)state;
	pasid_refused("amd-v1-4", EOPNOTSUPP);
	pasid_refused("amd-v1-3", EOPNOTSUPP);
	pasid_refused("arm-s2-4k-48", EINVAL);
	pasid_refused("arm-s2-4k-40-concat", EINVAL);
}

/* ---- every address the structures hold is a name ------------------------------------------- */

/* The structure arena's accounting and the region table's, to compare before and after. */
struct ctx_usage {
	size_t regions, ids, pages;
	uint64_t bytes;
};

static void ctx_usage(struct ctx_usage *u)
{
	struct pt_arena *a = iommu_ctx_arena();

	assert_non_null(a);
	iommu_phys_usage(&u->regions, &u->ids);
	u->pages = pt_arena_live_pages(a);
	u->bytes = pt_arena_live_bytes(a);
}

/* Every model's own entry: a name of the structure arena, never the struct's pointer; nothing
 * it made stays behind after the device goes. */
static void test_names_roots(void **state)
{
	static const struct {
		const char *format;
		uint32_t flags;
	} kinds[] = {
		{ "vtd-ss-4", IOASID_DEVICE_PASID },
		{ "x86_64-4", IOASID_DEVICE_PASID },
		{ "arm-s1-4k-48", IOASID_DEVICE_PASID },
		{ "riscv-sv48", IOASID_DEVICE_PASID },
		{ "amd-v1-4", 0 },
		{ "arm-s2-4k-48", 0 },
		{ "tce-4k", 0 },
	};
	const struct iommu_phys_region *arena;
	struct ctx_usage u0, u;

	(void)state;
	ctx_usage(&u0);
	arena = pt_arena_region(iommu_ctx_arena());
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct ioasid_device_desc desc = { .format = kinds[i].format,
						   .flags = kinds[i].flags };
		struct ioasid_dma_fault flt;
		struct dev_fix d;
		uint64_t root;
		void *host;

		dev_open_desc(&d, &desc);
		assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
		if (kinds[i].flags)
			assert_int_equal(
				ioasid_device_pasid_attach(d.ctx, d.dev, 300, d.hwpt[1], NULL), 0);
		assert_int_equal(peek(&d, 0, 0, &flt), 'A');
		root = dev_ctx_pa(&d);
		host = H(root);
		assert_int_not_equal(root, (uintptr_t)host);
		assert_ptr_equal(iommu_phys_region_of(root), arena);
		assert_null(iommu_phys_resolve((uintptr_t)host, 8));
		dev_close(&d);
		ctx_usage(&u);
		assert_int_equal(u.regions, u0.regions);
		assert_int_equal(u.ids, u0.ids);
		assert_int_equal(u.pages, u0.pages);
		assert_int_equal(u.bytes, u0.bytes);
	}
}

/* A forged entry: the host pointer of the right table, written where a name belongs. */
static void expect_forged(struct dev_fix *d, uint32_t pasid, unsigned int page, uint32_t level)
{
	struct ioasid_dma_fault flt;

	assert_int_equal(peek(d, pasid, page, &flt), -EFAULT);
	assert_int_equal(flt.type, IOASID_DMA_FAULT_BAD_CONTEXT);
	assert_int_equal(flt.stage, 1);
	assert_int_equal(flt.level, level);
}

static void test_names_vtd(void **state)
{
	struct ioasid_dma_fault flt;
	struct vtd_pasid_entry e;
	struct iommu_fault f;
	struct ctx_usage u0, u;
	uint64_t *ctx, *dir, *table, c0, d0;
	struct dev_fix d;

	(void)state;
	ctx_usage(&u0);
	dev_open(&d);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 7, d.hwpt[1], NULL), 0);
	/* context entry -> PASID directory -> PASID table: names that resolve to the tables */
	ctx = H(dev_ctx_pa(&d));
	c0 = le64toh(ctx[0]);
	dir = H(c0 & ~UINT64_C(0xfff));
	assert_int_not_equal(c0 & ~UINT64_C(0xfff), (uintptr_t)dir);
	d0 = le64toh(dir[0]);
	table = H(d0 & ~UINT64_C(0xfff));
	assert_int_not_equal(d0 & ~UINT64_C(0xfff), (uintptr_t)table);
	assert_ptr_equal(dev_pe(&d, 7), table + 7 * 8);
	assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 7, &e, &f), 0);
	assert_int_equal(e.pgtt, VTD_PGTT_SS);
	/* PASIDDIRPTR forged: a bad context at the device level, nothing read */
	ctx[0] = htole64((c0 & UINT64_C(0xfff)) | (uintptr_t)dir);
	expect_forged(&d, 0, 1, F_CTX_DEVICE);
	expect_forged(&d, 7, 1, F_CTX_DEVICE);
	assert_int_equal(lookup(NULL, dev_ctx_pa(&d), 7, &e, &f), -EFAULT);
	assert_int_equal(f.type, IOMMU_FAULT_BAD_CTX);
	assert_int_equal(f.level, F_CTX_DEVICE);
	assert_int_equal(f.addr, 0x1234000);
	ctx[0] = htole64(c0);
	/* the directory entry's SMPTBLPTR forged: bad context at the directory level */
	dir[0] = htole64((d0 & UINT64_C(0xfff)) | (uintptr_t)table);
	expect_forged(&d, 0, 1, F_CTX_PASID_DIR);
	expect_forged(&d, 7, 1, F_CTX_PASID_DIR);
	/* a name past the arena's mapped part, and 0 + P: the same */
	dir[0] = htole64(d0 + (UINT64_C(1) << 29));
	expect_forged(&d, 7, 1, F_CTX_PASID_DIR);
	dir[0] = htole64(1);
	expect_forged(&d, 7, 1, F_CTX_PASID_DIR);
	dir[0] = htole64(d0);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	assert_int_equal(peek(&d, 7, 1, &flt), 'B');
	dev_close(&d);
	ctx_usage(&u);
	assert_int_equal(u.pages, u0.pages);
	assert_int_equal(u.regions, u0.regions);
}

static void test_names_smmu(void **state)
{
	struct ioasid_device_desc desc = { .format = "arm-s1-4k-48", .flags = IOASID_DEVICE_PASID };
	const uint64_t ctxptr = UINT64_C(0x000fffffffffffc0), l2ptr = UINT64_C(0x000ffffffffff000);
	struct ioasid_dma_fault flt;
	struct ctx_usage u0, u;
	uint64_t *ste, *l1, *leaf, s0, l0;
	struct dev_fix d;

	(void)state;
	ctx_usage(&u0);
	dev_open_desc(&d, &desc);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 9, d.hwpt[1], NULL), 0);
	ste = H(dev_ctx_pa(&d));
	s0 = ste[0]; /* CPU order */
	l1 = H(s0 & ctxptr);
	assert_int_not_equal(s0 & ctxptr, (uintptr_t)l1);
	l0 = le64toh(l1[0]);
	leaf = H(l0 & l2ptr);
	assert_int_not_equal(l0 & l2ptr, (uintptr_t)leaf);
	/* S1ContextPtr forged: bad context at the device level */
	ste[0] = (s0 & ~ctxptr) | ((uintptr_t)l1 & ctxptr);
	expect_forged(&d, 0, 1, F_CTX_DEVICE);
	expect_forged(&d, 9, 1, F_CTX_DEVICE);
	ste[0] = s0;
	/* L1 descriptor's L2Ptr forged: bad context at the directory level */
	l1[0] = htole64((l0 & ~l2ptr) | ((uintptr_t)leaf & l2ptr));
	expect_forged(&d, 0, 1, F_CTX_PASID_DIR);
	expect_forged(&d, 9, 1, F_CTX_PASID_DIR);
	l1[0] = htole64(l0);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	assert_int_equal(peek(&d, 9, 1, &flt), 'B');
	dev_close(&d);
	ctx_usage(&u);
	assert_int_equal(u.pages, u0.pages);
	assert_int_equal(u.regions, u0.regions);
}

static void test_names_riscv(void **state)
{
	struct ioasid_device_desc desc = { .format = "riscv-sv48", .flags = IOASID_DEVICE_PASID };
	const uint64_t ppn = (UINT64_C(1) << 44) - 1;
	struct ioasid_dma_fault flt;
	struct ctx_usage u0, u;
	uint64_t *dc, *pdt2, *pdt1, fsc, e2;
	struct dev_fix d;

	(void)state;
	ctx_usage(&u0);
	dev_open_desc(&d, &desc);
	assert_int_equal(ioasid_device_attach(d.ctx, d.dev, d.hwpt[0], NULL), 0);
	assert_int_equal(ioasid_device_pasid_attach(d.ctx, d.dev, 300, d.hwpt[1], NULL), 0);
	dc = H(dev_ctx_pa(&d));
	fsc = le64toh(dc[3]);
	pdt2 = H((fsc & ppn) << 12);
	assert_int_not_equal((fsc & ppn) << 12, (uintptr_t)pdt2);
	e2 = le64toh(pdt2[0]);
	pdt1 = H(((e2 >> 10) & ppn) << 12);
	/* DC.fsc's PPN forged: bad context at the device level */
	dc[3] = htole64((fsc & ~ppn) | (uintptr_t)pdt2 >> 12);
	expect_forged(&d, 0, 1, F_CTX_DEVICE);
	expect_forged(&d, 300, 1, F_CTX_DEVICE);
	dc[3] = htole64(fsc);
	/* a PDT entry's PPN forged: bad context at the directory level */
	pdt2[0] = htole64((e2 & 0x3ff) | ((uintptr_t)pdt1 >> 12) << 10);
	expect_forged(&d, 300, 1, F_CTX_PASID_DIR);
	pdt2[0] = htole64(e2);
	assert_int_equal(peek(&d, 0, 1, &flt), 'A');
	assert_int_equal(peek(&d, 300, 1, &flt), 'B');
	dev_close(&d);
	ctx_usage(&u);
	assert_int_equal(u.pages, u0.pages);
	assert_int_equal(u.regions, u0.regions);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtd_pgtt),	 cmocka_unit_test(test_vtd_through_stage2),
		cmocka_unit_test(test_vtd_device),	 cmocka_unit_test(test_riscv_formats),
		cmocka_unit_test(test_riscv_device),	 cmocka_unit_test(test_power_device),
		cmocka_unit_test(test_smmu_device),	 cmocka_unit_test(test_amd_formats),
		cmocka_unit_test(test_amd_device),	 cmocka_unit_test(test_amd_nested_dte),
		cmocka_unit_test(test_smmu_ste_formats), cmocka_unit_test(test_smmu_s2_device),
		cmocka_unit_test(test_smmu_nested_ste),	 cmocka_unit_test(test_vtd_first_stage),
		cmocka_unit_test(test_pasid_refused),	 cmocka_unit_test(test_names_roots),
		cmocka_unit_test(test_names_vtd),	 cmocka_unit_test(test_names_smmu),
		cmocka_unit_test(test_names_riscv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
