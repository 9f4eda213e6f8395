/* SPDX-License-Identifier: MIT */
/*
 * tcp_cc.h (internal) - TCP congestion control behind an ops table (cf.
 * include/net/tcp.h struct tcp_congestion_ops, net/ipv4/tcp_cong.c).
 *
 * struct pp_tcp_cc is the per-connection congestion state an algorithm works
 * on: the part of struct tcp_sock and inet_connection_sock that the kernel's
 * ops read and write (snd_cwnd, snd_ssthresh, snd_cwnd_cnt, ...), plus a
 * private area (cf. inet_csk_ca(), ICSK_CA_PRIV_SIZE). Windows count
 * segments of @mss bytes, as the kernel's do.
 *
 * Who does what, as the kernel splits it (the TCP input code that calls
 * these is not written yet; this is its contract):
 *
 *   event (kernel function)            caller (tcp_in)              ops
 *   ---------------------------------  ---------------------------  -------------
 *   connection established             pp__tcp_cc_init()            init
 *   (tcp_init_congestion_control)      cwnd = PP_TCP_INIT_CWND
 *   ACK of new data, Open or Disorder, after the RTT sample:        pkts_acked
 *   not in a cwnd reduction            pp__tcp_cong_avoid()         cong_avoid
 *   (tcp_cong_control ->               with the segments newly
 *    tcp_cong_avoid)                   acked; is_cwnd_limited and
 *                                      max_packets_out kept by the
 *                                      sender (tcp_cwnd_validate)
 *   DupThresh duplicate ACKs           recover point, cwnd during   ssthresh
 *   (tcp_fastretrans_alert ->          recovery, partial/full ACK,  set_state
 *    tcp_enter_recovery)               the retransmissions: the
 *                                      fast-recovery state machine
 *                                      (proto/tcp_recovery.h)
 *   RTO expiry (tcp_enter_loss)        pp__tcp_cc_enter_loss():     ssthresh
 *                                      cwnd = in flight + 1 (1 once cwnd_event(LOSS)
 *                                      all is marked lost)          set_state
 *   spurious reduction detected        pp__tcp_cc_undo()            undo_cwnd
 *   (tcp_undo_cwnd_reduction)
 *   idle restart, ECN, ... (tcp_ca_event) pp__tcp_ca_event()       cwnd_event
 *
 * The ops never change ca_state, never count duplicate ACKs and never
 * retransmit: Linux keeps all of that in tcp_input.c, so a new algorithm
 * only decides how the window grows (cong_avoid), where it falls to on loss
 * (ssthresh) and what an undo restores (undo_cwnd).
 *
 * Concurrency: a pp_tcp_cc belongs to its connection and is touched only by
 * the lane that owns the connection (no atomics, no locks). The registry is
 * a constant table: any thread may read it.
 */
#ifndef PP_PROTO_TCP_CC_H
#define PP_PROTO_TCP_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/defaults.h"

/* ssthresh before the first loss (TCP_INFINITE_SSTHRESH) */
#define PP_TCP_INFINITE_SSTHRESH 0x7fffffffu
/* Private area of an algorithm, in u64s (ICSK_CA_PRIV_SIZE = 13 * sizeof(u64)) */
#define PP_TCP_CA_PRIV_U64 13
/* Longest algorithm name, NUL included (TCP_CA_NAME_MAX) */
#define PP_TCP_CA_NAME_MAX 16

/* The sender's congestion state (cf. enum tcp_ca_state) */
enum pp_tcp_ca_state {
	PP_TCP_CA_OPEN = 0,	/* nothing wrong */
	PP_TCP_CA_DISORDER,	/* duplicate ACKs or SACKs: reordering or loss? */
	PP_TCP_CA_CWR,		/* cwnd reduced for ECN or a local drop */
	PP_TCP_CA_RECOVERY,	/* fast retransmit and recovery */
	PP_TCP_CA_LOSS,		/* RTO: everything outstanding counted lost */
};

/* Events an algorithm may watch (cf. enum tcp_ca_event) */
enum pp_tcp_ca_event {
	PP_TCP_CA_EVENT_TX_START,	/* first transmission when nothing was in flight */
	PP_TCP_CA_EVENT_CWND_RESTART,	/* congestion window restart after idle */
	PP_TCP_CA_EVENT_COMPLETE_CWR,	/* end of a cwnd reduction */
	PP_TCP_CA_EVENT_LOSS,		/* RTO: loss state entered */
	PP_TCP_CA_EVENT_ECN_NO_CE,	/* ECT without CE */
	PP_TCP_CA_EVENT_ECN_IS_CE,	/* CE */
};

/* What pkts_acked is told about one ACK (cf. struct ack_sample) */
struct pp_tcp_ack_sample {
	uint32_t pkts_acked;	/* segments this ACK newly acknowledged */
	int32_t rtt_us;		/* RTT sample (proto/tcp_rto.h), < 0: none (Karn) */
	uint32_t in_flight;	/* segments in flight before this ACK */
};

struct pp_tcp_cc;

