// SPDX-License-Identifier: MIT
/*
 * test_wire.c - the wire NIC (src/nic/wire.c): two stacks of this process
 * joined back to back, driven from the cmocka thread (it is lane 0's thread
 * of both stacks), without root.
 *
 * Negative first: bad specs are -EINVAL and leave no wire behind, a third
 * open of a name is -EBUSY. Then the NIC alone (a wire with no other end
 * completes what it is given; two ends copy frames byte for byte from one
 * pool into the other and give the sender's frames back to it; a stop hands
 * back what is still in the wire), then two stacks: UDP over ARP (also a
 * fragmented 10000-byte datagram) both ways, an ICMP echo built by hand, and
 * each impairment: loss (the same count on every run, accounting exact),
 * dup, reorder, corrupt (bad checksums counted), delay on the fake clock.
 * Every test ends with every pool full again, in either teardown order, also
 * with frames still in the wire.
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
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "nic/nic.h"
#include "proto/csum.h"
#include "proto/stack_priv.h"


#define IP_A "10.9.0.1"
#define IP_B "10.9.0.2"
#define PORT_A 5001
#define PORT_B 7000

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = ip4(ip);
	return sin;
}

#define SA(p) ((const struct sockaddr *)(p))

/* ---- the NIC alone -------------------------------------------------------- */

struct pools {
	struct pp_pool *pool[2];
	struct pp_pool_cache *c[2];
};

static void pools_make(struct pools *p)
{
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 256,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};

	for (int i = 0; i < 2; i++) {
		assert_int_equal(pp_pool_create(&o, &p->pool[i]), 0);
		p->c[i] = pp_pool_cache(p->pool[i], 0);
	}
}

static void pools_check_free(struct pools *p)
{
	for (int i = 0; i < 2; i++) {
		struct pp_pool_stats ps;

		assert_int_equal(pp_pool_stats(p->pool[i], &ps), 0);
		assert_int_equal(ps.in_use, 0);
		assert_int_equal(ps.bad_free, 0);
		pp_pool_destroy(p->pool[i]);
	}
}

static struct pp_skb *mk(struct pp_pool_cache *c, uint16_t len, uint8_t tag)
{
	struct pp_skb *skb = pp_skb_alloc(c);

	assert_non_null(skb);
	uint8_t *d = pp_skb_put(skb, len);

	assert_non_null(d);
	for (uint16_t i = 0; i < len; i++)
		d[i] = (uint8_t)(tag + i);
	return skb;
}

/* Reap every completion of @nic's queue 0 into @c; return how many. */
static unsigned int reap(struct pp_nic *nic, struct pp_pool_cache *c)
{
	struct pp_skb *out[64];
	unsigned int total = 0;
	uint16_t got;

	while ((got = nic->ops->tx_complete(nic, 0, out, 64))) {
		for (uint16_t i = 0; i < got; i++) {
			assert_null(out[i]->frag);
			assert_null(out[i]->next);
		}
		pp_skb_free_burst(c, out, got);
		total += got;
	}
	return total;
}

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {
		"wire", "wire:", "wire:,loss=1", "wire:a=b", "wire:w/x", "wire:w x",
		"wire:0123456789abcdef0123456789abcdef", /* 32 characters */
		"wire:w,", "wire:w,,loss=1", "wire:w,loss", "wire:w,loss=", "wire:w,loss=101",
		"wire:w,loss=100.0001", "wire:w,loss=-1", "wire:w,loss=1.", "wire:w,loss=.5",
		"wire:w,loss=0.12345", "wire:w,loss=1e1", "wire:w,dup=x", "wire:w,reorder=200",
		"wire:w,corrupt=50%", "wire:w,delay=-1", "wire:w,delay=60000001",
		"wire:w,delay=1.5", "wire:w,rate=0", "wire:w,rate=1000001", "wire:w,seed=",
		"wire:w,seed=18446744073709551616", "wire:w,queues=0", "wire:w,queues=257",
		"wire:w,bogus=1", "wire:w,LOSS=1",
	};
	struct pools p;
	struct pp_nic *nic = NULL;

	(void)state;
	pools_make(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = pp__nic_open(bad[i], p.pool[0], 1, 1, 0, &nic);

		if (err != -EINVAL)
			fail_msg("%s: %d, want -EINVAL", bad[i], err);
	}
	/* a refused open left no wire "w" behind: this one makes it afresh */
	assert_int_equal(pp__nic_open("wire:w,loss=0.5,seed=0,delay=0,rate=0.5,queues=1",
				      p.pool[0], 1, 1, 0, &nic), 0);
	assert_int_equal(nic->mac[5], 1);
	pp__nic_close(nic);
	/* not a wire */
	struct pp_wire_stats ws;

	assert_int_equal(pp__wire_stats(NULL, &ws), -EINVAL);
	assert_int_equal(pp__nic_open("null", p.pool[0], 1, 1, 0, &nic), 0);
	assert_int_equal(pp__wire_stats(nic, &ws), -EINVAL);
	pp__nic_close(nic);
	pools_check_free(&p);
}

