// SPDX-License-Identifier: MIT
/*
 * test_stack.c - what the stack does below the socket, seen through the
 * public API: pfifo_fast's priority order when the driver is slow (cf.
 * pfifo_fast_dequeue(): band 0 before 1 before 2, FIFO inside a band),
 * queue selection by XPS map or flow hash (cf. netdev_pick_tx(),
 * get_xps_queue(), skb_tx_hash()), and a connected socket's cached route
 * being revalidated when the routing table changes (cf. sk_dst_check()).
 *
 * The priority order is judged by tshark from the pcap NIC's file (skipped,
 * with a message, when tshark is absent); queue counts come from the TX
 * queues' own counters (pp__txq_stats), since the pcap NIC writes every
 * queue to one file; next-hop MACs are read back with libpcap.
 *
 * Every test ends with the stack torn down and the pool full again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <limits.h>
#include <sys/uio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "proto/stack_priv.h"

#define STACK_FX_FRAME_ROOM PP_FRAME_2K
#include "stack_fixture.h"

#define GW1_IP "198.18.0.254"
#define GW2_IP "198.18.0.253"

static const uint8_t gw1_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
static const uint8_t gw2_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfd};

/* ---- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
	return stack_fx_setup(state, "pp_stack");
}

static void put_seq(uint8_t *p, size_t len, uint32_t seq)
{
	uint32_t be = htonl(seq);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq + i);
	memcpy(p, &be, 4);
}

static uint32_t frame_seq(const struct frame *f)
{
	const uint8_t *p = f->b + PP_ETH_HLEN + PP_IPV4_HLEN + PP_UDP_HLEN;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Per TX queue frames handed to the NIC (sent = bypassed + dequeued). */
static void queue_sent(struct fx *fx, uint64_t *sent)
{
	for (uint16_t q = 0; q < fx->st->ntxq; q++) {
		struct pp_txq_stats ts;

		pp__txq_stats(fx->st->dev.txqs[q].txq, &ts);
		sent[q] = ts.sent;
	}
}

/* ---- pfifo_fast order ----------------------------------------------------- */

/*
 * Three sockets whose TOS gives the three pfifo_fast bands (cf.
 * rt_tos2priority() and prio2band[]): 0x10 (IPTOS_LOWDELAY ->
 * TC_PRIO_INTERACTIVE -> band 0), 0 (best effort -> band 1), 0x08
 * (IPTOS_THROUGHPUT -> TC_PRIO_BULK -> band 2). They send interleaved,
 * batched with PP_MSG_MORE so each burst of 32 reaches the qdisc at once,
 * while the driver takes one frame per call into a 4-frame ring. Once the
 * first frames have bypassed the empty qdisc, every band-0 datagram must
 * leave before every band-1 one, and those before every band-2 one, each
 * band in the order it was sent. tshark reads the TOS and the payload's
 * sequence number from the file.
 */
