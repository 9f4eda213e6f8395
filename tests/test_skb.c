// SPDX-License-Identifier: MIT
/*
 * test_skb.c - the skb buffer calls (pktpipe/skb.h), cf. the kernel's
 * skb_reserve/skb_push/skb_pull/skb_put/skb_trim, and its references
 * (skb_get, kfree_skb of a fragment list).
 *
 * A request that does not fit must change nothing; one that fits exactly
 * must end at the frame's last byte and not one byte later, which a canary
 * in the next frame (the pool allocates adjacent frames in address order)
 * checks. Every test ends with the pool full again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"

#define CANARY 0x5c

struct fixture {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	uint32_t fsz;
	struct pp_skb *a, *next; /* a and the frame right after it */
};

static int setup_fsz(void **state, uint32_t fsz, uint16_t headroom)
{
	static struct fixture f;
	struct pp_pool_opts o = {
		.sz = sizeof(o), .frames_per_lane = 64, .frame_size = fsz,
		.headroom = headroom, .flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&f, 0, sizeof(f));
	if (pp_pool_create(&o, &f.pool))
		return -1;
	f.c = pp_pool_cache(f.pool, 0);
	f.fsz = fsz;
	f.a = pp_skb_alloc(f.c);
	f.next = pp_skb_alloc(f.c);
	/* frame 0 (colour 0) then frame 1, whose skb sits at its colour offset */
	if (!f.a || !f.next || f.a->end != fsz ||
	    (uint8_t *)f.next != (uint8_t *)f.a + fsz + pp_frame_colour(1))
		return -1;
	/* canary: every byte of the next frame but its metadata */
	memset((uint8_t *)f.a + fsz, CANARY, pp_frame_colour(1));
	memset((uint8_t *)f.next + PP_SKB_META, CANARY, f.next->end - PP_SKB_META);
	*state = &f;
	return 0;
}

static int setup_2k(void **state)
{
	return setup_fsz(state, PP_FRAME_2K, 0);
}

static int setup_4k(void **state)
{
	return setup_fsz(state, PP_FRAME_4K, 0);
}

static int setup_2k_hr256(void **state)
{
	return setup_fsz(state, PP_FRAME_2K, 256);
}

static void check_canary(const struct fixture *f)
{
	const uint8_t *gap = (const uint8_t *)f->next - pp_frame_colour(1);
	const uint8_t *p = (const uint8_t *)f->next + PP_SKB_META;

	for (uint32_t i = 0; i < pp_frame_colour(1); i++)
		if (gap[i] != CANARY)
			fail_msg("canary byte %u before the next frame's skb overwritten", i);
	for (uint32_t i = 0; i < (uint32_t)f->next->end - PP_SKB_META; i++)
		if (p[i] != CANARY)
			fail_msg("canary byte %u of the next frame overwritten", i);
}

/* Teardown: the frames come back and the pool is full again. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	struct pp_pool_stats st;

	check_canary(f);
	if (f->a)
		pp_skb_free(f->c, f->a);
	pp_skb_free(f->c, f->next);
	assert_int_equal(pp_pool_stats(f->pool, &st), 0);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.bad_free, 0);
	pp_pool_destroy(f->pool);
	return 0;
}

#define ASSERT_UNCHANGED(skb, want_off, want_len)           \
	do {                                                \
		assert_int_equal((skb)->data_off, (want_off)); \
		assert_int_equal((skb)->len, (want_len));   \
	} while (0)

/* ---- negative cases: nothing changes ------------------------------------ */

static void test_push_too_much(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint16_t off = s->data_off, len = s->len;
	uint32_t hr = pp_skb_headroom(s);

	assert_null(pp_skb_push(s, hr + 1));
	ASSERT_UNCHANGED(s, off, len);
	assert_null(pp_skb_push(s, 65536));
	assert_null(pp_skb_push(s, UINT32_MAX));
	ASSERT_UNCHANGED(s, off, len);
}

