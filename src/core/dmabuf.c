/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dmabuf.c - the registry of dma-bufs: what exporters made, what MAP_FILE finds by fd, and
 * revocation reaching every IOAS that mapped one.
 *
 * Words: an entry is one dma-buf; its token is the pipe whose read end the program holds
 * (dmabuf.h says why a pipe); an importer is a pages object mapping it (pages.c), which holds
 * a reference; a context that ever imported one is linked on ctx_list so that a revoke can
 * visit it.
 *
 * Lifetime: an entry lives while its token has a reader (the program's fd, its dups, a
 * daemon's in-flight copy) or an importer holds it. Nothing tells us when the program
 * closes its fd, so dead tokens are found by polling the write end (POLLERR: no reader),
 * when an entry's last reference goes and before each export (which also bounds what one
 * exporter may have: max_per_owner live entries, EMFILE beyond).
 *
 * Revocation: the entry's revoked flag says whether new imports are refused (ENODEV); its
 * generation counts revokes. An importer remembers the generation it imported at; a
 * revoke visits each context importing a revoked entry (the entry's imps), under that
 * context's lock (ioas_dmabuf_revoke), and unmaps every area whose pages are of an older
 * generation, for good (a restore does not bring them back, as iommufd's importer). A
 * context is linked from its first import until ioasid_ctx_free, which waits until no
 * revoke holds it (holds, fini_cond).
 *
 * Locking: dmabuf_lock protects the list, every entry's fields, ctx_list and each context's
 * dmabuf_* fields. It nests inside ctx->lock (MAP_FILE imports under it); a revoke drops it
 * before taking a context's lock.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dmabuf.h"
#include "core/private.h"

struct ioasid_dmabuf {
	struct ioasid_dmabuf *next;
	const void *owner; /* NULL once the exporter is gone */
	uint64_t size;
	unsigned int nr_ranges;
	int backing_fd; /* ours, or -1 */
	uint64_t backing_off;
	bool revoked;
	unsigned int gen;  /* revokes so far: importers of an older one are unmapped */
	unsigned int refs; /* importers and lookups in flight */
	/* the contexts whose pages import it, each with its count: a revoke visits those */
	struct dmabuf_imp {
		struct ioasid_ctx *ctx;
		unsigned int n;
	} * imps;
	unsigned int nimps;
	int token_w; /* the pipe's write end: alive while the program holds the read end */
	dev_t st_dev;
	ino_t st_ino;
};

static pthread_mutex_t dmabuf_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fini_cond = PTHREAD_COND_INITIALIZER;
static struct ioasid_dmabuf *dmabufs; /* dmabuf_lock */
static struct ioasid_ctx *ctx_list;   /* dmabuf_lock: contexts that imported one */

/* No reader left on the token: the program closed every copy. dmabuf_lock. */
static bool token_dead(const struct ioasid_dmabuf *b)
{
	struct pollfd pfd = { .fd = b->token_w, .events = POLLOUT };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR);
}

static void entry_free(struct ioasid_dmabuf *b)
{
	free(b->imps);
	close(b->token_w);
	if (b->backing_fd >= 0)
		close(b->backing_fd);
	free(b);
}

/* Unlink and free every entry nothing holds and whose token is dead. dmabuf_lock. */
static void sweep_locked(void)
{
	struct ioasid_dmabuf **pp = &dmabufs;

	while (*pp) {
		struct ioasid_dmabuf *b = *pp;

		if (!b->refs && token_dead(b)) {
			*pp = b->next;
			entry_free(b);
		} else {
			pp = &b->next;
		}
	}
}

int dmabuf_export(const struct ioasid_dmabuf_desc *d, int *out_fd)
{
	struct ioasid_dmabuf *b;
	unsigned int n = 0;
	struct stat st;
	int p[2], rc;

	if (!d->size || (d->size & (IOASID_PAGE_SIZE - 1)) || !d->nr_ranges)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->backing_fd = -1;
	if (d->backing_fd >= 0) {
		b->backing_fd = fcntl(d->backing_fd, F_DUPFD_CLOEXEC, 3);
		if (b->backing_fd < 0) {
			rc = errno == EMFILE ? -EMFILE : -ENOMEM;
			free(b);
			return rc;
		}
	}
	/* non-blocking: a read of the program's end answers EAGAIN rather than waiting forever */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		rc = errno == EMFILE || errno == ENFILE ? -EMFILE : -ENOMEM;
		goto err_backing;
	}
	if (fstat(p[0], &st)) {
		rc = -ENOMEM;
		goto err_pipe;
	}
	b->owner = d->owner;
	b->size = d->size;
	b->nr_ranges = d->nr_ranges;
	b->backing_off = d->backing_off;
	b->revoked = d->revoked;
	b->token_w = p[1];
	b->st_dev = st.st_dev;
	b->st_ino = st.st_ino;

	pthread_mutex_lock(&dmabuf_lock);
	sweep_locked();
	for (struct ioasid_dmabuf *o = dmabufs; o; o = o->next)
		n += o->owner == d->owner;
	if (d->max_per_owner && n >= d->max_per_owner) {
		pthread_mutex_unlock(&dmabuf_lock);
		rc = -EMFILE;
		goto err_pipe;
	}
	b->next = dmabufs;
	dmabufs = b;
	pthread_mutex_unlock(&dmabuf_lock);
	*out_fd = p[0];
	return 0;

err_pipe:
	close(p[0]);
	close(p[1]);
err_backing:
	if (b->backing_fd >= 0)
		close(b->backing_fd);
	free(b);
	return rc;
}

