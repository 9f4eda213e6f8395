// SPDX-License-Identifier: MIT
/*
 * pp-udpecho - a UDP echo server over pktpipe: the smallest real server a
 * user writes. It binds a port, receives with pp_recvfrom() and sends every
 * datagram back with pp_sendto(). With --verify it also checks pp-udpgen's
 * payload format (64-bit big-endian sequence number per flow, then byte i =
 * (seq + i) & 0xff), flows told apart by source address and port, and counts
 * good, corrupt, missing and reordered datagrams. Counters are printed on
 * exit (SIGINT/SIGTERM or --seconds), as one JSON object with --json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pktpipe/pktpipe.h>

#include "tool_common.h"

#define FLOWS 1024

struct flow {
	uint32_t addr;
	uint16_t port;
	bool used;
	uint64_t next; /* next expected sequence number */
};

struct counters {
	uint64_t rx, rx_bytes, echoed, echo_fail;
	uint64_t good, corrupt, missing, reordered, short_payload;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pp-udpecho --nic null|pcap:FILE|afxdp:IFACE[,...] --ip ADDR/PREFIX --port P\n"
		   "                  [--gw IP] [--seconds S] [--verify] [--no-echo] [--json]\n");
}

static struct flow *flow_of(struct flow *tab, uint32_t addr, uint16_t port)
{
	unsigned int h = (addr * 2654435761u ^ port * 40503u) % FLOWS;

	for (unsigned int i = 0; i < FLOWS; i++) {
		struct flow *f = &tab[(h + i) % FLOWS];

		if (!f->used) {
			*f = (struct flow){.addr = addr, .port = port, .used = true};
			return f;
		}
		if (f->addr == addr && f->port == port)
			return f;
	}
	return NULL;
}

