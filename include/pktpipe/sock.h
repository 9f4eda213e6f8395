/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/sock.h - the socket layer: what a server calls to send.
 *
 * The calls mirror the BSD ones (socket, bind, connect, listen, accept,
 * send/sendto/sendmsg, recv/recvfrom/recvmsg, shutdown, setsockopt,
 * getsockopt, poll, close) and the kernel's path behind them: each checks its
 * arguments, finds the protocol through the socket's ops table and calls it,
 * as sock_sendmsg() -> inet_sendmsg() -> udp_sendmsg() does. A call the
 * protocol does not have returns -EOPNOTSUPP, as the kernel's sock_no_*().
 *
 * Sockets come from a slab without a fixed cap. A closed socket's memory
 * stays until the frames it sent have left (TX completion), then is reused
 * for another socket: as with a file descriptor, using a pointer after
 * pp_close() is the caller's bug (it gets -EBADF only until the memory is
 * reused).
 *
 * A socket belongs to one lane (chosen at pp_socket()); every call on it runs
 * on that lane's thread (see pktpipe/stack.h). Sending runs the lane's stages
 * right away, as the kernel runs the whole journey inside sendto(); with
 * PP_MSG_MORE the packet waits in the lane's first ring until a burst is
 * ready or the next send without the flag (cf. MSG_MORE / xmit_more), which
 * is how callers batch without the zero-copy API.
 *
 * Zero-copy burst API (fastest callers, cf. DPDK tx_burst): take skbs with
 * pp_udp_alloc_burst() (headroom reserved for every header), pp_skb_put()
 * the payload, and hand them to pp_udp_send_burst().
 */
#ifndef PKTPIPE_SOCK_H
#define PKTPIPE_SOCK_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_stack;
struct pp_sock;
struct pp_skb;

/* Socket types (pp_socket @type). */
#define PP_SOCK_STREAM 1 /* TCP, as SOCK_STREAM */
#define PP_SOCK_DGRAM 2	 /* UDP, as SOCK_DGRAM */
/* OR into @type: calls that would wait return -EAGAIN (pp_connect()
 * -EINPROGRESS) instead, as SOCK_NONBLOCK / O_NONBLOCK. */
#define PP_SOCK_NONBLOCK 0x800

/* Send flags. */
#define PP_MSG_DONTWAIT 0x40   /* == MSG_DONTWAIT: -EAGAIN instead of waiting */
#define PP_MSG_MORE	0x8000 /* == MSG_MORE: more is coming, batch it */
#define PP_MSG_WAITALL 0x100	 /* == MSG_WAITALL: receive only: wait for the whole buffer */
#define PP_MSG_NOSIGNAL 0x4000 /* == MSG_NOSIGNAL: accepted; pktpipe never signals */
#define PP_MSG_ALL	(PP_MSG_DONTWAIT | PP_MSG_MORE | PP_MSG_NOSIGNAL)

/* pp_poll() events, as poll(2)'s. */
#define PP_POLLIN 0x001
#define PP_POLLOUT 0x004
#define PP_POLLERR 0x008
#define PP_POLLHUP 0x010
#define PP_POLLNVAL 0x020
#define PP_POLLRDHUP 0x2000

/* Path MTU discovery policy (pp_sock_set_pmtudisc), as IP_MTU_DISCOVER. */
#define PP_PMTUDISC_DONT 0 /* never set DF, fragment (kernel default for UDP) */
#define PP_PMTUDISC_DO	 2 /* set DF; datagrams above the MTU get -EMSGSIZE */

/**
 * pp_socket() - open a socket of @type on lane @lane.
 * Return: 0 and *@out; -EINVAL (NULL, bad lane); -EPROTONOSUPPORT (type);
 * -ENOMEM (no memory for another socket: there is no fixed cap).
 * Context: the lane's thread, or the control thread before traffic.
 */
PP_API int pp_socket(struct pp_stack *st, int type, unsigned int lane, struct pp_sock **out);

/**
 * pp_bind() - set the local port (and address: ours or INADDR_ANY).
 * Port 0 picks a free ephemeral port.
 * Return: 0; -EINVAL (already bound, bad length); -EAFNOSUPPORT (not
 * AF_INET); -EADDRNOTAVAIL (not our address); -EADDRINUSE.
 */
