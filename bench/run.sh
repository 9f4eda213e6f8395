#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/run.sh - run pp_bench the way bench/RESULTS.md figures are taken, then
# an external cross-check with the shared peers' ring_bench.
#
# usage: bench/run.sh [BUILD_DIR] [extra pp_bench flags...]
#   BUILD_DIR  a meson build dir with pp_bench (default: build-bench)
# env:
#   PP_BENCH_FILTER    --benchmark_filter regex (default: everything)
#   PP_BENCH_REPS      repetitions, aggregates only (default 3)
#   PP_BENCH_MIN_TIME  seconds per repetition (default 0.2)
#   PP_BENCH_PEERS=0   skip the external ring_bench cross-check
#
# Build first:
#   meson setup build-bench --buildtype=release -Dtests=false && ninja -C build-bench -j2
#
# What the figures mean: see bench/RESULTS.md. Cross-core figures move with
# where the host puts the two vCPUs; the c2c/pingpong/crosscore case (first)
# gives the cache-line round trip at the time: compare rings only within one
# run, which is what the `ratio` lines at the end do.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
[[ $# -gt 0 ]] && shift
bin=$build/bench/pp_bench
if [[ ! -x $bin ]]; then
	echo "run.sh: no $bin; build it first:" >&2
	echo "  meson setup build-bench --buildtype=release -Dtests=false && ninja -C build-bench -j2" >&2
	exit 1
fi

echo "# $(date -u '+%F %T UTC')  $(uname -sr)  $(nproc) CPUs  $(lscpu | sed -n 's/^Model name: *//p')"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)  git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
set -x
"$bin" --benchmark_repetitions="${PP_BENCH_REPS:-3}" --benchmark_report_aggregates_only=true \
	--benchmark_min_time="${PP_BENCH_MIN_TIME:-0.2}" --benchmark_filter="${PP_BENCH_FILTER:-.}" "$@"
{ set +x; } 2>/dev/null
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- external cross-check: the shared peers' own ring_bench -----------------
# A separate program and separate runs (not the same run as the ratios above):
# it only tells whether pp_bench's ck and rte figures are in the same place.
peers=$root/../shared/peers
[[ ${PP_BENCH_PEERS:-1} == 0 ]] && exit 0
if [[ ! -f $peers/src/ring_bench.c ]]; then
	echo "# external cross-check skipped: no $peers/src/ring_bench.c"
	exit 0
fi
echo
echo "== external cross-check: $peers ring_bench (separate process, 2 s each) =="
if [[ -x $peers/build/ring_bench ]]; then
	# already built there: use its own script as is
	for q in "ck 1" "rte-burst 32"; do
		# shellcheck disable=SC2086
		PB_SECONDS=2 "$peers/ring_bench.sh" $q | sed 's/^/peers: /'
	done
else
	# build it into our build dir with its own Makefile (shared/ stays untouched)
	# and run it with ring_bench.sh's defaults
	make -s -C "$peers" BUILD="$build/peers" "$build/peers/ring_bench" >&2
	for q in "ck 1" "rte-burst 32"; do
		set -- $q
		out=$("$build/peers/ring_bench" -q "$1" -b "$2" -s 4096 -n 100000000 -t 2 -p 0 -c 1 -P 1)
		echo "peers: ring_bench: $out"
		echo "peers: ring_${1}_b${2}: $(sed -n 's/.* mops=\([^ ]*\).*/\1/p' <<<"$out") Mops/s"
	done
fi
