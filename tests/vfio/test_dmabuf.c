// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_dmabuf.c - VFIO_DEVICE_FEATURE_DMA_BUF and IOMMU_IOAS_MAP_FILE of its dma-buf, on
 * src/vfio with the test host (helpers.c), built with the sanitizers in make check's second
 * build: the feature's argsz and errno rules, a device's DMA reaching the NVMe's RAM BAR 2
 * (its controller memory buffer) through the IOVA of the dma-buf (P2P), and every revoke:
 * memory decode off, low power, a function reset, the exporter's close while mapped (the
 * DMA faults, unmap still works, nothing is used after it is freed).
 *
 * The importer here is the I/OAT's context, another context than the NVMe's: the dma-buf
 * is found by its fd alone, whoever exported it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>

#include "core/dmabuf.h"
#include "helpers.h"

#define PG	    4096u
#define CMB_BAR	    2u
#define CMB_SIZE    (1u << 20)
#define FEAT_HDR    8u	/* struct vfio_device_feature */
#define DMABUF_HDR  16u /* struct vfio_device_feature_dma_buf */
#define RANGE_BYTES 16u

struct fix {
	struct vfio_file *nvme, *ioat;
	int nvme_fd, ioat_fd;
	struct ioasid_ctx *ctx; /* the I/OAT's: the importer */
	uint32_t ioas, dev_id;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	OK(h_setup(state));
	f->nvme = h_bound(IDX_NVME, &f->nvme_fd, NULL, NULL);
	f->ioat = h_bound(IDX_IOAT0, &f->ioat_fd, &f->ctx, &f->ioas);
	f->dev_id = hsys->devs[IDX_IOAT0].dev_id;
	h_cfg_wr(f->nvme, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	void *s = NULL;

	if (f->nvme)
		vfio_file_put(f->nvme);
	h_iommufd_close(f->nvme_fd);
	vfio_file_put(f->ioat);
	h_iommufd_close(f->ioat_fd);
	/* every dma-buf's token was closed and nothing maps one: the registry is empty */
	assert_int_equal(dmabuf_count(), 0);
	free(f);
	return h_teardown(&s);
}

/* VFIO_DEVICE_FEATURE with the dma-buf header and ranges; the ioctl's result */
static long feature(struct vfio_file *f, uint32_t flags, uint32_t argsz, uint32_t region,
		    uint32_t open_flags, uint32_t dflags, uint32_t nr,
		    const struct vfio_region_dma_range *r, unsigned int nr_given)
{
	uint8_t buf[FEAT_HDR + DMABUF_HDR + 8 * RANGE_BYTES] = { 0 };
	struct vfio_device_feature *ft = (void *)buf;
	struct vfio_device_feature_dma_buf *db = (void *)(buf + FEAT_HDR);

	ft->argsz = argsz;
	ft->flags = flags;
	db->region_index = region;
	db->open_flags = open_flags;
	db->flags = dflags;
	db->nr_ranges = nr;
	if (nr_given)
		memcpy(db->dma_ranges, r, nr_given * sizeof(*r));
	return h_ioctl(f, VFIO_DEVICE_FEATURE, buf);
}

#define GET (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF)
#define ASZ (FEAT_HDR + DMABUF_HDR + RANGE_BYTES)

/* one range of the CMB: the dma-buf fd (asserted) */
static int export_cmb(struct fix *f, uint64_t off, uint64_t len, uint32_t open_flags)
{
	struct vfio_region_dma_range r = { off, len };
	long fd = feature(f->nvme, GET, ASZ, CMB_BAR, open_flags, 0, 1, &r, 1);

	assert_true(fd > 2);
	return (int)fd;
}

static int map_file(struct fix *f, int fd, uint64_t start, uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = f->ioas,
		.fd = fd,
		.start = start,
		.length = len,
	};
	int rc = ioasid_ioctl(f->ctx, IOMMU_IOAS_MAP_FILE, &m);

	if (rc)
		return -errno;
	*iova = m.iova;
	return 0;
}

static int unmap(struct fix *f, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = f->ioas, .iova = iova, .length = len
	};

	if (ioasid_ioctl(f->ctx, IOMMU_IOAS_UNMAP, &u))
		return -errno;
	return u.length == len ? 0 : -EIO;
}

