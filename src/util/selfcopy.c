/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * selfcopy.c - see selfcopy.h. process_vm_readv/writev on our own pid: the kernel checks
 * the remote side page by page and stops at the first it cannot reach, so a partial copy
 * continues from where it stopped and a copy that makes no progress is EFAULT.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/selfcopy.h"

int self_copy(uint64_t uptr, void *local, size_t len, bool to_user)
{
	while (len) {
		struct iovec l = { .iov_base = local, .iov_len = len };
		struct iovec r = { .iov_base = (void *)(uintptr_t)uptr, .iov_len = len };
		ssize_t n;

		if (uptr + len < uptr)
			return -EFAULT;
		n = to_user ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) :
			      process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -EFAULT;
		}
		uptr += (uint64_t)n;
		local = (uint8_t *)local + n;
		len -= (size_t)n;
	}
	return 0;
}
