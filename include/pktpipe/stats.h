/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/stats.h - drop reasons and the stack's counters, read by name.
 *
 * Every skb that leaves the journey early is freed with a reason from enum
 * pp_drop_reason and counted by the stage (and lane) that dropped it.
 *
 * Counters are read by name, as DPDK's xstats (rte_eth_xstats_get_names() /
 * rte_eth_xstats_get()) and `ethtool -S` do, so that a new stage, drop
 * reason or counter only adds names: nothing in this header changes size
 * when the library grows. A reader asks for the names once (they are fixed
 * for the life of a stack) and then reads the values as often as it likes,
 * in the same order:
 *
 *   int n = pp_stack_stats_names(st, NULL, 0);          // how many
 *   struct pp_stat_name *names = calloc(n, sizeof(*names));
 *   uint64_t *v = calloc(n, sizeof(*v));
 *   pp_stack_stats_names(st, names, n);
 *   pp_stack_stats_read(st, v, n);                      // again and again
 *
 * or one counter at a time with pp_stack_stat_get(st, "ip.drops.no_route", &v).
 *
 * Names (lower case, dot separated, stable: a name once published keeps its
 * meaning; new ones are added, old ones are not renamed):
 *
 *   stack.nlanes, stack.ntxq      lanes and TX queues of the stack
 *   stack.tsc_hz                  TSC rate used to turn stage time into ns
 *                                 (0 when stages are not timed)
 *   pool.nframes, pool.allocs, pool.frees, pool.in_use, pool.alloc_fail,
 *   pool.bad_free                 frame accounting: allocs == frees + in_use
 *   nic.tx_packets, nic.tx_bytes, nic.tx_completed, nic.tx_kicks,
 *   nic.rx_packets                what the NIC backend counted
 *   qdisc.bypass                  packets that skipped the qdisc (empty
 *                                 queue, driver ready: TCQ_F_CAN_BYPASS)
 *   qdisc.backlog                 packets queued in the qdiscs now
 *   completion.reaped             frames reaped by completion threads
 *   completion.sleeps             times completion threads slept idle
 *   tcp.active_opens, tcp.passive_opens, tcp.attempt_fails,
 *   tcp.estab_resets, tcp.in_segs, tcp.out_segs, tcp.retrans_segs,
 *   tcp.out_rsts, tcp.bad_segs    as the kernel's Tcp: row of /proc/net/snmp
 *                                 (ActiveOpens ... InErrs)
 *   tcp.rto, tcp.fast_retrans     retransmission timeouts, fast retransmits
 *                                 (TcpExt TCPTimeouts, TCPFastRetrans)
 *   tcp.syn_dropped, tcp.listen_overflows
 *                                 SYNs a listener dropped, and for a full
 *                                 SYN or accept queue (ListenDrops,
 *                                 ListenOverflows)
 *   tcp.ooo_dropped, tcp.rcvq_dropped, tcp.handoff_dropped
 *                                 data over the receive bound, out of order
 *                                 and in order; segments the owning lane's
 *                                 hand-over ring had no room for
 *   tcp.ts_paws_rejects, tcp.timewait_recycled
 *                                 PAWS rejections; SYNs that reopened a
 *                                 TIME_WAIT pair
 *
 * then, for every STAGE in journey order (udp, ip, neigh, qsel, qdisc, tx,
 * completion, rx, arp, icmp, tcp; new stages are added), summed over lanes:
 *
 *   STAGE.packets, STAGE.bytes    skbs the stage handled (in), their bytes
 *   STAGE.ns                      time spent in the stage (stage timing on)
 *   STAGE.ring_occ                input ring occupancy summed over calls
 *   STAGE.bursts.1, .bursts.2-3, .bursts.4-7, .bursts.8-15, .bursts.16-31,
 *   .bursts.32-63, .bursts.64-127, .bursts.128+
 *                                 calls by burst size
 *   STAGE.drops                   all drops of the stage
 *   STAGE.drops.REASON            drops by reason: pp_drop_reason_name()
 *                                 of every reason but "none"
 *
 * and the same per lane k (0 .. stack.nlanes - 1): laneK.STAGE.packets,
 * laneK.STAGE.drops.REASON, ... (e.g. "lane1.qdisc.bytes"). The tx and
 * completion totals come from the NIC's counters.
 *
 * Counters are written by one thread each with relaxed atomic stores and
 * read with relaxed loads: a read never tears a 64-bit counter, but values
 * of different counters are not one atomic snapshot.
 */
#ifndef PKTPIPE_STATS_H
#define PKTPIPE_STATS_H

#include <stdint.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_stack;

/**
 * enum pp_drop_reason - why an skb left the journey (cf. the kernel's enum
 * skb_drop_reason). The values name the reasons for pp_drop_reason_name();
 * new reasons are added before PP_DROP_MAX, so PP_DROP_MAX is not part of
 * the ABI: do not size arrays that cross the library boundary with it, read
 * counters by name instead.
 */
