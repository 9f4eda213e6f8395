// SPDX-License-Identifier: MIT
/*
 * pool.c - the frame pool (pktpipe/toolkit/pool.h, data path inline in
 * core/pool.h): one region, frames owned by lanes, frames freed elsewhere
 * coming home through SPSC return rings.
 *
 * cf. DPDK rte_mempool (per-lcore cache over a common store) and the kernel's
 * page_pool (recycling to the NAPI owner): here there is no common store at
 * all, so there is no lock anywhere; each lane's frames live on its own stack
 * and only ever travel back to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/opts.h"
#include "core/pool.h"

#define HUGE_2M (2u << 20)

struct pp_pool {
	uint8_t *base;
	size_t region_len;	/* frames * frame_size */
	size_t map_len;		/* what was mapped */
	bool huge;
	uint32_t frame_size;
	uint32_t frames_per_lane;
	uint16_t nlanes;
	uint16_t ncaches;
	struct pp_pool_cache *caches;	/* [ncaches], cache-line aligned */
	struct pp_ring **rings;		/* [ncaches * nlanes]: (from, to) */
	void *ctl;			/* one allocation for stacks and stages */
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int map_region(struct pp_pool *p, uint32_t flags)
{
	size_t len = p->region_len;

	if (!(flags & PP_POOL_F_NO_HUGEPAGES)) {
		size_t hl = (len + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);
		void *m = mmap(NULL, hl, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);

		if (m != MAP_FAILED) {
			p->base = m;
			p->map_len = hl;
			p->huge = true;
			return 0;
		}
		if (flags & PP_POOL_F_HUGEPAGES)
			return -ENOMEM;
	}
	/* Normal pages, pre-faulted so the data path never takes a page fault. */
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	if (m == MAP_FAILED)
		return -ENOMEM;
	(void)madvise(m, len, MADV_HUGEPAGE); /* transparent huge pages if enabled */
	p->base = m;
	p->map_len = len;
	p->huge = false;
	return 0;
}

static void free_rings(struct pp_pool *p)
{
	if (!p->rings)
		return;
	for (size_t i = 0; i < (size_t)p->ncaches * p->nlanes; i++)
		pp_ring_destroy(p->rings[i]);
	free(p->rings);
}

void pp_pool_destroy(struct pp_pool *p)
{
	if (!p)
		return;
	free_rings(p);
	if (p->caches) {
		for (unsigned int i = 0; i < p->ncaches; i++) {
			free(p->caches[i].ret_in);
			free(p->caches[i].ret_out);
		}
	}
	free(p->caches);
	free(p->ctl);
	if (p->base)
		munmap(p->base, p->map_len);
	free(p);
}

/* No owner hook: frames naming an owner go home without a word. */
static void wfree_none(void *owner, uint32_t bytes)
{
	(void)owner;
	(void)bytes;
}

