// SPDX-License-Identifier: MIT
/*
 * toolkit.c - the exported functions of the ring and pool toolkit
 * (<pktpipe/toolkit/ring.h>, <pktpipe/toolkit/pool.h>).
 *
 * There is no code here. The data-path calls are written once, in
 * core/ring.h and core/pool.h, each marked PP__INLINE: `static inline` in
 * every other file of the library, which inlines them (the library's code
 * is what it was before the toolkit). This file defines PP__INLINE empty,
 * so that here the very same definitions are ordinary external functions
 * under the same names: those the toolkit headers declare PP_API are
 * exported; the rest (in-place ring calls, the pool's helpers) are hidden
 * and unused. The toolkit headers come first, so the compiler checks their
 * declarations against the definitions: the two cannot drift.
 *
 * A toolkit call is an inline call behind one function call; within this
 * file a call between exported functions (pp_skb_alloc() ->
 * pp_skb_alloc_burst()) goes through the PLT like any interposable one.
 */
#define PP__INLINE /* external definitions: see above */

#include <pktpipe/toolkit/pool.h>
#include <pktpipe/toolkit/ring.h>

#include "core/pool.h"
#include "core/ring.h"
