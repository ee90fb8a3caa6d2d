#!/bin/bash
# A two-minute tour: a runc container gets its network from annotations, the
# resident sidecar heals drift, and everything goes away with the container.
#   examples/demo.sh [path/to/linx-sidecar]      (root; runc, jq, busybox-static)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LX_BIN=$(realpath -m "${1:-$here/../build/linx-sidecar}")
export LX_BIN
[ -x "$LX_BIN" ] || { echo "build linx-sidecar first (make)"; exit 2; }
. "$here/../tests/e2e/lib.sh" # rootfs cache and cleanup on exit
set +u

id=web-42 sd=$LX_TMP/state b=$LX_TMP/bundle
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ctr() { nsenter -t "$pid" -n "$@"; }

e2e_rootfs
"$here/runc-bundle.sh" "$b" "$E2E_ROOTFS" "$LX_BIN" >/dev/null
# the demo keeps its state in a temporary --state-dir; the admin's nftables
# policy keeps the container off the cloud metadata address, which the demo
# puts on the container's own lo (never a route out of this machine)
pol=$LX_TMP/policy.nft
echo 'chain out { type filter hook output priority -10; ip daddr 169.254.169.254 drop; }' >"$pol"
e2e_jq "$b" --arg sd "$sd" --arg pol "$pol" '.hooks[][].args += ["--state-dir", $sd, "--nft-policy", $pol]
	| .annotations["io.linx.addresses"] += "; lo 169.254.169.254/32"
	| .annotations["io.linx.nftables"] = "chain egress { type filter hook output priority 0; tcp dport 25 drop; }"'
step "annotations"
jq '.annotations' "$b/config.json"
e2e_track_if lxh-web42
step "runc run -d (the hook converges the netns before the container starts)"
e2e_runc_run "$b" "$id" || { echo "$E2E_ERR"; exit 1; }
echo "took ${E2E_MS} ms"
pid=$(e2e_init_pid runc "$id")
in_ctr ip -br addr
in_ctr ip route
in_ctr sysctl net.ipv4.ip_forward
cg() { # v1 controller file of the container's cgroup
	local rel
	rel=$(awk -F: -v c="$1" '$2 == c {print $3}' /proc/$pid/cgroup)
	echo "$2 = $(cat "/sys/fs/cgroup/$1$rel/$2" 2>/dev/null || echo '?')"
}
cg pids pids.max
cg memory memory.limit_in_bytes
step "host side: the sidecar brought the peer up; give it an address, ping the container"
ip -br link show lxh-web42
ip addr add 10.213.42.1/24 dev lxh-web42
busybox ping -c 1 -W 2 10.213.42.2 | sed -n 2p
step "nftables: the admin's policy (inet linx-policy) and the tenant's body (inet linx)"
in_ctr nft list ruleset | sed -n '/table inet linx-policy/,/^}/p'
tcp_try() { # a dropped packet times out; one that gets through is refused at once
	local rc=0
	in_ctr timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || rc=$?
	[ $rc = 124 ] && echo "  $1:$2  dropped (timed out)" || echo "  $1:$2  reached (answered)"
}
tcp_try 169.254.169.254 80
tcp_try 10.213.42.2 80
step "the tenant (root with CAP_NET_ADMIN in its netns) tries to remove the rule"
tenant() { nsenter -t "$pid" -n setpriv --inh-caps=-all --bounding-set=-all,+net_admin -- "$@"; }
for cmd in "nft delete table inet linx-policy" "nft flush table inet linx-policy" "nft delete table inet linx"; do
	printf '  $ %s\n' "$cmd"
	tenant $cmd 2>&1 | sed -n 's/^/    /;1p'
done
tcp_try 169.254.169.254 80
step "status"
"$LX_BIN" status "$id" --state-dir "$sd"
step "drift: delete the default route; the sidecar puts it back"
in_ctr ip route del default
t0=$(date +%s%N)
for _ in $(seq 200); do in_ctr ip route show default | grep -q . && break; sleep 0.005; done
echo "healed after $(( ($(date +%s%N) - t0) / 1000000 )) ms:"
in_ctr ip route show default
echo "events.log:"
grep -E '"(drift.detected|apply.op)"' "$sd/$id/events.log" | tail -2 | sed 's/^/  /' 
step "runc kill: the sidecar tears down with the container"
spid=$(cat "$sd/$id/pid")
runc kill "$id" KILL
t0=$(date +%s%N)
for _ in $(seq 400); do
	st=$(awk '/^State:/{print $2}' /proc/$spid/status 2>/dev/null) || break
	[ "$st" = Z ] && break
	sleep 0.005
done
echo "sidecar $spid exited $(( ($(date +%s%N) - t0) / 1000000 )) ms after the container"
ip link show lxh-web42 >/dev/null 2>&1 && echo "host peer lxh-web42: still there" || echo "host peer lxh-web42: removed"
[ -e "$sd/$id" ] && echo "state dir: still there" || echo "state dir $sd/$id: removed"
runc delete "$id"
