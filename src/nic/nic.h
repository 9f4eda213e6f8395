/* SPDX-License-Identifier: MIT */
/*
 * nic.h (internal) - the NIC ops table every backend implements (cf. the
 * kernel's struct net_device_ops: ndo_start_xmit, and NAPI's poll).
 *
 * A backend sends frames that already live in the pool's region (an AF_XDP
 * UMEM is that region), so xmit hands over addresses, never copies frames
 * owned by the stack. An skb may carry a fragment chain (skb->frag): each
 * fragment is one frame on the wire and one TX descriptor, and a chain is
 * accepted whole or not at all.
 *
 * Ownership: xmit_burst() takes skbs[0..ret) and returns them, one frame at a
 * time, through tx_complete() once the NIC is done with them; the caller keeps
 * skbs[ret..n) (TX ring full: stop and retry, never drop here). Frames handed
 * back by tx_complete() have their fragment links cleared and are freed by the
 * caller into the pool (cache of the thread that reaped them).
 *
 * Concurrency: per queue, xmit_burst/tx_room are called by one thread (the
 * queue's driver stage) and tx_complete by one thread (the same one when
 * reaping inline, else the queue's completion thread); rx_burst per RX queue
 * by one thread. open/stop/close/stats/set_addr from the control path; info
 * from any thread once open.
 */
#ifndef PP_NIC_NIC_H
#define PP_NIC_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"

struct pp_nic;

/* Counters a backend keeps, per queue, summed by pp__nic_stats(). */
struct pp_nic_stats {
	uint64_t tx_packets;	/* frames handed to the wire (or file, or void) */
	uint64_t tx_bytes;
	uint64_t tx_completed;	/* frames reaped from completion */
	uint64_t tx_ring_full;	/* xmit calls that could not take everything */
	uint64_t tx_kicks;	/* wakeup syscalls (AF_XDP) */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_dropped;	/* dropped by the NIC (fill ring empty, ...) */
};

struct pp_nic_ops {
	const char *name;		/* "null", "pcap", "afxdp", "wire" */
	size_t priv_size;		/* bytes of backend state after struct pp_nic */
	/* Parse @args (text after "name:" in the NIC spec, may be ""), set up
	 * queues. Return 0 or a negative errno; on error nothing is left open. */
	int (*open)(struct pp_nic *nic, const char *args);
	/* Optional (cf. ndo_stop()): the queues' threads have stopped; after
	 * it, every frame the NIC still holds is one tx_complete() hands back
	 * (the wire: frames the other end had not taken yet), so that the
	 * caller's drain brings them all home. close() calls it if nobody did. */
	void (*stop)(struct pp_nic *nic);
	/* Release everything; frames still owned by the NIC are handed back
	 * through tx_complete first, by the caller draining it. */
	void (*close)(struct pp_nic *nic);
	uint16_t (*xmit_burst)(struct pp_nic *nic, uint16_t q, struct pp_skb **skbs, uint16_t n);
	uint16_t (*tx_complete)(struct pp_nic *nic, uint16_t q, struct pp_skb **out, uint16_t budget);
	/* Frames xmit_burst would accept on @q now (descriptors free). */
	uint32_t (*tx_room)(struct pp_nic *nic, uint16_t q);
	/* Receive up to @n frames from RX queue @q into fresh skbs owned by
	 * the pool (allocated from @c when the backend copies). NULL: no RX. */
	uint16_t (*rx_burst)(struct pp_nic *nic, uint16_t q, struct pp_pool_cache *c,
			     struct pp_skb **out, uint16_t n);
	void (*stats)(struct pp_nic *nic, struct pp_nic_stats *st);
	/* Optional (cf. a driver filling its RX ring in ndo_open()): give RX
	 * queue @q its receive buffers from @c now, before the first
	 * rx_burst(), so that a frame arriving before the owner polls (an ARP
	 * reply the peer sends inside our own transmit kick, on veth) finds a
	 * buffer. Called by the queue's owner, or by the control path before
	 * the owner runs. */
	void (*rx_fill)(struct pp_nic *nic, uint16_t q, struct pp_pool_cache *c);
	/* Optional capabilities: NULL = the backend has none (the wrappers
	 * below answer -EOPNOTSUPP). Control path. */
	/* Give an RX filter in front of us our IPv4 address, network order
	 * (afxdp: its XDP program redirects to us only ARP and IPv4 for that
	 * address and passes the rest to the kernel); 0 stops redirecting.
	 * Return: 0 or a negative errno. */
	int (*set_addr)(struct pp_nic *nic, uint32_t ipv4);
	/* Describe the modes the backend ended up in, one line without the
	 * backend's name ("xdp=native bind=copy ..."), as snprintf() into @buf
	 * of @len bytes (len >= 1). Return: the length of the whole line. */
	int (*info)(struct pp_nic *nic, char *buf, size_t len);
};

struct pp_nic {
	const struct pp_nic_ops *ops;	/* const */
	struct pp_pool *pool;		/* const: frames (and UMEM) */
	uint16_t ntxq;			/* const: TX queues */
	uint16_t nrxq;			/* const: RX queues */
	uint16_t mtu;			/* const: largest IP packet */
	uint8_t mac[6];			/* const: the interface's MAC (backend may set) */
	/* const: the link is host-internal (veth) and its peer may hand us
	 * UDP/TCP with CHECKSUM_PARTIAL: the checksum field holds only the
	 * pseudo-header sum, the rest was left to "hardware" that a veth does
	 * not have. The receive path accepts exactly that value on such a link
	 * (as the kernel trusts CHECKSUM_PARTIAL, cf. skb_csum_unnecessary());
	 * on any other link a checksum is verified in full. */
	bool rx_csum_partial;
	char spec[128];			/* const: what it was opened with */
	alignas(PP_CACHE_LINE) uint8_t priv[]; /* backend state, priv_size bytes */
};

