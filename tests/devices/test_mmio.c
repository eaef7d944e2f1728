// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_mmio.c - a device's BAR as memory (src/devices/mmio.c): the I/OAT channel programmed
 * with plain volatile loads and stores through dev_model_bar_mmap(), no call per access.
 *
 * Checked: a copy programmed by stores, its status observed by loads, its bytes and
 * completion write-back and interrupt; the error path (a source IOVA not mapped halts the
 * channel with CHANERR, which a store clears, and a CHANCMD reset store makes the engine
 * usable again); every decoded instruction form (mov, movzx, movsx, movsxd, immediates,
 * high-byte registers, SIB and displacements) against the call path; the MSI-X table and PBA
 * through the window; memory decode off reading all ones; several windows; munmap; the
 * model freed while mapped; a thread on a sigaltstack; faults that are not ours (an
 * instruction form not emulated, a misaligned access, beyond the BAR, a store to a read-only
 * window, an unmapped window) reaching the program's own handler or killing a forked child
 * with SIGSEGV; loads racing the engine's worker (run under ThreadSanitizer by tsan.sh).
 *
 * cmocka installs its own SIGSEGV handler around each test and fixture: windows are made
 * inside the test bodies (each mapping puts ours back, chaining to whatever was there).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "devices/devices.h"
#include "devices/ioat.h"
#include "ioasid/ioasid.h"
#include "pci/pci.h"
#include "platform/platform.h"

#define OK(x)	  assert_int_equal((x), 0)
#define SZ_4K	  0x1000u
#define IOVA_BASE UINT64_C(0x40000000)
#define RING_IOVA IOVA_BASE
#define CMP_IOVA  (IOVA_BASE + SZ_4K)
#define SRC_IOVA  (IOVA_BASE + 0x100000)
#define DST_IOVA  (IOVA_BASE + 0x200000)
#define HOLE_IOVA (IOVA_BASE + 0x400000)
#define NR_RING	  64u
#define CH(r)	  (IOAT_CHAN_BASE + (r))
#define BUF	  0x100000u
#define BAR_LEN	  0x4000u

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev_id;
	uint8_t *ring, *cmp, *src, *dst;
	struct dev_model *m;
	const struct platform_device *pdev;
	_Atomic unsigned int irqs;
	volatile uint8_t *bar; /* BAR 0, all 16 KiB */
};

static void on_irq(void *opaque, unsigned int vector)
{
	struct fix *f = opaque;

	if (vector == 0)
		atomic_fetch_add(&f->irqs, 1);
}

static uint8_t *map(struct fix *f, uint64_t iova, size_t len)
{
	uint8_t *p = NULL;
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = f->ioas,
		.length = len,
		.iova = iova,
	};

	assert_int_equal(posix_memalign((void **)&p, SZ_4K, len), 0);
	memset(p, 0, len);
	m.user_va = (uintptr_t)p;
	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP, &m));
	return p;
}

/* Whether windows serve loads from read pages (mmio.c's rule), or trap them too. */
static bool read_pages(void)
{
	const char *e = getenv("IOASID_MMIO_TRAP_READS");

#if defined(__SANITIZE_THREAD__)
	(void)e;
	return false;
#else
	return !(e && !strcmp(e, "1"));
#endif
}

/* Volatile accesses at a BAR offset: what a driver's readl/writel compile to. */
#define R8(f, o)  (*(volatile uint8_t *)((f)->bar + (o)))
#define R16(f, o) (*(volatile uint16_t *)((f)->bar + (o)))
#define R32(f, o) (*(volatile uint32_t *)((f)->bar + (o)))
#define R64(f, o) (*(volatile uint64_t *)((f)->bar + (o)))

static uint64_t call_rd(struct fix *f, uint64_t off, unsigned int size)
{
	uint64_t v;

	OK(dev_model_mmio_read(f->m, 0, off, size, &v));
	return v;
}

