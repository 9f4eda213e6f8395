// SPDX-License-Identifier: MIT
/*
 * reasm.c - IPv4 reassembly (cf. net/ipv4/ip_fragment.c ip_defrag(),
 * ip_frag_queue(), ip_frag_reasm(), and inet_frag_queue_insert(),
 * inet_frag_find(), the evictor and the expiry timer of inet_fragment.c).
 *
 * One table per lane, used by that lane's thread only: no lock. Queues (one
 * per datagram, keyed by source, destination, ID and protocol as the kernel's
 * struct ipq) come from an array made at create; a free list, hash chains and
 * an age list link them by index. Fragments are the received frames, kept in
 * offset order through skb->frag with their data pulled to their payload;
 * skb->frag_off holds each one's payload offset. Since every queue lives for
 * the same timeout from its creation, the age list is also the expiry order:
 * expiring and evicting both take from its head.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pktpipe/prot/ipv4.h>

#include "core/time.h"
#include "proto/csum.h"
#include "proto/reasm.h"

#define Q_NONE UINT32_MAX
#define Q_FIRST_IN 0x1	/* the offset 0 fragment is here (INET_FRAG_FIRST_IN) */
#define Q_LAST_IN 0x2	/* the fragment without MF is here (INET_FRAG_LAST_IN) */
#define IP_MAXPACKET 65535u

struct reasm_q {
	uint32_t saddr, daddr;	/* key, network order */
	uint16_t id;		/* key, network order */
	uint8_t proto;		/* key */
	uint8_t flags;		/* Q_* */
	uint8_t first_ihl;	/* header bytes of the offset 0 fragment */
	bool used;
	uint32_t len;		/* payload end: known end (LAST_IN) or furthest seen */
	uint32_t meat;		/* payload bytes held */
	uint32_t bytes;		/* frame bytes charged */
	uint32_t nfrags;
	uint64_t expires;
	struct pp_skb *head, *tail; /* in offset order through ->frag */
	uint32_t hnext;		/* hash chain, or free list */
	uint32_t aprev, anext;	/* age list */
};

struct pp_reasm {
	uint32_t max_bytes;	/* const */
	uint64_t timeout_ns;	/* const */
	uint32_t nq;		/* const: queues */
	uint32_t hmask;		/* const: buckets - 1 */
	uint32_t seed;		/* const: hash seed */
	uint32_t free;		/* free list head */
	uint32_t oldest, newest; /* age list */
	uint32_t nused;
	uint64_t bytes;		/* frame bytes held over every queue */
	uint64_t frags;
	uint64_t completed;
	uint32_t *buckets;	/* [hmask + 1] */
	struct reasm_q q[];	/* [nq] */
};

int pp__reasm_create(uint32_t max_bytes, uint64_t timeout_ns, struct pp_reasm **out)
{
	struct pp_reasm *r;
	uint32_t nq, nb = 1;

	if (!out)
		return -EINVAL;
	if (!max_bytes)
		max_bytes = PP_REASM_HIGH_THRESH;
	if (!timeout_ns)
		timeout_ns = PP_REASM_TIMEOUT_NS;
	if (max_bytes < PP_REASM_MIN_BYTES || max_bytes > PP_REASM_MAX_BYTES)
		return -EINVAL;
	/* every held datagram holds one frame at least, so this many queues
	 * are never what runs out first with 2 KiB frames */
	nq = max_bytes / PP_FRAME_2K;
	if (nq > 65536)
		nq = 65536;
	while (nb < nq)
		nb <<= 1;
	r = calloc(1, sizeof(*r) + (size_t)nq * sizeof(r->q[0]));
	if (!r)
		return -ENOMEM;
	r->buckets = malloc((size_t)nb * sizeof(r->buckets[0]));
	if (!r->buckets) {
		free(r);
		return -ENOMEM;
	}
	r->max_bytes = max_bytes;
	r->timeout_ns = timeout_ns;
	r->nq = nq;
	r->hmask = nb - 1;
	/* a per-table seed keeps senders from aiming at one hash chain
	 * (cf. the kernel's per-netns siphash key of inet_frags) */
	r->seed = (uint32_t)(pp__now_ns() ^ (uintptr_t)r) | 1u;
	for (uint32_t i = 0; i < nb; i++)
		r->buckets[i] = Q_NONE;
	for (uint32_t i = 0; i < nq; i++)
		r->q[i].hnext = i + 1 < nq ? i + 1 : Q_NONE;
	r->free = 0;
	r->oldest = r->newest = Q_NONE;
	*out = r;
	return 0;
}

