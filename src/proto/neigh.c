// SPDX-License-Identifier: MIT
/*
 * neigh.c - the neighbour table and the neighbour output stage.
 *
 * Mirrors net/core/neighbour.c: __neigh_lookup()/__neigh_create() on a cold
 * next hop, neigh_resolve_output() + __neigh_event_send() holding skbs while
 * INCOMPLETE (arp_queue, bounded by unres_qlen), neigh_timer_handler()
 * retrying probes and failing the entry, neigh_update() resolving it and
 * flushing what waited, neigh_periodic_work() ageing and collecting. The
 * kernel serialises all of that with the entry's rwlock; here nothing on the
 * data path locks:
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
#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/arp.h"
#include "proto/limits.h"
#include "proto/neigh.h"

#define DEF_UNRES_QLEN 101
#define DEF_RETRANS_NS PP_NSEC_PER_SEC
#define DEF_MCAST_PROBES 3
#define DEF_REACHABLE_NS (30 * PP_NSEC_PER_SEC)
#define DEF_FAILED_HOLD_NS PP_NSEC_PER_SEC
#define DEF_MAX_ENTRIES PP_NEIGH_GC_THRESH3
#define DEF_FRAMES_PER_LANE 4096	/* the pool's default */
#define DEF_FRAME_SIZE 2048		/* the pool's default (PP_FRAME_2K) */
#define MAX_ENTRIES (1u << 20)
/* cf. neigh_forced_gc(): entries updated within this are spared, and
 * neigh_alloc(): above gc_thresh2 the forced GC runs at most this often */
#define FORCED_GC_NS (5 * PP_NSEC_PER_SEC)
#define MAX_TIME_NS (1ull << 46)

#define FREE_NIL UINT32_MAX

/* a lane's mark is one bit of a 64-bit word */
static_assert(PP_POOL_CACHES_MAX <= 64, "holders has a bit per lane");

/* ---- the two state words ------------------------------------------------ */

#define M48 ((1ull << 48) - 1)

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fill_eth() copies a packed address as bytes: little-endian only"
#endif

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

/* A dead entry (state NONE: being deleted) never matches, so a new entry for
 * the same address may be added before the dead one is unlinked. */
static int ent_match(struct cds_lfht_node *node, const void *key)
{
	struct nent *e = caa_container_of(node, struct nent, node);

	return atomic_load_explicit(&e->ip, memory_order_relaxed) == *(const uint32_t *)key &&
	       hw_state(atomic_load_explicit(&e->hw, memory_order_relaxed)) != PP_NUD_NONE;
}

/* The entry of a table node, or NULL past the end. */
static inline struct nent *ent_of(struct cds_lfht_node *node)
{
	return node ? caa_container_of(node, struct nent, node) : NULL;
}

/*
 * Every entry of the table, as cds_lfht_for_each_entry() walks them, without
 * its last step: that one computes container_of(NULL), undefined behaviour
 * that clang's UBSan (rightly) reports. Caller is an RCU reader.
 */
#define for_each_ent(t, it, e)                                                  \
	for (cds_lfht_first((t)->ht, (it)); ((e) = ent_of(cds_lfht_iter_get_node(it))); \
	     cds_lfht_next((t)->ht, (it)))

static struct nent *ent_lookup(struct pp_neigh_table *t, uint32_t ip)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->ht, ip_hash(t, ip), ent_match, &ip, &it);
	node = cds_lfht_iter_get_node(&it);
	return ent_of(node);
}

static struct nent *ent_pop(struct pp_neigh_table *t)
{
	uint64_t h = atomic_load_explicit(&t->free_head, memory_order_acquire);

	for (;;) {
		uint32_t idx = (uint32_t)h;

		if (idx == FREE_NIL)
			return NULL;
		/* The slab is never unmapped: reading a stale link is harmless,
		 * the tag makes the CAS fail. */
		uint32_t next = atomic_load_explicit(&t->slab[idx].free_next, memory_order_relaxed);
		uint64_t nh = ((h >> 32) + 1) << 32 | next;

		if (atomic_compare_exchange_weak_explicit(&t->free_head, &h, nh, memory_order_acquire,
							  memory_order_acquire))
			return &t->slab[idx];
	}
}

static void ent_push(struct pp_neigh_table *t, struct nent *e)
{
	uint32_t idx = (uint32_t)(e - t->slab);
	uint64_t h = atomic_load_explicit(&t->free_head, memory_order_relaxed);

	atomic_store_explicit(&e->hw, 0, memory_order_relaxed);
	for (;;) {
		atomic_store_explicit(&e->free_next, (uint32_t)h, memory_order_relaxed);
		uint64_t nh = ((h >> 32) + 1) << 32 | idx;

		/* (R) release: pairs with the acquire in ent_pop() */
		if (atomic_compare_exchange_weak_explicit(&t->free_head, &h, nh, memory_order_release,
							  memory_order_relaxed))
			return;
	}
}

