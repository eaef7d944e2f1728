/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scenario.c - one program per IOMMU kind, on /dev/iommu: the whole path a virtual machine's
 * device takes, run under ioasid-run through the daemon and in-process (tests/iommu/meson.build
 * runs `scenario KIND daemon|inproc` for mock, vtd, smmuv3, amd, riscv and power).
 *
 * The program is the VMM: guest RAM is a shared buffer of ours that an IOAS maps at guest
 * physical addresses (the stage 2), the device is bound with ioasid's test op IOASID_DEV_NEW
 * in the kind's format and attached with IOASID_DEV_ATTACH, its DMA driven with
 * IOASID_DEV_DMA. Where the kind nests with a stage-1 table in a hardware format (VT-d first
 * stage: x86-64; SMMUv3: STE -> context descriptor -> LPAE stage 1; AMD: DTE -> GCR3 table
 * -> x86-64), the test writes that table into guest RAM as a guest driver would and the
 * device DMAs at guest virtual addresses. The mock, RISC-V and POWER TCE run stage 2 alone
 * (the mock's nested domain has no table, its identity stage 1 is tested in
 * tests/iommu/test_nested_hwpt.c and tests/mock; RISC-V nesting has no uAPI type).
 *
 * Per kind: (1) DMA lands on the right bytes of guest RAM and reads back; (2) dirty bits:
 * the stage-2 HWPT's dirty bitmap has the written page and not an untouched one, and a
 * stage-1 table has its own dirty bit set by the walk; (3) the IOTLB: with a stage-1 table,
 * the guest remaps a page without invalidating and the device still sees the old page until
 * the user's invalidation (IOMMU_HWPT_INVALIDATE with the kind's entry, or the vIOMMU's
 * command; the uAPI has no AMD invalidation, so an AMD nested translation is never cached
 * and the edit is seen at once); a stage 2 has no table the user edits, so there the check
 * is that an unmap leaves no stale entry; (4) an I/O page fault: the DMA (in a thread) faults, its
 * record arrives on the fault queue's fd, the program fixes the translation and answers SUCCESS and
 * the retried DMA lands. The fix is the guest's own table where there is one; else an
 * IOMMU_IOAS_MAP on the same iommufd while the DMA waits (through the daemon too: a waiting
 * DMA does not hold the connection); (5) INVALID fails the DMA with the fault; (6) closing the
 * fault fd fails a waiting DMA.
 *
 * Run alone, open("/dev/iommu") fails: skip (77).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#define PG	  4096u
#define NPAGES	  64u
#define GPA_BASE  UINT64_C(0x1000000) /* inside every kind's aperture/window */
#define VA_BASE	  UINT64_C(0x7f0000200000)
#define ADDR_MASK UINT64_C(0x000ffffffffff000)

/* guest pages: tables from 1 upward, data pages fixed */
enum { P_DATA1 = 40, P_DATA2, P_FIX, P_SPARE = 45, P_HOLE = 50 };

enum nest { NEST_NONE, NEST_VTD, NEST_SMMU, NEST_AMD };

struct kind {
	const char *name, *format;
	enum nest nest;
};

static const struct kind kinds[] = {
	{ "mock", "mock", NEST_NONE },		 { "vtd", "vtd-ss-4", NEST_VTD },
	{ "smmuv3", "arm-s2-4k-48", NEST_SMMU }, { "amd", "amd-v1-4", NEST_AMD },
	{ "riscv", "riscv-sv48", NEST_NONE },	 { "power", "tce-4k", NEST_NONE },
};

static int failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d)\n", __FILE__, \
				__LINE__, #cond, errno);                                  \
			failures++;                                                       \
		}                                                                         \
	} while (0)

struct sc {
	const struct kind *k;
	bool inproc;
	int fd, ffd;
	uint8_t *mem;
	uint32_t ioas, dev, fault_id, s2, nested, viommu;
	uint64_t next_table; /* next free table page */
	uint64_t root;	     /* GPA of the stage-1 root (or the CD table's TTB0 root) */
	bool dirty;	     /* the stage 2 tracks dirty pages */
};

