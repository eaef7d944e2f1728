/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ioas.c - IOAS scenarios through the ioctl ABI.
 *
 * Overlaps, refused splits, auto-IOVA alignment, allowed versus reserved, copy, unmap-all,
 * IOVAs at the top of the address space, the EMSGSIZE protocol of IOVA_RANGES, and pinned
 * memory charged to RLIMIT_MEMLOCK through a test domain attached to the IOAS. Each refused
 * call is followed by a check that nothing changed.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

#define PG 4096ULL
#define MB (1ULL << 20)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint8_t *buf; /* 8 MiB, 2 MiB aligned, MAP_SHARED anonymous */
	size_t len;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	uint8_t *raw;

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	f->len = 8 * MB;
	raw = mmap(NULL, f->len + 2 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		   0);
	assert_true(raw != MAP_FAILED);
	f->buf = (uint8_t *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_free(f->ctx);
	free(f);
	return 0;
}

static struct iopt *fix_iopt(struct fix *f)
{
	struct ioas *ioas = ioas_get(f->ctx, f->ioas);

	assert_non_null(ioas);
	obj_put(&ioas->obj);
	return &ioas->iopt;
}

static uint64_t nr_areas(struct fix *f)
{
	return fix_iopt(f)->areas.count;
}

static void fixed_overlaps(void **state)
{
	struct fix *f = *state;
	uint64_t iova = 1 * MB, unmapped;

	T_OK(t_map(f->ctx, f->ioas, f->buf, 64 * 1024, &iova, T_MAP_FIXED));
	assert_int_equal(iova, 1 * MB);
	/* any overlap is EEXIST: same start, inside, straddling either end */
	iova = 1 * MB;
	T_ERR(EEXIST, t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	iova = 1 * MB + 60 * 1024;
	T_ERR(EEXIST, t_map(f->ctx, f->ioas, f->buf, 8 * PG, &iova, T_MAP_FIXED));
	iova = 1 * MB - PG;
	T_ERR(EEXIST, t_map(f->ctx, f->ioas, f->buf, 2 * PG, &iova, T_MAP_FIXED));
	assert_int_equal(nr_areas(f), 1);
	/* adjacent on both sides is fine */
	iova = 1 * MB - PG;
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	iova = 1 * MB + 64 * 1024;
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 64 * 1024 + 2 * PG);
}

static void bad_map_values(void **state)
{
	struct fix *f = *state;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = T_MAP_FIXED,
		.ioas_id = f->ioas,
		.user_va = (uintptr_t)f->buf,
		.length = PG,
		.iova = MB,
	};

	m.flags = 1 << 7;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.flags = T_MAP_FIXED;
	m.__reserved = 1;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.__reserved = 0;
	m.iova = UINT64_MAX;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.iova = MB;
	m.length = UINT64_MAX;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.length = PG;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA; /* neither read nor write */
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.flags = T_MAP_FIXED;
	m.length = 0;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.length = PG;
	m.ioas_id = f->ioas + 100;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	m.ioas_id = f->ioas;
	/* IOVA range wrapping past UINT64_MAX */
	m.iova = UINT64_MAX - PG + 1;
	m.length = 2 * PG;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	/* user_va + length wrapping */
	m.iova = MB;
	m.user_va = UINT64_MAX - PG + 1;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	assert_int_equal(nr_areas(f), 0);
}

static void top_of_iova_space(void **state)
{
	struct fix *f = *state;
	uint64_t iova = UINT64_MAX - PG + 1, unmapped;

	/* the last page of the 64-bit space is a valid IOVA */
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, UINT64_MAX - 2 * PG + 1, PG, NULL));
	T_ERR(EOVERFLOW, t_unmap(f->ctx, f->ioas, UINT64_MAX - PG + 1, 2 * PG, NULL));
	T_OK(t_unmap(f->ctx, f->ioas, UINT64_MAX - PG + 1, PG, &unmapped));
	assert_int_equal(unmapped, PG);
}

