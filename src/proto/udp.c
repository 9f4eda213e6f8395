// SPDX-License-Identifier: MIT
/*
 * udp.c - UDP over IPv4 (cf. net/ipv4/udp.c): the socket (udp_prot: bind
 * and ports, connect, sendmsg, recvmsg, poll, shutdown, options), the port
 * table, and the receive side (__udp4_lib_rcv() -> __udp_enqueue_schedule_skb()).
 *
 * Transmit (udp_sendmsg(), ip_append_data(), ip_make_skb(), udp_send_skb()):
 * A datagram is built straight into pool frames: the payload is copied from
 * the caller's iovec and checksummed in the same pass (cf.
 * csum_and_copy_from_iter), the UDP header and an IPv4 header template are
 * pushed in front. A datagram that does not fit the MTU is cut, as
 * ip_append_data() does, into a chain of frames whose IP payloads are 8-byte
 * multiples; the ip stage then writes one header per fragment. With
 * PP_PMTUDISC_DO such a datagram is refused with -EMSGSIZE instead.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/udp.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"
#include "proto/udp_priv.h"

#define EPHEMERAL_LO PP_IP_LOCAL_PORT_MIN /* net.ipv4.ip_local_port_range */
#define EPHEMERAL_HI PP_IP_LOCAL_PORT_MAX
/* How long a blocking receive polls the lane before it starts sleeping. */
#define PP_SOCK_BUSY_POLL_NS (2 * PP_NSEC_PER_MSEC)

/*
 * What every datagram of one send takes from the socket, read once: the
 * header stores below are byte stores the compiler must assume may alias
 * the socket, so reading the socket inside a burst's loop would reload
 * every field for every datagram.
 */
struct udp_tx {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t tos, prio;
	bool nocheck, df;
	struct pp_sock *sk;
};

static inline struct udp_tx udp_tx_of(struct pp_sock *sk, uint32_t daddr, uint16_t dport)
{
	return (struct udp_tx){.saddr = sk->saddr, .daddr = daddr, .sport = sk->sport,
			       .dport = dport, .tos = sk->tos, .prio = sk->prio,
			       .nocheck = sk->nocheck, .df = sk->pmtudisc == PP_PMTUDISC_DO,
			       .sk = sk};
}

/* Headers in front of the UDP header: IPv4 template (Ethernet comes later). */
static inline void udp_push_headers(const struct udp_tx *tx, struct pp_skb *skb, uint16_t ulen,
				    uint64_t payload_sum)
{
	struct pp_udp_hdr *uh = pp_skb_push(skb, PP_UDP_HLEN);
	struct pp_ipv4_hdr *ip;

	uint16_t ulen_n = htons(ulen);

	uh->source = tx->sport;
	uh->dest = tx->dport;
	uh->len = ulen_n;
	uh->check = 0;
	if (!tx->nocheck) {
		/* header words summed from values (see ip_finish_header()) */
		uint64_t sum = pp_csum_pseudo(tx->saddr, tx->daddr, PP_IPPROTO_UDP, ulen) +
			       payload_sum + tx->sport + tx->dport + ulen_n;
		uint16_t c = pp_csum_fold(sum);

		uh->check = c ? c : 0xffff; /* RFC 768: 0 means "no checksum" */
	}
	skb->trans_off = pp_skb_offset(skb, uh);
	ip = pp_skb_push(skb, PP_IPV4_HLEN);
	ip->ver_ihl = 0x45;
	ip->tos = tx->tos;
	ip->tot_len = 0;	/* ip stage */
	ip->id = 0;		/* ip stage */
	ip->frag_off = tx->df ? htons(PP_IP_DF) : 0;
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = tx->saddr;
	ip->daddr = tx->daddr;
	skb->net_off = pp_skb_offset(skb, ip);
	skb->prio = tx->prio;
}

static inline uint32_t udp_flow_hash(const struct pp_sock *sk, uint32_t daddr, uint16_t dport)
{
	if (sk->connected && daddr == sk->daddr && dport == sk->dport)
		return sk->txhash;
	return pp__flow_hash(sk->saddr, daddr, sk->sport, dport, PP_IPPROTO_UDP);
}

