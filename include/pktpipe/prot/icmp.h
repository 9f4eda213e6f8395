/* SPDX-License-Identifier: MIT */
/* pktpipe/prot/icmp.h - ICMP header (RFC 792), wire format only. */
#ifndef PKTPIPE_PROT_ICMP_H
#define PKTPIPE_PROT_ICMP_H

#include <stdint.h>

#define PP_ICMP_ECHOREPLY 0
#define PP_ICMP_DEST_UNREACH 3
#define PP_ICMP_ECHO 8
#define PP_ICMP_TIME_EXCEEDED 11

/* PP_ICMP_DEST_UNREACH codes */
#define PP_ICMP_PROT_UNREACH 2
#define PP_ICMP_PORT_UNREACH 3

struct pp_icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t check;
	uint16_t id;	/* echo */
	uint16_t seq;	/* echo */
} __attribute__((packed, aligned(2)));

_Static_assert(sizeof(struct pp_icmp_hdr) == 8, "icmp header");

#endif
