/* SPDX-License-Identifier: MIT */
/*
 * tcp_recovery.h (internal) - NewReno fast recovery bookkeeping (RFC 6582
 * over RFC 5681 3.2) and the window part of an RTO (cf. tcp_enter_loss()),
 * for the TCP input code to call. Functions of their arguments only: they
 * decide windows and say what to do; the caller keeps the retransmit queue,
 * sends, and arms timers.
 *
 * Sequence numbers are the caller's 32-bit ones, compared modulo 2^32 (cf.
 * before()/after()). Windows count segments, as struct pp_tcp_cc does; RFC
 * 6582 counts bytes, so "deflate by the new data ACKed, add back one SMSS if
 * at least one SMSS was ACKed" becomes "minus the segments newly ACKed, plus
 * one if there was at least one".
 *
 * recover is kept as the kernel keeps tp->high_seq (and FreeBSD
 * snd_recover): snd_nxt when recovery or the RTO began, one past RFC 6582's
 * "highest sequence number transmitted". So:
 *   full ACK     (RFC: covers recover)             !before(ack, recover)
 *   may enter    (RFC: covers more than recover)   after(ack, recover)
 * The second is Linux's "hold state until something above high_seq is
 * ACKed" for a Reno connection: duplicate ACKs of the segments sent before a
 * recovery or RTO ended start no new fast retransmit (RFC 6582 4.1).
 *
 * Where Linux differs, honestly: it runs PRR (RFC 6937) for cwnd during
 * recovery, not RFC 6582's inflation by duplicate ACKs and deflation by
 * partial ACKs, and at the end sets cwnd = ssthresh (tcp_end_cwnd_reduction);
 * its recover point, full/partial ACK distinction, one retransmission per
 * partial ACK and timer reset are those below. This module implements RFC
 * 6582 as the issue asks, with option (1) of its full-ACK step (cwnd =
 * min(ssthresh, FlightSize + 1)), which never bursts when little is in
 * flight at the end of recovery.
 *
 * A peer that sends SACK blocks gets the SACK recovery instead (RFC 6675,
 * in tcp_input.c with its scoreboard and PRR): its entry and end are here
 * too (pp__tcp_sack_enter_recovery(), pp__tcp_sack_recovery_ack()); the
 * NewReno path stays for peers that send none.
 *
 * Concurrency: the connection's lane only.
 */
#ifndef PP_PROTO_TCP_RECOVERY_H
#define PP_PROTO_TCP_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/tcp_cc.h"
#include "proto/tcp_seq.h"

/* struct pp_tcp_nr - NewReno's per-connection recovery state */
struct pp_tcp_nr {
	uint32_t recover;	/* snd_nxt at the start of the last recovery/RTO (tp->high_seq) */
	uint32_t dupacks;	/* duplicate ACKs in a row (tp->sacked_out of a Reno connection) */
	bool in_recovery;	/* fast recovery (PP_TCP_CA_RECOVERY) */
	bool partial_seen;	/* a partial ACK came in this recovery */
};

/* What an ACK of new data means to NewReno (pp__tcp_nr_ack()) */
enum pp_tcp_nr_verdict {
	PP_TCP_NR_OPEN,		/* not in recovery: grow cwnd as usual (cong_avoid) */
	PP_TCP_NR_FULL,		/* recovery over: cwnd deflated, state Open */
	PP_TCP_NR_PARTIAL,	/* retransmit the first unACKed segment */
	PP_TCP_NR_PARTIAL_FIRST, /* the same, and re-arm the retransmit timer (RFC 6582 3.2 step 3) */
};

/**
 * pp__tcp_nr_init() - recover = the initial send sequence number @iss (RFC
 * 6582 3.2 step 1), no recovery.
 * Return: nothing.
 * Context: the connection's lane.
 */
void pp__tcp_nr_init(struct pp_tcp_nr *nr, uint32_t iss);

/**
 * pp__tcp_nr_may_enter() - may duplicate ACKs of @ack start fast retransmit:
 * @ack covers more than recover (RFC 6582 3.2 step 2).
 * Return: true if so.
 * Context: the connection's lane.
 */