static void ent_rcu_free(struct rcu_head *head)
{
	struct nent *e = caa_container_of(head, struct nent, rcu);
	struct pp_neigh_table *t;

	/* (K) acquire: pairs with the release of the kill CAS in ent_kill().
	 * call_rcu() hands over through liburcu, which ThreadSanitizer does not
	 * see; this edge it does. */
	(void)atomic_load_explicit(&e->hw, memory_order_acquire);
	t = e->t;
	ent_push(t, e);
	/* (F) release: pairs with (G) in pp__neigh_table_destroy() */
	atomic_fetch_sub_explicit(&t->pending_free, 1, memory_order_release);
}

/*
 * Install @nt as the timer word unless a newer epoch (seq) already did: the
 * writer of each hw epoch installs its timer after its hw CAS, and a slower
 * writer of an older epoch must not overwrite a newer one.
 */
static void tmr_install(struct nent *e, uint64_t nt)
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

/* Unlink a live entry: hw -> NONE (one winner), unlink, reclaim after a
 * grace period. Return: true if we were the one. */
static bool ent_kill(struct pp_neigh_table *t, struct nent *e, uint64_t w, bool defer)
{
	for (;;) {
		if (hw_state(w) == PP_NUD_NONE)
			return false;
		if (atomic_compare_exchange_weak_explicit(&e->hw, &w,
							  hw_make(0, PP_NUD_NONE, hw_seq(w) + 1),
							  memory_order_acq_rel, memory_order_acquire))
			break;
	}
	cds_lfht_del(t->ht, &e->node);
	atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
	if (defer) {
		atomic_fetch_add_explicit(&t->pending_free, 1, memory_order_relaxed);
		call_rcu(&e->rcu, ent_rcu_free);
	}
	return true;
}

/* ns since @e's last change (0 if it looks in the future: racing stamps) */
static inline uint64_t ent_age(struct nent *e, uint64_t now)
{
	int64_t d = (int64_t)(now - atomic_load_explicit(&e->updated, memory_order_relaxed));

	return d > 0 ? (uint64_t)d : 0;
}

/*
 * cf. neigh_forced_gc(): remove entries no lane holds skbs for, not
 * PERMANENT, that FAILED or were not updated for FORCED_GC_NS, until the
 * table is down to gc_thresh2. With @evict, if that freed nothing, the
 * oldest such entry goes whatever its age: our own traffic (or the admin)
 * needs the room, and what the link taught us must not lock it out.
 * Context: inside a read-side section. Return: entries removed.
 */
static uint32_t forced_gc(struct pp_neigh_table *t, uint64_t now, bool evict)
{
	uint32_t cnt = atomic_load_explicit(&t->count, memory_order_relaxed);
	uint32_t max_clean = cnt > t->p.gc_thresh2 ? cnt - t->p.gc_thresh2 : 1;
	uint32_t shrunk = 0;
	struct cds_lfht_iter it;
	struct nent *e, *old = NULL;
	uint64_t old_age = 0, old_w = 0;

	atomic_store_explicit(&t->gc_last, now, memory_order_relaxed);
	for_each_ent(t, &it, e) {
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);
		unsigned int s = hw_state(w);
		uint64_t age;

		if (s == PP_NUD_NONE || s == PP_NUD_PERMANENT ||
		    atomic_load_explicit(&e->holders, memory_order_relaxed))
			continue;
		age = ent_age(e, now);
		if (s == PP_NUD_FAILED || age > FORCED_GC_NS) {
			if (ent_kill(t, e, w, true) && ++shrunk >= max_clean)
				break;
			continue;
		}
		if (!old || age > old_age)
			old = e, old_age = age, old_w = w;
	}
	if (!shrunk && evict && old && ent_kill(t, old, old_w, true))
		shrunk++;
	return shrunk;
}

/*
 * Reserve a place among max_entries live entries (cf. neigh_alloc()): at
 * gc_thresh3 the forced GC runs first, and above gc_thresh2 it runs when it
 * has not for FORCED_GC_NS. @evict: see forced_gc().
 * Return: true if reserved (count holds it; the caller gives it back if it
 * makes no entry).
 */
static bool ent_admit(struct pp_neigh_table *t, uint64_t now, bool evict)
{
	uint32_t n = atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed);

	if (PP_UNLIKELY(n >= t->p.gc_thresh2)) {
		uint64_t last = atomic_load_explicit(&t->gc_last, memory_order_relaxed);
		bool full = n >= t->p.max_entries;

		if (full || (int64_t)(now - last) > (int64_t)FORCED_GC_NS)
			forced_gc(t, now, evict && full);
		if (atomic_load_explicit(&t->count, memory_order_relaxed) > t->p.max_entries) {
			atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
			return false;
		}
	}
	return true;
}

