// SPDX-License-Identifier: MIT
/*
 * test_limits.c - the limits a stack runs with (proto/defaults.h, st->lim)
 * and the fields of struct pp_stack_opts that set them.
 *
 * Regression for "limits (sockets, neighbours, reassembly, queues) are magic
 * numbers spread over files, some duplicated with different values": every
 * limit now comes from one header, and the application sets them in
 * pp_stack_opts. Each field is shown to change what the stack does, an
 * out-of-range value is -EINVAL, and a caller built against the struct
 * before these fields existed still gets the defaults.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 1)
#define FRAMES 256

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};

static struct pp_stack_opts opts(void)
{
	struct pp_stack_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = OUR_IP;
	o.prefix = 24;
	o.frames_per_lane = FRAMES;
	o.flags = PP_STACK_F_NO_PIN;
	return o;
}

static struct pp_stack *up(const struct pp_stack_opts *o)
{
	struct pp_stack *st = NULL;

	assert_int_equal(pp_stack_create(o, &st), 0);
	assert_non_null(st);
	return st;
}

static uint64_t drops(struct pp_stack *st, const char *stage, unsigned int reason)
{
	char name[96];
	uint64_t v = 0;

	snprintf(name, sizeof(name), "%s.drops.%s", stage, pp_drop_reason_name(reason));
	assert_int_equal(pp_stack_stat_get(st, name, &v), 0);
	return v;
}

static void down(struct pp_stack *st)
{
	struct pp_pool_stats ps;

	pp__stack_teardown(st);
	assert_int_equal(pp_pool_stats(st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0); /* nothing leaked */
	pp_stack_destroy(st);
}

/* ---- receive side helpers (as tests/test_holds.c) ------------------------ */

struct rx {
	struct pp_lane *l;
	struct pp_skb *l3[64], *l2[64];
	struct pp_rx_out o;
	uint8_t buf[2048];
};

/* A first fragment (MF, offset 0) of datagram @id from @src, 1000 bytes of
 * UDP payload that never completes, through the lane's receive stage. */
static void first_frag(struct rx *rx, uint32_t src, uint16_t id)
{
	struct pp_lane *l = rx->l;
	uint8_t *b = rx->buf;
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .tot_len = htons(20 + 1000), .id = htons(id),
				 .frag_off = htons(0x2000), .ttl = 64, .protocol = PP_IPPROTO_UDP,
				 .saddr = src, .daddr = OUR_IP};
	struct pp_skb *skb = pp_skb_alloc(l->cache);

	assert_non_null(skb);
	memcpy(b, l->st->mac, 6);
	memcpy(b + 6, "\x02\x66\0\0\0\x02", 6);
	b[12] = 0x08;
	b[13] = 0x00;
	ip.check = pp_csum(&ip, 20);
	memcpy(b + 14, &ip, 20);
	memset(b + 34, 0x5a, 1000);
	memcpy(pp_skb_put(skb, 34 + 1000), b, 34 + 1000);
	rx->o = (struct pp_rx_out){.l3 = rx->l3, .l2 = rx->l2, .cap = 64};
	pp__rx_input(&l->s_rx, &skb, 1, &rx->o);
	assert_int_equal(rx->o.n_l3 + rx->o.n_l2, 0); /* held, nothing to answer */
}

/* ---- negative cases ------------------------------------------------------ */

struct bad {
	const char *what;
	size_t off;
	uint32_t v;
};

#define OFF(f) offsetof(struct pp_stack_opts, f)

