// SPDX-License-Identifier: BSD-3-Clause
/*
 * ioeventfd.c - VFIO_DEVICE_IOEVENTFD: a write to a BAR performed when an eventfd fires.
 *
 * What it owns: each device's list of ioeventfds (offset, data, width, our duplicate of the
 * program's eventfd) and one thread per VFIO view that waits on all of them. A VMM uses it to
 * turn a guest's doorbell write (which KVM signals on an eventfd) into the device write
 * without a trip through its own code; a program may simply write the eventfd.
 *
 * The rules are the kernel's (vfio_pci_ioctl_ioeventfd, vfio_pci_ioeventfd): argsz up to fd,
 * exactly one width flag (1, 2, 4, 8 bytes) and nothing else, fd >= -1 (EINVAL); a BAR region
 * only, the write inside the BAR and clear of the MSI-X table (EINVAL); an entry with the same
 * BAR, offset, data and width is EEXIST, or removed by fd -1 (ENODEV if there is none); at
 * most VIOEV_MAX per device (ENOSPC); the fd must be an eventfd (EBADF, EINVAL). An eventfd
 * that is already signalled fires at once, as the kernel's. The write is the region write
 * pwrite does (dropped with memory decode off, as the kernel checks the memory enable).
 *
 * The thread polls a snapshot of the eventfds and a wake-up eventfd; any change of a list
 * wakes it to take a new snapshot. A readable fd is looked up again under sys->lock (a
 * snapshot's fd may have been removed, and its number reused, since): only a live entry's
 * counter is read and its write done, under sys->lock, so the device cannot close meanwhile.
 * The counter is read as the kernel consumes it; a program that also reads its eventfd races
 * with that read (the kernel's does not: it reads before waking anyone), so it should not.
 *
 * Lock order: sys->lock, then what vregion_rw takes (vdev->lock, the model's lock).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vfio/vfio_int.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

struct vioev {
	struct vioev *next;
	int fd;
	unsigned int bar, count;
	uint64_t pos, data;
};

struct vioev_arg { /* struct vfio_device_ioeventfd, whatever the system header */
	uint32_t argsz, flags;
	uint64_t offset, data;
	int32_t fd;
};

static void wake(struct vfio_sys *s)
{
	uint64_t one = 1;

	if (s->ioev_wake >= 0 && write(s->ioev_wake, &one, sizeof(one)) < 0)
		return; /* a full counter wakes it anyway */
}

/* One live entry whose fd is `fd`: its write. sys->lock held. */
static void fire_locked(struct vfio_sys *s, int fd)
{
	for (size_t i = 0; i < s->nr_devs; i++) {
		struct vdev *d = &s->devs[i];

		for (struct vioev *e = d->ioev; e; e = e->next) {
			uint64_t n, v = e->data;

			if (e->fd != fd)
				continue;
			if (read(fd, &n, sizeof(n)) != sizeof(n))
				return;
			if (d->open_count)
				vregion_rw(d, &v, e->count, VFIO_INDEX_OFF(e->bar) | e->pos, true);
			return;
		}
	}
}

static void *ioev_thread(void *arg)
{
	struct vfio_sys *s = arg;
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n = 1;

		pthread_mutex_lock(&s->lock);
		if (s->ioev_stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		for (size_t i = 0; i < s->nr_devs; i++)
			n += s->devs[i].nr_ioev;
		if (n > cap) {
			struct pollfd *p = realloc(pfd, n * sizeof(*p));

			if (!p) {
				pthread_mutex_unlock(&s->lock);
				usleep(10000);
				continue;
			}
			pfd = p;
			cap = n;
		}
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = s->ioev_wake, .events = POLLIN };
		for (size_t i = 0; i < s->nr_devs; i++)
			for (struct vioev *e = s->devs[i].ioev; e; e = e->next)
				pfd[n++] = (struct pollfd){ .fd = e->fd, .events = POLLIN };
		pthread_mutex_unlock(&s->lock);
		if (poll(pfd, n, -1) < 0)
			continue;
		if (pfd[0].revents) {
			uint64_t c;

			if (read(s->ioev_wake, &c, sizeof(c)) < 0)
				continue;
			continue; /* a list changed: a new snapshot first */
		}
		pthread_mutex_lock(&s->lock);
		for (size_t i = 1; i < n; i++)
			if (pfd[i].revents & POLLIN)
				fire_locked(s, pfd[i].fd);
		pthread_mutex_unlock(&s->lock);
	}
	free(pfd);
	return NULL;
}

