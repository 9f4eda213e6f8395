// SPDX-License-Identifier: MIT
/*
 * test_afxdp.c - the AF_XDP NIC (src/nic/afxdp.c) on a veth pair between two
 * network namespaces of its own: A holds our end (kernel address 198.18.0.1,
 * pktpipe's address 198.18.0.3 on the same MAC), B the peer (198.18.0.2),
 * whose kernel sockets, ARP and ICMP are the reference.
 *
 * Negative cases first (bad specs, missing or down interface, too many
 * queues, zero-copy on veth, a foreign XDP program, a second user), then
 * boundaries (TX ring exactly full, refused frames, a stalled ring restarted
 * by the reaper, a stale program replaced), then the traffic test in native
 * and skb mode with 1 and 2 queues: 10000 byte-exact UDP datagrams out, UDP
 * and ARP in, and the kernel's own traffic untouched (XDP_PASS). Teardown
 * closes the NIC, checks the pool is full again and removes the namespaces,
 * whatever the test did. Needs root and AF_XDP; skips otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_test.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <pktpipe/prot/arp.h>
#include <pktpipe/prot/eth.h>
#include <pktpipe/prot/icmp.h>
#include <pktpipe/prot/ipv4.h>
#include <pktpipe/prot/udp.h>

#include "netns_lib.h"
#include "core/pool.h"
#include "nic/afxdp.h"
#include "nic/bpf/pp_xdp_path.h"
#include "nic/nic.h"
#include "proto/csum.h"

#define IFA "ppxa0"
#define IFB "ppxb0"
#define IP_A "198.18.0.1"	/* the kernel's address on our interface */
#define IP_B "198.18.0.2"	/* the peer */
#define IP_US "198.18.0.3"	/* pktpipe's address: the XDP program's */
#define PORT_B 9000
#define PORT_US 9001
#define PORT_A 9002
#define NTX 10000u
#define NRX 200u
#define POOL_FRAMES 8192u

struct param {
	const char *tag;	/* namespace suffix: unique per test */
	const char *mode;	/* native | skb */
	const char *extra;	/* more spec options, or NULL */
	unsigned int queues;
	uint16_t headroom;	/* pool headroom (0: default) */
	uint16_t nfreers;	/* pool caches that only free (a reaper thread's) */
};

struct fx {
	const struct param *p;
	char nsa[32], nsb[32];
	struct pp_pool *pool;
	struct pp_pool_cache *c;
	struct pp_nic *nic;
	uint8_t mac_a[6], mac_b[6];
	uint32_t ip_a, ip_b, ip_us;
	int legacy_ifindex;	/* interface with a program we attached by hand */
};

/* Whether the build compiled pp_xdp.bpf.o (clang found): if so, a missing
 * object is a failure, not a reason to skip. */
#ifdef PP_XDP_OBJ_BUILD
static const char *const xdp_obj_built = PP_XDP_OBJ_BUILD;
#else
static const char *const xdp_obj_built = NULL;
#endif

static const char *skip_reason(void)
{
	if (!ppt_is_root())
		return "needs root (namespaces, veth, AF_XDP, BPF)";
	if (!ppt_have_af_xdp())
		return "the kernel has no AF_XDP sockets";
	if (!xdp_obj_built && !pp__afxdp_obj_path())
		return "XDP object pp_xdp.bpf.o not built (no clang) and PP_XDP_OBJ not set";
	return NULL;
}