/* Destination of a send: explicit, or the connected one. */
static int udp_dest(struct pp_sock *sk, const struct msghdr *msg, uint32_t *daddr, uint16_t *dport)
{
	if (msg && msg->msg_name) {
		const struct sockaddr_in *sin = msg->msg_name;

		if (sin->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		if (sin->sin_port == 0 || sin->sin_addr.s_addr == htonl(INADDR_ANY))
			return -EINVAL;
		*daddr = sin->sin_addr.s_addr;
		*dport = sin->sin_port;
		return 0;
	}
	if (!sk->connected)
		return -EDESTADDRREQ;
	*daddr = sk->daddr;
	*dport = sk->dport;
	return 0;
}

/* ---- ports (cf. udp_lib_get_port()) ----------------------------------------- */

static int port_match(struct cds_lfht_node *node, const void *key)
{
	const struct pp_udp_sock *up = caa_container_of(node, struct pp_udp_sock, port_node);

	return up->sk.sport == *(const uint16_t *)key;
}

static unsigned long port_hash(uint16_t port)
{
	return (unsigned long)port * 0x9e3779b97f4a7c15ull >> 16;
}

struct pp_udp_sock *pp__udp_lookup(struct pp_stack *st, uint16_t dport)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(st->udp->ports, port_hash(dport), port_match, &dport, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct pp_udp_sock, port_node) : NULL;
}

static void udp_free_rq(struct pp_udp_sock *up);

/*
 * Make the socket reachable on @port (network order; 0: an ephemeral one):
 * its receive rings, then the table entry. Caller holds ctl_lock and is an
 * online RCU reader (the table is read under RCU).
 */
static int udp_get_port(struct pp_sock *sk, uint16_t port)
{
	struct pp_udp_sock *up = pp_udp_sk(sk);
	struct pp_stack *st = sk->st;
	struct pp_udp_table *t = st->udp;

	if (sk->sport)
		return -EINVAL;
	if (port == 0) {
		unsigned int tries;

		for (tries = 0; tries <= EPHEMERAL_HI - EPHEMERAL_LO; tries++) {
			uint16_t p = t->next_eport;

			t->next_eport = (uint16_t)(p >= EPHEMERAL_HI ? EPHEMERAL_LO : p + 1u);
			if (!pp__udp_lookup(st, htons(p))) {
				port = htons(p);
				break;
			}
		}
		if (!port)
			return -EADDRINUSE;
	} else if (pp__udp_lookup(st, port)) {
		return -EADDRINUSE;
	}
	for (unsigned int k = 0; k < st->nlanes; k++) {
		if (!up->rq[k] && pp_ring_create(PP_UDP_RCVQ, 0, &up->rq[k])) {
			udp_free_rq(up);
			return -ENOMEM;
		}
	}
	sk->sport = port;
	cds_lfht_node_init(&up->port_node);
	cds_lfht_add(t->ports, port_hash(port), &up->port_node);
	sk->hashed = true;
	return 0;
}

/* Bind @sk to @port (0: ephemeral) from any thread (a control thread's
 * bind or connect, or a lane's first send). */
static int udp_bind_port(struct pp_sock *sk, uint16_t port)
{
	int err;

	pp__rcu_get();
	pp__lane_online();
	pthread_mutex_lock(&sk->st->ctl_lock);
	err = udp_get_port(sk, port);
	pthread_mutex_unlock(&sk->st->ctl_lock);
	pp__lane_offline();
	pp__rcu_put();
	return err;
}

static int udp_autobind(struct pp_sock *sk)
{
	return sk->sport ? 0 : udp_bind_port(sk, 0);
}

static int udp_bind(struct pp_sock *sk, const struct sockaddr_in *sin)
{
	return udp_bind_port(sk, sin->sin_port);
}

/* ctl_lock held, online: out of the port table (cf. udp_lib_unhash()). */
static void udp_unhash(struct pp_sock *sk)
{
	cds_lfht_del(sk->st->udp->ports, &pp_udp_sk(sk)->port_node);
}

int pp__udp_table_init(struct pp_stack *st)
{
	struct pp_udp_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	/* grows with the sockets: resized by liburcu's worker, never by a
	 * lane's lookup */
	t->ports = cds_lfht_new(256, 256, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!t->ports) {
		free(t);
		return -ENOMEM;
	}
	t->next_eport = EPHEMERAL_LO;
	pp__sock_slab_init(&t->slab, sizeof(struct pp_udp_sock));
	st->udp = t;
	return 0;
}

