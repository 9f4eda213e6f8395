// SPDX-License-Identifier: MIT
/*
 * afxdp.c - the AF_XDP NIC: the pool's region is the UMEM, so transmitting an
 * skb is writing its address into a TX ring (cf. a driver's ndo_start_xmit()
 * with the DMA mapping reduced to an offset) and receiving is turning an RX
 * descriptor back into the skb whose frame the kernel wrote into (cf. NAPI
 * poll building skbs over page_pool pages). Options are listed in afxdp.h.
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
 *
 * XDP program: pp_xdp.bpf.c, loaded with libbpf and attached through a
 * bpf_link (so it goes away with the process, crash included); a copy of it
 * attached the legacy way is replaced, anything else on the interface is
 * refused with -EBUSY.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include <pktpipe/prot/eth.h>
#include <pktpipe/ring.h>

#include "nic/afxdp.h"
#include "nic/bpf/pp_xdp_path.h"
#include "nic/nic.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
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

/*
 * ThreadSanitizer cannot see the ordering the kernel gives us: the xmit
 * thread's writes to a frame happen before its descriptor is submitted, which
 * happens before the kernel completes it, which happens before the reaper
 * reads the completion ring - but the release (TX producer) and the acquire
 * (completion producer) are on different words. Under TSan only, xmit also
 * publishes a sequence number that the reaper acquires, so TSan sees the edge
 * that is really there; in normal builds the constant folds the code away.
 */
#if defined(__SANITIZE_THREAD__)
#define AFXDP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AFXDP_TSAN 1
#endif
#endif
#ifndef AFXDP_TSAN
#define AFXDP_TSAN 0
#endif

/* The kernel puts XDP_PACKET_HEADROOM after the UMEM's frame_headroom. */
#define AFXDP_XDP_HEADROOM 256u
#define AFXDP_RING_DEFAULT 2048u
#define AFXDP_RING_MIN 64u
#define AFXDP_RING_MAX 16384u
#define AFXDP_KERNEL_BUDGET 32u	/* TX_BATCH_SIZE in net/xdp/xsk.c */
#define AFXDP_XSKMAP_MIN 64u
#define AFXDP_BUSY_POLL_US 20
#define AFXDP_BIND_BUSY_MS 500	/* how long a queue may stay busy after a close */

/* Keep in step with pp_xdp.bpf.c. */
struct pp_xdp_cfg {
	uint32_t ipv4;
	uint32_t flags;
};
enum { XDP_ST_REDIRECTED, XDP_ST_PASSED, XDP_ST_NO_SOCKET, XDP_ST_N };

enum afxdp_mode { MODE_AUTO, MODE_NATIVE, MODE_SKB };
enum afxdp_bind { BIND_AUTO, BIND_COPY, BIND_ZC };
/* csum=: auto (partial checksums accepted on veth only), partial, strict */
enum afxdp_csum { CSUM_AUTO, CSUM_PARTIAL, CSUM_STRICT };

/* One AF_XDP socket: TX queue q and/or RX queue q. Three writers, three lines. */
struct axq {
	/* (P) xmit thread */
	alignas(PP_CACHE_LINE) struct xsk_ring_prod tx;
	uint64_t *sent;		/* toggled per frame handed to the kernel */
	struct pp_ring *err;	/* refused skbs, to the reaper */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_ring_full;
	uint64_t tx_kicks;
	uint64_t kick_again;
	uint64_t kick_err;
	uint64_t tx_invalid;
	uint32_t tsan_seq;	/* see AFXDP_TSAN */
	/* (C) reaper (tx_complete) */
	alignas(PP_CACHE_LINE) struct xsk_ring_cons cq;
	uint64_t *done;		/* toggled per frame completed */
	uint64_t tx_completed;
	uint64_t comp_kicks;
	uint64_t comp_kick_again;
	uint64_t comp_kick_err;
	uint64_t comp_bogus;
	/* (R) RX thread */
	alignas(PP_CACHE_LINE) struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	uint64_t *filled;	/* toggled at fill, again at RX: set = the NIC's */
	struct pp_pool_cache *fill_cache; /* where fill frames came from */
	uint32_t fill_out;	/* frames on the fill ring or in the kernel */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_alloc_fail;
	uint64_t rx_fill_kicks;
	uint64_t rx_bogus;
	/* const after open */
	alignas(PP_CACHE_LINE) int fd;
	bool has_tx, has_rx;
	void *map[4];		/* mmapped rings: fill, comp, rx, tx */
	size_t map_len[4];
};

