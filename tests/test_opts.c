// SPDX-License-Identifier: MIT
/*
 * test_opts.c - options structs that grow (src/core/opts.h, used by
 * pp_pool_create() and pp_stack_create()), cf. libbpf's OPTS_VALID().
 *
 * Regression for "opts from an older build rejected": both constructors
 * refused any sz below their own sizeof, so a program built against an older
 * header broke the day a field was added. Now a smaller struct works (the
 * missing fields are defaults), a bigger one works if its unknown tail is
 * zero, and a non-zero tail (a caller asking for what we cannot do) or an sz
 * too small to hold sz is -EINVAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/stack.h>

#include "core/opts.h"
#include "core/pool.h"

/* What a newer header's struct looks like to us: ours and a tail. */
struct pool_opts_v2 {
	struct pp_pool_opts o;
	uint64_t new_field;
	uint32_t another;
};

struct stack_opts_v2 {
	struct pp_stack_opts o;
	uint64_t new_field;
};

static struct pp_stack_opts stack_opts(size_t sz)
{
	struct pp_stack_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sz;
	o.nic = "null";
	o.ip = htonl(0xc6120001); /* 198.18.0.1 */
	o.prefix = 24;
	o.frames_per_lane = 256;
	o.flags = PP_STACK_F_NO_PIN;
	return o;
}

/* ---- negative cases ----------------------------------------------------- */

static void test_valid_rejects(void **state)
{
	unsigned char b[64];

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(pp__opts_valid(NULL, 16, 16), -EINVAL);
	assert_int_equal(pp__opts_valid(b, 0, 16), -EINVAL);
	assert_int_equal(pp__opts_valid(b, sizeof(size_t) - 1, 16), -EINVAL);
	assert_int_equal(pp__opts_valid(b, PP_OPTS_SZ_MAX + 1, 16), -EINVAL);
	/* a non-zero byte anywhere past what we know */
	for (size_t i = 16; i < sizeof(b); i++) {
		b[i] = 1;
		assert_int_equal(pp__opts_valid(b, sizeof(b), 16), -EINVAL);
		b[i] = 0;
	}
}

static void test_copy_rejects(void **state)
{
	struct pp_pool_opts dst;
	struct pool_opts_v2 v2;

	(void)state;
	memset(&dst, 0xff, sizeof(dst));
	assert_int_equal(pp__opts_copy(&dst, sizeof(dst), NULL), -EINVAL);
	assert_int_equal(dst.sz, 0); /* left zeroed */
	memset(&v2, 0, sizeof(v2));
	v2.o.sz = sizeof(v2);
	v2.another = 1;
	assert_int_equal(pp__opts_copy(&dst, sizeof(dst), &v2), -EINVAL);
}

/* A newer caller asking for something in its tail is refused; so is an sz
 * that cannot hold sz. */
static void test_pool_bad_tail(void **state)
{
	struct pool_opts_v2 v2;
	struct pp_pool *p = NULL;

	(void)state;
	memset(&v2, 0, sizeof(v2));
	v2.o.sz = sizeof(v2);
	v2.o.frames_per_lane = 64;
	v2.o.flags = PP_POOL_F_NO_HUGEPAGES;
	v2.new_field = 1;
	assert_int_equal(pp_pool_create(&v2.o, &p), -EINVAL);
	assert_null(p);
	v2.new_field = 0;
	v2.o.sz = sizeof(size_t) - 1;
	assert_int_equal(pp_pool_create(&v2.o, &p), -EINVAL);
	v2.o.sz = (size_t)-1; /* garbage, not a newer header */
	assert_int_equal(pp_pool_create(&v2.o, &p), -EINVAL);
	assert_null(p);
}

