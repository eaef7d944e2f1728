#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run the meson test suite in each build directory given and print one closing line:
#   N passed, N failed, N skipped
# Exit status is non-zero if any test failed or timed out.
set -uo pipefail
passed=0 failed=0 skipped=0
for dir in "$@"; do
	echo "== tests in $dir"
	meson test -C "$dir" --num-processes 2 --print-errorlogs >"$dir/test-summary.txt" 2>&1
	status=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-summary.txt" || true
	ok=$(awk '/^Ok:/{print $2}' "$dir/test-summary.txt")
	fail=$(awk '/^Fail:/{print $2}' "$dir/test-summary.txt")
	xpass=$(awk '/^Unexpected Pass:/{print $3}' "$dir/test-summary.txt")
	tout=$(awk '/^Timeout:/{print $2}' "$dir/test-summary.txt")
	skip=$(awk '/^Skipped:/{print $2}' "$dir/test-summary.txt")
	if [ -z "$ok" ]; then
		cat "$dir/test-summary.txt"
		echo "run-tests: meson test did not report a summary for $dir"
		failed=$((failed + 1))
		continue
	fi
	if [ "$status" -ne 0 ]; then
		sed -n '/^Summary of Failures/,$p' "$dir/test-summary.txt"
	fi
	passed=$((passed + ok))
	failed=$((failed + fail + ${xpass:-0} + ${tout:-0}))
	skipped=$((skipped + ${skip:-0}))
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
