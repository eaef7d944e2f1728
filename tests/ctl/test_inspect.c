/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_inspect.c - the library's self-inspection (ioasid/inspect.h), checked against the
 * objects this test creates, over every page-table format.
 *
 * For each format: a context, an IOAS, a device of that format attached to it (an automatic
 * HWPT), a buffer mapped at an IOVA the allocator picks. Then the JSON must say exactly
 * that: the object list with its links, the area with its range, backing and pins, the
 * IOVA ranges IOMMU_IOAS_IOVA_RANGES returns, a walk that ends at the buffer's address (in
 * process, a physical address is the host address), and a table dump whose leaves cover
 * the mapping and point into the buffer. Then the errors: wrong type, no such ID, malformed
 * requests, a kind this build lacks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <linux/iommufd.h>

#include <unistd.h>

#include <linux/iommufd_test.h>

#include "ioasid/inspect.h"
#include "ioasid/ioasid.h"

#define MAP_LEN (256u << 10)
#define ALIGN	(64u << 10)

static const char *const formats[] = {
	"mock",	      "mock-64",      "x86_64-4",     "x86_64-5",
	"vtd-ss-4",   "arm-s1-4k-48", "arm-s2-4k-48", "arm-s2-4k-40-concat",
	"riscv-sv48", "amd-v1-4",     "tce-4k",	      "tce-4k-64",
};

struct fixture {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, hwpt;
	uint8_t *buf, *raw;
	uint64_t iova;
	uint64_t buf_pa; /* buf's emulated physical address, as the walk reported it */
};

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static uint64_t num(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 0);
	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_uint64(v);
}

static const char *str(struct json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

static struct json_object *ask(struct ioasid_ctx *ctx, const char *req)
{
	char *text = ioasid_ctx_inspect(ctx, req, 0);
	struct json_object *o;

	assert_non_null(text);
	o = json_tokener_parse(text);
	assert_non_null(o);
	free(text);
	return o;
}

static int ask_err(struct ioasid_ctx *ctx, const char *req)
{
	char *text = ioasid_ctx_inspect(ctx, req, 0);

	assert_null(text);
	return errno;
}

static void setup_format(struct fixture *f, const char *format)
{
	struct ioasid_device_desc desc = { .format = format };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };

	memset(f, 0, sizeof(*f));
	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &alloc), 0);
	f->ioas = alloc.out_ioas_id;
	assert_int_equal(ioasid_device_new(f->ctx, &desc, &f->dev), 0);
	assert_int_equal(ioasid_device_attach(f->ctx, f->dev, f->ioas, &f->hwpt), 0);
	/* 64K aligned: the largest granule among the formats */
	f->raw = mmap(NULL, MAP_LEN + ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	assert_true(f->raw != MAP_FAILED);
	f->buf = (uint8_t *)(((uintptr_t)f->raw + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
	memset(f->buf, 0x5a, MAP_LEN);
	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = f->ioas;
	map.user_va = (uintptr_t)f->buf;
	map.length = MAP_LEN;
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &map), 0);
	f->iova = map.iova;
}

static void teardown_format(struct fixture *f)
{
	ioasid_ctx_free(f->ctx);
	munmap(f->raw, MAP_LEN + ALIGN);
}

static void check_objects(struct fixture *f)
{
	struct json_object *r = ask(f->ctx, "{\"cmd\":\"objects\"}");
	struct json_object *objs = get(r, "objects");
	bool seen_ioas = false, seen_dev = false, seen_hwpt = false;

	assert_int_equal(json_object_array_length(objs), 3);
	for (size_t i = 0; i < 3; i++) {
		struct json_object *o = json_object_array_get_idx(objs, i);
		uint64_t id = num(o, "id");
		const char *type = str(o, "type");

		if (id == f->ioas) {
			assert_string_equal(type, "ioas");
			assert_int_equal(num(o, "areas"), 1);
			assert_int_equal(num(o, "mapped_bytes"), MAP_LEN);
			assert_int_equal(num(o, "domains"), 1);
			assert_int_equal(json_object_get_uint64(
						 json_object_array_get_idx(get(o, "hwpts"), 0)),
					 f->hwpt);
			seen_ioas = true;
		} else if (id == f->dev) {
			assert_string_equal(type, "device");
			assert_int_equal(num(get(o, "links"), "hwpt"), f->hwpt);
			assert_string_equal(str(o, "bound_by"), "library");
			seen_dev = true;
		} else if (id == f->hwpt) {
			assert_string_equal(type, "hwpt_paging");
			assert_int_equal(num(get(o, "links"), "ioas"), f->ioas);
			assert_int_equal(num(o, "devices"), 1);
			assert_int_equal(num(o, "users"), 1); /* the device */
			assert_true(json_object_get_boolean(get(o, "auto_domain")));
			seen_hwpt = true;
		} else {
			fail_msg("unexpected object %llu", (unsigned long long)id);
		}
	}
	assert_true(seen_ioas && seen_dev && seen_hwpt);
	json_object_put(r);
}