struct afxdp {
	/* const after open, read by every data path thread */
	uint8_t *base;
	size_t region_len;
	uint32_t frame_size;
	uint32_t frame_shift;
	uint32_t fill;
	uint32_t umem_headroom;	/* frame_headroom: skb metadata (+ pool headroom over 256) */
	uint32_t kick_budget;	/* descriptors one copy-mode kick sends */
	uint16_t max_len;	/* longest frame we send: mtu + Ethernet header */
	uint16_t nsock;
	bool busy_poll;
	uint8_t csum;		/* CSUM_*: how received L4 checksums are judged */
	bool is_veth;		/* the interface's driver is veth */
	struct axq *q;		/* [nsock] */
	size_t map_words;	/* uint64_t per frame bitmap */
	/* control */
	struct pp__afxdp_info info;
	enum afxdp_mode mode;
	enum afxdp_bind bind;
	uint32_t ring;
	uint32_t budget;
	uint16_t queues;	/* from queues=N, 0: as opened */
	struct bpf_object *obj;
	int link_fd;
	int cfg_fd;
	int stats_fd;
	int xsks_fd;
	char line[160];
};

static struct afxdp *priv_of(struct pp_nic *nic)
{
	return pp__nic_priv(nic);
}

static bool is_afxdp(const struct pp_nic *nic)
{
	return nic && nic->ops == &pp__nic_afxdp_ops;
}

/* ---- frame bitmaps -------------------------------------------------------- */

static inline void bit_flip(uint64_t *map, uint64_t i)
{
	map[i >> 6] ^= 1ull << (i & 63);
}

static inline bool bit_get(const uint64_t *map, uint64_t i)
{
	return (map[i >> 6] >> (i & 63)) & 1;
}

/* ---- spec parsing ----------------------------------------------------------- */

static int parse_u32(const char *s, size_t len, uint32_t min, uint32_t max, uint32_t *out)
{
	char buf[16];
	char *end;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool tok_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(k, name, klen);
}

static int parse_kv(struct afxdp *a, const char *k, size_t klen, const char *v, size_t vlen)
{
	uint32_t u;

	if (tok_is(k, klen, "mode")) {
		if (tok_is(v, vlen, "auto"))
			a->mode = MODE_AUTO;
		else if (tok_is(v, vlen, "native"))
			a->mode = MODE_NATIVE;
		else if (tok_is(v, vlen, "skb"))
			a->mode = MODE_SKB;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "bind")) {
		if (tok_is(v, vlen, "auto"))
			a->bind = BIND_AUTO;
		else if (tok_is(v, vlen, "copy"))
			a->bind = BIND_COPY;
		else if (tok_is(v, vlen, "zc"))
			a->bind = BIND_ZC;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "queues")) {
		if (parse_u32(v, vlen, 1, 256, &u))
			return -EINVAL;
		a->queues = (uint16_t)u;
		return 0;
	}
	if (tok_is(k, klen, "ring")) {
		if (parse_u32(v, vlen, AFXDP_RING_MIN, AFXDP_RING_MAX, &u) || (u & (u - 1)))
			return -EINVAL;
		a->ring = u;
		return 0;
	}
	if (tok_is(k, klen, "fill"))
		return parse_u32(v, vlen, PP_BURST, AFXDP_RING_MAX, &a->fill);
	if (tok_is(k, klen, "budget"))
		return parse_u32(v, vlen, 0, AFXDP_RING_MAX, &a->budget);
	if (tok_is(k, klen, "csum")) {
		if (vlen == 4 && !memcmp(v, "auto", 4))
			a->csum = CSUM_AUTO;
		else if (vlen == 7 && !memcmp(v, "partial", 7))
			a->csum = CSUM_PARTIAL;
		else if (vlen == 6 && !memcmp(v, "strict", 6))
			a->csum = CSUM_STRICT;
		else
			return -EINVAL;
		return 0;
	}
	if (tok_is(k, klen, "busy_poll")) {
		if (parse_u32(v, vlen, 0, 1, &u))
			return -EINVAL;
		a->busy_poll = u;
		return 0;
	}
	if (tok_is(k, klen, "ip")) {
		char buf[INET_ADDRSTRLEN];
		struct in_addr in;

		if (vlen == 0 || vlen >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		if (inet_pton(AF_INET, buf, &in) != 1)
			return -EINVAL;
		a->info.ipv4 = in.s_addr;
		return 0;
	}
	return -EINVAL;
}

