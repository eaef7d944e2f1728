/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pt_fuzz.c - a fuzz target over the page-table walker, checked against the shadow model.
 *
 * Input: byte 0 picks the variant (pt_variants), the rest is a stream of 8-byte
 * operations: opcode, page-size index, count, window, then a 32-bit slot number (little
 * endian). The IOVA of an operation is window base + slot * page size, where the windows
 * sit at each IOVA range's lowest and highest addresses and in its middle, so the fuzzer
 * reaches UINT64_MAX and the x86 canonical edges without guessing 64-bit numbers.
 * Operations: map (sometimes with an injected allocation failure), unmap, map_range,
 * lookup, simulated DMA write, dirty read-and-clear, tracking on/off. Every answer is
 * compared with tests/pt/pt_shadow.h, and so is the number of table pages; any mismatch
 * aborts. At the end everything is unmapped and the arena must hold no page.
 *
 * Build: with clang -fsanitize=fuzzer,address -DFUZZ_LIBFUZZER as a libFuzzer target;
 * without FUZZ_LIBFUZZER it is a plain program: `pt_fuzz FILE...` runs files, `pt_fuzz -r
 * N [SEED]` runs N inputs made from a seeded generator (a smoke run needing no clang).
 *
 * Words: P = page size; "slot" = page-sized step inside a window.
 *
 * Traps: decoded counts stay small so each input is fast; `last` is computed with
 * overflow checks, since windows touch UINT64_MAX.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt/pt.h"
#include "../tests/pt/pt_shadow.h"

#define CHECK(c)                                                                                 \
	do {                                                                                     \
		if (!(c)) {                                                                      \
			fprintf(stderr, "pt_fuzz: %s: check failed: %s (line %d)\n", fz_variant, \
				#c, __LINE__);                                                   \
			abort();                                                                 \
		}                                                                                \
	} while (0)

static const char *fz_variant = "?";
static struct pt_arena *fz_arena;

struct fz {
	struct iommu_domain *d;
	struct shadow sh;
	enum pt_format fmt;
	uint64_t sizes[64];
	unsigned int ns;
	uint64_t win[3 * IOMMU_DOMAIN_MAX_RANGES];
	unsigned int nwin;
	uint64_t W;
};

static int fz_prot(const struct fz *z, int prot)
{
	if (z->fmt == PT_FMT_X86_64 || z->fmt == PT_FMT_RISCV) /* riscv: W needs R; X */
		return IOMMU_PROT_READ | (prot & (IOMMU_PROT_WRITE | IOMMU_PROT_NOEXEC));
	if (z->fmt == PT_FMT_ARM_LPAE) /* stage 1: valid means readable; XN */
		return ((pt_domain_config(z->d)->flags & PT_CFG_ARM_S2) ? 0 : IOMMU_PROT_READ) |
		       (prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE | IOMMU_PROT_NOEXEC));
	if (z->fmt == PT_FMT_TCE) /* write implies read */
		return IOMMU_PROT_READ | (prot & IOMMU_PROT_WRITE);
	return prot & (IOMMU_PROT_READ | IOMMU_PROT_WRITE);
}

static bool fz_in_ranges(const struct iommu_domain *d, uint64_t iova, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < d->nr_ranges; i++)
		if (iova >= d->ranges[i].start && last <= d->ranges[i].last)
			return true;
	return false;
}

static void fz_sync(struct fz *z)
{
	struct iommu_gather g;

	iommu_gather_init(&g);
	z->d->ops->iotlb_sync(z->d, &g);
}

static void fz_probe(struct fz *z, uint64_t iova)
{
	uint64_t pa = 0, sz = 0;
	int prot = 0, rc = z->d->ops->iova_to_phys(z->d, iova, &pa, &sz, &prot);
	struct sh_leaf *lf = fz_in_ranges(z->d, iova, iova) ? sh_find(&z->sh, iova) : NULL;

	if (!lf) {
		CHECK(rc == -ENOENT);
		return;
	}
	CHECK(rc == 0 && pa == lf->pa + (iova - lf->iova) && sz == lf->last - lf->iova + 1 &&
	      prot == lf->prot);
}

struct fz_sink {
	struct iommu_dirty_sink sink;
	struct fz *z;
	size_t i;
	uint64_t lo, hi;
	bool clear;
};

/* Each record must be the next dirty leaf of the shadow, clipped to [lo, hi]. */
static void fz_record(struct iommu_dirty_sink *s, uint64_t iova, uint64_t len)
{
	struct fz_sink *fs = (struct fz_sink *)s;
	struct shadow *sh = &fs->z->sh;

	while (fs->i < sh->n && sh->v[fs->i].iova <= fs->hi && !sh->v[fs->i].dirty)
		fs->i++;
	CHECK(fs->i < sh->n && sh->v[fs->i].iova <= fs->hi);
	{
		struct sh_leaf *lf = &sh->v[fs->i];
		uint64_t a = lf->iova > fs->lo ? lf->iova : fs->lo;
		uint64_t b = lf->last < fs->hi ? lf->last : fs->hi;

		CHECK(iova == a && len == b - a + 1);
		if (fs->clear)
			lf->dirty = false;
	}
	fs->i++;
}