static void check_ioas(struct fixture *f)
{
	struct iommu_iova_range ranges[16];
	struct iommu_ioas_iova_ranges rq = { .size = sizeof(rq),
					     .ioas_id = f->ioas,
					     .num_iovas = 16,
					     .allowed_iovas = (uintptr_t)ranges };
	char req[64];
	struct json_object *r, *a, *jr;

	snprintf(req, sizeof(req), "{\"cmd\":\"ioas\",\"id\":%u}", f->ioas);
	r = ask(f->ctx, req);
	assert_int_equal(num(r, "id"), f->ioas);
	assert_int_equal(json_object_array_length(get(r, "areas")), 1);
	a = json_object_array_get_idx(get(r, "areas"), 0);
	assert_int_equal(num(a, "start"), f->iova);
	assert_int_equal(num(a, "last"), f->iova + MAP_LEN - 1);
	assert_int_equal(num(a, "length"), MAP_LEN);
	assert_string_equal(str(a, "backing"), "user");
	assert_int_equal(num(a, "user_va"), (uintptr_t)f->buf);
	assert_true(json_object_get_boolean(get(a, "pinned")));
	assert_int_equal(num(a, "pinned_pages"), MAP_LEN / 4096);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(get(a, "prot"), 0)),
			    "read");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(get(a, "prot"), 1)),
			    "write");

	/* the IOVA ranges are what the ioctl returns, range for range */
	assert_int_equal(ioasid_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &rq), 0);
	jr = get(r, "iova_ranges");
	assert_int_equal(json_object_array_length(jr), rq.num_iovas);
	for (size_t i = 0; i < rq.num_iovas; i++) {
		struct json_object *o = json_object_array_get_idx(jr, i);

		assert_int_equal(num(o, "start"), ranges[i].start);
		assert_int_equal(num(o, "last"), ranges[i].last);
	}
	assert_int_equal(num(r, "iova_alignment"), rq.out_iova_alignment);
	/* every reserved range is outside every usable one */
	for (size_t i = 0; i < json_object_array_length(get(r, "reserved")); i++) {
		struct json_object *o = json_object_array_get_idx(get(r, "reserved"), i);

		for (size_t j = 0; j < rq.num_iovas; j++)
			assert_true(num(o, "last") < ranges[j].start ||
				    num(o, "start") > ranges[j].last);
	}
	json_object_put(r);
}

static void check_walk(struct fixture *f)
{
	uint64_t off = 0x1234, levels, pa;
	struct json_object *r, *steps, *res, *last;
	char req[96];
	size_t n;

	snprintf(req, sizeof(req), "{\"cmd\":\"pt\",\"id\":%u,\"iova\":\"0x%llx\"}", f->hwpt,
		 (unsigned long long)(f->iova + off));
	r = ask(f->ctx, req);
	levels = num(r, "levels");
	res = get(r, "result");
	assert_true(json_object_get_boolean(get(res, "mapped")));
	/* the leaf holds the buffer's emulated physical address (iommu/phys.h), not a pointer */
	pa = num(res, "pa");
	assert_int_not_equal(pa, (uintptr_t)f->buf + off);
	f->buf_pa = pa - off;
	steps = get(r, "steps");
	n = json_object_array_length(steps);
	assert_int_equal(n, levels - num(res, "leaf_level"));
	assert_int_equal(num(json_object_array_get_idx(steps, 0), "table"), num(r, "root"));
	last = json_object_array_get_idx(steps, n - 1);
	assert_string_equal(str(last, "kind"), "leaf");
	assert_int_equal(num(last, "oa") + ((f->iova + off) & (num(last, "leaf_size") - 1)), pa);
	assert_true(json_object_array_length(get(last, "flags")) > 0);
	for (size_t i = 0; i + 1 < n; i++) {
		struct json_object *s = json_object_array_get_idx(steps, i);

		assert_string_equal(str(s, "kind"), "table");
		assert_int_equal(num(s, "next_table"),
				 num(json_object_array_get_idx(steps, i + 1), "table"));
	}
	json_object_put(r);

	/* an IOVA nothing maps: the walk ends early and says so */
	snprintf(req, sizeof(req), "{\"cmd\":\"pt\",\"id\":%u,\"iova\":\"0x%llx\"}", f->hwpt,
		 (unsigned long long)(f->iova + MAP_LEN + (1u << 20)));
	r = ask(f->ctx, req);
	assert_false(json_object_get_boolean(get(get(r, "result"), "mapped")));
	json_object_put(r);
}

