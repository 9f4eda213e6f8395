// SPDX-License-Identifier: MIT
/*
 * tcp_output.c - TCP's way out (cf. net/ipv4/tcp_output.c):
 * tcp_write_xmit() decides what may leave (congestion window, the peer's
 * window, Nagle, TCP small queues, room on the device), tcp_transmit_skb()
 * builds each transmission on a transmit copy of the original (skb.h:
 * "Retransmission"), so the original stays on the write queue until it is
 * acknowledged and a retransmission never touches a frame still in flight.
 * Pure ACKs, RSTs, SYNs and SYN-ACKs are built in fresh frames.
 *
 * Every segment leaves through pp__ip_queue_xmit() in bursts, counted in by
 * the lane's "tcp" stage; nothing here runs the lane (no recursion into the
 * receive path that called it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

/* Linux's default window scale: from tcp_rmem[2] = 6 MiB (tcp_select_initial_window()) */
#define PP_TCP_RCV_WSCALE 7u

/* The header fields of one segment. */
struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;		/* as it goes on the wire (scaled) */
	uint8_t flags;
	uint8_t tos, prio;
	uint8_t optlen;
	uint8_t opt[PP_TCP_MAX_OPTLEN];
};

/* Push the TCP header (checksummed with the payload) and the IPv4 template. */
static void tcp_push_headers(struct pp_skb *skb, const struct tcp_seg *g)
{
	uint32_t thlen = PP_TCP_HLEN + g->optlen;
	uint32_t paylen = skb->len;
	struct pp_tcp_hdr *th = pp_skb_push(skb, thlen);
	struct pp_ipv4_hdr *ip;
	unsigned int odd = 0;
	uint64_t sum;

	th->source = g->sport;
	th->dest = g->dport;
	th->seq = htonl(g->seq);
	th->ack_seq = htonl(g->ack);
	th->doff_res = (uint8_t)((thlen / 4) << PP_TCP_DOFF_SHIFT);
	th->flags = g->flags;
	th->window = htons(g->win);
	th->check = 0;
	th->urg_ptr = 0;
	memcpy(th + 1, g->opt, g->optlen);
	sum = pp_csum_pseudo(g->saddr, g->daddr, PP_IPPROTO_TCP, (uint16_t)(thlen + paylen));
	sum = pp_csum_partial(th, thlen + paylen, sum, &odd);
	th->check = pp_csum_fold(sum);
	skb->trans_off = pp_skb_offset(skb, th);
	ip = pp_skb_push(skb, PP_IPV4_HLEN);
	ip->ver_ihl = 0x45;
	ip->tos = g->tos;
	ip->tot_len = 0;
	ip->id = 0;
	ip->frag_off = htons(PP_IP_DF);
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_TCP;
	ip->check = 0;
	ip->saddr = g->saddr;
	ip->daddr = g->daddr;
	skb->net_off = pp_skb_offset(skb, ip);
	skb->prio = g->prio;
}

static void seg_of(const struct pp_tcp_sock *tp, struct tcp_seg *g, uint32_t seq, uint8_t flags)
{
	const struct pp_sock *sk = &tp->sk;

	g->saddr = sk->saddr;
	g->daddr = sk->daddr;
	g->sport = sk->sport;
	g->dport = sk->dport;
	g->seq = seq;
	g->ack = tp->rcv_nxt;
	g->flags = flags;
	g->tos = sk->tos;
	g->prio = sk->prio;
	g->optlen = 0;
	g->win = 0;
}

/* Options after the handshake (cf. tcp_established_options()): timestamps
 * when agreed; SACK blocks while data waits out of order and the peer
 * permitted them (as many as fit beside the timestamp). */
