/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_failnth.c - fail the Nth allocation, for every N, and prove nothing changed.
 *
 * The test is linked with --wrap for malloc, calloc and realloc, so every allocation the
 * core makes goes through fault_alloc(), which fails the Nth one while a sweep is armed.
 * For each N the scenario runs from scratch; every call must either succeed or fail with
 * ENOMEM, and a failed call must leave the context exactly as it was (compared through a
 * dump of its objects, areas, reserved and allowed ranges and the pin counters). After the
 * context is closed the accounting must be back at zero; LeakSanitizer (in the sanitizer
 * build) checks that nothing leaked. The sweep ends at the first N that the scenario runs
 * through without meeting its failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "helpers.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static bool armed;
static long countdown; /* allocations left before the failure; <0 once it fired */
static bool fired;

static bool fault_now(void)
{
	if (!armed || fired)
		return false;
	if (countdown-- == 0) {
		fired = true;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t size)
{
	return fault_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fault_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fault_now() ? NULL : __real_realloc(p, size);
}

/* ---- a dump of everything a failed call must not change ---------------------------- */

struct dump {
	char *text;
	size_t len, cap;
};

static void dump_add(struct dump *d, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->text = __real_realloc(d->text, d->cap);
		assert_non_null(d->text);
	}
	memcpy(d->text + d->len, line, n + 1);
	d->len += n;
}

static void dump_tree(struct dump *d, const char *name, struct itree *t)
{
	for (struct itree_node *n = itree_first(t); n; n = itree_next(n))
		dump_add(d, "%s %llx-%llx\n", name, (unsigned long long)n->start,
			 (unsigned long long)n->last);
}

static void dump_ctx(struct dump *d, struct ioasid_ctx *ctx, uid_t uid, pid_t pid)
{
	struct ioasid_acct_info ai;
	uint32_t id = 0;
	struct obj *obj;

	d->len = 0;
	dump_add(d, "objects %zu\n", idt_count(ctx->objects));
	for (; (obj = idt_find_next(ctx->objects, &id)); id++) {
		dump_add(d, "obj %u type %d users %u\n", obj->id, obj->type, obj->users);
		if (obj->type == OBJ_IOAS) {
			struct iopt *iopt = &container_of(obj, struct ioas, obj)->iopt;

			dump_tree(d, "area", &iopt->areas);
			dump_tree(d, "reserved", &iopt->reserved);
			dump_tree(d, "allowed", &iopt->allowed);
			dump_add(d, "align %llx domains %u\n",
				 (unsigned long long)iopt->iova_alignment, iopt->ndomains);
		}
	}
	ioasid_acct_get(uid, pid, &ai);
	dump_add(d, "acct %llu %llu %llu\n", (unsigned long long)ai.user_locked_pages,
		 (unsigned long long)ai.proc_locked_pages,
		 (unsigned long long)ai.proc_pinned_pages);
}

/* ---- the scenario ---------------------------------------------------------------------- */

struct run {
	struct ioasid_ctx *ctx;
	uid_t uid;
	pid_t pid;
	struct dump before, after;
	unsigned int failures;
};

/* After one call: if it failed it must be ENOMEM and have changed nothing. Returns success. */
static bool step(struct run *r, int rc)
{
	bool was_armed = armed;

	armed = false;
	dump_ctx(&r->after, r->ctx, r->uid, r->pid);
	if (rc) {
		if (rc != ENOMEM)
			fail_msg("call failed with %d, not ENOMEM", rc);
		if (strcmp(r->before.text, r->after.text)) {
			printf("before:\n%s\nafter:\n%s\n", r->before.text, r->after.text);
			fail_msg("a failed call changed the context");
		}
		r->failures++;
		armed = was_armed;
		return false;
	}
	dump_ctx(&r->before, r->ctx, r->uid, r->pid);
	armed = was_armed;
	return true;
}

static void scenario(struct run *r, uint8_t *buf, struct tdom *dom)
{
	uint32_t a = 0, b = 0;
	uint64_t iova, unmapped;
	struct iommu_iova_range window[2] = { { 1ULL << 30, (2ULL << 30) - 1 },
					      { 4ULL << 30, (5ULL << 30) - 1 } };
	struct iommu_ioas_allow_iovas allow = { .size = sizeof(allow),
						.num_iovas = 2,
						.allowed_iovas = (uintptr_t)window };
	struct iommu_ioas_copy copy = { .size = sizeof(copy), .flags = T_MAP_RW };

	dump_ctx(&r->before, r->ctx, r->uid, r->pid);
	if (!step(r, t_ioas_alloc(r->ctx, &a)))
		return;
	if (!step(r, t_ioas_alloc(r->ctx, &b)))
		return;
	allow.ioas_id = b;
	if (!step(r, t_ioctl(r->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow)))
		return;
	for (int i = 0; i < 6; i++) {
		iova = (1ULL << 20) * (i + 1);
		if (!step(r, t_map(r->ctx, a, buf + i * 65536, 65536, &iova, T_MAP_FIXED)))
			return;
	}
	/* a domain on a: pins everything */
	{
		struct ioas *io = ioas_get(r->ctx, a);
		bool ok = step(r, -iopt_add_domain(&io->iopt, &dom->dom));

		obj_put(&io->obj);
		if (!ok)
			return;
	}
	iova = 0;
	if (!step(r, t_map(r->ctx, a, buf, 2 << 20, &iova, T_MAP_RW)))
		goto out_detach;
	copy.src_ioas_id = a;
	copy.dst_ioas_id = b;
	copy.src_iova = 1 << 20;
	copy.length = 65536;
	if (!step(r, t_ioctl(r->ctx, IOMMU_IOAS_COPY, &copy)))
		goto out_detach;
	if (!step(r, t_unmap(r->ctx, a, 2 << 20, 65536, &unmapped)))
		goto out_detach;
	if (!step(r, t_unmap(r->ctx, a, 0, UINT64_MAX, &unmapped)))
		goto out_detach;
out_detach : {
	struct ioas *io = ioas_get(r->ctx, a);

	iopt_remove_domain(&io->iopt, &dom->dom);
	obj_put(&io->obj);
}
}

static void sweep(void **state)
{
	(void)state;
	uint8_t *buf =
		mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned int total_failures = 0, n;

	assert_true(buf != MAP_FAILED);
	for (n = 0;; n++) {
		struct run r = { 0 };
		struct tdom *dom = tdom_new((1ULL << 12) | (1ULL << 21), 0, UINT64_MAX);
		struct ioasid_acct_info ai;

		r.ctx = t_ctx_limited(1 << 20, false, &r.uid, &r.pid);
		countdown = n;
		fired = false;
		armed = true;
		scenario(&r, buf, dom);
		armed = false;
		ioasid_ctx_free(r.ctx);
		ioasid_acct_get(r.uid, r.pid, &ai);
		assert_int_equal(ai.user_locked_pages + ai.proc_pinned_pages, 0);
		assert_int_equal(tdom_mapped_bytes(dom), 0);
		tdom_free(dom);
		free(r.before.text);
		free(r.after.text);
		total_failures += r.failures;
		if (!fired)
			break;
	}
	printf("fail-nth: %u allocation points swept, %u calls failed cleanly\n", n,
	       total_failures);
	assert_true(n > 10);
	assert_true(total_failures > 0);
	munmap(buf, 4 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep),
	};

	return cmocka_run_group_tests_name("failnth", tests, NULL, NULL);
}