static void test_third_open_busy(void **state)
{
	struct pools p;
	struct pp_nic *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	pools_make(&p);
	assert_int_equal(pp__nic_open("wire:busy", p.pool[0], 1, 1, 0, &a), 0);
	assert_int_equal(pp__nic_open("wire:busy,loss=1", p.pool[1], 1, 1, 0, &b), 0);
	assert_int_equal(pp__nic_open("wire:busy", p.pool[1], 1, 1, 0, &c), -EBUSY);
	/* distinct MACs, one per end */
	assert_memory_not_equal(a->mac, b->mac, 6);
	assert_int_equal(a->mac[0], 0x02);
	assert_int_equal(b->mac[0], 0x02);
	/* an end that closed leaves room for a new one */
	pp__nic_close(b);
	assert_int_equal(pp__nic_open("wire:busy", p.pool[1], 1, 1, 0, &c), 0);
	pp__nic_close(a);
	pp__nic_close(c);
	/* both closed: the name is free, the next open makes a new wire */
	assert_int_equal(pp__nic_open("wire:busy", p.pool[0], 1, 1, 0, &a), 0);
	assert_int_equal(a->mac[5], 1);
	pp__nic_close(a);
	pools_check_free(&p);
}

/* A wire with no other end: a cable to nothing. Frames are completed, never
 * delivered, and counted; a chain goes whole; tx_room counts descriptors. */
static void test_no_peer(void **state)
{
	struct pools p;
	struct pp_nic *a = NULL;
	struct pp_skb *skbs[3];
	struct pp_wire_stats ws;

	(void)state;
	pools_make(&p);
	assert_int_equal(pp__nic_open("wire:alone", p.pool[0], 1, 1, 0, &a), 0);
	assert_non_null(a->ops->rx_burst);
	assert_int_equal(a->ops->tx_room(a, 0), 1024);
	assert_int_equal(a->ops->tx_room(a, 1), 0); /* no such queue */
	assert_int_equal(a->ops->xmit_burst(a, 1, skbs, 1), 0);
	skbs[0] = mk(p.c[0], 60, 1);
	skbs[1] = mk(p.c[0], 60, 2);
	skbs[1]->frag = mk(p.c[0], 60, 3);
	skbs[2] = NULL; /* a NULL entry ends the burst: the caller keeps it */
	assert_int_equal(a->ops->xmit_burst(a, 0, skbs, 3), 2);
	assert_int_equal(a->ops->tx_room(a, 0), 1021);
	assert_int_equal(reap(a, p.c[0]), 3);
	assert_int_equal(a->ops->tx_room(a, 0), 1024);
	assert_int_equal(pp__wire_stats(a, &ws), 0);
	assert_int_equal(ws.sent, 3);
	assert_int_equal(ws.no_peer, 3);
	assert_int_equal(ws.delivered, 0);
	pp__nic_close(a);
	pools_check_free(&p);
}

/* Two ends at NIC level: frames cross byte for byte into the other pool;
 * the sender's own frames come back through its tx_complete. */
