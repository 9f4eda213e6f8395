// SPDX-License-Identifier: MIT
/*
 * test_arp.c - ARP frames and ARP input (proto/arp.c): bad arguments give no
 * frame; built frames are 60 bytes with every field right; malformed input
 * (each header field, lengths, bogus addresses) is dropped and counted;
 * frames for other hosts are dropped as not for us; a request for our
 * address gets a correct reply and teaches us the sender; a reply resolves
 * the skbs a lane holds; gratuitous ARP only refreshes existing entries.
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
#include <urcu-qsbr.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/pool.h"
#include "core/stage.h"
#include "core/time.h"
#include "proto/arp.h"
#include "proto/neigh.h"

#define SEC PP_NSEC_PER_SEC
#define T0 (1000 * SEC)
#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define PEER IP(10, 0, 0, 2)
#define PEER2 IP(10, 0, 0, 3)

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x22};
static const uint8_t peer_mac2[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x33};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x44};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero[64];

struct fx {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_neigh_table *t;
	struct pp_neigh_lane *nl;
	struct pp_stage arp;		/* the ARP input stage */
	struct pp_stage neigh;		/* the neighbour stage of the same lane */
	struct pp_stage_stats arp_stats, neigh_stats;
	struct pp_skb *out[PP_STAGE_OUT_CAP];
};

static int group_setup(void **state)
{
	(void)state;
	rcu_register_thread();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rcu_unregister_thread();
	return 0;
}

static int setup(void **state)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 256,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	struct pp_neigh_params p = {.ip = OUR_IP, .mask = IP(255, 255, 255, 0)};

	memset(&fx, 0, sizeof(fx));
	memcpy(p.mac, our_mac, 6);
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	assert_int_equal(pp__neigh_table_create(&p, 1, &fx.t), 0);
	assert_int_equal(pp__neigh_lane_create(fx.t, 0, &fx.nl), 0);
	pp__neigh_lane_pin_clock(fx.nl, true);	/* fake time throughout */
	fx.arp = (struct pp_stage){.name = "arp", .cache = fx.c, .stats = &fx.arp_stats,
				   .out_cap = PP_STAGE_OUT_CAP};
	fx.neigh = (struct pp_stage){.name = "neigh", .ctx = fx.nl,
				     .cache = fx.c, .stats = &fx.neigh_stats,
				     .out_cap = PP_STAGE_OUT_CAP};
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp__neigh_lane_destroy(fx->nl, &fx->neigh);
	pp__neigh_table_destroy(fx->t);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

/* What a received ARP frame says; mk_rx() writes it byte by byte. */
struct arp_desc {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint16_t hrd, pro, op;	/* host order */
	uint8_t hln, pln;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
	uint16_t len;		/* ARP bytes after Ethernet (28 + padding) */
};

static struct arp_desc request_for_us(void)
{
	struct arp_desc d = {.hrd = 1, .pro = 0x0800, .op = 1, .hln = 6, .pln = 4,
			     .spa = PEER, .tpa = OUR_IP, .len = 46};

	memcpy(d.eth_dst, bcast, 6);
	memcpy(d.eth_src, peer_mac, 6);
	memcpy(d.sha, peer_mac, 6);
	return d;
}

static struct arp_desc reply_to_us(void)
{
	struct arp_desc d = request_for_us();

	d.op = 2;
	memcpy(d.eth_dst, our_mac, 6);
	memcpy(d.tha, our_mac, 6);
	return d;
}

/* An skb as the RX path hands it over: Ethernet pulled, mac_off set. */
static struct pp_skb *mk_rx(struct fx *fx, const struct arp_desc *a, uint64_t now)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	uint8_t f[PP_ETH_HLEN + 64], *p = f + PP_ETH_HLEN, *d;

	assert_non_null(skb);
	assert_true(a->len <= 64);
	memset(f, 0xee, sizeof(f));	/* padding is garbage on the wire */
	memcpy(f, a->eth_dst, 6);
	memcpy(f + 6, a->eth_src, 6);
	f[12] = 0x08, f[13] = 0x06;
	p[0] = (uint8_t)(a->hrd >> 8), p[1] = (uint8_t)a->hrd;
	p[2] = (uint8_t)(a->pro >> 8), p[3] = (uint8_t)a->pro;
	p[4] = a->hln, p[5] = a->pln;
	p[6] = (uint8_t)(a->op >> 8), p[7] = (uint8_t)a->op;
	memcpy(p + 8, a->sha, 6);
	memcpy(p + 14, &a->spa, 4);
	memcpy(p + 18, a->tha, 6);
	memcpy(p + 24, &a->tpa, 4);
	d = pp_skb_put(skb, PP_ETH_HLEN + a->len);
	assert_non_null(d);
	if (d)
		memcpy(d, f, PP_ETH_HLEN + a->len);
	skb->mac_off = skb->data_off;
	assert_non_null(pp_skb_pull(skb, PP_ETH_HLEN));
	skb->net_off = skb->data_off;
	skb->tstamp = now;
	return skb;
}

