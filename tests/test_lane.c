// SPDX-License-Identifier: MIT
/*
 * test_lane.c - the lane runtime (src/core/lane.c) carrying traffic while
 * the control path changes routes and neighbours under it (threaded suite;
 * CI also runs it under TSan).
 *
 * Each lane's thread, pinned by pp_lane_attach(), sends datagrams with the
 * zero-copy burst API to 16 destinations, half on-link, half behind a
 * gateway route; meanwhile the main thread adds and deletes routes (the
 * gateway route itself, more specific ones via a second gateway) and
 * neighbour entries (static adds, deletes, updates of what traffic left
 * INCOMPLETE) in a loop. The kernel's analogue is fib_table_insert()/
 * fib_table_delete() and neigh_update() racing ip_queue_xmit() on other CPUs.
 *
 * Afterwards the tables are left complete, every lane is flushed, and the
 * books must balance exactly: every datagram a lane handed over is either
 * counted by the NIC or dropped with a reason, i.e.
 *
 *     nic_tx_packets + sum of every stage's drops - ARP requests == sent
 *
 * (ARP requests the neighbour stage emits ride the same path: they are in
 * the NIC's count or in a drop counter, and are taken out again). Nothing is
 * left anywhere (nothing to drop at shutdown), and the pool is full.
 *
 * The counters are not the only witness: the NIC is a pcap file, read back
 * afterwards. Each datagram carries its lane and a per-lane sequence number;
 * every one on the wire must be one the lane sent, none twice, each flow's in
 * order, and the datagrams on the wire plus those dropped must make up
 * everything sent.
 *
 * Cases: run to completion on one lane; split placement (a worker thread
 * runs qsel, qdisc and driver); two lanes hashing flows over both TX queues
 * (each lane hands packets to the other's queue through an SPSC ring), in
 * both placements; completion threads reaping the NIC; and teardown with
 * traffic in flight (the lanes stop mid-stream, with packets in rings,
 * neighbour queues, qdiscs and the NIC, and the stack is torn down at once:
 * every frame comes back, what was left is dropped PP_DROP_SHUTDOWN).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "pp_test.h"

#include <pktpipe/skb.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "proto/stack_priv.h"


/* Each case sends at least this many datagrams (over all lanes) and for at
 * least this long, so the churn has time to hit the traffic in many states.
 * TSan runs the journey about 20x slower. */
#ifdef PP_TEST_TSAN
#define MIN_DATAGRAMS 20000u
#define MIN_SEND_NS 2000000000ull
#else
#define MIN_DATAGRAMS 120000u
#define MIN_SEND_NS 1000000000ull
#endif

#define NDEST 16
#define PAYLOAD 64

#define OUR_IP "198.18.0.1"
#define GWA_IP "198.18.0.250"
#define GWB_IP "198.18.0.251"

static const uint8_t gwa_mac[6] = {0x02, 0, 0, 0, 0, 0xfa};
static const uint8_t gwb_mac[6] = {0x02, 0, 0, 0, 0, 0xfb};

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static uint32_t ip4_host(uint32_t h)
{
	return htonl(h);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = {0, us * 1000};

	nanosleep(&ts, NULL);
}

struct shared {
	struct pp_stack *st;
	unsigned int nlanes;
	uint64_t per_lane;		/* at least this many per lane */
	uint64_t until_ns;		/* and until then */
	struct sockaddr_in dst[NDEST];
	uint32_t onlink[NDEST / 2];	/* on-link destinations (network order) */
	uint8_t onlink_mac[NDEST / 2][6];
	_Atomic unsigned int senders_done;
	_Atomic bool drain;		/* tables final: flush and leave */
	bool abrupt;			/* leave without flushing */
};

struct sender {
	struct shared *sh;
	unsigned int lane;
	pthread_t thr;
	uint64_t sent;			/* taken by pp_udp_send_burst */
	uint64_t short_counts;		/* bursts it took only part of */
	uint64_t no_frame;		/* pp_udp_alloc_burst gave nothing */
	uint64_t no_route;		/* bursts refused with -ENETUNREACH */
	const char *fail_what;		/* first unexpected result (cmocka asserts are */
	long fail_val;			/* not for other threads) */
};