/* the I/OAT's DMA (the C API's device DMA): 0 or -errno */
static int dma(struct fix *f, uint64_t iova, void *buf, size_t len, bool write)
{
	struct ioasid_dma_fault fault;

	if (ioasid_device_dma_pasid(f->ctx, f->dev_id, 0, iova, buf, len,
				    write ? IOASID_DMA_WRITE : 0, &fault))
		return -errno;
	return 0;
}

static void test_feature_rules(void **state)
{
	struct fix *f = *state;
	struct vfio_region_dma_range r = { 0, PG }, two[2] = { { 0, PG }, { PG, PG } };
	uint8_t *guard;
	long fd;

	/* PROBE: supported, GET only */
	OK(feature(f->nvme, VFIO_DEVICE_FEATURE_PROBE | GET, FEAT_HDR, 0, 0, 0, 0, NULL, 0));
	ERR(feature(f->nvme,
		    VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_DMA_BUF,
		    FEAT_HDR, 0, 0, 0, 0, NULL, 0),
	    EINVAL);
	ERR(feature(f->nvme, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF, ASZ, CMB_BAR, 0,
		    0, 1, &r, 1),
	    EINVAL);
	ERR(feature(f->nvme, VFIO_DEVICE_FEATURE_DMA_BUF, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	/* argsz must cover the header (the ranges are read regardless, as the kernel) */
	ERR(feature(f->nvme, GET, FEAT_HDR + DMABUF_HDR - 1, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	fd = feature(f->nvme, GET, FEAT_HDR + DMABUF_HDR, CMB_BAR, O_CLOEXEC, 0, 1, &r, 1);
	assert_true(fd > 2);
	close((int)fd);
	/* the header's own rules, in the kernel's order */
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 0, &r, 1), EINVAL);
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 1, 1, &r, 1), EINVAL);
	ERR(feature(f->nvme, GET, ASZ, VFIO_PCI_ROM_REGION_INDEX, 0, 0, 1, &r, 1), ENODEV);
	ERR(feature(f->nvme, GET, ASZ, VFIO_PCI_CONFIG_REGION_INDEX, 0, 0, 1, &r, 1), ENODEV);
	ERR(feature(f->nvme, GET, ASZ, 99, 0, 0, 0, &r, 1), EINVAL); /* nr_ranges first */
	/* more ranges than the kernel's kmalloc holds; ranges in memory that is not there */
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, (4u << 20) / RANGE_BYTES + 1, &r, 1), ENOMEM);
	guard = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(guard != MAP_FAILED);
	OK(munmap(guard + PG, PG));
	{
		uint8_t *p = guard + PG - FEAT_HDR - DMABUF_HDR - RANGE_BYTES;
		struct vfio_device_feature *ft = (void *)p;
		struct vfio_device_feature_dma_buf *db = (void *)(p + FEAT_HDR);

		memset(p, 0, FEAT_HDR + DMABUF_HDR + RANGE_BYTES);
		ft->argsz = ASZ;
		ft->flags = GET;
		db->region_index = CMB_BAR;
		db->nr_ranges = 2; /* the second range is past the mapping */
		db->dma_ranges[0] = r;
		ERR(h_ioctl(f->nvme, VFIO_DEVICE_FEATURE, p), EFAULT);
	}
	munmap(guard, PG);
	/* ranges: zero, unaligned, a sum that overflows or reaches 2^63 */
	r = (struct vfio_region_dma_range){ 0, 0 };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	r = (struct vfio_region_dma_range){ 100, PG };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	r = (struct vfio_region_dma_range){ 0, PG + 1 };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	two[0] = (struct vfio_region_dma_range){ 0, UINT64_MAX - PG + 1 };
	two[1] = (struct vfio_region_dma_range){ 0, PG };
	ERR(feature(f->nvme, GET, ASZ + RANGE_BYTES, CMB_BAR, 0, 0, 2, two, 2), EINVAL);
	r = (struct vfio_region_dma_range){ 0, UINT64_C(1) << 63 };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	/* not a memory BAR: absent, a 64-bit BAR's upper half, an I/O BAR elsewhere */
	r = (struct vfio_region_dma_range){ 0, PG };
	ERR(feature(f->nvme, GET, ASZ, 1, 0, 0, 1, &r, 1), EINVAL);
	ERR(feature(f->nvme, GET, ASZ, 5, 0, 0, 1, &r, 1), EINVAL);
	/* past the BAR; an offset that wraps the BAR's address */
	r = (struct vfio_region_dma_range){ CMB_SIZE - PG, 2 * PG };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EINVAL);
	r = (struct vfio_region_dma_range){ UINT64_MAX - PG + 1, PG };
	ERR(feature(f->nvme, GET, ASZ, CMB_BAR, 0, 0, 1, &r, 1), EOVERFLOW);
	/* overlapping ranges are allowed, as the kernel; close-on-exec as asked */
	two[0] = (struct vfio_region_dma_range){ 0, 2 * PG };
	two[1] = (struct vfio_region_dma_range){ PG, 2 * PG };
	fd = feature(f->nvme, GET, ASZ + RANGE_BYTES, CMB_BAR, O_RDWR, 0, 2, two, 2);
	assert_true(fd > 2);
	assert_int_equal(fcntl((int)fd, F_GETFD) & FD_CLOEXEC, 0);
	close((int)fd);
	fd = export_cmb(f, 0, PG, O_CLOEXEC | O_RDWR);
	assert_int_equal(fcntl((int)fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close((int)fd);
}

/* The I/OAT writes the CMB through the dma-buf's IOVA; the NVMe's BAR shows the bytes. */
static void test_p2p(void **state)
{
	struct fix *f = *state;
	uint8_t out[3 * PG], in[3 * PG];
	uint64_t iova = 0, iova2 = 0;
	int fd, fd2;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	fd = export_cmb(f, 4 * PG, 4 * PG, O_CLOEXEC);
	/* inside the dma-buf only (its size, not the BAR's) */
	ERR(map_file(f, fd, 0, 0, &iova), EINVAL);
	ERR(map_file(f, fd, 0, 4 * PG + 1, &iova), EINVAL);
	ERR(map_file(f, fd, 4 * PG, PG, &iova), EINVAL);
	OK(map_file(f, fd, PG, 3 * PG, &iova));
	OK(dma(f, iova + 100, out, sizeof(out) - 100, true));
	/* dma-buf offset PG + 100 is CMB offset 5 * PG + 100 */
	assert_int_equal(h_bar_rd(f->nvme, CMB_BAR, 5 * PG + 100, 8), *(uint64_t *)out);
	assert_int_equal(h_bar_rd(f->nvme, CMB_BAR, 5 * PG + 100 + 2 * PG, 4),
			 *(uint32_t *)(out + 2 * PG));
	/* the device stores through the BAR; the I/OAT reads them back by DMA */
	h_bar_wr(f->nvme, CMB_BAR, 6 * PG, 8, 0x1122334455667788ull);
	OK(dma(f, iova + PG, in, 8, false));
	assert_int_equal(*(uint64_t *)in, 0x1122334455667788ull);
	/* past the mapping: the IOMMU faults */
	ERR(dma(f, iova + 3 * PG, in, 8, false), EFAULT);
	/* a register BAR and a dma-buf of several ranges: exported, not importable */
	{
		struct vfio_region_dma_range r = { 0, PG }, two[2] = { { 0, PG }, { PG, PG } };
		long rfd = feature(f->ioat, GET, ASZ, 0, 0, 0, 1, &r, 1);

		assert_true(rfd > 2);
		/* memory decode is off in the I/OAT: born revoked, ENODEV first */
		ERR(map_file(f, (int)rfd, 0, PG, &iova2), ENODEV);
		h_cfg_wr(f->ioat, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
		ERR(map_file(f, (int)rfd, 0, PG, &iova2), EOPNOTSUPP);
		close((int)rfd);
		fd2 = (int)feature(f->nvme, GET, ASZ + RANGE_BYTES, CMB_BAR, 0, 0, 2, two, 2);
		assert_true(fd2 > 2);
		ERR(map_file(f, fd2, 0, PG, &iova2), EOPNOTSUPP);
		close(fd2);
	}
	/* a pipe of our own names nothing; nor does a closed number */
	{
		int p[2];

		OK(pipe(p));
		ERR(map_file(f, p[0], 0, PG, &iova2), EINVAL);
		close(p[0]);
		close(p[1]);
	}
	OK(unmap(f, iova, 3 * PG));
	close(fd);
	ERR(map_file(f, fd, 0, PG, &iova2), EBADF);
}

/* Memory decode off, low power, reset: mappings die for good; new ones after a restore. */
static void test_revoke(void **state)
{
	struct fix *f = *state;
	uint64_t iova = 0, iova2 = 0, scratch = 0, v = 0x5a5a5a5a5a5a5a5aull;
	int fd = export_cmb(f, 0, CMB_SIZE, O_CLOEXEC);

	OK(map_file(f, fd, 0, CMB_SIZE, &iova));
	OK(dma(f, iova, &v, 8, true));
	/* memory decode off: revoked; the IOVA faults, MAP_FILE is ENODEV */
	h_cfg_wr(f->nvme, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	ERR(dma(f, iova, &v, 8, true), EFAULT);
	ERR(map_file(f, fd, 0, PG, &iova2), ENODEV);
	/* on again: new maps work, the old one stays dead (as iommufd's importer) */
	h_cfg_wr(f->nvme, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ERR(dma(f, iova, &v, 8, false), EFAULT);
	OK(map_file(f, fd, 0, PG, &iova2));
	OK(dma(f, iova2, &v, 8, false));
	assert_int_equal(v, 0x5a5a5a5a5a5a5a5aull);
	OK(unmap(f, iova, CMB_SIZE)); /* a revoked area still unmaps */
	/* a function reset */
	assert_int_equal(h_ioctl(f->nvme, VFIO_DEVICE_RESET, NULL), 0);
	ERR(dma(f, iova2, &v, 8, false), EFAULT);
	OK(map_file(f, fd, 0, PG, &iova));
	OK(dma(f, iova, &v, 8, false));
	/* low power (D3hot) */
	{
		struct vfio_device_feature lp = { .argsz = sizeof(lp),
						  .flags = VFIO_DEVICE_FEATURE_SET |
							   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY };

		OK(h_ioctl(f->nvme, VFIO_DEVICE_FEATURE, &lp));
		ERR(dma(f, iova, &v, 8, false), EFAULT);
		ERR(map_file(f, fd, 0, PG, &iova), ENODEV);
		lp.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
		OK(h_ioctl(f->nvme, VFIO_DEVICE_FEATURE, &lp));
	}
	OK(unmap(f, iova2, PG));
	/* the exporter closes while a mapping and the fd live: revoked for good */
	OK(map_file(f, fd, 0, CMB_SIZE, &iova2));
	OK(dma(f, iova2 + CMB_SIZE - 8, &v, 8, true));
	vfio_file_put(f->nvme);
	f->nvme = NULL;
	ERR(dma(f, iova2, &v, 8, false), EFAULT);
	ERR(map_file(f, fd, 0, PG, &scratch), ENODEV);
	OK(unmap(f, iova2, CMB_SIZE));
	OK(unmap(f, iova, PG));
	close(fd);
}

/* The program closes the fd while an IOAS maps it: the mapping lives on, then all goes. */
static void test_lifetime(void **state)
{
	struct fix *f = *state;
	uint64_t iova = 0, v = 42;
	unsigned int base = dmabuf_count();
	int fd = export_cmb(f, 0, PG, O_CLOEXEC);

	assert_int_equal(dmabuf_count(), base + 1);
	OK(map_file(f, fd, 0, PG, &iova));
	close(fd);
	assert_int_equal(dmabuf_count(), base + 1); /* the importer holds it */
	OK(dma(f, iova, &v, 8, true));
	assert_int_equal(h_bar_rd(f->nvme, CMB_BAR, 0, 8), 42);
	OK(unmap(f, iova, PG));
	assert_int_equal(dmabuf_count(), base);
	/* many made and dropped: the per-device limit counts live ones only */
	for (int i = 0; i < 1500; i++)
		close(export_cmb(f, 0, PG, O_CLOEXEC));
	assert_int_equal(dmabuf_count(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_feature_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2p, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
