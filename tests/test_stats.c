// SPDX-License-Identifier: MIT
/*
 * test_stats.c - drop reasons and stage counters (pktpipe/stats.h,
 * src/core/stats.c, and the counting helpers of src/core/stage.h).
 *
 * cf. the kernel's drop_reasons[] table (DEFINE_DROP_REASON): every reason
 * has one distinct name, and anything else reads "unknown".
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pktpipe/stats.h>

#include "core/pool.h"
#include "core/stage.h"

/* ---- negative cases ----------------------------------------------------- */

static void test_reason_name_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(pp_drop_reason_name(PP_DROP_MAX), "unknown");
	assert_string_equal(pp_drop_reason_name(PP_DROP_MAX + 1), "unknown");
	assert_string_equal(pp_drop_reason_name(255), "unknown");
	assert_string_equal(pp_drop_reason_name(UINT32_MAX), "unknown");
	assert_string_equal(pp_drop_reason_name((unsigned int)-1), "unknown");
}

static void test_stats_null_args(void **state)
{
	struct pp_stage_stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.packets = 5;
	pp_stage_stats_add(NULL, &s);
	pp_stage_stats_add(&s, NULL);
	assert_int_equal(s.packets, 5);
	assert_int_equal(pp_stage_stats_drops(NULL), 0);
}

/* ---- boundaries --------------------------------------------------------- */

/* Every reason has a name of its own: non-empty, lower case, not "unknown",
 * and different from every other one (a copy-paste in the table shows). */
static void test_reason_names_unique(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < PP_DROP_MAX; i++) {
		const char *n = pp_drop_reason_name(i);

		assert_non_null(n);
		assert_true(n[0] != '\0');
		assert_string_not_equal(n, "unknown");
		for (const char *p = n; *p; p++)
			assert_true(islower((unsigned char)*p) || *p == '_');
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(n, pp_drop_reason_name(j)))
				fail_msg("reasons %u and %u are both named \"%s\"", j, i, n);
	}
	/* a few by name, so that the table is not merely shifted by one */
	assert_string_equal(pp_drop_reason_name(PP_DROP_NONE), "none");
	assert_string_equal(pp_drop_reason_name(PP_DROP_NO_ROUTE), "no_route");
	assert_string_equal(pp_drop_reason_name(PP_DROP_RING_FULL), "ring_full");
	assert_string_equal(pp_drop_reason_name(PP_DROP_SHUTDOWN), "shutdown");
	assert_string_equal(pp_drop_reason_name(PP_DROP_MAX - 1), "socket_backlog");
}

/* Buckets 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64-127, 128+: both edges of each. */
static void test_burst_bucket_edges(void **state)
{
	static const struct { uint32_t n; unsigned int b; } cases[] = {
		{1, 0},	  {2, 1},   {3, 1},   {4, 2},	{7, 2},	  {8, 3},   {15, 3},
		{16, 4},  {31, 4},  {32, 5},  {63, 5},	{64, 6},  {127, 6}, {128, 7},
		{255, 7}, {256, 7}, {65535, 7}, {UINT32_MAX, 7},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pp_burst_bucket(cases[i].n) != cases[i].b)
			fail_msg("pp_burst_bucket(%u) = %u, want %u", cases[i].n,
				 pp_burst_bucket(cases[i].n), cases[i].b);
	/* n = 0 is outside the contract; it must still land in range */
	assert_true(pp_burst_bucket(0) < PP_BURST_HIST);
	/* every n up to PP_BURST_MAX: in range and never decreasing */
	for (uint32_t n = 2; n <= PP_BURST_MAX; n++) {
		assert_true(pp_burst_bucket(n) < PP_BURST_HIST);
		assert_true(pp_burst_bucket(n) >= pp_burst_bucket(n - 1));
	}
}

static void test_stats_layout(void **state)
{
	(void)state;
	assert_int_equal(_Alignof(struct pp_stage_stats), PP_CACHE_LINE);
	assert_int_equal(sizeof(struct pp_stage_stats) % PP_CACHE_LINE, 0);
}

/* ---- normal case -------------------------------------------------------- */

