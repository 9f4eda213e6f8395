// SPDX-License-Identifier: MIT
/*
 * test_sock.c - the socket layer and the UDP journey behind it, through the
 * public API only (pktpipe/stack.h, pktpipe/sock.h): sock.c, udp.c, ip_out.c
 * and the lane runtime, with the neighbour, qdisc and NIC underneath (cf. the
 * kernel's sock_sendmsg() -> udp_sendmsg() -> ip_output() -> neigh_output()
 * -> __dev_queue_xmit()).
 *
 * Negative cases first (every bad argument gets its errno and sends
 * nothing), then the journey's early exits, each of which must free the
 * packet and count it: no route, a neighbour that never answers, a pool run
 * dry by held packets (which must then leave in order), a qdisc over its
 * limit in front of a slow driver. Then what reaches the wire: an iovec cut
 * in odd pieces gives the same bytes as one buffer, and tshark finds every
 * UDP checksum good, including odd lengths, fragments and a payload whose
 * checksum computes to 0 (sent as 0xffff, RFC 768). Last, the receive
 * side fed through the rx stage: a socket holds what its rcvbuf admits in
 * bytes (pp_sock_set_rcvbuf(), as SO_RCVBUF), the lane bounds all its
 * sockets together, and recvmsg cuts a long datagram with MSG_TRUNC.
 *
 * Every test ends with the stack torn down (pp__stack_teardown) and the pool
 * full again: allocated == freed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/pool.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

/* frames up to 4 KiB: the tests here also run 4 KiB frames */
#define STACK_FX_FRAME_ROOM PP_FRAME_4K
#include "stack_fixture.h"

#define GW_IP "198.18.0.254"

static const uint8_t gw_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};

/* tshark's checksum status (enum proto_checksum_enum_e): 1 good, 3 absent */
#define TS_CSUM_GOOD 1
#define TS_CSUM_NOT_PRESENT 3

/* ---- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
	return stack_fx_setup(state, "pp_sock");
}

static uint64_t drops_of(const struct pp_stack_stats *s, unsigned int stage, unsigned int why)
{
	return s->stage[stage].drops[why];
}

/* Drops of reason @why summed over every stage. */
static uint64_t drops_why(const struct pp_stack_stats *s, unsigned int why)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < PP_STAGE_MAX; i++)
		n += s->stage[i].drops[why];
	return n;
}

static void bind_port(struct pp_sock *sk, uint16_t port)
{
	struct sockaddr_in sin = sin_of(OUR_IP, port);

	assert_int_equal(pp_bind(sk, SA(&sin), sizeof(sin)), 0);
}

/* Payload with a big-endian sequence number in front and a pattern after. */
static void fill_payload(uint8_t *p, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7u + i * 13u + 1u);
	if (len >= 4) {
		uint32_t be = htonl(seq);

		memcpy(p, &be, 4);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- reading what went out ---------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool frame_is_udp(const struct frame *f)
{
	return f->len >= PP_ETH_HLEN + PP_IPV4_HLEN && rd16(f->b + 12) == PP_ETH_P_IP &&
	       f->b[PP_ETH_HLEN + 9] == PP_IPPROTO_UDP;
}

static bool frame_is_arp(const struct frame *f)
{
	return f->len >= PP_ETH_HLEN && rd16(f->b + 12) == PP_ETH_P_ARP;
}

/* Payload of an unfragmented UDP frame. */
static const uint8_t *udp_payload(const struct frame *f, uint16_t *len)
{
	const uint8_t *udp = f->b + PP_ETH_HLEN + PP_IPV4_HLEN;

	*len = (uint16_t)(rd16(udp + 4) - PP_UDP_HLEN);
	return udp + PP_UDP_HLEN;
}

static uint32_t udp_seq(const struct frame *f)
{
	uint16_t len;
	const uint8_t *p = udp_payload(f, &len);

	assert_true(len >= 4);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * tshark over the fixture's file with IPv4 and UDP checksum validation on:
 * fields @fields ("-e a -e b") of the frames matching @filter, one line per
 * frame into @lines (at most @max). Fails the test if tshark fails.
 */
static unsigned int tshark_lines(struct fx *fx, const char *filter, const char *fields,
				 char (*lines)[256], unsigned int max)
{
	char cmd[1024], errf[160], buf[512];
	unsigned int n = 0;
	FILE *f;
	int rc;

	snprintf(errf, sizeof(errf), "%s/tshark.err", fx->dir);
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-T fields -E separator=/s -E occurrence=f -Y '%s' %s 2>'%s'",
		 fx->pcap, filter, fields, errf);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		if (n < max) {
			buf[strcspn(buf, "\n")] = '\0';
			buf[sizeof(lines[n]) - 1] = '\0'; /* longer lines are cut */
			memcpy(lines[n], buf, strlen(buf) + 1);
		}
		n++;
	}
	rc = pclose(f);
	if (rc != 0) {
		FILE *e = fopen(errf, "r");

		while (e && fgets(buf, sizeof(buf), e))
			print_message("tshark: %s", buf);
		if (e)
			fclose(e);
		unlink(errf);
		fail_msg("tshark exited with status %d", rc);
	}
	unlink(errf);
	assert_true(n <= max);
	return n;
}

/* ---- negative cases: stack options -------------------------------------- */

static void test_create_bad_opts(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o;
	struct pp_stack *st = NULL;
	char spec[256];

	o = opts_default();
	assert_int_equal(pp_stack_create(NULL, &st), -EINVAL);
	assert_int_equal(pp_stack_create(&o, NULL), -EINVAL);
	o.sz = sizeof(size_t) - 1; /* cannot hold sz (smaller is fine: test_opts) */
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.flags = PP_STACK_F_ALL + 1;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.flags = 0x80000000u;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.nlanes = PP_LANES_MAX + 1;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.ntxq = PP_TXQ_MAX + 1;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.ip = 0;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.prefix = 33;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.placement = PP_PLACE_SPLIT + 1;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.mtu = 10;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o.mtu = 67; /* one below the IPv4 minimum */
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o.mtu = 2000; /* a 2000-byte packet does not fit a 2 KiB frame's room */
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.frame_size = 3000;
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.ncpus = 1; /* and no cpus[] */
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	o = opts_default();
	o.nic = "nope";
	assert_int_equal(pp_stack_create(&o, &st), -ENOENT);
	o.nic = "null:txring=3";
	assert_int_equal(pp_stack_create(&o, &st), -EINVAL);
	snprintf(spec, sizeof(spec), "pcap:%s/no/such/dir.pcap", fx->dir);
	o.nic = spec;
	assert_int_equal(pp_stack_create(&o, &st), -ENOENT);
	assert_null(st);
}

/* The extremes that are allowed: MTU 68, 4 KiB frames with a 3000 MTU, and
 * PP_LANES_MAX lanes; each stack comes up and goes down without a leak. */
static void test_create_boundaries(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();

	o.mtu = 68;
	o.frames_per_lane = 64;
	stack_up(fx, &o);
	assert_int_equal(pp_udp_max_payload(NULL), -EINVAL);
	stack_finish(fx);
	pp_stack_destroy(fx->st);
	fx->st = NULL;

	o = opts_default();
	o.frame_size = PP_FRAME_4K;
	o.mtu = 3000;
	o.frames_per_lane = 64;
	stack_up(fx, &o);
	stack_finish(fx);
	pp_stack_destroy(fx->st);
	fx->st = NULL;

	o = opts_default();
	o.nlanes = PP_LANES_MAX;
	o.frames_per_lane = PP_BURST;
	stack_up(fx, &o);
	assert_int_equal(stats(fx)->nlanes, PP_LANES_MAX);
	assert_int_equal(fx->ss->ntxq, PP_LANES_MAX);
	assert_int_equal(fx->ss->pool_nframes, PP_LANES_MAX * PP_BURST);
}

/* ---- negative cases: sockets -------------------------------------------- */

static void test_socket_bad(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	/* no fixed cap (the array of 1024 is gone): 3000 sockets, each bound
	 * to its own port, every port found in the UDP table */
	enum { NSOCKS = 3000 };
	static struct pp_sock *socks[NSOCKS];
	struct pp_sock *sk = NULL;

	stack_up(fx, &o);
	assert_int_equal(pp_socket(NULL, PP_SOCK_DGRAM, 0, &sk), -EINVAL);
	assert_int_equal(pp_socket(fx->st, PP_SOCK_DGRAM, 1, &sk), -EINVAL); /* one lane */
	assert_int_equal(pp_socket(fx->st, PP_SOCK_DGRAM, 0, NULL), -EINVAL);
	assert_int_equal(pp_socket(fx->st, 3 /* SOCK_RAW */, 0, &sk), -EPROTONOSUPPORT);
	assert_int_equal(pp_socket(fx->st, 99, 0, &sk), -EPROTONOSUPPORT);
	assert_int_equal(pp_socket(fx->st, 0, 0, &sk), -EPROTONOSUPPORT);
	assert_null(sk);

	for (unsigned int i = 0; i < NSOCKS; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + i))};

		socks[i] = sock_new(fx, 0);
		assert_int_equal(pp_bind(socks[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	sk = sock_new(fx, 0);
	for (unsigned int i = 0; i < NSOCKS; i += 97) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + i))};

		assert_int_equal(pp_bind(sk, (struct sockaddr *)&a, sizeof(a)), -EADDRINUSE);
	}
	/* a close frees the port */
	assert_int_equal(pp_close(socks[17]), 0);
	{
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(20017)};

		assert_int_equal(pp_bind(sk, (struct sockaddr *)&a, sizeof(a)), 0);
		socks[17] = sk;
	}
	for (unsigned int i = 0; i < NSOCKS; i++)
		assert_int_equal(pp_close(socks[i]), 0);
	assert_int_equal(pp_close(NULL), -EINVAL);
	assert_int_equal(pp_close(socks[0]), -EBADF);
}

