// SPDX-License-Identifier: MIT
/*
 * test_icmp.c - ICMP input (proto/icmp.c, cf. icmp_rcv(), icmp_echo()) seen
 * through the receive stage over a real stack on the null NIC: malformed
 * messages are dropped and counted by the icmp stage, echo requests to a
 * broadcast address and messages other than echo requests are not
 * answered; an echo request (1 byte, odd length, 1472 bytes, with IP
 * options, reassembled from fragments of several sizes, larger than our MTU)
 * yields a reply template with every field right, which the real ip stage
 * (pp__ip_output) then finishes: the test checks the final bytes, header
 * and ICMP checksums, the fragments' offsets and the echoed data byte for
 * byte. ICMP errors are rate limited (a global bucket, then per
 * destination; echo replies never), and the ip stage's IPv4 IDs are hashed
 * per destination, one per datagram. Every test leaves the pool full.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/qsel.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"


#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define PEER IP(10, 0, 0, 2)
#define ETH 14
#define OUTCAP 64
#define ECHO_ID 0x1234
#define MAXMSG 65536

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x22};

struct fx {
	struct pp_stage_stats stats;	/* the hand-built rx stage's */
	struct pp_stack *st;
	struct pp_lane *l;
	struct pp_stage s;
	struct pp_skb *l3[OUTCAP], *l2[OUTCAP];
	struct pp_rx_out o;
	uint8_t msg[MAXMSG];		/* the ICMP message sent */
	uint8_t got[MAXMSG];		/* the ICMP message of the reply */
	uint8_t frame[4096];
};

static int setup_opts(void **state, uint16_t mtu, uint32_t frame_size)
{
	static struct fx fx;
	struct pp_stack_opts o;

	memset(&fx, 0, sizeof(fx));
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = OUR_IP;
	o.prefix = 24;
	o.mtu = mtu;
	o.frame_size = frame_size;
	o.frames_per_lane = 1024;
	o.flags = PP_STACK_F_NO_PIN;
	assert_int_equal(pp_stack_create(&o, &fx.st), 0);
	assert_int_equal(pp_lane_attach(fx.st, 0), 0);
	fx.l = &fx.st->lanes[0];
	fx.s = (struct pp_stage){.name = "rx", .ctx = fx.l, .cache = fx.l->cache,
				 .stats = &fx.stats, .out_cap = PP_STAGE_OUT_CAP};
	fx.o = (struct pp_rx_out){.l3 = fx.l3, .l2 = fx.l2, .cap = OUTCAP};
	*state = &fx;
	return 0;
}

static int setup(void **state)
{
	return setup_opts(state, 0, 0); /* MTU 1500, 2 KiB frames */
}

static int setup_mtu576(void **state)
{
	return setup_opts(state, 576, 0);
}

static int setup_4k(void **state)
{
	return setup_opts(state, 1500, 4096);
}

static void out_free(struct fx *fx)
{
	pp_skb_free_burst(fx->l->cache, fx->o.l3, fx->o.n_l3);
	pp_skb_free_burst(fx->l->cache, fx->o.l2, fx->o.n_l2);
	fx->o.n_l3 = fx->o.n_l2 = 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	out_free(fx);
	pp__reasm_destroy(fx->l->reasm, &fx->l->s_rx);
	fx->l->reasm = NULL;
	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	pp_stack_destroy(fx->st);
	return 0;
}

static const struct pp_stage_stats *icmp_stats(struct fx *fx)
{
	return &fx->l->stats[PP_STAGE_ICMP];
}

/* ---- requests ----------------------------------------------------------- */

static inline uint8_t pat(uint32_t k)
{
	return (uint8_t)(k * 7u + (k >> 8) * 3u + 11u);
}

/* An ICMP message of @type with @len data bytes in fx->msg; its length. */
static uint32_t make_msg(struct fx *fx, uint8_t type, uint16_t seq, uint32_t len)
{
	struct pp_icmp_hdr h = {.type = type, .id = htons(ECHO_ID), .seq = htons(seq)};
	uint16_t c;

	memcpy(fx->msg, &h, 8);
	for (uint32_t k = 0; k < len; k++)
		fx->msg[8 + k] = pat(k);
	c = pp_csum(fx->msg, 8 + len);
	memcpy(fx->msg + 2, &c, 2);
	return 8 + len;
}

