/* SPDX-License-Identifier: MIT */
/*
 * siphash.h (internal) - SipHash-2-4 of a few 32/64-bit words, the way the
 * kernel hashes with its secrets (include/linux/siphash.h, lib/siphash.c:
 * siphash_1u64(), siphash_2u32(), siphash_3u32()). Words are hashed as the
 * bytes they make in memory on a little-endian machine (the kernel's
 * "combined" u64), so the results are those of the reference SipHash over
 * those bytes: tests/test_tcp_wire.c checks them against its vectors.
 *
 * Users: IPv4 IDs (ip_out.c, cf. ip_idents_reserve()) and TCP's initial
 * sequence numbers and timestamp offsets (tcp_isn.c, cf. secure_tcp_seq()).
 * Keys are two u64 from getrandom(), const after init.
 */
#ifndef PP_PROTO_SIPHASH_H
#define PP_PROTO_SIPHASH_H

#include <stdint.h>

static inline uint64_t pp__sip_rol64(uint64_t x, unsigned int k)
{
	return x << k | x >> (64 - k);
}

/*
 * pp__siphash_block() - SipHash-2-4 of a message of 8..15 bytes: one full
 * 8-byte block @m, then the last block @last (the message length in its top
 * byte, the 0..7 tail bytes below it), then the finalisation.
 */
static inline uint64_t pp__siphash_block(uint64_t m, uint64_t last, const uint64_t key[2])
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];

#define PP__SIPROUND                                                          \
	do {                                                                  \
		v0 += v1; v1 = pp__sip_rol64(v1, 13); v1 ^= v0;               \
		v0 = pp__sip_rol64(v0, 32);                                   \
		v2 += v3; v3 = pp__sip_rol64(v3, 16); v3 ^= v2;               \
		v0 += v3; v3 = pp__sip_rol64(v3, 21); v3 ^= v0;               \
		v2 += v1; v1 = pp__sip_rol64(v1, 17); v1 ^= v2;               \
		v2 = pp__sip_rol64(v2, 32);                                   \
	} while (0)
	v3 ^= m;
	PP__SIPROUND;
	PP__SIPROUND;
	v0 ^= m;
	v3 ^= last;
	PP__SIPROUND;
	PP__SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	PP__SIPROUND;
	PP__SIPROUND;
	PP__SIPROUND;
	PP__SIPROUND;
#undef PP__SIPROUND
	return v0 ^ v1 ^ v2 ^ v3;
}

/* pp__siphash_1u64() - the 8 bytes of @a (cf. siphash_1u64()). */
static inline uint64_t pp__siphash_1u64(uint64_t a, const uint64_t key[2])
{
	return pp__siphash_block(a, (uint64_t)8 << 56, key);
}

/* pp__siphash_2u32() - the 8 bytes of @a then @b (cf. siphash_2u32()). */
static inline uint64_t pp__siphash_2u32(uint32_t a, uint32_t b, const uint64_t key[2])
{
	return pp__siphash_block((uint64_t)b << 32 | a, (uint64_t)8 << 56, key);
}

/* pp__siphash_3u32() - the 12 bytes of @a, @b, @c (cf. siphash_3u32()). */
static inline uint64_t pp__siphash_3u32(uint32_t a, uint32_t b, uint32_t c, const uint64_t key[2])
{
	return pp__siphash_block((uint64_t)b << 32 | a, (uint64_t)12 << 56 | c, key);
}

#endif
