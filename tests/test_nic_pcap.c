// SPDX-License-Identifier: MIT
/*
 * test_nic_pcap.c - the pcap NIC (pcap.c): bad specs and unwritable files
 * are refused before anything is created, pace and snaplen do what they say,
 * frames land in the file in transmit order across queues, byte for byte
 * (read back with libpcap), and tshark dissects hand-built Ethernet/IPv4/UDP
 * frames - a short one, a middle one, a full-MTU one and a two-fragment
 * datagram - with the right addresses, ports, lengths and good checksums. A
 * frame with a wrong UDP checksum must be reported bad, so the check can fail.
 * The tshark checks are skipped (with a message) when tshark is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "core/pool.h"
#include "nic/nic.h"
#include "proto/csum.h"

/* tshark's checksum status values (enum proto_checksum_enum_e in
 * epan/proto.h): 0 bad, 1 good, 2 unverified, 3 not present. */
#define TS_CSUM_BAD 0
#define TS_CSUM_GOOD 1

#define MAXREC 16

struct rec {
	uint16_t len;
	uint8_t bytes[PP_FRAME_2K];
};

struct fx {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_nic *nic;
	char dir[256];
	char file[300];
	char spec[512];
	/* what was sent, in transmit order, to compare with the file */
	struct rec sent[MAXREC];
	unsigned int nsent;
};

static const uint8_t mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

static int setup(void **state)
{
	static struct fx fx;
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 64,
		.nlanes = 2, /* two xmit threads in test_two_queues_two_threads */
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	const char *tmp = getenv("TMPDIR");

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pp_pool_create(&o, &fx.pool), 0);
	fx.c = pp_pool_cache(fx.pool, 0);
	snprintf(fx.dir, sizeof(fx.dir), "%s/pp_nic_pcap_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(fx.dir));
	snprintf(fx.file, sizeof(fx.file), "%s/out.pcap", fx.dir);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;
	char p[400];

	pp__nic_close(fx->nic);
	fx->nic = NULL;
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	pp_pool_destroy(fx->pool);
	unlink(fx->file);
	snprintf(p, sizeof(p), "%s/tshark.err", fx->dir);
	unlink(p);
	assert_int_equal(rmdir(fx->dir), 0); /* nothing else was left there */
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.bad_free, 0);
	return 0;
}

static void open_ok(struct fx *fx, const char *opts, uint16_t ntxq)
{
	/* a NIC spec holds at most 127 characters: keep TMPDIR short */
	assert_true(snprintf(fx->spec, sizeof(fx->spec), "pcap:%s%s", fx->file, opts) < 128);
	assert_int_equal(pp__nic_open(fx->spec, fx->pool, ntxq, 0, 1500, &fx->nic), 0);
}

/* Remember @skb's frames as sent (call after xmit accepted it). */
static void record(struct fx *fx, const struct pp_skb *skb)
{
	for (; skb; skb = skb->frag) {
		assert_true(fx->nsent < MAXREC);
		fx->sent[fx->nsent].len = skb->len;
		memcpy(fx->sent[fx->nsent].bytes, pp_skb_data(skb), skb->len);
		fx->nsent++;
	}
}

static void xmit_all(struct fx *fx, uint16_t q, struct pp_skb **skbs, uint16_t n)
{
	/* record first: once accepted, the frames belong to the NIC */
	for (uint16_t i = 0; i < n; i++)
		record(fx, skbs[i]);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, q, skbs, n), n);
}

static unsigned int drain(struct fx *fx)
{
	struct pp_skb *out[16];
	unsigned int total = 0;
	uint16_t got;

	for (uint16_t q = 0; q < fx->nic->ntxq; q++) {
		while ((got = fx->nic->ops->tx_complete(fx->nic, q, out, 16)) > 0) {
			pp_skb_free_burst(fx->c, out, got);
			total += got;
		}
	}
	return total;
}

static void close_nic(struct fx *fx)
{
	pp__nic_close(fx->nic);
	fx->nic = NULL;
}

/* ---- frame building ------------------------------------------------------- */

