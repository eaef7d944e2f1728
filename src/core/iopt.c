/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iopt.c - the I/O page table: which IOVA holds which memory, and the domains kept in step.
 *
 * An iopt holds three interval trees of [start, last] ranges:
 *   areas     the mappings, each a window onto a pages object;
 *   reserved  IOVA nobody may map (outside a domain's aperture, a device's MSI window ...);
 *   allowed   if not empty, the only IOVA the allocator may hand out.
 * Fixed-IOVA maps are checked against reserved (EINVAL) and existing areas (EEXIST) only,
 * as the kernel does; the allocator honours all three plus the alignment rules.
 *
 * Domains: every attached domain maps every area. The first domain pins each area's pages;
 * the last one to leave unpins them. Attach fills every area or none (a failure undoes the
 * areas already mapped); a new area is mapped into every domain or none.
 *
 * Unmap only removes whole areas ("fully contained" rule): a range that cuts an area gives
 * ENOENT. Areas are removed lowest first, as in the kernel, so the whole areas before the
 * one that cuts are gone when ENOENT comes back (Linux 6.12 does the same: tests/oracle
 * "unmap_prefix"). VFIO type1 v1 cuts areas first (iopt_cut_iova) to unmap part of a
 * mapping, where large pages are off.
 *
 * Accesses (CPU-side users: emulated devices, the selftest's access) pin ranges of areas
 * through iopt_access_pin; area->num_accesses counts those pins. An unmap that meets one
 * asks every access's owner to unpin (iopt_access.unmap) and retries, as the kernel does;
 * only if they never let go does it fail, with EDEADLOCK (what came before stays unmapped).
 *
 * Traps: IOVAs reach UINT64_MAX, so we carry `last` and never compute `end`; every
 * start + length goes through check_add_u64.
 */
#include <stdlib.h>
#include <string.h>

#include "core/private.h"

void iopt_init(struct iopt *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	itree_init(&iopt->areas);
	itree_init(&iopt->allowed);
	itree_init(&iopt->reserved);
	iopt->iova_alignment = 1;
}

static void itree_free_all(struct itree *t, size_t node_offset)
{
	struct itree_node *n;

	while ((n = itree_first(t))) {
		itree_remove(t, n);
		free((char *)n - node_offset);
	}
}

void iopt_destroy(struct iopt *iopt)
{
	uint64_t unmapped;

	iopt_unmap_all(iopt, &unmapped);
	itree_free_all(&iopt->allowed, offsetof(struct iopt_allowed, node));
	itree_free_all(&iopt->reserved, offsetof(struct iopt_reserved, node));
}

struct iopt_area *iopt_find_area(struct iopt *iopt, uint64_t iova)
{
	struct itree_node *n = itree_iter_first(&iopt->areas, iova, iova);

	return n ? itree_entry(n, struct iopt_area, node) : NULL;
}

/* ---- holes ----------------------------------------------------------------------------- */

/*
 * The next hole at or after *cursor in [*, hi] not covered by any node of the trees. Returns
 * false when none is left. Overlapping nodes are fine.
 */
static bool next_hole(struct itree *const *trees, unsigned int ntrees, uint64_t *cursor, bool *done,
		      uint64_t hi, uint64_t *out_start, uint64_t *out_last)
{
	while (!*done && *cursor <= hi) {
		uint64_t first_start = UINT64_MAX;
		bool covered = false, any = false;

		for (unsigned int i = 0; i < ntrees; i++) {
			struct itree_node *n = itree_iter_first(trees[i], *cursor, hi);

			if (!n)
				continue;
			if (n->start <= *cursor) {
				covered = true;
				if (n->last >= hi)
					*done = true;
				else
					*cursor = n->last + 1;
				break;
			}
			any = true;
			if (n->start < first_start)
				first_start = n->start;
		}
		if (covered)
			continue;
		*out_start = *cursor;
		if (any) {
			*out_last = first_start - 1;
			*cursor = first_start;
		} else {
			*out_last = hi;
			*done = true;
		}
		return true;
	}
	return false;
}

void iopt_for_each_usable(struct iopt *iopt, iopt_range_fn fn, void *arg)
{
	struct itree *trees[] = { &iopt->reserved };
	uint64_t cursor = 0, s, l;
	bool done = false;

	while (next_hole(trees, 1, &cursor, &done, UINT64_MAX, &s, &l))
		if (!fn(arg, s, l))
			return;
}

/* ---- IOVA allocation ------------------------------------------------------------------- */

static uint64_t roundup_pow2(uint64_t x)
{
	return x <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(x - 1));
}

