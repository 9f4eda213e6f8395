// SPDX-License-Identifier: MIT
/*
 * bench_pool.c - the frame pool (pktpipe/skb.h): what an skb costs to get and
 * give back, the kernel's alloc_skb()/kfree_skb() pair on the transmit path
 * (cf. DPDK rte_pktmbuf_alloc_bulk()/rte_pktmbuf_free_bulk() over a per-lcore
 * mempool cache).
 *
 * Cases (n skbs per iteration; items = skbs):
 *   pool/pktpipe/burst:<n>         one lane: pp_skb_alloc_burst(n) then
 *                                  pp_skb_free_burst(n) on its own cache
 *   pool/pktpipe-remote/burst:<n>  the lane (timed thread, core 1) allocates
 *                                  n and hands them over a pp_ring to a freer
 *                                  cache on core 0, which frees them: they
 *                                  come home through the pool's return ring,
 *                                  as TX completions do; wall-clock rate
 *   pool/malloc/burst:<n>          reference: malloc(2048) n times, writing
 *                                  64 bytes of metadata in each (as
 *                                  pp_skb_alloc initialises its cache line),
 *                                  then free() them
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_util.h"

#include "core/pool.h"

#define POOL_BURST_MAX 256
#define POOL_FRAMES 4096	/* per lane: the pool's default */
#define HANDOFF_SLOTS 4096
#define MALLOC_SIZE 2048

enum pool_kind { POOL_LOCAL, POOL_REMOTE, POOL_MALLOC };

struct pool_param {
	uint8_t kind;	/* enum pool_kind */
	uint16_t burst;
};

struct pool_bench {
	/* const after setup */
	uint32_t burst;
	uint8_t kind;
	struct pp_pool *pool;
	struct pp_pool_cache *lane;	/* cache 0: the timed thread's */
	struct pp_pool_cache *freer;	/* cache 1 (remote only): the helper's */
	struct pp_ring *handoff;	/* lane -> freer (remote only) */
	void *saved_affinity;
	bool freer_running;
	/* (T) the timed thread */
	alignas(64) struct pp_skb *skbs[POOL_BURST_MAX];
	void *mem[POOL_BURST_MAX];
	/* (F) the freer thread */
	alignas(64) struct pp_skb *fskbs[POOL_BURST_MAX];
	struct pp__bench_thread thr;
};

static uint64_t run_local(void *state, uint64_t iters)
{
	struct pool_bench *b = state;
	const uint32_t n = b->burst;

	for (uint64_t it = 0; it < iters; it++) {
		uint32_t got = pp_skb_alloc_burst(b->lane, b->skbs, n);

		if (got != n) {
			pp__bench_fail("allocated %u of %u from a full lane", got, n);
			pp_skb_free_burst(b->lane, b->skbs, got);
			return it * n;
		}
		pp_skb_free_burst(b->lane, b->skbs, n);
	}
	return iters * n;
}

/*
 * The lane side of the remote case. When its frames are all in flight the
 * allocation comes back short (that is the pool's flow control): it hands
 * over what it got and tries again, with the same one PAUSE as the rings.
 */
static uint64_t run_remote(void *state, uint64_t iters)
{
	struct pool_bench *b = state;
	const uint32_t n = b->burst;
	const uint64_t want = iters * n;
	uint64_t moved = 0;

	while (moved < want) {
		uint32_t got = pp_skb_alloc_burst(b->lane, b->skbs, n);
		uint32_t done = 0;

		if (!got) {
			pp__bench_pause();
			continue;
		}
		while (done < got) {
			uint32_t k = pp_ring_enqueue_burst(b->handoff, (void *const *)(b->skbs + done),
							   got - done);

			done += k;
			if (!k)
				pp__bench_pause();
		}
		moved += got;
	}
	return moved;
}

static void *freer_main(struct pp__bench_thread *t)
{
	struct pool_bench *b = t->arg;
	const uint32_t n = b->burst;

	for (;;) {
		uint32_t k = pp_ring_dequeue_burst(b->handoff, (void **)b->fskbs, n);

		if (k) {
			pp_skb_free_burst(b->freer, b->fskbs, k);
			continue;
		}
		/* empty: the lane has stopped for good only once stop is set
		 * and the ring is still empty after it (it stops before) */
		if (pp__bench_thread_stopping(t) && pp_ring_empty(b->handoff))
			break;
		pp__bench_pause();
	}
	return NULL;
}

