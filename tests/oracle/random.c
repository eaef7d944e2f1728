/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * random.c - seeded random call sequences for the oracle.
 *
 * A sequence is made in two steps. First, from the seed alone, a list of call descriptors:
 * which command, and for each argument a *choice* (an edge value, a slot, an offset), never
 * a value that depends on an earlier answer. Then the descriptors run, and each choice is
 * resolved against what the sequence has so far: "IOAS slot 2" is whatever ID the second
 * successful IOAS_ALLOC returned, "area 5" is the fifth area the program knows of. So the
 * same seed gives the same calls on every side, and a subset of the descriptors (the
 * shrinker's `keep` bitmap) is still a meaningful sequence: calls that referred to a skipped
 * call's result name 0, a stale or an unused slot instead, and get the kernel's answer to
 * that.
 *
 * The values aim at the edges: zero, one, a page less one, maxima, misaligned, overlapping,
 * wrapping past UINT64_MAX, NULL and non-canonical pointers, IDs of destroyed objects or of
 * the wrong type, closed fds. Lengths that make the kernel walk or write a range (dirty
 * bitmaps, accesses, checks) are kept small, so no call runs for long or writes past the
 * program's buffers; the rest may be anything.
 *
 * Memory is shared (memfd): the daemon cannot pin another process's private pages (see
 * docs/conformance.md), and the memory_* scenarios cover the kinds.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops.h"
#include "scenarios.h"

#define PG	  TR_PAGE
#define ALL	  ~0ULL
#define BUF_PAGES 256
#define NSLOTS	  4

enum kind {
	K_IOAS_ALLOC,
	K_DESTROY,
	K_MAP,
	K_UNMAP,
	K_COPY,
	K_RANGES,
	K_ALLOW,
	K_OPTION,
	K_MOCK_DOMAIN,
	K_HWPT_ALLOC,
	K_REPLACE,
	K_ADD_RESERVED,
	K_CREATE_ACCESS,
	K_ACCESS_PAGES,
	K_DESTROY_PAGES,
	K_ACCESS_RW,
	K_CHECK_REFS,
	K_CHECK_MAP,
	K_HW_INFO,
	K_SET_DIRTY,
	K_GET_DIRTY,
	K_TEST_DIRTY,
	K_VFIO_IOAS,
	K_VFIO_SET,
	K_VFIO_MAP,
	K_VFIO_UNMAP,
	K_VFIO_INFO,
	K_BAD_SIZE,
	K_CLOSE_REOPEN,
	K_CLOSE_ACCESS,
	K_KINDS,
};

static const unsigned char weights[K_KINDS] = {
	[K_IOAS_ALLOC] = 6,    [K_DESTROY] = 5,	     [K_MAP] = 18,	    [K_UNMAP] = 12,
	[K_COPY] = 5,	       [K_RANGES] = 4,	     [K_ALLOW] = 5,	    [K_OPTION] = 4,
	[K_MOCK_DOMAIN] = 5,   [K_HWPT_ALLOC] = 3,   [K_REPLACE] = 3,	    [K_ADD_RESERVED] = 3,
	[K_CREATE_ACCESS] = 3, [K_ACCESS_PAGES] = 4, [K_DESTROY_PAGES] = 2, [K_ACCESS_RW] = 4,
	[K_CHECK_REFS] = 2,    [K_CHECK_MAP] = 2,    [K_HW_INFO] = 2,	    [K_SET_DIRTY] = 2,
	[K_GET_DIRTY] = 3,     [K_TEST_DIRTY] = 2,   [K_VFIO_IOAS] = 2,	    [K_VFIO_SET] = 2,
	[K_VFIO_MAP] = 3,      [K_VFIO_UNMAP] = 3,   [K_VFIO_INFO] = 1,	    [K_BAD_SIZE] = 3,
	[K_CLOSE_REOPEN] = 1,  [K_CLOSE_ACCESS] = 1,
};

/* one call: its kind and raw choices, resolved when it runs */
struct desc {
	enum kind kind;
	uint32_t c[8];
};

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void make(struct desc *d)
{
	unsigned int total = 0, r;

	for (int k = 0; k < K_KINDS; k++)
		total += weights[k];
	r = (unsigned int)(next() % total);
	d->kind = 0;
	while (r >= weights[d->kind])
		r -= weights[d->kind++];
	for (int i = 0; i < 8; i++)
		d->c[i] = (uint32_t)next();
}