static uint16_t input1(struct fx *fx, struct pp_skb *skb)
{
	return pp__arp_input(&fx->arp, fx->t, &skb, 1, fx->out);
}

static uint64_t drops(const struct pp_stage_stats *s, enum pp_drop_reason r)
{
	return PP_STAT_READ(s->drops[r]);
}

/* Every byte of an Ethernet + ARP frame. */
static void check_frame(const struct pp_skb *skb, const uint8_t eth_dst[6], uint16_t op,
			const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	const uint8_t *d = pp_skb_data(skb);
	struct pp_arp_hdr arp;

	assert_int_equal(skb->len, 60);
	assert_int_equal(skb->mac_off, skb->data_off);
	assert_int_equal(skb->net_off, skb->data_off + PP_ETH_HLEN);
	assert_null(skb->next);
	assert_null(skb->frag);
	assert_memory_equal(d, eth_dst, 6);
	assert_memory_equal(d + 6, sha, 6);
	assert_int_equal(d[12], 0x08);
	assert_int_equal(d[13], 0x06);
	memcpy(&arp, d + PP_ETH_HLEN, sizeof(arp));
	assert_int_equal(ntohs(arp.hrd), 1);
	assert_int_equal(ntohs(arp.pro), 0x0800);
	assert_int_equal(arp.hln, 6);
	assert_int_equal(arp.pln, 4);
	assert_int_equal(ntohs(arp.op), op);
	assert_memory_equal(arp.sha, sha, 6);
	assert_int_equal(arp.spa, spa);
	assert_memory_equal(arp.tha, tha, 6);
	assert_int_equal(arp.tpa, tpa);
	assert_memory_equal(d + 42, zero, 18);
}

static enum pp_neigh_state state_of(struct fx *fx, uint32_t ip, uint8_t mac[6])
{
	enum pp_neigh_state s = PP_NUD_NONE;

	assert_int_equal(pp__neigh_lookup(fx->t, ip, &s, mac), 0);
	return s;
}

/* ---- negative cases ------------------------------------------------------ */

static void test_build_bad_args(void **state)
{
	struct fx *fx = *state;

	assert_null(pp__arp_build(NULL, 1, our_mac, OUR_IP, NULL, PEER, bcast));
	assert_null(pp__arp_build(fx->c, 1, NULL, OUR_IP, NULL, PEER, bcast));
	assert_null(pp__arp_build(fx->c, 1, our_mac, OUR_IP, NULL, PEER, NULL));
	assert_null(pp__arp_build(fx->c, 0, our_mac, OUR_IP, NULL, PEER, bcast));
	assert_null(pp__arp_build(fx->c, 3, our_mac, OUR_IP, NULL, PEER, bcast));
	assert_null(pp__arp_build(fx->c, 0x0100, our_mac, OUR_IP, NULL, PEER, bcast));
}

static void test_build_no_frame(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *all[256];

	assert_int_equal(pp_skb_alloc_bulk(fx->c, all, 256), 256);
	assert_null(pp__arp_build(fx->c, 1, our_mac, OUR_IP, NULL, PEER, bcast));
	pp_skb_free_burst(fx->c, all, 256);
}