/* Every field out of range, on either side: -EINVAL, nothing made. */
static void test_out_of_range(void **state)
{
	static const struct bad bad[] = {
		{"neigh_max", OFF(neigh_max), PP_NEIGH_MAX_ENTRIES + 1},
		{"neigh_max", OFF(neigh_max), UINT32_MAX},
		{"unres_qlen_bytes", OFF(neigh_unres_qlen_bytes), PP_FRAME_2K - 1},
		{"unres_qlen_bytes", OFF(neigh_unres_qlen_bytes), (uint32_t)INT32_MAX + 1},
		{"reasm_max_bytes", OFF(reasm_max_bytes), PP_REASM_MIN_BYTES - 1},
		{"reasm_max_bytes", OFF(reasm_max_bytes), PP_REASM_MAX_BYTES + 1},
		{"reasm_timeout_ms", OFF(reasm_timeout_ms), 3600 * 1000 + 1},
		{"reasm_timeout_ms", OFF(reasm_timeout_ms), UINT32_MAX},
		{"rcvbuf_default", OFF(rcvbuf_default), PP_SOCK_RCVBUF_MIN - 1},
		{"rcvbuf_default", OFF(rcvbuf_default), 2 * PP_SOCK_RMEM_MAX + 1},
		{"sndbuf_default", OFF(sndbuf_default), PP_SOCK_SNDBUF_MIN - 1},
		{"sndbuf_default", OFF(sndbuf_default), 2 * PP_SOCK_WMEM_MAX + 1},
		{"qdisc_limit", OFF(qdisc_limit), PP_TXQ_LIMIT_PKTS_MAX + 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pp_stack_opts o = opts();
		struct pp_stack *st = NULL;

		memcpy((char *)&o + bad[i].off, &bad[i].v, sizeof(uint32_t));
		print_message("%s = %u\n", bad[i].what, bad[i].v);
		assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
		assert_null(st);
	}
}

/* ---- boundaries ---------------------------------------------------------- */

/* The edges of every range are accepted and kept as given. */
static void test_edges_accepted(void **state)
{
	struct pp_stack_opts o = opts();
	struct pp_stack *st;

	(void)state;
	o.neigh_max = 1;
	o.neigh_unres_qlen_bytes = PP_FRAME_2K;
	o.reasm_max_bytes = PP_REASM_MIN_BYTES;
	o.reasm_timeout_ms = 3600 * 1000;
	o.rcvbuf_default = PP_SOCK_RCVBUF_MIN;
	o.sndbuf_default = PP_SOCK_SNDBUF_MIN;
	o.qdisc_limit = PP_TXQ_LIMIT_PKTS_MAX;
	st = up(&o);
	assert_int_equal(st->lim.neigh_max, 1);
	assert_int_equal(st->lim.neigh_gc_thresh2, 1);
	assert_int_equal(st->lim.neigh_gc_thresh1, 1);
	assert_int_equal(st->lim.neigh_unres_qlen_bytes, PP_FRAME_2K);
	assert_int_equal(st->lim.reasm_max_bytes, PP_REASM_MIN_BYTES);
	assert_true(st->lim.reasm_timeout_ns == 3600 * PP_NSEC_PER_SEC);
	assert_int_equal(st->lim.rcvbuf_default, PP_SOCK_RCVBUF_MIN);
	assert_int_equal(st->lim.sndbuf_default, PP_SOCK_SNDBUF_MIN);
	assert_int_equal(st->lim.qdisc_limit, PP_TXQ_LIMIT_PKTS_MAX);
	/* a new socket gets them (cf. sock_init_data(): sysctl_rmem_default) */
	{
		struct pp_sock *sk;
		int v = 0;
		socklen_t len = sizeof(v);

		assert_int_equal(pp_socket(st, PP_SOCK_DGRAM, 0, &sk), 0);
		assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
		assert_int_equal(v, PP_SOCK_RCVBUF_MIN);
		assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
		assert_int_equal(v, PP_SOCK_SNDBUF_MIN);
		assert_int_equal(pp_close(sk), 0);
	}
	down(st);

	o = opts();
	o.rcvbuf_default = 2 * PP_SOCK_RMEM_MAX;
	o.sndbuf_default = 2 * PP_SOCK_WMEM_MAX;
	st = up(&o);
	assert_int_equal(st->lim.rcvbuf_default, 2 * PP_SOCK_RMEM_MAX);
	assert_int_equal(st->lim.sndbuf_default, 2 * PP_SOCK_WMEM_MAX);
	down(st);
}

/* Reassembly stays within the lane's share (1/8 of its frame bytes),
 * whatever is asked: a larger value is lowered to it, a smaller one kept. */
static void test_reasm_within_share(void **state)
{
	struct pp_stack_opts o = opts();
	uint32_t share = FRAMES * PP_FRAME_2K / PP_HOLD_REASM_DIV;
	struct pp_stack *st;

	(void)state;
	o.reasm_max_bytes = PP_REASM_MAX_BYTES;
	st = up(&o);
	assert_int_equal(st->lim.reasm_max_bytes, share);
	down(st);
	o.reasm_max_bytes = share - PP_FRAME_2K;
	st = up(&o);
	assert_int_equal(st->lim.reasm_max_bytes, share - PP_FRAME_2K);
	down(st);
}

/* A program built before the limit fields existed: its struct ends at
 * flags; what lies past its sz (garbage here) is not read, the limits are
 * the defaults. */
static void test_older_struct_defaults(void **state)
{
	struct pp_stack_opts o = opts();
	struct pp_stack *st;

	(void)state;
	o.sz = offsetof(struct pp_stack_opts, neigh_max);
	o.neigh_max = UINT32_MAX;
	o.neigh_unres_qlen_bytes = 1;
	o.reasm_max_bytes = 1;
	o.reasm_timeout_ms = UINT32_MAX;
	o.rcvbuf_default = 1;
	o.sndbuf_default = 1;
	st = up(&o);
	assert_int_equal(st->lim.neigh_max, PP_NEIGH_GC_THRESH3);
	assert_int_equal(st->lim.neigh_gc_thresh2, PP_NEIGH_GC_THRESH2);
	assert_int_equal(st->lim.neigh_gc_thresh1, PP_NEIGH_GC_THRESH1);
	assert_int_equal(st->lim.neigh_unres_qlen, PP_NEIGH_UNRES_QLEN);
	assert_int_equal(st->lim.neigh_unres_qlen_bytes, PP_NEIGH_UNRES_QLEN_BYTES);
	/* ipfrag_high_thresh (4 MiB) is above this lane's share */
	assert_int_equal(st->lim.reasm_max_bytes, FRAMES * PP_FRAME_2K / PP_HOLD_REASM_DIV);
	assert_true(st->lim.reasm_timeout_ns == PP_REASM_TIMEOUT_NS);
	assert_int_equal(st->lim.qdisc_limit, PP_TXQ_LIMIT_PKTS);
	assert_int_equal(st->lim.dev_ring, PP_DEV_RING);
	assert_int_equal(st->lim.rcvbuf_default, PP_SOCK_RCVBUF_DEFAULT);
	assert_int_equal(st->lim.sndbuf_default, PP_SOCK_SNDBUF_DEFAULT);
	assert_int_equal(st->lim.icmp_msgs_per_sec, PP_ICMP_MSGS_PER_SEC);
	assert_int_equal(st->lim.icmp_msgs_burst, PP_ICMP_MSGS_BURST);
	/* and the device layer built its rings from them */
	assert_int_equal(pp_ring_capacity(st->dev.lanes[0].r_txq[0]), PP_DEV_RING);
	down(st);
}

/* ---- each field changes behaviour ---------------------------------------- */

/* neigh_max (gc_thresh3) = 2: a third static neighbour finds the table full
 * of PERMANENT entries, which nothing may evict. */
static void test_neigh_max(void **state)
{
	struct pp_stack_opts o = opts();
	struct pp_stack *st;

	(void)state;
	o.neigh_max = 2;
	st = up(&o);
	assert_int_equal(pp_neigh_add(st, IP(10, 0, 0, 2), mac_a), 0);
	assert_int_equal(pp_neigh_add(st, IP(10, 0, 0, 3), mac_a), 0);
	assert_int_equal(pp_neigh_add(st, IP(10, 0, 0, 4), mac_a), -ENOBUFS);
	/* deleting one makes room again */
	assert_int_equal(pp_neigh_del(st, IP(10, 0, 0, 2)), 0);
	assert_int_equal(pp_neigh_add(st, IP(10, 0, 0, 4), mac_a), 0);
	down(st);

	/* the default table takes them all */
	o.neigh_max = 0;
	st = up(&o);
	for (int i = 2; i < 10; i++)
		assert_int_equal(pp_neigh_add(st, IP(10, 0, 0, i), mac_a), 0);
	down(st);
}

/* Datagrams to a next hop that never answers ARP wait on its pending queue
 * within neigh_unres_qlen_bytes: one frame's worth holds one datagram, the
 * next ones push the oldest out (neigh_queue_full). */
static unsigned int unresolved_sends(uint32_t unres_bytes, uint64_t *dropped)
{
	struct pp_stack_opts o = opts();
	struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9),
				.sin_addr.s_addr = IP(10, 0, 0, 9)};
	static const uint8_t payload[100];
	struct pp_stack *st;
	struct pp_sock *sk;
	unsigned int sent = 0;

	o.neigh_unres_qlen_bytes = unres_bytes;
	st = up(&o);
	assert_int_equal(pp_socket(st, PP_SOCK_DGRAM, 0, &sk), 0);
	for (int i = 0; i < 4; i++)
		if (pp_sendto(sk, payload, sizeof(payload), 0, (struct sockaddr *)&d, sizeof(d)) ==
		    (ssize_t)sizeof(payload))
			sent++;
	assert_true(pp_lane_poll(st, 0) >= 0);
	*dropped = drops(st, "neigh", PP_DROP_NEIGH_QUEUE_FULL);
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(pp_lane_detach(st, 0), 0);
	down(st);
	return sent;
}