/* The device made and probed by config calls; BAR 0 not yet mapped. */
static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_device_desc desc = { .flags = 0 };
	struct platform_bdf bdf;
	const struct platform *p = platform_default();
	struct dev_model_params params;
	uint16_t v;

	assert_non_null(f);
	OK(platform_bdf_parse("0000:00:04.0", &bdf));
	f->pdev = platform_device_find(p, &bdf);
	assert_non_null(f->pdev);
	desc.format = p->iommus[f->pdev->iommu].format;
	OK(ioasid_ctx_new(NULL, &f->ctx));
	OK(ioasid_ioctl(f->ctx, IOMMU_IOAS_ALLOC, &a));
	f->ioas = a.out_ioas_id;
	OK(ioasid_device_new(f->ctx, &desc, &f->dev_id));
	OK(ioasid_device_attach(f->ctx, f->dev_id, f->ioas, NULL));
	f->ring = map(f, RING_IOVA, SZ_4K);
	f->cmp = map(f, CMP_IOVA, SZ_4K);
	f->src = map(f, SRC_IOVA, BUF);
	f->dst = map(f, DST_IOVA, BUF);
	for (size_t i = 0; i < BUF; i++)
		f->src[i] = (uint8_t)(i * 13 + (i >> 9));
	params = (struct dev_model_params){
		.pdev = f->pdev,
		.ctx = f->ctx,
		.dev_id = f->dev_id,
		.irq = on_irq,
		.opaque = f,
	};
	OK(dev_model_new(&params, &f->m));
	v = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	OK(dev_model_cfg_write(f->m, PCI_COMMAND, &v, 2));
	v = PCI_MSIX_FLAGS_ENABLE;
	OK(dev_model_cfg_write(f->m, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, &v, 2));
	return f;
}

static void fix_map(struct fix *f)
{
	void *p;

	OK(dev_model_bar_mmap(f->m, 0, 0, BAR_LEN, PROT_READ | PROT_WRITE, &p));
	f->bar = p;
}

static void fix_free(struct fix *f)
{
	if (f->bar)
		OK(dev_model_bar_munmap(f->m, (void *)(uintptr_t)f->bar, BAR_LEN));
	dev_model_free(f->m);
	ioasid_ctx_free(f->ctx);
	free(f->ring);
	free(f->cmp);
	free(f->src);
	free(f->dst);
	free(f);
}

static void desc_set(struct fix *f, unsigned int i, uint32_t size, uint32_t ctl, uint64_t src,
		     uint64_t dst)
{
	struct ioat_desc d = {
		.size = size,
		.ctl = ctl,
		.src_addr = src,
		.dst_addr = dst,
		.next = RING_IOVA + ((i + 1) % NR_RING) * IOAT_DESC_SIZE,
	};

	memcpy(f->ring + i * IOAT_DESC_SIZE, &d, sizeof(d));
}

/* The driver's start-up, all by stores through the window. */
static void chan_start(struct fix *f)
{
	R8(f, CH(IOAT_CHAN_CMD)) = IOAT_CHANCMD_RESET;
	assert_int_equal(R8(f, CH(IOAT_CHAN_CMD)), 0);
	R16(f, CH(IOAT_CHAN_CTRL)) = IOAT_CHANCTRL_RUN;
	R32(f, CH(IOAT_CHAN_CMP)) = (uint32_t)CMP_IOVA;
	R32(f, CH(IOAT_CHAN_CMP) + 4) = (uint32_t)(CMP_IOVA >> 32);
	R64(f, CH(IOAT_CHAN_CHAINADDR)) = RING_IOVA;
	memset(f->cmp, 0, SZ_4K);
}

/* Poll CHANSTS by loads until the channel is not ACTIVE (bounded: 30 s). */
static uint64_t wait_idle(struct fix *f)
{
	struct timespec t0, t;
	uint64_t sts;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		sts = R64(f, CH(IOAT_CHAN_STS));
		if ((sts & IOAT_STS_MASK) != IOAT_STS_ACTIVE)
			return sts;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30)
			fail_msg("the channel stayed active: CHANSTS %#llx",
				 (unsigned long long)sts);
		sched_yield();
	}
}

/*
 * The interrupt follows the status: the engine publishes DONE, then signals (as hardware
 * writes the completion before its MSI). Wait for the PBA bit the masked vector leaves.
 */
static uint64_t wait_pba(struct fix *f)
{
	struct timespec t0, t;
	uint64_t pba;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!(pba = R64(f, f->pdev->msix_pba_off))) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30)
			fail_msg("no interrupt pending 30 s after the channel went idle");
		sched_yield();
	}
	return pba;
}

