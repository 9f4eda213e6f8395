/* SPDX-License-Identifier: MIT */
/*
 * afxdp_priv.h (internal to src/nic/afxdp*.c) - the AF_XDP NIC's state, shared
 * by the files it is split into:
 *
 *   afxdp.c        open/close: interface checks, queues, frame hand-back, the ops
 *   afxdp_spec.c   the "afxdp:IFACE[,key=value]" spec
 *   afxdp_prog.c   the XDP program: load, attach (bpf_link), stale copies, config map
 *   afxdp_sock.c   AF_XDP sockets: UMEM registration, ring mmaps, bind, options
 *   afxdp_dp.c     the data path: xmit_burst, tx_complete, tx_room, rx_burst
 *   afxdp_stats.c  counters (ours, the kernel's, the program's) and mode info
 *
 * The data path and its helpers live in afxdp_dp.c alone, so that they inline
 * into one another as they did when this was one file; nothing here is called
 * per packet across files.
 */
#ifndef PP_NIC_AFXDP_PRIV_H
#define PP_NIC_AFXDP_PRIV_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xdp/xsk.h>

#include "nic/afxdp.h"
#include "nic/nic.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

/* The kernel puts XDP_PACKET_HEADROOM after the UMEM's frame_headroom. */
#define AFXDP_XDP_HEADROOM 256u
#define AFXDP_RING_DEFAULT 2048u
#define AFXDP_RING_MIN 64u
#define AFXDP_RING_MAX 16384u
#define AFXDP_KERNEL_BUDGET 32u	/* TX_BATCH_SIZE in net/xdp/xsk.c */

/* Keep in step with pp_xdp.bpf.c. */
struct pp_xdp_cfg {
	uint32_t ipv4;
	uint32_t flags;
};
enum { XDP_ST_REDIRECTED, XDP_ST_PASSED, XDP_ST_NO_SOCKET, XDP_ST_N };

enum afxdp_mode { MODE_AUTO, MODE_NATIVE, MODE_SKB };
enum afxdp_bind { BIND_AUTO, BIND_COPY, BIND_ZC };
/* csum=: auto (partial checksums accepted on veth only), partial, strict */
enum afxdp_csum { CSUM_AUTO, CSUM_PARTIAL, CSUM_STRICT };

struct bpf_object;
struct pp_ring;

/* One AF_XDP socket: TX queue q and/or RX queue q. Three writers, three lines. */
struct axq {
	/* (P) xmit thread */
	alignas(PP_CACHE_LINE) struct xsk_ring_prod tx;
	uint64_t *sent;		/* toggled per frame handed to the kernel */
	struct pp_ring *err;	/* refused skbs, to the reaper */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_ring_full;
	uint64_t tx_kicks;
	uint64_t kick_again;
	uint64_t kick_err;
	uint64_t tx_invalid;
	uint32_t tsan_seq;	/* see AFXDP_TSAN in afxdp_dp.c */
	/* (C) reaper (tx_complete) */
	alignas(PP_CACHE_LINE) struct xsk_ring_cons cq;
	uint64_t *done;		/* toggled per frame completed */
	uint64_t tx_completed;
	uint64_t comp_kicks;
	uint64_t comp_kick_again;
	uint64_t comp_kick_err;
	uint64_t comp_bogus;
	uint32_t comp_seen_cons; /* TX consumer index when it last moved... */
	uint64_t comp_seen_ns;	 /* ...and when (CLOCK_MONOTONIC) */
	/* (R) RX thread */
	alignas(PP_CACHE_LINE) struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	uint64_t *filled;	/* toggled at fill, again at RX: set = the NIC's */
	struct pp_pool_cache *fill_cache; /* where fill frames came from */
	uint32_t fill_out;	/* frames on the fill ring or in the kernel */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_alloc_fail;
	uint64_t rx_fill_kicks;
	uint64_t rx_bogus;
	/* const after open */
	alignas(PP_CACHE_LINE) int fd;
	bool has_tx, has_rx;
	void *map[4];		/* mmapped rings: fill, comp, rx, tx */
	size_t map_len[4];
};

