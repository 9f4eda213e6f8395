// SPDX-License-Identifier: MIT
/*
 * tcp_kpeer - the kernel's side of the TCP benchmarks (bench/tcp.sh), plain
 * blocking sockets:
 *   tcp_kpeer sink ADDR PORT CONNS       accepts CONNS connections one after
 *                                        another and reads each to EOF into
 *                                        a 1 MiB buffer, discarding; prints
 *                                        "ready" once listening
 *   tcp_kpeer send ADDR PORT SECONDS     the kernel's bulk sender into such a
 *                                        sink: 1 MiB writes for SECONDS, then
 *                                        shutdown(SHUT_WR) and wait for the
 *                                        sink's FIN; prints Gbit/s from
 *                                        connect to that FIN (as pp-tcpsend
 *                                        --seconds counts)
 *   tcp_kpeer conns ADDR PORT N BYTES    N connections one after another, each:
 *                                        connect, send BYTES, shutdown(SHUT_WR),
 *                                        read to the sink's FIN, close; prints
 *                                        connections per second
 *   tcp_kpeer server ADDR PORT CONNS     a kernel TCP echo server: accepts
 *                                        CONNS connections one after another
 *                                        and writes back whatever each sends,
 *                                        until its FIN; then closes it
 *   tcp_kpeer client ADDR PORT COUNT SIZE
 *                                        one connection, TCP_NODELAY: COUNT
 *                                        times, send SIZE bytes and read SIZE
 *                                        back; prints p50/p99/mean in us
 * Blocking sockets, TCP_NODELAY on both ends (a request/response protocol
 * sets it: without it Nagle and delayed ACKs measure each other). The client
 * (cf. netperf's TCP_RR) drops the first 100 samples (handshake, cold caches), as udp_rtt does and
 * as pp-tcpsend --rr does, so the figures compare.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer_util.h"

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int listen_on(const struct sockaddr_in *sin)
{
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);

	if (ls < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (const struct sockaddr *)sin, sizeof(*sin)) || listen(ls, 128)) {
		perror("bind/listen");
		return -1;
	}
	printf("ready\n");
	fflush(stdout);
	return ls;
}

static int sink(const struct sockaddr_in *sin, long conns)
{
	static char buf[1 << 20];
	int ls = listen_on(sin);

	if (ls < 0)
		return 1;
	for (long i = 0; i < conns; i++) {
		int c = accept(ls, NULL, NULL);

		if (c < 0) {
			perror("accept");
			return 1;
		}
		while (recv(c, buf, sizeof(buf), 0) > 0)
			;
		close(c);
	}
	close(ls);
	return 0;
}

static int bulk_send(const struct sockaddr_in *sin, double secs)
{
	static char buf[1 << 20];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0 = now_us(), end = t0 + secs * 1e6;
	unsigned long long sent = 0;

	if (fd < 0 || connect(fd, (const struct sockaddr *)sin, sizeof(*sin))) {
		perror("connect");
		return 1;
	}
	while (now_us() < end) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (n <= 0) {
			perror("send");
			return 1;
		}
		sent += (unsigned long long)n;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	printf("tcp_kpeer: sent=%llu gbps=%.4f\n", sent, (double)sent * 8 / (now_us() - t0) / 1e3);
	return 0;
}

static int conns_client(const struct sockaddr_in *sin, long n, size_t bytes)
{
	static char buf[65536];
	double t0 = now_us();

	if (bytes > sizeof(buf)) {
		fprintf(stderr, "tcp_kpeer: BYTES at most %zu\n", sizeof(buf));
		return 2;
	}
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) ||
		    send(fd, buf, bytes, MSG_NOSIGNAL) != (ssize_t)bytes) {
			perror("tcp_kpeer: connection");
			return 1;
		}
		shutdown(fd, SHUT_WR);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
		close(fd);
	}
	printf("tcp_kpeer: conns=%ld cps=%.1f\n", n, (double)n / ((now_us() - t0) / 1e6));
	return 0;
}

static int serve(const struct sockaddr_in *sin, long conns)
{
	static char buf[65536];
	int ls = listen_on(sin);

	if (ls < 0)
		return 1;
	for (long i = 0; i < conns; i++) {
		int c = accept(ls, NULL, NULL);
		ssize_t n;

		if (c < 0) {
			perror("accept");
			return 1;
		}
		nodelay(c);
		while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
			for (ssize_t off = 0; off < n;) {
				ssize_t w = send(c, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

				if (w <= 0)
					break;
				off += w;
			}
		close(c);
	}
	close(ls);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	static char buf[65536];

	if (argc < 5 || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: tcp_kpeer sink ADDR PORT CONNS | send ADDR PORT SECONDS |\n"
				"                 conns ADDR PORT N BYTES | server ADDR PORT CONNS |\n"
				"                 client ADDR PORT COUNT SIZE\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	if (!strcmp(argv[1], "sink"))
		return sink(&sin, atol(argv[4]));
	if (!strcmp(argv[1], "send"))
		return bulk_send(&sin, atof(argv[4]));
	if (!strcmp(argv[1], "server"))
		return serve(&sin, atol(argv[4]));
	if (!strcmp(argv[1], "conns"))
		return argc < 6 ? 2 : conns_client(&sin, atol(argv[4]), (size_t)atol(argv[5]));
	if (strcmp(argv[1], "client")) {
		fprintf(stderr, "tcp_kpeer: unknown mode %s\n", argv[1]);
		return 2;
	}
	if (argc < 6) {
		fprintf(stderr, "client needs COUNT SIZE\n");
		return 2;
	}
	long count = atol(argv[4]);
	size_t size = (size_t)atol(argv[5]);
	double *rtt = calloc((size_t)count, sizeof(double));
	long got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (!rtt || count <= 100 || !size || size > sizeof(buf)) {
		fprintf(stderr, "bad COUNT (> 100) or SIZE (1..%zu)\n", sizeof(buf));
		return 2;
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("connect");
		return 1;
	}
	nodelay(fd);
	memset(buf, 0x5a, size);
	for (long i = 0; i < count; i++) {
		double t0 = now_us();
		size_t back = 0;

		if (send(fd, buf, size, MSG_NOSIGNAL) != (ssize_t)size) {
			perror("send");
			return 1;
		}
		while (back < size) {
			ssize_t n = recv(fd, buf, size - back, 0);

			if (n <= 0) {
				fprintf(stderr, "tcp_kpeer: the server closed or failed\n");
				return 1;
			}
			back += (size_t)n;
		}
		if (i >= 100)
			rtt[got++] = now_us() - t0;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	qsort(rtt, (size_t)got, sizeof(double), cmp_double);
	double sum = 0;

	for (long i = 0; i < got; i++)
		sum += rtt[i];
	printf("tcp_kpeer: samples=%ld p50_us=%.2f p99_us=%.2f mean_us=%.2f\n", got, rtt[got / 2],
	       rtt[(long)((double)got * 0.99)], sum / (double)got);
	free(rtt);
	return 0;
}
