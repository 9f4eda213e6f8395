// SPDX-License-Identifier: MIT
/*
 * test_tcp_wire.c - TCP's wire pieces: the header layout
 * (pktpipe/prot/tcp.h), option parsing and building (proto/tcp_opt.c, cf.
 * tcp_parse_options(), tcp_options_write()), sequence arithmetic
 * (proto/tcp_seq.h, cf. before()/after()/between()), SipHash
 * (proto/siphash.h, against the reference vectors) and ISNs
 * (proto/tcp_isn.c, cf. secure_tcp_seq()).
 *
 * Hostile option lists first (truncated, silly lengths, lengths past the
 * end, EOL early, duplicates, SYN-only options elsewhere, bad SACK lengths,
 * then seeded random bytes), then the builders byte for byte against what
 * Linux 6.x sends, then round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "pp_test.h"

#include <pktpipe/prot/tcp.h>

#include "core/time.h"
#include "proto/siphash.h"
#include "proto/tcp_isn.h"
#include "proto/tcp_opt.h"
#include "proto/tcp_seq.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const uint8_t *b, size_t n, bool syn, struct pp_tcp_opts_rx *rx)
{
	return pp__tcp_parse_options(b, (uint32_t)n, syn, rx);
}

/* ---- header ------------------------------------------------------------ */

static void test_header_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct pp_tcp_hdr), 20);
	assert_int_equal(offsetof(struct pp_tcp_hdr, seq), 4);
	assert_int_equal(offsetof(struct pp_tcp_hdr, ack_seq), 8);
	assert_int_equal(offsetof(struct pp_tcp_hdr, doff_res), 12);
	assert_int_equal(offsetof(struct pp_tcp_hdr, flags), 13);
	assert_int_equal(offsetof(struct pp_tcp_hdr, window), 14);
	assert_int_equal(offsetof(struct pp_tcp_hdr, check), 16);
	assert_int_equal(offsetof(struct pp_tcp_hdr, urg_ptr), 18);
	assert_int_equal(PP_TCP_MAX_OPTLEN, 40);

	/* a SYN-ACK as a capture shows it: doff 8 (32 bytes), flags 0x12 */
	const uint8_t wire[20] = {0x1f, 0x90, 0xc0, 0x00, 0, 0, 0, 1, 0, 0, 0, 2,
				  0x80, 0x12, 0xfa, 0xf0, 0, 0, 0, 0};
	struct pp_tcp_hdr h;

	memcpy(&h, wire, sizeof(h));
	assert_int_equal(ntohs(h.source), 8080);
	assert_int_equal(ntohs(h.dest), 0xc000);
	assert_int_equal(ntohl(h.seq), 1);
	assert_int_equal(ntohl(h.ack_seq), 2);
	assert_int_equal((h.doff_res >> PP_TCP_DOFF_SHIFT) * 4, 32);
	assert_int_equal(h.flags, PP_TCP_SYN | PP_TCP_ACK);
	assert_int_equal(ntohs(h.window), 64240);
	assert_int_equal(PP_TCP_FIN | PP_TCP_SYN | PP_TCP_RST | PP_TCP_PSH | PP_TCP_ACK |
			 PP_TCP_URG | PP_TCP_ECE | PP_TCP_CWR, 0xff);
}

/* ---- parser: negative cases -------------------------------------------- */

static void test_parse_bad_args(void **state)
{
	struct pp_tcp_opts_rx rx;
	uint8_t big[PP_TCP_MAX_OPTLEN + 1];

	(void)state;
	memset(big, PP_TCPOPT_NOP, sizeof(big));
	assert_int_equal(pp__tcp_parse_options(big, 4, true, NULL), -EINVAL);
	assert_int_equal(pp__tcp_parse_options(NULL, 4, true, &rx), -EINVAL);
	assert_int_equal(pp__tcp_parse_options(NULL, 0, true, &rx), 0);
	/* no TCP header carries more than 40 option bytes */
	assert_int_equal(parse(big, sizeof(big), true, &rx), -EINVAL);
	assert_int_equal(parse(big, PP_TCP_MAX_OPTLEN, true, &rx), 0);
}

