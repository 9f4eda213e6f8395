/* SPDX-License-Identifier: MIT */
/*
 * stats.h (internal) - the per-stage, per-lane counters behind the named
 * counters of pktpipe/stats.h.
 *
 * They used to be public (struct pp_stage_stats inside a fixed struct
 * pp_stack_stats), which made every new stage or drop reason an ABI break;
 * readers now go through pp_stack_stats_names()/_read() and this layout is
 * free to change. The pp_stage_stats_* helpers keep their old names but are
 * no longer exported (src/libpktpipe.map).
 */
#ifndef PP_CORE_STATS_H
#define PP_CORE_STATS_H

#include <stdalign.h>
#include <stdint.h>

#include <pktpipe/common.h>
#include <pktpipe/stats.h>

/** Burst-size histogram buckets: 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64-127, 128+. */
#define PP_BURST_HIST 8

/**
 * struct pp_stage_stats - counters of one stage on one lane; one writer.
 * @packets: skbs the stage handled (in).
 * @bytes: their bytes.
 * @drops: skbs it dropped, by reason.
 * @bursts: calls with at least one skb, by burst size (see PP_BURST_HIST).
 * @ring_occ: sum of the input ring's occupancy seen at each call (divide by
 *	      the sum of @bursts for the mean).
 * @ns: time spent in the stage, when the lane measures it (0 otherwise).
 */
struct pp_stage_stats {
	alignas(PP_CACHE_LINE) uint64_t packets;
	uint64_t bytes;
	uint64_t ns;
	uint64_t ring_occ;
	uint64_t bursts[PP_BURST_HIST];
	uint64_t drops[PP_DROP_MAX];
};

/** pp_burst_bucket() - histogram bucket of a burst of @n (n >= 1). */
static inline unsigned int pp_burst_bucket(uint32_t n)
{
	unsigned int b = 31u - (unsigned int)__builtin_clz(n | 1u);

	return b < PP_BURST_HIST ? b : PP_BURST_HIST - 1;
}

/** pp__burst_bucket_name() - "1", "2-3", ..., "128+"; NULL out of range. */
const char *pp__burst_bucket_name(unsigned int bucket);

/**
 * pp_stage_stats_add() - add @src into @dst (for totals over lanes).
 * Context: any; reads @src with relaxed loads.
 */
void pp_stage_stats_add(struct pp_stage_stats *dst, const struct pp_stage_stats *src);

/** pp_stage_stats_drops() - sum of all drop counters of @s. */
uint64_t pp_stage_stats_drops(const struct pp_stage_stats *s);

#endif /* PP_CORE_STATS_H */
