// SPDX-License-Identifier: MIT
/*
 * neigh_output.c - the neighbour output stage: the next hop of each skb to
 * an Ethernet address, and the Ethernet header.
 *
 * Mirrors net/core/neighbour.c: neigh_output() / neigh_resolve_output() (a
 * valid entry fills the header at once, cf. neigh_hh_output(); any other
 * hands the skb to the lane's pending queue, neigh_queue.c, as
 * __neigh_event_send() does), and net/ipv4/arp.c: arp_mc_map() /
 * ip_eth_mc_map() mapping group and broadcast next hops without ARP. This is
 * the hot path: a resolved next hop costs one table lookup per new next hop
 * in the burst, one load of the entry's state word and the header copy; no
 * lock, no store to shared memory and at most one clock read per burst.
 */
#include <stddef.h>
#include <string.h>

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "proto/neigh_priv.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fill_eth() copies a packed address as bytes: little-endian only"
#endif

/*
 * Push and fill the Ethernet header of every fragment (cf. neigh_hh_output(),
 * dev_hard_header()). All or nothing: false if one lacks headroom.
 */
static bool fill_eth(struct pp_skb *skb, uint64_t dst48, const uint8_t src[6])
{
	for (struct pp_skb *f = skb; f; f = f->frag)
		if (pp_skb_headroom(f) < PP_ETH_HLEN)
			return false;
	for (struct pp_skb *f = skb; f; f = f->frag) {
		if (!f->net_off)
			f->net_off = f->data_off;
		/* cannot fail: headroom checked above */
		(void)pp_skb_push(f, PP_ETH_HLEN);
		struct pp_eth_hdr *eth = (struct pp_eth_hdr *)pp_skb_data(f);

		/* mac_pack() puts mac[i] in byte i: on a little-endian machine the
		 * word's first six bytes are the address in wire order */
		memcpy(eth->dst, &dst48, PP_ETH_ALEN);
		memcpy(eth->src, src, PP_ETH_ALEN);
		eth->proto = __builtin_bswap16(PP_ETH_P_IP);
		f->mac_off = f->data_off;
		/* cf. eth_skb_pad(): a frame goes out at least 60 bytes long,
		 * as a NIC pads it; the frame always has that much tailroom */
		if (PP_UNLIKELY(f->len < PP_ETH_ZLEN)) {
			uint32_t pad = PP_ETH_ZLEN - f->len;
			uint8_t *p = pp_skb_put(f, pad);

			if (p)
				memset(p, 0, pad);
		}
	}
	return true;
}

/*
 * Send a resolved skb; the caller checked there is room. Also the flush of
 * held skbs (neigh_queue.c) once their next hop resolves. Same file as
 * xmit_one(): the compiler decides its inlining here as it did in one file.
 */
void pp__neigh_emit_resolved(struct emit *c, struct pp_skb *skb, uint64_t mac48)
{
	if (PP_UNLIKELY(!fill_eth(skb, mac48, c->nl->t->p.mac))) {
		pp_stage_drop(c->st, skb, PP_DROP_NO_BUFFER);
		return;
	}
	skb->next = NULL;
	c->out[c->nout++] = skb;
}

/*
 * The Ethernet address of a group or broadcast next hop @nh (network order),
 * packed as mac_pack() does: 01:00:5e + the low 23 bits of a multicast group
 * (cf. ip_eth_mc_map()), ff:ff:ff:ff:ff:ff for a broadcast (cf. arp_mc_map()
 * taking dev->broadcast for RTN_BROADCAST).
 */
