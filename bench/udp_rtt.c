// SPDX-License-Identifier: MIT
/*
 * udp_rtt - the kernel-side tools of the round-trip benchmark:
 *   udp_rtt server ADDR PORT SECONDS    a kernel UDP echo server (recvfrom +
 *                                       sendto), the peer pp-udpecho is
 *                                       compared with
 *   udp_rtt client ADDR PORT COUNT SIZE one datagram in flight at a time;
 *                                       prints p50/p99/mean round trip in us
 * Both are plain blocking sockets pinned nowhere; the client drops the first
 * 100 samples (ARP, cold caches) and counts timeouts (200 ms) as lost.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "peer_util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	static char buf[65536];
	int fd;

	if (argc < 5 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")) ||
	    inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: udp_rtt server ADDR PORT SECONDS | client ADDR PORT COUNT SIZE\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (!strcmp(argv[1], "server")) {
		struct timeval tv = {0, 200000};
		double until = now_us() + atof(argv[4]) * 1e6;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			perror("bind");
			return 1;
		}
		while (now_us() < until) {
			struct sockaddr_in src;
			socklen_t sl = sizeof(src);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);

			if (n >= 0)
				sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&src, sl);
		}
		return 0;
	}
	if (argc < 6) {
		fprintf(stderr, "client needs COUNT SIZE\n");
		return 2;
	}
	long count = atol(argv[4]);
	size_t size = (size_t)atol(argv[5]);
	struct timeval tv = {0, 200000};
	double *rtt = calloc((size_t)count, sizeof(double));
	long got = 0, lost = 0;

	if (!rtt || count <= 100 || size > sizeof(buf)) {
		fprintf(stderr, "bad COUNT or SIZE\n");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("connect");
		return 1;
	}
	memset(buf, 0x5a, size);
	for (long i = 0; i < count; i++) {
		double t0 = now_us();

		memcpy(buf, &i, sizeof(i));
		if (send(fd, buf, size, 0) < 0) {
			lost++;
			continue;
		}
		for (;;) {
			ssize_t n = recv(fd, buf + size, sizeof(buf) - size, 0);
			long id;

			if (n < 0) {
				lost++;
				break;
			}
			memcpy(&id, buf + size, sizeof(id));
			if (id != i)
				continue; /* a late reply to an earlier, timed-out one */
			if (i >= 100)
				rtt[got++] = now_us() - t0;
			break;
		}
	}
	if (!got) {
		printf("udp_rtt: no replies (lost %ld)\n", lost);
		return 1;
	}
	qsort(rtt, (size_t)got, sizeof(double), cmp_double);
	double sum = 0;

	for (long i = 0; i < got; i++)
		sum += rtt[i];
	printf("udp_rtt: samples=%ld lost=%ld p50_us=%.2f p99_us=%.2f mean_us=%.2f\n", got, lost,
	       rtt[got / 2], rtt[(long)((double)got * 0.99)], sum / (double)got);
	free(rtt);
	return 0;
}
