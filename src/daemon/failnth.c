/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * failnth.c - the kernel's fail-nth for the daemon's allocations.
 *
 * ioasidd is linked with --wrap for malloc, calloc and realloc, so every allocation made by
 * the daemon's own objects and by the core library it links goes through here. The
 * allocator of libc itself and of other libraries is not affected. A countdown, per thread
 * (one thread serves one connection), is armed by failnth_arm() only while an IOCTL_NTH
 * request is being served: each allocation takes one off it, and the one that brings it
 * to zero returns NULL, as the kernel's should_fail() fails the allocation that brings the
 * task's fail_nth to zero. failnth_disarm() returns what is left (0 once it fired). The
 * page-table pages of the core's arenas count too (pt_arena_fail_hook, set by
 * failnth_init()), as the kernel's page-table allocations are fail_page_alloc points.
 */
#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "pt/pt_arena.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static __thread unsigned int countdown; /* 0: not armed, or fired */

void failnth_arm(unsigned int nth)
{
	countdown = nth;
}

unsigned int failnth_disarm(void)
{
	unsigned int left = countdown;

	countdown = 0;
	return left;
}

static bool fail_now(void)
{
	if (!countdown)
		return false;
	return --countdown == 0;
}

void failnth_init(void)
{
	pt_arena_fail_hook = fail_now;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	/* realloc(p, 0) frees: never a failure point */
	if (p && !size)
		return __real_realloc(p, size);
	return fail_now() ? NULL : __real_realloc(p, size);
}
