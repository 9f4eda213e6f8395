// SPDX-License-Identifier: MIT
/*
 * afxdp.c - the AF_XDP NIC, its open and close and its ops table: the pool's
 * region is the UMEM, so transmitting an skb is writing its address into a TX
 * ring and receiving is turning an RX descriptor back into the skb whose
 * frame the kernel wrote into (afxdp_dp.c). Options are listed in afxdp.h;
 * afxdp_priv.h maps the other files. Open checks the interface, loads and
 * attaches the XDP program (afxdp_prog.c), then makes and binds one socket
 * per queue (afxdp_sock.c; cf. xsk_bind()); close undoes it in reverse and
 * hands every frame the NIC still holds back to the pool.
 *
 * One UMEM (the whole region, chunk = frame size) shared by one AF_XDP socket
 * per queue: socket 0 registers it, the others bind with XDP_SHARED_UMEM and
 * have their own fill and completion rings (xsk_bind()'s shared-UMEM path on
 * another queue). Frames are identified by their offset in the region; the
 * kernel reads TX frames only in [addr, addr + len) and never writes below
 * the UMEM's frame_headroom on RX (data lands XDP_PACKET_HEADROOM = 256 bytes
 * after it); frame_headroom = the skb metadata plus whatever part of the
 * pool's headroom exceeds those 256 bytes. So the skb metadata at the start of
 * a frame survives the trip through the kernel, and an RX skb has at least
 * the pool's headroom in front of its data (measured: data at offset 320 with
 * the default 128-byte headroom, 448 with 384; test_afxdp checks it).
 *
 * Ownership: a frame on a fill ring, or handed to the kernel for TX and not
 * yet completed, is the NIC's. Each queue keeps bitmaps of those frames, one
 * per writer thread (RX thread; xmit thread and reaper toggle two separate TX
 * maps, "in flight" = their XOR), so close() can hand every one of them back
 * to the pool even when the kernel never returned it.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <pktpipe/prot/eth.h>

#include "core/log.h"
#include "core/ring.h"
#include "nic/afxdp_priv.h"

static int iface_check(struct afxdp *a, struct pp_nic *nic, uint16_t nq)
{
	const char *ifname = a->info.ifname;
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	int fd, err = 0;

	a->info.ifindex = (int)if_nametoindex(ifname);
	if (!a->info.ifindex) {
		pp__log_warn("afxdp: no interface %s in this network namespace\n", ifname);
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		pp__log_warn("afxdp: interface %s is down\n", ifname);
		err = -ENETDOWN;
		goto out;
	}
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(nic->mac, ifr.ifr_hwaddr.sa_data, PP_ETH_ALEN);
	/* Every queue must exist in both directions (xsk_bind() checks both). */
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		uint32_t rx = ch.rx_count > ch.combined_count ? ch.rx_count : ch.combined_count;
		uint32_t tx = ch.tx_count > ch.combined_count ? ch.tx_count : ch.combined_count;

		if ((rx && nq > rx) || (tx && nq > tx)) {
			pp__log_warn("afxdp: %s has %u RX and %u TX queues, %u asked\n", ifname,
				rx, tx, nq);
			err = -EINVAL;
			goto out;
		}
		if (nic->nrxq && rx > nic->nrxq)
			pp__log_warn(
				"afxdp: %s has %u RX queues, we listen on %u: what is ours and "
				"arrives on the others goes to the kernel\n",
				ifname, rx, nic->nrxq);
	}
	/* veth hands XDP what its peer sent with CHECKSUM_PARTIAL unfinished */
	{
		struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};

		ifr.ifr_data = (void *)&di;
		a->is_veth = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(di.driver, "veth");
	}
out:
	close(fd);
	return err;
}

static int alloc_queues(struct afxdp *a)
{
	size_t words = a->map_words;

	a->q = aligned_alloc(PP_CACHE_LINE, sizeof(*a->q) * a->nsock);
	if (!a->q)
		return -ENOMEM;
	memset(a->q, 0, sizeof(*a->q) * a->nsock);
	for (uint16_t i = 0; i < a->nsock; i++)
		a->q[i].fd = -1;
	for (uint16_t i = 0; i < a->nsock; i++) {
		struct axq *q = &a->q[i];

		q->sent = calloc(words, sizeof(uint64_t));
		q->done = calloc(words, sizeof(uint64_t));
		q->filled = calloc(words, sizeof(uint64_t));
		if (!q->sent || !q->done || !q->filled)
			return -ENOMEM;
		/* twice the TX ring: room for any chain the TX ring refuses as too
		 * long (an IPv4 datagram has at most 45 fragments of 1480 bytes) */
		if (pp_ring_create(2 * a->ring, 0, &q->err))
			return -ENOMEM;
	}
	return 0;
}

/* Hand every frame the NIC still owns back to the pool; the sockets are gone,
 * so the kernel no longer reads or writes them. */
