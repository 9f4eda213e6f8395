// SPDX-License-Identifier: MIT
/*
 * afxdp_sock.c - the afxdp NIC's AF_XDP sockets, one per queue, over one UMEM
 * (the pool's whole region, chunk = frame size): socket 0 registers it
 * (XDP_UMEM_REG, cf. xdp_umem_reg()), the others bind to it with
 * XDP_SHARED_UMEM and have their own fill and completion rings (xsk_bind()'s
 * shared-UMEM path on another queue). Each socket's rings are sized, mmapped
 * and set up as libxdp's xsk_socket__create_shared() leaves them, without
 * libxdp's own program loading (afxdp_prog.c does ours).
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "nic/afxdp_priv.h"

/* Linux 6.17 uapi; older headers lack it, older kernels say ENOPROTOOPT. */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif
#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define AFXDP_BUSY_POLL_US 20
#define AFXDP_BIND_BUSY_MS 500	/* how long a queue may stay busy after a close */

static void *map_ring(int fd, uint64_t pgoff, const struct xdp_ring_offset *off, uint32_t n,
		      size_t desc, size_t *len, uint32_t **prod, uint32_t **cons, uint32_t **flags,
		      void **ring)
{
	void *m;

	*len = off->desc + (size_t)n * desc;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, (off_t)pgoff);
	if (m == MAP_FAILED)
		return NULL;
	*prod = (uint32_t *)((uint8_t *)m + off->producer);
	*cons = (uint32_t *)((uint8_t *)m + off->consumer);
	*flags = (uint32_t *)((uint8_t *)m + off->flags);
	*ring = (uint8_t *)m + off->desc;
	return m;
}

#define MAP_RING(q, i, pgoff, o, r, n, desc)                                                    \
	((q)->map[i] = map_ring((q)->fd, pgoff, o, n, desc, &(q)->map_len[i], &(r)->producer,   \
				&(r)->consumer, &(r)->flags, &(r)->ring))

static int sock_rings(struct afxdp *a, struct axq *q, uint16_t id)
{
	const char *ifname = a->info.ifname;
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	uint32_t n = a->ring;

	if (setsockopt(q->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(q->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    (q->has_rx && setsockopt(q->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n))) ||
	    (q->has_tx && setsockopt(q->fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n))) ||
	    getsockopt(q->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen)) {
		int err = -errno;

		pp__log_warn("afxdp: %s queue %u: set up rings of %u: %s\n", ifname, id, n,
			strerror(-err));
		return err;
	}
	if (!MAP_RING(q, 0, XDP_UMEM_PGOFF_FILL_RING, &off.fr, &q->fq, n, sizeof(uint64_t)) ||
	    !MAP_RING(q, 1, XDP_UMEM_PGOFF_COMPLETION_RING, &off.cr, &q->cq, n, sizeof(uint64_t)) ||
	    (q->has_rx && !MAP_RING(q, 2, XDP_PGOFF_RX_RING, &off.rx, &q->rx, n,
				    sizeof(struct xdp_desc))) ||
	    (q->has_tx && !MAP_RING(q, 3, XDP_PGOFF_TX_RING, &off.tx, &q->tx, n,
				    sizeof(struct xdp_desc)))) {
		int err = -errno;

		pp__log_warn("afxdp: %s queue %u: mmap rings: %s\n", ifname, id, strerror(-err));
		return err;
	}
	/* As libxdp's xsk.h expects: a producer's cached_cons runs size ahead. */
	q->fq.mask = q->cq.mask = q->rx.mask = q->tx.mask = n - 1;
	q->fq.size = q->cq.size = q->rx.size = q->tx.size = n;
	q->fq.cached_prod = *q->fq.producer;
	q->fq.cached_cons = *q->fq.consumer + n;
	q->cq.cached_prod = *q->cq.producer;
	q->cq.cached_cons = *q->cq.consumer;
	if (q->has_rx) {
		q->rx.cached_prod = *q->rx.producer;
		q->rx.cached_cons = *q->rx.consumer;
	}
	if (q->has_tx) {
		q->tx.cached_prod = *q->tx.producer;
		q->tx.cached_cons = *q->tx.consumer + n;
	}
	return 0;
}

