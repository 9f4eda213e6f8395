// SPDX-License-Identifier: MIT
/*
 * test_qsel.c - TX queue selection (proto/qsel.c): bad arguments are refused,
 * XPS wins over the hash, the hash is scaled with its high bits (not a
 * modulo), spreads flows evenly, keeps a flow on one queue, is never 0, and
 * is computed from the IPv4/UDP/TCP headers (ports left out of fragments)
 * only when the skb has none. Every test leaves the pool full.
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

#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "core/pool.h"
#include "proto/qsel.h"

struct fx {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 256,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	assert_non_null(fx.c);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/*
 * Ethernet + IPv4 + UDP/TCP headers in a fresh skb (addresses and ports in
 * host order here, written in network order), offsets set as ip_out does.
 */
static struct pp_skb *mk_pkt(struct fx *fx, uint32_t saddr, uint32_t daddr, uint16_t sport,
			     uint16_t dport, uint8_t proto, uint16_t frag_off)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	uint8_t *p;
	struct pp_ipv4_hdr ip;
	uint16_t ports[2] = {htons(sport), htons(dport)};

	/* abort(), not assert_non_null(): gcc must see that NULL stops here */
	if (!skb)
		abort();
	p = pp_skb_put(skb, 14 + 20 + 20 + 16);
	if (!p)
		abort();
	memset(p, 0, 14 + 20 + 20 + 16);
	skb->mac_off = pp_skb_offset(skb, p);
	skb->net_off = (uint16_t)(skb->mac_off + 14);
	skb->trans_off = (uint16_t)(skb->net_off + 20);
	memset(&ip, 0, sizeof(ip));
	ip.ver_ihl = 0x45;
	ip.tot_len = htons(20 + 20 + 16);
	ip.frag_off = htons(frag_off);
	ip.ttl = 64;
	ip.protocol = proto;
	ip.saddr = htonl(saddr);
	ip.daddr = htonl(daddr);
	memcpy(p + 14, &ip, sizeof(ip));
	memcpy(p + 34, ports, sizeof(ports));
	return skb;
}

static uint32_t hash_of(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
			uint8_t proto)
{
	return pp__flow_hash(htonl(saddr), htonl(daddr), htons(sport), htons(dport), proto);
}

/* ---- negative cases ----------------------------------------------------- */

static void test_init_bad_args(void **state)
{
	struct pp_qsel q;

	(void)state;
	assert_int_equal(pp__qsel_init(NULL, 4), -EINVAL);
	assert_int_equal(pp__qsel_init(&q, 0), -EINVAL);
	assert_int_equal(pp__qsel_init(&q, PP_QSEL_TXQ_MAX + 1), -EINVAL);
	assert_int_equal(pp__qsel_init(&q, PP_QSEL_TXQ_MAX), 0);
	assert_int_equal(pp__qsel_init(&q, 1), 0);
	assert_int_equal(q.ntxq, 1);
	for (unsigned int i = 0; i < PP_QSEL_LANES_MAX; i++)
		assert_int_equal(q.xps[i], -1);
}

static void test_set_xps_bad_args(void **state)
{
	struct pp_qsel q;

	(void)state;
	assert_int_equal(pp__qsel_init(&q, 4), 0);
	assert_int_equal(pp__qsel_set_xps(NULL, 0, 0), -EINVAL);
	/* lane out of range */
	assert_int_equal(pp__qsel_set_xps(&q, PP_QSEL_LANES_MAX, 0), -EINVAL);
	assert_int_equal(pp__qsel_set_xps(&q, UINT16_MAX, 0), -EINVAL);
	/* queue >= ntxq, or below -1 */
	assert_int_equal(pp__qsel_set_xps(&q, 0, 4), -EINVAL);
	assert_int_equal(pp__qsel_set_xps(&q, 0, 40000), -EINVAL);
	assert_int_equal(pp__qsel_set_xps(&q, 0, -2), -EINVAL);
	/* nothing was written by the refused calls */
	for (unsigned int i = 0; i < PP_QSEL_LANES_MAX; i++)
		assert_int_equal(q.xps[i], -1);
	/* boundaries that are fine */
	assert_int_equal(pp__qsel_set_xps(&q, PP_QSEL_LANES_MAX - 1, 3), 0);
	assert_int_equal(q.xps[PP_QSEL_LANES_MAX - 1], 3);
	assert_int_equal(pp__qsel_set_xps(&q, PP_QSEL_LANES_MAX - 1, -1), 0);
	assert_int_equal(q.xps[PP_QSEL_LANES_MAX - 1], -1);
}