static void test_pair_copy(void **state)
{
	struct pools p;
	struct pp_nic *a = NULL, *b = NULL;
	struct pp_skb *skbs[2], *out[8];
	struct pp_nic_stats ns;
	struct pp_wire_stats ws;

	(void)state;
	pools_make(&p);
	assert_int_equal(pp__nic_open("wire:pair", p.pool[0], 1, 1, 0, &a), 0);
	assert_int_equal(pp__nic_open("wire:pair", p.pool[1], 1, 1, 0, &b), 0);
	skbs[0] = mk(p.c[0], 100, 10);
	skbs[1] = mk(p.c[0], 1514, 20);
	skbs[1]->frag = mk(p.c[0], 64, 30);
	assert_int_equal(a->ops->xmit_burst(a, 0, skbs, 2), 2);
	/* bad arguments receive nothing and take nothing */
	assert_int_equal(b->ops->rx_burst(b, 1, p.c[1], out, 8), 0);
	assert_int_equal(b->ops->rx_burst(b, 0, NULL, out, 8), 0);
	assert_int_equal(reap(a, p.c[0]), 0); /* nothing taken yet */
	assert_int_equal(b->ops->rx_burst(b, 0, p.c[1], out, 8), 3);
	const uint16_t lens[3] = {100, 1514, 64};
	const uint8_t tags[3] = {10, 20, 30};

	for (int i = 0; i < 3; i++) {
		const uint8_t *d = pp_skb_data(out[i]);

		assert_int_equal(out[i]->len, lens[i]);
		assert_int_equal(out[i]->mac_off, out[i]->data_off);
		assert_true((uint8_t *)out[i] >= (uint8_t *)pp_pool_region(p.pool[1], NULL));
		for (uint16_t k = 0; k < lens[i]; k++)
			assert_int_equal(d[k], (uint8_t)(tags[i] + k));
	}
	pp_skb_free_burst(p.c[1], out, 3);
	assert_int_equal(reap(a, p.c[0]), 3);
	pp__nic_stats(b, &ns);
	assert_int_equal(ns.rx_packets, 3);
	assert_int_equal(ns.rx_bytes, 100 + 1514 + 64);
	/* a frame above the receiver's MTU is dropped and counted */
	skbs[0] = mk(p.c[0], 1515, 1);
	assert_int_equal(a->ops->xmit_burst(a, 0, skbs, 1), 1);
	assert_int_equal(b->ops->rx_burst(b, 0, p.c[1], out, 8), 0);
	assert_int_equal(reap(a, p.c[0]), 1);
	assert_int_equal(pp__wire_stats(a, &ws), 0);
	assert_int_equal(ws.oversize, 1);
	/* frames still in the wire at a stop come back through tx_complete,
	 * both ways: A's that B never took, and B's that A never took */
	skbs[0] = mk(p.c[0], 60, 1);
	assert_int_equal(a->ops->xmit_burst(a, 0, skbs, 1), 1);
	skbs[0] = mk(p.c[1], 60, 2);
	assert_int_equal(b->ops->xmit_burst(b, 0, skbs, 1), 1);
	pp__nic_stop(a);
	assert_int_equal(reap(a, p.c[0]), 1);
	assert_int_equal(reap(b, p.c[1]), 1);
	assert_int_equal(pp__wire_stats(a, &ws), 0);
	assert_int_equal(ws.flushed, 1);
	/* after the stop, B sends into a cable to nothing */
	skbs[0] = mk(p.c[1], 60, 3);
	assert_int_equal(b->ops->xmit_burst(b, 0, skbs, 1), 1);
	assert_int_equal(reap(b, p.c[1]), 1);
	pp__nic_close(a);
	pp__nic_close(b);
	pools_check_free(&p);
}

/* ---- two stacks ------------------------------------------------------------ */

struct two {
	struct pp_stack *st[2];		/* A, B */
	struct pp_stack_stats *ss;
	uint8_t mac[2][6];
};

