// SPDX-License-Identifier: MIT
/*
 * qsel.c - TX queue selection (qsel.h): XPS map, else the flow hash scaled
 * onto the queues. Mirrors netdev_pick_tx() (get_xps_queue(), then
 * skb_tx_hash() -> reciprocal_scale(skb_get_hash(skb), qcount)) and, for the
 * skbs that arrive without a hash, the IPv4 part of skb_flow_dissect() and
 * __flow_hash_from_keys().
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <pktpipe/prot/ipv4.h>

#include "proto/qsel.h"

/* lookup3 (cf. include/linux/jhash.h): JHASH_INITVAL plus a fixed seed. */
#define JHASH_INITVAL 0xdeadbeefu
#define FLOW_HASH_SEED 0x9e3779b9u

static inline uint32_t rol32(uint32_t x, unsigned int k)
{
	return (x << k) | (x >> (32 - k));
}

uint32_t pp__flow_hash(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
		       uint8_t proto)
{
	/* jhash_3words(a, b, c, initval): __jhash_nwords() + __jhash_final() */
	uint32_t init = (FLOW_HASH_SEED ^ proto) + JHASH_INITVAL + (3u << 2);
	uint32_t a = saddr + init;
	uint32_t b = daddr + init;
	uint32_t c = (((uint32_t)sport << 16) | dport) + init;

	c ^= b; c -= rol32(b, 14);
	a ^= c; a -= rol32(c, 11);
	b ^= a; b -= rol32(a, 25);
	c ^= b; c -= rol32(b, 16);
	a ^= c; a -= rol32(c, 4);
	b ^= a; b -= rol32(a, 14);
	c ^= b; c -= rol32(b, 24);
	/* cf. __flow_hash_from_keys(): 0 is "no hash", so map it to 1 */
	return c ? c : 1;
}

int pp__qsel_init(struct pp_qsel *q, uint16_t ntxq)
{
	if (!q || ntxq == 0 || ntxq > PP_QSEL_TXQ_MAX)
		return -EINVAL;
	q->ntxq = ntxq;
	for (unsigned int i = 0; i < PP_QSEL_LANES_MAX; i++)
		q->xps[i] = -1;
	return 0;
}

int pp__qsel_set_xps(struct pp_qsel *q, uint16_t lane, int queue)
{
	if (!q || lane >= PP_QSEL_LANES_MAX || queue < -1 || queue >= (int)q->ntxq)
		return -EINVAL;
	q->xps[lane] = (int16_t)queue;
	return 0;
}

/*
 * The flow hash from the headers (cf. skb_get_hash() -> __skb_get_hash():
 * flow dissector, then __flow_hash_from_keys()). Every offset is checked
 * against the skb's data: a bad packet gets 0, never a read outside it.
 */
static uint32_t hash_from_headers(const struct pp_skb *skb)
{
	uint32_t start = skb->data_off;
	uint32_t end = start + skb->len;
	uint32_t noff = skb->net_off;
	const struct pp_ipv4_hdr *ip;
	uint16_t sport = 0, dport = 0;
	uint32_t ihl;

	if (noff < start || noff + PP_IPV4_HLEN > end)
		return 0;
	ip = (const struct pp_ipv4_hdr *)pp_skb_at(skb, (uint16_t)noff);
	ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4;
	if ((ip->ver_ihl >> 4) != 4 || ihl < PP_IPV4_HLEN || noff + ihl > end)
		return 0;
	/* Ports only where every packet of the flow has them: not in
	 * fragments (cf. the dissector's FLOW_DIS_IS_FRAGMENT handling). */
	if ((ip->protocol == PP_IPPROTO_UDP || ip->protocol == PP_IPPROTO_TCP) &&
	    !(ntohs(ip->frag_off) & (PP_IP_MF | PP_IP_OFFMASK))) {
		uint32_t toff = skb->trans_off ? skb->trans_off : noff + ihl;

		/* UDP and TCP both start with source and destination port */
		if (toff >= start && toff + 4 <= end) {
			const uint8_t *t = pp_skb_at(skb, (uint16_t)toff);

			memcpy(&sport, t, 2);
			memcpy(&dport, t + 2, 2);
		}
	}
	return pp__flow_hash(ip->saddr, ip->daddr, sport, dport, ip->protocol);
}

/* cf. reciprocal_scale(): [0, 2^32) onto [0, n) with a multiply, no divide */
static inline uint16_t reciprocal_scale(uint32_t hash, uint16_t n)
{
	return (uint16_t)(((uint64_t)hash * n) >> 32);
}

uint16_t pp__qsel_pick(const struct pp_qsel *q, uint16_t lane, struct pp_skb *skb)
{
	/* cf. netdev_core_pick_tx(): one queue, nothing to choose */
	if (q->ntxq == 1)
		return 0;
	if (lane < PP_QSEL_LANES_MAX) {
		int16_t x = q->xps[lane];

		/* cf. get_xps_queue(); an entry beyond ntxq is ignored as the
		 * kernel ignores a map entry >= real_num_tx_queues */
		if (x >= 0 && x < (int)q->ntxq)
			return (uint16_t)x;
	}
	if (PP_UNLIKELY(!skb->hash))
		skb->hash = hash_from_headers(skb);
	return reciprocal_scale(skb->hash, q->ntxq);
}

uint16_t pp__qsel_stage(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
			struct pp_skb **out)
{
	const struct pp_qsel *q = st->ctx;
	uint16_t lane = st->lane;

	pp_stage_count_in(st, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = pkts[i];

		if (i + 2 < n)
			__builtin_prefetch(pkts[i + 2], 1);
		skb->queue = pp__qsel_pick(q, lane, skb);
		out[i] = skb;
	}
	return n;
}
