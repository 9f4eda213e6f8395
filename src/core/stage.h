/* SPDX-License-Identifier: MIT */
/*
 * stage.h (internal) - what a stage is.
 *
 * A stage is a plain function over a burst:
 *
 *     n_out = fn(st, pkts, n, out);
 *
 * It takes ownership of pkts[0..n). Each skb either goes to out[] (to the next
 * stage), is held by the stage (a neighbour's pending queue, a qdisc band),
 * or is dropped with pp_stage_drop(), which frees it with a reason and counts
 * it. A stage may also emit skbs of its own (an ARP request, a held skb whose
 * neighbour resolved) as long as it writes at most st->out_cap entries; out
 * never aliases pkts. Stages do not know which transport fed them, nor which
 * thread runs them: the lane's placement decides that and sets st->cache to
 * the pool cache of the thread that runs it.
 */
#ifndef PP_CORE_STAGE_H
#define PP_CORE_STAGE_H

#include <stdbool.h>

#include <pktpipe/stats.h>

#include "core/pool.h"
#include "core/stats.h"

uint64_t pp__tsc(void); /* core/rt.c */

struct pp_stage;

typedef uint16_t (*pp_stage_fn)(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
				struct pp_skb **out);

/* Most entries a stage may write to out[] in one call. */
#define PP_STAGE_OUT_CAP (2 * PP_BURST_MAX)

/* A stage's identity and counters on one lane. Its function is not here:
 * every call names it (pp_stage_call()), so calls are direct. */
struct pp_stage {
	const char *name;		/* const: "udp", "ip", "neigh", "qsel", "qdisc", "tx" */
	void *ctx;			/* const ptr: the stage's state for this lane */
	struct pp_pool_cache *cache;	/* cache of the thread running the stage */
	struct pp_stage_stats *stats;	/* this stage's counters on this lane */
	uint16_t lane;			/* const */
	uint16_t out_cap;		/* const: room in out[] */
};

/* stage.c: pp_stage_drop()'s body, out of line and cold: a drop is an
 * error path, and inlining the pool's free path into every stage's loop
 * only costs the common case registers. */
__attribute__((cold)) void pp__stage_drop(struct pp_stage *st, struct pp_skb *skb,
					  enum pp_drop_reason why);

/* Free @skb with @why and count it against the stage. */
static inline void pp_stage_drop(struct pp_stage *st, struct pp_skb *skb, enum pp_drop_reason why)
{
	pp__stage_drop(st, skb, why);
}

/* Count a burst entering the stage (packets, bytes, burst-size histogram). */
static inline void pp_stage_count_in(struct pp_stage *st, struct pp_skb *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;

	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->len;
	PP_STAT_ADD(st->stats->packets, n);
	PP_STAT_ADD(st->stats->bytes, bytes);
	PP_STAT_ADD(st->stats->bursts[pp_burst_bucket(n)], 1);
}

/*
 * pp_stage_call() - run stage @s (whose function is @fn, named so that the
 * call is direct and inlinable across files with LTO) on a burst, timing it
 * into s->stats->ns when @timed. Stages count their own input
 * (pp_stage_count_in): only they know what they were handed.
 */
static inline uint16_t pp_stage_call(struct pp_stage *s, pp_stage_fn fn, struct pp_skb **in,
				     uint16_t n, struct pp_skb **out, bool timed)
{
	uint16_t r;

	if (!n)
		return 0;
	if (PP_UNLIKELY(timed)) {
		uint64_t t0 = pp__tsc();

		r = fn(s, in, n, out);
		PP_STAT_ADD(s->stats->ns, pp__tsc() - t0);
		return r;
	}
	return fn(s, in, n, out);
}

#endif /* PP_CORE_STAGE_H */
