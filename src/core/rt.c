// SPDX-License-Identifier: MIT
/*
 * rt.c - the lane runtime: threads, placement, RCU glue, naps, timers.
 *
 * It runs what it was given (rt.h): per lane, front pollers on the lane's
 * thread, back pollers there too (run to completion) or on a worker thread
 * pinned next to it (split), and the lane's timer wheel; plus service threads
 * (completion). It includes nothing from src/proto or src/nic: protocols and
 * devices register their work, the runtime decides only who runs it and when
 * (cf. the kernel's split between softirq/NAPI scheduling in net/core/dev.c
 * and the protocol handlers it calls through function pointers).
 */
#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <urcu-qsbr.h>

#include <pktpipe/stats.h>

#include "core/rt.h"
#include "core/time.h"

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

/* ---- registration --------------------------------------------------------- */

int pp__rt_init(struct pp_rt *rt, uint16_t nlanes, enum pp_rt_placement placement, bool no_pin,
		const int *cpus, uint16_t ncpus)
{
	if (!rt || !nlanes || nlanes > PP_RT_LANES_MAX || placement > PP_RT_SPLIT ||
	    (ncpus && !cpus))
		return -EINVAL;
	memset(rt, 0, sizeof(*rt));
	rt->nlanes = nlanes;
	rt->placement = (uint8_t)placement;
	rt->no_pin = no_pin;
	rt->cpus = cpus;
	rt->ncpus = ncpus;
	for (uint16_t k = 0; k < nlanes; k++) {
		struct pp_rt_lane *l = &rt->lanes[k];

		l->id = k;
		l->rt = rt;
		l->cpu = l->worker_cpu = -1;
		pp_timer_wheel_init(&l->timers, pp__now_ns());
	}
	return 0;
}

int pp__rt_poller_add(struct pp_rt *rt, uint16_t lane, enum pp_rt_side side, pp_rt_poll_fn fn,
		      void *arg, const char *name)
{
	if (!rt || lane >= rt->nlanes || side > PP_RT_BACK || !fn)
		return -EINVAL;
	struct pp_rt_lane *l = &rt->lanes[lane];

	if (l->npoll[side] >= PP_RT_POLLERS_MAX)
		return -ENOSPC;
	l->poll[side][l->npoll[side]++] = (struct pp_rt_poller){.fn = fn, .arg = arg, .name = name};
	return 0;
}

