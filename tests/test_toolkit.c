// SPDX-License-Identifier: MIT
/*
 * test_toolkit.c - the ring and pool toolkit as a program outside the library
 * sees it: <pktpipe/toolkit/ring.h> and <pktpipe/toolkit/pool.h> only (no
 * src/ include directory), opaque objects, every call an exported function
 * of libpktpipe.so (this test links the shared library, not the archive the
 * other tests use). The inline ring and pool are tested in depth by
 * test_ring.c, test_ring_stress.c, test_pool.c and test_pool_remote.c; this
 * one checks that the exported calls are the same calls: their contracts at
 * the edges, and a handoff between two threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/pktpipe.h>
/* the stack API does not bring the toolkit along */
#if defined(PKTPIPE_TOOLKIT_RING_H) || defined(PKTPIPE_TOOLKIT_POOL_H)
#error "pktpipe.h includes the toolkit"
#endif
#include <pktpipe/toolkit/pool.h>
#include <pktpipe/toolkit/ring.h>

#define V(i) ((void *)(uintptr_t)((i) + 1))
#define FPL 64 /* frames per lane */

/* ---- ring: negative cases ----------------------------------------------- */

static void test_ring_bad_args(void **state)
{
	struct pp_ring *r = (struct pp_ring *)(uintptr_t)1;

	(void)state;
	assert_int_equal(pp_ring_create(0, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(3, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(PP_RING_SIZE_MAX * 2u, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(8, 1, &r), -EINVAL);
	assert_int_equal(pp_ring_create(8, 0, NULL), -EINVAL);
	assert_ptr_equal(r, (struct pp_ring *)(uintptr_t)1); /* untouched on error */
	assert_int_equal(pp_ring_memsize(6), -EINVAL);
	assert_int_equal(pp_ring_init(NULL, 8, 0), -EINVAL);
	assert_int_equal(pp_ring_reset(NULL, 0), -EINVAL);
	pp_ring_destroy(NULL);
}

/* ---- ring: boundaries --------------------------------------------------- */

/* Exactly full and exactly empty, with the free-running indices wrapping
 * through UINT32_MAX, on a ring in caller memory (memsize + init). */
static void test_ring_full_empty_wrap(void **state)
{
	enum { SIZE = 8 };
	ssize_t sz = pp_ring_memsize(SIZE);
	void *in[SIZE + 1], *out[SIZE + 1];
	struct pp_ring *r;

	(void)state;
	assert_true(sz > 0 && sz % PP_CACHE_LINE == 0);
	r = aligned_alloc(PP_CACHE_LINE, (size_t)sz);
	assert_non_null(r);
	assert_int_equal(pp_ring_init(r, SIZE, 0), 0);
	assert_int_equal(pp_ring_capacity(r), SIZE);
	assert_int_equal(pp_ring_reset(r, UINT32_MAX - 2), 0);
	for (unsigned int i = 0; i <= SIZE; i++)
		in[i] = V(i);

	for (int round = 0; round < 3; round++) {
		assert_true(pp_ring_empty(r));
		assert_null(pp_ring_dequeue(r));
		assert_int_equal(pp_ring_dequeue_burst(r, out, SIZE), 0);
		/* bulk: all or nothing */
		assert_int_equal(pp_ring_enqueue_bulk(r, in, SIZE + 1), 0);
		assert_int_equal(pp_ring_count(r), 0);
		/* burst: a short count at exactly full */
		assert_int_equal(pp_ring_enqueue_burst(r, in, SIZE + 1), SIZE);
		assert_int_equal(pp_ring_count(r), SIZE);
		assert_int_equal(pp_ring_free_count(r), 0);
		assert_false(pp_ring_enqueue(r, in[SIZE]));
		assert_int_equal(pp_ring_dequeue_bulk(r, out, SIZE + 1), 0);
		assert_int_equal(pp_ring_count(r), SIZE);
		/* FIFO across the wrap */
		assert_ptr_equal(pp_ring_dequeue(r), in[0]);
		assert_true(pp_ring_enqueue(r, in[SIZE]));
		assert_int_equal(pp_ring_dequeue_bulk(r, out, SIZE), SIZE);
		for (unsigned int i = 0; i < SIZE; i++)
			assert_ptr_equal(out[i], in[i + 1]);
	}
	free(r);
}

/* ---- ring: normal case, two threads ------------------------------------- */

#define HANDOFF_N 200000u

static void *ring_consumer(void *arg)
{
	struct pp_ring *r = arg;
	uintptr_t next = 0, bad = 0;
	void *b[16];

	while (next < HANDOFF_N) {
		uint32_t n = pp_ring_dequeue_burst(r, b, 16);

		for (uint32_t i = 0; i < n; i++)
			bad += b[i] != V(next++);
	}
	return (void *)bad;
}

static void test_ring_handoff(void **state)
{
	struct pp_ring *r;
	pthread_t t;
	void *bad;
	uintptr_t sent = 0;

	(void)state;
	assert_int_equal(pp_ring_create(64, 0, &r), 0);
	assert_int_equal(pthread_create(&t, NULL, ring_consumer, r), 0);
	while (sent < HANDOFF_N) {
		void *b[8];
		uint32_t want = HANDOFF_N - sent < 8 ? (uint32_t)(HANDOFF_N - sent) : 8;

		for (uint32_t i = 0; i < want; i++)
			b[i] = V(sent + i);
		sent += pp_ring_enqueue_burst(r, b, want);
	}
	assert_int_equal(pthread_join(t, &bad), 0);
	assert_int_equal((uintptr_t)bad, 0); /* no loss, duplicate or reorder */
	assert_true(pp_ring_empty(r));
	pp_ring_destroy(r);
}

/* ---- pool --------------------------------------------------------------- */

struct pool_fx {
	struct pp_pool *p;
	struct pp_pool_cache *lane, *freer;
};

static int pool_setup(void **state)
{
	struct pool_fx *f = calloc(1, sizeof(*f));
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = FPL, .nlanes = 1,
				 .nfreers = 1, .flags = PP_POOL_F_NO_HUGEPAGES};

	if (!f || pp_pool_create(&o, &f->p))
		return -1;
	f->lane = pp_pool_cache(f->p, 0);
	f->freer = pp_pool_cache(f->p, 1);
	*state = f;
	return f->lane && f->freer ? 0 : -1;
}

/* Teardown: nothing leaked, nothing refused unless the test said so. */
static int pool_teardown(void **state)
{
	struct pool_fx *f = *state;
	struct pp_pool_stats st;

	assert_int_equal(pp_pool_stats(f->p, &st), 0);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.allocs, st.frees);
	pp_pool_destroy(f->p);
	free(f);
	return 0;
}

static void test_pool_bad_args(void **state)
{
	struct pp_pool_opts o = {.sz = sizeof(o), .frame_size = 1000};
	struct pp_pool *p = NULL;

	(void)state;
	assert_int_equal(pp_pool_create(NULL, &p), -EINVAL);
	assert_int_equal(pp_pool_create(&o, &p), -EINVAL);
	o.frame_size = 0;
	o.flags = 0x80;
	assert_int_equal(pp_pool_create(&o, &p), -EINVAL);
	o.flags = PP_POOL_F_ALL;
	assert_int_equal(pp_pool_create(&o, &p), -EINVAL);
	o.flags = 0;
	o.nlanes = 65;
	assert_int_equal(pp_pool_create(&o, &p), -EINVAL);
	assert_null(p);
	assert_null(pp_pool_cache(NULL, 0));
	assert_null(pp_pool_region(NULL, NULL));
	assert_int_equal(pp_pool_frame_size(NULL), 0);
	assert_false(pp_pool_hugepages(NULL));
	assert_int_equal(pp_pool_stats(NULL, NULL), -EINVAL);
	assert_int_equal(pp_skb_tx_copy_room(NULL), 0);
	pp_pool_destroy(NULL);
}

/* Every frame, then a short burst and a refused bulk; a double free and a
 * foreign pointer are refused and counted, a NULL is skipped. */
static void test_pool_exhaust_and_bad_free(void **state)
{
	struct pool_fx *f = *state;
	struct pp_skb *all[FPL + 1], *one, *two[2];
	struct pp_pool_stats st;
	uint64_t foreign[PP_SKB_META / 8] = {0};

	assert_null(pp_pool_cache(f->p, 2));
	assert_int_equal(pp_skb_alloc_bulk(f->lane, all, FPL + 1), 0);
	assert_int_equal(pp_skb_alloc_burst(f->lane, all, FPL + 1), FPL);
	assert_null(pp_skb_alloc(f->lane));
	assert_int_equal(pp_skb_alloc_burst(f->freer, two, 2), 0); /* a freer owns none */
	assert_int_equal(pp_pool_stats(f->p, &st), 0);
	assert_int_equal(st.nframes, FPL);
	assert_int_equal(st.in_use, FPL);
	assert_true(st.alloc_fail >= 3);

	pp_skb_free_burst(f->lane, all, FPL);
	assert_int_equal(pp_skb_alloc_bulk(f->lane, two, 2), 2);
	one = two[0];
	pp_skb_free(f->lane, two[1]);
	pp_skb_free(f->lane, one);
	pp_skb_free(f->lane, one);				  /* double free */
	pp_skb_free(f->lane, (struct pp_skb *)(void *)foreign); /* not a frame */
	pp_skb_free(f->lane, NULL);
	two[0] = NULL;
	two[1] = one;
	pp_skb_free_burst(f->lane, two, 2);
	assert_int_equal(pp_pool_stats(f->p, &st), 0);
	assert_int_equal(st.bad_free, 3);
	assert_int_equal(st.in_use, 0);
}

/* The skb a pool hands out, through the public accessors; the region
 * arithmetic an AF_XDP user needs; a transmit copy. */
static void test_pool_skb_region_copy(void **state)
{
	struct pool_fx *f = *state;
	size_t len = 0;
	uint8_t *base = pp_pool_region(f->p, &len);
	struct pp_skb *s = pp_skb_alloc(f->lane), *cp;
	uint64_t off;

	assert_non_null(base);
	assert_int_equal(len, (size_t)FPL * PP_FRAME_2K);
	assert_int_equal(pp_pool_frame_size(f->p), PP_FRAME_2K);
	assert_false(pp_pool_hugepages(f->p));
	assert_non_null(s);
	assert_int_equal(s->len, 0);
	assert_int_equal(pp_skb_headroom(s), PP_SKB_HEADROOM);
	assert_int_equal(pp_skb_truesize(s), PP_FRAME_2K);
	memcpy(pp_skb_put(s, 5), "hello", 5);
	assert_non_null(pp_skb_push(s, 8));

	off = pp_skb_region_offset(f->lane, s);
	assert_true(off < len);
	assert_ptr_equal(base + off, pp_skb_data(s));
	assert_ptr_equal(pp_pool_skb_from_offset(f->lane, off), s);
	assert_null(pp_pool_skb_from_offset(f->lane, len));

	assert_int_equal(pp_skb_tx_copy_room(f->lane), PP_FRAME_2K - 3 * 64 - PP_SKB_META);
	assert_null(pp_skb_tx_copy(f->freer, s, 0)); /* a freer cannot allocate */
	cp = pp_skb_tx_copy(f->lane, s, 32);
	assert_non_null(cp);
	assert_int_equal(pp_skb_headroom(cp), 32);
	assert_int_equal(cp->len, s->len);
	assert_memory_equal(pp_skb_data(cp), pp_skb_data(s), s->len);

	assert_ptr_equal(pp_skb_get(s), s);
	assert_true(pp_skb_shared(s));
	pp_skb_free(f->lane, s); /* the reference */
	assert_false(pp_skb_shared(s));
	pp_skb_free(f->lane, s);
	pp_skb_free(f->lane, cp);
}

/* Frames freed by another thread's cache come home through the return ring:
 * the lane allocates them again. */
struct remote_arg {
	struct pp_ring *r;
	struct pp_pool_cache *freer;
};

static void *remote_freer(void *arg)
{
	struct remote_arg *a = arg;
	uint32_t done = 0;

	while (done < 10 * FPL) {
		struct pp_skb *b[8];
		uint32_t n = pp_ring_dequeue_burst(a->r, (void **)b, 8);

		pp_skb_free_burst(a->freer, b, n);
		done += n;
	}
	return NULL;
}

static void test_pool_remote_free(void **state)
{
	struct pool_fx *f = *state;
	struct remote_arg a = {.freer = f->freer};
	uint32_t sent = 0;
	pthread_t t;

	assert_int_equal(pp_ring_create(FPL, 0, &a.r), 0);
	assert_int_equal(pthread_create(&t, NULL, remote_freer, &a), 0);
	/* ten times the lane's frames: only frames that came home make that */
	while (sent < 10 * FPL) {
		struct pp_skb *b[8];
		uint32_t n = pp_skb_alloc_burst(f->lane, b, 8), q;

		for (uint32_t i = 0; i < n; i++)
			*(uint32_t *)pp_skb_put(b[i], 4) = sent + i;
		q = pp_ring_enqueue_burst(a.r, (void *const *)b, n);
		pp_skb_free_burst(f->lane, b + q, n - q); /* no room: ours to free */
		sent += q;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	pp_ring_destroy(a.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_bad_args),
		cmocka_unit_test(test_ring_full_empty_wrap),
		cmocka_unit_test(test_ring_handoff),
		cmocka_unit_test(test_pool_bad_args),
		cmocka_unit_test_setup_teardown(test_pool_exhaust_and_bad_free, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_skb_region_copy, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_remote_free, pool_setup, pool_teardown),
	};

	return pp_test_exit(cmocka_run_group_tests_name("toolkit", tests, NULL, NULL));
}