int pp_pool_create(const struct pp_pool_opts *uopts, struct pp_pool **out)
{
	struct pp_pool_opts o;
	const struct pp_pool_opts *opts = &o;
	struct pp_pool *p;
	uint32_t fpl, fsz, headroom;
	unsigned int nlanes, ncaches;
	int err = -ENOMEM;

	/* an older caller's smaller struct reads as defaults (core/opts.h) */
	if (!out || pp__opts_copy(&o, sizeof(o), uopts))
		return -EINVAL;
	if ((opts->flags & ~PP_POOL_F_ALL) || (opts->flags & PP_POOL_F_ALL) == PP_POOL_F_ALL)
		return -EINVAL;
	fpl = opts->frames_per_lane ? opts->frames_per_lane : PP_POOL_FRAMES_DEFAULT;
	fsz = opts->frame_size ? opts->frame_size : PP_FRAME_2K;
	nlanes = opts->nlanes ? opts->nlanes : 1;
	ncaches = nlanes + opts->nfreers;
	headroom = opts->headroom ? opts->headroom : PP_SKB_HEADROOM;
	if ((fsz != PP_FRAME_2K && fsz != PP_FRAME_4K) || fpl < PP_BURST || fpl > (1u << 24) ||
	    ncaches > PP_POOL_CACHES_MAX || PP_FRAME_COLOUR_MAX + PP_SKB_META + headroom + 64 > fsz)
		return -EINVAL;
	if ((uint64_t)fpl * nlanes * fsz > (64ull << 30))
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->frame_size = fsz;
	p->frames_per_lane = fpl;
	p->nlanes = (uint16_t)nlanes;
	p->ncaches = (uint16_t)ncaches;
	p->region_len = (size_t)fpl * nlanes * fsz;

	err = map_region(p, opts->flags);
	if (err)
		goto err_pool;

	err = -ENOMEM;
	p->caches = aligned_alloc(PP_CACHE_LINE, sizeof(struct pp_pool_cache) * ncaches);
	if (!p->caches)
		goto err_pool;
	memset(p->caches, 0, sizeof(struct pp_pool_cache) * ncaches);

	/* stacks for lanes, staging buffers for everyone */
	size_t stack_bytes = (size_t)fpl * sizeof(struct pp_skb *);
	size_t stage_bytes = (size_t)nlanes * sizeof(struct pp__pool_stage);
	uint8_t *ctl = calloc(1, stack_bytes * nlanes + stage_bytes * ncaches);

	if (!ctl)
		goto err_pool;
	p->ctl = ctl;

	/* return rings: (from i, to lane j), each able to hold all of j's frames */
	p->rings = calloc((size_t)ncaches * nlanes, sizeof(*p->rings));
	if (!p->rings)
		goto err_pool;
	for (unsigned int i = 0; i < ncaches; i++) {
		for (unsigned int j = 0; j < nlanes; j++) {
			if (i == j)
				continue;
			err = pp_ring_create(pow2_at_least(fpl), 0, &p->rings[i * nlanes + j]);
			if (err)
				goto err_pool;
		}
	}

	err = -ENOMEM;
	for (unsigned int i = 0; i < ncaches; i++) {
		struct pp_pool_cache *c = &p->caches[i];

		c->id = (uint16_t)i;
		c->headroom = (uint16_t)headroom;
		c->base = p->base;
		c->region_len = p->region_len;
		c->frame_shift = (uint32_t)__builtin_ctz(fsz);
		c->ncaches = (uint16_t)ncaches;
		c->nlanes = (uint16_t)nlanes;
		c->pool = p;
		c->wfree = wfree_none;
		c->stage = (struct pp__pool_stage *)(ctl + stack_bytes * nlanes + stage_bytes * i);
		c->ret_out = calloc(nlanes, sizeof(*c->ret_out));
		if (!c->ret_out)
			goto err_pool;
		for (unsigned int j = 0; j < nlanes; j++)
			c->ret_out[j] = p->rings[i * nlanes + j];
		if (i >= nlanes)
			continue;
		/* end is per frame (colour): the template has none, the frame
		 * keeps its own (see pp__skb_init) */
		c->tmpl = (struct pp_skb){
			.data_off = (uint16_t)(PP_SKB_META + headroom),
			.owner = (uint16_t)i,
			.state = PP_SKB_ALLOCATED,
		};
		atomic_init(&c->tmpl.refcnt, 1);
		c->stack = (struct pp_skb **)(ctl + stack_bytes * i);
		c->stack_cap = fpl;
		c->ret_in = calloc(ncaches, sizeof(*c->ret_in));
		if (!c->ret_in)
			goto err_pool;
		for (unsigned int k = 0; k < ncaches; k++)
			c->ret_in[k] = p->rings[k * nlanes + i];
		/* Lane i owns frames [i*fpl, (i+1)*fpl); push them so that the
		 * lowest address is allocated first. */
		for (uint32_t f = 0; f < fpl; f++) {
			size_t fi = (size_t)i * fpl + (fpl - 1 - f);
			struct pp_skb *skb = (struct pp_skb *)(p->base + fi * fsz + pp_frame_colour(fi));

			skb->owner = (uint16_t)i;
			skb->end = (uint16_t)(fsz - pp_frame_colour(fi));
			skb->state = PP_SKB_FREE;
			c->stack[f] = skb;
		}
		c->nfree = fpl;
	}
	*out = p;
	return 0;

err_pool:
	pp_pool_destroy(p);
	return err;
}

void pp__pool_set_wfree(struct pp_pool *p, void (*fn)(void *owner, uint32_t bytes))
{
	if (!p)
		return;
	for (unsigned int i = 0; i < p->ncaches; i++)
		p->caches[i].wfree = fn ? fn : wfree_none;
}

