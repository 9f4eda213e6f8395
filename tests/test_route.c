// SPDX-License-Identifier: MIT
/*
 * test_route.c - the IPv4 routing table (src/proto/route.h) on one thread:
 * bad arguments first, then the boundaries (/0, /32, the top-level and group
 * edges at /16, /24, all-zeros and all-ones addresses, fallback to the
 * covering route on delete), then ordinary tables, then a randomized
 * differential test against a brute-force longest-prefix match.
 *
 * Teardown deletes what the test left and checks the table is empty again:
 * no route, no group, no next-hop slot still in use (the table's "pool full
 * again"). The threaded half is test_route_churn.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/route.h"

/* a.b.c.d in network order */
#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static uint32_t mask_of(unsigned int plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* ---- fixture: a table and the routes the test added through radd() ------ */

#define TRACK_MAX 64

struct fixture {
	struct pp_route_table *t;
	unsigned int n;
	struct {
		uint32_t prefix;
		uint8_t plen;
	} r[TRACK_MAX];
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (pp__route_table_create(&f.t))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct pp_route_stats st;
	struct pp_route_result res;

	for (unsigned int i = 0; i < f->n; i++)
		assert_int_equal(pp__route_del(f->t, f->r[i].prefix, f->r[i].plen), 0);
	assert_int_equal(pp__route_count(f->t), 0);
	assert_int_equal(pp__route_stats(f->t, &st), 0);
	assert_int_equal(st.routes, 0);
	assert_int_equal(st.groups, 0);		/* every group collapsed */
	assert_int_equal(st.nexthops, 0);	/* every next hop released */
	assert_int_equal(pp__route_lookup(f->t, IP(0, 0, 0, 0), &res), -ENETUNREACH);
	assert_int_equal(pp__route_lookup(f->t, IP(10, 1, 2, 3), &res), -ENETUNREACH);
	assert_int_equal(pp__route_lookup(f->t, IP(255, 255, 255, 255), &res), -ENETUNREACH);
	pp__route_table_destroy(f->t);
	f->t = NULL;
	return 0;
}

/* Add a route the teardown will delete. */
static void radd(struct fixture *f, uint32_t prefix, uint8_t plen, uint32_t gw, uint32_t flags)
{
	assert_true(f->n < TRACK_MAX);
	assert_int_equal(pp__route_add(f->t, prefix, plen, gw, flags), 0);
	f->r[f->n].prefix = prefix;
	f->r[f->n].plen = plen;
	f->n++;
}

/* Delete a route added with radd(). */
static void rdel(struct fixture *f, uint32_t prefix, uint8_t plen)
{
	for (unsigned int i = 0; i < f->n; i++) {
		if (f->r[i].prefix == prefix && f->r[i].plen == plen) {
			assert_int_equal(pp__route_del(f->t, prefix, plen), 0);
			f->r[i] = f->r[--f->n];
			return;
		}
	}
	fail_msg("rdel: route was not added");
}

/* Look @daddr up and check the route found (@gw 0: on-link). */
static void expect_route(struct pp_route_table *t, uint32_t daddr, uint32_t gw, uint8_t plen,
			 uint8_t flags)
{
	struct pp_route_result res;

	memset(&res, 0xab, sizeof(res));
	assert_int_equal(pp__route_lookup(t, daddr, &res), 0);
	assert_int_equal(res.plen, plen);
	assert_int_equal(res.gw, gw);
	assert_int_equal(res.nexthop, gw ? gw : daddr);
	assert_int_equal(res.flags, flags);
}

#define expect_gw(t, daddr, gw, plen) expect_route(t, daddr, gw, plen, 0)

static void expect_unreach(struct pp_route_table *t, uint32_t daddr)
{
	struct pp_route_result res, before;

	memset(&res, 0xab, sizeof(res));
	before = res;
	assert_int_equal(pp__route_lookup(t, daddr, &res), -ENETUNREACH);
	assert_memory_equal(&res, &before, sizeof(res)); /* untouched on failure */
}

#define GW_A IP(192, 168, 1, 1)
#define GW(n) IP(192, 168, 0, n)

/* ---- negative cases ------------------------------------------------------ */

