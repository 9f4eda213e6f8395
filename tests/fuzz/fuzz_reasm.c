// SPDX-License-Identifier: MIT
/*
 * fuzz_reasm.c - IPv4 reassembly on its own (pp__reasm_add(), cf.
 * ip_defrag()): fragments of a few datagrams with offsets, MF, lengths,
 * header sizes and protocols from the input (so overlaps, duplicates, holes,
 * inconsistent ends, oversize datagrams and eviction all happen), on fake
 * time.
 *
 * Input: byte 0 chooses the table: bits 0-1 max_bytes (4 KiB, 8 KiB,
 * 32 KiB, default 4 MiB), bits 2-3 the timeout (1 s, 5 s, 30 s, default),
 * bit 4 whether the input ends with pp__reasm_destroy() or with a tick past
 * the timeout. Then records:
 *   0x00..0xef  a fragment: datagram id (op & 7), source (bit 3: one of two),
 *               protocol (bits 4-5: UDP, ICMP, TCP, UDP), options (bit 6 and
 *               op >= 0xc0: a 24-byte header); u16 frag_off field as on the
 *               wire (MF, DF, offset in 8-byte units); u16 payload length
 *               (cut to the frame's room). Its payload byte k of the
 *               datagram is a pattern of (id, source, k), so a reassembled
 *               datagram can be checked byte for byte.
 *   0xf0..0xff  advance the clock (fuzz_clock_step()); odd: then tick.
 * Checked: after every call, the table within max_bytes and the pool holding
 * exactly the fragments the table says it holds (fuzz_check_bounds()); every
 * datagram returned well formed (header rewritten, checksum, pieces in
 * order, contiguous, flagged, byte for byte); at the end every fragment
 * accounted for once (returned, or dropped and counted) and the pool back at
 * its baseline.
 */
#include "fuzz_common.h"

#include "proto/csum.h"

#define MAX_FRAGS 64
#define SRC0 FUZZ_IP(10, 0, 0, 2)
#define SRC1 FUZZ_IP(10, 0, 0, 3)
#define DST FUZZ_OUR_IP

static struct {
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_stage s;
	struct pp_stage_stats stats;
	uint64_t baseline;
} rz;

static inline uint8_t pat(unsigned int id, unsigned int src, uint32_t k)
{
	return (uint8_t)(k * 29u + (k >> 8) * 3u + id * 17u + src * 101u + 7u);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = 512,
		.flags = PP_POOL_F_NO_HUGEPAGES,
	};
	struct pp_pool_stats ps;

	(void)argc;
	(void)argv;
	if (rz.pool)
		return 0;
	pp__clock_set_fake(FUZZ_T0);
	FUZZ_CHECK(pp_pool_create(&o, &rz.pool) == 0, "pp_pool_create failed");
	rz.c = pp_pool_cache(rz.pool, 0);
	rz.s = (struct pp_stage){.name = "rx", .cache = rz.c, .stats = &rz.stats,
				 .out_cap = PP_STAGE_OUT_CAP};
	FUZZ_CHECK(pp_pool_stats(rz.pool, &ps) == 0, "pp_pool_stats failed");
	rz.baseline = ps.in_use;
	return 0;
}

static uint64_t in_use(void)
{
	struct pp_pool_stats ps;

	FUZZ_CHECK(pp_pool_stats(rz.pool, &ps) == 0, "pp_pool_stats failed");
	FUZZ_CHECK(ps.bad_free == 0, "%llu bad frees", (unsigned long long)ps.bad_free);
	return ps.in_use;
}

static uint64_t drops_total(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < PP_DROP_MAX; i++)
		n += rz.stats.drops[i];
	return n;
}

/* A fragment as ip_rcv() hands it over: data at a valid IPv4 header of
 * @ihl bytes, tot_len trimmed, net_off set. NULL if the pool is empty. */