struct pp_pool_cache *pp_pool_cache(struct pp_pool *p, unsigned int id)
{
	if (!p || id >= p->ncaches)
		return NULL;
	return &p->caches[id];
}

void *pp_pool_region(const struct pp_pool *p, size_t *len)
{
	if (!p)
		return NULL;
	if (len)
		*len = p->region_len;
	return p->base;
}

uint32_t pp_pool_frame_size(const struct pp_pool *p)
{
	return p ? p->frame_size : 0;
}

bool pp_pool_hugepages(const struct pp_pool *p)
{
	return p && p->huge;
}

int pp_pool_stats(const struct pp_pool *p, struct pp_pool_stats *st)
{
	if (!p || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->nframes = (uint64_t)p->frames_per_lane * p->nlanes;
	for (unsigned int i = 0; i < p->ncaches; i++) {
		const struct pp_pool_cache *c = &p->caches[i];

		st->allocs += PP_STAT_READ(c->allocs);
		st->frees += PP_STAT_READ(c->frees);
		st->alloc_fail += PP_STAT_READ(c->alloc_fail);
		st->bad_free += PP_STAT_READ(c->bad_free);
		st->remote_frees += PP_STAT_READ(c->remote_frees);
	}
	st->in_use = st->allocs - st->frees;
	return 0;
}

/* Slow path of alloc: pull every frame that came home into the stack. */
uint32_t pp__pool_refill(struct pp_pool_cache *c)
{
	uint32_t got = 0;

	if (!c->stack)
		return 0; /* a freer owns no frames */
	for (unsigned int i = 0; i < c->ncaches; i++) {
		struct pp_ring *r = c->ret_in[i];

		if (!r)
			continue;
		uint32_t n = pp_ring_dequeue_burst(r, (void **)&c->stack[c->nfree],
						   c->stack_cap - c->nfree);
		c->nfree += n;
		got += n;
	}
	return got;
}

/* Send every staged remote free home. A return ring holds all frames of its
 * lane, and only that lane's frames travel on it, so the bulk cannot fail. */
void pp__pool_flush(struct pp_pool_cache *c)
{
	uint64_t dirty = c->dirty;

	while (dirty) {
		unsigned int j = (unsigned int)__builtin_ctzll(dirty);
		struct pp__pool_stage *st = &c->stage[j];

		dirty &= dirty - 1;
		if (!st->n)
			continue;
		uint32_t n = pp_ring_enqueue_bulk(c->ret_out[j], (void *const *)st->pkts, st->n);

		PP_STAT_ADD(c->remote_frees, n);
		st->n = 0;
	}
	c->dirty = 0;
}

void pp__pool_bad_free(struct pp_pool_cache *c, struct pp_skb *skb)
{
	(void)skb;
	PP_STAT_ADD(c->bad_free, 1);
}

/*
 * The copy is made out of line: it is a memcpy of up to a frame, which a
 * call does not change, and it keeps the header free of a second, long
 * inline body. cf. pskb_copy() as tcp_transmit_skb() uses it: the headers
 * are built by the caller afterwards, so only the payload is copied.
 */
struct pp_skb *pp_skb_tx_copy(struct pp_pool_cache *c, const struct pp_skb *orig,
			      uint32_t headroom)
{
	uint32_t room = pp_skb_tx_copy_room(c);
	struct pp_skb *skb;

	/* pp__skb_valid() reads @orig only after its address proved to be a
	 * frame of the region: a foreign pointer is never dereferenced */
	if (PP_UNLIKELY(!c || !orig || !c->stack || !pp__skb_valid(c, orig) || orig->frag ||
			headroom > room || orig->len > room - headroom))
		return NULL;
	skb = pp_skb_alloc(c);
	if (PP_UNLIKELY(!skb))
		return NULL; /* alloc_fail counted by the alloc */
	skb->data_off = (uint16_t)(PP_SKB_META + headroom);
	skb->len = orig->len;
	memcpy(pp_skb_data(skb), pp_skb_data(orig), orig->len);
	skb->hash = orig->hash;
	skb->prio = orig->prio;
	skb->flags = (uint8_t)(orig->flags & PP_SKB_F_TX_COPY);
	skb->nexthop = orig->nexthop;
	skb->sk = NULL; /* charged by the transport that sends it, if at all */
	skb->tstamp = orig->tstamp;
	return skb;
}
