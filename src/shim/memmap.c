/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memmap.c - the program's memory as files the daemon can be handed (docs/daemon.md,
 * "Client memory").
 *
 * The kernel pins any page a program maps. The daemon, running with no privilege, can only
 * map files: it cannot open another process's /proc/<pid>/map_files, and private anonymous
 * pages belong to no file at all. So the shim makes sure every page a program hands
 * IOMMU_IOAS_MAP (or VFIO_IOMMU_MAP_DMA, or the selftest's checks that pin by address) is
 * a page of a file, and hands the daemon an fd of that file with the call (MEM messages,
 * src/proto/proto.h). The daemon maps it only where the program's own /proc/<pid>/maps
 * shows that file at that address (src/daemon/handed.c), so nothing here is trusted.
 *
 * Where the files come from, by the kind of memory:
 *   - MAP_SHARED of a file: mmap records the range with a copy of the fd (one per file,
 *     CLOEXEC); a mapping made behind our back (a raw syscall, before the shim loaded) is
 *     found in /proc/self/maps and its path opened, if it still names the same inode;
 *   - MAP_SHARED|MAP_ANONYMOUS (and MAP_HUGETLB): mmap makes it a mapping of a memfd of our
 *     own (a hugetlb memfd of the same page size) instead: the same shared, zero-filled,
 *     fork-shared memory, with a file the daemon can be handed;
 *   - private memory (MAP_PRIVATE anonymous, malloc, the heap, private hugetlb, and private
 *     file mappings that are not executable): at the call, the range is copied into a new
 *     memfd and that memfd is mapped MAP_SHARED|MAP_FIXED over it with the same protection.
 *     The program keeps its bytes and its address; from then on the device and the program
 *     share the pages, as they share the kernel's pinned (unshared) private pages. A forked
 *     child gets private copies again (the fork handler below), as the kernel copies
 *     DMA-pinned anonymous pages for a child. Executable private file mappings are not
 *     converted: the file is handed over and the daemon pins unwritten pages read-only.
 * A range near the calling thread's stack pointer is never converted (its own frames would
 * be written between the copy and the remap); pinning it stays EFAULT.
 *
 * The tables. ranges[] (sorted, disjoint) maps address ranges to files[] entries (device,
 * inode, our fd, references) and file offsets; munmap, mremap and mmap MAP_FIXED cut them,
 * so a table entry never outlives its mapping through the calls we see. What we do not see
 * (glibc's own munmap inside free, raw syscalls) can leave an entry stale: before an fd is
 * used its inode is checked with fstat, a range we converted (allocator memory, which glibc
 * unmaps and maps again by itself) is always looked up in /proc/self/maps again, and the
 * daemon checks the program's maps anyway.
 * The tables live in memory mapped with raw system calls and every call made while holding
 * the lock is a raw system call, so an allocator that calls mmap through us (jemalloc,
 * tcmalloc) cannot recurse into them. One lock; the fork handlers hold it across fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "proto/proto.h"
#include "shim/memmap.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif
#define MAP_HUGE_MASK_ 0x3f
#define PG	       4096ULL
#define MAX_HANDOVER   16	      /* files handed over per call */
#define STACK_GUARD_LO (256ULL << 10) /* below the stack pointer: callees' frames */
#define STACK_GUARD_HI (64ULL << 10)  /* above it: the shim's own frames, the caller's */
#define GROW_SLACK     (1ULL << 30)   /* a converted memfd's size beyond the range (mremap) */

struct mm_file {
	dev_t dev;
	ino_t ino;
	int fd;		   /* ours, CLOEXEC; -1: slot free */
	unsigned int refs; /* ranges naming it */
	bool converted;	   /* a memfd holding private memory we made shared: private again in a
			    * forked child */
};

struct mm_range {
	uint64_t start, end, foff; /* [start, end) maps the file from foff */
	unsigned int file;	   /* index in files */
	int prot;
};

static bool active; /* the daemon back end: set once, at start */
/*
 * Files handed over on a call channel, not sent again on it: the daemon keeps what a
 * channel's process handed for as long as the channel lives (client.c). Any unmap we see
 * (munmap, mremap, MAP_FIXED) moves gen on and every entry is stale: a file unmapped and
 * mapped again is handed again (the daemon may have dropped it meanwhile: handed.c).
 */
#define SENT_SLOTS 32
static struct {
	uint64_t chan, gen;
	dev_t dev;
	ino_t ino;
} sent[SENT_SLOTS];
static unsigned int sent_next;
static uint64_t gen = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mm_file *files;
static unsigned int nfiles, cap_files;
static struct mm_range *ranges;
static unsigned int nranges, cap_ranges; /* nranges: relaxed atomic loads outside the lock */

/* ---- raw system calls (never through the shim's own interposers) ------------------------- */

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int raw_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static int raw_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

/* Grow an array made with raw_mmap to hold at least want elements of size sz. */
static bool grow(void **arr, unsigned int *cap, unsigned int want, size_t sz)
{
	unsigned int ncap = *cap ? *cap * 2 : 64;
	void *n;

	if (want <= *cap)
		return true;
	while (ncap < want)
		ncap *= 2;
	if (*arr)
		n = (void *)syscall(SYS_mremap, *arr, *cap * sz, ncap * sz, MREMAP_MAYMOVE);
	else
		n = raw_mmap(NULL, ncap * sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	if (n == MAP_FAILED)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

/* ---- files and ranges (the lock held) ----------------------------------------------------- */

static void file_unref(unsigned int i)
{
	if (--files[i].refs)
		return;
	raw_close(files[i].fd);
	files[i].fd = -1;
}

/* The entry for (dev, ino), or -1. */
static int file_find(dev_t dev, ino_t ino)
{
	for (unsigned int i = 0; i < nfiles; i++)
		if (files[i].fd >= 0 && files[i].dev == dev && files[i].ino == ino)
			return (int)i;
	return -1;
}

/* An entry for fd's file: ours is a copy (fd stays the caller's). -1 when out of room. */
static int file_get(int fd, const struct stat *st)
{
	int i = file_find(st->st_dev, st->st_ino), mine;
	unsigned int slot = nfiles;

	if (i >= 0)
		return i;
	for (unsigned int j = 0; j < nfiles; j++)
		if (files[j].fd < 0) {
			slot = j;
			break;
		}
	if (slot == nfiles && !grow((void **)&files, &cap_files, nfiles + 1, sizeof(*files)))
		return -1;
	/* out of the way of the program's low numbers */
	mine = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 100);
	if (mine < 0)
		mine = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	if (mine < 0)
		return -1;
	files[slot] = (struct mm_file){ .dev = st->st_dev, .ino = st->st_ino, .fd = mine };
	if (slot == nfiles)
		nfiles++;
	return (int)slot;
}

static void range_remove(unsigned int i)
{
	file_unref(ranges[i].file);
	memmove(&ranges[i], &ranges[i + 1], (nranges - i - 1) * sizeof(*ranges));
	__atomic_store_n(&nranges, nranges - 1, __ATOMIC_RELAXED);
}

/* Forget [lo, hi): ranges inside go, ranges across are cut (split in two if need be). */
static void ranges_cut(uint64_t lo, uint64_t hi)
{
	for (unsigned int i = 0; i < nranges;) {
		struct mm_range *r = &ranges[i];

		if (r->end <= lo || r->start >= hi) {
			i++;
			continue;
		}
		if (r->start >= lo && r->end <= hi) {
			range_remove(i);
			continue;
		}
		if (r->start < lo && r->end > hi) { /* split: the part above hi is new */
			struct mm_range up = *r;

			if (!grow((void **)&ranges, &cap_ranges, nranges + 1, sizeof(*ranges))) {
				r = &ranges[i];
				r->end = lo; /* lose the upper part rather than keep a lie */
				i++;
				continue;
			}
			r = &ranges[i];
			up.foff += hi - up.start;
			up.start = hi;
			r->end = lo;
			files[up.file].refs++;
			memmove(&ranges[i + 2], &ranges[i + 1],
				(nranges - i - 1) * sizeof(*ranges));
			ranges[i + 1] = up;
			__atomic_store_n(&nranges, nranges + 1, __ATOMIC_RELAXED);
			i += 2;
			continue;
		}
		if (r->start < lo) {
			r->end = lo;
		} else {
			r->foff += hi - r->start;
			r->start = hi;
		}
		i++;
	}
}

/* Record [lo, hi) as file `file` from foff (replacing whatever was recorded there). */
static void range_add(uint64_t lo, uint64_t hi, unsigned int file, uint64_t foff, int prot)
{
	unsigned int i = 0;

	/* ours first: what is cut may be the file's last range (the same mapping, found again) */
	files[file].refs++;
	ranges_cut(lo, hi);
	if (!grow((void **)&ranges, &cap_ranges, nranges + 1, sizeof(*ranges))) {
		file_unref(file);
		return;
	}
	while (i < nranges && ranges[i].start < lo)
		i++;
	memmove(&ranges[i + 1], &ranges[i], (nranges - i) * sizeof(*ranges));
	ranges[i] = (struct mm_range){
		.start = lo, .end = hi, .foff = foff, .file = file, .prot = prot
	};
	__atomic_store_n(&nranges, nranges + 1, __ATOMIC_RELAXED);
}

/* Is our fd of entry i still that file? A program may have closed it behind our back. */
static bool file_valid(unsigned int i)
{
	struct stat st;

	return files[i].fd >= 0 && !raw_fstat(files[i].fd, &st) && st.st_dev == files[i].dev &&
	       st.st_ino == files[i].ino;
}

/* Forget every range of entry i (its fd is not ours any more). */
static void file_drop(unsigned int i)
{
	for (unsigned int j = nranges; j-- > 0;)
		if (ranges[j].file == i) {
			if (files[i].refs == 1)
				files[i].fd = -1; /* not ours to close */
			range_remove(j);
		}
}

/* ---- mmap, munmap, mremap ----------------------------------------------------------------- */

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* MAP_SHARED|MAP_ANONYMOUS as a memfd of ours: the mapping, or NULL to map as asked. */
static void *shared_anon(memmap_mmap_fn next, void *addr, size_t len, int prot, int flags)
{
	unsigned int huge = (unsigned int)(flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK_;
	unsigned int mfd = MFD_CLOEXEC;
	uint64_t unit = PG, size;
	struct stat st;
	void *p;
	int fd, i;

	if (flags & MAP_HUGETLB) {
		mfd |= MFD_HUGETLB | (huge << MAP_HUGE_SHIFT);
		unit = huge ? 1ULL << huge : 0;
	}
	fd = (int)syscall(SYS_memfd_create, "ioasid-shared", mfd);
	if (fd < 0)
		return NULL;
	if (!unit) { /* the default huge page size: the file system's block */
		unit = !raw_fstat(fd, &st) && st.st_blksize > 0 ? (uint64_t)st.st_blksize : 0;
		if (!unit) {
			raw_close(fd);
			return NULL;
		}
	}
	size = round_up(len, unit);
	if (!len || size < len || syscall(SYS_ftruncate, fd, size) || raw_fstat(fd, &st)) {
		raw_close(fd);
		return NULL;
	}
	flags &= ~(MAP_ANONYMOUS | MAP_HUGETLB | (MAP_HUGE_MASK_ << MAP_HUGE_SHIFT));
	p = next(addr, len, prot, flags, fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		raw_close(fd);
		errno = err;
		return p;
	}
	pthread_mutex_lock(&lock);
	i = file_get(fd, &st);
	if (i >= 0)
		range_add((uintptr_t)p, (uintptr_t)p + size, (unsigned int)i, 0, prot);
	pthread_mutex_unlock(&lock);
	raw_close(fd);
	return p;
}

void *memmap_mmap(memmap_mmap_fn next, void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	int type = flags & 0x0f;
	struct stat st;
	void *p;
	int i;

	if (!active)
		return next(addr, len, prot, flags, fd, off);
	if (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) {
		if (flags & MAP_ANONYMOUS) {
			p = shared_anon(next, addr, len, prot, flags);
			if (p)
				return p;
		} else {
			p = next(addr, len, prot, flags, fd, off);
			if (p == MAP_FAILED || raw_fstat(fd, &st) || !S_ISREG(st.st_mode)) {
				if (p != MAP_FAILED && (flags & MAP_FIXED))
					memmap_unmapped(p, len);
				return p;
			}
			pthread_mutex_lock(&lock);
			i = file_get(fd, &st);
			if (i >= 0)
				range_add((uintptr_t)p, (uintptr_t)p + round_up(len, PG),
					  (unsigned int)i, (uint64_t)off, prot);
			else
				ranges_cut((uintptr_t)p, (uintptr_t)p + round_up(len, PG));
			pthread_mutex_unlock(&lock);
			return p;
		}
	}
	p = next(addr, len, prot, flags, fd, off);
	/* a new mapping lands only where nothing is, but MAP_FIXED replaces what was there */
	if (p != MAP_FAILED && (flags & MAP_FIXED))
		memmap_unmapped(p, len);
	return p;
}

void memmap_unmapped(void *addr, size_t len)
{
	uint64_t lo = (uintptr_t)addr & ~(PG - 1), hi = round_up((uintptr_t)addr + len, PG);

	if (!__atomic_load_n(&nranges, __ATOMIC_RELAXED) || !len)
		return;
	pthread_mutex_lock(&lock);
	ranges_cut(lo, hi);
	gen++;
	pthread_mutex_unlock(&lock);
}

void memmap_remapped(void *old, size_t old_len, void *new_addr, size_t new_len)
{
	uint64_t o = (uintptr_t)old, n = (uintptr_t)new_addr;
	uint64_t ol = round_up(old_len, PG), nl = round_up(new_len, PG);
	struct mm_range moved[8];
	unsigned int nmoved = 0;

	if (!__atomic_load_n(&nranges, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lock);
	/* the pieces of the old range that come along (old_len 0: a second mapping of it) */
	for (unsigned int i = 0; i < nranges && nmoved < 8; i++) {
		struct mm_range r = ranges[i];
		uint64_t span = ol ? ol : nl;

		if (r.end <= o || r.start >= o + span)
			continue;
		if (r.start < o) {
			r.foff += o - r.start;
			r.start = o;
		}
		if (r.end > o + span)
			r.end = o + span;
		/* a grown mapping goes on into the same file */
		if (r.end == o + ol && nl > ol)
			r.end = o + nl;
		if (r.end > o + nl)
			r.end = o + nl;
		if (r.start < r.end)
			moved[nmoved++] = r;
	}
	if (ol)
		ranges_cut(o, o + ol);
	ranges_cut(n, n + nl);
	gen++;
	for (unsigned int i = 0; i < nmoved; i++)
		range_add(moved[i].start - o + n, moved[i].end - o + n, moved[i].file,
			  moved[i].foff, moved[i].prot);
	pthread_mutex_unlock(&lock);
}

/* ---- /proc/self/maps ---------------------------------------------------------------------- */

struct vma {
	uint64_t start, end, off;
	char perms[5];
	dev_t dev;
	ino_t ino;
	const char *path; /* in the buffer; "" for none */
	size_t path_len;
};

/* The whole of /proc/self/maps, in memory from raw_mmap (*out_cap bytes); NULL on failure. */
static char *read_maps(size_t *out_len, size_t *out_cap)
{
	size_t cap = 64 << 10, len = 0;
	char *buf = raw_mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	if (buf == MAP_FAILED)
		return NULL;
	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *nb = (char *)syscall(SYS_mremap, buf, cap, cap * 2, MREMAP_MAYMOVE);

			if (nb == MAP_FAILED) {
				raw_close(fd);
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = syscall(SYS_read, fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			raw_close(fd);
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	raw_close(fd);
	buf[len] = 0;
	*out_len = len;
	*out_cap = cap;
	return buf;
fail:
	syscall(SYS_munmap, buf, cap);
	return NULL;
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* Parse the line at *p into v and move *p to the next line; false at the end. */
static bool next_vma(const char **p, struct vma *v)
{
	const char *s = *p, *e;
	unsigned int maj, min;

	if (!*s)
		return false;
	e = strchr(s, '\n');
	*p = e ? e + 1 : s + strlen(s);
	v->start = hex(&s);
	if (*s++ != '-')
		return next_vma(p, v);
	v->end = hex(&s);
	if (*s++ != ' ')
		return next_vma(p, v);
	memcpy(v->perms, s, 4);
	v->perms[4] = 0;
	s += 5;
	v->off = hex(&s);
	s++;
	maj = (unsigned int)hex(&s);
	s++;
	min = (unsigned int)hex(&s);
	v->dev = makedev(maj, min);
	v->ino = (ino_t)strtoull(s, (char **)&s, 10);
	while (*s == ' ')
		s++;
	v->path = s;
	v->path_len = (size_t)((e ? e : s + strlen(s)) - s);
	return true;
}

/* ---- conversion of private memory ------------------------------------------------------- */

static int prot_of(const struct vma *v)
{
	return (v->perms[0] == 'r' ? PROT_READ : 0) | (v->perms[1] == 'w' ? PROT_WRITE : 0) |
	       (v->perms[2] == 'x' ? PROT_EXEC : 0);
}

static bool path_is(const struct vma *v, const char *prefix)
{
	size_t n = strlen(prefix);

	return v->path_len >= n && !memcmp(v->path, prefix, n);
}

/* The page size of the private hugetlb mapping at start, from /proc/self/smaps; 0: unknown. */
static uint64_t huge_size_at(uint64_t start)
{
	size_t len, cap;
	char *buf, *s;
	uint64_t size = 0;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	cap = 1 << 20;
	buf = raw_mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		raw_close(fd);
		return 0;
	}
	/* read until the line after the VMA's header that gives its kernel page size */
	len = 0;
	while (len < cap - 1 && (n = syscall(SYS_read, fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	raw_close(fd);
	for (s = buf; s && *s;) {
		const char *p = s;

		if (hex(&p) == start && *p == '-') {
			char *k = strstr(s, "KernelPageSize:");

			if (k)
				size = strtoull(k + 15, NULL, 10) << 10;
			break;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	syscall(SYS_munmap, buf, cap);
	return size;
}

/* Copy len bytes of ours at src into dst through the kernel: how many could be read. */
static uint64_t self_copy(void *dst, uint64_t src, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		struct iovec l = { .iov_base = (uint8_t *)dst + done, .iov_len = len - done };
		struct iovec r = { .iov_base = (void *)(uintptr_t)(src + done),
				   .iov_len = len - done };
		ssize_t n = process_vm_readv(ioasid_self_pid(), &l, 1, &r, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return done;
}

/*
 * Anonymous memory: only the pages that exist (present or swapped, per /proc/self/pagemap)
 * are copied; the others read as zeros and stay holes of the memfd, so a large buffer the
 * program never touched (a VMM's guest RAM) costs no memory. All of it if pagemap cannot be
 * read. Returns len, or how far the copy got.
 */
static uint64_t copy_anon(uint8_t *dst, uint64_t src, uint64_t len)
{
	int pm = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t ents[512], done = 0;

	if (pm < 0)
		return self_copy(dst, src, len);
	while (done < len) {
		uint64_t n = (len - done) / PG, run = 0, start = 0;
		ssize_t got;

		if (n > sizeof(ents) / sizeof(ents[0]))
			n = sizeof(ents) / sizeof(ents[0]);
		got = syscall(SYS_pread64, pm, ents, n * sizeof(ents[0]),
			      (off_t)((src + done) / PG * sizeof(ents[0])));
		if (got <= 0 || got % (ssize_t)sizeof(ents[0])) {
			done += self_copy(dst + done, src + done, len - done);
			break;
		}
		n = (uint64_t)got / sizeof(ents[0]);
		/* runs of pages that exist: present (bit 63) or swapped (bit 62) */
		for (uint64_t i = 0; i <= n; i++) {
			bool exists = i < n && (ents[i] >> 62);

			if (exists && !run++)
				start = i;
			if (!exists && run) {
				uint64_t off = done + start * PG, want = run * PG;

				if (self_copy(dst + off, src + off, want) != want) {
					syscall(SYS_close, pm);
					return off;
				}
				run = 0;
			}
		}
		done += n * PG;
	}
	syscall(SYS_close, pm);
	return done;
}

/*
 * Make [s, e) of private mapping v shared memory of a new memfd, in place: copy, then map
 * the memfd over it with v's protection. The entry of the memfd, or -1 (left as it was).
 */
static int convert(const struct vma *v, uint64_t s, uint64_t e)
{
	unsigned int mfd = MFD_CLOEXEC | MFD_NOEXEC_SEAL;
	uint64_t unit = PG, len;
	int prot = prot_of(v), fd, i = -1;
	struct stat st;
	uint64_t copied;
	uint8_t *tmp;

	if (path_is(v, "/anon_hugepage")) {
		unit = huge_size_at(v->start);
		if (!unit || (unit & (unit - 1)))
			return -1;
		mfd = MFD_CLOEXEC | MFD_HUGETLB |
		      ((unsigned int)__builtin_ctzll(unit) << MAP_HUGE_SHIFT);
		s &= ~(unit - 1);
		e = round_up(e, unit);
		if (s < v->start || e > v->end)
			return -1;
	}
	len = e - s;
	fd = (int)syscall(SYS_memfd_create, "ioasid-private", mfd);
	if (fd < 0 && (mfd & MFD_NOEXEC_SEAL)) /* before 6.3 */
		fd = (int)syscall(SYS_memfd_create, "ioasid-private", mfd & ~MFD_NOEXEC_SEAL);
	if (fd < 0)
		return -1;
	/* room to grow (mremap of the mapping reads zeros, as anonymous memory would) */
	if (syscall(SYS_ftruncate, fd, unit == PG ? len + GROW_SLACK : len) || raw_fstat(fd, &st))
		goto out;
	/* huge pages up front: a copy must not find none (SIGBUS) */
	if (unit != PG && syscall(SYS_fallocate, fd, 0, 0, len))
		goto out;
	tmp = raw_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tmp == MAP_FAILED)
		goto out;
	/*
	 * Copied by the kernel, not memcpy: a page past the end of a private file mapping
	 * stops the copy (the rest stays private: EFAULT at its pin, as the kernel's) where a
	 * load would raise SIGBUS.
	 */
	copied = v->ino ? self_copy(tmp, s, len) : copy_anon(tmp, s, len);
	syscall(SYS_munmap, tmp, len);
	len = copied & ~(unit - 1);
	e = s + len;
	if (!len)
		goto out;
	if (raw_mmap((void *)(uintptr_t)s, len, prot, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		goto out;
	i = file_get(fd, &st);
	if (i >= 0) {
		files[i].converted = true;
		range_add(s, e, (unsigned int)i, 0, prot);
	}
out:
	raw_close(fd);
	return i;
}

/* ---- the hand-over ------------------------------------------------------------------------ */

static int read_self(uint64_t uptr, void *out, size_t len)
{
	struct iovec l = { .iov_base = out, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)uptr, .iov_len = len };

	return process_vm_readv(ioasid_self_pid(), &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Add entry i's fd to the set to send (once). */
static void want(int *set, unsigned int *n, unsigned int i)
{
	for (unsigned int j = 0; j < *n; j++)
		if (set[j] == (int)i)
			return;
	if (*n < MAX_HANDOVER)
		set[(*n)++] = (int)i;
}

/* Are [lo, hi) all recorded, by entries still valid? Then set[] gets them. */
static bool covered(uint64_t lo, uint64_t hi, int *set, unsigned int *n)
{
	uint64_t cur = lo;

	for (unsigned int i = 0; i < nranges && cur < hi; i++) {
		struct mm_range *r = &ranges[i];

		if (r->end <= cur)
			continue;
		if (r->start > cur)
			return false;
		/*
		 * Memory we converted came from the allocator or the heap, which unmap and map
		 * again without us (glibc's free and malloc call the system calls directly): its
		 * record is trusted only after a look at the maps. Shared mappings are the
		 * program's own, unmapped through us.
		 */
		if (files[r->file].converted)
			return false;
		if (!file_valid(r->file)) {
			file_drop(r->file);
			return false;
		}
		want(set, n, r->file);
		cur = r->end;
	}
	return cur >= hi;
}

/* A file not recorded (mapped behind our back): open its path, if it is still that inode. */
static int open_path(const struct vma *v, bool rw)
{
	char path[4096];
	struct stat st;
	int fd, i;

	if (!v->ino || v->path_len == 0 || v->path[0] != '/' || v->path_len >= sizeof(path) ||
	    (v->path_len > 10 && !memcmp(v->path + v->path_len - 10, " (deleted)", 10)))
		return -1;
	memcpy(path, v->path, v->path_len);
	path[v->path_len] = 0;
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 && rw)
		fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	i = -1;
	if (!raw_fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_dev == v->dev &&
	    st.st_ino == v->ino)
		i = file_get(fd, &st);
	raw_close(fd);
	return i;
}

/* Walk the maps over [lo, hi): find or make a file for every piece; set[] gets them. */
static void walk(uint64_t lo, uint64_t hi, int *set, unsigned int *n)
{
	uint64_t sp = (uintptr_t)__builtin_frame_address(0);
	size_t len, cap;
	char *buf = read_maps(&len, &cap);
	const char *p = buf;
	struct vma v;

	if (!buf)
		return;
	while (next_vma(&p, &v)) {
		uint64_t s, e;
		int i = -1;

		if (v.end <= lo)
			continue;
		if (v.start >= hi)
			break;
		s = v.start > lo ? v.start : lo;
		e = v.end < hi ? v.end : hi;
		if (v.perms[3] == 's') {
			if (v.ino)
				i = file_find(v.dev, v.ino);
			if (i >= 0 && !file_valid((unsigned int)i)) {
				file_drop((unsigned int)i);
				i = -1;
			}
			if (i < 0)
				i = open_path(&v, v.perms[1] == 'w');
			if (i >= 0) {
				range_add(v.start, v.end, (unsigned int)i, v.off, prot_of(&v));
				want(set, n, (unsigned int)i);
			}
			continue;
		}
		/* private: nothing to convert if it cannot be read (nor pinned) */
		if (v.perms[0] != 'r')
			continue;
		if (v.path_len && v.path[0] == '[' && !path_is(&v, "[heap]") &&
		    !path_is(&v, "[stack]") && !path_is(&v, "[anon:"))
			continue; /* vdso, vvar, vsyscall: special pages */
		if (v.ino && v.perms[2] == 'x' && !path_is(&v, "/anon_hugepage")) {
			/* code: handed as the file, pinned read-only while unwritten */
			i = open_path(&v, false);
			if (i >= 0)
				want(set, n, (unsigned int)i);
			continue;
		}
		if (s < sp + STACK_GUARD_HI && e > sp - STACK_GUARD_LO)
			continue; /* our own frames are written meanwhile */
		i = convert(&v, s, e);
		if (i >= 0)
			want(set, n, (unsigned int)i);
	}
	syscall(SYS_munmap, buf, cap);
}

/* Was entry i handed over on channel chan since the last unmap? Else note that it is now. */
static bool sent_before(uint64_t chan, unsigned int i)
{
	unsigned int j;

	if (!chan)
		return false;
	for (j = 0; j < SENT_SLOTS; j++)
		if (sent[j].chan == chan && sent[j].gen == gen && sent[j].dev == files[i].dev &&
		    sent[j].ino == files[i].ino)
			return true;
	j = sent_next++ % SENT_SLOTS;
	sent[j].chan = chan;
	sent[j].gen = gen;
	sent[j].dev = files[i].dev;
	sent[j].ino = files[i].ino;
	return false;
}

void memmap_handover(unsigned long req, unsigned long arg, uint64_t chan,
		     int (*send)(void *ctx, int fd), void *ctx)
{
	unsigned int va_off, len_off, n = 0, ndup = 0;
	uint64_t va, len, lo, hi;
	int set[MAX_HANDOVER], fds[MAX_HANDOVER];
	uint32_t op = 0;

	if (req != IOMMU_IOAS_MAP && req != IOMMU_TEST_CMD &&
	    !ioasid_proto_mem_range(req, 0, &va_off, &len_off))
		return;
	if (req == IOMMU_TEST_CMD && read_self(arg + IOASID_PROTO_OP_OFFSET, &op, sizeof(op)))
		return;
	if (!ioasid_proto_mem_range(req, op, &va_off, &len_off) ||
	    read_self(arg + va_off, &va, sizeof(va)) || read_self(arg + len_off, &len, sizeof(len)))
		return; /* not such a call, or a bad pointer: the daemon answers for it */
	lo = va & ~(PG - 1);
	if (!len || va + len < va || va + len > (1ULL << 57))
		return;
	hi = round_up(va + len, PG);
	pthread_mutex_lock(&lock);
	if (!covered(lo, hi, set, &n)) {
		n = 0;
		walk(lo, hi, set, &n);
	}
	/* copies, so the lock is not held while the daemon reads them */
	for (unsigned int i = 0; i < n; i++) {
		int fd;

		if (sent_before(chan, (unsigned int)set[i]))
			continue;
		fd = (int)syscall(SYS_fcntl, files[set[i]].fd, F_DUPFD_CLOEXEC, 0);

		if (fd >= 0)
			fds[ndup++] = fd;
	}
	pthread_mutex_unlock(&lock);
	for (unsigned int i = 0; i < ndup; i++) {
		send(ctx, fds[i]);
		raw_close(fds[i]);
	}
}

/* ---- fork --------------------------------------------------------------------------------- */

static void before_fork(void)
{
	pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

/*
 * In a child: the memory we made shared is private again, a copy of the parent's bytes now
 * (the kernel gives a child copies of DMA-pinned anonymous pages, and copy-on-write copies
 * of the rest). Only what the child still maps as our memfd (MADV_DONTFORK leaves nothing).
 */
static void after_fork_child(void)
{
	size_t len, cap;
	char *buf;
	const char *p;
	struct vma v;

	/* before_fork took the lock; the child has one thread. Its channels are its own. */
	pthread_mutex_unlock(&lock);
	gen++;
	if (!nranges)
		return;
	buf = read_maps(&len, &cap);
	for (p = buf; buf && next_vma(&p, &v);) {
		for (unsigned int i = 0; i < nranges; i++) {
			struct mm_range *r = &ranges[i];
			uint64_t s = v.start > r->start ? v.start : r->start;
			uint64_t e = v.end < r->end ? v.end : r->end;
			struct mm_file *f = &files[r->file];
			void *tmp;

			if (!f->converted || s >= e || v.dev != f->dev || v.ino != f->ino)
				continue;
			tmp = raw_mmap(NULL, e - s, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (tmp == MAP_FAILED)
				continue;
			if (v.perms[0] == 'r')
				/* by the kernel: a sanitized program's memcpy would check the
				 * program's own allocator state (freed chunks share the pages) */
				self_copy(tmp, s, e - s);
			syscall(SYS_mprotect, tmp, e - s, prot_of(&v));
			syscall(SYS_mremap, tmp, e - s, e - s, MREMAP_MAYMOVE | MREMAP_FIXED,
				(void *)(uintptr_t)s);
		}
	}
	if (buf)
		syscall(SYS_munmap, buf, cap);
	for (unsigned int i = nranges; i-- > 0;)
		if (files[ranges[i].file].converted)
			range_remove(i);
}

void memmap_setup(bool on)
{
	active = on;
	if (on)
		pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
