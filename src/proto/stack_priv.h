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

#include "core/stage.h"
#include "nic/nic.h"
#include "proto/neigh.h"
#include "proto/qsel.h"
#include "proto/route.h"
#include "proto/stack_stats.h"
#include "proto/txq.h"

#define PP_SOCKS_MAX 1024
#define PP_LANE_RING 1024	/* slots of the rings inside a lane */
#define PP_TXQ_RING 1024	/* slots of each (lane, queue) ring */
/* Slots of each (lane, socket) receive ring: the SPSC transport only, the
 * bound is the socket's rcvbuf in bytes (sock.c checks this never binds). */
#define PP_SOCK_RCVQ 256

struct pp_lane;

/*
 * ICMP errors a lane sends, limited per destination (icmp.c, cf.
 * inet_peer_xrlim_allow()): a small set-associative table of peers, fixed
 * size, replacing the least recently limited; lane-private.
 */
#define PP_ICMP_PEER_SETS 64
#define PP_ICMP_PEER_WAYS 4
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
#define PP_IP_IDENTS 2048	/* IP_IDENTS_SZ, the kernel's smallest table */
struct pp__ip_idents {
	uint64_t key[2];	/* siphash key (net->ipv4.ip_id_key), const after init */
	uint64_t rnd;		/* PRNG state for the idle perturbation */
	uint64_t last_key;	/* the last flow: daddr << 8 | protocol */
	uint32_t last_b;	/* and its bucket */
	bool last_valid;
	uint32_t id[PP_IP_IDENTS];
	uint32_t stamp[PP_IP_IDENTS]; /* ms of the last use (jiffies) */
};

/* The socket ops table (cf. struct proto / proto_ops). */
struct pp_proto_ops {
	const char *name;
	ssize_t (*sendmsg)(struct pp_sock *sk, const struct msghdr *msg, int flags);
	int (*connect)(struct pp_sock *sk, const struct sockaddr_in *sin);
	int (*bind)(struct pp_sock *sk, const struct sockaddr_in *sin);
	void (*close)(struct pp_sock *sk);
};

/* The destination cache every socket carries (cf. sk_dst_cache). */
struct pp__dst_cache {
	uint32_t daddr;
	uint32_t nexthop;
	uint32_t gen;	/* route generation it was computed under */
	bool valid;
};

struct pp_sock {
	const struct pp_proto_ops *ops;
	struct pp_stack *st;
	struct pp_lane *lane;
	bool open;
	bool connected;
	uint8_t tos;
	uint8_t prio;		/* skb->priority from tos (rt_tos2priority) */
	uint8_t pmtudisc;
	bool nocheck;
	uint32_t saddr;		/* network order */
	uint16_t sport;		/* network order; 0: unbound */
	uint32_t daddr;		/* connected destination */
	uint16_t dport;
	uint32_t txhash;	/* flow hash of the connected 5-tuple (sk_txhash) */
	struct pp__dst_cache dst;
	/* receive side: port table node, one SPSC queue per receiving lane
	 * (producer: that lane's rx stage; consumer: this socket's lane) */
	struct cds_lfht_node port_node;
	bool hashed;
	uint16_t rq_next;	/* round robin over rq[] */
	uint64_t rcvtimeo_ns;	/* 0: block forever */
	uint32_t rcvbuf;	/* sk_rcvbuf: bytes; read by every rx lane */
	_Atomic uint32_t rmem_alloc; /* sk_rmem_alloc: truesize queued (rx lanes +, we -) */
	struct pp_ring *rq[PP_LANES_MAX];
};

struct pp_lane {
	uint16_t id;
	struct pp_stack *st;
	struct pp_pool_cache *cache;	/* lane cache: the lane thread allocates */
	struct pp_pool_cache *wcache;	/* worker's freer cache (split) */
	struct pp_ring *r_ip;		/* transport -> ip */
	struct pp_ring *r_qsel;		/* neigh -> qsel */
	struct pp_ring *r_txq[PP_TXQ_MAX]; /* qsel -> txq q, this lane is producer */
	struct pp_neigh_lane *nl;
	/* Frames beyond the first of the fragment chains sockets handed the
	 * lane (pp__sock_xmit) and of those the ip stage took out of r_ip:
	 * r_ip's count plus the difference is how many frames it holds, which
	 * the send-room check counts as the qdisc will (a 64 KB datagram is 45
	 * frames, not one packet). Lane thread only. */
	uint64_t tx_in_extra, tx_out_extra;
	/* stages of this lane (ctx/cache set by placement) */
	struct pp_stage s_udp, s_ip, s_neigh, s_qsel;
	struct pp_stage s_rx, s_arp, s_icmp;	/* receive side */
	struct pp_reasm *reasm;			/* IPv4 reassembly (rx) */
	uint32_t rx_ticks;
	uint32_t tick_runs;		/* lane 0: neighbour ageing */
	uint64_t tick_last;
	struct pp_stage_stats stats[PP_STAGE_MAX];
	/* thread attached as the lane's (rtc: runs everything) */
	_Atomic int attached;
	pthread_t owner;		/* valid while attached */
	bool rcu_registered;
	int cpu;			/* core for the lane thread, -1 none */
	/* split placement */
	pthread_t worker;
	bool worker_running;
	int worker_cpu;
	_Atomic bool stop;
	uint64_t tsc_last;		/* stage timing */
	/* truesize this lane's rx stage queued on sockets, over all of them
	 * (cf. udp_mem): charged here, released by the consuming lane */
	uint64_t rcv_mem_max;		/* const after init */
	alignas(PP_CACHE_LINE) _Atomic uint64_t rcv_mem;
	/* big tables last, so that the fields every burst reads stay
	 * together in the lane's first lines */
	alignas(PP_CACHE_LINE) struct pp__ip_idents ipid; /* IPv4 IDs, hashed per destination */
	struct pp__icmp_rl icmp_rl;	/* ICMP error rate limit, per destination */
};

