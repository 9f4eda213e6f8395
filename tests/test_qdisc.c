// SPDX-License-Identifier: MIT
/*
 * test_qdisc.c - a TX queue (proto/txq.c): pfifo_fast with bypass, the
 * driver stage and BQL, against a test NIC whose ring size, pace (frames
 * taken per xmit call) and completions the test controls, so every queueing
 * decision is deterministic. Covers: bad arguments; the TOS/priority/band
 * tables; bypass of an empty qdisc; a slowed driver (packets queue, and leave
 * band by band, FIFO inside a band); limits (drops counted, shutdown frees
 * and counts what is left); fragment chains whole or not at all; BQL bounding
 * the bytes in flight, growing when starved and shrinking when
 * over-provisioned; a full ring never dropping; and a completion thread
 * reaping while the owner transmits (run it under TSan too). Every test
 * leaves the pool full.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"
#include "core/stage.h"
#include "nic/nic.h"
#include "proto/txq.h"

/* ---- the test NIC ------------------------------------------------------- */

#define TNIC_RING_MAX 4096
#define TNIC_LOG_MAX 4096

struct tnic {
	struct pp_ring *ring;	/* posted frames in order: xmit thread -> reaper */
	uint32_t ring_size;	/* descriptors; room = ring_size - frames posted */
	uint32_t pace;		/* most frames taken per xmit call (0: no limit) */
	uint32_t complete_max;	/* most frames handed back per tx_complete (0: all) */
	bool hold;		/* nothing completes while set */
	uint32_t xmit_calls;
	/* what went on the wire, in order: seq of each head, frames of its chain */
	uint32_t log_seq[TNIC_LOG_MAX];
	uint8_t log_frames[TNIC_LOG_MAX];
	uint32_t nlog;
	/* threaded test: the reaper checks the sequence of completions */
	bool check_seq;
	uint32_t next_seq;
	uint32_t seq_errors;
};

static uint32_t seq_of(const struct pp_skb *skb)
{
	uint32_t s;

	memcpy(&s, pp_skb_data(skb), sizeof(s));
	return s;
}

static uint16_t tnic_xmit(struct pp_nic *nic, uint16_t q, struct pp_skb **skbs, uint16_t n)
{
	struct tnic *tn = pp__nic_priv(nic);
	uint32_t posted = pp_ring_count(tn->ring);
	uint32_t room = tn->ring_size > posted ? tn->ring_size - posted : 0;
	uint32_t used = 0;
	uint16_t i;

	(void)q;
	tn->xmit_calls++;
	for (i = 0; i < n; i++) {
		uint32_t frames = 0;

		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			frames++;
		if (used + frames > room || (tn->pace && used + frames > tn->pace))
			break;
		if (tn->nlog < TNIC_LOG_MAX) {
			tn->log_seq[tn->nlog] = seq_of(skbs[i]);
			tn->log_frames[tn->nlog++] = (uint8_t)frames;
		}
		for (struct pp_skb *f = skbs[i], *nx; f; f = nx) {
			nx = f->frag; /* read before the reaper may clear it */
			assert_true(pp_ring_enqueue(tn->ring, f));
		}
		used += frames;
	}
	return i;
}

static uint16_t tnic_complete(struct pp_nic *nic, uint16_t q, struct pp_skb **out,
			      uint16_t budget)
{
	struct tnic *tn = pp__nic_priv(nic);
	uint32_t got;

	(void)q;
	if (tn->hold)
		return 0;
	if (tn->complete_max && budget > tn->complete_max)
		budget = (uint16_t)tn->complete_max;
	got = pp_ring_dequeue_burst(tn->ring, (void **)out, budget);
	for (uint32_t i = 0; i < got; i++) {
		if (tn->check_seq) {
			if (seq_of(out[i]) != tn->next_seq)
				tn->seq_errors++;
			tn->next_seq = seq_of(out[i]) + 1;
		}
		out[i]->frag = NULL;
		out[i]->next = NULL;
	}
	return (uint16_t)got;
}

static uint32_t tnic_room(struct pp_nic *nic, uint16_t q)
{
	struct tnic *tn = pp__nic_priv(nic);
	uint32_t posted = pp_ring_count(tn->ring);

	(void)q;
	return tn->ring_size > posted ? tn->ring_size - posted : 0;
}