static void test_input_bad_args(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	struct pp_skb *skb = mk_rx(fx, &a, T0);

	assert_int_equal(pp__arp_input(NULL, fx->t, &skb, 1, fx->out), 0);
	assert_int_equal(pp__arp_input(&fx->arp, NULL, &skb, 1, fx->out), 0);
	assert_int_equal(pp__arp_input(&fx->arp, fx->t, NULL, 1, fx->out), 0);
	assert_int_equal(pp__arp_input(&fx->arp, fx->t, &skb, 1, NULL), 0);
	assert_int_equal(pp__arp_input(&fx->arp, fx->t, NULL, 0, fx->out), 0);
	assert_int_equal(PP_STAT_READ(fx->arp_stats.packets), 0);
	pp_skb_free(fx->c, skb);
}

static void test_input_malformed(void **state)
{
	struct fx *fx = *state;
	struct arp_desc base = request_for_us(), m[13];
	struct pp_skb *in[14];
	enum pp_neigh_state s;
	int k = 0;

	for (int i = 0; i < 13; i++)
		m[i] = base;
	m[k++].hrd = 6;			/* IEEE 802 */
	m[k++].pro = 0x86dd;
	m[k++].hln = 8;
	m[k++].pln = 16;
	m[k++].op = 0;
	m[k++].op = 3;			/* RARP request */
	m[k].sha[0] = 0x01, k++;	/* group address as sender */
	memset(m[k++].sha, 0, 6);
	m[k++].spa = IP(224, 0, 0, 5);
	m[k++].spa = IP(127, 0, 0, 1);
	m[k++].tpa = IP(239, 1, 1, 1);
	m[k++].tpa = IP(127, 0, 0, 1);
	m[k++].tpa = IP(255, 255, 255, 255);
	assert_int_equal(k, 13);
	for (int i = 0; i < k; i++)
		in[i] = mk_rx(fx, &m[i], T0);
	/* one byte short of a header */
	in[k] = mk_rx(fx, &base, T0);
	assert_int_equal(pp_skb_trim(in[k], 27), 0);
	assert_int_equal(pp__arp_input(&fx->arp, fx->t, in, (uint16_t)(k + 1), fx->out), 0);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_MALFORMED), k + 1);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), k + 1);
	assert_int_equal(PP_STAT_READ(fx->arp_stats.packets), k + 1);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, NULL), -ENOENT);
}

static void test_input_not_for_us(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a[4];
	struct pp_skb *in[4];
	enum pp_neigh_state s;

	a[0] = request_for_us(), a[0].tpa = IP(10, 0, 0, 99);		/* someone else's */
	a[1] = request_for_us(), memcpy(a[1].eth_dst, other_mac, 6);	/* PACKET_OTHERHOST */
	a[2] = request_for_us(), a[2].spa = OUR_IP;			/* claims our address */
	a[3] = reply_to_us(), a[3].tpa = IP(10, 0, 0, 99), memcpy(a[3].eth_dst, bcast, 6);
	for (int i = 0; i < 4; i++)
		in[i] = mk_rx(fx, &a[i], T0);
	assert_int_equal(pp__arp_input(&fx->arp, fx->t, in, 4, fx->out), 0);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_NOT_FOR_US), 4);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 4);
	/* overheard traffic does not create entries (arp_accept=0) */
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, NULL), -ENOENT);
}

/* ---- boundaries ------------------------------------------------------------ */

/* A bare 28-byte ARP (no padding) is whole; with no room in out[] the reply
 * is dropped and counted. */
static void test_input_exact_length_and_out_cap(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	uint16_t n;

	a.len = 28;
	n = input1(fx, mk_rx(fx, &a, T0));
	assert_int_equal(n, 1);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	pp_skb_free(fx->c, fx->out[0]);

	fx->arp.out_cap = 0;
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_RING_FULL), 1);
	fx->arp.out_cap = PP_STAGE_OUT_CAP;
}

/* ---- normal cases ---------------------------------------------------------- */

