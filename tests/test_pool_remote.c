// SPDX-License-Identifier: MIT
/*
 * test_pool_remote.c - frames freed on another thread go home (pktpipe/skb.h,
 * src/core/pool.c): the path of a completion thread handing TX frames back
 * to the lane that owns them (cf. the kernel's page_pool recycling to the
 * NAPI owner, DPDK's per-lcore mempool caches).
 *
 *  - a lane allocates and passes its skbs over a pp_ring to a freer cache
 *    on another pinned thread; the lane keeps allocating far beyond its
 *    frames, so every frame makes the round trip many times;
 *  - two lanes free each other's frames;
 *  - a shared skb (pp_skb_get) freed by both threads, whichever is last.
 *
 * Payload sequence numbers catch a frame handed out twice while in flight.
 * At the end every frame is home: in_use == 0 and nothing was refused.
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

#include <cmocka.h>

#include "core/pool.h"

#if defined(__SANITIZE_THREAD__)
#define PP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PP_TSAN 1
#endif
#endif

#define FPL 256			/* frames per lane */
#ifdef PP_TSAN
#define ROUNDS 400		/* allocations = ROUNDS * FPL */
#else
#define ROUNDS 4000
#endif
#define MAX_BURST 64

static int cpus[2] = {-1, -1};

static void pick_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	if (n < 2) {
		cpus[0] = cpus[1] = -1;
		print_message("pool_remote: only one CPU: threads run unpinned\n");
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "pool_remote: could not pin to cpu %d, running unpinned\n", cpu);
}

static void backoff(unsigned int *fails)
{
	if (++*fails % 64 == 0)
		sched_yield();
}

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* A fresh skb must look fresh: a frame still in use elsewhere would not. */
static bool fresh(const struct pp_skb *s, unsigned int owner)
{
	return s->state == PP_SKB_ALLOCATED && atomic_load(&s->refcnt) == 1 && s->len == 0 &&
	       s->owner == owner && s->frag == NULL;
}

static void stamp(struct pp_skb *s, uint64_t seq)
{
	memcpy(pp_skb_put(s, sizeof(seq)), &seq, sizeof(seq));
}

static uint64_t seq_of(const struct pp_skb *s)
{
	uint64_t seq;

	memcpy(&seq, pp_skb_data(s), sizeof(seq));
	return seq;
}

/* One side of a run: allocates from lane cache @c (if any) and sends to
 * @tx; receives on @rx, checks, frees with @c. */
struct side {
	struct pp_pool_cache *c;
	struct pp_ring *tx, *rx;
	unsigned int lane;		/* owner id of the frames it receives */
	uint64_t to_send, to_recv;
	int cpu;
	bool share;			/* pp_skb_get before sending, free own ref after */
	atomic_bool *stop;
	/* if set: the sender opens it when its lane first runs dry; the
	 * receiver waits for it, so exhaustion and refill always happen */
	atomic_bool *gate;
	uint32_t seed;
	/* results */
	uint64_t sent, received, stale, badseq, refused;
	uint64_t first_bad, want;
};

