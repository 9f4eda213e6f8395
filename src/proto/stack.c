// SPDX-License-Identifier: MIT
/*
 * stack.c - building and tearing down a stack (pktpipe/stack.h): the pool,
 * the NIC, routes, neighbours, TX queues and lanes; the control-path calls;
 * the stats snapshot.
 *
 * cf. register_netdevice() + dev_open() for the device side, and
 * fib_table_insert() / neigh_update() for the control calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include <pktpipe/prot/eth.h>

#include "core/opts.h"
#include "core/time.h"
#include "proto/defaults.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"
#include "proto/tcp_priv.h"

/* Timer periods, not limits (limits and kernel defaults: proto/defaults.h) */
#define PP_REASM_TICK (100 * PP_NSEC_PER_MSEC)	/* how often expired queues are swept */
#define PP_NEIGH_TICK PP_NSEC_PER_SEC		/* cf. the neighbour GC work */

static const char *const stage_names[PP_STAGE_MAX] = {
	[PP_STAGE_UDP] = "udp",	    [PP_STAGE_IP] = "ip",	[PP_STAGE_NEIGH] = "neigh",
	[PP_STAGE_QSEL] = "qsel",   [PP_STAGE_QDISC] = "qdisc", [PP_STAGE_TX] = "tx",
	[PP_STAGE_COMPLETION] = "completion", [PP_STAGE_RX] = "rx", [PP_STAGE_ARP] = "arp",
	[PP_STAGE_ICMP] = "icmp",   [PP_STAGE_TCP] = "tcp",
};

const char *pp__stage_name(unsigned int stage)
{
	return stage < PP_STAGE_MAX ? stage_names[stage] : "unknown";
}

static void stage_init(struct pp_stage *s, struct pp_lane *l, unsigned int id, void *ctx,
		       struct pp_pool_cache *cache)
{
	s->name = stage_names[id];
	s->ctx = ctx;
	s->cache = cache;
	s->stats = &l->stats[id];
	s->lane = l->id;
	s->out_cap = PP_STAGE_OUT_CAP;
}

static uint64_t calibrate_tsc(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	uint64_t t0 = pp__now_ns(), c0 = pp__tsc();

	nanosleep(&ts, NULL);
	uint64_t t1 = pp__now_ns(), c1 = pp__tsc();

	return t1 > t0 ? (c1 - c0) * PP_NSEC_PER_SEC / (t1 - t0) : 0;
}

static int opts_check(const struct pp_stack_opts *o)
{
	if (o->flags & ~PP_STACK_F_ALL)
		return -EINVAL;
	if (o->nlanes > PP_LANES_MAX || o->ntxq > PP_TXQ_MAX || o->prefix > 32 ||
	    o->placement > PP_PLACE_SPLIT || o->ip == 0 || (o->ncpus && !o->cpus))
		return -EINVAL;
	if (o->mtu && o->mtu < 68)
		return -EINVAL;
	if (o->nic && strlen(o->nic) >= sizeof(((struct pp_stack *)0)->nic_spec))
		return -EINVAL;
	return 0;
}

static int inet_add_protocol(struct pp_stack *st, const struct pp_inet_protocol *p)
{
	if (st->inet_protos[p->protocol] || st->ninet >= sizeof(st->inet_list) / sizeof(st->inet_list[0]))
		return -EEXIST;
	st->inet_protos[p->protocol] = p;
	st->inet_list[st->ninet++] = p;
	return 0;
}

/* Reassembly queues past their time go (cf. ip_expire()), on every lane. */
static void reasm_timer(struct pp_timer *t)
{
	struct pp_lane *l = (struct pp_lane *)((char *)t - offsetof(struct pp_lane, t_reasm));
	uint64_t now = pp__now_ns();

	pp__reasm_tick(l->reasm, &l->s_rx, now);
	pp_timer_arm(&l->rt->timers, t, now + PP_REASM_TICK);
}

/* Lane 0 ages the neighbour table (cf. neigh_periodic_work()). */
static void neigh_timer(struct pp_timer *t)
{
	struct pp_lane *l = (struct pp_lane *)((char *)t - offsetof(struct pp_lane, t_neigh));
	uint64_t now = pp__now_ns();

	pp__neigh_tick(l->st->neigh, now);
	pp_timer_arm(&l->rt->timers, t, now + PP_NEIGH_TICK);
}

