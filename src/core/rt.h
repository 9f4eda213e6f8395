/* SPDX-License-Identifier: MIT */
/*
 * rt.h (internal) - the lane runtime: which threads run what, and when.
 *
 * The runtime knows no protocol and no device. Whoever builds a stack hands
 * it, per lane, the work to do as pollers:
 *
 *   front pollers  run on the lane's own thread (the server thread that calls
 *                  pp_lane_poll() and the socket calls of that lane): receive,
 *                  neighbour resolution, anything a sender's context feeds;
 *   back pollers   run where placement says: on the lane's thread right after
 *                  the front ones (PP_PLACE_RTC, cf. the kernel transmitting
 *                  in the sender's context), or on a worker thread of the
 *                  lane ("pp-tx/<lane>", PP_PLACE_SPLIT, cf. NET_TX softirq
 *                  on another CPU) pinned next to it;
 *   timers         one wheel per lane (core/timer.h), run on the lane's
 *                  thread after its pollers;
 *   services       threads of their own with an adaptive back-off (poll
 *                  while there is work, pause, then sleep in growing steps):
 *                  the completion threads of the TX queues.
 *
 * A poller returns how much work it did; 0 everywhere makes a waiting caller
 * nap (pp__lane_nap()). Pollers are called through what was registered, in
 * registration order; the hot work inside them runs bursts, so one indirect
 * call per poller and run is all the indirection costs.
 *
 * RCU: lane threads are urcu-qsbr readers that stay offline outside pktpipe
 * calls (pp__lane_online/offline), worker threads are online except asleep.
 *
 * Concurrency:
 *
 *   call                        | thread
 *   ----------------------------+-----------------------------------------
 *   pp__rt_init, _poller_add,   | control path, before pp__rt_start
 *   _service_add, _lane_timers  |
 *   pp__rt_start, pp__rt_stop   | control path
 *   pp__rt_lane_run             | the lane's thread (attached), online
 *   pp__rt_lane_enter / _leave  | the thread becoming / leaving the lane's
 */
#ifndef PP_CORE_RT_H
#define PP_CORE_RT_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <pktpipe/common.h>

#include "core/timer.h"

/* Lanes a runtime may have (pktpipe/stack.h's PP_LANES_MAX is the same). */
#define PP_RT_LANES_MAX 32
/* Pollers per lane and side. */
#define PP_RT_POLLERS_MAX 8
/* Service threads per runtime (one per TX queue at most). */
#define PP_RT_SERVICES_MAX 32

enum pp_rt_placement {
	PP_RT_RTC = 0,		/* everything on the lane's thread */
	PP_RT_SPLIT = 1,	/* back pollers on a worker thread per lane */
};

enum pp_rt_side {
	PP_RT_FRONT = 0,
	PP_RT_BACK = 1,
};

/* One unit of work: returns how much it did (packets moved), 0 if idle. */
typedef uint32_t (*pp_rt_poll_fn)(void *arg);

struct pp_rt_poller {
	pp_rt_poll_fn fn;	/* const after init */
	void *arg;		/* const after init */
	const char *name;	/* const after init */
};

struct pp_rt;

struct pp_rt_lane {
	uint16_t id;			/* const */
	struct pp_rt *rt;		/* const */
	uint8_t npoll[2];		/* const after init: front, back */
	struct pp_rt_poller poll[2][PP_RT_POLLERS_MAX];
	uint32_t runs;			/* lane thread: runs since the timers looked at the clock */
	struct pp_timer_wheel timers;	/* lane thread */
	/* thread attached as the lane's */
	_Atomic int attached;
	pthread_t owner;		/* valid while attached */
	int cpu;			/* core for the lane thread, -1 none */
	/* split placement: the worker */
	pthread_t worker;
	bool worker_running;
	int worker_cpu;
	_Atomic bool stop;
};

/* A thread of its own that polls @fn with back-off (completion threads). */
struct pp_rt_service {
	char name[16];			/* const: thread name, "pp-cq/<q>" */
	pp_rt_poll_fn fn;		/* const */
	void *arg;			/* const */
	unsigned int core;		/* const: core index it is pinned to (hwloc order) */
	int cpu;
	pthread_t thr;
	bool running;
	_Atomic bool stop;
	uint64_t sleeps;		/* (C) times it went to sleep idle */
};

