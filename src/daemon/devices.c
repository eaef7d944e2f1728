// SPDX-License-Identifier: BSD-3-Clause
/*
 * devices.c - the daemon's emulated VFIO devices: one platform, one src/vfio view of it,
 * served to every client of the daemon.
 *
 * What it owns: the platform the daemon was started with (--platform FILE, $IOASID_PLATFORM,
 * else the embedded default), the vfio_sys over it, and the VFIO files its clients open. A
 * VFIO file is a connection of its own (src/proto/vfio_proto.h): the shim opens one for
 * /dev/vfio/devices/vfioN or /dev/vfio/<group> and says IOASID_VFIO_OPEN first; for a device
 * fd of a group (VFIO_GROUP_GET_DEVICE_FD) it opens one that says IOASID_VFIO_CLAIM (a device
 * file waiting for its device, named by a token) and stages that token on the group, whose
 * call gives the device to the claimed connection and returns the program's number of it.
 * Every VFIO file is thus a connection the program made to the daemon's socket, which any
 * process that receives it recognises. So the file is shared by fork, dup, SCM_RIGHTS and
 * exec as the kernel's, and released at its last close (the connection's EOF): the
 * device's state lives exactly as long as it is open.
 *
 * Calls on such a connection are served here, with src/vfio, against the calling process's
 * memory (vfio_set_uaccess: the client's copy_from_user/copy_to_user, which read the struct
 * that came with the call and the caller's memory beyond it). Two things the daemon cannot
 * see by itself are told beforehand by the shim:
 *  - which context an iommufd fd number names (BIND_IOMMUFD, GROUP_SET_CONTAINER): the
 *    shim asks the iommufd's own connection for its token (IOASID_CTX_TOKEN: 128 random
 *    bits, given only to a caller of that connection) and stages it (IOASID_VFIO_STAGE_CTX).
 *    A context is never named by anything a client could guess or forge: a made-up token
 *    names nothing (EBADF), another client's token is known only to who holds its iommufd.
 *  - eventfds (SET_IRQS, the wake-up feature): each travels by SCM_RIGHTS with
 *    IOASID_VFIO_STAGE_FD and is used only if it is an eventfd.
 *  - which VFIO files the group fds of VFIO_DEVICE_PCI_HOT_RESET are: the shim asks each
 *    group's own connection for its token (IOASID_VFIO_TOKEN) and stages it
 *    (IOASID_VFIO_STAGE_FILE), or why the number is none (EBADF, EINVAL). As for contexts,
 *    a file is named only by a token its holder asked for; a made-up one names nothing.
 * What was staged is used by the next call on the connection and then dropped.
 *
 * Contexts. A device bound to a context holds it (struct dctx: holds). The context's own
 * connection, at EOF, answers its closers at once and then waits for the holds to go before
 * freeing the context (client.c), as the kernel's iommufd outlives its fd while a device
 * is bound. The wait ends when the devices close (a client killed mid-DMA: at its exit).
 *
 * Locking: reg_lock protects the lists of contexts (and their holds) and of named files; a
 * dconn is used by its connection's thread only, except its file pointer, device number
 * and claim (set once, under reg_lock: by a group's thread for a claimed connection), its
 * token and its reference count. A file taken by its token is held (vfio_file_get) under
 * reg_lock, so its connection's end cannot free it meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "platform/platform.h"
#include "proto/vfio_proto.h"
#include "vfio/vfio.h"

struct dctx {
	struct dctx *next;
	uint64_t token[2];
	struct client *c;
	unsigned int holds; /* devices bound to it (ctx_get without ctx_put) */
	bool dead;	    /* its connection ended: no new holds */
	int evfd;	    /* written when the last hold goes after it ended */
};

enum stage_kind {
	ST_FD,	 /* STAGE_FD: an eventfd */
	ST_CTX,	 /* STAGE_CTX: an iommufd's context */
	ST_FILE, /* STAGE_FILE: a VFIO file (or a claimed connection) by its token */
};

