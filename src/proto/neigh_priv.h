/* SPDX-License-Identifier: MIT */
/*
 * neigh_priv.h (internal to neigh_table.c, neigh_queue.c, neigh_output.c) -
 * what the three parts of the neighbour code share: the entry and its two
 * state words, the table, the lane's pending slots, one stage call's output
 * state, the per-packet helpers the output stage inlines, and the few
 * functions one part calls in another.
 *
 *   neigh_table.c   the table: entries, their states and learning, forced
 *                   GC and periodic ageing (cf. neigh_lookup(),
 *                   __neigh_update(), neigh_forced_gc(), neigh_periodic_work())
 *   neigh_queue.c   a lane's pending queues, probes and timers (cf.
 *                   __neigh_event_send(), arp_solicit(), neigh_timer_handler())
 *   neigh_output.c  the output stage: group address mapping and the Ethernet
 *                   header (cf. neigh_resolve_output(), ip_eth_mc_map())
 *
 * Only those three files include this header, so its static inline helpers
 * keep the short names they had in one neigh.c (hw_state(), ent_lookup(),
 * ...): a pp__neigh_ prefix on every one of them would make the packet path
 * harder to read for no gain in safety. Functions that cross files are
 * linked symbols and carry the pp__neigh_ prefix (hidden: the export map
 * takes pp_[a-z]* only).
 *
 * How an entry's state is kept, lock-free (the kernel uses the entry's
 * rwlock):
 *
 *  - the table is an rculfhash (QSBR) whose entries come from a slab made at
 *    create time and a tagged lock-free free list, so lanes create entries
 *    without malloc; deleted entries go back after a grace period (call_rcu);
 *  - an entry's state lives in two words changed only by CAS:
 *      hw:  mac (48 bits) | state (8) | seq (8)
 *      tmr: deadline (low 48 bits of ns) | probe count (8) | seq (8)
 *    seq is bumped by every hw change, and tmr belongs to the hw epoch whose
 *    seq it carries: a tmr with another seq is "being set up" and is ignored.
 *    Probes are claimed by CAS on tmr (count+1, next deadline), so exactly one
 *    lane sends each request; the lane whose claim finds no probe left moves
 *    hw INCOMPLETE -> FAILED, once;
 *  - skbs waiting for resolution stay on the lane that had them, in a small
 *    per-lane table of FIFOs keyed by next hop (struct pend), never shared;
 *    the entry carries a bit per lane holding skbs for it (holders), which
 *    is what the kernel's refcnt tells neigh_periodic_work() and
 *    neigh_forced_gc(): do not collect this one;
 *  - the table's size is bounded by live entries (count, reserved before an
 *    entry is made, cf. neigh_alloc()); the slab is twice that, so that
 *    entries the forced GC evicts, which come back only after a grace
 *    period, leave room for the one that needed it.
 */
#ifndef PP_PROTO_NEIGH_PRIV_H
#define PP_PROTO_NEIGH_PRIV_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <urcu-qsbr.h> /* before rculfhash: the QSBR flavour */
#include <urcu/rculfhash.h>

#include "core/stage.h"
#include "core/time.h"
#include "proto/defaults.h"
#include "proto/neigh.h"

/* a lane's mark is one bit of a 64-bit word */
static_assert(PP_POOL_CACHES_MAX <= 64, "holders has a bit per lane");

/* ---- the two state words ------------------------------------------------ */

#define M48 ((1ull << 48) - 1)

static inline uint64_t mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (int i = 5; i >= 0; i--)
		v = (v << 8) | mac[i];
	return v;
}

