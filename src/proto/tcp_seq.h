/* SPDX-License-Identifier: MIT */
/*
 * tcp_seq.h (internal) - sequence number arithmetic modulo 2^32 (RFC 9293
 * 3.4), cf. before(), after() and between() in include/net/tcp.h. Two
 * numbers compare by the sign of their 32-bit difference, so the answers
 * hold across the wrap as long as they are less than 2^31 apart (the
 * window rules keep them so). Exactly 2^31 apart, before(a, b) and
 * before(b, a) are both true, as in the kernel.
 */
#ifndef PP_PROTO_TCP_SEQ_H
#define PP_PROTO_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* pp__tcp_before() - @s1 comes before @s2 (cf. before()). */
static inline bool pp__tcp_before(uint32_t s1, uint32_t s2)
{
	return (int32_t)(s1 - s2) < 0;
}

/* pp__tcp_after() - @s1 comes after @s2 (cf. after()). */
static inline bool pp__tcp_after(uint32_t s1, uint32_t s2)
{
	return pp__tcp_before(s2, s1);
}

/* pp__tcp_between() - @lo <= @seq <= @hi, all modulo 2^32 (cf. between()). */
static inline bool pp__tcp_between(uint32_t seq, uint32_t lo, uint32_t hi)
{
	return hi - lo >= seq - lo;
}

#endif
