// SPDX-License-Identifier: MIT
/*
 * tcp_input.c - TCP's receive side (cf. net/ipv4/tcp_ipv4.c tcp_v4_rcv(),
 * tcp_input.c tcp_rcv_state_process(), tcp_ack(), tcp_data_queue()).
 *
 * tcp_v4_rcv() runs on the lane that received the segment: it checks the
 * header and checksum, finds the connection (else a listener, else answers
 * RST), and hands the segment to the connection's lane when that is another
 * one. Everything after runs on the owning lane. ACKs and new data a burst
 * makes go out once per socket at the burst's end (pp__tcp_flush_lane()),
 * which gives the kernel's "ACK every second full segment" and GRO's one
 * ACK per burst in one place.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

/* One segment, parsed (host order unless said). */
struct seg {
	const struct pp_tcp_hdr *th;
	uint32_t saddr, daddr;	/* network order */
	uint32_t seq, end_seq, ack;
	uint32_t paylen;
	uint16_t win;		/* unscaled, as on the wire */
	uint8_t flags;
	struct pp_tcp_opts_rx opt;
};

static bool seg_parse(struct pp_skb *skb, uint32_t ihl, struct seg *g)
{
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	const struct pp_tcp_hdr *th = (const struct pp_tcp_hdr *)((const uint8_t *)ip + ihl);
	uint32_t thlen;

	if (skb->len < ihl + PP_TCP_HLEN)
		return false;
	thlen = (uint32_t)(th->doff_res >> PP_TCP_DOFF_SHIFT) * 4u;
	if (thlen < PP_TCP_HLEN || skb->len < ihl + thlen)
		return false;
	g->th = th;
	g->saddr = ip->saddr;
	g->daddr = ip->daddr;
	g->flags = th->flags;
	g->seq = ntohl(th->seq);
	g->ack = ntohl(th->ack_seq);
	g->win = ntohs(th->window);
	g->paylen = skb->len - ihl - thlen;
	g->end_seq = g->seq + g->paylen + ((g->flags & PP_TCP_SYN) ? 1u : 0u) +
		     ((g->flags & PP_TCP_FIN) ? 1u : 0u);
	memset(&g->opt, 0, sizeof(g->opt));
	if (thlen > PP_TCP_HLEN &&
	    pp__tcp_parse_options((const uint8_t *)(th + 1), thlen - PP_TCP_HLEN,
				  g->flags & PP_TCP_SYN, &g->opt) < 0)
		return false;
	/* data at the payload from here on; the header stays readable behind */
	pp_skb_pull(skb, ihl + thlen);
	return true;
}

static inline void consume(struct pp_lane *l, struct pp_skb *skb)
{
	pp_skb_free(l->cache, skb);
}

static inline void drop(struct pp_lane *l, struct pp_skb *skb, enum pp_drop_reason why)
{
	pp_stage_drop(&l->s_tcp, skb, why);
}

/* ---- establishment -------------------------------------------------------------------- */

/* Options of the peer's SYN (cf. tcp_openreq_init() / tcp_rcv_synsent_state_process()). */
static void syn_options(struct pp_tcp_sock *tp, const struct seg *g, bool we_offered)
{
	tp->mss_clamp = g->opt.mss ? g->opt.mss : PP_TCP_MSS_DEFAULT;
	tp->wscale_ok = we_offered && g->opt.wscale_ok;
	tp->snd_wscale = tp->wscale_ok ? g->opt.wscale : 0;
	if (!tp->wscale_ok)
		tp->rcv_wscale = 0;
	tp->sack_ok = g->opt.sack_ok;
	tp->tstamp_ok = g->opt.saw_tstamp;
	if (g->opt.saw_tstamp) {
		tp->ts_recent = g->opt.tsval;
		tp->ts_recent_stamp_ns = pp__now_ns();
	}
	tp->irs = g->seq;
	tp->rcv_nxt = g->seq + 1;
	tp->copied_seq = tp->rcv_wup = tp->rcv_nxt;
}

void pp__tcp_init_transfer(struct pp_tcp_sock *tp)
{
	struct pp_sock *sk = &tp->sk;
	const struct pp_tcp_cc_ops *ops;
	uint32_t mss = sk->st->mtu - PP_IPV4_HLEN - PP_TCP_HLEN;
	uint32_t room = pp_skb_tx_copy_room(sk->lane->cache) - PP_TCP_HEADROOM;

	if (tp->mss_clamp < mss)
		mss = tp->mss_clamp;
	if (tp->tstamp_ok)
		mss -= PP_TCPOLEN_TIMESTAMP + 2;
	if (mss > room)
		mss = room;
	if (mss < PP_TCP_MIN_MSS - 40 + 8)
		mss = PP_TCP_MIN_MSS - 40 + 8;
	tp->mss_cache = (uint16_t)mss;
	tp->rcv_mss = tp->advmss < 536 ? tp->advmss : 536;
	if (pp__tcp_cc_find(PP_TCP_CC_DEFAULT, &ops) == 0)
		pp__tcp_cc_init(&tp->cc, ops, mss);
	pp__tcp_nr_init(&tp->nr, tp->iss);
	/* the handshake's RTT, unless the SYN was sent again (Karn) */
	if (!tp->retransmits && tp->rto_start_ns) {
		uint64_t rtt = (pp__now_ns() - tp->rto_start_ns) / PP_NSEC_PER_USEC;

		pp__tcp_rto_sample(&tp->rto, (uint32_t)(rtt ? rtt : 1));
	}
	tp->retransmits = 0;
	tp->rto_start_ns = 0;
	pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_rtx);
	tp->last_rcv_ns = pp__now_ns();
	pp__tcp_set_state(tp, PP_TCP_ESTABLISHED);
	if (tp->keepalive)
		pp__tcp_arm_keepalive(tp);
}