static struct pp_stack *mkstack(const char *spec, const char *ip)
{
	struct pp_stack_opts o;
	struct pp_stack *st = NULL;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = spec;
	o.ip = ip4(ip);
	o.prefix = 24;
	o.frames_per_lane = 1024;
	o.flags = PP_STACK_F_NO_PIN;
	assert_int_equal(pp_stack_create(&o, &st), 0);
	return st;
}

/* A on @spec_a, B on @spec_b; @statics: neighbours known, no ARP. */
static void two_up(struct two *t, const char *spec_a, const char *spec_b, bool statics)
{
	memset(t, 0, sizeof(*t));
	t->ss = aligned_alloc(PP_CACHE_LINE, sizeof(*t->ss));
	assert_non_null(t->ss);
	t->st[0] = mkstack(spec_a, IP_A);
	t->st[1] = mkstack(spec_b, IP_B);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pp_stack_mac(t->st[i], t->mac[i]), 0);
		assert_int_equal(pp_lane_attach(t->st[i], 0), 0);
	}
	assert_memory_not_equal(t->mac[0], t->mac[1], 6);
	if (statics) {
		assert_int_equal(pp_neigh_add(t->st[0], ip4(IP_B), t->mac[1]), 0);
		assert_int_equal(pp_neigh_add(t->st[1], ip4(IP_A), t->mac[0]), 0);
	}
}

static struct pp_stack_stats *stats_of(struct two *t, int i)
{
	assert_int_equal(pp__stack_stats_snapshot(t->st[i], t->ss), 0);
	return t->ss;
}

static void pump(struct two *t, unsigned int rounds)
{
	for (unsigned int r = 0; r < rounds; r++) {
		assert_true(pp_lane_poll(t->st[0], 0) >= 0);
		assert_true(pp_lane_poll(t->st[1], 0) >= 0);
	}
}

/* Tear stack @i down and check its pool is full again. */
static void finish_one(struct two *t, int i)
{
	struct pp_stack_stats *s;

	pp_lane_detach(t->st[i], 0);
	pp__stack_teardown(t->st[i]);
	s = stats_of(t, i);
	assert_int_equal(s->pool_bad_free, 0);
	assert_int_equal(s->pool_in_use, 0);
	assert_int_equal(s->pool_allocs, s->pool_frees);
}

static void two_down(struct two *t, int first)
{
	finish_one(t, first);
	finish_one(t, !first);
	pp_stack_destroy(t->st[0]);
	pp_stack_destroy(t->st[1]);
	free(t->ss);
	pp__clock_set_fake(0);
}

static struct pp_sock *udp_bound(struct pp_stack *st, const char *ip, uint16_t port)
{
	struct pp_sock *sk = NULL;
	struct sockaddr_in sin = sin_of(ip, port);

	assert_int_equal(pp_socket(st, PP_SOCK_DGRAM, 0, &sk), 0);
	assert_int_equal(pp_bind(sk, SA(&sin), sizeof(sin)), 0);
	return sk;
}

/* Receive on @sk, pumping both stacks, up to @rounds tries. */
static ssize_t recv_pumped(struct two *t, struct pp_sock *sk, void *buf, size_t len,
			   struct sockaddr_in *from, unsigned int rounds)
{
	socklen_t fl = sizeof(*from);
	ssize_t r = -EAGAIN;

	for (unsigned int i = 0; i < rounds && r == -EAGAIN; i++) {
		r = pp_recvfrom(sk, buf, len, PP_MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (r == -EAGAIN)
			pump(t, 1);
	}
	return r;
}

static void fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((i * 131u + seed * 7u) >> 1);
}

/* A sends to B over ARP; B receives byte-exact (also 10000 bytes, in
 * fragments); B echoes; A receives. A's entry for B ends REACHABLE. */
