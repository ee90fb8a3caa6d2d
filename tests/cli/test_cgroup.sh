#!/bin/bash
# cgroup limits through the command line on this host's real v1 hierarchies:
# `reconcile --pid` converges memory.max and pids.max (translated to the v1
# files), refuses a raise (exit 5, nothing written), and a resident sidecar
# restores a limit changed by hand on its next resync.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
CTRLS="memory pids cpu"

# A target process in a fresh netns and its own v1 cgroups; sets $tpid.
start_target() {
	local c
	unshare -n sleep 600 &
	tpid=$!
	for c in $CTRLS; do
		mkdir -p "/sys/fs/cgroup/$c/lxcli-$$-$tpid"
		echo "$tpid" >"/sys/fs/cgroup/$c/lxcli-$$-$tpid/cgroup.procs"
	done
}

cg() { cat "/sys/fs/cgroup/$1/lxcli-$$-$tpid/$2"; }

cleanup() {
	local c
	[ -n "${spid:-}" ] && { kill "$spid" 2>/dev/null || true; wait_gone "$spid" 2000 || true; }
	[ -n "${tpid:-}" ] && { kill -9 "$tpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true; }
	[ -n "${bpid:-}" ] && { kill -9 "$bpid" 2>/dev/null || true; wait "$bpid" 2>/dev/null || true; }
	for c in $CTRLS; do
		[ -n "${tpid:-}" ] && rmdir "/sys/fs/cgroup/$c/lxcli-$$-$tpid" 2>/dev/null
		[ -n "${bpid:-}" ] && rmdir "/sys/fs/cgroup/$c/lxcli-$$-b$bpid" 2>/dev/null
	done
	true
}

test_reconcile_pid_converges_v1() {
	local d=$LX_TMP/cg1.json out rc
	start_target; trap cleanup EXIT
	echo '{"cgroup": {"memory.max": "256M", "pids.max": 100, "cpu.max": "50000 100000"}}' >"$d"
	rc=0; out=$("$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" --json) || rc=$?
	expect_eq "$rc" 0 "reconcile exit"
	expect_eq "$(echo "$out" | jq -r .subsystems.cgroup.converged)" true converged
	expect_eq "$(cg memory memory.limit_in_bytes)" 268435456 memory.limit_in_bytes
	expect_eq "$(cg pids pids.max)" 100 pids.max
	expect_eq "$(cg cpu cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
	expect_eq "$(cg cpu cpu.cfs_period_us)" 100000 cpu.cfs_period_us
	# second pass: nothing to do
	out=$("$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" --json)
	expect_eq "$(echo "$out" | jq '.subsystems.cgroup.applied | length')" 0 "second pass ops"
	# the host's own cgroup is untouched
	expect_eq "$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo max)" max "root pids.max"
}

test_raise_is_refused_exit_5() {
	local d=$LX_TMP/cg2.json out rc err
	start_target; trap cleanup EXIT
	echo 50 >"/sys/fs/cgroup/pids/lxcli-$$-$tpid/pids.max"
	echo '{"cgroup": {"pids.max": 200, "memory.max": "128M"}}' >"$d"
	rc=0; err=$("$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" 2>&1 >/dev/null) || rc=$?
	expect_eq "$rc" 5 "raise exit"
	expect_match "$err" 'pids.max' "refusal names the key"
	# refused before anything was written: memory.max was not applied either
	expect_eq "$(cg pids pids.max)" 50 "pids.max unchanged"
	[ "$(cg memory memory.limit_in_bytes)" != 134217728 ] || fail "memory limit written despite the refusal"
	# the admin's flag allows it
	rc=0; "$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" --cgroup-allow-raise >/dev/null || rc=$?
	expect_eq "$rc" 0 "raise with --cgroup-allow-raise"
	expect_eq "$(cg pids pids.max)" 200 "raised pids.max"
}

test_resident_restores_limit_on_resync() {
	local d=$LX_TMP/cg3.json
	start_target; trap cleanup EXIT
	echo '{"cgroup": {"pids.max": 64}, "options": {"interval_ms": 200}}' >"$d"
	"$LX_BIN" --pid "$tpid" --desired "$d" --state-dir "$SD" --id cg-$$ --min-interval-ms 100 2>"$LX_TMP/cg.log" &
	spid=$!
	for _ in $(seq 300); do [ -S "$SD/cg-$$/control.sock" ] && [ -f "$SD/cg-$$/report.json" ] && break; sleep 0.01; done
	[ -S "$SD/cg-$$/control.sock" ] || fail "sidecar not ready: $(cat "$LX_TMP/cg.log")"
	expect_eq "$(cg pids pids.max)" 64 "initial pids.max"
	echo 10 >"/sys/fs/cgroup/pids/lxcli-$$-$tpid/pids.max"
	for _ in $(seq 100); do [ "$(cg pids pids.max)" = 64 ] && break; sleep 0.02; done
	expect_eq "$(cg pids pids.max)" 64 "pids.max after resync"
	grep -q '"subsystem":"cgroup","trigger":"timer"' "$SD/cg-$$/events.log" ||
		fail "no cgroup drift event: $(grep cgroup "$SD/cg-$$/events.log" | tail -3)"
}

# Same id, same network namespace, another cgroup (podman restart reuses
# ids): the state recorded for the first cgroup is set aside, never
# adopted, so its "original" is neither restored onto the new cgroup nor
# taken as the new one's spawn value.
test_state_of_another_cgroup_is_not_adopted() {
	local d1=$LX_TMP/cgi1.json d2=$LX_TMP/cgi2.json rc a b
	start_target; trap cleanup EXIT
	a=$tpid
	nsenter -t "$a" -n sleep 600 >/dev/null 2>&1 &
	b=$!
	bpid=$b
	for c in $CTRLS; do
		mkdir -p "/sys/fs/cgroup/$c/lxcli-$$-b$b"
		echo "$b" >"/sys/fs/cgroup/$c/lxcli-$$-b$b/cgroup.procs"
	done
	echo '{"cgroup": {"pids.max": 50}, "options": {"revert_on_release": true}}' >"$d1"
	echo '{"cgroup": {}, "options": {"revert_on_release": true}}' >"$d2"
	rc=0; "$LX_BIN" reconcile --pid "$a" --id cgi-$$ --desired "$d1" --state-dir "$SD" >/dev/null || rc=$?
	expect_eq "$rc" 0 "first reconcile"
	expect_eq "$(cg pids pids.max)" 50 "A's pids.max"
	echo 20 >"/sys/fs/cgroup/pids/lxcli-$$-b$b/pids.max"
	rc=0; "$LX_BIN" reconcile --pid "$b" --id cgi-$$ --desired "$d2" --state-dir "$SD" >/dev/null || rc=$?
	expect_eq "$rc" 0 "second reconcile, other cgroup"
	expect_eq "$(cat "/sys/fs/cgroup/pids/lxcli-$$-b$b/pids.max")" 20 \
		"B's pids.max (adopting A's state would restore A's original, max)"
	grep -q '"event":"state.discarded"' "$SD/cgi-$$/events.log" ||
		fail "no state.discarded event: $(cat "$SD/cgi-$$/events.log")"
}

if [ ! -f /sys/fs/cgroup/pids/cgroup.procs ] || [ ! -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	for n in reconcile_pid_converges_v1 raise_is_refused_exit_5 resident_restores_limit_on_resync state_of_another_cgroup_is_not_adopted; do
		skip "$n" "no cgroup v1 pids+memory hierarchy on this host"
	done
	exit 0
fi
t reconcile_pid_converges_v1 test_reconcile_pid_converges_v1
t raise_is_refused_exit_5 test_raise_is_refused_exit_5
t resident_restores_limit_on_resync test_resident_restores_limit_on_resync
t state_of_another_cgroup_is_not_adopted test_state_of_another_cgroup_is_not_adopted