static void test_bind_bad(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in sin = sin_of(OUR_IP, 4000), any = sin_of("0.0.0.0", 4000);
	struct sockaddr_in foreign = sin_of("198.18.0.7", 4000), eph = sin_of(OUR_IP, 0);
	struct sockaddr_in6 six;
	struct pp_sock *a, *b;

	stack_up(fx, &o);
	a = sock_new(fx, 0);
	b = sock_new(fx, 0);
	memset(&six, 0, sizeof(six));
	six.sin6_family = AF_INET6;
	six.sin6_port = htons(4000);

	assert_int_equal(pp_bind(NULL, SA(&sin), sizeof(sin)), -EINVAL);
	assert_int_equal(pp_bind(a, NULL, sizeof(sin)), -EINVAL);
	assert_int_equal(pp_bind(a, SA(&sin), sizeof(sin) - 1), -EINVAL);
	/* as inet_bind(): a foreign family is -EAFNOSUPPORT */
	assert_int_equal(pp_bind(a, SA(&six), sizeof(six)), -EAFNOSUPPORT);
	assert_int_equal(pp_bind(a, SA(&foreign), sizeof(foreign)), -EADDRNOTAVAIL);
	/* none of the failures bound anything */
	assert_int_equal(pp_bind(a, SA(&sin), sizeof(sin)), 0);
	assert_int_equal(pp_bind(a, SA(&sin), sizeof(sin)), -EINVAL);	/* twice */
	assert_int_equal(pp_bind(a, SA(&eph), sizeof(eph)), -EINVAL);	/* twice */
	assert_int_equal(pp_bind(b, SA(&sin), sizeof(sin)), -EADDRINUSE);
	assert_int_equal(pp_bind(b, SA(&any), sizeof(any)), -EADDRINUSE);
	/* port 0: an ephemeral port, then the socket is bound */
	assert_int_equal(pp_bind(b, SA(&eph), sizeof(eph)), 0);
	assert_int_equal(pp_bind(b, SA(&any), sizeof(any)), -EINVAL);
	/* closing frees the port */
	assert_int_equal(pp_close(a), 0);
	assert_int_equal(pp_bind(a, SA(&sin), sizeof(sin)), -EBADF);
	a = sock_new(fx, 0);
	assert_int_equal(pp_bind(a, SA(&any), sizeof(any)), 0);
	assert_int_equal(pp_close(a), 0);
	assert_int_equal(pp_close(b), 0);
	assert_int_equal(stats(fx)->stage[PP_STAGE_UDP].packets, 0);
}

static void test_sendto_bad(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000), port0 = sin_of(PEER_IP, 0);
	struct sockaddr_in any = sin_of("0.0.0.0", 5000);
	struct sockaddr_in6 six;
	static uint8_t big[PP_UDP_MAX_PAYLOAD + 1];
	struct iovec iov[2];
	struct msghdr msg;
	struct pp_sock *sk;
	struct pp_stack_stats *s;

	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	memset(&six, 0, sizeof(six));
	six.sin6_family = AF_INET6;
	six.sin6_port = htons(5000);

	assert_int_equal(pp_sendto(NULL, big, 10, 0, SA(&dst), sizeof(dst)), -EINVAL);
	assert_int_equal(pp_sendto(sk, big, 10, 0x1, SA(&dst), sizeof(dst)), -EINVAL);
	assert_int_equal(pp_sendto(sk, big, 10, PP_MSG_ALL + 1, SA(&dst), sizeof(dst)), -EINVAL);
	assert_int_equal(pp_sendto(sk, NULL, 10, 0, SA(&dst), sizeof(dst)), -EINVAL);
	assert_int_equal(pp_sendto(sk, big, 10, 0, SA(&dst), sizeof(dst) - 1), -EINVAL);
	assert_int_equal(pp_send(sk, big, 10, 0), -EDESTADDRREQ);
	assert_int_equal(pp_sendto(sk, big, 10, 0, SA(&six), sizeof(six)), -EAFNOSUPPORT);
	assert_int_equal(pp_sendto(sk, big, 10, 0, SA(&port0), sizeof(port0)), -EINVAL);
	assert_int_equal(pp_sendto(sk, big, 10, 0, SA(&any), sizeof(any)), -EINVAL);
	assert_int_equal(pp_sendto(sk, big, PP_UDP_MAX_PAYLOAD + 1, 0, SA(&dst), sizeof(dst)),
			 -EMSGSIZE);
	assert_int_equal(pp_sendmsg(sk, NULL, 0), -EINVAL);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	msg.msg_iovlen = 1; /* and no iov */
	assert_int_equal(pp_sendmsg(sk, &msg, 0), -EINVAL);
	iov[0].iov_base = big;
	iov[0].iov_len = 4;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 4;
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	assert_int_equal(pp_sendmsg(sk, &msg, 0), -EINVAL);
	/* an iovec summing above the largest datagram */
	iov[1].iov_base = big;
	iov[1].iov_len = PP_UDP_MAX_PAYLOAD - 3;
	assert_int_equal(pp_sendmsg(sk, &msg, 0), -EMSGSIZE);
	msg.msg_namelen = sizeof(dst) - 1;
	assert_int_equal(pp_sendmsg(sk, &msg, 0), -EINVAL);
	assert_int_equal(pp_sock_set_pmtudisc(sk, 1), -EINVAL);
	assert_int_equal(pp_sock_set_pmtudisc(NULL, PP_PMTUDISC_DO), -EINVAL);
	assert_int_equal(pp_sock_set_pmtudisc(sk, PP_PMTUDISC_DO), 0);
	assert_int_equal(pp_sendto(sk, big, 1473, 0, SA(&dst), sizeof(dst)), -EMSGSIZE);
	/* nothing entered the journey, and the failures bound no port */
	s = stats(fx);
	assert_int_equal(s->stage[PP_STAGE_UDP].packets, 0);
	assert_int_equal(s->pool_in_use, 0);

	/* boundaries that go: exactly the MTU with DF, the largest datagram
	 * (45 fragments), an empty datagram */
	assert_int_equal(pp_sendto(sk, big, 1472, 0, SA(&dst), sizeof(dst)), 1472);
	assert_int_equal(pp_sock_set_pmtudisc(sk, PP_PMTUDISC_DONT), 0);
	assert_int_equal(pp_sendto(sk, big, PP_UDP_MAX_PAYLOAD, 0, SA(&dst), sizeof(dst)),
			 PP_UDP_MAX_PAYLOAD);
	iov[0].iov_len = PP_UDP_MAX_PAYLOAD - 3; /* the same as an iovec */
	iov[1].iov_len = 3;
	msg.msg_namelen = sizeof(dst);
	assert_int_equal(pp_sendmsg(sk, &msg, 0), PP_UDP_MAX_PAYLOAD);
	assert_int_equal(pp_sendto(sk, NULL, 0, 0, SA(&dst), sizeof(dst)), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	s = stats(fx);
	assert_int_equal(s->stage[PP_STAGE_UDP].packets, 4);
	assert_int_equal(s->nic_tx_packets, 1 + 45 + 45 + 1);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(s->pool_in_use, 0);

	/* a closed socket */
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(pp_sendto(sk, big, 10, 0, SA(&dst), sizeof(dst)), -EBADF);
	assert_int_equal(pp_send(sk, big, 10, 0), -EBADF);
	msg.msg_iovlen = 1;
	iov[0].iov_len = 10;
	assert_int_equal(pp_sendmsg(sk, &msg, 0), -EBADF);
	assert_int_equal(pp_connect(sk, SA(&dst), sizeof(dst)), -EBADF);
	assert_int_equal(pp_sock_set_tos(sk, 0x10), -EBADF);
	assert_int_equal(pp_sock_set_nocheck(sk, 1), -EBADF);
	assert_int_equal(stats(fx)->stage[PP_STAGE_UDP].packets, 4);
}

