#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# oracle.sh BUILD - ioasid side by side with the real kernel (make oracle).
#
# Builds tests/oracle/ twice, static for the kernel VM and dynamic for ioasid-run; builds the
# oracle kernel once per machine (../shared/tools/kernel-oracle, cached in its work dir);
# runs every scenario and ORACLE_SEEDS random sequences of ORACLE_CALLS calls on both sides
# (the kernel side in one VM boot); compares the traces section by section; shrinks each
# diverging random sequence to a minimal one (one VM boot per round); and writes
#   BUILD/oracle/results.tsv     name<TAB>pass|fail|skip|documented<TAB>detail
#   BUILD/oracle/kernel.trace, ioasid.trace, coverage.txt, divergences.txt, shrunk.txt
# and one closing line:
#   oracle: P passed, F failed, S skipped of T (D documented; N random sequences of C calls)
# Exit status: 0 without divergence, 1 with one, 2 when the oracle could not run at all.
#
# Env: ORACLE_SEEDS (200), ORACLE_SEED0 (1), ORACLE_CALLS (50), ORACLE_SCENARIOS (all),
#      ORACLE_SHRINK_ROUNDS (10, 0 = do not shrink), ORACLE_HUGEPAGES (8: free huge pages
#      to make sure of on the host, restored on exit), KERNEL_ORACLE (the tool's work dir),
#      ORACLE_TOOL (path of kernel-oracle), CC.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$repo/$build
out=$build/oracle
mkdir -p "$out"
seeds=${ORACLE_SEEDS:-200}
seed0=${ORACLE_SEED0:-1}
calls=${ORACLE_CALLS:-50}
scen=${ORACLE_SCENARIOS:-all}
shrink_rounds=${ORACLE_SHRINK_ROUNDS:-10}
want_huge=${ORACLE_HUGEPAGES:-8}
tool=${ORACLE_TOOL:-$repo/../shared/tools/kernel-oracle/kernel-oracle}
[[ -x $tool ]] || tool=/work/shared/tools/kernel-oracle/kernel-oracle
runner=$build/tools/ioasid-run
CC=${CC:-cc}
note() { echo "oracle: $*" >&2; }
die() {
	echo "oracle: $*" >&2
	echo "oracle: 0 passed, 1 failed, 0 skipped of 1 (did not run)"
	exit 2
}

