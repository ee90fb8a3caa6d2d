#!/bin/bash
# make bench: every benchmark, each printing its figures against a baseline
# measured in the same run.
set -u
BIN=${1:-build/linx-sidecar}
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in routes.sh heal.sh hook_vs_cni.sh; do
	[ -f "$here/$b" ] || continue
	echo "== $b"
	bash "$here/$b" "$BIN" || { echo "$b failed"; rc=1; }
done
exit $rc
