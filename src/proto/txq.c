// SPDX-License-Identifier: MIT
/*
 * txq.c - one TX queue: pfifo_fast qdisc, driver stage and byte queue limits
 * (txq.h). Mirrors __dev_xmit_skb() (bypass of an empty qdisc, else enqueue
 * then qdisc_run), __qdisc_run()/qdisc_restart()/dequeue_skb() (bulk dequeue
 * while the driver has room), sch_direct_xmit()/dev_requeue_skb() (what the
 * driver refuses stays first in line), pfifo_fast_enqueue()/_dequeue() (three
 * bands by skb->priority through prio2band), and BQL's
 * netdev_tx_sent_queue()/netdev_tx_completed_queue() with dql_completed()
 * from lib/dynamic_queue_limits.c.
 *
 * Everything on the data path is owner-only state plus two single-writer
 * counter pairs (sent: owner; completed: reaper), so there is no lock and no
 * read-modify-write shared between threads; the qdisc links skbs through
 * skb->next, so there is no allocation either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/txq.h"

/* Queue lists in dequeue order: the requeue list (cf. q->gso_skb, filled by
 * dev_requeue_skb()), then pfifo_fast's bands 0, 1, 2. */
#define TXQ_REQ 0
#define TXQ_LISTS (1 + PP_TXQ_BANDS)
/* Bursts one qdisc run may send (cf. __qdisc_run()'s dev_tx_weight quota),
 * so one busy queue cannot keep its thread from everything else. */
#define TXQ_QUOTA_BURSTS 8
/* Frames asked from tx_complete() per call while reaping. */
#define TXQ_REAP_CHUNK 64

struct txq_list {
	struct pp_skb *head;
	struct pp_skb *tail;
};

struct pp_txq {
	/* const after create */
	alignas(PP_CACHE_LINE) struct pp_nic *nic;
	uint16_t queue;
	uint16_t burst;
	bool inline_reap;
	uint32_t limit_pkts;
	uint32_t limit_bytes;
	uint32_t bql_min;
	uint32_t bql_max;

	/* (O) owner: the qdisc. qlen/backlog are also read by stats/idle. */
	alignas(PP_CACHE_LINE) struct txq_list q[TXQ_LISTS];
	uint32_t qlen;			/* frames queued, all lists */
	uint32_t backlog;		/* bytes queued */
	struct pp_stage_stats *stats;	/* qdisc stage counters last seen (for destroy) */
	/* (O) BQL, sent side (cf. dql->num_queued, dql->last_obj_cnt) */
	uint64_t sent_bytes;
	uint64_t sent_frames;
	uint32_t last_obj_cnt;
	/* (O) counters */
	uint64_t enqueued;
	uint64_t bypassed;
	uint64_t dequeued;
	uint64_t requeues;
	uint64_t drops;
	uint64_t tx_errors;
	uint64_t shutdown;

	/* (R) reaper: BQL, completed side (cf. the completion half of struct
	 * dql); adj_limit and the completed counters are read by the owner */
	alignas(PP_CACHE_LINE) uint64_t adj_limit;	/* limit + completed_bytes */
	uint64_t completed_bytes;			/* dql->num_completed */
	uint64_t completed_frames;
	uint32_t limit;
	uint32_t prev_ovlimit;
	uint32_t prev_last_obj_cnt;
	uint32_t lowest_slack;
	uint32_t hold;					/* intervals since slack reset */
	uint64_t prev_num_queued;
};

_Static_assert(offsetof(struct pp_txq, q) % PP_CACHE_LINE == 0, "owner line");
_Static_assert(offsetof(struct pp_txq, adj_limit) % PP_CACHE_LINE == 0, "reaper line");

/* ---- priorities (cf. net/ipv4/route.c, net/sched/sch_generic.c) --------- */