struct stage {
	int key; /* the program's fd number */
	int fd;	 /* our copy (STAGE_FD), or -1 */
	int err; /* what the fd is not: -EBADF, -EBADFD, -EINVAL; 0 */
	enum stage_kind kind;
	uint64_t token[2];
};

struct dconn {
	struct dconn *next;	/* reg_lock: the list of named files (dconns) */
	struct vfio_file *f;	/* reg_lock to set; NULL until then */
	unsigned int kind, num; /* num: reg_lock to set (a claimed connection's device) */
	unsigned int refs;	/* reg_lock */
	bool named;		/* reg_lock: has a token, is in dconns */
	bool pending;		/* reg_lock: claimed, waiting for GET_DEVICE_FD's file */
	uint64_t token[2];	/* reg_lock to set */
	struct stage st[IOASID_VFIO_STAGE_MAX];
	unsigned int nst;
};

static struct platform *loaded;
static const struct platform *plat;
static char *plat_text;
static size_t plat_len;
static struct vfio_sys *sys;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dctx *dctxs;   /* reg_lock */
static struct dconn *dconns; /* reg_lock: the files a token names (IOASID_VFIO_TOKEN, CLAIM) */

/* the connection whose call this thread serves (host ops run inside vfio calls) */
static __thread struct client *cur;

/* ---- the host ops src/vfio calls ----------------------------------------------------------- */

static struct stage *stage_find(struct client *c, int key, enum stage_kind kind)
{
	struct dconn *dc = c ? c->dconn : NULL;

	if (!dc)
		return NULL;
	for (unsigned int i = dc->nst; i-- > 0;)
		if (dc->st[i].key == key && dc->st[i].kind == kind)
			return &dc->st[i];
	return NULL;
}

/* The named connection token names (reg_lock held), or NULL. */
static struct dconn *dconn_by_token(const uint64_t token[2])
{
	for (struct dconn *dc = dconns; dc; dc = dc->next)
		if (dc->token[0] == token[0] && dc->token[1] == token[1])
			return dc;
	return NULL;
}

static int host_ctx_get(int fd, struct ioasid_ctx **out_ctx, void **out_ref)
{
	struct stage *s = stage_find(cur, fd, ST_CTX);
	struct dctx *d;

	if (!s)
		return -EBADF;
	if (s->err)
		return s->err;
	pthread_mutex_lock(&reg_lock);
	for (d = dctxs; d; d = d->next)
		if (!d->dead && d->token[0] == s->token[0] && d->token[1] == s->token[1])
			break;
	if (d) {
		d->holds++;
		*out_ctx = d->c->ctx;
		*out_ref = d;
	}
	pthread_mutex_unlock(&reg_lock);
	return d ? 0 : -EBADF;
}

static void host_ctx_put(void *ref)
{
	struct dctx *d = ref;
	uint64_t one = 1;

	pthread_mutex_lock(&reg_lock);
	if (!--d->holds && d->dead && write(d->evfd, &one, sizeof(one)) < 0)
		dlog(0, "devices: context release: %s", strerror(errno));
	pthread_mutex_unlock(&reg_lock);
}

static bool is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

static int host_eventfd_dup(int fd)
{
	struct stage *s = stage_find(cur, fd, ST_FD);
	int dup;

	if (!s)
		return -EBADF;
	if (s->err)
		return s->err;
	if (!is_eventfd(s->fd))
		return -EINVAL;
	dup = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
	return dup < 0 ? -errno : dup;
}

static void dconn_put(struct dconn *dc)
{
	struct vfio_file *f;
	bool last;

	pthread_mutex_lock(&reg_lock);
	last = !--dc->refs;
	f = last ? dc->f : NULL;
	if (last && dc->named) {
		struct dconn **pp = &dconns;

		while (*pp != dc)
			pp = &(*pp)->next;
		*pp = dc->next;
	}
	pthread_mutex_unlock(&reg_lock);
	if (!last)
		return;
	for (unsigned int i = 0; i < dc->nst; i++)
		if (dc->st[i].fd >= 0)
			close(dc->st[i].fd);
	vfio_file_put(f);
	free(dc);
}

