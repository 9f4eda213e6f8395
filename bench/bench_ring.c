// SPDX-License-Identifier: MIT
/*
 * bench_ring.c - the SPSC ring at a stage boundary (pktpipe/ring.h) against
 * its peers in the same binary: ConcurrencyKit's ck_ring (spsc calls) and
 * DPDK's rte_ring in SP/SC mode (cf. DPDK app/test/test_ring_perf.c, and
 * /work/shared/peers/src/ring_bench.c, whose shape the cross-core cases copy).
 *
 * Cases:
 *   ring/<impl>/samecore/burst:<n>   one thread enqueues n values, then
 *                                    dequeues them (n items per iteration)
 *   ring/<impl>/crosscore/burst:<n>  a producer thread pinned to core 0
 *                                    enqueues bursts of n; the timed thread,
 *                                    pinned to core 1, dequeues bursts of n:
 *                                    items handed over per second of wall time
 *   ring/<impl>/samecore/empty_poll  one failed dequeue of a burst of 32 from
 *                                    an empty ring (one "item" = one poll)
 *   c2c/pingpong/crosscore           round trip of one cache line between
 *                                    core 0 and core 1 (one item = one round
 *                                    trip): where the host put the two vCPUs,
 *                                    which every cross-core figure moves with
 *
 * Fairness: every ring has 4096 slots (ck and rte hold 4095), carries the
 * values 1, 2, 3, ... as pointers, and the consumer checks their order in
 * the same way; a side that finds the ring full or empty executes one PAUSE
 * and tries again (pp__bench_pause()). ck_ring 0.7.1 has no burst calls: its
 * "burst:n" is n single ck_ring_enqueue_spsc() calls (stopping at the first
 * that fails) and up to n single ck_ring_dequeue_spsc() calls.
 *
 * rte_ring is used without the EAL: rte_ring_get_memsize() + rte_ring_init()
 * on cache-line aligned memory with RING_F_SP_ENQ | RING_F_SC_DEQ.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <ck_ring.h>
/* DPDK 22.11's rte_ring.h compiles clean at warning_level=2 (checked with
 * -Wpedantic too); should a later DPDK warn, silence it here, around this
 * include only, with #pragma GCC diagnostic push/ignored/pop. */
#include <rte_ring.h>

#include "bench.h"
#include "bench_util.h"

#include "core/ring.h"

#define RING_SLOTS 4096
#define RING_BURST_MAX 256
#define EMPTY_POLL_BURST PP_BURST

enum ring_impl { RING_PP, RING_CK, RING_RTE };
enum ring_place { RING_SAME, RING_CROSS, RING_EMPTY };

struct ring_param {
	uint8_t impl;	/* enum ring_impl */
	uint8_t place;	/* enum ring_place */
	uint16_t burst;
};

struct ring_bench {
	/* const after setup */
	uint32_t burst;
	uint8_t impl;
	uint8_t place;
	struct pp_ring *pp;
	struct ck_ring *ck;
	struct ck_ring_buffer *ck_buf;
	struct rte_ring *rte;
	void *saved_affinity;
	bool producer_running;
	/* (C) the timed thread */
	alignas(64) uint64_t expect;	/* next value the consumer must see */
	uint64_t order_errors;
	uint32_t order_reported;
	uint64_t next;			/* samecore: next value to enqueue */
	void *out[RING_BURST_MAX];
	void *in[RING_BURST_MAX];	/* samecore producer side */
	/* (P) the cross-core producer thread */
	alignas(64) uint64_t full_spins;
	void *pbuf[RING_BURST_MAX];
	struct pp__bench_thread prod;
};

/* ---- the three rings behind one call each way ---------------------------- */

/* @impl is a constant at every call site, so each caller is specialised to
 * one ring with no branch left in its loop. */
static inline __attribute__((always_inline)) uint32_t
ring_put(struct ring_bench *b, const int impl, void *const *v, uint32_t n)
{
	uint32_t i = 0;

	switch (impl) {
	case RING_PP:
		return pp_ring_enqueue_burst(b->pp, v, n);
	case RING_CK:
		/* no burst call in ck 0.7.1: n single calls */
		while (i < n && ck_ring_enqueue_spsc(b->ck, b->ck_buf, v[i]))
			i++;
		return i;
	case RING_RTE:
		return rte_ring_sp_enqueue_burst(b->rte, v, n, NULL);
	}
	return 0;
}

