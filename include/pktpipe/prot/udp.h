/* SPDX-License-Identifier: MIT */
/* pktpipe/prot/udp.h - UDP header (RFC 768), wire format only. */
#ifndef PKTPIPE_PROT_UDP_H
#define PKTPIPE_PROT_UDP_H

#include <stdint.h>

#define PP_UDP_HLEN 8
/* Largest UDP payload over IPv4: 65535 - 20 - 8. */
#define PP_UDP_MAX_PAYLOAD 65507

struct pp_udp_hdr {
	uint16_t source;
	uint16_t dest;
	uint16_t len;
	uint16_t check;
} __attribute__((packed, aligned(2)));

_Static_assert(sizeof(struct pp_udp_hdr) == PP_UDP_HLEN, "udp header");

#endif
