#!/bin/bash
# The e2e scaffolding itself, proven with a stand-in hook (a shell script that
# saves its stdin): each runtime runs our createRuntime and poststop hooks with
# the argv SPEC.md gives and an OCI state the hook can use. Needs no linx-sidecar.
#
#   E2E_SAVE_FIXTURES=1 bash tests/e2e/test_scaffold.sh
# also copies the captured states to tests/e2e/fixtures/<runtime>-<stage>.json.
. "$(dirname "$0")/lib.sh"

FIX=$E2E_HERE/fixtures

# state FILE: the newest capture for STAGE in stand-in dir S.
capture() { ls "$1"/cap/*-"$2".json 2>/dev/null | tail -1; }
captured() { [ -n "$(capture "$1" "$2")" ]; }

save_fixture() {
	[ "${E2E_SAVE_FIXTURES:-0}" = 1 ] || return 0
	mkdir -p "$FIX"
	cp "$1" "$FIX/$2.json" # byte for byte what the runtime wrote
}

# Common checks on a captured createRuntime state.
check_create_state() {
	local f=$1 id=$2 status=$3
	[ -s "$f" ] || fail "no createRuntime state captured"
	expect_eq "$(jq -r .id "$f")" "$id" "state id"
	expect_eq "$(jq -r .status "$f")" "$status" "state status"
	expect_eq "$(jq -r '.annotations["io.linx.addresses"]' "$f")" "eth0 10.0.0.2/24" "annotation"
	expect_match "$(jq -r .pid "$f")" '^[1-9][0-9]*$' "state pid"
}

runc_standin() {
	local S=$LX_TMP/runc-si B=$LX_TMP/runc-b id=lxe-sc-runc-$$ f info
	e2e_standin "$S"
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.addresses "eth0 10.0.0.2/24"
	e2e_hooks "$B" "$S/bin/linx-sidecar" linx-sidecar --state-dir "$LX_TMP/sd"
	e2e_runc_run "$B" "$id" || fail "runc run: $E2E_ERR"
	echo "# runc run -d with stand-in hook: ${E2E_MS} ms"
	f=$(capture "$S" createRuntime)
	check_create_state "$f" "$id" creating
	local pid
	pid=$(e2e_init_pid runc "$id")
	expect_eq "$(jq -r .pid "$f")" "$pid" "hook pid = init pid"
	info=${f%.json}.info
	expect_match "$(cat "$info")" "argv: .* hook createRuntime --state-dir $LX_TMP/sd" "argv"
	runc kill "$id" KILL
	wait_gone "$pid" 2000 || fail "init did not die"
	runc delete "$id" || fail "runc delete"
	f=$(capture "$S" poststop)
	[ -s "$f" ] || fail "no poststop state"
	expect_eq "$(jq -r .status "$f")" stopped "poststop status"
	expect_eq "$(jq -r '.pid // "none"' "$f")" none "runc poststop has no pid"
	save_fixture "$(capture "$S" createRuntime)" runc-createRuntime
	save_fixture "$f" runc-poststop
}

# A failing hook fails `runc run`, and runc quotes the hook's stderr.
runc_standin_failure_is_reported() {
	local S=$LX_TMP/runc-fail B=$LX_TMP/runc-fb id=lxe-sc-fail-$$
	e2e_standin "$S"
	echo 3 >"$S/rc"
	echo "io.linx.addresses: invalid address 10.0.0.300/24" >"$S/say"
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.addresses "eth0 10.0.0.300/24"
	e2e_hooks "$B" "$S/bin/linx-sidecar" linx-sidecar
	if e2e_runc_run "$B" "$id"; then fail "runc run succeeded with a failing hook"; fi
	expect_match "$E2E_ERR" "10\.0\.0\.300" "runc stderr quotes the hook"
	# runc removes a container whose createRuntime hook failed
	! runc state "$id" >/dev/null 2>&1 || fail "container $id still exists"
}

# runc waits for every copy of the hook's stdout/stderr to close: a hook that
# leaves a child holding them makes `runc run` wait for that child.
runc_waits_for_hook_stdio() {
	local S=$LX_TMP/runc-hold B=$LX_TMP/runc-hb id=lxe-sc-hold-$$
	mkdir -p "$S"
	cat >"$S/hook" <<-'EOF'
		#!/bin/sh
		cat >/dev/null
		sleep 1 &
		exit 0
	EOF
	chmod 0755 "$S/hook"
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.addresses "eth0 10.0.0.2/24"
	e2e_hooks "$B" "$S/hook" hook
	e2e_runc_run "$B" "$id" || fail "runc run: $E2E_ERR"
	echo "# runc run -d, hook child holding stdout for 1 s: ${E2E_MS} ms"
	[ "$E2E_MS" -ge 900 ] || fail "runc did not wait for the hook's stdio (${E2E_MS} ms)"
}

crun_standin() {
	local S=$LX_TMP/crun-si B=$LX_TMP/crun-b id=lxe-sc-crun-$$ f pid
	e2e_standin "$S"
	e2e_bundle "$B"
	e2e_annotate "$B" io.linx.addresses "eth0 10.0.0.2/24"
	e2e_hooks "$B" "$S/bin/linx-sidecar" linx-sidecar --state-dir "$LX_TMP/sd"
	e2e_crun_run "$B" "$id" || fail "crun run: $E2E_ERR"
	echo "# crun run -d with stand-in hook: ${E2E_MS} ms"
	f=$(capture "$S" createRuntime)
	check_create_state "$f" "$id" created
	expect_eq "$(jq -r .root "$f")" "$E2E_ROOTFS" "crun sends root"
	pid=$(e2e_init_pid crun "$id")
	expect_eq "$(jq -r .pid "$f")" "$pid" "hook pid = init pid"
	# crun gives hooks /dev/null as stdout and stderr
	expect_match "$(cat "${f%.json}.info")" "fd2: /dev/null" "crun hook stderr"
	e2e_crun kill "$id" KILL
	wait_gone "$pid" 2000 || fail "init did not die"
	e2e_crun delete "$id" || fail "crun delete"
	f=$(capture "$S" poststop)
	[ -s "$f" ] || fail "no poststop state"
	expect_eq "$(jq -r .status "$f")" stopped "poststop status"
	expect_eq "$(jq -r .pid "$f")" 0 "crun poststop sends pid 0"
	save_fixture "$(capture "$S" createRuntime)" crun-createRuntime
	save_fixture "$f" crun-poststop
}

podman_standin() {
	local S=$LX_TMP/pod-si H=$LX_TMP/pod-hooks id=lxe-sc-pod-$$ f pid t0 t1
	e2e_standin "$S"
	e2e_podman_setup || fail "podman setup"
	e2e_hooks_dir "$H" "$S/bin"
	E2E_CONTAINERS+=("podman $id")
	e2e_mark t0
	e2e_podman run -d --name "$id" --hooks-dir "$H" --network none \
		--annotation 'io.linx.addresses=eth0 10.0.0.2/24' \
		--annotation 'io.linx.routes=default via 10.0.0.1; 10.1.0.0/16 via 10.0.0.254 metric 100' \
		"$E2E_IMAGE" sleep 3600 >/dev/null || fail "podman run"
	e2e_mark t1
	echo "# podman run -d with stand-in hook: $((t1 - t0)) ms"
	f=$(capture "$S" createRuntime)
	[ -s "$f" ] || fail "no createRuntime state captured"
	expect_eq "$(jq -r .status "$f")" creating "state status"
	expect_eq "$(jq -r '.annotations["io.linx.routes"]' "$f")" \
		"default via 10.0.0.1; 10.1.0.0/16 via 10.0.0.254 metric 100" "compact annotation untouched"
	pid=$(e2e_init_pid podman "$id")
	expect_eq "$(jq -r .pid "$f")" "$pid" "hook pid = init pid"
	# --network none: a netns of its own, holding only lo
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] || fail "shares host netns"
	expect_eq "$(nsenter -t "$pid" -n ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')" "lo " "links"
	kill -9 "$pid"
	# podman runs poststop itself, from its cleanup process, after the exit
	e2e_until 5000 captured "$S" poststop || fail "no poststop state"
	f=$(capture "$S" poststop)
	expect_eq "$(jq -r .status "$f")" stopped "poststop status"
	expect_eq "$(jq -r '.pid // "none"' "$f")" none "podman poststop has no pid"
	save_fixture "$(capture "$S" createRuntime)" podman-createRuntime
	save_fixture "$f" podman-poststop
}

# A container without io.linx annotations does not match the hooks.d `when`.
podman_hooks_dir_skips_unannotated() {
	local S=$LX_TMP/pod-si2 H=$LX_TMP/pod-hooks2 id=lxe-sc-pod2-$$
	e2e_standin "$S"
	e2e_podman_setup || fail "podman setup"
	e2e_hooks_dir "$H" "$S/bin"
	E2E_CONTAINERS+=("podman $id")
	e2e_podman run -d --name "$id" --hooks-dir "$H" --network none \
		--annotation 'org.example.other=1' "$E2E_IMAGE" sleep 3600 >/dev/null || fail "podman run"
	[ -z "$(capture "$S" createRuntime)" ] || fail "hook ran for an unannotated container"
}

e2e_t runc_hook_gets_creating_state_and_poststop_state runc_standin
e2e_t runc_reports_failing_hook_stderr runc_standin_failure_is_reported
e2e_t runc_waits_for_hook_stdio_to_close runc_waits_for_hook_stdio
e2e_t crun_hook_gets_created_state_with_root crun_standin
e2e_t podman_hooks_dir_runs_hook_with_compact_annotations podman_standin
e2e_t podman_hooks_dir_skips_unannotated_container podman_hooks_dir_skips_unannotated
