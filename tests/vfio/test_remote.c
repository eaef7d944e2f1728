// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_remote.c - the daemon's VFIO devices as an attacker sees them: every private call of
 * src/proto/vfio_proto.h with bad input, and the cases the brief names (a client naming
 * another's device or context, bad region offsets, huge lengths, fd confusion, a client
 * that never reads), plus fork sharing a bound device and its BAR window.
 *
 *   ioasid-run --socket PATH -- test_remote      (plain ioasid-run: the daemon back end)
 *
 * Calls go through the shim (ioctl, pread, mmap on the program's fds) and, for what the
 * shim would never send (a STAGE_FD without its fd, a connection turned into a device after
 * it made a context, a flood of requests whose answers nobody reads), straight on the wire
 * with the protocol's client functions. TAP output; exit 1 on the first failed check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "proto/proto.h"
#include "proto/vfio_proto.h"

static int ntest;
static const char *cur = "setup";

#define check(cond, ...)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			printf("not ok %d - %s: ", ++ntest, cur);                            \
			printf(__VA_ARGS__);                                                 \
			printf(" (%s:%d, errno %s)\n", __FILE__, __LINE__, strerror(errno)); \
			exit(1);                                                             \
		}                                                                            \
	} while (0)
#define fails(call, err) ((call) < 0 && errno == (err))

static void pass(const char *what)
{
	printf("ok %d - %s\n", ++ntest, what);
}

#define CFG_OFF ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

/* /dev/iommu with an IOAS, vfio0 bound to it and attached: the device fd */
static int bound_device(int *out_iommufd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	int ifd = open("/dev/iommu", O_RDWR), dev = open("/dev/vfio/devices/vfio0", O_RDWR);

	check(ifd >= 0 && dev >= 0, "open");
	check(!ioctl(ifd, IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");
	b.iommufd = ifd;
	check(!ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), "BIND");
	at.pt_id = a.out_ioas_id;
	check(!ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), "ATTACH");
	*out_iommufd = ifd;
	return dev;
}

static int raw_conn(void)
{
	const char *path = getenv("IOASID_SOCKET");
	int s = path ? ioasid_client_connect(path, IOASID_CONNECT_CLOEXEC, NULL, NULL) : -1;

	check(s >= 0, "raw connection to %s", path ? path : "?");
	return s;
}

/* One call on the wire: ioctl(2)'s answer, -1 with errno. */
static long raw_call(int s, unsigned long cmd, void *arg, int in_off, int in_fd)
{
	long ret = -1;
	int rc = ioasid_client_ioctl(s, cmd, (uint64_t)(uintptr_t)arg, in_off, in_fd, &ret);

	if (rc) {
		errno = -rc;
		return -1;
	}
	return ret;
}

static void t_tokens(void)
{
	struct ioasid_vfio_stage st = { .size = sizeof(st), .fd = -1, .key = 77 };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = 77 };
	struct ioasid_ctx_token t = { .size = sizeof(t) };
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR), ifd = open("/dev/iommu", O_RDWR);

	cur = "tokens";
	check(dev >= 0 && ifd >= 0, "open");
	/* a made-up token names nothing */
	check(getrandom(st.token, sizeof(st.token), 0) == sizeof(st.token), "random");
	check(!ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), "stage");
	check(fails(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADF), "forged token bound");
	/* the token of an iommufd that is closed names nothing either */
	check(!ioctl(ifd, IOASID_CTX_TOKEN, &t), "CTX_TOKEN");
	close(ifd);
	memcpy(st.token, t.token, sizeof(st.token));
	check(!ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), "stage");
	check(fails(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADF), "dead context bound");
	/* nothing staged: the number alone names nothing */
	b.iommufd = 3;
	check(fails(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADF) ||
		      fails(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBADFD),
	      "an unstaged number bound");
	/* only the two errors an fd can be staged with */
	st.err = -EPERM;
	check(fails(ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), EINVAL), "stage err EPERM");
	st.err = 0;
	st.size = 8;
	check(fails(ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), EINVAL), "short stage");
	/* a token asked of a device connection */
	check(fails(ioctl(dev, IOASID_CTX_TOKEN, &t), ENOTTY), "token of a device");
	/* the stage table is bounded, and the next call clears it */
	st.size = sizeof(st);
	for (int i = 0; i < IOASID_VFIO_STAGE_MAX; i++)
		check(!ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), "stage %d", i);
	check(fails(ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), ENOSPC), "stage beyond the limit");
	check(fails(ioctl(dev, VFIO_DEVICE_GET_INFO, &(struct vfio_device_info){ .argsz = 16 }),
		    EINVAL),
	      "GET_INFO before bind");
	check(!ioctl(dev, IOASID_VFIO_STAGE_CTX, &st), "stage after a call");
	close(dev);
	pass("tokens: forged, dead and unstaged contexts are EBADF; staging is bounded");
}