static uint64_t run_malloc(void *state, uint64_t iters)
{
	struct pool_bench *b = state;
	const uint32_t n = b->burst;

	for (uint64_t it = 0; it < iters; it++) {
		for (uint32_t i = 0; i < n; i++) {
			void *p = malloc(MALLOC_SIZE);

			if (!p) {
				pp__bench_fail("malloc failed");
				for (uint32_t j = 0; j < i; j++)
					free(b->mem[j]);
				return it * n;
			}
			memset(p, 0, PP_SKB_META);
			pp__bench_escape(p);
			b->mem[i] = p;
		}
		for (uint32_t i = 0; i < n; i++)
			free(b->mem[i]);
	}
	return iters * n;
}

static void pool_teardown(void *state)
{
	struct pool_bench *b = state;
	struct pp_pool_stats st;

	if (!b)
		return;
	if (b->freer_running)
		pp__bench_thread_stop(&b->thr);
	if (b->pool && !pp_pool_stats(b->pool, &st) && (st.in_use || st.bad_free))
		pp__bench_fail("pool not whole at teardown: in_use %llu bad_free %llu",
			       (unsigned long long)st.in_use, (unsigned long long)st.bad_free);
	pp__bench_affinity_restore(b->saved_affinity);
	pp_ring_destroy(b->handoff);
	pp_pool_destroy(b->pool);
	free(b);
}

static void *pool_setup(const void *param)
{
	const struct pool_param *p = param;
	struct pool_bench *b;
	unsigned int ncores = pp__bench_ncores();
	int err;

	if (p->kind == POOL_REMOTE && ncores < 2) {
		pp__bench_fail("pktpipe-remote needs two cores, hwloc sees %u", ncores);
		return NULL;
	}
	b = pp__bench_zalloc(sizeof(*b));
	if (!b) {
		pp__bench_fail("out of memory");
		return NULL;
	}
	b->burst = p->burst;
	b->kind = p->kind;
	b->saved_affinity = pp__bench_affinity_save();
	err = pp__bench_pin(ncores >= 2 ? PP_BENCH_CORE_B : 0);
	if (err) {
		pp__bench_fail("cannot pin the timed thread: %d", err);
		goto err_bench;
	}
	if (p->kind == POOL_MALLOC)
		return b;

	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = POOL_FRAMES,
		.nlanes = 1,
		.nfreers = p->kind == POOL_REMOTE ? 1 : 0,
	};
	err = pp_pool_create(&o, &b->pool);
	if (err) {
		pp__bench_fail("pp_pool_create: %d", err);
		goto err_bench;
	}
	b->lane = pp_pool_cache(b->pool, 0);
	if (p->kind == POOL_LOCAL)
		return b;

	b->freer = pp_pool_cache(b->pool, 1);
	err = pp_ring_create(HANDOFF_SLOTS, 0, &b->handoff);
	if (err) {
		pp__bench_fail("pp_ring_create: %d", err);
		goto err_bench;
	}
	err = pp__bench_thread_start(&b->thr, "pb-pool-freer", PP_BENCH_CORE_A, freer_main, b);
	if (err) {
		pp__bench_fail("cannot start the pinned freer: %d", err);
		goto err_bench;
	}
	b->freer_running = true;
	return b;

err_bench:
	pool_teardown(b);
	return NULL;
}

#define POOL_CASE(impl_s, KIND, RUN, B)                                                   \
	{                                                                                 \
		"pool/" impl_s "/burst:" #B, pool_setup, RUN, pool_teardown,              \
			&(const struct pool_param){ KIND, B }                             \
	}
#define POOL_TRIO(B)                                                                      \
	POOL_CASE("pktpipe", POOL_LOCAL, run_local, B),                                   \
		POOL_CASE("pktpipe-remote", POOL_REMOTE, run_remote, B),                  \
		POOL_CASE("malloc", POOL_MALLOC, run_malloc, B)

static const struct pp_bench_def pool_defs[] = {
	POOL_TRIO(1), POOL_TRIO(8), POOL_TRIO(32), POOL_TRIO(64), POOL_TRIO(256),
};

const struct pp_bench_def *pp_bench_pool_defs(size_t *n);

const struct pp_bench_def *pp_bench_pool_defs(size_t *n)
{
	*n = sizeof(pool_defs) / sizeof(pool_defs[0]);
	return pool_defs;
}