/* A SYN to a listener (cf. tcp_conn_request()). */
static void rcv_listen(struct pp_lane *l, struct pp_tcp_sock *lp, struct pp_skb *skb,
		       const struct seg *g)
{
	struct pp_tcp_mib *mib = pp__tcp_mib(l);
	struct pp_tcp_sock *c;

	if (g->flags & PP_TCP_RST) {
		drop(l, skb, PP_DROP_TCP_FLAGS);
		return;
	}
	if (g->flags & PP_TCP_ACK) {
		/* no SYN cookies yet: an ACK for no connection is answered RST */
		pp__tcp_v4_send_reset(l, skb, g->saddr, g->daddr, g->th, g->end_seq - g->seq);
		drop(l, skb, PP_DROP_NO_SOCKET);
		return;
	}
	if (!(g->flags & PP_TCP_SYN) || (g->flags & PP_TCP_FIN)) {
		drop(l, skb, PP_DROP_TCP_FLAGS);
		return;
	}
	/* bounded: the accept queue full or the SYN queue full drops the SYN
	 * (cf. sk_acceptq_is_full() and inet_csk_reqsk_queue_is_full() with
	 * syncookies off); the peer tries again */
	if (lp->acc_len >= lp->acc_max || !(c = pp__tcp_child_create(lp, g->saddr, g->th->source))) {
		PP_STAT_ADD(mib->listen_overflows, 1);
		PP_STAT_ADD(mib->syn_dropped, 1);
		drop(l, skb, PP_DROP_TCP_LISTEN_OVERFLOW);
		return;
	}
	c->snd_wnd = g->win; /* a SYN's window is never scaled */
	c->snd_wl1 = g->seq;
	c->rcv_wscale = 7;
	syn_options(c, g, true);
	pp__tcp_send_synack(c);
	consume(l, skb);
}

/* cf. tcp_rcv_synsent_state_process() */
static void rcv_synsent(struct pp_lane *l, struct pp_tcp_sock *tp, struct pp_skb *skb,
			const struct seg *g)
{
	if (g->flags & PP_TCP_ACK) {
		if (!pp__tcp_after(g->ack, tp->iss) || pp__tcp_after(g->ack, tp->snd_nxt)) {
			pp__tcp_v4_send_reset(l, skb, g->saddr, g->daddr, g->th, g->end_seq - g->seq);
			drop(l, skb, PP_DROP_TCP_INVALID_ACK);
			return;
		}
		if (g->flags & PP_TCP_RST) {
			PP_STAT_ADD(pp__tcp_mib(l)->attempt_fails, 1);
			pp__tcp_reset(tp, ECONNREFUSED);
			consume(l, skb);
			return;
		}
		if (!(g->flags & PP_TCP_SYN)) {
			drop(l, skb, PP_DROP_TCP_FLAGS);
			return;
		}
		syn_options(tp, g, true);
		tp->snd_una = g->ack;
		tp->snd_wnd = g->win;
		tp->snd_wl1 = g->seq;
		tp->max_window = tp->snd_wnd;
		pp__tcp_init_transfer(tp);
		tp->ack_pending |= PP_TCP_ACK_SCHED | PP_TCP_ACK_NOW;
		pp__tcp_flush_mark(tp);
		consume(l, skb);
		return;
	}
	drop(l, skb, (g->flags & PP_TCP_RST) ? PP_DROP_TCP_FLAGS : PP_DROP_TCP_FLAGS);
}

/* ---- ACK processing (cf. tcp_ack()) ------------------------------------------------- */

static void ack_update_window(struct pp_tcp_sock *tp, const struct seg *g)
{
	uint32_t nwin = (uint32_t)g->win << tp->snd_wscale;

	if (pp__tcp_after(g->ack, tp->snd_una) || pp__tcp_after(g->seq, tp->snd_wl1) ||
	    (g->seq == tp->snd_wl1 && nwin > tp->snd_wnd)) {
		tp->snd_wnd = nwin;
		tp->snd_wl1 = g->seq;
		if (nwin > tp->max_window)
			tp->max_window = nwin;
		if (nwin && tp->rtx_kind == PP_TCP_TIME_PROBE0 && pp_timer_pending(&tp->t_rtx)) {
			pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_rtx);
			tp->probes_out = 0;
		}
	}
}

/* Free the originals @ack covers (cf. tcp_clean_rtx_queue()). Return:
 * segments newly acknowledged that were in flight. */
static uint32_t clean_rtx_queue(struct pp_tcp_sock *tp, uint32_t ack, uint64_t now,
				struct pp_tcp_rtt_ack *ra)
{
	struct pp_sock *sk = &tp->sk;
	uint32_t acked = 0;
	bool in_flight = true;
	struct pp_skb *skb;

	while ((skb = tp->wq_head)) {
		struct pp_tcp_cb *cb = pp__tcp_cb(skb);

		if (skb == tp->send_head)
			in_flight = false;
		if (pp__tcp_after(cb->end_seq, ack))
			break;
		if (!cb->txcount)
			break; /* never sent: cannot be acknowledged */
		if (cb->sacked & PP_TCPCB_RETRANS)
			ra->retrans = true; /* Karn: no RTT sample from it */
		else if (!ra->sent_us)
			ra->sent_us = cb->sent_ns / PP_NSEC_PER_USEC;
		pp__tcp_sb_unmark(tp, cb, PP_TCPCB_SCOREBOARD);
		if (in_flight)
			acked++;
		else
			tp->send_head = skb->next;
		tp->wq_head = skb->next;
		if (tp->wq_tail == skb)
			tp->wq_tail = NULL;
		skb->next = NULL;
		tp->wmem_queued -= pp_skb_truesize(skb);
		tp->bytes_acked += skb->len;
		pp_skb_free(sk->lane->cache, skb);
	}
	(void)now;
	return acked;
}

/* ---- the SACK scoreboard (RFC 2018, RFC 6675) ---------------------------------------- */

/*
 * cf. tcp_sacktag_write_queue(): mark the sent originals @g's SACK blocks
 * cover whole. A block must lie within what is outstanding (cf.
 * tcp_is_sackblock_valid()); a D-SACK (at or below the cumulative ACK)
 * reports a duplicate and marks nothing. A SACKed segment has left the
 * network: it is no longer lost, and its retransmission no longer counts
 * in flight. Return: segments newly SACKed.
 *
 * The walk is linear in the segments outstanding below each block's end,
 * and runs only for ACKs that carry blocks (a loss episode).
 */
static uint32_t sacktag(struct pp_tcp_sock *tp, const struct seg *g)
{
	uint32_t newly = 0;

	for (unsigned int i = 0; i < g->opt.num_sacks; i++) {
		uint32_t start = g->opt.sack[i].start_seq, end = g->opt.sack[i].end_seq;

		if (!pp__tcp_after(end, start) || pp__tcp_before(start, tp->snd_una) ||
		    pp__tcp_after(end, tp->snd_nxt))
			continue;
		for (struct pp_skb *skb = tp->wq_head; skb && skb != tp->send_head; skb = skb->next) {
			struct pp_tcp_cb *cb = pp__tcp_cb(skb);

			if (!pp__tcp_before(cb->seq, end))
				break;
			if (pp__tcp_before(cb->seq, start) || pp__tcp_after(cb->end_seq, end) ||
			    (cb->sacked & PP_TCPCB_SACKED))
				continue;
			pp__tcp_sb_mark(tp, cb, PP_TCPCB_SACKED);
			pp__tcp_sb_unmark(tp, cb, PP_TCPCB_LOST | PP_TCPCB_RTX_OUT);
			newly++;
			if (cb->sent_ns > tp->rack_sent_ns)
				tp->rack_sent_ns = cb->sent_ns; /* RACK: delivered, sent then */
		}
	}
	return newly;
}

