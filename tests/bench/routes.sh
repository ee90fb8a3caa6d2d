#!/bin/bash
# 10,000 /32 routes: linx-sidecar reconcile (process start, parse, diff,
# apply) vs `ip -batch`, each into a fresh namespace, in the same run; then
# the no-op second pass over the same 10,000 routes.
set -eu
BIN=${1:?linx-sidecar binary}
N=${N:-10000}
tmp=$(mktemp -d); trap 'ip netns del lxb-a 2>/dev/null; ip netns del lxb-b 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns del lxb-a 2>/dev/null || true; ip netns del lxb-b 2>/dev/null || true
ip netns add lxb-a; ip netns add lxb-b
for ns in lxb-a lxb-b; do
	ip -n $ns link add v0 type veth peer name v1
	ip -n $ns link set v0 up; ip -n $ns link set v1 up
	ip -n $ns addr add 10.255.0.1/16 dev v0
done
python3 - "$N" "$tmp" <<'PY'
import sys, json
n, tmp = int(sys.argv[1]), sys.argv[2]
routes = ["10.%d.%d.%d/32 via 10.255.0.2" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
json.dump({"network": {"routes": routes}}, open(tmp + "/desired.json", "w"))
with open(tmp + "/batch", "w") as f:
    for r in routes:
        f.write("route add %s proto 76\n" % r)
PY
now() { date +%s%N; }
t0=$(now); "$BIN" reconcile --netns /run/netns/lxb-a --desired "$tmp/desired.json" --state-dir "$tmp/state" >/dev/null; t1=$(now)
t2=$(now); ip -n lxb-b -batch "$tmp/batch"; t3=$(now)
t4=$(now); "$BIN" reconcile --netns /run/netns/lxb-a --desired "$tmp/desired.json" --state-dir "$tmp/state" >/dev/null; t5=$(now)
got=$(ip -n lxb-a route show proto 76 | wc -l)
[ "$got" = "$N" ] || { echo "routes: expected $N, found $got" >&2; exit 1; }
lx=$(( (t1 - t0) / 1000 )); ipb=$(( (t3 - t2) / 1000 )); noop=$(( (t5 - t4) / 1000 ))
echo "routes: $N /32 routes"
printf "  linx-sidecar reconcile : %8.1f ms\n" "$(echo "$lx/1000" | bc -l)"
printf "  ip -batch (baseline)   : %8.1f ms\n" "$(echo "$ipb/1000" | bc -l)"
printf "  speed-up               : %8.2fx (target >= 3x)\n" "$(echo "$ipb/$lx" | bc -l)"
printf "  no-op second pass      : %8.1f ms (target < 50 ms, whole process)\n" "$(echo "$noop/1000" | bc -l)"