static void test_build_request_and_reply(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb;

	skb = pp__arp_build(fx->c, PP_ARP_OP_REQUEST, our_mac, OUR_IP, NULL, PEER, bcast);
	assert_non_null(skb);
	check_frame(skb, bcast, 1, our_mac, OUR_IP, zero, PEER);
	assert_int_equal(skb->nexthop, PEER);
	assert_int_equal(skb->prio, 0);
	pp_skb_free(fx->c, skb);
	skb = pp__arp_build(fx->c, PP_ARP_OP_REPLY, our_mac, OUR_IP, peer_mac, PEER, peer_mac);
	assert_non_null(skb);
	check_frame(skb, peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	pp_skb_free(fx->c, skb);
}

/* A request for our address: a correct reply, in place, and the sender is
 * learned (STALE, cf. neigh_event_ns()). */
static void test_request_for_us_answered(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	struct pp_pool_stats before, after;
	struct pp_skb *skb = mk_rx(fx, &a, T0);
	uint8_t mac[6];
	uint16_t n;

	assert_int_equal(pp_pool_stats(fx->pool, &before), 0);
	n = input1(fx, skb);
	assert_int_equal(n, 1);
	assert_ptr_equal(fx->out[0], skb);	/* built in place */
	assert_int_equal(pp_pool_stats(fx->pool, &after), 0);
	assert_int_equal(after.allocs, before.allocs);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	assert_int_equal(fx->out[0]->nexthop, PEER);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac, 6);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
	assert_int_equal(PP_STAT_READ(fx->arp_stats.packets), 1);
	assert_int_equal(PP_STAT_READ(fx->arp_stats.bytes), 46);
}

/* A shared request, or one whose Ethernet header is unknown, is answered
 * from a fresh frame. */
static void test_request_answered_in_fresh_frame(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	struct pp_skb *skb = mk_rx(fx, &a, T0);
	uint16_t n;

	pp_skb_get(skb);	/* someone else holds it too (a pcap tap) */
	n = input1(fx, skb);
	assert_int_equal(n, 1);
	assert_ptr_not_equal(fx->out[0], skb);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	pp_skb_free(fx->c, fx->out[0]);
	/* the request is intact for its other holder */
	assert_int_equal(pp_skb_data(skb)[7], 1);
	assert_false(pp_skb_shared(skb));
	pp_skb_free(fx->c, skb);

	skb = mk_rx(fx, &a, T0);
	skb->mac_off = 0;
	n = input1(fx, skb);
	assert_int_equal(n, 1);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	pp_skb_free(fx->c, fx->out[0]);
}

/* The ARP reply resolves what the lane held: flushed in order to the
 * learned address. */
static void test_reply_resolves_pending(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = reply_to_us();
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .protocol = PP_IPPROTO_UDP};
	uint8_t mac[6];
	uint16_t n;

	pp__neigh_poll(&fx->neigh, T0, fx->out, PP_STAGE_OUT_CAP);
	for (uint8_t i = 0; i < 3; i++) {
		struct pp_skb *skb = pp_skb_alloc(fx->c);
		uint8_t *d = pp_skb_put(skb, sizeof(ip) + 1);

		ip.daddr = PEER;
		memcpy(d, &ip, sizeof(ip));
		d[sizeof(ip)] = i;
		skb->net_off = skb->data_off;
		skb->nexthop = PEER;
		n = pp__neigh_output(&fx->neigh, &skb, 1, fx->out);
		assert_int_equal(n, i == 0);
		if (n)
			pp_skb_free(fx->c, fx->out[0]);
	}
	assert_int_equal(state_of(fx, PEER, NULL), PP_NUD_INCOMPLETE);

	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 5)), 0);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_REACHABLE);
	assert_memory_equal(mac, peer_mac, 6);
	n = pp__neigh_poll(&fx->neigh, T0 + 6, fx->out, PP_STAGE_OUT_CAP);
	assert_int_equal(n, 3);
	for (uint8_t i = 0; i < 3; i++) {
		const uint8_t *d = pp_skb_data(fx->out[i]);

		assert_memory_equal(d, peer_mac, 6);
		assert_memory_equal(d + 6, our_mac, 6);
		assert_int_equal(d[12], 0x08);
		assert_int_equal(d[13], 0x00);
		assert_int_equal(d[PP_ETH_HLEN + sizeof(ip)], i);
	}
	pp_skb_free_burst(fx->c, fx->out, n);
	assert_true(pp__neigh_lane_idle(fx->nl));
	/* the confirmation's time came from the skb: REACHABLE until +30 s */
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 5 + 30 * SEC - 1), 0);
	assert_int_equal(state_of(fx, PEER, NULL), PP_NUD_REACHABLE);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 5 + 30 * SEC), 0);
	assert_int_equal(state_of(fx, PEER, NULL), PP_NUD_STALE);
}

/* Replies nobody asked for are consumed without creating entries; a
 * broadcast reply only makes an entry STALE. */