static const struct pp_nic_ops tnic_ops = {
	.name = "test",
	.priv_size = sizeof(struct tnic),
	.xmit_burst = tnic_xmit,
	.tx_complete = tnic_complete,
	.tx_room = tnic_room,
};

/* The same NIC without tx_room: create must refuse it. */
static const struct pp_nic_ops tnic_ops_noroom = {
	.name = "test-noroom",
	.priv_size = sizeof(struct tnic),
	.xmit_burst = tnic_xmit,
	.tx_complete = tnic_complete,
};

/* ---- fixture ------------------------------------------------------------ */

struct fx {
	struct pp_pool *pool;
	struct pp_pool_cache *c;	/* lane 0: the owner */
	struct pp_pool_cache *freer;	/* a completion thread's cache */
	struct pp_nic *nic;
	struct tnic *tn;
	struct pp_txq *txq;
	struct pp_stage st;
	struct pp_stage_stats stats;
};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 4096,
		.nlanes = 1,
		.nfreers = 1,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	size_t nsz = (sizeof(struct pp_nic) + sizeof(struct tnic) + PP_CACHE_LINE - 1) &
		     ~(size_t)(PP_CACHE_LINE - 1);

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	fx.freer = pp_pool_cache(fx.pool, 1);
	assert_non_null(fx.c);
	assert_non_null(fx.freer);
	fx.nic = aligned_alloc(PP_CACHE_LINE, nsz);
	assert_non_null(fx.nic);
	memset(fx.nic, 0, nsz);
	fx.nic->ops = &tnic_ops;
	fx.nic->pool = fx.pool;
	fx.nic->ntxq = 2;
	fx.nic->mtu = 1500;
	fx.tn = pp__nic_priv(fx.nic);
	assert_int_equal(pp_ring_create(TNIC_RING_MAX, 0, &fx.tn->ring), 0);
	fx.tn->ring_size = 1024;
	fx.st = (struct pp_stage){
		.name = "qdisc", .cache = fx.c, .stats = &fx.stats,
		.lane = 0, .out_cap = PP_STAGE_OUT_CAP,
	};
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	/* let the NIC finish whatever it holds, then the txq frees all */
	fx->tn->hold = false;
	fx->tn->complete_max = 0;
	pp__txq_destroy(fx->txq, fx->c);
	assert_true(pp_ring_empty(fx->tn->ring));
	pp_ring_destroy(fx->tn->ring);
	free(fx->nic);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

static void mk_txq(struct fx *fx, const struct pp_txq_params *p)
{
	assert_int_equal(pp__txq_create(fx->nic, 1, p, &fx->txq), 0);
	assert_non_null(fx->txq);
	fx->st.ctx = fx->txq;
}

/* An skb of @len bytes (>= 4) carrying @seq in its first bytes, priority @prio. */
static struct pp_skb *mk(struct pp_pool_cache *c, uint16_t len, uint32_t seq, uint8_t prio)
{
	struct pp_skb *skb = pp_skb_alloc(c);
	uint8_t *p;

	assert_non_null(skb);
	p = pp_skb_put(skb, len);
	assert_non_null(p);
	memset(p, 0, len);
	memcpy(p, &seq, sizeof(seq));
	skb->prio = prio;
	return skb;
}

/* A chain of @nfrags frames of @len bytes each; the head carries @seq. */
static struct pp_skb *mk_chain(struct fx *fx, unsigned int nfrags, uint16_t len, uint32_t seq)
{
	struct pp_skb *head = mk(fx->c, len, seq, 0), *prev = head;

	for (unsigned int i = 1; i < nfrags; i++) {
		prev->frag = mk(fx->c, len, 0xffff0000u + i, 0);
		prev = prev->frag;
	}
	return head;
}

