// SPDX-License-Identifier: MIT
/*
 * dev.c - the device layer (dev.h): queue selection, the TX queues' qdisc and
 * driver, completion, and receive by ethertype.
 *
 * cf. net/core/dev.c: __dev_queue_xmit() -> netdev_core_pick_tx() ->
 * __dev_xmit_skb() (qdisc bypass, then qdisc_run()), NET_TX softirq for a
 * queue driven elsewhere; __netif_receive_skb_core() -> deliver_skb() for
 * each packet_type registered with dev_add_pack().
 */
#include <errno.h>
#include <string.h>

#include "proto/dev.h"

int pp__dev_init(struct pp_dev *dev, const struct pp_dev_params *p)
{
	uint32_t ring;
	int err;

	if (!dev || !p || !p->nic || !p->nlanes || p->nlanes > PP_LANES_MAX || !p->ntxq ||
	    p->ntxq > PP_TXQ_MAX || !p->mac)
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->nic = p->nic;
	dev->nlanes = p->nlanes;
	dev->ntxq = p->ntxq;
	dev->split = p->split;
	dev->timed = p->timed;
	memcpy(dev->mac, p->mac, 6);
	ring = p->ring ? p->ring : PP_DEV_RING;
	err = pp__qsel_init(&dev->qsel, p->ntxq);
	if (err)
		return err;
	for (uint16_t k = 0; k < p->nlanes; k++) {
		struct pp_dev_lane *dl = &dev->lanes[k];
		struct pp_pool_cache *wc = p->split ? p->worker_cache[k] : p->lane_cache[k];

		dl->id = k;
		dl->dev = dev;
		dl->cache = p->lane_cache[k];
		if (p->split && (err = pp_ring_create(ring, 0, &dl->r_qsel)))
			goto err;
		for (uint16_t q = 0; q < p->ntxq; q++)
			if ((err = pp_ring_create(ring, 0, &dl->r_txq[q])))
				goto err;
		pp__qsel_set_xps(&dev->qsel, k, k % p->ntxq);
		dl->s_qsel = (struct pp_stage){
			.name = "qsel", .ctx = &dev->qsel, .cache = wc,
			.stats = &p->lane_stats[k][PP_STAGE_QSEL], .lane = k,
			.out_cap = PP_STAGE_OUT_CAP,
		};
		/* the lane's RX queues get their buffers now, not at its first
		 * poll (no lane runs yet: its cache is ours to use) */
		for (uint16_t q = k; q < p->nic->nrxq; q = (uint16_t)(q + p->nlanes))
			pp__nic_rx_fill(p->nic, q, dl->cache);
		dl->s_rx = (struct pp_stage){
			.name = "rx", .ctx = dl, .cache = dl->cache,
			.stats = &p->lane_stats[k][PP_STAGE_RX], .lane = k,
			.out_cap = PP_STAGE_OUT_CAP,
		};
	}
	for (uint16_t q = 0; q < p->ntxq; q++) {
		struct pp_dev_txq *t = &dev->txqs[q];
		uint16_t owner = (uint16_t)(q % p->nlanes);

		err = pp__txq_create(p->nic, q, &p->txq, &t->txq);
		if (err)
			goto err;
		t->s_qdisc = (struct pp_stage){
			.name = "qdisc", .ctx = t->txq,
			.cache = p->split ? p->worker_cache[owner] : p->lane_cache[owner],
			.stats = &p->lane_stats[owner][PP_STAGE_QDISC], .lane = owner,
			.out_cap = PP_STAGE_OUT_CAP,
		};
		t->dev = dev;
		t->id = q;
		t->ccache = p->compl_cache[q];
	}
	return 0;
err:
	pp__dev_fini(dev);
	return err;
}

