// SPDX-License-Identifier: MIT
/*
 * tcp_timer.c - TCP's timers on the owning lane's wheel (cf.
 * net/ipv4/tcp_timer.c): retransmission (and the SYN's, and the persist
 * timer's zero-window probes) on t_rtx, delayed ACK on t_delack, and
 * keepalive, orphaned FIN_WAIT2 and TIME_WAIT on t_keep.
 */
#include <errno.h>
#include <stddef.h>

#include "core/time.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

#define TP_OF(t, field) ((struct pp_tcp_sock *)((char *)(t) - offsetof(struct pp_tcp_sock, field)))

struct pp_timer_wheel *pp__tcp_wheel(struct pp_tcp_sock *tp)
{
	return &tp->sk.lane->rt->timers;
}

static void arm(struct pp_tcp_sock *tp, struct pp_timer *t, uint64_t delay_ns)
{
	pp_timer_arm(pp__tcp_wheel(tp), t, pp__now_ns() + delay_ns);
}

void pp__tcp_rearm_rto(struct pp_tcp_sock *tp)
{
	tp->rtx_kind = PP_TCP_TIME_RETRANS;
	arm(tp, &tp->t_rtx, pp__tcp_rto_ns(&tp->rto));
}

/*
 * cf. tcp_schedule_loss_probe() (RFC 8985 7.2): with SACK, in state Open,
 * data out and no probe unanswered, a probe timeout of 2 SRTT (plus the
 * peer's delayed ACK when one segment is out, else 2 ms; at least 10 ms,
 * PP_TCP_TLP_FLOOR_US), never later than the RTO would fire. A tail loss,
 * or the loss of the one ACK for a whole flight, then costs 10 ms instead
 * of an RTO (200 ms at least). Unlike Linux, also in a SACK recovery: when
 * the ACK that would end it is lost, nothing else comes back (measured
 * against the kernel through 1% loss: most of the RTOs left were that).
 */
bool pp__tcp_schedule_loss_probe(struct pp_tcp_sock *tp)
{
	uint32_t srtt = pp__tcp_srtt_us(&tp->rto);
	struct pp_skb *head = tp->wq_head;
	uint64_t pto, rto_at, now;

	if (!tp->sack_ok || !tp->packets_out || tp->tlp_out || !srtt || !head ||
	    (tp->cc.ca_state != PP_TCP_CA_OPEN && !tp->sack_recovery) ||
	    tp->state == PP_TCP_SYN_SENT || tp->state == PP_TCP_SYN_RECV)
		return false;
	pto = 2ull * srtt + (tp->packets_out == 1 ? PP_TCP_RTO_MIN_US : PP_TCP_TLP_MIN_US);
	if (pto < (tp->tlp_floor_us ? tp->tlp_floor_us : PP_TCP_TLP_FLOOR_US))
		pto = tp->tlp_floor_us ? tp->tlp_floor_us : PP_TCP_TLP_FLOOR_US;
	pto *= PP_NSEC_PER_USEC;
	/* not after the RTO of the oldest segment out (cf. tcp_rto_delta_us()) */
	now = pp__now_ns();
	rto_at = pp__tcp_cb(head)->sent_ns + pp__tcp_rto_ns(&tp->rto);
	if (now + pto > rto_at)
		pto = rto_at > now ? rto_at - now : 0;
	tp->rtx_kind = PP_TCP_TIME_LOSS_PROBE;
	arm(tp, &tp->t_rtx, pto);
	return true;
}

void pp__tcp_set_xmit_timer(struct pp_tcp_sock *tp)
{
	if (!pp__tcp_schedule_loss_probe(tp))
		pp__tcp_rearm_rto(tp);
}

/*
 * cf. tcp_send_loss_probe(): the last segment sent goes again. An ACK comes
 * back at once (a duplicate is ACKed immediately, with a D-SACK if it had
 * arrived), with the SACK news recovery starts from. Then the RTO.
 *
 * Where we differ: Linux (and RFC 8985 7.3) prefer a new segment when
 * there is one. Measured against Linux's receiver through 1% loss, a new
 * segment met its delayed ACK (the ACK for a whole flight, coalesced in
 * its backlog, was the one lost; one more segment is not two full ones),
 * and the probe was answered 40 ms later instead of one RTT.
 */
