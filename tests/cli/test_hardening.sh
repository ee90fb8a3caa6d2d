#!/bin/bash
# The resident sidecar's sandbox (sidecar/sandbox.c): only CAP_NET_ADMIN,
# no_new_privs, a seccomp allow-list whose default is "kill the process".
# Every loop path runs under the filter here, and each test ends by reaping
# the sidecar: a syscall missing from the list would show as death by SIGSYS
# (exit status 159) instead of a clean 0.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
CAP_NET_ADMIN_ONLY=0000000000001000


# Start a resident sidecar in the background; sets $spid (to wait for) and
# $sidecar (to signal). LX_WRAP (e.g.
# "strace -f -c -o FILE", with LINX_SIDECAR_NO_SECCOMP=1) prefixes it.
start_sidecar() {
	${LX_WRAP:-} "$LX_BIN" --pid "$tpid" --desired "$1" --state-dir "$SD" --id "$2" --min-interval-ms 100 \
		2>>"$LX_TMP/sidecar-$2.log" &
	spid=$!
	for _ in $(seq 500); do
		# $spid may be a wrapper; signals go to the sidecar itself
		# control.sock appears before the first pass; a status answered
		# means the loop runs: first pass done, sandbox entered
		[ -S "$SD/$2/control.sock" ] && sidecar=$(cat "$SD/$2/pid") &&
			"$LX_BIN" status "$2" --state-dir "$SD" >/dev/null 2>&1 && return 0
		wait_gone "$spid" 1 && fail "sidecar died: $(cat "$LX_TMP/sidecar-$2.log")"
		sleep 0.01
	done
	fail "sidecar did not become ready"
}

# Reap the sidecar; its exit status must be 0 (159 = killed by SIGSYS).
expect_clean_exit() {
	local rc=0
	wait "$spid" || rc=$?
	[ "$rc" = 159 ] && fail "sidecar killed by SIGSYS (seccomp): $(tail -5 "$LX_TMP/sidecar-$1.log")"
	expect_eq "$rc" 0 "sidecar exit status"
	spid=
}

in_ns() { nsenter -t "$tpid" -n "$@"; }

eventually() {
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.01; done
	fail "timed out waiting for: $*"
}

# v1 memory and pids cgroups of our own with the target moved in (as
# tests/netns/test_cgroup_v1.c does); sets $cgs.
cgroup_v1() {
	cgs=
	[ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] && [ -e /sys/fs/cgroup/pids/cgroup.procs ] || return 1
	for c in memory pids; do
		mkdir -p "/sys/fs/cgroup/$c/lxhard-$$-$1"
		echo "$tpid" >"/sys/fs/cgroup/$c/lxhard-$$-$1/cgroup.procs"
		cgs="$cgs /sys/fs/cgroup/$c/lxhard-$$-$1"
	done
}

cleanup() {
	if [ -n "${spid:-}" ]; then kill -9 "$spid" 2>/dev/null || true; fi
	if [ -n "${sidecar:-}" ]; then kill -9 "$sidecar" 2>/dev/null || true; fi
	if [ -n "${tpid:-}" ]; then kill -9 "$tpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rmdir_cgroups ${cgs:-}
	for p in "$@"; do ip link del "$p" 2>/dev/null || true; done
}

status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

