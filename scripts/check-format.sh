#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-format.sh [SRCDIR] - every C source and header follows .clang-format. Prints the
# files that do not and exits 1; `clang-format -i FILE` fixes one.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find include src tests bench fuzz examples tools -name '*.[ch]')
fi
bad=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f"
		bad=$((bad + 1))
	fi
done
echo "format: ${#files[@]} files checked, $bad not following .clang-format"
[ "$bad" -eq 0 ]