/* Every field adds, none is skipped or added twice. */
static void test_stats_add(void **state)
{
	struct pp_stage_stats a, b;
	uint64_t v = 1;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.packets = 1000; a.bytes = 2000; a.ns = 3000; a.ring_occ = 4000;
	for (unsigned int i = 0; i < PP_BURST_HIST; i++)
		a.bursts[i] = 100 + i;
	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		a.drops[i] = 200 + i;
	/* b: distinct powers of two, so a double add or a swap shows */
	b.packets = v; b.bytes = v << 1; b.ns = v << 2; b.ring_occ = v << 3;
	for (unsigned int i = 0; i < PP_BURST_HIST; i++)
		b.bursts[i] = v << (4 + i);
	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		b.drops[i] = v << (4 + PP_BURST_HIST + i);

	pp_stage_stats_add(&a, &b);
	assert_int_equal(a.packets, 1000 + 1);
	assert_int_equal(a.bytes, 2000 + 2);
	assert_int_equal(a.ns, 3000 + 4);
	assert_int_equal(a.ring_occ, 4000 + 8);
	for (unsigned int i = 0; i < PP_BURST_HIST; i++)
		assert_int_equal(a.bursts[i], 100 + i + (v << (4 + i)));
	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		assert_int_equal(a.drops[i], 200 + i + (v << (4 + PP_BURST_HIST + i)));
	/* src untouched */
	assert_int_equal(b.packets, 1);
	/* totals over lanes: add twice more */
	pp_stage_stats_add(&a, &b);
	pp_stage_stats_add(&a, &b);
	assert_int_equal(a.packets, 1003);
}

static void test_stats_drops(void **state)
{
	struct pp_stage_stats s;
	uint64_t want = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(pp_stage_stats_drops(&s), 0);
	s.packets = 99; /* not a drop */
	s.bursts[0] = 99;
	assert_int_equal(pp_stage_stats_drops(&s), 0);
	for (unsigned int i = 0; i < PP_DROP_MAX; i++) {
		s.drops[i] = (uint64_t)1 << i;
		want += (uint64_t)1 << i;
	}
	assert_int_equal(pp_stage_stats_drops(&s), want);
	s.drops[PP_DROP_MAX - 1] += 1ull << 40;
	assert_int_equal(pp_stage_stats_drops(&s), want + (1ull << 40));
}

/* pp_stage_drop(): frees the skb with its reason and counts it against the
 * stage; pp_stage_count_in(): packets, bytes and burst histogram. */
static void test_stage_drop_and_count(void **state)
{
	struct pp_pool *pool;
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = 64,
				 .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_stage_stats ss;
	struct pp_stage st = {.name = "test", .stats = &ss, .out_cap = PP_STAGE_OUT_CAP};
	struct pp_skb *b[40];
	struct pp_pool_stats ps;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(pp_pool_create(&o, &pool), 0);
	st.cache = pp_pool_cache(pool, 0);
	assert_int_equal(pp_skb_alloc_bulk(st.cache, b, 40), 40);
	for (int i = 0; i < 40; i++)
		assert_non_null(pp_skb_put(b[i], (uint32_t)(10 + i)));

	pp_stage_count_in(&st, b, 0); /* an empty call counts nothing */
	assert_int_equal(ss.packets, 0);
	assert_int_equal(ss.bursts[0], 0);
	pp_stage_count_in(&st, b, 1);
	pp_stage_count_in(&st, b, 40);
	assert_int_equal(ss.packets, 41);
	assert_int_equal(ss.bytes, 10 + (40 * 10 + 39 * 40 / 2));
	assert_int_equal(ss.bursts[0], 1);
	assert_int_equal(ss.bursts[5], 1); /* 32-63 */

	pp_stage_drop(&st, b[0], PP_DROP_NO_ROUTE);
	pp_stage_drop(&st, b[1], PP_DROP_NO_ROUTE);
	pp_stage_drop(&st, b[2], PP_DROP_QDISC_FULL);
	assert_int_equal(ss.drops[PP_DROP_NO_ROUTE], 2);
	assert_int_equal(ss.drops[PP_DROP_QDISC_FULL], 1);
	assert_int_equal(pp_stage_stats_drops(&ss), 3);
	assert_int_equal(b[2]->drop_reason, PP_DROP_QDISC_FULL);
	pp_pool_stats(pool, &ps);
	assert_int_equal(ps.in_use, 37);

	pp_skb_free_burst(st.cache, &b[3], 37);
	pp_pool_stats(pool, &ps);
	assert_int_equal(ps.in_use, 0);
	pp_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_name_out_of_range),
		cmocka_unit_test(test_stats_null_args),
		cmocka_unit_test(test_reason_names_unique),
		cmocka_unit_test(test_burst_bucket_edges),
		cmocka_unit_test(test_stats_layout),
		cmocka_unit_test(test_stats_add),
		cmocka_unit_test(test_stats_drops),
		cmocka_unit_test(test_stage_drop_and_count),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
