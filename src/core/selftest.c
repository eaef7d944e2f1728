/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * selftest.c - IOMMU_TEST_CMD: the kernel's selftest-only interface, served in userspace.
 *
 * Built only with the test_hooks switch (IOASID_TEST_HOOKS). The kernel's iommufd selftest
 * drives mock devices, mock domains and accesses through this one command; each op here
 * answers as the kernel's CONFIG_IOMMUFD_TEST code does, with its errnos. The mock IOMMU
 * itself lives in mock_domain.c behind the ordinary model ops, so everything the selftest
 * attaches goes through the same attach path as any other device.
 *
 * Words:
 *   stdev   the OBJ_SELFTEST object MOCK_DOMAIN returns; it owns a mock device, and
 *           destroying it unbinds the device (detaching it first).
 *   staccess  the selftest's access: an access object plus the fd the caller holds. The fd
 *           is one end of a socketpair; we keep the other end and notice the caller's close
 *           (POLLHUP) before each call, then destroy the access as the kernel does when the
 *           file is released. The op's `id` is that fd, looked up as the kernel's fget():
 *           whatever number names the same socket (a dup, or the copy a daemon received
 *           with the request) is the access; we compare identities (st_dev, st_ino), never
 *           numbers.
 *   "physical address" of user memory: the host address at which the IOMMU side reaches it
 *           (the context's mem ops, through the caller's source); MD_CHECK_MAP compares a
 *           domain's output with it.
 *
 * Pin counts (MD_CHECK_REFS): the kernel pins a page once per pages object however many
 * domains and accesses use it, so the count of a user page is the number of pages objects
 * holding it pinned (pages_count_user_pins) among those whose source is the caller's
 * process, in any context. As the kernel looks each page up first, a page the caller
 * cannot read is EFAULT.
 *
 * Serving another process (the context's mem ops have install_fd), the access fd is handed
 * over with install_fd and our copy is gone: the caller gets a real fd of its own, and a
 * daemon sends that fd back with each op that names it (the reply-side number is the
 * caller's; what the core reads in `id` is the daemon's received copy). The fd is installed
 * only once the access is attached; if the reply cannot be written after that, the caller
 * keeps an fd it was never told about, whose access is already gone (the kernel installs
 * after the reply and has no such case).
 *
 * Nested HWPTs: MD_CHECK_IOTLB reads the mock IOTLB that IOMMU_HWPT_INVALIDATE resets
 * (hwpt_nested.c); TRIGGER_IOPF raises a page request on the fault queue of whatever the
 * device is attached to (fault.c).
 *
 * Lifecycle: objects an op makes (MOCK_DOMAIN's stdev, device and automatic HWPT,
 * CREATE_ACCESS's access) are pending until the dispatcher publishes them after the reply.
 *
 * The PASID ops go to the device layer's per-PASID calls (dev_pasid_*).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dmabuf.h"
#include "core/private.h"
#include "iommu/iommu.h"
#include <linux/iommufd_test.h>

#define MOCK_IO_PAGE_SIZE (IOASID_PAGE_SIZE / 2)
/* As the kernel: refuse buffers it would not allocate. */
#define SELFTEST_MAX_LEN (16ULL << 20)

/* SET_TEMP_MEMORY_LIMIT: kept for the record; our batches need no limit. */
static uint32_t selftest_memory_limit = 65536;

/* ---- stdev: a mock device owned by a selftest object ----------------------------------- */

void selftest_obj_destroy(struct obj *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	if (sobj->dev)
		dev_unbind(sobj->dev);
}

/* Never published: the device it made is pending too, and the dispatcher aborts it. */
void selftest_obj_abort(struct obj *obj)
{
	(void)obj;
}

static int test_mock_domain(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct selftest_obj *sobj;
	uint32_t pt_id = cmd->id, flags = 0;
	struct device *dev;
	struct obj *obj;
	int rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		flags = cmd->mock_domain_flags.dev_flags;
	obj = obj_alloc(ctx, OBJ_SELFTEST);
	if (!obj)
		return -ENOMEM;
	sobj = container_of(obj, struct selftest_obj, obj);
	/*
	 * The stdev, the device and an automatic HWPT the attach makes are all pending: the
	 * dispatcher publishes them after the reply, or aborts them newest first. On failure
	 * we only undo the link we made (the attach).
	 */
	rc = mock_dev_new(ctx, flags, &dev);
	if (rc)
		return rc;
	/*
	 * The kernel's bind publishes the mock device at once, so a pt_id naming it finds a
	 * device, not an IOAS or HWPT: EINVAL (ours is still pending, which a lookup would
	 * answer ENOENT). Checked on Linux 6.12 (oracle random sequence 50).
	 */
	if (pt_id == dev->obj.id)
		return -EINVAL;
	rc = dev_attach(dev, &pt_id);
	if (rc)
		return rc;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = dev->obj.id;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		dev_detach(dev);
		return rc;
	}
	sobj->dev = dev;
	return 0;
}

static int test_mock_domain_replace(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct obj *obj = obj_get(ucmd->ctx, cmd->id, OBJ_SELFTEST);
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	struct selftest_obj *sobj;
	int rc;

	if (!obj)
		return -ENOENT;
	sobj = container_of(obj, struct selftest_obj, obj);
	rc = dev_replace(sobj->dev, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = ucmd_respond(ucmd, sizeof(*cmd));
	}
	obj_put(obj);
	return rc;
}

static int test_add_reserved(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t last;
	struct ioas *ioas;
	int rc;

	if (!cmd->add_reserved.length)
		return -EINVAL;
	if (check_add_u64(cmd->add_reserved.start, cmd->add_reserved.length - 1, &last))
		return -EOVERFLOW;
	ioas = ioas_get(ucmd->ctx, cmd->id);
	if (!ioas)
		return -ENOENT;
	rc = iopt_reserve(&ioas->iopt, cmd->add_reserved.start, last, NULL);
	obj_put(&ioas->obj);
	return rc;
}

/* ---- checks ---------------------------------------------------------------------------- */

/*
 * Where the IOMMU side reaches the caller's memory [uptr, uptr + len): pinned, through the
 * caller's source, until user_host_put.
 */
struct user_host {
	void *source;
	uint64_t uptr, len;
	uint8_t *host;
};

static int user_host(struct ioasid_ctx *ctx, uint64_t uptr, uint64_t len, struct user_host *out)
{
	void *host;
	int rc;

	rc = pages_source_get(ctx, &out->source);
	if (rc)
		return rc;
	rc = ctx->params.mem->pin_user(out->source, uptr, len, false, &host);
	if (rc) {
		pages_source_put(ctx->params.mem, out->source);
		return rc == -EINVAL ? -EFAULT : rc;
	}
	out->uptr = uptr;
	out->len = len;
	out->host = host;
	return 0;
}

static void user_host_put(struct ioasid_ctx *ctx, struct user_host *uh)
{
	ctx->params.mem->unpin_user(uh->source, uh->uptr, uh->len, uh->host);
	pages_source_put(ctx->params.mem, uh->source);
}

/* The frame behind a byte of this process, 0 if it cannot be known (no privilege). */
static uint64_t host_pfn(int pagemap, const volatile uint8_t *p)
{
	uint64_t e;

	(void)*p; /* present: a shared file page is the page cache's */
	if (pread(pagemap, &e, sizeof(e),
		  (off_t)((uintptr_t)p >> IOASID_PAGE_SHIFT) * (off_t)sizeof(e)) != sizeof(e))
		return 0;
	return (e >> 63) ? e & ((UINT64_C(1) << 55) - 1) : 0;
}

/*
 * Do the IOMMU side's byte a and the caller's byte b (through user_host) name the same
 * memory? The kernel compares the physical pages. Here the same address, or, when the IOMMU
 * side reached the page another way (IOMMU_IOAS_MAP_FILE maps the file itself), the same
 * page frame behind both and the same offset in it (/proc/self/pagemap; the frame is known
 * with CAP_SYS_ADMIN, which the daemon has; without it the answer is no).
 */
static bool same_user_page(const void *a, const void *b)
{
	uint64_t fa, fb;
	int fd;

	if (a == b)
		return true;
	if (((uintptr_t)a ^ (uintptr_t)b) & (IOASID_PAGE_SIZE - 1))
		return false;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	fa = host_pfn(fd, a);
	fb = host_pfn(fd, b);
	close(fd);
	return fa && fa == fb;
}

static int test_md_check_map(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->check_map.iova, len = cmd->check_map.length;
	uint64_t uptr = cmd->check_map.uptr, end, base, span;
	struct hwpt_paging *hwpt;
	struct iommu_domain *d;
	struct user_host uh;
	int rc;

	if (iova % MOCK_IO_PAGE_SIZE || len % MOCK_IO_PAGE_SIZE || uptr % MOCK_IO_PAGE_SIZE ||
	    check_add_u64(uptr, len, &end))
		return -EINVAL;
	hwpt = hwpt_paging_get(ucmd->ctx, cmd->id);
	if (!hwpt)
		return -ENOENT;
	d = hwpt->domain;
	rc = 0;
	if (!len)
		goto out_put;
	base = ALIGN_DOWN_U64(uptr, IOASID_PAGE_SIZE);
	span = ALIGN_DOWN_U64(end - 1, IOASID_PAGE_SIZE) + IOASID_PAGE_SIZE - base;
	rc = user_host(ucmd->ctx, base, span, &uh);
	if (rc)
		goto out_put;
	for (uint64_t off = 0; off < len; off += MOCK_IO_PAGE_SIZE) {
		uint64_t pa;

		const void *hp;

		/* the leaf holds a name (iommu/phys.h): the page it names, in this process */
		if (d->ops->iova_to_phys(d, iova + off, &pa, NULL, NULL) ||
		    !(hp = iommu_phys_resolve(pa, MOCK_IO_PAGE_SIZE)) ||
		    !same_user_page(hp, uh.host + (uptr - base) + off)) {
			rc = -EINVAL;
			break;
		}
	}
	user_host_put(ucmd->ctx, &uh);
out_put:
	obj_put(&hwpt->obj);
	return rc;
}

/*
 * The file and offset behind a byte of this process (from /proc/self/maps), so a page the
 * caller mapped from a file can be matched with pins of IOMMU_IOAS_MAP_FILE, which name the
 * file itself. false: anonymous memory, or not found.
 */
static bool host_file_page(const void *p, uint64_t *dev, uint64_t *ino, uint64_t *offset)
{
	uintptr_t a = (uintptr_t)p;
	bool found = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, inode;
		unsigned int maj, min;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end, &off, &maj, &min,
			   &inode) != 6 ||
		    a < start || a >= end)
			continue;
		if (!inode)
			break;
		*dev = makedev(maj, min);
		*ino = inode;
		*offset = off + ((a - start) & ~(uintptr_t)(IOASID_PAGE_SIZE - 1));
		found = true;
	}
	fclose(f);
	return found;
}

