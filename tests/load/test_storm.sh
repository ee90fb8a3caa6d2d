#!/bin/bash
# Netlink storm against one resident sidecar (SPEC.md "Lifecycle of the hook"
# step 6: debounce coalesces hints, ENOBUFS on the monitor means a full
# resync). The monitor gets a tiny receive buffer (LINX_SIDECAR_RCVBUF, the
# sidecar's test/tuning knob) so the storm overflows it; 100,000 foreign
# route changes hit the target's netns while one of OUR routes is deleted
# mid-storm. Asserts: the sidecar lives, overflows led to resyncs, our route
# is back and the document converges, rtnl passes are bounded by the
# debounce, CPU time is bounded. Prints the figures ("# ..." lines).
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
ID=storm-$$
PEER=lxs$$
RCVBUF=${STORM_RCVBUF:-4096}
CHANGES=${STORM_CHANGES:-100000}
BATCHES=${STORM_BATCHES:-8}
DEBOUNCE_MS=100
tpid= spid=

stop_all() {
	if [ -n "${spid:-}" ]; then kill "$spid" 2>/dev/null || true; fi
	if [ -n "${tpid:-}" ]; then kill -9 "$tpid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	ip link del "$PEER" 2>/dev/null || true
}
trap 'stop_all; lx_cleanup' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
in_ns() { nsenter -t "$tpid" -n "$@"; }
# utime + stime of a process, in clock ticks (fields 14 and 15 of stat;
# the command name in field 2 has no spaces here).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# rtnl passes so far, from the sidecar's own count in status (every pass of
# any subsystem; during the storm only rtnl runs: the resync interval is long)
passes() { "$LX_BIN" status "$ID" --state-dir "$SD" --json | jq -r .report.pass || echo 0; }
converged() { [ "$("$LX_BIN" status "$ID" --state-dir "$SD" --json | jq -r .converged)" = true ]; }
has_our_route() { in_ns ip route show 10.79.0.0/16 | grep -q "proto 76"; }
eventually() {
	local ms=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 20)); [ $i -le "$ms" ] || return 1; sleep 0.02
	done
}
alive() { [ -d "/proc/$spid" ] && [ "$(awk '/^State:/{print $2}' "/proc/$spid/status")" != Z ]; }

# ---------------------------------------------------------------- setup
start_target
cat >"$LX_TMP/d.json" <<JSON
{"network": {
  "links": [{"name": "lo", "up": true},
            {"name": "eth0", "kind": "veth", "up": true,
             "peer": {"name": "$PEER", "up": true}}],
  "addresses": ["eth0 10.78.0.2/24"],
  "routes": ["default via 10.78.0.1", "10.79.0.0/16 via 10.78.0.254"]},
 "sysctl": {"net.ipv4.ip_forward": 1},
 "options": {"interval_ms": 600000, "debounce_ms": $DEBOUNCE_MS}}
JSON
LINX_SIDECAR_RCVBUF=$RCVBUF "$LX_BIN" --pid "$tpid" --desired "$LX_TMP/d.json" \
	--state-dir "$SD" --id "$ID" 2>"$LX_TMP/sidecar.log" &
spid=$!
for _ in $(seq 300); do
	[ -S "$SD/$ID/control.sock" ] && break
	sleep 0.01
done

# The storm: BATCHES files of foreign-protocol /32 routes, each added then
# deleted (CHANGES changes in all), run back to back by one `ip -batch`
# each; our 10.79.0.0/16 is deleted while the middle batch runs.
per=$((CHANGES / BATCHES / 2))
for b in $(seq 1 "$BATCHES"); do
	for i in $(seq 0 $((per - 1))); do
		echo "route add 10.$((100 + b)).$((i / 250)).$((i % 250 + 1))/32 dev eth0 proto static"
	done
	for i in $(seq 0 $((per - 1))); do
		echo "route del 10.$((100 + b)).$((i / 250)).$((i % 250 + 1))/32 dev eth0 proto static"
	done
done >"$LX_TMP/all"
split -n l/"$BATCHES" -d "$LX_TMP/all" "$LX_TMP/batch."