static void unmap_rules(void **state)
{
	struct fix *f = *state;
	uint64_t iova, unmapped;

	for (int i = 0; i < 4; i++) {
		iova = MB + i * 16 * PG;
		T_OK(t_map(f->ctx, f->ioas, f->buf + i * 16 * PG, 16 * PG, &iova, T_MAP_FIXED));
	}
	/* cutting an area is refused: inside, at its start, at its end; nothing changes */
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, MB + PG, PG, NULL));
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, MB, 8 * PG, NULL));
	/*
	 * covers area 0 fully and area 1 partly: refused, but as in the kernel (Linux 6.12,
	 * tests/oracle "unmap_prefix") area 0 is gone by the time area 1 refuses
	 */
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, MB, 20 * PG, NULL));
	assert_int_equal(nr_areas(f), 3);
	iova = MB;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 16 * PG, &iova, T_MAP_FIXED));
	/* one that starts before the range refuses before anything is removed */
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, MB + 8 * PG, 24 * PG, NULL));
	assert_int_equal(nr_areas(f), 4);
	/* nothing there at all */
	T_ERR(ENOENT, t_unmap(f->ctx, f->ioas, 64 * MB, PG, NULL));
	T_ERR(EINVAL, t_unmap(f->ctx, f->ioas, MB, 0, NULL));
	/* a range larger than the areas, holding two whole ones */
	T_OK(t_unmap(f->ctx, f->ioas, MB - 64 * PG, 64 * PG + 32 * PG, &unmapped));
	assert_int_equal(unmapped, 32 * PG);
	assert_int_equal(nr_areas(f), 2);
	/* unmap-all reports the rest; on an empty IOAS it reports 0 and succeeds */
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 32 * PG);
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 0);
}

static void auto_iova_alignment(void **state)
{
	struct fix *f = *state;
	uint64_t iova = 0;

	/* a 2 MiB-aligned 4 MiB buffer gets a 2 MiB-aligned IOVA (huge page capable) */
	T_OK(t_map(f->ctx, f->ioas, f->buf, 4 * MB, &iova, T_MAP_RW));
	assert_int_equal(iova % (2 * MB), 0);
	assert_true(iova >= PG);
	/* 64 KiB at a 64 KiB-aligned VA: IOVA aligned to 64 KiB */
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf + 4 * MB + 64 * 1024, 64 * 1024, &iova, T_MAP_RW));
	assert_int_equal(iova % (64 * 1024), 0);
	/* a buffer at an odd byte offset keeps its offset within the page */
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf + 6 * MB + 0x123, 100, &iova, T_MAP_RW));
	assert_int_equal(iova % PG, 0x123);
	/* the allocator never hands out IOVA 0 nor overlapping ranges */
	assert_int_equal(nr_areas(f), 3);
}

static void allowed_and_reserved(void **state)
{
	struct fix *f = *state;
	struct iommu_iova_range ranges[4] = { { 16 * MB, 32 * MB - 1 } };
	struct iommu_ioas_allow_iovas allow = {
		.size = sizeof(allow),
		.ioas_id = f->ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iopt *iopt = fix_iopt(f);
	uint64_t iova = 0;

	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	for (int i = 0; i < 3; i++) {
		iova = 0;
		T_OK(t_map(f->ctx, f->ioas, f->buf, 2 * MB, &iova, T_MAP_RW));
		assert_true(iova >= 16 * MB && iova + 2 * MB - 1 <= 32 * MB - 1);
	}
	/* fixed IOVAs are not limited by the allowed list (as the kernel) */
	iova = 64 * MB;
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	/* the window fills up: ENOSPC */
	iova = 0;
	T_ERR(ENOSPC, t_map(f->ctx, f->ioas, f->buf, 16 * MB, &iova, T_MAP_RW));

	/* reserved IOVA: a fixed map there is EINVAL; allowing it is EADDRINUSE */
	T_OK(iopt_reserve(iopt, 40 * MB, 48 * MB - 1, f));
	iova = 40 * MB;
	T_ERR(EINVAL, t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	ranges[0] = (struct iommu_iova_range){ 36 * MB, 44 * MB - 1 };
	T_ERR(EADDRINUSE, t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	/* the old allowed list survived the refusal */
	iova = 0;
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_RW));
	assert_true(iova >= 16 * MB && iova < 32 * MB);

	/* bad lists: start >= last, overlapping entries, bad pointer */
	ranges[0] = (struct iommu_iova_range){ 5 * MB, 5 * MB };
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	ranges[0] = (struct iommu_iova_range){ 64 * MB, 80 * MB };
	ranges[1] = (struct iommu_iova_range){ 70 * MB, 90 * MB };
	allow.num_iovas = 2;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	allow.allowed_iovas = 8;
	T_ERR(EFAULT, t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	/* an empty list allows everything again */
	allow.num_iovas = 0;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_ALLOW_IOVAS, &allow));
	iopt_unreserve_owner(iopt, f);
}