static inline uint64_t ip_eth_mc_map48(uint32_t nh)
{
	uint8_t m[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t *b = (const uint8_t *)&nh;

	if (pp__ipv4_is_multicast(nh)) {
		m[0] = 0x01, m[1] = 0x00, m[2] = 0x5e;
		m[3] = b[1] & 0x7f, m[4] = b[2], m[5] = b[3];
	}
	return mac_pack(m);
}

static void xmit_one(struct emit *c, struct pp_skb *skb)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pp_neigh_table *t = nl->t;
	uint32_t nh = skb->nexthop;
	struct pend *q;
	struct nent *e = NULL;

	if (!nh) {
		/* no gateway: the destination is on link (cf. rt_nexthop()) */
		if (skb->len < PP_IPV4_HLEN) {
			pp_stage_drop(c->st, skb, PP_DROP_MALFORMED);
			return;
		}
		memcpy(&nh, pp_skb_data(skb) + offsetof(struct pp_ipv4_hdr, daddr), 4);
		if (!nh) {
			pp_stage_drop(c->st, skb, PP_DROP_NO_ROUTE);
			return;
		}
	}
	if (PP_UNLIKELY(pp__ipv4_is_multicast(nh) || ip_is_bcast(nh) || nh == t->bcast)) {
		/* cf. arp_mc_map(): no resolution for group addresses; the
		 * subnet broadcast is RTN_BROADCAST, sent to dev->broadcast */
		if (c->nout >= c->cap)
			pp_stage_drop(c->st, skb, PP_DROP_RING_FULL);
		else
			pp__neigh_emit_resolved(c, skb, ip_eth_mc_map48(nh));
		return;
	}
	/* Skbs already held for this hop go first: order per hop is kept. */
	if (nl->npend && (q = pend_find(nl, nh)) && !pp__neigh_pend_service(c, q)) {
		pp__neigh_pend_add(c, q, skb, state_valid(ent_state(ent_lookup(t, nh)))
						      ? PP_DROP_RING_FULL
						      : PP_DROP_NEIGH_QUEUE_FULL);
		return;
	}

	for (int tries = 0; tries < 4; tries++) {
		bool created = false;

		if (!e) {
			if (c->last_e && c->last_ip == nh)
				e = c->last_e;
			else
				e = ent_lookup(t, nh);
			if (!e) {
				if (!pend_room(c)) {
					/* nowhere to hold it: do not start what we cannot finish */
					pp_stage_drop(c->st, skb, PP_DROP_NEIGH_QUEUE_FULL);
					return;
				}
				/* cf. __neigh_create(): a cold hop starts INCOMPLETE with
				 * its first probe due now; our traffic may evict */
				e = pp__neigh_ent_create(t, nh, hw_make(0, PP_NUD_INCOMPLETE, 0),
							 tmr_make(0, 0, emit_now(c)), emit_now(c),
							 true, &created);
				if (!e) {
					PP_STAT_ADD(nl->stats.create_fail, 1);
					pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
					return;
				}
				if (created)
					PP_STAT_ADD(nl->stats.created, 1);
			}
		}
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);
		unsigned int s = hw_state(w);

		c->last_ip = nh;
		c->last_e = e;
		if (PP_LIKELY(state_valid(s))) {
			emit_touch(c, e, w);
			if (PP_LIKELY(c->nout < c->cap)) {
				pp__neigh_emit_resolved(c, skb, hw_mac(w));
				return;
			}
			/* out[] full: hold it, the next poll sends it */
			q = pp__neigh_pend_new(c, nh, e);
			if (!q)
				pp_stage_drop(c->st, skb, PP_DROP_RING_FULL);
			else
				pp__neigh_pend_add(c, q, skb, PP_DROP_RING_FULL);
			return;
		}
		if (s == PP_NUD_FAILED) {
			uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);

			if (tmr_seq(p) != hw_seq(w) || !tmr_due(p, emit_now(c))) {
				pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
				return;
			}
			/* held long enough: new traffic restarts resolution */
			if (!ent_reset(e, w, PP_NUD_INCOMPLETE, emit_now(c), emit_now(c)))
				continue;
			s = PP_NUD_INCOMPLETE;
		}
		if (s == PP_NUD_INCOMPLETE) {
			q = pp__neigh_pend_new(c, nh, e);
			if (!q) {
				pp_stage_drop(c->st, skb, PP_DROP_NEIGH_QUEUE_FULL);
				return;
			}
			pp__neigh_pend_add(c, q, skb, PP_DROP_NEIGH_QUEUE_FULL);
			pp__neigh_pend_service(c, q);	/* sends the first probe if due */
			return;
		}
		/* NONE: deleted under us; look again (a new entry, or create) */
		e = NULL;
		c->last_e = NULL;
	}
	pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
}

uint16_t pp__neigh_output(struct pp_stage *st, struct pp_skb **pkts, uint16_t n, struct pp_skb **out)
{
	struct emit c;

	if (PP_UNLIKELY(!emit_stage_ok(st, out) || (n && !pkts)))
		return 0;
	c = (struct emit){.st = st, .nl = st->ctx, .out = out, .cap = st->out_cap};
	pp_stage_count_in(st, pkts, n);
	rcu_read_lock();
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			__builtin_prefetch(pkts[i + 1]);
		xmit_one(&c, pkts[i]);
	}
	rcu_read_unlock();
	return c.nout;
}