/* ---- the state a sequence builds ------------------------------------------------------- */

struct state {
	int fd;
	uint32_t ioas[NSLOTS];
	uint32_t hwpt[NSLOTS];
	struct mock_dev dev[NSLOTS];
	int access[NSLOTS];
	uint32_t pages[NSLOTS];
	uint32_t stale[NSLOTS];
	unsigned int nstale;
	struct {
		uint64_t iova, len;
		uint32_t ioas;
	} areas[32];
	unsigned int nareas;
	char *buf, *rd;
	uint64_t *marks;
};

static void add_stale(struct state *s, uint32_t id)
{
	if (id)
		s->stale[s->nstale++ % NSLOTS] = id;
}

static void put_slot(uint32_t *slots, uint32_t id, uint32_t choice)
{
	for (int i = 0; i < NSLOTS; i++)
		if (!slots[i]) {
			slots[i] = id;
			return;
		}
	slots[choice % NSLOTS] = id;
}

static void note_area(struct state *s, uint32_t ioas, uint64_t iova, uint64_t len)
{
	unsigned int i = s->nareas < 32 ? s->nareas++ : (unsigned int)(iova % 32);

	s->areas[i].iova = iova;
	s->areas[i].len = len;
	s->areas[i].ioas = ioas;
}

/* slot i of a kind, or the first used one if slot i is empty (0 if none is used) */
static uint32_t slot(const uint32_t *slots, size_t stride, uint32_t i)
{
	const uint32_t *at = (const uint32_t *)((const char *)slots + stride * (i % NSLOTS));

	if (*at)
		return *at;
	for (int j = 0; j < NSLOTS; j++) {
		at = (const uint32_t *)((const char *)slots + stride * (size_t)j);
		if (*at)
			return *at;
	}
	return 0;
}

#define IOAS(s, i)   slot((s)->ioas, sizeof(uint32_t), i)
#define HWPT(s, i)   slot((s)->hwpt, sizeof(uint32_t), i)
#define DEV(s, i, f) slot(&(s)->dev[0].f, sizeof(struct mock_dev), i)

/* an object ID: mostly IOASes, sometimes another type, a stale one or a constant */
static uint32_t pick_id(struct state *s, uint32_t c)
{
	switch (c % 16) {
	case 0 ... 8:
		return IOAS(s, c >> 4);
	case 9:
		return HWPT(s, c >> 4);
	case 10:
		return DEV(s, c >> 4, idev_id);
	case 11:
		return DEV(s, c >> 4, hwpt_id);
	case 12:
		return DEV(s, c >> 4, stdev_id);
	case 13:
		return s->stale[(c >> 4) % NSLOTS];
	case 14:
		return (c >> 4) % 2 ? 0 : UINT32_MAX;
	default:
		return 1 + (c >> 4) % 12;
	}
}

static uint32_t pick_pt(struct state *s, uint32_t c)
{
	return c % 3 == 0 ? HWPT(s, c >> 4) : pick_id(s, c >> 2);
}

static uint64_t pick_len(uint32_t c)
{
	static const uint64_t edge[] = { 0,	     1,	  PG - 1,	PG + 1, 2ULL << 20,
					 1ULL << 62, ALL, ALL - PG + 1, 0x800 };

	if (c % 4)
		return PG * (1 + (c >> 2) % 24);
	return edge[(c >> 2) % (sizeof(edge) / sizeof(edge[0]))];
}

/* small lengths, for calls that walk or copy the range */
static uint64_t pick_small_len(uint32_t c)
{
	static const uint64_t edge[] = { 0, 1, 7, PG - 1, PG + 1, ALL, 0x800 };

	if (c % 4)
		return PG * (1 + (c >> 2) % 8);
	return edge[(c >> 2) % (sizeof(edge) / sizeof(edge[0]))];
}

