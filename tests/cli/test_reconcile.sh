#!/bin/bash
# Single-shot commands against the real kernel, each test in fresh network
# namespaces: reconcile, plan, observe, ownership across runs, bad input.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
ns_json() { echo "$LX_TMP/$1.json"; }

write_full() {
	cat >"$1" <<JSON
{"network": {
  "links": [{"name": "lo", "up": true},
            {"name": "eth0", "kind": "veth", "up": true, "mtu": 1400,
             "peer": {"name": "$2", "up": true}}],
  "addresses": ["eth0 10.77.0.2/24",
                {"dev": "eth0", "address": "fd77::2/64", "nodad": true}],
  "routes": ["default via 10.77.0.1",
             {"dst": "10.78.0.0/16", "via": "10.77.0.254", "metric": 100},
             "fd78::/48 via fd77::1 dev eth0"]},
 "options": {"protocol": 76}}
JSON
}

write_small() {
	cat >"$1" <<JSON
{"network": {
  "links": [{"name": "lo", "up": true},
            {"name": "eth0", "kind": "veth", "up": true, "mtu": 1400,
             "peer": {"name": "$2", "up": true}}],
  "addresses": ["eth0 10.77.0.2/24"],
  "routes": ["default via 10.77.0.1"]}}
JSON
}

peer_name() { echo "lxp$$$RANDOM" | cut -c1-15; }

test_converges_then_noop() {
	local ns peer d out
	new_netns ns; peer=$(peer_name); d=$(ns_json full)
	write_full "$d" "$peer"
	local rc=0
	out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" --json) || rc=$?
	trap "ip link del $peer 2>/dev/null; lx_cleanup_netns" EXIT
	expect_eq "$rc" 0 "first reconcile exit"
	expect_eq "$(echo "$out" | jq -r .converged)" true converged
	ip -n "$ns" -4 addr show dev eth0 | grep -q "10.77.0.2/24" || fail "v4 address missing"
	ip -n "$ns" -6 addr show dev eth0 | grep -q "fd77::2/64" || fail "v6 address missing"
	ip -n "$ns" route show | grep -q "default via 10.77.0.1 dev eth0 proto 76" || fail "default route missing"
	ip -n "$ns" route show | grep -q "10.78.0.0/16 via 10.77.0.254 dev eth0 proto 76 metric 100" || fail "prefix route missing"
	ip -n "$ns" -6 route show | grep -q "fd78::/48 via fd77::1 dev eth0 proto 76" || fail "v6 route missing"
	expect_eq "$(ip -n "$ns" -o link show eth0 | grep -o 'mtu [0-9]*')" "mtu 1400" mtu
	ip link show "$peer" | grep -q "state UP" || fail "host peer not up"
}

test_second_pass_applies_nothing() {
	local ns peer d out
	new_netns ns; peer=$(peer_name); d=$(ns_json full2)
	write_full "$d" "$peer"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" >/dev/null
	local rc=0
	out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" --json) || rc=$?
	ip link del "$peer" 2>/dev/null
	expect_eq "$rc" 0 "second reconcile exit"
	expect_eq "$(echo "$out" | jq '[.subsystems[].applied | length] | add')" 0 "ops applied by 2nd pass"
}

test_shrink_removes_only_ours() {
	local ns peer d s out
	new_netns ns; peer=$(peer_name); d=$(ns_json full3); s=$(ns_json small3)
	write_full "$d" "$peer"; write_small "$s" "$peer"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" >/dev/null || fail "first pass"
	# Foreign state that merely appeared: must survive.
	ip -n "$ns" addr add 10.77.0.99/24 dev eth0
	ip -n "$ns" route add 10.99.0.0/16 via 10.77.0.1 proto static
	local rc=0
	out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$s" --state-dir "$SD" --json) || rc=$?
	trap "ip link del $peer 2>/dev/null; lx_cleanup_netns" EXIT
	expect_eq "$rc" 0 "shrink exit"
	ip -n "$ns" addr show dev eth0 | grep -q "10.77.0.99/24" || fail "foreign address removed"
	ip -n "$ns" route show | grep -q "10.99.0.0/16 via 10.77.0.1 dev eth0 proto static" || fail "static route removed"
	ip -n "$ns" addr show dev eth0 | grep -q "fd77::2/64" && fail "owned v6 address kept"
	ip -n "$ns" route show | grep -q "10.78.0.0/16" && fail "owned route kept"
	ip -n "$ns" -6 route show | grep -q "fd78::/48" && fail "owned v6 route kept"
	ip -n "$ns" route show | grep -q "default via 10.77.0.1" || fail "desired default route removed"
	expect_eq "$(echo "$out" | jq '[.subsystems.rtnl.applied[] | select(.op == "delete")] | length')" 3 "deletes"
}