struct afxdp {
	/* const after open, read by every data path thread */
	uint8_t *base;
	size_t region_len;
	uint32_t frame_size;
	uint32_t frame_shift;
	uint32_t fill;
	uint32_t umem_headroom;	/* frame_headroom: skb metadata (+ pool headroom over 256) */
	uint32_t kick_budget;	/* descriptors one copy-mode kick sends */
	uint16_t max_len;	/* longest frame we send: mtu + Ethernet header */
	uint16_t nsock;
	bool busy_poll;
	uint8_t csum;		/* CSUM_*: how received L4 checksums are judged */
	bool is_veth;		/* the interface's driver is veth */
	struct axq *q;		/* [nsock] */
	size_t map_words;	/* uint64_t per frame bitmap */
	/* control */
	struct pp__afxdp_info info;
	enum afxdp_mode mode;
	enum afxdp_bind bind;
	uint32_t ring;
	uint32_t budget;
	uint16_t queues;	/* from queues=N, 0: as opened */
	struct bpf_object *obj;
	int link_fd;
	int cfg_fd;
	int stats_fd;
	int xsks_fd;
	char line[160];		/* pp__afxdp_mode_info(), the info op */
};

static inline struct afxdp *priv_of(struct pp_nic *nic)
{
	return pp__nic_priv(nic);
}

static inline bool is_afxdp(const struct pp_nic *nic)
{
	return nic && nic->ops == &pp__nic_afxdp_ops;
}

/* ---- afxdp_spec.c ---- */

/* Parse "IFACE[,key=value]*" (afxdp.h lists the keys) into @a: ifname, ring
 * (default AFXDP_RING_DEFAULT) and the options given. Return: 0 or -EINVAL. */
int pp__afxdp_spec_parse(struct afxdp *a, const char *args);

/* ---- afxdp_prog.c ---- */

/* Load pp_xdp.bpf.o with an XSKMAP for @nrxq queues, write the config map
 * (our address) and attach the program in a->mode through a bpf_link, after
 * clearing stale copies of it. Sets a->info.xdp_mode, prog_id, replaced_stale
 * and the map fds. Return: 0 or a negative errno (-EBUSY: a foreign or live
 * program); what was loaded stays for pp__afxdp_prog_unload(). */
int pp__afxdp_prog_load(struct afxdp *a, uint16_t nrxq);
/* Detach (close the bpf_link) and unload; the map fds become -1. */
void pp__afxdp_prog_unload(struct afxdp *a);

/* ---- afxdp_sock.c ---- */

/* Socket 0: register the pool's region as the UMEM, map its rings, bind with
 * XDP_USE_NEED_WAKEUP | @flags (XDP_ZEROCOPY or XDP_COPY); @quiet: no message
 * for a refused bind (the caller tries another mode). On error nothing of it
 * is left. Return: 0 or a negative errno. */
int pp__afxdp_umem_sock_open(struct afxdp *a, uint16_t flags, bool quiet);
/* Socket @id >= 1: same UMEM (XDP_SHARED_UMEM), its own fill and completion
 * rings, queue @id. Return: 0 or a negative errno (the caller tears down). */
int pp__afxdp_shared_sock_open(struct afxdp *a, uint16_t id);
/* budget= and busy_poll= on socket @id. Return: 0 or a negative errno. */
int pp__afxdp_sock_setopts(struct afxdp *a, struct axq *q, uint16_t id);
/* Unmap the rings and close the fd (fd -1: nothing to do). */
void pp__afxdp_sock_close(struct axq *q);

/* ---- afxdp_dp.c: the nic.h data path ops ---- */

uint16_t pp__afxdp_xmit_burst(struct pp_nic *nic, uint16_t qid, struct pp_skb **skbs,
			      uint16_t n);
uint16_t pp__afxdp_tx_complete(struct pp_nic *nic, uint16_t qid, struct pp_skb **out,
			       uint16_t budget);
uint32_t pp__afxdp_tx_room(struct pp_nic *nic, uint16_t qid);
void pp__afxdp_rx_fill(struct pp_nic *nic, uint16_t qid, struct pp_pool_cache *c);
uint16_t pp__afxdp_rx_burst(struct pp_nic *nic, uint16_t qid, struct pp_pool_cache *c,
			    struct pp_skb **out, uint16_t n);

/* ---- afxdp_stats.c: the stats and info ops ---- */

void pp__afxdp_nic_stats(struct pp_nic *nic, struct pp_nic_stats *st);
int pp__afxdp_nic_info(struct pp_nic *nic, char *buf, size_t len);

#endif /* PP_NIC_AFXDP_PRIV_H */
