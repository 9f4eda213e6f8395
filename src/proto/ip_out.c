// SPDX-License-Identifier: MIT
/*
 * ip_out.c - the IPv4 output stage: route, header, fragments.
 *
 * Mirrors ip_queue_xmit()/ip_make_skb() -> ip_local_out() -> ip_output() ->
 * ip_finish_output() -> ip_fragment(), for packets a transport has built. The
 * transport pushed an IPv4 header template (addresses, protocol, TOS, TTL, DF
 * policy) at net_off; the data of the first skb starts there. A datagram
 * larger than the MTU arrives already cut at 8-byte multiples into a chain of
 * frames (skb->frag, each with its payload offset in frag_off), as
 * ip_append_data() builds it; this stage writes one header per fragment, so
 * ip_fragment()'s fast path (frag_list) is the only path.
 *
 * The route comes from the transport (PP_SKB_F_NOROUTE: the sender looked it
 * up with pp__ip_route_output(), through the socket's destination cache when
 * its route generation is still current, cf. sk_dst_check()), or from a
 * longest-prefix-match lookup under RCU here (ICMP replies).
 *
 * IPv4 IDs are not one counter per lane, which would tell anyone who sees
 * two of our packets how many we sent in between (the idle-scan problem):
 * as __ip_select_ident() -> ip_idents_reserve(), a keyed hash (SipHash-2-4,
 * a random key per lane) of (daddr, saddr, protocol) picks one of 2048
 * counters, and a counter idle for a while jumps ahead by a random amount
 * below the milliseconds it slept. Per lane rather than shared: lanes share
 * nothing, and a destination only needs its IDs to differ among the
 * datagrams that may be in flight to it at once; two lanes sending to one
 * destination draw from two counters that started at random points, which
 * repeats an ID no sooner than the kernel's shared counter wraps under the
 * same load. One ID per datagram: its fragments share it.
 * Not mirrored: the kernel gives connected sockets a private counter
 * (inet_id) and DF packets without a socket ID 0 (ip_select_ident_segs());
 * here every datagram takes the hashed one.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <arpa/inet.h>
#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/siphash.h"
#include "proto/stack_priv.h"

/*
 * Fill length, ID and fragment field and the checksum. The checksum is summed
 * from values, not read back from the header just written: the 16-bit stores
 * would not forward to 32-bit loads, and that stall cost more than all the
 * rest of this stage. The template fields (version, TOS, TTL, protocol,
 * addresses) were written by the transport long before.
 */
static inline void ip_finish_header(struct pp_ipv4_hdr *ip, uint16_t tot_len, uint16_t id,
				    uint16_t frag)
{
	uint16_t w0, w4, tl = htons(tot_len), idn = htons(id);
	uint32_t sa, da;

	memcpy(&w0, ip, 2);		/* version/IHL, TOS */
	memcpy(&w4, &ip->ttl, 2);	/* TTL, protocol */
	memcpy(&sa, &ip->saddr, 4);
	memcpy(&da, &ip->daddr, 4);
	ip->tot_len = tl;
	ip->id = idn;
	ip->frag_off = frag;
	ip->check = pp_csum_fold((uint64_t)w0 + tl + idn + frag + w4 + sa + da);
}

/* ---- IP IDs (cf. ip_idents_reserve(), __ip_select_ident()) ------------------- */

/* splitmix64: the lane's cheap PRNG, seeded from getrandom() */
static inline uint64_t idents_rand(struct pp__ip_idents *t)
{
	uint64_t z = (t->rnd += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void pp__ip_idents_init(struct pp__ip_idents *t)
{
	uint64_t seed[3];

	memset(t, 0, sizeof(*t));
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		/* no entropy yet (early boot): weaker, still not sequential */
		uint64_t x = pp__now_ns() ^ (uintptr_t)t;

		for (unsigned int i = 0; i < 3; i++)
			seed[i] = x = x * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	}
	t->key[0] = seed[0];
	t->key[1] = seed[1];
	t->rnd = seed[2];
	/* counters start anywhere (the kernel fills ip_idents at random) */
	for (unsigned int i = 0; i < PP_IP_IDENTS; i++)
		t->id[i] = (uint32_t)idents_rand(t);
}

/* Bucket of (daddr, saddr, protocol) (network order, as the kernel hashes). */
static inline uint32_t idents_bucket(const struct pp__ip_idents *t, uint32_t daddr, uint32_t saddr,
				     uint8_t proto)
{
	return (uint32_t)pp__siphash_3u32(daddr, saddr, proto, t->key) & (PP_IP_IDENTS - 1);
}

/*
 * The kernel's jiffies, in ms: the coarse clock is what the kernel ticks
 * (a few ns from the vDSO, no TSC read), or the fake clock of tests.
 */
static inline uint32_t idents_now_ms(void)
{
	uint64_t fake = __atomic_load_n(&pp__clock_fake_ns, __ATOMIC_RELAXED);
	struct timespec ts;

	if (fake)
		return (uint32_t)(fake / PP_NSEC_PER_MSEC);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / PP_NSEC_PER_MSEC);
}