static void test_udp_over_arp(void **state)
{
	static uint8_t tx[10000], rx[10000];
	struct two t;
	struct sockaddr_in to_b = sin_of(IP_B, PORT_B), from;
	enum pp_neigh_state ns;
	uint8_t mac[6];

	(void)state;
	two_up(&t, "wire:udp", "wire:udp", false);
	struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
	struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);
	const size_t sizes[2] = {100, 10000};

	for (int k = 0; k < 2; k++) {
		fill(tx, sizes[k], (uint32_t)k);
		memset(rx, 0, sizeof(rx));
		assert_int_equal(pp_sendto(a, tx, sizes[k], PP_MSG_DONTWAIT, SA(&to_b),
					   sizeof(to_b)), (ssize_t)sizes[k]);
		assert_int_equal(recv_pumped(&t, b, rx, sizeof(rx), &from, 200),
				 (ssize_t)sizes[k]);
		assert_memory_equal(rx, tx, sizes[k]);
		assert_int_equal(from.sin_addr.s_addr, ip4(IP_A));
		assert_int_equal(ntohs(from.sin_port), PORT_A);
		/* B echoes to where it came from */
		assert_int_equal(pp_sendto(b, rx, sizes[k], PP_MSG_DONTWAIT, SA(&from),
					   sizeof(from)), (ssize_t)sizes[k]);
		memset(rx, 0, sizeof(rx));
		assert_int_equal(recv_pumped(&t, a, rx, sizeof(rx), &from, 200),
				 (ssize_t)sizes[k]);
		assert_memory_equal(rx, tx, sizes[k]);
		assert_int_equal(from.sin_addr.s_addr, ip4(IP_B));
	}
	/* ARP went over the wire: B answered, A's entry is B's MAC, REACHABLE */
	pp__lane_online();
	assert_int_equal(pp__neigh_lookup(t.st[0]->neigh, ip4(IP_B), &ns, mac), 0);
	pp__lane_offline();
	assert_int_equal(ns, PP_NUD_REACHABLE);
	assert_memory_equal(mac, t.mac[1], 6);
	assert_true(stats_of(&t, 1)->stage[PP_STAGE_ARP].packets >= 1);
	two_down(&t, 0);
}

/* Ping-like: an ICMP echo request built by hand and put into A's ip stage;
 * B answers it, A's ICMP input takes the reply. */
static void test_icmp_echo(void **state)
{
	struct two t;
	struct pp_lane *l;
	struct pp_skb *skb;
	struct {
		struct pp_ipv4_hdr ip;
		struct pp_icmp_hdr ih;
		uint8_t data[56];
	} req;
	uint8_t *d;

	(void)state;
	two_up(&t, "wire:ping", "wire:ping", false);
	l = &t.st[0]->lanes[0];
	skb = pp_skb_alloc(l->cache);
	assert_non_null(skb);
	/* the ip stage's input: a header template (length, ID and checksum
	 * are its job), as icmp.c's replies and udp.c's datagrams are */
	memset(&req, 0, sizeof(req));
	req.ip.ver_ihl = 0x45;
	req.ip.ttl = 64;
	req.ip.protocol = PP_IPPROTO_ICMP;
	req.ip.saddr = ip4(IP_A);
	req.ip.daddr = ip4(IP_B);
	req.ih.type = PP_ICMP_ECHO;
	req.ih.id = htons(0x4242);
	req.ih.seq = htons(1);
	fill(req.data, sizeof(req.data), 3);
	req.ih.check = pp_csum(&req.ih, sizeof(req.ih) + sizeof(req.data));
	d = pp_skb_put(skb, sizeof(req));
	assert_non_null(d);
	memcpy(d, &req, sizeof(req));
	skb->net_off = skb->data_off;
	assert_int_equal(pp_lane_attach(t.st[0], 0), 0);
	pp__lane_online();
	pp__ip_queue_xmit(l, &skb, 1);
	pp__lane_offline();
	for (int i = 0; i < 200 && stats_of(&t, 0)->stage[PP_STAGE_ICMP].packets == 0; i++)
		pump(&t, 1);
	assert_int_equal(stats_of(&t, 1)->stage[PP_STAGE_ICMP].packets, 1); /* the request */
	assert_int_equal(stats_of(&t, 0)->stage[PP_STAGE_ICMP].packets, 1); /* the reply */
	assert_int_equal(pp_stage_stats_drops(&stats_of(&t, 0)->stage[PP_STAGE_ICMP]), 0);
	two_down(&t, 1);
}

