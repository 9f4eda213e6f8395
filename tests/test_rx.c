// SPDX-License-Identifier: MIT
/*
 * test_rx.c - the receive stage (proto/ip_in.c, cf. ip_rcv_core(),
 * ip_local_deliver(), __udp4_lib_rcv()) over a real stack on the null NIC:
 * hand-built frames, valid and malformed (each length and field of Ethernet,
 * IPv4 and UDP, martian and foreign addresses, unknown protocols,
 * fragments), are fed to pp__rx_input(); each malformed one is dropped with
 * its own reason and counted once; closed ports and unknown protocols get an
 * ICMP unreachable quoting the offender; valid datagrams, reassembled ones
 * included, reach the socket byte for byte with their source address;
 * ARP goes to the ARP stage. Every test ends with the stack torn down and
 * the pool full again.
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

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"


#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define PEER IP(10, 0, 0, 2)
#define PORT 7000
#define PEER_PORT 5555
#define ETH 14
#define IPO ETH		  /* IPv4 header offset in a frame */
#define UDPO (ETH + 20)	  /* UDP header offset (no options) */
#define DATAO (UDPO + 8)  /* payload offset */
#define OUTCAP 64

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x22};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x44};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct fx {
	struct pp_stage_stats stats;	/* the hand-built rx stage's (aligned first) */
	struct pp_stack *st;
	struct pp_lane *l;
	struct pp_stage s;
	struct pp_skb *l3[OUTCAP], *l2[OUTCAP];
	struct pp_rx_out o;
	struct pp_sock *socks[8];
	unsigned int nsocks;
	uint8_t buf[4096];
};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_stack_opts o;

	memset(&fx, 0, sizeof(fx));
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = OUR_IP;
	o.prefix = 24;
	o.frames_per_lane = 1024;
	o.flags = PP_STACK_F_NO_PIN;
	assert_int_equal(pp_stack_create(&o, &fx.st), 0);
	assert_int_equal(pp_lane_attach(fx.st, 0), 0);
	fx.l = &fx.st->lanes[0];
	assert_non_null(fx.l->reasm);
	fx.s = (struct pp_stage){.name = "rx", .ctx = fx.l, .cache = fx.l->cache,
				 .stats = &fx.stats, .out_cap = PP_STAGE_OUT_CAP};
	fx.o = (struct pp_rx_out){.l3 = fx.l3, .l2 = fx.l2, .cap = OUTCAP};
	*state = &fx;
	return 0;
}

static void out_free(struct fx *fx)
{
	pp_skb_free_burst(fx->l->cache, fx->o.l3, fx->o.n_l3);
	pp_skb_free_burst(fx->l->cache, fx->o.l2, fx->o.n_l2);
	fx->o.n_l3 = fx->o.n_l2 = 0;
}

/*
 * Every frame must be home while the stack still stands: what the outputs,
 * the sockets' queues and reassembly hold goes back first. (Not through
 * pp__stack_teardown() + pp_stack_destroy(), which would tear down twice.)
 */
static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	out_free(fx);
	for (unsigned int i = 0; i < fx->nsocks; i++)
		pp_close(fx->socks[i]); /* -EBADF if the test closed it */
	pp__reasm_destroy(fx->l->reasm, &fx->l->s_rx);
	fx->l->reasm = NULL;
	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	pp_stack_destroy(fx->st);
	return 0;
}

