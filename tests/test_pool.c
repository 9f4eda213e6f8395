// SPDX-License-Identifier: MIT
/*
 * test_pool.c - the frame pool (pktpipe/skb.h, src/core/pool.c) on one
 * thread: option checks, exhaustion and recovery, bulk all-or-nothing,
 * refused frees (double free, foreign pointers) that leave the pool
 * consistent, the region as a UMEM sees it, and remote frees coming home.
 *
 * cf. DPDK app/test/test_mempool.c; the threaded half is test_pool_remote.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/pool.h"

#define FPL 64

struct fixture {
	struct pp_pool *pool;
	struct pp_pool_cache *lane0, *lane1, *freer;
};

/* Two lanes and one freer, 64 frames each lane, 2K frames. */
static int setup(void **state)
{
	static struct fixture f;
	struct pp_pool_opts o = {
		.sz = sizeof(o), .frames_per_lane = FPL, .nlanes = 2, .nfreers = 1,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&f, 0, sizeof(f));
	if (pp_pool_create(&o, &f.pool))
		return -1;
	f.lane0 = pp_pool_cache(f.pool, 0);
	f.lane1 = pp_pool_cache(f.pool, 1);
	f.freer = pp_pool_cache(f.pool, 2);
	*state = &f;
	return 0;
}

/* Nothing leaked: every frame is home (cf. lwip_check_ensure_no_alloc). */
static int teardown(void **state)
{
	struct fixture *f = *state;
	struct pp_pool_stats st;

	assert_int_equal(pp_pool_stats(f->pool, &st), 0);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.allocs, st.frees);
	pp_pool_destroy(f->pool);
	return 0;
}

static struct pp_pool_stats stats(const struct fixture *f)
{
	struct pp_pool_stats st;

	assert_int_equal(pp_pool_stats(f->pool, &st), 0);
	return st;
}

/* Allocate every frame of lane 0; fails if any is handed out twice. */
static void alloc_all_unique(struct fixture *f, struct pp_skb **all)
{
	assert_int_equal(pp_skb_alloc_burst(f->lane0, all, FPL + 10), FPL);
	for (int i = 0; i < FPL; i++)
		for (int j = i + 1; j < FPL; j++)
			assert_ptr_not_equal(all[i], all[j]);
}

static int try_create(struct pp_pool_opts o)
{
	struct pp_pool *p = (struct pp_pool *)(uintptr_t)0x1;
	int rc = pp_pool_create(&o, &p);

	if (rc == 0)
		pp_pool_destroy(p);
	else
		assert_ptr_equal(p, (struct pp_pool *)(uintptr_t)0x1); /* untouched */
	return rc;
}

/* OPTS(.field = x) overrides one default: the override is the point. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define OPTS(...) ((struct pp_pool_opts){.sz = sizeof(struct pp_pool_opts), \
					  .frames_per_lane = 32,                \
					  .flags = PP_POOL_F_NO_HUGEPAGES, __VA_ARGS__})

/* ---- negative cases ----------------------------------------------------- */