#define SKIP_UNLESS_ABLE()                                              \
	do {                                                            \
		const char *why_ = skip_reason();                       \
		if (why_) {                                             \
			PP_SKIP("%s", why_);                            \
		}                                                       \
		if (!pp__afxdp_obj_path())                              \
			fail_msg("%s missing: build it (ninja)", xdp_obj_built); \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- fixture ----------------------------------------------------------------- */

static int make_pool(struct fx *fx, uint16_t headroom, uint16_t nfreers)
{
	struct pp_pool_opts o = {
		.sz = sizeof(o),
		.frames_per_lane = POOL_FRAMES,
		.headroom = headroom,
		.nfreers = nfreers,
	};

	assert_int_equal(pp_pool_create(&o, &fx->pool), 0);
	fx->c = pp_pool_cache(fx->pool, 0);
	assert_non_null(fx->c);
	return 0;
}

/* Pool only: spec parsing and missing interfaces need no network. */
static int setup_pool(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	make_pool(&fx, 0, 0);
	*state = &fx;
	return 0;
}

/* Pool, namespaces A and B, veth between them, the thread inside A. */
static int setup_net(void **state)
{
	static struct fx fx;
	const struct param *p = *state;

	memset(&fx, 0, sizeof(fx));
	fx.p = p;
	fx.legacy_ifindex = -1;
	*state = &fx;
	make_pool(&fx, p->headroom, p->nfreers);
	if (skip_reason())
		return 0;
	snprintf(fx.nsa, sizeof(fx.nsa), "ppxA-%s", p->tag);
	snprintf(fx.nsb, sizeof(fx.nsb), "ppxB-%s", p->tag);
	/* libxdp wants bpffs; our loader (libbpf, bpf_link) does not: best effort */
	(void)ppt_mount_bpffs();
	assert_int_equal(ppt_netns_create(fx.nsa), 0);
	assert_int_equal(ppt_netns_create(fx.nsb), 0);
	assert_int_equal(ppt_veth_create(fx.nsa, IFA, IP_A "/24", fx.nsb, IFB, IP_B "/24",
					 p->queues),
			 0);
	assert_int_equal(ppt_mac_in(fx.nsa, IFA, fx.mac_a), 0);
	assert_int_equal(ppt_mac_in(fx.nsb, IFB, fx.mac_b), 0);
	/* B reaches our address without ARP (the ARP case removes this) */
	assert_int_equal(ppt_sh("ip -n %s neigh replace %s lladdr %02x:%02x:%02x:%02x:%02x:%02x "
				"dev %s nud permanent",
				fx.nsb, IP_US, fx.mac_a[0], fx.mac_a[1], fx.mac_a[2], fx.mac_a[3],
				fx.mac_a[4], fx.mac_a[5], IFB),
			 0);
	fx.ip_a = ip(IP_A);
	fx.ip_b = ip(IP_B);
	fx.ip_us = ip(IP_US);
	assert_int_equal(ppt_netns_enter(fx.nsa), 0);
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	struct pp_pool_stats ps;

	pp__nic_close(fx->nic);
	fx->nic = NULL;
	if (fx->legacy_ifindex > 0)
		bpf_xdp_detach(fx->legacy_ifindex, XDP_FLAGS_SKB_MODE, NULL);
	ppt_cleanup();
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	pp_pool_destroy(fx->pool);
	fx->pool = NULL;
	assert_int_equal(ps.bad_free, 0);
	assert_int_equal(ps.in_use, 0);
	return 0;
}

static int open_nic(struct fx *fx, const char *opts, uint16_t ntxq, uint16_t nrxq)
{
	char spec[128];

	snprintf(spec, sizeof(spec), "afxdp:%s%s%s", IFA, opts && opts[0] ? "," : "",
		 opts ? opts : "");
	return pp__nic_open(spec, fx->pool, ntxq, nrxq, 1500, &fx->nic);
}

/* ---- frames -------------------------------------------------------------------- */

/* Payload of datagram @seq: its number, then a pattern that depends on it. */
static void fill_payload(uint8_t *p, uint32_t len, uint32_t seq)
{
	uint32_t be = htonl(seq);

	memcpy(p, &be, 4);
	for (uint32_t k = 4; k < len; k++)
		p[k] = (uint8_t)(seq * 7 + k);
}

static bool payload_ok(const uint8_t *p, uint32_t len, uint32_t *seq)
{
	uint32_t be;

	if (len < 4)
		return false;
	memcpy(&be, p, 4);
	*seq = ntohl(be);
	for (uint32_t k = 4; k < len; k++) {
		if (p[k] != (uint8_t)(*seq * 7 + k))
			return false;
	}
	return true;
}

static uint32_t payload_len(uint32_t seq)
{
	return 16 + (seq * 37) % 1000;
}

/* GCC 12 sees a frame's data as an offset past the 64-byte struct pp_skb
 * and warns (-Warray-bounds) on writes there: hide the pointer's origin. */
static void *launder(void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* Ethernet/IPv4/UDP from us to B, checksums filled, by hand. */
static struct pp_skb *mk_udp(struct fx *fx, uint32_t seq, uint32_t plen)
{
	struct pp_skb *skb = pp_skb_alloc(fx->c);
	struct pp_eth_hdr *eth;
	struct pp_ipv4_hdr *iph;
	struct pp_udp_hdr *uh;
	uint64_t sum;
	unsigned int odd = 0;

	assert_non_null(skb);
	eth = launder(pp_skb_put(skb, sizeof(*eth) + sizeof(*iph) + sizeof(*uh) + plen));
	assert_non_null(eth);
	iph = (struct pp_ipv4_hdr *)(eth + 1);
	uh = (struct pp_udp_hdr *)(iph + 1);
	memcpy(eth->dst, fx->mac_b, 6);
	memcpy(eth->src, fx->mac_a, 6);
	eth->proto = htons(PP_ETH_P_IP);
	memset(iph, 0, sizeof(*iph));
	iph->ver_ihl = 0x45;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + sizeof(*uh) + plen));
	iph->id = htons((uint16_t)seq);
	iph->frag_off = htons(PP_IP_DF);
	iph->ttl = PP_IP_DEFTTL;
	iph->protocol = PP_IPPROTO_UDP;
	iph->saddr = fx->ip_us;
	iph->daddr = fx->ip_b;
	iph->check = pp_csum(iph, sizeof(*iph));
	uh->source = htons(PORT_US);
	uh->dest = htons(PORT_B);
	uh->len = htons((uint16_t)(sizeof(*uh) + plen));
	uh->check = 0;
	fill_payload((uint8_t *)(uh + 1), plen, seq);
	sum = pp_csum_pseudo(iph->saddr, iph->daddr, PP_IPPROTO_UDP, ntohs(uh->len));
	sum = pp_csum_partial(uh, sizeof(*uh) + plen, sum, &odd);
	uh->check = pp_csum_fold(sum);
	if (!uh->check)
		uh->check = 0xffff;
	return skb;
}

/* Reap every TX queue once; free what came back. Return: frames reaped. */
static uint32_t reap(struct fx *fx, uint16_t ntxq)
{
	struct pp_skb *out[PP_BURST_MAX];
	uint32_t total = 0;

	for (uint16_t q = 0; q < ntxq; q++) {
		uint16_t n = fx->nic->ops->tx_complete(fx->nic, q, out, PP_BURST_MAX);

		for (uint16_t i = 0; i < n; i++) {
			/* the kernel read the frame; our metadata is untouched */
			assert_int_equal(out[i]->state, PP_SKB_ALLOCATED);
			/* its end is its frame's (the skb sits at the frame's colour) */
			assert_int_equal(out[i]->end + ((uintptr_t)out[i] &
							(pp_pool_frame_size(fx->pool) - 1)),
					 pp_pool_frame_size(fx->pool));
			assert_null(out[i]->frag);
		}
		pp_skb_free_burst(fx->c, out, n);
		total += n;
	}
	return total;
}

static void reap_all(struct fx *fx, uint16_t ntxq, uint64_t *done, uint64_t want)
{
	uint64_t t0 = now_ms();

	while (*done < want && now_ms() - t0 < 5000)
		*done += reap(fx, ntxq);
	assert_int_equal(*done, want);
}