/* The entry fd's token names, or NULL. dmabuf_lock. */
static struct ioasid_dmabuf *find_locked(const struct stat *st)
{
	if (!S_ISFIFO(st->st_mode))
		return NULL;
	for (struct ioasid_dmabuf *b = dmabufs; b; b = b->next)
		if (b->st_dev == st->st_dev && b->st_ino == st->st_ino)
			return b;
	return NULL;
}

struct ioasid_dmabuf *dmabuf_get_fd(int fd)
{
	struct ioasid_dmabuf *b;
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	pthread_mutex_lock(&dmabuf_lock);
	b = find_locked(&st);
	if (b)
		b->refs++;
	pthread_mutex_unlock(&dmabuf_lock);
	return b;
}

void dmabuf_put(struct ioasid_dmabuf *b)
{
	pthread_mutex_lock(&dmabuf_lock);
	if (!--b->refs && token_dead(b)) {
		struct ioasid_dmabuf **pp = &dmabufs;

		while (*pp != b)
			pp = &(*pp)->next;
		*pp = b->next;
		entry_free(b);
	}
	pthread_mutex_unlock(&dmabuf_lock);
}

int dmabuf_import(struct ioasid_dmabuf *b, struct ioasid_ctx *ctx, uint64_t start, uint64_t length,
		  int *out_fd, uint64_t *out_off, unsigned int *out_gen)
{
	uint64_t last;
	int rc = 0;

	/* the caller checked length != 0 and start + length - 1 for overflow */
	if (check_add_u64(start, length - 1, &last))
		return -EOVERFLOW;
	pthread_mutex_lock(&dmabuf_lock);
	/* as iommufd: inside the dma-buf, and within what one batch entry counts */
	if (last >= b->size || length / IOASID_PAGE_SIZE >= UINT32_MAX)
		rc = -EINVAL;
	else if (b->revoked)
		rc = -ENODEV;
	else if (b->nr_ranges != 1 || b->backing_fd < 0)
		rc = -EOPNOTSUPP; /* no single range of memory the IOMMU side reaches */
	if (!rc) {
		*out_fd = fcntl(b->backing_fd, F_DUPFD_CLOEXEC, 3);
		if (*out_fd < 0)
			rc = errno == EMFILE ? -EMFILE : -ENOMEM;
	}
	if (!rc) {
		unsigned int i = 0;

		while (i < b->nimps && b->imps[i].ctx != ctx)
			i++;
		if (i == b->nimps) {
			struct dmabuf_imp *grown = realloc(b->imps, (i + 1) * sizeof(*grown));

			if (!grown) {
				close(*out_fd);
				rc = -ENOMEM;
				goto out_unlock;
			}
			b->imps = grown;
			b->imps[b->nimps++] = (struct dmabuf_imp){ ctx, 0 };
		}
		b->imps[i].n++;
		*out_off = b->backing_off;
		*out_gen = b->gen;
		b->refs++;
		if (!ctx->dmabuf_linked) {
			ctx->dmabuf_linked = true;
			ctx->dmabuf_next = ctx_list;
			ctx_list = ctx;
		}
	}
out_unlock:
	pthread_mutex_unlock(&dmabuf_lock);
	return rc;
}

void dmabuf_release(struct ioasid_dmabuf *b, struct ioasid_ctx *ctx)
{
	pthread_mutex_lock(&dmabuf_lock);
	for (unsigned int i = 0; i < b->nimps; i++)
		if (b->imps[i].ctx == ctx && !--b->imps[i].n) {
			b->imps[i] = b->imps[--b->nimps];
			break;
		}
	pthread_mutex_unlock(&dmabuf_lock);
	dmabuf_put(b);
}

bool dmabuf_stale(struct ioasid_dmabuf *b, unsigned int gen)
{
	bool stale;

	pthread_mutex_lock(&dmabuf_lock);
	stale = b->gen != gen;
	pthread_mutex_unlock(&dmabuf_lock);
	return stale;
}

/*
 * A revoke's visits: the contexts importing the entries it revoked, each held (holds) so
 * that ioasid_ctx_free waits for it. Only those: a context's lock is never taken for a
 * dma-buf it does not map (two contexts revoking their own at once do not meet). dmabuf_lock.
 */
struct visits {
	struct ioasid_ctx **c;
	unsigned int n, cap;
	bool all; /* no memory for the list: every linked context */
};

