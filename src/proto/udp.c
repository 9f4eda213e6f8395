// SPDX-License-Identifier: MIT
/*
 * udp.c - UDP over IPv4, transmit side (cf. net/ipv4/udp.c udp_sendmsg(),
 * ip_append_data(), ip_make_skb(), udp_send_skb()).
 *
 * A datagram is built straight into pool frames: the payload is copied from
 * the caller's iovec and checksummed in the same pass (cf.
 * csum_and_copy_from_iter), the UDP header and an IPv4 header template are
 * pushed in front. A datagram that does not fit the MTU is cut, as
 * ip_append_data() does, into a chain of frames whose IP payloads are 8-byte
 * multiples; the ip stage then writes one header per fragment. With
 * PP_PMTUDISC_DO such a datagram is refused with -EMSGSIZE instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "proto/csum.h"
#include "proto/stack_priv.h"

/* Headers in front of the UDP header: IPv4 template (Ethernet comes later). */
static inline void udp_push_headers(struct pp_sock *sk, struct pp_skb *skb, uint32_t daddr,
				    uint16_t dport, uint16_t ulen, uint64_t payload_sum,
				    bool df)
{
	struct pp_udp_hdr *uh = pp_skb_push(skb, PP_UDP_HLEN);
	struct pp_ipv4_hdr *ip;

	uint16_t ulen_n = htons(ulen);

	uh->source = sk->sport;
	uh->dest = dport;
	uh->len = ulen_n;
	uh->check = 0;
	if (!sk->nocheck) {
		/* header words summed from values (see ip_finish_header()) */
		uint64_t sum = pp_csum_pseudo(sk->saddr, daddr, PP_IPPROTO_UDP, ulen) + payload_sum +
			       sk->sport + dport + ulen_n;
		uint16_t c = pp_csum_fold(sum);

		uh->check = c ? c : 0xffff; /* RFC 768: 0 means "no checksum" */
	}
	skb->trans_off = pp_skb_offset(skb, uh);
	ip = pp_skb_push(skb, PP_IPV4_HLEN);
	ip->ver_ihl = 0x45;
	ip->tos = sk->tos;
	ip->tot_len = 0;	/* ip stage */
	ip->id = 0;		/* ip stage */
	ip->frag_off = df ? htons(PP_IP_DF) : 0;
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = sk->saddr;
	ip->daddr = daddr;
	skb->net_off = pp_skb_offset(skb, ip);
	skb->sk = sk;
	skb->prio = sk->prio;
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

static int udp_autobind(struct pp_sock *sk)
{
	int err;

	if (sk->sport)
		return 0;
	/* from a control thread (connect) or a lane thread (first send) */
	pp__rcu_get();
	pp__lane_online();
	pthread_mutex_lock(&sk->st->ctl_lock);
	err = pp__sock_autobind(sk);
	pthread_mutex_unlock(&sk->st->ctl_lock);
	pp__lane_offline();
	pp__rcu_put();
	return err;
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
	unsigned int step = 50;
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

	/* room below us for the whole datagram, in frames and in the bytes the
	 * qdisc will count (each fragment carries its own IPv4 and Ethernet
	 * header), then its frames: a blocking sender waits, a PP_MSG_DONTWAIT
	 * one gets -EAGAIN, and nothing sent is dropped for want of room */
	uint64_t need = (uint64_t)nfr * (PP_IPV4_HLEN + 14) + ip_payload, broom;

	while (pp__sock_tx_room(l, &broom) < nfr ||
	       broom < need || pp_skb_alloc_bulk(l->cache, skbs, nfr) != nfr) {
		err = pp__sock_wait(sk, flags, &step);
		if (err)
			return err;
	}

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

	udp_push_headers(sk, head, daddr, dport, (uint16_t)ip_payload, sum, df);
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
	sk->daddr = sin->sin_addr.s_addr;
	sk->dport = sin->sin_port;
	sk->connected = true;
	sk->dst.valid = false;
	sk->txhash = pp__flow_hash(sk->saddr, sk->daddr, sk->sport, sk->dport, PP_IPPROTO_UDP);
	/* Unlike ip4_datagram_connect() the route is not looked up here: connect
	 * may run on a control thread that is no RCU reader. The ip stage fills
	 * the socket's route cache on the first packet. */
	return 0;
}

const struct pp_proto_ops pp__udp_ops = {
	.name = "udp",
	.sendmsg = udp_sendmsg,
	.connect = udp_connect,
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
	uint64_t broom, need = (uint64_t)n * (sk->st->mtu + 14u); /* at most */
	uint32_t room = pp__sock_tx_room(sk->lane, &broom);

	if (room < n || broom < need) {
		/* the TX queue is backing up: let the lane drain it once */
		pp__lane_run(sk->lane);
		room = pp__sock_tx_room(sk->lane, &broom);
	}
	if (room < n)
		n = room;
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
	for (unsigned int i = 0; i < n; i++) {
		struct pp_skb *skb = skbs[i];
		unsigned int odd = 0;
		uint64_t sum = sk->nocheck ? 0 : pp_csum_partial(pp_skb_data(skb), skb->len, 0, &odd);

		udp_push_headers(sk, skb, daddr, dport, (uint16_t)(PP_UDP_HLEN + skb->len), sum,
				 sk->pmtudisc == PP_PMTUDISC_DO);
		skb->hash = hash;
		skb->nexthop = nexthop;
		skb->flags |= PP_SKB_F_NOROUTE;
	}
	pp__sock_xmit(sk->lane, skbs, n, flags);
	pp__lane_offline();
	return (int)n;
}