static void test_pfifo_fast_order(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	static const uint8_t tos[3] = {0x10, 0x00, 0x08};
	const uint32_t per = 100, total = 3 * per;
	struct pp_sock *sk[3];
	uint32_t last_seq[3] = {0}, seen[3] = {0};
	uint64_t bypassed;
	uint8_t buf[64];
	char line[512], cmd[768];
	unsigned int n = 0, band = 0, inversions = 0, prev_seq = 0;
	FILE *f;

	/* the mapping the test relies on (cf. ip_tos2prio[], prio2band[]) */
	for (unsigned int b = 0; b < 3; b++)
		assert_int_equal(pp__txq_band(pp__tos_to_prio(tos[b])), b);
	if (!have_tshark()) {
		PP_SKIP("tshark not installed: skipping the pfifo_fast order check");
	}
	o.nic = pcap_spec(fx, ",pace=1,txring=4");
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	for (unsigned int b = 0; b < 3; b++) {
		sk[b] = sock_new(fx, 0);
		assert_int_equal(pp_sock_set_tos(sk[b], tos[b]), 0);
	}
	assert_int_equal(pp_sock_set_tos(NULL, 0), -EINVAL);
	for (uint32_t i = 0; i < total; i++) {
		put_seq(buf, sizeof(buf), i);
		assert_int_equal(pp_sendto(sk[i % 3], buf, sizeof(buf), PP_MSG_MORE, SA(&dst),
					   sizeof(dst)),
				 sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 2000), 0);
	bypassed = stats(fx)->qdisc_bypass;
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, total);
	print_message("%lu of %u bypassed the qdisc\n", (unsigned long)bypassed, total);
	/* the driver was slow: only the first frames found the qdisc empty */
	assert_true(bypassed > 0 && bypassed <= 8);
	stack_finish(fx);

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-Y udp -T fields -E separator=/s -e ip.dsfield -e udp.checksum.status "
		 "-e udp.payload 2>/dev/null",
		 fx->pcap);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int ds, cs, seq, b;
		char hex[9] = {0};
		char *p = strrchr(line, ' ');
		size_t k = 0;

		assert_int_equal(sscanf(line, "0x%x %u", &ds, &cs), 2);
		assert_non_null(p);
		for (p++; *p && k < 8; p++)
			if (*p != ':')
				hex[k++] = *p;
		assert_int_equal(sscanf(hex, "%8x", &seq), 1);
		assert_int_equal(cs, 1); /* good UDP checksum */
		for (b = 0; b < 3 && tos[b] != ds; b++)
			;
		assert_true(b < 3);
		assert_int_equal(seq % 3, b); /* the TOS of the socket that sent it */
		if (n > 0 && seq < prev_seq)
			inversions++;
		if (n >= bypassed) {
			/* bands never go back up; FIFO inside a band */
			assert_true(b >= band);
			band = b;
		}
		assert_true(seen[b] == 0 || seq > last_seq[b]);
		last_seq[b] = seq;
		seen[b]++;
		prev_seq = seq;
		n++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(n, total);
	for (unsigned int b = 0; b < 3; b++)
		assert_int_equal(seen[b], per);
	/* the order is not the send order: the test saw the qdisc at work */
	assert_true(inversions > 0);
	assert_int_equal(band, 2);
}

/* ---- queue selection ------------------------------------------------------ */

/*
 * ntxq = 4, one lane. With the default XPS map the lane sends everything on
 * its own queue 0; with the map cleared (pp_xps_set(st, 0, -1)) 1024 flows
 * spread over all four queues, each flow staying on one queue; an explicit
 * entry sends everything to that queue.
 */
