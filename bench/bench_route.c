// SPDX-License-Identifier: MIT
/*
 * bench_route.c - the IPv4 routing table (src/proto/route.h): what a
 * longest-prefix match costs a lane, and what a route change costs the
 * control path (cf. the kernel's fib_table_lookup(), and DPDK's
 * app/test/test_lpm_perf.c, which measures rte_lpm the same way).
 *
 * Cases:
 *   route/lookup/prefixes:<n>/random  items = lookups. The table holds a
 *       default route and n - 1 prefixes drawn like a BGP table (lengths
 *       below). Destinations: 2^20 precomputed addresses (4 MiB, read in
 *       order), each a random route's prefix with random host bits, so the
 *       lookups spread over the whole table as a router's traffic does, and
 *       its working set is far larger than the caches. With n = 1 that is a
 *       uniformly random address.
 *   route/lookup/prefixes:<n>/seq     items = lookups. Consecutive addresses
 *       from a route's prefix on: the locality of a few busy flows.
 *   route/update/prefixes:1000        items = add+del pairs. The table holds
 *       1000 prefixes; each item adds one more prefix (drawn the same way)
 *       and deletes it, including the amortized grace period that recycles
 *       what deletes unlinked (no reader threads are registered here, so
 *       the grace period itself is short: see bench/RESULTS.md).
 *
 * Prefix lengths (close to the shape of the IPv4 Internet table): /24 60%,
 * /23 10%, /22 12%, /21 5%, /20 4%, /19 3%, /16-/18 3%, /8-/15 1%,
 * /25-/32 2%; addresses uniform over 1.0.0.0-223.255.255.255.
 *
 * The timed thread looks up without registering with RCU: nothing changes
 * the table while it runs (the update case runs on the same thread).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_util.h"
#include "proto/route.h"

#define DST_N (1u << 20)
#define UPDATE_POOL 1024u
#define GW(i) htonl(0xc0a80101u + (i)) /* 192.168.1.1 + i */

enum route_case { RT_RANDOM, RT_SEQ, RT_UPDATE };

struct route_param {
	uint32_t prefixes;
	uint8_t kind;	/* enum route_case */
};

struct route_bench {
	struct pp_route_table *t;
	uint8_t kind;
	uint32_t *dst;			/* [DST_N] network order (random) */
	uint32_t cursor;
	uint32_t seq_base;		/* host order (seq) */
	uint32_t pool_p[UPDATE_POOL];	/* network order (update) */
	uint8_t pool_l[UPDATE_POOL];
	uint64_t failures;
};

