/* SPDX-License-Identifier: MIT */
/*
 * reasm.h (internal) - IPv4 reassembly, one table per lane (cf.
 * net/ipv4/ip_fragment.c ip_defrag() and net/ipv4/inet_fragment.c).
 *
 * A table holds up to a fixed number of datagrams being reassembled ("queues",
 * cf. struct ipq), preallocated at create, so that adding a fragment never
 * calls malloc. Fragments are the received frames themselves, linked in offset
 * order through skb->frag; nothing is copied. Memory is bounded by the frames
 * held (each charged its full frame size, as the kernel charges truesize):
 * per datagram and over the table, at most max_bytes. The stack gives each
 * lane's table its share of the lane's frames (proto/defaults.h: 1/8, at most
 * ipfrag_high_thresh), so that no trickle of tiny fragments can hold more. A
 * fragment that would go over evicts the oldest datagrams first (each of
 * their fragments dropped PP_DROP_FRAG_OVERFLOW), never refusing the
 * newcomer while older ones hold memory. Time is bounded by the timeout
 * counted from a datagram's first fragment (cf. ipfrag_time).
 *
 * Policy, as the kernel's since the fix for CVE-2018-5391 (RFC 5722's rule,
 * which Linux applies to IPv4 too):
 *  - a fragment overlapping one already held kills the whole datagram;
 *  - an exact duplicate of one held is dropped alone (the datagram goes on,
 *    cf. IPFRAG_DUP / SKB_DROP_REASON_DUP_FRAG): duplication happens on real
 *    networks and must not cost the datagram;
 *  - inconsistent fragments (a last fragment ending before data already held
 *    or not where an earlier last fragment ended, data beyond the end, a zero
 *    length fragment) kill the datagram;
 *  - a non-last fragment whose payload is not a multiple of 8 is trimmed to
 *    one (as ip_frag_queue() does);
 *  - a datagram larger than 65535 bytes (IPv4 header included) is killed.
 * Killed datagrams' fragments are dropped with PP_DROP_FRAG_OVERFLOW, timed
 * out ones with PP_DROP_FRAG_TIMEOUT, each fragment counted once.
 *
 * Concurrency: a table belongs to one lane; every call on it from that lane's
 * thread (create/destroy from the control path while the lane is stopped).
 */
#ifndef PP_PROTO_REASM_H
#define PP_PROTO_REASM_H

#include <stdint.h>

#include "core/stage.h"
#include "proto/defaults.h"

struct pp_reasm;

/**
 * pp__reasm_create() - make a reassembly table.
 * @max_bytes: frame bytes held at most, per datagram and in all (0:
 *	       PP_REASM_HIGH_THRESH); PP_REASM_MIN_BYTES..PP_REASM_MAX_BYTES.
 * @timeout_ns: lifetime of an incomplete datagram (0: PP_REASM_TIMEOUT_NS).
 * Return: 0 and *@out; -EINVAL (NULL @out, @max_bytes out of range); -ENOMEM.
 * Context: control path.
 */
int pp__reasm_create(uint32_t max_bytes, uint64_t timeout_ns, struct pp_reasm **out);

/**
 * pp__reasm_destroy() - drop every fragment held (PP_DROP_SHUTDOWN, counted
 * on @s; freed into s->cache) and free the table. NULL @r is a no-op; with a
 * NULL @s held fragments are leaked rather than freed into no cache.
 * Context: the lane's thread or the control path once the lane stopped.
 */
void pp__reasm_destroy(struct pp_reasm *r, struct pp_stage *s);

/**
 * pp__reasm_add() - add one fragment (cf. ip_defrag()).
 * @frag: data at its IPv4 header (validated by the caller: header checksum,
 *	  tot_len trimmed), net_off set. Taken in every case.
 * @now_ns: current time (the caller's clock; tests pass fake time).
 * Return: the complete datagram as a chain: the head is the first fragment,
 * its data at its IPv4 header, rewritten as ip_frag_reasm() does (tot_len of
 * the whole datagram, frag_off 0, checksum); ->frag links the other pieces in
 * order, each with data at its part of the IP payload and frag_off = that
 * part's byte offset in the payload; every piece has PP_SKB_F_FRAG. NULL when
 * the fragment is held, or dropped (counted on @s). A packet that is no
 * fragment (no MF, offset 0) is returned as it is.
 * Context: the lane's thread.
 */
struct pp_skb *pp__reasm_add(struct pp_reasm *r, struct pp_stage *s, struct pp_skb *frag,
			     uint64_t now_ns);

/**
 * pp__reasm_tick() - drop the datagrams whose timeout passed at @now_ns
 * (PP_DROP_FRAG_TIMEOUT per fragment). pp__reasm_add() does the same for
 * the oldest ones, so this is only needed when no fragment arrives.
 * Context: the lane's thread.
 */
void pp__reasm_tick(struct pp_reasm *r, struct pp_stage *s, uint64_t now_ns);

/**
 * struct pp_reasm_stats - what a table holds now (for tests and tools).
 */
struct pp_reasm_stats {
	uint32_t queues;	/* datagrams being reassembled */
	uint32_t max_queues;	/* table size */
	uint64_t bytes;		/* frame bytes held */
	uint64_t frags;		/* fragments held */
	uint64_t completed;	/* datagrams returned whole since create */
};

/** pp__reasm_stats() - fill @st. Return: 0 or -EINVAL. */
int pp__reasm_stats(const struct pp_reasm *r, struct pp_reasm_stats *st);

#endif /* PP_PROTO_REASM_H */
