/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect.c - requests, the context lock, the object list, and the library's public dump.
 *
 * Two tables make this module easy to extend. kinds[] has a row per object type: the name
 * the JSON and ioasidctl use and a function that adds the type's fields and its links to
 * other objects (IOAS <- HWPT <- device, access -> IOAS ...). cmds[] has a row per request:
 * the function that answers it, or, for a kind this build does not have yet, the sentence
 * that says so (the request then fails with EOPNOTSUPP and that sentence). "iotlb" reads
 * process-wide counters and runs without a context; "faults" needs one.
 *
 * Traps: a request comes from whoever reaches the control channel or calls the library; it
 * is checked like input from an attacker (types, ranges, a bounded command name), and a
 * context that stays locked (a long ioctl, a stuck client) costs the caller at most its
 * timeout, never a wait without end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/inspect_int.h"
#include "ioasid/inspect.h"

/* ---- small helpers ------------------------------------------------------------------- */

struct json_object *inspect_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

int inspect_get_u64(struct json_object *v, uint64_t *out)
{
	const char *s;
	char *end;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return -EINVAL;
		*out = json_object_get_uint64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > 24)
		return -EINVAL;
	s = json_object_get_string(v);
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

struct json_object *inspect_range(uint64_t start, uint64_t last)
{
	struct json_object *o = json_object_new_object();

	jadd_hex(o, "start", start);
	jadd_hex(o, "last", last);
	if (last - start != UINT64_MAX)
		jadd_u64(o, "length", last - start + 1);
	return o;
}

struct json_object *inspect_prot(int prot)
{
	struct json_object *a = json_object_new_array();

	if (prot & IOMMU_PROT_READ)
		json_object_array_add(a, json_object_new_string("read"));
	if (prot & IOMMU_PROT_WRITE)
		json_object_array_add(a, json_object_new_string("write"));
	if (prot & IOMMU_PROT_CACHE)
		json_object_array_add(a, json_object_new_string("cache"));
	if (prot & IOMMU_PROT_NOEXEC)
		json_object_array_add(a, json_object_new_string("noexec"));
	return a;
}

const char *inspect_strerror(int err)
{
	switch (err) {
	case -EINVAL:
		return "malformed request";
	case -ENOENT:
		return "no such object";
	case -ENODEV:
		return "the object is of another type";
	case -EOPNOTSUPP:
		return "not available in this build";
	case -EBUSY:
		return "the context stayed busy; try again";
	case -E2BIG:
		return "the answer is too large";
	case -ENOMEM:
		return "out of memory";
	default:
		return strerror(-err);
	}
}

/* ---- objects ------------------------------------------------------------------------- */

static void link_id(struct json_object *links, const char *rel, const struct obj *to)
{
	jadd(links, rel, to ? json_object_new_uint64(to->id) : NULL);
}

static void link_fault(struct json_object *links, const struct fault_queue *fq)
{
	link_id(links, "fault", fq ? &fq->obj : NULL);
}

static void describe_device(struct obj *obj, struct json_object *o)
{
	struct device *dev = container_of(obj, struct device, obj);
	struct json_object *links = json_object_new_object(), *resv = json_object_new_array();
	struct json_object *caps = json_object_new_array();

	link_id(links, "hwpt", dev->hwpt ? &dev->hwpt->obj : NULL);
	link_id(links, "nested", dev->nested ? &dev->nested->obj : NULL);
	jadd(o, "links", links);
	jadd_str(o, "model", dev->model && dev->model->name ? dev->model->name : "?");
	if (dev->caps & DEV_CAP_DIRTY)
		json_object_array_add(caps, json_object_new_string("dirty_tracking"));
	if (dev->caps & DEV_CAP_PASID)
		json_object_array_add(caps, json_object_new_string("pasid"));
	jadd(o, "caps", caps);
	if (dev->caps & DEV_CAP_PASID)
		jadd_u64(o, "max_pasid_log2", dev->max_pasid_log2);
	for (unsigned int i = 0; i < dev->nr_resv && i < DEV_MAX_RESV; i++)
		json_object_array_add(resv, inspect_range(dev->resv[i].start, dev->resv[i].last));
	jadd(o, "reserved", resv);
	jadd_str(o, "bound_by", dev->ctx_owned ? "library" : "selftest");
}