static void iova_ranges_protocol(void **state)
{
	struct fix *f = *state;
	struct iommu_iova_range out[4];
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r),
		.ioas_id = f->ioas,
		.num_iovas = 0,
		.allowed_iovas = (uintptr_t)out,
	};
	struct iopt *iopt = fix_iopt(f);

	/* nothing reserved: one range, all of it */
	T_ERR(EMSGSIZE, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.num_iovas, 1);
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.num_iovas, 1);
	assert_int_equal(out[0].start, 0);
	assert_int_equal(out[0].last, UINT64_MAX);
	assert_int_equal(r.out_iova_alignment, 1);

	/* two reservations, one touching 0 and one touching the top: holes between them */
	T_OK(iopt_reserve(iopt, 0, PG - 1, f));
	T_OK(iopt_reserve(iopt, 1ULL << 48, UINT64_MAX, f));
	T_OK(iopt_reserve(iopt, MB, 2 * MB - 1, f));
	r.num_iovas = 1;
	memset(out, 0xee, sizeof(out));
	T_ERR(EMSGSIZE, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.num_iovas, 2);
	assert_int_equal(out[0].start, PG);		       /* the first fitted */
	assert_int_equal(out[1].start, 0xeeeeeeeeeeeeeeeeULL); /* no write past the count */
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(out[0].start, PG);
	assert_int_equal(out[0].last, MB - 1);
	assert_int_equal(out[1].start, 2 * MB);
	assert_int_equal(out[1].last, (1ULL << 48) - 1);
	iopt_unreserve_owner(iopt, f);

	/* a bad output pointer with room is EFAULT */
	r.allowed_iovas = 16;
	r.num_iovas = 4;
	T_ERR(EFAULT, t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
}

static void copy_between_ioas(void **state)
{
	struct fix *f = *state;
	uint32_t dst;
	uint64_t iova, unmapped;
	uint8_t byte;
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.flags = T_MAP_RW,
		.src_iova = MB,
		.length = 32 * PG,
	};

	T_OK(t_ioas_alloc(f->ctx, &dst));
	memset(f->buf, 0x11, 16 * PG);
	memset(f->buf + 16 * PG, 0x22, 16 * PG);
	/* two adjacent areas from different parts of memory */
	iova = MB;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 16 * PG, &iova, T_MAP_FIXED));
	iova = MB + 16 * PG;
	T_OK(t_map(f->ctx, f->ioas, f->buf + 16 * PG, 16 * PG, &iova, T_MAP_FIXED));
	c.src_ioas_id = f->ioas;
	c.dst_ioas_id = dst;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	assert_true(c.dst_iova != 0);
	/* the copy reaches the same memory, and survives the source's unmap */
	T_OK(t_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 32 * PG);
	struct ioas *d = ioas_get(f->ctx, dst);
	assert_non_null(d);
	T_OK(iopt_rw(&d->iopt, c.dst_iova + 20 * PG, &byte, 1, false));
	assert_int_equal(byte, 0x22);
	byte = 0x33;
	T_OK(iopt_rw(&d->iopt, c.dst_iova, &byte, 1, true));
	assert_int_equal(f->buf[0], 0x33);
	obj_put(&d->obj);

	/* a gap in the source is ENOENT; a missing IOAS is ENOENT */
	iova = MB;
	T_OK(t_map(f->ctx, f->ioas, f->buf, 16 * PG, &iova, T_MAP_FIXED));
	c.length = 20 * PG;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.dst_ioas_id = 999;
	c.length = 16 * PG;
	T_ERR(ENOENT, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.dst_ioas_id = dst;
	c.flags = 1 << 9;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));

	/* read-only memory cannot be copied writable */
	iova = 8 * MB;
	T_OK(t_map(f->ctx, f->ioas, f->buf, PG, &iova,
		   IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA));
	c.flags = T_MAP_RW;
	c.src_iova = 8 * MB;
	c.length = PG;
	T_ERR(EPERM, t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
	c.flags = IOMMU_IOAS_MAP_READABLE;
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_COPY, &c));
}