static void test_create_bad_opts(void **state)
{
	struct pp_pool *p;
	struct pp_pool_opts o = OPTS(.nlanes = 1);

	(void)state;
	assert_int_equal(pp_pool_create(NULL, &p), -EINVAL);
	assert_int_equal(pp_pool_create(&o, NULL), -EINVAL);
	assert_int_equal(try_create(OPTS(.sz = 0)), -EINVAL);
	/* too small to hold sz itself (smaller ones are older callers: test_opts) */
	assert_int_equal(try_create(OPTS(.sz = sizeof(size_t) - 1)), -EINVAL);
	/* flags: unknown, and both huge page flags at once */
	assert_int_equal(try_create(OPTS(.flags = 0x4)), -EINVAL);
	assert_int_equal(try_create(OPTS(.flags = 0x80000000u)), -EINVAL);
	assert_int_equal(try_create(OPTS(.flags = PP_POOL_F_HUGEPAGES | PP_POOL_F_NO_HUGEPAGES)),
			 -EINVAL);
	/* frame size: 2K or 4K only */
	assert_int_equal(try_create(OPTS(.frame_size = 1000)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frame_size = 1024)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frame_size = 2049)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frame_size = 8192)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frame_size = 65536)), -EINVAL);
	/* headroom must leave 64 bytes of data after the metadata */
	assert_int_equal(try_create(OPTS(.headroom = 2048 - 64 - 64 + 1)), -EINVAL);
	assert_int_equal(try_create(OPTS(.headroom = UINT16_MAX)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frame_size = 4096, .headroom = 4096 - 64 - 64 + 1)),
			 -EINVAL);
	/* too many caches */
	assert_int_equal(try_create(OPTS(.nlanes = 1, .nfreers = PP_POOL_CACHES_MAX)), -EINVAL);
	assert_int_equal(try_create(OPTS(.nlanes = PP_POOL_CACHES_MAX + 1)), -EINVAL);
	assert_int_equal(try_create(OPTS(.nlanes = UINT16_MAX, .nfreers = UINT16_MAX)), -EINVAL);
	/* frames per lane: at least a burst */
	assert_int_equal(try_create(OPTS(.frames_per_lane = PP_BURST - 1)), -EINVAL);
	assert_int_equal(try_create(OPTS(.frames_per_lane = (1u << 24) + 1)), -EINVAL);
}

static void test_getters_bad_args(void **state)
{
	struct fixture *f = *state;
	struct pp_pool_stats st;
	size_t len = 7;

	assert_null(pp_pool_cache(NULL, 0));
	assert_null(pp_pool_cache(f->pool, 3)); /* 2 lanes + 1 freer */
	assert_null(pp_pool_cache(f->pool, UINT32_MAX));
	assert_null(pp_pool_region(NULL, &len));
	assert_int_equal(len, 7);
	assert_int_equal(pp_pool_frame_size(NULL), 0);
	assert_false(pp_pool_hugepages(NULL));
	assert_int_equal(pp_pool_stats(NULL, &st), -EINVAL);
	assert_int_equal(pp_pool_stats(f->pool, NULL), -EINVAL);
	pp_pool_destroy(NULL);
}

/* A freer owns no frames: it cannot allocate, and says so. */
static void test_freer_cannot_alloc(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *b[4];

	assert_null(pp_skb_alloc(f->freer));
	assert_int_equal(pp_skb_alloc_burst(f->freer, b, 4), 0);
	assert_int_equal(pp_skb_alloc_bulk(f->freer, b, 4), 0);
	assert_int_equal(stats(f).allocs, 0);
	assert_true(stats(f).alloc_fail >= 3);
}

static void test_double_free(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = pp_skb_alloc(f->lane0);
	struct pp_skb *all[FPL + 10];

	assert_non_null(s);
	pp_skb_free(f->lane0, s);
	pp_skb_free(f->lane0, s);
	assert_int_equal(stats(f).bad_free, 1);
	assert_int_equal(stats(f).frees, 1);
	assert_int_equal(stats(f).in_use, 0);
	/* the frame is on the stack once, not twice */
	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane0, all, FPL);
	assert_int_equal(stats(f).bad_free, 1);
}

/* A double free on the remote path must not put the frame on the return
 * ring twice either. */
static void test_double_free_remote(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = pp_skb_alloc(f->lane0);
	struct pp_skb *all[FPL + 10];

	assert_non_null(s);
	pp_skb_free(f->freer, s);
	pp_skb_free(f->freer, s);
	pp_skb_free(f->lane1, s);
	assert_int_equal(stats(f).bad_free, 2);
	assert_int_equal(stats(f).remote_frees, 1);
	assert_int_equal(stats(f).in_use, 0);
	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane0, all, FPL);
}

/* A frame that was never allocated (on its lane's stack) is refused. */
static void test_free_never_allocated(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *all[FPL + 10];
	uint8_t *base = pp_pool_region(f->pool, NULL);

	pp_skb_free(f->lane0, (struct pp_skb *)base);
	assert_int_equal(stats(f).bad_free, 1);
	assert_int_equal(stats(f).frees, 0);
	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane0, all, FPL);
}

