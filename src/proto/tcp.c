// SPDX-License-Identifier: MIT
/*
 * tcp.c - TCP's socket calls and tables (cf. net/ipv4/tcp.c, tcp_ipv4.c,
 * inet_connection_sock.c, inet_hashtables.c).
 *
 * The journey of a send: pp_send() -> pp_sendmsg() (sock.c, cf.
 * inet_sendmsg()) -> tcp_sendmsg() here (wait for ESTABLISHED, copy into
 * MSS-sized originals, tail first) -> tcp_push() -> pp__tcp_write_xmit()
 * -> tcp_transmit_skb() (tcp_output.c) -> pp__ip_queue_xmit() and the
 * journey below.
 *
 * Tables (cf. tcp_hashinfo): three rculfhash tables every lane reads under
 * RCU: connections by 4-tuple (ehash), listeners by port (lhash), ports
 * bound explicitly (bhash: bind conflicts, and ephemeral ports skip them).
 * They are written lock-free (cds_lfht_add_unique, cds_lfht_del) by the lane
 * that owns the socket or a control thread that is an online reader.
 *
 * A socket closed by the application while its connection still has to
 * finish (FIN exchange, TIME_WAIT) is an orphan: pp_close() returns at once,
 * the lane carries the connection to CLOSED and pp__tcp_done() releases the
 * socket after a grace period.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/siphash.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

#define EPHEMERAL_LO PP_IP_LOCAL_PORT_MIN
#define EPHEMERAL_HI PP_IP_LOCAL_PORT_MAX

static inline struct pp_tcp_table *tcp_table(const struct pp_stack *st)
{
	return st->tcp;
}

struct pp_tcp_mib *pp__tcp_mib(struct pp_lane *l)
{
	return &l->st->tcp->mib[l->id];
}

void pp__tcp_mib_sum(struct pp_stack *st, struct pp_tcp_mib *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; st->tcp && i < st->nlanes; i++) {
		const struct pp_tcp_mib *m = &st->tcp->mib[i];

#define SUM(f, k) out->f += PP_STAT_READ(m->f);
		PP_TCP_MIB_LIST(SUM)
#undef SUM
	}
}

/* ---- tables ------------------------------------------------------------------ */

struct ekey {
	uint32_t raddr, laddr;
	uint16_t rport, lport;
};

static unsigned long ehashfn(const struct pp_tcp_table *t, uint32_t raddr, uint16_t rport,
			     uint32_t laddr, uint16_t lport)
{
	return (unsigned long)pp__siphash_3u32(raddr, laddr, (uint32_t)rport << 16 | lport,
					       t->secret.seq_key);
}

static unsigned long porthash(uint16_t port)
{
	return (unsigned long)port * 0x9e3779b97f4a7c15ull >> 16;
}

static int ematch(struct cds_lfht_node *n, const void *key)
{
	const struct pp_tcp_sock *tp = caa_container_of(n, struct pp_tcp_sock, node);
	const struct ekey *k = key;

	return tp->sk.daddr == k->raddr && tp->sk.dport == k->rport && tp->sk.sport == k->lport &&
	       tp->sk.saddr == k->laddr;
}

static int lmatch(struct cds_lfht_node *n, const void *key)
{
	return caa_container_of(n, struct pp_tcp_sock, node)->sk.sport == *(const uint16_t *)key;
}

static int bmatch(struct cds_lfht_node *n, const void *key)
{
	return caa_container_of(n, struct pp_tcp_sock, bnode)->sk.sport == *(const uint16_t *)key;
}

struct pp_tcp_sock *pp__tcp_lookup_established(struct pp_stack *st, uint32_t raddr,
					       uint16_t rport, uint32_t laddr, uint16_t lport)
{
	struct pp_tcp_table *t = tcp_table(st);
	struct ekey k = {.raddr = raddr, .laddr = laddr, .rport = rport, .lport = lport};
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(t->ehash, ehashfn(t, raddr, rport, laddr, lport), ematch, &k, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct pp_tcp_sock, node) : NULL;
}

struct pp_tcp_sock *pp__tcp_lookup_listener(struct pp_stack *st, uint16_t lport)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(tcp_table(st)->lhash, porthash(lport), lmatch, &lport, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct pp_tcp_sock, node) : NULL;
}

static bool port_bound(struct pp_stack *st, uint16_t port)
{
	struct cds_lfht_iter it;

	cds_lfht_lookup(tcp_table(st)->bhash, porthash(port), bmatch, &port, &it);
	return cds_lfht_iter_get_node(&it) != NULL;
}

int pp__tcp_ehash_add(struct pp_tcp_sock *tp)
{
	struct pp_tcp_table *t = tcp_table(tp->sk.st);
	struct ekey k = {.raddr = tp->sk.daddr, .laddr = tp->sk.saddr, .rport = tp->sk.dport,
			 .lport = tp->sk.sport};
	struct cds_lfht_node *n;

	cds_lfht_node_init(&tp->node);
	n = cds_lfht_add_unique(t->ehash, ehashfn(t, k.raddr, k.rport, k.laddr, k.lport), ematch,
				&k, &tp->node);
	if (n != &tp->node)
		return -EADDRINUSE;
	tp->in_ehash = true;
	return 0;
}

/* Out of every table it is in (bhash too when @all). Context: online. */
static void tcp_unhash(struct pp_tcp_sock *tp, bool all)
{
	struct pp_tcp_table *t = tcp_table(tp->sk.st);

	if (tp->in_ehash) {
		cds_lfht_del(t->ehash, &tp->node);
		tp->in_ehash = false;
	}
	if (tp->in_lhash) {
		cds_lfht_del(t->lhash, &tp->node);
		tp->in_lhash = false;
	}
	if (all && tp->in_bhash) {
		cds_lfht_del(t->bhash, &tp->bnode);
		tp->in_bhash = false;
	}
}

