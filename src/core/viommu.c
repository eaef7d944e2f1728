/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * viommu.c - vIOMMUs and what hangs off them: vDEVICEs, vEVENTQs, HW queues, and the
 * invalidations scoped to a vIOMMU.
 *
 * A vIOMMU (IOMMU_VIOMMU_ALLOC) is one virtual machine's slice of the IOMMU behind a
 * device, on a nest-parent HWPT that is the VM's stage 2. It is the home of what the guest
 * sees of that IOMMU:
 *   vDEVICE  a device as the guest names it (virt_id: a vSID, vDeviceID or vRID); at most
 *            one per device and one per virt_id in a vIOMMU (EEXIST);
 *   vEVENTQ  events for the guest (IOMMU_VEVENTQ_ALLOC), at most one per type (EEXIST),
 *            read from an fd as (struct iommufd_vevent_header, data) pairs;
 *   HW queue guest memory the hardware reads commands from (IOMMU_HW_QUEUE_ALLOC), pinned
 *            in the parent's IOAS for as long as the queue lives;
 *   nested HWPTs allocated with pt_id naming the vIOMMU (hwpt_nested.c);
 *   IOMMU_HWPT_INVALIDATE naming the vIOMMU: caches keyed by virt_id (device caches).
 * Each holds a user reference on the vIOMMU, so the vIOMMU is EBUSY to destroy until they
 * are gone; the vIOMMU holds one on its parent HWPT.
 *
 * Types. The selftest's mock (IOMMU_VIOMMU_TYPE_SELFTEST, for mock devices): its data
 * echoes in_data as out_data and offers two pages through mmap of the iommufd (a memfd;
 * IOMMU_DESTROY is EBUSY while anybody maps them, viommu_busy()); its vEVENTQ type carries the
 * vDEVICE's virt_id (IOMMU_TEST_OP_TRIGGER_VEVENT); its invalidation resets entries of a
 * vDEVICE's four-entry cache (IOMMU_TEST_OP_DEV_CHECK_CACHE reads them); it takes HW queues
 * of its type, indexes 0 and 1, allocated in order. SMMUv3 (IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
 * on an ARM LPAE stage 2): nested HWPTs with the guest's STE, SMMUv3 command-queue entries
 * as its invalidation, SMMUv3 event records on its vEVENTQ. Other hardware types (Tegra241
 * CMDQV, AMD) are EOPNOTSUPP, as the kernel answers a driver without them.
 *
 * The vEVENTQ fd is the read end of a pipe (we keep the write end, non-blocking), so a
 * program's read and poll are the kernel's own and the fd crosses processes. Events are
 * written when they happen. The queue is full when veventq_depth events are unread (the
 * pipe's unread bytes, FIONREAD on our end, over the record size); an event that finds it full is
 * dropped and a header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS is written at once (or, if the pipe
 * itself is full, before the next event written).
 * Every event takes the next sequence number (0..INT32_MAX, then 0 again), lost ones included, so a
 * gap also tells the reader how many were lost. The kernel's read rules (EINVAL for a read too
 * short for the next whole record, never part of one) are the shim's (src/shim/veventq.c); a
 * program reading the pipe without the shim gets a pipe's reads.
 *
 * Locking: ctx->lock, held by every caller.
 */
#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/private.h"
#include "pt/pt.h"
#include <linux/iommufd_test.h>

#define endof(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/*
 * The deepest vEVENTQ one may ask for, the kernel's bound (Linux 7.x): deeper is EINVAL. What
 * the pipe holds bounds it too: an event that does not fit is lost, as one past the depth.
 */
#define VEVENTQ_MAX_DEPTH (1U << 19)

struct viommu *viommu_get(struct ioasid_ctx *ctx, uint32_t id)
{
	struct obj *obj = obj_get(ctx, id, OBJ_VIOMMU);

	return obj ? container_of(obj, struct viommu, obj) : NULL;
}

struct vdevice *viommu_find_vdev(struct viommu *v, uint64_t virt_id)
{
	for (struct vdevice *vd = v->vdevs; vd; vd = vd->next)
		if (vd->virt_id == virt_id)
			return vd;
	return NULL;
}

struct vdevice *vdevice_of_dev(struct ioasid_ctx *ctx, struct device *dev)
{
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct vdevice *vd;

