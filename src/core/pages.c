/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pages.c - the memory behind areas, pinned once, charged to RLIMIT_MEMLOCK.
 *
 * A pages object is a page-aligned range of a client's address space (MAP) or of a file
 * (MAP_FILE). Areas point into it; IOMMU_IOAS_COPY makes several areas, in several IOAS,
 * share one. Nothing is pinned when it is created: a page is pinned when the first holder
 * needs it (an area whose IOAS has a domain, an access) and released when the last lets go.
 * pinrefs[] counts holders per page, so the same page is pinned and charged once however
 * many domains or accesses use it. Its writers hold the owning context's lock; the
 * selftest's pin count (pages_count_user_pins) reads other contexts' objects under
 * acct_lock only, so every access to an element is atomic (relaxed: a count, no ordering).
 *
 * Accounting follows the kernel's iommufd:
 *   - PAGES_ACCOUNT_USER (default): charged to the user's locked_vm; the user's
 *     RLIMIT_MEMLOCK at the time of pinning is the limit (ENOMEM beyond it);
 *   - PAGES_ACCOUNT_MM (IOMMU_OPTION_RLIMIT_MODE 1): charged to the process's locked_vm;
 *   - PAGES_ACCOUNT_NONE: the caller has CAP_IPC_LOCK;
 *   - in every mode the process's pinned_vm counts the pinned pages.
 * A charge is all-or-nothing: a pin that would pass the limit changes no counter.
 *
 * The counters live here, keyed by uid and by pid, shared by every context of this process
 * (in the daemon: every client). acct_lock protects them and the registry; it nests inside
 * ctx->lock.
 *
 * The source. As the kernel's pages object keeps the mm of the process that mapped it, ours
 * keeps a source from the mem ops (source_get, at creation): every pin_user, unpin_user and
 * memlock_limit of the object goes to that process, whoever's call causes it. Without
 * source ops the source is the context's mem_priv (in-process: this process).
 *
 * How the mem ops are called: pin_user once per run of pages this object does not hold
 * yet, unpin_user once per run it lets go, so per page the calls balance and a mem
 * implementation may keep its own per-page counts. The object reaches its memory at
 * host + offset, linearly: a later run whose host does not follow the first is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/private.h"
#include "iommu/phys.h"
#include "util/scount.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif

/* ---- accounting ---------------------------------------------------------------------- */

struct acct_user {
	struct acct_user *next;
	uid_t uid;
	unsigned int refs;
	uint64_t locked_pages; /* protected by acct_lock */
};

struct acct_proc {
	struct acct_proc *next;
	pid_t pid;
	unsigned int refs;
	uint64_t locked_pages; /* protected by acct_lock */
	uint64_t pinned_pages; /* protected by acct_lock */
};

static pthread_mutex_t acct_lock = PTHREAD_MUTEX_INITIALIZER;
static struct acct_user *acct_users; /* protected by acct_lock */
static struct acct_proc *acct_procs; /* protected by acct_lock */
static struct pages *pinned_list;    /* pages with npinned > 0, protected by acct_lock */

static void pinned_link(struct pages *p)
{
	pthread_mutex_lock(&acct_lock);
	p->pin_next = pinned_list;
	if (pinned_list)
		pinned_list->pin_pprev = &p->pin_next;
	pinned_list = p;
	p->pin_pprev = &pinned_list;
	pthread_mutex_unlock(&acct_lock);
}

static void pinned_unlink(struct pages *p)
{
	pthread_mutex_lock(&acct_lock);
	if (p->pin_pprev) {
		*p->pin_pprev = p->pin_next;
		if (p->pin_next)
			p->pin_next->pin_pprev = p->pin_pprev;
		p->pin_next = NULL;
		p->pin_pprev = NULL;
	}
	pthread_mutex_unlock(&acct_lock);
}

