// SPDX-License-Identifier: MIT
/*
 * pp-udpgen - a UDP traffic generator over pktpipe (cf. the kernel's
 * pktgen): one thread per lane sends datagrams through the whole journey
 * (udp -> ip -> neigh -> qsel -> qdisc -> driver) and prints the rate and a
 * per-stage table, or one JSON object with --json.
 *
 * Payload format, so any receiver can check every byte: a 64-bit big-endian
 * sequence number per flow (from 0), then byte i (i >= 8) = (seq + i) & 0xff.
 * Flows differ in their destination port (PORT, PORT+1, ...).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pktpipe/pktpipe.h>

#include "tool_common.h"

#define MAX_NEIGH 16
#define MAX_FLOWS 65536

struct cfg {
	const char *nic;
	unsigned int lanes;
	int placement;
	uint32_t ip;
	uint8_t prefix;
	uint32_t gw;
	uint32_t dst;
	uint16_t dport;
	uint16_t sport;
	unsigned int size;
	uint64_t count;
	double seconds;
	unsigned int flows;
	unsigned int burst;
	bool json;
	bool no_neigh;
	bool compl_threads;
	bool no_timing;
	double pps;	/* 0: as fast as possible */
	bool sendto_api;
	double linger;
	unsigned int nneigh;
	uint32_t neigh_ip[MAX_NEIGH];
	uint8_t neigh_mac[MAX_NEIGH][6];
};

