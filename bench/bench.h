/* SPDX-License-Identifier: MIT */
/*
 * bench.h - how a C benchmark body plugs into pp_bench.
 *
 * Benchmark bodies are C; bench/pp_bench.cc is a thin Google Benchmark
 * harness that registers every definition it finds. Each bench_<x>.c exports
 *
 *     const struct pp_bench_def *pp_bench_<x>_defs(size_t *n);
 *
 * (declared weak in the harness, so a missing file just adds nothing) and
 * returns a static array of definitions. For each one the harness calls
 * setup(param) once (it may start and pin threads), then run(state, iters)
 * repeatedly while Google Benchmark times it, then teardown(state).
 * run() does `iters` units of work and returns how many items (packets,
 * values) it moved; the harness reports items_per_second from that.
 * Names follow `<family>/<impl>/<placement>/burst:<n>` and friends.
 */
#ifndef PP_BENCH_H
#define PP_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pp_bench_def {
	const char *name;
	void *(*setup)(const void *param);	/* NULL on failure: the case is skipped with an error */
	uint64_t (*run)(void *state, uint64_t iters);
	void (*teardown)(void *state);
	const void *param;
};

#ifdef __cplusplus
}
#endif
#endif
