// SPDX-License-Identifier: MIT
/*
 * wire.c - the wire NIC: two stacks in one process joined back to back by a
 * cable with seeded impairments (cf. DPDK's net_ring and net_memif for the
 * shape, the kernel's veth_xmit() for "the peer receives what we send", and
 * netem / smoltcp's FaultInjector for loss, duplication, reordering, delay,
 * corruption and rate). It lets receive, ARP, ICMP and UDP run without root
 * and deterministically in the unit suite.
 *
 * Spec: "wire:NAME[,loss=P][,dup=P][,reorder=P][,corrupt=P][,delay=US]
 *        [,rate=MBPS][,seed=N][,queues=N]"
 *   NAME     1..31 of [A-Za-z0-9_.-]. The first open of NAME makes the wire,
 *            the second attaches as its other end, a third is -EBUSY; the
 *            wire goes when both ends are closed.
 *   loss, dup, reorder, corrupt: percent, 0..100, up to 4 decimals ("0.5").
 *            They apply to what THIS end transmits. reorder holds a frame back
 *            and sends it after the next one (or when the poll finds nothing
 *            behind it: a cable never keeps a frame). corrupt flips one bit,
 *            chosen at random after the Ethernet header, of the copy.
 *   delay=US fixed one-way delay in microseconds (0..60000000), measured on
 *            pp__now_ns(), so it follows the fake clock.
 *   rate=MBPS token bucket on frame bytes (Mbit/s, > 0, up to 1000000; the
 *            bucket holds 1 ms of it, at least two largest frames).
 *   seed=N   the PRNG seed (default fixed: runs are deterministic).
 *   queues=N queues each way (1..256), as afxdp's: overrides the TX and RX
 *            queue counts the NIC was opened with (default: those).
 * Each end has MAC 02:00:00:00:<wire id>:<end 1|2> (a stack's own MAC option
 * overrides it).
 *
 * Data path. Per TX queue q of the sender there are three SPSC rings, all
 * preallocated at open:
 *   data  (P) the sender's xmit thread, (C) the receiving role: whoever polls
 *         the receiver's RX queue q % nrxq (the peer's lane);
 *   comp  (P) the receiving role, (C) the sender's tx_complete reaper: frames
 *         the wire is done with, so the sender's frames go home to its own
 *         pool (the two stacks have different pools);
 *   none  (P) the xmit thread, (C) the reaper: frames sent while no other end
 *         receives (a cable to nothing): completed undelivered and counted.
 * The receiver's rx_burst peeks the data ring, applies the sender's
 * impairments and copies each frame into a fresh skb from the cache it is
 * given. Every decision is a pure function of (seed, queue, frame number), a
 * counter-based PRNG (splitmix64), so a frame that does not fit this burst is
 * left in the ring and decided the same way at the next poll. Delay and rate
 * need no buffer of their own: a frame not yet due stays in the data ring
 * (its xmit time sits in a side array indexed like the ring's slots); reorder
 * holds at most one frame per queue.
 *
 * TX descriptors: a queue has `ring` of them (1024); a frame holds one from
 * xmit to its reaping (data ring, hold, comp or none ring), as a NIC's TX
 * ring slot is busy until its completion is reaped. So none of the rings can
 * overflow, xmit stops (short count, nothing dropped) when they are all
 * taken, and tx_room is `ring - in flight`.
 *
 * Teardown (stop, then close): an end that stops unlinks itself from its peer
 * under the registry mutex, then waits for an RCU grace period: rx_burst runs
 * on lane threads, which are online QSBR readers while they poll, so after
 * synchronize_rcu() no receiver is still inside a ring that was unlinked.
 * The stopping thread then plays the receiving role for both directions and
 * moves every frame still in a data ring or held onto its sender's comp ring
 * (counted as flushed), where tx_complete hands it back: the stopping end's
 * frames to its own teardown, the peer's to the peer's reaper. A frame the
 * peer transmits after that, before it sees the unlink, waits in its data
 * ring until the peer stops (or a new end attaches and receives it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include <pktpipe/prot/eth.h>

#include "core/ring.h"
#include "core/time.h"
#include "nic/nic.h"

#define WIRE_NAME_MAX 31
#define WIRE_RING 1024u			/* TX descriptors per queue */
#define WIRE_SEED_DEFAULT 0x70707770ull
#define WIRE_PCT_SCALE 10000u		/* percent kept with 4 decimals */
#define WIRE_DELAY_MAX_US 60000000ull
#define WIRE_RATE_MAX (1000000ull * WIRE_PCT_SCALE)
#define WIRE_QUEUES_MAX 256
#define WIRE_OUT_MAX 4			/* outputs one frame can cause: 2 copies + 2 of the held one */