static uint64_t gpa(unsigned int page)
{
	return GPA_BASE + (uint64_t)page * PG;
}

static uint64_t *gptr(struct sc *s, uint64_t g)
{
	if (g < GPA_BASE || g + 8 > GPA_BASE + NPAGES * PG) {
		fprintf(stderr, "gpa %#llx outside guest RAM\n", (unsigned long long)g);
		abort();
	}
	return (uint64_t *)(s->mem + (g - GPA_BASE));
}

static bool has_s1_table(const struct sc *s)
{
	return s->k->nest != NEST_NONE;
}

/* The address the device uses for a guest page: a guest VA with a stage-1 table, else the GPA. */
static uint64_t dev_addr(const struct sc *s, unsigned int page)
{
	return has_s1_table(s) ? VA_BASE + (uint64_t)page * PG : gpa(page);
}

/* ---- the guest's stage-1 table, in the kind's format ---------------------------------------- */

static uint64_t s1_table_bits(const struct sc *s)
{
	return s->k->nest != NEST_SMMU ? 7 /* P RW US */ : 3 /* valid, table */;
}

static uint64_t s1_leaf_bits(const struct sc *s)
{
	/* x86: P RW US; LPAE page: valid, page, AF, DBM with AP[2] set (writable-clean) */
	return s->k->nest != NEST_SMMU ?
		       7 :
		       3 | (UINT64_C(1) << 10) | (UINT64_C(1) << 51) | (UINT64_C(1) << 7);
}

static uint64_t table_alloc(struct sc *s)
{
	uint64_t g = gpa((unsigned int)s->next_table++);

	memset(gptr(s, g), 0, PG);
	return g;
}

/* The leaf entry of va (made with its tables if missing). */
static uint64_t *s1_leaf(struct sc *s, uint64_t va)
{
	uint64_t table = s->root;

	for (int lvl = 3; lvl > 0; lvl--) {
		uint64_t *e = gptr(s, table) + ((va >> (12 + 9 * lvl)) & 511);

		if (!*e)
			*e = htole64(table_alloc(s) | s1_table_bits(s));
		table = le64toh(*e) & ADDR_MASK;
	}
	return gptr(s, table) + ((va >> 12) & 511);
}

static void s1_map(struct sc *s, unsigned int va_page, unsigned int gpa_page)
{
	__atomic_store_n(s1_leaf(s, dev_addr(s, va_page)), htole64(gpa(gpa_page) | s1_leaf_bits(s)),
			 __ATOMIC_RELEASE);
}

static bool s1_dirty(struct sc *s, unsigned int va_page)
{
	uint64_t e = le64toh(*s1_leaf(s, dev_addr(s, va_page)));

	return s->k->nest != NEST_SMMU ? (e & (1u << 6)) : !(e & (1u << 7));
}

/* ---- ioctls --------------------------------------------------------------------------------- */

static int test_cmd(struct sc *s, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(s->fd, IOMMU_TEST_CMD, c);
}

static int map_page(struct sc *s, unsigned int page)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = s->ioas,
		.user_va = (uintptr_t)(s->mem + (uint64_t)page * PG),
		.length = PG,
		.iova = gpa(page),
	};

	return ioctl(s->fd, IOMMU_IOAS_MAP, &m);
}

static int unmap_page(struct sc *s, unsigned int page)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = s->ioas, .iova = gpa(page), .length = PG
	};

	return ioctl(s->fd, IOMMU_IOAS_UNMAP, &u);
}

/* An HWPT; it gets the fault queue unless it is a nest parent (the kernel's rule). */
static int hwpt_alloc(struct sc *s, uint32_t pt, uint32_t flags, uint32_t type, const void *data,
		      uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags |
			 (flags & IOMMU_HWPT_ALLOC_NEST_PARENT ? 0 : IOMMU_HWPT_FAULT_ID_VALID),
		.dev_id = s->dev,
		.pt_id = pt,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.fault_id = s->fault_id,
	};
	int rc = ioctl(s->fd, IOMMU_HWPT_ALLOC, &a);

	if (!rc)
		*out = a.out_hwpt_id;
	return rc;
}

