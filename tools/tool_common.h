/* SPDX-License-Identifier: MIT */
/*
 * tool_common.h - what every pktpipe tool needs besides the library: a stop
 * flag set by SIGINT/SIGTERM (the tool then destroys its stack, which
 * detaches the XDP program), a monotonic clock in seconds, and the stack's
 * counters read by name (pktpipe/stats.h) with the drop lines every tool
 * prints.
 */
#ifndef PP_TOOL_COMMON_H
#define PP_TOOL_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * The stack's counters, read by name (pktpipe/stats.h): one array of names,
 * one of values, in the same order.
 */
struct tool_stats {
	int n;
	struct pp_stat_name *names;
	uint64_t *v;
};

static inline void tool_stats_free(struct tool_stats *ts)
{
	free(ts->names);
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}

/* Read every counter of @st into @ts (free it with tool_stats_free()).
 * Return: 0 or a negative errno. */
static inline int tool_stats_read(struct pp_stack *st, struct tool_stats *ts)
{
	int n = pp_stack_stats_names(st, NULL, 0);

	memset(ts, 0, sizeof(*ts));
	if (n < 0)
		return n;
	ts->names = calloc((size_t)n, sizeof(*ts->names));
	ts->v = calloc((size_t)n, sizeof(*ts->v));
	if (!ts->names || !ts->v) {
		tool_stats_free(ts);
		return -ENOMEM;
	}
	ts->n = n;
	if (pp_stack_stats_names(st, ts->names, (unsigned int)n) != n ||
	    pp_stack_stats_read(st, ts->v, (unsigned int)n) != n) {
		tool_stats_free(ts);
		return -EIO;
	}
	return 0;
}

/* The counter called @name, 0 if there is none. */
static inline uint64_t tool_stat(const struct tool_stats *ts, const char *name)
{
	for (int i = 0; i < ts->n; i++)
		if (!strcmp(ts->names[i].name, name))
			return ts->v[i];
	return 0;
}

/* tool_stat() of "@stage.@field". */
static inline uint64_t tool_stage_stat(const struct tool_stats *ts, const char *stage,
				       const char *field)
{
	char name[PP_STAT_NAME_LEN];
	int len = snprintf(name, sizeof(name), "%s.%s", stage, field);

	return len > 0 && len < (int)sizeof(name) ? tool_stat(ts, name) : 0;
}

/*
 * The stages, in journey order: from index @i on, the next name that is a
 * stage total's packet count ("ip.packets": one dot, not a lane's row).
 * Return: its index (the stage name is the part before the dot), or -1.
 */
static inline int tool_stage_next(const struct tool_stats *ts, int i)
{
	for (; i < ts->n; i++) {
		const char *nm = ts->names[i].name, *dot = strchr(nm, '.');

		if (dot && !strcmp(dot, ".packets") && strncmp(nm, "lane", 4))
			return i;
	}
	return -1;
}

/* Copy the stage name of the stage total at index @i into @buf. */
static inline const char *tool_stage_name(const struct tool_stats *ts, int i, char *buf,
					  size_t len)
{
	const char *nm = ts->names[i].name;

	snprintf(buf, len, "%.*s", (int)(strchr(nm, '.') - nm), nm);
	return buf;
}

/* The transmit stages are udp .. completion; rx, arp, icmp come after. */
#define TOOL_LAST_TX_STAGE "completion"

/* Sum of the drops of every stage, the transmit ones only when @tx_only. */
static inline uint64_t tool_drops(const struct tool_stats *ts, bool tx_only)
{
	char stage[PP_STAT_NAME_LEN];
	uint64_t sum = 0;

	for (int i = tool_stage_next(ts, 0); i >= 0; i = tool_stage_next(ts, i + 1)) {
		tool_stage_name(ts, i, stage, sizeof(stage));
		sum += tool_stage_stat(ts, stage, "drops");
		if (tx_only && !strcmp(stage, TOOL_LAST_TX_STAGE))
			break;
	}
	return sum;
}

/*
 * Call @fn(@arg, reason, count) for every non-zero "@stage.drops.REASON",
 * in reason order.
 */
static inline void tool_stage_drops_each(const struct tool_stats *ts, const char *stage,
					 void (*fn)(void *arg, const char *reason, uint64_t n),
					 void *arg)
{
	char pfx[2 * PP_STAT_NAME_LEN];
	int len = snprintf(pfx, sizeof(pfx), "%s.drops.", stage);

	if (len <= 0 || len >= (int)sizeof(pfx))
		return;
	for (int i = 0; i < ts->n; i++)
		if (ts->v[i] && !strncmp(ts->names[i].name, pfx, (size_t)len))
			fn(arg, ts->names[i].name + len, ts->v[i]);
}

struct tool_drop_line {
	FILE *f;
	const char *prog, *stage;
	uint64_t sum;
};

static inline void tool_drop_line(void *arg, const char *reason, uint64_t n)
{
	struct tool_drop_line *d = arg;

	fprintf(d->f, "%s: %s stage dropped %" PRIu64 " (%s)\n", d->prog, d->stage, n, reason);
	d->sum += n;
}

/*
 * Print every non-zero drop counter of @ts as "  stage reason count" lines to
 * @f, the transmit stages (udp .. completion) only when @tx_only. Return: the
 * sum printed.
 */
static inline uint64_t tool_print_drops(FILE *f, const char *prog, const struct tool_stats *ts,
					bool tx_only)
{
	char stage[PP_STAT_NAME_LEN];
	struct tool_drop_line d = {.f = f, .prog = prog, .stage = stage};

	for (int i = tool_stage_next(ts, 0); i >= 0; i = tool_stage_next(ts, i + 1)) {
		tool_stage_name(ts, i, stage, sizeof(stage));
		tool_stage_drops_each(ts, stage, tool_drop_line, &d);
		if (tx_only && !strcmp(stage, TOOL_LAST_TX_STAGE))
			break;
	}
	return d.sum;
}

#endif
