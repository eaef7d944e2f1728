/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_kver.c - kernel versions as numbers: what parses, what does not, and that the
 * numbers order as the releases do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/kver.h"

static void test_parse_good(void **state)
{
	static const struct {
		const char *s;
		uint32_t v;
	} cases[] = { { "6.12", 0x060c }, { "6.12.117", 0x060c }, { "7.3", 0x0703 },
		      { "6.0", 0x0600 },  { "255.255", 0xffff },  { "10.1.0", 0x0a01 },
		      { "6.013", 0x060d } };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 1;

		assert_int_equal(kver_parse(cases[i].s, &v), 0);
		assert_int_equal(v, cases[i].v);
	}
	assert_true(KVER(6, 12) < KVER(6, 13));
	assert_true(KVER(6, 255) < KVER(7, 0));
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = { NULL,    "",	     "6",     "6.",    ".12",	"a.b",
					   "6.12x", "6.12.", "0.1",   "256.1", "6.256", " 6.12",
					   "6.-1",  "-6.12", "6..12", "6.12.x" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 0x1234;

		assert_int_equal(kver_parse(bad[i], &v), -1);
		assert_int_equal(v, 0x1234); /* untouched */
	}
}

static void test_from_env(void **state)
{
	(void)state;
	unsetenv("IOASID_KERNEL_ABI");
	assert_int_equal(kver_from_env(), 0);
	setenv("IOASID_KERNEL_ABI", "6.12", 1);
	assert_int_equal(kver_from_env(), 0x060c);
	setenv("IOASID_KERNEL_ABI", "latest", 1);
	assert_int_equal(kver_from_env(), 0);
	unsetenv("IOASID_KERNEL_ABI");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_from_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
