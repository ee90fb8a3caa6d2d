#!/bin/bash
# nftables through the real binary on an `unshare -n sleep` target: the
# resident sidecar with a tenant body and --nft-policy, the tenant (root in
# the namespace) failing to remove either table, put replacing the body,
# kill -9 keeping the rules and the re-attached sidecar claiming them, the
# forced no-persist fallback, teardown, and nothing for a document without
# nftables (no table, no netfilter socket, no libnftables mapped).
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
POL=$LX_TMP/policy.nft
cat >"$POL" <<'EOF'
chain out { type filter hook output priority -10; ip daddr 169.254.169.254 drop; }
EOF

start_sidecar() { # DESIRED ID [extra args]
	local d=$1 id=$2
	shift 2
	start_resident "$d" "$id" "$LX_TMP/sidecar-$id.log" \
		--nft-policy "$POL" --min-interval-ms 100 "$@"
}

in_ns() { nsenter -t "$tpid" -n "$@"; }

eventually() {
	for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.01; done
	fail "timed out waiting for: $*"
}

stop_all() {
	if [ -n "${spid:-}" ]; then kill "$spid" 2>/dev/null || true; fi
	if [ -n "${tpid:-}" ]; then kill -9 "$tpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
}

# The target's lo carries the metadata address and a tenant-blocked one.
target_setup() {
	start_target
	in_ns ip addr add 169.254.169.254/32 dev lo
	in_ns ip addr add 10.77.0.1/32 dev lo
	in_ns ip addr add 10.77.0.2/32 dev lo
	in_ns ip link set lo up
}

# TCP connect from inside the namespace (bash's /dev/tcp): nothing listens,
# so a packet that gets through is answered at once with a reset
# (refused), while a dropped one times out.
reaches() {
	local rc=0
	in_ns timeout 0.5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || rc=$?
	[ "$rc" != 124 ]
}
# The nftables ops of the sidecar's passes, from events.log.
nft_op() { # ID OP ITEM
	grep -F '"subsystem":"nftables","op":"'"$2"'","kind":"table","item":"'"$3"'"' \
		"$SD/$1/events.log" | grep -q '"error":null'
}

doc() { # FILE BODY [REVERT_ON_RELEASE]
	printf '{"nftables": %s, "options": {"interval_ms": 300, "debounce_ms": 10, "revert_on_release": %s}}\n' \
		"$(printf '%s' "$2" | jq -Rs .)" "${3:-false}" >"$1"
}

TENANT='chain egress { type filter hook output priority 0; policy accept; ip daddr 10.77.0.2 drop; }'

test_enforced_and_tenant_cannot_remove() {
	local d=$LX_TMP/d1.json id=nft-$$-a
	target_setup; trap stop_all EXIT
	doc "$d" "$TENANT" true
	start_sidecar "$d" "$id"
	expect_eq "$(jq -r .converged "$SD/$id/report.json")" true converged
	nft_op "$id" create "inet linx (1 rule)" || fail "no create table in $(cat "$SD/$id/events.log")"
	! reaches 169.254.169.254 8080 || fail "metadata address reachable"
	! reaches 10.77.0.2 8080 || fail "tenant-dropped address reachable"
	reaches 10.77.0.1 8080 || fail "other traffic blocked"
	local before after
	before=$(in_ns nft list ruleset)
	! in_ns nft delete table inet linx 2>/dev/null || fail "tenant deleted inet linx"
	! in_ns nft flush table inet linx-policy 2>/dev/null || fail "tenant flushed the policy"
	! in_ns nft delete table inet linx-policy 2>/dev/null || fail "tenant deleted the policy"
	after=$(in_ns nft list ruleset)
	expect_eq "$after" "$before" "ruleset after the tenant's attempts"
	! reaches 169.254.169.254 8080 || fail "metadata address reachable after"
	# teardown removes both tables (a stopped sidecar of a living
	# container releases only with revert_on_release; otherwise its
	# tables stay enforced, orphaned, as after a crash)
	kill "$spid"; wait_gone "$spid" 3000
	spid=
	expect_eq "$(in_ns nft list tables)" "" "tables after teardown"
}

test_put_replaces_atomically() {
	local d=$LX_TMP/d2.json d2=$LX_TMP/d2b.json id=nft-$$-b
	target_setup; trap stop_all EXIT
	doc "$d" "$TENANT"
	doc "$d2" 'chain egress { type filter hook output priority 0; ip daddr 10.77.0.1 drop; }'
	start_sidecar "$d" "$id"
	local g0
	g0=$(in_ns nft list ruleset | wc -l)
	"$LX_BIN" put "$id" --desired "$d2" --state-dir "$SD" >/dev/null || fail "put failed"
	eventually sh -c "nsenter -t $tpid -n nft list table inet linx | grep -q 10.77.0.1"
	in_ns nft list table inet linx | grep -q 10.77.0.2 && fail "old rule still there"
	reaches 10.77.0.2 8081 || fail "old rule still enforced"
	! reaches 10.77.0.1 8081 || fail "new rule not enforced"
	# the policy table is untouched by put
	in_ns nft list table inet linx-policy | grep -q 169.254.169.254 || fail "policy changed"
	# a hostile put is refused, nothing changes
	local bad=$LX_TMP/bad.json rc=0 out
	printf '{"nftables": "include \\"/etc/shadow\\""}' >"$bad"
	out=$("$LX_BIN" put "$id" --desired "$bad" --state-dir "$SD" 2>&1) || rc=$?
	expect_eq "$rc" 3 "exit code of a hostile put"
	expect_match "$out" 'refused: "include"' "hostile put message"
	in_ns nft list table inet linx | grep -q 10.77.0.1 || fail "body changed by a refused put"
	: "$g0"
}

