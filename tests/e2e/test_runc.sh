#!/bin/bash
# linx-sidecar as a runc createRuntime/poststop hook (SPEC.md: Annotations,
# Lifecycle of the hook, State). Each test starts its own container with its
# own --state-dir and removes it, its host veth peer and its state at exit.
. "$(dirname "$0")/lib.sh"

TESTS=(runc_converges_from_annotations runc_run_returns_promptly
	runc_hook_heals_deleted_default_route runc_status_answers
	runc_kill_leaves_nothing_behind runc_delete_force_leaves_nothing_behind
	runc_invalid_address_fails_run runc_unannotated_container_gets_no_sidecar)
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi

HOST_FWD=$(sysctl -n net.ipv4.ip_forward)
HOST_RANGE=$(sysctl -n net.ipv4.ip_local_port_range)

# start_web: a container with a veth eth0 (peer lxh-SHORT on the host),
# v4 + v6 addresses, a default route and a sysctl, all from annotations.
# Sets ID SD B SHORT HOSTIF NET (10.213.N) PID.
start_web() {
	SHORT=$(e2e_short)
	ID=lxe-$SHORT HOSTIF=lxh-$SHORT SD=$LX_TMP/sd-$SHORT B=$LX_TMP/b-$SHORT
	NET=10.213.$((RANDOM % 250 + 1))
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.links \
		"[{\"name\":\"lo\",\"up\":true},{\"name\":\"eth0\",\"kind\":\"veth\",\"up\":true,\"peer\":{\"name\":\"$HOSTIF\",\"up\":true}}]"
	e2e_annotate "$B" io.linx.addresses "eth0 $NET.2/24; eth0 fd42:4c58::2/64 nodad"
	e2e_annotate "$B" io.linx.routes "default via $NET.1"
	e2e_annotate "$B" io.linx.sysctl "net.ipv4.ip_forward=1; net.ipv4.ip_local_port_range=20000 30000"
	e2e_hooks "$B" "$LX_BIN" linx-sidecar --state-dir "$SD"
	e2e_track_if "$HOSTIF"
	e2e_runc_run "$B" "$ID" || fail "runc run failed (${E2E_MS} ms): $E2E_ERR"
	PID=$(e2e_init_pid runc "$ID")
	[ "${PID:-0}" -gt 0 ] || fail "no init pid for $ID"
}

in_ctr() { nsenter -t "$PID" -n "$@"; }
has_default_route() { in_ctr ip -4 route show default | grep -q "via $NET.1"; }

runc_converges_from_annotations() {
	start_web
	expect_match "$(in_ctr ip -o -4 addr show dev eth0)" "inet $NET\.2/24" "eth0 v4 address"
	expect_match "$(in_ctr ip -o -6 addr show dev eth0)" "inet6 fd42:4c58::2/64" "eth0 v6 address"
	expect_match "$(in_ctr ip -o link show dev eth0)" "[<,]UP[,>]" "eth0 up"
	expect_match "$(in_ctr ip -o link show dev lo)" "[<,]UP[,>]" "lo up"
	expect_match "$(in_ctr ip -4 route show default)" "default via $NET\.1 dev eth0 proto 76" "default route, our protocol"
	expect_eq "$(in_ctr sysctl -n net.ipv4.ip_forward)" 1 "ip_forward in the container's netns"
	expect_eq "$(in_ctr sysctl -n net.ipv4.ip_local_port_range | tr -s '\t ' ' ')" "20000 30000" "port range"
	# the host's own values are untouched
	expect_eq "$(sysctl -n net.ipv4.ip_forward)" "$HOST_FWD" "host ip_forward"
	expect_eq "$(sysctl -n net.ipv4.ip_local_port_range)" "$HOST_RANGE" "host port range"
	# the peer is on the host, up, in the host netns
	expect_match "$(ip -o link show dev "$HOSTIF")" "[<,]UP[,>]" "host peer up"
	ip addr add "$NET.1/24" dev "$HOSTIF"
	busybox ping -c 1 -W 2 "$NET.2" >/dev/null || fail "host cannot ping the container at $NET.2"
	in_ctr busybox ping -c 1 -W 2 "$NET.1" >/dev/null || fail "container cannot ping the host at $NET.1"
	# the resident sidecar wrote its state dir before the hook returned
	[ -s "$SD/$ID/pid" ] || fail "no $SD/$ID/pid"
	[ -S "$SD/$ID/control.sock" ] || fail "no control socket"
	expect_eq "$(stat -c %a "$SD/$ID/control.sock")" 600 "control.sock mode"
	jq -e .last_applied "$SD/$ID/state.json" >/dev/null || fail "state.json without last_applied"
	local spid
	spid=$(cat "$SD/$ID/pid")
	expect_eq "$(e2e_sidecar_pids "$SD")" "$spid" "exactly one resident sidecar"
	# detached: a new session (not ours, not runc's), stdio on /dev/null
	local sid
	sid=$(awk '{print $6}' "/proc/$spid/stat")
	[ "$sid" != "$(awk '{print $6}' /proc/$$/stat)" ] && [ "$sid" != 0 ] ||
		fail "sidecar is in the test's session ($sid)"
	expect_eq "$(readlink "/proc/$spid/fd/1")" /dev/null "sidecar stdout"
}