static inline __attribute__((always_inline)) uint32_t
ring_get(struct ring_bench *b, const int impl, void **v, uint32_t n)
{
	uint32_t i = 0;

	switch (impl) {
	case RING_PP:
		return pp_ring_dequeue_burst(b->pp, v, n);
	case RING_CK:
		while (i < n && ck_ring_dequeue_spsc(b->ck, b->ck_buf, &v[i]))
			i++;
		return i;
	case RING_RTE:
		return rte_ring_sc_dequeue_burst(b->rte, v, n, NULL);
	}
	return 0;
}

/* Values must arrive 1, 2, 3, ...: one compare and add per value, on
 * locals of the caller's loop (kept in registers). */
static inline void check_order(uint64_t *expect, uint64_t *errs, void *const *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t val = (uint64_t)(uintptr_t)v[i];

		*errs += val != *expect;
		*expect = val + 1;
	}
}

/* Report a broken order once per case (run() and teardown() both check). */
static uint64_t report_order(struct ring_bench *b, uint64_t moved)
{
	if (b->order_errors && !b->order_reported++)
		pp__bench_fail("values lost or out of order: %llu errors (next expected %llu)",
			       (unsigned long long)b->order_errors, (unsigned long long)b->expect);
	return moved;
}

/* ---- bodies -------------------------------------------------------------- */

static inline __attribute__((always_inline)) uint64_t
run_same(struct ring_bench *b, const int impl, uint64_t iters)
{
	const uint32_t n = b->burst;
	uint64_t next = b->next, moved = 0, expect = b->expect, errs = 0;

	for (uint64_t it = 0; it < iters; it++) {
		for (uint32_t i = 0; i < n; i++)
			b->in[i] = (void *)(uintptr_t)(next + i);
		uint32_t put = ring_put(b, impl, b->in, n);
		uint32_t got = ring_get(b, impl, b->out, n);

		if (put != n || got != n) {
			pp__bench_fail("samecore: enqueued %u and dequeued %u of %u on an empty ring",
				       put, got, n);
			break;
		}
		check_order(&expect, &errs, b->out, n);
		next += n;
		moved += n;
	}
	b->next = next;
	b->expect = expect;
	b->order_errors += errs;
	return report_order(b, moved);
}

/* Consumer of the cross-core case: runs on the timed thread (core 1). */
static inline __attribute__((always_inline)) uint64_t
run_cross(struct ring_bench *b, const int impl, uint64_t iters)
{
	const uint32_t n = b->burst;
	const uint64_t want = iters * n;
	uint64_t got = 0, expect = b->expect, errs = 0;

	while (got < want) {
		uint32_t k = ring_get(b, impl, b->out, n);

		if (!k) {
			pp__bench_pause();
			continue;
		}
		check_order(&expect, &errs, b->out, k);
		got += k;
	}
	b->expect = expect;
	b->order_errors += errs;
	return report_order(b, got);
}

static inline __attribute__((always_inline)) uint64_t
run_empty(struct ring_bench *b, const int impl, uint64_t iters)
{
	uint64_t got = 0;

	for (uint64_t it = 0; it < iters; it++)
		got += ring_get(b, impl, b->out, EMPTY_POLL_BURST);
	if (got)
		pp__bench_fail("empty_poll: dequeued %llu values from an empty ring",
			       (unsigned long long)got);
	return iters;
}

/* Producer of the cross-core case (core 0): bursts of 1, 2, 3, ... until
 * stopped. It looks at the stop flag only when the ring is full: teardown
 * comes after the consumer has stopped, so the ring then fills. */
static inline __attribute__((always_inline)) void
produce(struct pp__bench_thread *t, const int impl)
{
	struct ring_bench *b = t->arg;
	const uint32_t n = b->burst;
	uint64_t next = 1, spins = 0;

	for (;;) {
		uint32_t done = 0;

		for (uint32_t i = 0; i < n; i++)
			b->pbuf[i] = (void *)(uintptr_t)(next + i);
		while (done < n) {
			uint32_t k = ring_put(b, impl, b->pbuf + done, n - done);

			done += k;
			if (!k) {
				if (pp__bench_thread_stopping(t))
					goto out;
				spins++;
				pp__bench_pause();
			}
		}
		next += n;
	}
out:
	b->full_spins = spins;
}

