// SPDX-License-Identifier: MIT
/*
 * tcp_rto.c - RFC 6298's RTO in the kernel's fixed point (cf.
 * net/ipv4/tcp_input.c tcp_rtt_estimator(), tcp_set_rto(),
 * tcp_ack_update_rtt(); tcp_timer.c tcp_retransmit_timer()). Units and
 * where Linux departs from the RFC: tcp_rto.h.
 */
#include <errno.h>

#include "proto/tcp_rto.h"

static uint32_t clamp_rto(const struct pp_tcp_rto *r, uint64_t rto)
{
	if (rto < r->rto_min_us)
		return r->rto_min_us;
	if (rto > r->rto_max_us)
		return r->rto_max_us;
	return (uint32_t)rto;
}

int pp__tcp_rto_init(struct pp_tcp_rto *r, uint32_t rto_min_us, uint32_t rto_max_us)
{
	if (!r)
		return -EINVAL;
	if (rto_min_us == 0)
		rto_min_us = PP_TCP_RTO_MIN_US;
	if (rto_max_us == 0)
		rto_max_us = PP_TCP_RTO_MAX_US;
	if (rto_max_us < PP_TCP_RTO_MAX_LOWEST_US || rto_max_us > PP_TCP_RTO_MAX_US ||
	    rto_min_us > rto_max_us)
		return -EINVAL;
	r->rto_min_us = rto_min_us;
	r->rto_max_us = rto_max_us;
	r->srtt_us = 0;
	/* as tcp_init_sock(): the deviation an RTO of TCP_TIMEOUT_INIT implies */
	r->mdev_us = PP_TCP_TIMEOUT_INIT_US;
	r->rto_us = clamp_rto(r, PP_TCP_TIMEOUT_INIT_US);
	r->backoff = 0;
	return 0;
}

/* cf. tcp_rtt_estimator(), without its Eifel gain and mdev_max window */
static void rtt_estimator(struct pp_tcp_rto *r, uint32_t rtt_us)
{
	int64_t m = rtt_us;

	if (r->srtt_us != 0) {
		int64_t srtt = r->srtt_us, mdev = r->mdev_us;

		m -= srtt >> 3;		/* error against the old SRTT */
		srtt += m;		/* SRTT = 7/8 SRTT + 1/8 R' */
		if (m < 0)
			m = -m;
		m -= mdev >> 2;
		mdev += m;		/* RTTVAR = 3/4 RTTVAR + 1/4 |error| */
		r->srtt_us = (uint32_t)srtt;
		r->mdev_us = (uint32_t)mdev;
	} else {
		r->srtt_us = (uint32_t)(m << 3);	/* SRTT = R */
		r->mdev_us = (uint32_t)(m << 1);	/* 4 * RTTVAR = 4 * R/2 */
	}
	if (r->srtt_us == 0)
		r->srtt_us = 1;		/* 0 means "no sample" (cf. max(1U, srtt)) */
}

uint32_t pp__tcp_rto_sample(struct pp_tcp_rto *r, uint32_t rtt_us)
{
	uint32_t var;

	if (rtt_us > PP_TCP_RTT_MAX_US)
		rtt_us = PP_TCP_RTT_MAX_US;
	rtt_estimator(r, rtt_us);
	var = r->mdev_us > PP_TCP_RTO_G_US ? r->mdev_us : PP_TCP_RTO_G_US;
	r->rto_us = clamp_rto(r, (uint64_t)(r->srtt_us >> 3) + var);
	r->backoff = 0;
	return r->rto_us;
}

uint32_t pp__tcp_rto_backoff(struct pp_tcp_rto *r)
{
	if (r->backoff < UINT8_MAX)
		r->backoff++;
	r->rto_us = clamp_rto(r, (uint64_t)r->rto_us << 1);
	return r->rto_us;
}

bool pp__tcp_rtt_sample_ok(const struct pp_tcp_rtt_ack *a)
{
	uint32_t rtt;

	return pp__tcp_rtt_sample(a, &rtt) == 0;
}

int pp__tcp_rtt_sample(const struct pp_tcp_rtt_ack *a, uint32_t *rtt_us)
{
	uint64_t d;

	if (!a || !rtt_us)
		return -EINVAL;
	/* Karn: ACK timing only when nothing this ACK covers was resent */
	if (a->sent_us && !a->retrans && a->sent_us <= a->now_us)
		d = a->now_us - a->sent_us;
	else if (a->tsecr_sent_us && a->tsecr_sent_us <= a->now_us)
		d = a->now_us - a->tsecr_sent_us;
	else
		return -ENODATA;
	*rtt_us = d > PP_TCP_RTT_MAX_US ? PP_TCP_RTT_MAX_US : (uint32_t)d;
	return 0;
}