struct dma {
	struct sc *s;
	uint32_t pasid;
	uint64_t addr;
	char buf[40];
	uint64_t len;
	bool write;
	int rc;
	struct iommu_test_cmd out;
	pthread_t thread;
};

static int dma_now(struct dma *d)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_DMA, .id = d->s->dev };

	c.dev_dma.pasid = d->pasid;
	c.dev_dma.flags = d->write ? IOMMU_TEST_DMA_WRITE : 0;
	c.dev_dma.iova = d->addr;
	c.dev_dma.length = d->len;
	c.dev_dma.uptr = (uintptr_t)d->buf;
	d->rc = test_cmd(d->s, &c);
	d->out = c;
	return d->rc;
}

static void *dma_thread(void *arg)
{
	dma_now(arg);
	return NULL;
}

static void dma_init(struct dma *d, struct sc *s, uint64_t addr, const char *text, bool write)
{
	memset(d, 0, sizeof(*d));
	d->s = s;
	d->addr = addr;
	d->write = write;
	d->len = strlen(text) + 1;
	memcpy(d->buf, text, d->len);
}

/* A DMA that must succeed: the bytes are done and no fault. */
static bool dma_ok(struct sc *s, uint64_t addr, char *buf, const char *text, bool write)
{
	struct dma d;

	dma_init(&d, s, addr, text, write);
	if (dma_now(&d) || d.out.dev_dma.out_fault_type || d.out.dev_dma.length != d.len) {
		fprintf(stderr, "dma at %#llx: rc %d fault %u stage %u addr %#llx\n",
			(unsigned long long)addr, d.rc, d.out.dev_dma.out_fault_type,
			d.out.dev_dma.out_fault_stage,
			(unsigned long long)d.out.dev_dma.out_fault_addr);
		return false;
	}
	if (buf)
		memcpy(buf, d.buf, d.len);
	return true;
}

static bool read_record(struct sc *s, struct iommu_hwpt_pgfault *rec)
{
	struct pollfd p = { .fd = s->ffd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1 && read(s->ffd, rec, sizeof(*rec)) == (ssize_t)sizeof(*rec);
}

static void respond(struct sc *s, const struct iommu_hwpt_pgfault *rec, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = rec->cookie, .code = code };

	CHECK(write(s->ffd, &r, sizeof(r)) == (ssize_t)sizeof(r));
}

/* ---- setting up a kind ----------------------------------------------------------------------- */

static void setup_nesting(struct sc *s, uint32_t parent)
{
	uint32_t pt = parent, type = 0, len = 0;
	struct iommu_hwpt_vtd_s1 vtd = { .addr_width = 48 };
	struct iommu_hwpt_arm_smmuv3 ste = { 0 };
	const void *data = NULL;

	switch (s->k->nest) {
	case NEST_VTD:
		s->root = table_alloc(s);
		vtd.pgtbl_addr = s->root;
		type = IOMMU_HWPT_DATA_VTD_S1, data = &vtd, len = sizeof(vtd);
		break;
	case NEST_SMMU: {
		struct iommu_viommu_alloc va = { .size = sizeof(va),
						 .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
						 .dev_id = s->dev,
						 .hwpt_id = parent };
		struct iommu_vdevice_alloc vd = { .size = sizeof(vd),
						  .dev_id = s->dev,
						  .virt_id = 1 };
		uint64_t cdt = table_alloc(s), *cd = gptr(s, cdt);

		s->root = table_alloc(s);
		/* CD 0: T0SZ 16, TG0 4K, V, IPS 48-bit, AA64, HD; TTB0 */
		cd[0] = htole64(16 | (UINT64_C(1) << 31) | (UINT64_C(5) << 32) |
				(UINT64_C(1) << 41) | (UINT64_C(1) << 42));
		cd[1] = htole64(s->root);
		ste.ste[0] = htole64(1 | (5 << 1) | cdt); /* V, Cfg stage-1, S1ContextPtr */
		CHECK(!ioctl(s->fd, IOMMU_VIOMMU_ALLOC, &va));
		s->viommu = pt = va.out_viommu_id;
		vd.viommu_id = s->viommu;
		CHECK(!ioctl(s->fd, IOMMU_VDEVICE_ALLOC, &vd));
		type = IOMMU_HWPT_DATA_ARM_SMMUV3, data = &ste, len = sizeof(ste);
		break;
	}
	case NEST_AMD: {
		/* the guest's DTE: V, GIOV, GV, a one-level GCR3 table whose entry 0 is the root */
		static struct iommu_hwpt_amd_guest dte;
		uint64_t gcr3 = table_alloc(s);

		s->root = table_alloc(s);
		gptr(s, gcr3)[0] = htole64(s->root | 1);
		dte.dte[0] = htole64(1 | UINT64_C(3) << 54 | ((gcr3 >> 12) & 7) << 58);
		dte.dte[1] = htole64(((gcr3 >> 15) & 0xffff) << 16 | (gcr3 >> 31) << 43);
		type = IOMMU_HWPT_DATA_AMD_GUEST, data = &dte, len = sizeof(dte);
		break;
	}
	case NEST_NONE:
		return;
	}
	CHECK(!hwpt_alloc(s, pt, s->k->nest == NEST_VTD ? IOMMU_HWPT_ALLOC_PASID : 0, type, data,
			  len, &s->nested));
	if (has_s1_table(s))
		for (unsigned int p = P_DATA1; p <= P_DATA2; p++)
			s1_map(s, p, p);
}