static void put_eth(struct pp_skb *skb)
{
	struct pp_eth_hdr *eth = pp_skb_put(skb, sizeof(*eth));

	assert_non_null(eth);
	memcpy(eth->dst, mac_dst, 6);
	memcpy(eth->src, mac_src, 6);
	eth->proto = htons(PP_ETH_P_IP);
}

static void put_ip(struct pp_skb *skb, uint32_t saddr, uint32_t daddr, uint16_t id,
		   uint16_t frag, uint16_t payload_len)
{
	struct pp_ipv4_hdr *ip = pp_skb_put(skb, sizeof(*ip));

	assert_non_null(ip);
	ip->ver_ihl = 0x45;
	ip->tos = 0;
	ip->tot_len = htons((uint16_t)(PP_IPV4_HLEN + payload_len));
	ip->id = htons(id);
	ip->frag_off = htons(frag);
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = pp_csum(ip, sizeof(*ip));
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* UDP checksum over the pseudo-header, the UDP header and the payload. */
static uint16_t udp_csum(uint32_t saddr, uint32_t daddr, const struct pp_udp_hdr *uh,
			 const uint8_t *payload, size_t plen)
{
	unsigned int odd = 0;
	uint64_t sum = pp_csum_pseudo(saddr, daddr, PP_IPPROTO_UDP, (uint16_t)(PP_UDP_HLEN + plen));
	uint16_t c;

	sum = pp_csum_partial(uh, sizeof(*uh), sum, &odd);
	sum = pp_csum_partial(payload, plen, sum, &odd);
	c = pp_csum_fold(sum);
	return c ? c : 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
}

/* One unfragmented Ethernet/IPv4/UDP frame with @plen bytes of payload. */
static struct pp_skb *mk_udp(struct fx *fx, const char *src, const char *dst, uint16_t sport,
			     uint16_t dport, uint16_t plen, uint16_t id, int corrupt)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	uint32_t saddr = inet_addr(src), daddr = inet_addr(dst);
	struct pp_udp_hdr *uh;
	uint8_t *payload;

	assert_non_null(skb);
	put_eth(skb);
	put_ip(skb, saddr, daddr, id, PP_IP_DF, (uint16_t)(PP_UDP_HLEN + plen));
	uh = pp_skb_put(skb, sizeof(*uh));
	payload = pp_skb_put(skb, plen);
	assert_non_null(uh);
	assert_true(plen == 0 || payload != NULL);
	fill(payload, plen, (uint8_t)id);
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)(PP_UDP_HLEN + plen));
	uh->check = 0;
	uh->check = udp_csum(saddr, daddr, uh, payload, plen);
	if (corrupt)
		uh->check ^= 0x0101;
	return skb;
}

/*
 * A UDP datagram of @plen payload bytes split into two IPv4 fragments, as a
 * chain: the first carries the UDP header and the start of the payload (a
 * multiple of 8 bytes in all), the second the rest.
 */
static struct pp_skb *mk_udp_frags(struct fx *fx, const char *src, const char *dst,
				   uint16_t sport, uint16_t dport, uint16_t plen, uint16_t id)
{
	uint32_t saddr = inet_addr(src), daddr = inet_addr(dst);
	uint16_t dlen = (uint16_t)(PP_UDP_HLEN + plen);
	uint16_t first = (uint16_t)((dlen / 2) & ~7u);
	uint8_t dgram[PP_FRAME_2K];
	struct pp_udp_hdr uh;
	struct pp_skb *a = pp_skb_alloc(fx->c), *b = pp_skb_alloc(fx->c);

	assert_non_null(a);
	assert_non_null(b);
	assert_true(dlen <= sizeof(dgram));
	fill(dgram + PP_UDP_HLEN, plen, (uint8_t)id);
	uh.source = htons(sport);
	uh.dest = htons(dport);
	uh.len = htons(dlen);
	uh.check = 0;
	uh.check = udp_csum(saddr, daddr, &uh, dgram + PP_UDP_HLEN, plen);
	memcpy(dgram, &uh, sizeof(uh));

	put_eth(a);
	put_ip(a, saddr, daddr, id, PP_IP_MF, first);
	memcpy(pp_skb_put(a, first), dgram, first);
	put_eth(b);
	put_ip(b, saddr, daddr, id, (uint16_t)(first / 8), (uint16_t)(dlen - first));
	memcpy(pp_skb_put(b, (uint16_t)(dlen - first)), dgram + first, (size_t)(dlen - first));
	a->frag = b;
	return a;
}