/* ---- frames ------------------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t host)
{
	uint16_t v = htons(host);

	memcpy(p, &v, 2);
}

static void put_eth(uint8_t *b, const uint8_t *dst, uint16_t etype)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, peer_mac, 6);
	put16(b + 12, etype);
}

/* IPv4 header of @ihl bytes (options: NOPs) at @b for @plen payload bytes. */
static void put_ip(uint8_t *b, uint32_t ihl, uint8_t proto, uint32_t saddr, uint32_t daddr,
		   uint16_t id, uint16_t frag, uint32_t plen)
{
	struct pp_ipv4_hdr ip = {
		.ver_ihl = (uint8_t)(0x40 | ihl / 4),
		.tot_len = htons((uint16_t)(ihl + plen)),
		.id = htons(id),
		.frag_off = htons(frag),
		.ttl = 64,
		.protocol = proto,
		.saddr = saddr,
		.daddr = daddr,
	};

	memcpy(b, &ip, 20);
	memset(b + 20, 1, ihl - 20);
	ip.check = pp_csum(b, ihl);
	memcpy(b + 10, &ip.check, 2);
}

static void fix_ipcsum(uint8_t *frame)
{
	uint32_t ihl = (uint32_t)(frame[IPO] & 0x0f) * 4;
	uint16_t c;

	memset(frame + IPO + 10, 0, 2);
	c = pp_csum(frame + IPO, ihl);
	memcpy(frame + IPO + 10, &c, 2);
}

static inline uint8_t pat(uint32_t k)
{
	return (uint8_t)(k * 13u + (k >> 8) + 5u);
}

/* UDP header + @len pattern bytes at @u, checksummed for @saddr -> @daddr. */
static void put_udp(uint8_t *u, uint32_t saddr, uint32_t daddr, uint16_t dport, uint32_t len,
		    bool csum)
{
	unsigned int odd = 0;
	uint64_t sum;
	uint16_t c;

	put16(u, PEER_PORT);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	memset(u + 6, 0, 2);
	for (uint32_t k = 0; k < len; k++)
		u[8 + k] = pat(k);
	if (!csum)
		return;
	sum = pp_csum_pseudo(saddr, daddr, PP_IPPROTO_UDP, (uint16_t)(8 + len));
	c = pp_csum_fold(pp_csum_partial(u, 8 + len, sum, &odd));
	if (!c)
		c = 0xffff;
	memcpy(u + 6, &c, 2);
}

/* A valid Ethernet + IPv4 + UDP frame from the peer to @daddr:@dport. */
static size_t udp_frame(struct fx *fx, uint32_t daddr, uint16_t dport, uint32_t len)
{
	put_eth(fx->buf, fx->st->mac, PP_ETH_P_IP);
	put_ip(fx->buf + IPO, 20, PP_IPPROTO_UDP, PEER, daddr, 1, 0, 8 + len);
	put_udp(fx->buf + UDPO, PEER, daddr, dport, len, true);
	return DATAO + len;
}

static struct pp_skb *skb_of(struct fx *fx, const uint8_t *b, size_t len)
{
	struct pp_skb *skb = pp_skb_alloc(fx->l->cache);
	uint8_t *p;

	assert_non_null(skb);
	p = pp_skb_put(skb, (uint32_t)len);
	assert_non_null(p);
	memcpy(p, b, len);
	return skb;
}

/* The stage runs as the lane runs it: RCU online (socket, neighbour lookups). */
static uint16_t rx_burst(struct fx *fx, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o)
{
	uint16_t r;

	pp__lane_online();
	r = pp__rx_input(&fx->s, pkts, n, o);
	pp__lane_offline();
	return r;
}

static void rx_bytes(struct fx *fx, const uint8_t *b, size_t len)
{
	struct pp_skb *skb = skb_of(fx, b, len);

	assert_int_equal(rx_burst(fx, &skb, 1, &fx->o), 1);
}

static void rx(struct fx *fx, size_t len)
{
	rx_bytes(fx, fx->buf, len);
}

static uint64_t drops(struct fx *fx, enum pp_drop_reason why)
{
	return fx->stats.drops[why];
}

