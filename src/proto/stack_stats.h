/* SPDX-License-Identifier: MIT */
/*
 * stack_stats.h (internal) - the stack's stages and a snapshot of every
 * counter, behind the named counters of pktpipe/stats.h.
 *
 * enum pp_stage_id and struct pp_stack_stats used to be public; a new stage
 * or drop reason changed their size. They live here now, free to grow: the
 * public API reads them by name (stack_stats.c), and tests read the
 * snapshot directly.
 */
#ifndef PP_PROTO_STACK_STATS_H
#define PP_PROTO_STACK_STATS_H

#include <stdint.h>

#include <pktpipe/stack.h>

#include "core/stats.h"
#include "proto/tcp_mib.h"

struct pp_stack;

/* Stages, in journey order; their names prefix the counter names. */
enum pp_stage_id {
	PP_STAGE_UDP = 0,
	PP_STAGE_IP,
	PP_STAGE_NEIGH,
	PP_STAGE_QSEL,
	PP_STAGE_QDISC,
	PP_STAGE_TX,
	PP_STAGE_COMPLETION,
	PP_STAGE_RX,		/* receive: parse, validate, reassemble, demux */
	PP_STAGE_ARP,		/* ARP input: replies, learning */
	PP_STAGE_ICMP,		/* ICMP input: echo replies */
	PP_STAGE_TCP,		/* TCP segments built (tcp_transmit_skb, ACKs, RSTs); TCP's drops */
	PP_STAGE_MAX
};

/** pp__stage_name() - "udp", "ip", ... ; "unknown" out of range. */
const char *pp__stage_name(unsigned int stage);

/**
 * struct pp_stack_stats - a snapshot of every counter (internal).
 * @stage: per stage, summed over lanes.
 * @lane_stage: per lane and stage (only the first @nlanes rows are valid).
 * @pool_*: frame accounting: allocated == freed + in_use, always.
 * @nic_*: what the NIC backend counted.
 */
struct pp_stack_stats {
	uint16_t nlanes;
	uint16_t ntxq;
	struct pp_stage_stats stage[PP_STAGE_MAX];
	struct pp_stage_stats lane_stage[PP_LANES_MAX][PP_STAGE_MAX];
	uint64_t pool_nframes;
	uint64_t pool_allocs;
	uint64_t pool_frees;
	uint64_t pool_in_use;
	uint64_t pool_alloc_fail;
	uint64_t pool_bad_free;
	uint64_t nic_tx_packets;
	uint64_t nic_tx_bytes;
	uint64_t nic_tx_completed;
	uint64_t nic_tx_kicks;
	uint64_t nic_rx_packets;
	uint64_t qdisc_bypass;	/* packets that skipped the qdisc (empty, driver ready) */
	uint64_t qdisc_backlog;	/* packets queued now */
	uint64_t compl_reaped;	/* frames reaped by completion threads */
	uint64_t compl_sleeps;	/* times completion threads slept idle */
	uint64_t tsc_hz;	/* for converting stage[].ns; 0 if not measured */
	struct pp_tcp_mib tcp;	/* summed over lanes */
};

/**
 * pp__stack_stats_snapshot() - fill @out. Large (about 100 KiB) and cache-line
 * aligned: allocate it with aligned_alloc(PP_CACHE_LINE, sizeof(*out)).
 * Return: 0 or -EINVAL (NULL or misaligned @out).
 * Context: any thread, while traffic flows.
 */
int pp__stack_stats_snapshot(struct pp_stack *st, struct pp_stack_stats *out);

#endif /* PP_PROTO_STACK_STATS_H */