/* cf. ip_idents_reserve(): the value of bucket @b from which IDs are taken;
 * a bucket unused since an earlier millisecond first jumps ahead by a random
 * amount below the milliseconds it slept. */
static inline uint32_t idents_take(struct pp__ip_idents *t, uint32_t b, uint32_t now_ms)
{
	uint32_t old = t->stamp[b];

	if (old != now_ms) {
		t->stamp[b] = now_ms;
		/* get_random_u32_below(now - old), by Lemire's reduction */
		t->id[b] += (uint32_t)(((idents_rand(t) & 0xffffffffull) * (now_ms - old)) >> 32);
	}
	return t->id[b];
}

/* Resolve the next hop of @skb whose IPv4 header is @ip. 0 or -ENETUNREACH.
 * What sockets send was routed in the sender's context (pp__ip_route_output()
 * with the socket's destination cache): it comes with PP_SKB_F_NOROUTE. The
 * rest (ICMP replies) is looked up here, once per destination in a burst. */
static int ip_route(struct pp_lane *l, struct pp_skb *skb, const struct pp_ipv4_hdr *ip,
		    uint32_t *last_daddr, uint32_t *last_nh)
{
	struct pp_route_result res;
	uint32_t daddr = ip->daddr;

	if (skb->flags & PP_SKB_F_NOROUTE)
		return 0;
	if (*last_daddr == daddr && *last_nh) {
		skb->nexthop = *last_nh;
		return 0;
	}
	if (pp__route_lookup(l->st->routes, daddr, &res))
		return -ENETUNREACH;
	skb->nexthop = res.nexthop;
	*last_daddr = daddr;
	*last_nh = res.nexthop;
	return 0;
}

#define ID_NONE (~0ull) /* no flow key: (daddr << 8 | protocol) never has all 64 bits set */

uint16_t pp__ip_output(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_skb **out)
{
	struct pp_lane *l = s->ctx;
	uint32_t last_daddr = 0, last_nh = 0;
	uint16_t mtu = l->st->mtu;
	uint16_t nout = 0;
	/* IDs: while the flow stays the same, the bucket's counter stays in
	 * id_next (written back when the flow changes and at the end), so a
	 * burst costs one clock read, and a hash only for a flow other than
	 * the last one's */
	struct pp__ip_idents *ids = &l->ipid;
	uint64_t id_key = ID_NONE;	/* daddr << 8 | protocol; ID_NONE: nothing taken yet */
	uint32_t id_b = 0, id_next = 0, now_ms = 0;

	pp_stage_count_in(s, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = pkts[i];
		struct pp_ipv4_hdr *ip = (struct pp_ipv4_hdr *)pp_skb_data(skb);

		if (i + 1 < n)
			__builtin_prefetch(pp_skb_data(pkts[i + 1]), 1);
		if (PP_UNLIKELY(ip_route(l, skb, ip, &last_daddr, &last_nh))) {
			pp_stage_drop(s, skb, PP_DROP_NO_ROUTE);
			continue;
		}
		uint32_t da;

		/* the flow key is (daddr, protocol): saddr is the stack's one
		 * address, hashed in with the rest when the key changes. A
		 * 32-bit load, as the transport stored it (a wider one over two
		 * recent stores would not forward) */
		memcpy(&da, &ip->daddr, 4);
		uint64_t key = (uint64_t)da << 8 | ip->protocol;

		if (PP_UNLIKELY(key != id_key)) {
			if (id_key != ID_NONE)
				ids->id[id_b] = id_next;
			else
				now_ms = idents_now_ms();
			id_key = key;
			if (ids->last_valid && ids->last_key == key) {
				id_b = ids->last_b; /* the flow of the last burst */
			} else {
				id_b = idents_bucket(ids, ip->daddr, ip->saddr, ip->protocol);
				ids->last_key = key;
				ids->last_b = id_b;
				ids->last_valid = true;
			}
			id_next = idents_take(ids, id_b, now_ms);
		}
		uint16_t id = (uint16_t)id_next++;

		if (PP_LIKELY(!skb->frag)) {
			if (PP_UNLIKELY(skb->len > mtu)) {
				/* the transport cuts what may be fragmented, so this
				 * only happens with DF or a forged length */
				pp_stage_drop(s, skb, PP_DROP_TOO_BIG);
				continue;
			}
			ip_finish_header(ip, skb->len, id, ip->frag_off);
			out[nout++] = skb;
			continue;
		}
		if (PP_UNLIKELY(ip->frag_off & htons(PP_IP_DF))) {
			pp_stage_drop(s, skb, PP_DROP_TOO_BIG);
			continue;
		}
		/* cf. ip_fragment() fast path: every piece gets a copy of the
		 * header with its own length, offset and MF bit */
		struct pp_skb *f = skb->frag;


		ip_finish_header(ip, skb->len, id, htons(PP_IP_MF));
		for (; f; f = f->frag) {
			struct pp_ipv4_hdr *fip = pp_skb_push(f, PP_IPV4_HLEN);
			uint16_t frag = (uint16_t)(f->frag_off >> 3);

			/* the transport left PP_SKB_META + headroom in every
			 * fragment, so the push cannot fail */
			memcpy(fip, ip, PP_IPV4_HLEN);
			if (f->frag)
				frag |= PP_IP_MF;
			f->net_off = pp_skb_offset(f, fip);
			f->nexthop = skb->nexthop;
			ip_finish_header(fip, f->len, id, htons(frag));
		}
		out[nout++] = skb;
	}
	if (id_key != ID_NONE)
		ids->id[id_b] = id_next;
	return nout;
}