/*
 * Create the entry of @ip with words @hw/@tmr, or find the live one that
 * beat us to it (cf. __neigh_create()). *created says which. @evict: the
 * entry is wanted by our traffic or the admin (see forced_gc()).
 * Return: the entry, or NULL if the table is full.
 */
static struct nent *ent_create(struct pp_neigh_table *t, uint32_t ip, uint64_t hw, uint64_t tmr,
			       uint64_t now, bool evict, bool *created)
{
	struct nent *e;
	struct cds_lfht_node *got;

	*created = false;
	if (!ent_admit(t, now, evict))
		return ent_lookup(t, ip);
	e = ent_pop(t);
	if (!e) {
		/* every spare slab entry waits for a grace period */
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		return ent_lookup(t, ip);
	}
	atomic_store_explicit(&e->ip, ip, memory_order_relaxed);
	atomic_store_explicit(&e->hw, hw, memory_order_relaxed);
	atomic_store_explicit(&e->tmr, tmr, memory_order_relaxed);
	atomic_store_explicit(&e->updated, now, memory_order_relaxed);
	atomic_store_explicit(&e->holders, 0, memory_order_relaxed);
	cds_lfht_node_init(&e->node);
	/* full barrier before the commit: readers see the words set above */
	got = cds_lfht_add_unique(t->ht, ip_hash(t, ip), ent_match, &ip, &e->node);
	if (got != &e->node) {
		/* never published: back on the free list at once */
		ent_push(t, e);
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		return caa_container_of(got, struct nent, node);
	}
	*created = true;
	return e;
}

/* INCOMPLETE -> FAILED for the epoch of @w, held failed_hold_ns (cf.
 * neigh_invalidate()). Return: true if we made the change. */
static bool ent_fail(struct pp_neigh_table *t, struct nent *e, uint64_t w, uint64_t now)
{
	unsigned int seq = hw_seq(w) + 1;

	if (!atomic_compare_exchange_strong_explicit(&e->hw, &w, hw_make(0, PP_NUD_FAILED, seq),
						     memory_order_acq_rel, memory_order_relaxed))
		return false;
	atomic_store_explicit(&e->updated, now, memory_order_relaxed);
	tmr_install(e, tmr_make(seq, 0, now + t->p.failed_hold_ns));
	return true;
}

/* network-order limited broadcast (cf. ipv4_is_lbcast()) */
static inline bool ip_is_bcast(uint32_t be) { return be == 0xffffffffu; }

/* An address a neighbour entry may have: unicast, not 0. */
static bool target_ok(uint32_t ip)
{
	return ip && !pp__ipv4_is_multicast(ip) && !ip_is_bcast(ip);
}

/* ... and not our subnet broadcast (cf. inet_addr_type() == RTN_BROADCAST) */
static bool ip_ok(const struct pp_neigh_table *t, uint32_t ip)
{
	return target_ok(ip) && ip != t->bcast;
}

