// SPDX-License-Identifier: MIT
/*
 * lane.c - the stage runtime: how a lane's stages are run, on which threads.
 *
 * A lane is the chain   r_ip -> [ip -> neigh] -> r_qsel -> [qsel] -> r_txq[q]
 * -> [qdisc+tx of q]. Rings sit where threads may split the chain; the two
 * halves of [ip -> neigh] always run together, so they pass their burst in an
 * array (VPP-style: each stage takes the whole burst before the next runs).
 *
 * Placement (cf. the kernel running the whole transmit path in the sender's
 * context, and NET_TX softirq taking over when the queue is busy):
 *  - RTC: the lane's own thread runs everything; a ring the next stage would
 *    read from is bypassed when it is empty (it keeps order and costs
 *    nothing), so the common case never touches r_qsel or r_txq.
 *  - SPLIT: the lane thread runs ip/neigh and fills r_qsel; a worker thread
 *    per lane, pinned next to it, runs qsel and the TX queues it drives, and
 *    backs off (pause, then sleep) when idle.
 *
 * Backpressure instead of loss: a stage is offered no more than the next ring
 * has room for; what the NIC cannot take waits in the qdisc.
 */
#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "core/time.h"
#include "proto/rx.h"
#include "proto/stack_priv.h"


#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
uint64_t pp__tsc(void)
{
	return __rdtsc();
}
#else
uint64_t pp__tsc(void)
{
	return pp__now_ns();
}
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * Run one stage on a burst, timing it when asked. Stages count their own
 * input (pp_stage_count_in): only they know what they were handed. The lane
 * knows which function each of its stages is, so it names it (@fn must be
 * s->fn): a direct call the compiler can inline across files with LTO,
 * where s->fn would stay an indirect call.
 */
static inline uint16_t run_stage_fn(struct pp_stack *st, struct pp_stage *s, pp_stage_fn fn,
				    struct pp_skb **in, uint16_t n, struct pp_skb **out)
{
	uint16_t r;

	if (!n)
		return 0;
	if (PP_UNLIKELY(st->flags & PP_STACK_F_STAGE_TIMING)) {
		uint64_t t0 = pp__tsc();

		r = fn(s, in, n, out);
		PP_STAT_ADD(s->stats->ns, pp__tsc() - t0);
		return r;
	}
	return fn(s, in, n, out);
}

#define run_stage(st, s, in, n, out) run_stage_fn(st, s, (s)->fn, in, n, out)

/* Drive TX queue slot @q with a burst (possibly empty: just run the qdisc). */
static uint32_t txq_input(struct pp_stack *st, struct pp_txq_slot *t, struct pp_skb **pkts,
			  uint16_t n)
{
	struct pp_skb *none[1];

	if (n)
		run_stage_fn(st, &t->s_qdisc, pp__txq_xmit, pkts, n, none);
	return n;
}

/* Pull every lane's ring into TX queue @q and run its qdisc. */
static uint32_t txq_poll(struct pp_stack *st, uint16_t q)
{
	struct pp_txq_slot *t = &st->txqs[q];
	struct pp_skb *burst[PP_BURST];
	uint32_t moved = 0;

	for (uint16_t j = 0; j < st->nlanes; j++) {
		struct pp_ring *r = st->lanes[j].r_txq[q];
		uint32_t n = pp_ring_dequeue_burst(r, (void **)burst, PP_BURST);

		if (n) {
			PP_STAT_ADD(t->s_qdisc.stats->ring_occ, pp_ring_count(r) + n);
			moved += txq_input(st, t, burst, (uint16_t)n);
		}
	}
	moved += pp__txq_run(t->txq, &t->s_qdisc);
	return moved;
}