/* Unmask vector 0 and enable the channel interrupt, through the window. */
static void irq_setup(struct fix *f)
{
	R32(f, f->pdev->msix_table_off + PCI_MSIX_ENTRY_VECTOR_CTRL) = 0;
	assert_int_equal(R32(f, f->pdev->msix_table_off + PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	R8(f, IOAT_REG_INTRCTRL) = IOAT_INTRCTRL_MASTER_EN | IOAT_INTRCTRL_MSIX_VC;
}

static void test_copy(void **state)
{
	struct fix *f = fix_new();
	uint64_t sts;
	uint16_t count;

	(void)state;
	fix_map(f);
	assert_int_equal(R8(f, IOAT_REG_CBVER), IOAT_CBVER_3_3);
	assert_int_equal(R16(f, 0), 1 | IOAT_XFERCAP_LOG2 << 8);
	irq_setup(f);
	chan_start(f);
	/* three copies of different sizes, the last asking for write-back and the interrupt */
	desc_set(f, 0, 4096, 0, SRC_IOVA, DST_IOVA);
	desc_set(f, 1, 100, 0, SRC_IOVA + 5000, DST_IOVA + 8192);
	desc_set(f, 2, 0x80000, IOAT_DESC_COMPL_WRITE | IOAT_DESC_INT_EN, SRC_IOVA + 0x80000,
		 DST_IOVA + 0x80000);
	count = R16(f, CH(IOAT_CHAN_DMACOUNT));
	assert_int_equal(count, 0);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = 3; /* the doorbell: no call */
	sts = wait_idle(f);
	assert_int_equal(sts & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_int_equal(sts & IOAT_STS_ADDR_MASK, RING_IOVA + 2 * IOAT_DESC_SIZE);
	assert_int_equal(R64(f, CH(IOAT_CHAN_CDAR)), RING_IOVA + 2 * IOAT_DESC_SIZE);
	assert_int_equal(R32(f, CH(IOAT_CHAN_ERR)), 0);
	assert_memory_equal(f->dst, f->src, 4096);
	assert_memory_equal(f->dst + 8192, f->src + 5000, 100);
	assert_int_equal(f->dst[8192 + 100], 0);
	assert_memory_equal(f->dst + 0x80000, f->src + 0x80000, 0x80000);
	assert_int_equal(*(volatile uint64_t *)f->cmp, sts);
	/* the interrupt was raised (maybe on the worker thread); it is delivered, not pending */
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_int_equal(R32(f, IOAT_REG_ATTNSTATUS), 0);
	assert_int_equal(R64(f, f->pdev->msix_pba_off), 0);
	fix_free(f);
}

/* Error path: a source not mapped halts the channel; CHANERR by loads; recovery by stores. */
static void test_error_and_reset(void **state)
{
	struct fix *f = fix_new();
	uint64_t sts;

	(void)state;
	fix_map(f);
	chan_start(f);
	desc_set(f, 0, 4096, 0, SRC_IOVA, DST_IOVA);
	desc_set(f, 1, 4096, IOAT_DESC_COMPL_WRITE, HOLE_IOVA, DST_IOVA + 4096);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = 2;
	sts = wait_idle(f);
	assert_int_equal(sts & IOAT_STS_MASK, IOAT_STS_HALTED);
	assert_int_equal(sts & IOAT_STS_ADDR_MASK, RING_IOVA); /* the first completed */
	assert_int_equal(R32(f, CH(IOAT_CHAN_ERR)), IOAT_CHANERR_SRC_ADDR | IOAT_CHANERR_READ_DATA);
	assert_memory_equal(f->dst, f->src, 4096);
	assert_int_equal(f->dst[4096], 0); /* nothing written for the faulting one */
	/* the halted status was written back (error completion enabled by CHANCTRL RUN) */
	assert_int_equal(*(volatile uint64_t *)f->cmp & IOAT_STS_MASK, IOAT_STS_HALTED);
	/* write-1-to-clear, then reset and a good copy */
	R32(f, CH(IOAT_CHAN_ERR)) = IOAT_CHANERR_READ_DATA;
	assert_int_equal(R32(f, CH(IOAT_CHAN_ERR)), IOAT_CHANERR_SRC_ADDR);
	chan_start(f);
	assert_int_equal(R32(f, CH(IOAT_CHAN_ERR)), 0);
	assert_int_equal(R64(f, CH(IOAT_CHAN_STS)) & IOAT_STS_MASK, IOAT_STS_DONE);
	desc_set(f, 0, 2048, IOAT_DESC_COMPL_WRITE, SRC_IOVA + 4096, DST_IOVA + 4096);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = 1;
	sts = wait_idle(f);
	assert_int_equal(sts & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_memory_equal(f->dst + 4096, f->src + 4096, 2048);
	fix_free(f);
}

/*
 * Every decoded form, against the call path. The window's CHANCMP (a kept 64-bit register)
 * and CHAINADDR take the stores; the read-only identity registers feed the loads.
 */
static void test_forms(void **state)
{
	struct fix *f = fix_new();
	volatile uint8_t *cmp;
	uint64_t r, want, idx = 3;

	(void)state;
	fix_map(f);
	cmp = f->bar + CH(IOAT_CHAN_CMP);
	want = call_rd(f, 0, 8);
	/* loads: mov of each size, with a 32-bit one zero-extending and 8/16 merging */
	r = UINT64_C(0xdeadbeefcafef00d);
	__asm__ volatile("movb (%1), %b0" : "+q"(r) : "r"(f->bar) : "memory");
	assert_int_equal(r, UINT64_C(0xdeadbeefcafef000) | (want & 0xff));
	r = UINT64_C(0xdeadbeefcafef00d);
	__asm__ volatile("movw (%1), %w0" : "+r"(r) : "r"(f->bar) : "memory");
	assert_int_equal(r, UINT64_C(0xdeadbeefcafe0000) | (want & 0xffff));
	r = UINT64_C(0xdeadbeefcafef00d);
	__asm__ volatile("movl (%1), %k0" : "+r"(r) : "r"(f->bar) : "memory");
	assert_int_equal(r, want & 0xffffffff);
	__asm__ volatile("movq (%1), %0" : "=r"(r) : "r"(f->bar) : "memory");
	assert_int_equal(r, want);
	/* a high-byte destination (ah) */
	r = UINT64_C(0x1111111111111111);
	__asm__ volatile("movb 8(%1), %h0" : "+Q"(r) : "S"(f->bar) : "memory");
	assert_int_equal(r, UINT64_C(0x1111111111110011) | (uint64_t)IOAT_CBVER_3_3 << 8);
	/* stores of each size from registers, and immediates */
	__asm__ volatile("movq %1, (%0)" ::"r"(cmp), "r"(UINT64_C(0x1122334455667788)) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0x1122334455667788));
	__asm__ volatile("movl %1, 4(%0)" ::"r"(cmp), "r"(0xa1a2a3a4u) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xa1a2a3a455667788));
	__asm__ volatile("movw %1, 2(%0)" ::"r"(cmp), "r"((uint16_t)0xb1b2) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xa1a2a3a4b1b27788));
	__asm__ volatile("movb %1, 1(%0)" ::"r"(cmp), "q"((uint8_t)0xc1) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xa1a2a3a4b1b2c188));
	__asm__ volatile("movb %h1, (%0)" ::"S"(cmp), "Q"(UINT64_C(0xd100)) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xa1a2a3a4b1b2c1d1));
	__asm__ volatile("movq $-2, (%0)" ::"r"(cmp) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xfffffffffffffffe));
	__asm__ volatile("movl $0x12345678, (%0)" ::"r"(cmp) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xffffffff12345678));
	__asm__ volatile("movw $0x9abc, 4(%0)" ::"r"(cmp) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0xffff9abc12345678));
	__asm__ volatile("movb $0x5a, 7(%0)" ::"r"(cmp) : "memory");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_C(0x5aff9abc12345678));
	/* movzx, movsx, movsxd, from the value just stored */
	__asm__ volatile("movzbl 7(%1), %k0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, 0x5a);
	__asm__ volatile("movzwq 4(%1), %0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, 0x9abc);
	__asm__ volatile("movsbq 6(%1), %0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, UINT64_MAX);
	__asm__ volatile("movswq 4(%1), %0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, UINT64_C(0xffffffffffff9abc));
	r = 0;
	__asm__ volatile("movswl 4(%1), %k0" : "+r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, 0xffff9abc);
	__asm__ volatile("movslq 4(%1), %0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, 0x5aff9abc);
	/* SIB with an index and a 32-bit displacement, and r8..r15 */
	__asm__ volatile("movq 0x100(%1,%2,8), %0"
			 : "=r"(r)
			 : "r"(f->bar + CH(IOAT_CHAN_CMP) - 0x100 - 24), "r"(idx)
			 : "memory");
	assert_int_equal(r, UINT64_C(0x5aff9abc12345678));
	__asm__ volatile("mov %1, %%r13\n\tmovq $7, (%%r13)\n\tmovq (%%r13), %%r11\n\tmov %%r11, %0"
			 : "=r"(r)
			 : "r"(cmp)
			 : "r11", "r13", "memory");
	assert_int_equal(r, 7);
	R32(f, CH(IOAT_CHAN_CMP)) = 0x80000001u;
	__asm__ volatile("movslq (%1), %0" : "=r"(r) : "r"(cmp) : "memory");
	assert_int_equal(r, UINT64_C(0xffffffff80000001));
	fix_free(f);
}

/*
 * Arithmetic with a memory operand, as Clang emits volatile x |= y, x -= 1, tests and
 * compares: the device's value, the register and the flags.
 */
static void test_alu_forms(void **state)
{
	struct fix *f = fix_new();
	volatile uint8_t *cmp;
	uint64_t r;
	uint8_t zf, cf, of, sf;

	(void)state;
	fix_map(f);
	cmp = f->bar + CH(IOAT_CHAN_CMP);
	R64(f, CH(IOAT_CHAN_CMP)) = UINT64_C(0x00000000ffff0f00);
	__asm__ volatile("orl $0x10, (%0)" ::"r"(cmp) : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0xffff0f10);
	__asm__ volatile("andw $0x0ff0, (%0)" ::"r"(cmp) : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0xffff0f10);
	__asm__ volatile("xorb %1, 1(%0)" ::"r"(cmp), "q"((uint8_t)0x0f) : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0xffff0010);
	/* add with a carry out of 32 bits, and the flags */
	__asm__ volatile("addl $0x0000fff0, (%2)\n\tsetc %0\n\tsetz %1"
			 : "=q"(cf), "=q"(zf)
			 : "r"(cmp)
			 : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0);
	assert_int_equal(cf, 1);
	assert_int_equal(zf, 1);
	/* sub below zero: carry, sign; a 64-bit add of a register */
	__asm__ volatile("subq $1, (%2)\n\tsetc %0\n\tsets %1"
			 : "=q"(cf), "=q"(sf)
			 : "r"(cmp)
			 : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), UINT64_MAX);
	assert_int_equal(cf, 1);
	assert_int_equal(sf, 1);
	__asm__ volatile("addq %1, (%0)" ::"r"(cmp), "r"(UINT64_C(0x41)) : "memory", "cc");
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0x40);
	/* signed overflow of a 16-bit add */
	R64(f, CH(IOAT_CHAN_CMP)) = 0x7fff;
	__asm__ volatile("addw $1, (%1)\n\tseto %0" : "=q"(of) : "r"(cmp) : "memory", "cc");
	assert_int_equal(of, 1);
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0x8000);
	/* compare and test: no write; register-first forms */
	__asm__ volatile("cmpl $0x8000, (%1)\n\tsetz %0" : "=q"(zf) : "r"(cmp) : "memory", "cc");
	assert_int_equal(zf, 1);
	__asm__ volatile("testl $0x4000, (%1)\n\tsetz %0" : "=q"(zf) : "r"(cmp) : "memory", "cc");
	assert_int_equal(zf, 1);
	__asm__ volatile("testw %2, (%1)\n\tsetz %0"
			 : "=q"(zf)
			 : "r"(cmp), "r"((uint16_t)0x8000)
			 : "memory", "cc");
	assert_int_equal(zf, 0);
	r = 5;
	__asm__ volatile("addq (%1), %0" : "+r"(r) : "r"(cmp) : "memory", "cc");
	assert_int_equal(r, 0x8005);
	r = UINT64_C(0xffffffff00000000);
	__asm__ volatile("orl (%1), %k0" : "+r"(r) : "r"(cmp) : "memory", "cc");
	assert_int_equal(r, 0x8000); /* a 32-bit destination zero-extends */
	__asm__ volatile("cmpq (%1), %2\n\tsetc %0"
			 : "=q"(cf)
			 : "r"(cmp), "r"(UINT64_C(1))
			 : "memory", "cc");
	assert_int_equal(cf, 1);
	assert_int_equal(call_rd(f, CH(IOAT_CHAN_CMP), 8), 0x8000);
	/* adc is not emulated: SIGSEGV (in a child, see test_not_ours) */
	fix_free(f);
}

/* The MSI-X table and PBA through the window; memory decode off reads all ones. */
static void test_msix_and_decode(void **state)
{
	struct fix *f = fix_new();
	unsigned int t = f->pdev->msix_table_off;
	uint16_t cmd;

	(void)state;
	fix_map(f);
	assert_int_equal(R32(f, t + PCI_MSIX_ENTRY_VECTOR_CTRL), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	R64(f, t) = UINT64_C(0xfee0000000001000);
	R32(f, t + PCI_MSIX_ENTRY_DATA) = 0x4041;
	assert_int_equal(R64(f, t), UINT64_C(0xfee0000000001000));
	assert_int_equal(call_rd(f, t + PCI_MSIX_ENTRY_DATA, 4), 0x4041);
	/* an interrupt while masked is pending in the PBA; unmasking by a store delivers it */
	R8(f, IOAT_REG_INTRCTRL) = IOAT_INTRCTRL_MASTER_EN;
	chan_start(f);
	desc_set(f, 0, 64, IOAT_DESC_INT_EN, SRC_IOVA, DST_IOVA);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = 1;
	assert_int_equal(wait_idle(f) & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_int_equal(wait_pba(f), 1);
	R64(f, f->pdev->msix_pba_off) = 0; /* read-only */
	assert_int_equal(R64(f, f->pdev->msix_pba_off), 1);
	assert_int_equal(atomic_load(&f->irqs), 0);
	R32(f, t + PCI_MSIX_ENTRY_VECTOR_CTRL) = 0;
	assert_int_equal(atomic_load(&f->irqs), 1);
	assert_int_equal(R64(f, f->pdev->msix_pba_off), 0);
	/* memory decode off: all ones, stores dropped */
	cmd = PCI_COMMAND_MASTER;
	OK(dev_model_cfg_write(f->m, PCI_COMMAND, &cmd, 2));
	assert_int_equal(R8(f, IOAT_REG_CBVER), 0xff);
	assert_int_equal(R16(f, CH(IOAT_CHAN_CTRL)), 0xffff);
	assert_int_equal(R32(f, CH(IOAT_CHAN_ERR)), 0xffffffffu);
	assert_int_equal(R64(f, CH(IOAT_CHAN_STS)), UINT64_MAX);
	R64(f, CH(IOAT_CHAN_CMP)) = 0x1234000;
	cmd = PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	OK(dev_model_cfg_write(f->m, PCI_COMMAND, &cmd, 2));
	assert_int_equal(R64(f, CH(IOAT_CHAN_CMP)), CMP_IOVA);
	fix_free(f);
}

/* In a forked child: run fn, which must die of SIGSEGV. */
static void expect_segv(struct fix *f, void (*fn)(struct fix *f))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		void *p;

		/* the default action as the program's handler, then ours back on top of it */
		sigemptyset(&dfl.sa_mask);
		sigaction(SIGSEGV, &dfl, NULL);
		if (dev_model_bar_mmap(f->m, 0, SZ_4K, SZ_4K, PROT_READ, &p))
			_exit(3);
		fn(f);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

static void bad_lock(struct fix *f)
{
	__asm__ volatile("lock incl (%0)" ::"r"(f->bar + CH(IOAT_CHAN_CMP)) : "memory");
}

/*
 * Misaligned accesses in asm: the instruction form is ours, the alignment is not. In a fork
 * child every access to an inherited window traps (the read pages are the parent's), so
 * loads are refused there too; stores are refused everywhere.
 */
static void bad_misaligned(struct fix *f)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0"
			 : "=r"(v)
			 : "r"(f->bar + CH(IOAT_CHAN_CMP) + 2)
			 : "memory");
}

static void bad_straddle_page(struct fix *f)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(f->bar + SZ_4K - 4) : "memory");
}