static void seg_opts(const struct pp_tcp_sock *tp, struct tcp_seg *g, uint64_t now_ns)
{
	struct pp_tcp_opts_tx o = {.ts = tp->tstamp_ok};
	int n;

	if (tp->tstamp_ok) {
		o.tsval = pp__tcp_ts_now(now_ns) + tp->ts_off;
		o.tsecr = tp->ts_recent;
	}
	if (tp->sack_ok && tp->num_sacks) {
		o.num_sacks = tp->num_sacks;
		memcpy(o.sack, tp->selective_acks, sizeof(o.sack[0]) * tp->num_sacks);
	}
	if (!o.ts && !o.num_sacks)
		return;
	n = pp__tcp_established_options(g->opt, &o);
	g->optlen = (uint8_t)(n > 0 ? n : 0);
}

/* Send a burst of built segments down (cf. ip_queue_xmit() per segment). */
static void tcp_out(struct pp_lane *l, struct pp_skb **skbs, uint16_t n)
{
	if (!n)
		return;
	pp_stage_count_in(&l->s_tcp, skbs, n);
	PP_STAT_ADD(pp__tcp_mib(l)->out_segs, n);
	pp__ip_queue_xmit(l, skbs, n);
}

/* Where a connection's segments go: its route cache, as the ip stage
 * would find it (cf. __sk_dst_check()). */
static void seg_route(struct pp_tcp_sock *tp, struct pp_skb *skb)
{
	struct pp_sock *sk = &tp->sk;
	uint32_t nexthop;

	skb->hash = sk->txhash;
	if (!pp__ip_route_output(sk, sk->daddr, &nexthop)) {
		skb->nexthop = nexthop;
		skb->flags |= PP_SKB_F_NOROUTE;
	}
}

uint32_t pp__tcp_current_mss(const struct pp_tcp_sock *tp)
{
	return tp->mss_cache;
}

/* ---- the receive window we announce (cf. __tcp_select_window()) --------------- */

uint32_t pp__tcp_window_free(const struct pp_tcp_sock *tp)
{
	const struct pp_sock *sk = &tp->sk;
	uint32_t rmem = atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed);
	uint32_t rcvbuf = __atomic_load_n(&sk->rcvbuf, __ATOMIC_RELAXED);
	uint32_t fsz = pp_pool_frame_size(sk->st->pool);
	uint64_t space = rcvbuf > rmem ? rcvbuf - rmem : 0;

	/* payload the free space holds: one segment of advmss per frame
	 * (cf. tcp_win_from_space() with the measured scaling_ratio) */
	uint64_t win = space * tp->advmss / (fsz ? fsz : 2048);

	if (win > (65535ull << tp->rcv_wscale))
		win = 65535ull << tp->rcv_wscale;
	return (uint32_t)win;
}

uint32_t pp__tcp_select_window(struct pp_tcp_sock *tp)
{
	uint32_t win = pp__tcp_window_free(tp);
	uint32_t cur = tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt; /* what the peer may still send */

	if ((int32_t)cur < 0)
		cur = 0;
	/* receiver silly-window avoidance (RFC 1122 4.2.3.3): less than a
	 * segment is no window */
	if (win < tp->advmss)
		win = 0;
	/* never shrink what was offered (RFC 7323 2.4) */
	if (win < cur)
		win = cur;
	/* whole units of the scale, rounded down (never promise more) */
	if (tp->rcv_wscale) {
		uint32_t unit = 1u << tp->rcv_wscale;

		win = win & ~(unit - 1);
		if (win < cur)
			win = (cur + unit - 1) & ~(unit - 1);
	}
	tp->rcv_wnd = win;
	tp->rcv_wup = tp->rcv_nxt;
	return win >> tp->rcv_wscale;
}

/* ---- the write queue --------------------------------------------------------------- */

struct pp_skb *pp__tcp_wq_alloc(struct pp_tcp_sock *tp)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_skb *skb;
	struct pp_tcp_cb *cb;

	if (pp_skb_alloc_burst(sk->lane->cache, &skb, 1) != 1)
		return NULL;
	pp_skb_reserve(skb, PP_TCP_HEADROOM);
	cb = pp__tcp_cb(skb);
	memset(cb, 0, sizeof(*cb));
	cb->seq = cb->end_seq = tp->write_seq;
	skb->next = NULL;
	if (tp->wq_tail)
		tp->wq_tail->next = skb;
	else
		tp->wq_head = skb;
	tp->wq_tail = skb;
	if (!tp->send_head)
		tp->send_head = skb;
	tp->wmem_queued += pp_skb_truesize(skb);
	return skb;
}