/* Foreign pointers: refused, counted, and left untouched (no refcount
 * decrement on memory that is not the pool's). */
static void test_free_foreign(void **state)
{
	struct fixture *f = *state;
	static alignas(PP_CACHE_LINE) uint8_t fake_mem[3][PP_FRAME_2K];
	struct pp_skb *fake[3];
	struct pp_skb *all[FPL + 10];

	memset(fake_mem, 0, sizeof(fake_mem));
	for (int i = 0; i < 3; i++)
		fake[i] = (struct pp_skb *)fake_mem[i];
	/* [1] looks like a live skb, [2] like one with two holders */
	atomic_store(&fake[1]->refcnt, 1);
	fake[1]->state = PP_SKB_ALLOCATED;
	atomic_store(&fake[2]->refcnt, 2);
	fake[2]->state = PP_SKB_ALLOCATED;
	fake[2]->frag = fake[0];

	for (int i = 0; i < 3; i++)
		pp_skb_free(f->lane0, fake[i]);
	assert_int_equal(stats(f).bad_free, 3);
	assert_int_equal(stats(f).frees, 0);
	assert_int_equal(atomic_load(&fake[0]->refcnt), 0);
	assert_int_equal(atomic_load(&fake[1]->refcnt), 1);
	assert_int_equal(atomic_load(&fake[2]->refcnt), 2);
	assert_int_equal(fake[1]->state, PP_SKB_ALLOCATED);
	/* the same through a freer and a burst mixing good and bad */
	struct pp_skb *mix[3] = {pp_skb_alloc(f->lane0), fake[1], pp_skb_alloc(f->lane0)};

	pp_skb_free_burst(f->freer, mix, 3);
	assert_int_equal(stats(f).bad_free, 4);
	assert_int_equal(stats(f).frees, 2);
	assert_int_equal(stats(f).remote_frees, 2);
	assert_int_equal(stats(f).in_use, 0);
	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane0, all, FPL);
}

/* A pointer into the region but not at a frame start is refused, and the
 * frame it points into is not harmed. */
static void test_free_misaligned(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = pp_skb_alloc(f->lane0);

	assert_non_null(s);
	pp_skb_free(f->lane0, (struct pp_skb *)((uint8_t *)s + PP_SKB_META));
	pp_skb_free(f->lane0, (struct pp_skb *)((uint8_t *)s + 1));
	assert_int_equal(stats(f).bad_free, 2);
	assert_int_equal(s->state, PP_SKB_ALLOCATED);
	assert_int_equal(atomic_load(&s->refcnt), 1);
	pp_skb_free(f->lane0, s);
	assert_int_equal(stats(f).bad_free, 2);
}

/* A frame of another pool is foreign too. */
static void test_free_other_pool(void **state)
{
	struct fixture *f = *state;
	struct pp_pool *other;
	struct pp_pool_opts o = OPTS(.nlanes = 1);
	struct pp_pool_stats ost;

	assert_int_equal(pp_pool_create(&o, &other), 0);
	struct pp_skb *s = pp_skb_alloc(pp_pool_cache(other, 0));

	assert_non_null(s);
	pp_skb_free(f->lane0, s);
	assert_int_equal(stats(f).bad_free, 1);
	assert_int_equal(s->state, PP_SKB_ALLOCATED);
	pp_skb_free(pp_pool_cache(other, 0), s);
	pp_pool_stats(other, &ost);
	assert_int_equal(ost.in_use, 0);
	assert_int_equal(ost.bad_free, 0);
	pp_pool_destroy(other);
}

/* ---- boundaries --------------------------------------------------------- */