/* Send @n skbs of @len bytes, seq from *@seq on, priority @prio. */
static void send_n(struct fx *fx, unsigned int n, uint16_t len, uint32_t *seq, uint8_t prio)
{
	struct pp_skb *pkts[PP_BURST_MAX], *out[PP_STAGE_OUT_CAP];

	assert_true(n <= PP_BURST_MAX);
	for (unsigned int i = 0; i < n; i++)
		pkts[i] = mk(fx->c, len, (*seq)++, prio);
	assert_int_equal(pp__txq_xmit(&fx->st, pkts, (uint16_t)n, out), 0);
}

static struct pp_txq_stats stats_of(struct fx *fx)
{
	struct pp_txq_stats s;

	pp__txq_stats(fx->txq, &s);
	return s;
}

/* Reap and run until everything is on the wire and back. */
static void drain(struct fx *fx)
{
	for (int i = 0; i < 100000 && !pp__txq_idle(fx->txq); i++) {
		pp__txq_reap(fx->txq, fx->c, 256);
		pp__txq_run(fx->txq, &fx->st);
	}
	assert_true(pp__txq_idle(fx->txq));
}

/* ---- negative cases ----------------------------------------------------- */

static void test_create_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_txq *t = (struct pp_txq *)(uintptr_t)0x1;
	struct pp_txq_params p;

	assert_int_equal(pp__txq_create(fx->nic, 0, NULL, NULL), -EINVAL);
	assert_int_equal(pp__txq_create(NULL, 0, NULL, &t), -EINVAL);
	assert_null(t);
	/* queue >= ntxq */
	assert_int_equal(pp__txq_create(fx->nic, 2, NULL, &t), -EINVAL);
	assert_int_equal(pp__txq_create(fx->nic, UINT16_MAX, NULL, &t), -EINVAL);
	/* burst too large */
	memset(&p, 0, sizeof(p));
	p.burst = PP_BURST_MAX + 1;
	assert_int_equal(pp__txq_create(fx->nic, 0, &p, &t), -EINVAL);
	/* BQL bounds the wrong way round */
	memset(&p, 0, sizeof(p));
	p.bql_min = 5000;
	p.bql_max = 4999;
	assert_int_equal(pp__txq_create(fx->nic, 0, &p, &t), -EINVAL);
	assert_null(t);
	/* a NIC without tx_room */
	fx->nic->ops = &tnic_ops_noroom;
	assert_int_equal(pp__txq_create(fx->nic, 0, NULL, &t), -EINVAL);
	fx->nic->ops = &tnic_ops;

	/* boundaries that are fine: burst PP_BURST_MAX, bql_min == bql_max,
	 * a bql_max below the default minimum */
	memset(&p, 0, sizeof(p));
	p.burst = PP_BURST_MAX;
	p.bql_min = p.bql_max = 3000;
	assert_int_equal(pp__txq_create(fx->nic, 1, &p, &t), 0);
	pp__txq_destroy(t, fx->c);
	memset(&p, 0, sizeof(p));
	p.bql_max = 1000;
	assert_int_equal(pp__txq_create(fx->nic, 1, &p, &t), 0);
	pp__txq_destroy(t, fx->c);
}

static void test_null_args(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_stats s;

	memset(&s, 0xff, sizeof(s));
	pp__txq_stats(NULL, &s);
	assert_int_equal(s.qlen, 0);
	assert_int_equal(s.sent, 0);
	pp__txq_stats(NULL, NULL);
	assert_true(pp__txq_idle(NULL));
	assert_int_equal(pp__txq_reap(NULL, fx->c, 64), 0);
	assert_int_equal(pp__txq_run(NULL, &fx->st), 0);
	pp__txq_destroy(NULL, fx->c);
	mk_txq(fx, NULL);
	assert_int_equal(pp__txq_reap(fx->txq, NULL, 64), 0);
	assert_int_equal(pp__txq_run(fx->txq, NULL), 0);
	/* budget 0 reaps nothing */
	uint32_t seq = 0;

	fx->tn->hold = false;
	send_n(fx, 4, 100, &seq, 0);
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 0), 0);
	assert_int_equal(stats_of(fx).inflight_frames, 4);
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 3), 3);
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 3), 1);
}