static void test_xps_vs_hash(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	uint64_t before[4], after[4];
	uint8_t buf[32] = {0};
	struct pp_sock *sk;
	unsigned int busy = 0;

	o.ntxq = 4;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_xps_set(fx->st, 0, 4), -EINVAL);
	assert_int_equal(pp_xps_set(fx->st, 0, -2), -EINVAL);
	assert_int_equal(pp_xps_set(fx->st, 1, 0), -EINVAL);
	assert_int_equal(pp_xps_set(NULL, 0, 0), -EINVAL);
	sk = sock_new(fx, 0);

	/* default map: lane 0 -> queue 0 */
	for (unsigned int i = 0; i < 1024; i++) {
		struct sockaddr_in d = sin_of(PEER_IP, (uint16_t)(10000 + i));

		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_MORE, SA(&d), sizeof(d)),
				 sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	queue_sent(fx, before);
	assert_int_equal(before[0], 1024);
	assert_int_equal(before[1] + before[2] + before[3], 0);

	/* hashed: 1024 flows over 4 queues, 256 expected each (sd ~14) */
	assert_int_equal(pp_xps_set(fx->st, 0, -1), 0);
	for (unsigned int i = 0; i < 1024; i++) {
		struct sockaddr_in d = sin_of(PEER_IP, (uint16_t)(10000 + i));

		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_MORE, SA(&d), sizeof(d)),
				 sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	queue_sent(fx, after);
	for (unsigned int q = 0; q < 4; q++) {
		uint64_t d = after[q] - before[q];

		print_message("queue %u: %lu of 1024 flows\n", q, (unsigned long)d);
		assert_in_range(d, 180, 332);
	}
	assert_int_equal(after[0] + after[1] + after[2] + after[3] - 1024, 1024);

	/* one flow, 64 datagrams: one queue gets all of them */
	memcpy(before, after, sizeof(before));
	for (unsigned int i = 0; i < 64; i++) {
		struct sockaddr_in d = sin_of(PEER_IP, 4242);

		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_MORE, SA(&d), sizeof(d)),
				 sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	queue_sent(fx, after);
	for (unsigned int q = 0; q < 4; q++) {
		uint64_t d = after[q] - before[q];

		assert_true(d == 0 || d == 64);
		busy += d == 64;
	}
	assert_int_equal(busy, 1);

	/* an explicit entry */
	assert_int_equal(pp_xps_set(fx->st, 0, 2), 0);
	memcpy(before, after, sizeof(before));
	for (unsigned int i = 0; i < 100; i++) {
		struct sockaddr_in d = sin_of(PEER_IP, (uint16_t)(20000 + i));

		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&d), sizeof(d)), sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	queue_sent(fx, after);
	assert_int_equal(after[2] - before[2], 100);
	assert_int_equal(after[0] + after[1] + after[3], before[0] + before[1] + before[3]);
	assert_int_equal(drops_total(stats(fx)), 0);
	assert_int_equal(fx->ss->nic_tx_packets, 1024 + 1024 + 64 + 100);
}

/*
 * Regression (cross-lane ring full dropped datagrams): with two lanes hashing
 * flows over both TX queues, lane 0 reaches queue 1 through its (lane 0,
 * queue 1) ring, which only lane 1 drains. While lane 1 does not run, that
 * ring fills: the sender must be pushed back (short counts from
 * pp_udp_send_burst, -EAGAIN from a non-blocking send) instead of the qsel
 * stage dropping with ring_full, as the socket layer already does for a full
 * qdisc. Before pp__sock_tx_room() counted that ring's room, a 1 s
 * two-lane run of test_lane lost about 30% of its datagrams this way.
 * One thread runs both lanes here, so every step is deterministic.
 */
static void test_cross_lane_backpressure(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	struct pp_skb *skbs[PP_BURST];
	uint64_t taken = 0, q[2];
	uint8_t buf[32] = {0};
	unsigned int zero_rounds = 0, again = 0;
	struct pp_sock *sk;

	o.nlanes = 2;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_xps_set(fx->st, 0, -1), 0);
	sk = sock_new(fx, 0);
	for (unsigned int round = 0; round < 200; round++) {
		int n = pp_udp_alloc_burst(sk, skbs, PP_BURST), r;

		assert_true(n > 0);
		for (int i = 0; i < n; i++)
			assert_non_null(pp_skb_put(skbs[i], 32));
		/* a new flow per round: about half of them hash to queue 1 */
		d.sin_port = htons((uint16_t)(5000 + round));
		r = pp_udp_send_burst(sk, skbs, (unsigned int)n, SA(&d), sizeof(d), 0);
		assert_true(r >= 0 && r <= n);
		taken += (uint64_t)r;
		zero_rounds += r == 0;
		assert_int_equal(pp_sock_free_skbs(sk, skbs + r, (unsigned int)(n - r)), 0);
	}
	for (unsigned int i = 0; i < 64; i++) {
		d.sin_port = htons((uint16_t)(6000 + i));
		if (pp_sendto(sk, buf, sizeof(buf), PP_MSG_DONTWAIT, SA(&d), sizeof(d)) == -EAGAIN)
			again++;
		else
			taken++;
	}
	print_message("%lu of %u taken, %u bursts refused, %u -EAGAIN\n", (unsigned long)taken,
		      200 * PP_BURST + 64, zero_rounds, again);
	stats(fx);
	assert_int_equal(fx->ss->stage[PP_STAGE_QSEL].drops[PP_DROP_RING_FULL], 0);
	assert_true(zero_rounds > 0 && again > 0); /* pushed back, not dropped */
	/* lane 1 runs: the ring drains into queue 1 and the sender may go on */
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	d.sin_port = htons(7000);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_DONTWAIT, SA(&d), sizeof(d)),
			 sizeof(buf));
	taken++;
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	queue_sent(fx, q);
	assert_true(q[0] > 0 && q[1] > 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, taken);
	assert_int_equal(q[0] + q[1], taken);
}

