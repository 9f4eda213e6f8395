// SPDX-License-Identifier: MIT
/*
 * pcap.c - the pcap NIC: writes every frame it transmits to a pcap file
 * (Ethernet link type), then completes it as the null NIC does, so tests and
 * people can read what the journey sent with tshark or Wireshark. It plays
 * the part of a tap in front of a driver (cf. the kernel's dev_queue_xmit_nit(),
 * which hands each transmitted skb to packet sockets before the driver).
 *
 * Spec: "pcap:FILE[,txring=N][,pace=K][,snaplen=S]"
 *   FILE     the file to (over)write; the first argument, always, so it may
 *            contain neither ',' nor '=' (a forgotten FILE is then an error,
 *            not a file named "pace=2"). Created at open, complete (flushed)
 *            at close.
 *   txring=N completion ring per TX queue (power of two, default 1024).
 *   pace=K   accept at most K frames per xmit call (1..65535): a slow driver,
 *            so the qdisc above it has to hold packets (default: no limit).
 *            The first skb of a call is taken even if its chain is longer
 *            than K, or a long chain could never leave.
 *   snaplen=S bytes of each frame written (14..65535, default 65535); the
 *            frame's real length is recorded too.
 *
 * Frames are written exactly as the stack built them: one shorter than the
 * Ethernet minimum (60 bytes without FCS) is written short, because padding
 * to ETH_ZLEN is the stack's job (cf. eth_skb_pad()), and a capture should
 * show whether it did it. Each fragment of an skb's chain is one frame.
 *
 * Completion is delegated to an inner null NIC opened with the same txring,
 * so both backends complete frames the same way. Frames are written before
 * they are put on the completion ring (afterwards, a reaper may already have
 * freed them).
 *
 * Locking: queues are normally driven by different threads but there is one
 * file, and frames must appear in it in transmit order across queues, so the
 * dump is guarded by a mutex, and written with stdio (syscalls when its buffer
 * fills). This is a test and debug NIC: a lock and a write on its data path
 * are acceptable here, and nowhere else in the journey.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pktpipe/prot/eth.h>

#include "core/log.h"
#include "nic/nic.h"

#define PCAP_SNAPLEN_MAX 65535u

/* Per TX queue counters of what the pacing or the inner ring refused. */
struct pcap_txq {
	alignas(PP_CACHE_LINE) uint64_t tx_ring_full; /* (P) xmit thread */
};

struct pcap_priv {
	struct pp_nic *inner;		/* const: null NIC doing the completion */
	pcap_t *pd;			/* const: dead handle giving the link type */
	uint32_t pace;			/* const: frames per xmit call, 0 = no limit */
	uint32_t snaplen;		/* const */
	struct pcap_txq *txq;		/* const ptr: [ntxq] */
	pthread_mutex_t lock;		/* guards dumper */
	pcap_dumper_t *dumper;
};

struct pcap_args {
	char path[sizeof(((struct pp_nic *)0)->spec)];
	char inner[64];		/* "null:txring=N" or "null" */
	uint32_t pace;
	uint32_t snaplen;
};