static void t_open_rules(void)
{
	struct ioasid_vfio_open o = { .size = sizeof(o), .kind = IOASID_VFIO_DEVICE };
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct ioasid_vfio_stage st = { .size = sizeof(st), .fd = 0, .key = 0 };
	int s = raw_conn(), s2 = raw_conn();

	cur = "open rules";
	o.kind = 3;
	check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), EINVAL), "kind 3");
	o.kind = IOASID_VFIO_DEVICE;
	o.num = 100000;
	check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), ENODEV), "num");
	o.num = 0;
	o.__reserved = 1;
	check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), EINVAL), "reserved");
	o.__reserved = 0;
	o.kind = IOASID_VFIO_GROUP;
	o.num = 99999;
	check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), ENODEV), "group");
	o.kind = IOASID_VFIO_DEVICE;
	o.num = 0;
	check(!raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), "open");
	check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), EINVAL), "twice");
	/* an iommufd stays one: no device on a connection with a context */
	check(!raw_call(s2, IOMMU_IOAS_ALLOC, &a, -1, IOASID_IN_FD_NONE), "IOAS_ALLOC");
	check(fails(raw_call(s2, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), EINVAL),
	      "a context's connection turned into a device");
	/* and a device connection serves no iommufd call (an unbound cdev: EINVAL, the kernel's) */
	check(fails(raw_call(s, IOMMU_IOAS_ALLOC, &a, -1, IOASID_IN_FD_NONE), EINVAL), "IOAS");
	/* fd confusion: STAGE_FD naming a number without sending the fd is refused */
	check(fails(raw_call(s, IOASID_VFIO_STAGE_FD, &st, -1, IOASID_IN_FD_NONE), EINVAL),
	      "STAGE_FD without its fd");
	st.fd = 1;
	st.key = 1;
	check(fails(raw_call(s, IOASID_VFIO_STAGE_FD, &st, -1, IOASID_IN_FD_NONE), EINVAL),
	      "STAGE_FD of fd 1 without its fd");
	/* unknown private calls */
	check(fails(raw_call(s, _IOWR(IOASID_PRIV_TYPE, 0x3f, struct ioasid_vfio_open), &o, -1,
			     IOASID_IN_FD_NONE),
		    ENOTTY),
	      "unknown call");
	check(fails(raw_call(s2, IOASID_VFIO_WHAT, &o, -1, IOASID_IN_FD_NONE), ENOTTY), "WHAT");
	close(s);
	close(s2);
	pass("open: bad kinds, numbers, reserved bits, a second open, an iommufd's connection; "
	     "STAGE_FD without an fd");
}

static void t_region(int dev)
{
	struct ioasid_vfio_rw rw = { .size = sizeof(rw) };
	static uint8_t big[8192];
	uint32_t v = 0;

	cur = "region";
	/* a huge length: bounded, answered with what the region has, no more */
	rw.off = CFG_OFF;
	rw.buf = (uint64_t)(uintptr_t)big;
	rw.len = UINT64_C(1) << 40;
	{
		long n = ioctl(dev, IOASID_VFIO_RW, &rw);

		check((n < 0 && errno == EINVAL) || (n >= 0 && n <= 4096), "huge read: %ld", n);
	}
	/* regions and offsets that do not exist */
	rw.len = 4;
	rw.off = (uint64_t)9 << 40;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "region 9");
	rw.off = UINT64_MAX;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "offset ~0");
	check(fails(pread(dev, &v, 4, (off_t)((UINT64_C(0) << 40) + (1 << 20))), EINVAL),
	      "past BAR 0");
	/* a bad buffer is EFAULT, the daemon is fine */
	rw.off = CFG_OFF;
	rw.buf = 16;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EFAULT), "bad buffer");
	rw.buf = (uint64_t)(uintptr_t)&v;
	rw.flags = 1u << 7;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "unknown flag");
	rw.flags = 0;
	rw.size = 8;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "short struct");
	/* window accesses: sizes, alignment, config space, beyond the BAR */
	rw.size = sizeof(rw);
	rw.flags = IOASID_VFIO_RW_INLINE;
	rw.off = 0;
	rw.len = 3;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "size 3");
	rw.len = 4;
	rw.off = 1;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "misaligned");
	rw.off = CFG_OFF;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "config through a window");
	rw.off = (uint64_t)1 << 30;
	check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "beyond BAR 0");
	check(pwrite(dev, &(uint16_t){ 0x6 }, 2, (off_t)CFG_OFF + 4) == 2, "memory decode on");
	rw.off = 8; /* CBVER */
	rw.len = 1;
	check(ioctl(dev, IOASID_VFIO_RW, &rw) == 1 && rw.val == 0x33, "CBVER %#llx",
	      (unsigned long long)rw.val);
	pass("regions: huge lengths bounded, bad regions, offsets, buffers, sizes refused");
}

