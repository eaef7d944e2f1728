#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# conformance.sh BUILD — run the kernel's own iommufd selftest against ioasid.
#
#   make conformance            (runs: bash scripts/conformance.sh build)
#
# What it does (docs/conformance.md has the long form):
#   1. makes sure Debian's linux-source-6.12 is there (installs it as root, or downloads the
#      .deb into the build tree otherwise) and extracts only the selftest (tools/testing/
#      selftests/iommu), the kselftest harness headers and the vfio uAPI header it includes
#      into BUILD/conformance/src; nothing of it is ever committed. Cached per package version.
#   2. compiles iommufd and iommufd_fail_nth against OUR headers: include/uapi first on the
#      include path for <linux/iommufd.h>, and our iommufd_test.h placed where the selftest's
#      relative include looks for the kernel's private one.
#   3. reserves hugetlb pages through /proc/sys/vm/nr_hugepages when it can; restores on exit.
#   4. runs each binary under BUILD/tools/ioasid-run with a timeout, parses the TAP output.
#   5. writes BUILD/conformance/results.tsv ("name<TAB>pass|fail|skip") and prints
#      "conformance: P passed, F failed, S skipped of T".
#   6. compares with tests/conformance/expected-pass.txt (the floor): exits 1 if a listed test
#      did not pass, and names the tests that passed but are not listed yet.
#
# Environment knobs (all optional):
#   CONFORMANCE_TIMEOUT=600      seconds per binary
#   CONFORMANCE_HUGEPAGES=80     free hugetlb pages to make sure of (0: leave vm.nr_hugepages
#                                alone); the largest variant maps 64 at once
#   CONFORMANCE_EXPECTED=FILE    the floor list (default tests/conformance/expected-pass.txt)
#   CONFORMANCE_BINARIES="iommufd iommufd_fail_nth"
#   CONFORMANCE_ARGS="-f iommufd_ioas"   extra harness arguments (filters) for every binary
#   IOASID_RUN=PATH              the wrapper (default BUILD/tools/ioasid-run)
#   IOASID_RUN_OPTS="..."        options given to the wrapper before "--"
#   CONFORMANCE_DIRECT=1         run the binaries bare, without the wrapper (debugging the
#                                parser, or comparing with a real kernel; never the default)
#   CONFORMANCE_HOST_FAULT_INJECTION=1   do not hide the host's /sys/kernel/debug (step 3b)
#
# Exit status: 0 floor held; 1 a test on the floor did not pass; 2 setup or compile failure.
#
# Steps 2 to 6 are shared with scripts/conformance-next.sh (the newest upstream selftest):
# scripts/conformance-lib.sh.

set -uo pipefail
export LC_ALL=C
tag=conformance
# shellcheck source=conformance-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/conformance-lib.sh"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$repo/$build
out=$build/conformance
src=$out/src
bindir=$out/bin
logdir=$out/logs
results=$out/results.tsv
expected=${CONFORMANCE_EXPECTED:-$repo/tests/conformance/expected-pass.txt}
timeout_s=${CONFORMANCE_TIMEOUT:-600}
want_huge=${CONFORMANCE_HUGEPAGES:-80}
binaries=${CONFORMANCE_BINARIES:-"iommufd iommufd_fail_nth"}
runner=${IOASID_RUN:-$build/tools/ioasid-run}
pkg=linux-source-6.12
tarname=linux-source-6.12.tar.xz
top=linux-source-6.12           # the tarball's top folder
seldir=tools/testing/selftests

conf_init

# ---------------------------------------------------------------- 1. the source package
t0=$(now)
tarball=/usr/src/$tarname
pkgver=
if [[ -f $tarball ]] && dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
	pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
elif [[ $(id -u) = 0 ]]; then
	note "installing $pkg"
	apt_quiet=(-q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600)
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y "${apt_quiet[@]}" --no-install-recommends "$pkg" >"$logdir/apt.log" 2>&1; then
		apt-get update "${apt_quiet[@]}" >>"$logdir/apt.log" 2>&1
		apt-get install -y "${apt_quiet[@]}" --no-install-recommends "$pkg" >>"$logdir/apt.log" 2>&1 ||
			die "apt-get install $pkg failed (see $logdir/apt.log)"
	fi
	[[ -f $tarball ]] || die "$pkg installed but $tarball is missing"
	pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
else
	# Not root: fetch the .deb into the build tree and keep only the tarball out of it
	# (rm -rf BUILD/conformance to fetch a newer one).
	debdir=$out/deb
	tarball=$debdir/$tarname
	pkgver=$(cat "$debdir/.version" 2>/dev/null)
	if [[ ! -f $tarball || -z $pkgver ]]; then
		note "downloading $pkg (not root: not installing it)"
		rm -rf "$debdir"
		mkdir -p "$debdir"
		(cd "$debdir" && apt-get download -q "$pkg" >"$logdir/apt.log" 2>&1) ||
			die "apt-get download $pkg failed; install it as root: apt-get install $pkg"
		deb=$(ls "$debdir"/${pkg}_*.deb | sort -V | tail -n1)
		pkgver=$(dpkg-deb -f "$deb" Version)
		member=$(dpkg-deb -c "$deb" | awk -v n="$tarname" '$NF ~ "/" n "$" { print $NF }')
		[[ -n $member ]] || die "$deb has no $tarname"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" >"$tarball" ||
			die "cannot take $tarname out of $deb"
		rm -f "$deb"
		echo "$pkgver" >"$debdir/.version"
	fi