/*
 * cf. tcp_fragment(): cut @skb (unsent) after @len bytes; the rest becomes a
 * new original right behind it. Return: 0, or -ENOBUFS (no frame).
 */
static int tcp_fragment(struct pp_tcp_sock *tp, struct pp_skb *skb, uint32_t len)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_tcp_cb *cb = pp__tcp_cb(skb), *ncb;
	struct pp_skb *n;

	if (pp_skb_alloc_burst(sk->lane->cache, &n, 1) != 1)
		return -ENOBUFS;
	pp_skb_reserve(n, PP_TCP_HEADROOM);
	memcpy(pp_skb_put(n, skb->len - len), pp_skb_data(skb) + len, skb->len - len);
	pp_skb_trim(skb, len);
	ncb = pp__tcp_cb(n);
	memset(ncb, 0, sizeof(*ncb));
	ncb->seq = cb->seq + len;
	ncb->end_seq = cb->end_seq;
	ncb->flags = cb->flags;
	cb->end_seq = cb->seq + len;
	cb->flags &= (uint8_t)~(PP_TCP_FIN | PP_TCP_PSH);
	n->next = skb->next;
	skb->next = n;
	if (tp->wq_tail == skb)
		tp->wq_tail = n;
	tp->wmem_queued += pp_skb_truesize(n);
	return 0;
}

/*
 * cf. __tcp_transmit_skb(): one transmission of original @skb in a transmit
 * copy: TCP header (ACK, PSH on the last queued byte, FIN as the cb says),
 * the window we announce, timestamps; charged to the socket's send memory
 * until it comes home. Return: the copy, or NULL (no frame).
 */
static struct pp_skb *tcp_transmit_skb(struct pp_tcp_sock *tp, struct pp_skb *skb, uint64_t now_ns)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_tcp_cb *cb = pp__tcp_cb(skb);
	struct pp_skb *c = pp_skb_tx_copy(sk->lane->cache, skb, PP_TCP_HEADROOM);
	struct tcp_seg g;
	uint8_t flags = PP_TCP_ACK | (cb->flags & PP_TCP_FIN);

	if (!c)
		return NULL;
	if (cb->end_seq == tp->write_seq || (cb->flags & PP_TCP_PSH))
		flags |= PP_TCP_PSH;
	seg_of(tp, &g, cb->seq, flags);
	seg_opts(tp, &g, now_ns);
	g.win = (uint16_t)pp__tcp_select_window(tp);
	tcp_push_headers(c, &g);
	seg_route(tp, c);
	c->sk = sk;
	pp__sock_charge_w(sk, pp_skb_truesize(c));
	if (!cb->txcount)
		cb->ts_first = pp__tcp_ts_now(now_ns) + tp->ts_off;
	cb->sent_ns = now_ns;
	cb->txcount++;
	/* this segment carries our ACK: nothing is owed now (cf. tcp_event_ack_sent()) */
	tp->ack_pending = 0;
	tp->segs_since_ack = 0;
	pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_delack);
	return c;
}

/* cf. tcp_minshall_check(): a small segment sent earlier is still unacknowledged */
static inline bool minshall_check(const struct pp_tcp_sock *tp)
{
	return pp__tcp_after(tp->pushed_seq, tp->snd_una);
}

/* cf. __tcp_retransmit_skb(): one more transmission of @skb, sent before,
 * counted as a retransmission. Return: the copy, or NULL (no frame). */