test_plan_applies_nothing() {
	local ns peer d out
	new_netns ns; peer=$(peer_name); d=$(ns_json plan)
	write_full "$d" "$peer"
	rc=0; out=$("$LX_BIN" plan --netns /run/netns/$ns --desired "$d" --state-dir "$SD") || rc=$?
	expect_eq "$rc" 0 "plan exit"
	echo "$out" | grep -q "create route 10.78.0.0/16 via 10.77.0.254" || fail "plan does not show the route: $out"
	ip -n "$ns" link show eth0 >/dev/null 2>&1 && fail "plan created eth0"
	ip link show "$peer" >/dev/null 2>&1 && fail "plan created the host peer"
	true
}

test_observe_prints_state() {
	local ns out
	new_netns ns
	ip -n "$ns" route add 10.5.0.0/16 dev lo proto static
	rc=0; out=$("$LX_BIN" observe --netns /run/netns/$ns --json) || rc=$?
	expect_eq "$rc" 0 "observe exit"
	echo "$out" | jq -e '.routes | map(select(startswith("10.5.0.0/16"))) | length == 1' >/dev/null || fail "observe: $out"
}

# observe --desired FILE -> reconcile adopts a container made by hand: its
# veth with the peer on the host, the document's sysctl; a second pass
# applies nothing, and observe prints the links in the link grammar (the
# peer kept ip's 1500: a created one would take eth0's 1400, so peer-mtu).
test_observe_desired_adopts_a_container() {
	local ns peer q doc rc out
	new_netns ns; peer=$(peer_name); q=$(ns_json q); doc=$(ns_json adopt)
	ip link add "$peer" type veth peer name eth0 netns "$ns"
	trap "ip link del $peer 2>/dev/null; lx_cleanup_netns" EXIT
	ip link set "$peer" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 mtu 1400 txqlen 600 up
	ip -n "$ns" addr add 10.79.0.2/24 dev eth0
	ip -n "$ns" route add default via 10.79.0.1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	echo '{"sysctl": {"net.ipv4.ip_forward": 0}}' >"$q"
	rc=0; "$LX_BIN" observe --netns /run/netns/$ns --desired "$q" >"$doc" || rc=$?
	expect_eq "$rc" 0 "observe --desired exit"
	expect_eq "$(jq -c '.network.links[0]' "$doc")" '{"name":"lo","up":true}' "lo exported as its state"
	expect_eq "$(jq -r '.network.links[1] | [.name, .kind, .peer.name, .mtu, .txqlen, .up] | join(" ")' "$doc")" "eth0 veth $peer 1400 600 true" "veth exported with its host peer"
	expect_eq "$(jq -r '.sysctl["net.ipv4.ip_forward"]' "$doc")" 1 "sysctl's current value"
	expect_eq "$(jq -r .options.adopt "$doc")" true adopt
	rc=0; out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$doc" --state-dir "$SD" --json) || rc=$?
	expect_eq "$rc" 0 "adopting reconcile exit: $out"
	rc=0; out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$doc" --state-dir "$SD" --json) || rc=$?
	expect_eq "$rc" 0 "second reconcile exit"
	expect_eq "$(echo "$out" | jq '[.subsystems[].applied | length] | add')" 0 "ops applied by 2nd pass"
	ip -n "$ns" route show | grep -q "10.79.0.0/24 dev eth0 proto kernel" || fail "kernel route touched"
	rc=0; out=$("$LX_BIN" observe --netns /run/netns/$ns --json) || rc=$?
	expect_eq "$rc" 0 "observe exit"
	echo "$out" | jq -e --arg p "$peer" '.links | map(select(startswith("eth0 veth peer \($p) mtu 1400 address ") and endswith(" txqlen 600 up peer-mtu 1500"))) | length == 1' >/dev/null || fail "observe links: $out"
}

