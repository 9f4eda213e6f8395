// SPDX-License-Identifier: MIT
/*
 * defaults.c - the limits a stack runs with (defaults.h): what its options
 * ask for, or the kernel's defaults, checked once at pp_stack_create() (cf.
 * the ranges the kernel's sysctl handlers enforce, proc_dointvec_minmax()).
 */
#include <errno.h>
#include <stdint.h>

#include <pktpipe/stack.h>

#include "core/pool.h"
#include "core/time.h"
#include "proto/defaults.h"

/* @v, or @def when @v is 0 */
static inline uint32_t or_def(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

int pp__limits_init(struct pp_limits *lim, const struct pp_stack_opts *o, uint32_t frames_per_lane,
		    uint32_t frame_size)
{
	uint64_t share;

	if (!lim || !o)
		return -EINVAL;
	frames_per_lane = or_def(frames_per_lane, PP_POOL_FRAMES_DEFAULT);
	frame_size = or_def(frame_size, PP_FRAME_2K);

	lim->neigh_max = or_def(o->neigh_max, PP_NEIGH_GC_THRESH3);
	if (lim->neigh_max > PP_NEIGH_MAX_ENTRIES)
		return -EINVAL;
	lim->neigh_gc_thresh2 = min_u32(PP_NEIGH_GC_THRESH2, lim->neigh_max);
	lim->neigh_gc_thresh1 = min_u32(PP_NEIGH_GC_THRESH1, lim->neigh_gc_thresh2);
	lim->neigh_unres_qlen = PP_NEIGH_UNRES_QLEN;
	lim->neigh_unres_qlen_bytes = or_def(o->neigh_unres_qlen_bytes, PP_NEIGH_UNRES_QLEN_BYTES);
	if (lim->neigh_unres_qlen_bytes < PP_FRAME_2K || lim->neigh_unres_qlen_bytes > INT32_MAX)
		return -EINVAL;

	/* ipfrag_high_thresh, within the lane's share of its frames */
	lim->reasm_max_bytes = or_def(o->reasm_max_bytes, PP_REASM_HIGH_THRESH);
	if (lim->reasm_max_bytes < PP_REASM_MIN_BYTES || lim->reasm_max_bytes > PP_REASM_MAX_BYTES)
		return -EINVAL;
	share = pp__hold_share(frames_per_lane, frame_size, PP_HOLD_REASM_DIV);
	if (lim->reasm_max_bytes > share)
		lim->reasm_max_bytes = (uint32_t)share;
	lim->reasm_timeout_ns = o->reasm_timeout_ms ? o->reasm_timeout_ms * PP_NSEC_PER_MSEC :
						      PP_REASM_TIMEOUT_NS;
	if (lim->reasm_timeout_ns > PP_REASM_TIMEOUT_MAX_NS)
		return -EINVAL;

	lim->qdisc_limit = or_def(o->qdisc_limit, PP_TXQ_LIMIT_PKTS);
	if (lim->qdisc_limit > PP_TXQ_LIMIT_PKTS_MAX)
		return -EINVAL;
	lim->dev_ring = PP_DEV_RING;

	/* what SO_RCVBUF / SO_SNDBUF could set at most: twice the max */
	lim->rcvbuf_default = or_def(o->rcvbuf_default, PP_SOCK_RCVBUF_DEFAULT);
	if (lim->rcvbuf_default < PP_SOCK_RCVBUF_MIN || lim->rcvbuf_default > 2 * PP_SOCK_RMEM_MAX)
		return -EINVAL;
	/* the send buffer in frames too (PP_SOCK_SND_SHARE_DIV) */
	share = pp__hold_share(frames_per_lane, frame_size, PP_SOCK_SND_SHARE_DIV);
	if (share > INT32_MAX / 2)
		share = INT32_MAX / 2;
	lim->wmem_max = share / 2 > PP_SOCK_WMEM_MAX ? (uint32_t)(share / 2) : PP_SOCK_WMEM_MAX;
	lim->sndbuf_default = or_def(o->sndbuf_default, share > PP_SOCK_SNDBUF_DEFAULT ?
							      (uint32_t)share :
							      PP_SOCK_SNDBUF_DEFAULT);
	if (lim->sndbuf_default < PP_SOCK_SNDBUF_MIN || lim->sndbuf_default > 2 * lim->wmem_max)
		return -EINVAL;

	if (o->tcp_timewait_ms > PP_TCP_TIMEWAIT_MS_MAX)
		return -EINVAL;
	lim->tcp_timewait_ns = (uint64_t)or_def(o->tcp_timewait_ms, PP_TCP_TIMEWAIT_MS) *
			       PP_NSEC_PER_MSEC;

	lim->icmp_msgs_per_sec = PP_ICMP_MSGS_PER_SEC;
	lim->icmp_msgs_burst = PP_ICMP_MSGS_BURST;
	return 0;
}