int pp__tcp_table_init(struct pp_stack *st)
{
	struct pp_tcp_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->ehash = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	t->lhash = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	t->bhash = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!t->ehash || !t->lhash || !t->bhash || pp__tcp_secret_init(&t->secret) ||
	    getrandom(&t->port_off_key, sizeof(t->port_off_key), 0) != sizeof(t->port_off_key))
		goto err;
	t->timewait_ns = st->lim.tcp_timewait_ns;
	pp__sock_slab_init(&t->slab, sizeof(struct pp_tcp_sock));
	for (unsigned int to = 0; to < st->nlanes && st->nlanes > 1; to++)
		for (unsigned int from = 0; from < st->nlanes; from++)
			if (from != to &&
			    pp_ring_create(PP_TCP_HANDOFF_RING, 0, &t->lanes[to].handoff[from]))
				goto err;
	st->tcp = t;
	return 0;
err:
	st->tcp = t;
	pp__tcp_table_free(st);
	return -ENOMEM;
}

void pp__tcp_table_free(struct pp_stack *st)
{
	struct pp_tcp_table *t = st->tcp;

	if (!t)
		return;
	pp__rcu_get();
	if (t->ehash)
		cds_lfht_destroy(t->ehash, NULL);
	if (t->lhash)
		cds_lfht_destroy(t->lhash, NULL);
	if (t->bhash)
		cds_lfht_destroy(t->bhash, NULL);
	pp__rcu_put();
	t->ehash = t->lhash = t->bhash = NULL;
	for (unsigned int i = 0; i < PP_LANES_MAX; i++)
		for (unsigned int j = 0; j < PP_LANES_MAX; j++) {
			struct pp_ring *r = t->lanes[i].handoff[j];
			struct pp_skb *skb;

			if (!r)
				continue;
			while ((skb = pp_ring_dequeue(r)))
				pp_skb_free(st->lanes[i].cache, skb); /* emptied by fini */
			pp_ring_destroy(r);
			t->lanes[i].handoff[j] = NULL;
		}
}

/* ---- socket life ---------------------------------------------------------------- */

static int tcp_init_sock(struct pp_sock *sk)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);

	tp->state = PP_TCP_CLOSE;
	sk->pmtudisc = PP_PMTUDISC_DO; /* IP_PMTUDISC_WANT: DF set, as Linux's TCP */
	tp->advmss = (uint16_t)(sk->st->mtu - PP_IPV4_HLEN - PP_TCP_HLEN);
	tp->mss_cache = PP_TCP_MSS_DEFAULT;
	tp->keepidle_s = PP_TCP_KEEPIDLE_S;
	tp->keepintvl_s = PP_TCP_KEEPINTVL_S;
	tp->keepcnt = PP_TCP_KEEPCNT;
	tp->timewait_ns = sk->st->tcp->timewait_ns;
	tp->quick = PP_TCP_MAX_QUICKACKS;
	pp__tcp_rto_init(&tp->rto, 0, 0);
	pp__tcp_timers_init(tp);
	return 0;
}

/* Whose memory the queues' frames are: the lane that received them. */
static inline struct pp_lane *frame_lane(struct pp_stack *st, const struct pp_skb *skb)
{
	return &st->lanes[skb->owner < st->nlanes ? skb->owner : 0];
}

void pp__tcp_purge_queues(struct pp_tcp_sock *tp)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_lane *l = sk->lane;
	struct pp_skb *skb;

	while ((skb = tp->wq_head)) {
		tp->wq_head = skb->next;
		skb->next = NULL;
		pp_skb_free(l->cache, skb);
	}
	tp->wq_tail = tp->send_head = NULL;
	tp->wmem_queued = 0;
	tp->packets_out = tp->retrans_out = tp->sacked_out = tp->lost_out = 0;
	tp->sack_recovery = false;
	for (struct pp_skb **q = &tp->rq_head; q; q = q == &tp->rq_head ? &tp->ooo_head : NULL) {
		while ((skb = *q)) {
			uint32_t ts = pp_skb_truesize(skb);

			*q = skb->next;
			skb->next = NULL;
			atomic_fetch_sub_explicit(&sk->rmem_alloc, ts, memory_order_relaxed);
			atomic_fetch_sub_explicit(&frame_lane(sk->st, skb)->rcv_mem, ts,
						  memory_order_relaxed);
			pp_stage_drop(&l->s_rx, skb, PP_DROP_SOCKET_CLOSE);
		}
	}
	tp->rq_tail = NULL;
	tp->rq_off = 0;
	tp->ooo_bytes = 0;
}

static void acc_unlink(struct pp_tcp_sock *lp, struct pp_tcp_sock *c);

void pp__tcp_set_state(struct pp_tcp_sock *tp, int state)
{
	struct pp_tcp_mib *mib = pp__tcp_mib(tp->sk.lane);
	int old = tp->state;

	if (state == PP_TCP_CLOSE && (old == PP_TCP_ESTABLISHED || old == PP_TCP_CLOSE_WAIT))
		PP_STAT_ADD(mib->estab_resets, 1);
	__atomic_store_n(&tp->state, (uint8_t)state, __ATOMIC_RELAXED);
	if (state == PP_TCP_ESTABLISHED)
		tp->sk.connected = true;
}

/*
 * cf. tcp_done(): the connection is over. Timers and queues go, the socket
 * leaves the tables; an orphan is released after a grace period, a socket
 * the application still holds waits for its pp_close().
 */
void pp__tcp_done(struct pp_tcp_sock *tp)
{
	if (tp->done)
		return;
	pp__tcp_set_state(tp, PP_TCP_CLOSE);
	pp__tcp_timers_cancel(tp);
	tp->sk.shutdown = PP_SHUTDOWN_MASK;
	if (tp->parent) {
		/* a child never accepted: off its listener's lists */
		acc_unlink(tp->parent, tp);
		tp->parent = NULL;
		tp->orphan = true;
	}
	tp->done = true;
	if (tp->on_tsq) {
		/* off the lane's list before a grace period can free it */
		struct pp_tcp_sock **pp = &tp->sk.st->tcp->lanes[tp->sk.lane->id].tsq;

		while (*pp && *pp != tp)
			pp = &(*pp)->tsq_next;
		if (*pp)
			*pp = tp->tsq_next;
		tp->on_tsq = false;
	}
	if (tp->orphan) {
		pp__tcp_purge_queues(tp);
		tcp_unhash(tp, true);
		pp__sock_release(&tp->sk);
	} else {
		tcp_unhash(tp, false);
		/* write queue: nothing will ever be acknowledged */
		struct pp_skb *skb;

		while ((skb = tp->wq_head)) {
			tp->wq_head = skb->next;
			skb->next = NULL;
			pp_skb_free(tp->sk.lane->cache, skb);
		}
		tp->wq_tail = tp->send_head = NULL;
		tp->wmem_queued = 0;
		tp->packets_out = tp->retrans_out = tp->sacked_out = tp->lost_out = 0;
		tp->sack_recovery = false;
	}
}