/*
 * Pins of the caller's page at uptr: by pages objects of the caller's memory there, and, if
 * that memory is a file's, by IOMMU_IOAS_MAP_FILE objects of the same file page (the kernel
 * counts the page's pins, however it was reached).
 */
static unsigned int count_pins(struct ioasid_ctx *ctx, void *source, uint64_t uptr)
{
	unsigned int n = pages_count_user_pins(ctx->params.mem, source, uptr);
	uint64_t dev, ino, off;
	struct user_host uh;

	if (!pages_any_file_pinned() || user_host(ctx, uptr, IOASID_PAGE_SIZE, &uh))
		return n;
	if (host_file_page(uh.host, &dev, &ino, &off))
		n += pages_count_file_pins(dev, ino, off);
	user_host_put(ctx, &uh);
	return n;
}

static int test_md_check_refs(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t uptr = cmd->check_refs.uptr, len = cmd->check_refs.length, end;
	struct ioasid_ctx *ctx = ucmd->ctx;
	void *source;
	int rc;

	if (len % IOASID_PAGE_SIZE || uptr % IOASID_PAGE_SIZE || check_add_u64(uptr, len, &end))
		return -EINVAL;
	rc = pages_source_get(ctx, &source);
	if (rc)
		return rc;
	for (; len; len -= IOASID_PAGE_SIZE, uptr += IOASID_PAGE_SIZE) {
		uint8_t byte;

		/* the kernel looks the page up first: memory the caller cannot read is EFAULT */
		rc = uaccess_from(ctx, &byte, uptr, 1);
		if (rc)
			break;
		if (count_pins(ctx, source, uptr) != cmd->check_refs.refs) {
			rc = -EIO;
			break;
		}
	}
	pages_source_put(ctx->params.mem, source);
	return rc;
}