/*
 * Which outstanding segments are lost. Two rules, either suffices:
 *  - RFC 6675 4 IsLost(): DupThresh SACKed segments above it (cf.
 *    tcp_mark_head_lost() with reordering at its default of 3);
 *  - RACK (RFC 8985 6.2, cf. tcp_rack_detect_loss()): it was sent more than
 *    a reordering window (SRTT/4) before a segment the peer has since
 *    SACKed. The same rule finds a retransmission that was lost again:
 *    it stops counting in flight and goes once more.
 * Marked ones go again from pp__tcp_write_xmit(), as the pipe allows.
 */
static void mark_lost(struct pp_tcp_sock *tp)
{
	uint64_t reo = (uint64_t)pp__tcp_srtt_us(&tp->rto) * PP_NSEC_PER_USEC / 4;
	uint64_t rack = tp->rack_sent_ns > reo ? tp->rack_sent_ns - reo : 0;
	uint32_t above = tp->sacked_out;

	for (struct pp_skb *skb = tp->wq_head; skb && skb != tp->send_head && above;
	     skb = skb->next) {
		struct pp_tcp_cb *cb = pp__tcp_cb(skb);
		bool late = cb->sent_ns < rack;

		if (cb->sacked & PP_TCPCB_SACKED) {
			above--;
			continue;
		}
		if (cb->sacked & PP_TCPCB_RTX_OUT) {
			if (late) /* the retransmission was lost too */
				pp__tcp_sb_unmark(tp, cb, PP_TCPCB_RTX_OUT);
			continue;
		}
		if (above >= PP_TCP_DUPTHRESH || late)
			pp__tcp_sb_mark(tp, cb, PP_TCPCB_LOST);
	}
}

/* A partial ACK in a SACK recovery: the first unacknowledged segment, with
 * SACKed data above it, is the next hole (as NewReno takes it). */
static void mark_head_lost(struct pp_tcp_sock *tp)
{
	struct pp_skb *skb = tp->wq_head;
	struct pp_tcp_cb *cb;

	if (!skb || skb == tp->send_head || !tp->sacked_out)
		return;
	cb = pp__tcp_cb(skb);
	if (!(cb->sacked & PP_TCPCB_SACKED))
		pp__tcp_sb_mark(tp, cb, PP_TCPCB_LOST);
}

/*
 * cf. tcp_cwnd_reduction(): Proportional Rate Reduction (RFC 6937, with
 * its slow-start reduction bound) sets cwnd for what this ACK reports
 * delivered (@newly: cumulatively ACKed plus newly SACKed), so that
 * sending goes on during recovery, ACK-clocked, in proportion until the
 * pipe is down to ssthresh, and the lost ones and new data keep the SACK
 * news coming; the first segment goes whatever the pipe.
 */
static void prr_cwnd(struct pp_tcp_sock *tp, uint32_t newly, bool una_advanced)
{
	struct pp_tcp_cc *cc = &tp->cc;
	uint32_t pipe = pp__tcp_in_flight(tp);
	int64_t sndcnt;

	if (!newly || !cc->prior_cwnd)
		return;
	tp->prr_delivered += newly;
	if (pipe > cc->ssthresh) {
		uint64_t d = (uint64_t)cc->ssthresh * tp->prr_delivered + cc->prior_cwnd - 1;

		sndcnt = (int64_t)(d / cc->prior_cwnd) - tp->prr_out;
	} else {
		sndcnt = (int64_t)tp->prr_delivered - tp->prr_out;
		if (sndcnt < newly)
			sndcnt = newly;
		if (una_advanced)
			sndcnt++;
		if (sndcnt > (int64_t)(cc->ssthresh - pipe))
			sndcnt = cc->ssthresh - pipe;
	}
	if (sndcnt < (tp->prr_out ? 0 : 1))
		sndcnt = tp->prr_out ? 0 : 1;
	cc->cwnd = pipe + (uint32_t)sndcnt;
}

/*
 * A duplicate ACK, or one with news on the scoreboard, of a connection whose
 * peer sends SACKs (cf. tcp_fastretrans_alert() with tcp_is_sack()). Enters
 * recovery once the head is lost by RFC 6675's rule (DupThresh segments
 * SACKed above it) or DupThresh duplicate ACKs came, as RFC 6582's recover
 * allows: the head goes at once, whatever the pipe (RFC 6675 5 step 4.3,
 * and Linux's PRR sends it too); the rest of what is lost follows from
 * pp__tcp_write_xmit() as the pipe falls below cwnd.
 */
static void sack_dupack(struct pp_tcp_sock *tp, uint32_t newly)
{
	struct pp_tcp_nr *nr = &tp->nr;

	if (nr->in_recovery) {
		mark_lost(tp);
		if (tp->sack_recovery)
			prr_cwnd(tp, newly, false);
		return;
	}
	if (tp->cc.ca_state == PP_TCP_CA_LOSS)
		return; /* after an RTO everything not SACKed is marked already */
	if (nr->dupacks < UINT32_MAX)
		nr->dupacks++;
	if (tp->cc.ca_state == PP_TCP_CA_OPEN)
		pp__tcp_set_ca_state(&tp->cc, PP_TCP_CA_DISORDER);
	/* RFC 6675 5: no new recovery before HighACK reaches the last
	 * RecoveryPoint (NewReno's stricter "above it" is for ACKs without
	 * SACK: with SACK a first loss right at recover would wait for an RTO) */
	if (pp__tcp_before(tp->snd_una, nr->recover))
		return;
	mark_lost(tp);
	if (!tp->lost_out && nr->dupacks < PP_TCP_DUPTHRESH)
		return;
	pp__tcp_sack_enter_recovery(nr, &tp->cc, tp->snd_nxt);
	tp->sack_recovery = true;
	tp->prr_delivered = tp->prr_out = 0;
	tp->fast_retrans++;
	PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->fast_retrans, 1);
	PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->sack_recovery, 1);
	pp__tcp_retransmit_head(tp);
	prr_cwnd(tp, newly ? newly : 1, false);
}