/* "IFACE[,key=value]*": no empty token, no unknown key, no repeated comma. */
static int parse_args(struct afxdp *a, const char *args)
{
	const char *p = args, *comma = strchr(args, ',');
	size_t iflen = comma ? (size_t)(comma - args) : strlen(args);
	int err;

	if (iflen == 0 || iflen >= sizeof(a->info.ifname))
		return -EINVAL;
	memcpy(a->info.ifname, args, iflen);
	a->info.ifname[iflen] = '\0';
	a->ring = AFXDP_RING_DEFAULT;
	if (!comma)
		return 0;
	p = comma + 1;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t tok = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', tok);

		if (!eq || eq == p)
			return -EINVAL;
		err = parse_kv(a, p, (size_t)(eq - p), eq + 1, tok - (size_t)(eq - p) - 1);
		if (err)
			return err;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* ---- the XDP program ---------------------------------------------------------- */

static bool file_exists(const char *path)
{
	return path && path[0] && access(path, R_OK) == 0;
}

const char *pp__afxdp_obj_path(void)
{
	static char beside[4096];
	const char *env = getenv("PP_XDP_OBJ");
	Dl_info dl;

	if (env && env[0])
		return file_exists(env) ? env : NULL;
#ifdef PP_XDP_OBJ_BUILD
	if (file_exists(PP_XDP_OBJ_BUILD))
		return PP_XDP_OBJ_BUILD;
#endif
	if (file_exists(PP_XDP_OBJ_INSTALL))
		return PP_XDP_OBJ_INSTALL;
	/* pktpipe/pp_xdp.bpf.o beside the shared library (a relocated install) */
	if (dladdr((void *)pp__afxdp_obj_path, &dl) && dl.dli_fname) {
		const char *slash = strrchr(dl.dli_fname, '/');
		int n = slash ? (int)(slash - dl.dli_fname) : 1;

		snprintf(beside, sizeof(beside), "%.*s/pktpipe/pp_xdp.bpf.o", n,
			 slash ? dl.dli_fname : ".");
		if (file_exists(beside))
			return beside;
	}
	return NULL;
}

static const char *prog_name_of(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info pi;
	uint32_t pilen = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd < 0)
		return name;
	memset(&pi, 0, sizeof(pi));
	if (!bpf_obj_get_info_by_fd(fd, &pi, &pilen))
		snprintf(name, len, "%s", pi.name);
	close(fd);
	return name;
}

/*
 * Find what XDP programs sit on @ifindex. Ours attached the legacy way are
 * removed (a crashed process or old tool left them); ours held by a live
 * bpf_link, or anything foreign, make it -EBUSY.
 * Return: how many were removed, or a negative errno.
 */
