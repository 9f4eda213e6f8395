// SPDX-License-Identifier: MIT
/*
 * test_csum.c - Internet checksums (proto/csum.h) and how the receive stage
 * judges a UDP checksum (cf. udp4_csum_init()): in full on every link, and,
 * only on a host-internal link (veth: nic->rx_csum_partial), the
 * CHECKSUM_PARTIAL value a kernel peer with default offloads leaves in the
 * field. Regression (issue 7, defect 3): a kernel peer with default
 * settings could not send to pktpipe over veth; every datagram it sent was
 * dropped bad_csum. A genuinely wrong checksum is still dropped on both.
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

#include "proto/csum.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define PEER IP(10, 0, 0, 2)
#define PORT 7000
#define LEN 100

/* RFC 1071 the slow way: 16-bit big-endian words, 32-bit accumulator. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc; /* host order, not complemented */
}

static uint16_t ref_pseudo(uint32_t sa, uint32_t da, uint8_t proto, uint16_t len)
{
	uint8_t b[12];

	memcpy(b, &sa, 4);
	memcpy(b + 4, &da, 4);
	b[8] = 0;
	b[9] = proto;
	b[10] = (uint8_t)(len >> 8);
	b[11] = (uint8_t)len;
	return ref_sum(b, 12, 0);
}

static void test_checksum_reference(void **state)
{
	uint8_t buf[301];
	unsigned int odd = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(buf); n += 7) {
		uint16_t want = htons((uint16_t)~ref_sum(buf, n, 0));

		odd = 0;
		assert_int_equal(pp_csum_fold(pp_csum_partial(buf, n, 0, &odd)), want);
	}
}

/* What the kernel leaves in uh->check with CHECKSUM_PARTIAL, computed the
 * slow way: the folded pseudo-header sum, in network order. */
static uint16_t kernel_partial(uint32_t sa, uint32_t da, uint16_t ulen)
{
	return htons(ref_pseudo(sa, da, PP_IPPROTO_UDP, ulen));
}

static void test_partial_value(void **state)
{
	(void)state;
	for (uint32_t k = 0; k < 2000; k++) {
		uint32_t sa = htonl(0x0a000000u + k * 7919u), da = htonl(0xc0a80000u ^ k * 104729u);
		uint16_t ulen = (uint16_t)(8 + k % 1473);
		uint16_t v = kernel_partial(sa, da, ulen);

		assert_true(pp_csum_is_partial(v, sa, da, PP_IPPROTO_UDP, ulen));
		assert_false(pp_csum_is_partial((uint16_t)(v ^ 0x0100), sa, da, PP_IPPROTO_UDP, ulen));
		assert_false(pp_csum_is_partial(v, sa, da, PP_IPPROTO_UDP, (uint16_t)(ulen + 1)));
	}
}