void pp__tcp_reset(struct pp_tcp_sock *tp, int err)
{
	/* cf. tcp_reset(): the error the application sees once */
	if (!tp->orphan)
		__atomic_store_n(&tp->sk.err, err, __ATOMIC_RELAXED);
	pp__tcp_done(tp);
}

/* ---- ports ------------------------------------------------------------------------- */

static int tcp_bind(struct pp_sock *sk, const struct sockaddr_in *sin)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	struct pp_tcp_table *t = tcp_table(sk->st);
	uint16_t port = sin->sin_port;
	int err = 0;

	if (tp->state != PP_TCP_CLOSE || sk->sport)
		return -EINVAL;
	pp__rcu_get();
	pp__lane_online();
	if (port == 0) {
		/* cf. inet_csk_find_open_port() */
		uint32_t n = EPHEMERAL_HI - EPHEMERAL_LO + 1;
		uint32_t start = atomic_fetch_add(&t->port_next, 1);

		err = -EADDRINUSE;
		for (uint32_t i = 0; i < n; i++) {
			uint16_t p = htons((uint16_t)(EPHEMERAL_LO + (start + i) % n));

			if (port_bound(sk->st, p) || pp__tcp_lookup_listener(sk->st, p))
				continue;
			port = p;
			err = 0;
			break;
		}
	}
	if (!err) {
		struct cds_lfht_node *n;

		sk->sport = port;
		cds_lfht_node_init(&tp->bnode);
		n = cds_lfht_add_unique(t->bhash, porthash(port), bmatch, &port, &tp->bnode);
		if (n != &tp->bnode) {
			sk->sport = 0;
			err = -EADDRINUSE;
		} else {
			tp->in_bhash = true;
		}
	}
	pp__lane_offline();
	pp__rcu_put();
	return err;
}

/*
 * cf. __inet_hash_connect() with RFC 6056's algorithm 3: the search for a
 * free ephemeral port starts at an offset keyed on the destination, then a
 * shared counter, and takes the first port whose 4-tuple is free and that
 * no bind or listener holds. Context: online.
 */
static int tcp_hash_connect(struct pp_tcp_sock *tp)
{
	struct pp_sock *sk = &tp->sk;
	struct pp_tcp_table *t = tcp_table(sk->st);
	uint32_t n = EPHEMERAL_HI - EPHEMERAL_LO + 1;
	uint32_t off = (uint32_t)pp__siphash_3u32(sk->saddr, sk->daddr, sk->dport, t->secret.ts_key) ^
		       t->port_off_key;
	uint32_t start = off + atomic_fetch_add(&t->port_next, 2);

	if (sk->sport)
		return pp__tcp_ehash_add(tp);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = htons((uint16_t)(EPHEMERAL_LO + (start + i) % n));

		if (port_bound(sk->st, p) || pp__tcp_lookup_listener(sk->st, p))
			continue;
		sk->sport = p;
		if (!pp__tcp_ehash_add(tp))
			return 0;
	}
	sk->sport = 0;
	return -EADDRNOTAVAIL;
}

/* ---- connect ---------------------------------------------------------------------- */

/* Wait for @tp to leave the states in @mask (bit per state); -errno as the
 * kernel reports a wait's end. */
static int tcp_wait_state(struct pp_tcp_sock *tp, unsigned int mask, int flags, uint64_t timeo_ns)
{
	struct pp_sock *sk = &tp->sk;
	uint64_t deadline = pp__sock_deadline(timeo_ns);
	unsigned int step = PP_LANE_NAP_MIN_US;

	while (mask & (1u << tp->state)) {
		int err = pp__sock_wait(sk, flags, deadline, &step);

		if (err)
			return err;
	}
	return 0;
}

static int tcp_connect(struct pp_sock *sk, const struct sockaddr_in *sin)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	int err;

	switch (tp->state) {
	case PP_TCP_SYN_SENT:
		return -EALREADY;
	case PP_TCP_CLOSE:
		if (tp->done || sk->connected)
			return -EISCONN;
		break;
	default:
		return -EISCONN;
	}
	err = pp__sock_enter(sk);
	if (err)
		return err;
	sk->daddr = sin->sin_addr.s_addr;
	sk->dport = sin->sin_port;
	/* the route now (cf. ip_route_connect()): -ENETUNREACH before anything */
	uint32_t nexthop;

	err = pp__ip_route_output(sk, sk->daddr, &nexthop);
	if (err)
		goto out;
	err = tcp_hash_connect(tp);
	if (err)
		goto out;
	sk->txhash = pp__flow_hash(sk->saddr, sk->daddr, sk->sport, sk->dport, PP_IPPROTO_TCP);
	tp->iss = pp__tcp_secure_seq(&sk->st->tcp->secret, sk->saddr, sk->daddr, sk->sport,
				     sk->dport);
	tp->ts_off = pp__tcp_secure_ts_off(&sk->st->tcp->secret, sk->saddr, sk->daddr);
	pp__tcp_set_state(tp, PP_TCP_SYN_SENT);
	PP_STAT_ADD(pp__tcp_mib(sk->lane)->active_opens, 1);
	pp__tcp_send_syn(tp); /* no frame now: the SYN timer sends it */
	if (sk->nonblock) {
		err = -EINPROGRESS;
		goto out;
	}
	err = tcp_wait_state(tp, 1u << PP_TCP_SYN_SENT | 1u << PP_TCP_SYN_RECV, 0,
			     sk->sndtimeo_ns);
	if (err == -EAGAIN) {
		err = -EINPROGRESS; /* cf. inet_wait_for_connect() timing out */
		goto out;
	}
	if (!err && tp->state == PP_TCP_CLOSE)
		err = pp__sock_error(sk) ?: -ECONNREFUSED;
out:
	pp__sock_exit();
	return err;
}

