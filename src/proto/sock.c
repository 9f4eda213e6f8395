// SPDX-License-Identifier: MIT
/*
 * sock.c - the socket layer: argument checks, socket lookup, dispatch to the
 * protocol through its ops table (cf. sock_sendmsg() -> inet_sendmsg() ->
 * sk->sk_prot->sendmsg()), ports, and handing built packets to the lane.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "core/time.h"
#include "proto/defaults.h"
#include "proto/stack_priv.h"

#define EPHEMERAL_LO 32768
/* How long a blocking receive polls the lane before it starts sleeping. */
#define PP_SOCK_BUSY_POLL_NS (2 * PP_NSEC_PER_MSEC)
#define EPHEMERAL_HI 60999

static void sock_free_rq(struct pp_sock *sk);

/* ---- lane entry and exit around every data-path call -------------------- */

int pp__sock_enter(struct pp_sock *sk)
{
	int err;

	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	err = pp__lane_enter(sk->st, sk->lane);
	if (err)
		return err;
	pp__lane_online();
	return 0;
}

void pp__sock_exit(void)
{
	pp__lane_offline();
}

/*
 * Hand a burst of transport-built packets (each may carry a fragment chain)
 * to the lane's first ring, then run the lane unless the caller batches
 * (PP_MSG_MORE) and the burst is not full yet (cf. xmit_more). @extra is
 * how many frames the burst holds beyond one per skb (the fragments after
 * the first of each chain), as the caller built it: the send-room books
 * then cost nothing for the common single-frame datagram.
 * Return: how many were taken; the caller keeps the rest.
 */
void pp__sock_xmit_flush(struct pp_lane *l)
{
	uint16_t n = l->nmore;

	l->nmore = 0;
	l->more_frames = 0;
	pp__ip_queue_xmit(l, l->more, n);
}

void pp__sock_xmit(struct pp_lane *l, struct pp_skb **skbs, uint32_t n, int flags)
{
	pp_stage_count_in(&l->s_udp, skbs, (uint16_t)n);
	if (PP_LIKELY(!l->nmore && !(flags & PP_MSG_MORE))) {
		pp__ip_queue_xmit(l, skbs, (uint16_t)n); /* nothing staged: straight down */
	} else if (l->nmore + n <= PP_BURST) {
		/* stage them; without PP_MSG_MORE, or once a burst is ready,
		 * the whole batch goes down as one walk */
		for (uint32_t i = 0; i < n; i++) {
			l->more[l->nmore++] = skbs[i];
			l->more_frames += pp__skb_chain_frames(skbs[i]);
		}
		if ((flags & PP_MSG_MORE) && l->nmore < PP_BURST)
			return;
		pp__sock_xmit_flush(l);
	} else {
		if (l->nmore)
			pp__sock_xmit_flush(l);
		pp__ip_queue_xmit(l, skbs, (uint16_t)n);
	}
	/* The walk down is done. What the lane has pending runs now, in the
	 * sender's context, as the kernel runs pending softirqs when a send
	 * re-enables bottom halves (rcu_read_unlock_bh() in __dev_queue_xmit()
	 * -> local_bh_enable() -> do_softirq()): receive (an ARP reply that
	 * resolves what this send left pending), resolution retries, the
	 * queues this lane drives, timers. A server that only sends is
	 * served this way without calling pp_lane_poll(). */
	pp__lane_run(l);
}

/*
 * Room below the socket layer for a send, in frames and bytes (cf.
 * sock_alloc_send_pskb() waiting on the socket's write space, and the
 * qdisc's limits): what the device layer can take from the lane without
 * dropping, less what PP_MSG_MORE staged (counted as full frames).
 */
uint32_t pp__sock_tx_room(struct pp_lane *l, uint64_t *bytes)
{
	uint32_t staged = l->more_frames;
	uint64_t b;
	uint32_t room;

	room = pp__dev_tx_room(l->dev, &b);
	uint64_t sb = (uint64_t)staged * (l->st->mtu + 14u);

	*bytes = b > sb ? b - sb : 0;
	return room > staged ? room - staged : 0;
}