static void fz_op(struct fz *z, const uint8_t *op)
{
	unsigned int si = op[1] % z->ns;
	uint64_t P = z->sizes[si], c = 1 + op[2] % (si + 1 == z->ns ? 2 : 16);
	uint64_t slot = (uint64_t)op[4] | (uint64_t)op[5] << 8 | (uint64_t)op[6] << 16 |
			(uint64_t)op[7] << 24;
	uint64_t base = z->win[op[3] % z->nwin];
	uint64_t iova = base + (slot % (z->W / P)) * P, last, mapped = 0;
	int prot = (1 + op[2] / 16 % 3) | ((op[2] & 0x80) ? IOMMU_PROT_NOEXEC : 0), rc;
	struct iommu_gather g;

	if (__builtin_add_overflow(iova, c * P - 1, &last) || !fz_in_ranges(z->d, iova, last)) {
		c = 1;
		last = iova + (P - 1);
	}
	switch (op[0] % 8) {
	case 0:
	case 1: { /* map, op[0] bit 7: with an allocation failure injected */
		struct sh_leaf *ov = sh_first_overlap(&z->sh, iova, last);
		uint64_t stop = ov ? (ov->iova > iova ? (ov->iova - iova) / P : 0) : c, i;
		uint64_t pa =
			(slot * P) & (z->fmt == PT_FMT_MOCK ? UINT64_MAX : (UINT64_C(1) << 40) - 1);

		if (op[0] & 0x80)
			pt_arena_fail_nth(fz_arena, 1 + op[3] % 4);
		rc = z->d->ops->map_pages(z->d, iova, pa, P, c, prot, &mapped);
		pt_arena_fail_nth(fz_arena, 0);
		CHECK(mapped % P == 0 && mapped <= stop * P);
		if (rc == -ENOMEM)
			CHECK(op[0] & 0x80);
		else
			CHECK(rc == (ov ? -EEXIST : 0) && mapped == stop * P);
		for (i = 0; i < mapped / P; i++)
			sh_insert(&z->sh, iova + i * P, P, pa + i * P, fz_prot(z, prot));
		fz_sync(z);
		break;
	}
	case 2:
	case 3: { /* unmap */
		uint64_t expect = sh_unmap(&z->sh, iova, last), got;

		iommu_gather_init(&g);
		got = z->d->ops->unmap_pages(z->d, iova, P, c, &g);
		CHECK(got == expect);
		CHECK(!got || (g.start == iova && g.last == iova + (got - 1)));
		z->d->ops->iotlb_sync(z->d, &g);
		break;
	}
	case 4: { /* map_range over whole small pages with a pa offset keeping big pages possible */
		uint64_t small = z->sizes[0], len = c * P, cur;
		struct sh_leaf *ov = sh_first_overlap(&z->sh, iova, last);

		uint64_t pa0 = iova & ((UINT64_C(1) << 40) - 1);

		rc = pt_map_range(z->d, iova, pa0, len, prot, &mapped);
		CHECK(rc == (ov ? -EEXIST : 0));
		CHECK(ov ? mapped <= (ov->iova > iova ? ov->iova - iova : 0) : mapped == len);
		for (cur = iova; cur - iova < mapped;) {
			uint64_t pa, sz;
			int pr;

			CHECK(z->d->ops->iova_to_phys(z->d, cur, &pa, &sz, &pr) == 0);
			CHECK(sz >= small && sz <= mapped - (cur - iova));
			CHECK(pa == pa0 + (cur - iova) && pr == fz_prot(z, prot));
			sh_insert(&z->sh, cur, sz, pa, pr);
			cur += sz;
		}
		fz_sync(z);
		break;
	}
	case 5: { /* DMA write */
		struct sh_leaf *lf;

		if (!z->d->ops->read_and_clear_dirty)
			break;
		iova += slot % P;
		lf = sh_find(&z->sh, iova);
		rc = pt_mark_dirty(z->d, iova);
		if (!lf || !fz_in_ranges(z->d, iova, iova)) {
			CHECK(rc == -ENOENT);
			break;
		}
		if (z->fmt == PT_FMT_MOCK) {
			CHECK(rc == 0);
			lf->dirty |= z->d->dirty_tracking;
		} else {
			CHECK(rc == ((lf->prot & IOMMU_PROT_WRITE) ? 0 : -EACCES));
			if (!rc && (z->fmt == PT_FMT_X86_64 || z->d->dirty_tracking))
				lf->dirty = true;
			if (!rc && z->fmt == PT_FMT_ARM_LPAE) /* DBM: HD on for the domain's life */
				lf->dirty = true;
			if (!rc && z->fmt == PT_FMT_RISCV) /* SADE/GADE: D is always set */
				lf->dirty = true;
		}
		break;
	}
	case 6: { /* dirty read-and-clear, or tracking on/off */
		struct fz_sink fs = { .sink.record = fz_record, .z = z, .lo = iova, .hi = last };

		if (!z->d->ops->read_and_clear_dirty)
			break;
		if (op[1] & 0x80) {
			z->d->ops->set_dirty_tracking(z->d, !z->d->dirty_tracking);
			break;
		}
		fs.clear = !(op[2] & 0x40);
		fs.i = sh_lower(&z->sh, iova);
		rc = z->d->ops->read_and_clear_dirty(z->d, iova, last - iova + 1,
						     fs.clear ? 0 : IOMMU_DIRTY_NO_CLEAR, &fs.sink);
		if (!z->d->dirty_tracking) {
			CHECK(rc == -EINVAL);
			break;
		}
		CHECK(rc == 0);
		/* no dirty leaf may be left unreported */
		while (fs.i < z->sh.n && z->sh.v[fs.i].iova <= last)
			CHECK(!z->sh.v[fs.i++].dirty);
		break;
	}
	default:
		break;
	}
	fz_probe(z, iova);
	fz_probe(z, last);
	if (iova)
		fz_probe(z, iova - 1);
	if (last != UINT64_MAX)
		fz_probe(z, last + 1);
	fz_probe(z, iova + slot % (c * P));
	CHECK(pt_domain_table_pages(z->d) == sh_tables(&z->sh));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nv, off;
	const struct pt_variant *v = pt_variants(&nv);
	struct pt_config cfg;
	struct fz z;
	unsigned int r, b;
	uint64_t span;

	if (!size)
		return 0;
	if (!fz_arena && pt_arena_create(UINT64_C(1) << 30, &fz_arena))
		abort();
	memset(&z, 0, sizeof(z));
	cfg = v[data[0] % nv].cfg;
	cfg.arena = fz_arena;
	fz_variant = v[data[0] % nv].name;
	z.fmt = cfg.format;
	if (pt_domain_alloc(&cfg, &z.d))
		abort();
	sh_init(&z.sh, z.d);
	for (b = 0; b < 64; b++)
		if (z.d->pgsize_bitmap & (UINT64_C(1) << b))
			z.sizes[z.ns++] = UINT64_C(1) << b;
	span = z.sizes[z.ns - 1] > z.sizes[0] * 512 ? z.sizes[z.ns - 1] : z.sizes[0] * 512;
	z.W = 4 * span;
	for (r = 0; r < z.d->nr_ranges; r++) {
		const struct iommu_iova_range *rg = &z.d->ranges[r];
		uint64_t lo = (rg->start + (z.W - 1)) & ~(z.W - 1);
		uint64_t hi = (rg->last - (z.W - 1)) & ~(z.W - 1);

		z.win[z.nwin++] = lo;
		z.win[z.nwin++] = hi;
		z.win[z.nwin++] = lo + ((hi - lo) / z.W / 2) * z.W;
	}

	for (off = 1; off + 8 <= size && off < 1 + 8 * 4096; off += 8)
		fz_op(&z, data + off);

	/* everything the model holds is there; take it all down; nothing may leak */
	while (z.sh.n) {
		struct sh_leaf lf = z.sh.v[z.sh.n - 1];
		struct iommu_gather g;

		fz_probe(&z, lf.iova);
		iommu_gather_init(&g);
		CHECK(z.d->ops->unmap_pages(z.d, lf.iova, z.sizes[0], 1, &g) ==
		      lf.last - lf.iova + 1);
		sh_unmap(&z.sh, lf.iova, lf.iova);
		z.d->ops->iotlb_sync(z.d, &g);
	}
	CHECK(pt_domain_table_pages(z.d) == 1);
	z.d->ops->free(z.d);
	CHECK(pt_arena_live_pages(fz_arena) == 0);
	sh_destroy(&z.sh);
	return 0;
}

#ifndef FUZZ_LIBFUZZER
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc >= 3 && !strcmp(argv[1], "-r")) {
		unsigned long n = strtoul(argv[2], NULL, 0), k;
		uint64_t s = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
		uint8_t buf[1 + 8 * 512];

		for (k = 0; k < n; k++) {
			size_t len = 1 + 8 * (1 + (size_t)(k % 512)), j;

			for (j = 0; j < len; j++) {
				s = s * UINT64_C(6364136223846793005) +
				    UINT64_C(1442695040888963407);
				buf[j] = (uint8_t)(s >> 56);
			}
			/* small slots make operations collide */
			for (j = 1; j + 8 <= len; j += 8)
				if (buf[j + 7] & 1)
					buf[j + 4] &= 0x3f,
						buf[j + 5] = buf[j + 6] = buf[j + 7] = 0;
			LLVMFuzzerTestOneInput(buf, len);
		}
		printf("pt_fuzz: %lu generated inputs passed\n", n);
	} else {
		for (i = 1; i < argc; i++)
			rc |= run_file(argv[i]);
	}
	if (fz_arena)
		pt_arena_put(fz_arena);
	return rc;
}
#endif
