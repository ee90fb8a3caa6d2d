#!/bin/bash
# Who owns a state dir, a namespace and a process (SPEC.md "Policy", issue 10
# items 4, 5, 10, 13, 15, 16, 12): poststop never signals a stranger, state
# is bound to its namespace, one namespace has one owner, untrusted state
# dirs are refused, a failed start leaves nothing, the control socket works
# for any state dir length and cannot stall healing.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
mkdir -p "$SD"
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "${tpid:-}" ]; then kill -9 "$tpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
}

alive() { # PID: running and not a zombie
	local st
	st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

eventually() {
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.01; done
	fail "timed out waiting for: $*"
}

oci() { # ID STATUS [PID [ANNOTATIONS-JSON]]
	jq -cn --arg id "$1" --arg st "$2" --argjson pid "${3:-0}" --argjson ann "${4:-{\}}" \
		'{ociVersion: "1.0.2", id: $id, status: $st, bundle: "/nonexistent", annotations: $ann}
		 + (if $pid > 0 then {pid: $pid} else {} end)'
}

# Start a resident (`run`) on $tpid with id $1; sets $spid.
start_run() {
	"$LX_BIN" run --pid "$tpid" --desired "$2" --state-dir "${3:-$SD}" --id "$1" \
		2>"$LX_TMP/run-$1.log" &
	spid=$!
	PIDS+=("$spid")
	for _ in $(seq 300); do
		[ -S "${3:-$SD}/$1/control.sock" ] && [ -f "${3:-$SD}/$1/report.json" ] && return 0
		alive "$spid" || fail "sidecar died: $(cat "$LX_TMP/run-$1.log")"
		sleep 0.01
	done
	fail "sidecar did not become ready"
}

# Item 4: a pid file left by a resident killed with -9, its pid reused by an
# unrelated process: poststop must not signal it, and must clean up.
test_poststop_never_signals_a_stranger() {
	local id=ps-$$ stranger rc
	trap cleanup EXIT
	sleep 600 &
	stranger=$!
	PIDS+=("$stranger")
	mkdir -m 0700 "$SD/$id"
	echo "$stranger" >"$SD/$id/pid"
	rc=0; oci "$id" stopped | "$LX_BIN" hook poststop --state-dir "$SD" || rc=$?
	expect_eq "$rc" 0 "poststop exit"
	sleep 0.1
	alive "$stranger" || fail "poststop signalled an unrelated process (pid file only)"
	[ -e "$SD/$id" ] && fail "state dir left"
	# A record naming the stranger with a start time that is not its own
	# (what a pid reuse looks like) proves nothing either.
	mkdir -m 0700 "$SD/$id"
	echo "$stranger" >"$SD/$id/pid"
	printf '{"pid":%s,"start_time":"1","boot_id":"%s","exe":"1:1","target":{}}\n' \
		"$stranger" "$(cat /proc/sys/kernel/random/boot_id)" >"$SD/$id/resident.json"
	rc=0; oci "$id" stopped | "$LX_BIN" hook poststop --state-dir "$SD" || rc=$?
	expect_eq "$rc" 0 "poststop exit (forged record)"
	sleep 0.1
	alive "$stranger" || fail "poststop signalled an unrelated process (forged record)"
	[ -e "$SD/$id" ] && fail "state dir left (forged record)"
	true
}

# Item 4, the other side: the real resident (control socket gone, as after
# a hang) is proven by its record and stopped by poststop.
test_poststop_stops_the_proven_resident() {
	local id=pr-$$ pid
	trap cleanup EXIT
	start_target
	oci "$id" creating "$tpid" '{"io.linx.addresses":"lo 10.77.9.1/32"}' |
		"$LX_BIN" hook createRuntime --state-dir "$SD" || fail "hook failed"
	pid=$(cat "$SD/$id/pid")
	PIDS+=("$pid")
	alive "$pid" || fail "no resident"
	rm "$SD/$id/control.sock" # only the identity record can prove it now
	oci "$id" stopped | "$LX_BIN" hook poststop --state-dir "$SD" || fail "poststop failed"
	wait_gone "$pid" 2000 || fail "the proven resident was not stopped"
	[ -e "$SD/$id" ] && fail "state dir left"
	true
}

# Item 5: state.json records the namespace cookie; the same id on another
# namespace sets the state aside instead of deleting what it lists there.
test_state_bound_to_its_netns() {
	local a b id=sb-$$ d=$LX_TMP/sb.json e=$LX_TMP/sb-empty.json
	new_netns a
	new_netns b
	echo '{"network": {"addresses": ["lo 10.77.1.1/32"]}}' >"$d"
	echo '{"network": {}}' >"$e"
	"$LX_BIN" reconcile --netns "/run/netns/$a" --desired "$d" --state-dir "$SD" --id "$id" >/dev/null ||
		fail "first reconcile"
	expect_eq "$(jq -r .target.netns_cookie "$SD/$id/state.json" | grep -cE '^[0-9]+$')" 1 "netns cookie recorded"
	# an unrelated namespace holding the same address, reached with the
	# same id (as a reused netns inode gives the same default id)
	ip -n "$b" addr add 10.77.1.1/32 dev lo
	"$LX_BIN" reconcile --netns "/run/netns/$b" --desired "$e" --state-dir "$SD" --id "$id" >/dev/null ||
		fail "second reconcile"
	ip -n "$b" addr show dev lo | grep -q 10.77.1.1/32 ||
		fail "an address in an unrelated namespace was deleted (stale state adopted)"
	[ -f "$SD/$id/state.json.discarded" ] || fail "stale state not set aside"
	grep -q '"event":"state.discarded"' "$SD/$id/events.log" || fail "no state.discarded event"
	# plan only reads: a mismatched state is ignored and left where it is
	"$LX_BIN" reconcile --netns "/run/netns/$a" --desired "$d" --state-dir "$SD" --id pl-$$ >/dev/null
	cp "$SD/pl-$$/state.json" "$LX_TMP/pl.json"
	"$LX_BIN" plan --netns "/run/netns/$b" --desired "$e" --state-dir "$SD" --id pl-$$ >/dev/null
	cmp -s "$SD/pl-$$/state.json" "$LX_TMP/pl.json" || fail "plan changed state.json"
	rm -rf "$SD/$id" "$SD/pl-$$"
}

# Item 10: one namespace, one owner.
test_one_owner_per_netns() {
	local d=$LX_TMP/oo.json id=oo-$$ rc err t2
	trap cleanup EXIT
	start_target
	echo '{"network": {"addresses": ["lo 10.77.2.1/32"]}}' >"$d"
	start_run "$id" "$d"
	# a second resident on the same namespace (another id)
	rc=0; err=$(timeout 5 "$LX_BIN" run --pid "$tpid" --desired "$d" --state-dir "$SD" --id oo2-$$ 2>&1) || rc=$?
	expect_eq "$rc" 5 "second run on a served namespace"
	expect_match "$err" "served by sidecar $id \\(pid $spid\\)" "second run message"
	[ -e "$SD/oo2-$$" ] && fail "refused run left a state dir"
	# a one-shot reconcile (default id pid-N) on it
	rc=0; err=$("$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" 2>&1) || rc=$?
	expect_eq "$rc" 5 "one-shot reconcile on a served namespace"
	expect_match "$err" "served by sidecar $id" "reconcile message"
	# a second hook, on another container, with the live id
	unshare -n sleep 600 &
	t2=$!
	PIDS+=("$t2")
	sleep 0.05
	rc=0; err=$(oci "$id" creating "$t2" '{"io.linx.addresses":"lo 10.77.2.2/32"}' |
		"$LX_BIN" hook createRuntime --state-dir "$SD" 2>&1) || rc=$?
	expect_eq "$rc" 5 "second hook with a live id"
	expect_match "$err" "id $id: refused: sidecar $id is already running" "second hook message"
	alive "$spid" || fail "the first sidecar was orphaned or killed"
	# reading is allowed; reconcile ID asks the resident
	"$LX_BIN" plan --pid "$tpid" --desired "$d" --state-dir "$SD" >/dev/null || fail "plan refused"
	"$LX_BIN" observe --pid "$tpid" >/dev/null || fail "observe refused"
	"$LX_BIN" reconcile "$id" --state-dir "$SD" >/dev/null || fail "reconcile ID"
	"$LX_BIN" stop "$id" --state-dir "$SD" >/dev/null || fail "stop"
	wait_gone "$spid" 2000 || fail "sidecar still running"
	# once it is gone, the namespace is free again
	"$LX_BIN" reconcile --pid "$tpid" --desired "$d" --state-dir "$SD" >/dev/null ||
		fail "reconcile after the owner left"
	rm -rf "$SD/pid-$tpid"
}

# Item 13: a state dir or id dir that others may write is refused, by the
# sidecar and by the client commands.
test_untrusted_state_dir_refused() {
	local n bad=$LX_TMP/bad rc err d=$LX_TMP/ut.json
	new_netns n
	echo '{"network": {"addresses": ["lo 10.77.3.1/32"]}}' >"$d"
	mkdir -m 0777 "$bad"
	chmod 0777 "$bad"
	chown nobody "$bad"
	rc=0; err=$("$LX_BIN" reconcile --netns "/run/netns/$n" --desired "$d" --state-dir "$bad" 2>&1) || rc=$?
	expect_eq "$rc" 5 "reconcile with a 0777 nobody-owned state dir"
	expect_match "$err" "state dir $bad: owner uid [0-9]+, mode 0777: refused" "message"
	[ -z "$(ls -A "$bad")" ] || fail "something was written into the untrusted dir"
	ip -n "$n" addr show dev lo | grep -q 10.77.3.1 && fail "applied despite the refusal"
	# a client must not talk to a socket planted there
	mkdir -m 0700 "$bad/x"
	rc=0; "$LX_BIN" status x --state-dir "$bad" 2>/dev/null || rc=$?
	expect_eq "$rc" 5 "status in an untrusted state dir"
	# root-owned but group-writable id dir inside a good state dir
	mkdir -m 0770 "$SD/gw-$$"
	chmod 0770 "$SD/gw-$$"
	rc=0; err=$("$LX_BIN" reconcile --netns "/run/netns/$n" --desired "$d" --state-dir "$SD" --id gw-$$ 2>&1) || rc=$?
	expect_eq "$rc" 5 "group-writable id dir"
	expect_match "$err" "state dir $SD/gw-$$: owner uid 0, mode 0770: refused" "id dir message"
	rm -rf "$bad" "$SD/gw-$$"
}

# Item 15: a start that fails (here ENOSPC on a full state dir) leaves
# nothing behind: no id dir, no empty events.log, no resident.
test_failed_start_leaves_nothing() {
	local full=$LX_TMP/full id=ns-$$ rc
	trap cleanup EXIT
	start_target
	mkdir "$full"
	rc=0
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o size=64k,mode=0755 lxfull "$1" && mkdir "$1/sd" &&
		{ dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null; true; } &&
		"$2" hook createRuntime --state-dir "$1/sd" <"$3" 2>"$4"; rc=$?
		ls -A "$1/sd" >"$5"
		exit $rc' sh "$full" "$LX_BIN" <(oci "$id" creating "$tpid" '{"io.linx.addresses":"lo 10.77.4.1/32"}') \
		"$LX_TMP/full.err" "$LX_TMP/full.ls" || rc=$?
	expect_eq "$rc" 1 "hook on a full state dir (exit 1, environment): $(cat "$LX_TMP/full.err")"
	expect_eq "$(cat "$LX_TMP/full.ls")" "" "left in the state dir"
	pgrep -f "state-dir $full/sd" >/dev/null && fail "a resident was left"
	nsenter -t "$tpid" -n ip addr show dev lo | grep -q 10.77.4.1 && fail "the address was left"
	true
}

# Item 16: DIR/<64-hex id>/control.sock past sun_path's 108 bytes.
test_control_socket_long_state_dir() {
	local long id pid
	long=$LX_TMP/$(printf 'd%.0s' $(seq 70))/linx-state
	id=$(printf '%064x' $$)
	trap cleanup EXIT
	start_target
	mkdir -p "$long"
	oci "$id" creating "$tpid" '{"io.linx.addresses":"lo 10.77.5.1/32"}' |
		"$LX_BIN" hook createRuntime --state-dir "$long" || fail "hook with a long state dir"
	pid=$(cat "$long/$id/pid")
	PIDS+=("$pid")
	[ ${#long} -gt 60 ] && [ $((${#long} + 1 + 64 + 13)) -gt 108 ] || fail "path not long enough"
	"$LX_BIN" status "$id" --state-dir "$long" >/dev/null || fail "status with a long state dir"
	oci "$id" stopped | "$LX_BIN" hook poststop --state-dir "$long" || fail "poststop"
	wait_gone "$pid" 2000 || fail "resident not stopped"
	[ -e "$long/$id" ] && fail "state dir left"
	true
}

nfds() { ls "/proc/$1/fd" | wc -l; }

# Item 12: a client that pipelines requests and never reads does not stall
# healing; idle clients are dropped after the timeout.
test_control_client_cannot_stall_healing() {
	local d=$LX_TMP/cs.json id=cs-$$ base py t0 sent queued
	trap cleanup EXIT
	start_target
	cat >"$d" <<'JSON'
{"network": {"links": [{"name": "lo", "up": true}],
             "addresses": ["lo 10.77.6.1/24"],
             "routes": ["10.78.0.0/16 via 10.77.6.2 dev lo"]},
 "options": {"debounce_ms": 10}}
JSON
	LINX_SIDECAR_CONTROL_TIMEOUT_MS=3000 start_run "$id" "$d"
	nsenter -t "$tpid" -n ip route | grep -q 10.78.0.0/16 || fail "not converged"
	base=$(nfds "$spid")
	# pipeline status requests (each reply is a whole report) without
	# ever reading a reply; "stalled" is written once the replies queued
	# for us stop growing: the sidecar's send buffer is full, it cannot
	# answer any more of our requests. (Not before: the 69 KB of requests
	# fit in the socket at once, ahead of the sidecar's accept.)
	python3 -c '
import socket, sys, time, fcntl, termios, struct
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.setblocking(False)
req = b"{\"cmd\":\"status\"}\n" * 4096
sent = 0
def queued():
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]
last, since, end = -1, time.time(), time.time() + 20
while time.time() < end:
    try: sent += s.send(req[sent:]) if sent < len(req) else 0
    except BlockingIOError: pass
    q = queued()
    if q != last: last, since = q, time.time()
    elif q > 0 and time.time() - since > 0.3: break
    time.sleep(0.01)
open(sys.argv[2], "w").write("%d %d\n" % (sent, last))
time.sleep(30)' "$SD/$id/control.sock" "$LX_TMP/stalled" &
	py=$!
	PIDS+=("$py")
	for _ in $(seq 2000); do test -s "$LX_TMP/stalled" && break; sleep 0.01; done
	test -s "$LX_TMP/stalled" || fail "the client never saw the sidecar stall"
	read -r sent queued <"$LX_TMP/stalled"
	[ "$queued" -gt 0 ] || fail "no replies queued (sent $sent)"
	expect_eq "$(nfds "$spid")" $((base + 1)) "client connected"
	nsenter -t "$tpid" -n ip route del 10.78.0.0/16
	t0=$SECONDS
	for _ in $(seq 100); do
		nsenter -t "$tpid" -n ip route | grep -q 10.78.0.0/16 && break
		sleep 0.01
	done
	nsenter -t "$tpid" -n ip route | grep -q 10.78.0.0/16 ||
		fail "route not healed within 1 s while a client stalls the control socket"
	expect_eq "$(nfds "$spid")" $((base + 1)) "healed while the stalling client is still connected"
	# the stalled client is dropped once the timeout passes
	for _ in $(seq 60); do [ "$(nfds "$spid")" = "$base" ] && break; sleep 0.1; done
	expect_eq "$(nfds "$spid")" "$base" "stalled client dropped after the timeout"
	# an idle client too (connected, never a request)
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
t0 = time.time(); d = s.recv(1)
print("%.1f %d" % (time.time() - t0, len(d)))' "$SD/$id/control.sock" >"$LX_TMP/idle" &
	py=$!
	PIDS+=("$py")
	wait "$py" || fail "idle client failed"
	read -r secs n <"$LX_TMP/idle"
	expect_eq "$n" 0 "idle client got EOF"
	expect_match "$secs" '^[2-4]\.' "idle client dropped after ~3 s"
	"$LX_BIN" status "$id" --state-dir "$SD" >/dev/null || fail "status after the drops"
	"$LX_BIN" stop "$id" --state-dir "$SD" >/dev/null
	wait_gone "$spid" 2000 || fail "sidecar still running"
}

t poststop_never_signals_a_stranger test_poststop_never_signals_a_stranger
t poststop_stops_the_proven_resident test_poststop_stops_the_proven_resident
t state_bound_to_its_netns test_state_bound_to_its_netns
t one_owner_per_netns test_one_owner_per_netns
t untrusted_state_dir_refused test_untrusted_state_dir_refused
t failed_start_leaves_nothing test_failed_start_leaves_nothing
t control_socket_long_state_dir test_control_socket_long_state_dir
t control_client_cannot_stall_healing test_control_client_cannot_stall_healing
