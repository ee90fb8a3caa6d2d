#!/bin/bash
# Time the same network setup done three ways on a fresh network namespace:
#   cni        Debian's containernetworking-plugins, invoked as a runtime does
#              (CNI_COMMAND=ADD ..., config on stdin): ptp with static IPAM
#              (address + 2 routes), then tuning (2 sysctls) with prevResult
#   reconcile  linx-sidecar reconcile --netns /run/netns/X --desired FILE
#   hook       linx-sidecar hook createRuntime on a process in that netns,
#              until the hook returns (the resident sidecar is then stopped)
#   bare       tests/bench/bare_setup.c: the same setup from a libmnl
#              program, the same-work reference for the hook
# Every process is started the way a runtime starts it (posix_spawn, as Go's
# os/exec does) and timed from spawn to exit by tests/bench/spawn_time.c, so
# a shell's own fork is never in a figure; CNI's figure is the sum of its
# two plugin runs (a runtime hands prevResult over in memory).
# The four run in turn in every round (so load on the machine hits all
# alike), each on a fresh namespace, the previous one's teardown settled.
# Prints the median wall time of each (N rounds, default 7) with min-max
# and the ratios. Every iteration removes what it made (CNI DEL, netns,
# state dir).
#
#   tests/bench/hook_vs_cni.sh [LX_BIN] [N]
set -u
LX_BIN=${1:-${LX_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/linx-sidecar}}
N=${2:-${N:-7}}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
TMP=$(mktemp -d ${BENCH_TMPDIR:-/tmp}/lx-bench.XXXXXX)
NS=lxbench$$
HOSTIF=lxhb$$

