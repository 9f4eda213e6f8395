/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/toolkit/pool.h - the frame pool that the stack's skbs live in,
 * offered on its own. Not part of the stack API (<pktpipe/pktpipe.h> does not
 * include it; a server sending through the stack gets its skbs from
 * pp_udp_alloc_burst()): a program that wants the pool for its own pipeline,
 * or as the UMEM of its own AF_XDP socket, includes this header and links
 * libpktpipe.
 *
 * A pool is one contiguous, page-aligned region (huge pages when the system
 * has them) cut into fixed frames of 2 KiB or 4 KiB, so that an AF_XDP NIC can
 * register the very same region as its UMEM: handing an skb to the NIC is
 * handing it an offset (pp_skb_region_offset()), never a copy. Each frame is
 * one skb (<pktpipe/skb.h>): metadata, headroom, data.
 *
 * Frames belong to lanes. A pool has `nlanes` allocating caches, each owning
 * an equal share of the frames, and `nfreers` caches that only free
 * (completion threads, say). A frame freed by the cache that owns it goes
 * straight back; a frame freed anywhere else goes home through an SPSC
 * return ring big enough for every frame of its lane, so a free never fails
 * and never blocks. No lock, no malloc after pp_pool_create().
 *
 * The pool and its caches are opaque and every call is a function of the
 * library (the library's own lanes use inline versions of the same calls).
 *
 * Concurrency: each cache (pp_pool_cache()) is used by one thread at a time.
 *
 *   call                               | may run concurrently with
 *   -----------------------------------+---------------------------------------
 *   pp_skb_alloc*, pp_skb_free* (c)    | the same calls on any other cache
 *   pp_skb_tx_copy (c, orig)           | copies of orig on other caches; not
 *                                      | a writer of orig
 *   pp_pool_stats                      | anything (counters are snapshots)
 *   pp_pool_create, pp_pool_destroy    | nothing on that pool
 */
#ifndef PKTPIPE_TOOLKIT_POOL_H
#define PKTPIPE_TOOLKIT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pktpipe/common.h>
#include <pktpipe/skb.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct pp_pool - a frame region and its caches (opaque). */
struct pp_pool;
/** struct pp_pool_cache - one thread's handle on a pool (opaque). */
struct pp_pool_cache;

/** Frame sizes a pool accepts. */
#define PP_FRAME_2K 2048
#define PP_FRAME_4K 4096

/* pp_pool_opts.flags */
#define PP_POOL_F_HUGEPAGES	0x1 /* huge pages required: fail without them */
#define PP_POOL_F_NO_HUGEPAGES	0x2 /* never try huge pages */
#define PP_POOL_F_ALL		(PP_POOL_F_HUGEPAGES | PP_POOL_F_NO_HUGEPAGES)

/** Frames per lane of a pool whose options leave frames_per_lane 0. */
#define PP_POOL_FRAMES_DEFAULT 4096

/**
 * struct pp_pool_opts - pool parameters. Zero fields take the default.
 * @sz: sizeof(struct pp_pool_opts) (so the struct can grow).
 * @frames_per_lane: frames each lane owns (default PP_POOL_FRAMES_DEFAULT;
 *		     at least PP_BURST).
 * @frame_size: PP_FRAME_2K (default) or PP_FRAME_4K.
 * @nlanes: allocating caches, ids 0..nlanes-1 (default 1).
 * @nfreers: caches that only free, ids nlanes.. (default 0).
 * @headroom: bytes reserved before the data of a new skb (default
 *	      PP_SKB_HEADROOM); must leave room for at least 64 bytes of data.
 * @flags: PP_POOL_F_*; unknown flags are -EINVAL.
 */
struct pp_pool_opts {
	size_t sz;
	uint32_t frames_per_lane;
	uint32_t frame_size;
	uint16_t nlanes;
	uint16_t nfreers;
	uint16_t headroom;
	uint32_t flags;
};

/**
 * pp_pool_create() - map the region, cut it into frames, make the caches.
 * Return: 0 and *@out set; -EINVAL for bad options (NULL, @sz too small to
 * hold @sz, a larger struct with non-zero bytes past the fields this library
 * knows (a smaller, older one is fine: missing fields default), unknown
 * flags, frame size not 2K/4K, headroom too large, too many caches (64 at
 * most, lanes and freers together)); -ENOMEM if the region or the control
 * structures cannot be allocated (or huge pages were required and are not
 * there).
 * Context: control path.
 */
PP_API int pp_pool_create(const struct pp_pool_opts *opts, struct pp_pool **out);

/**
 * pp_pool_destroy() - unmap the region. Every skb becomes invalid. NULL is a
 * no-op.
 * Context: control path; no cache of the pool may be in use.
 */
PP_API void pp_pool_destroy(struct pp_pool *pool);

/**
 * pp_pool_cache() - the cache with id @id: lanes are 0..nlanes-1, freers
 * nlanes..nlanes+nfreers-1.
 * Return: the cache, or NULL if @pool is NULL or @id is out of range.
 * Context: any; the returned cache is then used by one thread at a time.
 */
PP_API struct pp_pool_cache *pp_pool_cache(struct pp_pool *pool, unsigned int id);

/**
 * pp_pool_region() - the frame region, as an AF_XDP UMEM registers it.
 * @len: set to its length in bytes (may be NULL).
 * Return: its start (page aligned), or NULL for a NULL pool.
 * Context: any.
 */
PP_API void *pp_pool_region(const struct pp_pool *pool, size_t *len);

/**
 * pp_pool_frame_size() - frame size in bytes.
 * Return: PP_FRAME_2K or PP_FRAME_4K; 0 for a NULL pool.
 * Context: any.
 */
PP_API uint32_t pp_pool_frame_size(const struct pp_pool *pool);

/**
 * pp_pool_hugepages() - whether the region is backed by huge pages.
 * Return: true if it is; false otherwise and for a NULL pool.
 * Context: any.
 */
PP_API bool pp_pool_hugepages(const struct pp_pool *pool);

/**
 * struct pp_pool_stats - totals over every cache of a pool.
 * @nframes: frames in the pool.
 * @in_use: frames allocated and not yet freed (allocs - frees).
 */
struct pp_pool_stats {
	uint64_t nframes;
	uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_fail;
	uint64_t bad_free;
	uint64_t remote_frees;
	uint64_t in_use;
};

/**
 * pp_pool_stats() - sum the counters of every cache.
 * Return: 0, or -EINVAL for NULL arguments.
 * Context: any thread; a snapshot while others run.
 */
PP_API int pp_pool_stats(const struct pp_pool *pool, struct pp_pool_stats *st);

/**
 * pp_skb_tx_copy() - one transmission of the segment @orig: a fresh skb from
 * lane cache @c holding @orig's data after @headroom bytes of headroom, for
 * the TX path to push its headers into and own alone (see "Retransmission"
 * in <pktpipe/skb.h>). Call it for every transmission, the first one
 * included; @orig is only read, so copies of it may be in flight on any
 * number of TX rings while it stays on the write queue.
 *
 * The copy has: refcnt 1, data_off = PP_SKB_META + @headroom, @orig's len
 * and bytes, and of @orig's metadata hash, prio, nexthop, tstamp and the
 * flags in PP_SKB_F_TX_COPY. Its sk is NULL: a frame naming a socket is
 * charged to that socket's send memory, which is the transport's to do for
 * the copies it puts in flight (cf. skb_set_owner_w() in
 * __tcp_transmit_skb()). Everything else is as a fresh skb's: next and
 * frag NULL (the copy is alone), no header offsets (the TX path sets them as
 * it pushes), queue 0 (queue selection picks one per transmission),
 * drop_reason 0; owner is @c's lane, whoever owns @orig.
 *
 * Return: the copy; NULL when @c's lane has no free frame (counted in
 * alloc_fail, nothing changed: retry when frames come home, as after a short
 * pp_skb_alloc_burst()); NULL for bad arguments, with nothing allocated and
 * nothing counted (-EINVAL in spirit: a caller bug, never a reason to
 * retry): @c or @orig NULL, @c a freer (it owns no frames), @orig not an
 * allocated frame of @c's pool, @orig with a fragment chain (a segment is one
 * frame), or @headroom + @orig->len above pp_skb_tx_copy_room(@c).
 * Context: the thread that owns lane cache @c and holds a reference on
 * @orig; nobody writes @orig meanwhile.
 */
PP_API struct pp_skb *pp_skb_tx_copy(struct pp_pool_cache *c, const struct pp_skb *orig,
				     uint32_t headroom);

/*
 * ---- data path ----------------------------------------------------------
 * The library's src/core/pool.h defines these same calls inline (and
 * PP__POOL_INLINE before it includes this header); one of its files turns
 * them into the exported functions declared here.
 */
#ifndef PP__POOL_INLINE

/**
 * pp_skb_alloc_burst() - allocate up to @n fresh skbs (refcnt 1, empty, with
 * the pool's headroom).
 * Return: how many were allocated (short, even 0, when the lane's frames are
 * all in use: not an error; it recovers as frames come home).
 * Context: the thread that owns lane cache @c (an id below nlanes).
 */
PP_API uint32_t pp_skb_alloc_burst(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n);

/**
 * pp_skb_alloc_bulk() - allocate exactly @n skbs or none.
 * Return: @n or 0.
 * Context: as pp_skb_alloc_burst().
 */
PP_API uint32_t pp_skb_alloc_bulk(struct pp_pool_cache *c, struct pp_skb **skbs, uint32_t n);

/**
 * pp_skb_alloc() - allocate one skb.
 * Return: it, or NULL when none is free.
 * Context: as pp_skb_alloc_burst().
 */
PP_API struct pp_skb *pp_skb_alloc(struct pp_pool_cache *c);

/**
 * pp_skb_free_burst() - drop one reference on each of @n skbs (and on their
 * fragment chains); frames whose last reference goes return to their lane.
 * NULL entries are skipped; a foreign pointer or a double free is refused,
 * counted in the pool's bad_free and not written to.
 * Context: the thread that owns cache @c (any cache of the skbs' pool).
 */
PP_API void pp_skb_free_burst(struct pp_pool_cache *c, struct pp_skb *const *skbs, uint32_t n);

/**
 * pp_skb_free() - pp_skb_free_burst() of one skb. NULL is a no-op.
 * Context: as pp_skb_free_burst().
 */
PP_API void pp_skb_free(struct pp_pool_cache *c, struct pp_skb *skb);

/**
 * pp_skb_tx_copy_room() - bytes (headroom + payload) that every frame of
 * @c's pool holds after its metadata: the frame size less the metadata and
 * the largest metadata colour offset. pp_skb_tx_copy() checks against it.
 * 1792 for 2 KiB frames: an MSS of 1460 plus 128 bytes of headroom fits.
 * Return: that room, or 0 for a NULL cache.
 * Context: any.
 */
PP_API uint32_t pp_skb_tx_copy_room(const struct pp_pool_cache *c);

/**
 * pp_pool_skb_from_offset() - the skb whose frame contains region offset
 * @off (what an AF_XDP completion ring returns).
 * Return: the skb, or NULL if @off is outside the region.
 * Context: any thread holding a cache of the pool.
 */
PP_API struct pp_skb *pp_pool_skb_from_offset(const struct pp_pool_cache *c, uint64_t off);

/**
 * pp_skb_region_offset() - region offset of the skb's first data byte (what
 * an AF_XDP TX descriptor carries).
 * Return: the offset.
 * Context: any thread holding a cache of @skb's pool.
 */
PP_API uint64_t pp_skb_region_offset(const struct pp_pool_cache *c, const struct pp_skb *skb);

#endif /* PP__POOL_INLINE */

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_TOOLKIT_POOL_H */