static struct pp_sock *udp_sock(struct fx *fx, uint16_t port)
{
	struct pp_sock *sk = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = OUR_IP};

	assert_int_equal(pp_socket(fx->st, PP_SOCK_DGRAM, 0, &sk), 0);
	assert_int_equal(pp_bind(sk, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_true(fx->nsocks < 8);
	fx->socks[fx->nsocks++] = sk;
	return sk;
}

/* Receive one datagram now; its length, or the negative error. */
static ssize_t recv_now(struct pp_sock *sk, uint8_t *buf, size_t len, struct sockaddr_in *from)
{
	socklen_t sl = sizeof(*from);

	return pp_recvfrom(sk, buf, len, PP_MSG_DONTWAIT, (struct sockaddr *)from, &sl);
}

static void check_pattern(const uint8_t *p, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != pat((uint32_t)k))
			fail_msg("payload byte %zu is %u, want %u", k, p[k], pat((uint32_t)k));
}

/* o->l3[@i] is an ICMP unreachable template with @code quoting @orig (IPv4 header + 8). */
static void check_unreach(struct fx *fx, unsigned int i, uint8_t code, const uint8_t *orig)
{
	struct pp_skb *skb = fx->o.l3[i];
	const uint8_t *p = pp_skb_data(skb);
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)p;
	const struct pp_icmp_hdr *ih = (const struct pp_icmp_hdr *)(p + 20);
	uint32_t oihl = (uint32_t)(orig[0] & 0x0f) * 4;

	assert_int_equal(skb->len, 20 + 8 + oihl + 8);
	assert_int_equal(skb->net_off, skb->data_off);
	assert_int_equal(skb->trans_off, skb->data_off + 20);
	assert_null(skb->sk);
	assert_null(skb->frag);
	assert_int_equal(ip->ver_ihl, 0x45);
	assert_int_equal(ip->tos, 0xc0);
	assert_int_equal(ip->ttl, 64);
	assert_int_equal(ip->protocol, PP_IPPROTO_ICMP);
	assert_int_equal(ip->frag_off, 0);
	assert_int_equal(ip->saddr, OUR_IP);
	assert_int_equal(ip->daddr, PEER);
	assert_int_equal(ih->type, PP_ICMP_DEST_UNREACH);
	assert_int_equal(ih->code, code);
	assert_int_equal(pp_csum(ih, skb->len - 20u), 0);
	assert_memory_equal(p + 28, orig, oihl + 8);
}

/* ---- bad arguments ------------------------------------------------------ */

static void test_bad_args(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb = skb_of(fx, fx->buf, udp_frame(fx, OUR_IP, PORT, 4));
	struct pp_stage noctx = fx->s;
	struct pp_rx_out nol3 = fx->o;

	noctx.ctx = NULL;
	nol3.l3 = NULL;
	assert_int_equal(pp__rx_input(NULL, &skb, 1, &fx->o), 0);
	assert_int_equal(pp__rx_input(&noctx, &skb, 1, &fx->o), 0);
	assert_int_equal(pp__rx_input(&fx->s, &skb, 1, NULL), 0);
	assert_int_equal(pp__rx_input(&fx->s, NULL, 1, &fx->o), 0);
	assert_int_equal(pp__rx_input(&fx->s, &skb, 1, &nol3), 0);
	nol3 = fx->o;
	nol3.n_l3 = OUTCAP + 1; /* claims more than its room */
	assert_int_equal(pp__rx_input(&fx->s, &skb, 1, &nol3), 0);
	assert_int_equal(pp__rx_input(&fx->s, &skb, 0, &fx->o), 0);
	/* the caller kept it: nothing was counted */
	assert_int_equal(fx->stats.packets, 0);
	pp_skb_free(fx->l->cache, skb);
	assert_int_equal(pp__icmp_input(NULL, &skb, 1, &fx->o), 0);
	assert_int_equal(pp__icmp_send_unreach(&fx->s, NULL, 3, &fx->o), -EINVAL);
}

/* ---- malformed and foreign frames --------------------------------------- */