/*
 * pp__nic_open() - open a backend from a spec: "null", "pcap:FILE[,opts]",
 * "afxdp:IFACE[,opts]", "wire:NAME[,opts]". @ntxq/@nrxq queues, frames from @pool.
 * Return: 0 and *@out; -EINVAL for a bad spec; -ENOENT for an unknown
 * backend; the backend's own errors (-ENODEV, -EPERM, ...).
 */
int pp__nic_open(const char *spec, struct pp_pool *pool, uint16_t ntxq, uint16_t nrxq,
		 uint16_t mtu, struct pp_nic **out);
/* pp__nic_stop() - ops->stop if the backend has one; NULL is a no-op.
 * Context: control path, after the queues' threads stopped, before the last
 * drain of tx_complete(). */
void pp__nic_stop(struct pp_nic *nic);
void pp__nic_close(struct pp_nic *nic);
void pp__nic_stats(struct pp_nic *nic, struct pp_nic_stats *st);
/* pp__nic_rx_fill() - ops->rx_fill if the backend has one (a no-op otherwise). */
static inline void pp__nic_rx_fill(struct pp_nic *nic, uint16_t q, struct pp_pool_cache *c)
{
	if (nic && nic->ops->rx_fill && q < nic->nrxq && c)
		nic->ops->rx_fill(nic, q, c);
}

/*
 * pp__nic_set_addr() - tell the NIC's RX filter our IPv4 address (network
 * order; 0: none), through ops->set_addr. A NIC without a filter takes every
 * frame on its link and leaves the choice to the stack's receive path: its
 * -EOPNOTSUPP is not an error for the stack.
 * Return: 0; -EINVAL for a NULL @nic; -EOPNOTSUPP when the backend has no
 * filter (null, pcap, wire, or an afxdp NIC opened without RX queues, which
 * has no XDP program); the backend's own errors (a map update refused).
 * Context: control path (open, address changes), not concurrently with
 * itself.
 */
int pp__nic_set_addr(struct pp_nic *nic, uint32_t ipv4);

/*
 * pp__nic_info() - the modes the backend ended up in, one line without its
 * name (afxdp: "xdp=native bind=copy budget=32 txq=1 rxq=1 ring=2048 ..."),
 * through ops->info, written into @buf of @len bytes as snprintf() does.
 * @buf holds a string whenever @len >= 1: "" when the backend has nothing to
 * tell (no ops->info) or on -EINVAL.
 * Return: the length of the whole line (>= @len: it was cut short);
 * -EOPNOTSUPP when the backend has no info op; -EINVAL for a NULL @nic or
 * @buf, or @len 0.
 * Context: any thread after open (the text is const after open).
 */
int pp__nic_info(struct pp_nic *nic, char *buf, size_t len);

static inline void *pp__nic_priv(struct pp_nic *nic)
{
	return nic->priv;
}

extern const struct pp_nic_ops pp__nic_null_ops;
extern const struct pp_nic_ops pp__nic_pcap_ops;
extern const struct pp_nic_ops pp__nic_afxdp_ops;
extern const struct pp_nic_ops pp__nic_wire_ops;

/*
 * The wire NIC (wire.c): two ends in one process joined back to back, each
 * opened with "wire:NAME[,loss=P][,dup=P][,reorder=P][,corrupt=P][,delay=US]
 * [,rate=MBPS][,seed=N][,queues=N]" (percentages up to 4 decimals; the
 * impairments apply to what that end transmits; a third open of NAME is
 * -EBUSY; see wire.c). Its rx_burst must run on an online urcu-qsbr reader
 * (a lane thread inside a pktpipe call): stop() waits a grace period for it.
 *
 * struct pp_wire_stats - what happened to the frames one end transmitted,
 * summed over its TX queues. Each copy made is counted once, as delivered,
 * nobuf or oversize; duplicated counts the second copies made. So at rest
 * (nothing in flight): sent == no_peer + lost + flushed + delivered + nobuf +
 * oversize - duplicated.
 */
struct pp_wire_stats {
	uint64_t sent;		/* frames put on the wire */
	uint64_t no_peer;	/* of them, with no other end receiving: completed, dropped */
	uint64_t delivered;	/* copies the other end received (duplicates included) */
	uint64_t lost;		/* frames dropped by loss= */
	uint64_t duplicated;	/* second copies made by dup= */
	uint64_t reordered;	/* frames held back by reorder= */
	uint64_t corrupted;	/* copies with one bit flipped by corrupt= */
	uint64_t nobuf;		/* copies the other end had no pool frame for */
	uint64_t oversize;	/* copies larger than the other end's MTU or frames */
	uint64_t flushed;	/* frames still in the wire at a stop, completed undelivered */
};

/*
 * pp__wire_stats() - the counters of the direction @nic transmits (for tests
 * and tools). Return: 0; -EINVAL for NULL or a NIC that is not a wire.
 * Context: any thread (snapshots).
 */
int pp__wire_stats(struct pp_nic *nic, struct pp_wire_stats *out);

#endif /* PP_NIC_NIC_H */
