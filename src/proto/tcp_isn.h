/* SPDX-License-Identifier: MIT */
/*
 * tcp_isn.h (internal) - initial sequence numbers per RFC 6528 and
 * timestamp offsets, cf. secure_tcp_seq(), seq_scale() and
 * secure_tcp_ts_off() (net/core/secure_seq.c).
 *
 *   ISN    = SipHash(secret, saddr, daddr, sport << 16 | dport) + clock
 *   ts_off = SipHash(ts_secret, saddr, daddr)
 *
 * The clock is the kernel's: nanoseconds >> 6, a 64 ns tick, which wraps
 * the 32-bit space in 274 s (seq_scale(): fast enough for 10 Gb/s, slow
 * enough to wrap less than once per 2 MSL). RFC 6528 names RFC 793's 4 us
 * tick; Linux chose 64 ns and we behave as Linux. The clock is
 * pp__now_ns() (monotonic, or the tests' fake clock), not the kernel's
 * real time: only its rate matters, and a new secret comes with every
 * stack.
 *
 * The secrets belong to one stack (the kernel's are per boot); the TCP
 * layer keeps a struct pp__tcp_secret in its stack state, const after
 * pp__tcp_secret_init(), so any lane may read it without a lock.
 */
#ifndef PP_PROTO_TCP_ISN_H
#define PP_PROTO_TCP_ISN_H

#include <stdint.h>

/* Log2 of the ISN clock's tick in ns (seq_scale(): ktime_get_real_ns() >> 6). */
#define PP_TCP_ISN_CLOCK_SHIFT 6

struct pp__tcp_secret {
	uint64_t seq_key[2];	/* net_secret: ISNs; const after init */
	uint64_t ts_key[2];	/* ts_secret: timestamp offsets; const after init */
};

/*
 * pp__tcp_secret_init() - draw both keys from getrandom(). Blocks, at
 * stack creation only, until the kernel's pool is ready: ISNs must not be
 * guessable, so there is no weaker fallback.
 *
 * Return: 0, or a negative errno from getrandom() (@s is then cleared).
 * Context: control path (stack creation); may sleep.
 */
int pp__tcp_secret_init(struct pp__tcp_secret *s);

/*
 * pp__tcp_secure_seq() - the ISN of the connection (@saddr, @daddr,
 * @sport, @dport), all in network order as they are on the wire
 * (cf. secure_tcp_seq()). Two connections of one 4-tuple a while apart get
 * ISNs one 64 ns tick apart per 64 ns; other tuples are unrelated.
 *
 * Return: the ISN (host order).
 * Context: any thread; reads the clock (the vDSO, no syscall).
 */
uint32_t pp__tcp_secure_seq(const struct pp__tcp_secret *s, uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport);

/*
 * pp__tcp_secure_ts_off() - the offset added to our timestamp clock on
 * connections between @saddr and @daddr (network order), so that TSvals do
 * not give away our uptime and differ per peer (cf. secure_tcp_ts_off(),
 * with net.ipv4.tcp_timestamps = 1, the default).
 *
 * Return: the offset.
 * Context: any thread.
 */
uint32_t pp__tcp_secure_ts_off(const struct pp__tcp_secret *s, uint32_t saddr, uint32_t daddr);

#endif
