// SPDX-License-Identifier: MIT
/*
 * ip_in.c - the receive stage: Ethernet demux, IPv4 validation, reassembly,
 * delivery to the protocol (demux table) (cf. __netif_receive_skb_core() -> ip_rcv() -> ip_rcv_core()
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
#include "proto/dev.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

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

/* ICMP: collected, answered as a burst at the end (pp__icmp_input()). */
static void icmp_rcv(struct pp_inet_rx *c, struct pp_skb *skb, uint32_t ihl, bool bcast,
		     bool l2bcast)
{
	(void)ihl;
	(void)bcast;
	(void)l2bcast;
	c->icmps[c->nicmp++] = skb;
}

static void icmp_flush(struct pp_inet_rx *c)
{
	if (c->nicmp)
		pp__icmp_input(&c->icmp, c->icmps, c->nicmp, c->o);
	c->nicmp = 0;
}

const struct pp_inet_protocol pp__icmp_protocol = {
	.protocol = PP_IPPROTO_ICMP,
	.handler = icmp_rcv,
	.flush = icmp_flush,
};

/* cf. ip_rcv_core() + ip_rcv_finish() + ip_local_deliver(): data at the IPv4 header. */
static void ip_rcv(struct pp_inet_rx *c, struct pp_skb *skb, bool l2bcast)
{
	struct pp_stage *s = c->s;
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	const struct pp_inet_protocol *ipp;
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
	ipp = c->st->inet_protos[ip->protocol];
	if (PP_UNLIKELY(!ipp)) {
		/* cf. ip_protocol_deliver_rcu(): protocol unreachable (once per
		 * datagram: only about the first fragment), then drop. Checked
		 * before reassembly so that nothing is held for it. */
		if (!bcast && !l2bcast && !(fo & PP_IP_OFFMASK))
			pp__icmp_send_unreach(&c->icmp, skb, PP_ICMP_PROT_UNREACH, c->o);
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
	ipp->handler(c, skb, ihl, bcast, l2bcast);
}

/* The Ethernet part of the whole-stage entry (pp__rx_input()); the device
 * layer does the same for the lanes (dev.c, the same pp__eth_type_trans()). */
static void rx_one(struct pp_inet_rx *c, struct pp_skb *skb)
{
	enum pp_drop_reason why;
	int proto = pp__eth_type_trans(skb, c->st->mac, &why);

	if (PP_UNLIKELY(proto < 0)) {
		pp_stage_drop(c->s, skb, why);
	} else if (PP_LIKELY(proto == PP_ETH_P_IP)) {
		ip_rcv(c, skb, skb->flags & PP_SKB_F_L2BCAST);
	} else if (proto == PP_ETH_P_ARP && c->st->neigh) {
		c->arp[c->narp++] = skb;
	} else {
		/* 802.1Q, IPv6, ...: no handler (cf. the kernel's
		 * SKB_DROP_REASON_UNHANDLED_PROTO) */
		pp_stage_drop(c->s, skb, PP_DROP_UNSUPPORTED);
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

static void inet_rx_init(struct pp_inet_rx *c, struct pp_stage *s, struct pp_rx_out *o)
{
	uint32_t host;

	c->s = s;
	c->l = s->ctx;
	c->st = c->l->st;
	c->o = o;
	c->now_ns = 0;
	c->narp = c->nicmp = 0;
	c->icmp = sub_stage(s, &c->l->s_icmp, 0);
	host = ntohl(~c->st->mask);
	/* /31 and /32 have no broadcast address (RFC 3021) */
	c->bcast_sub = host >= 3 ? (c->st->ip & c->st->mask) | ~c->st->mask : 0;
	c->csum_partial = c->st->nic && c->st->nic->rx_csum_partial;
}

/* End of a burst: each protocol finishes what it collected (ICMP replies). */
static void inet_rx_flush(struct pp_inet_rx *c)
{
	for (uint8_t i = 0; i < c->st->ninet; i++)
		if (c->st->inet_list[i]->flush)
			c->st->inet_list[i]->flush(c);
}

uint16_t pp__rx_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o)
{
	struct pp_inet_rx c;

	if (!s || !s->ctx || !s->cache || !s->stats || !o || (n && !pkts) || !o->l3 || !o->l2 ||
	    o->n_l3 > o->cap || o->n_l2 > o->cap)
		return 0;
	if (!n)
		return 0;
	inet_rx_init(&c, s, o);
	pp_stage_count_in(s, pkts, n);
	for (uint16_t base = 0; base < n; base = (uint16_t)(base + PP_BURST_MAX)) {
		uint16_t m = (uint16_t)(n - base < PP_BURST_MAX ? n - base : PP_BURST_MAX);

		c.narp = 0;
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
		inet_rx_flush(&c);
	}
	return n;
}

/*
 * The IPv4 receive handler the device layer calls (cf. ip_rcv() as the
 * ETH_P_IP packet_type): data at the IPv4 header, counted in by the device.
 * What the protocols answer (ICMP replies and errors) goes down through
 * pp__ip_queue_xmit() in this same context, as icmp_reply() does.
 */
void pp__ip_rcv_pack(void *ctx, uint16_t lane, struct pp_skb **pkts, uint16_t n)
{
	struct pp_stack *st = ctx;
	struct pp_lane *l = &st->lanes[lane];
	struct pp_skb *l3[PP_BURST * 2], *l2[1];
	struct pp_rx_out o = {.l3 = l3, .l2 = l2, .cap = PP_BURST * 2};
	struct pp_inet_rx c;

	inet_rx_init(&c, &l->s_rx, &o);
	for (uint16_t base = 0; base < n; base = (uint16_t)(base + PP_BURST_MAX)) {
		uint16_t m = (uint16_t)(n - base < PP_BURST_MAX ? n - base : PP_BURST_MAX);

		for (uint16_t i = 0; i < m; i++) {
			if (i + 1 < m)
				__builtin_prefetch(pp_skb_data(pkts[base + i + 1]));
			ip_rcv(&c, pkts[base + i], pkts[base + i]->flags & PP_SKB_F_L2BCAST);
		}
		inet_rx_flush(&c);
		pp__ip_queue_xmit(l, o.l3, o.n_l3);
		o.n_l3 = 0;
	}
}

/* The ARP receive handler (cf. arp_rcv() as the ETH_P_ARP packet_type):
 * replies go straight to the device, as arp_xmit() does. */
void pp__arp_rcv_pack(void *ctx, uint16_t lane, struct pp_skb **pkts, uint16_t n)
{
	struct pp_stack *st = ctx;
	struct pp_lane *l = &st->lanes[lane];
	struct pp_skb *out[PP_STAGE_OUT_CAP];
	struct pp_stage as = l->s_arp;

	as.out_cap = PP_STAGE_OUT_CAP;
	uint16_t k = pp__arp_input(&as, st->neigh, pkts, n, out);

	pp__dev_queue_xmit(l->dev, out, k);
}
