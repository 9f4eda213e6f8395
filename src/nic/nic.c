// SPDX-License-Identifier: MIT
/*
 * nic.c - opening and closing a NIC backend from a text spec, and summing its
 * counters: the control-path half of the NIC layer (cf. the kernel's
 * register_netdevice()/dev_open() picking a driver's net_device_ops, and
 * dev_get_stats()), and the wrappers of the optional ops (set_addr, info)
 * that let the stack ask any backend without knowing which it is. The data
 * path goes straight through nic->ops.
 *
 * A spec is "name" or "name:args": "null", "null:txring=512",
 * "pcap:/tmp/out.pcap,pace=4", "afxdp:veth0,...", "wire:w0,loss=1". Everything after the first
 * ':' is handed to the backend's open(), which parses it (comma separated
 * key=value, or a leading path/ifname for pcap and afxdp).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pktpipe/prot/eth.h>

#include "nic/nic.h"


/* Most queues a NIC may have in each direction (AF_XDP queues are per core). */
#define NIC_QUEUES_MAX 256
/* Smallest IPv4 MTU (RFC 791: every host must take 68-byte datagrams). */
#define NIC_MTU_MIN 68
#define NIC_MTU_DEFAULT 1500

/* Locally administered default MAC ("pp"); a backend with a real interface
 * replaces it with the interface's own. */
static const uint8_t default_mac[PP_ETH_ALEN] = {0x02, 0x70, 0x70, 0x00, 0x00, 0x01};

static const struct pp_nic_ops *lookup(const char *name, size_t len, int *err)
{
	static const struct pp_nic_ops *const builtin[] = {
		&pp__nic_null_ops,
		&pp__nic_pcap_ops,
		&pp__nic_afxdp_ops,
		&pp__nic_wire_ops,
	};

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (strlen(builtin[i]->name) == len && !memcmp(builtin[i]->name, name, len))
			return builtin[i];
	}
	*err = -ENOENT;
	return NULL;
}

int pp__nic_open(const char *spec, struct pp_pool *pool, uint16_t ntxq, uint16_t nrxq,
		 uint16_t mtu, struct pp_nic **out)
{
	const struct pp_nic_ops *ops;
	struct pp_nic *nic;
	size_t len, name_len, size;
	const char *colon;
	int err = 0;

	if (!spec || !pool || !out)
		return -EINVAL;
	len = strnlen(spec, sizeof(nic->spec));
	if (len == 0 || len == sizeof(nic->spec))
		return -EINVAL; /* empty, or too long to keep in nic->spec */
	colon = memchr(spec, ':', len);
	name_len = colon ? (size_t)(colon - spec) : len;
	if (name_len == 0)
		return -EINVAL;
	if (ntxq == 0 || ntxq > NIC_QUEUES_MAX || nrxq > NIC_QUEUES_MAX)
		return -EINVAL;
	if (mtu == 0)
		mtu = NIC_MTU_DEFAULT;
	/* The largest frame must fit in one pool frame after the skb metadata. */
	if (mtu < NIC_MTU_MIN || (uint32_t)mtu + PP_ETH_HLEN > pp_pool_frame_size(pool) - PP_SKB_META)
		return -EINVAL;
	ops = lookup(spec, name_len, &err);
	if (!ops)
		return err;
	if (!ops->open || !ops->close || !ops->xmit_burst || !ops->tx_complete || !ops->tx_room ||
	    !ops->stats)
		return -EINVAL;

	/* priv[] is cache-line aligned inside struct pp_nic; so is the whole. */
	size = sizeof(*nic) + ops->priv_size;
	size = (size + PP_CACHE_LINE - 1) & ~(size_t)(PP_CACHE_LINE - 1);
	nic = aligned_alloc(PP_CACHE_LINE, size);
	if (!nic)
		return -ENOMEM;
	memset(nic, 0, size);
	nic->ops = ops;
	nic->pool = pool;
	nic->ntxq = ntxq;
	nic->nrxq = nrxq;
	nic->mtu = mtu;
	memcpy(nic->mac, default_mac, sizeof(nic->mac));
	memcpy(nic->spec, spec, len);
	nic->spec[len] = '\0';

	/* args point into nic->spec so that a backend may keep them */
	err = ops->open(nic, colon ? nic->spec + name_len + 1 : nic->spec + len);
	if (err) {
		free(nic);
		return err > 0 ? -err : err;
	}
	*out = nic;
	return 0;
}

void pp__nic_stop(struct pp_nic *nic)
{
	if (nic && nic->ops->stop)
		nic->ops->stop(nic);
}

/* Frames still owned by the NIC must have been drained by the caller through
 * tx_complete(); close only releases the backend's resources. */
void pp__nic_close(struct pp_nic *nic)
{
	if (!nic)
		return;
	nic->ops->close(nic);
	free(nic);
}

void pp__nic_stats(struct pp_nic *nic, struct pp_nic_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (nic)
		nic->ops->stats(nic, st);
}

int pp__nic_set_addr(struct pp_nic *nic, uint32_t ipv4)
{
	if (!nic)
		return -EINVAL;
	if (!nic->ops->set_addr)
		return -EOPNOTSUPP;
	return nic->ops->set_addr(nic, ipv4);
}

int pp__nic_info(struct pp_nic *nic, char *buf, size_t len)
{
	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	if (!nic)
		return -EINVAL;
	if (!nic->ops->info)
		return -EOPNOTSUPP;
	return nic->ops->info(nic, buf, len);
}
