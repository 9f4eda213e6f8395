// SPDX-License-Identifier: MIT
/*
 * stats.c - drop reason names and counter arithmetic (pktpipe/stats.h,
 * core/stats.h).
 */
#include "core/stats.h"

static const char *const drop_names[PP_DROP_MAX] = {
	[PP_DROP_NONE] = "none",
	[PP_DROP_NO_ROUTE] = "no_route",
	[PP_DROP_NEIGH_FAILED] = "neigh_failed",
	[PP_DROP_NEIGH_QUEUE_FULL] = "neigh_queue_full",
	[PP_DROP_QDISC_FULL] = "qdisc_full",
	[PP_DROP_RING_FULL] = "ring_full",
	[PP_DROP_NO_BUFFER] = "no_buffer",
	[PP_DROP_TOO_BIG] = "too_big",
	[PP_DROP_TX_ERROR] = "tx_error",
	[PP_DROP_NIC_DOWN] = "nic_down",
	[PP_DROP_MALFORMED] = "malformed",
	[PP_DROP_BAD_CSUM] = "bad_csum",
	[PP_DROP_NOT_FOR_US] = "not_for_us",
	[PP_DROP_NO_SOCKET] = "no_socket",
	[PP_DROP_RCVQ_FULL] = "rcvq_full",
	[PP_DROP_TTL] = "ttl",
	[PP_DROP_FRAG_TIMEOUT] = "frag_timeout",
	[PP_DROP_FRAG_OVERFLOW] = "frag_overflow",
	[PP_DROP_UNSUPPORTED] = "unsupported",
	[PP_DROP_SHUTDOWN] = "shutdown",
	[PP_DROP_SOCKET_CLOSE] = "socket_close",
	[PP_DROP_TCP_FLAGS] = "tcp_flags",
	[PP_DROP_TCP_OLD_DATA] = "tcp_old_data",
	[PP_DROP_TCP_INVALID_SEQ] = "tcp_invalid_sequence",
	[PP_DROP_TCP_INVALID_ACK] = "tcp_invalid_ack_sequence",
	[PP_DROP_TCP_PAWS] = "tcp_paws",
	[PP_DROP_TCP_OFO_DROP] = "tcp_ofo_drop",
	[PP_DROP_TCP_LISTEN_OVERFLOW] = "tcp_listen_overflow",
	[PP_DROP_TCP_CLOSE] = "tcp_close",
	[PP_DROP_SOCKET_BACKLOG] = "socket_backlog",
};

const char *pp_drop_reason_name(unsigned int reason)
{
	if (reason >= PP_DROP_MAX || !drop_names[reason])
		return "unknown";
	return drop_names[reason];
}

static const char *const bucket_names[PP_BURST_HIST] = {
	"1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128+",
};

const char *pp__burst_bucket_name(unsigned int bucket)
{
	return bucket < PP_BURST_HIST ? bucket_names[bucket] : NULL;
}

void pp_stage_stats_add(struct pp_stage_stats *dst, const struct pp_stage_stats *src)
{
	if (!dst || !src)
		return;
	dst->packets += PP_STAT_READ(src->packets);
	dst->bytes += PP_STAT_READ(src->bytes);
	dst->ns += PP_STAT_READ(src->ns);
	dst->ring_occ += PP_STAT_READ(src->ring_occ);
	for (unsigned int i = 0; i < PP_BURST_HIST; i++)
		dst->bursts[i] += PP_STAT_READ(src->bursts[i]);
	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		dst->drops[i] += PP_STAT_READ(src->drops[i]);
}

uint64_t pp_stage_stats_drops(const struct pp_stage_stats *s)
{
	uint64_t n = 0;

	if (!s)
		return 0;
	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		n += PP_STAT_READ(s->drops[i]);
	return n;
}
