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
# demand, which then runs as that user too; the shim cases (tests/daemon/test_shim.c) and every
# kind of memory mapped, pinned and used for DMA (tests/daemon/test_memkinds.c), with the files
# the shim hands over (docs/daemon.md, "Client memory"); the emulated VFIO devices in the
# daemon (tests/vfio: test_remote's attacks and file sharing, test_devkill's clients killed
# mid-copy, and test_matrix's sequence in-process and in the daemon, compared), the devices'
# DMA reaching the user's memory through the files the shim hands over; and, when BUILD/conformance/bin holds
# the kernel's selftest (make conformance built it), that selftest under the unprivileged
# daemon, results in BUILD/conformance-unpriv/results.tsv: every test that passed as root
# (BUILD/conformance/results.tsv, else the floor tests/conformance/expected-pass.txt) must pass,
# but those tests/conformance/unpriv-exceptions.txt names (they need privilege;
# docs/conformance.md says why). The programs are copied to a directory the user can read, as
# the checkout may be private. Prints "unpriv: N passed, N failed, N skipped".
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
	"$build/src/shim/libioasid-preload.so" "$build/examples/iommufd-hello" \
	"$build/tests/daemon/test_shim" "$build/tests/daemon/test_memkinds" \
	"$build/tests/vfio/test_remote" "$build/tests/vfio/test_devkill" "$build/tests/vfio/ioat_seq" \
	"$build/tests/vfio/test_matrix" tests/vfio/test_matrix.sh \
	"$build/tests/daemon/test_dma_wait" "$build/tests/conformance/test_viommu_mmap" \
	"$build/tests/vfio/p2p_dmabuf" "$build/tests/daemon/test_waiter_snapshot" "$bin/"
chmod 755 "$bin"
logs=$bin/logs
mkdir "$logs" && chown "$user" "$logs"
as_user() {
	setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs -- env -i HOME="$home" PATH=/usr/bin:/bin \
		IOASID_IDLE_EXIT=2 "$@"
}
passed=0 failed=0 skipped=0
# as a user allowed to lock memory (RLIMIT_MEMLOCK unlimited, set before privilege is dropped,
# as limits.conf would for a VFIO user): still no capability at all
as_user_memlock() {
	# raising the hard limit needs CAP_SYS_RESOURCE, which a container may not have: then
	# the default limit stays (tests/conformance/unpriv-exceptions.txt)
	if ! prlimit --memlock=unlimited:unlimited true 2>/dev/null; then
		as_user "$@"
		return
	fi
	prlimit --memlock=unlimited:unlimited -- setpriv --reuid="$user" --regid="$user" \
		--init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- env -i \
		HOME="$home" PATH=/usr/bin:/bin IOASID_IDLE_EXIT=2 "$@"
}
for c in zero_len slow_reader objects fd_limits map_file_areas conn_soak squat pid_reuse \
	chan_inject chan_bad chan_slow_reader chan_limits uid_mirror handover_forged dma_sigterm; do
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
# programs under ioasid-run with a daemon of the user's own (no capabilities): the shim cases,
# every memory kind pinned and used for DMA, a DMA waiting for its fault's answer (a killed
# waiter included), the iommufd's mmap (another context's offsets), P2P through a dma-buf
# (forged and revoked ones)
for t in test_shim test_memkinds test_dma_wait test_viommu_mmap p2p_dmabuf; do
	as_user sh -c "d=\$(mktemp -d) && cd \$d && timeout 300 '$bin/ioasid-run' --socket \$d/ioasidd.sock \
		--daemon '$bin/ioasidd' --shim '$bin/libioasid-preload.so' -- '$bin/$t'" \
		>"$logs/$t.log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "unpriv: $t ok" ;;
	77) skipped=$((skipped + 1)); echo "unpriv: $t skipped ($(tail -n 1 "$logs/$t.log"))" ;;
	*) failed=$((failed + 1)); echo "unpriv: $t FAILED"; tail -n 20 "$logs/$t.log" ;;
	esac