/* Stack teardown, every socket unhashed: the table (the slab is freed
 * later, when no frame can name a socket any more). */
void pp__udp_table_fini(struct pp_stack *st)
{
	if (st->udp && st->udp->ports) {
		pp__rcu_get();
		cds_lfht_destroy(st->udp->ports, NULL);
		pp__rcu_put();
		st->udp->ports = NULL;
	}
}

/* Copy @len bytes from the iovec cursor into @dst, adding to the checksum. */
struct iov_cursor {
	const struct iovec *iov;
	size_t iovlen, i, off;
};

static uint64_t copy_csum(struct iov_cursor *c, uint8_t *dst, size_t len, uint64_t sum,
			  unsigned int *odd, bool csum)
{
	while (len) {
		const struct iovec *v = &c->iov[c->i];
		size_t n = v->iov_len - c->off;

		if (n == 0) {
			c->i++;
			c->off = 0;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(dst, (const uint8_t *)v->iov_base + c->off, n);
		if (csum)
			sum = pp_csum_partial(dst, n, sum, odd);
		dst += n;
		len -= n;
		c->off += n;
	}
	return sum;
}

static ssize_t udp_sendmsg(struct pp_sock *sk, const struct msghdr *msg, int flags)
{
	struct pp_lane *l = sk->lane;
	struct pp_stack *st = sk->st;
	struct pp_skb *skbs[64]; /* 65535 / (576 - 20) rounds to 118: see nfr check */
	uint32_t daddr;
	uint16_t dport;
	size_t len = 0;
	unsigned int step = PP_LANE_NAP_MIN_US;
	int err;

	for (size_t i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (len > PP_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	err = udp_dest(sk, msg, &daddr, &dport);
	if (err)
		return err;
	err = udp_autobind(sk);
	if (err)
		return err;
	uint32_t nexthop;

	err = pp__ip_route_output(sk, daddr, &nexthop);
	if (err)
		return err;

	/* cf. ip_append_data(): the first frame carries the UDP header, every
	 * frame's IP payload is a multiple of 8 except the last one's */
	size_t ip_payload = PP_UDP_HLEN + len;
	size_t fragsz = (size_t)(st->mtu - PP_IPV4_HLEN) & ~(size_t)7;
	bool df = sk->pmtudisc == PP_PMTUDISC_DO;
	uint32_t nfr = 1;

	if (PP_IPV4_HLEN + ip_payload > st->mtu) {
		if (df)
			return -EMSGSIZE;
		nfr = (uint32_t)((ip_payload + fragsz - 1) / fragsz);
		if (nfr > sizeof(skbs) / sizeof(skbs[0]))
			return -EMSGSIZE; /* only with a tiny MTU: 64 frames cover 65507 at MTU >= 1068 */
	}

	/* Room for the whole datagram, then its frames (cf.
	 * sock_alloc_send_pskb()): the socket's own send memory first (its
	 * frames in flight, below sk_sndbuf), then whether the device below
	 * takes it now, in frames and in the bytes the qdisc will count (each
	 * fragment carries its own IPv4 and Ethernet header). A blocking
	 * sender waits (SO_SNDTIMEO bounds it), a PP_MSG_DONTWAIT one gets
	 * -EAGAIN, and nothing sent is dropped for want of room. */
	uint64_t need = (uint64_t)nfr * (PP_IPV4_HLEN + 14) + ip_payload, broom;
	uint64_t deadline = 0;

	while (!pp__sock_writeable(sk) || pp__sock_tx_room(l, &broom) < nfr || broom < need ||
	       pp_skb_alloc_bulk(l->cache, skbs, nfr) != nfr) {
		if (!deadline && sk->sndtimeo_ns && !(flags & PP_MSG_DONTWAIT))
			deadline = pp__sock_deadline(sk->sndtimeo_ns);
		err = pp__sock_wait(sk, flags, deadline, &step);
		if (err)
			return err;
	}
	/* cf. skb_set_owner_w(): every frame is charged until it comes home */
	pp__sock_charge_w(sk, nfr * pp_skb_truesize(skbs[0]));

	struct iov_cursor cur = {.iov = msg->msg_iov, .iovlen = msg->msg_iovlen};
	unsigned int odd = 0;
	uint64_t sum = 0;
	size_t done = 0;
	bool csum = !sk->nocheck;

	for (uint32_t f = 0; f < nfr; f++) {
		struct pp_skb *skb = skbs[f];
		size_t room = f == 0 ? fragsz - PP_UDP_HLEN : fragsz;
		size_t n = len - done < room ? len - done : room;
		uint8_t *p = pp_skb_put(skb, (uint32_t)n);

		skb->sk = sk;
		sum = copy_csum(&cur, p, n, sum, &odd, csum);
		done += n;
		if (nfr > 1) {
			skb->flags |= PP_SKB_F_FRAG;
			skb->frag_off = (uint16_t)(f == 0 ? 0 : PP_UDP_HLEN + (done - n));
			if (f)
				skbs[f - 1]->frag = skb;
		}
	}
	struct pp_skb *head = skbs[0];
	struct udp_tx tx = udp_tx_of(sk, daddr, dport);

	udp_push_headers(&tx, head, (uint16_t)ip_payload, sum);
	head->hash = udp_flow_hash(sk, daddr, dport);
	head->nexthop = nexthop;
	head->flags |= PP_SKB_F_NOROUTE;
	for (struct pp_skb *f = head->frag; f; f = f->frag) {
		f->hash = head->hash;
		f->prio = head->prio;
	}
	pp__sock_xmit(l, &head, 1, flags);
	return (ssize_t)len;
}

static int udp_connect(struct pp_sock *sk, const struct sockaddr_in *sin)
{
	int err = udp_autobind(sk);

	if (err)
		return err;
	/* the receive path of any lane reads these (udp_err()) */
	__atomic_store_n(&sk->daddr, sin->sin_addr.s_addr, __ATOMIC_RELAXED);
	__atomic_store_n(&sk->dport, sin->sin_port, __ATOMIC_RELAXED);
	__atomic_store_n(&sk->connected, true, __ATOMIC_RELEASE);
	sk->dst.valid = false;
	sk->txhash = pp__flow_hash(sk->saddr, sk->daddr, sk->sport, sk->dport, PP_IPPROTO_UDP);
	/* Unlike ip4_datagram_connect() the route is not looked up here: connect
	 * may run on a control thread that is no RCU reader. The ip stage fills
	 * the socket's route cache on the first packet. */
	return 0;
}

/*
 * cf. udp_disconnect() for a shut socket and inet_shutdown(): UDP only
 * records it; an unconnected socket gets -ENOTCONN but is shut all the same
 * (so that poll reports the hang-up, as the kernel's comment says).
 */
static int udp_shutdown(struct pp_sock *sk, int how)
{
	__atomic_fetch_or(&sk->shutdown, (uint8_t)how, __ATOMIC_RELAXED);
	return sk->connected ? 0 : -ENOTCONN;
}

static int udp_setsockopt(struct pp_sock *sk, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_IP)
		return pp__ip_setsockopt(sk, name, val, len);
	return -ENOPROTOOPT; /* IPPROTO_UDP: no UDP_CORK, UDP_SEGMENT yet */
}

static int udp_getsockopt(struct pp_sock *sk, int level, int name, void *val, socklen_t *len)
{
	if (level == IPPROTO_IP)
		return pp__ip_getsockopt(sk, name, val, len);
	return -ENOPROTOOPT;
}

/* ---- receive side ----------------------------------------------------------- */

/*
 * Receive memory (cf. __udp_enqueue_schedule_skb(), udp_rmem_release()):
 * every queued datagram is charged its truesize, the frames of its chain, to
 * the socket (sk_rmem_alloc, bounded by sk_rcvbuf) and to the lane that
 * received it (bounded by its share of the lane's frames, cf. udp_mem). The
 * receiving lane charges before it enqueues, the socket's lane releases after
 * it dequeues: both counters are atomics written by two threads, on the
 * receive path only.
 */

/* The ring must never be what refuses a datagram: at the largest rcvbuf, a
 * socket takes one datagram after it is full (the kernel's rule), each at
 * least one frame. */
static_assert((2ull * PP_SOCK_RMEM_MAX) / PP_FRAME_2K + 1 <= PP_UDP_RCVQ,
	      "a socket receive ring holds every datagram rcvbuf admits");

static inline void rmem_uncharge(struct pp_sock *sk, struct pp_lane *from, uint32_t size)
{
	atomic_fetch_sub_explicit(&sk->rmem_alloc, size, memory_order_relaxed);
	atomic_fetch_sub_explicit(&from->rcv_mem, size, memory_order_relaxed);
}

static void udp_free_rq(struct pp_udp_sock *up)
{
	struct pp_sock *sk = &up->sk;

	for (unsigned int k = 0; k < PP_LANES_MAX; k++) {
		struct pp_skb *p;

		if (!up->rq[k])
			continue;
		while ((p = pp_ring_dequeue(up->rq[k]))) {
			rmem_uncharge(sk, &sk->st->lanes[k], pp__hold_truesize(p));
			/* nobody read it: a drop (cf. SKB_DROP_REASON_SOCKET_CLOSE),
			 * counted on the socket lane's receive row (pp_close()
			 * runs on that lane's thread; teardown with lanes stopped) */
			pp_stage_drop(&sk->lane->s_rx, p, PP_DROP_SOCKET_CLOSE);
		}
		pp_ring_destroy(up->rq[k]);
		up->rq[k] = NULL;
	}
}

/* After the grace period that followed the unhash: what it still holds. */
static void udp_destroy(struct pp_sock *sk)
{
	udp_free_rq(pp_udp_sk(sk));
}

/*
 * Queue @skb for @up, charged to both bounds first (cf.
 * __udp_enqueue_schedule_skb(): a socket is full when what it already holds
 * exceeds sk_rcvbuf, so one datagram always fits an empty one; the lane total
 * is a hard limit, as __sk_mem_raise_allocated() against udp_mem[2]).
 * Return: 0, or -ENOBUFS with nothing charged (the caller drops it).
 */
static int udp_queue_rcv(struct pp_lane *from, struct pp_udp_sock *up, struct pp_skb *skb)
{
	struct pp_sock *sk = &up->sk;
	struct pp_ring *r = up->rq[from->id];
	uint32_t size = pp__hold_truesize(skb);
	uint32_t rcvbuf = __atomic_load_n(&sk->rcvbuf, __ATOMIC_RELAXED);

	if (PP_UNLIKELY(!r))
		return -ENOBUFS;
	/* full: fail before touching the shared counters (as the kernel does) */
	if (PP_UNLIKELY(atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed) > rcvbuf))
		return -ENOBUFS;
	if (PP_UNLIKELY(atomic_fetch_add_explicit(&sk->rmem_alloc, size, memory_order_relaxed) >
			rcvbuf)) {
		atomic_fetch_sub_explicit(&sk->rmem_alloc, size, memory_order_relaxed);
		return -ENOBUFS;
	}
	if (PP_UNLIKELY(atomic_fetch_add_explicit(&from->rcv_mem, size, memory_order_relaxed) +
				size > from->rcv_mem_max ||
			!pp_ring_enqueue(r, skb))) {
		rmem_uncharge(sk, from, size);
		return -ENOBUFS;
	}
	return 0;
}

/* cf. __udp4_lib_rcv(): data at the IPv4 header (@ihl bytes). */
static void udp_rcv(struct pp_inet_rx *c, struct pp_skb *skb, uint32_t ihl, bool bcast, bool l2bcast)
{
	struct pp_stage *s = c->s;
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	const struct pp_udp_hdr *uh = (const struct pp_udp_hdr *)((const uint8_t *)ip + ihl);
	uint32_t total = pp__ip_payload_len(skb, ihl);
	uint16_t ulen;
	struct pp_udp_sock *up;

	if (PP_UNLIKELY(skb->len < ihl + PP_UDP_HLEN)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	ulen = ntohs(uh->len);
	if (PP_UNLIKELY(ulen < PP_UDP_HLEN || ulen > total)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	if (ulen < total) /* cf. pskb_trim_rcsum(): the IP length may be longer */
		pp__skb_chain_trim(s, skb, ihl + ulen);
	if (uh->check) {
		/* cf. udp4_csum_init() + udp_lib_checksum_complete() */
		unsigned int odd = 0;
		uint64_t sum = pp_csum_pseudo(ip->saddr, ip->daddr, PP_IPPROTO_UDP, ulen);

		sum = pp_csum_partial(uh, skb->len - ihl, sum, &odd);
		for (const struct pp_skb *f = skb->frag; f; f = f->frag)
			sum = pp_csum_partial(pp_skb_data(f), f->len, sum, &odd);
		if (PP_UNLIKELY(pp_csum_fold(sum)) &&
		    !(c->csum_partial && pp_csum_is_partial(uh->check, ip->saddr, ip->daddr,
							    PP_IPPROTO_UDP, ulen))) {
			pp_stage_drop(s, skb, PP_DROP_BAD_CSUM);
			return;
		}
		skb->flags |= PP_SKB_F_CSUM_OK;
	}
	skb->trans_off = pp_skb_offset(skb, uh);
	up = pp__udp_lookup(c->st, uh->dest);
	if (!up) {
		/* the kernel answers port unreachable, to a unicast only */
		if (!bcast && !l2bcast)
			pp__icmp_send_unreach(&c->icmp, skb, PP_ICMP_PORT_UNREACH, c->o);
		pp_stage_drop(s, skb, PP_DROP_NO_SOCKET);
		return;
	}
	pp_skb_pull(skb, ihl + PP_UDP_HLEN);
	if (PP_UNLIKELY(udp_queue_rcv(c->l, up, skb))) {
		pp_stage_drop(s, skb, PP_DROP_RCVQ_FULL);
		return;
	}
}

/*
 * cf. __udp4_lib_err(): an ICMP error about a datagram a socket of ours sent
 * (@l4: its UDP header as quoted). Without IP_RECVERR (not implemented) the
 * kernel reports only a hard error, and only to a connected socket whose
 * peer the quoted datagram went to; the error waits in sk->err for the
 * socket's next call (sock_error()), poll says POLLERR meanwhile.
 */
static void udp_err(struct pp_lane *l, const struct pp_ipv4_hdr *inner, const uint8_t *l4,
		    uint32_t l4len, int err, bool fatal)
{
	const struct pp_udp_hdr *uh = (const struct pp_udp_hdr *)l4;
	struct pp_udp_sock *up;
	struct pp_sock *sk;

	if (l4len < PP_UDP_HLEN || !fatal)
		return;
	up = pp__udp_lookup(l->st, uh->source);
	if (!up)
		return;
	sk = &up->sk;
	if (!__atomic_load_n(&sk->connected, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&sk->daddr, __ATOMIC_RELAXED) != inner->daddr ||
	    __atomic_load_n(&sk->dport, __ATOMIC_RELAXED) != uh->dest)
		return;
	__atomic_store_n(&sk->err, err, __ATOMIC_RELAXED);
}

const struct pp_inet_protocol pp__udp_protocol = {
	.protocol = PP_IPPROTO_UDP,
	.handler = udp_rcv,
	.err_handler = udp_err,
};


/* Next datagram for @up from any lane's queue, round robin; NULL if none. */
static struct pp_skb *udp_rq_pop(struct pp_udp_sock *up)
{
	struct pp_sock *sk = &up->sk;
	uint16_t nl = sk->st->nlanes;

	for (uint16_t i = 0; i < nl; i++) {
		uint16_t k = (uint16_t)((up->rq_next + i) % nl);
		struct pp_skb *skb = up->rq[k] ? pp_ring_dequeue(up->rq[k]) : NULL;

		if (skb) {
			/* off the queue: its memory is no longer held for the
			 * socket (cf. skb_consume_udp() -> udp_rmem_release()) */
			rmem_uncharge(sk, &sk->st->lanes[k], pp__hold_truesize(skb));
			up->rq_next = (uint16_t)((k + 1) % nl);
			return skb;
		}
	}
	return NULL;
}

static bool udp_rq_empty(const struct pp_udp_sock *up)
{
	for (uint16_t k = 0; k < up->sk.st->nlanes; k++)
		if (up->rq[k] && pp_ring_count(up->rq[k]))
			return false;
	return true;
}

/* cf. udp_recvmsg(): one datagram, truncated to the iovec (MSG_TRUNC). */
static ssize_t udp_recvmsg(struct pp_sock *sk, struct msghdr *msg, int flags)
{
	struct pp_udp_sock *up = pp_udp_sk(sk);
	struct pp_skb *skb;
	unsigned int step = PP_LANE_NAP_MIN_US;
	uint64_t deadline = 0;

	if (!sk->hashed)
		return -EINVAL; /* as recvfrom on an unbound UDP socket waits forever */
	uint64_t now = pp__now_ns(), spin_until = now + PP_SOCK_BUSY_POLL_NS;

	if (sk->rcvtimeo_ns)
		deadline = now + sk->rcvtimeo_ns;
	while (!(skb = udp_rq_pop(up))) {
		/* receiving is polling: run the lane (its rx stage feeds us) */
		if (pp__lane_run(sk->lane))
			continue;
		/* an error reported for the socket, nothing queued: it, once
		 * (cf. sock_error() in __skb_wait_for_more_packets()) */
		int e = pp__sock_error(sk);

		if (PP_UNLIKELY(e))
			return e;
		/* shut for reading and nothing queued: end of data (cf.
		 * __skb_wait_for_more_packets()) */
		if (__atomic_load_n(&sk->shutdown, __ATOMIC_RELAXED) & PP_RCV_SHUTDOWN)
			return flags & PP_MSG_DONTWAIT ? -EAGAIN : 0;
		now = pp__now_ns();
		if (flags & PP_MSG_DONTWAIT || (deadline && now >= deadline))
			return -EAGAIN;
		/* busy-poll first (cf. SO_BUSY_POLL): a reply that comes back
		 * within tens of microseconds must not wait for a sleep */
		if (now < spin_until)
			continue;
		pp__lane_nap(&step);
	}
	size_t total, copied = pp__sock_copy_to_iov(skb, msg, &total);

	msg->msg_flags = copied < total ? MSG_TRUNC : 0;
	if (msg->msg_name && msg->msg_namelen >= (socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = msg->msg_name;
		uint32_t saddr;
		uint16_t sport;

		memcpy(&saddr, pp_skb_at(skb, skb->net_off) + 12, 4);
		memcpy(&sport, pp_skb_at(skb, skb->trans_off), 2);
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = saddr;
		sin->sin_port = sport;
		msg->msg_namelen = sizeof(*sin);
	} else {
		msg->msg_namelen = 0;
	}
	pp_skb_free(sk->lane->cache, skb);
	return (ssize_t)copied;
}

/* cf. udp_poll() -> datagram_poll(). */
static unsigned int udp_poll(struct pp_sock *sk)
{
	uint8_t shut = __atomic_load_n(&sk->shutdown, __ATOMIC_RELAXED);
	unsigned int mask = 0;

	if (__atomic_load_n(&sk->err, __ATOMIC_RELAXED))
		mask |= PP_POLLERR;
	if (shut == PP_SHUTDOWN_MASK)
		mask |= PP_POLLHUP;
	if (shut & PP_RCV_SHUTDOWN)
		mask |= PP_POLLRDHUP | PP_POLLIN;
	if (sk->hashed && !udp_rq_empty(pp_udp_sk(sk)))
		mask |= PP_POLLIN;
	/* cf. sock_writeable(): below half the send buffer */
	if (pp__sock_wmem(sk) < sk->sndbuf / 2)
		mask |= PP_POLLOUT;
	return mask;
}

static const struct pp_proto_ops udp_ops = {
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.bind = udp_bind,
	.connect = udp_connect,
	.shutdown = udp_shutdown,
	.poll = udp_poll,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.destroy = udp_destroy,
	.unhash = udp_unhash,
	/* listen, accept: none (sock_no_listen(), sock_no_accept()) */
};

const struct pp_proto pp__udp_proto = {
	.name = "udp",
	.type = PP_SOCK_DGRAM,
	.protocol = PP_IPPROTO_UDP,
	.obj_size = sizeof(struct pp_udp_sock),
	.ops = &udp_ops,
};

/* ---- zero-copy burst API ------------------------------------------------ */

int pp_udp_max_payload(const struct pp_sock *sk)
{
	if (!sk)
		return -EINVAL;
	return sk->st->mtu - PP_IPV4_HLEN - PP_UDP_HLEN;
}

int pp_udp_alloc_burst(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n)
{
	int err;

	if (!sk || (n && !skbs) || n > PP_BURST_MAX)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	err = pp__lane_enter(sk->st, sk->lane);
	if (err)
		return err;
	uint32_t got = pp_skb_alloc_burst(sk->lane->cache, skbs, n);

	if (got < n) {
		/* frames may be waiting in completion: reap and retry once */
		pp__lane_online();
		pp__lane_run(sk->lane);
		pp__lane_offline();
		got += pp_skb_alloc_burst(sk->lane->cache, skbs + got, n - got);
	}
	return (int)got;
}

/* Frames of @tsz (1 << @tshift) bytes the socket may still send with @wm in
 * flight: while below sk_sndbuf, the last one may go past it. */
static inline uint32_t udp_wroom(const struct pp_sock *sk, uint32_t wm, uint32_t tsz,
				 uint32_t tshift)
{
	return wm < sk->sndbuf ? (sk->sndbuf - wm + tsz - 1) >> tshift : 0;
}

int pp_udp_send_burst(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n,
		      const struct sockaddr *dst, socklen_t dlen, int flags)
{
	struct msghdr m = {.msg_name = (void *)(uintptr_t)dst, .msg_namelen = dlen};
	uint32_t daddr, hash;
	uint16_t dport;
	int maxp, err;

	if (!sk || (n && !skbs) || n > PP_BURST_MAX || (flags & ~PP_MSG_ALL) ||
	    (dst && dlen < (socklen_t)sizeof(struct sockaddr_in)))
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	maxp = pp_udp_max_payload(sk);
	for (unsigned int i = 0; i < n; i++) {
		if (!skbs[i] || skbs[i]->frag)
			return -EINVAL;
		if (skbs[i]->len > maxp)
			return -EMSGSIZE;
		if (pp_skb_headroom(skbs[i]) < PP_UDP_HEADERS)
			return -EINVAL;
	}
	err = udp_dest(sk, dst ? &m : NULL, &daddr, &dport);
	if (err)
		return err;
	err = pp__sock_enter(sk);
	if (err)
		return err;
	err = pp__sock_error(sk); /* a pending error first, as a send does */
	if (!err)
		err = udp_autobind(sk);
	if (err) {
		pp__lane_offline();
		return err;
	}
	uint32_t nexthop;

	err = pp__ip_route_output(sk, daddr, &nexthop);
	if (err) {
		pp__lane_offline();
		return err;
	}
	hash = udp_flow_hash(sk, daddr, dport);
	if (PP_UNLIKELY(!n)) {
		pp__lane_offline();
		return 0;
	}
	/* room: the socket's send memory (frames while it is below sk_sndbuf;
	 * the last may go past it, as one send may), and what the device below
	 * takes now */
	uint32_t tsz = pp_skb_truesize(skbs[0]);
	uint64_t broom, need = (uint64_t)n * (sk->st->mtu + 14u); /* at most */
	uint32_t room = pp__sock_tx_room(sk->lane, &broom);
	uint32_t wm = pp__sock_wmem(sk);
	uint32_t tshift = (uint32_t)__builtin_ctz(tsz); /* frames are a power of two */
	uint32_t wroom = udp_wroom(sk, wm, tsz, tshift);

	if (room < n || broom < need || wroom < n) {
		/* frames are in flight or the TX queue is backing up: let the
		 * lane drain it once */
		pp__lane_run(sk->lane);
		room = pp__sock_tx_room(sk->lane, &broom);
		wm = pp__sock_wmem(sk);
		wroom = udp_wroom(sk, wm, tsz, tshift);
	}
	if (room < n)
		n = room;
	if (wroom < n)
		n = wroom;
	/* as many as the qdisc's byte limit takes too (checked one by one
	 * only when the whole burst does not fit) */
	for (unsigned int i = 0; PP_UNLIKELY(broom < need) && i < n; i++) {
		uint64_t b = PP_UDP_HEADERS + skbs[i]->len;

		if (b > broom) {
			n = i;
			break;
		}
		broom -= b;
	}
	const struct udp_tx tx = udp_tx_of(sk, daddr, dport);

	for (unsigned int i = 0; i < n; i++) {
		struct pp_skb *skb = skbs[i];
		unsigned int odd = 0;
		uint64_t sum = tx.nocheck ? 0 : pp_csum_partial(pp_skb_data(skb), skb->len, 0, &odd);

		udp_push_headers(&tx, skb, (uint16_t)(PP_UDP_HLEN + skb->len), sum);
		skb->hash = hash;
		skb->nexthop = nexthop;
		skb->flags |= PP_SKB_F_NOROUTE;
		skb->sk = tx.sk;
	}
	pp__sock_charge_w(sk, n * tsz);
	pp__sock_xmit(sk->lane, skbs, n, flags);
	pp__lane_offline();
	return (int)n;
}
