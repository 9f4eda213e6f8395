// SPDX-License-Identifier: MIT
/*
 * test_reasm.c - IPv4 reassembly (proto/reasm.c, cf. ip_defrag()): bad
 * arguments and malformed fragments are refused and counted; overlaps,
 * inconsistent ends, zero-length pieces and datagrams beyond 65535 bytes
 * kill the whole datagram, an exact duplicate is dropped alone; fragments
 * in order, in reverse and shuffled give the same datagram, byte for byte,
 * with a rewritten header; the largest datagram (65535) passes; an
 * incomplete datagram times out (fake time); the memory bound evicts the
 * oldest datagram and caps a single one; a stack's lane table holds at most
 * its share of the lane's frames under a trickle of tiny first fragments.
 * Every test leaves the pool full.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/ipv4.h>

#include "core/pool.h"
#include "core/stage.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/reasm.h"
#include "proto/stack_priv.h"

#define SEC 1000000000ull
#define T0 (1000 * SEC)
#define TIMEOUT (30 * SEC)
#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define SRC IP(10, 0, 0, 2)
#define DST IP(10, 0, 0, 1)
#define FRAME 2048u

struct fx {
	struct pp_stack *st;	/* set: the table is a stack lane's */
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_reasm *r;
	struct pp_stage s;
	struct pp_stage_stats stats;
};

static int setup_bytes(void **state, uint32_t max_bytes)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 512,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	assert_int_equal(pp__reasm_create(max_bytes, TIMEOUT, &fx.r), 0);
	fx.s = (struct pp_stage){.name = "rx", .cache = fx.c, .stats = &fx.stats,
				 .out_cap = PP_STAGE_OUT_CAP};
	*state = &fx;
	return 0;
}

static int setup(void **state)
{
	return setup_bytes(state, 0); /* default: 4 MiB */
}

static int setup_small(void **state)
{
	return setup_bytes(state, 4 * FRAME); /* four frames */
}

/* The table a stack gives its lane (frames_per_lane 1024, 2 KiB frames):
 * taken over by the test, freed by teardown_stack(). */
static int setup_stack(void **state)
{
	static struct fx fx;
	struct pp_stack_opts o;

	memset(&fx, 0, sizeof(fx));
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = DST;
	o.prefix = 24;
	o.frames_per_lane = 1024;
	o.flags = PP_STACK_F_NO_PIN;
	assert_int_equal(pp_stack_create(&o, &fx.st), 0);
	assert_int_equal(pp_lane_attach(fx.st, 0), 0);
	fx.c = fx.st->lanes[0].cache;
	fx.r = fx.st->lanes[0].reasm;
	fx.st->lanes[0].reasm = NULL;
	fx.s = (struct pp_stage){.name = "rx", .cache = fx.c, .stats = &fx.stats,
				 .out_cap = PP_STAGE_OUT_CAP};
	*state = &fx;
	return 0;
}

static int teardown_stack(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp__reasm_destroy(fx->r, &fx->s);
	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	pp_stack_destroy(fx->st);
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp__reasm_destroy(fx->r, &fx->s);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

/* Byte @k of the IP payload of datagram @id. */
static inline uint8_t pat(uint16_t id, uint32_t k)
{
	return (uint8_t)(k * 31u + (k >> 8) + id * 7u + 1u);
}

/*
 * A fragment of datagram @id: payload bytes [@off, @off + @len) of it, MF as
 * given, a valid header of @ihl bytes. Data at the IPv4 header, net_off set.
 */
static struct pp_skb *frag_ihl(struct fx *fx, uint16_t id, uint8_t proto, uint32_t off,
			       uint32_t len, int mf, uint32_t ihl)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	struct pp_ipv4_hdr *ip;
	uint8_t *p;

	assert_true(off % 8 == 0 && off / 8 <= PP_IP_OFFMASK);
	/* cmocka's asserts do not return-annotate: without the explicit stop,
	 * gcc -O3 follows the NULL path into memset and warns (array-bounds) */
	if (!skb || !(p = pp_skb_put(skb, ihl + len)))
		abort();
	ip = (struct pp_ipv4_hdr *)p;
	memset(ip, 0, ihl);
	ip->ver_ihl = (uint8_t)(0x40 | ihl / 4);
	ip->tot_len = htons((uint16_t)(ihl + len));
	ip->id = htons(id);
	ip->frag_off = htons((uint16_t)((mf ? PP_IP_MF : 0) | off / 8));
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = SRC;
	ip->daddr = DST;
	if (ihl > PP_IPV4_HLEN)
		p[PP_IPV4_HLEN] = 1; /* NOP options */
	ip->check = pp_csum(ip, ihl);
	for (uint32_t k = 0; k < len; k++)
		p[ihl + k] = pat(id, off + k);
	skb->net_off = skb->data_off;
	return skb;
}

