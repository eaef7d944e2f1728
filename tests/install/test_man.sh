#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_man.sh MANBUILDDIR SRCDIR - the man pages are well-formed and say what the code does.
#  - each built page renders with man(1) without a single warning, under its own NAME;
#  - the OPTIONS of ioasidd(8), ioasid-run(1) (and ioasidctl(8), when ioasidctl is built)
#    are exactly the options of the program's getopt_long table: same long names, same short
#    letters, an argument exactly where the table requires one;
#  - libioasid(3) names every function the public headers export.
set -euo pipefail
mandir=$1 src=$2
fail() {
	echo "test_man: FAILED: $*" >&2
	exit 1
}
command -v man >/dev/null || fail "man(1) is not installed (scripts/setup.sh installs man-db)"

pages=(ioasidd.8 ioasid-run.1 libioasid.3)
[ -f "$mandir/ioasidctl.8" ] && pages+=(ioasidctl.8)
for page in "${pages[@]}"; do
	f=$mandir/$page
	[ -s "$f" ] || fail "$page was built"
	warn=$(MANWIDTH=100 man --warnings=w -E UTF-8 -l "$f" 2>&1 >/dev/null || true)
	[ -z "$warn" ] || fail "$page: man warns: $warn"
	text=$(MANWIDTH=100 man -E UTF-8 -l "$f" 2>/dev/null)
	grep -A1 '^NAME' <<<"$text" | tail -n 1 | grep "^ *${page%.*} - " >/dev/null ||
		fail "$page: NAME names ${page%.*}"
done

# "l s ARG" lines, sorted: long name, short letter, 1 if it takes an argument
table_options() { # C files: their getopt_long tables
	grep -ohE '\{ *"[a-z][a-z-]*", *(no|required|optional)_argument, *[A-Za-z0-9_&]+, *[^}]*\}' \
		"$@" | sed -E 's/\{ *"([a-z-]+)", *([a-z]+)_argument, *[^,]+, *'"'"'?([^ '"'"']*)'"'"'? *\}/\1 \3 \2/' |
		sed -E 's/ required$/ 1/; s/ (no|optional)$/ 0/' | sort -u
}
page_options() { # an scdoc source: its "*-s*, *--long* _arg_" entries (any section)
	grep -E '^\*-[A-Za-z0-9]\*, \*--[a-z-]+\*' "$1" |
		sed -E 's/^\*-(.)\*, \*--([a-z-]+)\*( _[^_]+_)?.*$/\2 \1 \3/' |
		awk '{ print $1, $2, (NF > 2 ? 1 : 0) }' | sort -u
}
check_options() { # PAGE SCD C-FILES...
	local page=$1 scd=$2
	shift 2
	local want got
	want=$(table_options "$@" || true)
	got=$(page_options "$scd" || true)
	[ -n "$want" ] || fail "$page: no getopt_long table found in $*"
	if [ "$want" != "$got" ]; then
		diff <(echo "$want") <(echo "$got") | sed 's/^/  /' >&2
		fail "$page: OPTIONS (>) differ from the program's getopt_long table (<)"
	fi
	echo "$page: options match $(echo "$want" | wc -l) getopt_long entries"
}
check_options ioasidd.8 "$src/docs/man/ioasidd.8.scd" "$src/src/daemon/ioasidd.c"
check_options ioasid-run.1 "$src/docs/man/ioasid-run.1.scd" "$src/tools/ioasid-run.c"
if [ -f "$mandir/ioasidctl.8" ]; then
	mapfile -t ctl_src < <(find "$src/tools" -name 'ioasidctl*.c')
	check_options ioasidctl.8 "$src/docs/man/ioasidctl.8.scd" "${ctl_src[@]}"
fi

missing=()
for fn in $(grep -ohE 'IOASID_EXPORT [^(]*\b(ioasid_[a-z_]+)\(' "$src"/include/ioasid/*.h |
	grep -oE 'ioasid_[a-z_]+\($' | tr -d '('); do
	grep -q "\*$fn\*" "$src/docs/man/libioasid.3.scd" || missing+=("$fn")
done
[ ${#missing[@]} -eq 0 ] || fail "libioasid(3) does not name: ${missing[*]}"
echo "libioasid.3: names every exported function"
echo "test_man: OK (${pages[*]})"
