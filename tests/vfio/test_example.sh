#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_example.sh IOASID_RUN IOAT_VFIO [IOASIDD] - the example I/OAT driver
# (examples/ioat_vfio.c) under ioasid-run --inproc, or with IOASIDD under a private daemon
# that serves the device (plain ioasid-run), through the cdev and both group/container
# paths: each must end with its "ok" line, having copied, checked the bytes, taken the
# interrupt and seen the device report the unmapped copy. The VFIO view's private
# directory must be gone after.
set -euo pipefail
run=$1 example=$2 daemon=${3:-}
tmp=$(mktemp -d) dtmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$dtmp"' EXIT
how=(--inproc)
if [ -n "$daemon" ]; then
	how=(--socket "$dtmp/d/ioasidd.sock" --daemon "$daemon")
	export IOASID_IDLE_EXIT=2
fi
for mode in cdev type1 iommufd; do
	out=$(XDG_RUNTIME_DIR=$tmp "$run" "${how[@]}" -- "$example" "$mode")
	echo "$out"
	grep -q "ioat_vfio ($mode): ok" <<<"$out"
	grep -q "every byte checked" <<<"$out"
	grep -q "CHANERR 0x202" <<<"$out"
done
# a wrong mode fails, and says so
if XDG_RUNTIME_DIR=$tmp "$run" "${how[@]}" -- "$example" nonsense 2>/dev/null; then
	echo "test_example: a bad mode passed" >&2
	exit 1
fi
left=$(find "$tmp" -mindepth 1 | wc -l)
if [ "$left" -ne 0 ]; then
	echo "test_example: the view's directory was left behind:" >&2
	find "$tmp" -maxdepth 1 >&2
	exit 1
fi
echo "test_example (${how[0]}): 3 paths ok, nothing left in the runtime directory"
