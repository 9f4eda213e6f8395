// SPDX-License-Identifier: MIT
/*
 * tcp_isn.c - TCP initial sequence numbers (RFC 6528) and timestamp
 * offsets: secure_tcp_seq(), seq_scale() and secure_tcp_ts_off() of
 * net/core/secure_seq.c, with one stack's secrets instead of the boot's.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "core/time.h"
#include "proto/siphash.h"
#include "proto/tcp_isn.h"

int pp__tcp_secret_init(struct pp__tcp_secret *s)
{
	uint8_t *buf = (uint8_t *)s;
	size_t got = 0;

	while (got < sizeof(*s)) {
		ssize_t n = getrandom(buf + got, sizeof(*s) - got, 0);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			memset(s, 0, sizeof(*s));
			return -err;
		}
		got += (size_t)n;
	}
	return 0;
}

uint32_t pp__tcp_secure_seq(const struct pp__tcp_secret *s, uint32_t saddr, uint32_t daddr,
			    uint16_t sport, uint16_t dport)
{
	uint32_t hash = (uint32_t)pp__siphash_3u32(saddr, daddr, (uint32_t)sport << 16 | dport,
						   s->seq_key);

	return hash + (uint32_t)(pp__now_ns() >> PP_TCP_ISN_CLOCK_SHIFT);
}

uint32_t pp__tcp_secure_ts_off(const struct pp__tcp_secret *s, uint32_t saddr, uint32_t daddr)
{
	return (uint32_t)pp__siphash_2u32(saddr, daddr, s->ts_key);
}