struct fx {
	struct pp_stage_stats stats;
	struct pp_stack *st;
	struct pp_lane *l;
	struct pp_stage s;
	struct pp_skb *l3[16], *l2[16];
	struct pp_rx_out o;
	struct pp_sock *sk;
	uint8_t buf[2048];
};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_stack_opts o = {.sz = sizeof(o), .nic = "null", .ip = OUR_IP, .prefix = 24,
				   .frames_per_lane = 256, .flags = PP_STACK_F_NO_PIN};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_stack_create(&o, &fx.st), 0);
	assert_int_equal(pp_lane_attach(fx.st, 0), 0);
	fx.l = &fx.st->lanes[0];
	fx.s = (struct pp_stage){.name = "rx", .ctx = fx.l, .cache = fx.l->cache,
				 .stats = &fx.stats, .out_cap = PP_STAGE_OUT_CAP};
	fx.o = (struct pp_rx_out){.l3 = fx.l3, .l2 = fx.l2, .cap = 16};
	assert_int_equal(pp_socket(fx.st, PP_SOCK_DGRAM, 0, &fx.sk), 0);
	assert_int_equal(pp_bind(fx.sk, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp_skb_free_burst(fx->l->cache, fx->o.l3, fx->o.n_l3);
	pp_skb_free_burst(fx->l->cache, fx->o.l2, fx->o.n_l2);
	assert_int_equal(pp_close(fx->sk), 0);
	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	pp_stack_destroy(fx->st);
	return 0;
}

enum ck { CK_FULL, CK_PARTIAL, CK_WRONG, CK_CORRUPT_FULL };

/* Ethernet + IPv4 + UDP from the peer to our port, checksum as @how. */
static size_t frame(struct fx *fx, enum ck how)
{
	uint8_t *b = fx->buf, *u = b + 14 + 20;
	uint16_t ulen = 8 + LEN, c;
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .tot_len = htons(20 + ulen), .ttl = 64,
				 .protocol = PP_IPPROTO_UDP, .saddr = PEER, .daddr = OUR_IP};
	unsigned int odd = 0;

	memcpy(b, fx->st->mac, 6);
	memcpy(b + 6, "\x02\0\0\0\0\x22", 6);
	b[12] = 0x08;
	b[13] = 0x00;
	ip.check = pp_csum(&ip, 20);
	memcpy(b + 14, &ip, 20);
	u[0] = 0x15;
	u[1] = 0xb3;
	u[2] = PORT >> 8;
	u[3] = PORT & 0xff;
	u[4] = (uint8_t)(ulen >> 8);
	u[5] = (uint8_t)ulen;
	u[6] = u[7] = 0;
	for (int k = 0; k < LEN; k++)
		u[8 + k] = (uint8_t)(k * 3 + 1);
	if (how == CK_PARTIAL || how == CK_WRONG) {
		c = kernel_partial(PEER, OUR_IP, ulen);
		if (how == CK_WRONG)
			c ^= 0x0800;
	} else {
		c = pp_csum_fold(pp_csum_partial(u, ulen,
						 pp_csum_pseudo(PEER, OUR_IP, PP_IPPROTO_UDP, ulen),
						 &odd));
		if (!c)
			c = 0xffff;
		if (how == CK_CORRUPT_FULL)
			u[8 + 17] ^= 0x40; /* a bit flipped on the way */
	}
	memcpy(u + 6, &c, 2);
	return 14 + 20 + ulen;
}

/* Feed one frame; 1 if the socket got it byte-exact, 0 if it was dropped. */
static int feed(struct fx *fx, enum ck how)
{
	size_t n = frame(fx, how);
	struct pp_skb *skb = pp_skb_alloc(fx->l->cache);
	uint8_t got[LEN + 8];
	ssize_t r;

	assert_non_null(skb);
	memcpy(pp_skb_put(skb, (uint32_t)n), fx->buf, n);
	pp__lane_online();
	assert_int_equal(pp__rx_input(&fx->s, &skb, 1, &fx->o), 1);
	pp__lane_offline();
	r = pp_recv(fx->sk, got, sizeof(got), PP_MSG_DONTWAIT);
	if (r == -EAGAIN)
		return 0;
	assert_int_equal(r, LEN);
	for (int k = 0; k < LEN; k++)
		assert_int_equal(got[k], (uint8_t)(k * 3 + 1));
	return 1;
}

static void test_strict_link(void **state)
{
	struct fx *fx = *state;

	fx->st->nic->rx_csum_partial = false; /* a physical NIC */
	assert_int_equal(feed(fx, CK_FULL), 1);
	assert_int_equal(feed(fx, CK_PARTIAL), 0);
	assert_int_equal(feed(fx, CK_WRONG), 0);
	assert_int_equal(feed(fx, CK_CORRUPT_FULL), 0);
	assert_int_equal(fx->stats.drops[PP_DROP_BAD_CSUM], 3);
}

static void test_host_internal_link(void **state)
{
	struct fx *fx = *state;

	fx->st->nic->rx_csum_partial = true; /* veth: what afxdp sets for it */
	assert_int_equal(feed(fx, CK_FULL), 1);
	assert_int_equal(feed(fx, CK_PARTIAL), 1);
	/* anything else is still wrong */
	assert_int_equal(feed(fx, CK_WRONG), 0);
	assert_int_equal(feed(fx, CK_CORRUPT_FULL), 0);
	assert_int_equal(fx->stats.drops[PP_DROP_BAD_CSUM], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_reference),
		cmocka_unit_test(test_partial_value),
		cmocka_unit_test_setup_teardown(test_strict_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_internal_link, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