int pp__neigh_table_create(const struct pp_neigh_params *p, uint16_t nlanes, struct pp_neigh_table **out)
{
	struct pp_neigh_table *t;
	struct pp_neigh_params q;
	unsigned long buckets = 1;

	if (!p || !out || !nlanes || nlanes > PP_POOL_CACHES_MAX)
		return -EINVAL;
	q = *p;
	q.unres_qlen = q.unres_qlen ? q.unres_qlen : DEF_UNRES_QLEN;
	q.retrans_ns = q.retrans_ns ? q.retrans_ns : DEF_RETRANS_NS;
	q.mcast_probes = q.mcast_probes ? q.mcast_probes : DEF_MCAST_PROBES;
	q.reachable_ns = q.reachable_ns ? q.reachable_ns : DEF_REACHABLE_NS;
	q.failed_hold_ns = q.failed_hold_ns ? q.failed_hold_ns : DEF_FAILED_HOLD_NS;
	q.max_entries = q.max_entries ? q.max_entries : DEF_MAX_ENTRIES;
	q.unres_qlen_bytes = q.unres_qlen_bytes ? q.unres_qlen_bytes : PP_NEIGH_UNRES_QLEN_BYTES;
	q.frames_per_lane = q.frames_per_lane ? q.frames_per_lane : DEF_FRAMES_PER_LANE;
	q.frame_size = q.frame_size ? q.frame_size : DEF_FRAME_SIZE;
	if (!q.gc_thresh2)
		q.gc_thresh2 = q.max_entries < PP_NEIGH_GC_THRESH2 ? q.max_entries : PP_NEIGH_GC_THRESH2;
	if (!q.gc_thresh1)
		q.gc_thresh1 = q.gc_thresh2 < PP_NEIGH_GC_THRESH1 ? q.gc_thresh2 : PP_NEIGH_GC_THRESH1;
	q.gc_stale_ns = q.gc_stale_ns ? q.gc_stale_ns : PP_NEIGH_GC_STALE_NS;
	q.locktime_ns = q.locktime_ns ? q.locktime_ns : PP_NEIGH_LOCKTIME_NS;
	uint32_t hmask = __builtin_bswap32(q.mask), inv = ~hmask;

	if (q.unres_qlen > UINT16_MAX || q.mcast_probes > 255 || q.max_entries > MAX_ENTRIES ||
	    q.gc_thresh2 > q.max_entries || q.gc_thresh1 > q.gc_thresh2 ||
	    q.retrans_ns >= MAX_TIME_NS || q.reachable_ns >= MAX_TIME_NS ||
	    q.failed_hold_ns >= MAX_TIME_NS || q.gc_stale_ns >= MAX_TIME_NS ||
	    q.locktime_ns >= MAX_TIME_NS || (inv & (inv + 1)) || !pp__eth_addr_unicast(q.mac) ||
	    !target_ok(q.ip))
		return -EINVAL;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = q;
	t->mac48 = mac_pack(q.mac);
	t->nlanes = nlanes;
	t->nent = 2 * q.max_entries;
	/* a /31 or /32 has no subnet broadcast (cf. fib_add_ifaddr()) */
	t->bcast = inv > 1 ? (q.ip | ~q.mask) : 0xffffffffu;
	t->hold_max = pp__hold_share(q.frames_per_lane, q.frame_size, PP_HOLD_NEIGH_DIV);
	if (q.ip == t->bcast) {
		free(t);
		return -EINVAL;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint32_t)pp__now_ns();
	t->slab = aligned_alloc(PP_CACHE_LINE, sizeof(struct nent) * t->nent);
	if (!t->slab)
		goto err_table;
	memset(t->slab, 0, sizeof(struct nent) * t->nent);
	for (uint32_t i = 0; i < t->nent; i++) {
		t->slab[i].t = t;
		atomic_init(&t->slab[i].free_next, i + 1 < t->nent ? i + 1 : FREE_NIL);
	}
	atomic_init(&t->free_head, 0);
	/* A fixed bucket array sized for the slab and no AUTO_RESIZE: resizing
	 * would allocate (and defer work) from whichever lane adds an entry. */
	while (buckets < t->nent)
		buckets <<= 1;
	t->ht = cds_lfht_new(buckets, buckets, buckets, 0, NULL);
	if (!t->ht)
		goto err_slab;
	*out = t;
	return 0;

err_slab:
	free(t->slab);
err_table:
	free(t);
	return -ENOMEM;
}

void pp__neigh_table_destroy(struct pp_neigh_table *t)
{
	struct cds_lfht_iter it;
	struct nent *e;
	bool online;

	if (!t)
		return;
	rcu_read_lock();
	for_each_ent(t, &it, e)
		cds_lfht_del(t->ht, &e->node);
	rcu_read_unlock();
	/*
	 * Entries deleted earlier must reach ent_push() (which writes into the
	 * slab and the table) before both are freed. That is what rcu_barrier()
	 * is for, but it synchronises inside liburcu, which ThreadSanitizer does
	 * not see; our own counter gives it (and us) a visible edge. Offline
	 * meanwhile, so that the grace periods those callbacks wait for can end;
	 * cds_lfht_destroy() must not run inside a read-side section either,
	 * which an online QSBR thread always is.
	 */
	online = rcu_read_ongoing();
	if (online)
		rcu_thread_offline();
	/* (G) acquire: pairs with (F) in ent_rcu_free() */
	while (atomic_load_explicit(&t->pending_free, memory_order_acquire))
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	(void)cds_lfht_destroy(t->ht, NULL);
	if (online)
		rcu_thread_online();
	free(t->slab);
	free(t);
}

uint32_t pp__neigh_table_ip(const struct pp_neigh_table *t)
{
	return t ? t->p.ip : 0;
}

const uint8_t *pp__neigh_table_mac(const struct pp_neigh_table *t)
{
	return t ? t->p.mac : NULL;
}

uint32_t pp__neigh_table_bcast(const struct pp_neigh_table *t)
{
	return t ? t->bcast : 0xffffffffu;
}

bool pp__neigh_table_onlink(const struct pp_neigh_table *t, uint32_t ip)
{
	return t && ((ip ^ t->p.ip) & t->p.mask) == 0;
}

uint32_t pp__neigh_table_count(const struct pp_neigh_table *t)
{
	return t ? atomic_load_explicit(&t->count, memory_order_relaxed) : 0;
}

