#!/bin/bash
# Configures (once) and builds one build directory.
# usage: build.sh DIR [meson setup options...]
# With CI=true (as CI runs .ci/run) warnings are errors; the default options
# never make them so, since packagers and users build with other compilers.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [[ ! -f $dir/build.ninja ]]; then
	werror=()
	[[ ${CI:-} == true ]] && werror=(-Dwerror=true)
	meson setup "$dir" "${werror[@]}" "$@" >/dev/null
fi
ninja -C "$dir"
