// SPDX-License-Identifier: BSD-3-Clause
/*
 * sysfs.c - the sysfs and /dev view of the devices, as a directory tree, and the BAR
 * addresses that view and config space share.
 *
 * The tree mirrors the kernel's layout for a PCI function bound to vfio-pci, under a root
 * directory the host chooses; the host rewrites the program's paths into it (the shim does
 * it for /sys/bus/pci/devices, /sys/bus/pci/drivers/vfio-pci, /sys/devices/pci<SSSS>:<BB>/
 * <BDF>, /sys/kernel/iommu_groups and /dev/vfio). Links are relative, written as the
 * kernel's, so they resolve inside the tree:
 *
 *   sys/bus/pci/devices/<BDF>            -> ../../../devices/pci<SSSS>:<BB>/<BDF>
 *   sys/devices/pci<SSSS>:<BB>/<BDF>/    vendor device subsystem_vendor subsystem_device
 *                                        class revision irq numa_node uevent config resource
 *       iommu_group                      -> ../../../kernel/iommu_groups/<G>
 *       driver                           -> ../../../bus/pci/drivers/vfio-pci
 *       vfio-dev/vfio<N>/dev, uevent     "510:<N>"
 *   sys/bus/pci/drivers/vfio-pci/<BDF>   -> ../../../../devices/pci<SSSS>:<BB>/<BDF>
 *   sys/kernel/iommu_groups/<G>/type     "DMA"
 *   sys/kernel/iommu_groups/<G>/devices/<BDF> -> ../../../../devices/pci<SSSS>:<BB>/<BDF>
 *   dev/vfio/vfio, dev/vfio/<G>, dev/vfio/devices/vfio<N>   (empty files: the host reports
 *                                        them as character devices, VFIO_*_MAJOR in vfio.h)
 *
 * config is the power-on config space (4096 bytes, as root reads it) with the BARs holding
 * the host addresses; it is a snapshot, not live. resource has the kernel's 13 lines (6
 * BARs, ROM, 6 SR-IOV BARs): start, end, flags. The "host" addresses are made up here,
 * naturally aligned, one window per space: 32-bit memory from 0xc0000000 (below the x86 MSI
 * window), 64-bit memory from 0x380000000000, I/O from 0x1000; a BAR that does not fit gets
 * address 0 (as an unassigned resource).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "pci/pci.h"
#include "vfio/vfio_int.h"

/* ---- BAR addresses ------------------------------------------------------------------------ */

static uint64_t bump(uint64_t *next, uint64_t size, uint64_t limit)
{
	uint64_t at = (*next + size - 1) & ~(size - 1);

	if (at < *next || at > limit || size - 1 > limit - at)
		return 0;
	*next = at + size;
	return at;
}

void vsys_bar_addrs(struct vfio_sys *s)
{
	uint64_t mem32 = 0xc0000000, mem64 = UINT64_C(0x380000000000), io = 0x1000;

	for (size_t i = 0; i < s->nr_devs; i++) {
		struct vdev *d = &s->devs[i];

		for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
			const struct platform_bar *bar = &d->pdev->bars[b];

			if (!bar->size)
				continue;
			if (bar->flags & PLATFORM_BAR_IO)
				d->bar_addr[b] = bump(&io, bar->size, 0xffff);
			else if (bar->flags & PLATFORM_BAR_MEM64)
				d->bar_addr[b] = bump(&mem64, bar->size, UINT64_C(0x3fffffffffff));
			else
				d->bar_addr[b] = bump(&mem32, bar->size, 0xfebfffff);
		}
	}
}

/* ---- writing the tree -------------------------------------------------------------------- */

/* Attributes are read-only (0444) as the kernel's, except those it lets root write. */
static int put_file_mode(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	fchmod(fd, mode); /* whatever the umask, as sysfs */
	n = len ? write(fd, data, len) : 0;
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int put_file(const char *path, const void *data, size_t len)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return put_file_mode(path, data, len,
			     !strcmp(base, "config") || !strcmp(base, "uevent") ? 0644 : 0444);
}

