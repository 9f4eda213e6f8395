// SPDX-License-Identifier: MIT
/*
 * pp-tcpsend - a bulk TCP sender over pktpipe (cf. `iperf3 -c`, or
 * `socat -u FILE TCP:HOST:PORT`): connects to --dst, sends a file, N bytes,
 * or S seconds of a pattern in 64 KiB writes, shuts its sending side
 * (shutdown(SHUT_WR): our FIN), reads whatever the peer sends back until the
 * peer's FIN (recv returns 0), and closes. --conns N does that N times, one
 * connection after another, each sending the same; --lanes N runs that on
 * each of N lanes at once (one stream per lane). Prints the rate and the
 * per-stage table, or one JSON object with --json.
 *
 * --rr SIZE (cf. netperf's TCP_RR): instead of a stream, --count round trips
 * on each connection: send SIZE bytes of the pattern, read SIZE bytes back
 * from an echo server and check them; TCP_NODELAY. Reports the round trip's
 * p50/p99/mean in microseconds (the first 100 of each connection dropped:
 * handshake, cold caches; bench/tcp_kpeer.c does the same for the kernel).
 *
 * Pattern, so any receiver can check every byte: the byte at stream offset
 * k is k % 251 (a prime, so the pattern never lines up with a power-of-two
 * segment or buffer size and a misplaced segment shows).
 *
 * A connection is clean when everything asked was queued, our FIN went out
 * and the peer's came back after it (recv 0 after our shutdown): the peer
 * read to our end of stream before it ended its own. The exit status is 0
 * only when every connection was clean; otherwise the reason (the connect
 * error, a reset, a timeout) is on stderr. The sockets are blocking, with
 * SO_SNDTIMEO/SO_RCVTIMEO of --timeout so that a silent peer ends the run;
 * the blocking calls run the lane, so ARP and ping are answered meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <pktpipe/pktpipe.h>

#include "tool_common.h"

#define MAX_NEIGH 16
#define CHUNK (64 * 1024) /* bytes per pp_send() */
#define PATTERN_MOD 251
#define RR_WARMUP 100 /* --rr: round trips not counted, per connection */

struct cfg {
	const char *nic;
	unsigned int lanes;
	int placement;
	uint32_t ip;
	uint8_t prefix;
	uint32_t gw;
	uint32_t dst;
	uint16_t dport;
	const char *file;
	uint64_t bytes;	/* per connection (--bytes, or the file's size) */
	double seconds; /* per connection (--seconds) */
	uint32_t rr_size; /* --rr: request and response bytes */
	uint32_t rr_count; /* --count: round trips per connection */
	unsigned int conns;
	double timeout;
	bool json;
	bool no_neigh;
	bool compl_threads;
	bool no_timing;
	bool nodelay;
	unsigned int nneigh;
	uint32_t neigh_ip[MAX_NEIGH];
	uint8_t neigh_mac[MAX_NEIGH][6];
};

struct lane_ctx {
	const struct cfg *cfg;
	struct pp_stack *st;
	unsigned int lane;
	int fd;		       /* --file, or -1 */
	uint64_t sent;	       /* bytes queued, every connection */
	uint64_t back;	       /* bytes the peer sent us */
	unsigned int conns_ok; /* clean connections */
	uint64_t tcpi_retrans; /* sum of tcpi_total_retrans, where TCP_INFO answers */
	bool have_ti;
	struct tcp_info ti; /* of the last connection */
	double *rtt_us;	       /* --rr: the samples kept */
	size_t nrtt;
	int err;
	char why[256];
	pthread_t thr;
};

/* k % 251 for k in [0, CHUNK + 251): a chunk at stream offset off is
 * pattern + off % 251, never a copy. */
