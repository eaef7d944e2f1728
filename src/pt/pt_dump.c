/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_dump.c - walking a pt domain's tables read-only, and each format's entry layout.
 *
 * The visitor goes depth first from the root, so entries come out in IOVA order with each
 * table's entries right after the entry that points at it. It decodes entries with the
 * format's own decoder (the one the walker is compiled with), so what it reports is what
 * map, unmap and the hardware walk see. It never writes.
 *
 * IOVA of an entry: the walker indexes only the bits below the tree's input width, so an
 * entry's IOVA is the sum of its indexes shifted by their levels, then placed in the domain
 * range it belongs to: x86-64's upper canonical half sign-extends, a POWER TCE window adds
 * its bus offset. Both follow from the domain's ranges, without a case per format.
 *
 * The field tables restate docs/formats.md ("Bits written"); the specifications named there
 * are the authority. A field that is one bit wide is a flag; a dump prints flags by name.
 * The tables stop at the first row with a NULL name.
 */
#include "pt/pt_dump.h"
#include "pt/pt_int.h"

/* ---- entry layouts ------------------------------------------------------------------- */

#define L  PT_FIELD_LEAF
#define T  PT_FIELD_TABLE
#define A  PT_FIELD_ANY
#define AD (PT_FIELD_ANY | PT_FIELD_ADDR)

static const struct pt_field fields_x86_64[] = {
	{ "P", 0, 0, A },   { "R/W", 1, 1, A },	    { "U/S", 2, 2, A },	 { "PWT", 3, 3, A },
	{ "PCD", 4, 4, A }, { "A", 5, 5, A },	    { "D", 6, 6, L },	 { "PS", 7, 7, A },
	{ "G", 8, 8, L },   { "addr", 12, 51, AD }, { "XD", 63, 63, A }, { NULL, 0, 0, 0 },
};

static const struct pt_field fields_vtd_ss[] = {
	{ "R", 0, 0, A }, { "W", 1, 1, A },	{ "PS", 7, 7, A },	{ "A", 8, 8, A },
	{ "D", 9, 9, L }, { "SNP", 11, 11, L }, { "addr", 12, 51, AD }, { NULL, 0, 0, 0 },
};

static const struct pt_field fields_mock[] = {
	{ "P", 0, 0, A }, { "R", 1, 1, L }, { "W", 2, 2, L },	   { "H", 3, 3, L },
	{ "D", 4, 4, L }, { "C", 5, 5, L }, { "addr", 6, 63, AD }, { NULL, 0, 0, 0 },
};

static const struct pt_field fields_riscv[] = {
	{ "V", 0, 0, A },   { "R", 1, 1, L },	  { "W", 2, 2, L },	 { "X", 3, 3, L },
	{ "U", 4, 4, L },   { "G", 5, 5, A },	  { "A", 6, 6, L },	 { "D", 7, 7, L },
	{ "RSW", 8, 9, A }, { "PPN", 10, 53, A }, { "PBMT", 61, 62, L }, { "N", 63, 63, L },
	{ NULL, 0, 0, 0 },
};

static const struct pt_field fields_amd_v1[] = {
	{ "PR", 0, 0, A },	{ "A", 5, 5, A },   { "D", 6, 6, L },	 { "NL", 9, 11, A },
	{ "addr", 12, 51, AD }, { "U", 59, 59, L }, { "FC", 60, 60, L }, { "IR", 61, 61, A },
	{ "IW", 62, 62, A },	{ NULL, 0, 0, 0 },
};

static const struct pt_field fields_arm_lpae[] = {
	{ "valid", 0, 0, A },	   { "type", 1, 1, A },		{ "AttrIndx/MemAttr", 2, 5, L },
	{ "AP1/S2AP_R", 6, 6, L }, { "AP2/S2AP_W", 7, 7, L },	{ "SH", 8, 9, L },
	{ "AF", 10, 10, L },	   { "nG", 11, 11, L },		{ "addr", 12, 47, AD },
	{ "DBM", 51, 51, L },	   { "Contiguous", 52, 52, L }, { "PXN", 53, 53, L },
	{ "UXN/XN", 54, 54, L },   { NULL, 0, 0, 0 },
};

static const struct pt_field fields_tce[] = {
	{ "READ", 0, 0, A },
	{ "WRITE", 1, 1, A },
	{ "RPN", 12, 51, A },
	{ NULL, 0, 0, 0 },
};