static int test_dev_check_cache(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device *dev = dev_get(ucmd->ctx, cmd->id);
	int rc = 0;

	if (!dev)
		return -ENOENT;
	/* the cache is the vDEVICE's (vIOMMU invalidation resets it); none: all default */
	if (dev->model != &mock_model_ops || cmd->check_dev_cache.id > MOCK_DEV_CACHE_ID_MAX) {
		rc = -EINVAL;
	} else {
		struct vdevice *vd = vdevice_of_dev(ucmd->ctx, dev);
		uint32_t val =
			vd ? vd->cache[cmd->check_dev_cache.id] : IOMMU_TEST_DEV_CACHE_DEFAULT;

		if (val != cmd->check_dev_cache.cache)
			rc = -EINVAL;
	}
	obj_put(&dev->obj);
	return rc;
}

static int test_dirty(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->dirty.iova, len = cmd->dirty.length, psz = cmd->dirty.page_size;
	uint64_t max, count = 0;
	struct hwpt_paging *hwpt;
	uint8_t *bits;
	int rc;

	if (!psz || !len || iova % psz || len % psz || !cmd->dirty.uptr)
		return -EINVAL;
	max = len / psz;
	if (max > (SELFTEST_MAX_LEN * 8))
		return -EOVERFLOW;
	hwpt = hwpt_paging_get(ucmd->ctx, cmd->id);
	if (!hwpt)
		return -ENOENT;
	rc = -EINVAL;
	if (!hwpt->model->mark_dirty || !hwpt->domain->dirty_tracking)
		goto out_put;
	rc = -ENOMEM;
	bits = malloc((max + 7) / 8);
	if (!bits)
		goto out_put;
	rc = uaccess_from(ucmd->ctx, bits, cmd->dirty.uptr, (max + 7) / 8);
	if (rc)
		goto out_free;
	/*
	 * The kernel's mock keeps one entry per 2 KiB of IOVA but finds the entry for bit i
	 * at index (iova + i * page_size) / page_size: with another page size than 2 KiB the
	 * bit marks the entry of that index, not of that IOVA (Linux 6.12, tests/oracle
	 * "dirty"). The same here, so that the counts and bitmaps agree.
	 */
	for (uint64_t i = 0; i < max; i++) {
		uint64_t index = (iova + i * psz) / psz;

		if (((bits[i / 8] >> (i % 8)) & 1) && index <= UINT64_MAX / MOCK_IO_PAGE_SIZE)
			count += !hwpt->model->mark_dirty(hwpt->domain, index * MOCK_IO_PAGE_SIZE);
	}
	cmd->dirty.out_nr_dirty = count;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	free(bits);
out_put:
	obj_put(&hwpt->obj);
	return rc;
}