test_malformed_document_is_exit_3_and_changes_nothing() {
	local ns d err before after
	new_netns ns; d=$(ns_json bad)
	echo '{"network": {"addresses": ["lo 10.0.0.300/24"]}, "sysctl": {}}' >"$d"
	before=$(ip -n "$ns" addr; ip -n "$ns" route)
	rc=0; err=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" 2>&1 >/dev/null) || rc=$?
	expect_eq "$rc" 3 "exit code"
	expect_match "$err" '10\.0\.0\.300' "message names the value"
	expect_match "$err" 'addresses' "message names the field"
	after=$(ip -n "$ns" addr; ip -n "$ns" route)
	expect_eq "$after" "$before" "system unchanged"
	echo '{"network": {}, "bogus": 1}' >"$d"
	rc=0; err=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" 2>&1 >/dev/null) || rc=$?
	expect_eq "$rc" 3 "unknown member exit"
	expect_match "$err" 'bogus' "names the unknown member"
	echo '{"network": ' >"$d"
	rc=0; "$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" 2>/dev/null || rc=$?
	expect_eq "$rc" 3 "truncated JSON exit"
}

test_missing_target_is_exit_4() {
	local d=$LX_TMP/empty.json
	echo '{}' >"$d"
	rc=0; "$LX_BIN" reconcile --pid 999999999 --desired "$d" --state-dir "$SD" 2>/dev/null || rc=$?
	expect_eq "$rc" 4 "missing pid"
	rc=0; "$LX_BIN" reconcile --netns /run/netns/nope-$$ --desired "$d" --state-dir "$SD" 2>/dev/null || rc=$?
	expect_eq "$rc" 4 "missing netns"
	rc=0; "$LX_BIN" reconcile --netns /run/netns/x 2>/dev/null || rc=$?
	expect_eq "$rc" 2 "usage: missing --desired"
	rc=0; "$LX_BIN" frobnicate 2>/dev/null || rc=$?
	expect_eq "$rc" 2 "usage: unknown command"
}

test_options_after_positionals() {
	local ns d
	new_netns ns; d=$(ns_json order)
	echo '{"network": {"links": [{"name": "lo", "up": true}]}}' >"$d"
	rc=0; "$LX_BIN" --state-dir "$SD" reconcile --desired "$d" --netns /run/netns/$ns >/dev/null || rc=$?
	expect_eq "$rc" 0 "options before the command"
}

test_failed_route_is_exit_1_and_reported() {
	local ns d out
	new_netns ns; d=$(ns_json unreach)
	echo '{"network": {"links": [{"name": "lo", "up": true}], "routes": ["10.1.0.0/16 via 192.0.2.1", "10.2.0.0/16 via 192.0.2.1"]}}' >"$d"
	rc=0; out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" --json) || rc=$?
	expect_eq "$rc" 1 "exit"
	expect_eq "$(echo "$out" | jq -r '.subsystems.rtnl.failed[0].error' | grep -c 'ENETUNREACH')" 1 "error names the errno"
	# fail-fast across stages: a missing link leaves its addresses and
	# routes pending (ops within one batched stage all reach the kernel)
	echo '{"network": {"links": [{"name": "eth9", "up": true}], "addresses": ["eth9 10.9.0.1/24"], "routes": ["10.3.0.0/16 dev eth9"]}}' >"$d"
	rc=0; out=$("$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD" --json) || rc=$?
	expect_eq "$rc" 1 "exit with a missing link"
	expect_match "$(echo "$out" | jq -r '.subsystems.rtnl.failed[0].error')" 'ENODEV' "missing link error"
	expect_eq "$(echo "$out" | jq '.subsystems.rtnl.pending | length')" 2 "later stages pending"
}