int pp__sock_wait(struct pp_sock *sk, int flags, unsigned int *step_us)
{
	if (flags & PP_MSG_DONTWAIT) {
		pp__lane_run(sk->lane);
		return -EAGAIN;
	}
	if (!pp__lane_run(sk->lane))
		pp__lane_nap(step_us);
	return 0;
}

/* ---- sockets ------------------------------------------------------------ */

static int sin_check(const struct sockaddr *addr, socklen_t len, const struct sockaddr_in **sin)
{
	if (!addr || len < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	if (addr->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	*sin = (const struct sockaddr_in *)addr;
	return 0;
}

static bool port_in_use(struct pp_stack *st, uint16_t port)
{
	for (unsigned int i = 0; i < PP_SOCKS_MAX; i++)
		if (st->socks[i].open && st->socks[i].sport == port)
			return true;
	return false;
}

/* Pick an ephemeral port (cf. inet_csk_get_port()) and hash the socket;
 * caller holds ctl_lock and is an online RCU reader. */
int pp__sock_autobind(struct pp_sock *sk)
{
	struct pp_stack *st = sk->st;

	for (unsigned int tries = 0; tries <= EPHEMERAL_HI - EPHEMERAL_LO; tries++) {
		uint16_t p = st->next_eport;

		st->next_eport = (uint16_t)(p >= EPHEMERAL_HI ? EPHEMERAL_LO : p + 1);
		if (!port_in_use(st, htons(p))) {
			int err;

			sk->sport = htons(p);
			err = pp__sock_hash(sk);
			if (err)
				sk->sport = 0;
			return err;
		}
	}
	return -EADDRINUSE;
}

int pp_socket(struct pp_stack *st, int type, unsigned int lane, struct pp_sock **out)
{
	struct pp_sock *sk = NULL;

	if (!st || !out || lane >= st->nlanes)
		return -EINVAL;
	if (type != PP_SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	pthread_mutex_lock(&st->ctl_lock);
	for (unsigned int i = 0; i < PP_SOCKS_MAX; i++) {
		if (!st->socks[i].open) {
			sk = &st->socks[i];
			break;
		}
	}
	if (!sk) {
		pthread_mutex_unlock(&st->ctl_lock);
		return -EMFILE;
	}
	memset(sk, 0, sizeof(*sk));
	sk->ops = &pp__udp_ops;
	sk->st = st;
	sk->lane = &st->lanes[lane];
	sk->saddr = st->ip;
	sk->pmtudisc = PP_PMTUDISC_DONT;
	sk->open = true;
	pthread_mutex_unlock(&st->ctl_lock);
	*out = sk;
	return 0;
}

/* The checks bind and connect share: a live socket and an IPv4 address. */
static int sock_addr_check(const struct pp_sock *sk, const struct sockaddr *addr, socklen_t len,
			   const struct sockaddr_in **sin)
{
	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	return sin_check(addr, len, sin);
}

int pp_bind(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err = sock_addr_check(sk, addr, len, &sin);

	if (err)
		return err;
	if (sk->sport)
		return -EINVAL;
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY) && sin->sin_addr.s_addr != sk->st->ip)
		return -EADDRNOTAVAIL;
	pp__rcu_get();
	pp__lane_online();
	pthread_mutex_lock(&sk->st->ctl_lock);
	if (sin->sin_port == 0) {
		err = pp__sock_autobind(sk);
	} else if (port_in_use(sk->st, sin->sin_port)) {
		err = -EADDRINUSE;
	} else {
		sk->sport = sin->sin_port;
		err = pp__sock_hash(sk);
		if (err)
			sk->sport = 0;
	}
	pthread_mutex_unlock(&sk->st->ctl_lock);
	pp__lane_offline();
	pp__rcu_put();
	if (!err && sk->ops->bind)
		err = sk->ops->bind(sk, sin);
	return err;
}

int pp_connect(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err = sock_addr_check(sk, addr, len, &sin);

	if (err)
		return err;
	if (sin->sin_addr.s_addr == htonl(INADDR_ANY) || sin->sin_port == 0)
		return -EINVAL;
	return sk->ops->connect(sk, sin);
}

/*
 * A message header whose iovec can be walked: every non-empty piece has a
 * base, and the total fits ssize_t (cf. import_iovec() / rw_copy_check_uvector():
 * -EINVAL past MAX_RW_COUNT). Regression: a total that wrapped size_t made a
 * send of 2^64 + 1 bytes "send" one.
 */
static bool msg_ok(const struct msghdr *msg)
{
	size_t total = 0;

	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return false;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		size_t n = msg->msg_iov[i].iov_len;

		if (n && !msg->msg_iov[i].iov_base)
			return false;
		if (n > (size_t)SSIZE_MAX - total)
			return false;
		total += n;
	}
	return true;
}

