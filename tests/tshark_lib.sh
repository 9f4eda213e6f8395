# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tshark_lib.sh - helpers for tests that read what pktpipe sent (a pcap NIC's
# file, or a capture on a veth) with tshark. Source it from a bash test:
#
#     . "$(dirname "$0")/tshark_lib.sh"
#     tl_require_tshark
#     tl_checksums_ok "$pcap" || exit 1
#     tl_expect_eq "datagrams" 100 "$(tl_count "$pcap" 'udp.dstport == 9000')" || exit 1
#
# Every helper runs tshark with checksum validation switched on for IPv4, UDP
# and TCP (tshark leaves it off by default; ICMP is always checked), with name
# resolution off (-n), and with IPv4 reassembly on (tshark's default: the UDP
# fields of a fragmented datagram show on the frame that completes it, checked
# over the whole datagram). Fields print one line per frame, separated by one
# space, an absent field as an empty string; booleans print as 1/0 whatever
# the tshark version.
#
# Checksum status fields (ip/udp/tcp/icmp.checksum.status) hold tshark's
# enum proto_checksum_enum_e: 0 bad, 1 good, 2 unverified, 3 not present
# (UDP checksum 0), 4 illegal. "Good" is 1.
#
# Helpers return 0 for success and print what went wrong on stderr otherwise;
# they never exit, except tl_require_tshark (exit 77: meson's "skipped").

# Options every tshark call gets.
TL_TSHARK_OPTS=(-n
	-o ip.check_checksum:TRUE
	-o udp.check_checksum:TRUE
	-o tcp.check_checksum:TRUE)

# Checksum status values (see above).
TL_CSUM_BAD=0
TL_CSUM_GOOD=1

# tl_have_tshark: succeed if tshark is on PATH.
tl_have_tshark() {
	command -v tshark >/dev/null 2>&1
}

# tl_require_tshark: exit 77 (meson: test skipped) with a message if tshark is
# not installed; otherwise return 0.
tl_require_tshark() {
	if ! tl_have_tshark; then
		echo "SKIP: tshark is not installed (apt-get install tshark)" >&2
		exit 77
	fi
}

# tl_tshark FILE [TSHARK ARGS...]: run tshark on FILE with TL_TSHARK_OPTS and
# the extra arguments; its "running as root" chatter is dropped from stderr,
# everything else on stderr is kept. Returns tshark's status.
tl_tshark() {
	local file=$1
	shift
	if [[ ! -r $file ]]; then
		echo "tl_tshark: cannot read '$file'" >&2
		return 2
	fi
	tshark "${TL_TSHARK_OPTS[@]}" -r "$file" "$@" \
		2> >(grep -v -e 'Running as user "root"' >&2)
}

# tl_fields FILE FILTER FIELD...: print FIELD... of each frame matching the
# display filter FILTER ("" for every frame), one line per frame, separated by
# one space (first occurrence of a repeated field), booleans as 1/0.
#   tl_fields out.pcap 'udp' ip.src udp.dstport udp.checksum.status
tl_fields() {
	local file=$1 filter=$2
	shift 2
	local args=(-T fields -E separator=/s -E occurrence=f)
	local f
	for f in "$@"; do
		args+=(-e "$f")
	done
	[[ -n $filter ]] && args+=(-Y "$filter")
	tl_tshark "$file" "${args[@]}" | sed -E 's/(^| )True( |$)/\11\2/g; s/(^| )True( |$)/\11\2/g;
		s/(^| )False( |$)/\10\2/g; s/(^| )False( |$)/\10\2/g'
	return "${PIPESTATUS[0]}"
}

# tl_count FILE [FILTER]: print how many frames match FILTER (all frames when
# FILTER is absent or empty).
tl_count() {
	local file=$1 filter=${2:-}
	local args=(-T fields -e frame.number)
	[[ -n $filter ]] && args+=(-Y "$filter")
	local out
	out=$(tl_tshark "$file" "${args[@]}") || return 1
	if [[ -z $out ]]; then
		echo 0
	else
		printf '%s\n' "$out" | wc -l
	fi
}

# tl_checksums_ok FILE [FILTER]: succeed if, among the frames matching the
# display filter FILTER (all frames when absent), no IPv4, UDP, TCP or ICMP
# checksum is bad, and none of the IPv4, UDP and TCP checksums was left
# unverified or absent (pktpipe always fills them). ICMP errors quote the
# headers of the packet they answer, whose checksums tshark may not verify:
# leave those frames out with FILTER (e.g. '!icmp'). Prints the offending
# frames on failure.
tl_checksums_ok() {
	local file=$1 only=${2:-} bad filter p
	# "==" matches if any occurrence matches (several IPv4 layers in one
	# frame), and never matches an absent field.
	filter="icmp.checksum.status == $TL_CSUM_BAD"
	for p in ip udp tcp; do
		filter+=" || ($p.checksum.status && !($p.checksum.status == $TL_CSUM_GOOD))"
		filter+=" || $p.checksum.status == $TL_CSUM_BAD"
	done
	[[ -n $only ]] && filter="($only) && ($filter)"
	bad=$(tl_fields "$file" "$filter" frame.number ip.src ip.dst ip.checksum.status \
		udp.checksum.status tcp.checksum.status icmp.checksum.status) || return 1
	if [[ -n $bad ]]; then
		echo "tl_checksums_ok: $file: frames with a checksum not good" \
			"(frame src dst ip udp tcp icmp; 0 bad, 2 unverified, 3 absent):" >&2
		printf '  %s\n' "$bad" >&2
		return 1
	fi
}

# tl_udp_summary FILE [FILTER]: one golden-style line per UDP datagram:
#   "SRC:SPORT > DST:DPORT len=UDPLEN csum=STATUS"
# (fragmented datagrams appear once, on the frame that completes them).
tl_udp_summary() {
	local file=$1 filter=${2:-}
	filter=${filter:+($filter) && }udp
	tl_fields "$file" "$filter" ip.src udp.srcport ip.dst udp.dstport udp.length \
		udp.checksum.status |
		awk '{ printf "%s:%s > %s:%s len=%s csum=%s\n", $1, $2, $3, $4, $5, $6 }'
	return "${PIPESTATUS[0]}"
}

# tl_expect_eq WHAT EXPECTED ACTUAL: succeed if ACTUAL equals EXPECTED,
# otherwise print both (with WHAT) and fail. For multi-line text, prints a diff.
tl_expect_eq() {
	local what=$1 expected=$2 actual=$3
	[[ $expected == "$actual" ]] && return 0
	if [[ $expected == *$'\n'* || $actual == *$'\n'* ]]; then
		echo "FAIL: $what differs (- expected, + actual):" >&2
		diff -u <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | tail -n +3 >&2
	else
		echo "FAIL: $what: expected '$expected', got '$actual'" >&2
	fi
	return 1
}
