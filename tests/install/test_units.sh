#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_units.sh SOCKET_UNIT SERVICE_UNIT IOASIDD IOASID_RUN IOMMUFD_HELLO
#
# The systemd user units, as configured for installation (ExecStart names BINDIR/ioasidd):
#  1. `systemd-analyze --user verify` accepts them, with nothing to say. The copy verified
#     differs from the installed one in a single place: ExecStart's program is the build
#     tree's ioasidd, since verify checks that the program exists. Where systemd-analyze
#     cannot run (not installed, or no user manager can be simulated here) this step says so
#     and is not counted as passed; the exit status then is 77 (meson's "skipped") unless
#     step 2 ran and passed, in which case the test passes on step 2 alone and says so.
#  2. Socket activation as the units set it up, without a running systemd: the socket unit's
#     ListenSequentialPacket path (%t expanded to a private XDG_RUNTIME_DIR) is opened by
#     systemd-socket-activate, which executes the service's ExecStart command line with
#     LISTEN_FDS/LISTEN_PID as systemd would. An unmodified /dev/iommu program then runs
#     under `ioasid-run --no-daemon` with no socket named: it must find the daemon at its
#     default path, i.e. the unit's path is the one clients use. SIGTERM must end the daemon
#     with status 0 and leave the socket file, which belongs to systemd, in place.
set -uo pipefail
socket_unit=$1 service_unit=$2 ioasidd=$3 ioasid_run=$4 hello=$5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ioasid-units.XXXXXX")
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "test_units: FAILED: $*" >&2
	exit 1
}
key() { # key FILE NAME: the value of NAME= in FILE (the last one)
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

exec_start=$(key "$service_unit" ExecStart)
listen=$(key "$socket_unit" ListenSequentialPacket)
[ -n "$exec_start" ] || fail "ioasidd.service has an ExecStart"
[ "$listen" = "%t/ioasid/ioasidd.sock" ] ||
	fail "ioasidd.socket listens where clients look: %t/ioasid/ioasidd.sock (got '$listen')"
[ "$(key "$socket_unit" SocketMode)" = 0600 ] || fail "ioasidd.socket: SocketMode=0600"
[[ $exec_start == /*/ioasidd\ * ]] || fail "ExecStart runs an absolute ioasidd: $exec_start"
exe=${exec_start%% *} args=${exec_start#* }
echo "ExecStart: $exec_start"

verified=0
# 1. systemd-analyze verify
mkdir -p "$tmp/units" "$tmp/run"
cp "$socket_unit" "$tmp/units/ioasidd.socket"
sed "s|^ExecStart=$exe |ExecStart=$ioasidd |" "$service_unit" >"$tmp/units/ioasidd.service"
if ! command -v systemd-analyze >/dev/null; then
	echo "test_units: systemd-analyze is not installed: the units were NOT verified by systemd"
else
	out=$(cd "$tmp/units" && XDG_RUNTIME_DIR=$tmp/run systemd-analyze --user --man=no verify \
		./ioasidd.socket ./ioasidd.service 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -q "Failed to initialize manager" <<<"$out"; then
		echo "test_units: systemd-analyze cannot simulate a user manager here: the units" \
			"were NOT verified by systemd ($out)"
	elif [ $rc -ne 0 ] || [ -n "$out" ]; then
		fail "systemd-analyze --user verify (status $rc): $out"
	else
		echo "systemd-analyze --user verify: clean ($(systemd-analyze --version | head -n 1))"
		verified=1
	fi
fi

# 2. socket activation, the way the units do it
if ! command -v systemd-socket-activate >/dev/null; then
	echo "test_units: systemd-socket-activate is not installed: activation NOT tested"
	[ $verified -eq 1 ] && exit 0
	exit 77
fi
xdg=$tmp/xdg
mkdir -m 0700 -p "$xdg/ioasid"
sock=${listen/\%t/$xdg}
# shellcheck disable=SC2086 # ExecStart's arguments are words
systemd-socket-activate --seqpacket -l "$sock" -- "$ioasidd" $args -v >"$tmp/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.05
done
[ -S "$sock" ] || fail "systemd-socket-activate listens on $sock"
out=$(env -u IOASID_SOCKET -u IOASID_DAEMON XDG_RUNTIME_DIR="$xdg" IOASID_DEBUG=1 \
	"$ioasid_run" --no-daemon -- "$hello" 2>&1) || {
	cat "$tmp/daemon.log"
	fail "iommufd-hello against the socket-activated daemon: $out"
}
echo "$out" | tail -n 1
grep -q "listening on fd 3 (systemd)" "$tmp/daemon.log" ||
	{ cat "$tmp/daemon.log"; fail "the daemon took the socket from LISTEN_FDS"; }
grep -q "client pid [0-9]* uid" "$tmp/daemon.log" || fail "the daemon served the client"
kill -TERM "$daemon"
wait "$daemon"
status=$?
daemon=
[ $status -eq 0 ] || { cat "$tmp/daemon.log"; fail "SIGTERM: the daemon exits 0 (got $status)"; }
[ -S "$sock" ] || fail "the daemon left systemd's socket file in place"
echo "socket activation: ioasidd took fd 3, served iommufd-hello, exited 0 on SIGTERM"
if [ $verified -eq 0 ]; then
	echo "test_units: passed on socket activation alone (systemd-analyze verify did not run)"
fi
echo "test_units: OK"