static void test_send_burst_bad(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	struct pp_skb *skbs[PP_BURST_MAX + 1] = {0}, *holes[2] = {0};
	struct pp_sock *sk;
	uint16_t off0, len0;
	int maxp;

	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	maxp = pp_udp_max_payload(sk);
	assert_int_equal(maxp, 1500 - 28);

	assert_int_equal(pp_udp_alloc_burst(NULL, skbs, 1), -EINVAL);
	assert_int_equal(pp_udp_alloc_burst(sk, NULL, 1), -EINVAL);
	assert_int_equal(pp_udp_alloc_burst(sk, skbs, PP_BURST_MAX + 1), -EINVAL);
	assert_int_equal(pp_udp_alloc_burst(sk, skbs, 2), 2);
	assert_non_null(pp_skb_put(skbs[0], 10));
	assert_non_null(pp_skb_put(skbs[1], (uint32_t)maxp + 1));
	off0 = skbs[0]->data_off;
	len0 = skbs[0]->len;

	assert_int_equal(pp_udp_send_burst(NULL, skbs, 2, SA(&dst), sizeof(dst), 0), -EINVAL);
	assert_int_equal(pp_udp_send_burst(sk, NULL, 2, SA(&dst), sizeof(dst), 0), -EINVAL);
	assert_int_equal(pp_udp_send_burst(sk, skbs, PP_BURST_MAX + 1, SA(&dst), sizeof(dst), 0),
			 -EINVAL);
	assert_int_equal(pp_udp_send_burst(sk, skbs, 1, SA(&dst), sizeof(dst), 0x1), -EINVAL);
	assert_int_equal(pp_udp_send_burst(sk, skbs, 1, SA(&dst), sizeof(dst) - 1, 0), -EINVAL);
	assert_int_equal(pp_udp_send_burst(sk, skbs, 1, NULL, 0, 0), -EDESTADDRREQ);
	holes[0] = skbs[0];
	assert_int_equal(pp_udp_send_burst(sk, holes, 2, SA(&dst), sizeof(dst), 0), -EINVAL);
	/* the second is one byte too big: nothing is taken, not even the first */
	assert_int_equal(pp_udp_send_burst(sk, skbs, 2, SA(&dst), sizeof(dst), 0), -EMSGSIZE);
	assert_int_equal(skbs[0]->data_off, off0);
	assert_int_equal(skbs[0]->len, len0);
	assert_int_equal(skbs[0]->state, PP_SKB_ALLOCATED);
	assert_int_equal(skbs[1]->state, PP_SKB_ALLOCATED);
	assert_int_equal(stats(fx)->stage[PP_STAGE_UDP].packets, 0);
	assert_int_equal(fx->ss->pool_in_use, 2);

	/* boundary: exactly the largest payload is taken */
	assert_int_equal(pp_skb_trim(skbs[1], (uint32_t)maxp), 0);
	assert_int_equal(pp_udp_send_burst(sk, skbs, 2, SA(&dst), sizeof(dst), 0), 2);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	assert_int_equal(stats(fx)->nic_tx_packets, 2);
	assert_int_equal(fx->ss->pool_in_use, 0);

	/* freeing what was not sent */
	assert_int_equal(pp_udp_alloc_burst(sk, skbs, 3), 3);
	assert_int_equal(pp_sock_free_skbs(NULL, skbs, 3), -EINVAL);
	assert_int_equal(pp_sock_free_skbs(sk, NULL, 3), -EINVAL);
	assert_int_equal(pp_sock_free_skbs(sk, skbs, 3), 0);
	assert_int_equal(stats(fx)->pool_in_use, 0);
	assert_int_equal(fx->ss->pool_bad_free, 0);
}

static void test_stats_bad(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	uint8_t *buf = aligned_alloc(PP_CACHE_LINE, sizeof(struct pp_stack_stats) + PP_CACHE_LINE);

	assert_non_null(buf);
	stack_up(fx, &o);
	assert_int_equal(pp__stack_stats_snapshot(NULL, fx->ss), -EINVAL);
	assert_int_equal(pp__stack_stats_snapshot(fx->st, NULL), -EINVAL);
	assert_int_equal(pp__stack_stats_snapshot(fx->st, (struct pp_stack_stats *)(buf + 8)), -EINVAL);
	assert_int_equal(pp__stack_stats_snapshot(fx->st, (struct pp_stack_stats *)(buf + 32)), -EINVAL);
	assert_int_equal(pp__stack_stats_snapshot(fx->st, (struct pp_stack_stats *)buf), 0);
	assert_string_equal(pp__stage_name(PP_STAGE_MAX), "unknown");
	assert_string_equal(pp__stage_name(PP_STAGE_IP), "ip");
	assert_int_equal(pp_lane_poll(fx->st, 1), -EINVAL);
	assert_int_equal(pp_lane_flush(NULL, 0, 10), -EINVAL);
	assert_int_equal(pp_lane_attach(fx->st, 1), -EINVAL);
	assert_int_equal(pp_route_add(fx->st, ip4("10.0.0.1"), 24, 0), -EINVAL); /* host bits */
	assert_int_equal(pp_route_add(fx->st, ip4("10.0.0.0"), 33, 0), -EINVAL);
	assert_int_equal(pp_route_del(fx->st, ip4("10.0.0.0"), 24), -ENOENT);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), NULL), -EINVAL);
	assert_int_equal(pp_neigh_add(fx->st, 0, peer_mac), -EINVAL);
	assert_int_equal(pp_neigh_del(fx->st, ip4(PEER_IP)), -ENOENT);
	assert_int_equal(pp_xps_set(fx->st, 0, 1), -EINVAL); /* one queue */
	free(buf);
}

/* ---- early exits: dropped, freed and counted ---------------------------- */

/* No route: the call fails with -ENETUNREACH (the route is looked up in the
 * sender's context, as udp_sendmsg() does), nothing is queued, dropped or
 * held. A default route then makes the same send go out. */
static void test_no_route(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in far = sin_of("10.1.2.3", 53);
	struct pp_stack_stats *s;
	static uint8_t big[3000];
	uint8_t buf[100] = {0};
	struct pp_sock *sk;

	stack_up(fx, &o);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&far), sizeof(far)), -ENETUNREACH);
	assert_int_equal(pp_sendto(sk, big, 3000, 0, SA(&far), sizeof(far)), -ENETUNREACH);
	s = stats(fx);
	assert_int_equal(s->stage[PP_STAGE_IP].packets, 0);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(s->nic_tx_packets, 0);
	assert_int_equal(s->pool_in_use, 0);

	assert_int_equal(pp_route_add(fx->st, 0, 0, ip4(GW_IP)), 0);
	assert_int_equal(pp_route_add(fx->st, 0, 0, ip4(GW_IP)), -EEXIST);
	assert_int_equal(pp_neigh_add(fx->st, ip4(GW_IP), gw_mac), 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&far), sizeof(far)), sizeof(buf));
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	s = stats(fx);
	assert_int_equal(s->nic_tx_packets, 1);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(pp_route_del(fx->st, 0, 0), 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&far), sizeof(far)), -ENETUNREACH);
	s = stats(fx);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(s->nic_tx_packets, 1);
	assert_int_equal(s->pool_in_use, 0);
}

/* A neighbour nobody answers: the datagrams are held while three ARP
 * probes go out a second apart, then dropped as neigh_failed. */
static void test_neigh_failed(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	struct pp_stack_stats *s;
	uint8_t buf[64] = {0};
	uint64_t t0, failed_at = 0;
	struct pp_sock *sk;

	stack_up(fx, &o);
	sk = sock_new(fx, 0);
	t0 = now_ns();
	for (int i = 0; i < 5; i++)
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&dst), sizeof(dst)),
				 sizeof(buf));
	s = stats(fx);
	assert_int_equal(s->pool_in_use, 5); /* held, not lost */
	assert_int_equal(drops_total(s), 0);
	while (now_ns() - t0 < 5000000000ull) {
		struct timespec ts = {0, 1000000};

		assert_true(pp_lane_poll(fx->st, 0) >= 0);
		s = stats(fx);
		if (drops_of(s, PP_STAGE_NEIGH, PP_DROP_NEIGH_FAILED) == 5) {
			failed_at = now_ns();
			break;
		}
		nanosleep(&ts, NULL);
	}
	assert_true(failed_at != 0);
	/* mcast_probes 3, retrans 1 s: not before the third probe's time ran out */
	assert_true(failed_at - t0 >= 2500000000ull);
	assert_int_equal(drops_total(s), 5);
	assert_int_equal(s->nic_tx_packets, 3); /* the three ARP requests */
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	assert_int_equal(stats(fx)->pool_in_use, 0);
}

/*
 * The pool runs dry while a neighbour is unresolved: the application holds
 * most frames (pp_udp_alloc_burst) and the neighbour's pending queue the
 * rest (within its byte bound: it may not take the whole pool, see
 * test_neigh). Non-blocking sends get -EAGAIN, nothing is lost. Once the
 * frames are back and the neighbour resolves, the held datagrams leave in
 * the order they were sent and every frame comes home.
 */