struct wire;

/* What an end does to the frames it transmits. Const after open. */
struct wire_opts {
	uint64_t loss, dup, reorder, corrupt;	/* chance thresholds, see chance() */
	uint64_t delay_ns;
	uint64_t rate_fp;			/* bytes per ns << 32; 0: no limit */
	uint64_t bucket_fp;			/* bucket size, bytes << 32 */
	uint64_t fill_ns;			/* time an empty bucket takes to fill */
	uint64_t seed;
	uint16_t queues;			/* 0: as opened */
};

/* One TX queue of an end: one lane of the wire in the direction it sends. */
struct wire_txq {
	/* const after open */
	alignas(PP_CACHE_LINE) struct pp_ring *data;
	struct pp_ring *comp;
	struct pp_ring *none;
	uint64_t *stamp;		/* [WIRE_RING]: xmit time of each data slot (delay only) */
	uint64_t key;			/* PRNG stream of this queue */
	/* (P) the xmit thread */
	alignas(PP_CACHE_LINE) uint64_t sent;	/* frames, also the in-flight count's half */
	uint64_t tx_bytes;
	uint64_t tx_ring_full;
	uint64_t no_peer;
	/* (R) the reaper */
	alignas(PP_CACHE_LINE) uint64_t completed;
	/* (C) the receiving role: impairment state and counters */
	alignas(PP_CACHE_LINE) uint64_t seq;	/* frames consumed: the PRNG counter */
	struct pp_skb *held;		/* frame held back by reorder */
	uint64_t held_key;
	uint8_t held_copies;
	uint64_t tokens_fp;		/* rate: bytes << 32 in the bucket at tokens_ns */
	uint64_t tokens_ns;
	struct pp_wire_stats c;		/* the (C) fields of it */
};

/* Receive counters of one RX queue, (C) its poller. */
struct wire_rxq {
	alignas(PP_CACHE_LINE) uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_dropped;
};

struct wire_priv {
	struct wire *w;			/* const */
	uint8_t side;			/* const: 0 made the wire, 1 attached */
	bool stopped;			/* control path */
	struct wire_opts o;		/* const */
	struct wire_txq *txq;		/* const ptr: [ntxq] */
	struct wire_rxq *rxq;		/* const ptr: [nrxq] */
	/* Links, written under the registry mutex, read by the data path:
	 * tx_to: the end that receives what we send (NULL: nobody);
	 * rx_from: the end whose data rings our rx_burst consumes. */
	_Atomic(struct pp_nic *) tx_to;
	_Atomic(struct pp_nic *) rx_from;
};

struct wire {
	char name[WIRE_NAME_MAX + 1];
	struct wire *next;
	struct pp_nic *end[2];		/* guarded by wires_lock */
	uint8_t id;
};

static pthread_mutex_t wires_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wire *wires;		/* guarded by wires_lock */
static uint8_t wires_made;		/* guarded by wires_lock: MAC byte of the next */

static inline struct wire_priv *priv_of(struct pp_nic *nic)
{
	return pp__nic_priv(nic);
}

/* ---- PRNG: counter based, so a decision can be made again --------------- */

/* cf. splitmix64 (Steele, Lea, Flood 2014) */
static inline uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Draw number @k about the frame whose key is @key. */
static inline uint64_t draw(uint64_t key, unsigned int k)
{
	return mix64(key ^ ((uint64_t)k * 0x632be59bd9b4e019ull));
}

/* True with the probability @thr encodes: (percent / 100) << 52. */
static inline bool chance(uint64_t x, uint64_t thr)
{
	return (x >> 12) < thr;
}