		if (obj->type != OBJ_VDEVICE)
			continue;
		vd = container_of(obj, struct vdevice, obj);
		if (vd->dev == dev)
			return vd;
	}
	/* a pending one (made by the call in progress) counts too */
	for (unsigned int i = 0; i < ctx->npending; i++)
		if (ctx->pending[i]->type == OBJ_VDEVICE &&
		    container_of(ctx->pending[i], struct vdevice, obj)->dev == dev)
			return container_of(ctx->pending[i], struct vdevice, obj);
	return NULL;
}

void viommu_dev_gone(struct device *dev)
{
	struct vdevice *vd = vdevice_of_dev(dev->obj.ctx, dev);

	if (vd)
		obj_remove(dev->obj.ctx, &vd->obj);
}

/* A device's IOMMU has the vIOMMU type: the mock's for mock devices, SMMUv3 for others. */
static bool viommu_type_ok(struct device *dev, uint32_t type)
{
	if (dev->model == &mock_model_ops)
		return type == IOMMU_VIOMMU_TYPE_SELFTEST;
	return type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
}

static bool is_arm_s2(const struct iommu_domain *d)
{
	return pt_is_domain(d) && pt_domain_config(d)->format == PT_FMT_ARM_LPAE;
}

/* ---- IOMMU_VIOMMU_ALLOC ------------------------------------------------------------------- */

void viommu_destroy(struct obj *obj)
{
	struct viommu *v = container_of(obj, struct viommu, obj);

	if (v->mmap_fd >= 0) {
		close(v->mmap_fd);
		obj->ctx->nr_faults--;
	}
	if (v->parent)
		obj_unref(&v->parent->obj);
}

/*
 * The region a mock vIOMMU offers through mmap of the iommufd: two pages, the first word
 * holding in_data, as the kernel's mock (its length and offset are what the allocation
 * returns; any other offset or length is ENXIO). It is a memfd sealed against growing and
 * shrinking; the vIOMMU keeps only a read-only fd of it (a reopen), so that every fd
 * opened for writing on it is one ioasid_mmap_fd() gave out, or a copy of one: who maps
 * the region holds such a file (a mapping holds its file), and viommu_busy() asks the
 * kernel whether any is left. The offset is the vIOMMU's ID times the region's size, so no
 * two vIOMMUs of a context share one.
 */
#define VIOMMU_MMAP_PAGES 2

