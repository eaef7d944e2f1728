/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace.c - the oracle's trace writer: names for fds and regions, the arena that gives every
 * run the same address alignment, and tr_ioctl, which prints one canonical line per call.
 *
 * Each command is described by a table of its struct's fields (name, offset, width, whether
 * the kernel reads it, writes it or both, and how to print it); arrays and buffers behind
 * pointers (IOVA ranges, dirty bitmaps, hardware info, the VFIO capability chain) have small
 * printers of their own. Only pointers into registered regions or into the caller's own
 * buffers passed with tr_buf are followed: a deliberately bad pointer is printed, never read.
 *
 * Output goes through stdio with a flush after every line, so a forked child's lines and its
 * parent's come out in the order they were made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"

struct tr_cov tr_cov;

static int seq;
static int mark = -1;
static const char *doc_tag;
static const char *section;

/* ---- names ---------------------------------------------------------------------------- */

#define MAX_FDS	    64
#define MAX_REGIONS 64

static struct {
	int fd;
	char name[32];
} fds[MAX_FDS];

static struct {
	uintptr_t base;
	size_t len;
	char name[32];
} regions[MAX_REGIONS];

void tr_fd_name(int fd, const char *name)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (fds[i].name[0] && fds[i].fd == fd) {
			snprintf(fds[i].name, sizeof(fds[i].name), "%s", name);
			return;
		}
	for (int i = 0; i < MAX_FDS; i++)
		if (!fds[i].name[0]) {
			fds[i].fd = fd;
			snprintf(fds[i].name, sizeof(fds[i].name), "%s", name);
			return;
		}
}

void tr_fd_forget(int fd)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (fds[i].name[0] && fds[i].fd == fd)
			fds[i].name[0] = 0;
}

static const char *fd_str(int fd, char *buf, size_t n)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (fds[i].name[0] && fds[i].fd == fd)
			return fds[i].name;
	/* an fd the program never named: a number it cannot depend on */
	snprintf(buf, n, fd <= 0 ? "%d" : "fd?", fd);
	return buf;
}

void tr_region(const char *name, const void *base, size_t len)
{
	tr_region_forget(base);
	for (int i = 0; i < MAX_REGIONS; i++)
		if (!regions[i].len) {
			regions[i].base = (uintptr_t)base;
			regions[i].len = len;
			snprintf(regions[i].name, sizeof(regions[i].name), "%s", name);
			return;
		}
}

void tr_region_forget(const void *base)
{
	for (int i = 0; i < MAX_REGIONS; i++)
		if (regions[i].len && regions[i].base == (uintptr_t)base)
			regions[i].len = 0;
}

/* The region holding [p, p + len), or -1. */
static int region_of(uint64_t p, uint64_t len)
{
	for (int i = 0; i < MAX_REGIONS; i++)
		if (regions[i].len && p >= regions[i].base &&
		    p - regions[i].base <= regions[i].len &&
		    len <= regions[i].len - (p - regions[i].base))
			return i;
	return -1;
}

/*
 * A user pointer, printed so that it does not depend on where things live: name+offset
 * within (or just past) a region; NULL; small and non-canonical values as they are (the
 * program chose them); anything else as "?" (a pointer the program did not register).
 */
static const char *ptr_str(uint64_t p, char *buf, size_t n)
{
	for (int i = 0; i < MAX_REGIONS; i++)
		if (regions[i].len && p >= regions[i].base &&
		    p - regions[i].base <= regions[i].len) {
			snprintf(buf, n, "%s+%#llx", regions[i].name,
				 (unsigned long long)(p - regions[i].base));
			return buf;
		}
	if (p < 0x100000 || p >= 0x800000000000ULL)
		snprintf(buf, n, "%#llx", (unsigned long long)p);
	else
		snprintf(buf, n, "?");
	return buf;
}

/* ---- output ---------------------------------------------------------------------------- */

static char line[16384];
static size_t line_len;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (line_len >= sizeof(line) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + line_len, sizeof(line) - line_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		line_len += (size_t)n;
	if (line_len > sizeof(line) - 1)
		line_len = sizeof(line) - 1;
}