static uint64_t pct_thr(uint64_t pct_e4)
{
	/* pct_e4 / (100 * 10^4) of 2^52, through 2^32 to stay in 64 bits */
	return ((pct_e4 << 32) / (100ull * WIRE_PCT_SCALE)) << 20;
}

/* ---- spec --------------------------------------------------------------- */

/* "D[.DDDD]" into value * 10^4. Return: 0 or -EINVAL. */
static int parse_fixed(const char *s, size_t len, uint64_t max_e4, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, dec = 0;

	if (len == 0 || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max_e4)
			return -EINVAL;
	}
	v *= WIRE_PCT_SCALE;
	if (i < len) {
		uint64_t scale = WIRE_PCT_SCALE / 10;

		if (s[i++] != '.' || i == len)
			return -EINVAL;
		for (; i < len; i++, dec++) {
			if (s[i] < '0' || s[i] > '9' || dec == 4)
				return -EINVAL;
			v += (uint64_t)(s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (v > max_e4)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(k, name, klen);
}

/* Split "NAME[,key=value...]". @mtu sizes the rate bucket. */
static int parse_args(const char *args, uint16_t mtu, char name[WIRE_NAME_MAX + 1],
		      struct wire_opts *o)
{
	const char *end = strchr(args, ',');
	size_t tok = end ? (size_t)(end - args) : strlen(args);
	uint64_t rate_e4 = 0;

	memset(o, 0, sizeof(*o));
	o->seed = WIRE_SEED_DEFAULT;
	if (tok == 0 || tok > WIRE_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < tok; i++) {
		char ch = args[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return -EINVAL;
	}
	memcpy(name, args, tok);
	name[tok] = '\0';
	while (end) {
		const char *p = end + 1, *eq, *val;
		size_t klen, vlen;
		uint64_t v;
		int err;

		end = strchr(p, ',');
		tok = end ? (size_t)(end - p) : strlen(p);
		eq = memchr(p, '=', tok);
		if (!eq)
			return -EINVAL; /* also "" after a trailing comma */
		klen = (size_t)(eq - p);
		val = eq + 1;
		vlen = tok - klen - 1;
		if (key_is(p, klen, "loss") || key_is(p, klen, "dup") ||
		    key_is(p, klen, "reorder") || key_is(p, klen, "corrupt")) {
			err = parse_fixed(val, vlen, 100ull * WIRE_PCT_SCALE, &v);
			if (err)
				return err;
			*(p[0] == 'l' ? &o->loss : p[0] == 'd' ? &o->dup :
			  p[0] == 'r' ? &o->reorder : &o->corrupt) = pct_thr(v);
		} else if (key_is(p, klen, "delay")) {
			err = parse_u64(val, vlen, WIRE_DELAY_MAX_US, &v);
			if (err)
				return err;
			o->delay_ns = v * PP_NSEC_PER_USEC;
		} else if (key_is(p, klen, "rate")) {
			err = parse_fixed(val, vlen, WIRE_RATE_MAX, &rate_e4);
			if (err || rate_e4 == 0)
				return -EINVAL;
		} else if (key_is(p, klen, "seed")) {
			err = parse_u64(val, vlen, UINT64_MAX, &o->seed);
			if (err)
				return err;
		} else if (key_is(p, klen, "queues")) {
			err = parse_u64(val, vlen, WIRE_QUEUES_MAX, &v);
			if (err || v == 0)
				return -EINVAL;
			o->queues = (uint16_t)v;
		} else {
			return -EINVAL;
		}
	}
	if (rate_e4) {
		/* Mbit/s -> bytes per ns: / 8000; control path, so doubles */
		double bpns = (double)rate_e4 / WIRE_PCT_SCALE / 8000.0;
		double bucket = bpns * 1e6; /* 1 ms of it */
		double least = 2.0 * ((double)mtu + PP_ETH_HLEN);

		if (bucket < least)
			bucket = least;
		o->rate_fp = (uint64_t)(bpns * 4294967296.0);
		if (o->rate_fp == 0)
			o->rate_fp = 1;
		o->bucket_fp = (uint64_t)(bucket * 4294967296.0);
		o->fill_ns = o->bucket_fp / o->rate_fp + 1;
	}
	return 0;
}

/* ---- open / stop / close ------------------------------------------------ */

static void free_queues(struct pp_nic *nic)
{
	struct wire_priv *p = priv_of(nic);

	if (p->txq) {
		for (uint16_t q = 0; q < nic->ntxq; q++) {
			pp_ring_destroy(p->txq[q].data);
			pp_ring_destroy(p->txq[q].comp);
			pp_ring_destroy(p->txq[q].none);
			free(p->txq[q].stamp);
		}
		free(p->txq);
		p->txq = NULL;
	}
	free(p->rxq);
	p->rxq = NULL;
}

static int alloc_queues(struct pp_nic *nic)
{
	struct wire_priv *p = priv_of(nic);
	size_t tsz = sizeof(*p->txq) * nic->ntxq;
	size_t rsz = sizeof(*p->rxq) * (nic->nrxq ? nic->nrxq : 1);
	int err;

	p->txq = aligned_alloc(PP_CACHE_LINE, tsz);
	p->rxq = aligned_alloc(PP_CACHE_LINE, rsz);
	if (!p->txq || !p->rxq) {
		free_queues(nic);
		return -ENOMEM;
	}
	memset(p->txq, 0, tsz);
	memset(p->rxq, 0, rsz);
	for (uint16_t q = 0; q < nic->ntxq; q++) {
		struct wire_txq *t = &p->txq[q];

		if ((err = pp_ring_create(WIRE_RING, 0, &t->data)) ||
		    (err = pp_ring_create(WIRE_RING, 0, &t->comp)) ||
		    (err = pp_ring_create(WIRE_RING, 0, &t->none)))
			goto err_rings;
		if (p->o.delay_ns) {
			t->stamp = calloc(WIRE_RING, sizeof(*t->stamp));
			if (!t->stamp) {
				err = -ENOMEM;
				goto err_rings;
			}
		}
		t->tokens_fp = p->o.bucket_fp;
	}
	return 0;

err_rings:
	free_queues(nic);
	return err;
}

/* Both ends are in @w: let each receive what the other sends (if it has RX). */
static void link_ends(struct wire *w)
{
	struct pp_nic *a = w->end[0], *b = w->end[1];

	if (b->nrxq) {
		atomic_store_explicit(&priv_of(b)->rx_from, a, memory_order_release);
		atomic_store_explicit(&priv_of(a)->tx_to, b, memory_order_release);
	}
	if (a->nrxq) {
		atomic_store_explicit(&priv_of(a)->rx_from, b, memory_order_release);
		atomic_store_explicit(&priv_of(b)->tx_to, a, memory_order_release);
	}
}

static int wire_open(struct pp_nic *nic, const char *args)
{
	struct wire_priv *p = priv_of(nic);
	char name[WIRE_NAME_MAX + 1];
	struct wire *w;
	int err;

	if (!args)
		return -EINVAL;
	err = parse_args(args, nic->mtu, name, &p->o);
	if (err)
		return err;
	if (p->o.queues) {
		nic->ntxq = p->o.queues;
		if (nic->nrxq)
			nic->nrxq = p->o.queues;
	}
	err = alloc_queues(nic);
	if (err)
		return err;

	pthread_mutex_lock(&wires_lock);
	for (w = wires; w && strcmp(w->name, name); w = w->next)
		;
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			err = -ENOMEM;
			goto err_unlock;
		}
		memcpy(w->name, name, sizeof(w->name));
		w->id = ++wires_made;
		w->next = wires;
		wires = w;
	} else if (w->end[0] && w->end[1]) {
		err = -EBUSY; /* a cable has two ends */
		goto err_unlock;
	}
	p->side = w->end[0] ? 1 : 0;
	p->w = w;
	w->end[p->side] = nic;
	for (uint16_t q = 0; q < nic->ntxq; q++)
		p->txq[q].key = mix64(p->o.seed ^ ((uint64_t)p->side << 32 | q));
	const uint8_t mac[6] = {0x02, 0, 0, 0, w->id, (uint8_t)(p->side + 1)};

	memcpy(nic->mac, mac, sizeof(mac));
	if (w->end[!p->side])
		link_ends(w);
	pthread_mutex_unlock(&wires_lock);
	return 0;

err_unlock:
	pthread_mutex_unlock(&wires_lock);
	free_queues(nic);
	return err;
}

/*
 * Play the receiving role of @t for good: everything in its data ring and its
 * held frame goes to its comp ring undelivered (counted as flushed), for its
 * sender's tx_complete. Context: nobody else consumes @t (unlinked, grace
 * period over) and the registry mutex is held.
 */
static void txq_flush(struct wire_txq *t)
{
	void *f;
	uint64_t n = 0;

	if (t->held) {
		pp_ring_enqueue(t->comp, t->held);
		t->held = NULL;
		n++;
	}
	while ((f = pp_ring_dequeue(t->data))) {
		/* cannot fail: a frame holds its descriptor until reaped */
		pp_ring_enqueue(t->comp, f);
		n++;
	}
	PP_STAT_ADD(t->c.flushed, n);
}

static void wire_stop(struct pp_nic *nic)
{
	struct wire_priv *p = priv_of(nic);
	struct pp_nic *peer;

	if (p->stopped || !p->w)
		return;
	pthread_mutex_lock(&wires_lock);
	peer = p->w->end[!p->side];
	atomic_store_explicit(&p->tx_to, NULL, memory_order_release);
	atomic_store_explicit(&p->rx_from, NULL, memory_order_release);
	if (peer) {
		atomic_store_explicit(&priv_of(peer)->tx_to, NULL, memory_order_release);
		atomic_store_explicit(&priv_of(peer)->rx_from, NULL, memory_order_release);
	}
	pthread_mutex_unlock(&wires_lock);
	/* Every rx_burst that could still see a link runs on an online QSBR
	 * reader (a lane thread inside a pktpipe call): after this, none is
	 * inside the rings. Waited for outside the mutex: nothing may block on
	 * it while online. */
	synchronize_rcu();
	pthread_mutex_lock(&wires_lock);
	for (uint16_t q = 0; q < nic->ntxq; q++)
		txq_flush(&p->txq[q]);
	peer = p->w->end[!p->side];
	if (peer) {
		/* what the peer sent us and we never took goes back to it */
		for (uint16_t q = 0; q < peer->ntxq; q++)
			txq_flush(&priv_of(peer)->txq[q]);
	}
	p->stopped = true;
	pthread_mutex_unlock(&wires_lock);
}

static void wire_close(struct pp_nic *nic)
{
	struct wire_priv *p = priv_of(nic);
	struct wire **pw;

	if (p->w) {
		wire_stop(nic);
		pthread_mutex_lock(&wires_lock);
		p->w->end[p->side] = NULL;
		if (!p->w->end[!p->side]) {
			for (pw = &wires; *pw != p->w; pw = &(*pw)->next)
				;
			*pw = p->w->next;
			free(p->w);
		}
		pthread_mutex_unlock(&wires_lock);
		p->w = NULL;
	}
	free_queues(nic);
}

/* ---- data path ----------------------------------------------------------- */

static inline uint32_t txq_room(const struct wire_txq *t)
{
	/* (E) pairs with (F) in wire_tx_complete(): a reaped frame's
	 * descriptor is free only once its slots were read */
	uint64_t done = __atomic_load_n(&t->completed, __ATOMIC_ACQUIRE);
	uint64_t busy = t->sent - done;

	return busy >= WIRE_RING ? 0 : WIRE_RING - (uint32_t)busy;
}

static uint16_t wire_xmit_burst(struct pp_nic *nic, uint16_t q, struct pp_skb **skbs, uint16_t n)
{
	struct wire_priv *p = priv_of(nic);
	struct wire_txq *t;
	struct pp_ring *r;
	uint32_t want = 0, got, idx, used = 0, room;
	uint64_t bytes = 0;
	bool peer;
	uint16_t i;

	if (PP_UNLIKELY(q >= nic->ntxq || !skbs))
		return 0;
	t = &p->txq[q];
	/* (G) pairs with the release in link_ends(): the rings are the
	 * peer's to read once it is linked */
	peer = atomic_load_explicit(&p->tx_to, memory_order_acquire) != NULL;
	r = peer ? t->data : t->none;
	room = txq_room(t);
	for (i = 0; i < n && skbs[i]; i++) {
		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			want++;
	}
	got = pp_ring_prod_reserve(r, want < room ? want : room, &idx);
	/* whole chains only, the first that does not fit ends the burst */
	for (i = 0; i < n && skbs[i]; i++) {
		uint32_t frames = 0;

		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			frames++;
		if (used + frames > got)
			break;
		/* frag links are read before the frames are published: once
		 * submitted, the reaper may clear them */
		for (struct pp_skb *f = skbs[i]; f; f = f->frag) {
			*pp_ring_slot(r, idx + used++) = f;
			bytes += f->len;
		}
	}
	if (p->o.delay_ns && peer && used) {
		uint64_t now = pp__now_ns();

		for (uint32_t k = 0; k < used; k++)
			t->stamp[(idx + k) & (WIRE_RING - 1)] = now;
	}
	pp_ring_prod_cancel(r, got - used);
	pp_ring_prod_submit(r, used);
	PP_STAT_ADD(t->sent, used);
	PP_STAT_ADD(t->tx_bytes, bytes);
	if (!peer)
		PP_STAT_ADD(t->no_peer, used);
	if (i < n)
		PP_STAT_ADD(t->tx_ring_full, 1);
	return i;
}

static uint16_t wire_tx_complete(struct pp_nic *nic, uint16_t q, struct pp_skb **out,
				 uint16_t budget)
{
	struct wire_priv *p = priv_of(nic);
	struct wire_txq *t;
	uint32_t got;

	if (PP_UNLIKELY(q >= nic->ntxq || !out))
		return 0;
	t = &p->txq[q];
	got = pp_ring_dequeue_burst(t->comp, (void **)out, budget);
	got += pp_ring_dequeue_burst(t->none, (void **)(out + got), budget - got);
	for (uint32_t i = 0; i < got; i++) {
		out[i]->frag = NULL;
		out[i]->next = NULL;
	}
	if (got) /* (F) pairs with (E) in txq_room() */
		__atomic_store_n(&t->completed, t->completed + got, __ATOMIC_RELEASE);
	return (uint16_t)got;
}

static uint32_t wire_tx_room(struct pp_nic *nic, uint16_t q)
{
	if (PP_UNLIKELY(q >= nic->ntxq))
		return 0;
	return txq_room(&priv_of(nic)->txq[q]);
}

/* The receiving side of one rx_burst call. */
struct rx_ctx {
	const struct wire_opts *o;	/* the sender's impairments */
	struct pp_pool_cache *c;
	struct pp_skb **out;
	uint16_t n, k;			/* room in out, used */
	uint16_t q;			/* our RX queue */
	uint16_t max_len;		/* largest frame we take: MTU + Ethernet */
	uint64_t now;			/* 0 until needed */
	uint64_t rx_bytes, rx_dropped;
	struct pp_wire_stats s;		/* (C) counters to add to the txq's */
};

/* Copy @f @copies times into fresh skbs of ours (cf. veth_xmit() ->
 * veth_forward_skb(), where the peer gets the very skb; here pools differ). */
static void deliver(struct rx_ctx *x, const struct pp_skb *f, uint8_t copies, uint64_t key)
{
	for (uint8_t i = 0; i < copies; i++) {
		struct pp_skb *s;
		uint8_t *d;

		if (i)
			x->s.duplicated++;
		if (PP_UNLIKELY(f->len > x->max_len)) {
			/* cf. a NIC's rx_length_errors: longer than our MTU */
			x->s.oversize++;
			x->rx_dropped++;
			continue;
		}
		s = pp_skb_alloc(x->c);
		if (PP_UNLIKELY(!s)) {
			x->s.nobuf++;
			x->rx_dropped++;
			continue;
		}
		d = pp_skb_put(s, f->len);
		if (PP_UNLIKELY(!d)) {
			pp_skb_free(x->c, s); /* our frames are smaller than the sender's */
			x->s.oversize++;
			x->rx_dropped++;
			continue;
		}
		memcpy(d, pp_skb_data(f), f->len);
		if (x->o->corrupt && f->len > PP_ETH_HLEN &&
		    chance(draw(key, 3 + 2 * i), x->o->corrupt)) {
			uint32_t bits = (uint32_t)(f->len - PP_ETH_HLEN) * 8;
			uint32_t bit = (uint32_t)(((draw(key, 4 + 2 * i) >> 32) * bits) >> 32);

			d[PP_ETH_HLEN + bit / 8] ^= (uint8_t)(1u << (bit & 7));
			x->s.corrupted++;
		}
		s->mac_off = s->data_off;
		s->queue = x->q;
		x->out[x->k++] = s;
		x->rx_bytes += f->len;
		x->s.delivered++;
	}
}

/* May @len bytes go now? Refills the bucket (cf. tbf_dequeue()). */
static bool rate_ok(struct rx_ctx *x, struct wire_txq *t, uint16_t len)
{
	uint64_t need = (uint64_t)len << 32;

	if (t->tokens_fp >= need)
		return true;
	if (!x->now)
		x->now = pp__now_ns();
	uint64_t dt = x->now - t->tokens_ns;

	t->tokens_ns = x->now;
	if (dt >= x->o->fill_ns)
		t->tokens_fp = x->o->bucket_fp;
	else if ((t->tokens_fp += dt * x->o->rate_fp) > x->o->bucket_fp)
		t->tokens_fp = x->o->bucket_fp;
	return t->tokens_fp >= need;
}

/* Take what is due from the sender's queue @t into x->out. */
static void rx_txq(struct rx_ctx *x, struct wire_txq *t)
{
	const struct wire_opts *o = x->o;
	struct pp_skb *done[PP_BURST_MAX + 1];
	uint32_t idx, m, i, nd = 0, want = x->n - x->k;

	m = pp_ring_cons_peek(t->data, want, &idx);
	for (i = 0; i < m; i++) {
		struct pp_skb *f = *pp_ring_slot(t->data, idx + i);
		uint64_t key = t->key + t->seq * 0x9e3779b97f4a7c15ull;
		uint8_t copies = 1;
		bool hold = false;

		if (o->delay_ns) {
			if (!x->now)
				x->now = pp__now_ns();
			if (x->now < t->stamp[(idx + i) & (WIRE_RING - 1)] + o->delay_ns)
				break; /* not yet: the rest is younger still */
		}
		if (o->rate_fp && !rate_ok(x, t, f->len))
			break;
		if (o->loss && chance(draw(key, 0), o->loss))
			copies = 0;
		else if (o->dup && chance(draw(key, 1), o->dup))
			copies = 2;
		if (copies && o->reorder && !t->held && chance(draw(key, 2), o->reorder))
			hold = true;
		if (x->k + (hold ? 0 : copies) + (t->held && !hold ? t->held_copies : 0) > x->n)
			break; /* decided again, the same way, at the next poll */
		t->seq++;
		if (o->rate_fp)
			t->tokens_fp -= (uint64_t)f->len << 32;
		if (hold) {
			t->held = f;
			t->held_key = key;
			t->held_copies = copies;
			x->s.reordered++;
			continue;
		}
		if (copies) {
			deliver(x, f, copies, key);
		} else {
			x->s.lost++;
			x->rx_dropped++;
		}
		done[nd++] = f;
		if (t->held) { /* "sent after the next one" */
			deliver(x, t->held, t->held_copies, t->held_key);
			done[nd++] = t->held;
			t->held = NULL;
		}
	}
	pp_ring_cons_cancel(t->data, m - i);
	pp_ring_cons_release(t->data, i);
	/* Nothing behind the held frame now: a cable does not keep it. */
	if (t->held && i == m && m < want && x->k + t->held_copies <= x->n) {
		deliver(x, t->held, t->held_copies, t->held_key);
		done[nd++] = t->held;
		t->held = NULL;
	}
	/* copied before completed: once on comp the sender may free them;
	 * never full, since each frame holds its descriptor until reaped */
	pp_ring_enqueue_burst(t->comp, (void *const *)done, nd);
}

static uint16_t wire_rx_burst(struct pp_nic *nic, uint16_t q, struct pp_pool_cache *c,
			      struct pp_skb **out, uint16_t n)
{
	struct wire_priv *p = priv_of(nic);
	struct pp_nic *peer;
	struct wire_priv *pp;
	struct wire_rxq *rq;

	if (PP_UNLIKELY(q >= nic->nrxq || !c || !out))
		return 0;
	if (n > PP_BURST_MAX)
		n = PP_BURST_MAX;
	/* (H) pairs with the release in link_ends(); the peer's rings stay
	 * until a grace period after the unlink (wire_stop()) */
	peer = atomic_load_explicit(&p->rx_from, memory_order_acquire);
	if (!peer || !n)
		return 0;
	pp = priv_of(peer);
	struct rx_ctx x = {
		.o = &pp->o, .c = c, .out = out, .n = n, .q = q,
		.max_len = (uint16_t)(nic->mtu + PP_ETH_HLEN),
	};

	/* the peer's TX queue j lands on our RX queue j % nrxq (one poller
	 * per RX queue, so each data ring keeps a single consumer) */
	for (uint16_t j = q; j < peer->ntxq && x.k < n; j = (uint16_t)(j + nic->nrxq)) {
		struct wire_txq *t = &pp->txq[j];

		memset(&x.s, 0, sizeof(x.s));
		rx_txq(&x, t);
		PP_STAT_ADD(t->c.delivered, x.s.delivered);
		PP_STAT_ADD(t->c.lost, x.s.lost);
		PP_STAT_ADD(t->c.duplicated, x.s.duplicated);
		PP_STAT_ADD(t->c.reordered, x.s.reordered);
		PP_STAT_ADD(t->c.corrupted, x.s.corrupted);
		PP_STAT_ADD(t->c.nobuf, x.s.nobuf);
		PP_STAT_ADD(t->c.oversize, x.s.oversize);
	}
	rq = &p->rxq[q];
	if (x.k) {
		PP_STAT_ADD(rq->rx_packets, x.k);
		PP_STAT_ADD(rq->rx_bytes, x.rx_bytes);
	}
	if (x.rx_dropped)
		PP_STAT_ADD(rq->rx_dropped, x.rx_dropped);
	return x.k;
}

static void wire_stats(struct pp_nic *nic, struct pp_nic_stats *st)
{
	struct wire_priv *p = priv_of(nic);

	for (uint16_t q = 0; p->txq && q < nic->ntxq; q++) {
		const struct wire_txq *t = &p->txq[q];

		st->tx_packets += PP_STAT_READ(t->sent);
		st->tx_bytes += PP_STAT_READ(t->tx_bytes);
		st->tx_ring_full += PP_STAT_READ(t->tx_ring_full);
		st->tx_completed += PP_STAT_READ(t->completed);
	}
	for (uint16_t q = 0; p->rxq && q < nic->nrxq; q++) {
		st->rx_packets += PP_STAT_READ(p->rxq[q].rx_packets);
		st->rx_bytes += PP_STAT_READ(p->rxq[q].rx_bytes);
		st->rx_dropped += PP_STAT_READ(p->rxq[q].rx_dropped);
	}
}

int pp__wire_stats(struct pp_nic *nic, struct pp_wire_stats *out)
{
	struct wire_priv *p;

	if (!nic || !out || nic->ops != &pp__nic_wire_ops)
		return -EINVAL;
	p = priv_of(nic);
	memset(out, 0, sizeof(*out));
	for (uint16_t q = 0; p->txq && q < nic->ntxq; q++) {
		const struct wire_txq *t = &p->txq[q];

		out->sent += PP_STAT_READ(t->sent);
		out->no_peer += PP_STAT_READ(t->no_peer);
		out->delivered += PP_STAT_READ(t->c.delivered);
		out->lost += PP_STAT_READ(t->c.lost);
		out->duplicated += PP_STAT_READ(t->c.duplicated);
		out->reordered += PP_STAT_READ(t->c.reordered);
		out->corrupted += PP_STAT_READ(t->c.corrupted);
		out->nobuf += PP_STAT_READ(t->c.nobuf);
		out->oversize += PP_STAT_READ(t->c.oversize);
		out->flushed += PP_STAT_READ(t->c.flushed);
	}
	return 0;
}

const struct pp_nic_ops pp__nic_wire_ops = {
	.name = "wire",
	.priv_size = sizeof(struct wire_priv),
	.open = wire_open,
	.stop = wire_stop,
	.close = wire_close,
	.xmit_burst = wire_xmit_burst,
	.tx_complete = wire_tx_complete,
	.tx_room = wire_tx_room,
	.rx_burst = wire_rx_burst,
	.stats = wire_stats,
};