/* ---- listen and accept ------------------------------------------------------------ */

static int tcp_listen(struct pp_sock *sk, int backlog)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	struct pp_tcp_table *t = tcp_table(sk->st);
	uint32_t b = backlog < 0 ? 0 : (uint32_t)backlog;
	int err = 0;

	if (b > PP_TCP_SOMAXCONN)
		b = PP_TCP_SOMAXCONN;
	if (tp->state == PP_TCP_LISTEN) {
		tp->acc_max = b; /* cf. inet_listen(): only the backlog changes */
		return 0;
	}
	if (tp->state != PP_TCP_CLOSE || tp->done)
		return -EINVAL;
	if (!sk->sport) {
		struct sockaddr_in any = {.sin_family = AF_INET};

		err = tcp_bind(sk, &any);
		if (err)
			return err;
	}
	tp->acc_max = b;
	/* cf. reqsk_queue_alloc() / tcp_max_syn_backlog: SYN_RECV children at
	 * most the backlog (at least 8, as sk_max_ack_backlog rounds) */
	tp->syn_max = b < 8 ? 8 : b;
	if (tp->syn_max > PP_TCP_MAX_SYN_BACKLOG)
		tp->syn_max = PP_TCP_MAX_SYN_BACKLOG;
	pp__rcu_get();
	pp__lane_online();
	cds_lfht_node_init(&tp->node);
	uint16_t port = sk->sport;
	struct cds_lfht_node *n = cds_lfht_add_unique(t->lhash, porthash(port), lmatch, &port,
						      &tp->node);

	if (n != &tp->node) {
		err = -EADDRINUSE;
	} else {
		tp->in_lhash = true;
		pp__tcp_set_state(tp, PP_TCP_LISTEN);
	}
	pp__lane_offline();
	pp__rcu_put();
	return err;
}

/* Children of a listener: one list, SYN_RECV ones (not counted in acc_len)
 * and established ones waiting for accept (acc_len), in arrival order. */
static void acc_unlink(struct pp_tcp_sock *lp, struct pp_tcp_sock *c)
{
	struct pp_tcp_sock **pp = &lp->acc_head, *prev = NULL;

	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->acc_next;
	}
	if (!*pp)
		return;
	*pp = c->acc_next;
	if (lp->acc_tail == c)
		lp->acc_tail = prev;
	c->acc_next = NULL;
	if (c->state == PP_TCP_SYN_RECV)
		lp->syn_len--;
	else
		lp->acc_len--;
}

struct pp_tcp_sock *pp__tcp_child_create(struct pp_tcp_sock *lp, uint32_t raddr, uint16_t rport)
{
	struct pp_sock *ls = &lp->sk, *sk;
	struct pp_tcp_sock *tp;

	if (lp->syn_len >= lp->syn_max)
		return NULL;
	if (pp__sock_alloc(ls->st, PP_SOCK_STREAM, ls->lane->id, &sk))
		return NULL;
	tp = pp_tcp_sk(sk);
	sk->open = false; /* no handle until accepted */
	sk->saddr = ls->st->ip;
	sk->sport = ls->sport;
	sk->daddr = raddr;
	sk->dport = rport;
	sk->rcvbuf = ls->rcvbuf;
	sk->sndbuf = ls->sndbuf;
	sk->tos = ls->tos;
	sk->prio = ls->prio;
	tp->nodelay = lp->nodelay;
	tp->keepalive = lp->keepalive;
	tp->keepidle_s = lp->keepidle_s;
	tp->keepintvl_s = lp->keepintvl_s;
	tp->keepcnt = lp->keepcnt;
	sk->txhash = pp__flow_hash(sk->saddr, raddr, sk->sport, rport, PP_IPPROTO_TCP);
	tp->iss = pp__tcp_secure_seq(&ls->st->tcp->secret, sk->saddr, raddr, sk->sport, rport);
	tp->ts_off = pp__tcp_secure_ts_off(&ls->st->tcp->secret, sk->saddr, raddr);
	tp->state = PP_TCP_SYN_RECV;
	if (pp__tcp_ehash_add(tp)) {
		tp->orphan = true;
		tp->done = true;
		pp__sock_release(sk);
		return NULL;
	}
	tp->parent = lp;
	if (lp->acc_tail)
		lp->acc_tail->acc_next = tp;
	else
		lp->acc_head = tp;
	lp->acc_tail = tp;
	lp->syn_len++;
	PP_STAT_ADD(pp__tcp_mib(ls->lane)->passive_opens, 1);
	return tp;
}

void pp__tcp_child_established(struct pp_tcp_sock *tp)
{
	struct pp_tcp_sock *lp = tp->parent;

	if (lp) {
		lp->syn_len--;
		lp->acc_len++;
	}
}

