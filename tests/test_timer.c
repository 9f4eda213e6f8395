// SPDX-License-Identifier: MIT
/*
 * test_timer.c - the per-lane timer wheel (core/timer.h): bad arguments and
 * misuse first, then the boundaries (expiry in the past, expires == now,
 * the tick, clamping beyond the range, the top of the uint64_t ns range where
 * the tick counter ends), then callbacks that cancel and re-arm, and last
 * never-early / bounded-lateness for 100k random expiries on every level
 * against a sorted reference (fixed seed).
 *
 * cf. the kernel's timer_list selftests and DPDK app/test/test_timer.c.
 * Teardown: fini() finds nothing armed (every test fires or cancels what it
 * arms), the wheel's counterpart of "the pool is full again".
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include "core/time.h"
#include "core/timer.h"

#define MS PP_NSEC_PER_MSEC
#define T PP_TIMER_TICK_NS
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct fixture {
	struct pp_timer_wheel w;
	bool finished;	/* the test ran fini itself */
};

/* What the callbacks see: the wheel and the "now" its run() was handed. */
static struct pp_timer_wheel *g_w;
static uint64_t g_now;

/* A timer that records when it fired. */
struct rec {
	struct pp_timer t;
	uint64_t fired_at;
	unsigned int fired;
	/* what the callback does besides recording */
	struct rec *other;		/* cancel or re-arm this one */
	int other_ret;			/* what cancel/arm of it returned */
	uint64_t rearm_other_at;	/* != 0: re-arm other instead of cancelling */
	uint64_t period;		/* != 0: re-arm self at now + period */
	unsigned int max_fires;		/* with period: stop after this many */
	int run_ret, fini_ret;		/* with nested: what run()/fini() returned */
	bool nested;			/* call run() and fini() from the callback */
	bool cancel_other;
};

static void rec_fn(struct pp_timer *t)
{
	struct rec *r = container_of(t, struct rec, t);

	r->fired++;
	r->fired_at = g_now;
	/* never early: the callback runs only once now has reached the expiry */
	assert_true(g_now >= pp_timer_expires(t));
	assert_false(pp_timer_pending(t));
	if (r->nested) {
		r->run_ret = pp_timer_wheel_run(g_w, g_now);
		r->fini_ret = pp_timer_wheel_fini(g_w);
	}
	if (r->other && r->cancel_other)
		r->other_ret = pp_timer_cancel(g_w, &r->other->t);
	if (r->other && r->rearm_other_at)
		r->other_ret = pp_timer_arm(g_w, &r->other->t, r->rearm_other_at);
	if (r->period && r->fired < r->max_fires)
		assert_int_equal(pp_timer_arm(g_w, t, g_now + r->period), 0);
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(pp_timer_init(&r->t, rec_fn), 0);
}

static int run_at(uint64_t now)
{
	g_now = now;
	return pp_timer_wheel_run(g_w, now);
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	g_w = &f.w;
	g_now = 0;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f->finished)
		assert_int_equal(pp_timer_wheel_fini(&f->w), 0);
	pp__clock_set_fake(0);
	g_w = NULL;
	return 0;
}

static void dummy_fn(struct pp_timer *t)
{
	(void)t;
	fail_msg("a timer that must not fire fired");
}

/* ---- negative cases ----------------------------------------------------- */

static void test_null_args(void **state)
{
	struct fixture *f = *state;
	struct pp_timer t;

	assert_int_equal(pp_timer_init(NULL, dummy_fn), -EINVAL);
	assert_int_equal(pp_timer_init(&t, NULL), -EINVAL);
	assert_int_equal(pp_timer_wheel_init(NULL, 0), -EINVAL);
	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	assert_int_equal(pp_timer_init(&t, dummy_fn), 0);

	assert_int_equal(pp_timer_arm(NULL, &t, 1), -EINVAL);
	assert_int_equal(pp_timer_arm(&f->w, NULL, 1), -EINVAL);
	assert_int_equal(pp_timer_cancel(NULL, &t), -EINVAL);
	assert_int_equal(pp_timer_cancel(&f->w, NULL), -EINVAL);
	assert_int_equal(pp_timer_wheel_run(NULL, 0), -EINVAL);
	assert_int_equal(pp_timer_wheel_run(NULL, UINT64_MAX), -EINVAL);
	assert_true(pp_timer_wheel_next(NULL) == UINT64_MAX);
	assert_int_equal(pp_timer_wheel_fini(NULL), -EINVAL);
	assert_false(pp_timer_pending(NULL));
	assert_true(pp_timer_expires(NULL) == 0);
	/* nothing above armed anything */
	assert_false(pp_timer_pending(&t));
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
}