static void test_ethernet(void **state)
{
	struct fx *fx = *state;
	size_t n = udp_frame(fx, OUR_IP, PORT, 4);

	rx(fx, 13);		/* shorter than an Ethernet header */
	rx(fx, 0);
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 2);
	memcpy(fx->buf, other_mac, 6);
	rx(fx, n);		/* another host's */
	fx->buf[0] = 0x01;	/* a multicast group never joined */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_NOT_FOR_US), 2);
	udp_frame(fx, OUR_IP, PORT, 4);
	put16(fx->buf + 12, 0x86dd);	/* IPv6 */
	rx(fx, n);
	put16(fx->buf + 12, 0x8100);	/* 802.1Q */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_UNSUPPORTED), 2);
	assert_int_equal(fx->stats.packets, 6);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 6);
	assert_int_equal(fx->o.n_l3 + fx->o.n_l2, 0);
}

static void test_ipv4_header(void **state)
{
	struct fx *fx = *state;
	size_t n = udp_frame(fx, OUR_IP, PORT, 4);

	rx(fx, ETH + 19);		/* truncated header */
	fx->buf[IPO] = 0x65;		/* version 6 */
	fix_ipcsum(fx->buf);
	rx(fx, n);
	fx->buf[IPO] = 0x44;		/* ihl 4 */
	rx(fx, n);
	fx->buf[IPO] = 0x4f;		/* ihl 15: 60 bytes, more than the frame's 32 */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 4);
	udp_frame(fx, OUR_IP, PORT, 4);
	fx->buf[IPO + 10] ^= 0x01;	/* header checksum */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_BAD_CSUM), 1);
	udp_frame(fx, OUR_IP, PORT, 4);
	put16(fx->buf + IPO + 2, 19);	/* tot_len below the header */
	fix_ipcsum(fx->buf);
	rx(fx, n);
	put16(fx->buf + IPO + 2, (uint16_t)(n - ETH + 1)); /* beyond the frame */
	fix_ipcsum(fx->buf);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 6);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 0);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_addresses(void **state)
{
	struct fx *fx = *state;
	const uint32_t martians[] = {IP(0, 0, 0, 0), IP(0, 1, 2, 3), IP(127, 0, 0, 1),
				     IP(224, 0, 0, 1), IP(255, 255, 255, 255), OUR_IP};
	const uint32_t foreign[] = {IP(10, 0, 0, 9), IP(192, 168, 1, 255), IP(224, 0, 0, 1),
				    IP(10, 0, 0, 0)};
	size_t n;

	for (unsigned int i = 0; i < sizeof(martians) / sizeof(martians[0]); i++) {
		n = udp_frame(fx, OUR_IP, PORT, 4);
		memcpy(fx->buf + IPO + 12, &martians[i], 4);
		fix_ipcsum(fx->buf);
		rx(fx, n);
	}
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 6);
	for (unsigned int i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		rx(fx, udp_frame(fx, foreign[i], PORT, 4));
	assert_int_equal(drops(fx, PP_DROP_NOT_FOR_US), 4);
	/* none of them is answered */
	assert_int_equal(fx->o.n_l3, 0);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 0);
}

static void test_unknown_protocol(void **state)
{
	struct fx *fx = *state;
	size_t n = udp_frame(fx, OUR_IP, PORT, 4);
	uint8_t orig[64];

	fx->buf[IPO + 9] = 132; /* SCTP: no handler */
	fix_ipcsum(fx->buf);
	memcpy(orig, fx->buf + IPO, 28);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_UNSUPPORTED), 1);
	assert_int_equal(fx->o.n_l3, 1);
	check_unreach(fx, 0, 2 /* protocol unreachable */, orig);
	/* to a broadcast address: dropped alike, not answered */
	n = udp_frame(fx, IP(10, 0, 0, 255), PORT, 4);
	fx->buf[IPO + 9] = 47; /* GRE */
	fix_ipcsum(fx->buf);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_UNSUPPORTED), 2);
	assert_int_equal(fx->o.n_l3, 1);
}