static int dev_attach(struct sc *s, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_ATTACH, .id = s->dev };

	c.dev_attach.op = IOMMU_TEST_DEV_ATTACH;
	c.dev_attach.pt_id = pt;
	return test_cmd(s, &c);
}

static void setup(struct sc *s)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_NEW };
	uint32_t flags = s->k->nest != NEST_NONE ? IOMMU_HWPT_ALLOC_NEST_PARENT : 0;

	s->mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s->mem != MAP_FAILED);
	memset(s->mem, 0, NPAGES * PG);
	CHECK(!ioctl(s->fd, IOMMU_IOAS_ALLOC, &ia));
	s->ioas = ia.out_ioas_id;
	snprintf(c.dev_new.format, sizeof(c.dev_new.format), "%s", s->k->format);
	if (s->k->nest == NEST_VTD || s->k->nest == NEST_SMMU)
		c.dev_new.flags = IOMMU_TEST_DEV_NEW_PASID;
	CHECK(!test_cmd(s, &c));
	s->dev = c.dev_new.out_dev_id;
	for (unsigned int p = 0; p < NPAGES; p++)
		if (p != P_HOLE)
			CHECK(!map_page(s, p));
	CHECK(!ioctl(s->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	s->fault_id = fa.out_fault_id;
	s->ffd = (int)fa.out_fault_fd;
	/* the stage 2 tracks dirty pages if the kind can; without nesting it has the fault queue */
	s->dirty = !hwpt_alloc(s, s->ioas, flags | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
			       &s->s2);
	if (!s->dirty)
		CHECK(!hwpt_alloc(s, s->ioas, flags, 0, NULL, 0, &s->s2));
	s->next_table = 1;
	setup_nesting(s, s->s2);
	CHECK(!dev_attach(s, s->nested ? s->nested : s->s2));
	if (s->dirty) {
		struct iommu_hwpt_set_dirty_tracking t = { .size = sizeof(t),
							   .flags =
								   IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
							   .hwpt_id = s->s2 };

		CHECK(!ioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &t));
	}
}

/* ---- the steps --------------------------------------------------------------------------------
 */

static void step_dma(struct sc *s)
{
	char buf[40] = { 0 };
	char text[40];

	snprintf(text, sizeof(text), "%s device wrote this", s->k->name);
	CHECK(dma_ok(s, dev_addr(s, P_DATA1) + 0x10, NULL, text, true));
	CHECK(!strcmp((char *)s->mem + P_DATA1 * PG + 0x10, text));
	memset(buf, 'x', strlen(text));
	buf[strlen(text)] = 0;
	CHECK(dma_ok(s, dev_addr(s, P_DATA1) + 0x10, buf, buf, false));
	CHECK(!strcmp(buf, text));
}

