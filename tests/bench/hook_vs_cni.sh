#!/bin/bash
# Time the same network setup done three ways on a fresh network namespace:
#   cni        Debian's containernetworking-plugins, invoked as a runtime does
#              (CNI_COMMAND=ADD ..., config on stdin): ptp with static IPAM
#              (address + 2 routes), then tuning (2 sysctls) with prevResult
#   reconcile  linx-sidecar reconcile --netns /run/netns/X --desired FILE
#   hook       linx-sidecar hook createRuntime on a process in that netns,
#              until the hook returns (the resident sidecar is then stopped)
# Prints the median wall time of each (N iterations, default 20) and the
# ratios. Every iteration removes what it made (CNI DEL, netns, state dir).
#
#   tests/bench/hook_vs_cni.sh [LX_BIN] [N]
set -u
LX_BIN=${1:-${LX_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/linx-sidecar}}
N=${2:-${N:-20}}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
TMP=$(mktemp -d /tmp/lx-bench.XXXXXX)
NS=lxbench$$
HOSTIF=lxhb$$

cleanup() {
	# iterations run in command substitutions: their sleeper is recorded in a file
	[ -s "$TMP/sleeper" ] && kill "$(cat "$TMP/sleeper")" 2>/dev/null
	[ -s "$TMP/sd/lxbench/pid" ] && kill "$(cat "$TMP/sd/lxbench/pid")" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

now_us() { echo $(($(date +%s%N) / 1000)); }
median() { sort -n | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]; else print 0}'; }

# --- CNI ---------------------------------------------------------------------
ptp_conf() {
	cat <<-'EOF'
		{"cniVersion": "1.0.0", "name": "lxbench", "type": "ptp", "ipMasq": false,
		 "mtu": 1500,
		 "ipam": {"type": "static",
		          "addresses": [{"address": "10.97.0.2/24", "gateway": "10.97.0.1"}],
		          "routes": [{"dst": "0.0.0.0/0", "gw": "10.97.0.1"},
		                     {"dst": "10.96.0.0/16", "gw": "10.97.0.1"}]}}
	EOF
}

tuning_conf() { # $1 = prevResult
	jq -n --argjson prev "$1" '{cniVersion: "1.0.0", name: "lxbench", type: "tuning",
		sysctl: {"net.ipv4.conf.eth0.rp_filter": "2",
		         "net.ipv6.conf.eth0.accept_ra": "0"},
		prevResult: $prev}'
}

cni() { # $1 = ADD|DEL, $2 = plugin, config on stdin
	CNI_COMMAND=$1 CNI_CONTAINERID=lxbench$$ CNI_NETNS=/run/netns/$NS \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$CNI_DIR/$2"
}

cni_once() {
	local t0 t1 res
	ip netns add "$NS" || return 1
	t0=$(now_us)
	res=$(ptp_conf | cni ADD ptp) || { echo "ptp ADD failed: $res" >&2; return 1; }
	tuning_conf "$res" | cni ADD tuning >/dev/null || { echo "tuning ADD failed" >&2; return 1; }
	t1=$(now_us)
	[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ] ||
		{ echo "tuning did not apply" >&2; return 1; }
	ip -n "$NS" -4 route show 10.96.0.0/16 | grep -q via ||
		{ echo "ptp did not add the route" >&2; return 1; }
	tuning_conf "$res" | cni DEL tuning >/dev/null
	ptp_conf | cni DEL ptp >/dev/null
	ip netns del "$NS"
	echo $((t1 - t0))
}

# --- linx-sidecar --------------------------------------------------------------
# The same configuration as one desired-state document. The host peer is
# brought up and given no address: ptp configures the host side too, which
# linx-sidecar by design does not (it never changes the host side).
cat >"$TMP/desired.json" <<EOF
{"network": {
   "links": [{"name": "lo", "up": true},
             {"name": "eth0", "kind": "veth", "up": true, "mtu": 1500,
              "peer": {"name": "$HOSTIF", "up": true}}],
   "addresses": ["eth0 10.97.0.2/24"],
   "routes": ["default via 10.97.0.1", "10.96.0.0/16 via 10.97.0.1"]},
 "sysctl": {"net.ipv4.conf.eth0.rp_filter": 2, "net.ipv6.conf.eth0.accept_ra": 0}}
EOF

