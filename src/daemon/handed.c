/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * handed.c - the files a client process handed the daemon for its memory (MEM messages).
 *
 * An unprivileged daemon cannot open another process's /proc/<pid>/map_files (that needs
 * CAP_SYS_ADMIN), so it reaches a client's pages through files the client sends it: before
 * a call that pins by address (IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA, the selftest's checks),
 * the shim sends an fd of every file backing the range (src/shim/memmap.c, which also turns
 * private memory into memfd-backed shared memory first). This table keeps them for the
 * sender's source (mem.c), one entry per file (device and inode), so a pin made later (a
 * domain attached after the map, an access, another context) still finds the file.
 *
 * Nothing here trusts the sender. An fd is only ever used where the process's own
 * /proc/<pid>/maps, read at pin time under the source's pidfd check, shows that same file
 * (device, inode) mapped at the address being pinned, and it is mapped at the offset maps
 * gives, with no more access than the VMA's permissions and the fd's own open mode allow
 * (mem.c, pin_vma). A process can thus make the daemon map nothing it does not map itself,
 * through an fd it holds itself. Kept: regular files only, not on FUSE (a page fault there
 * waits for a server the client may run, and would hold the daemon's thread).
 *
 * Bounds. Files the process no longer maps are useless (no pin can match them): when the
 * table reaches HANDED_SWEEP entries, adding one more first drops every file that no
 * longer appears in the process's maps. At most HANDED_MAX files per process, and
 * HANDED_TOTAL_MAX in the daemon: beyond, ENOMEM. Locking: the source's lock (mem.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon/daemon.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

#define HANDED_SWEEP	 32
#define HANDED_MAX	 1024  /* per process */
#define HANDED_TOTAL_MAX 65536 /* in the daemon: its fds stay bounded */

/* Is (dev, ino) among the files the process maps, per the dev/ino list read from maps? */
static bool in_list(const dev_t *devs, const ino_t *inos, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev && inos[i] == ino)
			return true;
	return false;
}

/* Drop every file the process pid no longer maps. */
static void handed_sweep(struct handed *h, pid_t pid)
{
	size_t n = 0, cap = 0;
	dev_t *devs = NULL;
	ino_t *inos = NULL;
	char *line = NULL;
	size_t lcap = 0;
	char path[64];
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return; /* gone: its pins fail anyway, and the source goes with it */
	while (getline(&line, &lcap, maps) > 0) {
		unsigned int maj, min;
		uint64_t ino;

		if (sscanf(line, "%*x-%*x %*4s %*x %x:%x %" SCNu64, &maj, &min, &ino) != 3 || !ino)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			dev_t *nd = realloc(devs, ncap * sizeof(*nd));
			ino_t *ni = nd ? realloc(inos, ncap * sizeof(*ni)) : NULL;

			if (nd)
				devs = nd;
			if (!ni)
				goto out; /* keep everything: nothing is lost but fds */
			inos = ni;
			cap = ncap;
		}
		devs[n] = makedev(maj, min);
		inos[n++] = (ino_t)ino;
	}
	for (unsigned int i = h->n; i-- > 0;) {
		if (in_list(devs, inos, n, h->files[i].dev, h->files[i].ino))
			continue;
		close(h->files[i].fd);
		h->files[i] = h->files[--h->n];
		counter_sub(handed, 1);
	}
out:
	free(line);
	free(devs);
	free(inos);
	fclose(maps);
}

int handed_add(struct handed *h, int fd, pid_t pid)
{
	struct statfs sfs;
	struct stat st;
	int fl, dup_fd;
	bool rw;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -EINVAL;
	if (fstatfs(fd, &sfs) || sfs.f_type == FUSE_SUPER_MAGIC)
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH))
		return -EINVAL; /* nothing a mapping can be made from */
	rw = (fl & O_ACCMODE) == O_RDWR;
	for (unsigned int i = 0; i < h->n; i++) {
		struct handed_file *f = &h->files[i];

		if (f->dev != st.st_dev || f->ino != st.st_ino)
			continue;
		if (rw && !f->rw) { /* a better way in to the same file: keep that one */
			dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			if (dup_fd < 0)
				return errno == EMFILE ? -EMFILE : -ENOMEM;
			close(f->fd);
			f->fd = dup_fd;
			f->rw = true;
		}
		return 0;
	}
	if (h->n >= HANDED_SWEEP)
		handed_sweep(h, pid);
	if (h->n >= HANDED_MAX || counter_get(handed) >= HANDED_TOTAL_MAX)
		return -ENOMEM;
	if (h->n == h->cap) {
		unsigned int cap = h->cap ? h->cap * 2 : 8;
		struct handed_file *n = realloc(h->files, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		h->files = n;
		h->cap = cap;
	}
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return errno == EMFILE ? -EMFILE : -ENOMEM;
	h->files[h->n++] =
		(struct handed_file){ .dev = st.st_dev, .ino = st.st_ino, .fd = dup_fd, .rw = rw };
	counter_add(handed, 1);
	return 0;
}

int handed_find(const struct handed *h, dev_t dev, ino_t ino, bool *out_rw)
{
	for (unsigned int i = 0; i < h->n; i++) {
		if (h->files[i].dev == dev && h->files[i].ino == ino) {
			*out_rw = h->files[i].rw;
			return h->files[i].fd;
		}
	}
	return -1;
}

void handed_clear(struct handed *h)
{
	for (unsigned int i = 0; i < h->n; i++)
		close(h->files[i].fd);
	counter_sub(handed, h->n);
	free(h->files);
	memset(h, 0, sizeof(*h));
}