int pp_stack_create(const struct pp_stack_opts *uopts, struct pp_stack **out)
{
	struct pp_stack_opts o;
	const struct pp_stack_opts *opts = &o;
	struct pp_stack *st;
	int err;

	/* an older caller's smaller struct reads as defaults (core/opts.h) */
	if (!out || pp__opts_copy(&o, sizeof(o), uopts))
		return -EINVAL;
	err = opts_check(opts);
	if (err)
		return err;
	st = aligned_alloc(PP_CACHE_LINE, sizeof(*st));
	if (!st)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	st->opts = *opts;
	snprintf(st->nic_spec, sizeof(st->nic_spec), "%s", opts->nic ? opts->nic : "null");
	st->opts.nic = st->nic_spec;
	st->nlanes = opts->nlanes ? opts->nlanes : 1;
	st->ntxq = opts->ntxq ? opts->ntxq : st->nlanes;
	st->placement = opts->placement;
	st->ip = opts->ip;
	st->mask = opts->prefix ? htonl(~0u << (32 - opts->prefix)) : 0;
	st->mtu = opts->mtu ? opts->mtu : 1500;
	st->flags = opts->flags;
	pthread_mutex_init(&st->ctl_lock, NULL);
	err = pp__rt_init(&st->rt, st->nlanes,
			  st->placement == PP_PLACE_SPLIT ? PP_RT_SPLIT : PP_RT_RTC,
			  st->flags & PP_STACK_F_NO_PIN, opts->cpus, opts->ncpus);
	if (err)
		goto err_free;

	struct pp_pool_opts po = {
		.sz = sizeof(po),
		.frames_per_lane = opts->frames_per_lane,
		.frame_size = opts->frame_size,
		.nlanes = st->nlanes,
		/* freer caches: split workers, then completion threads */
		.nfreers = (uint16_t)((st->placement == PP_PLACE_SPLIT ? st->nlanes : 0) +
				      ((st->flags & PP_STACK_F_COMPLETION_THREADS) ? st->ntxq : 0)),
	};

	err = pp_pool_create(&po, &st->pool);
	if (err)
		goto err_free;
	/* frames each lane owns (as the pool chose them) and their size: the
	 * shares of what the wire may make a lane hold are cut from them */
	struct pp_pool_stats pst;

	pp_pool_stats(st->pool, &pst);
	uint32_t fpl = (uint32_t)(pst.nframes / st->nlanes);
	uint32_t fsz = pp_pool_frame_size(st->pool);

	/* the limits, from the options or the kernel's defaults */
	err = pp__limits_init(&st->lim, opts, fpl, fsz);
	if (err)
		goto err_stack;
	/* a whole IPv4 packet plus Ethernet must fit one frame after the headroom */
	if ((uint32_t)st->mtu + 14 + PP_FRAME_COLOUR_MAX + PP_SKB_META + PP_SKB_HEADROOM >
	    pp_pool_frame_size(st->pool)) {
		err = -EINVAL;
		goto err_stack;
	}
	err = pp__nic_open(st->nic_spec, st->pool, st->ntxq, st->nlanes, st->mtu, &st->nic);
	if (err)
		goto err_stack;
	/* the backend's name (a few letters), then the modes it tells of ("" from
	 * one with no info op) */
	char nic_mode[sizeof(st->nic_info) - 16];

	(void)pp__nic_info(st->nic, nic_mode, sizeof(nic_mode));
	snprintf(st->nic_info, sizeof(st->nic_info), "%s %s", st->nic->ops->name, nic_mode);
	static const uint8_t zero[6], dflt[6] = {0x02, 0, 0, 0, 0, 0x01};

	if (memcmp(opts->mac, zero, 6))
		memcpy(st->mac, opts->mac, 6);
	else if (memcmp(st->nic->mac, zero, 6))
		memcpy(st->mac, st->nic->mac, 6);
	else
		memcpy(st->mac, dflt, 6);

	err = pp__route_table_create(&st->routes);
	if (err)
		goto err_stack;
	err = pp__route_add(st->routes, st->ip & st->mask, opts->prefix, 0, 0);
	if (err)
		goto err_stack;

	/* retrans, probes, reachable and failed times: the table's defaults */
	struct pp_neigh_params np = {
		.unres_qlen = st->lim.neigh_unres_qlen,
		.unres_qlen_bytes = st->lim.neigh_unres_qlen_bytes,
		.max_entries = st->lim.neigh_max,
		.gc_thresh1 = st->lim.neigh_gc_thresh1,
		.gc_thresh2 = st->lim.neigh_gc_thresh2,
		.ip = st->ip,
		.mask = st->mask,
		.frames_per_lane = fpl,
		.frame_size = fsz,
	};

	memcpy(np.mac, st->mac, 6);
	/* the NIC's RX filter (afxdp: the XDP program) must know which IPv4
	 * packets are ours; a NIC without one hands us every frame */
	err = pp__nic_set_addr(st->nic, st->ip);
	if (err && err != -EOPNOTSUPP)
		goto err_stack;
	err = pp__socks_init(st);
	if (err)
		goto err_stack;
	/* frames a socket sent give their send memory back when they come
	 * home, whoever frees them (cf. sock_wfree()) */
	pp__pool_set_wfree(st->pool, pp__sock_wfree);
	err = pp__neigh_table_create(&np, st->nlanes, &st->neigh);
	if (err)
		goto err_stack;
	/* the device layer: queues, rings, receive handlers */
	struct pp_dev_params dp = {
		.nic = st->nic,
		.nlanes = st->nlanes,
		.ntxq = st->ntxq,
		.split = st->placement == PP_PLACE_SPLIT,
		.timed = st->flags & PP_STACK_F_STAGE_TIMING,
		.mac = st->mac,
		.ring = st->lim.dev_ring,
		.txq = {
			.limit_pkts = st->lim.qdisc_limit,
			.burst = PP_BURST,
			.inline_reap = !(st->flags & PP_STACK_F_COMPLETION_THREADS),
		},
	};
	unsigned int cbase = st->nlanes + (st->placement == PP_PLACE_SPLIT ? st->nlanes : 0);

	for (uint16_t k = 0; k < st->nlanes; k++) {
		dp.lane_stats[k] = st->lanes[k].stats;
		dp.lane_cache[k] = pp_pool_cache(st->pool, k);
		if (st->placement == PP_PLACE_SPLIT)
			dp.worker_cache[k] = pp_pool_cache(st->pool, st->nlanes + k);
	}
	for (uint16_t q = 0; q < st->ntxq && (st->flags & PP_STACK_F_COMPLETION_THREADS); q++)
		dp.compl_cache[q] = pp_pool_cache(st->pool, cbase + q);
	err = pp__dev_init(&st->dev, &dp);
	if (err)
		goto err_stack;
	if ((err = pp__dev_add_pack(&st->dev, PP_ETH_P_IP, pp__ip_rcv_pack, st)) ||
	    (err = pp__dev_add_pack(&st->dev, PP_ETH_P_ARP, pp__arp_rcv_pack, st)))
		goto err_stack;
	/* the protocols above IPv4 (cf. inet_init() -> inet_add_protocol()) */
	if ((err = inet_add_protocol(st, &pp__udp_protocol)) ||
	    (err = inet_add_protocol(st, &pp__icmp_protocol)) ||
	    (err = inet_add_protocol(st, &pp__tcp_protocol)))
		goto err_stack;

	for (uint16_t k = 0; k < st->nlanes; k++) {
		struct pp_lane *l = &st->lanes[k];

		l->id = k;
		l->st = st;
		l->cache = pp_pool_cache(st->pool, k);
		l->rt = &st->rt.lanes[k];
		l->dev = &st->dev.lanes[k];
		pp__ip_idents_init(&l->ipid);
		pp__icmp_rl_init(&l->icmp_rl);
		err = pp__neigh_lane_create(st->neigh, k, &l->nl);
		if (err)
			goto err_stack;
		stage_init(&l->s_udp, l, PP_STAGE_UDP, l, l->cache);
		stage_init(&l->s_ip, l, PP_STAGE_IP, l, l->cache);
		stage_init(&l->s_neigh, l, PP_STAGE_NEIGH, l->nl, l->cache);
		stage_init(&l->s_rx, l, PP_STAGE_RX, l, l->cache);
		stage_init(&l->s_arp, l, PP_STAGE_ARP, l, l->cache);
		stage_init(&l->s_icmp, l, PP_STAGE_ICMP, l, l->cache);
		stage_init(&l->s_tcp, l, PP_STAGE_TCP, l, l->cache);
		/* what the wire can make the lane hold: shares of its frames
		 * (proto/defaults.h); reassembly as ipfrag_high_thresh within
		 * its share (st->lim) */
		l->rcv_mem_max = pp__hold_share(fpl, fsz, PP_HOLD_RCV_DIV);
		if ((err = pp__reasm_create(st->lim.reasm_max_bytes, st->lim.reasm_timeout_ns,
					    &l->reasm)))
			goto err_stack;
		/* what the runtime runs for this lane: receive, then resolution
		 * retries and staged sends, on the lane's thread; the TX queues
		 * where placement says; timers on the lane's wheel */
		if ((err = pp__rt_poller_add(&st->rt, k, PP_RT_FRONT, pp__dev_poll_rx, l->dev, "rx")) ||
		    (err = pp__rt_poller_add(&st->rt, k, PP_RT_FRONT, pp__inet_poll, l, "inet")) ||
		    (err = pp__rt_poller_add(&st->rt, k, PP_RT_FRONT, pp__tcp_poll, l, "tcp")) ||
		    (err = pp__rt_poller_add(&st->rt, k, PP_RT_BACK, pp__dev_poll_tx, l->dev, "tx")))
			goto err_stack;
		pp_timer_init(&l->t_reasm, reasm_timer);
		pp_timer_arm(&l->rt->timers, &l->t_reasm, pp__now_ns() + PP_REASM_TICK);
		if (k == 0) {
			pp_timer_init(&l->t_neigh, neigh_timer);
			pp_timer_arm(&l->rt->timers, &l->t_neigh, pp__now_ns() + PP_NEIGH_TICK);
		}
	}
	for (uint16_t q = 0; q < st->ntxq && (st->flags & PP_STACK_F_COMPLETION_THREADS); q++) {
		char name[16];

		snprintf(name, sizeof(name), "pp-cq/%u", q);
		if ((err = pp__rt_service_add(&st->rt, name, (uint16_t)(q % st->nlanes), pp__dev_reap,
					      &st->dev.txqs[q])))
			goto err_stack;
	}
	if (st->flags & PP_STACK_F_STAGE_TIMING)
		st->tsc_hz = calibrate_tsc();
	err = pp__rt_start(&st->rt);
	if (err)
		goto err_stack;
	*out = st;
	return 0;

err_free:
	pthread_mutex_destroy(&st->ctl_lock);
	free(st);
	return err;
err_stack:
	pp_stack_destroy(st);
	return err;
}

