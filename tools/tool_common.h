/* SPDX-License-Identifier: MIT */
/*
 * tool_common.h - what every pktpipe tool needs besides the library: a stop
 * flag set by SIGINT/SIGTERM (the tool then destroys its stack, which
 * detaches the XDP program), and a monotonic clock in seconds.
 */
#ifndef PP_TOOL_COMMON_H
#define PP_TOOL_COMMON_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

static atomic_bool stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

/* Route SIGINT and SIGTERM to stop_flag. */
static inline void stop_on_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