desired() { # FILE PEER [extra options]
	cat >"$1" <<JSON
{"network": {
  "links": [{"name": "lo", "up": true},
            {"name": "eth0", "kind": "veth", "up": true,
             "peer": {"name": "$2", "up": true}}],
  "addresses": ["eth0 10.77.0.2/24", "eth0 fd77::2/64 nodad", "lo 10.78.0.1/32"],
  "routes": ["default via 10.77.0.1", "10.79.0.0/16 via 10.77.0.254 metric 50",
             "fd78::/64 via fd77::1"]},
 "sysctl": {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.rp_filter": 2},
 ${3:-}
 "options": {"interval_ms": 200, "debounce_ms": 10${4:-}}}
JSON
}

expect_sandboxed() { # PID WHAT
	expect_eq "$(status_of "$1" CapEff)" $CAP_NET_ADMIN_ONLY "$2 CapEff"
	expect_eq "$(status_of "$1" CapPrm)" $CAP_NET_ADMIN_ONLY "$2 CapPrm"
	expect_eq "$(status_of "$1" CapInh)" 0000000000000000 "$2 CapInh"
	expect_eq "$(status_of "$1" CapAmb)" 0000000000000000 "$2 CapAmb"
	# The bounding set is emptied: nothing can come back, even through exec.
	expect_eq "$(status_of "$1" CapBnd)" 0000000000000000 "$2 CapBnd"
	expect_eq "$(status_of "$1" NoNewPrivs)" 1 "$2 NoNewPrivs"
	# Sanitizer builds (make check-asan sets LX_SANITIZED) leave the filter
	# off by design: their runtimes make syscalls of their own.
	if [ -n "${LX_SANITIZED:-}" ]; then
		expect_eq "$(status_of "$1" Seccomp)" 0 "$2 Seccomp (off in a sanitizer build)"
	else
		expect_eq "$(status_of "$1" Seccomp)" 2 "$2 Seccomp (filter mode)"
	fi
	echo "$2: CapEff=$(status_of "$1" CapEff) CapPrm=$(status_of "$1" CapPrm) CapBnd=$(status_of "$1" CapBnd) NoNewPrivs=$(status_of "$1" NoNewPrivs) Seccomp=$(status_of "$1" Seccomp)"
}

test_standalone_is_sandboxed() {
	local d=$LX_TMP/a.json peer=lxh$$a
	start_target; trap "cleanup $peer" EXIT
	desired "$d" $peer
	start_sidecar "$d" sa-$$
	expect_sandboxed "$spid" standalone
	"$LX_BIN" stop sa-$$ --state-dir "$SD" >/dev/null
	expect_clean_exit sa-$$
}

test_hook_started_is_sandboxed() {
	local peer=lxh$$b pid=
	start_target; trap 'cleanup '$peer'; [ -n "${pid:-}" ] && kill -9 $pid 2>/dev/null; true' EXIT
	jq -n --arg id hk-$$ --argjson pid "$tpid" --arg links "lo up; eth0 veth peer $peer up" \
		'{ociVersion: "1.0.2", id: $id, status: "creating", pid: $pid, bundle: "/nonexistent",
		  annotations: {"io.linx.links": $links, "io.linx.addresses": "eth0 10.77.0.2/24",
		                "io.linx.sysctl": "net.ipv4.ip_forward=1"}}' >"$LX_TMP/oci.json"
	"$LX_BIN" hook createRuntime --state-dir "$SD" <"$LX_TMP/oci.json" || fail "hook failed"
	pid=$(cat "$SD/hk-$$/pid")
	expect_sandboxed "$pid" hook
	in_ns ip addr show eth0 | grep -q 10.77.0.2/24 || fail "hook did not converge"
	# the hook's resident process is not our child: its end is seen by the
	# target's death tearing down the veth (which needs the filter's paths)
	kill -9 "$tpid"
	wait_gone "$pid" 2000 || fail "hook sidecar outlived its target"
	ip link show $peer >/dev/null 2>&1 && fail "host veth peer left by the hook sidecar"
	[ -e "$SD/hk-$$" ] && fail "state dir left"
	true
}