/* Does [start .. last] hold length bytes at an aligned start with the given low bits? */
static bool fit_range(uint64_t start, uint64_t last, uint64_t length, uint64_t align,
		      uint64_t page_offset, uint64_t *out_iova)
{
	uint64_t s;

	if (check_add_u64(start, align - 1, &s))
		return false;
	s &= ~(align - 1);
	s |= page_offset;
	if (s >= last || last - s < length - 1)
		return false;
	*out_iova = s;
	return true;
}

static int iopt_alloc_iova(struct iopt *iopt, uint64_t *out_iova, uint64_t hint, uint64_t length)
{
	uint64_t page_offset = hint % IOASID_PAGE_SIZE;
	uint64_t align, lo = IOASID_PAGE_SIZE, hi = UINT64_MAX - IOASID_PAGE_SIZE;
	struct itree *used[] = { &iopt->reserved, &iopt->areas };
	struct itree_node *an;

	if (!length || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	/* align like the buffer, so large pages can map it; at most a huge page */
	align = roundup_pow2(length);
	if (hint && (1ULL << __builtin_ctzll(hint)) < align)
		align = 1ULL << __builtin_ctzll(hint);
	if (align > IOASID_HPAGE_SIZE)
		align = IOASID_HPAGE_SIZE;
	if (align < iopt->iova_alignment)
		return -EINVAL;

	an = itree_iter_first(&iopt->allowed, lo, hi);
	do {
		uint64_t a_lo = lo, a_hi = hi, cursor, s, l;
		bool done = false;

		if (an) {
			/*
			 * One span: this node and every later one that overlaps or touches it.
			 * Two adjacent allowed ranges are one place to allocate from, as in
			 * the kernel (checked on Linux 6.12, tests/oracle allowed_adjacent).
			 */
			uint64_t span_last = an->last;
			struct itree_node *nx = itree_iter_next(an, lo, hi);

			while (nx && (span_last == UINT64_MAX || nx->start <= span_last + 1)) {
				if (nx->last > span_last)
					span_last = nx->last;
				nx = itree_iter_next(nx, lo, hi);
			}
			a_lo = an->start > lo ? an->start : lo;
			a_hi = span_last < hi ? span_last : hi;
			an = nx;
		} else if (!itree_empty(&iopt->allowed)) {
			break;
		}
		cursor = a_lo;
		while (next_hole(used, 2, &cursor, &done, a_hi, &s, &l))
			if (fit_range(s, l, length, align, page_offset, out_iova))
				return 0;
	} while (an);
	return -ENOSPC;
}

static int iopt_check_iova(struct iopt *iopt, uint64_t iova, uint64_t length)
{
	uint64_t last;

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	if (itree_iter_first(&iopt->reserved, iova, last))
		return -EINVAL;
	if (itree_iter_first(&iopt->areas, iova, last))
		return -EEXIST;
	return 0;
}

/* ---- filling domains ------------------------------------------------------------------- */

/* The page size to map next at iova -> pa with len bytes left, and how many of it. */
static uint64_t pick_pgsize(uint64_t bitmap, uint64_t iova, uint64_t pa, uint64_t len,
			    uint64_t *out_count)
{
	uint64_t merge = iova | pa, sizes = bitmap, pgsize, bigger, count;

	/* sizes no larger than what is left and than the addresses' alignment */
	sizes &= len >= (1ULL << 63) ? ~0ULL : (roundup_pow2(len + 1) - 1);
	while (sizes && (1ULL << (63 - __builtin_clzll(sizes))) > len)
		sizes &= ~(1ULL << (63 - __builtin_clzll(sizes)));
	if (merge)
		sizes &= (1ULL << __builtin_ctzll(merge)) | ((1ULL << __builtin_ctzll(merge)) - 1);
	if (!sizes)
		return 0;
	pgsize = 1ULL << (63 - __builtin_clzll(sizes));
	count = len / pgsize;
	/* stop where a larger size could take over */
	bigger = bitmap & ~((pgsize << 1) - 1);
	if (pgsize << 1 && bigger) {
		uint64_t big = 1ULL << __builtin_ctzll(bigger);

		if (!((iova ^ pa) & (big - 1))) {
			uint64_t to_boundary = (big - (iova & (big - 1))) / pgsize;

			if (to_boundary < count)
				count = to_boundary;
		}
	}
	*out_count = count;
	return pgsize;
}

static uint64_t domain_sizes(struct iommu_domain *d, bool small)
{
	uint64_t sizes = d->pgsize_bitmap;

	if (small)
		sizes &= (IOASID_PAGE_SIZE << 1) - 1;
	return sizes;
}

static void domain_unmap_range(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t len,
			       bool small)
{
	struct iommu_gather gather;
	uint64_t sizes = domain_sizes(d, small);

	iommu_gather_init(&gather);
	while (len) {
		uint64_t count, pgsize = pick_pgsize(sizes, iova, pa, len, &count);
		uint64_t done;

		if (!pgsize)
			break;
		done = d->ops->unmap_pages(d, iova, pgsize, count, &gather);
		if (done != pgsize * count)
			break;
		iova += done;
		pa += done;
		len -= done;
	}
	if (d->ops->iotlb_sync)
		d->ops->iotlb_sync(d, &gather);
}

static int domain_map_range(struct iommu_domain *d, uint64_t iova, uint64_t pa, uint64_t len,
			    int prot, bool small)
{
	uint64_t sizes = domain_sizes(d, small);
	uint64_t start_iova = iova, start_pa = pa, total = len;
	int rc;

	while (len) {
		uint64_t count, mapped = 0, pgsize = pick_pgsize(sizes, iova, pa, len, &count);

		if (!pgsize) {
			rc = -EINVAL;
			goto err_undo;
		}
		rc = d->ops->map_pages(d, iova, pa, pgsize, count, prot, &mapped);
		iova += mapped;
		pa += mapped;
		len -= mapped;
		if (rc)
			goto err_undo;
	}
	return 0;

err_undo:
	if (total - len)
		domain_unmap_range(d, start_iova, start_pa, total - len, small);
	return rc;
}

static uint64_t area_first_page(const struct iopt_area *a)
{
	return a->start_byte >> IOASID_PAGE_SHIFT;
}

static uint64_t area_last_page(const struct iopt_area *a)
{
	return (a->start_byte + (a->node.last - a->node.start)) >> IOASID_PAGE_SHIFT;
}

/* What a domain maps: the emulated physical address (pages_name), never a host pointer. */
static uint64_t area_pa(const struct iopt_area *a)
{
	return pages_name(a->pages, a->start_byte);
}

static void area_unmap_domain(struct iopt_area *a, struct iommu_domain *d)
{
	domain_unmap_range(d, a->node.start, area_pa(a), a->node.last - a->node.start + 1,
			   a->small);
}

static int area_map_domain(struct iopt_area *a, struct iommu_domain *d)
{
	if (!a->pages->phys)
		return -ENOMEM; /* larger than the name space (pages.c) */
	return domain_map_range(d, a->node.start, area_pa(a), a->node.last - a->node.start + 1,
				a->prot, a->small);
}

/* Pin the area and map it into every domain, or change nothing. */
static int area_fill(struct iopt_area *a)
{
	unsigned int i;
	int rc;

	if (!a->iopt->ndomains || a->pages->dmabuf_revoked)
		return 0; /* a revoked dma-buf maps nothing, for good */
	rc = pages_pin(a->pages, area_first_page(a), area_last_page(a));
	if (rc)
		return rc;
	a->small = a->iopt->disable_large_pages;
	for (i = 0; i < a->iopt->ndomains; i++) {
		rc = area_map_domain(a, a->iopt->domains[i]);
		if (rc)
			goto err_unmap;
	}
	a->filled = true;
	return 0;

err_unmap:
	while (i--)
		area_unmap_domain(a, a->iopt->domains[i]);
	pages_unpin(a->pages, area_first_page(a), area_last_page(a));
	return rc;
}

static void area_unfill(struct iopt_area *a)
{
	if (!a->filled)
		return;
	for (unsigned int i = 0; i < a->iopt->ndomains; i++)
		area_unmap_domain(a, a->iopt->domains[i]);
	pages_unpin(a->pages, area_first_page(a), area_last_page(a));
	a->filled = false;
}

void iopt_area_revoke(struct iopt_area *a)
{
	area_unfill(a);
}

/* ---- map, copy, unmap ------------------------------------------------------------------ */

struct map_elm {
	struct pages *pages;
	uint64_t start_byte;
	uint64_t length;
	struct iopt_area *area;
};

static void area_free(struct iopt_area *a)
{
	itree_remove(&a->iopt->areas, &a->node);
	pages_put(a->pages);
	free(a);
}

/* Insert and fill consecutive areas for elms at *inout_iova: all or nothing. */
static int iopt_map_elms(struct iopt *iopt, struct map_elm *elms, unsigned int n, uint64_t length,
			 uint64_t *inout_iova, int prot, bool alloc_iova)
{
	uint64_t iova;
	unsigned int i;
	int rc;

	if (!length || (length & (iopt->iova_alignment - 1)))
		return -EINVAL;
	if (alloc_iova) {
		uint64_t hint = elms[0].pages->kind == PAGES_USER ?
					elms[0].pages->uptr + elms[0].start_byte :
					elms[0].pages->file_start + elms[0].start_byte;

		rc = iopt_alloc_iova(iopt, inout_iova, hint, length);
	} else {
		rc = iopt_check_iova(iopt, *inout_iova, length);
	}
	if (rc)
		return rc;
	/* after the IOVA, as the kernel checks each piece when it inserts the area */
	for (i = 0; i < n; i++) {
		if ((prot & IOMMU_PROT_WRITE) && !elms[i].pages->writable)
			return -EPERM;
		if ((elms[i].start_byte % IOASID_PAGE_SIZE) & (iopt->iova_alignment - 1))
			return -EINVAL;
	}

	for (i = 0; i < n; i++) {
		elms[i].area = calloc(1, sizeof(*elms[i].area));
		if (!elms[i].area) {
			rc = -ENOMEM;
			goto err_free;
		}
	}
	iova = *inout_iova;
	for (i = 0; i < n; i++) {
		struct iopt_area *a = elms[i].area;

		a->iopt = iopt;
		a->pages = elms[i].pages;
		a->start_byte = elms[i].start_byte;
		a->prot = prot;
		a->node.start = iova;
		a->node.last = iova + elms[i].length - 1;
		iova += elms[i].length;
		rc = area_fill(a);
		if (rc)
			goto err_unfill;
		pages_get(a->pages);
		itree_insert(&iopt->areas, &a->node);
	}
	return 0;

err_unfill:
	while (i--) {
		area_unfill(elms[i].area);
		area_free(elms[i].area);
		elms[i].area = NULL;
	}
err_free:
	for (i = 0; i < n; i++)
		free(elms[i].area);
	return rc;
}

int iopt_map_pages(struct iopt *iopt, struct pages *pages, uint64_t start_byte, uint64_t length,
		   uint64_t *inout_iova, int prot, bool alloc_iova)
{
	struct map_elm elm = { .pages = pages, .start_byte = start_byte, .length = length };

	return iopt_map_elms(iopt, &elm, 1, length, inout_iova, prot, alloc_iova);
}

int iopt_check_contig(struct iopt *iopt, uint64_t iova, uint64_t length)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (check_add_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	for (;;) {
		struct iopt_area *a = iopt_find_area(iopt, iova);

		if (!a)
			return -ENOENT;
		if (a->node.last >= last)
			return 0;
		iova = a->node.last + 1;
	}
}

int iopt_copy(struct iopt *dst, struct iopt *src, uint64_t src_iova, uint64_t length,
	      uint64_t *inout_iova, int prot, bool alloc_iova)
{
	struct map_elm *elms = NULL;
	unsigned int n = 0, cap = 0, i;
	uint64_t last, cur = src_iova;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_u64(src_iova, length - 1, &last))
		return -EOVERFLOW;
	/* the source must be covered by areas with no gap */
	for (;;) {
		struct iopt_area *a = iopt_find_area(src, cur);
		uint64_t a_last;

		if (!a) {
			rc = -ENOENT;
			goto out;
		}
		if (n == cap) {
			struct map_elm *grown;

			cap = cap ? cap * 2 : 4;
			grown = realloc(elms, cap * sizeof(*elms));
			if (!grown) {
				rc = -ENOMEM;
				goto out;
			}
			elms = grown;
		}
		a_last = a->node.last < last ? a->node.last : last;
		elms[n].pages = a->pages;
		elms[n].start_byte = a->start_byte + (cur - a->node.start);
		elms[n].length = a_last - cur + 1;
		elms[n].area = NULL;
		pages_get(a->pages);
		n++;
		if (a_last == last)
			break;
		cur = a_last + 1;
	}
	rc = iopt_map_elms(dst, elms, n, length, inout_iova, prot, alloc_iova);
out:
	for (i = 0; i < n; i++)
		pages_put(elms[i].pages);
	free(elms);
	return rc;
}