static int clear_stale(int ifindex, const char *ifname, bool quiet)
{
	static const struct {
		uint32_t flag;
		const char *mode;
	} modes[] = {
		{XDP_FLAGS_DRV_MODE, "native"},
		{XDP_FLAGS_SKB_MODE, "skb"},
		{XDP_FLAGS_HW_MODE, "hw"},
	};
	LIBBPF_OPTS(bpf_xdp_query_opts, qo);
	int removed = 0, err;

	err = bpf_xdp_query(ifindex, 0, &qo);
	if (err) {
		if (!quiet)
			fprintf(stderr, "afxdp: %s: query XDP programs: %s\n", ifname, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint32_t id = modes[i].flag == XDP_FLAGS_DRV_MODE ? qo.drv_prog_id
			      : modes[i].flag == XDP_FLAGS_SKB_MODE ? qo.skb_prog_id
								     : qo.hw_prog_id;
		char name[BPF_OBJ_NAME_LEN + 1];
		int fd;

		if (!id)
			continue;
		prog_name_of(id, name, sizeof(name));
		if (strcmp(name, PP__AFXDP_PROG_NAME)) {
			fprintf(stderr,
				"afxdp: %s: a foreign XDP program is attached (%s mode, id %u, "
				"name \"%s\"): not replacing it\n",
				ifname, modes[i].mode, id, name);
			return -EBUSY;
		}
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue; /* gone meanwhile */
		LIBBPF_OPTS(bpf_xdp_attach_opts, ao, .old_prog_fd = fd);
		err = bpf_xdp_detach(ifindex, modes[i].flag | XDP_FLAGS_REPLACE, &ao);
		close(fd);
		if (err == -EBUSY) {
			fprintf(stderr,
				"afxdp: %s: our XDP program (id %u, %s mode) is held by a live "
				"bpf_link: another pktpipe process uses this interface\n",
				ifname, id, modes[i].mode);
			return -EBUSY;
		}
		if (err) {
			fprintf(stderr, "afxdp: %s: detach stale XDP program id %u: %s\n", ifname,
				id, strerror(-err));
			return err;
		}
		if (!quiet)
			fprintf(stderr, "afxdp: %s: removed a stale pktpipe XDP program (id %u, %s mode)\n",
				ifname, id, modes[i].mode);
		removed++;
	}
	return removed;
}

int pp__afxdp_detach_stale(const char *ifname)
{
	int ifindex;

	if (!ifname)
		return -EINVAL;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	return clear_stale(ifindex, ifname, true);
}

static int set_cfg(struct afxdp *a)
{
	struct pp_xdp_cfg cfg = {.ipv4 = a->info.ipv4};
	uint32_t zero = 0;

	if (bpf_map_update_elem(a->cfg_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_mode(struct afxdp *a, int prog_fd, uint32_t flag)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flag);
	int fd = bpf_link_create(prog_fd, a->info.ifindex, BPF_XDP, &lo);

	if (fd < 0)
		return fd;
	a->link_fd = fd;
	return 0;
}

static int load_prog(struct afxdp *a, uint16_t nrxq)
{
	const char *ifname = a->info.ifname;
	const char *path = pp__afxdp_obj_path();
	struct bpf_program *prog;
	struct bpf_map *xsks;
	struct bpf_prog_info pi;
	uint32_t pilen = sizeof(pi);
	int err, prog_fd;

	if (!path) {
		fprintf(stderr, "afxdp: XDP object pp_xdp.bpf.o not found (set PP_XDP_OBJ)\n");
		return -ENOENT;
	}
	err = clear_stale(a->info.ifindex, ifname, false);
	if (err < 0)
		return err;
	a->info.replaced_stale = err > 0;

	a->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(a->obj);
	if (err) {
		a->obj = NULL;
		fprintf(stderr, "afxdp: open %s: %s\n", path, strerror(-err));
		return err;
	}
	xsks = bpf_object__find_map_by_name(a->obj, "pp_xsks");
	prog = bpf_object__find_program_by_name(a->obj, PP__AFXDP_PROG_NAME);
	if (!xsks || !prog) {
		fprintf(stderr, "afxdp: %s is not our XDP object\n", path);
		return -ENOENT;
	}
	err = bpf_map__set_max_entries(xsks, nrxq > AFXDP_XSKMAP_MIN ? nrxq : AFXDP_XSKMAP_MIN);
	if (err)
		return err;
	err = bpf_object__load(a->obj);
	if (err) {
		fprintf(stderr, "afxdp: load XDP program %s: %s\n", path, strerror(-err));
		return err;
	}
	prog_fd = bpf_program__fd(prog);
	a->xsks_fd = bpf_map__fd(xsks);
	a->cfg_fd = bpf_object__find_map_fd_by_name(a->obj, "pp_cfg");
	a->stats_fd = bpf_object__find_map_fd_by_name(a->obj, "pp_stats");
	if (a->cfg_fd < 0 || a->stats_fd < 0)
		return -ENOENT;
	err = set_cfg(a);
	if (err)
		return err;

	switch (a->mode) {
	case MODE_NATIVE:
		err = attach_mode(a, prog_fd, XDP_FLAGS_DRV_MODE);
		a->info.xdp_mode = "native";
		break;
	case MODE_SKB:
		err = attach_mode(a, prog_fd, XDP_FLAGS_SKB_MODE);
		a->info.xdp_mode = "skb";
		break;
	case MODE_AUTO:
		err = attach_mode(a, prog_fd, XDP_FLAGS_DRV_MODE);
		a->info.xdp_mode = "native";
		if (err) {
			err = attach_mode(a, prog_fd, XDP_FLAGS_SKB_MODE);
			a->info.xdp_mode = "skb";
		}
		break;
	}
	if (err) {
		fprintf(stderr, "afxdp: %s: attach XDP program (%s mode) refused: %s\n", ifname,
			a->mode == MODE_AUTO ? "native, then skb" : a->info.xdp_mode,
			strerror(-err));
		a->info.xdp_mode = "none";
		return err;
	}
	memset(&pi, 0, sizeof(pi));
	if (!bpf_obj_get_info_by_fd(prog_fd, &pi, &pilen))
		a->info.prog_id = pi.id;
	return 0;
}

static void unload_prog(struct afxdp *a)
{
	if (a->link_fd >= 0) {
		close(a->link_fd); /* the bpf_link goes, the program is detached */
		a->link_fd = -1;
	}
	if (a->obj) {
		bpf_object__close(a->obj);
		a->obj = NULL;
	}
	a->xsks_fd = a->cfg_fd = a->stats_fd = -1;
}

/* ---- sockets -------------------------------------------------------------- */

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

		fprintf(stderr, "afxdp: %s queue %u: set up rings of %u: %s\n", ifname, id, n,
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

		fprintf(stderr, "afxdp: %s queue %u: mmap rings: %s\n", ifname, id, strerror(-err));
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

static void close_sock(struct axq *q)
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
static int open_sock0(struct afxdp *a, uint16_t flags, bool quiet)
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
		fprintf(stderr, "afxdp: %s: AF_XDP socket: %s%s\n", ifname, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return err;
	}
	if (setsockopt(q->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr))) {
		err = -errno;
		fprintf(stderr,
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
			fprintf(stderr, "afxdp: %s queue 0: bind (%s): %s\n", ifname,
				flags & XDP_ZEROCOPY ? "zero-copy" : "copy", strerror(-err));
		goto err_sock;
	}
	return 0;

err_sock:
	close_sock(q);
	return err;
}

/* Sockets 1..: same UMEM, their own fill/completion rings, another queue. */
static int open_sock_shared(struct afxdp *a, uint16_t id)
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
		fprintf(stderr, "afxdp: %s queue %u: bind (shared UMEM): %s\n", a->info.ifname, id,
			strerror(-err));
	return err;
}

static int sock_options(struct afxdp *a, struct axq *q, uint16_t id)
{
	const char *ifname = a->info.ifname;

	if (a->budget && q->has_tx) {
		unsigned int b = a->budget;

		if (setsockopt(q->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &b, sizeof(b))) {
			if (errno != ENOPROTOOPT) {
				int err = -errno;

				fprintf(stderr, "afxdp: %s queue %u: XDP_MAX_TX_SKB_BUDGET %u: %s\n",
					ifname, id, b, strerror(-err));
				return err == -EACCES ? -EINVAL : err;
			}
			if (id == 0)
				fprintf(stderr, "afxdp: %s: kernel has no XDP_MAX_TX_SKB_BUDGET; "
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

			fprintf(stderr, "afxdp: %s queue %u: busy poll options: %s\n", ifname, id,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------------- */

static int iface_check(struct afxdp *a, struct pp_nic *nic, uint16_t nq)
{
	const char *ifname = a->info.ifname;
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	int fd, err = 0;

	a->info.ifindex = (int)if_nametoindex(ifname);
	if (!a->info.ifindex) {
		fprintf(stderr, "afxdp: no interface %s in this network namespace\n", ifname);
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
		fprintf(stderr, "afxdp: interface %s is down\n", ifname);
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
			fprintf(stderr, "afxdp: %s has %u RX and %u TX queues, %u asked\n", ifname,
				rx, tx, nq);
			err = -EINVAL;
			goto out;
		}
		if (nic->nrxq && rx > nic->nrxq)
			fprintf(stderr,
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
		fprintf(stderr, "afxdp: %s: %llu TX frames not drained through tx_complete; "
				"freed at close\n",
			a->info.ifname, (unsigned long long)tx_left);
}

static void afxdp_teardown(struct pp_nic *nic)
{
	struct afxdp *a = priv_of(nic);

	unload_prog(a);
	if (!a->q)
		return;
	/* Socket 0 holds the UMEM: close it last. */
	for (uint16_t i = a->nsock; i-- > 0;)
		close_sock(&a->q[i]);
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
	if (!args || !c0 || parse_args(a, args)) {
		fprintf(stderr, "afxdp: bad spec \"%s\": want IFACE[,mode=native|skb|auto]"
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
		fprintf(stderr, "afxdp: fill must be <= ring (%u), budget 32..ring\n", a->ring);
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
		fprintf(stderr, "afxdp: pool headroom %u leaves no room for RX data in %u-byte frames\n",
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
		fprintf(stderr, "afxdp: %s: received frames over %u bytes will be dropped "
				"(%u-byte pool frames)\n",
			a->info.ifname, rx_room, a->frame_size);
	/* The program first: a foreign or live one is the likeliest refusal,
	 * and until a socket is in the XSKMAP it passes everything on. */
	a->info.xdp_mode = "none";
	if (nic->nrxq) {
		err = load_prog(a, nic->nrxq);
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
		err = open_sock0(a, XDP_ZEROCOPY, false);
		break;
	case BIND_COPY:
		err = open_sock0(a, XDP_COPY, false);
		break;
	case BIND_AUTO:
		err = open_sock0(a, XDP_ZEROCOPY, true);
		if (err && err != -EPERM && err != -ENOMEM)
			err = open_sock0(a, XDP_COPY, false);
		break;
	}
	if (err)
		goto err_teardown;
	a->info.bind = "copy";
	if (!getsockopt(a->q[0].fd, SOL_XDP, XDP_OPTIONS, &xo, &xol) &&
	    (xo.flags & XDP_OPTIONS_ZEROCOPY))
		a->info.bind = "zc";
	for (uint16_t i = 1; i < a->nsock; i++) {
		err = open_sock_shared(a, i);
		if (err)
			goto err_teardown;
	}
	a->info.budget = a->budget ? a->budget : AFXDP_KERNEL_BUDGET;
	for (uint16_t i = 0; i < a->nsock; i++) {
		err = sock_options(a, &a->q[i], i);
		if (err)
			goto err_teardown;
	}
	a->kick_budget = a->info.budget;

	if (nic->nrxq) {
		for (uint32_t i = 0; i < nic->nrxq; i++) {
			if (bpf_map_update_elem(a->xsks_fd, &i, &a->q[i].fd, BPF_ANY)) {
				err = -errno;
				fprintf(stderr, "afxdp: %s: XSKMAP entry %u: %s\n", a->info.ifname, i,
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

/* ---- data path ---------------------------------------------------------------- */

/* Single-writer bitmaps read by another thread (in-flight check): relaxed
 * atomics, which compile to a plain load and store. */
static inline void bit_flip_shared(uint64_t *map, uint64_t i)
{
	uint64_t *w = &map[i >> 6];

	__atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) ^ (1ull << (i & 63)),
			 __ATOMIC_RELAXED);
}

static inline bool bit_get_shared(const uint64_t *map, uint64_t i)
{
	return (__atomic_load_n(&map[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1;
}

/* A frame the kernel may be given: inside the region, whole, sane length. */
static inline bool frame_ok(const struct afxdp *a, const struct pp_skb *f)
{
	uint64_t off = (uint64_t)((uintptr_t)f - (uintptr_t)a->base);

	return off < a->region_len &&
	       (off & (a->frame_size - 1)) == pp_frame_colour(off >> a->frame_shift) &&
	       f->len >= PP_ETH_HLEN && f->len <= a->max_len && f->data_off >= PP_SKB_META &&
	       (uint32_t)f->data_off + f->len <= f->end;
}

static inline uint32_t tx_pending(const struct axq *q)
{
	return __atomic_load_n(q->tx.producer, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);
}

/*
 * Wake the kernel for @q's TX ring (cf. xsk_sendmsg() -> __xsk_generic_xmit()).
 * In copy mode the kernel transmits inside this call, at most kick_budget
 * descriptors, and answers EAGAIN when some are left: kick again while that
 * makes progress, at most once per budget's worth of @ndesc. EAGAIN (also:
 * completion ring full, driver busy), EBUSY and ENOBUFS mean "retry later":
 * the descriptors stay on the ring for the next kick.
 * Return: kicks made. Errors are counted in *@again / *@err.
 */
static uint32_t tx_kick(const struct afxdp *a, struct axq *q, uint32_t ndesc, uint64_t *again,
			uint64_t *err)
{
	uint32_t tries = ndesc / a->kick_budget + 1, kicks = 0;

	while (xsk_ring_prod__needs_wakeup(&q->tx)) {
		uint32_t before = __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE);

		kicks++;
		if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
			if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == EINTR) {
				PP_STAT_ADD(*again, 1);
			} else {
				PP_STAT_ADD(*err, 1);
				break;
			}
		}
		if (--tries == 0 || !tx_pending(q) ||
		    __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE) == before)
			break;
	}
	return kicks;
}

/* Refused skb chain (bad length or address): its frames go back through
 * tx_complete() marked TX_ERROR, one by one. False if the error ring is full. */
static bool tx_refuse(struct axq *q, struct pp_skb *skb, uint32_t nfrags)
{
	if (pp_ring_free_count(q->err) < nfrags)
		return false;
	while (skb) {
		struct pp_skb *frag = skb->frag;

		skb->frag = NULL;
		skb->drop_reason = PP_DROP_TX_ERROR;
		pp_ring_enqueue(q->err, skb);
		skb = frag;
	}
	PP_STAT_ADD(q->tx_invalid, nfrags);
	return true;
}

static uint16_t afxdp_xmit_burst(struct pp_nic *nic, uint16_t qid, struct pp_skb **skbs,
				 uint16_t n)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t ndesc = 0, idx, kicks;
	uint64_t bytes = 0;
	uint16_t i;

	if (PP_UNLIKELY(qid >= nic->ntxq || !skbs))
		return 0;
	q = &a->q[qid];
	for (i = 0; i < n; i++) {
		struct pp_skb *skb = skbs[i], *f;
		uint32_t nfrags = 0;
		bool ok = true;

		if (i + 1 < n)
			__builtin_prefetch(skbs[i + 1]);
		for (f = skb; f; f = f->frag) {
			nfrags++;
			ok &= frame_ok(a, f);
		}
		/* a chain longer than the ring would never fit: refuse it too */
		if (PP_UNLIKELY(!ok || nfrags > q->tx.size)) {
			if (!tx_refuse(q, skb, nfrags))
				break;
			continue;
		}
		/* the whole chain or nothing (reservations add up until submit) */
		if (!xsk_ring_prod__reserve(&q->tx, nfrags, &idx))
			break;
		for (f = skb; f; f = f->frag, idx++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->tx, idx);
			uint64_t off = (uint64_t)((uint8_t *)f - a->base);

			d->addr = off + f->data_off;
			d->len = f->len;
			d->options = 0;
			bit_flip_shared(q->sent, off >> a->frame_shift);
			bytes += f->len;
		}
		ndesc += nfrags;
	}
	if (ndesc) {
		xsk_ring_prod__submit(&q->tx, ndesc);
		if (AFXDP_TSAN)
			__atomic_store_n(&q->tsan_seq, q->tsan_seq + 1, __ATOMIC_RELEASE);
		PP_STAT_ADD(q->tx_packets, ndesc);
		PP_STAT_ADD(q->tx_bytes, bytes);
	}
	if (PP_UNLIKELY(i < n))
		PP_STAT_ADD(q->tx_ring_full, 1);
	/* Kick after every submit, even a short one: a skipped kick stalls TX. */
	if (ndesc || tx_pending(q)) {
		kicks = tx_kick(a, q, ndesc, &q->kick_again, &q->kick_err);
		PP_STAT_ADD(q->tx_kicks, kicks);
	}
	return i;
}

static uint16_t afxdp_tx_complete(struct pp_nic *nic, uint16_t qid, struct pp_skb **out,
				  uint16_t budget)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t got, idx, n, done = 0;

	if (PP_UNLIKELY(qid >= nic->ntxq || !out))
		return 0;
	q = &a->q[qid];
	n = pp_ring_dequeue_burst(q->err, (void **)out, budget);
	got = xsk_ring_cons__peek(&q->cq, budget - n, &idx);
	if (AFXDP_TSAN && got)
		(void)__atomic_load_n(&q->tsan_seq, __ATOMIC_ACQUIRE);
	for (uint32_t j = 0; j < got; j++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&q->cq, idx + j);
		uint64_t fi = addr >> a->frame_shift;
		struct pp_skb *skb;

		if (PP_UNLIKELY(addr >= a->region_len ||
				bit_get_shared(q->sent, fi) == bit_get(q->done, fi))) {
			PP_STAT_ADD(q->comp_bogus, 1);
			continue;
		}
		bit_flip_shared(q->done, fi);
		skb = (struct pp_skb *)(a->base + (fi << a->frame_shift) + pp_frame_colour(fi));
		skb->frag = NULL;
		out[n++] = skb;
		done++;
	}
	if (got)
		xsk_ring_cons__release(&q->cq, got);
	PP_STAT_ADD(q->tx_completed, done);
	/*
	 * In copy mode only a kick transmits: if the driver thread stopped
	 * sending while descriptors wait on the TX ring (a kick that hit a full
	 * completion ring, or more than one budget submitted), nobody else will
	 * send them. Reap idle too, and kick then.
	 */
	if (!got && q->has_tx && tx_pending(q)) {
		uint32_t kicks = tx_kick(a, q, tx_pending(q), &q->comp_kick_again, &q->comp_kick_err);

		PP_STAT_ADD(q->comp_kicks, kicks);
	}
	return (uint16_t)n;
}

static uint32_t afxdp_tx_room(struct pp_nic *nic, uint16_t qid)
{
	struct afxdp *a = priv_of(nic);

	if (PP_UNLIKELY(qid >= nic->ntxq))
		return 0;
	return xsk_prod_nb_free(&a->q[qid].tx, a->ring);
}

/* Keep the fill ring stocked with frames from @c (cf. a driver's
 * page_pool refill in its NAPI poll). */
static void rx_refill(struct afxdp *a, struct axq *q, struct pp_pool_cache *c)
{
	struct pp_skb *skbs[PP_BURST_MAX];

	while (q->fill_out + PP_BURST <= a->fill) {
		uint32_t want = a->fill - q->fill_out, got, idx;

		if (want > PP_BURST_MAX)
			want = PP_BURST_MAX;
		got = pp_skb_alloc_burst(c, skbs, want);
		if (got < want)
			PP_STAT_ADD(q->rx_alloc_fail, 1);
		if (!got)
			break;
		/* cannot fail: fill_out <= fill <= ring size */
		if (PP_UNLIKELY(xsk_ring_prod__reserve(&q->fq, got, &idx) != got)) {
			pp_skb_free_burst(c, skbs, got);
			break;
		}
		for (uint32_t k = 0; k < got; k++) {
			uint64_t off = (uint64_t)((uint8_t *)skbs[k] - a->base);

			*xsk_ring_prod__fill_addr(&q->fq, idx + k) = off;
			bit_flip(q->filled, off >> a->frame_shift);
		}
		xsk_ring_prod__submit(&q->fq, got);
		q->fill_out += got;
		if (got < want)
			break;
	}
	if (xsk_ring_prod__needs_wakeup(&q->fq)) {
		PP_STAT_ADD(q->rx_fill_kicks, 1);
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

static uint16_t afxdp_rx_burst(struct pp_nic *nic, uint16_t qid, struct pp_pool_cache *c,
			       struct pp_skb **out, uint16_t n)
{
	struct afxdp *a = priv_of(nic);
	struct axq *q;
	uint32_t got, idx, k = 0;
	uint64_t bytes = 0;

	if (PP_UNLIKELY(qid >= nic->nrxq || !c || !out))
		return 0;
	q = &a->q[qid];
	if (PP_UNLIKELY(!q->fill_cache))
		q->fill_cache = c;
	got = xsk_ring_cons__peek(&q->rx, n, &idx);
	for (uint32_t j = 0; j < got; j++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + j);
		uint64_t fi = d->addr >> a->frame_shift;
		/* from the skb, which sits at the frame's colour offset */
		uint32_t data_off = (uint32_t)(d->addr & (a->frame_size - 1)) - pp_frame_colour(fi);
		struct pp_skb *skb;

		if (PP_UNLIKELY(d->addr >= a->region_len || !bit_get(q->filled, fi))) {
			PP_STAT_ADD(q->rx_bogus, 1);
			continue;
		}
		bit_flip(q->filled, fi);
		q->fill_out--;
		skb = (struct pp_skb *)(a->base + (fi << a->frame_shift) + pp_frame_colour(fi));
		/* d->len is 32 bits: compare against the room, never add to it */
		if (PP_UNLIKELY(data_off < PP_SKB_META || data_off > skb->end ||
				d->len > (uint32_t)skb->end - data_off)) {
			PP_STAT_ADD(q->rx_bogus, 1);
			pp_skb_free(c, skb);
			continue;
		}
		/* cf. the kernel's build_skb() over the page the NIC wrote */
		skb->next = NULL;
		skb->frag = NULL;
		skb->data_off = (uint16_t)data_off;
		skb->len = (uint16_t)d->len;
		skb->mac_off = (uint16_t)data_off;
		skb->net_off = skb->trans_off = 0;
		skb->queue = qid;
		skb->flags = 0;
		out[k++] = skb;
		bytes += d->len;
	}
	if (got)
		xsk_ring_cons__release(&q->rx, got);
	rx_refill(a, q, c);
	if (!got && a->busy_poll)
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL); /* drive NAPI */
	if (k) {
		PP_STAT_ADD(q->rx_packets, k);
		PP_STAT_ADD(q->rx_bytes, bytes);
	}
	return (uint16_t)k;
}

/* ---- counters and info ---------------------------------------------------------- */

static void xsk_stats(const struct axq *q, struct xdp_statistics *xs)
{
	socklen_t len = sizeof(*xs);

	memset(xs, 0, sizeof(*xs));
	if (q->fd >= 0 && getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, xs, &len))
		memset(xs, 0, sizeof(*xs));
}

static void afxdp_stats(struct pp_nic *nic, struct pp_nic_stats *st)
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

int pp__afxdp_set_addr(struct pp_nic *nic, uint32_t ipv4)
{
	struct afxdp *a;
	uint32_t old;
	int err;

	if (!is_afxdp(nic))
		return -EINVAL;
	a = priv_of(nic);
	if (a->cfg_fd < 0)
		return -ENOTSUP;
	old = a->info.ipv4;
	a->info.ipv4 = ipv4;
	err = set_cfg(a);
	if (err)
		a->info.ipv4 = old;
	return err;
}

const struct pp_nic_ops pp__nic_afxdp_ops = {
	.name = "afxdp",
	.priv_size = sizeof(struct afxdp),
	.open = afxdp_open,
	.close = afxdp_close,
	.xmit_burst = afxdp_xmit_burst,
	.tx_complete = afxdp_tx_complete,
	.tx_room = afxdp_tx_room,
	.rx_burst = afxdp_rx_burst,
	.stats = afxdp_stats,
};
