/* SPDX-License-Identifier: MIT */
/*
 * txq.h (internal) - one NIC TX queue: its qdisc (pfifo_fast) and the driver
 * stage that feeds the NIC, with byte queue limits (cf. __dev_xmit_skb(),
 * __qdisc_run(), qdisc_restart(), sch_direct_xmit(), pfifo_fast_enqueue/
 * dequeue(), netdev_tx_sent_queue()/netdev_tx_completed_queue()).
 *
 * The path of a burst:
 *   - bypass (TCQ_F_CAN_BYPASS): while the qdisc is empty and the driver has
 *     room, skbs go straight to the NIC's xmit_burst();
 *   - otherwise they are enqueued on pfifo_fast's three bands (skb->prio, the
 *     kernel's skb->priority, through prio2band) up to a frame and a byte
 *     limit (over it: dropped with PP_DROP_QDISC_FULL), and dequeued in bursts
 *     (band 0 first, FIFO inside a band) while the driver has room;
 *   - "room" is min(NIC descriptors free, BQL): the NIC is given bytes while
 *     the bytes in flight (handed to it, not yet completed) do not exceed the
 *     BQL limit;
 *   - what the NIC does not take stays queued (requeued first in line, cf.
 *     dev_requeue_skb()): a full ring never drops;
 *   - completions are reaped NAPI-style (pp__txq_reap()), inline by the owner
 *     or by a completion thread, which frees the frames and moves BQL.
 *
 * Units: an skb with a fragment chain counts as chain-length frames (each is
 * one frame on the wire and one descriptor) and its total bytes, in every
 * limit and counter here (qlen, limits, bypassed, dequeued, drops, in flight).
 * The stage counters (pp_stage_stats) count skbs, as every stage does.
 *
 * BQL is dynamic, as lib/dynamic_queue_limits.c: the limit grows when the
 * queue starved while it was held back by the limit (everything completed and
 * the driver had more to send), and shrinks by the smallest slack seen over a
 * hold period when the queue stayed busy with more in flight than it needed.
 * The hold is counted in completion intervals (reaps that completed something)
 * rather than the kernel's one second of jiffies, so it adapts as fast as the
 * reaper runs and behaves the same in tests. bql_min == bql_max makes it a
 * static limit.
 *
 * Concurrency: one owner thread (the queue's driver thread) per txq, and one
 * reaper at a time (the owner when reaping inline, else a completion thread).
 *
 *   call             | thread             | may run concurrently with
 *   -----------------+--------------------+------------------------------------
 *   xmit, run        | owner              | reap (other thread), stats, idle
 *   reap             | reaper (one)       | xmit, run, stats, idle
 *   stats, idle      | any                | anything (snapshots)
 *   create, destroy  | control path       | nothing on that txq
 *
 * The owner writes the qdisc and the "sent" counters, the reaper the
 * "completed" counters and the BQL limit: each counter has a single writer and
 * nothing is read-modify-written across threads.
 */
#ifndef PP_PROTO_TXQ_H
#define PP_PROTO_TXQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pool.h"
#include "core/stage.h"
#include "nic/nic.h"
#include "proto/defaults.h" /* PP_TXQ_*: defaults of zero fields below */

/* TC_PRIO_* values of skb->prio (cf. include/uapi/linux/pkt_sched.h) */
#define PP_TC_PRIO_BESTEFFORT 0
#define PP_TC_PRIO_FILLER 1
#define PP_TC_PRIO_BULK 2
#define PP_TC_PRIO_INTERACTIVE_BULK 4
#define PP_TC_PRIO_INTERACTIVE 6
#define PP_TC_PRIO_CONTROL 7
#define PP_TC_PRIO_MAX 15

/* pfifo_fast bands */
#define PP_TXQ_BANDS 3

/*
 * struct pp_txq_params - zero fields take the default.
 * @limit_pkts: frames the qdisc holds (default PP_TXQ_LIMIT_PKTS).
 * @limit_bytes: bytes the qdisc holds (default limit_pkts * PP_FRAME_2K, so
 *		 the frame limit decides for any MTU-sized traffic).
 * @bql_min: lowest BQL limit in bytes (default burst * PP_FRAME_2K: one full
 *	     burst may always be in flight).
 * @bql_max: highest BQL limit in bytes (default PP_TXQ_BQL_MAX_DEFAULT);
 *	     the limit starts at @bql_min, as dql_reset() does.
 * @burst: skbs per dequeue and per xmit_burst call (default PP_BURST, at most
 *	   PP_BURST_MAX).
 * @inline_reap: the owner reaps completions itself after each xmit and run.
 */
struct pp_txq_params {
	uint32_t limit_pkts;
	uint32_t limit_bytes;
	uint32_t bql_min, bql_max;
	uint16_t burst;
	bool inline_reap;
};

/*
 * struct pp_txq_stats - snapshot of one TX queue; frames and bytes count every
 * frame of a fragment chain.
 */
