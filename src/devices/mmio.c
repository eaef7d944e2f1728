// SPDX-License-Identifier: BSD-3-Clause
/*
 * mmio.c - a device's BARs as memory of this process: stores trapped and emulated, loads
 * from read pages the model keeps current (or trapped too).
 *
 * What it owns: dev_model_bar_mmap()/munmap(), the table of live mappings, the process's
 * SIGSEGV handler, a decoder for the x86-64 instructions that compilers emit for volatile
 * 1, 2, 4 and 8-byte loads and stores, and each device's read pages.
 *
 * Read pages: for a model whose reads have no side effects (it has shadow_render), a memfd
 * per BAR holds every register's current value, written by the model under its lock
 * (dev_model_shadow_put/sync) and mapped read-only into every window of that BAR: loads are
 * plain memory loads, only stores fault. Without them (no renderer, a BAR smaller than a
 * page, a window without PROT_READ, IOASID_MMIO_TRAP_READS=1, ThreadSanitizer, a fork
 * child's inherited window) a window is anonymous PROT_NONE memory and loads fault too.
 *
 * The trap: the handler finds the window (a fixed table scanned without locks: each slot has
 * a state and a count of handlers inside it, so munmap waits out a handler that is using it
 * before the window goes), decodes the faulting instruction at RIP, checks that its
 * effective address (computed from the registers, and consistent with si_addr) lies inside
 * the window, performs the access with dev_model_mmio_read/write at the BAR offset, writes
 * the destination register for a load, and resumes after the instruction. Each access is
 * therefore exactly one device access, in program order, with the device's side effects
 * happening at the instruction: a doorbell store reaches the model before the store
 * "returns", a status load reads the model's current state.
 *
 * Decoded forms (anything else is not ours and goes to the handler the program had, or kills
 * the process with SIGSEGV as an unhandled fault would):
 *   88 /r, 89 /r          mov r8/r16/r32/r64 -> m
 *   8a /r, 8b /r          mov m -> r8/r16/r32/r64
 *   c6 /0 ib, c7 /0 iw/id mov imm -> m (sign-extended to 64 with REX.W)
 *   0f b6/b7, 0f be/bf    movzx, movsx m8/m16 -> r16/r32/r64
 *   63 /r                 movsxd m32 -> r64
 *   00-3b (not adc, sbb)  add or and sub xor cmp, m with r either way
 *   80/81/83 /0 /1 /4-/7  add or and sub xor cmp, m with an immediate
 *   84/85, f6/f7 /0       test m with r, with an immediate
 * (the arithmetic ones as a device read, then a write for a read-modify-write, with the
 * register and the flags set as the CPU would: what Clang folds volatile x |= y into)
 * with the prefixes 66 (operand size), REX, and the null segment overrides (2e 36 3e 26);
 * a lock, rep, fs/gs or address-size prefix, a register operand, or an access that is not
 * naturally aligned, leaves the window or the BAR, or lacks the mapping's PROT_READ /
 * PROT_WRITE, is refused the same way.
 *
 * Other handlers: the one in place when a window is made is kept and called for every
 * fault that is not ours (siginfo or plain form, as it asked); a window made after another
 * handler replaced ours puts ours back, chaining to that one. Ours is installed with
 * SA_ONSTACK, so a program's stack-overflow handler on its sigaltstack still runs, and ours
 * runs there too when the faulting thread has one (it needs little stack: the engines run on
 * their own threads). A program that replaces the SIGSEGV handler breaks its windows until
 * its next mapping.
 *
 * Limits (docs/devices.md): each trapped access costs a signal delivery (microseconds); the
 * device lock is taken inside the handler, so a window must not be touched from a signal
 * handler that interrupted a call into the same device, nor from the irq callback; trapped
 * accesses through other instructions (SSE, rep movs, lock, xchg) are not emulated.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "devices/devices_int.h"

#define MMIO_SLOTS 256u

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_DYING };

struct mmio_slot {
	_Atomic int state;
	_Atomic unsigned int users; /* handlers inside this slot */
	/* written while FREE, read only after seeing LIVE */
	uintptr_t base;
	size_t len;
	int prot;
	bool shadowed;	     /* loads read the device's read pages; stores trap */
	struct dev_model *m; /* NULL: a remote window, served by ops */
	const struct dev_window_ops *ops;
	void *opaque;
	void (*release)(void *); /* what the window holds, let go once it is gone */
	void *rel_arg;
	unsigned int bar;
	uint64_t bar_off; /* BAR offset of base */
};

