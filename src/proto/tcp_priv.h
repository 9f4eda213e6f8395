/* SPDX-License-Identifier: MIT */
/*
 * tcp_priv.h (internal) - TCP's socket, its per-stack tables and the
 * functions the four TCP files share (cf. include/net/tcp.h and struct
 * tcp_sock / inet_connection_sock, folded):
 *
 *   tcp.c         the socket calls: tcp_v4_connect(), inet_csk_listen_start(),
 *                 inet_csk_accept(), tcp_sendmsg(), tcp_recvmsg(),
 *                 tcp_shutdown(), tcp_close(), tcp_poll(), options; the
 *                 connection and listener tables; the lane's TCP poller
 *   tcp_output.c  tcp_write_xmit(), tcp_transmit_skb(), tcp_send_ack(),
 *                 tcp_send_fin(), tcp_v4_send_reset(), SYN and SYN-ACK,
 *                 retransmission and probes
 *   tcp_input.c   tcp_v4_rcv(), tcp_rcv_state_process(), tcp_ack(),
 *                 tcp_data_queue() with the out-of-order queue
 *   tcp_timer.c   retransmit/persist, delayed ACK, keepalive, FIN_WAIT2 and
 *                 TIME_WAIT on the lane's timer wheel
 *
 * Ownership: a connection belongs to its socket's lane. Every segment for it
 * is processed on that lane's thread: a segment another lane receives is
 * handed over through an SPSC ring per lane pair (tcp_handoff), and the
 * application's calls run on the lane's thread already. So the connection's
 * state has no locks and no atomics, except what the socket head shares with
 * the pool (wmem_alloc, freed on completion threads) and the tables other
 * lanes read (lookups under RCU).
 *
 * Memory: the write queue holds "originals" (skb.h): payload only, one frame
 * per segment, charged to wmem_queued against sk_sndbuf; every transmission
 * is a transmit copy charged to sk->wmem_alloc until it comes home, the TCP
 * small queues bound. Received data (in order and out of order) is charged
 * its truesize to sk->rmem_alloc against sk_rcvbuf and to the lane whose
 * frames they are (lane->rcv_mem), so no peer holds more of a lane's frames
 * than its share. The control block of a segment (struct pp_tcp_cb, cf.
 * TCP_SKB_CB()) lives in the frame's headroom, which neither an original
 * (never pushed) nor a received segment (headers pulled) uses.
 */
#ifndef PP_PROTO_TCP_PRIV_H
#define PP_PROTO_TCP_PRIV_H

#include <urcu-qsbr.h> /* before rculfhash: the QSBR flavour */
#include <urcu/rculfhash.h>

#include <pktpipe/prot/tcp.h>

#include "core/ring.h"
#include "core/timer.h"
#include "proto/sock_priv.h"
#include "proto/tcp_cc.h"
#include "proto/tcp_isn.h"
#include "proto/tcp_mib.h"
#include "proto/tcp_opt.h"
#include "proto/tcp_recovery.h"
#include "proto/tcp_rto.h"
#include "proto/tcp_seq.h"

struct pp_lane;
struct pp_inet_rx;

/* Connection states, numbered as the kernel's (TCP_INFO's tcpi_state). */
enum pp_tcp_state {
	PP_TCP_ESTABLISHED = 1,
	PP_TCP_SYN_SENT,
	PP_TCP_SYN_RECV,
	PP_TCP_FIN_WAIT1,
	PP_TCP_FIN_WAIT2,
	PP_TCP_TIME_WAIT,
	PP_TCP_CLOSE,
	PP_TCP_CLOSE_WAIT,
	PP_TCP_LAST_ACK,
	PP_TCP_LISTEN,
	PP_TCP_CLOSING,
};

