// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_iopf.c - I/O page faults end to end, in-process: a device's DMA that faults on a
 * fault-capable HWPT (IOMMU_HWPT_FAULT_ID_VALID) puts the kernel's record on the fault
 * queue's fd, waits for the page response, and retries or fails as the response says.
 *
 * A DMA thread runs the C API's device DMA; the main thread plays the program: poll the fd,
 * read the record, fix the mapping (IOMMU_IOAS_MAP, or the guest's stage-1 table for a
 * nested HWPT), write the response. Cases: SUCCESS after a map (the bytes land); INVALID
 * (the DMA fails, nothing written); SUCCESS without a fix (the retry faults again: a second
 * record); no answer (the wait times out, IOASID_IOPF_TIMEOUT_MS set short here); the fd
 * closed while the DMA waits (it fails at once); a PASID's fault names the PASID; a nested
 * HWPT's stage-1 fault, fixed by the guest in its own table; a HWPT without a fault queue
 * (the fault comes back at once).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../core/helpers.h"
#include "ioasid/ioasid.h"
#include <linux/iommufd.h>

#define SZ_4K	 UINT64_C(0x1000)
#define IOVA	 UINT64_C(0x40000000)
#define TIMEOUT	 "1500" /* ms: the DMA's wait for a response */
#define GPA_BASE UINT64_C(0x100000)

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, fault_id, hwpt;
	int fault_fd;
	uint8_t *mem; /* 8 pages */
};

struct dma_job {
	struct fix *f;
	uint32_t pasid;
	uint64_t iova;
	char buf[32];
	size_t len;
	bool write;
	int rc, err;
	struct ioasid_dma_fault fault;
	pthread_t thread;
};

static void *dma_thread(void *arg)
{
	struct dma_job *j = arg;

	j->rc = ioasid_device_dma_pasid(j->f->ctx, j->f->dev, j->pasid, j->iova, j->buf, j->len,
					j->write ? IOASID_DMA_WRITE : 0, &j->fault);
	j->err = j->rc ? errno : 0;
	return NULL;
}

static void dma_start(struct dma_job *j, struct fix *f, uint32_t pasid, uint64_t iova,
		      const char *data, bool write)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pasid = pasid;
	j->iova = iova;
	j->write = write;
	j->len = strlen(data) + 1;
	memcpy(j->buf, data, j->len);
	assert_int_equal(pthread_create(&j->thread, NULL, dma_thread, j), 0);
}

static void dma_join(struct dma_job *j)
{
	assert_int_equal(pthread_join(j->thread, NULL), 0);
}

/* The next record on the fault fd (waits up to 5 s for one). */
static void read_record(struct fix *f, struct iommu_hwpt_pgfault *rec)
{
	struct pollfd p = { .fd = f->fault_fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(read(f->fault_fd, rec, sizeof(*rec)), (ssize_t)sizeof(*rec));
}

static void respond(struct fix *f, const struct iommu_hwpt_pgfault *rec, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = rec->cookie, .code = code };

	assert_int_equal(write(f->fault_fd, &r, sizeof(r)), (ssize_t)sizeof(r));
}

static uint32_t fault_alloc(struct ioasid_ctx *ctx, int *out_fd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };

	T_OK(t_ioctl(ctx, IOMMU_FAULT_QUEUE_ALLOC, &a));
	*out_fd = (int)a.out_fault_fd;
	return a.out_fault_id;
}

static uint32_t hwpt_alloc(struct fix *f, uint32_t pt, uint32_t flags, uint32_t fault_id,
			   uint32_t type, const void *data, uint32_t len)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags | (fault_id ? IOMMU_HWPT_FAULT_ID_VALID : 0),
		.dev_id = f->dev,
		.pt_id = pt,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};

	T_OK(t_ioctl(f->ctx, IOMMU_HWPT_ALLOC, &a));
	return a.out_hwpt_id;
}

static void map_page(struct fix *f, unsigned int page, uint64_t iova)
{
	T_OK(t_map(f->ctx, f->ioas, f->mem + page * SZ_4K, SZ_4K, &iova, T_MAP_FIXED));
}