ssize_t pp_sendmsg(struct pp_sock *sk, const struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (!msg_ok(msg) || (flags & ~PP_MSG_ALL) ||
	    (msg->msg_name && msg->msg_namelen < (socklen_t)sizeof(struct sockaddr_in)))
		return -EINVAL;
	ret = pp__sock_enter(sk);
	if (ret)
		return ret;
	ret = sk->ops->sendmsg(sk, msg, flags);
	pp__sock_exit();
	return ret;
}

ssize_t pp_sendto(struct pp_sock *sk, const void *buf, size_t len, int flags,
		  const struct sockaddr *dst, socklen_t dlen)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = (void *)(uintptr_t)dst,
		.msg_namelen = dst ? dlen : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	if (!buf && len)
		return -EINVAL;
	if (dst && dlen < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	return pp_sendmsg(sk, &msg, flags);
}

ssize_t pp_send(struct pp_sock *sk, const void *buf, size_t len, int flags)
{
	return pp_sendto(sk, buf, len, flags, NULL, 0);
}

int pp_sock_set_tos(struct pp_sock *sk, uint8_t tos)
{
	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	sk->tos = tos;
	sk->prio = pp__tos_to_prio(tos);
	return 0;
}

int pp_sock_set_pmtudisc(struct pp_sock *sk, int mode)
{
	if (!sk || (mode != PP_PMTUDISC_DONT && mode != PP_PMTUDISC_DO))
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	sk->pmtudisc = (uint8_t)mode;
	return 0;
}

int pp_sock_set_nocheck(struct pp_sock *sk, int on)
{
	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	sk->nocheck = on != 0;
	return 0;
}

int pp_sock_free_skbs(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n)
{
	if (!sk || (n && !skbs))
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	pp_skb_free_burst(sk->lane->cache, skbs, n);
	return 0;
}

int pp_close(struct pp_sock *sk)
{
	int err = pp__sock_enter(sk);

	if (err)
		return err;
	/* Datagrams PP_MSG_MORE staged on the lane name their socket in
	 * skb->sk: send them before the slot can be reused. Below the
	 * transport no packet names a socket (the ip stage clears skb->sk),
	 * in rtc and split placement alike. */
	if (sk->lane->nmore)
		pp__sock_xmit_flush(sk->lane);
	if (sk->ops->close)
		sk->ops->close(sk);
	pthread_mutex_lock(&sk->st->ctl_lock);
	if (sk->hashed) {
		cds_lfht_del(sk->st->udp_ports, &sk->port_node);
		sk->hashed = false;
	}
	pthread_mutex_unlock(&sk->st->ctl_lock);
	pp__sock_exit();
	/* no rx stage may still hold the socket from the table once a grace
	 * period has passed: then its queues can go */
	synchronize_rcu();
	pthread_mutex_lock(&sk->st->ctl_lock);
	sock_free_rq(sk);
	sk->open = false;
	sk->sport = 0;
	pthread_mutex_unlock(&sk->st->ctl_lock);
	return 0;
}