/*
 * Frames carrying fx->msg[0..@mlen) to @daddr, cut in IP payloads of @piece
 * bytes (a multiple of 8; 0: one unfragmented packet), the first with @ihl
 * header bytes. Fed to the stage as one burst.
 */
static void send_msg(struct fx *fx, uint32_t daddr, uint32_t mlen, uint32_t piece, uint32_t ihl)
{
	struct pp_skb *pkts[PP_BURST_MAX];
	uint16_t n = 0;
	uint32_t off = 0;

	if (!piece)
		piece = mlen;
	do {
		uint32_t len = mlen - off < piece ? mlen - off : piece;
		uint32_t hl = off ? 20 : ihl;
		bool mf = off + len < mlen;
		struct pp_ipv4_hdr ip = {
			.ver_ihl = (uint8_t)(0x40 | hl / 4),
			.tot_len = htons((uint16_t)(hl + len)),
			.id = htons(77),
			.frag_off = htons((uint16_t)((mf ? PP_IP_MF : 0) | off / 8)),
			.ttl = 64,
			.tos = 0x10,
			.protocol = PP_IPPROTO_ICMP,
			.saddr = PEER,
			.daddr = daddr,
		};
		uint8_t *f = fx->frame;
		struct pp_skb *skb;
		uint8_t *p;

		memcpy(f, fx->st->mac, 6);
		memcpy(f + 6, peer_mac, 6);
		f[12] = 0x08;
		f[13] = 0x00;
		memcpy(f + ETH, &ip, 20);
		memset(f + ETH + 20, 1, hl - 20); /* NOP options */
		ip.check = pp_csum(f + ETH, hl);
		memcpy(f + ETH + 10, &ip.check, 2);
		memcpy(f + ETH + hl, fx->msg + off, len);
		skb = pp_skb_alloc(fx->l->cache);
		assert_non_null(skb);
		p = pp_skb_put(skb, ETH + hl + len);
		assert_non_null(p);
		memcpy(p, f, ETH + hl + len);
		assert_true(n < PP_BURST_MAX);
		pkts[n++] = skb;
		off += len;
	} while (off < mlen);
	pp__lane_online();
	assert_int_equal(pp__rx_input(&fx->s, pkts, n, &fx->o), n);
	pp__lane_offline();
}

/* ---- replies ------------------------------------------------------------ */

/*
 * o->l3[@i] is an echo reply template for a request of @mlen bytes: checks
 * its metadata and template, then runs the ip stage on it and checks the
 * final fragments. Return: how many fragments it became.
 */