static void test_unsolicited_and_broadcast_reply(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = reply_to_us();
	enum pp_neigh_state s;
	uint8_t mac[6];

	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, NULL), -ENOENT);

	/* an INCOMPLETE entry gets a broadcast reply: STALE, resolved */
	pp__neigh_poll(&fx->neigh, T0, fx->out, PP_STAGE_OUT_CAP);
	struct pp_skb *skb = pp_skb_alloc(fx->c);

	assert_non_null(pp_skb_put(skb, 20));
	skb->nexthop = PEER;
	skb->net_off = skb->data_off;
	assert_int_equal(pp__neigh_output(&fx->neigh, &skb, 1, fx->out), 1);
	pp_skb_free(fx->c, fx->out[0]);
	memcpy(a.eth_dst, bcast, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac, 6);
	assert_int_equal(pp__neigh_poll(&fx->neigh, T0, fx->out, PP_STAGE_OUT_CAP), 1);
	assert_memory_equal(pp_skb_data(fx->out[0]), peer_mac, 6);
	pp_skb_free(fx->c, fx->out[0]);
}

/* Gratuitous ARP (sender IP == target IP) refreshes existing entries only. */
static void test_gratuitous_arp(void **state)
{
	struct fx *fx = *state;
	struct arp_desc g = request_for_us();
	enum pp_neigh_state s;
	uint8_t mac[6];

	g.tpa = g.spa = PEER2;
	memcpy(g.sha, peer_mac2, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &g, T0)), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER2, &s, NULL), -ENOENT);

	assert_int_equal(pp__neigh_event(fx->t, PEER2, peer_mac, T0), 0);
	assert_int_equal(input1(fx, mk_rx(fx, &g, T0)), 0);
	assert_int_equal(state_of(fx, PEER2, mac), PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac2, 6);
	/* a gratuitous reply (announcement) to everyone: STALE too */
	g.op = 2;
	memcpy(g.sha, other_mac, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &g, T0)), 0);
	assert_int_equal(state_of(fx, PEER2, mac), PP_NUD_STALE);
	assert_memory_equal(mac, other_mac, 6);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
	assert_int_equal(PP_STAT_READ(fx->arp_stats.packets), 3);
}

/* An RFC 5227 probe (sender 0.0.0.0) for our address is answered to its
 * MAC, and teaches nothing. */
static void test_probe_for_us_answered(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	enum pp_neigh_state s;

	a.spa = 0;
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 1);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, 0);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(pp__neigh_lookup(fx->t, 0, &s, NULL), -ENOENT);
	/* a probe for another address: not for us */
	a.tpa = PEER2;
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_NOT_FOR_US), 1);
}

/* A request for someone else still refreshes the sender's existing entry
 * (cf. arp_process()); a PERMANENT sender is never changed. */
static void test_overheard_and_permanent(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	uint8_t mac[6];
	uint16_t n;

	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac, T0), 0);
	a.tpa = IP(10, 0, 0, 99);
	memcpy(a.sha, peer_mac2, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 2 * SEC)), 0);	/* past locktime */
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_NOT_FOR_US), 1);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac2, 6);

	assert_int_equal(pp__neigh_add_static(fx->t, PEER2, peer_mac), 0);
	a = request_for_us();
	a.spa = PEER2;
	memcpy(a.sha, other_mac, 6);
	n = input1(fx, mk_rx(fx, &a, T0));
	assert_int_equal(n, 1);	/* still answered */
	check_frame(fx->out[0], other_mac, 2, our_mac, OUR_IP, other_mac, PEER2);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(state_of(fx, PEER2, mac), PP_NUD_PERMANENT);
	assert_memory_equal(mac, peer_mac, 6);
}

/* ---- a hostile host on the link ------------------------------------------- */

/* An IPv4 skb for the neighbour stage, to @nh. */
static struct pp_skb *mk_ip(struct fx *fx, uint32_t nh)
{
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .protocol = PP_IPPROTO_UDP};
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	uint8_t *d;

	assert_non_null(skb);
	d = pp_skb_put(skb, sizeof(ip));
	assert_non_null(d);
	ip.daddr = nh;
	memcpy(d, &ip, sizeof(ip));
	skb->net_off = skb->data_off;
	skb->nexthop = nh;
	return skb;
}

