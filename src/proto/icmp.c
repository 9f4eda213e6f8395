// SPDX-License-Identifier: MIT
/*
 * icmp.c - ICMP input: echo replies and destination unreachables (cf.
 * net/ipv4/icmp.c icmp_rcv(), icmp_echo(), icmp_reply(), icmp_send()).
 *
 * An echo reply is made in the request's own frames, as the request is the
 * reply's data: the IPv4 header becomes a transmit template (what udp.c's
 * udp_push_headers() writes: the ip stage adds length, ID and checksum), the
 * ICMP type changes and its checksum is patched incrementally (RFC 1624), so
 * even a 64 KiB ping reassembled from 45 fragments is answered without
 * copying a byte. The pieces of a reassembled request already follow the
 * ip stage's fragment convention (skb->frag chain, payload offset in
 * frag_off, 8-byte multiples); only when they do not fit our MTU, or when a
 * chained reply would fit one packet, is the reply cut again into fresh
 * frames, as icmp_reply() -> ip_append_data() would have cut it.
 *
 * Errors (port and protocol unreachable) quote the offending header and
 * 8 bytes of its payload (RFC 792) in a fresh frame. They are rate limited as
 * the kernel's are (icmp_ratemask 0x1818: unreachables, source quench, time
 * exceeded, parameter problem; echo replies never): a token bucket for the
 * whole stack (icmp_msgs_per_sec 1000, icmp_msgs_burst 50, cf.
 * icmp_global_allow()), then a per-destination one (icmp_ratelimit 1 s with
 * a burst of 6, cf. icmpv4_xrlim_allow() -> inet_peer_xrlim_allow()) in a
 * fixed table per lane. A suppressed error costs no frame: it is counted in
 * the lane's icmp_rl.limited_global / limited_host (the kernel's
 * ICMP_MIB_RATELIMITGLOBAL / RATELIMITHOST), and the offending packet is
 * dropped as it would be anyway.
 *
 * Not mirrored: the kernel takes 0, 1 or 2 credits at random per error
 * (icmp_global_consume(), against the SAD DNS side channel, CVE-2020-25705);
 * here each error takes exactly one, so burst + rate per second is a hard
 * bound, and the global bucket does reveal, as in kernels before 5.10, how
 * many errors were sent.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include <arpa/inet.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/defaults.h"
#include "proto/qsel.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"

#define IPTOS_PREC_INTERNETCONTROL 0xc0
#define IPTOS_TOS_MASK 0x1e

/* Headroom a piece of a reply needs in front of its data: its own IPv4 header
 * (pushed by the ip stage) and the Ethernet header (pushed by neigh). */
#define PIECE_HEADROOM (PP_IPV4_HLEN + PP_ETH_HLEN)

static inline uint32_t chain_len(const struct pp_skb *skb)
{
	uint32_t n = 0;

	for (; skb; skb = skb->frag)
		n += skb->len;
	return n;
}

/* Write the transmit template at @ip (cf. udp_push_headers()). */
static inline void ip_template(struct pp_ipv4_hdr *ip, uint8_t tos, uint32_t saddr, uint32_t daddr)
{
	ip->ver_ihl = 0x45;
	ip->tos = tos;
	ip->tot_len = 0;	/* ip stage */
	ip->id = 0;		/* ip stage */
	ip->frag_off = 0;	/* the ICMP socket's IP_PMTUDISC_DONT: may fragment */
	ip->ttl = PP_IP_DEFTTL;
	ip->protocol = PP_IPPROTO_ICMP;
	ip->check = 0;		/* ip stage */
	ip->saddr = saddr;
	ip->daddr = daddr;
}

/* Metadata of a reply or error ready for the ip stage. */
static void out_meta(struct pp_skb *head, uint32_t hash)
{
	head->net_off = head->data_off;
	head->trans_off = (uint16_t)(head->data_off + PP_IPV4_HLEN);
	for (struct pp_skb *f = head; f; f = f->frag) {
		f->next = NULL;
		f->sk = NULL;
		f->prio = 0;	/* control traffic: first band */
		f->hash = hash;
		f->nexthop = 0;
		f->mac_off = 0;
		f->flags = head->frag ? PP_SKB_F_FRAG : 0;
	}
	head->frag_off = 0;
}

