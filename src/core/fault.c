/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c - fault queues: IOMMU_FAULT_QUEUE_ALLOC, I/O page faults delivered to a program,
 * page responses taken back.
 *
 * A fault queue is an object (OBJ_FAULT) with an fd. An HWPT allocated with
 * IOMMU_HWPT_FAULT_ID_VALID names one; a device attached to that HWPT that raises a page
 * request (a DMA to an IOVA that is not mapped, or the selftest's TRIGGER_IOPF) gets one
 * struct iommu_hwpt_pgfault per request on the fd. The program answers a group (the
 * requests up to one with IOMMU_PGFAULT_FLAGS_LAST_PAGE) by writing one struct
 * iommu_hwpt_page_response that echoes the group's cookie.
 *
 * The fd. The kernel's is an anonymous file whose read and write it serves itself. Ours is
 * one end of a unix stream socketpair; the context keeps the other end ("core end"), so
 * the program's read, write, poll, dup and close are the kernel's own and need no help
 * from a shim, and the fd can be handed to another process (the daemon's install_fd) like
 * any fd. Consequences, written here because a program could notice them:
 *   - records are written to the core end when the fault is reported; a read returns the
 *     bytes that are there. The kernel's rules for short reads (a count that is not a
 *     multiple of the record: ESPIPE; no room for a whole group: EINVAL) are not enforced:
 *     a short read leaves the rest of the record for the next read.
 *   - responses are taken from the core end when the context next serves a call (and
 *     before a fault is reported or a device detaches); a write always succeeds, and a
 *     response with an unknown cookie or code is dropped instead of failing the write.
 *   - the kernel's cookie is allocated when the group is read; ours when it is reported.
 *     Either way it is a small number, unique among the groups waiting for an answer.
 * The file holds a user reference on the object, as the kernel's does, so IOMMU_DESTROY of
 * a fault queue is EBUSY until the program has closed every copy of the fd; we notice the
 * close as a hang-up on the core end (fault_sweep, before every call).
 *
 * Groups that are waiting for a response when their HWPT loses the device, or when the
 * queue dies, are answered IOMMUFD_PAGE_RESP_INVALID on the program's behalf, as the
 * kernel does. Whoever reported the fault learns the answer through its callback.
 *
 * Locking: ctx->lock, held by every caller.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/private.h"
#include "core/kcall.h"

/* The most groups one queue keeps waiting for a response; more are refused (auto-failed). */
#define FAULT_MAX_PENDING 4096
/* A faulting DMA's wait for its response (IOASID_IOPF_TIMEOUT_MS overrides), and its nap. */
#define FAULT_DMA_TIMEOUT_MS 10000
#define FAULT_DMA_POLL_MS    20

struct fault_group {
	struct fault_group *next;
	uint32_t cookie;
	uint32_t dev_id;
	const void *owner; /* the HWPT the faulting device was attached to */
	fault_done_fn done;
	void *done_arg;
};

struct fault_queue *fault_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_FAULT);

	return obj ? container_of(obj, struct fault_queue, obj) : NULL;
}

