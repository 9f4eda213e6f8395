// SPDX-License-Identifier: MIT
/*
 * neigh_queue.c - a lane's pending queues: skbs held while their next hop
 * resolves, the ARP requests that resolve it, and the lane's neighbour state.
 *
 * Mirrors net/core/neighbour.c: __neigh_event_send() queueing on arp_queue
 * within unres_qlen (here also bounded in bytes, per hop and per lane, see
 * neigh.h), neigh_timer_handler() for NUD_INCOMPLETE (retransmit, then
 * neigh_invalidate() purging the queue), and neigh_update() flushing the
 * queue once the entry is valid; net/ipv4/arp.c: arp_solicit() sending the
 * broadcast request. The kernel keeps arp_queue on the entry under its
 * lock; here each lane keeps its own FIFO per next hop, never shared, and
 * the lanes agree on who sends each probe by a CAS on the entry's timer
 * word (neigh_priv.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pktpipe/prot/arp.h>

#include "proto/arp.h"
#include "proto/neigh_priv.h"

/* Tell the GC that this lane holds skbs for @e (cf. neigh_hold()). */
static inline void ent_mark(const struct pp_neigh_lane *nl, struct nent *e)
{
	if (!(atomic_load_explicit(&e->holders, memory_order_relaxed) & nl->bit))
		atomic_fetch_or_explicit(&e->holders, nl->bit, memory_order_relaxed);
}

static inline void ent_unmark(const struct pp_neigh_lane *nl, struct nent *e)
{
	if (e && (atomic_load_explicit(&e->holders, memory_order_relaxed) & nl->bit))
		atomic_fetch_and_explicit(&e->holders, ~nl->bit, memory_order_relaxed);
}

static inline void held_add(struct pp_neigh_lane *nl, int64_t d)
{
	nl->held_bytes += (uint64_t)d;
	__atomic_store_n(&nl->stats.held_bytes, nl->held_bytes, __ATOMIC_RELAXED);
}

/* Forget an empty slot: the last one takes its place. @e: the entry it held
 * for, if known (its mark goes). */
static void pend_remove(struct pp_neigh_lane *nl, struct pend *q, struct nent *e)
{
	ent_unmark(nl, e);
	*q = nl->pend[--nl->npend];
	nl->bloom = 0;
	for (unsigned int i = 0; i < nl->npend; i++)
		nl->bloom |= bloom_bit(nl->pend[i].ip);
}

/* Take the oldest skb off @q (it has one). */
static struct pp_skb *pend_pop(struct pp_neigh_lane *nl, struct pend *q)
{
	struct pp_skb *skb = q->head;
	uint32_t sz = pp__hold_truesize(skb);

	q->head = skb->next;
	if (!q->head)
		q->tail = NULL;
	skb->next = NULL;
	q->qlen--;
	q->bytes -= sz;
	held_add(nl, -(int64_t)sz);
	return skb;
}

/* The slot holding the most bytes (cf. fq_codel_drop()'s fattest flow). */
static struct pend *pend_fattest(struct pp_neigh_lane *nl)
{
	struct pend *fat = &nl->pend[0];

	for (unsigned int i = 1; i < nl->npend; i++)
		if (nl->pend[i].bytes > fat->bytes)
			fat = &nl->pend[i];
	return fat;
}

/*
 * Hold @skb at the tail of @q, as __neigh_event_send() queues on arp_queue:
 * the oldest skbs of @q go while it is over unres_qlen or unres_qlen_bytes
 * (reason @why), then the oldest of the fattest slot while the lane is over
 * hold_max (PP_DROP_NEIGH_QUEUE_FULL). Never removes a slot (slots may end
 * up empty: pp__neigh_pend_service() forgets them), so pend pointers stay
 * valid.
 */
void pp__neigh_pend_add(struct emit *c, struct pend *q, struct pp_skb *skb, enum pp_drop_reason why)
{
	struct pp_neigh_lane *nl = c->nl;
	const struct pp_neigh_params *p = &nl->t->p;
	uint32_t sz = pp__hold_truesize(skb);

	if (PP_UNLIKELY(sz > p->unres_qlen_bytes || sz > nl->hold_max)) {
		/* alone over a bound: the kernel would queue it and flush the
		 * rest; a bound that holds is worth more than one oversized skb */
		pp_stage_drop(c->st, skb, PP_DROP_NEIGH_QUEUE_FULL);
		return;
	}
	while (q->head && (q->qlen >= p->unres_qlen || q->bytes + sz > p->unres_qlen_bytes))
		pp_stage_drop(c->st, pend_pop(nl, q), why);
	while (nl->held_bytes + sz > nl->hold_max)
		pp_stage_drop(c->st, pend_pop(nl, pend_fattest(nl)), PP_DROP_NEIGH_QUEUE_FULL);
	skb->next = NULL;
	if (q->tail)
		q->tail->next = skb;
	else
		q->head = skb;
	q->tail = skb;
	q->qlen++;
	q->bytes += sz;
	held_add(nl, sz);
	PP_STAT_ADD(nl->stats.held, 1);
}

