#!/bin/bash
# Where the time goes: perf record (cpu-clock, dwarf call graphs) of one
# 10,000-route reconcile (first pass, state on a tmpfs) and of one hook
# (the container setup of hook_vs_cni.sh: the hook process sets the
# resident up and runs the first pass itself, then forks the resident and
# exits; the resident's own samples until then are counted too), each
# phase printed as its share of the
# CPU samples and the CPU milliseconds that share is. Not part of make
# bench (perf adds its own cost); the README's breakdowns come from it.
#
#   tests/bench/phases.sh [BIN]      N=10000 F=10000 (sampling Hz)
set -eu
BIN=$(realpath "${1:-build/linx-sidecar}")
N=${N:-10000}
F=${F:-10000}
command -v perf >/dev/null || { echo "phases: needs perf (linux-perf)" >&2; exit 2; }
tmp=$(mktemp -d)
ns=lxph$$
host=lxhph$$
cleanup() { # under set -e: no step may stop the ones after it
	local rp
	rp=$(cat "$tmp/run/sd/lxph/pid" 2>/dev/null || true)
	[ -z "${tp:-}" ] || kill "$tp" 2>/dev/null || true
	# the hook's resident ends with its target: let it leave the tmpfs
	for _ in $(seq 200); do
		[ -n "$rp" ] && [ -d "/proc/$rp" ] &&
			[ "$(awk '/^State:/{print $2}' "/proc/$rp/status" 2>/dev/null)" != Z ] || break
		sleep 0.01
	done
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$host" 2>/dev/null || true
	umount "$tmp/run" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/run"
mount -t tmpfs -o size=256m,mode=0700 lxphases "$tmp/run"

# phases DATA LABEL=SYMBOL...: inclusive share of each symbol
phases() {
	local data=$1 total
	shift
	perf report -i "$data" --children --sort symbol --stdio -g none 2>/dev/null >"$tmp/report"
	# cpu-clock counts nanoseconds
	total=$(awk '/^# Event count/{print $NF; exit}' "$tmp/report")
	printf '  %-44s %5s %8s\n' "phase (inclusive)" "share" "CPU ms"
	for kv in "$@"; do
		awk -v label="${kv%%=*}" -v sym="${kv#*=}" -v n="$total" -v f="$F" '
			$3 == "[.]" && $4 == sym || $3 == "[k]" && $4 == sym {
				p = $1; sub("%", "", p)
				printf "  %-44s %4.1f%% %8.2f\n", label, p, p / 100 * n / 1e6; found = 1; exit }
			END { if (!found) printf "  %-44s %5s %8s\n", label, "-", "-" }' "$tmp/report"
	done
	awk -v n="$total" 'BEGIN{printf "  %-44s %5s %8.2f\n", "all samples", "100%", n / 1e6}'
}

python3 - "$N" "$tmp" <<'PY'
import sys, json
n, tmp = int(sys.argv[1]), sys.argv[2]
routes = ["10.%d.%d.%d/32 via 10.255.0.2" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
json.dump({"network": {"routes": routes}}, open(tmp + "/desired.json", "w"))
PY
ip netns add "$ns"
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v0 up; ip -n "$ns" link set v1 up
ip -n "$ns" addr add 10.255.0.1/16 dev v0
perf record -q -F "$F" -e cpu-clock --call-graph dwarf,16384 -o "$tmp/routes.data" \
	"$BIN" reconcile --netns "/run/netns/$ns" --desired "$tmp/desired.json" --state-dir "$tmp/run/sd" >/dev/null 2>&1
echo "$N-route reconcile, first pass (perf record -F $F -e cpu-clock --call-graph dwarf):"
phases "$tmp/routes.data" \
	"exec and dynamic loading=_dl_start" \
	"parse the document=lx_desired_from_file_digest" \
	"open the target (netns, sockets, state dir)=lx_engine_open" \
	"observe (route dump)=lx_rtnl_observe" \
	"diff=lx_rtnl_diff" \
	"apply=lx_rtnl_apply" \
	"  of it: sending batches (kernel insertion)=nl_send" \
	"  of it: reading acks=__recvmmsg" \
	"serialise the desired state for state.json=lx_desired_dump" \
	"write state.json=lx_state_save" \
	"write report.json=emit_report" \
	"execve (kernel)=__x64_sys_execve" \
	"exit (kernel: unmapping)=__x64_sys_exit_group"
ip netns del "$ns"

# The hook on a process in a fresh namespace, hook_vs_cni.sh's document.
ip netns add "$ns"
ip netns exec "$ns" sleep 600 &
tp=$!
while [ "$(readlink /proc/$tp/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
printf '{"ociVersion":"1.0.2-dev","id":"lxph","status":"creating","pid":%d,"bundle":"%s","annotations":{"io.linx.links":"lo up; eth0 veth peer %s up mtu 1500","io.linx.addresses":"eth0 10.97.0.2/24","io.linx.routes":"default via 10.97.0.1; 10.96.0.0/16 via 10.97.0.1","io.linx.sysctl":"net.ipv4.conf.eth0.rp_filter=2; net.ipv6.conf.eth0.accept_ra=0"}}' \
	"$tp" "$tmp" "$host" >"$tmp/state.json"
perf record -q -F "$F" -e cpu-clock --call-graph dwarf,16384 -o "$tmp/hook.data" \
	"$BIN" hook createRuntime --state-dir "$tmp/run/sd" <"$tmp/state.json" >/dev/null 2>&1
echo "hook createRuntime: the hook (exec to exit) and its resident until then:"
phases "$tmp/hook.data" \
	"exec and dynamic loading=_dl_start" \
	"read the OCI state and annotations=lx_oci_state_parse" \
	"bring-up: open, load state, check, state dir=lx_engine_bringup" \
	"  of it: open the target (pidfd, netns, sockets)=lx_engine_open" \
	"  of it: policy and subsystem checks=lx_engine_check" \
	"set-up: event loop, monitors, state files=lx_daemon_setup" \
	"first pass=lx_daemon_initial_pass" \
	"  of it: rtnl apply (veth, address, routes)=lx_rtnl_apply" \
	"  of it: sysctl apply=lx_kv_src_apply" \
	"  of it: write state files=lx_state_write_with" \
	"fork the resident (clone)=__x64_sys_clone" \
	"pid files (the hook's, then the resident's)=lx_daemon_write_pid" \
	"execve (kernel)=__x64_sys_execve" \
	"exit (kernel: unmapping)=__x64_sys_exit_group"
