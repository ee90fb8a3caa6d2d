#!/bin/bash
# nftables figures (issue 13 item 8), same run, medians:
#   1. the hook (linx-sidecar hook createRuntime until it returns) on a
#      process in a fresh netns: "lo up" alone, vs "lo up" plus a 20-rule
#      io.linx.nftables body and --nft-policy (the compile child, both
#      tables in one transaction);
#   2. a no-op pass of a resident sidecar holding 1,000 rules: the genid
#      path (nothing changed: one GETGEN, no listing) vs a full listing of
#      the same tables (the genid moved elsewhere in the ruleset first, so
#      the pass lists both tables, finds them as they were, plans nothing).
#      The time is the nftables subsystem's part of the pass (observe to
#      the end of apply), from the report (state.pass_us, the sidecar's own
#      clock; state.listed says which path the pass took).
#   tests/bench/nft.sh [LX_BIN] [ROUNDS]
set -u
LX_BIN=$(realpath "${1:-build/linx-sidecar}")
N=${2:-9}
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/lx-bench-nft.XXXXXX)
NS=lxbnft$$
trap 'ip netns del $NS 2>/dev/null; [ -n "${SPID:-}" ] && kill $SPID 2>/dev/null; [ -n "${TPID:-}" ] && kill $TPID 2>/dev/null; rm -rf "$TMP"' EXIT

cat >"$TMP/policy.nft" <<'EOF'
chain out { type filter hook output priority -10; ip daddr 169.254.169.254 drop; }
EOF
body20=$(for i in $(seq 20); do printf 'tcp dport %d drop; ' $((9000 + i)); done)
BODY20="chain egress { type filter hook output priority 0; policy accept; $body20}"