static void test_pool_exhausted(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	struct pp_stack_stats *s;
	struct frame *fr;
	uint8_t buf[200];
	unsigned int nfr, nudp = 0, narp = 0;
	uint32_t ok = 0;
	struct pp_skb *one[1], *app[64];
	struct pp_sock *sk;
	int napp;
	ssize_t r;

	o.nic = pcap_spec(fx, "");
	o.frames_per_lane = 64;
	stack_up(fx, &o);
	sk = sock_new(fx, 0);
	bind_port(sk, 4000);
	napp = pp_udp_alloc_burst(sk, app, 58);
	assert_int_equal(napp, 58);
	for (;;) {
		fill_payload(buf, sizeof(buf), ok);
		r = pp_sendto(sk, buf, sizeof(buf), PP_MSG_DONTWAIT, SA(&dst), sizeof(dst));
		if (r == -EAGAIN)
			break;
		assert_int_equal(r, sizeof(buf));
		ok++;
		assert_true(ok <= 64);
	}
	/* every frame but the application's and those of the ARP request
	 * (sent and reaped) is held */
	assert_in_range(ok, 2, 6);
	s = stats(fx);
	assert_int_equal(s->pool_in_use, ok + (uint32_t)napp);
	assert_true(s->pool_alloc_fail > 0);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_DONTWAIT, SA(&dst), sizeof(dst)),
			 -EAGAIN);
	assert_int_equal(pp_udp_alloc_burst(sk, one, 1), 0);

	assert_int_equal(pp_sock_free_skbs(sk, app, (unsigned int)napp), 0);
	assert_int_equal(pp_neigh_update(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	s = stats(fx);
	assert_int_equal(s->pool_in_use, 0);
	assert_int_equal(drops_total(s), 0);
	/* frames came back: a blocking send goes through */
	fill_payload(buf, sizeof(buf), ok);
	assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&dst), sizeof(dst)), sizeof(buf));
	ok++;
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	stack_finish(fx);

	fr = malloc(sizeof(*fr) * 128);
	assert_non_null(fr);
	nfr = read_frames(fx->pcap, fr, 128);
	for (unsigned int i = 0; i < nfr; i++) {
		if (frame_is_arp(&fr[i])) {
			assert_int_equal(nudp, 0); /* the request went before any datagram */
			narp++;
			continue;
		}
		assert_true(frame_is_udp(&fr[i]));
		assert_memory_equal(fr[i].b, peer_mac, 6);
		assert_int_equal(udp_seq(&fr[i]), nudp); /* in order, none missing */
		nudp++;
	}
	assert_int_equal(nudp, ok);
	assert_in_range(narp, 1, 3);
	free(fr);
}

/*
 * A qdisc with a small limit (8) in front of a slow driver (one frame per
 * call, a 4-slot ring: pace=1 alone would not hold anything back, since the
 * ring is reaped after every call and the qdisc is bypassed frame by frame).
 *
 * A sender that outruns the driver is held back by the qdisc's room (the
 * stack's sk_sndbuf): non-blocking sends see -EAGAIN, blocking ones wait, and
 * nothing is dropped. Datagrams held for an unresolved neighbour are not
 * seen by that check: released all at once, they overflow the qdisc, and
 * what does not fit is dropped as qdisc_full and counted, while the
 * driver's full ring never loses a packet (requeued). Whatever leaves does
 * so in order (tail drop keeps FIFO).
 */
static void test_qdisc_full(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000), cold = sin_of("198.18.0.3", 5000);
	const uint32_t n = 256, nheld = 64;
	struct pp_stack_stats *s;
	struct frame *fr;
	uint8_t buf[300];
	uint64_t qfull;
	unsigned int nfr, nudp = 0, again = 0;
	uint32_t seq = 0, last = 0;
	struct pp_sock *sk;
	ssize_t r;

	o.nic = pcap_spec(fx, ",pace=1,txring=4");
	o.qdisc_limit = 8;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	for (uint32_t i = 0; i < n; i++) {
		fill_payload(buf, sizeof(buf), seq);
		r = pp_sendto(sk, buf, sizeof(buf), PP_MSG_MORE | PP_MSG_DONTWAIT, SA(&dst),
			      sizeof(dst));
		if (r == -EAGAIN) {
			again++;
			continue;
		}
		assert_int_equal(r, sizeof(buf));
		seq++;
	}
	print_message("non-blocking: %u of %u sent, %u -EAGAIN\n", seq, n, again);
	assert_true(again > 0);
	for (uint32_t i = 0; i < n; i++) {
		fill_payload(buf, sizeof(buf), seq++);
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), PP_MSG_MORE, SA(&dst), sizeof(dst)),
				 sizeof(buf));
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 2000), 0);
	s = stats(fx);
	assert_int_equal(drops_total(s), 0);
	assert_int_equal(s->nic_tx_packets, seq);
	assert_true(s->qdisc_bypass < seq); /* the qdisc did hold some */

	/* held for 198.18.0.3, then released together */
	for (uint32_t i = 0; i < nheld; i++) {
		fill_payload(buf, sizeof(buf), seq + i);
		assert_int_equal(pp_sendto(sk, buf, sizeof(buf), 0, SA(&cold), sizeof(cold)),
				 sizeof(buf));
	}
	assert_int_equal(stats(fx)->pool_in_use, nheld);
	assert_int_equal(pp_neigh_update(fx->st, ip4("198.18.0.3"), gw_mac), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 2000), 0);
	s = stats(fx);
	qfull = drops_of(s, PP_STAGE_QDISC, PP_DROP_QDISC_FULL);
	print_message("released %u: %lu dropped qdisc_full\n", nheld, (unsigned long)qfull);
	assert_true(qfull > 0 && qfull < nheld);
	assert_int_equal(drops_why(s, PP_DROP_RING_FULL), 0);
	assert_int_equal(drops_total(s), qfull);
	/* datagrams + the ARP request for .3 */
	assert_int_equal(s->nic_tx_packets + qfull, seq + nheld + 1);
	assert_int_equal(s->qdisc_backlog, 0);
	assert_int_equal(s->pool_in_use, 0);
	stack_finish(fx);

	fr = malloc(sizeof(*fr) * (n * 2 + nheld + 1));
	assert_non_null(fr);
	nfr = read_frames(fx->pcap, fr, n * 2 + nheld + 1);
	for (unsigned int i = 0; i < nfr; i++) {
		uint32_t q;

		if (!frame_is_udp(&fr[i]))
			continue;
		q = udp_seq(&fr[i]);
		if (nudp < seq)
			assert_int_equal(q, nudp); /* every one before the overflow */
		else
			assert_true(q > last);	/* survivors of the overflow, in order */
		last = q;
		nudp++;
	}
	assert_int_equal(nudp + qfull, seq + nheld);
	free(fr);
}

/* ---- what reaches the wire ---------------------------------------------- */

/* Compare two frames of the same datagram: identical but for the IPv4 ID
 * and header checksum, which differ between datagrams. */
static void assert_same_but_id(const struct frame *a, const struct frame *b)
{
	const unsigned int id = PP_ETH_HLEN + 4, ck = PP_ETH_HLEN + 10;

	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->b, b->b, id);
	assert_memory_equal(a->b + id + 2, b->b + id + 2, ck - id - 2);
	assert_memory_equal(a->b + ck + 2, b->b + ck + 2, a->len - ck - 2);
}

/*
 * sendmsg() with an iovec cut in odd pieces (empty ones too) gives the same
 * frames as send() of one buffer: the copy and its running checksum across
 * piece boundaries (cf. csum_and_copy_from_iter) are right, also where the
 * pieces straddle the fragment boundaries of a fragmented datagram.
 */
static void test_iovec_same_bytes(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	static const size_t sizes[] = {1, 2, 7, 61, 1472, 1473, 3001};
	static const size_t cuts[] = {1, 0, 3, 7, 0, 13, 1, 250, 1001, 1};
	static uint8_t buf[4000];
	struct iovec iov[16];
	struct msghdr msg;
	struct frame *fr;
	unsigned int nfr, i = 0;
	unsigned int per[sizeof(sizes) / sizeof(sizes[0])];
	struct pp_sock *sk;

	o.nic = pcap_spec(fx, "");
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	bind_port(sk, 4000);
	assert_int_equal(pp_connect(sk, SA(&dst), sizeof(dst)), 0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], off = 0, c = 0;
		unsigned int niov = 0;

		fill_payload(buf, len, (uint32_t)k);
		assert_int_equal(pp_send(sk, buf, len, 0), (ssize_t)len);
		while (off < len) {
			size_t piece = cuts[c++ % (sizeof(cuts) / sizeof(cuts[0]))];

			if (piece > len - off || niov == 15)
				piece = len - off;
			iov[niov].iov_base = buf + off;
			iov[niov].iov_len = piece;
			niov++;
			off += piece;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = niov;
		assert_true(niov > 1 || len == 1);
		assert_int_equal(pp_sendmsg(sk, &msg, 0), (ssize_t)len);
		per[k] = len + 28 <= 1500 ? 1 : (unsigned int)((len + 8 + 1479) / 1480);
	}
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	assert_int_equal(drops_total(stats(fx)), 0);
	stack_finish(fx);

	fr = malloc(sizeof(*fr) * 64);
	assert_non_null(fr);
	nfr = read_frames(fx->pcap, fr, 64);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (unsigned int f = 0; f < per[k]; f++) {
			assert_true(i + per[k] + f < nfr);
			assert_same_but_id(&fr[i + f], &fr[i + per[k] + f]);
		}
		/* and it is the payload we sent (first fragment's part of it) */
		if (per[k] == 1) {
			uint16_t plen;
			const uint8_t *p = udp_payload(&fr[i], &plen);

			fill_payload(buf, sizes[k], (uint32_t)k);
			assert_int_equal(plen, sizes[k]);
			assert_memory_equal(p, buf, plen);
		}
		i += 2 * per[k];
	}
	assert_int_equal(i, nfr);
	free(fr);
}