static int parse_u32(const char *s, size_t len, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Split "FILE[,key=value...]". txring is checked by the inner null open. */
static int parse_args(const char *args, struct pcap_args *a)
{
	const char *end = strchr(args, ',');
	size_t tok = end ? (size_t)(end - args) : strlen(args);

	memset(a, 0, sizeof(*a));
	a->snaplen = PCAP_SNAPLEN_MAX;
	strcpy(a->inner, "null");
	if (tok == 0 || tok >= sizeof(a->path) || memchr(args, '=', tok))
		return -EINVAL;
	memcpy(a->path, args, tok);
	while (end) {
		const char *p = end + 1;
		const char *eq;
		size_t klen;
		uint32_t v;
		int err;

		end = strchr(p, ',');
		tok = end ? (size_t)(end - p) : strlen(p);
		eq = memchr(p, '=', tok);
		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - p);
		const char *val = eq + 1;
		size_t vlen = tok - klen - 1;

		if (klen == 6 && !memcmp(p, "txring", 6)) {
			err = parse_u32(val, vlen, 1, UINT32_MAX, &v);
			if (err)
				return err;
			snprintf(a->inner, sizeof(a->inner), "null:txring=%u", v);
		} else if (klen == 4 && !memcmp(p, "pace", 4)) {
			err = parse_u32(val, vlen, 1, UINT16_MAX, &a->pace);
			if (err)
				return err;
		} else if (klen == 7 && !memcmp(p, "snaplen", 7)) {
			err = parse_u32(val, vlen, PP_ETH_HLEN, PCAP_SNAPLEN_MAX, &a->snaplen);
			if (err)
				return err;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static void pcap_nic_close(struct pp_nic *nic)
{
	struct pcap_priv *pp = pp__nic_priv(nic);

	if (pp->dumper) {
		/* complete on disk once the NIC is gone */
		pcap_dump_flush(pp->dumper);
		pcap_dump_close(pp->dumper);
		pp->dumper = NULL;
		pthread_mutex_destroy(&pp->lock);
	}
	if (pp->pd) {
		pcap_close(pp->pd);
		pp->pd = NULL;
	}
	pp__nic_close(pp->inner);
	pp->inner = NULL;
	free(pp->txq);
	pp->txq = NULL;
}

static int pcap_nic_open(struct pp_nic *nic, const char *args)
{
	struct pcap_priv *pp = pp__nic_priv(nic);
	struct pcap_args a;
	FILE *f;
	int err;

	/* Every argument is checked before the file is created. */
	err = parse_args(args, &a);
	if (err)
		return err;
	pp->pace = a.pace;
	pp->snaplen = a.snaplen;
	err = pp__nic_open(a.inner, nic->pool, nic->ntxq, 0, nic->mtu, &pp->inner);
	if (err)
		return err;
	err = -ENOMEM;
	pp->txq = aligned_alloc(PP_CACHE_LINE, sizeof(*pp->txq) * nic->ntxq);
	if (!pp->txq)
		goto err_close;
	memset(pp->txq, 0, sizeof(*pp->txq) * nic->ntxq);
	pp->pd = pcap_open_dead(DLT_EN10MB, (int)a.snaplen);
	if (!pp->pd)
		goto err_close;
	/* fopen ourselves: pcap_dump_open() does not promise to keep errno */
	f = fopen(a.path, "wb");
	if (!f) {
		err = errno ? -errno : -EIO;
		pp__log_err("pcap: cannot create %s: %s\n", a.path, strerror(-err));
		goto err_close;
	}
	pp->dumper = pcap_dump_fopen(pp->pd, f);
	if (!pp->dumper) {
		fclose(f);
		err = -EIO;
		goto err_close;
	}
	err = pthread_mutex_init(&pp->lock, NULL);
	if (err) {
		pcap_dump_close(pp->dumper);
		pp->dumper = NULL;
		err = -err;
		goto err_close;
	}
	return 0;

err_close:
	pcap_nic_close(nic);
	return err;
}

static uint16_t pcap_nic_xmit_burst(struct pp_nic *nic, uint16_t q, struct pp_skb **skbs,
				    uint16_t n)
{
	struct pcap_priv *pp = pp__nic_priv(nic);
	struct pp_nic *inner = pp->inner;
	uint32_t room, limit, used = 0;
	struct pcap_pkthdr h;
	struct timespec ts;
	uint16_t i, k, sent;

	if (PP_UNLIKELY(q >= nic->ntxq || !skbs))
		return 0;
	/* Whole chains that fit now, within the pace. Only the reaper changes
	 * the room meanwhile, and it only adds to it: the inner xmit takes
	 * them all. */
	room = inner->ops->tx_room(inner, q);
	limit = (pp->pace && room > pp->pace) ? pp->pace : room;
	for (i = 0; i < n && skbs[i]; i++) {
		uint32_t frames = 0;

		for (struct pp_skb *f = skbs[i]; f; f = f->frag)
			frames++;
		if (used + frames > limit && (i > 0 || frames > room))
			break;
		used += frames;
	}
	k = i;
	if (k) {
		pthread_mutex_lock(&pp->lock);
		/* stamped under the lock, so times grow in file order */
		clock_gettime(CLOCK_REALTIME, &ts);
		h.ts.tv_sec = ts.tv_sec;
		h.ts.tv_usec = ts.tv_nsec / 1000;
		for (i = 0; i < k; i++) {
			for (struct pp_skb *f = skbs[i]; f; f = f->frag) {
				h.len = f->len;
				h.caplen = f->len < pp->snaplen ? f->len : pp->snaplen;
				pcap_dump((u_char *)pp->dumper, &h, pp_skb_data(f));
			}
		}
		pthread_mutex_unlock(&pp->lock);
	}
	sent = k ? inner->ops->xmit_burst(inner, q, skbs, k) : 0;
	if (sent < n)
		PP_STAT_ADD(pp->txq[q].tx_ring_full, 1);
	return sent;
}

static uint16_t pcap_nic_tx_complete(struct pp_nic *nic, uint16_t q, struct pp_skb **out,
				     uint16_t budget)
{
	struct pcap_priv *pp = pp__nic_priv(nic);

	if (PP_UNLIKELY(q >= nic->ntxq))
		return 0;
	return pp->inner->ops->tx_complete(pp->inner, q, out, budget);
}

static uint32_t pcap_nic_tx_room(struct pp_nic *nic, uint16_t q)
{
	struct pcap_priv *pp = pp__nic_priv(nic);
	uint32_t room;

	if (PP_UNLIKELY(q >= nic->ntxq))
		return 0;
	room = pp->inner->ops->tx_room(pp->inner, q);
	return (pp->pace && room > pp->pace) ? pp->pace : room;
}

static void pcap_nic_stats(struct pp_nic *nic, struct pp_nic_stats *st)
{
	struct pcap_priv *pp = pp__nic_priv(nic);

	/* The inner NIC never sees a shortage (it is given what fits), so
	 * its tx_ring_full stays 0 and ours is the whole count. */
	pp->inner->ops->stats(pp->inner, st);
	for (unsigned int q = 0; q < nic->ntxq; q++)
		st->tx_ring_full += PP_STAT_READ(pp->txq[q].tx_ring_full);
}

const struct pp_nic_ops pp__nic_pcap_ops = {
	.name = "pcap",
	.priv_size = sizeof(struct pcap_priv),
	.open = pcap_nic_open,
	.close = pcap_nic_close,
	.xmit_burst = pcap_nic_xmit_burst,
	.tx_complete = pcap_nic_tx_complete,
	.tx_room = pcap_nic_tx_room,
	.rx_burst = NULL, /* no RX (nic.h: NULL means none) */
	.stats = pcap_nic_stats,
};
