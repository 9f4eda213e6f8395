// SPDX-License-Identifier: MIT
/*
 * bench_timer.c - the per-lane timer wheel (core/timer.h): what TCP will pay
 * per timer operation, with a small and a large population already armed
 * (cf. the kernel's mod_timer()/del_timer() on a busy base).
 *
 * Cases (n = timers already armed on the wheel: 1k or 1M):
 *   timer/pktpipe/arm_cancel/n:<n>  arm a timer that is not pending, then
 *                                   cancel it (one item = the pair)
 *   timer/pktpipe/rearm/n:<n>       re-arm one of the n pending timers to a
 *                                   new expiry (mod_timer of a pending timer;
 *                                   one item = one re-arm), cycling through
 *                                   all n so that the large case misses cache
 *   timer/pktpipe/run_idle/n:<n>    pp_timer_wheel_run() with nothing due
 *                                   (one item = one call: a lane's empty poll)
 *
 * Expiries: a fixed table of 4096 delays drawn (fixed seed) from the mix a
 * TCP lane arms: delayed ACK 40 ms, RTO 200 ms, 1 s, TIME_WAIT 60 s and
 * keepalive 2 h, each with +-25% jitter, from a fixed "now", so that timers
 * land on levels 1 to 6 and nothing ever fires during a case.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/timer.h"

#include "bench.h"
#include "bench_util.h"

#define DELAYS 4096
#define SPARES 64

enum timer_case { TC_ARM_CANCEL, TC_REARM, TC_RUN_IDLE };

struct timer_param {
	uint8_t what;	/* enum timer_case */
	uint32_t n;	/* timers armed before the case starts */
};

struct timer_bench {
	struct pp_timer_wheel w;
	struct pp_timer *timers;	/* [n] armed */
	struct pp_timer spare[SPARES];	/* arm_cancel: never pending between items */
	uint64_t delay[DELAYS];
	uint64_t now;
	uint32_t n, next;		/* rearm: next timer to move */
	uint32_t d;			/* next delay */
	uint8_t what;
};

static void never_fn(struct pp_timer *t)
{
	(void)t;
	pp__bench_fail("timer: a timer fired during a case");
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void *timer_setup(const void *param)
{
	static const uint64_t mix_ms[] = { 40, 200, 1000, 60000, 7200000 };
	const struct timer_param *p = param;
	struct timer_bench *b = pp__bench_zalloc(sizeof(*b));
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	if (!b)
		return NULL;
	b->timers = pp__bench_zalloc((size_t)p->n * sizeof(*b->timers));
	if (!b->timers) {
		free(b);
		return NULL;
	}
	b->n = p->n;
	b->what = p->what;
	b->now = 1000 * PP_NSEC_PER_SEC;
	for (unsigned int i = 0; i < DELAYS; i++) {
		uint64_t ms = mix_ms[xorshift(&seed) % 5];
		uint64_t ns = ms * PP_NSEC_PER_MSEC;

		/* 75% .. 125% */
		b->delay[i] = ns * 3 / 4 + xorshift(&seed) % (ns / 2 + 1);
	}
	pp_timer_wheel_init(&b->w, b->now);
	for (unsigned int i = 0; i < SPARES; i++)
		pp_timer_init(&b->spare[i], never_fn);
	for (uint32_t i = 0; i < b->n; i++) {
		pp_timer_init(&b->timers[i], never_fn);
		if (pp_timer_arm(&b->w, &b->timers[i], b->now + b->delay[i % DELAYS]) != 0) {
			pp__bench_fail("timer: arm %u failed", i);
			break;
		}
	}
	return b;
}

static uint64_t timer_run(void *state, uint64_t iters)
{
	struct timer_bench *b = state;
	uint64_t bad = 0;

	switch (b->what) {
	case TC_ARM_CANCEL:
		for (uint64_t i = 0; i < iters; i++) {
			struct pp_timer *t = &b->spare[i & (SPARES - 1)];

			bad += pp_timer_arm(&b->w, t, b->now + b->delay[b->d++ & (DELAYS - 1)]) != 0;
			bad += pp_timer_cancel(&b->w, t) != 1;
		}
		break;
	case TC_REARM:
		for (uint64_t i = 0; i < iters; i++) {
			struct pp_timer *t = &b->timers[b->next];

			if (++b->next == b->n)
				b->next = 0;
			bad += pp_timer_arm(&b->w, t, b->now + b->delay[b->d++ & (DELAYS - 1)]) != 1;
		}
		break;
	case TC_RUN_IDLE:
		for (uint64_t i = 0; i < iters; i++) {
			/* a lane's now moves on between polls; the escape keeps the
			 * compiler from hoisting the wheel's cached next out of the loop */
			bad += pp_timer_wheel_run(&b->w, b->now + (i & 1023)) != 0;
			pp__bench_escape(&b->w);
		}
		break;
	}
	if (bad)
		pp__bench_fail("timer: %llu calls returned the wrong value", (unsigned long long)bad);
	return iters;
}

static void timer_teardown(void *state)
{
	struct timer_bench *b = state;
	int left = pp_timer_wheel_fini(&b->w);

	if (left != (int)b->n)
		pp__bench_fail("timer: fini cancelled %d, %u were armed", left, b->n);
	free(b->timers);
	free(b);
}

#define TP(w, n) { w, n }
static const struct timer_param params[] = {
	TP(TC_ARM_CANCEL, 1000), TP(TC_ARM_CANCEL, 1000000),
	TP(TC_REARM, 1000), TP(TC_REARM, 1000000),
	TP(TC_RUN_IDLE, 1000), TP(TC_RUN_IDLE, 1000000),
};

#define TD(name, i) { name, timer_setup, timer_run, timer_teardown, &params[i] }
static const struct pp_bench_def defs[] = {
	TD("timer/pktpipe/arm_cancel/n:1k", 0),
	TD("timer/pktpipe/arm_cancel/n:1M", 1),
	TD("timer/pktpipe/rearm/n:1k", 2),
	TD("timer/pktpipe/rearm/n:1M", 3),
	TD("timer/pktpipe/run_idle/n:1k", 4),
	TD("timer/pktpipe/run_idle/n:1M", 5),
};

const struct pp_bench_def *pp_bench_timer_defs(size_t *n);
const struct pp_bench_def *pp_bench_timer_defs(size_t *n)
{
	*n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}
