// SPDX-License-Identifier: MIT
/*
 * ring.c - control path of the SPSC ring (core/ring.h): sizing, init,
 * create/destroy. The data path is inline in core/ring.h (exported through
 * core/toolkit.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ring.h"

_Static_assert(offsetof(struct pp_ring, prod) % PP_CACHE_LINE == 0, "producer line");
_Static_assert(offsetof(struct pp_ring, cons) % PP_CACHE_LINE == 0, "consumer line");
_Static_assert(offsetof(struct pp_ring, cons) - offsetof(struct pp_ring, prod) >= PP_CACHE_LINE,
	       "producer and consumer on separate lines");
_Static_assert(offsetof(struct pp_ring, slot) % PP_CACHE_LINE == 0, "slots start on a line");

static int ring_size_ok(uint32_t size)
{
	return size != 0 && size <= PP_RING_SIZE_MAX && (size & (size - 1)) == 0;
}

ssize_t pp_ring_memsize(uint32_t size)
{
	if (!ring_size_ok(size))
		return -EINVAL;
	size_t sz = sizeof(struct pp_ring) + (size_t)size * sizeof(void *);

	return (ssize_t)((sz + PP_CACHE_LINE - 1) & ~(size_t)(PP_CACHE_LINE - 1));
}

int pp_ring_init(struct pp_ring *r, uint32_t size, uint32_t flags)
{
	if (!r || ((uintptr_t)r & (PP_CACHE_LINE - 1)) || !ring_size_ok(size) || flags)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->mask = size - 1;
	r->flags = flags;
	return pp_ring_reset(r, 0);
}

int pp_ring_reset(struct pp_ring *r, uint32_t index)
{
	if (!r)
		return -EINVAL;
	r->prod.head = r->prod.peer_cache = index;
	r->cons.head = index;
	r->cons.peer_cache = index;
	atomic_store_explicit(&r->prod.pub, index, memory_order_release);
	atomic_store_explicit(&r->cons.pub, index, memory_order_release);
	return 0;
}

int pp_ring_create(uint32_t size, uint32_t flags, struct pp_ring **out)
{
	ssize_t sz = pp_ring_memsize(size);
	struct pp_ring *r;
	int err;

	if (!out || sz < 0 || flags)
		return -EINVAL;
	r = aligned_alloc(PP_CACHE_LINE, (size_t)sz);
	if (!r)
		return -ENOMEM;
	err = pp_ring_init(r, size, flags);
	if (err) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void pp_ring_destroy(struct pp_ring *r)
{
	free(r);
}