/*
 * Everything but freeing the pool: push what is queued out (bounded), stop
 * the runtime's threads, drop what is left with PP_DROP_SHUTDOWN, reap the
 * NIC, close it. After it, the pool's in_use is 0 unless something leaked
 * (tests check).
 */
void pp__stack_teardown(struct pp_stack *st)
{
	bool have_lanes = st->lanes[0].rt && st->nic && st->neigh && st->routes;

	if (have_lanes) {
		/* best effort: send what the lanes still hold (from this thread,
		 * since no lane thread runs any more) */
		pp__rcu_get();
		pp__lane_online();
		uint64_t deadline = pp__now_ns() + 200 * PP_NSEC_PER_MSEC;

		for (;;) {
			uint32_t moved = 0;

			for (uint16_t k = 0; k < st->nlanes; k++)
				if (st->lanes[k].rt)
					moved += pp__lane_run(&st->lanes[k]);
			rcu_quiescent_state();
			if (!moved || pp__now_ns() > deadline)
				break;
		}
		pp__lane_offline();
		pp__rcu_put();
	}
	pp__rt_stop(&st->rt);
	pp__dev_drain(&st->dev);
	for (uint16_t k = 0; k < st->nlanes; k++) {
		struct pp_lane *l = &st->lanes[k];

		if (!l->st)
			continue;
		for (uint16_t i = 0; i < l->nmore; i++)
			pp_stage_drop(&l->s_udp, l->more[i], PP_DROP_SHUTDOWN);
		l->nmore = 0;
		l->more_frames = 0;
		if (l->nl) {
			pp__neigh_lane_destroy(l->nl, &l->s_neigh);
			l->nl = NULL;
		}
		if (l->reasm) {
			pp__reasm_destroy(l->reasm, &l->s_rx);
			l->reasm = NULL;
		}
	}
	pp__socks_fini(st); /* datagrams nobody received go back to the pool */
	/* frames the NIC keeps out of tx_complete's sight (the wire: in the
	 * other end's receive path) come back to it now, for the drain below */
	pp__nic_stop(st->nic);
	pp__dev_fini(&st->dev);
	if (st->nic) {
		pp__nic_close(st->nic);
		st->nic = NULL;
	}
}

