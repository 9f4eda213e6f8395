// SPDX-License-Identifier: MIT
/*
 * test_neigh_churn.c - the neighbour table under churn: two lane threads send
 * to a rotating set of next hops (single skbs and fragment chains) through
 * pp__neigh_output()/pp__neigh_poll() on the real clock, while the main
 * thread adds, deletes, updates, learns and ages entries for about 2 s, with
 * timers short enough that every state is visited many times. Checks: no
 * crash, every frame sent carries the address of its own next hop, every skb
 * a lane handed in came out or was dropped and counted (sum per lane), and
 * the pool is full again at the end. Run under TSan too (suite "threaded").
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/pool.h"
#include "core/stage.h"
#include "core/time.h"
#include "proto/neigh.h"

#define NLANES 2
#define NHOPS 16
#define BURST 8
#define RUN_NS (2 * PP_NSEC_PER_SEC)

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* Next hop i is 10.0.1.i; its MACs are 02:00:00:00:i:v (v: a version). */
static uint32_t hop_ip(unsigned int i)
{
	return htonl(0x0a000100u | i);
}

static void hop_mac(unsigned int i, unsigned int v, uint8_t mac[6])
{
	const uint8_t m[6] = {0x02, 0x00, 0x00, 0x00, (uint8_t)i, (uint8_t)v};

	memcpy(mac, m, 6);
}

struct lane {
	pthread_t th;
	int id;
	struct pp_stage st;
	struct pp_stage_stats stats;
	struct pp_neigh_lane *nl;
	struct pp_skb *out[PP_STAGE_OUT_CAP];
	/* written by the lane, read after join */
	uint64_t handed;	/* skbs given to pp__neigh_output() */
	uint64_t sent;		/* IPv4 frames that came out */
	uint64_t arps;		/* ARP requests that came out */
	uint64_t bad;		/* frames with a wrong header */
	uint64_t alloc_short;
};

static atomic_bool stop;