/* Defaults (net.ipv4.tcp_*) */
#define PP_TCP_MSS_DEFAULT 536u		/* TCP_MSS_DEFAULT: no MSS option from the peer */
#define PP_TCP_MIN_MSS 88u		/* TCP_MIN_MSS */
#define PP_TCP_SYN_RETRIES 6u		/* tcp_syn_retries */
#define PP_TCP_SYNACK_RETRIES 5u	/* tcp_synack_retries */
#define PP_TCP_RETRIES2 15u		/* tcp_retries2 */
#define PP_TCP_ORPHAN_RETRIES 8u	/* tcp_orphan_retries 0 means 8 for an alive peer */
#define PP_TCP_FIN_TIMEOUT_NS (60ull * PP_NSEC_PER_SEC)	/* tcp_fin_timeout */
#define PP_TCP_DELACK_MIN_NS (40ull * PP_NSEC_PER_MSEC)	/* TCP_DELACK_MIN */
#define PP_TCP_DELACK_MAX_NS (200ull * PP_NSEC_PER_MSEC)	/* TCP_DELACK_MAX */
#define PP_TCP_ATO_MIN_NS (40ull * PP_NSEC_PER_MSEC)	/* TCP_ATO_MIN */
#define PP_TCP_KEEPIDLE_S 7200u		/* tcp_keepalive_time */
#define PP_TCP_KEEPINTVL_S 75u		/* tcp_keepalive_intvl */
#define PP_TCP_KEEPCNT 9u		/* tcp_keepalive_probes */
#define PP_TCP_MAX_QUICKACKS 16u	/* TCP_MAX_QUICKACKS */
#define PP_TCP_SOMAXCONN 4096u		/* net.core.somaxconn */
#define PP_TCP_MAX_SYN_BACKLOG 4096u	/* tcp_max_syn_backlog (per listener here) */
/* TCP small queues: bytes of transmit copies a socket may have below TCP
 * (cf. tcp_limit_output_bytes, 4 MiB in 6.x; smaller here: the lane's frames
 * are the bound, and veth completes each kick at once) */
#define PP_TCP_LIMIT_OUTPUT_BYTES (256u * 1024u)
/* segments one tcp_write_xmit() call sends in a burst */
#define PP_TCP_XMIT_BURST 32u
/* A loss probe waits 2 SRTT plus TCP_TIMEOUT_MIN (2 ms) with more than one
 * segment out (cf. tcp_schedule_loss_probe()), and never less than
 * PP_TCP_TLP_FLOOR_US, the original TLP's max(2 SRTT, 10 ms): on this VM the
 * kernel's receiver sometimes answers nothing for 7-12 ms on a clean link,
 * and a probe then is a spurious retransmission. */
#define PP_TCP_TLP_MIN_US 2000u
#define PP_TCP_TLP_FLOOR_US 10000u
/* segments one lane hands another before the other drains them */
#define PP_TCP_HANDOFF_RING 1024u
/* headroom of an original and of a transmit copy: Ethernet + IPv4 + TCP
 * with the largest options fit */
#define PP_TCP_HEADROOM PP_SKB_HEADROOM

/* Timestamps tick in ms (tcp_time_stamp_ms(), the kernel's default). */
static inline uint32_t pp__tcp_ts_now(uint64_t now_ns)
{
	return (uint32_t)(now_ns / PP_NSEC_PER_MSEC);
}

/*
 * struct pp_tcp_cb - a segment's control block (cf. struct tcp_skb_cb),
 * in the frame's headroom right after the metadata.
 */
struct pp_tcp_cb {
	uint32_t seq;		/* first sequence number */
	uint32_t end_seq;	/* seq + len + SYN + FIN */
	uint64_t sent_ns;	/* original: last transmission (0: never sent) */
	uint8_t flags;		/* PP_TCP_SYN, PP_TCP_FIN, PP_TCP_PSH */
	uint8_t sacked;		/* PP_TCPCB_* */
	uint16_t txcount;	/* transmissions so far */
	uint32_t ts_first;	/* original: tsval of its first transmission */
};
#define PP_TCPCB_RETRANS 0x01	/* sent more than once (TCPCB_EVER_RETRANS): Karn */
#define PP_TCPCB_SACKED 0x02	/* the peer SACKed it (TCPCB_SACKED_ACKED) */
#define PP_TCPCB_LOST 0x04	/* taken as lost (TCPCB_LOST): to be sent again */
#define PP_TCPCB_RTX_OUT 0x08	/* a retransmission of it is in flight (TCPCB_SACKED_RETRANS) */

static inline struct pp_tcp_cb *pp__tcp_cb(const struct pp_skb *skb)
{
	return (struct pp_tcp_cb *)((uint8_t *)skb + PP_SKB_META);
}