static void sender_fail(struct sender *s, const char *what, long val)
{
	if (!s->fail_what) {
		s->fail_what = what;
		s->fail_val = val;
	}
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct shared *sh = s->sh;
	struct pp_skb *skbs[PP_BURST];
	/* An abrupt case sends from several sockets, so that what is in flight
	 * is bounded by the qdiscs, not by one socket's send buffer. */
	struct pp_sock *socks[16] = {NULL}, *sk = NULL;
	unsigned int nsocks = sh->abrupt ? 16 : 1;
	uint64_t it = 0;
	int r;

	r = pp_lane_attach(sh->st, s->lane); /* pins us to the lane's core */
	if (r) {
		sender_fail(s, "pp_lane_attach", r);
		atomic_fetch_add(&sh->senders_done, 1);
		return NULL;
	}
	for (unsigned int i = 0; i < nsocks; i++) {
		r = pp_socket(sh->st, PP_SOCK_DGRAM, s->lane, &socks[i]);
		if (r) {
			sender_fail(s, "pp_socket", r);
			goto out;
		}
	}
	while (s->sent < sh->per_lane || now_ns() < sh->until_ns) {
		unsigned int want = PP_BURST;

		sk = socks[it % nsocks];
		const struct sockaddr_in *d = &sh->dst[(it++ * 7 + s->lane) % NDEST];
		int n = pp_udp_alloc_burst(sk, skbs, want);

		if (n < 0 || n > (int)want) {
			sender_fail(s, "pp_udp_alloc_burst", n);
			break;
		}
		if (n == 0) {
			/* every frame is held or in flight: let the lane move */
			s->no_frame++;
			pp_lane_poll(sh->st, s->lane);
			sched_yield();
			continue;
		}
		for (int i = 0; i < n; i++) {
			uint8_t *p = pp_skb_put(skbs[i], PAYLOAD);
			uint64_t seq = s->sent + (uint64_t)i;

			if (!p) {
				sender_fail(s, "pp_skb_put", i);
				pp_sock_free_skbs(sk, skbs, (unsigned int)n);
				goto out;
			}
			memset(p, (int)s->lane, PAYLOAD);
			memcpy(p, &seq, sizeof(seq));
		}
		r = pp_udp_send_burst(sk, skbs, (unsigned int)n, (const struct sockaddr *)d,
				      sizeof(*d), 0);
		if (r == -ENETUNREACH) {
			/* the churn took the gateway route away: the send says
			 * so (cf. udp_sendmsg()) and nothing was taken */
			s->no_route++;
			pp_sock_free_skbs(sk, skbs, (unsigned int)n);
			pp_lane_poll(sh->st, s->lane);
			continue;
		}
		if (r < 0 || r > n) {
			sender_fail(s, "pp_udp_send_burst", r);
			pp_sock_free_skbs(sk, skbs, (unsigned int)n);
			break;
		}
		s->sent += (uint64_t)r;
		if (r < n) {
			/* the caller keeps skbs[r..n): give them back, unsent */
			s->short_counts++;
			pp_sock_free_skbs(sk, skbs + r, (unsigned int)(n - r));
			pp_lane_poll(sh->st, s->lane);
		}
	}
	if (sh->abrupt && !s->fail_what) {
		/* the last burst to an on-link host that never answers ARP: it
		 * waits on the neighbour's queue for seconds, so the teardown
		 * finds traffic in flight however fast the queues drained */
		struct sockaddr_in hold = {.sin_family = AF_INET, .sin_port = htons(5000),
					   .sin_addr.s_addr = ip4_host(0xc6120063u)}; /* .99 */
		struct pp_sock *hs = NULL;
		int n = 0;

		/* a socket of its own (the others' send buffers may be full),
		 * and frames however long the lane takes to free some */
		r = pp_socket(sh->st, PP_SOCK_DGRAM, s->lane, &hs);
		if (r) {
			sender_fail(s, "pp_socket (hold)", r);
			goto out;
		}
		sk = hs;
		for (int tries = 0; tries < 100000 && n == 0; tries++) {
			n = pp_udp_alloc_burst(sk, skbs, 8);
			if (n == 0)
				pp_lane_poll(sh->st, s->lane);
		}

		for (int i = 0; i < n; i++) {
			uint64_t seq = s->sent + (uint64_t)i;
			uint8_t *p = pp_skb_put(skbs[i], PAYLOAD);

			memset(p, (int)s->lane, PAYLOAD);
			memcpy(p, &seq, sizeof(seq));
		}
		/* the queues below may be full (that is the point of this
		 * case): a short count of 0 means "not now", so poll and retry */
		r = 0;
		for (int tries = 0; n > 0 && r == 0 && tries < 100000; tries++) {
			r = pp_udp_send_burst(sk, skbs, (unsigned int)n,
					      (const struct sockaddr *)&hold, sizeof(hold), 0);
			if (r == 0)
				pp_lane_poll(sh->st, s->lane);
		}
		if (r <= 0 || r > n) {
			sender_fail(s, "pp_udp_send_burst (hold)", r);
			r = 0;
		}
		s->sent += (uint64_t)r;
		if (n > r)
			pp_sock_free_skbs(sk, skbs + r, (unsigned int)(n - r));
		if ((r = pp_close(hs)))
			sender_fail(s, "pp_close (hold)", r);
	}
out:
	atomic_fetch_add(&sh->senders_done, 1);
	/* keep the lane moving until the main thread has made the tables final */
	while (!atomic_load(&sh->drain)) {
		pp_lane_poll(sh->st, s->lane);
		sleep_us(100);
	}
	/* cross-lane leftovers are the main thread's to flush afterwards */
	r = sh->abrupt ? 0 : pp_lane_flush(sh->st, s->lane, 2000);
	if (r && r != -ETIMEDOUT)
		sender_fail(s, "pp_lane_flush", r);
	for (unsigned int i = 0; i < nsocks; i++)
		if (socks[i] && (r = pp_close(socks[i])))
			sender_fail(s, "pp_close", r);
	pp_lane_detach(sh->st, s->lane);
	return NULL;
}