/* ---- route changes under a connected socket ------------------------------- */

struct hop_check {
	uint32_t seq;
	const uint8_t *mac;
	const char *daddr;
};

/*
 * A connected socket caches its route (cf. sk_dst_cache); a change of the
 * table must be seen by its next datagram (cf. sk_dst_check() comparing the
 * route generation). Off-link: a default route via GW1, then a more specific
 * route via GW2 (datagrams go to GW2's MAC), then that route deleted (back
 * to GW1). On-link: the peer, then a host route via GW2 for it.
 */
static void test_route_change_connected(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in far = sin_of("10.9.0.5", 7000), near = sin_of(PEER_IP, 7000);
	struct hop_check want[32];
	struct pp_sock *a, *b;
	struct frame *fr;
	uint8_t buf[48];
	unsigned int nw = 0, nfr;
	uint32_t seq = 0;

	o.nic = pcap_spec(fx, "");
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_neigh_add(fx->st, ip4(GW1_IP), gw1_mac), 0);
	assert_int_equal(pp_neigh_add(fx->st, ip4(GW2_IP), gw2_mac), 0);
	assert_int_equal(pp_route_add(fx->st, 0, 0, ip4(GW1_IP)), 0);
	a = sock_new(fx, 0);
	b = sock_new(fx, 0);
	assert_int_equal(pp_connect(a, SA(&far), sizeof(far)), 0);
	assert_int_equal(pp_connect(b, SA(&near), sizeof(near)), 0);

#define SEND(sk, mac_, daddr_)                                                        \
	do {                                                                          \
		put_seq(buf, sizeof(buf), seq);                                       \
		assert_int_equal(pp_send(sk, buf, sizeof(buf), 0), sizeof(buf));     \
		want[nw++] = (struct hop_check){seq, mac_, daddr_};                   \
		seq++;                                                                \
	} while (0)

	for (int i = 0; i < 3; i++) {
		SEND(a, gw1_mac, "10.9.0.5");
		SEND(b, peer_mac, PEER_IP);
	}
	assert_int_equal(pp_route_add(fx->st, ip4("10.9.0.0"), 16, ip4(GW2_IP)), 0);
	assert_int_equal(pp_route_add(fx->st, ip4(PEER_IP), 32, ip4(GW2_IP)), 0);
	for (int i = 0; i < 3; i++) {
		SEND(a, gw2_mac, "10.9.0.5");
		SEND(b, gw2_mac, PEER_IP);
	}
	assert_int_equal(pp_route_del(fx->st, ip4("10.9.0.0"), 16), 0);
	for (int i = 0; i < 3; i++) {
		SEND(a, gw1_mac, "10.9.0.5");
		SEND(b, gw2_mac, PEER_IP);
	}
	assert_int_equal(pp_route_del(fx->st, ip4(PEER_IP), 32), 0);
	assert_int_equal(pp_route_del(fx->st, 0, 0), 0);
	SEND(b, peer_mac, PEER_IP);
	/* no route left for a: the send says so (cf. udp_sendmsg()), nothing
	 * is queued or dropped */
	put_seq(buf, sizeof(buf), 999);
	assert_int_equal(pp_send(a, buf, sizeof(buf), 0), -ENETUNREACH);