static uint8_t pattern[CHUNK + PATTERN_MOD];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pp-tcpsend --nic null|pcap:FILE|afxdp:IFACE[,...] --ip ADDR/PREFIX\n"
		"         [--gw IP] [--neigh IP=MAC|none]... --dst IP:PORT\n"
		"         (--file F | --bytes N[K|M|G] | --seconds S | --rr SIZE [--count N])\n"
		"         [--conns N] [--timeout S]\n"
		"         [--nodelay] [--lanes N] [--placement rtc|split] [--reap inline|thread]\n"
		"         [--no-stage-timing] [--json]\n"
		"Sends the file, or the pattern (byte at stream offset k = k %% 251), on each of\n"
		"--conns connections one after another (default 1), half-closes, reads to the\n"
		"peer's FIN. --timeout (default 10 s) bounds each wait: connect, send room, FIN.\n"
		"--lanes N: one such stream on each of N lanes at once.\n"
		"--rr SIZE: --count (default 10000) round trips of SIZE bytes to an echo server\n"
		"per connection instead of a stream; prints p50/p99 in us.\n");
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{"nic", required_argument, 0, 'n'},	  {"lanes", required_argument, 0, 'l'},
		{"placement", required_argument, 0, 'p'}, {"ip", required_argument, 0, 'i'},
		{"gw", required_argument, 0, 'g'},	  {"neigh", required_argument, 0, 'N'},
		{"dst", required_argument, 0, 'd'},	  {"file", required_argument, 0, 'F'},
		{"bytes", required_argument, 0, 'B'},	  {"seconds", required_argument, 0, 'S'},
		{"conns", required_argument, 0, 'c'},	  {"timeout", required_argument, 0, 't'},
		{"nodelay", no_argument, 0, 'D'},	  {"json", no_argument, 0, 'j'},
		{"reap", required_argument, 0, 'R'},	  {"help", no_argument, 0, 'h'},
		{"no-stage-timing", no_argument, 0, 'T'}, {"rr", required_argument, 0, 'r'},
		{"count", required_argument, 0, 'C'},	  {0, 0, 0, 0},
	};
	bool have_dst = false;
	int modes = 0, o;
	char *end;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			c->nic = optarg;
			break;
		case 'l':
			c->lanes = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || c->lanes == 0 || c->lanes > PP_LANES_MAX) {
				fprintf(stderr, "pp-tcpsend: --lanes must be 1..%d\n", PP_LANES_MAX);
				return -1;
			}
			break;
		case 'p':
			if (!strcmp(optarg, "rtc"))
				c->placement = PP_PLACE_RTC;
			else if (!strcmp(optarg, "split"))
				c->placement = PP_PLACE_SPLIT;
			else {
				fprintf(stderr, "pp-tcpsend: --placement is rtc or split\n");
				return -1;
			}
			break;
		case 'i':
			if (tool_parse_ip_prefix(optarg, &c->ip, &c->prefix)) {
				fprintf(stderr, "pp-tcpsend: bad --ip %s (ADDR/PREFIX)\n", optarg);
				return -1;
			}
			break;
		case 'g':
			if (tool_parse_ip(optarg, &c->gw)) {
				fprintf(stderr, "pp-tcpsend: bad --gw %s\n", optarg);
				return -1;
			}
			break;
		case 'N':
			if (!strcmp(optarg, "none")) {
				c->no_neigh = true; /* resolve the next hop with ARP */
				break;
			}
			if (c->nneigh == MAX_NEIGH ||
			    tool_parse_neigh(optarg, &c->neigh_ip[c->nneigh], c->neigh_mac[c->nneigh])) {
				fprintf(stderr, "pp-tcpsend: bad --neigh %s (IP=MAC, at most %d)\n", optarg,
					MAX_NEIGH);
				return -1;
			}
			c->nneigh++;
			break;
		case 'd':
			if (tool_parse_ip_port(optarg, &c->dst, &c->dport)) {
				fprintf(stderr, "pp-tcpsend: bad --dst %s (IP:PORT)\n", optarg);
				return -1;
			}
			have_dst = true;
			break;
		case 'F':
			c->file = optarg;
			modes++;
			break;
		case 'B':
			if (tool_parse_bytes(optarg, &c->bytes)) {
				fprintf(stderr, "pp-tcpsend: bad --bytes %s (N, NK, NM or NG; N > 0)\n",
					optarg);
				return -1;
			}
			modes++;
			break;
		case 'S':
			if (tool_parse_seconds(optarg, &c->seconds)) {
				fprintf(stderr, "pp-tcpsend: bad --seconds %s\n", optarg);
				return -1;
			}
			modes++;
			break;
		case 'r':
			c->rr_size = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !c->rr_size || c->rr_size > CHUNK) {
				fprintf(stderr, "pp-tcpsend: --rr must be 1..%d bytes\n", CHUNK);
				return -1;
			}
			modes++;
			break;
		case 'C':
			c->rr_count = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || c->rr_count <= RR_WARMUP || c->rr_count > 100000000) {
				fprintf(stderr, "pp-tcpsend: --count must be %d..100000000\n",
					RR_WARMUP + 1);
				return -1;
			}
			break;
		case 'c':
			c->conns = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !c->conns || c->conns > 10000000) {
				fprintf(stderr, "pp-tcpsend: --conns must be 1..10000000\n");
				return -1;
			}
			break;
		case 't':
			if (tool_parse_seconds(optarg, &c->timeout) || c->timeout > 86400) {
				fprintf(stderr, "pp-tcpsend: bad --timeout %s\n", optarg);
				return -1;
			}
			break;
		case 'D':
			c->nodelay = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'T':
			c->no_timing = true;
			break;
		case 'R':
			if (!strcmp(optarg, "thread"))
				c->compl_threads = true;
			else if (strcmp(optarg, "inline")) {
				fprintf(stderr, "pp-tcpsend: --reap is inline or thread\n");
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
		fprintf(stderr, "pp-tcpsend: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if (!c->ip) {
		fprintf(stderr, "pp-tcpsend: --ip is required\n");
		return -1;
	}
	if (!have_dst) {
		fprintf(stderr, "pp-tcpsend: --dst is required\n");
		return -1;
	}
	if (modes != 1) {
		fprintf(stderr, "pp-tcpsend: give one of --file, --bytes, --seconds, --rr\n");
		return -1;
	}
	if (c->rr_size) {
		c->nodelay = true;
		if (!c->rr_count)
			c->rr_count = 10000;
	}
	return 0;
}

