// SPDX-License-Identifier: MIT
/*
 * test_retransmit.c - a segment sent again while its first transmission is
 * still on the NIC's TX ring (pktpipe/skb.h, "Retransmission"; cf.
 * tcp_transmit_skb(), which pskb_copy()s a segment whose clone is busy).
 *
 * The NIC is the wire (src/nic/wire.c) with delay= on the fake clock, opened
 * with pp__nic_open() and driven from this thread: a frame handed to xmit
 * stays on its sender's TX ring, neither received by the other end nor
 * completed, until the clock passes the delay and the other end polls; the
 * other end then copies the bytes it finds in the frame at that moment. So
 * what the peer receives for transmission #1 is what #1's frame holds when
 * #2 has been built and sent, which is the hazard a retransmission must not
 * touch.
 *
 * Each transmission is a transmit copy (pp_skb_tx_copy()) with its own
 * Ethernet/IPv4/TCP-like headers (a sequence number and an IP ID that
 * differ); the peer must receive both byte for byte, the original must be
 * unchanged, completions must hand both copies back, and every pool must be
 * full again. The regression test shows why a reference of the original
 * (pp_skb_get() and a push) cannot be a retransmission.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>

#include "core/pool.h"
#include "core/time.h"
#include "nic/nic.h"

#define PAYLOAD 1000
#define DELAY_US 100	/* as in the wire spec below */
#define HDRS (PP_ETH_HLEN + PP_IPV4_HLEN + (uint32_t)sizeof(struct tcpish))
#define FRAME (HDRS + PAYLOAD)

/* The fixed 20 bytes of a TCP header (there is no prot/tcp.h yet). */
struct tcpish {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff, flags;
	uint16_t win, check, urg;
} __attribute__((packed));

struct rt {
	struct pp_pool *pool[2];	/* 0: the sender's, 1: the peer's */
	struct pp_pool_cache *c[2];
	struct pp_nic *a, *b;		/* a sends, b receives */
	struct pp_skb *orig;		/* the segment on the write queue */
	uint8_t meta[PP_SKB_META];	/* the original as the socket left it */
	uint8_t bytes[PP_FRAME_2K];
};

static int setup(void **state)
{
	static struct rt t;
	struct pp_pool_opts o = {
		.sz = sizeof(o), .frames_per_lane = 64, .flags = PP_POOL_F_NO_HUGEPAGES,
	};

	memset(&t, 0, sizeof(t));
	pp__clock_set_fake(1000 * PP_NSEC_PER_SEC);
	for (int i = 0; i < 2; i++) {
		if (pp_pool_create(&o, &t.pool[i]))
			return -1;
		t.c[i] = pp_pool_cache(t.pool[i], 0);
	}
	/* delay applies to what a transmits; b has an RX queue, a none */
	if (pp__nic_open("wire:rtx,delay=100" /* DELAY_US */, t.pool[0], 1, 0, 0, &t.a) ||
	    pp__nic_open("wire:rtx", t.pool[1], 1, 1, 0, &t.b))
		return -1;

	/* the original: payload only, the pool's headroom reserved, metadata
	 * a transport sets, on a write queue of its own */
	t.orig = pp_skb_alloc(t.c[0]);
	if (!t.orig)
		return -1;
	uint8_t *d = pp_skb_put(t.orig, PAYLOAD);

	if (!d)
		return -1;
	for (uint32_t i = 0; i < PAYLOAD; i++)
		d[i] = (uint8_t)(i * 13 + 5);
	t.orig->hash = 0x5eed;
	t.orig->prio = 4;
	t.orig->sk = &t;
	t.orig->tstamp = pp__now_ns();
	memcpy(t.meta, (const void *)t.orig, PP_SKB_META);
	memcpy(t.bytes, (const uint8_t *)t.orig + PP_SKB_META, t.orig->end - PP_SKB_META);
	*state = &t;
	return 0;
}

/* The payload the socket queued (setup's pattern), checked on its own so
 * that a copy cannot pass by being compared with itself. */
static void payload_ok(const uint8_t *frame)
{
	for (uint32_t i = 0; i < PAYLOAD; i++)
		if (frame[HDRS + i] != (uint8_t)(i * 13 + 5))
			fail_msg("payload byte %u: %#x", i, frame[HDRS + i]);
}

/* Reap every completion of a's queue 0 into @out (up to @max). */
static unsigned int reap(struct rt *t, struct pp_skb **out, unsigned int max)
{
	unsigned int total = 0;
	uint16_t got;

	while (total < max &&
	       (got = t->a->ops->tx_complete(t->a, 0, out + total, (uint16_t)(max - total))))
		total += got;
	return total;
}