#undef SEND
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, nw);
	stack_finish(fx);

	fr = malloc(sizeof(*fr) * 64);
	assert_non_null(fr);
	nfr = read_frames(fx->pcap, fr, 64);
	assert_int_equal(nfr, nw);
	for (unsigned int i = 0; i < nfr; i++) {
		uint32_t daddr;

		memcpy(&daddr, fr[i].b + PP_ETH_HLEN + 16, 4);
		assert_int_equal(frame_seq(&fr[i]), want[i].seq);
		assert_memory_equal(fr[i].b, want[i].mac, 6);
		assert_int_equal(daddr, ip4(want[i].daddr)); /* the IP destination stays */
	}
	free(fr);
}

/* ---- send room in bytes and frames (issue 7, defects 4 and 5) ------------- */

/*
 * Regression: 64 KB datagrams batched with PP_MSG_MORE were lost at the qdisc
 * (25 of 40 written, 15 qdisc_full), because the send-room check counted a
 * fragmented datagram waiting in the lane's first ring as one packet. Now a
 * blocking sender waits and every fragment of every datagram reaches the NIC.
 */
static void test_big_datagrams_not_lost(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 9000);
	static uint8_t buf[65507];
	struct pp_sock *sk;

	o.nic = pcap_spec(fx, "");
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	for (unsigned int i = 0; i < 40; i++)
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), (i % 32) != 31 ? PP_MSG_MORE : 0,
					   SA(&d), sizeof(d)),
				 sizeof(buf));
	assert_int_equal(pp_lane_flush(fx->st, 0, 2000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, 40 * 45); /* 45 fragments each */
	assert_int_equal(pp_close(sk), 0);
}

/*
 * The same with PP_MSG_DONTWAIT behind a slow driver and a small qdisc:
 * the sender gets -EAGAIN once the room below it is taken, never a drop, and
 * what it was told was sent is all on the wire.
 */
static void test_big_datagrams_dontwait(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 9000);
	static uint8_t buf[65507];
	unsigned int taken = 0, again = 0;
	struct pp_sock *sk;

	o.nic = pcap_spec(fx, ",txring=64"); /* one 45-frame chain at a time */
	o.qdisc_limit = 200; /* four datagrams' worth of frames */
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	for (unsigned int i = 0; i < 40; i++) {
		ssize_t r = pp_sendto(sk, buf, sizeof(buf), PP_MSG_DONTWAIT | PP_MSG_MORE, SA(&d),
				      sizeof(d));

		if (r == -EAGAIN) {
			again++;
			continue;
		}
		assert_int_equal(r, sizeof(buf));
		taken++;
	}
	print_message("%u taken, %u -EAGAIN\n", taken, again);
	assert_true(taken >= 1 && again >= 1);
	assert_int_equal(pp_lane_flush(fx->st, 0, 5000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, taken * 45);
	assert_int_equal(pp_close(sk), 0);
}

/*
 * Regression: a datagram to a destination with no route was accepted, then
 * dropped no_route in the ip stage, and the tools exited 0 having sent
 * nothing. The route is now looked up in the caller's context, as
 * udp_sendmsg() does: -ENETUNREACH, nothing queued, nothing dropped.
 */
static void test_unroutable_enetunreach(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of("10.99.0.2", 9000), ok = sin_of(PEER_IP, 9000);
	struct pp_skb *skbs[4];
	uint8_t buf[64] = {0};
	struct pp_sock *sk, *ck;

	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&d), sizeof(d)), -ENETUNREACH);
	assert_int_equal(pp_sendto(sk, buf, 3000, PP_MSG_DONTWAIT, SA(&d), sizeof(d)),
			 -ENETUNREACH);
	assert_int_equal(pp_udp_alloc_burst(sk, skbs, 4), 4);
	for (int i = 0; i < 4; i++)
		assert_non_null(pp_skb_put(skbs[i], 16));
	assert_int_equal(pp_udp_send_burst(sk, skbs, 4, SA(&d), sizeof(d), 0), -ENETUNREACH);
	assert_int_equal(pp_sock_free_skbs(sk, skbs, 4), 0);
	ck = sock_new(fx, 0);
	assert_int_equal(pp_connect(ck, SA(&d), sizeof(d)), 0);
	assert_int_equal(pp_send(ck, buf, sizeof(buf), 0), -ENETUNREACH);
	/* a route appears: the same connected socket sends */
	assert_int_equal(pp_route_add(fx->st, ip4("10.99.0.0"), 24, ip4(PEER_IP)), 0);
	assert_int_equal(pp_send(ck, buf, sizeof(buf), 0), sizeof(buf));
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&ok), sizeof(ok)), sizeof(buf));
	/* an unconnected socket keeps its last destination's route too, and
	 * loses it with the route: the next send sees the table again */
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&d), sizeof(d)), sizeof(buf));
	assert_int_equal(pp_route_del(fx->st, ip4("10.99.0.0"), 24), 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&d), sizeof(d)), -ENETUNREACH);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, 3);
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(pp_close(ck), 0);
}

