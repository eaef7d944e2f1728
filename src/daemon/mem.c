/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.c - the memory of a remote client, as the core's ioasid_mem_ops.
 *
 * Copies. The core reads and writes the program's structs where the program keeps them:
 * process_vm_readv/writev on the pid that sent the request, bracketed by checks of its pidfd
 * (ident.c: a pid reused by another process is never read or written), so a forked
 * child's call is served against the child's memory. A NULL or wild pointer, or a process
 * that died mid-call, is EFAULT. While a call that names an fd is served (MAP_FILE's fd, an
 * access fd), the 4 bytes of that field read as the daemon's copy of the fd (the
 * "overlay"): the core never sees the program's fd number, and a reply that covers the
 * field writes the program's own number back.
 *
 * Sources. A pages object belongs to the process that made it, as the kernel's keeps its
 * mm: the core asks source_get() for the caller's source when it makes one and passes that
 * source to every pin_user, unpin_user and memlock_limit for it. A source is one client
 * process: its pid and a pidfd (which tells when that process has exited, so a reused pid
 * is never mistaken for it), and the mirror of its pinned pages. Every connection the
 * process opens gets the same source (the registry below), so a page pinned through two
 * connections has one daemon address, and the core's pin counts (MD_CHECK_REFS) add up
 * across them. Pins of a source whose process has exited are EFAULT, as the kernel's
 * mmget_not_zero() on a dead mm; what it pinned before stays pinned (the mirror holds it).
 *
 * Pins: the mirror. A pinned page must be memory the daemon can touch and the program sees
 * (DMA writes land in the program's buffer), at an address that does not move while it is
 * pinned. The daemon maps the very pages the program maps: for each shared mapping in the
 * range (/proc/<pid>/maps, read under the source's pidfd check) it finds the file behind it
 * and maps that file MAP_SHARED at the matching offset. The file is one the process handed
 * over (MEM messages, handed.c: the shim sends an fd of every file behind a range it maps,
 * src/shim/memmap.c), used only if its device and inode are the ones maps shows there;
 * without one, /proc/<pid>/map_files/<start>-<end> (which needs CAP_SYS_ADMIN in the
 * daemon's user namespace: the privileged path). So the daemon runs with no privilege at
 * all, and maps nothing the process does not map itself through an fd it holds itself.
 * Private memory (malloc, MAP_PRIVATE|MAP_ANONYMOUS, private file mappings) has no file
 * that shares its pages with anyone: the shim makes it memfd-backed shared memory in place
 * before the call, so here it is shared memory like any other. A private file mapping the
 * shim left alone (executable code) can be pinned read-only while its pages are still the
 * file's (private_pages_are_the_file); a page the program wrote is its own copy: EFAULT.
 * Mapping any of these with no domain and no access works as in the kernel, since nothing
 * is pinned then.
 *
 * Linearity. The core keeps one host pointer per pages object and reaches byte i of it at
 * host + i, whichever run was pinned first; so the mirror must be linear in the client's
 * address. A window is a reservation of daemon address space (PROT_NONE) that mirrors a
 * range of client addresses at a fixed offset: client address a is daemon address
 * dbase + (a - cbase). A window is made around the first pin in a region, rounded out to
 * MIRROR_GRANULE and widened by MIRROR_SLACK on both sides (as far as other windows allow),
 * so later pins of the same buffer fall in it. Inside, each pinned unit (a page, or a huge
 * page for hugetlbfs) is mapped from its file; a unit whose pages are all unpinned stays
 * mapped but idle (revalidated before any later pin, at most limits.max_idle_pages a source; see
 * idle_set) and goes back to PROT_NONE, dropping the file reference, when idle units are
 * trimmed; an empty window is unmapped. The same client page thus has the same daemon
 * ("physical") address for as long as anything pins it.
 *
 * Limits, all reported as EFAULT: a pin that spans two windows or leaves one (a buffer
 * larger than MIRROR_SLACK first pinned at its far end); a page whose client address now
 * holds a different file page than the one still pinned there (the program unmapped a
 * pinned buffer and mapped other memory at its address).
 *
 * When to let go. The core's calls balance per page (include/ioasid/ioasid.h), so each
 * mirrored page counts its pins, whichever pages object or context made them; a unit goes
 * when none of its pages is pinned. A pin of pages the mirror already holds is served
 * without looking at the program's mappings again, as the kernel's pin holds pages the
 * program has since unmapped.
 *
 * Locking. sources_lock protects the registry and every source's refs. A source's lock
 * protects its mirror; the core calls pin_user and unpin_user with a context lock held, so
 * the order is ctx->lock, then source->lock. sources_lock is never held while taking a
 * source's lock.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon/daemon.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define PG_SHIFT       12
#define PG_SIZE	       (1ULL << PG_SHIFT)
#define MIRROR_GRANULE (1ULL << 30)
#define MIRROR_SLACK   (8ULL << 30)
#define CHUNK_PAGES    512ULL
#define CHUNK_BYTES    (CHUNK_PAGES << PG_SHIFT)
#define USER_TOP       (1ULL << 57) /* no user address reaches this on any 64-bit Linux */
#define ESTALE_IDLE    ESTALE	    /* map_segment: an idle unit holds other memory: trim, retry */

struct mirror_page {
	uint16_t file; /* 1-based index in mirror.files; 0: not mapped */
	uint8_t rw;    /* mapped writable */
	uint8_t idle;  /* mapped, its unit unpinned: kept for a later pin (below) */
	uint32_t pins; /* pin_user calls holding this page, less unpin_user calls */
	uint64_t off;  /* offset of this page in its file */
};

struct mirror_chunk {
	struct mirror_page pg[CHUNK_PAGES];
};

struct mirror_window {
	struct mirror_window *next;
	uint64_t cbase, len; /* client range [cbase, cbase + len) */
	uint8_t *dbase;
	struct mirror_chunk **chunks; /* len / CHUNK_BYTES, allocated on demand */
	uint64_t mapped;	      /* pages mapped from files */
};

struct mirror_file {
	dev_t dev;
	ino_t ino;
	uint64_t unit;	/* mapping unit: the page size of the file system */
	uint64_t pages; /* pages of ours mapped from it; 0: slot free */
};

struct mirror {
	struct mirror_window *windows; /* disjoint in client address space */
	struct mirror_file *files;     /* backing files with pages mapped, indexed 1..n */
	unsigned int nfiles, cap_files;
	uint64_t idle; /* pages mapped but unpinned (mirror_page.idle) */
};

#define SOURCE_MAGIC 0x53524345u /* "SRCE" */

/* One client process: what a pages object remembers as its owner. */
struct mem_source {
	uint32_t magic;
	struct mem_source *next; /* sources_lock */
	unsigned int refs;	 /* sources_lock */
	pid_t pid;
	int pidfd;	      /* the caller's pidfd (ident.c); -1: gone */
	bool gone;	      /* known to have exited (atomic) */
	pthread_mutex_t lock; /* the mirror and the handed files */
	struct mirror mirror;
	struct handed handed; /* files the process handed over (handed.c) */
	uint64_t *uid_mirror; /* bytes mapped for the uid, shared (ioasidd.c); may be NULL */
};

static pthread_mutex_t sources_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_source *sources; /* sources_lock */

static struct mem_source *to_source(void *priv)
{
	struct mem_source *src = priv;

	assert(src && src->magic == SOURCE_MAGIC);
	return src;
}

/* ---- copies --------------------------------------------------------------------------- */

/*
 * Copy to or from the caller's memory. A write is preceded by a check that the caller is
 * alive (it must land in no other process); a read is followed by one (what was read is
 * the caller's only if its pid was still its own all along: ident.c). A caller gone is
 * EFAULT, as a dead mm.
 */
static int remote_copy(const struct call *call, uint64_t uptr, void *local, size_t len,
		       bool to_user)
{
	pid_t pid = call->pid;

	if (to_user && !ident_alive(call->pidfd))
		return -EFAULT;
	while (len) {
		struct iovec l = { .iov_base = local, .iov_len = len };
		struct iovec r = { .iov_base = (void *)(uintptr_t)uptr, .iov_len = len };
		ssize_t n;

		if (uptr + len < uptr || pid <= 0)
			return -EFAULT;
		n = to_user ? process_vm_writev(pid, &l, 1, &r, 1, 0) :
			      process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == ENOMEM)
				return -ENOMEM;
			return -EFAULT;
		}
		uptr += n;
		local = (uint8_t *)local + n;
		len -= n;
	}
	return to_user || ident_alive(call->pidfd) ? 0 : -EFAULT;
}

/*
 * A copy for a call that brought its struct inline (a CALL on a call channel): the bytes of
 * [uptr, uptr + len) inside the window are read from (or written to) the message's copy,
 * the rest of the caller's memory as remote_copy does. What the core writes to the window
 * is marked dirty and goes back with the reply, where the shim writes it into the struct.
 */
static int win_copy(struct call *call, uint64_t uptr, void *local_, size_t len, bool to_user)
{
	uint8_t *local = local_;
	uint64_t wlo = call->win_uptr, whi = wlo + (to_user ? call->win_wr : call->win_len);
	uint64_t end = uptr + len, lo, hi;
	int rc;

	if (!call->win || whi == wlo || end < uptr)
		return remote_copy(call, uptr, local, len, to_user);
	lo = uptr > wlo ? uptr : wlo;
	hi = end < whi ? end : whi;
	if (lo >= hi)
		return remote_copy(call, uptr, local, len, to_user);
	if (uptr < lo) {
		rc = remote_copy(call, uptr, local, lo - uptr, to_user);
		if (rc)
			return rc;
	}
	if (to_user) {
		memcpy(call->win + (lo - wlo), local + (lo - uptr), hi - lo);
		if (lo - wlo < call->dirty_lo)
			call->dirty_lo = lo - wlo;
		if (hi - wlo > call->dirty_hi)
			call->dirty_hi = hi - wlo;
	} else {
		memcpy(local + (lo - uptr), call->win + (lo - wlo), hi - lo);
	}
	if (hi < end)
		return remote_copy(call, hi, local + (hi - uptr), end - hi, to_user);
	return 0;
}

static int mem_copy_from(void *priv, void *dst, uint64_t uptr, size_t len)
{
	struct client *c = priv;
	struct call *call = client_call(c);
	int rc;

	if (!call)
		return -EFAULT;
	rc = win_copy(call, uptr, dst, len, false);
	if (rc || !call->overlay)
		return rc;
	/* patch the bytes of the overlaid field that fall inside what was read */
	for (unsigned int i = 0; i < sizeof(call->overlay_val); i++) {
		uint64_t a = call->overlay_uptr + i;

		if (a >= uptr && a - uptr < len)
			((uint8_t *)dst)[a - uptr] = ((uint8_t *)&call->overlay_val)[i];
	}
	return 0;
}

static int mem_copy_to(void *priv, uint64_t uptr, const void *src, size_t len)
{
	struct client *c = priv;
	struct call *call = client_call(c);
	uint8_t small[256];
	bool hit = false;

	if (!call)
		return -EFAULT;
	if (call->overlay) {
		for (unsigned int i = 0; i < sizeof(call->overlay_val) && !hit; i++)
			hit = call->overlay_uptr + i - uptr < len;
	}
	if (!hit)
		return win_copy(call, uptr, (void *)src, len, true);
	/* a reply that covers the overlaid field gives the program its own fd number back */
	if (len > sizeof(small))
		return -EFAULT; /* no command struct is this large */
	memcpy(small, src, len);
	for (unsigned int i = 0; i < sizeof(call->overlay_orig); i++) {
		uint64_t a = call->overlay_uptr + i;

		if (a - uptr < len)
			small[a - uptr] = ((uint8_t *)&call->overlay_orig)[i];
	}
	return win_copy(call, uptr, small, len, true);
}

/* ---- sources ------------------------------------------------------------------------- */

/* Is the source's process still running? Once it is not, it never is again. */
static bool source_alive(struct mem_source *src)
{
	bool alive;

	if (__atomic_load_n(&src->gone, __ATOMIC_RELAXED))
		return false;
	alive = ident_alive(src->pidfd);
	if (!alive)
		__atomic_store_n(&src->gone, true, __ATOMIC_RELAXED);
	return alive;
}

static void mem_source_put(void *priv);

/*
 * The connection keeps a reference to the source its last pin came from, so that the
 * source, its mirror and its idle units (above) outlive the pages objects of a program that
 * maps and unmaps one buffer over and over; the connection's end (mem_release) lets go.
 */
static void mem_hold(struct client *c, struct mem_source *src)
{
	void *old = c->src_hold;

	if (!src || old == src)
		return;
	pthread_mutex_lock(&sources_lock);
	src->refs++;
	pthread_mutex_unlock(&sources_lock);
	c->src_hold = src;
	if (old)
		mem_source_put(old);
}

void mem_release(struct client *c)
{
	void *old = c->src_hold;

	c->src_hold = NULL;
	if (old)
		mem_source_put(old);
}

/* The source of the process that sent the request being served. */
static void *mem_source_get(void *priv)
{
	struct client *c = priv;
	struct call *call = client_call(c);
	pid_t pid = call ? call->pid : -1;
	struct mem_source *src;

	if (!call)
		return NULL;
	pthread_mutex_lock(&sources_lock);
	for (src = sources; src; src = src->next)
		if (src->pid == pid && source_alive(src))
			break;
	if (src) {
		src->refs++;
		goto out_unlock;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		goto out_unlock;
	src->magic = SOURCE_MAGIC;
	src->refs = 1;
	src->pid = pid;
	/* the caller's own pidfd (ident.c), never one opened from the pid afresh */
	src->pidfd = fcntl(call->pidfd, F_DUPFD_CLOEXEC, 0);
	src->uid_mirror = daemon_uid_mirror(c->uid);
	if (src->pidfd < 0 || !ident_alive(src->pidfd))
		src->gone = true; /* gone since it sent the request, or no fd to know it by */
	pthread_mutex_init(&src->lock, NULL);
	src->next = sources;
	sources = src;
	counter_add(sources, 1);
out_unlock:
	pthread_mutex_unlock(&sources_lock);
	mem_hold(c, src);
	return src;
}

static void mirror_release(struct mem_source *src);

static void mem_source_put(void *priv)
{
	struct mem_source *src = to_source(priv), **pp;

	pthread_mutex_lock(&sources_lock);
	if (--src->refs) {
		pthread_mutex_unlock(&sources_lock);
		return;
	}
	for (pp = &sources; *pp != src; pp = &(*pp)->next)
		;
	*pp = src->next;
	pthread_mutex_unlock(&sources_lock);
	counter_sub(sources, 1);
	mirror_release(src);
	handed_clear(&src->handed);
	if (src->pidfd >= 0)
		close(src->pidfd);
	pthread_mutex_destroy(&src->lock);
	free(src);
}

/* The RLIMIT_MEMLOCK of the source's process, as the kernel reads the source task's. */
static uint64_t mem_memlock_limit(void *priv)
{
	struct mem_source *src = to_source(priv);
	struct rlimit rl;

	/* gone: nothing to hold it to, and its pins fail with EFAULT anyway */
	if (!source_alive(src) || prlimit(src->pid, RLIMIT_MEMLOCK, NULL, &rl))
		return RLIM_INFINITY;
	return rl.rlim_cur;
}

/* ---- windows and pages ------------------------------------------------------------------ */

static struct mirror_page *page_at(struct mirror_window *w, uint64_t caddr, bool alloc)
{
	uint64_t off = caddr - w->cbase;
	struct mirror_chunk **slot = &w->chunks[off / CHUNK_BYTES];

	if (!*slot) {
		if (!alloc)
			return NULL;
		*slot = calloc(1, sizeof(**slot));
		if (!*slot)
			return NULL;
	}
	return &(*slot)->pg[(off % CHUNK_BYTES) >> PG_SHIFT];
}

static uint8_t *daddr(struct mirror_window *w, uint64_t caddr)
{
	return w->dbase + (caddr - w->cbase);
}

static void window_free(struct mirror *m, struct mirror_window *w)
{
	struct mirror_window **pp;

	for (pp = &m->windows; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	munmap(w->dbase, w->len);
	for (uint64_t i = 0; i < w->len / CHUNK_BYTES; i++)
		free(w->chunks[i]);
	free(w->chunks);
	free(w);
	counter_sub(mirror_windows, 1);
}

/* Reserve len bytes of daemon address space aligned to MIRROR_GRANULE. */
static uint8_t *reserve_aligned(uint64_t len)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint8_t *p = mmap(NULL, len + MIRROR_GRANULE, PROT_NONE, flags, -1, 0);
	uint64_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (((uintptr_t)p + MIRROR_GRANULE - 1) & ~(MIRROR_GRANULE - 1)) - (uintptr_t)p;
	if (head)
		munmap(p, head);
	munmap(p + head + len, MIRROR_GRANULE - head);
	return p + head;
}

/* The window holding [first, last], made if there is none. NULL: -EFAULT or -ENOMEM. */
static struct mirror_window *window_get(struct mirror *m, uint64_t first, uint64_t last,
					int *out_err)
{
	uint64_t lo, hi;
	struct mirror_window *w;

	for (w = m->windows; w; w = w->next) {
		if (first - w->cbase < w->len && last - w->cbase < w->len)
			return w;
		/* overlapping a window without fitting in it cannot be linear */
		if (first < w->cbase + w->len && w->cbase <= last) {
			dlog(1, "pin [%#" PRIx64 ", %#" PRIx64 "] leaves mirror window", first,
			     last);
			*out_err = -EFAULT;
			return NULL;
		}
	}
	lo = first & ~(MIRROR_GRANULE - 1);
	hi = (last | (MIRROR_GRANULE - 1)) + 1;
	lo = lo > MIRROR_SLACK ? lo - MIRROR_SLACK : 0;
	hi = hi + MIRROR_SLACK < USER_TOP ? hi + MIRROR_SLACK : USER_TOP;
	for (w = m->windows; w; w = w->next) {
		if (w->cbase + w->len <= first && w->cbase + w->len > lo)
			lo = w->cbase + w->len;
		if (w->cbase > last && w->cbase < hi)
			hi = w->cbase;
	}
	*out_err = -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cbase = lo;
	w->len = hi - lo;
	w->chunks = calloc(w->len / CHUNK_BYTES, sizeof(*w->chunks));
	w->dbase = w->chunks ? reserve_aligned(w->len) : NULL;
	if (!w->dbase) {
		free(w->chunks);
		free(w);
		return NULL;
	}
	w->next = m->windows;
	m->windows = w;
	counter_add(mirror_windows, 1);
	return w;
}

/* The slot of (dev, ino), taking a free one for a new file; 0 when out of memory. */
static unsigned int file_slot(struct mirror *m, const struct stat *st, uint64_t unit)
{
	unsigned int free_slot = 0;

	for (unsigned int i = 0; i < m->nfiles; i++) {
		struct mirror_file *f = &m->files[i];

		if (f->pages && f->dev == st->st_dev && f->ino == st->st_ino)
			return i + 1;
		if (!f->pages && !free_slot)
			free_slot = i + 1;
	}
	if (!free_slot) {
		if (m->nfiles == m->cap_files) {
			unsigned int cap = m->cap_files ? m->cap_files * 2 : 8;
			struct mirror_file *n;

			if (cap > UINT16_MAX)
				return 0;
			n = realloc(m->files, cap * sizeof(*n));
			if (!n)
				return 0;
			m->files = n;
			m->cap_files = cap;
		}
		free_slot = ++m->nfiles;
		m->files[free_slot - 1].pages = 0;
	}
	m->files[free_slot - 1].dev = st->st_dev;
	m->files[free_slot - 1].ino = st->st_ino;
	m->files[free_slot - 1].unit = unit;
	return free_slot;
}

/* Is any page of the unit at u (n pages) pinned? */
static bool unit_pinned(struct mirror_window *w, uint64_t u, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct mirror_page *pg = page_at(w, u + (i << PG_SHIFT), false);

		if (pg && pg->pins)
			return true;
	}
	return false;
}

/*
 * Give every mapped unit touching [first, last] whose pages are all unpinned (all of them
 * if force) back to PROT_NONE. Runs of such units are released with one mmap.
 */
static void release_unpinned(struct mem_source *src, struct mirror_window *w, uint64_t first,
			     uint64_t last, bool force)
{
	struct mirror *m = &src->mirror;
	uint64_t run = 0, run_len = 0;
	uint64_t a = first;

	while (a <= last && a - w->cbase < w->len) {
		struct mirror_page *pg = page_at(w, a, false);
		struct mirror_file *f;
		uint64_t u, n, i;

		if (!pg) { /* a chunk never used: skip it whole */
			a = w->cbase + ((a - w->cbase) / CHUNK_BYTES + 1) * CHUNK_BYTES;
			continue;
		}
		if (!pg->file) {
			a += PG_SIZE;
			continue;
		}
		f = &m->files[pg->file - 1];
		u = a & ~(f->unit - 1);
		n = f->unit >> PG_SHIFT;
		if (force || !unit_pinned(w, u, n)) {
			if (run_len && run + run_len != u) {
				mmap(daddr(w, run), run_len, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
				     0);
				run_len = 0;
			}
			if (!run_len)
				run = u;
			run_len += f->unit;
			for (i = 0; i < n; i++) {
				struct mirror_page *p = page_at(w, u + (i << PG_SHIFT), false);

				if (p->idle)
					m->idle--;
				p->file = 0;
				p->pins = 0;
				p->idle = 0;
			}
			f->pages -= n;
			w->mapped -= n;
			counter_sub(mirror_mapped, f->unit);
			if (src->uid_mirror)
				__atomic_sub_fetch(src->uid_mirror, f->unit, __ATOMIC_RELAXED);
			if (!f->pages)
				counter_sub(files, 1);
		}
		a = u + f->unit;
	}
	if (run_len)
		mmap(daddr(w, run), run_len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/*
 * Idle units. A unit whose pages are all unpinned again is not unmapped at once: it stays
 * mapped, marked idle, so that pinning the same memory again (a program that maps and
 * unmaps one buffer over and over) does not fault in and tear down every page each time.
 * An idle unit is no pin: it is never served without looking at the program's mappings
 * again (mapped_already wants pins); map_segment finds it still mapping the same file page
 * and keeps it, or finds other memory there (-ESTALE_IDLE) and the idle units go first. At
 * most limits.max_idle_pages per source are idle (--max-idle-mb); beyond, every idle unit is
 * released. Until then they keep their pages alive in the daemon, as a mapping would
 * (docs/daemon.md).
 */
static void idle_set(struct mirror *m, struct mirror_window *w, uint64_t u, uint64_t n, bool on)
{
	for (uint64_t i = 0; i < n; i++) {
		struct mirror_page *p = page_at(w, u + (i << PG_SHIFT), false);

		if (p && p->file && p->idle != on) {
			p->idle = on;
			m->idle += on ? 1 : -1;
		}
	}
}

/* Mark every mapped unit of [first, last] that nobody pins idle. */
static void idle_mark(struct mem_source *src, struct mirror_window *w, uint64_t first,
		      uint64_t last)
{
	struct mirror *m = &src->mirror;
	uint64_t a = first;

	while (a <= last && a - w->cbase < w->len) {
		struct mirror_page *pg = page_at(w, a, false);
		struct mirror_file *f;
		uint64_t u, n;

		if (!pg) {
			a = w->cbase + ((a - w->cbase) / CHUNK_BYTES + 1) * CHUNK_BYTES;
			continue;
		}
		if (!pg->file) {
			a += PG_SIZE;
			continue;
		}
		f = &m->files[pg->file - 1];
		u = a & ~(f->unit - 1);
		n = f->unit >> PG_SHIFT;
		if (!pg->idle && !unit_pinned(w, u, n))
			idle_set(m, w, u, n, true);
		a = u + f->unit;
	}
}

/* Release every idle unit of the source; windows left empty go. */
static void idle_trim(struct mem_source *src)
{
	struct mirror *m = &src->mirror;
	struct mirror_window *w = m->windows, *next;

	for (; w; w = next) {
		next = w->next;
		release_unpinned(src, w, w->cbase, w->cbase + w->len - 1, false);
		if (!w->mapped)
			window_free(m, w);
	}
}

/* Add delta to the pin count of every page of [first, last] (all mapped). */
static void pins_add(struct mem_source *src, struct mirror_window *w, uint64_t first, uint64_t last,
		     int delta)
{
	for (uint64_t a = first; a <= last; a += PG_SIZE) {
		struct mirror_page *pg = page_at(w, a, false);

		if (!pg || !pg->file || (delta < 0 && !pg->pins)) {
			dlog(0, "mirror: unbalanced unpin at %#" PRIx64, a);
			continue;
		}
		if (pg->idle) { /* pinned again: its whole unit is in use */
			uint64_t unit = src->mirror.files[pg->file - 1].unit;

			idle_set(&src->mirror, w, a & ~(unit - 1), unit >> PG_SHIFT, false);
		}
		pg->pins += delta;
	}
}

/* ---- pinning one client mapping ---------------------------------------------------------- */

struct vma {
	uint64_t start, end, off;
	char perms[5];
	dev_t dev; /* the mapped file's, as maps shows it */
	ino_t ino; /* 0: anonymous */
};

/* Map units of [s, e) (inside vma) from fd, and fault them in. */
static int map_segment(struct mem_source *src, struct mirror_window *w, const struct vma *v, int fd,
		       bool rw, uint64_t s, uint64_t e, bool write)
{
	struct mirror *m = &src->mirror;
	uint64_t unit = PG_SIZE, u, run = 0, run_len = 0;
	int prot = PROT_READ | (rw ? PROT_WRITE : 0), populate = MADV_POPULATE_READ;
	bool no_writenotify;
	unsigned int slot;
	struct statfs sfs;
	struct stat st;

	if (fstat(fd, &st))
		return -EFAULT;
	if (fstatfs(fd, &sfs))
		sfs.f_type = 0;
	if (sfs.f_type == HUGETLBFS_MAGIC && (uint64_t)sfs.f_bsize > PG_SIZE)
		unit = sfs.f_bsize;
	no_writenotify = rw && (sfs.f_type == HUGETLBFS_MAGIC || sfs.f_type == TMPFS_MAGIC);
	slot = file_slot(m, &st, unit);
	if (!slot)
		return -ENOMEM;
	for (u = s & ~(unit - 1); u < e; u += unit) {
		struct mirror_page *pg = page_at(w, u, true);
		uint64_t foff = v->off + (u - v->start);
		bool remap = false;

		if (!pg)
			return -ENOMEM;
		if (u < v->start || u + unit > v->end)
			return -EFAULT; /* a unit cut by the mapping: not a file we understand */
		if (pg->file) {
			if (pg->file != slot ||
			    pg->off != foff) /* another page still mapped here */
				return pg->idle ? -ESTALE_IDLE : -EFAULT;
			if (!write || pg->rw)
				continue;
			remap = true; /* same pages, now writable */
		}
		if (run_len && (run + run_len != u || remap)) {
			if (mmap(daddr(w, run), run_len, prot, MAP_SHARED | MAP_FIXED, fd,
				 v->off + (run - v->start)) == MAP_FAILED)
				return -EFAULT;
			run_len = 0;
		}
		for (uint64_t i = 0; i < unit >> PG_SHIFT; i++) {
			struct mirror_page *p = page_at(w, u + (i << PG_SHIFT), true);

			if (!p)
				return -ENOMEM;
			if (!remap) {
				p->file = slot;
				p->off = foff + (i << PG_SHIFT);
			}
			p->rw = rw;
		}
		if (remap) {
			if (mmap(daddr(w, u), unit, prot, MAP_SHARED | MAP_FIXED, fd, foff) ==
			    MAP_FAILED)
				return -EFAULT;
			continue;
		}
		/* the uid's bytes mapped in all its processes (--max-uid-mirror-mb): ENOMEM, as
		 * the kernel's accounting of pinned memory */
		if (src->uid_mirror) {
			uint64_t now = __atomic_add_fetch(src->uid_mirror, unit, __ATOMIC_RELAXED);

			if (now > limits.max_uid_mirror) {
				__atomic_sub_fetch(src->uid_mirror, unit, __ATOMIC_RELAXED);
				for (uint64_t i = 0; i < unit >> PG_SHIFT; i++)
					page_at(w, u + (i << PG_SHIFT), false)->file = 0;
				return -ENOMEM;
			}
		}
		if (!m->files[slot - 1].pages)
			counter_add(files, 1);
		m->files[slot - 1].pages += unit >> PG_SHIFT;
		w->mapped += unit >> PG_SHIFT;
		counter_add(mirror_mapped, unit);
		if (!run_len)
			run = u;
		run_len += unit;
	}
	if (run_len && mmap(daddr(w, run), run_len, prot, MAP_SHARED | MAP_FIXED, fd,
			    v->off + (run - v->start)) == MAP_FAILED)
		return -EFAULT;
	/* as pin_user_pages: pages past the end of the file, or not writable, fail */
	/*
	 * Shared memory (tmpfs, memfd, shm) and hugetlbfs need no write notification, so a read
	 * fault maps a writable mapping's pages writable, many at a time (fault-around): the
	 * same pages and checks as a write fault (the mapping is already writable, a page past
	 * the end fails either way), at a fraction of the cost. Other files are written through
	 * write faults, which reserve their blocks now, as the kernel's FOLL_WRITE pin does.
	 */
	if (write && !no_writenotify)
		populate = MADV_POPULATE_WRITE;
	if (madvise(daddr(w, s), e - s, populate))
		return -EFAULT;
	return 0;
}

/*
 * A private file mapping (MAP_PRIVATE of a regular file) shows the program the file's own
 * page until the program writes to it; the write gives the program a private copy (CoW)
 * that no file holds. So a page of such a mapping can be mirrored, read-only, only while it
 * is still the file's page: /proc/<pid>/pagemap says so (bit 61, "file page or shared
 * anonymous"; a page never faulted in will be the file's when it is). A copied or swapped
 * page is EFAULT. Hugetlbfs private pages are refused too.
 */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP	   (1ULL << 62)
#define PM_FILE	   (1ULL << 61)

static int private_pages_are_the_file(struct mem_source *src, int fd, uint64_t s, uint64_t e)
{
	uint64_t ents[64];
	struct statfs sfs;
	struct stat st;
	char path[64];
	int pm, rc = 0;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &sfs) ||
	    sfs.f_type == HUGETLBFS_MAGIC)
		return -EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", src->pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return -EFAULT;
	for (uint64_t a = s; a < e && !rc;) {
		uint64_t n = (e - a) >> PG_SHIFT;
		ssize_t got;

		if (n > sizeof(ents) / sizeof(ents[0]))
			n = sizeof(ents) / sizeof(ents[0]);
		got = pread(pm, ents, n * sizeof(ents[0]),
			    (off_t)((a >> PG_SHIFT) * sizeof(ents[0])));
		if (got <= 0 || got % sizeof(ents[0])) {
			rc = -EFAULT;
			break;
		}
		for (ssize_t i = 0; i < got / (ssize_t)sizeof(ents[0]); i++, a += PG_SIZE) {
			if ((ents[i] & PM_SWAP) ||
			    ((ents[i] & PM_PRESENT) && !(ents[i] & PM_FILE))) {
				dlog(1, "pin: private page %#" PRIx64 " of %d is a copy", a,
				     src->pid);
				rc = -EFAULT;
				break;
			}
		}
	}
	close(pm);
	return rc;
}

/*
 * The file behind a VMA: one the process handed over (handed.c) whose device and inode are
 * the ones maps shows, else /proc/<pid>/map_files (needs CAP_SYS_ADMIN). *inout_rw comes
 * down to what the fd allows; *out_owned says whether the caller closes it. -1: none.
 */
static int no_map_files = -1; /* atomic: -1 not read yet, 0, 1 */

static int vma_file(struct mem_source *src, const struct vma *v, bool *inout_rw, bool write,
		    bool *out_owned)
{
	char path[96];
	bool hrw;
	int fd;

	*out_owned = false;
	fd = v->ino ? handed_find(&src->handed, v->dev, v->ino, &hrw) : -1;
	if (fd >= 0) {
		if (*inout_rw && !hrw) {
			if (write)
				return -1;
			*inout_rw = false;
		}
		return fd;
	}
	/*
	 * $IOASIDD_NO_MAP_FILES=1 (tests): the unprivileged path only, even with the privilege,
	 * so that a test run as root cannot pass by map_files what a user's daemon would refuse
	 */
	if (no_map_files < 0) {
		const char *e = getenv("IOASIDD_NO_MAP_FILES");

		__atomic_store_n(&no_map_files, e && *e == '1', __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&no_map_files, __ATOMIC_RELAXED) == 1) {
		dlog(1, "pin: no file handed over for %" PRIx64 "-%" PRIx64, v->start, v->end);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, src->pid, v->start,
		 v->end);
	fd = open(path, (*inout_rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 && *inout_rw && !write) {
		*inout_rw = false;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		dlog(1, "pin: no file handed over for %s, and %s: %s", path, path, strerror(errno));
		return -1;
	}
	*out_owned = true;
	return fd;
}

static int pin_vma(struct mem_source *src, struct mirror_window *w, const struct vma *v, uint64_t s,
		   uint64_t e, bool write)
{
	bool priv = v->perms[3] == 'p';
	bool rw = v->perms[1] == 'w' && !priv;
	bool owned;
	int fd, rc;

	/* private: only reading the file's own pages (above) */
	if (v->perms[0] != 'r' || (write && !rw))
		return -EFAULT;
	fd = vma_file(src, v, &rw, write, &owned);
	if (fd < 0)
		return -EFAULT;
	rc = priv ? private_pages_are_the_file(src, fd, s, e) : 0;
	if (!rc)
		rc = map_segment(src, w, v, fd, rw, s, e, write);
	if (owned)
		close(fd);
	return rc;
}

static bool mapped_already(struct mirror_window *w, uint64_t first, uint64_t last, bool write)
{
	for (uint64_t a = first; a <= last; a += PG_SIZE) {
		struct mirror_page *pg = page_at(w, a, false);

		if (!pg || !pg->file || !pg->pins || (write && !pg->rw))
			return false;
	}
	return true;
}

/* Map [uptr, last] of the source's address space into window w, from its mappings. */
static int map_range(struct mem_source *src, struct mirror_window *w, uint64_t uptr, uint64_t last,
		     bool write)
{
	uint64_t cursor = uptr;
	char *line = NULL;
	size_t cap = 0;
	char path[64];
	FILE *maps;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", src->pid);
	maps = fopen(path, "re");
	if (!maps)
		return -EFAULT;
	while (cursor <= last && getline(&line, &cap, maps) > 0) {
		unsigned int maj, min;
		uint64_t ino;
		struct vma v;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64, &v.start,
			   &v.end, v.perms, &v.off, &maj, &min, &ino) != 7)
			continue;
		v.dev = makedev(maj, min);
		v.ino = (ino_t)ino;
		if (v.end <= cursor)
			continue;
		if (v.start > cursor)
			break; /* a hole */
		rc = pin_vma(src, w, &v, cursor, v.end - 1 < last ? v.end : last + 1, write);
		if (rc)
			break;
		cursor = v.end - 1 < last ? v.end : last + 1;
		if (cursor == last + 1)
			break;
	}
	free(line);
	fclose(maps);
	if (!rc && cursor != last + 1)
		rc = -EFAULT;
	/* the files were the source's only if it is still there: a pid is reused only after */
	if (!rc && !source_alive(src))
		rc = -EFAULT;
	return rc;
}

