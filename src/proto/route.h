/* SPDX-License-Identifier: MIT */
/*
 * route.h (internal) - the IPv4 routing table: longest-prefix match, read by
 * lanes under RCU (liburcu QSBR), changed by the control path while traffic
 * flows (cf. the kernel's fib_table_lookup() / fib_table_insert() /
 * fib_table_delete() over fib_trie).
 *
 * Addresses are in network byte order everywhere in this API.
 *
 * A lookup takes no lock, allocates nothing and makes no syscall: it reads
 * one top-level entry and at most two 256-entry groups, then one next-hop
 * slot (see route.c for the layout and why). It and pp__route_gen() are
 * inline; the table is otherwise opaque. Writers are serialized by a
 * mutex inside the table; what a change unlinks (a group, a next-hop slot)
 * is reused only after an RCU grace period, so a reader that raced with the
 * change sees either the state before it or the state after it, never
 * memory that was reused.
 *
 * Concurrency:
 *
 *   call                 | may run concurrently with
 *   ---------------------+---------------------------------------------------
 *   lookup, gen, count,  | anything but create/destroy of the same table
 *   stats                |
 *   add, del             | lookup/gen/count/stats on any thread; other
 *                        | add/del wait for the table's mutex
 *   create, destroy      | nothing on the same table
 *
 * Caching (cf. the kernel's dst cache, sk_dst_check()): a socket reads
 * pp__route_gen() *before* its lookup, caches (daddr -> result, gen), and
 * looks up again when the generation has moved.
 */
#ifndef PP_PROTO_ROUTE_H
#define PP_PROTO_ROUTE_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_route_table;

/* Route flags (pp__route_add()'s @flags, echoed in pp_route_result.flags). */
/* The destination is one of our own addresses: deliver, do not transmit
 * (cf. RTN_LOCAL). No gateway. */
#define PP_ROUTE_F_LOCAL 0x01u
/* Unreachable: a lookup that ends on this route fails with -ENETUNREACH
 * instead of falling back to a shorter route (cf. `ip route add
 * unreachable`, RTN_UNREACHABLE). No gateway. */
#define PP_ROUTE_F_REJECT 0x02u
#define PP_ROUTE_F_ALL (PP_ROUTE_F_LOCAL | PP_ROUTE_F_REJECT)

/**
 * struct pp_route_result - what a lookup found.
 * @nexthop: where to send (network order): the gateway, or the destination
 *	     itself when the route is on-link.
 * @gw: the route's gateway (network order), 0 if on-link.
 * @plen: prefix length of the route that matched (0 for the default route).
 * @flags: the route's PP_ROUTE_F_* flags.
 */
struct pp_route_result {
	uint32_t nexthop;
	uint32_t gw;
	uint8_t plen;
	uint8_t flags;
};

/**
 * pp__route_table_create() - an empty table.
 * @out: where the table goes.
 *
 * Reserves address space for the largest table (top level, groups, next-hop
 * slots); pages are touched only as routes fill them.
 *
 * Return: 0; -EINVAL if @out is NULL; -ENOMEM.
 * Context: control path, any thread; may sleep.
 */
int pp__route_table_create(struct pp_route_table **out);

/**
 * pp__route_table_destroy() - free @t and everything in it (NULL: nothing).
 * Context: control path, once no thread can look up in @t any more (reader
 * threads joined, or past a grace period since the last one could).
 */
void pp__route_table_destroy(struct pp_route_table *t);

/**
 * pp__route_add() - add the route @prefix/@plen.
 * @prefix: network order, no bits set beyond @plen.
 * @plen: 0 (default route) .. 32 (host route).
 * @gw: gateway, network order; 0 means on-link (a connected route).
 * @flags: PP_ROUTE_F_*; LOCAL and REJECT routes take no gateway.
 *
 * The route is visible to lookups, and pp__route_gen() has moved, when this
 * returns 0. On error the table is unchanged.
 *
 * Return: 0; -EINVAL (NULL @t, @plen > 32, host bits set in @prefix, unknown
 * flags, LOCAL/REJECT with a gateway or both); -EEXIST if @prefix/@plen is
 * already there (whatever its gateway); -ENOMEM (memory, or the table's
 * group or next-hop space is full).
 * Context: control path, any thread; may sleep (mutex, RCU grace period).
 * A registered QSBR reader may call it: it goes offline for the call, so it
 * must hold no pointer obtained under RCU across it.
 */
int pp__route_add(struct pp_route_table *t, uint32_t prefix, uint8_t plen, uint32_t gw,
		  uint32_t flags);

/**
 * pp__route_del() - remove the route @prefix/@plen; addresses it covered fall
 * back to the longest route that covers it, if any.
 *
 * Return: 0; -EINVAL (NULL @t, @plen > 32, host bits set in @prefix);
 * -ENOENT if there is no such route.
 * Context: as pp__route_add(). May wait for an RCU grace period (once every
 * few dozen deletions) to recycle what deletions unlinked: every registered
 * reader thread must be passing quiescent states or be offline.
 */
int pp__route_del(struct pp_route_table *t, uint32_t prefix, uint8_t plen);

/**
 * pp__route_lookup() - longest-prefix match of @daddr (network order).
 * @res: filled on success only.
 *
 * Return: 0; -ENETUNREACH if no route covers @daddr or the one that does is
 * a REJECT route; -EINVAL if @t or @res is NULL.
 * Context: data path. The caller is an RCU QSBR reader (registered and
 * online) and announces a quiescent state between bursts, or no writer can
 * run concurrently. No lock, no allocation, no syscall. Inline (below).
 */