# Initial pass, monitor drift heal (link, address, route), resync heal of
# sysctls and cgroup knobs, SIGHUP reload, revert on SIGTERM.
test_loop_paths_survive_the_filter() {
	local d=$LX_TMP/c.json d2=$LX_TMP/c2.json peer=lxh$$c cg_mem cg_pids
	start_target; trap "cleanup $peer" EXIT
	in_ns sysctl -qw net.ipv4.conf.all.rp_filter=0
	cgroup_v1 c || { skip loop_paths_survive_the_filter "no cgroup v1"; return 0; }
	cg_mem=/sys/fs/cgroup/memory/lxhard-$$-c cg_pids=/sys/fs/cgroup/pids/lxhard-$$-c
	desired "$d" $peer '"cgroup": {"memory.max": 268435456, "pids.max": 100},' ', "revert_on_release": true'
	start_sidecar "$d" lp-$$
	expect_eq "$(cat $cg_pids/pids.max)" 100 "pids.max"
	expect_eq "$(cat $cg_mem/memory.limit_in_bytes)" 268435456 "memory limit"
	# monitor: link, address and route drift
	in_ns ip addr del 10.77.0.2/24 dev eth0
	eventually in_ns sh -c 'ip addr show eth0 | grep -q 10.77.0.2/24'
	in_ns ip route del 10.79.0.0/16
	eventually in_ns sh -c 'ip route | grep -q 10.79.0.0/16'
	in_ns ip -6 route del fd78::/64
	eventually in_ns sh -c 'ip -6 route | grep -q fd78::/64'
	in_ns ip link set eth0 down
	eventually in_ns sh -c 'ip link show eth0 | grep -q "<.*,UP"'
	in_ns ip link del eth0
	eventually in_ns sh -c 'ip addr show eth0 | grep -q 10.77.0.2/24 && ip route | grep -q "default via 10.77.0.1"'
	# resync: sysctl and cgroup drift
	in_ns sysctl -qw net.ipv4.ip_forward=0
	echo 50 >$cg_pids/pids.max
	echo 134217728 >$cg_mem/memory.limit_in_bytes
	eventually sh -c "[ \"\$(cat $cg_pids/pids.max)\" = 100 ] && [ \"\$(cat $cg_mem/memory.limit_in_bytes)\" = 268435456 ]"
	eventually in_ns sh -c '[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]'
	for sub in rtnl sysctl cgroup; do
		grep -q '"subsystem":"'$sub'".*"event":"drift.detected"' "$SD/lp-$$/events.log" ||
			fail "no drift.detected for $sub"
	done
	# SIGHUP: the document is re-read from its file
	sed 's/"pids.max": 100/"pids.max": 90/' "$d" >"$d2" && cp "$d2" "$d"
	kill -HUP "$sidecar"
	eventually sh -c "[ \"\$(cat $cg_pids/pids.max)\" = 90 ]"
	# SIGTERM with revert_on_release: sysctls, cgroup knobs and links go back
	kill -TERM "$sidecar"
	expect_clean_exit lp-$$
	expect_eq "$(in_ns cat /proc/sys/net/ipv4/conf/all/rp_filter)" 0 "rp_filter reverted"
	expect_eq "$(cat $cg_pids/pids.max)" max "pids.max reverted"
	in_ns ip link show eth0 >/dev/null 2>&1 && fail "eth0 left after revert"
	ip link show $peer >/dev/null 2>&1 && fail "host peer left after revert"
	[ -e "$SD/lp-$$" ] && fail "state dir left"
	true
}

# One request on the control socket, raw (for requests the client refuses
# to send).
raw_request() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())' "$SD/$1/control.sock" "$2"
}

test_control_paths_survive_the_filter() {
	local d=$LX_TMP/e.json d2=$LX_TMP/e2.json peer=lxh$$e rc out
	start_target; trap "cleanup $peer" EXIT
	desired "$d" $peer
	start_sidecar "$d" cp-$$
	"$LX_BIN" status cp-$$ --state-dir "$SD" --json | jq -e .converged >/dev/null || fail status
	"$LX_BIN" reconcile cp-$$ --state-dir "$SD" >/dev/null || fail reconcile
	# put, valid: a smaller document
	sed 's/, "lo 10.78.0.1\/32"//; s/, "fd78::\/64 via fd77::1"//' "$d" >"$d2"
	"$LX_BIN" put cp-$$ --desired "$d2" --state-dir "$SD" || fail "put"
	eventually in_ns sh -c '! ip addr show lo | grep -q 10.78.0.1'
	# put, refused by policy and invalid
	sed 's/"net.ipv4.ip_forward": 1/"kernel.core_pattern": "x"/' "$d" >"$d2"
	rc=0; "$LX_BIN" put cp-$$ --desired "$d2" --state-dir "$SD" 2>/dev/null || rc=$?
	expect_eq "$rc" 5 "put refused by policy"
	out=$(raw_request cp-$$ '{"cmd":"put_desired","desired":{"network":{"bogus":1}}}')
	expect_eq "$(echo "$out" | jq -r .exit)" 3 "invalid put"
	out=$(raw_request cp-$$ '{"cmd":"put_desired"}')
	expect_eq "$(echo "$out" | jq -r .exit)" 3 "put without a document"
	out=$(raw_request cp-$$ 'not json')
	expect_eq "$(echo "$out" | jq -r .ok)" false "garbage request"
	out=$(raw_request cp-$$ '{"cmd":"launch"}')
	expect_eq "$(echo "$out" | jq -r .ok)" false "unknown command"
	# a client that connects and goes away without a word
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()' \
		"$SD/cp-$$/control.sock"
	"$LX_BIN" status cp-$$ --state-dir "$SD" >/dev/null || fail "status after a silent client"
	"$LX_BIN" stop cp-$$ --state-dir "$SD" >/dev/null || fail stop
	expect_clean_exit cp-$$
	# stop keeps a living container's network (no revert_on_release)
	in_ns ip addr show eth0 | grep -q 10.77.0.2/24 || fail "stop tore down a live container"
}