static void test_create_boundaries(void **state)
{
	struct pp_pool *p;

	(void)state;
	assert_int_equal(try_create(OPTS(.headroom = 2048 - PP_FRAME_COLOUR_MAX - 64 - 64)), 0);
	assert_int_equal(try_create(OPTS(.frame_size = 4096,
					 .headroom = 4096 - PP_FRAME_COLOUR_MAX - 64 - 64)), 0);
	assert_int_equal(try_create(OPTS(.frames_per_lane = PP_BURST)), 0);
	assert_int_equal(try_create(OPTS(.nlanes = 1, .nfreers = PP_POOL_CACHES_MAX - 1)), 0);
	assert_int_equal(try_create(OPTS(.nlanes = PP_POOL_CACHES_MAX)), 0);
	/* a newer caller's bigger struct with a zero tail (test_opts has more) */
	struct {
		struct pp_pool_opts o;
		unsigned char tail[64];
	} big;

	memset(&big, 0, sizeof(big));
	big.o = OPTS(.sz = sizeof(big));
	assert_int_equal(pp_pool_create(&big.o, &p), 0);
	pp_pool_destroy(p);

	/* all defaults: 1 lane, 4096 frames of 2K, huge pages if there are any */
	struct pp_pool_opts d = {.sz = sizeof(d)};
	struct pp_pool_stats st;
	size_t len;

	assert_int_equal(pp_pool_create(&d, &p), 0);
	assert_int_equal(pp_pool_frame_size(p), PP_FRAME_2K);
	assert_non_null(pp_pool_region(p, &len));
	assert_int_equal(len, 4096u * 2048u);
	pp_pool_stats(p, &st);
	assert_int_equal(st.nframes, 4096);
	assert_non_null(pp_pool_cache(p, 0));
	assert_null(pp_pool_cache(p, 1));
	assert_int_equal(pp_pool_cache(p, 0)->headroom, PP_SKB_HEADROOM);
	pp_pool_destroy(p);
}

static void test_exhaust_and_recover(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *all[FPL + 10], *b[16];
	struct pp_pool_stats st;

	alloc_all_unique(f, all); /* a burst of 74 gives the 64 there are */
	st = stats(f);
	assert_int_equal(st.in_use, FPL);
	assert_int_equal(st.alloc_fail, 1);
	/* exhausted: every style fails and counts it */
	assert_null(pp_skb_alloc(f->lane0));
	assert_int_equal(pp_skb_alloc_burst(f->lane0, b, 4), 0);
	assert_int_equal(pp_skb_alloc_bulk(f->lane0, b, 1), 0);
	st = stats(f);
	assert_int_equal(st.alloc_fail, 4);
	assert_int_equal(st.allocs, FPL);
	/* lane 1 is unaffected */
	assert_int_equal(pp_skb_alloc_bulk(f->lane1, b, 16), 16);
	pp_skb_free_burst(f->lane1, b, 16);

	/* give 10 back: a bulk of 11 fails whole and takes nothing ... */
	pp_skb_free_burst(f->lane0, &all[FPL - 10], 10);
	assert_int_equal(pp_skb_alloc_bulk(f->lane0, b, 11), 0);
	assert_int_equal(stats(f).in_use, FPL - 10);
	/* ... so the 10 are still all there */
	assert_int_equal(pp_skb_alloc_bulk(f->lane0, b, 10), 10);
	assert_int_equal(stats(f).in_use, FPL);
	memcpy(&all[FPL - 10], b, sizeof(b[0]) * 10);
	pp_skb_free_burst(f->lane0, all, FPL);
	assert_int_equal(stats(f).in_use, 0);
	/* recovered completely */
	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane0, all, FPL);
}