/* RFC 1071 sum of @len bytes, folded to 16 bits, not complemented. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * A payload of @len (even, >= 2) bytes whose UDP checksum computes to 0 from
 * @sport to @dport: solve for the last 16-bit word so the one's complement
 * sum of pseudo-header, header and payload is 0xffff.
 */
static void zero_csum_payload(uint8_t *p, size_t len, uint16_t sport, uint16_t dport)
{
	uint8_t ph[20];
	uint32_t saddr = ip4(OUR_IP), daddr = ip4(PEER_IP), s;
	uint16_t ulen = (uint16_t)(len + PP_UDP_HLEN);

	fill_payload(p, len, 0xc5c5);
	p[len - 2] = p[len - 1] = 0;
	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = PP_IPPROTO_UDP;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	ph[12] = (uint8_t)(sport >> 8); /* UDP header, checksum 0 */
	ph[13] = (uint8_t)sport;
	ph[14] = (uint8_t)(dport >> 8);
	ph[15] = (uint8_t)dport;
	ph[16] = (uint8_t)(ulen >> 8);
	ph[17] = (uint8_t)ulen;
	ph[18] = ph[19] = 0;
	s = sum16(p, len, sum16(ph, 20, 0));
	s = 0xffff - s;
	p[len - 2] = (uint8_t)(s >> 8);
	p[len - 1] = (uint8_t)s;
	assert_int_equal(sum16(p, len, sum16(ph, 20, 0)), 0xffff);
}

/*
 * tshark, with checksum validation on, finds every IPv4 and UDP checksum
 * good: odd lengths, the one-frame limit, fragmented datagrams (checked over
 * the reassembled datagram), a payload whose checksum computes to 0, which
 * must go out as 0xffff. A socket with SO_NO_CHECK sends 0, which tshark
 * reports as absent: the check can tell.
 */
static void test_checksums_tshark(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in dst = sin_of(PEER_IP, 5000);
	static const size_t sizes[] = {1, 3, 5, 17, 255, 999, 1471, 1472, 1473, 2999, 4001};
	const unsigned int nsz = sizeof(sizes) / sizeof(sizes[0]);
	static char lines[64][256];
	static uint8_t buf[4096];
	unsigned int n, good = 0, zero_seen = 0;
	struct pp_sock *sk, *nock;

	if (!have_tshark()) {
		PP_SKIP("tshark not installed: skipping the checksum checks");
	}
	o.nic = pcap_spec(fx, "");
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	sk = sock_new(fx, 0);
	bind_port(sk, 4000);
	nock = sock_new(fx, 0);
	bind_port(nock, 4001);
	assert_int_equal(pp_sock_set_nocheck(nock, 1), 0);
	for (unsigned int k = 0; k < nsz; k++) {
		fill_payload(buf, sizes[k], k);
		assert_int_equal(pp_sendto(sk, buf, sizes[k], 0, SA(&dst), sizeof(dst)),
				 (ssize_t)sizes[k]);
	}
	zero_csum_payload(buf, 16, 4000, 5000);
	assert_int_equal(pp_sendto(sk, buf, 16, 0, SA(&dst), sizeof(dst)), 16);
	fill_payload(buf, 33, 1);
	assert_int_equal(pp_sendto(nock, buf, 33, 0, SA(&dst), sizeof(dst)), 33);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	stack_finish(fx);

	n = tshark_lines(fx, "udp", "-e udp.srcport -e udp.length -e udp.checksum "
			 "-e udp.checksum.status -e ip.checksum.status", lines, 64);
	assert_int_equal(n, nsz + 2);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int sport, ulen, ucs, ust, ist;

		print_message("%s\n", lines[i]);
		assert_int_equal(sscanf(lines[i], "%u %u 0x%x %u %u", &sport, &ulen, &ucs, &ust,
					&ist), 5);
		assert_int_equal(ist, TS_CSUM_GOOD);
		if (sport == 4001) {
			assert_int_equal(ucs, 0);
			assert_int_equal(ust, TS_CSUM_NOT_PRESENT);
			continue;
		}
		assert_int_equal(ust, TS_CSUM_GOOD);
		if (i < nsz)
			assert_int_equal(ulen, sizes[i] + PP_UDP_HLEN);
		if (ulen == 16 + PP_UDP_HLEN) {
			assert_int_equal(ucs, 0xffff);
			zero_seen++;
		}
		good++;
	}
	assert_int_equal(good, nsz + 1);
	assert_int_equal(zero_seen, 1);
	/* every fragment's IPv4 header checksum too */
	n = tshark_lines(fx, "ip.checksum.status != 1", "-e frame.number", lines, 64);
	assert_int_equal(n, 0);
}

/* ---- receive side: bounded in bytes ------------------------------------- */

/*
 * Frames from the peer fed straight to lane 0's receive stage, as the NIC
 * would hand them over (cf. test_rx.c); what the stage writes out (ICMP, ARP)
 * is freed at once.
 */
#define RX_PORT 7000
#define RX_PEER_PORT 5555

static uint8_t rx_dgram[65536];

static inline uint8_t rx_pat(uint32_t k)
{
	return (uint8_t)(k * 13u + (k >> 8) + 5u);
}

static void rx_feed(struct fx *fx, struct pp_skb **pkts, uint16_t n)
{
	struct pp_lane *l = &fx->st->lanes[0];
	struct pp_skb *l3[64], *l2[64];
	struct pp_rx_out o = {.l3 = l3, .l2 = l2, .cap = 64};

	pp__lane_online();
	assert_int_equal(pp__rx_input(&l->s_rx, pkts, n, &o), n);
	pp__lane_offline();
	pp_skb_free_burst(l->cache, l3, o.n_l3);
	pp_skb_free_burst(l->cache, l2, o.n_l2);
}

/*
 * One UDP datagram of @len payload bytes from the peer to @dport, cut into
 * fragments of 1480 IP payload bytes when it does not fit the MTU, fed to
 * the rx stage in one burst.
 */
static void rx_udp(struct fx *fx, uint16_t dport, uint32_t len, uint16_t id)
{
	struct pp_lane *l = &fx->st->lanes[0];
	uint32_t saddr = ip4(PEER_IP), daddr = ip4(OUR_IP), ipl = PP_UDP_HLEN + len, off = 0;
	struct pp_skb *pkts[PP_BURST_MAX];
	unsigned int odd = 0;
	uint16_t n = 0, c;
	uint64_t sum;

	assert_true(ipl <= 65515);
	rx_dgram[0] = RX_PEER_PORT >> 8;
	rx_dgram[1] = RX_PEER_PORT & 0xff;
	rx_dgram[2] = (uint8_t)(dport >> 8);
	rx_dgram[3] = (uint8_t)dport;
	rx_dgram[4] = (uint8_t)(ipl >> 8);
	rx_dgram[5] = (uint8_t)ipl;
	rx_dgram[6] = rx_dgram[7] = 0;
	for (uint32_t k = 0; k < len; k++)
		rx_dgram[8 + k] = rx_pat(k);
	sum = pp_csum_pseudo(saddr, daddr, PP_IPPROTO_UDP, (uint16_t)ipl);
	c = pp_csum_fold(pp_csum_partial(rx_dgram, ipl, sum, &odd));
	if (!c)
		c = 0xffff;
	memcpy(rx_dgram + 6, &c, 2);
	do {
		uint32_t piece = ipl - off > 1480 ? 1480 : ipl - off;
		bool mf = off + piece < ipl;
		struct pp_skb *skb = pp_skb_alloc(l->cache);
		uint8_t *p;
		struct pp_ipv4_hdr ip = {
			.ver_ihl = 0x45,
			.tot_len = htons((uint16_t)(20 + piece)),
			.id = htons(id),
			.frag_off = htons((uint16_t)((mf ? PP_IP_MF : 0) | off / 8)),
			.ttl = 64,
			.protocol = PP_IPPROTO_UDP,
			.saddr = saddr,
			.daddr = daddr,
		};

		assert_non_null(skb);
		p = pp_skb_put(skb, PP_ETH_HLEN + 20 + piece);
		assert_non_null(p);
		memcpy(p, fx->st->mac, 6);
		memcpy(p + 6, peer_mac, 6);
		p[12] = 0x08;
		p[13] = 0x00;
		ip.check = pp_csum(&ip, 20);
		memcpy(p + PP_ETH_HLEN, &ip, 20);
		memcpy(p + PP_ETH_HLEN + 20, rx_dgram + off, piece);
		assert_true(n < PP_BURST_MAX);
		pkts[n++] = skb;
		off += piece;
	} while (off < ipl);
	rx_feed(fx, pkts, n);
}

static struct pp_sock *rx_sock(struct fx *fx, uint16_t port)
{
	struct pp_sock *sk = sock_new(fx, 0);

	bind_port(sk, port);
	return sk;
}

static uint64_t rx_drops(struct fx *fx, unsigned int why)
{
	return PP_STAT_READ(fx->st->lanes[0].stats[PP_STAGE_RX].drops[why]);
}

