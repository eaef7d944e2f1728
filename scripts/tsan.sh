#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tsan.sh [BUILD] — the daemon's and the shim's tests under ThreadSanitizer.
#
# Configures BUILD (default build-tsan) with -Db_sanitize=thread and runs the meson suite
# 'daemon' there: ioasidd (one thread per connection, the shared sources and pin mirror,
# the core's shared accounting) and the test programs are built with TSan; the shim never is
# (src/shim/meson.build), so a race in it shows in the test programs' own threads only.
# Also the suite 'vfio' (src/vfio's locks: SET_IRQS racing interrupts, tests/vfio). The
# example driver runs there with IOAT_VFIO_NO_MMAP=1 (its registers through pread/pwrite):
# with BAR 0 mapped, the engine's DMA runs on the device's worker inside the uninstrumented
# shim and is ordered before the program's reads only by the interrupt's eventfd, written
# through the VFIO layer's own dup of it, which TSan's fd model does not tie to the
# program's fd: it reports the completion word as a race, as it would a real device's DMA.
# The mapped path is covered by devices_mmio below, whose test owns both sides.
# Any report fails the run: TSan halts the daemon or the test at the first one.
# Then the device models' tests (src/devices: the I/OAT worker thread, BAR windows' trap
# handler racing it): devices_ioat and devices_mmio.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-tsan}
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" -Dwerror=false -Db_sanitize=thread -Db_lundef=false \
		-Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$dir" >/dev/null
TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 IOAT_VFIO_NO_MMAP=1 \
	meson test -C "$dir" --suite daemon --suite vfio --num-processes 2 --print-errorlogs
TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 \
	meson test -C "$dir" --num-processes 2 --print-errorlogs devices_ioat devices_mmio