static void test_uninitialised(void **state)
{
	struct fixture *f = *state;
	struct pp_timer garbage, zero, t;
	struct pp_timer_wheel *zw = calloc(1, sizeof(*zw));

	assert_non_null(zw);
	memset(&garbage, 0xa5, sizeof(garbage));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);

	/* a timer never passed to pp_timer_init(): refused, never followed */
	assert_int_equal(pp_timer_arm(&f->w, &garbage, MS), -EINVAL);
	assert_int_equal(pp_timer_cancel(&f->w, &garbage), -EINVAL);
	assert_false(pp_timer_pending(&garbage));
	assert_int_equal(pp_timer_arm(&f->w, &zero, MS), -EINVAL);
	assert_int_equal(pp_timer_cancel(&f->w, &zero), -EINVAL);
	assert_false(pp_timer_pending(&zero));
	/* fn NULL behind a valid magic: still refused */
	assert_int_equal(pp_timer_init(&t, dummy_fn), 0);
	t.fn = NULL;
	assert_int_equal(pp_timer_arm(&f->w, &t, MS), -EINVAL);
	assert_int_equal(pp_timer_init(&t, dummy_fn), 0);

	/* a wheel never passed to pp_timer_wheel_init() */
	assert_int_equal(pp_timer_arm(zw, &t, MS), -EINVAL);
	assert_int_equal(pp_timer_cancel(zw, &t), -EINVAL);
	assert_int_equal(pp_timer_wheel_run(zw, 5 * MS), -EINVAL);
	assert_true(pp_timer_wheel_next(zw) == UINT64_MAX);
	assert_int_equal(pp_timer_wheel_fini(zw), -EINVAL);
	assert_false(pp_timer_pending(&t));

	/* a wheel after fini: unusable until the next init */
	assert_int_equal(pp_timer_wheel_init(zw, 0), 0);
	assert_int_equal(pp_timer_wheel_fini(zw), 0);
	assert_int_equal(pp_timer_arm(zw, &t, MS), -EINVAL);
	assert_int_equal(pp_timer_wheel_run(zw, 0), -EINVAL);
	assert_int_equal(pp_timer_wheel_fini(zw), -EINVAL);
	free(zw);
}

/* run() and fini() from a callback are refused; the wheel goes on working. */
static void test_run_fini_from_callback(void **state)
{
	struct fixture *f = *state;
	struct rec a, b;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	rec_init(&b);
	a.nested = true;
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 3 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &b.t, 9 * MS), 0);
	assert_int_equal(run_at(3 * MS), 1);
	assert_int_equal(a.run_ret, -EBUSY);
	assert_int_equal(a.fini_ret, -EBUSY);
	assert_true(pp_timer_pending(&b.t));
	assert_int_equal(run_at(9 * MS), 1);
	assert_int_equal(b.fired, 1);
}

/* ---- boundaries --------------------------------------------------------- */

/* Armed at or before the wheel's now: fires on the very next run, even at the
 * same now, and even when now is not on a tick. */
static void test_arm_in_past(void **state)
{
	struct fixture *f = *state;
	const uint64_t now = 7 * MS + 123456;
	struct rec a, b, c, d;

	assert_int_equal(pp_timer_wheel_init(&f->w, now), 0);
	rec_init(&a);
	rec_init(&b);
	rec_init(&c);
	rec_init(&d);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 0), 0);
	assert_int_equal(pp_timer_arm(&f->w, &b.t, now - 1), 0);
	assert_int_equal(pp_timer_arm(&f->w, &c.t, now), 0);
	assert_int_equal(pp_timer_arm(&f->w, &d.t, now + 1), 0);
	assert_true(pp_timer_wheel_next(&f->w) <= now);
	assert_int_equal(run_at(now), 3);
	assert_int_equal(a.fired + b.fired + c.fired, 3);
	assert_int_equal(d.fired, 0);
	/* d: now + 1 rounds up to the next tick, never earlier */
	assert_true(pp_timer_wheel_next(&f->w) == 8 * MS);
	assert_int_equal(run_at(8 * MS - 1), 0);
	assert_int_equal(run_at(8 * MS), 1);
	assert_int_equal(d.fired, 1);
	/* and the wheel's now moves: an expiry at the last now is in the past */
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 8 * MS), 0);
	assert_int_equal(run_at(8 * MS), 1);
	assert_int_equal(a.fired, 2);
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
}