static int tcp_accept(struct pp_sock *sk, struct pp_sock **out)
{
	struct pp_tcp_sock *lp = pp_tcp_sk(sk);
	uint64_t deadline;
	unsigned int step = PP_LANE_NAP_MIN_US;
	int err;

	if (lp->state != PP_TCP_LISTEN)
		return -EINVAL;
	err = pp__sock_enter(sk);
	if (err)
		return err;
	deadline = pp__sock_deadline(sk->rcvtimeo_ns);
	for (;;) {
		struct pp_tcp_sock *c;

		for (c = lp->acc_head; c && c->state == PP_TCP_SYN_RECV; c = c->acc_next)
			;
		if (c) {
			acc_unlink(lp, c);
			c->parent = NULL;
			c->sk.open = true;
			*out = &c->sk;
			break;
		}
		if (lp->state != PP_TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		err = pp__sock_wait(sk, sk->nonblock ? PP_MSG_DONTWAIT : 0, deadline, &step);
		if (err)
			break;
	}
	pp__sock_exit();
	return err;
}

/* ---- send --------------------------------------------------------------------------- */

/* cf. sk_stream_memory_free() */
static inline bool tcp_memory_free(const struct pp_tcp_sock *tp)
{
	return tp->wmem_queued < tp->sk.sndbuf;
}

/* cf. __sk_stream_is_writeable(): the free part of the send buffer is at
 * least half the queued part (a third of the buffer). A writer that found
 * no room waits for this, not for one segment's worth, so that it copies
 * and sends in batches instead of one frame per ACK (as the kernel's
 * sk_stream_write_space() wakes it); pp_poll() reports PP_POLLOUT by it. */
static inline bool tcp_stream_writeable(const struct pp_tcp_sock *tp)
{
	return tp->wmem_queued < tp->sk.sndbuf - tp->sk.sndbuf / 3;
}

/* cf. tcp_push(): send what the queue now allows; MSG_MORE or a cork keeps a
 * partial tail segment back. */
static void tcp_push(struct pp_tcp_sock *tp, int flags)
{
	if (!tp->send_head)
		return;
	pp__tcp_write_xmit(tp, !(flags & PP_MSG_MORE) && !tp->cork);
}

static int tcp_send_state_err(struct pp_tcp_sock *tp)
{
	int e = pp__sock_error(&tp->sk);

	if (e)
		return e;
	if (tp->sk.shutdown & PP_SEND_SHUTDOWN)
		return -EPIPE;
	if (tp->state == PP_TCP_CLOSE)
		return tp->sk.connected ? -EPIPE : -ENOTCONN;
	return 0;
}

/*
 * cf. tcp_sendmsg_locked(): wait for the connection (SYN_SENT), then copy
 * the iovec into the tail original while it has room, then into new
 * originals of MSS bytes, each charged to wmem_queued against sk_sndbuf;
 * waiting for room pushes what is queued first.
 */
static ssize_t tcp_sendmsg(struct pp_sock *sk, const struct msghdr *msg, int flags)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	size_t len = 0, copied = 0, vi = 0, voff = 0;
	uint64_t deadline = 0;
	unsigned int step = PP_LANE_NAP_MIN_US;
	int err;

	if (sk->nonblock)
		flags |= PP_MSG_DONTWAIT;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (sk->sndtimeo_ns && !(flags & PP_MSG_DONTWAIT))
		deadline = pp__sock_deadline(sk->sndtimeo_ns);
	/* cf. sk_stream_wait_connect() */
	while (tp->state == PP_TCP_SYN_SENT || tp->state == PP_TCP_SYN_RECV) {
		err = pp__sock_wait(sk, flags, deadline, &step);
		if (err)
			return err;
	}
	if (tp->state != PP_TCP_ESTABLISHED && tp->state != PP_TCP_CLOSE_WAIT)
		return tcp_send_state_err(tp) ?: -EPIPE;
	while (copied < len) {
		if ((err = tcp_send_state_err(tp)))
			goto fail;
		uint32_t mss = pp__tcp_current_mss(tp);
		struct pp_skb *skb = tp->wq_tail;

		/* the tail takes more only while it has not been sent */
		if (!skb || skb != tp->send_head || skb->len >= mss ||
		    (pp__tcp_cb(skb)->flags & PP_TCP_FIN)) {
			skb = tcp_memory_free(tp) ? pp__tcp_wq_alloc(tp) : NULL;
			if (!skb) {
				/* cf. sk_stream_wait_memory(): push, then wait
				 * until writeable (or the connection fails) */
				tcp_push(tp, 0);
				if (copied && (flags & PP_MSG_DONTWAIT))
					break;
				do {
					err = pp__sock_wait(sk, flags, deadline, &step);
					if (err)
						goto fail;
				} while (!tcp_stream_writeable(tp) && !tcp_send_state_err(tp));
				continue;
			}
		}
		uint32_t room = mss - skb->len;
		size_t left = len - copied;
		uint32_t n = left < room ? (uint32_t)left : room;
		uint8_t *p = pp_skb_put(skb, n);

		for (uint32_t done = 0; done < n;) {
			const struct iovec *v = &msg->msg_iov[vi];
			size_t k = v->iov_len - voff;

			if (k == 0) {
				vi++;
				voff = 0;
				continue;
			}
			if (k > n - done)
				k = n - done;
			memcpy(p + done, (const uint8_t *)v->iov_base + voff, k);
			done += (uint32_t)k;
			voff += k;
		}
		pp__tcp_cb(skb)->end_seq += n;
		tp->write_seq += n;
		copied += n;
		/* cf. forced_push(): full segments wait for the end of the call
		 * (one burst, one kick) unless a burst's worth is unsent */
		if (skb->len >= mss && !(flags & PP_MSG_MORE) && !tp->cork &&
		    tp->write_seq - tp->snd_nxt >= PP_TCP_XMIT_BURST * mss)
			pp__tcp_write_xmit(tp, false);
	}
	tcp_push(tp, flags);
	/* the walk is done: what the lane has pending runs now (sock.c does
	 * this for datagrams) */
	pp__lane_run_busy(sk->lane);
	return (ssize_t)copied;
fail:
	if (copied) {
		tcp_push(tp, flags);
		return (ssize_t)copied;
	}
	return err;
}

/* ---- receive ------------------------------------------------------------------------- */

/*
 * cf. tcp_cleanup_rbuf(): after the application read, an ACK now if the
 * window it frees is worth announcing (at least twice what the peer sees
 * open), or one was owed and the reader drained the queue.
 */
static void tcp_cleanup_rbuf(struct pp_tcp_sock *tp, size_t copied)
{
	if (!copied || tp->state == PP_TCP_CLOSE || tp->state == PP_TCP_LISTEN)
		return;
	uint32_t shown = tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt;

	if ((int32_t)shown < 0)
		shown = 0;
	if ((tp->ack_pending & PP_TCP_ACK_SCHED) && !tp->rq_head) {
		pp__tcp_send_ack(tp);
		return;
	}
	uint32_t win = pp__tcp_window_free(tp);

	if (win >= 2 * shown && win - shown >= 2u * tp->advmss)
		pp__tcp_send_ack(tp);
}

static void rq_release(struct pp_tcp_sock *tp, struct pp_skb *skb)
{
	struct pp_sock *sk = &tp->sk;
	uint32_t ts = pp_skb_truesize(skb);

	atomic_fetch_sub_explicit(&sk->rmem_alloc, ts, memory_order_relaxed);
	atomic_fetch_sub_explicit(&frame_lane(sk->st, skb)->rcv_mem, ts, memory_order_relaxed);
	pp_skb_free(sk->lane->cache, skb);
}

