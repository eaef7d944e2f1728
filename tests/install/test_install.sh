#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_install.sh BUILDDIR SRCDIR CC MAN [EXTRA_CFLAGS...]
# (environment: INST_PREFIX, INST_BINDIR, INST_SBINDIR, INST_INCLUDEDIR, INST_MANDIR, absolute,
# as configured)
#
# `meson install --destdir` into a fresh staging tree, then check what an installed ioasid
# promises:
#  - an out-of-tree program (consumer.c) compiles and links against <ioasid/ioasid.h> and
#    <linux/iommufd.h> with nothing but `pkg-config --cflags --libs ioasid` pointed at the
#    staged tree (PKG_CONFIG_SYSROOT_DIR), resolves libioasid.so.0 from that tree, and runs:
#    context, IOAS, map, DMA through a VT-d page table, unmap;
#  - our <linux/iommufd.h> does not land on the system's (INCLUDEDIR/linux) and is the one
#    pkg-config's flags find first;
#  - the daemon, ioasid-run, the preload shim (in LIBDIR/ioasid), the systemd user units with
#    ExecStart naming the installed daemon, and the man pages (MAN=1: scdoc was found) are
#    where they belong.
# EXTRA_CFLAGS: only the sanitizer flags of a sanitized build, whose libioasid needs the
# sanitizer runtime in the program too. The staged tree is removed at the end.
set -euo pipefail
build=$1 src=$2 cc=$3 man=$4
shift 4
prefix=$INST_PREFIX
extra=("$@")
stage=$(mktemp -d "${TMPDIR:-/tmp}/ioasid-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
fail() {
	echo "test_install: FAILED: $*" >&2
	exit 1
}

meson install -C "$build" --no-rebuild --quiet --destdir "$stage" >"$stage.log" 2>&1 ||
	{ cat "$stage.log"; rm -f "$stage.log"; fail "meson install --destdir"; }
rm -f "$stage.log"
root=$stage$prefix
[ -d "$root" ] || fail "nothing installed under $root"
bindir=$stage$INST_BINDIR incdir=$stage$INST_INCLUDEDIR mandir=$stage$INST_MANDIR

pc=$(find "$stage" -name ioasid.pc -path '*/pkgconfig/*')
[ -n "$pc" ] && [ "$(echo "$pc" | wc -l)" -eq 1 ] || fail "one ioasid.pc in the tree (found: $pc)"
libdir=$(dirname "$(dirname "$pc")")
echo "ioasid.pc: ${pc#"$stage"}"
sed 's/^/  | /' "$pc"

# a program needs ioasid.pc alone: nothing it requires (libioasid is installed shared only)
! grep -E '^Requires' "$pc" || fail "ioasid.pc requires no other package"
# pkg-config sees only the staged tree, and prefixes its paths with it
# (then the system's own .pc files, for what ioasid.pc requires: json-c)
sys_pc=$(pkg-config --variable pc_path pkg-config)
export PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$(dirname "$pc"):$sys_pc PKG_CONFIG_SYSROOT_DIR=$stage
flags=$(pkg-config --cflags --libs ioasid) || fail "pkg-config --cflags --libs ioasid"
echo "pkg-config --cflags --libs ioasid: $flags"
case " $flags " in
*" -I$incdir/ioasid/uapi "*) ;;
*) fail "the flags put our uapi directory on the include path" ;;
esac

[ -f "$incdir/ioasid/ioasid.h" ] || fail "<ioasid/ioasid.h> installed"
[ -f "$incdir/ioasid/simple.h" ] || fail "<ioasid/simple.h> installed"
[ -f "$incdir/ioasid/uapi/linux/iommufd.h" ] || fail "our <linux/iommufd.h> installed"
[ ! -e "$incdir/linux" ] || fail "nothing installed in INCLUDEDIR/linux (the system's)"
cmp -s "$incdir/ioasid/uapi/linux/iommufd.h" "$src/include/uapi/linux/iommufd.h" ||
	fail "the installed <linux/iommufd.h> is ours"

# compile with the flags alone (the preprocessor must pick our header: -H lists it)
# shellcheck disable=SC2086 # the flags are words
"$cc" -std=c11 -Wall -Werror -H -o "$stage/consumer" "$src/tests/install/consumer.c" \
	"${extra[@]}" $flags 2>"$stage/cc.log" || { cat "$stage/cc.log"; fail "compile consumer.c"; }
# (no `producer | grep -q` under pipefail: grep's early exit would fail the producer)
included=$(grep -E '^\.+ ' "$stage/cc.log" || true)
grep -q "$incdir/ioasid/uapi/linux/iommufd.h" <<<"$included" ||
	{ cat "$stage/cc.log"; fail "consumer.c included our <linux/iommufd.h>"; }
grep -q "$incdir/ioasid/ioasid.h" <<<"$included" ||
	fail "consumer.c included the installed <ioasid/ioasid.h>"

# it runs against the staged libioasid.so.0, nothing else
resolved=$(LD_LIBRARY_PATH=$libdir ldd "$stage/consumer" | awk '/libioasid\.so/ {print $3}')
[ "$resolved" = "$libdir/libioasid.so.0" ] ||
	fail "consumer resolves libioasid.so.0 from the staged tree (got '$resolved')"
out=$(LD_LIBRARY_PATH=$libdir "$stage/consumer") || fail "consumer ran: $out"
echo "$out"
[[ $out == "consumer: OK"* ]] || fail "consumer said OK"

# the rest of the installation
for f in ioasidd ioasid-run; do
	[ -x "$bindir/$f" ] || fail "BINDIR/$f installed"
done
[ -f "$libdir/ioasid/libioasid-preload.so" ] || fail "the shim in LIBDIR/ioasid"
[ ! -e "$libdir/libioasid-preload.so" ] || fail "no shim in LIBDIR itself (it is not linked to)"
run_strings=$(strings "$bindir/ioasid-run")
grep -qx "${libdir#"$stage"}/ioasid/libioasid-preload.so" <<<"$run_strings" ||
	fail "ioasid-run knows the installed shim's path"
unit=$(find "$stage" -name ioasidd.service -path '*/systemd/user/*')
[ -n "$unit" ] && [ -f "$(dirname "$unit")/ioasidd.socket" ] || fail "the user units installed"
grep -qx "ExecStart=$INST_BINDIR/ioasidd --idle-exit 300" "$unit" ||
	fail "ioasidd.service starts the installed daemon"
echo "units: ${unit%/*}"
if [ "$man" = 1 ]; then
	for page in man8/ioasidd.8 man1/ioasid-run.1 man3/libioasid.3; do
		f=$mandir/$page
		[ -s "$f" ] || fail "man page $page installed"
		grep -q '^\.TH "' "$f" || fail "$page is troff"
	done
	if [ -x "$bindir/ioasidctl" ] || [ -x "$stage$INST_SBINDIR/ioasidctl" ]; then
		[ -s "$mandir/man8/ioasidctl.8" ] || fail "ioasidctl(8) installed with ioasidctl"
	fi
	echo "man pages: $(cd "$mandir" && echo man*/*)"
else
	echo "man pages: not built (no scdoc), not checked"
fi
echo "test_install: OK"