static inline int pp__route_lookup(struct pp_route_table *t, uint32_t daddr,
				   struct pp_route_result *res);

/**
 * pp__route_gen() - generation of @t: moves (with release order) after every
 * change has become visible to lookups.
 * Return: the generation; 0 for NULL.
 * Context: any thread; an acquire load. Inline (below).
 */
static inline uint32_t pp__route_gen(const struct pp_route_table *t);

/**
 * pp__route_count() - number of routes in @t.
 * Return: the count (a snapshot if a writer is running); -EINVAL for NULL.
 * Context: any thread.
 */
int pp__route_count(const struct pp_route_table *t);

/**
 * struct pp_route_stats - what a table holds in memory (for tests, the
 * benchmark and the stats reader).
 * @routes: routes in the table.
 * @groups: 256-entry groups reachable from the top level.
 * @groups_retired: groups unlinked, waiting for a grace period.
 * @nexthops: distinct (gateway, flags) slots in use.
 * @nexthops_retired: next-hop slots waiting for a grace period.
 * @grace_periods: grace periods the writers waited for so far.
 * @bytes: memory the lookup structure touches: top level + groups ever used
 *	   + next-hop slots ever used.
 */
struct pp_route_stats {
	uint32_t routes;
	uint32_t groups;
	uint32_t groups_retired;
	uint32_t nexthops;
	uint32_t nexthops_retired;
	uint64_t grace_periods;
	uint64_t bytes;
};

/**
 * pp__route_stats() - fill @st with a consistent snapshot of @t.
 * Return: 0; -EINVAL if @t or @st is NULL.
 * Context: control path, any thread; takes the writers' mutex (a registered
 * reader goes offline while it waits, as in pp__route_add()).
 */
int pp__route_stats(struct pp_route_table *t, struct pp_route_stats *st);

/* ---- inline part: do not touch ------------------------------------------
 * What follows is visible only so that lookups inline into the IP stage (a
 * call costs a burst loop about half of the lookups it could keep in flight
 * on cache misses: see bench/RESULTS.md). Do not touch the members.
 */

/* Bits resolved by the top array, then groups of 8 bits (see route.c). */
#ifndef PP_ROUTE_TOP_BITS
#define PP_ROUTE_TOP_BITS 16
#endif
#define PP__ROUTE_GRP_BITS 8
/* An entry: one 32-bit word, always read and written whole. */
#define PP__ROUTE_ENT_VALID (1u << 31)	/* a route: depth and next-hop index */
#define PP__ROUTE_ENT_EXT (1u << 30)	/* a link: index of a group */
#define PP__ROUTE_ENT_DEPTH_SHIFT 24
#define PP__ROUTE_ENT_DEPTH_MASK (0x3fu << PP__ROUTE_ENT_DEPTH_SHIFT)
#define PP__ROUTE_ENT_IDX 0x00ffffffu

/* A next-hop slot: written before the first entry that names it. */
struct pp__route_nh {
	uint32_t gw;	/* network order, 0 if on-link */
	uint32_t flags;	/* PP_ROUTE_F_* */
};

/* The first member of struct pp_route_table: what readers touch. */
struct pp__route_hot {
	uint32_t *top;			/* const: [1 << PP_ROUTE_TOP_BITS] */
	uint32_t *grp;			/* const: [groups][256] */
	struct pp__route_nh *nh;	/* const: [next hops] */
	uint32_t gen;			/* writers, release; readers, acquire */
};

static inline int pp__route_lookup(struct pp_route_table *t, uint32_t daddr,
				   struct pp_route_result *res)
{
	const struct pp__route_hot *h = (const struct pp__route_hot *)t;
	const struct pp__route_nh *nh;
	unsigned int shift = 32 - PP_ROUTE_TOP_BITS;
	uint32_t a, e, gw, flags;

	if (PP_UNLIKELY(!t || !res))
		return -EINVAL;
	a = ntohl(daddr);
	/* (B) acquire: pairs with (A) in route.c's ent_publish() */
	e = __atomic_load_n(&h->top[a >> shift], __ATOMIC_ACQUIRE);
	while (e & PP__ROUTE_ENT_EXT) {
		shift -= PP__ROUTE_GRP_BITS;
		e = __atomic_load_n(&h->grp[(size_t)(e & PP__ROUTE_ENT_IDX) << PP__ROUTE_GRP_BITS |
					    ((a >> shift) & ((1u << PP__ROUTE_GRP_BITS) - 1))],
				    __ATOMIC_ACQUIRE); /* (B) */
	}
	if (PP_UNLIKELY(!(e & PP__ROUTE_ENT_VALID)))
		return -ENETUNREACH;
	nh = &h->nh[e & PP__ROUTE_ENT_IDX];
	gw = __atomic_load_n(&nh->gw, __ATOMIC_RELAXED);
	flags = __atomic_load_n(&nh->flags, __ATOMIC_RELAXED);
	if (PP_UNLIKELY(flags & PP_ROUTE_F_REJECT))
		return -ENETUNREACH;
	res->nexthop = gw ? gw : daddr;
	res->gw = gw;
	res->plen = (uint8_t)((e & PP__ROUTE_ENT_DEPTH_MASK) >> PP__ROUTE_ENT_DEPTH_SHIFT);
	res->flags = (uint8_t)flags;
	return 0;
}

static inline uint32_t pp__route_gen(const struct pp_route_table *t)
{
	return t ? __atomic_load_n(&((const struct pp__route_hot *)t)->gen, __ATOMIC_ACQUIRE) : 0;
}

#ifdef __cplusplus
}
#endif
#endif /* PP_PROTO_ROUTE_H */