/* ---- reading the file back ----------------------------------------------- */

/* Check the file holds exactly what was recorded, in order. */
static void check_file_bytes(struct fx *fx, uint32_t snaplen)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pd = pcap_open_offline(fx->file, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int i = 0;
	double prev = 0;
	off_t size = 24;
	struct stat sb;
	int rc;

	if (!pd)
		fail_msg("pcap_open_offline(%s): %s", fx->file, err);
	assert_int_equal(pcap_datalink(pd), DLT_EN10MB);
	while ((rc = pcap_next_ex(pd, &h, &data)) == 1) {
		double t = (double)h->ts.tv_sec + h->ts.tv_usec / 1e6;

		assert_true(i < fx->nsent);
		assert_int_equal(h->len, fx->sent[i].len);
		assert_int_equal(h->caplen, fx->sent[i].len < snaplen ? fx->sent[i].len : snaplen);
		assert_memory_equal(data, fx->sent[i].bytes, h->caplen);
		assert_true(t >= prev);
		assert_true(t > 1e9); /* a wall-clock stamp, not zero */
		prev = t;
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK); /* clean end of file */
	assert_int_equal(i, fx->nsent);
	pcap_close(pd);
	/* libpcap clamps what it reads to the file's snaplen, so check the
	 * size too: 24-byte file header, 16-byte record headers, caplen bytes */
	for (i = 0; i < fx->nsent; i++)
		size += 16 + (fx->sent[i].len < snaplen ? fx->sent[i].len : snaplen);
	assert_int_equal(stat(fx->file, &sb), 0);
	assert_int_equal(sb.st_size, size);
}

static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Booleans print as 1/0 in tshark 4.0 and as True/False in later versions:
 * make them 1/0 (whole space-separated words only). */
static void normalize_bools(char *line)
{
	static const struct {
		const char *word;
		char digit;
	} map[] = {{"True", '1'}, {"False", '0'}};
	char *w = line;

	while (*w) {
		size_t len = strcspn(w, " ");

		for (size_t i = 0; i < 2; i++) {
			if (len == strlen(map[i].word) && !memcmp(w, map[i].word, len)) {
				w[0] = map[i].digit;
				memmove(w + 1, w + len, strlen(w + len) + 1);
				len = 1;
				break;
			}
		}
		w += len;
		if (*w)
			w++;
	}
}

/* Run tshark over the file; one line of fields per frame into @lines. */
static unsigned int tshark_read(struct fx *fx, char lines[][256], unsigned int max)
{
	char cmd[1024], errfile[400];
	unsigned int n = 0;
	FILE *f;
	int rc;

	snprintf(errfile, sizeof(errfile), "%s/tshark.err", fx->dir);
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-T fields -E separator=/s -E occurrence=f "
		 "-e frame.len -e eth.src -e eth.dst -e ip.src -e ip.dst -e ip.len "
		 "-e ip.checksum.status -e ip.flags.mf -e ip.frag_offset -e udp.srcport "
		 "-e udp.dstport -e udp.length -e udp.checksum.status 2>'%s'",
		 fx->file, errfile);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (n < max && fgets(lines[n], 256, f)) {
		lines[n][strcspn(lines[n], "\n")] = '\0';
		normalize_bools(lines[n]);
		print_message("tshark: %s\n", lines[n]);
		n++;
	}
	rc = pclose(f);
	if (rc != 0) {
		char buf[512];
		FILE *e = fopen(errfile, "r");

		while (e && fgets(buf, sizeof(buf), e))
			print_message("tshark stderr: %s", buf);
		if (e)
			fclose(e);
		fail_msg("tshark exited with status %d", rc);
	}
	return n;
}

