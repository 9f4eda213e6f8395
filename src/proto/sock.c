// SPDX-License-Identifier: MIT
/*
 * sock.c - the socket layer: argument checks, dispatch to the protocol
 * through its ops table (cf. sock_sendmsg() -> inet_sendmsg() ->
 * sk->sk_prot->sendmsg(), and the same for every call), the socket options
 * of SOL_SOCKET and IPPROTO_IP, the slab sockets come from, send-memory
 * release, and handing built packets to the lane.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "core/time.h"
#include "proto/defaults.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"
#include "proto/udp_priv.h"

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
 * down the walk (pp__ip_queue_xmit()), unless the caller batches
 * (PP_MSG_MORE) and the burst is not full yet (cf. xmit_more): then they
 * wait on the lane until it is, or until a send without the flag.
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
	 * served this way without calling pp_lane_poll(). The walk was the
	 * work: a run that finds nothing more reads no clock for timers. */
	pp__lane_run_busy(l);
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


/* A deadline for a wait of @timeo_ns (0: none, wait forever). */
uint64_t pp__sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns ? pp__now_ns() + timeo_ns : 0;
}

/*
 * One step of a blocking call's wait (cf. sk_wait_event()): run the lane
 * (frames come home, replies arrive), and nap when it had nothing to do,
 * the naps growing only while it stays idle.
 * Return: 0 to try again; -EAGAIN for PP_MSG_DONTWAIT or once @deadline (0:
 * none) has passed.
 */
int pp__sock_wait(struct pp_sock *sk, int flags, uint64_t deadline, unsigned int *step_us)
{
	if (flags & PP_MSG_DONTWAIT) {
		pp__lane_run(sk->lane);
		return -EAGAIN;
	}
	if (deadline && pp__now_ns() >= deadline)
		return -EAGAIN;
	if (pp__lane_run(sk->lane))
		*step_us = PP_LANE_NAP_MIN_US; /* traffic: stay quick */
	else
		pp__lane_nap(step_us);
	return 0;
}

/* ---- the socket slab ------------------------------------------------------ */

/* Sockets per chunk: one allocation per 64 sockets, none on the data path. */
#define SLAB_CHUNK_OBJS 64

struct pp__sock_chunk {
	struct pp__sock_chunk *next;
	alignas(PP_CACHE_LINE) unsigned char objs[];
};

int pp__sock_slab_init(struct pp__sock_slab *s, size_t obj_size)
{
	memset(s, 0, sizeof(*s));
	s->obj_size = (obj_size + PP_CACHE_LINE - 1) & ~(size_t)(PP_CACHE_LINE - 1);
	return 0;
}

static inline struct pp_sock *chunk_obj(const struct pp__sock_slab *s, struct pp__sock_chunk *c,
					unsigned int i)
{
	return (struct pp_sock *)(c->objs + (size_t)i * s->obj_size);
}

/* Sockets whose last frame came home on some other thread: back on the
 * free list. Caller holds ctl_lock. */
static void slab_reap(struct pp__sock_slab *s)
{
	struct pp_sock *z = atomic_exchange_explicit(&s->zombies, NULL, memory_order_acquire);

	while (z) {
		struct pp_sock *next = z->slab_next;

		z->slab_next = s->free;
		s->free = z;
		s->nused--;
		z = next;
	}
}

/* A zeroed socket of @s's size; NULL when memory is out. ctl_lock held. */
static struct pp_sock *slab_alloc(struct pp__sock_slab *s)
{
	struct pp_sock *sk;

	slab_reap(s);
	if (!s->free) {
		struct pp__sock_chunk *c =
			aligned_alloc(PP_CACHE_LINE, sizeof(*c) + SLAB_CHUNK_OBJS * s->obj_size);

		if (!c)
			return NULL;
		memset(c, 0, sizeof(*c) + SLAB_CHUNK_OBJS * s->obj_size);
		c->next = s->chunks;
		s->chunks = c;
		for (unsigned int i = SLAB_CHUNK_OBJS; i-- > 0;) {
			sk = chunk_obj(s, c, i);
			sk->slab_next = s->free;
			s->free = sk;
		}
		s->nobjs += SLAB_CHUNK_OBJS;
	}
	sk = s->free;
	s->free = sk->slab_next;
	s->nused++;
	memset(sk, 0, s->obj_size);
	sk->slab = s;
	return sk;
}