/* rt_tos2priority() and prio2band, spot-checked against the kernel tables. */
static void test_prio_tables(void **state)
{
	static const uint8_t kernel_prio2band[16] = {1, 2, 2, 2, 1, 2, 0, 0,
						     1, 1, 1, 1, 1, 1, 1, 1};

	(void)state;
	assert_int_equal(pp__tos_to_prio(0x00), PP_TC_PRIO_BESTEFFORT);
	assert_int_equal(pp__tos_to_prio(0x02), PP_TC_PRIO_FILLER);	    /* MINCOST */
	assert_int_equal(pp__tos_to_prio(0x04), PP_TC_PRIO_BESTEFFORT);   /* RELIABILITY */
	assert_int_equal(pp__tos_to_prio(0x08), PP_TC_PRIO_BULK);	    /* THROUGHPUT */
	assert_int_equal(pp__tos_to_prio(0x10), PP_TC_PRIO_INTERACTIVE);  /* LOWDELAY */
	assert_int_equal(pp__tos_to_prio(0x18), PP_TC_PRIO_INTERACTIVE_BULK);
	assert_int_equal(pp__tos_to_prio(0x1e), PP_TC_PRIO_INTERACTIVE_BULK);
	/* only IPTOS_TOS (0x1e) counts: ECN/precedence bits are ignored */
	assert_int_equal(pp__tos_to_prio(0x11), PP_TC_PRIO_INTERACTIVE);
	assert_int_equal(pp__tos_to_prio(0xe0), PP_TC_PRIO_BESTEFFORT);
	assert_int_equal(pp__tos_to_prio(0xb8), PP_TC_PRIO_INTERACTIVE_BULK); /* DSCP EF */
	for (unsigned int p = 0; p < 16; p++)
		assert_int_equal(pp__txq_band((uint8_t)p), kernel_prio2band[p]);
	/* only the low 4 bits (TC_PRIO_MAX) count */
	assert_int_equal(pp__txq_band(16 + 6), 0);
	assert_int_equal(pp__txq_band(255), 1);
}

/* ---- boundaries and normal cases ---------------------------------------- */

/* Empty qdisc, driver with room: straight to the NIC, nothing ever queued. */
static void test_bypass_when_empty(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_params p = {.inline_reap = true};
	uint32_t seq = 0;
	struct pp_txq_stats s;

	mk_txq(fx, &p);
	assert_true(pp__txq_idle(fx->txq));
	for (int b = 0; b < 10; b++)
		send_n(fx, PP_BURST, 200, &seq, (uint8_t)(b % 8));
	s = stats_of(fx);
	assert_int_equal(s.bypassed, 10 * PP_BURST);
	assert_int_equal(s.enqueued, 0);
	assert_int_equal(s.dequeued, 0);
	assert_int_equal(s.qlen, 0);
	assert_int_equal(s.sent, 10 * PP_BURST);
	assert_int_equal(s.sent_bytes, 10 * PP_BURST * 200);
	/* reaped inline after each xmit */
	assert_int_equal(s.completed, 10 * PP_BURST);
	assert_int_equal(s.inflight, 0);
	assert_true(pp__txq_idle(fx->txq));
	/* in the order given, priorities notwithstanding (nothing waited) */
	assert_int_equal(fx->tn->nlog, 10 * PP_BURST);
	for (uint32_t i = 0; i < fx->tn->nlog; i++)
		assert_int_equal(fx->tn->log_seq[i], i);
	assert_int_equal(fx->stats.packets, 10 * PP_BURST);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	/* an idle run sends nothing */
	assert_int_equal(pp__txq_run(fx->txq, &fx->st), 0);
}

/* Driver that takes one frame per call: the rest waits, in order, and
 * leaves one per run; nothing is dropped. */