static struct pp_skb *tcp_retransmit_copy(struct pp_tcp_sock *tp, struct pp_skb *skb,
					  uint64_t now)
{
	struct pp_skb *c = tcp_transmit_skb(tp, skb, now);

	if (!c)
		return NULL;
	pp__tcp_cb(skb)->sacked |= PP_TCPCB_RETRANS;
	tp->total_retrans++;
	tp->prr_out++;
	PP_STAT_ADD(pp__tcp_mib(tp->sk.lane)->retrans_segs, 1);
	return c;
}

/* TCP small queues and the device (cf. tcp_small_queue_check()): may one
 * more segment go below us, with @nout built and @room frames free? If
 * not, the socket waits on the lane's TSQ list for frames to come home. */
static bool xmit_room(struct pp_tcp_sock *tp, uint32_t room, uint16_t nout)
{
	if (pp__sock_wmem(&tp->sk) < PP_TCP_LIMIT_OUTPUT_BYTES && room > nout)
		return true;
	pp__tcp_tsq_mark(tp);
	return false;
}

/*
 * cf. tcp_xmit_retransmit_queue(): what the scoreboard takes as lost and
 * has no retransmission in flight goes again, oldest first, while the pipe
 * is below cwnd (RFC 6675 5 step (C), NextSeg() rule 1). Each goes into
 * @out after the @nout already there. Return: the new count in @out.
 */
static uint16_t xmit_retransmit_queue(struct pp_tcp_sock *tp, struct pp_skb **out, uint16_t nout,
				      uint64_t now, uint32_t *room, uint32_t *sent)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_lane *l = sk->lane;
	uint64_t broom;

	for (struct pp_skb *skb = tp->wq_head; skb && skb != tp->send_head; skb = skb->next) {
		struct pp_tcp_cb *cb = pp__tcp_cb(skb);

		if (tp->lost_out <= tp->retrans_out)
			break; /* every lost one is on its way again */
		if ((cb->sacked & (PP_TCPCB_LOST | PP_TCPCB_RTX_OUT | PP_TCPCB_SACKED)) != PP_TCPCB_LOST)
			continue;
		if (pp__tcp_in_flight(tp) >= tp->cc.cwnd) {
			tp->cc.is_cwnd_limited = true;
			break;
		}
		if (!xmit_room(tp, *room, nout))
			break;
		struct pp_skb *c = tcp_retransmit_copy(tp, skb, now);

		if (!c) {
			pp__tcp_tsq_mark(tp); /* no frame: when frames come home */
			break;
		}
		pp__tcp_sb_mark(tp, cb, PP_TCPCB_RTX_OUT);
		(*sent)++;
		out[nout++] = c;
		if (nout == PP_TCP_XMIT_BURST) {
			tcp_out(l, out, nout);
			nout = 0;
			*room = pp__sock_tx_room(l, &broom);
		}
	}
	return nout;
}