static void step_dirty(struct sc *s)
{
	uint64_t bitmap[NPAGES / 64] = { 0 };
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = s->s2,
		.iova = GPA_BASE,
		.length = P_HOLE * PG, /* what the IOAS maps without a gap */
		.page_size = PG,
		.data = (uintptr_t)bitmap,
	};

	if (!s->dirty) {
		fprintf(stderr, "%s: no dirty tracking on this stage 2\n", s->k->name);
		return;
	}
	CHECK(!ioctl(s->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g));
	CHECK(bitmap[0] >> P_DATA1 & 1);
	CHECK(!(bitmap[0] >> P_SPARE & 1));
	CHECK(!(bitmap[0] >> P_DATA2 & 1)); /* only read so far */
	if (has_s1_table(s))
		CHECK(s1_dirty(s, P_DATA1));
}

static int invalidate(struct sc *s, uint64_t va)
{
	struct iommu_hwpt_invalidate c = { .size = sizeof(c), .entry_num = 1 };
	struct iommu_hwpt_vtd_s1_invalidate vtd = { .addr = va, .npages = 1 };
	struct iommu_viommu_arm_smmuv3_invalidate cmd = { .cmd = { htole64(0x10) } }; /* NH_ALL */

	if (s->k->nest == NEST_VTD) {
		c.hwpt_id = s->nested;
		c.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
		c.data_uptr = (uintptr_t)&vtd;
		c.entry_len = sizeof(vtd);
	} else {
		c.hwpt_id = s->viommu;
		c.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
		c.data_uptr = (uintptr_t)&cmd;
		c.entry_len = sizeof(cmd);
	}
	return ioctl(s->fd, IOMMU_HWPT_INVALIDATE, &c);
}

static void step_iotlb(struct sc *s)
{
	char buf[16];

	memcpy(s->mem + P_DATA2 * PG, "page two", 9);
	if (has_s1_table(s)) {
		memcpy(s->mem + P_DATA1 * PG, "page one", 9);
		CHECK(dma_ok(s, dev_addr(s, P_DATA1), buf, "........", false));
		CHECK(!strcmp(buf, "page one"));
		s1_map(s, P_DATA1, P_DATA2); /* the guest remaps, no invalidation yet */
		CHECK(dma_ok(s, dev_addr(s, P_DATA1), buf, "........", false));
		if (s->k->nest == NEST_AMD) {
			/* no user invalidation for AMD: nothing is cached, the edit is seen */
			CHECK(!strcmp(buf, "page two"));
			s1_map(s, P_DATA1, P_DATA1);
			return;
		}
		CHECK(!strcmp(buf, "page one")); /* the stale IOTLB entry */
		CHECK(!invalidate(s, dev_addr(s, P_DATA1)));
		CHECK(dma_ok(s, dev_addr(s, P_DATA1), buf, "........", false));
		CHECK(!strcmp(buf, "page two"));
		s1_map(s, P_DATA1, P_DATA1);
		CHECK(!invalidate(s, dev_addr(s, P_DATA1)));
		return;
	}
	/*
	 * No table the user edits: an unmap of stage 2 leaves nothing stale behind. The DMA
	 * faults at once (its page request, on this fault-capable HWPT, is answered INVALID).
	 */
	{
		struct iommu_hwpt_pgfault rec;
		struct dma d;

		CHECK(dma_ok(s, gpa(P_DATA2), buf, "........", false));
		CHECK(!strcmp(buf, "page two"));
		CHECK(!unmap_page(s, P_DATA2));
		dma_init(&d, s, gpa(P_DATA2), "........", false);
		CHECK(!pthread_create(&d.thread, NULL, dma_thread, &d));
		CHECK(read_record(s, &rec));
		CHECK(rec.addr == gpa(P_DATA2));
		respond(s, &rec, IOMMUFD_PAGE_RESP_INVALID);
		CHECK(!pthread_join(d.thread, NULL));
		CHECK(!d.rc && d.out.dev_dma.out_fault_type == 1 && d.out.dev_dma.length == 0);
		CHECK(!map_page(s, P_DATA2));
	}
}

/* ---- context structures: SSIDs through a two-level CD table, VT-d PASIDs -------------------- */

