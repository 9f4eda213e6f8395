// SPDX-License-Identifier: MIT
/*
 * tcp_opt.c - TCP options in and out.
 *
 *   pp__tcp_parse_options()       cf. tcp_parse_options() (tcp_input.c)
 *   pp__tcp_syn_options()         cf. tcp_syn_options() + tcp_options_write()
 *   pp__tcp_established_options() cf. tcp_established_options() + tcp_options_write()
 *
 * The parser takes hostile input: every read is checked against what is
 * left, and a malformed length ends the walk exactly where the kernel's
 * does (kind without a length byte, length < 2, length past the end). The
 * builders write whole 32-bit words, NOP-padded, in the order and packing
 * of tcp_options_write() (Linux 6.x), so that a peer or a capture sees the
 * bytes a Linux host would send. Not written: MD5, TCP-AO, Fast Open,
 * MPTCP, experimental options.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "proto/tcp_opt.h"

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* One 32-bit option word from its four bytes (the kernel's htonl(a << 24 | ...)). */
static inline uint8_t *put_word(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

int pp__tcp_parse_options(const uint8_t *opt, uint32_t len, bool syn, struct pp_tcp_opts_rx *out)
{
	const uint8_t *p = opt;
	uint32_t left = len;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len > PP_TCP_MAX_OPTLEN || (!opt && len))
		return -EINVAL;

	while (left > 0) {
		uint8_t kind = p[0];
		uint8_t size;

		if (kind == PP_TCPOPT_EOL)
			return 0;
		if (kind == PP_TCPOPT_NOP) {
			p++;
			left--;
			continue;
		}
		/* tcp_parse_options(): a kind without its length byte, a "silly"
		 * length (< 2, which would loop) and a partial option all stop */
		if (left < 2)
			return -EINVAL;
		size = p[1];
		if (size < 2 || size > left)
			return -EINVAL;

		switch (kind) {
		case PP_TCPOPT_MSS:
			if (size == PP_TCPOLEN_MSS && syn) {
				uint16_t mss = get_be16(p + 2);

				if (mss)	/* a zero MSS is ignored */
					out->mss = mss;
			}
			break;
		case PP_TCPOPT_WINDOW:
			if (size == PP_TCPOLEN_WINDOW && syn) {
				/* RFC 7323 2.3: a shift above 14 is used as 14 (the
				 * kernel logs "Illegal window scaling value") */
				out->wscale = p[2] > PP_TCP_MAX_WSCALE ? PP_TCP_MAX_WSCALE : p[2];
				out->wscale_ok = true;
			}
			break;
		case PP_TCPOPT_SACK_PERM:
			if (size == PP_TCPOLEN_SACK_PERM && syn)
				out->sack_ok = true;
			break;
		case PP_TCPOPT_TIMESTAMP:
			if (size == PP_TCPOLEN_TIMESTAMP) {
				out->saw_tstamp = true;
				out->tsval = get_be32(p + 2);
				out->tsecr = get_be32(p + 6);
			}
			break;
		case PP_TCPOPT_SACK:
			if (size >= PP_TCPOLEN_SACK_BASE + PP_TCPOLEN_SACK_PERBLOCK &&
			    (size - PP_TCPOLEN_SACK_BASE) % PP_TCPOLEN_SACK_PERBLOCK == 0) {
				/* at most 4 fit in 40 bytes; min() as tcp_sacktag_write_queue() */
				unsigned int n = (size - PP_TCPOLEN_SACK_BASE) / PP_TCPOLEN_SACK_PERBLOCK;

				if (n > PP_TCP_NUM_SACKS)
					n = PP_TCP_NUM_SACKS;
				for (unsigned int i = 0; i < n; i++) {
					out->sack[i].start_seq = get_be32(p + 2 + 8 * i);
					out->sack[i].end_seq = get_be32(p + 6 + 8 * i);
				}
				out->num_sacks = (uint8_t)n;
			}
			break;
		default:
			break;	/* unknown kinds are skipped by their length */
		}
		p += size;
		left -= size;
	}
	return 0;
}

/*
 * tcp_options_write() order, SYN part: MSS; TIMESTAMP (with SACK_PERM in
 * its two pad bytes when both); SACK_PERM alone NOP-padded; NOP WINDOW.
 */
int pp__tcp_syn_options(uint8_t *buf, const struct pp_tcp_opts_tx *o)
{
	uint8_t *p = buf;

	if (!buf || !o || (o->wscale_ok && o->wscale > PP_TCP_MAX_WSCALE))
		return -EINVAL;
	if (o->mss)
		p = put_word(p, PP_TCPOPT_MSS, PP_TCPOLEN_MSS, (uint8_t)(o->mss >> 8),
			     (uint8_t)o->mss);
	if (o->ts) {
		if (o->sack_ok)
			p = put_word(p, PP_TCPOPT_SACK_PERM, PP_TCPOLEN_SACK_PERM,
				     PP_TCPOPT_TIMESTAMP, PP_TCPOLEN_TIMESTAMP);
		else
			p = put_word(p, PP_TCPOPT_NOP, PP_TCPOPT_NOP, PP_TCPOPT_TIMESTAMP,
				     PP_TCPOLEN_TIMESTAMP);
		p = put_be32(p, o->tsval);
		p = put_be32(p, o->tsecr);
	} else if (o->sack_ok) {
		p = put_word(p, PP_TCPOPT_NOP, PP_TCPOPT_NOP, PP_TCPOPT_SACK_PERM,
			     PP_TCPOLEN_SACK_PERM);
	}
	if (o->wscale_ok)
		p = put_word(p, PP_TCPOPT_NOP, PP_TCPOPT_WINDOW, PP_TCPOLEN_WINDOW, o->wscale);
	return (int)(p - buf);
}

/* tcp_options_write() order, established part: NOP NOP TIMESTAMP; NOP NOP SACK. */
int pp__tcp_established_options(uint8_t *buf, const struct pp_tcp_opts_tx *o)
{
	uint8_t *p = buf;
	unsigned int n;

	if (!buf || !o)
		return -EINVAL;
	if (o->ts) {
		p = put_word(p, PP_TCPOPT_NOP, PP_TCPOPT_NOP, PP_TCPOPT_TIMESTAMP,
			     PP_TCPOLEN_TIMESTAMP);
		p = put_be32(p, o->tsval);
		p = put_be32(p, o->tsecr);
	}
	n = o->num_sacks;
	if (n > pp__tcp_sack_room(o->ts))
		n = pp__tcp_sack_room(o->ts);
	if (n) {
		p = put_word(p, PP_TCPOPT_NOP, PP_TCPOPT_NOP, PP_TCPOPT_SACK,
			     (uint8_t)(PP_TCPOLEN_SACK_BASE + n * PP_TCPOLEN_SACK_PERBLOCK));
		for (unsigned int i = 0; i < n; i++) {
			p = put_be32(p, o->sack[i].start_seq);
			p = put_be32(p, o->sack[i].end_seq);
		}
	}
	return (int)(p - buf);
}
