// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_view.c - what a program sees under ioasid-run --inproc (src/shim/vfio_view.c): the
 * sysfs and /dev paths of the VFIO devices, with listings, lstat, stat, statx, fstatat,
 * readlink, access, open and fopen agreeing with each other; the device nodes as character
 * devices whose numbers are the ones sysfs gives; device fds (exclusive group opens,
 * close-on-exec, dup, read/mmap refused); nothing else touched.
 * Run by meson under ioasid-run --inproc (tests/vfio/meson.build).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/vfio.h>

#define DEVS "/sys/bus/pci/devices"

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n > 0);
	buf[n] = 0;
	close(fd);
}

static bool dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	assert_non_null(d);
	while ((e = readdir(d)))
		found |= !strcmp(e->d_name, name);
	closedir(d);
	return found;
}

static void check_device(const char *bdf, unsigned int *groups, unsigned int *nr_groups)
{
	char path[512], link[512], want[512], text[64], text2[64], vfio[256] = "";
	unsigned int seg, bus, dev, fn, group, maj, min;
	struct stat st, st2;
	struct statx stx;
	struct dirent *e;
	uint8_t cfg[4096];
	FILE *fp;
	DIR *d;
	int fd;

	assert_int_equal(sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn), 4);
	/* the entry is a link to the device under /sys/devices, as the kernel's */
	snprintf(path, sizeof(path), DEVS "/%s", bdf);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(readlink(path, link, sizeof(link)) > 0);
	snprintf(want, sizeof(want), "../../../devices/pci%04x:%02x/%s", seg, bus, bdf);
	assert_int_equal(strncmp(link, want, strlen(want)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(access(path, R_OK | X_OK), 0);
	/* the target's own path too */
	snprintf(path, sizeof(path), "/sys/devices/pci%04x:%02x/%s/vendor", seg, bus, bdf);
	assert_int_equal(stat(path, &st2), 0);
	/* vendor through open and through fopen agree */
	snprintf(path, sizeof(path), DEVS "/%s/vendor", bdf);
	read_text(path, text, sizeof(text));
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(text2, sizeof(text2), fp));
	fclose(fp);
	assert_string_equal(text, text2);
	assert_int_equal(strncmp(text, "0x", 2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444); /* read-only, as the kernel's attribute */
	/* config space starts with vendor and device */
	snprintf(path, sizeof(path), DEVS "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, cfg, sizeof(cfg)), 4096);
	close(fd);
	assert_int_equal(cfg[0] | cfg[1] << 8, strtoul(text, NULL, 16));
	/* iommu_group: a link to /sys/kernel/iommu_groups/<G>, which lists the device back */
	snprintf(path, sizeof(path), DEVS "/%s/iommu_group", bdf);
	memset(link, 0, sizeof(link));
	assert_true(readlink(path, link, sizeof(link)) > 0);
	assert_int_equal(sscanf(link, "../../../kernel/iommu_groups/%u", &group), 1);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/devices", group);
	assert_true(dir_has(path, bdf));
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%u/devices/%s", group, bdf);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(path, sizeof(path), DEVS "/%s/iommu_group/devices/%s/vendor", bdf, bdf);
	read_text(path, text2, sizeof(text2));
	assert_string_equal(text, text2);
	/* driver: vfio-pci, which lists it */
	snprintf(path, sizeof(path), DEVS "/%s/driver", bdf);
	memset(link, 0, sizeof(link));
	assert_true(readlink(path, link, sizeof(link)) > 0);
	assert_non_null(strstr(link, "/vfio-pci"));
	assert_true(dir_has("/sys/bus/pci/drivers/vfio-pci", bdf));
	/* vfio-dev/vfioN/dev names the node /dev/vfio/devices/vfioN */
	snprintf(path, sizeof(path), DEVS "/%s/vfio-dev", bdf);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "vfio", 4))
			snprintf(vfio, sizeof(vfio), "%s", e->d_name);
	closedir(d);
	assert_true(vfio[0]);
	snprintf(path, sizeof(path), DEVS "/%s/vfio-dev/%s/dev", bdf, vfio);
	read_text(path, text, sizeof(text));
	assert_int_equal(sscanf(text, "%u:%u", &maj, &min), 2);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", vfio);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), maj);
	assert_int_equal(minor(st.st_rdev), min);
	assert_int_equal(fstatat(AT_FDCWD, path, &st2, 0), 0);
	assert_int_equal(st2.st_rdev, st.st_rdev);
	assert_int_equal(statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx), 0);
	assert_true(S_ISCHR(stx.stx_mode));
	assert_int_equal(stx.stx_rdev_major, maj);
	assert_int_equal(stx.stx_rdev_minor, min);
	assert_true(dir_has("/dev/vfio/devices", vfio));
	/* the node opens; its fd says it is that character device */
	assert_int_equal(access(path, R_OK | W_OK), 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st2), 0);
	assert_true(S_ISCHR(st2.st_mode));
	assert_int_equal(st2.st_rdev, st.st_rdev);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* the group node */
	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(minor(st.st_rdev), group);
	snprintf(text, sizeof(text), "%u", group);
	assert_true(dir_has("/dev/vfio", text));
	for (unsigned int i = 0; i < *nr_groups; i++)
		if (groups[i] == group)
			return;
	groups[(*nr_groups)++] = group;
}