/* ---- staccess: the selftest's access, behind an fd ------------------------------------- */

struct staccess_item {
	struct staccess_item *next;
	uint64_t iova;
	uint64_t length;
	uint32_t id;
};

struct staccess {
	struct access *access;
	struct ioasid_ctx *ctx;
	int peer_fd;  /* ours: hangs up when every copy of the caller's fd is closed */
	dev_t st_dev; /* identity of the caller's fd (its socket) */
	ino_t st_ino;
	struct staccess_item *items;
	uint32_t next_id;
};

static void staccess_unmap(void *data, uint64_t iova, uint64_t length)
{
	struct staccess *sa = data;
	uint64_t last = length ? iova + (length - 1) : iova;
	struct staccess_item **pp = &sa->items;

	if (last < iova)
		last = UINT64_MAX;
	while (*pp) {
		struct staccess_item *item = *pp;

		if (iova > item->iova + (item->length - 1) || last < item->iova) {
			pp = &item->next;
			continue;
		}
		*pp = item->next;
		access_unpin_pages(sa->access, item->iova, item->length);
		free(item);
	}
}

static void staccess_free(struct staccess *sa)
{
	staccess_unmap(sa, 0, UINT64_MAX);
	access_destroy(sa->access);
	close(sa->peer_fd);
	sa->ctx->nr_access_fds--;
	free(sa);
}

static void staccess_close(void *data)
{
	staccess_free(data);
}

static const struct access_ops staccess_ops = {
	.unmap = staccess_unmap,
	.close = staccess_close,
};

static const struct access_ops staccess_ops_pin = {
	.needs_pin_pages = true,
	.unmap = staccess_unmap,
	.close = staccess_close,
};

static struct staccess *obj_to_staccess(struct obj *obj)
{
	struct access *access;

	if (obj->type != OBJ_ACCESS)
		return NULL;
	access = container_of(obj, struct access, obj);
	if (access->ops != &staccess_ops && access->ops != &staccess_ops_pin)
		return NULL;
	return access->data;
}

static struct staccess *staccess_get(struct ioasid_ctx *ctx, uint32_t fd)
{
	struct stat st;
	struct obj *obj;

	if (fd > INT32_MAX || fstat((int)fd, &st))
		return NULL;
	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct staccess *sa = obj_to_staccess(obj);

		if (sa && sa->st_dev == st.st_dev && sa->st_ino == st.st_ino)
			return sa;
	}
	return NULL;
}

void selftest_sweep_access_fds(struct ioasid_ctx *ctx)
{
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct staccess *sa = obj_to_staccess(obj);
		struct pollfd pfd;

		if (!sa)
			continue;
		pfd.fd = sa->peer_fd;
		pfd.events = POLLIN | POLLRDHUP;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			staccess_free(sa);
	}
}

static int test_create_access(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct ioasid_mem_ops *mem = ucmd->ctx->params.mem;
	uint32_t flags = cmd->create_access.flags;
	struct staccess *sa;
	struct stat st;
	int fds[2], rc, user_fd;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	/* each access holds an fd of ours: a daemon bounds them per context */
	if (ucmd->ctx->params.max_access_fds &&
	    ucmd->ctx->nr_access_fds >= ucmd->ctx->params.max_access_fds)
		return -EMFILE;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)) {
		rc = errno == EMFILE || errno == ENFILE ? -EMFILE : -ENOMEM;
		goto err_free;
	}
	if (fstat(fds[0], &st)) {
		rc = -ENOMEM;
		goto err_close;
	}
	sa->ctx = ucmd->ctx;
	sa->peer_fd = fds[1];
	sa->st_dev = st.st_dev;
	sa->st_ino = st.st_ino;
	rc = access_create(ucmd->ctx,
			   flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES ? &staccess_ops_pin :
									      &staccess_ops,
			   sa, &sa->access);
	if (rc)
		goto err_close;
	rc = access_attach(sa->access, cmd->id);
	if (rc)
		goto err_destroy;
	user_fd = fds[0];
	if (mem->install_fd) {
		/* the caller's own fd; ours is gone either way once it succeeds */
		user_fd = mem->install_fd(ucmd->ctx->params.mem_priv, fds[0], O_CLOEXEC);
		if (user_fd < 0) {
			rc = user_fd;
			goto err_destroy;
		}
		fds[0] = -1;
	}
	cmd->create_access.out_access_fd = user_fd;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_destroy;
	ucmd->ctx->nr_access_fds++;
	return 0;

