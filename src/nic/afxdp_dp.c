// SPDX-License-Identifier: MIT
/*
 * afxdp_dp.c - the afxdp NIC's data path: transmitting an skb is writing its
 * frame's address into the TX ring (cf. a driver's ndo_start_xmit() with the
 * DMA mapping reduced to an offset) and kicking the kernel when need_wakeup
 * says so (cf. xsk_sendmsg()); completion hands frames back from the
 * completion ring (cf. a driver's TX clean-up in NAPI poll); receiving turns
 * RX descriptors back into the skbs whose frames the kernel wrote into, and
 * keeps the fill ring stocked (cf. NAPI poll with build_skb() over page_pool
 * pages, and the page_pool refill).
 *
 * Every per-packet helper is here, static, in the same translation unit as
 * the four ops that use it, so that it inlines as before the split; the only
 * indirect call is the ops table's own, once per burst.
 */
#include <errno.h>
#include <sys/socket.h>

#include <pktpipe/prot/eth.h>

#include "core/ring.h"
#include "core/time.h"
#include "nic/afxdp_priv.h"

/*
 * ThreadSanitizer cannot see the ordering the kernel gives us: the xmit
 * thread's writes to a frame happen before its descriptor is submitted, which
 * happens before the kernel completes it, which happens before the reaper
 * reads the completion ring - but the release (TX producer) and the acquire
 * (completion producer) are on different words. Under TSan only, xmit also
 * publishes a sequence number that the reaper acquires, so TSan sees the edge
 * that is really there; in normal builds the constant folds the code away.
 */
#if defined(__SANITIZE_THREAD__)
#define AFXDP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AFXDP_TSAN 1
#endif
#endif
#ifndef AFXDP_TSAN
#define AFXDP_TSAN 0
#endif

/* ---- frame bitmaps -------------------------------------------------------- */

static inline void bit_flip(uint64_t *map, uint64_t i)
{
	map[i >> 6] ^= 1ull << (i & 63);
}

static inline bool bit_get(const uint64_t *map, uint64_t i)
{
	return (map[i >> 6] >> (i & 63)) & 1;
}

/* Single-writer bitmaps read by another thread (in-flight check): relaxed
 * atomics, which compile to a plain load and store. */
static inline void bit_flip_shared(uint64_t *map, uint64_t i)
{
	uint64_t *w = &map[i >> 6];

	__atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) ^ (1ull << (i & 63)),
			 __ATOMIC_RELAXED);
}

static inline bool bit_get_shared(const uint64_t *map, uint64_t i)
{
	return (__atomic_load_n(&map[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1;
}

/* A frame the kernel may be given: inside the region, whole, sane length. */
static inline bool frame_ok(const struct afxdp *a, const struct pp_skb *f)
{
	uint64_t off = (uint64_t)((uintptr_t)f - (uintptr_t)a->base);

	return off < a->region_len &&
	       (off & (a->frame_size - 1)) == pp_frame_colour(off >> a->frame_shift) &&
	       f->len >= PP_ETH_HLEN && f->len <= a->max_len && f->data_off >= PP_SKB_META &&
	       (uint32_t)f->data_off + f->len <= f->end;
}

/* How long descriptors may wait on the TX ring, nothing consumed, before
 * the reaper kicks for a driver thread that stopped (tx_complete). */
#define AFXDP_RESCUE_NS 20000u

static inline uint32_t tx_pending(const struct axq *q)
{
	return __atomic_load_n(q->tx.producer, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
}

/*
 * Wake the kernel for @q's TX ring (cf. xsk_sendmsg() -> __xsk_generic_xmit()).
 * In copy mode the kernel transmits inside this call, at most kick_budget
 * descriptors, and answers EAGAIN when some are left: kick again while that
 * makes progress, at most once per budget's worth of @ndesc. EAGAIN (also:
 * completion ring full, driver busy), EBUSY and ENOBUFS mean "retry later":
 * the descriptors stay on the ring for the next kick.
 * Return: kicks made. Errors are counted in *@again / *@err.
 */
static uint32_t tx_kick(const struct afxdp *a, struct axq *q, uint32_t ndesc, uint64_t *again,
			uint64_t *err)
{
	uint32_t tries = ndesc / a->kick_budget + 1, kicks = 0;

	while (xsk_ring_prod__needs_wakeup(&q->tx)) {
		uint32_t before = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);

		kicks++;
		if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
			if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR) {
				PP_STAT_ADD(*again, 1);
			} else {
				PP_STAT_ADD(*err, 1);
				break;
			}
		}
		if (--tries == 0 || !tx_pending(q) ||
		    __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE) == before)
			break;
	}
	return kicks;
}

/* Refused skb chain (bad length or address): its frames go back through
 * tx_complete() marked TX_ERROR, one by one. False if the error ring is full. */