static void t_mmap(int dev)
{
	struct ioasid_vfio_mmap m = { .size = sizeof(m), .len = 4096 };

	cur = "mmap";
	m.off = CFG_OFF;
	check(fails(ioctl(dev, IOASID_VFIO_MMAP, &m), EINVAL), "config space");
	m.off = 123;
	check(fails(ioctl(dev, IOASID_VFIO_MMAP, &m), EINVAL), "unaligned");
	m.off = 0;
	m.len = 1 << 30;
	check(fails(ioctl(dev, IOASID_VFIO_MMAP, &m), EINVAL), "past the BAR");
	m.len = 4096;
	check(!ioctl(dev, IOASID_VFIO_MMAP, &m), "BAR 0's mapping");
	/* read pages, unless the daemon (built as this test is) traps every load */
#if defined(__SANITIZE_THREAD__)
	check(true, "ThreadSanitizer: no read pages");
#else
	check(m.fd >= 0 || getenv("IOASID_MMIO_TRAP_READS"), "no read pages");
#endif
	if (m.fd < 0) {
		/* a daemon without read pages (ThreadSanitizer, IOASID_MMIO_TRAP_READS=1): the
		 * window traps every load, as t_fork's loads show */
		printf("# no read pages from this daemon: loads trap\n");
		pass("mmap: config, unaligned, past the BAR refused; no read pages to check");
		return;
	}
	/* read-only: the program can read them, never write them */
	check(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0) == MAP_FAILED &&
		      errno == EACCES,
	      "read pages mapped writable");
	check(fails(write(m.fd, "x", 1), EBADF), "read pages written");
	check(fails(ftruncate(m.fd, 0), EINVAL) || fails(ftruncate(m.fd, 0), EBADF),
	      "read pages truncated");
	{
		volatile uint8_t *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m.fd, 0);

		check(p != MAP_FAILED && p[8] == 0x33, "CBVER in the read pages");
		munmap((void *)p, 4096);
	}
	close(m.fd);
	pass("mmap: config, unaligned, past the BAR refused; the read pages are read-only");
}

/* another process: its own open of the bound device gets nothing of the first's */
static void t_other_client(void)
{
	pid_t pid;
	int status;

	cur = "another client";
	pid = fork();
	if (pid == 0) {
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
		struct ioasid_vfio_rw rw = { .size = sizeof(rw), .off = CFG_OFF, .len = 4 };
		uint32_t v;
		int ifd = open("/dev/iommu", O_RDWR), dev = open("/dev/vfio/devices/vfio0", O_RDWR);

		rw.buf = (uint64_t)(uintptr_t)&v;
		b.iommufd = ifd;
		check(ifd >= 0 && dev >= 0, "open");
		check(fails(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL), "bound twice");
		check(fails(ioctl(dev, IOASID_VFIO_RW, &rw), EINVAL), "read without access");
		check(fails(pread(dev, &v, 4, (off_t)CFG_OFF), EINVAL), "pread without access");
		check(fails(open("/dev/vfio/0", O_RDWR), EBUSY), "its group opened");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "the other client (status %#x)", status);
	pass("another client: the bound device's cdev neither binds, reads nor opens its group");
}

/* fork: the child uses the parent's device fd and BAR window, as the kernel's file */
static void t_fork(int dev)
{
	volatile uint8_t *bar = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	uint16_t cmd = 0x6;
	uint16_t ctl = 0;
	pid_t pid;
	int status;

	cur = "fork";
	check(bar != MAP_FAILED, "BAR 0 mapped");
	check(pwrite(dev, &cmd, 2, (off_t)CFG_OFF + 4) == 2, "memory decode on");
	check(bar[8] == 0x33, "CBVER through the window");
	pid = fork();
	if (pid == 0) {
		uint16_t v = 0;

		check(bar[8] == 0x33, "CBVER in the child");
		*(volatile uint16_t *)(bar + 0x80) = 0x0001; /* CHANCTRL: a store */
		check(pread(dev, &v, 2, 0x80) == 2 && v == 0x0001, "the child's store: %#x", v);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "the child (status %#x)", status);
	ctl = *(volatile uint16_t *)(bar + 0x80);
	check(ctl == 0x0001, "the child's store seen by the parent: %#x", ctl);
	/* the window keeps the device open after the fd is gone (as the kernel's mapping) */
	munmap((void *)bar, 16384);
	pass("fork: the child's loads and stores reach the parent's device");
}

/* a client that never reads: the daemon's other clients are served meanwhile */
static void t_slow_reader(int dev)
{
	struct ioasid_vfio_open o = { .size = sizeof(o), .kind = IOASID_VFIO_DEVICE, .num = 1 };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct ioasid_msg_ioctl msg;
	struct timespec t0, t1;
	int s = raw_conn(), sv[2];

	cur = "slow reader";
	check(!raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), "open vfio1");
	check(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
	memset(&msg, 0, sizeof(msg));
	ioasid_msg_init(&msg.hdr, IOASID_MSG_IOCTL, 1);
	msg.cmd = VFIO_DEVICE_GET_INFO;
	msg.arg = (uint64_t)(uintptr_t)&info;
	for (int i = 0; i < 3000; i++)
		if (ioasid_send(s, &msg, sizeof(msg), &sv[0], 1))
			break; /* the connection's queue is full: that is the point */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		check(!ioctl(dev, VFIO_DEVICE_GET_INFO, &info), "served meanwhile");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(t1.tv_sec - t0.tv_sec < 5, "100 calls took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	close(sv[0]);
	close(sv[1]);
	close(s);
	pass("a device connection whose answers nobody reads does not hold the others");
}

static void t_eventfds(int dev)
{
	char buf[sizeof(struct vfio_irq_set) + 4];
	struct vfio_irq_set *irq = (void *)buf;
	int p[2];

	cur = "eventfds";
	check(!pipe(p), "pipe");
	irq->argsz = sizeof(buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_MSIX_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &p[0], 4);
	check(fails(ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), EINVAL), "a pipe as an eventfd");
	memcpy(irq->data, &(int){ 900 }, 4);
	check(fails(ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), EBADF), "an fd not open");
	{
		int efd = eventfd(0, EFD_CLOEXEC);
		uint64_t n = 0;

		memcpy(irq->data, &efd, 4);
		check(!ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), "an eventfd");
		irq->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		irq->argsz = sizeof(*irq);
		check(!ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), "software trigger");
		check(read(efd, &n, 8) == 8 && n == 1, "the trigger reached the eventfd");
		close(efd);
	}
	close(p[0]);
	close(p[1]);
	pass("eventfds: a pipe is EINVAL, a closed number EBADF, an eventfd fires");
}

