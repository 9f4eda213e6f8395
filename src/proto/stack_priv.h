/* SPDX-License-Identifier: MIT */
/*
 * stack_priv.h (internal) - the stack, its lanes and sockets.
 */
#ifndef PP_PROTO_STACK_PRIV_H
#define PP_PROTO_STACK_PRIV_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <pktpipe/sock.h>
#include <pktpipe/stack.h>
#include <urcu-qsbr.h> /* before rculfhash: the QSBR flavour */
#include <urcu/rculfhash.h>

#include "core/rt.h"
#include "core/stage.h"
#include "nic/nic.h"
#include "proto/defaults.h"
#include "proto/dev.h"
#include "proto/neigh.h"
#include "proto/qsel.h"
#include "proto/route.h"
#include "proto/sock_priv.h"
#include "proto/stack_stats.h"
#include "proto/txq.h"

/* Socket types a stack's switch has room for (st->protosw[], by PP_SOCK_*). */
#define PP_SOCK_TYPES 4

struct pp_lane;
struct pp_inet_protocol;
struct pp_tcp_table;

/*
 * ICMP errors a lane sends, limited per destination (icmp.c, cf.
 * inet_peer_xrlim_allow()): a small set-associative table of peers, fixed
 * size, replacing the least recently limited; lane-private.
 */
struct pp__icmp_peer {
	uint32_t daddr;		/* 0: free */
	uint64_t tokens_ns;	/* rate_tokens */
	uint64_t last_ns;	/* rate_last */
};
struct pp__icmp_rl {
	uint32_t key;		/* hash secret, const after init */
	uint64_t limited_global; /* errors not sent: global bucket (ICMP_MIB_RATELIMITGLOBAL) */
	uint64_t limited_host;	/* errors not sent: per destination (ICMP_MIB_RATELIMITHOST) */
	struct pp__icmp_peer peer[PP_ICMP_PEER_SETS * PP_ICMP_PEER_WAYS];
};

/* IPv4 ID generators of a lane (ip_out.c, cf. ip_idents_reserve()). */
struct pp__ip_idents {
	uint64_t key[2];	/* siphash key (net->ipv4.ip_id_key), const after init */
	uint64_t rnd;		/* PRNG state for the idle perturbation */
	uint64_t last_key;	/* the last flow: daddr << 8 | protocol */
	uint32_t last_b;	/* and its bucket */
	bool last_valid;
	uint32_t id[PP_IP_IDENTS];
	uint32_t stamp[PP_IP_IDENTS]; /* ms of the last use (jiffies) */
};

/*
 * A lane of the stack: the protocol half of one per-core pipeline (the
 * runtime's lane in core/rt.h runs it, the device layer's lane in dev.h
 * carries its frames).
 */
struct pp_lane {
	uint16_t id;
	struct pp_stack *st;
	struct pp_pool_cache *cache;	/* lane cache: the lane thread allocates */
	struct pp_rt_lane *rt;		/* const: who runs it */
	struct pp_dev_lane *dev;	/* const: where its frames go */
	struct pp_neigh_lane *nl;
	/* PP_MSG_MORE: datagrams staged until a burst is ready or a send
	 * without the flag (cf. xmit_more), then walked down as one burst.
	 * Lane thread only. */
	uint16_t nmore;
	uint32_t more_frames;		/* frames of what is staged (chains count whole) */
	struct pp_skb *more[PP_BURST];
	/* stages of this lane */
	struct pp_stage s_udp, s_ip, s_neigh;
	struct pp_stage s_tcp;			/* TCP's segments out, its drops */
	struct pp_stage s_rx, s_arp, s_icmp;	/* receive side (s_rx: the "rx" row the
						 * device counts in, seen from inet) */
	struct pp_reasm *reasm;			/* IPv4 reassembly (rx) */
	struct pp_timer t_reasm;		/* reassembly expiry */
	struct pp_timer t_neigh;		/* lane 0: neighbour table ageing */
	struct pp_stage_stats stats[PP_STAGE_MAX];
	/* truesize this lane's rx stage queued on sockets, over all of them
	 * (cf. udp_mem): charged here, released by the consuming lane */
	uint64_t rcv_mem_max;		/* const after init */
	alignas(PP_CACHE_LINE) _Atomic uint64_t rcv_mem;
	/* big tables last, so that the fields every burst reads stay
	 * together in the lane's first lines */
	alignas(PP_CACHE_LINE) struct pp__ip_idents ipid; /* IPv4 IDs, hashed per destination */
	struct pp__icmp_rl icmp_rl;	/* ICMP error rate limit, per destination */
};