/*
 * Regression: pp_close() drained only the lane's first ring, while packets
 * further down (here: lane 0's ring to TX queue 1, which lane 1 drives and
 * which waits until lane 1 runs) still named the socket in skb->sk, and its
 * slot could be reused by the next pp_socket(). Now a frame names the socket
 * that sent it until it comes home (its send memory, cf. sock_wfree()), and
 * a closed socket's memory is reused only after its last frame is home.
 */
static void test_close_leaves_no_named_packets(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	uint8_t buf[32] = {0};
	struct pp_sock *sk, *again, *third;
	struct pp_ring *r;
	uint32_t idx, n;

	o.nlanes = 2;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_xps_set(fx->st, 0, 1), 0); /* lane 0 -> queue 1 (lane 1's) */
	sk = sock_new(fx, 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&d), sizeof(d)), sizeof(buf));
	assert_int_equal(pp__sock_wmem(sk), 8 * PP_FRAME_2K);
	assert_int_equal(pp_close(sk), 0);
	/* closed, its 8 frames still on the ring to queue 1: they name it,
	 * it holds their memory, and nobody gets its memory yet */
	assert_int_equal(atomic_load(&sk->wmem_alloc), 8 * PP_FRAME_2K);
	again = sock_new(fx, 0);
	assert_ptr_not_equal(again, sk);
	r = fx->st->lanes[0].dev->r_txq[1];
	n = pp_ring_cons_peek(r, 64, &idx);
	assert_int_equal(n, 8);
	for (uint32_t i = 0; i < n; i++)
		assert_ptr_equal(((struct pp_skb *)*pp_ring_slot(r, idx + i))->sk, sk);
	pp_ring_cons_cancel(r, n);
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, 8);
	/* the last frame came home: the memory went back, the next socket
	 * gets it */
	third = sock_new(fx, 0);
	assert_ptr_equal(third, sk);
	assert_int_equal(pp__sock_wmem(third), 0);
	assert_int_equal(pp_close(again), 0);
	assert_int_equal(pp_close(third), 0);
}

/* Regression: iovec lengths that add up past SIZE_MAX wrapped to a 1-byte
 * datagram; the kernel refuses such a vector with -EINVAL, so do we. */
static void test_iovec_total_wraps(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	static uint8_t buf[16];
	struct iovec iov[2] = {{buf, SIZE_MAX}, {buf, 2}};
	struct msghdr m = {.msg_name = &d, .msg_namelen = sizeof(d), .msg_iov = iov,
			   .msg_iovlen = 2};
	struct pp_sock *sk;

	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_sendmsg(sk, &m, 0), -EINVAL);
	iov[0].iov_len = (size_t)SSIZE_MAX;
	iov[1].iov_len = 1;
	assert_int_equal(pp_sendmsg(sk, &m, 0), -EINVAL);
	assert_int_equal(pp_recvmsg(sk, &m, PP_MSG_DONTWAIT), -EINVAL);
	stats(fx);
	assert_int_equal(fx->ss->nic_tx_packets, 0);
	assert_int_equal(pp_close(sk), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pfifo_fast_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xps_vs_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_lane_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_change_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_datagrams_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_datagrams_dontwait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unroutable_enetunreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_leaves_no_named_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iovec_total_wraps, setup, teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
