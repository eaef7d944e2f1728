/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect_events.c - the "iotlb" and "faults" requests: what the translation side caches
 * and what the context has to tell its program (fault queues, vEVENTQs).
 *
 * The IOTLB is one cache for the whole process (src/iommu/iotlb.c), shared by every
 * context, so "iotlb" needs no context and takes no context lock: it reads the counters
 * iommu_iotlb_stats() gives (plain atomic loads; concurrent lookups may lose counts, see
 * docs/translation.md). It lists no entries: they are seqlocked slots that DMA refills
 * without any lock, and reading them from here would need a reader protocol of its own for
 * a picture that is stale as soon as it is taken; the counters are what stays meaningful.
 *
 * "faults" runs under the context's lock like every other request and only reads: for each
 * fault queue its record counts, whether the program still holds its fd, and the HWPTs that
 * name it; for each vEVENTQ its vIOMMU, type, depth and queued events.
 */
#include "inspect/inspect_int.h"
#include "iommu/iommu.h"

int inspect_iotlb(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct iommu_iotlb_stats st = { 0 };
	struct json_object *root = json_object_new_object(), *o = json_object_new_object();

	(void)ctx;
	(void)req;
	iommu_iotlb_stats(&st);
	jadd_u64(o, "hits", st.hits);
	jadd_u64(o, "misses", st.misses);
	jadd_u64(o, "fills", st.fills);
	jadd_u64(o, "invalidations", st.invalidations);
	jadd_u64(o, "entries_dropped", st.entries_dropped);
	jadd_str(root, "scope", "process");
	jadd(root, "stats", o);
	jadd_bool(root, "entries_listed", false);
	*out = root;
	return 0;
}

void inspect_fault_brief(const struct fault_queue *fq, struct json_object *o)
{
	jadd_bool(o, "fd_open", fq->fd_open);
	jadd_bool(o, "hung_up", fq->hung_up);
	/* groups reported and not yet answered; records written but not yet read */
	jadd_u64(o, "pending_groups", fq->npending);
	jadd_u64(o, "queued_records", fq->out_len / sizeof(struct iommu_hwpt_pgfault));
	jadd_u64(o, "reported", fq->stats_reported);
	jadd_u64(o, "responses", fq->stats_responses);
	jadd_u64(o, "bad_responses", fq->stats_bad_responses);
	jadd_u64(o, "dropped", fq->stats_dropped);
}

void inspect_veventq_brief(const struct veventq *q, struct json_object *o)
{
	struct json_object *links = json_object_new_object();

	jadd(links, "viommu", q->viommu ? json_object_new_uint64(q->viommu->obj.id) : NULL);
	jadd(o, "links", links);
	jadd_u64(o, "veventq_type", q->type);
	jadd_u64(o, "depth", q->depth);
	jadd_u64(o, "queued", q->nqueued);
	jadd_bool(o, "fd_open", q->fd_open);
	jadd_bool(o, "lost", q->lost);
}

/* The HWPTs (paging or nested) that name fq, as an array of IDs. */
static struct json_object *fault_users(struct ioasid_ctx *ctx, const struct fault_queue *fq)
{
	struct json_object *arr = json_object_new_array();
	struct obj *obj;
	uint32_t id = 1;

	while ((obj = idt_find_next(ctx->objects, &id))) {
		const struct fault_queue *f = NULL;

		if (obj->type == OBJ_HWPT_PAGING)
			f = container_of(obj, struct hwpt_paging, obj)->fault;
		else if (obj->type == OBJ_HWPT_NESTED)
			f = container_of(obj, struct hwpt_nested, obj)->fault;
		if (f == fq)
			json_object_array_add(arr, json_object_new_uint64(obj->id));
		if (id == UINT32_MAX)
			break;
		id++;
	}
	return arr;
}

int inspect_faults(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct json_object *root = json_object_new_object();
	struct json_object *faults = json_object_new_array(), *vq = json_object_new_array();
	struct obj *obj;
	uint32_t id = 1;

	(void)req;
	while ((obj = idt_find_next(ctx->objects, &id))) {
		struct json_object *o;

		if (obj->type == OBJ_FAULT) {
			const struct fault_queue *fq = container_of(obj, struct fault_queue, obj);

			o = json_object_new_object();
			jadd_u64(o, "id", obj->id);
			jadd_str(o, "type", inspect_type_name(obj->type));
			inspect_fault_brief(fq, o);
			jadd(o, "hwpts", fault_users(ctx, fq));
			json_object_array_add(faults, o);
		} else if (obj->type == OBJ_VEVENTQ) {
			o = json_object_new_object();
			jadd_u64(o, "id", obj->id);
			jadd_str(o, "type", inspect_type_name(obj->type));
			inspect_veventq_brief(container_of(obj, struct veventq, obj), o);
			json_object_array_add(vq, o);
		}
		if (id == UINT32_MAX)
			break;
		id++;
	}
	jadd(root, "faults", faults);
	jadd(root, "veventqs", vq);
	jadd_u64(root, "nr_faults", ctx->nr_faults);
	jadd_u64(root, "nr_fault_fds", ctx->nr_fault_fds);
	*out = root;
	return 0;
}
