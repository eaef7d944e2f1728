/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_waiter_snapshot.c - a call served on a waiter thread (src/daemon/client.c, "calls
 * that may wait") is the struct the connection's thread read when it chose the waiter,
 * never the program's memory read again by the waiter: otherwise a program that rewrites
 * its struct after sending gets any op served beside the connection's thread (found by
 * fuzz/daemon_msg_fuzz.c: MD_CHECK_REFS on a waiter, holding the context's lock).
 *
 * Like the fuzz target, this program is one connection of a daemon: the daemon's sources
 * are linked in (fuzz/daemon_host.h stands for ioasidd.c), the main thread receives and
 * serves as client_thread does, and a client thread sends IOCTL messages whose struct is
 * in this process (read and written by the daemon's mem ops, process_vm_readv/writev on
 * our own pid, wrapped here to see which thread touches which bytes).
 *
 * Checks: a DMA call (IOASID_DEV_DMA) is handed to a waiter (its answer is written by a
 * thread other than the connection's); no thread but the connection's reads the struct's
 * bytes; the answer still reaches the program's struct; a non-DMA test op is served on the
 * connection's thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

#include "../../fuzz/daemon_host.h"
#include "daemon/daemon.h"
#include "proto/proto.h"

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s failed (errno %d)\n", __FILE__, __LINE__, \
				#cond, errno);                                               \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

static pthread_t conn_thread; /* the connection's thread: main */
static struct iommu_test_cmd cmd;
/* copies by a thread other than the connection's: reads of cmd's bytes, any write */
static unsigned int other_reads_of_cmd, other_writes;

ssize_t __real_process_vm_readv(pid_t pid, const struct iovec *l, unsigned long ln,
				const struct iovec *r, unsigned long rn, unsigned long flags);
ssize_t __real_process_vm_writev(pid_t pid, const struct iovec *l, unsigned long ln,
				 const struct iovec *r, unsigned long rn, unsigned long flags);

static bool touches_cmd(const struct iovec *r, unsigned long rn)
{
	uintptr_t lo = (uintptr_t)&cmd, hi = lo + sizeof(cmd);

	for (unsigned long i = 0; i < rn; i++) {
		uintptr_t b = (uintptr_t)r[i].iov_base;

		if (r[i].iov_len && b < hi && b + r[i].iov_len > lo)
			return true;
	}
	return false;
}

ssize_t __wrap_process_vm_readv(pid_t pid, const struct iovec *l, unsigned long ln,
				const struct iovec *r, unsigned long rn, unsigned long flags)
{
	if (!pthread_equal(pthread_self(), conn_thread) && touches_cmd(r, rn))
		__atomic_add_fetch(&other_reads_of_cmd, 1, __ATOMIC_RELAXED);
	return __real_process_vm_readv(pid, l, ln, r, rn, flags);
}

ssize_t __wrap_process_vm_writev(pid_t pid, const struct iovec *l, unsigned long ln,
				 const struct iovec *r, unsigned long rn, unsigned long flags)
{
	if (!pthread_equal(pthread_self(), conn_thread))
		__atomic_add_fetch(&other_writes, 1, __ATOMIC_RELAXED);
	return __real_process_vm_writev(pid, l, ln, r, rn, flags);
}

static struct client cl;
static int sv[2];

struct req {
	int rc;
	long ret;
};

/* the program's side: one ioctl through the connection, on its own thread */
static void *client_call_thread(void *arg)
{
	struct req *q = arg;

	q->rc = ioasid_client_ioctl(sv[1], IOMMU_TEST_CMD, (uintptr_t)&cmd, -1, IOASID_IN_FD_NONE,
				    &q->ret);
	return NULL;
}

/* Send cmd from a client thread, serve it here as client_thread does, wait for the answer. */
static struct req call(void)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	struct ioasid_recv r;
	struct req q = { 0 };
	pthread_t t;

	CHECK(!pthread_create(&t, NULL, client_call_thread, &q));
	CHECK(!ioasid_recv(sv[0], buf, &r) && r.len);
	client_serve(&cl, buf, &r);
	ioasid_recv_close_fds(&r);
	CHECK(!pthread_join(t, NULL));
	client_waiters_end(&cl); /* a waiter, if any, has answered: join it */
	return q;
}

int main(void)
{
	struct req q;
	uint32_t dev;

	conn_thread = pthread_self();
	/* no wait of a waiter lasts: as the fuzz target (a DMA here never waits anyway) */
	stop_fd = eventfd(0, EFD_CLOEXEC);
	CHECK(stop_fd >= 0);
	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ident_sock_setup(sv[0]);
	cl.sock = sv[0];
	cl.uid = geteuid();
	cl.gid = getegid();
	cl.pid = getpid();
	cl.uid_objects = &uid_objects;

	/* a device of the mock model, made on the connection's thread */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.op = IOMMU_TEST_OP_IOASID_DEV_NEW;
	snprintf(cmd.dev_new.format, sizeof(cmd.dev_new.format), "mock");
	q = call();
	CHECK(q.rc == 0);
	dev = cmd.dev_new.out_dev_id;
	CHECK(dev != 0);
	CHECK(other_reads_of_cmd == 0 && other_writes == 0); /* not a waiter's call */

	/* a DMA of the unattached device: a waiter's call, answered with its fault */
	for (int i = 0; i < 50; i++) {
		static uint8_t data[64];

		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.op = IOMMU_TEST_OP_IOASID_DEV_DMA;
		cmd.id = dev;
		cmd.dev_dma.iova = 1ULL << 20;
		cmd.dev_dma.length = sizeof(data);
		cmd.dev_dma.uptr = (uintptr_t)data;
		cmd.dev_dma.out_fault_type = 0xdeadbeef;
		other_writes = 0;
		q = call();
		CHECK(q.rc == 0 && q.ret == 0);
		CHECK(other_writes > 0); /* the answer came from another thread: a waiter */
		CHECK(cmd.dev_dma.out_fault_type != 0xdeadbeef); /* and reached the struct */
		CHECK(cmd.dev_dma.length == 0);			 /* nothing was done */
	}
	CHECK(other_reads_of_cmd == 0);

	/* a short struct that still holds the op: read once, the rest zero */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = 8;
	cmd.op = IOMMU_TEST_OP_IOASID_DEV_DMA;
	q = call();
	CHECK(q.rc == -EINVAL); /* below the command's minimum size, as the kernel's */
	CHECK(other_reads_of_cmd == 0);

	client_waiters_end(&cl);
	if (cl.ctx)
		ioasid_ctx_free(cl.ctx);
	mem_release(&cl);
	printf("waiter_snapshot: ok\n");
	return 0;
}
