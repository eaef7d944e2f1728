/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel versions as one number: (major << 8) | minor, so 6.12 is 0x060c and versions compare
 * as integers. Where two Linux releases answer the same call differently, a program may say
 * which one it was written for (IOASID_KERNEL_ABI=6.12); 0 means "the newest we know".
 *
 * Knows nothing of ioasid beyond the encoding; header-only so the protocol library, the core
 * and the tools share it without a link dependency.
 */
#ifndef IOASID_UTIL_KVER_H
#define IOASID_UTIL_KVER_H

#include <stdint.h>
#include <stdlib.h>

#define KVER(major, minor) ((uint32_t)(major) << 8 | (uint32_t)(minor))

/*
 * Parse "MAJOR.MINOR" (each 1-255; a third part such as ".117" is allowed and ignored).
 * 0 and *out set, or -1 for anything else (out untouched).
 */
static inline int kver_parse(const char *s, uint32_t *out)
{
	unsigned long major, minor;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	major = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	minor = strtoul(end + 1, &end, 10);
	if (*end == '.') {
		end++;
		if (*end < '0' || *end > '9')
			return -1;
		strtoul(end, &end, 10);
	}
	if (*end || !major || major > 255 || minor > 255)
		return -1;
	*out = KVER(major, minor);
	return 0;
}

/* $IOASID_KERNEL_ABI as a version; 0 when unset or not a version. */
static inline uint32_t kver_from_env(void)
{
	uint32_t v = 0;

	if (kver_parse(getenv("IOASID_KERNEL_ABI"), &v))
		return 0;
	return v;
}

#endif
