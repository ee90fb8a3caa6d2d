#!/bin/bash
# 50 runc containers started at once, each with the linx-sidecar
# createRuntime + poststop hooks (SPEC.md "Lifecycle of the hook"): its own
# veth peer, addresses, a default route and a sysctl from annotations, one
# --state-dir for the run. Asserts every container converged (status and
# its netns), reports `runc run -d` latency min/median/p95/max and the wall
# time; then kills them all and asserts nothing of ours is left: no sidecar
# process, no state dir entry, no host veth peer, no process in a
# container's netns. Figures are "# ..." lines.
. "$(dirname "$0")/../e2e/lib.sh"

N=${LOAD_N:-50}
TAG=$(printf %04x $(($$ & 0xffff)))
SD=$LX_TMP/state
ids=() peers=() bundles=()

if ! e2e_have_bin || ! command -v runc >/dev/null; then
	echo "skip runc50: no linx-sidecar binary at $LX_BIN or no runc"
	exit 0
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --------------------------------------------------------------- bundles
T_SETUP=$SECONDS
# One template (rootfs, hooks), then per container its annotations.
e2e_bundle "$LX_TMP/template" || { echo "not ok runc50_setup: no bundle"; exit 0; }
e2e_hooks "$LX_TMP/template" "$LX_BIN" linx-sidecar --state-dir "$SD"
for i in $(seq 1 "$N"); do
	id=lxl-$TAG-$i peer=lxl${TAG}p$i b=$LX_TMP/b-$i
	ids+=("$id") peers+=("$peer") bundles+=("$b")
	mkdir -p "$b"
	jq --arg peer "$peer" --arg net "10.214.$i" '
		.annotations["io.linx.links"] = ([{name: "lo", up: true},
			{name: "eth0", kind: "veth", up: true, peer: {name: $peer, up: true}}] | tojson)
		| .annotations["io.linx.addresses"] = "eth0 \($net).2/24"
		| .annotations["io.linx.routes"] = "default via \($net).1"
		| .annotations["io.linx.sysctl"] = "net.ipv4.ip_forward=1"' \
		"$LX_TMP/template/config.json" >"$b/config.json"
	E2E_CONTAINERS+=("runc $id")
	E2E_HOSTIFS+=("$peer")
done

# ---------------------------------------------------------------- start
T_START=$SECONDS
# Every `runc run -d` in the background, stdio on files; each job records
# "rc ms" of its own run.
t0=$(now_ms)
for i in $(seq 0 $((N - 1))); do
	(
		s=$(date +%s%N)
		runc run -d --bundle "${bundles[$i]}" "${ids[$i]}" \
			</dev/null >"${bundles[$i]}/run.out" 2>"${bundles[$i]}/run.err"
		rc=$?
		echo "$rc $((($(date +%s%N) - s) / 1000000))" >"${bundles[$i]}/result"
	) &
done
wait
START_MS=$(($(now_ms) - t0))

sort -n <(for b in "${bundles[@]}"; do awk '{print $2}' "$b/result"; done) >"$LX_TMP/lat"
n=$(wc -l <"$LX_TMP/lat")
pct() { sed -n "$(((n * $1 + 99) / 100))p" "$LX_TMP/lat"; }
echo "# runc50: $N containers started concurrently in ${START_MS} ms wall"
echo "# runc50: runc run -d latency ms: min $(head -1 "$LX_TMP/lat") median $(pct 50) p95 $(pct 95) max $(tail -1 "$LX_TMP/lat")"

in_ctr() { nsenter -t "$1" -n "${@:2}"; }

all_started() {
	local i bad=0
	for i in $(seq 0 $((N - 1))); do
		read -r rc _ <"${bundles[$i]}/result"
		[ "$rc" = 0 ] && continue
		echo "${ids[$i]}: rc $rc: $(cat "${bundles[$i]}/run.err")" >&2
		bad=$((bad + 1))
	done
	[ "$bad" = 0 ] || fail "$bad of $N runc run -d failed"
}

all_converged() {
	local id bad=0 c
	for id in "${ids[@]}"; do
		c=$("$LX_BIN" status "$id" --state-dir "$SD" --json | jq -r .converged) || c=error
		[ "$c" = true ] && continue
		echo "$id: converged=$c" >&2
		bad=$((bad + 1))
	done
	[ "$bad" = 0 ] || fail "$bad of $N not converged"
}