static void send_loss_probe(struct pp_tcp_sock *tp)
{
	struct pp_skb *last = NULL;

	for (struct pp_skb *s = tp->wq_head; s && s != tp->send_head; s = s->next)
		last = s;
	tp->tlp_out = true;
	tp->tlp_high_seq = tp->snd_nxt;
	if (last && !pp__tcp_retransmit_skb(tp, last))
		PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->loss_probes, 1);
	pp__tcp_rearm_rto(tp);
}

void pp__tcp_arm_probe0(struct pp_tcp_sock *tp)
{
	/* cf. tcp_probe0_when(): the RTO, backed off per unanswered probe */
	uint64_t when = pp__tcp_rto_ns(&tp->rto) << (tp->probes_out < 6 ? tp->probes_out : 6);
	uint64_t max = (uint64_t)PP_TCP_RTO_MAX_US * PP_NSEC_PER_USEC;

	tp->rtx_kind = PP_TCP_TIME_PROBE0;
	arm(tp, &tp->t_rtx, when < max ? when : max);
}

void pp__tcp_arm_delack(struct pp_tcp_sock *tp)
{
	if (pp_timer_pending(&tp->t_delack))
		return;
	tp->ack_pending |= PP_TCP_ACK_TIMER;
	arm(tp, &tp->t_delack, PP_TCP_DELACK_MIN_NS);
}

void pp__tcp_arm_keepalive(struct pp_tcp_sock *tp)
{
	if (!tp->keepalive) {
		if (tp->state != PP_TCP_TIME_WAIT && tp->state != PP_TCP_FIN_WAIT2)
			pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_keep);
		return;
	}
	arm(tp, &tp->t_keep, (uint64_t)tp->keepidle_s * PP_NSEC_PER_SEC);
}

/* cf. tcp_time_wait(): the connection waits in @state for @timeo_ns, then goes. */
void pp__tcp_time_wait(struct pp_tcp_sock *tp, int state, uint64_t timeo_ns)
{
	pp__tcp_set_state(tp, state);
	pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_rtx);
	if (state == PP_TCP_TIME_WAIT) {
		/* nothing is sent any more: what the application left unsent
		 * cannot be, and a TIME_WAIT socket holds no send memory */
		pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_delack);
		tp->ack_pending = 0;
	}
	arm(tp, &tp->t_keep, timeo_ns);
}

/* cf. tcp_write_timeout(): too many tries; the connection fails */
static bool write_timeout(struct pp_tcp_sock *tp)
{
	uint32_t max;

	if (tp->state == PP_TCP_SYN_SENT)
		max = PP_TCP_SYN_RETRIES;
	else if (tp->state == PP_TCP_SYN_RECV)
		max = PP_TCP_SYNACK_RETRIES;
	else
		max = tp->orphan ? PP_TCP_ORPHAN_RETRIES : PP_TCP_RETRIES2;
	if (tp->retransmits <= max)
		return false;
	if (tp->state == PP_TCP_SYN_SENT)
		PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->attempt_fails, 1);
	pp__tcp_reset(tp, ETIMEDOUT);
	return true;
}

