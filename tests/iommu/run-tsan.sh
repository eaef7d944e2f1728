#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ThreadSanitizer run of the concurrent IOMMU tests: builds the library's sources,
# tests/iommu/test_concurrent.c and test_iopf.c with -fsanitize=thread into a scratch
# directory and runs them; any data race report fails it (halt_on_error).
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
flags=(-std=gnu11 -O1 -g -fsanitize=thread -D_GNU_SOURCE -DIOASID_HAVE_PT=1 -fno-strict-aliasing
	-I"$root/include" -I"$root/include/uapi" -I"$root/src")
# the library's objects once, then one binary per test
objs=()
for f in "${srcs[@]}"; do
	o="$out/$(basename "$(dirname "$f")")_$(basename "$f" .c).o"
	nice "$cc" "${warn[@]}" "${flags[@]}" -c "$f" -o "$o"
	objs+=("$o")
done
nice "$cc" "${warn[@]}" "${flags[@]}" "${objs[@]}" "$root/tests/iommu/test_concurrent.c" \
	-o "$out/test_concurrent_tsan" -lcmocka -lpthread
# I/O page faults: DMA threads waiting for the answers the main thread writes
nice "$cc" "${warn[@]}" "${flags[@]}" "${objs[@]}" "$root/tests/iommu/test_iopf.c" \
	"$root/tests/core/helpers.c" -o "$out/test_iopf_tsan" -lcmocka -lpthread
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$out/test_concurrent_tsan"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$out/test_iopf_tsan"