cleanup() {
	# iterations run in command substitutions: their sleeper is recorded in a file
	[ -s "$TMP/sleeper" ] && kill "$(cat "$TMP/sleeper")" 2>/dev/null
	for d in "$TMP"/run/sd "$TMP"/sd-disk; do
		[ -s "$d/lxbench/pid" ] && kill "$(cat "$d/lxbench/pid")" 2>/dev/null
	done
	umount "$TMP/run" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"
# State directories on a tmpfs, as the default /run/linx-sidecar is on a
# standard host (on this VM /run is on the root ext4, where creating each
# state file's new inode cost the hook ~18% of its CPU); the hook is also
# timed with its state on this VM's disk ("hook, state on ext4").
mkdir -p "$TMP/run"
mount -t tmpfs -o size=64m,mode=0700 lxbench "$TMP/run" || exit 2
SD=$TMP/run/sd

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

tuning_conf() { # $1 = prevResult; plain string work: no process (a runtime
	# passes prevResult in memory, a jq here would be timed as CNI's cost)
	printf '{"cniVersion": "1.0.0", "name": "lxbench", "type": "tuning", "sysctl": {"net.ipv4.conf.eth0.rp_filter": "2", "net.ipv6.conf.eth0.accept_ra": "0"}, "prevResult": %s}' "$1"
}

cni() { # $1 = ADD|DEL, $2 = plugin, config on stdin
	CNI_COMMAND=$1 CNI_CONTAINERID=lxbench$$ CNI_NETNS=/run/netns/$NS \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$CNI_DIR/$2"
}

cni_timed() { # $1 = ADD, $2 = plugin, $3 = config file; result in $TMP/$2.out
	CNI_COMMAND=$1 CNI_CONTAINERID=lxbench$$ CNI_NETNS=/run/netns/$NS \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR spawn_time "$3" "$TMP/$2.out" "$CNI_DIR/$2"
}

cni_once() {
	local t0 t1 res
	ip netns add "$NS" || return 1
	t0=$(cni_timed ADD ptp "$TMP/ptp.conf") || { echo "ptp ADD failed: $(cat "$TMP/ptp.out")" >&2; return 1; }
	res=$(cat "$TMP/ptp.out")
	tuning_conf "$res" >"$TMP/tuning.conf"
	t1=$(cni_timed ADD tuning "$TMP/tuning.conf") || { echo "tuning ADD failed: $(cat "$TMP/tuning.out")" >&2; return 1; }
	[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ] ||
		{ echo "tuning did not apply" >&2; return 1; }
	ip -n "$NS" -4 route show 10.96.0.0/16 | grep -q via ||
		{ echo "ptp did not add the route" >&2; return 1; }
	cni DEL tuning >/dev/null <<<"$(tuning_conf "$res")"
	cni DEL ptp >/dev/null <"$TMP/ptp.conf"
	ip netns del "$NS"
	echo $((t0 + t1))
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
	t0=$(spawn_time /dev/null "$TMP/report" "$LX_BIN" reconcile --netns "/run/netns/$NS" \
		--desired "$TMP/desired.json" --state-dir "$SD" 2>"$TMP/report.err")
	rc=$?
	[ $rc = 0 ] || { echo "reconcile exit $rc:" >&2; cat "$TMP/report" "$TMP/report.err" >&2; return 1; }
	[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ] ||
		{ echo "reconcile did not apply the sysctl" >&2; return 1; }
	ip netns del "$NS"
	ip link del "$HOSTIF" 2>/dev/null
	rm -rf "$SD"
	echo "$t0"
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
	echo "$state" >"$TMP/state.json"
	t0=$(spawn_time "$TMP/state.json" /dev/null "$LX_BIN" hook createRuntime --state-dir "$SD" 2>"$TMP/hook.err")
	rc=$?
	[ $rc = 0 ] || { echo "hook exit $rc:" >&2; cat "$TMP/hook.err" >&2; return 1; }
	spid=$(cat "$SD/lxbench/pid" 2>/dev/null)
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
	rm -rf "$SD"
	echo "$t0"
}

# The same setup from a bare libmnl program (reference for the hook).
bare_once() {
	local t0
	ip netns add "$NS" || return 1
	ip netns exec "$NS" sleep 600 &
	local SLEEPER=$!
	echo "$SLEEPER" >"$TMP/sleeper"
	while [ "$(readlink /proc/$SLEEPER/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.001; done
	t0=$(spawn_time /dev/null /dev/null "$BENCH_BIN/bare_setup" "$SLEEPER" "$HOSTIF") ||
		{ echo "bare_setup failed" >&2; return 1; }
	[ "$(ip netns exec "$NS" cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ] ||
		{ echo "bare_setup did not apply the sysctl" >&2; return 1; }
	kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null; rm -f "$TMP/sleeper"
	ip netns del "$NS"
	ip link del "$HOSTIF" 2>/dev/null
	echo "$t0"
}

hook_disk_once() { SD=$TMP/sd-disk hook_once; }

# One round: each way once, in turn, after the last teardown settled.
round() {
	local w us
	for w in cni bare reconcile hook hook_disk; do
		settle
		us=$(${w}_once) || { echo "$w: round $1 failed" >&2; return 1; }
		echo "$us" >>"$TMP/$w.times"
	done
}

ptp_conf >"$TMP/ptp.conf"
for p in ptp tuning static; do
	[ -x "$CNI_DIR/$p" ] || { echo "missing CNI plugin $CNI_DIR/$p (containernetworking-plugins)" >&2; exit 2; }
done

if [ ! -x "$LX_BIN" ]; then
	echo "linx-sidecar not built ($LX_BIN)" >&2
	exit 2
fi
for w in cni bare reconcile hook hook_disk; do : >"$TMP/$w.times"; done
for i in $(seq "$N"); do round "$i" || exit 1; done
echo "container setup (veth + address + 2 routes + 2 sysctls), spawn to exit, median of $N rounds (min-max)"
show "CNI ptp+static, then tuning" "$TMP/cni.times"; cni=$MED
show "bare libmnl setup (reference)" "$TMP/bare.times"; bare=$MED
show "linx-sidecar reconcile" "$TMP/reconcile.times"; rec=$MED
show "linx-sidecar hook (resident detached)" "$TMP/hook.times"; hook=$MED
show "linx-sidecar hook, state on ext4" "$TMP/hook_disk.times"
echo "  reconcile is $(ratio "$cni" "$rec")x faster than CNI, $(ratio "$rec" "$bare")x the bare setup"
target "hook: CNI ptp+tuning / hook" "$(ratio "$cni" "$hook")" ge 5 "$(ms "$cni") vs $(ms "$hook") ms"
target "hook / bare container setup" "$(ratio "$hook" "$bare")" le 1.5 "$(ms "$hook") vs $(ms "$bare") ms"