/* ---- negative cases ------------------------------------------------------ */

static void test_bad_specs(void **state)
{
	struct fx *fx = *state;
	static const char *const bad_opts[] = {
		",pace=0", ",pace=65536", ",pace=", ",pace", ",pace=x", ",snaplen=13",
		",snaplen=65536", ",txring=3", ",txring=0", ",bogus=1", ",", ",,pace=2",
		",pace=2,",
	};
	struct pp_nic *nic = NULL;
	struct stat sb;
	char spec[512];

	assert_int_equal(pp__nic_open("pcap", fx->pool, 1, 0, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("pcap:", fx->pool, 1, 0, 1500, &nic), -EINVAL);
	assert_int_equal(pp__nic_open("pcap:,pace=2", fx->pool, 1, 0, 1500, &nic), -EINVAL);
	/* a forgotten FILE is an error, not a file named "pace=2" */
	assert_int_equal(pp__nic_open("pcap:pace=2", fx->pool, 1, 0, 1500, &nic), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		assert_true(snprintf(spec, sizeof(spec), "pcap:%s%s", fx->file, bad_opts[i]) < 128);
		print_message("spec \"%s\"\n", spec);
		assert_int_equal(pp__nic_open(spec, fx->pool, 1, 0, 1500, &nic), -EINVAL);
		/* every argument is checked before the file is created */
		assert_int_equal(stat(fx->file, &sb), -1);
	}
	assert_null(nic);
}

static void test_unwritable(void **state)
{
	struct fx *fx = *state;
	struct pp_nic *nic = NULL;
	char spec[400];
	int err;

	/* a directory that does not exist */
	snprintf(spec, sizeof(spec), "pcap:%s/no/such/dir.pcap", fx->dir);
	err = pp__nic_open(spec, fx->pool, 1, 0, 1500, &nic);
	assert_int_equal(err, -ENOENT);
	/* a path that is a directory */
	snprintf(spec, sizeof(spec), "pcap:%s", fx->dir);
	err = pp__nic_open(spec, fx->pool, 1, 0, 1500, &nic);
	assert_int_equal(err, -EISDIR);
	assert_null(nic);
}

/* ---- boundaries ---------------------------------------------------------- */

/* pace=K: at most K frames per call, whole chains; the first skb goes even
 * when its chain is longer than K. */
static void test_pace(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[5], *chain;
	struct pp_nic_stats st;

	open_ok(fx, ",pace=2,txring=8", 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 2);
	for (int i = 0; i < 5; i++)
		skbs[i] = mk_udp(fx, "10.0.0.1", "10.0.0.2", 1000, 2000, 10, (uint16_t)i, 0);
	for (int i = 0; i < 2; i++)
		record(fx, skbs[i]);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, skbs, 5), 2);
	for (int i = 2; i < 4; i++)
		record(fx, skbs[i]);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &skbs[2], 3), 2);
	/* 4 of 8 slots used, pace still caps the room */
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 2);
	/* a 3-frame chain first in the call goes alone, over the pace */
	chain = mk_udp_frags(fx, "10.0.0.1", "10.0.0.2", 1000, 2000, 200, 77);
	chain->frag->frag = mk_udp(fx, "10.0.0.1", "10.0.0.2", 1000, 2000, 1, 78, 0);
	struct pp_skb *two[2] = {chain, skbs[4]};

	record(fx, chain);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, two, 2), 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 1); /* 7 of 8 used */
	record(fx, skbs[4]);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &skbs[4], 1), 1);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 0);

	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 8);
	assert_int_equal(st.tx_ring_full, 3);
	assert_int_equal(drain(fx), 8);
	close_nic(fx);
	check_file_bytes(fx, 65535);
}

/* snaplen=S: frames cut to S bytes in the file, real length kept; a frame
 * shorter than the Ethernet minimum is written short, unpadded. */