/*
 * pp__ip_route_output() - the route of a datagram @sk sends to @daddr, looked
 * up in the sender's context (cf. ip_route_output_flow() in udp_sendmsg()),
 * so that an unroutable destination is the caller's -ENETUNREACH rather than
 * a silent drop further down. The socket's destination cache (its last
 * destination, connected or not) is used while the route table's generation
 * is unchanged (cf. sk_dst_check()), and refilled otherwise.
 * Return: 0 and *@nexthop (0: on link, the destination itself); -ENETUNREACH.
 * Context: the socket's lane thread, online (RCU).
 */
int pp__ip_route_output(struct pp_sock *sk, uint32_t daddr, uint32_t *nexthop)
{
	struct pp_route_table *t = sk->st->routes;
	uint32_t gen = pp__route_gen(t);
	struct pp_route_result res;

	if (sk->dst.valid && sk->dst.daddr == daddr && sk->dst.gen == gen) {
		*nexthop = sk->dst.nexthop;
		return 0;
	}
	if (pp__route_lookup(t, daddr, &res))
		return -ENETUNREACH;
	*nexthop = res.nexthop;
	/* kept for the next send to the same destination, connected or not
	 * (the kernel caches a connected socket's route only; this cache is
	 * checked against the destination and the table's generation, so
	 * an unconnected sender that repeats its destination gains too) */
	sk->dst.daddr = daddr;
	sk->dst.nexthop = res.nexthop;
	sk->dst.gen = gen;
	sk->dst.valid = true;
	return 0;
}

void pp__ip_queue_xmit(struct pp_lane *l, struct pp_skb **pkts, uint16_t n)
{
	bool timed = l->st->dev.timed;
	struct pp_skb *a[PP_STAGE_OUT_CAP], *b[PP_STAGE_OUT_CAP];

	/* a fragment chain is one skb here, and neigh adds at most one ARP
	 * request per skb: PP_BURST_MAX in fits the stages' out arrays */
	for (uint16_t i = 0; i < n; i = (uint16_t)(i + PP_BURST_MAX)) {
		uint16_t m = (uint16_t)(n - i < PP_BURST_MAX ? n - i : PP_BURST_MAX);
		uint16_t na = pp_stage_call(&l->s_ip, pp__ip_output, pkts + i, m, a, timed);
		uint16_t nb = pp_stage_call(&l->s_neigh, pp__neigh_output, a, na, b, timed);

		pp__dev_queue_xmit(l->dev, b, nb);
	}
}

uint32_t pp__inet_poll(void *arg)
{
	struct pp_lane *l = arg;
	uint32_t moved = l->nmore;

	if (PP_UNLIKELY(l->nmore))
		pp__sock_xmit_flush(l);
	if (PP_UNLIKELY(!pp__neigh_lane_idle(l->nl))) {
		struct pp_skb *b[PP_STAGE_OUT_CAP];
		uint16_t nb = pp__neigh_poll(&l->s_neigh, pp__now_ns(), b, PP_STAGE_OUT_CAP);

		pp__dev_queue_xmit(l->dev, b, nb);
		moved += nb;
	}
	return moved;
}