PP_API int pp_bind(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len);

/**
 * pp_connect() - set the default destination; binds an ephemeral port if
 * unbound. The flow hash is cached now, the route by the first send (the
 * call may come from a control thread, which is no RCU reader).
 * Return: 0; -EINVAL; -EAFNOSUPPORT.
 */
PP_API int pp_connect(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len);

/**
 * pp_send(), pp_sendto(), pp_sendmsg() - send one datagram.
 * @flags: PP_MSG_DONTWAIT, PP_MSG_MORE; others are -EINVAL.
 * Return: bytes sent (the whole datagram); -EINVAL bad arguments or flags;
 * -EBADF closed socket; -EDESTADDRREQ unconnected without a destination;
 * -EISCONN destination given to a connected socket with a different one is
 * allowed (as UDP) and used; -EMSGSIZE above 65507 bytes, or above the MTU
 * with PP_PMTUDISC_DO; -ENETUNREACH no route to the destination (looked up in
 * the call, as udp_sendmsg() does: nothing is queued); -ECONNREFUSED (or
 * another errno) once after an ICMP hard error about what a connected socket
 * sent, as Linux reports it (a port unreachable from the peer); -EPIPE after
 * pp_shutdown(SHUT_WR); -EAGAIN (non-blocking)
 * no frame, or not enough room below the socket for the whole datagram, now.
 * Room is counted in frames and bytes as the TX queue's qdisc counts them (a
 * fragmented datagram is all its fragments), so a datagram the call accepted
 * is never dropped for want of room on our side of the NIC. Neighbour
 * resolution happens in the lane after the call returns: a datagram to a
 * neighbour that never answers ARP is dropped and counted
 * (PP_DROP_NEIGH_FAILED in pp_stack_stats), as the kernel's would be.
 * Blocking calls that find no frame or room poll the lane and then sleep in
 * growing steps (50 us .. 1 ms) until frames come home; they never spin forever.
 * Context: the socket's lane thread.
 */
PP_API ssize_t pp_send(struct pp_sock *sk, const void *buf, size_t len, int flags);
PP_API ssize_t pp_sendto(struct pp_sock *sk, const void *buf, size_t len, int flags,
			 const struct sockaddr *dst, socklen_t dlen);
PP_API ssize_t pp_sendmsg(struct pp_sock *sk, const struct msghdr *msg, int flags);

/**
 * pp_send() on a stream socket (PP_SOCK_STREAM, TCP; cf. tcp_sendmsg()):
 * copies into the socket's write queue in segments of at most MSS bytes,
 * filling the tail segment first, and returns once all of @len is queued
 * (blocking: waits for send-buffer room, SO_SNDBUF bytes, and for the
 * connection to be established) or as much as fitted (PP_MSG_DONTWAIT or a
 * non-blocking socket: -EAGAIN if nothing did). PP_MSG_MORE (and TCP_CORK)
 * hold a partial segment back. Return: bytes queued; -ENOTCONN not
 * connected; -EPIPE after shutdown(SHUT_WR) or when the connection is gone
 * (no signal is ever raised: PP_MSG_NOSIGNAL is implied); -ECONNRESET,
 * -ETIMEDOUT once, as the kernel reports them.
 */

/** pp_write() - pp_send(@sk, @buf, @len, 0), as write(2) on a socket. */
PP_API ssize_t pp_write(struct pp_sock *sk, const void *buf, size_t len);

/**
 * pp_udp_alloc_burst() - up to @n skbs ready for a payload (headroom for
 * UDP, IPv4 and Ethernet reserved). Fill with pp_skb_put(); at most
 * pp_udp_max_payload() bytes each.
 * Return: how many (0 when the lane has no free frame now), or -EINVAL.
 * Context: the socket's lane thread.
 */
PP_API int pp_udp_alloc_burst(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n);

/** pp_udp_max_payload() - largest payload one burst skb may carry (MTU - 28). */
PP_API int pp_udp_max_payload(const struct pp_sock *sk);

/**
 * pp_udp_send_burst() - send @n skbs from pp_udp_alloc_burst(), each one
 * datagram, to @dst (NULL: the connected destination).
 * Return: how many were taken (the caller keeps and must send or free
 * skbs[ret..n): no room below the socket is a short count, never a drop), or
 * a negative errno (nothing taken): bad arguments, -ENETUNREACH no route.
 * Context: the socket's lane thread.
 */
