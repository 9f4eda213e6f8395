/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h (bench-internal) - what every benchmark body needs besides the
 * thing it measures: placing threads on cores with hwloc, a pinned helper
 * thread that can be stopped, cache-line aligned memory, the one-PAUSE wait
 * policy, and a way to report a broken invariant (lost or reordered values,
 * a leak) to the harness, which turns it into a failed case.
 *
 * Core numbers are hwloc's logical core indexes (0, 1, ...): the cross-core
 * cases put the producer or helper on core 0 and the timed thread on core 1,
 * as /work/shared/peers/src/ring_bench.c does (-p 0 -c 1).
 */
#ifndef PP_BENCH_UTIL_H
#define PP_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error reporting: the only part the C++ harness uses.
 */

/**
 * pp__bench_fail() - record that the running case is broken (printf format).
 * The harness checks after every run() and teardown(), reports the case as
 * an error and makes pp_bench exit non-zero. The first message is kept.
 * Context: any thread.
 */
void pp__bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * pp__bench_take_error() - the recorded message, or NULL; clears it.
 * Return: a pointer valid until the next call.
 * Context: the harness thread.
 */
const char *pp__bench_take_error(void);

#ifndef __cplusplus
/* The rest is for the C bodies (C11 atomics in the thread handle). */
#include <pthread.h>
#include <stdatomic.h>

/* Where the cross-core cases put their two threads. */
#define PP_BENCH_CORE_A 0 /* producer / helper thread */
#define PP_BENCH_CORE_B 1 /* the timed (harness) thread */

/*
 * The one wait policy every implementation gets when its queue is full or
 * empty: one PAUSE, then try again (as DPDK's ring_perf_autotest and the
 * shared peers' ring_bench do). Same for every peer: nobody is favoured.
 */
static inline void pp__bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Keep the compiler from proving a value dead (malloc/free pairs, loads). */
static inline void pp__bench_escape(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/** pp__bench_ncores() - cores hwloc sees (0 if the topology cannot load). */
unsigned int pp__bench_ncores(void);

/**
 * pp__bench_pin() - bind the calling thread to core @core (hwloc logical index).
 * Return: 0, -ENODEV if there is no such core, or -errno from the binding.
 */
int pp__bench_pin(unsigned int core);

/**
 * pp__bench_affinity_save() - remember the calling thread's CPU binding, to
 * give it back with pp__bench_affinity_restore() (which also frees it).
 * Return: an opaque handle, or NULL (restore then does nothing).
 */
void *pp__bench_affinity_save(void);
void pp__bench_affinity_restore(void *saved);

/*
 * A helper thread pinned to one core: the producer of a cross-core ring case,
 * the freer of the remote pool case. @fn runs after the thread is pinned and
 * must return soon after pp__bench_thread_stop() is called: it polls
 * pp__bench_thread_stopping(). Fields are private.
 */
struct pp__bench_thread {
	pthread_t tid;
	void *(*fn)(struct pp__bench_thread *t);
	void *arg;
	unsigned int core;
	char name[16];
	_Atomic int pin_err;	/* 1: not started yet; then 0 or -errno */
	/* written once by stop(), read by the spinning thread: its own line so
	 * the hot loop reads a line nobody writes */
	_Alignas(64) _Atomic int stop;
};

/**
 * pp__bench_thread_start() - start @fn(@t) on a thread named @name, pinned
 * to @core; waits until it is pinned.
 * Return: 0, or -errno (pinning failed: the thread has been joined).
 */
int pp__bench_thread_start(struct pp__bench_thread *t, const char *name, unsigned int core,
			   void *(*fn)(struct pp__bench_thread *t), void *arg);

/** pp__bench_thread_stopping() - true once stop has been asked for. */
static inline int pp__bench_thread_stopping(struct pp__bench_thread *t)
{
	return atomic_load_explicit(&t->stop, memory_order_acquire);
}

/** pp__bench_thread_stop() - ask the thread to stop and join it. */
void pp__bench_thread_stop(struct pp__bench_thread *t);

/**
 * pp__bench_zalloc() - @len zeroed bytes aligned to a cache line, faulted in.
 * Return: the memory (free() it) or NULL.
 */
void *pp__bench_zalloc(size_t len);

#endif /* !__cplusplus */

#ifdef __cplusplus
}
#endif
#endif /* PP_BENCH_UTIL_H */