/* Return: false when the segment must be dropped (ACK of unsent data). */
static bool tcp_ack(struct pp_tcp_sock *tp, const struct seg *g)
{
	uint32_t prior_una = tp->snd_una;
	uint64_t now = pp__now_ns();

	if (pp__tcp_after(g->ack, tp->snd_nxt)) {
		tp->ack_pending |= PP_TCP_ACK_SCHED | PP_TCP_ACK_NOW;
		return false;
	}
	if (pp__tcp_before(g->ack, prior_una))
		return true; /* old: its data still counts */
	uint32_t prior_wnd = tp->snd_wnd;
	bool sack = tp->sack_ok && g->opt.num_sacks;

	/* cf. tcp_process_tlp_ack() and RACK's reo_wnd_mult (RFC 8985 6.2): a
	 * duplicate ACK whose D-SACK (RFC 2883: a first block at or below the
	 * cumulative ACK) is the last probe's segment says the original had
	 * arrived and been ACKed already: the peer was only slow, the probe
	 * spurious. The next probe waits twice as long, up to the RTO's
	 * minimum, so a peer that stalls does not draw a retransmission each
	 * time. (When the probe's answer moves the cumulative ACK, its D-SACK
	 * means the flight's ACK was lost: the probe was what recovered it.) */
	if (sack && g->ack == prior_una && tp->tlp_high_seq &&
	    !pp__tcp_after(g->opt.sack[0].end_seq, g->ack) &&
	    g->opt.sack[0].end_seq == tp->tlp_high_seq) {
		uint32_t w = tp->tlp_floor_us ? tp->tlp_floor_us : PP_TCP_TLP_FLOOR_US;

		tp->tlp_floor_us = 2 * w < PP_TCP_RTO_MIN_US ? 2 * w : PP_TCP_RTO_MIN_US;
		tp->tlp_high_seq = 0; /* once per probe */
	}

	ack_update_window(tp, g);
	if (g->ack == prior_una) {
		uint32_t newly = sack ? sacktag(tp, g) : 0;

		/*
		 * duplicate ACK (RFC 5681 2): nothing new, no data, same window.
		 * One that carries SACK blocks counts even when the window
		 * moved: it reports a segment that arrived out of order (RFC
		 * 6675 counts those, and Linux counts SACKed segments, not
		 * equal windows; its receiver announces more window as its
		 * out-of-order queue grows, so the strict rule would miss
		 * most of the dupacks a loss makes).
		 */
		bool pure = !g->paylen && !(g->flags & (PP_TCP_SYN | PP_TCP_FIN));

		if (tp->packets_out && (sack || tp->sacked_out) && (newly || pure)) {
			sack_dupack(tp, newly);
			pp__tcp_flush_mark(tp);
		} else if (tp->packets_out && pure && tp->snd_wnd == prior_wnd) {
			if (pp__tcp_nr_dupack(&tp->nr, &tp->cc, g->ack, tp->snd_nxt)) {
				tp->fast_retrans++;
				PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->fast_retrans, 1);
				PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->reno_recovery, 1);
				pp__tcp_retransmit_head(tp);
			}
			pp__tcp_flush_mark(tp); /* in recovery cwnd grew: new data may go */
		}
		return true;
	}
	struct pp_tcp_rtt_ack ra = {.now_us = now / PP_NSEC_PER_USEC};
	uint32_t acked = clean_rtx_queue(tp, g->ack, now, &ra);
	uint32_t rtt_us;

	tp->snd_una = g->ack;
	tp->packets_out = tp->packets_out > acked ? tp->packets_out - acked : 0;
	uint32_t newly = sack ? sacktag(tp, g) : 0;
	if (tp->tstamp_ok && g->opt.saw_tstamp && g->opt.tsecr) {
		uint32_t d = pp__tcp_ts_now(now) - (g->opt.tsecr - tp->ts_off);

		if (d < (1u << 31) && (uint64_t)d * 1000u < ra.now_us)
			ra.tsecr_sent_us = ra.now_us - (uint64_t)d * 1000u;
	}
	int32_t sample = -1;

	if (pp__tcp_rtt_sample(&ra, &rtt_us) == 0) {
		pp__tcp_rto_sample(&tp->rto, rtt_us ? rtt_us : 1);
		sample = (int32_t)rtt_us;
	}
	tp->retransmits = 0;
	tp->probes_out = 0;
	/* cf. tcp_process_tlp_ack(): the probe is answered */
	if (tp->tlp_out && !pp__tcp_before(g->ack, tp->tlp_high_seq))
		tp->tlp_out = false;
	struct pp_tcp_ack_sample as = {.pkts_acked = acked, .rtt_us = sample,
				       .in_flight = tp->packets_out + acked};

	pp__tcp_pkts_acked(&tp->cc, &as);
	if (tp->sack_recovery) {
		/* RFC 6675: recovery ends when recover is ACKed; until then a
		 * partial ACK points at the next hole, and the scoreboard at
		 * the others */
		if (pp__tcp_sack_recovery_ack(&tp->nr, &tp->cc, g->ack)) {
			tp->sack_recovery = false;
		} else {
			mark_head_lost(tp);
			mark_lost(tp);
			prr_cwnd(tp, acked + newly, true);
		}
	} else {
		switch (pp__tcp_nr_ack(&tp->nr, &tp->cc, g->ack, acked, tp->packets_out)) {
		case PP_TCP_NR_OPEN:
			if (pp__tcp_is_cwnd_limited(&tp->cc) && acked)
				pp__tcp_cong_avoid(&tp->cc, g->ack, acked);
			break;
		case PP_TCP_NR_PARTIAL_FIRST:
		case PP_TCP_NR_PARTIAL:
			pp__tcp_retransmit_head(tp);
			break;
		case PP_TCP_NR_FULL:
			break;
		}
	}
	/* RFC 6298 5.2, 5.3; the loss probe in its place where one may go */
	if (!tp->packets_out) {
		if (tp->rtx_kind == PP_TCP_TIME_RETRANS || tp->rtx_kind == PP_TCP_TIME_LOSS_PROBE)
			pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_rtx);
	} else {
		pp__tcp_set_xmit_timer(tp);
	}
	pp__tcp_flush_mark(tp);
	return true;
}

