// SPDX-License-Identifier: MIT
/*
 * pp-tcpsink - a TCP sink over pktpipe (cf. `iperf3 -s`, or
 * `socat -u TCP-LISTEN:PORT FILE`): listens on --port (backlog 128),
 * accepts --conns connections one after another, reads each to the peer's
 * FIN (recv returns 0) and closes it (our FIN). The first connection's bytes
 * go to --out; --verify checks pp-tcpsend's pattern on every connection (the
 * byte at stream offset k is k % 251) and names the first bad offset.
 * Prints the rate and the per-stage table, or one JSON object with --json.
 *
 * The exit status is 0 when --conns connections were received, verified if
 * asked, and closed cleanly: the peer's FIN arrived, ours went out and, where
 * TCP_INFO tells, was acknowledged (the socket reached CLOSE) before the
 * next accept or the exit. --seconds bounds the whole run (non-zero exit
 * when it passes). Waiting calls run the lane (receive timeouts of 100 ms
 * let the tool look at the clock and at SIGINT/SIGTERM), so ARP, ping and
 * the RSTs for closed ports are answered while the tool runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pktpipe/pktpipe.h>

#include "tool_common.h"

#define BUF (256 * 1024) /* bytes per pp_recv() */
#define PATTERN_MOD 251
#define TICK_MS 100	  /* receive timeout: how often the clock and signals are looked at */
#define CLOSE_WAIT_S 3.0  /* how long our FIN may take to be acknowledged */

struct cfg {
	const char *nic;
	uint32_t ip;
	uint8_t prefix;
	uint32_t gw;
	uint16_t port;
	const char *out;
	unsigned int conns;
	bool verify;
	double seconds;
	bool json;
	bool no_timing;
};

static uint8_t pattern[BUF + PATTERN_MOD];

static void usage(FILE *f)
{
	fprintf(f, "usage: pp-tcpsink --nic null|pcap:FILE|afxdp:IFACE[,...] --ip ADDR/PREFIX --port P\n"
		   "                  [--gw IP] [--out FILE] [--conns N] [--verify] [--seconds S]\n"
		   "                  [--no-stage-timing] [--json]\n"
		   "Accepts N connections (default 1) one after another, reads each to FIN and\n"
		   "closes it. --out: the first connection's bytes; --verify: byte k = k %% 251;\n"
		   "--seconds: give up (non-zero exit) after S seconds in all.\n");
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{"nic", required_argument, 0, 'n'},	{"ip", required_argument, 0, 'i'},
		{"port", required_argument, 0, 'p'},	{"gw", required_argument, 0, 'g'},
		{"out", required_argument, 0, 'o'},	{"conns", required_argument, 0, 'c'},
		{"verify", no_argument, 0, 'v'},	{"seconds", required_argument, 0, 'S'},
		{"json", no_argument, 0, 'j'},		{"no-stage-timing", no_argument, 0, 'T'},
		{"help", no_argument, 0, 'h'},		{0, 0, 0, 0},
	};
	unsigned long v;
	char *end;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->nic = optarg;
			break;
		case 'i':
			if (tool_parse_ip_prefix(optarg, &c->ip, &c->prefix)) {
				fprintf(stderr, "pp-tcpsink: bad --ip %s (ADDR/PREFIX)\n", optarg);
				return -1;
			}
			break;
		case 'g':
			if (tool_parse_ip(optarg, &c->gw)) {
				fprintf(stderr, "pp-tcpsink: bad --gw %s\n", optarg);
				return -1;
			}
			break;
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || !v || v > 65535) {
				fprintf(stderr, "pp-tcpsink: --port must be 1..65535\n");
				return -1;
			}
			c->port = (uint16_t)v;
			break;
		case 'o':
			c->out = optarg;
			break;
		case 'c':
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || !v || v > 10000000) {
				fprintf(stderr, "pp-tcpsink: --conns must be 1..10000000\n");
				return -1;
			}
			c->conns = (unsigned int)v;
			break;
		case 'v':
			c->verify = true;
			break;
		case 'S':
			if (tool_parse_seconds(optarg, &c->seconds)) {
				fprintf(stderr, "pp-tcpsink: bad --seconds %s\n", optarg);
				return -1;
			}
			break;
		case 'j':
			c->json = true;
			break;
		case 'T':
			c->no_timing = true;
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
		fprintf(stderr, "pp-tcpsink: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (!c->ip || !c->port) {
		fprintf(stderr, "pp-tcpsink: --ip and --port are required\n");
		return -1;
	}
	return 0;
}

struct sink {
	const struct cfg *cfg;
	struct pp_stack *st;
	double deadline; /* 0: none */
	int out_fd;
	uint64_t bytes;
	unsigned int conns_ok;
	double t_first; /* the first accept */
	double t_last;	/* the last FIN */
	int err;
	char why[256];
};

