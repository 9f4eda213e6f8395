// SPDX-License-Identifier: MIT
/*
 * sock.c - the socket layer: argument checks, socket lookup, dispatch to the
 * protocol through its ops table (cf. sock_sendmsg() -> inet_sendmsg() ->
 * sk->sk_prot->sendmsg()), ports, and handing built packets to the lane.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/time.h"
#include "proto/stack_priv.h"

#define EPHEMERAL_LO 32768
#define EPHEMERAL_HI 60999

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
 * (PP_MSG_MORE) and the burst is not full yet (cf. xmit_more).
 * Return: how many were taken; the caller keeps the rest.
 */
uint32_t pp__sock_xmit(struct pp_lane *l, struct pp_skb **skbs, uint32_t n, int flags)
{
	uint32_t ok = pp_ring_enqueue_burst(l->r_ip, (void *const *)skbs, n);

	pp_stage_count_in(&l->s_udp, skbs, (uint16_t)ok);
	if (!(flags & PP_MSG_MORE) || pp_ring_count(l->r_ip) >= PP_BURST) {
		/* run until the ring drains or the lane stops making progress */
		while (!pp_ring_empty(l->r_ip) && pp__lane_run(l))
			;
	}
	return ok;
}

/*
 * Wait for frames or ring room: run the lane (it reaps completions), then
 * sleep in growing steps. Never spins forever; 0 to retry, -EAGAIN when the
 * caller does not want to wait.
 */
int pp__sock_wait(struct pp_sock *sk, int flags, unsigned int *step_us)
{
	if (flags & PP_MSG_DONTWAIT) {
		pp__lane_run(sk->lane);
		return -EAGAIN;
	}
	if (pp__lane_run(sk->lane))
		return 0;
	struct timespec ts = {0, (long)*step_us * 1000};

	pp__lane_offline();
	nanosleep(&ts, NULL);
	pp__lane_online();
	if (*step_us < 1000)
		*step_us *= 2;
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

/* Pick an ephemeral port (cf. inet_csk_get_port()); caller holds ctl_lock. */
int pp__sock_autobind(struct pp_sock *sk)
{
	struct pp_stack *st = sk->st;

	for (unsigned int tries = 0; tries <= EPHEMERAL_HI - EPHEMERAL_LO; tries++) {
		uint16_t p = st->next_eport;

		st->next_eport = (uint16_t)(p >= EPHEMERAL_HI ? EPHEMERAL_LO : p + 1);
		if (!port_in_use(st, htons(p))) {
			sk->sport = htons(p);
			return 0;
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

int pp_bind(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err;

	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	err = sin_check(addr, len, &sin);
	if (err)
		return err;
	if (sk->sport)
		return -EINVAL;
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY) && sin->sin_addr.s_addr != sk->st->ip)
		return -EADDRNOTAVAIL;
	pthread_mutex_lock(&sk->st->ctl_lock);
	if (sin->sin_port == 0) {
		err = pp__sock_autobind(sk);
	} else if (port_in_use(sk->st, sin->sin_port)) {
		err = -EADDRINUSE;
	} else {
		sk->sport = sin->sin_port;
	}
	pthread_mutex_unlock(&sk->st->ctl_lock);
	if (!err && sk->ops->bind)
		err = sk->ops->bind(sk, sin);
	return err;
}

int pp_connect(struct pp_sock *sk, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin;
	int err;

	if (!sk)
		return -EINVAL;
	if (!sk->open)
		return -EBADF;
	err = sin_check(addr, len, &sin);
	if (err)
		return err;
	if (sin->sin_addr.s_addr == htonl(INADDR_ANY) || sin->sin_port == 0)
		return -EINVAL;
	return sk->ops->connect(sk, sin);
}

ssize_t pp_sendmsg(struct pp_sock *sk, const struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (!msg || (flags & ~PP_MSG_ALL) || (msg->msg_iovlen && !msg->msg_iov) ||
	    (msg->msg_name && msg->msg_namelen < (socklen_t)sizeof(struct sockaddr_in)))
		return -EINVAL;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		if (msg->msg_iov[i].iov_len && !msg->msg_iov[i].iov_base)
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
	/* Packets of this socket still in the lane's first ring name it in
	 * skb->sk (the ip stage reads its route cache): push them through
	 * before the slot can be reused. */
	while (!pp_ring_empty(sk->lane->r_ip) && pp__lane_run(sk->lane))
		;
	if (sk->ops->close)
		sk->ops->close(sk);
	pp__sock_exit();
	pthread_mutex_lock(&sk->st->ctl_lock);
	sk->open = false;
	sk->sport = 0;
	pthread_mutex_unlock(&sk->st->ctl_lock);
	return 0;
}