/* Everything queued, read back: the datagrams' sizes and pattern are right. */
static unsigned int rx_drain(struct pp_sock *sk, uint32_t len)
{
	static uint8_t b[65536];
	unsigned int got = 0;
	ssize_t r;

	while ((r = pp_recv(sk, b, sizeof(b), PP_MSG_DONTWAIT)) >= 0) {
		assert_int_equal(r, len);
		for (uint32_t k = 0; k < len; k++)
			if (b[k] != rx_pat(k))
				fail_msg("byte %u of datagram %u is %u", k, got, b[k]);
		got++;
	}
	assert_int_equal(r, -EAGAIN);
	return got;
}

static void rx_pool_full(struct fx *fx)
{
	struct pp_pool_stats ps;

	assert_int_equal(pp_pool_stats(fx->st->pool, &ps), 0);
	assert_int_equal(ps.in_use, 0);
}

/*
 * Regression (receive queues bounded in datagrams, not bytes: 256 reassembled
 * 64 KB datagrams held more frames than the lane owns): a socket holds what
 * its rcvbuf admits (one datagram past it, as Linux), the rest is dropped
 * rcvq_full and counted, and once read everything is back in the pool.
 */
static void test_rcvbuf_bounds_reassembled(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	const uint32_t len = 65507, truesize = 45 * PP_FRAME_2K; /* 45 fragments */
	const unsigned int sent = 8;
	unsigned int fit = 0;
	struct pp_sock *sk;

	stack_up(fx, &o);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	sk = rx_sock(fx, RX_PORT);
	assert_int_equal(sk->rcvbuf, PP_SOCK_RCVBUF_DEFAULT);
	for (unsigned int i = 0; i < sent; i++)
		rx_udp(fx, RX_PORT, len, (uint16_t)(100 + i));
	for (uint32_t held = 0; held <= PP_SOCK_RCVBUF_DEFAULT; held += truesize)
		fit++;
	assert_int_equal(fit, 3);
	assert_int_equal(atomic_load(&sk->rmem_alloc), fit * truesize);
	assert_int_equal(atomic_load(&fx->st->lanes[0].rcv_mem), fit * truesize);
	assert_int_equal(rx_drops(fx, PP_DROP_RCVQ_FULL), sent - fit);
	assert_int_equal(rx_drain(sk, len), fit);
	assert_int_equal(atomic_load(&sk->rmem_alloc), 0);
	assert_int_equal(atomic_load(&fx->st->lanes[0].rcv_mem), 0);
	rx_pool_full(fx);
	/* room again: the next one is queued */
	rx_udp(fx, RX_PORT, len, 200);
	assert_int_equal(rx_drain(sk, len), 1);
	assert_int_equal(pp_close(sk), 0);
	rx_pool_full(fx);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

/* The lane's total over every socket it feeds binds, whatever each rcvbuf
 * says (cf. udp_mem): a quarter of the lane's frames. */
static void test_rcvbuf_lane_total(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct pp_sock *sk[3];
	const unsigned int each = 120, share = 1024 / 4; /* frames */
	unsigned int got = 0;

	o.frames_per_lane = 1024;
	stack_up(fx, &o);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	assert_int_equal(fx->st->lanes[0].rcv_mem_max, (uint64_t)share * PP_FRAME_2K);
	for (unsigned int i = 0; i < 3; i++)
		sk[i] = rx_sock(fx, (uint16_t)(RX_PORT + i));
	for (unsigned int i = 0; i < 3; i++)
		for (unsigned int k = 0; k < each; k++)
			rx_udp(fx, (uint16_t)(RX_PORT + i), 10, (uint16_t)k);
	assert_int_equal(atomic_load(&fx->st->lanes[0].rcv_mem), (uint64_t)share * PP_FRAME_2K);
	assert_int_equal(rx_drops(fx, PP_DROP_RCVQ_FULL), 3 * each - share);
	for (unsigned int i = 0; i < 3; i++) {
		unsigned int g = rx_drain(sk[i], 10);

		/* the first two stop at their rcvbuf, the third at the lane */
		if (i < 2)
			assert_int_equal(g, PP_SOCK_RCVBUF_DEFAULT / PP_FRAME_2K + 1);
		got += g;
		assert_int_equal(pp_close(sk[i]), 0);
	}
	assert_int_equal(got, share);
	assert_int_equal(atomic_load(&fx->st->lanes[0].rcv_mem), 0);
	rx_pool_full(fx);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

/* pp_sock_set_rcvbuf(): bad arguments, then SO_RCVBUF's clamp and doubling;
 * a queue left at close is released (pool full, counters 0). */
static void test_rcvbuf_setter(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct pp_sock *sk, *dead;

	stack_up(fx, &o);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	assert_int_equal(pp_sock_set_rcvbuf(NULL, 4096), -EINVAL);
	dead = sock_new(fx, 0);
	assert_int_equal(pp_close(dead), 0);
	assert_int_equal(pp_sock_set_rcvbuf(dead, 4096), -EBADF);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_sock_set_rcvbuf(sk, 0), 0);
	assert_int_equal(sk->rcvbuf, PP_SOCK_RCVBUF_MIN);
	assert_int_equal(pp_sock_set_rcvbuf(sk, 1000), 0);
	assert_int_equal(sk->rcvbuf, PP_SOCK_RCVBUF_MIN);
	assert_int_equal(pp_sock_set_rcvbuf(sk, 100000), 0);
	assert_int_equal(sk->rcvbuf, 200000);
	assert_int_equal(pp_sock_set_rcvbuf(sk, UINT32_MAX), 0);
	assert_int_equal(sk->rcvbuf, 2 * PP_SOCK_RMEM_MAX);
	/* set before bind: kept */
	bind_port(sk, RX_PORT);
	assert_int_equal(sk->rcvbuf, 2 * PP_SOCK_RMEM_MAX);
	/* the smallest still takes a datagram, then one more while at most
	 * full (2048 <= 2304), then drops */
	assert_int_equal(pp_sock_set_rcvbuf(sk, 1), 0);
	for (unsigned int i = 0; i < 5; i++)
		rx_udp(fx, RX_PORT, 10, (uint16_t)i);
	assert_int_equal(rx_drops(fx, PP_DROP_RCVQ_FULL), 3);
	assert_int_equal(atomic_load(&sk->rmem_alloc), 2 * PP_FRAME_2K);
	/* closed with two datagrams queued: released, not leaked */
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(atomic_load(&sk->rmem_alloc), 0);
	assert_int_equal(atomic_load(&fx->st->lanes[0].rcv_mem), 0);
	rx_pool_full(fx);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

/* pp_recvmsg(): a datagram longer than the iovec is cut, says MSG_TRUNC and
 * returns what was copied (as recvmsg() on a UDP socket without MSG_TRUNC in
 * flags); one that fits says nothing; a reassembled one cut across pieces. */
static void test_recvmsg_trunc(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	static uint8_t a[2000], b[2000];
	struct iovec iov[2] = {{a, 7}, {b, 23}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	struct pp_sock *sk;

	stack_up(fx, &o);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	sk = rx_sock(fx, RX_PORT);
	rx_udp(fx, RX_PORT, 100, 1);
	assert_int_equal(pp_recvmsg(sk, &m, PP_MSG_DONTWAIT), 30);
	assert_true(m.msg_flags & MSG_TRUNC);
	for (uint32_t k = 0; k < 7; k++)
		assert_int_equal(a[k], rx_pat(k));
	for (uint32_t k = 0; k < 23; k++)
		assert_int_equal(b[k], rx_pat(7 + k));
	/* exactly the iovec's size: no MSG_TRUNC */
	rx_udp(fx, RX_PORT, 30, 2);
	m.msg_flags = 0x7fff;
	assert_int_equal(pp_recvmsg(sk, &m, PP_MSG_DONTWAIT), 30);
	assert_int_equal(m.msg_flags, 0);
	/* 3000 bytes in three frames into 2 x 1000 */
	iov[0].iov_len = iov[1].iov_len = 1000;
	rx_udp(fx, RX_PORT, 3000, 3);
	assert_int_equal(pp_recvmsg(sk, &m, PP_MSG_DONTWAIT), 2000);
	assert_true(m.msg_flags & MSG_TRUNC);
	for (uint32_t k = 0; k < 1000; k++) {
		assert_int_equal(a[k], rx_pat(k));
		assert_int_equal(b[k], rx_pat(1000 + k));
	}
	assert_int_equal(atomic_load(&sk->rmem_alloc), 0);
	/* what is still queued at close is dropped, with its reason, and
	 * counted (cf. SKB_DROP_REASON_SOCKET_CLOSE) */
	rx_udp(fx, RX_PORT, 10, 4);
	rx_udp(fx, RX_PORT, 3000, 5);
	assert_int_equal(rx_drops(fx, PP_DROP_SOCKET_CLOSE), 0);
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(rx_drops(fx, PP_DROP_SOCKET_CLOSE), 2);
	rx_pool_full(fx);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

/* ---- the ops beyond send and receive --------------------------------------- */

static int getint(struct pp_sock *sk, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(pp_getsockopt(sk, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

static int setint(struct pp_sock *sk, int level, int name, int v)
{
	return pp_setsockopt(sk, level, name, &v, sizeof(v));
}

/* setsockopt/getsockopt with Linux's levels, names, formats and clamps. */
static void test_sockopt(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct timeval tv = {.tv_sec = 1, .tv_usec = 250000}, got;
	socklen_t len;
	struct pp_sock *sk;
	char small[2];
	int v = 0;

	stack_up(fx, &o);
	sk = sock_new(fx, 0);
	/* negative cases first */
	assert_int_equal(pp_setsockopt(NULL, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), -EINVAL);
	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_SNDBUF, NULL, sizeof(v)), -EINVAL);
	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_SNDBUF, &v, 2), -EINVAL);
	assert_int_equal(setint(sk, SOL_SOCKET, 9999, 1), -ENOPROTOOPT);
	assert_int_equal(setint(sk, IPPROTO_UDP, 1 /* UDP_CORK */, 1), -ENOPROTOOPT);
	assert_int_equal(setint(sk, 12345, 1, 1), -ENOPROTOOPT);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_TYPE, 1), -ENOPROTOOPT); /* read-only */
	assert_int_equal(setint(sk, IPPROTO_IP, IP_MTU_DISCOVER, 1 /* WANT */), -EINVAL);
	tv.tv_usec = 1000000;
	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), -EDOM);
	tv.tv_usec = 250000;
	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), -EINVAL);
	len = sizeof(v);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_SNDBUF, NULL, &len), -EINVAL);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_SNDBUF, &v, NULL), -EINVAL);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, 9999, &v, &len), -ENOPROTOOPT);
	assert_int_equal(pp_getsockopt(sk, IPPROTO_UDP, 1, &v, &len), -ENOPROTOOPT);

	/* read-only facts */
	assert_int_equal(getint(sk, SOL_SOCKET, SO_TYPE), PP_SOCK_DGRAM);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_ERROR), 0);
	/* a shorter buffer gets the first bytes and the length it took */
	len = sizeof(small);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_TYPE, small, &len), 0);
	assert_int_equal(len, sizeof(small));

	/* buffers: defaults, then clamped to [min, 2 * max] after doubling */
	/* the send buffer by default: a quarter of the lane's frames, at
	 * least wmem_default (defaults.h) */
	assert_int_equal(getint(sk, SOL_SOCKET, SO_SNDBUF), fx->st->lim.sndbuf_default);
	assert_int_equal(fx->st->lim.sndbuf_default, 4096 * PP_FRAME_2K / PP_SOCK_SND_SHARE_DIV);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_RCVBUF), PP_SOCK_RCVBUF_DEFAULT);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 0), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_SNDBUF), PP_SOCK_SNDBUF_MIN);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, -5), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_SNDBUF), PP_SOCK_SNDBUF_MIN);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 100000), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_SNDBUF), 200000);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 1 << 30), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_SNDBUF), 2 * fx->st->lim.wmem_max);
	assert_int_equal(2 * fx->st->lim.wmem_max, fx->st->lim.sndbuf_default);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_RCVBUF, 1), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_RCVBUF), PP_SOCK_RCVBUF_MIN);

	/* timeouts round-trip as timevals; the old setter is the same option */
	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	len = sizeof(got);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &got, &len), 0);
	assert_int_equal(got.tv_sec, 1);
	assert_int_equal(got.tv_usec, 250000);
	assert_int_equal(pp_sock_set_rcvtimeo(sk, 1500), 0);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	assert_int_equal(got.tv_sec, 1);
	assert_int_equal(got.tv_usec, 500000);

	/* IP level */
	assert_int_equal(setint(sk, IPPROTO_IP, IP_TOS, 0xb8), 0);
	assert_int_equal(getint(sk, IPPROTO_IP, IP_TOS), 0xb8);
	assert_int_equal(pp_sock_set_pmtudisc(sk, PP_PMTUDISC_DO), 0);
	assert_int_equal(getint(sk, IPPROTO_IP, IP_MTU_DISCOVER), PP_PMTUDISC_DO);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_NO_CHECK, 1), 0);
	assert_int_equal(getint(sk, SOL_SOCKET, SO_NO_CHECK), 1);

	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 1), -EBADF);
	stack_finish(fx);
}

