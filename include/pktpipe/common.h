/* SPDX-License-Identifier: MIT */
/*
 * pktpipe/common.h - macros every public header uses: export, cache line,
 * branch hints, the burst size. No functions.
 */
#ifndef PKTPIPE_COMMON_H
#define PKTPIPE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the public API; everything else in the library is hidden. */
#if defined(PP_BUILDING_LIB)
#define PP_API __attribute__((visibility("default")))
#else
#define PP_API
#endif

/** Cache line size the data layout is built for (x86-64, arm64 Neoverse). */
#define PP_CACHE_LINE 64

/** Default burst: skbs moved per ring operation and per stage call. */
#define PP_BURST 32
/** Largest burst a stage is ever handed. */
#define PP_BURST_MAX 256

#define PP_LIKELY(x) __builtin_expect(!!(x), 1)
#define PP_UNLIKELY(x) __builtin_expect(!!(x), 0)

#ifdef __cplusplus
}
#endif
#endif /* PKTPIPE_COMMON_H */