int pp__neigh_add_static(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6])
{
	uint64_t m, now;
	int err = -ENOBUFS;

	if (!t || !mac || !ip_ok(t, ip) || !pp__eth_addr_unicast(mac))
		return -EINVAL;
	m = mac_pack(mac);
	now = pp__now_ns();
	rcu_read_lock();
	for (int tries = 0; tries < 8; tries++) {
		struct nent *e = ent_lookup(t, ip);
		bool created;

		if (!e) {
			e = ent_create(t, ip, hw_make(m, PP_NUD_PERMANENT, 0), tmr_make(0, 0, 0), now,
				       true, &created);
			if (!e)
				break;
			if (created) {
				err = 0;
				break;
			}
		}
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);

		/* admin override: any live state becomes PERMANENT (cf. NEIGH_UPDATE_F_ADMIN) */
		while (hw_state(w) != PP_NUD_NONE) {
			if (atomic_compare_exchange_weak_explicit(
				    &e->hw, &w, hw_make(m, PP_NUD_PERMANENT, hw_seq(w) + 1),
				    memory_order_acq_rel, memory_order_acquire)) {
				atomic_store_explicit(&e->updated, now, memory_order_relaxed);
				err = 0;
				goto out;
			}
		}
		/* raced with a delete: create afresh */
	}
out:
	rcu_read_unlock();
	return err;
}

int pp__neigh_del(struct pp_neigh_table *t, uint32_t ip)
{
	struct nent *e;
	int err = -ENOENT;

	if (!t)
		return -EINVAL;
	rcu_read_lock();
	e = ent_lookup(t, ip);
	if (e && ent_kill(t, e, atomic_load_explicit(&e->hw, memory_order_acquire), true))
		err = 0;
	rcu_read_unlock();
	return err;
}

/*
 * Address and state learned for an entry (cf. neigh_update() without ADMIN):
 * @state REACHABLE confirms (timer restarted), STALE keeps a valid entry
 * with the same address as it is. PERMANENT entries are left alone. A valid
 * entry changed at most locktime ago keeps its address against another one
 * unless @flags has PP_NEIGH_F_OVERRIDE (cf. arp_process(): override =
 * time_after(jiffies, n->updated + locktime) || is_garp): nothing changes.
 */
static int ent_learn(struct pp_neigh_table *t, struct nent *e, uint64_t m, unsigned int state,
		     unsigned int flags, uint64_t now)
{
	uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);

	for (;;) {
		unsigned int old = hw_state(w);
		unsigned int seq = hw_seq(w) + 1;

		if (old == PP_NUD_NONE)
			return -ENOENT;
		if (old == PP_NUD_PERMANENT)
			return -EPERM;
		if (state_valid(old) && hw_mac(w) != m) {
			int64_t since = (int64_t)(now - atomic_load_explicit(&e->updated,
									     memory_order_relaxed));

			if (!(flags & PP_NEIGH_F_OVERRIDE) && since <= (int64_t)t->p.locktime_ns)
				return 0;	/* the first answer wins */
		} else if (state == PP_NUD_STALE && state_valid(old)) {
			return 0;
		}
		if (atomic_compare_exchange_weak_explicit(&e->hw, &w, hw_make(m, state, seq),
							  memory_order_acq_rel, memory_order_acquire)) {
			/* cf. neigh_update(): only a real change moves updated,
			 * so no-op refreshes do not stretch the locktime window */
			if (old != state || hw_mac(w) != m)
				atomic_store_explicit(&e->updated, now, memory_order_relaxed);
			if (state == PP_NUD_REACHABLE)
				tmr_install(e, tmr_make(seq, 0, now + t->p.reachable_ns));
			return 0;
		}
	}
}

int pp__neigh_confirm(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6],
		      enum pp_neigh_state state, unsigned int flags, uint64_t now_ns)
{
	struct nent *e;
	int err = -ENOENT;

	if (!t || !mac || !ip_ok(t, ip) || !pp__eth_addr_unicast(mac) ||
	    (state != PP_NUD_REACHABLE && state != PP_NUD_STALE) || (flags & ~PP_NEIGH_F_OVERRIDE))
		return -EINVAL;
	rcu_read_lock();
	e = ent_lookup(t, ip);
	if (e)
		err = ent_learn(t, e, mac_pack(mac), state, flags, now_ns);
	rcu_read_unlock();
	return err;
}

int pp__neigh_update(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ns)
{
	return pp__neigh_confirm(t, ip, mac, PP_NUD_REACHABLE, 0, now_ns);
}