unsigned int pages_count_user_pins(const struct ioasid_mem_ops *mem, void *source, uint64_t uptr)
{
	unsigned int n = 0;

	pthread_mutex_lock(&acct_lock);
	for (struct pages *p = pinned_list; p; p = p->pin_next) {
		uint64_t idx;

		if (p->kind != PAGES_USER || p->mem != mem || p->mem_priv != source ||
		    uptr < p->uptr)
			continue;
		idx = (uptr - p->uptr) >> IOASID_PAGE_SHIFT;
		if (idx < p->npages && scount_get(&p->pinrefs, idx))
			n++;
	}
	pthread_mutex_unlock(&acct_lock);
	return n;
}

struct acct_user *acct_get_user(uid_t uid)
{
	struct acct_user *u;

	pthread_mutex_lock(&acct_lock);
	for (u = acct_users; u; u = u->next)
		if (u->uid == uid)
			break;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (u) {
			u->uid = uid;
			u->next = acct_users;
			acct_users = u;
		}
	}
	if (u)
		u->refs++;
	pthread_mutex_unlock(&acct_lock);
	return u;
}

void acct_put_user(struct acct_user *u)
{
	struct acct_user **pp;

	pthread_mutex_lock(&acct_lock);
	if (--u->refs == 0) {
		for (pp = &acct_users; *pp != u; pp = &(*pp)->next)
			;
		*pp = u->next;
		free(u);
	}
	pthread_mutex_unlock(&acct_lock);
}

struct acct_proc *acct_get_proc(pid_t pid)
{
	struct acct_proc *p;

	pthread_mutex_lock(&acct_lock);
	for (p = acct_procs; p; p = p->next)
		if (p->pid == pid)
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (p) {
			p->pid = pid;
			p->next = acct_procs;
			acct_procs = p;
		}
	}
	if (p)
		p->refs++;
	pthread_mutex_unlock(&acct_lock);
	return p;
}

void acct_put_proc(struct acct_proc *p)
{
	struct acct_proc **pp;

	pthread_mutex_lock(&acct_lock);
	if (--p->refs == 0) {
		for (pp = &acct_procs; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		free(p);
	}
	pthread_mutex_unlock(&acct_lock);
}

void ioasid_acct_get(uid_t uid, pid_t pid, struct ioasid_acct_info *out)
{
	struct acct_user *u;
	struct acct_proc *p;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&acct_lock);
	for (u = acct_users; u; u = u->next)
		if (u->uid == uid)
			out->user_locked_pages = u->locked_pages;
	for (p = acct_procs; p; p = p->next)
		if (p->pid == pid) {
			out->proc_locked_pages = p->locked_pages;
			out->proc_pinned_pages = p->pinned_pages;
		}
	pthread_mutex_unlock(&acct_lock);
}

static uint64_t pages_limit(struct pages *p)
{
	uint64_t bytes = p->mem->memlock_limit ? p->mem->memlock_limit(p->mem_priv) : UINT64_MAX;

	return bytes >> IOASID_PAGE_SHIFT;
}

/* Charge n more pinned pages: all or nothing. */
static int acct_charge(struct pages *p, uint64_t n)
{
	uint64_t limit = 0, next;
	int rc = 0;

	if (p->account_mode != PAGES_ACCOUNT_NONE)
		limit = pages_limit(p);
	pthread_mutex_lock(&acct_lock);
	switch (p->account_mode) {
	case PAGES_ACCOUNT_USER:
		if (check_add_u64(p->acct_user->locked_pages, n, &next) || next > limit)
			rc = -ENOMEM;
		else
			p->acct_user->locked_pages = next;
		break;
	case PAGES_ACCOUNT_MM:
		if (check_add_u64(p->acct_proc->locked_pages, n, &next) || next > limit)
			rc = -ENOMEM;
		else
			p->acct_proc->locked_pages = next;
		break;
	default:
		break;
	}
	if (!rc)
		p->acct_proc->pinned_pages += n;
	pthread_mutex_unlock(&acct_lock);
	return rc;
}

