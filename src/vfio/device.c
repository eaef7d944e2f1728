// SPDX-License-Identifier: BSD-3-Clause
/*
 * device.c - a VFIO device file: opening it, binding it to an iommufd, the ioctl table.
 *
 * A device is opened in one of two ways, as in the kernel:
 *  - its cdev (/dev/vfio/devices/vfioN): the file has no access until
 *    VFIO_DEVICE_BIND_IOMMUFD names an iommufd; every other call before that is EINVAL.
 *    Only one cdev file may be bound at a time (the kernel's cdev path opens a device once),
 *    and a bound cdev keeps its group from being opened (EBUSY) and the reverse;
 *  - through its group (VFIO_GROUP_GET_DEVICE_FD, group.c): access at once, bound to the
 *    group's container and attached to its compatibility IOAS; several files may share it.
 *
 * The first open binds: ioasid_device_new() in the iommufd's context with the format of the
 * device's IOMMU (platform), PASID-capable if the device has the capability, with the MSI
 * window the IOMMU kind reserves (x86: 0xfee00000-0xfeefffff; Arm and RISC-V: the software
 * MSI window 0x8000000-0x80fffff, as the kernel's IOMMU_RESV_SW_MSI), then makes the running
 * model (src/devices) for that device ID. The last close frees the model, destroys the
 * device ID (which detaches it) and drops the context reference: the device's state lives
 * only as long as it is open, as vfio-pci resets a device at its last close.
 *
 * ioctl rules (every handler): the struct's argsz must cover the fields the command first
 * shipped with (EINVAL otherwise); unknown flags are EINVAL; output is written only up to
 * what the kernel writes (never past argsz). The table at the end of this file is the only
 * place that knows the command list.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"
#include "util/selfcopy.h"
#include "vfio/vfio_int.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

/* ---- user memory -------------------------------------------------------------------------- */

/*
 * The program's memory is this process's (self_copy), unless the thread serving the call
 * set other accessors (the daemon: the calling client's memory, vfio_set_uaccess).
 */
static __thread const struct vfio_uaccess *ua;
static __thread void *ua_priv;

void vfio_set_uaccess(const struct vfio_uaccess *ops, void *priv)
{
	ua = ops;
	ua_priv = priv;
}

int vu_read(unsigned long uptr, void *dst, size_t len)
{
	if (ua)
		return ua->read(ua_priv, dst, uptr, len) ? -EFAULT : 0;
	return self_copy(uptr, dst, len, false);
}

int vu_write(unsigned long uptr, const void *src, size_t len)
{
	if (ua)
		return ua->write(ua_priv, uptr, src, len) ? -EFAULT : 0;
	return self_copy(uptr, (void *)src, len, true);
}

/* ---- the set of devices ------------------------------------------------------------------- */

int vfio_sys_new(const struct platform *p, const struct vfio_host_ops *ops, struct vfio_sys **out)
{
	struct vfio_sys *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->p = p;
	s->ops = *ops;
	pthread_mutex_init(&s->lock, NULL);
	s->ioev_wake = -1;
	s->devs = calloc(p->nr_devs ? p->nr_devs : 1, sizeof(*s->devs));
	s->groups = calloc(p->nr_devs ? p->nr_devs : 1, sizeof(*s->groups));
	if (!s->devs || !s->groups) {
		vfio_sys_free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nr_devs; i++) {
		const struct platform_device *pd = &p->devs[i];
		struct vdev *d = &s->devs[i];
		size_t g;

		for (g = 0; g < s->nr_groups; g++)
			if (s->groups[g].id == pd->group)
				break;
		if (g == s->nr_groups) {
			s->groups[g].id = pd->group;
			s->groups[g].iommu = &p->iommus[pd->iommu];
			s->nr_groups++;
		}
		d->sys = s;
		d->index = (unsigned int)i;
		d->pdev = pd;
		d->iommu = &p->iommus[pd->iommu];
		d->group = &s->groups[g];
		d->irq_type = VIRQ_NONE;
		pthread_mutex_init(&d->lock, NULL);
		pthread_mutex_init(&d->irq_lock, NULL);
		s->nr_devs++;
	}
	vsys_bar_addrs(s);
	*out = s;
	return 0;
}

