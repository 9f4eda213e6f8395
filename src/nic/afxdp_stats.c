// SPDX-License-Identifier: MIT
/*
 * afxdp_stats.c - what the afxdp NIC tells about itself: the nic.h counters
 * (ours, plus the kernel's per-socket drops), the extra ones of afxdp.h from
 * three places - our queues, the kernel's XDP_STATISTICS (cf. xsk_getsockopt())
 * and the XDP program's per-CPU map - and the modes it ended up in (the info
 * op; cf. ethtool's get_drvinfo and the "xdp" line of ip-link). Control path
 * only: the data path counters are read with PP_STAT_READ while they move.
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nic/afxdp_priv.h"

static void xsk_stats(const struct axq *q, struct xdp_statistics *xs)
{
	socklen_t len = sizeof(*xs);

	memset(xs, 0, sizeof(*xs));
	if (q->fd >= 0 && getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, xs, &len))
		memset(xs, 0, sizeof(*xs));
}

void pp__afxdp_nic_stats(struct pp_nic *nic, struct pp_nic_stats *st)
{
	struct afxdp *a = priv_of(nic);

	for (uint16_t i = 0; a->q && i < a->nsock; i++) {
		const struct axq *q = &a->q[i];
		struct xdp_statistics xs;

		st->tx_packets += PP_STAT_READ(q->tx_packets);
		st->tx_bytes += PP_STAT_READ(q->tx_bytes);
		st->tx_completed += PP_STAT_READ(q->tx_completed);
		st->tx_ring_full += PP_STAT_READ(q->tx_ring_full);
		st->tx_kicks += PP_STAT_READ(q->tx_kicks) + PP_STAT_READ(q->comp_kicks);
		st->rx_packets += PP_STAT_READ(q->rx_packets);
		st->rx_bytes += PP_STAT_READ(q->rx_bytes);
		if (q->has_rx) {
			xsk_stats(q, &xs);
			st->rx_dropped += xs.rx_dropped + xs.rx_ring_full;
		}
	}
}

int pp__afxdp_stats(struct pp_nic *nic, struct pp__afxdp_stats *st)
{
	struct afxdp *a;

	if (!is_afxdp(nic) || !st)
		return -EINVAL;
	a = priv_of(nic);
	memset(st, 0, sizeof(*st));
	for (uint16_t i = 0; i < a->nsock; i++) {
		const struct axq *q = &a->q[i];
		struct xdp_statistics xs;

		st->tx_invalid += PP_STAT_READ(q->tx_invalid);
		st->kick_again += PP_STAT_READ(q->kick_again) + PP_STAT_READ(q->comp_kick_again);
		st->kick_err += PP_STAT_READ(q->kick_err) + PP_STAT_READ(q->comp_kick_err);
		st->comp_kicks += PP_STAT_READ(q->comp_kicks);
		st->rx_alloc_fail += PP_STAT_READ(q->rx_alloc_fail);
		st->rx_fill_kicks += PP_STAT_READ(q->rx_fill_kicks);
		st->bogus += PP_STAT_READ(q->comp_bogus) + PP_STAT_READ(q->rx_bogus);
		xsk_stats(q, &xs);
		st->xsk_rx_dropped += xs.rx_dropped;
		st->xsk_rx_invalid_descs += xs.rx_invalid_descs;
		st->xsk_rx_ring_full += xs.rx_ring_full;
		st->xsk_rx_fill_ring_empty += xs.rx_fill_ring_empty_descs;
		st->xsk_tx_invalid_descs += xs.tx_invalid_descs;
		st->xsk_tx_ring_empty += xs.tx_ring_empty_descs;
	}
	if (a->stats_fd >= 0) {
		int ncpu = libbpf_num_possible_cpus();
		uint64_t *v = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*v)) : NULL;
		uint64_t *dst[XDP_ST_N] = {&st->xdp_redirected, &st->xdp_passed, &st->xdp_no_socket};

		for (uint32_t k = 0; v && k < XDP_ST_N; k++) {
			if (bpf_map_lookup_elem(a->stats_fd, &k, v))
				continue;
			for (int c = 0; c < ncpu; c++)
				*dst[k] += v[c];
		}
		free(v);
	}
	return 0;
}

int pp__afxdp_info(struct pp_nic *nic, struct pp__afxdp_info *out)
{
	if (!is_afxdp(nic) || !out)
		return -EINVAL;
	*out = priv_of(nic)->info;
	return 0;
}

const char *pp__afxdp_mode_info(struct pp_nic *nic)
{
	return is_afxdp(nic) ? priv_of(nic)->line : "";
}

/* The info op: the same line as pp__afxdp_mode_info(), for pp__nic_info(). */
int pp__afxdp_nic_info(struct pp_nic *nic, char *buf, size_t len)
{
	return snprintf(buf, len, "%s", priv_of(nic)->line);
}