static unsigned int check_reply(struct fx *fx, unsigned int i, uint32_t mlen, uint8_t tos)
{
	struct pp_skb *r = fx->o.l3[i];
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)pp_skb_data(r);
	struct pp_skb *out[4];
	uint16_t mtu = fx->st->mtu;
	uint32_t off = 0, nfr = 0;

	/* the template, as udp_push_headers() writes one */
	assert_int_equal(r->net_off, r->data_off);
	assert_int_equal(r->trans_off, r->data_off + 20);
	assert_null(r->sk);
	assert_int_equal(r->prio, 0);
	assert_int_equal(r->hash, pp__flow_hash(OUR_IP, PEER, 0, 0, PP_IPPROTO_ICMP));
	assert_int_equal(ip->ver_ihl, 0x45);
	assert_int_equal(ip->tos, tos);
	assert_int_equal(ip->ttl, 64);
	assert_int_equal(ip->protocol, PP_IPPROTO_ICMP);
	assert_int_equal(ip->frag_off, 0);
	assert_int_equal(ip->saddr, OUR_IP);
	assert_int_equal(ip->daddr, PEER);
	for (const struct pp_skb *f = r->frag; f; f = f->frag) {
		assert_int_equal(f->hash, r->hash);
		assert_true(f->flags & PP_SKB_F_FRAG);
	}

	/* the real ip stage finishes it */
	pp__lane_online();
	assert_int_equal(pp__ip_output(&fx->l->s_ip, &r, 1, out), 1);
	pp__lane_offline();
	assert_ptr_equal(out[0], r);
	for (const struct pp_skb *f = r; f; f = f->frag, nfr++) {
		const uint8_t *p = pp_skb_data(f);
		const struct pp_ipv4_hdr *h = (const struct pp_ipv4_hdr *)p;
		uint16_t fo = ntohs(h->frag_off);

		assert_int_equal(f->len <= mtu, 1);
		assert_int_equal(h->ver_ihl, 0x45);
		assert_int_equal(ntohs(h->tot_len), f->len);
		assert_int_equal(pp_csum(h, 20), 0);
		assert_int_equal(h->saddr, OUR_IP);
		assert_int_equal(h->daddr, PEER);
		assert_int_equal(h->protocol, PP_IPPROTO_ICMP);
		assert_int_equal((fo & PP_IP_OFFMASK) * 8u, off);
		assert_int_equal(!!(fo & PP_IP_MF), f->frag != NULL);
		assert_int_equal(fo & PP_IP_DF, 0);
		if (f->frag)
			assert_int_equal((f->len - 20) % 8, 0);
		assert_true(off + f->len - 20u <= mlen);
		memcpy(fx->got + off, p + 20, f->len - 20u);
		off += f->len - 20u;
	}
	assert_int_equal(off, mlen);
	/* the final ICMP message: a reply, data echoed, checksum right */
	assert_int_equal(fx->got[0], PP_ICMP_ECHOREPLY);
	assert_int_equal(fx->got[1], 0);
	assert_memory_equal(fx->got + 4, fx->msg + 4, mlen - 4); /* id, seq, data */
	assert_int_equal(pp_csum(fx->got, mlen), 0);
	return nfr;
}

/* ---- malformed, foreign, not answered ----------------------------------- */

static void test_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_stage s = fx->l->s_icmp;
	struct pp_skb *skb = NULL;

	s.ctx = NULL;
	assert_int_equal(pp__icmp_input(NULL, &skb, 1, &fx->o), 0);
	assert_int_equal(pp__icmp_input(&s, &skb, 1, &fx->o), 0);
	assert_int_equal(pp__icmp_input(&fx->l->s_icmp, NULL, 1, &fx->o), 0);
	assert_int_equal(pp__icmp_input(&fx->l->s_icmp, &skb, 1, NULL), 0);
	assert_int_equal(pp__icmp_send_unreach(NULL, NULL, 3, &fx->o), -EINVAL);
	assert_int_equal(icmp_stats(fx)->packets, 0);
}