/* expires == now fires, now - 1 does not: on every level, for an expiry on
 * the level's granularity (a level rounds up to it, never down). */
static void test_exact_boundary_every_level(void **state)
{
	struct fixture *f = *state;
	struct rec r[PP_TIMER_LEVELS];
	uint64_t e[PP_TIMER_LEVELS];

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	for (unsigned int l = 0; l < PP_TIMER_LEVELS; l++) {
		rec_init(&r[l]);
		/* 63 granules: the far end of level l seen from tick 1 */
		e[l] = PP_TIMER_LVL_REACH(l) * T;
		if (!l)
			e[l] = 17 * T;
		assert_int_equal(pp_timer_arm(&f->w, &r[l].t, e[l]), 0);
	}
	for (unsigned int l = 0; l < PP_TIMER_LEVELS; l++) {
		assert_true(pp_timer_wheel_next(&f->w) == e[l]);
		assert_int_equal(run_at(e[l] - 1), 0);
		assert_int_equal(r[l].fired, 0);
		assert_int_equal(run_at(e[l]), 1);
		assert_int_equal(r[l].fired, 1);
		assert_true(r[l].fired_at == e[l]);
	}
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
}

/* The tick is the precision: an expiry inside a tick fires at the tick's end. */
static void test_sub_tick_rounds_up(void **state)
{
	struct fixture *f = *state;
	struct rec a;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 1 * MS + MS / 2), 0);
	assert_int_equal(run_at(1 * MS + MS / 2 - 1), 0);
	/* late by less than a tick, as a jiffy timer would be */
	assert_int_equal(run_at(2 * MS - 1), 0);
	assert_int_equal(run_at(2 * MS), 1);
}

/*
 * Beyond the range: clamped to its end. The timer fires there (never before
 * the range's end), its owner sees pp_timer_expires() still ahead and
 * re-arms, until the real expiry, which is met neither early nor more than
 * the top level's granule late.
 */
struct clamp_rec {
	struct pp_timer t;
	uint64_t want, armed_at;
	unsigned int early_fires, fires;
};

static void clamp_fn(struct pp_timer *t)
{
	struct clamp_rec *c = container_of(t, struct clamp_rec, t);

	c->fires++;
	if (g_now < c->want) {
		/* a clamped fire: not before the range's end from when it was armed */
		assert_true(g_now >= c->armed_at + PP_TIMER_RANGE_NS);
		c->early_fires++;
		c->armed_at = g_now;
		assert_int_equal(pp_timer_arm(g_w, t, c->want), 0);
		return;
	}
	assert_true(g_now - c->want < PP_TIMER_LVL_GRAN(PP_TIMER_LEVELS - 1) * T);
}

static void test_clamp_beyond_range(void **state)
{
	struct fixture *f = *state;
	struct clamp_rec c = { 0 };
	uint64_t nx;
	unsigned int runs = 0;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	assert_int_equal(pp_timer_init(&c.t, clamp_fn), 0);
	c.want = 3 * PP_TIMER_RANGE_NS + 12345;
	assert_int_equal(pp_timer_arm(&f->w, &c.t, c.want), 0);
	nx = pp_timer_wheel_next(&f->w);
	assert_true(nx >= PP_TIMER_RANGE_NS);
	assert_true(nx <= PP_TIMER_RANGE_NS + PP_TIMER_LVL_GRAN(PP_TIMER_LEVELS - 1) * T);
	assert_int_equal(run_at(PP_TIMER_RANGE_NS - 1), 0);
	while ((nx = pp_timer_wheel_next(&f->w)) != UINT64_MAX && runs++ < 10)
		assert_int_equal(run_at(nx), 1);
	assert_int_equal(c.early_fires, 2);
	assert_int_equal(c.fires, 3);
	assert_false(pp_timer_pending(&c.t));

	/* an expiry of UINT64_MAX from now 0: clamped too, no overflow */
	c.want = UINT64_MAX;
	c.armed_at = g_now;
	c.fires = c.early_fires = 0;
	assert_int_equal(pp_timer_arm(&f->w, &c.t, UINT64_MAX), 0);
	nx = pp_timer_wheel_next(&f->w);
	assert_true(nx > g_now && nx - g_now <= PP_TIMER_RANGE_NS + PP_TIMER_LVL_GRAN(8) * T);
	assert_int_equal(run_at(nx), 1);
	assert_int_equal(c.early_fires, 1);
	assert_int_equal(pp_timer_cancel(&f->w, &c.t), 1);
}