static void bad_adc(struct fix *f)
{
	__asm__ volatile("adcl $1, (%0)" ::"r"(f->bar + CH(IOAT_CHAN_CMP)) : "memory", "cc");
}

static void bad_sse(struct fix *f)
{
	__asm__ volatile("movdqu (%0), %%xmm0" ::"r"(f->bar) : "xmm0", "memory");
}

static void bad_misaligned_store(struct fix *f)
{
	__asm__ volatile("movl %1, (%0)" ::"r"(f->bar + CH(IOAT_CHAN_CMP) + 2), "r"(1u) : "memory");
}

static void bad_sse_store(struct fix *f)
{
	__asm__ volatile(
		"pxor %%xmm0, %%xmm0\n\tmovdqu %%xmm0, (%0)" ::"r"(f->bar + CH(IOAT_CHAN_CMP))
		: "xmm0", "memory");
}

static void ok_then_unmapped(struct fix *f)
{
	volatile uint8_t *bar = f->bar;

	if (R8(f, IOAT_REG_CBVER) != IOAT_CBVER_3_3)
		_exit(4);
	if (dev_model_bar_munmap(f->m, (void *)(uintptr_t)bar, BAR_LEN))
		_exit(5);
	(void)bar[IOAT_REG_CBVER];
}

static void ok_then_model_freed(struct fix *f)
{
	volatile uint8_t *bar = f->bar;

	if (R8(f, IOAT_REG_CBVER) != IOAT_CBVER_3_3)
		_exit(4);
	dev_model_free(f->m);
	(void)bar[IOAT_REG_CBVER];
}