/* VFIO_DEVICE_IOEVENTFD through the daemon: the eventfd travels, the write happens there */
static void t_ioeventfd(int dev)
{
	struct vfio_device_ioeventfd a = { .argsz = sizeof(a), .flags = VFIO_DEVICE_IOEVENTFD_16 };
	int efd = eventfd(0, EFD_CLOEXEC), p[2];
	uint16_t v = 0;

	cur = "ioeventfd";
	check(efd >= 0 && !pipe(p), "eventfd");
	check(pwrite(dev, &v, 2, 0x80) == 2, "CHANCTRL 0");
	a.offset = 0x80;
	a.data = 1;
	a.fd = p[0];
	check(fails(ioctl(dev, VFIO_DEVICE_IOEVENTFD, &a), EINVAL), "a pipe");
	a.fd = efd;
	check(!ioctl(dev, VFIO_DEVICE_IOEVENTFD, &a), "IOEVENTFD");
	check(fails(ioctl(dev, VFIO_DEVICE_IOEVENTFD, &a), EEXIST), "twice");
	check(write(efd, &(uint64_t){ 1 }, 8) == 8, "signal");
	for (int i = 0; i < 500 && v != 1; i++) {
		usleep(2000);
		check(pread(dev, &v, 2, 0x80) == 2, "CHANCTRL");
	}
	check(v == 1, "CHANCTRL after the eventfd: %#x", v);
	a.fd = -1;
	check(!ioctl(dev, VFIO_DEVICE_IOEVENTFD, &a), "removed");
	check(fails(ioctl(dev, VFIO_DEVICE_IOEVENTFD, &a), ENODEV), "removed twice");
	close(efd);
	close(p[0]);
	close(p[1]);
	pass("ioeventfd: the eventfd reaches the daemon, its write is done there");
}

static void send_fd(int sock, int fd)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	check(sendmsg(sock, &m, 0) == 1, "sendmsg");
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
	};
	int fd = -1;

	check(recvmsg(sock, &m, 0) == 1 && CMSG_FIRSTHDR(&m), "recvmsg");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	return fd;
}

/* a device fd received by SCM_RIGHTS by a process that never saw it: the same device */
static void t_scm_rights(int dev)
{
	int sv[2], status;
	pid_t pid;

	cur = "SCM_RIGHTS";
	check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
	pid = fork();
	if (pid == 0) {
		struct vfio_device_info info = { .argsz = sizeof(info) };
		volatile uint8_t *bar;
		uint32_t id = 0;
		int got;

		close(dev); /* this process forgets the number it inherited */
		got = recv_fd(sv[1]);
		check(pread(got, &id, 4, (off_t)CFG_OFF) == 4 && id == 0x20218086,
		      "config read on the received fd: %#x", id);
		bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, got, 0);
		check(bar != MAP_FAILED && bar[8] == 0x33, "BAR 0 mapped from the received fd");
		check(!ioctl(got, VFIO_DEVICE_GET_INFO, &info), "GET_INFO");
		munmap((void *)bar, 4096);
		close(got);
		_exit(0);
	}
	send_fd(sv[0], dev);
	waitpid(pid, &status, 0);
	close(sv[0]);
	close(sv[1]);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "the receiver (status %#x)", status);
	pass("SCM_RIGHTS: a received device fd reads, maps and calls the same device");
}

/* a type1 container with groups 0 and 1 in it: their fds, and vfio0's fd from group 0 */
static int legacy(int *out_c, int *out_g0, int *out_g1)
{
	int c = open("/dev/vfio/vfio", O_RDWR), g0 = open("/dev/vfio/0", O_RDWR);
	int g1 = open("/dev/vfio/1", O_RDWR), dev;

	check(c >= 0 && g0 >= 0 && g1 >= 0, "open the container and groups");
	check(!ioctl(g0, VFIO_GROUP_SET_CONTAINER, &c) && !ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c),
	      "SET_CONTAINER");
	check(!ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "SET_IOMMU");
	dev = (int)ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0");
	check(dev >= 0, "GET_DEVICE_FD");
	check(pwrite(dev, &(uint16_t){ 0x6 }, 2, (off_t)CFG_OFF + 4) == 2, "memory decode on");
	*out_c = c;
	*out_g0 = g0;
	*out_g1 = g1;
	return dev;
}