/* One access of the window's device: the model here, or the window's ops (a remote one). */
static int slot_access(const struct mmio_slot *s, uint64_t off, unsigned int size, uint64_t *out,
		       uint64_t val, bool write)
{
	if (s->m)
		return dev_model_mmio_access(s->m, s->bar, off, size, out, val, write);
	*out = val;
	return s->ops->access(s->opaque, s->bar, off, size, out, write);
}

static struct mmio_slot slots[MMIO_SLOTS];
static atomic_uint live_windows; /* slots LIVE: dev_model_windows_forget's quick answer */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER; /* map / unmap */
static struct sigaction prev_segv; /* the handler before ours; under slots_lock */

static long page_size(void)
{
	static long ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/* ---- the decoder --------------------------------------------------------------------------- */

enum ext { EXT_NONE, EXT_ZERO, EXT_SIGN };

/* Arithmetic with a memory operand (what Clang folds volatile read-modify-writes into). */
enum alu { ALU_NONE, ALU_ADD, ALU_OR, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* The ALU of /op 0..7 of 80/81/83 (adc and sbb are not emulated). */
static const enum alu alu_of_op[8] = {
	ALU_ADD, ALU_OR, ALU_NONE, ALU_NONE, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
};

struct insn {
	unsigned int len;      /* bytes */
	unsigned int size;     /* memory access size */
	unsigned int dst_size; /* register written by a load */
	bool write;	       /* store */
	bool has_imm;
	uint64_t imm;
	int reg;	/* register operand (x86 number), -1 for an immediate */
	bool rex;	/* any REX prefix: r8 4..7 are spl..dil, not ah..bh */
	enum ext ext;	/* how a load widens */
	enum alu alu;	/* ALU_NONE: a mov */
	bool mem_dst;	/* the ALU's result goes to memory (a read then a write of the device) */
	bool reg_first; /* the ALU's first operand is the register (02..3b with bit 1 set) */
	/* effective address */
	int base, index; /* -1: none */
	unsigned int scale;
	int64_t disp;
	bool rip_rel;
};

/* gregs index of x86 register number 0..15 (rax rcx rdx rbx rsp rbp rsi rdi r8..r15) */
static const int greg_of[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8,	 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static uint64_t le_bytes(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * The immediate after the ModRM bytes, advancing *pp: 1 byte (sign-extended, as imm8
 * always is), 2 bytes for a 16-bit operand, else 4 bytes sign-extended (imm32; there is no
 * 64-bit immediate for a memory operand).
 */
static uint64_t take_imm(const uint8_t **pp, unsigned int size)
{
	const uint8_t *p = *pp;

	if (size == 1) {
		*pp = p + 1;
		return (uint64_t)(int64_t)(int8_t)p[0];
	}
	if (size == 2) {
		*pp = p + 2;
		return le_bytes(p, 2);
	}
	*pp = p + 4;
	return (uint64_t)(int64_t)(int32_t)le_bytes(p, 4);
}

static int64_t sext(uint64_t v, unsigned int bytes)
{
	unsigned int sh = 64 - 8 * bytes;

	return bytes >= 8 ? (int64_t)v : (int64_t)(v << sh) >> sh;
}

/* Decode the instruction at p: 0, or -1 if it is not one we emulate. */
static int decode(const uint8_t *p, struct insn *in)
{
	const uint8_t *start = p;
	bool opsize16 = false, w = false;
	unsigned int rex_r = 0, rex_x = 0, rex_b = 0, op, modrm, mod, rm, regf;

	memset(in, 0, sizeof(*in));
	in->base = in->index = -1;
	for (;; p++) {
		if (p - start >= 4)
			return -1;
		if (*p == 0x66)
			opsize16 = true;
		else if (*p == 0x2e || *p == 0x36 || *p == 0x3e || *p == 0x26)
			continue;
		else
			break; /* f0 lock, f2/f3 rep, 64/65 fs/gs, 67: not ours */
	}
	if ((*p & 0xf0) == 0x40) {
		in->rex = true;
		w = *p & 8;
		rex_r = (*p & 4) ? 8 : 0;
		rex_x = (*p & 2) ? 8 : 0;
		rex_b = (*p & 1) ? 8 : 0;
		p++;
	}
	op = *p++;
	if (op == 0x0f) {
		op = 0x0f00 | *p++;
		if (op != 0x0fb6 && op != 0x0fb7 && op != 0x0fbe && op != 0x0fbf)
			return -1;
	} else if (op < 0x40 && (op & 7) < 4 && op != 0x10 && op != 0x11 && op != 0x12 &&
		   op != 0x13 && op != 0x18 && op != 0x19 && op != 0x1a && op != 0x1b) {
		/* add or and sub xor cmp, r/m with r, either way (not adc, sbb) */
	} else if (op != 0x88 && op != 0x89 && op != 0x8a && op != 0x8b && op != 0xc6 &&
		   op != 0xc7 && op != 0x63 && op != 0x80 && op != 0x81 && op != 0x83 &&
		   op != 0x84 && op != 0x85 && op != 0xf6 && op != 0xf7) {
		return -1;
	}
	modrm = *p++;
	mod = modrm >> 6;
	regf = ((modrm >> 3) & 7) | rex_r;
	rm = modrm & 7;
	if (mod == 3)
		return -1; /* a register operand: no memory access */
	if (rm == 4) {
		unsigned int sib = *p++, base = sib & 7, index = ((sib >> 3) & 7) | rex_x;

		in->scale = 1u << (sib >> 6);
		if (index != 4)
			in->index = (int)index;
		if (base == 5 && mod == 0) {
			in->disp = (int32_t)le_bytes(p, 4);
			p += 4;
		} else {
			in->base = (int)(base | rex_b);
		}
	} else if (rm == 5 && mod == 0) {
		in->rip_rel = true;
		in->disp = (int32_t)le_bytes(p, 4);
		p += 4;
	} else {
		in->base = (int)(rm | rex_b);
	}
	if (mod == 1) {
		in->disp = (int8_t)*p++;
	} else if (mod == 2) {
		in->disp = (int32_t)le_bytes(p, 4);
		p += 4;
	}
	in->reg = (int)regf;
	switch (op) {
	case 0x88:
	case 0x8a:
		in->size = in->dst_size = 1;
		in->write = op == 0x88;
		break;
	case 0x89:
	case 0x8b:
		in->size = in->dst_size = w ? 8 : opsize16 ? 2 : 4;
		in->write = op == 0x89;
		break;
	case 0xc6:
	case 0xc7:
		if ((regf & 7) != 0)
			return -1;
		in->write = true;
		in->has_imm = true;
		in->reg = -1;
		in->size = op == 0xc6 ? 1 : w ? 8 : opsize16 ? 2 : 4;
		in->imm = take_imm(&p, in->size);
		break;
	case 0x63:
		in->size = 4;
		in->dst_size = w ? 8 : 4;
		in->ext = EXT_SIGN;
		break;
	case 0x80:
	case 0x81:
	case 0x83:
	case 0xf6:
	case 0xf7:
		if (op >= 0xf6 ? (regf & 7) != 0 : alu_of_op[regf & 7] == ALU_NONE)
			return -1;
		in->alu = op >= 0xf6 ? ALU_TEST : alu_of_op[regf & 7];
		in->mem_dst = true;
		in->write = in->alu != ALU_CMP && in->alu != ALU_TEST;
		in->has_imm = true;
		in->reg = -1;
		in->size = (op & 1) ? (w ? 8 : opsize16 ? 2 : 4) : 1;
		in->imm = take_imm(&p, op == 0x83 ? 1 : in->size);
		break;
	case 0x84:
	case 0x85:
		in->alu = ALU_TEST;
		in->mem_dst = true;
		in->size = (op & 1) ? (w ? 8 : opsize16 ? 2 : 4) : 1;
		break;
	default:
		if (op < 0x40) { /* 00..3b: the ALU is bits 5:3, bit 1 the direction */
			static const enum alu alu_row[8] = { ALU_ADD, ALU_OR,  ALU_NONE, ALU_NONE,
							     ALU_AND, ALU_SUB, ALU_XOR,	 ALU_CMP };

			in->alu = alu_row[op >> 3];
			in->size = (op & 1) ? (w ? 8 : opsize16 ? 2 : 4) : 1;
			in->dst_size = in->size;
			in->reg_first = op & 2;
			in->mem_dst = !in->reg_first;
			in->write = in->mem_dst && in->alu != ALU_CMP;
			break;
		}
		/* movzx, movsx */
		in->size = (op & 1) ? 2 : 1;
		in->dst_size = w ? 8 : opsize16 ? 2 : 4;
		in->ext = (op & 8) ? EXT_SIGN : EXT_ZERO;
		break;
	}
	in->len = (unsigned int)(p - start);
	return in->len <= 15 ? 0 : -1;
}

static uint64_t ea_of(const struct insn *in, const greg_t *g)
{
	uint64_t ea = (uint64_t)in->disp;

	if (in->rip_rel)
		ea += (uint64_t)g[REG_RIP] + in->len;
	if (in->base >= 0)
		ea += (uint64_t)g[greg_of[in->base]];
	if (in->index >= 0)
		ea += (uint64_t)g[greg_of[in->index]] * in->scale;
	return ea;
}

/* The value a store writes. */
static uint64_t store_value(const struct insn *in, const greg_t *g)
{
	uint64_t v;

	if (in->has_imm)
		v = in->imm;
	else if (in->size == 1 && !in->rex && in->reg >= 4 && in->reg < 8)
		v = (uint64_t)g[greg_of[in->reg - 4]] >> 8; /* ah, ch, dh, bh */
	else
		v = (uint64_t)g[greg_of[in->reg]];
	return in->size == 8 ? v : v & ((UINT64_C(1) << (8 * in->size)) - 1);
}

/* A load's value into its destination register, widened and merged as the CPU does. */
static void load_result(const struct insn *in, greg_t *g, uint64_t v)
{
	greg_t *r;
	uint64_t x = v;

	if (in->ext == EXT_SIGN)
		x = (uint64_t)sext(v, in->size);
	if (in->dst_size == 1 && !in->rex && in->reg >= 4 && in->reg < 8) {
		r = &g[greg_of[in->reg - 4]];
		*r = (greg_t)(((uint64_t)*r & ~UINT64_C(0xff00)) | (x & 0xff) << 8);
		return;
	}
	r = &g[greg_of[in->reg]];
	switch (in->dst_size) {
	case 1:
		*r = (greg_t)(((uint64_t)*r & ~UINT64_C(0xff)) | (x & 0xff));
		break;
	case 2:
		*r = (greg_t)(((uint64_t)*r & ~UINT64_C(0xffff)) | (x & 0xffff));
		break;
	case 4:
		*r = (greg_t)(x & 0xffffffffu); /* a 32-bit destination zero-extends */
		break;
	default:
		*r = (greg_t)x;
		break;
	}
}

/* The arithmetic flags (CF PF AF ZF SF OF) an ALU instruction of size bytes leaves. */
#define EFL_ARITH 0x8d5u

static uint64_t alu_flags(enum alu op, uint64_t a, uint64_t b, uint64_t r, unsigned int size)
{
	uint64_t top = UINT64_C(1) << (8 * size - 1), f = 0;

	if (!r)
		f |= 0x40; /* ZF */
	if (r & top)
		f |= 0x80; /* SF */
	if (!__builtin_parityll(r & 0xff))
		f |= 0x04; /* PF */
	if (op == ALU_ADD) {
		f |= r < a ? 0x01 : 0;			    /* CF */
		f |= ((a ^ r) & (b ^ r) & top) ? 0x800 : 0; /* OF */
		f |= (a ^ b ^ r) & 0x10;		    /* AF */
	} else if (op == ALU_SUB || op == ALU_CMP) {
		f |= a < b ? 0x01 : 0;
		f |= ((a ^ b) & (a ^ r) & top) ? 0x800 : 0;
		f |= (a ^ b ^ r) & 0x10;
	}
	return f; /* logic: CF, OF (and AF) clear */
}

/*
 * An ALU instruction with a memory operand: the device read, the operation, the device
 * write for a read-modify-write (two accesses, as a bus sees an unlocked one), the register
 * and the flags. 0, or -1 if refused.
 */
static int alu_emulate(const struct mmio_slot *s, const struct insn *in, greg_t *g, uint64_t off)
{
	uint64_t mask = in->size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * in->size)) - 1;
	uint64_t mem, src, a, b, r;

	if (!(s->prot & PROT_READ) || (in->write && !(s->prot & PROT_WRITE)))
		return -1;
	if (slot_access(s, off, in->size, &mem, 0, false))
		return -1;
	src = in->has_imm ? in->imm & mask : store_value(in, g);
	a = in->reg_first ? src : mem;
	b = in->reg_first ? mem : src;
	switch (in->alu) {
	case ALU_ADD:
		r = a + b;
		break;
	case ALU_OR:
		r = a | b;
		break;
	case ALU_AND:
	case ALU_TEST:
		r = a & b;
		break;
	case ALU_XOR:
		r = a ^ b;
		break;
	default: /* sub, cmp */
		r = a - b;
		break;
	}
	r &= mask;
	if (in->write && slot_access(s, off, in->size, &mem, r, true))
		return -1;
	if (!in->mem_dst && in->alu != ALU_CMP)
		load_result(in, g, r);
	g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)EFL_ARITH) |
			      alu_flags(in->alu, a, b, r, in->size));
	return 0;
}

