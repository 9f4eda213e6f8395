// SPDX-License-Identifier: MIT
/*
 * netns_lib.c - namespaces, veth pairs and in-namespace sockets for the netns
 * test suite (see netns_lib.h). Devices and addresses are made with iproute2
 * (`ip -n NS ...`), which is what a person reproducing a failure would type;
 * sockets and counters come from setns(2) on /run/netns/NAME, the same thing
 * `ip netns exec` does minus its /sys remount (cf. iproute2's netns_switch()).
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_lib.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define NS_MAX 16
#define NS_NAME_MAX 64

static char registered[NS_MAX][NS_NAME_MAX];
static int home_fd = -1;	/* namespace we came from, while inside another */
static bool atexit_done;

bool ppt_is_root(void)
{
	return geteuid() == 0;
}

bool ppt_have_af_xdp(void)
{
	int fd = socket(44 /* AF_XDP */, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int ppt_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 32)
		return -1;
	if (getenv("PPT_VERBOSE"))
		fprintf(stderr, "+ %s\n", cmd);
	else
		strcat(cmd, " >/dev/null 2>&1");
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int ppt_mount_bpffs(void)
{
	struct statfs sf;

	if (statfs("/sys/fs/bpf", &sf) == 0 && (unsigned long)sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return -errno;
	return 0;
}

static void register_ns(const char *ns)
{
	for (int i = 0; i < NS_MAX; i++) {
		if (!strcmp(registered[i], ns))
			return;
	}
	for (int i = 0; i < NS_MAX; i++) {
		if (!registered[i][0]) {
			snprintf(registered[i], NS_NAME_MAX, "%s", ns);
			return;
		}
	}
}

void ppt_netns_destroy(const char *ns)
{
	ppt_sh("ip netns del %s", ns);
	for (int i = 0; i < NS_MAX; i++) {
		if (!strcmp(registered[i], ns))
			registered[i][0] = '\0';
	}
}

void ppt_cleanup(void)
{
	ppt_netns_leave();
	for (int i = 0; i < NS_MAX; i++) {
		if (registered[i][0])
			ppt_netns_destroy(registered[i]);
	}
}

static void cleanup_at_exit(void)
{
	ppt_cleanup();
}

int ppt_netns_create(const char *ns)
{
	if (!ns || strlen(ns) >= NS_NAME_MAX)
		return -EINVAL;
	if (!atexit_done) {
		atexit(cleanup_at_exit);
		atexit_done = true;
	}
	ppt_sh("ip netns del %s", ns); /* a stale one from a crashed run */
	if (ppt_sh("ip netns add %s", ns))
		return -EIO;
	register_ns(ns);
	if (ppt_sh("ip -n %s link set lo up", ns))
		return -EIO;
	return 0;
}

static int ipv6_off(const char *ns, const char *ifname)
{
	return ppt_sh("ip netns exec %s sh -c 'echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6'",
		      ns, ifname);
}

int ppt_veth_create(const char *nsa, const char *ifa, const char *addra, const char *nsb,
		    const char *ifb, const char *addrb, unsigned int queues)
{
	if (!queues)
		queues = 1;
	if (ppt_sh("ip link add %s netns %s numtxqueues %u numrxqueues %u type veth "
		   "peer name %s netns %s numtxqueues %u numrxqueues %u",
		   ifa, nsa, queues, queues, ifb, nsb, queues, queues))
		return -EIO;
	if (ipv6_off(nsa, ifa) || ipv6_off(nsb, ifb))
		return -EIO;
	if ((addra && ppt_sh("ip -n %s addr add %s dev %s", nsa, addra, ifa)) ||
	    (addrb && ppt_sh("ip -n %s addr add %s dev %s", nsb, addrb, ifb)))
		return -EIO;
	if (ppt_sh("ip -n %s link set %s up", nsa, ifa) ||
	    ppt_sh("ip -n %s link set %s up", nsb, ifb))
		return -EIO;
	return 0;
}

static int ns_fd(const char *ns)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ppt_netns_enter(const char *ns)
{
	int fd, err = 0;

	if (home_fd < 0) {
		home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home_fd < 0)
			return -errno;
	}
	fd = ns_fd(ns);
	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int ppt_netns_leave(void)
{
	int err = 0;

	if (home_fd < 0)
		return 0;
	if (setns(home_fd, CLONE_NEWNET))
		err = -errno;
	close(home_fd);
	home_fd = -1;
	return err;
}

/* Run @fn inside @ns (NULL: where the thread is) and come back. */
static int in_ns(const char *ns, int (*fn)(void *), void *arg)
{
	int here, err, ret;

	if (!ns)
		return fn(arg);
	here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (here < 0)
		return -errno;
	err = ns_fd(ns);
	if (err < 0) {
		close(here);
		return err;
	}
	if (setns(err, CLONE_NEWNET)) {
		ret = -errno;
		close(err);
		close(here);
		return ret;
	}
	close(err);
	ret = fn(arg);
	if (setns(here, CLONE_NEWNET))
		abort(); /* stuck in a test namespace: nothing after this is sound */
	close(here);
	return ret;
}

struct sock_args {
	int domain, type, proto;
};

static int do_socket(void *p)
{
	struct sock_args *a = p;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->proto);

	return fd < 0 ? -errno : fd;
}

int ppt_socket_in(const char *ns, int domain, int type, int proto)
{
	struct sock_args a = {domain, type, proto};

	return in_ns(ns, do_socket, &a);
}

static int do_ifindex(void *p)
{
	int i = (int)if_nametoindex(p);

	return i > 0 ? i : -ENODEV;
}

int ppt_ifindex_in(const char *ns, const char *ifname)
{
	return in_ns(ns, do_ifindex, (void *)ifname);
}

int ppt_mac_in(const char *ns, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = ppt_socket_in(ns, AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

struct stats_args {
	const char *ifname;
	struct ppt_ifstats *st;
};

static int do_ifstats(void *p)
{
	struct stats_args *a = p;
	struct ifaddrs *ifa, *it;
	int err = -ENODEV;

	if (getifaddrs(&ifa))
		return -errno;
	for (it = ifa; it; it = it->ifa_next) {
		/* AF_PACKET entries carry struct rtnl_link_stats in ifa_data */
		if (!it->ifa_addr || it->ifa_addr->sa_family != AF_PACKET || !it->ifa_data ||
		    strcmp(it->ifa_name, a->ifname))
			continue;
		const struct rtnl_link_stats *s = it->ifa_data;

		a->st->rx_packets = s->rx_packets;
		a->st->tx_packets = s->tx_packets;
		a->st->rx_bytes = s->rx_bytes;
		a->st->tx_bytes = s->tx_bytes;
		a->st->rx_dropped = s->rx_dropped;
		a->st->tx_dropped = s->tx_dropped;
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

int ppt_ifstats_in(const char *ns, const char *ifname, struct ppt_ifstats *st)
{
	struct stats_args a = {ifname, st};

	memset(st, 0, sizeof(*st));
	return in_ns(ns, do_ifstats, &a);
}