static void test_put_too_much(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint16_t off = s->data_off, len = s->len;
	uint32_t tr = pp_skb_tailroom(s);

	assert_null(pp_skb_put(s, tr + 1));
	ASSERT_UNCHANGED(s, off, len);
	assert_null(pp_skb_put(s, 65536 + 10)); /* would wrap a uint16_t len */
	assert_null(pp_skb_put(s, UINT32_MAX));
	ASSERT_UNCHANGED(s, off, len);
	/* with some data already there */
	assert_non_null(pp_skb_put(s, 100));
	assert_null(pp_skb_put(s, tr - 100 + 1));
	ASSERT_UNCHANGED(s, off, len + 100);
}

static void test_pull_too_much(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint16_t off = s->data_off;

	assert_null(pp_skb_pull(s, 1)); /* empty */
	ASSERT_UNCHANGED(s, off, 0);
	assert_non_null(pp_skb_put(s, 10));
	assert_null(pp_skb_pull(s, 11));
	assert_null(pp_skb_pull(s, UINT32_MAX));
	ASSERT_UNCHANGED(s, off, 10);
}

static void test_trim_too_much(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint16_t off = s->data_off;

	assert_non_null(pp_skb_put(s, 10));
	assert_int_equal(pp_skb_trim(s, 11), -EINVAL);
	assert_int_equal(pp_skb_trim(s, UINT32_MAX), -EINVAL);
	ASSERT_UNCHANGED(s, off, 10);
}

static void test_reserve_refused(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint16_t off = s->data_off;
	uint32_t tr = pp_skb_tailroom(s);

	assert_int_equal(pp_skb_reserve(s, tr + 1), -ENOSPC);
	assert_int_equal(pp_skb_reserve(s, UINT32_MAX), -ENOSPC);
	ASSERT_UNCHANGED(s, off, 0);
	/* only an empty skb may be reserved into */
	assert_non_null(pp_skb_put(s, 1));
	assert_int_equal(pp_skb_reserve(s, 1), -EINVAL);
	ASSERT_UNCHANGED(s, off, 1);
}

/* ---- boundaries --------------------------------------------------------- */

static void test_rooms_fresh(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint32_t hr = f->c->headroom;

	/* what a fresh skb looks like */
	assert_int_equal(s->end, f->fsz);
	assert_int_equal(s->data_off, PP_SKB_META + hr);
	assert_int_equal(s->len, 0);
	assert_int_equal(pp_skb_headroom(s), hr);
	assert_int_equal(pp_skb_tailroom(s), f->fsz - PP_SKB_META - hr);
	assert_ptr_equal(pp_skb_data(s), (uint8_t *)s + PP_SKB_META + hr);
	assert_ptr_equal(pp_skb_tail(s), pp_skb_data(s));
	assert_int_equal(atomic_load(&s->refcnt), 1);
	assert_false(pp_skb_shared(s));
	assert_null(s->next);
	assert_null(s->frag);
}

static void test_rooms_2k_default(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp_skb_headroom(f->a), PP_SKB_HEADROOM);
	assert_int_equal(pp_skb_tailroom(f->a), 2048 - 64 - 128);
	test_rooms_fresh(state);
}

static void test_rooms_4k_default(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp_skb_headroom(f->a), PP_SKB_HEADROOM);
	assert_int_equal(pp_skb_tailroom(f->a), 4096 - 64 - 128);
	test_rooms_fresh(state);
}

static void test_rooms_2k_hr256(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pp_skb_headroom(f->a), 256);
	assert_int_equal(pp_skb_tailroom(f->a), 2048 - 64 - 256);
	test_rooms_fresh(state);
}

/* put exactly the tailroom: the data ends at the frame's last byte */
static void test_put_exact(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint32_t tr = pp_skb_tailroom(s);
	uint8_t *p = pp_skb_put(s, tr);

	assert_non_null(p);
	assert_ptr_equal(p, pp_skb_data(s));
	assert_int_equal(s->len, tr);
	assert_int_equal(pp_skb_tailroom(s), 0);
	assert_ptr_equal(pp_skb_tail(s), (uint8_t *)s + f->fsz);
	memset(p, 0xee, tr);
	check_canary(f);
	assert_null(pp_skb_put(s, 1));
	assert_non_null(pp_skb_put(s, 0)); /* zero always fits */
	assert_int_equal(s->len, tr);
}

