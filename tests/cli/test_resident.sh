#!/bin/bash
# The resident sidecar (`linx-sidecar --pid N --desired FILE`) on an
# `unshare -n sleep` target: convergence, drift healing, control socket,
# restart with ownership, exit on the target's death.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
TARGETS=()

# Start a resident sidecar in the background; sets $spid.
start_sidecar() {
	start_resident "$1" "${2:-pid-$tpid}" "$LX_TMP/sidecar-$tpid.log" \
		--min-interval-ms 100
}

in_ns() { nsenter -t "$tpid" -n "$@"; }

# Poll until CMD succeeds (up to 2 s).
eventually() {
	for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.01; done
	fail "timed out waiting for: $*"
}

# EXIT trap of every test: runs under set -e, so nothing here may fail.
stop_all() {
	if [ -n "${spid:-}" ]; then kill "$spid" 2>/dev/null || true; fi
	if [ -n "${tpid:-}" ]; then kill -9 "$tpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
}

desired() {
	cat >"$1" <<JSON
{"network": {
  "links": [{"name": "lo", "up": true},
            {"name": "eth0", "kind": "veth", "up": true,
             "peer": {"name": "$2", "up": true}}],
  "addresses": ["eth0 10.88.0.2/24", "eth0 10.88.1.2/24"],
  "routes": ["default via 10.88.0.1", "10.89.0.0/16 via 10.88.0.254"]},
 "sysctl": {"net.ipv4.ip_forward": 1},
 "options": {"interval_ms": 300, "debounce_ms": 10}}
JSON
}

test_converges_and_heals() {
	local d=$LX_TMP/d1.json peer=lxr$$a
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	start_sidecar "$d"
	eventually in_ns sh -c 'ip route | grep -q "default via 10.88.0.1"'
	# address drift
	in_ns ip addr del 10.88.1.2/24 dev eth0
	eventually in_ns sh -c 'ip addr show eth0 | grep -q 10.88.1.2/24'
	# route drift
	in_ns ip route del 10.89.0.0/16
	eventually in_ns sh -c 'ip route | grep -q 10.89.0.0/16'
	# a whole link, with its addresses and routes
	in_ns ip link del eth0
	eventually in_ns sh -c 'ip addr show eth0 | grep -q 10.88.0.2/24 && ip route | grep -q "default via 10.88.0.1"'
	# sysctl drift: healed on the next resync (interval 300 ms)
	in_ns sysctl -qw net.ipv4.ip_forward=0
	eventually in_ns sh -c '[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]'
	grep -q '"event":"drift.detected"' "$SD/pid-$tpid/events.log" || fail "no drift.detected event"
}

test_status_reconcile_put_stop() {
	local d=$LX_TMP/d2.json d2=$LX_TMP/d2b.json peer=lxr$$b out rc
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	start_sidecar "$d" web-$$
	out=$("$LX_BIN" status web-$$ --state-dir "$SD" --json)
	expect_eq "$(echo "$out" | jq -r .report.id)" "web-$$" "status id"
	expect_eq "$(echo "$out" | jq -r .converged)" true "status converged"
	"$LX_BIN" reconcile web-$$ --state-dir "$SD" >/dev/null || fail "reconcile ID"
	"$LX_BIN" list --state-dir "$SD" | grep -q "web-$$" || fail "list"
	# put: a smaller document removes the second address
	sed 's/, "eth0 10.88.1.2\/24"//' "$d" >"$d2"
	"$LX_BIN" put web-$$ --desired "$d2" --state-dir "$SD" || fail "put"
	eventually in_ns sh -c '! ip addr show eth0 | grep -q 10.88.1.2/24'
	# put that changes no ownership (routes are ours by protocol, not by
	# record): state.json must still carry the new desired state
	sed 's/, "10.89.0.0\/16 via 10.88.0.254"//' "$d2" >"$d2.r"
	"$LX_BIN" put web-$$ --desired "$d2.r" --state-dir "$SD" || fail "put (route only)"
	eventually in_ns sh -c '! ip route | grep -q 10.89.0.0/16'
	expect_eq "$(jq -c '.desired.network.routes' "$SD/web-$$/state.json")" \
		'["default via 10.88.0.1"]' "state.json desired after a put"
	# put refused by policy (a host-global sysctl): exit 5, nothing changes
	sed 's/"net.ipv4.ip_forward": 1/"kernel.core_pattern": "x"/' "$d" >"$d2"
	rc=0; "$LX_BIN" put web-$$ --desired "$d2" --state-dir "$SD" 2>/dev/null || rc=$?
	expect_eq "$rc" 5 "put refused by policy"
	# the control socket is private
	expect_eq "$(stat -c %a "$SD/web-$$/control.sock")" 600 "control.sock mode"
	"$LX_BIN" stop web-$$ --state-dir "$SD" || fail "stop"
	wait_gone "$spid" 2000 || fail "sidecar still running after stop"
	[ -e "$SD/web-$$" ] && fail "state dir left after stop"
	true
}

