// SPDX-License-Identifier: MIT
/*
 * test_ring.c - the SPSC ring (pktpipe/ring.h) on one thread: argument
 * checks, then the boundaries (free-running indices wrapping at UINT32_MAX,
 * exactly full, exactly empty), then FIFO order.
 *
 * cf. DPDK app/test/test_ring.c. The threaded half is test_ring_stress.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ring.h"

/* Ring values are sequence numbers dressed as pointers (never NULL). */
#define V(i) ((void *)(uintptr_t)((i) + 1))
#define SEQ(p) ((uint32_t)((uintptr_t)(p) - 1))

struct fixture {
	struct pp_ring *r;
};

static int setup8(void **state)
{
	static struct fixture f;

	if (pp_ring_create(8, 0, &f.r))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pp_ring_destroy(f->r);
	f->r = NULL;
	return 0;
}

/* ---- negative cases ----------------------------------------------------- */

static void test_memsize_bad_sizes(void **state)
{
	(void)state;
	assert_int_equal(pp_ring_memsize(0), -EINVAL);
	assert_int_equal(pp_ring_memsize(3), -EINVAL);
	assert_int_equal(pp_ring_memsize(6), -EINVAL);
	assert_int_equal(pp_ring_memsize(PP_RING_SIZE_MAX + 1), -EINVAL);
	assert_int_equal(pp_ring_memsize(PP_RING_SIZE_MAX - 1), -EINVAL);
	assert_int_equal(pp_ring_memsize(UINT32_MAX), -EINVAL);
}

static void test_init_bad_args(void **state)
{
	ssize_t sz = pp_ring_memsize(16);
	uint8_t *mem;

	(void)state;
	assert_true(sz > 0);
	mem = aligned_alloc(PP_CACHE_LINE, (size_t)sz + PP_CACHE_LINE);
	assert_non_null(mem);
	memset(mem, 0xab, (size_t)sz + PP_CACHE_LINE);

	assert_int_equal(pp_ring_init(NULL, 16, 0), -EINVAL);
	/* misaligned by a word and by one byte */
	assert_int_equal(pp_ring_init((struct pp_ring *)(mem + 8), 16, 0), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)(mem + 1), 16, 0), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)mem, 0, 0), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)mem, 3, 0), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)mem, PP_RING_SIZE_MAX + 1, 0), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)mem, 16, 1), -EINVAL);
	assert_int_equal(pp_ring_init((struct pp_ring *)mem, 16, 0x80000000u), -EINVAL);
	/* a refused init writes nothing */
	for (ssize_t i = 0; i < sz + PP_CACHE_LINE; i++)
		assert_int_equal(mem[i], 0xab);
	free(mem);
}