/* ---- negative cases ---------------------------------------------------------------- */

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {
		"afxdp",			/* no interface */
		"afxdp:",
		"afxdp:,mode=skb",
		"afxdp:averyveryverylongname0",	/* longer than IFNAMSIZ */
		"afxdp:ppxa0,",
		"afxdp:ppxa0,,mode=skb",
		"afxdp:ppxa0,mode",
		"afxdp:ppxa0,=skb",
		"afxdp:ppxa0,mode=bogus",
		"afxdp:ppxa0,bind=fast",
		"afxdp:ppxa0,queues=0",
		"afxdp:ppxa0,queues=-1",
		"afxdp:ppxa0,queues=999",
		"afxdp:ppxa0,ring=100",		/* not a power of two */
		"afxdp:ppxa0,ring=32",		/* below 64 */
		"afxdp:ppxa0,ring=65536",
		"afxdp:ppxa0,ring=64,fill=128",	/* fill above ring */
		"afxdp:ppxa0,fill=8",
		"afxdp:ppxa0,budget=5",		/* kernel range is 32..ring */
		"afxdp:ppxa0,ring=64,budget=128",
		"afxdp:ppxa0,busy_poll=2",
		"afxdp:ppxa0,ip=1.2.3",
		"afxdp:ppxa0,ip=",
		"afxdp:ppxa0,colour=blue",
		"afxdp:ppxa0,mode=skb ",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = pp__nic_open(bad[i], fx->pool, 1, 1, 1500, &fx->nic);

		if (err != -EINVAL)
			print_error("spec \"%s\" gave %d\n", bad[i], err);
		assert_int_equal(err, -EINVAL);
		assert_null(fx->nic);
	}
}

static void test_missing_iface(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(pp__nic_open("afxdp:ppxnone0", fx->pool, 1, 1, 1500, &fx->nic), -ENODEV);
	assert_int_equal(pp__nic_open("afxdp:ppxnone0,mode=skb,queues=2,ip=198.18.0.3", fx->pool, 1,
				      1, 1500, &fx->nic),
			 -ENODEV);
	assert_null(fx->nic);
}

static void test_iface_down(void **state)
{
	struct fx *fx = *state;

	SKIP_UNLESS_ABLE();
	assert_int_equal(ppt_sh("ip -n %s link set %s down", fx->nsa, IFA), 0);
	assert_int_equal(open_nic(fx, "mode=skb", 1, 1), -ENETDOWN);
	assert_null(fx->nic);
}

/* Without privileges (a child that dropped to nobody, so every capability
 * went with uid 0): loading the program and making an AF_XDP socket are
 * refused with -EPERM, and nothing is left behind. */
/*
 * An unprivileged caller gets -EPERM, whatever it can or cannot read. Run
 * twice: with the XDP object where the build put it, and (regression: the
 * README's test command failed in a checkout under /root, where nobody may
 * enter the build tree, so the child got -ENOENT) with the object behind a
 * directory only root can enter, as it is for a clone in /root.
 */
static void no_permission_child(struct fx *fx, const char *obj)
{
	struct pp_nic *nic = NULL;
	struct pp_pool_stats ps;
	int rx, tx;

	if (obj && setenv("PP_XDP_OBJ", obj, 1))
		_exit(3);
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(2);
	rx = pp__nic_open("afxdp:" IFA ",mode=skb", fx->pool, 1, 1, 1500, &nic);
	tx = pp__nic_open("afxdp:" IFA, fx->pool, 1, 0, 1500, &nic);
	pp_pool_stats(fx->pool, &ps);
	if (rx != -EPERM || tx != -EPERM)
		fprintf(stderr, "unprivileged open: rx %d tx %d (want %d)\n", rx, tx, -EPERM);
	_exit(rx == -EPERM && tx == -EPERM && !nic && ps.in_use == 0 ? 0 : 1);
}

static void test_no_permission(void **state)
{
	struct fx *fx = *state;
	char dir[] = "/tmp/pp-noperm-XXXXXX", obj[64], cmd[256];
	const char *src = pp__afxdp_obj_path();

	SKIP_UNLESS_ABLE();
	assert_non_null(src);
	assert_non_null(mkdtemp(dir));	/* mode 0700, owned by root */
	snprintf(obj, sizeof(obj), "%s/pp_xdp.bpf.o", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, obj);
	assert_int_equal(system(cmd), 0);
	for (int run = 0; run < 2; run++) {
		pid_t pid = fork();
		int st;

		assert_true(pid >= 0);
		if (pid == 0)
			no_permission_child(fx, run ? obj : NULL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	unlink(obj);
	rmdir(dir);
}

static void test_too_many_queues(void **state)
{
	struct fx *fx = *state;

	SKIP_UNLESS_ABLE();
	/* the veth has 2 queues each way */
	assert_int_equal(open_nic(fx, "mode=skb,queues=3", 1, 1), -EINVAL);
	assert_int_equal(open_nic(fx, "mode=skb", 4, 0), -EINVAL);
	assert_null(fx->nic);
}

static void test_zc_on_veth(void **state)
{
	struct fx *fx = *state;
	struct pp__afxdp_info info;
	int err;

	SKIP_UNLESS_ABLE();
	/* veth has no zero-copy: an explicit zc bind fails cleanly... */
	err = open_nic(fx, "mode=skb,bind=zc", 1, 1);
	assert_true(err < 0);
	assert_null(fx->nic);
	/* ...and auto falls back to copy, saying so */
	assert_int_equal(open_nic(fx, "mode=skb,bind=auto", 1, 1), 0);
	assert_int_equal(pp__afxdp_info(fx->nic, &info), 0);
	assert_string_equal(info.bind, "copy");
	assert_string_equal(info.xdp_mode, "skb");
}

/* A minimal XDP program that is not ours: "return XDP_PASS". */
static int foreign_prog(void)
{
	static const struct bpf_insn insns[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = 2},	/* r0 = XDP_PASS */
		{.code = 0x95},				/* exit */
	};
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "not_pktpipe", "GPL", insns, 2, NULL);
}

