/* SPDX-License-Identifier: MIT */
/*
 * dev.h (internal) - the device layer: one entry point down, receive handlers
 * by ethertype up (cf. net/core/dev.c: __dev_queue_xmit(), netdev_pick_tx(),
 * __dev_xmit_skb() + qdisc_run(), dev_add_pack(), __netif_receive_skb_core()).
 *
 * Transmit: pp__dev_queue_xmit() takes complete Ethernet frames from a lane
 * and owns them from then on: queue selection (XPS or flow hash) picks the TX
 * queue, and the queue's qdisc+driver stage sends or holds them. TX queue q is
 * driven by lane q % nlanes; a lane reaches a queue another lane drives (or,
 * in split placement, any queue) through one SPSC ring per (lane, queue).
 * In run-to-completion placement the frames of a queue this lane drives go
 * straight to its qdisc when that ring is empty (ring bypass: order kept).
 * In split placement the lane hands everything to its worker through one
 * ring, and the worker runs queue selection and the queues (the back poller).
 * A frame that cannot be taken is dropped with a reason and counted: a caller
 * that must not lose anything asks pp__dev_tx_room() first.
 *
 * Receive: pp__dev_poll_rx() reads the lane's RX queues, checks the Ethernet
 * header (ours, broadcast, or dropped), pulls it, sorts the burst by
 * ethertype and hands each handler registered with pp__dev_add_pack() its
 * frames, in order, data at the network header, PP_SKB_F_L2BCAST set on
 * link-layer broadcasts (cf. skb->pkt_type). A frame no handler wants is
 * dropped PP_DROP_UNSUPPORTED.
 *
 * Completion: inline in the driver stage, or one service thread per TX queue
 * (pp__dev_reap()).
 *
 * Threads: transmit, pp__dev_poll_rx and pp__dev_tx_room on the lane's
 * thread; pp__dev_poll_tx on the lane's thread (rtc) or its worker (split);
 * pp__dev_reap on the queue's completion thread. Setup and teardown on the
 * control path.
 */
#ifndef PP_PROTO_DEV_H
#define PP_PROTO_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <pktpipe/stack.h>

#include "core/pool.h"
#include "core/stage.h"
#include "nic/nic.h"
#include "proto/defaults.h"
#include "proto/qsel.h"
#include "proto/stack_stats.h"
#include "proto/txq.h"

/* skb->flags: received in a link-layer broadcast (cf. PACKET_BROADCAST) */
#define PP_SKB_F_L2BCAST 0x08

/*
 * A receive handler (cf. struct packet_type .func): @pkts[0..n) of its
 * ethertype, data at the network header, mac_off set; it owns them.
 */
typedef void (*pp_dev_rcv_fn)(void *ctx, uint16_t lane, struct pp_skb **pkts, uint16_t n);

#define PP_DEV_PACKS_MAX 4

struct pp_dev;

struct pp_dev_lane {
	uint16_t id;			/* const */
	struct pp_dev *dev;		/* const */
	struct pp_pool_cache *cache;	/* const: the lane thread's */
	struct pp_ring *r_qsel;		/* split: lane -> worker */
	struct pp_ring *r_txq[PP_TXQ_MAX]; /* (this lane, queue q); lane or worker produces */
	struct pp_stage s_qsel;		/* on the thread that runs queue selection */
	struct pp_stage s_rx;		/* Ethernet receive (the lane's "rx" counters) */
};

struct pp_dev_txq {
	struct pp_txq *txq;
	struct pp_stage s_qdisc;	/* on the driving lane's (or worker's) thread */
	struct pp_dev *dev;		/* const */
	struct pp_pool_cache *ccache;	/* completion thread's freer cache, or NULL */
	uint16_t id;			/* const */
	uint64_t reaped;		/* (C) frames reaped by the completion thread */
};

struct pp_dev {
	struct pp_nic *nic;		/* const */
	uint16_t nlanes, ntxq;		/* const */
	bool split;			/* const: a worker runs qsel and the queues */
	bool timed;			/* const: time the stages */
	uint8_t mac[6];			/* const: the interface's */
	uint8_t npack;			/* const after setup */
	struct {
		uint16_t type;		/* host order */
		pp_dev_rcv_fn fn;
		void *ctx;
	} pack[PP_DEV_PACKS_MAX];
	struct pp_qsel qsel;
	struct pp_dev_txq txqs[PP_TXQ_MAX];
	struct pp_dev_lane lanes[PP_LANES_MAX];
};