/*
 * VFIO_GROUP_GET_DEVICE_FD: f becomes the file of the connection the program claimed for it
 * (IOASID_VFIO_CLAIM, named by the token the group's call staged with STAGE_FILE), and the
 * call returns the program's number of that connection. f's reference is that connection's
 * on success; a connection that ends afterwards puts it, as a close would.
 */
static int host_install(struct vfio_file *f)
{
	struct dconn *gdc = cur ? cur->dconn : NULL, *dc = NULL;
	int key = -1;

	if (!gdc)
		return -EINVAL;
	pthread_mutex_lock(&reg_lock);
	for (unsigned int i = gdc->nst; i-- > 0 && !dc;) {
		struct stage *s = &gdc->st[i];

		if (s->kind != ST_FILE || s->err)
			continue;
		dc = dconn_by_token(s->token);
		if (dc && (!dc->pending || dc->f))
			dc = NULL;
		key = s->key;
	}
	if (dc) {
		dc->pending = false;
		dc->num = (unsigned int)vfio_file_device_index(f);
		dc->f = f;
	}
	pthread_mutex_unlock(&reg_lock);
	return dc ? key : -EBADF;
}

/* VFIO_DEVICE_PCI_HOT_RESET's group fds: the files the call staged by their tokens. */
static struct vfio_file *host_file_get(int fd, int *err)
{
	struct stage *s = stage_find(cur, fd, ST_FILE);
	struct vfio_file *f = NULL;
	struct dconn *dc;

	if (!s || s->err) {
		*err = s ? s->err : -EBADF;
		return NULL;
	}
	pthread_mutex_lock(&reg_lock);
	dc = dconn_by_token(s->token);
	if (dc && dc->f) {
		f = dc->f;
		vfio_file_get(f);
	}
	pthread_mutex_unlock(&reg_lock);
	if (!f)
		*err = -EBADF; /* a token that names no open file */
	return f;
}

/* A dma-buf's token (VFIO_DEVICE_FEATURE_DMA_BUF): sent to the caller, our copy closed. */
static int host_install_fd(int fd, int open_flags)
{
	int rc = cur ? client_install_fd(cur, fd, (unsigned int)open_flags & O_CLOEXEC) : -EINVAL;

	close(fd);
	return rc;
}

static const struct vfio_host_ops host_ops = {
	.ctx_get = host_ctx_get,
	.ctx_put = host_ctx_put,
	.install = host_install,
	.file_get = host_file_get,
	.eventfd_dup = host_eventfd_dup,
	.install_fd = host_install_fd,
};

static int ua_read(void *priv, void *dst, uint64_t uptr, size_t len)
{
	return client_mem_ops.copy_from_user(priv, dst, uptr, len);
}

static int ua_write(void *priv, uint64_t uptr, const void *src, size_t len)
{
	return client_mem_ops.copy_to_user(priv, uptr, src, len);
}

static const struct vfio_uaccess uaccess = { .read = ua_read, .write = ua_write };

/* ---- set-up ---------------------------------------------------------------------------------- */

int devices_init(const char *file)
{
	char err[256] = "";
	FILE *mf;
	int rc;

	if (!file || !*file)
		file = getenv("IOASID_PLATFORM");
	plat = platform_default();
	if (file && *file) {
		rc = platform_load(file, &loaded, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "ioasidd: %s\n", err[0] ? err : strerror(-rc));
			return rc;
		}
		plat = loaded;
	}
	mf = open_memstream(&plat_text, &plat_len);
	if (!mf || platform_write(plat, mf)) {
		if (mf)
			fclose(mf);
		return -ENOMEM;
	}
	fclose(mf);
	rc = vfio_sys_new(plat, &host_ops, &sys);
	if (rc)
		return rc;
	dlog(1, "platform: %s, %u devices", file && *file ? file : "the embedded default",
	     vfio_nr_devices(sys));
	return 0;
}