/*
 * The top of the range: the tick counter is ns / 10^6 and cannot wrap, but
 * its last tick is where every ns <-> tick conversion would overflow if done
 * naively (ceil(UINT64_MAX / 10^6) * 10^6 > UINT64_MAX). Nothing may fire
 * early, nothing may be lost, and UINT64_MAX fires everything.
 */
static void test_top_of_range(void **state)
{
	struct fixture *f = *state;
	const uint64_t last = (UINT64_MAX / T) * T;	/* start of the last whole tick */
	const uint64_t start = UINT64_MAX - 20000 * MS;
	struct rec far, a, b, c, d, late;
	uint64_t nx;

	assert_int_equal(pp_timer_wheel_init(&f->w, start), 0);
	g_now = start;
	rec_init(&far);
	rec_init(&a);
	rec_init(&b);
	rec_init(&c);
	rec_init(&d);
	rec_init(&late);
	/* level 3 away, not on a tick */
	assert_int_equal(pp_timer_arm(&f->w, &far.t, UINT64_MAX - 10000 * MS), 0);
	nx = pp_timer_wheel_next(&f->w);
	assert_true(nx >= UINT64_MAX - 10000 * MS && nx < last);
	assert_int_equal(run_at(nx - 1), 0);
	assert_int_equal(run_at(nx), 1);
	assert_true(far.fired_at - (UINT64_MAX - 10000 * MS) < PP_TIMER_LVL_GRAN(3) * T);

	/* level 0 near the end: exact */
	assert_int_equal(run_at(last - 30 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, last), 0);
	assert_int_equal(pp_timer_arm(&f->w, &b.t, last + 1), 0);
	assert_int_equal(pp_timer_arm(&f->w, &c.t, UINT64_MAX - 1), 0);
	assert_int_equal(pp_timer_arm(&f->w, &d.t, UINT64_MAX), 0);
	assert_true(pp_timer_wheel_next(&f->w) == last);
	assert_int_equal(run_at(last - 1), 0);
	assert_int_equal(run_at(last), 1);
	assert_int_equal(a.fired, 1);
	/* b, c, d lie in the tick that ends after UINT64_MAX: due only at the end */
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
	assert_int_equal(run_at(UINT64_MAX - 1), 0);
	assert_int_equal(run_at(UINT64_MAX), 3);
	assert_int_equal(b.fired + c.fired + d.fired, 3);
	/* after the end of time everything is in the past */
	assert_int_equal(pp_timer_arm(&f->w, &late.t, UINT64_MAX), 0);
	assert_true(pp_timer_wheel_next(&f->w) == 0);
	assert_int_equal(run_at(UINT64_MAX), 1);
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
}

/* A coarse timer armed far from the top and due only at UINT64_MAX: its
 * bucket rounds up past the last tick; UINT64_MAX still fires it. */
static void test_top_of_range_coarse(void **state)
{
	struct fixture *f = *state;
	struct rec a;

	assert_int_equal(pp_timer_wheel_init(&f->w, UINT64_MAX - 100 * PP_NSEC_PER_SEC), 0);
	rec_init(&a);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, UINT64_MAX), 0);
	assert_int_equal(run_at(UINT64_MAX - 1), 0);
	assert_int_equal(run_at(UINT64_MAX), 1);
	assert_int_equal(a.fired, 1);
}

/* ---- callbacks, cancel, re-arm ------------------------------------------ */

static void test_cancel_and_pending(void **state)
{
	struct fixture *f = *state;
	struct rec a;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	assert_int_equal(pp_timer_cancel(&f->w, &a.t), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 5 * MS), 0);
	assert_true(pp_timer_pending(&a.t));
	assert_true(pp_timer_expires(&a.t) == 5 * MS);
	assert_true(pp_timer_wheel_next(&f->w) == 5 * MS);
	assert_int_equal(pp_timer_cancel(&f->w, &a.t), 1);
	assert_false(pp_timer_pending(&a.t));
	assert_int_equal(pp_timer_cancel(&f->w, &a.t), 0);
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);
	assert_int_equal(run_at(10 * MS), 0);
	assert_int_equal(a.fired, 0);
	/* a cancelled expired one too */
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 0), 0);
	assert_int_equal(pp_timer_cancel(&f->w, &a.t), 1);
	assert_int_equal(run_at(10 * MS), 0);
	assert_int_equal(a.fired, 0);
}