done
# The VFIO devices in a daemon of the user's own: test_remote under ioasid-run, test_devkill
# (its own daemon, drivers under ioasid-run killed mid-copy), test_matrix (in-process and
# with the daemon, the same answers)
vfio_run() {
	local name=$1
	shift
	as_user sh -c "d=\$(mktemp -d) && cd \$d && IOASID_PRELOAD='$bin/libioasid-preload.so' $*" \
		>"$logs/$name.log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "unpriv: $name ok" ;;
	77) skipped=$((skipped + 1)); echo "unpriv: $name skipped ($(tail -n 1 "$logs/$name.log"))" ;;
	*) failed=$((failed + 1)); echo "unpriv: $name FAILED"; tail -n 20 "$logs/$name.log" ;;
	esac
}
# one connection of the daemon's code in the user's process: a DMA call's waiter serves the
# struct the connection read, never the program's memory read again (a rewritten struct)
vfio_run waiter_snapshot "timeout 60 '$bin/test_waiter_snapshot'"
vfio_run vfio_remote "timeout 300 '$bin/ioasid-run' --socket \$d/ioasidd.sock --daemon '$bin/ioasidd' \
	--shim '$bin/libioasid-preload.so' -- '$bin/test_remote'"
vfio_run vfio_devkill "timeout 300 '$bin/test_devkill' '$bin/ioasidd' '$bin/ioasid-run' '$bin/ioat_seq'"
vfio_run vfio_matrix "timeout 300 bash '$bin/test_matrix.sh' '$bin/ioasid-run' '$bin/test_matrix' '$bin/ioasidd'"
# The kernel's selftest (compiled by scripts/conformance.sh) under the unprivileged daemon.
conf=$build/conformance
out=$build/conformance-unpriv
if [ -x "$conf/bin/iommufd" ]; then
	mkdir -p "$out" && : >"$out/results.tsv"
	cp "$conf/bin/iommufd" "$bin/" && cp "$conf/bin/iommufd_fail_nth" "$bin/" 2>/dev/null
	huge_old=
	# the hugepage variants need 64 free 2 MiB pages at once (as scripts/conformance.sh)
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if [ "${free:-0}" -lt 80 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
		huge_old=$(cat /proc/sys/vm/nr_hugepages)
		echo $((huge_old + 80 - ${free:-0})) >/proc/sys/vm/nr_hugepages
	fi
	t0=$(date +%s)
	for b in iommufd iommufd_fail_nth; do
		[ -x "$bin/$b" ] || continue
		# the dirty-tracking tests pin 64 and 128 MiB: more than the default 8 MiB limit
		as_user_memlock sh -c "d=\$(mktemp -d) && cd \$d && XDG_RUNTIME_DIR=\$d \
			IOASID_KERNEL_ABI=6.12 timeout 900 \
			'$bin/ioasid-run' --daemon '$bin/ioasidd' --shim '$bin/libioasid-preload.so' \
			-- '$bin/$b'" >"$out/$b.log" 2>&1
		# TAP: "ok N name", "not ok N name", "ok N name # SKIP why"
		awk '/^(not )?ok [0-9]+ / {
			r = ($1 == "not") ? "fail" : "pass"
			rest = $0; sub(/^(not )?ok [0-9]+ /, "", rest)
			name = rest; sub(/ .*/, "", name)
			if (r == "pass" && rest ~ / # SKIP/) r = "skip"
			if (r == "pass" && rest ~ / # XPASS/) r = "fail"
			print name "\t" r }' "$out/$b.log" >>"$out/results.tsv"
	done
	[ -n "$huge_old" ] && echo "$huge_old" >/proc/sys/vm/nr_hugepages
	# the floor: what passed as root (or the committed floor), less the listed exceptions
	if [ -s "$conf/results.tsv" ]; then
		awk -F'\t' '$2 == "pass" { print $1 }' "$conf/results.tsv" >"$out/floor.txt"
	else
		grep -v '^#' tests/conformance/expected-pass.txt | sed '/^$/d' >"$out/floor.txt"
	fi
	exc=tests/conformance/unpriv-exceptions.txt
	missing=$(grep -vxF -f <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$exc" | sed '/^$/d') "$out/floor.txt" |
		grep -vxF -f <(awk -F'\t' '$2 == "pass" { print $1 }' "$out/results.tsv"))
	np=$(awk -F'\t' '$2 == "pass"' "$out/results.tsv" | wc -l)
	nf=$(awk -F'\t' '$2 == "fail"' "$out/results.tsv" | wc -l)
	echo "unpriv: kernel selftest: $np passed, $nf failed of $(wc -l <"$out/results.tsv") ($(($(date +%s) - t0)) s; $out/results.tsv)"
	if [ -z "$missing" ] && [ "$np" -gt 0 ]; then
		passed=$((passed + 1)); echo "unpriv: kernel selftest floor held"
	else
		failed=$((failed + 1))
		echo "unpriv: kernel selftest: passed as root but not unprivileged (and not excepted):"
		echo "$missing" | sed 's/^/  /'
	fi
else
	skipped=$((skipped + 1)); echo "unpriv: kernel selftest skipped (no $conf/bin: run make conformance first)"
fi
echo "unpriv: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