static int mem_pin(void *priv, uint64_t uptr, uint64_t len, bool write, void **out_host)
{
	struct mem_source *src = to_source(priv);
	struct mirror_window *w;
	uint64_t last;
	int rc = 0;

	if (!len || (uptr | len) & (PG_SIZE - 1))
		return -EINVAL;
	if (uptr + (len - 1) < uptr || uptr + (len - 1) >= USER_TOP)
		return -EFAULT;
	last = uptr + (len - 1);
	/* as the kernel's pin of a dead mm, even of pages the mirror still holds */
	if (!source_alive(src))
		return -EFAULT;
	pthread_mutex_lock(&src->lock);
	w = window_get(&src->mirror, uptr, last, &rc);
	if (!w && rc == -EFAULT && src->mirror.idle) {
		/* a window kept only by idle units is in the way: they go */
		idle_trim(src);
		w = window_get(&src->mirror, uptr, last, &rc);
	}
	if (!w)
		goto out_unlock;
	/* pinned before: held by the mirror even if the program unmapped it since */
	if (!mapped_already(w, uptr, last, write)) {
		rc = map_range(src, w, uptr, last, write);
		if (rc == -ENOMEM && src->mirror.idle) {
			/* over the uid's limit: this process's idle units go first */
			release_unpinned(src, w, uptr, last, false);
			idle_trim(src);
			w = window_get(&src->mirror, uptr, last, &rc);
			if (!w)
				goto out_unlock;
			rc = map_range(src, w, uptr, last, write);
		}
		if (rc == -ESTALE_IDLE) {
			/* an idle unit mirrors memory the program has replaced: idle units go */
			idle_trim(src);
			w = window_get(&src->mirror, uptr, last, &rc);
			if (!w)
				goto out_unlock;
			rc = map_range(src, w, uptr, last, write);
			if (rc == -ESTALE_IDLE)
				rc = -EFAULT;
		}
		if (rc) {
			/* what this call mapped and nobody pins goes again */
			release_unpinned(src, w, uptr, last, false);
			if (!w->mapped)
				window_free(&src->mirror, w);
			goto out_unlock;
		}
	}
	pins_add(src, w, uptr, last, 1);
	*out_host = daddr(w, uptr);
	counter_add(pins_total, 1);
out_unlock:
	pthread_mutex_unlock(&src->lock);
	return rc;
}