/* Our FIN is acknowledged (cf. tcp_rcv_state_process()'s FIN_WAIT1/CLOSING/LAST_ACK). */
static bool fin_acked(const struct pp_tcp_sock *tp)
{
	return tp->snd_una == tp->write_seq && !tp->wq_head && !tp->fin_pending;
}

/* ---- data (cf. tcp_data_queue()) ------------------------------------------------------ */

static void ack_schedule(struct pp_tcp_sock *tp, bool now)
{
	tp->ack_pending |= PP_TCP_ACK_SCHED;
	if (now)
		tp->ack_pending |= PP_TCP_ACK_NOW;
	pp__tcp_flush_mark(tp);
}

/* Charge @skb to the socket and its frames' lane. Return: false (nothing
 * charged) when the receive buffer or the lane's share is spent. */
static bool rmem_charge(struct pp_tcp_sock *tp, struct pp_skb *skb)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_lane *fl = &sk->st->lanes[skb->owner < sk->st->nlanes ? skb->owner : 0];
	uint32_t ts = pp_skb_truesize(skb);
	uint32_t rmem = atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed);

	if (rmem + ts > sk->rcvbuf + (sk->rcvbuf >> 3) && rmem)
		return false;
	if (atomic_fetch_add_explicit(&fl->rcv_mem, ts, memory_order_relaxed) + ts > fl->rcv_mem_max) {
		atomic_fetch_sub_explicit(&fl->rcv_mem, ts, memory_order_relaxed);
		return false;
	}
	atomic_fetch_add_explicit(&sk->rmem_alloc, ts, memory_order_relaxed);
	return true;
}

static void tcp_fin(struct pp_tcp_sock *tp)
{
	tp->fin_rcvd = true;
	tp->rcv_nxt++;
	ack_schedule(tp, true);
	switch (tp->state) {
	case PP_TCP_SYN_RECV:
	case PP_TCP_ESTABLISHED:
		pp__tcp_set_state(tp, PP_TCP_CLOSE_WAIT);
		break;
	case PP_TCP_FIN_WAIT1:
		/* our FIN not yet acknowledged: simultaneous close */
		pp__tcp_set_state(tp, PP_TCP_CLOSING);
		break;
	case PP_TCP_FIN_WAIT2:
		pp__tcp_send_ack(tp);
		pp__tcp_time_wait(tp, PP_TCP_TIME_WAIT, tp->timewait_ns);
		break;
	default:
		break;
	}
}

/* In order: onto the receive queue (coalesced into the tail's room when it
 * fits, cf. tcp_try_coalesce()), or freed when it carries no data. */
static void queue_in_order(struct pp_lane *l, struct pp_tcp_sock *tp, struct pp_skb *skb)
{
	struct pp_tcp_cb *cb = pp__tcp_cb(skb);
	bool fin = cb->flags & PP_TCP_FIN;

	tp->rcv_nxt = cb->end_seq - (fin ? 1u : 0u);
	tp->bytes_received += skb->len;
	if (skb->len && tp->rq_tail && skb->len <= pp_skb_tailroom(tp->rq_tail)) {
		memcpy(pp_skb_put(tp->rq_tail, skb->len), pp_skb_data(skb), skb->len);
		skb->len = 0;
	}
	if (!skb->len) {
		uint32_t ts = pp_skb_truesize(skb);

		atomic_fetch_sub_explicit(&tp->sk.rmem_alloc, ts, memory_order_relaxed);
		atomic_fetch_sub_explicit(&tp->sk.st->lanes[skb->owner < tp->sk.st->nlanes ? skb->owner : 0].rcv_mem,
					  ts, memory_order_relaxed);
		consume(l, skb);
	} else {
		skb->next = NULL;
		if (tp->rq_tail)
			tp->rq_tail->next = skb;
		else
			tp->rq_head = skb;
		tp->rq_tail = skb;
	}
	if (fin)
		tcp_fin(tp);
}

/* ---- SACK blocks we send (RFC 2018 4) --------------------------------------------------- */

/* Take block @i out of the @n in @sp. */
static void sack_del(struct pp_tcp_sack_block *sp, unsigned int *n, unsigned int i)
{
	memmove(&sp[i], &sp[i + 1], sizeof(sp[0]) * (*n - i - 1));
	(*n)--;
}

/* Join [@seq, @end) to block @b if they overlap or touch. */
static bool sack_extend(struct pp_tcp_sack_block *b, uint32_t seq, uint32_t end)
{
	if (pp__tcp_after(seq, b->end_seq) || pp__tcp_after(b->start_seq, end))
		return false;
	if (pp__tcp_before(seq, b->start_seq))
		b->start_seq = seq;
	if (pp__tcp_after(end, b->end_seq))
		b->end_seq = end;
	return true;
}

/*
 * cf. tcp_sack_new_ofo_skb() and tcp_sack_maybe_coalesce(): [@seq, @end)
 * went into the out-of-order queue. The block it extends, or a new one,
 * goes first (RFC 2018: the first block reports the segment that triggered
 * the ACK); blocks it joins merge; past PP_TCP_NUM_SACKS the oldest goes
 * unreported (the sender may send it again, no more).
 */
static void sack_new_ofo(struct pp_tcp_sock *tp, uint32_t seq, uint32_t end)
{
	struct pp_tcp_sack_block *sp = tp->selective_acks, first = {seq, end};
	unsigned int n = tp->num_sacks, i;

	for (i = 0; i < n; i++)
		if (sack_extend(&sp[i], seq, end))
			break;
	if (i < n) {
		first = sp[i];
		memmove(&sp[1], &sp[0], sizeof(sp[0]) * i);
		sp[0] = first;
		for (unsigned int j = 1; j < n;) {
			if (sack_extend(&sp[0], sp[j].start_seq, sp[j].end_seq))
				sack_del(sp, &n, j);
			else
				j++;
		}
	} else {
		if (n == PP_TCP_NUM_SACKS)
			n--;
		memmove(&sp[1], &sp[0], sizeof(sp[0]) * n);
		sp[0] = first;
		n++;
	}
	tp->num_sacks = (uint8_t)n;
}

/* cf. tcp_sack_remove(): blocks the in-order data has reached are done. */
static void sack_remove(struct pp_tcp_sock *tp)
{
	struct pp_tcp_sack_block *sp = tp->selective_acks;
	unsigned int n = tp->num_sacks;

	if (!tp->ooo_head) {
		tp->num_sacks = 0;
		return;
	}
	for (unsigned int i = 0; i < n;) {
		if (!pp__tcp_after(sp[i].end_seq, tp->rcv_nxt))
			sack_del(sp, &n, i);
		else
			i++;
	}
	tp->num_sacks = (uint8_t)n;
}