/* Headers that cannot be parsed: the hash stays 0 ("not computed") and the
 * skb goes to queue 0; nothing is read outside the data. */
static void test_pick_malformed(void **state)
{
	struct fx *fx = *state;
	struct pp_qsel q;
	struct pp_skb *skb;

	assert_int_equal(pp__qsel_init(&q, 8), 0);

	/* no network header at all */
	skb = pp_skb_alloc(fx->c);
	assert_non_null(skb);
	assert_non_null(pp_skb_put(skb, 60));
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);

	/* IPv6 version nibble */
	skb = mk_pkt(fx, 0x0a000001, 0x0a000002, 1000, 53, PP_IPPROTO_UDP, 0);
	pp_skb_at(skb, skb->net_off)[0] = 0x65;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);

	/* IHL below 5 words */
	skb = mk_pkt(fx, 0x0a000001, 0x0a000002, 1000, 53, PP_IPPROTO_UDP, 0);
	pp_skb_at(skb, skb->net_off)[0] = 0x44;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);

	/* data ends inside the IPv4 header */
	skb = mk_pkt(fx, 0x0a000001, 0x0a000002, 1000, 53, PP_IPPROTO_UDP, 0);
	assert_int_equal(pp_skb_trim(skb, 14 + 19), 0);
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);

	/* IHL claims options beyond the data */
	skb = mk_pkt(fx, 0x0a000001, 0x0a000002, 1000, 53, PP_IPPROTO_UDP, 0);
	pp_skb_at(skb, skb->net_off)[0] = 0x4f;
	assert_int_equal(pp_skb_trim(skb, 14 + 40), 0);
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);

	/* transport header outside the data: hashed on addresses only */
	skb = mk_pkt(fx, 0x0a000001, 0x0a000002, 1000, 53, PP_IPPROTO_UDP, 0);
	assert_int_equal(pp_skb_trim(skb, 14 + 20 + 3), 0);
	pp__qsel_pick(&q, 0, skb);
	assert_int_equal(skb->hash, hash_of(0x0a000001, 0x0a000002, 0, 0, PP_IPPROTO_UDP));
	pp_skb_free(fx->c, skb);
}

/* ---- boundaries --------------------------------------------------------- */

/* reciprocal_scale(): the high bits choose; a modulo would differ. */
static void test_pick_scaling(void **state)
{
	struct fx *fx = *state;
	struct pp_qsel q;
	struct pp_skb *skb = pp_skb_alloc(fx->c);

	assert_non_null(skb);
	assert_int_equal(pp__qsel_init(&q, 4), 0);
	skb->hash = 0xffffffffu;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 3);
	skb->hash = 0x40000000u; /* % 4 would be 0 */
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 1);
	skb->hash = 0x80000000u;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 2);
	skb->hash = 3; /* % 4 would be 3 */
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);

	assert_int_equal(pp__qsel_init(&q, 3), 0);
	skb->hash = 0xffffffffu;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 2);
	skb->hash = 0x55555556u; /* just above 1/3 */
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 1);

	/* one queue: queue 0 and no header parsing (hash left alone) */
	assert_int_equal(pp__qsel_init(&q, 1), 0);
	skb->hash = 0;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);
}

/* XPS beats the hash; a lane beyond the map falls back to the hash. */
static void test_xps_wins(void **state)
{
	struct fx *fx = *state;
	struct pp_qsel q;
	struct pp_skb *skb = pp_skb_alloc(fx->c);

	assert_non_null(skb);
	assert_int_equal(pp__qsel_init(&q, 4), 0);
	skb->hash = 0xf0000000u; /* hash says queue 3 */
	assert_int_equal(pp__qsel_pick(&q, 5, skb), 3);
	assert_int_equal(pp__qsel_set_xps(&q, 5, 1), 0);
	assert_int_equal(pp__qsel_pick(&q, 5, skb), 1);
	assert_int_equal(pp__qsel_pick(&q, 4, skb), 3); /* other lanes unaffected */
	assert_int_equal(pp__qsel_set_xps(&q, 0, 0), 0);
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	/* lanes beyond the map use the hash */
	assert_int_equal(pp__qsel_pick(&q, PP_QSEL_LANES_MAX, skb), 3);
	assert_int_equal(pp__qsel_pick(&q, UINT16_MAX, skb), 3);
	/* cleared: the hash again */
	assert_int_equal(pp__qsel_set_xps(&q, 5, -1), 0);
	assert_int_equal(pp__qsel_pick(&q, 5, skb), 3);
	/* XPS wins even for an skb without a hash, which it leaves unparsed */
	skb->hash = 0;
	assert_int_equal(pp__qsel_pick(&q, 0, skb), 0);
	assert_int_equal(skb->hash, 0);
	pp_skb_free(fx->c, skb);
}