/* Send @n datagrams of @len bytes from A to B, sequence number first;
 * return how many B received, their sequence numbers in @seqs. */
static unsigned int blast(struct two *t, struct pp_sock *a, struct pp_sock *b, unsigned int n,
			  size_t len, uint32_t *seqs, unsigned int max)
{
	struct sockaddr_in to_b = sin_of(IP_B, PORT_B), from;
	uint8_t buf[1400];
	unsigned int got = 0;

	assert_true(len >= 4 && len <= sizeof(buf));
	for (uint32_t i = 0; i < n; i++) {
		fill(buf, len, i);
		memcpy(buf, &i, 4);
		assert_int_equal(pp_sendto(a, buf, len, PP_MSG_DONTWAIT, SA(&to_b), sizeof(to_b)),
				 (ssize_t)len);
	}
	pump(t, 50);
	for (;;) {
		ssize_t r = recv_pumped(t, b, buf, sizeof(buf), &from, 5);
		uint8_t want[1400];
		uint32_t s;

		if (r == -EAGAIN)
			break;
		assert_int_equal(r, (ssize_t)len);
		memcpy(&s, buf, 4);
		fill(want, len, s);
		memcpy(want, &s, 4);
		assert_memory_equal(buf, want, len);
		assert_true(got < max);
		seqs[got++] = s;
	}
	return got;
}

static void wire_stats_of(struct two *t, int i, struct pp_wire_stats *ws)
{
	assert_int_equal(pp__wire_stats(t->st[i]->nic, ws), 0);
}

/* loss=50 with a fixed seed: the same count on every run, strictly between
 * 0 and N, and sent == received + lost exactly. */
static void test_loss_deterministic(void **state)
{
	enum { N = 64 };
	uint32_t seqs[N];
	unsigned int got[2];
	struct pp_wire_stats ws;

	(void)state;
	for (int run = 0; run < 2; run++) {
		struct two t;

		two_up(&t, "wire:lossy,loss=50,seed=7", "wire:lossy", true);
		struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
		struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

		got[run] = blast(&t, a, b, N, 64, seqs, N);
		wire_stats_of(&t, 0, &ws);
		assert_int_equal(ws.sent, N);
		assert_int_equal(ws.delivered + ws.lost, N);
		assert_int_equal(ws.delivered, got[run]);
		assert_int_equal(stats_of(&t, 1)->nic_rx_packets, got[run]);
		/* B's NIC counted what the wire dropped */
		struct pp_nic_stats ns;

		pp__nic_stats(t.st[1]->nic, &ns);
		assert_int_equal(ns.rx_dropped, ws.lost);
		for (unsigned int i = 1; i < got[run]; i++)
			assert_true(seqs[i] > seqs[i - 1]); /* loss keeps order */
		two_down(&t, run);
	}
	assert_int_equal(got[0], got[1]);
	assert_true(got[0] > 0 && got[0] < N);
}

/* dup=100: every datagram arrives twice. */
static void test_dup(void **state)
{
	enum { N = 16 };
	uint32_t seqs[2 * N + 1];
	struct pp_wire_stats ws;
	struct two t;

	(void)state;
	two_up(&t, "wire:dup,dup=100", "wire:dup", true);
	struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
	struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

	assert_int_equal(blast(&t, a, b, N, 100, seqs, 2 * N + 1), 2 * N);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(seqs[2 * i], i);
		assert_int_equal(seqs[2 * i + 1], i);
	}
	wire_stats_of(&t, 0, &ws);
	assert_int_equal(ws.duplicated, N);
	assert_int_equal(ws.delivered, 2 * N);
	two_down(&t, 0);
}