static void orig_unchanged(const struct rt *t)
{
	assert_memory_equal(t->meta, (const void *)t->orig, PP_SKB_META);
	assert_memory_equal(t->bytes, (const uint8_t *)t->orig + PP_SKB_META,
			    t->orig->end - PP_SKB_META);
}

/* Teardown: nothing left anywhere, both pools full, the real clock back. */
static int teardown(void **state)
{
	struct rt *t = *state;
	struct pp_skb *out[8];
	struct pp_pool_stats st;

	pp__nic_stop(t->a);
	pp__nic_stop(t->b);
	pp_skb_free_burst(t->c[0], out, (uint32_t)reap(t, out, 8));
	pp__nic_close(t->a);
	pp__nic_close(t->b);
	if (t->orig)
		pp_skb_free(t->c[0], t->orig); /* acknowledged */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pp_pool_stats(t->pool[i], &st), 0);
		assert_int_equal(st.in_use, 0);
		assert_int_equal(st.bad_free, 0);
		pp_pool_destroy(t->pool[i]);
	}
	pp__clock_set_fake(0);
	return 0;
}

/*
 * Build TCP, IPv4 and Ethernet in front of the payload, as the journey
 * pushes them, with contents that tell transmissions apart (the sequence
 * number, the IP ID, the TCP timestamp-like ack field). Keeps a copy of the
 * frame as it should leave in @want.
 */
static void push_headers(struct pp_skb *skb, uint32_t seq, uint16_t ip_id, uint32_t tsval,
			 uint8_t *want)
{
	const struct tcpish th = {
		.sport = htons(40000), .dport = htons(80), .seq = htonl(seq), .ack = htonl(tsval),
		.doff = 5 << 4, .flags = 0x18, .win = htons(65535),
	};
	const struct pp_ipv4_hdr ip = {
		.ver_ihl = 0x45, .tot_len = htons((uint16_t)(skb->len + HDRS - PP_ETH_HLEN)),
		.id = htons(ip_id), .ttl = 64, .protocol = 6,
		.saddr = htonl(0x0a090001), .daddr = htonl(0x0a090002),
	};
	struct pp_eth_hdr eth = {.proto = htons(0x0800)};
	uint8_t *p;

	memset(eth.dst, 0xd0, sizeof(eth.dst));
	memset(eth.src, 0x50, sizeof(eth.src));
	/* copied in, not written through a cast: the headers sit at any byte */
	p = pp_skb_push(skb, sizeof(th));
	assert_non_null(p);
	memcpy(p, &th, sizeof(th));
	skb->trans_off = pp_skb_offset(skb, p);
	p = pp_skb_push(skb, sizeof(ip));
	assert_non_null(p);
	memcpy(p, &ip, sizeof(ip));
	skb->net_off = pp_skb_offset(skb, p);
	p = pp_skb_push(skb, sizeof(eth));
	assert_non_null(p);
	memcpy(p, &eth, sizeof(eth));
	skb->mac_off = pp_skb_offset(skb, p);
	assert_int_equal(skb->len, FRAME);
	memcpy(want, pp_skb_data(skb), FRAME);
}

/* One transmission of the original: a transmit copy with its own headers,
 * handed to the wire. Return: the copy (now the NIC's). */
static struct pp_skb *transmit(struct rt *t, uint32_t seq, uint16_t ip_id, uint32_t tsval,
			       uint8_t *want)
{
	struct pp_skb *cp = pp_skb_tx_copy(t->c[0], t->orig, PP_SKB_HEADROOM);

	assert_non_null(cp);
	push_headers(cp, seq, ip_id, tsval, want);
	payload_ok(want);
	assert_int_equal(t->a->ops->xmit_burst(t->a, 0, &cp, 1), 1);
	return cp;
}

/* ---- negative first: nothing is received or completed before its time ---- */

/* The setup itself: a frame stays on a's TX ring until the delay has passed
 * and b polls, so "still in flight" below really is. */
static void test_frame_stays_on_ring(void **state)
{
	struct rt *t = *state;
	static uint8_t want[FRAME];
	struct pp_skb *cp, *out[4];

	cp = transmit(t, 1, 1, 1, want);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 0);
	assert_int_equal(reap(t, out, 4), 0);
	pp__clock_advance((DELAY_US - 1) * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 0);
	assert_int_equal(reap(t, out, 4), 0);
	pp__clock_advance(PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 1);
	assert_int_equal(out[0]->len, FRAME);
	assert_memory_equal(pp_skb_data(out[0]), want, FRAME);
	pp_skb_free(t->c[1], out[0]);
	assert_int_equal(reap(t, out, 4), 1);
	assert_ptr_equal(out[0], cp);
	pp_skb_free(t->c[0], cp);
	orig_unchanged(t);
}