# state.json is rewritten (serial + 1) only when what it holds changes: an
# unchanged document is told by the digest of its bytes, else by its
# canonical text, so the same document spelled differently (whitespace,
# object forms) is no change either.
test_state_json_rewritten_only_on_change() {
	local ns d f serial
	new_netns ns; d=$(ns_json sj)
	echo '{"network": {"links": [{"name": "lo", "up": true}], "routes": ["10.57.0.0/16 dev lo", "10.58.0.0/16 dev lo"]}}' >"$d"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/sj" >/dev/null
	f=$(ls "$SD"/sj/*/state.json)
	serial() { jq -r .serial "$f"; }
	expect_eq "$(serial)" 1 "first pass writes"
	expect_match "$(jq -r .desired_digest "$f")" '^[0-9a-f]{16}$' "digest of the document read"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/sj" >/dev/null
	expect_eq "$(serial)" 1 "a no-op pass does not write"
	# without the digest (an older state.json) the texts are compared
	jq -c 'del(.desired_digest)' "$f" >"$f.new" && mv "$f.new" "$f"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/sj" >/dev/null
	expect_eq "$(serial)" 1 "a no-op pass without a digest does not write"
	printf '{ "network" : {"routes": [ {"dst": "10.57.0.0/16", "dev": "lo"},\n "10.58.0.0/16  dev lo"],\n "links": [{"up": true, "name": "lo"}]}}' >"$d"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/sj" >/dev/null
	expect_eq "$(serial)" 1 "the same document spelled otherwise"
	echo '{"network": {"links": [{"name": "lo", "up": true}], "routes": ["10.57.0.0/16 dev lo"]}}' >"$d"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/sj" >/dev/null
	expect_eq "$(serial)" 2 "a changed document writes"
	expect_eq "$(jq -c .desired.network.routes "$f")" '["10.57.0.0/16 dev lo"]' "stored document"
	jq -e '.last_applied and .lineage and .target.netns_cookie' "$f" >/dev/null || fail "members: $(cat "$f")"
}

# --json writes the report once, to report.json and stdout alike; a closed
# stdout does not keep report.json from being written.
test_json_report_is_report_json() {
	local ns d out rc f
	new_netns ns; d=$(ns_json jr)
	echo '{"network": {"links": [{"name": "lo", "up": true}], "addresses": ["lo 10.55.0.1/32"], "routes": ["10.56.0.0/16 dev lo"]}}' >"$d"
	"$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/jr" --json >"$LX_TMP/jr.out"
	f=$(ls "$SD"/jr/*/report.json)
	cmp -s "$LX_TMP/jr.out" "$f" || fail "stdout and report.json differ"
	expect_eq "$(jq -r '.subsystems.rtnl.applied | map(.item) | join(",")' "$f")" "lo 10.55.0.1/32,10.56.0.0/16 dev lo proto 76" "applied items"
	expect_eq "$(jq -r '[.id, .pass, .converged, (.last_applied | type)] | join(" ")' "$f")" "$(basename "$(dirname "$f")") 1 true object" "members"
	rm -f "$f"
	rc=0; "$LX_BIN" reconcile --netns /run/netns/$ns --desired "$d" --state-dir "$SD/jr" --json >&- 2>/dev/null || rc=$?
	expect_eq "$rc" 0 "exit with stdout closed"
	expect_eq "$(jq -r .converged "$f")" true "report.json written with stdout closed"
}

t converges_then_noop test_converges_then_noop
t state_json_rewritten_only_on_change test_state_json_rewritten_only_on_change
t json_report_is_report_json test_json_report_is_report_json
t second_pass_applies_nothing test_second_pass_applies_nothing
t shrink_removes_only_ours test_shrink_removes_only_ours
t plan_applies_nothing test_plan_applies_nothing
t observe_prints_state test_observe_prints_state
t observe_desired_adopts_a_container test_observe_desired_adopts_a_container
t malformed_document_is_exit_3_and_changes_nothing test_malformed_document_is_exit_3_and_changes_nothing
t missing_target_is_exit_4 test_missing_target_is_exit_4
t options_after_positionals test_options_after_positionals
t failed_route_is_exit_1_and_reported test_failed_route_is_exit_1_and_reported
