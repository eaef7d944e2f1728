/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ushare.h - each user's fair share of a bounded resource that several users draw from.
 *
 * The daemon's clients take emulated physical addresses (region IDs, src/iommu/phys.c) and
 * structure pages (src/iommu/hwctx.c) from one pool per process. A ushare counts what each
 * user holds; the rule, when enforced: a user may hold at most as many units as stay free
 * after its take. One user thus gets at most half of what is free, the next half of the
 * rest, and the last units stay for whoever comes.
 *
 * Locking: none; the owner of the pool calls everything under its own lock.
 */
#ifndef IOASID_UTIL_USHARE_H
#define IOASID_UTIL_USHARE_H

#include <stdbool.h>
#include <stdint.h>

struct ushare_user;
struct ushare {
	struct ushare_user *users; /* one entry per user holding something */
};

/*
 * Charge n units to uid, the pool holding cap units of which used are taken (n not yet
 * among them). With enforce, refused past the fair share or the pool's size. 0 or -ENOMEM.
 */
int ushare_charge(struct ushare *s, int64_t uid, uint64_t n, uint64_t cap, uint64_t used,
		  bool enforce);
/* Give back n units uid was charged. */
void ushare_uncharge(struct ushare *s, int64_t uid, uint64_t n);
/* Units charged to uid now. */
uint64_t ushare_held(const struct ushare *s, int64_t uid);

#endif
