// SPDX-License-Identifier: MIT
/*
 * test_holds.c - what a host on the link can make a lane hold, all at once
 * (issue 7, defect 6: "no cap across all of these"). One stack on the null
 * NIC; hostile frames go through the receive stage as the lane would run it:
 *
 *  - a trickle of tiny first fragments that never complete (reassembly);
 *  - datagrams, whole and reassembled, to four bound sockets nobody reads
 *    (socket receive queues, per socket and over the lane);
 *  - fragmented echo requests from spoofed on-link sources that never answer
 *    ARP, whose replies wait on the neighbour's pending queue;
 *  - ARP requests for us from thousands of senders (neighbour table).
 *
 * Each hold stays within its share of the lane's frames (proto/defaults.h),
 * and all of them together within half of them; then the lane still sends a
 * datagram to a resolved peer, answers ARP and answers a ping.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define FRIEND IP(10, 0, 0, 2)
#define FRAMES 1024
#define NSOCK 4

static const uint8_t friend_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

struct fx {
	struct pp_stack *st;
	struct pp_lane *l;
	struct pp_skb *l3[64], *l2[64];
	struct pp_rx_out o;
	struct pp_sock *sk[NSOCK];
	uint8_t buf[2048];
	uint16_t id;
	uint64_t l2_out;	/* ARP replies the rx stage built */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 header from @src to us; returns the IP payload's start. */
static uint8_t *eth_ip(struct fx *fx, uint32_t src, uint8_t proto, uint16_t id, uint16_t frag,
		       uint16_t plen)
{
	uint8_t *b = fx->buf;
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .tot_len = htons((uint16_t)(20 + plen)),
				 .id = htons(id), .frag_off = htons(frag), .ttl = 64,
				 .protocol = proto, .saddr = src, .daddr = OUR_IP};

	memcpy(b, fx->st->mac, 6);
	memcpy(b + 6, "\x02\x66\0\0\0\0", 6);
	b[10] = (uint8_t)(ntohl(src) >> 8);
	b[11] = (uint8_t)ntohl(src);
	put16(b + 12, PP_ETH_P_IP);
	ip.check = pp_csum(&ip, 20);
	memcpy(b + 14, &ip, 20);
	return b + 34;
}

/* Feed the frame in fx->buf (@len bytes) to the rx stage; what it answers at
 * L3 goes down the lane's transmit path, at L2 is sent as it is. */
static void feed(struct fx *fx, size_t len)
{
	struct pp_skb *skb = pp_skb_alloc(fx->l->cache);

	if (!skb) { /* the lane is out of frames: that is what we test against */
		pp__lane_run(fx->l);
		skb = pp_skb_alloc(fx->l->cache);
	}
	assert_non_null(skb);
	memcpy(pp_skb_put(skb, (uint32_t)len), fx->buf, len);
	fx->o.n_l3 = fx->o.n_l2 = 0;
	pp__rx_input(&fx->l->s_rx, &skb, 1, &fx->o);
	if (fx->o.n_l3) {
		pp__lane_online();
		pp__ip_queue_xmit(fx->l, fx->l3, fx->o.n_l3);
		pp__lane_offline();
	}
	fx->l2_out += fx->o.n_l2;
	pp_skb_free_burst(fx->l->cache, fx->l2, fx->o.n_l2); /* sent or not: counted */
	pp__lane_run(fx->l);
}

/* A UDP datagram of @len bytes to @port as fragments of at most 1480. */
static void udp_to(struct fx *fx, uint32_t src, uint16_t port, uint32_t len, bool last_missing)
{
	uint16_t id = fx->id++;
	uint32_t total = 8 + len;

	for (uint32_t off = 0; off < total; off += 1480) {
		uint32_t n = total - off < 1480 ? total - off : 1480;
		bool mf = off + n < total;

		if (!mf && last_missing)
			break;
		uint8_t *p = eth_ip(fx, src, PP_IPPROTO_UDP, id, (uint16_t)((mf ? 0x2000 : 0) | off / 8),
				    (uint16_t)n);

		memset(p, 0x5a, n);
		if (off == 0) {
			put16(p, 4000);
			put16(p + 2, port);
			put16(p + 4, (uint16_t)total);
			p[6] = p[7] = 0; /* no checksum */
		}
		feed(fx, 34 + n);
	}
}