struct pp_stack {
	struct pp_stack_opts opts;	/* copy, nic string excluded */
	struct pp_limits lim;		/* from opts or defaults.h; const after create */
	char nic_spec[128];
	char nic_info[256];
	uint16_t nlanes, ntxq;
	uint8_t placement;
	uint8_t mac[6];
	uint32_t ip, mask;
	uint16_t mtu;
	uint32_t flags;
	struct pp_pool *pool;
	struct pp_nic *nic;
	struct pp_route_table *routes;
	struct pp_neigh_table *neigh;
	struct pp_rt rt;		/* who runs the lanes */
	struct pp_dev dev;		/* queues, rings, receive handlers */
	struct pp_lane lanes[PP_LANES_MAX];
	uint64_t tsc_hz;
	pthread_mutex_t ctl_lock;	/* control path: sockets, ports */
	/* socket types (cf. inetsw[]) and each protocol's table: const after create */
	const struct pp_proto *protosw[PP_SOCK_TYPES];
	struct pp__sock_slab *slabs[PP_SOCK_TYPES];
	struct pp_udp_table *udp;
	struct pp_tcp_table *tcp;
	/* IPv4 protocol demux (cf. inet_protos[]): const after create */
	const struct pp_inet_protocol *inet_protos[256];
	const struct pp_inet_protocol *inet_list[8];
	uint8_t ninet;
	/* ICMP errors, all lanes (cf. icmp_global_allow()): tokens, refilled
	 * by whichever lane finds them spent */
	_Atomic int32_t icmp_credit;
	_Atomic uint64_t icmp_stamp;	/* ns of the last refill */
	/* sockets handed to pp__sock_release() whose RCU callback has not run
	 * yet: teardown waits for zero (our rcu_barrier(), see sock.c) */
	_Atomic uint64_t sock_rcu_pending;
};

/* stack.c: a lane of the stack on the runtime */
void pp__stack_teardown(struct pp_stack *st);
static inline int pp__lane_enter(struct pp_stack *st, struct pp_lane *l)
{
	(void)st;
	return pp__rt_lane_enter(l->rt);
}
static inline int pp__lane_leave(struct pp_stack *st, struct pp_lane *l)
{
	(void)st;
	return pp__rt_lane_leave(l->rt);
}
/* One run of the lane (pollers, queues, timers). Context: its thread, online. */
static inline uint32_t pp__lane_run(struct pp_lane *l)
{
	return pp__rt_lane_run(l->rt);
}
/* The run after a send's walk (see pp__rt_lane_run_busy()). */
static inline uint32_t pp__lane_run_busy(struct pp_lane *l)
{
	return pp__rt_lane_run_busy(l->rt);
}

/* ip_out.c: the IPv4 output stage (route, header, fragments) */
uint16_t pp__ip_output(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_skb **out);
/*
 * pp__ip_queue_xmit() - the way down every transport and ICMP takes (cf.
 * ip_queue_xmit() -> ip_output() -> neigh_output() -> dev_queue_xmit()):
 * IPv4 header (route where the sender did not), fragments, neighbour, then
 * the device layer. Takes all of @pkts (data at the IPv4 header template).
 * Context: lane @l's thread, online.
 */
void pp__ip_queue_xmit(struct pp_lane *l, struct pp_skb **pkts, uint16_t n);
/* ip_out.c: the lane's front poller: neighbour resolution retries and what
 * PP_MSG_MORE staged. */
uint32_t pp__inet_poll(void *lane);
int pp__ip_route_output(struct pp_sock *sk, uint32_t daddr, uint32_t *nexthop);
/* ip_out.c, icmp.c: the lane's secrets, from getrandom() (control path) */
void pp__ip_idents_init(struct pp__ip_idents *t);
void pp__icmp_rl_init(struct pp__icmp_rl *rl);

struct pp_reasm;

/* pp__skb_chain_frames() - frames of @skb's fragment chain (@skb included). */
static inline uint32_t pp__skb_chain_frames(const struct pp_skb *skb)
{
	uint32_t n = 0;

	for (; skb; skb = skb->frag)
		n++;
	return n;
}

/* Our header space: Ethernet + IPv4 + UDP fit in the pool's headroom. */
#define PP_UDP_HEADERS (14 + 20 + 8)

#endif /* PP_PROTO_STACK_PRIV_H */