static void map_file(void **state)
{
	struct fix *f = *state;
	int fd = memfd_create("ioasid-test", 0);
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = T_MAP_RW,
		.ioas_id = f->ioas,
		.fd = fd,
		.start = 2 * PG,
		.length = 4 * PG,
	};
	struct ioas *ioas;
	char c = 0;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16 * PG), 0);
	assert_int_equal(pwrite(fd, "x", 1, 2 * PG + 5), 1);
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m));
	ioas = ioas_get(f->ctx, f->ioas);
	T_OK(iopt_rw(&ioas->iopt, m.iova + 5, &c, 1, false));
	assert_int_equal(c, 'x');
	obj_put(&ioas->obj);
	/* closing our fd does not matter: the IOAS holds its own reference */
	m.fd = -1;
	T_ERR(EBADF, t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m));
	m.fd = fd;
	m.start = UINT64_MAX - PG;
	T_ERR(EOVERFLOW, t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m));
	m.start = 0;
	m.flags = 1 << 8;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m));
	close(fd);
}

static void huge_pages_option(void **state)
{
	struct fix *f = *state;
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = f->ioas,
		.val64 = 0,
	};
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .ioas_id = f->ioas };
	struct iommu_iova_range out;
	uint64_t iova = MB + 0x800;

	r.allowed_iovas = (uintptr_t)&out;
	r.num_iovas = 1;
	T_OK(t_ioctl(f->ctx, IOMMU_OPTION, &o));
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.out_iova_alignment, PG);
	/* now a sub-page IOVA is misaligned */
	T_ERR(EINVAL, t_map(f->ctx, f->ioas, f->buf, PG, &iova, T_MAP_FIXED));
	o.val64 = 2;
	T_ERR(EINVAL, t_ioctl(f->ctx, IOMMU_OPTION, &o));
	o.op = IOMMU_OPTION_OP_GET;
	T_OK(t_ioctl(f->ctx, IOMMU_OPTION, &o));
	assert_int_equal(o.val64, 0);
	o.op = 5;
	T_ERR(EOPNOTSUPP, t_ioctl(f->ctx, IOMMU_OPTION, &o));
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 1;
	T_OK(t_ioctl(f->ctx, IOMMU_OPTION, &o));
	T_OK(t_ioctl(f->ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	assert_int_equal(r.out_iova_alignment, 1);
}

/* ---- domains and pinned memory -------------------------------------------------------- */

static void check_domain_matches(struct fix *f, struct tdom *d)
{
	struct iopt *iopt = fix_iopt(f);
	uint64_t total = 0;

	for (struct itree_node *n = itree_first(&iopt->areas); n; n = itree_next(n)) {
		struct iopt_area *a = itree_entry(n, struct iopt_area, node);

		for (uint64_t iova = n->start; iova <= n->last && iova >= n->start; iova += PG) {
			uint64_t pa;
			int prot;

			T_OK(tdom_lookup(d, iova, &pa, &prot));
			assert_int_equal(pa,
					 pages_name(a->pages, a->start_byte + (iova - n->start)));
			assert_int_equal(prot, a->prot);
			if (n->last - iova < PG)
				break;
		}
		total += n->last - n->start + 1;
	}
	assert_int_equal(tdom_mapped_bytes(d), total);
}

static void domain_fill_and_accounting(void **state)
{
	(void)state;
	struct fix f = { 0 };
	struct tdom *d = tdom_new((1ULL << 12) | (1ULL << 21), 0, (1ULL << 39) - 1);
	struct ioasid_acct_info ai;
	uid_t uid;
	pid_t pid;
	uint64_t iova, unmapped;
	uint8_t *raw =
		mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	f.buf = (uint8_t *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	f.ctx = t_ctx_limited(1024, false, &uid, &pid);
	T_OK(t_ioas_alloc(f.ctx, &f.ioas));

	/* without a domain nothing is pinned, even for memory that is not there */
	iova = MB;
	T_OK(t_map(f.ctx, f.ioas, (void *)(uintptr_t)0x10000, 4 * PG, &iova, T_MAP_FIXED));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 0);
	/* attaching a domain must pin it: EFAULT, and nothing changes */
	T_ERR(EFAULT, -iopt_add_domain(fix_iopt(&f), &d->dom));
	assert_int_equal(tdom_mapped_bytes(d), 0);
	assert_int_equal(fix_iopt(&f)->reserved.count, 0);
	T_OK(t_unmap(f.ctx, f.ioas, 0, UINT64_MAX, &unmapped));

	/* 2 MiB of real memory, then attach: 512 pages charged, mapped with one 2M leaf */
	iova = 4 * MB;
	T_OK(t_map(f.ctx, f.ioas, f.buf, 2 * MB, &iova, T_MAP_FIXED));
	T_OK(-iopt_add_domain(fix_iopt(&f), &d->dom));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 512);
	assert_int_equal(ai.proc_pinned_pages, 512);
	assert_int_equal(d->nr_entries, 1);
	check_domain_matches(&f, d);
	/* the aperture is now reserved beyond 2^39 */
	iova = 1ULL << 40;
	T_ERR(EINVAL, t_map(f.ctx, f.ioas, f.buf, PG, &iova, T_MAP_FIXED));

	/* mapping more with a domain attached pins and maps at once */
	iova = 8 * MB + PG;
	T_OK(t_map(f.ctx, f.ioas, f.buf + 2 * MB, 3 * PG, &iova, T_MAP_FIXED));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	check_domain_matches(&f, d);

	/* past the limit (1024 pages): ENOMEM, nothing charged, nothing mapped */
	iova = 16 * MB;
	T_ERR(ENOMEM, t_map(f.ctx, f.ioas, f.buf + 4 * MB, 2 * MB, &iova, T_MAP_FIXED));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	check_domain_matches(&f, d);

	/*
	 * A second MAP of the same memory is a second pages object, charged again as the
	 * kernel does: past the limit here. A COPY shares the pages object: pinned once,
	 * however many domains map it.
	 */
	iova = 32 * MB;
	T_ERR(ENOMEM, t_map(f.ctx, f.ioas, f.buf, 2 * MB, &iova, T_MAP_FIXED));
	{
		struct tdom *d3 = tdom_new(1ULL << 12, 0, UINT64_MAX);
		struct iommu_ioas_copy c = {
			.size = sizeof(c),
			.flags = T_MAP_RW,
			.src_ioas_id = f.ioas,
			.src_iova = 4 * MB,
			.length = 2 * MB,
		};
		uint32_t other;
		struct ioas *o;

		T_OK(t_ioas_alloc(f.ctx, &other));
		o = ioas_get(f.ctx, other);
		T_OK(-iopt_add_domain(&o->iopt, &d3->dom));
		c.dst_ioas_id = other;
		T_OK(t_ioctl(f.ctx, IOMMU_IOAS_COPY, &c));
		assert_int_equal(tdom_mapped_bytes(d3), 2 * MB);
		ioasid_acct_get(uid, pid, &ai);
		assert_int_equal(ai.user_locked_pages, 515);
		iopt_remove_domain(&o->iopt, &d3->dom);
		obj_put(&o->obj);
		tdom_free(d3);
	}

	/* a domain that fails mid-fill leaves nothing behind */
	struct tdom *d2 = tdom_new((1ULL << 12), 0, UINT64_MAX);
	d2->fail_after = 100;
	T_ERR(ENOMEM, -iopt_add_domain(fix_iopt(&f), &d2->dom));
	assert_int_equal(tdom_mapped_bytes(d2), 0);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	/* a map that fails in the second domain is undone in the first */
	d2->fail_after = -1;
	T_OK(-iopt_add_domain(fix_iopt(&f), &d2->dom));
	check_domain_matches(&f, d2);
	check_domain_matches(&f, d);
	d2->fail_after = (int64_t)d2->maps + 2;
	iova = 20 * MB;
	T_ERR(ENOMEM, t_map(f.ctx, f.ioas, f.buf + 4 * MB, 8 * PG, &iova, T_MAP_FIXED));
	check_domain_matches(&f, d);
	check_domain_matches(&f, d2);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	d2->fail_after = -1;

	/* detach one: still pinned; detach both: released */
	iopt_remove_domain(fix_iopt(&f), &d2->dom);
	assert_int_equal(tdom_mapped_bytes(d2), 0);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	iopt_remove_domain(fix_iopt(&f), &d->dom);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 0);
	assert_int_equal(ai.proc_pinned_pages, 0);
	assert_int_equal(fix_iopt(&f)->reserved.count, 0);

	/* attach again and close the context with everything in place: all released */
	T_OK(-iopt_add_domain(fix_iopt(&f), &d->dom));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 515);
	T_OK(t_unmap(f.ctx, f.ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 2 * MB + 3 * PG);
	assert_int_equal(tdom_mapped_bytes(d), 0);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.user_locked_pages, 0);
	iopt_remove_domain(fix_iopt(&f), &d->dom);
	ioasid_ctx_free(f.ctx);
	tdom_free(d);
	tdom_free(d2);
	munmap(raw, 8 * MB);
}

