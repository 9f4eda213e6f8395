// SPDX-License-Identifier: MIT
/*
 * test_tcp_cc.c - TCP congestion control ops and Reno (proto/tcp_cc.h),
 * NewReno recovery bookkeeping (proto/tcp_recovery.h) and the RTO
 * estimator (proto/tcp_rto.h). Bad arguments first (unknown names, NULL,
 * out-of-range bounds), then the windows: slow start doubling per RTT,
 * congestion avoidance growing one segment per window exactly whatever the
 * ACK pattern, ssthresh halving with its floor, a scripted RFC 6582 loss
 * episode and RTOs; then the RTO: RFC 6298's worked values against a
 * floating-point reference, the 200 ms floor, G, the 120 s cap, backoff,
 * and Karn's rule.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include "proto/tcp_cc.h"
#include "proto/tcp_recovery.h"
#include "proto/tcp_rto.h"

#define MSS 1000u

static const struct pp_tcp_cc_ops *reno(void)
{
	const struct pp_tcp_cc_ops *ops = NULL;

	assert_int_equal(pp__tcp_cc_find("reno", &ops), 0);
	assert_non_null(ops);
	return ops;
}

/* A reno with every optional op, recording what the callers told it. */
static unsigned int g_init, g_set_state, g_events[8], g_acked;
static enum pp_tcp_ca_state g_last_state;

static void rec_init(struct pp_tcp_cc *cc)
{
	g_init++;
	cc->priv[0] = 42;
}

static void rec_set_state(struct pp_tcp_cc *cc, enum pp_tcp_ca_state s)
{
	(void)cc;
	g_set_state++;
	g_last_state = s;
}

static void rec_pkts_acked(struct pp_tcp_cc *cc, const struct pp_tcp_ack_sample *s)
{
	(void)cc;
	g_acked += s->pkts_acked;
}

static void rec_cwnd_event(struct pp_tcp_cc *cc, enum pp_tcp_ca_event ev)
{
	(void)cc;
	g_events[ev]++;
}

static const struct pp_tcp_cc_ops rec_ops = {
	.name = "rec",
	.init = rec_init,
	.ssthresh = pp__tcp_reno_ssthresh,
	.cong_avoid = pp__tcp_reno_cong_avoid,
	.set_state = rec_set_state,
	.undo_cwnd = pp__tcp_reno_undo_cwnd,
	.pkts_acked = rec_pkts_acked,
	.cwnd_event = rec_cwnd_event,
};

static void rec_reset(void)
{
	g_init = g_set_state = g_acked = 0;
	memset(g_events, 0, sizeof(g_events));
	g_last_state = PP_TCP_CA_OPEN;
}

/* ---- negative cases ------------------------------------------------------ */

static void test_find_bad(void **state)
{
	const struct pp_tcp_cc_ops *ops = &rec_ops;

	(void)state;
	assert_int_equal(pp__tcp_cc_find(NULL, &ops), -EINVAL);
	assert_int_equal(pp__tcp_cc_find("reno", NULL), -EINVAL);
	assert_int_equal(pp__tcp_cc_find("cubic", &ops), -ENOENT);
	assert_int_equal(pp__tcp_cc_find("", &ops), -ENOENT);
	assert_int_equal(pp__tcp_cc_find("RENO", &ops), -ENOENT);
	assert_int_equal(pp__tcp_cc_find("reno ", &ops), -ENOENT);
	assert_ptr_equal(ops, &rec_ops);	/* untouched on error */
	/* the default names one there is */
	assert_int_equal(pp__tcp_cc_find(PP_TCP_CC_DEFAULT, &ops), 0);
	assert_string_equal(ops->name, PP_TCP_CC_DEFAULT);
}

static void test_list(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(pp__tcp_cc_list(NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(pp__tcp_cc_list(buf, 0), -EINVAL);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pp__tcp_cc_list(buf, 4), -ENOSPC);	/* "reno" + NUL is 5 */
	assert_string_equal(buf, "");
	assert_int_equal(pp__tcp_cc_list(buf, 5), 4);
	assert_string_equal(buf, "reno");
	assert_int_equal(pp__tcp_cc_list(buf, sizeof(buf)), 4);
	assert_string_equal(buf, "reno");
}

static void test_validate_bad(void **state)
{
	struct pp_tcp_cc_ops o = rec_ops;

	(void)state;
	assert_int_equal(pp__tcp_cc_validate(NULL), -EINVAL);
	assert_int_equal(pp__tcp_cc_validate(&o), 0);
	o.name = NULL;
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	o.name = "";
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	o.name = "0123456789abcdef";	/* 16 characters: no room for the NUL */
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	o.name = "0123456789abcde";
	assert_int_equal(pp__tcp_cc_validate(&o), 0);
	o = rec_ops;
	o.ssthresh = NULL;
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	o = rec_ops;
	o.cong_avoid = NULL;
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	o = rec_ops;
	o.undo_cwnd = NULL;
	assert_int_equal(pp__tcp_cc_validate(&o), -EINVAL);
	/* the optional ones may be missing (reno has none of them) */
	o = rec_ops;
	o.init = NULL;
	o.set_state = NULL;
	o.pkts_acked = NULL;
	o.cwnd_event = NULL;
	assert_int_equal(pp__tcp_cc_validate(&o), 0);
	assert_int_equal(pp__tcp_cc_validate(reno()), 0);
}

static void test_init_bad(void **state)
{
	struct pp_tcp_cc cc;
	struct pp_tcp_cc_ops o = rec_ops;

	(void)state;
	rec_reset();
	assert_int_equal(pp__tcp_cc_init(NULL, reno(), MSS), -EINVAL);
	assert_int_equal(pp__tcp_cc_init(&cc, NULL, MSS), -EINVAL);
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), 0), -EINVAL);
	o.ssthresh = NULL;
	assert_int_equal(pp__tcp_cc_init(&cc, &o, MSS), -EINVAL);
	assert_int_equal(g_init, 0u);
}