/* cf. ip_tos2prio[] (ECN_OR_COST(class) is TC_PRIO_##class) */
static const uint8_t tos2prio[16] = {
	PP_TC_PRIO_BESTEFFORT,	     PP_TC_PRIO_FILLER,
	PP_TC_PRIO_BESTEFFORT,	     PP_TC_PRIO_BESTEFFORT,
	PP_TC_PRIO_BULK,	     PP_TC_PRIO_BULK,
	PP_TC_PRIO_BULK,	     PP_TC_PRIO_BULK,
	PP_TC_PRIO_INTERACTIVE,	     PP_TC_PRIO_INTERACTIVE,
	PP_TC_PRIO_INTERACTIVE,	     PP_TC_PRIO_INTERACTIVE,
	PP_TC_PRIO_INTERACTIVE_BULK, PP_TC_PRIO_INTERACTIVE_BULK,
	PP_TC_PRIO_INTERACTIVE_BULK, PP_TC_PRIO_INTERACTIVE_BULK,
};

/* cf. sch_generic.c prio2band[TC_PRIO_MAX + 1] */
static const uint8_t prio2band[PP_TC_PRIO_MAX + 1] = {1, 2, 2, 2, 1, 2, 0, 0,
						      1, 1, 1, 1, 1, 1, 1, 1};

uint8_t pp__tos_to_prio(uint8_t tos)
{
	/* cf. rt_tos2priority(): ip_tos2prio[IPTOS_TOS(tos) >> 1] */
	return tos2prio[(tos & 0x1e) >> 1];
}

uint8_t pp__txq_band(uint8_t prio)
{
	return prio2band[prio & PP_TC_PRIO_MAX];
}

/* ---- helpers ------------------------------------------------------------ */

#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WR(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline uint64_t posdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Frames and bytes of an skb and its fragment chain. */
static inline uint32_t chain_frames(const struct pp_skb *skb, uint32_t *bytes)
{
	uint32_t n = 0, b = 0;

	for (; skb; skb = skb->frag) {
		n++;
		b += skb->len;
	}
	*bytes = b;
	return n;
}

/*
 * Bytes BQL still lets through (cf. dql_avail()): one more skb may go while
 * it is >= 0, so the last one may overshoot the limit, as in the kernel where
 * the queue is stopped only once dql_avail() < 0.
 */
static inline int64_t bql_avail(const struct pp_txq *t)
{
	/* (A) pairs with (R) in bql_completed(): a newer limit, or completions
	 * that opened room, as soon as the reaper publishes them */
	uint64_t adj = __atomic_load_n(&t->adj_limit, __ATOMIC_ACQUIRE);

	return (int64_t)(adj - t->sent_bytes);
}

/* Frames handed to the NIC and not reaped yet (owner's view). */
static inline uint64_t inflight_frames(const struct pp_txq *t)
{
	uint64_t done = __atomic_load_n(&t->completed_frames, __ATOMIC_ACQUIRE);

	return posdiff(t->sent_frames, done);
}

static inline void list_append(struct txq_list *l, struct pp_skb *skb)
{
	skb->next = NULL;
	if (l->tail)
		l->tail->next = skb;
	else
		l->head = skb;
	l->tail = skb;
}

static inline struct pp_skb *list_pop(struct txq_list *l)
{
	struct pp_skb *skb = l->head;

	l->head = skb->next;
	if (!l->head)
		l->tail = NULL;
	skb->next = NULL;
	return skb;
}

/* Put @n skbs back first in line, keeping their order (cf. dev_requeue_skb()).
 * They were counted in qlen/backlog all along, or are counted by the caller. */
static void requeue(struct pp_txq *t, struct pp_skb **pkts, uint16_t n)
{
	struct txq_list *l = &t->q[TXQ_REQ];

	for (uint16_t i = n; i-- > 0;) {
		pkts[i]->next = l->head;
		l->head = pkts[i];
		if (!l->tail)
			l->tail = pkts[i];
	}
}

/*
 * Hand pkts[0..n) to the NIC and account what it took in BQL (cf.
 * netdev_tx_sent_queue()). Return: skbs taken; @frames/@bytes get their sums.
 * The per-skb sizes come from the caller, measured before the call: once
 * handed over, a frame may be completed and freed by the reaper at any time.
 */
