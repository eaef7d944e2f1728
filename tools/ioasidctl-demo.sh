#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ioasidctl-demo.sh IOASIDCTL - the end of `make run`: ioasidctl looks at a live program.
#
# Run as the command of examples/iommufd-graph (under ioasid-run), which keeps its objects
# alive meanwhile and names them in IOASID_GRAPH_*. Shows the program's objects and the walk
# of one IOVA through its HWPT's page table, in text and in JSON that jq parses.
set -euo pipefail
CTL=$1
P=$IOASID_GRAPH_PID
HWPT=$IOASID_GRAPH_HWPT

echo "== ioasidctl objects --pid $P"
"$CTL" objects --pid "$P"
if [ "$HWPT" -ne 0 ]; then
	echo "== ioasidctl pt $HWPT --pid $P --iova $IOASID_GRAPH_IOVA_ANON"
	"$CTL" pt "$HWPT" --pid "$P" --iova "$IOASID_GRAPH_IOVA_ANON"
fi
echo "== ioasidctl -j objects --pid $P | jq"
"$CTL" -j objects --pid "$P" |
	jq -c '.contexts[0].context.objects[] | {id, type, users, links}'
if [ "$HWPT" -ne 0 ]; then
	echo "== ioasidctl -j pt $HWPT --pid $P --iova $IOASID_GRAPH_IOVA_ANON | jq"
	"$CTL" -j pt "$HWPT" --pid "$P" --iova "$IOASID_GRAPH_IOVA_ANON" |
		jq -c '.context | (.steps[] | {level, index, value, kind, flags}), .result'
else
	echo "(no HWPT: libioasid was built without test hooks, so no page table to walk)"
fi
echo "ioasidctl: OK"