/* ack_pending bits (cf. enum inet_csk_ack_state_t) */
#define PP_TCP_ACK_SCHED 1	/* an ACK is owed */
#define PP_TCP_ACK_TIMER 2	/* the delayed-ACK timer is armed */
#define PP_TCP_ACK_NOW 4	/* send it at the end of this burst, no delay */

/*
 * struct pp_tcp_sock - one TCP socket (cf. struct tcp_sock). (L): the
 * owning lane's thread only.
 */
struct pp_tcp_sock {
	struct pp_sock sk;
	struct cds_lfht_node node;	/* connection table (4-tuple), or listener table (port) */
	struct cds_lfht_node bnode;	/* bind table: explicitly bound port */
	uint8_t state;			/* (L) enum pp_tcp_state; others read it relaxed */
	bool in_ehash, in_lhash, in_bhash;	/* (L) which tables hold it */
	bool nodelay, cork, keepalive;
	bool orphan;			/* closed by the application: TCP finishes it */
	bool done;			/* tcp_done(): released, waiting for RCU */
	bool nonblock;			/* PP_SOCK_NONBLOCK */
	bool tstamp_ok, wscale_ok, sack_ok;
	uint8_t snd_wscale, rcv_wscale;
	uint8_t retransmits;		/* RTO expiries in a row (icsk_retransmits) */
	uint8_t probes_out;		/* unanswered zero-window/keepalive probes */
	uint8_t ack_pending;		/* PP_TCP_ACK_* */
	uint8_t quick;			/* quick ACKs left (icsk_ack.quick) */
	bool pingpong;			/* interactive: delay ACKs */
	bool on_flush, on_tsq;		/* (L) on the lane's lists */
	bool fin_pending;		/* a FIN waits for a frame */
	/* sequence space (cf. tcp_sock) */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_wnd, snd_wl1, max_window;
	uint32_t write_seq;		/* one past the last byte queued by the application */
	uint32_t pushed_seq;
	uint32_t rcv_nxt, rcv_wup, rcv_wnd, copied_seq;
	uint32_t fin_seq;		/* peer's FIN, once seen (rcv_fin) */
	bool fin_rcvd;			/* the peer's FIN is in order: end of stream after copied */
	uint16_t mss_cache;		/* bytes of payload per segment we send (options out) */
	uint16_t mss_clamp;		/* the peer's MSS option (rx_opt.mss_clamp) */
	uint16_t advmss;		/* what we advertise */
	uint16_t rcv_mss;		/* estimate of the peer's segment size (icsk_ack.rcv_mss) */
	uint32_t ts_recent, ts_off;
	uint64_t ts_recent_stamp_ns;
	uint32_t rcv_tsecr_ok;		/* unused slot keeps alignment */
	/* write queue: originals, oldest first; send_head the first not yet sent */
	struct pp_skb *wq_head, *wq_tail, *send_head;
	uint32_t wmem_queued;		/* truesize of the originals */
	/* the scoreboard (cf. tcp_sock's packets_out, sacked_out, lost_out,
	 * retrans_out): counts of sent, not cumulatively ACKed originals */
	uint32_t packets_out;		/* segments sent and not acknowledged */
	uint32_t sacked_out;		/* of which SACKed (PP_TCPCB_SACKED) */
	uint32_t lost_out;		/* of which taken as lost (PP_TCPCB_LOST) */
	uint32_t retrans_out;		/* of which a retransmission is in flight (PP_TCPCB_RTX_OUT) */
	bool sack_recovery;		/* nr.in_recovery was entered by SACK (RFC 6675) */
	uint32_t prr_delivered;		/* PRR (RFC 6937): delivered since recovery began */
	uint32_t prr_out;		/* PRR: sent since recovery began */
	bool tlp_out;			/* a tail loss probe is out, unanswered (tlp_high_seq != 0) */
	uint32_t tlp_high_seq;		/* snd_nxt when it went */
	uint32_t tlp_floor_us;		/* least probe timeout; 0: PP_TCP_TLP_FLOOR_US. Doubles
					 * each time a probe proves spurious (D-SACK) */
	uint64_t rack_sent_ns;		/* latest send time of a segment the peer SACKed (RACK) */
	uint32_t unacked_bytes;		/* received data not yet acknowledged (rcv_nxt - rcv_wup basis) */
	uint32_t segs_since_ack;
	/* receive queue (in order, payload only) and out-of-order queue (by seq) */
	struct pp_skb *rq_head, *rq_tail;
	uint32_t rq_off;		/* bytes of rq_head already read */
	struct pp_skb *ooo_head;
	uint32_t ooo_bytes;		/* truesize held out of order */
	/* SACK blocks we send (cf. tp->selective_acks): what the out-of-order
	 * queue holds, most recently changed first */
	struct pp_tcp_sack_block selective_acks[PP_TCP_NUM_SACKS];
	uint8_t num_sacks;
	/* congestion control, recovery, RTO */
	struct pp_tcp_cc cc;
	struct pp_tcp_nr nr;
	struct pp_tcp_rto rto;
	uint64_t rto_start_ns;		/* when the first unacknowledged transmission left */
	/* timers on the lane's wheel */
	struct pp_timer t_rtx;		/* retransmit, SYN, persist (icsk_retransmit_timer) */
	struct pp_timer t_delack;	/* delayed ACK */
	struct pp_timer t_keep;		/* keepalive, FIN_WAIT2, TIME_WAIT (sk_timer) */
	uint8_t rtx_kind;		/* what t_rtx is armed for: PP_TCP_TIME_* */
	uint32_t keepidle_s, keepintvl_s, keepcnt;
	uint64_t last_rcv_ns;		/* last segment received (keepalive idle) */
	uint64_t timewait_ns;
	/* listener */
	struct pp_tcp_sock *parent;	/* a child of a listener, until accepted */
	struct pp_tcp_sock *acc_head, *acc_tail;	/* (L) established children */
	struct pp_tcp_sock *acc_next;
	uint32_t acc_len, acc_max;	/* accept queue and its bound (backlog) */
	uint32_t syn_len, syn_max;	/* SYN_RECV children and their bound */
	/* lane lists */
	struct pp_tcp_sock *flush_next;	/* (L) touched in this receive burst */
	struct pp_tcp_sock *tsq_next;	/* (L) held back by TSQ or a full queue */
	/* counters (TCP_INFO) */
	uint32_t total_retrans, rto_count, fast_retrans;
	uint64_t bytes_acked, bytes_received;
};

