// SPDX-License-Identifier: MIT
/*
 * test_neigh.c - the neighbour table and output stage (proto/neigh.c) on fake
 * time: bad arguments refused; a cold next hop holds its skbs and sends one
 * well-formed broadcast ARP request, retries every retrans_ns and fails after
 * mcast_probes of them, dropping (and counting) what it held; the pending
 * queue keeps the newest unres_qlen; resolution flushes in order with correct
 * Ethernet headers, on every fragment; static entries never expire; two lanes
 * holding for one entry both flush, and one request per interval is sent
 * between them. Every test leaves the pool full.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/pool.h"
#include "core/stage.h"
#include "core/time.h"
#include "proto/neigh.h"

#define NLANES 2
#define SEC PP_NSEC_PER_SEC
#define T0 (1000 * SEC)

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x22};
static const uint8_t peer_mac2[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x33};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define PEER IP(10, 0, 0, 2)
#define PEER2 IP(10, 0, 0, 3)

struct fx {
	struct pp_pool *pool;
	struct pp_neigh_table *t;
	struct pp_neigh_lane *nl[NLANES];
	struct pp_stage st[NLANES];
	struct pp_stage_stats stats[NLANES];
	struct pp_skb *out[PP_STAGE_OUT_CAP];
};

static struct pp_neigh_params defparams(void)
{
	struct pp_neigh_params p = {
		.unres_qlen = 101,
		.retrans_ns = SEC,
		.mcast_probes = 3,
		.reachable_ns = 30 * SEC,
		.failed_hold_ns = SEC,
		.ip = OUR_IP,
	};

	memcpy(p.mac, our_mac, 6);
	return p;
}

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
		.frames_per_lane = 1024,
		.nlanes = NLANES,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	*state = &fx;
	return 0;
}

/* Table and lanes with @p; stage k runs on lane cache k. */
static void mk_table(struct fx *fx, const struct pp_neigh_params *p)
{
	assert_int_equal(pp__neigh_table_create(p, NLANES, &fx->t), 0);
	for (int k = 0; k < NLANES; k++) {
		assert_int_equal(pp__neigh_lane_create(fx->t, (uint16_t)k, &fx->nl[k]), 0);
		pp__neigh_lane_pin_clock(fx->nl[k], true);	/* fake time throughout */
		fx->st[k] = (struct pp_stage){
			.name = "neigh",
			.ctx = fx->nl[k],
			.cache = pp_pool_cache(fx->pool, (unsigned int)k),
			.stats = &fx->stats[k],
			.lane = (uint16_t)k,
			.out_cap = PP_STAGE_OUT_CAP,
		};
	}
}

static void mk_default(struct fx *fx)
{
	struct pp_neigh_params p = defparams();

	mk_table(fx, &p);
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	for (int k = 0; k < NLANES; k++)
		pp__neigh_lane_destroy(fx->nl[k], &fx->st[k]);
	pp__neigh_table_destroy(fx->t);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(fx->pool);
	return 0;
}

/* An IPv4 packet to @nh carrying @seq after a 20-byte header, with @hr
 * bytes of headroom (-1: the pool's). */
static struct pp_skb *mk_hr(struct fx *fx, int lane, uint32_t nh, uint32_t seq, int hr)
{
	struct pp_skb *skb = pp_skb_alloc(fx->st[lane].cache);
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .ttl = 64, .protocol = PP_IPPROTO_UDP};
	uint8_t *d;

	assert_non_null(skb);
	if (hr >= 0) {
		assert_non_null(pp_skb_push(skb, pp_skb_headroom(skb) - (uint32_t)hr));
		assert_int_equal(pp_skb_trim(skb, 0), 0);
	}
	d = pp_skb_put(skb, PP_IPV4_HLEN + 4);
	assert_non_null(d);
	ip.tot_len = htons(PP_IPV4_HLEN + 4);
	ip.saddr = OUR_IP;
	ip.daddr = nh;
	memcpy(d, &ip, sizeof(ip));
	memcpy(d + PP_IPV4_HLEN, &seq, 4);
	skb->net_off = skb->data_off;
	skb->nexthop = nh;
	return skb;
}

static struct pp_skb *mk(struct fx *fx, int lane, uint32_t nh, uint32_t seq)
{
	return mk_hr(fx, lane, nh, seq, -1);
}

static uint16_t out1(struct fx *fx, int lane, struct pp_skb *skb)
{
	return pp__neigh_output(&fx->st[lane], &skb, 1, fx->out);
}

static uint16_t npoll(struct fx *fx, int lane, uint64_t now)
{
	return pp__neigh_poll(&fx->st[lane], now, fx->out, PP_STAGE_OUT_CAP);
}

static uint32_t seq_of(const struct pp_skb *skb)
{
	uint32_t seq;

	memcpy(&seq, pp_skb_data(skb) + PP_ETH_HLEN + PP_IPV4_HLEN, 4);
	return seq;
}

/* Every field of the broadcast request for @tpa. */
static void check_request(const struct pp_skb *skb, uint32_t tpa)
{
	const uint8_t *d = pp_skb_data(skb);
	const struct pp_eth_hdr *eth = (const struct pp_eth_hdr *)d;
	struct pp_arp_hdr arp;
	static const uint8_t zero[32];

	assert_int_equal(skb->len, 60);
	assert_int_equal(skb->mac_off, skb->data_off);
	assert_int_equal(skb->net_off, skb->data_off + PP_ETH_HLEN);
	assert_memory_equal(eth->dst, bcast, 6);
	assert_memory_equal(eth->src, our_mac, 6);
	assert_int_equal(ntohs(eth->proto), PP_ETH_P_ARP);
	memcpy(&arp, d + PP_ETH_HLEN, sizeof(arp));
	assert_int_equal(ntohs(arp.hrd), PP_ARP_HRD_ETHER);
	assert_int_equal(ntohs(arp.pro), PP_ETH_P_IP);
	assert_int_equal(arp.hln, 6);
	assert_int_equal(arp.pln, 4);
	assert_int_equal(ntohs(arp.op), PP_ARP_OP_REQUEST);
	assert_memory_equal(arp.sha, our_mac, 6);
	assert_int_equal(arp.spa, OUR_IP);
	assert_memory_equal(arp.tha, zero, 6);
	assert_int_equal(arp.tpa, tpa);
	assert_memory_equal(d + PP_ETH_HLEN + sizeof(arp), zero, 60 - PP_ETH_HLEN - sizeof(arp));
}

/* An IPv4 frame to @mac: Ethernet header right and the IPv4 header behind it. */
static void check_ip(const struct pp_skb *skb, const uint8_t mac[6])
{
	const struct pp_eth_hdr *eth = (const struct pp_eth_hdr *)pp_skb_data(skb);

	assert_int_equal(skb->mac_off, skb->data_off);
	assert_int_equal(skb->net_off, skb->data_off + PP_ETH_HLEN);
	assert_memory_equal(eth->dst, mac, 6);
	assert_memory_equal(eth->src, our_mac, 6);
	assert_int_equal(ntohs(eth->proto), PP_ETH_P_IP);
	assert_int_equal(pp_skb_data(skb)[PP_ETH_HLEN], 0x45);
	assert_null(skb->next);
}

