#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# deb.sh [OUTDIR] - build ioasid's Debian packages, check them with lintian, install them in a
# clean root and run programs there. CI runs it (.ci/run); needs root (apt-get, chroot, mount).
#
#  1. Build: the committed and working-tree files (git ls-files) are copied to
#     OUTDIR/ioasid, and `dpkg-buildpackage -us -uc -b` runs there, so the .debs land in
#     OUTDIR and nothing is written outside it. DEB_BUILD_OPTIONS=nocheck: the test suite
#     is make check's job; this step is about the packaging.
#  2. lintian on the .changes: no errors (warnings are printed, not fatal).
#  3. A clean root: a minimal Debian system made by mmdebstrap from Debian's own packages
#     (variant essential, plus what our packages depend on: linux-libc-dev, libjson-c5 once
#     ioasidctl is in, ...), for the host's release and from the host's apt sources. It is
#     cached as a tarball, keyed by the release, the host's libc6 version and that list, in
#     $IOASID_DEB_CACHE (default /var/tmp/ioasid-deb); a first run takes a minute or so more.
#     The three packages are installed there with dpkg -i (dependencies must be satisfied by
#     the root alone). Then, inside the root (chroot, with its own /proc in a private mount
#     namespace):
#       - ioasid-run runs an unmodified /dev/iommu program (examples/iommufd_hello.c, built on
#         the host against the root's installed <linux/iommufd.h>), with the daemon it
#         starts being the installed /usr/bin/ioasidd and the shim the installed one;
#       - an out-of-tree libioasid program (tests/install/consumer.c), compiled on the host
#         with `pkg-config --cflags --libs ioasid` against the root (PKG_CONFIG_SYSROOT_DIR),
#         runs with the root's libioasid.so.0;
#       - ioasidctl, when the package has it, shows the daemon's status as JSON that jq reads;
#       - systemd-analyze verifies the installed user units (their ExecStart pointed at the
#         root's /usr/bin/ioasidd, since verify checks that the program exists).
#     The programs are compiled on the host because the root has no compiler: only the
#     headers, the .pc file and the libraries come from the packages.
# Ends with "deb: OK" and exit 0, or "deb: FAILED: reason" and exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$(realpath -m "${1:-build-deb}")
cache=${IOASID_DEB_CACHE:-/var/tmp/ioasid-deb}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
fail() {
	echo "deb: FAILED: $*" >&2
	exit 1
}
step() { echo "== deb: $* (at ${SECONDS}s)"; }
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# tools and build dependencies, only what is missing
need=()
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian mmdebstrap:mmdebstrap \
	jq:jq pkg-config:pkgconf gcc:gcc systemd-analyze:systemd; do
	command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]}"
	$SUDO apt-get update -qq >/dev/null || true
	$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! dpkg-checkbuilddeps >/dev/null 2>&1; then
	step "installing the build dependencies"
	$SUDO apt-get update -qq >/dev/null || true
	$SUDO apt-get build-dep -y -qq --no-install-recommends "$top" >/dev/null
fi

# 1. build (OUTDIR is emptied first: never the tree itself or anything holding it)
[ "$out" != / ] || fail "OUTDIR is /"
case "$top/" in
"${out%/}/"*) fail "OUTDIR $out holds the source tree" ;;
esac
step "build"
rm -rf "$out"
mkdir -p "$out/ioasid"
git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - |
	tar -xf - -C "$out/ioasid"