static int viommu_mmap_page(struct viommu *v, uint32_t in_data)
{
	const size_t len = VIOMMU_MMAP_PAGES * IOASID_PAGE_SIZE;
	char path[40];
	int fd, ro;

	if (v->obj.ctx->nr_faults >= CTX_MAX_FD_OBJECTS)
		return -EMFILE;
	fd = memfd_create("ioasid-viommu", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -ENOMEM;
	if (ftruncate(fd, (off_t)len) ||
	    pwrite(fd, &in_data, sizeof(in_data), 0) != sizeof(in_data) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		close(fd);
		return -ENOMEM;
	}
	/* keep a read-only file: writers are then only the files handed out */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	if (ro < 0)
		return -ENOMEM;
	v->mmap_fd = ro;
	v->obj.ctx->nr_faults++; /* an fd held for the context, as a fault queue's */
	v->mmap_offset = (uint64_t)v->obj.id * len;
	v->mmap_length = len;
	return 0;
}

/*
 * Does a file handed out by ioasid_mmap_fd() still exist (open, or mapped anywhere: a
 * mapping holds its file, a forked child's copy too)? A read lease is refused (EAGAIN)
 * exactly while some file is open for writing on the inode, and ours is read-only; a
 * granted lease is dropped at once. Called with ctx->lock held, so no open of ours races
 * with it. A program that turned its handed file into a read-only one (a reopen of its
 * own) is not seen, and only its own destroy is then allowed early; the daemon ignores
 * SIGIO, which a racing writer's open would send to the lease's holder. Where leases are
 * not available (fs.leases-enable = 0), nothing is seen busy.
 */
bool viommu_busy(struct obj *obj)
{
	struct viommu *v = container_of(obj, struct viommu, obj);

	if (v->mmap_fd < 0)
		return false;
	if (!fcntl(v->mmap_fd, F_SETLEASE, F_RDLCK)) {
		fcntl(v->mmap_fd, F_SETLEASE, F_UNLCK);
		return false;
	}
	return errno == EAGAIN;
}

int ioasid_mmap_fd(struct ioasid_ctx *ctx, uint64_t offset, uint64_t length)
{
	int rc = -ENXIO;
	struct obj *obj;

	pthread_mutex_lock(&ctx->lock);
	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct viommu *v;
		char path[40];

		if (obj->type != OBJ_VIOMMU)
			continue;
		v = container_of(obj, struct viommu, obj);
		if (v->mmap_fd < 0 || v->mmap_offset != offset || v->mmap_length != length)
			continue;
		/* a file of its own, opened for writing: what viommu_busy() looks for */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", v->mmap_fd);
		rc = open(path, O_RDWR | O_CLOEXEC);
		if (rc < 0)
			rc = errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
		break;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

int viommu_alloc_ioctl(struct ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommu_viommu_selftest data = { 0 };
	struct hwpt_paging *parent;
	struct device *dev;
	struct viommu *v;
	struct obj *obj;
	int rc;

	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	dev = dev_get(ucmd->ctx, cmd->dev_id);
	if (!dev)
		return -ENOENT;
	rc = -EOPNOTSUPP;
	if (!viommu_type_ok(dev, cmd->type))
		goto out_dev;
	rc = -ENOENT;
	parent = hwpt_paging_get(ucmd->ctx, cmd->hwpt_id);
	if (!parent)
		goto out_dev;
	rc = -EINVAL;
	if (!(parent->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT) || parent->model != dev->model ||
	    (cmd->type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 && !is_arm_s2(parent->domain)))
		goto out_parent;
	if (cmd->data_len && cmd->type != IOMMU_VIOMMU_TYPE_SELFTEST) {
		rc = -EINVAL; /* an SMMUv3 vIOMMU takes no data */
		goto out_parent;
	}
	if (cmd->data_len) {
		/* the mock's data: in_data in, out_data out (the kernel's struct rules) */
		if (cmd->data_len < endof(struct iommu_viommu_selftest, out_data) ||
		    cmd->data_len > sizeof(data))
			goto out_parent;
		rc = uaccess_from(ucmd->ctx, &data, cmd->data_uptr, cmd->data_len);
		if (rc)
			goto out_parent;
	}
	rc = -ENOMEM;
	obj = obj_alloc(ucmd->ctx, OBJ_VIOMMU);
	if (!obj)
		goto out_parent;
	v = container_of(obj, struct viommu, obj);
	v->mmap_fd = -1;
	v->type = cmd->type;
	v->model = dev->model;
	v->parent = parent;
	obj_ref(&parent->obj);
	if (cmd->data_len) {
		v->data = data.in_data;
		data.out_data = data.in_data;
		if (cmd->data_len >= endof(struct iommu_viommu_selftest, out_mmap_length)) {
			rc = viommu_mmap_page(v, data.in_data);
			if (rc)
				goto out_parent;
			data.out_mmap_offset = v->mmap_offset;
			data.out_mmap_length = v->mmap_length;
		}
		rc = uaccess_to(ucmd->ctx, cmd->data_uptr, &data, cmd->data_len);
		if (rc)
			goto out_parent; /* v is pending: the dispatcher aborts it */
	}
	cmd->out_viommu_id = v->obj.id;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_parent:
	obj_put(&parent->obj);
out_dev:
	obj_put(&dev->obj);
	return rc;
}

/* ---- IOMMU_VDEVICE_ALLOC ------------------------------------------------------------------ */

void vdevice_destroy(struct obj *obj)
{
	struct vdevice *vd = container_of(obj, struct vdevice, obj);
	struct viommu *v = vd->viommu;

	if (!v)
		return;
	for (struct vdevice **pp = &v->vdevs; *pp; pp = &(*pp)->next)
		if (*pp == vd) {
			*pp = vd->next;
			break;
		}
	obj_unref(&vd->dev->obj);
	obj_unref(&v->obj);
}

int vdevice_alloc_ioctl(struct ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct viommu *v;
	struct device *dev;
	struct vdevice *vd;
	struct obj *obj;
	int rc;

	v = viommu_get(ucmd->ctx, cmd->viommu_id);
	if (!v)
		return -ENOENT;
	rc = -ENOENT;
	dev = dev_get(ucmd->ctx, cmd->dev_id);
	if (!dev)
		goto out_viommu;
	rc = -EINVAL; /* a device behind another IOMMU */
	if (dev->model != v->model)
		goto out_dev;
	rc = -EEXIST;
	if (vdevice_of_dev(ucmd->ctx, dev) || viommu_find_vdev(v, cmd->virt_id))
		goto out_dev;
	rc = -ENOMEM;
	obj = obj_alloc(ucmd->ctx, OBJ_VDEVICE);
	if (!obj)
		goto out_dev;
	vd = container_of(obj, struct vdevice, obj);
	vd->viommu = v;
	obj_ref(&v->obj);
	vd->dev = dev;
	obj_ref(&dev->obj);
	vd->virt_id = cmd->virt_id;
	for (size_t i = 0; i < ARRAY_SIZE(vd->cache); i++)
		vd->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	vd->next = v->vdevs;
	v->vdevs = vd;
	cmd->out_vdevice_id = vd->obj.id;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out_dev:
	obj_put(&dev->obj);
out_viommu:
	obj_put(&v->obj);
	return rc;
}

/* ---- vIOMMU-scoped invalidation ------------------------------------------------------------ */

/* SMMUv3 command opcodes a guest may send (CMDQ entry bits 7:0) */
enum {
	SMMU_CMD_CFGI_CD = 0x05,
	SMMU_CMD_CFGI_CD_ALL = 0x06,
	SMMU_CMD_TLBI_NH_ALL = 0x10,
	SMMU_CMD_TLBI_NH_ASID = 0x11,
	SMMU_CMD_TLBI_NH_VA = 0x12,
	SMMU_CMD_TLBI_NH_VAA = 0x13,
	SMMU_CMD_TLBI_NSNH_ALL = 0x30,
	SMMU_CMD_ATC_INV = 0x40,
};

/*
 * SMMUv3 commands, as the kernel's vSMMU takes them: the TLB invalidations of the guest's
 * stage 1 (scoped to the vIOMMU's VMID), and the per-stream ones whose StreamID (bits 63:32
 * of the first word) is a vSID that must name a vDEVICE. Anything else is EIO.
 */
static int viommu_invalidate_smmuv3(struct viommu *v, uint64_t uptr, uint32_t entry_len,
				    uint32_t *inout_num)
{
	bool flush = false;
	uint32_t done = 0;
	int rc = 0;

	for (; done < *inout_num; done++) {
		struct iommu_viommu_arm_smmuv3_invalidate inv;
		uint64_t w0;

		if (entry_len != sizeof(inv)) {
			rc = -EINVAL;
			break;
		}
		rc = uaccess_from(v->obj.ctx, &inv, uptr + (uint64_t)entry_len * done, entry_len);
		if (rc)
			break;
		w0 = le64toh(inv.cmd[0]);
		switch (w0 & 0xff) {
		case SMMU_CMD_TLBI_NH_ALL:
		case SMMU_CMD_TLBI_NH_ASID:
		case SMMU_CMD_TLBI_NH_VA:
		case SMMU_CMD_TLBI_NH_VAA:
		case SMMU_CMD_TLBI_NSNH_ALL:
			/*
			 * Every nested HWPT of the vIOMMU drops all its IOTLB entries (below, once
			 * for the array): more than an ASID- or range-scoped command asks, which
			 * hardware may also do.
			 */
			flush = true;
			break;
		case SMMU_CMD_ATC_INV:
		case SMMU_CMD_CFGI_CD:
		case SMMU_CMD_CFGI_CD_ALL:
			if (!viommu_find_vdev(v, w0 >> 32))
				rc = -EIO;
			else if ((w0 & 0xff) != SMMU_CMD_ATC_INV)
				flush = true; /* a CD's translations go with it */
			break;
		default:
			rc = -EIO;
			break;
		}
		if (rc)
			break;
	}
	if (flush)
		hwpt_nested_flush_viommu(v);
	*inout_num = done;
	v->invalidations += done;
	return rc;
}

int viommu_invalidate(struct viommu *v, uint32_t type, uint64_t uptr, uint32_t entry_len,
		      uint32_t *inout_num)
{
	const size_t min_len = endof(struct iommu_viommu_invalidate_selftest, cache_id);
	uint32_t done = 0;
	int rc = 0;

	if (v->type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
	    type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
		return viommu_invalidate_smmuv3(v, uptr, entry_len, inout_num);
	if (v->type != IOMMU_VIOMMU_TYPE_SELFTEST ||
	    type != IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
		*inout_num = 0;
		return -EINVAL;
	}
	for (; done < *inout_num; done++) {
		struct iommu_viommu_invalidate_selftest inv = { 0 };
		struct vdevice *vd;

		if (entry_len < min_len || entry_len > sizeof(inv)) {
			rc = -EINVAL;
			break;
		}
		rc = uaccess_from(v->obj.ctx, &inv, uptr + (uint64_t)entry_len * done, entry_len);
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.cache_id > MOCK_DEV_CACHE_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		vd = viommu_find_vdev(v, inv.vdev_id);
		if (!vd) {
			rc = -EINVAL;
			break;
		}
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			memset(vd->cache, 0, sizeof(vd->cache));
		else
			vd->cache[inv.cache_id] = 0;
	}
	if (done) /* the nested HWPTs on the vIOMMU, once for the array */
		hwpt_nested_flush_viommu(v);
	*inout_num = done;
	v->invalidations += done;
	return rc;
}

/* ---- vEVENTQs ----------------------------------------------------------------------------- */

static size_t veventq_data_len(uint32_t type)
{
	switch (type) {
	case IOMMU_VEVENTQ_TYPE_SELFTEST:
		return sizeof(struct iommu_viommu_event_selftest);
	case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct iommu_vevent_arm_smmuv3);
	case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return sizeof(struct iommu_vevent_tegra241_cmdqv);
	default:
		return 0;
	}
}

/* Unread events on the fd (whole records; a partly read one counts). */
static uint32_t veventq_unread(struct veventq *q)
{
	size_t rec = sizeof(struct iommufd_vevent_header) + veventq_data_len(q->type);
	int unread = 0;

	/* a pipe answers FIONREAD on either end: the bytes the program has not read */
	if (ioctl(q->core_fd, FIONREAD, &unread) || unread <= 0)
		return 0;
	return (uint32_t)(((size_t)unread + rec - 1) / rec);
}

static uint32_t veventq_next_seq(struct veventq *q)
{
	uint32_t seq = q->sequence;

	q->sequence = seq == INT32_MAX ? 0 : seq + 1;
	return seq;
}

/* Records are far smaller than PIPE_BUF: a write is whole or nothing. */
static int veventq_write(struct veventq *q, const void *buf, size_t len)
{
	ssize_t n = write(q->core_fd, buf, len);

	return n == (ssize_t)len ? 0 : -ENOSPC;
}

int veventq_report(struct viommu *v, uint32_t type, const void *data, size_t len)
{
	uint8_t rec[sizeof(struct iommufd_vevent_header) + 64];
	struct iommufd_vevent_header hdr = { 0 };
	struct veventq *q;

	for (q = v->veventqs; q; q = q->next)
		if (q->type == type)
			break;
	if (!q)
		return -EOPNOTSUPP;
	if (len != veventq_data_len(type) || len > sizeof(rec) - sizeof(hdr))
		return -EINVAL;
	if (!q->fd_open || veventq_unread(q) >= q->depth) {
		/*
		 * Lost: as the kernel, a header flagged LOST_EVENTS goes to the tail at once,
		 * numbered as the lost event. One still unread at the tail is not written again
		 * (the kernel renumbers it; the next event's number shows the gap either way).
		 */
		struct iommufd_vevent_header lost = { .flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS,
						      .sequence = veventq_next_seq(q) };

		if (q->fd_open && !(q->lost_at_tail && veventq_unread(q))) {
			q->lost = veventq_write(q, &lost, sizeof(lost)) != 0;
			q->lost_at_tail = !q->lost;
		} else if (!q->fd_open) {
			q->lost = true;
		}
		return 0;
	}
	if (q->lost) {
		struct iommufd_vevent_header lost = { .flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS,
						      .sequence = q->sequence };

		if (veventq_write(q, &lost, sizeof(lost)))
			return 0;
		q->lost = false;
	}
	hdr.sequence = veventq_next_seq(q);
	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + sizeof(hdr), data, len);
	q->lost_at_tail = false;
	if (veventq_write(q, rec, sizeof(hdr) + len))
		q->lost = true;
	return 0;
}

/* Context close: the program's fd no longer keeps the queue. */
void veventq_close(struct obj *obj)
{
	struct veventq *q = container_of(obj, struct veventq, obj);

	if (!q->fd_open)
		return;
	q->fd_open = false;
	obj->ctx->nr_fault_fds--;
	obj_unref(obj);
}

void veventq_destroy(struct obj *obj)
{
	struct veventq *q = container_of(obj, struct veventq, obj);

	if (q->viommu) {
		for (struct veventq **pp = &q->viommu->veventqs; *pp; pp = &(*pp)->next)
			if (*pp == q) {
				*pp = q->next;
				break;
			}
		obj_unref(&q->viommu->obj);
	}
	if (q->fd_open)
		obj->ctx->nr_fault_fds--;
	obj->ctx->nr_faults--;
	if (q->core_fd >= 0)
		close(q->core_fd);
}

/* Drop the fd's reference once the program has closed every copy (fault_sweep calls). */
void viommu_sweep(struct ioasid_ctx *ctx)
{
	struct obj *obj;

	for (uint32_t id = 0; (obj = idt_find_next(ctx->objects, &id)); id++) {
		struct pollfd pfd = { .events = POLLOUT };
		struct veventq *q;

		if (obj->type != OBJ_VEVENTQ)
			continue;
		q = container_of(obj, struct veventq, obj);
		pfd.fd = q->core_fd;
		/* the write end of a pipe whose every read end is closed polls POLLERR */
		if (q->fd_open && poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP))) {
			q->fd_open = false;
			ctx->nr_fault_fds--;
			obj_unref(&q->obj);
		}
	}
}