static void test_foreign_prog(void **state)
{
	struct fx *fx = *state;
	int fd, ifindex = ppt_ifindex_in(NULL, IFA);
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);

	SKIP_UNLESS_ABLE();
	assert_true(ifindex > 0);
	fd = foreign_prog();
	assert_true(fd >= 0);
	assert_int_equal(bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL), 0);
	fx->legacy_ifindex = ifindex;
	close(fd);
	assert_int_equal(open_nic(fx, "mode=skb", 1, 1), -EBUSY);
	assert_int_equal(open_nic(fx, "mode=native", 1, 1), -EBUSY);
	assert_int_equal(pp__afxdp_detach_stale(IFA), -EBUSY);
	assert_null(fx->nic);
	/* left in place */
	assert_int_equal(bpf_xdp_query(ifindex, 0, &qo), 0);
	assert_true(qo.skb_prog_id != 0);
	/* TX-only needs no program, so a foreign one does not matter */
	assert_int_equal(open_nic(fx, "", 1, 0), 0);
}

static void test_second_user_busy(void **state)
{
	struct fx *fx = *state;
	struct pp_nic *second = NULL;

	SKIP_UNLESS_ABLE();
	assert_int_equal(open_nic(fx, "mode=skb", 1, 1), 0);
	assert_int_equal(pp__nic_open("afxdp:" IFA ",mode=skb", fx->pool, 1, 1, 1500, &second),
			 -EBUSY);
	assert_null(second);
	/* pp__afxdp_detach_stale() leaves a live one alone */
	assert_int_equal(pp__afxdp_detach_stale(IFA), -EBUSY);
}

/* ---- boundaries ---------------------------------------------------------------------- */

/* Our own program attached the legacy way, as a crashed older process would
 * leave it: open replaces it, close leaves the interface bare. */
static void test_stale_replaced(void **state)
{
	struct fx *fx = *state;
	struct pp__afxdp_info info;
	struct bpf_object *obj;
	int ifindex = ppt_ifindex_in(NULL, IFA);
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);

	SKIP_UNLESS_ABLE();
	obj = bpf_object__open_file(pp__afxdp_obj_path(), NULL);
	assert_int_equal(libbpf_get_error(obj), 0);
	assert_int_equal(bpf_object__load(obj), 0);
	assert_int_equal(bpf_xdp_attach(ifindex,
					bpf_program__fd(bpf_object__find_program_by_name(
						obj, PP__AFXDP_PROG_NAME)),
					XDP_FLAGS_SKB_MODE, NULL),
			 0);
	fx->legacy_ifindex = ifindex;
	bpf_object__close(obj); /* the attachment keeps the program alive */

	assert_int_equal(open_nic(fx, "mode=native,ip=" IP_US, 1, 1), 0);
	assert_int_equal(pp__afxdp_info(fx->nic, &info), 0);
	assert_true(info.replaced_stale);
	assert_string_equal(info.xdp_mode, "native");
	assert_true(info.prog_id != 0);
	assert_int_equal(bpf_xdp_query(ifindex, 0, &qo), 0);
	assert_int_equal(qo.skb_prog_id, 0);
	assert_int_equal(qo.drv_prog_id, info.prog_id);

	pp__nic_close(fx->nic);
	fx->nic = NULL;
	memset(&qo, 0, sizeof(qo));
	qo.sz = sizeof(qo);
	assert_int_equal(bpf_xdp_query(ifindex, 0, &qo), 0);
	assert_int_equal(qo.prog_id + qo.drv_prog_id + qo.skb_prog_id, 0);
	/* and the cleaner finds nothing left */
	assert_int_equal(pp__afxdp_detach_stale(IFA), 0);
}

/*
 * ring=64: the completion ring takes 64 frames, then the kernel stops and
 * the TX ring fills: exactly 128 frames are accepted without reaping. A
 * chain that does not fit whole is refused whole; refused frames (bad
 * length) come back through tx_complete marked TX_ERROR; reaping restarts
 * the stalled ring without any new xmit.
 */