uint32_t pp__tcp_write_xmit(struct pp_tcp_sock *tp, bool push_all)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_lane *l = sk->lane;
	struct pp_skb *out[PP_TCP_XMIT_BURST];
	uint16_t nout = 0;
	uint32_t sent = 0, mss = pp__tcp_current_mss(tp);
	uint64_t now = pp__now_ns(), broom;
	uint32_t room = pp__sock_tx_room(l, &broom);
	bool blocked_wnd = false;

	if (tp->state == PP_TCP_SYN_SENT || tp->state == PP_TCP_LISTEN || tp->done)
		return 0;
	tp->cc.is_cwnd_limited = false;
	if (tp->lost_out > tp->retrans_out)
		nout = xmit_retransmit_queue(tp, out, nout, now, &room, &sent);
	while (tp->send_head) {
		struct pp_skb *skb = tp->send_head;
		struct pp_tcp_cb *cb = pp__tcp_cb(skb);

		/* holes first: no new data while a lost segment waits (RFC
		 * 6675 NextSeg() rules 1 and 3) */
		if (tp->lost_out > tp->retrans_out)
			break;
		if (pp__tcp_in_flight(tp) >= tp->cc.cwnd) {
			tp->cc.is_cwnd_limited = true;
			break;
		}
		/* the peer's window (cf. tcp_snd_wnd_test()) */
		uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
		uint32_t data_end = cb->end_seq - ((cb->flags & PP_TCP_FIN) ? 1u : 0u);

		if (pp__tcp_after(data_end, wnd_end)) {
			uint32_t fit = wnd_end - cb->seq;

			/* a window that opens less than the segment: send what fits
			 * once nothing else is in flight (cf. tcp_mss_split_point()) */
			if (!tp->packets_out && (int32_t)fit > 0 && fit < skb->len &&
			    !tcp_fragment(tp, skb, fit))
				continue;
			blocked_wnd = true;
			break;
		}
		/* Nagle (cf. tcp_nagle_test()): a partial last segment waits while
		 * more may come (MSG_MORE, cork) or, without TCP_NODELAY, while a
		 * small segment is unacknowledged; a FIN never waits */
		if (skb->len < mss && skb == tp->wq_tail && !(cb->flags & PP_TCP_FIN)) {
			if (!push_all)
				break;
			if (!tp->nodelay && tp->packets_out && minshall_check(tp))
				break;
		}
		if (!xmit_room(tp, room, nout))
			break;
		struct pp_skb *c = tcp_transmit_skb(tp, skb, now);

		if (!c) {
			pp__tcp_tsq_mark(tp); /* no frame: when frames come home */
			break;
		}
		out[nout++] = c;
		if (skb->len < mss)
			tp->pushed_seq = cb->end_seq;
		/* cf. tcp_event_new_data_sent() */
		tp->send_head = skb->next;
		if (pp__tcp_after(cb->end_seq, tp->snd_nxt))
			tp->snd_nxt = cb->end_seq;
		if (!tp->packets_out)
			tp->rto_start_ns = now;
		tp->packets_out++;
		tp->prr_out++;
		sent++;
		if (tp->packets_out > tp->cc.max_packets_out)
			tp->cc.max_packets_out = tp->packets_out;
		if (nout == PP_TCP_XMIT_BURST) {
			tcp_out(l, out, nout);
			nout = 0;
			room = pp__sock_tx_room(l, &broom);
		}
	}
	tcp_out(l, out, nout);
	/* cf. tcp_write_xmit()'s tcp_schedule_loss_probe(): a probe after new
	 * data where one may go; else the RTO, unless one is running (RFC
	 * 6298 5.1: it is not restarted by sending) */
	if (sent && !pp__tcp_schedule_loss_probe(tp) &&
	    (!pp_timer_pending(&tp->t_rtx) || tp->rtx_kind != PP_TCP_TIME_RETRANS))
		pp__tcp_rearm_rto(tp);
	/* nothing in flight and the window shut: the persist timer probes it */
	if (blocked_wnd && !tp->packets_out && !pp_timer_pending(&tp->t_rtx))
		pp__tcp_arm_probe0(tp);
	return sent;
}

int pp__tcp_retransmit_skb(struct pp_tcp_sock *tp, struct pp_skb *skb)
{
	struct pp_skb *c = tcp_retransmit_copy(tp, skb, pp__now_ns());

	if (!c)
		return -ENOBUFS;
	tcp_out(tp->sk.lane, &c, 1);
	return 0;
}

int pp__tcp_retransmit_head(struct pp_tcp_sock *tp)
{
	struct pp_skb *skb = tp->wq_head;
	int err;

	if (!skb || skb == tp->send_head)
		return 0;
	err = pp__tcp_retransmit_skb(tp, skb);
	if (!err) {
		/* on the scoreboard: lost, and on its way again */
		pp__tcp_sb_mark(tp, pp__tcp_cb(skb), PP_TCPCB_LOST);
		pp__tcp_sb_mark(tp, pp__tcp_cb(skb), PP_TCPCB_RTX_OUT);
	}
	return err;
}

/* ---- control segments in fresh frames ------------------------------------------------ */

static struct pp_skb *ctl_alloc(struct pp_lane *l)
{
	struct pp_skb *skb;