static void test_parse_truncated(void **state)
{
	/* MSS cut after its value's first byte: partial options are not parsed */
	const uint8_t mss_cut[] = {PP_TCPOPT_MSS, 4, 0x05};
	/* a kind at the end without its length byte */
	const uint8_t kind_only[] = {PP_TCPOPT_NOP, PP_TCPOPT_NOP, PP_TCPOPT_MSS};
	/* timestamp cut: length 10 but 8 bytes left; the MSS before it stays */
	const uint8_t ts_cut[] = {PP_TCPOPT_MSS, 4, 0x05, 0xb4, PP_TCPOPT_TIMESTAMP, 10, 1, 2, 3, 4, 5, 6};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(mss_cut, sizeof(mss_cut), true, &rx), -EINVAL);
	assert_int_equal(rx.mss, 0);
	assert_int_equal(parse(kind_only, sizeof(kind_only), true, &rx), -EINVAL);
	assert_int_equal(parse(ts_cut, sizeof(ts_cut), true, &rx), -EINVAL);
	assert_int_equal(rx.mss, 1460);
	assert_false(rx.saw_tstamp);
	/* every prefix of a full SYN option list is handled */
	const uint8_t syn[] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
	for (size_t n = 0; n <= sizeof(syn); n++) {
		int ret = parse(syn, n, true, &rx);

		assert_true(ret == 0 || ret == -EINVAL);
		assert_int_equal(rx.mss, n >= 4 ? 1460 : 0);
		assert_int_equal(rx.sack_ok, n >= 6);
		assert_int_equal(rx.saw_tstamp, n >= 16);
		assert_int_equal(rx.wscale_ok, n >= 20);
	}
}

static void test_parse_silly_sizes(void **state)
{
	/* opsize 0 and 1 would loop or step back: the kernel stops ("silly options") */
	const uint8_t size0[] = {PP_TCPOPT_TIMESTAMP, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	const uint8_t size1[] = {30, 1, PP_TCPOPT_MSS, 4, 0x05, 0xb4};
	/* what came before the bad option is kept */
	const uint8_t after_ts[] = {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 2, 0, 5, 0xb4};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(size0, sizeof(size0), true, &rx), -EINVAL);
	assert_false(rx.saw_tstamp);
	assert_int_equal(parse(size1, sizeof(size1), true, &rx), -EINVAL);
	assert_int_equal(rx.mss, 0); /* the MSS after the bad option is not reached */
	assert_int_equal(parse(after_ts, sizeof(after_ts), true, &rx), -EINVAL);
	assert_true(rx.saw_tstamp);
	assert_int_equal(rx.tsval, 7);
	assert_int_equal(rx.tsecr, 9);
	assert_int_equal(rx.mss, 0);
}

static void test_parse_size_past_end(void **state)
{
	/* a SACK claiming 34 bytes in 20 */
	const uint8_t sack[] = {1, 1, PP_TCPOPT_SACK, 34, 0, 0, 0, 1, 0, 0, 0, 2,
				0, 0, 0, 3, 0, 0, 0, 4};
	/* an unknown kind whose length runs one byte past the end */
	const uint8_t unk[] = {PP_TCPOPT_MSS, 4, 0x05, 0xb4, 99, 5, 0, 0};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(sack, sizeof(sack), false, &rx), -EINVAL);
	assert_int_equal(rx.num_sacks, 0);
	assert_int_equal(parse(unk, sizeof(unk), true, &rx), -EINVAL);
	assert_int_equal(rx.mss, 1460);
	/* exactly to the end is fine */
	assert_int_equal(parse(unk, 4 + 5 - 1, true, &rx), -EINVAL);
	const uint8_t unk_exact[] = {PP_TCPOPT_MSS, 4, 0x05, 0xb4, 99, 4, 0, 0};
	assert_int_equal(parse(unk_exact, sizeof(unk_exact), true, &rx), 0);
	assert_int_equal(rx.mss, 1460);
}

