/* SPDX-License-Identifier: MIT */
/*
 * tool_common.h - what every pktpipe tool needs besides the library: a stop
 * flag set by SIGINT/SIGTERM (the tool then destroys its stack, which
 * detaches the XDP program), and a monotonic clock in seconds.
 */
#ifndef PP_TOOL_COMMON_H
#define PP_TOOL_COMMON_H

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <pktpipe/stack.h>
#include <pktpipe/stats.h>

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

/*
 * Print every non-zero drop counter of @s as "  stage reason count" lines to
 * @f, the transmit stages (udp .. completion) only when @tx_only. Return: the
 * sum printed.
 */
static inline uint64_t tool_print_drops(FILE *f, const char *prog,
					const struct pp_stack_stats *s, bool tx_only)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < PP_STAGE_MAX; i++) {
		if (tx_only && i > PP_STAGE_COMPLETION)
			continue;
		for (unsigned int r = 0; r < PP_DROP_MAX; r++) {
			if (!s->stage[i].drops[r])
				continue;
			fprintf(f, "%s: %s stage dropped %" PRIu64 " (%s)\n", prog, pp_stage_name(i),
				s->stage[i].drops[r], pp_drop_reason_name(r));
			sum += s->stage[i].drops[r];
		}
	}
	return sum;
}

#endif