	if (pp_skb_alloc_burst(l->cache, &skb, 1) != 1)
		return NULL;
	pp_skb_reserve(skb, PP_TCP_HEADROOM);
	return skb;
}

/* cf. __tcp_send_ack() */
void pp__tcp_send_ack(struct pp_tcp_sock *tp)
{
	struct pp_lane *l = tp->sk.lane;
	struct pp_skb *skb;
	struct tcp_seg g;

	if (tp->state == PP_TCP_CLOSE || tp->state == PP_TCP_LISTEN || tp->state == PP_TCP_SYN_SENT)
		return;
	skb = ctl_alloc(l);
	if (!skb) {
		/* no frame: the delayed-ACK timer tries again (cf. __tcp_send_ack()
		 * failing its allocation) */
		tp->ack_pending |= PP_TCP_ACK_SCHED;
		pp__tcp_arm_delack(tp);
		return;
	}
	seg_of(tp, &g, tp->snd_nxt, PP_TCP_ACK);
	seg_opts(tp, &g, pp__now_ns());
	g.win = (uint16_t)pp__tcp_select_window(tp);
	tcp_push_headers(skb, &g);
	seg_route(tp, skb);
	tp->ack_pending = 0;
	tp->segs_since_ack = 0;
	pp_timer_cancel(pp__tcp_wheel(tp), &tp->t_delack);
	tcp_out(l, &skb, 1);
}

/* cf. tcp_xmit_probe_skb(): an ACK with snd_una - 1, which the peer answers
 * with its window (zero-window probe, keepalive). */
static void tcp_xmit_probe(struct pp_tcp_sock *tp)
{
	struct pp_lane *l = tp->sk.lane;
	struct pp_skb *skb = ctl_alloc(l);
	struct tcp_seg g;

	if (!skb)
		return;
	seg_of(tp, &g, tp->snd_una - 1, PP_TCP_ACK);
	seg_opts(tp, &g, pp__now_ns());
	g.win = (uint16_t)pp__tcp_select_window(tp);
	tcp_push_headers(skb, &g);
	seg_route(tp, skb);
	tcp_out(l, &skb, 1);
}

/* cf. tcp_write_wakeup(): data if the window lets any through, else a probe */
void pp__tcp_send_probe(struct pp_tcp_sock *tp)
{
	struct pp_skb *skb = tp->send_head;

	if (skb && pp__tcp_before(pp__tcp_cb(skb)->seq, tp->snd_una + tp->snd_wnd)) {
		if (pp__tcp_write_xmit(tp, true))
			return;
	}
	tcp_xmit_probe(tp);
}

void pp__tcp_send_fin(struct pp_tcp_sock *tp)
{
	struct pp_skb *skb = tp->wq_tail;

	/* cf. tcp_send_fin(): on the tail if it has not left, else a new segment */
	if (!skb || skb != tp->send_head || (pp__tcp_cb(skb)->flags & PP_TCP_FIN)) {
		skb = pp__tcp_wq_alloc(tp);
		if (!skb) {
			/* cf. sk_forced_mem_schedule(): the FIN must go; the lane
			 * retries when a frame comes home */
			tp->fin_pending = true;
			pp__tcp_tsq_mark(tp);
			return;
		}
	}
	tp->fin_pending = false;
	pp__tcp_cb(skb)->flags |= PP_TCP_FIN;
	pp__tcp_cb(skb)->end_seq++;
	tp->write_seq++;
	pp__tcp_write_xmit(tp, true);
}

void pp__tcp_send_active_reset(struct pp_tcp_sock *tp)
{
	struct pp_lane *l = tp->sk.lane;
	struct pp_skb *skb = ctl_alloc(l);
	struct tcp_seg g;

	if (!skb)
		return;
	seg_of(tp, &g, tp->snd_nxt, PP_TCP_ACK | PP_TCP_RST);
	g.win = 0;
	tcp_push_headers(skb, &g);
	seg_route(tp, skb);
	PP_STAT_ADD(pp__tcp_mib(l)->out_rsts, 1);
	tcp_out(l, &skb, 1);
}