/* The core gave back its pins of [uptr, uptr + len): units nobody pins any more go. */
static void mem_unpin(void *priv, uint64_t uptr, uint64_t len, void *host)
{
	struct mem_source *src = to_source(priv);
	struct mirror_window *w;
	uint64_t last = uptr + (len - 1);

	pthread_mutex_lock(&src->lock);
	for (w = src->mirror.windows; w; w = w->next)
		if (uptr - w->cbase < w->len)
			break;
	if (!w || daddr(w, uptr) != host || last - w->cbase >= w->len) {
		dlog(0, "unpin of [%#" PRIx64 ", +%#" PRIx64 ") that is not mirrored", uptr, len);
		goto out_unlock;
	}
	pins_add(src, w, uptr, last, -1);
	idle_mark(src, w, uptr, last);
	if (src->mirror.idle > limits.max_idle_pages)
		idle_trim(src);
out_unlock:
	pthread_mutex_unlock(&src->lock);
}

/* The source's last reference is gone: nothing can be pinned any more. */
static void mirror_release(struct mem_source *src)
{
	struct mirror *m = &src->mirror;

	uint64_t mapped = 0;

	for (struct mirror_window *w = m->windows; w; w = w->next)
		mapped += w->mapped;
	/* idle units are expected; a pinned one would mean unbalanced pins */
	if (mapped > m->idle)
		dlog(0, "process %d left %" PRIu64 " pinned mirrored pages behind", src->pid,
		     mapped - m->idle);
	while (m->windows) {
		struct mirror_window *w = m->windows;

		release_unpinned(src, w, w->cbase, w->cbase + w->len - 1, true);
		window_free(m, w);
	}
	free(m->files);
	m->files = NULL;
	m->nfiles = m->cap_files = 0;
}