(cd "$out/ioasid" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	nice dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
	{ tail -n 40 "$out/build.log"; fail "dpkg-buildpackage (log: $out/build.log)"; }
changes=$(ls "$out"/*.changes)
mapfile -t debs < <(ls "$out"/*.deb)
for p in libioasid0 libioasid-dev ioasid; do
	ls "$out/${p}_"*.deb >/dev/null 2>&1 || fail "no $p package"
done
for d in "${debs[@]}"; do
	echo "  $(basename "$d"): $(dpkg-deb -c "$d" | grep -vc '/$') files"
done

# 2. lintian
step "lintian"
lintian --fail-on error --display-info "$changes" >"$out/lintian.log" 2>&1 ||
	{ cat "$out/lintian.log"; fail "lintian reports errors"; }
grep -v 'running with root privileges' "$out/lintian.log" | sed 's/^/  /' || true
echo "  lintian: $(grep -c '^E:' "$out/lintian.log" || true) errors," \
	"$(grep -c '^W:' "$out/lintian.log" || true) warnings"

# 3. a clean root
step "clean root"
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
libc=$(dpkg-query -W -f '${Version}' libc6)
# what our packages depend on, other than each other (first of alternatives, no versions)
deps=$(for p in libioasid0 libioasid-dev ioasid; do dpkg-deb -f "$out/${p}_"*.deb Depends; done |
	tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' |
	grep -vx 'libioasid0\|libioasid-dev\|ioasid' | sort -u | paste -sd, -)
key=$(echo "$libc $deps" | sha256sum | cut -c1-12)
tarball=$cache/$codename-essential-$key.tar
if [ ! -s "$tarball" ]; then
	mkdir -p "$cache"
	find "$cache" -name "$codename-essential-*.tar" -mtime +7 -delete # roots no longer used
	echo "  mmdebstrap $codename (essential + $deps), cached as $tarball"
	nice mmdebstrap --quiet --variant=essential --mode=root --format=tar --include="$deps" \
		--dpkgopt=force-unsafe-io \
		"$codename" "$tarball.tmp" >"$out/mmdebstrap.log" 2>&1 ||
		{ cat "$out/mmdebstrap.log"; fail "mmdebstrap"; }
	mv "$tarball.tmp" "$tarball"
fi
root=$out/root
mkdir -p "$root"
tar -xf "$tarball" -C "$root"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
chroot "$root" sh -c 'dpkg -i /tmp/debs/libioasid0_*.deb /tmp/debs/libioasid-dev_*.deb \
	/tmp/debs/ioasid_*.deb' >"$out/install.log" 2>&1 ||
	{ cat "$out/install.log"; fail "dpkg -i of the packages in the clean root"; }
chroot "$root" dpkg-query -W libioasid0 libioasid-dev ioasid | sed 's/^/  installed: /'
for f in /usr/bin/ioasidd /usr/bin/ioasid-run /usr/lib/systemd/user/ioasidd.socket \
	/usr/share/man/man8/ioasidd.8.gz /usr/include/ioasid/ioasid.h; do
	[ -e "$root$f" ] || fail "$f is not in the installed root"
done
shim=$(chroot "$root" dpkg -L ioasid | grep '/libioasid-preload\.so$') ||
	fail "the shim is in the ioasid package"

# programs built on the host against the root's installed files
pcdir=$(dirname "$(chroot "$root" dpkg -L libioasid-dev | grep '/ioasid\.pc$')")
flags=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$root$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
	pkg-config --cflags --libs ioasid) || fail "pkg-config against the root"
echo "  pkg-config --cflags --libs ioasid: $flags"
# shellcheck disable=SC2086 # the flags are words
gcc -std=c11 -Wall -Werror -o "$root/tmp/consumer" tests/install/consumer.c $flags ||
	fail "consumer.c against the installed libioasid-dev"
# shellcheck disable=SC2086
gcc -std=gnu11 -D_GNU_SOURCE -Wall -Werror -o "$root/tmp/iommufd-hello" examples/iommufd_hello.c \
	$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$root$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
		pkg-config --cflags ioasid) || fail "iommufd_hello.c against the installed headers"

# run them inside the root: its own /proc in a private mount namespace, a clean environment
has_ctl=0
if [ -x "$root/usr/sbin/ioasidctl" ] || [ -x "$root/usr/bin/ioasidctl" ]; then
	has_ctl=1
	echo "  the ioasid package has ioasidctl"
fi
cat >"$root/tmp/run-tests.sh" <<'INNER'
set -eu
has_ctl=$1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
echo "  in the root: $(. /etc/os-release && echo "$PRETTY_NAME"), $(dpkg -l | grep -c '^ii') packages"
/tmp/consumer
# an unmodified /dev/iommu program under the installed ioasid-run (daemon started on demand)
IOASID_IDLE_EXIT=30 ioasid-run -- /tmp/iommufd-hello | sed 's/^/  /'
pid=
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/bin/ioasidd ] && pid="$pid ${p#/proc/}"
done
pid=${pid# }
case "$pid" in
"" | *" "*) echo "one installed ioasidd running after ioasid-run (found: '$pid')" >&2; exit 1 ;;
esac
[ -S /run/ioasid/ioasidd.sock ] || { echo "no socket at /run/ioasid/ioasidd.sock" >&2; exit 1; }
echo "  daemon: /usr/bin/ioasidd, pid $pid, on /run/ioasid/ioasidd.sock"
if [ "$has_ctl" = 1 ]; then
	ioasidctl -j status >/tmp/status.json
	echo "  ioasidctl -j status: $(wc -c </tmp/status.json) bytes of JSON"
fi
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || { echo "ioasidd did not exit on SIGTERM" >&2; exit 1; }
INNER
unshare --mount --propagation private --fork sh -c \
	'mount -t proc proc "$1/proc" && exec chroot "$1" env -i sh /tmp/run-tests.sh "$2"' \
	sh "$root" "$has_ctl" || fail "running the installed programs in the clean root"
if [ $has_ctl -eq 1 ]; then
	jq -e . "$root/tmp/status.json" >/dev/null || fail "ioasidctl -j status is not JSON"
	echo "  ioasidctl -j status: jq reads it"
fi

# the installed user units (systemd-analyze has no --root for user units: a copy whose
# ExecStart names the root's /usr/bin/ioasidd by its path from here, nothing else changed)
grep -qx 'ExecStart=/usr/bin/ioasidd --idle-exit 300' "$root/usr/lib/systemd/user/ioasidd.service" ||
	fail "the installed ioasidd.service starts /usr/bin/ioasidd"
mkdir -p "$out/units" "$out/xdg"
cp "$root/usr/lib/systemd/user/ioasidd.socket" "$out/units/"
sed "s|^ExecStart=/usr/bin/ioasidd |ExecStart=$root/usr/bin/ioasidd |" \
	"$root/usr/lib/systemd/user/ioasidd.service" >"$out/units/ioasidd.service"
verify=$(cd "$out/units" && XDG_RUNTIME_DIR=$out/xdg systemd-analyze --user --man=no verify \
	./ioasidd.socket ./ioasidd.service 2>&1) && [ -z "$verify" ] ||
	fail "systemd-analyze verify of the installed units: $verify"
echo "  systemd-analyze --user verify of the installed units: clean"
echo "deb: OK in ${SECONDS}s ($(cd "$out" && echo ./*.deb | sed 's|\./||g'))"