int pp__dev_add_pack(struct pp_dev *dev, uint16_t type, pp_dev_rcv_fn fn, void *ctx)
{
	if (!dev || !fn)
		return -EINVAL;
	for (uint8_t i = 0; i < dev->npack; i++)
		if (dev->pack[i].type == type)
			return -EEXIST;
	if (dev->npack >= PP_DEV_PACKS_MAX)
		return -ENOSPC;
	dev->pack[dev->npack].type = type;
	dev->pack[dev->npack].fn = fn;
	dev->pack[dev->npack].ctx = ctx;
	dev->npack++;
	return 0;
}

/* ---- transmit ------------------------------------------------------------ */

/* Drive TX queue @t with a burst (the qdisc+driver stage). */
static inline void txq_input(struct pp_dev *dev, struct pp_dev_txq *t, struct pp_skb **pkts,
			     uint16_t n)
{
	struct pp_skb *none[1];

	pp_stage_call(&t->s_qdisc, pp__txq_xmit, pkts, n, none, dev->timed);
}

/* Pull every lane's ring into TX queue @q and run its qdisc (cf. net_tx_action()). */
static uint32_t txq_poll(struct pp_dev *dev, uint16_t q)
{
	struct pp_dev_txq *t = &dev->txqs[q];
	struct pp_skb *burst[PP_BURST];
	uint32_t moved = 0;

	for (uint16_t j = 0; j < dev->nlanes; j++) {
		struct pp_ring *r = dev->lanes[j].r_txq[q];
		uint32_t n = pp_ring_dequeue_burst(r, (void **)burst, PP_BURST);

		if (n) {
			PP_STAT_ADD(t->s_qdisc.stats->ring_occ, pp_ring_count(r) + n);
			txq_input(dev, t, burst, (uint16_t)n);
			moved += n;
		}
	}
	moved += pp__txq_run(t->txq, &t->s_qdisc);
	return moved;
}

/* Queue selection, then each run of the same queue as one burst, in order:
 * straight into a queue this thread drives when its ring is empty (@drive),
 * else through the (lane, queue) ring. */
static void xmit_pick(struct pp_dev_lane *dl, struct pp_skb **pkts, uint16_t n, bool drive)
{
	struct pp_dev *dev = dl->dev;
	struct pp_stage *qs = &dl->s_qsel;
	struct pp_skb *sel[PP_STAGE_OUT_CAP];
	uint16_t m = pp_stage_call(qs, pp__qsel_stage, pkts, n, sel, dev->timed);
	uint16_t i = 0;

	while (i < m) {
		uint16_t q = sel[i]->queue, j = (uint16_t)(i + 1);

		while (j < m && sel[j]->queue == q)
			j++;
		uint16_t cnt = (uint16_t)(j - i);
		struct pp_ring *r = dl->r_txq[q];

		if (drive && (q % dev->nlanes) == dl->id && pp_ring_empty(r)) {
			txq_input(dev, &dev->txqs[q], &sel[i], cnt); /* ring bypass */
		} else {
			uint32_t ok = pp_ring_enqueue_burst(r, (void *const *)&sel[i], cnt);

			for (uint32_t k = ok; k < cnt; k++)
				pp_stage_drop(qs, sel[i + k], PP_DROP_RING_FULL);
		}
		i = j;
	}
}

void pp__dev_queue_xmit(struct pp_dev_lane *dl, struct pp_skb **pkts, uint16_t n)
{
	if (!n)
		return;
	if (!dl->dev->split) {
		for (uint16_t i = 0; i < n; i = (uint16_t)(i + PP_BURST_MAX)) {
			uint16_t m = (uint16_t)(n - i < PP_BURST_MAX ? n - i : PP_BURST_MAX);

			xmit_pick(dl, pkts + i, m, true);
		}
		return;
	}
	uint32_t ok = pp_ring_enqueue_burst(dl->r_qsel, (void *const *)pkts, n);

	for (uint32_t k = ok; k < n; k++)
		pp_stage_drop(&dl->s_qsel, pkts[k], PP_DROP_RING_FULL);
}