err_destroy:
	access_destroy(sa->access);
err_close:
	if (fds[0] >= 0)
		close(fds[0]);
	close(fds[1]);
err_free:
	free(sa);
	return rc;
}

/* MOCK_FLAGS_ACCESS_SYZ: the IOVA is {nth area, offset} (a fuzzer cannot guess IOVAs). */
static uint64_t syz_iova(struct access *access, uint64_t packed)
{
	uint32_t nth = (uint32_t)packed, offset = (uint32_t)(packed >> 32);

	if (!access->ioas)
		return 0;
	for (struct itree_node *n = itree_first(&access->ioas->iopt.areas); n; n = itree_next(n))
		if (!nth--)
			return n->start + offset;
	return 0;
}

static int test_access_pages(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->access_pages.iova, len = cmd->access_pages.length;
	uint64_t uptr = cmd->access_pages.uptr, npages, first;
	uint32_t flags = cmd->access_pages.flags;
	struct staccess_item *item;
	struct staccess *sa;
	void **host;
	int rc;

	if (len > SELFTEST_MAX_LEN)
		return -ENOMEM;
	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	sa = staccess_get(ucmd->ctx, cmd->id);
	if (!sa)
		return -EBADFD;
	if (sa->access->ops != &staccess_ops_pin)
		return -EOPNOTSUPP;
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = syz_iova(sa->access, iova);
	if (!len)
		return -EINVAL;
	first = ALIGN_DOWN_U64(iova, IOASID_PAGE_SIZE);
	if (check_add_u64(iova, len - 1, &npages))
		return -EOVERFLOW;
	npages = ((npages - first) >> IOASID_PAGE_SHIFT) + 1;
	host = calloc(npages, sizeof(*host));
	if (!host)
		return -ENOMEM;
	rc = access_pin_pages(sa->access, iova, len, flags & MOCK_FLAGS_ACCESS_WRITE, host);
	if (rc)
		goto out_free;
	/* the pages pinned are the pages at uptr (NULL: skip the check, for fuzzers) */
	if (uptr) {
		uint64_t ubase = uptr - (iova - first);
		struct user_host uh;

		rc = user_host(ucmd->ctx, ubase, npages << IOASID_PAGE_SHIFT, &uh);
		if (rc)
			goto err_unpin;
		for (uint64_t i = 0; i < npages && !rc; i++)
			if (!same_user_page(host[i], uh.host + (i << IOASID_PAGE_SHIFT)))
				rc = -EBADE;
		user_host_put(ucmd->ctx, &uh);
		if (rc)
			goto err_unpin;
	}
	rc = -ENOMEM;
	item = calloc(1, sizeof(*item));
	if (!item)
		goto err_unpin;
	item->iova = iova;
	item->length = len;
	item->id = sa->next_id++;
	cmd->access_pages.out_access_pages_id = item->id;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		free(item);
		goto err_unpin;
	}
	item->next = sa->items;
	sa->items = item;
	goto out_free;

err_unpin:
	access_unpin_pages(sa->access, iova, len);
out_free:
	free(host);
	return rc;
}

static int test_destroy_access_pages(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct staccess *sa = staccess_get(ucmd->ctx, cmd->id);

	if (!sa)
		return -EBADFD;
	for (struct staccess_item **pp = &sa->items; *pp; pp = &(*pp)->next) {
		struct staccess_item *item = *pp;

		if (item->id != cmd->destroy_access_pages.access_pages_id)
			continue;
		*pp = item->next;
		access_unpin_pages(sa->access, item->iova, item->length);
		free(item);
		return 0;
	}
	return -ENOENT;
}

static int test_access_rw(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t iova = cmd->access_rw.iova, len = cmd->access_rw.length;
	uint32_t flags = cmd->access_rw.flags;
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	struct staccess *sa;
	void *tmp;
	int rc;

	if (len > SELFTEST_MAX_LEN)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	sa = staccess_get(ucmd->ctx, cmd->id);
	if (!sa)
		return -EBADFD;
	tmp = calloc(1, len ? len : 1);
	if (!tmp)
		return -ENOMEM;
	if (write) {
		rc = uaccess_from(ucmd->ctx, tmp, cmd->access_rw.uptr, len);
		if (rc)
			goto out_free;
	}
	if (flags & MOCK_FLAGS_ACCESS_SYZ)
		iova = syz_iova(sa->access, iova);
	/* the slow path (copy through the pages one at a time) is the only path we have */
	rc = access_rw(sa->access, iova, tmp, len, write);
	if (rc)
		goto out_free;
	if (!write)
		rc = uaccess_to(ucmd->ctx, cmd->access_rw.uptr, tmp, len);
out_free:
	free(tmp);
	return rc;
}

static int test_access_replace_ioas(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct staccess *sa = staccess_get(ucmd->ctx, cmd->id);

	if (!sa)
		return -EBADFD;
	return access_replace(sa->access, cmd->access_replace_ioas.ioas_id);
}

