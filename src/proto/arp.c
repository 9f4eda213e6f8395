// SPDX-License-Identifier: MIT
/*
 * arp.c - ARP for IPv4 over Ethernet: frames for requests and replies
 * (cf. arp_create(), arp_send_dst()) and the receive side (cf. arp_rcv()
 * checking the header, arp_process() answering requests for our address
 * and feeding what it hears to the neighbour table: neigh_event_ns() for a
 * request to us, neigh_update() of an existing entry otherwise, since
 * arp_accept is 0 by default).
 *
 * A sender address no host may have (cf. ip_route_input_slow()'s
 * martian_source and inet_addr_type() != RTN_UNICAST: multicast, limited or
 * subnet broadcast, loopback, 0.0.0.0/8 but for the RFC 5227 probe's 0) is a
 * martian: dropped (PP_DROP_MALFORMED: the kernel counts in_martian_src
 * apart; our closest reason), no entry, no reply. Otherwise `who-has X tell
 * 10.0.0.255` would teach us a unicast MAC for the subnet broadcast. One
 * claiming our own address is dropped as PP_DROP_NOT_FOR_US (a duplicate or
 * our own frame looped back), also without entry or reply.
 */
#include <errno.h>
#include <string.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/arp.h"
#include "proto/neigh.h"

#define ARP_LEN ((uint32_t)sizeof(struct pp_arp_hdr))	/* 28 */
#define ARP_FRAME PP_ETH_ZLEN				/* 60: Ethernet + ARP + padding */

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static inline uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

/* Write Ethernet + ARP into the 60 bytes at @d (cf. arp_create()). */
static void arp_fill(uint8_t *d, uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
		     uint32_t tpa, const uint8_t eth_dst[6])
{
	struct pp_eth_hdr *eth = (struct pp_eth_hdr *)d;
	struct pp_arp_hdr *arp = (struct pp_arp_hdr *)(d + PP_ETH_HLEN);

	memset(d, 0, ARP_FRAME);
	memcpy(eth->dst, eth_dst, PP_ETH_ALEN);
	memcpy(eth->src, sha, PP_ETH_ALEN);
	eth->proto = be16(PP_ETH_P_ARP);
	arp->hrd = be16(PP_ARP_HRD_ETHER);
	arp->pro = be16(PP_ETH_P_IP);
	arp->hln = PP_ETH_ALEN;
	arp->pln = 4;
	arp->op = be16(op);
	memcpy(arp->sha, sha, PP_ETH_ALEN);
	arp->spa = spa;
	if (tha)
		memcpy(arp->tha, tha, PP_ETH_ALEN);
	arp->tpa = tpa;
}

/* Metadata of an skb about to leave as an ARP frame (data at Ethernet). */
static void arp_meta(struct pp_skb *skb, uint32_t tpa)
{
	skb->next = NULL;
	skb->hash = 0;
	skb->queue = 0;
	skb->prio = 0;	/* control traffic: highest band (cf. TC_PRIO_CONTROL) */
	skb->flags = 0;
	skb->drop_reason = 0;
	skb->mac_off = skb->data_off;
	skb->net_off = (uint16_t)(skb->data_off + PP_ETH_HLEN);
	skb->trans_off = 0;
	skb->frag_off = 0;
	skb->nexthop = tpa;
	skb->sk = NULL;
}

struct pp_skb *pp__arp_build(struct pp_pool_cache *c, uint16_t op, const uint8_t sha[6], uint32_t spa,
			     const uint8_t tha[6], uint32_t tpa, const uint8_t eth_dst[6])
{
	struct pp_skb *skb;
	uint8_t *d;

	if (!c || !sha || !eth_dst || (op != PP_ARP_OP_REQUEST && op != PP_ARP_OP_REPLY))
		return NULL;
	skb = pp_skb_alloc(c);
	if (!skb)
		return NULL;
	d = pp_skb_put(skb, ARP_FRAME);
	if (!d) {
		pp_skb_free(c, skb);
		return NULL;
	}
	arp_fill(d, op, sha, spa, tha, tpa, eth_dst);
	arp_meta(skb, tpa);
	return skb;
}

/* Addresses no ARP packet may carry as sender or target (cf. arp_process():
 * multicast and loopback targets are ignored). */
static bool ip_bogus(uint32_t be)
{
	return pp__ipv4_is_multicast(be) || (__builtin_bswap32(be) >> 24) == 127 || be == 0xffffffffu;
}

/* A sender no host may be (cf. martian_source in ip_route_input_slow() and
 * fib_validate_source() refusing RTN_BROADCAST): @spa is not 0. */
static bool sender_martian(const struct pp_neigh_table *t, uint32_t spa)
{
	return ip_bogus(spa) || (__builtin_bswap32(spa) >> 24) == 0 ||	/* ipv4_is_zeronet() */
	       spa == pp__neigh_table_bcast(t);
}

/*
 * Turn the request in @skb into our reply (cf. arp_send_dst(ARPOP_REPLY)):
 * in place when the skb is ours alone and the Ethernet header sits right
 * before the ARP header, else in a fresh frame. Return: the reply, or NULL
 * (@skb is still the caller's).
 */
