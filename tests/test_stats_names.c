// SPDX-License-Identifier: MIT
/*
 * test_stats_names.c - the stack's counters by name (pktpipe/stats.h,
 * src/proto/stack_stats.c): pp_stack_stats_names(), pp_stack_stats_read(),
 * pp_stack_stat_get() (cf. DPDK's xstats and `ethtool -S`).
 *
 * Regression for "stats ABI": struct pp_stack_stats was public and fixed in
 * size, so every new stage or drop reason broke the ABI. The names must be
 * unique, fit PP_STAT_NAME_LEN even on a PP_LANES_MAX-lane stack, follow the
 * documented scheme, and every value must be the counter its name says
 * (checked against the internal snapshot, field by field).
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

#include "pp_test.h"

#include <pktpipe/sock.h>
#include <pktpipe/stack.h>
#include <pktpipe/stats.h>

#include "proto/stack_priv.h"

#define OUR_IP "198.18.0.1"
#define PEER_IP "198.18.0.2"

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

struct nfx {
	struct pp_stack *st;
	int n;
	struct pp_stat_name *names;
	uint64_t *v;
};

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct pp_stack *stack_new(uint16_t nlanes)
{
	struct pp_stack_opts o;
	struct pp_stack *st = NULL;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = ip4(OUR_IP);
	o.prefix = 24;
	o.nlanes = nlanes;
	o.frames_per_lane = 256;
	o.flags = PP_STACK_F_NO_PIN;
	assert_int_equal(pp_stack_create(&o, &st), 0);
	return st;
}

/* Names and values of @st into @fx. */
static void read_all(struct nfx *fx)
{
	fx->n = pp_stack_stats_names(fx->st, NULL, 0);
	assert_true(fx->n > 0);
	free(fx->names);
	free(fx->v);
	fx->names = calloc((size_t)fx->n, sizeof(*fx->names));
	fx->v = calloc((size_t)fx->n, sizeof(*fx->v));
	assert_non_null(fx->names);
	assert_non_null(fx->v);
	assert_int_equal(pp_stack_stats_names(fx->st, fx->names, (unsigned int)fx->n), fx->n);
	assert_int_equal(pp_stack_stats_read(fx->st, fx->v, (unsigned int)fx->n), fx->n);
}

static int find(const struct nfx *fx, const char *name)
{
	for (int i = 0; i < fx->n; i++)
		if (!strcmp(fx->names[i].name, name))
			return i;
	return -1;
}

static uint64_t val(const struct nfx *fx, const char *name)
{
	int i = find(fx, name);

	if (i < 0)
		fail_msg("no counter named \"%s\"", name);
	return fx->v[i];
}

static int setup1(void **state)
{
	struct nfx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->st = stack_new(1);
	*state = fx;
	return 0;
}

static int setup2(void **state)
{
	struct nfx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->st = stack_new(2);
	*state = fx;
	return 0;
}

