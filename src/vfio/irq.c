// SPDX-License-Identifier: BSD-3-Clause
/*
 * irq.c - a VFIO device's interrupts: VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_SET_IRQS, and
 * MSI-X messages of the model written to the program's eventfds.
 *
 * Indexes are vfio-pci's: INTx (one, the device's interrupt pin is INTA), MSI (none: the
 * emulated functions have no MSI capability), MSI-X (the table's size), error (one, PCI
 * Express) and request (one). One of INTx, MSI, MSI-X is in use at a time (irq_type).
 *
 * MSI-X. Enabling it (SET_IRQS with eventfds on a device with none in use) does what the
 * host kernel does to the function: the MSI-X enable bit in the capability, and the table
 * entry of each vector with an eventfd unmasked (those without stay masked, so a message
 * for them is held in the PBA and sent once one is set). The table and capability are the
 * host's: the program's writes to them are dropped (region.c). A vector the model raises
 * reaches virq_model_cb(), which adds 1 to the vector's eventfd. Vectors may be added to a
 * running set (vfio-pci's dynamic MSI-X: no NORESIZE flag). A reset keeps the eventfds and
 * puts the host's MSI-X state back (virq_restore), as the kernel restores the saved state.
 *
 * INTx. The models never assert INTx; the eventfd is there for the ABI (enable, disable,
 * mask, unmask and the software trigger). A trigger (DATA_NONE or DATA_BOOL) signals it
 * unless the virtual INTx disable bit is set. Mask and unmask set the mask state; an
 * unmask eventfd (virqfd) is not offered (EINVAL for fd >= 0; -1 is accepted).
 *
 * Eventfds: SET_IRQS takes the program's fd and keeps its own duplicate, as the kernel keeps
 * a reference to the eventfd context: closing the program's fd does not stop signalling.
 * Not an eventfd: EINVAL; not open: EBADF (the kernel's eventfd_ctx_fdget).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vfio/vfio_int.h"

#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))

/* Our own duplicate of the program's eventfd fd, or -EBADF / -EINVAL. */
int virq_eventfd_dup(struct vdev *d, int fd)
{
	char path[64], link[64];
	ssize_t n;
	int dup;

	if (fd >= 0 && d->sys->ops.eventfd_dup)
		return d->sys->ops.eventfd_dup(fd);
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (d->sys->ops.is_emulated && d->sys->ops.is_emulated(fd))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	if (strcmp(link, "anon_inode:[eventfd]"))
		return -EINVAL;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return dup < 0 ? -errno : dup;
}