void mem_unhold(void *src)
{
	if (src)
		mem_source_put(src);
}

int mem_handover(struct client *c, struct call *call, int fd, void **hold)
{
	struct call *saved = c->call;
	struct mem_source *src;
	int rc;

	c->call = call;
	src = mem_source_get(c);
	c->call = saved;
	if (!src)
		return -ENOMEM;
	if (!source_alive(src)) {
		mem_source_put(src);
		return -EFAULT;
	}
	pthread_mutex_lock(&src->lock);
	rc = handed_add(&src->handed, fd, src->pid);
	pthread_mutex_unlock(&src->lock);
	/* a call channel keeps what its process handed over for its whole life (the shim does
	 * not hand a file over twice on one channel); otherwise the connection holds it */
	if (hold && !*hold && !rc)
		*hold = src;
	else
		mem_source_put(src);
	return rc;
}

/* An fd the core made, for the program: sent on the reply channel, our copy closed. */
static int mem_install_fd(void *priv, int fd, unsigned int flags)
{
	int rc = client_install_fd(priv, fd, flags);

	if (rc >= 0)
		close(fd);
	return rc;
}

/* The process whose call this thread serves has exited: a waiting DMA gives up. */
static bool mem_caller_gone(void *priv)
{
	struct call *call = client_call(priv);

	return call && call->pidfd >= 0 && !ident_alive(call->pidfd);
}

const struct ioasid_mem_ops client_mem_ops = {
	.copy_from_user = mem_copy_from,
	.copy_to_user = mem_copy_to,
	.pin_user = mem_pin,
	.unpin_user = mem_unpin,
	.memlock_limit = mem_memlock_limit,
	.install_fd = mem_install_fd,
	.source_get = mem_source_get,
	.source_put = mem_source_put,
	.caller_gone = mem_caller_gone,
};
