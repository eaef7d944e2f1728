/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_limits.h - limits the benchmarks measure in the same run as their figures, shared
 * by the programs that compare against them (daemon_bench, vfio_bench).
 */
#ifndef IOASID_BENCH_LIMITS_H
#define IOASID_BENCH_LIMITS_H

/* CLOCK_MONOTONIC in nanoseconds. */
double bench_now_ns(void);
/*
 * The mean one-byte round trip over a SOCK_SEQPACKET socketpair to an echoing child
 * process, over n trips after 200 to warm up; -1 if a call fails.
 */
double bench_rtt_process_ns(unsigned int n);

#endif