static void *run_side(void *arg)
{
	struct side *sd = arg;
	struct pp_skb *pend[MAX_BURST], *in[MAX_BURST];
	uint32_t npend = 0, off = 0, rnd = sd->seed;
	unsigned int fails = 0;

	pin(sd->cpu);
	while ((sd->sent < sd->to_send || sd->received < sd->to_recv) &&
	       !atomic_load_explicit(sd->stop, memory_order_relaxed)) {
		bool progress = false;
		uint32_t x = xorshift(&rnd);

		/* send: allocate a burst when the last one is gone */
		if (sd->sent < sd->to_send && npend == off) {
			uint32_t n = x % MAX_BURST + 1;

			if (n > sd->to_send - sd->sent)
				n = (uint32_t)(sd->to_send - sd->sent);
			npend = (x >> 8) & 1 ? pp_skb_alloc_burst(sd->c, pend, n)
					     : pp_skb_alloc_bulk(sd->c, pend, n);
			off = 0;
			if (npend < n && sd->gate)
				atomic_store_explicit(sd->gate, true, memory_order_relaxed);
			for (uint32_t i = 0; i < npend; i++) {
				if (!fresh(pend[i], sd->c->id))
					sd->stale++;
				stamp(pend[i], sd->sent + i);
				if (sd->share)
					pp_skb_get(pend[i]);
			}
		}
		if (off < npend) {
			uint32_t n = pp_ring_enqueue_burst(sd->tx, (void *const *)&pend[off], npend - off);

			if (sd->share) /* drop our own reference: the receiver may already have */
				pp_skb_free_burst(sd->c, &pend[off], n);
			off += n;
			sd->sent += n;
			progress |= n > 0;
		}
		/* receive, check, free (remote frees for frames of another lane) */
		if (sd->received < sd->to_recv &&
		    (!sd->gate || atomic_load_explicit(sd->gate, memory_order_relaxed))) {
			uint32_t n = pp_ring_dequeue_burst(sd->rx, (void **)in, MAX_BURST);

			for (uint32_t i = 0; i < n; i++) {
				uint64_t want = sd->received + i;

				if (seq_of(in[i]) != want || in[i]->owner != sd->lane) {
					if (!sd->badseq++) {
						sd->first_bad = seq_of(in[i]);
						sd->want = want;
					}
					atomic_store(sd->stop, true);
				}
			}
			if ((x >> 9) & 1) {
				pp_skb_free_burst(sd->c, in, n);
			} else {
				for (uint32_t i = 0; i < n; i++)
					pp_skb_free(sd->c, in[i]);
			}
			sd->received += n;
			progress |= n > 0;
		}
		if (!progress)
			backoff(&fails);
	}
	return NULL;
}