#define FAULT_CTX_PASID_DIR 0x102
#define FAULT_CTX_PASID	    0x103
#define FAULT_BAD_CTX	    4

/* A DMA read of 8 bytes at addr with pasid; the command as it came back. */
static struct iommu_test_cmd dma_pasid(struct sc *s, uint32_t pasid, uint64_t addr, char *buf)
{
	struct dma d;

	dma_init(&d, s, addr, "........", false);
	d.pasid = pasid;
	dma_now(&d);
	CHECK(!d.rc);
	if (buf)
		memcpy(buf, d.buf, 9);
	return d.out;
}

static bool dma_reads(struct sc *s, uint32_t pasid, uint64_t addr, const char *want)
{
	char buf[16] = { 0 };
	struct iommu_test_cmd c = dma_pasid(s, pasid, addr, buf);

	if (c.dev_dma.out_fault_type || strcmp(buf, want)) {
		fprintf(stderr, "pasid %u at %#llx: fault %u level %#x, read '%s', want '%s'\n",
			pasid, (unsigned long long)addr, c.dev_dma.out_fault_type,
			c.dev_dma.out_fault_level, buf, want);
		return false;
	}
	return true;
}

static bool dma_faults(struct sc *s, uint32_t pasid, uint64_t addr, uint32_t type,
		       unsigned int stage, unsigned int level, uint64_t fault_addr)
{
	struct iommu_test_cmd c = dma_pasid(s, pasid, addr, NULL);

	if (c.dev_dma.out_fault_type != type || c.dev_dma.out_fault_stage != stage ||
	    (level != ~0u && c.dev_dma.out_fault_level != level) ||
	    c.dev_dma.out_fault_addr != fault_addr || c.dev_dma.length) {
		fprintf(stderr,
			"pasid %u: fault %u stage %u level %#x addr %#llx, want %u %u %#x %#llx\n",
			pasid, c.dev_dma.out_fault_type, c.dev_dma.out_fault_stage,
			c.dev_dma.out_fault_level, (unsigned long long)c.dev_dma.out_fault_addr,
			type, stage, level, (unsigned long long)fault_addr);
		return false;
	}
	return true;
}

static int dev_change(struct sc *s, uint32_t op, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_ATTACH, .id = s->dev };

	c.dev_attach.op = op;
	c.dev_attach.pasid = pasid;
	c.dev_attach.pt_id = pt;
	return test_cmd(s, &c);
}

/* A second stage-1 table (root returned) that maps P_DATA1's address to P_DATA2. */
static uint64_t second_table(struct sc *s)
{
	uint64_t saved = s->root, root;

	s->root = root = table_alloc(s);
	s1_map(s, P_DATA1, P_DATA2);
	s->root = saved;
	return root;
}

static void write_cd(struct sc *s, uint64_t cd_gpa, uint64_t ttb0, unsigned int tg0, bool valid)
{
	uint64_t *cd = gptr(s, cd_gpa);

	/* T0SZ 16, TG0, V, IPS 48-bit, AA64, HD; TTB0 */
	cd[0] = htole64(16 | (uint64_t)tg0 << 6 | (valid ? UINT64_C(1) << 31 : 0) |
			(UINT64_C(5) << 32) | (UINT64_C(1) << 41) | (UINT64_C(1) << 42));
	cd[1] = htole64(ttb0);
}

/*
 * SMMUv3: an STE with a two-level CD table (S1Fmt 0b01: 64 CDs per 4 KiB leaf, S1CDMax 8,
 * S1DSS 0b10: SSID-less requests use CD 0). L1[0] -> leaf A (CD 0 and CD 5 -> table A,
 * CD 7 not valid, CD 9 with a reserved TG0), L1[1] -> leaf B (SSID 70: CD 6 of it -> table
 * B), L1[2] not valid, L1[3] -> a leaf at an IPA stage 2 does not map.
 */