static ssize_t tcp_recvmsg(struct pp_sock *sk, struct msghdr *msg, int flags)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	size_t want = 0, copied = 0, vi = 0, voff = 0;
	uint64_t deadline = 0;
	unsigned int step = PP_LANE_NAP_MIN_US;
	int err = 0;

	if (tp->state == PP_TCP_LISTEN)
		return -ENOTCONN;
	if (sk->nonblock)
		flags |= PP_MSG_DONTWAIT;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		want += msg->msg_iov[i].iov_len;
	msg->msg_namelen = 0;
	msg->msg_flags = 0;
	if (sk->rcvtimeo_ns && !(flags & PP_MSG_DONTWAIT))
		deadline = pp__sock_deadline(sk->rcvtimeo_ns);
	uint64_t spin_until = pp__now_ns() + 2 * PP_NSEC_PER_MSEC;

	while (copied < want) {
		struct pp_skb *skb = tp->rq_head;

		if (skb) {
			uint32_t avail = skb->len - tp->rq_off, before = tp->rq_off;
			const uint8_t *p = pp_skb_data(skb) + tp->rq_off;

			while (avail && vi < msg->msg_iovlen) {
				size_t room = msg->msg_iov[vi].iov_len - voff;
				size_t n = avail < room ? avail : room;

				memcpy((uint8_t *)msg->msg_iov[vi].iov_base + voff, p, n);
				p += n;
				avail -= (uint32_t)n;
				tp->rq_off += (uint32_t)n;
				copied += n;
				voff += n;
				if (voff == msg->msg_iov[vi].iov_len) {
					vi++;
					voff = 0;
				}
			}
			tp->copied_seq += tp->rq_off - before;
			if (!avail) {
				tp->rq_head = skb->next;
				if (!tp->rq_head)
					tp->rq_tail = NULL;
				skb->next = NULL;
				tp->rq_off = 0;
				rq_release(tp, skb);
			}
			continue;
		}
		/* nothing queued: what ends the wait (cf. tcp_recvmsg_locked()) */
		if (copied && !(flags & PP_MSG_WAITALL))
			break;
		if (tp->fin_rcvd || (sk->shutdown & PP_RCV_SHUTDOWN))
			break;
		if ((err = pp__sock_error(sk)))
			break;
		if (tp->state == PP_TCP_CLOSE) {
			if (!sk->connected && !tp->done)
				err = -ENOTCONN;
			break;
		}
		if (pp__lane_run(sk->lane))
			continue;
		if (flags & PP_MSG_DONTWAIT) {
			err = -EAGAIN;
			break;
		}
		uint64_t now = pp__now_ns();

		if (deadline && now >= deadline) {
			err = -EAGAIN;
			break;
		}
		if (now < spin_until)
			continue;
		tcp_cleanup_rbuf(tp, copied);
		pp__lane_nap(&step);
	}
	tcp_cleanup_rbuf(tp, copied);
	if (copied)
		return (ssize_t)copied;
	return err;
}

/* ---- shutdown, close ---------------------------------------------------------------- */

/* cf. tcp_close_state(): where a FIN of ours takes the state */
static bool tcp_close_state(struct pp_tcp_sock *tp)
{
	switch (tp->state) {
	case PP_TCP_ESTABLISHED:
	case PP_TCP_SYN_RECV:
		pp__tcp_set_state(tp, PP_TCP_FIN_WAIT1);
		return true;
	case PP_TCP_CLOSE_WAIT:
		pp__tcp_set_state(tp, PP_TCP_LAST_ACK);
		return true;
	default:
		return false;
	}
}

static int tcp_shutdown(struct pp_sock *sk, int how)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	int err;

	if (tp->state == PP_TCP_CLOSE && !sk->connected)
		return -ENOTCONN;
	if (tp->state == PP_TCP_LISTEN || tp->state == PP_TCP_SYN_SENT) {
		/* cf. inet_shutdown(): a listener or a connect in flight is disconnected */
		if (how & PP_RCV_SHUTDOWN || tp->state == PP_TCP_SYN_SENT) {
			err = pp__sock_enter(sk);
			if (err)
				return err;
			sk->shutdown |= (uint8_t)how;
			if (tp->state == PP_TCP_LISTEN) {
				tcp_unhash(tp, false);
				pp__tcp_set_state(tp, PP_TCP_CLOSE);
			} else {
				pp__tcp_done(tp);
			}
			pp__sock_exit();
		}
		return 0;
	}
	err = pp__sock_enter(sk);
	if (err)
		return err;
	__atomic_fetch_or(&sk->shutdown, (uint8_t)how, __ATOMIC_RELAXED);
	/* cf. tcp_shutdown(): SHUT_WR sends our FIN after what is queued */
	if ((how & PP_SEND_SHUTDOWN) && tcp_close_state(tp))
		pp__tcp_send_fin(tp);
	pp__lane_run_busy(sk->lane);
	pp__sock_exit();
	return 0;
}

/* A listener goes: children never accepted are reset or dropped (cf.
 * inet_csk_listen_stop()). */
static void tcp_listen_stop(struct pp_tcp_sock *lp)
{
	struct pp_tcp_sock *c;

	tcp_unhash(lp, false);
	while ((c = lp->acc_head)) {
		bool estab = c->state != PP_TCP_SYN_RECV;

		acc_unlink(lp, c);
		c->parent = NULL;
		c->orphan = true;
		if (estab)
			pp__tcp_send_active_reset(c);
		pp__tcp_done(c);
	}
}

/*
 * cf. tcp_close(): unread data means RST (RFC 2525 2.17); otherwise our
 * FIN goes after what is queued and the connection finishes as an orphan.
 * Return: true when TCP keeps the socket (it releases it at pp__tcp_done()).
 */