struct lane_ctx {
	struct cfg *cfg;
	struct pp_stack *st;
	unsigned int lane;
	uint64_t quota;
	uint64_t sent;
	uint64_t *seq; /* per flow */
	int err;
	pthread_t thr;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pp-udpgen --nic null|pcap:FILE|afxdp:IFACE[,...] [--lanes N]\n"
		"         [--placement rtc|split] [--ip ADDR/PREFIX] [--gw IP] [--neigh IP=MAC]...\n"
		"         [--dst IP:PORT] [--src-port P] [--size PAYLOAD_BYTES]\n"
		"         (--count N | --seconds S) [--flows N] [--burst N] [--api burst|sendto]\n"
		"         [--reap inline|thread] [--pps RATE] [--linger S] [--no-stage-timing] [--json]\n"
		"defaults: --nic null --ip 198.18.0.1/24 --dst 198.18.0.2:9 --size 18 --seconds 5\n"
		"          (null and pcap NICs get a static neighbour for the next hop unless\n"
		"          --neigh none: then it is resolved with ARP)\n");
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{"nic", required_argument, 0, 'n'},	  {"lanes", required_argument, 0, 'l'},
		{"placement", required_argument, 0, 'p'}, {"ip", required_argument, 0, 'i'},
		{"gw", required_argument, 0, 'g'},	  {"neigh", required_argument, 0, 'N'},
		{"dst", required_argument, 0, 'd'},	  {"src-port", required_argument, 0, 's'},
		{"size", required_argument, 0, 'z'},	  {"count", required_argument, 0, 'c'},
		{"seconds", required_argument, 0, 'S'},	  {"flows", required_argument, 0, 'f'},
		{"burst", required_argument, 0, 'b'},	  {"json", no_argument, 0, 'j'},
		{"api", required_argument, 0, 'a'},	  {"linger", required_argument, 0, 'L'},
		{"reap", required_argument, 0, 'R'},	  {"help", no_argument, 0, 'h'},
		{"no-stage-timing", no_argument, 0, 'T'},
		{"pps", required_argument, 0, 'P'},
		{0, 0, 0, 0},
	};
	char buf[64], *slash, *colon, *eq, *end;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->nic = optarg;
			break;
		case 'l':
			c->lanes = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || c->lanes == 0 || c->lanes > PP_LANES_MAX) {
				fprintf(stderr, "pp-udpgen: --lanes must be 1..%d\n", PP_LANES_MAX);
				return -1;
			}
			break;
		case 'p':
			if (!strcmp(optarg, "rtc"))
				c->placement = PP_PLACE_RTC;
			else if (!strcmp(optarg, "split"))
				c->placement = PP_PLACE_SPLIT;
			else {
				fprintf(stderr, "pp-udpgen: --placement is rtc or split\n");
				return -1;
			}
			break;
		case 'i':
			snprintf(buf, sizeof(buf), "%s", optarg);
			slash = strchr(buf, '/');
			c->prefix = 24;
			if (slash) {
				*slash = 0;
				unsigned long p = strtoul(slash + 1, &end, 10);

				if (*end || p > 32) {
					fprintf(stderr, "pp-udpgen: bad prefix in --ip %s\n", optarg);
					return -1;
				}
				c->prefix = (uint8_t)p;
			}
			if (parse_ip(buf, &c->ip)) {
				fprintf(stderr, "pp-udpgen: bad --ip %s\n", optarg);
				return -1;
			}
			break;
		case 'g':
			if (parse_ip(optarg, &c->gw)) {
				fprintf(stderr, "pp-udpgen: bad --gw %s\n", optarg);
				return -1;
			}
			break;
		case 'N':
			if (!strcmp(optarg, "none")) {
				c->no_neigh = true; /* resolve the next hop with ARP */
				break;
			}
			snprintf(buf, sizeof(buf), "%s", optarg);
			eq = strchr(buf, '=');
			if (!eq || c->nneigh == MAX_NEIGH) {
				fprintf(stderr, "pp-udpgen: --neigh IP=MAC (at most %d)\n", MAX_NEIGH);
				return -1;
			}
			*eq = 0;
			if (parse_ip(buf, &c->neigh_ip[c->nneigh]) ||
			    parse_mac(eq + 1, c->neigh_mac[c->nneigh])) {
				fprintf(stderr, "pp-udpgen: bad --neigh %s\n", optarg);
				return -1;
			}
			c->nneigh++;
			break;
		case 'd':
			snprintf(buf, sizeof(buf), "%s", optarg);
			colon = strchr(buf, ':');
			if (!colon) {
				fprintf(stderr, "pp-udpgen: --dst IP:PORT\n");
				return -1;
			}
			*colon = 0;
			unsigned long port = strtoul(colon + 1, &end, 10);

			if (*end || port == 0 || port > 65535 || parse_ip(buf, &c->dst)) {
				fprintf(stderr, "pp-udpgen: bad --dst %s\n", optarg);
				return -1;
			}
			c->dport = (uint16_t)port;
			break;
		case 's':
			c->sport = (uint16_t)strtoul(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "pp-udpgen: bad --src-port\n");
				return -1;
			}
			break;
		case 'z':
			c->size = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || c->size > 65507) {
				fprintf(stderr, "pp-udpgen: --size must be 8..65507\n");
				return -1;
			}
			if (c->size < 8) {
				fprintf(stderr, "pp-udpgen: --size %u is too small: the payload starts "
						"with an 8-byte sequence number, so it needs at least 8 bytes\n",
					c->size);
				return -1;
			}
			break;
		case 'c':
			c->count = strtoull(optarg, &end, 10);
			if (*end || !c->count) {
				fprintf(stderr, "pp-udpgen: bad --count\n");
				return -1;
			}
			break;
		case 'S':
			c->seconds = strtod(optarg, &end);
			if (*end || c->seconds <= 0) {
				fprintf(stderr, "pp-udpgen: bad --seconds\n");
				return -1;
			}
			break;
		case 'f':
			c->flows = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !c->flows || c->flows > MAX_FLOWS) {
				fprintf(stderr, "pp-udpgen: --flows must be 1..%d\n", MAX_FLOWS);
				return -1;
			}
			break;
		case 'b':
			c->burst = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !c->burst || c->burst > PP_BURST_MAX) {
				fprintf(stderr, "pp-udpgen: --burst must be 1..%d\n", PP_BURST_MAX);
				return -1;
			}
			break;
		case 'a':
			if (!strcmp(optarg, "sendto"))
				c->sendto_api = true;
			else if (strcmp(optarg, "burst")) {
				fprintf(stderr, "pp-udpgen: --api is burst or sendto\n");
				return -1;
			}
			break;
		case 'L':
			c->linger = strtod(optarg, &end);
			if (*end || c->linger < 0) {
				fprintf(stderr, "pp-udpgen: bad --linger\n");
				return -1;
			}
			break;
		case 'j':
			c->json = true;
			break;
		case 'T':
			c->no_timing = true;
			break;
		case 'P':
			c->pps = strtod(optarg, &end);
			if (*end || c->pps <= 0) {
				fprintf(stderr, "pp-udpgen: bad --pps\n");
				return -1;
			}
			break;
		case 'R':
			if (!strcmp(optarg, "thread"))
				c->compl_threads = true;
			else if (strcmp(optarg, "inline")) {
				fprintf(stderr, "pp-udpgen: --reap is inline or thread\n");
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pp-udpgen: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (c->count && c->seconds) {
		fprintf(stderr, "pp-udpgen: give --count or --seconds, not both\n");
		return -1;
	}
	if (!c->count && !c->seconds)
		c->seconds = 5;
	return 0;
}