# ---------------------------------------------------------------- huge pages on the host
old_huge=
run_token=
restore_huge() {
	[[ -n $old_huge ]] && echo "$old_huge" >/proc/sys/vm/nr_hugepages 2>/dev/null
	old_huge=
}
run_pids() {
	[[ -n $run_token ]] || return 0
	grep -lzxF "IOASID_ORACLE_RUN=$run_token" /proc/[0-9]*/environ 2>/dev/null |
		sed -n 's,^/proc/\([0-9]*\)/environ$,\1,p' | grep -vx -e "$$" -e "$BASHPID"
}
kill_run_leftovers() {
	local pids
	pids=$(run_pids)
	[[ -z $pids ]] && return 0
	kill -TERM $pids 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.2
		pids=$(run_pids)
		[[ -z $pids ]] && return 0
	done
	kill -KILL $pids 2>/dev/null
	return 0
}
cleanup() {
	local rc=$?
	kill_run_leftovers
	restore_huge
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------- 1. the programs
t_all=$(date +%s)
srcs=("$repo"/tests/oracle/*.c)
cflags=(-std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -I"$repo/include/uapi")
build_prog() { # build_prog OUT [EXTRA FLAGS]
	local o=$1 fresh=1 f
	shift
	[[ -x $o ]] || fresh=
	for f in "${srcs[@]}" "$repo"/tests/oracle/*.h "$repo"/include/uapi/linux/*.h "${BASH_SOURCE[0]}"; do
		[[ -n $fresh && $f -nt $o ]] && fresh=
	done
	[[ -n $fresh ]] && return 0
	"$CC" "${cflags[@]}" "$@" -o "$o.tmp" "${srcs[@]}" >"$out/compile.log" 2>&1 && mv "$o.tmp" "$o"
}
build_prog "$out/oracle-trace-static" -static || die "compiling the static program failed: $out/compile.log"
build_prog "$out/oracle-trace" || die "compiling the program failed: $out/compile.log"
[[ -x $runner ]] || die "no $runner: build ioasid first (make build)"

# ---------------------------------------------------------------- 2. the kernel
t0=$(date +%s)
[[ -x $tool ]] || die "no kernel-oracle tool at $tool (set ORACLE_TOOL)"
ko_dir=${KERNEL_ORACLE:-/tmp/kernel-oracle}
mkdir -p "$(dirname "$ko_dir")"
# One build per machine: a second make oracle waits for the first one's build (the lock), and
# a build started by hand (its log still growing, no .built yet) is waited for, not repeated.
if [[ ! -f $ko_dir/.built && -f $ko_dir.build.log ]]; then
	while [[ ! -f $ko_dir/.built && $(($(date +%s) - $(stat -c %Y "$ko_dir.build.log"))) -lt 120 ]]; do
		note "a kernel build is running (${ko_dir}.build.log); waiting for it"
		sleep 30
	done
fi
(
	flock 9
	"$tool" build >"$out/kernel-build.out" 2>&1
) 9>"$ko_dir.lock" || die "building the oracle kernel failed (see ${ko_dir}.build.log)"
note "kernel ready ($(($(date +%s) - t0)) s): $(tail -n1 "$out/kernel-build.out")"

# ---------------------------------------------------------------- 3. run both sides
kernel_run() { # kernel_run OUTFILE 'BIN ARGS' ...  (one boot; the programs' output only)
	local o=$1
	shift
	TIMEOUT=${ORACLE_VM_TIMEOUT:-900} "$tool" run "$@" >"$o.raw" 2>"$o.log"
	local rc=$?
	# keep the programs' lines; drop the VM's own markers
	grep -v '^@@ORACLE-' "$o.raw" >"$o"
	grep -q '^@@ORACLE-DONE' "$o.raw" || return 125
	return $rc
}
ioasid_run() { # ioasid_run OUTFILE ARGS...
	local o=$1 rc
	shift
	run_token=$$.$RANDOM
	rm -rf "$out/run"
	mkdir -p "$out/run"
	(cd "$out/run" && exec env IOASID_ORACLE_RUN="$run_token" XDG_RUNTIME_DIR="$out/run" \
		IOASID_KERNEL_ABI=6.12 \
		timeout --kill-after=10 "${ORACLE_TIMEOUT:-900}" "$runner" -- "$out/oracle-trace" "$@") \
		>"$o" 2>"$o.log"
	rc=$?
	kill_run_leftovers
	run_token=
	return $rc
}

if [[ $want_huge -gt 0 && -w /proc/sys/vm/nr_hugepages ]]; then
	# Pages of our own on top of what is there: free pages another run reserved may be
	# taken back before the scenario runs.
	cur=$(cat /proc/sys/vm/nr_hugepages)
	old_huge=$cur
	echo $((cur + want_huge)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	note "vm.nr_hugepages $cur -> $(cat /proc/sys/vm/nr_hugepages) for the hugetlb scenario (restored on exit)"
else
	note "huge pages on the host left as they are ($(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo) free): the hugetlb scenario is skipped if there are none"
fi

t0=$(date +%s)
kbin=$out/oracle-trace-static
kernel_run "$out/kernel.trace" "$kbin scenario $scen" "$kbin random $seed0 $seeds $calls"
krc=$?
note "kernel side: one VM boot, $(($(date +%s) - t0)) s (rc $krc; $out/kernel.trace.log)"
[[ $krc = 125 ]] && die "the VM did not complete: $out/kernel.trace.log"
grep -q '^@@ BEGIN' "$out/kernel.trace" || die "no trace from the kernel side: $out/kernel.trace.log"
t0=$(date +%s)
ioasid_run "$out/ioasid.trace.s" scenario $scen
ioasid_run "$out/ioasid.trace.r" random "$seed0" "$seeds" "$calls"
cat "$out/ioasid.trace.s" "$out/ioasid.trace.r" >"$out/ioasid.trace"
rm -f "$out/ioasid.trace.s" "$out/ioasid.trace.r"
note "ioasid side: $(($(date +%s) - t0)) s"

# ---------------------------------------------------------------- 4. compare
# compare KERNEL IOASID > results: per section (@@ BEGIN name .. @@ END name) pass, fail (the
# first diverging line of both sides), skip (either side said @@ SKIP), documented (only
# lines carrying the same [doc:TAG] on both sides differ; TAG is in docs/conformance.md).
compare() {
	awk -F'\n' '
	function sect(line) { sub(/^@@ (BEGIN|END) /, "", line); return line }
	FNR == 1 { side++ }
	/^@@ BEGIN / { cur = sect($0); if (!(cur in seen)) { seen[cur] = 1; order[++n] = cur }
		       cnt[side, cur] = 0; open_[side, cur] = 1; next }
	/^@@ END / { open_[side, cur] = 0; done[side, cur] = 1; cur = ""; next }
	/^@@ SKIP / { if (cur != "") skip[cur] = substr($0, 9); next }
	/^@@ CRASH / { crash[side, $3] = $0; next }
	/^@@ / { next }
	cur != "" { l[side, cur, ++cnt[side, cur]] = $0 }
	function tag(s) { return match(s, /\[doc:[^]]*\]/) ? substr(s, RSTART, RLENGTH) : "" }
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]
			if (s in skip) { print s "\tskip\t" skip[s]; continue }
			if (!done[1, s] || !done[2, s]) {
				print s "\tfail\tincomplete: kernel " (done[1, s] ? "finished" : "did not finish") \
					", ioasid " (done[2, s] ? "finished" : "did not finish") \
					" (" crash[1, s] crash[2, s] ")"
				continue
			}
			m = cnt[1, s] > cnt[2, s] ? cnt[1, s] : cnt[2, s]
			res = "pass"; why = ""; docs = ""
			for (j = 1; j <= m; j++) {
				a = ((1, s, j) in l) ? l[1, s, j] : "(nothing)"
				b = ((2, s, j) in l) ? l[2, s, j] : "(nothing)"
				if (a == b) continue
				ta = tag(a)
				if (ta != "" && ta == tag(b)) { res = "documented"; if (index(docs, ta) == 0) docs = docs ta; continue }
				res = "fail"; why = "kernel: " a " ||| ioasid: " b
				break
			}
			if (res == "documented") why = docs
			print s "\t" res "\t" why
		}
	}' "$1" "$2"
}
compare "$out/kernel.trace" "$out/ioasid.trace" >"$out/results.tsv"

# ---------------------------------------------------------------- 5. shrink diverging sequences
# ddmin over the call indices of a sequence: each round tries dropping each of k chunks of
# the kept calls, all candidates of the round on both sides (one VM boot), keeps the first
# candidate that still diverges, and otherwise splits finer.
still_diverges() { # kernel trace, ioasid trace, section name -> 0 if fail
	compare "$1" "$2" | awk -F'\t' -v s="$3" '$1 == s && $2 == "fail" { f = 1 } END { exit !f }'
}
to_list() { tr ' ' '\n' | awk 'NF' | paste -sd, -; }
: >"$out/shrunk.txt"
: >"$out/divergences.txt"
awk -F'\t' '$2 == "fail"' "$out/results.tsv" >"$out/divergences.txt"
while IFS=$'\t' read -r name _ _; do
	[[ $name = random-* && $shrink_rounds -gt 0 ]] || continue
	seed=${name#random-}
	# the calls up to the diverging one
	last=$(awk -F'\t' -v s="$name" '$1 == s { print $3 }' "$out/results.tsv" |
		sed -n 's/^kernel: \([0-9]*\)\..*/\1/p')
	[[ -n $last ]] || last=$((calls - 1))
	keep=$(seq 0 "$last" | tr '\n' ' ')
	k=2
	for ((round = 0; round < shrink_rounds; round++)); do
		read -r -a cur <<<"$keep"
		[[ ${#cur[@]} -le 1 ]] && break
		((k > ${#cur[@]})) && k=${#cur[@]}
		cands=()
		chunk=$(((${#cur[@]} + k - 1) / k))
		for ((c = 0; c < k; c++)); do
			cand=("${cur[@]:0:c*chunk}" "${cur[@]:(c+1)*chunk}")
			[[ ${#cand[@]} -gt 0 ]] && cands+=("${cand[*]}")
		done
		specs=()
		for cnd in "${cands[@]}"; do specs+=("$kbin replay $seed $calls $(echo "$cnd" | to_list)"); done
		kernel_run "$out/shrink.k" "${specs[@]}"
		: >"$out/shrink.i"
		for cnd in "${cands[@]}"; do
			ioasid_run "$out/shrink.i1" replay "$seed" "$calls" "$(echo "$cnd" | to_list)"
			cat "$out/shrink.i1" >>"$out/shrink.i"
		done
		# the candidates' traces share one section name: split them by order
		found=
		for ((c = 0; c < ${#cands[@]}; c++)); do
			awk -v n=$((c + 1)) '/^@@ BEGIN/ { i++ } i == n' "$out/shrink.k" >"$out/shrink.kc"
			awk -v n=$((c + 1)) '/^@@ BEGIN/ { i++ } i == n' "$out/shrink.i" >"$out/shrink.ic"
			if still_diverges "$out/shrink.kc" "$out/shrink.ic" "$name"; then
				keep=${cands[c]}
				found=1
				((k > 2)) && k=$((k - 1))
				break
			fi
		done
		if [[ -z $found ]]; then
			((k >= ${#cur[@]})) && break
			k=$((k * 2))
		fi
	done
	list=$(echo "$keep" | to_list)
	note "$name shrunk to calls $list"
	echo -e "$name\t$seed\t$calls\t$list" >>"$out/shrunk.txt"
	kernel_run "$out/shrink.k" "$kbin replay $seed $calls $list"
	ioasid_run "$out/shrink.i" replay "$seed" "$calls" "$list"
	{
		echo "== $name, minimal: oracle-trace replay $seed $calls $list"
		compare "$out/shrink.k" "$out/shrink.i" | cut -f3 | sed 's/ ||| /\n/'
	} >>"$out/divergences.txt"
done < <(awk -F'\t' '$2 == "fail"' "$out/results.tsv")
rm -f "$out"/shrink.*

# ---------------------------------------------------------------- 6. report
grep '^@@ COV ' "$out/kernel.trace" | sed 's/^@@ COV //' >"$out/coverage.txt"
read -r P F S D T < <(awk -F'\t' '{ c[$2]++ } END { printf "%d %d %d %d %d\n", c["pass"], c["fail"], c["skip"], c["documented"], NR }' "$out/results.tsv")
nseq=$(grep -c '^random-' "$out/results.tsv")
if [[ $F -gt 0 ]]; then
	echo "oracle: DIVERGENCES (first diverging call, kernel ||| ioasid):"
	awk -F'\t' '$2 == "fail" { print "  " $1 ": " $3 }' "$out/results.tsv" | cut -c1-600 | head -n 40
fi
awk -F'\t' '$2 == "skip" { print "oracle: skipped " $1 ": " $3 }' "$out/results.tsv"
ncmd=$(grep -c '^cmd ' "$out/coverage.txt")
nerr=$(grep -c '^errno ' "$out/coverage.txt")
nops=$(grep -c '^test_op ' "$out/coverage.txt")
nflag=$(grep -c '^flag ' "$out/coverage.txt")
note "coverage of the random sequences (kernel side): $ncmd commands, $nops test ops, $nflag flag bits, $nerr errnos ($out/coverage.txt)"
note "results in $out/results.tsv (total $(($(date +%s) - t_all)) s)"
P=$((P + D))
echo "oracle: $P passed, $F failed, $S skipped of $T ($D with documented differences; $nseq random sequences of $calls calls)"
[[ $F -eq 0 ]]