hook_once() { # WITH_NFT(0|1): prints the hook's time in us
	local t0 rc spid state sleeper args=()
	ip netns add "$NS" || return 1
	ip netns exec "$NS" sleep 600 &
	sleeper=$!
	while [ "$(readlink /proc/$sleeper/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.001; done
	if [ "$1" = 1 ]; then
		state=$(jq -cn --arg pid "$sleeper" --arg b "$TMP" --arg nft "$BODY20" '{
			ociVersion: "1.0.2", id: "lxbnft", status: "creating", pid: ($pid | tonumber),
			bundle: $b, annotations: {"io.linx.links": "lo up", "io.linx.nftables": $nft}}')
		args=(--nft-policy "$TMP/policy.nft")
	else
		state=$(jq -cn --arg pid "$sleeper" --arg b "$TMP" '{
			ociVersion: "1.0.2", id: "lxbnft", status: "creating", pid: ($pid | tonumber),
			bundle: $b, annotations: {"io.linx.links": "lo up"}}')
	fi
	echo "$state" >"$TMP/state.json"
	t0=$(spawn_time "$TMP/state.json" /dev/null "$LX_BIN" hook createRuntime \
		--state-dir "$TMP/sd" "${args[@]}" 2>"$TMP/hook.err")
	rc=$?
	[ $rc = 0 ] || { echo "hook exit $rc: $(cat "$TMP/hook.err")" >&2; kill $sleeper; ip netns del "$NS"; return 1; }
	spid=$(cat "$TMP/sd/lxbnft/pid" 2>/dev/null)
	if [ "$1" = 1 ]; then
		ip netns exec "$NS" nft list table inet linx-policy >/dev/null 2>&1 ||
			{ echo "no policy table after the hook" >&2; return 1; }
	fi
	kill "$sleeper"; wait "$sleeper" 2>/dev/null
	if [ -n "$spid" ]; then
		local i=0
		while [ -d "/proc/$spid" ] && [ "$(awk '/^State:/{print $2}' /proc/$spid/status 2>/dev/null)" != Z ] && [ $i -lt 200 ]; do
			sleep 0.01; i=$((i + 1))
		done
	fi
	ip netns del "$NS"
	rm -rf "$TMP/sd"
	settle
	echo "$t0"
}

if [ -z "${NFT_BENCH_SKIP_HOOK:-}" ]; then
: >"$TMP/plain.times"
: >"$TMP/nft.times"
hook_once 0 >/dev/null && hook_once 1 >/dev/null || exit 1 # warm caches
for _ in $(seq "$N"); do
	hook_once 0 >>"$TMP/plain.times" || exit 1
	hook_once 1 >>"$TMP/nft.times" || exit 1
done
echo "hook (lo up), without and with nftables (20-rule body + --nft-policy):"
show "hook, no nftables" "$TMP/plain.times"; plain=$MED
show "hook, 20 rules + admin policy" "$TMP/nft.times"; withnft=$MED
echo "  nftables adds $(ms $((withnft - plain))) ms to the hook ($(ratio "$withnft" "$plain")x)"
fi

# --- no-op passes with 1,000 rules
unshare -n sleep 600 &
TPID=$!
while [ "$(readlink /proc/$TPID/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.001; done
body=$(for i in $(seq 1000); do printf 'ip daddr 10.%d.%d.1 tcp dport %d drop; ' $((i / 250)) $((i % 250)) $((1000 + i)); done)
jq -n --arg nft "chain egress { type filter hook output priority 0; $body}" \
	'{nftables: $nft, options: {interval_ms: 0, monitor: false}}' >"$TMP/d1000.json"
"$LX_BIN" --pid "$TPID" --desired "$TMP/d1000.json" --state-dir "$TMP/sd" --id lxbnft1k \
	--nft-policy "$TMP/policy.nft" 2>"$TMP/sidecar.log" &
SPID=$!
for _ in $(seq 1000); do [ -f "$TMP/sd/lxbnft1k/report.json" ] && [ -S "$TMP/sd/lxbnft1k/control.sock" ] && break; sleep 0.01; done
rules=$(nsenter -t "$TPID" -n nft list table inet linx | grep -c 'tcp dport')
[ "$rules" = 1000 ] || { echo "expected 1000 rules, found $rules: $(cat "$TMP/sidecar.log")" >&2; exit 1; }
pass_us() { # LISTED: one manual pass; the nftables part's time from the report
	"$LX_BIN" reconcile lxbnft1k --state-dir "$TMP/sd" --json >/dev/null 2>&1 ||
		{ echo "reconcile lxbnft1k failed" >&2; exit 1; }
	jq -e --argjson l "$1" '.subsystems.nftables.state.listed == $l' "$TMP/sd/lxbnft1k/report.json" >/dev/null ||
		{ echo "pass did not take the expected path: $(jq -c "[.pass, .trigger, .subsystems.nftables]" "$TMP/sd/lxbnft1k/report.json")" >&2; tail -5 "$TMP/sd/lxbnft1k/events.log" >&2; exit 1; }
	jq -r '.subsystems.nftables.state.pass_us' "$TMP/sd/lxbnft1k/report.json"
}
: >"$TMP/genid.times"
: >"$TMP/list.times"
for i in $(seq $((N * 2))); do
	pass_us false >>"$TMP/genid.times"
	nsenter -t "$TPID" -n nft add table ip other$i # moves the genid
	pass_us true >>"$TMP/list.times"
done
jq -e '.subsystems.nftables.converged and (.subsystems.nftables.applied | length) == 0' \
	"$TMP/sd/lxbnft1k/report.json" >/dev/null || { echo "listing pass was not a no-op" >&2; exit 1; }
echo "no-op pass of a resident sidecar with 1,000 rules (nftables part, state.pass_us):"
show "genid unchanged (no listing)" "$TMP/genid.times"; g=$MED
show "full listing of both tables" "$TMP/list.times"; l=$MED
echo "  the genid path is $(ratio "$l" "$g")x cheaper than the listing"
target "nft no-op: full listing / genid path (1,000 rules)" "$(ratio "$l" "$g")" ge 2 "$(ms "$l") vs $(ms "$g") ms"