/*
 * struct pp_dev_params - what pp__dev_init() needs.
 * @lane_stats: per lane, its PP_STAGE_MAX counters (qsel, qdisc, rx rows are
 *		the device layer's).
 * @lane_cache / @worker_cache / @compl_cache: the pool caches of the lane
 *		threads, of the split workers (NULL: rtc), of the completion
 *		threads (NULL: reap inline).
 */
struct pp_dev_params {
	struct pp_nic *nic;
	uint16_t nlanes, ntxq;
	bool split, timed;
	const uint8_t *mac;
	uint32_t ring;		/* slots of the lane -> queue rings (0: PP_DEV_RING) */
	struct pp_txq_params txq;
	struct pp_stage_stats *lane_stats[PP_LANES_MAX];
	struct pp_pool_cache *lane_cache[PP_LANES_MAX];
	struct pp_pool_cache *worker_cache[PP_LANES_MAX];
	struct pp_pool_cache *compl_cache[PP_TXQ_MAX];
};

/*
 * pp__eth_type_trans() - the Ethernet receive check (cf. eth_type_trans()):
 * a frame to our MAC or to broadcast (PP_SKB_F_L2BCAST) has its header
 * pulled (mac_off set) and its ethertype (host order) returned; anything
 * else returns -1 with *@why the drop reason, the frame untouched.
 */
static inline int pp__eth_type_trans(struct pp_skb *skb, const uint8_t mac[6],
				     enum pp_drop_reason *why)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t *eth = pp_skb_data(skb);

	if (PP_UNLIKELY(skb->len < 14 || skb->frag)) {
		*why = PP_DROP_MALFORMED;
		return -1;
	}
	if (PP_UNLIKELY(memcmp(eth, mac, 6))) {
		if (memcmp(eth, bcast, 6)) {
			/* another host's, or a multicast group we never joined */
			*why = PP_DROP_NOT_FOR_US;
			return -1;
		}
		skb->flags |= PP_SKB_F_L2BCAST;
	}
	skb->mac_off = skb->data_off;
	pp_skb_pull(skb, 14);
	return (int)((unsigned int)eth[12] << 8 | eth[13]);
}

/* pp__dev_init() - queues, rings, XPS (lane k -> queue k % ntxq). Return: 0,
 * -EINVAL, -ENOMEM; on error pp__dev_fini() undoes what was made. */
int pp__dev_init(struct pp_dev *dev, const struct pp_dev_params *p);
/* pp__dev_add_pack() - frames of @type (host order) go to @fn(@ctx, lane, ...).
 * Return: 0; -EINVAL; -EEXIST; -ENOSPC. Context: control path, before traffic. */
int pp__dev_add_pack(struct pp_dev *dev, uint16_t type, pp_dev_rcv_fn fn, void *ctx);
/* pp__dev_drain() - drop (PP_DROP_SHUTDOWN) what waits in the rings; all
 * threads stopped, single-threaded. */
void pp__dev_drain(struct pp_dev *dev);
/* pp__dev_fini() - destroy the queues (their qdiscs freed, the NIC's frames
 * reaped) and rings. The NIC must have been stopped. */
void pp__dev_fini(struct pp_dev *dev);

/*
 * pp__dev_queue_xmit() - send complete Ethernet frames from lane @dl (cf.
 * dev_queue_xmit()). Takes all of @pkts.
 * Context: the lane's thread.
 */
void pp__dev_queue_xmit(struct pp_dev_lane *dl, struct pp_skb **pkts, uint16_t n);

/*
 * pp__dev_tx_room() - frames (return) and bytes (*@bytes) the device can take
 * from lane @dl now without dropping any (cf. netif_xmit_stopped()): the
 * smallest room over the queues the lane may pick, their (lane, queue) rings
 * included, less what still waits on the lane's way to them.
 * Context: the lane's thread.
 */
uint32_t pp__dev_tx_room(struct pp_dev_lane *dl, uint64_t *bytes);

/* pp__dev_lane_idle() - nothing from lane @dl waits in a ring or in a queue
 * it drives. Context: the lane's thread. */
bool pp__dev_lane_idle(struct pp_dev_lane *dl);

/* Pollers and services for the runtime (arg: struct pp_dev_lane * or
 * struct pp_dev_txq *). Return: packets moved. */
uint32_t pp__dev_poll_rx(void *dl);
uint32_t pp__dev_poll_tx(void *dl);
uint32_t pp__dev_reap(void *t);

/* pp__dev_stats_txq() - queue counters summed over queues, and the frames the
 * completion threads reaped. */
void pp__dev_stats(struct pp_dev *dev, struct pp_txq_stats *sum, uint64_t *reaped);

#endif /* PP_PROTO_DEV_H */
