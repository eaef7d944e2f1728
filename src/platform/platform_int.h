/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * platform_int.h - the platform module's own: what platform.c (the default platform,
 * names, writing, comparing) and platform_ini.c (the file parser) share.
 */
#ifndef IOASID_PLATFORM_PLATFORM_INT_H
#define IOASID_PLATFORM_PLATFORM_INT_H

#include "platform/platform.h"

/* The longest line the file format accepts (libinih's default buffer less "\r\n\0"). */
#define PLATFORM_LINE_MAX 197

/* A platform with room for PLATFORM_MAX_IOMMUS and PLATFORM_MAX_DEVICES, all zero. */
struct platform *platform_alloc(void);

/* Whether format is a page-table variant an IOMMU of kind may use. */
bool platform_kind_takes_format(enum platform_iommu_kind kind, const char *format);

/* The device models a [device] section may name ("none", "ioat"). */
bool platform_model_known(const char *model);

#endif
