// SPDX-License-Identifier: MIT
/*
 * timer.c - the per-lane timer wheel's cold half (core/timer.h): init, the
 * slow path of run, next, fini. arm, cancel and run's fast path are inline
 * in the header.
 *
 * cf. kernel/time/timer.c: __run_timers() (collect the buckets due at each
 * tick, then expire them), collect_expired_timers(), next_expiry /
 * __next_timer_interrupt() (the per-level pending bitmaps), forward_timer_base().
 * Like the kernel, the buckets due are moved to a list of their own before
 * any callback runs (the kernel's heads[]), so that a callback can re-arm
 * into the bucket being emptied, or cancel a timer of the same batch,
 * without the loop firing it.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "core/timer.h"

/* idx must tell every bucket from the lists; the header promises 40 bytes */
_Static_assert(PP_TIMER_BUCKETS < PP__TIMER_IDX_LIST, "bucket index collides with the list mark");
_Static_assert(sizeof(void *) != 8 || sizeof(struct pp_timer) == 40, "struct pp_timer grew");
/* the range's end plus a top-level granule stays far below the end-of-time tick */
_Static_assert(PP__TIMER_TICK_MAX + PP_TIMER_RANGE_TICKS + PP_TIMER_LVL_GRAN(PP_TIMER_LEVELS - 1) <
	       PP__TIMER_TICK_END, "end-of-time tick too small");

int pp_timer_init(struct pp_timer *t, pp_timer_fn fn)
{
	if (!t || !fn)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->idx = PP__TIMER_IDX_LIST;
	t->magic = PP__TIMER_MAGIC;
	return 0;
}