uint32_t pp__dev_poll_tx(void *arg)
{
	struct pp_dev_lane *dl = arg;
	struct pp_dev *dev = dl->dev;
	uint32_t moved = 0;

	if (dev->split) {
		struct pp_skb *in[PP_BURST];
		uint32_t n = pp_ring_dequeue_burst(dl->r_qsel, (void **)in, PP_BURST);

		if (n) {
			PP_STAT_ADD(dl->s_qsel.stats->ring_occ, pp_ring_count(dl->r_qsel) + n);
			xmit_pick(dl, in, (uint16_t)n, false);
			moved += n;
		}
	}
	for (uint16_t q = dl->id; q < dev->ntxq; q = (uint16_t)(q + dev->nlanes))
		moved += txq_poll(dev, q);
	return moved;
}

uint32_t pp__dev_reap(void *arg)
{
	struct pp_dev_txq *t = arg;
	uint32_t n = pp__txq_reap(t->txq, t->ccache, 256);

	if (n)
		PP_STAT_ADD(t->reaped, n);
	return n;
}

uint32_t pp__dev_tx_room(struct pp_dev_lane *dl, uint64_t *bytes)
{
	struct pp_dev *dev = dl->dev;
	int q = dev->qsel.xps[dl->id];
	uint32_t room = UINT32_MAX;
	uint64_t broom = UINT64_MAX;
	uint64_t pending = dev->split ? pp_ring_count(dl->r_qsel) : 0;
	uint64_t pbytes = pending * (dev->nic->mtu + 14u);

	for (uint16_t i = 0; i < dev->ntxq; i++) {
		if (q >= 0 && i != q)
			continue;
		uint64_t b;
		uint32_t r = pp__txq_room(dev->txqs[i].txq, &b);
		/* the lane reaches queue i through its (lane, queue) ring, which
		 * drops when full (a queue another lane drives, or any in split
		 * placement): its room counts too */
		uint32_t rr = pp_ring_free_count(dl->r_txq[i]);

		if (rr < r)
			r = rr;
		if (r < room)
			room = r;
		if (b < broom)
			broom = b;
	}
	if (dev->split) {
		uint32_t rr = pp_ring_free_count(dl->r_qsel);

		if (rr < room)
			room = rr;
	}
	*bytes = broom > pbytes ? broom - pbytes : 0;
	return room > pending ? (uint32_t)(room - pending) : 0;
}

bool pp__dev_lane_idle(struct pp_dev_lane *dl)
{
	struct pp_dev *dev = dl->dev;

	if (dl->r_qsel && !pp_ring_empty(dl->r_qsel))
		return false;
	for (uint16_t q = 0; q < dev->ntxq; q++)
		if (!pp_ring_empty(dl->r_txq[q]))
			return false;
	for (uint16_t q = dl->id; q < dev->ntxq; q = (uint16_t)(q + dev->nlanes))
		if (!pp__txq_idle(dev->txqs[q].txq))
			return false;
	return true;
}

/* ---- receive ------------------------------------------------------------- */

/* Sort one burst by handler, keeping each handler's frames in order. */
static void rx_dispatch(struct pp_dev_lane *dl, struct pp_skb **pkts, uint16_t n)
{
	struct pp_dev *dev = dl->dev;
	struct pp_skb *by[PP_DEV_PACKS_MAX][PP_BURST];
	uint16_t cnt[PP_DEV_PACKS_MAX] = {0};

	pp_stage_count_in(&dl->s_rx, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = pkts[i];
		enum pp_drop_reason why;
		int type;

		if (i + 1 < n)
			__builtin_prefetch(pp_skb_data(pkts[i + 1]));
		type = pp__eth_type_trans(skb, dev->mac, &why);
		if (PP_UNLIKELY(type < 0)) {
			pp_stage_drop(&dl->s_rx, skb, why);
			continue;
		}
		uint8_t h = 0;

		while (h < dev->npack && dev->pack[h].type != type)
			h++;
		if (PP_UNLIKELY(h == dev->npack)) {
			/* 802.1Q, IPv6, ...: no handler (cf. the kernel's
			 * SKB_DROP_REASON_UNHANDLED_PROTO) */
			pp_stage_drop(&dl->s_rx, skb, PP_DROP_UNSUPPORTED);
			continue;
		}
		by[h][cnt[h]++] = skb;
	}
	for (uint8_t h = 0; h < dev->npack; h++)
		if (cnt[h])
			dev->pack[h].fn(dev->pack[h].ctx, dl->id, by[h], cnt[h]);
}