static struct pp_skb *arp_reply(struct pp_stage *st, struct pp_neigh_table *t, struct pp_skb *skb,
				const uint8_t req_sha[6], uint32_t req_spa)
{
	const uint8_t *mac = pp__neigh_table_mac(t);
	uint32_t ip = pp__neigh_table_ip(t);

	if (!pp_skb_shared(skb) && !skb->frag && skb->mac_off &&
	    skb->mac_off + PP_ETH_HLEN == skb->data_off &&
	    (uint32_t)skb->data_off + ARP_FRAME - PP_ETH_HLEN <= skb->end) {
		uint8_t sha[6];

		memcpy(sha, req_sha, 6);	/* req_sha points into the frame */
		pp_skb_push(skb, PP_ETH_HLEN);
		skb->len = ARP_FRAME;	/* checked above: fits in the frame */
		arp_fill(pp_skb_data(skb), PP_ARP_OP_REPLY, mac, ip, sha, req_spa, sha);
		arp_meta(skb, req_spa);
		return skb;
	}
	struct pp_skb *r = pp__arp_build(st->cache, PP_ARP_OP_REPLY, mac, ip, req_sha, req_spa, req_sha);

	if (r)
		pp_skb_free(st->cache, skb);	/* the request is consumed */
	return r;
}

enum verdict { CONSUMED, ANSWERED, DROPPED };

static enum verdict arp_one(struct pp_stage *st, struct pp_neigh_table *t, struct pp_skb *skb,
			    struct pp_skb **reply)
{
	const struct pp_arp_hdr *arp = (const struct pp_arp_hdr *)pp_skb_data(skb);
	const uint8_t *mac = pp__neigh_table_mac(t);
	uint32_t ip = pp__neigh_table_ip(t);
	uint64_t now = skb->tstamp ? skb->tstamp : pp__now_ns();
	bool to_us_l2 = true;
	uint16_t op;
	uint32_t spa, tpa;

	/* cf. arp_rcv(): the header must be whole and describe Ethernet/IPv4 */
	if (skb->len < ARP_LEN || arp->hrd != be16(PP_ARP_HRD_ETHER) || arp->pro != be16(PP_ETH_P_IP) ||
	    arp->hln != PP_ETH_ALEN || arp->pln != 4) {
		pp_stage_drop(st, skb, PP_DROP_MALFORMED);
		return DROPPED;
	}
	op = be16(arp->op);
	spa = arp->spa;
	tpa = arp->tpa;
	if ((op != PP_ARP_OP_REQUEST && op != PP_ARP_OP_REPLY) || !pp__eth_addr_unicast(arp->sha) ||
	    (spa && sender_martian(t, spa)) || ip_bogus(tpa)) {
		pp_stage_drop(st, skb, PP_DROP_MALFORMED);
		return DROPPED;
	}
	/* cf. arp_rcv(): PACKET_OTHERHOST is not ours to look at */
	if (skb->mac_off && skb->mac_off + PP_ETH_HLEN <= skb->data_off) {
		const struct pp_eth_hdr *eth = (const struct pp_eth_hdr *)pp_skb_at(skb, skb->mac_off);

		to_us_l2 = !memcmp(eth->dst, mac, 6);
		if (!to_us_l2 && memcmp(eth->dst, bcast_mac, 6)) {
			pp_stage_drop(st, skb, PP_DROP_NOT_FOR_US);
			return DROPPED;
		}
	}
	/* someone else claims our address (or it is our own frame looped back) */
	if (spa == ip) {
		pp_stage_drop(st, skb, PP_DROP_NOT_FOR_US);
		return DROPPED;
	}
	if (op == PP_ARP_OP_REQUEST && tpa == ip) {
		/* RFC 5227 probe (sender 0.0.0.0): answer, learn nothing. The
		 * table learns on-link senders only, and only while it has room
		 * (see neigh.h); the kernel does not answer when neigh_event_ns()
		 * fails, we do: the reply costs nothing we keep, and a full table
		 * must not make us unreachable. */
		if (spa)
			(void)pp__neigh_event(t, spa, arp->sha, now);
		*reply = arp_reply(st, t, skb, arp->sha, spa);
		if (!*reply) {
			pp_stage_drop(st, skb, PP_DROP_NO_BUFFER);
			return DROPPED;
		}
		return ANSWERED;
	}
	if (!spa) {
		/* a probe for another address: nothing to learn */
		pp_stage_drop(st, skb, PP_DROP_NOT_FOR_US);
		return DROPPED;
	}
	/* Refresh an existing entry only (arp_accept=0): a unicast reply to us
	 * confirms, anything else merely says the address is in use. */
	bool garp = spa == tpa;
	bool confirm = op == PP_ARP_OP_REPLY && to_us_l2 && (tpa == ip || garp);

	/* a gratuitous ARP overrides locktime (cf. arp_is_garp()) */
	(void)pp__neigh_confirm(t, spa, arp->sha, confirm ? PP_NUD_REACHABLE : PP_NUD_STALE,
				garp ? PP_NEIGH_F_OVERRIDE : 0, now);
	if (tpa == ip || garp) {
		pp_skb_free(st->cache, skb);
		return CONSUMED;
	}
	pp_stage_drop(st, skb, PP_DROP_NOT_FOR_US);
	return DROPPED;
}

uint16_t pp__arp_input(struct pp_stage *st, struct pp_neigh_table *t, struct pp_skb **pkts, uint16_t n,
		       struct pp_skb **out)
{
	uint16_t nout = 0;

	if (PP_UNLIKELY(!st || !t || !st->cache || !st->stats || !out || (n && !pkts)))
		return 0;
	pp_stage_count_in(st, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *reply = NULL;

		if (arp_one(st, t, pkts[i], &reply) != ANSWERED)
			continue;
		if (nout < st->out_cap)
			out[nout++] = reply;
		else
			pp_stage_drop(st, reply, PP_DROP_RING_FULL);
	}
	return nout;
}