void devices_fini(void)
{
	vfio_sys_free(sys);
	sys = NULL;
	platform_free(loaded);
	loaded = NULL;
	free(plat_text);
	plat_text = NULL;
}

/* ---- contexts ------------------------------------------------------------------------------ */

static int ctx_token(struct client *c, uint64_t arg)
{
	struct ioasid_ctx_token t;
	struct dctx *d;
	int rc;

	if (client_mem_ops.copy_from_user(c, &t, arg, sizeof(t)))
		return -EFAULT;
	if (t.size < sizeof(t))
		return -EINVAL;
	rc = client_get_ctx(c);
	if (rc)
		return rc;
	pthread_mutex_lock(&reg_lock);
	d = c->dctx;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (d && getrandom(d->token, sizeof(d->token), 0) != sizeof(d->token)) {
			free(d);
			d = NULL;
		}
		if (d) {
			d->evfd = eventfd(0, EFD_CLOEXEC);
			if (d->evfd < 0) {
				free(d);
				d = NULL;
			}
		}
		if (d) {
			d->c = c;
			d->next = dctxs;
			dctxs = d;
			c->dctx = d;
		}
	}
	if (d)
		memcpy(t.token, d->token, sizeof(t.token));
	pthread_mutex_unlock(&reg_lock);
	if (!d)
		return -ENOMEM;
	return client_mem_ops.copy_to_user(c, arg, &t, sizeof(t)) ? -EFAULT : 0;
}

bool devices_ctx_held(struct client *c)
{
	struct dctx *d = c->dctx;
	bool held;

	if (!d)
		return false;
	pthread_mutex_lock(&reg_lock);
	d->dead = true;
	held = d->holds > 0;
	pthread_mutex_unlock(&reg_lock);
	return held;
}