static void test_tx_ring_full(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *b[PP_BURST];
	struct pp_nic_stats ns;
	struct pp__afxdp_stats xs;
	struct ppt_ifstats before, after;
	uint32_t accepted = 0, seq = 0;
	uint64_t done = 0;
	uint16_t n;

	SKIP_UNLESS_ABLE();
	assert_int_equal(open_nic(fx, "ring=64", 1, 0), 0);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 64);
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 1), 0);	/* no such queue */
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 1, b, 0), 0);
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &before), 0);

	/* a chain longer than the ring would never fit: refused, not stuck */
	{
		struct pp_skb *head = mk_udp(fx, 0, 18), *t = head, *back[PP_BURST_MAX];

		for (int i = 1; i < 65; i++) {
			t->frag = mk_udp(fx, 0, 18);
			t = t->frag;
		}
		assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, &head, 1), 1);
		n = fx->nic->ops->tx_complete(fx->nic, 0, back, PP_BURST_MAX);
		assert_int_equal(n, 65);
		for (int i = 0; i < 65; i++) {
			assert_int_equal(back[i]->drop_reason, PP_DROP_TX_ERROR);
			assert_null(back[i]->frag);
		}
		pp_skb_free_burst(fx->c, back, n);
	}

	/* 127 singles: 64 sent into the full completion ring, 63 wait */
	while (accepted < 127) {
		uint16_t k = 127 - accepted < PP_BURST ? (uint16_t)(127 - accepted) : PP_BURST;

		for (uint16_t i = 0; i < k; i++)
			b[i] = mk_udp(fx, seq++, 18);
		n = fx->nic->ops->xmit_burst(fx->nic, 0, b, k);
		assert_int_equal(n, k);
		accepted += n;
	}
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 1);
	/* a chain of two does not fit whole: refused, caller keeps it */
	b[0] = mk_udp(fx, seq++, 18);
	b[0]->frag = mk_udp(fx, seq++, 18);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, b, 1), 0);
	pp_skb_free(fx->c, b[0]);
	/* a refused frame (too short for Ethernet) takes no descriptor */
	b[0] = pp_skb_alloc(fx->c);
	assert_non_null(pp_skb_put(b[0], 10));
	b[1] = mk_udp(fx, seq++, 18);
	b[2] = mk_udp(fx, seq++, 18);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, b, 3), 2);
	accepted++;
	assert_int_equal(fx->nic->ops->tx_room(fx->nic, 0), 0);
	pp_skb_free(fx->c, b[2]);

	/* the refused one comes back first, marked */
	n = fx->nic->ops->tx_complete(fx->nic, 0, b, 1);
	assert_int_equal(n, 1);
	assert_int_equal(b[0]->len, 10);
	assert_int_equal(b[0]->drop_reason, PP_DROP_TX_ERROR);
	pp_skb_free(fx->c, b[0]);

	/* reaping alone gets the 64 waiting ones out */
	reap_all(fx, 1, &done, accepted);
	pp__nic_stats(fx->nic, &ns);
	assert_int_equal(ns.tx_packets, 128);
	assert_int_equal(ns.tx_completed, 128);
	assert_true(ns.tx_ring_full >= 2);
	assert_int_equal(pp__afxdp_stats(fx->nic, &xs), 0);
	assert_int_equal(xs.tx_invalid, 66);
	assert_true(xs.comp_kicks >= 1);
	assert_int_equal(xs.kick_err, 0);
	assert_int_equal(xs.bogus, 0);
	assert_int_equal(xs.xsk_tx_invalid_descs, 0);
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &after), 0);
	assert_true(after.rx_packets - before.rx_packets >= 128);
}

/* Frames left with the NIC at close (fill ring, unreaped TX) go home. */
static void test_close_undrained(void **state)
{
	struct fx *fx = *state;
	struct pp_skb *b[PP_BURST], *rx[PP_BURST];
	struct pp_pool_stats ps;

	SKIP_UNLESS_ABLE();
	assert_int_equal(open_nic(fx, "mode=skb,ring=64,fill=64,ip=" IP_US, 1, 1), 0);
	assert_int_equal(fx->nic->ops->rx_burst(fx->nic, 0, fx->c, rx, PP_BURST), 0);
	for (int i = 0; i < PP_BURST; i++)
		b[i] = mk_udp(fx, (uint32_t)i, 18);
	assert_int_equal(fx->nic->ops->xmit_burst(fx->nic, 0, b, PP_BURST), PP_BURST);
	assert_int_equal(pp_pool_stats(fx->pool, &ps), 0);
	assert_int_equal(ps.in_use, 64 + PP_BURST);
	/* teardown closes without reaping and checks in_use == 0 */
}

/* ---- a completion thread ---------------------------------------------------------------- */

struct reaper {
	struct fx *fx;
	struct pp_pool_cache *c;	/* a freer cache: frames go home by return ring */
	_Atomic(uint64_t) done;
	_Atomic(int) stop;
	uint64_t bad;
};

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;
	struct pp_skb *out[PP_BURST_MAX];

	while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
		uint16_t n = r->fx->nic->ops->tx_complete(r->fx->nic, 0, out, PP_BURST_MAX);

		for (uint16_t i = 0; i < n; i++)
			r->bad += out[i]->state != PP_SKB_ALLOCATED || out[i]->frag;
		pp_skb_free_burst(r->c, out, n);
		atomic_fetch_add_explicit(&r->done, n, memory_order_release);
		if (!n)
			sched_yield();
	}
	return NULL;
}

/*
 * xmit on this thread, tx_complete on another (as a completion thread
 * does), frames freed there into a freer cache and coming home to our lane
 * through the pool's return ring: nothing lost, nothing returned twice.
 */
static void test_tx_reaper_thread(void **state)
{
	static struct reaper r;
	struct fx *fx = *state;
	struct pp_skb *b[PP_BURST];
	struct ppt_ifstats before, after;
	uint32_t seq = 0, held = 0;
	uint64_t t0;
	pthread_t th;

	SKIP_UNLESS_ABLE();
	assert_int_equal(open_nic(fx, "ring=256", 1, 0), 0);
	memset(&r, 0, sizeof(r));
	r.fx = fx;
	r.c = pp_pool_cache(fx->pool, 1);
	assert_non_null(r.c);
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &before), 0);
	assert_int_equal(pthread_create(&th, NULL, reaper_main, &r), 0);
	t0 = now_ms();
	while ((seq < NTX || held) && now_ms() - t0 < 20000) {
		uint16_t n;

		/* in flight: at most ring + completion ring (512) of 8192 frames */
		while (held < PP_BURST && seq < NTX) {
			b[held++] = mk_udp(fx, seq, payload_len(seq));
			seq++;
		}
		n = fx->nic->ops->xmit_burst(fx->nic, 0, b, (uint16_t)held);
		memmove(b, b + n, (held - n) * sizeof(b[0]));
		held -= n;
	}
	while (atomic_load(&r.done) < NTX && now_ms() - t0 < 20000)
		sched_yield();
	atomic_store_explicit(&r.stop, 1, memory_order_release);
	pthread_join(th, NULL);
	print_message("reaper thread: %llu of %u completed\n",
		      (unsigned long long)atomic_load(&r.done), NTX);
	assert_int_equal(held, 0);
	assert_int_equal(atomic_load(&r.done), NTX);
	assert_int_equal(r.bad, 0);
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &after), 0);
	assert_true(after.rx_packets - before.rx_packets >= NTX);
}