/* Two timers due in the same run, in the same bucket or not, each cancelling
 * the other: exactly one fires, and its cancel found the other pending. */
static void test_cancel_other_due_same_run(void **state)
{
	struct fixture *f = *state;
	const uint64_t at[2][2] = { { 10 * MS, 10 * MS }, { 10 * MS, 20 * MS } };

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct rec a, b;

		rec_init(&a);
		rec_init(&b);
		a.other = &b;
		b.other = &a;
		a.cancel_other = b.cancel_other = true;
		assert_int_equal(pp_timer_arm(&f->w, &a.t, g_now + at[i][0]), 0);
		assert_int_equal(pp_timer_arm(&f->w, &b.t, g_now + at[i][1]), 0);
		assert_int_equal(run_at(g_now + 30 * MS), 1);
		assert_int_equal(a.fired + b.fired, 1);
		assert_int_equal(a.fired ? a.other_ret : b.other_ret, 1);
		assert_false(pp_timer_pending(&a.t) || pp_timer_pending(&b.t));
		if (i == 1)
			assert_int_equal(a.fired, 1); /* the earlier one fires */
	}
}

/* A callback re-arming a timer due in the same run moves it: it fires at its
 * new expiry, not in this run. */
static void test_rearm_other_due_same_run(void **state)
{
	struct fixture *f = *state;
	struct rec a, b;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	rec_init(&b);
	a.other = &b;
	a.rearm_other_at = 60 * MS;
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &b.t, 20 * MS), 0);
	assert_int_equal(run_at(30 * MS), 1);
	assert_int_equal(a.other_ret, 1);
	assert_int_equal(b.fired, 0);
	assert_true(pp_timer_pending(&b.t));
	assert_int_equal(run_at(60 * MS - 1), 0);
	assert_int_equal(run_at(60 * MS), 1);
	assert_int_equal(b.fired, 1);
}

/* Periodic self re-arm: fires at every period, exactly; a self re-arm in the
 * past fires once per run, never in a loop. */
static void test_self_rearm(void **state)
{
	struct fixture *f = *state;
	struct rec p;
	int n;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&p);
	p.period = 10 * MS;
	p.max_fires = 10;
	assert_int_equal(pp_timer_arm(&f->w, &p.t, 10 * MS), 0);
	for (uint64_t ms = 1; ms <= 120; ms++) {
		n = run_at(ms * MS);
		assert_int_equal(n, ms % 10 == 0 && ms <= 100 ? 1 : 0);
		if (n)
			assert_true(p.fired_at == ms * MS);
	}
	assert_int_equal(p.fired, 10);
	assert_false(pp_timer_pending(&p.t));

	/* a self re-arm in the past waits for the next run */
	rec_init(&p);
	p.other = &p;
	p.rearm_other_at = 1;	/* re-arm self at ns 1: long past */
	assert_int_equal(pp_timer_arm(&f->w, &p.t, g_now), 0);
	assert_int_equal(run_at(g_now), 1);
	assert_int_equal(run_at(g_now), 1);
	assert_int_equal(run_at(g_now + 1), 1);
	assert_int_equal(p.fired, 3);
	assert_int_equal(pp_timer_cancel(&f->w, &p.t), 1);
}

