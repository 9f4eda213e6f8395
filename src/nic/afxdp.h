/* SPDX-License-Identifier: MIT */
/*
 * afxdp.h (internal) - what the AF_XDP NIC (afxdp*.c) tells beyond the common
 * NIC ops: the modes it ended up in, its address, its own and the kernel's
 * counters, and a stale-program cleaner for tools. The stack needs none of
 * it: the address and the mode line also come through the NIC ops set_addr
 * and info (pp__nic_set_addr(), pp__nic_info()).
 *
 * Spec: "afxdp:IFACE[,key=value...]", keys:
 *   mode=native|skb|auto   XDP attach mode (auto: native, else skb); default auto
 *   bind=auto|copy|zc      AF_XDP bind (auto: zero-copy, else copy); default auto
 *   queues=N               N TX queues and, unless opened with nrxq 0, N RX
 *                          queues: overrides the counts given to pp__nic_open()
 *   ring=N                 size of every AF_XDP ring (power of 2, 64..16384; 2048)
 *   fill=N                 frames kept on each fill ring (32..ring; ring/2)
 *   budget=N               XDP_MAX_TX_SKB_BUDGET: descriptors one kick may send in
 *                          copy mode (32..ring; 0 or absent: kernel default, 32)
 *   busy_poll=0|1          SO_PREFER_BUSY_POLL + SO_BUSY_POLL on the sockets (0)
 *   ip=A.B.C.D             our IPv4 address: what the XDP program redirects to
 *                          us (ARP for it, IPv4 to it); see pp__afxdp_set_addr()
 *
 * Data path, beyond nic.h: xmit_burst() kicks (sendto) after every submit
 * that needs it, once per budget's worth of descriptors; a frame the kernel
 * must not see (shorter than an Ethernet header, longer than mtu + 14, outside
 * the pool, or in a chain longer than the TX ring) is taken anyway and handed
 * back first by tx_complete() with drop_reason PP_DROP_TX_ERROR, so the
 * caller's ownership rule stays the same. tx_complete() also kicks a TX ring
 * left with descriptors (copy mode sends only inside a kick). rx_burst()
 * stocks the fill ring from the cache it is given (one cache per RX queue);
 * until its first call the kernel drops what is ours (rx_dropped). close()
 * returns every frame still on a fill ring, in the kernel, or not reaped.
 *
 * The NIC must be opened from a thread inside the interface's network
 * namespace (setns(2) first); its fds keep that namespace afterwards, so the
 * data path may run on any thread. With nrxq 0 no XDP program is attached.
 */
#ifndef PP_NIC_AFXDP_H
#define PP_NIC_AFXDP_H

#include <stdbool.h>
#include <stdint.h>

#include "nic/nic.h"

/**
 * struct pp__afxdp_info - how the NIC is set up (const after open).
 * @xdp_mode: "native", "skb" or "none" (no RX queue: no program).
 * @bind: "zc" or "copy".
 * @budget: descriptors per copy-mode kick in effect (32 is the kernel's default).
 * @prog_id: id of our attached XDP program (0: none).
 * @replaced_stale: a stale copy of our program was found and removed at open.
 */
struct pp__afxdp_info {
	char ifname[16];
	int ifindex;
	const char *xdp_mode;
	const char *bind;
	uint32_t budget;
	uint32_t ring;
	uint32_t fill;
	uint32_t ipv4;		/* network order; 0: none */
	uint32_t prog_id;
	uint16_t nsock;		/* AF_XDP sockets: max(ntxq, nrxq) */
	bool busy_poll;
	bool replaced_stale;
};

/**
 * struct pp__afxdp_stats - counters beyond struct pp_nic_stats, summed over
 * queues. The xsk_* ones come from the kernel (getsockopt XDP_STATISTICS),
 * the xdp_* ones from our XDP program's per-CPU map.
 */
struct pp__afxdp_stats {
	uint64_t tx_invalid;	/* skbs refused by us (bad length or address), returned
				 * through tx_complete with drop_reason TX_ERROR */
	uint64_t kick_again;	/* kicks answered EAGAIN/EBUSY/ENOBUFS/EINTR: retried later */
	uint64_t kick_err;	/* kicks failing otherwise (ENETDOWN, ENXIO, ...) */
	uint64_t comp_kicks;	/* kicks made by tx_complete for a stalled TX ring */
	uint64_t rx_alloc_fail;	/* fill ring refills short of frames */
	uint64_t rx_fill_kicks;	/* wakeups for the fill ring (need_wakeup) */
	uint64_t bogus;		/* descriptors for frames we did not hand over (bug) */
	uint64_t xsk_rx_dropped;
	uint64_t xsk_rx_invalid_descs;
	uint64_t xsk_rx_ring_full;
	uint64_t xsk_rx_fill_ring_empty;
	uint64_t xsk_tx_invalid_descs;
	uint64_t xsk_tx_ring_empty;
	uint64_t xdp_redirected;	/* ours, to our sockets */
	uint64_t xdp_passed;		/* not ours: left to the kernel */
	uint64_t xdp_no_socket;		/* ours, on a queue without a socket: kernel */
};

/**
 * pp__afxdp_info() - copy the set-up of an afxdp NIC.
 * Return: 0, or -EINVAL if @nic is not an afxdp NIC or @out is NULL.
 * Context: any thread after open.
 */
int pp__afxdp_info(struct pp_nic *nic, struct pp__afxdp_info *out);

/**
 * pp__afxdp_mode_info() - one line for logs: "xdp=native bind=copy budget=32
 * txq=2 rxq=2 ring=2048 fill=1024 busy_poll=0 csum=strict" (the NIC's info
 * op, pp__nic_info(), copies the same line).
 * Return: a string owned by the NIC, or "" for a non-afxdp NIC.
 */
const char *pp__afxdp_mode_info(struct pp_nic *nic);

/**
 * pp__afxdp_stats() - read the extra counters (syscalls to the kernel).
 * Return: 0 or -EINVAL.
 * Context: control path; a snapshot while the data path runs.
 */
int pp__afxdp_stats(struct pp_nic *nic, struct pp__afxdp_stats *st);

/**
 * pp__afxdp_set_addr() - set the IPv4 address (network order) the XDP
 * program redirects to us; 0 stops redirecting. Takes effect at once. It is
 * also the NIC's set_addr op (pp__nic_set_addr()).
 * Return: 0; -EINVAL (not afxdp); -EOPNOTSUPP (no RX queue, no program);
 * -errno of the config map update.
 * Context: control path.
 */
int pp__afxdp_set_addr(struct pp_nic *nic, uint32_t ipv4);

/**
 * pp__afxdp_detach_stale() - remove from @ifname (in the caller's network
 * namespace) every copy of our XDP program attached the legacy way (netlink,
 * not a bpf_link), as a crashed process or an old tool leaves it. Ours are
 * attached through a bpf_link and go away with the process, so this is for
 * tools' SIGINT handlers and tests.
 * Return: how many were removed (>= 0); -ENODEV; -EBUSY if ours is held by a
 * live bpf_link; another negative errno from the kernel.
 * Context: control path.
 */
int pp__afxdp_detach_stale(const char *ifname);

/** Name of our XDP program as the kernel reports it (stale detection). */
#define PP__AFXDP_PROG_NAME "pp_xdp_redirect"

/**
 * pp__afxdp_obj_path() - the BPF object the NIC loads: $PP_XDP_OBJ, the build
 * tree, the install path, or pktpipe/pp_xdp.bpf.o next to the library.
 * Return: a path that exists, or NULL.
 */
const char *pp__afxdp_obj_path(void);

#endif /* PP_NIC_AFXDP_H */