/* cf. tcp_ofo_queue(): what the out-of-order queue now continues */
static void ofo_queue(struct pp_lane *l, struct pp_tcp_sock *tp)
{
	struct pp_skb *skb;

	while ((skb = tp->ooo_head) && !tp->fin_rcvd) {
		struct pp_tcp_cb *cb = pp__tcp_cb(skb);

		if (pp__tcp_after(cb->seq, tp->rcv_nxt))
			break;
		tp->ooo_head = skb->next;
		skb->next = NULL;
		tp->ooo_bytes -= pp_skb_truesize(skb);
		if (!pp__tcp_after(cb->end_seq, tp->rcv_nxt)) {
			/* wholly old now */
			uint32_t ts = pp_skb_truesize(skb);

			atomic_fetch_sub_explicit(&tp->sk.rmem_alloc, ts, memory_order_relaxed);
			atomic_fetch_sub_explicit(&tp->sk.st->lanes[skb->owner < tp->sk.st->nlanes ? skb->owner : 0].rcv_mem,
						  ts, memory_order_relaxed);
			drop(l, skb, PP_DROP_TCP_OLD_DATA);
			continue;
		}
		uint32_t cut = tp->rcv_nxt - cb->seq;

		pp_skb_pull(skb, cut);
		cb->seq += cut;
		queue_in_order(l, tp, skb);
	}
}

static void data_queue(struct pp_lane *l, struct pp_tcp_sock *tp, struct pp_skb *skb,
		       const struct seg *g)
{
	struct pp_tcp_cb *cb = pp__tcp_cb(skb);
	uint32_t seq = g->seq + ((g->flags & PP_TCP_SYN) ? 1u : 0u);

	cb->seq = seq;
	cb->end_seq = g->end_seq;
	cb->flags = g->flags & PP_TCP_FIN;
	if (cb->end_seq == cb->seq) {
		consume(l, skb); /* nothing in sequence space */
		return;
	}
	if (tp->fin_rcvd || (tp->sk.shutdown & PP_RCV_SHUTDOWN && tp->orphan)) {
		if (skb->len && tp->orphan) {
			/* data after close (cf. tcp_rcv_state_process(): "abort on data") */
			pp__tcp_send_active_reset(tp);
			pp__tcp_reset(tp, EPIPE);
			drop(l, skb, PP_DROP_TCP_CLOSE);
			return;
		}
		ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_CLOSE);
		return;
	}
	/* wholly old: a duplicate; ACK at once (cf. tcp_send_dupack()) */
	if (!pp__tcp_after(cb->end_seq, tp->rcv_nxt)) {
		ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_OLD_DATA);
		return;
	}
	/* beyond the window we offered */
	if (!pp__tcp_before(cb->seq, tp->rcv_nxt + (tp->rcv_wnd ? tp->rcv_wnd : 1))) {
		ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_INVALID_SEQ);
		return;
	}
	/* partly old: cut the front */
	if (pp__tcp_before(cb->seq, tp->rcv_nxt)) {
		uint32_t cut = tp->rcv_nxt - cb->seq;

		if (cut > skb->len)
			cut = skb->len;
		pp_skb_pull(skb, cut);
		cb->seq += cut;
	}
	if (!rmem_charge(tp, skb)) {
		bool in_order = cb->seq == tp->rcv_nxt;

		if (in_order)
			PP_STAT_ADD(pp__tcp_mib(l)->rcvq_dropped, 1);
		else
			PP_STAT_ADD(pp__tcp_mib(l)->ooo_dropped, 1);
		ack_schedule(tp, true);
		drop(l, skb, in_order ? PP_DROP_RCVQ_FULL : PP_DROP_TCP_OFO_DROP);
		return;
	}
	if (cb->seq == tp->rcv_nxt) {
		bool had_ooo = tp->ooo_head != NULL;

		queue_in_order(l, tp, skb);
		ofo_queue(l, tp);
		if (tp->num_sacks)
			sack_remove(tp);
		/* cf. __tcp_ack_snd_check(): more than one full segment unacked,
		 * quick ACKs at the start, a hole filled: ACK now */
		tp->segs_since_ack++;
		if (g->paylen > tp->rcv_mss && g->paylen <= tp->advmss)
			tp->rcv_mss = (uint16_t)g->paylen;
		bool now = tp->quick || had_ooo || tp->rcv_nxt - tp->rcv_wup >= 2u * tp->rcv_mss ||
			   tp->segs_since_ack >= 2;
		if (tp->quick)
			tp->quick--;
		ack_schedule(tp, now);
		return;
	}
	/* out of order: sorted by seq, duplicates dropped (cf. tcp_data_queue_ofo()) */
	struct pp_skb **pp = &tp->ooo_head;

	while (*pp && pp__tcp_before(pp__tcp_cb(*pp)->seq, cb->seq))
		pp = &(*pp)->next;
	if (*pp && pp__tcp_cb(*pp)->seq == cb->seq &&
	    !pp__tcp_after(cb->end_seq, pp__tcp_cb(*pp)->end_seq)) {
		uint32_t ts = pp_skb_truesize(skb);

		atomic_fetch_sub_explicit(&tp->sk.rmem_alloc, ts, memory_order_relaxed);
		atomic_fetch_sub_explicit(&tp->sk.st->lanes[skb->owner < tp->sk.st->nlanes ? skb->owner : 0].rcv_mem,
					  ts, memory_order_relaxed);
		ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_OLD_DATA);
		return;
	}
	skb->next = *pp;
	*pp = skb;
	tp->ooo_bytes += pp_skb_truesize(skb);
	if (tp->sack_ok)
		sack_new_ofo(tp, cb->seq, cb->end_seq);
	/* a duplicate ACK per out-of-order segment, now (not one per burst):
	 * the sender counts them to find the hole (RFC 5681 4.2) */
	pp__tcp_send_ack(tp);
}

/* ---- the state machine (cf. tcp_rcv_state_process()) ---------------------------------- */

static bool seq_acceptable(const struct pp_tcp_sock *tp, const struct seg *g)
{
	/* cf. tcp_sequence(): not wholly before rcv_wup, not after the window */
	return !pp__tcp_before(g->end_seq, tp->rcv_wup) &&
	       !pp__tcp_after(g->seq, tp->rcv_nxt + tp->rcv_wnd);
}