int veventq_alloc_ioctl(struct ucmd *ucmd)
{
	const struct ioasid_mem_ops *mem = ucmd->ctx->params.mem;
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct veventq *q;
	struct viommu *v;
	struct obj *obj;
	int fds[2], user_fd, rc;

	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth || cmd->veventq_depth > VEVENTQ_MAX_DEPTH)
		return -EINVAL;
	v = viommu_get(ucmd->ctx, cmd->viommu_id);
	if (!v)
		return -ENOENT;
	rc = -EEXIST;
	for (q = v->veventqs; q; q = q->next)
		if (q->type == cmd->type)
			goto out_put;
	rc = -EOPNOTSUPP;
	if (!veventq_data_len(cmd->type))
		goto out_put;
	rc = -EMFILE;
	if (ucmd->ctx->nr_faults >= CTX_MAX_FD_OBJECTS)
		goto out_put;
	rc = -ENOMEM;
	obj = obj_alloc(ucmd->ctx, OBJ_VEVENTQ);
	if (!obj)
		goto out_put;
	/* pending from here: a failure is aborted by the dispatcher (veventq_destroy) */
	q = container_of(obj, struct veventq, obj);
	q->core_fd = -1;
	ucmd->ctx->nr_faults++;
	q->viommu = v;
	obj_ref(&v->obj);
	q->next = v->veventqs;
	v->veventqs = q;
	q->type = cmd->type;
	q->depth = cmd->veventq_depth;
	if (pipe2(fds, O_CLOEXEC)) {
		rc = errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
		goto out_put;
	}
	q->core_fd = fds[1];
	user_fd = fds[0];
	if (fcntl(q->core_fd, F_SETFL, O_NONBLOCK)) {
		close(fds[0]);
		rc = -ENOMEM;
		goto out_put;
	}
	if (mem->install_fd) {
		user_fd = mem->install_fd(ucmd->ctx->params.mem_priv, fds[0], O_CLOEXEC);
		if (user_fd < 0) {
			close(fds[0]);
			rc = user_fd;
			goto out_put;
		}
	}
	q->fd_open = true;
	obj_ref(&q->obj);
	ucmd->ctx->nr_fault_fds++;
	cmd->out_veventq_id = q->obj.id;
	cmd->out_veventq_fd = (uint32_t)user_fd;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	if (rc && !mem->install_fd)
		close(user_fd);