/* TX queue q: its qdisc+driver stage, driven by lane q % nlanes. */
struct pp_txq_slot {
	struct pp_txq *txq;
	struct pp_stage s_qdisc;
	struct pp_stage_stats *stats;	/* points into the owner lane's stats */
	/* completion thread (PP_STACK_F_COMPLETION_THREADS) */
	struct pp_pool_cache *ccache;	/* its freer cache */
	pthread_t cthr;
	bool crunning;
	_Atomic bool cstop;
	int ccpu;
	uint16_t id;
	struct pp_stack *st;
	uint64_t reaped;		/* (C) frames reaped by the thread */
	uint64_t sleeps;		/* (C) times it went to sleep idle */
};

struct pp_stack {
	struct pp_stack_opts opts;	/* copy, nic string excluded */
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
	struct pp_qsel qsel;
	struct pp_lane lanes[PP_LANES_MAX];
	struct pp_txq_slot txqs[PP_TXQ_MAX];
	uint64_t tsc_hz;
	pthread_mutex_t ctl_lock;	/* control path: sockets, ports */
	struct cds_lfht *udp_ports;	/* bound UDP sockets by port (RCU) */
	struct pp_sock socks[PP_SOCKS_MAX];
	uint16_t next_eport;
	/* ICMP errors, all lanes (cf. icmp_global_allow()): tokens, refilled
	 * by whichever lane finds them spent */
	_Atomic int32_t icmp_credit;
	_Atomic uint64_t icmp_stamp;	/* ns of the last refill */
};

/* lane.c */
int pp__lanes_start(struct pp_stack *st);
void pp__lanes_stop(struct pp_stack *st);
int pp__lane_enter(struct pp_stack *st, struct pp_lane *l);
int pp__lane_leave(struct pp_stack *st, struct pp_lane *l);
void pp__lane_online(void);
void pp__rcu_get(void);
void pp__rcu_put(void);
void pp__stack_teardown(struct pp_stack *st);
void pp__lane_offline(void);
void pp__lane_nap(unsigned int *step_us);
uint32_t pp__lane_run(struct pp_lane *l);
uint64_t pp__tsc(void);

/* ip_out.c: the IPv4 output stage (route, header, fragments) */
uint16_t pp__ip_output(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_skb **out);
int pp__ip_route_output(struct pp_sock *sk, uint32_t daddr, uint32_t *nexthop);
/* ip_out.c, icmp.c: the lane's secrets, from getrandom() (control path) */
void pp__ip_idents_init(struct pp__ip_idents *t);
void pp__icmp_rl_init(struct pp__icmp_rl *rl);

/* udp.c */
extern const struct pp_proto_ops pp__udp_ops;

/* sock.c: hand a burst of transport-built skbs to the lane (ring to ip). */
uint32_t pp__sock_xmit(struct pp_lane *l, struct pp_skb **skbs, uint32_t n, int flags,
		       uint32_t extra);
int pp__sock_wait(struct pp_sock *sk, int flags, unsigned int *step_us);
uint32_t pp__sock_tx_room(struct pp_lane *l, uint64_t *bytes);
int pp__sock_autobind(struct pp_sock *sk);
int pp__sock_enter(struct pp_sock *sk);
void pp__sock_exit(void);

/* sock.c: receive side, called by the rx stage (ip_in.c) */
struct pp_sock *pp__sock_lookup_udp(struct pp_stack *st, uint16_t dport);
int pp__sock_deliver(struct pp_lane *from, struct pp_sock *sk, struct pp_skb *skb);
int pp__sock_hash(struct pp_sock *sk);
int pp__socks_init(struct pp_stack *st);
void pp__socks_fini(struct pp_stack *st);

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