static bool tcp_close(struct pp_sock *sk)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	bool unread = tp->rq_head != NULL;

	sk->shutdown = PP_SHUTDOWN_MASK;
	if (tp->state == PP_TCP_LISTEN) {
		tcp_listen_stop(tp);
		pp__tcp_set_state(tp, PP_TCP_CLOSE);
	}
	if (tp->state == PP_TCP_CLOSE) {
		/* never connected, or over: the socket layer frees it */
		pp__tcp_timers_cancel(tp);
		tcp_unhash(tp, true);
		tp->done = true;
		return false;
	}
	tp->orphan = true;
	if (tp->state == PP_TCP_SYN_SENT) {
		pp__tcp_done(tp);
	} else if (unread) {
		pp__tcp_set_state(tp, PP_TCP_CLOSE);
		pp__tcp_send_active_reset(tp);
		tp->state = PP_TCP_ESTABLISHED; /* so done() counts it */
		pp__tcp_done(tp);
	} else if (tcp_close_state(tp)) {
		pp__tcp_send_fin(tp);
	}
	if (!tp->done && tp->state == PP_TCP_FIN_WAIT2)
		pp__tcp_time_wait(tp, PP_TCP_FIN_WAIT2, PP_TCP_FIN_TIMEOUT_NS);
	pp__lane_run_busy(sk->lane);
	return true;
}

/* After the grace period that followed pp_close() of a socket TCP did not keep. */
static void tcp_destroy(struct pp_sock *sk)
{
	pp__tcp_purge_queues(pp_tcp_sk(sk));
}

/* ---- readiness ------------------------------------------------------------------------ */

/* cf. tcp_poll() */
static unsigned int tcp_poll(struct pp_sock *sk)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	uint8_t state = __atomic_load_n(&tp->state, __ATOMIC_RELAXED);
	unsigned int mask = 0;

	if (state == PP_TCP_LISTEN) {
		for (struct pp_tcp_sock *c = tp->acc_head; c; c = c->acc_next)
			if (c->state != PP_TCP_SYN_RECV)
				return PP_POLLIN;
		return 0;
	}
	if (__atomic_load_n(&sk->err, __ATOMIC_RELAXED))
		mask |= PP_POLLERR;
	if (sk->shutdown == PP_SHUTDOWN_MASK || (state == PP_TCP_CLOSE && sk->connected))
		mask |= PP_POLLHUP;
	if ((sk->shutdown & PP_RCV_SHUTDOWN) || tp->fin_rcvd)
		mask |= PP_POLLIN | PP_POLLRDHUP;
	if (state == PP_TCP_CLOSE && !sk->connected && !tp->done)
		return mask | PP_POLLOUT | PP_POLLHUP; /* cf. tcp_poll() on a fresh socket */
	if (state != PP_TCP_SYN_SENT && state != PP_TCP_SYN_RECV) {
		if (tp->rq_head)
			mask |= PP_POLLIN;
		if (!(sk->shutdown & PP_SEND_SHUTDOWN)) {
			if (state != PP_TCP_CLOSE && tcp_stream_writeable(tp))
				mask |= PP_POLLOUT;
		} else {
			mask |= PP_POLLOUT; /* cf. tcp_poll(): a write fails at once */
		}
	}
	return mask;
}

/* ---- options --------------------------------------------------------------------------- */

static int opt_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int opt_put(void *val, socklen_t *len, const void *v, socklen_t vlen)
{
	if (*len > vlen)
		*len = vlen;
	memcpy(val, v, (size_t)*len);
	return 0;
}

