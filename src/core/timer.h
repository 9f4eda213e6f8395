/* SPDX-License-Identifier: MIT */
/*
 * timer.h (internal) - the per-lane timer wheel: every timeout the protocols
 * have (RTO, delayed ACK, persist, keepalive, TIME_WAIT, neighbour ageing,
 * reassembly expiry) on one wheel per lane, with O(1) arm, re-arm and cancel.
 *
 * cf. the kernel's kernel/time/timer.c since 4.8: a hierarchical wheel of
 * PP_TIMER_LEVELS levels of 64 buckets, each level 8 times coarser than the
 * one below, and no cascading. A timer is put once, at arm time, into the
 * bucket of the finest level that still reaches its expiry, rounded UP to
 * that level's granularity; it is not touched again until it fires or is
 * cancelled. Why this and not a hashed wheel with a far list:
 *   - arm and cancel are O(1) with no far list to sweep or cascade: TCP's
 *     timers are re-armed on nearly every ACK and cancelled long before they
 *     expire, so the work a cascading or sweeping wheel spends moving a timer
 *     closer to its expiry is wasted on almost every one of them;
 *   - a 64-bit map of the non-empty buckets per level finds the next expiry
 *     in PP_TIMER_LEVELS count-trailing-zeros, so an idle lane knows how long
 *     it may sleep (pp_timer_wheel_next()) and run() skips empty ticks;
 *   - the price is the kernel's documented slack: a timer at level n fires
 *     up to 8^n ticks late, i.e. less than 1/7.875 (12.7%) of its delay, and
 *     never early. At 1 ms ticks: 0-63 ms exact to the tick, <= 504 ms within
 *     8 ms, <= 4 s within 64 ms, ... up to ~12.2 days within ~4.7 hours.
 *
 * Time: the wheel never reads the clock. init() and run() are handed "now"
 * (pp__now_ns() in a lane); the wheel remembers the latest it was handed and
 * arm() measures against it. Expiries are absolute CLOCK_MONOTONIC ns.
 * Ticks are now_ns / PP_TIMER_TICK_NS (a uint64_t that cannot wrap: the
 * largest tick is UINT64_MAX / 10^6); every ns <-> tick conversion rounds
 * without overflowing (expiries round up, "now" rounds down, tick -> ns
 * saturates at UINT64_MAX) anywhere in the uint64_t range. now_ns ==
 * UINT64_MAX is the end of time: everything still armed fires.
 *
 * Concurrency: a wheel belongs to one lane and only that lane's thread calls
 * anything here (no atomics, no locks). Timer callbacks run on that thread,
 * inside pp_timer_wheel_run(), and may call:
 *
 *   from a callback        arm  cancel  pending  next  run  init  fini
 *   its own timer          yes  yes     yes      yes   no   no    no
 *   another timer/wheel    yes  yes     yes      yes   no   no    no
 *
 * including timers due in the same run (a cancelled one does not fire, a
 * re-armed one fires at its new expiry).
 *
 * The structs are visible only so that the hot calls inline: do not touch
 * the members (expires_ns may be read: pp_timer_expires()).
 */
#ifndef PP_CORE_TIMER_H
#define PP_CORE_TIMER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <pktpipe/common.h>

#include "core/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One tick: 1 ms, the kernel's jiffy at HZ=1000. */
#define PP_TIMER_TICK_NS PP_NSEC_PER_MSEC
/* Buckets per level (the kernel's LVL_BITS) and 8x coarser per level (LVL_CLK_SHIFT). */
#define PP_TIMER_LVL_BITS 6
#define PP_TIMER_LVL_SIZE (1u << PP_TIMER_LVL_BITS)
#define PP_TIMER_LVL_MASK ((uint64_t)PP_TIMER_LVL_SIZE - 1)
#define PP_TIMER_LVL_CLK_SHIFT 3
/* 9 levels as the kernel at HZ=1000 (LVL_DEPTH): a range of about 12.2 days. */
#define PP_TIMER_LEVELS 9
#define PP_TIMER_BUCKETS (PP_TIMER_LEVELS * PP_TIMER_LVL_SIZE)
#define PP_TIMER_LVL_SHIFT(n) ((n) * PP_TIMER_LVL_CLK_SHIFT)
/* Granularity of level n in ticks (the kernel's LVL_GRAN()). */
#define PP_TIMER_LVL_GRAN(n) (1ull << PP_TIMER_LVL_SHIFT(n))
/* Furthest tick level n reaches from the wheel's clock: 63 of its buckets. */
#define PP_TIMER_LVL_REACH(n) ((PP_TIMER_LVL_MASK) << PP_TIMER_LVL_SHIFT(n))
/*
 * The wheel's range: an expiry further than this many ticks ahead is
 * clamped to it (cf. WHEEL_TIMEOUT_MAX): the timer fires then, EARLY, and its
 * owner sees pp_timer_expires(t) still ahead and re-arms. 63 << 24 ticks =
 * 1056964608 ms, about 12.2 days; no protocol timer is that long (TCP's
 * keepalive tops out at 32767 s).
 */