/* Every frame came home: through the named counter, and the snapshot. */
static int teardown(void **state)
{
	struct nfx *fx = *state;
	uint64_t in_use = 1, allocs = 0, frees = 1, bad = 1;

	for (unsigned int k = 0; k < PP_LANES_MAX; k++)
		pp_lane_detach(fx->st, k); /* -EINVAL where not attached */
	pp__stack_teardown(fx->st);
	assert_int_equal(pp_stack_stat_get(fx->st, "pool.in_use", &in_use), 0);
	assert_int_equal(pp_stack_stat_get(fx->st, "pool.allocs", &allocs), 0);
	assert_int_equal(pp_stack_stat_get(fx->st, "pool.frees", &frees), 0);
	assert_int_equal(pp_stack_stat_get(fx->st, "pool.bad_free", &bad), 0);
	assert_int_equal(in_use, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(allocs, frees);
	pp_stack_destroy(fx->st);
	free(fx->names);
	free(fx->v);
	free(fx);
	return 0;
}

/* ---- negative cases ----------------------------------------------------- */

static void test_null_args(void **state)
{
	struct nfx *fx = *state;
	struct pp_stat_name nm;
	uint64_t v = 7;

	assert_int_equal(pp_stack_stats_names(NULL, NULL, 0), -EINVAL);
	assert_int_equal(pp_stack_stats_names(NULL, &nm, 1), -EINVAL);
	assert_int_equal(pp_stack_stats_names(fx->st, NULL, 1), -EINVAL);
	assert_int_equal(pp_stack_stats_read(NULL, NULL, 0), -EINVAL);
	assert_int_equal(pp_stack_stats_read(fx->st, NULL, 5), -EINVAL);
	assert_int_equal(pp_stack_stat_get(NULL, "udp.packets", &v), -EINVAL);
	assert_int_equal(pp_stack_stat_get(fx->st, NULL, &v), -EINVAL);
	assert_int_equal(pp_stack_stat_get(fx->st, "udp.packets", NULL), -EINVAL);
	assert_int_equal(v, 7);
}

/* Names we do not give are -ENOENT, and leave the value alone; with two
 * lanes, lane2 does not exist. */
static void test_unknown_names(void **state)
{
	static const char *const bad[] = {
		"", ".", "udp", "udp.", ".packets", "udp.packets.x", "UDP.packets",
		"udp.packet", "nosuch.packets", "udp.drops.none", "udp.drops.unknown",
		"udp.drops.", "udp.bursts.0", "udp.bursts.256+", "lane2.udp.packets",
		"lane01.udp.packets", "lane.udp.packets", "lane0udp.packets", "lane0.",
		"lane0.pool.in_use", "lane1.qdisc.bypass", "lane-1.udp.packets",
		"lane99999999999999999999999.udp.packets", "pool.in_use ", " pool.in_use",
		"pool", "nic.tx_packets.x", "stack.nlanes.", "lane0.lane0.udp.packets",
	};
	struct nfx *fx = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 42;
		int rc = pp_stack_stat_get(fx->st, bad[i], &v);

		if (rc != -ENOENT || v != 42)
			fail_msg("\"%s\": rc %d v %lu, want -ENOENT and untouched", bad[i], rc,
				 (unsigned long)v);
	}
}

/* ---- boundaries --------------------------------------------------------- */

/* n = 0 sizes; one short writes nothing; exactly enough and more fill. */
static void test_sizing(void **state)
{
	struct nfx *fx = *state;
	int n = pp_stack_stats_names(fx->st, NULL, 0);
	struct pp_stat_name *nm;
	uint64_t *v;

	assert_true(n > 0);
	assert_int_equal(pp_stack_stats_read(fx->st, NULL, 0), n);
	nm = calloc((size_t)n + 1, sizeof(*nm));
	v = calloc((size_t)n + 1, sizeof(*v));
	assert_non_null(nm);
	assert_non_null(v);
	memset(nm, 'x', ((size_t)n + 1) * sizeof(*nm));
	for (int i = 0; i <= n; i++)
		v[i] = 0xdeadbeef;
	assert_int_equal(pp_stack_stats_names(fx->st, nm, (unsigned int)n - 1), n);
	assert_int_equal(pp_stack_stats_read(fx->st, v, (unsigned int)n - 1), n);
	assert_int_equal(nm[0].name[0], 'x');
	assert_int_equal(v[0], 0xdeadbeef);
	assert_int_equal(pp_stack_stats_names(fx->st, nm, (unsigned int)n + 1), n);
	assert_int_equal(pp_stack_stats_read(fx->st, v, (unsigned int)n + 1), n);
	assert_string_equal(nm[0].name, "stack.nlanes");
	assert_int_equal(v[0], 2);
	assert_int_equal(nm[n].name[0], 'x'); /* past the count: untouched */
	assert_int_equal(v[n], 0xdeadbeef);
	free(nm);
	free(v);
}

/* Every name: fits with its NUL, only [a-z0-9._+-], unique; the count grows
 * with the lanes by exactly one set of stage rows per lane. */