static void test_slow_driver_queues(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = 0;
	struct pp_txq_stats s;
	uint32_t runs = 0;

	mk_txq(fx, NULL);
	fx->tn->pace = 1;
	send_n(fx, PP_BURST, 100, &seq, 0);
	/* one bypassed, the rest requeued; the qdisc run after it sends one */
	s = stats_of(fx);
	assert_int_equal(s.bypassed, 1);
	assert_int_equal(s.dequeued, 1);
	assert_int_equal(s.qlen, PP_BURST - 2);
	assert_int_equal(s.backlog, (PP_BURST - 2) * 100);
	assert_int_equal(s.requeues, 2);
	assert_int_equal(s.drops, 0);
	/* queued now: the next burst may not bypass them */
	send_n(fx, 8, 100, &seq, 0);
	s = stats_of(fx);
	assert_int_equal(s.bypassed, 1);
	assert_int_equal(s.enqueued, PP_BURST - 1 + 8);
	assert_int_equal(s.qlen, PP_BURST - 2 + 8 - 1);
	while (!pp__txq_idle(fx->txq) && runs < 1000) {
		uint32_t sent = pp__txq_run(fx->txq, &fx->st);

		assert_true(sent <= 1);
		runs++;
		pp__txq_reap(fx->txq, fx->c, 64);
	}
	assert_true(pp__txq_idle(fx->txq));
	s = stats_of(fx);
	assert_int_equal(s.sent, PP_BURST + 8);
	assert_int_equal(s.dequeued, PP_BURST + 8 - 1);
	assert_int_equal(s.drops, 0);
	assert_int_equal(fx->tn->nlog, PP_BURST + 8);
	for (uint32_t i = 0; i < fx->tn->nlog; i++)
		assert_int_equal(fx->tn->log_seq[i], i);
}

/* Mixed priorities behind a stopped driver leave band 0 first, then 1,
 * then 2, FIFO inside each band, also when the driver takes 3 per call. */
static void test_band_order(void **state)
{
	static const uint8_t kernel_prio2band[16] = {1, 2, 2, 2, 1, 2, 0, 0,
						     1, 1, 1, 1, 1, 1, 1, 1};
	static const uint8_t prios[] = {0, 6, 1, 7, 2, 4, 15, 3, 5, 8, 6, 0, 1, 7};
	struct fx *fx = *state;
	struct pp_skb *pkts[64], *out[PP_STAGE_OUT_CAP];
	uint32_t expect[64], ne = 0, n = 0;
	struct pp_txq_stats s;

	mk_txq(fx, NULL);
	fx->tn->ring_size = 0; /* stopped: no room */
	for (uint32_t r = 0; r < 4; r++)
		for (uint32_t i = 0; i < sizeof(prios); i++, n++)
			pkts[n] = mk(fx->c, 64, n, prios[i]);
	assert_int_equal(pp__txq_xmit(&fx->st, pkts, (uint16_t)n, out), 0);
	s = stats_of(fx);
	assert_int_equal(s.bypassed, 0);
	assert_int_equal(s.qlen, n);
	assert_int_equal(fx->tn->nlog, 0);
	for (uint8_t band = 0; band < 3; band++)
		for (uint32_t i = 0; i < n; i++)
			if (kernel_prio2band[prios[i % sizeof(prios)]] == band)
				expect[ne++] = i;
	assert_int_equal(ne, n);

	fx->tn->ring_size = 1024;
	fx->tn->pace = 3;
	for (int i = 0; i < 1000 && stats_of(fx).qlen; i++)
		assert_true(pp__txq_run(fx->txq, &fx->st) <= 3);
	s = stats_of(fx);
	assert_int_equal(s.qlen, 0);
	assert_int_equal(s.backlog, 0);
	assert_int_equal(s.dequeued, n);
	assert_int_equal(fx->tn->nlog, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(fx->tn->log_seq[i], expect[i]);
	drain(fx);
}

/* Over the frame or byte limit: tail drop, counted in both places; what is
 * still queued at destroy is freed with PP_DROP_SHUTDOWN and counted. */
static void test_limits(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_params p = {.limit_pkts = 8};
	uint32_t seq = 0;
	struct pp_skb *ch, *out[PP_STAGE_OUT_CAP];
	struct pp_txq_stats s;

	mk_txq(fx, &p);
	fx->tn->ring_size = 0;
	send_n(fx, 8, 100, &seq, 0); /* exactly at the limit: all fit */
	s = stats_of(fx);
	assert_int_equal(s.qlen, 8);
	assert_int_equal(s.drops, 0);
	send_n(fx, 12, 100, &seq, 6);
	s = stats_of(fx);
	assert_int_equal(s.qlen, 8);
	assert_int_equal(s.drops, 12);
	assert_int_equal(fx->stats.drops[PP_DROP_QDISC_FULL], 12);
	assert_int_equal(fx->stats.packets, 20);

	/* destroy: 8 frames freed and counted as shutdown drops */
	pp__txq_destroy(fx->txq, fx->c);
	fx->txq = NULL;
	assert_int_equal(fx->stats.drops[PP_DROP_SHUTDOWN], 8);
	struct pp_pool_stats ps;

	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);

	/* a chain counts its frames: 6 queued + 3 > 8 drops it whole, 2 fit */
	mk_txq(fx, &p);
	send_n(fx, 6, 100, &seq, 0);
	ch = mk_chain(fx, 3, 100, seq++);
	assert_int_equal(pp__txq_xmit(&fx->st, &ch, 1, out), 0);
	assert_int_equal(stats_of(fx).qlen, 6);
	assert_int_equal(stats_of(fx).drops, 3);
	ch = mk_chain(fx, 2, 100, seq++);
	assert_int_equal(pp__txq_xmit(&fx->st, &ch, 1, out), 0);
	assert_int_equal(stats_of(fx).qlen, 8);
	assert_int_equal(stats_of(fx).backlog, 800);
	pp__txq_destroy(fx->txq, fx->c);
	fx->txq = NULL;

	/* byte limit: 1000 bytes hold three 300-byte skbs */
	p = (struct pp_txq_params){.limit_bytes = 1000};
	mk_txq(fx, &p);
	send_n(fx, 4, 300, &seq, 0);
	s = stats_of(fx);
	assert_int_equal(s.qlen, 3);
	assert_int_equal(s.backlog, 900);
	assert_int_equal(s.drops, 1);
	send_n(fx, 1, 100, &seq, 0); /* exactly 1000 */
	assert_int_equal(stats_of(fx).qlen, 4);
	/* the driver opens: all leave, order kept */
	fx->tn->ring_size = 1024;
	drain(fx);
	s = stats_of(fx);
	assert_int_equal(s.sent, 4);
	assert_int_equal(s.shutdown, 0);
}