/* Results the control calls may give while traffic races them. */
static void churn_check(int r, int ok1, int ok2, unsigned long *bad, const char *what)
{
	if (r != 0 && r != ok1 && r != ok2) {
		if (!*bad)
			print_message("churn: %s returned %d\n", what, r);
		(*bad)++;
	}
}

/* One step of the control path's churn; @i picks which. */
static void churn_step(struct shared *sh, unsigned long i, unsigned long *bad)
{
	struct pp_stack *st = sh->st;
	unsigned int j = (unsigned int)(i / 8) % (NDEST / 2);
	uint32_t sub = ip4_host(0x0a000000u | j << 8); /* 10.0.j.0/24 */

	switch (i % 8) {
	case 0: /* a more specific route via the other gateway, and back */
		churn_check(pp_route_add(st, sub, 24, ip4(GWB_IP)), -EEXIST, 0, bad, "route_add /24");
		break;
	case 1:
		churn_check(pp_route_del(st, sub, 24), -ENOENT, 0, bad, "route_del /24");
		break;
	case 2: /* an on-link neighbour goes; traffic finds it cold */
		churn_check(pp_neigh_del(st, sh->onlink[j]), -ENOENT, 0, bad, "neigh_del");
		break;
	case 3: /* an ARP reply for what traffic left INCOMPLETE */
		churn_check(pp_neigh_update(st, sh->onlink[j], sh->onlink_mac[j]), -ENOENT, -EPERM,
			    bad, "neigh_update");
		break;
	case 4:
		churn_check(pp_neigh_add(st, sh->onlink[j], sh->onlink_mac[j]), 0, 0, bad,
			    "neigh_add");
		break;
	case 5: /* the gateway route itself: gone (no_route), then back */
		if ((i / 8) % 4 == 0)
			churn_check(pp_route_del(st, ip4("10.0.0.0"), 16), -ENOENT, 0, bad,
				    "route_del /16");
		break;
	case 6:
		churn_check(pp_route_add(st, ip4("10.0.0.0"), 16, ip4(GWA_IP)), -EEXIST, 0, bad,
			    "route_add /16");
		if ((i / 8) % 16 == 3)
			churn_check(pp_neigh_del(st, ip4(GWB_IP)), -ENOENT, 0, bad, "neigh_del gw");
		break;
	case 7:
		if ((i / 8) % 16 == 5)
			churn_check(pp_neigh_add(st, ip4(GWB_IP), gwb_mac), 0, 0, bad, "neigh_add gw");
		break;
	}
}

struct lane_case {
	uint8_t placement;
	uint16_t nlanes;
	bool hash;		/* clear XPS: flows hash over every TX queue */
	uint32_t flags;		/* extra PP_STACK_F_* */
	bool abrupt;		/* tear down with traffic in flight */
	const char *nic_extra;	/* appended to the pcap NIC's spec */
};