/* Ask every access to drop its pins inside [iova, last]. */
static void iopt_notify_unmap(struct iopt *iopt, uint64_t iova, uint64_t last)
{
	for (struct iopt_access *ia = iopt->accesses; ia; ia = ia->next)
		ia->unmap(ia, iova, last - iova + 1);
}

/* How often an unmap asks accesses to let go before it gives up, as the kernel does. */
#define IOPT_UNMAP_TRIES 100

static int iopt_unmap_range(struct iopt *iopt, uint64_t start, uint64_t last,
			    uint64_t *out_unmapped)
{
	struct itree_node *n;
	uint64_t unmapped = 0;
	unsigned int tries = 0;
	int rc = 0;

	/*
	 * Area by area, lowest first, as the kernel: an area that sticks out of the range ends
	 * the walk with ENOENT, and the areas before it stay unmapped (their bytes are counted
	 * in *out_unmapped, which VFIO reports). An area an access has pinned: tell the
	 * accesses' owners to unpin (they must, as a kernel driver must), then look again.
	 */
	while ((n = itree_iter_first(&iopt->areas, start, last))) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);
		uint64_t a_start = n->start, a_last = n->last;

		if (a->num_locks) { /* held by an object of the context (a HW queue) */
			rc = -EBUSY;
			break;
		}
		if (a_start < start || a_last > last) {
			rc = -ENOENT;
			break;
		}
		if (a->num_accesses) {
			if (++tries > IOPT_UNMAP_TRIES) {
				a->prevent_access = false;
				rc = -EDEADLOCK;
				break;
			}
			a->prevent_access = true;
			iopt_notify_unmap(iopt, a_start, a_last);
			continue;
		}
		tries = 0;
		unmapped += a_last - a_start + 1;
		area_unfill(a);
		area_free(a);
		if (a_last >= last)
			break;
		start = a_last + 1;
	}
	*out_unmapped = unmapped;
	return rc;
}

int iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length, uint64_t *out_unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (check_add_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_range(iopt, iova, last, out_unmapped);
}

int iopt_unmap_all(struct iopt *iopt, uint64_t *out_unmapped)
{
	return iopt_unmap_range(iopt, 0, UINT64_MAX, out_unmapped);
}

/*
 * Split the area holding iova so that iova is the last byte of one area: the cut VFIO type1
 * (v1) makes before it unmaps part of a mapping. Only where nothing depends on the area
 * being whole: no access pin in it, and, if it is mapped into domains, only with large
 * pages off (so every CPU page is its own mapping and the halves unmap separately). A cut
 * at an area's first or last byte changes nothing, as in the kernel.
 */
static int iopt_area_split(struct iopt_area *a, uint64_t iova)
{
	struct iopt *iopt = a->iopt;
	uint64_t start = a->node.start, last = a->node.last, new_start = iova + 1;
	uint64_t align = iopt->iova_alignment;
	struct iopt_area *rhs;

	if (iova == start || iova == last)
		return 0;
	if (!a->pages || a->prevent_access)
		return -EBUSY;
	if ((new_start & (align - 1)) || ((a->start_byte + (new_start - start)) & (align - 1)))
		return -EINVAL;
	if (a->num_accesses || (a->filled && !iopt->disable_large_pages))
		return -EINVAL;
	rhs = calloc(1, sizeof(*rhs));
	if (!rhs)
		return -ENOMEM;
	/*
	 * The pins stay as they are: with large pages off the cut is on a CPU page (the
	 * alignment is at least one), so each half holds exactly its own pages' pins.
	 */
	*rhs = *a;
	rhs->start_byte = a->start_byte + (new_start - start);
	rhs->node.start = new_start;
	rhs->node.last = last;
	pages_get(rhs->pages);
	itree_remove(&iopt->areas, &a->node);
	a->node.last = iova;
	itree_insert(&iopt->areas, &a->node);
	itree_insert(&iopt->areas, &rhs->node);
	return 0;
}