/* push exactly the headroom: the data starts right after the metadata */
static void test_push_exact(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint32_t hr = pp_skb_headroom(s);
	uint16_t owner = s->owner, end = s->end;
	uint8_t *p;

	assert_non_null(pp_skb_put(s, 20));
	p = pp_skb_push(s, hr);
	assert_ptr_equal(p, (uint8_t *)s + PP_SKB_META);
	assert_int_equal(s->len, 20 + hr);
	assert_int_equal(pp_skb_headroom(s), 0);
	memset(p, 0xdd, hr);
	/* the metadata before it is intact */
	assert_int_equal(s->owner, owner);
	assert_int_equal(s->end, end);
	assert_int_equal(s->state, PP_SKB_ALLOCATED);
	assert_int_equal(atomic_load(&s->refcnt), 1);
	assert_null(pp_skb_push(s, 1));
	assert_int_equal(s->data_off, PP_SKB_META);
}

/* reserve all of the tailroom, then push all of the headroom: the whole
 * frame after the metadata */
static void test_reserve_exact(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint32_t tr = pp_skb_tailroom(s);

	assert_int_equal(pp_skb_reserve(s, tr), 0);
	assert_int_equal(pp_skb_tailroom(s), 0);
	assert_int_equal(pp_skb_headroom(s), f->fsz - PP_SKB_META);
	assert_int_equal(s->data_off, f->fsz);
	assert_null(pp_skb_put(s, 1));
	assert_int_equal(pp_skb_reserve(s, 0), 0);
	uint8_t *p = pp_skb_push(s, f->fsz - PP_SKB_META);
	assert_ptr_equal(p, (uint8_t *)s + PP_SKB_META);
	assert_int_equal(s->len, f->fsz - PP_SKB_META);
	memset(p, 0x77, s->len);
	check_canary(f);
}

static void test_pull_trim_exact(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint8_t *tail;

	assert_non_null(pp_skb_put(s, 50));
	tail = pp_skb_tail(s);
	assert_ptr_equal(pp_skb_pull(s, 50), tail);
	assert_int_equal(s->len, 0);
	assert_ptr_equal(pp_skb_data(s), tail);
	assert_non_null(pp_skb_put(s, 30));
	assert_int_equal(pp_skb_trim(s, 30), 0);
	assert_int_equal(s->len, 30);
	assert_int_equal(pp_skb_trim(s, 0), 0);
	assert_int_equal(s->len, 0);
}

/* ---- normal case -------------------------------------------------------- */

/* The journey: payload put, then UDP, IPv4, Ethernet pushed in front; the
 * receive side pulls them off again. */
static void test_push_pull_journey(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	uint8_t *payload = pp_skb_put(s, 100);

	assert_non_null(payload);
	for (int i = 0; i < 100; i++)
		payload[i] = (uint8_t)i;
	uint8_t *udp = pp_skb_push(s, 8);
	uint8_t *ip = pp_skb_push(s, 20);
	uint8_t *eth = pp_skb_push(s, 14);

	assert_ptr_equal(udp, payload - 8);
	assert_ptr_equal(ip, udp - 20);
	assert_ptr_equal(eth, ip - 14);
	assert_int_equal(s->len, 142);
	assert_int_equal(pp_skb_headroom(s), f->c->headroom - 42);
	s->mac_off = pp_skb_offset(s, eth);
	s->net_off = pp_skb_offset(s, ip);
	s->trans_off = pp_skb_offset(s, udp);
	assert_ptr_equal(pp_skb_at(s, s->net_off), ip);
	assert_ptr_equal(pp_skb_pull(s, 14), ip);
	assert_ptr_equal(pp_skb_pull(s, 20), udp);
	assert_ptr_equal(pp_skb_pull(s, 8), payload);
	for (int i = 0; i < 100; i++)
		assert_int_equal(payload[i], i);
	assert_int_equal(pp_skb_trim(s, 60), 0);
	assert_int_equal(pp_skb_tailroom(s), f->fsz - PP_SKB_META - f->c->headroom - 60);
}