static void free_out(struct fx *fx, int lane, uint16_t n)
{
	pp_skb_free_burst(fx->st[lane].cache, fx->out, n);
}

static uint64_t drops(struct fx *fx, int lane, enum pp_drop_reason r)
{
	return PP_STAT_READ(fx->stats[lane].drops[r]);
}

static enum pp_neigh_state state_of(struct fx *fx, uint32_t ip)
{
	enum pp_neigh_state s = PP_NUD_NONE;

	assert_int_equal(pp__neigh_lookup(fx->t, ip, &s, NULL), 0);
	return s;
}

/* ---- negative cases ------------------------------------------------------ */

static void test_create_bad_params(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_table *t = NULL;
	struct pp_neigh_params p = defparams(), q;

	(void)fx;
	assert_int_equal(pp__neigh_table_create(NULL, 1, &t), -EINVAL);
	assert_int_equal(pp__neigh_table_create(&p, 1, NULL), -EINVAL);
	assert_int_equal(pp__neigh_table_create(&p, 0, &t), -EINVAL);
	assert_int_equal(pp__neigh_table_create(&p, PP_POOL_CACHES_MAX + 1, &t), -EINVAL);
	q = p, q.mcast_probes = 256;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.unres_qlen = 65536;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.retrans_ns = 1ull << 46;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.reachable_ns = UINT64_MAX;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.failed_hold_ns = 1ull << 50;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.max_entries = (1u << 20) + 1;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.ip = 0;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.ip = IP(224, 0, 0, 1);
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, memset(q.mac, 0, 6);
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	q = p, q.mac[0] = 0x01;
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), -EINVAL);
	assert_null(t);

	/* zero fields take defaults */
	memset(&q, 0, sizeof(q));
	q.ip = OUR_IP;
	memcpy(q.mac, our_mac, 6);
	assert_int_equal(pp__neigh_table_create(&q, 1, &t), 0);
	assert_non_null(t);
	assert_int_equal(pp__neigh_table_ip(t), OUR_IP);
	assert_memory_equal(pp__neigh_table_mac(t), our_mac, 6);
	pp__neigh_table_destroy(t);
	pp__neigh_table_destroy(NULL);
}

static void test_api_bad_args(void **state)
{
	struct fx *fx = *state;
	enum pp_neigh_state s;
	struct pp_neigh_lane *nl = NULL;
	struct pp_neigh_lane_stats ls;
	static const uint8_t zero[6], mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
	uint8_t mac[6];

	mk_default(fx);
	assert_int_equal(pp__neigh_del(fx->t, PEER), -ENOENT);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0), -ENOENT);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), -ENOENT);
	assert_int_equal(pp__neigh_del(NULL, PEER), -EINVAL);
	assert_int_equal(pp__neigh_update(NULL, PEER, peer_mac, T0), -EINVAL);
	assert_int_equal(pp__neigh_update(fx->t, PEER, NULL, T0), -EINVAL);
	assert_int_equal(pp__neigh_update(fx->t, PEER, zero, T0), -EINVAL);
	assert_int_equal(pp__neigh_update(fx->t, PEER, mcast, T0), -EINVAL);
	assert_int_equal(pp__neigh_update(fx->t, 0, peer_mac, T0), -EINVAL);
	assert_int_equal(pp__neigh_confirm(fx->t, PEER, peer_mac, PP_NUD_FAILED, 0, T0), -EINVAL);
	assert_int_equal(pp__neigh_event(fx->t, IP(255, 255, 255, 255), peer_mac, T0), -EINVAL);
	assert_int_equal(pp__neigh_lookup(NULL, PEER, &s, mac), -EINVAL);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, NULL, mac), -EINVAL);
	assert_int_equal(pp__neigh_add_static(NULL, PEER, peer_mac), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, 0, peer_mac), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(239, 1, 1, 1), peer_mac), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(255, 255, 255, 255), peer_mac), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, zero), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, mcast), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, NULL), -EINVAL);
	assert_int_equal(pp__neigh_tick(NULL, T0), -EINVAL);
	assert_int_equal(pp__neigh_lane_create(NULL, 0, &nl), -EINVAL);
	assert_int_equal(pp__neigh_lane_create(fx->t, NLANES, &nl), -EINVAL);
	assert_int_equal(pp__neigh_lane_create(fx->t, 0, NULL), -EINVAL);
	assert_null(nl);
	assert_int_equal(pp__neigh_lane_stats(NULL, &ls), -EINVAL);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], NULL), -EINVAL);
	assert_true(pp__neigh_lane_idle(NULL));
	pp__neigh_lane_destroy(NULL, NULL);

	/* the data path refuses what it cannot own, and takes nothing */
	struct pp_skb *skb = mk(fx, 0, PEER, 1);

	assert_int_equal(pp__neigh_output(NULL, &skb, 1, fx->out), 0);
	assert_int_equal(pp__neigh_output(&fx->st[0], &skb, 1, NULL), 0);
	assert_int_equal(pp__neigh_output(&fx->st[0], NULL, 1, fx->out), 0);
	assert_int_equal(pp__neigh_poll(NULL, T0, fx->out, 8), 0);
	assert_int_equal(pp__neigh_poll(&fx->st[0], T0, NULL, 8), 0);
	assert_int_equal(PP_STAT_READ(fx->stats[0].packets), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, NULL), -ENOENT);
	pp_skb_free(fx->st[0].cache, skb);
	/* an empty burst is fine */
	assert_int_equal(pp__neigh_output(&fx->st[0], NULL, 0, fx->out), 0);

	/* PERMANENT is not changed by a confirmation */
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac2, T0), -EPERM);
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac2, T0), -EPERM);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
	assert_int_equal(s, PP_NUD_PERMANENT);
	assert_memory_equal(mac, peer_mac, 6);
	/* delete, then it is gone */
	assert_int_equal(pp__neigh_del(fx->t, PEER), 0);
	assert_int_equal(pp__neigh_del(fx->t, PEER), -ENOENT);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), -ENOENT);
}

/* ---- boundaries ------------------------------------------------------------ */

