#!/bin/bash
# Two podman containers on one host bridge, networked only by compact
# annotations (what podman's bridge network would otherwise do): each veth's
# host end enslaved to the bridge under --allow-master, both ends up, so the
# containers reach each other and the bridge's address. `podman rm -f` then
# leaves no host peer, no sidecar and no state dir behind.
. "$(dirname "$0")/lib.sh"

TESTS=(podman_bridge_two_containers_talk)
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi

# A /24 under 10.217/16 that no host route covers yet: sets NET (10.217.N).
free_net() {
	for _ in $(seq 20); do
		NET=10.217.$((RANDOM % 250 + 1))
		ip -4 route show to match "$NET.1" | grep -qv '^default' || return 0
	done
	return 1
}

# run_pod NAME HOSTIF ADDR: one container on bridge $BR, hooks dir $H.
run_pod() {
	local name=$1 hostif=$2 addr=$3
	E2E_CONTAINERS+=("podman $name")
	e2e_track_if "$hostif"
	e2e_podman run -d --name "$name" --hooks-dir "$H" --network none \
		--annotation "io.linx.links=lo up; eth0 veth peer $hostif master $BR up" \
		--annotation "io.linx.addresses=eth0 $addr/24" \
		--annotation "io.linx.routes=default via $NET.1" \
		"$E2E_IMAGE" sleep 3600 >/dev/null || fail "podman run $name failed"
}

# The host end: enslaved to $BR and up (operstate UP: the container end is up too).
host_peer_ok() {
	local j
	j=$(ip -j link show dev "$1") || fail "no host peer $1"
	expect_eq "$(jq -r '.[0].master' <<<"$j")" "$BR" "$1 master"
	expect_eq "$(jq -r '.[0].operstate' <<<"$j")" UP "$1 operstate"
}

pings() { # NAME DST
	e2e_podman exec "$1" ping -c1 -W2 "$2" >/dev/null || fail "$1 cannot ping $2"
}

podman_bridge_two_containers_talk() {
	local short a b ha hb ida idb t0 t1
	short=$(e2e_short)
	BR=lxbr$short a=lxe-a$short b=lxe-b$short ha=lxa$short hb=lxb$short
	SD=$LX_TMP/sd-$short H=$LX_TMP/hooks-$short
	free_net || fail "no free 10.217.N.0/24 on this host"
	e2e_podman_setup || fail "podman setup"
	e2e_track_if "$BR"
	ip link add "$BR" type bridge || fail "ip link add $BR type bridge"
	ip addr add "$NET.1/24" dev "$BR" && ip link set "$BR" up || fail "bridge $BR setup"
	e2e_hooks_dir "$H" "$(dirname "$LX_BIN")" --state-dir "$SD" --allow-master "$BR" ||
		fail "hooks dir"
	e2e_mark t0
	run_pod "$a" "$ha" "$NET.2"
	run_pod "$b" "$hb" "$NET.3"
	e2e_mark t1
	echo "# two podman run -d on bridge $BR: $((t1 - t0)) ms"
	ida=$(e2e_podman inspect -f '{{.Id}}' "$a")
	idb=$(e2e_podman inspect -f '{{.Id}}' "$b")
	[ -s "$SD/$ida/pid" ] || fail "no sidecar state for $a"
	[ -s "$SD/$idb/pid" ] || fail "no sidecar state for $b"

	host_peer_ok "$ha"
	host_peer_ok "$hb"
	pings "$a" "$NET.3"
	pings "$b" "$NET.2"
	pings "$a" "$NET.1"
	pings "$b" "$NET.1"
	# the host reaches them too, through the bridge's connected route (the
	# host has no ping of its own: the rootfs's busybox)
	"$E2E_ROOTFS/bin/busybox" ping -c1 -W2 "$NET.2" >/dev/null || fail "host cannot ping $NET.2"

	local spa spb
	spa=$(cat "$SD/$ida/pid") spb=$(cat "$SD/$idb/pid")
	e2e_mark t0
	e2e_podman rm -f -t 0 "$a" "$b" >/dev/null || fail "podman rm -f"
	e2e_mark t1
	echo "# podman rm -f of both: $((t1 - t0)) ms"
	wait_gone "$spa" 1000 || fail "sidecar $spa of $a still running 1 s after rm -f"
	wait_gone "$spb" 1000 || fail "sidecar $spb of $b still running 1 s after rm -f"
	e2e_gone "$ida" "$SD" "$ha" 1000
	e2e_gone "$idb" "$SD" "$hb" 1000
	expect_eq "$(ip -o link show master "$BR" | wc -l)" 0 "ports left on $BR"
}

# `bash test_x.sh NAME...` runs only those tests
for n in "${@:-${TESTS[@]}}"; do e2e_t "$n" "$n"; done
