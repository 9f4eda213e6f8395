// SPDX-License-Identifier: MIT
/*
 * ip_in.c - the receive stage: Ethernet demux, IPv4 validation, reassembly,
 * UDP delivery (cf. __netif_receive_skb_core() -> ip_rcv() -> ip_rcv_core()
 * -> ip_rcv_finish() -> ip_local_deliver() -> ip_defrag() ->
 * ip_local_deliver_finish() -> __udp4_lib_rcv() / icmp_rcv(), and arp_rcv()).
 *
 * Strict: every length is checked against the frame before it is used, and
 * every frame leaves exactly once, to the ARP stage, to a socket, as an ICMP
 * reply, consumed (ICMP we do not answer), held for reassembly, or dropped
 * with a reason and counted. Policies, as Linux with its default sysctls:
 *  - TTL is not checked: it matters when forwarding (ip_forward()), and Linux
 *    delivers a packet for us with TTL 0 or 1 as any other;
 *  - IP options (ihl > 5) are accepted and skipped (not processed: no source
 *    route, no record route in replies);
 *  - a unicast IP packet in a link-layer broadcast is accepted
 *    (drop_unicast_in_l2_multicast=0), but answers no error;
 *  - martian sources (0/8 except to 255.255.255.255, 127/8, multicast,
 *    255.255.255.255, our own address, our subnet's broadcast address) are
 *    dropped as malformed (PP_DROP_MALFORMED, as the kernel's
 *    SKB_DROP_REASON_IP_INVALID_SOURCE: the header itself is what is
 *    wrong, cf. ip_route_input_slow()) and never answered;
 *  - UDP datagrams to 255.255.255.255 or our subnet's broadcast address
 *    are delivered; ICMP echo requests to them are not answered.
 * Reassembly runs before the transport (cf. ip_local_deliver()), so ICMP and
 * UDP see whole datagrams, possibly as a chain of frames through skb->frag.
 */
#include <stdbool.h>
#include <string.h>

#include <arpa/inet.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "core/time.h"
#include "proto/arp.h"
#include "proto/csum.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3

/* One call's state. */
struct rx_ctx {
	struct pp_stage *s;
	struct pp_lane *l;
	struct pp_stack *st;
	struct pp_rx_out *o;
	struct pp_stage icmp;	/* the lane's icmp stage, on the running thread's cache */
	uint32_t bcast_sub;	/* our subnet's broadcast address (0: none) */
	bool csum_partial;	/* the NIC's link may carry CHECKSUM_PARTIAL (veth) */
	uint64_t now_ns;	/* read once, at the first fragment */
	uint16_t narp, nicmp;
	struct pp_skb *arp[PP_BURST_MAX];
	struct pp_skb *icmps[PP_BURST_MAX];
};

