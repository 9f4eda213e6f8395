// SPDX-License-Identifier: MIT
/*
 * route.c - the IPv4 routing table (route.h): longest-prefix match read by the
 * lanes under RCU (liburcu QSBR), changed by the control path while traffic
 * flows. It plays the part of the kernel's fib_trie (fib_table_lookup(),
 * fib_table_insert(), fib_table_delete()) with the leaf-pushed multibit
 * layout of DPDK's rte_lpm.
 *
 * Layout: a multibit trie with fixed strides 16-8-8 (PP_ROUTE_TOP_BITS = 16):
 * a top array of 2^16 entries indexed by the first 16 bits of the address,
 * then 256-entry groups for bits 16-23 and 24-31, created only under /16s
 * (/24s) that hold a longer route. Every prefix is expanded into the entries
 * it covers (controlled prefix expansion), so a lookup is at most three
 * dependent loads of 32-bit entries, then one load of a next-hop slot: no
 * comparisons, no backtracking. Each entry is a route (its prefix length
 * and next-hop index) or a link to a group; writers store whole entries, so
 * a reader sees each entry before or after a change.
 *
 * Why 16-8-8 and not DIR-24-8 (the same code with a 2^24 top array) nor
 * 8-8-8-8: bench_route.c, median ns per lookup, inline, 2-core EPYC VM
 * (bench/RESULTS.md has the table and rte_lpm beside it):
 *
 *   prefixes  dst     16-8-8  DIR-24-8  8-8-8-8
 *   1         random    2.3     18.5      1.9
 *   1000      random    4.4      2.8      5.8
 *   100000    random   13.4     12.4     34.4
 *   any       seq      1.8-2.4  1.8     1.8-3.3
 *   update, ns per add+del     570      1385       624    (1000 prefixes)
 *   memory, 1 prefix   256 KiB    64 MiB     1 KiB
 *   memory, 100k        47 MiB    66 MiB    47 MiB
 *
 * A host's table (a default route, a few connected subnets) is the common
 * case here: DIR-24-8's 64 MiB top array makes every lookup to a new
 * destination a cache and TLB miss (8x slower) and costs 64 MiB per table;
 * 16-8-8 keeps its 256 KiB top array in L2, matches DIR-24-8 within 10% on
 * a 100k-prefix table, and changes routes 2.4x faster (a /16 is one entry,
 * not 256). 8-8-8-8 loses on big tables (one more dependent miss).
 *
 * Every entry keeps the length of the prefix that filled it, which is what
 * lets an add overwrite only what it is more specific than, and a delete
 * give back to the covering route exactly what it owned (cf. rte_lpm's
 * add_depth_big() / delete_depth_small()).
 *
 * Publication and reclaim. A new group is filled before the entry that links
 * it is stored with release order; lookups load entries with acquire order.
 * A group that a delete made uniform is collapsed into its parent entry and
 * goes to a limbo list with the next-hop slots no route uses any more; they
 * are reused only after urcu_qsbr_synchronize_rcu(), called once every
 * LIMBO_BATCH retirements (or when nothing else is free), so the writer pays
 * for one grace period per batch instead of one per change, and readers
 * never see reused memory.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <urcu/urcu-qsbr.h>

#include <pktpipe/common.h>

#include "route.h"

/* PP_ROUTE_TOP_BITS (route.h): 16 by the benchmark (see above); 24 gives
 * DIR-24-8, 8 gives 8-8-8-8. */
#define TOP_BITS PP_ROUTE_TOP_BITS
#define TOP_SIZE (1u << TOP_BITS)
#define GRP_BITS PP__ROUTE_GRP_BITS
#define GRP_SIZE (1u << GRP_BITS)
_Static_assert(TOP_BITS == 8 || TOP_BITS == 16 || TOP_BITS == 24, "TOP_BITS: 8, 16 or 24");

#define ENT_VALID PP__ROUTE_ENT_VALID
#define ENT_EXT PP__ROUTE_ENT_EXT
#define ENT_DEPTH_SHIFT PP__ROUTE_ENT_DEPTH_SHIFT
#define ENT_DEPTH_MASK PP__ROUTE_ENT_DEPTH_MASK
#define ENT_IDX PP__ROUTE_ENT_IDX

