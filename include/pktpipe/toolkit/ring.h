/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/toolkit/ring.h - the SPSC ring of pointers that joins the stages of
 * a pktpipe lane, offered on its own: bounded, lock-free, one producer thread
 * and one consumer thread. Not part of the stack API (<pktpipe/pktpipe.h>
 * does not include it): a program that wants the ring for its own threads
 * includes this header and links libpktpipe.
 *
 * The ring is opaque and every call is a function of the library (the
 * library's own stages use inline versions of the same calls). A call costs
 * a few ns more than inline code would; the ring's semantics are the same:
 *  - its size is a power of two and it holds exactly that many pointers
 *    (pp_ring_capacity() == size, never size - 1);
 *  - "burst" calls move up to n and return how many; "bulk" calls move all
 *    n or nothing; full and empty are not errors, they are a short count;
 *  - a pointer is enqueued and dequeued as it is: the ring never reads what
 *    it points to, and NULL is a valid entry for the copy calls (but
 *    pp_ring_dequeue() returns NULL for empty too).
 *
 * Concurrency: one producer thread and one consumer thread at a time.
 *
 *   call                               | may run concurrently with
 *   -----------------------------------+-----------------------------------
 *   pp_ring_enqueue*()                 | any consumer call (other thread)
 *   pp_ring_dequeue*()                 | any producer call (other thread)
 *   count, free_count, empty, capacity | anything; the answer is a snapshot
 *   init, reset, create, destroy       | nothing on that ring
 *
 * Memory ordering: what the producer wrote before enqueueing a pointer is
 * visible to the consumer once it has dequeued it (release/acquire), so the
 * objects handed over need no other synchronisation.
 */
#ifndef PKTPIPE_TOOLKIT_RING_H
#define PKTPIPE_TOOLKIT_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pktpipe/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct pp_ring - an SPSC ring of pointers (opaque). */
struct pp_ring;

/** Largest ring size accepted (2^31 slots). */
#define PP_RING_SIZE_MAX (1u << 31)

/* ---- control path ------------------------------------------------------- */

/**
 * pp_ring_memsize() - bytes needed for a ring of @size slots.
 * Return: the size (a multiple of PP_CACHE_LINE), or -EINVAL if @size is zero,
 * not a power of two or above PP_RING_SIZE_MAX.
 * Context: any.
 */
PP_API ssize_t pp_ring_memsize(uint32_t size);

/**
 * pp_ring_init() - make an empty ring of @size slots in caller memory.
 * @r: PP_CACHE_LINE-aligned memory of at least pp_ring_memsize(@size) bytes.
 * @flags: must be 0.
 * Return: 0, or -EINVAL (NULL @r, misaligned @r, bad @size, unknown @flags).
 * Context: control path; nothing may use the ring meanwhile.
 */
PP_API int pp_ring_init(struct pp_ring *r, uint32_t size, uint32_t flags);

/**
 * pp_ring_create() - allocate and init a ring of @size slots.
 * @flags: must be 0.
 * Return: 0 and *@out set, -EINVAL for bad arguments, -ENOMEM.
 * Context: control path (allocates).
 */
PP_API int pp_ring_create(uint32_t size, uint32_t flags, struct pp_ring **out);

/**
 * pp_ring_destroy() - free a ring from pp_ring_create(); NULL is a no-op.
 * Context: control path; neither side may be using the ring.
 */
PP_API void pp_ring_destroy(struct pp_ring *r);

/**
 * pp_ring_reset() - empty the ring and start both indices at @index.
 * Tests use it to put the free-running indices just below UINT32_MAX.
 * Return: 0 or -EINVAL for a NULL ring.
 * Context: control path; neither side may be using the ring.
 */
PP_API int pp_ring_reset(struct pp_ring *r, uint32_t index);

/*
 * ---- data path ----------------------------------------------------------
 * The library's src/core/ring.h defines these same calls inline (and
 * PP__RING_INLINE before it includes this header); one of its files turns
 * them into the exported functions declared here.
 */
#ifndef PP__RING_INLINE

/**
 * pp_ring_capacity() - entries the ring really holds (== its size).
 * Return: the capacity.
 * Context: any thread.
 */
PP_API uint32_t pp_ring_capacity(const struct pp_ring *r);

/**
 * pp_ring_count() - entries in the ring now.
 * Return: a snapshot, at most the capacity.
 * Context: any thread.
 */
PP_API uint32_t pp_ring_count(const struct pp_ring *r);

/**
 * pp_ring_free_count() - free slots now.
 * Return: a snapshot, capacity - count.
 * Context: any thread.
 */
PP_API uint32_t pp_ring_free_count(const struct pp_ring *r);

/**
 * pp_ring_empty() - whether the ring holds nothing.
 * Return: true if empty (a snapshot).
 * Context: any thread.
 */
PP_API bool pp_ring_empty(const struct pp_ring *r);

/**
 * pp_ring_enqueue_burst() - enqueue up to @n pointers from @objs.
 * Return: how many were enqueued (0 when full); the caller keeps
 * objs[ret..n).
 * Context: the producer thread.
 */
PP_API uint32_t pp_ring_enqueue_burst(struct pp_ring *r, void *const *objs, uint32_t n);

/**
 * pp_ring_enqueue_bulk() - enqueue all @n pointers or none.
 * Return: @n, or 0 if there was no room for all of them.
 * Context: the producer thread.
 */
PP_API uint32_t pp_ring_enqueue_bulk(struct pp_ring *r, void *const *objs, uint32_t n);

/**
 * pp_ring_enqueue() - enqueue one pointer.
 * Return: true if enqueued, false if the ring was full.
 * Context: the producer thread.
 */
PP_API bool pp_ring_enqueue(struct pp_ring *r, void *obj);

/**
 * pp_ring_dequeue_burst() - dequeue up to @n pointers into @objs.
 * Return: how many were dequeued (0 when empty).
 * Context: the consumer thread.
 */
PP_API uint32_t pp_ring_dequeue_burst(struct pp_ring *r, void **objs, uint32_t n);

/**
 * pp_ring_dequeue_bulk() - dequeue exactly @n pointers or none.
 * Return: @n, or 0 if fewer were available.
 * Context: the consumer thread.
 */
PP_API uint32_t pp_ring_dequeue_bulk(struct pp_ring *r, void **objs, uint32_t n);

/**
 * pp_ring_dequeue() - dequeue one pointer.
 * Return: it, or NULL if the ring was empty.
 * Context: the consumer thread.
 */
PP_API void *pp_ring_dequeue(struct pp_ring *r);

#endif /* PP__RING_INLINE */

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_TOOLKIT_RING_H */