/* Probes at t0, t0+r, t0+2r; FAILED at exactly t0+3r; held skbs dropped. */
static void test_probe_timing_and_failure(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_lane_stats ls;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	n = out1(fx, 0, mk(fx, 0, PEER, 0));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	assert_int_equal(state_of(fx, PEER), PP_NUD_INCOMPLETE);
	/* more traffic meanwhile: held, no new request */
	for (uint32_t i = 1; i < 5; i++)
		assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, i)), 0);
	assert_false(pp__neigh_lane_idle(fx->nl[0]));

	for (unsigned int k = 1; k < 3; k++) {
		assert_int_equal(npoll(fx, 0, T0 + k * SEC - 1), 0);
		n = npoll(fx, 0, T0 + k * SEC);
		assert_int_equal(n, 1);
		check_request(fx->out[0], PEER);
		free_out(fx, 0, n);
		assert_int_equal(npoll(fx, 0, T0 + k * SEC), 0); /* once per interval */
	}
	assert_int_equal(npoll(fx, 0, T0 + 3 * SEC - 1), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_INCOMPLETE);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 0);
	assert_int_equal(npoll(fx, 0, T0 + 3 * SEC), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 5);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.arp_requests, 3);
	assert_int_equal(ls.held, 5);
	assert_int_equal(ls.created, 1);
	assert_int_equal(PP_STAT_READ(fx->stats[0].packets), 5);
}

/* FAILED drops new traffic for failed_hold_ns, then resolution restarts. */
static void test_failed_hold_then_retry(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	uint64_t tf = T0 + 2 * SEC;
	uint16_t n;

	p.mcast_probes = 2;
	p.failed_hold_ns = 5 * SEC;
	mk_table(fx, &p);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	free_out(fx, 0, npoll(fx, 0, T0 + SEC));
	assert_int_equal(npoll(fx, 0, tf), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 1);

	/* within the hold: dropped at once, on either lane, no request */
	npoll(fx, 1, tf + 5 * SEC - 1);
	assert_int_equal(out1(fx, 1, mk(fx, 1, PEER, 1)), 0);
	assert_int_equal(drops(fx, 1, PP_DROP_NEIGH_FAILED), 1);
	assert_true(pp__neigh_lane_idle(fx->nl[1]));
	/* tick does not collect it before the hold is over */
	assert_int_equal(pp__neigh_tick(fx->t, tf + 5 * SEC - 1), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);

	/* after it: INCOMPLETE again, a fresh round of probes */
	npoll(fx, 1, tf + 5 * SEC);
	n = out1(fx, 1, mk(fx, 1, PEER, 2));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 1, n);
	assert_int_equal(state_of(fx, PEER), PP_NUD_INCOMPLETE);
	n = npoll(fx, 1, tf + 6 * SEC);
	assert_int_equal(n, 1);
	free_out(fx, 1, n);
	assert_int_equal(npoll(fx, 1, tf + 7 * SEC), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(drops(fx, 1, PP_DROP_NEIGH_FAILED), 2);
}

/* unres_qlen bounds what a lane holds per entry; the oldest go first. */
static void test_queue_bound_drops_oldest(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	struct pp_skb *in[7];
	uint16_t n;

	p.unres_qlen = 4;
	mk_table(fx, &p);
	npoll(fx, 0, T0);
	for (uint32_t i = 0; i < 7; i++)
		in[i] = mk(fx, 0, PEER, i);
	n = pp__neigh_output(&fx->st[0], in, 7, fx->out);
	assert_int_equal(n, 1); /* the request */
	free_out(fx, 0, n);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL), 3);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 1), 0);
	n = npoll(fx, 0, T0 + 2);
	assert_int_equal(n, 4);
	for (uint32_t i = 0; i < 4; i++) {
		check_ip(fx->out[i], peer_mac);
		assert_int_equal(seq_of(fx->out[i]), 3 + i);
	}
	free_out(fx, 0, n);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 3);
}

/* Never more than out_cap entries: the rest stay held, in order. */
static void test_out_cap_respected(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *in[6];
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	for (uint32_t i = 1; i < 5; i++)
		assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, i)), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0), 0);
	n = pp__neigh_poll(&fx->st[0], T0, fx->out, 3);
	assert_int_equal(n, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(seq_of(fx->out[i]), i);
	free_out(fx, 0, n);
	assert_false(pp__neigh_lane_idle(fx->nl[0]));

	/* the stage's own cap: 2 of 6 now (held ones first), 4 later */
	fx->st[0].out_cap = 2;
	for (uint32_t i = 0; i < 4; i++)
		in[i] = mk(fx, 0, PEER, 5 + i);
	n = pp__neigh_output(&fx->st[0], in, 4, fx->out);
	assert_int_equal(n, 2);
	assert_int_equal(seq_of(fx->out[0]), 3);
	assert_int_equal(seq_of(fx->out[1]), 4);
	free_out(fx, 0, n);
	fx->st[0].out_cap = PP_STAGE_OUT_CAP;
	n = npoll(fx, 0, T0);
	assert_int_equal(n, 4);
	for (uint32_t i = 0; i < 4; i++) {
		check_ip(fx->out[i], peer_mac);
		assert_int_equal(seq_of(fx->out[i]), 5 + i);
	}
	free_out(fx, 0, n);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);

	/* a cold hop when out[] is full: held, its request goes at the next poll */
	fx->st[0].out_cap = 0;
	assert_int_equal(out1(fx, 0, mk(fx, 0, PEER2, 0)), 0);
	fx->st[0].out_cap = PP_STAGE_OUT_CAP;
	n = npoll(fx, 0, T0);
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER2);
	free_out(fx, 0, n);
}

/* Regression (defect 5): 64 next hops that never answer took every slot of
 * the lane, and our traffic to a 65th was dropped. Now the slot of the
 * oldest INCOMPLETE hop is reclaimed (its skbs dropped and counted), the
 * 65th resolves, and the orphaned entry is failed by the tick. */
