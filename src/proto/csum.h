/* SPDX-License-Identifier: MIT */
/*
 * csum.h (internal) - the Internet checksum (RFC 1071), as the kernel's
 * csum_partial()/csum_fold() pair: accumulate 32-bit partial sums over any
 * number of pieces (odd lengths included), fold once at the end.
 */
#ifndef PP_PROTO_CSUM_H
#define PP_PROTO_CSUM_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Add @len bytes at @p to the partial sum @sum. @odd says whether an odd
 * number of bytes came before in the same checksummed stream (so this
 * piece's bytes are shifted by one); it is updated.
 */
static inline uint64_t pp_csum_partial(const void *p, size_t len, uint64_t sum, unsigned int *odd)
{
	const uint8_t *b = p;

	if (len && *odd) {
		/* second (low-order) byte of a 16-bit word started before */
		uint8_t t[2] = {0, b[0]};
		uint16_t w;

		memcpy(&w, t, 2);
		sum += w;
		b++;
		len--;
		*odd = 0;
	}
	/* 8 bytes per load: a payload written by 8-byte stores just before
	 * forwards whole, where two 4-byte loads from one store would not */
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
		b += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		sum += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* high byte of a 16-bit word, in memory (network) order */
		uint16_t w = 0;

		memcpy(&w, b, 1);
		sum += w;
		*odd = 1;
	}
	return sum;
}

/* Fold a partial sum to 16 bits and complement it (result in memory order). */
static inline uint16_t pp_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Checksum of one contiguous buffer (e.g. an IPv4 header). */
static inline uint16_t pp_csum(const void *p, size_t len)
{
	unsigned int odd = 0;

	return pp_csum_fold(pp_csum_partial(p, len, 0, &odd));
}

/*
 * Partial sum of the IPv4 pseudo-header (addresses in network order), from
 * values only: reading back header bytes just stored would stall on store
 * forwarding. A network-order 16-bit word read natively is what
 * pp_csum_partial() adds, so htons() of each value is its contribution.
 */
static inline uint64_t pp_csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len)
{
	return (uint64_t)saddr + daddr + __builtin_bswap16((uint16_t)proto) +
	       __builtin_bswap16(len);
}

/*
 * pp_csum_is_partial() - @check (as it sits in a received UDP/TCP header) is
 * what a sender using checksum offload leaves for the "hardware": the folded,
 * uncomplemented pseudo-header sum (cf. udp4_hwcsum() / __tcp_v4_send_check():
 * uh->check = ~csum_tcpudp_magic(saddr, daddr, len, proto, 0)). A veth has
 * no hardware, so XDP and AF_XDP see that value; the kernel's own receive
 * path trusts such an skb (CHECKSUM_PARTIAL, skb_csum_unnecessary()). Only a
 * link that is host-internal may be judged with this.
 */
static inline bool pp_csum_is_partial(uint16_t check, uint32_t saddr, uint32_t daddr,
				      uint8_t proto, uint16_t len)
{
	uint16_t folded = (uint16_t)~pp_csum_fold(pp_csum_pseudo(saddr, daddr, proto, len));

	return check == folded;
}

#endif /* PP_PROTO_CSUM_H */