/* ---- receive side --------------------------------------------------------- */

/*
 * Bound UDP sockets by port in an rculfhash (cf. udp_table): the rx stage of
 * any lane looks a port up without a lock. A datagram for a socket goes on
 * the SPSC queue from the receiving lane to the socket (one per lane), so
 * lanes never share a producer side; the socket's own lane drains them.
 */
static int port_match(struct cds_lfht_node *node, const void *key)
{
	const struct pp_sock *sk = caa_container_of(node, struct pp_sock, port_node);

	return sk->sport == *(const uint16_t *)key;
}

static unsigned long port_hash(uint16_t port)
{
	return (unsigned long)port * 0x9e3779b97f4a7c15ull >> 16;
}

int pp__socks_init(struct pp_stack *st)
{
	/* fixed size (at most PP_SOCKS_MAX entries): no resize thread, so no
	 * allocation behind the data path's back */
	st->udp_ports = cds_lfht_new(PP_SOCKS_MAX, PP_SOCKS_MAX, PP_SOCKS_MAX, 0, NULL);
	return st->udp_ports ? 0 : -ENOMEM;
}

/*
 * Receive memory (cf. __udp_enqueue_schedule_skb(), udp_rmem_release()):
 * every queued datagram is charged its truesize, the frames of its chain, to
 * the socket (sk_rmem_alloc, bounded by sk_rcvbuf) and to the lane that
 * received it (bounded by its share of the lane's frames, cf. udp_mem). The
 * receiving lane charges before it enqueues, the socket's lane releases after
 * it dequeues: both counters are atomics written by two threads, on the
 * receive path only.
 */

/* The ring must never be what refuses a datagram: at the largest rcvbuf, a
 * socket takes one datagram after it is full (the kernel's rule), each at
 * least one frame. */
static_assert((2ull * PP_SOCK_RMEM_MAX) / PP_FRAME_2K + 1 <= PP_SOCK_RCVQ,
	      "a socket receive ring holds every datagram rcvbuf admits");

static inline void rmem_uncharge(struct pp_sock *sk, struct pp_lane *from, uint32_t size)
{
	atomic_fetch_sub_explicit(&sk->rmem_alloc, size, memory_order_relaxed);
	atomic_fetch_sub_explicit(&from->rcv_mem, size, memory_order_relaxed);
}

static void sock_free_rq(struct pp_sock *sk)
{
	for (unsigned int k = 0; k < PP_LANES_MAX; k++) {
		struct pp_skb *p;

		if (!sk->rq[k])
			continue;
		while ((p = pp_ring_dequeue(sk->rq[k]))) {
			rmem_uncharge(sk, &sk->st->lanes[k], pp__hold_truesize(p));
			pp_skb_free(sk->lane->cache, p);
		}
		pp_ring_destroy(sk->rq[k]);
		sk->rq[k] = NULL;
	}
}

/* Single-threaded (stack teardown): free what sockets still hold. */
void pp__socks_fini(struct pp_stack *st)
{
	for (unsigned int i = 0; i < PP_SOCKS_MAX; i++)
		if (st->socks[i].st)
			sock_free_rq(&st->socks[i]);
	if (st->udp_ports) {
		struct cds_lfht_iter it;
		struct cds_lfht_node *n;

		pp__rcu_get();
		pp__lane_online();
		cds_lfht_for_each(st->udp_ports, &it, n)
			cds_lfht_del(st->udp_ports, n);
		pp__lane_offline();
		cds_lfht_destroy(st->udp_ports, NULL);
		pp__rcu_put();
		st->udp_ports = NULL;
	}
}

/*
 * Make a bound socket reachable by the rx path: its receive queues, then the
 * table entry. Caller holds ctl_lock and is an RCU reader (online).
 */