static uint16_t nic_xmit(struct pp_txq *t, struct pp_skb **pkts, uint16_t n,
			 const uint32_t *fr, const uint32_t *by, uint32_t *frames, uint32_t *bytes)
{
	uint16_t sent = t->nic->ops->xmit_burst(t->nic, t->queue, pkts, n);
	uint32_t f = 0, b = 0;

	if (PP_UNLIKELY(sent > n))
		sent = n; /* a broken backend must not make us count ghosts */
	for (uint16_t i = 0; i < sent; i++) {
		f += fr[i];
		b += by[i];
	}
	if (sent) {
		/* cf. dql_queued(): last object first, then num_queued */
		WR(t->last_obj_cnt, by[sent - 1]);
		/* (S) pairs with the acquire in bql_completed() */
		__atomic_store_n(&t->sent_frames, t->sent_frames + f, __ATOMIC_RELEASE);
		__atomic_store_n(&t->sent_bytes, t->sent_bytes + b, __ATOMIC_RELEASE);
	}
	if (sent < n)
		WR(t->requeues, t->requeues + 1);
	*frames = f;
	*bytes = b;
	return sent;
}

/*
 * Take up to burst skbs off the lists, in dequeue order, while they fit @room
 * descriptors and BQL (cf. dequeue_skb() with try_bulk). The head that does
 * not fit stays: a lower band never overtakes a higher one. qlen/backlog are
 * left to the caller, who knows what the NIC took.
 */
static uint16_t dequeue_batch(struct pp_txq *t, struct pp_skb **batch, uint32_t *fr,
			      uint32_t *by, uint32_t room, int64_t avail)
{
	uint16_t k = 0;
	unsigned int l = 0;

	while (k < t->burst && l < TXQ_LISTS) {
		struct pp_skb *skb = t->q[l].head;
		uint32_t bytes, frames;

		if (!skb) {
			l++;
			continue;
		}
		frames = chain_frames(skb, &bytes);
		if (frames > room || avail < 0)
			break;
		batch[k] = list_pop(&t->q[l]);
		fr[k] = frames;
		by[k] = bytes;
		k++;
		room -= frames;
		avail -= bytes;
	}
	return k;
}

/* The first skb in dequeue order, or NULL. */
static struct pp_skb *peek(const struct pp_txq *t, unsigned int *list)
{
	for (unsigned int l = 0; l < TXQ_LISTS; l++) {
		if (t->q[l].head) {
			*list = l;
			return t->q[l].head;
		}
	}
	return NULL;
}

/*
 * The head did not fit while the NIC had room and had nothing of ours in
 * flight: its ring is as empty as it gets, so a chain this long never fits.
 * Drop it rather than stall the queue forever. Return: true if dropped.
 */
static bool drop_unsendable(struct pp_txq *t, struct pp_stage *st, uint32_t room)
{
	unsigned int l;
	struct pp_skb *skb = peek(t, &l);
	uint32_t bytes, frames;

	if (!skb || inflight_frames(t))
		return false;
	frames = chain_frames(skb, &bytes);
	if (frames <= room)
		return false;
	list_pop(&t->q[l]);
	WR(t->qlen, t->qlen - frames);
	WR(t->backlog, t->backlog - bytes);
	WR(t->tx_errors, t->tx_errors + frames);
	pp_stage_drop(st, skb, PP_DROP_TX_ERROR);
	return true;
}

/* cf. __qdisc_run(): dequeue and send bursts while the driver has room. */
static uint32_t qdisc_run(struct pp_txq *t, struct pp_stage *st)
{
	struct pp_skb *batch[PP_BURST_MAX];
	uint32_t fr[PP_BURST_MAX], by[PP_BURST_MAX];
	uint32_t total = 0;

	for (unsigned int quota = TXQ_QUOTA_BURSTS; quota && t->qlen; quota--) {
		uint32_t room = t->nic->ops->tx_room(t->nic, t->queue);
		int64_t avail = bql_avail(t);
		uint32_t frames, bytes;
		uint16_t k, sent;

		/* cf. netif_xmit_frozen_or_stopped(): ring full or BQL stop */
		if (!room || avail < 0)
			break;
		k = dequeue_batch(t, batch, fr, by, room, avail);
		if (!k) {
			if (drop_unsendable(t, st, room))
				continue;
			break;
		}
		sent = nic_xmit(t, batch, k, fr, by, &frames, &bytes);
		WR(t->qlen, t->qlen - frames);
		WR(t->backlog, t->backlog - bytes);
		WR(t->dequeued, t->dequeued + frames);
		total += frames;
		if (sent < k) {
			/* NETDEV_TX_BUSY: the rest waits, first in line */
			requeue(t, batch + sent, (uint16_t)(k - sent));
			break;
		}
	}
	return total;
}

