#!/bin/bash
# linx-sidecar as a crun hook. crun sends `"status":"created"` plus `root`,
# gives hooks /dev/null as stdout/stderr, and needs the cgroup workaround in
# lib.sh (e2e_crun) on this host.
. "$(dirname "$0")/lib.sh"

TESTS=(crun_converges_from_annotations crun_kill_tears_down
	crun_invalid_annotation_fails_run)
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi

# Sets ID SD B HOSTIF NET PID.
start_crun() {
	local short
	short=$(e2e_short)
	ID=lxe-c$short HOSTIF=lxh-$short SD=$LX_TMP/sd-$short B=$LX_TMP/b-$short
	NET=10.214.$((RANDOM % 250 + 1))
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.links \
		"[{\"name\":\"lo\",\"up\":true},{\"name\":\"eth0\",\"kind\":\"veth\",\"up\":true,\"peer\":{\"name\":\"$HOSTIF\",\"up\":true}}]"
	e2e_annotate "$B" io.linx.addresses "eth0 $NET.2/24"
	e2e_annotate "$B" io.linx.routes "default via $NET.1; 10.99.0.0/16 via $NET.254 metric 100"
	e2e_annotate "$B" io.linx.sysctl "net.ipv4.ip_forward=1"
	e2e_hooks "$B" "$LX_BIN" linx-sidecar --state-dir "$SD"
	e2e_track_if "$HOSTIF"
	e2e_crun_run "$B" "$ID" || fail "crun run failed (${E2E_MS} ms): $E2E_ERR"
	echo "# crun run -d with linx-sidecar hook: ${E2E_MS} ms"
	PID=$(e2e_init_pid crun "$ID")
	[ "${PID:-0}" -gt 0 ] || fail "no init pid for $ID"
}

in_ctr() { nsenter -t "$PID" -n "$@"; }

crun_converges_from_annotations() {
	start_crun
	[ "$E2E_MS" -lt 1000 ] || fail "crun run -d took ${E2E_MS} ms"
	expect_match "$(in_ctr ip -o -4 addr show dev eth0)" "inet $NET\.2/24" "eth0 address"
	expect_match "$(in_ctr ip -4 route show default)" "default via $NET\.1 dev eth0 proto 76" "default route"
	expect_match "$(in_ctr ip -4 route show 10.99.0.0/16)" "via $NET\.254 .*proto 76 .*metric 100" "second route"
	expect_eq "$(in_ctr sysctl -n net.ipv4.ip_forward)" 1 "ip_forward"
	expect_match "$(ip -o link show dev "$HOSTIF")" "[<,]UP[,>]" "host peer up"
	[ -s "$SD/$ID/pid" ] || fail "no $SD/$ID/pid"
	expect_eq "$(e2e_sidecar_pids "$SD")" "$(cat "$SD/$ID/pid")" "one resident sidecar"
	"$LX_BIN" status "$ID" --state-dir "$SD" >/dev/null || fail "status exit $?"
}

crun_kill_tears_down() {
	start_crun
	local spid
	spid=$(cat "$SD/$ID/pid")
	e2e_crun kill "$ID" KILL
	wait_gone "$spid" 1000 || fail "sidecar still running 1 s after the container died"
	e2e_gone "$ID" "$SD" "$HOSTIF" 1000
	e2e_crun delete "$ID" || fail "crun delete (poststop with pid 0) failed"
	e2e_gone "$ID" "$SD" "$HOSTIF" 100
}

# crun drops the hook's stderr, so only the failure itself is visible.
crun_invalid_annotation_fails_run() {
	local short id sd b
	short=$(e2e_short)
	id=lxe-c$short sd=$LX_TMP/sd-$short b=$LX_TMP/b-$short
	e2e_bundle "$b"
	e2e_annotate "$b" io.linx.adresses "eth0 10.0.0.2/24" # typo: unknown io.linx. key
	e2e_hooks "$b" "$LX_BIN" linx-sidecar --state-dir "$sd"
	if e2e_crun_run "$b" "$id"; then fail "crun run succeeded with an unknown io.linx key"; fi
	e2e_gone "$id" "$sd" "" 100
}

# `bash test_x.sh NAME...` runs only those tests
for n in "${@:-${TESTS[@]}}"; do e2e_t "$n" "$n"; done