static int put_text(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int put_text(const char *dir, const char *name, const char *fmt, ...)
{
	char path[700], text[1024];
	va_list ap;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EINVAL;
	return put_file(path, text, (size_t)n);
}

static int mkdirs(const char *path)
{
	char buf[512];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int put_link(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int put_link(const char *target, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (symlink(target, path) && errno != EEXIST)
		return -errno;
	return 0;
}

static uint64_t resource_flags(const struct platform_bar *b)
{
	/* IORESOURCE_IO 0x100, _MEM 0x200, _PREFETCH 0x2000, _MEM_64 0x100000, _SIZEALIGN
	 * 0x40000, with the BAR's low type bits, as the kernel prints them */
	if (b->flags & PLATFORM_BAR_IO)
		return 0x40101;
	return 0x40200 | ((b->flags & PLATFORM_BAR_MEM64) ? 0x100004 : 0) |
	       ((b->flags & PLATFORM_BAR_PREFETCH) ? 0x2008 : 0);
}

static int build_config(const struct vdev *d, const char *dir)
{
	struct pci_cfg *c = calloc(1, sizeof(*c));
	uint8_t data[PCI_CFG_SPACE];
	char path[700];
	int rc;

	if (!c)
		return -ENOMEM;
	rc = pci_cfg_init(c, d->pdev, NULL, NULL);
	if (!rc)
		rc = pci_cfg_read(c, 0, data, sizeof(data));
	free(c);
	if (rc)
		return rc;
	for (unsigned int b = 0; b < PLATFORM_NR_BARS; b++) {
		const struct platform_bar *bar = &d->pdev->bars[b];
		uint32_t lo;

		if (!bar->size)
			continue;
		lo = (uint32_t)d->bar_addr[b] | (data[PCI_BASE_ADDRESS_0 + 4 * b] & 0xf);
		memcpy(&data[PCI_BASE_ADDRESS_0 + 4 * b], &lo, 4);
		if ((bar->flags & PLATFORM_BAR_MEM64) && b + 1 < PLATFORM_NR_BARS) {
			uint32_t hi = (uint32_t)(d->bar_addr[b] >> 32);

			memcpy(&data[PCI_BASE_ADDRESS_0 + 4 * (b + 1)], &hi, 4);
		}
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	return put_file(path, data, sizeof(data));
}

static int build_resource(const struct vdev *d, const char *dir)
{
	char text[13 * 60 + 1], *p = text;

	for (unsigned int r = 0; r < 13; r++) {
		const struct platform_bar *b = r < PLATFORM_NR_BARS ? &d->pdev->bars[r] : NULL;
		uint64_t start = 0, end = 0, flags = 0;

		if (b && b->size && d->bar_addr[r]) {
			start = d->bar_addr[r];
			end = start + b->size - 1;
			flags = resource_flags(b);
		}
		p += sprintf(p, "0x%016llx 0x%016llx 0x%016llx\n", (unsigned long long)start,
			     (unsigned long long)end, (unsigned long long)flags);
	}
	return put_text(dir, "resource", "%s", text);
}

static int build_device(const struct vdev *d, const char *root)
{
	const struct platform_device *pd = d->pdev;
	char bdf[16], bus[24], dir[512], sub[600];
	int rc = 0;

	platform_bdf_format(&pd->bdf, bdf, sizeof(bdf));
	snprintf(bus, sizeof(bus), "pci%04x:%02x", pd->bdf.segment, pd->bdf.bus);
	snprintf(dir, sizeof(dir), "%s/sys/devices/%s/%s", root, bus, bdf);
	snprintf(sub, sizeof(sub), "%s/vfio-dev/vfio%u", dir, d->index);
	rc = mkdirs(sub);
	rc = rc ?: put_text(dir, "vendor", "0x%04x\n", pd->vendor);
	rc = rc ?: put_text(dir, "device", "0x%04x\n", pd->device);
	rc = rc ?: put_text(dir, "subsystem_vendor", "0x%04x\n", pd->subsys_vendor);
	rc = rc ?: put_text(dir, "subsystem_device", "0x%04x\n", pd->subsys_device);
	rc = rc ?: put_text(dir, "class", "0x%06x\n", pd->class_code);
	rc = rc ?: put_text(dir, "revision", "0x%02x\n", pd->revision);
	rc = rc ?: put_text(dir, "irq", "0\n");
	rc = rc ?: put_text(dir, "numa_node", "-1\n");
	rc = rc	   ?:
		     put_text(dir, "uevent",
			      "DRIVER=vfio-pci\nPCI_CLASS=%X\nPCI_ID=%04X:%04X\n"
			      "PCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n",
			      pd->class_code, pd->vendor, pd->device, pd->subsys_vendor,
			      pd->subsys_device, bdf);
	rc = rc ?: build_config(d, dir);
	rc = rc ?: build_resource(d, dir);
	rc = rc ?: put_text(sub, "dev", "%u:%u\n", VFIO_DEV_MAJOR, d->index);
	rc = rc	   ?:
		     put_text(sub, "uevent", "MAJOR=%u\nMINOR=%u\nDEVNAME=vfio/devices/vfio%u\n",
			      VFIO_DEV_MAJOR, d->index, d->index);
	if (rc)
		return rc;
	snprintf(sub, sizeof(sub), "../../../kernel/iommu_groups/%u", pd->group);
	rc = rc ?: put_link(sub, "%s/iommu_group", dir);
	rc = rc ?: put_link("../../../bus/pci/drivers/vfio-pci", "%s/driver", dir);
	snprintf(sub, sizeof(sub), "../../../devices/%s/%s", bus, bdf);
	rc = rc ?: put_link(sub, "%s/sys/bus/pci/devices/%s", root, bdf);
	snprintf(sub, sizeof(sub), "../../../../devices/%s/%s", bus, bdf);
	rc = rc ?: put_link(sub, "%s/sys/bus/pci/drivers/vfio-pci/%s", root, bdf);
	snprintf(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%u/devices", root, pd->group);
	rc = rc ?: mkdirs(dir);
	/* once per group: the file is read-only (an unprivileged user cannot write it again) */
	snprintf(sub, sizeof(sub), "%s/../type", dir);
	if (!rc && access(sub, F_OK))
		rc = put_text(dir, "../type", "DMA\n");
	snprintf(sub, sizeof(sub), "../../../../devices/%s/%s", bus, bdf);
	rc = rc ?: put_link(sub, "%s/%s", dir, bdf);
	snprintf(dir, sizeof(dir), "%s/dev/vfio/devices/vfio%u", root, d->index);
	rc = rc ?: put_file_mode(dir, NULL, 0, 0666);
	snprintf(dir, sizeof(dir), "%s/dev/vfio/%u", root, pd->group);
	rc = rc ?: put_file_mode(dir, NULL, 0, 0666);
	return rc;
}

int vfio_sysfs_build(const struct vfio_sys *s, const char *root)
{
	static const char *const dirs[] = { "sys/bus/pci/devices", "sys/bus/pci/drivers/vfio-pci",
					    "sys/kernel/iommu_groups", "dev/vfio/devices" };
	char path[512];
	int rc = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !rc; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rc = mkdirs(path);
	}
	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
	rc = rc ?: put_file_mode(path, NULL, 0, 0666);
	for (size_t i = 0; i < s->nr_devs && !rc; i++)
		rc = build_device(&s->devs[i], root);
	return rc;
}
