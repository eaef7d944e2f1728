/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect_pt.c - a paging HWPT's page table as the hardware reads it.
 *
 * Two views. The table dump lists every table from the root down, in IOVA order, and in
 * each the entries that are not zero: index, the IOVA span the entry covers, its raw value,
 * what the format's decoder makes of it (table or leaf, output address, leaf size,
 * permissions, dirty) and its bits under the names the format's specification gives them
 * (src/pt/pt_dump.c). The walk follows one IOVA from the root to the entry that ends it, as
 * the IOMMU would, and then asks the domain itself (iova_to_phys) what it translates to, so
 * the two answers can be compared.
 *
 * A table can hold millions of entries; the dump stops after INSPECT_PT_MAX_ENTRIES and
 * says so ("truncated"). Domains that are not in a page-table format (none today) answer
 * EOPNOTSUPP.
 */
#include "inspect/inspect_int.h"
#include "pt/pt_dump.h"

static const char *kind_name(enum pt_entry_kind k)
{
	return k == PT_ENTRY_TABLE ? "table" : k == PT_ENTRY_LEAF ? "leaf" : "empty";
}

void inspect_domain_brief(const struct iommu_domain *d, struct json_object *o)
{
	struct json_object *ranges = json_object_new_array();
	struct pt_hw_info hw;

	for (unsigned int i = 0; i < d->nr_ranges && i < IOMMU_DOMAIN_MAX_RANGES; i++)
		json_object_array_add(ranges, inspect_range(d->ranges[i].start, d->ranges[i].last));
	if (!pt_is_domain(d) || pt_domain_hw_info(d, &hw)) {
		jadd_str(o, "format", "unknown");
		jadd(o, "domain_ranges", ranges);
		return;
	}
	jadd_str(o, "format", pt_format_name(hw.format));
	jadd_u64(o, "levels", hw.levels);
	jadd_u64(o, "input_bits", hw.input_bits);
	jadd_hex(o, "root", hw.root_pa);
	jadd_u64(o, "mode", hw.mode);
	jadd_hex(o, "hw_word", hw.hw_word);
	jadd_bool(o, "dirty_tracking", hw.dirty_tracking);
	jadd_u64(o, "table_pages", pt_domain_table_pages(d));
	jadd_hex(o, "pgsize_bitmap", d->pgsize_bitmap);
	jadd(o, "domain_ranges", ranges);
}

/* The entry's bits by name: one-bit fields that are set, wider fields that are not zero. */
static void describe_bits(const struct iommu_domain *d, const struct pt_entry_info *info,
			  uint64_t value, struct json_object *o)
{
	unsigned int n, use = info->kind == PT_ENTRY_TABLE ? PT_FIELD_TABLE : PT_FIELD_LEAF;
	const struct pt_field *f = pt_dump_fields(d, &n);
	struct json_object *flags = json_object_new_array(), *fields = json_object_new_object();

	for (unsigned int i = 0; i < n; i++) {
		uint64_t v = pt_field_get(&f[i], value);

		if (!(f[i].use & use) || !v)
			continue;
		if (f[i].use & PT_FIELD_ADDR)
			jadd_hex(fields, f[i].name, v << f[i].lo); /* an address: in place */
		else if (f[i].lo == f[i].hi)
			json_object_array_add(flags, json_object_new_string(f[i].name));
		else
			jadd_hex(fields, f[i].name, v);
	}
	jadd(o, "flags", flags);
	jadd(o, "fields", fields);
}

static struct json_object *describe_entry(const struct iommu_domain *d, unsigned int level,
					  unsigned int index, uint64_t value,
					  const struct pt_entry_info *info)
{
	struct json_object *o = json_object_new_object();

	jadd_u64(o, "level", level);
	jadd_u64(o, "index", index);
	jadd_hex(o, "value", value);
	jadd_str(o, "kind", kind_name(info->kind));
	if (info->kind == PT_ENTRY_TABLE) {
		jadd_hex(o, "next_table", info->oa);
	} else if (info->kind == PT_ENTRY_LEAF) {
		jadd_hex(o, "oa", info->oa);
		jadd_u64(o, "leaf_size", info->size_lg2 < 64 ? UINT64_C(1) << info->size_lg2 : 0);
		if (info->contig_index)
			jadd_u64(o, "contig_index", info->contig_index);
		jadd(o, "prot", inspect_prot(info->prot));
		jadd_bool(o, "dirty", info->dirty);
	}
	if (info->kind != PT_ENTRY_EMPTY)
		describe_bits(d, info, value, o);
	return o;
}

struct dump_ctx {
	const struct iommu_domain *d;
	struct json_object *tables;
	struct json_object *cur[PT_MAX_LEVELS]; /* entries of the table listed at each level */
	unsigned long nentries;
	bool truncated;
};