void pp__sock_slab_for_each(struct pp__sock_slab *s, void (*fn)(struct pp_sock *, void *), void *arg)
{
	for (struct pp__sock_chunk *c = s->chunks; c; c = c->next)
		for (unsigned int i = 0; i < SLAB_CHUNK_OBJS; i++) {
			struct pp_sock *sk = chunk_obj(s, c, i);

			if (sk->prot)
				fn(sk, arg);
		}
}

static void slab_free_all(struct pp__sock_slab *s)
{
	while (s->chunks) {
		struct pp__sock_chunk *c = s->chunks;

		s->chunks = c->next;
		free(c);
	}
	s->free = NULL;
	atomic_store(&s->zombies, NULL);
	s->nobjs = s->nused = 0;
}

/* The socket is gone from every table and nothing it sent is in flight:
 * its memory goes back (lock-free: any thread may get here). */
static void sock_free(struct pp_sock *sk)
{
	struct pp__sock_slab *s = sk->slab;
	struct pp_sock *head = atomic_load_explicit(&s->zombies, memory_order_relaxed);

	sk->prot = NULL;
	do
		sk->slab_next = head;
	while (!atomic_compare_exchange_weak_explicit(&s->zombies, &head, sk, memory_order_release,
						      memory_order_relaxed));
}

/*
 * cf. sock_wfree(): frames @owner sent came home (TX completion, or a drop
 * anywhere below the socket). Each release pairs with the acquire of
 * whoever takes the count to zero, so every use of the socket by a frame's
 * path happens before its memory is reused.
 */
