#!/bin/bash
# Quick-start command 1: install what is missing, build (release), run the main
# job: pp-udpgen through the whole UDP journey.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build-release --buildtype=release -Dtests=false
exec ./build-release/tools/pp-udpgen --nic null --seconds 5 "$@"