# Overflow the monitor: the sidecar is stopped while 60,000 route events
# queue up on its socket, then continued: ENOBUFS, full resync.
test_enobufs_resync_survives_the_filter() {
	local d=$LX_TMP/f.json peer=lxh$$f i
	start_target; trap "cleanup $peer" EXIT
	desired "$d" $peer
	start_sidecar "$d" nb-$$
	for i in $(seq 0 29999); do
		echo "route add 10.$((100 + i / 65536)).$((i / 256 % 256)).$((i % 256))/32 dev eth0 proto static"
		echo "route del 10.$((100 + i / 65536)).$((i / 256 % 256)).$((i % 256))/32 dev eth0 proto static"
	done >"$LX_TMP/flood"
	kill -STOP "$sidecar"
	in_ns ip -batch "$LX_TMP/flood"
	in_ns ip route del 10.79.0.0/16
	kill -CONT "$sidecar"
	eventually grep -q '"event":"resync_needed"' "$SD/nb-$$/events.log"
	eventually in_ns sh -c 'ip route | grep -q 10.79.0.0/16'
	kill -TERM "$sidecar"
	expect_clean_exit nb-$$
}

# The target's death: the veth goes (host peer included), state dir removed.
test_target_death_teardown_survives_the_filter() {
	local d=$LX_TMP/g.json peer=lxh$$g
	start_target; trap "cleanup $peer" EXIT
	desired "$d" $peer
	start_sidecar "$d" td-$$
	ip link show $peer >/dev/null || fail "host peer missing"
	kill -9 "$tpid"
	wait_gone "$spid" 2000 || fail "sidecar outlived its target"
	expect_clean_exit td-$$
	ip link show $peer >/dev/null 2>&1 && fail "host veth peer left"
	[ -e "$SD/td-$$" ] && fail "state dir left"
	true
}

t standalone_is_sandboxed test_standalone_is_sandboxed
t hook_started_is_sandboxed test_hook_started_is_sandboxed
t loop_paths_survive_the_filter test_loop_paths_survive_the_filter
t control_paths_survive_the_filter test_control_paths_survive_the_filter
t enobufs_resync_survives_the_filter test_enobufs_resync_survives_the_filter
t target_death_teardown_survives_the_filter test_target_death_teardown_survives_the_filter

# Document with N routes under PREFIX (10.PREFIX.x.y/32), the links and
# addresses given as JSON list bodies.
many_routes() { # FILE PREFIX N LINKS ADDRESSES
	{
		printf '{"network": {"links": [%s], "addresses": [%s],\n "routes": ["default via 10.60.0.1"' "$4" "$5"
		for i in $(seq 0 $(($3 - 1))); do printf ', "10.%d.%d.%d/32 via 10.60.0.254"' "$2" $((i / 256)) $((i % 256)); done
		printf ']},\n "options": {"interval_ms": 60000, "debounce_ms": 10}}\n'
	} >"$1"
}

proto76() { in_ns ip route show proto 76 | grep -c "^10\.$1\." || true; }

