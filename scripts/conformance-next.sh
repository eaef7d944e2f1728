#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# conformance-next.sh BUILD — run the NEWEST upstream iommufd selftest Debian packages against
# ioasid (scripts/conformance.sh runs Debian's 6.12 copy).
#
#   make conformance-next       (runs: bash scripts/conformance-next.sh build)
#
# What it does (docs/conformance.md, "The newest upstream selftest", has the long form):
#   1. With an apt configuration of its own (sources, lists, cache and status under the cache
#      folder; the system's apt sources and state are never read nor written), updates the
#      package lists of $CONFORMANCE_NEXT_SUITES and picks the newest linux-source-N.M they
#      offer, at its highest version. Failing to reach the mirror fails the run (exit 2).
#   2. Downloads that .deb (apt-get download) and extracts only the selftest, the kselftest
#      harness headers, the uAPI headers <linux/iommufd.h> and <linux/vfio.h>, and the
#      kernel's drivers/iommu/iommufd/iommufd_test.h, into the cache, once per version (the
#      .deb itself is not kept). Nothing of it is ever committed.
#   3. Compiles iommufd and iommufd_fail_nth against THAT kernel's headers, as the kselftest
#      build does (the uAPI headers stripped of kernel-only annotations as headers_install
#      does): the programs see the kernel's ABI, and ioasid must serve it byte for byte.
#   4. to 6. as scripts/conformance.sh (shared: scripts/conformance-lib.sh): hugetlb pages,
#      the run under BUILD/tools/ioasid-run, BUILD/conformance-next/results.tsv, and the
#      floor tests/conformance/expected-pass-next.txt.
#
# Environment knobs (all optional; the run knobs of conformance.sh apply too):
#   CONFORMANCE_NEXT_CACHE=DIR    default ${XDG_CACHE_HOME:-~/.cache}/ioasid/conformance-next
#   CONFORMANCE_NEXT_MIRROR=URL   default http://deb.debian.org/debian
#   CONFORMANCE_NEXT_SUITES="sid trixie-backports"   where to look for linux-source-N.M
#   CONFORMANCE_NEXT_PACKAGE=linux-source-7.3        take this one instead of the newest
#   CONFORMANCE_NEXT_OFFLINE=1    do not ask the mirror; use the newest source already in the
#                                 cache (never set in CI: there an unreachable mirror fails)
#   CONFORMANCE_EXPECTED=FILE     the floor (default tests/conformance/expected-pass-next.txt)
#
# Exit status: 0 floor held; 1 a test on the floor did not pass; 2 setup, download or compile
# failure.