/* Drop what @q holds and forget it; @e as pend_remove(). */
static void pend_drop_all(struct emit *c, struct pend *q, enum pp_drop_reason why, struct nent *e)
{
	while (q->head)
		pp_stage_drop(c->st, pend_pop(c->nl, q), why);
	pend_remove(c->nl, q, e);
}

/*
 * All slots are taken and a new next hop needs one: free a slot whose entry
 * failed or went (they would go at the next poll anyway), else the slot of
 * the INCOMPLETE entry held longest, dropping its skbs. Slots of valid
 * entries are kept: their skbs leave at the next poll. The entry of a
 * reclaimed slot stays INCOMPLETE: another lane may hold for it, and
 * pp__neigh_tick() fails it if none does.
 * Return: true if a slot is free.
 */
bool pp__neigh_pend_reclaim(struct emit *c)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pend *victim = NULL;
	struct nent *ve = NULL;

	for (unsigned int i = 0; i < nl->npend; i++) {
		struct pend *q = &nl->pend[i];
		struct nent *e = ent_lookup(nl->t, q->ip);
		unsigned int s = ent_state(e);

		if (state_valid(s))
			continue;
		if (s != PP_NUD_INCOMPLETE) {
			pend_drop_all(c, q, PP_DROP_NEIGH_FAILED, e);
			return true;
		}
		if (!victim || q->order < victim->order)
			victim = q, ve = e;
	}
	if (!victim)
		return false;
	pend_drop_all(c, victim, PP_DROP_NEIGH_QUEUE_FULL, ve);
	PP_STAT_ADD(nl->stats.reclaimed, 1);
	return true;
}

/* A slot for @ip, whose entry is @e; NULL if every slot holds a valid
 * entry's skbs. */
struct pend *pp__neigh_pend_new(struct emit *c, uint32_t ip, struct nent *e)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pend *q;

	if (!pend_room(c))
		return NULL;
	q = &nl->pend[nl->npend++];
	q->ip = ip;
	q->qlen = 0;
	q->bytes = 0;
	q->order = nl->order++;
	q->head = q->tail = NULL;
	nl->bloom |= bloom_bit(ip);
	ent_mark(nl, e);
	return q;
}

/*
 * Probe if one is due and we claim it; or, out of probes, fail the entry
 * (cf. neigh_timer_handler() for NUD_INCOMPLETE, arp_solicit()).
 * Return: true if hw changed under us (the caller reloads it).
 */
static bool try_probe(struct emit *c, struct nent *e, uint64_t w)
{
	struct pp_neigh_table *t = c->nl->t;
	uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);
	unsigned int seq = hw_seq(w), cnt = tmr_count(p);

	if (tmr_seq(p) != seq || !tmr_due(p, emit_now(c)))
		return false;	/* epoch being set up, or not yet */
	if (cnt < t->p.mcast_probes) {
		static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		uint32_t ip = atomic_load_explicit(&e->ip, memory_order_relaxed);
		struct pp_skb *req;

		if (c->nout >= c->cap)
			return false;	/* no room for the request: claim it next time */
		if (!atomic_compare_exchange_strong_explicit(&e->tmr, &p,
							     tmr_make(seq, cnt + 1, emit_now(c) + t->p.retrans_ns),
							     memory_order_acq_rel, memory_order_relaxed))
			return false;	/* another lane sent this one */
		req = pp__arp_build(c->st->cache, PP_ARP_OP_REQUEST, t->p.mac, t->p.ip, NULL, ip, bcast);
		if (!req) {
			/* The probe slot is spent, as a lost frame's would be. Counted
			 * apart: stage drops count skbs, and this never was one. */
			PP_STAT_ADD(c->nl->stats.arp_nobuf, 1);
			return false;
		}
		c->out[c->nout++] = req;
		PP_STAT_ADD(c->nl->stats.arp_requests, 1);
		return false;
	}
	/* the last probe's retrans_time is over: INCOMPLETE -> FAILED, once */
	ent_fail(t, e, w, emit_now(c));
	return true;
}

