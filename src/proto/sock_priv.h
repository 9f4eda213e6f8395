/* SPDX-License-Identifier: MIT */
/*
 * sock_priv.h (internal) - the socket layer: the head every protocol's
 * socket starts with (cf. struct sock + struct inet_sock), the ops table the
 * public calls dispatch through (cf. struct proto / struct proto_ops), the
 * slab sockets come from, and the send-memory books (cf. sk_wmem_alloc).
 *
 * A protocol's socket embeds the head first:
 *
 *   struct pp_udp_sock { struct pp_sock sk; ... UDP's own ... };
 *
 * and registers a struct pp_proto for its socket type in the stack's switch
 * (st->protosw[], cf. inetsw[]); pp_socket() allocates obj_size bytes from
 * that protocol's slab. Each protocol keeps its own lookup tables (UDP: ports;
 * TCP: connections, listeners) in its own per-stack table.
 *
 * Lifetime (cf. sk_free() and sock_wfree()): sk->wmem_alloc starts at 1, the
 * socket's own reference. Every frame the socket sends is charged its
 * truesize there and names the socket in skb->sk; when the pool takes the
 * frame back (TX completion, or a drop anywhere below) it calls the
 * socket's release, which subtracts what it charged. pp_close() unhashes the
 * socket, waits for an RCU grace period and drops the reference of its own:
 * whoever takes wmem_alloc to zero (the closer, or the thread that frees the
 * last frame in flight) hands the memory back to the slab. So a frame in
 * flight never names freed memory, and the socket layer learns backpressure
 * from what its own frames hold, never from queue internals.
 */
#ifndef PP_PROTO_SOCK_PRIV_H
#define PP_PROTO_SOCK_PRIV_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <urcu-qsbr.h>
#include <pktpipe/sock.h>

#include <pktpipe/skb.h>

struct pp_stack;
struct pp_lane;
struct pp_sock;

/*
 * struct pp_proto_ops - what a protocol does for the public calls (cf.
 * struct proto_ops + struct proto). The socket layer checks arguments, enters
 * the lane, and calls these; a NULL op is the kernel's sock_no_*() (the
 * public call returns -EOPNOTSUPP), except @poll, @setsockopt and
 * @getsockopt, which every protocol has.
 * @sendmsg, @recvmsg: data; Context: the socket's lane, online.
 * @bind: after the socket layer hashed the port (protocol extras only).
 * @connect, @listen, @accept, @shutdown: as their public calls.
 * @poll: PP_POLL* readiness now, without waiting (cf. datagram_poll()).
 * @setsockopt, @getsockopt: levels other than SOL_SOCKET (that one is the
 *	socket layer's, cf. sock_setsockopt()); -ENOPROTOOPT for unknown ones.
 * @init: a new socket (pp_socket(), a listener's child): protocol fields.
 * @close: protocol part of pp_close(), before the socket is unhashed.
 *	Return true when the protocol keeps the socket alive past the call (a
 *	TCP connection that still has to finish: cf. sk->sk_state after
 *	tcp_close() and the orphan count): then the socket layer only marks it
 *	closed, and the protocol releases it later (pp__sock_release()).
 * @destroy: after the grace period: free what the socket holds (queues).
 * @unhash: take the socket out of the protocol's tables (ctl_lock held).
 */