static void test_null_args(void **state)
{
	struct fixture *f = *state;
	struct pp_route_result res;
	struct pp_route_stats st;

	assert_int_equal(pp__route_table_create(NULL), -EINVAL);
	pp__route_table_destroy(NULL);
	assert_int_equal(pp__route_add(NULL, IP(10, 0, 0, 0), 8, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_del(NULL, IP(10, 0, 0, 0), 8), -EINVAL);
	assert_int_equal(pp__route_lookup(NULL, IP(10, 0, 0, 1), &res), -EINVAL);
	assert_int_equal(pp__route_lookup(f->t, IP(10, 0, 0, 1), NULL), -EINVAL);
	assert_int_equal(pp__route_gen(NULL), 0);
	assert_int_equal(pp__route_count(NULL), -EINVAL);
	assert_int_equal(pp__route_stats(NULL, &st), -EINVAL);
	assert_int_equal(pp__route_stats(f->t, NULL), -EINVAL);
}

static void test_bad_plen(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 1), 33, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, 0, 33, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, 0, 255, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_del(f->t, IP(10, 0, 0, 1), 33), -EINVAL);
	assert_int_equal(pp__route_del(f->t, 0, 64), -EINVAL);
	assert_int_equal(pp__route_count(f->t), 0);
	assert_int_equal(pp__route_gen(f->t), 0);
}

static void test_host_bits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 1), 24, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 128), 24, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 1), 31, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(0, 0, 0, 1), 0, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(128, 0, 0, 0), 0, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 1, 0, 0), 8, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 128, 0), 16, GW_A, 0), -EINVAL);
	assert_int_equal(pp__route_del(f->t, IP(10, 0, 0, 1), 24), -EINVAL);
	assert_int_equal(pp__route_del(f->t, IP(255, 255, 255, 255), 0), -EINVAL);
	assert_int_equal(pp__route_count(f->t), 0);
	assert_int_equal(pp__route_gen(f->t), 0);
}

static void test_bad_flags(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, 0x04), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, 0x80), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, 0x100), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, 1u << 31), -EINVAL);
	/* LOCAL and REJECT routes take no gateway, and not both flags */
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, PP_ROUTE_F_LOCAL), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW_A, PP_ROUTE_F_REJECT), -EINVAL);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, 0,
				       PP_ROUTE_F_LOCAL | PP_ROUTE_F_REJECT), -EINVAL);
	assert_int_equal(pp__route_count(f->t), 0);
	assert_int_equal(pp__route_gen(f->t), 0);
}

static void test_duplicate(void **state)
{
	struct fixture *f = *state;
	uint32_t gen;

	radd(f, IP(10, 0, 0, 0), 8, GW(1), 0);
	gen = pp__route_gen(f->t);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW(1), 0), -EEXIST);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, GW(2), 0), -EEXIST);
	assert_int_equal(pp__route_add(f->t, IP(10, 0, 0, 0), 8, 0, PP_ROUTE_F_REJECT), -EEXIST);
	assert_int_equal(pp__route_gen(f->t), gen);
	assert_int_equal(pp__route_count(f->t), 1);
	expect_gw(f->t, IP(10, 9, 9, 9), GW(1), 8); /* the first one stays */
	/* same prefix, another length: a different route */
	radd(f, IP(10, 0, 0, 0), 16, GW(2), 0);
	assert_int_equal(pp__route_count(f->t), 2);
}

static void test_del_missing(void **state)
{
	struct fixture *f = *state;
	uint32_t gen;

	assert_int_equal(pp__route_del(f->t, IP(10, 0, 0, 0), 8), -ENOENT);
	assert_int_equal(pp__route_del(f->t, 0, 0), -ENOENT);
	radd(f, IP(10, 0, 0, 0), 8, GW(1), 0);
	gen = pp__route_gen(f->t);
	assert_int_equal(pp__route_del(f->t, IP(10, 0, 0, 0), 16), -ENOENT);
	assert_int_equal(pp__route_del(f->t, IP(10, 0, 0, 0), 7), -ENOENT);
	assert_int_equal(pp__route_del(f->t, IP(11, 0, 0, 0), 8), -ENOENT);
	assert_int_equal(pp__route_del(f->t, 0, 0), -ENOENT);
	assert_int_equal(pp__route_gen(f->t), gen);
	assert_int_equal(pp__route_count(f->t), 1);
	expect_gw(f->t, IP(10, 0, 0, 0), GW(1), 8);
}