static inline struct pp_tcp_sock *pp_tcp_sk(struct pp_sock *sk)
{
	return (struct pp_tcp_sock *)sk;
}

/* The scoreboard's marks and their counts move together: each of
 * PP_TCPCB_SACKED, _LOST, _RTX_OUT has its count (sacked_out, lost_out,
 * retrans_out), and these are the only places that change either. */
static inline uint32_t *pp__tcp_sb_count(struct pp_tcp_sock *tp, uint8_t flag)
{
	return flag == PP_TCPCB_SACKED ? &tp->sacked_out
	       : flag == PP_TCPCB_LOST ? &tp->lost_out
				       : &tp->retrans_out;
}

static inline void pp__tcp_sb_mark(struct pp_tcp_sock *tp, struct pp_tcp_cb *cb, uint8_t flag)
{
	if (cb->sacked & flag)
		return;
	cb->sacked |= flag;
	(*pp__tcp_sb_count(tp, flag))++;
}

/* Clear whichever of the marks in @mask @cb has. */
static inline void pp__tcp_sb_unmark(struct pp_tcp_sock *tp, struct pp_tcp_cb *cb, uint8_t mask)
{
	static const uint8_t flags[] = {PP_TCPCB_SACKED, PP_TCPCB_LOST, PP_TCPCB_RTX_OUT};

	for (unsigned int i = 0; i < sizeof(flags); i++)
		if (cb->sacked & mask & flags[i]) {
			cb->sacked &= (uint8_t)~flags[i];
			(*pp__tcp_sb_count(tp, flags[i]))--;
		}
}

#define PP_TCPCB_SCOREBOARD (PP_TCPCB_SACKED | PP_TCPCB_LOST | PP_TCPCB_RTX_OUT)

/* cf. tcp_packets_in_flight(): RFC 6675's pipe, in segments: sent, minus
 * what left the network (SACKed) or is taken as lost, plus retransmissions
 * of those in flight. */
