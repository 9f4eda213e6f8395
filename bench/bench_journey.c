// SPDX-License-Identifier: MIT
/*
 * bench_journey.c - the whole UDP transmit journey over the null NIC, what
 * sendmmsg() costs the kernel: udp -> ip (route) -> neigh -> qsel -> qdisc
 * (bypass) -> null driver -> completion -> frames home.
 *
 * Cases (items = datagrams; 18-byte payload = 60-byte frames):
 *   journey/udp/rtc/flows:<1|1024>/burst:<n>    one lane run to completion
 *                                               on the timed thread
 *   journey/udp/split/flows:<1|1024>/burst:32   udp/ip/neigh on the timed
 *                                               thread, qsel/qdisc/driver on
 *                                               the lane's worker (other core)
 * The timed thread allocates n skbs with pp_udp_alloc_burst(), writes the
 * payload (sequence number) and hands them to pp_udp_send_burst(), as
 * pp-udpgen does. Flows differ in destination port (one per burst, rotating).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pktpipe/pktpipe.h>

#include "bench.h"
#include "bench_util.h"

struct journey_param {
	uint8_t placement;
	uint16_t flows;
	uint16_t burst;
};

struct journey_bench {
	struct journey_param p;
	struct pp_stack *st;
	struct pp_sock *sk;
	uint64_t seq;
	uint32_t flow;
	uint32_t dst;
};

static void *journey_setup(const void *param)
{
	const struct journey_param *p = param;
	struct journey_bench *b = calloc(1, sizeof(*b));
	static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};

	if (!b)
		return NULL;
	b->p = *p;
	b->dst = inet_addr("198.18.0.2");
	struct pp_stack_opts o = {
		.sz = sizeof(o),
		.nic = "null",
		.nlanes = 1,
		.placement = p->placement,
		.ip = inet_addr("198.18.0.1"),
		.prefix = 24,
	};
	int err = pp_stack_create(&o, &b->st);

	if (!err)
		err = pp_neigh_add(b->st, b->dst, peer);
	if (!err)
		err = pp_lane_attach(b->st, 0);
	if (!err)
		err = pp_socket(b->st, PP_SOCK_DGRAM, 0, &b->sk);
	if (err) {
		pp__bench_fail("journey setup: %s", strerror(-err));
		pp_stack_destroy(b->st);
		free(b);
		return NULL;
	}
	return b;
}

static uint64_t journey_run(void *state, uint64_t iters)
{
	struct journey_bench *b = state;
	struct pp_skb *skbs[PP_BURST_MAX];
	uint64_t sent = 0;

	for (uint64_t it = 0; it < iters; it++) {
		struct sockaddr_in dst = {.sin_family = AF_INET,
					  .sin_addr.s_addr = b->dst,
					  .sin_port = htons((uint16_t)(9 + b->flow))};
		int n = pp_udp_alloc_burst(b->sk, skbs, b->p.burst);

		if (n <= 0) {
			pp_lane_poll(b->st, 0);
			continue;
		}
		for (int i = 0; i < n; i++) {
			uint8_t *d = pp_skb_put(skbs[i], 18);
			uint64_t be = __builtin_bswap64(b->seq + (uint64_t)i);

			memcpy(d, &be, 8);
			memset(d + 8, (int)(b->seq + (uint64_t)i), 10);
		}
		int ok = pp_udp_send_burst(b->sk, skbs, (unsigned int)n, (struct sockaddr *)&dst,
					   sizeof(dst), 0);

		if (ok < 0) {
			pp__bench_fail("pp_udp_send_burst: %s", strerror(-ok));
			return sent;
		}
		if (ok < n)
			pp_sock_free_skbs(b->sk, skbs + ok, (unsigned int)(n - ok));
		b->seq += (uint64_t)ok;
		sent += (uint64_t)ok;
		if (++b->flow == b->p.flows)
			b->flow = 0;
	}
	return sent;
}

static void journey_teardown(void *state)
{
	struct journey_bench *b = state;

	if (!b)
		return;
	pp_lane_flush(b->st, 0, 1000);
	pp_close(b->sk);
	pp_lane_detach(b->st, 0);
	pp_stack_destroy(b->st);
	free(b);
}

#define J(pl, plname, fl, bu)                                                         \
	{"journey/udp/" plname "/flows:" #fl "/burst:" #bu, journey_setup, journey_run, \
	 journey_teardown, &(const struct journey_param){pl, fl, bu}}

static const struct pp_bench_def journey_defs[] = {
	J(PP_PLACE_RTC, "rtc", 1, 1),	   J(PP_PLACE_RTC, "rtc", 1, 8),
	J(PP_PLACE_RTC, "rtc", 1, 32),	   J(PP_PLACE_RTC, "rtc", 1, 64),
	J(PP_PLACE_RTC, "rtc", 1, 256),	   J(PP_PLACE_RTC, "rtc", 1024, 32),
	J(PP_PLACE_SPLIT, "split", 1, 32), J(PP_PLACE_SPLIT, "split", 1024, 32),
};

const struct pp_bench_def *pp_bench_journey_defs(size_t *n)
{
	*n = sizeof(journey_defs) / sizeof(journey_defs[0]);
	return journey_defs;
}
