/* SPDX-License-Identifier: MIT */
/*
 * qsel.h (internal) - TX queue selection, the device-agnostic layer between
 * the neighbour and the qdisc (cf. netdev_core_pick_tx(), netdev_pick_tx(),
 * get_xps_queue(), skb_tx_hash()).
 *
 * A lane picks the TX queue of each skb: its XPS entry when one is set (the
 * kernel's CPU -> queue map, here lane -> queue: a lane sending to "its own"
 * queue keeps the (lane, queue) ring hot and never shares it), else the flow
 * hash of the skb scaled onto the queues, so one flow always takes the same
 * queue and is never reordered. The hash is computed once per flow: the socket
 * caches it (sk_txhash) and stores it in skb->hash; only an skb without one has
 * its headers parsed here (cf. skb_get_hash()).
 *
 * Concurrency: struct pp_qsel is written on the control path (init, set_xps)
 * and read by every lane; a lane must not pick while the control path writes
 * (the stack configures XPS before lanes start).
 */
#ifndef PP_PROTO_QSEL_H
#define PP_PROTO_QSEL_H

#include <stdint.h>

#include <pktpipe/skb.h>

#include "core/stage.h"

/** Lanes an XPS map covers; a lane above it always uses the flow hash. */
#define PP_QSEL_LANES_MAX 64
/** Most TX queues: every queue index fits the int16_t map entries. */
#define PP_QSEL_TXQ_MAX 32768

/*
 * struct pp_qsel - queue selection state, shared read-only by the lanes.
 * @ntxq: TX queues (const after init).
 * @xps: per lane, the queue it sends to, or -1 (hash).
 */
struct pp_qsel {
	uint16_t ntxq;
	int16_t xps[PP_QSEL_LANES_MAX];
};

/*
 * pp__qsel_init() - @ntxq queues, no XPS entry.
 * Return: 0, or -EINVAL (NULL @q, @ntxq 0 or above PP_QSEL_TXQ_MAX).
 * Context: control path.
 */
int pp__qsel_init(struct pp_qsel *q, uint16_t ntxq);

/*
 * pp__qsel_set_xps() - make lane @lane send to @queue (cf. writing
 * /sys/class/net/DEV/queues/tx-N/xps_cpus); @queue -1 clears the entry.
 * Return: 0, or -EINVAL (NULL @q, @lane >= PP_QSEL_LANES_MAX, @queue < -1 or
 * >= ntxq).
 * Context: control path, before the lanes pick.
 */
int pp__qsel_set_xps(struct pp_qsel *q, uint16_t lane, int queue);

/*
 * pp__flow_hash() - flow hash of an IPv4 5-tuple, as the kernel's
 * __flow_hash_from_keys() (which takes jhash, now siphash, of the dissected
 * keys and turns 0 into 1).
 *
 * All arguments in network byte order, exactly as the headers carry them, so
 * that the socket's cached hash (sk_txhash) equals what pp__qsel_pick()
 * computes by parsing the same packet. Ports are 0 for a protocol without
 * them, and for IPv4 fragments (only the addresses and protocol are in every
 * fragment, so all fragments of a datagram hash alike).
 *
 * The mix is Bob Jenkins' lookup3 final() over the three words (saddr, daddr,
 * sport << 16 | dport), with @proto folded into the initial value: the
 * kernel's jhash_3words(). Every input bit flips each output bit with
 * probability close to 1/2, so the high bits that reciprocal scaling uses
 * are as good as the low ones. The seed is fixed (not random per boot as the
 * kernel's hashrnd): picking queues is not a security boundary, and a fixed
 * seed keeps runs and tests reproducible.
 *
 * Return: the hash, never 0 (0 means "not computed" in skb->hash).
 * Context: any.
 */
uint32_t pp__flow_hash(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
		       uint8_t proto);

/*
 * pp__qsel_pick() - the TX queue for @skb sent by lane @lane (cf.
 * netdev_pick_tx()): the lane's XPS entry if set, else skb->hash scaled to
 * [0, ntxq) with reciprocal_scale() (hash * ntxq >> 32: the high bits, no
 * division). An skb with hash 0 gets it computed from its IPv4 and UDP/TCP
 * headers at net_off/trans_off and stored (cf. skb_get_hash()); an skb whose
 * headers cannot be parsed keeps hash 0 and goes to queue 0, as the kernel's
 * flow dissector gives 0 for what it cannot dissect.
 * Does not write skb->queue.
 * Return: the queue, below q->ntxq.
 * Context: any lane; @q must have been initialised.
 */
uint16_t pp__qsel_pick(const struct pp_qsel *q, uint16_t lane, struct pp_skb *skb);

/*
 * pp__qsel_stage() - the "qsel" stage: st->ctx is a const struct pp_qsel *,
 * the lane is st->lane. Sets skb->queue on each skb and passes all of them
 * through to @out in order.
 * Return: @n.
 * Context: the thread running the lane's qsel stage.
 */
uint16_t pp__qsel_stage(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
			struct pp_skb **out);

#endif /* PP_PROTO_QSEL_H */