static void test_udp_header(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	size_t n = udp_frame(fx, OUR_IP, PORT, 16);

	/* an IP payload too short for a UDP header */
	put16(fx->buf + IPO + 2, 20 + 7);
	fix_ipcsum(fx->buf);
	rx(fx, n);
	udp_frame(fx, OUR_IP, PORT, 16);
	put16(fx->buf + UDPO + 4, 7);	/* UDP length below its header */
	rx(fx, n);
	put16(fx->buf + UDPO + 4, 25);	/* one more than the IP payload */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 3);
	udp_frame(fx, OUR_IP, PORT, 16);
	fx->buf[DATAO + 3] ^= 0x40;	/* payload changed under the checksum */
	rx(fx, n);
	udp_frame(fx, OUR_IP, PORT, 16);
	fx->buf[UDPO + 7] ^= 0x01;	/* checksum itself */
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_BAD_CSUM), 2);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 0);
	uint8_t b[64];
	struct sockaddr_in from;

	assert_int_equal(recv_now(sk, b, sizeof(b), &from), -EAGAIN);
	pp_close(sk);
}

static void test_no_socket_port_unreachable(void **state)
{
	struct fx *fx = *state;
	size_t n = udp_frame(fx, OUR_IP, PORT + 1, 100);
	uint8_t orig[64];

	memcpy(orig, fx->buf + IPO, 28);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 1);
	assert_int_equal(fx->o.n_l3, 1);
	check_unreach(fx, 0, 3 /* port unreachable */, orig);
	/* broadcasts get no error (cf. __udp4_lib_rcv() / icmp_send()) */
	rx(fx, udp_frame(fx, IP(255, 255, 255, 255), PORT + 1, 10));
	rx(fx, udp_frame(fx, IP(10, 0, 0, 255), PORT + 1, 10));
	/* nor does a unicast datagram that came as a link-layer broadcast */
	n = udp_frame(fx, OUR_IP, PORT + 1, 10);
	memcpy(fx->buf, bcast_mac, 6);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 4);
	assert_int_equal(fx->o.n_l3, 1);
	/* no room for the error: counted, the datagram still dropped once */
	out_free(fx);
	fx->o.cap = 0;
	rx(fx, udp_frame(fx, OUR_IP, PORT + 1, 10));
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 5);
	assert_int_equal(fx->l->stats[PP_STAGE_ICMP].drops[PP_DROP_RING_FULL], 1);
	assert_int_equal(fx->o.n_l3, 0);
}

static void test_fragments_without_reassembly(void **state)
{
	struct fx *fx = *state;
	struct pp_reasm *r = fx->l->reasm;
	size_t n = udp_frame(fx, OUR_IP, PORT, 16);

	put16(fx->buf + IPO + 6, PP_IP_MF);
	fix_ipcsum(fx->buf);
	fx->l->reasm = NULL;
	rx(fx, n);
	fx->l->reasm = r;
	assert_int_equal(drops(fx, PP_DROP_UNSUPPORTED), 1);
	/* with reassembly the same fragment is held, not dropped */
	rx(fx, n);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 1);
	struct pp_reasm_stats rs;

	assert_int_equal(pp__reasm_stats(r, &rs), 0);
	assert_int_equal(rs.frags, 1);
}

/* The receive queue is bounded in bytes (sk_rcvbuf, whole frames charged):
 * the default 212992 takes 104 one-frame datagrams, and one more while the
 * socket is not yet over it, as Linux; never the ring. */
static void test_receive_queue_full(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	const unsigned int fit = PP_SOCK_RCVBUF_DEFAULT / PP_FRAME_2K + 1, total = fit + 20;
	struct sockaddr_in from;
	unsigned int got = 0;
	uint8_t b[64];

	for (unsigned int i = 0; i < total; i++)
		rx(fx, udp_frame(fx, OUR_IP, PORT, 8));
	assert_int_equal(drops(fx, PP_DROP_RCVQ_FULL), 20);
	while (recv_now(sk, b, sizeof(b), &from) == 8)
		got++;
	assert_int_equal(got, fit);
	pp_close(sk);
}