static bool dump_visit(void *arg, unsigned int level, uint64_t table_pa,
		       const struct pt_dump_entry *e)
{
	struct dump_ctx *dc = arg;
	struct json_object *o;

	if (!e) {
		o = json_object_new_object();
		jadd_u64(o, "level", level);
		jadd_hex(o, "pa", table_pa);
		dc->cur[level] = json_object_new_array();
		jadd(o, "entries", dc->cur[level]);
		json_object_array_add(dc->tables, o);
		return true;
	}
	if (dc->nentries >= INSPECT_PT_MAX_ENTRIES) {
		dc->truncated = true;
		return false;
	}
	dc->nentries++;
	o = describe_entry(dc->d, level, e->index, e->value, &e->info);
	jadd_hex(o, "iova", e->iova);
	jadd_hex(o, "iova_last", e->iova_last);
	json_object_array_add(dc->cur[level], o);
	return true;
}

static struct json_object *geometry(const struct iommu_domain *d)
{
	struct json_object *arr = json_object_new_array();
	unsigned int levels = pt_domain_levels(d);

	for (unsigned int l = levels; l-- > 0;) {
		struct pt_level_info li;
		struct json_object *o;

		if (pt_domain_level_info(d, l, &li))
			continue;
		o = json_object_new_object();
		jadd_u64(o, "level", l);
		jadd_u64(o, "entry_shift", li.shift);
		jadd_u64(o, "entries", UINT64_C(1) << li.bits);
		jadd_u64(o, "table_bytes", UINT64_C(1) << li.table_lg2);
		jadd_hex(o, "leaf_sizes", li.leaf_sizes);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *hwpt_head(struct hwpt_paging *hwpt)
{
	struct json_object *o = json_object_new_object();

	jadd_u64(o, "id", hwpt->obj.id);
	jadd_str(o, "type", "hwpt_paging");
	jadd(o, "ioas", hwpt->ioas ? json_object_new_uint64(hwpt->ioas->obj.id) : NULL);
	inspect_domain_brief(hwpt->domain, o);
	return o;
}

int inspect_pt_tables(struct hwpt_paging *hwpt, struct json_object **out)
{
	struct dump_ctx dc = { .d = hwpt->domain };
	struct json_object *o;

	if (!hwpt->domain || !pt_is_domain(hwpt->domain))
		return -EOPNOTSUPP;
	o = hwpt_head(hwpt);
	jadd(o, "geometry", geometry(hwpt->domain));
	dc.tables = json_object_new_array();
	pt_dump_walk(hwpt->domain, dump_visit, &dc);
	jadd(o, "tables", dc.tables);
	jadd_u64(o, "entries", dc.nentries);
	jadd_bool(o, "truncated", dc.truncated);
	*out = o;
	return 0;
}

static int walk_one(struct hwpt_paging *hwpt, uint64_t iova, struct json_object **out)
{
	const struct iommu_domain *d = hwpt->domain;
	struct json_object *o, *steps, *res;
	uint64_t pa, leaf;
	struct pt_path path;
	int prot, rc;

	if (!d || !pt_is_domain(d))
		return -EOPNOTSUPP;
	o = hwpt_head(hwpt);
	jadd_hex(o, "iova", iova);
	rc = pt_domain_walk_path(d, iova, &path);
	steps = json_object_new_array();
	for (unsigned int l = path.top + 1; !rc && l-- > path.end_level;) {
		const struct pt_path_step *st = &path.step[l];
		struct json_object *s = describe_entry(d, l, st->index, st->value, &st->info);

		jadd_hex(s, "table", st->table_pa);
		jadd_hex(s, "entry_pa", st->entry_pa);
		json_object_array_add(steps, s);
	}
	jadd(o, "steps", steps);
	res = json_object_new_object();
	if (rc) {
		jadd_str(res, "status", "outside the domain's IOVA ranges");
		jadd_bool(res, "mapped", false);
	} else if (d->ops->iova_to_phys((struct iommu_domain *)d, iova, &pa, &leaf, &prot)) {
		jadd_str(res, "status", "not mapped");
		jadd_bool(res, "mapped", false);
	} else {
		jadd_str(res, "status", "mapped");
		jadd_bool(res, "mapped", true);
		jadd_hex(res, "pa", pa);
		jadd_u64(res, "leaf_size", leaf);
		jadd_u64(res, "leaf_level", path.end_level);
		jadd(res, "prot", inspect_prot(prot));
	}
	jadd(o, "result", res);
	*out = o;
	return 0;
}

int inspect_pt(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct json_object *v;
	struct obj *obj;
	uint64_t id, iova = 0;
	bool has_iova;

	if (!json_object_object_get_ex(req, "id", &v) || inspect_get_u64(v, &id) || !id ||
	    id > UINT32_MAX)
		return -EINVAL;
	has_iova = json_object_object_get_ex(req, "iova", &v) && v;
	if (has_iova && inspect_get_u64(v, &iova))
		return -EINVAL;
	obj = idt_lookup(ctx->objects, (uint32_t)id);
	if (!obj)
		return -ENOENT;
	if (obj->type != OBJ_HWPT_PAGING)
		return -ENODEV;
	if (has_iova)
		return walk_one(container_of(obj, struct hwpt_paging, obj), iova, out);
	return inspect_pt_tables(container_of(obj, struct hwpt_paging, obj), out);
}