/* Address space reserved per table (touched only as it is used). 2^18
 * groups: every /16 split at level 1 (2^16 at most) and 3 * 2^16 /24s
 * split at level 2. 100k Internet-shaped prefixes use 48k (bench_route.c);
 * a 1M table with 2% longer than /24 would use about 85k. */
#define MAX_GROUPS (1u << 18)
#define MAX_NH (1u << 20)
_Static_assert(MAX_GROUPS <= ENT_IDX + 1 && MAX_NH <= ENT_IDX + 1, "indices fit an entry");

/* Groups in use (2 MiB of them) past which they get huge pages. */
#define HUGE_GROUPS ((2u << 20) / (GRP_SIZE * sizeof(uint32_t)))

#define NIL UINT32_MAX
/* Retirements (groups + next hops) that make the writer wait for a grace period. */
#define LIMBO_BATCH 64u

/*
 * Indices of groups or next-hop slots. Never-used indices come from @hwm;
 * released ones wait on the limbo list for a grace period, then go to the
 * free list. Both lists are threaded through @next. Writers only.
 */
struct ids {
	uint32_t *next;		/* [max] */
	uint32_t max;
	uint32_t hwm;		/* [0, hwm) were handed out at least once */
	uint32_t used;		/* handed out and not released */
	uint32_t free;		/* free list head */
	uint32_t limbo, limbo_tail;
	uint32_t nlimbo;
};

/* Open addressing, linear probing, backward-shift deletion. Writers only. */
#define HKEY_EMPTY UINT64_MAX
struct hslot {
	uint64_t key;
	uint32_t val;
};
struct hmap {
	struct hslot *s;
	uint32_t mask;		/* capacity - 1 */
	uint32_t n;
	unsigned int shift;	/* 64 - log2(capacity) */
};

struct pp_route_table {
	/* Read by lookups (route.h's inline part): top, groups and next-hop
	 * arrays, const after create, and the generation sockets revalidate
	 * their cached routes against. */
	alignas(PP_CACHE_LINE) struct pp__route_hot hot;
	int count;				/* relaxed: a snapshot for readers */

	/* Writers only, under @lock. */
	alignas(PP_CACHE_LINE) pthread_mutex_t lock;
	struct ids grp_ids;
	struct ids nh_ids;
	uint32_t *nh_ref;			/* [MAX_NH]: routes using each slot */
	struct hmap routes;			/* (prefix, plen) -> next-hop index */
	struct hmap nhs;			/* (gw, flags) -> next-hop index */
	uint64_t grace_periods;
	void *map;				/* one reservation holds every array */
	size_t map_len;
};

/* ---- entries ---------------------------------------------------------- */

static inline uint32_t ent_leaf(unsigned int plen, uint32_t nh)
{
	return ENT_VALID | (uint32_t)plen << ENT_DEPTH_SHIFT | nh;
}

static inline unsigned int ent_depth(uint32_t e)
{
	return (e & ENT_DEPTH_MASK) >> ENT_DEPTH_SHIFT;
}

static inline uint32_t *ent_group(const struct pp_route_table *t, uint32_t e)
{
	return t->hot.grp + (size_t)(e & ENT_IDX) * GRP_SIZE;
}

/* (A) release: what the entry points to (a filled group, a written next-hop
 * slot) is visible before the entry. Pairs with (B) in pp__route_lookup(). */
_Static_assert(offsetof(struct pp_route_table, hot) == 0, "lookups cast the table to its hot part");
static inline void ent_publish(uint32_t *p, uint32_t e)
{
	__atomic_store_n(p, e, __ATOMIC_RELEASE);
}