/* Queue selection and hand-off to the TX queues (rtc: drive our own). */
static void lane_back(struct pp_lane *l, struct pp_stage *qs, struct pp_skb **pkts, uint16_t n,
		      bool drive)
{
	struct pp_stack *st = l->st;
	struct pp_skb *sel[PP_STAGE_OUT_CAP];
	uint16_t m = run_stage_fn(st, qs, pp__qsel_stage, pkts, n, sel);
	uint16_t i = 0;

	/* Runs of the same queue keep their order and go as one burst. */
	while (i < m) {
		uint16_t q = sel[i]->queue, j = (uint16_t)(i + 1);

		while (j < m && sel[j]->queue == q)
			j++;
		uint16_t cnt = (uint16_t)(j - i);
		struct pp_ring *r = l->r_txq[q];

		if (drive && (q % st->nlanes) == l->id && pp_ring_empty(r)) {
			txq_input(st, &st->txqs[q], &sel[i], cnt); /* ring bypass */
		} else {
			uint32_t ok = pp_ring_enqueue_burst(r, (void *const *)&sel[i], cnt);

			for (uint32_t k = ok; k < cnt; k++)
				pp_stage_drop(qs, sel[i + k], PP_DROP_RING_FULL);
		}
		i = j;
	}
}

/* The front of the lane: transport ring -> ip -> neigh (+ neighbour timers). */
static uint32_t lane_front(struct pp_lane *l, bool rtc)
{
	struct pp_stack *st = l->st;
	struct pp_skb *in[PP_BURST];
	struct pp_skb *a[PP_STAGE_OUT_CAP], *b[PP_STAGE_OUT_CAP];
	uint32_t limit = PP_BURST;
	uint32_t n;
	uint16_t na, nb;

	if (!rtc) {
		/* leave room for the ARP requests neigh may add */
		uint32_t room = pp_ring_free_count(l->r_qsel);

		limit = room > PP_BURST * 2 ? PP_BURST : (room > PP_BURST ? room - PP_BURST : 0);
	}
	n = limit ? pp_ring_dequeue_burst(l->r_ip, (void **)in, limit) : 0;
	if (n)
		PP_STAT_ADD(l->s_ip.stats->ring_occ, pp_ring_count(l->r_ip) + n);
	na = run_stage_fn(st, &l->s_ip, pp__ip_output, in, (uint16_t)n, a);
	nb = run_stage_fn(st, &l->s_neigh, pp__neigh_output, a, na, b);
	if (!pp__neigh_lane_idle(l->nl))
		nb = (uint16_t)(nb + pp__neigh_poll(&l->s_neigh, pp__now_ns(), b + nb,
						    (uint16_t)(PP_STAGE_OUT_CAP - nb)));
	/* lane 0 ages the neighbour table about once a second (cf. the
	 * neighbour GC timer); checking the clock every 4096 runs is free */
	if (PP_UNLIKELY(l->id == 0 && (++l->tick_runs & 4095) == 0)) {
		uint64_t now = pp__now_ns();

		if (now - l->tick_last >= PP_NSEC_PER_SEC) {
			l->tick_last = now;
			pp__neigh_tick(st->neigh, now);
		}
	}
	if (!nb)
		return n;
	if (rtc) {
		lane_back(l, &l->s_qsel, b, nb, true);
	} else {
		uint32_t ok = pp_ring_enqueue_burst(l->r_qsel, (void *const *)b, nb);

		for (uint32_t k = ok; k < nb; k++)
			pp_stage_drop(&l->s_neigh, b[k], PP_DROP_RING_FULL);
	}
	return n + nb;
}

/* Worker side of a split lane: qsel + the TX queues this lane drives. */
static uint32_t lane_worker_once(struct pp_lane *l)
{
	struct pp_stack *st = l->st;
	struct pp_skb *in[PP_BURST];
	uint32_t moved = 0;
	uint32_t n = pp_ring_dequeue_burst(l->r_qsel, (void **)in, PP_BURST);

	if (n) {
		PP_STAT_ADD(l->s_qsel.stats->ring_occ, pp_ring_count(l->r_qsel) + n);
		lane_back(l, &l->s_qsel, in, (uint16_t)n, false);
		moved += n;
	}
	for (uint16_t q = l->id; q < st->ntxq; q = (uint16_t)(q + st->nlanes))
		moved += txq_poll(st, q);
	return moved;
}

