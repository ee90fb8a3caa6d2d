#!/bin/bash
# Addresses at scale (issue 10 item 6): the no-op second pass over 3,250,
# 6,500 and 13,000 IPv4 addresses on one link, whole process (start, parse,
# observe, diff, prune ownership, state and report written). Each size gets a
# fresh namespace; the first reconcile creates the addresses, the second
# (timed, ROUNDS times) finds nothing to do. Every pass must be O(n log n):
# quadrupling n should cost about 4x (the kernel's dump is linear), never 16x.
#
#   tests/bench/addresses.sh BIN      ROUNDS=3 SIZES="3250 6500 13000"
set -eu
BIN=${1:?linx-sidecar binary}
ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-3250 6500 13000}
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
ns=lxba$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
first= last=
echo "addresses: no-op second pass, whole process, median of $ROUNDS rounds (min-max)"
for n in $SIZES; do
	python3 - "$n" "$tmp/desired-$n.json" <<'PY'
import sys, json
n, out = int(sys.argv[1]), sys.argv[2]
addrs = ["d0 10.%d.%d.%d/32" % (1 + i // 65536, (i // 256) % 256, i % 256) for i in range(n)]
json.dump({"network": {"addresses": addrs}}, open(out, "w"))
PY
	ip netns add "$ns"
	ip -n "$ns" link add d0 type veth peer name d1
	rm -rf "$tmp/state"
	: >"$tmp/noop-$n"
	"$BIN" reconcile --netns "/run/netns/$ns" --desired "$tmp/desired-$n.json" \
		--state-dir "$tmp/state" >/dev/null
	got=$(ip -n "$ns" -4 addr show dev d0 | grep -c 'inet ')
	[ "$got" = "$n" ] || { echo "addresses: expected $n, found $got" >&2; exit 1; }
	for _ in $(seq "$ROUNDS"); do
		spawn_time /dev/null /dev/null "$BIN" reconcile --netns "/run/netns/$ns" \
			--desired "$tmp/desired-$n.json" --state-dir "$tmp/state" >>"$tmp/noop-$n"
	done
	ip netns del "$ns"
	settle
	show "$n addresses, no-op pass" "$tmp/noop-$n"
	[ -n "$first" ] || { first=$MED; first_n=$n; }
	last=$MED last_n=$n
done
if [ "$first_n" != "$last_n" ]; then
	k=$(awk -v a="$last_n" -v b="$first_n" 'BEGIN{printf "%.0f", a / b}')
	# Linear would be k; quadratic k*k. Allow the log factor and noise.
	target "no-op pass, ${last_n} / ${first_n} addresses (linear ${k}x)" \
		"$(ratio "$last" "$first")" le "$(awk -v k="$k" 'BEGIN{print k * 1.5}')" \
		"$(ms "$last") vs $(ms "$first") ms"
fi