/* A chain goes to the NIC whole or not at all, on both paths; one that can
 * never fit (longer than the empty ring) is dropped instead of stalling. */
static void test_chain_whole(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *pkts[2], *out[PP_STAGE_OUT_CAP];
	uint32_t seq = 100;
	struct pp_txq_stats s;

	mk_txq(fx, NULL);
	fx->tn->ring_size = 4;
	fx->tn->hold = true;
	send_n(fx, 1, 100, &seq, 0);	/* 1 in flight, room 3 */
	/* bypass: the single goes, the 3-chain no longer fits (room 2) */
	pkts[0] = mk(fx->c, 100, seq++, 0);
	pkts[1] = mk_chain(fx, 3, 100, seq++);
	assert_int_equal(pp__txq_xmit(&fx->st, pkts, 2, out), 0);
	s = stats_of(fx);
	assert_int_equal(s.bypassed, 2);
	assert_int_equal(s.qlen, 3);
	assert_int_equal(s.inflight_frames, 2);
	assert_int_equal(fx->tn->nlog, 2);
	/* queued path: still no room for the whole chain, nothing partial */
	assert_int_equal(pp__txq_run(fx->txq, &fx->st), 0);
	assert_int_equal(pp_ring_count(fx->tn->ring), 2);
	/* room: the chain leaves whole */
	fx->tn->hold = false;
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 64), 2);
	assert_int_equal(pp__txq_run(fx->txq, &fx->st), 3);
	assert_int_equal(fx->tn->nlog, 3);
	assert_int_equal(fx->tn->log_seq[2], 102);
	assert_int_equal(fx->tn->log_frames[2], 3);
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 64), 3);
	assert_int_equal(stats_of(fx).completed_bytes, 500);

	/* 5 frames never fit a 4-descriptor ring: dropped, the next goes on */
	pkts[0] = mk_chain(fx, 5, 100, seq++);
	pkts[1] = mk(fx->c, 100, seq++, 0);
	assert_int_equal(pp__txq_xmit(&fx->st, pkts, 2, out), 0);
	s = stats_of(fx);
	assert_int_equal(s.tx_errors, 5);
	assert_int_equal(fx->stats.drops[PP_DROP_TX_ERROR], 1);
	assert_int_equal(fx->tn->nlog, 4);
	assert_int_equal(fx->tn->log_seq[3], seq - 1);
	drain(fx);
}