/* reorder=50: the arrival order differs from the send order, nothing lost. */
static void test_reorder(void **state)
{
	enum { N = 32 };
	uint32_t seqs[N];
	bool seen[N] = {false};
	bool out_of_order = false;
	struct pp_wire_stats ws;
	struct two t;

	(void)state;
	two_up(&t, "wire:ro,reorder=50", "wire:ro", true);
	struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
	struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

	assert_int_equal(blast(&t, a, b, N, 100, seqs, N), N);
	for (unsigned int i = 0; i < N; i++) {
		assert_true(seqs[i] < N);
		assert_false(seen[seqs[i]]);
		seen[seqs[i]] = true;
		if (seqs[i] != i)
			out_of_order = true;
	}
	assert_true(out_of_order);
	wire_stats_of(&t, 0, &ws);
	assert_true(ws.reordered > 0);
	assert_int_equal(ws.delivered, N);
	two_down(&t, 1);
}

/* corrupt=100: every datagram is damaged; B drops each with a bad checksum
 * and delivers none. */
static void test_corrupt(void **state)
{
	enum { N = 20 };
	uint32_t seqs[N];
	struct pp_wire_stats ws;
	struct two t;

	(void)state;
	two_up(&t, "wire:bad,corrupt=100", "wire:bad", true);
	struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
	struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

	assert_int_equal(blast(&t, a, b, N, 1000, seqs, N), 0);
	wire_stats_of(&t, 0, &ws);
	assert_int_equal(ws.corrupted, N);
	assert_int_equal(ws.delivered, N);
	struct pp_stack_stats *s = stats_of(&t, 1);

	assert_int_equal(s->stage[PP_STAGE_RX].drops[PP_DROP_BAD_CSUM], N);
	two_down(&t, 0);
}

/* delay=1000 on the fake clock: nothing arrives before 1 ms has passed. */
static void test_delay_fake_clock(void **state)
{
	uint32_t seqs[4];
	struct pp_wire_stats ws;
	struct two t;

	(void)state;
	pp__clock_set_fake(1000 * PP_NSEC_PER_SEC);
	two_up(&t, "wire:slow,delay=1000", "wire:slow", true);
	struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
	struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

	assert_int_equal(blast(&t, a, b, 2, 100, seqs, 4), 0);
	pp__clock_advance(999 * PP_NSEC_PER_USEC);
	pump(&t, 20);
	wire_stats_of(&t, 0, &ws);
	assert_int_equal(ws.sent, 2);
	assert_int_equal(ws.delivered, 0);
	pp__clock_advance(1 * PP_NSEC_PER_USEC);
	assert_int_equal(blast(&t, a, b, 0, 100, seqs, 4), 2);
	assert_int_equal(seqs[0], 0);
	assert_int_equal(seqs[1], 1);
	two_down(&t, 0); /* sets the real clock back */
}

/* Regression: frames still in the wire at teardown must come home to their
 * own pool whichever stack goes first (both directions loaded, B never
 * polled, a datagram held back by reorder). */
static void test_teardown_frames_in_wire(void **state)
{
	(void)state;
	for (int first = 0; first < 2; first++) {
		struct sockaddr_in to_b = sin_of(IP_B, PORT_B), to_a = sin_of(IP_A, PORT_A);
		uint8_t buf[3000];
		struct two t;

		memset(buf, 0x5a, sizeof(buf));
		two_up(&t, "wire:td,reorder=50,delay=100000", "wire:td,delay=100000", true);
		struct pp_sock *a = udp_bound(t.st[0], IP_A, PORT_A);
		struct pp_sock *b = udp_bound(t.st[1], IP_B, PORT_B);

		for (int i = 0; i < 8; i++) {
			assert_int_equal(pp_sendto(a, buf, sizeof(buf), PP_MSG_DONTWAIT, SA(&to_b),
						   sizeof(to_b)), sizeof(buf));
			assert_int_equal(pp_sendto(b, buf, 100, PP_MSG_DONTWAIT, SA(&to_a),
						   sizeof(to_a)), 100);
		}
		assert_true(stats_of(&t, 0)->pool_in_use > 0);
		two_down(&t, first);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_third_open_busy),
		cmocka_unit_test(test_no_peer),
		cmocka_unit_test(test_pair_copy),
		cmocka_unit_test(test_udp_over_arp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_loss_deterministic),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_delay_fake_clock),
		cmocka_unit_test(test_teardown_frames_in_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