static bool tx_refuse(struct axq *q, struct pp_skb *skb, uint32_t nfrags)
{
	if (pp_ring_free_count(q->err) < nfrags)
		return false;
	while (skb) {
		struct pp_skb *frag = skb->frag;

		skb->frag = NULL;
		skb->drop_reason = PP_DROP_TX_ERROR;
		pp_ring_enqueue(q->err, skb);
		skb = frag;
	}
	PP_STAT_ADD(q->tx_invalid, nfrags);
	return true;
}

uint16_t pp__afxdp_xmit_burst(struct pp_nic *nic, uint16_t qid, struct pp_skb **skbs,
			      uint16_t n)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t ndesc = 0, idx, kicks;
	uint64_t bytes = 0;
	uint16_t i;

	if (PP_UNLIKELY(qid >= nic->ntxq || !skbs))
		return 0;
	q = &a->q[qid];
	for (i = 0; i < n; i++) {
		struct pp_skb *skb = skbs[i], *f;
		uint32_t nfrags = 0;
		bool ok = true;

		if (i + 1 < n)
			__builtin_prefetch(skbs[i + 1]);
		for (f = skb; f; f = f->frag) {
			nfrags++;
			ok &= frame_ok(a, f);
		}
		/* a chain longer than the ring would never fit: refuse it too */
		if (PP_UNLIKELY(!ok || nfrags > q->tx.size)) {
			if (!tx_refuse(q, skb, nfrags))
				break;
			continue;
		}
		/* the whole chain or nothing (reservations add up until submit) */
		if (!xsk_ring_prod__reserve(&q->tx, nfrags, &idx))
			break;
		for (f = skb; f; f = f->frag, idx++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->tx, idx);
			uint64_t off = (uint64_t)((uint8_t *)f - a->base);

			d->addr = off + f->data_off;
			d->len = f->len;
			d->options = 0;
			bit_flip_shared(q->sent, off >> a->frame_shift);
			bytes += f->len;
		}
		ndesc += nfrags;
	}
	if (ndesc) {
		xsk_ring_prod__submit(&q->tx, ndesc);
		if (AFXDP_TSAN)
			__atomic_store_n(&q->tsan_seq, q->tsan_seq + 1, __ATOMIC_RELEASE);
		PP_STAT_ADD(q->tx_packets, ndesc);
		PP_STAT_ADD(q->tx_bytes, bytes);
	}
	if (PP_UNLIKELY(i < n))
		PP_STAT_ADD(q->tx_ring_full, 1);
	/* Kick after every submit, even a short one: a skipped kick stalls TX. */
	if (ndesc || tx_pending(q)) {
		kicks = tx_kick(a, q, ndesc, &q->kick_again, &q->kick_err);
		PP_STAT_ADD(q->tx_kicks, kicks);
	}
	return i;
}

uint16_t pp__afxdp_tx_complete(struct pp_nic *nic, uint16_t qid, struct pp_skb **out,
			       uint16_t budget)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t got, idx, n, done = 0;

	if (PP_UNLIKELY(qid >= nic->ntxq || !out))
		return 0;
	q = &a->q[qid];
	n = pp_ring_dequeue_burst(q->err, (void **)out, budget);
	got = xsk_ring_cons__peek(&q->cq, budget - n, &idx);
	if (AFXDP_TSAN && got)
		(void)__atomic_load_n(&q->tsan_seq, __ATOMIC_ACQUIRE);
	for (uint32_t j = 0; j < got; j++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&q->cq, idx + j);
		uint64_t fi = addr >> a->frame_shift;
		struct pp_skb *skb;

		if (PP_UNLIKELY(addr >= a->region_len ||
				bit_get_shared(q->sent, fi) == bit_get(q->done, fi))) {
			PP_STAT_ADD(q->comp_bogus, 1);
			continue;
		}
		bit_flip_shared(q->done, fi);
		skb = (struct pp_skb *)(a->base + (fi << a->frame_shift) + pp_frame_colour(fi));
		skb->frag = NULL;
		out[n++] = skb;
		done++;
	}
	if (got)
		xsk_ring_cons__release(&q->cq, got);
	PP_STAT_ADD(q->tx_completed, done);
	/*
	 * In copy mode only a kick transmits: if the driver thread stopped
	 * sending while descriptors wait on the TX ring (a kick that hit a full
	 * completion ring, or more than one budget submitted), nobody else will
	 * send them. So an empty reap kicks, but only once the kernel has
	 * consumed nothing for AFXDP_RESCUE_NS: while the driver thread kicks,
	 * a reaper that polls continuously would otherwise kick too, and the
	 * two contend for the socket's TX lock (perf: 30% of the reaper's time
	 * spinning on it).
	 */
	if (!got && q->has_tx && tx_pending(q)) {
		uint32_t cons = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
		uint64_t now = pp__mono_ns();
		if (cons != q->comp_seen_cons) {
			q->comp_seen_cons = cons;
			q->comp_seen_ns = now;
		} else if (now - q->comp_seen_ns >= AFXDP_RESCUE_NS) {
			uint32_t kicks = tx_kick(a, q, tx_pending(q), &q->comp_kick_again,
						 &q->comp_kick_err);

			PP_STAT_ADD(q->comp_kicks, kicks);
			q->comp_seen_ns = now;
		}
	}
	return (uint16_t)n;
}