static inline uint32_t mask_of(unsigned int plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* ---- index allocator -------------------------------------------------- */

static void ids_init(struct ids *d, uint32_t *next, uint32_t max)
{
	*d = (struct ids){.next = next, .max = max, .free = NIL, .limbo = NIL, .limbo_tail = NIL};
}

/* Wait for every reader to pass a quiescent state, then recycle what was
 * unlinked before the wait began (cf. synchronize_rcu() + kfree()). The
 * caller holds @lock and is offline. */
static void reclaim(struct pp_route_table *t)
{
	struct ids *all[] = {&t->grp_ids, &t->nh_ids};

	urcu_qsbr_synchronize_rcu();
	t->grace_periods++;
	for (size_t i = 0; i < 2; i++) {
		struct ids *d = all[i];

		if (d->limbo == NIL)
			continue;
		d->next[d->limbo_tail] = d->free;
		d->free = d->limbo;
		d->limbo = d->limbo_tail = NIL;
		d->nlimbo = 0;
	}
}

static uint32_t ids_get(struct pp_route_table *t, struct ids *d)
{
	uint32_t i;

	if (d->free == NIL && d->hwm == d->max && d->nlimbo)
		reclaim(t);
	if (d->free != NIL) {
		i = d->free;
		d->free = d->next[i];
	} else if (d->hwm < d->max) {
		i = d->hwm++;
	} else {
		return NIL;
	}
	d->used++;
	return i;
}

/* @i was never published: no reader can hold it. */
static void ids_unget(struct ids *d, uint32_t i)
{
	d->next[i] = d->free;
	d->free = i;
	d->used--;
}

/* @i was unlinked: readers may still hold it until a grace period ends. */
static void ids_retire(struct ids *d, uint32_t i)
{
	d->next[i] = NIL;
	if (d->limbo_tail == NIL)
		d->limbo = i;
	else
		d->next[d->limbo_tail] = i;
	d->limbo_tail = i;
	d->nlimbo++;
	d->used--;
}

/* ---- control-side hash map -------------------------------------------- */

static int hmap_alloc(struct hmap *h, unsigned int log2)
{
	uint32_t cap = 1u << log2;

	h->s = malloc((size_t)cap * sizeof(*h->s));
	if (!h->s)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		h->s[i].key = HKEY_EMPTY;
	h->mask = cap - 1;
	h->shift = 64 - log2;
	h->n = 0;
	return 0;
}

static inline uint32_t hmap_home(const struct hmap *h, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> h->shift);
}

static struct hslot *hmap_find(const struct hmap *h, uint64_t key)
{
	for (uint32_t i = hmap_home(h, key);; i = (i + 1) & h->mask) {
		if (h->s[i].key == key)
			return &h->s[i];
		if (h->s[i].key == HKEY_EMPTY)
			return NULL;
	}
}

/* Caller made sure the key is absent and there is room. */
static void hmap_insert(struct hmap *h, uint64_t key, uint32_t val)
{
	uint32_t i = hmap_home(h, key);

	while (h->s[i].key != HKEY_EMPTY)
		i = (i + 1) & h->mask;
	h->s[i] = (struct hslot){.key = key, .val = val};
	h->n++;
}

/* Room for one more key at load <= 1/2, so an insert cannot fail later. */
static int hmap_reserve(struct hmap *h)
{
	struct hmap old = *h;

	if ((h->n + 1) * 2 <= h->mask + 1)
		return 0;
	if (hmap_alloc(h, 64 - old.shift + 1)) {
		*h = old;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i <= old.mask; i++)
		if (old.s[i].key != HKEY_EMPTY)
			hmap_insert(h, old.s[i].key, old.s[i].val);
	free(old.s);
	return 0;
}

static void hmap_remove(struct hmap *h, struct hslot *slot)
{
	uint32_t i = (uint32_t)(slot - h->s), j = i;

	/* Pull back every later entry of the run that may not sit past the
	 * hole (its home is not cyclically in (i, j]). */
	for (;;) {
		j = (j + 1) & h->mask;
		if (h->s[j].key == HKEY_EMPTY)
			break;
		uint32_t k = hmap_home(h, h->s[j].key);

		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->s[i] = h->s[j];
		i = j;
	}
	h->s[i].key = HKEY_EMPTY;
	h->n--;
}

static inline uint64_t route_key(uint32_t prefix_h, unsigned int plen)
{
	return (uint64_t)prefix_h << 6 | plen;
}

/* ---- next-hop slots ---------------------------------------------------- */

static int nh_get(struct pp_route_table *t, uint32_t gw, uint32_t flags, uint32_t *out)
{
	uint64_t key = (uint64_t)flags << 32 | gw;
	struct hslot *s = hmap_find(&t->nhs, key);
	uint32_t i;

	if (s) {
		t->nh_ref[s->val]++;
		*out = s->val;
		return 0;
	}
	if (hmap_reserve(&t->nhs))
		return -ENOMEM;
	i = ids_get(t, &t->nh_ids);
	if (i == NIL)
		return -ENOMEM;
	/* published by (A) with the first entry that names it */
	__atomic_store_n(&t->hot.nh[i].gw, gw, __ATOMIC_RELAXED);
	__atomic_store_n(&t->hot.nh[i].flags, flags, __ATOMIC_RELAXED);
	t->nh_ref[i] = 1;
	hmap_insert(&t->nhs, key, i);
	*out = i;
	return 0;
}