int pp_timer_wheel_init(struct pp_timer_wheel *w, uint64_t now_ns)
{
	if (!w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->now_ns = now_ns;
	/* every tick up to now's is in the past: the first one to process is the next */
	w->clk = pp__timer_now_tick(now_ns) + 1;
	w->next_ns = UINT64_MAX;
	w->magic = PP__TIMER_WHEEL_MAGIC;
	return 0;
}

/*
 * The first tick at or after w->clk at which a non-empty bucket is due, or
 * UINT64_MAX (cf. __next_timer_interrupt()). Level n is looked at every 8^n
 * ticks; from clk its next 64 slots are c, c+1, ..., c+63 (c = clk rounded
 * up to the level) and each maps to a different bucket, c's first: rotate the
 * level's map so that bit 0 is c's bucket and count trailing zeros.
 */
static uint64_t next_bucket_tick(const struct pp_timer_wheel *w)
{
	uint64_t best = UINT64_MAX;

	for (unsigned int lvl = 0; lvl < PP_TIMER_LEVELS; lvl++) {
		uint64_t map = w->pending[lvl], c, tick;
		unsigned int shift = PP_TIMER_LVL_SHIFT(lvl), r;

		if (!map)
			continue;
		c = (w->clk + PP_TIMER_LVL_GRAN(lvl) - 1) >> shift;
		r = (unsigned int)(c & PP_TIMER_LVL_MASK);
		if (r)
			map = (map >> r) | (map << (PP_TIMER_LVL_SIZE - r));
		tick = (c + (uint64_t)__builtin_ctzll(map)) << shift;
		if (tick < best)
			best = tick;
	}
	return best;
}

/* The cached "nothing is due before": 0 while the expired list waits. */
static uint64_t next_ns(const struct pp_timer_wheel *w)
{
	uint64_t tick;

	if (w->expired)
		return 0;
	tick = next_bucket_tick(w);
	return tick == UINT64_MAX ? UINT64_MAX : pp__timer_tick_ns(tick);
}

/* Move every timer of list @head onto the firing list. */
static void move_to_firing(struct pp_timer_wheel *w, struct pp_timer **head)
{
	struct pp_timer *t;

	while ((t = *head)) {
		*head = t->next;
		if (t->next)
			t->next->pprev = head;
		pp__timer_link(&w->firing, t);
		t->idx = PP__TIMER_IDX_LIST;
	}
}

/*
 * Collect the buckets due at tick @k (cf. collect_expired_timers()): level
 * 0's at every tick, level n's when k is a multiple of 8^n.
 */
static void collect(struct pp_timer_wheel *w, uint64_t k)
{
	for (unsigned int lvl = 0; lvl < PP_TIMER_LEVELS; lvl++) {
		unsigned int shift = PP_TIMER_LVL_SHIFT(lvl);
		unsigned int slot, idx;

		if (lvl && (k & (PP_TIMER_LVL_GRAN(lvl) - 1)))
			break;
		slot = (unsigned int)((k >> shift) & PP_TIMER_LVL_MASK);
		if (!(w->pending[lvl] & (1ull << slot)))
			continue;
		w->pending[lvl] &= ~(1ull << slot);
		idx = (lvl << PP_TIMER_LVL_BITS) + slot;
		move_to_firing(w, &w->bucket[idx]);
	}
}

/*
 * Fire the firing list, one head at a time: a callback may unlink any timer
 * of it (cancel, re-arm), so nothing but the head is ever held across a call.
 */
static uint64_t fire(struct pp_timer_wheel *w)
{
	struct pp_timer *t;
	uint64_t n = 0;

	while ((t = w->firing)) {
		pp__timer_detach(w, t);
		n++;
		t->fn(t);
	}
	return n;
}

int pp__timer_wheel_run_slow(struct pp_timer_wheel *w, uint64_t now_ns)
{
	uint64_t now_tick, fired = 0;
	struct pp_timer *t;

	if (!w || w->magic != PP__TIMER_WHEEL_MAGIC)
		return -EINVAL;
	if (w->running)
		return -EBUSY;
	if (now_ns > w->now_ns)
		w->now_ns = now_ns;
	now_tick = pp__timer_now_tick(w->now_ns);
	w->running = 1;
	/* a run() from a callback must reach the -EBUSY above, not the fast path */
	w->next_ns = 0;

	/* What was armed in the past fires first: it was due earliest. A
	 * callback arming in the past now goes to a fresh expired list, for
	 * the next run. */
	if (w->expired) {
		move_to_firing(w, &w->expired);
		fired += fire(w);
	}
	/* Then the ticks up to now's, skipping the empty ones (cf. the kernel
	 * moving base->clk to next_expiry): the cost is per due bucket, not
	 * per tick the lane slept. */
	while (w->clk <= now_tick) {
		uint64_t k = next_bucket_tick(w);

		if (k > now_tick) {
			w->clk = now_tick + 1;
			break;
		}
		collect(w, k);
		/* before the callbacks: what they arm is measured from k + 1,
		 * so it cannot land in a bucket due at k */
		w->clk = k + 1;
		fired += fire(w);
	}

	w->running = 0;
	/* clk is now's tick + 1: place what callbacks armed while it lagged */
	while ((t = w->deferred)) {
		pp__timer_detach(w, t);
		pp_timer_arm(w, t, t->expires_ns);
	}
	w->next_ns = next_ns(w);
	return fired > INT_MAX ? INT_MAX : (int)fired;
}

uint64_t pp_timer_wheel_next(struct pp_timer_wheel *w)
{
	if (!w || w->magic != PP__TIMER_WHEEL_MAGIC)
		return UINT64_MAX;
	/* exact again: cancels since the last run may have left it early */
	if (!w->running)
		w->next_ns = next_ns(w);
	return next_ns(w);
}

static uint64_t cancel_list(struct pp_timer_wheel *w, struct pp_timer **head)
{
	uint64_t n = 0;
	struct pp_timer *t;

	while ((t = *head)) {
		pp__timer_detach(w, t);
		n++;
	}
	return n;
}

int pp_timer_wheel_fini(struct pp_timer_wheel *w)
{
	uint64_t n = 0;

	if (!w || w->magic != PP__TIMER_WHEEL_MAGIC)
		return -EINVAL;
	if (w->running)
		return -EBUSY;
	n += cancel_list(w, &w->expired);
	n += cancel_list(w, &w->deferred);
	for (unsigned int i = 0; i < PP_TIMER_BUCKETS; i++)
		n += cancel_list(w, &w->bucket[i]);
	memset(w->pending, 0, sizeof(w->pending));
	w->magic = 0;
	/* run() takes its slow path and refuses */
	w->next_ns = 0;
	return n > INT_MAX ? INT_MAX : (int)n;
}