static int bind_sock(struct afxdp *a, struct axq *q, uint16_t id, uint16_t flags)
{
	struct sockaddr_xdp sx = {
		.sxdp_family = AF_XDP,
		.sxdp_ifindex = (uint32_t)a->info.ifindex,
		.sxdp_queue_id = id,
		.sxdp_flags = flags,
	};

	if (id) {
		/* Same UMEM, another queue: the flags come from socket 0's pool. */
		sx.sxdp_flags = XDP_SHARED_UMEM;
		sx.sxdp_shared_umem_fd = (uint32_t)a->q[0].fd;
	}
	/*
	 * A socket closed on this queue a moment ago still holds it until the
	 * kernel's deferred pool release runs (xp_put_pool() -> a work item),
	 * so a quick close and reopen sees EBUSY for a few ms: wait that out.
	 */
	for (int waited_ms = 0;; waited_ms++) {
		if (!bind(q->fd, (struct sockaddr *)&sx, sizeof(sx)))
			return 0;
		if (errno != EBUSY || waited_ms >= AFXDP_BIND_BUSY_MS)
			return -errno;
		usleep(1000);
	}
}

void pp__afxdp_sock_close(struct axq *q)
{
	for (int i = 0; i < 4; i++) {
		if (q->map[i])
			munmap(q->map[i], q->map_len[i]);
		q->map[i] = NULL;
	}
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/*
 * Socket 0 owns the UMEM: register the region, make the rings, bind with
 * @flags (XDP_ZEROCOPY or XDP_COPY). On error nothing of it is left.
 */
int pp__afxdp_umem_sock_open(struct afxdp *a, uint16_t flags, bool quiet)
{
	const char *ifname = a->info.ifname;
	struct axq *q = &a->q[0];
	struct xdp_umem_reg mr = {
		.addr = (uint64_t)(uintptr_t)a->base,
		.len = a->region_len,
		.chunk_size = a->frame_size,
		.headroom = a->umem_headroom,
	};
	int err;

	q->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		err = -errno;
		pp__log_warn("afxdp: %s: AF_XDP socket: %s%s\n", ifname, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return err;
	}
	if (setsockopt(q->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr))) {
		err = -errno;
		pp__log_warn(
			"afxdp: %s: UMEM registration of the pool (%zu bytes, %u-byte frames, "
			"headroom %u) refused: %s\n",
			ifname, a->region_len, a->frame_size, a->umem_headroom, strerror(-err));
		goto err_sock;
	}
	err = sock_rings(a, q, 0);
	if (err)
		goto err_sock;
	err = bind_sock(a, q, 0, XDP_USE_NEED_WAKEUP | flags);
	if (err) {
		if (!quiet)
			pp__log_warn("afxdp: %s queue 0: bind (%s): %s\n", ifname,
				flags & XDP_ZEROCOPY ? "zero-copy" : "copy", strerror(-err));
		goto err_sock;
	}
	return 0;

err_sock:
	pp__afxdp_sock_close(q);
	return err;
}

/* Sockets 1..: same UMEM, their own fill/completion rings, another queue. */
int pp__afxdp_shared_sock_open(struct afxdp *a, uint16_t id)
{
	struct axq *q = &a->q[id];
	int err;

	q->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	err = sock_rings(a, q, id);
	if (err)
		return err;
	err = bind_sock(a, q, id, 0);
	if (err)
		pp__log_warn("afxdp: %s queue %u: bind (shared UMEM): %s\n", a->info.ifname, id,
			strerror(-err));
	return err;
}

int pp__afxdp_sock_setopts(struct afxdp *a, struct axq *q, uint16_t id)
{
	const char *ifname = a->info.ifname;

	if (a->budget && q->has_tx) {
		unsigned int b = a->budget;

		if (setsockopt(q->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &b, sizeof(b))) {
			if (errno != ENOPROTOOPT) {
				int err = -errno;

				pp__log_warn("afxdp: %s queue %u: XDP_MAX_TX_SKB_BUDGET %u: %s\n",
					ifname, id, b, strerror(-err));
				return err == -EACCES ? -EINVAL : err;
			}
			if (id == 0)
				pp__log_warn("afxdp: %s: kernel has no XDP_MAX_TX_SKB_BUDGET; "
						"budget stays %u\n", ifname, AFXDP_KERNEL_BUDGET);
			a->info.budget = AFXDP_KERNEL_BUDGET;
		}
	}
	if (a->busy_poll) {
		int one = 1, us = AFXDP_BUSY_POLL_US, budget = PP_BURST;

		if (setsockopt(q->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))) {
			int err = -errno;

			pp__log_warn("afxdp: %s queue %u: busy poll options: %s\n", ifname, id,
				strerror(-err));
			return err;
		}
	}
	return 0;
}
