/* SPDX-License-Identifier: MIT */
/* pktpipe/prot/arp.h - ARP for IPv4 over Ethernet (RFC 826), wire format only. */
#ifndef PKTPIPE_PROT_ARP_H
#define PKTPIPE_PROT_ARP_H

#include <stdint.h>

#define PP_ARP_HRD_ETHER 1
#define PP_ARP_OP_REQUEST 1
#define PP_ARP_OP_REPLY 2

struct pp_arp_hdr {
	uint16_t hrd;	/* PP_ARP_HRD_ETHER */
	uint16_t pro;	/* PP_ETH_P_IP */
	uint8_t hln;	/* 6 */
	uint8_t pln;	/* 4 */
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;	/* network order; unaligned on the wire: packed */
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

_Static_assert(sizeof(struct pp_arp_hdr) == 28, "arp header");

#endif