uint32_t pp__afxdp_tx_room(struct pp_nic *nic, uint16_t qid)
{
	struct afxdp *a = priv_of(nic);

	if (PP_UNLIKELY(qid >= nic->ntxq))
		return 0;
	return xsk_prod_nb_free(&a->q[qid].tx, a->ring);
}

/* Keep the fill ring stocked with frames from @c (cf. a driver's
 * page_pool refill in its NAPI poll). */
static void rx_refill(struct afxdp *a, struct axq *q, struct pp_pool_cache *c)
{
	struct pp_skb *skbs[PP_BURST_MAX];

	while (q->fill_out + PP_BURST <= a->fill) {
		uint32_t want = a->fill - q->fill_out, got, idx;

		if (want > PP_BURST_MAX)
			want = PP_BURST_MAX;
		got = pp_skb_alloc_burst(c, skbs, want);
		if (got < want)
			PP_STAT_ADD(q->rx_alloc_fail, 1);
		if (!got)
			break;
		/* cannot fail: fill_out <= fill <= ring size */
		if (PP_UNLIKELY(xsk_ring_prod__reserve(&q->fq, got, &idx) != got)) {
			pp_skb_free_burst(c, skbs, got);
			break;
		}
		for (uint32_t k = 0; k < got; k++) {
			uint64_t off = (uint64_t)((uint8_t *)skbs[k] - a->base);

			*xsk_ring_prod__fill_addr(&q->fq, idx + k) = off;
			bit_flip(q->filled, off >> a->frame_shift);
		}
		xsk_ring_prod__submit(&q->fq, got);
		q->fill_out += got;
		if (got < want)
			break;
	}
	if (xsk_ring_prod__needs_wakeup(&q->fq)) {
		PP_STAT_ADD(q->rx_fill_kicks, 1);
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

void pp__afxdp_rx_fill(struct pp_nic *nic, uint16_t qid, struct pp_pool_cache *c)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q = &a->q[qid];

	if (!q->fill_cache)
		q->fill_cache = c;
	rx_refill(a, q, c);
}

uint16_t pp__afxdp_rx_burst(struct pp_nic *nic, uint16_t qid, struct pp_pool_cache *c,
			    struct pp_skb **out, uint16_t n)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t got, idx, k = 0;
	uint64_t bytes = 0;

	if (PP_UNLIKELY(qid >= nic->nrxq || !c || !out))
		return 0;
	q = &a->q[qid];
	if (PP_UNLIKELY(!q->fill_cache))
		q->fill_cache = c;
	got = xsk_ring_cons__peek(&q->rx, n, &idx);
	for (uint32_t j = 0; j < got; j++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + j);
		uint64_t fi = d->addr >> a->frame_shift;
		/* from the skb, which sits at the frame's colour offset */
		uint32_t data_off = (uint32_t)(d->addr & (a->frame_size - 1)) - pp_frame_colour(fi);
		struct pp_skb *skb;

		if (PP_UNLIKELY(d->addr >= a->region_len || !bit_get(q->filled, fi))) {
			PP_STAT_ADD(q->rx_bogus, 1);
			continue;
		}
		bit_flip(q->filled, fi);
		q->fill_out--;
		skb = (struct pp_skb *)(a->base + (fi << a->frame_shift) + pp_frame_colour(fi));
		/* d->len is 32 bits: compare against the room, never add to it */
		if (PP_UNLIKELY(data_off < PP_SKB_META || data_off > skb->end ||
				d->len > (uint32_t)skb->end - data_off)) {
			PP_STAT_ADD(q->rx_bogus, 1);
			pp_skb_free(c, skb);
			continue;
		}
		/* cf. the kernel's build_skb() over the page the NIC wrote */
		skb->next = NULL;
		skb->frag = NULL;
		skb->data_off = (uint16_t)data_off;
		skb->len = (uint16_t)d->len;
		skb->mac_off = (uint16_t)data_off;
		skb->net_off = skb->trans_off = 0;
		skb->queue = qid;
		skb->flags = 0;
		out[k++] = skb;
		bytes += d->len;
	}
	if (got)
		xsk_ring_cons__release(&q->rx, got);
	rx_refill(a, q, c);
	if (!got && a->busy_poll)
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL); /* drive NAPI */
	if (k) {
		PP_STAT_ADD(q->rx_packets, k);
		PP_STAT_ADD(q->rx_bytes, bytes);
	}
	return (uint16_t)k;
}