static void test_sysfs(void **state)
{
	unsigned int groups[64], nr_groups = 0, n = 0;
	struct dirent *e;
	DIR *d = opendir(DEVS);

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		check_device(e->d_name, groups, &nr_groups);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 8); /* the default platform */
	assert_int_equal(nr_groups, 7);
	d = opendir("/sys/kernel/iommu_groups");
	n = 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, nr_groups);
}

static void test_nodes(void **state)
{
	struct stat st;
	int fd, fd2, dupfd;
	volatile uint8_t *win;
	char buf[8];
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };

	(void)state;
	assert_int_equal(stat("/dev/vfio/vfio", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 10);
	assert_int_equal(minor(st.st_rdev), 196);
	/* what is not there is not there, by every call */
	assert_int_equal(stat("/dev/vfio/99", &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access("/dev/vfio/99", F_OK), -1);
	assert_int_equal(open("/dev/vfio/99", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open("/dev/vfio/devices/vfio99", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(DEVS "/0000:99:00.0", &st), -1);
	/* the container answers as VFIO's */
	fd = open("/dev/vfio/vfio", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	close(fd);
	/* a group is exclusive */
	fd = open("/dev/vfio/0", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(open("/dev/vfio/0", O_RDWR), -1);
	assert_int_equal(errno, EBUSY);
	close(fd);
	fd = open("/dev/vfio/0", O_RDWR);
	assert_true(fd >= 0);
	close(fd);
	/* a relative open in the /dev/vfio directory */
	fd2 = open("/dev/vfio", O_RDONLY | O_DIRECTORY);
	assert_true(fd2 >= 0);
	fd = openat(fd2, "devices/vfio0", O_RDWR);
	assert_true(fd >= 0);
	close(fd2);
	/* unbound: EINVAL; a dup is the same file; read and mmap are refused */
	assert_int_equal(ioctl(fd, VFIO_DEVICE_GET_INFO, &info), -1);
	assert_int_equal(errno, EINVAL);
	b.iommufd = open("/dev/iommu", O_RDWR);
	assert_true(b.iommufd >= 0);
	dupfd = dup(fd);
	close(fd);
	assert_int_equal(ioctl(dupfd, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(ioctl(dupfd, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(info.num_regions, 9);
	assert_int_equal(read(dupfd, buf, 4), -1);
	assert_int_equal(errno, EINVAL);
	/* BAR 0 maps: a load reaches the device (CBVER, I/OAT 3.3); config space does not */
	win = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dupfd, 0);
	assert_true(win != MAP_FAILED);
	/* memory decode off: all ones, as on hardware; on: the device's register */
	assert_int_equal(*(volatile uint8_t *)(win + 0x08), 0xff);
	{
		uint16_t cmd;

		assert_int_equal(pread(dupfd, &cmd, 2, ((off_t)7 << 40) + 4), 2);
		cmd |= 0x2;
		assert_int_equal(pwrite(dupfd, &cmd, 2, ((off_t)7 << 40) + 4), 2);
	}
	assert_int_equal(*(volatile uint8_t *)(win + 0x08), 0x33);
	assert_int_equal(munmap((void *)win, 4096), 0);
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, dupfd, (off_t)7 << 40) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* not page-aligned inside the BAR */
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, dupfd, 8) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* the cdev is bound: its group cannot be opened until it closes */
	assert_int_equal(open("/dev/vfio/0", O_RDWR), -1);
	assert_int_equal(errno, EBUSY);
	close(b.iommufd); /* the device keeps its context */
	assert_int_equal(ioctl(dupfd, VFIO_DEVICE_GET_INFO, &info), 0);
	/* a window holds the device open after its last fd's close, as the kernel's mapping */
	win = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dupfd, 0);
	assert_true(win != MAP_FAILED);
	close(dupfd);
	assert_int_equal(*(volatile uint8_t *)(win + 0x08), 0x33);
	assert_int_equal(open("/dev/vfio/0", O_RDWR), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(munmap((void *)win, 4096), 0);
	fd = open("/dev/vfio/0", O_RDWR);
	assert_true(fd >= 0);
	close(fd);
}

static void test_outside(void **state)
{
	struct stat st;
	char buf[64];

	(void)state;
	/* paths beside the view are the system's */
	assert_int_equal(stat("/proc/self/status", &st), 0);
	assert_true(readlink("/proc/self/exe", buf, sizeof(buf)) > 0);
	assert_int_equal(stat("/dev/vfio-not", &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
