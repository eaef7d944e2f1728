// SPDX-License-Identifier: BSD-3-Clause
/*
 * group.c - the legacy path: a group file (/dev/vfio/<N>) and its container.
 *
 * A group file is exclusive (a second open, or an open while a device of the group is bound
 * through its cdev, is EBUSY). VFIO_GROUP_SET_CONTAINER takes an iommufd: /dev/iommu itself,
 * or /dev/vfio/vfio, which the host serves as an iommufd context too (as the kernel does with
 * CONFIG_IOMMUFD_VFIO_CONTAINER). The group then holds a reference to the context and makes
 * sure it has a compatibility IOAS (IOMMU_VFIO_IOAS, created if missing, as the kernel's
 * iommufd_vfio_compat_ioas_create), which the container's type1 ioctls (VFIO_SET_IOMMU,
 * VFIO_IOMMU_MAP_DMA ..., src/core/vfio_compat.c) act on. VFIO_GROUP_GET_DEVICE_FD binds the
 * named device in that context and attaches it to the compatibility IOAS, and gives the
 * program a new fd (the host's install op; close-on-exec, as the kernel's).
 *
 * A device file opened through the group keeps a reference to the group file, so the group
 * is released (its container let go) only after its devices are closed, as in the kernel.
 * VFIO_GROUP_UNSET_CONTAINER with a device open is EBUSY (the kernel's answer for a type1
 * container with users).
 */
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "ioasid/ioasid.h"
#include "core/kcall.h"
#include "vfio/vfio_int.h"

int vfio_open_group(struct vfio_sys *s, unsigned int group, struct vfio_file **out)
{
	struct vgroup *g = NULL;
	struct vfio_file *f;
	int rc = 0;

	for (size_t i = 0; i < s->nr_groups; i++)
		if (s->groups[i].id == group)
			g = &s->groups[i];
	if (!g)
		return -ENODEV;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	if (g->cdev_open || g->opened)
		rc = -EBUSY;
	else
		g->opened = true;
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		free(f);
		return rc;
	}
	f->kind = VFILE_GROUP;
	f->sys = s;
	f->refs = 1;
	f->group = g;
	*out = f;
	return 0;
}

void vgroup_release(struct vfio_file *f)
{
	struct vfio_sys *s = f->sys;
	struct vgroup *g = f->group;
	void *ref;

	pthread_mutex_lock(&s->lock);
	ref = g->ctx_ref;
	g->ctx = NULL;
	g->ctx_ref = NULL;
	g->opened = false;
	pthread_mutex_unlock(&s->lock);
	if (ref)
		s->ops.ctx_put(ref);
}

static long group_status(struct vgroup *g, struct vfio_sys *s, unsigned long arg)
{
	struct vfio_group_status st;

	if (vu_read(arg, &st, 8))
		return -EFAULT;
	if (st.argsz < 8)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st.flags = g->ctx ? VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE :
			    VFIO_GROUP_FLAGS_VIABLE;
	pthread_mutex_unlock(&s->lock);
	return vu_write(arg, &st, 8) ? -EFAULT : 0;
}

/* The context's compatibility IOAS, made if it has none: 0 and its ID, or -errno. */
static int compat_ioas(struct ioasid_ctx *ctx, uint32_t *out_id)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_destroy d = { .size = sizeof(d) };

	if (!ioasid_ioctl_local(ctx, IOMMU_VFIO_IOAS, &v)) {
		*out_id = v.ioas_id;
		return 0;
	}
	if (errno != ENODEV)
		return -errno;
	if (ioasid_ioctl_local(ctx, IOMMU_IOAS_ALLOC, &a))
		return -errno;
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = a.out_ioas_id;
	if (ioasid_ioctl_local(ctx, IOMMU_VFIO_IOAS, &v)) {
		int err = -errno;

		d.id = a.out_ioas_id;
		ioasid_ioctl_local(ctx, IOMMU_DESTROY, &d);
		return err;
	}
	*out_id = a.out_ioas_id;
	return 0;
}

static long group_set_container(struct vgroup *g, struct vfio_sys *s, unsigned long arg)
{
	struct ioasid_ctx *ctx = NULL;
	void *ref = NULL;
	uint32_t ioas;
	int32_t fd;
	int rc;

	if (vu_read(arg, &fd, sizeof(fd)))
		return -EFAULT;
	rc = s->ops.ctx_get(fd, &ctx, &ref);
	if (rc == -EBADF)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (g->ctx)
		rc = -EINVAL;
	else if (!rc)
		rc = compat_ioas(ctx, &ioas);
	if (!rc) {
		g->ctx = ctx;
		g->ctx_ref = ref;
		ref = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (ref)
		s->ops.ctx_put(ref);
	return rc;
}

static long group_unset_container(struct vgroup *g, struct vfio_sys *s)
{
	void *ref = NULL;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (!g->ctx) {
		rc = -EINVAL;
	} else if (g->dev_files) {
		rc = -EBUSY;
	} else {
		ref = g->ctx_ref;
		g->ctx = NULL;
		g->ctx_ref = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (ref)
		s->ops.ctx_put(ref);
	return rc;
}

/* Read a NUL-terminated name of at most 4095 bytes from the program. */
static int read_name(unsigned long uptr, char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (vu_read(uptr + i, &buf[i], 1))
			return -EFAULT;
		if (!buf[i])
			return 0;
	}
	return -EINVAL;
}

static long group_get_device_fd(struct vfio_file *gf, unsigned long arg)
{
	struct vfio_sys *s = gf->sys;
	struct vgroup *g = gf->group;
	struct vfio_file *f;
	struct vdev *d;
	char name[4096];
	uint32_t ioas;
	int rc;

	rc = read_name(arg, name, sizeof(name));
	if (rc)
		return rc;
	d = vdev_by_bdf(s, name);
	if (!d || d->group != g)
		return -ENODEV;
	rc = vfio_open_device(s, d->index, &f);
	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (!g->ctx) {
		rc = -EINVAL;
	} else {
		bool first = !d->open_count;

		rc = vdev_open_locked(d, g->ctx, true);
		if (!rc && first) {
			rc = compat_ioas(g->ctx, &ioas);
			if (!rc && ioasid_device_attach(g->ctx, d->dev_id, ioas, NULL))
				rc = -errno;
			if (rc) {
				vdev_close_locked(d, true);
			} else {
				pthread_mutex_lock(&d->lock);
				d->attached = true;
				pthread_mutex_unlock(&d->lock);
			}
		}
		if (!rc) {
			f->access = true;
			f->via_group = true;
			g->dev_files++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		vfio_file_put(f);
		return rc;
	}
	/* the device holds the group file until it is released */
	vfio_file_get(gf);
	f->gfile = gf;
	rc = s->ops.install(f);
	if (rc < 0) {
		vfio_file_put(f);
		return rc;
	}
	return rc;
}

long vgroup_ioctl(struct vfio_file *f, unsigned long cmd, unsigned long arg)
{
	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return group_status(f->group, f->sys, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return group_set_container(f->group, f->sys, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return group_unset_container(f->group, f->sys);
	case VFIO_GROUP_GET_DEVICE_FD:
		return group_get_device_fd(f, arg);
	default:
		return -ENOTTY;
	}
}