/* Write out whatever of the outgoing records the socket takes now. */
static void fault_flush_out(struct fault_queue *fq)
{
	while (fq->out_len) {
		ssize_t n = send(fq->core_fd, fq->out, fq->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return;
		memmove(fq->out, fq->out + n, fq->out_len - (size_t)n);
		fq->out_len -= (size_t)n;
	}
}

static void fault_group_finish(struct fault_queue *fq, struct fault_group *g, uint32_t code)
{
	fq->npending--;
	fq->stats_responses++;
	if (g->done)
		g->done(g->done_arg, code);
	free(g);
}

/* One response from the program: find its group, answer it. Unknown cookies are dropped. */
static void fault_respond(struct fault_queue *fq, const struct iommu_hwpt_page_response *r)
{
	if (r->code != IOMMUFD_PAGE_RESP_SUCCESS && r->code != IOMMUFD_PAGE_RESP_INVALID) {
		fq->stats_bad_responses++;
		return;
	}
	for (struct fault_group **pp = &fq->pending; *pp; pp = &(*pp)->next) {
		struct fault_group *g = *pp;

		if (g->cookie != r->cookie)
			continue;
		*pp = g->next;
		fault_group_finish(fq, g, r->code);
		return;
	}
	fq->stats_bad_responses++;
}

/* Take every complete response the program has written. */
static void fault_take_responses(struct fault_queue *fq)
{
	for (;;) {
		size_t room = sizeof(fq->in) - fq->in_len;
		ssize_t n = recv(fq->core_fd, fq->in + fq->in_len, room, MSG_DONTWAIT);

		if (n <= 0) {
			if (n == 0)
				fq->hung_up = true;
			break;
		}
		fq->in_len += (size_t)n;
		while (fq->in_len >= sizeof(struct iommu_hwpt_page_response)) {
			struct iommu_hwpt_page_response r;

			memcpy(&r, fq->in, sizeof(r));
			memmove(fq->in, fq->in + sizeof(r), fq->in_len - sizeof(r));
			fq->in_len -= sizeof(r);
			fault_respond(fq, &r);
		}
	}
}

void fault_service(struct fault_queue *fq)
{
	fault_take_responses(fq);
	fault_flush_out(fq);
}

/* Answer every waiting group RESP_INVALID (nobody is left to answer them). */
static void fault_cancel_all(struct fault_queue *fq)
{
	while (fq->pending) {
		struct fault_group *g = fq->pending;

		fq->pending = g->next;
		fault_group_finish(fq, g, IOMMUFD_PAGE_RESP_INVALID);
	}
}

/*
 * Once every copy of the program's fd is closed: the groups still waiting are answered
 * RESP_INVALID, as the kernel does when the fault file is released, and the fd's reference
 * goes.
 */
static void fault_check_hangup(struct fault_queue *fq)
{
	struct pollfd pfd = { .fd = fq->core_fd, .events = POLLIN | POLLRDHUP };

	if (!fq->fd_open)
		return;
	if (!fq->hung_up && poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP)))
		fq->hung_up = true;
	if (fq->hung_up) {
		fault_take_responses(fq); /* what it wrote before closing still counts */
		fault_cancel_all(fq);
		fq->fd_open = false;
		fq->obj.ctx->nr_fault_fds--;
		obj_unref(&fq->obj);
	}
}

void fault_sweep(struct ioasid_ctx *ctx)
{
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct fault_queue *fq;

		if (obj->type != OBJ_FAULT)
			continue;
		fq = container_of(obj, struct fault_queue, obj);
		fault_service(fq);
		fault_check_hangup(fq);
	}
}

int fault_report(struct fault_queue *fq, const void *owner, const struct iommu_hwpt_pgfault *recs,
		 unsigned int n, fault_done_fn done, void *done_arg)
{
	struct fault_group *g;
	size_t bytes = (size_t)n * sizeof(*recs);

	if (!n)
		return -EINVAL;
	fault_service(fq);
	if (!fq->fd_open || fq->npending >= FAULT_MAX_PENDING ||
	    bytes > sizeof(fq->out) - fq->out_len) {
		fq->stats_dropped++;
		return -ENOSPC;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	/* a cookie no waiting group has; 0 is never used */
	do {
		g->cookie = ++fq->next_cookie;
		for (struct fault_group *p = fq->pending; p && g->cookie; p = p->next)
			if (p->cookie == g->cookie)
				g->cookie = 0;
	} while (!g->cookie);
	g->dev_id = recs[0].dev_id;
	g->owner = owner;
	g->done = done;
	g->done_arg = done_arg;
	for (unsigned int i = 0; i < n; i++) {
		struct iommu_hwpt_pgfault r = recs[i];

		r.cookie = g->cookie;
		r.__reserved = 0;
		if (i + 1 == n)
			r.flags |= IOMMU_PGFAULT_FLAGS_LAST_PAGE;
		memcpy(fq->out + fq->out_len, &r, sizeof(r));
		fq->out_len += sizeof(r);
	}
	g->next = fq->pending;
	fq->pending = g;
	fq->npending++;
	fq->stats_reported++;
	fault_flush_out(fq);
	return 0;
}

void fault_cancel_owner(struct fault_queue *fq, const void *owner, uint32_t dev_id)
{
	fault_take_responses(fq);
	for (struct fault_group **pp = &fq->pending; *pp;) {
		struct fault_group *g = *pp;

		if (g->owner != owner || (dev_id && g->dev_id != dev_id)) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		fault_group_finish(fq, g, IOMMUFD_PAGE_RESP_INVALID);
	}
}

/* ---- a device's DMA waiting for the answer to its page request ------------------------- */

/* How long a faulting DMA waits for the program's response; IOASID_IOPF_TIMEOUT_MS. */
static int fault_dma_timeout_ms(void)
{
	static int cached = -1;
	int ms = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (ms < 0) {
		const char *env = getenv("IOASID_IOPF_TIMEOUT_MS");
		long v = env ? strtol(env, NULL, 10) : 0;

		ms = v > 0 && v <= 3600000 ? (int)v : FAULT_DMA_TIMEOUT_MS;
		__atomic_store_n(&cached, ms, __ATOMIC_RELAXED);
	}
	return ms;
}

struct fault_waiter {
	bool done;
	uint32_t code;
};

static void fault_waiter_done(void *arg, uint32_t code)
{
	struct fault_waiter *w = arg;

	w->done = true;
	w->code = code;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Give up on our own group: take it out unanswered. */
static void fault_withdraw(struct fault_queue *fq, struct fault_waiter *w)
{
	for (struct fault_group **pp = &fq->pending; *pp; pp = &(*pp)->next) {
		struct fault_group *g = *pp;

		if (g->done_arg != w)
			continue;
		*pp = g->next;
		g->done = NULL;
		fault_group_finish(fq, g, IOMMUFD_PAGE_RESP_INVALID);
		return;
	}
}

int fault_dma_wait(struct ioasid_ctx *ctx, struct fault_queue *fq, const void *owner,
		   const struct iommu_hwpt_pgfault *rec)
{
	const struct ioasid_mem_ops *mem = ctx->params.mem;
	struct fault_waiter w = { 0 };
	int64_t deadline = now_ms() + fault_dma_timeout_ms();
	int rc;

	if (ctx->waits_cancelled)
		return -ECANCELED;
	rc = fault_report(fq, owner, rec, 1, fault_waiter_done, &w);
	if (rc)
		return rc;
	obj_ref(&fq->obj); /* the queue and its core end stay while the lock is dropped */
	while (!w.done) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = fq->core_fd, .events = POLLIN | POLLRDHUP };

		if (left <= 0) {
			fault_withdraw(fq, &w);
			rc = -ETIMEDOUT;
			break;
		}
		/* the serving process stops, or the caller exited: nobody to wait for */
		if (ctx->waits_cancelled ||
		    (mem->caller_gone && mem->caller_gone(ctx->params.mem_priv))) {
			fault_withdraw(fq, &w);
			rc = -ECANCELED;
			break;
		}
		/* others may take our response meanwhile: wake up now and then to look */
		pthread_mutex_unlock(&ctx->lock);
		poll(&pfd, 1, left < FAULT_DMA_POLL_MS ? (int)left : FAULT_DMA_POLL_MS);
		pthread_mutex_lock(&ctx->lock);
		fault_service(fq);
		if (!w.done)
			fault_check_hangup(fq);
	}
	obj_unref(&fq->obj);
	return rc ? rc : (int)w.code;
}