struct reset2 {
	struct vfio_pci_hot_reset h;
	int32_t fd[2];
};

/* hot reset of dev by the group fds a and b after staging what st says (raw, on the wire) */
static long raw_reset(int dev, struct ioasid_vfio_stage *st, int a, int b)
{
	struct reset2 r = { .h = { .argsz = sizeof(r), .count = 2 }, .fd = { a, b } };

	if (st && raw_call(dev, IOASID_VFIO_STAGE_FILE, st, -1, IOASID_IN_FD_NONE))
		return -1;
	return raw_call(dev, VFIO_DEVICE_PCI_HOT_RESET, &r, -1, IOASID_IN_FD_NONE);
}

static uint16_t chanctrl(int dev)
{
	uint16_t v = 0xffff;

	check(pread(dev, &v, 2, 0x80) == 2, "CHANCTRL");
	return v;
}

/* Is the page at p still private anonymous memory (no file behind it in /proc/self/maps)? */
static bool private_anon(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false, anon = false;

	check(f, "maps");
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		int n = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu %n", &lo, &hi, &ino, &n) < 3)
			continue;
		if ((uintptr_t)p < lo || (uintptr_t)p >= hi)
			continue;
		found = true;
		anon = !ino && (line[n] == '\n' || line[n] == 0);
	}
	fclose(f);
	return anon;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET has the number of VFIO_IOMMU_MAP_DMA, before which the shim hands
 * the program's memory at vaddr over to the daemon (making private memory shared): a hot
 * reset whose words read as a vaddr and size of private memory must leave it alone.
 */
static void t_hot_reset_not_map_dma(int dev)
{
	uint8_t *priv =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct {
		struct vfio_pci_hot_reset h;
		uint32_t w[5]; /* MAP_DMA's vaddr high half, iova, size */
	} r = { .h = { .argsz = sizeof(r) } };

	cur = "hot reset is no MAP_DMA";
	check(priv != MAP_FAILED, "mmap");
	priv[0] = 1;
	r.h.count = (uint32_t)(uintptr_t)priv; /* more fds than functions: EINVAL */
	r.w[0] = (uint32_t)((uintptr_t)priv >> 32);
	r.w[3] = 4096;
	check(private_anon(priv), "private memory to start with");
	check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL), "the hot reset");
	check(private_anon(priv) && priv[0] == 1, "the program's memory converted by a hot reset");
	munmap(priv, 4096);
	pass("a hot reset (MAP_DMA's number) hands none of the program's memory over");
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET by group fds through the daemon, as an attacker tries it: only
 * files named by tokens their holders asked for, no other process's numbers, nothing reset
 * by a refused call. And the claims behind VFIO_GROUP_GET_DEVICE_FD, forged or reused.
 */