static uint16_t send1(struct fx *fx, uint32_t nh)
{
	struct pp_skb *skb = mk_ip(fx, nh);

	return pp__neigh_output(&fx->neigh, &skb, 1, fx->out);
}

/* Regression (defect 1): 5000 requests from distinct on-link senders filled
 * the table for good; a new peer is still answered, and our own send to a
 * new next hop still resolves. */
static void test_request_flood_then_new_peer(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = {.ip = OUR_IP, .mask = IP(255, 255, 0, 0)};
	struct arp_desc a = request_for_us();
	uint8_t mac[6];
	uint16_t n;

	memcpy(p.mac, our_mac, 6);
	pp__neigh_lane_destroy(fx->nl, &fx->neigh);
	pp__neigh_table_destroy(fx->t);
	assert_int_equal(pp__neigh_table_create(&p, 1, &fx->t), 0);
	assert_int_equal(pp__neigh_lane_create(fx->t, 0, &fx->nl), 0);
	pp__neigh_lane_pin_clock(fx->nl, true);
	fx->neigh.ctx = fx->nl;

	memcpy(a.sha, other_mac, 6);
	for (uint32_t i = 0; i < 5000; i++) {
		a.spa = IP(10, 0, 1 + (i >> 8), i & 0xff);
		n = input1(fx, mk_rx(fx, &a, T0 + i));
		assert_int_equal(n, 1);
		pp_skb_free(fx->c, fx->out[0]);
	}
	assert_int_equal(pp__neigh_table_count(fx->t), 1024);
	/* a new peer is answered */
	a = request_for_us();
	n = input1(fx, mk_rx(fx, &a, T0 + 5000));
	assert_int_equal(n, 1);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, PEER);
	pp_skb_free(fx->c, fx->out[0]);
	/* our send to a new next hop gets its entry and its request ... */
	pp__neigh_poll(&fx->neigh, T0 + 5000, fx->out, PP_STAGE_OUT_CAP);
	n = send1(fx, PEER2);
	assert_int_equal(n, 1);
	check_frame(fx->out[0], bcast, 1, our_mac, OUR_IP, zero, PEER2);
	pp_skb_free(fx->c, fx->out[0]);
	/* ... and the reply resolves it */
	a = reply_to_us();
	a.spa = PEER2;
	memcpy(a.sha, peer_mac2, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 5001)), 0);
	assert_int_equal(state_of(fx, PEER2, mac), PP_NUD_REACHABLE);
	n = pp__neigh_poll(&fx->neigh, T0 + 5001, fx->out, PP_STAGE_OUT_CAP);
	assert_int_equal(n, 1);
	assert_memory_equal(pp_skb_data(fx->out[0]), peer_mac2, 6);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
	assert_int_equal(pp_stage_stats_drops(&fx->neigh_stats), 0);
}

/* Regression (defect 1): an off-link sender is answered, not learned. */
static void test_offlink_request_answered_not_learned(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	enum pp_neigh_state s;
	uint16_t n;

	a.spa = IP(192, 168, 7, 7);
	n = input1(fx, mk_rx(fx, &a, T0));
	assert_int_equal(n, 1);
	check_frame(fx->out[0], peer_mac, 2, our_mac, OUR_IP, peer_mac, a.spa);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(pp__neigh_lookup(fx->t, a.spa, &s, NULL), -ENOENT);
	assert_int_equal(pp__neigh_table_count(fx->t), 0);
}

/* Regression (defect 2): martian senders (subnet broadcast among them) are
 * dropped and counted: no entry, no reply. */
static void test_martian_senders(void **state)
{
	struct fx *fx = *state;
	const uint32_t martians[] = {
		IP(10, 0, 0, 255), IP(255, 255, 255, 255), IP(224, 0, 0, 1), IP(239, 9, 9, 9),
		IP(127, 0, 0, 1), IP(127, 1, 2, 3), IP(0, 1, 2, 3),
	};
	const int nm = (int)(sizeof(martians) / sizeof(martians[0]));
	enum pp_neigh_state s;

	for (int op = 1; op <= 2; op++) {
		for (int i = 0; i < nm; i++) {
			struct arp_desc a = op == 1 ? request_for_us() : reply_to_us();

			a.spa = martians[i];
			assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
			assert_int_equal(pp__neigh_lookup(fx->t, martians[i], &s, NULL), -ENOENT);
		}
	}
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_MALFORMED), 2 * nm);
	/* our own address as sender: no reply, no entry, counted */
	struct arp_desc a = request_for_us();

	a.spa = OUR_IP;
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_NOT_FOR_US), 1);
	assert_int_equal(pp__neigh_lookup(fx->t, OUR_IP, &s, NULL), -ENOENT);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 2 * nm + 1);
	assert_int_equal(pp__neigh_table_count(fx->t), 0);
}