/* Can the reply (data at its 20-byte template) go out in its own frames? */
static bool reply_fits(const struct pp_skb *head, uint16_t mtu)
{
	uint32_t off;

	if (pp_skb_headroom(head) < PP_ETH_HLEN)
		return false;
	if (!head->frag)
		return head->len <= mtu;
	if (chain_len(head) <= mtu)
		return false; /* one packet would do: do not send fragments */
	if (head->len > mtu || (head->len - PP_IPV4_HLEN) % 8)
		return false;
	off = head->len - PP_IPV4_HLEN;
	for (const struct pp_skb *f = head->frag; f; f = f->frag) {
		if (f->frag_off != off || f->len + PP_IPV4_HLEN > mtu || (f->frag && f->len % 8) ||
		    !f->len || pp_skb_headroom(f) < PIECE_HEADROOM)
			return false;
		off += f->len;
	}
	return true;
}

/* A read position in a chain. */
struct cursor {
	const struct pp_skb *skb;
	uint32_t off;
};

static void cursor_copy(struct cursor *c, uint8_t *dst, uint32_t n)
{
	while (n) {
		uint32_t avail = c->skb->len - c->off;

		if (!avail) {
			c->skb = c->skb->frag;
			c->off = 0;
			continue;
		}
		if (avail > n)
			avail = n;
		memcpy(dst, pp_skb_data(c->skb) + c->off, avail);
		dst += avail;
		n -= avail;
		c->off += avail;
	}
}

/*
 * Cut the reply @old (data at its template) again into fresh frames at
 * (mtu - 20) & ~7 bytes of payload each, as ip_append_data() does.
 * Return: the new head, @old untouched; NULL if frames ran out.
 */
static struct pp_skb *reply_recut(struct pp_stage *s, const struct pp_skb *old, uint16_t mtu)
{
	uint32_t total = chain_len(old) - PP_IPV4_HLEN;
	uint32_t fragsz = (uint32_t)(mtu - PP_IPV4_HLEN) & ~7u;
	struct cursor cur = {.skb = old, .off = PP_IPV4_HLEN};
	struct pp_skb *head = NULL, *tail = NULL;
	uint32_t done = 0;

	if (PP_IPV4_HLEN + total <= mtu)
		fragsz = total;
	do {
		uint32_t n = total - done < fragsz ? total - done : fragsz;
		uint32_t hl = head ? 0 : PP_IPV4_HLEN;
		struct pp_skb *f = pp_skb_alloc(s->cache);
		uint8_t *p;

		if (!f)
			goto err;
		if (pp_skb_headroom(f) < PIECE_HEADROOM || !(p = pp_skb_put(f, hl + n))) {
			pp_skb_free(s->cache, f);
			goto err;
		}
		if (hl)
			memcpy(p, pp_skb_data(old), PP_IPV4_HLEN);
		cursor_copy(&cur, p + hl, n);
		f->frag_off = (uint16_t)done;
		if (tail)
			tail->frag = f;
		else
			head = f;
		tail = f;
		done += n;
	} while (done < total);
	return head;
err:
	if (head)
		pp_skb_free(s->cache, head);
	return NULL;
}

static inline void put_l3(struct pp_stage *s, struct pp_rx_out *o, struct pp_skb *skb)
{
	if (PP_UNLIKELY(o->n_l3 >= o->cap)) {
		pp_stage_drop(s, skb, PP_DROP_RING_FULL);
		return;
	}
	o->l3[o->n_l3++] = skb;
}

/* cf. icmp_echo() + icmp_reply(): @skb has data at its IPv4 header (@ihl bytes). */
static void icmp_echo(struct pp_stage *s, struct pp_lane *l, struct pp_skb *skb, uint32_t ihl,
		      struct pp_rx_out *o)
{
	struct pp_stack *st = l->st;
	const struct pp_ipv4_hdr *rq = (const struct pp_ipv4_hdr *)pp_skb_data(skb);
	uint32_t peer = rq->saddr;
	uint8_t tos = rq->tos;
	struct pp_ipv4_hdr *ip;
	struct pp_icmp_hdr *ih;
	uint16_t w_old, w_new, check;

	if (rq->daddr != st->ip) {
		/* icmp_echo_ignore_broadcasts=1: no smurf amplifier */
		pp_stage_drop(s, skb, PP_DROP_NOT_FOR_US);
		return;
	}
	/* options are not echoed (the kernel answers record-route and
	 * timestamp options; we accept and skip them on input) */
	ip = pp_skb_pull(skb, ihl - PP_IPV4_HLEN);
	ip_template(ip, tos, st->ip, peer);
	ih = (struct pp_icmp_hdr *)(ip + 1);
	memcpy(&w_old, ih, 2);
	ih->type = PP_ICMP_ECHOREPLY; /* code, id, sequence and data stay */
	memcpy(&w_new, ih, 2);
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); the request's checksum was
	 * verified, so the patched one is right without reading the data */
	memcpy(&check, &ih->check, 2);
	check = pp_csum_fold((uint64_t)(uint16_t)~check + (uint16_t)~w_old + w_new);
	memcpy(&ih->check, &check, 2);

	if (PP_UNLIKELY(!reply_fits(skb, st->mtu))) {
		struct pp_skb *n = reply_recut(s, skb, st->mtu);

		if (!n) {
			pp_stage_drop(s, skb, PP_DROP_NO_BUFFER);
			return;
		}
		pp_skb_free(s->cache, skb); /* the request, now copied: consumed */
		skb = n;
	}
	out_meta(skb, pp__flow_hash(st->ip, peer, 0, 0, PP_IPPROTO_ICMP));
	put_l3(s, o, skb);
}

