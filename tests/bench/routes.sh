#!/bin/bash
# 10,000 /32 routes: linx-sidecar reconcile (process start, parse, diff,
# apply, state and report written) vs `ip -batch`, each into a fresh
# namespace, in the same run; then the no-op second pass over the same
# 10,000 routes. ROUNDS rounds (default 5), medians printed.
#
#   tests/bench/routes.sh BIN      N=10000 ROUNDS=5
set -eu
BIN=${1:?linx-sidecar binary}
N=${N:-10000}
ROUNDS=${ROUNDS:-5}
tmp=$(mktemp -d)
cleanup() { ip netns del lxb-a 2>/dev/null || true; ip netns del lxb-b 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns del lxb-a 2>/dev/null || true; ip netns del lxb-b 2>/dev/null || true
python3 - "$N" "$tmp" <<'PY'
import sys, json
n, tmp = int(sys.argv[1]), sys.argv[2]
routes = ["10.%d.%d.%d/32 via 10.255.0.2" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
json.dump({"network": {"routes": routes}}, open(tmp + "/desired.json", "w"))
with open(tmp + "/batch", "w") as f:
    for r in routes:
        f.write("route add %s proto 76\n" % r)
PY
# now VAR: microseconds from bash's clock into VAR, no fork (a $(...)
# would put a ~4 ms fork inside the measured interval).
now() { local t=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' "$((10#$t))"; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
settle() {
	# Deleting a namespace with 10,000 routes is finished by a kernel
	# worker after `ip netns del` returns; let it end before measuring.
	local i=0
	while [ $i -lt 50 ] && grep -q cleanup_net /proc/[0-9]*/stack 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.5
}
: >"$tmp/lx"; : >"$tmp/ipb"; : >"$tmp/noop"
for r in $(seq "$ROUNDS"); do
	for ns in lxb-a lxb-b; do
		ip netns add $ns
		ip -n $ns link add v0 type veth peer name v1
		ip -n $ns link set v0 up; ip -n $ns link set v1 up
		ip -n $ns addr add 10.255.0.1/16 dev v0
	done
	rm -rf "$tmp/state"
	settle
	now t0; "$BIN" reconcile --netns /run/netns/lxb-a --desired "$tmp/desired.json" --state-dir "$tmp/state" >/dev/null; now t1
	now t2; ip -n lxb-b -batch "$tmp/batch"; now t3
	now t4; "$BIN" reconcile --netns /run/netns/lxb-a --desired "$tmp/desired.json" --state-dir "$tmp/state" >/dev/null; now t5
	got=$(ip -n lxb-a route show proto 76 | wc -l)
	[ "$got" = "$N" ] || { echo "routes: expected $N, found $got" >&2; exit 1; }
	got=$(ip -n lxb-b route show proto 76 | wc -l)
	[ "$got" = "$N" ] || { echo "ip -batch: expected $N, found $got" >&2; exit 1; }
	echo $((t1 - t0)) >>"$tmp/lx"; echo $((t3 - t2)) >>"$tmp/ipb"; echo $((t5 - t4)) >>"$tmp/noop"
	printf "  round %d: reconcile %6.1f ms, ip -batch %6.1f ms, no-op %5.1f ms\n" "$r" \
		"$(echo "$((t1 - t0))/1000" | bc -l)" "$(echo "$((t3 - t2))/1000" | bc -l)" "$(echo "$((t5 - t4))/1000" | bc -l)"
	ip netns del lxb-a; ip netns del lxb-b
done
lx=$(median <"$tmp/lx"); ipb=$(median <"$tmp/ipb"); noop=$(median <"$tmp/noop")
echo "routes: $N /32 routes, median of $ROUNDS rounds"
printf "  linx-sidecar reconcile : %8.1f ms\n" "$(echo "$lx/1000" | bc -l)"
printf "  ip -batch (baseline)   : %8.1f ms\n" "$(echo "$ipb/1000" | bc -l)"
printf "  speed-up               : %8.2fx (target >= 3x)\n" "$(echo "$ipb/$lx" | bc -l)"
printf "  no-op second pass      : %8.1f ms (target < 50 ms, whole process)\n" "$(echo "$noop/1000" | bc -l)"