static void test_neigh_unres_qlen_bytes(void **state)
{
	uint64_t dropped;

	(void)state;
	assert_int_equal(unresolved_sends(PP_FRAME_2K, &dropped), 4);
	assert_int_equal(dropped, 3);
	assert_int_equal(unresolved_sends(0, &dropped), 4);
	assert_int_equal(dropped, 0);
}

/* reasm_max_bytes = two frames: a third datagram's first fragment evicts the
 * oldest one held (frag_overflow); the default share holds all three. */
static uint64_t frags_overflowed(uint32_t max_bytes)
{
	static struct rx rx;
	struct pp_stack_opts o = opts();
	struct pp_stack *st;
	uint64_t n;

	o.reasm_max_bytes = max_bytes;
	st = up(&o);
	assert_int_equal(pp_lane_attach(st, 0), 0);
	rx.l = &st->lanes[0];
	pp__lane_online();
	for (uint16_t id = 1; id <= 3; id++)
		first_frag(&rx, IP(10, 0, 0, 7), id);
	pp__lane_offline();
	n = drops(st, "rx", PP_DROP_FRAG_OVERFLOW);
	assert_int_equal(pp_lane_detach(st, 0), 0);
	down(st);
	return n;
}

static void test_reasm_max_bytes(void **state)
{
	(void)state;
	assert_int_equal(frags_overflowed(2 * PP_FRAME_2K), 1);
	assert_int_equal(frags_overflowed(0), 0);
}