static void pin(int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu <= 1)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Check and free what the stage emitted. */
static void sink(struct lane *l, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = l->out[i];
		const struct pp_eth_hdr *eth = (const struct pp_eth_hdr *)pp_skb_data(skb);

		if (ntohs(eth->proto) == PP_ETH_P_ARP) {
			l->arps++;
		} else {
			uint32_t nh = skb->nexthop;
			unsigned int idx = ntohl(nh) & 0xff;

			for (struct pp_skb *f = skb; f; f = f->frag) {
				eth = (const struct pp_eth_hdr *)pp_skb_data(f);
				if (ntohs(eth->proto) != PP_ETH_P_IP || f->mac_off != f->data_off ||
				    memcmp(eth->src, our_mac, 6) || eth->dst[0] != 0x02 ||
				    eth->dst[4] != idx)
					l->bad++;
			}
			l->sent++;
		}
	}
	pp_skb_free_burst(l->st.cache, l->out, n);
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct pp_skb *pkts[BURST];
	unsigned int k = (unsigned int)l->id * 7;

	pin(l->id);
	rcu_register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t n;

		/* lane 0 polls every iteration, lane 1 only while it holds skbs
		 * (as src/core/lane.c does): both must work */
		if (l->id == 0 || !pp__neigh_lane_idle(l->nl))
			sink(l, pp__neigh_poll(&l->st, pp__now_ns(), l->out, PP_STAGE_OUT_CAP));
		n = pp_skb_alloc_burst(l->st.cache, pkts, BURST);
		if (n < BURST)
			l->alloc_short++;
		for (uint32_t i = 0; i < n; i++) {
			struct pp_skb *skb = pkts[i];
			unsigned int hop = k++ % NHOPS;

			pp_skb_put(skb, PP_IPV4_HLEN + 8);
			skb->net_off = skb->data_off;
			skb->nexthop = hop_ip(hop);
			if ((k & 15) == 0 && i + 1 < n) {
				/* a two-fragment datagram: uses the next skb as fragment */
				struct pp_skb *f = pkts[++i];

				pp_skb_put(f, PP_IPV4_HLEN + 8);
				f->net_off = f->data_off;
				f->nexthop = skb->nexthop;
				skb->frag = f;
				pkts[i] = NULL;
			}
		}
		/* squeeze out the fragments folded into chains */
		uint32_t m = 0;

		for (uint32_t i = 0; i < n; i++)
			if (pkts[i])
				pkts[m++] = pkts[i];
		l->handed += m;
		sink(l, pp__neigh_output(&l->st, pkts, (uint16_t)m, l->out));
		rcu_quiescent_state();
	}
	/* let what is resolvable drain; the rest is dropped at destroy */
	for (int i = 0; i < 100 && !pp__neigh_lane_idle(l->nl); i++) {
		sink(l, pp__neigh_poll(&l->st, pp__now_ns(), l->out, PP_STAGE_OUT_CAP));
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void test_churn(void **state)
{
	struct pp_pool *pool;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 4096,
		.nlanes = NLANES,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	struct pp_neigh_params p = {
		.unres_qlen = 16,
		.retrans_ns = 200 * 1000,
		.mcast_probes = 2,
		.reachable_ns = 2 * PP_NSEC_PER_MSEC,
		.failed_hold_ns = PP_NSEC_PER_MSEC,
		.ip = htonl(0x0a000001),
		.max_entries = 256,
	};
	struct pp_neigh_table *t;
	static struct lane lanes[NLANES];
	struct pp_pool_stats ps;
	uint64_t ops[5] = {0}, t_end, handed = 0, sent = 0, dropped = 0, arps = 0;
	unsigned int ver = 0;

	(void)state;
	memcpy(p.mac, our_mac, 6);
	rcu_register_thread();
	assert_int_equal(pp_pool_create(&o, &pool), 0);
	assert_int_equal(pp__neigh_table_create(&p, NLANES, &t), 0);
	for (int k = 0; k < NLANES; k++) {
		struct lane *l = &lanes[k];

		memset(l, 0, sizeof(*l));
		l->id = k;
		assert_int_equal(pp__neigh_lane_create(t, (uint16_t)k, &l->nl), 0);
		l->st = (struct pp_stage){.name = "neigh", .ctx = l->nl,
					  .cache = pp_pool_cache(pool, (unsigned int)k),
					  .stats = &l->stats, .lane = (uint16_t)k,
					  .out_cap = PP_STAGE_OUT_CAP};
	}
	atomic_store(&stop, false);
	for (int k = 0; k < NLANES; k++)
		assert_int_equal(pthread_create(&lanes[k].th, NULL, lane_main, &lanes[k]), 0);

	/* the control path: about half the hops resolvable at any time */
	t_end = pp__now_ns() + RUN_NS;
	while (pp__now_ns() < t_end) {
		unsigned int hop = rnd() % NHOPS, op = rnd() % 100;
		uint8_t mac[6];
		int err;

		hop_mac(hop, ++ver & 0xff, mac);
		if (op < 10) {
			err = pp__neigh_add_static(t, hop_ip(hop), mac);
			assert_true(err == 0 || err == -ENOBUFS);
			ops[0]++;
		} else if (op < 40) {
			err = pp__neigh_del(t, hop_ip(hop));
			assert_true(err == 0 || err == -ENOENT);
			ops[1]++;
		} else if (op < 70) {
			err = pp__neigh_update(t, hop_ip(hop), mac, pp__now_ns());
			assert_true(err == 0 || err == -ENOENT || err == -EPERM);
			ops[2]++;
		} else if (op < 90) {
			err = pp__neigh_event(t, hop_ip(hop), mac, pp__now_ns());
			assert_true(err == 0 || err == -ENOBUFS || err == -EPERM);
			ops[3]++;
		} else {
			assert_true(pp__neigh_tick(t, pp__now_ns()) >= 0);
			ops[4]++;
		}
		rcu_quiescent_state();
		if ((ops[0] + ops[1] + ops[2] + ops[3] + ops[4]) % 4 == 0)
			usleep(20);	/* leave the lanes some CPU on a 2-core box */
	}
	atomic_store(&stop, true);
	for (int k = 0; k < NLANES; k++)
		assert_int_equal(pthread_join(lanes[k].th, NULL), 0);

	for (int k = 0; k < NLANES; k++) {
		struct lane *l = &lanes[k];
		struct pp_neigh_lane_stats ls;

		assert_int_equal(pp__neigh_lane_stats(l->nl, &ls), 0);
		pp__neigh_lane_destroy(l->nl, &l->st);	/* the rest: SHUTDOWN drops */
		uint64_t d = pp_stage_stats_drops(&l->stats);

		print_message("lane %d: handed %llu sent %llu arp %llu dropped %llu "
			      "(failed %llu qfull %llu shutdown %llu) flushed %llu created %llu "
			      "create_fail %llu short allocs %llu\n",
			      k, (unsigned long long)l->handed, (unsigned long long)l->sent,
			      (unsigned long long)l->arps, (unsigned long long)d,
			      (unsigned long long)l->stats.drops[PP_DROP_NEIGH_FAILED],
			      (unsigned long long)l->stats.drops[PP_DROP_NEIGH_QUEUE_FULL],
			      (unsigned long long)l->stats.drops[PP_DROP_SHUTDOWN],
			      (unsigned long long)ls.flushed, (unsigned long long)ls.created,
			      (unsigned long long)ls.create_fail, (unsigned long long)l->alloc_short);
		assert_int_equal(l->bad, 0);
		assert_int_equal(l->stats.packets, l->handed);
		/* every skb handed in came out or was dropped and counted */
		assert_int_equal(l->handed, l->sent + d);
		assert_int_equal(ls.arp_requests, l->arps);
		handed += l->handed;
		sent += l->sent;
		dropped += d;
		arps += l->arps;
	}
	print_message("control: static %llu del %llu update %llu event %llu tick %llu\n",
		      (unsigned long long)ops[0], (unsigned long long)ops[1],
		      (unsigned long long)ops[2], (unsigned long long)ops[3],
		      (unsigned long long)ops[4]);
	/* the run did exercise both outcomes and the probes, and the sums
	 * over the lanes balance as each lane's did */
	assert_int_equal(handed, sent + dropped);
	assert_true(sent > 0);
	assert_true(dropped > 0);
	assert_true(arps > 0);
	assert_true(ops[1] > 100);

	pp__neigh_table_destroy(t);
	assert_int_equal(pp_pool_stats(pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	pp_pool_destroy(pool);
	rcu_unregister_thread();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