static void test_parse_eol_nop(void **state)
{
	/* EOL ends the list: nothing after it counts, even well formed */
	const uint8_t eol_first[] = {PP_TCPOPT_EOL, PP_TCPOPT_MSS, 4, 0x05, 0xb4};
	const uint8_t eol_mid[] = {PP_TCPOPT_MSS, 4, 0x05, 0xb4, PP_TCPOPT_EOL, 1, 3, 3, 7};
	/* garbage after EOL is padding, not an error */
	const uint8_t eol_junk[] = {PP_TCPOPT_EOL, 8, 0, 0xff};
	uint8_t nops[PP_TCP_MAX_OPTLEN];
	struct pp_tcp_opts_rx rx, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(parse(eol_first, sizeof(eol_first), true, &rx), 0);
	assert_int_equal(rx.mss, 0);
	assert_int_equal(parse(eol_mid, sizeof(eol_mid), true, &rx), 0);
	assert_int_equal(rx.mss, 1460);
	assert_false(rx.wscale_ok);
	assert_int_equal(parse(eol_junk, sizeof(eol_junk), true, &rx), 0);
	assert_memory_equal(&rx, &zero, sizeof(rx));
	memset(nops, PP_TCPOPT_NOP, sizeof(nops));
	assert_int_equal(parse(nops, sizeof(nops), true, &rx), 0);
	assert_memory_equal(&rx, &zero, sizeof(rx));
	/* NOPs between options, and a NOP as the last byte */
	const uint8_t mixed[] = {1, 2, 4, 5, 0xb4, 1, 1, 1, 4, 2, 1};
	assert_int_equal(parse(mixed, sizeof(mixed), true, &rx), 0);
	assert_int_equal(rx.mss, 0x5b4);
	assert_true(rx.sack_ok);
}

static void test_parse_duplicates(void **state)
{
	/* the later copy wins, as each copy overwrites in tcp_parse_options() */
	const uint8_t two_mss[] = {2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18};
	const uint8_t two_ts[] = {8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4};
	const uint8_t two_ws[] = {3, 3, 2, 3, 3, 9};
	/* a zero MSS does not override (the kernel ignores in_mss == 0) */
	const uint8_t mss_then_zero[] = {2, 4, 0x05, 0xb4, 2, 4, 0, 0};
	/* a later malformed SACK leaves the earlier one */
	const uint8_t two_sack[] = {5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 9, 0, 0, 0, 3, 0, 0, 0};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(two_mss, sizeof(two_mss), true, &rx), 0);
	assert_int_equal(rx.mss, 536);
	assert_int_equal(parse(two_ts, sizeof(two_ts), false, &rx), 0);
	assert_int_equal(rx.tsval, 3);
	assert_int_equal(rx.tsecr, 4);
	assert_int_equal(parse(two_ws, sizeof(two_ws), true, &rx), 0);
	assert_int_equal(rx.wscale, 9);
	assert_int_equal(parse(mss_then_zero, sizeof(mss_then_zero), true, &rx), 0);
	assert_int_equal(rx.mss, 1460);
	assert_int_equal(parse(two_sack, sizeof(two_sack), false, &rx), 0);
	assert_int_equal(rx.num_sacks, 1);
	assert_int_equal(rx.sack[0].start_seq, 1);
	assert_int_equal(rx.sack[0].end_seq, 2);
}

static void test_parse_syn_only(void **state)
{
	/* MSS, WINDOW and SACK_PERM only on a SYN; TIMESTAMP and SACK anywhere */
	const uint8_t o[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 3, 3, 7,
			     1, 1, 5, 10, 0, 0, 0, 10, 0, 0, 0, 20};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(o, sizeof(o), false, &rx), 0);
	assert_int_equal(rx.mss, 0);
	assert_false(rx.wscale_ok);
	assert_int_equal(rx.wscale, 0);
	assert_false(rx.sack_ok);
	assert_true(rx.saw_tstamp);
	assert_int_equal(rx.tsval, 5);
	assert_int_equal(rx.tsecr, 6);
	assert_int_equal(rx.num_sacks, 1);
	assert_int_equal(rx.sack[0].start_seq, 10);
	assert_int_equal(rx.sack[0].end_seq, 20);
	assert_int_equal(parse(o, sizeof(o), true, &rx), 0);
	assert_int_equal(rx.mss, 1460);
	assert_true(rx.wscale_ok);
	assert_int_equal(rx.wscale, 7);
	assert_true(rx.sack_ok);
}