/* cf. pfifo_fast_enqueue(): tail of the skb's band, or dropped over limit. */
static void enqueue(struct pp_txq *t, struct pp_stage *st, struct pp_skb *skb)
{
	uint32_t bytes, frames = chain_frames(skb, &bytes);

	if (PP_UNLIKELY((uint64_t)t->qlen + frames > t->limit_pkts ||
			(uint64_t)t->backlog + bytes > t->limit_bytes)) {
		/* cf. qdisc_drop(): tail drop */
		WR(t->drops, t->drops + frames);
		pp_stage_drop(st, skb, PP_DROP_QDISC_FULL);
		return;
	}
	list_append(&t->q[1 + pp__txq_band(skb->prio)], skb);
	WR(t->qlen, t->qlen + frames);
	WR(t->backlog, t->backlog + bytes);
	WR(t->enqueued, t->enqueued + frames);
}

/*
 * cf. TCQ_F_CAN_BYPASS in __dev_xmit_skb(): while the qdisc is empty, hand
 * the burst straight to the NIC, as much as the driver has room for.
 * Return: skbs of @pkts consumed (sent, or refused by the NIC and requeued).
 */
static uint16_t bypass(struct pp_txq *t, struct pp_skb **pkts, uint16_t n)
{
	uint32_t fr[PP_BURST_MAX], by[PP_BURST_MAX];
	uint16_t i = 0;

	while (i < n && !t->qlen) {
		uint32_t room = t->nic->ops->tx_room(t->nic, t->queue);
		int64_t avail = bql_avail(t);
		uint32_t frames, bytes;
		uint16_t k = 0, sent;

		while (i + k < n && k < t->burst && avail >= 0) {
			fr[k] = chain_frames(pkts[i + k], &by[k]);
			if (fr[k] > room)
				break;
			room -= fr[k];
			avail -= by[k];
			k++;
		}
		if (!k)
			break;
		sent = nic_xmit(t, pkts + i, k, fr, by, &frames, &bytes);
		WR(t->bypassed, t->bypassed + frames);
		i = (uint16_t)(i + sent);
		if (sent < k) {
			/* The driver refused them after all (cf. sch_direct_xmit()
			 * -> dev_requeue_skb()): they are queued first in line,
			 * outside the limit, as the kernel's requeue is. */
			uint32_t qf = 0, qb = 0;

			for (uint16_t j = sent; j < k; j++) {
				qf += fr[j];
				qb += by[j];
			}
			requeue(t, pkts + i, (uint16_t)(k - sent));
			WR(t->qlen, t->qlen + qf);
			WR(t->backlog, t->backlog + qb);
			WR(t->enqueued, t->enqueued + qf);
			i = (uint16_t)(i + (k - sent));
			break;
		}
	}
	return i;
}

/* ---- BQL completion side (cf. dql_completed()) -------------------------- */