/* Never 0 (0 means "not computed"), over many inputs, zeros included. */
static void test_hash_never_zero(void **state)
{
	(void)state;
	assert_int_not_equal(pp__flow_hash(0, 0, 0, 0, 0), 0);
	for (uint32_t i = 0; i < (1u << 20); i++) {
		uint32_t h = pp__flow_hash(rnd(), rnd(), (uint16_t)rnd(), (uint16_t)i,
					   (uint8_t)(i & 0xff));

		assert_int_not_equal(h, 0);
	}
}

/* Each input bit flips about half of the output bits (avalanche), in the
 * high bits too, which are the ones reciprocal scaling uses. */
static void test_hash_avalanche(void **state)
{
	uint64_t flipped = 0, high = 0, trials = 0;

	(void)state;
	for (unsigned int t = 0; t < 500; t++) {
		uint32_t w[3] = {rnd(), rnd(), rnd()};
		uint8_t proto = (uint8_t)rnd();
		uint32_t h0 = pp__flow_hash(w[0], w[1], (uint16_t)(w[2] >> 16), (uint16_t)w[2], proto);

		for (unsigned int bit = 0; bit < 96; bit++) {
			uint32_t x[3] = {w[0], w[1], w[2]};
			uint32_t h;

			x[bit / 32] ^= 1u << (bit % 32);
			h = pp__flow_hash(x[0], x[1], (uint16_t)(x[2] >> 16), (uint16_t)x[2], proto);
			flipped += (uint64_t)__builtin_popcount(h ^ h0);
			high += (uint64_t)__builtin_popcount((h ^ h0) >> 28);
			trials++;
		}
	}
	/* 16 of 32 bits expected, 2 of the top 4 */
	assert_true(flipped * 100 >= trials * 16 * 95 && flipped * 100 <= trials * 16 * 105);
	assert_true(high * 100 >= trials * 2 * 90 && high * 100 <= trials * 2 * 110);
}

/* ---- normal case -------------------------------------------------------- */

/* 1024 flows over 4 queues: 256 expected each, within 25 % (4.6 sigma). */
static void test_hash_spreads(void **state)
{
	struct fx *fx = *state;
	struct pp_qsel q;
	unsigned int count[4] = {0}, count_d[4] = {0};

	assert_int_equal(pp__qsel_init(&q, 4), 0);
	for (unsigned int i = 0; i < 1024; i++) {
		struct pp_skb *skb = pp_skb_alloc(fx->c);

		assert_non_null(skb);
		/* consecutive source ports: the worst case for a weak mix */
		skb->hash = hash_of(0x0a000001, 0x0a000002, (uint16_t)(10000 + i), 53,
				    PP_IPPROTO_UDP);
		count[pp__qsel_pick(&q, 0, skb)]++;
		/* consecutive destination addresses */
		skb->hash = hash_of(0x0a000001, 0xc0a80000 + i, 4000, 4000, PP_IPPROTO_TCP);
		count_d[pp__qsel_pick(&q, 0, skb)]++;
		pp_skb_free(fx->c, skb);
	}
	for (unsigned int k = 0; k < 4; k++) {
		assert_in_range(count[k], 192, 320);
		assert_in_range(count_d[k], 192, 320);
	}
}

/* Parsed from the headers when absent, stored, equal to what the socket
 * would cache; a flow always lands on the same queue. */