static void t_hot_reset_groups(void)
{
	struct ioasid_vfio_stage st = { .size = sizeof(st), .fd = -1 };
	struct ioasid_vfio_token t = { .size = sizeof(t) }, t1 = { .size = sizeof(t1) };
	int c, g0, g1, dev = legacy(&c, &g0, &g1), p[2], sv[2], status, num;
	pid_t pid;

	cur = "hot reset by group fds";
	check(!pipe(p), "pipe");
	/* through the shim: the kernel's answers */
	check(pwrite(dev, &(uint16_t){ 1 }, 2, 0x80) == 2, "CHANCTRL 1");
	{
		struct reset2 r = { .h = { .argsz = sizeof(r), .count = 2 }, .fd = { g0, g1 } };

		check(!ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), "groups 0 and 1");
		check(chanctrl(dev) == 0, "reset by it");
		check(pwrite(dev, &(uint16_t){ 1 }, 2, 0x80) == 2, "CHANCTRL 1");
		r.fd[1] = p[0];
		check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL), "a pipe");
		r.fd[1] = 900;
		check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EBADF), "a closed number");
		r.fd[1] = dev;
		check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL), "a device fd");
		check(chanctrl(dev) == 1, "nothing reset by the refused calls");
	}
	/* on the wire: a token nobody gave names nothing */
	check(!ioctl(g1, IOASID_VFIO_TOKEN, &t1), "group 1's token");
	st.key = g1;
	check(getrandom(st.token, sizeof(st.token), 0) == sizeof(st.token), "random");
	check(fails(raw_reset(dev, &st, g0, g1), EBADF) && chanctrl(dev) == 1, "forged token");
	/* only the errors an fd can be staged with */
	st.err = -EPERM;
	check(fails(raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), EINVAL),
	      "err EPERM staged");
	st.err = -EBADFD;
	check(fails(raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), EINVAL),
	      "err EBADFD staged");
	st.err = 0;
	st.size = 8;
	check(fails(raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), EINVAL),
	      "short stage");
	st.size = sizeof(st);
	/* group 0 staged only: the number g1 names nothing staged, so nothing */
	check(!ioctl(g0, IOASID_VFIO_TOKEN, &t), "group 0's token");
	st.key = g0;
	memcpy(st.token, t.token, sizeof(st.token));
	check(fails(raw_reset(dev, &st, g0, g1), EBADF) && chanctrl(dev) == 1, "g1 unstaged");
	/* g1's key staged with group 0's token: group 1 not covered */
	st.key = g1;
	check(!raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
	st.key = g0;
	check(fails(raw_reset(dev, &st, g0, g1), EINVAL) && chanctrl(dev) == 1, "group 0 twice");
	/* the token of the device's own connection is no group */
	check(!ioctl(dev, IOASID_VFIO_TOKEN, &t), "the device's token");
	memcpy(st.token, t.token, sizeof(st.token));
	st.key = g1;
	check(!raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
	memcpy(st.token, t1.token, sizeof(st.token));
	st.key = g0;
	check(fails(raw_reset(dev, &st, g0, g1), EINVAL) && chanctrl(dev) == 1, "a device token");
	/* a token asked of a connection with no file, or of an iommufd */
	{
		int s = raw_conn();

		check(fails(raw_call(s, IOASID_VFIO_TOKEN, &t, -1, IOASID_IN_FD_NONE), ENOTTY),
		      "TOKEN of a fresh connection");
		close(s);
	}
	/* another process's group fd: its number names nothing here (or something else) */
	check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
	close(g1);
	pid = fork();
	if (pid == 0) {
		int mine = open("/dev/vfio/1", O_RDWR);

		check(mine >= 0, "the child's group 1");
		check(write(sv[1], &mine, sizeof(mine)) == sizeof(mine), "tell");
		check(read(sv[1], &mine, 1) == 1, "wait");
		_exit(0);
	}
	close(sv[1]); /* a child that fails: EOF here, not a wait for ever */
	check(read(sv[0], &num, sizeof(num)) == sizeof(num), "the child's number");
	check(fails(open("/dev/vfio/1", O_RDWR), EBUSY), "group 1 is the child's");
	{
		struct reset2 r = { .h = { .argsz = sizeof(r), .count = 2 }, .fd = { g0, num } };
		int spare = -1;

		if (fcntl(num, F_GETFD) < 0) {
			check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EBADF),
			      "the child's number %d, not open here", num);
			spare = dup2(p[1], num);
			check(spare == num, "dup2");
		}
		check(fails(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL),
		      "the child's number %d, a pipe here", num);
		/* its token, if it leaked, would name its file: the child's own business; but
		 * group 1's old token (this process's closed file) names nothing */
		st.key = num;
		memcpy(st.token, t1.token, sizeof(st.token));
		check(!raw_call(dev, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
		memcpy(st.token, t.token, sizeof(st.token));
		check(!ioctl(g0, IOASID_VFIO_TOKEN, &t), "group 0's token");
		memcpy(st.token, t.token, sizeof(st.token));
		st.key = g0;
		check(fails(raw_reset(dev, &st, g0, num), EBADF), "a closed group's token");
		if (spare >= 0)
			close(spare);
	}
	check(chanctrl(dev) == 1, "nothing reset");
	check(write(sv[0], "x", 1) == 1, "release");
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "the child (status %#x)", status);
	close(sv[0]);
	pass("hot reset by group fds: the kernel's answers; forged, closed, unstaged and other "
	     "processes' groups refused, nothing reset");

	/*
	 * A group a child held is free once the child has been waited for, as the kernel's
	 * (which closes the child's files before its parent's wait returns); the daemon ends
	 * the child's connection on its own thread, and the open waits for that.
	 */
	cur = "group after a child";
	for (int round = 0; round < 100; round++) {
		pid = fork();
		if (pid == 0)
			_exit(open("/dev/vfio/1", O_RDWR) >= 0 ? 0 : 1);
		waitpid(pid, &status, 0);
		check(WIFEXITED(status) && !WEXITSTATUS(status), "the child's open (round %d)",
		      round);
		g1 = open("/dev/vfio/1", O_RDWR);
		check(g1 >= 0, "open after the child's exit (round %d)", round);
		close(g1);
	}
	pass("a group a child held is free once it has been waited for (100 rounds)");

	/* the claim GET_DEVICE_FD gives its device to: forged, reused, on a used connection */
	cur = "device claims";
	g1 = open("/dev/vfio/1", O_RDWR);
	check(g1 >= 0 && !ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c), "group 1 again");
	{
		int s = raw_conn(), s2 = raw_conn(), ifd = open("/dev/iommu", O_RDWR);
		struct ioasid_vfio_open o = { .size = sizeof(o), .kind = IOASID_VFIO_DEVICE };
		struct vfio_device_info info = { .argsz = sizeof(info) };
		long fd;

		check(ifd >= 0, "open /dev/iommu");
		t.__reserved = 1;
		check(fails(raw_call(s, IOASID_VFIO_CLAIM, &t, -1, IOASID_IN_FD_NONE), EINVAL),
		      "reserved bits");
		t.__reserved = 0;
		check(!raw_call(s, IOASID_VFIO_CLAIM, &t, -1, IOASID_IN_FD_NONE), "CLAIM");
		check(fails(raw_call(s, IOASID_VFIO_CLAIM, &t1, -1, IOASID_IN_FD_NONE), EINVAL),
		      "CLAIM twice");
		check(fails(raw_call(s, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), EINVAL),
		      "OPEN after CLAIM");
		check(fails(raw_call(s, VFIO_DEVICE_GET_INFO, &info, -1, IOASID_IN_FD_NONE),
			    EINVAL),
		      "a claimed connection before its device");
		o.num = 2;
		check(!raw_call(s2, IOASID_VFIO_OPEN, &o, -1, IOASID_IN_FD_NONE), "open vfio2");
		check(fails(raw_call(s2, IOASID_VFIO_CLAIM, &t1, -1, IOASID_IN_FD_NONE), EINVAL),
		      "CLAIM on an open file");
		check(!ioctl(ifd, IOMMU_IOAS_ALLOC, &(struct iommu_ioas_alloc){ .size = 12 }),
		      "IOAS_ALLOC");
		check(fails(ioctl(ifd, IOASID_VFIO_CLAIM, &t1), EINVAL), "CLAIM on an iommufd");
		/* a forged claim: no device fd, and the device is not left open */
		st = (struct ioasid_vfio_stage){ .size = sizeof(st), .fd = -1, .key = 5 };
		check(getrandom(st.token, sizeof(st.token), 0) == sizeof(st.token), "random");
		check(!raw_call(g1, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
		check(fails(raw_call(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1", -1,
				     IOASID_IN_FD_NONE),
			    EBADF),
		      "a forged claim");
		/* a file's token (group 0's) is no claim either */
		check(!ioctl(g0, IOASID_VFIO_TOKEN, &t1), "group 0's token");
		memcpy(st.token, t1.token, sizeof(st.token));
		check(!raw_call(g1, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
		check(fails(raw_call(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1", -1,
				     IOASID_IN_FD_NONE),
			    EBADF),
		      "a group's token as a claim");
		/* the real claim: the call returns the key staged, the connection is the device */
		st.key = 77;
		memcpy(st.token, t.token, sizeof(st.token));
		check(!raw_call(g1, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
		fd = raw_call(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1", -1, IOASID_IN_FD_NONE);
		check(fd == 77, "the claimed connection's number: %ld", fd);
		check(!raw_call(s, VFIO_DEVICE_GET_INFO, &info, -1, IOASID_IN_FD_NONE),
		      "GET_INFO on the claimed connection");
		/* used once: a second device for the same claim is refused */
		check(!raw_call(g1, IOASID_VFIO_STAGE_FILE, &st, -1, IOASID_IN_FD_NONE), "stage");
		check(fails(raw_call(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1", -1,
				     IOASID_IN_FD_NONE),
			    EBADF),
		      "a claim used twice");
		close(s);
		close(s2);
		close(ifd);
	}
	/* the device fd of the refused claims left nothing open: the shim's works */
	{
		int d1 = (int)ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.1");

		check(d1 >= 0 && d1 != 77, "GET_DEVICE_FD through the shim: %d", d1);
		check(!ioctl(d1, VFIO_DEVICE_RESET), "RESET");
		close(d1);
	}
	close(p[0]);
	close(p[1]);
	close(dev);
	close(g1);
	close(g0);
	close(c);
	pass("device claims: forged, a group's, reused and misplaced claims refused");
}

/* the checks a process that only received the files makes (receiver(), below) */
static int received(int dev, int g0, int g1, int c)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct reset2 r = { .h = { .argsz = sizeof(r), .count = 2 }, .fd = { g0, g1 } };
	char buf[sizeof(struct vfio_irq_set) + 4];
	struct vfio_irq_set *irq = (void *)buf;
	volatile uint8_t *bar;
	uint32_t id = 0;
	uint64_t n = 0;
	int efd = eventfd(0, EFD_CLOEXEC);

	/* pread first: the fd is recognised when the socket's pread fails */
	check(pread(dev, &id, 4, (off_t)CFG_OFF) == 4 && id == 0x20218086, "config: %#x", id);
	check(!ioctl(dev, VFIO_DEVICE_GET_INFO, &info) && info.num_regions == 9, "GET_INFO");
	check(pwrite(dev, &(uint16_t){ 1 }, 2, 0x80) == 2 && chanctrl(dev) == 1, "pwrite");
	bar = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	check(bar != MAP_FAILED && bar[8] == 0x33, "BAR 0 mapped");
	*(volatile uint16_t *)(bar + 0x80) = 0x0000; /* a store through the window */
	check(chanctrl(dev) == 0, "the window's store");
	munmap((void *)bar, 16384);
	*irq = (struct vfio_irq_set){ .argsz = sizeof(buf),
				      .flags = VFIO_IRQ_SET_DATA_EVENTFD |
					       VFIO_IRQ_SET_ACTION_TRIGGER,
				      .index = VFIO_PCI_MSIX_IRQ_INDEX,
				      .count = 1 };
	memcpy(irq->data, &efd, 4);
	check(!ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), "SET_IRQS");
	irq->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->argsz = sizeof(*irq);
	check(!ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), "trigger");
	check(read(efd, &n, 8) == 8 && n == 1, "the eventfd fired");
	irq->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->count = 0; /* MSI-X off again */
	check(!ioctl(dev, VFIO_DEVICE_SET_IRQS, irq), "MSI-X off");
	close(efd);
	if (g0 >= 0) {
		check(!ioctl(g0, VFIO_GROUP_GET_STATUS, &gs) &&
			      gs.flags ==
				      (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET),
		      "the received group's status %#x", gs.flags);
		check(pwrite(dev, &(uint16_t){ 1 }, 2, 0x80) == 2, "CHANCTRL 1");
		check(!ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r) && chanctrl(dev) == 0,
		      "hot reset by the received group fds");
	}
	if (c >= 0) {
		check(ioctl(c, VFIO_GET_API_VERSION) == VFIO_API_VERSION, "the container's API");
		check(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1, "type1v2");
	}
	return 0;
}

/* test_remote receive SOCK | test_remote inherit DEV: a process that never saw the files */
static int receiver(char **argv)
{
	cur = argv[1];
	if (!strcmp(argv[1], "inherit"))
		return received(atoi(argv[2]), -1, -1, -1);
	{
		int s = atoi(argv[2]), dev = recv_fd(s), g0 = recv_fd(s), g1 = recv_fd(s);
		int c = recv_fd(s);

		return received(dev, g0, g1, c);
	}
}

static void run_self(char **argv, const char *mode, int arg)
{
	char num[16];
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(num, sizeof(num), "%d", arg);
		execl("/proc/self/exe", argv[0], mode, num, (char *)NULL);
		_exit(127);
	}
	check(pid > 0, "fork");
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "%s (status %#x)", mode, status);
}

