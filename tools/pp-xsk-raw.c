// SPDX-License-Identifier: MIT
/*
 * pp-xsk-raw - the afxdp NIC's raw TX loop: no stack, just the pool and the
 * backend (src/nic/afxdp.c), shaped like /work/shared/peers/src/xsk_tx.c so
 * the two can be compared: one thread, inline reaping, the same frame in
 * every buffer, the kernel's peer counting what arrives.
 *
 * Every frame of the pool is written once at start with one Ethernet/IPv4/UDP
 * frame at the data offset a fresh skb gets, as xsk_tx fills its UMEM once.
 * The loop then does what a driver stage does per burst: reap completions
 * into the pool (tx_complete + pp_skb_free_burst), allocate a burst of skbs
 * (pp_skb_alloc_burst, pp_skb_put of the length), xmit_burst it (descriptors,
 * need_wakeup kick), keep what did not fit for the next round.
 *
 * usage: pp-xsk-raw -i IFNAME [options]      (run inside the interface's netns)
 *   -m MODE    XDP attach mode native|skb|auto (native); an RX queue and our
 *              program are set up, as xsk_tx does
 *   -b BATCH   skbs per xmit_burst (64)
 *   -l LEN     frame length without FCS (64)
 *   -t SECS    run time (5)
 *   -c CPU     pin to CPU (0; -1: no pinning)
 *   -B BUDGET  budget=N: XDP_MAX_TX_SKB_BUDGET (kernel default 32)
 *   -r RING    ring=N (2048)
 *   -d MAC     destination MAC (02:00:00:00:00:00, as xsk_tx.sh's PB_PEER=otherhost)
 *   -S IP -D IP  source and destination IPv4 (198.18.0.1 -> 198.18.0.2), UDP 9 -> 9
 *
 * Prints one key=value line: xdp_mode= bind= budget= submitted= completed=
 * kicks= kick_again= elapsed= pps=
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "core/pool.h"
#include "nic/afxdp.h"
#include "nic/nic.h"
#include "proto/csum.h"

#define NFRAMES 4096u	/* as xsk_tx */
#define MAX_BATCH 256u

struct opts {
	const char *ifname, *mode;
	int batch, len, cpu, budget, ring;
	double secs;
	uint8_t dst_mac[6];
	uint32_t src_ip, dst_ip;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
	fprintf(stderr, "usage: pp-xsk-raw -i IFNAME [-m native|skb|auto] [-b BATCH] [-l LEN] "
			"[-t SECS] [-c CPU] [-B BUDGET] [-r RING] [-d MAC] [-S IP] [-D IP]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	struct in_addr a;
	int c;

	*o = (struct opts){.mode = "native", .batch = 64, .len = 64, .secs = 5, .ring = 2048};
	inet_pton(AF_INET, "198.18.0.1", &a);
	o->src_ip = a.s_addr;
	inet_pton(AF_INET, "198.18.0.2", &a);
	o->dst_ip = a.s_addr;
	o->dst_mac[0] = 0x02; /* 02:00:00:00:00:00: nobody's, counted and dropped */
	while ((c = getopt(argc, argv, "i:m:b:l:t:c:B:r:d:S:D:")) != -1) {
		switch (c) {
		case 'i': o->ifname = optarg; break;
		case 'm': o->mode = optarg; break;
		case 'b': o->batch = atoi(optarg); break;
		case 'l': o->len = atoi(optarg); break;
		case 't': o->secs = atof(optarg); break;
		case 'c': o->cpu = atoi(optarg); break;
		case 'B': o->budget = atoi(optarg); break;
		case 'r': o->ring = atoi(optarg); break;
		case 'd':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &o->dst_mac[0],
				   &o->dst_mac[1], &o->dst_mac[2], &o->dst_mac[3], &o->dst_mac[4],
				   &o->dst_mac[5]) != 6)
				usage();
			break;
		case 'S':
		case 'D':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			*(c == 'S' ? &o->src_ip : &o->dst_ip) = a.s_addr;
			break;
		default: usage();
		}
	}
	if (!o->ifname || o->batch < 1 || o->batch > (int)MAX_BATCH || o->len < 60 ||
	    o->len > 1514 || o->secs <= 0)
		usage();
}

