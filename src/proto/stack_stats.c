// SPDX-License-Identifier: MIT
/*
 * stack_stats.c - the stack's counters by name (pktpipe/stats.h):
 * pp_stack_stats_names(), pp_stack_stats_read(), pp_stack_stat_get().
 *
 * cf. DPDK's rte_eth_xstats_get_names() / rte_eth_xstats_get() and the
 * kernel's ethtool get_strings() / get_ethtool_stats() pair: the names are
 * a pure function of the stack's shape (its lane count) and the build's
 * stages and drop reasons, so they never need storing: index i is decoded
 * into (global | lane, stage, field) arithmetically, in the same order for
 * names and values. A new stage or drop reason only adds names.
 *
 * Values come from one pp__stack_stats_snapshot() per call (allocated: this
 * is the control path).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/stack_priv.h"
#include "proto/stack_stats.h"

/* Stack-wide counters, first in the list. */
static const struct {
	const char *name;
	size_t off;	/* in struct pp_stack_stats */
	size_t size;	/* 2 or 8 */
} globals[] = {
#define G(n, f) {n, offsetof(struct pp_stack_stats, f), sizeof(((struct pp_stack_stats *)0)->f)}
	G("stack.nlanes", nlanes),
	G("stack.ntxq", ntxq),
	G("stack.tsc_hz", tsc_hz),
	G("pool.nframes", pool_nframes),
	G("pool.allocs", pool_allocs),
	G("pool.frees", pool_frees),
	G("pool.in_use", pool_in_use),
	G("pool.alloc_fail", pool_alloc_fail),
	G("pool.bad_free", pool_bad_free),
	G("nic.tx_packets", nic_tx_packets),
	G("nic.tx_bytes", nic_tx_bytes),
	G("nic.tx_completed", nic_tx_completed),
	G("nic.tx_kicks", nic_tx_kicks),
	G("nic.rx_packets", nic_rx_packets),
	G("qdisc.bypass", qdisc_bypass),
	G("qdisc.backlog", qdisc_backlog),
	G("completion.reaped", compl_reaped),
	G("completion.sleeps", compl_sleeps),
#define T(f, k) G("tcp." #f, tcp.f),
	PP_TCP_MIB_LIST(T)
#undef T
#undef G
};
#define NG (sizeof(globals) / sizeof(globals[0]))

/* Fields of one stage row: packets, bytes, ns, ring_occ, bursts.<bucket>...,
 * drops, drops.<reason>... (every reason but PP_DROP_NONE). */
enum {
	F_PACKETS,
	F_BYTES,
	F_NS,
	F_RING_OCC,
	F_BURSTS,			 /* PP_BURST_HIST of them */
	F_DROPS = F_BURSTS + PP_BURST_HIST, /* the sum */
	F_DROP1,			 /* reason 1 .. PP_DROP_MAX - 1 */
	NF = F_DROP1 + PP_DROP_MAX - 1,
};

static unsigned int stats_count(unsigned int nlanes)
{
	return (unsigned int)NG + PP_STAGE_MAX * NF * (1 + nlanes);
}

/* Suffix of field @f ("packets", "bursts.2-3", "drops.no_route"). */
static void field_name(unsigned int f, char *buf, size_t len)
{
	static const char *const base[] = {"packets", "bytes", "ns", "ring_occ"};

	if (f < F_BURSTS)
		snprintf(buf, len, "%s", base[f]);
	else if (f < F_DROPS)
		snprintf(buf, len, "bursts.%s", pp__burst_bucket_name(f - F_BURSTS));
	else if (f == F_DROPS)
		snprintf(buf, len, "drops");
	else
		snprintf(buf, len, "drops.%s", pp_drop_reason_name(f - F_DROP1 + 1));
}

static uint64_t field_value(const struct pp_stage_stats *g, unsigned int f)
{
	switch (f) {
	case F_PACKETS:
		return g->packets;
	case F_BYTES:
		return g->bytes;
	case F_NS:
		return g->ns;
	case F_RING_OCC:
		return g->ring_occ;
	case F_DROPS:
		return pp_stage_stats_drops(g);
	default:
		return f < F_DROPS ? g->bursts[f - F_BURSTS] : g->drops[f - F_DROP1 + 1];
	}
}

/* Index @i past the globals -> lane (-1: summed over lanes), stage, field. */
static void decode(unsigned int i, int *lane, unsigned int *stage, unsigned int *f)
{
	unsigned int row = i / NF;

	*f = i % NF;
	*stage = row % PP_STAGE_MAX;
	*lane = (int)(row / PP_STAGE_MAX) - 1;
}

/* Name of index @i. Return: its length; >= @len if it did not fit (the
 * longest, "lane31.completion.drops.neigh_queue_full", has 40 characters;
 * test_stats checks every name of a stack of PP_LANES_MAX lanes). */