/*
 * cf. icmp_err_convert[]: the errno of each destination-unreachable code,
 * and whether the kernel takes it as a hard error (which a connected UDP
 * socket reports without IP_RECVERR, and TCP acts on).
 */
static const struct {
	int err;
	bool fatal;
} icmp_err_convert[] = {
	{ENETUNREACH, false},	/* 0  NET_UNREACH */
	{EHOSTUNREACH, false},	/* 1  HOST_UNREACH */
	{ENOPROTOOPT, true},	/* 2  PROT_UNREACH */
	{ECONNREFUSED, true},	/* 3  PORT_UNREACH */
	{EMSGSIZE, false},	/* 4  FRAG_NEEDED */
	{EOPNOTSUPP, false},	/* 5  SR_FAILED */
	{ENETUNREACH, true},	/* 6  NET_UNKNOWN */
	{EHOSTDOWN, true},	/* 7  HOST_UNKNOWN */
	{ENONET, true},		/* 8  HOST_ISOLATED */
	{ENETUNREACH, true},	/* 9  NET_ANO */
	{EHOSTUNREACH, true},	/* 10 HOST_ANO */
	{ENETUNREACH, false},	/* 11 NET_UNR_TOS */
	{EHOSTUNREACH, false},	/* 12 HOST_UNR_TOS */
	{EHOSTUNREACH, true},	/* 13 PKT_FILTERED */
	{EHOSTUNREACH, true},	/* 14 PREC_VIOLATION */
	{EHOSTUNREACH, true},	/* 15 PREC_CUTOFF */
};

/*
 * cf. icmp_unreach() -> icmp_socket_deliver(): an error about a datagram we
 * sent goes to the protocol that sent it. Everything quoted is hostile: the
 * quoted IPv4 header must be whole, say version 4, come from our address,
 * and be followed by 8 bytes of its transport header (RFC 792's minimum),
 * all within the first frame of the message (@len bytes from @ih).
 */
static void icmp_unreach(struct pp_lane *l, const struct pp_icmp_hdr *ih, uint32_t len)
{
	const struct pp_ipv4_hdr *inner = (const struct pp_ipv4_hdr *)(ih + 1);
	const struct pp_inet_protocol *ipp;
	uint32_t ihl;
	int err;
	bool fatal;

	if (len < sizeof(*ih) + PP_IPV4_HLEN + 8)
		return;
	ihl = (uint32_t)(inner->ver_ihl & 0x0f) * 4;
	if ((inner->ver_ihl >> 4) != 4 || ihl < PP_IPV4_HLEN ||
	    len < sizeof(*ih) + ihl + 8 || inner->saddr != l->st->ip)
		return;
	if (ih->type == PP_ICMP_TIME_EXCEEDED) {
		err = EHOSTUNREACH;
		fatal = false;
	} else if (ih->code < sizeof(icmp_err_convert) / sizeof(icmp_err_convert[0])) {
		err = icmp_err_convert[ih->code].err;
		fatal = icmp_err_convert[ih->code].fatal;
	} else {
		return; /* cf. icmp_unreach(): codes past NR_ICMP_UNREACH are ignored */
	}
	ipp = l->st->inet_protos[inner->protocol];
	if (ipp && ipp->err_handler)
		ipp->err_handler(l, inner, (const uint8_t *)inner + ihl, len - sizeof(*ih) - ihl,
				 err, fatal);
}