static void test_snaplen_and_short_frame(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[2];

	open_ok(fx, ",snaplen=64", 1);
	skbs[0] = mk_udp(fx, "10.0.0.1", "10.0.0.2", 1, 2, 100, 1, 0);
	skbs[1] = mk_udp(fx, "10.0.0.1", "10.0.0.2", 1, 2, 1, 2, 0);
	assert_int_equal(skbs[1]->len, 43);
	xmit_all(fx, 0, skbs, 2);
	assert_int_equal(drain(fx), 2);
	close_nic(fx);
	check_file_bytes(fx, 64);
}

/* An empty capture is still a valid file. */
static void test_empty_file(void **state)
{
	struct fx *fx = *state;

	open_ok(fx, "", 1);
	close_nic(fx);
	check_file_bytes(fx, 65535);
}

/* ---- normal case --------------------------------------------------------- */

/* One file, in transmit order across queues, byte for byte. */
static void test_order_across_queues(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skb;

	open_ok(fx, ",txring=16", 3);
	for (int i = 0; i < 9; i++) {
		skb = mk_udp(fx, "192.168.1.1", "192.168.1.2", 5000, (uint16_t)(6000 + i),
			     (uint16_t)(20 * i), (uint16_t)i, 0);
		xmit_all(fx, (uint16_t)((i * 2) % 3), &skb, 1);
	}
	assert_int_equal(drain(fx), 9);
	close_nic(fx);
	check_file_bytes(fx, 65535);
}

/* Two threads, each driving its own queue and reaping it inline, write one
 * file: every frame is there once, each queue's frames in their order, and
 * no record is torn (the dump is under a lock; TSan checks it too). */
#define THR_FRAMES 3000u

struct qthread {
	struct fx *fx;
	uint16_t q;
};

static void *qthread_run(void *p)
{
	struct qthread *a = p;
	struct pp_pool_cache *c = pp_pool_cache(a->fx->pool, a->q);
	struct pp_nic *nic = a->fx->nic;
	struct pp_skb *skb, *out[16];
	uint32_t seq = 0;
	uint16_t n;

	while (seq < THR_FRAMES) {
		skb = pp_skb_alloc(c);
		if (skb) {
			uint8_t *d = pp_skb_put(skb, 64 + a->q * 100);

			memset(d, 0xa0 + a->q, skb->len);
			memcpy(d, &seq, sizeof(seq));
			while (nic->ops->xmit_burst(nic, a->q, &skb, 1) != 1) {
				n = nic->ops->tx_complete(nic, a->q, out, 16);
				pp_skb_free_burst(c, out, n);
			}
			seq++;
		}
		n = nic->ops->tx_complete(nic, a->q, out, 16);
		pp_skb_free_burst(c, out, n);
		if (!skb)
			sched_yield();
	}
	while ((n = nic->ops->tx_complete(nic, a->q, out, 16)) > 0)
		pp_skb_free_burst(c, out, n);
	return NULL;
}