static void visit_add_locked(struct visits *v, const struct ioasid_dmabuf *b)
{
	for (unsigned int i = 0; i < b->nimps && !v->all; i++) {
		struct ioasid_ctx *c = b->imps[i].ctx;
		unsigned int j = 0;

		while (j < v->n && v->c[j] != c)
			j++;
		if (j < v->n)
			continue;
		if (v->n == v->cap) {
			unsigned int cap = v->cap ? 2 * v->cap : 4;
			struct ioasid_ctx **grown = realloc(v->c, cap * sizeof(*grown));

			if (!grown) {
				v->all = true;
				break;
			}
			v->c = grown;
			v->cap = cap;
		}
		v->c[v->n++] = c;
	}
}

/* Set revoked on b; a revoke adds its importers to v. dmabuf_lock. */
static void set_revoked_locked(struct ioasid_dmabuf *b, bool revoked, struct visits *v)
{
	if (b->revoked == revoked)
		return;
	b->revoked = revoked;
	if (!revoked)
		return;
	b->gen++;
	visit_add_locked(v, b);
}

static void visit_one(struct ioasid_ctx *c, struct ioasid_ctx *held)
{
	if (c != held)
		pthread_mutex_lock(&c->lock);
	ioas_dmabuf_revoke(c);
	if (c != held)
		pthread_mutex_unlock(&c->lock);
}

/*
 * Unmap what the revoke made stale in every context of v, then free v. Called with
 * dmabuf_lock held; returns with it released. held: a context whose lock the caller holds.
 */
static void revoke_visit(struct visits *v, struct ioasid_ctx *held)
{
	if (v->all) {
		struct ioasid_ctx *c = ctx_list;

		while (c) {
			c->dmabuf_holds++;
			pthread_mutex_unlock(&dmabuf_lock);
			visit_one(c, held);
			pthread_mutex_lock(&dmabuf_lock);
			if (!--c->dmabuf_holds)
				pthread_cond_broadcast(&fini_cond);
			c = c->dmabuf_next; /* still linked: unlinking waits for our hold */
		}
	} else {
		for (unsigned int i = 0; i < v->n; i++)
			v->c[i]->dmabuf_holds++;
		pthread_mutex_unlock(&dmabuf_lock);
		for (unsigned int i = 0; i < v->n; i++)
			visit_one(v->c[i], held);
		pthread_mutex_lock(&dmabuf_lock);
		for (unsigned int i = 0; i < v->n; i++)
			if (!--v->c[i]->dmabuf_holds)
				pthread_cond_broadcast(&fini_cond);
	}
	pthread_mutex_unlock(&dmabuf_lock);
	free(v->c);
}

void dmabuf_revoke_owner(const void *owner, bool revoked, struct ioasid_ctx *held)
{
	struct visits v = { 0 };

	if (!owner)
		return;
	pthread_mutex_lock(&dmabuf_lock);
	for (struct ioasid_dmabuf *b = dmabufs; b; b = b->next)
		if (b->owner == owner)
			set_revoked_locked(b, revoked, &v);
	revoke_visit(&v, held);
}

int dmabuf_revoke_fd(const void *owner, int fd, bool revoked, struct ioasid_ctx *held)
{
	struct visits v = { 0 };
	struct ioasid_dmabuf *b;
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	pthread_mutex_lock(&dmabuf_lock);
	b = find_locked(&st);
	if (!b || !owner || b->owner != owner) {
		pthread_mutex_unlock(&dmabuf_lock);
		return -EINVAL;
	}
	set_revoked_locked(b, revoked, &v);
	revoke_visit(&v, held);
	return 0;
}

void dmabuf_owner_gone(const void *owner, struct ioasid_ctx *held)
{
	struct visits v = { 0 };

	if (!owner)
		return;
	pthread_mutex_lock(&dmabuf_lock);
	for (struct ioasid_dmabuf *b = dmabufs; b; b = b->next) {
		if (b->owner != owner)
			continue;
		set_revoked_locked(b, true, &v);
		b->owner = NULL;
		/* nothing can import it again: its memory goes once the importers let go */
		if (b->backing_fd >= 0)
			close(b->backing_fd);
		b->backing_fd = -1;
	}
	sweep_locked();
	revoke_visit(&v, held);
}

void dmabuf_ctx_fini(struct ioasid_ctx *ctx)
{
	pthread_mutex_lock(&dmabuf_lock);
	if (ctx->dmabuf_linked) {
		struct ioasid_ctx **pp = &ctx_list;

		while (ctx->dmabuf_holds)
			pthread_cond_wait(&fini_cond, &dmabuf_lock);
		while (*pp != ctx)
			pp = &(*pp)->dmabuf_next;
		*pp = ctx->dmabuf_next;
		ctx->dmabuf_linked = false;
	}
	pthread_mutex_unlock(&dmabuf_lock);
}

unsigned int dmabuf_count(void)
{
	unsigned int n = 0;

	pthread_mutex_lock(&dmabuf_lock);
	sweep_locked();
	for (struct ioasid_dmabuf *b = dmabufs; b; b = b->next)
		n++;
	pthread_mutex_unlock(&dmabuf_lock);
	return n;
}
