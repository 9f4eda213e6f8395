/* SPDX-License-Identifier: MIT */
/*
 * time.h (internal) - monotonic nanoseconds for timers and stats.
 * clock_gettime(CLOCK_MONOTONIC) is served by the vDSO: no syscall.
 *
 * Tests, fuzz targets and the wire NIC's impairments can run on a fake clock:
 * pp__clock_set_fake(ns) with ns != 0 makes every pp__now_ns() in the process
 * return ns until it is moved on (pp__clock_advance()) or cleared (0). The
 * real clock costs one predictable branch more. Nothing sets it in a server.
 */
#ifndef PP_CORE_TIME_H
#define PP_CORE_TIME_H

#include <stdint.h>
#include <time.h>

#define PP_NSEC_PER_SEC 1000000000ull
#define PP_NSEC_PER_MSEC 1000000ull
#define PP_NSEC_PER_USEC 1000ull

/* 0: real time; else the fake "now" (written by the test's thread, read by any) */
extern uint64_t pp__clock_fake_ns;

/* pp__mono_ns() - the real monotonic clock, whatever the fake one says: for
 * what paces threads against the kernel and each other (a service thread's
 * idle spin, an AF_XDP rescue kick), which must move in tests too. */
static inline uint64_t pp__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * PP_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline uint64_t pp__now_ns(void)
{
	uint64_t fake = __atomic_load_n(&pp__clock_fake_ns, __ATOMIC_RELAXED);

	if (__builtin_expect(fake != 0, 0))
		return fake;
	return pp__mono_ns();
}

/* pp__clock_set_fake() - run the process on fake time @ns (0: real time again). */
static inline void pp__clock_set_fake(uint64_t ns)
{
	__atomic_store_n(&pp__clock_fake_ns, ns, __ATOMIC_RELAXED);
}

/* pp__clock_advance() - move the fake clock on by @ns (no-op on real time). */
static inline void pp__clock_advance(uint64_t ns)
{
	uint64_t f = __atomic_load_n(&pp__clock_fake_ns, __ATOMIC_RELAXED);

	if (f)
		__atomic_store_n(&pp__clock_fake_ns, f + ns, __ATOMIC_RELAXED);
}

#endif
