/* SPDX-License-Identifier: MIT */
/* pktpipe/prot/eth.h - Ethernet II header (wire format only). */
#ifndef PKTPIPE_PROT_ETH_H
#define PKTPIPE_PROT_ETH_H

#include <stdint.h>

#define PP_ETH_ALEN 6
#define PP_ETH_HLEN 14
#define PP_ETH_ZLEN 60		/* shortest frame without FCS */
#define PP_ETH_P_IP 0x0800
#define PP_ETH_P_ARP 0x0806

struct pp_eth_hdr {
	uint8_t dst[PP_ETH_ALEN];
	uint8_t src[PP_ETH_ALEN];
	uint16_t proto; /* network order */
} __attribute__((packed));

_Static_assert(sizeof(struct pp_eth_hdr) == PP_ETH_HLEN, "ethernet header");

#endif