static uint64_t rnd_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t mask_of(unsigned int plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* A prefix of the Internet-like shape above; host order. */
static uint32_t random_prefix(uint64_t *s, uint8_t *plen)
{
	static const struct {
		uint8_t pct, lo, hi;
	} shape[] = {
		{60, 24, 24}, {10, 23, 23}, {12, 22, 22}, {5, 21, 21}, {4, 20, 20},
		{3, 19, 19}, {3, 16, 18}, {1, 8, 15}, {2, 25, 32},
	};
	uint64_t r = rnd_next(s);
	uint32_t pick = (uint32_t)(r % 100), a;
	size_t i = 0;

	while (pick >= shape[i].pct) {
		pick -= shape[i].pct;
		i++;
	}
	*plen = (uint8_t)(shape[i].lo + (r >> 8) % (shape[i].hi - shape[i].lo + 1u));
	a = (uint32_t)(0x01000000u + (rnd_next(s) >> 32) % (0xe0000000u - 0x01000000u));
	return a & mask_of(*plen);
}

/* Add @n - 1 prefixes (and the default route); their prefixes in @p/@l. */
static int fill(struct pp_route_table *t, uint32_t n, uint64_t *s, uint32_t *p, uint8_t *l)
{
	int rc = pp__route_add(t, 0, 0, GW(0), 0);

	if (rc)
		return rc;
	p[0] = 0;
	l[0] = 0;
	for (uint32_t i = 1; i < n;) {
		uint8_t plen;
		uint32_t a = random_prefix(s, &plen);

		rc = pp__route_add(t, htonl(a), plen, GW(i % 8), 0);
		if (rc == -EEXIST)
			continue;
		if (rc)
			return rc;
		p[i] = a;
		l[i] = plen;
		i++;
	}
	return 0;
}

static void route_teardown(void *state)
{
	struct route_bench *b = state;

	if (!b)
		return;
	if (b->failures)
		pp__bench_fail("route: %llu lookups failed with a default route present",
			       (unsigned long long)b->failures);
	pp__route_table_destroy(b->t);
	free(b->dst);
	free(b);
}

static void *route_setup(const void *param)
{
	const struct route_param *prm = param;
	struct route_bench *b = calloc(1, sizeof(*b));
	uint64_t s = 0x5eedbe9c4ull;
	uint32_t *p = NULL;
	uint8_t *l = NULL;
	struct pp_route_stats st;

	if (!b)
		return NULL;
	b->kind = prm->kind;
	p = malloc(prm->prefixes * sizeof(*p));
	l = malloc(prm->prefixes);
	if (!p || !l || pp__route_table_create(&b->t) || fill(b->t, prm->prefixes, &s, p, l))
		goto err;

	if (b->kind == RT_RANDOM) {
		b->dst = malloc(DST_N * sizeof(*b->dst));
		if (!b->dst)
			goto err;
		for (uint32_t i = 0; i < DST_N; i++) {
			uint64_t r = rnd_next(&s);
			uint32_t k = (uint32_t)(r % prm->prefixes);

			b->dst[i] = htonl(p[k] | ((uint32_t)(r >> 32) & ~mask_of(l[k])));
		}
	} else if (b->kind == RT_SEQ) {
		b->seq_base = p[rnd_next(&s) % prm->prefixes];
	} else {
		for (uint32_t i = 0; i < UPDATE_POOL;) {
			uint8_t plen;
			uint32_t a = htonl(random_prefix(&s, &plen));
			struct pp_route_result res;
			int dup = 0;

			/* only prefixes the table does not hold */
			if (!pp__route_lookup(b->t, a, &res) && res.plen == plen)
				continue;
			for (uint32_t j = 0; j < i; j++)
				dup |= b->pool_p[j] == a && b->pool_l[j] == plen;
			if (dup)
				continue;
			b->pool_p[i] = a;
			b->pool_l[i] = plen;
			i++;
		}
	}
	if (!pp__route_stats(b->t, &st))
		fprintf(stderr, "route: %u prefixes: %u groups, %u next hops, %llu KiB\n",
			st.routes, st.groups, st.nexthops, (unsigned long long)st.bytes >> 10);
	free(p);
	free(l);
	return b;

err:
	free(p);
	free(l);
	route_teardown(b);
	return NULL;
}

static uint64_t route_run_lookup(void *state, uint64_t iters)
{
	struct route_bench *b = state;
	struct pp_route_result res = {0};
	uint32_t acc = 0, c = b->cursor;
	uint64_t failed = 0;

	if (b->kind == RT_RANDOM) {
		for (uint64_t i = 0; i < iters; i++, c++) {
			failed += pp__route_lookup(b->t, b->dst[c & (DST_N - 1)], &res) != 0;
			acc += res.nexthop;
		}
	} else {
		for (uint64_t i = 0; i < iters; i++, c++) {
			failed += pp__route_lookup(b->t, htonl(b->seq_base + c), &res) != 0;
			acc += res.nexthop;
		}
	}
	b->cursor = c;
	b->failures += failed;
	pp__bench_escape(&acc);
	return iters;
}

static uint64_t route_run_update(void *state, uint64_t iters)
{
	struct route_bench *b = state;
	uint32_t c = b->cursor;

	for (uint64_t i = 0; i < iters; i++, c++) {
		uint32_t k = c % UPDATE_POOL;

		if (pp__route_add(b->t, b->pool_p[k], b->pool_l[k], GW(8), 0) ||
		    pp__route_del(b->t, b->pool_p[k], b->pool_l[k])) {
			pp__bench_fail("route: add/del of a fresh prefix failed");
			break;
		}
	}
	b->cursor = c;
	return iters;
}

#define LOOKUP(n, kind_, name)                                                      \
	{"route/lookup/prefixes:" #n "/" name, route_setup, route_run_lookup,       \
	 route_teardown, &(const struct route_param){.prefixes = n, .kind = kind_}}

static const struct pp_bench_def route_defs[] = {
	LOOKUP(1, RT_RANDOM, "random"),
	LOOKUP(1, RT_SEQ, "seq"),
	LOOKUP(1000, RT_RANDOM, "random"),
	LOOKUP(1000, RT_SEQ, "seq"),
	LOOKUP(100000, RT_RANDOM, "random"),
	LOOKUP(100000, RT_SEQ, "seq"),
	{"route/update/prefixes:1000", route_setup, route_run_update, route_teardown,
	 &(const struct route_param){.prefixes = 1000, .kind = RT_UPDATE}},
};

const struct pp_bench_def *pp_bench_route_defs(size_t *n);

const struct pp_bench_def *pp_bench_route_defs(size_t *n)
{
	*n = sizeof(route_defs) / sizeof(route_defs[0]);
	return route_defs;
}