/* A full ring never drops: what does not fit waits, and leaves in order
 * once completions free descriptors. */
static void test_ring_full_never_drops(void **state)
{
	struct fx *fx = *state;
	uint32_t seq = 0;
	struct pp_txq_stats s;

	mk_txq(fx, NULL);
	fx->tn->ring_size = 64;
	fx->tn->hold = true;
	for (int b = 0; b < 10; b++)
		send_n(fx, PP_BURST, 100, &seq, 0);
	s = stats_of(fx);
	assert_int_equal(s.sent, 64);
	assert_int_equal(s.qlen, 10 * PP_BURST - 64);
	assert_int_equal(s.drops, 0);
	/* the driver also refuses part of what it said it had room for */
	fx->tn->pace = 5;
	fx->tn->hold = false;
	drain(fx);
	s = stats_of(fx);
	assert_int_equal(s.sent, 10 * PP_BURST);
	assert_int_equal(s.completed, 10 * PP_BURST);
	assert_int_equal(s.drops, 0);
	assert_true(s.requeues > 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	assert_int_equal(fx->tn->nlog, 10 * PP_BURST);
	for (uint32_t i = 0; i < fx->tn->nlog; i++)
		assert_int_equal(fx->tn->log_seq[i], i);
}

/* A static BQL limit (min == max) bounds the bytes in flight: one skb may
 * overshoot, as dql_avail() >= 0 lets one more go. */
static void test_bql_static_limit(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_params p = {.bql_min = 10000, .bql_max = 10000};
	uint32_t seq = 0;
	struct pp_txq_stats s;

	mk_txq(fx, &p);
	fx->tn->ring_size = 4096;
	fx->tn->hold = true;
	for (int b = 0; b < 4; b++)
		send_n(fx, PP_BURST, 1000, &seq, 0);
	s = stats_of(fx);
	assert_int_equal(s.bql_limit, 10000);
	assert_int_equal(s.inflight, 11000);
	assert_int_equal(s.sent, 11);
	assert_int_equal(s.qlen, 4 * PP_BURST - 11);
	/* nothing completes: nothing more leaves */
	assert_int_equal(pp__txq_run(fx->txq, &fx->st), 0);
	fx->tn->hold = false;
	assert_int_equal(pp__txq_reap(fx->txq, fx->c, 256), 11);
	assert_int_equal(pp__txq_run(fx->txq, &fx->st), 11);
	s = stats_of(fx);
	assert_int_equal(s.inflight, 11000);
	assert_int_equal(s.bql_limit, 10000);
	drain(fx);
	assert_int_equal(stats_of(fx).sent, 4 * PP_BURST);
}

/* Dynamic BQL: starved while held back by the limit -> the limit grows;
 * then busy with far more in flight than completes per interval -> it
 * shrinks again after the hold period, never below bql_min. */
static void test_bql_grows_and_shrinks(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_params p = {.bql_min = 4000, .bql_max = 1u << 20};
	uint32_t seq = 0, grown, prev, maxlim;
	struct pp_txq_stats s;

	mk_txq(fx, &p);
	fx->tn->ring_size = 4096;
	assert_int_equal(stats_of(fx).bql_limit, 4000);
	/* grow: every completion finds the queue drained and BQL-limited */
	prev = 4000;
	for (int i = 0; i < 20; i++) {
		send_n(fx, PP_BURST, 1000, &seq, 0);
		for (int k = 0; k < 4; k++) {
			pp__txq_reap(fx->txq, fx->c, 256);
			pp__txq_run(fx->txq, &fx->st);
		}
		s = stats_of(fx);
		assert_true(s.bql_limit >= prev);
		/* in flight never beyond the limit plus one skb */
		assert_true(s.inflight <= (uint64_t)s.bql_limit + 1000);
		prev = s.bql_limit;
	}
	drain(fx);
	grown = stats_of(fx).bql_limit;
	assert_true(grown >= 32000);

	/* shrink: the NIC completes 2 frames per interval while the queue
	 * stays busy; in flight is way above twice what completes */
	fx->tn->complete_max = 2;
	send_n(fx, PP_BURST * 2, 1000, &seq, 0);
	maxlim = grown;
	for (int i = 0; i < 3000; i++) {
		send_n(fx, 2, 1000, &seq, 0);
		pp__txq_reap(fx->txq, fx->c, 64);
		pp__txq_run(fx->txq, &fx->st);
		s = stats_of(fx);
		/* sent under some limit: never more than the largest plus one */
		maxlim = s.bql_limit > maxlim ? s.bql_limit : maxlim;
		assert_true(s.inflight <= (uint64_t)maxlim + 1000);
	}
	s = stats_of(fx);
	assert_true(s.bql_limit < grown / 2);
	assert_true(s.bql_limit >= 4000);
	assert_int_equal(s.drops, 0);
	drain(fx);
}

/* ---- threaded: a completion thread reaps while the owner transmits ------ */

#define THR_N 20000u

struct reaper_arg {
	struct fx *fx;
	_Atomic bool stop;
	uint64_t reaped;
};

static void *reaper_main(void *arg)
{
	struct reaper_arg *ra = arg;

	while (!atomic_load_explicit(&ra->stop, memory_order_acquire)) {
		uint32_t n = pp__txq_reap(ra->fx->txq, ra->fx->freer, 64);

		ra->reaped += n;
		if (!n)
			sched_yield();
	}
	/* the owner saw idle: everything was reaped already */
	ra->reaped += pp__txq_reap(ra->fx->txq, ra->fx->freer, 64);
	return NULL;
}

static void test_reap_thread(void **state)
{
	struct fx *fx = *state;
	struct pp_txq_params p = {.bql_min = 8000, .bql_max = 64000, .limit_pkts = 512};
	struct reaper_arg ra = {.fx = fx};
	pthread_t th;
	uint32_t seq = 0;
	struct pp_txq_stats s;

	mk_txq(fx, &p);
	fx->tn->ring_size = 256;
	fx->tn->check_seq = true;
	assert_int_equal(pthread_create(&th, NULL, reaper_main, &ra), 0);
	while (seq < THR_N) {
		struct pp_skb *pkts[PP_BURST], *out[PP_STAGE_OUT_CAP];
		uint32_t want = THR_N - seq < PP_BURST ? THR_N - seq : PP_BURST;
		uint32_t got;

		/* stay under the qdisc limit: this test is about loss-free
		 * hand-over, not drops */
		if (stats_of(fx).qlen + want > p.limit_pkts) {
			pp__txq_run(fx->txq, &fx->st);
			sched_yield();
			continue;
		}
		got = pp_skb_alloc_burst(fx->c, pkts, want);
		if (!got) {
			pp__txq_run(fx->txq, &fx->st);
			sched_yield();
			continue;
		}
		for (uint32_t i = 0; i < got; i++) {
			uint8_t *d = pp_skb_put(pkts[i], 1000);

			assert_non_null(d);
			memcpy(d, &seq, sizeof(seq));
			seq++;
		}
		pp__txq_xmit(&fx->st, pkts, (uint16_t)got, out);
		pp__txq_run(fx->txq, &fx->st);
	}
	while (!pp__txq_idle(fx->txq)) {
		pp__txq_run(fx->txq, &fx->st);
		sched_yield();
	}
	atomic_store_explicit(&ra.stop, true, memory_order_release);
	assert_int_equal(pthread_join(th, NULL), 0);

	s = stats_of(fx);
	assert_int_equal(ra.reaped, THR_N);
	assert_int_equal(s.sent, THR_N);
	assert_int_equal(s.completed, THR_N);
	assert_int_equal(s.completed_bytes, (uint64_t)THR_N * 1000);
	assert_int_equal(s.inflight, 0);
	assert_int_equal(s.drops, 0);
	assert_int_equal(fx->tn->seq_errors, 0);
	assert_int_equal(fx->tn->next_seq, THR_N);
	assert_true(s.bql_limit >= 8000 && s.bql_limit <= 64000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prio_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bypass_when_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_driver_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_band_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full_never_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bql_static_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bql_grows_and_shrinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