/*
 * A device fd of a group (and the group and container fds) in another process: a forked
 * child, an unrelated program that receives them by SCM_RIGHTS, a program that inherits the
 * device fd across exec. Each works exactly as in the process that made them.
 */
static void t_group_files_shared(char **argv)
{
	int c, g0, g1, dev = legacy(&c, &g0, &g1), sv[2], status;
	pid_t pid;

	cur = "group files shared";
	pid = fork();
	if (pid == 0)
		_exit(received(dev, g0, g1, c));
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && !WEXITSTATUS(status), "fork (status %#x)", status);
	/* an unrelated program: exec'd with nothing but a socket, then sent the files */
	check(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	send_fd(sv[0], dev);
	send_fd(sv[0], g0);
	send_fd(sv[0], g1);
	send_fd(sv[0], c);
	run_self(argv, "receive", sv[1]);
	close(sv[0]);
	close(sv[1]);
	/* inherited across exec (the device fd is close-on-exec, as the kernel's: cleared) */
	check(fcntl(dev, F_GETFD) == FD_CLOEXEC, "GET_DEVICE_FD's fd is close-on-exec");
	check(!fcntl(dev, F_SETFD, 0), "F_SETFD");
	run_self(argv, "inherit", dev);
	check(chanctrl(dev) == 0 && !ioctl(dev, VFIO_DEVICE_RESET), "the sender's device after");
	close(dev);
	close(g1);
	close(g0);
	close(c);
	pass("a group's device fd, the groups and the container work in a forked child, in a "
	     "program that received them by SCM_RIGHTS and across exec");
}