static void nh_put(struct pp_route_table *t, uint32_t i)
{
	if (--t->nh_ref[i])
		return;
	hmap_remove(&t->nhs, hmap_find(&t->nhs, (uint64_t)t->hot.nh[i].flags << 32 | t->hot.nh[i].gw));
	ids_retire(&t->nh_ids, i);
}

/* ---- trie updates (writers, under lock) -------------------------------- */

/* Level l resolves address bits [end - width, end). */
static inline unsigned int level_end(unsigned int l)
{
	return TOP_BITS + GRP_BITS * l;
}

static inline uint32_t level_index(unsigned int l, uint32_t addr)
{
	unsigned int width = l ? GRP_BITS : TOP_BITS;

	return (addr >> (32 - level_end(l))) & ((1u << width) - 1);
}

/* Give @lf to every entry under @p that no route as long as @plen fills. */
static void cover(struct pp_route_table *t, uint32_t *p, uint32_t lf, unsigned int plen)
{
	uint32_t e = *p;

	if (e & ENT_EXT) {
		uint32_t *g = ent_group(t, e);

		for (uint32_t i = 0; i < GRP_SIZE; i++)
			cover(t, &g[i], lf, plen);
	} else if (!(e & ENT_VALID) || ent_depth(e) < plen) {
		ent_publish(p, lf);
	}
}

/* Give every entry under @p that the route of length @plen filled back to
 * @rep, the route that covers it (0: none). Only one route of that length
 * can overlap @p, so the depth alone names it. */
static void uncover(struct pp_route_table *t, uint32_t *p, unsigned int plen, uint32_t rep)
{
	uint32_t e = *p;

	if (e & ENT_EXT) {
		uint32_t *g = ent_group(t, e);

		for (uint32_t i = 0; i < GRP_SIZE; i++)
			uncover(t, &g[i], plen, rep);
	} else if ((e & ENT_VALID) && ent_depth(e) == plen) {
		ent_publish(p, rep);
	}
}

/*
 * Add the route @a/@plen (host order) with entry @lf in @tbl, an array of
 * level @l. Groups missing on the way are filled with the entry they split
 * and linked only once the route is in them, so readers see the old entry or
 * the whole new group. On -ENOMEM nothing reachable changed.
 */
static int add_at(struct pp_route_table *t, uint32_t *tbl, unsigned int l, uint32_t a,
		  unsigned int plen, uint32_t lf)
{
	uint32_t idx = level_index(l, a), e, gi, *g;
	int rc;

	if (plen <= level_end(l)) {
		for (uint32_t i = 0, n = 1u << (level_end(l) - plen); i < n; i++)
			cover(t, &tbl[idx + i], lf, plen);
		return 0;
	}
	e = tbl[idx];
	if (e & ENT_EXT)
		return add_at(t, ent_group(t, e), l + 1, a, plen, lf);
	gi = ids_get(t, &t->grp_ids);
	if (gi == NIL)
		return -ENOMEM;
	if (gi == HUGE_GROUPS)
		/* A big table: its groups are read at random, so back them with
		 * huge pages, as the top array (a small one stays small). */
		(void)madvise(t->hot.grp, (size_t)MAX_GROUPS * GRP_SIZE * sizeof(uint32_t),
			      MADV_HUGEPAGE);
	g = t->hot.grp + (size_t)gi * GRP_SIZE;
	for (uint32_t i = 0; i < GRP_SIZE; i++)
		__atomic_store_n(&g[i], e, __ATOMIC_RELAXED); /* published by (A) below */
	rc = add_at(t, g, l + 1, a, plen, lf);
	if (rc) {
		ids_unget(&t->grp_ids, gi);
		return rc;
	}
	ent_publish(&tbl[idx], ENT_EXT | gi);
	return 0;
}

/* A group whose entries are all the same route is replaced by that route in
 * its parent entry @p (cf. rte_lpm's tbl8_recycle_check()). */