/* reasm_timeout_ms = 100: a datagram that never completes goes after 100 ms
 * (frag_timeout), not after ipfrag_time's 30 s. */
static uint64_t frags_timed_out(uint32_t timeout_ms)
{
	static struct rx rx;
	struct pp_stack_opts o = opts();
	struct pp_stack *st;
	uint64_t n;

	o.reasm_timeout_ms = timeout_ms;
	pp__clock_set_fake(1000 * PP_NSEC_PER_SEC);
	st = up(&o);
	assert_int_equal(pp_lane_attach(st, 0), 0);
	rx.l = &st->lanes[0];
	pp__lane_online();
	first_frag(&rx, IP(10, 0, 0, 7), 1);
	pp__clock_advance(200 * PP_NSEC_PER_MSEC);
	pp__reasm_tick(rx.l->reasm, &rx.l->s_rx, pp__now_ns());
	pp__lane_offline();
	n = drops(st, "rx", PP_DROP_FRAG_TIMEOUT);
	assert_int_equal(pp_lane_detach(st, 0), 0);
	down(st);
	pp__clock_set_fake(0);
	return n;
}

static void test_reasm_timeout_ms(void **state)
{
	(void)state;
	assert_int_equal(frags_timed_out(100), 1);
	assert_int_equal(frags_timed_out(0), 0);
}

/* qdisc_limit reaches the TX queues (its effect on traffic: test_stack's and
 * test_sock's small-qdisc cases); rcvbuf/sndbuf defaults reach st->lim, where
 * the socket layer reads them. */
static void test_qdisc_and_buffers(void **state)
{
	struct pp_stack_opts o = opts();
	struct pp_stack *st;

	(void)state;
	o.qdisc_limit = 8;
	o.rcvbuf_default = 65536;
	o.sndbuf_default = 131072;
	st = up(&o);
	assert_int_equal(st->lim.qdisc_limit, 8);
	assert_int_equal(st->lim.rcvbuf_default, 65536);
	assert_int_equal(st->lim.sndbuf_default, 131072);
	down(st);
}

/* The send buffer is sized in frames as well (defaults.h): a quarter of the
 * lane's frames unless that is below wmem_default; SO_SNDBUF's clamp grows
 * with it, and an opts value past twice the clamp is refused. */
static void test_sndbuf_in_frames(void **state)
{
	struct pp_stack_opts o = opts();
	struct pp_stack *st;

	(void)state;
	o.frames_per_lane = 4096;
	st = up(&o);
	assert_int_equal(st->lim.sndbuf_default, 4096 * PP_FRAME_2K / PP_SOCK_SND_SHARE_DIV);
	assert_int_equal(st->lim.wmem_max, st->lim.sndbuf_default / 2);
	down(st);
	o.sndbuf_default = 4096 * PP_FRAME_2K / PP_SOCK_SND_SHARE_DIV + 1;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	/* a small lane: Linux's figures */
	o = opts();
	st = up(&o);
	assert_int_equal(st->lim.sndbuf_default, PP_SOCK_SNDBUF_DEFAULT);
	assert_int_equal(st->lim.wmem_max, PP_SOCK_WMEM_MAX);
	down(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_edges_accepted),
		cmocka_unit_test(test_reasm_within_share),
		cmocka_unit_test(test_older_struct_defaults),
		cmocka_unit_test(test_neigh_max),
		cmocka_unit_test(test_neigh_unres_qlen_bytes),
		cmocka_unit_test(test_reasm_max_bytes),
		cmocka_unit_test(test_reasm_timeout_ms),
		cmocka_unit_test(test_qdisc_and_buffers),
		cmocka_unit_test(test_sndbuf_in_frames),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