static int name_at(unsigned int i, char *buf, size_t len)
{
	char fld[PP_STAT_NAME_LEN];
	unsigned int s, f;
	int lane;

	if (i < NG)
		return snprintf(buf, len, "%s", globals[i].name);
	decode(i - (unsigned int)NG, &lane, &s, &f);
	field_name(f, fld, sizeof(fld));
	if (lane < 0)
		return snprintf(buf, len, "%s.%s", pp__stage_name(s), fld);
	return snprintf(buf, len, "lane%d.%s.%s", lane, pp__stage_name(s), fld);
}

static uint64_t value_at(const struct pp_stack_stats *ss, unsigned int i)
{
	unsigned int s, f;
	int lane;

	if (i < NG) {
		const char *p = (const char *)ss + globals[i].off;
		uint16_t v16;
		uint64_t v64;

		if (globals[i].size == sizeof(v16)) {
			memcpy(&v16, p, sizeof(v16));
			return v16;
		}
		memcpy(&v64, p, sizeof(v64));
		return v64;
	}
	decode(i - (unsigned int)NG, &lane, &s, &f);
	return field_value(lane < 0 ? &ss->stage[s] : &ss->lane_stage[lane][s], f);
}

static struct pp_stack_stats *snapshot(struct pp_stack *st)
{
	struct pp_stack_stats *ss = aligned_alloc(PP_CACHE_LINE, sizeof(*ss));

	if (ss && pp__stack_stats_snapshot(st, ss)) {
		free(ss);
		ss = NULL;
	}
	return ss;
}

int pp_stack_stats_names(struct pp_stack *st, struct pp_stat_name *names, unsigned int n)
{
	unsigned int cnt;

	if (!st || (!names && n))
		return -EINVAL;
	cnt = stats_count(st->nlanes);
	if (n < cnt)
		return (int)cnt;
	for (unsigned int i = 0; i < cnt; i++)
		if (name_at(i, names[i].name, sizeof(names[i].name)) >= PP_STAT_NAME_LEN)
			return -ENAMETOOLONG; /* a stage or reason name grew too long */
	return (int)cnt;
}

int pp_stack_stats_read(struct pp_stack *st, uint64_t *values, unsigned int n)
{
	struct pp_stack_stats *ss;
	unsigned int cnt;

	if (!st || (!values && n))
		return -EINVAL;
	cnt = stats_count(st->nlanes);
	if (n < cnt)
		return (int)cnt;
	ss = snapshot(st);
	if (!ss)
		return -ENOMEM;
	for (unsigned int i = 0; i < cnt; i++)
		values[i] = value_at(ss, i);
	free(ss);
	return (int)cnt;
}

/* Index of @name in the list, or -ENOENT. Parsed, not searched: a
 * by-name read should not format ten thousand names to find one. */
static int index_of(const struct pp_stack *st, const char *name)
{
	char fld[PP_STAT_NAME_LEN];
	unsigned int lane = 0, s;
	bool per_lane = false;
	const char *p = name, *dot;

	for (unsigned int i = 0; i < NG; i++)
		if (!strcmp(name, globals[i].name))
			return (int)i;
	if (!strncmp(p, "lane", 4) && p[4] >= '0' && p[4] <= '9') {
		/* decimal, no leading zero: "lane01" is not a name we give */
		p += 4;
		if (*p == '0' && p[1] != '.')
			return -ENOENT;
		for (; *p >= '0' && *p <= '9'; p++) {
			lane = lane * 10 + (unsigned int)(*p - '0');
			if (lane >= st->nlanes)
				return -ENOENT;
		}
		if (*p++ != '.')
			return -ENOENT;
		per_lane = true;
	}
	dot = strchr(p, '.');
	if (!dot)
		return -ENOENT;
	for (s = 0; s < PP_STAGE_MAX; s++) {
		const char *sn = pp__stage_name(s);

		if (strlen(sn) == (size_t)(dot - p) && !strncmp(p, sn, (size_t)(dot - p)))
			break;
	}
	if (s == PP_STAGE_MAX)
		return -ENOENT;
	for (unsigned int f = 0; f < NF; f++) {
		field_name(f, fld, sizeof(fld));
		if (!strcmp(dot + 1, fld)) {
			unsigned int row = (per_lane ? 1 + lane : 0) * PP_STAGE_MAX + s;

			return (int)(NG + row * NF + f);
		}
	}
	return -ENOENT;
}

int pp_stack_stat_get(struct pp_stack *st, const char *name, uint64_t *value)
{
	struct pp_stack_stats *ss;
	int i;

	if (!st || !name || !value)
		return -EINVAL;
	i = index_of(st, name);
	if (i < 0)
		return i;
	ss = snapshot(st);
	if (!ss)
		return -ENOMEM;
	*value = value_at(ss, (unsigned int)i);
	free(ss);
	return 0;
}
