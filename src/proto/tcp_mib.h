/* SPDX-License-Identifier: MIT */
/*
 * tcp_mib.h - TCP's counters (cf. the kernel's TCP_MIB_* and the TcpExt
 * LINUX_MIB_* rows of /proc/net/snmp and /proc/net/netstat).
 *
 * Each lane writes its own row with PP_STAT_ADD() (a relaxed load and
 * store: no lock prefix, and a reader on another thread sees whole
 * values); pp_stack_stats_names() lists them as "tcp.<name>", summed over
 * the lanes. The list is one X-macro so that the struct, the names and the
 * sum cannot drift apart.
 */
#ifndef PP_PROTO_TCP_MIB_H
#define PP_PROTO_TCP_MIB_H

#include <stdint.h>

/* X(field, kernel's name) */
#define PP_TCP_MIB_LIST(X)                                                          \
	X(active_opens, ActiveOpens)	   /* connect() sent a SYN */              \
	X(passive_opens, PassiveOpens)	   /* a SYN made a child */                 \
	X(attempt_fails, AttemptFails)	   /* SYN_SENT/SYN_RECV -> CLOSED */        \
	X(estab_resets, EstabResets)	   /* ESTABLISHED/CLOSE_WAIT -> CLOSED */   \
	X(in_segs, InSegs)		   /* segments received, bad ones too */   \
	X(out_segs, OutSegs)		   /* segments sent, retransmissions too */ \
	X(retrans_segs, RetransSegs)	   /* segments retransmitted */             \
	X(out_rsts, OutRsts)		   /* RSTs sent */                          \
	X(bad_segs, InErrs)		   /* bad header or checksum */             \
	X(rto, TCPTimeouts)		   /* retransmission timer expiries */      \
	X(fast_retrans, TCPFastRetrans)	   /* fast retransmits */                   \
	X(loss_probes, TCPLossProbes)	   /* tail loss probes sent */              \
	X(sack_recovery, TCPSackRecovery)  /* recoveries driven by SACK */          \
	X(reno_recovery, TCPRenoRecovery)  /* recoveries by duplicate ACKs alone */ \
	X(syn_dropped, ListenDrops)	   /* SYNs a listener dropped */            \
	X(listen_overflows, ListenOverflows) /* accept or SYN queue full */        \
	X(ooo_dropped, TCPOFODrop)	   /* out-of-order data over the bound */   \
	X(rcvq_dropped, TCPRcvQDrop)	   /* in-order data over the bound */       \
	X(handoff_dropped, TCPBacklogDrop) /* lane-to-lane ring full */             \
	X(ts_paws_rejects, PAWSEstab)	   /* PAWS rejected a segment */            \
	X(timewait_recycled, TWRecycled)   /* a SYN reopened a TIME_WAIT pair */

struct pp_tcp_mib {
#define PP_TCP_MIB_FIELD(f, k) uint64_t f;
	PP_TCP_MIB_LIST(PP_TCP_MIB_FIELD)
#undef PP_TCP_MIB_FIELD
};

#endif /* PP_PROTO_TCP_MIB_H */