test_kill9_keeps_rules_and_successor_claims() {
	local d=$LX_TMP/d3.json id=nft-$$-c
	target_setup; trap stop_all EXIT
	doc "$d" "$TENANT"
	start_sidecar "$d" "$id"
	kill -9 "$spid"; wait_gone "$spid" 3000
	spid=
	# orphaned: still enforced, no owner flag listed any more
	in_ns nft list table inet linx-policy | grep -q 169.254.169.254 || fail "policy gone after kill -9"
	! reaches 169.254.169.254 8082 || fail "metadata reachable while orphaned"
	! in_ns nft list table inet linx-policy | grep -q 'flags owner' || fail "still owned after kill -9"
	rm -f "$SD/$id/control.sock" "$SD/$id/report.json"
	start_sidecar "$d" "$id"
	in_ns nft list table inet linx-policy | grep -q 'flags owner' || fail "successor did not claim"
	! in_ns nft delete table inet linx-policy 2>/dev/null || fail "deletable after the claim"
	nft_op "$id" replace "inet linx-policy (1 rule)" || fail "no claim in $(cat "$SD/$id/events.log")"
	jq -e '.subsystems.nftables.state.persist == true' "$SD/$id/report.json" >/dev/null ||
		fail "persist not reported"
}

# Kernels before 6.9 have no persist flag; forced here with --nft-no-persist:
# the tables are owned while the sidecar lives and go with it on kill -9.
test_forced_no_persist_fallback() {
	local d=$LX_TMP/d4.json id=nft-$$-d
	target_setup; trap stop_all EXIT
	doc "$d" "$TENANT"
	start_sidecar "$d" "$id" --nft-no-persist
	jq -e '.subsystems.nftables.state.persist == false' "$SD/$id/report.json" >/dev/null ||
		fail "fallback not reported"
	! in_ns nft delete table inet linx-policy 2>/dev/null || fail "deletable while owned"
	kill -9 "$spid"; wait_gone "$spid" 3000
	spid=
	eventually sh -c "[ -z \"\$(nsenter -t $tpid -n nft list tables)\" ]"
}

test_no_nftables_costs_nothing() {
	local d=$LX_TMP/d5.json id=nft-$$-e
	target_setup; trap stop_all EXIT
	echo '{"sysctl": {"net.ipv4.ip_forward": 1}}' >"$d"
	"$LX_BIN" --pid "$tpid" --desired "$d" --state-dir "$SD" --id "$id" \
		2>>"$LX_TMP/sidecar-$id.log" &
	spid=$!
	for _ in $(seq 300); do [ -f "$SD/$id/report.json" ] && break; sleep 0.01; done
	expect_eq "$(in_ns nft list tables)" "" "tables"
	grep -q libnftables "/proc/$spid/maps" && fail "libnftables mapped"
	# netlink sockets of the resident: no NETLINK_NETFILTER (protocol 12)
	local inodes
	inodes=$(ls -l /proc/$spid/fd | grep -o 'socket:\[[0-9]*\]' | grep -o '[0-9]*' | tr '\n' '|')
	awk -v re="^(${inodes%|})$" 'NR > 1 && $2 == 12 && $10 ~ re {found=1} END {exit !found}' \
		/proc/net/netlink && fail "a netfilter socket is open"
	true
}

test_host_netns_gets_no_tables_without_allow() {
	local d=$LX_TMP/d6.json rc=0 out
	doc "$d" "$TENANT"
	out=$("$LX_BIN" reconcile --netns /proc/self/ns/net --desired "$d" --state-dir "$SD" 2>&1) || rc=$?
	expect_eq "$rc" 5 "exit code"
	expect_match "$out" 'nftables.*own network namespace' "message"
	nft list tables | grep -q 'inet linx' && fail "a table in the host netns"
	true
}

t nft_enforced_and_tenant_cannot_remove test_enforced_and_tenant_cannot_remove
t nft_put_replaces_atomically test_put_replaces_atomically
t nft_kill9_keeps_rules_and_successor_claims test_kill9_keeps_rules_and_successor_claims
t nft_forced_no_persist_fallback test_forced_no_persist_fallback
t nft_no_nftables_costs_nothing test_no_nftables_costs_nothing
t nft_host_netns_gets_no_tables_without_allow test_host_netns_gets_no_tables_without_allow
