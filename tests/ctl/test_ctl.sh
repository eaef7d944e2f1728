#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_ctl.sh - ioasidctl against a real daemon, every subcommand, in text and JSON.
#
#   test_ctl.sh IOASIDCTL IOASIDD IOASID_RUN IOMMUFD_GRAPH CTL_PEER
#
# Outside a daemon: bad arguments (one line on stderr, status 2) and a daemon that is not
# running (status 3). Then iommufd-graph builds objects under ioasid-run and runs this
# script again ("inner") while they live: the JSON must name exactly those objects (their
# IDs, links, IOVAs and sizes come from iommufd-graph's environment), the text must show
# them, iotlb gives the daemon's counters, the kinds this build lacks say so (status 4), and ctl_peer attacks the channel (bad
# requests, another user).
set -u
CTL=$1 DAEMON=$2 RUN=$3 GRAPH=$4 PEER=$5
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD...: CMD exits with STATUS; with a non-zero STATUS its stderr is
# one line "ioasidctl: ..." matching PATTERN.
expect() {
	local want=$1 pat=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$* -> status $rc, wanted $want ($err)"
		return
	fi
	if [ "$want" -ne 0 ]; then
		if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [[ "$err" != "ioasidctl: "* ]] ||
			! grep -q -- "$pat" <<<"$err"; then
			fail "$* -> stderr '$err', wanted one line matching '$pat'"
		fi
	fi
}

# jqcheck WHAT JSON FILTER: the filter (with --exit-status) holds on the JSON
jqcheck() {
	if ! jq -e "$3" >/dev/null <<<"$2"; then
		fail "$1: jq '$3' does not hold"
	fi
}