int pp__sock_hash(struct pp_sock *sk)
{
	struct pp_stack *st = sk->st;

	if (sk->hashed)
		return 0;
	if (!sk->rcvbuf)
		sk->rcvbuf = PP_SOCK_RCVBUF_DEFAULT; /* published by the table add */
	for (unsigned int k = 0; k < st->nlanes; k++) {
		if (!sk->rq[k] && pp_ring_create(PP_SOCK_RCVQ, 0, &sk->rq[k])) {
			sock_free_rq(sk);
			return -ENOMEM;
		}
	}
	cds_lfht_node_init(&sk->port_node);
	cds_lfht_add(st->udp_ports, port_hash(sk->sport), &sk->port_node);
	sk->hashed = true;
	return 0;
}

struct pp_sock *pp__sock_lookup_udp(struct pp_stack *st, uint16_t dport)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(st->udp_ports, port_hash(dport), port_match, &dport, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct pp_sock, port_node) : NULL;
}

/*
 * Queue @skb for @sk, charged to both bounds first (cf.
 * __udp_enqueue_schedule_skb(): a socket is full when what it already holds
 * exceeds sk_rcvbuf, so one datagram always fits an empty one; the lane total
 * is a hard limit, as __sk_mem_raise_allocated() against udp_mem[2]).
 * Return: 0, or -ENOBUFS with nothing charged (the caller drops it).
 */
int pp__sock_deliver(struct pp_lane *from, struct pp_sock *sk, struct pp_skb *skb)
{
	struct pp_ring *r = sk->rq[from->id];
	uint32_t size = pp__hold_truesize(skb);
	uint32_t rcvbuf = __atomic_load_n(&sk->rcvbuf, __ATOMIC_RELAXED);

	if (PP_UNLIKELY(!r))
		return -ENOBUFS;
	/* full: fail before touching the shared counters (as the kernel does) */
	if (PP_UNLIKELY(atomic_load_explicit(&sk->rmem_alloc, memory_order_relaxed) > rcvbuf))
		return -ENOBUFS;
	if (PP_UNLIKELY(atomic_fetch_add_explicit(&sk->rmem_alloc, size, memory_order_relaxed) >
			rcvbuf)) {
		atomic_fetch_sub_explicit(&sk->rmem_alloc, size, memory_order_relaxed);
		return -ENOBUFS;
	}
	if (PP_UNLIKELY(atomic_fetch_add_explicit(&from->rcv_mem, size, memory_order_relaxed) +
				size > from->rcv_mem_max ||
			!pp_ring_enqueue(r, skb))) {
		rmem_uncharge(sk, from, size);
		return -ENOBUFS;
	}
	return 0;
}

/* Next datagram for @sk from any lane's queue, round robin; NULL if none. */
static struct pp_skb *sock_rq_pop(struct pp_sock *sk)
{
	uint16_t nl = sk->st->nlanes;

	for (uint16_t i = 0; i < nl; i++) {
		uint16_t k = (uint16_t)((sk->rq_next + i) % nl);
		struct pp_skb *skb = sk->rq[k] ? pp_ring_dequeue(sk->rq[k]) : NULL;

		if (skb) {
			/* off the queue: its memory is no longer held for the
			 * socket (cf. skb_consume_udp() -> udp_rmem_release()) */
			rmem_uncharge(sk, &sk->st->lanes[k], pp__hold_truesize(skb));
			sk->rq_next = (uint16_t)((k + 1) % nl);
			return skb;
		}
	}
	return NULL;
}