static void rlimit_mode(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx;
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	struct ioasid_acct_info ai;
	struct tdom *d = tdom_new(1ULL << 12, 0, UINT64_MAX);
	uint8_t *buf =
		mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = MB;
	uint32_t ioas;
	uid_t uid;
	pid_t pid;

	/* without CAP_SYS_RESOURCE: EPERM */
	ctx = t_ctx_limited(8, false, &uid, &pid);
	T_ERR(EPERM, t_ioctl(ctx, IOMMU_OPTION, &o));
	ioasid_ctx_free(ctx);

	ctx = t_ctx_limited(8, true, &uid, &pid);
	o.val64 = 2;
	T_ERR(EINVAL, t_ioctl(ctx, IOMMU_OPTION, &o));
	o.val64 = 1;
	T_OK(t_ioctl(ctx, IOMMU_OPTION, &o));
	o.op = IOMMU_OPTION_OP_GET;
	o.val64 = 7;
	T_OK(t_ioctl(ctx, IOMMU_OPTION, &o));
	assert_int_equal(o.val64, 1);
	T_OK(t_ioas_alloc(ctx, &ioas));
	/* with objects in the context the mode is fixed */
	o.op = IOMMU_OPTION_OP_SET;
	T_ERR(EBUSY, t_ioctl(ctx, IOMMU_OPTION, &o));

	struct ioas *io = ioas_get(ctx, ioas);
	T_OK(-iopt_add_domain(&io->iopt, &d->dom));
	T_OK(t_map(ctx, ioas, buf, 8 * PG, &iova, T_MAP_FIXED));
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.proc_locked_pages, 8);
	assert_int_equal(ai.user_locked_pages, 0);
	iova = 2 * MB;
	T_ERR(ENOMEM, t_map(ctx, ioas, buf + 8 * PG, PG, &iova, T_MAP_FIXED));
	iopt_remove_domain(&io->iopt, &d->dom);
	obj_put(&io->obj);
	ioasid_acct_get(uid, pid, &ai);
	assert_int_equal(ai.proc_locked_pages, 0);
	ioasid_ctx_free(ctx);
	tdom_free(d);
	munmap(buf, 16 * PG);
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS moves every charge to the caller or none: two file mappings of 8
 * pinned pages each, a caller whose limit holds 12: ENOMEM, and both charges stay where they
 * were; with room, all 16 move. User memory cannot move (EINVAL).
 */