static void verify(struct counters *c, struct flow *tab, const uint8_t *p, size_t len,
		   const struct sockaddr_in *src)
{
	uint64_t be, seq;

	if (len < 8) {
		c->short_payload++;
		return;
	}
	memcpy(&be, p, 8);
	seq = __builtin_bswap64(be);
	for (size_t i = 8; i < len; i++) {
		if (p[i] != (uint8_t)(seq + i)) {
			c->corrupt++;
			return;
		}
	}
	c->good++;
	struct flow *f = flow_of(tab, src->sin_addr.s_addr, src->sin_port);

	if (!f)
		return;
	if (seq > f->next)
		c->missing += seq - f->next;
	else if (seq < f->next)
		c->reordered++;
	if (seq >= f->next)
		f->next = seq + 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"nic", required_argument, 0, 'n'},	{"ip", required_argument, 0, 'i'},
		{"port", required_argument, 0, 'p'},	{"gw", required_argument, 0, 'g'},
		{"seconds", required_argument, 0, 'S'}, {"verify", no_argument, 0, 'v'},
		{"no-echo", no_argument, 0, 'E'},	{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},		{0, 0, 0, 0},
	};
	const char *nic = "null";
	uint32_t ip = 0, gw = 0;
	unsigned long prefix = 24, port = 0;
	double seconds = 0;
	bool do_verify = false, echo = true, json = false;
	char buf[64], *end;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			nic = optarg;
			break;
		case 'i': {
			snprintf(buf, sizeof(buf), "%s", optarg);
			char *slash = strchr(buf, '/');
			struct in_addr a;

			if (slash) {
				*slash = 0;
				prefix = strtoul(slash + 1, &end, 10);
				if (*end || prefix > 32)
					goto bad;
			}
			if (inet_pton(AF_INET, buf, &a) != 1)
				goto bad;
			ip = a.s_addr;
			break;
		}
		case 'g': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1)
				goto bad;
			gw = a.s_addr;
			break;
		}
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end || !port || port > 65535)
				goto bad;
			break;
		case 'S':
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0)
				goto bad;
			break;
		case 'v':
			do_verify = true;
			break;
		case 'E':
			echo = false;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ip || !port) {
		fprintf(stderr, "pp-udpecho: --ip and --port are required\n");
		usage(stderr);
		return 2;
	}

	stop_on_signals();

	struct pp_stack_opts so = {.sz = sizeof(so), .nic = nic, .ip = ip, .prefix = (uint8_t)prefix};
	struct pp_stack *st;
	struct pp_sock *sk;
	int err = pp_stack_create(&so, &st);

	if (err) {
		fprintf(stderr, "pp-udpecho: cannot create the stack on %s: %s\n", nic, strerror(-err));
		return 1;
	}
	if (gw && (err = pp_route_add(st, 0, 0, gw)))
		fprintf(stderr, "pp-udpecho: default route: %s\n", strerror(-err));
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (!err)
		err = pp_lane_attach(st, 0);
	if (!err)
		err = pp_socket(st, PP_SOCK_DGRAM, 0, &sk);
	if (!err && (err = pp_bind(sk, (struct sockaddr *)&me, sizeof(me))))
		pp_close(sk);
	if (err) {
		fprintf(stderr, "pp-udpecho: %s\n", strerror(-err));
		pp_stack_destroy(st);
		return 1;
	}
	pp_sock_set_rcvtimeo(sk, 100);

	static uint8_t data[65536];
	static struct flow flows[FLOWS];
	struct counters c = {0};
	double t0 = now_s(), until = seconds ? t0 + seconds : 0;

	while (!atomic_load(&stop_flag) && (!until || now_s() < until)) {
		struct sockaddr_in src;
		socklen_t slen = sizeof(src);
		ssize_t n = pp_recvfrom(sk, data, sizeof(data), 0, (struct sockaddr *)&src, &slen);

		if (n == -EAGAIN)
			continue;
		if (n < 0) {
			fprintf(stderr, "pp-udpecho: recv: %s\n", strerror((int)-n));
			err = (int)n;
			break;
		}
		c.rx++;
		c.rx_bytes += (uint64_t)n;
		if (do_verify)
			verify(&c, flows, data, (size_t)n, &src);
		if (echo) {
			if (pp_sendto(sk, data, (size_t)n, 0, (struct sockaddr *)&src, slen) == n)
				c.echoed++;
			else
				c.echo_fail++;
		}
	}
	pp_lane_flush(st, 0, 1000);

	double secs = now_s() - t0;
	struct tool_stats ts;
	const struct tool_stats *s = tool_stats_read(st, &ts) ? NULL : &ts;
	uint64_t drops = s ? tool_drops(s, false) : 0;

	if (json) {
		printf("{\"received\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"echoed\": %" PRIu64
		       ", \"echo_failed\": %" PRIu64 ", \"seconds\": %.3f, \"verified\": %s, \"good\": %" PRIu64
		       ", \"corrupt\": %" PRIu64 ", \"missing\": %" PRIu64 ", \"reordered\": %" PRIu64
		       ", \"short\": %" PRIu64 ", \"stack_drops\": %" PRIu64 ", \"rx_frames\": %" PRIu64
		       ", \"arp\": %" PRIu64 ", \"icmp\": %" PRIu64 "}\n",
		       c.rx, c.rx_bytes, c.echoed, c.echo_fail, secs, do_verify ? "true" : "false",
		       c.good, c.corrupt, c.missing, c.reordered, c.short_payload, drops,
		       s ? tool_stat(s, "rx.packets") : 0, s ? tool_stat(s, "arp.packets") : 0,
		       s ? tool_stat(s, "icmp.packets") : 0);
	} else {
		printf("pp-udpecho: %" PRIu64 " datagrams (%" PRIu64 " bytes) in %.3f s, %" PRIu64
		       " echoed, %" PRIu64 " echo failures, %" PRIu64 " stack drops\n",
		       c.rx, c.rx_bytes, secs, c.echoed, c.echo_fail, drops);
		if (do_verify)
			printf("verify: %" PRIu64 " good, %" PRIu64 " corrupt, %" PRIu64 " missing, %" PRIu64
			       " reordered, %" PRIu64 " too short\n",
			       c.good, c.corrupt, c.missing, c.reordered, c.short_payload);
	}
	/* every drop with its stage and reason; echoes the stack took and then
	 * dropped make the run fail */
	if (s) {
		tool_print_drops(json ? stderr : stdout, "pp-udpecho", s, false);
		uint64_t lost = tool_drops(s, true);

		if (lost && !err) {
			fprintf(stderr, "pp-udpecho: %" PRIu64 " echoes were lost in the stack\n", lost);
			err = -EIO;
		}
	}
	if (s)
		tool_stats_free(&ts);
	pp_close(sk);
	pp_lane_detach(st, 0);
	pp_stack_destroy(st);
	return err ? 1 : 0;
bad:
	fprintf(stderr, "pp-udpecho: bad option value: %s\n", optarg);
	usage(stderr);
	return 2;
}