/* Re-arm across levels, earlier and later, and within one bucket. */
static void test_rearm_across_levels(void **state)
{
	struct fixture *f = *state;
	struct rec a;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	/* later -> earlier: 10 s (level 3) to 5 ms (level 0) */
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10000 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 5 * MS), 1);
	assert_true(pp_timer_wheel_next(&f->w) == 5 * MS);
	assert_int_equal(run_at(5 * MS - 1), 0);
	assert_int_equal(run_at(5 * MS), 1);
	assert_true(pp_timer_wheel_next(&f->w) == UINT64_MAX);

	/* earlier -> later: 5 ms to 10 s; nothing at 5 ms */
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10005 * MS), 1);
	assert_int_equal(run_at(10 * MS), 0);
	assert_int_equal(run_at(10004 * MS), 0);
	assert_int_equal(a.fired, 1);
	/* to every level and back to 0 */
	for (unsigned int l = PP_TIMER_LEVELS; l-- > 0;)
		assert_int_equal(pp_timer_arm(&f->w, &a.t, g_now + PP_TIMER_LVL_REACH(l) * T), 1);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10030 * MS), 1);
	assert_int_equal(run_at(10030 * MS - 1), 0);
	assert_int_equal(run_at(10030 * MS), 1);
	assert_int_equal(a.fired, 2);

	/* within one level-2 bucket (64 ticks): the expiry moves, never early */
	assert_int_equal(pp_timer_arm(&f->w, &a.t, g_now + 1001 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, g_now + 1000 * MS + 1), 1);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, g_now + 1002 * MS), 1);
	{
		uint64_t want = g_now + 1002 * MS, nx = pp_timer_wheel_next(&f->w);

		assert_true(nx >= want && nx - want < 64 * MS);
		assert_int_equal(run_at(want - 1), 0);
		assert_int_equal(run_at(nx), 1);
	}
	assert_int_equal(a.fired, 3);
}

/*
 * Regression (clock forwarded before measuring): after a long stretch of
 * fast-path runs with nothing due, the wheel's tick counter was still where
 * the last slow run left it, and a 5 ms timer armed then was measured as 10 s
 * away: put on level 3, it fired up to 512 ms late.
 */
static void test_arm_after_idle_is_exact(void **state)
{
	struct fixture *f = *state;
	struct rec a;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	for (uint64_t ms = 1; ms <= 10000; ms += 997)
		assert_int_equal(run_at(ms * MS), 0);
	assert_int_equal(run_at(10000 * MS), 0);
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 10005 * MS), 0);
	assert_true(pp_timer_wheel_next(&f->w) == 10005 * MS);
	assert_int_equal(run_at(10005 * MS - 1), 0);
	assert_int_equal(run_at(10005 * MS), 1);
}

/*
 * Regression (callbacks arming while run() catches up): a lane that ran late
 * fires an old timer whose callback arms a 5 ms one; measured from the
 * lagging tick counter it landed on a coarse level and fired up to 512 ms
 * late. It waits on the deferred list and is placed at the end of the run.
 */
static void test_arm_during_catch_up_is_exact(void **state)
{
	struct fixture *f = *state;
	struct rec a, b;

	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	rec_init(&a);
	rec_init(&b);
	a.other = &b;
	a.rearm_other_at = 10005 * MS;
	assert_int_equal(pp_timer_arm(&f->w, &a.t, 5 * MS), 0);
	assert_int_equal(run_at(10000 * MS), 1);
	assert_true(pp_timer_pending(&b.t));
	assert_true(pp_timer_wheel_next(&f->w) == 10005 * MS);
	assert_int_equal(run_at(10005 * MS - 1), 0);
	assert_int_equal(run_at(10005 * MS), 1);
	assert_int_equal(b.fired, 1);
}

static void test_fini_count(void **state)
{
	struct fixture *f = *state;
	struct rec r[6];

	assert_int_equal(pp_timer_wheel_init(&f->w, 50 * MS), 0);
	for (unsigned int i = 0; i < 6; i++)
		rec_init(&r[i]);
	assert_int_equal(pp_timer_arm(&f->w, &r[0].t, 0), 0);			/* expired list */
	assert_int_equal(pp_timer_arm(&f->w, &r[1].t, 60 * MS), 0);		/* level 0 */
	assert_int_equal(pp_timer_arm(&f->w, &r[2].t, 60 * MS), 0);		/* same bucket */
	assert_int_equal(pp_timer_arm(&f->w, &r[3].t, 5000 * MS), 0);		/* level 3 */
	assert_int_equal(pp_timer_arm(&f->w, &r[4].t, UINT64_MAX), 0);		/* clamped */
	assert_int_equal(pp_timer_arm(&f->w, &r[5].t, 70 * MS), 0);
	assert_int_equal(pp_timer_cancel(&f->w, &r[5].t), 1);
	assert_int_equal(pp_timer_wheel_fini(&f->w), 5);
	f->finished = true;
	for (unsigned int i = 0; i < 6; i++) {
		assert_false(pp_timer_pending(&r[i].t));
		assert_int_equal(r[i].fired, 0);
	}
	/* the timers can go on another wheel */
	assert_int_equal(pp_timer_wheel_init(&f->w, 0), 0);
	assert_int_equal(pp_timer_arm(&f->w, &r[1].t, MS), 0);
	assert_int_equal(run_at(MS), 1);
	assert_int_equal(pp_timer_wheel_fini(&f->w), 0);
}