static void step_smmu_cd_l2(struct sc *s)
{
	struct iommu_hwpt_arm_smmuv3 ste = { 0 };
	uint64_t l1 = table_alloc(s), leaf_a = table_alloc(s), leaf_b = table_alloc(s);
	uint64_t root_b = second_table(s), va = dev_addr(s, P_DATA1);
	uint64_t *l1e = gptr(s, l1);
	uint32_t hwpt;

	write_cd(s, leaf_a + 0 * 64, s->root, 0, true);
	write_cd(s, leaf_a + 5 * 64, s->root, 0, true);
	write_cd(s, leaf_a + 7 * 64, s->root, 0, false);
	write_cd(s, leaf_a + 9 * 64, s->root, 3, true);
	write_cd(s, leaf_b + 6 * 64, root_b, 0, true);
	l1e[0] = htole64(leaf_a | 1);
	l1e[1] = htole64(leaf_b | 1);
	l1e[3] = htole64(gpa(P_HOLE) | 1);
	ste.ste[0] = htole64(1 | (5 << 1) | (1 << 4) | l1 | (UINT64_C(8) << 59));
	ste.ste[1] = htole64(2); /* S1DSS: CD 0 */
	CHECK(!hwpt_alloc(s, s->viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste), &hwpt));
	CHECK(!dev_change(s, IOMMU_TEST_DEV_REPLACE, 0, hwpt));

	CHECK(dma_reads(s, 5, va, "page one"));
	CHECK(dma_reads(s, 70, va, "page two"));		/* another CD, another table */
	CHECK(dma_reads(s, 5, va, "page one"));			/* not SSID 70's IOTLB entry */
	CHECK(dma_reads(s, 0, va, "page one"));			/* no SSID: CD 0 */
	CHECK(dma_faults(s, 7, va, 1, 1, FAULT_CTX_PASID, va)); /* CD.V = 0 */
	CHECK(dma_faults(s, 9, va, FAULT_BAD_CTX, 1, FAULT_CTX_PASID, va)); /* bad TG0 */
	CHECK(dma_faults(s, 130, va, 1, 1, FAULT_CTX_PASID_DIR, va));	    /* L1.V = 0 */
	CHECK(dma_faults(s, 256, va, 1, 1, FAULT_CTX_PASID, va));	    /* > S1CDMax */
	/* the leaf of L1[3] is not mapped by stage 2: a stage-2 fault at the CD's IPA */
	CHECK(dma_faults(s, 200, va, 1, 2, ~0u, gpa(P_HOLE) + (200 % 64) * 64));
	/* the IOTLB holds per SSID: SSID 70's table edited, SSID 5 unaffected until invalidated */
	l1e[1] = 0;
	CHECK(dma_reads(s, 70, va, "page two")); /* cached: the CD change is not seen yet */
	CHECK(!invalidate(s, va));
	CHECK(dma_faults(s, 70, va, 1, 1, FAULT_CTX_PASID_DIR, va));
	CHECK(dma_reads(s, 5, va, "page one"));

	CHECK(!dev_change(s, IOMMU_TEST_DEV_REPLACE, 0, s->nested));
	CHECK(dma_faults(s, 5, va, 1, 1, 0, va)); /* the linear STE has no substreams */
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = hwpt };

		CHECK(!ioctl(s->fd, IOMMU_DESTROY, &d));
	}
}

/*
 * VT-d: a second guest first-stage table on PASID 3 (a nested HWPT per PASID, as a VMM makes
 * one per guest PASID entry); the RID keeps the first. Each PASID walks its own table and
 * has its own IOTLB entries; an unattached PASID is not present.
 */
static void step_vtd_pasid(struct sc *s)
{
	struct iommu_hwpt_vtd_s1 vtd = { .addr_width = 48 };
	uint64_t va = dev_addr(s, P_DATA1);
	uint32_t hwpt;

	vtd.pgtbl_addr = second_table(s);
	CHECK(!hwpt_alloc(s, s->s2, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_VTD_S1, &vtd,
			  sizeof(vtd), &hwpt));
	CHECK(!dev_change(s, IOMMU_TEST_DEV_ATTACH, 3, hwpt));
	CHECK(dma_reads(s, 0, va, "page one"));
	CHECK(dma_reads(s, 3, va, "page two"));
	CHECK(dma_reads(s, 0, va, "page one"));
	CHECK(dma_faults(s, 4, va, 1, 1, 0, va));
	CHECK(!dev_change(s, IOMMU_TEST_DEV_DETACH, 3, 0));
	CHECK(dma_faults(s, 3, va, 1, 1, 0, va));
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = hwpt };

		CHECK(!ioctl(s->fd, IOMMU_DESTROY, &d));
	}
}