/* A device (PASID-capable) on a paging HWPT with a fault queue. IOVA is not mapped. */
static int setup(void **state)
{
	struct ioasid_device_desc d = { .format = "vtd-ss-4", .flags = IOASID_DEVICE_PASID };
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(ioasid_ctx_new(NULL, &f->ctx), 0);
	T_OK(t_ioas_alloc(f->ctx, &f->ioas));
	T_OK(ioasid_device_new(f->ctx, &d, &f->dev));
	f->mem = mmap(NULL, 8 * SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(f->mem != MAP_FAILED);
	memset(f->mem, 0, 8 * SZ_4K);
	f->fault_id = fault_alloc(f->ctx, &f->fault_fd);
	f->hwpt = hwpt_alloc(f, f->ioas, IOMMU_HWPT_ALLOC_PASID, f->fault_id, 0, NULL, 0);
	T_OK(ioasid_device_attach(f->ctx, f->dev, f->hwpt, NULL));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->fault_fd >= 0)
		close(f->fault_fd);
	ioasid_ctx_free(f->ctx);
	munmap(f->mem, 8 * SZ_4K);
	free(f);
	return 0;
}

/* Not mapped: the record, the program maps the page and answers SUCCESS, the DMA is done. */
static void test_success_after_map(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault rec;
	struct dma_job j;

	dma_start(&j, f, 0, IOVA + SZ_4K + 0x40, "faulted, then mapped", true);
	read_record(f, &rec);
	assert_int_equal(rec.dev_id, f->dev);
	assert_int_equal(rec.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID, 0);
	assert_true(rec.flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec.perm, IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(rec.addr, IOVA + SZ_4K);
	assert_int_equal(rec.length, SZ_4K);
	/* the DMA is still waiting: nothing written */
	assert_int_equal(f->mem[2 * SZ_4K + 0x40], 0);
	map_page(f, 2, IOVA + SZ_4K);
	respond(f, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	dma_join(&j);
	assert_int_equal(j.rc, 0);
	assert_string_equal((char *)f->mem + 2 * SZ_4K + 0x40, "faulted, then mapped");
}

/* INVALID: the DMA fails with the fault; SUCCESS without a fix: a second request. */
static void test_invalid_and_refault(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault rec, rec2;
	struct dma_job j;

	dma_start(&j, f, 0, IOVA, "never", false);
	read_record(f, &rec);
	assert_int_equal(rec.perm, IOMMU_PGFAULT_PERM_READ);
	respond(f, &rec, IOMMUFD_PAGE_RESP_INVALID);
	dma_join(&j);
	assert_int_equal(j.rc, -1);
	assert_int_equal(j.err, EFAULT);
	assert_int_equal(j.fault.type, IOASID_DMA_FAULT_NOT_PRESENT);
	assert_int_equal(j.fault.addr, IOVA);

	dma_start(&j, f, 0, IOVA, "again", true);
	read_record(f, &rec);
	respond(f, &rec, IOMMUFD_PAGE_RESP_SUCCESS); /* but nothing was mapped */
	read_record(f, &rec2);			     /* the retry faults again */
	assert_int_equal(rec2.addr, IOVA);
	assert_int_not_equal(rec2.cookie, 0);
	map_page(f, 0, IOVA);
	respond(f, &rec2, IOMMUFD_PAGE_RESP_SUCCESS);
	dma_join(&j);
	assert_int_equal(j.rc, 0);
	assert_string_equal((char *)f->mem, "again");
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Nobody answers: the wait ends after the timeout; a late answer is dropped. */
static void test_timeout(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault rec;
	struct dma_job j;
	int64_t t0 = ms_now();

	dma_start(&j, f, 0, IOVA, "late", true);
	read_record(f, &rec);
	dma_join(&j);
	assert_int_equal(j.err, EFAULT);
	assert_true(ms_now() - t0 >= atoi(TIMEOUT) - 50);
	respond(f, &rec, IOMMUFD_PAGE_RESP_SUCCESS); /* too late, harmless */
	map_page(f, 0, IOVA);
	T_OK(ioasid_device_dma(f->ctx, f->dev, IOVA, "ok", 3, true));
}

/* The program closes the fd while a DMA waits: the DMA fails well before the timeout. */
static void test_close_fails_waiter(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault rec;
	struct dma_job j;
	int64_t t0;

	dma_start(&j, f, 0, IOVA, "closed", true);
	read_record(f, &rec);
	t0 = ms_now();
	close(f->fault_fd);
	f->fault_fd = -1;
	dma_join(&j);
	assert_int_equal(j.err, EFAULT);
	assert_true(ms_now() - t0 < atoi(TIMEOUT) / 2);
}

/* A PASID on the fault-capable HWPT: its record carries the PASID. */
static void test_pasid(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_pgfault rec;
	struct dma_job j;

	T_OK(ioasid_device_pasid_attach(f->ctx, f->dev, 9, f->hwpt, NULL));
	dma_start(&j, f, 9, IOVA + 2 * SZ_4K, "pasid nine", true);
	read_record(f, &rec);
	assert_true(rec.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(rec.pasid, 9);
	map_page(f, 3, IOVA + 2 * SZ_4K);
	respond(f, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	dma_join(&j);
	assert_int_equal(j.rc, 0);
	assert_string_equal((char *)f->mem + 3 * SZ_4K, "pasid nine");
}

/* No fault queue on the HWPT: the fault comes back at once, nothing on the fd. */
static void test_not_fault_capable(void **state)
{
	struct fix *f = *state;
	struct pollfd p = { .fd = f->fault_fd, .events = POLLIN };
	uint32_t plain = hwpt_alloc(f, f->ioas, 0, 0, 0, NULL, 0);

	T_OK(ioasid_device_replace(f->ctx, f->dev, plain, NULL));
	assert_int_equal(ioasid_device_dma(f->ctx, f->dev, IOVA, "x", 1, true), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(poll(&p, 1, 0), 0);
}

/* A nested HWPT with a fault queue: a stage-1 fault the guest fixes in its own table. */
static void test_nested_stage1(void **state)
{
	struct fix *f = *state;
	const uint64_t b = 7; /* P | RW | US */
	uint64_t iova = GPA_BASE, root = GPA_BASE, l3 = GPA_BASE + SZ_4K, l2 = GPA_BASE + 2 * SZ_4K,
		 l1 = GPA_BASE + 3 * SZ_4K, data = GPA_BASE + 4 * SZ_4K;
	uint64_t *t = (uint64_t *)f->mem, va = UINT64_C(0x200000);
	struct iommu_hwpt_vtd_s1 s1 = { .addr_width = 48, .pgtbl_addr = root };
	struct iommu_hwpt_pgfault rec;
	uint32_t parent, nested;
	struct dma_job j;

	T_OK(t_map(f->ctx, f->ioas, f->mem, 8 * SZ_4K, &iova, T_MAP_FIXED));
	parent = hwpt_alloc(f, f->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0);
	nested = hwpt_alloc(f, parent, 0, f->fault_id, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1));
	T_OK(ioasid_device_replace(f->ctx, f->dev, nested, NULL));
	/* the tables down to level 1; the leaf is missing */
	t[0] = l3 | b;
	t[512 + 0] = l2 | b;
	t[1024 + 1] = l1 | b; /* va 2M: level-1 index 1 */

	dma_start(&j, f, 0, va + 0x10, "guest fixed it", true);
	read_record(f, &rec);
	assert_int_equal(rec.addr, va);
	t[1536 + 0] = data | b; /* the guest's page-fault handler maps the page */
	respond(f, &rec, IOMMUFD_PAGE_RESP_SUCCESS);
	dma_join(&j);
	assert_int_equal(j.rc, 0);
	assert_string_equal((char *)f->mem + 4 * SZ_4K + 0x10, "guest fixed it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success_after_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_and_refault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_fails_waiter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pasid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_fault_capable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_stage1, setup, teardown),
	};

	setenv("IOASID_IOPF_TIMEOUT_MS", TIMEOUT, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