/* A fragmented echo request of @len bytes from @src. */
static void ping_from(struct fx *fx, uint32_t src, uint32_t len)
{
	uint16_t id = fx->id++;
	uint32_t total = 8 + len;
	unsigned int odd = 0;
	uint64_t sum = 0;
	static uint8_t msg[9000];

	memset(msg, 0xa5, total);
	msg[0] = 8;
	msg[1] = 0;
	msg[2] = msg[3] = 0;
	sum = pp_csum_partial(msg, total, 0, &odd);
	uint16_t c = pp_csum_fold(sum);

	memcpy(msg + 2, &c, 2);
	for (uint32_t off = 0; off < total; off += 1480) {
		uint32_t n = total - off < 1480 ? total - off : 1480;
		bool mf = off + n < total;
		uint8_t *p = eth_ip(fx, src, 1, id, (uint16_t)((mf ? 0x2000 : 0) | off / 8),
				    (uint16_t)n);

		memcpy(p, msg + off, n);
		feed(fx, 34 + n);
	}
}

/* An ARP request for us from @sip (MAC derived from it). */
static void arp_from(struct fx *fx, uint32_t sip)
{
	uint8_t *b = fx->buf;
	uint32_t h = ntohl(sip);

	memset(b, 0xff, 6);
	memcpy(b + 6, (uint8_t[6]){0x02, 0x77, 0, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h}, 6);
	put16(b + 12, 0x0806);
	put16(b + 14, 1);
	put16(b + 16, 0x0800);
	b[18] = 6;
	b[19] = 4;
	put16(b + 20, 1);
	memcpy(b + 22, b + 6, 6);
	memcpy(b + 28, &sip, 4);
	memset(b + 32, 0, 6);
	uint32_t us = OUR_IP;

	memcpy(b + 38, &us, 4);
	memset(b + 42, 0, 18);
	feed(fx, 60);
}

static uint64_t in_use(struct fx *fx)
{
	struct pp_pool_stats ps;

	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	return ps.in_use;
}