/* ---- boundaries --------------------------------------------------------- */

static void test_padding_trimmed(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	size_t n = udp_frame(fx, OUR_IP, PORT, 1);
	struct sockaddr_in from;
	uint8_t b[64];

	assert_int_equal(n, 43);
	memset(fx->buf + n, 0xee, PP_ETH_ZLEN - n); /* Ethernet padding to 60 */
	rx(fx, PP_ETH_ZLEN);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 1);
	check_pattern(b, 1);
	/* an empty datagram */
	rx(fx, udp_frame(fx, OUR_IP, PORT, 0));
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	pp_close(sk);
}

static void test_ttl0_options_nocsum_delivered(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	struct sockaddr_in from;
	uint8_t b[256];
	size_t n;

	/* TTL 0: for us it is delivered as Linux does (TTL is for forwarding) */
	n = udp_frame(fx, OUR_IP, PORT, 33);
	fx->buf[IPO + 8] = 0;
	fix_ipcsum(fx->buf);
	rx(fx, n);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 33);
	check_pattern(b, 33);
	assert_int_equal(from.sin_addr.s_addr, PEER);
	assert_int_equal(ntohs(from.sin_port), PEER_PORT);
	/* 8 bytes of options (ihl 7): accepted and skipped */
	put_eth(fx->buf, fx->st->mac, PP_ETH_P_IP);
	put_ip(fx->buf + IPO, 28, PP_IPPROTO_UDP, PEER, OUR_IP, 2, 0, 8 + 50);
	put_udp(fx->buf + IPO + 28, PEER, OUR_IP, PORT, 50, true);
	rx(fx, IPO + 28 + 8 + 50);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 50);
	check_pattern(b, 50);
	assert_int_equal(from.sin_addr.s_addr, PEER);
	/* checksum 0: none was computed (RFC 768), accepted */
	n = udp_frame(fx, OUR_IP, PORT, 20);
	put_udp(fx->buf + UDPO, PEER, OUR_IP, PORT, 20, false);
	rx(fx, n);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 20);
	/* an IP payload longer than the UDP length: trimmed to it */
	n = udp_frame(fx, OUR_IP, PORT, 30);
	put_ip(fx->buf + IPO, 20, PP_IPPROTO_UDP, PEER, OUR_IP, 3, 0, 8 + 30 + 10);
	rx(fx, n + 10);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 30);
	check_pattern(b, 30);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	pp_close(sk);
}

static void test_broadcasts_delivered(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	struct sockaddr_in from;
	uint8_t b[64];
	size_t n;

	n = udp_frame(fx, IP(255, 255, 255, 255), PORT, 5);
	memcpy(fx->buf, bcast_mac, 6);
	rx(fx, n);
	n = udp_frame(fx, IP(10, 0, 0, 255), PORT, 6); /* our subnet's broadcast */
	memcpy(fx->buf, bcast_mac, 6);
	rx(fx, n);
	n = udp_frame(fx, OUR_IP, PORT, 7); /* unicast IP in an L2 broadcast */
	memcpy(fx->buf, bcast_mac, 6);
	rx(fx, n);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 5);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 6);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 7);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	pp_close(sk);
}

/* ---- normal cases ------------------------------------------------------- */

static void test_udp_delivered(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	size_t n = udp_frame(fx, OUR_IP, PORT, 1472);
	struct sockaddr_in from;
	uint8_t b[2048];

	rx(fx, n);
	assert_int_equal(fx->stats.packets, 1);
	assert_int_equal(fx->stats.bytes, n);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 1472);
	check_pattern(b, 1472);
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(from.sin_addr.s_addr, PEER);
	assert_int_equal(ntohs(from.sin_port), PEER_PORT);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	assert_int_equal(fx->o.n_l3 + fx->o.n_l2, 0);
	pp_close(sk);
}

