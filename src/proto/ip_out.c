// SPDX-License-Identifier: MIT
/*
 * ip_out.c - the IPv4 output stage: route, header, fragments.
 *
 * Mirrors ip_queue_xmit()/ip_make_skb() -> ip_local_out() -> ip_output() ->
 * ip_finish_output() -> ip_fragment(), for packets a transport has built. The
 * transport pushed an IPv4 header template (addresses, protocol, TOS, TTL, DF
 * policy) at net_off; the data of the first skb starts there. A datagram
 * larger than the MTU arrives already cut at 8-byte multiples into a chain of
 * frames (skb->frag, each with its payload offset in frag_off), as
 * ip_append_data() builds it; this stage writes one header per fragment, so
 * ip_fragment()'s fast path (frag_list) is the only path.
 *
 * The route comes, in order of preference, from the transport
 * (PP_SKB_F_NOROUTE: nexthop already set), from the socket's destination
 * cache when its route generation is still current (cf. sk_dst_check()), or
 * from a longest-prefix-match lookup under RCU.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <pktpipe/prot/ipv4.h>

#include "proto/csum.h"
#include "proto/stack_priv.h"

/*
 * Fill length, ID and fragment field and the checksum. The checksum is summed
 * from values, not read back from the header just written: the 16-bit stores
 * would not forward to 32-bit loads, and that stall cost more than all the
 * rest of this stage. The template fields (version, TOS, TTL, protocol,
 * addresses) were written by the transport long before.
 */
static inline void ip_finish_header(struct pp_ipv4_hdr *ip, uint16_t tot_len, uint16_t id,
				    uint16_t frag)
{
	uint16_t w0, w4, tl = htons(tot_len), idn = htons(id);
	uint32_t sa, da;

	memcpy(&w0, ip, 2);		/* version/IHL, TOS */
	memcpy(&w4, &ip->ttl, 2);	/* TTL, protocol */
	memcpy(&sa, &ip->saddr, 4);
	memcpy(&da, &ip->daddr, 4);
	ip->tot_len = tl;
	ip->id = idn;
	ip->frag_off = frag;
	ip->check = pp_csum_fold((uint64_t)w0 + tl + idn + frag + w4 + sa + da);
}

/* Resolve the next hop of @skb whose IPv4 header is @ip. 0 or -ENETUNREACH. */
static int ip_route(struct pp_lane *l, struct pp_skb *skb, const struct pp_ipv4_hdr *ip,
		    uint32_t *last_daddr, uint32_t *last_nh, uint32_t gen)
{
	struct pp_sock *sk = skb->sk;
	struct pp_route_result res;
	uint32_t daddr = ip->daddr;

	if (skb->flags & PP_SKB_F_NOROUTE)
		return 0;
	if (sk && sk->dst.valid && sk->dst.daddr == daddr && sk->dst.gen == gen) {
		skb->nexthop = sk->dst.nexthop;
		return 0;
	}
	if (*last_daddr == daddr && *last_nh) {
		skb->nexthop = *last_nh;
		return 0;
	}
	if (pp__route_lookup(l->st->routes, daddr, &res))
		return -ENETUNREACH;
	skb->nexthop = res.nexthop;
	*last_daddr = daddr;
	*last_nh = res.nexthop;
	if (sk && sk->connected && sk->daddr == daddr) {
		sk->dst.daddr = daddr;
		sk->dst.nexthop = res.nexthop;
		sk->dst.gen = gen;
		sk->dst.valid = true;
	}
	return 0;
}

uint16_t pp__ip_output(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_skb **out)
{
	struct pp_lane *l = s->ctx;
	uint32_t gen = pp__route_gen(l->st->routes);
	uint32_t last_daddr = 0, last_nh = 0;
	uint16_t mtu = l->st->mtu;
	uint16_t nout = 0;

	pp_stage_count_in(s, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = pkts[i];
		struct pp_ipv4_hdr *ip = (struct pp_ipv4_hdr *)pp_skb_data(skb);

		if (i + 1 < n)
			__builtin_prefetch(pp_skb_data(pkts[i + 1]), 1);
		if (PP_UNLIKELY(ip_route(l, skb, ip, &last_daddr, &last_nh, gen))) {
			pp_stage_drop(s, skb, PP_DROP_NO_ROUTE);
			continue;
		}
		uint16_t id = l->ip_id++;

		if (PP_LIKELY(!skb->frag)) {
			if (PP_UNLIKELY(skb->len > mtu)) {
				/* the transport cuts what may be fragmented, so this
				 * only happens with DF or a forged length */
				pp_stage_drop(s, skb, PP_DROP_TOO_BIG);
				continue;
			}
			ip_finish_header(ip, skb->len, id, ip->frag_off);
			out[nout++] = skb;
			continue;
		}
		if (PP_UNLIKELY(ip->frag_off & htons(PP_IP_DF))) {
			pp_stage_drop(s, skb, PP_DROP_TOO_BIG);
			continue;
		}
		/* cf. ip_fragment() fast path: every piece gets a copy of the
		 * header with its own length, offset and MF bit */
		struct pp_skb *f = skb->frag;

		ip_finish_header(ip, skb->len, id, htons(PP_IP_MF));
		for (; f; f = f->frag) {
			struct pp_ipv4_hdr *fip = pp_skb_push(f, PP_IPV4_HLEN);
			uint16_t frag = (uint16_t)(f->frag_off >> 3);

			/* the transport left PP_SKB_META + headroom in every
			 * fragment, so the push cannot fail */
			memcpy(fip, ip, PP_IPV4_HLEN);
			if (f->frag)
				frag |= PP_IP_MF;
			f->net_off = pp_skb_offset(f, fip);
			f->nexthop = skb->nexthop;
			ip_finish_header(fip, f->len, id, htons(frag));
		}
		out[nout++] = skb;
	}
	return nout;
}

/*
 * pp__ip_route_output() - the route of a datagram @sk sends to @daddr, looked
 * up in the sender's context (cf. ip_route_output_flow() in udp_sendmsg()),
 * so that an unroutable destination is the caller's -ENETUNREACH rather than
 * a silent drop further down. A connected socket's destination cache is used
 * and refilled as the ip stage does (cf. sk_dst_check()).
 * Return: 0 and *@nexthop (0: on link, the destination itself); -ENETUNREACH.
 * Context: the socket's lane thread, online (RCU).
 */
int pp__ip_route_output(struct pp_sock *sk, uint32_t daddr, uint32_t *nexthop)
{
	struct pp_route_table *t = sk->st->routes;
	uint32_t gen = pp__route_gen(t);
	struct pp_route_result res;

	if (sk->dst.valid && sk->dst.daddr == daddr && sk->dst.gen == gen) {
		*nexthop = sk->dst.nexthop;
		return 0;
	}
	if (pp__route_lookup(t, daddr, &res))
		return -ENETUNREACH;
	*nexthop = res.nexthop;
	if (sk->connected && sk->daddr == daddr) {
		sk->dst.daddr = daddr;
		sk->dst.nexthop = res.nexthop;
		sk->dst.gen = gen;
		sk->dst.valid = true;
	}
	return 0;
}