/* Regression (defect 2): after `who-has 10.0.0.1 tell 10.0.0.255` from a
 * forger, a send to 10.0.0.255 still leaves to ff:ff:ff:ff:ff:ff. */
static void test_forged_broadcast_sender(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = request_for_us();
	uint16_t n;

	a.spa = IP(10, 0, 0, 255);
	memcpy(a.sha, other_mac, 6);
	memcpy(a.eth_src, other_mac, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	/* a gratuitous reply for it, too */
	a = reply_to_us();
	a.spa = a.tpa = IP(10, 0, 0, 255);
	memcpy(a.sha, other_mac, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0)), 0);
	pp__neigh_poll(&fx->neigh, T0, fx->out, PP_STAGE_OUT_CAP);
	n = send1(fx, IP(10, 0, 0, 255));
	assert_int_equal(n, 1);
	assert_memory_equal(pp_skb_data(fx->out[0]), bcast, 6);
	assert_memory_equal(pp_skb_data(fx->out[0]) + 6, our_mac, 6);
	assert_int_equal(pp_skb_data(fx->out[0])[12], 0x08);	/* the IPv4 packet, no ARP */
	assert_int_equal(pp_skb_data(fx->out[0])[13], 0x00);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(drops(&fx->arp_stats, PP_DROP_MALFORMED), 2);
	assert_int_equal(pp__neigh_table_count(fx->t), 0);
}

/* Regression (defect 3): a second reply with another MAC within locktime is
 * ignored; after it, it wins; a gratuitous ARP wins at once. */
static void test_reply_locktime(void **state)
{
	struct fx *fx = *state;
	struct arp_desc a = reply_to_us();
	uint8_t mac[6];

	pp__neigh_poll(&fx->neigh, T0, fx->out, PP_STAGE_OUT_CAP);
	assert_int_equal(send1(fx, PEER), 1);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 10)), 0);
	memcpy(a.sha, other_mac, 6);
	memcpy(a.eth_src, other_mac, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 10 + SEC / 10)), 0);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_REACHABLE);
	assert_memory_equal(mac, peer_mac, 6);
	assert_int_equal(pp__neigh_poll(&fx->neigh, T0 + 10 + SEC / 10, fx->out, PP_STAGE_OUT_CAP), 1);
	assert_memory_equal(pp_skb_data(fx->out[0]), peer_mac, 6);
	pp_skb_free(fx->c, fx->out[0]);
	/* a request to us from the other MAC: locktime holds too (answered) */
	struct arp_desc r = request_for_us();

	memcpy(r.sha, other_mac, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &r, T0 + 10 + SEC)), 1);
	pp_skb_free(fx->c, fx->out[0]);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_REACHABLE);
	assert_memory_equal(mac, peer_mac, 6);
	/* after locktime the new address wins */
	assert_int_equal(input1(fx, mk_rx(fx, &a, T0 + 10 + SEC + 1)), 0);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_REACHABLE);
	assert_memory_equal(mac, other_mac, 6);
	/* a gratuitous ARP overrides within locktime */
	struct arp_desc g = request_for_us();

	g.tpa = g.spa = PEER;
	memcpy(g.sha, peer_mac2, 6);
	assert_int_equal(input1(fx, mk_rx(fx, &g, T0 + 10 + SEC + 2)), 0);
	assert_int_equal(state_of(fx, PEER, mac), PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac2, 6);
	assert_int_equal(pp_stage_stats_drops(&fx->arp_stats), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_no_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_not_for_us, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_exact_length_and_out_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_request_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_for_us_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_answered_in_fresh_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_resolves_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_and_broadcast_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gratuitous_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_for_us_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overheard_and_permanent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_flood_then_new_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offlink_request_answered_not_learned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_martian_senders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_broadcast_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_locktime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