int iopt_cut_iova(struct iopt *iopt, const uint64_t *iovas, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct iopt_area *a = iopt_find_area(iopt, iovas[i]);
		int rc;

		if (!a)
			continue;
		rc = iopt_area_split(a, iovas[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- allowed and reserved -------------------------------------------------------------- */

int iopt_set_allow(struct iopt *iopt, struct itree *new_allowed)
{
	struct itree old = iopt->allowed;
	struct itree_node *n;

	for (n = itree_first(new_allowed); n; n = itree_next(n))
		if (itree_iter_first(&iopt->reserved, n->start, n->last))
			return -EADDRINUSE;
	iopt->allowed = *new_allowed;
	*new_allowed = old;
	return 0;
}

int iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last, const void *owner)
{
	struct iopt_reserved *r;

	if (itree_iter_first(&iopt->areas, start, last) ||
	    itree_iter_first(&iopt->allowed, start, last))
		return -EADDRINUSE;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->node.start = start;
	r->node.last = last;
	r->owner = owner;
	itree_insert(&iopt->reserved, &r->node);
	return 0;
}

void iopt_unreserve_owner(struct iopt *iopt, const void *owner)
{
	struct itree_node *n, *next;

	for (n = itree_first(&iopt->reserved); n; n = next) {
		struct iopt_reserved *r = itree_entry(n, struct iopt_reserved, node);

		next = itree_next(n);
		if (r->owner == owner) {
			itree_remove(&iopt->reserved, n);
			free(r);
		}
	}
}

/* ---- domains --------------------------------------------------------------------------- */

static uint64_t iopt_calc_alignment(struct iopt *iopt, struct iommu_domain *extra)
{
	uint64_t align = iopt->disable_large_pages ? IOASID_PAGE_SIZE : 1;

	for (unsigned int i = 0; i < iopt->ndomains; i++) {
		uint64_t a = 1ULL << __builtin_ctzll(iopt->domains[i]->pgsize_bitmap);

		if (a > align)
			align = a;
	}
	if (extra) {
		uint64_t a = 1ULL << __builtin_ctzll(extra->pgsize_bitmap);

		if (a > align)
			align = a;
	}
	for (struct iopt_access *ia = iopt->accesses; ia; ia = ia->next)
		if (ia->iova_alignment > align)
			align = ia->iova_alignment;
	return align;
}

static int iopt_check_alignment(struct iopt *iopt, uint64_t align)
{
	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		if ((n->start & (align - 1)) || ((n->last - n->start + 1) & (align - 1)) ||
		    ((a->start_byte % IOASID_PAGE_SIZE) & (align - 1)))
			return -EADDRINUSE;
	}
	return 0;
}

/* Reserve everything outside the domain's apertures. */
static int iopt_reserve_outside(struct iopt *iopt, struct iommu_domain *d)
{
	struct iommu_iova_range r[IOMMU_DOMAIN_MAX_RANGES];
	unsigned int n = d->nr_ranges, i, j;
	uint64_t cursor = 0;
	int rc;

	/* sort the apertures by start (tiny n) */
	memcpy(r, d->ranges, n * sizeof(r[0]));
	for (i = 1; i < n; i++)
		for (j = i; j && r[j - 1].start > r[j].start; j--) {
			struct iommu_iova_range t = r[j];

			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (r[i].start > cursor) {
			rc = iopt_reserve(iopt, cursor, r[i].start - 1, d);
			if (rc)
				return rc;
		}
		if (r[i].last == UINT64_MAX)
			return 0;
		if (r[i].last + 1 > cursor)
			cursor = r[i].last + 1;
	}
	return iopt_reserve(iopt, cursor, UINT64_MAX, d);
}

int iopt_add_domain(struct iopt *iopt, struct iommu_domain *d)
{
	struct itree_node *n, *end = NULL;
	uint64_t align;
	int rc;

	for (unsigned int i = 0; i < iopt->ndomains; i++)
		if (iopt->domains[i] == d)
			return -EEXIST;
	if (iopt->ndomains == IOPT_MAX_DOMAINS)
		return -ENOSPC;
	align = iopt_calc_alignment(iopt, d);
	if (align > IOASID_PAGE_SIZE)
		return -EINVAL;
	if (align != iopt->iova_alignment) {
		rc = iopt_check_alignment(iopt, align);
		if (rc)
			return rc;
	}
	rc = iopt_reserve_outside(iopt, d);
	if (rc)
		goto err_unreserve;

	for (n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		if (a->pages->dmabuf_revoked)
			continue;
		if (!a->filled) {
			rc = pages_pin(a->pages, area_first_page(a), area_last_page(a));
			if (rc)
				goto err_unfill;
			a->small = iopt->disable_large_pages;
		}
		rc = area_map_domain(a, d);
		if (rc) {
			if (!a->filled)
				pages_unpin(a->pages, area_first_page(a), area_last_page(a));
			goto err_unfill;
		}
	}
	for (n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		a->filled = !a->pages->dmabuf_revoked;
	}
	iopt->domains[iopt->ndomains++] = d;
	iopt->iova_alignment = align;
	return 0;

err_unfill:
	end = n;
	for (n = itree_first(&iopt->areas); n != end; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		if (a->pages->dmabuf_revoked)
			continue;
		area_unmap_domain(a, d);
		if (!a->filled)
			pages_unpin(a->pages, area_first_page(a), area_last_page(a));
	}
err_unreserve:
	iopt_unreserve_owner(iopt, d);
	return rc;
}

void iopt_remove_domain(struct iopt *iopt, struct iommu_domain *d)
{
	unsigned int i;

	for (i = 0; i < iopt->ndomains; i++)
		if (iopt->domains[i] == d)
			break;
	if (i == iopt->ndomains)
		return;
	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		if (!a->filled)
			continue; /* a revoked dma-buf's: in no domain */
		area_unmap_domain(a, d);
		if (iopt->ndomains == 1) {
			pages_unpin(a->pages, area_first_page(a), area_last_page(a));
			a->filled = false;
		}
	}
	iopt->domains[i] = iopt->domains[--iopt->ndomains];
	iopt_unreserve_owner(iopt, d);
	iopt->iova_alignment = iopt_calc_alignment(iopt, NULL);
}