int pp__neigh_event(struct pp_neigh_table *t, uint32_t ip, const uint8_t mac[6], uint64_t now_ns)
{
	uint64_t m;
	int err = -ENOBUFS;
	bool onlink;

	if (!t || !mac || !ip_ok(t, ip) || !pp__eth_addr_unicast(mac))
		return -EINVAL;
	m = mac_pack(mac);
	onlink = pp__neigh_table_onlink(t, ip);
	rcu_read_lock();
	for (int tries = 0; tries < 8; tries++) {
		struct nent *e = ent_lookup(t, ip);
		bool created;

		if (!e) {
			/* learn only what is on link: an off-link sender would fill
			 * the table with entries nothing ever sends to */
			if (!onlink) {
				err = -ENETUNREACH;
				break;
			}
			/* learned, not wanted by our traffic: no eviction */
			e = ent_create(t, ip, hw_make(m, PP_NUD_STALE, 0), tmr_make(0, 0, now_ns),
				       now_ns, false, &created);
			if (!e)
				break;
			if (created) {
				err = 0;
				break;
			}
		}
		err = ent_learn(t, e, m, PP_NUD_STALE, 0, now_ns);
		if (err != -ENOENT)
			break;
		err = -ENOBUFS;
	}
	rcu_read_unlock();
	return err;
}

int pp__neigh_lookup(struct pp_neigh_table *t, uint32_t ip, enum pp_neigh_state *state, uint8_t mac[6])
{
	struct nent *e;
	int err = -ENOENT;

	if (!t || !state)
		return -EINVAL;
	rcu_read_lock();
	e = ent_lookup(t, ip);
	if (e) {
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);

		if (hw_state(w) != PP_NUD_NONE) {
			*state = (enum pp_neigh_state)hw_state(w);
			if (mac)
				mac_unpack(hw_mac(w), mac);
			err = 0;
		}
	}
	rcu_read_unlock();
	return err;
}

/* REACHABLE past its deadline -> STALE (cf. neigh_timer_handler()). */
static void maybe_stale(struct nent *e, uint64_t w, uint64_t now)
{
	uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);

	if (hw_state(w) != PP_NUD_REACHABLE || tmr_seq(p) != hw_seq(w) || !tmr_due(p, now))
		return;
	/* fails harmlessly if a confirmation (new seq) came meanwhile */
	if (atomic_compare_exchange_strong_explicit(&e->hw, &w,
						    hw_make(hw_mac(w), PP_NUD_STALE, hw_seq(w) + 1),
						    memory_order_acq_rel, memory_order_relaxed))
		atomic_store_explicit(&e->updated, now, memory_order_relaxed);
}

int pp__neigh_tick(struct pp_neigh_table *t, uint64_t now_ns)
{
	struct cds_lfht_iter it;
	struct nent *e;
	int removed = 0;
	bool collect;

	if (!t)
		return -EINVAL;
	/* cf. neigh_periodic_work(): nothing is collected below gc_thresh1 */
	collect = atomic_load_explicit(&t->count, memory_order_relaxed) >= t->p.gc_thresh1;
	rcu_read_lock();
	for_each_ent(t, &it, e) {
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);
		uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);
		unsigned int s = hw_state(w);
		bool held = atomic_load_explicit(&e->holders, memory_order_relaxed) != 0;
		bool timer = tmr_seq(p) == hw_seq(w);

		if (s == PP_NUD_REACHABLE) {
			maybe_stale(e, w, now_ns);
		} else if (s == PP_NUD_FAILED) {
			if (timer && tmr_due(p, now_ns) && ent_kill(t, e, w, true))
				removed++;
		} else if (s == PP_NUD_INCOMPLETE) {
			/* Nobody probes an entry no lane holds skbs for (its slot was
			 * reclaimed): fail it once its probe is a whole interval late,
			 * as neigh_timer_handler() would have by then. */
			if (!held && timer && tmr_due(p, now_ns - t->p.retrans_ns))
				ent_fail(t, e, w, now_ns);
		} else if (s == PP_NUD_STALE && collect && !held &&
			   ent_age(e, now_ns) >= t->p.gc_stale_ns && ent_kill(t, e, w, true)) {
			/* cf. gc_staletime: unreferenced and unchanged that long */
			removed++;
		}
	}
	rcu_read_unlock();
	return removed;
}

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

static struct pend *pend_find(struct pp_neigh_lane *nl, uint32_t ip)
{
	if (!(nl->bloom & bloom_bit(ip)))
		return NULL;
	for (unsigned int i = 0; i < nl->npend; i++)
		if (nl->pend[i].ip == ip)
			return &nl->pend[i];
	return NULL;
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

/*
 * The time of this call. Output reads the clock (vDSO, no syscall) once per
 * burst and only if a decision needs it; poll brings its own. A lane whose
 * clock is pinned (tests) uses the time of its last poll instead.
 */
static uint64_t emit_now(struct emit *c)
{
	if (!c->have_now) {
		c->now = c->nl->pinned ? c->nl->now : pp__now_ns();
		c->have_now = true;
	}
	return c->now;
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
 * up empty: pend_service() forgets them), so pend pointers stay valid.
 */
static void pend_add(struct emit *c, struct pend *q, struct pp_skb *skb, enum pp_drop_reason why)
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
static bool pend_reclaim(struct emit *c)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pend *victim = NULL;
	struct nent *ve = NULL;