static void test_lookup_empty(void **state)
{
	struct fixture *f = *state;

	expect_unreach(f->t, IP(0, 0, 0, 0));
	expect_unreach(f->t, IP(10, 1, 2, 3));
	expect_unreach(f->t, IP(127, 0, 0, 1));
	expect_unreach(f->t, IP(255, 255, 255, 255));
}

/* ---- boundaries ---------------------------------------------------------- */

static void test_default_route(void **state)
{
	struct fixture *f = *state;

	radd(f, 0, 0, GW_A, 0);
	expect_gw(f->t, IP(0, 0, 0, 0), GW_A, 0);
	expect_gw(f->t, IP(255, 255, 255, 255), GW_A, 0);
	expect_gw(f->t, IP(127, 255, 255, 255), GW_A, 0);
	expect_gw(f->t, IP(128, 0, 0, 0), GW_A, 0);
	expect_gw(f->t, IP(10, 1, 2, 3), GW_A, 0);
	rdel(f, 0, 0);
	expect_unreach(f->t, IP(0, 0, 0, 0));
	expect_unreach(f->t, IP(10, 1, 2, 3));
}

static void test_host_routes(void **state)
{
	struct fixture *f = *state;

	radd(f, IP(10, 1, 2, 3), 32, GW(1), 0);
	radd(f, IP(10, 1, 2, 0), 24, GW(2), 0);
	radd(f, IP(0, 0, 0, 0), 32, GW(3), 0);
	radd(f, IP(255, 255, 255, 255), 32, GW(4), 0);
	expect_gw(f->t, IP(10, 1, 2, 3), GW(1), 32);
	expect_gw(f->t, IP(10, 1, 2, 2), GW(2), 24);
	expect_gw(f->t, IP(10, 1, 2, 4), GW(2), 24);
	expect_gw(f->t, IP(0, 0, 0, 0), GW(3), 32);
	expect_unreach(f->t, IP(0, 0, 0, 1));
	expect_gw(f->t, IP(255, 255, 255, 255), GW(4), 32);
	expect_unreach(f->t, IP(255, 255, 255, 254));
	/* a default route below them all */
	radd(f, 0, 0, GW(5), 0);
	expect_gw(f->t, IP(0, 0, 0, 1), GW(5), 0);
	expect_gw(f->t, IP(255, 255, 255, 254), GW(5), 0);
	expect_gw(f->t, IP(0, 0, 0, 0), GW(3), 32);
	expect_gw(f->t, IP(255, 255, 255, 255), GW(4), 32);
	rdel(f, IP(10, 1, 2, 3), 32);
	expect_gw(f->t, IP(10, 1, 2, 3), GW(2), 24);
	rdel(f, IP(255, 255, 255, 255), 32);
	expect_gw(f->t, IP(255, 255, 255, 255), GW(5), 0);
}

static void test_overlap_24_25(void **state)
{
	struct fixture *f = *state;

	radd(f, IP(10, 1, 2, 0), 24, GW(1), 0);
	radd(f, IP(10, 1, 2, 128), 25, GW(2), 0);
	expect_gw(f->t, IP(10, 1, 2, 0), GW(1), 24);
	expect_gw(f->t, IP(10, 1, 2, 127), GW(1), 24);
	expect_gw(f->t, IP(10, 1, 2, 128), GW(2), 25);
	expect_gw(f->t, IP(10, 1, 2, 255), GW(2), 25);
	expect_unreach(f->t, IP(10, 1, 3, 0));
	expect_unreach(f->t, IP(10, 1, 1, 255));
	/* deleting the more specific falls back to the covering route */
	rdel(f, IP(10, 1, 2, 128), 25);
	expect_gw(f->t, IP(10, 1, 2, 128), GW(1), 24);
	expect_gw(f->t, IP(10, 1, 2, 255), GW(1), 24);
	/* the other order: the covering route goes first */
	radd(f, IP(10, 1, 2, 128), 25, GW(2), 0);
	rdel(f, IP(10, 1, 2, 0), 24);
	expect_unreach(f->t, IP(10, 1, 2, 0));
	expect_unreach(f->t, IP(10, 1, 2, 127));
	expect_gw(f->t, IP(10, 1, 2, 128), GW(2), 25);
	/* a /24 added under an existing /25 does not take its addresses */
	radd(f, IP(10, 1, 2, 0), 24, GW(3), 0);
	expect_gw(f->t, IP(10, 1, 2, 127), GW(3), 24);
	expect_gw(f->t, IP(10, 1, 2, 200), GW(2), 25);
}

