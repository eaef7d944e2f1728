/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dispatch.c - the dispatcher's size and errno rules, and object lifetime.
 *
 * Every case here is a rule a program written for the kernel relies on: ENOTTY for numbers
 * that are not ours, EINVAL below the first version's size, E2BIG for a non-zero tail we do
 * not understand, zero-extension of short structs, EFAULT for bad pointers, replies that
 * never write past `size`, IDs that only appear once an object is complete.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

static int setup(void **state)
{
	struct ioasid_ctx *ctx;

	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	ioasid_ctx_free(*state);
	return 0;
}

static void unknown_numbers(void **state)
{
	struct ioasid_ctx *ctx = *state;
	uint64_t buf[8] = { 8 * 8 };

	/* past the table, below it, and a known nr with the wrong type bits */
	T_ERR(ENOTTY, t_ioctl(ctx, _IO(IOMMUFD_TYPE, 0xff), buf));
	T_ERR(ENOTTY, t_ioctl(ctx, _IO(IOMMUFD_TYPE, 0x10), buf));
	T_ERR(ENOTTY, t_ioctl(ctx, _IOW(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC, int), buf));
	T_ERR(ENOTTY, t_ioctl(ctx, _IO('x', IOMMUFD_CMD_IOAS_ALLOC), buf));
}

static void size_rules(void **state)
{
	struct ioasid_ctx *ctx = *state;
	struct {
		struct iommu_ioas_alloc a;
		uint8_t tail[52];
	} big;

	/* below the first version */
	memset(&big, 0, sizeof(big));
	big.a.size = offsetof(struct iommu_ioas_alloc, out_ioas_id);
	T_ERR(EINVAL, t_ioctl(ctx, IOMMU_IOAS_ALLOC, &big));
	big.a.size = 0;
	T_ERR(EINVAL, t_ioctl(ctx, IOMMU_IOAS_ALLOC, &big));

	/* longer with a non-zero tail: E2BIG, and nothing created */
	big.a.size = sizeof(big);
	big.tail[51] = 1;
	T_ERR(E2BIG, t_ioctl(ctx, IOMMU_IOAS_ALLOC, &big));
	assert_int_equal(idt_count(ctx->objects), 0);

	/* longer with a zero tail: accepted, the tail untouched */
	big.tail[51] = 0;
	T_OK(t_ioctl(ctx, IOMMU_IOAS_ALLOC, &big));
	assert_int_equal(big.a.out_ioas_id, 1);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		assert_int_equal(big.tail[i], 0);
}

static void reply_stays_within_size(void **state)
{
	struct ioasid_ctx *ctx = *state;
	uint8_t raw[64];
	struct iommu_ioas_alloc *a = (void *)raw;
	uint32_t id;

	/* a shorter IOVA_RANGES is refused before anything is written past it */
	memset(raw, 0xaa, sizeof(raw));
	a->size = sizeof(*a);
	a->flags = 0;
	T_OK(t_ioctl(ctx, IOMMU_IOAS_ALLOC, raw));
	for (size_t i = sizeof(*a); i < sizeof(raw); i++)
		assert_int_equal(raw[i], 0xaa);
	id = a->out_ioas_id;

	/* IOMMU_OPTION writes back only val64, not the rest of the struct */
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = id,
	};
	T_OK(t_ioctl(ctx, IOMMU_OPTION, &opt));
	assert_int_equal(opt.val64, 1);
	assert_int_equal(opt.object_id, id);
}

static void bad_pointers(void **state)
{
	struct ioasid_ctx *ctx = *state;
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ERR(EFAULT, t_ioctl(ctx, IOMMU_IOAS_ALLOC, NULL));
	T_ERR(EFAULT, t_ioctl(ctx, IOMMU_IOAS_ALLOC, (void *)16));
	T_ERR(EFAULT, t_ioctl(ctx, IOMMU_IOAS_ALLOC, page));
	/* a struct straddling the end of readable memory */
	munmap(page, 4096);
}

/* The reply cannot be written: the object must vanish and its ID be reused. */
static void failed_reply_aborts_object(void **state)
{
	struct ioasid_ctx *ctx = *state;
	struct iommu_ioas_alloc *a;
	uint32_t id;
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	a = (void *)page;
	a->size = sizeof(*a);
	a->flags = 0;
	a->out_ioas_id = 0;
	mprotect(page, 4096, PROT_READ);
	T_ERR(EFAULT, t_ioctl(ctx, IOMMU_IOAS_ALLOC, a));
	assert_int_equal(idt_count(ctx->objects), 0);
	T_OK(t_ioas_alloc(ctx, &id));
	assert_int_equal(id, 1);
	munmap(page, 4096);
}

