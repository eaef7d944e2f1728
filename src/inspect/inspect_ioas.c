/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect_ioas.c - an IOAS as a map: its areas, its allowed and reserved ranges, and the
 * IOVA ranges IOMMU_IOAS_IOVA_RANGES gives a program.
 *
 * An area is reported with its IOVA range, its backing (the client's memory at an address,
 * or a file at an offset), its permissions, and how many of its pages are pinned now. A
 * page is pinned while any holder keeps it (the IOAS's domains once the area is filled,
 * or an access), so "pinned" counts the area's pages whose pin count is not zero, whoever
 * holds them.
 *
 * Words as in core/private.h: [start, last] with last inclusive; an area's pages begin at
 * start_byte inside its pages object.
 */
#include "inspect/inspect_int.h"

/* Pages of [first, last] (indexes into p) held pinned by anyone. */
static uint64_t pinned_in(const struct pages *p, uint64_t first, uint64_t last)
{
	if (!p->npinned || first >= p->npages)
		return 0;
	if (last >= p->npages)
		last = p->npages - 1;
	return scount_count_nonzero(&p->pinrefs, first, last);
}

static struct json_object *describe_area(const struct iopt_area *a)
{
	uint64_t iova = iopt_area_iova(a), last = iopt_area_last(a);
	struct json_object *o = inspect_range(iova, last);
	const struct pages *p = a->pages;

	jadd(o, "prot", inspect_prot(a->prot));
	jadd_bool(o, "filled", a->filled);
	jadd_u64(o, "access_pins", a->num_accesses);
	if (!p) {
		jadd_str(o, "backing", "none");
		return o;
	}
	if (p->kind == PAGES_FILE) {
		jadd_str(o, "backing", "file");
		jadd_hex(o, "file_offset", p->file_start + a->start_byte);
	} else {
		jadd_str(o, "backing", "user");
		jadd_hex(o, "user_va", p->uptr + a->start_byte);
	}
	{
		uint64_t first = a->start_byte >> IOASID_PAGE_SHIFT;
		uint64_t end_byte = a->start_byte + (last - iova); /* no wrap: inside pages */
		uint64_t lastp = end_byte >> IOASID_PAGE_SHIFT;
		uint64_t pinned = pinned_in(p, first, lastp);

		jadd_u64(o, "pages", lastp - first + 1);
		jadd_u64(o, "pinned_pages", pinned);
		jadd_bool(o, "pinned", pinned == lastp - first + 1);
	}
	return o;
}

static bool range_emit(void *arg, uint64_t start, uint64_t last)
{
	json_object_array_add(arg, inspect_range(start, last));
	return true;
}

static const char *reserved_owner(const struct iopt *iopt, const struct iopt_reserved *r)
{
	if (!r->owner)
		return "test";
	for (unsigned int i = 0; i < iopt->ndomains; i++)
		if (r->owner == iopt->domains[i])
			return "domain";
	return "device";
}

void inspect_ioas_brief(struct obj *obj, struct json_object *o)
{
	struct ioas *ioas = container_of(obj, struct ioas, obj);
	struct json_object *hwpts = json_object_new_array();
	uint64_t nareas = 0, bytes = 0, naccess = 0;

	for (struct itree_node *n = itree_first(&ioas->iopt.areas); n; n = itree_next(n)) {
		nareas++;
		bytes += n->last - n->start + 1;
	}
	for (struct iopt_access *ia = ioas->iopt.accesses; ia; ia = ia->next)
		naccess++;
	for (struct hwpt_paging *h = ioas->hwpts; h; h = h->ioas_next)
		json_object_array_add(hwpts, json_object_new_uint64(h->obj.id));
	jadd_u64(o, "areas", nareas);
	jadd_u64(o, "mapped_bytes", bytes);
	jadd_u64(o, "domains", ioas->iopt.ndomains);
	jadd_u64(o, "accesses", naccess);
	jadd(o, "hwpts", hwpts);
}

int inspect_ioas_one(struct ioas *ioas, struct json_object **out)
{
	struct iopt *iopt = &ioas->iopt;
	struct json_object *o = json_object_new_object();
	struct json_object *areas = json_object_new_array(), *allowed = json_object_new_array();
	struct json_object *reserved = json_object_new_array(), *ranges = json_object_new_array();
	struct json_object *hwpts = json_object_new_array();

	jadd_u64(o, "id", ioas->obj.id);
	jadd_str(o, "type", "ioas");
	jadd_hex(o, "iova_alignment", iopt->iova_alignment);
	jadd_bool(o, "large_pages", !iopt->disable_large_pages);
	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n))
		json_object_array_add(areas,
				      describe_area(container_of(n, struct iopt_area, node)));
	for (struct itree_node *n = itree_first(&iopt->allowed); n; n = itree_next(n))
		json_object_array_add(allowed, inspect_range(n->start, n->last));
	for (struct itree_node *n = itree_first(&iopt->reserved); n; n = itree_next(n)) {
		struct json_object *r = inspect_range(n->start, n->last);

		jadd_str(r, "owner",
			 reserved_owner(iopt, container_of(n, struct iopt_reserved, node)));
		json_object_array_add(reserved, r);
	}
	iopt_for_each_usable(iopt, range_emit, ranges);
	for (struct hwpt_paging *h = ioas->hwpts; h; h = h->ioas_next)
		json_object_array_add(hwpts, json_object_new_uint64(h->obj.id));
	jadd(o, "areas", areas);
	/* an empty allowed list means everything not reserved is allowed */
	jadd(o, "allowed", allowed);
	jadd(o, "reserved", reserved);
	jadd(o, "iova_ranges", ranges);
	jadd(o, "hwpts", hwpts);
	*out = o;
	return 0;
}

int inspect_ioas(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct json_object *v;
	struct obj *obj;
	uint64_t id;

	if (!json_object_object_get_ex(req, "id", &v) || inspect_get_u64(v, &id) || !id ||
	    id > UINT32_MAX)
		return -EINVAL;
	obj = idt_lookup(ctx->objects, (uint32_t)id);
	if (!obj)
		return -ENOENT;
	if (obj->type != OBJ_IOAS)
		return -ENODEV;
	return inspect_ioas_one(container_of(obj, struct ioas, obj), out);
}