/* Brute-force longest-prefix match over a small list (also the differential
 * test's reference). */
struct ref_route {
	uint32_t p;	/* host order */
	uint8_t plen;
	uint32_t gw;	/* network order */
	uint32_t flags;
};

static const struct ref_route *ref_lookup(const struct ref_route *r, size_t n, uint32_t a)
{
	const struct ref_route *best = NULL;

	for (size_t i = 0; i < n; i++)
		if ((a & mask_of(r[i].plen)) == r[i].p && (!best || r[i].plen > best->plen))
			best = &r[i];
	return best;
}

static void check_against_ref(struct pp_route_table *t, const struct ref_route *r, size_t n,
			      uint32_t a)
{
	const struct ref_route *want = ref_lookup(r, n, a);
	struct pp_route_result res = {0};
	int rc = pp__route_lookup(t, htonl(a), &res);

	if (!want || (want->flags & PP_ROUTE_F_REJECT)) {
		if (rc != -ENETUNREACH)
			fail_msg("%08x: got %d plen %u, want unreachable", a, rc, res.plen);
		return;
	}
	if (rc || res.plen != want->plen || res.gw != want->gw || res.flags != want->flags ||
	    res.nexthop != (want->gw ? want->gw : htonl(a)))
		fail_msg("%08x: got %d plen %u gw %08x flags %u, want plen %u gw %08x flags %u", a,
			 rc, res.plen, res.gw, res.flags, want->plen, want->gw, want->flags);
}

/*
 * A chain of nested prefixes of one address across every level edge of the
 * trie (a 16-bit top level, 8-bit groups; also DIR-24-8's /24 edge). For
 * each length, a probe that matches it and nothing longer (the address with
 * every bit after the prefix inverted).
 */
static const uint8_t chain_plens[] = {1, 8, 15, 16, 17, 23, 24, 25, 31, 32};
#define CHAIN_N (sizeof(chain_plens) / sizeof(chain_plens[0]))
#define CHAIN_ADDR 0x0aaa55a5u /* 10.170.85.165 */

static void check_chain(struct pp_route_table *t, const struct ref_route *r, size_t n)
{
	for (size_t i = 0; i < CHAIN_N; i++) {
		uint32_t m = mask_of(chain_plens[i]);

		check_against_ref(t, r, n, (CHAIN_ADDR & m) | (~CHAIN_ADDR & ~m));
		check_against_ref(t, r, n, CHAIN_ADDR & m);
		check_against_ref(t, r, n, (CHAIN_ADDR & m) | ~m);
	}
	check_against_ref(t, r, n, CHAIN_ADDR);
	check_against_ref(t, r, n, 0);
	check_against_ref(t, r, n, ~0u);
}

static void test_level_edges(void **state)
{
	struct fixture *f = *state;
	struct ref_route r[CHAIN_N];
	size_t n = 0;
	/* deletion order: from the middle out, so each delete has a covering
	 * route and covers a more specific one */
	static const uint8_t order[] = {5, 4, 6, 3, 7, 2, 8, 1, 9, 0};

	for (size_t i = 0; i < CHAIN_N; i++) {
		uint8_t l = chain_plens[i];

		r[n] = (struct ref_route){CHAIN_ADDR & mask_of(l), l, GW(l), 0};
		assert_int_equal(pp__route_add(f->t, htonl(r[n].p), l, r[n].gw, 0), 0);
		n++;
		check_chain(f->t, r, n);
	}
	for (size_t k = 0; k < CHAIN_N; k++) {
		uint8_t l = chain_plens[order[k]];
		size_t i = 0;

		while (r[i].plen != l)
			i++;
		assert_int_equal(pp__route_del(f->t, htonl(r[i].p), l), 0);
		r[i] = r[--n];
		check_chain(f->t, r, n);
	}
	/* and added longest first */
	for (size_t i = CHAIN_N; i-- > 0;) {
		uint8_t l = chain_plens[i];

		r[n] = (struct ref_route){CHAIN_ADDR & mask_of(l), l, GW(l), 0};
		radd(f, htonl(r[n].p), l, r[n].gw, 0);
		n++;
		check_chain(f->t, r, n);
	}
}