uint16_t pp__icmp_input(struct pp_stage *s, struct pp_skb **pkts, uint16_t n, struct pp_rx_out *o)
{
	struct pp_lane *l;

	if (!s || !pkts || !o || !(l = s->ctx))
		return 0;
	pp_stage_count_in(s, pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		struct pp_skb *skb = pkts[i];
		const uint8_t *p = pp_skb_data(skb);
		uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
		const struct pp_icmp_hdr *ih;
		unsigned int odd = 0;
		uint64_t sum;

		/* cf. icmp_rcv(): the header in the first piece, then the
		 * checksum of the whole message */
		if (PP_UNLIKELY(skb->len < ihl + sizeof(*ih) || ihl < PP_IPV4_HLEN)) {
			pp_stage_drop(s, skb, PP_DROP_MALFORMED);
			continue;
		}
		ih = (const struct pp_icmp_hdr *)(p + ihl);
		sum = pp_csum_partial(ih, skb->len - ihl, 0, &odd);
		for (const struct pp_skb *f = skb->frag; f; f = f->frag)
			sum = pp_csum_partial(pp_skb_data(f), f->len, sum, &odd);
		if (PP_UNLIKELY(pp_csum_fold(sum))) {
			pp_stage_drop(s, skb, PP_DROP_BAD_CSUM);
			continue;
		}
		skb->trans_off = pp_skb_offset(skb, ih);
		if (ih->type == PP_ICMP_ECHO) {
			icmp_echo(s, l, skb, ihl, o);
			continue;
		}
		if (ih->type == PP_ICMP_DEST_UNREACH || ih->type == PP_ICMP_TIME_EXCEEDED)
			icmp_unreach(l, ih, skb->len - ihl);
		/* echo replies and the errors, once their protocol has seen
		 * them: nothing else waits for them (no raw sockets, no PMTU
		 * discovery): consumed */
		pp_skb_free(s->cache, skb);
	}
	return n;
}

/* ---- rate limits ------------------------------------------------------------ */

void pp__icmp_rl_init(struct pp__icmp_rl *rl)
{
	uint32_t k = 0;

	memset(rl, 0, sizeof(*rl));
	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k))
		k = (uint32_t)(pp__now_ns() ^ (uintptr_t)rl);
	rl->key = k | 1u;
}

/*
 * cf. icmp_global_allow() (6.10+, lockless): spend a credit while there is
 * one; once spent, refill by the time passed since the last refill (at most
 * one second's worth, never more often than every 20 ms, the kernel's
 * HZ / 50), up to the burst. Several lanes may find the same credit (the
 * kernel accepts that race too): the bucket can go a little below zero.
 */
static bool icmp_global_allow(struct pp_stack *st, uint64_t now)
{
	uint64_t old, delta;
	int32_t incr, c;

	if (atomic_load_explicit(&st->icmp_credit, memory_order_relaxed) > 0)
		return true;
	old = atomic_load_explicit(&st->icmp_stamp, memory_order_relaxed);
	delta = now - old; /* a clock set back counts as a long time */
	if (delta > PP_NSEC_PER_SEC)
		delta = PP_NSEC_PER_SEC;
	if (delta < PP_NSEC_PER_SEC / 50)
		return false;
	incr = (int32_t)(st->lim.icmp_msgs_per_sec * delta / PP_NSEC_PER_SEC);
	if (!incr)
		return false;
	if (atomic_compare_exchange_strong_explicit(&st->icmp_stamp, &old, now,
						    memory_order_relaxed, memory_order_relaxed)) {
		c = atomic_load_explicit(&st->icmp_credit, memory_order_relaxed);
		while (!atomic_compare_exchange_weak_explicit(
			&st->icmp_credit, &c, c + incr < (int32_t)st->lim.icmp_msgs_burst ?
						      c + incr : (int32_t)st->lim.icmp_msgs_burst,
			memory_order_relaxed, memory_order_relaxed))
			;
	}
	return true;
}

/*
 * cf. inet_peer_xrlim_allow(): tokens are time, earned as it passes, at most
 * 6 limits' worth; an error costs one limit. A destination not in the table
 * starts full (inet_getpeer() sets rate_last 60 s back); it takes the way
 * of its set limited longest ago.
 */
static bool icmp_peer_allow(struct pp__icmp_rl *rl, uint32_t daddr, uint64_t now)
{
	/* keyed, so that senders cannot aim at one set */
	uint32_t set = (((daddr ^ rl->key) * 0x9e3779b1u) >> 16) % PP_ICMP_PEER_SETS;
	struct pp__icmp_peer *p = &rl->peer[set * PP_ICMP_PEER_WAYS], *victim = p;
	const uint64_t cap = PP_ICMP_XRLIM_BURST * PP_ICMP_RATELIMIT_NS;
	uint64_t token;

	for (unsigned int w = 0; w < PP_ICMP_PEER_WAYS; w++, p++) {
		if (p->daddr == daddr)
			goto found;
		/* a free way, else the one limited longest ago */
		if (victim->daddr && (!p->daddr || p->last_ns < victim->last_ns))
			victim = p;
	}
	p = victim;
	p->daddr = daddr;
	p->tokens_ns = cap;
	p->last_ns = now;
found:
	token = p->tokens_ns + (now >= p->last_ns ? now - p->last_ns : 0);
	p->last_ns = now;
	if (token > cap)
		token = cap;
	if (token < PP_ICMP_RATELIMIT_NS) {
		p->tokens_ns = token;
		return false;
	}
	p->tokens_ns = token - PP_ICMP_RATELIMIT_NS;
	return true;
}