/* pp_skb_get: the frame comes back only after the second free */
static void test_refcount(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	struct pp_pool_stats st;

	assert_ptr_equal(pp_skb_get(s), s);
	assert_true(pp_skb_shared(s));
	assert_int_equal(atomic_load(&s->refcnt), 2);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, 2);

	pp_skb_free(f->c, s);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, 2); /* still held */
	assert_int_equal(s->state, PP_SKB_ALLOCATED);
	assert_false(pp_skb_shared(s));

	pp_skb_free(f->c, s);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, 1); /* only f->next left */
	assert_int_equal(s->state, PP_SKB_FREE);
	assert_int_equal(st.bad_free, 0);
	f->a = NULL;

	/* and it is the next frame handed out (LIFO) */
	struct pp_skb *again = pp_skb_alloc(f->c);
	assert_ptr_equal(again, s);
	assert_int_equal(atomic_load(&again->refcnt), 1);
	f->a = again;
}

/* three holders: get, get, three frees */
static void test_refcount_three(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *s = f->a;
	struct pp_pool_stats st;

	pp_skb_get(s);
	pp_skb_get(s);
	for (int i = 0; i < 2; i++) {
		pp_skb_free(f->c, s);
		assert_int_equal(s->state, PP_SKB_ALLOCATED);
	}
	pp_skb_free(f->c, s);
	assert_int_equal(s->state, PP_SKB_FREE);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, 1);
	f->a = NULL;
}

/* freeing the head of a fragment chain frees every frame on it */
static void test_frag_chain_free(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *fr[4];
	struct pp_pool_stats st0, st;

	pp_pool_stats(f->pool, &st0);
	assert_int_equal(pp_skb_alloc_bulk(f->c, fr, 4), 4);
	for (int i = 0; i < 3; i++)
		fr[i]->frag = fr[i + 1];
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, st0.in_use + 4);
	pp_skb_free(f->c, fr[0]);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, st0.in_use);
	assert_int_equal(st.frees, st0.frees + 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(fr[i]->state, PP_SKB_FREE);
}

/* a fragment someone else still holds stays allocated while the rest of
 * the chain goes home */
static void test_frag_chain_shared_member(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *fr[3];
	struct pp_pool_stats st0, st;

	pp_pool_stats(f->pool, &st0);
	assert_int_equal(pp_skb_alloc_bulk(f->c, fr, 3), 3);
	fr[0]->frag = fr[1];
	fr[1]->frag = fr[2];
	pp_skb_get(fr[1]);
	pp_skb_free(f->c, fr[0]);
	assert_int_equal(fr[0]->state, PP_SKB_FREE);
	assert_int_equal(fr[1]->state, PP_SKB_ALLOCATED);
	assert_int_equal(fr[2]->state, PP_SKB_FREE);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, st0.in_use + 1);
	/* the holder frees it alone: the chain link is stale by then */
	fr[1]->frag = NULL;
	pp_skb_free(f->c, fr[1]);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, st0.in_use);
}

static void test_free_burst_and_drop(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *b[8];
	struct pp_pool_stats st0, st;

	pp_pool_stats(f->pool, &st0);
	pp_skb_free(f->c, NULL); /* no-op */
	assert_int_equal(pp_skb_alloc_burst(f->c, b, 8), 8);
	pp_skb_free_burst(f->c, b, 7);
	pp_skb_drop(f->c, b[7], PP_DROP_NO_ROUTE);
	assert_int_equal(b[7]->drop_reason, PP_DROP_NO_ROUTE);
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.in_use, st0.in_use);
	assert_int_equal(st.frees, st0.frees + 8);
	assert_int_equal(st.bad_free, 0);
}

/* ---- transmit copies (pp_skb_tx_copy) ------------------------------------ */

/* An original as a transport keeps it: payload after the pool's headroom,
 * metadata set, linked on a write queue. */
