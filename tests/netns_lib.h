/* SPDX-License-Identifier: MIT */
/*
 * netns_lib.h - what the netns test suite needs to build a small network of
 * its own: network namespaces, veth pairs between them, sockets opened inside
 * a namespace, interface counters read from inside one. Needs root.
 *
 * Conventions (same as /work/shared/peers/lib.sh): a namespace of the same
 * name is removed before it is created; IPv6 is off on test devices; addresses
 * come from 198.18.0.0/15; every namespace made here is registered and removed
 * by ppt_cleanup() (also run at exit), so a failing test leaves nothing behind.
 *
 * Namespaces are entered with setns(2) on /run/netns/NAME for the network
 * namespace only (not `ip netns exec`, which remounts /sys and hides bpffs).
 * A socket keeps the namespace it was created in, so ppt_socket_in() lets one
 * thread talk from several namespaces without moving.
 *
 * Return values: 0 or a negative errno (ppt_sh: the command's exit status).
 * Context: test threads; not thread-safe (one test thread sets things up).
 */
#ifndef PP_TESTS_NETNS_LIB_H
#define PP_TESTS_NETNS_LIB_H

#include <stdbool.h>
#include <stdint.h>

/** True if we run as root (CAP_SYS_ADMIN and CAP_NET_ADMIN assumed). */
bool ppt_is_root(void);

/** True if the kernel has AF_XDP sockets. */
bool ppt_have_af_xdp(void);

/**
 * ppt_sh() - run a shell command built from @fmt; its output is hidden
 * unless PPT_VERBOSE is set in the environment.
 * Return: the exit status (0 = success), or -1 if it could not run.
 */
int ppt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** ppt_mount_bpffs() - mount bpffs on /sys/fs/bpf if it is not (left mounted). */
int ppt_mount_bpffs(void);

/**
 * ppt_netns_create() - remove a stale namespace @ns, create it afresh with lo
 * up, and register it for ppt_cleanup().
 */
int ppt_netns_create(const char *ns);

/** ppt_netns_destroy() - remove namespace @ns (and with it its devices). */
void ppt_netns_destroy(const char *ns);

/** ppt_cleanup() - leave any namespace entered, remove every registered one. */
void ppt_cleanup(void);

/**
 * ppt_veth_create() - veth pair @ifa in @nsa and @ifb in @nsb, @queues TX and
 * RX queues on each end, IPv6 off, addresses @addra/@addrb ("198.18.0.1/24",
 * or NULL for none), both ends up.
 */
int ppt_veth_create(const char *nsa, const char *ifa, const char *addra, const char *nsb,
		    const char *ifb, const char *addrb, unsigned int queues);

/**
 * ppt_netns_enter() - move the calling thread into @ns's network namespace.
 * The first call remembers the namespace we came from; ppt_netns_leave()
 * goes back to it.
 */
int ppt_netns_enter(const char *ns);
int ppt_netns_leave(void);

/**
 * ppt_socket_in() - socket(@domain, @type, @proto) created inside @ns (NULL:
 * the original namespace); the calling thread ends where it was.
 * Return: the fd, or a negative errno.
 */
int ppt_socket_in(const char *ns, int domain, int type, int proto);

/** ppt_ifindex_in() - index of @ifname in @ns (> 0), or a negative errno. */
int ppt_ifindex_in(const char *ns, const char *ifname);

/** ppt_mac_in() - the MAC address of @ifname in @ns. */
int ppt_mac_in(const char *ns, const char *ifname, uint8_t mac[6]);

/** Interface counters (cf. /sys/class/net/IF/statistics; 32 bits wide). */
struct ppt_ifstats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
};

/** ppt_ifstats_in() - read @ifname's counters from inside @ns. */
int ppt_ifstats_in(const char *ns, const char *ifname, struct ppt_ifstats *st);

#endif /* PP_TESTS_NETNS_LIB_H */