/* cf. tcp_retransmit_timer() and tcp_probe_timer() */
static void rtx_timer(struct pp_timer *t)
{
	struct pp_tcp_sock *tp = TP_OF(t, t_rtx);
	struct pp_tcp_mib *mib = pp__tcp_mib(tp->sk.lane);

	if (tp->done)
		return;
	if (tp->rtx_kind == PP_TCP_TIME_LOSS_PROBE) {
		if (tp->packets_out)
			send_loss_probe(tp);
		return;
	}
	if (tp->rtx_kind == PP_TCP_TIME_PROBE0) {
		if (tp->packets_out || !tp->send_head)
			return;
		tp->probes_out++;
		if (tp->probes_out > (tp->orphan ? PP_TCP_ORPHAN_RETRIES : PP_TCP_RETRIES2)) {
			pp__tcp_reset(tp, ETIMEDOUT);
			return;
		}
		pp__tcp_send_probe(tp);
		if (!tp->packets_out)
			pp__tcp_arm_probe0(tp);
		return;
	}
	switch (tp->state) {
	case PP_TCP_SYN_SENT:
	case PP_TCP_SYN_RECV:
		tp->retransmits++;
		if (write_timeout(tp))
			return;
		pp__tcp_rto_backoff(&tp->rto);
		PP_STAT_ADD(mib->rto, 1);
		tp->total_retrans++;
		if (tp->state == PP_TCP_SYN_SENT)
			pp__tcp_send_syn(tp);
		else
			pp__tcp_send_synack(tp);
		return;
	case PP_TCP_CLOSE:
	case PP_TCP_LISTEN:
	case PP_TCP_TIME_WAIT:
		return;
	default:
		break;
	}
	if (!tp->packets_out)
		return;
	tp->retransmits++;
	if (write_timeout(tp))
		return;
	PP_STAT_ADD(mib->rto, 1);
	tp->rto_count++;
	/*
	 * cf. tcp_enter_loss(): everything outstanding and not SACKed is taken
	 * as lost, and goes again oldest first as the window (now one
	 * segment) opens; retransmissions in flight no longer count. A second
	 * timeout in a row forgets the SACKs too: the receiver may have
	 * dropped what it SACKed (reneging, cf. tcp_check_sack_reneging()).
	 */
	pp__tcp_cc_enter_loss(&tp->cc, &tp->nr, tp->snd_una, tp->snd_nxt, 0, tp->retransmits - 1u);
	tp->sack_recovery = false;
	tp->tlp_out = false;
	bool forget = tp->retransmits > 1;

	for (struct pp_skb *s = tp->wq_head; s && s != tp->send_head; s = s->next) {
		struct pp_tcp_cb *cb = pp__tcp_cb(s);

		pp__tcp_sb_unmark(tp, cb, PP_TCPCB_RTX_OUT | (forget ? PP_TCPCB_SACKED : 0));
		if (!(cb->sacked & PP_TCPCB_SACKED))
			pp__tcp_sb_mark(tp, cb, PP_TCPCB_LOST);
	}
	pp__tcp_rto_backoff(&tp->rto);
	if (!pp__tcp_write_xmit(tp, true))
		pp__tcp_rearm_rto(tp); /* no frame to send it in: try again */
}

static void delack_timer(struct pp_timer *t)
{
	struct pp_tcp_sock *tp = TP_OF(t, t_delack);

	tp->ack_pending &= (uint8_t)~PP_TCP_ACK_TIMER;
	if (!tp->done && (tp->ack_pending & PP_TCP_ACK_SCHED))
		pp__tcp_send_ack(tp);
}

/* cf. tcp_keepalive_timer(): keepalive, and the end of TIME_WAIT and of an
 * orphaned FIN_WAIT2 */
static void keep_timer(struct pp_timer *t)
{
	struct pp_tcp_sock *tp = TP_OF(t, t_keep);
	uint64_t now = pp__now_ns();

	if (tp->done)
		return;
	if (tp->state == PP_TCP_TIME_WAIT || (tp->state == PP_TCP_FIN_WAIT2 && tp->orphan)) {
		pp__tcp_done(tp);
		return;
	}
	if (!tp->keepalive || tp->state != PP_TCP_ESTABLISHED)
		return;
	uint64_t idle = now - tp->last_rcv_ns;
	uint64_t keepidle = (uint64_t)tp->keepidle_s * PP_NSEC_PER_SEC;

	if (tp->packets_out || tp->send_head) {
		arm(tp, &tp->t_keep, keepidle); /* data moves: the RTO watches it */
		return;
	}
	if (idle >= keepidle) {
		if (tp->probes_out >= tp->keepcnt) {
			pp__tcp_reset(tp, ETIMEDOUT);
			return;
		}
		pp__tcp_send_probe(tp);
		tp->probes_out++;
		arm(tp, &tp->t_keep, (uint64_t)tp->keepintvl_s * PP_NSEC_PER_SEC);
		return;
	}
	tp->probes_out = 0;
	arm(tp, &tp->t_keep, keepidle - idle);
}

void pp__tcp_timers_init(struct pp_tcp_sock *tp)
{
	pp_timer_init(&tp->t_rtx, rtx_timer);
	pp_timer_init(&tp->t_delack, delack_timer);
	pp_timer_init(&tp->t_keep, keep_timer);
}

void pp__tcp_timers_cancel(struct pp_tcp_sock *tp)
{
	struct pp_timer_wheel *w = pp__tcp_wheel(tp);

	pp_timer_cancel(w, &tp->t_rtx);
	pp_timer_cancel(w, &tp->t_delack);
	pp_timer_cancel(w, &tp->t_keep);
}