/*
 * cf. icmpv4_global_allow() + icmpv4_xrlim_allow() + icmp_global_consume():
 * may the lane send an error of @type to @daddr now? A credit is spent only
 * when both say yes.
 */
static bool icmp_error_allow(struct pp_lane *l, uint8_t type, uint32_t daddr)
{
	struct pp__icmp_rl *rl = &l->icmp_rl;
	uint64_t now;

	if (!((1u << type) & PP_ICMP_RATEMASK))
		return true;
	now = pp__now_ns();
	if (!icmp_global_allow(l->st, now)) {
		PP_STAT_ADD(rl->limited_global, 1);
		return false;
	}
	if (!icmp_peer_allow(rl, daddr, now)) {
		PP_STAT_ADD(rl->limited_host, 1);
		return false;
	}
	atomic_fetch_sub_explicit(&l->st->icmp_credit, 1, memory_order_relaxed);
	return true;
}

int pp__icmp_send_unreach(struct pp_stage *s, const struct pp_skb *orig, uint8_t code,
			  struct pp_rx_out *o)
{
	struct pp_lane *l;
	const struct pp_ipv4_hdr *oip;
	struct pp_ipv4_hdr *ip;
	struct pp_icmp_hdr *ih;
	struct pp_skb *skb;
	uint32_t ihl, quote, peer;
	uint32_t h;

	if (!s || !orig || !o || !(l = s->ctx) || orig->len < PP_IPV4_HLEN)
		return -EINVAL;
	oip = (const struct pp_ipv4_hdr *)pp_skb_data(orig);
	ihl = (uint32_t)(oip->ver_ihl & 0x0f) * 4;
	peer = oip->saddr;
	h = ntohl(peer);
	/* cf. icmp_send(): never about an ICMP message (errors must not
	 * answer errors), never to a source that is no single host */
	if (ihl < PP_IPV4_HLEN || orig->len < ihl || oip->protocol == PP_IPPROTO_ICMP || !h ||
	    h == 0xffffffffu || (h >> 28) == 0xe || (oip->frag_off & htons(PP_IP_OFFMASK)))
		return -EINVAL;
	/* nor to our own subnet's broadcast address (a martian source the
	 * receive stage already refuses: defence in depth) */
	if (l->st->mask != 0xffffffffu && ntohl(l->st->mask) != 0xfffffffeu &&
	    peer == ((l->st->ip & l->st->mask) | ~l->st->mask))
		return -EINVAL;
	if (!icmp_error_allow(l, PP_ICMP_DEST_UNREACH, peer))
		return -EAGAIN; /* counted in l->icmp_rl */
	quote = ihl + (orig->len - ihl < 8 ? orig->len - ihl : 8);
	if (PP_UNLIKELY(o->n_l3 >= o->cap)) {
		PP_STAT_ADD(s->stats->drops[PP_DROP_RING_FULL], 1);
		return -ENOSPC;
	}
	skb = pp_skb_alloc(s->cache);
	if (!skb) {
		PP_STAT_ADD(s->stats->drops[PP_DROP_NO_BUFFER], 1);
		return -ENOBUFS;
	}
	ip = pp_skb_put(skb, PP_IPV4_HLEN + sizeof(*ih) + quote);
	if (!ip || pp_skb_headroom(skb) < PP_ETH_HLEN) {
		pp_stage_drop(s, skb, PP_DROP_NO_BUFFER);
		return -ENOBUFS;
	}
	ip_template(ip, (uint8_t)((oip->tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL),
		    l->st->ip, peer);
	ih = (struct pp_icmp_hdr *)(ip + 1);
	ih->type = PP_ICMP_DEST_UNREACH;
	ih->code = code;
	ih->check = 0;
	ih->id = 0;	/* unused */
	ih->seq = 0;	/* next-hop MTU, for code 4 only */
	memcpy(ih + 1, oip, quote);
	ih->check = pp_csum(ih, sizeof(*ih) + quote);
	out_meta(skb, pp__flow_hash(l->st->ip, peer, 0, 0, PP_IPPROTO_ICMP));
	o->l3[o->n_l3++] = skb;
	return 0;
}