/* ---- the handler --------------------------------------------------------------------------- */

/* The live slot containing addr, with its users count held; NULL if none. */
static struct mmio_slot *slot_enter(uintptr_t addr)
{
	for (unsigned int i = 0; i < MMIO_SLOTS; i++) {
		struct mmio_slot *s = &slots[i];

		if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_LIVE)
			continue;
		atomic_fetch_add(&s->users, 1);
		if (atomic_load(&s->state) == SLOT_LIVE && addr - s->base < s->len)
			return s;
		atomic_fetch_sub(&s->users, 1);
	}
	return NULL;
}

static void slot_leave(struct mmio_slot *s)
{
	atomic_fetch_sub_explicit(&s->users, 1, memory_order_release);
}

/* Emulate the faulting access: true if it was ours and done. */
static bool emulate(siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t fault = (uintptr_t)si->si_addr;
	struct mmio_slot *s;
	struct insn in;
	uint64_t ea, val;
	bool ok = false;
	int rc;

	if (si->si_code != SEGV_ACCERR)
		return false;
	s = slot_enter(fault);
	if (!s)
		return false;
	if (decode((const uint8_t *)(uintptr_t)g[REG_RIP], &in))
		goto out;
	ea = ea_of(&in, g);
	if (fault - ea >= in.size || ea - s->base >= s->len || in.size > s->len - (ea - s->base))
		goto out;
	if (in.alu) {
		rc = alu_emulate(s, &in, g, s->bar_off + (ea - s->base));
	} else if (!(s->prot & (in.write ? PROT_WRITE : PROT_READ))) {
		goto out;
	} else if (in.write) {
		rc = slot_access(s, s->bar_off + (ea - s->base), in.size, &val, store_value(&in, g),
				 true);
	} else {
		rc = slot_access(s, s->bar_off + (ea - s->base), in.size, &val, 0, false);
		if (!rc)
			load_result(&in, g, val);
	}
	if (rc)
		goto out;
	g[REG_RIP] += in.len;
	ok = true;
out:
	slot_leave(s);
	return ok;
}