void pp_stack_destroy(struct pp_stack *st)
{
	if (!st)
		return;
	pp__stack_teardown(st);
	if (st->neigh)
		pp__neigh_table_destroy(st->neigh);
	if (st->routes)
		pp__route_table_destroy(st->routes);
	pp__sock_slabs_free(st); /* every frame is home: none names a socket */
	pp_pool_destroy(st->pool);
	pthread_mutex_destroy(&st->ctl_lock);
	free(st);
}

int pp_lane_attach(struct pp_stack *st, unsigned int lane)
{
	if (!st || lane >= st->nlanes)
		return -EINVAL;
	return pp__lane_enter(st, &st->lanes[lane]);
}

int pp_lane_detach(struct pp_stack *st, unsigned int lane)
{
	if (!st || lane >= st->nlanes)
		return -EINVAL;
	return pp__lane_leave(st, &st->lanes[lane]);
}

int pp_lane_poll(struct pp_stack *st, unsigned int lane)
{
	int err;

	if (!st || lane >= st->nlanes)
		return -EINVAL;
	err = pp__lane_enter(st, &st->lanes[lane]);
	if (err)
		return err;
	pp__lane_online();
	uint32_t n = pp__lane_run(&st->lanes[lane]);

	pp__lane_offline();
	return (int)n;
}