/*
 * cf. tcp_v4_send_reset(): answer a segment that found no connection (never
 * an RST): with its ACK as our sequence, or acknowledging what it carried.
 */
void pp__tcp_v4_send_reset(struct pp_lane *l, const struct pp_skb *in, uint32_t saddr,
			   uint32_t daddr, const struct pp_tcp_hdr *th, uint32_t seglen)
{
	struct pp_skb *skb;
	struct tcp_seg g = {0};

	(void)in;
	if (th->flags & PP_TCP_RST)
		return;
	skb = ctl_alloc(l);
	if (!skb)
		return;
	g.saddr = daddr;
	g.daddr = saddr;
	g.sport = th->dest;
	g.dport = th->source;
	if (th->flags & PP_TCP_ACK) {
		g.seq = ntohl(th->ack_seq);
		g.flags = PP_TCP_RST;
	} else {
		g.seq = 0;
		g.ack = ntohl(th->seq) + seglen;
		g.flags = PP_TCP_RST | PP_TCP_ACK;
	}
	tcp_push_headers(skb, &g);
	skb->hash = pp__flow_hash(daddr, saddr, th->dest, th->source, PP_IPPROTO_TCP);
	PP_STAT_ADD(pp__tcp_mib(l)->out_rsts, 1);
	tcp_out(l, &skb, 1);
}

/* SYN or SYN-ACK with our options (cf. tcp_syn_options(), tcp_synack_options()). */
static int tcp_send_syn_common(struct pp_tcp_sock *tp, uint8_t flags, uint32_t seq)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_lane *l = sk->lane;
	struct pp_skb *skb = ctl_alloc(l);
	uint64_t now = pp__now_ns();
	struct tcp_seg g;
	bool synack = flags & PP_TCP_ACK;

	if (!skb)
		return -ENOBUFS;
	struct pp_tcp_opts_tx o = {
		.mss = tp->advmss,
		.wscale_ok = synack ? tp->wscale_ok : true,
		.wscale = (uint8_t)PP_TCP_RCV_WSCALE,
		.sack_ok = synack ? tp->sack_ok : true,
		.ts = synack ? tp->tstamp_ok : true,
		.tsval = pp__tcp_ts_now(now) + tp->ts_off,
		.tsecr = synack ? tp->ts_recent : 0,
	};

	seg_of(tp, &g, seq, flags);
	int n = pp__tcp_syn_options(g.opt, &o);

	g.optlen = (uint8_t)(n > 0 ? n : 0);
	/* cf. tcp_select_initial_window(): the SYN's window is never scaled */
	tp->rcv_wscale = o.wscale_ok ? o.wscale : 0;
	uint32_t win = pp__tcp_window_free(tp);

	g.win = (uint16_t)(win > 65535u ? 65535u : win);
	tp->rcv_wnd = g.win;
	tp->rcv_wup = tp->rcv_nxt;
	tcp_push_headers(skb, &g);
	seg_route(tp, skb);
	tcp_out(l, &skb, 1);
	return 0;
}

int pp__tcp_send_syn(struct pp_tcp_sock *tp)
{
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss + 1;
	tp->write_seq = tp->pushed_seq = tp->iss + 1;
	if (!tp->rto_start_ns)
		tp->rto_start_ns = pp__now_ns();
	pp__tcp_rearm_rto(tp);
	return tcp_send_syn_common(tp, PP_TCP_SYN, tp->iss);
}

int pp__tcp_send_synack(struct pp_tcp_sock *tp)
{
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss + 1;
	tp->write_seq = tp->pushed_seq = tp->iss + 1;
	if (!tp->rto_start_ns)
		tp->rto_start_ns = pp__now_ns();
	pp__tcp_rearm_rto(tp);
	return tcp_send_syn_common(tp, PP_TCP_SYN | PP_TCP_ACK, tp->iss);
}