static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	int saved = errno;

	if (emulate(si, uctx)) {
		errno = saved;
		return;
	}
	errno = saved;
	if (prev_segv.sa_flags & SA_SIGINFO) {
		prev_segv.sa_sigaction(sig, si, uctx);
	} else if (prev_segv.sa_handler != SIG_DFL && prev_segv.sa_handler != SIG_IGN) {
		prev_segv.sa_handler(sig);
	} else {
		/* no handler: the access is retried with the default action, which kills us */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&dfl.sa_mask);
		sigaction(SIGSEGV, &dfl, NULL);
	}
}

/*
 * Ours, unless it is already in place: a program (or a test harness) that replaced it since
 * gets it back with the next mapping, its own handler becoming the one chained to.
 */
static int install_handler(void)
{
	struct sigaction sa = { .sa_sigaction = segv_handler,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART },
			 cur;

	if (sigaction(SIGSEGV, NULL, &cur))
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == segv_handler)
		return 0;
	sigemptyset(&sa.sa_mask);
	prev_segv = cur;
	if (sigaction(SIGSEGV, &sa, NULL))
		return -errno;
	return 0;
}

/* ---- read pages ---------------------------------------------------------------------------- */

/*
 * Whether windows get read pages: yes, unless IOASID_MMIO_TRAP_READS=1 asks for every load
 * to trap too (reads then go through the model's read call, one at a time, in order with
 * the stores). Under ThreadSanitizer they are off: it cannot see the ordering that a load of
 * a read page gives through the model's release store at another address of the same page.
 */