/*
 * Fill @p (len bytes) with the payload of sequence number @seq, eight bytes
 * per store: byte k of a word is (seq + i + k) & 0xff, added lane-wise
 * without carries between bytes (SWAR), so the checksum that reads the
 * payload next finds whole words to forward from.
 */
static inline void fill_payload(uint8_t *p, unsigned int len, uint64_t seq)
{
	const uint64_t steps = 0x0706050403020100ull, h = 0x8080808080808080ull;
	uint64_t be = __builtin_bswap64(seq);
	unsigned int i = 8;

	memcpy(p, &be, 8);
	for (; i + 8 <= len; i += 8) {
		uint64_t a = (uint64_t)(uint8_t)(seq + i) * 0x0101010101010101ull;
		uint64_t w = ((a & ~h) + (steps & ~h)) ^ ((a ^ steps) & h);

		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)(seq + i);
}

static void *lane_main(void *arg)
{
	struct lane_ctx *lc = arg;
	struct cfg *c = lc->cfg;
	struct pp_sock *sk;
	struct pp_skb *skbs[PP_BURST_MAX];
	unsigned int have = 0, flow = lc->lane % c->flows;
	double start = now_s(), end = c->seconds ? start + c->seconds : 0;
	double lane_pps = c->pps / c->lanes;
	uint8_t *buf = NULL;
	int err;

	err = pp_lane_attach(lc->st, lc->lane);
	if (!err)
		err = pp_socket(lc->st, PP_SOCK_DGRAM, lc->lane, &sk);
	if (err) {
		lc->err = err;
		return NULL;
	}
	if (c->sport) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)(c->sport + lc->lane))};

		err = pp_bind(sk, (struct sockaddr *)&sin, sizeof(sin));
		if (err) {
			lc->err = err;
			pp_close(sk);
			return NULL;
		}
	}
	bool big = c->size > (unsigned int)pp_udp_max_payload(sk);

	if (c->sendto_api || big) {
		buf = malloc(c->size);
		if (!buf) {
			lc->err = -ENOMEM;
			pp_close(sk);
			return NULL;
		}
	}
	uint64_t turns = 0;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed) && lc->sent < lc->quota) {
		struct sockaddr_in dst = {.sin_family = AF_INET,
					  .sin_addr.s_addr = c->dst,
					  .sin_port = htons((uint16_t)(c->dport + flow))};
		uint64_t left = lc->quota - lc->sent;

		/* the clock every 64 turns of the loop (not "every 1024
		 * datagrams": short counts step over the multiples, and a run
		 * of --seconds 3 went on for 20) */
		if ((++turns & 63) == 0 && end && now_s() >= end)
			break;
		if (lane_pps > 0) {
			/* --pps: no more than the rate allows so far; poll meanwhile */
			double allowed = (now_s() - start) * lane_pps - (double)lc->sent;

			if (allowed < 1) {
				if (pp_lane_poll(lc->st, lc->lane) == 0)
					usleep(20);
				continue;
			}
			if (left > (uint64_t)allowed)
				left = (uint64_t)allowed;
		}
		if (buf) {
			/* the copying API: one pp_sendto per datagram, batched
			 * with PP_MSG_MORE except the last of a burst */
			unsigned int n = c->burst < left ? c->burst : (unsigned int)left;

			for (unsigned int i = 0; i < n; i++) {
				fill_payload(buf, c->size, lc->seq[flow]);
				ssize_t r = pp_sendto(sk, buf, c->size, i + 1 < n ? PP_MSG_MORE : 0,
						      (struct sockaddr *)&dst, sizeof(dst));

				if (r < 0) {
					lc->err = (int)r;
					goto out;
				}
				lc->seq[flow]++;
				lc->sent++;
			}
		} else {
			unsigned int want = c->burst < left ? c->burst : (unsigned int)left;

			if (have < want) {
				int got = pp_udp_alloc_burst(sk, skbs + have, want - have);

				if (got < 0) {
					lc->err = got;
					break;
				}
				for (int i = 0; i < got; i++)
					pp_skb_put(skbs[have + i], c->size);
				have += (unsigned int)got;
				if (!have) {
					pp_lane_poll(lc->st, lc->lane);
					continue;
				}
			}
			/* sequence numbers are written only into what is sent */
			for (unsigned int i = 0; i < have; i++)
				fill_payload(pp_skb_data(skbs[i]), c->size, lc->seq[flow] + i);
			int ok = pp_udp_send_burst(sk, skbs, have, (struct sockaddr *)&dst, sizeof(dst), 0);

			if (ok < 0) {
				lc->err = ok;
				break;
			}
			lc->seq[flow] += (uint64_t)ok;
			lc->sent += (uint64_t)ok;
			memmove(skbs, skbs + ok, (have - (unsigned int)ok) * sizeof(skbs[0]));
			have -= (unsigned int)ok;
			if (!ok)
				pp_lane_poll(lc->st, lc->lane);
		}
		flow = (flow + 1) % c->flows;
	}
