// SPDX-License-Identifier: MIT
/*
 * test_tcp.c - TCP between two stacks of this process joined by the wire
 * NIC (src/nic/wire.c), driven from the cmocka thread (lane 0's thread of
 * both stacks) with non-blocking calls and pp_lane_poll() on both sides, so
 * every run is deterministic and needs no root.
 *
 * Checked: handshake, a transfer each way byte-exact, half-close and close
 * both ways (FIN both ways, TIME_WAIT on the side that closed first); a SYN
 * to a port nobody listens on gets RST (-ECONNREFUSED); transfers through
 * each impairment alone and all together (loss, duplication, reordering,
 * delay) byte-exact, with retransmissions counted; many connections opened
 * and closed; after every test both pools are full again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

#define IP_A "10.9.1.1"
#define IP_B "10.9.1.2"
#define PORT_B 8000

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

struct two {
	struct pp_stack *st[2];
	struct pp_stack_stats *ss;
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
	o.frames_per_lane = 2048;
	o.flags = PP_STACK_F_NO_PIN;
	o.tcp_timewait_ms = 50;
	assert_int_equal(pp_stack_create(&o, &st), 0);
	return st;
}

static void two_up(struct two *t, const char *spec_a, const char *spec_b)
{
	memset(t, 0, sizeof(*t));
	t->ss = aligned_alloc(PP_CACHE_LINE, sizeof(*t->ss));
	assert_non_null(t->ss);
	t->st[0] = mkstack(spec_a, IP_A);
	t->st[1] = mkstack(spec_b, IP_B);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pp_lane_attach(t->st[i], 0), 0);
}

static void pump(struct two *t, unsigned int rounds)
{
	for (unsigned int r = 0; r < rounds; r++) {
		assert_true(pp_lane_poll(t->st[0], 0) >= 0);
		assert_true(pp_lane_poll(t->st[1], 0) >= 0);
	}
}

/* Pump until @cond or @ms of real time pass. */
#define PUMP_UNTIL(t, cond, ms)                                                      \
	do {                                                                             \
		uint64_t _end = pp__mono_ns() + (uint64_t)(ms) * PP_NSEC_PER_MSEC;       \
		while (!(cond) && pp__mono_ns() < _end)                                  \
			pump((t), 1);                                                    \
	} while (0)

static void finish_one(struct two *t, int i)
{
	pp_lane_detach(t->st[i], 0);
	pp__stack_teardown(t->st[i]);
	assert_int_equal(pp__stack_stats_snapshot(t->st[i], t->ss), 0);
	assert_int_equal(t->ss->pool_bad_free, 0);
	assert_int_equal(t->ss->pool_in_use, 0);
}

static void two_down(struct two *t)
{
	finish_one(t, 0);
	finish_one(t, 1);
	pp_stack_destroy(t->st[0]);
	pp_stack_destroy(t->st[1]);
	free(t->ss);
}

static uint8_t pat(uint64_t k)
{
	return (uint8_t)(k % 251);
}

static struct pp_sock *listener(struct two *t)
{
	struct pp_sock *l = NULL;
	struct sockaddr_in sin = sin_of("0.0.0.0", PORT_B);

	assert_int_equal(pp_socket(t->st[1], PP_SOCK_STREAM | PP_SOCK_NONBLOCK, 0, &l), 0);
	assert_int_equal(pp_bind(l, SA(&sin), sizeof(sin)), 0);
	assert_int_equal(pp_listen(l, 16), 0);
	return l;
}

/* A connects to B's listener; both ends established. */
static void connect_pair(struct two *t, struct pp_sock *l, struct pp_sock **a, struct pp_sock **b)
{
	struct sockaddr_in to = sin_of(IP_B, PORT_B);
	int r = -EAGAIN;

	assert_int_equal(pp_socket(t->st[0], PP_SOCK_STREAM | PP_SOCK_NONBLOCK, 0, a), 0);
	assert_int_equal(pp_connect(*a, SA(&to), sizeof(to)), -EINPROGRESS);
	PUMP_UNTIL(t, (r = pp_accept(l, b, NULL, NULL)) != -EAGAIN, 5000);
	assert_int_equal(r, 0);
	PUMP_UNTIL(t, pp_tcp_sk(*a)->state == PP_TCP_ESTABLISHED, 5000);
	assert_int_equal(pp_tcp_sk(*a)->state, PP_TCP_ESTABLISHED);
	assert_int_equal(pp_tcp_sk(*b)->state, PP_TCP_ESTABLISHED);
}