/* MD_CHECK_IOTLB: entry id of a mock nested HWPT's IOTLB holds the value given. */
static int test_md_check_iotlb(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct hwpt_nested *n = hwpt_nested_get(ucmd->ctx, cmd->id);
	int rc = 0;

	if (!n)
		return -ENOENT;
	if (n->data_type != IOMMU_HWPT_DATA_SELFTEST ||
	    cmd->check_iotlb.id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    n->mock_iotlb[cmd->check_iotlb.id] != cmd->check_iotlb.iotlb)
		rc = -EINVAL;
	obj_put(&n->obj);
	return rc;
}

/*
 * TRIGGER_IOPF: the mock device raises one page request (a group of one). It goes to the
 * fault queue of what the device is attached to, as a real device's would; with nowhere
 * to go it is answered "invalid" at once and nobody sees it. The op itself succeeds.
 */
static int test_trigger_iopf(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device *dev = dev_get(ucmd->ctx, cmd->trigger_iopf.dev_id);
	struct iommu_hwpt_pgfault rec = { 0 };
	struct fault_queue *fq;
	const void *owner = NULL;

	if (!dev)
		return -ENOENT;
	if (dev->model != &mock_model_ops) {
		obj_put(&dev->obj);
		return -EINVAL;
	}
	rec.flags = cmd->trigger_iopf.pasid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0;
	rec.dev_id = dev->obj.id;
	rec.pasid = cmd->trigger_iopf.pasid;
	rec.grpid = cmd->trigger_iopf.grpid;
	rec.perm = cmd->trigger_iopf.perm;
	rec.addr = cmd->trigger_iopf.addr;
	fq = dev_fault_queue(dev, rec.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID, rec.pasid, &owner);
	if (fq)
		fault_report(fq, owner, &rec, 1, NULL, NULL);
	obj_put(&dev->obj);
	return 0;
}

/* TRIGGER_VEVENT: the device's vIOMMU reports an event naming its vDEVICE's virt_id. */
static int test_trigger_vevent(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device *dev = dev_get(ucmd->ctx, cmd->trigger_vevent.dev_id);
	struct iommu_viommu_event_selftest ev = { 0 };
	struct vdevice *vd;
	int rc;

	if (!dev)
		return -ENOENT;
	rc = -EINVAL;
	if (dev->model != &mock_model_ops)
		goto out_put;
	rc = -ENOENT;
	vd = vdevice_of_dev(ucmd->ctx, dev);
	if (!vd)
		goto out_put;
	ev.virt_id = (uint32_t)vd->virt_id;
	rc = veventq_report(vd->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, &ev, sizeof(ev));
out_put:
	obj_put(&dev->obj);
	return rc;
}

/* ---- test dma-bufs ----------------------------------------------------------------------- */

/*
 * IOMMU_TEST_OP_DMABUF_GET makes what the kernel's selftest calls a dma-buf: zeroed memory
 * (a memfd) exported through the dma-buf registry (dmabuf.c) with this context as its
 * exporter, one range, the length rounded up to a page, at most SELFTEST_DMABUF_PAGES; the
 * op's result is the program's fd, as the kernel's. IOMMU_TEST_OP_DMABUF_REVOKE revokes or
 * restores one of this context's: a revoke unmaps every IOAS area that mapped it, for good,
 * and refuses new MAP_FILEs (ENODEV) until restored, as the kernel's importer. The context's
 * close ends them (dmabuf_owner_gone). At most SELFTEST_MAX_DMABUFS live per context.
 */
#define SELFTEST_MAX_DMABUFS  64
#define SELFTEST_DMABUF_PAGES 512

void selftest_dmabuf_free_all(struct ioasid_ctx *ctx)
{
	dmabuf_owner_gone(ctx, NULL);
}

static int test_dmabuf_get(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct ioasid_mem_ops *mem = ucmd->ctx->params.mem;
	struct ioasid_dmabuf_desc d = { .owner = ucmd->ctx,
					.nr_ranges = 1,
					.max_per_owner = SELFTEST_MAX_DMABUFS };
	uint64_t len;
	int mfd, user_fd, rc;

	/* a u32 never overflows a u64 when rounded up to a page */
	align_up_u64(cmd->dmabuf_get.length, IOASID_PAGE_SIZE, &len);
	if (!len || len > SELFTEST_DMABUF_PAGES * IOASID_PAGE_SIZE)
		return -EINVAL;
	if (cmd->dmabuf_get.open_flags & ~(uint32_t)(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	mfd = memfd_create("ioasid-test-dmabuf", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)len)) {
		if (mfd >= 0)
			close(mfd);
		return -ENOMEM;
	}
	d.size = len;
	d.backing_fd = mfd;
	rc = dmabuf_export(&d, &user_fd);
	close(mfd); /* the registry keeps its own */
	if (rc)
		return rc == -EMFILE ? -ENOMEM : rc;
	if (mem->install_fd) {
		int theirs = mem->install_fd(ucmd->ctx->params.mem_priv, user_fd,
					     cmd->dmabuf_get.open_flags & O_CLOEXEC);

		if (theirs < 0) {
			close(user_fd);
			return theirs;
		}
		user_fd = theirs;
	} else if (!(cmd->dmabuf_get.open_flags & O_CLOEXEC)) {
		fcntl(user_fd, F_SETFD, 0);
	}
	return user_fd; /* the op's result is the fd, as the kernel's */
}

