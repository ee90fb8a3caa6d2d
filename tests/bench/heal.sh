#!/bin/bash
# Resident sidecar: heal latency p50/p99 over deletions of a route it owns
# (debounce 0 and the default 100 ms), against a bare libmnl healer measured
# in the same run; idle CPU and PSS; cost of a no-op resync.
set -eu
BIN=${1:?linx-sidecar binary}
N=${N:-1000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
cc -O2 -o "$tmp/heal" "$here/heal.c" -lmnl

target() {
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

fmt() { awk '{printf "p50 %6.3f ms   p99 %6.3f ms   max %6.3f ms\n", $1/1000, $2/1000, $3/1000}'; }

target
echo "heal latency over $N deletions of an owned /32 route:"
printf "  bare libmnl healer (baseline): "; "$tmp/heal" "$tp" 10.124.0.1 10.123.0.2 "$N" --baseline | fmt
kill "$tp"
for deb in 0 100; do
	target; sidecar "$deb" 5000
	printf "  linx-sidecar debounce_ms=%-4s: " "$deb"
	"$tmp/heal" "$tp" 10.124.0.1 10.123.0.2 "$( [ "$deb" = 0 ] && echo "$N" || echo $((N / 10)) )" | fmt
	kill "$sp" "$tp"; wait "$sp" 2>/dev/null || true
done

# Idle: a resident sidecar with a 60 s resync, measured over 3 s.
target; sidecar 100 60000; sleep 0.5
ticks() { awk '{print $14 + $15}' "/proc/$sp/stat"; }
t0=$(ticks); sleep 3; t1=$(ticks)
pss=$(awk '/^Pss:/{print $2}' "/proc/$sp/smaps_rollup")
spss=$(sleep 5 & p=$!; sleep 0.1; awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup"; kill $p)
echo "idle: $((t1 - t0)) clock ticks of CPU in 3 s (target 0); PSS ${pss} KiB (target < 1024; a sleep process: ${spss} KiB)"
# No-op resync: passes run on demand through the control socket.
for i in $(seq 20); do "$BIN" reconcile "pid-$tp" --state-dir "$tmp/state" --json | jq .report.duration_us; done | sort -n | awk '{a[NR]=$1} END {printf "no-op pass (all subsystems): p50 %d us, max %d us\n", a[int(NR/2)+1], a[NR]}'
