/* SPDX-License-Identifier: MIT */
/*
 * arp.h (internal) - ARP for IPv4 over Ethernet (RFC 826): building requests
 * and replies, and the receive side (cf. net/ipv4/arp.c arp_create(),
 * arp_rcv(), arp_process()). The wire format is in <pktpipe/prot/arp.h>.
 */
#ifndef PP_PROTO_ARP_H
#define PP_PROTO_ARP_H

#include <stdint.h>

#include "core/stage.h"
#include "proto/neigh.h"

/**
 * pp__arp_build() - a complete Ethernet + ARP frame (60 bytes, zero padded,
 * cf. arp_create()) in a fresh skb from @c: data starts at the Ethernet
 * header, mac_off and net_off set, prio 0 (control traffic), nexthop = @tpa.
 * @op: PP_ARP_OP_REQUEST or PP_ARP_OP_REPLY (host order).
 * @sha, @spa: sender (our) addresses; @spa network order.
 * @tha: target hardware address; NULL means all zero (a request).
 * @tpa: target protocol address, network order.
 * @eth_dst: Ethernet destination (broadcast for a request).
 * Return: the skb, or NULL if there is no frame or an argument is bad (NULL
 * @c, @sha or @eth_dst; another @op).
 * Context: the thread owning lane cache @c.
 */
struct pp_skb *pp__arp_build(struct pp_pool_cache *c, uint16_t op, const uint8_t sha[6], uint32_t spa,
			     const uint8_t tha[6], uint32_t tpa, const uint8_t eth_dst[6]);

/**
 * pp__arp_input() - the ARP receive stage (cf. arp_rcv() + arp_process()).
 * Input: data at the ARP header (Ethernet pulled; mac_off set, or 0 if the
 * Ethernet header is not known).
 * Each skb is, in this order:
 *  - dropped PP_DROP_MALFORMED: shorter than 28 bytes, hrd not Ethernet, pro
 *    not IPv4, hln != 6, pln != 4, op neither request nor reply, a multicast
 *    or zero sender MAC, a multicast/broadcast/loopback target IP, a martian
 *    sender IP (multicast, 255.255.255.255, our subnet broadcast, loopback,
 *    0.0.0.0/8 other than 0): no entry, no reply;
 *  - dropped PP_DROP_NOT_FOR_US: Ethernet destination neither broadcast nor
 *    ours; a sender claiming our IP; a request for another IP, or a reply to
 *    another IP (both after refreshing the sender's existing entry, STALE);
 *  - answered: a request for our IP gets a reply into @out (built in place
 *    when the skb is not shared, else in a fresh skb from st->cache), and
 *    the sender is learned (pp__neigh_event(): created STALE if missing,
 *    on-link senders only and while the table has room; an off-link sender
 *    is answered but not learned);
 *    a probe (sender IP 0, RFC 5227) is answered but teaches nothing;
 *  - consumed (freed, not counted as a drop): a reply to our IP refreshes the
 *    sender's existing entry (REACHABLE when unicast to us, else STALE),
 *    which resolves the skbs lanes hold for it; a gratuitous ARP (sender IP
 *    == target IP) refreshes an existing entry only (arp_accept=0).
 * A PERMANENT entry is never changed; a valid one keeps its address for
 * locktime after a change unless the packet is a gratuitous ARP.
 * Return: entries written to @out (replies; at most st->out_cap: beyond,
 * PP_DROP_RING_FULL). With NULL @st, @t or @out nothing is done and the
 * caller keeps @pkts.
 * Context: the RX lane's thread, online (RCU).
 */
uint16_t pp__arp_input(struct pp_stage *st, struct pp_neigh_table *t, struct pp_skb **pkts, uint16_t n,
		       struct pp_skb **out);

#endif /* PP_PROTO_ARP_H */