static void acct_uncharge(struct pages *p, uint64_t n)
{
	pthread_mutex_lock(&acct_lock);
	if (p->account_mode == PAGES_ACCOUNT_USER)
		p->acct_user->locked_pages -= n;
	else if (p->account_mode == PAGES_ACCOUNT_MM)
		p->acct_proc->locked_pages -= n;
	p->acct_proc->pinned_pages -= n;
	pthread_mutex_unlock(&acct_lock);
}

/* ---- sources ---------------------------------------------------------------------------- */

int pages_source_get(struct ioasid_ctx *ctx, void **out_source)
{
	const struct ioasid_mem_ops *mem = ctx->params.mem;

	if (!mem->source_get) {
		*out_source = ctx->params.mem_priv;
		return 0;
	}
	*out_source = mem->source_get(ctx->params.mem_priv);
	return *out_source ? 0 : -ENOMEM;
}

void pages_source_put(const struct ioasid_mem_ops *mem, void *source)
{
	if (mem->source_put)
		mem->source_put(source);
}

/* ---- files: one fd per file, however many areas map it --------------------------------- */

/*
 * MAP_FILE keeps a reference to the file, as the kernel's pages object keeps its struct
 * file. Ours is an fd, and one per area would run a daemon out of fds (100,000 areas of one
 * memfd); so every pages object of the same file, opened the same way (readable, or
 * readable and writable), shares one dup, counted. The key is the inode and the access
 * mode: the shared fd must allow what each object may do. files_lock protects the table;
 * it is taken alone.
 */
struct pages_file {
	struct pages_file *next;
	dev_t dev;
	ino_t ino;
	bool rw;
	int fd;
	unsigned long refs;
};

#define FILES_BUCKETS 256
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pages_file *files[FILES_BUCKETS]; /* files_lock */

static unsigned int files_bucket(const struct stat *st)
{
	return (unsigned int)((st->st_ino * 31 + st->st_dev) % FILES_BUCKETS);
}

/* The shared file of fd (stat st): a reference, or NULL with *out_err. */
static struct pages_file *pages_file_get(int fd, const struct stat *st, bool rw, int *out_err)
{
	struct pages_file *f, **head = &files[files_bucket(st)];

	pthread_mutex_lock(&files_lock);
	for (f = *head; f; f = f->next)
		if (f->dev == st->st_dev && f->ino == st->st_ino && f->rw == rw)
			break;
	if (f) {
		f->refs++;
		goto out_unlock;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		*out_err = -ENOMEM;
		goto out_unlock;
	}
	f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (f->fd < 0) {
		*out_err = errno == EMFILE ? -EMFILE : -ENOMEM;
		free(f);
		f = NULL;
		goto out_unlock;
	}
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->rw = rw;
	f->refs = 1;
	f->next = *head;
	*head = f;
out_unlock:
	pthread_mutex_unlock(&files_lock);
	return f;
}