/* Record the first failure of a lane: @err and a sentence for stderr. */
static void __attribute__((format(printf, 3, 4)))
lane_fail(struct lane_ctx *lc, int err, const char *fmt, ...)
{
	va_list ap;

	if (lc->err)
		return;
	lc->err = err ? err : -EIO;
	va_start(ap, fmt);
	vsnprintf(lc->why, sizeof(lc->why), fmt, ap);
	va_end(ap);
}

/* What a blocking call's error means here: -EAGAIN is our timeout. */
static const char *err_str(int err, const struct cfg *c, char *buf, size_t len)
{
	if (err == -EAGAIN)
		snprintf(buf, len, "timed out (nothing for %g s)", c->timeout);
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

/* SO_SNDTIMEO and SO_RCVTIMEO of @secs: connect (as Linux's, cf.
 * inet_stream_connect() and sock_sndtimeo()), send and recv give up after
 * that long without progress. Best effort: a stack without them waits. */
static void set_timeouts(struct pp_sock *sk, double secs)
{
	struct timeval tv = {.tv_sec = (time_t)secs,
			     .tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};

	pp_setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pp_setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* --rr: c->rr_count round trips on @sk; samples after the warm-up go to
 * lc->rtt_us. Return: 0, or the error (recorded). */
static int rr_run(struct lane_ctx *lc, struct pp_sock *sk, unsigned int conn, uint8_t *buf)
{
	const struct cfg *c = lc->cfg;
	uint64_t off = 0;
	char e[96];

	for (uint32_t i = 0; i < c->rr_count; i++) {
		const uint8_t *p = pattern + off % PATTERN_MOD;
		double t0 = now_s();
		ssize_t n = pp_send(sk, p, c->rr_size, 0);
		uint32_t back = 0;

		if (n != (ssize_t)c->rr_size) {
			int err = n < 0 ? (int)n : -EIO;

			lane_fail(lc, err, "connection %u: request %u: send: %s", conn, i,
				  err_str(err, c, e, sizeof(e)));
			return err;
		}
		while (back < c->rr_size) {
			n = pp_recv(sk, buf + back, c->rr_size - back, 0);
			if (n <= 0) {
				int err = n ? (int)n : -ECONNRESET;

				lane_fail(lc, err, "connection %u: response %u: %s", conn, i,
					  n ? err_str(err, c, e, sizeof(e))
					    : "the peer closed mid-response");
				return err;
			}
			back += (uint32_t)n;
		}
		if (memcmp(buf, p, c->rr_size)) {
			lane_fail(lc, -EBADMSG, "connection %u: response %u differs from the request",
				  conn, i);
			return -EBADMSG;
		}
		if (i >= RR_WARMUP)
			lc->rtt_us[lc->nrtt++] = (now_s() - t0) * 1e6;
		off += c->rr_size;
		lc->sent += c->rr_size;
		lc->back += c->rr_size;
	}
	return 0;
}

/*
 * One connection: connect, send everything, shutdown(SHUT_WR), read to the
 * peer's FIN, close. @conn numbers it for messages. Return: 0 when clean.
 */
static int conn_run(struct lane_ctx *lc, unsigned int conn, uint8_t *buf)
{
	const struct cfg *c = lc->cfg;
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_addr.s_addr = c->dst,
				  .sin_port = htons(c->dport)};
	char addr[INET_ADDRSTRLEN], e[96];
	struct pp_sock *sk;
	uint64_t off = 0;
	ssize_t n;
	int err;

	inet_ntop(AF_INET, &dst.sin_addr, addr, sizeof(addr));
	err = pp_socket(lc->st, PP_SOCK_STREAM, lc->lane, &sk);
	if (err) {
		if (err == -EPROTONOSUPPORT)
			lane_fail(lc, err, "this stack has no TCP: pp_socket(PP_SOCK_STREAM): %s",
				  strerror(-err));
		else
			lane_fail(lc, err, "connection %u: socket: %s", conn, strerror(-err));
		return err;
	}
	set_timeouts(sk, c->timeout);
	if (c->nodelay) {
		int one = 1;

		err = pp_setsockopt(sk, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (err) {
			lane_fail(lc, err, "connection %u: TCP_NODELAY: %s", conn, strerror(-err));
			goto out;
		}
	}
	err = pp_connect(sk, (struct sockaddr *)&dst, sizeof(dst));
	if (err) {
		lane_fail(lc, err, "connection %u: connect to %s:%u: %s", conn, addr, c->dport,
			  err_str(err, c, e, sizeof(e)));
		goto out;
	}

	if (c->rr_size) {
		err = rr_run(lc, sk, conn, buf);
		goto fin;
	}

	double end = c->seconds > 0 ? now_s() + c->seconds : 0;

	for (;;) {
		const uint8_t *p;
		size_t len = CHUNK;

		if (atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
			err = -EINTR;
			lane_fail(lc, err, "connection %u: interrupted after %" PRIu64 " bytes", conn,
				  off);
			break;
		}
		if (c->file) {
			ssize_t r = pread(lc->fd, buf, CHUNK, (off_t)off);

			if (r < 0) {
				err = -errno;
				lane_fail(lc, err, "connection %u: reading %s: %s", conn, c->file,
					  strerror(errno));
				break;
			}
			if (r == 0)
				break;
			len = (size_t)r;
			p = buf;
		} else {
			if (end ? now_s() >= end : off >= c->bytes)
				break;
			if (!end && c->bytes - off < len)
				len = (size_t)(c->bytes - off);
			p = pattern + off % PATTERN_MOD;
		}
		n = pp_send(sk, p, len, 0);
		if (n <= 0) {
			err = n ? (int)n : -EIO;
			lane_fail(lc, err, "connection %u: send at offset %" PRIu64 ": %s", conn, off,
				  err_str(err, c, e, sizeof(e)));
			goto out;
		}
		off += (uint64_t)n;
		lc->sent += (uint64_t)n;
	}
	if (!err && c->file && off != c->bytes) {
		err = -EIO;
		lane_fail(lc, err, "connection %u: %s changed size while sent (%" PRIu64
				   " bytes, was %" PRIu64 ")", conn, c->file, off, c->bytes);
	}
fin:;
	/* our FIN even after a failure above, so that the peer is not left
	 * waiting; the failure stays the reported one */
	int serr = pp_shutdown(sk, SHUT_WR);

	if (serr) {
		lane_fail(lc, serr, "connection %u: shutdown(SHUT_WR): %s", conn, strerror(-serr));
		err = err ? err : serr;
		goto out;
	}
	/* what the peer sends until its FIN; the FIN after ours says it read
	 * our whole stream */
	while ((n = pp_recv(sk, buf, CHUNK, 0)) > 0)
		lc->back += (uint64_t)n;
	if (n < 0) {
		lane_fail(lc, (int)n, "connection %u: waiting for the peer's FIN after %" PRIu64
				       " bytes sent: %s", conn, off,
			  err_str((int)n, c, e, sizeof(e)));
		err = err ? err : (int)n;
		goto out;
	}
	socklen_t tlen = sizeof(lc->ti);

	if (pp_getsockopt(sk, IPPROTO_TCP, TCP_INFO, &lc->ti, &tlen) == 0 &&
	    tlen >= offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(lc->ti.tcpi_total_retrans)) {
		lc->have_ti = true;
		lc->tcpi_retrans += lc->ti.tcpi_total_retrans;
	}
out:
	n = pp_close(sk);
	if (!err && n) {
		err = (int)n;
		lane_fail(lc, err, "connection %u: close: %s", conn, strerror(-err));
	}
	if (!err)
		lc->conns_ok++;
	return err;
}

static void *lane_main(void *arg)
{
	struct lane_ctx *lc = arg;
	const struct cfg *c = lc->cfg;
	uint8_t *buf = malloc(CHUNK);
	int err;

	if (!buf) {
		lane_fail(lc, -ENOMEM, "lane %u: no memory", lc->lane);
		return NULL;
	}
	if (c->rr_size &&
	    !(lc->rtt_us = malloc(sizeof(double) * (c->rr_count - RR_WARMUP) * c->conns))) {
		lane_fail(lc, -ENOMEM, "lane %u: no memory for %u samples", lc->lane,
			  (c->rr_count - RR_WARMUP) * c->conns);
		free(buf);
		return NULL;
	}
	err = pp_lane_attach(lc->st, lc->lane);
	if (err) {
		lane_fail(lc, err, "lane %u: attach: %s", lc->lane, strerror(-err));
		free(buf);
		return NULL;
	}
	for (unsigned int i = 0; i < c->conns && !lc->err; i++)
		conn_run(lc, i + 1, buf);
	/* the ACK of the last FIN (and anything else queued) leaves before the
	 * stack is destroyed; a FIN the peer sends again meanwhile is answered */
	pp_lane_flush(lc->st, lc->lane, 1000);
	for (double until = now_s() + 0.05; now_s() < until;)
		if (pp_lane_poll(lc->st, lc->lane) == 0)
			usleep(1000);
	pp_lane_detach(lc->st, lc->lane);
	free(buf);
	return NULL;
}

struct totals {
	uint64_t sent, back, tcpi_retrans;
	unsigned int conns_ok;
	bool have_ti;
	struct tcp_info ti;
	int err;
	const char *why;
	size_t nrtt;	/* --rr: samples, and their p50/p99/mean in us */
	double p50, p99, mean;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The round trips of every lane, sorted: p50/p99/mean into @t. */
static void rr_summary(struct lane_ctx *lanes, unsigned int n, struct totals *t)
{
	size_t cnt = 0, k = 0;
	double *all, sum = 0;

	for (unsigned int i = 0; i < n; i++)
		cnt += lanes[i].nrtt;
	if (!cnt || !(all = malloc(sizeof(double) * cnt)))
		return;
	for (unsigned int i = 0; i < n; i++)
		for (size_t j = 0; j < lanes[i].nrtt; j++)
			sum += all[k++] = lanes[i].rtt_us[j];
	qsort(all, cnt, sizeof(double), cmp_double);
	t->nrtt = cnt;
	t->p50 = all[cnt / 2];
	t->p99 = all[(size_t)((double)cnt * 0.99)];
	t->mean = sum / (double)cnt;
	free(all);
}

static void print_report(const struct cfg *c, const struct tool_stats *s, const struct totals *t,
			 double secs, const char *nic_info)
{
	double gbps = secs > 0 ? (double)t->sent * 8 / secs / 1e9 : 0;
	double cps = secs > 0 ? t->conns_ok / secs : 0;
	uint64_t retrans = tool_stat(s, "tcp.retrans_segs");
	uint64_t rto = tool_stat(s, "tcp.rto");
	uint64_t fast = tool_stat(s, "tcp.fast_retrans"), probes = tool_stat(s, "tcp.loss_probes");

	if (c->json) {
		printf("{\"bytes\": %" PRIu64 ", \"seconds\": %.6f, \"gbps\": %.4f, \"conns\": %u, "
		       "\"conns_asked\": %u, \"conns_per_second\": %.1f, \"received\": %" PRIu64
		       ", \"retransmits\": %" PRIu64 ", \"rto\": %" PRIu64 ", \"fast_retrans\": %" PRIu64
		       ", \"loss_probes\": %" PRIu64 ", \"tcpi\": ",
		       t->sent, secs, gbps, t->conns_ok, c->conns * c->lanes, cps, t->back, retrans,
		       rto, fast, probes);
		if (t->have_ti)
			printf("{\"total_retrans\": %" PRIu64 ", \"state\": %u, \"rtt_us\": %u, "
			       "\"snd_cwnd\": %u, \"snd_mss\": %u}",
			       t->tcpi_retrans, t->ti.tcpi_state, t->ti.tcpi_rtt, t->ti.tcpi_snd_cwnd,
			       t->ti.tcpi_snd_mss);
		else
			printf("null");
		if (c->rr_size)
			printf(", \"rr\": {\"size\": %u, \"count\": %u, \"samples\": %zu, "
			       "\"p50_us\": %.2f, \"p99_us\": %.2f, \"mean_us\": %.2f}",
			       c->rr_size, c->rr_count, t->nrtt, t->p50, t->p99, t->mean);
		printf(", \"lanes\": %u, \"nic\": \"%s\", \"nic_mode\": \"%s\", \"error\": ", c->lanes,
		       c->nic, nic_info);
		if (t->err) {
			/* the reason, JSON-escaped enough for our own sentences */
			putchar('"');
			for (const char *p = t->why; *p; p++)
				if (*p == '"' || *p == '\\')
					printf("\\%c", *p);
				else if ((unsigned char)*p >= 0x20)
					putchar(*p);
			putchar('"');
		} else {
			printf("null");
		}
		printf(", \"stages\": ");
		tool_print_stages(stdout, s, true);
		printf("}\n");
		return;
	}
	printf("pp-tcpsend: %" PRIu64 " bytes in %.3f s: %.3f Gbit/s, %u of %u connection(s) "
	       "clean (%.1f/s), %" PRIu64 " bytes back, %u lane(s), nic %s\n",
	       t->sent, secs, gbps, t->conns_ok, c->conns * c->lanes, cps, t->back, c->lanes, c->nic);
	if (c->rr_size)
		printf("rr: %u-byte round trips: %zu samples, p50 %.2f us, p99 %.2f us, mean %.2f us\n",
		       c->rr_size, t->nrtt, t->p50, t->p99, t->mean);
	printf("tcp: retransmits %" PRIu64 ", rto %" PRIu64 ", fast %" PRIu64 ", loss probes %" PRIu64,
	       retrans, rto, fast, probes);
	if (t->have_ti)
		printf("; TCP_INFO total_retrans %" PRIu64 ", last rtt %u us, cwnd %u, mss %u",
		       t->tcpi_retrans, t->ti.tcpi_rtt, t->ti.tcpi_snd_cwnd, t->ti.tcpi_snd_mss);
	printf("\nnic: %s\n", nic_info);
	tool_print_stages(stdout, s, false);
	printf("pool: %" PRIu64 " frames, %" PRIu64 " in use, %" PRIu64 " alloc failures; nic: %" PRIu64
	       " frames out, %" PRIu64 " in, %" PRIu64 " kicks\n",
	       tool_stat(s, "pool.nframes"), tool_stat(s, "pool.in_use"),
	       tool_stat(s, "pool.alloc_fail"), tool_stat(s, "nic.tx_packets"),
	       tool_stat(s, "nic.rx_packets"), tool_stat(s, "nic.tx_kicks"));
}

int main(int argc, char **argv)
{
	struct cfg c = {
		.nic = "null",
		.lanes = 1,
		.prefix = 24,
		.conns = 1,
		.timeout = 10,
	};
	struct lane_ctx lanes[PP_LANES_MAX];
	struct pp_stack *st = NULL;
	struct tool_stats stats;
	struct totals t = {0};
	int fd = -1, err = 0;

	if (parse_args(argc, argv, &c))
		return 2;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % PATTERN_MOD);
	if (c.file) {
		struct stat sb;

		fd = open(c.file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb)) {
			fprintf(stderr, "pp-tcpsend: %s: %s\n", c.file, strerror(errno));
			return 1;
		}
		c.bytes = (uint64_t)sb.st_size;
	}

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
		fprintf(stderr, "pp-tcpsend: cannot create the stack on %s: %s\n", c.nic,
			strerror(-err));
		goto out_fd;
	}
	if (c.gw && (err = pp_route_add(st, 0, 0, c.gw))) {
		fprintf(stderr, "pp-tcpsend: default route via gw: %s\n", strerror(-err));
		goto out;
	}
	for (unsigned int i = 0; i < c.nneigh; i++) {
		if ((err = pp_neigh_add(st, c.neigh_ip[i], c.neigh_mac[i]))) {
			fprintf(stderr, "pp-tcpsend: --neigh: %s\n", strerror(-err));
			goto out;
		}
	}
	/* as pp-udpgen: the null and pcap NICs have nobody to answer ARP */
	if (!c.nneigh && !c.no_neigh && strncmp(c.nic, "afxdp", 5)) {
		static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};

		pp_neigh_add(st, c.gw ? c.gw : c.dst, peer);
	}

	double t0 = now_s();
	unsigned int started = 0;

	for (unsigned int k = 0; k < c.lanes; k++) {
		lanes[k] = (struct lane_ctx){.cfg = &c, .st = st, .lane = k, .fd = fd};
		if (pthread_create(&lanes[k].thr, NULL, lane_main, &lanes[k])) {
			fprintf(stderr, "pp-tcpsend: cannot start lane %u\n", k);
			atomic_store(&stop_flag, true);
			err = -ENOMEM;
			break;
		}
		started++;
	}
	for (unsigned int k = 0; k < started; k++) {
		struct lane_ctx *lc = &lanes[k];

		pthread_join(lc->thr, NULL);
		t.sent += lc->sent;
		t.back += lc->back;
		t.conns_ok += lc->conns_ok;
		t.tcpi_retrans += lc->tcpi_retrans;
		if (lc->have_ti) {
			t.have_ti = true;
			t.ti = lc->ti;
		}
		if (lc->err && !t.err) {
			t.err = lc->err;
			t.why = lc->why;
		}
	}
	double secs = now_s() - t0;

	rr_summary(lanes, started, &t);
	for (unsigned int k = 0; k < started; k++)
		free(lanes[k].rtt_us);
	if (!t.err && err) {
		t.err = err;
		t.why = "cannot start every lane";
	}
	err = tool_stats_read(st, &stats);
	if (err) {
		fprintf(stderr, "pp-tcpsend: reading the counters: %s\n", strerror(-err));
		goto out;
	}
	print_report(&c, &stats, &t, secs, pp_stack_nic_info(st));
	/* drops are printed, not failed on: TCP sends again what was lost */
	tool_print_drops(stderr, "pp-tcpsend", &stats, false);
	tool_stats_free(&stats);
	if (t.err) {
		fprintf(stderr, "pp-tcpsend: %s\n", t.why);
		err = t.err;
	} else if (t.conns_ok != c.conns * c.lanes) {
		fprintf(stderr, "pp-tcpsend: %u of %u connections clean\n", t.conns_ok,
			c.conns * c.lanes);
		err = -EIO;
	}
out:
	pp_stack_destroy(st);
out_fd:
	if (fd >= 0)
		close(fd);
	return err ? 1 : 0;
}
