// SPDX-License-Identifier: MIT
/*
 * test_nomalloc.c - the steady-state data path calls no allocator: skb
 * alloc/free (local, remote through the return rings, refill, shared
 * references, fragment chains), ring enqueue/dequeue (copy and in-place),
 * and the stage counting helpers.
 *
 * How: the test executable counts every call into the allocator, then runs
 * 10^5 bursts after a warm-up and checks that the count did not move.
 *  - plain (and UBSan-only) builds: malloc, calloc, realloc, free and the
 *    aligned variants are defined here, forwarding to glibc's __libc_*
 *    entry points; the executable's definitions win symbol resolution for
 *    the whole process, libpktpipe and libc included;
 *  - ASan and TSan replace the allocator themselves, so defining malloc
 *    here would break them; there the sanitizer's own allocation hooks
 *    (__sanitizer_install_malloc_and_free_hooks) count instead.
 * A first test proves the counter sees an allocation, so a silent
 * interposition failure cannot pass for "no malloc".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"
#include "core/stage.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PP_SAN_ALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define PP_SAN_ALLOC 1
#endif
#endif

static atomic_ulong n_alloc, n_free;

/* Events an aligned allocation and its free add to the count: GCC 12's TSan
 * runs only the free hook for aligned_alloc/posix_memalign, so under TSan an
 * aligned allocation shows through its free alone (the plain build, which
 * interposes every entry point, has no such gap). */
#if defined(__SANITIZE_THREAD__)
#define ALIGNED_PAIR_EVENTS 1
#else
#define ALIGNED_PAIR_EVENTS 2
#endif

static inline void count(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#ifdef PP_SAN_ALLOC
/* compiler-rt's sanitizer/allocator_interface.h; GCC does not ship it */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	count(&n_alloc);
}

static void on_free(const volatile void *p)
{
	(void)p;
	count(&n_free);
}

static const char *install_counter(void)
{
	if (!__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free))
		return NULL;
	return "sanitizer allocation hooks";
}
#else
/* glibc's own entry points (exported, not declared in any header) */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t sz);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

void *malloc(size_t n)
{
	count(&n_alloc);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t sz)
{
	count(&n_alloc);
	return __libc_calloc(n, sz);
}

