// SPDX-License-Identifier: MIT
/*
 * fuzz_arp.c - ARP and the neighbour table's states (proto/arp.c,
 * proto/neigh.c, cf. arp_process(), neigh_update(), neigh_timer_handler())
 * over a whole stack on the null NIC: ARP frames (requests, replies,
 * gratuitous, probes, for us and for others, from a dozen senders whose
 * addresses change) go in through pp__rx_input(), interleaved with datagrams
 * sent to those hosts (entries go INCOMPLETE, REACHABLE, STALE, FAILED),
 * static entries added and removed, confirmations through the API, and
 * clock steps around every neighbour timer.
 *
 * Input: ops, kind = op & 7, the rest of op and the bytes after it its
 * arguments:
 *   0, 1  an ARP frame: u8 a (sender a & 15, its MAC version a >> 4 & 3,
 *         Ethernet destination a >> 6: broadcast, us, another host,
 *         broadcast), u8 b (opcode b & 3: request, reply, request, 3; target
 *         b >> 2 & 7: us, gratuitous, another host (b >> 5), probe for us,
 *         probe for another, us with tha set, off-link, broadcast); op bit 4:
 *         padded to 60 bytes; op bit 3: end the receive burst after it
 *   2     a UDP datagram: u8 h, to sender h & 15's address (12..15: via the
 *         gateway 10.0.0.2), (h >> 4) * 100 bytes
 *   3     advance the clock by fuzz_clock_step(op >> 3), run the timers
 *   4     a raw frame: u8 length, bytes
 *   5     u8 s: sender s & 15 made static with MAC version s >> 4 & 3, or,
 *         with op bit 3, its entry deleted
 *   6     u8 s: pp_neigh_update() of sender s & 15 (an API confirmation)
 *   7     end the burst, run the lane and the neighbour table's ageing
 * At most 256 ops are read. Checked after every op: a PERMANENT entry is exactly what was configured,
 * no other entry is PERMANENT, an entry with an address has a unicast one;
 * the holds within their bounds; after the input, every hold empty and the
 * pool at its baseline.
 */
#include "fuzz_common.h"

#define NSEND 16

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t other_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x44};

/* Sender @i's IPv4 address: 10.0.0.2..13 (10.0.0.9 is the static one), then
 * one claiming ours, one off-link, one loopback, one with a bad MAC. */
static uint32_t sender_ip(unsigned int i)
{
	switch (i & 15) {
	case 12:
		return FUZZ_OUR_IP;
	case 13:
		return FUZZ_IP(192, 168, 1, 7);
	case 14:
		return FUZZ_IP(127, 0, 0, 1);
	case 15:
		return FUZZ_IP(10, 0, 0, 14);
	default:
		return FUZZ_IP(10, 0, 0, 2 + (i & 15));
	}
}

static void sender_mac(unsigned int i, unsigned int ver, uint8_t mac[6])
{
	const uint8_t m[6] = {0x02, 0x00, 0x00, (uint8_t)ver, 0x00, (uint8_t)(0x10 + (i & 15))};

	memcpy(mac, m, 6);
	if ((i & 15) == 15)
		mac[0] = 0x01; /* multicast: no host has it */
}

/* What the static entries must be: ip -> mac (model). */
static struct {
	bool on;
	uint8_t mac[6];
} statics[NSEND];
static bool static9_touched;	/* the input changed FUZZ_STATIC_IP */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_stack_init();
	return 0;
}

static void model_reset(void)
{
	memset(statics, 0, sizeof(statics));
	for (unsigned int i = 0; i < NSEND; i++)
		if (sender_ip(i) == FUZZ_STATIC_IP) {
			statics[i].on = true;
			memcpy(statics[i].mac, fuzz_static_mac, 6);
		}
	static9_touched = false;
}