static inline uint32_t q_hash(const struct pp_reasm *r, uint32_t saddr, uint32_t daddr, uint16_t id,
			      uint8_t proto)
{
	/* lookup3-style final mix of the key words */
	uint32_t a = saddr ^ r->seed, b = daddr, c = (uint32_t)id << 16 | proto;

#define ROL(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
	c ^= b; c -= ROL(b, 14);
	a ^= c; a -= ROL(c, 11);
	b ^= a; b -= ROL(a, 25);
	c ^= b; c -= ROL(b, 16);
	a ^= c; a -= ROL(c, 4);
	b ^= a; b -= ROL(a, 14);
	c ^= b; c -= ROL(b, 24);
#undef ROL
	return c & r->hmask;
}

/* Unlink queue @i from its hash chain and the age list, put it back free. */
static void q_release(struct pp_reasm *r, uint32_t i)
{
	struct reasm_q *q = &r->q[i];
	uint32_t *pp = &r->buckets[q_hash(r, q->saddr, q->daddr, q->id, q->proto)];

	while (*pp != i)
		pp = &r->q[*pp].hnext;
	*pp = q->hnext;
	if (q->aprev != Q_NONE)
		r->q[q->aprev].anext = q->anext;
	else
		r->oldest = q->anext;
	if (q->anext != Q_NONE)
		r->q[q->anext].aprev = q->aprev;
	else
		r->newest = q->aprev;
	r->bytes -= q->bytes;
	r->frags -= q->nfrags;
	r->nused--;
	q->used = false;
	q->head = q->tail = NULL;
	q->hnext = r->free;
	r->free = i;
}

/* Drop every fragment of queue @i with @why, one count each, and free it
 * (cf. inet_frag_kill() + inet_frag_destroy()). */
static void q_kill(struct pp_reasm *r, struct pp_stage *s, uint32_t i, enum pp_drop_reason why)
{
	struct pp_skb *f = r->q[i].head;

	q_release(r, i);
	while (f) {
		struct pp_skb *next = f->frag;

		f->frag = NULL;
		if (s)
			pp_stage_drop(s, f, why);
		f = next;
	}
}

/* Expire queues whose time passed, oldest first (cf. ip_expire()). */
static void expire(struct pp_reasm *r, struct pp_stage *s, uint64_t now_ns)
{
	while (r->oldest != Q_NONE && r->q[r->oldest].expires <= now_ns)
		q_kill(r, s, r->oldest, PP_DROP_FRAG_TIMEOUT);
}

void pp__reasm_tick(struct pp_reasm *r, struct pp_stage *s, uint64_t now_ns)
{
	if (!r || !s)
		return;
	expire(r, s, now_ns);
}

void pp__reasm_destroy(struct pp_reasm *r, struct pp_stage *s)
{
	if (!r)
		return;
	while (s && r->oldest != Q_NONE)
		q_kill(r, s, r->oldest, PP_DROP_SHUTDOWN);
	free(r->buckets);
	free(r);
}

int pp__reasm_stats(const struct pp_reasm *r, struct pp_reasm_stats *st)
{
	if (!r || !st)
		return -EINVAL;
	st->queues = r->nused;
	st->max_queues = r->nq;
	st->bytes = r->bytes;
	st->frags = r->frags;
	st->completed = r->completed;
	return 0;
}

/* The queue of this key, or a new one (evicting the oldest if none is free);
 * Q_NONE only if the table has no queue at all. */