static struct pp_skb *mk_frag(unsigned int id, unsigned int src, uint8_t proto, uint32_t ihl,
			      uint16_t fo, uint32_t len)
{
	struct pp_skb *skb = pp_skb_alloc(rz.c);
	struct pp_ipv4_hdr ip = {0};
	uint32_t off = (uint32_t)(fo & PP_IP_OFFMASK) * 8;
	uint8_t *p;

	if (!skb)
		return NULL;
	if (ihl + len > pp_skb_tailroom(skb))
		len = pp_skb_tailroom(skb) - ihl;
	p = pp_skb_put(skb, ihl + len);
	FUZZ_CHECK(p != NULL, "pp_skb_put failed");
	ip.ver_ihl = (uint8_t)(0x40 | ihl / 4);
	ip.tot_len = htons((uint16_t)(ihl + len));
	ip.id = htons((uint16_t)(0x4200 + id));
	ip.frag_off = htons(fo);
	ip.ttl = 64;
	ip.protocol = proto;
	ip.saddr = src ? SRC1 : SRC0;
	ip.daddr = DST;
	memcpy(p, &ip, sizeof(ip));
	memset(p + sizeof(ip), 1, ihl - sizeof(ip)); /* NOP options */
	ip.check = pp_csum(p, ihl);
	memcpy(p + 10, &ip.check, 2);
	for (uint32_t k = 0; k < len; k++)
		p[ihl + k] = pat(id, src, off + k);
	skb->net_off = skb->data_off;
	return skb;
}

/* A datagram pp__reasm_add() returned: check it whole, free it; the number
 * of frames it was made of. */
static unsigned int check_datagram(struct pp_skb *head, struct pp_skb *fed)
{
	const uint8_t *h = pp_skb_data(head);
	const struct pp_ipv4_hdr *ip = (const struct pp_ipv4_hdr *)h;
	uint32_t ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4, total, k = 0;
	uint16_t id = ntohs(ip->id);
	unsigned int src = ip->saddr == SRC1, pieces = 0;

	FUZZ_CHECK(head->len >= PP_IPV4_HLEN && ihl >= PP_IPV4_HLEN && ihl <= head->len,
		   "datagram: bad header (len %u, ihl %u)", head->len, ihl);
	FUZZ_CHECK(head->net_off == head->data_off, "datagram: net_off %u, data at %u",
		   head->net_off, head->data_off);
	FUZZ_CHECK(pp_csum(ip, ihl) == 0, "datagram: bad header checksum");
	FUZZ_CHECK(ip->daddr == DST && (ip->saddr == SRC0 || ip->saddr == SRC1),
		   "datagram: addresses changed");
	if (!head->frag && head == fed && !(ntohs(ip->frag_off) & (PP_IP_MF | PP_IP_OFFMASK))) {
		/* no fragment: handed back as it was */
		pp_skb_free(rz.c, head);
		return 1;
	}
	FUZZ_CHECK((ntohs(ip->frag_off) & (PP_IP_MF | PP_IP_OFFMASK)) == 0,
		   "datagram: frag_off %#x", ntohs(ip->frag_off));
	total = ihl;
	for (struct pp_skb *f = head; f; f = f->frag) {
		const uint8_t *d = pp_skb_data(f);
		uint32_t start = f == head ? ihl : 0;

		FUZZ_CHECK(f->flags & PP_SKB_F_FRAG, "datagram: piece %u not flagged", pieces);
		FUZZ_CHECK(f == head || f->frag_off == k,
			   "datagram: piece %u at payload offset %u, expected %u", pieces,
			   f->frag_off, k);
		FUZZ_CHECK(f->len > start || (f == head && f->len == start),
			   "datagram: empty piece %u", pieces);
		for (uint32_t j = start; j < f->len; j++, k++)
			FUZZ_CHECK(d[j] == pat(id - 0x4200u, src, k),
				   "datagram %#x: payload byte %u is %u, want %u", id, k, d[j],
				   pat(id - 0x4200u, src, k));
		total += f->len - start;
		pieces++;
	}
	FUZZ_CHECK(total == ntohs(ip->tot_len) && total <= 65535,
		   "datagram: tot_len %u, pieces hold %u", ntohs(ip->tot_len), total);
	pp_skb_free(rz.c, head);
	return pieces;
}