static void __attribute__((format(printf, 3, 4)))
sink_fail(struct sink *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (s->err)
		return;
	s->err = err ? err : -EIO;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* After a receive timeout tick: -EINTR (signal), -ETIMEDOUT (--seconds), or 0. */
static int sink_expired(const struct sink *s)
{
	if (atomic_load(&stop_flag))
		return -EINTR;
	if (s->deadline && now_s() >= s->deadline)
		return -ETIMEDOUT;
	return 0;
}

static const char *expired_str(int err)
{
	return err == -EINTR ? "interrupted" : "--seconds passed";
}

/* Compare @n bytes at stream offset @off with the pattern. Return: the
 * index of the first bad byte, or -1. */
static long check_pattern(const uint8_t *p, size_t n, uint64_t off)
{
	const uint8_t *want = pattern + off % PATTERN_MOD;

	if (!memcmp(p, want, n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i] != want[i])
			return (long)i;
	return -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * After the peer's FIN: send ours (shutdown(SHUT_WR)) and run the lane until
 * TCP_INFO says the socket is closed (LAST_ACK -> CLOSE: our FIN was
 * acknowledged), so that the peer reads its end of stream even when the FIN
 * had to be sent again. A stack without TCP_INFO gets a short linger instead.
 */
static int finish_close(struct sink *s, struct pp_sock *sk)
{
	double until = now_s() + CLOSE_WAIT_S;
	int err = pp_shutdown(sk, SHUT_WR);

	if (err)
		return err;
	for (;;) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);

		if (pp_getsockopt(sk, IPPROTO_TCP, TCP_INFO, &ti, &len) || len < 1) {
			/* no TCP_INFO: give the FIN a moment to leave */
			pp_lane_flush(s->st, 0, 200);
			break;
		}
		if (ti.tcpi_state == TCP_CLOSE)
			break;
		if (now_s() >= until)
			return -ETIMEDOUT;
		if (pp_lane_poll(s->st, 0) == 0)
			usleep(50);
	}
	return 0;
}

/* Read one accepted connection to its FIN, then close it. */
static void sink_conn(struct sink *s, struct pp_sock *sk, unsigned int conn, const char *peer)
{
	static uint8_t buf[BUF];
	const struct cfg *c = s->cfg;
	uint64_t off = 0;
	long bad = -1;
	uint64_t bad_off = 0;
	uint8_t bad_byte = 0;
	ssize_t n;
	int err = 0;

	pp_sock_set_rcvtimeo(sk, TICK_MS);
	for (;;) {
		n = pp_recv(sk, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n == -EAGAIN) {
			err = sink_expired(s);
			if (err) {
				sink_fail(s, err, "connection %u from %s: %s after %" PRIu64 " bytes",
					  conn, peer, expired_str(err), off);
				goto out;
			}
			continue;
		}
		if (n < 0) {
			err = (int)n;
			sink_fail(s, err, "connection %u from %s: recv after %" PRIu64 " bytes: %s",
				  conn, peer, off, strerror(-err));
			goto out;
		}
		if (s->out_fd >= 0 && conn == 1 && (err = write_all(s->out_fd, buf, (size_t)n))) {
			sink_fail(s, err, "writing %s: %s", c->out, strerror(-err));
			goto out;
		}
		if (c->verify && bad < 0) {
			long i = check_pattern(buf, (size_t)n, off);

			if (i >= 0) {
				bad = i;
				bad_off = off + (uint64_t)i;
				bad_byte = buf[i];
			}
		}
		off += (uint64_t)n;
		s->bytes += (uint64_t)n;
	}
	s->t_last = now_s();
	if (bad >= 0) {
		err = -EBADMSG;
		sink_fail(s, err, "connection %u from %s: byte at offset %" PRIu64 " is %u, expected %u"
				  " (%" PRIu64 " bytes received)", conn, peer, bad_off, bad_byte,
			  (unsigned int)(bad_off % PATTERN_MOD), off);
	}
	int cerr = finish_close(s, sk);

	if (cerr) {
		sink_fail(s, cerr, "connection %u from %s: closing after %" PRIu64 " bytes: %s",
			  conn, peer, off,
			  cerr == -ETIMEDOUT ? "our FIN was not acknowledged" : strerror(-cerr));
		err = err ? err : cerr;
	}
out:
	n = pp_close(sk);
	if (!err && n) {
		err = (int)n;
		sink_fail(s, err, "connection %u: close: %s", conn, strerror(-err));
	}
	if (!err)
		s->conns_ok++;
}