void vfio_sys_free(struct vfio_sys *s)
{
	if (!s)
		return;
	vioev_sys_fini(s);
	for (size_t i = 0; i < s->nr_devs; i++) {
		pthread_mutex_destroy(&s->devs[i].lock);
		pthread_mutex_destroy(&s->devs[i].irq_lock);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->devs);
	free(s->groups);
	free(s);
}

unsigned int vfio_nr_devices(const struct vfio_sys *s)
{
	return (unsigned int)s->nr_devs;
}

bool vfio_group_exists(const struct vfio_sys *s, unsigned int group)
{
	for (size_t g = 0; g < s->nr_groups; g++)
		if (s->groups[g].id == group)
			return true;
	return false;
}

struct vdev *vdev_by_bdf(struct vfio_sys *s, const char *name)
{
	struct platform_bdf bdf;
	char canon[16];

	/* the kernel compares the device's name, "ssss:bb:dd.f", exactly */
	if (platform_bdf_parse(name, &bdf))
		return NULL;
	platform_bdf_format(&bdf, canon, sizeof(canon));
	if (strcmp(canon, name))
		return NULL;
	for (size_t i = 0; i < s->nr_devs; i++) {
		const struct platform_bdf *b = &s->devs[i].pdev->bdf;

		if (b->segment == bdf.segment && b->bus == bdf.bus && b->dev == bdf.dev &&
		    b->fn == bdf.fn)
			return &s->devs[i];
	}
	return NULL;
}

/* ---- open, bind, close -------------------------------------------------------------------- */

static void vdev_resv(const struct vdev *d, struct ioasid_iova_range *r, unsigned int *n)
{
	*n = 0;
	switch (d->iommu->kind) {
	case PLATFORM_IOMMU_VTD:
	case PLATFORM_IOMMU_AMD:
		r[0] = (struct ioasid_iova_range){ 0xfee00000, 0xfeefffff };
		*n = 1;
		break;
	case PLATFORM_IOMMU_SMMUV3:
	case PLATFORM_IOMMU_RISCV:
		r[0] = (struct ioasid_iova_range){ 0x8000000, 0x80fffff };
		*n = 1;
		break;
	default:
		break;
	}
}

/*
 * First open (open_count 0): bind in ctx and make the model; later opens (group path only)
 * share it. sys->lock held. 0 or -errno, nothing changed on error.
 */