/* A 3000-byte datagram in three fragments, last first, reaches the socket whole. */
static void test_udp_reassembled_delivered(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	enum { LEN = 3000, IPPL = 8 + LEN };
	static uint8_t dgram[IPPL];
	const uint32_t cuts[][2] = {{2960, IPPL - 2960}, {1480, 1480}, {0, 1480}};
	struct pp_skb *pkts[3];
	struct sockaddr_in from;
	static uint8_t b[4000];

	put_udp(dgram, PEER, OUR_IP, PORT, LEN, true);
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t off = cuts[i][0], len = cuts[i][1];

		put_eth(fx->buf, fx->st->mac, PP_ETH_P_IP);
		put_ip(fx->buf + IPO, 20, PP_IPPROTO_UDP, PEER, OUR_IP, 0x4242,
		       (uint16_t)((i ? PP_IP_MF : 0) | off / 8), len);
		memcpy(fx->buf + IPO + 20, dgram + off, len);
		pkts[i] = skb_of(fx, fx->buf, IPO + 20 + len);
	}
	/* one burst: the first two are held, the third completes it */
	assert_int_equal(rx_burst(fx, pkts, 3, &fx->o), 3);
	assert_int_equal(fx->stats.packets, 3);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), LEN);
	check_pattern(b, LEN);
	assert_int_equal(from.sin_addr.s_addr, PEER);
	assert_int_equal(ntohs(from.sin_port), PEER_PORT);
	pp_close(sk);
}

static void test_arp_to_arp_stage(void **state)
{
	struct fx *fx = *state;
	struct pp_arp_hdr a = {
		.hrd = htons(PP_ARP_HRD_ETHER), .pro = htons(PP_ETH_P_IP), .hln = 6, .pln = 4,
		.op = htons(PP_ARP_OP_REQUEST), .spa = PEER, .tpa = OUR_IP,
	};
	const struct pp_stage_stats *as = &fx->l->stats[PP_STAGE_ARP];
	uint64_t before = as->packets;

	memcpy(a.sha, peer_mac, 6);
	memset(fx->buf, 0, PP_ETH_ZLEN);
	put_eth(fx->buf, bcast_mac, PP_ETH_P_ARP);
	memcpy(fx->buf + ETH, &a, sizeof(a));
	rx(fx, PP_ETH_ZLEN);
	assert_int_equal(as->packets, before + 1);
	assert_int_equal(fx->o.n_l2, 1);
	assert_int_equal(fx->o.n_l3, 0);
	/* the reply, a whole frame to the requester */
	assert_memory_equal(pp_skb_data(fx->o.l2[0]), peer_mac, 6);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 0);
	/* no room in l2: the ARP stage drops its reply, counted there */
	out_free(fx);
	fx->o.cap = 0;
	rx(fx, PP_ETH_ZLEN);
	assert_int_equal(as->drops[PP_DROP_RING_FULL], 1);
	assert_int_equal(fx->o.n_l2, 0);
}

/* A mixed burst: every frame is accounted for exactly once. */
static void test_mixed_burst(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	struct pp_skb *pkts[40];
	struct sockaddr_in from;
	uint8_t b[128];
	unsigned int ok = 0;

	for (unsigned int i = 0; i < 40; i++) {
		size_t n = udp_frame(fx, OUR_IP, PORT, i);

		if (i % 4 == 1)
			fx->buf[IPO + 10] ^= 0xff;	/* bad IP checksum */
		else if (i % 4 == 2)
			memcpy(fx->buf, other_mac, 6);	/* not for us */
		else
			ok++;
		pkts[i] = skb_of(fx, fx->buf, n);
	}
	assert_int_equal(rx_burst(fx, pkts, 40, &fx->o), 40);
	assert_int_equal(fx->stats.packets, 40);
	assert_int_equal(drops(fx, PP_DROP_BAD_CSUM), 10);
	assert_int_equal(drops(fx, PP_DROP_NOT_FOR_US), 10);
	for (unsigned int i = 0; i < ok; i++) {
		ssize_t r = recv_now(sk, b, sizeof(b), &from);

		assert_true(r >= 0);
		check_pattern(b, (size_t)r);
	}
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), -EAGAIN);
	pp_close(sk);
}