test_exits_when_target_dies() {
	local d=$LX_TMP/d3.json peer=lxr$$c t0 t1
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	start_sidecar "$d"
	ip link show $peer >/dev/null || fail "host peer missing"
	t0=$(date +%s%N)
	kill -9 "$tpid"
	wait_gone "$spid" 2000 || fail "sidecar outlived its target"
	t1=$(date +%s%N)
	echo "sidecar exit after target death: $(( (t1 - t0) / 1000000 )) ms"
	[ -e "$SD/pid-$tpid" ] && fail "state dir left"
	ip link show $peer >/dev/null 2>&1 && fail "host veth peer left"
	true
}

test_sigterm_stops_cleanly() {
	local d=$LX_TMP/d4.json peer=lxr$$d
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	start_sidecar "$d"
	kill -TERM "$spid"
	wait_gone "$spid" 2000 || fail "SIGTERM did not stop the sidecar"
	[ -e "$SD/pid-$tpid" ] && fail "state dir left"
	# a living container keeps its network (revert_on_release is off)
	in_ns ip addr show eth0 | grep -q 10.88.0.2/24 || fail "SIGTERM tore down a live container"
}

test_restart_recovers_ownership() {
	local d=$LX_TMP/d5.json d2=$LX_TMP/d5b.json peer=lxr$$e
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	start_sidecar "$d" keep-$$
	eventually in_ns sh -c 'ip route | grep -q 10.89.0.0/16 && ip addr show eth0 | grep -q 10.88.1.2/24'
	# crash: no teardown, state.json stays
	kill -9 "$spid"; wait_gone "$spid" 2000
	[ -f "$SD/keep-$$/state.json" ] || fail "state.json missing after crash"
	in_ns ip route add 10.90.0.0/16 via 10.88.0.1 proto static
	in_ns ip addr add 10.88.0.77/24 dev eth0
	# restart with a smaller document: what we installed and no longer want
	# goes, foreign state stays
	sed 's/, "10.89.0.0\/16 via 10.88.0.254"//; s/, "eth0 10.88.1.2\/24"//' "$d" >"$d2"
	start_sidecar "$d2" keep-$$
	eventually in_ns sh -c '! ip route | grep -q 10.89.0.0/16'
	eventually in_ns sh -c '! ip addr show eth0 | grep -q 10.88.1.2/24'
	in_ns ip route | grep -q "10.90.0.0/16 via 10.88.0.1 dev eth0 proto static" || fail "foreign route removed"
	in_ns ip addr show eth0 | grep -q 10.88.0.77/24 || fail "foreign address removed"
}

test_burst_of_events_is_coalesced() {
	local d=$LX_TMP/d6.json peer=lxr$$f before after
	start_target; trap 'stop_all; ip link del '$peer' 2>/dev/null || true' EXIT
	desired "$d" $peer
	sed -i 's/"interval_ms": 300, "debounce_ms": 10/"interval_ms": 60000, "debounce_ms": 100/' "$d"
	start_sidecar "$d"
	sleep 0.3
	before=$(grep -c '"subsystem":"rtnl".*"event":"pass.complete"\|"event":"pass.complete".*"subsystem":"rtnl"' "$SD/pid-$tpid/events.log" || true)
	# 1,000 foreign route changes in one burst
	for i in $(seq 0 999); do echo "route add 10.200.$((i / 250)).$((i % 250))/32 dev eth0 proto static"; done >"$LX_TMP/burst"
	in_ns ip -batch "$LX_TMP/burst"
	sleep 0.5
	after=$(grep -c '"subsystem":"rtnl".*"event":"pass.complete"\|"event":"pass.complete".*"subsystem":"rtnl"' "$SD/pid-$tpid/events.log" || true)
	echo "rtnl passes for 1000 events: $((after - before))"
	[ $((after - before)) -ge 1 ] || fail "no pass after the burst"
	[ $((after - before)) -le 5 ] || fail "burst not coalesced: $((after - before)) passes"
}