out:
	if (have)
		pp_sock_free_skbs(sk, skbs, have);
	free(buf);
	pp_lane_flush(lc->st, lc->lane, 2000);
	if (c->linger > 0) {
		double until = now_s() + c->linger;

		while (now_s() < until && !atomic_load(&stop_flag)) {
			if (pp_lane_poll(lc->st, lc->lane) == 0)
				usleep(1000);
		}
	}
	pp_close(sk);
	pp_lane_detach(lc->st, lc->lane);
	return NULL;
}

/* One "reason": count of a stage's "drop_reasons" JSON object. */
struct json_reasons {
	bool first;
};

static void json_reason(void *arg, const char *reason, uint64_t n)
{
	struct json_reasons *j = arg;

	printf("%s\"%s\": %" PRIu64, j->first ? "" : ", ", reason, n);
	j->first = false;
}

static void text_reason(void *arg, const char *reason, uint64_t n)
{
	(void)arg;
	printf(" %s=%" PRIu64, reason, n);
}

static void print_report(const struct cfg *c, const struct tool_stats *s, uint64_t packets,
			 double secs, int err, const char *nic_info)
{
	unsigned int frame = 14 + 20 + 8 + c->size;
	unsigned int frags = 1;
	char stage[PP_STAT_NAME_LEN];

	if (20 + 8 + c->size > 1500) { /* frames per datagram at the default MTU */
		frags = (8 + c->size + 1479) / 1480;
		frame = 14 * frags + 20 * frags + 8 + c->size;
	} else if (frame < 60) {
		frame = 60;
	}
	double mpps = secs > 0 ? (double)packets / secs / 1e6 : 0;
	double gbps = secs > 0 ? (double)packets * frame * 8 / secs / 1e9 : 0;
	uint64_t drops = tool_drops(s, false);

	if (c->json) {
		printf("{\"packets\": %" PRIu64 ", \"seconds\": %.6f, \"mpps\": %.4f, \"gbps\": %.4f, "
		       "\"drops\": %" PRIu64 ", \"frames_per_datagram\": %u, \"lanes\": %u, "
		       "\"placement\": \"%s\", \"nic\": \"%s\", \"payload\": %u, \"flows\": %u, "
		       "\"nic_tx_packets\": %" PRIu64 ", \"pool_in_use\": %" PRIu64
		       ", \"compl_reaped\": %" PRIu64 ", \"compl_sleeps\": %" PRIu64
		       ", \"error\": %d, \"nic_mode\": \"%s\", \"stages\": [",
		       packets, secs, mpps, gbps, drops, frags, c->lanes,
		       c->placement == PP_PLACE_SPLIT ? "split" : "rtc", c->nic, c->size, c->flows,
		       tool_stat(s, "nic.tx_packets"), tool_stat(s, "pool.in_use"),
		       tool_stat(s, "completion.reaped"), tool_stat(s, "completion.sleeps"), err,
		       nic_info);
		for (int i = tool_stage_next(s, 0), k = 0; i >= 0; i = tool_stage_next(s, i + 1), k++) {
			uint64_t pk = s->v[i];
			struct json_reasons j = {.first = true};

			tool_stage_name(s, i, stage, sizeof(stage));
			double ns = pk ? (double)tool_stage_stat(s, stage, "ns") / (double)pk : 0;

			printf("%s{\"name\": \"%s\", \"packets\": %" PRIu64 ", \"drops\": %" PRIu64
			       ", \"ns_per_packet\": %.2f, \"drop_reasons\": {",
			       k ? ", " : "", stage, pk, tool_stage_stat(s, stage, "drops"), ns);
			tool_stage_drops_each(s, stage, json_reason, &j);
			printf("}}");
		}
		printf("]}\n");
		return;
	}
	printf("pp-udpgen: %" PRIu64 " datagrams in %.3f s: %.3f Mpps, %.3f Gbit/s "
	       "(%u-byte frames%s), %u lane(s), %s, nic %s\n",
	       packets, secs, mpps, gbps, frame, frags > 1 ? " over fragments" : "", c->lanes,
	       c->placement == PP_PLACE_SPLIT ? "split" : "rtc", c->nic);
	printf("nic: %s\n", nic_info);
	printf("%-11s %14s %10s %9s  %s\n", "stage", "packets", "drops", "ns/pkt", "drop reasons");
	for (int i = tool_stage_next(s, 0); i >= 0; i = tool_stage_next(s, i + 1)) {
		uint64_t pk = s->v[i];

		tool_stage_name(s, i, stage, sizeof(stage));
		printf("%-11s %14" PRIu64 " %10" PRIu64 " %9.2f ", stage, pk,
		       tool_stage_stat(s, stage, "drops"),
		       pk ? (double)tool_stage_stat(s, stage, "ns") / (double)pk : 0.0);
		tool_stage_drops_each(s, stage, text_reason, NULL);
		printf("\n");
	}
	printf("qdisc bypass %" PRIu64 ", backlog %" PRIu64 "; pool: %" PRIu64 " frames, %" PRIu64
	       " in use, %" PRIu64 " alloc failures; nic: %" PRIu64 " frames, %" PRIu64 " kicks\n",
	       tool_stat(s, "qdisc.bypass"), tool_stat(s, "qdisc.backlog"),
	       tool_stat(s, "pool.nframes"), tool_stat(s, "pool.in_use"),
	       tool_stat(s, "pool.alloc_fail"), tool_stat(s, "nic.tx_packets"),
	       tool_stat(s, "nic.tx_kicks"));
	if (err)
		fprintf(stderr, "pp-udpgen: stopped early: %s\n", strerror(-err));
}