static void test_lane_slots_reclaimed(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_lane_stats ls;
	uint8_t mac[6];
	enum pp_neigh_state s;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	for (uint32_t i = 0; i < PP_NEIGH_LANE_SLOTS; i++) {
		n = out1(fx, 0, mk(fx, 0, IP(10, 1, i >> 8, i & 0xff), i));
		assert_int_equal(n, 1);
		free_out(fx, 0, n);
		/* a second skb for each: the reclaimed slot drops both */
		assert_int_equal(out1(fx, 0, mk(fx, 0, IP(10, 1, i >> 8, i & 0xff), i)), 0);
	}
	n = out1(fx, 0, mk(fx, 0, PEER, 7));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL), 2);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.reclaimed, 1);
	assert_int_equal(ls.held, 2 * PP_NEIGH_LANE_SLOTS + 1);
	assert_int_equal(ls.held_bytes, (uint64_t)(2 * PP_NEIGH_LANE_SLOTS - 1) * 2048);
	/* the reply resolves the 65th; the 64 others still wait */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 5), 0);
	n = npoll(fx, 0, T0 + 6);
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	assert_int_equal(seq_of(fx->out[0]), 7);
	free_out(fx, 0, n);
	/* the first hop's entry lost its only holder: nobody probes it, the
	 * tick fails it once its probe is a whole interval late */
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 1, 0, 0), &s, mac), 0);
	assert_int_equal(s, PP_NUD_INCOMPLETE);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 2 * SEC - 1), 0);
	assert_int_equal(state_of(fx, IP(10, 1, 0, 0)), PP_NUD_INCOMPLETE);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 2 * SEC), 0);
	assert_int_equal(state_of(fx, IP(10, 1, 0, 0)), PP_NUD_FAILED);
	/* held ones are not the tick's to fail */
	assert_int_equal(state_of(fx, IP(10, 1, 0, 1)), PP_NUD_INCOMPLETE);
	/* the other lane is not affected */
	npoll(fx, 1, T0);
	n = out1(fx, 1, mk(fx, 1, PEER2, 0));
	assert_int_equal(n, 1);
	free_out(fx, 1, n);

	/* every slot holding a resolved hop (out[] was full): nothing to
	 * reclaim, a new hop is dropped and makes no entry */
	pp__neigh_lane_destroy(fx->nl[0], &fx->st[0]);
	assert_int_equal(pp__neigh_lane_create(fx->t, 0, &fx->nl[0]), 0);
	pp__neigh_lane_pin_clock(fx->nl[0], true);
	fx->st[0].ctx = fx->nl[0];
	npoll(fx, 0, T0 + 10);
	fx->st[0].out_cap = 0;
	for (uint32_t i = 0; i < PP_NEIGH_LANE_SLOTS; i++) {
		assert_int_equal(pp__neigh_add_static(fx->t, IP(10, 2, 0, i), peer_mac), 0);
		assert_int_equal(out1(fx, 0, mk(fx, 0, IP(10, 2, 0, i), i)), 0);
	}
	assert_int_equal(out1(fx, 0, mk(fx, 0, IP(10, 3, 0, 1), 0)), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL), 2 + 1);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 3, 0, 1), &s, NULL), -ENOENT);
	fx->st[0].out_cap = PP_STAGE_OUT_CAP;
	n = npoll(fx, 0, T0 + 10);
	assert_int_equal(n, PP_NEIGH_LANE_SLOTS);
	free_out(fx, 0, n);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
}

/* A full table refuses new entries, and counts it. */
static void test_table_full(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	struct pp_neigh_lane_stats ls;
	enum pp_neigh_state s;

	p.max_entries = 2;
	mk_table(fx, &p);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(pp__neigh_add_static(fx->t, PEER2, peer_mac2), 0);
	assert_int_equal(out1(fx, 0, mk(fx, 0, IP(10, 0, 0, 9), 0)), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 1);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.create_fail, 1);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(10, 0, 0, 9), peer_mac), -ENOBUFS);
	assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 0, 9), peer_mac, T0), -ENOBUFS);
	/* existing ones still change */
	assert_int_equal(pp__neigh_add_static(fx->t, PEER2, peer_mac), 0);
	/* a deleted entry comes back to the free list after a grace period
	 * (offline meanwhile, as a QSBR thread that waits must be) */
	assert_int_equal(pp__neigh_del(fx->t, PEER2), 0);
	int err = -ENOBUFS;

	for (int i = 0; i < 5000 && err == -ENOBUFS; i++) {
		err = pp__neigh_add_static(fx->t, IP(10, 0, 0, 9), peer_mac);
		if (err == -ENOBUFS) {
			rcu_thread_offline();
			usleep(1000);
			rcu_thread_online();
		}
	}
	assert_int_equal(err, 0);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 0, 0, 9), &s, NULL), 0);
	assert_int_equal(s, PP_NUD_PERMANENT);
}

/* No headroom for the Ethernet header (on any fragment): dropped whole. */
static void test_no_headroom(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *a, *b;

	mk_default(fx);
	npoll(fx, 0, T0);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac), 0);
	assert_int_equal(out1(fx, 0, mk_hr(fx, 0, PEER, 0, PP_ETH_HLEN - 1)), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NO_BUFFER), 1);

	a = mk(fx, 0, PEER, 1);
	b = mk_hr(fx, 0, PEER, 2, 2);
	a->frag = b;
	assert_int_equal(out1(fx, 0, a), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NO_BUFFER), 2);

	/* exactly enough headroom is enough */
	assert_int_equal(out1(fx, 0, mk_hr(fx, 0, PEER, 3, PP_ETH_HLEN)), 1);
	check_ip(fx->out[0], peer_mac);
	assert_int_equal(seq_of(fx->out[0]), 3);
	assert_int_equal(pp_skb_headroom(fx->out[0]), 0);
	free_out(fx, 0, 1);
}

/* No frame for the ARP request: the probe is spent and counted, the skb
 * stays held, and the next probe goes out on time. */
static void test_request_without_frame(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_lane_stats ls;
	static struct pp_skb *all[1024];
	struct pp_skb *skb;
	uint32_t got;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	skb = mk(fx, 0, PEER, 0);
	got = pp_skb_alloc_burst(fx->st[0].cache, all, 1024);
	assert_int_equal(got, 1023);
	assert_int_equal(out1(fx, 0, skb), 0);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.arp_nobuf, 1);
	assert_int_equal(ls.arp_requests, 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);
	assert_false(pp__neigh_lane_idle(fx->nl[0]));
	pp_skb_free_burst(fx->st[0].cache, all, got);
	assert_int_equal(npoll(fx, 0, T0 + SEC - 1), 0);
	n = npoll(fx, 0, T0 + SEC);
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
}

/*
 * Regression: output took its time from the lane's last poll, and the lane
 * loop polls only while the lane holds skbs; a FAILED entry drops without
 * holding, so an idle lane never polled again and the entry's hold never
 * ended: the next hop was unreachable for good. On the real clock (lane not
 * pinned), new traffic after the hold must restart resolution.
 */
static void test_failed_hold_ends_on_idle_lane(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	uint16_t n;

	p.mcast_probes = 1;
	p.retrans_ns = PP_NSEC_PER_MSEC;
	p.failed_hold_ns = PP_NSEC_PER_MSEC;
	mk_table(fx, &p);
	pp__neigh_lane_pin_clock(fx->nl[0], false);
	n = out1(fx, 0, mk(fx, 0, PEER, 0));	/* never polled before */
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	usleep(3000);
	assert_int_equal(pp__neigh_poll(&fx->st[0], pp__now_ns(), fx->out, PP_STAGE_OUT_CAP), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	/* no poll from here on: the lane is idle; the hold (1 ms) ends */
	usleep(3000);
	n = out1(fx, 0, mk(fx, 0, PEER, 2));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	assert_int_equal(state_of(fx, PEER), PP_NUD_INCOMPLETE);
}

/* ---- normal cases ---------------------------------------------------------- */

static void test_cold_entry_holds_and_requests(void **state)
{
	struct fx *fx = *state;
	enum pp_neigh_state s;
	uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
	static const uint8_t zero[6];
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	n = out1(fx, 0, mk(fx, 0, PEER, 7));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	assert_int_equal(fx->out[0]->owner, 0);	/* from the lane's own cache */
	assert_int_equal(fx->out[0]->prio, 0);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
	assert_int_equal(s, PP_NUD_INCOMPLETE);
	assert_memory_equal(mac, zero, 6);
	assert_false(pp__neigh_lane_idle(fx->nl[0]));
	assert_true(pp__neigh_lane_idle(fx->nl[1]));
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);
	assert_int_equal(PP_STAT_READ(fx->stats[0].packets), 1);
	assert_int_equal(PP_STAT_READ(fx->stats[0].bytes), PP_IPV4_HLEN + 4);
}