static void bql_completed(struct pp_txq *t, uint64_t count)
{
	/* (S) pairs with the release in nic_xmit() */
	uint64_t num_queued = __atomic_load_n(&t->sent_bytes, __ATOMIC_ACQUIRE);
	uint64_t num_completed = t->completed_bytes;
	uint64_t completed = num_completed + count;
	uint64_t limit = t->limit;
	uint64_t ovlimit, inprogress, prev_inprogress;
	bool all_prev_completed;

	/* The NIC may complete frames before the owner, back from
	 * xmit_burst(), publishes them as sent; they were sent all the same. */
	if (num_queued < completed)
		num_queued = completed;
	ovlimit = posdiff(num_queued - num_completed, limit);
	inprogress = num_queued - completed;
	prev_inprogress = posdiff(t->prev_num_queued, num_completed);
	all_prev_completed = completed >= t->prev_num_queued;
	t->hold++;

	if ((ovlimit && !inprogress) || (t->prev_ovlimit && all_prev_completed)) {
		/* Starved: held back by the limit and then ran dry. Grow by
		 * what was sent and completed in the interval plus the
		 * previous over-limit. */
		limit += posdiff(completed, t->prev_num_queued) + t->prev_ovlimit;
		t->hold = 0;
		t->lowest_slack = UINT32_MAX;
	} else if (inprogress && prev_inprogress && !all_prev_completed) {
		/* Busy the whole interval: the slack is what was in flight
		 * beyond twice what completes per interval; shrink by the
		 * smallest slack seen over the hold period. */
		uint64_t slack = posdiff(limit + t->prev_ovlimit, 2 * count);
		uint64_t slack_last = t->prev_ovlimit ?
			posdiff(t->prev_last_obj_cnt, t->prev_ovlimit) : 0;

		if (slack_last > slack)
			slack = slack_last;
		if (slack < t->lowest_slack)
			t->lowest_slack = (uint32_t)(slack > UINT32_MAX ? UINT32_MAX : slack);
		if (t->hold > PP_TXQ_BQL_HOLD) {
			limit = posdiff(limit, t->lowest_slack);
			t->hold = 0;
			t->lowest_slack = UINT32_MAX;
		}
	}
	if (limit < t->bql_min)
		limit = t->bql_min;
	if (limit > t->bql_max)
		limit = t->bql_max;
	if (limit != t->limit) {
		WR(t->limit, (uint32_t)limit);
		ovlimit = 0;
	}
	t->prev_ovlimit = (uint32_t)(ovlimit > UINT32_MAX ? UINT32_MAX : ovlimit);
	t->prev_last_obj_cnt = RD(t->last_obj_cnt);
	t->prev_num_queued = num_queued;
	/* (R) pairs with (A) in bql_avail() */
	__atomic_store_n(&t->completed_bytes, completed, __ATOMIC_RELEASE);
	__atomic_store_n(&t->adj_limit, limit + completed, __ATOMIC_RELEASE);
}

/* ---- API ---------------------------------------------------------------- */

int pp__txq_create(struct pp_nic *nic, uint16_t queue, const struct pp_txq_params *p,
		   struct pp_txq **out)
{
	static const struct pp_txq_params defaults;
	struct pp_txq *t;
	uint64_t lb;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p)
		p = &defaults;
	if (!nic || !nic->ops || queue >= nic->ntxq || !nic->ops->xmit_burst ||
	    !nic->ops->tx_complete || !nic->ops->tx_room || p->burst > PP_BURST_MAX)
		return -EINVAL;
	t = aligned_alloc(PP_CACHE_LINE, sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->nic = nic;
	t->queue = queue;
	t->burst = p->burst ? p->burst : PP_BURST;
	t->inline_reap = p->inline_reap;
	t->limit_pkts = p->limit_pkts ? p->limit_pkts : PP_TXQ_LIMIT_PKTS;
	lb = (uint64_t)t->limit_pkts * PP_FRAME_2K;
	t->limit_bytes = p->limit_bytes ? p->limit_bytes :
		(uint32_t)(lb > UINT32_MAX ? UINT32_MAX : lb);
	t->bql_max = p->bql_max ? p->bql_max : PP_TXQ_BQL_MAX_DEFAULT;
	t->bql_min = p->bql_min ? p->bql_min : (uint32_t)t->burst * PP_FRAME_2K;
	if (t->bql_min > t->bql_max) {
		if (p->bql_min) {
			free(t);
			return -EINVAL;
		}
		t->bql_min = t->bql_max; /* only the default was too big */
	}
	/* cf. dql_reset(): start at the minimum */
	t->limit = t->bql_min;
	t->adj_limit = t->bql_min;
	t->lowest_slack = UINT32_MAX;
	*out = t;
	return 0;
}

uint32_t pp__txq_reap(struct pp_txq *t, struct pp_pool_cache *c, uint16_t budget)
{
	struct pp_skb *buf[TXQ_REAP_CHUNK];
	uint32_t done = 0;
	uint64_t bytes = 0;

	if (PP_UNLIKELY(!t || !c))
		return 0;
	while (done < budget) {
		uint16_t want = (uint16_t)(budget - done < TXQ_REAP_CHUNK ? budget - done :
					   TXQ_REAP_CHUNK);
		uint16_t got = t->nic->ops->tx_complete(t->nic, t->queue, buf, want);

		if (PP_UNLIKELY(got > want))
			got = want;
		for (uint16_t i = 0; i < got; i++)
			bytes += buf[i]->len;
		pp_skb_free_burst(c, buf, got);
		done += got;
		if (got < want)
			break;
	}
	if (done) {
		__atomic_store_n(&t->completed_frames, t->completed_frames + done,
				 __ATOMIC_RELEASE);
		/* cf. netdev_tx_completed_queue(): no call for 0 bytes */
		bql_completed(t, bytes);
	}
	return done;
}