/* ---- traffic ---------------------------------------------------------------------------- */

static int udp_socket_in(const char *ns, const char *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = ppt_socket_in(ns, AF_INET, SOCK_DGRAM, 0), sz = 32 << 20;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = ip(addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	return fd;
}

struct rxcheck {
	uint8_t seen[NTX];
	uint32_t got, bad;
};

static void drain_udp(int fd, struct rxcheck *rc, int timeout_ms)
{
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t len;
		uint32_t seq = UINT32_MAX;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return;
		while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
			if (!payload_ok(buf, (uint32_t)len, &seq) || seq >= NTX || rc->seen[seq] ||
			    (uint32_t)len != payload_len(seq)) {
				rc->bad++;
				continue;
			}
			rc->seen[seq] = 1;
			rc->got++;
		}
		if (!timeout_ms)
			return;
	}
}

/* TX: NTX datagrams in bursts (alternating queues), reaped as we go; the
 * kernel socket in B gets every one, byte for byte. */
static void traffic_tx(struct fx *fx)
{
	static struct rxcheck rc;
	uint16_t ntxq = fx->nic->ntxq;
	struct pp_skb *b[PP_BURST];
	struct ppt_ifstats before, after;
	struct pp_nic_stats ns;
	struct pp__afxdp_stats xs;
	uint32_t seq = 0, held = 0, burst = 0;
	uint64_t done = 0, t0;
	int fd = udp_socket_in(fx->nsb, IP_B, PORT_B);

	memset(&rc, 0, sizeof(rc));
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &before), 0);
	t0 = now_ms();
	while (seq < NTX || held) {
		uint16_t q = (uint16_t)(burst++ % ntxq), n;

		while (held < PP_BURST && seq < NTX) {
			b[held] = mk_udp(fx, seq, payload_len(seq));
			held++;
			seq++;
		}
		n = fx->nic->ops->xmit_burst(fx->nic, q, b, (uint16_t)held);
		memmove(b, b + n, (held - n) * sizeof(b[0]));
		held -= n;
		done += reap(fx, ntxq);
		drain_udp(fd, &rc, 0);
		assert_true(now_ms() - t0 < 20000);
	}
	reap_all(fx, ntxq, &done, NTX);
	while (rc.got < NTX && now_ms() - t0 < 20000)
		drain_udp(fd, &rc, 200);
	close(fd);
	print_message("tx: %u sent, %u received by the peer's socket, %u bad, %llu ms\n", NTX,
		      rc.got, rc.bad, (unsigned long long)(now_ms() - t0));
	assert_int_equal(rc.bad, 0);
	assert_int_equal(rc.got, NTX);
	assert_int_equal(ppt_ifstats_in(fx->nsb, IFB, &after), 0);
	assert_true(after.rx_packets - before.rx_packets >= NTX);
	pp__nic_stats(fx->nic, &ns);
	assert_int_equal(ns.tx_packets, NTX);
	assert_int_equal(ns.tx_completed, NTX);
	assert_true(ns.tx_kicks >= NTX / PP_BURST);
	assert_int_equal(pp__afxdp_stats(fx->nic, &xs), 0);
	assert_int_equal(xs.kick_err, 0);
	assert_int_equal(xs.tx_invalid, 0);
	assert_int_equal(xs.bogus, 0);
	assert_int_equal(xs.xsk_tx_invalid_descs, 0);
}

/* Poll every RX queue until @want frames came or @ms passed; frames go to
 * @check (which frees them). Return: frames received. */
static uint32_t rx_poll(struct fx *fx, uint32_t want, int ms, uint32_t *per_q,
			void (*check)(struct fx *, struct pp_skb *, void *), void *arg)
{
	struct pp_skb *out[PP_BURST];
	uint32_t got = 0;
	uint64_t t0 = now_ms();

	do {
		for (uint16_t q = 0; q < fx->nic->nrxq; q++) {
			uint16_t n = fx->nic->ops->rx_burst(fx->nic, q, fx->c, out, PP_BURST);

			for (uint16_t i = 0; i < n; i++) {
				check(fx, out[i], arg);
				pp_skb_free(fx->c, out[i]);
			}
			if (per_q)
				per_q[q] += n;
			got += n;
		}
	} while (got < want && now_ms() - t0 < (uint64_t)ms);
	return got;
}

struct udp_rx {
	uint8_t seen[NRX];
	uint32_t ok;
	uint32_t data_off;
};

