/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.c - framing, fd passing and socket paths, shared by the daemon and the shim.
 *
 * Everything here runs inside the shim too, that is inside an arbitrary program: no global
 * state, no stdio, no allocation, errors returned as -errno. The receive path is the
 * daemon's first line of defence: a message with more fds than a request may carry, with a
 * truncated body or truncated control data, or with a header that does not match its size
 * is refused and every fd it carried is closed, so a hostile client can neither make the
 * daemon act on garbage nor leak fds into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_test.h>
#include <linux/vfio.h>

#include "proto/proto.h"
#include "proto/vfio_proto.h"

size_t ioasid_msg_size(unsigned int type)
{
	switch (type) {
	case IOASID_MSG_HELLO:
		return sizeof(struct ioasid_msg_hello);
	case IOASID_MSG_IOCTL:
		return sizeof(struct ioasid_msg_ioctl);
	case IOASID_MSG_IOCTL_NTH:
		return sizeof(struct ioasid_msg_ioctl_nth);
	case IOASID_MSG_STATS:
	case IOASID_MSG_CLOSE:
	case IOASID_MSG_CLOSED:
		return sizeof(struct ioasid_msg_hdr);
	case IOASID_MSG_CLOSE_REPLY:
		return sizeof(struct ioasid_msg_close_reply);
	case IOASID_MSG_REFUSED:
		return sizeof(struct ioasid_msg_refused);
	case IOASID_MSG_REPLY:
		return sizeof(struct ioasid_msg_reply);
	case IOASID_MSG_HELLO_REPLY:
		return sizeof(struct ioasid_msg_hello_reply);
	case IOASID_MSG_STATS_REPLY:
		return sizeof(struct ioasid_msg_stats_reply);
	case IOASID_MSG_FD_INSTALL:
		return sizeof(struct ioasid_msg_fd_install);
	case IOASID_MSG_FD_INSTALLED:
		return sizeof(struct ioasid_msg_fd_installed);
	case IOASID_MSG_ATTACH:
		return sizeof(struct ioasid_msg_hdr);
	case IOASID_MSG_ATTACHED:
		return sizeof(struct ioasid_msg_attached);
	case IOASID_MSG_CALL:
		return sizeof(struct ioasid_msg_call);
	case IOASID_MSG_CALL_REPLY:
		return sizeof(struct ioasid_msg_call_reply);
	case IOASID_MSG_MEM:
		return sizeof(struct ioasid_msg_mem);
	default:
		return 0;
	}
}

void ioasid_msg_init(struct ioasid_msg_hdr *hdr, unsigned int type, uint32_t seq)
{
	size_t size = ioasid_msg_size(type);

	memset(hdr, 0, size);
	hdr->magic = IOASID_PROTO_MAGIC;
	hdr->version = IOASID_PROTO_VERSION;
	hdr->type = type;
	hdr->size = size;
	hdr->seq = seq;
}

/* The length of a variable message's data, as it says; 0 for a fixed-size type. */
static size_t msg_data_len(const void *buf, size_t len, unsigned int type)
{
	uint16_t n = 0;

	if (type == IOASID_MSG_CALL && len >= sizeof(struct ioasid_msg_call))
		memcpy(&n, (const char *)buf + offsetof(struct ioasid_msg_call, in_len), sizeof(n));
	else if (type == IOASID_MSG_CALL_REPLY && len >= sizeof(struct ioasid_msg_call_reply))
		memcpy(&n, (const char *)buf + offsetof(struct ioasid_msg_call_reply, out_len),
		       sizeof(n));
	return n;
}

int ioasid_msg_check(const void *buf, size_t len, unsigned int want_type)
{
	struct ioasid_msg_hdr hdr;
	size_t data;

	if (len < sizeof(hdr))
		return -EPROTO;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != IOASID_PROTO_MAGIC || hdr.version != IOASID_PROTO_VERSION)
		return -EPROTO;
	if (want_type && hdr.type != want_type)
		return -EPROTO;
	if (!ioasid_msg_size(hdr.type) || hdr.size != len || len < ioasid_msg_size(hdr.type))
		return -EPROTO;
	data = msg_data_len(buf, len, hdr.type);
	if (data > IOASID_PROTO_MAX_INLINE || len != ioasid_msg_size(hdr.type) + data)
		return -EPROTO;
	if (hdr.type == IOASID_MSG_CALL) {
		struct ioasid_msg_call c;

		memcpy(&c, buf, sizeof(c));
		if (c.wr_len > c.in_len)
			return -EPROTO;
	} else if (hdr.type == IOASID_MSG_CALL_REPLY) {
		struct ioasid_msg_call_reply c;

		memcpy(&c, buf, sizeof(c));
		if ((size_t)c.out_off + c.out_len > IOASID_PROTO_MAX_INLINE)
			return -EPROTO;
	}
	return 0;
}

int ioasid_proto_in_fd(unsigned long cmd, uint32_t op)
{
	if (cmd == IOMMU_IOAS_MAP_FILE)
		return offsetof(struct iommu_ioas_map_file, fd);
	if (cmd == IOASID_VFIO_STAGE_FD) /* an eventfd for a VFIO device (vfio_proto.h) */
		return offsetof(struct ioasid_vfio_stage, fd);
	if (cmd != IOMMU_TEST_CMD)
		return -1;
	/* the selftest's access ops name the access by the fd CREATE_ACCESS returned */
	switch (op) {
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
	case IOMMU_TEST_OP_ACCESS_RW:
		return offsetof(struct iommu_test_cmd, id);
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return offsetof(struct iommu_test_cmd, dmabuf_revoke.dmabuf_fd);
	default:
		return -1;
	}
}