static void make_original(struct pp_skb *o, uint32_t len, uint8_t tag)
{
	uint8_t *d = pp_skb_put(o, len);

	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(tag + i * 7);
	o->hash = 0xdeadbeef;
	o->prio = 6;
	o->queue = 3;
	o->flags = PP_SKB_F_NOROUTE | PP_SKB_F_CSUM_OK;
	o->nexthop = 0x0100000a;
	o->sk = (void *)o; /* any non-NULL token */
	o->tstamp = 123456789;
	o->next = NULL;
}

/* A snapshot of everything an original is: its metadata line and its frame
 * after it. */
struct snap {
	uint8_t meta[PP_SKB_META];
	uint8_t bytes[PP_FRAME_4K];
	uint32_t n;
};

static void snap_take(struct snap *sn, const struct pp_skb *o)
{
	sn->n = (uint32_t)o->end - PP_SKB_META;
	memcpy(sn->meta, (const void *)o, PP_SKB_META);
	memcpy(sn->bytes, (const uint8_t *)o + PP_SKB_META, sn->n);
}

static void snap_check(const struct snap *sn, const struct pp_skb *o)
{
	assert_memory_equal(sn->meta, (const void *)o, PP_SKB_META);
	assert_memory_equal(sn->bytes, (const uint8_t *)o + PP_SKB_META, sn->n);
}

static void stats_equal(const struct pp_pool_stats *a, const struct pp_pool_stats *b)
{
	assert_int_equal(a->allocs, b->allocs);
	assert_int_equal(a->frees, b->frees);
	assert_int_equal(a->alloc_fail, b->alloc_fail);
	assert_int_equal(a->bad_free, b->bad_free);
	assert_int_equal(a->in_use, b->in_use);
}

/* Bad arguments: NULL, nothing allocated, nothing counted, the original as
 * it was. */
static void test_tx_copy_bad_args(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *o = f->a, *ch;
	struct pp_pool_stats st0, st;
	static struct snap sn;
	uint32_t room = pp_skb_tx_copy_room(f->c);
	/* a frame-sized buffer outside the pool, looking like an skb */
	static union {
		struct pp_skb skb;
		uint8_t b[PP_FRAME_2K];
	} foreign;

	make_original(o, 100, 1);
	snap_take(&sn, o);
	pp_pool_stats(f->pool, &st0);

	assert_null(pp_skb_tx_copy(NULL, o, 0));
	assert_null(pp_skb_tx_copy(f->c, NULL, 0));
	memcpy(&foreign.skb, o, sizeof(*o));
	assert_null(pp_skb_tx_copy(f->c, &foreign.skb, 0));
	/* not the start of a frame */
	assert_null(pp_skb_tx_copy(f->c, (const struct pp_skb *)((const uint8_t *)o + 64), 0));
	/* headroom alone too big, and by one byte with the payload */
	assert_null(pp_skb_tx_copy(f->c, o, room + 1));
	assert_null(pp_skb_tx_copy(f->c, o, UINT32_MAX));
	assert_null(pp_skb_tx_copy(f->c, o, room - 100 + 1));
	assert_null(pp_skb_tx_copy(f->c, o, 65536));
	pp_pool_stats(f->pool, &st);
	stats_equal(&st, &st0);
	snap_check(&sn, o);

	/* a fragment chain is not a segment */
	ch = pp_skb_alloc(f->c);
	assert_non_null(ch);
	o->frag = ch;
	snap_take(&sn, o);
	pp_pool_stats(f->pool, &st0);
	assert_null(pp_skb_tx_copy(f->c, o, 0));
	pp_pool_stats(f->pool, &st);
	stats_equal(&st, &st0);
	snap_check(&sn, o);
	o->frag = NULL;
	pp_skb_free(f->c, ch);

	/* a freed frame (a use after free) */
	assert_int_equal(ch->state, PP_SKB_FREE);
	pp_pool_stats(f->pool, &st0);
	assert_null(pp_skb_tx_copy(f->c, ch, 0));
	pp_pool_stats(f->pool, &st);
	stats_equal(&st, &st0);
}

/* A freer owns no frames: a caller bug, not an empty pool. Another lane's
 * original is fine: the copy goes home to the copying lane. */
