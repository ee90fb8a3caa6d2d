#!/bin/bash
# Idle footprint of a resident sidecar in its steady state: started by the
# hook, then one drift healed (its address deleted behind its back, put
# back on the monitor's hint) and one full resync pass (reconcile over the
# control socket), then idle past its trim; against bare_idle (a
# libmnl+jansson epoll loop holding the same document and waiting for the
# same events, which it is sent too) measured in the same run: PSS and private dirty memory from smaps_rollup, the
# median of ROUNDS (default 5) alone, then the totals with M (default
# 100) of each running at once; idle CPU over 3 s.
#
#   tests/bench/footprint.sh BIN      ROUNDS=5 M=100
set -u
BIN=${1:?linx-sidecar binary}
ROUNDS=${ROUNDS:-5}
M=${M:-100}
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
: >"$tmp/targets"
cleanup() {
	# residents end with their target (pidfd); bare loops too
	[ -s "$tmp/targets" ] && kill $(cat "$tmp/targets") 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A freshly built binary's page-cache pages are dirty until written back,
# and smaps counts them as the mapping's Private_Dirty: write them out.
sync
routes='10.124.0.1/32 via 10.123.0.2'
cat >"$tmp/desired.json" <<JSON
{"network": {"links": [{"name": "lo", "up": true}], "addresses": ["lo 10.123.0.1/24"],
 "routes": ["$routes"]}, "options": {"interval_ms": 60000}}
JSON

# new_target: a process in a new network namespace; its pid in TP.
new_target() {
	unshare -n sleep 3600 &
	TP=$!
	echo "$TP" >>"$tmp/targets"
	while [ "$(readlink /proc/$TP/ns/net 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.001; done
}

# resident ID [TARGET]: the hook on TARGET (default: a fresh one); the
# resident's pid in RP.
resident() {
	if [ -n "${2:-}" ]; then TP=$2; else new_target; fi
	printf '{"ociVersion":"1.0.2-dev","id":"%s","status":"creating","pid":%d,"bundle":"%s","annotations":{"io.linx.links":"[{\\"name\\":\\"lo\\",\\"up\\":true}]","io.linx.addresses":"lo 10.123.0.1/24","io.linx.routes":"%s","io.linx.options":"interval_ms=60000"}}' \
		"$1" "$TP" "$tmp" "$routes" >"$tmp/state-$1.json"
	"$BIN" hook createRuntime --state-dir "$tmp/sd" <"$tmp/state-$1.json" >/dev/null 2>"$tmp/hook.err" ||
		{ echo "footprint: hook failed: $(cat "$tmp/hook.err")" >&2; exit 1; }
	RP=$(cat "$tmp/sd/$1/pid")
}

# exercise ID TARGET: the heal and the resync pass the steady state comes
# after (not the state right after the hook, which has done neither).
exercise() {
	nsenter -t "$2" -n ip addr del 10.123.0.1/24 dev lo
	for _ in $(seq 300); do
		nsenter -t "$2" -n ip addr show lo | grep -q 10.123.0.1/24 && break
		sleep 0.01
	done
	nsenter -t "$2" -n ip addr show lo | grep -q 10.123.0.1/24 ||
		{ echo "footprint: $1 did not heal the drift" >&2; exit 1; }
	"$BIN" reconcile "$1" --state-dir "$tmp/sd" >/dev/null ||
		{ echo "footprint: $1: reconcile failed" >&2; exit 1; }
}

# The same drift, sent to a bare loop (which reads and drops it).
drift_bare() { nsenter -t "$1" -n ip addr del 10.123.0.1/24 dev lo 2>/dev/null; }

bare() { # [TARGET]
	if [ -n "${2:-}" ]; then TP=$2; else new_target; fi
	"$BENCH_BIN/bare_idle" "$TP" "$tmp/desired.json" &
	RP=$!
	# parsed and subscribed: its netns is the target's
	while [ "$(readlink /proc/$RP/ns/net 2>/dev/null)" != "$(readlink /proc/$TP/ns/net)" ]; do sleep 0.001; done
	# its subscription is made right after setns: give it that time
	sleep 0.05
	nsenter -t "$TP" -n ip addr add 10.123.0.1/24 dev lo 2>/dev/null
}

# mem PID: "PSS private_dirty private" in KiB
mem() { awk '/^Pss:/{p=$2} /^Private_Dirty:/{d=$2} /^Private_Clean:/{c=$2} END{print p, d, c + d}' "/proc/$1/smaps_rollup"; }

stop_all() { kill $(cat "$tmp/targets") 2>/dev/null; wait 2>/dev/null; : >"$tmp/targets"; rm -rf "$tmp/sd"; }

# The incumbent: `ip monitor` in the target's namespace, watching the
# same objects (it heals nothing: a lower bound for a watcher in C).
ipmon() {
	new_target
	nsenter -t "$TP" -n ip monitor link address route >/dev/null &
	RP=$!
	# nsenter has exec'd ip, and ip waits in recvmsg
	while [[ "$(readlink /proc/$RP/exe 2>/dev/null)" != */ip ]] ||
		! grep -q '^State:.*S' "/proc/$RP/status" 2>/dev/null; do sleep 0.01; done
	echo "$RP" >>"$tmp/targets"
	sleep 0.2
}

: >"$tmp/lx.pss"; : >"$tmp/lx.dirty"; : >"$tmp/bare.pss"; : >"$tmp/bare.dirty"; : >"$tmp/ipm.pss"; : >"$tmp/ipm.dirty"
for r in $(seq "$ROUNDS"); do
	resident "fp$$-$r"; exercise "fp$$-$r" "$TP"
	sleep 1.5 # idle: past its trim (a second after the last pass)
	set -- $(mem "$RP"); echo "$1" >>"$tmp/lx.pss"; echo "$2" >>"$tmp/lx.dirty"
	stop_all
	bare; drift_bare "$TP"; sleep 0.3
	set -- $(mem "$RP"); echo "$1" >>"$tmp/bare.pss"; echo "$2" >>"$tmp/bare.dirty"
	stop_all
	ipmon; drift_bare "$TP"; sleep 0.3
	set -- $(mem "$RP"); echo "$1" >>"$tmp/ipm.pss"; echo "$2" >>"$tmp/ipm.dirty"
	stop_all
done
kib() { set -- $(stats "$1"); printf '%6d KiB (%d-%d)' "$1" "$2" "$3"; MED=$1; }
echo "idle footprint, alone, median of $ROUNDS (min-max)"
printf '  %-38s PSS %s, private dirty ' "bare libmnl+jansson loop (reference)" "$(kib "$tmp/bare.pss")"
bpss=$(stats "$tmp/bare.pss" | cut -d' ' -f1); bd=$(stats "$tmp/bare.dirty" | cut -d' ' -f1)
kib "$tmp/bare.dirty"; echo
lpss=$(stats "$tmp/lx.pss" | cut -d' ' -f1); ld=$(stats "$tmp/lx.dirty" | cut -d' ' -f1)
printf '  %-38s PSS %s, private dirty ' "linx-sidecar resident (steady state)" "$(kib "$tmp/lx.pss")"
kib "$tmp/lx.dirty"; echo
printf '  %-38s PSS %s, private dirty ' "ip monitor link address route" "$(kib "$tmp/ipm.pss")"
ipss=$(stats "$tmp/ipm.pss" | cut -d' ' -f1)
kib "$tmp/ipm.dirty"; echo
echo "  resident PSS / ip monitor: $(ratio "$lpss" "$ipss")x (ip monitor watches; it neither holds a document nor heals)"

# Idle CPU of one resident over 3 s.
resident "fp$$-cpu"; sleep 0.3
# A document without nftables (or rules/neighbours) pays nothing for them:
# no nftables library mapped, no NETLINK_NETFILTER (12) socket open.
nfsock=0
for ino in $(find "/proc/$RP/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n'); do
	awk -v i="$ino" '$2 == 12 && $10 == i {f = 1} END {exit !f}' "/proc/$RP/net/netlink" && nfsock=$((nfsock + 1))
done
nflib=$(grep -c 'libnft' "/proc/$RP/maps")
if [ "$nfsock" = 0 ] && [ "$nflib" = 0 ]; then v=met; else v=MISSED; fi
echo "  document without nftables: $nflib nftables mappings, $nfsock netfilter sockets: $v"
printf '%-6s %s\n' "$v" "no nftables library or netfilter socket for a document without nftables ($nflib, $nfsock)" >>"$BENCH_SUMMARY"
t0=$(awk '{print $14 + $15}' "/proc/$RP/stat"); sleep 3; t1=$(awk '{print $14 + $15}' "/proc/$RP/stat")
echo "  idle CPU: $((t1 - t0)) clock ticks in 3 s (target 0)"
stop_all

# M at once: totals. M targets (made ten at a time: a namespace costs
# ~0.1 s here), M residents on them, measured, stopped; then M bare loops
# on the same targets.
for i in $(seq "$M"); do
	( new_target; echo "$TP" >>"$tmp/mtargets" ) &
	[ $((i % 10)) = 0 ] && wait
done
wait
cat "$tmp/mtargets" >>"$tmp/targets"
[ "$(wc -l <"$tmp/mtargets")" = "$M" ] || { echo "footprint: $M targets wanted" >&2; exit 1; }
total() { for p in $(cat "$1"); do mem "$p"; done | awk '{p += $1; d += $2; c += $3} END{print p, d, c}'; }
i=0
for t in $(cat "$tmp/mtargets"); do
	i=$((i + 1)); resident "fpm$$-$i" "$t"; exercise "fpm$$-$i" "$t"; echo "$RP" >>"$tmp/lx.pids"
done
sleep 1.5 # past the residents' trim of heap and stack
total "$tmp/lx.pids" >"$tmp/lx.tot"
# SIGKILL: measured, nothing to tear down (the targets live on for the
# bare loops)
kill -9 $(cat "$tmp/lx.pids")
for p in $(cat "$tmp/lx.pids"); do while [ -e "/proc/$p" ] && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ]; do sleep 0.01; done; done
for t in $(cat "$tmp/mtargets"); do bare "" "$t"; drift_bare "$t"; echo "$RP" >>"$tmp/bare.pids"; done
sleep 0.3
total "$tmp/bare.pids" >"$tmp/bare.tot"
stop_all
read -r lp ldt lpr <"$tmp/lx.tot"; read -r bp bdt bpr <"$tmp/bare.tot"
echo "$M at once, totals (per process):"
printf '  %-38s PSS %7d KiB (%d), private %7d KiB (%d), of it dirty %d KiB\n' "bare loops" "$bp" $((bp / M)) "$bpr" $((bpr / M)) "$bdt"
printf '  %-38s PSS %7d KiB (%d), private %7d KiB (%d), of it dirty %d KiB\n' "linx-sidecar residents" "$lp" $((lp / M)) "$lpr" $((lpr / M)) "$ldt"
target "idle resident PSS / bare loop" "$(ratio "$lpss" "$bpss")" le 1.3 "$lpss vs $bpss KiB"
target "idle resident private dirty / bare loop" "$(ratio "$ld" "$bd")" le 1.5 "$ld vs $bd KiB"
echo "$M residents: PSS $lp KiB, private $lpr KiB; $M bare loops: PSS $bp KiB, private $bpr KiB" >>"$BENCH_SUMMARY"