/* UDP has no connections: listen and accept are the kernel's sock_no_*(). */
static void test_listen_accept_udp(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct pp_sock *sk, *c = NULL;

	stack_up(fx, &o);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_listen(NULL, 1), -EINVAL);
	assert_int_equal(pp_accept(sk, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(pp_listen(sk, 16), -EOPNOTSUPP);
	assert_int_equal(pp_accept(sk, &c, NULL, NULL), -EOPNOTSUPP);
	assert_null(c);
	assert_int_equal(pp_close(sk), 0);
	stack_finish(fx);
}

/* shutdown() as Linux's for UDP, and what poll() says about it. */
static void test_shutdown_poll(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	struct pp_pollfd p[2];
	uint8_t b[64];
	struct pp_sock *sk, *other;

	o.nlanes = 2;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	sk = rx_sock(fx, RX_PORT);
	other = sock_new(fx, 1);

	/* negative cases */
	assert_int_equal(pp_poll(NULL, 1, 0), -EINVAL);
	p[0] = (struct pp_pollfd){.sk = sk, .events = PP_POLLIN};
	assert_int_equal(pp_poll(p, 0, 0), -EINVAL);
	p[1] = (struct pp_pollfd){.sk = other, .events = PP_POLLIN};
	assert_int_equal(pp_poll(p, 2, 0), -EINVAL); /* two lanes */
	p[1].sk = NULL;
	assert_int_equal(pp_poll(p, 2, 0), -EINVAL);
	assert_int_equal(pp_shutdown(NULL, SHUT_RD), -EINVAL);
	assert_int_equal(pp_shutdown(sk, 3), -EINVAL);
	assert_int_equal(pp_shutdown(sk, -1), -EINVAL);

	/* nothing queued: writable, not readable; a timed wait times out */
	p[0].events = PP_POLLIN | PP_POLLOUT;
	assert_int_equal(pp_poll(p, 1, 0), 1);
	assert_int_equal(p[0].revents, PP_POLLOUT);
	p[0].events = PP_POLLIN;
	uint64_t t0 = now_ns();

	assert_int_equal(pp_poll(p, 1, 20), 0);
	assert_true(now_ns() - t0 >= 20 * 1000000ull);
	assert_int_equal(p[0].revents, 0);
	/* a datagram arrives: readable */
	rx_udp(fx, RX_PORT, 10, 1);
	assert_int_equal(pp_poll(p, 1, -1), 1);
	assert_int_equal(p[0].revents, PP_POLLIN);
	assert_int_equal(pp_recv(sk, b, sizeof(b), 0), 10);

	/* an unconnected socket is shut all the same, with -ENOTCONN */
	assert_int_equal(pp_shutdown(sk, SHUT_WR), -ENOTCONN);
	assert_int_equal(pp_sendto(sk, b, 8, 0, SA(&d), sizeof(d)), -EPIPE);
	/* shut for reading: what is queued is still read, then end of data */
	rx_udp(fx, RX_PORT, 12, 2);
	assert_int_equal(pp_shutdown(sk, SHUT_RD), -ENOTCONN);
	assert_int_equal(pp_recv(sk, b, sizeof(b), 0), 12);
	assert_int_equal(pp_recv(sk, b, sizeof(b), PP_MSG_DONTWAIT), -EAGAIN);
	assert_int_equal(pp_recv(sk, b, sizeof(b), 0), 0);
	p[0].events = PP_POLLIN | PP_POLLRDHUP;
	assert_int_equal(pp_poll(p, 1, 0), 1);
	assert_int_equal(p[0].revents, PP_POLLIN | PP_POLLRDHUP | PP_POLLHUP);

	/* a connected socket: 0, and only its side is shut */
	struct pp_sock *c = sock_new(fx, 0);

	assert_int_equal(pp_connect(c, SA(&d), sizeof(d)), 0);
	assert_int_equal(pp_shutdown(c, SHUT_RD), 0);
	assert_int_equal(pp_send(c, b, 8, 0), 8);
	assert_int_equal(pp_shutdown(c, SHUT_RDWR), 0);
	assert_int_equal(pp_send(c, b, 8, 0), -EPIPE);

	/* a closed socket polls as POLLNVAL */
	assert_int_equal(pp_close(c), 0);
	p[0] = (struct pp_pollfd){.sk = c, .events = PP_POLLIN};
	assert_int_equal(pp_poll(p, 1, 0), 1);
	assert_int_equal(p[0].revents, PP_POLLNVAL);
	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(pp_close(other), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

/*
 * Send memory (cf. sk_wmem_alloc, sock_alloc_send_pskb(), sock_wfree()): a
 * socket's frames in flight are charged to it until they come home, a send
 * waits (or -EAGAIN) while they are at or above SO_SNDBUF, and poll says
 * POLLOUT below half of it. Lane 0 sends on TX queue 1, which lane 1 drives:
 * until lane 1 runs, every frame stays in flight.
 */
static void test_sndbuf_backpressure(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	struct pp_skb *skbs[8];
	uint8_t b[1000] = {0};
	struct pp_pollfd p;
	struct pp_sock *sk;
	int sent = 0;

	o.nlanes = 2;
	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_xps_set(fx->st, 0, 1), 0);
	sk = sock_new(fx, 0);
	assert_int_equal(pp_connect(sk, SA(&d), sizeof(d)), 0);
	/* 8192 -> sk_sndbuf 16384: eight 2 KiB frames, the eighth sent while
	 * seven are in flight (below the bound), the ninth refused */
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 8192), 0);
	while (pp_send(sk, b, sizeof(b), PP_MSG_DONTWAIT) == (ssize_t)sizeof(b))
		sent++;
	assert_int_equal(sent, 8);
	assert_int_equal(pp__sock_wmem(sk), 8 * PP_FRAME_2K);
	assert_int_equal(pp_send(sk, b, sizeof(b), PP_MSG_DONTWAIT), -EAGAIN);
	p = (struct pp_pollfd){.sk = sk, .events = PP_POLLOUT};
	assert_int_equal(pp_poll(&p, 1, 0), 0);
	/* a fragmented datagram counts every frame: 3000 bytes is 3 frames;
	 * with 7 in flight (below) it goes, and takes the socket to 10 */
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp__sock_wmem(sk), 0);
	assert_int_equal(pp_poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, PP_POLLOUT);
	static uint8_t big[3000];

	for (int i = 0; i < 3; i++)
		assert_int_equal(pp_send(sk, big, sizeof(big), PP_MSG_DONTWAIT), sizeof(big));
	assert_int_equal(pp__sock_wmem(sk), 9 * PP_FRAME_2K);
	assert_int_equal(pp_send(sk, b, 10, PP_MSG_DONTWAIT), -EAGAIN);
	/* a blocking send with SO_SNDTIMEO: -EAGAIN after the timeout */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 30000};

	assert_int_equal(pp_setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	uint64_t t0 = now_ns();

	assert_int_equal(pp_send(sk, b, 10, 0), -EAGAIN);
	assert_true(now_ns() - t0 >= 30 * 1000000ull);
	/* the zero-copy burst: as many as the send buffer has room for */
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp__sock_wmem(sk), 0);
	assert_int_equal(setint(sk, SOL_SOCKET, SO_SNDBUF, 4096), 0); /* 8192: 4 frames */
	assert_int_equal(pp_udp_alloc_burst(sk, skbs, 8), 8);
	for (int i = 0; i < 8; i++)
		assert_non_null(pp_skb_put(skbs[i], 16));
	assert_int_equal(pp_udp_send_burst(sk, skbs, 8, NULL, 0, 0), 4);
	assert_int_equal(pp_udp_send_burst(sk, skbs + 4, 4, NULL, 0, 0), 0);
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp_udp_send_burst(sk, skbs + 4, 4, NULL, 0, 0), 4);
	assert_int_equal(pp_lane_flush(fx->st, 1, 1000), 0);
	assert_int_equal(pp__sock_wmem(sk), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(fx->ss->nic_tx_packets, 8 + 9 + 8);
	assert_int_equal(pp_close(sk), 0);
	stack_finish(fx);
}