static void collapse(struct pp_route_table *t, uint32_t *p)
{
	uint32_t e = *p, *g = ent_group(t, e), v = g[0];

	if (v & ENT_EXT)
		return;
	for (uint32_t i = 1; i < GRP_SIZE; i++)
		if (g[i] != v)
			return;
	ent_publish(p, v);
	/* Readers that loaded @e may still walk the group: reuse it later. */
	ids_retire(&t->grp_ids, e & ENT_IDX);
}

static void del_at(struct pp_route_table *t, uint32_t *tbl, unsigned int l, uint32_t a,
		   unsigned int plen, uint32_t rep)
{
	uint32_t idx = level_index(l, a);

	if (plen <= level_end(l)) {
		for (uint32_t i = 0, n = 1u << (level_end(l) - plen); i < n; i++)
			uncover(t, &tbl[idx + i], plen, rep);
		return;
	}
	/* The route is longer than this level, so add_at() linked a group. */
	assert(tbl[idx] & ENT_EXT);
	del_at(t, ent_group(t, tbl[idx]), l + 1, a, plen, rep);
	collapse(t, &tbl[idx]);
}

/* ---- API --------------------------------------------------------------- */

/*
 * Writers may be registered QSBR readers: one waiting on the mutex while
 * online would stall the grace period that the holder may be waiting for,
 * so it goes offline first.
 */
static bool writer_lock(struct pp_route_table *t)
{
	bool online = urcu_qsbr_read_ongoing();

	if (online)
		urcu_qsbr_thread_offline();
	pthread_mutex_lock(&t->lock);
	return online;
}

static void writer_unlock(struct pp_route_table *t, bool online)
{
	pthread_mutex_unlock(&t->lock);
	if (online)
		urcu_qsbr_thread_online();
}