static uint64_t pick_iova(struct state *s, uint32_t c)
{
	switch (c % 8) {
	case 0 ... 2:
		return 0x100000 + PG * ((c >> 3) % 64);
	case 3:
		if (s->nareas) {
			unsigned int a = (c >> 3) % s->nareas;
			uint32_t off = (c >> 8) % 4;

			return s->areas[a].iova + (off == 3 ? s->areas[a].len : off * PG);
		}
		return 0;
	case 4:
		return AP_START + PG * ((c >> 3) % 64);
	case 5: {
		static const uint64_t edge[] = { 0,
						 1,
						 0x800,
						 ALL,
						 ALL - PG + 1,
						 ALL - 2 * PG + 1,
						 AP_LAST + 1 - PG,
						 AP_LAST,
						 1ULL << 63 };

		return edge[(c >> 3) % (sizeof(edge) / sizeof(edge[0]))];
	}
	case 6:
		return 0x100000 + PG * ((c >> 3) % 64) + ((c >> 9) % 2 ? 0x800 : 1);
	default:
		return (uint64_t)((c >> 3) % 8) << 21;
	}
}

static void *pick_va(struct state *s, uint32_t c)
{
	switch (c % 10) {
	case 0 ... 6:
		return s->buf + PG * ((c >> 4) % BUF_PAGES);
	case 7:
		return s->buf + PG * ((c >> 4) % 8) + 1 + (c >> 8) % 0x800;
	case 8:
		/* past the end of the buffer: reserved, inaccessible address space */
		return s->buf + PG * (BUF_PAGES + (c >> 4) % 8);
	default: {
		static const uint64_t edge[] = { 0, 0x1000, 0xffff800000000000ULL, ALL - PG + 1 };

		return (void *)(uintptr_t)edge[(c >> 4) % 4];
	}
	}
}

static uint32_t pick_map_flags(uint32_t c)
{
	if (c % 8 == 0)
		return c >> 3; /* anything */
	return (c >> 3) & 7;
}

static int pick_access(struct state *s, uint32_t c)
{
	int a = s->access[c % NSLOTS];

	if (c % 8 == 7)
		return s->fd; /* not an access */
	for (int j = 0; !a && j < NSLOTS; j++)
		a = s->access[j];
	return a ? a : -1;
}

/* ---- running one descriptor ------------------------------------------------------------ */

