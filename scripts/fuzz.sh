#!/bin/bash
# Fuzz the receive side with libFuzzer (tests/fuzz/).
#
# usage: fuzz.sh --list            the targets, one per line
#        fuzz.sh TARGET SECONDS    build, then fuzz TARGET for SECONDS
#        fuzz.sh --replay          build, then run every committed seed of
#                                  every target once (no fuzzing)
#
# The build is build-fuzz/: clang, ASan + UBSan (halting on every report),
# libFuzzer coverage over the
# whole library (-fsanitize=fuzzer-no-link) and -Dfuzz=true so that the
# targets link libFuzzer's main(). Only the fuzz targets are built there.
#
# A run fuzzes a copy of the committed corpus (tests/fuzz/corpus/TARGET/, so
# it does not grow) with the dictionary tests/fuzz/rx.dict, and prints as its
# last line "fuzz TARGET: N runs, 0 crashes" (exit 0), or, after the path of
# the reproducer libFuzzer wrote, "fuzz TARGET: N runs, 1 crashes" (exit 1).
# Replay a reproducer with: build-fuzz/tests/fuzz/fuzz_TARGET FILE
# Environment: FUZZ_BUILD (build directory, default build-fuzz), FUZZ_ARGS
# (more libFuzzer flags), FUZZ_KEEP=1 (keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(rx reasm arp tcpopt)
build=${FUZZ_BUILD:-build-fuzz}

usage() {
	sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

is_target() {
	local t
	for t in "${targets[@]}"; do
		[[ $t == "$1" ]] && return 0
	done
	return 1
}

build_fuzz() {
	local opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dbench=false -Dtests=true
		-Dfuzz=true
		"-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all")

	command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
	if [[ ! -f $build/build.ninja ]]; then
		CC=clang CXX=clang++ meson setup "$build" "${opts[@]}" >/dev/null
	else
		meson configure "$build" "${opts[@]}" >/dev/null
	fi
	local t want=()
	for t in "${targets[@]}"; do
		want+=("tests/fuzz/fuzz_$t")
	done
	ninja -C "$build" "${want[@]}" >/dev/null
}

# halting sanitizers: every report is a crash (libFuzzer then writes the input)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

case ${1:-} in
--list)
	printf '%s\n' "${targets[@]}"
	exit 0
	;;
--replay)
	build_fuzz
	bad=0
	for t in "${targets[@]}"; do
		n=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
		if "$build/tests/fuzz/fuzz_$t" -runs=0 -artifact_prefix="${TMPDIR:-/tmp}/" \
			"tests/fuzz/corpus/$t" >"${TMPDIR:-/tmp}/fuzz-replay-$t.log" 2>&1; then
			echo "replay $t: $n seeds ok"
		else
			tail -n 40 "${TMPDIR:-/tmp}/fuzz-replay-$t.log"
			echo "replay $t: FAILED (log: ${TMPDIR:-/tmp}/fuzz-replay-$t.log)"
			bad=1
		fi
	done
	exit $bad
	;;
'' | -*)
	usage
	;;
esac

target=$1
secs=${2:-}
is_target "$target" || { echo "fuzz.sh: unknown target '$target' (try --list)" >&2; exit 2; }
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || usage

build_fuzz
work=$(mktemp -d "${TMPDIR:-/tmp}/pp-fuzz-$target.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
cp tests/fuzz/corpus/"$target"/* "$work/corpus/"
log=$work/fuzz.log

# rx inputs carry whole frames: let them be as long as 64 small ones
case $target in
rx) maxlen=16384 ;;
*) maxlen=4096 ;;
esac

set +e
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
"$build/tests/fuzz/fuzz_$target" -max_total_time="$secs" -dict=tests/fuzz/rx.dict \
	-max_len=$maxlen -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} "$work/corpus" >"$log" 2>&1
rc=$?
set -e

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 || true)
runs=${runs:-0}
mapfile -t found < <(find "$work/artifacts" -type f | sort)

if [[ $rc -eq 0 && ${#found[@]} -eq 0 ]]; then
	echo "$target: ${rate:-?} exec/s, ${cov:-no coverage line}, work corpus grew to $(find "$work/corpus" -type f | wc -l) inputs"
	[[ ${FUZZ_KEEP:-0} == 1 ]] && echo "work directory kept: $work" || rm -rf "$work"
	echo "fuzz $target: $runs runs, 0 crashes"
	exit 0
fi

# a crash (or libFuzzer failed): show what it said and where the input is
grep -E 'ERROR|SUMMARY|runtime error|fuzz check failed|^    #[0-9]' "$log" | head -n 40 || tail -n 40 "$log"
echo "log: $log"
for f in "${found[@]}"; do
	echo "reproducer: $f"
done
[[ ${#found[@]} -gt 0 ]] || echo "no reproducer written (libFuzzer exit $rc): see the log"
echo "fuzz $target: $runs runs, 1 crashes"
exit 1