/*
 * Serve the skbs held for one next hop (cf. neigh_update() flushing
 * arp_queue, neigh_invalidate() purging it).
 * Return: true if the slot is gone (flushed or dropped: @q is invalid).
 */
bool pp__neigh_pend_service(struct emit *c, struct pend *q)
{
	struct nent *e = ent_lookup(c->nl->t, q->ip);

	if (!e) {
		pend_drop_all(c, q, PP_DROP_NEIGH_FAILED, NULL);
		return true;
	}
	/* the entry may be a new one for this hop (the old one deleted) */
	ent_mark(c->nl, e);
	for (;;) {
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);
		unsigned int s = hw_state(w);

		if (state_valid(s)) {
			emit_touch(c, e, w);
			while (q->head && c->nout < c->cap) {
				struct pp_skb *skb = pend_pop(c->nl, q);

				PP_STAT_ADD(c->nl->stats.flushed, 1);
				pp__neigh_emit_resolved(c, skb, hw_mac(w));
			}
			if (q->head)
				return false;	/* out[] full: the rest next time */
			pend_remove(c->nl, q, e);
			return true;
		}
		if (s == PP_NUD_INCOMPLETE) {
			if (try_probe(c, e, w))
				continue;
			return false;
		}
		/* FAILED, or deleted while we looked */
		pend_drop_all(c, q, PP_DROP_NEIGH_FAILED, e);
		return true;
	}
}

uint16_t pp__neigh_poll(struct pp_stage *st, uint64_t now_ns, struct pp_skb **out, uint16_t cap)
{
	struct pp_neigh_lane *nl;
	struct emit c;

	if (PP_UNLIKELY(!emit_stage_ok(st, out)))
		return 0;
	nl = st->ctx;
	nl->now = now_ns;
	if (PP_LIKELY(!nl->npend))
		return 0;
	c = (struct emit){.st = st, .nl = nl, .out = out, .cap = cap, .have_now = true,
			  .now = now_ns};
	rcu_read_lock();
	/* backwards: a removed slot is replaced by the last, already served */
	for (int i = (int)nl->npend - 1; i >= 0; i--)
		pp__neigh_pend_service(&c, &nl->pend[i]);
	rcu_read_unlock();
	return c.nout;
}

int pp__neigh_lane_create(struct pp_neigh_table *t, uint16_t lane, struct pp_neigh_lane **out)
{
	struct pp_neigh_lane *nl;

	if (!t || !out || lane >= t->nlanes)
		return -EINVAL;
	nl = aligned_alloc(PP_CACHE_LINE, (sizeof(*nl) + PP_CACHE_LINE - 1) & ~(size_t)(PP_CACHE_LINE - 1));
	if (!nl)
		return -ENOMEM;
	memset(nl, 0, sizeof(*nl));
	nl->t = t;
	nl->lane = lane;
	nl->bit = 1ull << lane;		/* lane < nlanes <= PP_POOL_CACHES_MAX = 64 */
	nl->hold_max = t->hold_max;
	nl->stats.hold_max = t->hold_max;
	*out = nl;
	return 0;
}

void pp__neigh_lane_destroy(struct pp_neigh_lane *nl, struct pp_stage *st)
{
	if (!nl)
		return;
	if (st && st->cache && st->stats) {
		struct emit c = {.st = st, .nl = nl};

		while (nl->npend)
			pend_drop_all(&c, &nl->pend[nl->npend - 1], PP_DROP_SHUTDOWN, NULL);
	}
	free(nl);
}

void pp__neigh_lane_pin_clock(struct pp_neigh_lane *nl, bool pin)
{
	if (nl)
		nl->pinned = pin;
}

bool pp__neigh_lane_idle(const struct pp_neigh_lane *nl)
{
	return !nl || !nl->npend;
}

int pp__neigh_lane_stats(const struct pp_neigh_lane *nl, struct pp_neigh_lane_stats *s)
{
	if (!nl || !s)
		return -EINVAL;
	s->held = PP_STAT_READ(nl->stats.held);
	s->flushed = PP_STAT_READ(nl->stats.flushed);
	s->arp_requests = PP_STAT_READ(nl->stats.arp_requests);
	s->arp_nobuf = PP_STAT_READ(nl->stats.arp_nobuf);
	s->created = PP_STAT_READ(nl->stats.created);
	s->create_fail = PP_STAT_READ(nl->stats.create_fail);
	s->held_bytes = PP_STAT_READ(nl->stats.held_bytes);
	s->hold_max = nl->stats.hold_max;
	s->reclaimed = PP_STAT_READ(nl->stats.reclaimed);
	return 0;
}