void pp__sock_wfree(void *owner, uint32_t bytes)
{
	struct pp_sock *sk = owner;

	/* acq_rel rather than release + an acquire fence on the last one:
	 * the same lock xadd on x86, and TSan understands it */
	if (atomic_fetch_sub_explicit(&sk->wmem_alloc, bytes, memory_order_acq_rel) == bytes)
		sock_free(sk);
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

/* A socket a call may use. */
static inline int sock_check(const struct pp_sock *sk)
{
	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	return 0;
}

int pp__sock_alloc(struct pp_stack *st, int type, unsigned int lane, struct pp_sock **out)
{
	const struct pp_proto *prot;
	struct pp__sock_slab *slab;
	struct pp_sock *sk;
	bool nonblock = type & PP_SOCK_NONBLOCK;

	type &= ~PP_SOCK_NONBLOCK;
	/* cf. inet_create(): the switch entry for the type */
	if (type < 0 || type >= PP_SOCK_TYPES || !(prot = st->protosw[type]))
		return -EPROTONOSUPPORT;
	slab = st->slabs[type];
	pthread_mutex_lock(&st->ctl_lock);
	sk = slab_alloc(slab);
	pthread_mutex_unlock(&st->ctl_lock);
	if (!sk)
		return -ENOMEM;
	sk->st = st;
	sk->lane = &st->lanes[lane];
	sk->saddr = st->ip;
	sk->pmtudisc = PP_PMTUDISC_DONT;
	sk->rcvbuf = st->lim.rcvbuf_default;
	sk->sndbuf = st->lim.sndbuf_default;
	sk->nonblock = nonblock;
	atomic_store_explicit(&sk->wmem_alloc, 1, memory_order_relaxed); /* its own reference */
	sk->prot = prot;
	if (prot->ops->init) {
		int err = prot->ops->init(sk);

		if (err) {
			sk->prot = NULL;
			pp__sock_wfree(sk, 1);
			return err;
		}
	}
	sk->open = true;
	/* last: slab_for_each() sees a socket once its prot is set */
	__atomic_store_n(&sk->prot, prot, __ATOMIC_RELEASE);
	*out = sk;
	return 0;
}

int pp_socket(struct pp_stack *st, int type, unsigned int lane, struct pp_sock **out)
{
	if (!st || !out || lane >= st->nlanes)
		return -EINVAL;
	return pp__sock_alloc(st, type, lane, out);
}

/*
 * The hand-over to the RCU callback. call_rcu() and rcu_barrier() order
 * through liburcu's own atomics and futexes, which ThreadSanitizer does not
 * see: it reported the callback's first touch of a socket against the
 * memset that allocated it, and rcu_barrier()'s own calloc against the free
 * in liburcu's callback thread. So the order is made visible here: every
 * release is a release RMW on one counter, and every callback begins with
 * an acquire RMW on it, before it reads anything of the socket (an RMW
 * reads the last value, so it synchronises with every release before it).
 * A per-stack count of callbacks not yet run stands in for rcu_barrier().
 */
static _Atomic uint64_t sock_rcu_edge;

static void sock_release_rcu(struct rcu_head *head)
{
	struct pp_sock *sk = caa_container_of(head, struct pp_sock, rcu);
	struct pp_stack *st;

	atomic_fetch_add_explicit(&sock_rcu_edge, 1, memory_order_acq_rel);
	st = sk->st;
	pp__sock_wfree(sk, 1); /* may free sk: nothing of it after this */
	/* pairs with the acquire in pp__sock_rcu_barrier() */
	atomic_fetch_sub_explicit(&st->sock_rcu_pending, 1, memory_order_release);
}

void pp__sock_release(struct pp_sock *sk)
{
	if (sk->released) {
		fprintf(stderr, "pktpipe: socket %p released twice\n", (void *)sk);
		abort();
	}
	sk->released = true;
	atomic_fetch_add_explicit(&sk->st->sock_rcu_pending, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sock_rcu_edge, 1, memory_order_release);
	call_rcu(&sk->rcu, sock_release_rcu);
}

void pp__sock_rcu_barrier(struct pp_stack *st)
{
	/* offline meanwhile (a QSBR thread online is always inside a read-side
	 * section): the grace periods the callbacks wait for must end */
	bool online = rcu_read_ongoing();

	if (online)
		rcu_thread_offline();
	while (atomic_load_explicit(&st->sock_rcu_pending, memory_order_acquire))
		nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	if (online)
		rcu_thread_online();
}

int pp_bind(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err = sock_check(sk);

	if (err || (err = sin_check(addr, len, &sin)))
		return err;
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY) && sin->sin_addr.s_addr != sk->st->ip)
		return -EADDRNOTAVAIL;
	if (!sk->prot->ops->bind)
		return -EOPNOTSUPP;
	return sk->prot->ops->bind(sk, sin);
}

int pp_connect(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err = sock_check(sk);

	if (err || (err = sin_check(addr, len, &sin)))
		return err;
	if (sin->sin_addr.s_addr == htonl(INADDR_ANY) || sin->sin_port == 0)
		return -EINVAL;
	if (!sk->prot->ops->connect)
		return -EOPNOTSUPP;
	return sk->prot->ops->connect(sk, sin);
}

int pp_listen(struct pp_sock *sk, int backlog)
{
	int err = sock_check(sk);

	if (err)
		return err;
	/* cf. sock_no_listen() for a protocol without one */
	return sk->prot->ops->listen ? sk->prot->ops->listen(sk, backlog) : -EOPNOTSUPP;
}

int pp_accept(struct pp_sock *sk, struct pp_sock **out, struct sockaddr *addr, socklen_t *len)
{
	int err = sock_check(sk);

	if (err)
		return err;
	if (!out || (addr && !len))
		return -EINVAL;
	if (!sk->prot->ops->accept)
		return -EOPNOTSUPP;
	err = sk->prot->ops->accept(sk, out);
	if (!err && addr) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = (*out)->dport,
					  .sin_addr.s_addr = (*out)->daddr};
		socklen_t n = *len < (socklen_t)sizeof(sin) ? *len : (socklen_t)sizeof(sin);

		memcpy(addr, &sin, n);
		*len = sizeof(sin);
	}
	return err;
}