static void test_tx_copy_freer_and_other_lane(void **state)
{
	struct pp_pool_opts opt = {
		.sz = sizeof(opt), .frames_per_lane = 32, .nlanes = 2, .nfreers = 1,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	struct pp_pool *pool;
	struct pp_pool_cache *l0, *l1, *fr;
	struct pp_pool_stats st0, st;
	struct pp_skb *o, *cp;

	(void)state;
	assert_int_equal(pp_pool_create(&opt, &pool), 0);
	l0 = pp_pool_cache(pool, 0);
	l1 = pp_pool_cache(pool, 1);
	fr = pp_pool_cache(pool, 2);
	o = pp_skb_alloc(l1);
	assert_non_null(o);
	make_original(o, 200, 9);
	pp_pool_stats(pool, &st0);
	assert_null(pp_skb_tx_copy(fr, o, 64));
	pp_pool_stats(pool, &st);
	stats_equal(&st, &st0); /* not even an alloc_fail */

	cp = pp_skb_tx_copy(l0, o, 64);
	assert_non_null(cp);
	assert_int_equal(cp->owner, 0);
	assert_int_equal(o->owner, 1);
	assert_memory_equal(pp_skb_data(cp), pp_skb_data(o), 200);
	pp_skb_free(fr, cp);	/* a completion thread frees it: home to lane 0 */
	pp_skb_free(l1, o);	/* acked */
	pp_pool_stats(pool, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.bad_free, 0);
	pp_pool_destroy(pool);
}

/* Pool empty: NULL, counted as an alloc failure, the original untouched;
 * the same call succeeds once a frame comes home (the caller's retry). */
static void test_tx_copy_pool_empty(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *o = f->a, *rest[64], *cp;
	struct pp_pool_stats st0, st;
	static struct snap sn;
	uint32_t n;

	make_original(o, 1460, 3);
	n = pp_skb_alloc_burst(f->c, rest, 64);
	assert_int_equal(n, 62); /* all but a and next */
	snap_take(&sn, o);
	pp_pool_stats(f->pool, &st0);
	assert_null(pp_skb_tx_copy(f->c, o, PP_SKB_HEADROOM));
	pp_pool_stats(f->pool, &st);
	assert_int_equal(st.alloc_fail, st0.alloc_fail + 1);
	assert_int_equal(st.allocs, st0.allocs);
	assert_int_equal(st.in_use, st0.in_use);
	snap_check(&sn, o);

	pp_skb_free(f->c, rest[--n]);
	cp = pp_skb_tx_copy(f->c, o, PP_SKB_HEADROOM);
	assert_non_null(cp);
	assert_ptr_equal(cp, rest[n]); /* the frame that came home */
	assert_memory_equal(pp_skb_data(cp), pp_skb_data(o), 1460);
	snap_check(&sn, o);
	pp_skb_free(f->c, cp);
	pp_skb_free_burst(f->c, rest, n);
}

/* The room every frame has, and a copy that fills it to the frame's last
 * byte: the frame after the metadata line of colour 3, the smallest one. */
static void tx_copy_exact(struct fixture *f, uint32_t headroom)
{
	struct pp_skb *o, *x, *y, *cp;
	uint32_t room = pp_skb_tx_copy_room(f->c), len = room - headroom;
	static struct snap sn;

	assert_int_equal(room, f->fsz - PP_FRAME_COLOUR_MAX - PP_SKB_META);
	/* frames 2, 3, 4 in address order; 3 (colour 3) goes back for the copy */
	o = pp_skb_alloc(f->c);
	x = pp_skb_alloc(f->c);
	y = pp_skb_alloc(f->c);
	assert_non_null(y);
	assert_ptr_equal((uint8_t *)x, (uint8_t *)f->a + 3 * f->fsz + pp_frame_colour(3));
	memset((uint8_t *)y + PP_SKB_META, CANARY, y->end - PP_SKB_META);
	/* the original's own frame (colour 2) is larger; its headroom is its
	 * own business (the copy's is asked for), so it takes the whole frame */
	assert_non_null(pp_skb_push(o, pp_skb_headroom(o)));
	assert_int_equal(pp_skb_trim(o, 0), 0);
	make_original(o, len, 5);
	snap_take(&sn, o);
	pp_skb_free(f->c, x);

	cp = pp_skb_tx_copy(f->c, o, headroom);
	assert_ptr_equal(cp, x);
	assert_int_equal(cp->data_off, PP_SKB_META + headroom);
	assert_int_equal(cp->len, len);
	assert_int_equal(pp_skb_headroom(cp), headroom);
	assert_int_equal(pp_skb_tailroom(cp), 0);
	assert_ptr_equal(pp_skb_tail(cp), (uint8_t *)cp - pp_frame_colour(3) + f->fsz);
	assert_memory_equal(pp_skb_data(cp), pp_skb_data(o), len);
	for (uint32_t i = 0; i < (uint32_t)y->end - PP_SKB_META; i++)
		if (((uint8_t *)y)[PP_SKB_META + i] != CANARY)
			fail_msg("canary byte %u of the frame after the copy overwritten", i);
	/* the whole headroom can take headers */
	if (headroom)
		assert_ptr_equal(pp_skb_push(cp, headroom), (uint8_t *)cp + PP_SKB_META);
	snap_check(&sn, o);
	assert_int_equal(cp->state, PP_SKB_ALLOCATED);
	/* in reverse (LIFO): the next call gets frames 2, 3, 4 again */
	pp_skb_free(f->c, y);
	pp_skb_free(f->c, cp);
	pp_skb_free(f->c, o);
}

static void test_tx_copy_exact(void **state)
{
	struct fixture *f = *state;

	tx_copy_exact(f, 0);
	tx_copy_exact(f, f->c->headroom);
	tx_copy_exact(f, 1);
	/* an empty payload is a copy too (a bare ACK or FIN has none) */
	struct pp_skb *cp = pp_skb_tx_copy(f->c, f->a, pp_skb_tx_copy_room(f->c));

	assert_non_null(cp);
	assert_int_equal(cp->len, 0);
	assert_int_equal(pp_skb_headroom(cp), pp_skb_tx_copy_room(f->c));
	assert_int_equal(pp_skb_tailroom(cp), cp->end - PP_SKB_META - pp_skb_tx_copy_room(f->c));
	pp_skb_free(f->c, cp);
}

static void test_tx_copy_room(void **state)
{
	(void)state;
	assert_int_equal(pp_skb_tx_copy_room(NULL), 0);
	struct pp_pool_opts o = {.sz = sizeof(o), .frames_per_lane = 32, .frame_size = PP_FRAME_2K,
				 .flags = PP_POOL_F_NO_HUGEPAGES};
	struct pp_pool *p;

	assert_int_equal(pp_pool_create(&o, &p), 0);
	/* an MSS of 1460 with Ethernet + IPv4 + TCP with options in front */
	assert_int_equal(pp_skb_tx_copy_room(pp_pool_cache(p, 0)), 1792);
	assert_true(pp_skb_tx_copy_room(pp_pool_cache(p, 0)) >= 1460 + PP_SKB_HEADROOM);
	pp_pool_destroy(p);
	o.frame_size = PP_FRAME_4K;
	assert_int_equal(pp_pool_create(&o, &p), 0);
	assert_int_equal(pp_skb_tx_copy_room(pp_pool_cache(p, 0)), 3840);
	pp_pool_destroy(p);
}

/* The normal case: the copy has the payload and the metadata a transport
 * needs, nothing of the TX path's state; pushing headers into two copies
 * leaves the original as it was. */
static void test_tx_copy_normal(void **state)
{
	struct fixture *f = *state;
	struct pp_skb *o = f->a, *cp[2];
	static struct snap sn;

	make_original(o, 1460, 11);
	o->next = f->next;	/* on a write queue */
	o->mac_off = 70;	/* stale offsets must not travel */
	o->net_off = 84;
	o->trans_off = 104;
	o->drop_reason = 1;
	snap_take(&sn, o);
	for (int i = 0; i < 2; i++) {
		cp[i] = pp_skb_tx_copy(f->c, o, PP_SKB_HEADROOM);
		assert_non_null(cp[i]);
		assert_ptr_not_equal(cp[i], o);
		assert_int_equal(atomic_load(&cp[i]->refcnt), 1);
		assert_int_equal(cp[i]->state, PP_SKB_ALLOCATED);
		assert_int_equal(cp[i]->owner, 0);
		assert_int_equal(cp[i]->data_off, PP_SKB_META + PP_SKB_HEADROOM);
		assert_int_equal(cp[i]->len, 1460);
		assert_memory_equal(pp_skb_data(cp[i]), pp_skb_data(o), 1460);
		assert_int_equal(cp[i]->hash, 0xdeadbeef);
		assert_int_equal(cp[i]->prio, 6);
		assert_int_equal(cp[i]->flags, PP_SKB_F_NOROUTE);
		assert_int_equal(cp[i]->nexthop, 0x0100000a);
		assert_null(cp[i]->sk); /* charged by the transport, not copied */
		assert_int_equal(cp[i]->tstamp, 123456789);
		assert_int_equal(cp[i]->queue, 0);
		assert_null(cp[i]->next);
		assert_null(cp[i]->frag);
		assert_int_equal(cp[i]->mac_off, 0);
		assert_int_equal(cp[i]->net_off, 0);
		assert_int_equal(cp[i]->trans_off, 0);
		assert_int_equal(cp[i]->drop_reason, 0);
		/* the TX path builds its headers in the copy */
		uint8_t *h = pp_skb_push(cp[i], 54);

		assert_non_null(h);
		memset(h, 0x40 + i, 54);
		cp[i]->mac_off = pp_skb_offset(cp[i], h);
		cp[i]->next = cp[i]; /* and queues it */
		snap_check(&sn, o);
	}
	assert_ptr_not_equal(cp[0], cp[1]);
	/* same payload, each with its own headers */
	assert_memory_equal(pp_skb_data(cp[0]) + 54, pp_skb_data(cp[1]) + 54, 1460);
	assert_int_not_equal(pp_skb_data(cp[0])[0], pp_skb_data(cp[1])[0]);
	cp[0]->next = cp[1]->next = NULL;
	pp_skb_free_burst(f->c, cp, 2);
	/* acked: the original goes on its own, after its copies or before */
	snap_check(&sn, o);
	o->next = NULL;
}

int main(void)
{
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_push_too_much, setup_2k),
		T(test_push_too_much, setup_4k),
		T(test_put_too_much, setup_2k),
		T(test_put_too_much, setup_4k),
		T(test_pull_too_much, setup_2k),
		T(test_trim_too_much, setup_2k),
		T(test_reserve_refused, setup_2k),
		T(test_reserve_refused, setup_4k),
		T(test_rooms_2k_default, setup_2k),
		T(test_rooms_4k_default, setup_4k),
		T(test_rooms_2k_hr256, setup_2k_hr256),
		T(test_put_exact, setup_2k),
		T(test_put_exact, setup_4k),
		T(test_put_exact, setup_2k_hr256),
		T(test_push_exact, setup_2k),
		T(test_push_exact, setup_4k),
		T(test_reserve_exact, setup_2k),
		T(test_reserve_exact, setup_4k),
		T(test_pull_trim_exact, setup_2k),
		T(test_push_pull_journey, setup_2k),
		T(test_push_pull_journey, setup_4k),
		T(test_refcount, setup_2k),
		T(test_refcount_three, setup_2k),
		T(test_frag_chain_free, setup_2k),
		T(test_frag_chain_shared_member, setup_2k),
		T(test_free_burst_and_drop, setup_2k),
		T(test_tx_copy_bad_args, setup_2k),
		T(test_tx_copy_bad_args, setup_4k),
		T(test_tx_copy_freer_and_other_lane, setup_2k),
		T(test_tx_copy_pool_empty, setup_2k),
		T(test_tx_copy_room, setup_2k),
		T(test_tx_copy_exact, setup_2k),
		T(test_tx_copy_exact, setup_4k),
		T(test_tx_copy_exact, setup_2k_hr256),
		T(test_tx_copy_normal, setup_2k),
		T(test_tx_copy_normal, setup_4k),
	};
#undef T
	return cmocka_run_group_tests_name("skb", tests, NULL, NULL);
}
