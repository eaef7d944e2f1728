#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_platform_opt.sh IOASID_RUN IOAT_VFIO - ioasid-run --platform FILE.
#
# A platform file with two I/OAT channels at BDFs of its own, behind a VT-d IOMMU: the
# program sees exactly those devices in /sys/bus/pci/devices (not the default platform's),
# and the example driver binds and copies through the first. A file with a mistake is
# refused before the command runs (exit 2, the line named, the command never started), as
# is a file that does not exist. Without --inproc the daemon ioasid-run starts serves the
# file's devices (the program sees them and the example copies through the daemon), and a
# daemon already running with another platform is refused (exit 1, nothing run).
set -euo pipefail
run=$1 example=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/two.ini" <<'INI'
# two I/OAT channels behind one VT-d unit, in groups of their own
[iommu dmar0]
kind = vtd

[device 0000:3a:04.0]
iommu = dmar0
vendor = 0x8086
device = 0x2021
class = 0x088000
model = ioat
bar0 = 16K mem64
msix = 1
msix-table = 0x2000 ; the channel's registers are at the start of BAR 0
msix-pba = 0x3000

[device 0000:3a:04.1]
iommu = dmar0
vendor = 0x8086
device = 0x2021
class = 0x088000
model = ioat
bar0 = 16K mem64
msix = 1
msix-table = 0x2000 ; the channel's registers are at the start of BAR 0
msix-pba = 0x3000
INI
# the first of them alone: another platform
sed '/^\[device 0000:3a:04.1\]/,$d' "$tmp/two.ini" >"$tmp/one.ini"
devs=$(XDG_RUNTIME_DIR=$tmp "$run" --inproc --platform "$tmp/two.ini" -- ls /sys/bus/pci/devices)
echo "devices: $(echo $devs)"
[ "$(echo $devs)" = "0000:3a:04.0 0000:3a:04.1" ] || {
	echo "test_platform_opt: expected the file's two devices" >&2
	exit 1
}
out=$(XDG_RUNTIME_DIR=$tmp "$run" --inproc --platform "$tmp/two.ini" -- "$example" cdev)
grep -q "ioat_vfio (cdev): ok" <<<"$out"
grep -q "0000:3a:04" <<<"$out"
echo "example on the file's platform: ok"

# the daemon's devices: a private daemon started with the file (gone 2 s after its last client)
sock=$tmp/d/ioasidd.sock
export IOASID_IDLE_EXIT=2
devs=$(XDG_RUNTIME_DIR=$tmp "$run" --socket "$sock" --platform "$tmp/two.ini" -- \
	ls /sys/bus/pci/devices)
[ "$(echo $devs)" = "0000:3a:04.0 0000:3a:04.1" ] || {
	echo "test_platform_opt: the daemon does not show the file's two devices: $devs" >&2
	exit 1
}
out=$(XDG_RUNTIME_DIR=$tmp "$run" --socket "$sock" --platform "$tmp/two.ini" -- "$example" type1)
grep -q "ioat_vfio (type1): ok" <<<"$out"
grep -q "0000:3a:04" <<<"$out"
echo "example on the daemon's platform from the file: ok"
# that daemon is running: the default platform is not what it serves
rc=0
err=$(XDG_RUNTIME_DIR=$tmp "$run" --socket "$sock" --platform "$tmp/one.ini" -- \
	touch "$tmp/ran" 2>&1) || rc=$?
echo "ioasid-run with another platform for a running daemon: exit $rc: $err"
[ "$rc" -eq 1 ] && [ ! -e "$tmp/ran" ] && grep -q "another platform" <<<"$err" || {
	echo "test_platform_opt: a running daemon's other platform was not refused" >&2
	exit 1
}

# refused before running anything: a bad line, a missing file
printf '[iommu x]\nkind = vtd\n[device 0000:00:01.0]\niommu = x\nvendor = 0\n' >"$tmp/bad.ini"
for args in "--inproc --platform $tmp/bad.ini" "--platform $tmp/bad.ini" \
	"--inproc --platform $tmp/missing.ini"; do
	rc=0
	# shellcheck disable=SC2086
	err=$(XDG_RUNTIME_DIR=$tmp "$run" $args -- touch "$tmp/ran" 2>&1) || rc=$?
	echo "ioasid-run $args: exit $rc: $err"
	[ "$rc" -eq 2 ] || { echo "test_platform_opt: expected exit 2" >&2; exit 1; }
	[ ! -e "$tmp/ran" ] || { echo "test_platform_opt: the command ran" >&2; exit 1; }
done
err=$(XDG_RUNTIME_DIR=$tmp "$run" --inproc --platform "$tmp/bad.ini" -- true 2>&1) || true
grep -q "line 5" <<<"$err" || { echo "test_platform_opt: the bad line is not named" >&2; exit 1; }
echo "test_platform_opt: ok"