/*
 * struct pp_tcp_cc_ops - one congestion control algorithm (cf. struct
 * tcp_congestion_ops). Required: name, ssthresh, cong_avoid, undo_cwnd (as
 * tcp_validate_congestion_control() requires); the rest may be NULL.
 */
struct pp_tcp_cc_ops {
	const char *name;	/* at most PP_TCP_CA_NAME_MAX - 1 characters */
	/* set up the private area (cwnd and ssthresh are already initial) */
	void (*init)(struct pp_tcp_cc *cc);
	/* ssthresh to fall to on loss, from the state before the loss */
	uint32_t (*ssthresh)(struct pp_tcp_cc *cc);
	/* grow cwnd for an ACK of @acked new segments up to @ack */
	void (*cong_avoid)(struct pp_tcp_cc *cc, uint32_t ack, uint32_t acked);
	/* called before cc->ca_state changes to @new_state */
	void (*set_state)(struct pp_tcp_cc *cc, enum pp_tcp_ca_state new_state);
	/* cwnd to restore when a reduction proves spurious */
	uint32_t (*undo_cwnd)(struct pp_tcp_cc *cc);
	/* an ACK acknowledged segments; the sample carries its RTT */
	void (*pkts_acked)(struct pp_tcp_cc *cc, const struct pp_tcp_ack_sample *s);
	void (*cwnd_event)(struct pp_tcp_cc *cc, enum pp_tcp_ca_event ev);
};

/*
 * struct pp_tcp_cc - one connection's congestion state. The TCP code owns
 * it; the ops read and write cwnd, ssthresh and cwnd_cnt and their private
 * area, as the kernel's ops write the tcp_sock.
 */
struct pp_tcp_cc {
	uint32_t cwnd;		/* segments (tp->snd_cwnd) */
	uint32_t ssthresh;	/* segments (tp->snd_ssthresh) */
	uint32_t cwnd_cnt;	/* ACKed segments not yet turned into cwnd (tp->snd_cwnd_cnt) */
	uint32_t cwnd_clamp;	/* cwnd never above (tp->snd_cwnd_clamp) */
	uint32_t prior_cwnd;	/* cwnd when the last reduction began (tp->prior_cwnd) */
	uint32_t prior_ssthresh; /* ssthresh before it, 0: no undo (tp->prior_ssthresh) */
	uint32_t max_packets_out; /* most segments in flight in the last window (tp->max_packets_out) */
	uint32_t mss;		/* bytes per segment (tp->mss_cache) */
	bool is_cwnd_limited;	/* the sender was held back by cwnd (tp->is_cwnd_limited) */
	uint8_t ca_state;	/* enum pp_tcp_ca_state (icsk_ca_state) */
	const struct pp_tcp_cc_ops *ops;	/* const after init (icsk_ca_ops) */
	uint64_t priv[PP_TCP_CA_PRIV_U64];	/* the algorithm's (inet_csk_ca()) */
};

/**
 * pp__tcp_cc_find() - the algorithm called @name (cf. tcp_ca_find()).
 * Return: 0 and *@out; -EINVAL (NULL @name or @out), -ENOENT (no such
 * algorithm: what setsockopt(TCP_CONGESTION) returns).
 * Context: any thread.
 */
int pp__tcp_cc_find(const char *name, const struct pp_tcp_cc_ops **out);

/**
 * pp__tcp_cc_list() - the names of the algorithms there are, separated by
 * one space, into @buf (cf. tcp_get_available_congestion_control(), the
 * sysctl net.ipv4.tcp_available_congestion_control).
 * Return: the length written (without the NUL); -EINVAL (NULL @buf or @len
 * 0), -ENOSPC (@len too small: @buf holds the empty string).
 * Context: any thread.
 */
int pp__tcp_cc_list(char *buf, size_t len);

/**
 * pp__tcp_cc_validate() - whether @ops has what every caller needs (cf.
 * tcp_validate_congestion_control()).
 * Return: 0; -EINVAL (NULL, no or too long a name, a required op missing).
 * Context: any thread.
 */
int pp__tcp_cc_validate(const struct pp_tcp_cc_ops *ops);

/**
 * pp__tcp_cc_init() - a connection's initial congestion state under @ops:
 * cwnd PP_TCP_INIT_CWND, ssthresh infinite, no clamp, state Open, the
 * private area zeroed, then ops->init (cf. tcp_init_sock() and
 * tcp_init_congestion_control()).
 * Return: 0; -EINVAL (NULL @cc, @ops invalid, @mss 0).
 * Context: the connection's lane (or before it has one).
 */
int pp__tcp_cc_init(struct pp_tcp_cc *cc, const struct pp_tcp_cc_ops *ops, uint32_t mss);

/* pp__tcp_in_slow_start() - cwnd below ssthresh (cf. tcp_in_slow_start()). */
static inline bool pp__tcp_in_slow_start(const struct pp_tcp_cc *cc)
{
	return cc->cwnd < cc->ssthresh;
}

/*
 * pp__tcp_is_cwnd_limited() - may an ACK grow cwnd (cf. tcp_is_cwnd_limited()):
 * the sender was held back by cwnd, or, in slow start, cwnd is below twice
 * what was in flight (so that cwnd grows to twice what was ACKed).
 */