/* The region is what an AF_XDP UMEM registers: page aligned, frames inside. */
static void test_region_layout(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *all[FPL + 10];
	size_t len = 0;
	uint8_t *base = pp_pool_region(f->pool, &len);
	long page = sysconf(_SC_PAGESIZE);

	assert_non_null(base);
	assert_int_equal((uintptr_t)base % (uintptr_t)page, 0);
	assert_int_equal(len, 2u * FPL * PP_FRAME_2K);
	assert_int_equal(pp_pool_frame_size(f->pool), PP_FRAME_2K);
	assert_false(pp_pool_hugepages(f->pool)); /* PP_POOL_F_NO_HUGEPAGES */
	assert_int_equal(stats(f).nframes, 2 * FPL);

	alloc_all_unique(f, all);
	for (int i = 0; i < FPL; i++) {
		uint8_t *p = (uint8_t *)all[i];

		size_t fi = (size_t)(p - base) / PP_FRAME_2K;

		/* the skb sits at its frame's colour offset and ends with it */
		assert_int_equal((size_t)(p - base) % PP_FRAME_2K, pp_frame_colour(fi));
		assert_true(p >= base && p + all[i]->end <= base + len);
		assert_int_equal((size_t)(p - base) + all[i]->end, (fi + 1) * PP_FRAME_2K);
		/* lane 0 owns the first half of the region */
		assert_true(p < base + (size_t)FPL * PP_FRAME_2K);
		assert_int_equal(all[i]->owner, 0);
		assert_int_equal(all[i]->end, PP_FRAME_2K - pp_frame_colour(fi));
	}
	/* the lowest frame comes out first */
	assert_ptr_equal(all[0], (struct pp_skb *)base);
	pp_skb_free_burst(f->lane0, all, FPL);
}

static void test_skb_from_offset(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *b[8];
	size_t len;
	uint8_t *base = pp_pool_region(f->pool, &len);

	assert_int_equal(pp_skb_alloc_bulk(f->lane1, b, 8), 8);
	for (int i = 0; i < 8; i++) {
		assert_non_null(pp_skb_put(b[i], 100));
		uint64_t off = pp_skb_region_offset(f->lane1, b[i]);

		assert_int_equal(off, (uint64_t)(pp_skb_data(b[i]) - base));
		/* any cache resolves it: lane, other lane, freer */
		assert_ptr_equal(pp_pool_skb_from_offset(f->lane1, off), b[i]);
		assert_ptr_equal(pp_pool_skb_from_offset(f->lane0, off), b[i]);
		assert_ptr_equal(pp_pool_skb_from_offset(f->freer, off), b[i]);
		/* every offset inside the frame maps to it */
		assert_ptr_equal(pp_pool_skb_from_offset(f->lane1, off + 99), b[i]);
		assert_ptr_equal(pp_pool_skb_from_offset(f->lane1, (uint64_t)((uint8_t *)b[i] - base)),
				 b[i]);
		uint64_t frame = (uint64_t)((uint8_t *)b[i] - base) & ~(uint64_t)(PP_FRAME_2K - 1);

		assert_ptr_equal(pp_pool_skb_from_offset(f->lane1, frame), b[i]);
		assert_ptr_equal(pp_pool_skb_from_offset(f->lane1, frame + PP_FRAME_2K - 1), b[i]);
	}
	assert_ptr_equal(pp_pool_skb_from_offset(f->lane0, 0), (struct pp_skb *)base);
	assert_ptr_equal(pp_pool_skb_from_offset(f->lane0, len - 1),
			 (struct pp_skb *)(base + len - PP_FRAME_2K +
					   pp_frame_colour(len / PP_FRAME_2K - 1)));
	assert_null(pp_pool_skb_from_offset(f->lane0, len));
	assert_null(pp_pool_skb_from_offset(f->lane0, len + PP_FRAME_2K));
	assert_null(pp_pool_skb_from_offset(f->lane0, UINT64_MAX));
	pp_skb_free_burst(f->lane1, b, 8);
}

static long meminfo(const char *key)
{
	FILE *fp = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(fp);
	return v;
}

static long sysfs_long(const char *path)
{
	FILE *fp = fopen(path, "r");
	long v = -1;

	if (!fp)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	fclose(fp);
	return v;
}

/* Huge pages: either outcome, but a clean one. With none configured,
 * PP_POOL_F_HUGEPAGES must fail with -ENOMEM and nothing else. */