	for (unsigned int i = 0; i < nl->npend; i++) {
		struct pend *q = &nl->pend[i];
		struct nent *e = ent_lookup(nl->t, q->ip);
		unsigned int s = e ? hw_state(atomic_load_explicit(&e->hw, memory_order_acquire))
				   : PP_NUD_NONE;

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
static struct pend *pend_new(struct emit *c, uint32_t ip, struct nent *e)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pend *q;

	if (nl->npend == PP_NEIGH_LANE_SLOTS && !pend_reclaim(c))
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
 * Push and fill the Ethernet header of every fragment (cf. neigh_hh_output(),
 * dev_hard_header()). All or nothing: false if one lacks headroom.
 */
static bool fill_eth(struct pp_skb *skb, uint64_t dst48, const uint8_t src[6])
{
	for (struct pp_skb *f = skb; f; f = f->frag)
		if (pp_skb_headroom(f) < PP_ETH_HLEN)
			return false;
	for (struct pp_skb *f = skb; f; f = f->frag) {
		if (!f->net_off)
			f->net_off = f->data_off;
		/* cannot fail: headroom checked above */
		(void)pp_skb_push(f, PP_ETH_HLEN);
		struct pp_eth_hdr *eth = (struct pp_eth_hdr *)pp_skb_data(f);

		/* mac_pack() puts mac[i] in byte i: on a little-endian machine the
		 * word's first six bytes are the address in wire order */
		memcpy(eth->dst, &dst48, PP_ETH_ALEN);
		memcpy(eth->src, src, PP_ETH_ALEN);
		eth->proto = __builtin_bswap16(PP_ETH_P_IP);
		f->mac_off = f->data_off;
		/* cf. eth_skb_pad(): a frame goes out at least 60 bytes long,
		 * as a NIC pads it; the frame always has that much tailroom */
		if (PP_UNLIKELY(f->len < PP_ETH_ZLEN)) {
			uint32_t pad = PP_ETH_ZLEN - f->len;
			uint8_t *p = pp_skb_put(f, pad);

			if (p)
				memset(p, 0, pad);
		}
	}
	return true;
}

/* Send a resolved skb; the caller checked there is room. */
static void emit_resolved(struct emit *c, struct pp_skb *skb, uint64_t mac48)
{
	if (PP_UNLIKELY(!fill_eth(skb, mac48, c->nl->t->p.mac))) {
		pp_stage_drop(c->st, skb, PP_DROP_NO_BUFFER);
		return;
	}
	skb->next = NULL;
	c->out[c->nout++] = skb;
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
static bool pend_service(struct emit *c, struct pend *q)
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
			if (s == PP_NUD_REACHABLE)
				maybe_stale(e, w, emit_now(c));
			while (q->head && c->nout < c->cap) {
				struct pp_skb *skb = pend_pop(c->nl, q);

				PP_STAT_ADD(c->nl->stats.flushed, 1);
				emit_resolved(c, skb, hw_mac(w));
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

static void xmit_one(struct emit *c, struct pp_skb *skb)
{
	struct pp_neigh_lane *nl = c->nl;
	struct pp_neigh_table *t = nl->t;
	uint32_t nh = skb->nexthop;
	struct pend *q;
	struct nent *e = NULL;

	if (!nh) {
		/* no gateway: the destination is on link (cf. rt_nexthop()) */
		if (skb->len < PP_IPV4_HLEN) {
			pp_stage_drop(c->st, skb, PP_DROP_MALFORMED);
			return;
		}
		memcpy(&nh, pp_skb_data(skb) + offsetof(struct pp_ipv4_hdr, daddr), 4);
		if (!nh) {
			pp_stage_drop(c->st, skb, PP_DROP_NO_ROUTE);
			return;
		}
	}
	if (PP_UNLIKELY(pp__ipv4_is_multicast(nh) || ip_is_bcast(nh) || nh == t->bcast)) {
		/* cf. arp_mc_map(): no resolution for group addresses; the
		 * subnet broadcast is RTN_BROADCAST, sent to dev->broadcast */
		uint8_t m[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		const uint8_t *b = (const uint8_t *)&nh;

		if (pp__ipv4_is_multicast(nh)) {
			m[0] = 0x01, m[1] = 0x00, m[2] = 0x5e;
			m[3] = b[1] & 0x7f, m[4] = b[2], m[5] = b[3];
		}
		if (c->nout >= c->cap)
			pp_stage_drop(c->st, skb, PP_DROP_RING_FULL);
		else
			emit_resolved(c, skb, mac_pack(m));
		return;
	}
	/* Skbs already held for this hop go first: order per hop is kept. */
	if (nl->npend && (q = pend_find(nl, nh)) && !pend_service(c, q)) {
		uint64_t w;

		e = ent_lookup(t, nh);
		w = e ? atomic_load_explicit(&e->hw, memory_order_acquire) : 0;
		pend_add(c, q, skb, state_valid(hw_state(w)) ? PP_DROP_RING_FULL
							     : PP_DROP_NEIGH_QUEUE_FULL);
		return;
	}

	for (int tries = 0; tries < 4; tries++) {
		bool created = false;

		if (!e) {
			if (c->last_e && c->last_ip == nh)
				e = c->last_e;
			else
				e = ent_lookup(t, nh);
			if (!e) {
				if (nl->npend == PP_NEIGH_LANE_SLOTS && !pend_reclaim(c)) {
					/* nowhere to hold it: do not start what we cannot finish */
					pp_stage_drop(c->st, skb, PP_DROP_NEIGH_QUEUE_FULL);
					return;
				}
				/* cf. __neigh_create(): a cold hop starts INCOMPLETE with
				 * its first probe due now; our traffic may evict */
				e = ent_create(t, nh, hw_make(0, PP_NUD_INCOMPLETE, 0),
					       tmr_make(0, 0, emit_now(c)), emit_now(c), true, &created);
				if (!e) {
					PP_STAT_ADD(nl->stats.create_fail, 1);
					pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
					return;
				}
				if (created)
					PP_STAT_ADD(nl->stats.created, 1);
			}
		}
		uint64_t w = atomic_load_explicit(&e->hw, memory_order_acquire);
		unsigned int s = hw_state(w);

		c->last_ip = nh;
		c->last_e = e;
		if (PP_LIKELY(state_valid(s))) {
			if (s == PP_NUD_REACHABLE)
				maybe_stale(e, w, emit_now(c));
			if (PP_LIKELY(c->nout < c->cap)) {
				emit_resolved(c, skb, hw_mac(w));
				return;
			}
			/* out[] full: hold it, the next poll sends it */
			q = pend_new(c, nh, e);
			if (!q)
				pp_stage_drop(c->st, skb, PP_DROP_RING_FULL);
			else
				pend_add(c, q, skb, PP_DROP_RING_FULL);
			return;
		}
		if (s == PP_NUD_FAILED) {
			uint64_t p = atomic_load_explicit(&e->tmr, memory_order_acquire);

			if (tmr_seq(p) != hw_seq(w) || !tmr_due(p, emit_now(c))) {
				pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
				return;
			}
			/* held long enough: new traffic restarts resolution */
			if (!atomic_compare_exchange_strong_explicit(
				    &e->hw, &w, hw_make(0, PP_NUD_INCOMPLETE, hw_seq(w) + 1),
				    memory_order_acq_rel, memory_order_relaxed))
				continue;
			atomic_store_explicit(&e->updated, emit_now(c), memory_order_relaxed);
			tmr_install(e, tmr_make(hw_seq(w) + 1, 0, emit_now(c)));
			s = PP_NUD_INCOMPLETE;
		}
		if (s == PP_NUD_INCOMPLETE) {
			q = pend_new(c, nh, e);
			if (!q) {
				pp_stage_drop(c->st, skb, PP_DROP_NEIGH_QUEUE_FULL);
				return;
			}
			pend_add(c, q, skb, PP_DROP_NEIGH_QUEUE_FULL);
			pend_service(c, q);	/* sends the first probe if due */
			return;
		}
		/* NONE: deleted under us; look again (a new entry, or create) */
		e = NULL;
		c->last_e = NULL;
	}
	pp_stage_drop(c->st, skb, PP_DROP_NEIGH_FAILED);
}

uint16_t pp__neigh_output(struct pp_stage *st, struct pp_skb **pkts, uint16_t n, struct pp_skb **out)
{
	struct emit c;

	if (PP_UNLIKELY(!st || !st->ctx || !st->stats || !st->cache || !out || (n && !pkts)))
		return 0;
	c = (struct emit){.st = st, .nl = st->ctx, .out = out, .cap = st->out_cap};
	pp_stage_count_in(st, pkts, n);
	rcu_read_lock();
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			__builtin_prefetch(pkts[i + 1]);
		xmit_one(&c, pkts[i]);
	}
	rcu_read_unlock();
	return c.nout;
}

uint16_t pp__neigh_poll(struct pp_stage *st, uint64_t now_ns, struct pp_skb **out, uint16_t cap)
{
	struct pp_neigh_lane *nl;
	struct emit c;

	if (PP_UNLIKELY(!st || !st->ctx || !st->stats || !st->cache || !out))
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
		pend_service(&c, &nl->pend[i]);
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