static int tcp_setsockopt(struct pp_sock *sk, int level, int name, const void *val, socklen_t len)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	int v, err;

	if (level == IPPROTO_IP)
		return pp__ip_setsockopt(sk, name, val, len);
	if ((err = opt_int(val, len, &v)))
		return err;
	if (level == SOL_SOCKET) {
		if (name != SO_KEEPALIVE)
			return -ENOPROTOOPT;
		tp->keepalive = v != 0;
		if (tp->state == PP_TCP_ESTABLISHED && pp__sock_enter(sk) == 0) {
			pp__tcp_arm_keepalive(tp);
			pp__sock_exit();
		}
		return 0;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		tp->nodelay = v != 0;
		if (tp->nodelay && tp->send_head && pp__sock_enter(sk) == 0) {
			pp__tcp_write_xmit(tp, true); /* cf. tcp_push_pending_frames() */
			pp__sock_exit();
		}
		return 0;
	case TCP_CORK:
		tp->cork = v != 0;
		if (!tp->cork && tp->send_head && pp__sock_enter(sk) == 0) {
			pp__tcp_write_xmit(tp, true);
			pp__sock_exit();
		}
		return 0;
	case TCP_MAXSEG:
		/* cf. do_tcp_setsockopt(): before the connection, 88..65535 */
		if (v && (v < (int)PP_TCP_MIN_MSS || v > 65535))
			return -EINVAL;
		if (tp->state != PP_TCP_CLOSE && tp->state != PP_TCP_LISTEN)
			return -EINVAL;
		if (v && v < tp->advmss)
			tp->advmss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		if (name == TCP_KEEPIDLE)
			tp->keepidle_s = (uint32_t)v;
		else
			tp->keepintvl_s = (uint32_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		tp->keepcnt = (uint32_t)v;
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_getsockopt(struct pp_sock *sk, int level, int name, void *val, socklen_t *len)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	int v;

	if (level == IPPROTO_IP)
		return pp__ip_getsockopt(sk, name, val, len);
	if (level == SOL_SOCKET) {
		if (name != SO_KEEPALIVE)
			return -ENOPROTOOPT;
		v = tp->keepalive;
		return opt_put(val, len, &v, sizeof(v));
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		v = tp->nodelay;
		break;
	case TCP_CORK:
		v = tp->cork;
		break;
	case TCP_MAXSEG:
		v = tp->state == PP_TCP_ESTABLISHED ? (int)tp->mss_cache : (int)tp->advmss;
		break;
	case TCP_KEEPIDLE:
		v = (int)tp->keepidle_s;
		break;
	case TCP_KEEPINTVL:
		v = (int)tp->keepintvl_s;
		break;
	case TCP_KEEPCNT:
		v = (int)tp->keepcnt;
		break;
	case TCP_INFO: {
		/* cf. tcp_get_info(): the fields we keep */
		struct tcp_info ti;

		memset(&ti, 0, sizeof(ti));
		ti.tcpi_state = tp->state;
		ti.tcpi_ca_state = tp->cc.ca_state;
		ti.tcpi_retransmits = tp->retransmits;
		ti.tcpi_backoff = tp->rto.backoff;
		ti.tcpi_probes = tp->probes_out;
		if (tp->tstamp_ok)
			ti.tcpi_options |= TCPI_OPT_TIMESTAMPS;
		if (tp->sack_ok)
			ti.tcpi_options |= TCPI_OPT_SACK;
		if (tp->wscale_ok) {
			ti.tcpi_options |= TCPI_OPT_WSCALE;
			ti.tcpi_snd_wscale = tp->snd_wscale & 15;
			ti.tcpi_rcv_wscale = tp->rcv_wscale & 15;
		}
		ti.tcpi_rto = tp->rto.rto_us;
		ti.tcpi_snd_mss = tp->mss_cache;
		ti.tcpi_rcv_mss = tp->rcv_mss;
		ti.tcpi_unacked = tp->packets_out;
		ti.tcpi_sacked = tp->sacked_out;
		ti.tcpi_lost = tp->lost_out;
		ti.tcpi_retrans = tp->retrans_out;
		ti.tcpi_rtt = pp__tcp_srtt_us(&tp->rto);
		ti.tcpi_rttvar = pp__tcp_rttvar_us(&tp->rto);
		ti.tcpi_snd_ssthresh = tp->cc.ssthresh;
		ti.tcpi_snd_cwnd = tp->cc.cwnd;
		ti.tcpi_advmss = tp->advmss;
		ti.tcpi_rcv_space = tp->rcv_wnd;
		ti.tcpi_total_retrans = tp->total_retrans;
		return opt_put(val, len, &ti, sizeof(ti));
	}
	default:
		return -ENOPROTOOPT;
	}
	return opt_put(val, len, &v, sizeof(v));
}

static const struct pp_proto_ops tcp_ops = {
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.shutdown = tcp_shutdown,
	.poll = tcp_poll,
	.init = tcp_init_sock,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.close = tcp_close,
	.destroy = tcp_destroy,
	/* unhash: TCP keeps its own tables (sk->hashed stays false) */
};

const struct pp_proto pp__tcp_proto = {
	.name = "tcp",
	.type = PP_SOCK_STREAM,
	.protocol = PP_IPPROTO_TCP,
	.obj_size = sizeof(struct pp_tcp_sock),
	.ops = &tcp_ops,
};

/* ---- the lane's lists and poller ---------------------------------------------------- */

void pp__tcp_flush_mark(struct pp_tcp_sock *tp)
{
	struct pp_tcp_lane *tl = &tp->sk.st->tcp->lanes[tp->sk.lane->id];

	if (tp->on_flush)
		return;
	tp->on_flush = true;
	tp->flush_next = tl->flush;
	tl->flush = tp;
}

void pp__tcp_tsq_mark(struct pp_tcp_sock *tp)
{
	struct pp_tcp_lane *tl = &tp->sk.st->tcp->lanes[tp->sk.lane->id];

	if (tp->on_tsq)
		return;
	tp->on_tsq = true;
	tp->tsq_next = tl->tsq;
	tl->tsq = tp;
}

/*
 * Every run of the lane: segments other lanes handed over (their
 * connections are ours), then the sockets that stopped sending for want of
 * room below (cf. tcp_tsq_handler() run from tcp_wfree()'s tasklet: here
 * the lane looks instead of being told).
 */
uint32_t pp__tcp_poll(void *lane)
{
	struct pp_lane *l = lane;
	struct pp_tcp_lane *tl = &l->st->tcp->lanes[l->id];
	uint32_t work = 0;

	for (unsigned int from = 0; from < l->st->nlanes; from++) {
		struct pp_ring *r = tl->handoff[from];
		struct pp_skb *skb;

		while (r && (skb = pp_ring_dequeue(r))) {
			pp__tcp_rcv_owned(l, skb);
			work++;
		}
	}
	if (work)
		pp__tcp_flush_lane(l);
	if (tl->tsq) {
		struct pp_tcp_sock *list = tl->tsq;

		tl->tsq = NULL;
		while (list) {
			struct pp_tcp_sock *tp = list;

			list = tp->tsq_next;
			tp->on_tsq = false;
			if (tp->done)
				continue;
			if (tp->fin_pending)
				pp__tcp_send_fin(tp);
			else if (tp->send_head)
				work += pp__tcp_write_xmit(tp, !tp->cork);
		}
	}
	return work;
}

/* ---- teardown ---------------------------------------------------------------------- */

static void fini_one(struct pp_sock *sk, void *arg)
{
	struct pp_tcp_sock *tp = pp_tcp_sk(sk);
	struct pp_sock **list = arg;

	if (tp->done && !sk->open)
		return; /* already released (an RCU callback may still be due) */
	pp__tcp_timers_cancel(tp);
	tcp_unhash(tp, true);
	tp->parent = NULL;
	tp->acc_head = tp->acc_tail = tp->acc_next = NULL;
	tp->done = true;
	sk->open = false;
	sk->slab_next = *list;
	*list = sk;
}

/* Stack teardown, lanes stopped: every TCP socket, whoever holds it, goes
 * (no FIN, no RST: the NIC is about to stop). */
void pp__tcp_fini(struct pp_stack *st)
{
	struct pp_sock *list = NULL;

	if (!st->tcp)
		return;
	for (unsigned int i = 0; i < st->nlanes; i++)
		for (unsigned int j = 0; j < st->nlanes; j++) {
			struct pp_ring *r = st->tcp->lanes[i].handoff[j];
			struct pp_skb *skb;

			while (r && (skb = pp_ring_dequeue(r)))
				pp_stage_drop(&st->lanes[i].s_rx, skb, PP_DROP_SHUTDOWN);
		}
	/* sockets released before (orphans done, closed children) are freed
	 * by their RCU callbacks first: the walk below must not meet one
	 * half-freed (TSan saw the walk read a socket a callback was freeing) */
	pp__sock_rcu_barrier(st);
	pp__rcu_get();
	pp__lane_online();
	pthread_mutex_lock(&st->ctl_lock);
	pp__sock_slab_for_each(&st->tcp->slab, fini_one, &list);
	pthread_mutex_unlock(&st->ctl_lock);
	pp__lane_offline();
	synchronize_rcu();
	while (list) {
		struct pp_sock *sk = list;

		list = sk->slab_next;
		pp__tcp_purge_queues(pp_tcp_sk(sk));
		pp__sock_wfree(sk, 1);
	}
	pp__rcu_put();
}