static void test_everything_at_once(void **state)
{
	static struct fx fx;
	struct pp_stack_opts o = {.sz = sizeof(o), .nic = "null", .ip = OUR_IP, .prefix = 16,
				   .frames_per_lane = FRAMES, .flags = PP_STACK_F_NO_PIN};
	struct pp_stack_stats *ss = aligned_alloc(PP_CACHE_LINE, sizeof(*ss));
	uint64_t fs, share_frames, peak = 0;
	struct pp_reasm_stats rs;

	(void)state;
	assert_non_null(ss);
	memset(&fx, 0, sizeof(fx));
	pp__clock_set_fake(1000 * PP_NSEC_PER_SEC);
	assert_int_equal(pp_stack_create(&o, &fx.st), 0);
	assert_int_equal(pp_lane_attach(fx.st, 0), 0);
	fx.l = &fx.st->lanes[0];
	fx.o = (struct pp_rx_out){.l3 = fx.l3, .l2 = fx.l2, .cap = 64};
	fs = pp_pool_frame_size(fx.st->pool);
	for (int i = 0; i < NSOCK; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7000 + i)};

		assert_int_equal(pp_socket(fx.st, PP_SOCK_DGRAM, 0, &fx.sk[i]), 0);
		assert_int_equal(pp_bind(fx.sk[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	pp__lane_online();
	for (unsigned int round = 0; round < 40; round++) {
		/* reassembly: 50 first fragments that never complete */
		for (int k = 0; k < 50; k++)
			udp_to(&fx, IP(10, 0, 3, k + 1), 9, 3000, true);
		/* socket queues: whole and reassembled datagrams, never read */
		for (int k = 0; k < 20; k++)
			udp_to(&fx, IP(10, 0, 4, 1), (uint16_t)(7000 + k % NSOCK), k & 1 ? 1000 : 8000,
			       false);
		/* neighbour queues: echo replies to spoofed on-link sources */
		for (int k = 0; k < 10; k++)
			ping_from(&fx, IP(10, 0, 5, (round * 10 + k) % 250 + 1), 4000);
		/* the neighbour table: ARP requests from many senders */
		for (int k = 0; k < 50; k++)
			arp_from(&fx, IP(10, 0, 6 + round, k + 1));
		pp__clock_advance(50 * PP_NSEC_PER_MSEC);
		uint64_t u = in_use(&fx);

		peak = u > peak ? u : peak;
		/* each hold within its share */
		assert_int_equal(pp__reasm_stats(fx.l->reasm, &rs), 0);
		assert_true(rs.bytes <= pp__hold_share(FRAMES, (uint32_t)fs, PP_HOLD_REASM_DIV));
		assert_true(atomic_load(&fx.l->rcv_mem) <=
			    pp__hold_share(FRAMES, (uint32_t)fs, PP_HOLD_RCV_DIV));
	}
	share_frames = FRAMES / PP_HOLD_REASM_DIV + FRAMES / PP_HOLD_NEIGH_DIV +
		       FRAMES / PP_HOLD_RCV_DIV;
	print_message("peak %lu of %u frames held; the shares allow %lu\n", (unsigned long)peak,
		      FRAMES, (unsigned long)share_frames);
	/* all of them together: at most half the lane (a burst of slack for
	 * what is in flight inside one run of the lane) */
	assert_true(share_frames <= FRAMES / 2);
	assert_true(peak <= FRAMES / 2 + PP_BURST);
	assert_int_equal(pp__stack_stats_snapshot(fx.st, ss), 0);
	assert_true(ss->stage[PP_STAGE_RX].drops[PP_DROP_RCVQ_FULL] > 0);
	assert_true(ss->stage[PP_STAGE_RX].drops[PP_DROP_FRAG_OVERFLOW] > 0);
	assert_true(ss->stage[PP_STAGE_NEIGH].drops[PP_DROP_NEIGH_QUEUE_FULL] +
			    ss->stage[PP_STAGE_NEIGH].drops[PP_DROP_NEIGH_FAILED] > 0);
	pp__lane_offline();

	/* the lane still has frames: a datagram to a resolved peer leaves */
	uint64_t tx0 = ss->nic_tx_packets;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = FRIEND};
	uint8_t data[1000] = {0};

	assert_int_equal(pp_neigh_add(fx.st, FRIEND, friend_mac), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(pp_sendto(fx.sk[0], data, sizeof(data), PP_MSG_DONTWAIT,
					   (struct sockaddr *)&to, sizeof(to)),
				 sizeof(data));
	assert_int_equal(pp_lane_flush(fx.st, 0, 1000), 0);
	assert_int_equal(pp__stack_stats_snapshot(fx.st, ss), 0);
	assert_int_equal(ss->nic_tx_packets - tx0, 64);
	/* ... and answers ARP from a new peer */
	pp__lane_online();
	uint64_t replies = fx.l2_out;

	arp_from(&fx, IP(10, 0, 200, 1));
	assert_int_equal(fx.l2_out - replies, 1);
	/* ... and a ping from the resolved peer */
	uint64_t icmp0 = ss->stage[PP_STAGE_ICMP].packets;

	ping_from(&fx, FRIEND, 100);
	assert_int_equal(pp_lane_flush(fx.st, 0, 1000), 0);
	assert_int_equal(pp__stack_stats_snapshot(fx.st, ss), 0);
	assert_int_equal(ss->stage[PP_STAGE_ICMP].packets - icmp0, 1);
	assert_int_equal(ss->nic_tx_packets - tx0, 65); /* the 64 datagrams and the reply */
	pp__lane_offline();

	for (int i = 0; i < NSOCK; i++)
		assert_int_equal(pp_close(fx.sk[i]), 0);
	assert_int_equal(pp_lane_detach(fx.st, 0), 0);
	pp__stack_teardown(fx.st);
	assert_int_equal(pp__stack_stats_snapshot(fx.st, ss), 0);
	assert_int_equal(ss->pool_in_use, 0);
	assert_int_equal(ss->pool_allocs, ss->pool_frees);
	pp_stack_destroy(fx.st);
	pp__clock_set_fake(0);
	free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
