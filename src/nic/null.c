// SPDX-License-Identifier: MIT
/*
 * null.c - the null NIC (cf. DPDK's net_null, the kernel's dummy device
 * dummy_xmit()): counts every frame it is given and completes it, so the
 * journey can be measured without any wire.
 *
 * Spec: "null" or "null:txring=N" (N a power of two, default 1024): each TX
 * queue has a completion ring of N frames. xmit_burst() puts every frame of
 * each skb (the skb and its fragment chain, one ring slot per frame) on the
 * queue's ring, a whole chain or nothing, and stops at the first skb that does
 * not fit; tx_complete() hands them back in order, as a real NIC's completion
 * ring would. A chain longer than N frames is never accepted: whoever
 * fragments must keep chains shorter than the ring.
 *
 * The ring is a pp_ring: SPSC, producer = the queue's xmit thread, consumer =
 * its reaper (the same thread when reaping inline). No RX: rx_burst is NULL.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/ring.h"
#include "nic/nic.h"

#define NULL_TXRING_DEFAULT 1024u
#define NULL_TXRING_MAX (1u << 20)

struct null_txq {
	alignas(PP_CACHE_LINE) struct pp_ring *ring; /* const */
	/* (P) written by the xmit thread */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_ring_full;
	/* (C) written by the reaper, on its own line */
	alignas(PP_CACHE_LINE) uint64_t tx_completed;
};

struct null_priv {
	uint32_t txring;	/* const */
	struct null_txq *txq;	/* const ptr: [ntxq] */
};

/*
 * Parse "txring=N[,...]": the only key null knows. Empty args take the
 * defaults. Return: 0 or -EINVAL (unknown key, missing '=', bad number).
 */
static int parse_args(const char *args, uint32_t *txring)
{
	const char *p = args;

	*txring = NULL_TXRING_DEFAULT;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t tok = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', tok);
		char *num_end;
		unsigned long v;

		if (!eq || (size_t)(eq - p) != 6 || memcmp(p, "txring", 6))
			return -EINVAL;
		if (eq[1] < '0' || eq[1] > '9')
			return -EINVAL; /* strtoul would take "", " 4" and "-4" */
		errno = 0;
		v = strtoul(eq + 1, &num_end, 10);
		if (errno || num_end != p + tok || v == 0 || v > NULL_TXRING_MAX || (v & (v - 1)))
			return -EINVAL;
		*txring = (uint32_t)v;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return -EINVAL; /* trailing comma */
	}
	return 0;
}

static void null_close(struct pp_nic *nic)
{
	struct null_priv *np = pp__nic_priv(nic);

	if (!np->txq)
		return;
	for (unsigned int q = 0; q < nic->ntxq; q++)
		pp_ring_destroy(np->txq[q].ring);
	free(np->txq);
	np->txq = NULL;
}

static int null_open(struct pp_nic *nic, const char *args)
{
	struct null_priv *np = pp__nic_priv(nic);
	int err;

	err = parse_args(args, &np->txring);
	if (err)
		return err;
	np->txq = aligned_alloc(PP_CACHE_LINE, sizeof(*np->txq) * nic->ntxq);
	if (!np->txq)
		return -ENOMEM;
	memset(np->txq, 0, sizeof(*np->txq) * nic->ntxq);
	for (unsigned int q = 0; q < nic->ntxq; q++) {
		err = pp_ring_create(np->txring, 0, &np->txq[q].ring);
		if (err)
			goto err_rings;
	}
	return 0;

err_rings:
	null_close(nic);
	return err;
}

static uint16_t null_xmit_burst(struct pp_nic *nic, uint16_t q, struct pp_skb **skbs, uint16_t n)
{
	struct null_priv *np = pp__nic_priv(nic);
	struct null_txq *tq;
	uint32_t want = 0, got, idx, used = 0;
	uint64_t bytes = 0;
	uint16_t i;

	if (PP_UNLIKELY(q >= nic->ntxq || !skbs))
		return 0;
	tq = &np->txq[q];
	/* Frames each skb needs; a NULL entry ends the burst (bad input: the
	 * caller keeps it and everything after it). */
	for (i = 0; i < n && skbs[i]; i++) {
		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			want++;
	}
	got = pp_ring_prod_reserve(tq->ring, want, &idx);
	/* Fill whole chains only: the first one that does not fit ends it. */
	for (i = 0; i < n && skbs[i]; i++) {
		uint32_t frames = 0;

		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			frames++;
		if (used + frames > got)
			break;
		/* Read each frag link before the frame is published: once
		 * submitted, the reaper may clear it. */
		for (struct pp_skb *f = skbs[i]; f; f = f->frag) {
			*pp_ring_slot(tq->ring, idx + used++) = f;
			bytes += f->len;
		}
	}
	pp_ring_prod_cancel(tq->ring, got - used);
	pp_ring_prod_submit(tq->ring, used);
	PP_STAT_ADD(tq->tx_packets, used);
	PP_STAT_ADD(tq->tx_bytes, bytes);
	if (i < n)
		PP_STAT_ADD(tq->tx_ring_full, 1);
	return i;
}

static uint16_t null_tx_complete(struct pp_nic *nic, uint16_t q, struct pp_skb **out,
				 uint16_t budget)
{
	struct null_priv *np = pp__nic_priv(nic);
	struct null_txq *tq;
	uint32_t got;

	if (PP_UNLIKELY(q >= nic->ntxq || !out))
		return 0;
	tq = &np->txq[q];
	got = pp_ring_dequeue_burst(tq->ring, (void **)out, budget);
	for (uint32_t i = 0; i < got; i++) {
		/* each frame goes back on its own: no chain, no queue link */
		out[i]->frag = NULL;
		out[i]->next = NULL;
	}
	PP_STAT_ADD(tq->tx_completed, got);
	return (uint16_t)got;
}

static uint32_t null_tx_room(struct pp_nic *nic, uint16_t q)
{
	struct null_priv *np = pp__nic_priv(nic);

	if (PP_UNLIKELY(q >= nic->ntxq))
		return 0;
	return pp_ring_free_count(np->txq[q].ring);
}

static void null_stats(struct pp_nic *nic, struct pp_nic_stats *st)
{
	struct null_priv *np = pp__nic_priv(nic);

	for (unsigned int q = 0; q < nic->ntxq; q++) {
		const struct null_txq *tq = &np->txq[q];

		st->tx_packets += PP_STAT_READ(tq->tx_packets);
		st->tx_bytes += PP_STAT_READ(tq->tx_bytes);
		st->tx_ring_full += PP_STAT_READ(tq->tx_ring_full);
		st->tx_completed += PP_STAT_READ(tq->tx_completed);
	}
}

const struct pp_nic_ops pp__nic_null_ops = {
	.name = "null",
	.priv_size = sizeof(struct null_priv),
	.open = null_open,
	.close = null_close,
	.xmit_burst = null_xmit_burst,
	.tx_complete = null_tx_complete,
	.tx_room = null_tx_room,
	.rx_burst = NULL, /* no RX (nic.h: NULL means none) */
	.stats = null_stats,
};