int iopt_set_large_pages(struct iopt *iopt, bool enable)
{
	uint64_t align;
	int rc;

	if (iopt->disable_large_pages == !enable)
		return 0;
	/* as the kernel: no switching to small pages under pages already mapped in domains */
	if (!enable && iopt->ndomains && !itree_empty(&iopt->areas))
		return -EINVAL;
	iopt->disable_large_pages = !enable;
	align = iopt_calc_alignment(iopt, NULL);
	rc = iopt_check_alignment(iopt, align);
	if (rc) {
		iopt->disable_large_pages = enable;
		return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

/* ---- CPU access through the areas ------------------------------------------------------ */

int iopt_rw(struct iopt *iopt, uint64_t iova, void *buf, uint64_t len, bool write)
{
	uint64_t last;
	uint8_t *p = buf;

	if (!len)
		return 0;
	if (check_add_u64(iova, len - 1, &last))
		return -EOVERFLOW;
	while (len) {
		struct iopt_area *a = iopt_find_area(iopt, iova);
		uint64_t n, off, first_pg, last_pg;
		int rc;

		if (!a)
			return -ENOENT;
		if (write ? !(a->prot & IOMMU_PROT_WRITE) : !(a->prot & IOMMU_PROT_READ))
			return -EPERM;
		n = a->node.last - iova + 1;
		if (n > len)
			n = len;
		off = a->start_byte + (iova - a->node.start);
		first_pg = off >> IOASID_PAGE_SHIFT;
		last_pg = (off + n - 1) >> IOASID_PAGE_SHIFT;
		rc = pages_pin(a->pages, first_pg, last_pg);
		if (rc)
			return rc;
		if (write)
			memcpy(pages_host(a->pages, off), p, n);
		else
			memcpy(p, pages_host(a->pages, off), n);
		pages_unpin(a->pages, first_pg, last_pg);
		p += n;
		iova += n;
		len -= n;
	}
	return 0;
}

/* ---- accesses -------------------------------------------------------------------------- */

int iopt_add_access(struct iopt *iopt, struct iopt_access *ia)
{
	uint64_t align;
	int rc;

	ia->next = iopt->accesses;
	iopt->accesses = ia;
	align = iopt_calc_alignment(iopt, NULL);
	if (align > iopt->iova_alignment) {
		rc = iopt_check_alignment(iopt, align);
		if (rc) {
			iopt->accesses = ia->next;
			return rc;
		}
	}
	iopt->iova_alignment = align;
	return 0;
}

void iopt_remove_access(struct iopt *iopt, struct iopt_access *ia)
{
	struct iopt_access **pp;

	for (pp = &iopt->accesses; *pp; pp = &(*pp)->next)
		if (*pp == ia) {
			*pp = ia->next;
			break;
		}
	iopt->iova_alignment = iopt_calc_alignment(iopt, NULL);
}

/* The part of [cur, last] inside area a, as page indexes of a->pages. */
static void area_span_pages(const struct iopt_area *a, uint64_t cur, uint64_t last,
			    uint64_t *out_first, uint64_t *out_last)
{
	uint64_t seg_last = a->node.last < last ? a->node.last : last;

	*out_first = (a->start_byte + (cur - a->node.start)) >> IOASID_PAGE_SHIFT;
	*out_last = (a->start_byte + (seg_last - a->node.start)) >> IOASID_PAGE_SHIFT;
}

void iopt_access_unpin(struct iopt *iopt, uint64_t iova, uint64_t length, bool lock)
{
	uint64_t last, cur = iova;

	if (!length || check_add_u64(iova, length - 1, &last))
		return;
	for (;;) {
		struct iopt_area *a = iopt_find_area(iopt, cur);
		uint64_t first_pg, last_pg;

		if (!a)
			return;
		area_span_pages(a, cur, last, &first_pg, &last_pg);
		pages_unpin(a->pages, first_pg, last_pg);
		a->num_accesses--;
		a->num_locks -= lock;
		if (a->node.last >= last)
			return;
		cur = a->node.last + 1;
	}
}

int iopt_access_pin(struct iopt *iopt, uint64_t iova, uint64_t length, bool write, bool lock,
		    void **out_host)
{
	uint64_t last, cur = iova, npg = 0;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_u64(iova, length - 1, &last))
		return -EOVERFLOW;
	for (;;) {
		struct iopt_area *a = iopt_find_area(iopt, cur);
		uint64_t first_pg, last_pg, off;

		if (!a) {
			rc = -ENOENT;
			goto err_unpin;
		}
		/* each piece starts on a page; every piece but the last ends on one */
		off = a->start_byte + (cur - a->node.start);
		/* a dma-buf is for DMA only: iommufd refuses accesses to it (EINVAL) */
		if (a->prevent_access || a->pages->dmabuf || off % IOASID_PAGE_SIZE ||
		    (a->node.last < last &&
		     (a->start_byte + (a->node.last - a->node.start)) % IOASID_PAGE_SIZE !=
			     IOASID_PAGE_SIZE - 1)) {
			rc = -EINVAL;
			goto err_unpin;
		}
		if (write ? !(a->prot & IOMMU_PROT_WRITE) : !(a->prot & IOMMU_PROT_READ)) {
			rc = -EPERM;
			goto err_unpin;
		}
		area_span_pages(a, cur, last, &first_pg, &last_pg);
		rc = pages_pin(a->pages, first_pg, last_pg);
		if (rc)
			goto err_unpin;
		a->num_accesses++;
		a->num_locks += lock;
		for (uint64_t i = first_pg; out_host && i <= last_pg; i++)
			out_host[npg++] = pages_host(a->pages, i << IOASID_PAGE_SHIFT);
		if (a->node.last >= last)
			return 0;
		cur = a->node.last + 1;
	}

err_unpin:
	if (cur != iova)
		iopt_access_unpin(iopt, iova, cur - iova, lock);
	return rc;
}

int iopt_access_rw(struct iopt *iopt, uint64_t iova, void *buf, uint64_t len, bool write)
{
	uint64_t last, cur = iova;

	if (!len)
		return -EINVAL;
	if (check_add_u64(iova, len - 1, &last))
		return -EOVERFLOW;
	/* the whole range first: a refused copy copies nothing */
	for (;;) {
		struct iopt_area *a = iopt_find_area(iopt, cur);

		if (!a)
			return -ENOENT;
		if (a->prevent_access || a->pages->dmabuf)
			return -EINVAL;
		if (write ? !(a->prot & IOMMU_PROT_WRITE) : !(a->prot & IOMMU_PROT_READ))
			return -EPERM;
		if (a->node.last >= last)
			break;
		cur = a->node.last + 1;
	}
	return iopt_rw(iopt, iova, buf, len, write);
}