static inline bool pp__tcp_is_cwnd_limited(const struct pp_tcp_cc *cc)
{
	if (cc->is_cwnd_limited)
		return true;
	if (pp__tcp_in_slow_start(cc))
		return cc->cwnd < 2ull * cc->max_packets_out;
	return false;
}

/**
 * pp__tcp_slow_start() - grow cwnd by @acked segments, not beyond ssthresh
 * nor the clamp (cf. tcp_slow_start(), RFC 5681 3.1 with RFC 3465's byte
 * counting in segments, L = whatever was ACKed).
 * Return: the segments left over beyond ssthresh, for congestion avoidance.
 * Context: the connection's lane.
 */
uint32_t pp__tcp_slow_start(struct pp_tcp_cc *cc, uint32_t acked);

/**
 * pp__tcp_cong_avoid_ai() - additive increase: one segment per @w segments
 * ACKed, the remainder carried in cwnd_cnt (cf. tcp_cong_avoid_ai(): credit
 * gathered while w was larger is applied first, one segment at most).
 * Return: nothing; cwnd stays within the clamp.
 * Context: the connection's lane.
 */
void pp__tcp_cong_avoid_ai(struct pp_tcp_cc *cc, uint32_t w, uint32_t acked);

/* ---- Reno (cf. tcp_reno_*()): the ops "reno", exposed for other algorithms */

/**
 * pp__tcp_reno_ssthresh() - max(cwnd / 2, 2) (cf. tcp_reno_ssthresh();
 * RFC 5681 eq. 4 halves FlightSize, which is cwnd when cwnd-limited).
 * Return: the new ssthresh (the caller stores it).
 * Context: the connection's lane.
 */
uint32_t pp__tcp_reno_ssthresh(struct pp_tcp_cc *cc);

/**
 * pp__tcp_reno_cong_avoid() - slow start below ssthresh, then one segment
 * per window of ACKed segments; nothing when not cwnd-limited (cf.
 * tcp_reno_cong_avoid()).
 * Return: nothing.
 * Context: the connection's lane.
 */
void pp__tcp_reno_cong_avoid(struct pp_tcp_cc *cc, uint32_t ack, uint32_t acked);

/**
 * pp__tcp_reno_undo_cwnd() - max(cwnd, prior_cwnd) (cf. tcp_reno_undo_cwnd()).
 * Return: the cwnd to restore.
 * Context: the connection's lane.
 */
uint32_t pp__tcp_reno_undo_cwnd(struct pp_tcp_cc *cc);

/* ---- calls into the ops, as tcp_input.c makes them ---------------------- */

/* pp__tcp_cong_avoid() - ops->cong_avoid (cf. tcp_cong_avoid()). */
static inline void pp__tcp_cong_avoid(struct pp_tcp_cc *cc, uint32_t ack, uint32_t acked)
{
	cc->ops->cong_avoid(cc, ack, acked);
}

/* pp__tcp_set_ca_state() - tell the ops, then change state (cf. tcp_set_ca_state()). */
static inline void pp__tcp_set_ca_state(struct pp_tcp_cc *cc, enum pp_tcp_ca_state s)
{
	if (cc->ops->set_state)
		cc->ops->set_state(cc, s);
	cc->ca_state = (uint8_t)s;
}

/* pp__tcp_ca_event() - ops->cwnd_event if it has one (cf. tcp_ca_event()). */
static inline void pp__tcp_ca_event(struct pp_tcp_cc *cc, enum pp_tcp_ca_event ev)
{
	if (cc->ops->cwnd_event)
		cc->ops->cwnd_event(cc, ev);
}

/* pp__tcp_pkts_acked() - ops->pkts_acked if it has one (cf. tcp_ack_update_rtt()'s caller). */
static inline void pp__tcp_pkts_acked(struct pp_tcp_cc *cc, const struct pp_tcp_ack_sample *s)
{
	if (cc->ops->pkts_acked)
		cc->ops->pkts_acked(cc, s);
}

/*
 * pp__tcp_current_ssthresh() - the ssthresh a reduction may later be undone
 * to: ssthresh itself while reducing, else at least 3/4 of cwnd (cf.
 * tcp_current_ssthresh()).
 */
static inline uint32_t pp__tcp_current_ssthresh(const struct pp_tcp_cc *cc)
{
	uint32_t q = (cc->cwnd >> 1) + (cc->cwnd >> 2);

	if (cc->ca_state == PP_TCP_CA_CWR || cc->ca_state == PP_TCP_CA_RECOVERY)
		return cc->ssthresh;
	return cc->ssthresh > q ? cc->ssthresh : q;
}

/**
 * pp__tcp_cc_undo() - undo a reduction found spurious: cwnd from
 * ops->undo_cwnd, ssthresh back up to prior_ssthresh (cf.
 * tcp_undo_cwnd_reduction(), its window part).
 * Return: nothing.
 * Context: the connection's lane.
 */
void pp__tcp_cc_undo(struct pp_tcp_cc *cc);

#endif /* PP_PROTO_TCP_CC_H */