static inline uint32_t pp__tcp_in_flight(const struct pp_tcp_sock *tp)
{
	uint32_t gone = tp->sacked_out + tp->lost_out;

	return (tp->packets_out > gone ? tp->packets_out - gone : 0) + tp->retrans_out;
}

/* What t_rtx is armed for (cf. ICSK_TIME_*) */
enum { PP_TCP_TIME_RETRANS = 1, PP_TCP_TIME_PROBE0 = 3, PP_TCP_TIME_LOSS_PROBE = 5 };

/*
 * Per-lane TCP state: the sockets a receive burst touched (their ACKs and
 * new data go out once, at the burst's end), the sockets waiting for room
 * below them, and the rings other lanes hand this lane's segments through.
 */
struct pp_tcp_lane {
	struct pp_tcp_sock *flush;	/* (L) */
	struct pp_tcp_sock *tsq;	/* (L) */
	struct pp_ring *handoff[PP_LANES_MAX];	/* [from]: producer lane from, consumer us */
};


/* The stack's TCP: tables and secrets (cf. tcp_hashinfo, net_secret). */
struct pp_tcp_table {
	struct cds_lfht *ehash;		/* connections by 4-tuple */
	struct cds_lfht *lhash;		/* listeners by port */
	struct cds_lfht *bhash;		/* explicitly bound ports */
	struct pp__tcp_secret secret;	/* const after init */
	uint32_t port_off_key;		/* const: ephemeral port offset seed */
	_Atomic uint32_t port_next;	/* ephemeral port search start */
	uint64_t timewait_ns;		/* const: TIME_WAIT length */
	struct pp__sock_slab slab;
	struct pp_tcp_lane lanes[PP_LANES_MAX];
	struct pp_tcp_mib mib[PP_LANES_MAX];
};

extern const struct pp_proto pp__tcp_proto;
extern const struct pp_inet_protocol pp__tcp_protocol;

/* ---- tcp.c ---------------------------------------------------------------- */
int pp__tcp_table_init(struct pp_stack *st);
/* Stack teardown, lanes stopped: every TCP socket, open or orphaned, goes. */
void pp__tcp_fini(struct pp_stack *st);
void pp__tcp_table_free(struct pp_stack *st);
/* The lane's TCP poller: handed-over segments, sockets waiting for room. */
uint32_t pp__tcp_poll(void *lane);
struct pp_tcp_mib *pp__tcp_mib(struct pp_lane *l);
/* The lanes' rows summed (any thread, while traffic flows). */
void pp__tcp_mib_sum(struct pp_stack *st, struct pp_tcp_mib *out);
/* Lookups, RCU online: a connection for the 4-tuple (network order, remote
 * first), else NULL; a listener on @lport, else NULL. */
struct pp_tcp_sock *pp__tcp_lookup_established(struct pp_stack *st, uint32_t raddr,
					       uint16_t rport, uint32_t laddr, uint16_t lport);
struct pp_tcp_sock *pp__tcp_lookup_listener(struct pp_stack *st, uint16_t lport);
/* Enter @tp into the connection table; -EADDRINUSE if its 4-tuple is taken. */
int pp__tcp_ehash_add(struct pp_tcp_sock *tp);
/* A child of listener @lp for a SYN (SYN_RECV), hashed; NULL if none. */
struct pp_tcp_sock *pp__tcp_child_create(struct pp_tcp_sock *lp, uint32_t raddr, uint16_t rport);
/* The child is established: onto the listener's accept queue. */
void pp__tcp_child_established(struct pp_tcp_sock *tp);
/* Put @tp on the lane's flush list (its ACK and data go out at the burst's end). */
void pp__tcp_flush_mark(struct pp_tcp_sock *tp);
/* Put @tp on the lane's list of senders waiting for room below. */
void pp__tcp_tsq_mark(struct pp_tcp_sock *tp);
/* cf. tcp_set_state(), tcp_done(): state changes and the end of a socket. */
void pp__tcp_set_state(struct pp_tcp_sock *tp, int state);
void pp__tcp_done(struct pp_tcp_sock *tp);
/* An error for the application (ECONNRESET, ...) and the connection's end. */
void pp__tcp_reset(struct pp_tcp_sock *tp, int err);
/* The receive window to advertise now (unscaled bytes), never shrinking. */
uint32_t pp__tcp_select_window(struct pp_tcp_sock *tp);
/* The window free receive space would allow now (bytes), nothing changed. */
uint32_t pp__tcp_window_free(const struct pp_tcp_sock *tp);
void pp__tcp_init_transfer(struct pp_tcp_sock *tp);
void pp__tcp_purge_queues(struct pp_tcp_sock *tp);