/* the second window (BAR offset 4 KiB, read-only) made by expect_segv is the last one */
static volatile uint8_t *ro_window;

static void store_read_only(struct fix *f)
{
	void *p;

	/* a read-only window of the same BAR page works for loads... */
	if (dev_model_bar_mmap(f->m, 0, 0, SZ_4K, PROT_READ, &p))
		_exit(6);
	ro_window = p;
	if (ro_window[IOAT_REG_CBVER] != IOAT_CBVER_3_3)
		_exit(7);
	ro_window[IOAT_REG_GENCTRL] = 1; /* ... and a store faults */
}

static void test_not_ours(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	fix_map(f);
	expect_segv(f, bad_lock);
	expect_segv(f, bad_misaligned);
	expect_segv(f, bad_adc);
	expect_segv(f, bad_misaligned_store);
	expect_segv(f, bad_sse_store);
	expect_segv(f, bad_straddle_page);
	expect_segv(f, bad_sse);
	expect_segv(f, ok_then_unmapped);
	expect_segv(f, ok_then_model_freed);
	expect_segv(f, store_read_only);
	/* the parent's window still works; its loads read the read pages, in any form */
	assert_int_equal(R8(f, IOAT_REG_CBVER), IOAT_CBVER_3_3);
	R64(f, CH(IOAT_CHAN_CMP)) = UINT64_C(0x1122334455667700);
	if (!read_pages())
		expect_segv(f, bad_sse); /* trapped: refused, as in the child */
	else {
		uint8_t v[16];

		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu %%xmm0, (%0)" ::"r"(v),
				 "r"(f->bar + CH(IOAT_CHAN_CMP))
				 : "xmm0", "memory");
		assert_int_equal(v[0], 0x00);
		assert_int_equal(v[1], 0x77);
		assert_int_equal(v[7], 0x11);
		assert_int_equal(v[8], (uint8_t)RING_IOVA); /* CDAR: 0 after the reset */
	}
	fix_free(f);
}