PP_API int pp_udp_send_burst(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n,
			     const struct sockaddr *dst, socklen_t dlen, int flags);

/**
 * pp_skb_free_lane() - give back skbs the caller holds (from
 * pp_udp_alloc_burst and not sent). Return: 0 or -EINVAL.
 */
PP_API int pp_sock_free_skbs(struct pp_sock *sk, struct pp_skb **skbs, unsigned int n);

/** pp_sock_set_tos() - IP TOS byte for what the socket sends (IP_TOS). */
PP_API int pp_sock_set_tos(struct pp_sock *sk, uint8_t tos);

/** pp_sock_set_pmtudisc() - PP_PMTUDISC_DONT or _DO. Return: 0 or -EINVAL. */
PP_API int pp_sock_set_pmtudisc(struct pp_sock *sk, int mode);

/** pp_sock_set_nocheck() - 1: send UDP without a checksum (SO_NO_CHECK). */
PP_API int pp_sock_set_nocheck(struct pp_sock *sk, int on);

/**
 * pp_recv(), pp_recvfrom(), pp_recvmsg() - receive one datagram sent to the
 * socket's port (any lane may have received it; it waits on a queue per
 * receiving lane). The socket must be bound (pp_bind or an earlier send).
 * @flags: PP_MSG_DONTWAIT; others are -EINVAL.
 * Return: bytes copied (a longer datagram is truncated and msg_flags gets
 * MSG_TRUNC); a pending ICMP error (-ECONNREFUSED, ...: see pp_send()), once,
 * when nothing is queued; -EAGAIN when non-blocking and nothing is queued, or when the
 * receive timeout (pp_sock_set_rcvtimeo) passed; -EBADF closed; -EINVAL
 * unbound or bad arguments. Waiting polls the lane (receiving runs its rx
 * stage) busily for 2 ms, then sleeps in growing steps (50 us .. 1 ms).
 * Context: the socket's lane thread.
 */
PP_API ssize_t pp_recv(struct pp_sock *sk, void *buf, size_t len, int flags);
PP_API ssize_t pp_recvfrom(struct pp_sock *sk, void *buf, size_t len, int flags,
			   struct sockaddr *src, socklen_t *slen);
PP_API ssize_t pp_recvmsg(struct pp_sock *sk, struct msghdr *msg, int flags);

/**
 * pp_recv() on a stream socket (TCP; cf. tcp_recvmsg()): the next bytes of
 * the stream, in order, as many as are there up to @len (PP_MSG_WAITALL:
 * wait for all @len unless the stream ends or an error comes). Return:
 * bytes copied; 0 at the end of the stream (the peer's FIN, or SHUT_RD);
 * -EAGAIN (non-blocking, or SO_RCVTIMEO passed); -ENOTCONN;
 * -ECONNRESET, -ETIMEDOUT, -ECONNREFUSED once, as the kernel reports them.
 */

/** pp_read() - pp_recv(@sk, @buf, @len, 0), as read(2) on a socket. */
PP_API ssize_t pp_read(struct pp_sock *sk, void *buf, size_t len);

/** pp_sock_set_rcvtimeo() - receive timeout in ms, 0 = forever (SO_RCVTIMEO). */
PP_API int pp_sock_set_rcvtimeo(struct pp_sock *sk, unsigned int ms);

/**
 * pp_sock_set_rcvbuf() - bound the bytes of received datagrams the socket
 * holds (SO_RCVBUF). As Linux: @bytes is clamped to rmem_max (212992), then
 * doubled, and at least 2304 (SOCK_MIN_RCVBUF); the default is 212992
 * (rmem_default). Datagrams are charged the whole frames they occupy (a
 * 1-byte datagram costs a 2 KiB frame), and a socket holding more than its
 * rcvbuf drops what arrives (PP_DROP_RCVQ_FULL on the rx stage), so one
 * datagram always fits an empty socket. The lane that receives also bounds
 * what all its sockets hold together (a quarter of its frames, cf. udp_mem).
 * Same as pp_setsockopt(SOL_SOCKET, SO_RCVBUF).
 * Return: 0; -EINVAL NULL @sk; -EBADF closed.
 * Context: any thread; applies to the next datagram received.
 */