fi
note "source package $pkg $pkgver ($(took "$t0"))"
# Where releases answer a call differently, the program gets the answers of the release whose
# selftest this is (IOASID_KERNEL_ABI, docs/conformance.md "Kernel releases that differ").
export IOASID_KERNEL_ABI=${pkg#linux-source-}

# ---------------------------------------------------------------- 1b. extract the selftest
t0=$(now)
stamp="$pkg $pkgver $(stat -c '%s %Y' "$tarball")"
if [[ $(cat "$src/.stamp" 2>/dev/null) != "$stamp" ]]; then
	note "extracting the selftest from $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	# The selftest folder, the harness headers at the top of selftests/ (kselftest.h,
	# kselftest_harness.h and their siblings), lib.mk for reference (flags), and the uAPI
	# header <linux/vfio.h> the tests include. The package's own iommufd.h and
	# iommufd_test.h are deliberately NOT extracted: ours are used.
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1 --wildcards --no-wildcards-match-slash \
		"$top/$seldir/iommu/*" \
		"$top/$seldir/*.h" \
		"$top/$seldir/lib.mk" \
		"$top/include/uapi/linux/vfio.h" ||
		die "extracting from $tarball failed"
	# The harness must be self-contained: every quoted include must resolve in the tree,
	# except the one file we supply (iommufd_test.h).
	missing=
	while IFS= read -r f; do
		d=$(dirname "$f")
		while IFS= read -r inc; do
			case $inc in */iommufd_test.h) continue ;; esac
			[[ -f $d/$inc ]] || missing+=" $f:$inc"
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done < <(find "$src.tmp/$seldir" -name '*.[ch]')
	[[ -z $missing ]] || die "the extracted selftest includes files not extracted:$missing"
	echo "$stamp" >"$src.tmp/.stamp"
	mv "$src.tmp" "$src"
	note "extracted into $src ($(took "$t0"))"
else
	note "selftest already extracted for $pkgver"
fi

# ---------------------------------------------------------------- 2. compile against our headers
t0=$(now)
tdir=$src/$seldir/iommu
# The selftest includes "../../../../drivers/iommu/iommufd/iommufd_test.h" relative to its
# folder, i.e. $src/drivers/iommu/iommufd/iommufd_test.h: ours goes there.
mkdir -p "$src/drivers/iommu/iommufd" "$src/khdr/linux"
cmp -s "$repo/include/uapi/linux/iommufd_test.h" "$src/drivers/iommu/iommufd/iommufd_test.h" ||
	cp "$repo/include/uapi/linux/iommufd_test.h" "$src/drivers/iommu/iommufd/iommufd_test.h" ||
	die "cannot place iommufd_test.h"
# <linux/vfio.h> of the same kernel, kept in a folder of its own so that nothing else of the
# package's uAPI (its iommufd.h in particular) can shadow ours. The source tree's copy still
# has the kernel-only annotations that "make headers_install" strips; strip them the same way.
sed -e 's/\b__user\b//g' -e 's/\b__force\b//g' -e 's/\b__iomem\b//g' \
	"$src/include/uapi/linux/vfio.h" >"$src/khdr/linux/vfio.h.tmp" &&
	mv "$src/khdr/linux/vfio.h.tmp" "$src/khdr/linux/vfio.h" || die "cannot prepare <linux/vfio.h>"

# The flags the kselftest build uses: the selftest Makefile's -Wall -O2 -Wno-unused-function,
# lib.mk's -D_GNU_SOURCE= (iommufd.c includes libc headers before the harness defines it),
# and for kernel headers ours first, then the package's vfio.h (lib.mk's KHDR_INCLUDES).
cflags=(-Wall -O2 -Wno-unused-function -D_GNU_SOURCE= -I"$repo/include/uapi" -isystem "$src/khdr")
ldlibs=(-lpthread)
compile_deps=("$tdir/iommufd_utils.h" "$src/$seldir/kselftest_harness.h"
	"$src/$seldir/kselftest.h" "$repo/include/uapi/linux/iommufd.h"
	"$src/drivers/iommu/iommufd/iommufd_test.h" "${BASH_SOURCE[0]}"
	"$(dirname "${BASH_SOURCE[0]}")/conformance-lib.sh")
conf_compile

# ---------------------------------------------------------------- 3 to 6: shared
conf_hugepages
conf_guard
conf_run
conf_results
conf_floor
conf_finish
exit $status
