// SPDX-License-Identifier: MIT
/*
 * test_ring_stress.c - the SPSC ring (pktpipe/ring.h) across two threads
 * pinned to different cores: sequence numbers go through in bursts of
 * 1..256 by every style of call (burst, bulk, reserve/submit/cancel on the
 * producer, burst, bulk, peek/release/cancel on the consumer) and the
 * consumer checks that nothing is lost, duplicated or reordered.
 *
 * Small rings (64, and 1) make full and empty happen all the time, which is
 * where a wrong index or a missing acquire/release shows; TSan checks the
 * pairing too (suite "threaded"). cf. ConcurrencyKit regressions/ck_ring
 * and DPDK app/test/test_ring_stress.c.
 *
 * PP_STRESS_ITEMS=<n> overrides the item count of the main case.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/ring.h"

#if defined(__SANITIZE_THREAD__)
#define PP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PP_TSAN 1
#endif
#endif

/* Under TSan every atomic access is an instrumented call (about 1.6 M
 * items/s here against 20 M): 3 * 10^6 items keeps the run within seconds on
 * 2 cores, with room for a loaded machine inside the minute. */
#ifdef PP_TSAN
#define MAIN_ITEMS 3000000ull
#else
#define MAIN_ITEMS 10000000ull
#endif

#define MAX_BURST 256

/* Items are sequence numbers + 1 dressed as pointers: never NULL. */
#define V(i) ((void *)(uintptr_t)((i) + 1))
#define SEQ(p) ((uint64_t)(uintptr_t)(p) - 1)

struct run {
	struct pp_ring *r;
	uint64_t items;
	uint32_t seed;
	int cpu[2];			/* -1: unpinned */
	atomic_bool stop;		/* set by whoever finds an error */
	/* consumer's findings, read after join */
	uint64_t received;
	uint64_t bad_seq, bad_at;	/* first mismatch: got bad_seq at bad_at */
	/* how often each side found the ring full / empty */
	uint64_t full, empty;
	uint64_t sent;
	uint64_t mode_items[2][3];	/* [side][style] items moved */
};

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Back off after a run of failed attempts: needed when the two threads
 * share a core, kind to other work when they do not. */
static void backoff(unsigned int *fails)
{
	if (++*fails % 64 == 0)
		sched_yield();
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "ring_stress: could not pin to cpu %d, running unpinned\n", cpu);
}

static void *producer(void *arg)
{
	struct run *rn = arg;
	struct pp_ring *r = rn->r;
	uint32_t cap = pp_ring_capacity(r), rnd = rn->seed;
	uint64_t next = 0;
	unsigned int fails = 0;
	void *buf[MAX_BURST];

	pin(rn->cpu[0]);
	while (next < rn->items && !atomic_load_explicit(&rn->stop, memory_order_relaxed)) {
		uint32_t x = xorshift(&rnd);
		uint32_t n = x % MAX_BURST + 1, style = (x >> 8) % 3, done;

		if (n > rn->items - next)
			n = (uint32_t)(rn->items - next);
		if (style == 1 && n > cap)
			n = cap; /* a bulk larger than the ring never fits */
		for (uint32_t i = 0; i < n; i++)
			buf[i] = V(next + i);
		if (style == 0) {
			done = pp_ring_enqueue_burst(r, buf, n);
		} else if (style == 1) {
			done = pp_ring_enqueue_bulk(r, buf, n);
		} else {
			/* in place: reserve, write, sometimes cancel the tail */
			uint32_t idx, got = pp_ring_prod_reserve(r, n, &idx);
			uint32_t drop = (got && (x >> 16) % 4 == 0) ? (x >> 18) % got + 1 : 0;

			for (uint32_t i = 0; i < got; i++)
				*pp_ring_slot(r, idx + i) = V(next + i);
			pp_ring_prod_cancel(r, drop);
			pp_ring_prod_submit(r, got - drop);
			done = got - drop;
		}
		next += done;
		rn->mode_items[0][style] += done;
		if (done < n) {
			rn->full++;
			backoff(&fails);
		}
	}
	rn->sent = next;
	return NULL;
}

static bool check(struct run *rn, void *v, uint64_t expect)
{
	if (PP_LIKELY(SEQ(v) == expect))
		return true;
	rn->bad_seq = SEQ(v);
	rn->bad_at = expect;
	atomic_store(&rn->stop, true);
	return false;
}