static int test_dmabuf_revoke(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	return dmabuf_revoke_fd(ucmd->ctx, cmd->dmabuf_revoke.dmabuf_fd, cmd->dmabuf_revoke.revoked,
				ucmd->ctx);
}

/*
 * PASID_ATTACH / _REPLACE / _DETACH / _CHECK_HWPT on the mock device of selftest object
 * cmd->id, through the device layer's per-PASID calls (device.c). Detach of a PASID not
 * attached is 0; CHECK_HWPT with hwpt_id 0 asks that nothing be attached.
 */
static int test_pasid(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct obj *obj = obj_get(ucmd->ctx, cmd->id, OBJ_SELFTEST);
	struct selftest_obj *so;
	struct device *dev;
	uint32_t pt_id;
	int rc = 0;

	if (!obj)
		return -ENOENT;
	so = container_of(obj, struct selftest_obj, obj);
	dev = so->dev;
	switch (cmd->op) {
	case IOMMU_TEST_OP_PASID_ATTACH:
		pt_id = cmd->pasid_attach.pt_id;
		rc = dev_pasid_attach(dev, cmd->pasid_attach.pasid, &pt_id);
		if (!rc && cmd->pasid_attach.pasid == 1024)
			so->pasid_1024_armed = true;
		if (rc)
			break;
		cmd->pasid_attach.pt_id = pt_id;
		rc = ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			dev_pasid_detach(dev, cmd->pasid_attach.pasid);
		break;
	case IOMMU_TEST_OP_PASID_REPLACE:
		pt_id = cmd->pasid_replace.pt_id;
		if (cmd->pasid_replace.pasid == 1024 && so->pasid_1024_armed &&
		    dev_pasid_attached(dev, 1024)) {
			so->pasid_1024_armed = false; /* the planted failure: nothing moves */
			rc = -ENOMEM;
			break;
		}
		rc = dev_pasid_replace(dev, cmd->pasid_replace.pasid, &pt_id);
		if (!rc && cmd->pasid_replace.pasid == 1024)
			so->pasid_1024_armed = true;
		if (rc)
			break;
		cmd->pasid_replace.pt_id = pt_id;
		rc = ucmd_respond(ucmd, sizeof(*cmd));
		break;
	case IOMMU_TEST_OP_PASID_DETACH:
		dev_pasid_detach(dev, cmd->pasid_detach.pasid);
		if (cmd->pasid_detach.pasid == 1024)
			so->pasid_1024_armed = false;
		break;
	default: { /* IOMMU_TEST_OP_PASID_CHECK_HWPT */
		/* what the PASID is on: a nested HWPT, or else the paging one */
		struct obj *cur = dev_pasid_attached(dev, cmd->pasid_check.pasid);
		struct obj *want;

		if (!cmd->pasid_check.hwpt_id) {
			rc = cur ? -EINVAL : 0;
			break;
		}
		want = obj_get(ucmd->ctx, cmd->pasid_check.hwpt_id, OBJ_ANY);
		if (want && want->type != OBJ_HWPT_PAGING && want->type != OBJ_HWPT_NESTED) {
			obj_put(want);
			want = NULL;
		}
		if (!want) {
			rc = -ENOENT;
			break;
		}
		if (cur != want)
			rc = -EINVAL;
		obj_put(want);
		break;
	}
	}
	obj_put(obj);
	return rc;
}

/*
 * IOASID_DEV_DMA: device cmd->id's DMA through its PASID table (src/iommu), in chunks through
 * a bounce buffer: the caller's buffer is reached by uaccess (in the daemon, the client's
 * memory by process_vm_readv/writev), the device's side is memory the IOAS maps (in the
 * daemon, its mirror of the client's pinned pages). A fault is a successful call that
 * reports it; errors are for the call itself.
 */
#define DEV_DMA_CHUNK ((size_t)64 << 10)