/* Resolution flushes every held skb, in order, with the right header; then
 * traffic goes straight through. */
static void test_resolve_flushes_in_order(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_lane_stats ls;
	enum pp_neigh_state s;
	uint8_t mac[6];
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	for (uint32_t i = 0; i < 10; i++)
		free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, i)));
	assert_int_equal(npoll(fx, 0, T0 + 1), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 2), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
	assert_int_equal(s, PP_NUD_REACHABLE);
	assert_memory_equal(mac, peer_mac, 6);
	n = npoll(fx, 0, T0 + 3);
	assert_int_equal(n, 10);
	for (uint32_t i = 0; i < 10; i++) {
		check_ip(fx->out[i], peer_mac);
		assert_int_equal(seq_of(fx->out[i]), i);
		assert_int_equal(fx->out[i]->len, PP_ETH_ZLEN); /* 38 bytes padded to the Ethernet minimum */
	}
	free_out(fx, 0, n);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	n = out1(fx, 0, mk(fx, 0, PEER, 10));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	assert_int_equal(seq_of(fx->out[0]), 10);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.flushed, 10);
	assert_int_equal(ls.arp_requests, 1);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);

	/* a new address for a REACHABLE entry is used from then on, once
	 * locktime since the last change is over */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac2, T0 + 2 + SEC + 1), 0);
	n = out1(fx, 0, mk(fx, 0, PEER, 11));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac2);
	free_out(fx, 0, n);
}

/* Traffic arriving after resolution but before the poll goes behind what
 * was held, not ahead of it. */
static void test_order_kept_without_poll(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *in[2];
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	for (uint32_t i = 0; i < 3; i++)
		free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, i)));
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0), 0);
	in[0] = mk(fx, 0, PEER, 3);
	in[1] = mk(fx, 0, PEER, 4);
	n = pp__neigh_output(&fx->st[0], in, 2, fx->out);
	assert_int_equal(n, 5);
	for (uint32_t i = 0; i < 5; i++) {
		check_ip(fx->out[i], peer_mac);
		assert_int_equal(seq_of(fx->out[i]), i);
	}
	free_out(fx, 0, n);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
}

static struct pp_skb *mk_chain(struct fx *fx, int lane, uint32_t nh, uint32_t seq, int nfrag)
{
	struct pp_skb *head = mk(fx, lane, nh, seq), *prev = head;

	for (int i = 1; i < nfrag; i++) {
		struct pp_skb *f = mk(fx, lane, nh, seq + (uint32_t)i);

		f->flags = PP_SKB_F_FRAG;
		prev->frag = f;
		prev = f;
	}
	head->flags = PP_SKB_F_FRAG;
	return head;
}

static void check_chain(const struct pp_skb *skb, const uint8_t mac[6], uint32_t seq, int nfrag)
{
	int k = 0;

	for (const struct pp_skb *f = skb; f; f = f->frag, k++) {
		check_ip(f, mac);
		assert_int_equal(seq_of(f), seq + (uint32_t)k);
	}
	assert_int_equal(k, nfrag);
}

/* Every fragment gets its own Ethernet header; a chain is one out entry. */
static void test_fragments_each_get_header(void **state)
{
	struct fx *fx = *state;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac), 0);
	n = out1(fx, 0, mk_chain(fx, 0, PEER, 100, 3));
	assert_int_equal(n, 1);
	check_chain(fx->out[0], peer_mac, 100, 3);
	free_out(fx, 0, n);

	/* held chains too, flushed whole and in order */
	n = out1(fx, 0, mk_chain(fx, 0, PEER2, 0, 4));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER2);
	free_out(fx, 0, n);
	assert_int_equal(out1(fx, 0, mk_chain(fx, 0, PEER2, 10, 2)), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER2, peer_mac2, T0), 0);
	n = npoll(fx, 0, T0);
	assert_int_equal(n, 2);
	check_chain(fx->out[0], peer_mac2, 0, 4);
	check_chain(fx->out[1], peer_mac2, 10, 2);
	free_out(fx, 0, n);
}

/* PERMANENT entries resolve what waits, never age, and ARP cannot move them. */
static void test_static_never_expires(void **state)
{
	struct fx *fx = *state;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, 1)), 0);
	/* static over an INCOMPLETE entry resolves the pending skbs */
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac), 0);
	n = npoll(fx, 0, T0 + 1);
	assert_int_equal(n, 2);
	check_ip(fx->out[0], peer_mac);
	check_ip(fx->out[1], peer_mac);
	free_out(fx, 0, n);
	/* hours later, after every timer and the periodic work */
	for (uint64_t t = T0; t < T0 + 3600 * SEC; t += 600 * SEC) {
		assert_int_equal(pp__neigh_tick(fx->t, t), 0);
		npoll(fx, 0, t);
		n = out1(fx, 0, mk(fx, 0, PEER, 2));
		assert_int_equal(n, 1);
		check_ip(fx->out[0], peer_mac);
		free_out(fx, 0, n);
		assert_int_equal(state_of(fx, PEER), PP_NUD_PERMANENT);
	}
	/* replaced by the admin only */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac2, T0), -EPERM);
	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac2), 0);
	n = out1(fx, 0, mk(fx, 0, PEER, 3));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac2);
	free_out(fx, 0, n);
}

/* REACHABLE turns STALE after reachable_ns without confirmation; STALE
 * still transmits; a confirmation makes it REACHABLE again. */
static void test_reachable_to_stale(void **state)
{
	struct fx *fx = *state;
	uint64_t tr = T0 + 10;
	uint16_t n;

	mk_default(fx);
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac, tr), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_STALE);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, tr), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);
	/* a request heard from it (same address) does not downgrade it */
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac, tr), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);

	npoll(fx, 0, tr + 30 * SEC - 1);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);
	npoll(fx, 0, tr + 30 * SEC);
	n = out1(fx, 0, mk(fx, 0, PEER, 1));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	free_out(fx, 0, n);
	assert_int_equal(state_of(fx, PEER), PP_NUD_STALE);
	/* STALE with a new address (heard, not confirmed), past the locktime
	 * of the REACHABLE -> STALE change at tr + 30 s */
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac2, tr + 32 * SEC), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_STALE);
	n = out1(fx, 0, mk(fx, 0, PEER, 2));
	check_ip(fx->out[0], peer_mac2);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, tr + 40 * SEC), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);
	/* the periodic work ages entries nobody uses */
	assert_int_equal(pp__neigh_tick(fx->t, tr + 70 * SEC - 1), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);
	assert_int_equal(pp__neigh_tick(fx->t, tr + 70 * SEC), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_STALE);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);
}

/* Two lanes hold for one entry: one request per interval between them, and
 * both flush their own skbs on resolution. */