static void check_names(const struct nfx *fx)
{
	for (int i = 0; i < fx->n; i++) {
		const char *s = fx->names[i].name;
		size_t len = strnlen(s, PP_STAT_NAME_LEN);

		assert_true(len > 0 && len < PP_STAT_NAME_LEN);
		for (size_t j = 0; j < len; j++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._+-", s[j]))
				fail_msg("name \"%s\": character '%c'", s, s[j]);
	}
	/* unique: sort copies and compare neighbours */
	struct pp_stat_name *c = malloc((size_t)fx->n * sizeof(*c));

	assert_non_null(c);
	memcpy(c, fx->names, (size_t)fx->n * sizeof(*c));
	qsort(c, (size_t)fx->n, sizeof(*c), (int (*)(const void *, const void *))strcmp);
	for (int i = 1; i < fx->n; i++)
		if (!strcmp(c[i - 1].name, c[i].name))
			fail_msg("name \"%s\" twice", c[i].name);
	free(c);
}

static void test_names_max_lanes(void **state)
{
	struct nfx big = {.st = stack_new(PP_LANES_MAX)};
	struct nfx *fx = *state;
	int per_lane, n1;

	(void)state;
	read_all(&big);
	check_names(&big);
	read_all(fx);
	n1 = fx->n;
	/* fx has 2 lanes: globals + (totals + 2 lanes) rows; big has 32 lanes.
	 * Each lane adds the same set (one row per stage), the globals stay. */
	assert_int_equal((big.n - n1) % (PP_LANES_MAX - 2), 0);
	per_lane = (big.n - n1) / (PP_LANES_MAX - 2);
	assert_int_equal(per_lane % PP_STAGE_MAX, 0);
	/* stack., pool., nic., qdisc., completion. (18) and tcp. (21) */
	assert_int_equal(n1 - 3 * per_lane, 39);
	assert_true(find(&big, "lane31.completion.drops.neigh_queue_full") >= 0);
	assert_true(find(&big, "lane32.udp.packets") < 0);
	for (unsigned int k = 0; k < PP_LANES_MAX; k++)
		pp_lane_detach(big.st, k);
	pp_stack_destroy(big.st);
	free(big.names);
	free(big.v);
}

/* ---- normal case -------------------------------------------------------- */

/* The names the header documents are there. */
static void test_documented_names(void **state)
{
	static const char *const want[] = {
		"stack.nlanes", "stack.ntxq", "stack.tsc_hz", "pool.nframes", "pool.allocs",
		"pool.frees", "pool.in_use", "pool.alloc_fail", "pool.bad_free", "nic.tx_packets",
		"nic.tx_bytes", "nic.tx_completed", "nic.tx_kicks", "nic.rx_packets",
		"qdisc.bypass", "qdisc.backlog", "completion.reaped", "completion.sleeps",
		"udp.packets", "udp.bytes", "udp.ns", "udp.ring_occ", "udp.bursts.1",
		"udp.bursts.2-3", "udp.bursts.128+", "udp.drops", "ip.drops.no_route",
		"lane1.qdisc.bytes", "lane0.icmp.drops.shutdown", "rx.drops.bad_csum",
		"completion.packets", "tx.packets", "arp.packets",
		"tcp.active_opens", "tcp.passive_opens", "tcp.attempt_fails", "tcp.estab_resets",
		"tcp.in_segs", "tcp.out_segs", "tcp.retrans_segs", "tcp.out_rsts", "tcp.bad_segs",
		"tcp.rto", "tcp.fast_retrans", "tcp.syn_dropped", "tcp.listen_overflows",
		"tcp.ooo_dropped", "tcp.rcvq_dropped", "tcp.handoff_dropped",
		"tcp.ts_paws_rejects", "tcp.timewait_recycled", "tcp.loss_probes",
		"tcp.sack_recovery", "tcp.reno_recovery", "tcp.packets", "lane1.tcp.drops",
	};
	struct nfx *fx = *state;

	read_all(fx);
	check_names(fx);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (find(fx, want[i]) < 0)
			fail_msg("no counter named \"%s\"", want[i]);
	/* every drop reason but "none" has a name on every stage */
	for (unsigned int r = 1; r < PP_DROP_MAX; r++) {
		char nm[PP_STAT_NAME_LEN];

		snprintf(nm, sizeof(nm), "lane1.arp.drops.%s", pp_drop_reason_name(r));
		assert_true(find(fx, nm) >= 0);
	}
	assert_int_equal(val(fx, "stack.nlanes"), 2);
	assert_int_equal(val(fx, "stack.ntxq"), 2);
	assert_int_equal(val(fx, "pool.nframes"), 2 * 256);
}

/* Send K datagrams on lane 1; every named value equals the snapshot field
 * it names, and pp_stack_stat_get() agrees with pp_stack_stats_read(). */
static void test_values_match_snapshot(void **state)
{
	enum { K = 40 };
	struct nfx *fx = *state;
	struct pp_sock *sk = NULL;
	struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9)};
	char buf[64] = "x";
	struct pp_stack_stats *ss = aligned_alloc(PP_CACHE_LINE, sizeof(*ss));

	assert_non_null(ss);
	d.sin_addr.s_addr = ip4(PEER_IP);
	assert_int_equal(pp_neigh_add(fx->st, d.sin_addr.s_addr, peer_mac), 0);
	assert_int_equal(pp_socket(fx->st, PP_SOCK_DGRAM, 1, &sk), 0);
	for (int i = 0; i < K; i++)
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, (const struct sockaddr *)&d,
					   sizeof(d)),
				 sizeof(buf));
	assert_int_equal(pp_lane_flush(fx->st, 1, 2000), 0);
	pp_close(sk);

	read_all(fx);
	assert_int_equal(pp__stack_stats_snapshot(fx->st, ss), 0);
	assert_int_equal(val(fx, "udp.packets"), K);
	assert_int_equal(val(fx, "lane1.udp.packets"), K);
	assert_int_equal(val(fx, "lane0.udp.packets"), 0);
	assert_int_equal(val(fx, "udp.bytes"), K * (20 + 8 + sizeof(buf))); /* IP + UDP */
	assert_int_equal(val(fx, "nic.tx_packets"), K);
	assert_int_equal(val(fx, "tx.packets"), K);
	assert_int_equal(val(fx, "udp.drops"), 0);

	/* each stage row, totals and per lane, field by field */
	for (int lane = -1; lane < 2; lane++) {
		for (unsigned int s = 0; s < PP_STAGE_MAX; s++) {
			const struct pp_stage_stats *g =
				lane < 0 ? &ss->stage[s] : &ss->lane_stage[lane][s];
			char pfx[32], nm[2 * PP_STAT_NAME_LEN];

			if (lane < 0)
				snprintf(pfx, sizeof(pfx), "%s", pp__stage_name(s));
			else
				snprintf(pfx, sizeof(pfx), "lane%d.%s", lane, pp__stage_name(s));
#define CHECK(suffix, want)                                                        \
	do {                                                                       \
		snprintf(nm, sizeof(nm), "%s.%s", pfx, suffix);                    \
		if (val(fx, nm) != (want))                                         \
			fail_msg("%s = %lu, snapshot %lu", nm,                     \
				 (unsigned long)val(fx, nm), (unsigned long)(want)); \
	} while (0)
			CHECK("packets", g->packets);
			CHECK("bytes", g->bytes);
			CHECK("ns", g->ns);
			CHECK("ring_occ", g->ring_occ);
			CHECK("drops", pp_stage_stats_drops(g));
			for (unsigned int b = 0; b < PP_BURST_HIST; b++) {
				char sfx[32];

				snprintf(sfx, sizeof(sfx), "bursts.%s", pp__burst_bucket_name(b));
				CHECK(sfx, g->bursts[b]);
			}
			for (unsigned int r = 1; r < PP_DROP_MAX; r++) {
				char sfx[40];

				snprintf(sfx, sizeof(sfx), "drops.%s", pp_drop_reason_name(r));
				CHECK(sfx, g->drops[r]);
			}
#undef CHECK
		}
	}
	assert_int_equal(val(fx, "udp.bursts.1"), K); /* one datagram per call */
	assert_int_equal(val(fx, "pool.allocs"), ss->pool_allocs);
	assert_int_equal(val(fx, "nic.tx_kicks"), ss->nic_tx_kicks);
	assert_int_equal(val(fx, "qdisc.bypass"), ss->qdisc_bypass);

	/* by name == by index, for every name (nothing moves: the stack is idle) */
	for (int i = 0; i < fx->n; i++) {
		uint64_t v = ~0ull;

		assert_int_equal(pp_stack_stat_get(fx->st, fx->names[i].name, &v), 0);
		if (v != fx->v[i])
			fail_msg("%s: get %lu, read %lu", fx->names[i].name, (unsigned long)v,
				 (unsigned long)fx->v[i]);
	}
	free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_args, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_names, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_sizing, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_names_max_lanes, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_documented_names, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_values_match_snapshot, setup2, teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