out_put:
	obj_put(&v->obj);
	return rc;
}

/* ---- IOMMU_HW_QUEUE_ALLOC ----------------------------------------------------------------- */

/*
 * The queue memory stays pinned for the queue's life: the access is internal, so its pins
 * lock the areas and an unmap of them is EBUSY (the iopt never asks this callback).
 */
static void hw_queue_access_unmap(void *data, uint64_t iova, uint64_t length)
{
	(void)data, (void)iova, (void)length;
}

static const struct access_ops hw_queue_access_ops = {
	.needs_pin_pages = true,
	.internal = true,
	.unmap = hw_queue_access_unmap,
};

void hw_queue_destroy(struct obj *obj)
{
	struct hw_queue *hq = container_of(obj, struct hw_queue, obj);
	struct viommu *v = hq->viommu;

	if (hq->access) {
		if (hq->length)
			access_unpin_pages(hq->access, hq->base_iova, hq->length);
		access_destroy(hq->access);
	}
	if (!v)
		return;
	for (struct hw_queue **pp = &v->hw_queues; *pp; pp = &(*pp)->next)
		if (*pp == hq) {
			*pp = hq->next;
			break;
		}
	if (hq->below)
		obj_unref(&hq->below->obj); /* the queue below it is free to go now */
	obj_unref(&v->obj);
}

