/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * veventq.c - the kernel's read rules on a vEVENTQ fd, for programs under the shim.
 *
 * IOMMU_VEVENTQ_ALLOC gives the program the read end of a pipe (src/core/viommu.c): its
 * poll is the kernel's, and so are reads of whole records. What a pipe cannot do is refuse
 * a read: the kernel's vEVENTQ read is EINVAL when the count is below a header, and when it
 * is below the next record while nothing was read yet; it never returns part of a record,
 * and it does not wait (an empty queue reads 0). The shim notes the fd of each vEVENTQ it
 * hands out (with the record size of the queue's type) and serves read() on it:
 *
 *   - count < sizeof(struct iommufd_vevent_header): EINVAL;
 *   - records are taken whole while they fit: a header, then the type's data, except a
 *     header flagged IOMMU_VEVENTQ_FLAG_LOST_EVENTS, which stands alone;
 *   - a record that does not fit stays for the next read (kept here: a pipe has no unread),
 *     EINVAL if it was the first;
 *   - only what is already in the pipe is read (FIONREAD), so an empty queue reads 0.
 *
 * The core writes a record with one write() (atomic: far below PIPE_BUF), so a header in the
 * pipe means its data is there too. Only fds noted from the reply are served: a dup of one is
 * an ordinary pipe to the shim.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "shim/veventq.h"

#define VQ_MAX	   64 /* vEVENTQs noted at once; one per type and vIOMMU in practice */
#define VQ_REC_MAX 64 /* the largest record: a header and 32 bytes of SMMUv3 event */

struct vq {
	int fd; /* -1: free */
	uint32_t data_len;
	size_t npend;
	uint8_t pend[VQ_REC_MAX];
};

/*
 * vq_lock serializes noting, forgetting and reading; the question every read() of the
 * program asks (is this fd a vEVENTQ?) takes no lock: a count and the fds, atomically, so a
 * read() in a signal handler or a forked child never waits on it.
 */
static struct vq vqs[VQ_MAX] = { [0 ... VQ_MAX - 1] = { .fd = -1 } };
static pthread_mutex_t vq_lock = PTHREAD_MUTEX_INITIALIZER;
static int vq_count;

/* The data after the header of one event of the type (the uAPI's event structs). */
static int vq_data_len(uint32_t type, uint32_t *out)
{
	switch (type) {
	case IOMMU_VEVENTQ_TYPE_SELFTEST:
		*out = sizeof(struct iommu_viommu_event_selftest);
		return 0;
	case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		*out = sizeof(struct iommu_vevent_arm_smmuv3);
		return 0;
	case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		*out = sizeof(struct iommu_vevent_tegra241_cmdqv);
		return 0;
	default:
		return -1;
	}
}

static struct vq *vq_find(int fd)
{
	for (int i = 0; i < VQ_MAX; i++)
		if (vqs[i].fd == fd)
			return &vqs[i];
	return NULL;
}

void shim_veventq_note(int fd, uint32_t type)
{
	uint32_t len;
	struct vq *q;

	if (fd < 0 || vq_data_len(type, &len))
		return;
	pthread_mutex_lock(&vq_lock);
	q = vq_find(fd);
	if (!q) {
		q = vq_find(-1);
		if (q)
			__atomic_add_fetch(&vq_count, 1, __ATOMIC_RELEASE);
	}
	if (q) {
		q->data_len = len;
		q->npend = 0;
		__atomic_store_n(&q->fd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vq_lock);
}

void shim_veventq_forget(int fd)
{
	struct vq *q;

	if (!shim_veventq_is(fd)) /* every close() of the program asks: no lock then */
		return;
	pthread_mutex_lock(&vq_lock);
	q = vq_find(fd);
	if (q) {
		__atomic_store_n(&q->fd, -1, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&vq_count, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vq_lock);
}

void shim_veventq_forget_range(unsigned int first, unsigned int last)
{
	if (!__atomic_load_n(&vq_count, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vq_lock);
	for (int i = 0; i < VQ_MAX; i++)
		if (vqs[i].fd >= 0 && (unsigned int)vqs[i].fd >= first &&
		    (unsigned int)vqs[i].fd <= last) {
			__atomic_store_n(&vqs[i].fd, -1, __ATOMIC_RELEASE);
			__atomic_sub_fetch(&vq_count, 1, __ATOMIC_RELEASE);
		}
	pthread_mutex_unlock(&vq_lock);
}

bool shim_veventq_is(int fd)
{
	if (fd < 0 || !__atomic_load_n(&vq_count, __ATOMIC_ACQUIRE))
		return false;
	for (int i = 0; i < VQ_MAX; i++)
		if (__atomic_load_n(&vqs[i].fd, __ATOMIC_ACQUIRE) == fd)
			return true;
	return false;
}

/* The next record into q->pend, if the pipe holds one: 1, 0 (none), -1 with errno. */
static int vq_fetch(struct vq *q, ssize_t (*next_read)(int, void *, size_t))
{
	struct iommufd_vevent_header hdr;
	size_t rec, rest;
	int avail = 0;

	if (q->npend)
		return 1;
	if (syscall(SYS_ioctl, q->fd, FIONREAD, &avail) || (size_t)avail < sizeof(hdr))
		return 0;
	if (next_read(q->fd, &hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return -1;
	rec = sizeof(hdr);
	if (!(hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS))
		rec += q->data_len;
	memcpy(q->pend, &hdr, sizeof(hdr));
	rest = rec - sizeof(hdr);
	if (rest && next_read(q->fd, q->pend + sizeof(hdr), rest) != (ssize_t)rest)
		return -1;
	q->npend = rec;
	return 1;
}

ssize_t shim_veventq_read(int fd, void *buf, size_t len, ssize_t (*next_read)(int, void *, size_t))
{
	size_t done = 0;
	struct vq *q;
	int rc = 0;

	if (len < sizeof(struct iommufd_vevent_header)) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&vq_lock);
	q = vq_find(fd);
	if (!q) {
		pthread_mutex_unlock(&vq_lock);
		return next_read(fd, buf, len);
	}
	while ((rc = vq_fetch(q, next_read)) == 1) {
		if (q->npend > len - done) {
			if (!done) {
				rc = -1;
				errno = EINVAL;
			}
			break;
		}
		memcpy((uint8_t *)buf + done, q->pend, q->npend);
		done += q->npend;
		q->npend = 0;
	}
	pthread_mutex_unlock(&vq_lock);
	if (rc < 0 && !done)
		return -1;
	return (ssize_t)done;
}