static void test_half_spaces(void **state)
{
	struct fixture *f = *state;

	/* /1s cover half of the top level each; /8s inside them */
	radd(f, IP(0, 0, 0, 0), 1, GW(1), 0);
	radd(f, IP(128, 0, 0, 0), 1, GW(2), 0);
	radd(f, IP(10, 0, 0, 0), 8, GW(3), 0);
	radd(f, IP(192, 0, 0, 0), 8, GW(4), 0);
	expect_gw(f->t, IP(0, 0, 0, 0), GW(1), 1);
	expect_gw(f->t, IP(127, 255, 255, 255), GW(1), 1);
	expect_gw(f->t, IP(128, 0, 0, 0), GW(2), 1);
	expect_gw(f->t, IP(255, 255, 255, 255), GW(2), 1);
	expect_gw(f->t, IP(10, 255, 0, 1), GW(3), 8);
	expect_gw(f->t, IP(192, 0, 0, 0), GW(4), 8);
	rdel(f, IP(128, 0, 0, 0), 1);
	expect_unreach(f->t, IP(128, 0, 0, 0));
	expect_gw(f->t, IP(192, 168, 0, 1), GW(4), 8);
	expect_gw(f->t, IP(127, 0, 0, 1), GW(1), 1);
}

static void test_flags(void **state)
{
	struct fixture *f = *state;

	radd(f, 0, 0, GW_A, 0);
	/* on-link: the next hop is the destination itself */
	radd(f, IP(192, 168, 1, 0), 24, 0, 0);
	expect_route(f->t, IP(192, 168, 1, 77), 0, 24, 0);
	/* local */
	radd(f, IP(192, 168, 1, 10), 32, 0, PP_ROUTE_F_LOCAL);
	expect_route(f->t, IP(192, 168, 1, 10), 0, 32, PP_ROUTE_F_LOCAL);
	/* reject: stops the fallback to the default route */
	radd(f, IP(10, 0, 0, 0), 8, 0, PP_ROUTE_F_REJECT);
	expect_unreach(f->t, IP(10, 0, 0, 1));
	expect_unreach(f->t, IP(10, 255, 255, 255));
	expect_gw(f->t, IP(11, 0, 0, 0), GW_A, 0);
	/* a more specific route inside the rejected one still works */
	radd(f, IP(10, 1, 0, 0), 16, GW(7), 0);
	expect_gw(f->t, IP(10, 1, 0, 1), GW(7), 16);
	expect_unreach(f->t, IP(10, 2, 0, 1));
	rdel(f, IP(10, 0, 0, 0), 8);
	expect_gw(f->t, IP(10, 2, 0, 1), GW_A, 0);
}

static void test_gen_count(void **state)
{
	struct fixture *f = *state;
	uint32_t g0 = pp__route_gen(f->t);

	radd(f, IP(10, 0, 0, 0), 8, GW(1), 0);
	assert_int_equal(pp__route_gen(f->t), g0 + 1);
	assert_int_equal(pp__route_count(f->t), 1);
	radd(f, IP(10, 1, 2, 0), 28, GW(1), 0);
	assert_int_equal(pp__route_gen(f->t), g0 + 2);
	assert_int_equal(pp__route_count(f->t), 2);
	assert_int_equal(pp__route_add(f->t, IP(10, 1, 2, 0), 28, GW(1), 0), -EEXIST);
	assert_int_equal(pp__route_del(f->t, IP(10, 1, 3, 0), 28), -ENOENT);
	assert_int_equal(pp__route_gen(f->t), g0 + 2);
	rdel(f, IP(10, 1, 2, 0), 28);
	assert_int_equal(pp__route_gen(f->t), g0 + 3);
	assert_int_equal(pp__route_count(f->t), 1);
}