/* A device may have more RX queues than the stack has lanes: lane k polls
 * queues k, k + nlanes, ... (cf. a NAPI instance per queue). */
uint32_t pp__dev_poll_rx(void *arg)
{
	struct pp_dev_lane *dl = arg;
	struct pp_dev *dev = dl->dev;
	struct pp_nic *nic = dev->nic;
	uint32_t moved = 0;

	if (PP_UNLIKELY(!nic->ops->rx_burst))
		return 0;
	for (uint16_t q = dl->id; q < nic->nrxq; q = (uint16_t)(q + dev->nlanes)) {
		struct pp_skb *pkts[PP_BURST];
		uint16_t n = nic->ops->rx_burst(nic, q, dl->cache, pkts, PP_BURST);

		if (!n)
			continue;
		if (PP_UNLIKELY(dev->timed)) {
			uint64_t t0 = pp__tsc();

			rx_dispatch(dl, pkts, n);
			PP_STAT_ADD(dl->s_rx.stats->ns, pp__tsc() - t0);
		} else {
			rx_dispatch(dl, pkts, n);
		}
		moved += n;
	}
	return moved;
}

/* ---- teardown and stats ---------------------------------------------------- */

static void ring_drain_drop(struct pp_ring *r, struct pp_stage *s)
{
	void *p;

	if (!r)
		return;
	while ((p = pp_ring_dequeue(r)))
		pp_stage_drop(s, p, PP_DROP_SHUTDOWN);
}

void pp__dev_drain(struct pp_dev *dev)
{
	for (uint16_t k = 0; k < dev->nlanes; k++) {
		struct pp_dev_lane *dl = &dev->lanes[k];

		/* single-threaded from here on: the lane cache takes everything */
		dl->s_qsel.cache = dl->cache;
		ring_drain_drop(dl->r_qsel, &dl->s_qsel);
		for (uint16_t q = 0; q < dev->ntxq; q++)
			ring_drain_drop(dl->r_txq[q], &dl->s_qsel);
	}
}

void pp__dev_fini(struct pp_dev *dev)
{
	if (!dev)
		return;
	for (uint16_t q = 0; q < PP_TXQ_MAX; q++) {
		struct pp_dev_txq *t = &dev->txqs[q];

		if (t->txq) {
			pp__txq_destroy(t->txq, dev->lanes[q % (dev->nlanes ? dev->nlanes : 1)].cache);
			t->txq = NULL;
		}
	}
	for (uint16_t k = 0; k < PP_LANES_MAX; k++) {
		struct pp_dev_lane *dl = &dev->lanes[k];

		pp_ring_destroy(dl->r_qsel);
		dl->r_qsel = NULL;
		for (uint16_t q = 0; q < PP_TXQ_MAX; q++) {
			pp_ring_destroy(dl->r_txq[q]);
			dl->r_txq[q] = NULL;
		}
	}
}

void pp__dev_stats(struct pp_dev *dev, struct pp_txq_stats *sum, uint64_t *reaped)
{
	memset(sum, 0, sizeof(*sum));
	*reaped = 0;
	for (uint16_t q = 0; q < dev->ntxq; q++) {
		struct pp_txq_stats ts;

		if (!dev->txqs[q].txq)
			continue;
		pp__txq_stats(dev->txqs[q].txq, &ts);
		sum->bypassed += ts.bypassed;
		sum->qlen += ts.qlen;
		*reaped += PP_STAT_READ(dev->txqs[q].reaped);
	}
}