/* ---- random expiries against a sorted reference ------------------------- */

#define RAND_N 100000

struct rt {
	struct pp_timer t;
	uint64_t e;		/* expiry asked for */
	uint64_t deadline;	/* the latest it may fire: e + allowed - 1 */
	uint64_t allowed;	/* lateness allowed: the granule of its level */
	uint64_t fired_at;
	bool fired, cancelled;
};

static bool g_exact;	/* runs are at pp_timer_wheel_next(): lateness checked exactly */
static uint64_t g_fired;

static void rt_fn(struct pp_timer *t)
{
	struct rt *r = container_of(t, struct rt, t);

	assert_false(r->fired);
	assert_false(r->cancelled);
	assert_true(g_now >= r->e);	/* never early */
	if (g_exact && g_now - r->e >= r->allowed)
		fail_msg("late: e %llu fired %llu allowed %llu", (unsigned long long)r->e,
			 (unsigned long long)g_now, (unsigned long long)r->allowed);
	r->fired = true;
	r->fired_at = g_now;
	g_fired++;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t reach_ticks(int l)
{
	return l < 0 ? 0 : PP_TIMER_LVL_REACH((unsigned int)l);
}

/*
 * The lateness the reference allows, worked out apart from the wheel: the
 * distance in ticks is at most ceil((e - now) / tick) + 1, and the finest
 * level whose 63 granules reach it has granule G: late by less than G ticks.
 * An expiry in the past is as late as it was when armed, plus the tick.
 */
static uint64_t allowed_late(uint64_t now, uint64_t e)
{
	uint64_t d = (e - now + T - 1) / T + 1;
	unsigned int l = 0;

	if (e <= now)	/* armed late already: it fires on the next run */
		return now - e + T;

	while (d > PP_TIMER_LVL_REACH(l))
		l++;
	return PP_TIMER_LVL_GRAN(l) * T;
}

static int cmp_deadline(const void *a, const void *b)
{
	const struct rt *x = *(struct rt *const *)a, *y = *(struct rt *const *)b;

	return x->deadline < y->deadline ? -1 : x->deadline > y->deadline;
}

/* Arm n timers from now: a level picked at random, a distance at random in
 * it, plus a sub-tick offset; a tenth of them cancelled right away. */
static void arm_batch(struct pp_timer_wheel *w, struct rt *ts, struct rt **sorted, size_t n,
		      uint64_t now, unsigned int max_level)
{
	for (size_t i = 0; i < n; i++) {
		struct rt *r = &ts[i];
		int l = (int)(rnd() % (max_level + 1));
		uint64_t lo = reach_ticks(l - 1), hi = reach_ticks(l) - (l == PP_TIMER_LEVELS - 1 ? 2 : 0);
		uint64_t d = lo + rnd() % (hi - lo + 1);

		memset(r, 0, sizeof(*r));
		assert_int_equal(pp_timer_init(&r->t, rt_fn), 0);
		r->e = now + d * T + rnd() % T;
		if (rnd() % 64 == 0)
			r->e = now - (now < 2 * T ? now : rnd() % (2 * T));	/* the past */
		r->allowed = allowed_late(now, r->e);
		r->deadline = r->e + r->allowed - 1;
		assert_int_equal(pp_timer_arm(w, &r->t, r->e), 0);
		sorted[i] = r;
	}
	for (size_t i = 0; i < n; i += 10) {
		assert_int_equal(pp_timer_cancel(w, &ts[i].t), 1);
		ts[i].cancelled = true;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_deadline);
}

/* Every live timer whose deadline has passed has fired. */
static void check_deadlines(struct rt **sorted, size_t n, size_t *p, uint64_t now)
{
	while (*p < n && sorted[*p]->deadline <= now) {
		struct rt *r = sorted[*p];

		if (!r->cancelled && !r->fired)
			fail_msg("timer due by %llu (e %llu) not fired at %llu",
				 (unsigned long long)r->deadline, (unsigned long long)r->e,
				 (unsigned long long)now);
		(*p)++;
	}
}

/*
 * 100k timers on all 9 levels, in 10 batches of 10k: one armed at the start,
 * the others one by one as the run goes on, each from a different tick, so
 * that buckets fill from every alignment. The lane sleeps until
 * pp_timer_wheel_next() each time, so every fire is checked exactly: never
 * before its expiry, late by less than its level's granule; and against the
 * deadline-sorted reference, nothing is missed. From near 0 and from near
 * the top of the uint64 range.
 */
#define RAND_BATCHES 10

static void random_vs_reference(struct fixture *f, uint64_t base)
{
	const size_t per = RAND_N / RAND_BATCHES;
	struct rt *ts = calloc(RAND_N, sizeof(*ts));
	struct rt **sorted = calloc(RAND_N, sizeof(*sorted));
	size_t p[RAND_BATCHES] = { 0 }, live = 0;
	unsigned int armed = 1;
	uint64_t nx, runs = 0;

	assert_non_null(ts);
	assert_non_null(sorted);
	rng_state = 0x9e3779b97f4a7c15ull;
	g_fired = 0;
	g_exact = true;
	assert_int_equal(pp_timer_wheel_init(&f->w, base), 0);
	g_now = base;
	arm_batch(&f->w, ts, sorted, per, base, PP_TIMER_LEVELS - 1);
	while ((nx = pp_timer_wheel_next(&f->w)) != UINT64_MAX) {
		int n;

		if (nx > g_now)
			g_now = nx;
		n = pp_timer_wheel_run(&f->w, g_now);
		assert_true(n >= 1);	/* next() is exact: something was due */
		runs++;
		for (unsigned int b = 0; b < armed; b++)
			check_deadlines(sorted + b * per, per, &p[b], g_now);
		if (armed < RAND_BATCHES && runs % 37 == 0) {
			arm_batch(&f->w, ts + armed * per, sorted + armed * per, per, g_now,
				  PP_TIMER_LEVELS - 1);
			armed++;
		}
	}
	assert_int_equal(armed, RAND_BATCHES);
	for (unsigned int b = 0; b < RAND_BATCHES; b++)
		check_deadlines(sorted + b * per, per, &p[b], UINT64_MAX);
	for (size_t i = 0; i < RAND_N; i++)
		live += !ts[i].cancelled;
	assert_true(g_fired == live);
	print_message("runs %llu fired %llu\n", (unsigned long long)runs, (unsigned long long)g_fired);
	assert_true(runs > 500);
	free(sorted);
	free(ts);
}

static void test_random_vs_reference(void **state)
{
	random_vs_reference(*state, 1234567);
}

static void test_random_vs_reference_top(void **state)
{
	/* the batches are armed well within a range of the start: all stays below UINT64_MAX */
	random_vs_reference(*state, UINT64_MAX - 3 * PP_TIMER_RANGE_NS);
}

/*
 * The same for a polling lane: runs at random steps (1 ns to 3 ms) over
 * levels 0-3; a fire must come at the first run at or after its bucket, so
 * nothing is still unfired at a run past its deadline.
 */
static void test_random_polling(void **state)
{
	struct fixture *f = *state;
	const size_t n = 20000;
	struct rt *ts = calloc(n, sizeof(*ts));
	struct rt **sorted = calloc(n, sizeof(*sorted));
	size_t p = 0, live = 0;

	assert_non_null(ts);
	assert_non_null(sorted);
	rng_state = 0x243f6a8885a308d3ull;
	g_fired = 0;
	g_exact = false;
	assert_int_equal(pp_timer_wheel_init(&f->w, 5 * MS + 17), 0);
	g_now = 5 * MS + 17;
	arm_batch(&f->w, ts, sorted, n, g_now, 3);
	while (pp_timer_wheel_next(&f->w) != UINT64_MAX) {
		g_now += 1 + rnd() % (3 * MS);
		assert_true(pp_timer_wheel_run(&f->w, g_now) >= 0);
		check_deadlines(sorted, n, &p, g_now);
	}
	check_deadlines(sorted, n, &p, UINT64_MAX);
	for (size_t i = 0; i < n; i++)
		live += !ts[i].cancelled;
	assert_true(g_fired == live);
	free(sorted);
	free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uninitialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_fini_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arm_in_past, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_boundary_every_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sub_tick_rounds_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamp_beyond_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_of_range_coarse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_other_due_same_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_other_due_same_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_rearm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_across_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arm_after_idle_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arm_during_catch_up_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fini_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_vs_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_vs_reference_top, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_polling, setup, teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
