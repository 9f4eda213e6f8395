/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/stats.h - drop reasons and per-stage, per-lane counters.
 *
 * Every skb that leaves the journey early is freed with a reason from enum
 * pp_drop_reason and counted by the stage that dropped it. Counters are
 * written by one thread (the one running the stage) with relaxed atomic
 * stores, and read by anyone with relaxed loads: a snapshot never tears a
 * 64-bit counter and costs the writer a plain add.
 */
#ifndef PKTPIPE_STATS_H
#define PKTPIPE_STATS_H

#include <stdalign.h>
#include <stdint.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Why an skb left the journey (cf. the kernel's enum skb_drop_reason). */
enum pp_drop_reason {
	PP_DROP_NONE = 0,
	PP_DROP_NO_ROUTE,	  /* no route to the destination */
	PP_DROP_NEIGH_FAILED,	  /* neighbour resolution failed */
	PP_DROP_NEIGH_QUEUE_FULL, /* neighbour pending queue full (oldest dropped) */
	PP_DROP_QDISC_FULL,	  /* qdisc over its packet or byte limit */
	PP_DROP_RING_FULL,	  /* next stage's ring full */
	PP_DROP_NO_BUFFER,	  /* no frame to build a packet (e.g. ARP request) */
	PP_DROP_TOO_BIG,	  /* larger than the MTU and may not fragment */
	PP_DROP_TX_ERROR,	  /* the NIC refused or failed the frame */
	PP_DROP_NIC_DOWN,	  /* interface down or NIC stopped */
	PP_DROP_MALFORMED,	  /* RX: header lengths or fields invalid */
	PP_DROP_BAD_CSUM,	  /* RX: checksum wrong */
	PP_DROP_NOT_FOR_US,	  /* RX: other host's address or MAC */
	PP_DROP_NO_SOCKET,	  /* RX: no socket bound to the port */
	PP_DROP_RCVQ_FULL,	  /* RX: socket receive queue full */
	PP_DROP_TTL,		  /* TTL expired */
	PP_DROP_FRAG_TIMEOUT,	  /* RX: reassembly timed out */
	PP_DROP_FRAG_OVERFLOW,	  /* RX: reassembly out of memory or bad fragment */
	PP_DROP_UNSUPPORTED,	  /* protocol or option not handled */
	PP_DROP_SHUTDOWN,	  /* freed at stack destruction while queued */
	PP_DROP_MAX
};

/**
 * pp_drop_reason_name() - short lower-case name of a reason ("no_route").
 * Return: a static string; "unknown" for a value out of range.
 * Context: any.
 */
PP_API const char *pp_drop_reason_name(unsigned int reason);

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

/* One writer: a relaxed load and store compile to a plain add, and readers
 * on other threads never see a torn value. */
#define PP_STAT_ADD(field, v)                                                       \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (v), \
			 __ATOMIC_RELAXED)
#define PP_STAT_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/** pp_burst_bucket() - histogram bucket of a burst of @n (n >= 1). */
static inline unsigned int pp_burst_bucket(uint32_t n)
{
	unsigned int b = 31u - (unsigned int)__builtin_clz(n | 1u);

	return b < PP_BURST_HIST ? b : PP_BURST_HIST - 1;
}

/**
 * pp_stage_stats_add() - add @src into @dst (for totals over lanes).
 * Context: any; reads @src with relaxed loads.
 */
PP_API void pp_stage_stats_add(struct pp_stage_stats *dst, const struct pp_stage_stats *src);

/** pp_stage_stats_drops() - sum of all drop counters of @s. */
PP_API uint64_t pp_stage_stats_drops(const struct pp_stage_stats *s);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_STATS_H */
