# SPDX-License-Identifier: BSD-3-Clause
#
# conformance-lib.sh — what the two selftest runs share, sourced by scripts/conformance.sh
# (Debian's linux-source-6.12) and scripts/conformance-next.sh (the newest linux-source-N.M).
# The callers differ only in where the selftest comes from and which headers it is compiled
# against; once both programs are in $bindir, everything else is here:
#
#   conf_init          folders, the cleanup trap (the run's leftover processes, vm.nr_hugepages)
#   conf_compile       compiles each binary from $tdir/<b>.c with cflags/ldlibs, when stale
#   conf_hugepages     makes sure $want_huge hugetlb pages are free; restored on exit
#   conf_guard         hides the host's kernel fault injection from iommufd_fail_nth
#   conf_run           runs each binary under the wrapper, parses TAP, retries timeouts
#   conf_results       writes $results and sets P F S T
#   conf_floor         compares with the floor list; sets status (0 held, 1 regression)
#   conf_finish        prints the closing line "<tag>: P passed, F failed, S skipped of T"
#
# The caller sets, before conf_init: tag (the prefix of every message and of the closing line),
# repo, out, bindir, logdir, results, expected, timeout_s, want_huge, binaries, runner.
# Knobs read here: CONFORMANCE_ARGS, CONFORMANCE_DIRECT, CONFORMANCE_HOST_FAULT_INJECTION,
# IOASID_RUN_OPTS (docs/conformance.md describes them).

