/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/prot/tcp.h - TCP header (RFC 9293) and options (RFC 7323 window
 * scale and timestamps, RFC 2018 SACK), wire format only. Multi-byte fields
 * are in network order. Names of options follow the kernel's TCPOPT_* and
 * TCPOLEN_* (include/net/tcp.h).
 */
#ifndef PKTPIPE_PROT_TCP_H
#define PKTPIPE_PROT_TCP_H

#include <stdint.h>

#define PP_TCP_HLEN 20		/* header without options */
#define PP_TCP_MAX_HLEN 60	/* doff is 4 bits of 32-bit words */
#define PP_TCP_MAX_OPTLEN (PP_TCP_MAX_HLEN - PP_TCP_HLEN) /* 40 (MAX_TCP_OPTION_SPACE) */

/* Flag bits of pp_tcp_hdr.flags (byte 13 of the header). */
#define PP_TCP_FIN 0x01
#define PP_TCP_SYN 0x02
#define PP_TCP_RST 0x04
#define PP_TCP_PSH 0x08
#define PP_TCP_ACK 0x10
#define PP_TCP_URG 0x20
#define PP_TCP_ECE 0x40
#define PP_TCP_CWR 0x80

/* pp_tcp_hdr.doff_res: data offset in its high nibble, in 32-bit words. */
#define PP_TCP_DOFF_SHIFT 4

/* Option kinds (TCPOPT_*). */
#define PP_TCPOPT_EOL 0
#define PP_TCPOPT_NOP 1
#define PP_TCPOPT_MSS 2
#define PP_TCPOPT_WINDOW 3	/* window scale */
#define PP_TCPOPT_SACK_PERM 4
#define PP_TCPOPT_SACK 5
#define PP_TCPOPT_TIMESTAMP 8

/* Option lengths, kind and length bytes included (TCPOLEN_*). */
#define PP_TCPOLEN_MSS 4
#define PP_TCPOLEN_WINDOW 3
#define PP_TCPOLEN_SACK_PERM 2
#define PP_TCPOLEN_SACK_BASE 2		/* then 8 bytes a block */
#define PP_TCPOLEN_SACK_PERBLOCK 8
#define PP_TCPOLEN_TIMESTAMP 10

#define PP_TCP_MAX_WSCALE 14	/* RFC 7323 2.3: larger shifts are taken as 14 */

struct pp_tcp_hdr {
	uint16_t source;
	uint16_t dest;
	uint32_t seq;
	uint32_t ack_seq;
	uint8_t doff_res;	/* data offset (high 4 bits), reserved, AE (bit 0) */
	uint8_t flags;		/* PP_TCP_FIN ... PP_TCP_CWR */
	uint16_t window;
	uint16_t check;
	uint16_t urg_ptr;
} __attribute__((packed, aligned(2)));

_Static_assert(sizeof(struct pp_tcp_hdr) == PP_TCP_HLEN, "tcp header");

#endif