static inline bool mac_is_bcast(const uint8_t *m)
{
	static const uint8_t b[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	return !memcmp(m, b, 6);
}

/*
 * cf. ip_route_input_slow() -> martian_source: a multicast or limited
 * broadcast source never; a zero-network one only to the limited broadcast
 * (or 0.0.0.0 to 0.0.0.0, which Linux takes as a broadcast), where a DHCP
 * client has no address yet; loopback (route_localnet=0); and what
 * fib_validate_source() refuses: our own address (accept_local=0) and our
 * subnet's broadcast address (its route is RTN_BROADCAST, no unicast host).
 */
static inline bool saddr_martian(uint32_t saddr, uint32_t daddr, uint32_t ours, uint32_t bcast_sub)
{
	uint32_t h = ntohl(saddr);

	if (PP_UNLIKELY((h >> 24) == 0))
		return daddr != 0xffffffffu && (saddr || daddr);
	return (h >> 24) == 127 || (h >> 28) == 0xe || h == 0xffffffffu || saddr == ours ||
	       (saddr == bcast_sub && bcast_sub);
}

/* Bytes of IP payload in a (possibly reassembled) datagram at @skb. */
static inline uint32_t payload_len(const struct pp_skb *skb, uint32_t ihl)
{
	uint32_t n = skb->len - ihl;

	for (const struct pp_skb *f = skb->frag; f; f = f->frag)
		n += f->len;
	return n;
}

/*
 * Cut the chain at @skb down to @keep bytes of data. Pieces past the end hold
 * only padding: they go back to the pool (the datagram itself goes on, so
 * they are no drop).
 */
static void chain_trim(struct pp_stage *s, struct pp_skb *skb, uint32_t keep)
{
	for (; skb; skb = skb->frag) {
		if (skb->len >= keep) {
			pp_skb_trim(skb, keep);
			if (skb->frag) {
				pp_skb_free(s->cache, skb->frag);
				skb->frag = NULL;
			}
			return;
		}
		keep -= skb->len;
	}
}

/* cf. __udp4_lib_rcv(): data at the IPv4 header (@ihl bytes). */
static void udp_rcv(struct rx_ctx *c, struct pp_skb *skb, uint32_t ihl, bool bcast, bool l2bcast)
{
	struct pp_stage *s = c->s;
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	const struct pp_udp_hdr *uh = (const struct pp_udp_hdr *)((const uint8_t *)ip + ihl);
	uint32_t total = payload_len(skb, ihl);
	uint16_t ulen;
	struct pp_sock *sk;

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
		chain_trim(s, skb, ihl + ulen);
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
	sk = pp__sock_lookup_udp(c->st, uh->dest);
	if (!sk) {
		/* the kernel answers port unreachable, to a unicast only */
		if (!bcast && !l2bcast)
			pp__icmp_send_unreach(&c->icmp, skb, ICMP_PORT_UNREACH, c->o);
		pp_stage_drop(s, skb, PP_DROP_NO_SOCKET);
		return;
	}
	pp_skb_pull(skb, ihl + PP_UDP_HLEN);
	if (PP_UNLIKELY(pp__sock_deliver(c->l, sk, skb))) {
		pp_stage_drop(s, skb, PP_DROP_RCVQ_FULL);
		return;
	}
}

/* cf. ip_rcv_core() + ip_rcv_finish() + ip_local_deliver(): data at the IPv4 header. */
static void ip_rcv(struct rx_ctx *c, struct pp_skb *skb, bool l2bcast)
{
	struct pp_stage *s = c->s;
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	uint32_t ihl, tot;
	uint16_t fo;
	bool bcast;

	if (PP_UNLIKELY(skb->len < PP_IPV4_HLEN)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4;
	if (PP_UNLIKELY((ip->ver_ihl >> 4) != 4 || ihl < PP_IPV4_HLEN || ihl > skb->len)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	if (PP_UNLIKELY(pp_csum(ip, ihl))) {
		pp_stage_drop(s, skb, PP_DROP_BAD_CSUM);
		return;
	}
	tot = ntohs(ip->tot_len);
	if (PP_UNLIKELY(tot < ihl || tot > skb->len)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	pp_skb_trim(skb, tot); /* Ethernet padding of short frames */
	skb->net_off = skb->data_off;
	if (PP_UNLIKELY(saddr_martian(ip->saddr, ip->daddr, c->st->ip, c->bcast_sub))) {
		/* dropped before anything could answer it */
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	if (PP_LIKELY(ip->daddr == c->st->ip)) {
		bcast = false;
	} else if (ip->daddr == 0xffffffffu || (c->bcast_sub && ip->daddr == c->bcast_sub) ||
		   !ip->daddr /* from 0.0.0.0 only: see saddr_martian() */) {
		bcast = true;
	} else {
		pp_stage_drop(s, skb, PP_DROP_NOT_FOR_US);
		return;
	}
	fo = ntohs(ip->frag_off);
	if (PP_UNLIKELY(ip->protocol != PP_IPPROTO_UDP && ip->protocol != PP_IPPROTO_ICMP)) {
		/* cf. ip_protocol_deliver_rcu(): protocol unreachable (once per
		 * datagram: only about the first fragment), then drop. Checked
		 * before reassembly so that nothing is held for it. */
		if (!bcast && !l2bcast && !(fo & PP_IP_OFFMASK))
			pp__icmp_send_unreach(&c->icmp, skb, ICMP_PROT_UNREACH, c->o);
		pp_stage_drop(s, skb, PP_DROP_UNSUPPORTED);
		return;
	}
	if (fo & (PP_IP_MF | PP_IP_OFFMASK)) {
		if (!c->l->reasm) {
			pp_stage_drop(s, skb, PP_DROP_UNSUPPORTED);
			return;
		}
		if (!c->now_ns)
			c->now_ns = pp__now_ns();
		skb = pp__reasm_add(c->l->reasm, s, skb, c->now_ns);
		if (!skb)
			return; /* held, or dropped and counted */
		ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
		ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4;
	}
	if (ip->protocol == PP_IPPROTO_ICMP) {
		c->icmps[c->nicmp++] = skb;
		return;
	}
	udp_rcv(c, skb, ihl, bcast, l2bcast);
}

static void rx_one(struct rx_ctx *c, struct pp_skb *skb)
{
	struct pp_stage *s = c->s;
	const struct pp_eth_hdr *eth = (const struct pp_eth_hdr *)pp_skb_data(skb);
	bool l2bcast = false;
	uint16_t proto;

	if (PP_UNLIKELY(skb->len < PP_ETH_HLEN || skb->frag)) {
		pp_stage_drop(s, skb, PP_DROP_MALFORMED);
		return;
	}
	if (PP_UNLIKELY(memcmp(eth->dst, c->st->mac, PP_ETH_ALEN))) {
		if (!mac_is_bcast(eth->dst)) {
			/* another host's, or a multicast group we never joined */
			pp_stage_drop(s, skb, PP_DROP_NOT_FOR_US);
			return;
		}
		l2bcast = true;
	}
	proto = ntohs(eth->proto);
	skb->mac_off = skb->data_off;
	pp_skb_pull(skb, PP_ETH_HLEN);
	if (PP_LIKELY(proto == PP_ETH_P_IP)) {
		ip_rcv(c, skb, l2bcast);
	} else if (proto == PP_ETH_P_ARP && c->st->neigh) {
		c->arp[c->narp++] = skb;
	} else {
		/* 802.1Q, IPv6, ...: no handler (cf. the kernel's
		 * SKB_DROP_REASON_UNHANDLED_PROTO) */
		pp_stage_drop(s, skb, PP_DROP_UNSUPPORTED);
	}
}

/* A copy of the lane's stage @sub, running on @s's cache; @s itself if the
 * lane has no such stage (a lane not built by the stack). */
static inline struct pp_stage sub_stage(const struct pp_stage *s, const struct pp_stage *sub,
					uint16_t out_cap)
{
	struct pp_stage t = sub->stats ? *sub : *s;

	t.ctx = s->ctx;
	t.cache = s->cache;
	t.out_cap = out_cap;
	return t;
}

uint16_t pp__rx_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o)
{
	struct rx_ctx c;
	uint32_t host;

	if (!s || !s->ctx || !s->cache || !s->stats || !o || (n && !pkts) || !o->l3 || !o->l2 ||
	    o->n_l3 > o->cap || o->n_l2 > o->cap)
		return 0;
	if (!n)
		return 0;
	c.s = s;
	c.l = s->ctx;
	c.st = c.l->st;
	c.o = o;
	c.now_ns = 0;
	c.icmp = sub_stage(s, &c.l->s_icmp, 0);
	host = ntohl(~c.st->mask);
	/* /31 and /32 have no broadcast address (RFC 3021) */
	c.bcast_sub = host >= 3 ? (c.st->ip & c.st->mask) | ~c.st->mask : 0;
	c.csum_partial = c.st->nic && c.st->nic->rx_csum_partial;

	pp_stage_count_in(s, pkts, n);
	for (uint16_t base = 0; base < n; base = (uint16_t)(base + PP_BURST_MAX)) {
		uint16_t m = (uint16_t)(n - base < PP_BURST_MAX ? n - base : PP_BURST_MAX);

		c.narp = c.nicmp = 0;
		for (uint16_t i = 0; i < m; i++) {
			if (i + 1 < m)
				__builtin_prefetch(pp_skb_data(pkts[base + i + 1]));
			rx_one(&c, pkts[base + i]);
		}
		if (c.narp) {
			/* the ARP stage writes its replies straight into l2 */
			uint16_t room = (uint16_t)(o->cap - o->n_l2);
			struct pp_stage as = sub_stage(s, &c.l->s_arp, room);
			uint16_t k = pp__arp_input(&as, c.st->neigh, c.arp, c.narp, o->l2 + o->n_l2);

			o->n_l2 = (uint16_t)(o->n_l2 + k);
		}
		if (c.nicmp)
			pp__icmp_input(&c.icmp, c.icmps, c.nicmp, o);
	}
	return n;
}
