#!/bin/bash
# Quick-start command 2: install what is missing, build, run every test.
# Run as root: the netns suite makes veth pairs and namespaces (and removes them).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2 "$@"