static void test_two_lanes_share_probes(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_lane_stats l0, l1;
	uint16_t n0, n1;

	mk_default(fx);
	npoll(fx, 0, T0);
	npoll(fx, 1, T0);
	n0 = out1(fx, 0, mk(fx, 0, PEER, 0));
	n1 = out1(fx, 1, mk(fx, 1, PEER, 100));
	assert_int_equal(n0 + n1, 1);
	assert_int_equal(n0, 1);
	free_out(fx, 0, n0);
	for (uint32_t i = 1; i < 4; i++) {
		assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, i)), 0);
		assert_int_equal(out1(fx, 1, mk(fx, 1, PEER, 100 + i)), 0);
	}
	for (unsigned int k = 1; k < 3; k++) {
		/* whichever lane polls first sends; the other does not */
		int first = (int)(k & 1);

		n0 = npoll(fx, first, T0 + k * SEC);
		n1 = npoll(fx, !first, T0 + k * SEC + 5);
		assert_int_equal(n0, 1);
		assert_int_equal(n1, 0);
		check_request(fx->out[0], PEER);
		free_out(fx, first, n0);
	}
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &l0), 0);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[1], &l1), 0);
	assert_int_equal(l0.arp_requests + l1.arp_requests, 3);

	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 2 * SEC + 10), 0);
	for (int k = 0; k < NLANES; k++) {
		uint16_t n = npoll(fx, k, T0 + 2 * SEC + 20);

		assert_int_equal(n, 4);
		for (uint32_t i = 0; i < 4; i++) {
			check_ip(fx->out[i], peer_mac);
			assert_int_equal(seq_of(fx->out[i]), (uint32_t)k * 100 + i);
		}
		free_out(fx, k, n);
		assert_true(pp__neigh_lane_idle(fx->nl[k]));
	}
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]) + pp_stage_stats_drops(&fx->stats[1]), 0);
}

/* Two lanes hold, nobody answers: both drop what they hold, once FAILED. */
static void test_two_lanes_both_drop_on_failure(void **state)
{
	struct fx *fx = *state;

	mk_default(fx);
	npoll(fx, 0, T0);
	npoll(fx, 1, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(out1(fx, 1, mk(fx, 1, PEER, 1)), 0);
	assert_int_equal(out1(fx, 1, mk(fx, 1, PEER, 2)), 0);
	free_out(fx, 0, npoll(fx, 0, T0 + SEC));
	free_out(fx, 0, npoll(fx, 0, T0 + 2 * SEC));
	assert_int_equal(npoll(fx, 1, T0 + 2 * SEC), 0);
	assert_int_equal(npoll(fx, 1, T0 + 3 * SEC), 0);
	assert_int_equal(drops(fx, 1, PP_DROP_NEIGH_FAILED), 2);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 0);
	assert_int_equal(npoll(fx, 0, T0 + 3 * SEC), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 1);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	assert_true(pp__neigh_lane_idle(fx->nl[1]));
}

/* Deleting an entry drops what waits for it; new traffic starts afresh. */
static void test_del_drops_pending(void **state)
{
	struct fx *fx = *state;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, 1)), 0);
	assert_int_equal(pp__neigh_del(fx->t, PEER), 0);
	assert_int_equal(npoll(fx, 0, T0 + 1), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_FAILED), 2);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	n = out1(fx, 0, mk(fx, 0, PEER, 2));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	assert_int_equal(state_of(fx, PEER), PP_NUD_INCOMPLETE);
}

/* The periodic work collects FAILED entries once their hold is over. */
static void test_tick_collects_failed(void **state)
{
	struct fx *fx = *state;
	enum pp_neigh_state s;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(pp__neigh_add_static(fx->t, PEER2, peer_mac), 0);
	for (unsigned int k = 1; k <= 3; k++)
		free_out(fx, 0, npoll(fx, 0, T0 + k * SEC));
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 4 * SEC - 1), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_FAILED);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 4 * SEC), 1);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, NULL), -ENOENT);
	assert_int_equal(state_of(fx, PEER2), PP_NUD_PERMANENT);
}

/* Group and broadcast next hops map to Ethernet addresses without ARP, and
 * a zero next hop means the IPv4 destination (on link). */
static void test_mcast_bcast_and_onlink(void **state)
{
	struct fx *fx = *state;
	static const uint8_t mc[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	enum pp_neigh_state s;
	struct pp_skb *skb;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	n = out1(fx, 0, mk(fx, 0, IP(239, 129, 2, 3), 0));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], mc);
	free_out(fx, 0, n);
	n = out1(fx, 0, mk(fx, 0, IP(255, 255, 255, 255), 0));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], bcast);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(239, 129, 2, 3), &s, NULL), -ENOENT);

	assert_int_equal(pp__neigh_add_static(fx->t, PEER, peer_mac), 0);
	skb = mk(fx, 0, PEER, 0);
	skb->nexthop = 0;
	n = out1(fx, 0, skb);
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	free_out(fx, 0, n);
	/* no next hop and no IPv4 header to find one in */
	skb = mk(fx, 0, PEER, 0);
	skb->nexthop = 0;
	assert_int_equal(pp_skb_trim(skb, 10), 0);
	assert_int_equal(out1(fx, 0, skb), 0);
	assert_int_equal(drops(fx, 0, PP_DROP_MALFORMED), 1);
}

/* Learning from a request to us (pp__neigh_event) resolves pending skbs. */
static void test_event_resolves(void **state)
{
	struct fx *fx = *state;
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac, T0), 0);
	assert_int_equal(state_of(fx, PEER), PP_NUD_STALE);
	n = npoll(fx, 0, T0);
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	free_out(fx, 0, n);
	/* and creates the entry when there is none */
	assert_int_equal(pp__neigh_event(fx->t, PEER2, peer_mac2, T0), 0);
	assert_int_equal(state_of(fx, PEER2), PP_NUD_STALE);
}

/* ---- what a hostile host on the link can do -------------------------------- */

#define MASK16 IP(255, 255, 0, 0)
#define MASK24 IP(255, 255, 255, 0)

/* Regression (defect 1): requests from thousands of on-link senders filled
 * the table with STALE entries nothing collected, and our traffic to a new
 * next hop could get no entry. Learning stops when the table is full, and
 * our traffic evicts the oldest learned entry; PERMANENT ones stay. */