/* Nothing of this lane waits anywhere but in a neighbour's pending queue. */
static bool lane_idle(struct pp_stack *st, struct pp_lane *l)
{
	(void)st;
	return !l->nmore && pp__dev_lane_idle(l->dev);
}

int pp_lane_flush(struct pp_stack *st, unsigned int lane, unsigned int timeout_ms)
{
	int err;

	if (!st || lane >= st->nlanes)
		return -EINVAL;
	struct pp_lane *l = &st->lanes[lane];
	uint64_t deadline = pp__now_ns() + (uint64_t)timeout_ms * PP_NSEC_PER_MSEC;

	unsigned int step = PP_LANE_NAP_MIN_US;

	err = pp__lane_enter(st, l);
	if (err)
		return err;
	pp__lane_online();
	for (;;) {
		uint32_t moved = pp__lane_run(l);

		if (!moved && lane_idle(st, l)) {
			err = 0;
			break;
		}
		if (pp__now_ns() > deadline) {
			err = -ETIMEDOUT;
			break;
		}
		if (moved)
			step = PP_LANE_NAP_MIN_US;
		else
			pp__lane_nap(&step);
	}
	pp__lane_offline();
	return err;
}

/*
 * Control calls come from any thread: make it an RCU reader for the length
 * of the call (the tables' updaters look entries up under RCU and may wait
 * for a grace period, which QSBR handles for an online caller).
 */
static void ctl_enter(void)
{
	pp__rcu_get();
	pp__lane_online();
}

static void ctl_exit(void)
{
	pp__lane_offline();
	pp__rcu_put();
}

int pp_route_add(struct pp_stack *st, uint32_t prefix, uint8_t plen, uint32_t gw)
{
	int err;

	if (!st)
		return -EINVAL;
	ctl_enter();
	err = pp__route_add(st->routes, prefix, plen, gw, 0);
	ctl_exit();
	return err;
}

int pp_route_del(struct pp_stack *st, uint32_t prefix, uint8_t plen)
{
	int err;

	if (!st)
		return -EINVAL;
	ctl_enter();
	err = pp__route_del(st->routes, prefix, plen);
	ctl_exit();
	return err;
}

static bool mac_ok(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return mac && memcmp(mac, zero, 6) != 0 && !(mac[0] & 1); /* unicast */
}

