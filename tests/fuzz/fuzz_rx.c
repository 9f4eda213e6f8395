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
 *               before any other op). At most 64 frames per input.
 *   0xe0..0xef  advance the fake clock (fuzz_clock_step()), run the timers
 *   0xf0..0xf3  receive what the sockets hold
 *   0xf4..0xf7  end the burst, run the lane
 *   0xf8..0xff  send a UDP datagram from socket (op & 1): u8 host (below
 *               0x80: 10.0.0.<host>, else 192.168.1.<host>, routed through
 *               10.0.0.2), u8 length / 8 units
 * After the input every hold is emptied and the pool must be back where it
 * was (fuzz_settle()); while it runs the holds stay within their bounds
 * (fuzz_check_bounds()).
 */
#include "fuzz_common.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	fuzz_stack_init();
	while (fuzz_more(&in) && fz.frames < FUZZ_MAX_FRAMES) {
		uint8_t op = fuzz_u8(&in);

		if (op < 0xe0) {
			size_t want = fuzz_u16(&in), got;
			const uint8_t *b = fuzz_bytes(&in, want, &got);

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