static int test_dev_dma(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device *dev;
	struct iommu_fault f = { 0 };
	uint32_t dev_id;
	uint64_t done = 0, len = cmd->dev_dma.length, last;
	bool write = cmd->dev_dma.flags & IOMMU_TEST_DMA_WRITE;
	uint8_t *bounce;
	int rc = 0;

	if (cmd->dev_dma.flags & ~IOMMU_TEST_DMA_WRITE)
		return -EOPNOTSUPP;
	if (len && (check_add_u64(cmd->dev_dma.iova, len - 1, &last) ||
		    check_add_u64(cmd->dev_dma.uptr, len - 1, &last)))
		return -EOVERFLOW;
	/*
	 * Only the ID is kept: a DMA waiting for a page response drops ctx->lock, and another
	 * thread may unbind the device meanwhile (the DMA then ends with ENOENT or a fault).
	 */
	dev = dev_get(ucmd->ctx, cmd->id);
	if (!dev)
		return -ENOENT;
	dev_id = dev->obj.id;
	obj_put(&dev->obj);
	bounce = malloc(len < DEV_DMA_CHUNK ? (len ? len : 1) : DEV_DMA_CHUNK);
	if (!bounce)
		return -ENOMEM;
	while (done < len) {
		size_t n = len - done < DEV_DMA_CHUNK ? (size_t)(len - done) : DEV_DMA_CHUNK;
		size_t got;
		int drc;

		if (write) {
			rc = uaccess_from(ucmd->ctx, bounce, cmd->dev_dma.uptr + done, n);
			if (rc)
				goto out_free;
		}
		/* a fault on a fault-capable HWPT waits for the page response (device.c) */
		drc = dev_dma_iopf(ucmd->ctx, dev_id, cmd->dev_dma.pasid, cmd->dev_dma.iova + done,
				   bounce, n, write, true, &f, &got);
		if (drc) {
			if (drc != -EFAULT && drc != -ENODEV) {
				rc = drc;
				goto out_free;
			}
			/* the prefix up to the faulting block was done */
			if (!write && got) {
				rc = uaccess_to(ucmd->ctx, cmd->dev_dma.uptr + done, bounce, got);
				if (rc)
					goto out_free;
			}
			done += got;
			break;
		}
		if (!write) {
			rc = uaccess_to(ucmd->ctx, cmd->dev_dma.uptr + done, bounce, n);
			if (rc)
				goto out_free;
		}
		done += n;
	}
	cmd->dev_dma.length = done;
	cmd->dev_dma.out_fault_type = (uint32_t)f.type;
	cmd->dev_dma.out_fault_stage = (uint16_t)f.stage;
	cmd->dev_dma.out_fault_level = (uint16_t)f.level;
	cmd->dev_dma.out_fault_addr = f.addr;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	free(bounce);
	return rc;
}

/* IOASID_DEV_NEW: a context-owned device of one of our IOMMU models (ioasid_device_new). */
static int test_dev_new(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct ioasid_device_desc d = { .format = cmd->dev_new.format,
					.flags = cmd->dev_new.flags };
	uint32_t id;
	int rc;

	if (!memchr(cmd->dev_new.format, 0, sizeof(cmd->dev_new.format)))
		return -EINVAL;
	rc = device_new_locked(ucmd->ctx, &d, &id);
	if (rc)
		return rc;
	cmd->dev_new.out_dev_id = id;
	return ucmd_respond(ucmd, sizeof(*cmd)); /* a failure aborts the pending device */
}

/* IOASID_DEV_ATTACH: the C API's per-PASID attach/replace/detach, for IOASID_DEV_NEW devices. */
static int test_dev_attach(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device *dev = dev_get(ucmd->ctx, cmd->id);
	uint32_t pt = cmd->dev_attach.pt_id, pasid = cmd->dev_attach.pasid;
	int rc;

	if (!dev)
		return -ENOENT;
	if (!dev->ctx_owned) {
		obj_put(&dev->obj);
		return -ENOENT; /* the selftest's mock devices have their own ops */
	}
	switch (cmd->dev_attach.op) {
	case IOMMU_TEST_DEV_ATTACH:
		rc = dev_pasid_attach(dev, pasid, &pt);
		break;
	case IOMMU_TEST_DEV_REPLACE:
		rc = dev_pasid_replace(dev, pasid, &pt);
		break;
	case IOMMU_TEST_DEV_DETACH:
		rc = dev_pasid_detach_checked(dev, pasid);
		pt = 0;
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}
	obj_put(&dev->obj);
	if (rc)
		return rc;
	cmd->dev_attach.out_hwpt_id = pt;
	return ucmd_respond(ucmd, sizeof(*cmd));
}

int selftest_ioctl(struct ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return test_md_check_refs(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return test_md_check_iotlb(ucmd, cmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return test_dev_check_cache(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return test_access_replace_ioas(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return test_destroy_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return test_access_rw(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* the kernel's floor: one batch element */
		if (cmd->memory_limit.limit < sizeof(uint64_t) + sizeof(uint32_t))
			return -EINVAL;
		selftest_memory_limit = cmd->memory_limit.limit;
		return 0;
	case IOMMU_TEST_OP_DIRTY:
		return test_dirty(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return test_trigger_vevent(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_GET:
		return test_dmabuf_get(ucmd, cmd);
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return test_dmabuf_revoke(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
	case IOMMU_TEST_OP_PASID_DETACH:
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return test_pasid(ucmd, cmd);
	case IOMMU_TEST_OP_IOASID_DEV_DMA:
		return test_dev_dma(ucmd, cmd);
	case IOMMU_TEST_OP_IOASID_DEV_NEW:
		return test_dev_new(ucmd, cmd);
	case IOMMU_TEST_OP_IOASID_DEV_ATTACH:
		return test_dev_attach(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}