static void *consumer(void *arg)
{
	struct run *rn = arg;
	struct pp_ring *r = rn->r;
	uint32_t cap = pp_ring_capacity(r), rnd = rn->seed * 7919u + 1;
	uint64_t expect = 0;
	unsigned int fails = 0;
	void *buf[MAX_BURST];

	pin(rn->cpu[1]);
	while (expect < rn->items && !atomic_load_explicit(&rn->stop, memory_order_relaxed)) {
		uint32_t x = xorshift(&rnd);
		uint32_t n = x % MAX_BURST + 1, style = (x >> 8) % 3, done;

		if (n > rn->items - expect)
			n = (uint32_t)(rn->items - expect);
		if (style == 1 && n > cap)
			n = cap;
		if (style == 0 || style == 1) {
			done = style == 0 ? pp_ring_dequeue_burst(r, buf, n)
					  : pp_ring_dequeue_bulk(r, buf, n);
			for (uint32_t i = 0; i < done; i++)
				if (!check(rn, buf[i], expect + i))
					return NULL;
		} else {
			/* in place: peek, read, release some, put the rest back */
			uint32_t idx, got = pp_ring_cons_peek(r, n, &idx);
			uint32_t keep = (got && (x >> 16) % 4 == 0) ? (x >> 18) % got + 1 : 0;

			for (uint32_t i = 0; i < got; i++)
				if (!check(rn, *pp_ring_slot(r, idx + i), expect + i))
					return NULL;
			pp_ring_cons_cancel(r, keep);
			pp_ring_cons_release(r, got - keep);
			done = got - keep;
		}
		expect += done;
		rn->mode_items[1][style] += done;
		if (done < n) {
			rn->empty++;
			backoff(&fails);
		}
	}
	rn->received = expect;
	return NULL;
}

/* The first two CPUs this process may run on, or -1s with one CPU. */
static void pick_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	if (n < 2) {
		cpu[0] = cpu[1] = -1;
		print_message("ring_stress: only one CPU: producer and consumer run unpinned\n");
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void stress(uint32_t size, uint64_t items, uint32_t seed, bool must_fill)
{
	struct run rn;
	pthread_t tp, tc;
	double t0, dt;

	memset(&rn, 0, sizeof(rn));
	assert_int_equal(pp_ring_create(size, 0, &rn.r), 0);
	/* start the free-running indices just below the wrap */
	assert_int_equal(pp_ring_reset(rn.r, UINT32_MAX - 1000), 0);
	rn.items = items;
	rn.seed = seed;
	atomic_init(&rn.stop, false);
	pick_cpus(rn.cpu);

	t0 = now_s();
	assert_int_equal(pthread_create(&tc, NULL, consumer, &rn), 0);
	assert_int_equal(pthread_create(&tp, NULL, producer, &rn), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	dt = now_s() - t0;

	print_message("ring_stress: size %u, %llu items in %.2f s (%.1f Mitems/s), cpus %d/%d, "
		      "full %llu, empty %llu; producer burst/bulk/reserve %llu/%llu/%llu, "
		      "consumer burst/bulk/peek %llu/%llu/%llu\n",
		      size, (unsigned long long)items, dt, (double)items / dt / 1e6, rn.cpu[0],
		      rn.cpu[1], (unsigned long long)rn.full, (unsigned long long)rn.empty,
		      (unsigned long long)rn.mode_items[0][0], (unsigned long long)rn.mode_items[0][1],
		      (unsigned long long)rn.mode_items[0][2], (unsigned long long)rn.mode_items[1][0],
		      (unsigned long long)rn.mode_items[1][1], (unsigned long long)rn.mode_items[1][2]);
	if (atomic_load(&rn.stop))
		fail_msg("consumer got item %llu where %llu was due (lost, duplicated or reordered)",
			 (unsigned long long)rn.bad_seq, (unsigned long long)rn.bad_at);
	assert_int_equal(rn.sent, items);
	assert_int_equal(rn.received, items);
	assert_true(pp_ring_empty(rn.r));
	assert_null(pp_ring_dequeue(rn.r));
	/* the run really exercised full, empty and every style of call */
	if (must_fill)
		assert_true(rn.full > 0);
	assert_true(rn.empty > 0);
	for (int side = 0; side < 2; side++)
		for (int style = 0; style < 3; style++)
			assert_true(rn.mode_items[side][style] > 0);
	pp_ring_destroy(rn.r);
}

static uint64_t main_items(void)
{
	const char *e = getenv("PP_STRESS_ITEMS");

	if (e && *e) {
		uint64_t n = strtoull(e, NULL, 0);

		if (n)
			return n;
	}
	return MAIN_ITEMS;
}

/* The main case: >= 10^7 items (plain build) through a ring of 64. */
static void test_stress_ring64(void **state)
{
	(void)state;
	stress(64, main_items(), 0x12345678u, true);
}

/* A ring of 1: every item is a full and an empty. */
static void test_stress_ring1(void **state)
{
	(void)state;
	stress(1, main_items() / 100, 0x9e3779b9u, true);
}

/* A ring larger than the largest burst: whole 256-bursts go through. */
static void test_stress_ring1024(void **state)
{
	(void)state;
	stress(1024, main_items() / 4, 0xdeadbeefu, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_ring64),
		cmocka_unit_test(test_stress_ring1),
		cmocka_unit_test(test_stress_ring1024),
	};

	return cmocka_run_group_tests_name("ring_stress", tests, NULL, NULL);
}