/* ---- the normal case --------------------------------------------------- */

/* #2 is built and sent while #1 is still on the TX ring: the peer receives
 * each as its copy wrote it, the original is as the socket left it, and the
 * completions hand back both copies. */
static void test_retransmit_while_in_flight(void **state)
{
	struct rt *t = *state;
	static uint8_t want1[FRAME], want2[FRAME];
	struct pp_skb *cp1, *cp2, *out[4];
	struct pp_nic_stats ns;

	cp1 = transmit(t, 1000, 0x1111, 7, want1);
	pp__clock_advance(10 * PP_NSEC_PER_USEC);
	/* the RTO fires (or a dup ACK arrives) before #1 left the ring */
	assert_int_equal(reap(t, out, 4), 0);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 0);
	cp2 = transmit(t, 1000, 0x2222, 8, want2);
	assert_ptr_not_equal(cp1, cp2);
	assert_ptr_not_equal(cp1, t->orig);
	assert_ptr_not_equal(cp2, t->orig);
	assert_memory_not_equal(want1, want2, HDRS);
	assert_memory_equal(want1 + HDRS, want2 + HDRS, PAYLOAD);
	orig_unchanged(t);
	/* #1's frame on the ring still holds #1 */
	assert_memory_equal(pp_skb_data(cp1), want1, FRAME);

	pp__clock_advance(DELAY_US * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 2);
	assert_int_equal(out[0]->len, FRAME);
	assert_int_equal(out[1]->len, FRAME);
	assert_memory_equal(pp_skb_data(out[0]), want1, FRAME);
	assert_memory_equal(pp_skb_data(out[1]), want2, FRAME);
	payload_ok(pp_skb_data(out[0]));
	payload_ok(pp_skb_data(out[1]));
	pp_skb_free_burst(t->c[1], out, 2);

	assert_int_equal(reap(t, out, 4), 2);
	assert_ptr_equal(out[0], cp1);
	assert_ptr_equal(out[1], cp2);
	pp_skb_free_burst(t->c[0], out, 2);
	pp__nic_stats(t->a, &ns);
	assert_int_equal(ns.tx_packets, 2);
	assert_int_equal(ns.tx_completed, 2);
	assert_int_equal(ns.tx_bytes, 2 * FRAME);
	orig_unchanged(t);
	/* only the original is left: teardown frees it and checks the pool */
	struct pp_pool_stats st;

	pp_pool_stats(t->pool[0], &st);
	assert_int_equal(st.in_use, 1);
}

/* The ACK comes while both copies are still in flight: the original goes
 * home at once, and its frame may be reused, without touching what is on
 * the ring. */
static void test_original_acked_before_completion(void **state)
{
	struct rt *t = *state;
	static uint8_t want1[FRAME], want2[FRAME];
	struct pp_skb *cp1, *cp2, *out[4], *again;

	cp1 = transmit(t, 5000, 0x0a0a, 1, want1);
	cp2 = transmit(t, 5000, 0x0b0b, 2, want2);
	pp_skb_free(t->c[0], t->orig);
	again = pp_skb_alloc(t->c[0]);
	assert_ptr_equal(again, t->orig); /* LIFO: the same frame, reused */
	t->orig = NULL;
	uint32_t room = pp_skb_tailroom(again);

	memset(pp_skb_put(again, room), 0xee, room); /* scribbled over */

	pp__clock_advance(DELAY_US * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 2);
	assert_memory_equal(pp_skb_data(out[0]), want1, FRAME);
	assert_memory_equal(pp_skb_data(out[1]), want2, FRAME);
	pp_skb_free_burst(t->c[1], out, 2);
	assert_int_equal(reap(t, out, 4), 2);
	assert_ptr_equal(out[0], cp1);
	assert_ptr_equal(out[1], cp2);
	pp_skb_free_burst(t->c[0], out, 2);
	pp_skb_free(t->c[0], again);
}

/* Pool empty at the retransmission: no copy, nothing sent, the original as
 * it was; the retry after #1's completion works. */
