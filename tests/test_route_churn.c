// SPDX-License-Identifier: MIT
/*
 * test_route_churn.c - the routing table (src/proto/route.h) read by two
 * pinned reader threads under RCU QSBR while the main thread adds and
 * deletes routes for about two seconds (threaded suite; CI also runs it
 * under TSan and ASan).
 *
 * Every route the writer ever adds comes from a fixed universe, each with
 * its own gateway, and two routes stay throughout: the default route and
 * 10.0.0.0/8. So every lookup a reader makes must succeed, name a universe
 * route (or the default) that covers the address with that route's gateway,
 * and never be shorter than /8 inside 10/8: a result that mixed two states,
 * or read a recycled group or next-hop slot, fails one of these. Readers
 * announce a quiescent state after every burst and go offline now and then,
 * as a lane that sleeps would. The main thread is a registered reader too
 * (a control thread that also looks up), so its add/del go offline inside.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "core/time.h"
#include "proto/route.h"

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GW(n) IP(192, 168, 0, n)
#define GW_DEFAULT IP(192, 168, 255, 1)
#define GW_TEN IP(192, 168, 255, 10)

#define CHURN_NS (2 * PP_NSEC_PER_SEC)
#define NREADERS 2
#define UNIVERSE 256
#define BURST 64

static uint32_t mask_of(unsigned int plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

struct uroute {
	uint32_t p;	/* host order */
	uint8_t plen;
	uint32_t gw;	/* network order, 0: on-link */
};

/* The universe: const once the test starts, read by every thread. */
static struct uroute uni[UNIVERSE];
static unsigned int nuni;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Nested, overlapping prefixes inside 10/8 (and a few outside), at every
 * level edge of the trie. */
static void make_universe(void)
{
	static const uint8_t plens[] = {9, 12, 15, 16, 17, 20, 23, 24, 25, 28, 30, 31, 32};
	uint32_t hot[6];
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < 6; i++)
		hot[i] = 0x0a000000u | ((uint32_t)xorshift(&s) & 0x00ffffffu);
	nuni = 0;
	while (nuni < UNIVERSE) {
		uint32_t r = (uint32_t)(xorshift(&s) >> 32);
		uint8_t plen = plens[r % sizeof(plens)];
		uint32_t a = (r >> 8) % 8 ? hot[(r >> 4) % 6] ^ ((uint32_t)xorshift(&s) & 0x3ffu)
					  : (uint32_t)xorshift(&s);
		uint32_t p = a & mask_of(plen);
		unsigned int i;

		for (i = 0; i < nuni; i++)
			if (uni[i].p == p && uni[i].plen == plen)
				break;
		if (i < nuni || (p == 0x0a000000u && plen == 8))
			continue;
		uni[nuni].p = p;
		uni[nuni].plen = plen;
		uni[nuni].gw = nuni % 10 == 0 ? 0 : GW(1 + nuni % 200);
		nuni++;
	}
}

/* Why a result is impossible, or NULL if some state of the table gives it. */
static const char *judge(uint32_t a, int rc, const struct pp_route_result *res)
{
	uint32_t want_gw;

	if (rc)
		return "lookup failed with a covering route present";
	if (res->flags)
		return "flags on a route added without";
	if (res->plen > 32)
		return "bad prefix length";
	if ((a & 0xff000000u) == 0x0a000000u && res->plen < 8)
		return "shorter than the /8 that is always there";
	if (res->plen == 0) {
		want_gw = GW_DEFAULT;
	} else if (res->plen == 8 && (a & 0xff000000u) == 0x0a000000u) {
		want_gw = GW_TEN;
	} else {
		unsigned int i;

		for (i = 0; i < nuni; i++)
			if (uni[i].plen == res->plen && uni[i].p == (a & mask_of(res->plen)))
				break;
		if (i == nuni)
			return "a route that was never added";
		want_gw = uni[i].gw;
	}
	if (res->gw != want_gw)
		return "gateway of another route";
	if (res->nexthop != (want_gw ? want_gw : htonl(a)))
		return "next hop inconsistent with the gateway";
	return NULL;
}

/* An address a route of the universe covers, or any address. */
static uint32_t probe(uint64_t *s)
{
	uint64_t r = xorshift(s);
	const struct uroute *u = &uni[(r >> 8) % nuni];

	if (r % 8 == 0)
		return (uint32_t)(r >> 32);
	return u->p | ((uint32_t)(r >> 32) & ~mask_of(u->plen));
}

struct reader {
	pthread_t tid;
	unsigned int id;
	struct pp_route_table *t;
	uint64_t lookups;
	uint64_t offline_naps;
	/* first impossible result */
	const char *bad;
	uint32_t bad_addr;
	struct pp_route_result bad_res;
};

static atomic_int stop;