static void test_learned_flood_never_locks_out(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	struct pp_neigh_lane_stats ls;
	uint32_t learned = 0;
	uint16_t n;

	p.mask = MASK16;
	mk_table(fx, &p);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(10, 0, 200, 1), peer_mac2), 0);
	for (uint32_t i = 0; i < 5000; i++) {
		int err = pp__neigh_event(fx->t, IP(10, 0, 1 + (i >> 8), i & 0xff), peer_mac, T0 + i);

		assert_true(err == 0 || err == -ENOBUFS);
		learned += err == 0;
	}
	assert_int_equal(learned, 1024 - 1);
	assert_int_equal(pp__neigh_table_count(fx->t), 1024);
	/* our traffic to a new next hop gets an entry, and resolves */
	npoll(fx, 0, T0 + 5000);
	n = out1(fx, 0, mk(fx, 0, PEER, 1));
	assert_int_equal(n, 1);
	check_request(fx->out[0], PEER);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.create_fail, 0);
	assert_true(pp__neigh_table_count(fx->t) <= 1024);
	/* the oldest learned went */
	enum pp_neigh_state s;

	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 0, 1, 0), &s, NULL), -ENOENT);
	assert_int_equal(state_of(fx, IP(10, 0, 1, 1)), PP_NUD_STALE);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 5001), 0);
	n = npoll(fx, 0, T0 + 5001);
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	free_out(fx, 0, n);
	assert_int_equal(state_of(fx, IP(10, 0, 200, 1)), PP_NUD_PERMANENT);
	/* and so does the admin */
	assert_int_equal(pp__neigh_add_static(fx->t, PEER2, peer_mac2), 0);
	/* past 5 s the forced GC makes room for learning again, down to
	 * gc_thresh2 */
	assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 100, 1), peer_mac, T0 + 20 * SEC), 0);
	assert_true(pp__neigh_table_count(fx->t) <= 513);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);
}

/* Regression (defect 1): off-link senders are not learned; an entry that
 * exists is still refreshed. */
static void test_offlink_not_learned(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	enum pp_neigh_state s;
	uint8_t mac[6];

	p.mask = MASK24;
	mk_table(fx, &p);
	assert_int_equal(pp__neigh_event(fx->t, IP(192, 168, 1, 1), peer_mac, T0), -ENETUNREACH);
	assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 1, 1), peer_mac, T0), -ENETUNREACH);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(192, 168, 1, 1), &s, NULL), -ENOENT);
	assert_int_equal(pp__neigh_table_count(fx->t), 0);
	assert_true(pp__neigh_table_onlink(fx->t, IP(10, 0, 0, 77)));
	assert_false(pp__neigh_table_onlink(fx->t, IP(10, 0, 1, 77)));
	/* our traffic made an entry (an on-link route to it): refreshed */
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, IP(192, 168, 1, 1), 0)));
	assert_int_equal(pp__neigh_event(fx->t, IP(192, 168, 1, 1), peer_mac, T0), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(192, 168, 1, 1), &s, mac), 0);
	assert_int_equal(s, PP_NUD_STALE);
	assert_memory_equal(mac, peer_mac, 6);
	free_out(fx, 0, npoll(fx, 0, T0));
	/* a mask that is not contiguous is refused */
	struct pp_neigh_table *t = NULL;

	p.mask = IP(255, 0, 255, 0);
	assert_int_equal(pp__neigh_table_create(&p, 1, &t), -EINVAL);
	p.mask = MASK24, p.ip = IP(10, 0, 0, 255);	/* our address the broadcast */
	assert_int_equal(pp__neigh_table_create(&p, 1, &t), -EINVAL);
	p = defparams(), p.gc_thresh1 = 600;	/* above gc_thresh2 */
	assert_int_equal(pp__neigh_table_create(&p, 1, &t), -EINVAL);
	assert_null(t);
}

/* Regression (defect 1): STALE entries nobody holds skbs for are collected
 * by the tick once gc_stale_time old, but only at gc_thresh1 entries or
 * more; held and PERMANENT ones stay. */
static void test_tick_collects_stale(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	enum pp_neigh_state s;

	p.mask = MASK16;
	mk_table(fx, &p);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 1, i), peer_mac, T0), 0);
	/* below gc_thresh1 (128): nothing goes, however old */
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 600 * SEC), 0);
	assert_int_equal(pp__neigh_table_count(fx->t), 100);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 2, i), peer_mac, T0 + 30 * SEC), 0);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(10, 0, 3, 1), peer_mac), 0);
	/* a lane holds skbs for one old STALE entry (out[] was full) */
	npoll(fx, 0, T0);
	fx->st[0].out_cap = 0;
	assert_int_equal(out1(fx, 0, mk(fx, 0, IP(10, 0, 1, 5), 0)), 0);
	fx->st[0].out_cap = PP_STAGE_OUT_CAP;
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 60 * SEC - 1), 0);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 60 * SEC), 99);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 0, 1, 0), &s, NULL), -ENOENT);
	assert_int_equal(state_of(fx, IP(10, 0, 1, 5)), PP_NUD_STALE);
	assert_int_equal(state_of(fx, IP(10, 0, 2, 0)), PP_NUD_STALE);
	assert_int_equal(state_of(fx, IP(10, 0, 3, 1)), PP_NUD_PERMANENT);
	/* 102 left: below gc_thresh1 again, the younger ones stay */
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 200 * SEC), 0);
	/* once the lane let go, the held one goes too (at gc_thresh1) */
	free_out(fx, 0, npoll(fx, 0, T0 + 200 * SEC));
	for (uint32_t i = 0; i < 30; i++)
		assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 4, i), peer_mac, T0 + 200 * SEC), 0);
	assert_int_equal(pp__neigh_tick(fx->t, T0 + 200 * SEC), 101);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 0, 1, 5), &s, NULL), -ENOENT);
	assert_int_equal(state_of(fx, IP(10, 0, 3, 1)), PP_NUD_PERMANENT);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]), 0);
}

/* Regression (defect 2): the subnet broadcast is not a neighbour: no entry
 * for it, and a packet to it leaves to ff:ff:ff:ff:ff:ff. */
static void test_subnet_broadcast_next_hop(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	enum pp_neigh_state s;
	uint16_t n;

	p.mask = MASK24;
	mk_table(fx, &p);
	assert_int_equal(pp__neigh_table_bcast(fx->t), IP(10, 0, 0, 255));
	assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 0, 255), peer_mac, T0), -EINVAL);
	assert_int_equal(pp__neigh_add_static(fx->t, IP(10, 0, 0, 255), peer_mac), -EINVAL);
	npoll(fx, 0, T0);
	n = out1(fx, 0, mk(fx, 0, IP(10, 0, 0, 255), 0));
	assert_int_equal(n, 1);
	check_ip(fx->out[0], bcast);
	free_out(fx, 0, n);
	assert_int_equal(pp__neigh_lookup(fx->t, IP(10, 0, 0, 255), &s, NULL), -ENOENT);
	/* a /31 has no subnet broadcast: .1 is a host there */
	pp__neigh_lane_destroy(fx->nl[0], &fx->st[0]);
	pp__neigh_lane_destroy(fx->nl[1], &fx->st[1]);
	pp__neigh_table_destroy(fx->t);
	p.mask = IP(255, 255, 255, 254);
	p.ip = IP(10, 0, 0, 0);
	mk_table(fx, &p);
	assert_int_equal(pp__neigh_table_bcast(fx->t), IP(255, 255, 255, 255));
	assert_int_equal(pp__neigh_event(fx->t, IP(10, 0, 0, 1), peer_mac, T0), 0);
}