static void return_frames(struct pp_nic *nic, struct afxdp *a)
{
	struct pp_pool_cache *c = NULL;
	uint64_t tx_left = 0;

	for (uint16_t i = 0; i < a->nsock && !c; i++)
		c = a->q[i].fill_cache;
	if (!c)
		c = pp_pool_cache(nic->pool, 0);
	for (uint16_t i = 0; i < a->nsock; i++) {
		struct axq *q = &a->q[i];
		struct pp_pool_cache *fc = q->fill_cache ? q->fill_cache : c;
		struct pp_skb *skb;

		for (size_t w = 0; w < a->map_words; w++) {
			uint64_t rx = q->filled ? q->filled[w] : 0;
			uint64_t tx = q->sent && q->done ? q->sent[w] ^ q->done[w] : 0;

			while (rx) {
				uint64_t f = w * 64 + (uint64_t)__builtin_ctzll(rx);

				rx &= rx - 1;
				pp_skb_free(fc, (struct pp_skb *)(a->base + (f << a->frame_shift) + pp_frame_colour(f)));
			}
			while (tx) {
				uint64_t f = w * 64 + (uint64_t)__builtin_ctzll(tx);

				tx &= tx - 1;
				skb = (struct pp_skb *)(a->base + (f << a->frame_shift) +
							pp_frame_colour(f));
				skb->frag = NULL; /* each frame is tracked on its own */
				pp_skb_drop(c, skb, PP_DROP_SHUTDOWN);
				tx_left++;
			}
		}
		while (q->err && (skb = pp_ring_dequeue(q->err)) != NULL) {
			pp_skb_drop(c, skb, PP_DROP_TX_ERROR);
			tx_left++;
		}
	}
	if (tx_left)
		pp__log_warn("afxdp: %s: %llu TX frames not drained through tx_complete; "
				"freed at close\n",
			a->info.ifname, (unsigned long long)tx_left);
}

static void afxdp_teardown(struct pp_nic *nic)
{
	struct afxdp *a = priv_of(nic);

	pp__afxdp_prog_unload(a);
	if (!a->q)
		return;
	/* Socket 0 holds the UMEM: close it last. */
	for (uint16_t i = a->nsock; i-- > 0;)
		pp__afxdp_sock_close(&a->q[i]);
	return_frames(nic, a);
	for (uint16_t i = 0; i < a->nsock; i++) {
		free(a->q[i].sent);
		free(a->q[i].done);
		free(a->q[i].filled);
		pp_ring_destroy(a->q[i].err);
	}
	free(a->q);
	a->q = NULL;
}

/* 0 if this process may open AF_XDP sockets; -EPERM (or -EAFNOSUPPORT: a
 * kernel without AF_XDP) otherwise. */
static int priv_check(void)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno == EACCES ? -EPERM : -errno;
	close(fd);
	return 0;
}