static void rcv_sk(struct pp_lane *l, struct pp_tcp_sock *tp, struct pp_skb *skb, struct seg *g)
{
	tp->last_rcv_ns = pp__now_ns();
	switch (tp->state) {
	case PP_TCP_LISTEN:
		rcv_listen(l, tp, skb, g);
		return;
	case PP_TCP_SYN_SENT:
		rcv_synsent(l, tp, skb, g);
		return;
	case PP_TCP_CLOSE:
		pp__tcp_v4_send_reset(l, skb, g->saddr, g->daddr, g->th, g->end_seq - g->seq);
		drop(l, skb, PP_DROP_TCP_CLOSE);
		return;
	case PP_TCP_TIME_WAIT:
		/* cf. tcp_timewait_state_process() */
		if (g->flags & PP_TCP_RST) {
			pp__tcp_done(tp); /* RFC 1337 left off, as Linux's default */
			consume(l, skb);
			return;
		}
		if ((g->flags & PP_TCP_SYN) && !(g->flags & PP_TCP_ACK) &&
		    pp__tcp_after(g->seq, tp->rcv_nxt)) {
			struct pp_tcp_sock *lp = pp__tcp_lookup_listener(l->st, g->th->dest);

			PP_STAT_ADD(pp__tcp_mib(l)->timewait_recycled, 1);
			pp__tcp_done(tp);
			if (lp && lp->sk.lane == l) {
				rcv_listen(l, lp, skb, g);
				return;
			}
			drop(l, skb, PP_DROP_NO_SOCKET);
			return;
		}
		if (g->flags & PP_TCP_FIN)
			pp__tcp_time_wait(tp, PP_TCP_TIME_WAIT, tp->timewait_ns);
		pp__tcp_send_ack(tp);
		consume(l, skb);
		return;
	default:
		break;
	}
	/* PAWS (RFC 7323 5): an older timestamp than the last in-order one */
	if (tp->tstamp_ok && g->opt.saw_tstamp && !(g->flags & PP_TCP_RST) &&
	    (int32_t)(g->opt.tsval - tp->ts_recent) < 0 &&
	    pp__now_ns() - tp->ts_recent_stamp_ns < 24ull * 24 * 3600 * PP_NSEC_PER_SEC) {
		PP_STAT_ADD(pp__tcp_mib(l)->ts_paws_rejects, 1);
		ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_PAWS);
		return;
	}
	if (!seq_acceptable(tp, g)) {
		if (!(g->flags & PP_TCP_RST))
			ack_schedule(tp, true);
		drop(l, skb, PP_DROP_TCP_INVALID_SEQ);
		return;
	}
	if (g->flags & PP_TCP_RST) {
		/* RFC 5961 3.2: only the exact next sequence resets; in window:
		 * a challenge ACK */
		if (g->seq == tp->rcv_nxt) {
			int err = tp->state == PP_TCP_CLOSE_WAIT ? EPIPE : ECONNRESET;

			if (tp->state == PP_TCP_SYN_RECV && tp->parent)
				err = ECONNREFUSED;
			pp__tcp_reset(tp, err);
		} else {
			ack_schedule(tp, true);
		}
		consume(l, skb);
		return;
	}
	if (g->flags & PP_TCP_SYN) {
		/* RFC 5961 4: a SYN in a synchronized state gets a challenge ACK */
		if (tp->state != PP_TCP_SYN_RECV || g->seq != tp->irs) {
			ack_schedule(tp, true);
			drop(l, skb, PP_DROP_TCP_FLAGS);
			return;
		}
		/* the peer sent its SYN again: our SYN-ACK was lost */
		pp__tcp_send_synack(tp);
		consume(l, skb);
		return;
	}
	if (!(g->flags & PP_TCP_ACK)) {
		drop(l, skb, PP_DROP_TCP_FLAGS);
		return;
	}
	/* timestamps: remember the peer's for segments at the left edge */
	if (tp->tstamp_ok && g->opt.saw_tstamp && !pp__tcp_after(g->seq, tp->rcv_wup)) {
		tp->ts_recent = g->opt.tsval;
		tp->ts_recent_stamp_ns = tp->last_rcv_ns;
	}
	if (tp->state == PP_TCP_SYN_RECV) {
		if (!pp__tcp_after(g->ack, tp->snd_una) || pp__tcp_after(g->ack, tp->snd_nxt)) {
			pp__tcp_v4_send_reset(l, skb, g->saddr, g->daddr, g->th, g->end_seq - g->seq);
			drop(l, skb, PP_DROP_TCP_INVALID_ACK);
			return;
		}
		if (tp->parent && tp->parent->acc_len >= tp->parent->acc_max) {
			/* accept queue full: forget the ACK, the SYN-ACK goes again
			 * (cf. tcp_check_req() -> listen_overflow()) */
			PP_STAT_ADD(pp__tcp_mib(l)->listen_overflows, 1);
			drop(l, skb, PP_DROP_TCP_LISTEN_OVERFLOW);
			return;
		}
		tp->snd_una = g->ack;
		tp->snd_wnd = (uint32_t)g->win << tp->snd_wscale;
		tp->snd_wl1 = g->seq;
		tp->max_window = tp->snd_wnd;
		pp__tcp_init_transfer(tp);
		pp__tcp_child_established(tp);
	} else if (!tcp_ack(tp, g)) {
		drop(l, skb, PP_DROP_TCP_INVALID_ACK);
		return;
	}
	if (tp->done) {
		consume(l, skb);
		return;
	}
	switch (tp->state) {
	case PP_TCP_FIN_WAIT1:
		if (fin_acked(tp)) {
			pp__tcp_set_state(tp, PP_TCP_FIN_WAIT2);
			pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_rtx);
			if (tp->orphan)
				pp__tcp_time_wait(tp, PP_TCP_FIN_WAIT2, PP_TCP_FIN_TIMEOUT_NS);
		}
		break;
	case PP_TCP_CLOSING:
		if (fin_acked(tp)) {
			pp__tcp_time_wait(tp, PP_TCP_TIME_WAIT, tp->timewait_ns);
			consume(l, skb);
			return;
		}
		break;
	case PP_TCP_LAST_ACK:
		if (fin_acked(tp)) {
			pp__tcp_done(tp);
			consume(l, skb);
			return;
		}
		break;
	default:
		break;
	}
	switch (tp->state) {
	case PP_TCP_ESTABLISHED:
	case PP_TCP_FIN_WAIT1:
	case PP_TCP_FIN_WAIT2:
		data_queue(l, tp, skb, g);
		return;
	default:
		/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN came before */
		if (g->end_seq != g->seq && pp__tcp_after(g->end_seq, tp->rcv_nxt))
			ack_schedule(tp, true);
		consume(l, skb);
		return;
	}
}