/*
 * Receive (cf. NAPI poll of the RX queue): the lane polls the NIC's RX queue
 * of its own id. Replies built at L3 (ICMP) join the transmit path at the ip
 * stage through r_ip; complete frames (ARP replies) join it after neigh.
 */
static uint32_t lane_rx_queue(struct pp_lane *l, uint16_t q, bool rtc)
{
	struct pp_stack *st = l->st;
	struct pp_skb *pkts[PP_BURST], *l3[PP_BURST * 2], *l2[PP_BURST * 2];
	struct pp_rx_out o = {.l3 = l3, .l2 = l2, .cap = PP_BURST * 2};
	uint16_t n;

	n = st->nic->ops->rx_burst(st->nic, q, l->cache, pkts, PP_BURST);
	if (!n)
		return 0;
	run_stage_fn(st, &l->s_rx, l->s_rx.fn, pkts, n, (struct pp_skb **)&o);
	if (o.n_l3) {
		uint32_t ok = pp_ring_enqueue_burst(l->r_ip, (void *const *)l3, o.n_l3);

		for (uint32_t k = ok; k < o.n_l3; k++)
			pp_stage_drop(&l->s_rx, l3[k], PP_DROP_RING_FULL);
	}
	if (o.n_l2) {
		if (rtc) {
			lane_back(l, &l->s_qsel, l2, o.n_l2, true);
		} else {
			uint32_t ok = pp_ring_enqueue_burst(l->r_qsel, (void *const *)l2, o.n_l2);

			for (uint32_t k = ok; k < o.n_l2; k++)
				pp_stage_drop(&l->s_rx, l2[k], PP_DROP_RING_FULL);
		}
	}
	return n;
}

/* A device may have more RX queues than the stack has lanes: lane k polls
 * queues k, k + nlanes, ... (what the NIC steers there is ours too). */
static uint32_t lane_rx(struct pp_lane *l, bool rtc)
{
	struct pp_stack *st = l->st;
	uint32_t n = 0;

	if (PP_UNLIKELY(!st->nic || !st->nic->ops->rx_burst))
		return 0;
	if (PP_UNLIKELY(l->reasm && (++l->rx_ticks & 1023) == 0))
		pp__reasm_tick(l->reasm, &l->s_rx, pp__now_ns());
	for (uint16_t q = l->id; q < st->nic->nrxq; q = (uint16_t)(q + st->nlanes))
		n += lane_rx_queue(l, q, rtc);
	return n;
}

uint32_t pp__lane_run(struct pp_lane *l)
{
	struct pp_stack *st = l->st;
	uint32_t moved;

	if (st->placement == PP_PLACE_SPLIT)
		return lane_rx(l, false) + lane_front(l, false);
	moved = lane_rx(l, true);
	moved += lane_front(l, true);
	for (uint16_t q = l->id; q < st->ntxq; q = (uint16_t)(q + st->nlanes))
		moved += txq_poll(st, q);
	return moved;
}

/* ---- placement ---------------------------------------------------------- */

static hwloc_topology_t topo;
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static int topo_ok;

static void topo_init(void)
{
	if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0)
		topo_ok = 1;
}

/* The @k-th core's first PU, wrapping around the machine. */
static int core_pu(unsigned int k)
{
	pthread_once(&topo_once, topo_init);
	if (!topo_ok)
		return -1;
	int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	hwloc_obj_type_t type = HWLOC_OBJ_CORE;

	if (ncores <= 0) {
		type = HWLOC_OBJ_PU;
		ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
		if (ncores <= 0)
			return -1;
	}
	hwloc_obj_t core = hwloc_get_obj_by_type(topo, type, k % (unsigned int)ncores);

	if (!core || !core->cpuset)
		return -1;
	return hwloc_bitmap_first(core->cpuset);
}

/* Bind the calling thread to @cpu with hwloc (memory follows first touch). */
static int bind_self(int cpu)
{
	if (cpu < 0)
		return 0;
	pthread_once(&topo_once, topo_init);
	if (!topo_ok)
		return -ENOSYS;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();

	if (!set)
		return -ENOMEM;
	hwloc_bitmap_only(set, (unsigned int)cpu);
	int err = hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD);

	hwloc_bitmap_free(set);
	return err ? -errno : 0;
}

