#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_matrix.sh IOASID_RUN TEST_MATRIX IOASIDD - the same VFIO call sequence
# (tests/vfio/test_matrix.c) in-process (ioasid-run --inproc) and with the devices in a
# private daemon (plain ioasid-run): each run must pass its own checks (the kernel's
# answers), and the two transcripts must be the same line for line.
set -euo pipefail
run=$1 prog=$2 daemon=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IOASID_IDLE_EXIT=2
rc=0
XDG_RUNTIME_DIR=$tmp "$run" --inproc -- "$prog" >"$tmp/inproc.txt" || rc=1
"$run" --socket "$tmp/d/ioasidd.sock" --daemon "$daemon" -- "$prog" >"$tmp/daemon.txt" || rc=1
grep FAIL "$tmp/inproc.txt" | sed 's/^/in-process: /' >&2 || true
grep FAIL "$tmp/daemon.txt" | sed 's/^/daemon: /' >&2 || true
if ! diff -u --label in-process --label daemon "$tmp/inproc.txt" "$tmp/daemon.txt"; then
	echo "test_matrix: the back ends answer differently (above)" >&2
	rc=1
fi
[ "$(tail -n 1 "$tmp/inproc.txt")" = done ] && [ "$(tail -n 1 "$tmp/daemon.txt")" = done ] || rc=1
echo "test_matrix: $(wc -l <"$tmp/inproc.txt") lines in each transcript; $([ $rc = 0 ] && echo same || echo FAILED)"
exit $rc