/* ---- entry points -------------------------------------------------------------------- */

void pp__tcp_rcv_owned(struct pp_lane *l, struct pp_skb *skb)
{
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	uint32_t ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4u;
	struct pp_tcp_sock *tp;
	struct seg g;

	if (!seg_parse(skb, ihl, &g)) {
		drop(l, skb, PP_DROP_MALFORMED);
		return;
	}
	tp = pp__tcp_lookup_established(l->st, g.saddr, g.th->source, g.daddr, g.th->dest);
	if (!tp)
		tp = pp__tcp_lookup_listener(l->st, g.th->dest);
	if (!tp || tp->sk.lane != l) {
		pp__tcp_v4_send_reset(l, skb, g.saddr, g.daddr, g.th, g.end_seq - g.seq);
		drop(l, skb, PP_DROP_NO_SOCKET);
		return;
	}
	rcv_sk(l, tp, skb, &g);
}

/* cf. tcp_v4_rcv(): data at the IPv4 header (@ihl bytes). */
static void tcp_v4_rcv(struct pp_inet_rx *c, struct pp_skb *skb, uint32_t ihl, bool bcast,
		       bool l2bcast)
{
	struct pp_lane *l = c->l;
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	struct pp_tcp_sock *tp;
	struct seg g;

	PP_STAT_ADD(pp__tcp_mib(l)->in_segs, 1);
	if (bcast || l2bcast) {
		pp_stage_drop(c->s, skb, PP_DROP_NOT_FOR_US);
		return;
	}
	if (skb->frag) {
		/* a segment is one frame here: IP-fragmented TCP is refused */
		pp_stage_drop(c->s, skb, PP_DROP_UNSUPPORTED);
		return;
	}
	uint32_t tlen = skb->len - ihl;

	if (skb->len < ihl + PP_TCP_HLEN) {
		pp_stage_drop(c->s, skb, PP_DROP_MALFORMED);
		return;
	}
	{
		const uint8_t *th = (const uint8_t *)ip + ihl;
		unsigned int odd = 0;
		uint64_t sum = pp_csum_pseudo(ip->saddr, ip->daddr, PP_IPPROTO_TCP, (uint16_t)tlen);
		uint16_t check;

		memcpy(&check, th + 16, 2);
		sum = pp_csum_partial(th, tlen, sum, &odd);
		if (PP_UNLIKELY(pp_csum_fold(sum)) &&
		    !(c->csum_partial &&
		      pp_csum_is_partial(check, ip->saddr, ip->daddr, PP_IPPROTO_TCP, (uint16_t)tlen))) {
			PP_STAT_ADD(pp__tcp_mib(l)->bad_segs, 1);
			pp_stage_drop(c->s, skb, PP_DROP_BAD_CSUM);
			return;
		}
	}
	const struct pp_tcp_hdr *th = (const struct pp_tcp_hdr *)((const uint8_t *)ip + ihl);

	tp = pp__tcp_lookup_established(c->st, ip->saddr, th->source, ip->daddr, th->dest);
	if (!tp)
		tp = pp__tcp_lookup_listener(c->st, th->dest);
	if (tp && tp->sk.lane != l) {
		/* the connection is another lane's: hand the segment over */
		struct pp_ring *r = c->st->tcp->lanes[tp->sk.lane->id].handoff[l->id];

		if (!r || !pp_ring_enqueue(r, skb)) {
			PP_STAT_ADD(pp__tcp_mib(l)->handoff_dropped, 1);
			pp_stage_drop(c->s, skb, PP_DROP_SOCKET_BACKLOG);
		}
		return;
	}
	if (!seg_parse(skb, ihl, &g)) {
		PP_STAT_ADD(pp__tcp_mib(l)->bad_segs, 1);
		pp_stage_drop(c->s, skb, PP_DROP_MALFORMED);
		return;
	}
	if (!tp) {
		pp__tcp_v4_send_reset(l, skb, g.saddr, g.daddr, g.th, g.end_seq - g.seq);
		pp_stage_drop(c->s, skb, PP_DROP_NO_SOCKET);
		return;
	}
	rcv_sk(l, tp, skb, &g);
}

void pp__tcp_flush_lane(struct pp_lane *l)
{
	struct pp_tcp_lane *tl = &l->st->tcp->lanes[l->id];
	struct pp_tcp_sock *list = tl->flush;

	tl->flush = NULL;
	while (list) {
		struct pp_tcp_sock *tp = list;

		list = tp->flush_next;
		tp->on_flush = false;
		if (tp->done)
			continue;
		if (tp->send_head)
			pp__tcp_write_xmit(tp, !tp->cork);
		if (tp->ack_pending & PP_TCP_ACK_NOW)
			pp__tcp_send_ack(tp);
		else if (tp->ack_pending & PP_TCP_ACK_SCHED)
			pp__tcp_arm_delack(tp);
	}
}

static void tcp_flush(struct pp_inet_rx *c)
{
	if (c->st->tcp->lanes[c->l->id].flush)
		pp__tcp_flush_lane(c->l);
}

/* cf. tcp_v4_err(): ICMP about a segment we sent. Hard errors abort a
 * connection still opening (RFC 1122 4.2.3.9); on an established one they
 * are left as soft errors, as Linux does without IP_RECVERR. */
static void tcp_v4_err(struct pp_lane *l, const struct pp_ipv4_hdr *inner, const uint8_t *l4,
		       uint32_t l4len, int err, bool fatal)
{
	struct pp_tcp_sock *tp;
	uint16_t sport, dport;

	if (l4len < 8 || !fatal)
		return;
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	tp = pp__tcp_lookup_established(l->st, inner->daddr, dport, inner->saddr, sport);
	if (!tp || tp->sk.lane != l)
		return;
	if (tp->state == PP_TCP_SYN_SENT) {
		PP_STAT_ADD(pp__tcp_mib(l)->attempt_fails, 1);
		pp__tcp_reset(tp, err);
	}
}

const struct pp_inet_protocol pp__tcp_protocol = {
	.protocol = PP_IPPROTO_TCP,
	.handler = tcp_v4_rcv,
	.flush = tcp_flush,
	.err_handler = tcp_v4_err,
};