static void run(struct state *s, const struct desc *d)
{
	const uint32_t *c = d->c;
	uint64_t iova, out;

	switch (d->kind) {
	case K_IOAS_ALLOC: {
		uint32_t id = op_ioas_alloc(s->fd);

		if (id)
			put_slot(s->ioas, id, c[0]);
		break;
	}
	case K_DESTROY: {
		uint32_t id = c[1] % 3 ? pick_id(s, c[0]) : pick_pt(s, c[0]);

		if (!op_destroy(s->fd, id)) {
			add_stale(s, id);
			for (int i = 0; i < NSLOTS; i++) {
				if (s->ioas[i] == id)
					s->ioas[i] = 0;
				if (s->hwpt[i] == id)
					s->hwpt[i] = 0;
				if (s->dev[i].stdev_id == id)
					memset(&s->dev[i], 0, sizeof(s->dev[i]));
			}
		}
		break;
	}
	case K_MAP: {
		uint32_t ioas = pick_id(s, c[0]), flags = pick_map_flags(c[1]);
		uint64_t len = pick_len(c[2]);

		iova = pick_iova(s, c[3]);
		if (c[4] % 3 == 0)
			flags &= ~IOMMU_IOAS_MAP_FIXED_IOVA;
		else if (c[4] % 3 == 1)
			flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		if (!op_map(s->fd, ioas, pick_va(s, c[5]), len, &iova, flags))
			note_area(s, ioas, iova, len);
		break;
	}
	case K_UNMAP:
		if (c[0] % 5 == 0)
			op_unmap(s->fd, pick_id(s, c[1]), 0, ALL, &out);
		else
			op_unmap(s->fd, pick_id(s, c[1]), pick_iova(s, c[2]), pick_len(c[3]), &out);
		break;
	case K_COPY: {
		uint32_t dst = pick_id(s, c[0]), flags = pick_map_flags(c[3]);
		uint64_t len = pick_len(c[2]);

		iova = pick_iova(s, c[4]);
		if (!op_copy(s->fd, dst, pick_id(s, c[1]), pick_iova(s, c[5]), len, &iova, flags))
			note_area(s, dst, iova, len);
		break;
	}
	case K_RANGES: {
		struct iommu_ioas_iova_ranges r = { .size = sizeof(r),
						    .ioas_id = pick_id(s, c[0]),
						    .num_iovas = c[1] % 6,
						    .allowed_iovas = (uintptr_t)ops_scratch() };

		if (c[2] % 8 == 0)
			r.allowed_iovas = c[2] % 16 ? 0x10 : 0;
		tr_ioctl(s->fd, IOMMU_IOAS_IOVA_RANGES, &r);
		break;
	}
	case K_ALLOW: {
		uint64_t pairs[8];
		unsigned int n = c[1] % 5;

		for (unsigned int i = 0; i < n; i++) {
			uint64_t start = c[2 + i] % 4 == 0 ? pick_iova(s, c[2 + i] >> 2) :
							     0x100000 + PG * ((c[2 + i] >> 2) % 64);
			uint64_t len = pick_len(c[6] >> (i * 8));

			pairs[2 * i] = start;
			pairs[2 * i + 1] = len ? start + len - 1 : start - 1;
		}
		op_allow(s->fd, pick_id(s, c[0]), n, pairs);
		break;
	}
	case K_OPTION: {
		uint64_t v = c[3] % 4;
		uint32_t opt = c[0] % 8 == 0 ? c[0] >> 3 : c[0] % 2;

		op_option(s->fd, opt, (uint16_t)(c[1] % 5 == 0 ? c[1] >> 3 : c[1] % 2),
			  c[2] % 3 ? pick_id(s, c[2]) : 0, &v);
		break;
	}
	case K_MOCK_DOMAIN: {
		static const uint32_t flags[] = { 0, 0, MOCK_FLAGS_DEVICE_NO_DIRTY,
						  MOCK_FLAGS_DEVICE_HUGE_IOVA, 1U << 7 };
		struct mock_dev dev;

		if (!op_mock_domain(s->fd, pick_pt(s, c[0]), flags[c[1] % 5], &dev))
			s->dev[c[2] % NSLOTS] = dev;
		break;
	}
	case K_HWPT_ALLOC: {
		uint32_t f = c[2] % 6 == 0 ? c[2] >> 3 : (c[2] >> 3) % 4, h;
		uint32_t dev = c[0] % 5 ? DEV(s, c[0], idev_id) : pick_id(s, c[0]);

		if (!op_hwpt_alloc(s->fd, dev, pick_pt(s, c[1]), f, &h))
			put_slot(s->hwpt, h, c[3]);
		break;
	}
	case K_REPLACE:
		op_replace(s->fd, c[0] % 6 ? DEV(s, c[0], stdev_id) : pick_id(s, c[0]),
			   pick_pt(s, c[1]));
		break;
	case K_ADD_RESERVED:
		op_add_reserved(s->fd, pick_id(s, c[0]), pick_iova(s, c[1]), pick_len(c[2]));
		break;
	case K_CREATE_ACCESS: {
		uint32_t f = c[1] % 6 == 0 ? c[1] >> 3 : (c[1] >> 3) % 2;
		int a = op_create_access(s->fd, pick_id(s, c[0]), f);

		if (a >= 0) {
			int slot = (int)(c[2] % NSLOTS);

			if (s->access[slot])
				close(s->access[slot]);
			s->access[slot] = a;
		}
		break;
	}
	case K_ACCESS_PAGES: {
		uint32_t id;
		uint64_t len = c[3] % 8 ? PG * (1 + c[3] % 16) : pick_small_len(c[3]);

		if (!op_access_pages(s->fd, pick_access(s, c[0]), pick_iova(s, c[1]), len,
				     pick_va(s, c[2]),
				     (c[4] % 3 == 0) ? MOCK_FLAGS_ACCESS_WRITE : 0, &id))
			s->pages[c[5] % NSLOTS] = id;
		break;
	}
	case K_DESTROY_PAGES:
		op_destroy_access_pages(s->fd, pick_access(s, c[0]),
					c[1] % 4 ? s->pages[c[1] % NSLOTS] : c[1] >> 2);
		break;
	case K_ACCESS_RW: {
		static const uint32_t flags[] = { 0, MOCK_ACCESS_RW_WRITE, MOCK_ACCESS_RW_SLOW_PATH,
						  MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH,
						  1U << 5 };
		uint64_t len = c[2] % 4 ? 1 + c[2] % (2 * PG) : pick_small_len(c[2]);

		if (len > 4 * PG && len != ALL)
			len = 4 * PG;
		op_access_rw(s->fd, pick_access(s, c[0]), pick_iova(s, c[1]) + (c[3] % 64), s->rd,
			     len, flags[c[4] % 5]);
		break;
	}
	case K_CHECK_REFS:
		op_check_refs(s->fd, pick_va(s, c[0] & ~7U), pick_small_len(c[1]), c[2] % 3);
		break;
	case K_CHECK_MAP:
		op_check_map(s->fd, c[0] % 2 ? DEV(s, c[0], hwpt_id) : pick_pt(s, c[0]),
			     pick_iova(s, c[1]), pick_va(s, c[2] & ~7U), pick_small_len(c[3]));
		break;
	case K_HW_INFO:
		op_hw_info(s->fd, c[0] % 3 ? DEV(s, c[0], idev_id) : pick_id(s, c[0]),
			   c[1] % 3 == 0 ? c[1] % 17 : 64);
		break;
	case K_SET_DIRTY:
		if (c[1] % 8 == 0) {
			struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t),
								   .flags = c[1] >> 3,
								   .hwpt_id = pick_pt(s, c[0]) };

			tr_ioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &t);
		} else {
			op_set_dirty(s->fd, pick_pt(s, c[0]), c[1] % 2);
		}
		break;
	case K_GET_DIRTY: {
		static const uint64_t psz[] = { PG, PG, 2 * PG, 0x800, 0, 3 * PG, 64 * PG };
		uint64_t len = pick_small_len(c[2]);

		if (len == ALL)
			len = 1ULL << 40;
		op_get_dirty(s->fd, pick_pt(s, c[0]), pick_iova(s, c[1]), len, psz[c[3] % 7],
			     c[4] % 4 == 0 ? c[4] >> 2 : c[4] % 2);
		break;
	}
	case K_TEST_DIRTY: {
		uint64_t len = pick_small_len(c[2]);

		if (len == ALL)
			len = 1ULL << 40;
		s->marks[0] = (uint64_t)c[3] << 32 | c[4];
		op_test_dirty(s->fd, pick_pt(s, c[0]), pick_iova(s, c[1]), len,
			      c[5] % 4 ? PG : 0x800, s->marks);
		break;
	}
	case K_VFIO_IOAS:
		op_vfio_ioas(s->fd, (uint16_t)(c[0] % 4), pick_id(s, c[1]));
		break;
	case K_VFIO_SET: {
		static const unsigned long types[] = { VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, 0, 8,
						       VFIO_NOIOMMU_IOMMU };

		tr_ioctl_raw(s->fd, c[0] % 3 ? VFIO_SET_IOMMU : VFIO_CHECK_EXTENSION,
			     types[c[1] % 5]);
		break;
	}
	case K_VFIO_MAP: {
		struct vfio_iommu_type1_dma_map m = { .argsz = c[0] % 8 ? sizeof(m) : c[0] % 40,
						      .flags = c[1] % 6 ? c[1] % 4 : c[1] >> 3,
						      .vaddr = (uintptr_t)pick_va(s, c[2]),
						      .iova = pick_iova(s, c[3]),
						      .size = pick_len(c[4]) };

		tr_ioctl(s->fd, VFIO_IOMMU_MAP_DMA, &m);
		break;
	}
	case K_VFIO_UNMAP: {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = c[0] % 8 ? sizeof(u) : c[0] % 40,
			.flags = c[1] % 4 ? 0 :
					    (c[1] % 8 == 4 ? VFIO_DMA_UNMAP_FLAG_ALL : c[1] >> 3),
			.iova = pick_iova(s, c[2]),
			.size = pick_len(c[3])
		};

		tr_ioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &u);
		break;
	}
	case K_VFIO_INFO: {
		struct vfio_iommu_type1_info *i = ops_scratch();

		i->argsz = c[0] % 3 ? 256 : c[0] % 32;
		tr_ioctl(s->fd, VFIO_IOMMU_GET_INFO, i);
		break;
	}
	case K_BAD_SIZE: {
		static const unsigned long cmds[] = {
			IOMMU_DESTROY,
			IOMMU_IOAS_ALLOC,
			IOMMU_IOAS_ALLOW_IOVAS,
			IOMMU_IOAS_COPY,
			IOMMU_IOAS_IOVA_RANGES,
			IOMMU_IOAS_MAP,
			IOMMU_IOAS_UNMAP,
			IOMMU_OPTION,
			IOMMU_VFIO_IOAS,
			IOMMU_HWPT_ALLOC,
			IOMMU_GET_HW_INFO,
			IOMMU_HWPT_SET_DIRTY_TRACKING,
			IOMMU_HWPT_GET_DIRTY_BITMAP,
			IOMMU_TEST_CMD,
		};
		uint32_t *raw = ops_scratch();
		unsigned long cmd = cmds[c[0] % (sizeof(cmds) / sizeof(cmds[0]))];

		raw[0] = c[1] % 80;
		if (c[2] % 2)
			raw[c[3] % 24] = c[4];
		if (c[5] % 8 == 0)
			tr_ioctl_raw(s->fd, cmd, c[5] % 16 ? 0 : 0x10);
		else
			tr_ioctl(s->fd, cmd, raw);
		break;
	}
	case K_CLOSE_REOPEN: {
		int old = s->fd;

		tr_close(s->fd);
		tr_ioctl_raw(old, IOMMU_IOAS_ALLOC, 0);
		for (int i = 0; i < NSLOTS; i++) {
			if (s->access[i])
				close(s->access[i]);
			tr_fd_forget(s->access[i]);
			s->access[i] = 0;
		}
		memset(s->ioas, 0, sizeof(s->ioas));
		memset(s->hwpt, 0, sizeof(s->hwpt));
		memset(s->dev, 0, sizeof(s->dev));
		memset(s->pages, 0, sizeof(s->pages));
		s->nareas = 0;
		s->fd = tr_open_iommu("iommufd");
		s->ioas[0] = op_ioas_alloc(s->fd);
		break;
	}
	case K_CLOSE_ACCESS: {
		int slot = (int)(c[0] % NSLOTS);

		if (s->access[slot]) {
			tr_close(s->access[slot]);
			s->access[slot] = 0;
		}
		break;
	}
	default:
		break;
	}
}