# PID is gone (no process, or a zombie) within MS milliseconds of now,
# polled with builtins only (a fork in the interval costs 1-4 ms); sets
# $gone_us to the time it took.
gone_within() {
	local pid=$1 ms=$2 t0 now line st
	t0=${EPOCHREALTIME/[.,]/}
	while :; do
		st=
		if [ -r "/proc/$pid/status" ]; then
			while IFS= read -r line; do
				[[ $line == State:* ]] && { st=${line#State:}; break; }
			done <"/proc/$pid/status" 2>/dev/null || true
		fi
		now=${EPOCHREALTIME/[.,]/}
		gone_us=$((10#$now - 10#$t0))
		[[ -z $st || $st == *Z* ]] && return 0
		[ "$gone_us" -gt $((ms * 1000)) ] && return 1
	done
}

# The hook's resident (forked and detached by `hook createRuntime`) tears
# down and exits on SIGTERM within 100 ms, and removes its state dir.
test_hook_resident_sigterm_within_100ms() {
	local id=term$$ pid
	start_target; trap stop_all EXIT
	jq -n --arg id "$id" --argjson pid "$tpid" \
		'{ociVersion: "1.0.2", id: $id, status: "creating", pid: $pid, bundle: "/nonexistent",
		  annotations: {"io.linx.links": "lo up"}}' >"$LX_TMP/oci-$id.json"
	"$LX_BIN" hook createRuntime --state-dir "$SD" <"$LX_TMP/oci-$id.json" || fail "hook failed"
	pid=$(cat "$SD/$id/pid")
	[ -S "$SD/$id/control.sock" ] || fail "hook returned before the resident was ready"
	kill -TERM "$pid"
	gone_within "$pid" 100 || fail "resident $pid still running ${gone_us} us after SIGTERM"
	echo "hook resident gone ${gone_us} us after SIGTERM" >&2
	for _ in $(seq 100); do [ -e "$SD/$id" ] || break; sleep 0.01; done
	[ -e "$SD/$id" ] && fail "state dir left: $(ls "$SD/$id")"
	true
}

# Resident KiB of the sidecar binary's executable mapping in PID.
text_kib() {
	awk -v bin="$(readlink -f "$LX_BIN")" '
		/^[0-9a-f]+-[0-9a-f]+ / { cur = ($2 ~ /x/ && $6 == bin) }
		cur && /^Rss:/ { kib += $2 }
		END { print kib + 0 }' "/proc/$1/smaps"
}

# Once quiet past its trim, the resident unmaps its own binary's text and
# rodata (the page cache keeps them), keeping only the idle path's pages
# (sidecar/idle.c); it still heals afterwards, faulting back what it runs.
test_idle_resident_gives_back_its_text() {
	local d=$LX_TMP/idle.json kib first max
	start_target; trap stop_all EXIT
	echo '{"network": {"links": [{"name": "lo", "up": true}], "addresses": ["lo 10.77.9.1/24"]},
	       "options": {"interval_ms": 60000, "debounce_ms": 10}}' >"$d"
	start_sidecar "$d"
	first=$(text_kib "$spid")
	[ "$first" -gt 64 ] || fail "text not mapped after the first pass: $first KiB"
	# Two pages at most (the idle path's section). Under the sanitizers
	# their runtime is linked into the binary and its interceptors (free,
	# epoll_wait) run on the idle path too: half of it then.
	max=8
	[ -n "${LX_SANITIZED:-}" ] && max=$((first / 2))
	# the trim comes 1 s after the last pass
	for _ in $(seq 50); do [ "$(text_kib "$spid")" -le "$max" ] && break; sleep 0.1; done
	kib=$(text_kib "$spid")
	[ "$kib" -le "$max" ] || fail "idle resident still maps $kib KiB of its text (first pass: $first)"
	in_ns ip addr del 10.77.9.1/24 dev lo
	eventually in_ns sh -c 'ip addr show lo | grep -q 10.77.9.1/24'
	[ "$(text_kib "$spid")" -gt "$kib" ] || fail "the heal ran no text: $(text_kib "$spid") KiB"
	"$LX_BIN" status "pid-$tpid" --state-dir "$SD" >/dev/null || fail "status after the heal"
}

t converges_and_heals test_converges_and_heals
t status_reconcile_put_stop test_status_reconcile_put_stop
t exits_when_target_dies test_exits_when_target_dies
t sigterm_stops_cleanly test_sigterm_stops_cleanly
t hook_resident_sigterm_within_100ms test_hook_resident_sigterm_within_100ms
t restart_recovers_ownership test_restart_recovers_ownership
t burst_of_events_is_coalesced test_burst_of_events_is_coalesced
t idle_resident_gives_back_its_text test_idle_resident_gives_back_its_text