/* a window holds the device open after its fd is closed; its munmap lets it go */
static void t_window_holds(int dev, int ifd)
{
	volatile uint8_t *bar = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = ifd };
	int again;

	cur = "window holds";
	check(bar != MAP_FAILED, "BAR 0 mapped");
	close(dev);
	check(bar[8] == 0x33, "CBVER after the fd's close");
	*(volatile uint16_t *)(bar + 0x80) = 0x0000;
	again = open("/dev/vfio/devices/vfio0", O_RDWR);
	check(again >= 0, "open");
	check(fails(ioctl(again, VFIO_DEVICE_BIND_IOMMUFD, &b), EINVAL), "bound while mapped");
	munmap((void *)bar, 16384);
	check(!ioctl(again, VFIO_DEVICE_BIND_IOMMUFD, &b), "bound after munmap");
	close(again);
	pass("a window keeps the device open after its fd's close, as the kernel's mapping");
}

/* the iommufd closed while a device is bound: close returns, the device works on */
static void t_close_first(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct timespec t0, t1;
	int ifd, dev = bound_device(&ifd);

	cur = "iommufd closed first";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check(!close(ifd), "close");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check(t1.tv_sec - t0.tv_sec < 2, "close took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	check(!ioctl(dev, VFIO_DEVICE_GET_INFO, &info), "the device after its iommufd's close");
	check(!ioctl(dev, VFIO_DEVICE_RESET), "reset");
	check(!close(dev), "close the device");
	pass("the iommufd closed before the device: its close returns, the device serves on");
}

int main(int argc, char **argv)
{
	int ifd, dev;

	if (argc == 3)
		return receiver(argv);
	printf("1..16\n");
	t_tokens();
	t_open_rules();
	dev = bound_device(&ifd);
	t_region(dev);
	t_mmap(dev);
	t_other_client();
	t_eventfds(dev);
	t_fork(dev);
	t_slow_reader(dev);
	t_ioeventfd(dev);
	t_scm_rights(dev);
	t_hot_reset_not_map_dma(dev);
	t_window_holds(dev, ifd);
	close(ifd);
	t_close_first();
	t_hot_reset_groups();
	t_group_files_shared(argv);
	return 0;
}