void random_sequence(uint64_t seed, unsigned int ncalls, const uint8_t *keep)
{
	struct desc *ds = calloc(ncalls, sizeof(*ds));
	struct state s;
	char name[64];

	memset(&s, 0, sizeof(s));
	rng = seed * 0x9E3779B97F4A7C15ULL + 0x1234567;
	if (!rng)
		rng = 1;
	for (unsigned int i = 0; i < ncalls; i++)
		make(&ds[i]);
	snprintf(name, sizeof(name), "random-%llu", (unsigned long long)seed);
	tr_begin(name);
	s.buf = tr_mem("buf", TR_MEMFD, 0, BUF_PAGES * PG);
	s.rd = tr_mem("rd", TR_ANON_PRIVATE, 256 * 1024 * 1024, 8 * PG);
	s.marks = (uint64_t *)(void *)(s.rd + 6 * PG);
	tr_region("marks", s.marks, PG);
	/* past the buffer: address space reserved, not accessible */
	tr_region("hole", s.buf + BUF_PAGES * PG, 64 * PG);
	s.fd = tr_open_iommu("iommufd");
	/* every sequence starts with one IOAS (not a descriptor: the shrinker keeps it) */
	s.ioas[0] = op_ioas_alloc(s.fd);
	for (unsigned int i = 0; i < ncalls; i++) {
		if (keep && !(keep[i / 8] & (1U << (i % 8))))
			continue;
		tr_mark((int)i);
		run(&s, &ds[i]);
	}
	tr_mark(-1);
	for (int i = 0; i < NSLOTS; i++)
		if (s.access[i]) {
			close(s.access[i]);
			tr_fd_forget(s.access[i]);
		}
	close(s.fd);
	tr_fd_forget(s.fd);
	tr_end();
	tr_mem_free(s.buf, BUF_PAGES * PG);
	tr_mem_free(s.rd, 8 * PG);
	free(ds);
}
