/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ushare.c - per-user fair shares of a pool (ushare.h): a list of (user, units held), an
 * entry made at a user's first charge and dropped when it holds nothing again.
 */
#include "util/ushare.h"

#include <errno.h>
#include <stdlib.h>

struct ushare_user {
	struct ushare_user *next;
	int64_t uid;
	uint64_t held;
};

static struct ushare_user **find(struct ushare *s, int64_t uid)
{
	struct ushare_user **pp;

	for (pp = &s->users; *pp && (*pp)->uid != uid; pp = &(*pp)->next)
		;
	return pp;
}

int ushare_charge(struct ushare *s, int64_t uid, uint64_t n, uint64_t cap, uint64_t used,
		  bool enforce)
{
	struct ushare_user **pp = find(s, uid), *u = *pp;
	uint64_t held = u ? u->held : 0;

	/* what uid holds after <= what stays free after */
	if (!n)
		return 0;
	if (enforce && (used > cap || n > cap - used || held + n > cap - used - n))
		return -ENOMEM;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->uid = uid;
		*pp = u;
	}
	u->held += n;
	return 0;
}

void ushare_uncharge(struct ushare *s, int64_t uid, uint64_t n)
{
	struct ushare_user **pp = find(s, uid), *u = *pp;

	if (!u)
		return;
	u->held -= n;
	if (!u->held) {
		*pp = u->next;
		free(u);
	}
}

uint64_t ushare_held(const struct ushare *s, int64_t uid)
{
	for (const struct ushare_user *u = s->users; u; u = u->next)
		if (u->uid == uid)
			return u->held;
	return 0;
}
