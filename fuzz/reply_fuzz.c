/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reply_fuzz.c - a fuzz target over the client's handling of what the daemon says: the
 * shim's side of a call (ioasid_client_await in src/proto/client.c).
 *
 * Even a daemon the client verified may be buggy; its answers must never crash the program,
 * leak fds into it, or make it wait without bound. Input: byte 0 picks the answer the client
 * waits for (REPLY, HELLO_REPLY, STATS_REPLY, CLOSE_REPLY, CALL_REPLY, ATTACHED), or with
 * bit 7 a whole call on a call channel (ioasid_chan_ioctl: the answer's inline bytes must
 * land inside the struct offered, never past it), then records of
 *   [type selector][flags][n][n body bytes]
 * each sent as one message from the "daemon" end of a reply channel: a header that is valid
 * unless a flag breaks it (magic, raw type, size), the body, and with other flags one or two
 * fds (a memfd). The client then waits (timeout 0: whatever is queued is all there is).
 * Afterwards every fd the client says it installed (FD_INSTALLED) is closed, and the
 * process must hold exactly the fds it held before: an fd kept, or one closed twice, aborts.
 *
 * Build: see fuzz_main.h (plain program, or libFuzzer with -DFUZZ_LIBFUZZER).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto/proto.h"
#include "fuzz_main.h"

/* the first NWAIT are answers a client waits for */
#define NWAIT 6
static const uint16_t types[] = {
	IOASID_MSG_REPLY,	IOASID_MSG_HELLO_REPLY, IOASID_MSG_STATS_REPLY,
	IOASID_MSG_CLOSE_REPLY, IOASID_MSG_CALL_REPLY,	IOASID_MSG_ATTACHED,
	IOASID_MSG_FD_INSTALL,	IOASID_MSG_FD_INSTALL,	IOASID_MSG_FD_INSTALLED,
	IOASID_MSG_REFUSED,	IOASID_MSG_IOCTL,	IOASID_MSG_CALL_REPLY,
};

/*
 * A call on a call channel (ioasid_chan_ioctl) meets the queued answers: whatever they
 * say, nothing is written outside the struct it offered (the canary after it), and only
 * where that struct may be written.
 */
static void chan_call(int ch, const uint8_t *data, size_t size)
{
	_Alignas(8) uint8_t arg[IOASID_PROTO_MAX_INLINE + 64];
	struct timeval tv = { 0, 1000 };
	unsigned int nth = size > 2 ? data[2] : 0;
	uint32_t len = size > 1 ? data[1] : 0;
	long ret;
	int err;

	memset(arg, 0xa5, sizeof(arg));
	memcpy(arg, &len, sizeof(len));
	setsockopt(ch, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ioasid_chan_ioctl(ch, 0x3b80 + (size > 3 ? data[3] : 0), (uintptr_t)arg, -1,
			  IOASID_IN_FD_NONE, &nth, &ret, &err);
	for (size_t i = len < 4 ? 4 : len; i < sizeof(arg); i++)
		if (arg[i] != 0xa5)
			abort(); /* written beyond the struct's size */
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Receive a message already queued on fd: 1 and *r, or 0 when there is none (or EOF). */
static int recv_now(int fd, void *buf, struct ioasid_recv *r)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
		return 0;
	if (ioasid_recv(fd, buf, r))
		return 1; /* refused, its fds closed: look for more */
	return r->len ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_Alignas(8) char buf[IOASID_PROTO_MAX_MSG];
	unsigned int want;
	size_t pos = 1;
	int sv[2], before;

	if (size < 1)
		return 0;
	want = types[data[0] % NWAIT];
	before = count_fds();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	while (pos + 3 <= size) {
		_Alignas(8) char msg[IOASID_PROTO_MAX_MSG + 16];
		uint8_t sel = data[pos], flags = data[pos + 1], n = data[pos + 2];
		struct ioasid_msg_hdr hdr;
		unsigned int type =
			flags & 2 ? sel : types[sel % (sizeof(types) / sizeof(types[0]))];
		size_t len = ioasid_msg_size(type);
		int fds[2] = { -1, -1 };
		unsigned int nfds = (flags >> 3) & 3;

		pos += 3;
		if (n > size - pos)
			n = (uint8_t)(size - pos);
		if (flags & 4 || !len)
			len = n + sizeof(hdr) < sizeof(msg) ? n + sizeof(hdr) : sizeof(msg);
		memset(msg, 0, sizeof(msg));
		hdr.magic = flags & 1 ? 0x12345678u : IOASID_PROTO_MAGIC;
		hdr.version = IOASID_PROTO_VERSION;
		hdr.type = type;
		hdr.size = (uint32_t)len;
		hdr.seq = sel;
		memcpy(msg + sizeof(hdr), data + pos,
		       n < len - sizeof(hdr) ? n : len - sizeof(hdr));
		memcpy(msg, &hdr, sizeof(hdr));
		pos += n;
		if (nfds > 2)
			nfds = 2;
		for (unsigned int i = 0; i < nfds; i++)
			fds[i] = memfd_create("reply-fuzz", MFD_CLOEXEC);
		if (ioasid_send_nb(sv[0], msg, flags & 0x80 ? 0 : len, fds, nfds))
			pos = size; /* the queue is full: enough */
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
	}
	if (data[0] & 0x80)
		chan_call(sv[1], data, size);
	else
		ioasid_client_await(sv[1], buf, want, 0);
	/* close what the client installed (it told us the numbers), then what is left */
	for (;;) {
		struct ioasid_msg_fd_installed ans;
		struct ioasid_recv r = { .pidfd = -1 };

		if (!recv_now(sv[0], buf, &r))
			break;
		if (!ioasid_msg_check(buf, r.len, IOASID_MSG_FD_INSTALLED)) {
			memcpy(&ans, buf, sizeof(ans));
			if (ans.fd > 2 && ans.fd != sv[0] && ans.fd != sv[1])
				close(ans.fd);
		}
		ioasid_recv_close_fds(&r);
	}
	for (;;) {
		struct ioasid_recv r = { .pidfd = -1 };

		if (!recv_now(sv[1], buf, &r))
			break;
		ioasid_recv_close_fds(&r);
	}
	close(sv[0]);
	close(sv[1]);
	if (count_fds() != before) {
		fprintf(stderr, "reply_fuzz: %d fds before, %d after\n", before, count_fds());
		abort();
	}
	return 0;
}