int hw_queue_alloc_ioctl(struct ucmd *ucmd)
{
	struct iommu_hw_queue_alloc *cmd = ucmd->cmd;
	struct hw_queue *hq, *below = NULL;
	uint64_t last, npages;
	struct viommu *v;
	struct obj *obj;
	void **host = NULL;
	int rc;

	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (check_add_u64(cmd->nesting_parent_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	v = viommu_get(ucmd->ctx, cmd->viommu_id);
	if (!v)
		return -ENOENT;
	rc = -EOPNOTSUPP;
	if (v->type != IOMMU_VIOMMU_TYPE_SELFTEST || cmd->type != IOMMU_HW_QUEUE_TYPE_SELFTEST)
		goto out_put;
	rc = -EINVAL;
	if (cmd->index >= IOMMU_TEST_HW_QUEUE_MAX)
		goto out_put;
	for (hq = v->hw_queues; hq; hq = hq->next) {
		if (hq->type != cmd->type)
			continue;
		rc = -EEXIST;
		if (hq->index == cmd->index)
			goto out_put;
		if (cmd->index && hq->index == cmd->index - 1)
			below = hq;
	}
	rc = -EIO; /* allocated in order: index i needs i - 1 */
	if (cmd->index && !below)
		goto out_put;
	rc = -ENOMEM;
	obj = obj_alloc(ucmd->ctx, OBJ_HW_QUEUE);
	if (!obj)
		goto out_put;
	hq = container_of(obj, struct hw_queue, obj);
	hq->viommu = v;
	obj_ref(&v->obj);
	hq->next = v->hw_queues;
	v->hw_queues = hq;
	hq->type = cmd->type;
	hq->index = cmd->index;
	/* the memory is the guest's: pinned through the parent's IOAS, physically contiguous */
	rc = access_create(ucmd->ctx, &hw_queue_access_ops, hq, &hq->access);
	if (rc) {
		hq->access = NULL;
		goto out_put;
	}
	rc = access_attach(hq->access, v->parent->ioas->obj.id);
	if (rc)
		goto err_access;
	npages =
		((last >> IOASID_PAGE_SHIFT) - (cmd->nesting_parent_iova >> IOASID_PAGE_SHIFT)) + 1;
	rc = -ENOMEM;
	host = calloc(npages, sizeof(*host));
	if (!host)
		goto err_access;
	/* whole CPU pages, as the kernel pins them: a queue may sit inside one */
	hq->base_iova = ALIGN_DOWN_U64(cmd->nesting_parent_iova, IOASID_PAGE_SIZE);
	rc = access_pin_pages(hq->access, hq->base_iova, npages << IOASID_PAGE_SHIFT, false, host);
	if (rc)
		goto err_access;
	hq->length = npages << IOASID_PAGE_SHIFT;
	rc = -EFAULT;
	for (uint64_t i = 1; i < npages; i++)
		if ((uint8_t *)host[i] != (uint8_t *)host[0] + (i << IOASID_PAGE_SHIFT))
			goto err_unpin;
	if (below) {
		hq->below = below; /* destroyed from the top down */
		obj_ref(&below->obj);
	}
	cmd->out_hw_queue_id = hq->obj.id;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
	goto out_put; /* hq and its access are pending: published, or aborted with hq */

err_unpin:
	access_unpin_pages(hq->access, hq->base_iova, hq->length);
	hq->length = 0;
err_access:
	/* the access is newer than hq: it goes now, so that hq's abort does not reach it */
	access_destroy(hq->access);
	hq->access = NULL;
out_put:
	free(host);
	obj_put(&v->obj);
	return rc;
}