static void test_hugepages(void **state)
{
	struct pp_pool *p = NULL;
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = 1024,
				 .flags = PP_POOL_F_HUGEPAGES};
	long free_hp = meminfo("HugePages_Free");
	long over = sysfs_long("/proc/sys/vm/nr_overcommit_hugepages");
	int rc = pp_pool_create(&o, &p);

	(void)state;
	if (rc == 0) {
		size_t len;

		assert_true(pp_pool_hugepages(p));
		assert_non_null(pp_pool_region(p, &len));
		assert_int_equal((uintptr_t)pp_pool_region(p, NULL) % (2u << 20), 0);
		struct pp_skb *s = pp_skb_alloc(pp_pool_cache(p, 0));
		assert_non_null(s);
		pp_skb_free(pp_pool_cache(p, 0), s);
		pp_pool_destroy(p);
		print_message("huge pages: available, pool on huge pages\n");
	} else {
		assert_int_equal(rc, -ENOMEM);
		print_message("huge pages: none (HugePages_Free %ld, overcommit %ld): -ENOMEM\n",
			      free_hp, over);
	}
	if (free_hp == 0 && over <= 0)
		assert_int_equal(rc, -ENOMEM);

	/* without the flag the pool falls back and reports what it got */
	o.flags = 0;
	assert_int_equal(pp_pool_create(&o, &p), 0);
	if (free_hp == 0 && over <= 0)
		assert_false(pp_pool_hugepages(p));
	pp_pool_destroy(p);
}

/* ---- normal case -------------------------------------------------------- */

static void test_alloc_free_fresh_state(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *b[PP_BURST];

	for (int round = 0; round < 100; round++) {
		assert_int_equal(pp_skb_alloc_bulk(f->lane0, b, PP_BURST), PP_BURST);
		for (int i = 0; i < PP_BURST; i++) {
			/* whatever the last user left, a new skb is clean */
			assert_int_equal(b[i]->len, 0);
			assert_int_equal(b[i]->data_off, PP_SKB_META + PP_SKB_HEADROOM);
			assert_int_equal(atomic_load(&b[i]->refcnt), 1);
			assert_int_equal(b[i]->state, PP_SKB_ALLOCATED);
			assert_null(b[i]->frag);
			assert_null(b[i]->next);
			assert_int_equal(b[i]->flags, 0);
			b[i]->flags = 0xff;
			b[i]->hash = 0xdeadbeef;
			b[i]->next = b[i];
			assert_non_null(pp_skb_put(b[i], 200));
		}
		pp_skb_free_burst(f->lane0, b, PP_BURST);
	}
	assert_int_equal(stats(f).allocs, 100 * PP_BURST);
	assert_int_equal(stats(f).alloc_fail, 0);
}

/* Lane 1 and the freer free lane 0's frames; they come home through the
 * return rings and lane 0 can allocate every one of them again. */
static void test_remote_free_comes_home(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *all[FPL + 10];
	struct pp_pool_stats st;

	alloc_all_unique(f, all);
	pp_skb_free_burst(f->lane1, all, FPL / 2);
	pp_skb_free_burst(f->freer, &all[FPL / 2], FPL / 2);
	st = stats(f);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.remote_frees, FPL);
	assert_int_equal(pp_skb_alloc_bulk(f->lane0, all, FPL), FPL); /* refilled */
	for (int i = 0; i < FPL; i++)
		assert_int_equal(all[i]->owner, 0);
	pp_skb_free_burst(f->lane0, all, FPL);
	assert_int_equal(stats(f).remote_frees, FPL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad_opts),
		T(test_getters_bad_args),
		T(test_freer_cannot_alloc),
		T(test_double_free),
		T(test_double_free_remote),
		T(test_free_never_allocated),
		T(test_free_foreign),
		T(test_free_misaligned),
		T(test_free_other_pool),
		cmocka_unit_test(test_create_boundaries),
		T(test_exhaust_and_recover),
		T(test_region_layout),
		T(test_skb_from_offset),
		cmocka_unit_test(test_hugepages),
		T(test_alloc_free_fresh_state),
		T(test_remote_free_comes_home),
	};
#undef T
	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
