// SPDX-License-Identifier: MIT
/*
 * fuzz_rx.c - the receive stage (pp__rx_input(): Ethernet demux, IPv4,
 * reassembly, UDP delivery, ICMP, ARP) over a whole stack on the null NIC,
 * fed raw frames as a NIC would hand them over, with what it answers (ICMP
 * replies and errors, ARP replies) sent on through the lane's transmit path.
 *
 * Input: a sequence of ops, each an op byte and its arguments:
 *   0x00..0xdf  a frame: u16 length (big endian), then that many bytes (cut
 *               to what is left and to the frame's room); bit 0 set ends the
 *               receive burst after it (a burst also ends at 32 frames and
 *               before any other op). At most 64 frames per input. Bit 1:
 *               the harness rewrites the IPv4 header checksum, bit 2 the UDP
 *               or ICMP checksum of an unfragmented datagram, so that
 *               mutations reach past the checksum checks.
 *   0xe0..0xef  advance the fake clock (fuzz_clock_step()), run the timers
 *   0xf0..0xf3  receive what the sockets hold
 *   0xf4..0xf7  end the burst, run the lane
 *   0xf8..0xff  send a UDP datagram from socket (op & 1): u8 host (below
 *               0x80: 10.0.0.<host>, else 192.168.1.<host>, routed through
 *               10.0.0.2), u8 length / 8 units
 * At most 256 ops are read. After the input every hold is emptied and the pool must be back where it
 * was (fuzz_settle()); while it runs the holds stay within their bounds
 * (fuzz_check_bounds()).
 */
#include "fuzz_common.h"

#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/udp.h>

#include "proto/csum.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_stack_init();
	return 0;
}

static void send_one(unsigned int sock, uint8_t host, uint8_t len8)
{
	static uint8_t payload[255 * 8];
	uint32_t dst = host < 0x80 ? FUZZ_IP(10, 0, 0, host) : FUZZ_IP(192, 168, 1, host);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = dst};
	size_t len = (size_t)len8 * 8;
	ssize_t r;

	fuzz_rx_flush();
	fuzz_note_ip(dst);
	fuzz_note_ip(FUZZ_IP(10, 0, 0, 2));
	memset(payload, host, len);
	r = pp_sendto(fz.sk[sock], payload, len, PP_MSG_DONTWAIT, (struct sockaddr *)&sin,
		      sizeof(sin));
	/* a broadcast, our own address or a full lane may be refused; never
	 * anything but an errno */
	FUZZ_CHECK(r == (ssize_t)len || (r < 0 && r > -4096), "pp_sendto(%zu): %zd", len, r);
	fuzz_lane_run();
}

/* Make the checksums of the IPv4 frame in @b right, as @how says (op bits 1:
 * header, 2: UDP or ICMP); what is too short or not IPv4 is left alone. */
static void fix_csums(uint8_t *b, size_t len, uint8_t how)
{
	uint8_t *ip = b + PP_ETH_HLEN;
	uint32_t ihl, tot;
	uint16_t c;

	if (len < PP_ETH_HLEN + PP_IPV4_HLEN || b[12] != 0x08 || b[13] != 0x00)
		return;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	if (ihl < PP_IPV4_HLEN || PP_ETH_HLEN + ihl > len)
		return;
	if (tot > len - PP_ETH_HLEN)
		tot = (uint32_t)(len - PP_ETH_HLEN);
	if ((how & 4) && tot >= ihl + 8 && !((ip[6] << 8 | ip[7]) & (PP_IP_MF | PP_IP_OFFMASK))) {
		uint8_t *l4 = ip + ihl;
		uint32_t l4len = tot - ihl;

		if (ip[9] == PP_IPPROTO_UDP) {
			unsigned int odd = 0;
			uint32_t ulen = (uint32_t)l4[4] << 8 | l4[5];
			uint64_t sum;
			uint32_t saddr, daddr;

			if (ulen >= 8 && ulen <= l4len) {
				memcpy(&saddr, ip + 12, 4);
				memcpy(&daddr, ip + 16, 4);
				memset(l4 + 6, 0, 2);
				sum = pp_csum_pseudo(saddr, daddr, PP_IPPROTO_UDP, (uint16_t)ulen);
				c = pp_csum_fold(pp_csum_partial(l4, ulen, sum, &odd));
				c = c ? c : 0xffff;
				memcpy(l4 + 6, &c, 2);
			}
		} else if (ip[9] == PP_IPPROTO_ICMP) {
			memset(l4 + 2, 0, 2);
			c = pp_csum(l4, l4len);
			memcpy(l4 + 2, &c, 2);
		}
	}
	if (how & 2) {
		memset(ip + 10, 0, 2);
		c = pp_csum(ip, ihl);
		memcpy(ip + 10, &c, 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned int ops = 0;

	fuzz_stack_init();
	while (fuzz_more(&in) && fz.frames < FUZZ_MAX_FRAMES && ops++ < FUZZ_MAX_OPS) {
		uint8_t op = fuzz_u8(&in);

		if (op < 0xe0) {
			static uint8_t frame[FUZZ_FRAME_SIZE];
			size_t want = fuzz_u16(&in), got;
			const uint8_t *b = fuzz_bytes(&in, want, &got);

			if (op & 6) {
				got = got < sizeof(frame) ? got : sizeof(frame);
				memcpy(frame, b, got);
				fix_csums(frame, got, op);
				b = frame;
			}
			fuzz_rx_frame(b, got, op & 1);
		} else if (op < 0xf0) {
			fuzz_advance(fuzz_clock_step(op));
		} else if (op < 0xf4) {
			fuzz_rx_flush();
			fuzz_drain_socks();
		} else if (op < 0xf8) {
			fuzz_rx_flush();
			fuzz_lane_run();
		} else {
			uint8_t host = fuzz_u8(&in);

			send_one(op & 1, host, fuzz_u8(&in));
		}
	}
	fuzz_settle();
	return 0;
}
