#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh BUILD - run every benchmark program and gather their JSON lines into
# BUILD/bench/results.json: {"date", "host", "commands": [...], "results": [...]}.
# Each figure in results stands beside a limit measured in the same run (see each
# program's header comment). BENCH_QUICK=1 runs smaller sizes (a smoke run).
set -euo pipefail
build=${1:-build}
out="$build/bench"
mkdir -p "$out"
lines="$out/results.jsonl"
: >"$lines"
cmds=()
run() {
	cmds+=("$*")
	echo "bench: $*" >&2
	"$@" >>"$lines"
}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	export IOAS_BENCH_BYTES=$((16 << 20)) PT_BENCH_BYTES=$((16 << 20))
	export DAEMON_BENCH_BYTES=$((16 << 20))
fi
run "$build/bench/ioas_bench" mock vtd-ss-4 x86_64-4 arm-s1-4k-48 riscv-sv48 amd-v1-4
if [ -x "$build/bench/pt_bench" ]; then
	run "$build/bench/pt_bench"
fi
if [ -x "$build/bench/iommu_bench" ]; then
	[ "${BENCH_QUICK:-0}" = 1 ] && export IOMMU_BENCH_QUICK=1
	run "$build/bench/iommu_bench"
fi
# the daemon path: a private daemon on a socket in a fresh private directory
if [ -x "$build/bench/daemon_bench" ]; then
	sockdir=$(mktemp -d)
	run "$build/tools/ioasid-run" --socket "$sockdir/ioasidd.sock" \
		--daemon "$build/src/daemon/ioasidd" -- "$build/bench/daemon_bench"
	rm -rf "$sockdir"
fi
# the I/OAT DMA engine model (src/devices): copy throughput against memcpy
if [ -x "$build/bench/devices_bench" ]; then
	[ "${BENCH_QUICK:-0}" = 1 ] && export DEVICES_BENCH_QUICK=1
	run "$build/bench/devices_bench"
fi
# the VFIO device path (src/vfio through the shim): in-process, then the device in a private
# daemon
if [ -x "$build/bench/vfio_bench" ]; then
	run "$build/tools/ioasid-run" --inproc -- "$build/bench/vfio_bench"
	sockdir=$(mktemp -d)
	run "$build/tools/ioasid-run" --socket "$sockdir/ioasidd.sock" \
		--daemon "$build/src/daemon/ioasidd" -- "$build/bench/vfio_bench"
	rm -rf "$sockdir"
fi
{
	printf '{"date":"%s","host":"%s","nproc":%s,"commands":[' "$(date -u +%FT%TZ)" \
		"$(uname -srm)" "$(nproc)"
	sep=
	for c in "${cmds[@]}"; do
		printf '%s"%s"' "$sep" "${c//\"/\\\"}"
		sep=,
	done
	printf '],"results":[\n'
	sed '$!s/$/,/' "$lines"
	printf ']}\n'
} >"$out/results.json"
echo "bench: $(wc -l <"$lines") results in $out/results.json" >&2