static void step_fault_retry(struct sc *s)
{
	struct iommu_hwpt_pgfault rec;
	uint64_t addr = dev_addr(s, has_s1_table(s) ? P_FIX : P_HOLE);
	unsigned int page = has_s1_table(s) ? P_FIX : P_HOLE;
	struct dma d;

	dma_init(&d, s, addr + 8, "answered and retried", true);
	CHECK(!pthread_create(&d.thread, NULL, dma_thread, &d));
	CHECK(read_record(s, &rec));
	CHECK(rec.addr == addr && rec.perm == IOMMU_PGFAULT_PERM_WRITE && rec.dev_id == s->dev);
	if (has_s1_table(s)) {
		s1_map(s, P_FIX, P_FIX); /* the guest's fault handler */
	} else {
		/* the VMM maps while the device waits (through the daemon: the DMA's call waits
		 * on a thread of its own, and the connection serves the map) */
		CHECK(!map_page(s, P_HOLE));
	}
	respond(s, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	CHECK(!pthread_join(d.thread, NULL));
	CHECK(!d.rc && d.out.dev_dma.out_fault_type == 0 && d.out.dev_dma.length == d.len);
	CHECK(!strcmp((char *)s->mem + page * PG + 8, "answered and retried"));
}

static void step_fault_invalid_and_close(struct sc *s)
{
	uint64_t addr = has_s1_table(s) ? VA_BASE + 0x100000 : gpa(NPAGES) + 0x100000;
	struct iommu_hwpt_pgfault rec;
	struct dma d;

	dma_init(&d, s, addr, "invalid", false);
	CHECK(!pthread_create(&d.thread, NULL, dma_thread, &d));
	CHECK(read_record(s, &rec));
	CHECK(rec.perm == IOMMU_PGFAULT_PERM_READ);
	respond(s, &rec, IOMMUFD_PAGE_RESP_INVALID);
	CHECK(!pthread_join(d.thread, NULL));
	CHECK(!d.rc && d.out.dev_dma.out_fault_type == 1 && d.out.dev_dma.out_fault_addr == addr);

	/* the program closes its fault fd while a DMA waits: the DMA fails */
	dma_init(&d, s, addr, "closed", true);
	CHECK(!pthread_create(&d.thread, NULL, dma_thread, &d));
	CHECK(read_record(s, &rec));
	close(s->ffd);
	s->ffd = -1;
	CHECK(!pthread_join(d.thread, NULL));
	CHECK(!d.rc && d.out.dev_dma.out_fault_type == 1);
}

int main(int argc, char **argv)
{
	struct sc s = { 0 };

	if (argc != 3) {
		fprintf(stderr, "usage: scenario KIND daemon|inproc\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i].name))
			s.k = &kinds[i];
	if (!s.k) {
		fprintf(stderr, "unknown kind %s\n", argv[1]);
		return 2;
	}
	s.inproc = !strcmp(argv[2], "inproc");
	s.fd = open("/dev/iommu", O_RDWR);
	if (s.fd < 0) {
		fprintf(stderr, "no /dev/iommu here (run under ioasid-run): skip\n");
		return 77;
	}
	setup(&s);
	if (!failures) {
		step_dma(&s);
		step_dirty(&s);
		step_iotlb(&s);
		if (s.k->nest == NEST_SMMU)
			step_smmu_cd_l2(&s);
		if (s.k->nest == NEST_VTD)
			step_vtd_pasid(&s);
		step_fault_retry(&s);
		step_fault_invalid_and_close(&s);
	}
	close(s.fd);
	munmap(s.mem, NPAGES * PG);
	fprintf(stderr, "scenario %s (%s): %d failures\n", s.k->name, argv[2], failures);
	return failures ? 1 : 0;
}