bool ioasid_proto_mem_range(unsigned long cmd, uint32_t op, unsigned int *out_va_off,
			    unsigned int *out_len_off)
{
	if (cmd == IOMMU_IOAS_MAP) {
		*out_va_off = offsetof(struct iommu_ioas_map, user_va);
		*out_len_off = offsetof(struct iommu_ioas_map, length);
		return true;
	}
	if (cmd == VFIO_IOMMU_MAP_DMA) {
		*out_va_off = offsetof(struct vfio_iommu_type1_dma_map, vaddr);
		*out_len_off = offsetof(struct vfio_iommu_type1_dma_map, size);
		return true;
	}
	if (cmd != IOMMU_TEST_CMD)
		return false;
	switch (op) {
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		*out_va_off = offsetof(struct iommu_test_cmd, check_map.uptr);
		*out_len_off = offsetof(struct iommu_test_cmd, check_map.length);
		return true;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		*out_va_off = offsetof(struct iommu_test_cmd, access_pages.uptr);
		*out_len_off = offsetof(struct iommu_test_cmd, access_pages.length);
		return true;
	default:
		return false;
	}
}

static int send_common(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds,
		       int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * IOASID_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > IOASID_PROTO_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

int ioasid_send(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds)
{
	return send_common(sock, msg, len, fds, nfds, 0);
}

int ioasid_send_nb(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds)
{
	return send_common(sock, msg, len, fds, nfds, MSG_DONTWAIT);
}

void ioasid_recv_close_fds(struct ioasid_recv *r)
{
	for (unsigned int i = 0; i < r->nfds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	r->nfds = 0;
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
}

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/*
 * Take the fds and credentials out of the control data; close fds beyond what we accept.
 * *out_any: there was control data at all (a message, not EOF).
 */
static int recv_control(struct msghdr *mh, struct ioasid_recv *out, bool *out_any)
{
	int rc = 0;

	*out_any = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		*out_any = true;
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int fd;

			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			if (out->pidfd >= 0)
				close(out->pidfd);
			out->pidfd = fd >= 0 ? fd : -1;
			out->pidfd_failed = fd < 0;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[16];

			if (n > 16)
				n = 16; /* cannot happen: the control buffer has no room */
			memcpy(fds, CMSG_DATA(c), n * sizeof(int));
			for (size_t i = 0; i < n; i++) {
				if (out->nfds < IOASID_PROTO_MAX_FDS) {
					out->fds[out->nfds++] = fds[i];
				} else {
					close(fds[i]);
					rc = -EPROTO;
				}
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cr;

			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			out->have_creds = true;
			out->pid = cr.pid;
			out->uid = cr.uid;
			out->gid = cr.gid;
		}
	}
	return rc;
}

int ioasid_recv(int sock, void *buf, struct ioasid_recv *out)
{
	return ioasid_recv_flags(sock, buf, out, 0);
}

int ioasid_recv_flags(int sock, void *buf, struct ioasid_recv *out, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
			 CMSG_SPACE(sizeof(int) * (IOASID_PROTO_MAX_FDS + 2))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = IOASID_PROTO_MAX_MSG };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	bool any;
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pidfd = -1;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	rc = recv_control(&mh, out, &any);
	if (!rc && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		rc = -EPROTO;
	if (!rc && n == 0 && any)
		rc = -EPROTO; /* a zero-length message, not EOF */
	if (rc) {
		ioasid_recv_close_fds(out);
		out->len = n ? n : 1; /* a refused message is not an EOF */
		return rc;
	}
	out->len = n;
	return 0;
}

/* ---- paths --------------------------------------------------------------------------- */

/* Is dir a directory of our own (or root's) that nobody else may write? */
static int dir_private(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || !ioasid_peer_uid_ok(st.st_uid) || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

bool ioasid_peer_uid_ok(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

int ioasid_socket_path(char *buf, size_t len)
{
	const char *env = getenv("IOASID_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	char run_user[64];
	struct stat st;
	int n;

	snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned int)geteuid());
	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg == '/' && !stat(xdg, &st) && S_ISDIR(st.st_mode))
		n = snprintf(buf, len, "%s/ioasid/ioasidd.sock", xdg);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/ioasid/ioasidd.sock");
	else if (!dir_private(run_user) && !stat(run_user, &st) && st.st_uid == geteuid())
		n = snprintf(buf, len, "%s/ioasid/ioasidd.sock", run_user);
	else if (home && *home == '/')
		n = snprintf(buf, len, "%s/.ioasid/ioasidd.sock", home);
	else
		return -ENOENT; /* never a shared /tmp path */
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* The directory of sock_path into dir (sun_path sized); -ENAMETOOLONG, or 1 for none. */
static int sock_dir(const char *sock_path, char *dir, size_t len)
{
	char *slash;

	if (strlen(sock_path) >= len)
		return -ENAMETOOLONG;
	strcpy(dir, sock_path);
	slash = strrchr(dir, '/');
	if (!slash) {
		strcpy(dir, ".");
		return 0;
	}
	if (slash == dir)
		slash++; /* "/x.sock": the root directory */
	*slash = 0;
	return 0;
}

int ioasid_socket_dir_check(const char *sock_path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc = sock_dir(sock_path, dir, sizeof(dir));

	return rc ? rc : dir_private(dir);
}

int ioasid_socket_dir_prepare(const char *sock_path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc = sock_dir(sock_path, dir, sizeof(dir));

	if (rc)
		return rc;
	/* create missing parents; only the last level is ours to own */
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	/* a directory someone else made for us (a squatter), or one others may write: refused */
	return dir_private(dir);
}