reconcile_once() {
	local t0 t1 rc
	ip netns add "$NS" || return 1
	t0=$(now_us)
	"$LX_BIN" reconcile --netns "/run/netns/$NS" --desired "$TMP/desired.json" \
		--state-dir "$TMP/sd" >"$TMP/report" 2>&1
	rc=$?
	t1=$(now_us)
	[ $rc = 0 ] || { echo "reconcile exit $rc:" >&2; cat "$TMP/report" >&2; return 1; }
	[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ] ||
		{ echo "reconcile did not apply the sysctl" >&2; return 1; }
	ip netns del "$NS"
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP/sd"
	echo $((t1 - t0))
}

# The hook on a process living in the netns: state on stdin, annotations as a
# runtime passes them; time until the hook returns (first pass done, resident
# process forked and ready).
hook_once() {
	local t0 t1 rc spid state
	ip netns add "$NS" || return 1
	ip netns exec "$NS" sleep 600 &
	local SLEEPER=$!
	echo "$SLEEPER" >"$TMP/sleeper"
	# wait until the sleeper is in the namespace
	while [ "$(readlink /proc/$SLEEPER/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.001; done
	state=$(jq -cn --arg pid "$SLEEPER" --arg b "$TMP" --arg hif "$HOSTIF" '{
		ociVersion: "1.0.2-dev", id: "lxbench", status: "creating", pid: ($pid | tonumber),
		bundle: $b, annotations: {
			"io.linx.links": ([{name: "lo", up: true}, {name: "eth0", kind: "veth", up: true,
				mtu: 1500, peer: {name: $hif, up: true}}] | tojson),
			"io.linx.addresses": "eth0 10.97.0.2/24",
			"io.linx.routes": "default via 10.97.0.1; 10.96.0.0/16 via 10.97.0.1",
			"io.linx.sysctl": "net.ipv4.conf.eth0.rp_filter=2; net.ipv6.conf.eth0.accept_ra=0"}}')
	t0=$(now_us)
	echo "$state" | "$LX_BIN" hook createRuntime --state-dir "$TMP/sd" >/dev/null 2>"$TMP/hook.err"
	rc=$?
	t1=$(now_us)
	[ $rc = 0 ] || { echo "hook exit $rc:" >&2; cat "$TMP/hook.err" >&2; return 1; }
	spid=$(cat "$TMP/sd/lxbench/pid" 2>/dev/null)
	kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null; rm -f "$TMP/sleeper"
	# the resident sidecar ends with the container's init
	if [ -n "$spid" ]; then
		local i=0
		while [ -d "/proc/$spid" ] && [ "$(awk '/^State:/{print $2}' /proc/$spid/status 2>/dev/null)" != Z ] && [ $i -lt 200 ]; do
			sleep 0.01; i=$((i + 1))
		done
		[ $i -lt 200 ] || { echo "resident sidecar $spid did not exit" >&2; kill "$spid"; }
	fi
	ip netns del "$NS"
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP/sd"
	echo $((t1 - t0))
}

run() { # NAME FUNC
	local i us
	: >"$TMP/$1.times"
	for i in $(seq "$N"); do
		us=$($2) || { echo "$1: iteration $i failed" >&2; return 1; }
		echo "$us" >>"$TMP/$1.times"
	done
	median <"$TMP/$1.times"
}

for p in ptp tuning static; do
	[ -x "$CNI_DIR/$p" ] || { echo "missing CNI plugin $CNI_DIR/$p (containernetworking-plugins)" >&2; exit 2; }
done

cni_us=$(run cni cni_once) || exit 1
printf 'cni (ptp+static+tuning)   median %8d us  (N=%d)\n' "$cni_us" "$N"
if [ ! -x "$LX_BIN" ]; then
	echo "linx-sidecar not built ($LX_BIN): only the CNI figure"
	exit 0
fi
rec_us=$(run reconcile reconcile_once) || exit 1
printf 'linx-sidecar reconcile    median %8d us  (N=%d)\n' "$rec_us" "$N"
hook_us=$(run hook hook_once) || exit 1
printf 'linx-sidecar hook         median %8d us  (N=%d)\n' "$hook_us" "$N"
awk -v c="$cni_us" -v r="$rec_us" -v h="$hook_us" 'BEGIN {
	printf "ratio cni/reconcile %.1fx, cni/hook %.1fx\n", c / (r ? r : 1), c / (h ? h : 1) }'
