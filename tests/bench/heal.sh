#!/bin/bash
# Resident sidecar: heal latency p50/p99 over deletions of a route it owns
# (debounce 0 and the default 100 ms), against a bare libmnl healer measured
# in the same run (tests/bench/heal.c --baseline); cost of a no-op resync.
# (The idle footprint is footprint.sh's.)
set -eu
BIN=${1:?linx-sidecar binary}
N=${N:-1000}
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

new_target() {
	unshare -n sh -c 'ip link set lo up; ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up; ip addr add 10.123.0.1/24 dev v0; exec sleep 3600' &
	tp=$!; pids+=("$tp"); sleep 0.2
}

sidecar() { # debounce interval
	cat >"$tmp/d.json" <<JSON
{"network": {"routes": ["10.124.0.1/32 via 10.123.0.2"]},
 "options": {"debounce_ms": $1, "interval_ms": $2}}
JSON
	"$BIN" --pid "$tp" --desired "$tmp/d.json" --state-dir "$tmp/state" 2>/dev/null &
	sp=$!; pids+=("$sp")
	for _ in $(seq 200); do [ -S "$tmp/state/pid-$tp/control.sock" ] && break; sleep 0.01; done
}

fmt() { awk '{printf "p50 %6.3f ms   p99 %6.3f ms   max %6.3f ms\n", $1/1000, $2/1000, $3/1000}' "$1"; }

new_target
echo "heal latency over $N deletions of an owned /32 route:"
"$BENCH_BIN/heal" "$tp" 10.124.0.1 10.123.0.2 "$N" --baseline >"$tmp/bare"
printf "  bare libmnl healer (reference): "; fmt "$tmp/bare"
kill "$tp"
for deb in 0 100; do
	new_target; sidecar "$deb" 5000
	"$BENCH_BIN/heal" "$tp" 10.124.0.1 10.123.0.2 "$( [ "$deb" = 0 ] && echo "$N" || echo $((N / 20)) )" >"$tmp/lx$deb"
	printf "  linx-sidecar debounce_ms=%-4s   : " "$deb"; fmt "$tmp/lx$deb"
	kill "$sp" "$tp"; wait "$sp" 2>/dev/null || true
done

read -r _ bp99 _ <"$tmp/bare"; read -r _ lp99 _ <"$tmp/lx0"
target "heal p99 debounce_ms 0 / bare healer" "$(ratio "$lp99" "$bp99")" le 2 "$lp99 vs $bp99 us"
new_target; sidecar 100 60000; sleep 0.5
# No-op resync: passes run on demand through the control socket.
for i in $(seq 20); do "$BIN" reconcile "pid-$tp" --state-dir "$tmp/state" --json | jq .report.duration_us; done | sort -n | awk '{a[NR]=$1} END {printf "no-op pass (all subsystems): p50 %d us, max %d us\n", a[int(NR/2)+1], a[NR]}'
