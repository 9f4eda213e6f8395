// SPDX-License-Identifier: MIT
/*
 * tcp_rr - the kernel-side tools of the TCP request/response benchmark
 * (bench/tcp.sh; cf. netperf's TCP_RR):
 *   tcp_rr server ADDR PORT CONNS        a kernel TCP echo server: accepts
 *                                        CONNS connections one after another
 *                                        and writes back whatever each sends,
 *                                        until its FIN; then closes it
 *   tcp_rr client ADDR PORT COUNT SIZE   one connection, TCP_NODELAY: COUNT
 *                                        times, send SIZE bytes and read SIZE
 *                                        back; prints p50/p99/mean in us
 * Blocking sockets, TCP_NODELAY on both ends (a request/response protocol
 * sets it: without it Nagle and delayed ACKs measure each other). The client
 * drops the first 100 samples (handshake, cold caches), as udp_rtt does and
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

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve(const struct sockaddr_in *sin, long conns)
{
	static char buf[65536];
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);

	if (ls < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (const struct sockaddr *)sin, sizeof(*sin)) || listen(ls, 128)) {
		perror("bind/listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
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

	if (argc < 5 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")) ||
	    inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: tcp_rr server ADDR PORT CONNS | client ADDR PORT COUNT SIZE\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	if (!strcmp(argv[1], "server"))
		return serve(&sin, atol(argv[4]));
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
				fprintf(stderr, "tcp_rr: the server closed or failed\n");
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
	printf("tcp_rr: samples=%ld p50_us=%.2f p99_us=%.2f mean_us=%.2f\n", got, rtt[got / 2],
	       rtt[(long)((double)got * 0.99)], sum / (double)got);
	free(rtt);
	return 0;
}