int pp__rt_service_add(struct pp_rt *rt, const char *name, uint16_t near_lane, pp_rt_poll_fn fn,
		       void *arg)
{
	if (!rt || !name || !fn || near_lane >= rt->nlanes)
		return -EINVAL;
	if (rt->nsvc >= PP_RT_SERVICES_MAX)
		return -ENOSPC;
	struct pp_rt_service *s = &rt->svc[rt->nsvc++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->fn = fn;
	s->arg = arg;
	s->core = near_lane + 1u; /* the core after its lane's */
	return 0;
}

/* ---- running a lane -------------------------------------------------------- */

static inline uint32_t run_side(struct pp_rt_lane *l, enum pp_rt_side side)
{
	uint32_t moved = 0;

	for (uint8_t i = 0; i < l->npoll[side]; i++)
		moved += l->poll[side][i].fn(l->poll[side][i].arg);
	return moved;
}

/*
 * Timers look at the clock when the lane was idle or every 64 busy runs (a
 * run is a burst, so about every 2,000 packets): a busy lane does not pay a
 * clock read per burst, and no timer is late by more than that.
 */
#define RT_TIMER_RUNS 63u

static inline uint32_t lane_run(struct pp_rt_lane *l, bool busy)
{
	uint32_t moved = run_side(l, PP_RT_FRONT);

	if (l->rt->placement == PP_RT_RTC)
		moved += run_side(l, PP_RT_BACK);
	if ((!moved && !busy) || (++l->runs & RT_TIMER_RUNS) == 0) {
		int fired = pp_timer_wheel_run(&l->timers, pp__now_ns());

		if (fired > 0)
			moved += (uint32_t)fired;
	}
	return moved;
}

uint32_t pp__rt_lane_run(struct pp_rt_lane *l)
{
	return lane_run(l, false);
}

uint32_t pp__rt_lane_run_busy(struct pp_rt_lane *l)
{
	return lane_run(l, true);
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
static void plan_cpus(struct pp_rt *rt)
{
	unsigned int per_lane = rt->placement == PP_RT_SPLIT ? 2 : 1;

	for (uint16_t k = 0; k < rt->nlanes; k++) {
		struct pp_rt_lane *l = &rt->lanes[k];

		if (rt->no_pin) {
			l->cpu = l->worker_cpu = -1;
		} else if (rt->ncpus) {
			l->cpu = rt->cpus[(k * per_lane) % rt->ncpus];
			l->worker_cpu = rt->cpus[(k * per_lane + 1) % rt->ncpus];
		} else {
			l->cpu = core_pu(k * per_lane);
			l->worker_cpu = core_pu(k * per_lane + 1);
		}
	}
	for (uint16_t i = 0; i < rt->nsvc; i++)
		rt->svc[i].cpu = rt->no_pin ? -1 : core_pu(rt->svc[i].core);
}

static void *worker_main(void *arg)
{
	struct pp_rt_lane *l = arg;
	char name[16];
	unsigned int idle = 0;

	snprintf(name, sizeof(name), "pp-tx/%u", l->id);
	pthread_setname_np(pthread_self(), name);
	bind_self(l->worker_cpu);
	rcu_register_thread();
	while (!atomic_load_explicit(&l->stop, memory_order_acquire)) {
		uint32_t moved = run_side(l, PP_RT_BACK);

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
	while (run_side(l, PP_RT_BACK))
		;
	rcu_unregister_thread();
	return NULL;
}

/*
 * A service thread (the completion thread of a TX queue, cf. NAPI TX cleanup
 * in a driver's poll): poll while there is work, then pause, then sleep in
 * growing steps, so an idle one costs almost nothing and a busy one is served
 * without delay. On veth in copy mode the kernel completes frames inside the
 * sending thread's kick, so there is often nothing to wait for: the back-off
 * keeps this thread from stealing that core.
 */
/* How long a service thread keeps polling after its last work before it
 * naps. Measured on veth and the null NIC (2 cores): 50 us of polling kept
 * the null journey's completion fed (14 Mpps) but took the second core from
 * the kernel's veth work in copy mode (AF_XDP 1.9 -> 1.3 Mpps); 3 us with
 * naps that really last 10 us (timer slack 1 us) serves both. */
#define PP_RT_SVC_SPIN_NS 3000u
/* Pauses between two empty polls while it spins: each poll reads the
 * producer index of a ring another core (or the kernel) writes, and
 * polling back to back would take that line away from the writer. */
#define PP_RT_SVC_SPIN_PAUSES 32

static void *service_main(void *arg)
{
	struct pp_rt_service *s = arg;
	unsigned int naps = 0;
	uint64_t idle_since = 0;

	pthread_setname_np(pthread_self(), s->name);
	bind_self(s->cpu);
	/* its naps are short on purpose: the default timer slack (50 us)
	 * would make a 10 us nap 60 */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
		if (s->fn(s->arg)) {
			idle_since = 0;
			naps = 0;
			continue;
		}
		/* the real clock: the fake one of tests does not move by itself */
		uint64_t now = pp__mono_ns();

		if (!idle_since)
			idle_since = now;
		if (now - idle_since < PP_RT_SVC_SPIN_NS) {
			for (unsigned int i = 0; i < PP_RT_SVC_SPIN_PAUSES; i++)
				cpu_relax();
			continue;
		}
		struct timespec ts = {0, ++naps < 1024 ? 10000 : 100000};

		PP_STAT_ADD(s->sleeps, 1);
		nanosleep(&ts, NULL);
	}
	/* last pass: nothing it would have done stays behind */
	while (s->fn(s->arg))
		;
	return NULL;
}

int pp__rt_start(struct pp_rt *rt)
{
	plan_cpus(rt);
	for (uint16_t i = 0; i < rt->nsvc; i++) {
		struct pp_rt_service *s = &rt->svc[i];
		int err;

		atomic_store(&s->stop, false);
		err = pthread_create(&s->thr, NULL, service_main, s);
		if (err) {
			pp__rt_stop(rt);
			return -err;
		}
		s->running = true;
	}
	if (rt->placement != PP_RT_SPLIT)
		return 0;
	for (uint16_t k = 0; k < rt->nlanes; k++) {
		struct pp_rt_lane *l = &rt->lanes[k];
		int err;

		atomic_store(&l->stop, false);
		err = pthread_create(&l->worker, NULL, worker_main, l);
		if (err) {
			pp__rt_stop(rt);
			return -err;
		}
		l->worker_running = true;
	}
	return 0;
}

void pp__rt_stop(struct pp_rt *rt)
{
	for (uint16_t i = 0; i < rt->nsvc; i++) {
		struct pp_rt_service *s = &rt->svc[i];

		if (!s->running)
			continue;
		atomic_store_explicit(&s->stop, true, memory_order_release);
		pthread_join(s->thr, NULL);
		s->running = false;
	}
	for (uint16_t k = 0; k < rt->nlanes; k++) {
		struct pp_rt_lane *l = &rt->lanes[k];

		if (!l->worker_running)
			continue;
		atomic_store_explicit(&l->stop, true, memory_order_release);
		pthread_join(l->worker, NULL);
		l->worker_running = false;
	}
	for (uint16_t k = 0; k < rt->nlanes; k++)
		pp_timer_wheel_fini(&rt->lanes[k].timers);
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
int pp__rt_lane_enter(struct pp_rt_lane *l)
{
	int expected = 0;

	if (atomic_load_explicit(&l->attached, memory_order_acquire) &&
	    pthread_equal(l->owner, pthread_self()))
		return 0;
	if (!atomic_compare_exchange_strong(&l->attached, &expected, 1))
		return -EBUSY;
	l->owner = pthread_self();
	pp__rcu_get();
	bind_self(l->cpu);
	return 0;
}

bool pp__rt_lane_mine(const struct pp_rt_lane *l)
{
	return atomic_load_explicit(&l->attached, memory_order_acquire) &&
	       pthread_equal(l->owner, pthread_self());
}

int pp__rt_lane_leave(struct pp_rt_lane *l)
{
	if (!pp__rt_lane_mine(l))
		return -EINVAL;
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
