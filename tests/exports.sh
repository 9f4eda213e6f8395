#!/bin/bash
# SPDX-License-Identifier: MIT
# exports.sh - the shared library exports exactly what src/libpktpipe.map
# lists, and the map lists exactly what the public headers declare PP_API.
#
#   nm -D --defined-only libpktpipe.so  ==  map's global: list  ==  PP_API names
#
# so an accidental export (a helper that escaped `local: *` through a glob),
# a forgotten one (a new PP_API function missing from the map: it links in
# the static archive the tests use, and fails only for users of the .so) and
# a stale map entry (a function removed but still listed) all fail here.
# usage: exports.sh LIBPKTPIPE_SO MAPFILE INCLUDE_DIR
set -euo pipefail
so=$1 map=$2 inc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v nm >/dev/null || { echo "nm not found: skip"; exit 77; }

# defined dynamic symbols, less the version node itself (an absolute symbol)
nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	LC_ALL=C sort -u >"$tmp/nm"
# the names between "global:" and "local:" in the (one) version node
sed -e 's|/\*.*\*/||g' -e '/\/\*/,/\*\//d' "$map" |
	awk '/global:/ { g = 1; next } /local:/ { g = 0 } g { gsub(/[ \t;]/, ""); if ($0 != "") print }' |
	LC_ALL=C sort -u >"$tmp/map"
# every PP_API declaration of the public headers (the name before its '(')
grep -rh --include='*.h' 'PP_API ' "$inc/pktpipe" | grep -v '#[[:space:]]*define' |
	grep -oE 'PP_API [^(;]*\(' | sed -E 's/.*[ *]([A-Za-z_0-9]+)\($/\1/' | LC_ALL=C sort -u >"$tmp/api"

rc=0
if grep -q '[*?]' "$tmp/map"; then
	echo "FAIL: $map has a glob in its global: list; name every symbol"
	rc=1
fi
if ! grep -q '^PKTPIPE_[0-9]' "$map"; then
	echo "FAIL: $map has no named version node (PKTPIPE_x.y { ... })"
	rc=1
fi
if ! diff -u --label "map global:" --label "nm -D --defined-only" "$tmp/map" "$tmp/nm"; then
	echo "FAIL: the library exports other symbols than the map lists (+ exported, not listed)"
	rc=1
fi
if ! diff -u --label "map global:" --label "PP_API in include/pktpipe" "$tmp/map" "$tmp/api"; then
	echo "FAIL: the map and the public headers' PP_API declarations differ"
	rc=1
fi
# every exported symbol carries the version node (where nm shows versions)
if nm -D --defined-only "$so" | grep -q '@' && nm -D --defined-only "$so" | awk '$2 != "A"' | grep -v '@@PKTPIPE_0\.1$' | grep -q .; then
	nm -D --defined-only "$so" | awk '$2 != "A"' | grep -v '@@PKTPIPE_0\.1$' || true
	echo "FAIL: symbols without the PKTPIPE_0.1 version"
	rc=1
fi
[[ $rc == 0 ]] && echo "ok: $(wc -l <"$tmp/nm") symbols exported, all listed, all PP_API"
exit $rc
