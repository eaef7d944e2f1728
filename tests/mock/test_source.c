/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_source.c - the mem ops' sources and how the core calls pin_user and unpin_user.
 *
 * The mem ops here wrap the in-process ones and record every call: which source each pin,
 * unpin and memlock_limit got, and a per-page balance of pins. source_get hands out the
 * "current caller", which a test switches to play a parent and its child, or two contexts
 * of one process. Checked: a pages object keeps the source of whoever made it, whoever
 * pins it later; each page is pinned once per pages object however many domains and
 * accesses hold it, and pins balance to zero; MD_CHECK_REFS counts the caller's source
 * across contexts; a failed source_get fails the map with nothing left behind; a mem whose
 * host addresses are not linear is refused and its pin given back; without source ops
 * everything is the context's mem_priv, as before.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mock_helpers.h"

#define BUF_PAGES 8
#define IOVA	  ((uint64_t)MOCK_APERTURE_START)
#define SRC_MAGIC 0x73726321u

struct rec_src {
	uint32_t magic;
	int refs;
};

static struct rec_src src_a = { SRC_MAGIC, 0 }, src_b = { SRC_MAGIC, 0 };
static struct rec_src *current;	 /* what source_get hands out; NULL: fail */
static uint8_t *buf;		 /* the pages whose pins are balanced */
static int page_pins[BUF_PAGES]; /* pin_user less unpin_user, per page of buf */
static unsigned int pins, unpins, limits, bad_priv;
static bool skew; /* pin_user answers a host that is not linear */

static bool is_source(void *priv)
{
	return priv == &src_a || priv == &src_b;
}

static void *rec_source_get(void *priv)
{
	(void)priv;
	if (current)
		current->refs++;
	return current;
}

static void rec_source_put(void *source)
{
	struct rec_src *s = source;

	if (!is_source(s) || s->refs <= 0) {
		bad_priv++;
		return;
	}
	s->refs--;
}

static void balance(uint64_t uptr, uint64_t len, int delta)
{
	for (uint64_t a = uptr; a < uptr + len; a += PG) {
		if (a < (uintptr_t)buf || a >= (uintptr_t)buf + BUF_PAGES * PG)
			continue;
		page_pins[(a - (uintptr_t)buf) / PG] += delta;
	}
}

static int rec_pin(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host)
{
	int rc;

	if (!is_source(priv))
		bad_priv++;
	rc = uaccess_self_ops.pin_user(priv, uptr, len, write, out_host);
	if (rc)
		return rc;
	pins++;
	balance(uptr, len, 1);
	if (skew && uptr != (uintptr_t)buf)
		*out_host = (uint8_t *)*out_host + PG;
	return 0;
}

static void rec_unpin(void *priv, uint64_t uptr, uint64_t len, void *host)
{
	if (!is_source(priv))
		bad_priv++;
	unpins++;
	balance(uptr, len, -1);
	uaccess_self_ops.unpin_user(priv, uptr, len, host);
}

static uint64_t rec_limit(void *priv)
{
	if (!is_source(priv))
		bad_priv++;
	limits++;
	return UINT64_MAX;
}

static struct ioasid_mem_ops rec_ops;

static struct ioasid_ctx *rec_ctx(void)
{
	struct ioasid_ctx_params p;
	struct ioasid_ctx *ctx;

	ioasid_ctx_params_self(&p);
	rec_ops = *p.mem;
	rec_ops.pin_user = rec_pin;
	rec_ops.unpin_user = rec_unpin;
	rec_ops.memlock_limit = rec_limit;
	rec_ops.source_get = rec_source_get;
	rec_ops.source_put = rec_source_put;
	p.mem = &rec_ops;
	p.cap_ipc_lock = false;
	assert_int_equal(ioasid_ctx_new(&p, &ctx), 0);
	return ctx;
}