static bool read_pages_on(void)
{
	const char *e = getenv("IOASID_MMIO_TRAP_READS");

#if defined(__SANITIZE_THREAD__)
	(void)e;
	return false;
#else
	return !(e && !strcmp(e, "1"));
#endif
}

static _Atomic unsigned int fork_gen;

unsigned int dev_fork_gen(void)
{
	return atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

/*
 * In a fork child: the windows' read pages are shared with the parent, whose device is not
 * ours any more. Every window with them goes back to trapping every access, and each
 * device drops its read pages the next time it would write them (dev_fork_gen changed).
 */
static void fork_prepare(void)
{
	pthread_mutex_lock(&slots_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&slots_lock);
}

static void fork_child(void)
{
	atomic_fetch_add(&fork_gen, 1);
	for (unsigned int i = 0; i < MMIO_SLOTS; i++) {
		struct mmio_slot *s = &slots[i];

		if (atomic_load(&s->state) == SLOT_LIVE && s->shadowed && s->m) {
			mprotect((void *)s->base, s->len, PROT_NONE);
			s->shadowed = false;
		}
	}
	pthread_mutex_unlock(&slots_lock);
}

static void fork_track_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void shadow_drop(struct dev_model *m, unsigned int bar)
{
	if (!m->shadow[bar])
		return;
	munmap(m->shadow[bar], m->shadow_len[bar]);
	close(m->shadow_fd[bar]);
	m->shadow[bar] = NULL;
	m->shadow_fd[bar] = -1;
}

/* The read pages of m, or false if it has none (or they are a fork parent's). */
static bool shadow_live(struct dev_model *m)
{
	bool any = false;

	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++)
		any |= m->shadow[b] != NULL;
	if (!any)
		return false;
	if (m->shadow_fork_gen != dev_fork_gen()) {
		for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++)
			shadow_drop(m, b);
		return false;
	}
	return true;
}