static struct pp_skb *frag(struct fx *fx, uint16_t id, uint32_t off, uint32_t len, int mf)
{
	return frag_ihl(fx, id, 17, off, len, mf, PP_IPV4_HLEN);
}

static struct pp_skb *add(struct fx *fx, struct pp_skb *skb, uint64_t now)
{
	return pp__reasm_add(fx->r, &fx->s, skb, now);
}

static uint64_t drops(struct fx *fx, enum pp_drop_reason why)
{
	return fx->stats.drops[why];
}

static struct pp_reasm_stats rstats(struct fx *fx)
{
	struct pp_reasm_stats st;

	assert_int_equal(pp__reasm_stats(fx->r, &st), 0);
	return st;
}

/* The returned chain is datagram @id with @len payload bytes, as promised. */
static void check_datagram(struct pp_skb *head, uint16_t id, uint32_t len, uint32_t ihl)
{
	const struct pp_ipv4_hdr *ip;
	uint32_t off = 0;

	assert_non_null(head);
	ip = (const struct pp_ipv4_hdr *)pp_skb_data(head);
	assert_int_equal(head->net_off, head->data_off);
	assert_int_equal(ip->ver_ihl & 0x0f, ihl / 4);
	assert_int_equal(ntohs(ip->tot_len), ihl + len);
	assert_int_equal(ip->frag_off, 0);
	assert_int_equal(ntohs(ip->id), id);
	assert_int_equal(pp_csum(ip, ihl), 0);
	for (const struct pp_skb *f = head; f; f = f->frag) {
		const uint8_t *p = pp_skb_data(f);
		uint32_t n = f->len;

		assert_true(f->flags & PP_SKB_F_FRAG);
		if (f == head) {
			p += ihl;
			n -= ihl;
			assert_int_equal(f->frag_off, 0);
		} else {
			assert_int_equal(f->frag_off, off);
		}
		for (uint32_t k = 0; k < n; k++)
			if (p[k] != pat(id, off + k))
				fail_msg("byte %u of datagram %u is %u, want %u", off + k, id, p[k],
					 pat(id, off + k));
		off += n;
	}
	assert_int_equal(off, len);
}

/* ---- bad arguments, malformed input ------------------------------------- */

static void test_create_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_reasm *r = NULL;
	struct pp_reasm_stats st;

	assert_int_equal(pp__reasm_create(0, 0, NULL), -EINVAL);
	assert_int_equal(pp__reasm_create(4095, 0, &r), -EINVAL);	/* less than two frames */
	assert_int_equal(pp__reasm_create(PP_REASM_MAX_BYTES + 1, 0, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(pp__reasm_stats(NULL, &st), -EINVAL);
	assert_int_equal(pp__reasm_stats(fx->r, NULL), -EINVAL);
	pp__reasm_destroy(NULL, &fx->s);	/* no-op */
	pp__reasm_tick(NULL, &fx->s, T0);	/* no-op */
	pp__reasm_tick(fx->r, NULL, T0);	/* no-op */
	assert_int_equal(pp__reasm_create(4096, 0, &r), 0);		/* smallest */
	assert_int_equal(pp__reasm_stats(r, &st), 0);
	assert_int_equal(st.max_queues, 2);
	pp__reasm_destroy(r, &fx->s);
	assert_int_equal(pp__reasm_create(0, 0, &r), 0);		/* defaults */
	pp__reasm_destroy(r, &fx->s);
}

static void test_add_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb;

	assert_null(pp__reasm_add(fx->r, &fx->s, NULL, T0));
	/* no table: the fragment is dropped, counted */
	skb = frag(fx, 1, 0, 16, 1);
	assert_null(pp__reasm_add(NULL, &fx->s, skb, T0));
	assert_int_equal(drops(fx, PP_DROP_UNSUPPORTED), 1);
	/* no stage: nowhere to count; the caller keeps it */
	skb = frag(fx, 1, 0, 16, 1);
	assert_null(pp__reasm_add(fx->r, NULL, skb, T0));
	pp_skb_free(fx->c, skb);
	assert_int_equal(rstats(fx).queues, 0);
}