ssize_t pp_recvmsg(struct pp_sock *sk, struct msghdr *msg, int flags)
{
	struct pp_skb *skb;
	unsigned int step = 50;
	uint64_t deadline = 0;
	ssize_t ret;

	if (!msg_ok(msg) || (flags & ~PP_MSG_DONTWAIT))
		return -EINVAL;
	ret = pp__sock_enter(sk);
	if (ret)
		return ret;
	if (!sk->hashed) {
		ret = -EINVAL; /* as recvfrom on an unbound UDP socket waits forever */
		goto out;
	}
	uint64_t now = pp__now_ns(), spin_until = now + PP_SOCK_BUSY_POLL_NS;

	if (sk->rcvtimeo_ns)
		deadline = now + sk->rcvtimeo_ns;
	while (!(skb = sock_rq_pop(sk))) {
		/* receiving is polling: run the lane (its rx stage feeds us) */
		if (pp__lane_run(sk->lane))
			continue;
		now = pp__now_ns();
		if (flags & PP_MSG_DONTWAIT || (deadline && now >= deadline)) {
			ret = -EAGAIN;
			goto out;
		}
		/* busy-poll first (cf. SO_BUSY_POLL): a reply that comes back
		 * within tens of microseconds must not wait for a sleep */
		if (now < spin_until)
			continue;
		pp__lane_nap(&step);
	}
	/* copy the datagram (a reassembled one is a chain) into the iovec */
	size_t total = 0, copied = 0, vi = 0, voff = 0;

	for (struct pp_skb *f = skb; f; f = f->frag) {
		const uint8_t *p = pp_skb_data(f);
		size_t left = f->len;

		total += left;
		while (left && vi < msg->msg_iovlen) {
			size_t room = msg->msg_iov[vi].iov_len - voff;
			size_t n = left < room ? left : room;

			memcpy((uint8_t *)msg->msg_iov[vi].iov_base + voff, p, n);
			p += n;
			left -= n;
			copied += n;
			voff += n;
			if (voff == msg->msg_iov[vi].iov_len) {
				vi++;
				voff = 0;
			}
		}
	}
	msg->msg_flags = copied < total ? MSG_TRUNC : 0;
	if (msg->msg_name && msg->msg_namelen >= (socklen_t)sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = msg->msg_name;
		uint32_t saddr;
		uint16_t sport;

		memcpy(&saddr, pp_skb_at(skb, skb->net_off) + 12, 4);
		memcpy(&sport, pp_skb_at(skb, skb->trans_off), 2);
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = saddr;
		sin->sin_port = sport;
		msg->msg_namelen = sizeof(*sin);
	} else {
		msg->msg_namelen = 0;
	}
	pp_skb_free(sk->lane->cache, skb);
	ret = (ssize_t)copied;
out:
	pp__sock_exit();
	return ret;
}

ssize_t pp_recvfrom(struct pp_sock *sk, void *buf, size_t len, int flags, struct sockaddr *src,
		    socklen_t *slen)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_name = src, .msg_namelen = slen ? *slen : 0, .msg_iov = &iov,
			     .msg_iovlen = 1};
	ssize_t r;

	if ((!buf && len) || (src && !slen))
		return -EINVAL;
	r = pp_recvmsg(sk, &msg, flags);
	if (r >= 0 && slen)
		*slen = msg.msg_namelen;
	return r;
}

ssize_t pp_recv(struct pp_sock *sk, void *buf, size_t len, int flags)
{
	return pp_recvfrom(sk, buf, len, flags, NULL, NULL);
}

int pp_sock_set_rcvtimeo(struct pp_sock *sk, unsigned int ms)
{
	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	sk->rcvtimeo_ns = (uint64_t)ms * 1000000ull;
	return 0;
}

/*
 * cf. sock_setsockopt(SO_RCVBUF) -> __sock_set_rcvbuf(): the request is
 * clamped to rmem_max, then doubled (the kernel's allowance for the skb
 * overhead, which our truesize already counts as whole frames: doubling keeps
 * what an application sized for Linux working the same), and never below
 * SOCK_MIN_RCVBUF. What is already queued stays; the new bound applies to the
 * next datagram.
 */
int pp_sock_set_rcvbuf(struct pp_sock *sk, unsigned int bytes)
{
	uint32_t v;

	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	v = bytes < PP_SOCK_RMEM_MAX ? bytes : PP_SOCK_RMEM_MAX;
	v *= 2;
	if (v < PP_SOCK_RCVBUF_MIN)
		v = PP_SOCK_RCVBUF_MIN;
	__atomic_store_n(&sk->rcvbuf, v, __ATOMIC_RELAXED);
	return 0;
}
