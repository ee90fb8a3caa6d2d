#!/bin/bash
# linx-sidecar through podman's hooks.d (--hooks-dir) with annotations in the
# compact form (podman parses --annotation as CSV and rejects JSON values).
# `--network none` gives the container a netns of its own holding only lo,
# which the hook then fills. LX_BIN and LX_HOOKS_DIR from the environment
# test an installed package (.ci/run: /usr/bin, /usr/share/containers/oci/hooks.d).
. "$(dirname "$0")/lib.sh"

TESTS=(podman_compact_annotations_converge podman_container_exit_tears_down
	podman_unannotated_container_is_untouched)
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi

# Sets NAME ID (podman's 64-hex id = the OCI id) SD H HOSTIF NET PID.
start_pod() {
	local short
	short=$(e2e_short)
	NAME=lxe-p$short HOSTIF=lxh-$short SD=$LX_TMP/sd-$short H=$LX_TMP/hooks-$short
	NET=10.215.$((RANDOM % 250 + 1))
	e2e_podman_setup || fail "podman setup"
	e2e_hooks_dir "$H" "$(dirname "$LX_BIN")" --state-dir "$SD"
	e2e_track_if "$HOSTIF"
	e2e_podman_run "$NAME" "$H" \
		--annotation "io.linx.links=lo up; eth0 veth peer $HOSTIF up" \
		--annotation "io.linx.addresses=eth0 $NET.2/24; eth0 fd42:4c59::2/64 nodad" \
		--annotation "io.linx.routes=default via $NET.1; 10.98.0.0/16 via $NET.254 metric 100" \
		--annotation "io.linx.sysctl=net.ipv4.ip_forward=1; net.ipv4.ip_local_port_range=20000 30000" \
		"$E2E_IMAGE" sleep 3600
	echo "# podman run -d with linx-sidecar hook: $E2E_MS ms"
}

in_ctr() { nsenter -t "$PID" -n "$@"; }

podman_compact_annotations_converge() {
	start_pod
	expect_match "$(in_ctr ip -o -4 addr show dev eth0)" "inet $NET\.2/24" "eth0 v4 address"
	expect_match "$(in_ctr ip -o -6 addr show dev eth0)" "inet6 fd42:4c59::2/64" "eth0 v6 address"
	expect_match "$(in_ctr ip -4 route show default)" "default via $NET\.1 dev eth0 proto 76" "default route"
	expect_match "$(in_ctr ip -4 route show 10.98.0.0/16)" "via $NET\.254 .*proto 76 .*metric 100" "second route"
	expect_eq "$(in_ctr sysctl -n net.ipv4.ip_forward)" 1 "ip_forward"
	expect_eq "$(in_ctr sysctl -n net.ipv4.ip_local_port_range | tr -s '\t ' ' ')" "20000 30000" "port range"
	ip link show dev "$HOSTIF" >/dev/null || fail "no host peer $HOSTIF"
	[ -s "$SD/$ID/pid" ] || fail "no $SD/$ID/pid (state dir is named by the OCI id)"
	"$LX_BIN" status "$ID" --state-dir "$SD" --json | jq -e . >/dev/null || fail "status --json"
	# the 12 characters `podman ps` shows are enough (issue 15)
	"$LX_BIN" status "${ID:0:12}" --state-dir "$SD" --json | jq -e ".id == \"$ID\" and .converged" >/dev/null ||
		fail "status by podman's short id"
	"$LX_BIN" list --state-dir "$SD" | grep -Eq "^${ID:0:12} +- +$PID +converged +ok " ||
		fail "list: $("$LX_BIN" list --state-dir "$SD")"
}

# The container's exit ends the sidecar (pidfd); podman's cleanup then runs
# `hook poststop` with a state that has no pid.
podman_container_exit_tears_down() {
	start_pod
	local spid
	spid=$(cat "$SD/$ID/pid")
	e2e_podman kill "$NAME" >/dev/null || fail "podman kill"
	wait_gone "$spid" 1000 || fail "sidecar still running 1 s after the container died"
	e2e_gone "$ID" "$SD" "$HOSTIF" 1000
	e2e_podman rm "$NAME" >/dev/null || fail "podman rm"
	e2e_gone "$ID" "$SD" "$HOSTIF" 100
}

podman_unannotated_container_is_untouched() {
	local short name sd h pid
	short=$(e2e_short)
	name=lxe-p$short sd=$LX_TMP/sd-$short h=$LX_TMP/hooks-$short
	e2e_podman_setup || fail "podman setup"
	e2e_hooks_dir "$h" "$(dirname "$LX_BIN")" --state-dir "$sd"
	E2E_CONTAINERS+=("podman $name")
	e2e_podman run -d --name "$name" --hooks-dir "$h" --network none \
		--annotation 'org.example.other=1' "$E2E_IMAGE" sleep 3600 >/dev/null || fail "podman run"
	pid=$(e2e_init_pid podman "$name")
	[ "${pid:-0}" -gt 0 ] || fail "container not running"
	e2e_no_sidecar "$sd" || fail "a sidecar runs for an unannotated container"
	[ ! -e "$sd" ] || [ -z "$(ls -A "$sd")" ] || fail "state written for an unannotated container"
	expect_eq "$(nsenter -t "$pid" -n ip -o link | wc -l)" 1 "netns holds only lo"
	e2e_podman rm -f -t 0 "$name" >/dev/null || fail "podman rm"
}

# `bash test_x.sh NAME...` runs only those tests
for n in "${@:-${TESTS[@]}}"; do e2e_t "$n" "$n"; done