void *realloc(void *p, size_t n)
{
	count(&n_alloc);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		count(&n_free);
	__libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
	count(&n_alloc);
	return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
	count(&n_alloc);
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	count(&n_alloc);
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

static const char *install_counter(void)
{
	return "malloc interposed in the executable";
}
#endif

static const char *how;

static unsigned long allocs_now(void)
{
	return atomic_load(&n_alloc) + atomic_load(&n_free);
}

/* ---- negative case: the counter must see an allocation ------------------ */

static void test_counter_sees_malloc(void **state)
{
	void *volatile p;
	unsigned long before;

	(void)state;
	if (!how)
		fail_msg("could not install the allocation counter");
	print_message("nomalloc: counting with %s\n", how);
	before = allocs_now();
	p = malloc(64);
	assert_non_null(p);
	free(p);
	assert_true(allocs_now() >= before + 2);
	before = allocs_now();
	p = aligned_alloc(64, 128);
	assert_non_null(p);
	free(p);
	assert_true(allocs_now() >= before + ALIGNED_PAIR_EVENTS);
	/* and a control-path call of the library (pp_ring_create) is seen */
	struct pp_ring *r;

	before = allocs_now();
	assert_int_equal(pp_ring_create(64, 0, &r), 0);
	pp_ring_destroy(r);
	assert_true(allocs_now() >= before + ALIGNED_PAIR_EVENTS);
}

/* ---- normal case: the data path ------------------------------------------ */

#define ITERS 100000
#define WARMUP 1000
#define B PP_BURST

struct ctx {
	struct pp_pool *pool;
	struct pp_pool_cache *l0, *l1, *fr;
	struct pp_ring *r;
	struct pp_stage st;
	struct pp_stage_stats ss;
	unsigned long bad;	/* short counts where none were due */
};

/* One burst through everything the hot path does; no cmocka call inside. */
static void one_round(struct ctx *x, unsigned int i)
{
	struct pp_skb *b[B], *o[B];
	uint32_t idx, n;

	/* lane 0: alloc (bulk or burst), build, through a ring */
	n = (i & 1) ? pp_skb_alloc_bulk(x->l0, b, B) : pp_skb_alloc_burst(x->l0, b, B);
	if (n != B)
		x->bad++;
	for (uint32_t k = 0; k < n; k++) {
		uint8_t *p = pp_skb_put(b[k], 64);

		if (!p || !pp_skb_push(b[k], 42))
			x->bad++;
		else
			memset(p, (int)k, 64);
	}
	pp_stage_count_in(&x->st, b, (uint16_t)n);
	if (pp_ring_enqueue_burst(x->r, (void *const *)b, n) != n)
		x->bad++;
	if (pp_ring_dequeue_bulk(x->r, (void **)o, n) != n)
		x->bad++;

	/* in-place ring calls too */
	uint32_t got = pp_ring_prod_reserve(x->r, n, &idx);

	for (uint32_t k = 0; k < got; k++)
		*pp_ring_slot(x->r, idx + k) = o[k];
	pp_ring_prod_submit(x->r, got);
	got = pp_ring_cons_peek(x->r, n, &idx);
	for (uint32_t k = 0; k < got; k++)
		o[k] = *pp_ring_slot(x->r, idx + k);
	pp_ring_cons_release(x->r, got);
	if (got != n)
		x->bad++;

	/* frees of every kind: a shared one, a fragment chain, a drop, local
	 * frees on the owner, remote frees on the other lane and the freer
	 * (which come home through the return rings at the next refill) */
	if (n == B) {
		pp_skb_get(o[0]);
		pp_skb_free(x->l0, o[0]);
		pp_skb_free(x->l1, o[0]);
		o[1]->frag = o[2];
		o[2]->frag = o[3];
		pp_skb_free(x->fr, o[1]);
		pp_stage_drop(&x->st, o[4], PP_DROP_RING_FULL);
		pp_skb_free_burst(x->l0, &o[5], 9);
		pp_skb_free_burst(x->l1, &o[14], 9);
		pp_skb_free_burst(x->fr, &o[23], B - 23);
	} else {
		pp_skb_free_burst(x->l0, o, n);
	}
}

static void test_data_path_no_malloc(void **state)
{
	struct ctx x;
	struct pp_pool_opts opts = {.sz = sizeof(opts), .frames_per_lane = 1024, .nlanes = 2,
				    .nfreers = 1, .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_pool_stats ps;
	unsigned long before, after;

	(void)state;
	memset(&x, 0, sizeof(x));
	assert_int_equal(pp_pool_create(&opts, &x.pool), 0);
	x.l0 = pp_pool_cache(x.pool, 0);
	x.l1 = pp_pool_cache(x.pool, 1);
	x.fr = pp_pool_cache(x.pool, 2);
	assert_int_equal(pp_ring_create(256, 0, &x.r), 0);
	x.st.name = "nomalloc";
	x.st.cache = x.l0;
	x.st.stats = &x.ss;

	for (unsigned int i = 0; i < WARMUP; i++)
		one_round(&x, i);
	before = allocs_now();
	for (unsigned int i = 0; i < ITERS; i++)
		one_round(&x, i);
	after = allocs_now();

	assert_int_equal(x.bad, 0);
	if (after != before)
		fail_msg("the data path called the allocator %lu times in %u bursts",
			 after - before, ITERS);
	pp_pool_stats(x.pool, &ps);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	assert_true(ps.remote_frees > (uint64_t)ITERS * B / 2);
	assert_int_equal(x.ss.packets, (uint64_t)(ITERS + WARMUP) * B);
	assert_int_equal(x.ss.drops[PP_DROP_RING_FULL], ITERS + WARMUP);
	pp_ring_destroy(x.r);
	pp_pool_destroy(x.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_sees_malloc),
		cmocka_unit_test(test_data_path_no_malloc),
	};

	how = install_counter();
	return cmocka_run_group_tests_name("nomalloc", tests, NULL, NULL);
}