static inline void mac_unpack(uint64_t v, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t hw_make(uint64_t mac48, unsigned int state, unsigned int seq)
{
	return (mac48 & M48) | (uint64_t)(state & 0xff) << 48 | (uint64_t)(seq & 0xff) << 56;
}

static inline unsigned int hw_state(uint64_t w) { return (unsigned int)(w >> 48) & 0xff; }
static inline unsigned int hw_seq(uint64_t w) { return (unsigned int)(w >> 56); }
static inline uint64_t hw_mac(uint64_t w) { return w & M48; }

static inline uint64_t tmr_make(unsigned int seq, unsigned int count, uint64_t deadline)
{
	return (deadline & M48) | (uint64_t)(count & 0xff) << 48 | (uint64_t)(seq & 0xff) << 56;
}

static inline unsigned int tmr_seq(uint64_t p) { return (unsigned int)(p >> 56); }
static inline unsigned int tmr_count(uint64_t p) { return (unsigned int)(p >> 48) & 0xff; }

/* now >= deadline, on 48-bit wrapping time (cf. time_after_eq()). */
static inline bool tmr_due(uint64_t p, uint64_t now)
{
	return ((now - p) & M48) < (1ull << 47);
}

static inline bool state_valid(unsigned int s)
{
	return s == PP_NUD_REACHABLE || s == PP_NUD_STALE || s == PP_NUD_PERMANENT;
}

/* network-order limited broadcast (cf. ipv4_is_lbcast()) */
static inline bool ip_is_bcast(uint32_t be) { return be == 0xffffffffu; }

/* ---- table -------------------------------------------------------------- */

/*
 * Every field other than node and rcu is an atomic: entries are reused after
 * a grace period that ThreadSanitizer cannot see (liburcu is not
 * instrumented), so plain fields would be reported as races.
 */
struct nent {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	_Atomic uint64_t hw;		/* mac | state | seq */
	_Atomic uint64_t tmr;		/* deadline | count | seq */
	_Atomic uint32_t ip;		/* key; set before publication */
	_Atomic uint32_t free_next;	/* free list link (slab index) */
	/* ns of the last change of address or state (cf. neigh->updated):
	 * locktime and GC age. Advisory: stored after the hw CAS that made the
	 * change, so two racing writers may leave the older time. */
	_Atomic uint64_t updated;
	/* bit k: lane k holds skbs for this entry (cf. neigh->refcnt) */
	_Atomic uint64_t holders;
	struct pp_neigh_table *t;	/* const */
};

struct pp_neigh_table {
	struct cds_lfht *ht;		/* const */
	struct pp_neigh_params p;	/* const, defaults applied */
	uint64_t mac48;			/* const: p.mac packed */
	uint32_t seed;			/* const: hash seed (cf. neigh hash_rnd) */
	uint32_t nent;			/* const: slab size (2 * max_entries) */
	uint32_t bcast;			/* const: subnet broadcast, network order */
	uint64_t hold_max;		/* const: bytes a lane may hold */
	uint16_t nlanes;		/* const */
	struct nent *slab;		/* const ptr */
	/* free list head: tag (32) | index (32); the tag defeats ABA */
	alignas(PP_CACHE_LINE) _Atomic uint64_t free_head;
	alignas(PP_CACHE_LINE) _Atomic uint32_t count;	/* live + being created */
	_Atomic uint32_t pending_free;	/* deleted, not yet back on the free list */
	_Atomic uint64_t gc_last;	/* last forced GC (cf. tbl->last_flush) */
};

static inline unsigned long ip_hash(const struct pp_neigh_table *t, uint32_t ip)
{
	uint32_t h = ip ^ t->seed;

	/* murmur3 fmix32: rculfhash indexes buckets with the low bits */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* pp__neigh_ent_match() - rculfhash match of a node against an address (the
 * table's key), as the table's lookups and adds pass it. */
int pp__neigh_ent_match(struct cds_lfht_node *node, const void *key);

/* The entry of a table node, or NULL past the end. */
static inline struct nent *ent_of(struct cds_lfht_node *node)
{
	return node ? caa_container_of(node, struct nent, node) : NULL;
}

/* The live entry of @ip, or NULL (cf. neigh_lookup()). Caller is an RCU
 * reader. Inline: the output stage runs it for every next hop it meets. */
static inline struct nent *ent_lookup(struct pp_neigh_table *t, uint32_t ip)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->ht, ip_hash(t, ip), pp__neigh_ent_match, &ip, &it);
	node = cds_lfht_iter_get_node(&it);
	return ent_of(node);
}

/* The state of @e, PP_NUD_NONE for no entry. */
static inline unsigned int ent_state(struct nent *e)
{
	return e ? hw_state(atomic_load_explicit(&e->hw, memory_order_acquire)) : PP_NUD_NONE;
}

/*
 * Move @e from hw word @w to @nw and stamp the change (cf. neigh->updated
 * in __neigh_update()). Return: false if @w is no longer current (another
 * writer came first; nothing changed).
 */
static inline bool ent_move(struct nent *e, uint64_t w, uint64_t nw, uint64_t now)
{
	if (!atomic_compare_exchange_strong_explicit(&e->hw, &w, nw, memory_order_acq_rel,
						     memory_order_relaxed))
		return false;
	atomic_store_explicit(&e->updated, now, memory_order_relaxed);
	return true;
}

/* REACHABLE past its deadline -> STALE (cf. neigh_timer_handler()). */
static inline void maybe_stale(struct nent *e, uint64_t w, uint64_t now)
{
	uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);

	if (hw_state(w) != PP_NUD_REACHABLE || tmr_seq(p) != hw_seq(w) || !tmr_due(p, now))
		return;
	/* fails harmlessly if a confirmation (new seq) came meanwhile */
	(void)ent_move(e, w, hw_make(hw_mac(w), PP_NUD_STALE, hw_seq(w) + 1), now);
}