/* Page-aligned pieces of the one reservation. */
static size_t page_up(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

int pp__route_table_create(struct pp_route_table **out)
{
	size_t top_len = page_up(TOP_SIZE * sizeof(uint32_t));
	size_t grp_len = page_up((size_t)MAX_GROUPS * GRP_SIZE * sizeof(uint32_t));
	size_t nh_len = page_up(MAX_NH * sizeof(struct pp__route_nh));
	size_t gnext_len = page_up(MAX_GROUPS * sizeof(uint32_t));
	size_t nnext_len = page_up(MAX_NH * sizeof(uint32_t));
	size_t ref_len = page_up(MAX_NH * sizeof(uint32_t));
	struct pp_route_table *t;
	uint8_t *m;
	int rc = -ENOMEM;

	if (!out)
		return -EINVAL;
	t = aligned_alloc(PP_CACHE_LINE, sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->map_len = top_len + grp_len + nh_len + gnext_len + nnext_len + ref_len;
	/* Address space only: pages are zero and cost nothing until touched. */
	m = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		goto err_table;
	t->map = m;
	/* DIR-24-8's 64 MiB top array is read at random: back it with huge
	 * pages where the kernel allows, or every lookup misses the TLB. */
	if (top_len >= (2u << 20))
		(void)madvise(m, top_len, MADV_HUGEPAGE);
	t->hot.top = (uint32_t *)m;
	m += top_len;
	t->hot.grp = (uint32_t *)m;
	m += grp_len;
	t->hot.nh = (struct pp__route_nh *)m;
	m += nh_len;
	ids_init(&t->grp_ids, (uint32_t *)m, MAX_GROUPS);
	m += gnext_len;
	ids_init(&t->nh_ids, (uint32_t *)m, MAX_NH);
	m += nnext_len;
	t->nh_ref = (uint32_t *)m;

	if (hmap_alloc(&t->routes, 6))
		goto err_map;
	if (hmap_alloc(&t->nhs, 4))
		goto err_routes;
	rc = -pthread_mutex_init(&t->lock, NULL);
	if (rc)
		goto err_nhs;
	*out = t;
	return 0;

err_nhs:
	free(t->nhs.s);
err_routes:
	free(t->routes.s);
err_map:
	munmap(t->map, t->map_len);
err_table:
	free(t);
	return rc;
}

void pp__route_table_destroy(struct pp_route_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->nhs.s);
	free(t->routes.s);
	munmap(t->map, t->map_len);
	free(t);
}

/* 0 if @prefix/@plen is a well-formed prefix; its host-order value in @ph. */
static int check_prefix(uint32_t prefix, uint8_t plen, uint32_t *ph)
{
	if (plen > 32)
		return -EINVAL;
	*ph = ntohl(prefix);
	return (*ph & ~mask_of(plen)) ? -EINVAL : 0;
}

static int add_locked(struct pp_route_table *t, uint32_t p, uint8_t plen, uint32_t gw,
		      uint32_t flags)
{
	uint64_t key = route_key(p, plen);
	uint32_t nh;
	int rc;

	if (hmap_find(&t->routes, key))
		return -EEXIST;
	if (hmap_reserve(&t->routes))
		return -ENOMEM;
	rc = nh_get(t, gw, flags, &nh);
	if (rc)
		return rc;
	rc = add_at(t, t->hot.top, 0, p, plen, ent_leaf(plen, nh));
	if (rc) {
		nh_put(t, nh);
		return rc;
	}
	hmap_insert(&t->routes, key, nh);
	return 0;
}

int pp__route_add(struct pp_route_table *t, uint32_t prefix, uint8_t plen, uint32_t gw,
		  uint32_t flags)
{
	uint32_t p;
	bool online;
	int rc;

	if (!t || check_prefix(prefix, plen, &p) || (flags & ~PP_ROUTE_F_ALL))
		return -EINVAL;
	/* LOCAL and REJECT routes go nowhere: no gateway, and not both. */
	if ((flags & PP_ROUTE_F_ALL) && (gw || (flags & PP_ROUTE_F_ALL) == PP_ROUTE_F_ALL))
		return -EINVAL;

	online = writer_lock(t);
	rc = add_locked(t, p, plen, gw, flags);
	if (!rc) {
		__atomic_store_n(&t->count, t->count + 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->hot.gen, 1, __ATOMIC_RELEASE);
	}
	writer_unlock(t, online);
	return rc;
}

int pp__route_del(struct pp_route_table *t, uint32_t prefix, uint8_t plen)
{
	struct hslot *s;
	uint32_t p, nh, rep = 0;
	bool online;

	if (!t || check_prefix(prefix, plen, &p))
		return -EINVAL;

	online = writer_lock(t);
	s = hmap_find(&t->routes, route_key(p, plen));
	if (!s) {
		writer_unlock(t, online);
		return -ENOENT;
	}
	nh = s->val;
	/* What the route owned goes to the longest route that covers it
	 * (cf. fib_table_delete() leaving the trie to the next alias). */
	for (unsigned int q = plen; q-- > 0;) {
		struct hslot *c = hmap_find(&t->routes, route_key(p & mask_of(q), q));

		if (c) {
			rep = ent_leaf(q, c->val);
			break;
		}
	}
	del_at(t, t->hot.top, 0, p, plen, rep);
	hmap_remove(&t->routes, s);
	nh_put(t, nh);
	__atomic_store_n(&t->count, t->count - 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->hot.gen, 1, __ATOMIC_RELEASE);
	if (t->grp_ids.nlimbo + t->nh_ids.nlimbo >= LIMBO_BATCH)
		reclaim(t);
	writer_unlock(t, online);
	return 0;
}

int pp__route_count(const struct pp_route_table *t)
{
	return t ? __atomic_load_n(&t->count, __ATOMIC_RELAXED) : -EINVAL;
}

int pp__route_stats(struct pp_route_table *t, struct pp_route_stats *st)
{
	bool online;

	if (!t || !st)
		return -EINVAL;
	online = writer_lock(t);
	*st = (struct pp_route_stats){
		.routes = (uint32_t)t->count,
		.groups = t->grp_ids.used,
		.groups_retired = t->grp_ids.nlimbo,
		.nexthops = t->nh_ids.used,
		.nexthops_retired = t->nh_ids.nlimbo,
		.grace_periods = t->grace_periods,
		.bytes = (uint64_t)TOP_SIZE * sizeof(uint32_t) +
			 (uint64_t)t->grp_ids.hwm * GRP_SIZE * sizeof(uint32_t) +
			 (uint64_t)t->nh_ids.hwm * sizeof(struct pp__route_nh),
	};
	writer_unlock(t, online);
	return 0;
}