void ioasid_ctx_cancel_waits(struct ioasid_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->waits_cancelled = true;
	pthread_mutex_unlock(&ctx->lock);
}

/* Context close: the program's fd no longer keeps the queue (its reads see EOF). */
void fault_close(struct obj *obj)
{
	struct fault_queue *fq = container_of(obj, struct fault_queue, obj);

	if (!fq->fd_open)
		return;
	fq->fd_open = false;
	obj->ctx->nr_fault_fds--;
	obj_unref(obj);
}

void fault_destroy(struct obj *obj)
{
	struct fault_queue *fq = container_of(obj, struct fault_queue, obj);

	fault_cancel_all(fq);
	if (fq->fd_open)
		fq->obj.ctx->nr_fault_fds--;
	fq->obj.ctx->nr_faults--;
	if (fq->core_fd >= 0)
		close(fq->core_fd);
}

/* ---- IOMMU_FAULT_QUEUE_ALLOC ------------------------------------------------------------- */

int fault_alloc_ioctl(struct ucmd *ucmd)
{
	const struct ioasid_mem_ops *mem = ucmd->ctx->params.mem;
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct fault_queue *fq;
	struct obj *obj;
	int fds[2], user_fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (ucmd->ctx->nr_faults >= CTX_MAX_FD_OBJECTS)
		return -EMFILE;
	obj = obj_alloc(ucmd->ctx, OBJ_FAULT);
	if (!obj)
		return -ENOMEM;
	/* pending from here: any failure is aborted by the dispatcher (fault_destroy) */
	fq = container_of(obj, struct fault_queue, obj);
	fq->core_fd = -1;
	ucmd->ctx->nr_faults++;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
		return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
	fq->core_fd = fds[1];
	user_fd = fds[0];
	if (mem->install_fd) {
		/* the caller's own fd; ours is gone either way once it succeeds */
		user_fd = mem->install_fd(ucmd->ctx->params.mem_priv, fds[0], O_CLOEXEC);
		if (user_fd < 0) {
			close(fds[0]);
			return user_fd;
		}
	}
	/* the file's reference, dropped when the program has closed every copy */
	fq->fd_open = true;
	obj_ref(&fq->obj);
	ucmd->ctx->nr_fault_fds++;
	cmd->out_fault_id = fq->obj.id;
	cmd->out_fault_fd = (uint32_t)user_fd;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc && !mem->install_fd)
		close(user_fd); /* in-process: nobody was told about it */
	return rc;
}
