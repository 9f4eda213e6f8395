/* SPDX-License-Identifier: MIT */
/* pktpipe/prot/ipv4.h - IPv4 header (RFC 791), wire format only. */
#ifndef PKTPIPE_PROT_IPV4_H
#define PKTPIPE_PROT_IPV4_H

#include <stdint.h>

#define PP_IPV4_HLEN 20
#define PP_IPPROTO_ICMP 1
#define PP_IPPROTO_TCP 6
#define PP_IPPROTO_UDP 17
#define PP_IP_DF 0x4000		/* frag_off field: don't fragment */
#define PP_IP_MF 0x2000		/* frag_off field: more fragments */
#define PP_IP_OFFMASK 0x1fff	/* frag_off field: offset in 8-byte units */
#define PP_IP_DEFTTL 64

struct pp_ipv4_hdr {
	uint8_t ver_ihl;	/* version 4, header length in 32-bit words */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;	/* flags and offset */
	uint8_t ttl;
	uint8_t protocol;
	uint16_t check;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed, aligned(2)));

_Static_assert(sizeof(struct pp_ipv4_hdr) == PP_IPV4_HLEN, "ipv4 header");

#endif
