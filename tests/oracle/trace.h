/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace.h - the oracle's canonical trace: one line per call, the same on every kernel that
 * behaves the same.
 *
 * The oracle's programs use only the kernel ABI (<linux/iommufd.h>, <linux/vfio.h> and the
 * selftest's IOMMU_TEST_CMD). Each call they make goes through tr_ioctl(), which prints
 *
 *     <n> <CMD> <inputs> => <ret> <ERRNO> | <outputs>
 *
 * with every input field before the call and every output field after it, whatever the
 * result (a command that writes part of its answer before failing is a behaviour too).
 * Nothing in a line depends on where the process happens to live: user pointers are printed
 * as `region+offset` (regions are registered by name; tr_arena places them at the same
 * alignment on every run), fds by the name they were opened under, and only deliberately bad
 * pointers (tiny values, non-canonical ones) as numbers. IOVAs and object IDs are printed as
 * numbers: the kernel chooses them by fixed rules (lowest free ID, first fitting hole), and a
 * program that depends on those rules must see the same numbers on ioasid.
 *
 * The same source is built static (for the kernel VM) and dynamic (for ioasid-run); the
 * traces of both are compared line by line by scripts/oracle.sh.
 *
 * A line may carry a tag `[doc:NAME]` (tr_doc): a call whose result is known to differ for a
 * reason documented in docs/conformance.md (what userspace cannot do). The comparison
 * accepts a difference only on lines that carry the same tag on both sides.
 */
#ifndef ORACLE_TRACE_H
#define ORACLE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>
#include <linux/vfio.h>

#define TR_PAGE	 4096UL
#define TR_HPAGE (2UL << 20)

/* kinds of memory a region can be */
enum tr_mem_kind {
	TR_ANON_PRIVATE,
	TR_ANON_SHARED,
	TR_MEMFD,
	TR_HUGETLB,
	TR_HUGETLB_SHARED,
	TR_FILE_SHARED,
	TR_FILE_PRIVATE,
	TR_MEM_KINDS,
};

/* Start a named section of the trace (a scenario, a random sequence). */
void tr_begin(const char *name);
void tr_end(void);
/* A free-form line, numbered like calls (for mmap results, reads, fork steps). */
void tr_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The next traced line carries [doc:NAME]; NULL clears it. Sticky until cleared. */
void tr_doc(const char *name);
/* Lines from now on are numbered <call>.<n> (random sequences); -1 goes back to <n>. */
void tr_mark(int call);
/* Mark the section as skipped on this side (a missing resource), with a reason. */
void tr_skip(const char *why);

/* fds by name */
int tr_open_iommu(const char *name);
void tr_fd_name(int fd, const char *name);
void tr_fd_forget(int fd);
int tr_close(int fd);

/* Regions: [base, base + len) printed as name+off. */
void tr_region(const char *name, const void *base, size_t len);
void tr_region_forget(const void *base);

/*
 * The arena: 3 GiB of address space aligned to 1 GiB, so that a region at an offset has the
 * same address alignment on every run. tr_mem maps len bytes of the kind at that offset
 * (MAP_FIXED), fills them with a pattern and registers them; NULL (traced) when the kind is
 * not available. The offsets of the caller's choice must not overlap.
 */
void *tr_mem(const char *name, enum tr_mem_kind kind, uint64_t offset, size_t len);
void tr_mem_free(void *p, size_t len);
void *tr_arena_base(void);

/* A traced ioctl; the arg is described from the command's struct. */
long tr_ioctl(int fd, unsigned long cmd, void *arg);
/* A traced ioctl whose arg pointer is deliberately bad (or an int); not dereferenced. */
long tr_ioctl_raw(int fd, unsigned long cmd, unsigned long arg);

/* errno names, "0" for 0 */
const char *tr_errname(int e);
const char *tr_cmdname(unsigned long cmd);

/* Counters for the coverage report (random.c fills them through tr_ioctl). */
struct tr_cov {
	unsigned long cmd[64];
	unsigned long err[160];
	unsigned long test_op[32];
	unsigned long flag_bits[64][32];
};
extern struct tr_cov tr_cov;
int tr_cmd_index(unsigned long cmd);
const char *tr_cmd_index_name(int i);
void tr_cov_print(void);

/* FNV-1a, for printing the content of buffers compactly */
uint64_t tr_hash(const void *p, size_t len);
void tr_fill(void *p, size_t len, uint32_t seed);

#endif