/*
 * What the NIC wrote, read back from its pcap file: each UDP datagram's lane
 * and sequence number (payload bytes 0..7 and 8), each flow (lane,
 * destination port) in order, none twice, none a lane did not send.
 */
struct readback {
	uint64_t udp, arp, dup, foreign;
	uint64_t reordered;	/* on-link flows: their next hop never changes */
	uint64_t rerouted;	/* behind the gateway: a route change may overtake */
};

static void read_back(const char *path, const struct sender *snd, unsigned int nlanes,
		      struct readback *rb)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const uint8_t *b;
	uint8_t *seen[2] = {NULL, NULL};
	int64_t last[2][NDEST];

	assert_non_null(pc);
	memset(rb, 0, sizeof(*rb));
	memset(last, 0xff, sizeof(last)); /* -1: nothing yet */
	for (unsigned int k = 0; k < nlanes; k++)
		assert_non_null(seen[k] = calloc(snd[k].sent / 8 + 1, 1));
	while (pcap_next_ex(pc, &h, &b) == 1) {
		uint16_t et = (uint16_t)(b[12] << 8 | b[13]);

		if (et == 0x0806) {
			rb->arp++;
			continue;
		}
		assert_int_equal(et, 0x0800);
		assert_int_equal(b[14 + 9], 17);
		const uint8_t *u = b + 14 + (b[14] & 0x0f) * 4;
		unsigned int port = (unsigned int)(u[2] << 8 | u[3]) - 5000, lane = u[8 + 8];
		uint64_t seq;

		memcpy(&seq, u + 8, sizeof(seq));
		rb->udp++;
		if (lane >= nlanes || port >= NDEST || seq >= snd[lane].sent) {
			rb->foreign++;
			continue;
		}
		if (seen[lane][seq / 8] & (1u << (seq % 8)))
			rb->dup++;
		seen[lane][seq / 8] |= (uint8_t)(1u << (seq % 8));
		if ((int64_t)seq <= last[lane][port]) {
			if (port < NDEST / 2)
				rb->reordered++;
			else
				rb->rerouted++;
		}
		last[lane][port] = (int64_t)seq;
	}
	pcap_close(pc);
	free(seen[0]);
	free(seen[1]);
}

static void abrupt_teardown(const struct lane_case *c, struct shared *sh, struct sender *snd,
			    struct pp_stack_stats *ss, const char *pcap_path, uint64_t t_send,
			    unsigned long bad);

