// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pp_xdp.bpf.c - the XDP program of the afxdp NIC (src/nic/afxdp.c).
 *
 * pktpipe shares the interface with the kernel: it owns one IPv4 address
 * (not the kernel's) on the same MAC. This program hands pktpipe what is
 * addressed to that IPv4 address - ARP whose target is it, IPv4 whose
 * destination is it - by redirecting it to the AF_XDP socket of the receive
 * queue (an XSKMAP indexed by rx_queue_index), and returns XDP_PASS for
 * everything else, so the kernel keeps its own traffic (ping, ARP for its
 * addresses, IPv6, ...). cf. the kernel's ip_rcv()/arp_rcv() deciding
 * "for us" on the destination address, and libxdp's xsk_def_prog.
 *
 * The address lives in a one-entry array map (pp_cfg) written by user space
 * after load and changeable while attached; 0 redirects nothing.
 * Counters (pp_stats, per CPU): see enum below.
 *
 * Built with clang -O2 -g -target bpf by src/nic/bpf/meson.build.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Keep in step with afxdp.c. */
struct pp_xdp_cfg {
	__u32 ipv4;	/* our address, network order; 0: none */
	__u32 flags;	/* reserved, 0 */
};

enum {
	PP_XDP_REDIRECTED = 0,	/* ours, handed to the queue's socket */
	PP_XDP_PASSED,		/* not ours: left to the kernel */
	PP_XDP_NO_SOCKET,	/* ours, but no socket on that queue: kernel */
	PP_XDP_NSTATS
};

/* ARP for IPv4 over Ethernet, up to the target address (RFC 826). */
struct pp_arp_eth_ipv4 {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);	/* resized by afxdp.c before load */
	__type(key, __u32);
	__type(value, __u32);
} pp_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_xdp_cfg);
} pp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_XDP_NSTATS);
	__type(key, __u32);
	__type(value, __u64);
} pp_stats SEC(".maps");

static __always_inline int count(__u32 what, int action)
{
	__u64 *c = bpf_map_lookup_elem(&pp_stats, &what);

	if (c)
		*c += 1;
	return action;
}

/* Is this frame addressed to @ours? Bounds are checked before every read,
 * as the verifier demands. */
static __always_inline int is_ours(void *data, void *data_end, __u32 ours)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return 0;
		return ip->daddr == ours;
	}
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct pp_arp_eth_ipv4 *arp = (void *)(eth + 1);
		__u32 tpa;

		if ((void *)(arp + 1) > data_end)
			return 0;
		if (arp->hrd != bpf_htons(1) || arp->pro != bpf_htons(ETH_P_IP) ||
		    arp->hln != ETH_ALEN || arp->pln != 4)
			return 0;
		__builtin_memcpy(&tpa, arp->tpa, 4);
		return tpa == ours;
	}
	return 0;
}

/* Function name = program name seen by bpf_prog_get_info_by_fd() (15 chars
 * at most): afxdp.c recognises a stale copy of itself by it. */
SEC("xdp")
int pp_xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct pp_xdp_cfg *cfg = bpf_map_lookup_elem(&pp_cfg, &zero);
	long act;

	if (!cfg || !cfg->ipv4 || !is_ours(data, data_end, cfg->ipv4))
		return count(PP_XDP_PASSED, XDP_PASS);
	/* The flags argument is the action when the queue has no socket. */
	act = bpf_redirect_map(&pp_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act != XDP_REDIRECT)
		return count(PP_XDP_NO_SOCKET, (int)act);
	return count(PP_XDP_REDIRECTED, XDP_REDIRECT);
}

char _license[] SEC("license") = "Dual BSD/GPL";