static void pages_file_put(struct pages_file *f)
{
	struct stat st = { .st_dev = f->dev, .st_ino = f->ino };
	struct pages_file **pp;

	pthread_mutex_lock(&files_lock);
	if (--f->refs) {
		pthread_mutex_unlock(&files_lock);
		return;
	}
	for (pp = &files[files_bucket(&st)]; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	pthread_mutex_unlock(&files_lock);
	close(f->fd);
	free(f);
}

/* ---- pages objects -------------------------------------------------------------------- */

/*
 * The object's region of emulated physical addresses (iommu/phys.h): added when its memory
 * first becomes reachable (p->host set), withdrawn when that ends. Names are what domains
 * map (pages_name); the host address stays for the core's own copies (accesses). An object
 * larger than the name space (4 TiB; the kernel lets a program map 2^62 bytes it will never
 * pin) gets no names: accesses still work, a domain cannot map it (area_map_domain).
 */
static int pages_phys_add(struct pages *p)
{
	/* charged to the user the memory is charged to (the fair share of a shared table) */
	int rc = iommu_phys_add_charged(
		p->host, p->npages << IOASID_PAGE_SHIFT, IOMMU_PHYS_PAGES, p,
		p->acct_user ? (int64_t)p->acct_user->uid : IOMMU_PHYS_UNCHARGED, &p->phys);

	return rc == -EINVAL ? 0 : rc;
}

static void pages_phys_drop(struct pages *p)
{
	iommu_phys_withdraw(p->phys);
	p->phys = NULL;
}

static struct pages *pages_alloc(struct ioasid_ctx *ctx, uint64_t npages, bool writable)
{
	struct pages *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (pages_source_get(ctx, &p->mem_priv)) {
		free(p);
		return NULL;
	}
	p->refs = 1;
	p->fd = -1;
	p->npages = npages;
	scount_init(&p->pinrefs, npages);
	p->writable = writable;
	p->account_mode = ctx->account_mode;
	p->acct_user = ctx->acct_user;
	p->acct_proc = ctx->acct_proc;
	p->mem = ctx->params.mem;
	/* the accounting objects outlive the context if pages do (COPY keeps them) */
	pthread_mutex_lock(&acct_lock);
	p->acct_user->refs++;
	p->acct_proc->refs++;
	pthread_mutex_unlock(&acct_lock);
	return p;
}

/* The number of pages covering [start, start + length): length >= 1, no overflow. */
static int pages_span(uint64_t start, uint64_t length, uint64_t *out_base, uint64_t *out_n)
{
	uint64_t last, base = ALIGN_DOWN_U64(start, IOASID_PAGE_SIZE);

	if (!length)
		return -EINVAL;
	if (check_add_u64(start, length - 1, &last))
		return -EOVERFLOW;
	*out_base = base;
	*out_n = (last >> IOASID_PAGE_SHIFT) - (base >> IOASID_PAGE_SHIFT) + 1;
	return 0;
}

struct pages *pages_new_user(struct ioasid_ctx *ctx, uint64_t uptr, uint64_t length, bool writable)
{
	uint64_t base, n;
	struct pages *p;

	if (pages_span(uptr, length, &base, &n))
		return NULL;
	p = pages_alloc(ctx, n, writable);
	if (!p)
		return NULL;
	p->kind = PAGES_USER;
	p->uptr = base;
	return p;
}

bool pages_any_file_pinned(void)
{
	bool any = false;

	pthread_mutex_lock(&acct_lock);
	for (struct pages *p = pinned_list; p && !any; p = p->pin_next)
		any = p->kind == PAGES_FILE && !p->dmabuf;
	pthread_mutex_unlock(&acct_lock);
	return any;
}

unsigned int pages_count_file_pins(uint64_t dev, uint64_t ino, uint64_t offset)
{
	unsigned int n = 0;

	pthread_mutex_lock(&acct_lock);
	for (struct pages *p = pinned_list; p; p = p->pin_next) {
		uint64_t idx;

		if (p->kind != PAGES_FILE || p->dmabuf || !p->file || p->file->dev != dev ||
		    p->file->ino != ino || offset < p->file_start)
			continue;
		idx = (offset - p->file_start) >> IOASID_PAGE_SHIFT;
		if (idx < p->npages && scount_get(&p->pinrefs, idx))
			n++;
	}
	pthread_mutex_unlock(&acct_lock);
	return n;
}

struct pages *pages_new_file(struct ioasid_ctx *ctx, int fd, uint64_t start, uint64_t length,
			     bool writable, int *out_err)
{
	uint64_t base, n;
	struct pages *p;
	struct stat st;
	int rc, acc;

	rc = pages_span(start, length, &base, &n);
	if (rc)
		goto err;
	if (fstat(fd, &st)) {
		rc = -EBADF;
		goto err;
	}
	acc = fcntl(fd, F_GETFL);
	if (!S_ISREG(st.st_mode) || acc < 0 || (acc & O_ACCMODE) == O_WRONLY ||
	    (writable && (acc & O_ACCMODE) != O_RDWR)) {
		rc = -EINVAL;
		goto err;
	}
	p = pages_alloc(ctx, n, writable);
	if (!p) {
		rc = -ENOMEM;
		goto err;
	}
	/* the file's access mode, not the map's: objects of one open file share one fd */
	p->file = pages_file_get(fd, &st, (acc & O_ACCMODE) == O_RDWR, &rc);
	if (!p->file) {
		pages_put(p);
		goto err;
	}
	p->fd = p->file->fd;
	p->kind = PAGES_FILE;
	p->file_start = base;
	return p;

err:
	*out_err = rc;
	return NULL;
}

struct pages *pages_new_dmabuf(struct ioasid_ctx *ctx, struct ioasid_dmabuf *b, uint64_t start,
			       uint64_t length, bool writable, int *out_err)
{
	uint64_t base, n, off;
	unsigned int gen;
	struct pages *p;
	struct stat st;
	int rc, fd;

	rc = pages_span(start, length, &base, &n);
	if (rc)
		goto err;
	rc = dmabuf_import(b, ctx, start, length, &fd, &off, &gen);
	if (rc)
		goto err;
	p = pages_alloc(ctx, n, writable);
	if (!p) {
		rc = -ENOMEM;
		goto err_unimport;
	}
	/* no pinned page accounting for a dma-buf: it is the exporter's memory, not the user's */
	p->account_mode = PAGES_ACCOUNT_NONE;
	p->dmabuf = b;
	p->dmabuf_ctx = ctx;
	p->dmabuf_gen = gen;
	rc = -ENOMEM;
	if (!fstat(fd, &st))
		p->file = pages_file_get(fd, &st, true, &rc);
	close(fd);
	if (!p->file) {
		pages_put(p); /* lets go of the import's reference */
		goto err;
	}
	p->fd = p->file->fd;
	p->kind = PAGES_FILE;
	p->file_start = off + base;
	return p;

err_unimport:
	close(fd);
	dmabuf_release(b, ctx);
err:
	*out_err = rc;
	return NULL;
}

void pages_get(struct pages *p)
{
	p->refs++;
}

void pages_put(struct pages *p)
{
	if (--p->refs)
		return;
	pinned_unlink(p);
	pages_phys_drop(p);
	if (p->host && p->kind == PAGES_FILE)
		munmap(p->host, p->host_len);
	if (p->file)
		pages_file_put(p->file);
	if (p->dmabuf)
		dmabuf_release(p->dmabuf, p->dmabuf_ctx);
	scount_free(&p->pinrefs);
	acct_put_user(p->acct_user);
	acct_put_proc(p->acct_proc);
	pages_source_put(p->mem, p->mem_priv);
	free(p);
}

/*
 * Add delta (+1 or -1) to the holders of pages [first, last], whose counters exist; the
 * number of pages whose count ends at 0.
 */
static uint64_t pinrefs_add(struct pages *p, uint64_t first, uint64_t last, int delta)
{
	uint64_t i = first, zeroes = 0;
	unsigned int avail;

	while (i <= last) {
		uint32_t *c = scount_leaf(&p->pinrefs, i, false, &avail);
		uint64_t n = last - i + 1 < avail ? last - i + 1 : avail;

		for (uint64_t k = 0; k < n; k++)
			zeroes += __atomic_add_fetch(&c[k], (uint32_t)delta, __ATOMIC_RELAXED) == 0;
		i += n;
	}
	return zeroes;
}

/* Pin the user pages [first, last], none of which this object holds yet. */
static int pages_pin_user_run(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t off = first << IOASID_PAGE_SHIFT;
	uint64_t len = (last - first + 1) << IOASID_PAGE_SHIFT;
	void *host;
	int rc;

	rc = p->mem->pin_user(p->mem_priv, p->uptr + off, len, p->writable, &host);
	if (rc)
		return rc;
	if (!p->host) {
		p->host = (uint8_t *)host - off;
		rc = pages_phys_add(p);
		if (rc) {
			p->mem->unpin_user(p->mem_priv, p->uptr + off, len, host);
			p->host = NULL;
		}
		return rc;
	}
	if (host != p->host + off) {
		/* the object must be reachable linearly: host + offset */
		p->mem->unpin_user(p->mem_priv, p->uptr + off, len, host);
		return -EFAULT;
	}
	return 0;
}

static void pages_unpin_user_run(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t off = first << IOASID_PAGE_SHIFT;

	p->mem->unpin_user(p->mem_priv, p->uptr + off, (last - first + 1) << IOASID_PAGE_SHIFT,
			   p->host + off);
}

/*
 * The next run of pages with no holder inside [*cursor, last]: false when there is none.
 * Moves *cursor past the run (page indexes are far from UINT64_MAX).
 */
static bool pages_next_free_run(struct pages *p, uint64_t *cursor, uint64_t last,
				uint64_t *out_first, uint64_t *out_last)
{
	uint64_t i = *cursor;

	while (i <= last && scount_get(&p->pinrefs, i))
		i++;
	if (i > last)
		return false;
	*out_first = i;
	while (i < last && !scount_get(&p->pinrefs, i + 1))
		i++;
	*out_last = i;
	*cursor = i + 1;
	return true;
}

/* Release the user pages of [first, last] that have no holder (pinned by this call). */
static void pages_unpin_free_runs(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t cursor = first, s, e;

	while (cursor <= last && pages_next_free_run(p, &cursor, last, &s, &e))
		pages_unpin_user_run(p, s, e);
}

/* A file: mapped whole at the first pin, [first, last] faulted in. */
static int pages_fault_in_file(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t off = first << IOASID_PAGE_SHIFT;
	uint64_t len = (last - first + 1) << IOASID_PAGE_SHIFT;

	if (!p->host) {
		int prot = PROT_READ | (p->writable ? PROT_WRITE : 0);
		void *m = mmap(NULL, p->npages << IOASID_PAGE_SHIFT, prot, MAP_SHARED, p->fd,
			       (off_t)p->file_start);

		if (m == MAP_FAILED)
			return errno == ENOMEM ? -ENOMEM : -EFAULT;
		p->host = m;
		p->host_len = p->npages << IOASID_PAGE_SHIFT;
		if (pages_phys_add(p)) {
			munmap(p->host, p->host_len);
			p->host = NULL;
			return -ENOMEM;
		}
	}
	/*
	 * Populating past the end of the file fails as the kernel's pin does: EINVAL for pages
	 * beyond the file's size (memfd_pin_folios, shmem's answer), EFAULT otherwise.
	 */
	if (madvise(p->host + off, len, p->writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ)) {
		struct stat st;

		if (!fstat(p->fd, &st) && p->file_start + off + len > (uint64_t)st.st_size)
			return -EINVAL;
		return -EFAULT;
	}
	return 0;
}

int pages_pin(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t i, fresh = 0, cursor, s = 0, e = 0;
	int rc = 0;

	if (last < first || last >= p->npages)
		return -EINVAL;
	/* the counters of [first, last] exist before anything is pinned or charged */
	if (scount_reserve(&p->pinrefs, first, last))
		return -ENOMEM;
	for (i = first; i <= last; i++)
		fresh += !scount_get(&p->pinrefs, i);
	if (fresh && !p->dmabuf) {
		rc = acct_charge(p, fresh);
		if (rc)
			return rc;
	}
	if (fresh && p->kind == PAGES_FILE) {
		rc = pages_fault_in_file(p, first, last);
		if (rc)
			goto out_uncharge;
	} else if (fresh) {
		cursor = first;
		while (cursor <= last && pages_next_free_run(p, &cursor, last, &s, &e)) {
			rc = pages_pin_user_run(p, s, e);
			if (rc)
				goto out_unpin_runs;
		}
	}
	pinrefs_add(p, first, last, 1);
	if (!p->npinned && fresh)
		pinned_link(p);
	p->npinned += fresh;
	return 0;

out_unpin_runs:
	/* the runs before s were pinned by this call: their pinrefs are still 0 */
	if (s > first)
		pages_unpin_free_runs(p, first, s - 1);
	if (!p->npinned) {
		pages_phys_drop(p);
		p->host = NULL;
	}
out_uncharge:
	if (!p->dmabuf)
		acct_uncharge(p, fresh);
	return rc;
}

bool pages_is_pinned(const struct pages *p, uint64_t idx)
{
	return idx < p->npages && scount_get(&p->pinrefs, idx);
}

void pages_unpin(struct pages *p, uint64_t first, uint64_t last)
{
	uint64_t released = pinrefs_add(p, first, last, -1);

	if (!released)
		return;
	if (p->kind == PAGES_USER)
		pages_unpin_free_runs(p, first, last);
	if (!p->dmabuf)
		acct_uncharge(p, released);
	p->npinned -= released;
	if (!p->npinned) {
		pinned_unlink(p);
		if (p->kind == PAGES_USER) {
			/* every leaf naming it is gone and flushed (the unmap's iotlb_sync) */
			pages_phys_drop(p);
			p->host = NULL;
		}
	}
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS moves every pages object of a context to the caller: its charge
 * to ctx's user and process, its source to the caller's. It is all or nothing across the
 * objects, in three steps: prepare takes the new source and charges the new counters for
 * each object (nothing old is touched), abort undoes prepared objects if one fails, commit
 * then releases the old charge and source. An object shared by several areas is prepared
 * once (chg_pending).
 */
static bool pages_acct_differs(const struct pages *p, const struct ioasid_ctx *ctx)
{
	return p->acct_user != ctx->acct_user || p->acct_proc != ctx->acct_proc ||
	       p->account_mode != ctx->account_mode;
}

/* p's charge as it will be under ctx: for charging and uncharging the new counters. */
static struct pages pages_as_moved(const struct pages *p, const struct ioasid_ctx *ctx)
{
	struct pages moved = *p;

	moved.account_mode = ctx->account_mode;
	moved.acct_user = ctx->acct_user;
	moved.acct_proc = ctx->acct_proc;
	moved.mem = ctx->params.mem;
	moved.mem_priv = ctx->params.mem_priv;
	return moved;
}

int pages_change_prepare(struct pages *p, struct ioasid_ctx *ctx)
{
	int rc;

	if (p->chg_pending)
		return 0;
	rc = pages_source_get(ctx, &p->chg_source);
	if (rc)
		return rc;
	p->chg_charged = false;
	if (pages_acct_differs(p, ctx) && p->npinned) {
		struct pages moved = pages_as_moved(p, ctx);

		rc = acct_charge(&moved, p->npinned);
		if (rc) {
			pages_source_put(ctx->params.mem, p->chg_source);
			return rc;
		}
		p->chg_charged = true;
	}
	p->chg_pending = true;
	return 0;
}

void pages_change_abort(struct pages *p, struct ioasid_ctx *ctx)
{
	if (!p->chg_pending)
		return;
	if (p->chg_charged) {
		struct pages moved = pages_as_moved(p, ctx);

		acct_uncharge(&moved, p->npinned);
	}
	pages_source_put(ctx->params.mem, p->chg_source);
	p->chg_pending = false;
}

void pages_change_commit(struct pages *p, struct ioasid_ctx *ctx)
{
	if (!p->chg_pending)
		return;
	if (pages_acct_differs(p, ctx)) {
		if (p->chg_charged)
			acct_uncharge(p, p->npinned);
		pthread_mutex_lock(&acct_lock);
		ctx->acct_user->refs++;
		ctx->acct_proc->refs++;
		pthread_mutex_unlock(&acct_lock);
		acct_put_user(p->acct_user);
		acct_put_proc(p->acct_proc);
		p->account_mode = ctx->account_mode;
		p->acct_user = ctx->acct_user;
		p->acct_proc = ctx->acct_proc;
	}
	pages_source_put(p->mem, p->mem_priv);
	p->mem = ctx->params.mem;
	p->mem_priv = p->chg_source;
	p->chg_pending = false;
}