static void check_table(const struct pp_reasm *r, uint32_t max_bytes)
{
	struct pp_reasm_stats rs;

	fuzz_check_bounds(&(struct fuzz_bounds){.reasm = r, .reasm_max = max_bytes});
	FUZZ_CHECK(pp__reasm_stats(r, &rs) == 0, "pp__reasm_stats failed");
	FUZZ_CHECK(in_use() == rz.baseline + rs.frags,
		   "pool: %llu frames in use, table holds %llu fragments (baseline %llu)",
		   (unsigned long long)in_use(), (unsigned long long)rs.frags,
		   (unsigned long long)rz.baseline);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t max_sel[4] = {4096, 8192, 32768, 0};
	static const uint64_t tmo_sel[4] = {1 * PP_NSEC_PER_SEC, 5 * PP_NSEC_PER_SEC,
					    30 * PP_NSEC_PER_SEC, 0};
	struct fuzz_in in = {data, size};
	uint8_t cfg = fuzz_u8(&in);
	uint32_t max_bytes = max_sel[cfg & 3];
	uint64_t timeout = tmo_sel[(cfg >> 2) & 3];
	uint64_t drops0, fed = 0, returned = 0;
	struct pp_reasm *r = NULL;
	struct pp_reasm_stats rs;
	unsigned int nfrags = 0;

	LLVMFuzzerInitialize(NULL, NULL);
	FUZZ_CHECK(pp__reasm_create(max_bytes, timeout, &r) == 0, "pp__reasm_create failed");
	if (!max_bytes)
		max_bytes = PP_REASM_HIGH_THRESH;
	if (!timeout)
		timeout = PP_REASM_TIMEOUT_NS;
	drops0 = drops_total();
	while (fuzz_more(&in) && nfrags < MAX_FRAGS) {
		uint8_t op = fuzz_u8(&in);

		if (op >= 0xf0) {
			pp__clock_advance(fuzz_clock_step(op));
			if (op & 1)
				pp__reasm_tick(r, &rz.s, pp__now_ns());
		} else {
			uint16_t fo = fuzz_u16(&in);
			uint32_t len = fuzz_u16(&in);
			static const uint8_t protos[4] = {17, 1, 6, 17};
			uint32_t ihl = (op >= 0xc0 && (op & 0x40)) ? 24 : PP_IPV4_HLEN;
			struct pp_skb *skb = mk_frag(op & 7, (op >> 3) & 1, protos[(op >> 4) & 3],
						     ihl, fo, len);
			struct pp_skb *whole;

			nfrags++;
			if (!skb)
				continue;
			fed++;
			whole = pp__reasm_add(r, &rz.s, skb, pp__now_ns());
			if (whole)
				returned += check_datagram(whole, skb);
		}
		check_table(r, max_bytes);
	}
	if (cfg & 0x10) {
		FUZZ_CHECK(pp__reasm_stats(r, &rs) == 0, "pp__reasm_stats failed");
		pp__reasm_destroy(r, &rz.s);
	} else {
		pp__clock_advance(timeout + 1);
		pp__reasm_tick(r, &rz.s, pp__now_ns());
		FUZZ_CHECK(pp__reasm_stats(r, &rs) == 0, "pp__reasm_stats failed");
		FUZZ_CHECK(rs.queues == 0 && rs.frags == 0 && rs.bytes == 0,
			   "after the timeout: %u queues, %llu fragments, %llu bytes", rs.queues,
			   (unsigned long long)rs.frags, (unsigned long long)rs.bytes);
		pp__reasm_destroy(r, &rz.s);
	}
	FUZZ_CHECK(in_use() == rz.baseline, "pool: %llu frames in use after the input, %llu before",
		   (unsigned long long)in_use(), (unsigned long long)rz.baseline);
	if (fuzz_verbose())
		fprintf(stderr, "  %llu fragments fed, %llu came back in datagrams, %llu dropped\n",
			(unsigned long long)fed, (unsigned long long)returned,
			(unsigned long long)(drops_total() - drops0));
	FUZZ_CHECK(returned + drops_total() - drops0 == fed,
		   "%llu fragments fed, %llu returned in datagrams, %llu dropped",
		   (unsigned long long)fed, (unsigned long long)returned,
		   (unsigned long long)(drops_total() - drops0));
	return 0;
}
