#!/bin/bash
# nftables in a real podman container started with --cap-add NET_ADMIN and
# the hook (hooks.d) with --nft-policy: the admin's policy keeps the
# container off 169.254.169.254 and the tenant, root with CAP_NET_ADMIN in
# its namespace, cannot remove it. The metadata address is put on the
# container's own lo (io.linx.addresses), never routed out of this machine.
. "$(dirname "$0")/lib.sh"

TESTS=(podman_nft_policy_blocks_metadata_and_tenant_cannot_remove)
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi

in_ctr() { nsenter -t "$PID" -n "$@"; }

# As the tenant: the host's nft in the container's netns with no capability
# but CAP_NET_ADMIN (what --cap-add NET_ADMIN gives the container's root).
as_tenant() {
	nsenter -t "$PID" -n setpriv --inh-caps=-all --ambient-caps=-all \
		--bounding-set=-all,+net_admin -- "$@"
}

# A TCP connect from the container's netns: refused (a reset: the packet got
# through, nothing listens) or connected within 1 s = reachable; a timeout =
# dropped.
reaches() {
	local rc=0
	in_ctr timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || rc=$?
	[ "$rc" != 124 ]
}

podman_nft_policy_blocks_metadata_and_tenant_cannot_remove() {
	local short name sd h pol
	short=$(e2e_short)
	name=lxe-n$short sd=$LX_TMP/sd-$short h=$LX_TMP/hooks-$short pol=$LX_TMP/policy-$short.nft
	cat >"$pol" <<-'EOF'
		chain out { type filter hook output priority -10; ip daddr 169.254.169.254 drop; }
	EOF
	e2e_podman_setup || fail "podman setup"
	e2e_hooks_dir "$h" "$(dirname "$LX_BIN")" --state-dir "$sd" --nft-policy "$pol"
	e2e_podman_run "$name" "$h" --cap-add NET_ADMIN \
		--annotation "io.linx.links=lo up" \
		--annotation "io.linx.addresses=lo 169.254.169.254/32; lo 10.216.0.1/32; lo 10.216.0.2/32" \
		--annotation "io.linx.nftables=chain egress { type filter hook output priority 0; ip daddr 10.216.0.2 drop; }" \
		"$E2E_IMAGE" sleep 3600
	echo "# podman run -d with the hook, a tenant body and --nft-policy: $E2E_MS ms"
	in_ctr nft list table inet linx-policy | grep -q 169.254.169.254 || fail "no policy table"
	in_ctr nft list table inet linx-policy | grep -q 'flags owner' || fail "policy table not owned"
	# the container's own view: busybox nc to the metadata address times
	# out (dropped), to another local address it is refused at once
	local out
	out=$(e2e_podman exec "$name" nc -w 2 169.254.169.254 80 </dev/null 2>&1) || true
	expect_match "$out" "timed out" "nc to 169.254.169.254 from the container"
	out=$(e2e_podman exec "$name" nc -w 2 10.216.0.1 80 </dev/null 2>&1) || true
	expect_match "$out" "refused" "nc to 10.216.0.1 from the container"
	! reaches 169.254.169.254 80 || fail "metadata address reachable"
	! reaches 10.216.0.2 80 || fail "tenant-dropped address reachable"
	reaches 10.216.0.1 80 || fail "other traffic blocked"
	# the tenant tries to remove the policy: every attempt fails, nothing
	# changes
	local before
	before=$(in_ctr nft list ruleset)
	! as_tenant nft delete table inet linx-policy 2>/dev/null || fail "tenant deleted the policy"
	! as_tenant nft flush table inet linx-policy 2>/dev/null || fail "tenant flushed the policy"
	! as_tenant nft delete rule inet linx-policy out handle 2 2>/dev/null || fail "tenant deleted a rule"
	! as_tenant nft delete table inet linx 2>/dev/null || fail "tenant deleted inet linx"
	as_tenant nft add table inet mine || fail "the tenant's own CAP_NET_ADMIN does not work (test broken)"
	as_tenant nft delete table inet mine
	expect_eq "$(in_ctr nft list ruleset)" "$before" "ruleset after the tenant's attempts"
	! reaches 169.254.169.254 80 || fail "metadata address reachable after the attempts"
	local spid
	spid=$(cat "$sd/$ID/pid")
	e2e_podman rm -f -t 0 "$name" >/dev/null || fail "podman rm"
	wait_gone "$spid" 2000 || fail "sidecar still running"
}

for n in "${@:-${TESTS[@]}}"; do e2e_t "$n" "$n"; done