# Every container's netns, from outside: address, default route with our
# protocol, the sysctl, lo and eth0 up; its host peer up.
all_netns_converged() {
	local i pid net
	for i in $(seq 0 $((N - 1))); do
		net=10.214.$((i + 1))
		pid=$(e2e_init_pid runc "${ids[$i]}")
		[ "${pid:-0}" -gt 0 ] || fail "${ids[$i]}: no init pid"
		expect_match "$(in_ctr "$pid" ip -o -4 addr show dev eth0)" "inet $net\.2/24" "${ids[$i]} address"
		expect_match "$(in_ctr "$pid" ip -4 route show default)" "default via $net\.1 dev eth0 proto 76" "${ids[$i]} default route"
		expect_eq "$(in_ctr "$pid" cat /proc/sys/net/ipv4/ip_forward)" 1 "${ids[$i]} ip_forward"
		expect_match "$(in_ctr "$pid" ip -o link show dev lo)" "[<,]UP[,>]" "${ids[$i]} lo up"
		expect_match "$(ip -o link show dev "${peers[$i]}")" "[<,]UP[,>]" "${peers[$i]} up"
	done
}

one_sidecar_each() {
	local id p
	for id in "${ids[@]}"; do
		p=$(cat "$SD/$id/pid") || fail "$id: no pid file"
		[ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] ||
			fail "$id: sidecar $p not running"
	done
	expect_eq "$(e2e_sidecar_pids "$SD" | wc -l)" "$N" "resident sidecars of this run"
}

T_CHECK=$SECONDS
t runc50_all_started all_started
t runc50_all_converged all_converged
t runc50_all_netns_converged all_netns_converged
t runc50_one_sidecar_each one_sidecar_each

# ------------------------------------------------------------- teardown
T_STOP=$SECONDS
# What to look for afterwards: the sidecars' pids (from their pid files)
# and the containers' netns inodes.
spids=() nsinos=()
for i in $(seq 0 $((N - 1))); do
	[ -s "$SD/${ids[$i]}/pid" ] && spids+=("$(cat "$SD/${ids[$i]}/pid")")
	pid=$(e2e_init_pid runc "${ids[$i]}" 2>/dev/null) &&
		nsinos+=("$(readlink "/proc/$pid/ns/net" 2>/dev/null)")
done
t0=$(now_ms)
for id in "${ids[@]}"; do runc kill "$id" KILL 2>/dev/null & done
wait
KILL_MS=$(($(now_ms) - t0))
for p in "${spids[@]}"; do wait_gone "$p" 5000; done
GONE_MS=$(($(now_ms) - t0))
for id in "${ids[@]}"; do
	(runc delete "$id" >/dev/null 2>"$LX_TMP/delete-$id.err"; echo $? >"$LX_TMP/delete-$id.rc") &
done
wait
STOP_MS=$(($(now_ms) - t0))
echo "# runc50: 50 x runc kill KILL returned after ${KILL_MS} ms; every sidecar gone after ${GONE_MS} ms; all deleted after ${STOP_MS} ms"

no_sidecar_left() {
	local p left=()
	for p in "${spids[@]}"; do wait_gone "$p" 1 || left+=("$p"); done
	[ ${#left[@]} = 0 ] || fail "sidecars still running: ${left[*]}"
	[ ${#spids[@]} = "$N" ] || fail "only ${#spids[@]} pid files were found"
	e2e_no_sidecar "$SD" || fail "sidecars of this run: $(e2e_sidecar_pids "$SD")"
}
no_state_left() {
	local left
	left=$(ls -A "$SD" 2>/dev/null | tr '\n' ' ')
	[ -z "$left" ] || fail "state dir entries left: $left"
}
no_host_peer_left() {
	local p left=()
	for p in "${peers[@]}"; do
		e2e_until 2000 e2e_no_link "$p" || left+=("$p")
	done
	[ ${#left[@]} = 0 ] || fail "host peers left: ${left[*]}"
}
no_container_left() {
	local id p ino left=0
	for id in "${ids[@]}"; do
		! runc state "$id" >/dev/null 2>&1 || fail "container $id still exists"
	done
	[ ${#nsinos[@]} = "$N" ] || fail "only ${#nsinos[@]} netns recorded"
	# no process (a sidecar, a hook, a container) still holds one of the
	# containers' namespaces
	for p in /proc/[0-9]*; do
		ino=$(readlink "$p/ns/net" 2>/dev/null) || continue
		for i in "${nsinos[@]}"; do
			[ "$ino" = "$i" ] && { echo "${p#/proc/} in $ino" >&2; left=$((left + 1)); }
		done
	done
	[ "$left" = 0 ] || fail "$left processes still in a container netns"
}
deletes_succeeded() {
	local id
	for id in "${ids[@]}"; do
		[ "$(cat "$LX_TMP/delete-$id.rc")" = 0 ] ||
			fail "runc delete $id: $(cat "$LX_TMP/delete-$id.err")"
	done
}

T_AFTER=$SECONDS
t runc50_deletes_succeeded deletes_succeeded
t runc50_no_sidecar_left no_sidecar_left
t runc50_no_state_left no_state_left
t runc50_no_host_peer_left no_host_peer_left
t runc50_no_container_left no_container_left
echo "# runc50: phases s: bundles $((T_START - T_SETUP)), start $((T_CHECK - T_START)), checks $((T_STOP - T_CHECK)), kill+delete $((T_AFTER - T_STOP)), leftover checks $((SECONDS - T_AFTER))"