int main(int argc, char **argv)
{
	struct cfg c = {.nic = "null", .prefix = 24, .conns = 1};
	struct sink s = {.cfg = &c, .out_fd = -1};
	struct pp_sock *ls = NULL;
	struct tool_stats ts;
	int err;

	if (parse_args(argc, argv, &c))
		return 2;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % PATTERN_MOD);
	if (c.out) {
		s.out_fd = open(c.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s.out_fd < 0) {
			fprintf(stderr, "pp-tcpsink: %s: %s\n", c.out, strerror(errno));
			return 1;
		}
	}

	stop_on_signals();

	struct pp_stack_opts so = {
		.sz = sizeof(so),
		.nic = c.nic,
		.ip = c.ip,
		.prefix = c.prefix,
		.flags = c.no_timing ? 0 : PP_STACK_F_STAGE_TIMING,
	};

	err = pp_stack_create(&so, &s.st);
	if (err) {
		fprintf(stderr, "pp-tcpsink: cannot create the stack on %s: %s\n", c.nic, strerror(-err));
		goto out_fd;
	}
	s.deadline = c.seconds ? now_s() + c.seconds : 0;
	if (c.gw && (err = pp_route_add(s.st, 0, 0, c.gw))) {
		fprintf(stderr, "pp-tcpsink: default route via gw: %s\n", strerror(-err));
		goto out;
	}
	struct sockaddr_in me = {.sin_family = AF_INET,
				 .sin_addr.s_addr = c.ip,
				 .sin_port = htons(c.port)};

	err = pp_lane_attach(s.st, 0);
	if (!err && (err = pp_socket(s.st, PP_SOCK_STREAM, 0, &ls)) == -EPROTONOSUPPORT)
		fprintf(stderr, "pp-tcpsink: this stack has no TCP: pp_socket(PP_SOCK_STREAM): %s\n",
			strerror(-err));
	else if (err)
		fprintf(stderr, "pp-tcpsink: socket: %s\n", strerror(-err));
	if (!err && (err = pp_bind(ls, (struct sockaddr *)&me, sizeof(me))))
		fprintf(stderr, "pp-tcpsink: bind to port %u: %s\n", c.port, strerror(-err));
	if (!err && (err = pp_listen(ls, 128)))
		fprintf(stderr, "pp-tcpsink: listen: %s\n", strerror(-err));
	if (err)
		goto out;
	pp_sock_set_rcvtimeo(ls, TICK_MS); /* accept waits as recv does (cf. sock_rcvtimeo()) */

	for (unsigned int i = 0; i < c.conns && !s.err;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		struct pp_sock *cs;
		char name[INET_ADDRSTRLEN + 8], addr[INET_ADDRSTRLEN];

		err = pp_accept(ls, &cs, (struct sockaddr *)&peer, &plen);
		if (err == -EAGAIN) {
			err = sink_expired(&s);
			if (err)
				sink_fail(&s, err, "%s while waiting for connection %u of %u",
					  expired_str(err), i + 1, c.conns);
			continue;
		}
		if (err) {
			sink_fail(&s, err, "accept: %s", strerror(-err));
			break;
		}
		if (!i)
			s.t_first = now_s();
		inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof(addr));
		snprintf(name, sizeof(name), "%s:%u", addr, ntohs(peer.sin_port));
		sink_conn(&s, cs, ++i, name);
	}
	/* anything still queued (the last ACKs) leaves before the stack goes */
	pp_lane_flush(s.st, 0, 1000);

	double secs = s.t_last > s.t_first ? s.t_last - s.t_first : 0;
	double gbps = secs > 0 ? (double)s.bytes * 8 / secs / 1e9 : 0;

	err = tool_stats_read(s.st, &ts);
	if (err) {
		fprintf(stderr, "pp-tcpsink: reading the counters: %s\n", strerror(-err));
		goto out;
	}
	if (c.json) {
		printf("{\"bytes\": %" PRIu64 ", \"seconds\": %.6f, \"gbps\": %.4f, \"conns\": %u, "
		       "\"conns_asked\": %u, \"verified\": %s, \"retransmits\": %" PRIu64
		       ", \"rto\": %" PRIu64 ", \"stages\": ",
		       s.bytes, secs, gbps, s.conns_ok, c.conns, c.verify ? "true" : "false",
		       tool_stat(&ts, "tcp.retrans_segs"), tool_stat(&ts, "tcp.rto"));
		tool_print_stages(stdout, &ts, true);
		printf("}\n");
	} else {
		printf("pp-tcpsink: %" PRIu64 " bytes in %.3f s: %.3f Gbit/s, %u of %u connection(s) "
		       "clean%s\n",
		       s.bytes, secs, gbps, s.conns_ok, c.conns, c.verify ? ", pattern verified" : "");
		printf("nic: %s\n", pp_stack_nic_info(s.st));
		tool_print_stages(stdout, &ts, false);
	}
	tool_print_drops(stderr, "pp-tcpsink", &ts, false);
	tool_stats_free(&ts);
	if (s.err) {
		fprintf(stderr, "pp-tcpsink: %s\n", s.why);
		err = s.err;
	} else if (s.conns_ok != c.conns) {
		fprintf(stderr, "pp-tcpsink: %u of %u connections clean\n", s.conns_ok, c.conns);
		err = -EIO;
	}
out:
	if (ls)
		pp_close(ls);
	pp_lane_detach(s.st, 0);
	pp_stack_destroy(s.st);
out_fd:
	if (s.out_fd >= 0 && close(s.out_fd) && !err) {
		fprintf(stderr, "pp-tcpsink: %s: %s\n", c.out, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