static uint32_t q_find(struct pp_reasm *r, struct pp_stage *s, uint32_t saddr, uint32_t daddr,
		       uint16_t id, uint8_t proto, uint64_t now_ns)
{
	uint32_t h = q_hash(r, saddr, daddr, id, proto), i;
	struct reasm_q *q;

	for (i = r->buckets[h]; i != Q_NONE; i = r->q[i].hnext) {
		q = &r->q[i];
		if (q->saddr == saddr && q->daddr == daddr && q->id == id && q->proto == proto)
			return i;
	}
	if (r->free == Q_NONE) {
		if (r->oldest == Q_NONE)
			return Q_NONE;
		q_kill(r, s, r->oldest, PP_DROP_FRAG_OVERFLOW);
	}
	i = r->free;
	q = &r->q[i];
	r->free = q->hnext;
	memset(q, 0, sizeof(*q));
	q->saddr = saddr;
	q->daddr = daddr;
	q->id = id;
	q->proto = proto;
	q->used = true;
	q->expires = now_ns + r->timeout_ns;
	q->hnext = r->buckets[h];
	r->buckets[h] = i;
	q->anext = Q_NONE;
	q->aprev = r->newest;
	if (r->newest != Q_NONE)
		r->q[r->newest].anext = i;
	else
		r->oldest = i;
	r->newest = i;
	r->nused++;
	return i;
}

/* The whole datagram of complete queue @i (cf. ip_frag_reasm()). */
static struct pp_skb *q_reasm(struct pp_reasm *r, uint32_t i)
{
	struct reasm_q *q = &r->q[i];
	struct pp_skb *head = q->head;
	uint8_t ihl = q->first_ihl;
	struct pp_ipv4_hdr *ip = pp_skb_push(head, ihl);
	uint16_t tot = (uint16_t)(ihl + q->len);

	q_release(r, i);
	/* the header's bytes are still in the frame: the pull moved data_off
	 * only. Rewrite it as the datagram's, so that the layers above read
	 * one header of the right length (cf. ip_frag_reasm()). */
	ip->tot_len = htons(tot);
	ip->frag_off = 0;
	ip->check = 0;
	ip->check = pp_csum(ip, ihl);
	head->net_off = pp_skb_offset(head, ip);
	for (struct pp_skb *f = head; f; f = f->frag) {
		f->flags |= PP_SKB_F_FRAG;
		f->next = NULL;
	}
	r->completed++;
	return head;
}