static void test_rto_bad(void **state)
{
	struct pp_tcp_rto r;
	uint32_t rtt = 7;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(NULL, 0, 0), -EINVAL);
	assert_int_equal(pp__tcp_rto_init(&r, 0, PP_TCP_RTO_MAX_LOWEST_US - 1), -EINVAL);
	assert_int_equal(pp__tcp_rto_init(&r, 0, PP_TCP_RTO_MAX_US + 1), -EINVAL);
	assert_int_equal(pp__tcp_rto_init(&r, 2000001, 2000000), -EINVAL);
	/* edges accepted */
	assert_int_equal(pp__tcp_rto_init(&r, 1, PP_TCP_RTO_MAX_LOWEST_US), 0);
	assert_int_equal(pp__tcp_rto_init(&r, PP_TCP_RTO_MAX_US, PP_TCP_RTO_MAX_US), 0);
	assert_int_equal(r.rto_us, PP_TCP_RTO_MAX_US);	/* 1 s raised to rto_min */
	assert_int_equal(pp__tcp_rtt_sample(NULL, &rtt), -EINVAL);
	assert_int_equal(pp__tcp_rtt_sample(&(struct pp_tcp_rtt_ack){0}, NULL), -EINVAL);
	assert_false(pp__tcp_rtt_sample_ok(NULL));
	assert_int_equal(rtt, 7u);
}

/* ---- Reno's windows ------------------------------------------------------ */

static void test_init(void **state)
{
	struct pp_tcp_cc cc;

	(void)state;
	rec_reset();
	memset(&cc, 0xa5, sizeof(cc));
	assert_int_equal(pp__tcp_cc_init(&cc, &rec_ops, MSS), 0);
	assert_int_equal(cc.cwnd, PP_TCP_INIT_CWND);
	assert_int_equal(PP_TCP_INIT_CWND, 10u);	/* RFC 6928, TCP_INIT_CWND */
	assert_int_equal(cc.ssthresh, PP_TCP_INFINITE_SSTHRESH);
	assert_int_equal(cc.cwnd_cnt, 0u);
	assert_int_equal(cc.cwnd_clamp, UINT32_MAX);
	assert_int_equal(cc.mss, MSS);
	assert_int_equal(cc.ca_state, PP_TCP_CA_OPEN);
	assert_int_equal(cc.prior_cwnd, 0u);
	assert_false(cc.is_cwnd_limited);
	assert_ptr_equal(cc.ops, &rec_ops);
	assert_int_equal(g_init, 1u);
	assert_int_equal(cc.priv[0], 42u);	/* init ran after the zeroing */
	for (int i = 1; i < PP_TCP_CA_PRIV_U64; i++)
		assert_int_equal(cc.priv[i], 0u);
	assert_true(pp__tcp_in_slow_start(&cc));

	/* the wrappers reach the optional ops */
	pp__tcp_set_ca_state(&cc, PP_TCP_CA_DISORDER);
	assert_int_equal(g_set_state, 1u);
	assert_int_equal(g_last_state, PP_TCP_CA_DISORDER);
	assert_int_equal(cc.ca_state, PP_TCP_CA_DISORDER);
	pp__tcp_ca_event(&cc, PP_TCP_CA_EVENT_TX_START);
	assert_int_equal(g_events[PP_TCP_CA_EVENT_TX_START], 1u);
	pp__tcp_pkts_acked(&cc, &(struct pp_tcp_ack_sample){.pkts_acked = 3, .rtt_us = -1});
	assert_int_equal(g_acked, 3u);
	/* and reno, which has none of them, is fine without */
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
	pp__tcp_set_ca_state(&cc, PP_TCP_CA_CWR);
	pp__tcp_ca_event(&cc, PP_TCP_CA_EVENT_LOSS);
	pp__tcp_pkts_acked(&cc, &(struct pp_tcp_ack_sample){.pkts_acked = 3});
	assert_int_equal(cc.ca_state, PP_TCP_CA_CWR);
}

/* One RTT: every segment of the window ACKed, @per_ack segments an ACK. */
static void one_rtt(struct pp_tcp_cc *cc, uint32_t per_ack, uint32_t *ack)
{
	uint32_t left = cc->cwnd;

	while (left) {
		uint32_t a = left < per_ack ? left : per_ack;

		*ack += a * MSS;
		pp__tcp_cong_avoid(cc, *ack, a);
		left -= a;
	}
}

static void test_slow_start_doubles(void **state)
{
	(void)state;
	for (uint32_t per_ack = 1; per_ack <= 3; per_ack++) {
		struct pp_tcp_cc cc;
		uint32_t ack = 1;

		assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
		cc.is_cwnd_limited = true;
		for (int rtt = 0; rtt < 10; rtt++) {
			uint32_t w = cc.cwnd;

			one_rtt(&cc, per_ack, &ack);
			assert_int_equal(cc.cwnd, 2 * w);	/* 10, 20, 40, ... 10240 */
			assert_int_equal(cc.cwnd_cnt, 0u);
		}
		assert_int_equal(cc.cwnd, 10u << 10);
	}
}

