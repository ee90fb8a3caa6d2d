#!/bin/bash
# 10,000 /32 routes, whole process (start, parse, diff, apply, state and
# report written), each run into a fresh namespace of its own, in the same
# round:
#   bare        bare_routes add: the same routes from a libmnl loop (reference)
#   reconcile   linx-sidecar reconcile
#   --json      linx-sidecar reconcile --json (the report on stdout too)
#   ip -batch   the incumbent
# then the no-op second pass over the same routes (reconcile again) against
# bare_routes dump (reference). ROUNDS rounds (default 5), each started once
# the previous round's namespaces are torn down; medians with min-max.
#
#   tests/bench/routes.sh BIN      N=10000 ROUNDS=5
set -eu
BIN=${1:?linx-sidecar binary}
N=${N:-10000}
ROUNDS=${ROUNDS:-5}
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
nss="lxb$$-bare lxb$$-lx lxb$$-json lxb$$-ipb"
cleanup() { for ns in $nss; do ip netns del "$ns" 2>/dev/null || true; done; umount "$tmp/run" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# State (state.json, report.json) on a tmpfs, as the default
# /run/linx-sidecar is on a standard host (on this VM /run is on ext4).
mkdir -p "$tmp/run"
mount -t tmpfs -o size=256m,mode=0700 lxbench "$tmp/run"
python3 - "$N" "$tmp" <<'PY'
import sys, json
n, tmp = int(sys.argv[1]), sys.argv[2]
routes = ["10.%d.%d.%d/32 via 10.255.0.2" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
json.dump({"network": {"routes": routes}}, open(tmp + "/desired.json", "w"))
with open(tmp + "/batch", "w") as f:
    for r in routes:
        f.write("route add %s proto 76\n" % r)
PY
for f in bare lx json ipb noop dump; do : >"$tmp/$f"; done
count() { # NS: routes of ours there must be N
	local got
	got=$(ip -n "$1" route show proto 76 | wc -l)
	[ "$got" = "$N" ] || { echo "routes: $1: expected $N, found $got" >&2; exit 1; }
}
for r in $(seq "$ROUNDS"); do
	for ns in $nss; do
		ip netns add "$ns"
		ip -n "$ns" link add v0 type veth peer name v1
		ip -n "$ns" link set v0 up; ip -n "$ns" link set v1 up
		ip -n "$ns" addr add 10.255.0.1/16 dev v0
	done
	rm -rf "$tmp/run/state" "$tmp/run/state-json"
	settle
	spawn_time /dev/null /dev/null "$BENCH_BIN/bare_routes" "/run/netns/lxb$$-bare" add "$N" 10.255.0.2 >>"$tmp/bare"
	spawn_time /dev/null /dev/null "$BIN" reconcile --netns "/run/netns/lxb$$-lx" --desired "$tmp/desired.json" \
		--state-dir "$tmp/run/state" >>"$tmp/lx"
	spawn_time /dev/null /dev/null "$BIN" reconcile --json --netns "/run/netns/lxb$$-json" --desired "$tmp/desired.json" \
		--state-dir "$tmp/run/state-json" >>"$tmp/json"
	spawn_time /dev/null /dev/null /usr/sbin/ip -n "lxb$$-ipb" -batch "$tmp/batch" >>"$tmp/ipb"
	spawn_time /dev/null /dev/null "$BIN" reconcile --netns "/run/netns/lxb$$-lx" --desired "$tmp/desired.json" \
		--state-dir "$tmp/run/state" >>"$tmp/noop"
	spawn_time /dev/null /dev/null "$BENCH_BIN/bare_routes" "/run/netns/lxb$$-bare" dump "$N" >>"$tmp/dump"
	for ns in $nss; do count "$ns"; done
	compgen -G "$tmp/run/state/*/state.json" >/dev/null && compgen -G "$tmp/run/state/*/report.json" >/dev/null ||
		{ echo "routes: no state.json or report.json written" >&2; exit 1; }
	for ns in $nss; do ip netns del "$ns"; done
done
echo "routes: $N /32 routes, whole process, median of $ROUNDS rounds (min-max)"
show "bare libmnl installer (reference)" "$tmp/bare"; bare=$MED
show "linx-sidecar reconcile" "$tmp/lx"; lx=$MED
show "linx-sidecar reconcile --json" "$tmp/json"; js=$MED
show "ip -batch (incumbent)" "$tmp/ipb"; ipb=$MED
show "bare libmnl dump (reference)" "$tmp/dump"; dump=$MED
show "linx-sidecar no-op second pass" "$tmp/noop"; noop=$MED
echo "  reconcile is $(ratio "$ipb" "$lx")x faster than ip -batch, --json $(ratio "$ipb" "$js")x"
target "10,000 routes / bare installer" "$(ratio "$lx" "$bare")" le 1.25 "$(ms "$lx") vs $(ms "$bare") ms"
target "10,000 routes --json / bare installer" "$(ratio "$js" "$bare")" le 1.35 "$(ms "$js") vs $(ms "$bare") ms"
target "no-op second pass / bare dump" "$(ratio "$noop" "$dump")" le 3 "$(ms "$noop") vs $(ms "$dump") ms"