/*
 * Install @nt as the timer word unless a newer epoch (seq) already did: the
 * writer of each hw epoch installs its timer after its hw CAS, and a slower
 * writer of an older epoch must not overwrite a newer one.
 */
static inline void tmr_install(struct nent *e, uint64_t nt)
{
	uint64_t cur = atomic_load_explicit(&e->tmr, memory_order_relaxed);

	for (;;) {
		if ((int8_t)(uint8_t)(tmr_seq(nt) - tmr_seq(cur)) <= 0)
			return;
		if (atomic_compare_exchange_weak_explicit(&e->tmr, &cur, nt, memory_order_release,
							  memory_order_relaxed))
			return;
	}
}

/*
 * The epoch of @w -> @state (INCOMPLETE or FAILED) with no address and a
 * fresh timer due at @deadline (cf. neigh_invalidate() failing an entry,
 * __neigh_event_send() restarting resolution of a failed one). Inline: the
 * output stage's restart was inline in one neigh.c, and a call there made
 * the compiler spill on the resolved path (3 instructions a packet).
 * Return: true if we made the change.
 */
static inline bool ent_reset(struct nent *e, uint64_t w, unsigned int state, uint64_t deadline,
			     uint64_t now)
{
	unsigned int seq = hw_seq(w) + 1;

	if (!ent_move(e, w, hw_make(0, state, seq), now))
		return false;
	tmr_install(e, tmr_make(seq, 0, deadline));
	return true;
}

/* INCOMPLETE -> FAILED for the epoch of @w, held failed_hold_ns (cf.
 * neigh_invalidate()). Return: true if we made the change. */
static inline bool ent_fail(struct pp_neigh_table *t, struct nent *e, uint64_t w, uint64_t now)
{
	return ent_reset(e, w, PP_NUD_FAILED, now + t->p.failed_hold_ns, now);
}

/*
 * pp__neigh_ent_create() - create the entry of @ip with words @hw/@tmr, or
 * find the live one that beat us to it (cf. __neigh_create()). *created says
 * which. @evict: the entry is wanted by our traffic or the admin, and may
 * evict an unreferenced entry when the table is full (see forced_gc()).
 * Return: the entry, or NULL if the table is full.
 * Context: inside a read-side section.
 */
struct nent *pp__neigh_ent_create(struct pp_neigh_table *t, uint32_t ip, uint64_t hw,
				  uint64_t tmr, uint64_t now, bool evict, bool *created);

/* ---- lanes -------------------------------------------------------------- */