/* Ethernet + IPv4 + UDP (checksum 0, as xsk_tx), payload zero, at @p. */
static void build_frame(uint8_t *p, const struct opts *o, const uint8_t *src_mac)
{
	struct pp_eth_hdr *eth = (struct pp_eth_hdr *)p;
	struct pp_ipv4_hdr *ip = (struct pp_ipv4_hdr *)(p + PP_ETH_HLEN);
	struct pp_udp_hdr *udp = (struct pp_udp_hdr *)(p + PP_ETH_HLEN + PP_IPV4_HLEN);

	memset(p, 0, (size_t)o->len);
	memcpy(eth->dst, o->dst_mac, 6);
	memcpy(eth->src, src_mac, 6);
	eth->proto = htons(PP_ETH_P_IP);
	ip->ver_ihl = 0x45;
	ip->tot_len = htons((uint16_t)(o->len - PP_ETH_HLEN));
	ip->frag_off = htons(PP_IP_DF);
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_UDP;
	ip->saddr = o->src_ip;
	ip->daddr = o->dst_ip;
	ip->check = pp_csum(ip, sizeof(*ip));
	udp->source = htons(9);
	udp->dest = htons(9);
	udp->len = htons((uint16_t)(o->len - PP_ETH_HLEN - PP_IPV4_HLEN));
}

int main(int argc, char **argv)
{
	struct pp_pool_opts po = {.sz = sizeof(po), .frames_per_lane = NFRAMES};
	struct pp_skb *held[MAX_BATCH], *done[MAX_BATCH];
	struct pp__afxdp_stats xs;
	struct pp__afxdp_info info;
	struct pp_nic_stats ns;
	struct pp_pool_cache *c;
	struct pp_pool *pool;
	struct pp_nic *nic;
	struct opts o;
	char spec[128];
	uint32_t nheld = 0;
	int err;

	parse(argc, argv, &o);
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if ((err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set)))
			fprintf(stderr, "pp-xsk-raw: pin to CPU %d: %s\n", o.cpu, strerror(err));
	}
	err = pp_pool_create(&po, &pool);
	if (err) {
		fprintf(stderr, "pp-xsk-raw: pool: %s\n", strerror(-err));
		return 1;
	}
	c = pp_pool_cache(pool, 0);
	snprintf(spec, sizeof(spec), "afxdp:%s,mode=%s,ring=%d", o.ifname, o.mode, o.ring);
	if (o.budget)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), ",budget=%d", o.budget);
	err = pp__nic_open(spec, pool, 1, 1, 1500, &nic);
	if (err) {
		fprintf(stderr, "pp-xsk-raw: open %s: %s\n", spec, strerror(-err));
		return 1;
	}
	pp__afxdp_info(nic, &info);
	fprintf(stderr, "pp-xsk-raw: %s %s\n", spec, pp__afxdp_mode_info(nic));

	/* Write the frame once into every buffer, where a fresh skb's data starts. */
	static struct pp_skb *all[NFRAMES];

	if (pp_skb_alloc_bulk(c, all, NFRAMES) != NFRAMES) {
		fprintf(stderr, "pp-xsk-raw: pool short of frames\n");
		return 1;
	}
	for (uint32_t i = 0; i < NFRAMES; i++)
		build_frame(pp_skb_data(all[i]), &o, nic->mac);
	pp_skb_free_burst(c, all, NFRAMES);

	const uint32_t batch = (uint32_t)o.batch;
	const double t0 = now_s(), deadline = t0 + o.secs;
	uint64_t in_flight = 0;
	double t1 = t0;
	bool draining = false;

	for (uint64_t iter = 1;; iter++) {
		uint16_t n = nic->ops->tx_complete(nic, 0, done, MAX_BATCH);

		pp_skb_free_burst(c, done, n);
		in_flight -= n;
		if (!draining && nheld < batch) {
			uint32_t got = pp_skb_alloc_burst(c, held + nheld, batch - nheld);

			for (uint32_t i = 0; i < got; i++)
				pp_skb_put(held[nheld + i], (uint32_t)o.len);
			nheld += got;
		}
		if (nheld) {
			n = nic->ops->xmit_burst(nic, 0, held, (uint16_t)nheld);
			memmove(held, held + n, (nheld - n) * sizeof(held[0]));
			nheld -= n;
			in_flight += n;
		}
		if ((iter & 15) == 0) {
			t1 = now_s();
			if (!draining && t1 >= deadline) {
				draining = true;
				pp_skb_free_burst(c, held, nheld);
				nheld = 0;
			}
			/* drain: every frame back (or 0.5 s), so the peer's count is complete */
			if (draining && (!in_flight || t1 >= deadline + 0.5))
				break;
		}
	}
	pp__nic_stats(nic, &ns);
	pp__afxdp_stats(nic, &xs);
	printf("xdp_mode=%s bind=%s budget=%u submitted=%llu completed=%llu kicks=%llu "
	       "kick_again=%llu kick_err=%llu elapsed=%.6f pps=%.0f\n",
	       info.xdp_mode, info.bind, info.budget, (unsigned long long)ns.tx_packets,
	       (unsigned long long)ns.tx_completed, (unsigned long long)ns.tx_kicks,
	       (unsigned long long)xs.kick_again, (unsigned long long)xs.kick_err, t1 - t0,
	       (double)ns.tx_completed / (t1 - t0));
	pp__nic_close(nic);
	pp_pool_destroy(pool);
	return 0;
}