#define PP_TIMER_RANGE_TICKS PP_TIMER_LVL_REACH(PP_TIMER_LEVELS - 1)
#define PP_TIMER_RANGE_NS (PP_TIMER_RANGE_TICKS * PP_TIMER_TICK_NS)

/* Largest tick an ns value floors to, and a tick beyond every bucket (the
 * end of time: now_ns == UINT64_MAX; 2^62 leaves room to add to it). */
#define PP__TIMER_TICK_MAX (UINT64_MAX / PP_TIMER_TICK_NS)
#define PP__TIMER_TICK_END (1ull << 62)
/* timer->idx of a pending timer on the wheel's expired, firing or deferred list */
#define PP__TIMER_IDX_LIST 0xffffu
#define PP__TIMER_MAGIC 0x746d7231u	/* "tmr1" */
#define PP__TIMER_WHEEL_MAGIC 0x77686c31u	/* "whl1" */

struct pp_timer;

/* A callback: the owner finds its object with container_of(t, ...). */
typedef void (*pp_timer_fn)(struct pp_timer *t);

/*
 * An intrusive timer (cf. struct timer_list): embed it in the object it times
 * out; the wheel never allocates. 40 bytes. Do not touch the members.
 */
struct pp_timer {
	struct pp_timer *next;		/* (W) bucket/list link */
	struct pp_timer **pprev;	/* (W) NULL when not pending (cf. hlist_node) */
	uint64_t expires_ns;		/* (W) what the last arm asked for */
	pp_timer_fn fn;			/* const after init */
	uint32_t magic;			/* const after init: refuses an uninitialised timer */
	uint16_t idx;			/* (W) bucket, or PP__TIMER_IDX_LIST */
	uint16_t pad;
};

/*
 * A lane's wheel (about 4.8 KiB). next_ns and now_ns are all that run()
 * reads and writes when nothing is due: they lead the first cache line.
 * (W) = written only by the owning lane's thread.
 */
struct pp_timer_wheel {
	uint64_t next_ns;	/* (W) hot: nothing is due before this (0: the expired list waits) */
	uint64_t now_ns;	/* (W) hot: the latest "now" run() or init() was handed */
	uint64_t clk;		/* (W) next tick to process: every bucket before it is done */
	uint32_t magic;		/* const after init */
	uint8_t running;	/* (W) inside run(): clk must not move under the callbacks */
	uint8_t pad[3];
	struct pp_timer *expired;	/* (W) armed at or before now_ns: fire on the next run */
	struct pp_timer *firing;	/* (W) the batch the running run() is firing */
	struct pp_timer *deferred;	/* (W) armed by callbacks while run() catches up */
	uint64_t pending[PP_TIMER_LEVELS];	/* (W) bit i: bucket i of the level is non-empty */
	struct pp_timer *bucket[PP_TIMER_BUCKETS];	/* (W) level * 64 + slot */
};

/* ---- internal helpers (inline only so that arm/cancel/run inline) ---------- */

/* Floor of now to a tick; UINT64_MAX is the end of time, after every bucket. */
static inline uint64_t pp__timer_now_tick(uint64_t now_ns)
{
	return now_ns == UINT64_MAX ? PP__TIMER_TICK_END : now_ns / PP_TIMER_TICK_NS;
}

/* Tick -> ns of its start, saturating (a tick past TICK_MAX starts after UINT64_MAX). */
static inline uint64_t pp__timer_tick_ns(uint64_t tick)
{
	return tick > PP__TIMER_TICK_MAX ? UINT64_MAX : tick * PP_TIMER_TICK_NS;
}

