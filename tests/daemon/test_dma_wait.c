/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dma_wait.c - a device DMA that waits for its page response does not hold the
 * connection (src/daemon/client.c, "calls that may wait"), run under ioasid-run with the
 * daemon (meson test dma_wait):
 *   - fix: thread A's DMA faults on a fault-capable paging HWPT and waits; thread B, on the
 *     same iommufd, reads the fault record, makes other calls (served while A waits), maps
 *     the missing page with IOAS_MAP and answers SUCCESS; A's DMA completes with the page's
 *     bytes. Then the same with a write DMA answered after an unmap-and-map of the page.
 *   - bound: 8 DMAs of one connection wait at once; a 9th is EBUSY; answered INVALID they all
 *     end with the not-present fault; the slots serve again afterwards.
 *   - kill: a forked child's DMA waits (its fault fd handed to us, so the fd's close does not
 *     end the wait); SIGKILLed mid-wait, the daemon's clients, contexts, threads and fds are
 *     back at their baseline well before the page-response timeout (10 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "daemon_stats.h"
#include "proto/proto.h"

#define PG    4096u
#define BASE  ((uint64_t)MOCK_APERTURE_START)
#define NWAIT 8 /* CLIENT_MAX_WAITERS */

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s failed (errno %d)\n", __FILE__, __LINE__, \
				#cond, errno);                                               \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

struct ctx {
	int fd, ffd;
	uint32_t ioas, dev, hwpt, fault_id;
	uint8_t *mem; /* 4 shared pages: what the daemon can pin */
};

static int test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(fd, IOMMU_TEST_CMD, c);
}

static int map_at(struct ctx *x, void *buf, uint64_t iova)
{
	struct iommu_ioas_map m = { .size = sizeof(m),
				    .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
					     IOMMU_IOAS_MAP_WRITEABLE,
				    .ioas_id = x->ioas,
				    .user_va = (uintptr_t)buf,
				    .length = PG,
				    .iova = iova };

	return ioctl(x->fd, IOMMU_IOAS_MAP, &m);
}

static int unmap_at(struct ctx *x, uint64_t iova)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = x->ioas, .iova = iova, .length = PG
	};

	return ioctl(x->fd, IOMMU_IOAS_UNMAP, &u);
}