inner() {
	local P=$IOASID_GRAPH_PID IOAS=$IOASID_GRAPH_IOAS HWPT=$IOASID_GRAPH_HWPT
	local DEV=$IOASID_GRAPH_DEV FIO=$IOASID_GRAPH_IOVA_FILE AIO=$IOASID_GRAPH_IOVA_ANON
	local j t dir
	dir=$(mktemp -d)

	# status
	t=$("$CTL" status) || fail "status"
	grep -q "^daemon    pid [0-9]" <<<"$t" || fail "status text: no daemon line"
	grep -Eq "^  $P +[0-9]+ +iommufd-graph" <<<"$t" || fail "status text: no client $P"
	j=$("$CTL" -j status) || fail "status -j"
	jqcheck status "$j" '.daemon.pid > 0 and .daemon.uptime_s >= 0 and .daemon.limits.max_message_bytes > 0'
	jqcheck status "$j" "[.clients[] | select(.pid == $P and .command == \"iommufd-graph\")] | length == 1"
	jqcheck status "$j" "(.clients[] | select(.pid == $P) | .proc_pinned_pages) == 528"
	jqcheck status "$j" "(.clients[] | select(.pid == $P) | .context.ioas) == 1"
	jqcheck status "$j" '.users | length >= 1'

	# objects: exactly what iommufd-graph made
	t=$("$CTL" objects --pid "$P") || fail "objects"
	grep -Eq "^  $IOAS +ioas " <<<"$t" || fail "objects text: no IOAS $IOAS"
	j=$("$CTL" --json objects --pid "$P") || fail "objects -j"
	jqcheck objects "$j" ".contexts | length == 1 and .[0].pid == $P"
	jqcheck objects "$j" ".contexts[0].context.objects[] | select(.id == $IOAS) | .type == \"ioas\" and .areas == 2 and .mapped_bytes == 2162688"
	if [ "$HWPT" -ne 0 ]; then
		jqcheck objects "$j" ".contexts[0].context.objects | length == 4"
		jqcheck objects "$j" ".contexts[0].context.objects[] | select(.id == $HWPT) | .type == \"hwpt_paging\" and .links.ioas == $IOAS and .devices == 1 and .format == \"mock\""
		jqcheck objects "$j" ".contexts[0].context.objects[] | select(.id == $DEV) | .type == \"device\" and .links.hwpt == $HWPT"
		jqcheck objects "$j" ".contexts[0].context.objects[] | select(.type == \"selftest\") | .links.device == $DEV"
	else
		jqcheck objects "$j" ".contexts[0].context.objects | length == 1"
	fi
	expect 1 "no context of pid 1" "$CTL" objects --pid 1

	# ioas
	t=$("$CTL" ioas "$IOAS") || fail "ioas"
	grep -q "^areas: 2" <<<"$t" || fail "ioas text: areas"
	j=$("$CTL" -j ioas "$IOAS" --pid "$P") || fail "ioas -j"
	jqcheck ioas "$j" ".pid == $P and .context.id == $IOAS and (.context.areas | length) == 2"
	jqcheck ioas "$j" ".context.areas[] | select(.start == \"$FIO\") | .backing == \"file\" and .length == 2097152 and .pinned and .file_offset == \"0x0\""
	jqcheck ioas "$j" ".context.areas[] | select(.start == \"$AIO\") | .backing == \"user\" and .length == 65536 and .pinned_pages == 16 and .prot == [\"read\", \"cache\"]"
	jqcheck ioas "$j" '.context.iova_ranges | length >= 1'
	"$CTL" ioas "$IOAS" --svg "$dir/map.svg" >/dev/null || fail "ioas --svg"
	head -c 5 "$dir/map.svg" | grep '<?xml' >/dev/null || fail "svg: not XML"
	[ "$(grep -c "fill='#4a90d9'" "$dir/map.svg")" -ge 2 ] || fail "svg: no file area"
	[ "$(grep -c "fill='#e07b39'" "$dir/map.svg")" -ge 2 ] || fail "svg: no user area"
	grep -q "$FIO" "$dir/map.svg" || fail "svg: the file area's start is not labelled"
	expect 1 "ioas 4000000: no such object" "$CTL" ioas 4000000

	# pt
	if [ "$HWPT" -ne 0 ]; then
		t=$("$CTL" pt "$HWPT" --iova "$AIO") || fail "pt --iova"
		grep -q "=> pa 0x" <<<"$t" || fail "pt walk text: no result"
		j=$("$CTL" -j pt "$HWPT" --iova "$AIO") || fail "pt --iova -j"
		jqcheck pt "$j" ".context.result.mapped and .context.result.leaf_level == 0 and (.context.steps | length) == .context.levels"
		jqcheck pt "$j" '.context.steps[-1].kind == "leaf" and (.context.steps[-1].flags | index("P") != null)'
		j=$("$CTL" -j pt "$HWPT") || fail "pt -j"
		# (2 MiB + 64 KiB) of 2 KiB mock pages, each a level-0 leaf
		jqcheck pt "$j" '[.context.tables[].entries[] | select(.kind == "leaf")] | length == 1056'
		jqcheck pt "$j" '.context.truncated == false and (.context.tables | length) == .context.table_pages'
		"$CTL" pt "$HWPT" | grep "^level 0 table" >/dev/null || fail "pt text"
		expect 1 "not a paging HWPT" "$CTL" pt "$IOAS"
		expect 1 "not an IOAS" "$CTL" ioas "$HWPT"
		j=$("$CTL" -p pt "$HWPT" --iova "$FIO") || fail "pt -p"
		[ "$(wc -l <<<"$j")" -gt 10 ] || fail "-p is not pretty"
		jqcheck pt "$j" '.context.result.mapped'
	fi

	# a second program with the same IDs: ioas needs --pid to choose
	"$GRAPH" -- bash -c '
		err=$("$0" ioas "$1" 2>&1 >/dev/null); rc=$?
		[ $rc -eq 1 ] && grep -q "several contexts (pids" <<<"$err" &&
		"$0" -j ioas "$1" --pid "$IOASID_GRAPH_PID" | jq -e ".pid == $IOASID_GRAPH_PID" >/dev/null &&
		[ "$("$0" -j objects | jq ".contexts | length")" -eq 2 ]' "$CTL" "$IOAS" >/dev/null ||
		fail "two contexts holding the same ID"

	# dump: everything, JSON in any case
	j=$("$CTL" -j dump --pid "$P") || fail "dump"
	jqcheck dump "$j" ".contexts[0].context.ioas[0].id == $IOAS"

	# the IOTLB's counters: the daemon's, whatever context
	j=$("$CTL" -j iotlb) || fail "iotlb -j"
	jqcheck iotlb "$j" '.scope == "process" and .entries_listed == false'
	jqcheck iotlb "$j" '.stats | (.hits >= 0 and .misses >= 0 and .fills >= 0 and .invalidations >= 0 and .entries_dropped >= 0)'
	t=$("$CTL" iotlb) || fail "iotlb"
	grep -Eq "^  misses +[0-9]+$" <<<"$t" || fail "iotlb text: no misses line"
	# fault queues: the daemon asks each context (this program made none); no platform yet
	j=$("$CTL" -j faults --pid "$P") || fail "faults -j"
	jqcheck faults "$j" '.contexts | length == 1'
	jqcheck faults "$j" '.contexts[0].context | (.faults | length) == 0 and (.veventqs | length) == 0'
	t=$("$CTL" faults --pid "$P") || fail "faults"
	grep -Eq "^  fault queues 0, vEVENTQs 0$" <<<"$t" || fail "faults text"
	expect 4 "no platform IOMMUs" "$CTL" devices

	# the channel under attack, and another user
	"$PEER" "$IOASID_SOCKET.ctl" "$CTL"
	case $? in
	0) ;;
	77) echo "ctl_peer: another-user checks skipped (not root)" ;;
	*) fail "ctl_peer" ;;
	esac
	rm -rf "$dir"
	[ "$fails" -eq 0 ]
}