static void test_bad_checksum(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 1, 56);

	fx->msg[20] ^= 0x10;
	send_msg(fx, OUR_IP, m, 0, 20);
	/* a reassembled one: checked over every piece */
	m = make_msg(fx, PP_ICMP_ECHO, 2, 3000);
	fx->msg[2999] ^= 0x01;
	send_msg(fx, OUR_IP, m, 1480, 20);
	assert_int_equal(icmp_stats(fx)->drops[PP_DROP_BAD_CSUM], 2);
	assert_int_equal(icmp_stats(fx)->packets, 2);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_too_short(void **state)
{
	struct fx *fx = *state;

	/* 7 bytes: less than an ICMP header (checksum right over them) */
	make_msg(fx, PP_ICMP_ECHO, 1, 0);
	memset(fx->msg + 2, 0, 2);
	{
		uint16_t c = pp_csum(fx->msg, 7);

		memcpy(fx->msg + 2, &c, 2);
	}
	send_msg(fx, OUR_IP, 7, 0, 20);
	assert_int_equal(icmp_stats(fx)->drops[PP_DROP_MALFORMED], 1);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_broadcast_echo_ignored(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 1, 56);

	send_msg(fx, IP(10, 0, 0, 255), m, 0, 20);
	send_msg(fx, IP(255, 255, 255, 255), m, 0, 20);
	assert_int_equal(icmp_stats(fx)->drops[PP_DROP_NOT_FOR_US], 2);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_other_types_consumed(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHOREPLY, 1, 56);

	send_msg(fx, OUR_IP, m, 0, 20);
	m = make_msg(fx, PP_ICMP_DEST_UNREACH, 0, 28);
	send_msg(fx, OUR_IP, m, 0, 20);
	m = make_msg(fx, PP_ICMP_TIME_EXCEEDED, 0, 28);
	send_msg(fx, OUR_IP, m, 0, 20);
	assert_int_equal(icmp_stats(fx)->packets, 3);
	assert_int_equal(pp_stage_stats_drops(icmp_stats(fx)), 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_no_room_for_reply(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 1, 56);

	fx->o.cap = 0;
	send_msg(fx, OUR_IP, m, 0, 20);
	assert_int_equal(icmp_stats(fx)->drops[PP_DROP_RING_FULL], 1);
	assert_int_equal(fx->o.n_l3, 0);
}

/* ---- boundaries: sizes -------------------------------------------------- */

static void test_echo_sizes(void **state)
{
	struct fx *fx = *state;
	const uint32_t sizes[] = {0, 1, 33, 1471, 1472};

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t m = make_msg(fx, PP_ICMP_ECHO, (uint16_t)i, sizes[i]);

		send_msg(fx, OUR_IP, m, 0, 20);
		assert_int_equal(fx->o.n_l3, 1);
		assert_null(fx->o.l3[0]->frag);
		assert_int_equal(check_reply(fx, 0, m, 0x10), 1);
		out_free(fx);
	}
	assert_int_equal(icmp_stats(fx)->packets, 5);
	assert_int_equal(pp_stage_stats_drops(icmp_stats(fx)), 0);
}

static void test_echo_with_options(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 9, 101);

	send_msg(fx, OUR_IP, m, 0, 32); /* 12 bytes of options: not echoed */
	assert_int_equal(fx->o.n_l3, 1);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 1);
}

/* ---- normal: reassembled requests --------------------------------------- */

static void test_echo_reassembled_3000(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 3, 3000);
	struct pp_skb *first;

	send_msg(fx, OUR_IP, m, 1480, 20);
	assert_int_equal(fx->o.n_l3, 1);
	first = fx->o.l3[0];
	/* answered in the request's own three frames: nothing copied */
	assert_non_null(first->frag);
	assert_non_null(first->frag->frag);
	assert_null(first->frag->frag->frag);
	assert_int_equal(first->frag->frag_off, 1480);
	assert_int_equal(first->frag->frag->frag_off, 2960);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 3);
}

static void test_echo_reassembled_small_pieces(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 4, 3000);

	/* a sender with MTU 1020: pieces of 1000 fit ours, kept as they are */
	send_msg(fx, OUR_IP, m, 1000, 24);
	assert_int_equal(fx->o.n_l3, 1);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 4);
	out_free(fx);
	/* 1000 bytes in two pieces fit one packet: the reply is one */
	m = make_msg(fx, PP_ICMP_ECHO, 5, 992);
	send_msg(fx, OUR_IP, m, 600, 20);
	assert_int_equal(fx->o.n_l3, 1);
	assert_null(fx->o.l3[0]->frag);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 1);
}

static void test_echo_largest(void **state)
{
	struct fx *fx = *state;
	/* 65535 - 20: the largest ICMP message IPv4 carries */
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 6, 65535 - 20 - 8);

	send_msg(fx, OUR_IP, m, 1480, 20);
	assert_int_equal(fx->o.n_l3, 1);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 45);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
}

/* Our MTU is 576: requests in pieces of 1480, or whole, are cut again. */
static void test_echo_recut_mtu576(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 7, 3000);

	send_msg(fx, OUR_IP, m, 1480, 20);
	assert_int_equal(fx->o.n_l3, 1);
	/* ceil(3008 / 552) pieces of (576 - 20) & ~7 */
	assert_int_equal(check_reply(fx, 0, m, 0x10), 6);
	out_free(fx);
	m = make_msg(fx, PP_ICMP_ECHO, 8, 1472);
	send_msg(fx, OUR_IP, m, 0, 20);	/* one frame larger than our MTU */
	assert_int_equal(fx->o.n_l3, 1);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 3);
	assert_int_equal(pp_stage_stats_drops(icmp_stats(fx)), 0);
}