static void change_process_all_or_nothing(void **state)
{
	(void)state;
	struct tdom *d = tdom_new(1ULL << 12, 0, UINT64_MAX);
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };
	struct ioasid_acct_info old_ai, new_ai;
	struct acct_user *old_user, *new_user;
	struct acct_proc *old_proc;
	uid_t uid;
	pid_t pid;
	struct ioasid_ctx *ctx = t_ctx_limited(16, false, &uid, &pid);
	int fd = memfd_create("change-process", 0);
	uint32_t ioas;
	uint64_t iova;
	struct ioas *io;

	assert_true(fd >= 0 && ftruncate(fd, 16 * PG) == 0);
	T_OK(t_ioas_alloc(ctx, &ioas));
	io = ioas_get(ctx, ioas);
	T_OK(-iopt_add_domain(&io->iopt, &d->dom));
	for (int i = 0; i < 2; i++) {
		struct iommu_ioas_map_file m = {
			.size = sizeof(m),
			.flags = T_MAP_FIXED,
			.ioas_id = ioas,
			.fd = fd,
			.start = i * 8 * PG,
			.length = 8 * PG,
			.iova = MB + i * 8 * PG,
		};

		T_OK(t_ioctl(ctx, IOMMU_IOAS_MAP_FILE, &m));
	}
	/* the caller is now another user, and the limit 12 pages */
	t_set_memlock_limit(12);
	old_user = ctx->acct_user;
	old_proc = ctx->acct_proc;
	new_user = acct_get_user(uid + 500000);
	ctx->acct_user = new_user;
	ioasid_acct_get(uid, pid, &old_ai);
	T_ERR(ENOMEM, t_ioctl(ctx, IOMMU_IOAS_CHANGE_PROCESS, &cp));
	ioasid_acct_get(uid + 500000, pid, &new_ai);
	assert_int_equal(new_ai.user_locked_pages, 0);
	ioasid_acct_get(uid, pid, &new_ai);
	assert_int_equal(new_ai.user_locked_pages, old_ai.user_locked_pages);
	for (struct itree_node *n = itree_first(&io->iopt.areas); n; n = itree_next(n))
		assert_ptr_equal(itree_entry(n, struct iopt_area, node)->pages->acct_user,
				 old_user);

	/* with room (drop one mapping: 8 pages fit) everything moves */
	T_OK(t_unmap(ctx, ioas, MB + 8 * PG, 8 * PG, NULL));
	T_OK(t_ioctl(ctx, IOMMU_IOAS_CHANGE_PROCESS, &cp));
	ioasid_acct_get(uid + 500000, pid, &new_ai);
	assert_int_equal(new_ai.user_locked_pages, 8);
	for (struct itree_node *n = itree_first(&io->iopt.areas); n; n = itree_next(n))
		assert_ptr_equal(itree_entry(n, struct iopt_area, node)->pages->acct_user,
				 new_user);

	/* user memory cannot move */
	void *page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	iova = 4 * MB;
	T_OK(t_map(ctx, ioas, page, PG, &iova, T_MAP_RW));
	T_ERR(EINVAL, t_ioctl(ctx, IOMMU_IOAS_CHANGE_PROCESS, &cp));
	ioasid_acct_get(uid + 500000, pid, &new_ai);
	assert_int_equal(new_ai.user_locked_pages, 8 + 1); /* the new page, charged to the caller */
	T_OK(t_unmap(ctx, ioas, 0, UINT64_MAX, NULL));
	ioasid_acct_get(uid + 500000, pid, &new_ai);
	assert_int_equal(new_ai.user_locked_pages, 0);
	iopt_remove_domain(&io->iopt, &d->dom);
	obj_put(&io->obj);
	ctx->acct_user = old_user;
	ctx->acct_proc = old_proc;
	acct_put_user(new_user);
	ioasid_ctx_free(ctx);
	tdom_free(d);
	close(fd);
	munmap(page, PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fixed_overlaps, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_map_values, setup, teardown),
		cmocka_unit_test_setup_teardown(top_of_iova_space, setup, teardown),
		cmocka_unit_test_setup_teardown(unmap_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(auto_iova_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(allowed_and_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(iova_ranges_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_between_ioas, setup, teardown),
		cmocka_unit_test_setup_teardown(map_file, setup, teardown),
		cmocka_unit_test_setup_teardown(huge_pages_option, setup, teardown),
		cmocka_unit_test(domain_fill_and_accounting),
		cmocka_unit_test(rlimit_mode),
		cmocka_unit_test(change_process_all_or_nothing),
	};

	return cmocka_run_group_tests_name("ioas", tests, NULL, NULL);
}
