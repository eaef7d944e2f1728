#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ThreadSanitizer run of the concurrent IOMMU tests: builds the library's sources and
# tests/iommu/test_concurrent.c with -fsanitize=thread into a scratch directory and runs the
# result; any data race report fails it (halt_on_error).
#   run-tsan.sh SOURCE_ROOT SCRATCH_DIR [CC]
set -euo pipefail
root=$1
out=$2
cc=${3:-cc}
mkdir -p "$out"
srcs=()
for f in "$root"/src/util/*.c "$root"/src/core/*.c "$root"/src/pt/*.c "$root"/src/iommu/*.c; do
	case "$f" in */core/selftest.c) continue ;; esac
	srcs+=("$f")
done
warn=()
[ "$cc" = gcc ] && warn=(-Wno-tsan) # seqlock fences: every field is atomic anyway
nice "$cc" "${warn[@]}" -std=gnu11 -O1 -g -fsanitize=thread -D_GNU_SOURCE -DIOASID_HAVE_PT=1 \
	-fno-strict-aliasing -I"$root/include" -I"$root/include/uapi" -I"$root/src" \
	"${srcs[@]}" "$root/tests/iommu/test_concurrent.c" \
	-o "$out/test_concurrent_tsan" -lcmocka -lpthread
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$out/test_concurrent_tsan"
