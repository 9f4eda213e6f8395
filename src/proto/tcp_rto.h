/* SPDX-License-Identifier: MIT */
/*
 * tcp_rto.h (internal) - the retransmission timeout: RFC 6298's estimator
 * in the kernel's fixed point, exponential backoff, and Karn's rule (cf.
 * net/ipv4/tcp_input.c tcp_rtt_estimator(), tcp_set_rto(),
 * tcp_ack_update_rtt(), tcp_clean_rtx_queue(); tcp_timer.c
 * tcp_retransmit_timer()).
 *
 * Units: microseconds in uint32_t, as the kernel's srtt_us, mdev_us and (in
 * jiffies there) icsk_rto. srtt is kept << 3 and the mean deviation << 2,
 * i.e. mdev_us = 4 * RFC 6298's RTTVAR, so the gains 1/8 and 1/4 are
 * shifts and RTO = (srtt_us >> 3) + max(G, mdev_us) needs no multiply.
 * pp__tcp_rto_ns() gives the timeout in ns for the lane's timer wheel
 * (core/timer.h), whose tick is 1 ms and which fires late by less than
 * 1/7.875 of the delay, never early. G, RFC 6298's clock granularity, is
 * that tick: 1000 us.
 *
 * The estimator (RFC 6298 2, exactly):
 *   first sample R:   SRTT = R, RTTVAR = R/2
 *   then R':          RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|,
 *                     SRTT = 7/8 SRTT + 1/8 R'
 *   RTO = SRTT + max(G, 4 * RTTVAR), clamped to [rto_min, rto_max]
 *   (Linux: TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s), 1 s before any sample.
 * Where Linux departs from it, not followed here (the brief asks for RFC
 * 6298): tcp_rtt_estimator() gives a falling RTT a smaller gain on the
 * deviation (an Eifel-like 1/32), and keeps the deviation term at least
 * rto_min over each window (mdev_max_us, rttvar_us), so that its RTO is
 * never below srtt + 200 ms, where here it is never below 200 ms.
 *
 * Backoff (cf. tcp_retransmit_timer()): each expiry doubles the RTO, up to
 * rto_max, and counts in backoff; the backed-off RTO stays until a valid
 * RTT sample recomputes it (RFC 6298 5.5-5.7; Karn's rule keeps samples of
 * retransmitted segments out). Retries and their limit (tcp_retries2) are
 * the caller's.
 *
 * Concurrency: a struct pp_tcp_rto belongs to its connection; only the lane
 * that owns it calls these.
 */
#ifndef PP_PROTO_TCP_RTO_H
#define PP_PROTO_TCP_RTO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/time.h"
#include "proto/defaults.h"

/* G: the timer wheel's tick (PP_TIMER_TICK_NS), in us */
#define PP_TCP_RTO_G_US ((uint32_t)(PP_NSEC_PER_MSEC / PP_NSEC_PER_USEC))
/* Largest RTT sample taken: srtt_us << 3 stays within 32 bits */
#define PP_TCP_RTT_MAX_US (UINT32_MAX >> 3)

/* struct pp_tcp_rto - one connection's RTT estimate and RTO */
struct pp_tcp_rto {
	uint32_t srtt_us;	/* smoothed RTT << 3, 0 before the first sample (tp->srtt_us) */
	uint32_t mdev_us;	/* mean deviation << 2 = 4 * RTTVAR (tp->mdev_us) */
	uint32_t rto_us;	/* the RTO to arm, backoff included (icsk_rto) */
	uint32_t rto_min_us;	/* const after init (tcp_rto_min()) */
	uint32_t rto_max_us;	/* const after init (tcp_rto_max()) */
	uint8_t backoff;	/* expiries since the last valid sample (icsk_backoff) */
};

