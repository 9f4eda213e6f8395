#!/bin/bash
# Quick-start command 1: install what is missing, build (release), run the main
# job: pp-udpgen through the whole UDP journey over AF_XDP into a veth pair
# with the Linux kernel as the peer (the null NIC when that is not possible).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build-release --buildtype=release -Dtests=false
exec ./scripts/demo-veth.sh build-release 5 "$@"