static sigjmp_buf chain_jmp;
static volatile uintptr_t chain_addr;

static void program_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chain_addr = (uintptr_t)si->si_addr;
	siglongjmp(chain_jmp, 1);
}

/* A fault that is not ours reaches the handler the program had, with its siginfo. */
static void test_chain(void **state)
{
	struct fix *f = fix_new();
	struct sigaction sa = { .sa_sigaction = program_handler, .sa_flags = SA_SIGINFO }, old;
	volatile uint8_t *bad;

	(void)state;
	sigemptyset(&sa.sa_mask);
	OK(sigaction(SIGSEGV, &sa, &old));
	fix_map(f);
	bad = f->bar + CH(IOAT_CHAN_CMP) + 1;
	if (!sigsetjmp(chain_jmp, 1)) {
		/* a misaligned store: not emulated (loads may read the read pages: no fault) */
		__asm__ volatile("movw %1, (%0)" ::"r"(bad), "r"((uint16_t)1) : "memory");
		fail_msg("a misaligned store through the window did not fault");
	}
	assert_int_equal(chain_addr, (uintptr_t)bad);
	/* ours is still in place: the window works after the program's handler ran */
	assert_int_equal(R8(f, IOAT_REG_CBVER), IOAT_CBVER_3_3);
	/* a plain fault elsewhere reaches it too */
	chain_addr = 0;
	if (!sigsetjmp(chain_jmp, 1)) {
		volatile int *volatile low = (volatile int *)(uintptr_t)16;

		(void)*low;
		fail_msg("a load at address 16 did not fault");
	}
	assert_int_equal(chain_addr, 16);
	fix_free(f);
	sigaction(SIGSEGV, &old, NULL);
}