static void pin(unsigned int core)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n <= 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(core % (unsigned int)n, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t s = 0x1234567ull + r->id * 0x9e3779b97f4a7c15ull;
	uint32_t last_gen = 0;

	pin(r->id);
	urcu_qsbr_register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t gen = pp__route_gen(r->t);

		if (gen < last_gen && !r->bad)
			r->bad = "generation went back";
		last_gen = gen;
		for (int i = 0; i < BURST; i++) {
			struct pp_route_result res;
			uint32_t a = probe(&s);
			int rc = pp__route_lookup(r->t, htonl(a), &res);
			const char *why = judge(a, rc, &res);

			if (why && !r->bad) {
				r->bad = why;
				r->bad_addr = a;
				r->bad_res = res;
			}
		}
		r->lookups += BURST;
		urcu_qsbr_quiescent_state();
		/* now and then block, as a lane with nothing to do would */
		if ((r->lookups / BURST) % 512 == 0) {
			urcu_qsbr_thread_offline();
			nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL);
			urcu_qsbr_thread_online();
			r->offline_naps++;
		}
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void test_churn(void **state)
{
	struct pp_route_table *t;
	struct reader rd[NREADERS];
	bool live[UNIVERSE] = {0};
	unsigned int nlive = 0;
	uint64_t s = 42, adds = 0, dels = 0, end;
	struct pp_route_stats st;

	(void)state;
	make_universe();
	assert_int_equal(pp__route_table_create(&t), 0);
	assert_int_equal(pp__route_add(t, 0, 0, GW_DEFAULT, 0), 0);
	assert_int_equal(pp__route_add(t, IP(10, 0, 0, 0), 8, GW_TEN, 0), 0);

	urcu_qsbr_register_thread();
	atomic_store(&stop, 0);
	for (unsigned int i = 0; i < NREADERS; i++) {
		rd[i] = (struct reader){.id = i, .t = t};
		assert_int_equal(pthread_create(&rd[i].tid, NULL, reader_main, &rd[i]), 0);
	}

	end = pp__now_ns() + CHURN_NS;
	while (pp__now_ns() < end) {
		unsigned int i = (unsigned int)(xorshift(&s) >> 40) % nuni;
		uint32_t p = htonl(uni[i].p);
		struct pp_route_result res;
		uint32_t a = probe(&s);
		int rc;

		if (live[i]) {
			assert_int_equal(pp__route_del(t, p, uni[i].plen), 0);
			dels++;
			nlive--;
		} else {
			assert_int_equal(pp__route_add(t, p, uni[i].plen, uni[i].gw, 0), 0);
			adds++;
			nlive++;
		}
		live[i] = !live[i];
		assert_int_equal(pp__route_count(t), (int)nlive + 2);
		/* this thread reads too, between its own changes */
		rc = pp__route_lookup(t, htonl(a), &res);
		assert_null(judge(a, rc, &res));
		urcu_qsbr_quiescent_state();
	}

	atomic_store(&stop, 1);
	for (unsigned int i = 0; i < NREADERS; i++) {
		assert_int_equal(pthread_join(rd[i].tid, NULL), 0);
		print_message("reader %u: %llu lookups, %llu offline naps\n", i,
			      (unsigned long long)rd[i].lookups,
			      (unsigned long long)rd[i].offline_naps);
		if (rd[i].bad)
			fail_msg("reader %u: %s: %08x -> plen %u gw %08x nexthop %08x", i,
				 rd[i].bad, rd[i].bad_addr, rd[i].bad_res.plen, rd[i].bad_res.gw,
				 rd[i].bad_res.nexthop);
		assert_true(rd[i].lookups > 10000);
	}
	urcu_qsbr_unregister_thread();

	assert_int_equal(pp__route_stats(t, &st), 0);
	print_message("writer: %llu adds, %llu deletes, %llu grace periods, %u groups live\n",
		      (unsigned long long)adds, (unsigned long long)dels,
		      (unsigned long long)st.grace_periods, st.groups);
	assert_true(adds + dels > 1000);
	assert_true(st.grace_periods > 0); /* reclaim ran while readers were reading */

	/* quiet again: the table is exactly the live set */
	for (unsigned int k = 0; k < 20000; k++) {
		uint32_t a = probe(&s);
		const struct uroute *best = NULL;
		struct pp_route_result res;

		for (unsigned int i = 0; i < nuni; i++)
			if (live[i] && (a & mask_of(uni[i].plen)) == uni[i].p &&
			    (!best || uni[i].plen > best->plen))
				best = &uni[i];
		assert_int_equal(pp__route_lookup(t, htonl(a), &res), 0);
		if (best) {
			assert_int_equal(res.plen, best->plen);
			assert_int_equal(res.gw, best->gw);
		} else {
			assert_int_equal(res.plen, (a >> 24) == 10 ? 8 : 0);
		}
	}

	for (unsigned int i = 0; i < nuni; i++)
		if (live[i])
			assert_int_equal(pp__route_del(t, htonl(uni[i].p), uni[i].plen), 0);
	assert_int_equal(pp__route_del(t, IP(10, 0, 0, 0), 8), 0);
	assert_int_equal(pp__route_del(t, 0, 0), 0);
	assert_int_equal(pp__route_stats(t, &st), 0);
	assert_int_equal(st.routes, 0);
	assert_int_equal(st.groups, 0);
	assert_int_equal(st.nexthops, 0);
	pp__route_table_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