static void test_create_bad_args(void **state)
{
	struct pp_ring *r = (struct pp_ring *)(uintptr_t)0x1;

	(void)state;
	assert_int_equal(pp_ring_create(0, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(3, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(PP_RING_SIZE_MAX + 1, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(UINT32_MAX, 0, &r), -EINVAL);
	assert_int_equal(pp_ring_create(8, 1, &r), -EINVAL);
	assert_int_equal(pp_ring_create(8, 0, NULL), -EINVAL);
	/* *out untouched on failure */
	assert_ptr_equal(r, (struct pp_ring *)(uintptr_t)0x1);
	assert_int_equal(pp_ring_reset(NULL, 0), -EINVAL);
	pp_ring_destroy(NULL); /* no-op */
}

/* ---- boundaries --------------------------------------------------------- */

static void test_memsize_boundaries(void **state)
{
	(void)state;
	assert_int_equal(pp_ring_memsize(1) % PP_CACHE_LINE, 0);
	assert_true(pp_ring_memsize(1) >= (ssize_t)(sizeof(struct pp_ring) + sizeof(void *)));
	assert_true(pp_ring_memsize(PP_RING_SIZE_MAX) >=
		    (ssize_t)(sizeof(struct pp_ring) + (size_t)PP_RING_SIZE_MAX * sizeof(void *)));
	assert_int_equal(pp_ring_memsize(PP_RING_SIZE_MAX) % PP_CACHE_LINE, 0);
	assert_true(pp_ring_memsize(1024) >= (ssize_t)(sizeof(struct pp_ring) + 1024 * sizeof(void *)));
}

static void test_init_caller_memory(void **state)
{
	ssize_t sz = pp_ring_memsize(4);
	struct pp_ring *r = aligned_alloc(PP_CACHE_LINE, (size_t)sz);

	(void)state;
	assert_non_null(r);
	memset(r, 0x5a, (size_t)sz); /* init must not rely on zeroed memory */
	assert_int_equal(pp_ring_init(r, 4, 0), 0);
	assert_int_equal(pp_ring_capacity(r), 4);
	assert_true(pp_ring_empty(r));
	assert_null(pp_ring_dequeue(r));
	for (uint32_t i = 0; i < 4; i++)
		assert_true(pp_ring_enqueue(r, V(i)));
	assert_false(pp_ring_enqueue(r, V(4)));
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(SEQ(pp_ring_dequeue(r)), i);
	free(r);
}

static void test_size_one(void **state)
{
	struct pp_ring *r;

	(void)state;
	assert_int_equal(pp_ring_create(1, 0, &r), 0);
	assert_int_equal(pp_ring_capacity(r), 1);
	for (uint32_t i = 0; i < 100; i++) {
		assert_true(pp_ring_enqueue(r, V(i)));
		assert_false(pp_ring_enqueue(r, V(i + 1)));
		assert_int_equal(pp_ring_count(r), 1);
		assert_int_equal(SEQ(pp_ring_dequeue(r)), i);
		assert_null(pp_ring_dequeue(r));
	}
	pp_ring_destroy(r);
}

static void test_exactly_full(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	void *in[9], *out[9];
	uint32_t idx;

	for (uint32_t i = 0; i < 9; i++)
		in[i] = V(i);
	/* capacity() is what it really holds: all 8 slots, not 7 */
	assert_int_equal(pp_ring_capacity(r), 8);
	/* a bulk of more than the size never fits, and leaves nothing behind */
	assert_int_equal(pp_ring_enqueue_bulk(r, in, 9), 0);
	assert_true(pp_ring_empty(r));
	assert_int_equal(pp_ring_enqueue_bulk(r, in, 8), 8);
	assert_int_equal(pp_ring_count(r), 8);
	assert_int_equal(pp_ring_free_count(r), 0);
	assert_false(pp_ring_empty(r));
	/* full: one more fails in every style, and changes nothing */
	assert_int_equal(pp_ring_enqueue_bulk(r, &in[8], 1), 0);
	assert_int_equal(pp_ring_enqueue_burst(r, &in[8], 1), 0);
	assert_false(pp_ring_enqueue(r, in[8]));
	assert_int_equal(pp_ring_prod_reserve(r, 1, &idx), 0);
	assert_int_equal(pp_ring_count(r), 8);
	/* a failed bulk dequeue of 9 consumes nothing */
	assert_int_equal(pp_ring_dequeue_bulk(r, out, 9), 0);
	assert_int_equal(pp_ring_count(r), 8);
	assert_int_equal(pp_ring_dequeue_bulk(r, out, 8), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(SEQ(out[i]), i);
}

static void test_exactly_empty(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	void *out[4] = {0};
	uint32_t idx;

	assert_true(pp_ring_empty(r));
	assert_int_equal(pp_ring_count(r), 0);
	assert_int_equal(pp_ring_free_count(r), 8);
	assert_int_equal(pp_ring_dequeue_burst(r, out, 4), 0);
	assert_int_equal(pp_ring_dequeue_bulk(r, out, 1), 0);
	assert_null(pp_ring_dequeue(r));
	assert_int_equal(pp_ring_cons_peek(r, 1, &idx), 0);
	/* one in, one out, empty again */
	assert_true(pp_ring_enqueue(r, V(7)));
	assert_int_equal(pp_ring_dequeue_bulk(r, out, 2), 0); /* only one there */
	assert_int_equal(pp_ring_dequeue_burst(r, out, 4), 1);
	assert_int_equal(SEQ(out[0]), 7);
	assert_true(pp_ring_empty(r));
	assert_null(pp_ring_dequeue(r));
}

static void test_partial_room(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	void *in[9], *out[8];

	for (uint32_t i = 0; i < 9; i++)
		in[i] = V(i);
	assert_int_equal(pp_ring_enqueue_burst(r, in, 5), 5);
	/* 3 free: bulk of 4 is all or nothing, burst of 4 gives 3 */
	assert_int_equal(pp_ring_enqueue_bulk(r, &in[5], 4), 0);
	assert_int_equal(pp_ring_count(r), 5);
	assert_int_equal(pp_ring_enqueue_burst(r, &in[5], 4), 3);
	assert_int_equal(pp_ring_count(r), 8);
	assert_int_equal(pp_ring_dequeue_burst(r, out, 8), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(SEQ(out[i]), i);
}

/* Start both indices 5 below UINT32_MAX, then push 40 rounds of varied
 * bulks and bursts through the wrap; order and counts must hold. */
static void test_wrap_copy_calls(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	void *in[8], *out[8];
	uint32_t next_in = 0, next_out = 0;

	assert_int_equal(pp_ring_reset(r, UINT32_MAX - 5), 0);
	assert_true(pp_ring_empty(r));
	for (int round = 0; round < 40; round++) {
		uint32_t n = (uint32_t)(round % 8) + 1;
		uint32_t room = 8 - (next_in - next_out);

		if (n > room)
			n = room;
		for (uint32_t i = 0; i < n; i++)
			in[i] = V(next_in + i);
		if (round & 1)
			assert_int_equal(pp_ring_enqueue_bulk(r, in, n), n);
		else
			assert_int_equal(pp_ring_enqueue_burst(r, in, n), n);
		next_in += n;
		assert_int_equal(pp_ring_count(r), next_in - next_out);
		assert_int_equal(pp_ring_free_count(r), 8 - (next_in - next_out));

		/* leave one behind now and then, so the wrap happens mid-ring */
		uint32_t m = next_in - next_out;

		if (m > 1 && (round % 3) == 0)
			m--;
		uint32_t got = (round & 2) ? pp_ring_dequeue_bulk(r, out, m)
					   : pp_ring_dequeue_burst(r, out, m);
		assert_int_equal(got, m);
		for (uint32_t i = 0; i < got; i++)
			assert_int_equal(SEQ(out[i]), next_out + i);
		next_out += got;
	}
	/* fill exactly full across the wrap, then drain exactly empty */
	while (next_in - next_out < 8) {
		assert_true(pp_ring_enqueue(r, V(next_in)));
		next_in++;
	}
	assert_int_equal(pp_ring_count(r), 8);
	assert_false(pp_ring_enqueue(r, V(next_in)));
	assert_int_equal(pp_ring_enqueue_bulk(r, in, 1), 0);
	while (!pp_ring_empty(r)) {
		assert_int_equal(SEQ(pp_ring_dequeue(r)), next_out);
		next_out++;
	}
	assert_int_equal(next_out, next_in);
	/* the indices really went through zero */
	uint32_t pub = atomic_load(&r->prod.pub);
	assert_true(next_in > 6 && pub < next_in);
	assert_int_equal(pub, (uint32_t)(UINT32_MAX - 5 + next_in));
}

static void test_wrap_reserve_submit_cancel(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	uint32_t idx, idx2, got;

	assert_int_equal(pp_ring_reset(r, UINT32_MAX - 2), 0);
	/* reserve 5 straddling the wrap: indices UINT32_MAX-2 .. 1 */
	got = pp_ring_prod_reserve(r, 5, &idx);
	assert_int_equal(got, 5);
	assert_int_equal(idx, UINT32_MAX - 2);
	for (uint32_t i = 0; i < 5; i++)
		*pp_ring_slot(r, idx + i) = V(100 + i);
	/* not visible before submit */
	assert_int_equal(pp_ring_count(r), 0);
	assert_null(pp_ring_dequeue(r));
	/* cancel the newest 2, submit the oldest 3 */
	pp_ring_prod_cancel(r, 2);
	pp_ring_prod_submit(r, 3);
	assert_int_equal(pp_ring_count(r), 3);
	/* the next reservation reuses the cancelled slots: index 0 after wrap */
	got = pp_ring_prod_reserve(r, 2, &idx2);
	assert_int_equal(got, 2);
	assert_int_equal(idx2, idx + 3);
	assert_int_equal(idx2, 0);
	*pp_ring_slot(r, idx2) = V(200);
	*pp_ring_slot(r, idx2 + 1) = V(201);
	/* reservations accumulate: a second one continues after the first */
	got = pp_ring_prod_reserve(r, 4, &idx);
	assert_int_equal(got, 3); /* 3 + 2 already taken of 8 */
	assert_int_equal(idx, idx2 + 2);
	for (uint32_t i = 0; i < 3; i++)
		*pp_ring_slot(r, idx + i) = V(300 + i);
	assert_int_equal(pp_ring_prod_reserve(r, 1, &idx), 0); /* full of reservations */
	pp_ring_prod_submit(r, 5);
	assert_int_equal(pp_ring_count(r), 8);

	static const uint32_t want[] = {100, 101, 102, 200, 201, 300, 301, 302};
	void *out[8];

	assert_int_equal(pp_ring_dequeue_bulk(r, out, 8), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(SEQ(out[i]), want[i]);
	assert_true(pp_ring_empty(r));
}

static void test_wrap_peek_release_cancel(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	void *in[8];
	uint32_t idx, idx2, got;

	for (uint32_t i = 0; i < 8; i++)
		in[i] = V(i);
	assert_int_equal(pp_ring_reset(r, UINT32_MAX - 1), 0);
	assert_int_equal(pp_ring_enqueue_bulk(r, in, 8), 8);

	got = pp_ring_cons_peek(r, 5, &idx);
	assert_int_equal(got, 5);
	assert_int_equal(idx, UINT32_MAX - 1);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(SEQ(*pp_ring_slot(r, idx + i)), i);
	/* claimed but unreleased slots are not free for the producer */
	assert_int_equal(pp_ring_free_count(r), 0);
	assert_false(pp_ring_enqueue(r, V(99)));
	/* put back the newest 3, release the oldest 2 */
	pp_ring_cons_cancel(r, 3);
	pp_ring_cons_release(r, 2);
	assert_int_equal(pp_ring_count(r), 6);
	assert_int_equal(pp_ring_free_count(r), 2);
	/* the cancelled ones come back first */
	got = pp_ring_cons_peek(r, 2, &idx2);
	assert_int_equal(got, 2);
	assert_int_equal(idx2, 0); /* UINT32_MAX - 1 + 2 wrapped */
	assert_int_equal(SEQ(*pp_ring_slot(r, idx2)), 2);
	assert_int_equal(SEQ(*pp_ring_slot(r, idx2 + 1)), 3);
	/* claims accumulate, and are capped by what is there */
	got = pp_ring_cons_peek(r, 10, &idx);
	assert_int_equal(got, 4);
	assert_int_equal(idx, idx2 + 2);
	assert_int_equal(pp_ring_cons_peek(r, 1, &idx), 0);
	pp_ring_cons_release(r, 6);
	assert_true(pp_ring_empty(r));
	/* released slots are the producer's again: exactly 8 */
	assert_int_equal(pp_ring_enqueue_burst(r, in, 8), 8);
	assert_int_equal(pp_ring_enqueue_burst(r, in, 1), 0);
	assert_int_equal(pp_ring_dequeue_burst(r, in, 8), 8);
}

static void test_reserve_more_than_size(void **state)
{
	struct fixture *f = *state;
	struct pp_ring *r = f->r;
	uint32_t idx;

	assert_int_equal(pp_ring_prod_reserve(r, 1000, &idx), 8);
	pp_ring_prod_cancel(r, 8);
	assert_int_equal(pp_ring_count(r), 0);
	assert_int_equal(pp_ring_prod_reserve(r, UINT32_MAX, &idx), 8);
	pp_ring_prod_cancel(r, 8);
	assert_true(pp_ring_empty(r));
	assert_int_equal(pp_ring_cons_peek(r, UINT32_MAX, &idx), 0);
}

/* ---- normal case -------------------------------------------------------- */

static void test_fifo_order(void **state)
{
	struct pp_ring *r;
	void *buf[300];
	uint32_t next_in = 0, next_out = 0, rnd = 12345;

	(void)state;
	assert_int_equal(pp_ring_create(256, 0, &r), 0);
	assert_int_equal(pp_ring_capacity(r), 256);
	for (int it = 0; it < 20000; it++) {
		rnd = rnd * 1103515245u + 12345u;
		uint32_t n = (rnd >> 16) % 300 + 1;
		uint32_t room = 256 - (next_in - next_out);

		for (uint32_t i = 0; i < n; i++)
			buf[i] = V(next_in + i);
		if (rnd & 1) {
			uint32_t got = pp_ring_enqueue_burst(r, buf, n);
			assert_int_equal(got, n < room ? n : room);
			next_in += got;
		} else {
			uint32_t got = pp_ring_enqueue_bulk(r, buf, n);
			assert_int_equal(got, n <= room ? n : 0);
			next_in += got;
		}
		assert_int_equal(pp_ring_count(r), next_in - next_out);

		rnd = rnd * 1103515245u + 12345u;
		n = (rnd >> 16) % 300 + 1;
		uint32_t have = next_in - next_out;
		uint32_t got = (rnd & 1) ? pp_ring_dequeue_burst(r, buf, n)
					 : pp_ring_dequeue_bulk(r, buf, n);
		if (rnd & 1)
			assert_int_equal(got, n < have ? n : have);
		else
			assert_int_equal(got, n <= have ? n : 0);
		for (uint32_t i = 0; i < got; i++)
			assert_int_equal(SEQ(buf[i]), next_out + i);
		next_out += got;
	}
	assert_true(next_out > 100000);
	pp_ring_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memsize_bad_sizes),
		cmocka_unit_test(test_init_bad_args),
		cmocka_unit_test(test_create_bad_args),
		cmocka_unit_test(test_memsize_boundaries),
		cmocka_unit_test(test_init_caller_memory),
		cmocka_unit_test(test_size_one),
		cmocka_unit_test_setup_teardown(test_exactly_full, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_exactly_empty, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_partial_room, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_copy_calls, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_reserve_submit_cancel, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_peek_release_cancel, setup8, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_more_than_size, setup8, teardown),
		cmocka_unit_test(test_fifo_order),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