static void describe_hwpt_paging(struct obj *obj, struct json_object *o)
{
	struct hwpt_paging *hwpt = container_of(obj, struct hwpt_paging, obj);
	struct json_object *links = json_object_new_object(), *flags = json_object_new_array();

	link_id(links, "ioas", hwpt->ioas ? &hwpt->ioas->obj : NULL);
	link_fault(links, hwpt->fault);
	jadd(o, "links", links);
	jadd_u64(o, "devices", hwpt->ndevices);
	jadd_bool(o, "auto_domain", hwpt->auto_domain);
	if (hwpt->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		json_object_array_add(flags, json_object_new_string("nest_parent"));
	if (hwpt->alloc_flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		json_object_array_add(flags, json_object_new_string("dirty_tracking"));
	if (hwpt->alloc_flags & IOMMU_HWPT_ALLOC_PASID)
		json_object_array_add(flags, json_object_new_string("pasid"));
	jadd(o, "alloc_flags", flags);
	if (hwpt->domain)
		inspect_domain_brief(hwpt->domain, o);
}

static void describe_hwpt_nested(struct obj *obj, struct json_object *o)
{
	struct hwpt_nested *n = container_of(obj, struct hwpt_nested, obj);
	struct json_object *links = json_object_new_object();

	link_id(links, "parent", n->parent ? &n->parent->obj : NULL);
	link_id(links, "viommu", n->viommu ? &n->viommu->obj : NULL);
	link_fault(links, n->fault);
	jadd(o, "links", links);
	jadd_u64(o, "data_type", n->data_type);
	jadd_u64(o, "devices", n->ndevices);
	jadd_u64(o, "invalidations", n->invalidations);
}

static void describe_fault(struct obj *obj, struct json_object *o)
{
	struct fault_queue *fq = container_of(obj, struct fault_queue, obj);

	inspect_fault_brief(fq, o);
}

static void describe_viommu(struct obj *obj, struct json_object *o)
{
	struct viommu *v = container_of(obj, struct viommu, obj);
	struct json_object *links = json_object_new_object();
	unsigned int nvdev = 0, nq = 0, nhw = 0;

	link_id(links, "parent", v->parent ? &v->parent->obj : NULL);
	jadd(o, "links", links);
	for (const struct vdevice *d = v->vdevs; d; d = d->next)
		nvdev++;
	for (const struct veventq *q = v->veventqs; q; q = q->next)
		nq++;
	for (const struct hw_queue *h = v->hw_queues; h; h = h->next)
		nhw++;
	jadd_u64(o, "viommu_type", v->type);
	jadd_u64(o, "vdevices", nvdev);
	jadd_u64(o, "veventqs", nq);
	jadd_u64(o, "hw_queues", nhw);
	jadd_u64(o, "invalidations", v->invalidations);
}

static void describe_vdevice(struct obj *obj, struct json_object *o)
{
	struct vdevice *vd = container_of(obj, struct vdevice, obj);
	struct json_object *links = json_object_new_object();

	link_id(links, "viommu", vd->viommu ? &vd->viommu->obj : NULL);
	link_id(links, "device", vd->dev ? &vd->dev->obj : NULL);
	jadd(o, "links", links);
	jadd_hex(o, "virt_id", vd->virt_id);
}

static void describe_veventq(struct obj *obj, struct json_object *o)
{
	struct veventq *q = container_of(obj, struct veventq, obj);

	inspect_veventq_brief(q, o);
}

static void describe_hw_queue(struct obj *obj, struct json_object *o)
{
	struct hw_queue *h = container_of(obj, struct hw_queue, obj);
	struct json_object *links = json_object_new_object();

	link_id(links, "viommu", h->viommu ? &h->viommu->obj : NULL);
	link_id(links, "access", h->access ? &h->access->obj : NULL);
	jadd(o, "links", links);
	jadd_u64(o, "queue_type", h->type);
	jadd_u64(o, "index", h->index);
	jadd_hex(o, "base_iova", h->base_iova);
	jadd_u64(o, "length", h->length);
}

static void describe_access(struct obj *obj, struct json_object *o)
{
	struct access *access = container_of(obj, struct access, obj);
	struct json_object *links = json_object_new_object();

	link_id(links, "ioas", access->ioas ? &access->ioas->obj : NULL);
	jadd(o, "links", links);
	jadd_bool(o, "pins_pages", access->ops && access->ops->needs_pin_pages);
}

#ifdef IOASID_TEST_HOOKS
static void describe_selftest(struct obj *obj, struct json_object *o)
{
	struct selftest_obj *st = container_of(obj, struct selftest_obj, obj);
	struct json_object *links = json_object_new_object();

	link_id(links, "device", st->dev ? &st->dev->obj : NULL);
	jadd(o, "links", links);
}
#endif

struct inspect_kind {
	const char *name;
	void (*describe)(struct obj *obj, struct json_object *o); /* NULL: ID, type, users */
};

/* One row per object type; a new type adds its row here. */
static const struct inspect_kind kinds[OBJ_MAX] = {
	[OBJ_DEVICE] = { "device", describe_device },
	[OBJ_HWPT_PAGING] = { "hwpt_paging", describe_hwpt_paging },
	[OBJ_HWPT_NESTED] = { "hwpt_nested", describe_hwpt_nested },
	[OBJ_IOAS] = { "ioas", inspect_ioas_brief },
	[OBJ_ACCESS] = { "access", describe_access },
	[OBJ_FAULT] = { "fault", describe_fault },
	[OBJ_VIOMMU] = { "viommu", describe_viommu },
	[OBJ_VDEVICE] = { "vdevice", describe_vdevice },
	[OBJ_VEVENTQ] = { "veventq", describe_veventq },
	[OBJ_HW_QUEUE] = { "hw_queue", describe_hw_queue },
#ifdef IOASID_TEST_HOOKS
	[OBJ_SELFTEST] = { "selftest", describe_selftest },
#else
	[OBJ_SELFTEST] = { "selftest", NULL },
#endif
};

const char *inspect_type_name(enum obj_type t)
{
	return t < OBJ_MAX && kinds[t].name ? kinds[t].name : "unknown";
}

static struct json_object *describe_obj(struct obj *obj)
{
	struct json_object *o = json_object_new_object();

	jadd_u64(o, "id", obj->id);
	jadd_str(o, "type", inspect_type_name(obj->type));
	/* the table's own reference is not a user */
	jadd_u64(o, "users", obj->users ? obj->users - 1 : 0);
	if (obj->type < OBJ_MAX && kinds[obj->type].describe)
		kinds[obj->type].describe(obj, o);
	if (!json_object_object_get_ex(o, "links", NULL)) /* every object has its edges */
		jadd(o, "links", json_object_new_object());
	return o;
}

static int cmd_objects(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	struct obj *obj;
	uint32_t id = 1;

	(void)req;
	while ((obj = idt_find_next(ctx->objects, &id))) {
		json_object_array_add(arr, describe_obj(obj));
		if (id == UINT32_MAX)
			break;
		id++;
	}
	jadd(root, "objects", arr);
	*out = root;
	return 0;
}

/* Everything: the object list, every IOAS in full, every paging HWPT's tables. */
static int cmd_dump(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out)
{
	struct json_object *root, *ioas_arr = json_object_new_array();
	struct json_object *pt_arr = json_object_new_array();
	struct obj *obj;
	uint32_t id = 1;
	int rc;

	rc = cmd_objects(ctx, req, &root);
	if (rc)
		goto err;
	while ((obj = idt_find_next(ctx->objects, &id))) {
		struct json_object *one;

		if (obj->type == OBJ_IOAS) {
			rc = inspect_ioas_one(container_of(obj, struct ioas, obj), &one);
			if (rc)
				goto err_root;
			json_object_array_add(ioas_arr, one);
		} else if (obj->type == OBJ_HWPT_PAGING) {
			rc = inspect_pt_tables(container_of(obj, struct hwpt_paging, obj), &one);
			if (rc == -EOPNOTSUPP)
				continue;
			if (rc)
				goto err_root;
			json_object_array_add(pt_arr, one);
		}
		if (id == UINT32_MAX)
			break;
		id++;
	}
	jadd(root, "ioas", ioas_arr);
	jadd(root, "pt", pt_arr);
	*out = root;
	return 0;

err_root:
	json_object_put(root);
err:
	json_object_put(ioas_arr);
	json_object_put(pt_arr);
	return rc;
}

/* ---- requests ------------------------------------------------------------------------ */

struct inspect_cmd {
	const char *name;
	int (*fn)(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out);
	const char *missing; /* fn NULL: why this build cannot answer */
	bool no_ctx;	     /* answers without a context (process-wide state) */
};

/* One row per request; a kind another module adds replaces its "missing" by a function. */
static const struct inspect_cmd cmds[] = {
	{ "objects", cmd_objects, NULL, false },
	{ "ioas", inspect_ioas, NULL, false },
	{ "pt", inspect_pt, NULL, false },
	{ "dump", cmd_dump, NULL, false },
	{ "iotlb", inspect_iotlb, NULL, true },
	/* with a function, "missing" is why a caller without a context gets no answer */
	{ "faults", inspect_faults,
	  "fault queues belong to a context: ask for them with one (the daemon asks each of its "
	  "contexts; in-process, ioasid_ctx_inspect answers it)",
	  false },
	{ "devices", NULL,
	  "this build of ioasid has no platform IOMMUs or devices yet (issue 12 is not merged; "
	  "devices bound to a context are listed by 'objects')",
	  false },
};

static int lock_ctx(struct ioasid_ctx *ctx, int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms < 0) {
		pthread_mutex_lock(&ctx->lock);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(&ctx->lock, &ts) ? -EBUSY : 0;
}

static struct json_object *error_object(int err, const char *msg)
{
	struct json_object *o = json_object_new_object();

	jadd_str(o, "error", msg ? msg : inspect_strerror(err));
	jadd_u64(o, "errno", (uint64_t)-err);
	return o;
}

static const struct inspect_cmd *find_cmd(struct json_object *req)
{
	struct json_object *v;
	const char *name;

	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "cmd", &v) ||
	    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > 32)
		return NULL;
	name = json_object_get_string(v);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int inspect_request(struct ioasid_ctx *ctx, struct json_object *req, int timeout_ms,
		    struct json_object **out)
{
	const struct inspect_cmd *cmd = find_cmd(req);
	int rc;

	*out = NULL;
	if (!cmd) {
		*out = error_object(-EINVAL, "unknown or malformed request");
		return -EINVAL;
	}
	if (!cmd->fn) {
		*out = error_object(-EOPNOTSUPP, cmd->missing);
		return -EOPNOTSUPP;
	}
	if (cmd->no_ctx) {
		rc = cmd->fn(ctx, req, out);
		if (rc)
			*out = error_object(rc, NULL);
		return rc;
	}
	if (!ctx && cmd->missing) {
		*out = error_object(-EOPNOTSUPP, cmd->missing);
		return -EOPNOTSUPP;
	}
	if (!ctx) {
		*out = error_object(-EINVAL, "no context");
		return -EINVAL;
	}
	rc = lock_ctx(ctx, timeout_ms);
	if (!rc) {
		rc = cmd->fn(ctx, req, out);
		pthread_mutex_unlock(&ctx->lock);
	}
	if (rc)
		*out = error_object(rc, NULL);
	return rc;
}

int inspect_ctx_summary(struct ioasid_ctx *ctx, int timeout_ms, struct json_object **out)
{
	unsigned int count[OBJ_MAX] = { 0 }, total = 0;
	struct json_object *o;
	struct obj *obj;
	uint32_t id = 1;
	int rc;

	rc = lock_ctx(ctx, timeout_ms);
	if (rc)
		return rc;
	while ((obj = idt_find_next(ctx->objects, &id))) {
		if (obj->type < OBJ_MAX)
			count[obj->type]++;
		total++;
		if (id == UINT32_MAX)
			break;
		id++;
	}
	pthread_mutex_unlock(&ctx->lock);
	o = json_object_new_object();
	jadd_u64(o, "objects", total);
	for (int t = 0; t < OBJ_MAX; t++)
		if (count[t])
			jadd_u64(o, inspect_type_name(t), count[t]);
	*out = o;
	return 0;
}

/* ---- the library's public call ------------------------------------------------------- */

IOASID_EXPORT char *ioasid_ctx_inspect(struct ioasid_ctx *ctx, const char *request,
				       unsigned int flags)
{
	struct json_object *req, *ans;
	char *text = NULL;
	int rc;

	if (!ctx || (flags & ~IOASID_INSPECT_PRETTY) || (request && strlen(request) > 4096)) {
		errno = EINVAL;
		return NULL;
	}
	req = json_tokener_parse(request ? request : "{\"cmd\":\"dump\"}");
	if (!req) {
		errno = EINVAL;
		return NULL;
	}
	rc = inspect_request(ctx, req, -1, &ans);
	json_object_put(req);
	if (!rc) {
		const char *s = json_object_to_json_string_ext(
			ans, flags & IOASID_INSPECT_PRETTY ? JSON_C_TO_STRING_PRETTY :
							     JSON_C_TO_STRING_PLAIN);
		text = s ? strdup(s) : NULL;
		if (!text)
			rc = -ENOMEM;
	}
	json_object_put(ans);
	if (rc)
		errno = -rc;
	return text;
}