static void test_slow_start_edges(void **state)
{
	struct pp_tcp_cc cc;

	(void)state;
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
	cc.is_cwnd_limited = true;
	/* up to ssthresh, the rest goes to congestion avoidance's carry */
	cc.ssthresh = 12;
	pp__tcp_cong_avoid(&cc, 0, 5);
	assert_int_equal(cc.cwnd, 12u);
	assert_int_equal(cc.cwnd_cnt, 3u);
	assert_false(pp__tcp_in_slow_start(&cc));
	/* pp__tcp_slow_start() itself says what is left over */
	cc.cwnd = 10;
	cc.cwnd_cnt = 0;
	assert_int_equal(pp__tcp_slow_start(&cc, 1), 0u);
	assert_int_equal(pp__tcp_slow_start(&cc, 7), 6u);
	assert_int_equal(cc.cwnd, 12u);
	/* the clamp holds */
	cc.ssthresh = PP_TCP_INFINITE_SSTHRESH;
	cc.cwnd = 10;
	cc.cwnd_clamp = 15;
	pp__tcp_cong_avoid(&cc, 0, 100);
	assert_int_equal(cc.cwnd, 15u);
	/* the top of the u32 range: no wrap */
	cc.cwnd_clamp = UINT32_MAX;
	cc.cwnd = PP_TCP_INFINITE_SSTHRESH - 1;
	assert_int_equal(pp__tcp_slow_start(&cc, UINT32_MAX), UINT32_MAX - 1);
	assert_int_equal(cc.cwnd, PP_TCP_INFINITE_SSTHRESH);
}

static void test_not_cwnd_limited(void **state)
{
	struct pp_tcp_cc cc;

	(void)state;
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
	/* the application sent 4: cwnd 10 is already more than twice that */
	cc.max_packets_out = 4;
	pp__tcp_cong_avoid(&cc, 0, 4);
	assert_int_equal(cc.cwnd, 10u);
	/* 6 in flight: slow start may still take cwnd to 12 and beyond */
	cc.max_packets_out = 6;
	pp__tcp_cong_avoid(&cc, 0, 1);
	assert_int_equal(cc.cwnd, 11u);
	/* above ssthresh, only a cwnd-limited sender grows */
	cc.ssthresh = 5;
	cc.max_packets_out = 100;
	for (int i = 0; i < 50; i++)
		pp__tcp_cong_avoid(&cc, 0, 1);
	assert_int_equal(cc.cwnd, 11u);
	assert_int_equal(cc.cwnd_cnt, 0u);
	cc.is_cwnd_limited = true;
	for (int i = 0; i < 11; i++)
		pp__tcp_cong_avoid(&cc, 0, 1);
	assert_int_equal(cc.cwnd, 12u);
}

/*
 * Congestion avoidance, whatever the ACK pattern (each ACK at most a
 * window): cwnd grows by one segment each time the segments ACKed since the
 * last growth reach the window, the excess carried in cwnd_cnt. So after A
 * segments from window w0, cwnd is the n with S(n) <= A < S(n+1), S(n) =
 * w0 + (w0 + 1) + ... + (w0 + n - 1), and cwnd_cnt = A - S(n).
 */
static void expect_ca(uint32_t w0, uint64_t total, uint32_t *cwnd, uint32_t *cnt)
{
	uint32_t w = w0;

	while (total >= w) {
		total -= w;
		w++;
	}
	*cwnd = w;
	*cnt = (uint32_t)total;
}

static void test_cong_avoid_exact(void **state)
{
	static const uint32_t pat_1[] = {1};
	static const uint32_t pat_2[] = {2};
	static const uint32_t pat_3_1[] = {3, 1};
	static const uint32_t pat_mix[] = {1, 2, 3, 4, 5, 6, 7, 1, 1, 19};
	static const struct {
		const uint32_t *p;
		size_t n;
	} pats[] = {{pat_1, 1}, {pat_2, 1}, {pat_3_1, 2}, {pat_mix, 10}, {NULL, 0}};
	const uint32_t w0 = 20;

	(void)state;
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		struct pp_tcp_cc cc;
		uint64_t total = 0;
		uint32_t seed = 12345, cwnd, cnt;

		assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
		cc.is_cwnd_limited = true;
		cc.cwnd = w0;
		cc.ssthresh = w0;	/* cwnd == ssthresh: congestion avoidance */
		for (size_t i = 0; i < 20000; i++) {
			uint32_t a;

			if (pats[k].p) {
				a = pats[k].p[i % pats[k].n];
			} else {
				seed = seed * 1103515245u + 12345u;
				a = 1 + (seed >> 16) % 8;	/* random 1..8 */
			}
			pp__tcp_cong_avoid(&cc, 0, a);
			total += a;
			expect_ca(w0, total, &cwnd, &cnt);
			assert_int_equal(cc.cwnd, cwnd);
			assert_int_equal(cc.cwnd_cnt, cnt);
		}
		assert_true(cc.cwnd > w0 + 100);
	}
}