storm() {
	local f b=0
	for f in "$LX_TMP"/batch.*; do
		b=$((b + 1))
		if [ "$b" = $((BATCHES / 2 + 1)) ]; then
			in_ns ip -batch "$f" &
			sleep 0.05
			in_ns ip route del 10.79.0.0/16
			wait $! || return 1
		else
			in_ns ip -batch "$f" || return 1
		fi
	done
}

STORM_OK=0 STORM_MS=0 P0=0 P1=0 C0=0 C1=0 ENOBUFS=0
if [ -S "$SD/$ID/control.sock" ] && eventually 2000 converged; then
	sleep 0.2 # let the initial burst of hints settle
	P0=$(passes) C0=$(cpu_ticks "$spid")
	t0=$(now_ms)
	storm && STORM_OK=1
	t1=$(now_ms)
	STORM_MS=$((t1 - t0))
	# the last pass may still be due (debounce) or running
	sleep $(awk "BEGIN{print ($DEBOUNCE_MS * 3) / 1000}")
	C1=$(cpu_ticks "$spid" || echo "$C0") P1=$(passes)
	ENOBUFS=$(cat "$SD/$ID"/events.log* 2>/dev/null |
		grep '"event":"resync_needed"' | grep -c ENOBUFS || true)
fi
HZ=$(getconf CLK_TCK)
CPU_MS=$(((C1 - C0) * 1000 / HZ))
PASSES=$((P1 - P0))
echo "# storm: $CHANGES route changes in $BATCHES batches, ${STORM_MS} ms wall, monitor rcvbuf $RCVBUF B"
echo "# storm: $PASSES passes (debounce ${DEBOUNCE_MS} ms), $ENOBUFS ENOBUFS resync events"
echo "# storm: sidecar CPU ${CPU_MS} ms (utime+stime) = $((STORM_MS ? CPU_MS * 100 / STORM_MS : 0))% of wall"

storm_ran() {
	[ -S "$SD/$ID/control.sock" ] || fail "sidecar did not become ready: $(cat "$LX_TMP/sidecar.log")"
	[ "$STORM_OK" = 1 ] || fail "ip -batch failed"
	[ "$STORM_MS" -gt 0 ] || fail "no storm"
}
sidecar_alive() { alive || fail "sidecar died: $(tail -5 "$LX_TMP/sidecar.log")"; }
enobufs_resynced() {
	[ "$ENOBUFS" -ge 1 ] || fail "no ENOBUFS resync_needed event in events.log"
	grep -h '"event":"pass.complete"' "$SD/$ID"/events.log* | grep -q '"trigger":"monitor"' ||
		fail "no monitor-triggered pass"
}
route_healed_and_converged() {
	eventually 2000 has_our_route || fail "10.79.0.0/16 not restored after the storm"
	eventually 2000 converged || fail "not converged after the storm"
	expect_match "$(in_ns ip -4 route show default)" "via 10\.78\.0\.1 dev eth0 proto 76" "default route"
	expect_match "$(in_ns ip -o -4 addr show dev eth0)" "10\.78\.0\.2/24" "address"
	# nothing foreign was touched, nothing of the storm is left
	expect_eq "$(in_ns ip -4 route show proto static | wc -l)" 0 "storm routes left"
}
passes_bounded_by_debounce() {
	local bound=$((STORM_MS / DEBOUNCE_MS + 10))
	[ "$PASSES" -ge 1 ] || fail "no pass during the storm"
	[ "$PASSES" -le "$bound" ] || fail "$PASSES passes in ${STORM_MS} ms (bound $bound)"
}
cpu_bounded() {
	[ $((CPU_MS * 2)) -lt "$STORM_MS" ] || fail "sidecar CPU ${CPU_MS} ms >= 50% of ${STORM_MS} ms"
}

[ -n "${STORM_KEEP:-}" ] && cp -r "$SD/$ID" "$STORM_KEEP"
t storm_ran storm_ran
t storm_sidecar_alive sidecar_alive
t storm_enobufs_resynced enobufs_resynced
t storm_route_healed_and_converged route_healed_and_converged
t storm_passes_bounded_by_debounce passes_bounded_by_debounce
t storm_cpu_bounded cpu_bounded
t storm_sidecar_alive_after sidecar_alive