static inline bool pp__tcp_nr_may_enter(const struct pp_tcp_nr *nr, uint32_t ack)
{
	return pp__tcp_after(ack, nr->recover);
}

/**
 * pp__tcp_nr_dupack() - a duplicate ACK of @ack arrived (RFC 5681 3.2 steps
 * 1-4). In recovery, cwnd grows by one segment (step 4: the segment that
 * left the network). Outside, state Open becomes Disorder, and the
 * DupThresh-th (PP_TCP_DUPTHRESH) in a row
 * enters recovery if pp__tcp_nr_may_enter(): prior_cwnd and prior_ssthresh
 * saved, ssthresh = ops->ssthresh, cwnd = ssthresh + DupThresh (step 3),
 * recover = @snd_nxt, state Recovery.
 * Return: true when the caller must retransmit the first unACKed segment
 * now (fast retransmit), false otherwise.
 * Context: the connection's lane.
 */
bool pp__tcp_nr_dupack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack,
		       uint32_t snd_nxt);

/**
 * pp__tcp_nr_ack() - an ACK moved snd_una to @ack, newly ACKing @acked
 * segments, with @flight segments still in flight after it (RFC 6582 3.2
 * step 3, replacing RFC 5681's step 6). The duplicate ACK count restarts.
 * In recovery: a full ACK sets cwnd = min(ssthresh, max(@flight, 1) + 1),
 * leaves recovery and sets state Open; a partial ACK deflates cwnd by
 * @acked, adds one back if @acked >= 1, and stays in recovery. Outside
 * recovery, Disorder returns to Open, and so does Loss (after an RTO) once
 * the ACK reaches recover.
 * Return: the verdict (what the caller does next).
 * Context: the connection's lane.
 */
enum pp_tcp_nr_verdict pp__tcp_nr_ack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack,
				      uint32_t acked, uint32_t flight);

/**
 * pp__tcp_cc_enter_loss() - the window part of an RTO (cf. tcp_enter_loss()).
 * ssthresh falls (ops->ssthresh, prior_cwnd/prior_ssthresh saved,
 * cwnd_event(LOSS)) only if it was not reduced in this window already: state
 * Open or Disorder, or recover at or below @snd_una, or state Loss with no
 * retransmission since (@retransmits 0, icsk_retransmits before this RTO
 * counts). So a second RTO in a row, or an RTO in the middle of a recovery,
 * does not halve again. Then cwnd = @in_flight + 1 (1 once the caller has marked
 * everything outstanding lost), cwnd_cnt 0, state Loss; and NewReno's
 * recover = @snd_nxt, recovery over (RFC 6582 4).
 * Return: nothing.
 * Context: the connection's lane.
 */
void pp__tcp_cc_enter_loss(struct pp_tcp_cc *cc, struct pp_tcp_nr *nr, uint32_t snd_una,
			   uint32_t snd_nxt, uint32_t in_flight, uint32_t retransmits);

/**
 * pp__tcp_sack_enter_recovery() - loss recovery driven by SACK (RFC 6675 5
 * step 4): prior_cwnd and prior_ssthresh saved, ssthresh = ops->ssthresh,
 * cwnd = ssthresh (no inflation: the pipe the caller computes counts what
 * the SACKs say left the network), recover = @snd_nxt, state Recovery.
 * Return: nothing.
 * Context: the connection's lane.
 */
void pp__tcp_sack_enter_recovery(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t snd_nxt);

/**
 * pp__tcp_sack_recovery_ack() - an ACK of new data to @ack during a SACK
 * recovery: at or past recover it ends (cwnd = ssthresh, cf.
 * tcp_end_cwnd_reduction(); state Open). The duplicate ACK count restarts.
 * Return: true if the recovery ended.
 * Context: the connection's lane.
 */
bool pp__tcp_sack_recovery_ack(struct pp_tcp_nr *nr, struct pp_tcp_cc *cc, uint32_t ack);

#endif /* PP_PROTO_TCP_RECOVERY_H */