int main(int argc, char **argv)
{
	struct cfg c = {
		.nic = "null",
		.lanes = 1,
		.prefix = 24,
		.dport = 9,
		.size = 18,
		.flows = 1,
		.burst = PP_BURST,
	};
	struct pp_stack *st = NULL;
	struct tool_stats stats;
	struct lane_ctx lanes[PP_LANES_MAX];
	int err = 0;

	parse_ip("198.18.0.1", &c.ip);
	parse_ip("198.18.0.2", &c.dst);
	if (parse_args(argc, argv, &c))
		return 2;

	stop_on_signals();

	struct pp_stack_opts so = {
		.sz = sizeof(so),
		.nic = c.nic,
		.nlanes = (uint16_t)c.lanes,
		.placement = (uint8_t)c.placement,
		.ip = c.ip,
		.prefix = c.prefix,
		.flags = (c.no_timing ? 0 : PP_STACK_F_STAGE_TIMING) |
			 (c.compl_threads ? PP_STACK_F_COMPLETION_THREADS : 0),
	};

	err = pp_stack_create(&so, &st);
	if (err) {
		fprintf(stderr, "pp-udpgen: cannot create the stack on %s: %s\n", c.nic, strerror(-err));
		return 1;
	}
	if (c.gw && (err = pp_route_add(st, 0, 0, c.gw))) {
		fprintf(stderr, "pp-udpgen: default route via gw: %s\n", strerror(-err));
		goto out;
	}
	for (unsigned int i = 0; i < c.nneigh; i++) {
		if ((err = pp_neigh_add(st, c.neigh_ip[i], c.neigh_mac[i]))) {
			fprintf(stderr, "pp-udpgen: --neigh: %s\n", strerror(-err));
			goto out;
		}
	}
	/* The null and pcap NICs have nobody to answer ARP: give the next hop
	 * a static entry unless the user did. */
	if (!c.nneigh && !c.no_neigh && strncmp(c.nic, "afxdp", 5)) {
		static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};

		pp_neigh_add(st, c.gw ? c.gw : c.dst, peer);
	}

	uint64_t per_lane = c.count ? c.count / c.lanes : UINT64_MAX;
	double t0 = now_s();

	for (unsigned int k = 0; k < c.lanes; k++) {
		lanes[k] = (struct lane_ctx){.cfg = &c, .st = st, .lane = k, .quota = per_lane};
		if (c.count && k < c.count % c.lanes)
			lanes[k].quota++;
		lanes[k].seq = calloc(c.flows, sizeof(uint64_t));
		if (!lanes[k].seq || pthread_create(&lanes[k].thr, NULL, lane_main, &lanes[k])) {
			fprintf(stderr, "pp-udpgen: cannot start lane %u\n", k);
			atomic_store(&stop_flag, true);
			c.lanes = k;
			err = -ENOMEM;
			break;
		}
	}
	uint64_t packets = 0;

	for (unsigned int k = 0; k < c.lanes; k++) {
		pthread_join(lanes[k].thr, NULL);
		packets += lanes[k].sent;
		if (lanes[k].err && !err)
			err = lanes[k].err;
		free(lanes[k].seq);
	}
	double secs = now_s() - t0 - c.linger;

	int serr = tool_stats_read(st, &stats);

	if (serr) {
		err = serr;
		goto out;
	}
	print_report(&c, &stats, packets, secs, err, pp_stack_nic_info(st));
	/* what the stack took and dropped on the way out (the receive side's
	 * drops are the wire's business): a run that lost what it sent says
	 * why and does not exit 0 */
	uint64_t lost = tool_print_drops(stderr, "pp-udpgen", &stats, true);

	if (lost && !err) {
		fprintf(stderr, "pp-udpgen: %" PRIu64 " of %" PRIu64 " datagrams sent were lost "
				"in the stack\n", lost, packets);
		err = -EIO;
	}
	tool_stats_free(&stats);
out:
	pp_stack_destroy(st);
	return err ? 1 : 0;
}