static void test_retransmit_pool_empty(void **state)
{
	struct rt *t = *state;
	static uint8_t want1[FRAME], want2[FRAME];
	struct pp_skb *cp1, *cp2, *rest[64], *out[4];
	uint32_t n;

	cp1 = transmit(t, 9, 9, 9, want1);
	n = pp_skb_alloc_burst(t->c[0], rest, 64);
	assert_int_equal(n, 64 - 2);
	assert_null(pp_skb_tx_copy(t->c[0], t->orig, PP_SKB_HEADROOM));
	orig_unchanged(t);
	pp__clock_advance(DELAY_US * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 1);
	assert_memory_equal(pp_skb_data(out[0]), want1, FRAME);
	pp_skb_free(t->c[1], out[0]);
	assert_int_equal(reap(t, out, 4), 1);
	assert_ptr_equal(out[0], cp1);
	pp_skb_free(t->c[0], cp1); /* a frame came home: retry */
	cp2 = transmit(t, 9, 10, 10, want2);
	assert_ptr_equal(cp2, cp1);
	pp_skb_free_burst(t->c[0], rest, n);
	pp__clock_advance(DELAY_US * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 1);
	assert_memory_equal(pp_skb_data(out[0]), want2, FRAME);
	pp_skb_free(t->c[1], out[0]);
	assert_int_equal(reap(t, out, 4), 1);
	pp_skb_free(t->c[0], out[0]);
	orig_unchanged(t);
}

/* ---- regression: retransmitting a reference of the original ------------ */

/*
 * Defect pinned down: "in-place retransmission" - the TX path pushing its
 * headers into a reference of the original (pp_skb_get()) instead of a
 * transmit copy, as an skb whose metadata lives in its frame invites. The
 * metadata is shared, so the push moves data_off and len that the socket's
 * reference sees; and a second transmission rewrites the header bytes of
 * the first while it is still on the TX ring, so the peer receives #2's
 * headers for #1. skb.h documents this; these asserts hold the hazard, so
 * that the documentation and the code agree.
 */
static void test_regress_inplace_reuse(void **state)
{
	struct rt *t = *state;
	static uint8_t want1[FRAME], want2[FRAME];
	struct pp_skb *o = t->orig, *ref1, *ref2, *out[4];
	uint16_t off0 = o->data_off, len0 = o->len;

	/* the socket's holder sees the TX path's push */
	ref1 = pp_skb_get(o);
	assert_true(pp_skb_shared(o));
	push_headers(ref1, 1000, 0x1111, 7, want1);
	assert_int_equal(o->data_off, off0 - HDRS);
	assert_int_equal(o->len, len0 + HDRS);
	assert_int_equal(o->trans_off, off0 - sizeof(struct tcpish));
	assert_int_equal(t->a->ops->xmit_burst(t->a, 0, &ref1, 1), 1);

	/* the retransmission, in place: pull #1's headers, push #2's */
	ref2 = pp_skb_get(o);
	assert_non_null(pp_skb_pull(ref2, HDRS));
	push_headers(ref2, 1000, 0x2222, 8, want2);
	assert_int_equal(t->a->ops->xmit_burst(t->a, 0, &ref2, 1), 1);
	assert_memory_not_equal(want1, want2, HDRS);

	pp__clock_advance(DELAY_US * PP_NSEC_PER_USEC);
	assert_int_equal(t->b->ops->rx_burst(t->b, 0, t->c[1], out, 4), 2);
	/* #1 arrived with #2's headers: the hazard */
	assert_memory_not_equal(pp_skb_data(out[0]), want1, HDRS);
	assert_memory_equal(pp_skb_data(out[0]), want2, FRAME);
	assert_memory_equal(pp_skb_data(out[1]), want2, FRAME);
	pp_skb_free_burst(t->c[1], out, 2);

	/* both "completions" are the original itself; the frame stays (the
	 * socket holds it) but no longer looks like the segment it queued */
	assert_int_equal(reap(t, out, 4), 2);
	assert_ptr_equal(out[0], o);
	assert_ptr_equal(out[1], o);
	pp_skb_free_burst(t->c[0], out, 2);
	assert_false(pp_skb_shared(o));
	assert_int_equal(o->state, PP_SKB_ALLOCATED);
	assert_int_not_equal(o->data_off, off0);
	assert_memory_not_equal(t->meta, (const void *)o, PP_SKB_META);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_frame_stays_on_ring),
		T(test_retransmit_while_in_flight),
		T(test_original_acked_before_completion),
		T(test_retransmit_pool_empty),
		T(test_regress_inplace_reuse),
	};
#undef T
	return cmocka_run_group_tests_name("retransmit", tests, NULL, NULL);
}
