/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ioas_random.c - random map, unmap and copy against a shadow model.
 *
 * The shadow is the simplest possible truth: for each page of a 256-page IOVA window, which
 * area (by a serial number) holds it and which buffer page it shows. Every operation's errno
 * is predicted from the shadow before it runs (EEXIST on overlap, ENOENT for a cut area or a
 * gap, ENOSPC when the allocator has no room), and after it runs the IOAS is compared page by
 * page: IOAS A through a test domain (the physical address of each page), IOAS B through CPU
 * access (the marker byte of each buffer page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "helpers.h"

#define PG   4096ULL
#define NPG  256
#define BASE (1ULL << 30)
#define OPS  20000

struct shadow {
	uint32_t area[NPG]; /* 0: unmapped */
	uint32_t page[NPG]; /* buffer page shown */
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static uint32_t next_serial = 1;

/* errno a fixed map of [s, s+n) would get */
static int predict_map(struct shadow *sh, uint32_t s, uint32_t n)
{
	for (uint32_t i = s; i < s + n; i++)
		if (sh->area[i])
			return EEXIST;
	return 0;
}

static void shadow_fill(struct shadow *sh, uint32_t s, uint32_t n, uint32_t first_page)
{
	uint32_t serial = next_serial++;

	for (uint32_t i = 0; i < n; i++) {
		sh->area[s + i] = serial;
		sh->page[s + i] = first_page + i;
	}
}

/*
 * errno and bytes an unmap of [s, s+n) would get, and how many pages from s it removes. As
 * the kernel, areas go lowest first: one that starts before s refuses the whole call; one
 * that ends after s+n-1 refuses it too, but only once the whole areas before it are gone.
 */
static int predict_unmap(struct shadow *sh, uint32_t s, uint32_t n, uint64_t *bytes,
			 uint32_t *cleared)
{
	uint32_t end = s + n;
	int rc = 0;

	*bytes = 0;
	*cleared = 0;
	if (sh->area[s] && s > 0 && sh->area[s - 1] == sh->area[s])
		return ENOENT;
	if (end < NPG && sh->area[end - 1] && sh->area[end] == sh->area[end - 1]) {
		/* the last area sticks out: what comes before it is removed */
		while (end > s && sh->area[end - 1] == sh->area[s + n - 1])
			end--;
		rc = ENOENT;
	}
	for (uint32_t i = s; i < end; i++)
		*bytes += sh->area[i] ? PG : 0;
	*cleared = end - s;
	return rc ? rc : *bytes ? 0 : ENOENT;
}

static void shadow_clear(struct shadow *sh, uint32_t s, uint32_t n)
{
	for (uint32_t i = s; i < s + n; i++)
		sh->area[i] = 0;
}

static void check(struct ioasid_ctx *ctx, uint32_t a, uint32_t b, struct tdom *dom,
		  struct shadow *sa, struct shadow *sb, uint8_t *buf)
{
	struct ioas *iob = ioas_get(ctx, b);

	for (uint32_t i = 0; i < NPG; i++) {
		uint64_t pa;
		int prot, rc = tdom_lookup(dom, BASE + i * PG, &pa, &prot);
		uint8_t byte;

		if (sa->area[i]) {
			assert_int_equal(rc, 0);
			/* the leaf holds a name of the page, never the pointer */
			assert_ptr_equal(iommu_phys_resolve(pa, PG), buf + sa->page[i] * PG);
			assert_int_not_equal(pa, (uintptr_t)(buf + sa->page[i] * PG));
		} else {
			assert_int_equal(rc, -ENOENT);
		}
		rc = iopt_rw(&iob->iopt, BASE + i * PG, &byte, 1, false);
		if (sb->area[i]) {
			assert_int_equal(rc, 0);
			assert_int_equal(byte, (uint8_t)sb->page[i]);
		} else {
			assert_int_equal(rc, -ENOENT);
		}
	}
	obj_put(&iob->obj);
	(void)a;
}

static void random_ops(void **state)
{
	(void)state;
	struct shadow sa = { 0 }, sb = { 0 };
	struct ioasid_ctx *ctx;
	struct tdom *dom = tdom_new(1ULL << 12, 0, UINT64_MAX);
	uint8_t *buf =
		mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct iommu_iova_range window = { BASE, BASE + NPG * PG - 1 };
	struct iommu_ioas_allow_iovas allow = { .size = sizeof(allow),
						.num_iovas = 1,
						.allowed_iovas = (uintptr_t)&window };
	unsigned int counts[4][2] = { { 0 } };
	uint32_t a, b;
	struct ioas *ioa;

	for (uint32_t i = 0; i < NPG; i++)
		buf[i * PG] = (uint8_t)i;
	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	T_OK(t_ioas_alloc(ctx, &a));
	T_OK(t_ioas_alloc(ctx, &b));
	allow.ioas_id = a;
	T_OK(t_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	ioa = ioas_get(ctx, a);
	T_OK(-iopt_add_domain(&ioa->iopt, &dom->dom));

	for (int op = 0; op < OPS; op++) {
		/* unmaps are weighted up and wider so the window keeps emptying */
		uint32_t r = rnd(8), kind = r < 2 ? r : r < 6 ? 2 : 3;
		uint32_t s = rnd(NPG), n = 1 + rnd(kind == 2 ? 64 : 16), p = rnd(NPG - 16);
		uint64_t iova = BASE + s * PG, bytes, got;
		uint32_t cleared;
		int want, rc = 0;

		if (s + n > NPG)
			n = NPG - s;
		switch (kind) {
		case 0: /* fixed map into A */
			want = predict_map(&sa, s, n);
			rc = t_map(ctx, a, buf + p * PG, n * PG, &iova, T_MAP_FIXED);
			assert_int_equal(rc, want);
			if (!rc)
				shadow_fill(&sa, s, n, p);
			break;
		case 1: /* allocator map into A: anywhere in the window, or ENOSPC */
			iova = 0;
			rc = t_map(ctx, a, buf + p * PG, n * PG, &iova, T_MAP_RW);
			if (rc) {
				assert_int_equal(rc, ENOSPC);
				break;
			}
			assert_true(iova >= BASE && iova + n * PG - 1 <= window.last);
			assert_int_equal(iova % PG, 0);
			s = (iova - BASE) / PG;
			assert_int_equal(predict_map(&sa, s, n), 0);
			shadow_fill(&sa, s, n, p);
			break;
		case 2: { /* unmap from A or B */
			struct shadow *sh = rnd(2) ? &sa : &sb;

			want = predict_unmap(sh, s, n, &bytes, &cleared);
			rc = t_unmap(ctx, sh == &sa ? a : b, iova, n * PG, &got);
			assert_int_equal(rc, want);
			if (!rc)
				assert_int_equal(got, bytes);
			shadow_clear(sh, s, cleared);
			break;
		}
		case 3: { /* copy A [s, s+n) to B at d */
			uint32_t d = rnd(NPG - n + 1);
			struct iommu_ioas_copy c = {
				.size = sizeof(c),
				.flags = T_MAP_FIXED,
				.dst_ioas_id = b,
				.src_ioas_id = a,
				.length = n * PG,
				.dst_iova = BASE + d * PG,
				.src_iova = iova,
			};

			want = 0;
			for (uint32_t i = s; i < s + n; i++)
				if (!sa.area[i])
					want = ENOENT;
			if (!want)
				want = predict_map(&sb, d, n);
			rc = t_ioctl(ctx, IOMMU_IOAS_COPY, &c);
			assert_int_equal(rc, want);
			if (!rc) {
				/* one area in B per source area crossed */
				for (uint32_t i = 0; i < n; i++) {
					if (i == 0 || sa.area[s + i] != sa.area[s + i - 1])
						next_serial++;
					sb.area[d + i] = next_serial;
					sb.page[d + i] = sa.page[s + i];
				}
			}
			break;
		}
		}
		counts[kind][rc == 0]++;
		if (op % 16 == 0 || op == OPS - 1)
			check(ctx, a, b, dom, &sa, &sb, buf);
	}
	printf("random: %d ops; map %u/%u, alloc %u/%u, unmap %u/%u, copy %u/%u (ok/refused)\n",
	       OPS, counts[0][1], counts[0][0], counts[1][1], counts[1][0], counts[2][1],
	       counts[2][0], counts[3][1], counts[3][0]);
	/* both outcomes were exercised for every kind */
	for (int k = 0; k < 4; k++)
		assert_true(counts[k][0] > 0 && counts[k][1] > 0);
	iopt_remove_domain(&ioa->iopt, &dom->dom);
	obj_put(&ioa->obj);
	ioasid_ctx_free(ctx);
	tdom_free(dom);
	munmap(buf, NPG * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_ops),
	};

	return cmocka_run_group_tests_name("ioas_random", tests, NULL, NULL);
}
