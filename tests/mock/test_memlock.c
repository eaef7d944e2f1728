/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_memlock.c - pinned memory accounting through domains and accesses.
 *
 * Pinning happens only when something needs the pages: a map into an IOAS with no domain
 * charges nothing; attaching a device charges every mapped page once; detaching the last
 * one releases the charge. A limit (no CAP_IPC_LOCK, a small RLIMIT_MEMLOCK through the
 * context's mem ops) that an attach or a map would pass gives ENOMEM and changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_helpers.h"

#define BASE	    ((uint64_t)MOCK_APERTURE_START)
#define LIMIT_PAGES 8

struct fix {
	struct ioasid_ctx *ctx;
	uid_t uid;
	pid_t pid;
	uint32_t ioas;
	uint8_t *buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->ctx = t_ctx_limited(LIMIT_PAGES, false, &f->uid, &f->pid);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->buf = m_buf(32 * PG);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	struct ioasid_acct_info info;

	ioasid_ctx_free(f->ctx);
	ioasid_acct_get(f->uid, f->pid, &info);
	assert_int_equal(info.user_locked_pages, 0);
	assert_int_equal(info.proc_pinned_pages, 0);
	m_buf_free(f->buf, 32 * PG);
	free(f);
	return 0;
}

static uint64_t locked(struct fix *f)
{
	struct ioasid_acct_info info;

	ioasid_acct_get(f->uid, f->pid, &info);
	assert_int_equal(info.user_locked_pages, info.proc_pinned_pages);
	return info.user_locked_pages;
}

static void test_charge_follows_domain(void **state)
{
	struct fix *f = *state;
	uint32_t stdev, stdev2, hwpt;

	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 4 * PG, BASE, T_MAP_RW));
	assert_int_equal(locked(f), 0);
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, &hwpt, NULL));
	assert_int_equal(locked(f), 4);
	/* a second domain and a copy of the same pages charge nothing more */
	T_OK(m_mock_domain(f->ctx, f->ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev2, NULL, NULL));
	assert_int_equal(locked(f), 4);
	{
		struct iommu_ioas_copy c = {
			.size = sizeof(c),
			.flags = T_MAP_FIXED,
			.dst_ioas_id = f->ioas,
			.src_ioas_id = f->ioas,
			.dst_iova = BASE + (1 << 20),
			.src_iova = BASE,
			.length = 4 * PG,
		};

		T_OK(t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	}
	assert_int_equal(locked(f), 4);
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 1));
	T_OK(m_destroy(f->ctx, stdev));
	assert_int_equal(locked(f), 4);
	T_OK(m_destroy(f->ctx, stdev2));
	assert_int_equal(locked(f), 0);
	T_OK(m_check_refs(f->ctx, f->buf, 4 * PG, 0));
	(void)hwpt;
}

static void test_limit(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q) };
	uint32_t stdev, hwpt;

	/* 12 pages mapped with no domain: fine, nothing is pinned */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 12 * PG, BASE, T_MAP_RW));
	assert_int_equal(locked(f), 0);
	/* attaching would pin 12 > 8: refused, and no HWPT is left behind */
	T_ERR(ENOMEM, m_mock_domain(f->ctx, f->ioas, 0, &stdev, &hwpt, NULL));
	assert_int_equal(locked(f), 0);
	q.ioas_id = f->ioas;
	T_ERR(EMSGSIZE, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &q));
	assert_int_equal(q.num_iovas, 1); /* no aperture reserved: no domain stayed */
	T_OK(m_check_refs(f->ctx, f->buf, 12 * PG, 0));
	T_OK(t_unmap(f->ctx, f->ioas, BASE, 12 * PG, NULL));

	/* within the limit: attach charges; a map passing it is refused whole */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 6 * PG, BASE, T_MAP_RW));
	T_OK(m_mock_domain(f->ctx, f->ioas, 0, &stdev, &hwpt, NULL));
	assert_int_equal(locked(f), 6);
	T_ERR(ENOMEM,
	      m_map_fixed(f->ctx, f->ioas, f->buf + 8 * PG, 4 * PG, BASE + (1 << 20), T_MAP_RW));
	assert_int_equal(locked(f), 6);
	T_ERR(EINVAL, m_check_map(f->ctx, hwpt, BASE + (1 << 20), f->buf + 8 * PG, PG));
	/* up to the limit exactly is fine */
	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf + 6 * PG, 2 * PG, BASE + (2 << 20), T_MAP_RW));
	assert_int_equal(locked(f), 8);
	T_OK(m_destroy(f->ctx, stdev));
	assert_int_equal(locked(f), 0);
}

static void test_access_charge(void **state)
{
	struct fix *f = *state;
	uint32_t item;
	int fd;

	T_OK(m_map_fixed(f->ctx, f->ioas, f->buf, 10 * PG, BASE, T_MAP_RW));
	T_OK(m_create_access(f->ctx, f->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd));
	T_OK(m_access_pages(f->ctx, fd, BASE, 2 * PG, f->buf, 0, &item));
	assert_int_equal(locked(f), 2);
	T_ERR(ENOMEM, m_access_pages(f->ctx, fd, BASE + 2 * PG, 7 * PG, f->buf + 2 * PG, 0, NULL));
	assert_int_equal(locked(f), 2);
	/* the domain's pin of the same pages is the same pin */
	T_ERR(ENOMEM, m_mock_domain(f->ctx, f->ioas, 0, NULL, NULL, NULL));
	assert_int_equal(locked(f), 2);
	T_OK(t_unmap(f->ctx, f->ioas, BASE, 10 * PG, NULL));
	assert_int_equal(locked(f), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_charge_follows_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_charge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