static void test_parse_wrong_size_for_kind(void **state)
{
	/* well-formed lengths that do not fit the kind: skipped, parsing goes on */
	const uint8_t o[] = {2, 3, 5, 4, 4, 0, 0, 8, 8, 0, 0, 0, 1, 0, 0, 4, 3, 0,
			     3, 4, 9, 9, 3, 3, 7};
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(parse(o, sizeof(o), true, &rx), 0);
	assert_int_equal(rx.mss, 0);		/* MSS of length 3 */
	assert_false(rx.saw_tstamp);		/* TIMESTAMP of length 8 */
	assert_false(rx.sack_ok);		/* SACK_PERM of length 3 and 4 */
	assert_true(rx.wscale_ok);		/* a WINDOW of length 4, then a good one */
	assert_int_equal(rx.wscale, 7);
}

static void test_parse_wscale_clamp(void **state)
{
	const uint8_t vals[] = {0, 13, 14, 15, 16, 200, 255};
	struct pp_tcp_opts_rx rx;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		const uint8_t o[] = {1, 3, 3, vals[i]};

		assert_int_equal(parse(o, sizeof(o), true, &rx), 0);
		assert_true(rx.wscale_ok);
		assert_int_equal(rx.wscale, vals[i] > 14 ? 14 : vals[i]);
	}
}