/* Bad arguments; several windows of one BAR; munmap of what is not a window. */
static void test_windows(void **state)
{
	struct fix *f = fix_new();
	void *a, *b, *c;
	struct platform_bdf bdf;
	const struct platform_device *qd;
	struct dev_model *q;
	struct dev_model_params params = { 0 };

	(void)state;
	assert_int_equal(dev_model_bar_mmap(f->m, 1, 0, SZ_4K, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 6, 0, SZ_4K, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 0, 100, SZ_4K, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 0, 0, 0, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 0, 0, BAR_LEN + 1, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 0, BAR_LEN, SZ_4K, PROT_READ, &a), -EINVAL);
	assert_int_equal(dev_model_bar_mmap(f->m, 0, 0, SZ_4K, PROT_EXEC, &a), -EINVAL);
	OK(dev_model_bar_mmap(f->m, 0, 0, SZ_4K, PROT_READ | PROT_WRITE, &a));
	OK(dev_model_bar_mmap(f->m, 0, 0x2000, 0x2000, PROT_READ | PROT_WRITE, &b));
	OK(dev_model_bar_mmap(f->m, 0, 0, 100, PROT_READ, &c)); /* rounded up to a page */
	assert_ptr_not_equal(a, c);
	/* the second window starts at the MSI-X table */
	assert_int_equal(*(volatile uint32_t *)((uint8_t *)b + f->pdev->msix_table_off - 0x2000 +
						PCI_MSIX_ENTRY_VECTOR_CTRL),
			 PCI_MSIX_ENTRY_CTRL_MASKBIT);
	*(volatile uint64_t *)((uint8_t *)a + CH(IOAT_CHAN_CMP)) = 0x5000;
	assert_int_equal(*(volatile uint64_t *)((uint8_t *)c + CH(IOAT_CHAN_CMP)), 0x5000);
	assert_int_equal(dev_model_bar_munmap(f->m, a, 2 * SZ_4K), -EINVAL);
	assert_int_equal(dev_model_bar_munmap(f->m, (uint8_t *)b + SZ_4K, SZ_4K), -EINVAL);
	assert_int_equal(dev_model_bar_munmap(f->m, f->ring, SZ_4K), -EINVAL);
	OK(dev_model_bar_munmap(f->m, a, SZ_4K));
	assert_int_equal(dev_model_bar_munmap(f->m, a, SZ_4K), -EINVAL);
	OK(dev_model_bar_munmap(f->m, b, 0x2000));
	/* c is left mapped: dev_model_free takes it */

	/* a device with a BAR smaller than a page, and an I/O BAR */
	OK(platform_bdf_parse("0001:00:01.0", &bdf));
	qd = platform_device_find(platform_default(), &bdf);
	assert_non_null(qd);
	params.pdev = qd;
	params.ctx = f->ctx;
	params.dev_id = f->dev_id;
	OK(dev_model_new(&params, &q));
	assert_int_equal(dev_model_bar_mmap(q, 1, 0, SZ_4K, PROT_READ, &a), -EINVAL);
	OK(dev_model_bar_mmap(q, 0, 0, SZ_4K, PROT_READ, &a));
	assert_int_equal(dev_model_bar_munmap(f->m, a, SZ_4K), -EINVAL); /* not f->m's */
	dev_model_free(q);
	fix_free(f);
}

