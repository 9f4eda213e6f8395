// SPDX-License-Identifier: MIT
/*
 * neigh_table.c - the neighbour table: entries, their states and what
 * learning, ageing and collection do to them.
 *
 * Mirrors net/core/neighbour.c: neigh_lookup() (an rculfhash lookup, see
 * ent_lookup() in neigh_priv.h), __neigh_create() and neigh_alloc() (a slab
 * entry reserved against gc_thresh3, no malloc), __neigh_update() (ARP
 * learning with locktime, the admin's PERMANENT entries), neigh_forced_gc()
 * when the table fills, and neigh_periodic_work() ageing REACHABLE to STALE,
 * removing FAILED entries after their hold and collecting old STALE ones.
 * The kernel takes the entry's rwlock for each change; here every change is
 * a CAS on the entry's state words (neigh_priv.h says how they are laid out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "proto/neigh_priv.h"

/* Defaults and limits: proto/defaults.h. Times fit the 48-bit timer word. */
#define MAX_TIME_NS (1ull << 46)

#define FREE_NIL UINT32_MAX

/* A dead entry (state NONE: being deleted) never matches, so a new entry for
 * the same address may be added before the dead one is unlinked. */
int pp__neigh_ent_match(struct cds_lfht_node *node, const void *key)
{
	struct nent *e = caa_container_of(node, struct nent, node);

	return atomic_load_explicit(&e->ip, memory_order_relaxed) == *(const uint32_t *)key &&
	       hw_state(atomic_load_explicit(&e->hw, memory_order_relaxed)) != PP_NUD_NONE;
}

/*
 * Every entry of the table, as cds_lfht_for_each_entry() walks them, without
 * its last step: that one computes container_of(NULL), undefined behaviour
 * that clang's UBSan (rightly) reports. Caller is an RCU reader.
 */
#define for_each_ent(t, it, e)                                                  \
	for (cds_lfht_first((t)->ht, (it)); ((e) = ent_of(cds_lfht_iter_get_node(it))); \
	     cds_lfht_next((t)->ht, (it)))

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
 * PERMANENT, that FAILED or were not updated for PP_NEIGH_FORCED_GC_NS,
 * until the table is down to gc_thresh2. With @evict, if that freed nothing, the
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
		if (s == PP_NUD_FAILED || age > PP_NEIGH_FORCED_GC_NS) {
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
 * has not for PP_NEIGH_FORCED_GC_NS. @evict: see forced_gc().
 * Return: true if reserved (count holds it; the caller gives it back if it
 * makes no entry).
 */
static bool ent_admit(struct pp_neigh_table *t, uint64_t now, bool evict)
{
	uint32_t n = atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed);

	if (PP_UNLIKELY(n >= t->p.gc_thresh2)) {
		uint64_t last = atomic_load_explicit(&t->gc_last, memory_order_relaxed);
		bool full = n >= t->p.max_entries;

		if (full || (int64_t)(now - last) > (int64_t)PP_NEIGH_FORCED_GC_NS)
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
struct nent *pp__neigh_ent_create(struct pp_neigh_table *t, uint32_t ip, uint64_t hw,
				  uint64_t tmr, uint64_t now, bool evict, bool *created)
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
	got = cds_lfht_add_unique(t->ht, ip_hash(t, ip), pp__neigh_ent_match, &ip, &e->node);
	if (got != &e->node) {
		/* never published: back on the free list at once */
		ent_push(t, e);
		atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
		return caa_container_of(got, struct nent, node);
	}
	*created = true;
	return e;
}


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

/* What an update from the link or the admin must carry: an address that may
 * have an entry, and a unicast MAC (cf. is_valid_ether_addr()). */
static bool update_ok(const struct pp_neigh_table *t, uint32_t ip, const uint8_t *mac)
{
	return t && mac && ip_ok(t, ip) && pp__eth_addr_unicast(mac);
}

int pp__neigh_table_create(const struct pp_neigh_params *p, uint16_t nlanes, struct pp_neigh_table **out)
{
	struct pp_neigh_table *t;
	struct pp_neigh_params q;
	unsigned long buckets = 1;

	if (!p || !out || !nlanes || nlanes > PP_POOL_CACHES_MAX)
		return -EINVAL;
	q = *p;
	q.unres_qlen = q.unres_qlen ? q.unres_qlen : PP_NEIGH_UNRES_QLEN;
	q.retrans_ns = q.retrans_ns ? q.retrans_ns : PP_NEIGH_RETRANS_NS;
	q.mcast_probes = q.mcast_probes ? q.mcast_probes : PP_NEIGH_MCAST_PROBES;
	q.reachable_ns = q.reachable_ns ? q.reachable_ns : PP_NEIGH_REACHABLE_NS;
	q.failed_hold_ns = q.failed_hold_ns ? q.failed_hold_ns : PP_NEIGH_FAILED_HOLD_NS;
	q.max_entries = q.max_entries ? q.max_entries : PP_NEIGH_GC_THRESH3;
	q.unres_qlen_bytes = q.unres_qlen_bytes ? q.unres_qlen_bytes : PP_NEIGH_UNRES_QLEN_BYTES;
	q.frames_per_lane = q.frames_per_lane ? q.frames_per_lane : PP_POOL_FRAMES_DEFAULT;
	q.frame_size = q.frame_size ? q.frame_size : PP_FRAME_2K;
	if (!q.gc_thresh2)
		q.gc_thresh2 = q.max_entries < PP_NEIGH_GC_THRESH2 ? q.max_entries : PP_NEIGH_GC_THRESH2;
	if (!q.gc_thresh1)
		q.gc_thresh1 = q.gc_thresh2 < PP_NEIGH_GC_THRESH1 ? q.gc_thresh2 : PP_NEIGH_GC_THRESH1;
	q.gc_stale_ns = q.gc_stale_ns ? q.gc_stale_ns : PP_NEIGH_GC_STALE_NS;
	q.locktime_ns = q.locktime_ns ? q.locktime_ns : PP_NEIGH_LOCKTIME_NS;
	uint32_t hmask = __builtin_bswap32(q.mask), inv = ~hmask;

	if (q.unres_qlen > UINT16_MAX || q.mcast_probes > 255 || q.max_entries > PP_NEIGH_MAX_ENTRIES ||
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
	/* aligned_alloc() wants a multiple of the alignment: with a small
	 * max_entries (an odd one, say) the slab is not one */
	t->slab = aligned_alloc(PP_CACHE_LINE, (sizeof(struct nent) * t->nent + PP_CACHE_LINE - 1) &
						       ~(size_t)(PP_CACHE_LINE - 1));
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

	if (!update_ok(t, ip, mac))
		return -EINVAL;
	m = mac_pack(mac);
	now = pp__now_ns();
	rcu_read_lock();
	for (int tries = 0; tries < 8; tries++) {
		struct nent *e = ent_lookup(t, ip);
		bool created;

		if (!e) {
			e = pp__neigh_ent_create(t, ip, hw_make(m, PP_NUD_PERMANENT, 0),
						 tmr_make(0, 0, 0), now, true, &created);
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

	if (!update_ok(t, ip, mac) || (state != PP_NUD_REACHABLE && state != PP_NUD_STALE) ||
	    (flags & ~PP_NEIGH_F_OVERRIDE))
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

	if (!update_ok(t, ip, mac))
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
			e = pp__neigh_ent_create(t, ip, hw_make(m, PP_NUD_STALE, 0),
						 tmr_make(0, 0, now_ns), now_ns, false, &created);
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