struct pp_skb *pp__reasm_add(struct pp_reasm *r, struct pp_stage *s, struct pp_skb *frag,
			     uint64_t now_ns)
{
	const struct pp_ipv4_hdr *ip;
	struct reasm_q *q;
	uint32_t ihl, tot, offset, end, i;
	uint16_t fo;
	bool last;

	if (!frag)
		return NULL;
	if (!s) /* nowhere to count or free it: leave it, as a bad call */
		return NULL;
	if (!r) {
		pp_stage_drop(s, frag, PP_DROP_UNSUPPORTED);
		return NULL;
	}
	/* the caller validated the header; never trust it with memory though */
	ip = (const struct pp_ipv4_hdr *)pp_skb_data(frag);
	if (PP_UNLIKELY(frag->len < PP_IPV4_HLEN || frag->frag)) {
		pp_stage_drop(s, frag, PP_DROP_MALFORMED);
		return NULL;
	}
	ihl = (uint32_t)(ip->ver_ihl & 0x0f) * 4;
	tot = ntohs(ip->tot_len);
	if (PP_UNLIKELY((ip->ver_ihl >> 4) != 4 || ihl < PP_IPV4_HLEN || tot < ihl ||
			tot > frag->len)) {
		pp_stage_drop(s, frag, PP_DROP_MALFORMED);
		return NULL;
	}
	fo = ntohs(ip->frag_off);
	if (!(fo & (PP_IP_MF | PP_IP_OFFMASK)))
		return frag; /* not a fragment: nothing to do */
	pp_skb_trim(frag, tot);
	expire(r, s, now_ns);

	offset = (uint32_t)(fo & PP_IP_OFFMASK) << 3;
	end = offset + tot - ihl;
	last = !(fo & PP_IP_MF);
	i = q_find(r, s, ip->saddr, ip->daddr, ip->id, ip->protocol, now_ns);
	if (i == Q_NONE) {
		pp_stage_drop(s, frag, PP_DROP_FRAG_OVERFLOW);
		return NULL;
	}
	q = &r->q[i];

	/* cf. ip_frag_queue(): where the datagram ends */
	if (last) {
		if (end < q->len || ((q->flags & Q_LAST_IN) && end != q->len))
			goto kill;
		q->flags |= Q_LAST_IN;
		q->len = end;
	} else {
		end &= ~7u; /* only the last fragment may end off an 8-byte boundary */
		if (end > q->len) {
			if (q->flags & Q_LAST_IN)
				goto kill; /* data beyond the end */
			q->len = end;
		}
	}
	if (end <= offset)
		goto kill; /* empty (or, after the trim, nothing left) */
	/* ip_frag_reasm() refuses > 65535 once complete; refusing as soon as
	 * the fragments say so frees the memory early. The smallest header
	 * (20) is assumed until the first fragment shows its own. */
	if (q->len + (offset == 0 ? ihl : (q->flags & Q_FIRST_IN) ? q->first_ihl : PP_IPV4_HLEN) >
	    IP_MAXPACKET)
		goto kill;

	/* cf. inet_frag_queue_insert(): the first fragment ending after our
	 * start is where we go; it must start at or after our end */
	struct pp_skb *prev = NULL, *cur = q->head;

	if (q->tail && q->tail->frag_off + q->tail->len <= offset) {
		prev = q->tail; /* in order: the common case */
		cur = NULL;
	} else {
		while (cur && (uint32_t)cur->frag_off + cur->len <= offset) {
			prev = cur;
			cur = cur->frag;
		}
	}
	if (cur) {
		if (cur->frag_off == offset && (uint32_t)cur->frag_off + cur->len == end) {
			/* exact duplicate: drop it alone (IPFRAG_DUP) */
			pp_stage_drop(s, frag, PP_DROP_FRAG_OVERFLOW);
			return NULL;
		}
		if (cur->frag_off < end)
			goto kill; /* overlap (RFC 5722): the datagram goes */
	}
	/* memory: per datagram, then over the table, oldest others evicted
	 * (cf. the evictor of inet_frag_worker / ipfrag_high_thresh) */
	if ((uint64_t)q->bytes + pp_skb_truesize(frag) > r->max_bytes)
		goto kill;
	while (r->bytes + pp_skb_truesize(frag) > r->max_bytes) {
		uint32_t victim = r->oldest;

		if (victim == i)
			victim = r->q[i].anext;
		if (victim == Q_NONE)
			goto kill;
		q_kill(r, s, victim, PP_DROP_FRAG_OVERFLOW);
	}

	if (offset == 0) {
		q->flags |= Q_FIRST_IN;
		q->first_ihl = (uint8_t)ihl;
	}
	/* keep only the payload in view; the first one's header comes back
	 * with a push at the end */
	pp_skb_pull(frag, ihl);
	pp_skb_trim(frag, end - offset);
	frag->frag_off = (uint16_t)offset;
	frag->frag = cur;
	frag->next = NULL;
	if (prev)
		prev->frag = frag;
	else
		q->head = frag;
	if (!cur)
		q->tail = frag;
	q->meat += end - offset;
	q->bytes += pp_skb_truesize(frag);
	q->nfrags++;
	r->bytes += pp_skb_truesize(frag);
	r->frags++;

	if (q->flags == (Q_FIRST_IN | Q_LAST_IN) && q->meat == q->len)
		return q_reasm(r, i);
	return NULL;

kill:
	q_kill(r, s, i, PP_DROP_FRAG_OVERFLOW);
	pp_stage_drop(s, frag, PP_DROP_FRAG_OVERFLOW);
	return NULL;
}
