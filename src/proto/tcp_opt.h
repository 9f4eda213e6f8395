/* SPDX-License-Identifier: MIT */
/*
 * tcp_opt.h (internal) - TCP options: what a received segment carries
 * (cf. tcp_parse_options()) and the option blocks we send on a SYN
 * (cf. tcp_syn_options() + tcp_options_write()) and on every other segment
 * (cf. tcp_established_options() + tcp_options_write()).
 *
 * These are stateless pieces: the parser reports what the bytes say and
 * leaves to its caller what depends on the connection (the kernel's
 * `estab`, tstamp_ok and sack_ok tests: use the timestamp only when
 * timestamps were negotiated, the SACK blocks only when SACK was).
 * Context: any thread; no allocation, no syscall; per segment.
 */
#ifndef PP_PROTO_TCP_OPT_H
#define PP_PROTO_TCP_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include <pktpipe/prot/tcp.h>

/* SACK blocks a segment carries at most (TCP_NUM_SACKS): 4 fit in 40 bytes. */
#define PP_TCP_NUM_SACKS 4

/* One SACK block, host order: [start_seq, end_seq). */
struct pp_tcp_sack_block {
	uint32_t start_seq;
	uint32_t end_seq;
};

/* What the options of one received segment say (cf. struct tcp_options_received). */
struct pp_tcp_opts_rx {
	uint16_t mss;		/* SYN only; 0: none (a zero MSS is ignored, as the kernel) */
	uint8_t wscale;		/* SYN only, valid with wscale_ok; clamped to 14 */
	bool wscale_ok;		/* a WINDOW option was seen on the SYN */
	bool sack_ok;		/* SACK_PERM seen on the SYN */
	bool saw_tstamp;	/* a TIMESTAMP option: tsval, tsecr valid */
	uint8_t num_sacks;	/* blocks in sack[] (of the last well-formed SACK option) */
	uint32_t tsval;		/* host order */
	uint32_t tsecr;		/* host order */
	struct pp_tcp_sack_block sack[PP_TCP_NUM_SACKS];
};

/*
 * pp__tcp_parse_options() - parse the @len option bytes at @opt (what
 * follows the 20-byte header, up to doff * 4) into @out, which is cleared
 * first. As tcp_parse_options(): EOL ends the list; NOP is skipped; any
 * other kind needs a length byte, a length >= 2 and no longer than what is
 * left, else parsing stops there (what was parsed before is kept). An
 * option of the wrong length for its kind is skipped. MSS, WINDOW and
 * SACK_PERM count only when @syn; TIMESTAMP and SACK on any segment; SACK
 * only with a length of 2 + 8n (n >= 1; at most 4 blocks are kept). A later
 * copy of an option overrides an earlier one. Never reads outside
 * [opt, opt + len).
 *
 * Return: 0 when the list was well formed to its end (or its EOL); -EINVAL
 * when parsing stopped at a malformed option (the kernel keeps such a
 * segment: so may the caller, with what @out holds), and when @len is more
 * than PP_TCP_MAX_OPTLEN or @out is NULL or @opt is NULL with @len > 0
 * (then nothing is parsed).
 * Context: any thread.
 */
int pp__tcp_parse_options(const uint8_t *opt, uint32_t len, bool syn, struct pp_tcp_opts_rx *out);

/* What we put in the options of a segment we send (cf. struct tcp_out_options). */
struct pp_tcp_opts_tx {
	uint16_t mss;		/* SYN: MSS to advertise; 0: no MSS option */
	uint8_t wscale;		/* SYN: our receive window shift (0..14), with wscale_ok */
	bool wscale_ok;		/* SYN: offer window scaling */
	bool sack_ok;		/* SYN: offer SACK (SACK_PERM) */
	bool ts;		/* timestamps: tsval, tsecr (SYN and established) */
	uint8_t num_sacks;	/* established: SACK blocks in sack[] to send */
	uint32_t tsval;		/* host order */
	uint32_t tsecr;		/* host order */
	struct pp_tcp_sack_block sack[PP_TCP_NUM_SACKS];
};

/*
 * pp__tcp_sack_room() - how many SACK blocks fit beside the timestamp
 * (@ts) in the 40 option bytes: 3 with, 4 without (cf. the eff_sacks
 * computation in tcp_established_options()).
 * Context: any thread.
 */
static inline unsigned int pp__tcp_sack_room(bool ts)
{
	return (PP_TCP_MAX_OPTLEN - (ts ? 12u : 0u) - 4u) / PP_TCPOLEN_SACK_PERBLOCK;
}

/*
 * pp__tcp_syn_options() - write the options of a SYN or SYN-ACK from @o
 * (mss, wscale/wscale_ok, sack_ok, ts/tsval/tsecr; num_sacks is ignored)
 * to @buf in Linux's order and layout: MSS; then "SACK_PERM TIMESTAMP"
 * packed in 12 bytes when both, "NOP NOP TIMESTAMP" or "NOP NOP SACK_PERM"
 * when one; then "NOP WINDOW". @buf has room for PP_TCP_MAX_OPTLEN bytes.
 *
 * Return: the length written (0..20, a multiple of 4), or -EINVAL when
 * @buf or @o is NULL or o->wscale_ok with o->wscale > 14 (nothing written).
 * Context: any thread.
 */
int pp__tcp_syn_options(uint8_t *buf, const struct pp_tcp_opts_tx *o);

/*
 * pp__tcp_established_options() - write the options of a segment after the
 * handshake from @o: "NOP NOP TIMESTAMP" when o->ts, then "NOP NOP SACK"
 * with the first min(o->num_sacks, pp__tcp_sack_room(o->ts)) blocks of
 * o->sack (as the kernel drops what does not fit). MSS, WINDOW and
 * SACK_PERM are SYN-only and ignored here. @buf has room for
 * PP_TCP_MAX_OPTLEN bytes.
 *
 * Return: the length written (0..40, a multiple of 4), or -EINVAL when
 * @buf or @o is NULL.
 * Context: any thread; per segment.
 */
int pp__tcp_established_options(uint8_t *buf, const struct pp_tcp_opts_tx *o);

#endif
