// SPDX-License-Identifier: MIT
/*
 * fuzz_common.h - what the fuzz targets share: a whole stack on the null NIC,
 * built once per process and driven from the fuzzer's thread as the lane
 * thread drives it (receive burst -> pp__rx_input() -> l3 to the IP ring, l2
 * through qsel to the TX queue -> pp__lane_run(), where the null NIC
 * completes what it is given), on the process-wide fake clock; the checks
 * made while an input runs (fuzz_check_bounds()) and after it (every hold
 * emptied, the pool back at its baseline); and a byte reader over the input.
 *
 * A failed check prints what it saw and calls abort(), which libFuzzer (and
 * the replay main, through the test runner) reports as a crash.
 *
 * Everything here is static: each target is one translation unit. Functions
 * are static inline so a target that needs only part of it still builds
 * with -Werror.
 */
#ifndef PP_TESTS_FUZZ_COMMON_H
#define PP_TESTS_FUZZ_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/sock.h>
#include <pktpipe/stack.h>

#include "core/time.h"
#include "proto/defaults.h"
#include "proto/neigh.h"
#include "proto/qsel.h"
#include "proto/reasm.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"
#include "proto/udp_priv.h"

/* libFuzzer's entry points; the replay main (fuzz_replay.c) calls the same. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_IP(a, b, c, d) \
	htonl((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define FUZZ_OUR_IP FUZZ_IP(10, 0, 0, 1)
#define FUZZ_STATIC_IP FUZZ_IP(10, 0, 0, 9)	/* a PERMANENT neighbour */
#define FUZZ_PORT0 7000				/* bound UDP sockets */
#define FUZZ_PORT1 7001
#define FUZZ_MAX_FRAMES 64			/* frames one input may feed */
#define FUZZ_MAX_OPS 256			/* ops one input may have */
#define FUZZ_T0 (1000ull * PP_NSEC_PER_SEC)	/* fake time at start */
/* A small pool, so that holds are large against it (256 frames of 2 KiB:
 * the reassembly share of defaults.h is then 32 frames). */
#define FUZZ_FRAMES 256u
#define FUZZ_FRAME_SIZE 2048u

static const uint8_t fuzz_static_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x09};