int pp_shutdown(struct pp_sock *sk, int how)
{
	int err = sock_check(sk);

	if (err)
		return err;
	/* cf. inet_shutdown(): SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 -> bits */
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (!sk->prot->ops->shutdown)
		return -EOPNOTSUPP;
	return sk->prot->ops->shutdown(sk, how + 1);
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
	/* cf. sock_alloc_send_pskb(): a pending error first (reported
	 * once), then -EPIPE once the sending side is shut */
	if (PP_UNLIKELY(ret = pp__sock_error(sk)))
		;
	else if (PP_UNLIKELY(sk->shutdown & PP_SEND_SHUTDOWN))
		ret = -EPIPE;
	else
		ret = sk->prot->ops->sendmsg(sk, msg, flags);
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

ssize_t pp_write(struct pp_sock *sk, const void *buf, size_t len)
{
	return pp_send(sk, buf, len, 0);
}

ssize_t pp_read(struct pp_sock *sk, void *buf, size_t len)
{
	return pp_recv(sk, buf, len, 0);
}

ssize_t pp_recvmsg(struct pp_sock *sk, struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (!msg_ok(msg) || (flags & ~(PP_MSG_DONTWAIT | PP_MSG_WAITALL)))
		return -EINVAL;
	ret = pp__sock_enter(sk);
	if (ret)
		return ret;
	ret = sk->prot->ops->recvmsg ? sk->prot->ops->recvmsg(sk, msg, flags) : -EOPNOTSUPP;
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

size_t pp__sock_copy_to_iov(const struct pp_skb *skb, const struct msghdr *msg, size_t *total)
{
	size_t copied = 0, vi = 0, voff = 0;

	*total = 0;
	for (const struct pp_skb *f = skb; f; f = f->frag) {
		const uint8_t *p = pp_skb_data(f);
		size_t left = f->len;

		*total += left;
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
	return copied;
}

/* ---- readiness ------------------------------------------------------------- */

int pp_poll(struct pp_pollfd *fds, unsigned int n, int timeout_ms)
{
	struct pp_lane *l = NULL;
	unsigned int step = PP_LANE_NAP_MIN_US;
	uint64_t deadline = 0;
	int ready, err;

	if (!fds || n == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		struct pp_sock *sk = fds[i].sk;

		if (!sk)
			return -EINVAL;
		if (!sk->open)
			continue; /* POLLNVAL below */
		if (l && sk->lane != l)
			return -EINVAL; /* one lane's sockets: only its thread runs it */
		l = sk->lane;
	}
	if (l) {
		err = pp__lane_enter(l->st, l);
		if (err)
			return err;
		pp__lane_online();
	}
	if (timeout_ms > 0)
		deadline = pp__now_ns() + (uint64_t)timeout_ms * PP_NSEC_PER_MSEC;
	for (;;) {
		ready = 0;
		for (unsigned int i = 0; i < n; i++) {
			struct pp_sock *sk = fds[i].sk;
			unsigned int m;

			if (!sk->open) {
				m = PP_POLLNVAL;
			} else {
				/* errors and hang-ups are reported whether asked or not */
				m = sk->prot->ops->poll(sk) &
				    ((unsigned int)(unsigned short)fds[i].events | PP_POLLERR | PP_POLLHUP);
			}
			fds[i].revents = (short)m;
			ready += m != 0;
		}
		if (ready || timeout_ms == 0 || !l)
			break;
		if (deadline && pp__now_ns() >= deadline)
			break;
		/* waiting is running the lane: its receive path fills the queues,
		 * completions open the send buffers */
		if (!pp__lane_run(l))
			pp__lane_nap(&step);
	}
	if (l)
		pp__lane_offline();
	return ready;
}

/* ---- socket options ---------------------------------------------------------- */

/* An int option value (cf. copy_from_sockptr() of an int: shorter is -EINVAL). */
static int opt_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int opt_put(void *val, socklen_t *len, const void *v, socklen_t vlen)
{
	if (!val || !len)
		return -EINVAL;
	if (*len > vlen)
		*len = vlen;
	memcpy(val, v, (size_t)*len);
	return 0;
}

static int opt_put_int(void *val, socklen_t *len, int v)
{
	return opt_put(val, len, &v, sizeof(v));
}

/* cf. sock_set_timeout(): a timeval; 0 waits forever, a negative one not at all. */
static int opt_timeo(const void *val, socklen_t len, uint64_t *timeo_ns)
{
	struct timeval tv;

	if (!val || len < (socklen_t)sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*timeo_ns = 1; /* already over */
		return 0;
	}
	*timeo_ns = (uint64_t)tv.tv_sec * PP_NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000u;
	return 0;
}

static int opt_put_timeo(void *val, socklen_t *len, uint64_t timeo_ns)
{
	struct timeval tv = {.tv_sec = (time_t)(timeo_ns / PP_NSEC_PER_SEC),
			     .tv_usec = (suseconds_t)(timeo_ns % PP_NSEC_PER_SEC / 1000)};

	return opt_put(val, len, &tv, sizeof(tv));
}

/* cf. __sock_set_rcvbuf() / sock_setsockopt(SO_SNDBUF): clamp to the max,
 * double (the kernel's allowance for overhead, which truesize already counts
 * as whole frames: doubling keeps what an application sized for Linux
 * working the same), never below the minimum. */
static uint32_t buf_size(int v, uint32_t max, uint32_t min)
{
	uint32_t b = v < 0 ? 0 : (uint32_t)v;

	b = b < max ? b : max;
	b *= 2;
	return b < min ? min : b;
}

/* SOL_SOCKET (cf. sk_setsockopt()). */
static int sock_setsockopt(struct pp_sock *sk, int name, const void *val, socklen_t len)
{
	int v, err;

	switch (name) {
	case SO_RCVTIMEO:
		return opt_timeo(val, len, &sk->rcvtimeo_ns);
	case SO_SNDTIMEO:
		return opt_timeo(val, len, &sk->sndtimeo_ns);
	}
	if ((err = opt_int(val, len, &v)))
		return err;
	switch (name) {
	case SO_RCVBUF:
		/* what is queued stays; the bound applies to the next datagram */
		__atomic_store_n(&sk->rcvbuf, buf_size(v, PP_SOCK_RMEM_MAX, PP_SOCK_RCVBUF_MIN),
				 __ATOMIC_RELAXED);
		return 0;
	case SO_SNDBUF:
		sk->sndbuf = buf_size(v, sk->st->lim.wmem_max, PP_SOCK_SNDBUF_MIN);
		return 0;
	case SO_NO_CHECK:
		sk->nocheck = v != 0;
		return 0;
	case SO_TYPE:
	case SO_PROTOCOL:
	case SO_DOMAIN:
	case SO_ERROR:
		return -ENOPROTOOPT; /* read-only */
	}
	return -ENOPROTOOPT;
}

static int sock_getsockopt(struct pp_sock *sk, int name, void *val, socklen_t *len)
{
	switch (name) {
	case SO_RCVBUF:
		return opt_put_int(val, len, (int)__atomic_load_n(&sk->rcvbuf, __ATOMIC_RELAXED));
	case SO_SNDBUF:
		return opt_put_int(val, len, (int)sk->sndbuf);
	case SO_RCVTIMEO:
		return opt_put_timeo(val, len, sk->rcvtimeo_ns);
	case SO_SNDTIMEO:
		return opt_put_timeo(val, len, sk->sndtimeo_ns);
	case SO_NO_CHECK:
		return opt_put_int(val, len, sk->nocheck);
	case SO_TYPE:
		return opt_put_int(val, len, sk->prot->type);
	case SO_PROTOCOL:
		return opt_put_int(val, len, sk->prot->protocol);
	case SO_DOMAIN:
		return opt_put_int(val, len, AF_INET);
	case SO_ERROR: /* cf. sock_error(): read once, then cleared */
		return opt_put_int(val, len, -pp__sock_error(sk));
	}
	return -ENOPROTOOPT;
}

/* IPPROTO_IP (cf. do_ip_setsockopt()), for every inet protocol. */
int pp__ip_setsockopt(struct pp_sock *sk, int name, const void *val, socklen_t len)
{
	int v, err = opt_int(val, len, &v);

	if (err)
		return err;
	switch (name) {
	case IP_TOS:
		sk->tos = (uint8_t)v;
		sk->prio = pp__tos_to_prio(sk->tos);
		return 0;
	case IP_MTU_DISCOVER:
		if (v != PP_PMTUDISC_DONT && v != PP_PMTUDISC_DO)
			return -EINVAL; /* WANT and PROBE are not implemented */
		sk->pmtudisc = (uint8_t)v;
		return 0;
	}
	return -ENOPROTOOPT;
}

int pp__ip_getsockopt(struct pp_sock *sk, int name, void *val, socklen_t *len)
{
	switch (name) {
	case IP_TOS:
		return opt_put_int(val, len, sk->tos);
	case IP_MTU_DISCOVER:
		return opt_put_int(val, len, sk->pmtudisc);
	}
	return -ENOPROTOOPT;
}

int pp_setsockopt(struct pp_sock *sk, int level, int name, const void *val, socklen_t len)
{
	int err = sock_check(sk);

	if (err)
		return err;
	if (level == SOL_SOCKET) {
		err = sock_setsockopt(sk, name, val, len);
		if (err != -ENOPROTOOPT)
			return err;
		/* SOL_SOCKET options a protocol keeps (SO_KEEPALIVE) */
	}
	return sk->prot->ops->setsockopt(sk, level, name, val, len);
}

int pp_getsockopt(struct pp_sock *sk, int level, int name, void *val, socklen_t *len)
{
	int err = sock_check(sk);

	if (err)
		return err;
	if (!val || !len)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		err = sock_getsockopt(sk, name, val, len);
		if (err != -ENOPROTOOPT)
			return err;
	}
	return sk->prot->ops->getsockopt(sk, level, name, val, len);
}

/* The setters that came before pp_setsockopt(): the same options. */
static int set_int(struct pp_sock *sk, int level, int name, int v)
{
	return pp_setsockopt(sk, level, name, &v, sizeof(v));
}

int pp_sock_set_tos(struct pp_sock *sk, uint8_t tos)
{
	return set_int(sk, IPPROTO_IP, IP_TOS, tos);
}

int pp_sock_set_pmtudisc(struct pp_sock *sk, int mode)
{
	return set_int(sk, IPPROTO_IP, IP_MTU_DISCOVER, mode);
}

int pp_sock_set_nocheck(struct pp_sock *sk, int on)
{
	return set_int(sk, SOL_SOCKET, SO_NO_CHECK, on);
}

int pp_sock_set_rcvbuf(struct pp_sock *sk, unsigned int bytes)
{
	return set_int(sk, SOL_SOCKET, SO_RCVBUF, bytes > INT_MAX ? INT_MAX : (int)bytes);
}

int pp_sock_set_rcvtimeo(struct pp_sock *sk, unsigned int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	return pp_setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int pp_sock_free_skbs(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n)
{
	int err = sock_check(sk);

	if (err)
		return err;
	if (n && !skbs)
		return -EINVAL;
	pp_skb_free_burst(sk->lane->cache, skbs, n);
	return 0;
}

/* ---- close -------------------------------------------------------------------- */

/* Out of the protocol's tables; the socket takes no more calls. Caller holds
 * ctl_lock and is an online RCU reader. */
static void sock_unhash(struct pp_sock *sk)
{
	if (sk->hashed) {
		sk->prot->ops->unhash(sk);
		sk->hashed = false;
	}
	sk->open = false;
}

/* After a grace period since sock_unhash(): free the queues, drop the
 * socket's own reference (cf. sk_common_release() -> sk_free()); its memory
 * goes back once its last frame has come home too. */
static void sock_destroy(struct pp_sock *sk)
{
	if (sk->prot->ops->destroy)
		sk->prot->ops->destroy(sk);
	sk->sport = 0;
	pp__sock_wfree(sk, 1);
}

int pp_close(struct pp_sock *sk)
{
	int err = pp__sock_enter(sk);

	if (err)
		return err;
	/* send what PP_MSG_MORE staged now (it names the socket, which stays
	 * alive until its frames come home in any case) */
	if (sk->lane->nmore)
		pp__sock_xmit_flush(sk->lane);
	if (sk->prot->ops->close && sk->prot->ops->close(sk)) {
		/* the protocol finishes the connection and releases it */
		sk->open = false;
		pp__sock_exit();
		return 0;
	}
	pthread_mutex_lock(&sk->st->ctl_lock);
	sock_unhash(sk);
	pthread_mutex_unlock(&sk->st->ctl_lock);
	pp__sock_exit();
	/* no receive path may still hold the socket from a table once a grace
	 * period has passed: then its queues can go */
	synchronize_rcu();
	sock_destroy(sk);
	return 0;
}

/* ---- the stack's sockets --------------------------------------------------- */

int pp__socks_init(struct pp_stack *st)
{
	int err = pp__udp_table_init(st);

	if (err || (err = pp__tcp_table_init(st)))
		return err;
	/* cf. inet_register_protosw(): the switch, and where each type's
	 * sockets come from */
	st->protosw[PP_SOCK_DGRAM] = &pp__udp_proto;
	st->slabs[PP_SOCK_DGRAM] = &st->udp->slab;
	st->protosw[PP_SOCK_STREAM] = &pp__tcp_proto;
	st->slabs[PP_SOCK_STREAM] = &st->tcp->slab;
	return 0;
}

/* Unhash an open socket and collect it on the list @arg points to (its
 * slab link is free while it is allocated). */
static void unhash_open(struct pp_sock *sk, void *arg)
{
	struct pp_sock **list = arg;

	if (!sk->open)
		return;
	if (sk->prot->ops->close)
		sk->prot->ops->close(sk);
	sock_unhash(sk);
	sk->slab_next = *list;
	*list = sk;
}

/* Stack teardown, lanes stopped: close what is still open (its received
 * datagrams go back to the pool; one grace period for all), then the
 * protocols' tables. */
void pp__socks_fini(struct pp_stack *st)
{
	struct pp_sock *list = NULL;

	pp__tcp_fini(st); /* connections, open or orphaned, and their timers */
	pp__rcu_get();
	pp__lane_online();
	pthread_mutex_lock(&st->ctl_lock);
	for (unsigned int t = 0; t < PP_SOCK_TYPES; t++)
		if (st->slabs[t])
			pp__sock_slab_for_each(st->slabs[t], unhash_open, &list);
	pthread_mutex_unlock(&st->ctl_lock);
	pp__lane_offline();
	synchronize_rcu();
	while (list) {
		struct pp_sock *sk = list;

		list = sk->slab_next;
		sock_destroy(sk);
	}
	pp__rcu_put();
	if (st->udp)
		pp__udp_table_fini(st);
}

/* After every frame came home (the NIC is closed): the memory. */
void pp__sock_slabs_free(struct pp_stack *st)
{
	for (unsigned int t = 0; t < PP_SOCK_TYPES; t++)
		if (st->slabs[t]) {
			slab_free_all(st->slabs[t]);
			st->slabs[t] = NULL;
		}
	free(st->udp);
	st->udp = NULL;
	pp__tcp_table_free(st);
	free(st->tcp);
	st->tcp = NULL;
}