/* skbs one lane holds for one next hop, FIFO through skb->next */
struct pend {
	uint32_t ip;
	uint32_t qlen;
	uint32_t bytes;		/* truesize held (every frame of every chain) */
	uint64_t order;		/* when the slot was taken: the lane's nth */
	struct pp_skb *head;
	struct pp_skb *tail;
};

struct pp_neigh_lane {
	struct pp_neigh_table *t;	/* const */
	uint64_t bit;			/* const: our bit in an entry's holders */
	uint64_t hold_max;		/* const: bytes held over all slots */
	uint16_t lane;			/* const */
	uint16_t npend;			/* pend[0..npend) in use */
	uint64_t bloom;			/* bit per hashed ip of pend[]: cheap miss */
	uint64_t now;			/* time of the last poll */
	uint64_t order;			/* slots taken so far */
	uint64_t held_bytes;		/* sum of pend[].bytes */
	bool pinned;			/* output uses now, not the clock (tests) */
	struct pp_neigh_lane_stats stats; /* one writer: the lane */
	struct pend pend[PP_NEIGH_LANE_SLOTS];
};

static inline uint64_t bloom_bit(uint32_t ip)
{
	return 1ull << ((ip * 0x9e3779b1u) >> 26);
}

/* The slot holding skbs for @ip, or NULL: one test of the bloom word when the
 * lane holds nothing for it, which is what the output stage meets. */
static inline struct pend *pend_find(struct pp_neigh_lane *nl, uint32_t ip)
{
	if (!(nl->bloom & bloom_bit(ip)))
		return NULL;
	for (unsigned int i = 0; i < nl->npend; i++)
		if (nl->pend[i].ip == ip)
			return &nl->pend[i];
	return NULL;
}

/* What one stage call is writing: out[] and its room. */
struct emit {
	struct pp_stage *st;
	struct pp_neigh_lane *nl;
	struct pp_skb **out;
	uint16_t nout;
	uint16_t cap;
	bool have_now;
	uint64_t now;		/* read once, when first needed: see emit_now() */
	/* last lookup of this call: bursts go to few next hops. Valid only
	 * within the call (one read-side section). */
	uint32_t last_ip;
	struct nent *last_e;
};

/* What the neighbour stage and its poll need of their pp_stage. */
static inline bool emit_stage_ok(const struct pp_stage *st, struct pp_skb *const *out)
{
	return st && st->ctx && st->stats && st->cache && out;
}

/*
 * The time of this call. Output reads the clock (vDSO, no syscall) once per
 * burst and only if a decision needs it; poll brings its own. A lane whose
 * clock is pinned (tests) uses the time of its last poll instead.
 */
static inline uint64_t emit_now(struct emit *c)
{
	if (!c->have_now) {
		c->now = c->nl->pinned ? c->nl->now : pp__now_ns();
		c->have_now = true;
	}
	return c->now;
}

/* A valid entry (hw word @w) is about to be used: a REACHABLE one past its
 * time goes STALE first. The clock is read only for REACHABLE. */
static inline void emit_touch(struct emit *c, struct nent *e, uint64_t w)
{
	if (hw_state(w) == PP_NUD_REACHABLE)
		maybe_stale(e, w, emit_now(c));
}

/* neigh_queue.c: a lane's pending slots (see there). */
struct pend *pp__neigh_pend_new(struct emit *c, uint32_t ip, struct nent *e);
bool pp__neigh_pend_reclaim(struct emit *c);
void pp__neigh_pend_add(struct emit *c, struct pend *q, struct pp_skb *skb, enum pp_drop_reason why);
bool pp__neigh_pend_service(struct emit *c, struct pend *q);

/* A slot is free, or pp__neigh_pend_reclaim() freed one. */
static inline bool pend_room(struct emit *c)
{
	return c->nl->npend < PP_NEIGH_LANE_SLOTS || pp__neigh_pend_reclaim(c);
}

/* neigh_output.c: send a resolved skb to @mac48 (see there). */
void pp__neigh_emit_resolved(struct emit *c, struct pp_skb *skb, uint64_t mac48);

#endif /* PP_PROTO_NEIGH_PRIV_H */