set -uo pipefail
export LC_ALL=C
tag=conformance-next
# shellcheck source=conformance-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/conformance-lib.sh"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$repo/$build
out=$build/conformance-next
bindir=$out/bin
logdir=$out/logs
results=$out/results.tsv
expected=${CONFORMANCE_EXPECTED:-$repo/tests/conformance/expected-pass-next.txt}
timeout_s=${CONFORMANCE_TIMEOUT:-600}
want_huge=${CONFORMANCE_HUGEPAGES:-80}
binaries=${CONFORMANCE_BINARIES:-"iommufd iommufd_fail_nth"}
runner=${IOASID_RUN:-$build/tools/ioasid-run}
cache=${CONFORMANCE_NEXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ioasid/conformance-next}
mirror=${CONFORMANCE_NEXT_MIRROR:-http://deb.debian.org/debian}
suites=${CONFORMANCE_NEXT_SUITES:-"sid trixie-backports"}
seldir=tools/testing/selftests

conf_init
mkdir -p "$cache" || die "cannot create the cache folder $cache"
# Two runs sharing the cache (plain and sanitized builds) take turns.
exec 9>"$cache/.lock" && flock 9 || die "cannot lock $cache/.lock"

# ---------------------------------------------------------------- 1. a private apt
# Everything apt reads or writes lives under $cache/apt: the sources list made here, the
# package lists, the archive cache, an empty dpkg status (nothing is installed through it),
# and no preferences or extra sources of the system's.
t0=$(now)
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" \
	"$apt_dir/prefs" || die "cannot create $apt_dir"
: >"$apt_dir/status"
{
	for s in $suites; do echo "deb $mirror $s main"; done
} >"$apt_dir/sources.list.tmp" && mv "$apt_dir/sources.list.tmp" "$apt_dir/sources.list"
apt_opts=(-q -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts="$apt_dir/parts"
	-o Dir::Etc::Preferences="$apt_dir/prefs/none" -o Dir::Etc::PreferencesParts="$apt_dir/prefs"
	-o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status="$apt_dir/status"
	-o Dir::Cache="$apt_dir/cache" -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=1
	-o Acquire::Languages=none -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false)
# apt fetches as the unprivileged _apt user when run as root; the private folders are root's.
[[ $(id -u) = 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)

newest_cached() {
	ls -d "$cache"/src-linux-source-*/ 2>/dev/null | sed 's,/$,,' | sort -V | tail -n1
}

pkg= pkgver=
if [[ -n ${CONFORMANCE_NEXT_OFFLINE:-} ]]; then
	srcdir=$(newest_cached)
	[[ -n $srcdir && -f $srcdir/.stamp ]] ||
		die "CONFORMANCE_NEXT_OFFLINE=1 but nothing is cached in $cache"
	read -r pkg pkgver <"$srcdir/.stamp"
	note "offline: using the cached $pkg $pkgver"
else
	if ! apt-get "${apt_opts[@]}" update >"$logdir/apt-update.log" 2>&1 ||
		grep -Eq '^(W|E): (Failed|Some index files failed)' "$logdir/apt-update.log"; then
		sed 's/^/  /' "$logdir/apt-update.log" | tail -n 8 >&2
		die "cannot update the package lists of $suites from $mirror (network?); see $logdir/apt-update.log"
	fi
	if [[ -n ${CONFORMANCE_NEXT_PACKAGE:-} ]]; then
		pkg=$CONFORMANCE_NEXT_PACKAGE
	else
		pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-source- 2>/dev/null |
			grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -V | tail -n1)
	fi
	[[ -n $pkg ]] || die "no linux-source-N.M in $suites"
	pkgver=$(apt-cache "${apt_opts[@]}" madison "$pkg" | awk -F' *[|] *' '{ print $2 }' |
		sort -V | tail -n1)
	[[ -n $pkgver ]] || die "$pkg has no version in $suites"
	note "newest source package: $pkg $pkgver (suites: $suites; $(took "$t0"))"
fi

# ---------------------------------------------------------------- 2. download and extract
t0=$(now)
srcdir=$cache/src-$pkg-$pkgver
src=$srcdir
if [[ $(cat "$srcdir/.stamp" 2>/dev/null) != "$pkg $pkgver" ]]; then
	top=$pkg # the tarball's top folder
	tarname=$pkg.tar.xz
	dl=$cache/download
	rm -rf "$dl" "$srcdir" "$srcdir.tmp"
	mkdir -p "$dl" "$srcdir.tmp"
	note "downloading $pkg $pkgver"
	(cd "$dl" && apt-get "${apt_opts[@]}" download "$pkg=$pkgver") >"$logdir/apt-download.log" 2>&1 || {
		tail -n 5 "$logdir/apt-download.log" >&2
		die "apt-get download $pkg=$pkgver failed (network?); see $logdir/apt-download.log"
	}
	deb=$(ls "$dl"/"${pkg}"_*.deb 2>/dev/null | head -n1)
	[[ -n $deb ]] || die "apt-get download left no .deb in $dl"
	member=$(dpkg-deb -c "$deb" | awk -v n="$tarname" '$NF ~ "/" n "$" { print $NF }')
	[[ -n $member ]] || die "$deb has no $tarname"
	note "extracting the selftest and the headers it needs"
	# Only what the build needs out of the tarball: decompressing it is most of the cost.
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" |
		tar -xJ -C "$srcdir.tmp" --strip-components=1 --wildcards --no-wildcards-match-slash \
			"$top/$seldir/iommu/*" \
			"$top/$seldir/*.h" \
			"$top/$seldir/lib.mk" \
			"$top/include/uapi/linux/iommufd.h" \
			"$top/include/uapi/linux/vfio.h" \
			"$top/drivers/iommu/iommufd/iommufd_test.h" ||
		die "extracting from $deb failed"
	rm -rf "$dl"
	# Every quoted include must resolve inside what was extracted.
	missing=
	while IFS= read -r f; do
		d=$(dirname "$f")
		while IFS= read -r inc; do
			[[ -f $d/$inc || -f $srcdir.tmp/$seldir/$inc ]] || missing+=" $f:$inc"
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done < <(find "$srcdir.tmp/$seldir" -name '*.[ch]')
	[[ -z $missing ]] || die "the extracted selftest includes files not extracted:$missing"
	# The uAPI headers as "make headers_install" leaves them: kernel-only annotations gone.
	mkdir -p "$srcdir.tmp/khdr/linux"
	for h in iommufd vfio; do
		sed -E -e 's/\b__user\b//g' -e 's/\b__force\b//g' -e 's/\b__iomem\b//g' \
			-e 's/\b__counted_by(_le|_be)?\([^)]*\)//g' \
			"$srcdir.tmp/include/uapi/linux/$h.h" >"$srcdir.tmp/khdr/linux/$h.h" ||
			die "cannot prepare <linux/$h.h>"
	done
	echo "$pkg $pkgver" >"$srcdir.tmp/.stamp"
	mv "$srcdir.tmp" "$srcdir"
	# Older versions are not needed any more.
	for old in "$cache"/src-linux-source-*; do
		[[ $old = "$srcdir" ]] || rm -rf "$old"
	done
	note "extracted into $srcdir ($(took "$t0"))"
else
	note "$pkg $pkgver already extracted in $srcdir"
fi
echo "$pkg $pkgver" >"$out/source.txt"
# the answers of this release where releases differ (docs/conformance.md)
export IOASID_KERNEL_ABI=${pkg#linux-source-}

# ---------------------------------------------------------------- 3. compile against its headers
tdir=$src/$seldir/iommu
# As the kselftest build does: the selftest Makefile's flags and -lcap, lib.mk's
# -D_GNU_SOURCE= and -I of the selftests folder, and the kernel's own uAPI headers first
# (KHDR_INCLUDES). The selftest's relative include of iommufd_test.h finds the kernel's.
cflags=(-Wall -O2 -Wno-unused-function -D_GNU_SOURCE= -I"$src/$seldir" -isystem "$src/khdr")
ldlibs=(-lcap -lpthread)
compile_deps=("$tdir/iommufd_utils.h" "$src/$seldir/kselftest_harness.h" "$src/.stamp"
	"${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/conformance-lib.sh")
conf_compile

# ---------------------------------------------------------------- 4 to 6: shared
conf_hugepages
conf_guard
conf_run
conf_results
conf_floor
conf_finish
exit $status
