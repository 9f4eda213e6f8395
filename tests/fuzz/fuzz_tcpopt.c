// SPDX-License-Identifier: MIT
/*
 * fuzz_tcpopt.c - TCP option parsing (proto/tcp_opt.c, cf.
 * tcp_parse_options()) on hostile bytes, and the builders against it.
 *
 * Input: u8 flags (bit 0: the segment is a SYN), then the option bytes,
 * parsed from an exact-size copy (ASan sees any read past them); more than
 * 40 must be refused untouched. Checked: the result is 0 or -EINVAL; at
 * most 4 SACK blocks; the window shift clamped to 14; SYN-only options
 * only on a SYN; parsing is a function of the bytes (a second parse agrees).
 * Then what was parsed is written again (the SYN builder on a SYN, the
 * established builder on both) and parsed back: the same values, in at
 * most 40 bytes, a multiple of 4.
 * No stack is built: these are pure functions.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tcp_opt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz check failed at %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Build @tx's options with @build and parse them back as @syn. */
static void roundtrip(int (*build)(uint8_t *, const struct pp_tcp_opts_tx *),
		      const struct pp_tcp_opts_tx *tx, bool syn, struct pp_tcp_opts_rx *back)
{
	uint8_t buf[PP_TCP_MAX_OPTLEN + 4];
	int len;

	memset(buf, 0xee, sizeof(buf));
	len = build(buf, tx);
	CHECK(len >= 0 && len <= PP_TCP_MAX_OPTLEN && len % 4 == 0);
	CHECK(buf[len] == 0xee);
	CHECK(pp__tcp_parse_options(buf, (uint32_t)len, syn, back) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_tcp_opts_rx rx, rx2, back;
	struct pp_tcp_opts_tx tx;
	uint32_t len;
	bool syn;
	int ret;

	if (size < 1)
		return 0;
	syn = data[0] & 1;
	len = size - 1 > 255 ? 255 : (uint32_t)(size - 1);
	ret = pp__tcp_parse_options(data + 1, len, syn, &rx);
	CHECK(ret == 0 || ret == -EINVAL);
	if (len > PP_TCP_MAX_OPTLEN) {
		CHECK(ret == -EINVAL);
		return 0;
	}
	CHECK(rx.num_sacks <= PP_TCP_NUM_SACKS);
	CHECK(rx.wscale <= PP_TCP_MAX_WSCALE);
	CHECK(rx.wscale_ok || rx.wscale == 0);
	CHECK(syn || (!rx.mss && !rx.wscale_ok && !rx.sack_ok));
	CHECK(rx.saw_tstamp || (!rx.tsval && !rx.tsecr));
	CHECK(pp__tcp_parse_options(data + 1, len, syn, &rx2) == ret);
	CHECK(!memcmp(&rx, &rx2, sizeof(rx)));

	memset(&tx, 0, sizeof(tx));
	tx.mss = rx.mss;
	tx.wscale = rx.wscale;
	tx.wscale_ok = rx.wscale_ok;
	tx.sack_ok = rx.sack_ok;
	tx.ts = rx.saw_tstamp;
	tx.tsval = rx.tsval;
	tx.tsecr = rx.tsecr;
	tx.num_sacks = rx.num_sacks;
	memcpy(tx.sack, rx.sack, sizeof(tx.sack));
	if (syn) {
		roundtrip(pp__tcp_syn_options, &tx, true, &back);
		CHECK(back.mss == rx.mss && back.wscale == rx.wscale &&
		      back.wscale_ok == rx.wscale_ok && back.sack_ok == rx.sack_ok);
		CHECK(back.saw_tstamp == rx.saw_tstamp && back.tsval == rx.tsval &&
		      back.tsecr == rx.tsecr && back.num_sacks == 0);
	}
	roundtrip(pp__tcp_established_options, &tx, false, &back);
	CHECK(back.saw_tstamp == rx.saw_tstamp && back.tsval == rx.tsval &&
	      back.tsecr == rx.tsecr);
	CHECK(back.num_sacks == (rx.num_sacks < pp__tcp_sack_room(tx.ts) ?
				 rx.num_sacks : pp__tcp_sack_room(tx.ts)));
	CHECK(!memcmp(back.sack, rx.sack, back.num_sacks * sizeof(rx.sack[0])));
	CHECK(!back.mss && !back.wscale_ok && !back.sack_ok);
	return 0;
}