static void test_cong_avoid_one_per_window(void **state)
{
	struct pp_tcp_cc cc;

	(void)state;
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
	cc.is_cwnd_limited = true;
	cc.cwnd = cc.ssthresh = 20;
	/* 19 single ACKs: nothing; the 20th: one segment */
	for (int i = 0; i < 19; i++)
		pp__tcp_cong_avoid(&cc, 0, 1);
	assert_int_equal(cc.cwnd, 20u);
	assert_int_equal(cc.cwnd_cnt, 19u);
	pp__tcp_cong_avoid(&cc, 0, 1);
	assert_int_equal(cc.cwnd, 21u);
	assert_int_equal(cc.cwnd_cnt, 0u);
	/* RTT by RTT: +1 per window, for 100 windows */
	for (uint32_t rtt = 0; rtt < 100; rtt++) {
		uint32_t ack = 0, w = cc.cwnd;

		one_rtt(&cc, 1, &ack);
		assert_int_equal(cc.cwnd, w + 1);
		assert_int_equal(cc.cwnd_cnt, 0u);
	}
	/* a stretch ACK of more than a window: several at once, at this w */
	cc.cwnd = 10;
	cc.ssthresh = 10;
	cc.cwnd_cnt = 0;
	pp__tcp_cong_avoid(&cc, 0, 25);
	assert_int_equal(cc.cwnd, 12u);
	assert_int_equal(cc.cwnd_cnt, 5u);
	/* credit gathered at a larger window is applied gently: one segment */
	cc.cwnd = 20;
	cc.cwnd_cnt = 30;
	pp__tcp_cong_avoid_ai(&cc, 20, 2);
	assert_int_equal(cc.cwnd, 21u);
	assert_int_equal(cc.cwnd_cnt, 2u);
	/* the clamp */
	cc.cwnd = 20;
	cc.cwnd_cnt = 0;
	cc.cwnd_clamp = 20;
	pp__tcp_cong_avoid_ai(&cc, 20, 60);
	assert_int_equal(cc.cwnd, 20u);
}

static void test_ssthresh_halving(void **state)
{
	static const uint32_t cwnd[] = {0, 1, 2, 3, 4, 5, 10, 21, 1000, UINT32_MAX};
	static const uint32_t want[] = {2, 2, 2, 2, 2, 2, 5, 10, 500, UINT32_MAX / 2};
	struct pp_tcp_cc cc;

	(void)state;
	assert_int_equal(pp__tcp_cc_init(&cc, reno(), MSS), 0);
	for (size_t i = 0; i < sizeof(cwnd) / sizeof(cwnd[0]); i++) {
		cc.cwnd = cwnd[i];
		assert_int_equal(cc.ops->ssthresh(&cc), want[i]);
	}
	/* undo: cwnd back to what it was before the reduction, ssthresh too */
	cc.cwnd = 5;
	cc.prior_cwnd = 10;
	cc.ssthresh = 5;
	cc.prior_ssthresh = 7;
	pp__tcp_cc_undo(&cc);
	assert_int_equal(cc.cwnd, 10u);
	assert_int_equal(cc.ssthresh, 7u);
	cc.cwnd = 30;	/* grown since: undo keeps the larger */
	cc.prior_ssthresh = 0;
	pp__tcp_cc_undo(&cc);
	assert_int_equal(cc.cwnd, 30u);
	assert_int_equal(cc.ssthresh, 7u);
}

/* ---- NewReno (RFC 6582) -------------------------------------------------- */

static void test_seq_compare(void **state)
{
	(void)state;
	assert_true(pp__tcp_before(1, 2));
	assert_false(pp__tcp_before(2, 2));
	assert_true(pp__tcp_after(2, 1));
	assert_true(pp__tcp_before(UINT32_MAX - 5, 3));	/* across the wrap */
	assert_true(pp__tcp_after(3, UINT32_MAX - 5));
}

/*
 * One window of 10 segments (1000 bytes each, from 1001) with segments 1, 4
 * and 7 lost; segment 0 already ACKed. The sender is application-limited: it
 * sends nothing new during recovery. Run across the sequence number wrap as
 * well.
 */