static void test_parse_sack_lengths(void **state)
{
	uint8_t o[PP_TCP_MAX_OPTLEN];
	struct pp_tcp_opts_rx rx;

	(void)state;
	/* every length from 2 to 38 with the room for it: only 2 + 8n, n >= 1 */
	for (unsigned int size = 2; size <= PP_TCP_MAX_OPTLEN; size++) {
		memset(o, 0, sizeof(o));
		o[0] = PP_TCPOPT_SACK;
		o[1] = (uint8_t)size;
		for (unsigned int i = 2; i < size; i++)
			o[i] = (uint8_t)i;
		assert_int_equal(parse(o, size, false, &rx), 0);
		if (size >= 10 && (size - 2) % 8 == 0) {
			unsigned int n = (size - 2) / 8;

			assert_int_equal(rx.num_sacks, n);
			for (unsigned int b = 0; b < n; b++) {
				const uint8_t *p = o + 2 + 8 * b;

				assert_int_equal(rx.sack[b].start_seq,
						 (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
				assert_int_equal(rx.sack[b].end_seq,
						 (uint32_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7]);
			}
		} else {
			assert_int_equal(rx.num_sacks, 0);
		}
	}
}

static uint64_t rng;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * Random option lists (seeded): no crash, no read past len (ASan builds see
 * the exact-size copy; every build sees that the bytes after len change
 * nothing), never more than 4 SACK blocks, a clamped wscale.
 */
static void test_parse_random(void **state)
{
	/* bytes biased toward the kinds and lengths that matter */
	static const uint8_t pick[] = {0, 1, 1, 2, 3, 4, 5, 8, 2, 4, 10, 3, 34, 26, 18, 255};
	struct pp_tcp_opts_rx rx, rx2;
	uint8_t a[64], b[64];

	(void)state;
	rng = 0x9e3779b97f4a7c15ull;
	for (unsigned int it = 0; it < 200000; it++) {
		uint32_t len = (uint32_t)(xorshift() % (PP_TCP_MAX_OPTLEN + 1));
		bool syn = xorshift() & 1;
		uint8_t *exact;
		int ret;

		for (unsigned int i = 0; i < sizeof(a); i++) {
			uint64_t r = xorshift();

			a[i] = (r & 1) ? pick[(r >> 1) & 15] : (uint8_t)(r >> 8);
		}
		memcpy(b, a, sizeof(b));
		for (unsigned int i = len; i < sizeof(b); i++)
			b[i] = (uint8_t)~a[i];
		exact = malloc(len ? len : 1);
		assert_non_null(exact);
		memcpy(exact, a, len);
		ret = parse(exact, len, syn, &rx);
		free(exact);
		assert_true(ret == 0 || ret == -EINVAL);
		assert_true(rx.num_sacks <= PP_TCP_NUM_SACKS);
		assert_true(rx.wscale <= PP_TCP_MAX_WSCALE);
		if (!syn)
			assert_true(!rx.mss && !rx.wscale_ok && !rx.sack_ok);
		assert_int_equal(parse(a, len, syn, &rx2), ret);
		assert_memory_equal(&rx, &rx2, sizeof(rx));
		assert_int_equal(parse(b, len, syn, &rx2), ret);
		assert_memory_equal(&rx, &rx2, sizeof(rx));
	}
}

/* ---- builders ----------------------------------------------------------- */

static void test_build_bad_args(void **state)
{
	struct pp_tcp_opts_tx o = {.mss = 1460, .wscale_ok = true, .wscale = 15};
	uint8_t buf[PP_TCP_MAX_OPTLEN];

	(void)state;
	assert_int_equal(pp__tcp_syn_options(buf, &o), -EINVAL);
	o.wscale = 14;
	assert_int_equal(pp__tcp_syn_options(buf, &o), 8);
	assert_int_equal(pp__tcp_syn_options(NULL, &o), -EINVAL);
	assert_int_equal(pp__tcp_syn_options(buf, NULL), -EINVAL);
	assert_int_equal(pp__tcp_established_options(NULL, &o), -EINVAL);
	assert_int_equal(pp__tcp_established_options(buf, NULL), -EINVAL);
	/* a wscale not offered is not checked */
	o.wscale_ok = false;
	o.wscale = 200;
	assert_int_equal(pp__tcp_syn_options(buf, &o), 4);
}

/*
 * The SYN of Linux 6.x with default sysctls (tcp_sack, tcp_timestamps,
 * tcp_window_scaling = 1) on a 1500-byte link, as tcpdump shows it:
 * "mss 1460,sackOK,TS val ... ecr 0,nop,wscale 7", 20 bytes. The other
 * layouts are tcp_options_write()'s with one option turned off.
 */
static void test_build_syn_linux(void **state)
{
	static const struct {
		bool sack, ts, ws;
		uint8_t len;
		uint8_t bytes[20];
	} cases[] = {
		{true, true, true, 20, {2, 4, 5, 0xb4, 4, 2, 8, 10, 0xde, 0xad, 0xbe, 0xef,
					0, 0, 0, 0, 1, 3, 3, 7}},
		{false, true, true, 20, {2, 4, 5, 0xb4, 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef,
					 0, 0, 0, 0, 1, 3, 3, 7}},
		{true, false, true, 12, {2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}},
		{true, true, false, 16, {2, 4, 5, 0xb4, 4, 2, 8, 10, 0xde, 0xad, 0xbe, 0xef,
					 0, 0, 0, 0}},
		{false, false, true, 8, {2, 4, 5, 0xb4, 1, 3, 3, 7}},
		{true, false, false, 8, {2, 4, 5, 0xb4, 1, 1, 4, 2}},
		{false, false, false, 4, {2, 4, 5, 0xb4}},
	};
	uint8_t buf[PP_TCP_MAX_OPTLEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct pp_tcp_opts_tx o = {
			.mss = 1460, .sack_ok = cases[i].sack, .ts = cases[i].ts,
			.wscale_ok = cases[i].ws, .wscale = 7, .tsval = 0xdeadbeef, .tsecr = 0,
			.num_sacks = 2, /* ignored on a SYN */
		};

		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(pp__tcp_syn_options(buf, &o), cases[i].len);
		assert_memory_equal(buf, cases[i].bytes, cases[i].len);
		assert_int_equal(buf[cases[i].len], 0xaa); /* nothing written past it */
	}
	/* a SYN-ACK's echo: tsecr = the peer's tsval */
	struct pp_tcp_opts_tx sa = {.mss = 8960, .sack_ok = true, .ts = true, .tsval = 1,
				    .tsecr = 0x01020304, .wscale_ok = true, .wscale = 9};
	static const uint8_t synack[] = {2, 4, 0x23, 0x00, 4, 2, 8, 10, 0, 0, 0, 1,
					 1, 2, 3, 4, 1, 3, 3, 9};
	assert_int_equal(pp__tcp_syn_options(buf, &sa), 20);
	assert_memory_equal(buf, synack, sizeof(synack));
}

static void test_build_established(void **state)
{
	struct pp_tcp_opts_tx o = {.ts = true, .tsval = 0x11223344, .tsecr = 0x55667788,
				   .mss = 1460, .wscale_ok = true, .sack_ok = true};
	static const uint8_t ts_only[] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44,
					  0x55, 0x66, 0x77, 0x88};
	uint8_t buf[PP_TCP_MAX_OPTLEN];
	struct pp_tcp_opts_rx rx;

	(void)state;
	assert_int_equal(pp__tcp_sack_room(true), 3);
	assert_int_equal(pp__tcp_sack_room(false), 4);
	memset(buf, 0, sizeof(buf));
	/* MSS, WINDOW and SACK_PERM are SYN-only: not written */
	assert_int_equal(pp__tcp_established_options(buf, &o), 12);
	assert_memory_equal(buf, ts_only, sizeof(ts_only));
	o.ts = false;
	assert_int_equal(pp__tcp_established_options(buf, &o), 0);

	for (unsigned int n = 0; n <= PP_TCP_NUM_SACKS; n++) {
		for (int ts = 0; ts <= 1; ts++) {
			unsigned int fit = n < pp__tcp_sack_room(ts) ? n : pp__tcp_sack_room(ts);
			int len;

			o.ts = ts;
			o.num_sacks = (uint8_t)n;
			for (unsigned int b = 0; b < PP_TCP_NUM_SACKS; b++) {
				o.sack[b].start_seq = 0xfffff000u + 1000 * b;
				o.sack[b].end_seq = o.sack[b].start_seq + 500;
			}
			len = pp__tcp_established_options(buf, &o);
			assert_int_equal(len, (ts ? 12 : 0) + (fit ? 4 + 8 * fit : 0));
			assert_int_equal(len % 4, 0);
			assert_true(len <= PP_TCP_MAX_OPTLEN);
			if (fit) {
				const uint8_t *s = buf + (ts ? 12 : 0);

				assert_int_equal(s[0], PP_TCPOPT_NOP);
				assert_int_equal(s[1], PP_TCPOPT_NOP);
				assert_int_equal(s[2], PP_TCPOPT_SACK);
				assert_int_equal(s[3], 2 + 8 * fit);
			}
			/* and back */
			assert_int_equal(parse(buf, (size_t)len, false, &rx), 0);
			assert_int_equal(rx.saw_tstamp, ts);
			if (ts) {
				assert_int_equal(rx.tsval, 0x11223344);
				assert_int_equal(rx.tsecr, 0x55667788);
			}
			assert_int_equal(rx.num_sacks, fit);
			assert_memory_equal(rx.sack, o.sack, fit * sizeof(o.sack[0]));
		}
	}
}

/* Every SYN combination parsed back gives what was built. */
static void test_build_syn_roundtrip(void **state)
{
	static const uint16_t mss[] = {0, 1, 536, 1460, 8960, 65535};
	uint8_t buf[PP_TCP_MAX_OPTLEN];
	struct pp_tcp_opts_rx rx;

	(void)state;
	for (size_t m = 0; m < ARRAY_LEN(mss); m++) {
		for (unsigned int bits = 0; bits < 8; bits++) {
			for (uint8_t ws = 0; ws <= PP_TCP_MAX_WSCALE; ws += 7) {
				struct pp_tcp_opts_tx o = {
					.mss = mss[m], .sack_ok = bits & 1, .ts = bits & 2,
					.wscale_ok = bits & 4, .wscale = ws,
					.tsval = 0x80000001u * (bits + 1), .tsecr = 0xfffffffeu - bits,
				};
				int len = pp__tcp_syn_options(buf, &o);

				assert_true(len >= 0 && len <= 20 && len % 4 == 0);
				assert_int_equal(parse(buf, (size_t)len, true, &rx), 0);
				assert_int_equal(rx.mss, o.mss);
				assert_int_equal(rx.sack_ok, o.sack_ok);
				assert_int_equal(rx.wscale_ok, o.wscale_ok);
				if (o.wscale_ok)
					assert_int_equal(rx.wscale, ws);
				assert_int_equal(rx.saw_tstamp, o.ts);
				if (o.ts) {
					assert_int_equal(rx.tsval, o.tsval);
					assert_int_equal(rx.tsecr, o.tsecr);
				}
				assert_int_equal(rx.num_sacks, 0);
			}
		}
	}
}

/* ---- sequence arithmetic ----------------------------------------------- */

static void test_seq_wrap(void **state)
{
	(void)state;
	assert_false(pp__tcp_before(5, 5));
	assert_false(pp__tcp_after(5, 5));
	assert_true(pp__tcp_before(1, 2));
	assert_true(pp__tcp_after(2, 1));
	/* across the wrap */
	assert_true(pp__tcp_before(0xffffffffu, 0));
	assert_true(pp__tcp_after(0, 0xffffffffu));
	assert_true(pp__tcp_before(0xfffffff0u, 0x10));
	assert_false(pp__tcp_after(0xfffffff0u, 0x10));
	assert_true(pp__tcp_after(0x7fffffffu, 0));
	assert_true(pp__tcp_before(0, 0x7fffffffu));
	/* 2^31 - 1 apart is the limit; 2^31 apart both say before (as the kernel) */
	assert_true(pp__tcp_before(0x80000001u, 0));
	assert_true(pp__tcp_before(0, 0x80000000u));
	assert_true(pp__tcp_before(0x80000000u, 0));

	/* between: lo <= seq <= hi modulo 2^32, ends included */
	assert_true(pp__tcp_between(0, 0xfffffff0u, 0x10));
	assert_true(pp__tcp_between(0xfffffff0u, 0xfffffff0u, 0x10));
	assert_true(pp__tcp_between(0x10, 0xfffffff0u, 0x10));
	assert_true(pp__tcp_between(0xffffffffu, 0xfffffff0u, 0x10));
	assert_false(pp__tcp_between(0x11, 0xfffffff0u, 0x10));
	assert_false(pp__tcp_between(0xffffffefu, 0xfffffff0u, 0x10));
	assert_true(pp__tcp_between(7, 7, 7));
	assert_false(pp__tcp_between(8, 7, 7));
	assert_true(pp__tcp_between(100, 0, 0xffffffffu));
	for (uint32_t base = 0xffffff00u; base != 0x100; base += 0x40) {
		assert_true(pp__tcp_before(base, base + 1));
		assert_true(pp__tcp_after(base + 0x7fffffffu, base));
		assert_true(pp__tcp_between(base + 3, base, base + 3));
		assert_false(pp__tcp_between(base + 4, base, base + 3));
		assert_false(pp__tcp_between(base - 1, base, base + 3));
	}
}

/* ---- SipHash, ISNs ------------------------------------------------------ */

/* The reference vectors (key 00..0f, message 00 01 02 ...) for 8 and 12 bytes. */
static void test_siphash_vectors(void **state)
{
	const uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

	(void)state;
	assert_int_equal(pp__siphash_1u64(0x0706050403020100ull, key), 0x93f5f5799a932462ull);
	assert_int_equal(pp__siphash_2u32(0x03020100u, 0x07060504u, key), 0x93f5f5799a932462ull);
	assert_int_equal(pp__siphash_3u32(0x03020100u, 0x07060504u, 0x0b0a0908u, key),
			 0x751e8fbc860ee5fbull);
}

#define NS_BASE (1000 * PP_NSEC_PER_SEC)

static int isn_setup(void **state)
{
	(void)state;
	pp__clock_set_fake(NS_BASE);
	return 0;
}

static int isn_teardown(void **state)
{
	(void)state;
	pp__clock_set_fake(0);
	return 0;
}

static void test_isn(void **state)
{
	const uint32_t a = htonl(0x0a000001), b = htonl(0x0a000002);
	const uint16_t pa = htons(40000), pb = htons(80);
	struct pp__tcp_secret s, s2, zero;
	uint32_t i1, i2, t1;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(pp__tcp_secret_init(&s), 0);
	assert_int_equal(pp__tcp_secret_init(&s2), 0);
	assert_memory_not_equal(&s, &zero, sizeof(s));
	assert_memory_not_equal(&s, &s2, sizeof(s));

	/* one tuple, one instant: one ISN */
	i1 = pp__tcp_secure_seq(&s, a, b, pa, pb);
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb), i1);
	/* any change of the tuple (or the direction) changes it */
	assert_int_not_equal(pp__tcp_secure_seq(&s, a, b, htons(40001), pb), i1);
	assert_int_not_equal(pp__tcp_secure_seq(&s, a, b, pa, htons(81)), i1);
	assert_int_not_equal(pp__tcp_secure_seq(&s, b, a, pb, pa), i1);
	assert_int_not_equal(pp__tcp_secure_seq(&s, a, htonl(0x0a000003), pa, pb), i1);
	/* sport and dport are not interchangeable */
	assert_int_not_equal(pp__tcp_secure_seq(&s, a, b, pb, pa), i1);
	/* another stack's secret, another ISN */
	assert_int_not_equal(pp__tcp_secure_seq(&s2, a, b, pa, pb), i1);

	/* the clock: one per 64 ns, wrapping modulo 2^32 */
	pp__clock_advance(64 * 1000);
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb) - i1, 1000);
	pp__clock_advance(63);
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb) - i1, 1000);
	pp__clock_advance(1);
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb) - i1, 1001);
	i2 = pp__tcp_secure_seq(&s, a, b, pa, pb);
	pp__clock_advance(PP_NSEC_PER_SEC);
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb) - i2, PP_NSEC_PER_SEC >> 6);
	assert_true(pp__tcp_after(pp__tcp_secure_seq(&s, a, b, pa, pb), i2));
	/* the hash part is the kernel's: siphash_3u32(saddr, daddr, sport << 16 | dport) */
	assert_int_equal(pp__tcp_secure_seq(&s, a, b, pa, pb) -
				 (uint32_t)(pp__now_ns() >> PP_TCP_ISN_CLOCK_SHIFT),
			 (uint32_t)pp__siphash_3u32(a, b, (uint32_t)pa << 16 | pb, s.seq_key));

	/* timestamp offsets: per address pair, not per port, not moved by the clock */
	t1 = pp__tcp_secure_ts_off(&s, a, b);
	pp__clock_advance(PP_NSEC_PER_SEC);
	assert_int_equal(pp__tcp_secure_ts_off(&s, a, b), t1);
	assert_int_not_equal(pp__tcp_secure_ts_off(&s, b, a), t1);
	assert_int_not_equal(pp__tcp_secure_ts_off(&s2, a, b), t1);
	assert_int_equal(t1, (uint32_t)pp__siphash_2u32(a, b, s.ts_key));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_parse_bad_args),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_silly_sizes),
		cmocka_unit_test(test_parse_size_past_end),
		cmocka_unit_test(test_parse_eol_nop),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_syn_only),
		cmocka_unit_test(test_parse_wrong_size_for_kind),
		cmocka_unit_test(test_parse_wscale_clamp),
		cmocka_unit_test(test_parse_sack_lengths),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_build_bad_args),
		cmocka_unit_test(test_build_syn_linux),
		cmocka_unit_test(test_build_established),
		cmocka_unit_test(test_build_syn_roundtrip),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test_setup_teardown(test_isn, isn_setup, isn_teardown),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