if [ "${6:-}" = inner ]; then
	inner
	exit $?
fi

work=$(mktemp -d /tmp/ioasidctl-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
export IOASID_SOCKET=$work/run/ioasidd.sock

# bad arguments: status 2, one line
expect 2 "no command" "$CTL"
expect 2 "unknown command 'frobnicate'" "$CTL" frobnicate
expect 2 "ambiguous" "$CTL" d
expect 2 "missing the IOAS ID" "$CTL" ioas
expect 2 "not a number" "$CTL" ioas abc
expect 2 "IDs start at 1" "$CTL" ioas 0
expect 2 "out of range" "$CTL" ioas 4294967296
expect 2 "unexpected argument '2'" "$CTL" ioas 1 2
expect 2 "not a number" "$CTL" pt 1 --iova 0xzz
expect 2 "not a number" "$CTL" pt 1 --iova -1
expect 2 "takes no --pid" "$CTL" status --pid 5
expect 2 "takes no --iova" "$CTL" ioas 1 --iova 0
expect 2 "takes no --svg" "$CTL" objects --svg x.svg
expect 2 "unknown option '--bogus'" "$CTL" --bogus status
expect 2 "needs an argument" "$CTL" objects --pid
expect 2 "out of range" "$CTL" objects --pid 0
"$CTL" --help | grep "^usage: ioasidctl" >/dev/null || fail "--help"

# no daemon: status 3, whichever way the socket is named
expect 3 "no daemon is running at $work/run/ioasidd.sock" "$CTL" status
expect 3 "no daemon is running at $work/none.sock" "$CTL" --socket "$work/none.sock" objects
expect 3 "no daemon is running" "$CTL" -s "$work/none.sock.ctl" pt 1 --iova 0

# a daemon of our own, in the foreground: it must exit 0 on SIGTERM at the end (in the
# sanitizer build: no leak, no error in the control channel's paths)
"$DAEMON" --socket "$IOASID_SOCKET" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 100); do
	[ -S "$IOASID_SOCKET.ctl" ] && break
	sleep 0.05
done
[ -S "$IOASID_SOCKET.ctl" ] || fail "no control socket beside $IOASID_SOCKET"

# with a live object graph
"$RUN" --socket "$IOASID_SOCKET" --no-daemon -- "$GRAPH" -- \
	bash "$0" "$CTL" "$DAEMON" "$RUN" "$GRAPH" "$PEER" inner || fail "inside the daemon"

# contexts coming and going while ioasidctl reads them
(for _ in $(seq 15); do
	"$RUN" --socket "$IOASID_SOCKET" --no-daemon -- "$GRAPH" -- true >/dev/null || exit 1
done) &
churn=$!
for _ in $(seq 30); do
	"$CTL" -j objects >/dev/null || fail "objects while contexts churn"
	"$CTL" -j status >/dev/null || fail "status while contexts churn"
	"$CTL" -j dump >/dev/null || fail "dump while contexts churn"
done
wait "$churn" || fail "the churning programs"

kill -TERM "$daemon"
wait "$daemon" || { fail "the daemon exited with status $?"; cat "$work/daemon.log" >&2; }
[ ! -e "$IOASID_SOCKET.ctl" ] || fail "the control socket outlived the daemon"
echo "test_ctl: $fails failures"
[ "$fails" -eq 0 ]