static void run_case(const struct lane_case *c)
{
	struct shared sh;
	struct sender snd[2];
	struct pp_stack_opts o;
	struct pp_stack_stats *ss = aligned_alloc(PP_CACHE_LINE, sizeof(*ss));
	cpu_set_t saved;
	unsigned long steps = 0, bad = 0;
	uint64_t sent = 0, arp = 0, drops = 0, t0, t_send;
	bool settled = false;

	assert_non_null(ss);
	assert_true(c->nlanes <= 2);
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	memset(&sh, 0, sizeof(sh));
	memset(snd, 0, sizeof(snd));
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	const char *tmp = getenv("TMPDIR");
	char pcap_path[160], spec[200];
	int fd;

	snprintf(pcap_path, sizeof(pcap_path), "%s/pp_lane_XXXXXX",
		 tmp && *tmp && strlen(tmp) < 100 ? tmp : "/tmp");
	fd = mkstemp(pcap_path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(spec, sizeof(spec), "pcap:%s%s", pcap_path, c->nic_extra ? c->nic_extra : "");
	o.nic = spec;
	o.ip = ip4(OUR_IP);
	o.prefix = 24;
	o.nlanes = c->nlanes;
	o.placement = c->placement;
	o.flags = c->flags; /* pinned: lane threads go to their cores */
	assert_int_equal(pp_stack_create(&o, &sh.st), 0);
	sh.nlanes = c->nlanes;
	sh.per_lane = MIN_DATAGRAMS / c->nlanes;
	sh.abrupt = c->abrupt;

	/* 8 on-link destinations (static neighbours), 8 behind 10.0.0.0/16 */
	for (unsigned int j = 0; j < NDEST / 2; j++) {
		sh.onlink[j] = ip4_host(0xc6120000u | (10 + j)); /* 198.18.0.10+j */
		memcpy(sh.onlink_mac[j], (uint8_t[6]){0x02, 0, 0, 0, 1, (uint8_t)j}, 6);
		assert_int_equal(pp_neigh_add(sh.st, sh.onlink[j], sh.onlink_mac[j]), 0);
	}
	for (unsigned int d = 0; d < NDEST; d++) {
		sh.dst[d].sin_family = AF_INET;
		sh.dst[d].sin_port = htons((uint16_t)(5000 + d));
		sh.dst[d].sin_addr.s_addr = d < NDEST / 2 ? sh.onlink[d]
							 : ip4_host(0x0a000001u | (d - NDEST / 2) << 8);
	}
	assert_int_equal(pp_route_add(sh.st, ip4("10.0.0.0"), 16, ip4(GWA_IP)), 0);
	assert_int_equal(pp_neigh_add(sh.st, ip4(GWA_IP), gwa_mac), 0);
	assert_int_equal(pp_neigh_add(sh.st, ip4(GWB_IP), gwb_mac), 0);
	if (c->hash)
		for (unsigned int k = 0; k < c->nlanes; k++)
			assert_int_equal(pp_xps_set(sh.st, k, -1), 0);

	t0 = now_ns();
	sh.until_ns = t0 + MIN_SEND_NS;
	for (unsigned int k = 0; k < c->nlanes; k++) {
		snd[k].sh = &sh;
		snd[k].lane = k;
		assert_int_equal(pthread_create(&snd[k].thr, NULL, sender_main, &snd[k]), 0);
	}
	/* churn for as long as the lanes send */
	while (atomic_load(&sh.senders_done) < c->nlanes) {
		churn_step(&sh, steps++, &bad);
		if (steps % 4 == 0)
			sleep_us(20);
	}
	t_send = now_ns() - t0;
	if (c->abrupt) {
		abrupt_teardown(c, &sh, snd, ss, pcap_path, t_send, bad);
		free(ss);
		assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
		return;
	}
	/* tables final: every destination reachable, every neighbour known */
	churn_check(pp_route_add(sh.st, ip4("10.0.0.0"), 16, ip4(GWA_IP)), -EEXIST, 0, &bad,
		    "final route_add");
	for (unsigned int j = 0; j < NDEST / 2; j++) {
		churn_check(pp_route_del(sh.st, ip4_host(0x0a000000u | j << 8), 24), -ENOENT, 0,
			    &bad, "final route_del");
		assert_int_equal(pp_neigh_add(sh.st, sh.onlink[j], sh.onlink_mac[j]), 0);
	}
	assert_int_equal(pp_neigh_add(sh.st, ip4(GWA_IP), gwa_mac), 0);
	assert_int_equal(pp_neigh_add(sh.st, ip4(GWB_IP), gwb_mac), 0);
	atomic_store(&sh.drain, true);
	for (unsigned int k = 0; k < c->nlanes; k++) {
		assert_int_equal(pthread_join(snd[k].thr, NULL), 0);
		if (snd[k].fail_what)
			fail_msg("lane %u: %s returned %ld", k, snd[k].fail_what, snd[k].fail_val);
		assert_true(snd[k].sent >= sh.per_lane);
		sent += snd[k].sent;
	}
	assert_int_equal(bad, 0);

	/* the lanes' threads are gone: this thread flushes every lane until all
	 * are idle in the same pass (a lane may feed another's TX queue) */
	for (unsigned int k = 0; k < c->nlanes; k++)
		assert_int_equal(pp_lane_attach(sh.st, k), 0);
	for (uint64_t dl = now_ns() + 5000000000ull; now_ns() < dl && !settled;) {
		settled = true;
		for (unsigned int k = 0; k < c->nlanes; k++) {
			if (pp_lane_flush(sh.st, k, 50) != 0 ||
			    !pp__neigh_lane_idle(sh.st->lanes[k].nl))
				settled = false;
		}
	}
	assert_true(settled);

	assert_int_equal(pp__stack_stats_snapshot(sh.st, ss), 0);
	for (unsigned int k = 0; k < c->nlanes; k++) {
		struct pp_neigh_lane_stats ns;

		assert_int_equal(pp__neigh_lane_stats(sh.st->lanes[k].nl, &ns), 0);
		arp += ns.arp_requests;
	}
	for (unsigned int s = 0; s < PP_STAGE_MAX; s++)
		drops += pp_stage_stats_drops(&ss->stage[s]);
	print_message("%s, %u lane(s)%s%s: %lu sent in %.2f s over %lu control steps; "
		      "tx %lu, arp %lu, drops %lu (no_route %lu, neigh_failed %lu, "
		      "neigh_queue_full %lu, qdisc_full %lu, ring_full %lu in neigh + %lu in qsel); "
		      "short bursts %lu\n",
		      c->placement == PP_PLACE_SPLIT ? "split" : "rtc", c->nlanes,
		      c->hash ? ", hashed" : "",
		      (c->flags & PP_STACK_F_COMPLETION_THREADS) ? ", completion threads" : "",
		      (unsigned long)sent, (double)t_send / 1e9, steps,
		      (unsigned long)ss->nic_tx_packets, (unsigned long)arp, (unsigned long)drops,
		      (unsigned long)ss->stage[PP_STAGE_IP].drops[PP_DROP_NO_ROUTE],
		      (unsigned long)ss->stage[PP_STAGE_NEIGH].drops[PP_DROP_NEIGH_FAILED],
		      (unsigned long)ss->stage[PP_STAGE_NEIGH].drops[PP_DROP_NEIGH_QUEUE_FULL],
		      (unsigned long)ss->stage[PP_STAGE_QDISC].drops[PP_DROP_QDISC_FULL],
		      (unsigned long)ss->stage[PP_STAGE_NEIGH].drops[PP_DROP_RING_FULL],
		      (unsigned long)ss->stage[PP_STAGE_QSEL].drops[PP_DROP_RING_FULL],
		      (unsigned long)(snd[0].short_counts + snd[1].short_counts));
	/* the books balance, exactly */
	assert_int_equal(ss->stage[PP_STAGE_UDP].packets, sent);
	assert_int_equal(ss->nic_tx_packets + drops - arp, sent);
	uint64_t tx_total = ss->nic_tx_packets, drops_all = drops;

	assert_int_equal(ss->qdisc_backlog, 0);
	assert_int_equal(ss->pool_bad_free, 0);
	assert_int_equal(ss->pool_in_use, 0);
	/* most of it went out, and the churn did reach the traffic: cold
	 * neighbours (ARP requests) or a missing route (no_route drops) */
	assert_true(ss->nic_tx_packets > sent / 4);
	assert_true(arp + ss->stage[PP_STAGE_IP].drops[PP_DROP_NO_ROUTE] + snd[0].no_route +
			    snd[1].no_route > 0);

	for (unsigned int k = 0; k < c->nlanes; k++)
		assert_int_equal(pp_lane_detach(sh.st, k), 0);
	pp__stack_teardown(sh.st);
	drops = 0;
	assert_int_equal(pp__stack_stats_snapshot(sh.st, ss), 0);
	for (unsigned int s = 0; s < PP_STAGE_MAX; s++)
		drops += ss->stage[s].drops[PP_DROP_SHUTDOWN];
	assert_int_equal(drops, 0); /* nothing was left behind to drop */
	assert_int_equal(ss->pool_in_use, 0);
	assert_int_equal(ss->pool_allocs, ss->pool_frees);
	pp_stack_destroy(sh.st);
	/* the wire's witness agrees with the counters */
	struct readback rb;

	read_back(pcap_path, snd, c->nlanes, &rb);
	unlink(pcap_path);
	print_message("read back: %lu datagrams, %lu ARP; %lu twice, %lu foreign, %lu out of "
		      "order on link, %lu overtaken after a route change\n", (unsigned long)rb.udp,
		      (unsigned long)rb.arp, (unsigned long)rb.dup, (unsigned long)rb.foreign,
		      (unsigned long)rb.reordered, (unsigned long)rb.rerouted);
	assert_int_equal(rb.dup + rb.foreign + rb.reordered, 0);
	assert_int_equal(rb.udp + rb.arp, tx_total);
	assert_int_equal(rb.udp + (drops_all - (arp - rb.arp)), sent);
	free(ss);
	/* pp_lane_attach pinned this thread: give it its CPUs back */
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

/*
 * Teardown with traffic in flight: the lanes' threads leave mid-stream (no
 * flush; routes and neighbours as the churn left them, so packets wait in
 * neighbour queues, rings, qdiscs and the NIC) and the stack is torn down at
 * once. Every frame comes home (allocated == freed), what was left is dropped
 * PP_DROP_SHUTDOWN and counted, and the wire plus the drops make up all that
 * was sent.
 */
static void abrupt_teardown(const struct lane_case *c, struct shared *sh, struct sender *snd,
			    struct pp_stack_stats *ss, const char *pcap_path, uint64_t t_send,
			    unsigned long bad)
{
	uint64_t sent = 0, arp = 0, drops = 0, shut = 0;
	struct readback rb;

	atomic_store(&sh->drain, true);
	for (unsigned int k = 0; k < c->nlanes; k++) {
		assert_int_equal(pthread_join(snd[k].thr, NULL), 0);
		if (snd[k].fail_what)
			fail_msg("lane %u: %s returned %ld", k, snd[k].fail_what, snd[k].fail_val);
		sent += snd[k].sent;
	}
	assert_int_equal(bad, 0);
	for (unsigned int k = 0; k < c->nlanes; k++) {
		struct pp_neigh_lane_stats ns;

		assert_int_equal(pp__neigh_lane_stats(sh->st->lanes[k].nl, &ns), 0);
		arp += ns.arp_requests;
	}
	assert_int_equal(pp__stack_stats_snapshot(sh->st, ss), 0);
	uint64_t held = ss->pool_in_use;

	pp__stack_teardown(sh->st);
	assert_int_equal(pp__stack_stats_snapshot(sh->st, ss), 0);
	for (unsigned int s = 0; s < PP_STAGE_MAX; s++) {
		drops += pp_stage_stats_drops(&ss->stage[s]);
		shut += ss->stage[s].drops[PP_DROP_SHUTDOWN];
	}
	assert_int_equal(ss->pool_bad_free, 0);
	assert_int_equal(ss->pool_in_use, 0);
	assert_int_equal(ss->pool_allocs, ss->pool_frees);
	pp_stack_destroy(sh->st);
	/* the NIC is closed (its counters with it): the file is the witness */
	read_back(pcap_path, snd, c->nlanes, &rb);
	unlink(pcap_path);
	print_message("abrupt, %u lane(s): %lu sent in %.2f s, %lu frames in flight at teardown; "
		      "on the wire %lu (+%lu ARP), drops %lu of which shutdown %lu\n", c->nlanes,
		      (unsigned long)sent, (double)t_send / 1e9, (unsigned long)held,
		      (unsigned long)rb.udp, (unsigned long)rb.arp, (unsigned long)drops,
		      (unsigned long)shut);
	assert_int_equal(rb.dup + rb.foreign + rb.reordered, 0);
	assert_int_equal(rb.udp + (drops - (arp - rb.arp)), sent);
	assert_true(held > 0); /* it did stop with traffic in flight */
}

static void test_churn_rtc(void **state)
{
	static const struct lane_case c = {.placement = PP_PLACE_RTC, .nlanes = 1};

	(void)state;
	run_case(&c);
}

static void test_churn_split(void **state)
{
	static const struct lane_case c = {.placement = PP_PLACE_SPLIT, .nlanes = 1};

	(void)state;
	run_case(&c);
}

static void test_churn_rtc_two_lanes(void **state)
{
	static const struct lane_case c = {.placement = PP_PLACE_RTC, .nlanes = 2, .hash = true};

	(void)state;
	run_case(&c);
}

static void test_churn_split_two_lanes(void **state)
{
	static const struct lane_case c = {.placement = PP_PLACE_SPLIT, .nlanes = 2, .hash = true};

	(void)state;
	run_case(&c);
}

static void test_churn_completion_threads(void **state)
{
	static const struct lane_case c = {
		.placement = PP_PLACE_RTC, .nlanes = 1, .flags = PP_STACK_F_COMPLETION_THREADS};

	(void)state;
	run_case(&c);
}

static void test_teardown_in_flight(void **state)
{
	/* a driver that takes one frame per call, so that the qdiscs back up */
	static const struct lane_case c = {.placement = PP_PLACE_SPLIT, .nlanes = 2, .hash = true,
					   .flags = PP_STACK_F_COMPLETION_THREADS,
					   .abrupt = true, .nic_extra = ",pace=1,txring=64"};

	(void)state;
	run_case(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn_rtc),
		cmocka_unit_test(test_churn_split),
		cmocka_unit_test(test_churn_rtc_two_lanes),
		cmocka_unit_test(test_churn_split_two_lanes),
		cmocka_unit_test(test_churn_completion_threads),
		cmocka_unit_test(test_teardown_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