struct pp_proto_ops {
	ssize_t (*sendmsg)(struct pp_sock *sk, const struct msghdr *msg, int flags);
	ssize_t (*recvmsg)(struct pp_sock *sk, struct msghdr *msg, int flags);
	int (*bind)(struct pp_sock *sk, const struct sockaddr_in *sin);
	int (*connect)(struct pp_sock *sk, const struct sockaddr_in *sin);
	int (*listen)(struct pp_sock *sk, int backlog);
	int (*accept)(struct pp_sock *sk, struct pp_sock **out);
	int (*shutdown)(struct pp_sock *sk, int how);
	unsigned int (*poll)(struct pp_sock *sk);
	int (*init)(struct pp_sock *sk);
	int (*setsockopt)(struct pp_sock *sk, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(struct pp_sock *sk, int level, int name, void *val, socklen_t *len);
	bool (*close)(struct pp_sock *sk);
	void (*destroy)(struct pp_sock *sk);
	void (*unhash)(struct pp_sock *sk);
};

/* struct pp_proto - a socket type's protocol (cf. struct inet_protosw). */
struct pp_proto {
	const char *name;
	int type;		/* PP_SOCK_* */
	uint8_t protocol;	/* IPPROTO_* */
	size_t obj_size;	/* its socket struct, head first */
	const struct pp_proto_ops *ops;
};

/*
 * struct pp__sock_slab - sockets of one protocol of one stack (cf. the
 * protocol's kmem_cache): chunks of objects allocated on demand, never a
 * fixed cap. Allocation and free lists under the stack's ctl_lock; sockets
 * whose last frame comes home on another thread are pushed on @zombies
 * lock-free (push one, take all: no ABA) and go back on the free list at the
 * next allocation.
 */
struct pp__sock_chunk;
struct pp__sock_slab {
	size_t obj_size;			/* const: rounded to a cache line */
	struct pp__sock_chunk *chunks;		/* ctl_lock */
	struct pp_sock *free;			/* ctl_lock */
	uint32_t nobjs, nused;			/* ctl_lock */
	_Atomic(struct pp_sock *) zombies;	/* any thread pushes */
};

/* The destination cache every socket carries (cf. sk_dst_cache). */
struct pp__dst_cache {
	uint32_t daddr;
	uint32_t nexthop;
	uint32_t gen;	/* route generation it was computed under */
	bool valid;
};

/* sk->shutdown bits (cf. RCV_SHUTDOWN, SEND_SHUTDOWN) */
#define PP_RCV_SHUTDOWN 1
#define PP_SEND_SHUTDOWN 2
#define PP_SHUTDOWN_MASK 3

/*
 * struct pp_sock - the head of every socket (cf. struct sock_common, struct
 * sock and struct inet_sock, folded). Owned by the socket's lane thread
 * except where a field says otherwise.
 */
struct pp_sock {
	const struct pp_proto *prot;	/* const while open */
	struct pp_stack *st;
	struct pp_lane *lane;
	struct pp__sock_slab *slab;	/* const: where it goes back */
	struct pp_sock *slab_next;	/* free list / zombie list link */
	bool open;
	bool connected;
	uint8_t shutdown;		/* PP_*_SHUTDOWN */
	uint8_t tos;
	uint8_t prio;			/* skb->priority from tos (rt_tos2priority) */
	uint8_t pmtudisc;
	bool nocheck;
	bool nonblock;			/* PP_SOCK_NONBLOCK (O_NONBLOCK) */
	bool hashed;			/* in the protocol's tables (ctl_lock) */
	bool released;			/* pp__sock_release() was called */
	int err;			/* sk_err (positive errno, any lane sets it):
					 * reported once, by SO_ERROR or a call */
	uint32_t saddr;			/* network order */
	uint16_t sport;			/* network order; 0: unbound */
	uint16_t dport;
	uint32_t daddr;			/* connected destination */
	uint32_t txhash;		/* flow hash of the connected 5-tuple (sk_txhash) */
	struct pp__dst_cache dst;
	struct rcu_head rcu;		/* pp__sock_release() */
	uint64_t rcvtimeo_ns;		/* 0: block forever */
	uint64_t sndtimeo_ns;		/* 0: block forever */
	uint32_t rcvbuf;		/* sk_rcvbuf: bytes; read by every rx lane */
	uint32_t sndbuf;		/* sk_sndbuf: bytes */
	_Atomic uint32_t rmem_alloc;	/* sk_rmem_alloc: truesize queued (rx lanes +, we -) */
	/* sk_wmem_alloc: 1 (the socket's own reference) + truesize of every
	 * frame it sent that has not come home. The lane charges, whichever
	 * thread frees the frame releases: its own line. */
	alignas(PP_CACHE_LINE) _Atomic uint32_t wmem_alloc;
};

/* ---- sock.c --------------------------------------------------------------- */

int pp__sock_enter(struct pp_sock *sk);
/* A new open socket of @type on lane @lane, its protocol's init done
 * (pp_socket(), and a listener's children). Context: any thread; takes
 * ctl_lock. Return: 0 and *@out, or -errno. */
int pp__sock_alloc(struct pp_stack *st, int type, unsigned int lane, struct pp_sock **out);
/* Drop the socket's own reference once no RCU reader can hold it (a
 * protocol that kept it past pp_close()). Context: an online lane thread. */
void pp__sock_release(struct pp_sock *sk);
void pp__sock_exit(void);
int pp__sock_wait(struct pp_sock *sk, int flags, uint64_t deadline, unsigned int *step_us);
uint64_t pp__sock_deadline(uint64_t timeo_ns);
/* sock.c: send a burst of transport-built skbs down (PP_MSG_MORE stages
 * them). Takes all of them. */
void pp__sock_xmit(struct pp_lane *l, struct pp_skb **skbs, uint32_t n, int flags);
/* sock.c: send what PP_MSG_MORE staged on @l. */
void pp__sock_xmit_flush(struct pp_lane *l);
/* Room on the device below the lane, in frames and bytes, less what
 * PP_MSG_MORE staged (cf. netif_xmit_stopped(): whether the queue takes
 * more, not how it is built). */
uint32_t pp__sock_tx_room(struct pp_lane *l, uint64_t *bytes);
int pp__socks_init(struct pp_stack *st);
void pp__socks_fini(struct pp_stack *st);
void pp__sock_slabs_free(struct pp_stack *st);
int pp__sock_slab_init(struct pp__sock_slab *s, size_t obj_size);
/* Every allocated socket of @s (open or zombie): fn(sk, arg). Control path. */
void pp__sock_slab_for_each(struct pp__sock_slab *s, void (*fn)(struct pp_sock *, void *), void *arg);
/* Copy a datagram (a chain) into @msg's iovec; Return: bytes copied, and
 * *@total the datagram's length. */
size_t pp__sock_copy_to_iov(const struct pp_skb *skb, const struct msghdr *msg, size_t *total);
/* Generic getsockopt/setsockopt at IPPROTO_IP (cf. do_ip_setsockopt()). */
int pp__ip_setsockopt(struct pp_sock *sk, int name, const void *val, socklen_t len);
int pp__ip_getsockopt(struct pp_sock *sk, int name, void *val, socklen_t *len);

/* pp__sock_error() - the error an ICMP message (or a protocol) left for the
 * socket, as -errno, cleared by reading it (cf. sock_error()); 0: none. The
 * receive path of any lane sets it. Context: any. */
static inline int pp__sock_error(struct pp_sock *sk)
{
	if (PP_LIKELY(!__atomic_load_n(&sk->err, __ATOMIC_RELAXED)))
		return 0;
	return -__atomic_exchange_n(&sk->err, 0, __ATOMIC_RELAXED);
}

/*
 * Send memory (cf. skb_set_owner_w() and sock_wfree()).
 */

/* pp__sock_wmem() - bytes in flight (the socket's own reference excluded). */
static inline uint32_t pp__sock_wmem(const struct pp_sock *sk)
{
	return atomic_load_explicit(&sk->wmem_alloc, memory_order_relaxed) - 1;
}

/* pp__sock_writeable() - whether the socket may queue another send
 * (cf. sock_alloc_send_pskb(): below sk_sndbuf; one send may go past it). */
static inline bool pp__sock_writeable(const struct pp_sock *sk)
{
	return pp__sock_wmem(sk) < sk->sndbuf;
}

/* pp__sock_charge_w() - charge @bytes of frames to @sk (cf.
 * skb_set_owner_w()); the caller names @sk in each of those frames' skb->sk,
 * so that their release gives the bytes back. Context: the socket's lane. */
static inline void pp__sock_charge_w(struct pp_sock *sk, uint32_t bytes)
{
	atomic_fetch_add_explicit(&sk->wmem_alloc, bytes, memory_order_relaxed);
}

/* The pool's release hook (pool.h: pp_pool_set_wfree): @bytes of @owner's
 * frames came home. Any thread. */
void pp__sock_wfree(void *owner, uint32_t bytes);

/* pp__sock_rcu_barrier() - wait until the RCU callbacks of every socket of
 * @st given to pp__sock_release() have run (cf. rcu_barrier(), which
 * ThreadSanitizer cannot follow). Control path, teardown. */
void pp__sock_rcu_barrier(struct pp_stack *st);

#endif /* PP_PROTO_SOCK_PRIV_H */