static void flush_line(void)
{
	if (doc_tag)
		put(" [doc:%s]", doc_tag);
	fwrite(line, 1, line_len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	line_len = 0;
}

void tr_begin(const char *name)
{
	section = name;
	seq = 0;
	mark = -1;
	doc_tag = NULL;
	printf("@@ BEGIN %s\n", name);
	fflush(stdout);
}

void tr_end(void)
{
	printf("@@ END %s\n", section ? section : "?");
	fflush(stdout);
	doc_tag = NULL;
}

void tr_skip(const char *why)
{
	printf("@@ SKIP %s\n", why);
	fflush(stdout);
}

void tr_doc(const char *name)
{
	doc_tag = name;
}

void tr_mark(int call)
{
	mark = call;
	seq = 0;
}

/* the line's number: "<n>", or "<call>.<n>" inside a random sequence's call */
static void put_seq(void)
{
	if (mark >= 0)
		put("%d.%d ", mark, ++seq);
	else
		put("%d ", ++seq);
}

void tr_note(const char *fmt, ...)
{
	va_list ap;

	put_seq();
	va_start(ap, fmt);
	line_len += (size_t)vsnprintf(line + line_len, sizeof(line) - line_len - 64, fmt, ap);
	va_end(ap);
	flush_line();
}

/* ---- errno and command names ---------------------------------------------------------- */

const char *tr_errname(int e)
{
	static char buf[16];
	const char *n;

	if (!e)
		return "0";
	n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static const struct {
	unsigned long cmd;
	const char *name;
} cmd_names[] = {
	{ IOMMU_DESTROY, "DESTROY" },
	{ IOMMU_IOAS_ALLOC, "IOAS_ALLOC" },
	{ IOMMU_IOAS_ALLOW_IOVAS, "IOAS_ALLOW_IOVAS" },
	{ IOMMU_IOAS_COPY, "IOAS_COPY" },
	{ IOMMU_IOAS_IOVA_RANGES, "IOAS_IOVA_RANGES" },
	{ IOMMU_IOAS_MAP, "IOAS_MAP" },
	{ IOMMU_IOAS_UNMAP, "IOAS_UNMAP" },
	{ IOMMU_OPTION, "OPTION" },
	{ IOMMU_VFIO_IOAS, "VFIO_IOAS" },
	{ IOMMU_HWPT_ALLOC, "HWPT_ALLOC" },
	{ IOMMU_GET_HW_INFO, "GET_HW_INFO" },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING, "HWPT_SET_DIRTY_TRACKING" },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP, "HWPT_GET_DIRTY_BITMAP" },
	{ IOMMU_HWPT_INVALIDATE, "HWPT_INVALIDATE" },
	{ IOMMU_FAULT_QUEUE_ALLOC, "FAULT_QUEUE_ALLOC" },
	{ IOMMU_IOAS_MAP_FILE, "IOAS_MAP_FILE" },
	{ IOMMU_VIOMMU_ALLOC, "VIOMMU_ALLOC" },
	{ IOMMU_VDEVICE_ALLOC, "VDEVICE_ALLOC" },
	{ IOMMU_IOAS_CHANGE_PROCESS, "IOAS_CHANGE_PROCESS" },
	{ IOMMU_VEVENTQ_ALLOC, "VEVENTQ_ALLOC" },
	{ IOMMU_TEST_CMD, "TEST_CMD" },
	{ VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION" },
	{ VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION" },
	{ VFIO_SET_IOMMU, "VFIO_SET_IOMMU" },
	{ VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO" },
	{ VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA" },
	{ VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA" },
	{ VFIO_IOMMU_DIRTY_PAGES, "VFIO_IOMMU_DIRTY_PAGES" },
	{ VFIO_IOMMU_ENABLE, "VFIO_IOMMU_ENABLE" },
};

#define NCMDS (int)(sizeof(cmd_names) / sizeof(cmd_names[0]))

int tr_cmd_index(unsigned long cmd)
{
	for (int i = 0; i < NCMDS; i++)
		if (cmd_names[i].cmd == cmd)
			return i;
	return NCMDS;
}

const char *tr_cmd_index_name(int i)
{
	return i < NCMDS ? cmd_names[i].name : (i == NCMDS ? "other" : NULL);
}

const char *tr_cmdname(unsigned long cmd)
{
	static char buf[32];
	int i = tr_cmd_index(cmd);

	if (i < NCMDS)
		return cmd_names[i].name;
	snprintf(buf, sizeof(buf), "ioctl(%#lx)", cmd);
	return buf;
}

static const char *const test_op_names[] = {
	[IOMMU_TEST_OP_ADD_RESERVED] = "ADD_RESERVED",
	[IOMMU_TEST_OP_MOCK_DOMAIN] = "MOCK_DOMAIN",
	[IOMMU_TEST_OP_MD_CHECK_MAP] = "MD_CHECK_MAP",
	[IOMMU_TEST_OP_MD_CHECK_REFS] = "MD_CHECK_REFS",
	[IOMMU_TEST_OP_CREATE_ACCESS] = "CREATE_ACCESS",
	[IOMMU_TEST_OP_DESTROY_ACCESS_PAGES] = "DESTROY_ACCESS_PAGES",
	[IOMMU_TEST_OP_ACCESS_PAGES] = "ACCESS_PAGES",
	[IOMMU_TEST_OP_ACCESS_RW] = "ACCESS_RW",
	[IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT] = "SET_TEMP_MEMORY_LIMIT",
	[IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE] = "MOCK_DOMAIN_REPLACE",
	[IOMMU_TEST_OP_ACCESS_REPLACE_IOAS] = "ACCESS_REPLACE_IOAS",
	[IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS] = "MOCK_DOMAIN_FLAGS",
	[IOMMU_TEST_OP_DIRTY] = "DIRTY",
	[IOMMU_TEST_OP_MD_CHECK_IOTLB] = "MD_CHECK_IOTLB",
	[IOMMU_TEST_OP_TRIGGER_IOPF] = "TRIGGER_IOPF",
};

/* ---- struct descriptions --------------------------------------------------------------- */

enum { IN = 1, OUT = 2, INOUT = 3 };
enum { DEC, HEX, PTR, FD };

struct field {
	const char *name;
	unsigned short off;
	unsigned char width; /* bytes: 1, 2, 4, 8 */
	unsigned char dir;
	unsigned char kind;
};

#define F(s, m, d, k)                                                       \
	{                                                                   \
#m, offsetof(struct s, m), sizeof(((struct s *)0)->m), d, k \
	}
#define END_FIELDS               \
	{                        \
		NULL, 0, 0, 0, 0 \
	}

static const struct field f_destroy[] = { F(iommu_destroy, size, IN, DEC),
					  F(iommu_destroy, id, IN, DEC), END_FIELDS };
static const struct field f_ioas_alloc[] = { F(iommu_ioas_alloc, size, IN, DEC),
					     F(iommu_ioas_alloc, flags, IN, HEX),
					     F(iommu_ioas_alloc, out_ioas_id, OUT, DEC),
					     END_FIELDS };
static const struct field f_ranges[] = { F(iommu_ioas_iova_ranges, size, IN, DEC),
					 F(iommu_ioas_iova_ranges, ioas_id, IN, DEC),
					 F(iommu_ioas_iova_ranges, num_iovas, INOUT, DEC),
					 F(iommu_ioas_iova_ranges, __reserved, IN, HEX),
					 F(iommu_ioas_iova_ranges, allowed_iovas, IN, PTR),
					 F(iommu_ioas_iova_ranges, out_iova_alignment, OUT, HEX),
					 END_FIELDS };
static const struct field f_allow[] = { F(iommu_ioas_allow_iovas, size, IN, DEC),
					F(iommu_ioas_allow_iovas, ioas_id, IN, DEC),
					F(iommu_ioas_allow_iovas, num_iovas, IN, DEC),
					F(iommu_ioas_allow_iovas, __reserved, IN, HEX),
					F(iommu_ioas_allow_iovas, allowed_iovas, IN, PTR),
					END_FIELDS };
static const struct field f_map[] = {
	F(iommu_ioas_map, size, IN, DEC),    F(iommu_ioas_map, flags, IN, HEX),
	F(iommu_ioas_map, ioas_id, IN, DEC), F(iommu_ioas_map, __reserved, IN, HEX),
	F(iommu_ioas_map, user_va, IN, PTR), F(iommu_ioas_map, length, IN, HEX),
	F(iommu_ioas_map, iova, INOUT, HEX), END_FIELDS
};
static const struct field f_map_file[] = {
	F(iommu_ioas_map_file, size, IN, DEC),	  F(iommu_ioas_map_file, flags, IN, HEX),
	F(iommu_ioas_map_file, ioas_id, IN, DEC), F(iommu_ioas_map_file, fd, IN, FD),
	F(iommu_ioas_map_file, start, IN, HEX),	  F(iommu_ioas_map_file, length, IN, HEX),
	F(iommu_ioas_map_file, iova, INOUT, HEX), END_FIELDS
};
static const struct field f_copy[] = {
	F(iommu_ioas_copy, size, IN, DEC),	  F(iommu_ioas_copy, flags, IN, HEX),
	F(iommu_ioas_copy, dst_ioas_id, IN, DEC), F(iommu_ioas_copy, src_ioas_id, IN, DEC),
	F(iommu_ioas_copy, length, IN, HEX),	  F(iommu_ioas_copy, dst_iova, INOUT, HEX),
	F(iommu_ioas_copy, src_iova, IN, HEX),	  END_FIELDS
};
static const struct field f_unmap[] = { F(iommu_ioas_unmap, size, IN, DEC),
					F(iommu_ioas_unmap, ioas_id, IN, DEC),
					F(iommu_ioas_unmap, iova, IN, HEX),
					F(iommu_ioas_unmap, length, INOUT, HEX), END_FIELDS };
static const struct field f_option[] = { F(iommu_option, size, IN, DEC),
					 F(iommu_option, option_id, IN, DEC),
					 F(iommu_option, op, IN, DEC),
					 F(iommu_option, __reserved, IN, HEX),
					 F(iommu_option, object_id, IN, DEC),
					 F(iommu_option, val64, INOUT, HEX),
					 END_FIELDS };
static const struct field f_vfio_ioas[] = { F(iommu_vfio_ioas, size, IN, DEC),
					    F(iommu_vfio_ioas, ioas_id, INOUT, DEC),
					    F(iommu_vfio_ioas, op, IN, DEC),
					    F(iommu_vfio_ioas, __reserved, IN, HEX), END_FIELDS };
static const struct field f_hwpt_alloc[] = {
	F(iommu_hwpt_alloc, size, IN, DEC),	    F(iommu_hwpt_alloc, flags, IN, HEX),
	F(iommu_hwpt_alloc, dev_id, IN, DEC),	    F(iommu_hwpt_alloc, pt_id, IN, DEC),
	F(iommu_hwpt_alloc, out_hwpt_id, OUT, DEC), F(iommu_hwpt_alloc, __reserved, IN, HEX),
	F(iommu_hwpt_alloc, data_type, IN, DEC),    F(iommu_hwpt_alloc, data_len, IN, DEC),
	F(iommu_hwpt_alloc, data_uptr, IN, PTR),    F(iommu_hwpt_alloc, fault_id, IN, DEC),
	F(iommu_hwpt_alloc, __reserved2, IN, HEX),  END_FIELDS
};
static const struct field f_hw_info[] = { F(iommu_hw_info, size, IN, DEC),
					  F(iommu_hw_info, flags, IN, HEX),
					  F(iommu_hw_info, dev_id, IN, DEC),
					  F(iommu_hw_info, data_len, INOUT, DEC),
					  F(iommu_hw_info, data_uptr, IN, PTR),
					  F(iommu_hw_info, out_data_type, INOUT, DEC),
					  F(iommu_hw_info, out_max_pasid_log2, OUT, DEC),
					  F(iommu_hw_info, out_capabilities, OUT, HEX),
					  END_FIELDS };
static const struct field f_set_dirty[] = { F(iommu_hwpt_set_dirty_tracking, size, IN, DEC),
					    F(iommu_hwpt_set_dirty_tracking, flags, IN, HEX),
					    F(iommu_hwpt_set_dirty_tracking, hwpt_id, IN, DEC),
					    F(iommu_hwpt_set_dirty_tracking, __reserved, IN, HEX),
					    END_FIELDS };
static const struct field f_get_dirty[] = { F(iommu_hwpt_get_dirty_bitmap, size, IN, DEC),
					    F(iommu_hwpt_get_dirty_bitmap, hwpt_id, IN, DEC),
					    F(iommu_hwpt_get_dirty_bitmap, flags, IN, HEX),
					    F(iommu_hwpt_get_dirty_bitmap, __reserved, IN, HEX),
					    F(iommu_hwpt_get_dirty_bitmap, iova, IN, HEX),
					    F(iommu_hwpt_get_dirty_bitmap, length, IN, HEX),
					    F(iommu_hwpt_get_dirty_bitmap, page_size, IN, HEX),
					    F(iommu_hwpt_get_dirty_bitmap, data, IN, PTR),
					    END_FIELDS };
static const struct field f_size_only[] = { { "size", 0, 4, IN, DEC }, END_FIELDS };
static const struct field f_test_head[] = { F(iommu_test_cmd, size, IN, DEC),
					    F(iommu_test_cmd, op, IN, DEC),
					    F(iommu_test_cmd, __reserved, IN, HEX), END_FIELDS };
static const struct field f_vfio_map[] = {
	F(vfio_iommu_type1_dma_map, argsz, IN, DEC), F(vfio_iommu_type1_dma_map, flags, IN, HEX),
	F(vfio_iommu_type1_dma_map, vaddr, IN, PTR), F(vfio_iommu_type1_dma_map, iova, IN, HEX),
	F(vfio_iommu_type1_dma_map, size, IN, HEX),  END_FIELDS
};
static const struct field f_vfio_unmap[] = { F(vfio_iommu_type1_dma_unmap, argsz, IN, DEC),
					     F(vfio_iommu_type1_dma_unmap, flags, INOUT, HEX),
					     F(vfio_iommu_type1_dma_unmap, iova, IN, HEX),
					     F(vfio_iommu_type1_dma_unmap, size, INOUT, HEX),
					     END_FIELDS };
static const struct field f_vfio_info[] = { F(vfio_iommu_type1_info, argsz, INOUT, DEC),
					    F(vfio_iommu_type1_info, flags, INOUT, HEX),
					    F(vfio_iommu_type1_info, iova_pgsizes, INOUT, HEX),
					    F(vfio_iommu_type1_info, cap_offset, INOUT, DEC),
					    END_FIELDS };

#define TF(m, d, k)                                                                              \
	{                                                                                        \
#m, offsetof(struct iommu_test_cmd, m), sizeof(((struct iommu_test_cmd *)0)->m), \
			d, k                                                                     \
	}
static const struct field t_add_reserved[] = { TF(add_reserved.start, IN, HEX),
					       TF(add_reserved.length, IN, HEX), END_FIELDS };
static const struct field t_mock_domain[] = { TF(mock_domain.out_stdev_id, OUT, DEC),
					      TF(mock_domain.out_hwpt_id, OUT, DEC),
					      TF(mock_domain.out_idev_id, OUT, DEC), END_FIELDS };
static const struct field t_mock_flags[] = { TF(mock_domain_flags.out_stdev_id, OUT, DEC),
					     TF(mock_domain_flags.out_hwpt_id, OUT, DEC),
					     TF(mock_domain_flags.out_idev_id, OUT, DEC),
					     TF(mock_domain_flags.dev_flags, IN, HEX), END_FIELDS };
static const struct field t_replace[] = { TF(mock_domain_replace.pt_id, INOUT, DEC), END_FIELDS };
static const struct field t_check_map[] = { TF(check_map.iova, IN, HEX),
					    TF(check_map.length, IN, HEX),
					    TF(check_map.uptr, IN, PTR), END_FIELDS };
static const struct field t_check_refs[] = { TF(check_refs.length, IN, HEX),
					     TF(check_refs.uptr, IN, PTR),
					     TF(check_refs.refs, IN, DEC), END_FIELDS };
static const struct field t_create_access[] = { TF(create_access.out_access_fd, OUT, FD),
						TF(create_access.flags, IN, HEX), END_FIELDS };
static const struct field t_destroy_pages[] = { TF(destroy_access_pages.access_pages_id, IN, DEC),
						END_FIELDS };
static const struct field t_access_pages[] = {
	TF(access_pages.flags, IN, HEX), TF(access_pages.out_access_pages_id, OUT, DEC),
	TF(access_pages.iova, IN, HEX),	 TF(access_pages.length, IN, HEX),
	TF(access_pages.uptr, IN, PTR),	 END_FIELDS
};
static const struct field t_access_rw[] = { TF(access_rw.iova, IN, HEX),
					    TF(access_rw.length, IN, HEX),
					    TF(access_rw.uptr, IN, PTR),
					    TF(access_rw.flags, IN, HEX), END_FIELDS };
static const struct field t_limit[] = { TF(memory_limit.limit, IN, DEC), END_FIELDS };
static const struct field t_access_replace[] = { TF(access_replace_ioas.ioas_id, IN, DEC),
						 END_FIELDS };
static const struct field t_dirty[] = { TF(dirty.flags, IN, HEX),
					TF(dirty.iova, IN, HEX),
					TF(dirty.length, IN, HEX),
					TF(dirty.page_size, IN, HEX),
					TF(dirty.uptr, IN, PTR),
					TF(dirty.out_nr_dirty, OUT, DEC),
					END_FIELDS };

static uint64_t get_field(const void *arg, const struct field *f)
{
	const unsigned char *p = (const unsigned char *)arg + f->off;

	switch (f->width) {
	case 1:
		return *p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

static void put_fields(const struct field *fl, const void *arg, int dir)
{
	char buf[64];

	for (; fl && fl->name; fl++) {
		uint64_t v;

		if (!(fl->dir & dir))
			continue;
		v = get_field(arg, fl);
		switch (fl->kind) {
		case DEC:
			put(" %s=%llu", fl->name, (unsigned long long)v);
			break;
		case HEX:
			put(" %s=%#llx", fl->name, (unsigned long long)v);
			break;
		case PTR:
			put(" %s=%s", fl->name, ptr_str(v, buf, sizeof(buf)));
			break;
		case FD:
			put(" %s=%s", fl->name, fd_str((int)v, buf, sizeof(buf)));
			break;
		}
	}
}

static const struct field *fields_of(unsigned long cmd)
{
	switch (cmd) {
	case IOMMU_DESTROY:
		return f_destroy;
	case IOMMU_IOAS_ALLOC:
		return f_ioas_alloc;
	case IOMMU_IOAS_IOVA_RANGES:
		return f_ranges;
	case IOMMU_IOAS_ALLOW_IOVAS:
		return f_allow;
	case IOMMU_IOAS_MAP:
		return f_map;
	case IOMMU_IOAS_MAP_FILE:
		return f_map_file;
	case IOMMU_IOAS_COPY:
		return f_copy;
	case IOMMU_IOAS_UNMAP:
		return f_unmap;
	case IOMMU_OPTION:
		return f_option;
	case IOMMU_VFIO_IOAS:
		return f_vfio_ioas;
	case IOMMU_HWPT_ALLOC:
		return f_hwpt_alloc;
	case IOMMU_GET_HW_INFO:
		return f_hw_info;
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		return f_set_dirty;
	case IOMMU_HWPT_GET_DIRTY_BITMAP:
		return f_get_dirty;
	case IOMMU_TEST_CMD:
		return f_test_head;
	case VFIO_IOMMU_MAP_DMA:
		return f_vfio_map;
	case VFIO_IOMMU_UNMAP_DMA:
		return f_vfio_unmap;
	case VFIO_IOMMU_GET_INFO:
		return f_vfio_info;
	default:
		return f_size_only;
	}
}

static const struct field *test_fields(uint32_t op)
{
	switch (op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return t_add_reserved;
	case IOMMU_TEST_OP_MOCK_DOMAIN:
		return t_mock_domain;
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return t_mock_flags;
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return t_replace;
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return t_check_map;
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return t_check_refs;
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return t_create_access;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return t_destroy_pages;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return t_access_pages;
	case IOMMU_TEST_OP_ACCESS_RW:
		return t_access_rw;
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return t_limit;
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return t_access_replace;
	case IOMMU_TEST_OP_DIRTY:
		return t_dirty;
	default:
		return NULL;
	}
}

/* ---- buffers behind pointers ------------------------------------------------------------ */

static void put_ranges(const char *what, uint64_t uptr, uint64_t n)
{
	const struct iommu_iova_range *r = (const void *)(uintptr_t)uptr;

	if (n > 16)
		n = 16;
	if (!n || region_of(uptr, n * sizeof(*r)) < 0)
		return;
	put(" %s={", what);
	for (uint64_t i = 0; i < n; i++)
		put("%s[%#llx,%#llx]", i ? "," : "", (unsigned long long)r[i].start,
		    (unsigned long long)r[i].last);
	put("}");
}

static void put_bytes(const char *what, uint64_t uptr, uint64_t len)
{
	const unsigned char *p = (const void *)(uintptr_t)uptr;

	if (!len || region_of(uptr, len) < 0)
		return;
	if (len > 64) {
		put(" %s=hash:%016llx", what, (unsigned long long)tr_hash(p, len));
		return;
	}
	put(" %s=", what);
	for (uint64_t i = 0; i < len; i++)
		put("%02x", p[i]);
}

static void put_vfio_caps(const struct vfio_iommu_type1_info *info)
{
	const unsigned char *base = (const void *)info;
	uint32_t off = info->cap_offset, n = 0;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || region_of((uintptr_t)info, info->argsz) < 0)
		return;
	while (off && n++ < 8) {
		const struct vfio_info_cap_header *h;

		if (off + sizeof(*h) > info->argsz) {
			put(" cap@%u=beyond-argsz", off);
			return;
		}
		h = (const void *)(base + off);
		put(" cap{id=%u,ver=%u", h->id, h->version);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= info->argsz) {
			const struct vfio_iommu_type1_info_cap_iova_range *c = (const void *)h;

			put(",nr=%u", c->nr_iovas);
			for (uint32_t i = 0;
			     i < c->nr_iovas && i < 8 &&
			     off + sizeof(*c) + (i + 1) * sizeof(c->iova_ranges[0]) <= info->argsz;
			     i++)
				put(",[%#llx,%#llx]", (unsigned long long)c->iova_ranges[i].start,
				    (unsigned long long)c->iova_ranges[i].end);
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			const struct vfio_iommu_type1_info_dma_avail *c = (const void *)h;

			put(",avail=%u", c->avail);
		}
		put("}");
		off = h->next;
	}
}

static void put_extra(unsigned long cmd, const void *arg, int dir)
{
	if (cmd == IOMMU_IOAS_ALLOW_IOVAS && dir == IN) {
		const struct iommu_ioas_allow_iovas *a = arg;

		put_ranges("ranges", a->allowed_iovas, a->num_iovas);
	} else if (cmd == IOMMU_IOAS_IOVA_RANGES && dir == OUT) {
		const struct iommu_ioas_iova_ranges *a = arg;

		put_ranges("ranges", a->allowed_iovas, a->num_iovas);
	} else if (cmd == IOMMU_HWPT_GET_DIRTY_BITMAP && dir == OUT) {
		const struct iommu_hwpt_get_dirty_bitmap *a = arg;
		uint64_t bits = a->page_size ? a->length / a->page_size : 0;

		if (bits < (1ULL << 32))
			put_bytes("bitmap", a->data, ((bits + 63) / 64) * 8);
	} else if (cmd == IOMMU_GET_HW_INFO && dir == OUT) {
		const struct iommu_hw_info *a = arg;

		put_bytes("data", a->data_uptr, a->data_len < 64 ? a->data_len : 64);
	} else if (cmd == VFIO_IOMMU_GET_INFO && dir == OUT) {
		put_vfio_caps(arg);
	} else if (cmd == IOMMU_TEST_CMD && dir == OUT) {
		const struct iommu_test_cmd *t = arg;

		if (t->op == IOMMU_TEST_OP_ACCESS_RW &&
		    !(t->access_rw.flags & MOCK_ACCESS_RW_WRITE))
			put_bytes("read", t->access_rw.uptr, t->access_rw.length);
	}
}

static void describe(unsigned long cmd, const void *arg, int dir)
{
	put_fields(fields_of(cmd), arg, dir);
	if (cmd == IOMMU_TEST_CMD) {
		const struct iommu_test_cmd *t = arg;
		bool by_fd = t->op == IOMMU_TEST_OP_ACCESS_PAGES ||
			     t->op == IOMMU_TEST_OP_DESTROY_ACCESS_PAGES ||
			     t->op == IOMMU_TEST_OP_ACCESS_RW ||
			     t->op == IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
		char buf[32];

		/* the access ops name the access by its fd, whose number is the process's */
		if (dir == IN && by_fd)
			put(" id=%s", fd_str((int)t->id, buf, sizeof(buf)));
		else if (dir == IN)
			put(" id=%u", t->id);
		if (dir == IN)
			put(" (%s)", t->op < sizeof(test_op_names) / sizeof(test_op_names[0]) &&
						     test_op_names[t->op] ?
					     test_op_names[t->op] :
					     "?");
		put_fields(test_fields(t->op), arg, dir);
	}
	put_extra(cmd, arg, dir);
}

static void count(unsigned long cmd, const void *arg, int err)
{
	int i = tr_cmd_index(cmd);
	uint32_t flags = 0;

	tr_cov.cmd[i]++;
	tr_cov.err[err < 160 ? err : 159]++;
	if (!arg)
		return;
	switch (cmd) {
	case IOMMU_IOAS_MAP:
		flags = ((const struct iommu_ioas_map *)arg)->flags;
		break;
	case IOMMU_IOAS_COPY:
		flags = ((const struct iommu_ioas_copy *)arg)->flags;
		break;
	case IOMMU_HWPT_ALLOC:
		flags = ((const struct iommu_hwpt_alloc *)arg)->flags;
		break;
	case IOMMU_HWPT_GET_DIRTY_BITMAP:
		flags = ((const struct iommu_hwpt_get_dirty_bitmap *)arg)->flags;
		break;
	case IOMMU_HWPT_SET_DIRTY_TRACKING:
		flags = ((const struct iommu_hwpt_set_dirty_tracking *)arg)->flags;
		break;
	case IOMMU_TEST_CMD: {
		const struct iommu_test_cmd *t = arg;

		if (t->op < 32)
			tr_cov.test_op[t->op]++;
		if (t->op == IOMMU_TEST_OP_CREATE_ACCESS)
			flags = t->create_access.flags;
		else if (t->op == IOMMU_TEST_OP_ACCESS_RW)
			flags = t->access_rw.flags;
		else if (t->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
			flags = t->mock_domain_flags.dev_flags;
		break;
	}
	case VFIO_IOMMU_UNMAP_DMA:
		flags = ((const struct vfio_iommu_type1_dma_unmap *)arg)->flags;
		break;
	case VFIO_IOMMU_MAP_DMA:
		flags = ((const struct vfio_iommu_type1_dma_map *)arg)->flags;
		break;
	}
	for (int b = 0; b < 32; b++)
		if (flags & (1U << b))
			tr_cov.flag_bits[i][b]++;
}

static size_t arg_size(unsigned long cmd)
{
	switch (cmd) {
	case VFIO_IOMMU_MAP_DMA:
		return sizeof(struct vfio_iommu_type1_dma_map);
	case VFIO_IOMMU_UNMAP_DMA:
		return sizeof(struct vfio_iommu_type1_dma_unmap);
	case VFIO_IOMMU_GET_INFO:
		return sizeof(struct vfio_iommu_type1_info);
	default:
		return 8;
	}
}

long tr_ioctl(int fd, unsigned long cmd, void *arg)
{
	char buf[64];
	long rc;
	int err;

	(void)arg_size;
	put_seq();
	put("%s %s", tr_cmdname(cmd), fd_str(fd, buf, sizeof(buf)));
	describe(cmd, arg, IN);
	errno = 0;
	rc = ioctl(fd, cmd, arg);
	err = rc < 0 ? errno : 0;
	put(" => %ld %s |", rc, tr_errname(err));
	describe(cmd, arg, OUT);
	count(cmd, arg, err);
	flush_line();
	errno = err;
	return rc;
}

long tr_ioctl_raw(int fd, unsigned long cmd, unsigned long arg)
{
	char buf[64], pbuf[64];
	long rc;
	int err;

	put_seq();
	put("%s %s arg=%s", tr_cmdname(cmd), fd_str(fd, buf, sizeof(buf)),
	    ptr_str(arg, pbuf, sizeof(pbuf)));
	errno = 0;
	rc = ioctl(fd, cmd, arg);
	err = rc < 0 ? errno : 0;
	put(" => %ld %s", rc, tr_errname(err));
	count(cmd, NULL, err);
	flush_line();
	errno = err;
	return rc;
}

/* ---- fds and memory ---------------------------------------------------------------------- */

int tr_open_iommu(const char *name)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	tr_note("open /dev/iommu as %s => %s", name, fd < 0 ? tr_errname(errno) : "ok");
	if (fd >= 0)
		tr_fd_name(fd, name);
	return fd;
}

int tr_close(int fd)
{
	char buf[64];
	int rc;

	put_seq();
	put("close %s", fd_str(fd, buf, sizeof(buf)));
	rc = close(fd);
	put(" => %d %s", rc, tr_errname(rc < 0 ? errno : 0));
	flush_line();
	tr_fd_forget(fd);
	return rc;
}

static uintptr_t arena;
#define ARENA_ALIGN (1UL << 30)
#define ARENA_SIZE  (2UL << 30)

void *tr_arena_base(void)
{
	if (!arena) {
		void *p = mmap(NULL, ARENA_SIZE + ARENA_ALIGN, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			perror("oracle: arena");
			exit(2);
		}
		arena = ((uintptr_t)p + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	}
	return (void *)arena;
}

static const char *const kind_names[] = { "anon-private",   "anon-shared", "memfd",	  "hugetlb",
					  "hugetlb-shared", "file-shared", "file-private" };

void *tr_mem(const char *name, enum tr_mem_kind kind, uint64_t offset, size_t len)
{
	void *want = (char *)tr_arena_base() + offset;
	int fd = -1, flags = MAP_FIXED, err = 0;
	void *p = MAP_FAILED;
	char path[64];

	switch (kind) {
	case TR_ANON_PRIVATE:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case TR_ANON_SHARED:
		flags |= MAP_SHARED | MAP_ANONYMOUS;
		break;
	case TR_HUGETLB:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE;
		break;
	case TR_HUGETLB_SHARED:
		flags |= MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE;
		break;
	case TR_MEMFD:
		fd = memfd_create(name, 0);
		flags |= MAP_SHARED;
		break;
	case TR_FILE_SHARED:
	case TR_FILE_PRIVATE:
		snprintf(path, sizeof(path), "/tmp/oracle-%d-%s", (int)getpid(), name);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			unlink(path);
		flags |= kind == TR_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
		break;
	default:
		return NULL;
	}
	if ((kind == TR_MEMFD || kind == TR_FILE_SHARED || kind == TR_FILE_PRIVATE) &&
	    (fd < 0 || ftruncate(fd, (off_t)len))) {
		err = errno;
	} else {
		p = mmap(want, len, PROT_READ | PROT_WRITE, flags, fd, 0);
		if (p == MAP_FAILED)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	tr_note("mmap %s %s len=%#zx at arena+%#llx => %s", name, kind_names[kind], len,
		(unsigned long long)offset, err ? tr_errname(err) : "ok");
	if (err) {
		/* put the reservation back so later regions still land where they should */
		mmap(want, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		     -1, 0);
		return NULL;
	}
	tr_fill(p, len, (uint32_t)offset ^ (uint32_t)kind);
	tr_region(name, p, len);
	return p;
}

void tr_mem_free(void *p, size_t len)
{
	tr_region_forget(p);
	mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

uint64_t tr_hash(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

void tr_fill(void *p, size_t len, uint32_t seed)
{
	uint32_t *w = p;
	uint32_t x = seed * 2654435761U + 1;

	for (size_t i = 0; i < len / 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		w[i] = x;
	}
}

void tr_cov_print(void)
{
	for (int i = 0; i <= NCMDS; i++)
		if (tr_cov.cmd[i])
			printf("@@ COV cmd %s %lu\n", tr_cmd_index_name(i), tr_cov.cmd[i]);
	for (int i = 0; i <= NCMDS; i++)
		for (int b = 0; b < 32; b++)
			if (tr_cov.flag_bits[i][b])
				printf("@@ COV flag %s bit%d %lu\n", tr_cmd_index_name(i), b,
				       tr_cov.flag_bits[i][b]);
	for (int o = 0; o < 32; o++)
		if (tr_cov.test_op[o])
			printf("@@ COV test_op %s %lu\n",
			       o < (int)(sizeof(test_op_names) / sizeof(test_op_names[0])) &&
					       test_op_names[o] ?
				       test_op_names[o] :
				       "?",
			       tr_cov.test_op[o]);
	for (int e = 0; e < 160; e++)
		if (tr_cov.err[e])
			printf("@@ COV errno %s %lu\n", tr_errname(e), tr_cov.err[e]);
	fflush(stdout);
}