static void flags_and_reserved(void **state)
{
	struct ioasid_ctx *ctx = *state;
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };
	struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .__reserved = 1 };
	struct iommu_option o = { .size = sizeof(o), .option_id = 99, .op = IOMMU_OPTION_OP_GET };

	T_ERR(EOPNOTSUPP, t_ioctl(ctx, IOMMU_IOAS_ALLOC, &a));
	T_ERR(EOPNOTSUPP, t_ioctl(ctx, IOMMU_IOAS_IOVA_RANGES, &r));
	T_ERR(EOPNOTSUPP, t_ioctl(ctx, IOMMU_OPTION, &o));
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.__reserved = 1;
	T_ERR(EOPNOTSUPP, t_ioctl(ctx, IOMMU_OPTION, &o));
	assert_int_equal(idt_count(ctx->objects), 0);
}

static void destroy_rules(void **state)
{
	struct ioasid_ctx *ctx = *state;
	struct iommu_destroy d = { .size = sizeof(d) };
	uint32_t a, b, c;

	T_OK(t_ioas_alloc(ctx, &a));
	T_OK(t_ioas_alloc(ctx, &b));
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	d.id = 99;
	T_ERR(ENOENT, t_ioctl(ctx, IOMMU_DESTROY, &d));
	d.id = 0;
	T_ERR(ENOENT, t_ioctl(ctx, IOMMU_DESTROY, &d));
	d.id = a;
	T_OK(t_ioctl(ctx, IOMMU_DESTROY, &d));
	T_ERR(ENOENT, t_ioctl(ctx, IOMMU_DESTROY, &d));
	/* the lowest free ID is reused */
	T_OK(t_ioas_alloc(ctx, &c));
	assert_int_equal(c, a);

	/* an object in use by another cannot be destroyed */
	struct obj *obj = obj_get(ctx, b, OBJ_IOAS);
	assert_non_null(obj);
	obj_ref(obj);
	obj_put(obj);
	d.id = b;
	T_ERR(EBUSY, t_ioctl(ctx, IOMMU_DESTROY, &d));
	obj_unref(obj);
	T_OK(t_ioctl(ctx, IOMMU_DESTROY, &d));
	/* wrong type lookups miss */
	assert_null(obj_get(ctx, c, OBJ_HWPT_PAGING));
}

static void vfio_ioas(void **state)
{
	struct ioasid_ctx *ctx = *state;
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_destroy d = { .size = sizeof(d) };
	uint32_t id;

	T_ERR(ENODEV, t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	T_OK(t_ioas_alloc(ctx, &id));
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = id + 1;
	T_ERR(ENOENT, t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	v.ioas_id = id;
	T_OK(t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	v.op = IOMMU_VFIO_IOAS_GET;
	v.ioas_id = 0;
	T_OK(t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	assert_int_equal(v.ioas_id, id);
	v.op = 7;
	T_ERR(EOPNOTSUPP, t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
	/* destroying the compat IOAS clears it */
	d.id = id;
	T_OK(t_ioctl(ctx, IOMMU_DESTROY, &d));
	v.op = IOMMU_VFIO_IOAS_GET;
	T_ERR(ENODEV, t_ioctl(ctx, IOMMU_VFIO_IOAS, &v));
}

static void close_frees_everything(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx;
	uint32_t ids[16];
	char *buf = aligned_alloc(4096, 16 * 4096);

	assert_int_equal(ioasid_ctx_new(NULL, &ctx), 0);
	for (int i = 0; i < 16; i++) {
		uint64_t iova = 0;

		T_OK(t_ioas_alloc(ctx, &ids[i]));
		T_OK(t_map(ctx, ids[i], buf + i * 4096, 4096, &iova, T_MAP_RW));
	}
	/* ASan's leak check proves the rest */
	ioasid_ctx_free(ctx);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unknown_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(size_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(reply_stays_within_size, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_reply_aborts_object, setup, teardown),
		cmocka_unit_test_setup_teardown(flags_and_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(vfio_ioas, setup, teardown),
		cmocka_unit_test(close_frees_everything),
	};

	return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
}