static void test_malformed_fragments(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb;

	/* shorter than a header */
	skb = frag(fx, 1, 0, 16, 1);
	pp_skb_trim(skb, 19);
	assert_null(add(fx, skb, T0));
	/* not version 4 */
	skb = frag(fx, 1, 0, 16, 1);
	pp_skb_data(skb)[0] = 0x65;
	assert_null(add(fx, skb, T0));
	/* ihl below 5 */
	skb = frag(fx, 1, 0, 16, 1);
	pp_skb_data(skb)[0] = 0x44;
	assert_null(add(fx, skb, T0));
	/* tot_len beyond the data */
	skb = frag(fx, 1, 0, 16, 1);
	pp_skb_trim(skb, skb->len - 1);
	assert_null(add(fx, skb, T0));
	/* tot_len shorter than the header */
	skb = frag(fx, 1, 0, 16, 1);
	((struct pp_ipv4_hdr *)pp_skb_data(skb))->tot_len = htons(19);
	assert_null(add(fx, skb, T0));
	/* already a chain */
	skb = frag(fx, 1, 0, 16, 1);
	skb->frag = frag(fx, 1, 16, 16, 0);
	assert_null(add(fx, skb, T0));
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 6);
	assert_int_equal(rstats(fx).queues, 0);
}

static void test_not_a_fragment_returned(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb = frag(fx, 1, 0, 16, 0), *r;

	r = add(fx, skb, T0);
	assert_ptr_equal(r, skb);
	assert_null(r->frag);
	assert_int_equal(rstats(fx).queues, 0);
	pp_skb_free(fx->c, r);
}

/* ---- inconsistent fragments --------------------------------------------- */