#define FUZZ_FAIL(...)                                                     \
	do {                                                               \
		fprintf(stderr, "fuzz check failed at %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                              \
		fputc('\n', stderr);                                       \
		abort();                                                   \
	} while (0)

#define FUZZ_CHECK(cond, ...)             \
	do {                              \
		if (!(cond))              \
			FUZZ_FAIL(__VA_ARGS__); \
	} while (0)

/* ---- reading the input -------------------------------------------------- */

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fuzz_more(const struct fuzz_in *in)
{
	return in->n > 0;
}

/* Next byte, 0 past the end (so a short input still means something). */
static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to @want bytes in place; *@got says how many there were. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;

	*got = want < in->n ? want : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

/* Clock steps an op byte selects: around every timer of the stack (neighbour
 * retrans 1 s, failed_hold 1 s, reachable 30 s; reassembly 30 s). */
static inline uint64_t fuzz_clock_step(uint8_t sel)
{
	static const uint64_t ms[16] = {1,    10,   100,  500,	 999,	1000,  1001,  2000,
					3000, 5000, 9999, 15000, 29999, 30000, 30001, 61000};

	return ms[sel & 15] * PP_NSEC_PER_MSEC;
}

/* ---- bounds ------------------------------------------------------------- */

/*
 * What a hold may contain while an input runs. Set the fields that apply:
 * @reasm/@reasm_max a reassembly table and the max_bytes it was made with;
 * @st a stack whose lane 0 holds (its reassembly table, limited to
 * PP_REASM_HIGH_THRESH, and its sockets' receive queues).
 * The stack's holds are held to their share of the lane's frames (defaults.h):
 * reassembly, and the bytes its sockets' receive queues hold.
 */
struct fuzz_bounds {
	const struct pp_reasm *reasm;
	uint64_t reasm_max;
	struct pp_stack *st;
};

static inline void fuzz_check_reasm(const struct pp_reasm *r, uint64_t max, const char *what)
{
	struct pp_reasm_stats rs;

	FUZZ_CHECK(pp__reasm_stats(r, &rs) == 0, "%s: pp__reasm_stats failed", what);
	FUZZ_CHECK(rs.bytes <= max, "%s: reassembly holds %llu bytes, bound %llu", what,
		   (unsigned long long)rs.bytes, (unsigned long long)max);
	FUZZ_CHECK(rs.queues <= rs.max_queues, "%s: %u reassembly queues of %u", what, rs.queues,
		   rs.max_queues);
	FUZZ_CHECK(rs.frags <= rs.bytes, "%s: %llu fragments in %llu bytes", what,
		   (unsigned long long)rs.frags, (unsigned long long)rs.bytes);
	FUZZ_CHECK((rs.frags == 0) == (rs.queues == 0), "%s: %llu fragments in %u queues", what,
		   (unsigned long long)rs.frags, rs.queues);
}

/* A socket holds at most its rcvbuf plus the one datagram that may go past
 * it (the kernel's rule), and nothing of a closed one is left queued. */
static void fuzz_check_sock(struct pp_sock *sk, void *arg)
{
	uint32_t rmem = atomic_load(&sk->rmem_alloc);

	(void)arg;
	FUZZ_CHECK(rmem <= sk->rcvbuf + 64u * PP_FRAME_4K,
		   "socket on port %u holds %u bytes, rcvbuf %u", ntohs(sk->sport), rmem, sk->rcvbuf);
	FUZZ_CHECK(sk->open || rmem == 0, "a closed socket holds %u bytes", rmem);
}

static inline void fuzz_check_socks(struct pp_stack *st)
{
	if (st->udp)
		pp__sock_slab_for_each(&st->udp->slab, fuzz_check_sock, NULL);
}

static inline void fuzz_check_bounds(const struct fuzz_bounds *b)
{
	if (b->reasm)
		fuzz_check_reasm(b->reasm, b->reasm_max, "reasm");
	if (b->st) {
		struct pp_stack *st = b->st;
		struct pp_lane *l = &st->lanes[0];
		uint64_t lane_frames = st->opts.frames_per_lane;

		if (l->reasm) {
			fuzz_check_reasm(l->reasm, PP_REASM_HIGH_THRESH, "lane reasm");
			fuzz_check_reasm(l->reasm,
					 pp__hold_share((uint32_t)lane_frames,
							pp_pool_frame_size(st->pool),
							PP_HOLD_REASM_DIV),
					 "lane reasm (share)");
		}
		/* socket receive queues this lane feeds: within its share (udp_mem) */
		uint64_t rcv = atomic_load(&l->rcv_mem);

		FUZZ_CHECK(rcv <= l->rcv_mem_max &&
				   l->rcv_mem_max <= pp__hold_share((uint32_t)lane_frames,
								    pp_pool_frame_size(st->pool),
								    PP_HOLD_RCV_DIV),
			   "lane receive queues hold %llu bytes, bound %llu",
			   (unsigned long long)rcv, (unsigned long long)l->rcv_mem_max);
		fuzz_check_socks(st);
	}
}

/* ---- the stack ---------------------------------------------------------- */

struct fuzz_stack {
	struct pp_stack *st;
	struct pp_lane *l;
	struct pp_sock *sk[2];		/* bound to FUZZ_PORT0, FUZZ_PORT1 */
	uint64_t baseline;		/* pool in_use between inputs */
	/* the receive burst being gathered */
	struct pp_skb *burst[PP_BURST];
	uint16_t nburst;
	unsigned int frames;		/* frames fed in this input */
	/* addresses this input may have made neighbour entries for */
	uint32_t ips[4 * FUZZ_MAX_FRAMES + 64];
	unsigned int nips;
	/* neighbour entries deleted since the last rcu_barrier() */
	unsigned int killed;
};

static struct fuzz_stack fz;

/* ---- PP_FUZZ_VERBOSE=1: what each input did, for checking the seeds ------ */

static inline bool fuzz_verbose(void)
{
	static int v = -1;

	if (v < 0) {
		const char *e = getenv("PP_FUZZ_VERBOSE");

		v = e && *e == '1';
	}
	return v;
}

/* Print the counters of the lane's stages that moved since @before (and
 * update @before). */
static inline void fuzz_report(struct pp_stage_stats *before)
{
	static const char *const names[PP_STAGE_MAX] = {
		[PP_STAGE_UDP] = "udp", [PP_STAGE_IP] = "ip", [PP_STAGE_NEIGH] = "neigh",
		[PP_STAGE_QSEL] = "qsel", [PP_STAGE_QDISC] = "qdisc", [PP_STAGE_TX] = "tx",
		[PP_STAGE_COMPLETION] = "completion", [PP_STAGE_RX] = "rx",
		[PP_STAGE_ARP] = "arp", [PP_STAGE_ICMP] = "icmp",
	};
	struct pp_neigh_lane_stats ns;

	for (unsigned int i = 0; i < PP_STAGE_MAX; i++) {
		const struct pp_stage_stats *now = &fz.l->stats[i];

		if (now->packets == before[i].packets &&
		    pp_stage_stats_drops(now) == pp_stage_stats_drops(&before[i]))
			continue;
		fprintf(stderr, "  %-6s +%llu pkts", names[i] ? names[i] : "?",
			(unsigned long long)(now->packets - before[i].packets));
		for (unsigned int r = 0; r < PP_DROP_MAX; r++)
			if (now->drops[r] != before[i].drops[r])
				fprintf(stderr, " %s:+%llu", pp_drop_reason_name(r),
					(unsigned long long)(now->drops[r] - before[i].drops[r]));
		fputc('\n', stderr);
		before[i] = *now;
	}
	if (!pp__neigh_lane_stats(fz.l->nl, &ns))
		fprintf(stderr, "  neigh lane: held %llu flushed %llu arp_requests %llu created %llu\n",
			(unsigned long long)ns.held, (unsigned long long)ns.flushed,
			(unsigned long long)ns.arp_requests, (unsigned long long)ns.created);
}

static inline void fuzz_pool(struct pp_pool_stats *ps)
{
	FUZZ_CHECK(pp_pool_stats(fz.st->pool, ps) == 0, "pp_pool_stats failed");
	FUZZ_CHECK(ps->bad_free == 0, "%llu bad frees", (unsigned long long)ps->bad_free);
}

/* Remember @ip (network order) to delete its neighbour entry after the input. */
static inline void fuzz_note_ip(uint32_t ip)
{
	if (!ip || ip == FUZZ_STATIC_IP || ip == FUZZ_OUR_IP)
		return;
	for (unsigned int i = 0; i < fz.nips; i++)
		if (fz.ips[i] == ip)
			return;
	if (fz.nips < sizeof(fz.ips) / sizeof(fz.ips[0]))
		fz.ips[fz.nips++] = ip;
}

/* Addresses a received frame may make an entry for: ARP sender and target,
 * IPv4 source (the next hop of what we answer). */
static inline void fuzz_note_frame(const uint8_t *b, size_t len)
{
	uint32_t a;

	if (len < PP_ETH_HLEN)
		return;
	if (b[12] == 0x08 && b[13] == 0x06 && len >= PP_ETH_HLEN + 28) {
		memcpy(&a, b + PP_ETH_HLEN + 14, 4);
		fuzz_note_ip(a);
		memcpy(&a, b + PP_ETH_HLEN + 24, 4);
		fuzz_note_ip(a);
	} else if (b[12] == 0x08 && b[13] == 0x00 && len >= PP_ETH_HLEN + 20) {
		memcpy(&a, b + PP_ETH_HLEN + 12, 4);
		fuzz_note_ip(a);
	}
}

/* Run the lane (transmit side: ip, neigh and its timers, qsel, qdisc, the
 * null NIC's completions) until nothing moves. */
static inline void fuzz_lane_run(void)
{
	pp__lane_online();
	for (unsigned int k = 0; k < 64; k++)
		if (!pp__lane_run(fz.l))
			break;
	pp__lane_offline();
}

/* Hand the receive stage's outputs on as the lane does (cf. lane_rx_queue()):
 * l3 to the IP ring, l2 through qsel to the TX queue rings. */
static inline void fuzz_rx_out(struct pp_rx_out *o)
{
	struct pp_lane *l = fz.l;

	pp__ip_queue_xmit(l, o->l3, o->n_l3);
	pp__dev_queue_xmit(l->dev, o->l2, o->n_l2);
	o->n_l3 = o->n_l2 = 0;
}

/* Receive the gathered burst, hand its outputs on, run the lane. */
static inline void fuzz_rx_flush(void)
{
	struct pp_skb *l3[PP_BURST * 2], *l2[PP_BURST * 2];
	struct pp_rx_out o = {.l3 = l3, .l2 = l2, .cap = PP_BURST * 2};
	uint16_t n = fz.nburst;

	if (!n)
		return;
	fz.nburst = 0;
	pp__lane_online();
	FUZZ_CHECK(pp__rx_input(&fz.l->s_rx, fz.burst, n, &o) == n, "rx did not take the burst");
	FUZZ_CHECK(o.n_l3 <= o.cap && o.n_l2 <= o.cap, "rx wrote %u/%u outputs beyond %u", o.n_l3,
		   o.n_l2, o.cap);
	fuzz_rx_out(&o);
	pp__lane_offline();
	fuzz_check_bounds(&(struct fuzz_bounds){.st = fz.st});
	fuzz_lane_run();
	fuzz_check_bounds(&(struct fuzz_bounds){.st = fz.st});
}

/* Queue one received frame (a copy of @b) into the burst; flush when full
 * or when @flush. Frames past FUZZ_MAX_FRAMES per input are ignored. */
static inline void fuzz_rx_frame(const uint8_t *b, size_t len, bool flush)
{
	struct pp_skb *skb;
	uint8_t *p;

	if (fz.frames >= FUZZ_MAX_FRAMES)
		return;
	fz.frames++;
	fuzz_note_frame(b, len);
	skb = pp_skb_alloc(fz.l->cache);
	if (!skb) {
		/* as a NIC with an empty fill ring: the frame is lost */
		fuzz_rx_flush();
		return;
	}
	if (len > pp_skb_tailroom(skb))
		len = pp_skb_tailroom(skb);
	p = pp_skb_put(skb, (uint32_t)len);
	FUZZ_CHECK(p != NULL, "pp_skb_put(%zu) failed", len);
	if (len)
		memcpy(p, b, len);
	fz.burst[fz.nburst++] = skb;
	if (flush || fz.nburst == PP_BURST)
		fuzz_rx_flush();
}

/* Receive every datagram the sockets hold (non-blocking). */
static inline void fuzz_drain_socks(void)
{
	static uint8_t buf[65536];

	for (unsigned int i = 0; i < 2; i++) {
		struct sockaddr_in from;
		socklen_t sl = sizeof(from);
		ssize_t r;

		while ((r = pp_recvfrom(fz.sk[i], buf, sizeof(buf), PP_MSG_DONTWAIT,
					(struct sockaddr *)&from, &sl)) >= 0) {
			FUZZ_CHECK(from.sin_family == AF_INET, "recvfrom: family %u",
				   from.sin_family);
			sl = sizeof(from);
		}
		FUZZ_CHECK(r == -EAGAIN, "recvfrom: %zd", r);
	}
}

/* Move the fake clock on and let every timer see it: the lane (neighbour
 * poll), the neighbour table's ageing and the reassembly table's timeouts. */
static inline void fuzz_advance(uint64_t ns)
{
	uint64_t now;

	fuzz_rx_flush();
	pp__clock_advance(ns);
	now = pp__now_ns();
	fuzz_lane_run();
	pp__lane_online();
	int removed = pp__neigh_tick(fz.st->neigh, now);

	FUZZ_CHECK(removed >= 0, "pp__neigh_tick failed");
	fz.killed += (unsigned int)removed;
	pp__reasm_tick(fz.l->reasm, &fz.l->s_rx, now);
	pp__lane_offline();
	fuzz_lane_run();
	fuzz_check_bounds(&(struct fuzz_bounds){.st = fz.st});
}

/* Empty every hold the input filled: socket queues, neighbour pending queues
 * (their probes run out: INCOMPLETE -> FAILED drops them), reassembly (timed
 * out), and the entries the input created (deleted, so that the next input
 * starts from the same table); then the pool must be back at its baseline. */
static inline void fuzz_settle(void)
{
	struct pp_pool_stats ps;
	struct pp_reasm_stats rs;

	fuzz_rx_flush();
	fuzz_drain_socks();
	for (unsigned int i = 0; i < 5; i++)
		fuzz_advance(1100 * PP_NSEC_PER_MSEC); /* past mcast_probes x retrans */
	pp__lane_online();
	for (unsigned int i = 0; i < fz.nips; i++)
		fz.killed += pp__neigh_del(fz.st->neigh, fz.ips[i]) == 0;
	pp__lane_offline();
	fz.nips = 0;
	/* Deleted entries go back to the table's slab after a grace period,
	 * from liburcu's call_rcu thread. Thousands of inputs a second delete
	 * faster than that thread reclaims, and a table whose slab is waiting
	 * on it refuses new entries (-ENOBUFS): wait for it now and then, so
	 * that every input finds the table as a fresh one (offline here). */
	if (fz.killed >= 128) {
		rcu_barrier();
		fz.killed = 0;
	}
	fuzz_advance(PP_REASM_TIMEOUT_NS + PP_NSEC_PER_SEC);
	fuzz_drain_socks();
	fuzz_lane_run();
	FUZZ_CHECK(pp__neigh_lane_idle(fz.l->nl), "the neighbour stage still holds skbs");
	FUZZ_CHECK(pp__reasm_stats(fz.l->reasm, &rs) == 0 && rs.frags == 0 && rs.bytes == 0,
		   "reassembly still holds %llu fragments, %llu bytes", (unsigned long long)rs.frags,
		   (unsigned long long)rs.bytes);
	FUZZ_CHECK(!fz.l->nmore && pp__dev_lane_idle(fz.l->dev), "the lane still holds skbs");
	fuzz_pool(&ps);
	if (fuzz_verbose()) {
		static struct pp_stage_stats before[PP_STAGE_MAX];

		fuzz_report(before);
	}
	FUZZ_CHECK(ps.in_use == fz.baseline,
		   "pool: %llu frames in use after the input, %llu before (leak or double free)",
		   (unsigned long long)ps.in_use, (unsigned long long)fz.baseline);
	fz.frames = 0;
}

static inline struct pp_sock *fuzz_sock(uint16_t port)
{
	struct pp_sock *sk = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = FUZZ_OUR_IP};

	FUZZ_CHECK(pp_socket(fz.st, PP_SOCK_DGRAM, 0, &sk) == 0, "pp_socket failed");
	FUZZ_CHECK(pp_bind(sk, (struct sockaddr *)&sin, sizeof(sin)) == 0, "pp_bind failed");
	return sk;
}

/*
 * Build the stack once per process: null NIC, one lane attached to this
 * thread, 10.0.0.1/24, two bound UDP sockets, a static neighbour, a route
 * to 192.168.0.0/16 through 10.0.0.2, fake clock on.
 */
static inline void fuzz_stack_init(void)
{
	struct pp_stack_opts o;
	struct pp_pool_stats ps;
	int err;

	if (fz.st)
		return;
	pp__clock_set_fake(FUZZ_T0);
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.nic = "null";
	o.ip = FUZZ_OUR_IP;
	o.prefix = 24;
	o.nlanes = 1;
	o.frames_per_lane = FUZZ_FRAMES;
	o.frame_size = FUZZ_FRAME_SIZE;
	o.flags = PP_STACK_F_NO_PIN;
	err = pp_stack_create(&o, &fz.st);
	FUZZ_CHECK(!err, "pp_stack_create: %d", err);
	FUZZ_CHECK(pp_lane_attach(fz.st, 0) == 0, "pp_lane_attach failed");
	fz.l = &fz.st->lanes[0];
	FUZZ_CHECK(fz.l->reasm && fz.st->neigh, "no reassembly or neighbour table");
	fz.sk[0] = fuzz_sock(FUZZ_PORT0);
	fz.sk[1] = fuzz_sock(FUZZ_PORT1);
	FUZZ_CHECK(pp_neigh_add(fz.st, FUZZ_STATIC_IP, fuzz_static_mac) == 0, "pp_neigh_add failed");
	FUZZ_CHECK(pp_route_add(fz.st, FUZZ_IP(192, 168, 0, 0), 16, FUZZ_IP(10, 0, 0, 2)) == 0,
		   "pp_route_add failed");
	fuzz_lane_run();
	fuzz_pool(&ps);
	fz.baseline = ps.in_use;
}

#endif /* PP_TESTS_FUZZ_COMMON_H */