static void loss_episode(uint32_t base)
{
	struct pp_tcp_cc cc;
	struct pp_tcp_nr nr;
	const uint32_t iss = base;
	const uint32_t seg0 = iss + 1;
#define SEG(i) (seg0 + (uint32_t)(i) * MSS)
	const uint32_t snd_nxt = SEG(10);

	rec_reset();
	assert_int_equal(pp__tcp_cc_init(&cc, &rec_ops, MSS), 0);
	pp__tcp_nr_init(&nr, iss);
	assert_int_equal(nr.recover, iss);
	/* ACK of segment 0: new data, Open, slow start as usual */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, SEG(1), 1, 9), PP_TCP_NR_OPEN);
	assert_int_equal(cc.cwnd, 10u);

	/* segments 2, 3 arrive: two duplicate ACKs of SEG(1), nothing yet */
	assert_false(pp__tcp_nr_dupack(&nr, &cc, SEG(1), snd_nxt));
	assert_false(pp__tcp_nr_dupack(&nr, &cc, SEG(1), snd_nxt));
	assert_int_equal(cc.cwnd, 10u);
	assert_int_equal(cc.ca_state, PP_TCP_CA_DISORDER);
	/* segment 5: the third, fast retransmit of segment 1 */
	assert_true(pp__tcp_nr_dupack(&nr, &cc, SEG(1), snd_nxt));
	assert_true(nr.in_recovery);
	assert_int_equal(nr.recover, snd_nxt);
	assert_int_equal(cc.ssthresh, 5u);		/* max(10 / 2, 2) */
	assert_int_equal(cc.cwnd, 5u + 3u);		/* ssthresh + DupThresh */
	assert_int_equal(cc.prior_cwnd, 10u);
	assert_int_equal(cc.ca_state, PP_TCP_CA_RECOVERY);
	assert_int_equal(g_last_state, PP_TCP_CA_RECOVERY);
	/* segments 6, 8, 9: one more segment each has left the network */
	for (int i = 0; i < 3; i++)
		assert_false(pp__tcp_nr_dupack(&nr, &cc, SEG(1), snd_nxt));
	assert_int_equal(cc.cwnd, 11u);

	/* retransmitted 1 arrives: ACK SEG(4) covers 1..3, partial, the first */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, SEG(4), 3, 6), PP_TCP_NR_PARTIAL_FIRST);
	assert_int_equal(cc.cwnd, 11u - 3u + 1u);
	assert_true(nr.in_recovery);
	assert_int_equal(cc.ca_state, PP_TCP_CA_RECOVERY);
	/* a duplicate ACK inside recovery still inflates, never re-enters */
	assert_false(pp__tcp_nr_dupack(&nr, &cc, SEG(4), snd_nxt));
	assert_int_equal(cc.cwnd, 10u);
	/* retransmitted 4: ACK SEG(7) covers 4..6, partial, not the first */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, SEG(7), 3, 3), PP_TCP_NR_PARTIAL);
	assert_int_equal(cc.cwnd, 10u - 3u + 1u);
	/* an ACK that covers less than a segment deflates nothing */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, SEG(7) + 100, 0, 3), PP_TCP_NR_PARTIAL);
	assert_int_equal(cc.cwnd, 8u);
	/* retransmitted 7: ACK snd_nxt covers recover: full, nothing in flight,
	 * cwnd = min(ssthresh, max(FlightSize, 1) + 1) */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, snd_nxt, 3, 0), PP_TCP_NR_FULL);
	assert_int_equal(cc.cwnd, 2u);
	assert_int_equal(cc.ssthresh, 5u);
	assert_false(nr.in_recovery);
	assert_int_equal(cc.ca_state, PP_TCP_CA_OPEN);
	assert_int_equal(g_last_state, PP_TCP_CA_OPEN);

	/* RFC 6582 4.1: duplicates of snd_nxt (the ACK at recover) start no
	 * second fast retransmit: the ACK does not cover MORE than recover */
	for (int i = 0; i < 5; i++)
		assert_false(pp__tcp_nr_dupack(&nr, &cc, snd_nxt, snd_nxt));
	assert_int_equal(cc.ca_state, PP_TCP_CA_DISORDER);
	assert_int_equal(cc.ssthresh, 5u);
	assert_int_equal(cc.cwnd, 2u);
	/* once something above recover is ACKed, a new loss may be repaired */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, snd_nxt + MSS, 1, 4), PP_TCP_NR_OPEN);
	assert_int_equal(cc.ca_state, PP_TCP_CA_OPEN);
	assert_int_equal(nr.dupacks, 0u);
	for (int i = 0; i < 2; i++)
		assert_false(pp__tcp_nr_dupack(&nr, &cc, snd_nxt + MSS, snd_nxt + 6 * MSS));
	assert_true(pp__tcp_nr_dupack(&nr, &cc, snd_nxt + MSS, snd_nxt + 6 * MSS));
	assert_int_equal(nr.recover, snd_nxt + 6 * MSS);
	assert_int_equal(cc.ca_state, PP_TCP_CA_RECOVERY);
	/* a full ACK with much still in flight: cwnd = ssthresh, no more */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, snd_nxt + 6 * MSS, 5, 40), PP_TCP_NR_FULL);
	assert_int_equal(cc.cwnd, cc.ssthresh);
#undef SEG
}

static void test_newreno_episode(void **state)
{
	(void)state;
	loss_episode(1000);
	loss_episode(UINT32_MAX - 4500);	/* the window straddles the wrap */
}

