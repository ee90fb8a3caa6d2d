#!/bin/bash
# make bench: every benchmark, each printing its figures against references
# measured in the same run, then every target's verdict.
set -u
BIN=${1:-build/linx-sidecar}
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_SUMMARY=$(mktemp)
trap 'rm -f "$BENCH_SUMMARY"' EXIT
rc=0
start=$SECONDS
echo "make bench on $(uname -n), kernel $(uname -r), $(nproc) CPUs, $(date -u '+%F %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for b in routes.sh hook_vs_cni.sh footprint.sh heal.sh addresses.sh nft.sh; do
	[ -f "$here/$b" ] || continue
	echo "== $b"
	t=$SECONDS
	bash "$here/$b" "$BIN" || { echo "$b failed"; rc=1; }
	echo "   ($b: $((SECONDS - t)) s)"
done
echo "== targets (same run; ratios of medians)"
cat "$BENCH_SUMMARY"
echo "make bench: $((SECONDS - start)) s"
exit $rc
