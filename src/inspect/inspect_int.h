/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect_int.h - what the inspect module's own files share. Every function here runs with
 * the context's lock held (inspect.c takes it) and only reads.
 *
 * Adding a kind of object: one row in inspect.c's kinds[] (its name and a function that adds
 * its fields and links). Adding a subcommand (an IOTLB, fault queues, a platform): one row
 * in inspect.c's cmds[] naming the function that answers it.
 */
#ifndef IOASID_INSPECT_INT_H
#define IOASID_INSPECT_INT_H

#include "core/private.h"
#include "inspect/inspect.h"

/* json-c helpers: add a member, a hex address, a number. */
static inline void jadd(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static inline void jadd_hex(struct json_object *o, const char *key, uint64_t v)
{
	jadd(o, key, inspect_hex(v));
}

static inline void jadd_u64(struct json_object *o, const char *key, uint64_t v)
{
	jadd(o, key, json_object_new_uint64(v));
}

static inline void jadd_str(struct json_object *o, const char *key, const char *s)
{
	jadd(o, key, json_object_new_string(s));
}

static inline void jadd_bool(struct json_object *o, const char *key, bool b)
{
	jadd(o, key, json_object_new_boolean(b));
}

/* {"start": "0x..", "last": "0x..", "length": n} (length absent for the whole 2^64). */
struct json_object *inspect_range(uint64_t start, uint64_t last);
/* ["read", "write", ...] of enum iommu_prot */
struct json_object *inspect_prot(int prot);

/* inspect.c: the name of an object type ("ioas", "hwpt_paging" ...) */
const char *inspect_type_name(enum obj_type t);

/* inspect_ioas.c */
int inspect_ioas(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out);
int inspect_ioas_one(struct ioas *ioas, struct json_object **out);
/* Brief fields of an IOAS in the object list. */
void inspect_ioas_brief(struct obj *obj, struct json_object *o);

/* inspect_pt.c */
int inspect_pt(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out);
int inspect_pt_tables(struct hwpt_paging *hwpt, struct json_object **out);
/* The domain's identity: format, levels, root, the hardware's root word. */
void inspect_domain_brief(const struct iommu_domain *d, struct json_object *o);

/*
 * inspect_events.c: the IOTLB's counters (process-wide: answered without a context or its
 * lock), the context's fault queues and vEVENTQs.
 */
int inspect_iotlb(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out);
int inspect_faults(struct ioasid_ctx *ctx, struct json_object *req, struct json_object **out);
/* Fields of a fault queue and of a vEVENTQ (with their links) in the object list. */
void inspect_fault_brief(const struct fault_queue *fq, struct json_object *o);
void inspect_veventq_brief(const struct veventq *q, struct json_object *o);

#endif