static void test_rto_loss(void **state)
{
	struct pp_tcp_cc cc;
	struct pp_tcp_nr nr;
	const uint32_t una = 5001, nxt = 25001;

	(void)state;
	rec_reset();
	assert_int_equal(pp__tcp_cc_init(&cc, &rec_ops, MSS), 0);
	pp__tcp_nr_init(&nr, 1000);
	cc.cwnd = 20;
	cc.ssthresh = 8;
	assert_int_equal(pp__tcp_current_ssthresh(&cc), 15u);	/* 3/4 of cwnd */
	cc.ssthresh = PP_TCP_INFINITE_SSTHRESH;
	cc.cwnd_cnt = 7;
	/* RTO in Open: ssthresh halves, cwnd 1 (all marked lost), Loss */
	pp__tcp_cc_enter_loss(&cc, &nr, una, nxt, 0, 0);
	assert_int_equal(cc.ssthresh, 10u);
	assert_int_equal(cc.cwnd, 1u);
	assert_int_equal(cc.cwnd_cnt, 0u);
	assert_int_equal(cc.prior_cwnd, 20u);
	/* what undo may restore: max(ssthresh, 3/4 cwnd), still infinite */
	assert_int_equal(cc.prior_ssthresh, PP_TCP_INFINITE_SSTHRESH);
	assert_int_equal(cc.ca_state, PP_TCP_CA_LOSS);
	assert_int_equal(g_events[PP_TCP_CA_EVENT_LOSS], 1u);
	assert_int_equal(nr.recover, nxt);
	/* the timer fires again before anything is ACKed: no second halving */
	cc.cwnd = 2;
	pp__tcp_cc_enter_loss(&cc, &nr, una, nxt, 0, 1);
	assert_int_equal(cc.ssthresh, 10u);
	assert_int_equal(cc.cwnd, 1u);
	assert_int_equal(g_events[PP_TCP_CA_EVENT_LOSS], 1u);
	/* what stays in flight (not marked lost) counts: cwnd = in flight + 1 */
	pp__tcp_cc_enter_loss(&cc, &nr, una, nxt, 3, 2);
	assert_int_equal(cc.cwnd, 4u);
	cc.cwnd = 1;
	/* ACKs below recover: slow start, still Loss; at recover: Open */
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, una + MSS, 1, 0), PP_TCP_NR_OPEN);
	assert_int_equal(cc.ca_state, PP_TCP_CA_LOSS);
	cc.is_cwnd_limited = true;
	pp__tcp_cong_avoid(&cc, una + MSS, 1);
	assert_int_equal(cc.cwnd, 2u);
	/* duplicate ACKs of what the RTO resends start no fast retransmit */
	for (int i = 0; i < 4; i++)
		assert_false(pp__tcp_nr_dupack(&nr, &cc, una + MSS, nxt));
	assert_int_equal(cc.ca_state, PP_TCP_CA_LOSS);
	assert_int_equal(pp__tcp_nr_ack(&nr, &cc, nxt, 19, 0), PP_TCP_NR_OPEN);
	assert_int_equal(cc.ca_state, PP_TCP_CA_OPEN);

	/* an RTO during fast recovery: that window was halved already */
	cc.cwnd = 16;
	cc.ssthresh = PP_TCP_INFINITE_SSTHRESH;
	nr.recover = 1000;
	for (int i = 0; i < 3; i++)
		pp__tcp_nr_dupack(&nr, &cc, nxt, nxt + 16 * MSS);
	assert_int_equal(cc.ca_state, PP_TCP_CA_RECOVERY);
	assert_int_equal(cc.ssthresh, 8u);
	pp__tcp_cc_enter_loss(&cc, &nr, nxt, nxt + 16 * MSS, 0, 0);
	assert_int_equal(cc.ssthresh, 8u);
	assert_int_equal(cc.cwnd, 1u);
	assert_false(nr.in_recovery);
	assert_int_equal(cc.ca_state, PP_TCP_CA_LOSS);
	assert_int_equal(g_events[PP_TCP_CA_EVENT_LOSS], 1u);
}

/* ---- RTO (RFC 6298) ------------------------------------------------------ */

/* RFC 6298 in doubles, the reference */
struct ref {
	double srtt, rttvar;
	bool have;
};

static double ref_sample(struct ref *f, double r, double min, double max)
{
	double rto;

	if (!f->have) {
		f->srtt = r;
		f->rttvar = r / 2;
		f->have = true;
	} else {
		f->rttvar = 0.75 * f->rttvar + 0.25 * fabs(f->srtt - r);
		f->srtt = 0.875 * f->srtt + 0.125 * r;
	}
	rto = f->srtt + fmax(PP_TCP_RTO_G_US, 4 * f->rttvar);
	return fmin(fmax(rto, min), max);
}

static void test_rto_initial(void **state)
{
	struct pp_tcp_rto r;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	assert_int_equal(r.rto_us, 1000000u);	/* TCP_TIMEOUT_INIT */
	assert_int_equal(pp__tcp_rto_ns(&r), 1000000000ull);
	assert_int_equal(pp__tcp_srtt_us(&r), 0u);
	assert_int_equal(r.rto_min_us, 200000u);
	assert_int_equal(r.rto_max_us, 120000000u);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(PP_TCP_RTO_G_US, 1000u);	/* the wheel's 1 ms tick */
}

static void test_rto_worked(void **state)
{
	struct pp_tcp_rto r;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	/* first sample R = 100 ms: SRTT = R, RTTVAR = R/2, RTO = R + 4 R/2 */
	assert_int_equal(pp__tcp_rto_sample(&r, 100000), 300000u);
	assert_int_equal(pp__tcp_srtt_us(&r), 100000u);
	assert_int_equal(pp__tcp_rttvar_us(&r), 50000u);
	assert_int_equal(r.srtt_us, 100000u << 3);	/* the kernel's scales */
	assert_int_equal(r.mdev_us, 50000u << 2);
	/* R' = 200 ms: RTTVAR = 3/4 50 + 1/4 100 = 62.5, SRTT = 7/8 100 + 1/8 200 = 112.5 */
	assert_int_equal(pp__tcp_rto_sample(&r, 200000), 112500u + 4 * 62500u);
	assert_int_equal(pp__tcp_srtt_us(&r), 112500u);
	assert_int_equal(pp__tcp_rttvar_us(&r), 62500u);
	/* R' = 100 ms again: RTTVAR = 46.875 + 3.125 = 50, SRTT = 98.4375 + 12.5 = 110.9375 */
	assert_int_equal(pp__tcp_rto_sample(&r, 100000), 110937u + 200000u);
	assert_int_equal(pp__tcp_rttvar_us(&r), 50000u);
}