static void test_two_queues_two_threads(void **state)
{
	struct fx *fx = *state;
	struct qthread a[2] = {{fx, 0}, {fx, 1}};
	pthread_t t[2];
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t next[2] = {0, 0};
	pcap_t *pd;

	open_ok(fx, ",txring=32", 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, qthread_run, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	close_nic(fx);

	pd = pcap_open_offline(fx->file, err);
	if (!pd)
		fail_msg("pcap_open_offline: %s", err);
	while (pcap_next_ex(pd, &h, &data) == 1) {
		uint32_t seq;
		unsigned int q = h->len == 64 ? 0 : 1;

		assert_int_equal(h->len, 64 + q * 100);
		assert_int_equal(h->caplen, h->len);
		memcpy(&seq, data, sizeof(seq));
		assert_int_equal(seq, next[q]);
		assert_int_equal(data[h->len - 1], 0xa0 + q);
		next[q]++;
	}
	pcap_close(pd);
	assert_int_equal(next[0], THR_FRAMES);
	assert_int_equal(next[1], THR_FRAMES);
}

/* Three frames and a two-fragment datagram, read by tshark. */
static void test_tshark_frames(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[4];
	struct pp_nic_stats st;
	char lines[8][256];
	unsigned int n;

	open_ok(fx, "", 2);
	skbs[0] = mk_udp(fx, "10.1.0.1", "10.1.0.2", 40000, 40001, 5, 0x101, 0);
	skbs[1] = mk_udp(fx, "10.1.0.3", "10.1.0.4", 40002, 40003, 100, 0x102, 0);
	skbs[2] = mk_udp(fx, "10.1.0.5", "10.1.0.6", 40004, 40005, 1472, 0x103, 0);
	skbs[3] = mk_udp_frags(fx, "10.1.0.7", "10.1.0.8", 40006, 40007, 1000, 0x104);
	assert_int_equal(skbs[0]->len, 47);	/* under ETH_ZLEN: written as is */
	assert_int_equal(skbs[2]->len, 1514);	/* a full 1500-byte MTU */
	xmit_all(fx, 0, skbs, 2);
	xmit_all(fx, 1, &skbs[2], 2);
	pp__nic_stats(fx->nic, &st);
	assert_int_equal(st.tx_packets, 5);
	assert_int_equal(st.tx_bytes, 47 + 142 + 1514 + 2 * (14 + 20 + 504));
	assert_int_equal(drain(fx), 5);
	close_nic(fx);
	check_file_bytes(fx, 65535);

	if (!have_tshark()) {
		PP_SKIP("tshark not installed: skipping the dissection checks");
	}
	n = tshark_read(fx, lines, 8);
	assert_int_equal(n, 5);
	/* frame.len eth.src eth.dst ip.src ip.dst ip.len ip.checksum.status
	 * ip.flags.mf ip.frag_offset udp.srcport udp.dstport udp.length
	 * udp.checksum.status; fragments: the UDP fields show on the frame
	 * that completes the reassembly, checked over the whole datagram. */
	assert_string_equal(lines[0], "47 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.1 10.1.0.2 "
				      "33 1 0 0 40000 40001 13 1");
	assert_string_equal(lines[1], "142 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.3 10.1.0.4 "
				      "128 1 0 0 40002 40003 108 1");
	assert_string_equal(lines[2], "1514 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.5 10.1.0.6 "
				      "1500 1 0 0 40004 40005 1480 1");
	assert_string_equal(lines[3], "538 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.7 10.1.0.8 "
				      "524 1 1 0    ");
	/* ip.frag_offset is in 8-byte units in tshark 4.0 (63), in bytes in
	 * some other versions (504) */
	if (strcmp(lines[4], "538 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.7 10.1.0.8 "
			     "524 1 0 504 40006 40007 1008 1"))
		assert_string_equal(lines[4], "538 02:00:00:00:00:01 02:00:00:00:00:02 10.1.0.7 "
					      "10.1.0.8 524 1 0 63 40006 40007 1008 1");
}

/* The checker must be able to fail: a wrong UDP checksum is reported bad. */
static void test_tshark_sees_bad_checksum(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *skbs[2];
	char lines[4][256];
	char good[16], bad[16];

	open_ok(fx, "", 1);
	skbs[0] = mk_udp(fx, "10.2.0.1", "10.2.0.2", 7000, 7001, 64, 1, 1);
	skbs[1] = mk_udp(fx, "10.2.0.1", "10.2.0.2", 7000, 7001, 64, 2, 0);
	xmit_all(fx, 0, skbs, 2);
	assert_int_equal(drain(fx), 2);
	close_nic(fx);
	check_file_bytes(fx, 65535);

	if (!have_tshark()) {
		PP_SKIP("tshark not installed: skipping the dissection checks");
	}
	assert_int_equal(tshark_read(fx, lines, 4), 2);
	snprintf(bad, sizeof(bad), " 72 %d", TS_CSUM_BAD);
	snprintf(good, sizeof(good), " 72 %d", TS_CSUM_GOOD);
	/* ends with: udp.length udp.checksum.status */
	assert_non_null(strstr(lines[0], bad));
	assert_null(strstr(lines[0], good));
	assert_non_null(strstr(lines[1], good));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snaplen_and_short_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_across_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_queues_two_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tshark_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tshark_sees_bad_checksum, setup, teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