void devices_ctx_end(struct client *c)
{
	struct dctx *d = c->dctx, **pp;

	if (!d)
		return;
	pthread_mutex_lock(&reg_lock);
	d->dead = true;
	while (d->holds) {
		struct pollfd pfd = { .fd = d->evfd, .events = POLLIN };
		uint64_t n;

		pthread_mutex_unlock(&reg_lock);
		if (poll(&pfd, 1, 1000) == 1 && read(d->evfd, &n, sizeof(n)) < 0)
			dlog(0, "devices: %s", strerror(errno));
		pthread_mutex_lock(&reg_lock);
	}
	for (pp = &dctxs; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	pthread_mutex_unlock(&reg_lock);
	close(d->evfd);
	free(d);
	c->dctx = NULL;
}

/* ---- a VFIO connection ----------------------------------------------------------------------- */

void devices_conn_end(struct client *c)
{
	struct dconn *dc = c->dconn;

	if (!dc)
		return;
	c->dconn = NULL;
	dconn_put(dc);
}

static void stage_clear(struct dconn *dc)
{
	for (unsigned int i = 0; i < dc->nst; i++)
		if (dc->st[i].fd >= 0)
			close(dc->st[i].fd);
	dc->nst = 0;
}

/* Give dc a token (reg_lock held): 0, -ENOMEM. */
static int dconn_name(struct dconn *dc)
{
	if (dc->named)
		return 0;
	if (getrandom(dc->token, sizeof(dc->token), 0) != sizeof(dc->token))
		return -ENOMEM;
	dc->named = true;
	dc->next = dconns;
	dconns = dc;
	return 0;
}

/*
 * IOASID_VFIO_CLAIM on a fresh connection: a device file without its device yet, named by
 * a token for the group's VFIO_GROUP_GET_DEVICE_FD; IOASID_VFIO_TOKEN on a VFIO file: the
 * token naming it (hot reset's group fds).
 */
static int conn_token(struct client *c, unsigned long cmd, uint64_t arg)
{
	struct ioasid_vfio_token t;
	struct dconn *dc = c->dconn;
	int rc;

	if (client_mem_ops.copy_from_user(c, &t, arg, sizeof(t)))
		return -EFAULT;
	if (t.size < sizeof(t) || t.__reserved)
		return -EINVAL;
	if (cmd == IOASID_VFIO_CLAIM) {
		if (dc || c->ctx || c->dctx)
			return -EINVAL;
		dc = calloc(1, sizeof(*dc));
		if (!dc)
			return -ENOMEM;
		dc->kind = IOASID_VFIO_DEVICE;
		dc->refs = 1;
		dc->pending = true;
	}
	pthread_mutex_lock(&reg_lock);
	rc = dconn_name(dc);
	memcpy(t.token, dc->token, sizeof(t.token));
	pthread_mutex_unlock(&reg_lock);
	if (cmd == IOASID_VFIO_CLAIM) {
		if (rc) {
			free(dc);
			return rc;
		}
		c->dconn = dc; /* from now on the connection ends as a VFIO file */
	}
	if (rc)
		return rc;
	return client_mem_ops.copy_to_user(c, arg, &t, sizeof(t)) ? -EFAULT : 0;
}

/* A connection whose program closed it (every copy, or exited) that has not ended yet. */
static void ending_one(void *arg, struct client *c)
{
	struct pollfd p = { .fd = c->sock, .events = POLLRDHUP };

	if (poll(&p, 1, 0) == 1 && p.revents & (POLLHUP | POLLRDHUP | POLLNVAL))
		*(bool *)arg = true;
}

static bool connections_ending(void)
{
	bool any = false;

	daemon_for_each_client(ending_one, &any);
	return any;
}

/*
 * Open group or device num. The kernel closes a process's files before its parent's wait
 * returns, so a program that waits for a child holding the group, then opens it, finds it
 * free. Here the child's connection ends on its own thread a moment later: while a file is
 * busy and some connection has hung up without having ended, wait for it (at most
 * OPEN_SETTLE_MS) and try again. A file busy for good is EBUSY after that.
 */
#define OPEN_SETTLE_MS 1000

static int open_settled(uint32_t kind, uint32_t num, struct vfio_file **f)
{
	int rc;

	for (unsigned int waited = 0;; waited += 5) {
		if (kind == IOASID_VFIO_DEVICE)
			rc = num < vfio_nr_devices(sys) ? vfio_open_device(sys, num, f) : -ENODEV;
		else if (kind == IOASID_VFIO_GROUP)
			rc = vfio_group_exists(sys, num) ? vfio_open_group(sys, num, f) : -ENODEV;
		else
			rc = -EINVAL;
		if (rc != -EBUSY || waited >= OPEN_SETTLE_MS || !connections_ending())
			return rc;
		usleep(5000);
	}
}

static int conn_open(struct client *c, uint64_t arg)
{
	struct ioasid_vfio_open o;
	struct vfio_file *f = NULL;
	struct dconn *dc;
	int rc;

	if (client_mem_ops.copy_from_user(c, &o, arg, sizeof(o)))
		return -EFAULT;
	if (o.size < sizeof(o) || o.__reserved)
		return -EINVAL;
	/* an iommufd stays one, a VFIO file stays the file it is */
	if (c->dconn || c->ctx || c->dctx)
		return -EINVAL;
	rc = open_settled(o.kind, o.num, &f);
	if (rc)
		return rc;
	dc = calloc(1, sizeof(*dc));
	if (!dc) {
		vfio_file_put(f);
		return -ENOMEM;
	}
	dc->f = f;
	dc->kind = o.kind;
	dc->num = o.num;
	dc->refs = 1;
	c->dconn = dc;
	return 0;
}

static int conn_stage(struct client *c, struct dconn *dc, unsigned long cmd, uint64_t arg)
{
	struct ioasid_vfio_stage s;
	struct stage *e;
	struct call *call = c->call;

	if (client_mem_ops.copy_from_user(c, &s, arg, sizeof(s)))
		return -EFAULT;
	if (s.size < sizeof(s))
		return -EINVAL;
	if (dc->nst >= IOASID_VFIO_STAGE_MAX)
		return -ENOSPC;
	e = &dc->st[dc->nst];
	*e = (struct stage){ .key = s.key, .fd = -1 };
	if (cmd == IOASID_VFIO_STAGE_CTX || cmd == IOASID_VFIO_STAGE_FILE) {
		/* what an fd can be instead: not open, not an iommufd / not a VFIO group */
		int other = cmd == IOASID_VFIO_STAGE_CTX ? -EBADFD : -EINVAL;

		if (s.err && s.err != -EBADF && s.err != other)
			return -EINVAL;
		e->kind = cmd == IOASID_VFIO_STAGE_CTX ? ST_CTX : ST_FILE;
		e->err = s.err;
		memcpy(e->token, s.token, sizeof(e->token));
	} else {
		/* only the fd that came with this call: never a number of ours the client names */
		if (!call || !call->overlay || call->overlay_uptr != arg + 4)
			return -EINVAL;
		if (call->overlay_val < 0) {
			e->err = -EBADF;
		} else {
			e->fd = fcntl(call->overlay_val, F_DUPFD_CLOEXEC, 3);
			if (e->fd < 0)
				return -errno;
		}
	}
	dc->nst++;
	return 0;
}

static long conn_rw(struct client *c, struct vfio_file *f, uint64_t arg)
{
	struct ioasid_vfio_rw rw;
	size_t n;
	ssize_t got;
	void *buf;

	if (client_mem_ops.copy_from_user(c, &rw, arg, sizeof(rw)))
		return -EFAULT;
	if (rw.size < sizeof(rw) || rw.flags & ~(IOASID_VFIO_RW_WRITE | IOASID_VFIO_RW_INLINE))
		return -EINVAL;
	if (rw.flags & IOASID_VFIO_RW_INLINE) {
		unsigned int bar = (unsigned int)(rw.off >> 40);
		int rc;

		if (rw.len != 1 && rw.len != 2 && rw.len != 4 && rw.len != 8)
			return -EINVAL;
		rc = vfio_file_bar_access(f, bar, rw.off & ((UINT64_C(1) << 40) - 1),
					  (unsigned int)rw.len, &rw.val,
					  rw.flags & IOASID_VFIO_RW_WRITE);
		if (rc)
			return rc;
		if (!(rw.flags & IOASID_VFIO_RW_WRITE) &&
		    client_mem_ops.copy_to_user(c, arg + offsetof(struct ioasid_vfio_rw, val),
						&rw.val, sizeof(rw.val)))
			return -EFAULT;
		return (long)rw.len;
	}
	n = rw.len < IOASID_VFIO_RW_MAX ? (size_t)rw.len : IOASID_VFIO_RW_MAX;
	if (!n)
		return 0;
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	if (rw.flags & IOASID_VFIO_RW_WRITE) {
		got = client_mem_ops.copy_from_user(c, buf, rw.buf, n) ?
			      -EFAULT :
			      vfio_file_pwrite(f, buf, n, rw.off);
	} else {
		got = vfio_file_pread(f, buf, n, rw.off);
		if (got > 0 && client_mem_ops.copy_to_user(c, rw.buf, buf, (size_t)got))
			got = -EFAULT;
	}
	free(buf);
	return got;
}

static long conn_mmap(struct client *c, struct vfio_file *f, uint64_t arg)
{
	struct ioasid_vfio_mmap m;
	unsigned int bar;
	uint64_t bar_off;
	char path[64];
	int fd, ro, rc;

	if (client_mem_ops.copy_from_user(c, &m, arg, sizeof(m)))
		return -EFAULT;
	if (m.size < sizeof(m) || m.len > SIZE_MAX)
		return -EINVAL;
	rc = vfio_file_mmap_export(f, m.off, (size_t)m.len, &fd, &bar, &bar_off, &m.bar_size);
	if (rc)
		return rc;
	m.fd = -1;
	if (fd >= 0) {
		/* a read-only file of the read pages: the program can map them, never write them */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ro = open(path, O_RDONLY | O_CLOEXEC);
		if (ro < 0)
			return -errno;
		m.fd = client_install_fd(c, ro, O_CLOEXEC);
		close(ro);
		if (m.fd < 0)
			return m.fd;
	}
	/* the installed fd is the program's to close; a failed copy leaves it there, as the
	 * kernel leaves an fd it installed before an EFAULT */
	return client_mem_ops.copy_to_user(c, arg, &m, sizeof(m)) ? -EFAULT : 0;
}

static long platform_get(struct client *c, uint64_t arg)
{
	struct ioasid_platform_get g;
	size_t n;

	if (client_mem_ops.copy_from_user(c, &g, arg, sizeof(g)))
		return -EFAULT;
	if (g.size < sizeof(g))
		return -EINVAL;
	n = g.len < plat_len ? (size_t)g.len : plat_len;
	if (n && client_mem_ops.copy_to_user(c, g.buf, plat_text, n))
		return -EFAULT;
	return (long)plat_len;
}

bool devices_owns(const struct client *c, unsigned long cmd)
{
	return c->dconn || _IOC_TYPE(cmd) == IOASID_PRIV_TYPE;
}

static long conn_call(struct client *c, unsigned long cmd, uint64_t arg)
{
	struct dconn *dc = c->dconn;
	struct vfio_file *f;
	long rc;

	if (cmd == IOASID_PLATFORM_GET)
		return platform_get(c, arg);
	if (cmd == IOASID_VFIO_OPEN)
		return conn_open(c, arg);
	if (cmd == IOASID_VFIO_CLAIM)
		return conn_token(c, cmd, arg);
	if (!dc)
		return cmd == IOASID_CTX_TOKEN ? ctx_token(c, arg) : -ENOTTY;
	if (cmd == IOASID_VFIO_STAGE_CTX || cmd == IOASID_VFIO_STAGE_FD ||
	    cmd == IOASID_VFIO_STAGE_FILE)
		return conn_stage(c, dc, cmd, arg);
	pthread_mutex_lock(&reg_lock);
	f = dc->f;
	pthread_mutex_unlock(&reg_lock);
	if (!f) {
		rc = -EINVAL; /* being installed */
	} else if (cmd == IOASID_VFIO_WHAT) {
		struct ioasid_vfio_what w = { .size = sizeof(w), .kind = dc->kind, .num = dc->num };
		uint32_t size;

		rc = client_mem_ops.copy_from_user(c, &size, arg, sizeof(size)) ? -EFAULT :
		     size < sizeof(w)						? -EINVAL :
		     client_mem_ops.copy_to_user(c, arg, &w, sizeof(w))		? -EFAULT :
										  0;
	} else if (cmd == IOASID_VFIO_TOKEN) {
		rc = conn_token(c, cmd, arg);
	} else if (cmd == IOASID_VFIO_RW) {
		rc = conn_rw(c, f, arg);
	} else if (cmd == IOASID_VFIO_MMAP) {
		rc = conn_mmap(c, f, arg);
	} else if (_IOC_TYPE(cmd) == IOASID_PRIV_TYPE) {
		rc = -ENOTTY;
	} else {
		rc = vfio_file_ioctl(f, cmd, arg);
	}
	stage_clear(dc);
	return rc;
}

long devices_ioctl(struct client *c, unsigned long cmd, uint64_t arg)
{
	long rc;

	if (!sys) {
		errno = ENOTTY;
		return -1;
	}
	cur = c;
	vfio_set_uaccess(&uaccess, c);
	rc = conn_call(c, cmd, arg);
	vfio_set_uaccess(NULL, NULL);
	cur = NULL;
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}