static void check_tables(struct fixture *f)
{
	struct json_object *r, *tables;
	uint64_t covered = 0, nleaf = 0, ntables;
	char req[64];

	snprintf(req, sizeof(req), "{\"cmd\":\"pt\",\"id\":%u}", f->hwpt);
	r = ask(f->ctx, req);
	assert_false(json_object_get_boolean(get(r, "truncated")));
	tables = get(r, "tables");
	ntables = json_object_array_length(tables);
	assert_int_equal(ntables, num(r, "table_pages"));
	assert_int_equal(num(json_object_array_get_idx(tables, 0), "pa"), num(r, "root"));
	for (size_t t = 0; t < ntables; t++) {
		struct json_object *ents = get(json_object_array_get_idx(tables, t), "entries");

		for (size_t i = 0; i < json_object_array_length(ents); i++) {
			struct json_object *e = json_object_array_get_idx(ents, i);
			uint64_t iova = num(e, "iova"), size;

			if (strcmp(str(e, "kind"), "leaf"))
				continue;
			nleaf++;
			size = num(e, "leaf_size");
			covered += num(e, "iova_last") - iova + 1;
			/* the slot's output address is inside the buffer, at the same offset */
			assert_true(iova >= f->iova && num(e, "iova_last") < f->iova + MAP_LEN);
			assert_int_equal(num(e, "oa") + (iova & (size - 1)),
					 f->buf_pa + (iova - f->iova));
		}
	}
	assert_int_equal(covered, MAP_LEN);
	assert_int_equal(nleaf, num(r, "entries") - (ntables - 1));
	json_object_put(r);
}

static void check_errors(struct fixture *f)
{
	char req[96];

	snprintf(req, sizeof(req), "{\"cmd\":\"ioas\",\"id\":%u}", f->hwpt);
	assert_int_equal(ask_err(f->ctx, req), ENODEV);
	snprintf(req, sizeof(req), "{\"cmd\":\"pt\",\"id\":%u}", f->ioas);
	assert_int_equal(ask_err(f->ctx, req), ENODEV);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"ioas\",\"id\":999}"), ENOENT);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"ioas\",\"id\":0}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"ioas\",\"id\":-1}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"ioas\",\"id\":4294967296}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"ioas\"}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"pt\",\"id\":1,\"iova\":\"0xzz\"}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"pt\",\"id\":1,\"iova\":[]}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"nope\"}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":7}"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "[1,2]"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{"), EINVAL);
	assert_int_equal(ask_err(f->ctx, "{\"cmd\":\"devices\"}"), EOPNOTSUPP);
	assert_null(ioasid_ctx_inspect(f->ctx, NULL, 1u << 7));
	assert_int_equal(errno, EINVAL);
	assert_null(ioasid_ctx_inspect(NULL, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void check_dump(struct fixture *f)
{
	char *text = ioasid_ctx_inspect(f->ctx, NULL, IOASID_INSPECT_PRETTY);
	struct json_object *r;

	assert_non_null(text);
	assert_non_null(strchr(text, '\n')); /* pretty */
	r = json_tokener_parse(text);
	free(text);
	assert_int_equal(json_object_array_length(get(r, "objects")), 3);
	assert_int_equal(json_object_array_length(get(r, "ioas")), 1);
	assert_int_equal(json_object_array_length(get(r, "pt")), 1);
	assert_int_equal(num(json_object_array_get_idx(get(r, "pt"), 0), "id"), f->hwpt);
	json_object_put(r);
}

static void test_every_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct fixture f;

		print_message("format %s\n", formats[i]);
		setup_format(&f, formats[i]);
		check_objects(&f);
		check_ioas(&f);
		check_walk(&f);
		check_tables(&f);
		check_errors(&f);
		check_dump(&f);
		teardown_format(&f);
	}
}

