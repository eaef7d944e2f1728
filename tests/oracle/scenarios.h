/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scenarios.h - the oracle's named scenarios (scenarios.c) and random sequences (random.c),
 * as main.c runs them.
 */
#ifndef ORACLE_SCENARIOS_H
#define ORACLE_SCENARIOS_H

#include <stdint.h>

struct scenario {
	const char *name;
	void (*run)(void);
};

/* NULL-terminated */
extern const struct scenario scenarios[];

/*
 * Run the random sequence of `ncalls` calls made from `seed`. keep: NULL for every call,
 * else a bitmap of the call indices to run (the others are skipped, the rest unchanged).
 */
void random_sequence(uint64_t seed, unsigned int ncalls, const uint8_t *keep);

#endif
