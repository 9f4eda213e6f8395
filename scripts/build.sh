#!/bin/bash
# Configures (once) and builds one build directory.
# usage: build.sh DIR [meson setup options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [[ ! -f $dir/build.ninja ]]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