static void test_rto_reference(void **state)
{
	static const uint32_t seq_ms[] = {100, 120, 80, 150, 90, 300, 100, 100, 100, 95,
					  105, 400, 20, 20, 20, 20, 20, 20, 20, 20};

	(void)state;
	/* the worked sequence, and a pseudo-random one, against the reference */
	for (int run = 0; run < 2; run++) {
		struct pp_tcp_rto r;
		struct ref f = {0};
		uint32_t seed = 7;

		assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
		for (int i = 0; i < 2000; i++) {
			uint32_t us;
			double want;

			if (run == 0) {
				if (i >= (int)(sizeof(seq_ms) / sizeof(seq_ms[0])))
					break;
				us = seq_ms[i] * 1000u;
			} else {
				seed = seed * 1103515245u + 12345u;
				us = 1000 + (seed >> 8) % 900000;	/* 1 ms .. 0.9 s */
			}
			want = ref_sample(&f, us, PP_TCP_RTO_MIN_US, PP_TCP_RTO_MAX_US);
			pp__tcp_rto_sample(&r, us);
			/* the fixed point floors at each step: a few us at most */
			assert_true(fabs(pp__tcp_srtt_us(&r) - f.srtt) <= 8);
			assert_true(fabs(pp__tcp_rttvar_us(&r) - f.rttvar) <= 8);
			assert_true(fabs(r.rto_us - want) <= 16);
		}
	}
}

static void test_rto_big_variance(void **state)
{
	struct pp_tcp_rto r;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	pp__tcp_rto_sample(&r, 10000);	/* 10 ms: 10 + 20 -> floor 200 ms */
	assert_int_equal(r.rto_us, 200000u);
	/* then 1 s: RTTVAR = 3.75 + 247.5 = 251.25 ms, SRTT = 8.75 + 125 = 133.75 ms */
	assert_int_equal(pp__tcp_rto_sample(&r, 1000000), 133750u + 1005000u);
	assert_int_equal(pp__tcp_rttvar_us(&r), 251250u);
	/* and back to 10 ms: the variance keeps the RTO up for a while */
	assert_true(pp__tcp_rto_sample(&r, 10000) > 900000u);
}

static void test_rto_floor_and_g(void **state)
{
	struct pp_tcp_rto r;

	(void)state;
	/* 1 ms: 1 + 2 ms, raised to the 200 ms floor */
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	assert_int_equal(pp__tcp_rto_sample(&r, 1000), PP_TCP_RTO_MIN_US);
	/* a steady 50 ms path: the variance decays, RTO stays at the floor */
	for (int i = 0; i < 200; i++)
		pp__tcp_rto_sample(&r, 50000);
	assert_int_equal(pp__tcp_srtt_us(&r), 50000u);
	assert_true(pp__tcp_rttvar_us(&r) < 10);
	assert_int_equal(r.rto_us, PP_TCP_RTO_MIN_US);
	/* just below the floor, steady: SRTT + G is above it */
	for (int i = 0; i < 400; i++)
		pp__tcp_rto_sample(&r, 199500);
	assert_int_equal(pp__tcp_srtt_us(&r), 199500u);
	assert_int_equal(r.rto_us, 199500u + PP_TCP_RTO_G_US);
	/* with rto_min 1 us (a route's rto_min), G keeps RTO a tick above SRTT */
	assert_int_equal(pp__tcp_rto_init(&r, 1, 0), 0);
	for (int i = 0; i < 200; i++)
		pp__tcp_rto_sample(&r, 50);
	assert_int_equal(pp__tcp_srtt_us(&r), 50u);
	assert_int_equal(r.rto_us, 50u + PP_TCP_RTO_G_US);
	/* a 0 us sample (same tick) is a sample: SRTT 0 is not "none" */
	assert_int_equal(pp__tcp_rto_init(&r, 1, 0), 0);
	assert_int_equal(pp__tcp_rto_sample(&r, 0), PP_TCP_RTO_G_US);
	assert_true(r.srtt_us != 0);
}

static void test_rto_cap(void **state)
{
	struct pp_tcp_rto r;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	/* 100 s: 100 + 200 s, capped at 120 s */
	assert_int_equal(pp__tcp_rto_sample(&r, 100000000), PP_TCP_RTO_MAX_US);
	/* beyond what 32-bit srtt << 3 holds: taken as the largest */
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	assert_int_equal(pp__tcp_rto_sample(&r, UINT32_MAX), PP_TCP_RTO_MAX_US);
	assert_int_equal(pp__tcp_srtt_us(&r), PP_TCP_RTT_MAX_US);
	assert_int_equal(pp__tcp_rto_sample(&r, UINT32_MAX), PP_TCP_RTO_MAX_US);
	assert_int_equal(pp__tcp_srtt_us(&r), PP_TCP_RTT_MAX_US);
	assert_int_equal(pp__tcp_rto_sample(&r, 0), PP_TCP_RTO_MAX_US);
	/* a lower tcp_rto_max_ms */
	assert_int_equal(pp__tcp_rto_init(&r, 0, 60000000), 0);
	assert_int_equal(pp__tcp_rto_sample(&r, 100000000), 60000000u);
}