#define RING_FNS(IMPL)                                                            \
	static uint64_t run_SAME_##IMPL(void *s, uint64_t it)                     \
	{                                                                         \
		return run_same(s, RING_##IMPL, it);                              \
	}                                                                         \
	static uint64_t run_CROSS_##IMPL(void *s, uint64_t it)                    \
	{                                                                         \
		return run_cross(s, RING_##IMPL, it);                             \
	}                                                                         \
	static uint64_t run_EMPTY_##IMPL(void *s, uint64_t it)                    \
	{                                                                         \
		return run_empty(s, RING_##IMPL, it);                             \
	}                                                                         \
	static void *produce_##IMPL(struct pp__bench_thread *t)                   \
	{                                                                         \
		produce(t, RING_##IMPL);                                          \
		return NULL;                                                      \
	}
RING_FNS(PP)
RING_FNS(CK)
RING_FNS(RTE)

/* ---- setup / teardown ---------------------------------------------------- */

static void ring_teardown(void *state)
{
	struct ring_bench *b = state;

	if (!b)
		return;
	if (b->producer_running)
		pp__bench_thread_stop(&b->prod);
	report_order(b, 0);
	pp__bench_affinity_restore(b->saved_affinity);
	pp_ring_destroy(b->pp);
	free(b->ck);
	free(b->ck_buf);
	free(b->rte);
	free(b);
}

static int make_ring(struct ring_bench *b)
{
	ssize_t len;

	switch (b->impl) {
	case RING_PP:
		return pp_ring_create(RING_SLOTS, 0, &b->pp);
	case RING_CK:
		b->ck = pp__bench_zalloc(sizeof(*b->ck));
		b->ck_buf = pp__bench_zalloc(sizeof(*b->ck_buf) * RING_SLOTS);
		if (!b->ck || !b->ck_buf)
			return -ENOMEM;
		ck_ring_init(b->ck, RING_SLOTS);
		return 0;
	case RING_RTE:
		len = rte_ring_get_memsize(RING_SLOTS);
		if (len < 0)
			return (int)len;
		b->rte = pp__bench_zalloc((size_t)len);
		if (!b->rte)
			return -ENOMEM;
		return rte_ring_init(b->rte, "pp_bench", RING_SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	return -EINVAL;
}

static void *(*const producers[])(struct pp__bench_thread *) = {
	[RING_PP] = produce_PP, [RING_CK] = produce_CK, [RING_RTE] = produce_RTE,
};

static void *ring_setup(const void *param)
{
	const struct ring_param *p = param;
	struct ring_bench *b;
	unsigned int ncores = pp__bench_ncores();
	int err;

	if (p->place == RING_CROSS && ncores < 2) {
		pp__bench_fail("crosscore needs two cores, hwloc sees %u", ncores);
		return NULL;
	}
	b = pp__bench_zalloc(sizeof(*b));
	if (!b) {
		pp__bench_fail("out of memory");
		return NULL;
	}
	b->burst = p->burst;
	b->impl = p->impl;
	b->place = p->place;
	b->expect = 1;
	b->next = 1;
	err = make_ring(b);
	if (err) {
		pp__bench_fail("cannot make the ring: %d", err);
		goto err_bench;
	}
	b->saved_affinity = pp__bench_affinity_save();
	err = pp__bench_pin(ncores >= 2 ? PP_BENCH_CORE_B : 0);
	if (err) {
		pp__bench_fail("cannot pin the timed thread: %d", err);
		goto err_bench;
	}
	if (p->place == RING_CROSS) {
		err = pp__bench_thread_start(&b->prod, "pb-ring-prod", PP_BENCH_CORE_A,
					     producers[p->impl], b);
		if (err) {
			pp__bench_fail("cannot start the pinned producer: %d", err);
			goto err_bench;
		}
		b->producer_running = true;
	}
	return b;

err_bench:
	ring_teardown(b);
	return NULL;
}

/* ---- cache-line round trip between the two cores ------------------------- */

struct c2c_bench {
	alignas(64) _Atomic uint64_t flag;	/* odd: ping sent; even: pong answered */
	alignas(64) void *saved_affinity;
	struct pp__bench_thread pong;
};

static void *c2c_pong(struct pp__bench_thread *t)
{
	struct c2c_bench *c = t->arg;

	/* no PAUSE here: it would add to the round trip it measures */
	while (!pp__bench_thread_stopping(t)) {
		uint64_t v = atomic_load_explicit(&c->flag, memory_order_acquire);

		if (v & 1)
			atomic_store_explicit(&c->flag, v + 1, memory_order_release);
	}
	return NULL;
}

static uint64_t c2c_run(void *state, uint64_t iters)
{
	struct c2c_bench *c = state;
	uint64_t v = atomic_load_explicit(&c->flag, memory_order_relaxed);

	for (uint64_t i = 0; i < iters; i++, v += 2) {
		atomic_store_explicit(&c->flag, v + 1, memory_order_release);
		while (atomic_load_explicit(&c->flag, memory_order_acquire) != v + 2)
			;
	}
	return iters;
}

static void c2c_teardown(void *state)
{
	struct c2c_bench *c = state;

	pp__bench_thread_stop(&c->pong);
	pp__bench_affinity_restore(c->saved_affinity);
	free(c);
}

static void *c2c_setup(const void *param)
{
	struct c2c_bench *c;
	int err;

	(void)param;
	if (pp__bench_ncores() < 2) {
		pp__bench_fail("needs two cores");
		return NULL;
	}
	c = pp__bench_zalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->saved_affinity = pp__bench_affinity_save();
	err = pp__bench_pin(PP_BENCH_CORE_B);
	if (!err)
		err = pp__bench_thread_start(&c->pong, "pb-c2c-pong", PP_BENCH_CORE_A, c2c_pong, c);
	if (err) {
		pp__bench_fail("cannot pin: %d", err);
		pp__bench_affinity_restore(c->saved_affinity);
		free(c);
		return NULL;
	}
	return c;
}

/* ---- the definitions ----------------------------------------------------- */

#define RING_CASE(impl_s, IMPL, place_s, PLACE, B)                                       \
	{                                                                                \
		"ring/" impl_s "/" place_s "/burst:" #B, ring_setup, run_##PLACE##_##IMPL, \
			ring_teardown, &(const struct ring_param){ RING_##IMPL, RING_##PLACE, B } \
	}
/* the three rings side by side, so that their figures are taken minutes
 * apart at most (cross-core figures drift with the vCPUs' placement) */
#define RING_TRIO(place_s, PLACE, B)                                               \
	RING_CASE("pktpipe", PP, place_s, PLACE, B), RING_CASE("ck", CK, place_s, PLACE, B), \
		RING_CASE("rte", RTE, place_s, PLACE, B)
#define EMPTY_CASE(impl_s, IMPL)                                                         \
	{                                                                                \
		"ring/" impl_s "/samecore/empty_poll", ring_setup, run_EMPTY_##IMPL,        \
			ring_teardown,                                                   \
			&(const struct ring_param){ RING_##IMPL, RING_EMPTY, EMPTY_POLL_BURST } \
	}

static const struct pp_bench_def ring_defs[] = {
	{ "c2c/pingpong/crosscore", c2c_setup, c2c_run, c2c_teardown, NULL },
	RING_TRIO("samecore", SAME, 1),
	RING_TRIO("samecore", SAME, 8),
	RING_TRIO("samecore", SAME, 32),
	RING_TRIO("samecore", SAME, 64),
	RING_TRIO("samecore", SAME, 256),
	EMPTY_CASE("pktpipe", PP),
	EMPTY_CASE("ck", CK),
	EMPTY_CASE("rte", RTE),
	RING_TRIO("crosscore", CROSS, 1),
	RING_TRIO("crosscore", CROSS, 8),
	RING_TRIO("crosscore", CROSS, 32),
	RING_TRIO("crosscore", CROSS, 64),
	RING_TRIO("crosscore", CROSS, 256),
};

const struct pp_bench_def *pp_bench_ring_defs(size_t *n);

const struct pp_bench_def *pp_bench_ring_defs(size_t *n)
{
	*n = sizeof(ring_defs) / sizeof(ring_defs[0]);
	return ring_defs;
}
