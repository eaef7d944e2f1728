/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_inspect_busy.c - the inspect module never waits for a busy context longer than it
 * was told: with the context's lock held by another thread, a request with a timeout fails
 * with EBUSY (and an error object saying so) after about that timeout, a summary too; once
 * the lock is free the same request succeeds. Internal API (src/inspect/inspect.h).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/private.h"
#include "inspect/inspect.h"

struct holder {
	struct ioasid_ctx *ctx;
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool locked, release;
};

static void *hold_lock(void *arg)
{
	struct holder *h = arg;

	pthread_mutex_lock(&h->ctx->lock);
	pthread_mutex_lock(&h->m);
	h->locked = true;
	pthread_cond_broadcast(&h->cv);
	while (!h->release)
		pthread_cond_wait(&h->cv, &h->m);
	pthread_mutex_unlock(&h->m);
	pthread_mutex_unlock(&h->ctx->lock);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_busy_context(void **state)
{
	struct holder h = { .m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	struct json_object *req = json_tokener_parse("{\"cmd\":\"objects\"}"), *out, *v;
	pthread_t t;
	int64_t t0;

	(void)state;
	assert_int_equal(ioasid_ctx_new(NULL, &h.ctx), 0);
	assert_int_equal(pthread_create(&t, NULL, hold_lock, &h), 0);
	pthread_mutex_lock(&h.m);
	while (!h.locked)
		pthread_cond_wait(&h.cv, &h.m);
	pthread_mutex_unlock(&h.m);

	t0 = now_ms();
	assert_int_equal(inspect_request(h.ctx, req, 100, &out), -EBUSY);
	assert_true(now_ms() - t0 >= 90);
	assert_true(now_ms() - t0 < 5000);
	assert_true(json_object_object_get_ex(out, "errno", &v));
	assert_int_equal(json_object_get_int(v), EBUSY);
	json_object_put(out);
	assert_int_equal(inspect_request(h.ctx, req, 0, &out), -EBUSY); /* a try only */
	json_object_put(out);
	assert_int_equal(inspect_ctx_summary(h.ctx, 50, &out), -EBUSY);

	pthread_mutex_lock(&h.m);
	h.release = true;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.m);
	pthread_join(t, NULL);

	assert_int_equal(inspect_request(h.ctx, req, 100, &out), 0);
	assert_true(json_object_object_get_ex(out, "objects", &v));
	json_object_put(out);
	assert_int_equal(inspect_ctx_summary(h.ctx, 100, &out), 0);
	json_object_put(out);
	json_object_put(req);
	ioasid_ctx_free(h.ctx);
}

/* A request with no context: only the kinds that need none are answered. */
static void test_no_context(void **state)
{
	struct json_object *req = json_tokener_parse("{\"cmd\":\"objects\"}"), *out;

	(void)state;
	assert_int_equal(inspect_request(NULL, req, 0, &out), -EINVAL);
	json_object_put(out);
	json_object_put(req);
	/* the IOTLB is the process's: answered without a context (the daemon asks so) */
	req = json_tokener_parse("{\"cmd\":\"iotlb\"}");
	assert_int_equal(inspect_request(NULL, req, 0, &out), 0);
	assert_true(json_object_object_get_ex(out, "stats", NULL));
	json_object_put(out);
	json_object_put(req);
	/* fault queues are a context's: no context, no answer, and a sentence saying why */
	req = json_tokener_parse("{\"cmd\":\"faults\"}");
	assert_int_equal(inspect_request(NULL, req, 0, &out), -EOPNOTSUPP);
	assert_true(json_object_object_get_ex(out, "error", NULL));
	json_object_put(out);
	json_object_put(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_context),
		cmocka_unit_test(test_no_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