static void test_hash_from_headers(void **state)
{
	struct fx *fx = *state;
	struct pp_qsel q;
	struct pp_skb *a, *b, *f1, *f2, *t;
	uint16_t qa;

	assert_int_equal(pp__qsel_init(&q, 16), 0);
	a = mk_pkt(fx, 0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_UDP, 0);
	b = mk_pkt(fx, 0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_UDP, 0);
	qa = pp__qsel_pick(&q, 0, a);
	assert_int_equal(a->hash, hash_of(0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_UDP));
	for (int i = 0; i < 10; i++) {
		b->hash = 0;
		assert_int_equal(pp__qsel_pick(&q, (uint16_t)i, b), qa);
		assert_int_equal(b->hash, a->hash);
	}
	/* a preset hash is trusted: headers are not read */
	b->hash = 0xffffffffu;
	assert_int_equal(pp__qsel_pick(&q, 0, b), 15);
	assert_int_equal(b->hash, 0xffffffffu);

	/* fragments: addresses and protocol only, first or not */
	f1 = mk_pkt(fx, 0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_UDP, PP_IP_MF);
	f2 = mk_pkt(fx, 0x0a000001, 0x0a000002, 1234, 5678, PP_IPPROTO_UDP, 185);
	pp__qsel_pick(&q, 0, f1);
	pp__qsel_pick(&q, 0, f2);
	assert_int_equal(f1->hash, hash_of(0x0a000001, 0x0a000002, 0, 0, PP_IPPROTO_UDP));
	assert_int_equal(f2->hash, f1->hash);
	assert_int_not_equal(f1->hash, a->hash);

	/* TCP ports count; the protocol is part of the key */
	t = mk_pkt(fx, 0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_TCP, 0);
	pp__qsel_pick(&q, 0, t);
	assert_int_equal(t->hash, hash_of(0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_TCP));
	assert_int_not_equal(t->hash, a->hash);
	/* trans_off 0: found after the IPv4 header */
	t->hash = 0;
	t->trans_off = 0;
	pp__qsel_pick(&q, 0, t);
	assert_int_equal(t->hash, hash_of(0x0a000001, 0x0a000002, 40000, 53, PP_IPPROTO_TCP));

	pp_skb_free(fx->c, a);
	pp_skb_free(fx->c, b);
	pp_skb_free(fx->c, f1);
	pp_skb_free(fx->c, f2);
	pp_skb_free(fx->c, t);
}

/* The stage sets skb->queue on every skb, passes all through in order and
 * counts them. */
static void test_stage(void **state)
{
	struct fx *fx = *state;
	static struct pp_stage_stats stats;
	struct pp_qsel q;
	struct pp_skb *pkts[PP_BURST], *out[PP_STAGE_OUT_CAP];
	struct pp_stage st = {
		.name = "qsel", .ctx = &q, .cache = fx->c,
		.stats = &stats, .lane = 3, .out_cap = PP_STAGE_OUT_CAP,
	};
	uint16_t n;

	memset(&stats, 0, sizeof(stats));
	assert_int_equal(pp__qsel_init(&q, 4), 0);
	for (unsigned int i = 0; i < PP_BURST; i++)
		pkts[i] = mk_pkt(fx, 0x0a000001, 0x0a000002, (uint16_t)(20000 + i), 53,
				 PP_IPPROTO_UDP, 0);
	/* no XPS: each by its flow */
	n = pp__qsel_stage(&st, pkts, PP_BURST, out);
	assert_int_equal(n, PP_BURST);
	for (unsigned int i = 0; i < PP_BURST; i++) {
		uint32_t h = hash_of(0x0a000001, 0x0a000002, (uint16_t)(20000 + i), 53,
				     PP_IPPROTO_UDP);

		assert_ptr_equal(out[i], pkts[i]);
		assert_int_equal(out[i]->hash, h);
		assert_int_equal(out[i]->queue, (uint16_t)(((uint64_t)h * 4) >> 32));
	}
	/* XPS for lane 3: all to queue 2 */
	assert_int_equal(pp__qsel_set_xps(&q, 3, 2), 0);
	n = pp__qsel_stage(&st, pkts, PP_BURST, out);
	assert_int_equal(n, PP_BURST);
	for (unsigned int i = 0; i < PP_BURST; i++)
		assert_int_equal(out[i]->queue, 2);
	assert_int_equal(stats.packets, 2 * PP_BURST);
	assert_int_equal(stats.bursts[pp_burst_bucket(PP_BURST)], 2);
	assert_int_equal(pp_stage_stats_drops(&stats), 0);
	pp_skb_free_burst(fx->c, pkts, PP_BURST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_xps_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pick_scaling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xps_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_never_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_avalanche, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_spreads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_from_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
