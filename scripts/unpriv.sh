#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# unpriv.sh [BUILD] — the daemon path run by a user with no privilege at all.
#
# Run as root (CI): makes a dedicated system user (ioasid-ci, no capabilities, its own home)
# and runs as that user, with an empty capability bounding set: the daemon safety cases
# (tests/daemon/test_safety.c, call channels included; the parts that need root skip
# themselves), the kill test (tests/daemon/test_kill.c: single kills and swarms), and an unmodified
# /dev/iommu program (examples/iommufd-hello) under ioasid-run with a daemon started on
# demand, which then runs as that user too. The programs are copied to a directory the user
# can read, as the checkout may be private. Not yet run this way: the shim cases and the kernel
# selftest that pin memory, which need the daemon to open /proc/<pid>/map_files
# (CAP_SYS_ADMIN; docs/daemon.md). Prints "unpriv: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
user=ioasid-ci
if [ "$(id -u)" -ne 0 ]; then
	echo "unpriv: needs root to make the user; not run" >&2
	exit 0
fi
id "$user" >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin "$user"
home=$(getent passwd "$user" | cut -d: -f6)
# the programs, copied where the user can reach them (the checkout may be private)
bin=$(mktemp -d /tmp/ioasid-unpriv-XXXXXX)
trap 'rm -rf "$bin"' EXIT
cp "$build/tests/daemon/test_safety" "$build/tests/daemon/test_kill" "$build/src/daemon/ioasidd" "$build/tools/ioasid-run" \
	"$build/src/shim/libioasid-preload.so" "$build/examples/iommufd-hello" "$bin/"
chmod 755 "$bin"
logs=$bin/logs
mkdir "$logs" && chown "$user" "$logs"
as_user() {
	setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs -- env -i HOME="$home" PATH=/usr/bin:/bin \
		IOASID_IDLE_EXIT=2 "$@"
}
passed=0 failed=0 skipped=0
for c in zero_len slow_reader objects fd_limits map_file_areas conn_soak squat pid_reuse \
	chan_inject chan_bad chan_slow_reader chan_limits; do
	as_user timeout 300 "$bin/test_safety" "$bin/ioasidd" "$c" >"$logs/$c.log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "unpriv: $c ok" ;;
	77) skipped=$((skipped + 1)); echo "unpriv: $c skipped ($(tail -n 1 "$logs/$c.log"))" ;;
	*) failed=$((failed + 1)); echo "unpriv: $c FAILED"; tail -n 20 "$logs/$c.log" ;;
	esac
done
# clients SIGKILLed mid-call, one by one and 100 at once: the daemon serves the survivor
# throughout and comes back to its baseline
if as_user timeout 300 "$bin/test_kill" "$bin/ioasidd" 200 >"$logs/kill.log" 2>&1; then
	passed=$((passed + 1)); echo "unpriv: kill ok"
else
	failed=$((failed + 1)); echo "unpriv: kill FAILED"; tail -n 20 "$logs/kill.log"
fi
if as_user sh -c "d=\$(mktemp -d) && timeout 60 '$bin/ioasid-run' --socket \$d/ioasidd.sock \
	--daemon '$bin/ioasidd' --shim '$bin/libioasid-preload.so' -- '$bin/iommufd-hello'" \
	>"$logs/hello.log" 2>&1; then
	passed=$((passed + 1)); echo "unpriv: iommufd-hello under ioasid-run ok"
else
	failed=$((failed + 1)); echo "unpriv: iommufd-hello FAILED"; tail -n 20 "$logs/hello.log"
fi
echo "unpriv: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
