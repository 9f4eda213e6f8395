// SPDX-License-Identifier: MIT
/*
 * tcp_recovery.c - NewReno fast recovery (RFC 6582 3.2 over RFC 5681 3.2)
 * and the window part of an RTO (cf. net/ipv4/tcp_input.c
 * tcp_enter_recovery(), tcp_init_cwnd_reduction(), tcp_enter_loss(), and
 * the Reno paths of tcp_fastretrans_alert()). What Linux does otherwise
 * (PRR) is said in tcp_recovery.h.
 */
#include "proto/tcp_recovery.h"

void pp__tcp_nr_init(struct pp_tcp_nr *nr, uint32_t iss)
{
	nr->recover = iss;
	nr->dupacks = 0;
	nr->in_recovery = false;
	nr->partial_seen = false;
}

/* cf. tcp_enter_recovery(): ssthresh falls; cwnd = ssthresh + @extra */
static void recovery_enter(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t snd_nxt,
			   uint32_t extra)
{
	uint64_t cwnd;

	cc->prior_ssthresh = pp__tcp_current_ssthresh(cc);
	cc->prior_cwnd = cc->cwnd;
	cc->ssthresh = cc->ops->ssthresh(cc);
	cwnd = (uint64_t)cc->ssthresh + extra;
	cc->cwnd = cwnd < cc->cwnd_clamp ? (uint32_t)cwnd : cc->cwnd_clamp;
	cc->cwnd_cnt = 0;
	nr->recover = snd_nxt;
	nr->in_recovery = true;
	nr->partial_seen = false;
	pp__tcp_set_ca_state(cc, PP_TCP_CA_RECOVERY);
}

/* RFC 5681 3.2 steps 2-3 with RFC 6582's recover */
static void nr_enter(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t snd_nxt)
{
	recovery_enter(nr, cc, snd_nxt, PP_TCP_DUPTHRESH);
}

void pp__tcp_sack_enter_recovery(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t snd_nxt)
{
	recovery_enter(nr, cc, snd_nxt, 0);
}

bool pp__tcp_sack_recovery_ack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack)
{
	nr->dupacks = 0;
	if (!nr->in_recovery || pp__tcp_before(ack, nr->recover))
		return false;
	cc->cwnd = cc->ssthresh < cc->cwnd_clamp ? cc->ssthresh : cc->cwnd_clamp;
	if (!cc->cwnd)
		cc->cwnd = 1;
	cc->cwnd_cnt = 0;
	nr->in_recovery = false;
	nr->partial_seen = false;
	pp__tcp_set_ca_state(cc, PP_TCP_CA_OPEN);
	return true;
}

bool pp__tcp_nr_dupack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack,
		       uint32_t snd_nxt)
{
	if (nr->dupacks < UINT32_MAX)
		nr->dupacks++;
	if (nr->in_recovery) {
		/* step 4: one more segment has left the network */
		if (cc->cwnd < cc->cwnd_clamp)
			cc->cwnd++;
		return false;
	}
	/* reordering or loss? (cf. tcp_try_to_open() with sacked_out) */
	if (cc->ca_state == PP_TCP_CA_OPEN)
		pp__tcp_set_ca_state(cc, PP_TCP_CA_DISORDER);
	if (nr->dupacks != PP_TCP_DUPTHRESH)
		return false;
	/* RFC 6582 step 2: no new fast retransmit for what an earlier
	 * recovery or RTO already dealt with */
	if (!pp__tcp_nr_may_enter(nr, ack))
		return false;
	nr_enter(nr, cc, snd_nxt);
	return true;
}

enum pp_tcp_nr_verdict pp__tcp_nr_ack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack,
				      uint32_t acked, uint32_t flight)
{
	nr->dupacks = 0;
	if (!nr->in_recovery) {
		/* an RTO's episode ends when what was out at the RTO is ACKed
		 * (cf. tcp_process_loss()); cwnd meanwhile slow-starts */
		if ((cc->ca_state == PP_TCP_CA_LOSS && !pp__tcp_before(ack, nr->recover)) ||
		    cc->ca_state == PP_TCP_CA_DISORDER)
			pp__tcp_set_ca_state(cc, PP_TCP_CA_OPEN);
		return PP_TCP_NR_OPEN;
	}
	if (!pp__tcp_before(ack, nr->recover)) {
		/* full ACK, option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS) */
		uint64_t w = (uint64_t)(flight ? flight : 1u) + 1u;

		cc->cwnd = w < cc->ssthresh ? (uint32_t)w : cc->ssthresh;
		cc->cwnd_cnt = 0;
		nr->in_recovery = false;
		nr->partial_seen = false;
		pp__tcp_set_ca_state(cc, PP_TCP_CA_OPEN);
		return PP_TCP_NR_FULL;
	}
	/* partial ACK: deflate by what was ACKed, add back the one SMSS the
	 * retransmission of the next hole will take */
	cc->cwnd = acked < cc->cwnd ? cc->cwnd - acked : 0;
	if (acked)
		cc->cwnd++;
	if (cc->cwnd == 0)
		cc->cwnd = 1;
	if (!nr->partial_seen) {
		nr->partial_seen = true;
		return PP_TCP_NR_PARTIAL_FIRST;
	}
	return PP_TCP_NR_PARTIAL;
}

void pp__tcp_cc_enter_loss(struct pp_tcp_cc *cc, struct pp_tcp_nr *nr, uint32_t snd_una,
			   uint32_t snd_nxt, uint32_t in_flight, uint32_t retransmits)
{
	/* reduce ssthresh only if not yet reduced in this window */
	if (cc->ca_state <= PP_TCP_CA_DISORDER || !pp__tcp_after(nr->recover, snd_una) ||
	    (cc->ca_state == PP_TCP_CA_LOSS && retransmits == 0)) {
		cc->prior_ssthresh = pp__tcp_current_ssthresh(cc);
		cc->prior_cwnd = cc->cwnd;
		cc->ssthresh = cc->ops->ssthresh(cc);
		pp__tcp_ca_event(cc, PP_TCP_CA_EVENT_LOSS);
	}
	cc->cwnd = in_flight < cc->cwnd_clamp ? in_flight + 1 : cc->cwnd_clamp;
	cc->cwnd_cnt = 0;
	pp__tcp_set_ca_state(cc, PP_TCP_CA_LOSS);
	/* RFC 6582 4: after an RTO, recover = the highest sequence sent */
	nr->recover = snd_nxt;
	nr->dupacks = 0;
	nr->in_recovery = false;
	nr->partial_seen = false;
}