enum pp_drop_reason {
	PP_DROP_NONE = 0,
	PP_DROP_NO_ROUTE,	  /* no route to the destination */
	PP_DROP_NEIGH_FAILED,	  /* neighbour resolution failed */
	PP_DROP_NEIGH_QUEUE_FULL, /* neighbour pending queue full (oldest dropped) */
	PP_DROP_QDISC_FULL,	  /* qdisc over its packet or byte limit */
	PP_DROP_RING_FULL,	  /* next stage's ring full */
	PP_DROP_NO_BUFFER,	  /* no frame to build a packet (e.g. ARP request) */
	PP_DROP_TOO_BIG,	  /* larger than the MTU and may not fragment */
	PP_DROP_TX_ERROR,	  /* the NIC refused or failed the frame */
	PP_DROP_NIC_DOWN,	  /* interface down or NIC stopped */
	PP_DROP_MALFORMED,	  /* RX: header lengths or fields invalid */
	PP_DROP_BAD_CSUM,	  /* RX: checksum wrong */
	PP_DROP_NOT_FOR_US,	  /* RX: other host's address or MAC */
	PP_DROP_NO_SOCKET,	  /* RX: no socket bound to the port */
	PP_DROP_RCVQ_FULL,	  /* RX: socket receive queue full */
	PP_DROP_TTL,		  /* TTL expired */
	PP_DROP_FRAG_TIMEOUT,	  /* RX: reassembly timed out */
	PP_DROP_FRAG_OVERFLOW,	  /* RX: reassembly out of memory or bad fragment */
	PP_DROP_UNSUPPORTED,	  /* protocol or option not handled */
	PP_DROP_SHUTDOWN,	  /* freed at stack destruction while queued */
	PP_DROP_SOCKET_CLOSE,	  /* RX: queued on a socket closed before reading it */
	PP_DROP_TCP_FLAGS,	  /* TCP: flags invalid for the state (SYN+FIN, no ACK, ...) */
	PP_DROP_TCP_OLD_DATA,	  /* TCP: data already received (a duplicate) */
	PP_DROP_TCP_INVALID_SEQ,  /* TCP: outside the receive window */
	PP_DROP_TCP_INVALID_ACK,  /* TCP: acknowledges what was never sent */
	PP_DROP_TCP_PAWS,	  /* TCP: timestamp older than ts_recent (RFC 7323 PAWS) */
	PP_DROP_TCP_OFO_DROP,	  /* TCP: out-of-order data over the receive buffer */
	PP_DROP_TCP_LISTEN_OVERFLOW, /* TCP: SYN or accept queue full */
	PP_DROP_TCP_CLOSE,	  /* TCP: data for a socket that can take no more (closed, shut) */
	PP_DROP_SOCKET_BACKLOG,	  /* TCP: the owning lane's handover ring full */
	PP_DROP_MAX		  /* not ABI: grows with new reasons */
};

/**
 * pp_drop_reason_name() - short lower-case name of a reason ("no_route"),
 * as it appears in the counter names ("ip.drops.no_route").
 * Return: a static string; "unknown" for a value out of range.
 * Context: any.
 */
PP_API const char *pp_drop_reason_name(unsigned int reason);

/* One writer: a relaxed load and store compile to a plain add, and readers
 * on other threads never see a torn value. (Macros: no ABI.) */
#define PP_STAT_ADD(field, v)                                                       \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (v), \
			 __ATOMIC_RELAXED)
#define PP_STAT_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/** Room for one counter name, with its NUL (cf. RTE_ETH_XSTATS_NAME_SIZE). */
#define PP_STAT_NAME_LEN 64

/** struct pp_stat_name - one counter's name, NUL terminated. */
struct pp_stat_name {
	char name[PP_STAT_NAME_LEN];
};

/**
 * pp_stack_stats_names() - the names of every counter of @st, in the order
 * pp_stack_stats_read() returns their values. The list is fixed for the
 * life of the stack.
 * Return: the number of counters. When @n is smaller than that (call with
 * @names NULL and @n 0 to size the arrays) nothing is written; otherwise
 * @names[0..ret) are filled. -EINVAL for a NULL @st, or NULL @names with
 * @n > 0.
 * Context: any thread, while traffic flows.
 */
PP_API int pp_stack_stats_names(struct pp_stack *st, struct pp_stat_name *names, unsigned int n);

/**
 * pp_stack_stats_read() - the value of every counter of @st, in the order
 * of pp_stack_stats_names().
 * Return: the number of counters; nothing is written when @n is smaller.
 * -EINVAL as pp_stack_stats_names(); -ENOMEM.
 * Context: any thread, while traffic flows (control path: it allocates).
 */
PP_API int pp_stack_stats_read(struct pp_stack *st, uint64_t *values, unsigned int n);

/**
 * pp_stack_stat_get() - one counter by name ("ip.drops.no_route",
 * "lane1.qdisc.bytes", "pool.in_use").
 * Return: 0 and *@value; -ENOENT for a name the stack does not have (a lane
 * it does not run included); -EINVAL for NULL arguments; -ENOMEM.
 * Context: any thread, while traffic flows (control path: it allocates).
 */
PP_API int pp_stack_stat_get(struct pp_stack *st, const char *name, uint64_t *value);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_STATS_H */
