/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/stack.h - a stack: one interface (a NIC backend), its address,
 * routes and neighbours, and the lanes that carry packets to it.
 *
 * A lane is one per-core pipeline. A send walks down it once, each stage
 * taking the whole burst before the next (VPP-style):
 *
 *   pp_send*() -> socket -> udp -> ip -> neigh -> qsel -> qdisc (bypassed when
 *   idle) -> driver -> NIC; completion brings the frames home
 *
 * with an SPSC ring only where threads may split it: into each TX queue from
 * each lane ((lane, queue) rings), and in split placement from the lane to
 * its worker. Placement decides which threads run which stages:
 *  - PP_PLACE_RTC (run to completion): the lane's own thread (the one that
 *    calls pp_send*() and pp_lane_poll() for that lane) runs every stage.
 *  - PP_PLACE_SPLIT: the lane's thread runs udp, ip and neigh; a worker
 *    thread the stack starts ("pp-tx/<lane>", pinned by hwloc to a core that
 *    shares a cache with the lane's) runs qsel, the qdiscs and the driver.
 *
 * TX queue q is driven by lane (q % nlanes)'s qdisc/driver stage. With the
 * default XPS map lane k sends on queue k % ntxq; clearing the map makes
 * queue selection hash flows across queues (lanes then hand packets to the
 * queue's lane through one SPSC ring per (lane, queue) pair).
 *
 * Threading contract:
 *
 *   call                         | from
 *   -----------------------------+---------------------------------------------
 *   pp_stack_create / _destroy   | control thread; nothing else running on it
 *   pp_route_*, pp_neigh_*,      | any control thread, while traffic flows
 *   pp_xps_set, pp_stack_stat*   |   (RCU: lanes never wait for them)
 *   pp_lane_poll, socket calls   | the lane's thread only: one thread per lane
 *   on sockets of lane k         |   at a time (see pp_lane_attach)
 *
 * Every call returns 0 (or a count) or a negative errno; none aborts on a
 * caller's mistake.
 */
#ifndef PKTPIPE_STACK_H
#define PKTPIPE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include <pktpipe/common.h>
#include <pktpipe/stats.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_stack;

/** Most lanes a stack runs. */
#define PP_LANES_MAX 32
/** Most TX queues a stack drives. */
#define PP_TXQ_MAX 32

enum pp_placement {
	PP_PLACE_RTC = 0,	/* run to completion on the lane's thread */
	PP_PLACE_SPLIT = 1,	/* qsel/qdisc/driver on a worker thread per lane */
};

/* pp_stack_opts.flags */
#define PP_STACK_F_STAGE_TIMING 0x1 /* measure ns per stage (costs a TSC read per stage call) */
#define PP_STACK_F_NO_PIN	0x2 /* do not bind lane/worker threads to cores */
/* One completion thread per TX queue ("pp-cq/<q>") reaps the NIC's completions
 * NAPI-style and sends frames home, instead of the driver stage reaping
 * inline. It polls while there is work and backs off to sleeping when idle. */
#define PP_STACK_F_COMPLETION_THREADS 0x4
#define PP_STACK_F_ALL (PP_STACK_F_STAGE_TIMING | PP_STACK_F_NO_PIN | PP_STACK_F_COMPLETION_THREADS)

/**
 * struct pp_stack_opts - what a stack is made of. Zero fields take defaults.
 * @sz: sizeof(struct pp_stack_opts) as the caller compiled it. The struct
 *	grows at its end only (cf. libbpf's OPTS_VALID()): a program built
 *	against an older, smaller struct keeps working (the fields it does not
 *	have take their defaults), and one built against a newer, larger
 *	struct works as long as every field this library does not know is
 *	zero; otherwise pp_stack_create() returns -EINVAL.
 * @nic: NIC spec: "null[:txring=N]", "pcap:FILE[,pace=K]",
 *	 "afxdp:IFACE[,mode=native|skb|auto][,queues=N]",
 *	 "wire:NAME[,loss=P][,dup=P][,reorder=P][,corrupt=P][,delay=US]
 *	 [,rate=MBPS][,seed=N][,queues=N]": two stacks of one process opened
 *	 on the same NAME are joined back to back, with seeded impairments on
 *	 what this end sends (default "null").
 * @nlanes: lanes (default 1, at most PP_LANES_MAX).
 * @ntxq: NIC TX queues (default @nlanes, at most PP_TXQ_MAX).
 * @placement: enum pp_placement.
 * @mac: the interface's MAC; all zero: the NIC's own (AF_XDP) or
 *	 02:00:00:00:00:01.
 * @ip: our IPv4 address, network order (required).
 * @prefix: its prefix length; a connected route is added for it.
 * @mtu: largest IPv4 packet (default 1500; 68..frame room).
 * @frames_per_lane: pool frames per lane (default 4096).
 * @frame_size: 2048 (default) or 4096.
 * @qdisc_limit: packets per TX queue's qdisc (default 1000, the kernel's
 *		txqueuelen; at most 2^20).
 * @cpus: if @ncpus > 0, lane k's thread is expected on cpus[k % ncpus] and
 *	  workers go to the next entry; otherwise hwloc picks.
 * @flags: PP_STACK_F_*; unknown flags are -EINVAL.
 *
 * Limits (README "Limits"; each mirrors a Linux sysctl and defaults to its
 * value; out of range: -EINVAL):
 * @neigh_max: neighbour entries the table holds, the hard maximum
 *	       (net.ipv4.neigh.default.gc_thresh3, default 1024; at most
 *	       2^20). The table is preallocated. gc_thresh2 and gc_thresh1
 *	       are 512 and 128, or @neigh_max where that is smaller. A full
 *	       table collects (or, for our own traffic, evicts) an old entry
 *	       to make room, or refuses the new one.
 * @neigh_unres_qlen_bytes: bytes (truesize: whole frames) held per
 *	       unresolved neighbour per lane while ARP runs
 *	       (net.ipv4.neigh.default.unres_qlen_bytes, default 212992;
 *	       2048..2^31-1). All neighbours of a lane together hold at most
 *	       1/8 of its frames whatever this is.
 * @reasm_max_bytes: bytes (whole frames) one lane holds in IPv4 fragments
 *	       being reassembled (net.ipv4.ipfrag_high_thresh, default 4 MiB;
 *	       4096..2^30). A value above the lane's share, 1/8 of its frame
 *	       bytes (frames_per_lane * frame_size / 8), is lowered to the
 *	       share, as the default is: what the wire makes a lane hold stays
 *	       within half of its frames.
 * @reasm_timeout_ms: lifetime of an incomplete datagram
 *	       (net.ipv4.ipfrag_time, default 30000; at most 3600000).
 * @rcvbuf_default: sk_rcvbuf of a new socket, bytes of truesize
 *	       (net.core.rmem_default, default 212992; 2304..425984, the
 *	       largest SO_RCVBUF can set).
 * @sndbuf_default: sk_sndbuf of a new socket (net.core.wmem_default,
 *	       default 212992; 4608..425984).
 * @tcp_timewait_ms: how long a TCP connection closed on our side first
 *	       stays in TIME_WAIT (2MSL; default 60000 as TCP_TIMEWAIT_LEN;
 *	       1..600000).
 */
struct pp_stack_opts {
	size_t sz;
	const char *nic;
	uint16_t nlanes;
	uint16_t ntxq;
	uint8_t placement;
	uint8_t mac[6];
	uint32_t ip;
	uint8_t prefix;
	uint16_t mtu;
	uint32_t frames_per_lane;
	uint32_t frame_size;
	uint32_t qdisc_limit;
	const int *cpus;
	uint16_t ncpus;
	uint32_t flags;
	/* limits (appended: the struct grows at its end only) */
	uint32_t neigh_max;
	uint32_t neigh_unres_qlen_bytes;
	uint32_t reasm_max_bytes;
	uint32_t reasm_timeout_ms;
	uint32_t rcvbuf_default;
	uint32_t sndbuf_default;
	uint32_t tcp_timewait_ms;
};

/**
 * pp_stack_create() - make the pool, open the NIC, build the lanes; start
 * workers for PP_PLACE_SPLIT.
 * Return: 0 and *@out; -EINVAL for bad options; -ENOMEM; the NIC's errors
 * (-ENOENT unknown backend, -ENODEV, -EPERM, ...).
 * Context: control thread. Registers nothing on the calling thread.
 */
PP_API int pp_stack_create(const struct pp_stack_opts *opts, struct pp_stack **out);

/**
 * pp_stack_destroy() - stop workers, drain every lane (queued packets are
 * freed with PP_DROP_SHUTDOWN and counted), reap completions, close the
 * NIC, free everything. Sockets still open are closed. NULL is a no-op.
 * Context: control thread; no lane thread may be inside a pktpipe call.
 */
PP_API void pp_stack_destroy(struct pp_stack *st);

/**
 * pp_lane_attach() - declare the calling thread as lane @lane's thread:
 * registers it with RCU (QSBR) and, unless PP_STACK_F_NO_PIN, binds it to
 * the lane's core and names it "pp-lane/<lane>". Socket calls attach
 * implicitly on first use; call it explicitly to control when pinning happens.
 * Return: 0; -EINVAL bad lane; -EBUSY another thread is attached.
 * Context: the thread that will run the lane.
 */
PP_API int pp_lane_attach(struct pp_stack *st, unsigned int lane);

/**
 * pp_lane_detach() - the calling thread stops being the lane's thread
 * (unregisters from RCU). Return: 0 or -EINVAL.
 */
PP_API int pp_lane_detach(struct pp_stack *st, unsigned int lane);

/**
 * pp_lane_poll() - run the lane once: push what waits in its rings through
 * the stages, run neighbour timers, the qdiscs it drives, reap completions,
 * and announce an RCU quiescent state. A server calls it from its event loop
 * when it sends nothing (send calls run it themselves).
 * Return: packets moved (>= 0), or -EINVAL.
 * Context: the lane's thread.
 */
PP_API int pp_lane_poll(struct pp_stack *st, unsigned int lane);

/**
 * pp_lane_flush() - poll the lane until nothing it sent is still queued
 * (held packets whose neighbour is unresolved excepted) or @timeout_ms runs
 * out. Return: 0, -ETIMEDOUT, or -EINVAL.
 * Context: the lane's thread.
 */
PP_API int pp_lane_flush(struct pp_stack *st, unsigned int lane, unsigned int timeout_ms);

/**
 * pp_route_add() / pp_route_del() - IPv4 routes (network order). @gw 0 means
 * on-link. A default route is @prefix 0, @plen 0. Sockets' cached routes are
 * revalidated on the next packet.
 * Return: 0; -EINVAL; -EEXIST (add); -ENOENT (del); -ENOMEM.
 * Context: any control thread, while traffic flows.
 */
PP_API int pp_route_add(struct pp_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw);
PP_API int pp_route_del(struct pp_stack *st, uint32_t prefix, uint8_t plen);

/**
 * pp_neigh_add() - a static (permanent) neighbour entry, as
 * `ip neigh replace IP lladdr MAC nud permanent`.
 * pp_neigh_update() - resolution for @ip arrived (as an ARP reply does):
 * the entry becomes reachable and lanes flush what they held for it.
 * pp_neigh_del() - remove an entry.
 * Return: 0; -EINVAL; -ENOENT (del); -ENOMEM.
 * Context: any control thread, while traffic flows.
 */
PP_API int pp_neigh_add(struct pp_stack *st, uint32_t ip, const uint8_t mac[6]);
PP_API int pp_neigh_update(struct pp_stack *st, uint32_t ip, const uint8_t mac[6]);
PP_API int pp_neigh_del(struct pp_stack *st, uint32_t ip);

/**
 * pp_xps_set() - send lane @lane's packets on TX queue @queue, or hash
 * flows over the queues when @queue is -1 (cf. XPS, xps_cpus).
 * Return: 0 or -EINVAL.
 * Context: any control thread.
 */
PP_API int pp_xps_set(struct pp_stack *st, unsigned int lane, int queue);

/*
 * The stack's counters (stages, drops by reason, pool, NIC, qdisc) are read
 * by name: pp_stack_stats_names(), pp_stack_stats_read() and
 * pp_stack_stat_get() in pktpipe/stats.h, which lists the names.
 */

/**
 * pp_stack_nic_info() - how the NIC ended up set up, one line: the backend,
 * and for AF_XDP the XDP attach mode and bind mode actually in use
 * ("afxdp xdp=native bind=copy budget=32 txq=1 rxq=1 ring=2048 ...").
 * Return: a string owned by the stack (valid until it is destroyed), or ""
 * for a NULL stack.
 * Context: any thread.
 */
PP_API const char *pp_stack_nic_info(const struct pp_stack *st);

/** pp_stack_mac() - the interface MAC in use. Return: 0 or -EINVAL. */
PP_API int pp_stack_mac(const struct pp_stack *st, uint8_t mac[6]);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_STACK_H */