# kill -9 while a pass of a changed document is running, then a new sidecar
# with the same id: it knows what it owns from state.json, converges, leaves
# foreign state alone and removes what we installed and no longer want.
test_kill9_mid_pass_and_reattach() {
	local a=$LX_TMP/k-a.json b=$LX_TMP/k-b.json peer=lxh$$k peer2=lxh$$l n=4000 na nb i rc
	local links='{"name": "lo", "up": true}, {"name": "eth0", "kind": "veth", "up": true, "peer": {"name": "'$peer'", "up": true}}'
	local links2="$links"', {"name": "eth1", "kind": "veth", "up": true, "peer": {"name": "'$peer2'", "up": true}}'
	start_target; trap "cleanup $peer $peer2" EXIT
	many_routes "$a" 100 $n "$links" '"eth0 10.60.0.2/24", "eth0 10.60.1.2/24"'
	many_routes "$b" 101 $n "$links2" '"eth0 10.60.0.2/24", "eth1 10.61.0.2/24"'
	start_sidecar "$a" k9-$$
	eventually sh -c "[ \$(nsenter -t $tpid -n ip route show proto 76 | grep -c '^10\.100\.') = $n ]"
	# foreign state, other protocol / not ours
	in_ns ip route add 10.90.0.0/16 via 10.60.0.1 proto static
	in_ns ip route add 10.101.0.5/32 via 10.60.0.1 proto static metric 7
	in_ns ip addr add 10.60.0.77/24 dev eth0
	# A pass of 8,000 route ops takes milliseconds: throttle the sidecar
	# to 0.1% of a CPU (v1 cpu controller: 1 ms per 1 s period) so the
	# kill lands inside it. A batch of ~1,500 routes is one sendmsg that
	# overruns the quota; the sidecar then sleeps out the period. B's
	# creates are three batches: after the first is seen, at least one
	# more overrun is ahead, however the first fell in its period.
	if [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
		mkdir -p /sys/fs/cgroup/cpu/lxhard-$$-k
		cgs="${cgs:-} /sys/fs/cgroup/cpu/lxhard-$$-k"
		echo 1000000 >/sys/fs/cgroup/cpu/lxhard-$$-k/cpu.cfs_period_us
		echo 1000 >/sys/fs/cgroup/cpu/lxhard-$$-k/cpu.cfs_quota_us
		echo "$sidecar" >/sys/fs/cgroup/cpu/lxhard-$$-k/cgroup.procs
	fi
	"$LX_BIN" put k9-$$ --desired "$b" --state-dir "$SD" >/dev/null 2>&1 &
	# mid-pass: some of B's routes are in, not all of them
	for i in $(seq 1000); do
		nb=$(proto76 101)
		[ "$nb" -gt 0 ] && break
		sleep 0.005
	done
	kill -9 "$sidecar"
	wait $! || true # the put client (its reply may never come)
	rc=0; wait "$spid" || rc=$?
	expect_eq "$rc" 137 "killed by SIGKILL"
	spid=
	na=$(proto76 100); nb=$(proto76 101)
	echo "at kill -9: $na routes of A, $nb routes of B (of $n each)"
	[ "$nb" -lt $n ] || [ "$na" -gt 0 ] || fail "the pass had finished before the kill"
	[ -f "$SD/k9-$$/state.json" ] || fail "state.json missing after kill -9"
	# re-attach with the changed document
	start_sidecar "$b" k9-$$
	eventually sh -c "[ \$(nsenter -t $tpid -n ip route show proto 76 | grep -c '^10\.101\.') = $n ]"
	expect_eq "$(proto76 100)" 0 "A's routes (ours, no longer desired) removed"
	in_ns ip route show proto static | grep -q "^10.90.0.0/16 via 10.60.0.1" || fail "foreign route removed"
	in_ns ip route show proto static | grep -q "^10.101.0.5 via 10.60.0.1" || fail "foreign route with a desired prefix removed"
	in_ns ip addr show eth0 | grep -q 10.60.0.77/24 || fail "foreign address removed"
	in_ns ip addr show eth1 | grep -q 10.61.0.2/24 || fail "eth1 address missing"
	eventually sh -c "! nsenter -t $tpid -n ip addr show eth0 | grep -q 10.60.1.2/24"
	"$LX_BIN" status k9-$$ --state-dir "$SD" --json | jq -e .converged >/dev/null || fail "not converged"
	# what the killed pass created is owned too: back to A removes it
	"$LX_BIN" put k9-$$ --desired "$a" --state-dir "$SD" || fail "put A"
	eventually sh -c "[ \$(nsenter -t $tpid -n ip route show proto 76 | grep -c '^10\.100\.') = $n ]"
	eventually sh -c "! nsenter -t $tpid -n ip link show eth1"
	eventually sh -c "! ip link show $peer2"
	in_ns ip addr show eth0 | grep -q 10.60.0.77/24 || fail "foreign address removed"
	"$LX_BIN" stop k9-$$ --state-dir "$SD" >/dev/null
	expect_clean_exit k9-$$
}
t kill9_mid_pass_and_reattach test_kill9_mid_pass_and_reattach