/* Adjacent cores in hwloc's order share the closest cache, so a split lane
 * puts its worker on the core after the lane's. */
static void plan_cpus(struct pp_stack *st)
{
	unsigned int per_lane = st->placement == PP_PLACE_SPLIT ? 2 : 1;

	for (uint16_t k = 0; k < st->nlanes; k++) {
		struct pp_lane *l = &st->lanes[k];

		if (st->flags & PP_STACK_F_NO_PIN) {
			l->cpu = l->worker_cpu = -1;
		} else if (st->opts.ncpus) {
			l->cpu = st->opts.cpus[(k * per_lane) % st->opts.ncpus];
			l->worker_cpu = st->opts.cpus[(k * per_lane + 1) % st->opts.ncpus];
		} else {
			l->cpu = core_pu(k * per_lane);
			l->worker_cpu = core_pu(k * per_lane + 1);
		}
	}
}

static void *worker_main(void *arg)
{
	struct pp_lane *l = arg;
	char name[16];
	unsigned int idle = 0;

	snprintf(name, sizeof(name), "pp-tx/%u", l->id);
	pthread_setname_np(pthread_self(), name);
	bind_self(l->worker_cpu);
	rcu_register_thread();
	while (!atomic_load_explicit(&l->stop, memory_order_acquire)) {
		uint32_t moved = lane_worker_once(l);

		rcu_quiescent_state();
		if (moved) {
			idle = 0;
			continue;
		}
		/* Adapt: poll while there is work, pause briefly, then sleep
		 * in growing steps so an idle worker does not eat a core. */
		if (++idle < 256) {
			cpu_relax();
		} else {
			struct timespec ts = {0, idle < 4096 ? 20000 : 200000};

			rcu_thread_offline();
			nanosleep(&ts, NULL);
			rcu_thread_online();
		}
	}
	/* last pass: whatever is still in the rings goes to the queues */
	while (lane_worker_once(l))
		;
	rcu_unregister_thread();
	return NULL;
}

/*
 * Completion thread of one TX queue (cf. NAPI TX cleanup in a driver's poll):
 * reap in budgeted batches while there is work, then pause, then sleep in
 * growing steps, so an idle queue costs almost nothing and a busy one is
 * reaped without delay. On veth in copy mode the kernel completes frames
 * inside the sending thread's kick, so there is often nothing to wait for:
 * the back-off keeps this thread from stealing that core.
 */
static void *compl_main(void *arg)
{
	struct pp_txq_slot *t = arg;
	char name[16];
	unsigned int idle = 0;

	snprintf(name, sizeof(name), "pp-cq/%u", t->id);
	pthread_setname_np(pthread_self(), name);
	bind_self(t->ccpu);
	while (!atomic_load_explicit(&t->cstop, memory_order_acquire)) {
		uint32_t n = pp__txq_reap(t->txq, t->ccache, 256);

		if (n) {
			PP_STAT_ADD(t->reaped, n);
			idle = 0;
			continue;
		}
		if (++idle < 64) {
			cpu_relax();
			continue;
		}
		struct timespec ts = {0, idle < 1024 ? 10000 : 100000};

		PP_STAT_ADD(t->sleeps, 1);
		nanosleep(&ts, NULL);
	}
	/* last reap: nothing the NIC finished stays behind */
	while (pp__txq_reap(t->txq, t->ccache, 256))
		;
	return NULL;
}