static void setup(struct ctx *x)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_NEW };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID };

	x->fd = open("/dev/iommu", O_RDWR);
	CHECK(x->fd >= 0);
	x->mem = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(x->mem != MAP_FAILED);
	CHECK(!ioctl(x->fd, IOMMU_IOAS_ALLOC, &ia));
	x->ioas = ia.out_ioas_id;
	snprintf(c.dev_new.format, sizeof(c.dev_new.format), "mock");
	CHECK(!test_cmd(x->fd, &c));
	x->dev = c.dev_new.out_dev_id;
	CHECK(!ioctl(x->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
	x->fault_id = fa.out_fault_id;
	x->ffd = (int)fa.out_fault_fd;
	ha.dev_id = x->dev;
	ha.pt_id = x->ioas;
	ha.fault_id = x->fault_id;
	CHECK(!ioctl(x->fd, IOMMU_HWPT_ALLOC, &ha));
	x->hwpt = ha.out_hwpt_id;
	memset(&c, 0, sizeof(c));
	c.op = IOMMU_TEST_OP_IOASID_DEV_ATTACH;
	c.id = x->dev;
	c.dev_attach.op = IOMMU_TEST_DEV_ATTACH;
	c.dev_attach.pt_id = x->hwpt;
	CHECK(!test_cmd(x->fd, &c));
	/* page 0 of mem is mapped at BASE; everything above is a hole */
	CHECK(!map_at(x, x->mem, BASE));
}

struct dma {
	struct ctx *x;
	uint64_t iova;
	bool write;
	char buf[64];
	int rc, err;
	struct iommu_test_cmd out;
	bool done; /* atomic */
	pthread_t thread;
};

static void *dma_thread(void *arg)
{
	struct dma *d = arg;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_IOASID_DEV_DMA, .id = d->x->dev };

	c.dev_dma.flags = d->write ? IOMMU_TEST_DMA_WRITE : 0;
	c.dev_dma.iova = d->iova;
	c.dev_dma.length = sizeof(d->buf);
	c.dev_dma.uptr = (uintptr_t)d->buf;
	d->rc = test_cmd(d->x->fd, &c);
	d->err = errno;
	d->out = c;
	__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void dma_start(struct dma *d, struct ctx *x, uint64_t iova, bool write)
{
	memset(d, 0, sizeof(*d));
	d->x = x;
	d->iova = iova;
	d->write = write;
	if (write)
		snprintf(d->buf, sizeof(d->buf), "written by the device at %#llx",
			 (unsigned long long)iova);
	CHECK(!pthread_create(&d->thread, NULL, dma_thread, d));
}

static bool read_record(int ffd, struct iommu_hwpt_pgfault *rec)
{
	struct pollfd p = { .fd = ffd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1 && read(ffd, rec, sizeof(*rec)) == (ssize_t)sizeof(*rec);
}

static void respond(int ffd, const struct iommu_hwpt_pgfault *rec, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = rec->cookie, .code = code };

	CHECK(write(ffd, &r, sizeof(r)) == (ssize_t)sizeof(r));
}

/* Thread A waits for its fault's answer; thread B (us) fixes the fault on the same fd. */
static void case_fix(void)
{
	struct iommu_ioas_iova_ranges ranges = { .size = sizeof(ranges) };
	struct iommu_hwpt_pgfault rec;
	struct ctx x;
	struct dma d;
	uint64_t hole = BASE + 2 * PG;

	setup(&x);
	ranges.ioas_id = x.ioas;
	memset(x.mem + 2 * PG, 0, PG);
	snprintf((char *)x.mem + 2 * PG, 64, "mapped by thread B while A waited");

	/* a read: A faults at the hole and waits */
	dma_start(&d, &x, hole, false);
	CHECK(read_record(x.ffd, &rec));
	CHECK(rec.addr == hole && rec.perm == IOMMU_PGFAULT_PERM_READ && rec.dev_id == x.dev);
	/* the connection serves us while A's call waits in the daemon */
	CHECK(ioctl(x.fd, IOMMU_IOAS_IOVA_RANGES, &ranges) == -1 && errno == EMSGSIZE);
	CHECK(!map_at(&x, x.mem + 2 * PG, hole));
	CHECK(!__atomic_load_n(&d.done, __ATOMIC_ACQUIRE)); /* A still waits for the answer */
	respond(x.ffd, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	CHECK(!pthread_join(d.thread, NULL));
	CHECK(d.rc == 0 && d.out.dev_dma.out_fault_type == 0 &&
	      d.out.dev_dma.length == sizeof(d.buf));
	CHECK(!strcmp(d.buf, "mapped by thread B while A waited"));

	/* a write to another hole, fixed by mapping the page there */
	dma_start(&d, &x, hole + PG, true);
	CHECK(read_record(x.ffd, &rec));
	CHECK(rec.addr == hole + PG && rec.perm == IOMMU_PGFAULT_PERM_WRITE);
	CHECK(!unmap_at(&x, hole)); /* the program moves the page meanwhile */
	CHECK(!map_at(&x, x.mem + 3 * PG, hole + PG));
	respond(x.ffd, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	CHECK(!pthread_join(d.thread, NULL));
	CHECK(d.rc == 0 && d.out.dev_dma.out_fault_type == 0);
	CHECK(!memcmp(x.mem + 3 * PG, d.buf, sizeof(d.buf)));

	close(x.ffd);
	CHECK(!close(x.fd));
	munmap(x.mem, 4 * PG);
}

/* NWAIT DMAs wait at once; one more is EBUSY; the slots serve again once they end. */
static void case_bound(void)
{
	struct iommu_hwpt_pgfault rec[NWAIT];
	struct dma d[NWAIT], more;
	struct ctx x;

	setup(&x);
	for (unsigned int i = 0; i < NWAIT; i++)
		dma_start(&d[i], &x, BASE + (8 + i) * PG, false);
	for (unsigned int i = 0; i < NWAIT; i++)
		CHECK(read_record(x.ffd, &rec[i]));
	dma_start(&more, &x, BASE + 20 * PG, false);
	CHECK(!pthread_join(more.thread, NULL));
	CHECK(more.rc == -1 && more.err == EBUSY);
	for (unsigned int i = 0; i < NWAIT; i++)
		respond(x.ffd, &rec[i], IOMMUFD_PAGE_RESP_INVALID);
	for (unsigned int i = 0; i < NWAIT; i++) {
		CHECK(!pthread_join(d[i].thread, NULL));
		CHECK(d[i].rc == 0 && d[i].out.dev_dma.out_fault_type == 1 &&
		      d[i].out.dev_dma.length == 0 && d[i].out.dev_dma.out_fault_addr == d[i].iova);
	}
	/* every slot again: NWAIT DMAs of the mapped page at once */
	memset(x.mem, 0x5a, 64);
	for (unsigned int i = 0; i < NWAIT; i++)
		dma_start(&d[i], &x, BASE, false);
	for (unsigned int i = 0; i < NWAIT; i++) {
		CHECK(!pthread_join(d[i].thread, NULL));
		CHECK(d[i].rc == 0 && d[i].out.dev_dma.out_fault_type == 0 &&
		      (uint8_t)d[i].buf[63] == 0x5a);
	}
	close(x.ffd);
	CHECK(!close(x.fd));
	munmap(x.mem, 4 * PG);
}

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1 || !(cm = CMSG_FIRSTHDR(&mh)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The baseline: the daemon with no client but the asking one and no context, the same in two
 * readings in a row (the earlier cases' connections, and each reading's own, end on the
 * daemon's threads a little after their close; a baseline taken meanwhile counts them).
 */
static bool daemon_quiet(struct ioasidd_stats *out)
{
	struct ioasidd_stats prev = { 0 };
	bool have_prev = false;
	double t0 = now_s();

	while (now_s() - t0 < 5) {
		if (!daemon_stats(out))
			return false;
		if (out->clients == 1 && out->contexts == 0) {
			if (have_prev && prev.threads == out->threads &&
			    prev.open_fds == out->open_fds)
				return true;
			prev = *out;
			have_prev = true;
		} else {
			have_prev = false;
		}
		usleep(20000);
	}
	fprintf(stderr, "the daemon never settled: clients %lu contexts %lu\n", out->clients,
		out->contexts);
	return false;
}

/* A client SIGKILLed while its DMA waits: the daemon lets everything of it go, in time. */
static void case_kill(void)
{
	struct ioasidd_stats base, st;
	struct iommu_hwpt_pgfault rec;
	int sv[2], ffd, status;
	double t0;
	pid_t pid;

	CHECK(daemon_quiet(&base));
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct ctx x;
		struct dma d;

		close(sv[0]);
		setup(&x);
		/* we keep its fault fd open: only the caller's death can end the wait */
		if (send_fd(sv[1], x.ffd))
			_exit(2);
		memset(&d, 0, sizeof(d));
		d.x = &x;
		d.iova = BASE + 5 * PG;
		dma_thread(&d); /* waits until killed */
		_exit(3);
	}
	close(sv[1]);
	ffd = recv_fd(sv[0]);
	CHECK(ffd >= 0);
	CHECK(read_record(ffd, &rec)); /* the child's DMA waits in the daemon now */
	CHECK(!kill(pid, SIGKILL));
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	t0 = now_s();
	for (;;) {
		CHECK(daemon_stats(&st));
		if (st.clients == base.clients && st.contexts == base.contexts &&
		    st.threads == base.threads && st.open_fds == base.open_fds)
			break;
		if (now_s() - t0 > 5) {
			fprintf(stderr,
				"after the kill: clients %lu/%lu contexts %lu/%lu threads %lu/%lu "
				"fds %lu/%lu\n",
				st.clients, base.clients, st.contexts, base.contexts, st.threads,
				base.threads, st.open_fds, base.open_fds);
			exit(1);
		}
		usleep(20000);
	}
	printf("dma_wait kill: the daemon at its baseline %.2f s after the kill\n", now_s() - t0);
	close(ffd);
	close(sv[0]);
}

int main(void)
{
	int fd = open("/dev/iommu", O_RDWR);

	CHECK(fd >= 0); /* run under ioasid-run */
	close(fd);
	case_fix();
	case_bound();
	case_kill();
	printf("dma_wait: ok\n");
	return 0;
}
