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
 * 8 bytes of its payload (RFC 792) in a fresh frame; they are not rate
 * limited (the kernel's icmp_ratelimit is not mirrored).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <arpa/inet.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>

#include "proto/csum.h"
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
		/* echo replies, unreachables, time exceeded...: nothing here
		 * waits for them (no raw sockets, no PMTU discovery): consumed */
		pp_skb_free(s->cache, skb);
	}
	return n;
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
