/* SPDX-License-Identifier: MIT */
/*
 * time.h (internal) - monotonic nanoseconds for timers and stats.
 * clock_gettime(CLOCK_MONOTONIC) is served by the vDSO: no syscall.
 */
#ifndef PP_CORE_TIME_H
#define PP_CORE_TIME_H

#include <stdint.h>
#include <time.h>

#define PP_NSEC_PER_SEC 1000000000ull
#define PP_NSEC_PER_MSEC 1000000ull

static inline uint64_t pp__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * PP_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

#endif