/* The thread, on the first ioeventfd of the view. sys->lock held. 0 or -errno. */
static int ioev_start_locked(struct vfio_sys *s)
{
	if (s->ioev_started)
		return 0;
	s->ioev_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ioev_wake < 0)
		return -errno;
	s->ioev_stop = false;
	if (pthread_create(&s->ioev_thread, NULL, ioev_thread, s)) {
		close(s->ioev_wake);
		s->ioev_wake = -1;
		return -ENOMEM;
	}
	s->ioev_started = true;
	return 0;
}

void vioev_sys_fini(struct vfio_sys *s)
{
	if (!s->ioev_started)
		return;
	pthread_mutex_lock(&s->lock);
	s->ioev_stop = true;
	pthread_mutex_unlock(&s->lock);
	wake(s);
	pthread_join(s->ioev_thread, NULL);
	close(s->ioev_wake);
	s->ioev_wake = -1;
	s->ioev_started = false;
}

void vioev_release_locked(struct vdev *d)
{
	bool any = d->ioev != NULL;

	while (d->ioev) {
		struct vioev *e = d->ioev;

		d->ioev = e->next;
		close(e->fd);
		free(e);
	}
	d->nr_ioev = 0;
	if (any)
		wake(d->sys);
}

long vioev_ioctl(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vioev_arg, fd);
	const struct platform_device *pd = d->pdev;
	struct vfio_sys *s = d->sys;
	struct vioev_arg a;
	struct vioev *e, **pp;
	unsigned int bar, count;
	uint64_t pos, size;
	int fd = -1, rc;

	if (vu_read(arg, &a, minsz))
		return -EFAULT;
	if (a.argsz < minsz)
		return -EINVAL;
	if (a.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	count = a.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (!count || (count & (count - 1)) || a.fd < -1)
		return -EINVAL;
	bar = (unsigned int)(a.offset >> VFIO_OFF_SHIFT);
	pos = a.offset & VFIO_OFF_MASK;
	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	size = pd->bars[bar].size;
	if (pos + count > size)
		return -EINVAL;
	/* never a way around the host's MSI-X table */
	if (pd->msix_vectors && bar == pd->msix_bar &&
	    !(pos + count <= pd->msix_table_off ||
	      pos >= pd->msix_table_off + 16ull * pd->msix_vectors))
		return -EINVAL;
	if (a.fd >= 0) {
		fd = virq_eventfd_dup(d, a.fd);
		if (fd < 0)
			return fd;
	}
	pthread_mutex_lock(&s->lock);
	for (pp = &d->ioev; *pp; pp = &(*pp)->next) {
		e = *pp;
		if (e->pos == pos && e->bar == bar && e->data == a.data && e->count == count)
			break;
	}
	if (*pp) {
		rc = -EEXIST;
		if (a.fd == -1) {
			e = *pp;
			*pp = e->next;
			d->nr_ioev--;
			close(e->fd);
			free(e);
			wake(s);
			rc = 0;
		}
	} else if (a.fd < 0) {
		rc = -ENODEV;
	} else if (d->nr_ioev >= VIOEV_MAX) {
		rc = -ENOSPC;
	} else {
		rc = ioev_start_locked(s);
		e = rc ? NULL : calloc(1, sizeof(*e));
		if (!rc && !e)
			rc = -ENOMEM;
		if (!rc) {
			*e = (struct vioev){
				.next = d->ioev, .fd = fd, .bar = bar, .count = count, .pos = pos
			};
			e->data = a.data;
			d->ioev = e;
			d->nr_ioev++;
			fd = -1;
			wake(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (fd >= 0)
		close(fd);
	return rc;
}