int pp_neigh_add(struct pp_stack *st, uint32_t ip, const uint8_t mac[6])
{
	int err;

	if (!st || !ip || !mac_ok(mac))
		return -EINVAL;
	ctl_enter();
	err = pp__neigh_add_static(st->neigh, ip, mac);
	ctl_exit();
	return err;
}

int pp_neigh_update(struct pp_stack *st, uint32_t ip, const uint8_t mac[6])
{
	int err;

	if (!st || !ip || !mac_ok(mac))
		return -EINVAL;
	ctl_enter();
	err = pp__neigh_update(st->neigh, ip, mac, pp__now_ns());
	ctl_exit();
	return err;
}

int pp_neigh_del(struct pp_stack *st, uint32_t ip)
{
	int err;

	if (!st || !ip)
		return -EINVAL;
	ctl_enter();
	err = pp__neigh_del(st->neigh, ip);
	ctl_exit();
	return err;
}

int pp_xps_set(struct pp_stack *st, unsigned int lane, int queue)
{
	if (!st || lane >= st->nlanes || queue < -1 || queue >= st->ntxq)
		return -EINVAL;
	return pp__qsel_set_xps(&st->dev.qsel, (uint16_t)lane, queue);
}

const char *pp_stack_nic_info(const struct pp_stack *st)
{
	return st ? st->nic_info : "";
}

int pp_stack_mac(const struct pp_stack *st, uint8_t mac[6])
{
	if (!st || !mac)
		return -EINVAL;
	memcpy(mac, st->mac, 6);
	return 0;
}

int pp__stack_stats_snapshot(struct pp_stack *st, struct pp_stack_stats *out)
{
	struct pp_pool_stats ps;
	struct pp_nic_stats ns;

	if (!st || !out || ((uintptr_t)out & (PP_CACHE_LINE - 1)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->nlanes = st->nlanes;
	out->ntxq = st->ntxq;
	for (uint16_t k = 0; k < st->nlanes; k++) {
		for (unsigned int s = 0; s < PP_STAGE_MAX; s++) {
			pp_stage_stats_add(&out->lane_stage[k][s], &st->lanes[k].stats[s]);
			pp_stage_stats_add(&out->stage[s], &st->lanes[k].stats[s]);
		}
	}
	if (st->tsc_hz) {
		out->tsc_hz = st->tsc_hz;
		/* the ns fields hold TSC ticks until here */
		for (unsigned int s = 0; s < PP_STAGE_MAX; s++) {
			out->stage[s].ns = (uint64_t)((double)out->stage[s].ns * 1e9 / (double)st->tsc_hz);
			for (uint16_t k = 0; k < st->nlanes; k++)
				out->lane_stage[k][s].ns = (uint64_t)((double)out->lane_stage[k][s].ns *
								      1e9 / (double)st->tsc_hz);
		}
	}
	pp_pool_stats(st->pool, &ps);
	out->pool_nframes = ps.nframes;
	out->pool_allocs = ps.allocs;
	out->pool_frees = ps.frees;
	out->pool_in_use = ps.in_use;
	out->pool_alloc_fail = ps.alloc_fail;
	out->pool_bad_free = ps.bad_free;
	if (st->nic) {
		pp__nic_stats(st->nic, &ns);
		out->nic_tx_packets = ns.tx_packets;
		out->nic_tx_bytes = ns.tx_bytes;
		out->nic_tx_completed = ns.tx_completed;
		out->nic_tx_kicks = ns.tx_kicks;
		out->nic_rx_packets = ns.rx_packets;
		/* the driver and completion rows come from the NIC's counters */
		out->stage[PP_STAGE_TX].packets = ns.tx_packets;
		out->stage[PP_STAGE_TX].bytes = ns.tx_bytes;
		out->stage[PP_STAGE_COMPLETION].packets = ns.tx_completed;
	}
	struct pp_txq_stats ts;

	pp__dev_stats(&st->dev, &ts, &out->compl_reaped);
	out->qdisc_bypass = ts.bypassed;
	out->qdisc_backlog = ts.qlen;
	for (uint16_t i = 0; i < st->rt.nsvc; i++)
		out->compl_sleeps += PP_STAT_READ(st->rt.svc[i].sleeps);
	pp__tcp_mib_sum(st, &out->tcp);
	return 0;
}
