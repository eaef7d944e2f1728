#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# fuzz.sh [SECONDS] — run the daemon-path libFuzzer targets for a fixed time each.
#
# Builds build-fuzz with clang (Debian's clang; scripts/setup.sh installs it) and
# -Dfuzzer=true, with ASan and UBSan, then runs fuzz/daemon_msg_fuzz.c (a client's message
# through the daemon's validation and serving) and fuzz/reply_fuzz.c (the daemon's answers
# through the client's handling) for SECONDS each ($FUZZ_SECONDS, default 60). Corpora are
# kept in build-fuzz/corpus/<target> between runs; fuzz/seeds/<target> (inputs that once
# failed, kept as regressions) is read first on every run. Exit status 0 if neither target found
# anything; a crash leaves its input in build-fuzz/ (crash-*) and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-60}}
dir=${FUZZ_BUILD:-build-fuzz}
if ! command -v clang >/dev/null; then
	echo "fuzz: clang is missing (scripts/setup.sh installs it)" >&2
	exit 2
fi
if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" -Dfuzzer=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$dir" tests/daemon/daemon_msg_fuzz tests/daemon/reply_fuzz >/dev/null
status=0
for t in daemon_msg_fuzz reply_fuzz; do
	mkdir -p "$dir/corpus/$t"
	seeds=()
	[ -d "fuzz/seeds/$t" ] && seeds=("$PWD/fuzz/seeds/$t")
	echo "fuzz: $t for $secs s"
	if ! (cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"./tests/daemon/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "corpus/$t" "${seeds[@]}" 2>"$t.log"); then
		tail -n 40 "$dir/$t.log"
		echo "fuzz: $t FAILED (input saved in $dir)"
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$dir/$t.log" | tail -n 2
		echo "fuzz: $t ok"
	fi
done
exit $status