struct pp_rt {
	uint16_t nlanes;		/* const */
	uint8_t placement;		/* const: enum pp_rt_placement */
	bool no_pin;			/* const: leave threads unbound */
	const int *cpus;		/* const: explicit cores, or NULL (hwloc picks) */
	uint16_t ncpus;
	uint16_t nsvc;
	struct pp_rt_lane lanes[PP_RT_LANES_MAX];
	struct pp_rt_service svc[PP_RT_SERVICES_MAX];
};

/*
 * pp__rt_init() - an idle runtime of @nlanes lanes; threads planned on
 * @cpus[0..ncpus) (kept by reference) or by hwloc, none bound if @no_pin.
 * Return: 0 or -EINVAL.
 */
int pp__rt_init(struct pp_rt *rt, uint16_t nlanes, enum pp_rt_placement placement, bool no_pin,
		const int *cpus, uint16_t ncpus);

/*
 * pp__rt_poller_add() - run @fn(@arg) on lane @lane's @side every run.
 * Return: 0; -EINVAL; -ENOSPC (PP_RT_POLLERS_MAX).
 */
int pp__rt_poller_add(struct pp_rt *rt, uint16_t lane, enum pp_rt_side side, pp_rt_poll_fn fn,
		      void *arg, const char *name);

/*
 * pp__rt_service_add() - a thread named @name polling @fn(@arg), pinned
 * next to lane @near_lane's thread (the core after it), started by
 * pp__rt_start(). After pp__rt_stop() @fn is called until it returns 0, so
 * nothing it would have done stays behind.
 * Return: 0; -EINVAL; -ENOSPC.
 */
int pp__rt_service_add(struct pp_rt *rt, const char *name, uint16_t near_lane, pp_rt_poll_fn fn,
		       void *arg);

/* pp__rt_start() - start workers (split) and services. Return: 0 or -errno
 * (everything started is stopped again). */
int pp__rt_start(struct pp_rt *rt);
/* pp__rt_stop() - stop and join every thread the runtime started. */
void pp__rt_stop(struct pp_rt *rt);

/* The lane's timer wheel (arm timers on it from its thread only). */
static inline struct pp_timer_wheel *pp__rt_lane_timers(struct pp_rt *rt, uint16_t lane)
{
	return &rt->lanes[lane].timers;
}

/*
 * pp__rt_lane_run() - one run of lane @l on its thread: front pollers, then
 * the back ones unless a worker runs them, then due timers.
 * Return: work done (0: idle).
 * Context: the lane's thread, RCU online.
 */
uint32_t pp__rt_lane_run(struct pp_rt_lane *l);
/*
 * pp__rt_lane_run_busy() - the same, for a caller that has just done work on
 * the lane (a send's walk): a run that finds nothing more is not an idle
 * lane, so timers wait for their every-64-runs look at the clock instead of
 * a clock read per send.
 */
uint32_t pp__rt_lane_run_busy(struct pp_rt_lane *l);

/*
 * pp__rt_lane_enter() - make the calling thread lane @l's thread (RCU
 * registration, kept offline between calls, and pinning). Return: 0, or
 * -EBUSY another thread is attached. pp__rt_lane_leave(): -EINVAL if the
 * caller is not the lane's thread.
 */
int pp__rt_lane_enter(struct pp_rt_lane *l);
int pp__rt_lane_leave(struct pp_rt_lane *l);
/* True if the calling thread is lane @l's thread. */
bool pp__rt_lane_mine(const struct pp_rt_lane *l);

/* RCU glue (any thread): register once (counted), go online for a call. */
void pp__rcu_get(void);
void pp__rcu_put(void);
void pp__lane_online(void);
void pp__lane_offline(void);
/* Wait a little (offline for RCU); *@step_us grows up to 1 ms. A waiter
 * starts at PP_LANE_NAP_MIN_US and goes back to it whenever the lane did
 * work: the back-off is for a lane that stays idle, not for one whose
 * traffic comes in gaps (an ACK-clocked sender waits one RTT at a time). */
#define PP_LANE_NAP_MIN_US 50u
void pp__lane_nap(unsigned int *step_us);

/* Cycle counter for stage timing (ns where there is none). */
uint64_t pp__tsc(void);

#endif /* PP_CORE_RT_H */
