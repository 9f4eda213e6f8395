// SPDX-License-Identifier: MIT
/*
 * bench_util.c - thread placement (hwloc), pinned helper threads, aligned
 * memory and error reporting for the benchmark bodies (see bench_util.h).
 * None of it runs inside a timed loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "bench_util.h"

static hwloc_topology_t topo;
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static int topo_ok;

static void topo_load(void)
{
	if (hwloc_topology_init(&topo))
		return;
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		return;
	}
	topo_ok = 1;
}

static hwloc_topology_t topology(void)
{
	pthread_once(&topo_once, topo_load);
	return topo_ok ? topo : NULL;
}

/* Cores if hwloc reports them, else processing units (some VMs hide cores). */
static hwloc_obj_type_t core_type(hwloc_topology_t t)
{
	return hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

unsigned int pp__bench_ncores(void)
{
	hwloc_topology_t t = topology();
	int n;

	if (!t)
		return 0;
	n = hwloc_get_nbobjs_by_type(t, core_type(t));
	return n > 0 ? (unsigned int)n : 0;
}

int pp__bench_pin(unsigned int core)
{
	hwloc_topology_t t = topology();
	hwloc_obj_t obj;
	hwloc_bitmap_t set;
	int err = 0;

	if (!t)
		return -ENODEV;
	obj = hwloc_get_obj_by_type(t, core_type(t), core);
	if (!obj || !obj->cpuset)
		return -ENODEV;
	set = hwloc_bitmap_dup(obj->cpuset);
	if (!set)
		return -ENOMEM;
	/* one PU of the core: a thread that hops between SMT siblings would
	 * still move its cache lines around */
	hwloc_bitmap_singlify(set);
	if (hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD))
		err = errno ? -errno : -EINVAL;
	hwloc_bitmap_free(set);
	return err;
}

void *pp__bench_affinity_save(void)
{
	hwloc_topology_t t = topology();
	hwloc_bitmap_t set;

	if (!t)
		return NULL;
	set = hwloc_bitmap_alloc();
	if (set && hwloc_get_cpubind(t, set, HWLOC_CPUBIND_THREAD)) {
		hwloc_bitmap_free(set);
		set = NULL;
	}
	return set;
}

void pp__bench_affinity_restore(void *saved)
{
	hwloc_topology_t t = topology();

	if (!saved)
		return;
	if (t)
		(void)hwloc_set_cpubind(t, saved, HWLOC_CPUBIND_THREAD);
	hwloc_bitmap_free(saved);
}

static void *thread_main(void *arg)
{
	struct pp__bench_thread *t = arg;
	int err = pp__bench_pin(t->core);

	(void)pthread_setname_np(pthread_self(), t->name);
	atomic_store_explicit(&t->pin_err, err, memory_order_release);
	if (err)
		return NULL;
	return t->fn(t);
}

int pp__bench_thread_start(struct pp__bench_thread *t, const char *name, unsigned int core,
			   void *(*fn)(struct pp__bench_thread *t), void *arg)
{
	int err;

	if (!t || !fn)
		return -EINVAL;
	t->fn = fn;
	t->arg = arg;
	t->core = core;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "pb-helper");
	atomic_store(&t->stop, 0);
	atomic_store(&t->pin_err, 1);
	err = pthread_create(&t->tid, NULL, thread_main, t);
	if (err)
		return -err;
	/* setup is not timed: wait until the helper is pinned, and fail the
	 * case rather than measure an unpinned thread */
	while ((err = atomic_load_explicit(&t->pin_err, memory_order_acquire)) == 1)
		sched_yield();
	if (err) {
		pthread_join(t->tid, NULL);
		return err;
	}
	return 0;
}

void pp__bench_thread_stop(struct pp__bench_thread *t)
{
	atomic_store_explicit(&t->stop, 1, memory_order_release);
	pthread_join(t->tid, NULL);
}

void *pp__bench_zalloc(size_t len)
{
	size_t sz = (len + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, sz ? sz : 64);

	if (p)
		memset(p, 0, sz ? sz : 64);
	return p;
}

static char err_msg[256];
static _Atomic int err_set;

void pp__bench_fail(const char *fmt, ...)
{
	va_list ap;
	int expected = 0;

	/* first message wins; a helper thread may report while the timed
	 * thread also does */
	if (!atomic_compare_exchange_strong(&err_set, &expected, 2))
		return;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	atomic_store_explicit(&err_set, 1, memory_order_release);
}

const char *pp__bench_take_error(void)
{
	static char taken[sizeof(err_msg)];

	if (atomic_load_explicit(&err_set, memory_order_acquire) != 1)
		return NULL;
	memcpy(taken, err_msg, sizeof(taken));
	atomic_store_explicit(&err_set, 0, memory_order_release);
	return taken;
}