/* Move @len bytes of the pattern from @tx to @rx, pumping; then @tx shuts
 * its side and @rx reads the end of the stream. */
static void transfer(struct two *t, struct pp_sock *tx, struct pp_sock *rx, size_t len,
		     unsigned int ms)
{
	static uint8_t buf[65536];
	size_t sent = 0, got = 0;
	uint64_t end = pp__mono_ns() + (uint64_t)ms * PP_NSEC_PER_MSEC;
	bool eof = false, shut = false;

	while (!eof && pp__mono_ns() < end) {
		if (sent < len) {
			size_t n = len - sent < sizeof(buf) ? len - sent : sizeof(buf);

			for (size_t i = 0; i < n; i++)
				buf[i] = pat(sent + i);
			ssize_t r = pp_send(tx, buf, n, PP_MSG_DONTWAIT);

			if (r > 0)
				sent += (size_t)r;
			else
				assert_int_equal(r, -EAGAIN);
		} else if (!shut) {
			assert_int_equal(pp_shutdown(tx, SHUT_WR), 0);
			shut = true;
		}
		uint8_t in[16384];
		ssize_t r = pp_recv(rx, in, sizeof(in), PP_MSG_DONTWAIT);

		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (in[i] != pat(got + (size_t)i))
					fail_msg("byte %zu: %u, expected %u", got + (size_t)i, in[i],
						 pat(got + (size_t)i));
			got += (size_t)r;
		} else if (r == 0) {
			eof = true;
		} else {
			assert_int_equal(r, -EAGAIN);
		}
		pump(t, 1);
	}
	assert_true(eof);
	assert_int_equal(got, len);
}

static uint64_t stat(struct pp_stack *st, const char *name)
{
	uint64_t v = ~0ull;

	assert_int_equal(pp_stack_stat_get(st, name, &v), 0);
	return v;
}

/* Connections in table: 0 once every one is gone. */
static unsigned long ehash_count(struct pp_stack *st)
{
	long before, after;
	unsigned long n = 0;

	pp__rcu_get();
	pp__lane_online();
	cds_lfht_count_nodes(st->tcp->ehash, &before, &n, &after);
	pp__lane_offline();
	pp__rcu_put();
	return n;
}