static void check_udp_in(struct fx *fx, struct pp_skb *skb, void *arg)
{
	struct udp_rx *u = arg;
	const uint8_t *d = pp_skb_data(skb);
	const struct pp_eth_hdr *eth = (const void *)d;
	const struct pp_ipv4_hdr *iph = (const void *)(eth + 1);
	const struct pp_udp_hdr *uh = (const void *)(iph + 1);
	uint32_t headroom = fx->p->headroom ? fx->p->headroom : PP_SKB_HEADROOM, seq = UINT32_MAX;

	/* Where the kernel put the data: after the UMEM frame_headroom and its
	 * own XDP_PACKET_HEADROOM (256); never over the metadata. */
	uint32_t colour = (uint32_t)((uintptr_t)skb & (pp_pool_frame_size(fx->pool) - 1));

	assert_true(skb->data_off >= PP_SKB_META + headroom);
	/* from the frame's start: the metadata of any colour, then the XDP
	 * headroom; the skb itself sits at its frame's colour offset */
	assert_int_equal(colour + skb->data_off, PP_FRAME_COLOUR_MAX + PP_SKB_META +
						 (headroom > 256 ? headroom - 256 : 0) + 256);
	u->data_off = skb->data_off;
	assert_int_equal(skb->state, PP_SKB_ALLOCATED);
	assert_int_equal(skb->owner, 0);
	assert_int_equal(skb->end + colour, pp_pool_frame_size(fx->pool));
	assert_int_equal(skb->mac_off, skb->data_off);
	assert_true(skb->queue < fx->nic->nrxq);
	assert_true(skb->len >= sizeof(*eth) + sizeof(*iph) + sizeof(*uh));
	assert_memory_equal(eth->dst, fx->mac_a, 6);
	assert_memory_equal(eth->src, fx->mac_b, 6);
	assert_int_equal(ntohs(eth->proto), PP_ETH_P_IP);
	assert_int_equal(iph->daddr, fx->ip_us);
	assert_int_equal(iph->saddr, fx->ip_b);
	assert_int_equal(iph->protocol, PP_IPPROTO_UDP);
	assert_int_equal(pp_csum(iph, sizeof(*iph)), 0);
	assert_int_equal(ntohs(uh->dest), PORT_US);
	assert_int_equal(ntohs(uh->len), skb->len - sizeof(*eth) - sizeof(*iph));
	assert_true(payload_ok((const uint8_t *)(uh + 1), ntohs(uh->len) - sizeof(*uh), &seq));
	assert_true(seq < NRX);
	assert_int_equal(u->seen[seq], 0);
	u->seen[seq] = 1;
	u->ok++;
}

/* RX: B's kernel sends NRX datagrams to our address from 16 source ports
 * (flows spread over the queues); rx_burst hands them to us intact. */
static void traffic_rx(struct fx *fx)
{
	static struct udp_rx u;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(PORT_US)};
	struct pp_skb *out[PP_BURST];
	uint32_t per_q[8] = {0}, got;
	struct pp_nic_stats ns;
	int fds[16];

	memset(&u, 0, sizeof(u));
	to.sin_addr.s_addr = fx->ip_us;
	/* stock the fill rings first: until then the kernel has nowhere to write */
	for (uint16_t q = 0; q < fx->nic->nrxq; q++)
		assert_int_equal(fx->nic->ops->rx_burst(fx->nic, q, fx->c, out, PP_BURST), 0);
	for (int i = 0; i < 16; i++)
		fds[i] = udp_socket_in(fx->nsb, IP_B, (uint16_t)(20000 + i));
	for (uint32_t s = 0; s < NRX; s++) {
		uint8_t buf[1100];
		uint32_t len = payload_len(s);

		fill_payload(buf, len, s);
		assert_int_equal(sendto(fds[s % 16], buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
	for (int i = 0; i < 16; i++)
		close(fds[i]);
	got = rx_poll(fx, NRX, 3000, per_q, check_udp_in, &u);
	print_message("rx: %u of %u datagrams; per queue: %u %u; data at frame offset %u\n", got,
		      NRX, per_q[0], per_q[1], u.data_off);
	assert_int_equal(got, NRX);
	assert_int_equal(u.ok, NRX);
	/* In native mode veth hands each of B's TX queues' frames to the same
	 * RX queue here, so 16 flows reach both queues (all on one: 2^-15).
	 * Generic XDP sees them all on queue 0 (veth records no RX queue). */
	if (fx->nic->nrxq == 2 && !strcmp(fx->p->mode, "native"))
		assert_true(per_q[0] && per_q[1]);
	pp__nic_stats(fx->nic, &ns);
	assert_int_equal(ns.rx_packets, NRX);
	assert_int_equal(ns.rx_dropped, 0);
}

struct arp_rx {
	uint32_t requests;
};

static void check_arp_in(struct fx *fx, struct pp_skb *skb, void *arg)
{
	struct arp_rx *a = arg;
	const struct pp_eth_hdr *eth = (const void *)pp_skb_data(skb);
	const struct pp_arp_hdr *arp = (const void *)(eth + 1);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	assert_int_equal(ntohs(eth->proto), PP_ETH_P_ARP);
	assert_memory_equal(eth->dst, bcast, 6);
	assert_int_equal(ntohs(arp->op), PP_ARP_OP_REQUEST);
	assert_int_equal(arp->tpa, fx->ip_us);
	assert_int_equal(arp->spa, fx->ip_b);
	assert_memory_equal(arp->sha, fx->mac_b, 6);
	a->requests++;
}

/* ARP: with B's neighbour entry for us gone, B's kernel asks who has our
 * address; the request must reach our RX, not A's kernel. */
static void traffic_arp(struct fx *fx)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(PORT_US)};
	struct arp_rx a = {0};
	struct pp__afxdp_stats xs;
	int fd = udp_socket_in(fx->nsb, IP_B, 20100);

	to.sin_addr.s_addr = fx->ip_us;
	assert_int_equal(ppt_sh("ip -n %s neigh del %s dev %s", fx->nsb, IP_US, IFB), 0);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(fd);
	assert_true(rx_poll(fx, 1, 3000, NULL, check_arp_in, &a) >= 1);
	assert_true(a.requests >= 1);
	assert_int_equal(pp__afxdp_stats(fx->nic, &xs), 0);
	assert_true(xs.xdp_redirected >= NRX + 1);
}

static void check_nothing(struct fx *fx, struct pp_skb *skb, void *arg)
{
	(void)fx;
	(void)skb;
	(void)arg;
	fail_msg("received traffic that is the kernel's");
}

/* Echo request from B to A's kernel address with a raw socket (no ping
 * here); true when the echo reply comes back. */