static void assert_balanced(void)
{
	for (int i = 0; i < BUF_PAGES; i++)
		assert_int_equal(page_pins[i], 0);
	assert_int_equal(bad_priv, 0);
}

static int setup(void **state)
{
	(void)state;
	buf = mmap(NULL, BUF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	memset(page_pins, 0, sizeof(page_pins));
	pins = unpins = limits = bad_priv = 0;
	skew = false;
	src_a.refs = src_b.refs = 0;
	current = &src_a;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_balanced();
	assert_int_equal(src_a.refs, 0);
	assert_int_equal(src_b.refs, 0);
	munmap(buf, BUF_PAGES * PG);
	return 0;
}

/* The child maps, the parent attaches a domain: the pins are the child's. */
static void test_source_kept(void **state)
{
	struct ioasid_ctx *ctx = rec_ctx();
	uint32_t ioas, hwpt;

	(void)state;
	T_OK(t_ioas_alloc(ctx, &ioas));
	current = &src_b; /* the child */
	T_OK(m_map_fixed(ctx, ioas, buf, BUF_PAGES * PG, IOVA, T_MAP_RW));
	assert_int_equal(src_b.refs, 1);
	current = &src_a; /* the parent */
	T_OK(m_mock_domain(ctx, ioas, 0, NULL, &hwpt, NULL));
	assert_true(pins > 0 && limits > 0);
	assert_int_equal(page_pins[0], 1);
	/* the parent's own pin count of the page: none; the child's: one */
	T_OK(m_check_refs(ctx, buf, BUF_PAGES * PG, 0));
	current = &src_b;
	T_OK(m_check_refs(ctx, buf, BUF_PAGES * PG, 1));
	/* MD_CHECK_MAP pins through the caller's source and gives it back */
	T_OK(m_check_map(ctx, hwpt, IOVA, buf, BUF_PAGES * PG));
	assert_int_equal(page_pins[3], 1);
	assert_int_equal(src_a.refs, 0);
	assert_int_equal(src_b.refs, 1);
	ioasid_ctx_free(ctx);
	assert_int_equal(src_b.refs, 0);
}

/* One pin per page per pages object: two domains and an access add nothing. */
static void test_pin_once(void **state)
{
	struct ioasid_ctx *ctx = rec_ctx();
	uint32_t ioas, item, stdev1, stdev2;
	int fd;

	(void)state;
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(m_map_fixed(ctx, ioas, buf, BUF_PAGES * PG, IOVA, T_MAP_RW));
	T_OK(m_create_access(ctx, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	/* pages 2..3 by the access first: the domain then pins two runs around them */
	T_OK(m_access_pages(ctx, fd, IOVA + 2 * PG, 2 * PG, NULL, 0, &item));
	assert_int_equal(page_pins[2], 1);
	assert_int_equal(page_pins[0], 0);
	T_OK(m_mock_domain(ctx, ioas, 0, &stdev1, NULL, NULL));
	T_OK(m_mock_domain(ctx, ioas, 0, &stdev2, NULL, NULL));
	for (int i = 0; i < BUF_PAGES; i++)
		assert_int_equal(page_pins[i], 1);
	T_OK(m_check_refs(ctx, buf, BUF_PAGES * PG, 1));
	/* the domains go; the access still holds its two pages */
	T_OK(m_destroy(ctx, stdev1));
	T_OK(m_destroy(ctx, stdev2));
	assert_int_equal(page_pins[0], 0);
	assert_int_equal(page_pins[2], 1);
	assert_int_equal(page_pins[3], 1);
	assert_int_equal(page_pins[4], 0);
	close(fd);
	T_OK(t_unmap(ctx, ioas, IOVA, BUF_PAGES * PG, NULL)); /* the access fd's close is seen */
	assert_int_equal(page_pins[2], 0);
	/* runs: the access's, then the two the domain added around it; given back alike */
	assert_int_equal(pins, 3);
	assert_int_equal(unpins, 3);
	ioasid_ctx_free(ctx);
}

/* Pin counts add up across contexts of one source, not across sources. */
static void test_count_across_contexts(void **state)
{
	struct ioasid_ctx *c1 = rec_ctx(), *c2 = rec_ctx();
	uint32_t ioas;

	(void)state;
	T_OK(t_ioas_alloc(c1, &ioas));
	T_OK(m_mock_domain(c1, ioas, 0, NULL, NULL, NULL));
	T_OK(m_map_fixed(c1, ioas, buf, BUF_PAGES * PG, IOVA, T_MAP_RW));
	T_OK(m_check_refs(c2, buf, BUF_PAGES * PG, 1));
	current = &src_b;
	T_OK(m_check_refs(c2, buf, BUF_PAGES * PG, 0));
	current = &src_a;
	ioasid_ctx_free(c1);
	T_OK(m_check_refs(c2, buf, BUF_PAGES * PG, 0));
	ioasid_ctx_free(c2);
}

/* No source: the map fails with ENOMEM and leaves nothing. */
static void test_source_get_fails(void **state)
{
	struct ioasid_ctx *ctx = rec_ctx();
	uint64_t iova = 0, unmapped = 1;
	uint32_t ioas;

	(void)state;
	T_OK(t_ioas_alloc(ctx, &ioas));
	current = NULL;
	T_ERR(ENOMEM, t_map(ctx, ioas, buf, PG, &iova, T_MAP_RW));
	current = &src_a;
	T_OK(t_unmap(ctx, ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 0);
	ioasid_ctx_free(ctx);
}

/* A mem that answers a second run at a host that does not follow the first: EFAULT. */
static void test_nonlinear_host(void **state)
{
	struct ioasid_ctx *ctx = rec_ctx();
	uint32_t ioas, item;
	int fd;

	(void)state;
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(m_map_fixed(ctx, ioas, buf, BUF_PAGES * PG, IOVA, T_MAP_RW));
	T_OK(m_create_access(ctx, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	skew = true;
	T_OK(m_access_pages(ctx, fd, IOVA, PG, NULL, 0, &item));
	T_ERR(EFAULT, m_access_pages(ctx, fd, IOVA + 2 * PG, PG, NULL, 0, &item));
	/* the refused run was given back, the first one is still held */
	assert_int_equal(page_pins[2], 0);
	assert_int_equal(page_pins[0], 1);
	close(fd);
	ioasid_ctx_free(ctx);
}

/* Without source ops, pin and unpin get the context's mem_priv, as before. */
static void *seen_priv;

static int plain_pin(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host)
{
	seen_priv = priv;
	return uaccess_self_ops.pin_user(priv, uptr, len, write, out_host);
}

static void test_no_source_ops(void **state)
{
	static struct ioasid_mem_ops ops;
	static int cookie;
	struct ioasid_ctx_params p;
	struct ioasid_ctx *ctx;
	uint32_t ioas;

	(void)state;
	ioasid_ctx_params_self(&p);
	ops = *p.mem;
	ops.pin_user = plain_pin;
	p.mem = &ops;
	p.mem_priv = &cookie;
	assert_int_equal(ioasid_ctx_new(&p, &ctx), 0);
	T_OK(t_ioas_alloc(ctx, &ioas));
	T_OK(m_mock_domain(ctx, ioas, 0, NULL, NULL, NULL));
	T_OK(m_map_fixed(ctx, ioas, buf, BUF_PAGES * PG, IOVA, T_MAP_RW));
	assert_ptr_equal(seen_priv, &cookie);
	assert_int_equal(pages_count_user_pins(&ops, &cookie, (uintptr_t)buf), 1);
	ioasid_ctx_free(ctx);
	assert_int_equal(pages_count_user_pins(&ops, &cookie, (uintptr_t)buf), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_across_contexts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_get_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonlinear_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_source_ops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