/**
 * pp__tcp_rto_init() - no sample yet: RTO PP_TCP_TIMEOUT_INIT_US (RFC 6298
 * 2.1, TCP_TIMEOUT_INIT), within [@rto_min_us, @rto_max_us] (0: the
 * defaults PP_TCP_RTO_MIN_US, PP_TCP_RTO_MAX_US).
 * Return: 0; -EINVAL (NULL @r, @rto_max_us outside [PP_TCP_RTO_MAX_LOWEST_US,
 * PP_TCP_RTO_MAX_US], @rto_min_us above @rto_max_us).
 * Context: the connection's lane (or before it has one).
 */
int pp__tcp_rto_init(struct pp_tcp_rto *r, uint32_t rto_min_us, uint32_t rto_max_us);

/**
 * pp__tcp_rto_sample() - feed a valid RTT sample of @rtt_us (above
 * PP_TCP_RTT_MAX_US: taken as that) and recompute the RTO; backoff returns
 * to 0 (cf. tcp_ack_update_rtt(): "only reset backoff on valid RTT
 * measurement").
 * Return: the new RTO in us.
 * Context: the connection's lane.
 */
uint32_t pp__tcp_rto_sample(struct pp_tcp_rto *r, uint32_t rtt_us);

/**
 * pp__tcp_rto_backoff() - the retransmission timer expired: backoff + 1
 * (saturating at 255), RTO doubled up to rto_max (RFC 6298 5.5, cf.
 * tcp_retransmit_timer()).
 * Return: the new RTO in us.
 * Context: the connection's lane.
 */
uint32_t pp__tcp_rto_backoff(struct pp_tcp_rto *r);

/* pp__tcp_rto_ns() - the RTO to arm, in ns for the timer wheel. */
static inline uint64_t pp__tcp_rto_ns(const struct pp_tcp_rto *r)
{
	return (uint64_t)r->rto_us * PP_NSEC_PER_USEC;
}

/* pp__tcp_srtt_us() - SRTT in us (0: no sample yet). */
static inline uint32_t pp__tcp_srtt_us(const struct pp_tcp_rto *r)
{
	return r->srtt_us >> 3;
}

/* pp__tcp_rttvar_us() - RTTVAR in us. */
static inline uint32_t pp__tcp_rttvar_us(const struct pp_tcp_rto *r)
{
	return r->mdev_us >> 2;
}

/*
 * struct pp_tcp_rtt_ack - what an ACK that newly acknowledges data tells
 * about the RTT, as tcp_clean_rtx_queue() gathers it.
 */
struct pp_tcp_rtt_ack {
	uint64_t now_us;	/* when the ACK was processed */
	/* when the oldest newly ACKed segment that was never retransmitted
	 * was sent (0: none) */
	uint64_t sent_us;
	/* when the TSval this ACK echoes in TSecr was sent (0: no timestamps,
	 * or TSecr 0); the caller maps TSecr to its send time */
	uint64_t tsecr_sent_us;
	/* some newly ACKed segment was retransmitted (FLAG_RETRANS_DATA_ACKED) */
	bool retrans;
};

/**
 * pp__tcp_rtt_sample_ok() - Karn's rule: may this ACK give an RTT sample.
 * Not from ACK timing when any segment it ACKs was retransmitted (which
 * transmission does it answer?), unless a timestamp echo says which
 * transmission it was (RFC 7323 4, RFC 6298 3); never from a time in the
 * future.
 * Return: true if pp__tcp_rtt_sample() will give one.
 * Context: any.
 */
bool pp__tcp_rtt_sample_ok(const struct pp_tcp_rtt_ack *a);

/**
 * pp__tcp_rtt_sample() - the RTT sample of this ACK: ACK timing when Karn
 * allows it, preferred as the kernel prefers it (middleboxes rewrite
 * TSecr), else the timestamp echo (cf. tcp_ack_update_rtt()).
 * Return: 0 and *@rtt_us (at most PP_TCP_RTT_MAX_US); -EINVAL (NULL);
 * -ENODATA: no valid sample (Karn, or neither time usable).
 * Context: any.
 */
int pp__tcp_rtt_sample(const struct pp_tcp_rtt_ack *a, uint32_t *rtt_us);

#endif /* PP_PROTO_TCP_RTO_H */