/* Regression (defect 3): a second answer with another address within
 * locktime of the first is ignored; after it, it wins; the same address
 * always refreshes; a gratuitous ARP (override) wins at once. */
static void test_locktime(void **state)
{
	struct fx *fx = *state;
	uint8_t mac[6];
	uint16_t n;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 10), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac2, T0 + 10 + SEC / 2), 0);
	assert_int_equal(pp__neigh_confirm(fx->t, PEER, peer_mac2, PP_NUD_STALE, 0, T0 + 10 + SEC), 0);
	assert_int_equal(pp__neigh_event(fx->t, PEER, peer_mac2, T0 + 10 + SEC), 0);
	assert_int_equal(pp__neigh_lookup(fx->t, PEER, NULL, mac), -EINVAL);
	assert_int_equal(state_of(fx, PEER), PP_NUD_REACHABLE);
	{
		enum pp_neigh_state s;

		assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
		assert_memory_equal(mac, peer_mac, 6);
	}
	n = npoll(fx, 0, T0 + 10 + SEC);
	assert_int_equal(n, 1);
	check_ip(fx->out[0], peer_mac);
	free_out(fx, 0, n);
	/* the same address refreshes within locktime, and does not move it */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 10 + SEC / 2), 0);
	/* after locktime: the new one wins */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac2, T0 + 10 + SEC + 1), 0);
	{
		enum pp_neigh_state s;

		assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
		assert_int_equal(s, PP_NUD_REACHABLE);
		assert_memory_equal(mac, peer_mac2, 6);
	}
	/* which starts a new locktime, that only an override beats */
	assert_int_equal(pp__neigh_confirm(fx->t, PEER, peer_mac, PP_NUD_STALE, 0, T0 + 11 + SEC), 0);
	{
		enum pp_neigh_state s;

		assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
		assert_memory_equal(mac, peer_mac2, 6);
		assert_int_equal(pp__neigh_confirm(fx->t, PEER, peer_mac, PP_NUD_STALE,
						   PP_NEIGH_F_OVERRIDE, T0 + 11 + SEC), 0);
		assert_int_equal(pp__neigh_lookup(fx->t, PEER, &s, mac), 0);
		assert_int_equal(s, PP_NUD_STALE);
		assert_memory_equal(mac, peer_mac, 6);
	}
	assert_int_equal(pp__neigh_confirm(fx->t, PEER, peer_mac, PP_NUD_STALE, 2, T0), -EINVAL);
}

/* Chain of @nfrag frames for @nh (truesize nfrag * 2048). */
static struct pp_skb *mk_chain(struct fx *fx, int lane, uint32_t nh, uint32_t seq, int nfrag);

/* Regression (defect 4): a fragment chain counted as one skb, so chains
 * for a next hop that never answers filled the pool. Now a next hop holds at
 * most unres_qlen_bytes of truesize, the lane at most its share, and every
 * skb that does not fit is dropped and counted. */
static void test_hold_bounded_in_bytes(void **state)
{
	struct fx *fx = *state;
	struct pp_neigh_params p = defparams();
	struct pp_neigh_lane_stats ls;
	uint64_t handed = 0, out_ip = 0;
	const uint32_t chain = 8 * 2048;
	uint16_t n;

	p.frames_per_lane = 1024;
	p.frame_size = 2048;
	mk_table(fx, &p);
	npoll(fx, 0, T0);
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.hold_max, 1024 * 2048 / PP_HOLD_NEIGH_DIV);
	for (uint32_t i = 0; i < 20; i++, handed++) {
		free_out(fx, 0, out1(fx, 0, mk_chain(fx, 0, PEER, 100 * i, 8)));
		assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
		assert_true(ls.held_bytes <= PP_NEIGH_UNRES_QLEN_BYTES);
	}
	/* 13 chains of 16 KiB are 212992 bytes: the newest 13 stay */
	assert_int_equal(ls.held_bytes, 13 * chain);
	assert_int_equal(drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL), 7);
	/* a second hop: the lane's share (256 KiB) is the bound now; the
	 * fattest hop gives way */
	for (uint32_t i = 0; i < 20; i++, handed++) {
		free_out(fx, 0, out1(fx, 0, mk_chain(fx, 0, PEER2, 100 * i, 8)));
		assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
		assert_true(ls.held_bytes <= ls.hold_max);
	}
	assert_int_equal(ls.held_bytes, ls.hold_max);
	/* a chain larger than unres_qlen_bytes on its own: dropped at once */
	free_out(fx, 0, out1(fx, 0, mk_chain(fx, 0, PEER2, 5000, 105)));
	handed++;
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.held_bytes, ls.hold_max);
	/* resolve both: what comes out and what was dropped is all of it */
	assert_int_equal(pp__neigh_update(fx->t, PEER, peer_mac, T0 + 1), 0);
	assert_int_equal(pp__neigh_update(fx->t, PEER2, peer_mac2, T0 + 1), 0);
	n = npoll(fx, 0, T0 + 2);
	for (uint16_t i = 0; i < n; i++)
		out_ip += fx->out[i]->frag != NULL;
	free_out(fx, 0, n);
	assert_true(pp__neigh_lane_idle(fx->nl[0]));
	assert_int_equal(out_ip, ls.hold_max / chain);
	assert_int_equal(out_ip + drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL), handed);
	assert_int_equal(pp_stage_stats_drops(&fx->stats[0]),
			 drops(fx, 0, PP_DROP_NEIGH_QUEUE_FULL));
	assert_int_equal(pp__neigh_lane_stats(fx->nl[0], &ls), 0);
	assert_int_equal(ls.held_bytes, 0);
}

/* Destroying a lane drops what it holds as SHUTDOWN. */
static void test_lane_destroy_drops_shutdown(void **state)
{
	struct fx *fx = *state;

	mk_default(fx);
	npoll(fx, 0, T0);
	free_out(fx, 0, out1(fx, 0, mk(fx, 0, PEER, 0)));
	assert_int_equal(out1(fx, 0, mk(fx, 0, PEER, 1)), 0);
	assert_int_equal(out1(fx, 0, mk(fx, 0, PEER2, 2)), 1);
	free_out(fx, 0, 1);
	pp__neigh_lane_destroy(fx->nl[0], &fx->st[0]);
	fx->nl[0] = NULL;
	assert_int_equal(drops(fx, 0, PP_DROP_SHUTDOWN), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_bad_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_timing_and_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_hold_then_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_cap_respected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lane_slots_reclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_headroom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_without_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_hold_ends_on_idle_lane, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cold_entry_holds_and_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_flushes_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_kept_without_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_each_get_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_never_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reachable_to_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_lanes_share_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_lanes_both_drop_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_drops_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick_collects_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcast_bcast_and_onlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lane_destroy_drops_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_flood_never_locks_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offlink_not_learned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick_collects_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subnet_broadcast_next_hop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locktime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_bounded_in_bytes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