static void test_overlap_kills_datagram(void **state)
{
	struct fx *fx = *state;

	assert_null(add(fx, frag(fx, 7, 0, 16, 1), T0));
	assert_null(add(fx, frag(fx, 7, 32, 16, 1), T0));
	assert_int_equal(rstats(fx).frags, 2);
	/* [8, 24) overlaps [0, 16): all three go */
	assert_null(add(fx, frag(fx, 7, 8, 16, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 3);
	assert_int_equal(rstats(fx).queues, 0);
	assert_int_equal(rstats(fx).bytes, 0);
	/* the datagram's last piece now starts a new one, which waits */
	assert_null(add(fx, frag(fx, 7, 48, 5, 0), T0));
	assert_int_equal(rstats(fx).queues, 1);

	/* overlap that covers a held piece from before it */
	assert_null(add(fx, frag(fx, 8, 16, 8, 1), T0));
	assert_null(add(fx, frag(fx, 8, 8, 24, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 5);
	/* overlap with the tail: [0,16) then [8, 12) last */
	assert_null(add(fx, frag(fx, 9, 0, 16, 1), T0));
	assert_null(add(fx, frag(fx, 9, 8, 4, 0), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 7);
	assert_int_equal(rstats(fx).queues, 1); /* id 7's new queue */
}

static void test_duplicate_dropped_alone(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *r;

	assert_null(add(fx, frag(fx, 3, 0, 16, 1), T0));
	assert_null(add(fx, frag(fx, 3, 0, 16, 1), T0));	/* exact duplicate */
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 1);
	assert_int_equal(rstats(fx).frags, 1);
	assert_null(add(fx, frag(fx, 3, 32, 3, 0), T0));
	assert_null(add(fx, frag(fx, 3, 32, 3, 0), T0));	/* duplicate last */
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 2);
	r = add(fx, frag(fx, 3, 16, 16, 1), T0);
	check_datagram(r, 3, 35, PP_IPV4_HLEN);
	pp_skb_free(fx->c, r);
	assert_int_equal(rstats(fx).queues, 0);
	/* a duplicate arriving after completion starts a queue that waits */
	assert_null(add(fx, frag(fx, 3, 16, 16, 1), T0));
	assert_int_equal(rstats(fx).queues, 1);
}

static void test_inconsistent_ends(void **state)
{
	struct fx *fx = *state;

	/* two last fragments that disagree on the end */
	assert_null(add(fx, frag(fx, 1, 16, 8, 0), T0));
	assert_null(add(fx, frag(fx, 1, 24, 8, 0), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 2);
	/* data beyond a known end */
	assert_null(add(fx, frag(fx, 2, 16, 8, 0), T0));
	assert_null(add(fx, frag(fx, 2, 24, 8, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 4);
	/* a last fragment ending before data already held */
	assert_null(add(fx, frag(fx, 3, 32, 8, 1), T0));
	assert_null(add(fx, frag(fx, 3, 8, 8, 0), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 6);
	/* zero length, and a non-last piece shorter than 8 (nothing left
	 * after the trim to a multiple of 8) */
	assert_null(add(fx, frag(fx, 4, 0, 16, 1), T0));
	assert_null(add(fx, frag(fx, 4, 16, 0, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 8);
	assert_null(add(fx, frag(fx, 5, 8, 7, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 9);
	assert_int_equal(rstats(fx).queues, 0);
	assert_int_equal(rstats(fx).bytes, 0);
}

static void test_keys_do_not_mix(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *a, *r;

	assert_null(add(fx, frag(fx, 1, 0, 16, 1), T0));
	/* same ID, other protocol: another datagram */
	assert_null(add(fx, frag_ihl(fx, 1, 1, 16, 8, 0, PP_IPV4_HLEN), T0));
	/* same ID, other source */
	a = frag(fx, 1, 16, 8, 0);
	((struct pp_ipv4_hdr *)pp_skb_data(a))->saddr = IP(10, 0, 0, 3);
	assert_null(add(fx, a, T0));
	assert_int_equal(rstats(fx).queues, 3);
	r = add(fx, frag(fx, 1, 16, 8, 0), T0);
	check_datagram(r, 1, 24, PP_IPV4_HLEN);
	pp_skb_free(fx->c, r);
	assert_int_equal(rstats(fx).queues, 2);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
}

static void test_too_large_rejected(void **state)
{
	struct fx *fx = *state;

	/* 20 + 65528 + 8 = 65556: said by the very fragment */
	assert_null(add(fx, frag(fx, 1, 65528, 8, 0), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 1);
	assert_int_equal(rstats(fx).queues, 0);
	/* 65535 + 1: a payload of 65516 behind a 20-byte header */
	assert_null(add(fx, frag(fx, 2, 0, 1480, 1), T0));
	assert_null(add(fx, frag(fx, 2, 64000, 1516, 0), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 3);
	/* 65535 with the header, but the first fragment has 4 bytes of
	 * options: 24 + 65512 = 65536, refused when the first one comes */
	assert_null(add(fx, frag(fx, 3, 64000, 1512, 0), T0));
	assert_int_equal(rstats(fx).queues, 1);
	assert_null(add(fx, frag_ihl(fx, 3, 17, 0, 1480, 1, 24), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 5);
	assert_int_equal(rstats(fx).queues, 0);
}

/* ---- time and memory ---------------------------------------------------- */

static void test_missing_piece_times_out(void **state)
{
	struct fx *fx = *state;

	assert_null(add(fx, frag(fx, 1, 0, 1480, 1), T0));
	assert_null(add(fx, frag(fx, 1, 2960, 100, 0), T0 + SEC));
	pp__reasm_tick(fx->r, &fx->s, T0 + TIMEOUT - 1);
	assert_int_equal(rstats(fx).frags, 2);
	assert_int_equal(drops(fx, PP_DROP_FRAG_TIMEOUT), 0);
	/* the timer runs from the first fragment (cf. ipfrag_time) */
	pp__reasm_tick(fx->r, &fx->s, T0 + TIMEOUT);
	assert_int_equal(drops(fx, PP_DROP_FRAG_TIMEOUT), 2);
	assert_int_equal(rstats(fx).queues, 0);
	/* the missing piece, late, starts a queue of its own */
	assert_null(add(fx, frag(fx, 1, 1480, 1480, 1), T0 + TIMEOUT));
	assert_int_equal(rstats(fx).queues, 1);
	/* adding expires too, without a tick */
	assert_null(add(fx, frag(fx, 2, 0, 8, 1), T0 + 2 * TIMEOUT));
	assert_int_equal(drops(fx, PP_DROP_FRAG_TIMEOUT), 3);
	assert_int_equal(rstats(fx).queues, 1);
}

static void test_memory_bound_evicts_oldest(void **state)
{
	struct fx *fx = *state; /* four frames in all */
	struct pp_skb *r;

	for (uint16_t id = 1; id <= 4; id++)
		assert_null(add(fx, frag(fx, id, 0, 8, 1), T0 + id));
	assert_int_equal(rstats(fx).bytes, 4 * FRAME);
	/* a fifth frame: the oldest datagram (1) goes */
	assert_null(add(fx, frag(fx, 5, 0, 8, 1), T0 + 5));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 1);
	assert_int_equal(rstats(fx).queues, 4);
	assert_int_equal(rstats(fx).bytes, 4 * FRAME);
	/* datagram 2 completes: its two frames pass the bound because the
	 * oldest other (3) makes room */
	r = add(fx, frag(fx, 2, 8, 8, 0), T0 + 6);
	check_datagram(r, 2, 16, PP_IPV4_HLEN);
	pp_skb_free(fx->c, r);
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 2);
	/* datagram 1's last piece now waits alone: 1 was evicted */
	assert_null(add(fx, frag(fx, 1, 8, 8, 0), T0 + 7));
	assert_int_equal(rstats(fx).queues, 3);
}

static void test_memory_bound_per_datagram(void **state)
{
	struct fx *fx = *state; /* four frames in all */

	for (uint32_t k = 0; k < 4; k++)
		assert_null(add(fx, frag(fx, 9, k * 8, 8, 1), T0));
	/* a fifth piece of the same datagram cannot fit even alone */
	assert_null(add(fx, frag(fx, 9, 32, 8, 1), T0));
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 5);
	assert_int_equal(rstats(fx).queues, 0);
	assert_int_equal(rstats(fx).bytes, 0);
}

static void test_destroy_drops_held(void **state)
{
	struct fx *fx = *state;

	assert_null(add(fx, frag(fx, 1, 0, 8, 1), T0));
	assert_null(add(fx, frag(fx, 2, 8, 8, 0), T0));
	assert_null(add(fx, frag(fx, 2, 24, 8, 0), T0)); /* inconsistent: 2 goes */
	pp__reasm_destroy(fx->r, &fx->s);
	assert_int_equal(drops(fx, PP_DROP_SHUTDOWN), 1);
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), 2);
	assert_int_equal(pp__reasm_create(0, 0, &fx->r), 0); /* for teardown */
}

/* ---- normal cases ------------------------------------------------------- */

static void test_in_order(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *a = frag(fx, 10, 0, 1480, 1), *b = frag(fx, 10, 1480, 1480, 1);
	struct pp_skb *c = frag(fx, 10, 2960, 48, 0), *r;

	assert_null(add(fx, a, T0));
	assert_null(add(fx, b, T0));
	r = add(fx, c, T0);
	assert_ptr_equal(r, a); /* the frames themselves, nothing copied */
	assert_ptr_equal(r->frag, b);
	assert_ptr_equal(b->frag, c);
	check_datagram(r, 10, 3008, PP_IPV4_HLEN);
	assert_int_equal(rstats(fx).completed, 1);
	assert_int_equal(rstats(fx).queues, 0);
	assert_int_equal(rstats(fx).bytes, 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	pp_skb_free(fx->c, r);
}

static void test_reverse_order_with_options(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *r = NULL;

	/* the first fragment carries 8 bytes of options: kept in the head */
	for (int k = 4; k >= 0; k--) {
		uint32_t ihl = k == 0 ? 28 : PP_IPV4_HLEN;

		r = add(fx, frag_ihl(fx, 11, 17, (uint32_t)k * 400, k == 4 ? 11 : 400, k != 4, ihl),
			T0);
		if (k)
			assert_null(r);
	}
	check_datagram(r, 11, 1611, 28);
	pp_skb_free(fx->c, r);
}

static void test_unaligned_middle_trimmed(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *r;

	/* a non-last piece of 13 bytes counts as 8 (cf. ip_frag_queue()) */
	assert_null(add(fx, frag(fx, 12, 0, 13, 1), T0));
	r = add(fx, frag(fx, 12, 8, 12, 0), T0);
	check_datagram(r, 12, 20, PP_IPV4_HLEN);
	assert_int_equal(r->len, PP_IPV4_HLEN + 8);
	pp_skb_free(fx->c, r);
}

/* The largest datagram: 65535 bytes, in 45 fragments, shuffled. */
static void test_max_datagram_shuffled(void **state)
{
	struct fx *fx = *state;
	enum { N = 45, PIECE = 1480, PAYLOAD = 65535 - PP_IPV4_HLEN };
	uint32_t order[N];
	struct pp_skb *r = NULL;
	unsigned int seed = 12345;

	for (uint32_t k = 0; k < N; k++)
		order[k] = k;
	for (uint32_t k = N - 1; k > 0; k--) {
		uint32_t j = (uint32_t)rand_r(&seed) % (k + 1), t = order[k];

		order[k] = order[j];
		order[j] = t;
	}
	for (uint32_t k = 0; k < N; k++) {
		uint32_t i = order[k], off = i * PIECE;
		uint32_t len = i == N - 1 ? PAYLOAD - off : PIECE;

		r = add(fx, frag(fx, 13, off, len, i != N - 1), T0 + k);
		if (k + 1 < N)
			assert_null(r);
	}
	check_datagram(r, 13, PAYLOAD, PP_IPV4_HLEN);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	pp_skb_free(fx->c, r);
}

/*
 * Regression (a trickle of tiny first fragments, each charged a whole frame,
 * could hold half of a lane's frames for 30 s): the lane's table holds at
 * most its share (1/8 of the frames, cf. ipfrag_high_thresh), each newcomer
 * evicts the oldest datagram, never itself, and a whole datagram arriving
 * after the trickle still reassembles.
 */
static void test_trickle_bounded_by_lane_share(void **state)
{
	struct fx *fx = *state;
	const uint64_t share = pp__hold_share(1024, FRAME, PP_HOLD_REASM_DIV);
	const uint32_t held = (uint32_t)(share / FRAME), sent = 1000;
	struct pp_skb *r;

	assert_int_equal(held, 128);
	for (uint32_t k = 0; k < sent; k++) {
		/* 8 bytes each from a distinct (source, ID) */
		struct pp_skb *f = frag(fx, (uint16_t)(k * 7), 0, 8, 1);
		struct pp_ipv4_hdr *ip = (struct pp_ipv4_hdr *)pp_skb_data(f);

		ip->saddr = htonl(ntohl(SRC) + k % 5);
		ip->check = 0;
		ip->check = pp_csum(ip, PP_IPV4_HLEN);
		assert_null(add(fx, f, T0 + k));
		assert_true(rstats(fx).bytes <= share);
	}
	assert_int_equal(rstats(fx).queues, held);
	assert_int_equal(rstats(fx).bytes, share);
	/* evicted newest-last, each counted once */
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), sent - held);
	/* the newest are the ones held: the last piece of the newest one
	 * completes it; that of the oldest starts a queue of its own */
	uint32_t k = sent - 1;
	struct pp_skb *f = frag(fx, (uint16_t)(k * 7), 8, 8, 0);
	struct pp_ipv4_hdr *ip = (struct pp_ipv4_hdr *)pp_skb_data(f);

	ip->saddr = htonl(ntohl(SRC) + k % 5);
	ip->check = 0;
	ip->check = pp_csum(ip, PP_IPV4_HLEN);
	r = add(fx, f, T0 + sent);
	assert_non_null(r);
	pp_skb_free(fx->c, r);
	/* (its second frame evicted the oldest held: one more drop) */
	assert_null(add(fx, frag(fx, 0, 8, 8, 0), T0 + sent)); /* k = 0 was evicted */
	assert_int_equal(rstats(fx).queues, held - 1);
	/* a whole datagram arriving now reassembles, the oldest making room */
	assert_null(add(fx, frag(fx, 60000, 0, 1480, 1), T0 + sent + 1));
	r = add(fx, frag(fx, 60000, 1480, 100, 0), T0 + sent + 1);
	check_datagram(r, 60000, 1580, PP_IPV4_HLEN);
	pp_skb_free(fx->c, r);
	assert_true(rstats(fx).bytes <= share);
	assert_int_equal(drops(fx, PP_DROP_FRAG_OVERFLOW), sent - held + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_fragment_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_kills_datagram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_dropped_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inconsistent_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_do_not_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_piece_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bound_evicts_oldest, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bound_per_datagram, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_drops_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reverse_order_with_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_middle_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_datagram_shuffled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trickle_bounded_by_lane_share, setup_stack,
						teardown_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