/* ---- tcp_output.c ---------------------------------------------------------- */
/* tcp_write_xmit(): send what the windows, Nagle and TSQ allow. Return: segments sent. */
uint32_t pp__tcp_write_xmit(struct pp_tcp_sock *tp, bool push_all);
/* Send a pure ACK now (cf. tcp_send_ack()). */
void pp__tcp_send_ack(struct pp_tcp_sock *tp);
/* Queue a FIN (on the tail segment if it has not left), and push. */
void pp__tcp_send_fin(struct pp_tcp_sock *tp);
/* An RST for the connection (cf. tcp_send_active_reset()). */
void pp__tcp_send_active_reset(struct pp_tcp_sock *tp);
/* An RST in answer to @skb (data at the TCP header) that found no connection
 * (cf. tcp_v4_send_reset()). */
void pp__tcp_v4_send_reset(struct pp_lane *l, const struct pp_skb *skb, uint32_t saddr,
			   uint32_t daddr, const struct pp_tcp_hdr *th, uint32_t seglen);
/* SYN (connect) and SYN-ACK (child). Return: 0 or -ENOBUFS. */
int pp__tcp_send_syn(struct pp_tcp_sock *tp);
int pp__tcp_send_synack(struct pp_tcp_sock *tp);
/* Retransmit the first unacknowledged segment (RTO, fast retransmit). */
int pp__tcp_retransmit_head(struct pp_tcp_sock *tp);
/* A zero-window or keepalive probe (cf. tcp_write_wakeup()). */
void pp__tcp_send_probe(struct pp_tcp_sock *tp);
/* Effective MSS for the segments we build (cf. tcp_current_mss()). */
uint32_t pp__tcp_current_mss(const struct pp_tcp_sock *tp);
/* Append a new original to the write queue (payload @n bytes at most MSS). */
struct pp_skb *pp__tcp_wq_alloc(struct pp_tcp_sock *tp);

/* ---- tcp_input.c ----------------------------------------------------------- */
/* A segment for a connection of this lane (data at the IPv4 header). */
void pp__tcp_rcv_owned(struct pp_lane *l, struct pp_skb *skb);
/* End of a receive burst: ACKs and new data of the sockets it touched. */
void pp__tcp_flush_lane(struct pp_lane *l);

/* ---- tcp_timer.c ----------------------------------------------------------- */
void pp__tcp_timers_init(struct pp_tcp_sock *tp);
void pp__tcp_timers_cancel(struct pp_tcp_sock *tp);
void pp__tcp_rearm_rto(struct pp_tcp_sock *tp);
/* cf. tcp_set_xmit_timer(): a tail loss probe (RFC 8985 7) where one may
 * go, else the RTO. */
void pp__tcp_set_xmit_timer(struct pp_tcp_sock *tp);
/* Arm the loss probe if one may go (cf. tcp_schedule_loss_probe()). Return:
 * true if armed (it replaces a running RTO). */
bool pp__tcp_schedule_loss_probe(struct pp_tcp_sock *tp);
/* Send @skb (sent before, not acknowledged) again now, outside the
 * scoreboard's accounting (a loss probe). Return: 0 or -ENOBUFS. */
int pp__tcp_retransmit_skb(struct pp_tcp_sock *tp, struct pp_skb *skb);
void pp__tcp_arm_probe0(struct pp_tcp_sock *tp);
void pp__tcp_arm_delack(struct pp_tcp_sock *tp);
void pp__tcp_arm_keepalive(struct pp_tcp_sock *tp);
void pp__tcp_time_wait(struct pp_tcp_sock *tp, int state, uint64_t timeo_ns);
struct pp_timer_wheel *pp__tcp_wheel(struct pp_tcp_sock *tp);

#endif /* PP_PROTO_TCP_PRIV_H */