/*
 * Regression (the subnet broadcast address was accepted as a source, so an
 * echo request or a datagram to a closed port from it was answered to the
 * whole subnet): martian sources are dropped malformed, counted, never
 * answered; a zero source is taken only to the limited broadcast (DHCP), as
 * ip_route_input_slow() does.
 */
static void test_martian_sources(void **state)
{
	struct fx *fx = *state;
	struct pp_sock *sk = udp_sock(fx, PORT);
	const uint32_t bsub = IP(10, 0, 0, 255);
	struct sockaddr_in from;
	uint8_t b[64];
	size_t n;

	/* subnet broadcast to a closed port, to an open one, and an echo request */
	n = udp_frame(fx, OUR_IP, PORT + 1, 4);
	memcpy(fx->buf + IPO + 12, &bsub, 4);
	fix_ipcsum(fx->buf);
	rx(fx, n);
	n = udp_frame(fx, OUR_IP, PORT, 4);
	memcpy(fx->buf + IPO + 12, &bsub, 4);
	fix_ipcsum(fx->buf);
	rx(fx, n);
	put_eth(fx->buf, fx->st->mac, PP_ETH_P_IP);
	put_ip(fx->buf + IPO, 20, PP_IPPROTO_ICMP, bsub, OUR_IP, 9, 0, 8);
	memset(fx->buf + UDPO, 0, 8);
	fx->buf[UDPO] = PP_ICMP_ECHO;
	{
		uint16_t c = pp_csum(fx->buf + UDPO, 8);

		memcpy(fx->buf + UDPO + 2, &c, 2);
	}
	rx(fx, UDPO + 8);
	/* zero source to us (not the limited broadcast), and to a subnet broadcast */
	n = udp_frame(fx, OUR_IP, PORT + 1, 4);
	memset(fx->buf + IPO + 12, 0, 4);
	fix_ipcsum(fx->buf);
	rx(fx, n);
	n = udp_frame(fx, bsub, PORT, 4);
	memset(fx->buf + IPO + 12, 0, 4);
	fix_ipcsum(fx->buf);
	rx(fx, n);
	assert_int_equal(drops(fx, PP_DROP_MALFORMED), 5);
	assert_int_equal(drops(fx, PP_DROP_NO_SOCKET), 0);
	assert_int_equal(fx->o.n_l3, 0);
	assert_int_equal(fx->l->stats[PP_STAGE_ICMP].packets, 0);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), -EAGAIN);
	/* 0.0.0.0 -> 255.255.255.255 (a DHCP client): delivered */
	n = udp_frame(fx, IP(255, 255, 255, 255), PORT, 9);
	memcpy(fx->buf, bcast_mac, 6);
	memset(fx->buf + IPO + 12, 0, 4);
	fix_ipcsum(fx->buf);
	put_udp(fx->buf + UDPO, 0, IP(255, 255, 255, 255), PORT, 9, true);
	rx(fx, n);
	assert_int_equal(recv_now(sk, b, sizeof(b), &from), 9);
	assert_int_equal(from.sin_addr.s_addr, 0);
	assert_int_equal(pp_stage_stats_drops(&fx->stats), 5);
	assert_int_equal(fx->o.n_l3, 0);
	pp_close(sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ethernet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv4_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_socket_port_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_without_reassembly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_padding_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl0_options_nocsum_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcasts_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_reassembled_delivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_to_arp_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_martian_sources, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