static void run_pair(struct side *a, struct side *b)
{
	pthread_t ta, tb;

	a->cpu = cpus[0];
	b->cpu = cpus[1];
	assert_int_equal(pthread_create(&ta, NULL, run_side, a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run_side, b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (struct side *s = a; s; s = s == a ? b : NULL) {
		if (s->badseq)
			fail_msg("got frame with seq %llu where %llu was due: a frame handed out "
				 "twice, lost or reordered",
				 (unsigned long long)s->first_bad, (unsigned long long)s->want);
		assert_int_equal(s->stale, 0);
		assert_int_equal(s->sent, s->to_send);
		assert_int_equal(s->received, s->to_recv);
	}
}

/* After the threads are joined this thread may use lane @id: allocate every
 * frame it owns (the rest of the return rings drain) and give them back. */
static void reclaim_all(struct pp_pool *pool, unsigned int id)
{
	struct pp_skb *all[FPL];
	struct pp_pool_cache *c = pp_pool_cache(pool, id);

	assert_int_equal(pp_skb_alloc_bulk(c, all, FPL), FPL);
	for (int i = 0; i < FPL; i++)
		assert_true(fresh(all[i], id));
	pp_skb_free_burst(c, all, FPL);
}

static void test_lane_to_freer(void **state)
{
	struct pp_pool *pool;
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = FPL, .nlanes = 1,
				 .nfreers = 1, .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_ring *r;
	struct pp_pool_stats st;
	atomic_bool stop = false;
	const uint64_t total = (uint64_t)ROUNDS * FPL;

	(void)state;
	assert_int_equal(pp_pool_create(&o, &pool), 0);
	atomic_bool gate = false;

	/* room for every frame in flight, so the lane can run dry */
	assert_int_equal(pp_ring_create(2 * FPL, 0, &r), 0);
	struct side lane = {.c = pp_pool_cache(pool, 0), .tx = r, .to_send = total,
			    .stop = &stop, .gate = &gate, .seed = 1};
	struct side freer = {.c = pp_pool_cache(pool, 1), .rx = r, .lane = 0, .to_recv = total,
			     .stop = &stop, .gate = &gate, .seed = 2};

	run_pair(&lane, &freer);
	pp_pool_stats(pool, &st);
	print_message("pool_remote: lane->freer: %llu allocs of %u frames, %llu remote frees, "
		      "%llu alloc_fail (lane waited for frames to come home)\n",
		      (unsigned long long)st.allocs, FPL, (unsigned long long)st.remote_frees,
		      (unsigned long long)st.alloc_fail);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.allocs, total);
	assert_int_equal(st.frees, total);
	assert_int_equal(st.remote_frees, total);
	assert_int_equal(st.bad_free, 0);
	assert_true(st.alloc_fail > 0); /* it did run dry, and recovered */
	reclaim_all(pool, 0);
	pp_pool_stats(pool, &st);
	assert_int_equal(st.in_use, 0);
	pp_ring_destroy(r);
	pp_pool_destroy(pool);
}

static void test_two_lanes_cross_free(void **state)
{
	struct pp_pool *pool;
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = FPL, .nlanes = 2,
				 .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_ring *ab, *ba;
	struct pp_pool_stats st;
	atomic_bool stop = false;
	const uint64_t total = (uint64_t)ROUNDS * FPL / 2;

	(void)state;
	assert_int_equal(pp_pool_create(&o, &pool), 0);
	assert_int_equal(pp_ring_create(64, 0, &ab), 0);
	assert_int_equal(pp_ring_create(64, 0, &ba), 0);
	struct side a = {.c = pp_pool_cache(pool, 0), .tx = ab, .rx = ba, .lane = 1,
			 .to_send = total, .to_recv = total, .stop = &stop, .seed = 3};
	struct side b = {.c = pp_pool_cache(pool, 1), .tx = ba, .rx = ab, .lane = 0,
			 .to_send = total, .to_recv = total, .stop = &stop, .seed = 4};

	run_pair(&a, &b);
	pp_pool_stats(pool, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.allocs, 2 * total);
	assert_int_equal(st.remote_frees, 2 * total);
	assert_int_equal(st.bad_free, 0);
	reclaim_all(pool, 0);
	reclaim_all(pool, 1);
	pp_ring_destroy(ab);
	pp_ring_destroy(ba);
	pp_pool_destroy(pool);
}

/* Each skb has two holders on two threads (cf. a TCP skb on the retransmit
 * queue and in the NIC at once); whichever frees last sends it home. */
static void test_shared_skb_two_threads(void **state)
{
	struct pp_pool *pool;
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = FPL, .nlanes = 1,
				 .nfreers = 1, .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_ring *r;
	struct pp_pool_stats st;
	atomic_bool stop = false;
	const uint64_t total = (uint64_t)ROUNDS * FPL / 4;

	(void)state;
	assert_int_equal(pp_pool_create(&o, &pool), 0);
	assert_int_equal(pp_ring_create(64, 0, &r), 0);
	struct side lane = {.c = pp_pool_cache(pool, 0), .tx = r, .to_send = total,
			    .share = true, .stop = &stop, .seed = 5};
	struct side freer = {.c = pp_pool_cache(pool, 1), .rx = r, .lane = 0, .to_recv = total,
			     .stop = &stop, .seed = 6};

	run_pair(&lane, &freer);
	pp_pool_stats(pool, &st);
	print_message("pool_remote: shared skbs: %llu, last free on the freer %llu times\n",
		      (unsigned long long)total, (unsigned long long)st.remote_frees);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.allocs, total);
	assert_int_equal(st.frees, total);
	assert_true(st.remote_frees <= total);
	assert_int_equal(st.bad_free, 0);
	reclaim_all(pool, 0);
	pp_ring_destroy(r);
	pp_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lane_to_freer),
		cmocka_unit_test(test_two_lanes_cross_free),
		cmocka_unit_test(test_shared_skb_two_threads),
	};

	pick_cpus();
	return cmocka_run_group_tests_name("pool_remote", tests, NULL, NULL);
}