PP_API int pp_sock_set_rcvbuf(struct pp_sock *sk, unsigned int bytes);

/**
 * pp_listen() - accept connections (cf. listen(2)).
 * pp_accept() - take one (cf. accept(2)); @addr/@len the peer's address
 * (@len in: room, out: the address's size; may be NULL together).
 * Return: 0 (*@out the new socket); -EOPNOTSUPP for a protocol without
 * connections (UDP); -EINVAL; -EBADF.
 * Context: the socket's lane thread.
 */
PP_API int pp_listen(struct pp_sock *sk, int backlog);
PP_API int pp_accept(struct pp_sock *sk, struct pp_sock **out, struct sockaddr *addr,
		     socklen_t *len);

/**
 * pp_shutdown() - shut the receiving (SHUT_RD), sending (SHUT_WR) or both
 * (SHUT_RDWR) sides, as shutdown(2). For UDP, as Linux: sends then fail
 * with -EPIPE, a receive with nothing queued returns 0 (-EAGAIN when
 * non-blocking), pp_poll() reports PP_POLLRDHUP/PP_POLLHUP; an unconnected
 * socket is shut all the same but the call returns -ENOTCONN.
 * Return: 0; -EINVAL bad @how; -ENOTCONN; -EBADF.
 * Context: the socket's lane thread.
 */
PP_API int pp_shutdown(struct pp_sock *sk, int how);

/**
 * pp_setsockopt(), pp_getsockopt() - socket options, with setsockopt(2)'s
 * levels, names and value formats:
 *   SOL_SOCKET: SO_RCVBUF, SO_SNDBUF (clamped to 212992, then doubled, as
 *     Linux: rmem_max/wmem_max), SO_RCVTIMEO, SO_SNDTIMEO (struct timeval;
 *     0 = forever), SO_NO_CHECK; read-only SO_TYPE, SO_PROTOCOL, SO_DOMAIN,
 *     SO_ERROR (reading clears it).
 *   IPPROTO_IP: IP_TOS, IP_MTU_DISCOVER (PP_PMTUDISC_DONT or _DO).
 * Values are ints unless said; getsockopt truncates to *@len and sets it.
 * SO_SNDBUF bounds the bytes of the socket's frames in flight (each frame
 * counts whole, as truesize): a send waits (or -EAGAIN) while they are
 * above it, and they come back as the NIC completes them.
 * Return: 0; -ENOPROTOOPT unknown level/name (or setting a read-only one);
 * -EINVAL bad value or length; -EDOM bad timeval; -EBADF.
 * Context: the socket's lane thread, or a control thread before traffic.
 */
PP_API int pp_setsockopt(struct pp_sock *sk, int level, int name, const void *val, socklen_t len);
PP_API int pp_getsockopt(struct pp_sock *sk, int level, int name, void *val, socklen_t *len);

/**
 * struct pp_pollfd - one socket for pp_poll(): @events asked (PP_POLL*),
 * @revents what is ready (PP_POLLERR, PP_POLLHUP and PP_POLLNVAL are
 * reported whether asked or not).
 */
struct pp_pollfd {
	struct pp_sock *sk;
	short events;
	short revents;
};

/**
 * pp_poll() - readiness of @n sockets of one lane, as poll(2): waits up to
 * @timeout_ms (0: none; negative: forever) for one to be ready, running the
 * lane meanwhile (that is what makes data arrive and send buffers drain).
 * UDP: PP_POLLIN when a datagram is queued, PP_POLLOUT while the frames in
 * flight are below half of SO_SNDBUF (sock_writeable()).
 * Return: how many have revents != 0 (0: timed out); -EINVAL NULL, @n 0, or
 * sockets of different lanes.
 * Context: the lane's thread.
 */
PP_API int pp_poll(struct pp_pollfd *fds, unsigned int n, int timeout_ms);

/**
 * pp_close() - close the socket; packets it already sent still go out.
 * Return: 0 or -EBADF (already closed) / -EINVAL.
 * Context: the socket's lane thread (or the control thread when no lane
 * thread runs).
 */
PP_API int pp_close(struct pp_sock *sk);

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_SOCK_H */