static int afxdp_open(struct pp_nic *nic, const char *args)
{
	struct afxdp *a = priv_of(nic);
	struct pp_pool_cache *c0 = pp_pool_cache(nic->pool, 0);
	struct xdp_options xo;
	socklen_t xol = sizeof(xo);
	uint32_t rx_room;
	int err;

	a->link_fd = a->cfg_fd = a->stats_fd = a->xsks_fd = -1;
	if (!args || !c0 || pp__afxdp_spec_parse(a, args)) {
		pp__log_warn("afxdp: bad spec \"%s\": want IFACE[,mode=native|skb|auto]"
				"[,bind=auto|copy|zc][,queues=N][,ring=N][,fill=N][,budget=N]"
				"[,busy_poll=0|1][,csum=auto|partial|strict][,ip=A.B.C.D]\n",
			args ? args : "(null)");
		return -EINVAL;
	}
	/* Privilege first, so that an unprivileged caller gets -EPERM whatever
	 * else would fail for it later: the XDP object it cannot read (a build
	 * tree under /root), the interface it may not configure. An AF_XDP
	 * socket needs CAP_NET_RAW (cf. xsk_create()); loading the program
	 * needs more, and bpf() says so with -EPERM too. */
	err = priv_check();
	if (err)
		return err;
	if (a->queues) {
		nic->ntxq = a->queues;
		if (nic->nrxq)
			nic->nrxq = a->queues;
	}
	if (!a->fill)
		a->fill = a->ring / 2;
	if (a->fill > a->ring || (a->budget && (a->budget < AFXDP_KERNEL_BUDGET || a->budget > a->ring))) {
		pp__log_warn("afxdp: fill must be <= ring (%u), budget 32..ring\n", a->ring);
		return -EINVAL;
	}
	a->base = pp_pool_region(nic->pool, &a->region_len);
	a->frame_size = pp_pool_frame_size(nic->pool);
	a->frame_shift = (uint32_t)__builtin_ctz(a->frame_size);
	a->map_words = ((a->region_len >> a->frame_shift) + 63) / 64;
	a->max_len = (uint16_t)(nic->mtu + PP_ETH_HLEN);
	/*
	 * The kernel writes RX data at frame + frame_headroom + XDP_PACKET_HEADROOM
	 * (256) and never below frame + frame_headroom: keep the skb metadata
	 * under it, and give an RX skb at least the pool's headroom.
	 */
	a->umem_headroom = PP_FRAME_COLOUR_MAX + PP_SKB_META; /* the metadata of any colour */
	if (c0->headroom > AFXDP_XDP_HEADROOM)
		a->umem_headroom += c0->headroom - AFXDP_XDP_HEADROOM;
	if (a->umem_headroom + AFXDP_XDP_HEADROOM + PP_ETH_ZLEN > a->frame_size) {
		pp__log_warn("afxdp: pool headroom %u leaves no room for RX data in %u-byte frames\n",
			c0->headroom, a->frame_size);
		return -EINVAL;
	}
	rx_room = a->frame_size - a->umem_headroom - AFXDP_XDP_HEADROOM;
	a->nsock = nic->ntxq > nic->nrxq ? nic->ntxq : nic->nrxq;

	err = iface_check(a, nic, a->nsock);
	if (err)
		return err;
	nic->rx_csum_partial = a->csum == CSUM_PARTIAL || (a->csum == CSUM_AUTO && a->is_veth);
	if (nic->nrxq && rx_room < a->max_len)
		pp__log_warn("afxdp: %s: received frames over %u bytes will be dropped "
				"(%u-byte pool frames)\n",
			a->info.ifname, rx_room, a->frame_size);
	/* The program first: a foreign or live one is the likeliest refusal,
	 * and until a socket is in the XSKMAP it passes everything on. */
	a->info.xdp_mode = "none";
	if (nic->nrxq) {
		err = pp__afxdp_prog_load(a, nic->nrxq);
		if (err)
			goto err_teardown;
	}
	err = alloc_queues(a);
	if (err)
		goto err_teardown;
	for (uint16_t i = 0; i < a->nsock; i++) {
		a->q[i].has_tx = i < nic->ntxq;
		a->q[i].has_rx = i < nic->nrxq;
	}

	switch (a->bind) {
	case BIND_ZC:
		err = pp__afxdp_umem_sock_open(a, XDP_ZEROCOPY, false);
		break;
	case BIND_COPY:
		err = pp__afxdp_umem_sock_open(a, XDP_COPY, false);
		break;
	case BIND_AUTO:
		err = pp__afxdp_umem_sock_open(a, XDP_ZEROCOPY, true);
		if (err && err != -EPERM && err != -ENOMEM)
			err = pp__afxdp_umem_sock_open(a, XDP_COPY, false);
		break;
	}
	if (err)
		goto err_teardown;
	a->info.bind = "copy";
	if (!getsockopt(a->q[0].fd, SOL_XDP, XDP_OPTIONS, &xo, &xol) &&
	    (xo.flags & XDP_OPTIONS_ZEROCOPY))
		a->info.bind = "zc";
	for (uint16_t i = 1; i < a->nsock; i++) {
		err = pp__afxdp_shared_sock_open(a, i);
		if (err)
			goto err_teardown;
	}
	a->info.budget = a->budget ? a->budget : AFXDP_KERNEL_BUDGET;
	for (uint16_t i = 0; i < a->nsock; i++) {
		err = pp__afxdp_sock_setopts(a, &a->q[i], i);
		if (err)
			goto err_teardown;
	}
	a->kick_budget = a->info.budget;

	if (nic->nrxq) {
		for (uint32_t i = 0; i < nic->nrxq; i++) {
			if (bpf_map_update_elem(a->xsks_fd, &i, &a->q[i].fd, BPF_ANY)) {
				err = -errno;
				pp__log_warn("afxdp: %s: XSKMAP entry %u: %s\n", a->info.ifname, i,
					strerror(-err));
				goto err_teardown;
			}
		}
	}
	a->info.ring = a->ring;
	a->info.fill = a->fill;
	a->info.nsock = a->nsock;
	a->info.busy_poll = a->busy_poll;
	snprintf(a->line, sizeof(a->line),
		 "xdp=%s bind=%s budget=%u txq=%u rxq=%u ring=%u fill=%u busy_poll=%u csum=%s",
		 a->info.xdp_mode, a->info.bind, a->info.budget, nic->ntxq, nic->nrxq, a->ring,
		 a->fill, a->busy_poll, nic->rx_csum_partial ? "partial-ok" : "strict");
	return 0;

err_teardown:
	afxdp_teardown(nic);
	return err;
}

static void afxdp_close(struct pp_nic *nic)
{
	afxdp_teardown(nic);
}

const struct pp_nic_ops pp__nic_afxdp_ops = {
	.name = "afxdp",
	.priv_size = sizeof(struct afxdp),
	.open = afxdp_open,
	.close = afxdp_close,
	.xmit_burst = pp__afxdp_xmit_burst,
	.tx_complete = pp__afxdp_tx_complete,
	.tx_room = pp__afxdp_tx_room,
	.rx_burst = pp__afxdp_rx_burst,
	.rx_fill = pp__afxdp_rx_fill,
	.stats = pp__afxdp_nic_stats,
	.set_addr = pp__afxdp_set_addr,
	.info = pp__afxdp_nic_info,
};