uint16_t pp__txq_xmit(struct pp_stage *st, struct pp_skb **pkts, uint16_t n,
		      struct pp_skb **out)
{
	struct pp_txq *t = st->ctx;
	uint16_t i = 0;

	(void)out;
	t->stats = st->stats;
	pp_stage_count_in(st, pkts, n);
	if (!t->qlen)
		i = bypass(t, pkts, n);
	for (; i < n; i++)
		enqueue(t, st, pkts[i]);
	if (t->qlen)
		qdisc_run(t, st);
	if (t->inline_reap)
		pp__txq_reap(t, st->cache, PP_TXQ_REAP_BUDGET);
	return 0;
}

uint32_t pp__txq_run(struct pp_txq *t, struct pp_stage *st)
{
	uint32_t sent = 0;

	if (PP_UNLIKELY(!t || !st))
		return 0;
	t->stats = st->stats;
	if (t->qlen)
		sent = qdisc_run(t, st);
	if (t->inline_reap)
		pp__txq_reap(t, st->cache, PP_TXQ_REAP_BUDGET);
	return sent;
}

uint32_t pp__txq_room(const struct pp_txq *t, uint64_t *bytes)
{
	uint32_t q = RD(t->qlen), b = RD(t->backlog);

	if (bytes)
		*bytes = b >= t->limit_bytes ? 0 : t->limit_bytes - b;
	return q >= t->limit_pkts ? 0 : t->limit_pkts - q;
}

bool pp__txq_idle(const struct pp_txq *t)
{
	if (!t)
		return true;
	uint64_t done = __atomic_load_n(&t->completed_frames, __ATOMIC_ACQUIRE);
	uint64_t sent = __atomic_load_n(&t->sent_frames, __ATOMIC_ACQUIRE);

	return RD(t->qlen) == 0 && sent == done;
}

void pp__txq_stats(const struct pp_txq *t, struct pp_txq_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!t)
		return;
	/* completed first: sent only grows, so inflight is rarely clamped */
	st->completed = __atomic_load_n(&t->completed_frames, __ATOMIC_ACQUIRE);
	st->completed_bytes = __atomic_load_n(&t->completed_bytes, __ATOMIC_ACQUIRE);
	st->sent = __atomic_load_n(&t->sent_frames, __ATOMIC_ACQUIRE);
	st->sent_bytes = __atomic_load_n(&t->sent_bytes, __ATOMIC_ACQUIRE);
	st->inflight = posdiff(st->sent_bytes, st->completed_bytes);
	st->inflight_frames = posdiff(st->sent, st->completed);
	st->qlen = RD(t->qlen);
	st->backlog = RD(t->backlog);
	st->enqueued = RD(t->enqueued);
	st->bypassed = RD(t->bypassed);
	st->dequeued = RD(t->dequeued);
	st->requeues = RD(t->requeues);
	st->drops = RD(t->drops);
	st->tx_errors = RD(t->tx_errors);
	st->shutdown = RD(t->shutdown);
	st->bql_limit = RD(t->limit);
}

void pp__txq_destroy(struct pp_txq *t, struct pp_pool_cache *c)
{
	if (!t)
		return;
	if (c) {
		for (unsigned int l = 0; l < TXQ_LISTS; l++) {
			while (t->q[l].head) {
				struct pp_skb *skb = list_pop(&t->q[l]);
				uint32_t bytes, frames = chain_frames(skb, &bytes);

				WR(t->qlen, t->qlen - frames);
				WR(t->backlog, t->backlog - bytes);
				WR(t->shutdown, t->shutdown + frames);
				if (t->stats)
					PP_STAT_ADD(t->stats->drops[PP_DROP_SHUTDOWN], 1);
				pp_skb_drop(c, skb, PP_DROP_SHUTDOWN);
			}
		}
		/* Whatever the NIC has finished with comes back now. */
		while (pp__txq_reap(t, c, PP_TXQ_REAP_BUDGET))
			;
	}
	free(t);
}