int pp__lanes_start(struct pp_stack *st)
{
	plan_cpus(st);
	if (st->flags & PP_STACK_F_COMPLETION_THREADS) {
		for (uint16_t q = 0; q < st->ntxq; q++) {
			struct pp_txq_slot *t = &st->txqs[q];
			int err;

			/* next to the queue's driver: the core after its lane's */
			t->ccpu = (st->flags & PP_STACK_F_NO_PIN) ? -1
				  : core_pu(q % st->nlanes + 1);
			atomic_store(&t->cstop, false);
			err = pthread_create(&t->cthr, NULL, compl_main, t);
			if (err) {
				pp__lanes_stop(st);
				return -err;
			}
			t->crunning = true;
		}
	}
	if (st->placement != PP_PLACE_SPLIT)
		return 0;
	for (uint16_t k = 0; k < st->nlanes; k++) {
		struct pp_lane *l = &st->lanes[k];
		int err;

		atomic_store(&l->stop, false);
		err = pthread_create(&l->worker, NULL, worker_main, l);
		if (err) {
			pp__lanes_stop(st);
			return -err;
		}
		l->worker_running = true;
	}
	return 0;
}

void pp__lanes_stop(struct pp_stack *st)
{
	for (uint16_t q = 0; q < st->ntxq; q++) {
		struct pp_txq_slot *t = &st->txqs[q];

		if (!t->crunning)
			continue;
		atomic_store_explicit(&t->cstop, true, memory_order_release);
		pthread_join(t->cthr, NULL);
		t->crunning = false;
	}
	for (uint16_t k = 0; k < st->nlanes; k++) {
		struct pp_lane *l = &st->lanes[k];

		if (!l->worker_running)
			continue;
		atomic_store_explicit(&l->stop, true, memory_order_release);
		pthread_join(l->worker, NULL);
		l->worker_running = false;
	}
}

/* RCU registrations of this thread (it may run several lanes). */
static _Thread_local unsigned int tl_rcu_refs;

/* Register the calling thread as an RCU reader (offline) once, counted. */
void pp__rcu_get(void)
{
	if (tl_rcu_refs++ == 0) {
		rcu_register_thread();
		rcu_thread_offline();
	}
}

void pp__rcu_put(void)
{
	if (tl_rcu_refs && --tl_rcu_refs == 0) {
		rcu_thread_online();
		rcu_unregister_thread();
	}
}

/*
 * Make the calling thread lane @l's thread: RCU registration (kept offline
 * between pktpipe calls, see pp__lane_online) and pinning.
 */
int pp__lane_enter(struct pp_stack *st, struct pp_lane *l)
{
	int expected = 0;

	(void)st;
	if (atomic_load_explicit(&l->attached, memory_order_acquire) &&
	    pthread_equal(l->owner, pthread_self()))
		return 0;
	if (!atomic_compare_exchange_strong(&l->attached, &expected, 1))
		return -EBUSY;
	l->owner = pthread_self();
	pp__rcu_get();
	l->rcu_registered = true;
	bind_self(l->cpu);
	return 0;
}

int pp__lane_leave(struct pp_stack *st, struct pp_lane *l)
{
	(void)st;
	if (!atomic_load_explicit(&l->attached, memory_order_acquire) ||
	    !pthread_equal(l->owner, pthread_self()))
		return -EINVAL;
	l->rcu_registered = false;
	pp__rcu_put();
	atomic_store_explicit(&l->attached, 0, memory_order_release);
	return 0;
}

/*
 * Lane threads are registered QSBR readers that stay offline outside pktpipe
 * calls, so a server thread blocked in its own code never stalls a route or
 * neighbour update (synchronize_rcu waits only for online readers).
 */
static _Thread_local unsigned int tl_online;

/* Nested calls (a send that autobinds, a close that runs the lane) keep the
 * thread online until the outermost one leaves. */
void pp__lane_online(void)
{
	if (tl_online++ == 0)
		rcu_thread_online();
}

void pp__lane_offline(void)
{
	if (tl_online && --tl_online == 0)
		rcu_thread_offline();
}

/*
 * A lane thread with nothing to do waits: offline for RCU (a writer need not
 * wait for it), asleep for *@step_us, which grows up to 1 ms so a long wait
 * costs almost nothing and a short one little.
 */
void pp__lane_nap(unsigned int *step_us)
{
	struct timespec ts = {0, (long)*step_us * 1000};

	pp__lane_offline();
	nanosleep(&ts, NULL);
	pp__lane_online();
	if (*step_us < 1000)
		*step_us *= 2;
}