void dev_model_shadow_put_slow(struct dev_model *m, unsigned int bar, uint64_t off,
			       unsigned int size, uint64_t val)
{
	uint8_t *p = m->shadow[bar];

	if (!p || m->shadow_ones || !shadow_live(m) || off >= m->shadow_len[bar] ||
	    size > m->shadow_len[bar] - off)
		return;
	/* a register's bytes at once when aligned: a window's load never sees half of it */
	if (size == 8 && !(off & 7))
		__atomic_store_n((uint64_t *)(p + off), val, __ATOMIC_RELEASE);
	else if (size == 4 && !(off & 3))
		__atomic_store_n((uint32_t *)(p + off), (uint32_t)val, __ATOMIC_RELEASE);
	else if (size == 2 && !(off & 1))
		__atomic_store_n((uint16_t *)(p + off), (uint16_t)val, __ATOMIC_RELEASE);
	else
		for (unsigned int i = 0; i < size; i++)
			__atomic_store_n(p + off + i, (uint8_t)(val >> (8 * i)), __ATOMIC_RELEASE);
}

void dev_model_shadow_sync(struct dev_model *m)
{
	const struct platform_device *d = &m->pdev;
	bool ones;

	if (!shadow_live(m))
		return;
	ones = !pci_cfg_memory_enabled(&m->cfg);
	if (ones) {
		if (!m->shadow_ones)
			for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++)
				if (m->shadow[b])
					memset(m->shadow[b], 0xff, m->shadow_len[b]);
		m->shadow_ones = true;
		return;
	}
	if (m->shadow_ones) {
		for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++)
			if (m->shadow[b])
				memset(m->shadow[b], 0, m->shadow_len[b]);
		m->shadow_ones = false;
	}
	m->type->shadow_render(m);
	for (unsigned int v = 0; v < d->msix_vectors; v++)
		for (unsigned int w = 0; w < 16; w += 4)
			dev_model_shadow_put(m, d->msix_bar, d->msix_table_off + v * 16 + w, 4,
					     le_bytes(m->msix + v * 16 + w, 4));
	for (unsigned int w = 0; w < (d->msix_vectors + 63) / 64; w++)
		dev_model_shadow_put(m, d->msix_bar, d->msix_pba_off + w * 8, 8, m->msix_pba[w]);
}

/*
 * The read pages of bar (made on first use): a memfd of the BAR's size, mapped for the model
 * to write, its fd for windows to map read-only. -1 if the model has no renderer, the BAR is
 * smaller than a page (its window traps everything, so loads beyond the BAR fault) or the
 * memfd cannot be made (the same: windows trap).
 */