struct pp_txq_stats {
	uint32_t qlen;			/* frames waiting in the qdisc */
	uint32_t backlog;		/* their bytes */
	uint64_t enqueued;		/* frames that went into the qdisc */
	uint64_t bypassed;		/* frames sent straight to the NIC (empty qdisc) */
	uint64_t dequeued;		/* frames dequeued and taken by the NIC */
	uint64_t requeues;		/* xmit calls where the NIC took less than offered */
	uint64_t drops;			/* frames dropped: qdisc full */
	uint64_t tx_errors;		/* frames dropped: chain larger than the NIC can take */
	uint64_t shutdown;		/* frames freed by destroy while queued */
	uint64_t sent;			/* frames handed to the NIC (bypassed + dequeued) */
	uint64_t sent_bytes;
	uint64_t completed;		/* frames reaped */
	uint64_t completed_bytes;
	uint64_t inflight;		/* bytes handed to the NIC and not completed */
	uint64_t inflight_frames;
	uint32_t bql_limit;		/* current BQL limit, bytes */
};

struct pp_txq;

/*
 * pp__tos_to_prio() - skb->priority for an IPv4 TOS (cf. rt_tos2priority()
 * and ip_tos2prio[]): what the socket layer stores in skb->prio.
 * Return: a TC_PRIO_* value (0..7).
 * Context: any.
 */
uint8_t pp__tos_to_prio(uint8_t tos);

/*
 * pp__txq_band() - pfifo_fast band of a TC priority (cf. prio2band[]):
 * 0 is dequeued first. Only the low 4 bits count (cf. TC_PRIO_MAX).
 * Context: any.
 */
uint8_t pp__txq_band(uint8_t prio);

/*
 * pp__txq_create() - the qdisc and driver state of TX queue @queue of @nic.
 * @p: parameters, or NULL for the defaults.
 * Return: 0 and *@out; -EINVAL (NULL @nic or @out, @queue >= nic->ntxq, NIC
 * without xmit_burst/tx_complete/tx_room, @burst > PP_BURST_MAX, bql_min >
 * bql_max after defaults); -ENOMEM.
 * Context: control path.
 */
int pp__txq_create(struct pp_nic *nic, uint16_t queue, const struct pp_txq_params *p,
		   struct pp_txq **out);

/*
 * pp__txq_destroy() - free every queued skb with PP_DROP_SHUTDOWN (counted in
 * the qdisc stage's counters last passed to xmit/run, if any, so they must
 * outlive the txq), reap and free every completion the NIC hands back, then
 * free the txq. Frames the NIC still holds after that are its own to hand
 * back at close (see nic.h). NULL @txq is a no-op; with a NULL @c nothing
 * can be freed, so only the txq itself is (its skbs are leaked).
 * Context: control path; neither the owner nor a reaper may be running.
 */
void pp__txq_destroy(struct pp_txq *txq, struct pp_pool_cache *c);

/*
 * pp__txq_xmit() - the "qdisc" stage (st->ctx is the txq): takes pkts[0..n),
 * bypasses to the NIC or enqueues each, drops over the limit
 * (PP_DROP_QDISC_FULL), dequeues what the driver has room for, and reaps
 * inline if the txq does.
 * Return: 0 (the end of the pipeline; nothing is written to @out).
 * Context: the owner thread; st->cache is its pool cache.
 */
uint16_t pp__txq_xmit(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
		      struct pp_skb **out);

/*
 * pp__txq_run() - dequeue and hand to the NIC what the driver has room for now
 * (cf. net_tx_action() -> qdisc_run()), then reap inline if the txq does.
 * The lane loop calls it every iteration, work or not, so that completions
 * are reaped and a stalled queue restarts when the NIC frees room.
 * Return: frames handed to the NIC.
 * Context: the owner thread; @st is the txq's qdisc stage.
 */
uint32_t pp__txq_run(struct pp_txq *txq, struct pp_stage *st);

/*
 * pp__txq_reap() - reap up to @budget completed frames from the NIC (cf. a
 * driver's NAPI TX clean), free them into @c and account them in BQL
 * (cf. netdev_tx_completed_queue() -> dql_completed()).
 * Return: frames reaped.
 * Context: one reaper at a time: the owner (inline) or a completion thread
 * owning @c, concurrently with the owner's xmit/run.
 */
uint32_t pp__txq_reap(struct pp_txq *txq, struct pp_pool_cache *c, uint16_t budget);

/*
 * pp__txq_idle() - true if nothing is queued and nothing is in flight (every
 * frame handed to the NIC has been reaped). A snapshot from any thread.
 */
bool pp__txq_idle(const struct pp_txq *txq);

/*
 * pp__txq_room() - frames the qdisc takes before its packet limit drops them,
 * and in *@bytes (if not NULL) the bytes before its byte limit does. The
 * socket layer checks both before sending, so a sender outrunning the NIC
 * waits (or gets a short count) instead of losing datagrams in the qdisc: the
 * role sk_sndbuf plays for a kernel UDP socket.
 * Context: any thread (a snapshot).
 */
uint32_t pp__txq_room(const struct pp_txq *txq, uint64_t *bytes);

/*
 * pp__txq_stats() - snapshot of the counters into @st (zeroed for a NULL
 * @txq).
 * Context: any thread.
 */
void pp__txq_stats(const struct pp_txq *txq, struct pp_txq_stats *st);

#endif /* PP_PROTO_TXQ_H */