static void fd_drop(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void virq_init(struct vdev *d)
{
	unsigned int n = d->pdev->msix_vectors;

	d->irq_type = VIRQ_NONE;
	d->intx_masked = false;
	pthread_mutex_lock(&d->irq_lock);
	d->intx_fd = d->err_fd = d->req_fd = -1;
	d->msix_nvec = 0;
	free(d->msix_fds);
	d->msix_fds = n ? malloc(n * sizeof(int)) : NULL;
	for (unsigned int i = 0; d->msix_fds && i < n; i++)
		d->msix_fds[i] = -1;
	pthread_mutex_unlock(&d->irq_lock);
}

/* The device's last close: every eventfd let go. vdev->lock held. */
void virq_release(struct vdev *d)
{
	pthread_mutex_lock(&d->irq_lock);
	fd_drop(&d->intx_fd);
	fd_drop(&d->err_fd);
	fd_drop(&d->req_fd);
	for (unsigned int i = 0; d->msix_fds && i < d->pdev->msix_vectors; i++)
		fd_drop(&d->msix_fds[i]);
	free(d->msix_fds);
	d->msix_fds = NULL;
	d->msix_nvec = 0;
	pthread_mutex_unlock(&d->irq_lock);
	d->irq_type = VIRQ_NONE;
}

unsigned int virq_count(struct vdev *d, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return 1; /* interrupt pin INTA */
	case VFIO_PCI_MSI_IRQ_INDEX:
		return 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return d->pdev->msix_vectors;
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

long virq_info(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (vu_read(arg, &info, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = virq_count(d, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return vu_write(arg, &info, minsz) ? -EFAULT : 0;
}

/* ---- the model's messages ------------------------------------------------------------------- */

static void signal_fd(int fd)
{
	if (fd >= 0)
		eventfd_write(fd, 1);
}

void virq_model_cb(void *opaque, unsigned int vector)
{
	struct vdev *d = opaque;

	pthread_mutex_lock(&d->irq_lock);
	if (vector < d->msix_nvec && d->msix_fds)
		signal_fd(d->msix_fds[vector]);
	pthread_mutex_unlock(&d->irq_lock);
}

/*
 * The host's MSI-X programming of the function: enable bit, each allocated vector unmasked
 * if it has an eventfd. Memory decode is turned on around the table writes and put back,
 * as vfio-pci does. vdev->lock held.
 */
static void msix_program(struct vdev *d)
{
	const struct platform_device *pd = d->pdev;
	uint16_t ctrl = 0, cmd;
	bool on;

	if (!pd->msix_vectors)
		return;
	pthread_mutex_lock(&d->irq_lock);
	on = d->msix_nvec > 0;
	pthread_mutex_unlock(&d->irq_lock);
	cmd = vcfg_cmd(d);
	vcfg_set_cmd(d, cmd | PCI_COMMAND_MEMORY);
	for (unsigned int v = 0; v < pd->msix_vectors; v++) {
		bool unmask;

		pthread_mutex_lock(&d->irq_lock);
		unmask = on && v < d->msix_nvec && d->msix_fds[v] >= 0;
		pthread_mutex_unlock(&d->irq_lock);
		dev_model_mmio_write(d->model, pd->msix_bar, pd->msix_table_off + v * 16 + 12, 4,
				     unmask ? 0 : PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	dev_model_cfg_read(d->model, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, &ctrl, 2);
	ctrl = (uint16_t)((ctrl & ~PCI_MSIX_FLAGS_ENABLE) | (on ? PCI_MSIX_FLAGS_ENABLE : 0));
	dev_model_cfg_write(d->model, PCI_CFG_MSIX_OFF + PCI_MSIX_FLAGS, &ctrl, 2);
	vcfg_set_cmd(d, cmd);
}

void virq_restore(struct vdev *d)
{
	msix_program(d);
}

/* ---- SET_IRQS ------------------------------------------------------------------------------- */

static int msix_disable(struct vdev *d)
{
	pthread_mutex_lock(&d->irq_lock);
	for (unsigned int i = 0; i < d->pdev->msix_vectors; i++)
		fd_drop(&d->msix_fds[i]);
	d->msix_nvec = 0;
	pthread_mutex_unlock(&d->irq_lock);
	d->irq_type = VIRQ_NONE;
	msix_program(d);
	return 0;
}

/* Set vectors [start, start + count) to fds (-1: none); on error nothing set here stays. */
static int msix_set_block(struct vdev *d, unsigned int start, unsigned int count,
			  const int32_t *fds)
{
	int rc = 0;
	unsigned int i;

	for (i = 0; i < count; i++) {
		int dup = -1;

		if (fds[i] >= 0) {
			dup = virq_eventfd_dup(d, fds[i]);
			if (dup < 0) {
				rc = dup;
				break;
			}
		} else if (fds[i] != -1) {
			/* the kernel ignores other negative fds the same way: none */
		}
		pthread_mutex_lock(&d->irq_lock);
		fd_drop(&d->msix_fds[start + i]);
		d->msix_fds[start + i] = dup;
		if (start + i >= d->msix_nvec)
			d->msix_nvec = start + i + 1;
		pthread_mutex_unlock(&d->irq_lock);
	}
	if (rc) {
		pthread_mutex_lock(&d->irq_lock);
		for (unsigned int j = 0; j < i; j++)
			fd_drop(&d->msix_fds[start + j]);
		pthread_mutex_unlock(&d->irq_lock);
	}
	msix_program(d);
	return rc;
}

static int set_msix_trigger(struct vdev *d, unsigned int start, unsigned int count, uint32_t flags,
			    const uint8_t *data)
{
	bool active = d->irq_type == VFIO_PCI_MSIX_IRQ_INDEX;

	if (active && !count && (flags & VFIO_IRQ_SET_DATA_NONE))
		return msix_disable(d);
	if (!(active || d->irq_type == VIRQ_NONE))
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int rc;

		if (!active) {
			pthread_mutex_lock(&d->irq_lock);
			d->msix_nvec = start + count;
			pthread_mutex_unlock(&d->irq_lock);
			d->irq_type = VFIO_PCI_MSIX_IRQ_INDEX;
		}
		rc = msix_set_block(d, start, count, (const int32_t *)(const void *)data);
		if (rc && !active)
			msix_disable(d);
		return rc;
	}
	if (!active)
		return -EINVAL;
	pthread_mutex_lock(&d->irq_lock);
	for (unsigned int i = start; i < start + count && i < d->msix_nvec; i++)
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || data[i - start])
			signal_fd(d->msix_fds[i]);
	pthread_mutex_unlock(&d->irq_lock);
	return 0;
}

static int set_intx(struct vdev *d, uint32_t action, unsigned int start, unsigned int count,
		    uint32_t flags, const uint8_t *data)
{
	bool intx = d->irq_type == VFIO_PCI_INTX_IRQ_INDEX;

	if (action == VFIO_IRQ_SET_ACTION_MASK || action == VFIO_IRQ_SET_ACTION_UNMASK) {
		bool mask = action == VFIO_IRQ_SET_ACTION_MASK;

		if (!intx || start || count != 1)
			return -EINVAL;
		if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
			int32_t fd;

			if (mask)
				return -ENOTTY; /* as the kernel: not implemented there either */
			memcpy(&fd, data, 4);
			return fd >= 0 ? -EINVAL : 0; /* no unmask eventfd (see above) */
		}
		if ((flags & VFIO_IRQ_SET_DATA_NONE) || data[0])
			d->intx_masked = mask;
		return 0;
	}
	if (intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		pthread_mutex_lock(&d->irq_lock);
		fd_drop(&d->intx_fd);
		pthread_mutex_unlock(&d->irq_lock);
		d->irq_type = VIRQ_NONE;
		return 0;
	}
	if (!(intx || d->irq_type == VIRQ_NONE) || start || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd;
		int dup = -1;

		memcpy(&fd, data, 4);
		if (fd >= 0) {
			dup = virq_eventfd_dup(d, fd);
			if (dup < 0)
				return dup;
		}
		pthread_mutex_lock(&d->irq_lock);
		fd_drop(&d->intx_fd);
		d->intx_fd = dup;
		pthread_mutex_unlock(&d->irq_lock);
		if (!intx) {
			d->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
			d->intx_masked = false;
		}
		return 0;
	}
	if (!intx)
		return -EINVAL;
	if (((flags & VFIO_IRQ_SET_DATA_NONE) || data[0]) && !d->vintx_disable) {
		pthread_mutex_lock(&d->irq_lock);
		signal_fd(d->intx_fd);
		pthread_mutex_unlock(&d->irq_lock);
	}
	return 0;
}

/* The error and request indexes: one eventfd each, with the loopback triggers. */
static int set_single(struct vdev *d, int *slot, unsigned int start, unsigned int count,
		      uint32_t flags, const uint8_t *data)
{
	int rc = 0;

	if (start || count > 1)
		return -EINVAL;
	pthread_mutex_lock(&d->irq_lock);
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (*slot < 0)
			rc = -EINVAL;
		else if (count)
			signal_fd(*slot);
		else
			fd_drop(slot);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			rc = -EINVAL;
		else if (data[0])
			signal_fd(*slot);
	} else {
		int32_t fd;

		if (!count) {
			rc = -EINVAL;
		} else {
			memcpy(&fd, data, 4);
			if (fd == -1) {
				fd_drop(slot);
			} else if (fd >= 0) {
				pthread_mutex_unlock(&d->irq_lock);
				rc = virq_eventfd_dup(d, fd);
				pthread_mutex_lock(&d->irq_lock);
				if (rc >= 0) {
					fd_drop(slot);
					*slot = rc;
					rc = 0;
				}
			} else {
				rc = -EINVAL;
			}
		}
	}
	pthread_mutex_unlock(&d->irq_lock);
	return rc;
}

long virq_set(struct vdev *d, unsigned long arg)
{
	const size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	uint32_t action, max;
	size_t size = 0;
	uint8_t *data = NULL;
	long rc;

	if (vu_read(arg, &hdr, minsz))
		return -EFAULT;
	if (hdr.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	max = virq_count(d, hdr.index);
	if (hdr.argsz < minsz || hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return -EINVAL;
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = 4;
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr.argsz - minsz < (uint64_t)hdr.count * size)
			return -EINVAL;
		data = malloc(hdr.count * size + 4);
		if (!data)
			return -ENOMEM;
		if (vu_read(arg + minsz, data, hdr.count * size)) {
			free(data);
			return -EFAULT;
		}
	}
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	pthread_mutex_lock(&d->lock);
	rc = -ENOTTY;
	switch (hdr.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK || action == VFIO_IRQ_SET_ACTION_UNMASK ||
		    action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_intx(d, action, hdr.start, hdr.count, hdr.flags, data);
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_msix_trigger(d, hdr.start, hdr.count, hdr.flags, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_single(d, &d->err_fd, hdr.start, hdr.count, hdr.flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = set_single(d, &d->req_fd, hdr.start, hdr.count, hdr.flags, data);
		break;
	default:
		break; /* MSI: no vectors, refused above */
	}
	pthread_mutex_unlock(&d->lock);
	free(data);
	return rc;
}
