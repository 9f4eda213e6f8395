/* SPDX-License-Identifier: MIT */
/*
 * rx.h (internal) - the receive stage and IPv4 reassembly (ip_in.c, icmp.c,
 * reasm.c), cf. ip_rcv() -> ip_local_deliver() -> icmp_rcv()/udp_rcv().
 */
#ifndef PP_PROTO_RX_H
#define PP_PROTO_RX_H

#include <stdint.h>

#include <pktpipe/skb.h>

#include "core/stage.h"
#include "proto/reasm.h"

struct pp_lane;
struct pp_stack;
struct pp_ipv4_hdr;

/*
 * Two outputs of the receive stage, arrays owned by the caller, @cap entries
 * each:
 *  l3 - packets for the IP output path: data starts at an IPv4 header
 *       template as udp.c builds it (ICMP echo replies, port unreachables);
 *  l2 - complete Ethernet frames to transmit as they are (ARP replies).
 * The stage appends after n_l3/n_l2 (the caller zeroes them for a fresh call)
 * and never goes beyond @cap: what does not fit is dropped PP_DROP_RING_FULL.
 */
struct pp_rx_out {
	struct pp_skb **l3;
	uint16_t n_l3;
	struct pp_skb **l2;
	uint16_t n_l2;
	uint16_t cap;
};

/*
 * One receive burst's state (ip_in.c), handed to the protocol handlers.
 */
struct pp_inet_rx {
	struct pp_stage *s;	/* the lane's "rx" counters, on the running thread's cache */
	struct pp_lane *l;
	struct pp_stack *st;
	struct pp_rx_out *o;	/* where ICMP answers go */
	struct pp_stage icmp;	/* the lane's icmp stage, on the running thread's cache */
	uint32_t bcast_sub;	/* our subnet's broadcast address (0: none) */
	bool csum_partial;	/* the NIC's link may carry CHECKSUM_PARTIAL (veth) */
	uint64_t now_ns;	/* read once, at the first fragment */
	uint16_t narp, nicmp;
	struct pp_skb *arp[PP_BURST_MAX];
	struct pp_skb *icmps[PP_BURST_MAX];
};

/* Bytes of IP payload in a (possibly reassembled) datagram at @skb. */
static inline uint32_t pp__ip_payload_len(const struct pp_skb *skb, uint32_t ihl)
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
static inline void pp__skb_chain_trim(struct pp_stage *s, struct pp_skb *skb, uint32_t keep)
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

/*
 * struct pp_inet_protocol - a protocol above IPv4 (cf. struct net_protocol
 * and inet_add_protocol()): the stack's demux table (st->inet_protos) maps
 * the IPv4 protocol number to it; a protocol with no entry gets ICMP
 * protocol unreachable and PP_DROP_UNSUPPORTED.
 * @handler: one datagram for us, whole (reassembled), data at its IPv4
 *	     header of @ihl bytes; @bcast: to a broadcast address; @l2bcast:
 *	     in a link-layer broadcast. It owns the skb.
 * @flush: optional, at the end of each burst (a protocol that batches).
 * @err_handler: optional (cf. net_protocol.err_handler, called from
 *	    icmp_unreach() via icmp_socket_deliver()): an ICMP error arrived
 *	    about a datagram we sent with this protocol. @inner is the
 *	    quoted IPv4 header (checked: version 4, our source address),
 *	    @l4/@l4len the quoted transport bytes that follow it (at least 8),
 *	    @err the errno the kernel's icmp_err_convert[] gives it, @fatal
 *	    whether it is a hard error there. Must not keep any pointer.
 */
struct pp_inet_protocol {
	uint8_t protocol;
	void (*handler)(struct pp_inet_rx *c, struct pp_skb *skb, uint32_t ihl, bool bcast,
			bool l2bcast);
	void (*flush)(struct pp_inet_rx *c);
	void (*err_handler)(struct pp_lane *l, const struct pp_ipv4_hdr *inner, const uint8_t *l4,
			    uint32_t l4len, int err, bool fatal);
};

extern const struct pp_inet_protocol pp__udp_protocol;
extern const struct pp_inet_protocol pp__icmp_protocol;

/* The device layer's receive handlers for ETH_P_IP and ETH_P_ARP (ctx: the
 * struct pp_stack *). */
void pp__ip_rcv_pack(void *ctx, uint16_t lane, struct pp_skb **pkts, uint16_t n);
void pp__arp_rcv_pack(void *ctx, uint16_t lane, struct pp_skb **pkts, uint16_t n);

/*
 * pp__rx_input() - the receive stage (cf. __netif_receive_skb() ->
 * ip_rcv()/arp_rcv() -> ip_local_deliver() -> icmp_rcv()/__udp4_lib_rcv()).
 * s->ctx is the struct pp_lane *; s->cache the cache of the running thread;
 * s->stats the lane's "rx" counters. Input: whole Ethernet frames, data at
 * the Ethernet header. Each frame is, exactly once: handed to the ARP stage
 * (l->s_arp: its replies to o->l2), delivered to a UDP socket, turned into an
 * ICMP reply (counted by l->s_icmp, into o->l3), consumed (other ICMP), held
 * for reassembly (l->reasm; NULL: fragments dropped PP_DROP_UNSUPPORTED), or
 * dropped with a reason and counted. A datagram for a closed UDP port or an
 * unknown protocol also yields an ICMP destination unreachable in o->l3.
 * Return: @n (all consumed); 0 if @s, its lane or @o is NULL (the caller keeps
 * @pkts).
 * Context: the lane's thread, RCU online (socket and neighbour lookups).
 */
uint16_t pp__rx_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o);

/*
 * pp__icmp_input() - ICMP input (cf. icmp_rcv(), icmp_echo()). s->ctx is the
 * lane. Input: datagrams for us with data at the IPv4 header (valid, trimmed
 * to tot_len, net_off set; a reassembled one is a chain as pp__reasm_add()
 * returns it). A bad ICMP checksum or a message shorter than 8 bytes is
 * dropped (PP_DROP_BAD_CSUM, PP_DROP_MALFORMED). An echo request to our
 * unicast address becomes, in the same frames, an echo reply template into
 * o->l3 (re-cut into fresh frames only when its pieces do not fit the MTU);
 * one to a broadcast address is dropped PP_DROP_NOT_FOR_US
 * (icmp_echo_ignore_broadcasts). Other messages are consumed, not dropped.
 * Return: @n.
 * Context: the lane's thread.
 */
uint16_t pp__icmp_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o);

/*
 * pp__icmp_send_unreach() - build an ICMP destination unreachable (@code:
 * 2 protocol, 3 port) about @orig (data at its IPv4 header, trimmed) in a fresh
 * frame from s->cache and append it to o->l3 (cf. icmp_send()): IPv4 template
 * from us to its source, TOS 0xc0 (internetwork control), quoting its IPv4
 * header and the first 8 bytes of its payload (RFC 792). @orig is not touched.
 * Rate limited as icmp_send() is (icmp.c): -EAGAIN when suppressed,
 * counted in the lane's icmp_rl.
 * Return: 0; -EINVAL bad arguments or a source we must not answer;
 * -EAGAIN rate limited; -ENOBUFS no frame; -ENOSPC o->l3 full (both
 * counted on @s).
 * Context: the lane's thread.
 */
int pp__icmp_send_unreach(struct pp_stage *s, const struct pp_skb *orig, uint8_t code,
			  struct pp_rx_out *o);

#endif /* PP_PROTO_RX_H */