/* The object of the list with this ID, checked to be of that type. */
static struct json_object *find_obj(struct json_object *objs, uint32_t id, const char *type)
{
	for (size_t i = 0; i < json_object_array_length(objs); i++) {
		struct json_object *o = json_object_array_get_idx(objs, i);

		if (num(o, "id") == id) {
			assert_string_equal(str(o, "type"), type);
			return o;
		}
	}
	fail_msg("object %u (%s) is not listed", id, type);
	return NULL;
}

static uint64_t iotlb_stat(struct ioasid_ctx *ctx, const char *key)
{
	struct json_object *r = ask(ctx, "{\"cmd\":\"iotlb\"}");
	uint64_t v;

	assert_string_equal(str(r, "scope"), "process");
	v = num(get(r, "stats"), key);
	json_object_put(r);
	return v;
}

/*
 * The IOTLB's counters move with a DMA; a fault queue, a nest parent, a vIOMMU with a
 * vDEVICE, a vEVENTQ and a HW queue, and a nested HWPT using the fault queue: each listed
 * with its links, and "faults" lists the queue with its user.
 */
static void test_iotlb_faults_kinds(void **state)
{
	struct iommu_hwpt_selftest s1 = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc parent = { .size = sizeof(parent) };
	struct iommu_hwpt_alloc nested = { .size = sizeof(nested) };
	struct iommu_viommu_alloc va = { .size = sizeof(va) };
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd) };
	struct iommu_veventq_alloc vq = { .size = sizeof(vq) };
	struct iommu_hw_queue_alloc hq = { .size = sizeof(hq) };
	struct json_object *r, *objs, *o, *fq;
	uint64_t misses, hits;
	uint8_t tmp[256];
	struct fixture f;

	(void)state;
	setup_format(&f, "mock");

	/* a miss (and fill) on the first DMA, a hit on the second */
	misses = iotlb_stat(f.ctx, "misses");
	assert_int_equal(
		ioasid_device_dma_pasid(f.ctx, f.dev, 0, f.iova, tmp, sizeof(tmp), 0, NULL), 0);
	assert_true(iotlb_stat(f.ctx, "misses") > misses);
	hits = iotlb_stat(f.ctx, "hits");
	assert_int_equal(
		ioasid_device_dma_pasid(f.ctx, f.dev, 0, f.iova, tmp, sizeof(tmp), 0, NULL), 0);
	assert_true(iotlb_stat(f.ctx, "hits") > hits);
	/* the IOTLB is shared by every context: its entries are not listed */
	r = ask(f.ctx, "{\"cmd\":\"iotlb\"}");
	assert_false(json_object_get_boolean(get(r, "entries_listed")));
	json_object_put(r);

	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	parent.dev_id = f.dev;
	parent.pt_id = f.ioas;
	parent.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_HWPT_ALLOC, &parent), 0);
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.dev_id = f.dev;
	va.hwpt_id = parent.out_hwpt_id;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = f.dev;
	vd.virt_id = 0x1234;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	vq.viommu_id = va.out_viommu_id;
	vq.type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	vq.veventq_depth = 3;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_VEVENTQ_ALLOC, &vq), 0);
	hq.viommu_id = va.out_viommu_id;
	hq.type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	hq.nesting_parent_iova = f.iova;
	hq.length = 4096;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_HW_QUEUE_ALLOC, &hq), 0);
	nested.dev_id = f.dev;
	nested.pt_id = va.out_viommu_id;
	nested.flags = IOMMU_HWPT_FAULT_ID_VALID;
	nested.fault_id = fa.out_fault_id;
	nested.data_type = IOMMU_HWPT_DATA_SELFTEST;
	nested.data_len = sizeof(s1);
	nested.data_uptr = (uintptr_t)&s1;
	assert_int_equal(ioasid_ioctl(f.ctx, IOMMU_HWPT_ALLOC, &nested), 0);

	r = ask(f.ctx, "{\"cmd\":\"objects\"}");
	objs = get(r, "objects");
	o = find_obj(objs, nested.out_hwpt_id, "hwpt_nested");
	assert_int_equal(num(get(o, "links"), "parent"), parent.out_hwpt_id);
	assert_int_equal(num(get(o, "links"), "viommu"), va.out_viommu_id);
	assert_int_equal(num(get(o, "links"), "fault"), fa.out_fault_id);
	assert_int_equal(num(o, "data_type"), IOMMU_HWPT_DATA_SELFTEST);
	o = find_obj(objs, va.out_viommu_id, "viommu");
	assert_int_equal(num(get(o, "links"), "parent"), parent.out_hwpt_id);
	assert_int_equal(num(o, "viommu_type"), IOMMU_VIOMMU_TYPE_SELFTEST);
	assert_int_equal(num(o, "vdevices"), 1);
	assert_int_equal(num(o, "veventqs"), 1);
	assert_int_equal(num(o, "hw_queues"), 1);
	o = find_obj(objs, vd.out_vdevice_id, "vdevice");
	assert_int_equal(num(get(o, "links"), "viommu"), va.out_viommu_id);
	assert_int_equal(num(get(o, "links"), "device"), f.dev);
	assert_int_equal(num(o, "virt_id"), 0x1234);
	o = find_obj(objs, vq.out_veventq_id, "veventq");
	assert_int_equal(num(get(o, "links"), "viommu"), va.out_viommu_id);
	assert_int_equal(num(o, "depth"), 3);
	assert_int_equal(num(o, "queued"), 0);
	o = find_obj(objs, hq.out_hw_queue_id, "hw_queue");
	assert_int_equal(num(get(o, "links"), "viommu"), va.out_viommu_id);
	assert_int_equal(num(o, "base_iova"), f.iova);
	assert_int_equal(num(o, "length"), 4096);
	/* the access pinning the queue memory is an object of its own, on the parent's IOAS */
	o = find_obj(objs, (uint32_t)num(get(o, "links"), "access"), "access");
	assert_int_equal(num(get(o, "links"), "ioas"), f.ioas);
	o = find_obj(objs, fa.out_fault_id, "fault");
	assert_true(json_object_get_boolean(get(o, "fd_open")));
	o = find_obj(objs, parent.out_hwpt_id, "hwpt_paging");
	assert_null(get(get(o, "links"), "fault"));
	json_object_put(r);

	r = ask(f.ctx, "{\"cmd\":\"faults\"}");
	assert_int_equal(json_object_array_length(get(r, "faults")), 1);
	fq = json_object_array_get_idx(get(r, "faults"), 0);
	assert_int_equal(num(fq, "id"), fa.out_fault_id);
	assert_true(json_object_get_boolean(get(fq, "fd_open")));
	assert_int_equal(num(fq, "pending_groups"), 0);
	assert_int_equal(num(fq, "queued_records"), 0);
	assert_int_equal(json_object_array_length(get(fq, "hwpts")), 1);
	assert_int_equal(json_object_get_uint64(json_object_array_get_idx(get(fq, "hwpts"), 0)),
			 nested.out_hwpt_id);
	assert_int_equal(json_object_array_length(get(r, "veventqs")), 1);
	o = json_object_array_get_idx(get(r, "veventqs"), 0);
	assert_int_equal(num(o, "id"), vq.out_veventq_id);
	assert_int_equal(num(get(o, "links"), "viommu"), va.out_viommu_id);
	json_object_put(r);

	close((int)fa.out_fault_fd);
	close((int)vq.out_veventq_fd);
	teardown_format(&f);
}

/* An empty context, and one whose objects go away: the answers follow. */
static void test_empty_and_after_destroy(void **state)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_destroy d = { .size = sizeof(d) };
	struct ioasid_ctx *ctx;
	struct json_object *r;

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	r = ask(ctx, "{\"cmd\":\"objects\"}");
	assert_int_equal(json_object_array_length(get(r, "objects")), 0);
	json_object_put(r);
	assert_int_equal(ioasid_ioctl(ctx, IOMMU_IOAS_ALLOC, &alloc), 0);
	r = ask(ctx, "{\"cmd\":\"ioas\",\"id\":1}");
	assert_int_equal(json_object_array_length(get(r, "areas")), 0);
	json_object_put(r);
	d.id = alloc.out_ioas_id;
	assert_int_equal(ioasid_ioctl(ctx, IOMMU_DESTROY, &d), 0);
	assert_int_equal(ask_err(ctx, "{\"cmd\":\"ioas\",\"id\":1}"), ENOENT);
	ioasid_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_format),
		cmocka_unit_test(test_empty_and_after_destroy),
		cmocka_unit_test(test_iotlb_faults_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