static void test_rto_backoff(void **state)
{
	struct pp_tcp_rto r;
	uint32_t want = 300000;

	(void)state;
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	assert_int_equal(pp__tcp_rto_sample(&r, 100000), 300000u);
	/* 0.6, 1.2, 2.4, ... 76.8 s, then the 120 s cap */
	for (int i = 1; i <= 12; i++) {
		want = want * 2 > PP_TCP_RTO_MAX_US ? PP_TCP_RTO_MAX_US : want * 2;
		assert_int_equal(pp__tcp_rto_backoff(&r), want);
		assert_int_equal(r.backoff, i);
	}
	assert_int_equal(r.rto_us, PP_TCP_RTO_MAX_US);
	assert_int_equal(pp__tcp_rto_ns(&r), 120ull * 1000000000ull);
	/* the count saturates, the RTO stays capped */
	for (int i = 0; i < 300; i++)
		pp__tcp_rto_backoff(&r);
	assert_int_equal(r.backoff, 255);
	assert_int_equal(r.rto_us, PP_TCP_RTO_MAX_US);
	/* a valid sample recomputes it and clears the backoff (RFC 6298 5.7) */
	/* R' = 100 ms: RTTVAR = 3/4 50 ms, SRTT 100 ms: 100 + 150 ms */
	assert_int_equal(pp__tcp_rto_sample(&r, 100000), 250000u);
	assert_int_equal(r.backoff, 0);
	/* before any sample: 1, 2, 4, ... 64, 120 s */
	assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
	want = 1000000;
	for (int i = 1; i <= 8; i++) {
		want = want * 2 > PP_TCP_RTO_MAX_US ? PP_TCP_RTO_MAX_US : want * 2;
		assert_int_equal(pp__tcp_rto_backoff(&r), want);
	}
	assert_int_equal(want, PP_TCP_RTO_MAX_US);
}

static void test_karn(void **state)
{
	struct pp_tcp_rtt_ack a;
	uint32_t rtt = 0;

	(void)state;
	/* a segment sent once: ACK timing */
	a = (struct pp_tcp_rtt_ack){.now_us = 1500, .sent_us = 1000};
	assert_true(pp__tcp_rtt_sample_ok(&a));
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), 0);
	assert_int_equal(rtt, 500u);
	/* and a timestamp echo beside it: ACK timing still preferred */
	a.tsecr_sent_us = 1200;
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), 0);
	assert_int_equal(rtt, 500u);
	/* retransmitted, no timestamps: ambiguous, no sample (Karn) */
	a = (struct pp_tcp_rtt_ack){.now_us = 1500, .sent_us = 1000, .retrans = true};
	assert_false(pp__tcp_rtt_sample_ok(&a));
	rtt = 7;
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), -ENODATA);
	assert_int_equal(rtt, 7u);
	/* retransmitted, but the echo says which transmission: a sample */
	a.tsecr_sent_us = 1200;
	assert_true(pp__tcp_rtt_sample_ok(&a));
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), 0);
	assert_int_equal(rtt, 300u);
	/* nothing newly ACKed was sent once (sent_us 0), no echo: none */
	a = (struct pp_tcp_rtt_ack){.now_us = 1500};
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), -ENODATA);
	/* times in the future are no sample */
	a = (struct pp_tcp_rtt_ack){.now_us = 1500, .sent_us = 1600};
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), -ENODATA);
	a.tsecr_sent_us = 1700;
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), -ENODATA);
	/* a same-microsecond ACK is a 0 us sample */
	a = (struct pp_tcp_rtt_ack){.now_us = 1500, .sent_us = 1500};
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), 0);
	assert_int_equal(rtt, 0u);
	/* very old: clamped to what the estimator takes */
	a = (struct pp_tcp_rtt_ack){.now_us = UINT64_MAX - 1, .sent_us = 1};
	assert_int_equal(pp__tcp_rtt_sample(&a, &rtt), 0);
	assert_int_equal(rtt, PP_TCP_RTT_MAX_US);

	/* Karn with backoff: the backed-off RTO stays until a valid sample */
	{
		struct pp_tcp_rto r;

		assert_int_equal(pp__tcp_rto_init(&r, 0, 0), 0);
		pp__tcp_rto_sample(&r, 100000);
		pp__tcp_rto_backoff(&r);
		a = (struct pp_tcp_rtt_ack){.now_us = 900000, .sent_us = 100, .retrans = true};
		if (pp__tcp_rtt_sample(&a, &rtt) == 0)
			pp__tcp_rto_sample(&r, rtt);
		assert_int_equal(r.rto_us, 600000u);
		assert_int_equal(r.backoff, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_bad),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_validate_bad),
		cmocka_unit_test(test_init_bad),
		cmocka_unit_test(test_rto_bad),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_slow_start_doubles),
		cmocka_unit_test(test_slow_start_edges),
		cmocka_unit_test(test_not_cwnd_limited),
		cmocka_unit_test(test_cong_avoid_exact),
		cmocka_unit_test(test_cong_avoid_one_per_window),
		cmocka_unit_test(test_ssthresh_halving),
		cmocka_unit_test(test_seq_compare),
		cmocka_unit_test(test_newreno_episode),
		cmocka_unit_test(test_rto_loss),
		cmocka_unit_test(test_rto_initial),
		cmocka_unit_test(test_rto_worked),
		cmocka_unit_test(test_rto_reference),
		cmocka_unit_test(test_rto_big_variance),
		cmocka_unit_test(test_rto_floor_and_g),
		cmocka_unit_test(test_rto_cap),
		cmocka_unit_test(test_rto_backoff),
		cmocka_unit_test(test_karn),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