#undef L
#undef T
#undef A
#undef AD

static const struct pt_field *const fields_by_format[PT_FMT_NR] = {
	[PT_FMT_X86_64] = fields_x86_64, [PT_FMT_VTD_SS] = fields_vtd_ss,
	[PT_FMT_MOCK] = fields_mock,	 [PT_FMT_ARM_LPAE] = fields_arm_lpae,
	[PT_FMT_RISCV] = fields_riscv,	 [PT_FMT_AMD_V1] = fields_amd_v1,
	[PT_FMT_TCE] = fields_tce,
};

const struct pt_field *pt_dump_fields(const struct iommu_domain *d, unsigned int *out_n)
{
	const struct pt_field *f;
	unsigned int n = 0;

	*out_n = 0;
	if (!pt_is_domain(d))
		return NULL;
	f = fields_by_format[to_pt_const(d)->cfg.format];
	if (!f)
		return NULL;
	while (f[n].name)
		n++;
	*out_n = n;
	return f;
}

/* ---- the visitor --------------------------------------------------------------------- */

struct dump_walk {
	const struct pt_domain *pd;
	pt_dump_fn fn;
	void *arg;
	bool big_endian;
	unsigned int width; /* input bits the tree indexes */
};

/* Only POWER TCE tables hold big-endian entries (PTF_BIG_ENDIAN in fmt_tce.c). */
static bool format_big_endian(enum pt_format fmt)
{
	return fmt == PT_FMT_TCE;
}

static uint64_t dump_load(const struct dump_walk *w, const uint64_t *slot)
{
	uint64_t raw = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	return w->big_endian ? be64toh(raw) : le64toh(raw);
}

/* Place the tree-relative IOVA in the domain range whose upper bits it takes. */
static uint64_t dump_place(const struct dump_walk *w, uint64_t rel)
{
	const struct iommu_domain *d = &w->pd->dom;
	uint64_t high_mask;

	if (w->width >= 64)
		return rel;
	high_mask = ~pt_lg2_mask(w->width);
	for (unsigned int i = 0; i < d->nr_ranges; i++) {
		const struct iommu_iova_range *r = &d->ranges[i];
		uint64_t iova = rel | (r->start & high_mask);

		if ((r->start & high_mask) == (r->last & high_mask) && iova >= r->start &&
		    iova <= r->last)
			return iova;
	}
	return rel;
}

static int dump_table(const struct dump_walk *w, const uint64_t *table, unsigned int lvl,
		      uint64_t base)
{
	const struct pt_level *gl = &w->pd->lvl[lvl];
	size_t n = (size_t)1 << gl->bits;

	if (!w->fn(w->arg, lvl, pt_tbl_pa(w->pd, table), NULL))
		return 1;
	for (size_t i = 0; i < n; i++) {
		struct pt_dump_entry e = { .level = lvl, .index = (unsigned int)i };
		uint64_t rel = base | ((uint64_t)i << gl->shift);

		e.value = dump_load(w, &table[i]);
		if (!e.value)
			continue;
		e.table_pa = pt_tbl_pa(w->pd, table);
		e.iova = dump_place(w, rel);
		e.iova_last = e.iova + pt_lg2_mask(gl->shift);
		w->pd->desc->decode(w->pd, lvl, e.value, &e.info);
		if (!w->fn(w->arg, lvl, e.table_pa, &e))
			return 1;
		if (e.info.kind == PT_ENTRY_TABLE && lvl > 0) {
			int rc = dump_table(w, pt_tbl_ptr(w->pd, e.info.oa), lvl - 1, rel);

			if (rc)
				return rc;
		}
	}
	return 0;
}

int pt_dump_walk(const struct iommu_domain *d, pt_dump_fn fn, void *arg)
{
	struct dump_walk w = { .fn = fn, .arg = arg };
	unsigned int top;

	if (!pt_is_domain(d))
		return -EINVAL;
	w.pd = to_pt_const(d);
	w.big_endian = format_big_endian(w.pd->cfg.format);
	top = w.pd->levels - 1;
	w.width = w.pd->lvl[top].shift + w.pd->lvl[top].bits;
	if (!w.pd->root)
		return 0;
	return dump_table(&w, w.pd->root, top, 0);
}