# The hook forks a resident process that must not hold runc's pipes: runc
# waits for every copy of the hook's stdout/stderr to close.
runc_run_returns_promptly() {
	start_web
	echo "# runc run -d with linx-sidecar hook: ${E2E_MS} ms"
	[ "$E2E_MS" -lt 1000 ] || fail "runc run -d took ${E2E_MS} ms"
}

runc_hook_heals_deleted_default_route() {
	start_web
	has_default_route || fail "no default route to start with"
	local t0 t1
	e2e_mark t0
	in_ctr ip route del default
	e2e_until 1000 has_default_route || fail "default route not restored within 1 s"
	e2e_mark t1
	echo "# default route restored after $((t1 - t0)) ms (polled)"
	expect_match "$(in_ctr ip -4 route show default)" "proto 76" "restored route is ours"
}

runc_status_answers() {
	start_web
	local out
	out=$("$LX_BIN" status "$ID" --state-dir "$SD") || fail "status exit $?"
	[ -n "$out" ] || fail "status printed nothing"
	out=$("$LX_BIN" status "$ID" --state-dir "$SD" --json) || fail "status --json exit $?"
	echo "$out" | jq -e 'type == "object"' >/dev/null || fail "status --json is not a JSON object: $out"
	# options may come before positional arguments too
	"$LX_BIN" status --state-dir "$SD" --json "$ID" | jq -e . >/dev/null ||
		fail "status with options first"
	expect_rc 4 "$LX_BIN" status lxe-no-such-container --state-dir "$SD"
}

runc_kill_leaves_nothing_behind() {
	start_web
	local spid t0 t1
	spid=$(cat "$SD/$ID/pid")
	e2e_mark t0
	runc kill "$ID" KILL
	wait_gone "$spid" 1000 || fail "sidecar $spid still running 1 s after the container died"
	e2e_mark t1
	echo "# sidecar gone $((t1 - t0)) ms after runc kill (polled)"
	e2e_gone "$ID" "$SD" "$HOSTIF" 1000
	# poststop finds nothing to do and succeeds
	runc delete "$ID" || fail "runc delete (poststop hook) failed"
	e2e_gone "$ID" "$SD" "$HOSTIF" 100
}

# runc delete -f kills the init and runs the poststop hook.
runc_delete_force_leaves_nothing_behind() {
	start_web
	runc delete -f "$ID" || fail "runc delete -f failed"
	e2e_gone "$ID" "$SD" "$HOSTIF" 1000
}

runc_invalid_address_fails_run() {
	local short id sd b
	short=$(e2e_short)
	id=lxe-$short sd=$LX_TMP/sd-$short b=$LX_TMP/b-$short
	e2e_bundle "$b"
	e2e_annotate "$b" io.linx.links "lo up"
	e2e_annotate "$b" io.linx.addresses "eth0 10.0.0.300/24"
	e2e_hooks "$b" "$LX_BIN" linx-sidecar --state-dir "$sd"
	if e2e_runc_run "$b" "$id"; then fail "runc run succeeded with an invalid address"; fi
	expect_match "$E2E_ERR" "10\.0\.0\.300" "runc's error names the address"
	expect_match "$E2E_ERR" "io\.linx\.addresses" "runc's error names the annotation"
	! runc state "$id" >/dev/null 2>&1 || fail "container $id exists after a failed hook"
	e2e_gone "$id" "$sd" "" 100
}

runc_unannotated_container_gets_no_sidecar() {
	local short id sd b pid
	short=$(e2e_short)
	id=lxe-$short sd=$LX_TMP/sd-$short b=$LX_TMP/b-$short
	e2e_bundle "$b"
	e2e_annotate "$b" org.example.other "1"
	e2e_hooks "$b" "$LX_BIN" linx-sidecar --state-dir "$sd"
	e2e_runc_run "$b" "$id" || fail "runc run failed: $E2E_ERR"
	pid=$(e2e_init_pid runc "$id")
	[ "${pid:-0}" -gt 0 ] || fail "container not running"
	e2e_no_sidecar "$sd" || fail "a sidecar runs for an unannotated container"
	[ ! -e "$sd/$id" ] || fail "state dir created for an unannotated container"
	expect_eq "$(nsenter -t "$pid" -n ip -o link | wc -l)" 1 "netns holds only lo"
	runc delete -f "$id" || fail "runc delete -f (poststop) failed"
}

# `bash test_x.sh NAME...` runs only those tests
for n in "${@:-${TESTS[@]}}"; do e2e_t "$n" "$n"; done
