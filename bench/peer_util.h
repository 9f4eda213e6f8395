/* SPDX-License-Identifier: MIT */
/*
 * peer_util.h - what the kernel-side benchmark peers (udp_rtt.c,
 * tcp_kpeer.c) share: the monotonic clock in microseconds and the
 * comparison their percentiles sort with.
 */
#ifndef PP_BENCH_PEER_UTIL_H
#define PP_BENCH_PEER_UTIL_H

#include <time.h>

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif /* PP_BENCH_PEER_UTIL_H */