static void test_stack_bad_tail(void **state)
{
	struct stack_opts_v2 v2;
	struct pp_stack *st = NULL;

	(void)state;
	memset(&v2, 0, sizeof(v2));
	v2.o = stack_opts(sizeof(v2));
	v2.new_field = 1ull << 63;
	assert_int_equal(pp_stack_create(&v2.o, &st), -EINVAL);
	assert_null(st);
	v2.o.sz = 0;
	v2.new_field = 0;
	assert_int_equal(pp_stack_create(&v2.o, &st), -EINVAL);
	assert_null(st);
}

/* ---- boundaries --------------------------------------------------------- */

/* The smallest struct there is: sz alone, every field default. */
static void test_copy_sz_only(void **state)
{
	struct pp_pool_opts src, dst;

	(void)state;
	memset(&src, 0xab, sizeof(src));
	src.sz = sizeof(size_t);
	assert_int_equal(pp__opts_copy(&dst, sizeof(dst), &src), 0);
	assert_int_equal(dst.sz, sizeof(dst));
	assert_int_equal(dst.frames_per_lane, 0);
	assert_int_equal(dst.flags, 0); /* the 0xab past sz were not read */
}

/* ---- normal case -------------------------------------------------------- */

/* An older caller's struct, without the flags field: flags read as 0 even
 * though the bytes after its sz hold garbage. */
static void test_pool_older_struct(void **state)
{
	struct pp_pool_opts o;
	struct pp_pool *p = NULL;
	struct pp_pool_stats ps;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sz = offsetof(struct pp_pool_opts, flags);
	o.frames_per_lane = 64;
	o.flags = 0xdeadbeef; /* not part of the caller's struct: ignored */
	assert_int_equal(pp_pool_create(&o, &p), 0);
	pp_pool_stats(p, &ps);
	assert_int_equal(ps.nframes, 64);
	assert_int_equal(ps.in_use, 0);
	pp_pool_destroy(p);
}

static void test_pool_newer_struct(void **state)
{
	struct pool_opts_v2 v2;
	struct pp_pool *p = NULL;
	struct pp_pool_stats ps;

	(void)state;
	memset(&v2, 0, sizeof(v2));
	v2.o.sz = sizeof(v2);
	v2.o.frames_per_lane = 64;
	v2.o.flags = PP_POOL_F_NO_HUGEPAGES;
	assert_int_equal(pp_pool_create(&v2.o, &p), 0);
	pp_pool_stats(p, &ps);
	assert_int_equal(ps.nframes, 64);
	pp_pool_destroy(p);
}

static void test_stack_older_struct(void **state)
{
	struct pp_stack_opts o = stack_opts(offsetof(struct pp_stack_opts, flags));
	struct pp_stack *st = NULL;
	uint64_t nframes = 0;

	(void)state;
	o.flags = 0xffffffffu; /* past the older struct: must read as 0 */
	assert_int_equal(pp_stack_create(&o, &st), 0);
	assert_int_equal(pp_stack_stat_get(st, "pool.nframes", &nframes), 0);
	assert_int_equal(nframes, 256);
	pp_stack_destroy(st);
}

static void test_stack_newer_struct(void **state)
{
	struct stack_opts_v2 v2;
	struct pp_stack *st = NULL;
	uint64_t nlanes = 0;

	(void)state;
	memset(&v2, 0, sizeof(v2));
	v2.o = stack_opts(sizeof(v2));
	v2.o.nlanes = 2;
	assert_int_equal(pp_stack_create(&v2.o, &st), 0);
	assert_int_equal(pp_stack_stat_get(st, "stack.nlanes", &nlanes), 0);
	assert_int_equal(nlanes, 2);
	pp_stack_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_rejects),
		cmocka_unit_test(test_copy_rejects),
		cmocka_unit_test(test_pool_bad_tail),
		cmocka_unit_test(test_stack_bad_tail),
		cmocka_unit_test(test_copy_sz_only),
		cmocka_unit_test(test_pool_older_struct),
		cmocka_unit_test(test_pool_newer_struct),
		cmocka_unit_test(test_stack_older_struct),
		cmocka_unit_test(test_stack_newer_struct),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
