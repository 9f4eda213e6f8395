/* SPDX-License-Identifier: MIT */
/*
 * tool_common.h - what every pktpipe tool needs besides the library: a stop
 * flag set by SIGINT/SIGTERM (the tool then destroys its stack, which
 * detaches the XDP program), a monotonic clock in seconds, and the stack's
 * counters read by name (pktpipe/stats.h) with the drop lines every tool
 * prints, the per-stage table (text and JSON), and the parsers of the
 * options every tool that opens a stack takes (--ip, --neigh, --dst).
 */
#ifndef PP_TOOL_COMMON_H
#define PP_TOOL_COMMON_H

#include <arpa/inet.h>
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

struct tool_json_reasons {
	FILE *f;
	bool first;
};

static inline void tool_json_reason_one(void *arg, const char *reason, uint64_t n)
{
	struct tool_json_reasons *j = arg;

	fprintf(j->f, "%s\"%s\": %" PRIu64, j->first ? "" : ", ", reason, n);
	j->first = false;
}

static inline void tool_text_reason(void *arg, const char *reason, uint64_t n)
{
	fprintf(arg, " %s=%" PRIu64, reason, n);
}

/*
 * The per-stage table as pp-udpgen prints it: with @json, the JSON array
 * (no key) of {"name", "packets", "drops", "ns_per_packet", "drop_reasons"}
 * objects; otherwise one line per stage under a header.
 */
static inline void tool_print_stages(FILE *f, const struct tool_stats *s, bool json)
{
	char stage[PP_STAT_NAME_LEN];

	if (json) {
		fprintf(f, "[");
		for (int i = tool_stage_next(s, 0), k = 0; i >= 0; i = tool_stage_next(s, i + 1), k++) {
			uint64_t pk = s->v[i];
			struct tool_json_reasons j = {.f = f, .first = true};

			tool_stage_name(s, i, stage, sizeof(stage));
			double ns = pk ? (double)tool_stage_stat(s, stage, "ns") / (double)pk : 0;

			fprintf(f, "%s{\"name\": \"%s\", \"packets\": %" PRIu64 ", \"drops\": %" PRIu64
				   ", \"ns_per_packet\": %.2f, \"drop_reasons\": {",
				k ? ", " : "", stage, pk, tool_stage_stat(s, stage, "drops"), ns);
			tool_stage_drops_each(s, stage, tool_json_reason_one, &j);
			fprintf(f, "}}");
		}
		fprintf(f, "]");
		return;
	}
	fprintf(f, "%-11s %14s %10s %9s  %s\n", "stage", "packets", "drops", "ns/pkt", "drop reasons");
	for (int i = tool_stage_next(s, 0); i >= 0; i = tool_stage_next(s, i + 1)) {
		uint64_t pk = s->v[i];

		tool_stage_name(s, i, stage, sizeof(stage));
		fprintf(f, "%-11s %14" PRIu64 " %10" PRIu64 " %9.2f ", stage, pk,
			tool_stage_stat(s, stage, "drops"),
			pk ? (double)tool_stage_stat(s, stage, "ns") / (double)pk : 0.0);
		tool_stage_drops_each(s, stage, tool_text_reason, f);
		fprintf(f, "\n");
	}
}

/* "198.18.0.1" -> network order. Return: 0 or -1. */
static inline int tool_parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

/* "02:00:00:00:00:01". Return: 0 or -1. */
static inline int tool_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* "ADDR[/PREFIX]" (prefix 24 when absent). Return: 0 or -1. */
static inline int tool_parse_ip_prefix(const char *s, uint32_t *ip, uint8_t *prefix)
{
	char buf[64], *slash, *end;
	unsigned long p = 24;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		p = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || p > 32)
			return -1;
	}
	if (tool_parse_ip(buf, ip))
		return -1;
	*prefix = (uint8_t)p;
	return 0;
}

/* "IP:PORT", port 1..65535 (host order out). Return: 0 or -1. */
static inline int tool_parse_ip_port(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64], *colon, *end;
	unsigned long p;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p == 0 || p > 65535 || tool_parse_ip(buf, ip))
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* "IP=MAC" (--neigh). Return: 0 or -1. */
static inline int tool_parse_neigh(const char *s, uint32_t *ip, uint8_t mac[6])
{
	char buf[64], *eq;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	eq = strchr(buf, '=');
	if (!eq)
		return -1;
	*eq = 0;
	return tool_parse_ip(buf, ip) || tool_parse_mac(eq + 1, mac) ? -1 : 0;
}

/* A positive number of seconds (--seconds, --timeout). Return: 0 or -1. */
static inline int tool_parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

/*
 * A byte count with an optional binary suffix: "32M" = 32 MiB, "10K",
 * "1G", or plain digits. Return: 0 or -1 (zero, junk, overflow).
 */
static inline int tool_parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end && end[1])
		return -1;
	if (!v || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

#endif