static void test_transfer_close(void **state)
{
	struct two t;
	struct pp_sock *l, *a, *b;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	(void)state;
	two_up(&t, "wire:tcp1", "wire:tcp1");
	l = listener(&t);
	connect_pair(&t, l, &a, &b);
	assert_int_equal(pp_getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_state, PP_TCP_ESTABLISHED);
	assert_true(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	assert_int_equal(ti.tcpi_snd_mss, 1448);
	transfer(&t, a, b, 3u << 20, 20000);	/* A -> B, then A's FIN */
	assert_int_equal(pp_tcp_sk(b)->state, PP_TCP_CLOSE_WAIT);
	transfer(&t, b, a, 1u << 20, 20000);	/* B -> A over the half-closed connection */
	/* A closed first: TIME_WAIT (50 ms here), then gone; B's FIN ACKed */
	assert_true(pp_tcp_sk(a)->state == PP_TCP_TIME_WAIT || pp_tcp_sk(a)->done);
	PUMP_UNTIL(&t, pp_tcp_sk(a)->done && pp_tcp_sk(b)->done, 2000);
	assert_int_equal(pp_tcp_sk(a)->state, PP_TCP_CLOSE);
	assert_int_equal(pp_tcp_sk(b)->state, PP_TCP_CLOSE);
	/* a clean link: nothing was sent twice */
	assert_int_equal(pp_tcp_sk(a)->total_retrans, 0);
	assert_int_equal(pp_tcp_sk(b)->total_retrans, 0);
	/* and the stack's counters say so, by name */
	assert_int_equal(stat(t.st[0], "tcp.active_opens"), 1);
	assert_int_equal(stat(t.st[0], "tcp.passive_opens"), 0);
	assert_int_equal(stat(t.st[1], "tcp.passive_opens"), 1);
	assert_int_equal(stat(t.st[0], "tcp.retrans_segs") + stat(t.st[1], "tcp.retrans_segs"), 0);
	assert_int_equal(stat(t.st[0], "tcp.rto") + stat(t.st[1], "tcp.rto"), 0);
	assert_true(stat(t.st[0], "tcp.out_segs") > (3u << 20) / 1448);
	assert_int_equal(stat(t.st[0], "tcp.out_segs"), stat(t.st[1], "tcp.in_segs"));
	assert_int_equal(pp_close(a), 0);
	assert_int_equal(pp_close(b), 0);
	PUMP_UNTIL(&t, ehash_count(t.st[0]) == 0 && ehash_count(t.st[1]) == 0, 2000);
	assert_int_equal(ehash_count(t.st[0]), 0);
	assert_int_equal(ehash_count(t.st[1]), 0);
	assert_int_equal(pp_close(l), 0);
	two_down(&t);
}

/* A SYN to a port nobody listens on gets RST: -ECONNREFUSED. */
static void test_refused(void **state)
{
	struct two t;
	struct pp_sock *a;
	struct sockaddr_in to = sin_of(IP_B, 9);
	int err = 0;
	socklen_t el = sizeof(err);

	(void)state;
	two_up(&t, "wire:tcp2", "wire:tcp2");
	assert_int_equal(pp_socket(t.st[0], PP_SOCK_STREAM | PP_SOCK_NONBLOCK, 0, &a), 0);
	assert_int_equal(pp_connect(a, SA(&to), sizeof(to)), -EINPROGRESS);
	PUMP_UNTIL(&t, pp_tcp_sk(a)->state == PP_TCP_CLOSE, 5000);
	assert_int_equal(pp_getsockopt(a, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(pp_send(a, "x", 1, PP_MSG_DONTWAIT), -EPIPE);
	assert_int_equal(pp_close(a), 0);
	two_down(&t);
}

/* Byte-exact through each impairment, and all of them at once. */
static void test_impairments(void **state)
{
	static const char *const specs[][2] = {
		{"wire:tl,loss=2", "wire:tl,loss=2"},
		{"wire:td,dup=5", "wire:td,dup=5"},
		{"wire:tr,reorder=5", "wire:tr,reorder=5"},
		{"wire:ty,delay=2000", "wire:ty,delay=2000"},
		{"wire:ta,loss=1,dup=1,reorder=2,delay=500", "wire:ta,loss=1,dup=1,reorder=2,delay=500"},
		{"wire:th,loss=15", "wire:th,loss=15"},
	};
	unsigned int rtos = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct two t;
		struct pp_sock *l, *a, *b;

		two_up(&t, specs[i][0], specs[i][1]);
		l = listener(&t);
		connect_pair(&t, l, &a, &b);
		/* the heavy-loss case moves less: it is there for the timeouts */
		uint32_t len = strstr(specs[i][0], "loss=15") ? 64u << 10 : 1u << 20;

		transfer(&t, a, b, len, 60000);
		transfer(&t, b, a, len / 4, 60000);
		if (i == 0 || i == 4)
			assert_true(pp_tcp_sk(a)->total_retrans > 0); /* loss was repaired */
		/* the per-socket and the stack's books agree (A's stack holds only A) */
		assert_int_equal(stat(t.st[0], "tcp.retrans_segs"), pp_tcp_sk(a)->total_retrans);
		assert_int_equal(stat(t.st[0], "tcp.fast_retrans"), pp_tcp_sk(a)->fast_retrans);
		assert_int_equal(stat(t.st[0], "tcp.rto"), pp_tcp_sk(a)->rto_count);
		if (i == 0) {
			/* 2% loss (the wire's loss is seeded): SACK blocks both
			 * ways (A's scoreboard, B's out-of-order queue) repair
			 * it by fast retransmit, with no timeout */
			assert_true(pp_tcp_sk(a)->fast_retrans > 0);
			assert_true(stat(t.st[0], "tcp.sack_recovery") > 0);
			assert_int_equal(stat(t.st[0], "tcp.reno_recovery"), 0);
		}
		rtos += pp_tcp_sk(a)->rto_count;
		print_message("%s: retransmits %u (fast %u, rto %u, loss probes %lu)\n", specs[i][0],
			      pp_tcp_sk(a)->total_retrans, pp_tcp_sk(a)->fast_retrans,
			      pp_tcp_sk(a)->rto_count,
			      (unsigned long)stat(t.st[0], "tcp.loss_probes"));
		assert_int_equal(pp_close(a), 0);
		assert_int_equal(pp_close(b), 0);
		assert_int_equal(pp_close(l), 0);
		two_down(&t);
	}
	assert_true(rtos > 0); /* 15% loss: retransmissions lost too, timeouts */
}

/* A SYN flood: B's SYN-ACKs never arrive (its side of the wire drops all
 * it sends), so every connection attempt stays half-open on B. The SYN
 * queue holds the backlog's worth (16) and refuses the rest, counted; B's
 * frames and table stay bounded, and everything goes back at the end. */
static void test_syn_flood(void **state)
{
	enum { N = 300 };
	static struct pp_sock *a[N];
	struct sockaddr_in to = sin_of(IP_B, PORT_B);
	struct two t;
	struct pp_sock *l;

	(void)state;
	uint8_t mac[6];

	two_up(&t, "wire:tf", "wire:tf,loss=100");
	/* B answers no ARP either: A knows its address */
	assert_int_equal(pp_stack_mac(t.st[1], mac), 0);
	assert_int_equal(pp_neigh_add(t.st[0], ip4(IP_B), mac), 0);
	l = listener(&t); /* backlog 16: 16 SYN_RECV children at most */
	for (int i = 0; i < N; i++) {
		assert_int_equal(pp_socket(t.st[0], PP_SOCK_STREAM | PP_SOCK_NONBLOCK, 0, &a[i]), 0);
		assert_int_equal(pp_connect(a[i], SA(&to), sizeof(to)), -EINPROGRESS);
		pump(&t, 1);
	}
	PUMP_UNTIL(&t, stat(t.st[1], "tcp.listen_overflows") >= N - 16, 2000);
	assert_int_equal(ehash_count(t.st[1]), 16);
	assert_true(stat(t.st[1], "tcp.listen_overflows") >= N - 16);
	assert_int_equal(stat(t.st[1], "tcp.syn_dropped"), stat(t.st[1], "tcp.listen_overflows"));
	assert_int_equal(stat(t.st[1], "tcp.passive_opens"), 16);
	assert_true(stat(t.st[1], "tcp.drops.tcp_listen_overflow") >= N - 16);
	/* B holds no frame per refused SYN: its pool use is a handful */
	assert_true(stat(t.st[1], "pool.in_use") < 64);
	for (int i = 0; i < N; i++)
		assert_int_equal(pp_close(a[i]), 0);
	assert_int_equal(pp_close(l), 0);
	two_down(&t);
}

/* Many connections one after another: each opens, moves 1 KiB, closes;
 * nothing stays behind. */
static void test_many(void **state)
{
	struct two t;
	struct pp_sock *l;

	(void)state;
	two_up(&t, "wire:tm", "wire:tm");
	l = listener(&t);
	for (int i = 0; i < 1000; i++) {
		struct pp_sock *a, *b;

		connect_pair(&t, l, &a, &b);
		transfer(&t, a, b, 1024, 5000);
		assert_int_equal(pp_close(b), 0); /* B's FIN */
		PUMP_UNTIL(&t, pp_tcp_sk(a)->fin_rcvd, 2000);
		assert_int_equal(pp_close(a), 0);
	}
	PUMP_UNTIL(&t, ehash_count(t.st[0]) == 0 && ehash_count(t.st[1]) == 0, 3000);
	assert_int_equal(ehash_count(t.st[0]), 0);
	assert_int_equal(ehash_count(t.st[1]), 0);
	assert_int_equal(pp_close(l), 0);
	two_down(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_close),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_impairments),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