static void arp_frame(uint8_t op, uint8_t a, uint8_t b)
{
	uint8_t f[PP_ETH_ZLEN], sha[6];
	unsigned int s = a & 15, tsel = (b >> 2) & 7;
	uint32_t spa = sender_ip(s), tpa = FUZZ_OUR_IP;
	const uint8_t *dst = bcast, *tha = NULL;
	uint16_t aop = (uint16_t)((b & 3) == 2 ? 1 : (b & 3) == 0 ? 1 : (b & 3) == 1 ? 2 : 3);
	size_t len = (op & 0x10) ? PP_ETH_ZLEN : PP_ETH_HLEN + 28;

	sender_mac(s, (a >> 4) & 3, sha);
	switch (a >> 6) {
	case 1:
		dst = fz.st->mac;
		break;
	case 2:
		dst = other_mac;
		break;
	default:
		break;
	}
	switch (tsel) {
	case 1:
		tpa = spa;
		break;
	case 2:
		tpa = sender_ip(b >> 5);
		break;
	case 3:
		spa = 0;
		break;
	case 4:
		spa = 0;
		tpa = sender_ip(b >> 5);
		break;
	case 5:
		tha = fz.st->mac;
		break;
	case 6:
		tpa = FUZZ_IP(192, 168, 1, 1);
		break;
	case 7:
		tpa = 0xffffffffu;
		break;
	default:
		break;
	}
	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[14] = 0x00, f[15] = 0x01;	/* Ethernet */
	f[16] = 0x08, f[17] = 0x00;	/* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = (uint8_t)(aop >> 8), f[21] = (uint8_t)aop;
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, &spa, 4);
	if (tha)
		memcpy(f + 32, tha, 6);
	memcpy(f + 38, &tpa, 4);
	fuzz_rx_frame(f, len, op & 0x08);
}

static void send_to(uint8_t h)
{
	static uint8_t payload[1500];
	unsigned int s = h & 15;
	uint32_t dst = s < 12 ? sender_ip(s) : FUZZ_IP(192, 168, 2, s);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = dst};
	size_t len = (size_t)(h >> 4) * 100;
	ssize_t r;

	fuzz_rx_flush();
	memset(payload, h, len);
	r = pp_sendto(fz.sk[0], payload, len, PP_MSG_DONTWAIT, (struct sockaddr *)&sin,
		      sizeof(sin));
	FUZZ_CHECK(r == (ssize_t)len || (r < 0 && r > -4096), "pp_sendto(%zu): %zd", len, r);
	fuzz_lane_run();
}

static void set_static(uint8_t op, uint8_t sb)
{
	unsigned int s = sb & 15;
	uint32_t ip = sender_ip(s);
	uint8_t mac[6];
	int err;

	fuzz_rx_flush();
	if (ip == FUZZ_STATIC_IP)
		static9_touched = true;
	if (op & 0x08) {
		err = pp_neigh_del(fz.st, ip);
		FUZZ_CHECK(err == 0 || err == -ENOENT || err == -EINVAL, "pp_neigh_del: %d", err);
		statics[s].on = false;
		return;
	}
	sender_mac(s, (sb >> 4) & 3, mac);
	err = pp_neigh_add(fz.st, ip, mac);
	if (!err) {
		statics[s].on = true;
		memcpy(statics[s].mac, mac, 6);
	} else {
		/* our own address, loopback, a multicast MAC: refused, not stored */
		FUZZ_CHECK(err == -EINVAL || err == -ENOBUFS, "pp_neigh_add: %d", err);
	}
}

static void update(uint8_t sb)
{
	unsigned int s = sb & 15;
	uint8_t mac[6];
	int err;

	fuzz_rx_flush();
	sender_mac(s, (sb >> 4) & 3, mac);
	err = pp_neigh_update(fz.st, sender_ip(s), mac);
	FUZZ_CHECK(err == 0 || err == -ENOENT || err == -EPERM || err == -EINVAL,
		   "pp_neigh_update: %d", err);
	FUZZ_CHECK(!(err == 0 && statics[s].on), "pp_neigh_update changed a static entry");
}

/* The entries of every sender against the model. */
static void check_entries(void)
{
	pp__lane_online();
	for (unsigned int s = 0; s < NSEND; s++) {
		uint32_t ip = sender_ip(s);
		enum pp_neigh_state state;
		uint8_t mac[6];
		int err = pp__neigh_lookup(fz.st->neigh, ip, &state, mac);

		if (ip == FUZZ_OUR_IP)
			continue;
		if (statics[s].on) {
			FUZZ_CHECK(err == 0 && state == PP_NUD_PERMANENT && !memcmp(mac, statics[s].mac, 6),
				   "static entry of sender %u: err %d state %d", s, err, (int)state);
			continue;
		}
		if (err == -ENOENT)
			continue;
		FUZZ_CHECK(err == 0, "pp__neigh_lookup: %d", err);
		FUZZ_CHECK(state >= PP_NUD_INCOMPLETE && state <= PP_NUD_FAILED,
			   "sender %u: state %d (static %d)", s, (int)state, statics[s].on);
		if (state == PP_NUD_REACHABLE || state == PP_NUD_STALE)
			FUZZ_CHECK(pp__eth_addr_unicast(mac), "sender %u: state %d with MAC %02x:..",
				   s, (int)state, mac[0]);
	}
	pp__lane_offline();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned int ops = 0;

	fuzz_stack_init();
	model_reset();
	for (unsigned int i = 0; i < NSEND; i++)
		fuzz_note_ip(sender_ip(i));
	fuzz_note_ip(FUZZ_IP(10, 0, 0, 2));
	while (fuzz_more(&in) && fz.frames < FUZZ_MAX_FRAMES && ops++ < FUZZ_MAX_OPS) {
		uint8_t op = fuzz_u8(&in);

		switch (op & 7) {
		case 0:
		case 1: {
			uint8_t a = fuzz_u8(&in);

			arp_frame(op, a, fuzz_u8(&in));
			break;
		}
		case 2:
			send_to(fuzz_u8(&in));
			break;
		case 3:
			fuzz_advance(fuzz_clock_step(op >> 3));
			break;
		case 4: {
			size_t got;
			const uint8_t *b = fuzz_bytes(&in, fuzz_u8(&in), &got);

			fuzz_rx_frame(b, got, true);
			break;
		}
		case 5:
			set_static(op, fuzz_u8(&in));
			break;
		case 6:
			update(fuzz_u8(&in));
			break;
		default:
			fuzz_rx_flush();
			fuzz_lane_run();
			pp__lane_online();
			(void)pp__neigh_tick(fz.st->neigh, pp__now_ns());
			pp__lane_offline();
			break;
		}
		check_entries();
	}
	fuzz_rx_flush();
	check_entries();
	fuzz_settle();
	if (static9_touched) {
		int err = pp_neigh_add(fz.st, FUZZ_STATIC_IP, fuzz_static_mac);

		FUZZ_CHECK(err == 0, "restoring the static entry: %d", err);
	}
	return 0;
}