/* ---- normal cases --------------------------------------------------------- */

static void test_host_table(void **state)
{
	struct fixture *f = *state;

	/* what `ip route` shows on a typical host */
	radd(f, 0, 0, GW_A, 0);
	radd(f, IP(192, 168, 1, 0), 24, 0, 0);
	radd(f, IP(10, 8, 0, 0), 16, IP(192, 168, 1, 254), 0);
	radd(f, IP(172, 17, 0, 0), 16, 0, 0);
	expect_gw(f->t, IP(8, 8, 8, 8), GW_A, 0);
	expect_route(f->t, IP(192, 168, 1, 20), 0, 24, 0);
	expect_gw(f->t, IP(10, 8, 3, 4), IP(192, 168, 1, 254), 16);
	expect_gw(f->t, IP(10, 9, 3, 4), GW_A, 0);
	expect_route(f->t, IP(172, 17, 0, 2), 0, 16, 0);
}

static void test_shared_nexthops(void **state)
{
	struct fixture *f = *state;
	struct pp_route_stats st;

	for (unsigned int i = 0; i < 40; i++)
		radd(f, IP(10, i, 0, 0), 24, GW(1), 0);
	radd(f, IP(11, 0, 0, 0), 8, 0, 0);
	assert_int_equal(pp__route_stats(f->t, &st), 0);
	assert_int_equal(st.routes, 41);
	assert_int_equal(st.nexthops, 2); /* GW(1) and on-link */
	for (unsigned int i = 0; i < 20; i++)
		rdel(f, IP(10, i, 0, 0), 24);
	assert_int_equal(pp__route_stats(f->t, &st), 0);
	assert_int_equal(st.nexthops, 2);
	expect_gw(f->t, IP(10, 30, 0, 9), GW(1), 24);
	expect_unreach(f->t, IP(10, 3, 0, 9));
}

/*
 * Groups and next-hop slots that deletes unlink are reused after a grace
 * period: churning long routes must neither grow the table nor run out.
 */
static void test_recycling(void **state)
{
	struct fixture *f = *state;
	struct pp_route_stats st0, st;

	assert_int_equal(pp__route_stats(f->t, &st0), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t p = IP(10, (i >> 4) & 0xff, i & 0xff, 16 * (i & 15));

		assert_int_equal(pp__route_add(f->t, p, 28, GW(i % 200), 0), 0);
		expect_gw(f->t, p, GW(i % 200), 28);
		assert_int_equal(pp__route_del(f->t, p, 28), 0);
	}
	assert_int_equal(pp__route_stats(f->t, &st), 0);
	assert_true(st.grace_periods > 0);
	/* live: none; ever used: at most what one batch of retirements holds */
	assert_int_equal(st.groups, 0);
	assert_true(st.groups_retired + st.nexthops_retired < 64);
	assert_true(st.bytes - st0.bytes <= 80 * (1024 + 8)); /* 40000 groups without reuse */
}

/*
 * Differential test: random adds and deletes of overlapping prefixes (many
 * nested, all lengths), each followed by lookups compared with a brute-force
 * longest-prefix match. PP_TEST_SEED=n replays a run.
 */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

#define DIFF_MAX 3000
#define DIFF_TARGET 2500
#define HOT_N 12

static uint32_t hot[HOT_N];

static struct ref_route random_route(void)
{
	struct ref_route r;
	uint32_t a, k = rnd() % 100;

	/* near one of a few hot addresses, so prefixes nest and overlap */
	if (k < 80)
		a = hot[rnd() % HOT_N] ^ (rnd() & (rnd() % 33 == 32 ? ~0u : (1u << (rnd() % 32)) - 1));
	else
		a = rnd();
	/* every length, with more of the lengths near the level edges */
	k = rnd() % 100;
	if (k < 50)
		r.plen = (uint8_t)(rnd() % 33);
	else
		r.plen = (uint8_t)(14 + rnd() % 19);
	r.p = a & mask_of(r.plen);
	k = rnd() % 100;
	r.flags = 0;
	if (k < 10) {
		r.gw = 0;
	} else if (k < 13) {
		r.gw = 0;
		r.flags = PP_ROUTE_F_REJECT;
	} else if (k < 15) {
		r.gw = 0;
		r.flags = PP_ROUTE_F_LOCAL;
	} else {
		r.gw = GW(1 + rnd() % 50);
	}
	return r;
}