int vdev_open_locked(struct vdev *d, struct ioasid_ctx *ctx, bool via_group)
{
	struct ioasid_iova_range resv[1];
	struct ioasid_device_desc desc = { .format = d->iommu->format };
	struct dev_model_params mp;
	uint32_t dev_id;
	int rc;

	if (d->open_count) {
		if (!via_group || d->cdev_bound)
			return -EINVAL;
		d->open_count++;
		return 0;
	}
	vdev_resv(d, resv, &desc.nr_reserved);
	desc.reserved = resv;
	if (d->pdev->pasid_bits)
		desc.flags |= IOASID_DEVICE_PASID;
	if (ioasid_device_new(ctx, &desc, &dev_id))
		return -errno;
	mp = (struct dev_model_params){
		.pdev = d->pdev, .ctx = ctx, .dev_id = dev_id, .irq = virq_model_cb, .opaque = d
	};
	rc = dev_model_new(&mp, &d->model);
	if (rc) {
		ioasid_device_destroy(ctx, dev_id);
		return rc;
	}
	d->ctx = ctx;
	d->dev_id = dev_id;
	d->open_count = 1;
	d->cdev_bound = !via_group;
	pthread_mutex_lock(&d->lock);
	d->attached = false;
	d->low_power = false;
	d->bar_mmap = true; /* windows of the model: dev_model_bar_mmap */
	vcfg_init(d);
	virq_init(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* sys->lock held */
void vdev_close_locked(struct vdev *d, bool via_group)
{
	(void)via_group;
	if (!d->open_count || --d->open_count)
		return;
	vioev_release_locked(d);
	pthread_mutex_lock(&d->lock);
	virq_release(d);
	vdmabuf_gone(d); /* revoked for good: importers let go of the BAR before it goes */
	pthread_mutex_unlock(&d->lock);
	dev_model_free(d->model);
	d->model = NULL;
	ioasid_device_destroy(d->ctx, d->dev_id);
	d->ctx = NULL;
	d->dev_id = 0;
	d->cdev_bound = false;
	d->attached = false;
}

int vfio_open_device(struct vfio_sys *s, unsigned int index, struct vfio_file **out)
{
	struct vfio_file *f;

	if (index >= s->nr_devs)
		return -ENODEV;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = VFILE_DEVICE;
	f->sys = s;
	f->refs = 1;
	f->dev = &s->devs[index];
	*out = f;
	return 0;
}

int vfio_file_device_index(const struct vfio_file *f)
{
	return f->kind == VFILE_DEVICE ? (int)f->dev->index : -1;
}

void vfio_file_get(struct vfio_file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

static void vdev_release(struct vfio_file *f)
{
	struct vfio_sys *s = f->sys;
	struct vdev *d = f->dev;
	void *ref = NULL;

	pthread_mutex_lock(&s->lock);
	if (f->access) {
		if (!f->via_group)
			ref = d->ctx_ref;
		vdev_close_locked(d, f->via_group);
		if (f->via_group)
			d->group->dev_files--;
		else
			d->group->cdev_open--;
		f->access = false;
	}
	pthread_mutex_unlock(&s->lock);
	if (ref)
		s->ops.ctx_put(ref);
}

void vfio_file_put(struct vfio_file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (f->kind == VFILE_DEVICE)
		vdev_release(f);
	else
		vgroup_release(f);
	if (f->gfile)
		vfio_file_put(f->gfile);
	free(f);
}

/*
 * Is another device of d's group bound to a context other than ctx (s->lock held)? The group
 * is then that context's DMA owner and a bind to ctx is EPERM, as the kernel's
 * iommu_device_claim_dma_owner: the devices of a group cannot be isolated from each other.
 */
static bool vdev_group_taken(const struct vfio_sys *s, const struct vdev *d,
			     const struct ioasid_ctx *ctx)
{
	for (size_t j = 0; j < s->nr_devs; j++)
		if (&s->devs[j] != d && s->devs[j].group == d->group && s->devs[j].open_count &&
		    s->devs[j].ctx != ctx)
			return true;
	return false;
}

static long vdev_bind(struct vfio_file *f, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
	struct vfio_device_bind_iommufd bind;
	struct vfio_sys *s = f->sys;
	struct vdev *d = f->dev;
	struct ioasid_ctx *ctx = NULL;
	void *ref = NULL;
	int rc;

	if (vu_read(arg, &bind, minsz))
		return -EFAULT;
	if (bind.argsz < minsz || bind.flags || bind.iommufd < 0)
		return -EINVAL;
	if (f->via_group)
		return -EINVAL;
	rc = s->ops.ctx_get(bind.iommufd, &ctx, &ref);
	pthread_mutex_lock(&s->lock);
	if (d->group->opened) {
		rc = -EBUSY;
	} else if (f->access) {
		rc = -EINVAL;
	} else if (!rc && !d->open_count && vdev_group_taken(s, d, ctx)) {
		rc = -EPERM;
	} else if (!rc) {
		rc = vdev_open_locked(d, ctx, false);
		if (!rc && vu_write(arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
				    &d->dev_id, sizeof(d->dev_id))) {
			vdev_close_locked(d, false);
			rc = -EFAULT;
		}
		if (!rc) {
			d->ctx_ref = ref;
			ref = NULL;
			d->group->cdev_open++;
			f->access = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (ref)
		s->ops.ctx_put(ref);
	return rc;
}

/* ---- attach and detach (cdev only) --------------------------------------------------------- */

struct vfio_pt_arg { /* vfio_device_attach_iommufd_pt (6.13), whatever the system header */
	uint32_t argsz, flags, pt_id, pasid;
};

static long vdev_attach(struct vdev *d, unsigned long arg)
{
	struct vfio_pt_arg a;
	uint32_t hwpt = 0;
	int rc;

	if (vu_read(arg, &a, 12))
		return -EFAULT;
	if (a.argsz < 12 || (a.flags & ~VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	if (a.flags & VFIO_DEVICE_ATTACH_PASID) {
		if (!d->pdev->pasid_bits)
			return -EOPNOTSUPP;
		if (a.argsz < 16)
			return -EINVAL;
		if (vu_read(arg + 12, &a.pasid, 4))
			return -EFAULT;
	}
	pthread_mutex_lock(&d->lock);
	if (a.flags & VFIO_DEVICE_ATTACH_PASID) {
		/* a PASID attached already is replaced (to the same HWPT: nothing to do) */
		rc = ioasid_device_pasid_attach(d->ctx, d->dev_id, a.pasid, a.pt_id, &hwpt);
		if (rc && (errno == EINVAL || errno == EBUSY))
			rc = ioasid_device_pasid_replace(d->ctx, d->dev_id, a.pasid, a.pt_id,
							 &hwpt);
	} else if (d->attached) {
		rc = ioasid_device_replace(d->ctx, d->dev_id, a.pt_id, &hwpt);
	} else {
		rc = ioasid_device_attach(d->ctx, d->dev_id, a.pt_id, &hwpt);
	}
	if (rc) {
		rc = -errno;
	} else if (vu_write(arg + 8, &hwpt, 4)) {
		if (a.flags & VFIO_DEVICE_ATTACH_PASID)
			ioasid_device_pasid_detach(d->ctx, d->dev_id, a.pasid);
		else
			ioasid_device_detach(d->ctx, d->dev_id);
		d->attached = d->attached && (a.flags & VFIO_DEVICE_ATTACH_PASID);
		rc = -EFAULT;
	} else if (!(a.flags & VFIO_DEVICE_ATTACH_PASID)) {
		d->attached = true;
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static long vdev_detach(struct vdev *d, unsigned long arg)
{
	struct vfio_pt_arg a;

	if (vu_read(arg, &a, 8))
		return -EFAULT;
	if (a.argsz < 8 || (a.flags & ~VFIO_DEVICE_DETACH_PASID))
		return -EINVAL;
	if (a.flags & VFIO_DEVICE_DETACH_PASID) {
		if (!d->pdev->pasid_bits)
			return -EOPNOTSUPP;
		if (a.argsz < 12)
			return -EINVAL;
		if (vu_read(arg + 8, &a.pasid, 4))
			return -EFAULT;
	}
	pthread_mutex_lock(&d->lock);
	if (a.flags & VFIO_DEVICE_DETACH_PASID) {
		/* the kernel's detach returns nothing: a PASID not attached is a no-op */
		ioasid_device_pasid_detach(d->ctx, d->dev_id, a.pasid);
	} else if (d->attached) {
		ioasid_device_detach(d->ctx, d->dev_id);
		d->attached = false;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* ---- info, reset, hot reset ----------------------------------------------------------------- */

static long vdev_get_info(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	(void)d;
	if (vu_read(arg, &info, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* every emulated function has PCI Express FLR, so reset works */
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return vu_write(arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * Function-level reset with the config state around it saved and restored, as the kernel's
 * pci_try_reset_function: the command register and PCI Express control come back, MSI-X
 * comes back as the host (SET_IRQS) set it; the device's own state is at power-on.
 */
void vdev_reset(struct vdev *d)
{
	unsigned int exp = PCI_CFG_EXP_OFF;
	uint16_t cmd = vcfg_cmd(d), devctl = 0, devctl2 = 0, lnkctl = 0;

	dev_model_cfg_read(d->model, exp + 8, &devctl, 2);
	dev_model_cfg_read(d->model, exp + 0x28, &devctl2, 2);
	dev_model_cfg_read(d->model, exp + 0x10, &lnkctl, 2);
	vdmabuf_revoke(d); /* as vfio-pci: a reset takes the BARs away from importers */
	dev_model_reset(d->model);
	dev_model_cfg_write(d->model, exp + 8, &devctl, 2);
	dev_model_cfg_write(d->model, exp + 0x28, &devctl2, 2);
	dev_model_cfg_write(d->model, exp + 0x10, &lnkctl, 2);
	vcfg_set_cmd(d, cmd);
	virq_restore(d);
	vdmabuf_sync(d); /* new imports again if memory decode came back */
}

/* Is a device of o's group bound to ctx (s->lock held)? The kernel's iommufd_ctx_has_group. */
static bool vdev_group_owned(const struct vfio_sys *s, const struct vdev *o,
			     const struct ioasid_ctx *ctx)
{
	for (size_t j = 0; j < s->nr_devs; j++)
		if (s->devs[j].group == o->group && s->devs[j].open_count && s->devs[j].ctx == ctx)
			return true;
	return false;
}

static long vdev_hot_reset_info(struct vfio_file *f, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_sys *s = f->sys;
	struct vdev *d = f->dev;
	struct vfio_pci_dependent_device dep;
	uint32_t count = 0, n = 0, flags = 0;
	int rc = 0;

	if (vu_read(arg, &hdr, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	/* a bus reset: every function on the device's segment and bus */
	for (size_t i = 0; i < s->nr_devs; i++)
		if (s->devs[i].pdev->bdf.segment == d->pdev->bdf.segment &&
		    s->devs[i].pdev->bdf.bus == d->pdev->bdf.bus)
			count++;
	if (count > (hdr.argsz - sizeof(hdr)) / sizeof(dep)) {
		hdr.count = count;
		hdr.flags = 0;
		return vu_write(arg, &hdr, minsz) ? -EFAULT : -ENOSPC;
	}
	if (!f->via_group)
		flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID | VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nr_devs && !rc; i++) {
		struct vdev *o = &s->devs[i];

		if (o->pdev->bdf.segment != d->pdev->bdf.segment ||
		    o->pdev->bdf.bus != d->pdev->bdf.bus)
			continue;
		memset(&dep, 0, sizeof(dep));
		dep.segment = o->pdev->bdf.segment;
		dep.bus = o->pdev->bdf.bus;
		dep.devfn = (uint8_t)(o->pdev->bdf.dev << 3 | o->pdev->bdf.fn);
		/*
		 * group_id is devid in the cdev path (one union in newer headers): the device ID
		 * if bound to this iommufd; OWNED (0) if closed in a group a device of which is
		 * (PCI_HOT_RESET counts it owned, as the kernel's); else NOT_OWNED
		 */
		if (flags) {
			if (o->open_count && o->ctx == d->ctx)
				dep.group_id = o->dev_id;
			else if (!o->open_count && vdev_group_owned(s, o, d->ctx))
				dep.group_id = (uint32_t)VFIO_PCI_DEVID_OWNED;
			else
				dep.group_id = (uint32_t)VFIO_PCI_DEVID_NOT_OWNED;
			if (dep.group_id == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED)
				flags &= ~VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
		} else {
			dep.group_id = o->group->id;
		}
		if (vu_write(arg + sizeof(hdr) + n * sizeof(dep), &dep, sizeof(dep)))
			rc = -EFAULT;
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	if (rc)
		return rc;
	hdr.count = n;
	hdr.flags = flags;
	return vu_write(arg, &hdr, minsz) ? -EFAULT : 0;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: a bus reset of every function on the device's bus, allowed only
 * if the caller owns them all, as the kernel decides it: from a cdev (an empty group array)
 * every function must be bound to the caller's iommufd, or be closed in a group of which a
 * device is bound to it; from a group's device file, the array names group files and every
 * function's group must be among them. Each open function is reset as VFIO_DEVICE_RESET
 * does (state saved and restored); a closed one is at power-on when it is next opened.
 */
static long vdev_hot_reset(struct vfio_file *f, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_pci_hot_reset hdr;
	struct vfio_sys *s = f->sys;
	struct vdev *d = f->dev;
	struct vfio_file *files[PLATFORM_MAX_DEVICES];
	unsigned int nfiles = 0, affected = 0;
	int rc = 0;

	if (vu_read(arg, &hdr, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	if (!!hdr.count == !f->via_group)
		return -EINVAL;
	for (size_t i = 0; i < s->nr_devs; i++)
		affected += s->devs[i].pdev->bdf.segment == d->pdev->bdf.segment &&
			    s->devs[i].pdev->bdf.bus == d->pdev->bdf.bus;
	if (hdr.count > affected)
		return -EINVAL;
	for (uint32_t i = 0; i < hdr.count && !rc; i++) {
		int32_t fd;
		int err = -EINVAL;

		if (vu_read(arg + minsz + i * sizeof(fd), &fd, sizeof(fd))) {
			rc = -EFAULT;
			break;
		}
		files[nfiles] = s->ops.file_get ? s->ops.file_get(fd, &err) : NULL;
		if (!files[nfiles] && s->ops.file_get)
			rc = err;
		else if (!files[nfiles])
			rc = fcntl(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
		else if (files[nfiles++]->kind != VFILE_GROUP)
			rc = -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nr_devs && !rc; i++) {
		struct vdev *o = &s->devs[i];
		bool owned = false;

		if (o->pdev->bdf.segment != d->pdev->bdf.segment ||
		    o->pdev->bdf.bus != d->pdev->bdf.bus)
			continue;
		if (f->via_group) {
			for (unsigned int j = 0; j < nfiles; j++)
				owned |= files[j]->group == o->group;
		} else if (o->open_count) {
			owned = o->ctx == d->ctx;
		} else {
			owned = vdev_group_owned(s, o, d->ctx);
		}
		if (!owned)
			rc = -EINVAL;
	}
	for (size_t i = 0; i < s->nr_devs && !rc; i++) {
		struct vdev *o = &s->devs[i];

		if (o->pdev->bdf.segment != d->pdev->bdf.segment ||
		    o->pdev->bdf.bus != d->pdev->bdf.bus || !o->open_count)
			continue;
		pthread_mutex_lock(&o->lock);
		vdev_reset(o);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&s->lock);
	for (unsigned int j = 0; j < nfiles; j++)
		vfio_file_put(files[j]);
	return rc;
}

/* ---- VFIO_DEVICE_FEATURE ------------------------------------------------------------------- */

static int feature_check(uint32_t flags, size_t argsz, uint32_t ops, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/*
 * What vfio-pci offers a device with no migration driver: the low-power features (entry,
 * entry with a wake-up eventfd, exit: SET only). Low power is a state the device keeps
 * until exit; accesses meanwhile are served (the kernel resumes the device for them).
 * Migration, dirty logging and the VF token are ENOTTY, as for such a device.
 */
static long vdev_feature(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feat;
	size_t argsz;
	int rc;

	if (vu_read(arg, &feat, minsz))
		return -EFAULT;
	if (feat.argsz < minsz)
		return -EINVAL;
	if (feat.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(feat.flags & VFIO_DEVICE_FEATURE_PROBE) && (feat.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feat.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	argsz = feat.argsz - minsz;
	switch (feat.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		rc = feature_check(feat.flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
		if (rc != 1)
			return rc;
		pthread_mutex_lock(&d->lock);
		d->low_power = (feat.flags & VFIO_DEVICE_FEATURE_MASK) ==
			       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
		vdmabuf_sync(d); /* D3hot revokes the device's dma-bufs */
		pthread_mutex_unlock(&d->lock);
		return 0;
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: {
		struct vfio_device_low_power_entry_with_wakeup w;

		rc = feature_check(feat.flags, argsz, VFIO_DEVICE_FEATURE_SET, sizeof(w));
		if (rc != 1)
			return rc;
		if (vu_read(arg + minsz, &w, sizeof(w)))
			return -EFAULT;
		rc = virq_eventfd_dup(d, w.wakeup_eventfd);
		if (rc < 0)
			return rc;
		close(rc); /* checked; the device never wakes on its own */
		pthread_mutex_lock(&d->lock);
		d->low_power = true;
		vdmabuf_sync(d);
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		rc = feature_check(feat.flags, argsz, VFIO_DEVICE_FEATURE_GET,
				   sizeof(struct vfio_device_feature_dma_buf));
		if (rc != 1)
			return rc;
		return vdmabuf_feature(d, arg + minsz, argsz);
	default:
		return -ENOTTY;
	}
}

/* ---- the table ---------------------------------------------------------------------------- */

long vdev_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg)
{
	struct vdev *d = f->dev;
	bool access;

	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vdev_bind(f, arg);
	pthread_mutex_lock(&f->sys->lock);
	access = f->access;
	pthread_mutex_unlock(&f->sys->lock);
	if (!access)
		return -EINVAL;
	if (!f->via_group) {
		if (cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return vdev_attach(d, arg);
		if (cmd == VFIO_DEVICE_DETACH_IOMMUFD_PT)
			return vdev_detach(d, arg);
	}
	switch (cmd) {
	case VFIO_DEVICE_FEATURE:
		return vdev_feature(d, arg);
	case VFIO_DEVICE_GET_INFO:
		return vdev_get_info(d, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vregion_info(d, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return virq_info(d, arg);
	case VFIO_DEVICE_SET_IRQS:
		return virq_set(d, arg);
	case VFIO_DEVICE_RESET:
		pthread_mutex_lock(&d->lock);
		vdev_reset(d);
		pthread_mutex_unlock(&d->lock);
		return 0;
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return vdev_hot_reset_info(f, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vdev_hot_reset(f, arg);
	case VFIO_DEVICE_IOEVENTFD:
		return vioev_ioctl(d, arg);
	default:
		return -ENOTTY;
	}
}

long vfio_file_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg)
{
	if (f->kind == VFILE_GROUP)
		return vgroup_ioctl(f, cmd, arg);
	return vdev_ioctl(f, cmd, arg);
}

static ssize_t vfile_rw(struct vfio_file *f, void *buf, size_t len, uint64_t off, bool write)
{
	bool access;

	if (f->kind != VFILE_DEVICE)
		return -EINVAL;
	pthread_mutex_lock(&f->sys->lock);
	access = f->access;
	pthread_mutex_unlock(&f->sys->lock);
	if (!access)
		return -EINVAL;
	return vregion_rw(f->dev, buf, len, off, write);
}

ssize_t vfio_file_pread(struct vfio_file *f, void *buf, size_t len, uint64_t off)
{
	return vfile_rw(f, buf, len, off, false);
}

ssize_t vfio_file_pwrite(struct vfio_file *f, const void *buf, size_t len, uint64_t off)
{
	return vfile_rw(f, (void *)buf, len, off, true);
}