die() { echo "$tag: error: $*" >&2; exit 2; }
note() { echo "$tag: $*"; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# ---------------------------------------------------------------- cleanup, run on any exit
old_huge=
run_token=
restore_huge() {
	[[ -n $old_huge ]] || return 0
	if echo "$old_huge" >/proc/sys/vm/nr_hugepages 2>/dev/null; then
		note "vm.nr_hugepages restored to $old_huge"
	else
		echo "$tag: warning: could not restore vm.nr_hugepages to $old_huge" >&2
	fi
	old_huge=
}
conf_cleanup() {
	local rc=$?
	[[ -n $run_token ]] && kill_run_leftovers
	restore_huge
	exit "$rc"
}

# Every process started for a test run carries IOASID_CONFORMANCE_RUN=<token> in its
# environment, the daemon the wrapper starts on demand included. Afterwards the processes
# that still carry it are ours and are ended: nothing is matched by name.
run_pids() {
	grep -lzxF "IOASID_CONFORMANCE_RUN=$run_token" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's,^/proc/\([0-9]*\)/environ$,\1,p' | grep -vx -e "$$" -e "$BASHPID"
}
kill_run_leftovers() {
	local pids
	pids=$(run_pids)
	[[ -z $pids ]] && return 0
	note "ending processes left by the run: $(echo $pids)"
	kill -TERM $pids 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.2
		pids=$(run_pids)
		[[ -z $pids ]] && return 0
	done
	kill -KILL $pids 2>/dev/null
	return 0
}

conf_init() {
	mkdir -p "$out" "$bindir" "$logdir" || die "cannot create $out"
	exec </dev/null
	t_all=$(now)
	trap conf_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

# ---------------------------------------------------------------- compiling
# Each binary of $binaries from $tdir/<b>.c, with the arrays cflags and ldlibs; rebuilt only
# when one of its sources or of the files in the array compile_deps is newer. A program that
# does not compile is named in compile_failed (the run then exits 2).
compile_failed=
conf_compile() {
	local b bin d fresh nwarn t0
	t0=$(now)
	for b in $binaries; do
		bin=$bindir/$b
		fresh=1
		[[ -x $bin ]] || fresh=
		for d in "$tdir/$b.c" "${compile_deps[@]}"; do [[ -n $fresh && $d -nt $bin ]] && fresh=; done
		[[ -n $fresh ]] && continue
		if "${CC:-cc}" "${cflags[@]}" -o "$bin.tmp" "$tdir/$b.c" "${ldlibs[@]}" >"$logdir/compile-$b.log" 2>&1; then
			mv "$bin.tmp" "$bin"
			nwarn=$(grep -c 'warning:' "$logdir/compile-$b.log")
			note "compiled $b ($nwarn warnings; $logdir/compile-$b.log)"
		else
			rm -f "$bin" "$bin.tmp"
			echo "$tag: compiling $b FAILED:" >&2
			grep -m 20 'error' "$logdir/compile-$b.log" >&2
			compile_failed+=" $b"
		fi
	done
	note "compile step ($(took "$t0"))"
}

# ---------------------------------------------------------------- hugetlb pages
# The hugepage variants mmap MAP_HUGETLB | MAP_POPULATE (default huge page size); the largest,
# iommufd_dirty_tracking.domain_dirty128M_huge, needs 64 pages of 2 MiB at once. Make sure
# $want_huge pages are free, by raising vm.nr_hugepages by what is missing; put it back on exit.
huge_free() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
conf_hugepages() {
	local cur free ask got
	if [[ $want_huge -gt 0 && -w /proc/sys/vm/nr_hugepages ]]; then
		cur=$(cat /proc/sys/vm/nr_hugepages)
		free=$(huge_free)
		if [[ ${free:-0} -lt $want_huge ]]; then
			ask=$((cur + want_huge - ${free:-0}))
			old_huge=$cur
			echo "$ask" >/proc/sys/vm/nr_hugepages 2>/dev/null
			got=$(cat /proc/sys/vm/nr_hugepages)
			note "vm.nr_hugepages $cur -> $got (asked for $ask; $(huge_free) free; restored on exit)"
			[[ $got = "$cur" ]] && old_huge=
		else
			note "vm.nr_hugepages is $cur with $free free already"
		fi
	else
		note "vm.nr_hugepages left at $(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo '?')," \
			"$(huge_free) free (not writable, or CONFORMANCE_HUGEPAGES=0)"
	fi
}

# ---------------------------------------------------------------- the host's fault injection
# iommufd_fail_nth's constructor opens /sys/kernel/debug/, reconfigures the failslab and
# fail_page_alloc knobs it finds there, and its tests then write /proc/self/task/TID/fail-nth.
# Unless the shim emulates those files, as root on a kernel with fault injection that would
# reconfigure the host and inject failures into the test's real system calls. So in that case
# the binaries run in a private mount namespace with an empty tmpfs over /sys/kernel/debug
# (the tests then skip, or use the shim's emulation). CONFORMANCE_HOST_FAULT_INJECTION=1 opts out.
guard=()
no_guard=
conf_guard() {
	if [[ $(id -u) = 0 && -e /sys/kernel/debug/failslab && -z ${CONFORMANCE_HOST_FAULT_INJECTION:-} ]]; then
		guard=(unshare --mount --propagation private
			sh -c 'mount -t tmpfs conformance /sys/kernel/debug && exec "$@"' sh)
		if "${guard[@]}" true; then
			note "hiding the host's /sys/kernel/debug from the tests (kernel fault injection present)"
		else
			no_guard=1
			guard=()
			note "kernel fault injection present and cannot be hidden: iommufd_fail_nth will not run"
		fi
	fi
}

# ---------------------------------------------------------------- running
# The full list of tests of a binary, from the harness's "-l" table (fixture, variant and test
# columns; a fixture's later rows leave its column blank), expanded the way the harness runs
# them: every variant times every test, "fixture.variant.test", or "fixture.test" with no
# variants. Used to name the tests that never reported (a crash, a timeout, no wrapper).
list_tests() {
	"${guard[@]}" "$1" -l 2>&1 >/dev/null | awk '
	function flush(   i, j) {
		if (fx == "") return
		if (nv == 0) for (j = 1; j <= nt; j++) print fx "." t[j]
		for (i = 1; i <= nv; i++) for (j = 1; j <= nt; j++) print fx "." v[i] "." t[j]
		fx = ""; nv = 0; nt = 0
	}
	/^# FIXTURE/ { next }
	/^-----/ { flush(); next }
	{
		line = $0
		if (line ~ /^[^ ]/) {              # first row of a fixture
			flush()
			fx = $1
			if (NF >= 3) { v[++nv] = $2; t[++nt] = $3 }
			else if (NF == 2) t[++nt] = $2
			next
		}
		# later rows: the variant column starts at 21, the test column at 47
		n = split(line, w, " ")
		if (n >= 2) { v[++nv] = w[1]; t[++nt] = w[2]; next }
		if (n == 1) {
			if (match(line, /[^ ]/) <= 22) v[++nv] = w[1]
			else t[++nt] = w[1]
		}
	}
	END { flush() }'
}

# TAP lines of the harness: "ok N name", "not ok N name", "ok N name # SKIP why",
# "ok N name # XFAIL why" (an expected failure: the harness counts it as good) and
# "ok N name # XPASS" (an unexpected pass: counted as bad, as kselftest does).
parse_tap() {
	awk '
	/^(not )?ok [0-9]+ / {
		r = ($1 == "not") ? "fail" : "pass"
		rest = $0; sub(/^(not )?ok [0-9]+ /, "", rest)
		name = rest; sub(/ .*/, "", name)
		if (r == "pass" && rest ~ / # SKIP/) r = "skip"
		if (r == "pass" && rest ~ / # XPASS/) r = "fail"
		print name "\t" r
	}' "$1"
}

# Runs every binary of $binaries in $bindir; appends "name<TAB>result" lines to $raw.
conf_run() {
	local b bin log t0 rc how t retry_log cmd plan nmiss run_dir direct have_runner
	raw=$out/results.raw
	: >"$raw"
	: >"$out/retried.txt"
	direct=${CONFORMANCE_DIRECT:-}
	have_runner=
	[[ -x $runner ]] && have_runner=1
	if [[ -z $have_runner && -z $direct ]]; then
		note "no wrapper at $runner: the selftest cannot run, every test is counted as failed"
	fi
	run_dir=$out/run
	for b in $binaries; do
		bin=$bindir/$b
		log=$logdir/$b.log
		if [[ ! -x $bin ]]; then
			printf '%s\tfail\n' "$b.build" >>"$raw"
			continue
		fi
		if [[ -n $no_guard && $b = iommufd_fail_nth ]]; then
			printf '%s\tfail\n' "$b.not_run" >>"$raw"
			continue
		fi
		list_tests "$bin" >"$out/$b.tests"
		if [[ -z $have_runner && -z $direct ]]; then
			echo "not run: no $runner" >"$log"
			sed 's/$/\tfail/' "$out/$b.tests" >>"$raw"
			continue
		fi
		t0=$(now)
		run_token=$$.$RANDOM.$b
		rm -rf "$run_dir"
		mkdir -p "$run_dir"
		if [[ -n $direct ]]; then
			cmd=("$bin")
		else
			# shellcheck disable=SC2206
			cmd=("$runner" ${IOASID_RUN_OPTS:-} -- "$bin")
		fi
		# A private runtime folder, so that the wrapper starts a daemon of its own for the
		# run rather than joining one that is already serving someone else. In the
		# background and waited for, so that an interrupt reaches the trap at once (the test
		# runs in timeout's own process group, which a terminal's ^C does not reach).
		# shellcheck disable=SC2086
		(cd "$run_dir" && exec env IOASID_CONFORMANCE_RUN="$run_token" XDG_RUNTIME_DIR="$run_dir" \
			timeout --kill-after=10 "$timeout_s" "${guard[@]}" "${cmd[@]}" ${CONFORMANCE_ARGS:-}) \
			>"$log" 2>&1 &
		wait $!
		rc=$?
		kill_run_leftovers
		run_token=
		case $rc in
		124 | 137) how="timed out after ${timeout_s}s" ;;
		*) how="exit $rc" ;;
		esac
		parse_tap "$log" >"$out/$b.tap"
		# A test that hit the harness's own 30 s limit runs once more, alone: under the ASan
		# daemon or on a loaded machine the longest tests (access_rw) come near that limit.
		# Only the second run's result counts, and each retry is named in the log and in
		# retried.txt, so a test that is slow for a reason of ours stays visible.
		if [[ -z ${CONFORMANCE_ARGS:-} && -z $direct ]]; then
			for t in $(awk '/Test terminated by timeout/ { to = 1; next }
				/^# +FAIL +/ { if (to) print $3; to = 0 }' "$log"); do
				retry_log=$logdir/$b.retry.$t.log
				run_token=$$.$RANDOM.$b.retry
				rm -rf "$run_dir"
				mkdir -p "$run_dir"
				# shellcheck disable=SC2086
				(cd "$run_dir" && exec env IOASID_CONFORMANCE_RUN="$run_token" \
					XDG_RUNTIME_DIR="$run_dir" timeout --kill-after=10 "$timeout_s" \
					"${guard[@]}" "${cmd[@]}" -r "$t") >"$retry_log" 2>&1 &
				wait $!
				kill_run_leftovers
				run_token=
				if grep -E "^ok [0-9]+ ${t//./\\.}\$" "$retry_log" >/dev/null; then
					awk -F'\t' -v t="$t" 'BEGIN { OFS = "\t" } $1 == t { $2 = "pass" } 1' \
						"$out/$b.tap" >"$out/$b.tap.new" && mv "$out/$b.tap.new" "$out/$b.tap"
					echo "$t	passed when run alone after a timeout ($retry_log)" >>"$out/retried.txt"
					note "retried $t alone after a timeout: passed ($retry_log)"
				else
					echo "$t	failed again alone ($retry_log)" >>"$out/retried.txt"
					note "retried $t alone after a timeout: failed again ($retry_log)"
				fi
			done
		fi
		# Tests the harness never reported on (the binary died or was killed) count as
		# failed. With a filter in CONFORMANCE_ARGS only the plan ("1..N") can tell that
		# some are missing.
		if [[ -z ${CONFORMANCE_ARGS:-} ]]; then
			awk -F'\t' 'FILENAME == ARGV[1] { seen[$1] = 1; next } !($1 in seen) { print $1 "\tfail" }' \
				"$out/$b.tap" "$out/$b.tests" >"$out/$b.missing"
		else
			plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n1)
			: >"$out/$b.missing"
			[[ -z $plan || $plan -gt $(wc -l <"$out/$b.tap") ]] &&
				printf '%s\tfail\n' "$b.incomplete" >"$out/$b.missing"
		fi
		cat "$out/$b.tap" "$out/$b.missing" >>"$raw"
		nmiss=$(wc -l <"$out/$b.missing")
		note "ran $b: $how, $(wc -l <"$out/$b.tap") reported, $nmiss never reported ($(took "$t0"); $log)"
	done
}

# ---------------------------------------------------------------- results
# One line per test; if a name was reported twice (it should not be), the worst result wins.
conf_results() {
	awk -F'\t' '
		{ if (!($1 in r)) order[++n] = $1
		  if (!($1 in r) || $2 == "fail" || (r[$1] == "skip" && $2 == "pass")) r[$1] = $2 }
		END { for (i = 1; i <= n; i++) print order[i] "\t" r[order[i]] }' "$raw" >"$results"
	read -r P F S T < <(awk -F'\t' '{ c[$2]++ } END { printf "%d %d %d %d\n", c["pass"], c["fail"], c["skip"], NR }' "$results")
}

# ---------------------------------------------------------------- the floor
conf_floor() {
	local exp_list regressions fresh_passes n r
	status=0
	if [[ -f $expected ]]; then
		exp_list=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$expected" | grep -v '^$' | sort -u)
	else
		echo "$tag: warning: no floor list at $expected" >&2
		exp_list=
	fi
	regressions=$(awk -F'\t' 'FILENAME == ARGV[1] { if ($2 == "pass") ok[$1] = 1; next }
		$0 != "" && !($0 in ok)' "$results" <(printf '%s\n' "$exp_list"))
	fresh_passes=$(awk -F'\t' 'FILENAME == ARGV[1] { if ($0 != "") want[$0] = 1; next }
		$2 == "pass" && !($1 in want) { print $1 }' <(printf '%s\n' "$exp_list") "$results")
	if [[ -n $fresh_passes ]]; then
		echo "$tag: passing but not on the floor list (candidates for $(basename "$expected")):"
		printf '%s\n' "$fresh_passes" | sed 's/^/  + /'
	fi
	if [[ -n $regressions ]]; then
		echo "$tag: REGRESSIONS: on the floor list but did not pass:"
		while IFS= read -r n; do
			r=$(awk -F'\t' -v n="$n" '$1 == n { print $2 }' "$results")
			printf '  - %s (%s)\n' "$n" "${r:-not run}"
		done <<<"$regressions"
		status=1
	fi
}

conf_finish() {
	[[ -n $compile_failed ]] && { echo "$tag: did not compile:$compile_failed" >&2; status=2; }
	restore_huge
	note "results in $results; logs in $logdir (total $(took "$t_all"))"
	echo "$tag: $P passed, $F failed, $S skipped of $T"
}
