/* SPDX-License-Identifier: MIT */
/*
 * rx.h (internal) - the receive stage and IPv4 reassembly (ip_in.c, icmp.c,
 * reasm.c), cf. ip_rcv() -> ip_local_deliver() -> icmp_rcv()/udp_rcv().
 */
#ifndef PP_PROTO_RX_H
#define PP_PROTO_RX_H

#include <stdint.h>

#include "core/stage.h"

/*
 * Two outputs of the receive stage, arrays owned by the caller, @cap entries
 * each:
 *  l3 - packets for the IP output path: data starts at an IPv4 header
 *       template as udp.c builds it (ICMP echo replies, port unreachables);
 *  l2 - complete Ethernet frames to transmit as they are (ARP replies).
 */
struct pp_rx_out {
	struct pp_skb **l3;
	uint16_t n_l3;
	struct pp_skb **l2;
	uint16_t n_l2;
	uint16_t cap;
};

/* The receive stage: s->ctx is the struct pp_lane *. Returns packets consumed. */
uint16_t pp__rx_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o);

struct pp_reasm;
int pp__reasm_create(uint32_t max_bytes, uint64_t timeout_ns, struct pp_reasm **out);
void pp__reasm_destroy(struct pp_reasm *r, struct pp_stage *s);
struct pp_skb *pp__reasm_add(struct pp_reasm *r, struct pp_stage *s, struct pp_skb *frag,
			     uint64_t now_ns);
void pp__reasm_tick(struct pp_reasm *r, struct pp_stage *s, uint64_t now_ns);

#endif /* PP_PROTO_RX_H */