static bool ping_a_from_b(struct fx *fx, uint16_t id)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = fx->ip_a};
	struct pp_icmp_hdr req = {.type = PP_ICMP_ECHO, .id = htons(id), .seq = htons(1)};
	int fd = ppt_socket_in(fx->nsb, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	uint64_t t0 = now_ms();
	bool ok = false;

	assert_true(fd >= 0);
	req.check = pp_csum(&req, sizeof(req));
	assert_int_equal(sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(req));
	while (!ok && now_ms() - t0 < 3000) {
		uint8_t buf[256];
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t len;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < (ssize_t)(PP_IPV4_HLEN + sizeof(req)))
			continue;
		const struct pp_ipv4_hdr *iph = (const void *)buf;
		const struct pp_icmp_hdr *rep = (const void *)(buf + (iph->ver_ihl & 0xf) * 4);

		ok = iph->saddr == fx->ip_a && rep->type == PP_ICMP_ECHOREPLY &&
		     rep->id == htons(id);
	}
	close(fd);
	return ok;
}

/* Not ours: ping and UDP to A's kernel address still work while we are
 * attached (XDP_PASS), and none of it shows up on our RX. */
static void traffic_pass(struct fx *fx)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(PORT_A)};
	struct pp__afxdp_stats xs;
	char buf[16];
	int ra = udp_socket_in(fx->nsa, IP_A, PORT_A), sb = udp_socket_in(fx->nsb, IP_B, 20200);
	struct pollfd pfd = {.fd = ra, .events = POLLIN};

	to.sin_addr.s_addr = fx->ip_a;
	assert_true(ping_a_from_b(fx, 0x7070));
	assert_int_equal(sendto(sb, "kernel", 6, 0, (struct sockaddr *)&to, sizeof(to)), 6);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(ra, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "kernel", 6);
	close(ra);
	close(sb);
	assert_int_equal(rx_poll(fx, 1, 200, NULL, check_nothing, NULL), 0);
	assert_int_equal(pp__afxdp_stats(fx->nic, &xs), 0);
	/* at least: ARP for A's address, the echo request, the datagram */
	assert_true(xs.xdp_passed >= 3);
	assert_true(xs.xdp_redirected >= NRX);
	assert_int_equal(xs.xdp_no_socket, 0);
}

static void traffic(void **state)
{
	struct fx *fx = *state;
	const struct param *p = fx->p;
	struct pp__afxdp_info info;
	char opts[96];
	uint16_t q = (uint16_t)p->queues;

	SKIP_UNLESS_ABLE();
	snprintf(opts, sizeof(opts), "mode=%s,ip=%s%s%s", p->mode, IP_US, p->extra ? "," : "",
		 p->extra ? p->extra : "");
	assert_int_equal(open_nic(fx, opts, q, q), 0);
	assert_int_equal(pp__afxdp_info(fx->nic, &info), 0);
	print_message("afxdp: %s\n", pp__afxdp_mode_info(fx->nic));
	assert_string_equal(info.xdp_mode, p->mode);
	assert_string_equal(info.bind, "copy");
	assert_int_equal(info.nsock, q);
	assert_int_equal(info.ipv4, fx->ip_us);
	assert_int_equal(info.busy_poll, p->extra && strstr(p->extra, "busy_poll=1"));
	assert_int_equal(info.budget, p->extra && strstr(p->extra, "budget=64") ? 64 : 32);
	assert_memory_equal(fx->nic->mac, fx->mac_a, 6);

	traffic_tx(fx);
	traffic_rx(fx);
	traffic_pass(fx);
	traffic_arp(fx);
}

static void test_traffic_native_q1(void **state) { traffic(state); }
static void test_traffic_native_q2(void **state) { traffic(state); }
static void test_traffic_skb_q1_headroom384(void **state) { traffic(state); }
static void test_traffic_skb_q2(void **state) { traffic(state); }

/* ---- the list ------------------------------------------------------------------------------ */

static const struct param p_perm = {"perm", "skb", NULL, 1, 0, 0};
static const struct param p_neg = {"neg", "skb", NULL, 2, 0, 0};
static const struct param p_foreign = {"foreign", "skb", NULL, 1, 0, 0};
static const struct param p_second = {"second", "skb", NULL, 1, 0, 0};
static const struct param p_zc = {"zc", "skb", NULL, 1, 0, 0};
static const struct param p_down = {"down", "skb", NULL, 1, 0, 0};
static const struct param p_stale = {"stale", "native", NULL, 1, 0, 0};
static const struct param p_full = {"full", "skb", NULL, 1, 0, 0};
static const struct param p_close = {"close", "skb", NULL, 1, 0, 0};
static const struct param p_reaper = {"reaper", "skb", NULL, 1, 0, 1};
static const struct param p_n1 = {"n1", "native", "busy_poll=1", 1, 0, 0};
static const struct param p_n2 = {"n2", "native", NULL, 2, 0, 0};
static const struct param p_s1 = {"s1", "skb", NULL, 1, 384, 0};	/* headroom beyond 256 */
static const struct param p_s2 = {"s2", "skb", "budget=64", 2, 0, 0};

#define NET_TEST(fn, p) cmocka_unit_test_prestate_setup_teardown(fn, setup_net, teardown, (void *)&(p))

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_specs, setup_pool, teardown),
		cmocka_unit_test_setup_teardown(test_missing_iface, setup_pool, teardown),
		NET_TEST(test_iface_down, p_down),
		NET_TEST(test_no_permission, p_perm),
		NET_TEST(test_too_many_queues, p_neg),
		NET_TEST(test_zc_on_veth, p_zc),
		NET_TEST(test_foreign_prog, p_foreign),
		NET_TEST(test_second_user_busy, p_second),
		NET_TEST(test_stale_replaced, p_stale),
		NET_TEST(test_tx_ring_full, p_full),
		NET_TEST(test_close_undrained, p_close),
		NET_TEST(test_tx_reaper_thread, p_reaper),
		NET_TEST(test_traffic_native_q1, p_n1),
		NET_TEST(test_traffic_native_q2, p_n2),
		NET_TEST(test_traffic_skb_q1_headroom384, p_s1),
		NET_TEST(test_traffic_skb_q2, p_s2),
	};

	return pp_test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