static uint32_t random_probe(const struct ref_route *r, size_t n)
{
	uint32_t k = rnd() % 100;

	if (n && k < 60) {
		const struct ref_route *x = &r[rnd() % n];
		uint32_t host = ~mask_of(x->plen);

		switch (rnd() % 4) {
		case 0:
			return x->p;			/* first address */
		case 1:
			return x->p | host;		/* last address */
		case 2:
			return (x->p | host) + 1;	/* just after (wraps at the end) */
		default:
			return x->p | (rnd() & host);
		}
	}
	if (k < 85)
		return hot[rnd() % HOT_N] ^ (rnd() & ((1u << (rnd() % 32)) - 1));
	return rnd();
}

static size_t ref_find(const struct ref_route *r, size_t n, uint32_t p, uint8_t plen)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].p == p && r[i].plen == plen)
			return i;
	return n;
}

static void test_differential(void **state)
{
	struct fixture *f = *state;
	static struct ref_route r[DIFF_MAX];
	size_t n = 0, peak = 0;
	unsigned long lookups = 0, adds = 0, dels = 0;
	const char *seed_env = getenv("PP_TEST_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed0f5eedull;
	struct pp_route_stats st;

	print_message("differential: PP_TEST_SEED=%llu\n", (unsigned long long)seed);
	rng_state = seed | 1;
	for (size_t i = 0; i < HOT_N; i++)
		hot[i] = rnd();
	hot[0] = 0;
	hot[1] = ~0u;

	/* grow to DIFF_TARGET routes with one delete for every three adds */
	for (unsigned long step = 0; n < DIFF_TARGET; step++) {
		if (n && rnd() % 4 == 0) {
			size_t i = rnd() % n;

			if (rnd() % 10 == 0) {
				/* a prefix that is not there */
				struct ref_route x = random_route();

				if (ref_find(r, n, x.p, x.plen) == n)
					assert_int_equal(pp__route_del(f->t, htonl(x.p), x.plen),
							 -ENOENT);
				continue;
			}
			assert_int_equal(pp__route_del(f->t, htonl(r[i].p), r[i].plen), 0);
			r[i] = r[--n];
			dels++;
		} else {
			struct ref_route x = random_route();
			int want = ref_find(r, n, x.p, x.plen) < n ? -EEXIST : 0;

			assert_int_equal(pp__route_add(f->t, htonl(x.p), x.plen, x.gw, x.flags), want);
			if (!want) {
				r[n++] = x;
				adds++;
			}
		}
		for (int k = 0; k < 20; k++, lookups++)
			check_against_ref(f->t, r, n, random_probe(r, n));
	}
	peak = n;
	assert_int_equal(pp__route_count(f->t), (int)n);
	for (int k = 0; k < 30000; k++, lookups++)
		check_against_ref(f->t, r, n, random_probe(r, n));
	/* delete everything, in random order */
	while (n) {
		size_t i = rnd() % n;

		assert_int_equal(pp__route_del(f->t, htonl(r[i].p), r[i].plen), 0);
		r[i] = r[--n];
		dels++;
		for (int k = 0; k < 5; k++, lookups++)
			check_against_ref(f->t, r, n, random_probe(r, n));
	}
	assert_int_equal(pp__route_stats(f->t, &st), 0);
	print_message("differential: %lu adds, %lu deletes, %lu lookups, peak %zu routes, "
		      "%llu grace periods\n", adds, dels, lookups, peak,
		      (unsigned long long)st.grace_periods);
	assert_true(peak >= 2000);
	assert_true(lookups >= 100000);
	/* teardown checks the table is empty: no group, no next hop left */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_plen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_24_25, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_spaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gen_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_nexthops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recycling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_differential, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