/* 4 KiB frames: an unfragmented 3008-byte request, more than the MTU. */
static void test_echo_recut_big_frame(void **state)
{
	struct fx *fx = *state;
	uint32_t m = make_msg(fx, PP_ICMP_ECHO, 9, 3000);

	send_msg(fx, OUR_IP, m, 0, 20);
	assert_int_equal(fx->o.n_l3, 1);
	assert_int_equal(check_reply(fx, 0, m, 0x10), 3);
}

/* ---- rate limits (cf. icmp_global_allow(), icmpv4_xrlim_allow()) -------- */

#define SEC 1000000000ull
#define T0 (5000 * SEC)

/* A UDP datagram from @saddr to a closed port of ours, through the stage;
 * the ICMP errors it yields are counted into *@errors and freed. */
static void udp_to_closed(struct fx *fx, uint32_t saddr, unsigned int *errors)
{
	struct pp_skb *skb = pp_skb_alloc(fx->l->cache);
	struct pp_ipv4_hdr ip = {
		.ver_ihl = 0x45, .tot_len = htons(20 + 8 + 4), .ttl = 64,
		.protocol = PP_IPPROTO_UDP, .saddr = saddr, .daddr = OUR_IP,
	};
	uint8_t *p;

	assert_non_null(skb);
	p = pp_skb_put(skb, ETH + 20 + 12);
	assert_non_null(p);
	memcpy(p, fx->st->mac, 6);
	memcpy(p + 6, peer_mac, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	ip.check = pp_csum(&ip, 20);
	memcpy(p + ETH, &ip, 20);
	memset(p + ETH + 20, 0, 12);
	p[ETH + 20 + 2] = 0x30; /* port 12345 */
	p[ETH + 20 + 3] = 0x39;
	p[ETH + 20 + 5] = 12; /* length; checksum 0 */
	pp__lane_online();
	assert_int_equal(pp__rx_input(&fx->s, &skb, 1, &fx->o), 1);
	pp__lane_offline();
	for (unsigned int i = 0; i < fx->o.n_l3; i++) {
		const uint8_t *e = pp_skb_data(fx->o.l3[i]);

		assert_int_equal(e[9], PP_IPPROTO_ICMP);
		assert_int_equal(e[20], PP_ICMP_DEST_UNREACH);
		assert_memory_equal(e + 16, &saddr, 4);
	}
	*errors += fx->o.n_l3;
	out_free(fx);
}

/*
 * Regression (ICMP errors not rate limited: port unreachables to spoofed
 * sources took frames and the neighbour stage's pending slots): 10000
 * datagrams to a closed port from 10000 sources within one (fake) second
 * yield at most burst + rate errors; each one not sent is counted.
 */
static void test_errors_global_rate_limit(void **state)
{
	struct fx *fx = *state;
	const unsigned int sent = 10000;
	unsigned int errors = 0;

	pp__clock_set_fake(T0);
	for (unsigned int i = 0; i < sent; i++) {
		udp_to_closed(fx, htonl(0x14000000u + i), &errors); /* 20.0.x.y */
		pp__clock_advance(SEC / sent);
	}
	pp__clock_set_fake(0);
	print_message("%u errors for %u datagrams in 1 s\n", errors, sent);
	assert_true(errors <= PP_ICMP_MSGS_BURST + PP_ICMP_MSGS_PER_SEC);
	assert_true(errors >= PP_ICMP_MSGS_PER_SEC - PP_ICMP_MSGS_PER_SEC / 10);
	assert_int_equal(fx->l->icmp_rl.limited_global, sent - errors);
	assert_int_equal(fx->l->icmp_rl.limited_host, 0);
	/* each datagram itself dropped once, as before */
	assert_int_equal(fx->stats.drops[PP_DROP_NO_SOCKET], sent);
}

/* Per destination: a burst of 6, then one a second (icmp_ratelimit 1000 ms,
 * XRLIM_BURST_FACTOR 6); another destination has its own. */
static void test_errors_per_destination(void **state)
{
	struct fx *fx = *state;
	unsigned int errors = 0, other = 0;

	pp__clock_set_fake(T0);
	for (unsigned int i = 0; i < 20; i++)
		udp_to_closed(fx, PEER, &errors);
	assert_int_equal(errors, 6);
	assert_int_equal(fx->l->icmp_rl.limited_host, 14);
	udp_to_closed(fx, IP(10, 0, 0, 3), &other);
	assert_int_equal(other, 1);
	pp__clock_advance(SEC / 2);
	udp_to_closed(fx, PEER, &errors);
	assert_int_equal(errors, 6);
	pp__clock_advance(SEC / 2);
	udp_to_closed(fx, PEER, &errors);
	udp_to_closed(fx, PEER, &errors);
	assert_int_equal(errors, 7);
	/* idle for a long while: the burst again, no more */
	pp__clock_advance(60 * SEC);
	for (unsigned int i = 0; i < 10; i++)
		udp_to_closed(fx, PEER, &errors);
	assert_int_equal(errors, 13);
	pp__clock_set_fake(0);
	assert_int_equal(fx->l->icmp_rl.limited_global, 0);
}

/* Echo replies are not limited (icmp_ratemask 0x1818 leaves type 0 out),
 * and they spend no credit of the errors' bucket. */
static void test_echo_replies_not_limited(void **state)
{
	struct fx *fx = *state;
	uint32_t mlen = make_msg(fx, PP_ICMP_ECHO, 1, 16);
	unsigned int replies = 0, errors = 0;

	pp__clock_set_fake(T0);
	for (unsigned int i = 0; i < 200; i++) {
		send_msg(fx, OUR_IP, mlen, 0, 20);
		replies += fx->o.n_l3;
		out_free(fx);
	}
	assert_int_equal(replies, 200);
	assert_int_equal(fx->l->icmp_rl.limited_host + fx->l->icmp_rl.limited_global, 0);
	/* the global bucket is still full: 50 errors to 50 sources */
	for (unsigned int i = 0; i < 60; i++)
		udp_to_closed(fx, htonl(0x14000000u + i), &errors);
	assert_int_equal(errors, PP_ICMP_MSGS_BURST);
	pp__clock_set_fake(0);
}

/* ---- IPv4 IDs (cf. __ip_select_ident()) --------------------------------- */

/* A UDP template to @daddr, through the real ip stage: its ID (host order). */
static uint16_t id_of_sent(struct fx *fx, uint32_t daddr, uint32_t len, struct pp_skb **keep)
{
	struct pp_skb *skb = pp_skb_alloc(fx->l->cache), *out[4];
	struct pp_ipv4_hdr *ip;
	uint16_t id;

	assert_non_null(skb);
	assert_non_null(pp_skb_put(skb, 20 + 8 + len));
	memset(pp_skb_data(skb), 0, 28 + len);
	ip = (struct pp_ipv4_hdr *)pp_skb_data(skb);
	ip->ver_ihl = 0x45;
	ip->ttl = 64;
	ip->protocol = PP_IPPROTO_UDP;
	ip->saddr = OUR_IP;
	ip->daddr = daddr;
	skb->net_off = skb->data_off;
	pp__lane_online();
	assert_int_equal(pp__ip_output(&fx->l->s_ip, &skb, 1, out), 1);
	pp__lane_offline();
	id = ntohs(((struct pp_ipv4_hdr *)pp_skb_data(out[0]))->id);
	if (keep)
		*keep = out[0];
	else
		pp_skb_free(fx->l->cache, out[0]);
	return id;
}

/*
 * Regression (IDs counted up per lane: anyone who saw two of our packets
 * learnt how many we sent in between, the idle-scan problem): two
 * destinations interleaved each get their own +1 sequence, so the IDs one
 * of them sees say nothing of what went to the other.
 */
static void test_ip_ids_per_destination(void **state)
{
	struct fx *fx = *state;
	const uint32_t a = IP(10, 0, 0, 2), b = IP(10, 0, 0, 3);
	uint16_t ia[8], ib[8];
	unsigned int lane_seq = 0;

	/* a fixed key, under which a and b fall in different buckets (with a
	 * random one they share a counter once in 2048 runs) */
	fx->l->ipid.key[0] = 0x0123456789abcdefull;
	fx->l->ipid.key[1] = 0xfedcba9876543210ull;
	fx->l->ipid.last_valid = false;
	pp__clock_set_fake(T0);
	for (unsigned int i = 0; i < 8; i++) {
		ia[i] = id_of_sent(fx, a, 10, NULL);
		ib[i] = id_of_sent(fx, b, 10, NULL);
	}
	for (unsigned int i = 1; i < 8; i++) {
		assert_int_equal((uint16_t)(ia[i] - ia[i - 1]), 1);
		assert_int_equal((uint16_t)(ib[i] - ib[i - 1]), 1);
		/* a per-lane counter would give b the ID right after a's */
		lane_seq += ib[i - 1] == (uint16_t)(ia[i - 1] + 1);
	}
	assert_int_equal(lane_seq, 0);
	/* packets to a burst of destinations are not sequential either */
	uint16_t prev = id_of_sent(fx, IP(10, 0, 0, 100), 10, NULL);
	unsigned int seq = 0;

	for (uint32_t d = 101; d < 140; d++) {
		uint16_t id = id_of_sent(fx, IP(10, 0, 0, d), 10, NULL);

		seq += id == (uint16_t)(prev + 1);
		prev = id;
	}
	assert_true(seq < 3);
	/* an idle counter jumps ahead at random when used again */
	pp__clock_advance(10 * SEC);
	uint16_t later = id_of_sent(fx, a, 10, NULL);

	print_message("after 10 s idle: %u -> %u\n", ia[7], later);
	pp__clock_set_fake(0);
}

/* The echo reply to a reassembled 3000-byte request, through the ip stage:
 * the ID its fragments share (they must all carry the same). */
static uint16_t reply_frags_id(struct fx *fx, uint32_t mlen)
{
	struct pp_skb *r, *out[2];
	unsigned int n = 0;
	uint16_t id;

	send_msg(fx, OUR_IP, mlen, 1480, 20);
	assert_int_equal(fx->o.n_l3, 1);
	r = fx->o.l3[0];
	fx->o.n_l3 = 0;
	pp__lane_online();
	assert_int_equal(pp__ip_output(&fx->l->s_ip, &r, 1, out), 1);
	pp__lane_offline();
	id = ((struct pp_ipv4_hdr *)pp_skb_data(out[0]))->id;
	for (const struct pp_skb *f = out[0]; f; f = f->frag, n++)
		assert_int_equal(((const struct pp_ipv4_hdr *)pp_skb_data(f))->id, id);
	assert_int_equal(n, 3);
	pp_skb_free(fx->l->cache, out[0]);
	return ntohs(id);
}

/* The fragments of one datagram share its ID; the next datagram of the
 * same flow takes the next one. */
static void test_ip_id_fragments_share(void **state)
{
	struct fx *fx = *state;
	uint32_t mlen = make_msg(fx, PP_ICMP_ECHO, 9, 3000);
	uint16_t id;

	pp__clock_set_fake(T0);
	id = reply_frags_id(fx, mlen);
	assert_int_equal(reply_frags_id(fx, mlen), (uint16_t)(id + 1));
	pp__clock_set_fake(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_echo_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_types_consumed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_room_for_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_with_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_reassembled_3000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_reassembled_small_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_largest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_recut_mtu576, setup_mtu576, teardown),
		cmocka_unit_test_setup_teardown(test_echo_recut_big_frame, setup_4k, teardown),
		cmocka_unit_test_setup_teardown(test_errors_global_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_per_destination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_replies_not_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_ids_per_destination, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_id_fragments_share, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