static inline void pp__timer_link(struct pp_timer **head, struct pp_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

/* Unlink a pending timer from wherever it is; an emptied bucket leaves the map. */
static inline void pp__timer_detach(struct pp_timer_wheel *w, struct pp_timer *t)
{
	unsigned int idx = t->idx;

	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	if (idx < PP_TIMER_BUCKETS && !w->bucket[idx])
		w->pending[idx >> PP_TIMER_LVL_BITS] &= ~(1ull << (idx & PP_TIMER_LVL_MASK));
}

static inline bool pp__timer_bad(const struct pp_timer_wheel *w, const struct pp_timer *t)
{
	return !w || w->magic != PP__TIMER_WHEEL_MAGIC || !t || t->magic != PP__TIMER_MAGIC ||
	       !t->fn;
}

/* The slow half of pp_timer_wheel_run(): something may be due. */
int pp__timer_wheel_run_slow(struct pp_timer_wheel *w, uint64_t now_ns);

/* ---- the API --------------------------------------------------------------- */

/**
 * pp_timer_init() - make @t a timer that calls @fn when it fires; not pending.
 * Must not be called on a pending timer (cancel it first).
 * Return: 0, or -EINVAL if @t or @fn is NULL.
 * Context: the thread that owns the wheel @t will be armed on (or before the
 * timer is published to it).
 */
int pp_timer_init(struct pp_timer *t, pp_timer_fn fn);

/**
 * pp_timer_pending() - whether @t is armed and has not fired or been cancelled
 * (cf. timer_pending()). False inside its own callback unless it re-armed.
 * Return: true or false (false for NULL or an uninitialised timer).
 * Context: the wheel's thread.
 */
static inline bool pp_timer_pending(const struct pp_timer *t)
{
	return t && t->magic == PP__TIMER_MAGIC && t->pprev;
}

/**
 * pp_timer_expires() - the expiry @t was last armed with (ns). A callback
 * compares it with the time to tell a clamped timer (beyond the wheel's
 * range, fired early) from a due one.
 * Return: the expiry in ns (0 if never armed or @t is NULL).
 * Context: the wheel's thread.
 */
static inline uint64_t pp_timer_expires(const struct pp_timer *t)
{
	return t ? t->expires_ns : 0;
}

/**
 * pp_timer_arm() - arm @t to fire at @expires_ns on @w, or move it there if
 * it is already pending (cf. mod_timer()). O(1): no allocation, no scan.
 *
 * It fires in the first pp_timer_wheel_run() whose now is at or past the
 * expiry rounded up to the tick and to the granularity of the level its
 * distance puts it on: never early, at most one level granule late. An
 * expiry at or before the latest now the wheel was handed fires on the next
 * run (armed from a callback: on the run after this one, so a timer that
 * re-arms itself in the past cannot loop). One beyond PP_TIMER_RANGE_NS from
 * now is clamped to the range's end (see PP_TIMER_RANGE_TICKS).
 * A re-arm that lands in the bucket the timer is already in only updates its
 * expiry (cf. mod_timer()'s same-bucket shortcut).
 *
 * Return: 1 if @t was pending (re-armed), 0 if it was not (armed), -EINVAL
 * if @w or @t is NULL or not initialised.
 * Context: @w's thread, callbacks included. A pending timer belongs to one
 * wheel: re-arm it only on that one.
 */
static inline int pp_timer_arm(struct pp_timer_wheel *w, struct pp_timer *t, uint64_t expires_ns)
{
	uint64_t e_tick, base, delta, slot;
	unsigned int lvl, shift, idx;
	int was;

	if (PP_UNLIKELY(pp__timer_bad(w, t)))
		return -EINVAL;
	was = t->pprev != NULL;
	t->expires_ns = expires_ns;
	if (PP_UNLIKELY(expires_ns <= w->now_ns))
		goto expired;
	/* Round up: a tick is reached when now >= its start, never before the expiry. */
	e_tick = expires_ns / PP_TIMER_TICK_NS + (expires_ns % PP_TIMER_TICK_NS != 0);
	/*
	 * Bring the clock up to now (cf. forward_timer_base()): run() only stored
	 * now when nothing was due, and measuring from a stale clock would put a
	 * short timer on a coarse level. Safe outside run(): no bucket is due at
	 * or before now's tick then. Inside run(), while ticks before now's are
	 * still to be processed (a lane catching up), clk must stay, so the
	 * timer waits on the deferred list and run() places it at its end.
	 */
	base = pp__timer_now_tick(w->now_ns) + 1;
	if (base > w->clk) {
		if (PP_UNLIKELY(w->running))
			goto deferred;
		w->clk = base;
	}
	if (PP_UNLIKELY(e_tick < w->clk))
		goto expired;
	delta = e_tick - w->clk;
	if (PP_UNLIKELY(delta > PP_TIMER_RANGE_TICKS)) {
		delta = PP_TIMER_RANGE_TICKS;
		e_tick = w->clk + delta;
	}
	/* The finest level whose 63 buckets reach it (cf. calc_wheel_index()). */
	for (lvl = 0; delta > PP_TIMER_LVL_REACH(lvl); lvl++)
		;
	shift = PP_TIMER_LVL_SHIFT(lvl);
	/* Round up to the level's granularity: late by less than a granule, never early. */
	slot = (e_tick + PP_TIMER_LVL_GRAN(lvl) - 1) >> shift;
	idx = (lvl << PP_TIMER_LVL_BITS) + (unsigned int)(slot & PP_TIMER_LVL_MASK);
	if (was) {
		if (t->idx == idx)
			return 1;	/* same bucket, hence same slot: nothing moves */
		pp__timer_detach(w, t);
	}
	pp__timer_link(&w->bucket[idx], t);
	t->idx = (uint16_t)idx;
	w->pending[lvl] |= 1ull << (slot & PP_TIMER_LVL_MASK);
	base = pp__timer_tick_ns(slot << shift);
	if (base < w->next_ns)
		w->next_ns = base;
	return was;

expired:
	if (was)
		pp__timer_detach(w, t);
	pp__timer_link(&w->expired, t);
	t->idx = PP__TIMER_IDX_LIST;
	w->next_ns = 0;
	return was;

deferred:
	if (was)
		pp__timer_detach(w, t);
	pp__timer_link(&w->deferred, t);
	t->idx = PP__TIMER_IDX_LIST;
	return was;
}

/**
 * pp_timer_cancel() - take @t off @w if it is pending (cf. del_timer()). O(1).
 * From a callback it also stops a timer due in the same run from firing.
 * Return: 1 if @t was pending, 0 if not, -EINVAL if @w or @t is NULL or not
 * initialised.
 * Context: @w's thread, callbacks included.
 */
static inline int pp_timer_cancel(struct pp_timer_wheel *w, struct pp_timer *t)
{
	if (PP_UNLIKELY(pp__timer_bad(w, t)))
		return -EINVAL;
	if (!t->pprev)
		return 0;
	/* The wheel's next_ns may now be early: the next run() refreshes it. */
	pp__timer_detach(w, t);
	return 1;
}

/**
 * pp_timer_wheel_init() - an empty wheel whose time starts at @now_ns.
 * Return: 0, or -EINVAL if @w is NULL.
 * Context: the lane's thread, or before the lane starts.
 */
int pp_timer_wheel_init(struct pp_timer_wheel *w, uint64_t now_ns);

/**
 * pp_timer_wheel_run() - fire every timer due at @now_ns (cf. run_timers()),
 * each callback once, on this thread. The lane calls it on every poll: when
 * nothing is due it costs one compare with the cached time of the next due
 * bucket (w->next_ns) and one store of @now_ns (so that arm() knows the time
 * without reading the clock). @now_ns must not go backwards (a smaller one
 * does nothing wrong, but fires nothing).
 * Return: how many timers fired (capped at INT_MAX), -EINVAL if @w is NULL
 * or not initialised (zeroed, or after fini), -EBUSY if called from a callback.
 * Context: @w's thread.
 */
static inline int pp_timer_wheel_run(struct pp_timer_wheel *w, uint64_t now_ns)
{
	/* The NULL test folds away when @w is a member of a lane already used. */
	if (PP_LIKELY(w && now_ns < w->next_ns)) {
		w->now_ns = now_ns;
		return 0;
	}
	return pp__timer_wheel_run_slow(w, now_ns);
}

/**
 * pp_timer_wheel_next() - the earliest time (ns) anything armed on @w may be
 * due, so that an idle lane can sleep until then (cf. get_next_timer_interrupt()).
 * It is exact to the bucket (a timer's slack included); it is the wheel's
 * last now or earlier when something already waits for the next run.
 * Return: that time, or UINT64_MAX if nothing is armed (or @w is NULL; or
 * everything armed is due only at the end of time, UINT64_MAX itself).
 * Context: @w's thread.
 */
uint64_t pp_timer_wheel_next(struct pp_timer_wheel *w);

/**
 * pp_timer_wheel_fini() - cancel every timer still armed on @w (none fires)
 * and mark @w unusable until the next init.
 * Return: how many were cancelled (capped at INT_MAX), -EINVAL if @w is NULL
 * or not initialised, -EBUSY if called from a callback.
 * Context: @w's thread.
 */
int pp_timer_wheel_fini(struct pp_timer_wheel *w);

#ifdef __cplusplus
}
#endif
#endif /* PP_CORE_TIMER_H */
