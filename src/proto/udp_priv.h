/* SPDX-License-Identifier: MIT */
/*
 * udp_priv.h (internal) - UDP's socket and its per-stack table (cf. struct
 * udp_sock and struct udp_table).
 */
#ifndef PP_PROTO_UDP_PRIV_H
#define PP_PROTO_UDP_PRIV_H

#include <urcu-qsbr.h> /* before rculfhash: the QSBR flavour */
#include <urcu/rculfhash.h>

#include "proto/sock_priv.h"

/*
 * A UDP socket: the head, its node in the port table, and one SPSC receive
 * ring per lane (producer: that lane's receive path; consumer: the socket's
 * lane), so lanes never share a producer side. The bound is the socket's
 * rcvbuf in bytes, not the rings' slots (udp.c checks this never binds).
 */
#define PP_UDP_RCVQ 256

struct pp_udp_sock {
	struct pp_sock sk;
	struct cds_lfht_node port_node;	/* in the stack's UDP port table */
	uint16_t rq_next;		/* round robin over rq[] */
	struct pp_ring *rq[PP_LANES_MAX];
};

static inline struct pp_udp_sock *pp_udp_sk(struct pp_sock *sk)
{
	return (struct pp_udp_sock *)sk;
}

/*
 * The stack's UDP table (cf. udp_table): bound sockets by local port in an
 * rculfhash the receive path of every lane reads without a lock; it grows
 * with the sockets (resized off the data path, by liburcu's call_rcu
 * worker). Writers hold the stack's ctl_lock.
 */
struct pp_udp_table {
	struct cds_lfht *ports;
	uint16_t next_eport;		/* ctl_lock */
	struct pp__sock_slab slab;	/* UDP sockets */
};

extern const struct pp_proto pp__udp_proto;

int pp__udp_table_init(struct pp_stack *st);
void pp__udp_table_fini(struct pp_stack *st);
/* Context: an online RCU reader (a lane's receive path). */
struct pp_udp_sock *pp__udp_lookup(struct pp_stack *st, uint16_t dport);

#endif /* PP_PROTO_UDP_PRIV_H */
