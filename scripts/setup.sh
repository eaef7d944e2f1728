#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what building and testing ioasid needs, only when it is missing. Idempotent; needs
# root (or sudo) only when something is actually missing.
set -euo pipefail
need=()
command -v meson >/dev/null || need+=(meson)
command -v ninja >/dev/null || need+=(ninja-build)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v gcc >/dev/null || need+=(gcc)
command -v clang-format >/dev/null || need+=(clang-format)
# clang with libFuzzer and the sanitizer runtimes: scripts/fuzz.sh
command -v clang >/dev/null || need+=(clang)
[ -f /usr/include/cmocka.h ] || need+=(libcmocka-dev)
[ -f /usr/include/linux/types.h ] || need+=(linux-libc-dev)
# installation: man pages (scdoc, man to check them), the systemd units' checks
command -v scdoc >/dev/null || need+=(scdoc)
command -v man >/dev/null || need+=(man-db)
command -v systemd-analyze >/dev/null || need+=(systemd)
[ -f /usr/include/json-c/json.h ] || need+=(libjson-c-dev)
# the platform file of the emulated devices (src/platform)
[ -f /usr/include/ini.h ] || need+=(libinih-dev)
command -v jq >/dev/null || need+=(jq)
# the newest upstream selftest (scripts/conformance-next.sh) includes <sys/capability.h>
[ -f /usr/include/sys/capability.h ] || need+=(libcap-dev)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "setup: installing ${need[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