/*
 * An ICMP destination unreachable from the peer quoting a UDP datagram from
 * our @sport to the peer's @dport (@quote: bytes of the quoted datagram after
 * its IPv4 header; @saddr: the quoted source address), fed to lane 0.
 */
static void rx_icmp_unreach(struct fx *fx, uint8_t type, uint8_t code, uint32_t saddr,
			    uint16_t sport, uint16_t dport, uint32_t quote)
{
	struct pp_lane *l = &fx->st->lanes[0];
	struct pp_skb *skb = pp_skb_alloc(l->cache);
	uint8_t msg[8 + 20 + 64] = {0};
	uint32_t mlen = 8 + 20 + quote;
	unsigned int odd = 0;
	uint8_t *p;

	assert_non_null(skb);
	assert_true(quote <= 64);
	/* the quoted datagram: IPv4 header, then its UDP header */
	struct pp_ipv4_hdr in = {.ver_ihl = 0x45, .tot_len = htons(28 + 10), .ttl = 64,
				 .protocol = PP_IPPROTO_UDP, .saddr = saddr, .daddr = ip4(PEER_IP)};
	in.check = pp_csum(&in, 20);
	msg[0] = type;
	msg[1] = code;
	memcpy(msg + 8, &in, 20);
	msg[28] = (uint8_t)(ntohs(sport) >> 8);
	msg[29] = (uint8_t)ntohs(sport);
	msg[30] = (uint8_t)(dport >> 8);
	msg[31] = (uint8_t)dport;
	msg[32] = 0;
	msg[33] = 18;
	uint16_t c = pp_csum_fold(pp_csum_partial(msg, mlen, 0, &odd));

	memcpy(msg + 2, &c, 2);
	struct pp_ipv4_hdr ip = {.ver_ihl = 0x45, .tot_len = htons((uint16_t)(20 + mlen)),
				 .ttl = 64, .protocol = PP_IPPROTO_ICMP, .saddr = ip4(PEER_IP),
				 .daddr = ip4(OUR_IP)};
	ip.check = pp_csum(&ip, 20);
	p = pp_skb_put(skb, PP_ETH_HLEN + 20 + mlen);
	assert_non_null(p);
	memcpy(p, fx->st->mac, 6);
	memcpy(p + 6, peer_mac, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	memcpy(p + PP_ETH_HLEN, &ip, 20);
	memcpy(p + PP_ETH_HLEN + 20, msg, mlen);
	rx_feed(fx, &skb, 1);
}

/*
 * cf. __udp4_lib_err(): an ICMP port unreachable about what a connected
 * socket sent makes its next call fail with -ECONNREFUSED, once; poll says
 * POLLERR meanwhile. Soft errors, unconnected sockets, other peers, quotes
 * too short or of someone else's datagram change nothing.
 */
static void test_icmp_error_to_socket(void **state)
{
	struct fx *fx = *state;
	struct pp_stack_opts o = opts_default();
	struct sockaddr_in d = sin_of(PEER_IP, 5000);
	struct pp_pollfd pf;
	uint8_t b[16] = {0};
	struct pp_sock *sk, *un;
	int v;
	socklen_t len = sizeof(v);

	stack_up(fx, &o);
	assert_int_equal(pp_neigh_add(fx->st, ip4(PEER_IP), peer_mac), 0);
	assert_int_equal(pp_lane_attach(fx->st, 0), 0);
	sk = rx_sock(fx, RX_PORT);
	un = rx_sock(fx, RX_PORT + 1);
	assert_int_equal(pp_connect(sk, SA(&d), sizeof(d)), 0);
	assert_int_equal(pp_send(sk, b, sizeof(b), 0), sizeof(b));

	/* nothing reported: a soft error (net unreachable), a quote too
	 * short, not from our address, to another peer port, about the
	 * unconnected socket, a code past the table */
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 0, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5000, 4);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4("198.18.0.77"), htons(RX_PORT), 5000, 8);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5001, 8);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT + 1), 5000, 8);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 16, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	rx_icmp_unreach(fx, PP_ICMP_TIME_EXCEEDED, 0, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	pf = (struct pp_pollfd){.sk = sk, .events = PP_POLLOUT};
	assert_int_equal(pp_poll(&pf, 1, 0), 1);
	assert_int_equal(pf.revents, PP_POLLOUT);
	assert_int_equal(pp_send(sk, b, sizeof(b), 0), sizeof(b));
	assert_int_equal(pp_recv(un, b, sizeof(b), PP_MSG_DONTWAIT), -EAGAIN);

	/* port unreachable: POLLERR, then the next send fails once */
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	assert_int_equal(pp_poll(&pf, 1, 0), 1);
	assert_int_equal(pf.revents, PP_POLLOUT | PP_POLLERR);
	assert_int_equal(pp_send(sk, b, sizeof(b), 0), -ECONNREFUSED);
	assert_int_equal(pp_send(sk, b, sizeof(b), 0), sizeof(b));
	/* ... or the next receive, or SO_ERROR, whichever comes first */
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	assert_int_equal(pp_recv(sk, b, sizeof(b), PP_MSG_DONTWAIT), -ECONNREFUSED);
	assert_int_equal(pp_recv(sk, b, sizeof(b), PP_MSG_DONTWAIT), -EAGAIN);
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, ECONNREFUSED);
	assert_int_equal(pp_getsockopt(sk, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, 0);
	/* the burst API reports it too */
	rx_icmp_unreach(fx, PP_ICMP_DEST_UNREACH, 3, ip4(OUR_IP), htons(RX_PORT), 5000, 8);
	struct pp_skb *skbs[1];

	assert_int_equal(pp_udp_alloc_burst(sk, skbs, 1), 1);
	assert_non_null(pp_skb_put(skbs[0], 4));
	assert_int_equal(pp_udp_send_burst(sk, skbs, 1, NULL, 0, 0), -ECONNREFUSED);
	assert_int_equal(pp_udp_send_burst(sk, skbs, 1, NULL, 0, 0), 1);

	assert_int_equal(pp_close(sk), 0);
	assert_int_equal(pp_close(un), 0);
	assert_int_equal(pp_lane_flush(fx->st, 0, 1000), 0);
	stats(fx);
	assert_int_equal(drops_total(fx->ss), 0);
	assert_int_equal(pp_lane_detach(fx->st, 0), 0);
	stack_finish(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_bad_opts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sendto_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_burst_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qdisc_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iovec_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksums_tshark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_setter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_bounds_reassembled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_lane_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recvmsg_trunc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockopt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_accept_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sndbuf_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_to_socket, setup, teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