static int shadow_fd(struct dev_model *m, unsigned int bar, uint64_t ps)
{
	uint64_t size = m->pdev.bars[bar].size;
	void *p;
	int fd;

	/* a RAM BAR's read pages are its memory: what it reads is what was written */
	if (m->ram_fd[bar] >= 0)
		return read_pages_on() ? m->ram_fd[bar] : -1;
	if (!m->type->shadow_render || size < ps || !read_pages_on())
		return -1;
	pthread_mutex_lock(&m->lock);
	shadow_live(m); /* a fork child drops its parent's */
	if (m->shadow[bar]) {
		fd = m->shadow_fd[bar];
		goto out;
	}
	fd = memfd_create("ioasid-bar", MFD_CLOEXEC);
	if (fd < 0)
		goto out;
	if (ftruncate(fd, (off_t)size) ||
	    (p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		fd = -1;
		goto out;
	}
	m->shadow[bar] = p;
	m->shadow_fd[bar] = fd;
	m->shadow_len[bar] = size;
	m->shadow_fork_gen = dev_fork_gen();
	m->shadow_ones = false;
	dev_model_shadow_sync(m);
out:
	pthread_mutex_unlock(&m->lock);
	return fd;
}

/* ---- mappings ------------------------------------------------------------------------------ */

/*
 * Under slots_lock: a free slot and its window's pages (the read pages of fd at off, read
 * only; with no fd nothing is mapped and every access traps), its place filled in. The
 * caller says what serves it, then publishes it.
 */
static int slot_open(int fd, unsigned int bar, uint64_t off, size_t len, int prot,
		     struct mmio_slot **out)
{
	struct mmio_slot *s = NULL;
	void *p;
	int rc = install_handler();

	if (rc)
		return rc;
	for (unsigned int i = 0; i < MMIO_SLOTS && !s; i++)
		if (atomic_load(&slots[i].state) == SLOT_FREE)
			s = &slots[i];
	if (!s)
		return -ENOMEM;
	if (fd >= 0)
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	else
		p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	s->base = (uintptr_t)p;
	s->len = len;
	s->prot = prot;
	s->shadowed = fd >= 0;
	s->bar = bar;
	s->bar_off = off;
	*out = s;
	return 0;
}

static void slot_publish(struct mmio_slot *s)
{
	atomic_store(&s->state, SLOT_LIVE);
	atomic_fetch_add(&live_windows, 1);
}

int dev_model_bar_mmap(struct dev_model *m, unsigned int bar, uint64_t offset, size_t len, int prot,
		       void **out)
{
	return dev_model_bar_mmap_held(m, bar, offset, len, prot, NULL, NULL, out);
}

int dev_model_bar_mmap_held(struct dev_model *m, unsigned int bar, uint64_t offset, size_t len,
			    int prot, void (*release)(void *), void *arg, void **out)
{
	uint64_t ps = (uint64_t)page_size(), bar_span;
	const struct platform_bar *b;
	struct mmio_slot *s = NULL;
	int rc, fd;

	if (!m || !out || bar >= PLATFORM_NR_BARS || !len || (prot & ~(PROT_READ | PROT_WRITE)))
		return -EINVAL;
	b = &m->pdev.bars[bar];
	if (!b->size || (b->flags & PLATFORM_BAR_IO) || (offset & (ps - 1)))
		return -EINVAL;
	bar_span = (b->size + ps - 1) & ~(ps - 1); /* a BAR smaller than a page takes one */
	len = (size_t)(((uint64_t)len + ps - 1) & ~(ps - 1));
	if (offset >= bar_span || len > bar_span - offset)
		return -EINVAL;
	rc = dev_model_start_async(m);
	if (rc)
		return rc;
	pthread_once(&fork_once, fork_track_init);
	fd = (prot & PROT_READ) ? shadow_fd(m, bar, ps) : -1;
	pthread_mutex_lock(&slots_lock);
	rc = slot_open(fd, bar, offset, len, prot, &s);
	if (!rc) {
		s->m = m;
		s->ops = NULL;
		s->release = release;
		s->rel_arg = arg;
		slot_publish(s);
		*out = (void *)s->base;
	}
	pthread_mutex_unlock(&slots_lock);
	return rc;
}

/* What a retired window held, let go by the caller once slots_lock is dropped. */
struct slot_rel {
	void (*fn)(void *);
	void *arg;
};

static void rels_run(const struct slot_rel *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (r[i].fn)
			r[i].fn(r[i].arg);
}

/*
 * Retire a live slot: no new handler enters, the ones inside leave, the window goes. What
 * it held goes to *rel (its release may take any lock, even close the device: never under
 * slots_lock).
 */
static void slot_retire(struct mmio_slot *s, struct slot_rel *rel)
{
	atomic_store(&s->state, SLOT_DYING);
	while (atomic_load(&s->users))
		sched_yield();
	/* the system call itself: under the shim, munmap is interposed and comes back here */
	syscall(SYS_munmap, s->base, s->len);
	*rel = (struct slot_rel){ s->release, s->rel_arg };
	s->release = NULL;
	s->m = NULL;
	s->ops = NULL;
	atomic_store(&s->state, SLOT_FREE);
	atomic_fetch_sub(&live_windows, 1);
}

int dev_model_windows_forget(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	int n = 0;

	struct slot_rel rel[MMIO_SLOTS];

	if (!atomic_load(&live_windows) || !len || a + len < a)
		return 0;
	pthread_mutex_lock(&slots_lock);
	for (unsigned int i = 0; i < MMIO_SLOTS; i++) {
		struct mmio_slot *s = &slots[i];

		if (atomic_load(&s->state) == SLOT_LIVE && s->base < a + len &&
		    a < s->base + s->len)
			slot_retire(s, &rel[n++]);
	}
	pthread_mutex_unlock(&slots_lock);
	rels_run(rel, (unsigned int)n);
	return n;
}

int dev_model_bar_munmap(struct dev_model *m, void *addr, size_t len)
{
	uint64_t ps = (uint64_t)page_size();
	struct slot_rel rel = { 0 };
	int rc = -EINVAL;

	if (!m || !addr)
		return -EINVAL;
	len = (size_t)(((uint64_t)len + ps - 1) & ~(ps - 1));
	pthread_mutex_lock(&slots_lock);
	for (unsigned int i = 0; i < MMIO_SLOTS; i++) {
		struct mmio_slot *s = &slots[i];

		if (atomic_load(&s->state) == SLOT_LIVE && s->m == m &&
		    s->base == (uintptr_t)addr && s->len == len) {
			slot_retire(s, &rel);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	rels_run(&rel, rc ? 0 : 1);
	return rc;
}

void dev_model_bar_unmap_all(struct dev_model *m)
{
	struct slot_rel rel[MMIO_SLOTS];
	unsigned int n = 0;

	pthread_mutex_lock(&slots_lock);
	for (unsigned int i = 0; i < MMIO_SLOTS; i++)
		if (atomic_load(&slots[i].state) == SLOT_LIVE && slots[i].m == m)
			slot_retire(&slots[i], &rel[n++]);
	pthread_mutex_unlock(&slots_lock);
	rels_run(rel, n);
}

void dev_model_shadow_free(struct dev_model *m)
{
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++)
		shadow_drop(m, b);
}

/* ---- for another process: read pages to share, accesses on behalf of a window -------------- */

int dev_model_bar_shadow_fd(struct dev_model *m, unsigned int bar)
{
	const struct platform_bar *b;

	if (!m || bar >= PLATFORM_NR_BARS)
		return -1;
	b = &m->pdev.bars[bar];
	if (!b->size || (b->flags & PLATFORM_BAR_IO) || dev_model_start_async(m))
		return -1;
	return shadow_fd(m, bar, (uint64_t)page_size());
}

int dev_model_window_access(struct dev_model *m, unsigned int bar, uint64_t off, unsigned int size,
			    uint64_t *val, bool write)
{
	uint64_t out = 0;
	int rc;

	if (!m || bar >= PLATFORM_NR_BARS)
		return -EINVAL;
	rc = dev_model_mmio_access(m, bar, off, size, &out, write ? *val : 0, write);
	if (!rc && !write)
		*val = out;
	return rc;
}

int dev_window_map(const struct dev_window_ops *ops, void *opaque, unsigned int bar,
		   uint64_t bar_off, size_t len, uint64_t bar_size, int prot, int shadow_fd,
		   void **out)
{
	uint64_t ps = (uint64_t)page_size(), span;
	struct mmio_slot *s = NULL;
	int rc;

	if (!ops || !ops->access || !out || !len || bar >= PLATFORM_NR_BARS || !bar_size ||
	    (prot & ~(PROT_READ | PROT_WRITE)) || (bar_off & (ps - 1)))
		return -EINVAL;
	span = (bar_size + ps - 1) & ~(ps - 1);
	len = (size_t)(((uint64_t)len + ps - 1) & ~(ps - 1));
	if (bar_off >= span || len > span - bar_off)
		return -EINVAL;
	if (!(prot & PROT_READ) || bar_size < ps)
		shadow_fd = -1;
	pthread_once(&fork_once, fork_track_init);
	pthread_mutex_lock(&slots_lock);
	rc = slot_open(shadow_fd, bar, bar_off, len, prot, &s);
	if (!rc) {
		s->m = NULL;
		s->ops = ops;
		s->opaque = opaque;
		s->release = ops->release;
		s->rel_arg = opaque;
		slot_publish(s);
		*out = (void *)s->base;
	}
	pthread_mutex_unlock(&slots_lock);
	return rc;
}