/* A thread on a small alternate signal stack: ours runs there. */
static void *altstack_thread(void *arg)
{
	struct fix *f = arg;
	stack_t ss = { .ss_size = 64 * 1024 };
	uintptr_t ok = 1;

	ss.ss_sp = malloc(ss.ss_size);
	if (!ss.ss_sp || sigaltstack(&ss, NULL))
		return NULL;
	for (int i = 0; i < 100; i++) {
		R64(f, CH(IOAT_CHAN_CMP)) = (uint64_t)i << 6;
		ok &= R64(f, CH(IOAT_CHAN_CMP)) == (uint64_t)i << 6;
	}
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	free(ss.ss_sp);
	return (void *)ok;
}

/* Loads of CHANSTS and stores elsewhere racing the worker's copies (TSan sees them). */
static void *poll_thread(void *arg)
{
	struct fix *f = arg;
	uintptr_t seen = 0;

	for (int i = 0; i < 2000; i++) {
		uint64_t sts = R64(f, CH(IOAT_CHAN_STS));

		seen |= UINT64_C(1) << (sts & IOAT_STS_MASK);
		(void)R32(f, CH(IOAT_CHAN_ERR));
	}
	return (void *)seen;
}

static void test_threads(void **state)
{
	struct fix *f = fix_new();
	pthread_t t, p;
	void *ret;
	uint16_t count = 0;

	(void)state;
	fix_map(f);
	OK(pthread_create(&t, NULL, altstack_thread, f));
	OK(pthread_join(t, &ret));
	assert_int_equal((uintptr_t)ret, 1);
	chan_start(f);
	for (unsigned int i = 0; i < NR_RING; i++)
		desc_set(f, i, 0x20000, i == NR_RING - 1 ? IOAT_DESC_COMPL_WRITE : 0,
			 SRC_IOVA + (i % 8) * 0x20000, DST_IOVA + (i % 8) * 0x20000);
	OK(pthread_create(&p, NULL, poll_thread, f));
	for (int round = 0; round < 8; round++) {
		count = (uint16_t)(count + NR_RING / 8);
		R16(f, CH(IOAT_CHAN_DMACOUNT)) = count;
	}
	OK(pthread_join(p, &ret));
	assert_true((uintptr_t)ret & (1u << IOAT_STS_DONE | 1u << IOAT_STS_ACTIVE));
	assert_int_equal(wait_idle(f) & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_int_equal(R64(f, CH(IOAT_CHAN_STS)) & IOAT_STS_ADDR_MASK,
			 RING_IOVA + (NR_RING - 1) * IOAT_DESC_SIZE);
	assert_memory_equal(f->dst, f->src, BUF);
	/* a reset while the worker may be copying leaves it usable */
	count = (uint16_t)(count + 16);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = count;
	chan_start(f);
	desc_set(f, 0, 64, IOAT_DESC_COMPL_WRITE, SRC_IOVA, DST_IOVA + 64);
	R16(f, CH(IOAT_CHAN_DMACOUNT)) = 1;
	assert_int_equal(wait_idle(f) & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_int_equal(R64(f, CH(IOAT_CHAN_STS)) & IOAT_STS_ADDR_MASK, RING_IOVA);
	/* the call path still runs the engine in the caller */
	desc_set(f, 1, 128, 0, SRC_IOVA + 256, DST_IOVA + 512);
	OK(dev_model_mmio_write(f->m, 0, CH(IOAT_CHAN_DMACOUNT), 2, 2));
	desc_set(f, 1, 128, 0, SRC_IOVA, DST_IOVA);
	assert_int_equal(wait_idle(f) & IOAT_STS_MASK, IOAT_STS_DONE);
	assert_memory_equal(f->dst + 512, f->src + 256, 128);
	fix_free(f); /* the model freed with its window and worker */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_error_and_reset),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_alu_forms),
		cmocka_unit_test(test_msix_and_decode),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
