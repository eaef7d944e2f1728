#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-inproc.sh [options] -- command...  — run a program with /dev/iommu served in-process.
#
# A stand-in for ioasid-run while working on the core: it preloads libioasid-inproc.so
# (tests/conformance/inproc_preload.c), which answers /dev/iommu from a context inside the
# program itself, no daemon. Use it as the conformance script's wrapper:
#
#   IOASID_RUN=$PWD/tests/conformance/run-inproc.sh bash scripts/conformance.sh BUILD
#
# The library is $IOASID_INPROC_LIB, or BUILD/tests/conformance/libioasid-inproc.so of the
# first of these build folders that has one: $IOASID_INPROC_BUILD, then build/ of this tree.
# Options before "--" (ioasid-run's) are accepted and ignored. Tests that fork and share the
# fd with the child cannot pass this way (see inproc_preload.c); the daemon is needed there.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lib=${IOASID_INPROC_LIB:-}
if [[ -z $lib ]]; then
	for b in ${IOASID_INPROC_BUILD:-} "$repo/build"; do
		if [[ -e $b/tests/conformance/libioasid-inproc.so ]]; then
			lib=$b/tests/conformance/libioasid-inproc.so
			break
		fi
	done
fi
if [[ -z $lib || ! -e $lib ]]; then
	echo "run-inproc: no libioasid-inproc.so (build with -Dtest_hooks=true, or set IOASID_INPROC_LIB)" >&2
	exit 2
fi
for a in "$@"; do
	if [[ $a = -- ]]; then
		while [[ $1 != -- ]]; do shift; done
		shift
		break
	fi
done
[[ $# -gt 0 ]] || { echo "usage: run-inproc.sh [options] -- command..." >&2; exit 2; }
export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
exec "$@"
