#!/bin/bash
# Parity with the tools linx-sidecar replaces: Debian's CNI plugins
# (/usr/lib/cni) run as a runtime runs them, plugin by plugin with the previous
# result fed to the next, into namespace A; linx-sidecar's one-shot
# `reconcile` with the equivalent document into namespace B. The container
# sides are then compared as normalized JSON: links, addresses, routes of every
# table, rules and the namespace's whole net.* sysctl tree (plus, for a bridge,
# the host end of the veth). MACs, the addresses and routes derived from them
# (fe80::EUI-64) and the protocol of routes and rules (linx tags its own) are
# the only things left out. A difference linx has for a reason is listed as
# KNOWN with the reason, printed, and must still be there (so the list cannot
# go stale); anything else fails the test with the diff.
. "$(dirname "$0")/lib.sh"

TESTS=(cni_parity_bridge_tuning_sbr cni_parity_ptp_tuning)
CNI_DIR=/usr/lib/cni
if ! e2e_have_bin; then
	for n in "${TESTS[@]}"; do echo "not ok $n: no linx-sidecar binary at $LX_BIN"; done
	exit 0
fi
# containernetworking-plugins is in scripts/deps.sh: missing is a failure
for p in bridge ptp tuning sbr static; do
	[ -x "$CNI_DIR/$p" ] && continue
	for n in "${TESTS[@]}"; do echo "not ok $n: no CNI plugin $CNI_DIR/$p (containernetworking-plugins)"; done
	exit 0
done

# cni_chain CMD CONFLIST NETNS ID [PREV]: run the conflist's plugins in order
# (DEL: in reverse, each given PREV, the ADD's result, as libcni gives the
# cached one), each with the list's name and cniVersion and, for ADD, the
# previous plugin's result as prevResult. Prints ADD's final result.
cni_chain() {
	local cmd=$1 list=$2 ns=$3 id=$4 prev=${5:-null} n i k conf type out
	n=$(jq '.plugins | length' <<<"$list") || n=0
	[ "$n" -gt 0 ] || {
		echo "cni_chain: no plugins in the conflist" >&2
		return 1
	}
	for ((i = 0; i < n; i++)); do
		k=$i
		[ "$cmd" = DEL ] && k=$((n - 1 - i))
		conf=$(jq -c --argjson k "$k" --argjson prev "$prev" '
			.plugins[$k] + {cniVersion, name}
			+ (if $prev == null then {} else {prevResult: $prev} end)' <<<"$list")
		type=$(jq -r .type <<<"$conf")
		# sbr logs its steps on stderr: keep them out of the test's output
		out=$(CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_NETNS=/var/run/netns/$ns \
			CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$CNI_DIR/$type" <<<"$conf" 2>"$LX_TMP/cni.err") || {
			echo "CNI $cmd $type failed: $out $(cat "$LX_TMP/cni.err")" >&2
			return 1
		}
		[ "$cmd" = ADD ] && prev=$out
	done
	[ "$cmd" = ADD ] && echo "$prev"
	return 0
}

# snapshot NS [HOSTIF]: the namespace's state as one JSON object, each member
# a list. Addresses keep what ip shows except the lifetimes and the flags that
# are two ways of saying one thing (below); fe80::EUI-64 (from the MAC) is
# "fe80::LL". HOSTIF: the host end of eth0's veth, as member "hostif".
snapshot() {
	local ns=$1 hostif=${2:-} host=null
	[ -n "$hostif" ] && host=$(ip -d -j link show dev "$hostif")
	# every net.* key but a counter (the conntrack table's fill)
	ip netns exec "$ns" sysctl -a 2>/dev/null | grep '^net\.' |
		grep -v '^net\.netfilter\.nf_conntrack_count ' >"$LX_TMP/sysctl.$ns"
	jq -n --argjson links "$(ip -n "$ns" -d -j link)" \
		--argjson addrs "$(ip -n "$ns" -j addr)" \
		--argjson r4 "$(ip -4 -n "$ns" -j route show table all)" \
		--argjson r6 "$(ip -6 -n "$ns" -j route show table all)" \
		--argjson u4 "$(ip -4 -n "$ns" -j rule)" \
		--argjson u6 "$(ip -6 -n "$ns" -j rule)" \
		--argjson host "$host" --rawfile sysctl "$LX_TMP/sysctl.$ns" '
		def ll: if type == "string" then sub("^fe80::[0-9a-f:]+$"; "fe80::LL") else . end;
		def link: {ifname, kind: .linkinfo.info_kind, master, mtu, flags, operstate,
			txqlen, qdisc, promiscuity, allmulti, group, addrgenmode: .inet6_addr_gen_mode,
			min_mtu, max_mtu, num_tx_queues, num_rx_queues, gso_max_size, gso_max_segs,
			gro_max_size, tso_max_size, tso_max_segs};
		{links: [$links[] | link],
		 addrs: [$addrs[] | .ifname as $i | .addr_info[]
			| {ifname: $i, family, local: (.local | ll), prefixlen, address, broadcast,
			   scope, "label": .label, tentative, dadfailed, deprecated, noprefixroute, nodad}],
		 routes: [($r4[], $r6[]) | del(.protocol) | .dst |= ll],
		 rules: [($u4[] | .family = "inet"), ($u6[] | .family = "inet6") | del(.protocol)],
		 sysctl: ($sysctl | split("\n") | map(select(. != ""))),
		 hostif: (if $host == null then [] else [$host[] | link | del(.ifname)] end)}'
}

# Addresses: linx says `noprefixroute` where a plugin deletes or moves the
# kernel's prefix route afterwards (ptp, sbr), and `nodad` where the plugins
# wait for DAD to finish: the routes and the tentative flag, compared, are the
# effect. This normalization is applied to both sides.
NORM='.addrs |= map(del(.noprefixroute, .nodad))'

# flat FILE FILTER: one sorted line per object: "member {json}".
flat() {
	jq -r "$NORM | $2"' | to_entries[] | .key as $k | .value[] | "\($k) \(tojson)"' "$1" | sort
}

# parity A.json B.json KNOWN...: KNOWN is "WHY@@JQ-FILTER", a difference of
# linx-sidecar's that the test knows of, filtered out of both snapshots. With
# all filters the two must be equal (else the diff is printed and the test
# fails); without any one of them they must differ (else it is stale).
parity() {
	local a=$1 b=$2 k o all=. others d
	shift 2
	for k; do all="$all | ${k#*@@}"; done
	flat "$a" "$all" >"$LX_TMP/a.flat" && flat "$b" "$all" >"$LX_TMP/b.flat" &&
		[ -s "$LX_TMP/a.flat" ] || fail "cannot flatten the snapshots"
	if ! d=$(diff "$LX_TMP/a.flat" "$LX_TMP/b.flat"); then
		printf '%s\n' "$d" | sed 's/^/# /'
		fail "the CNI chain (<) and linx-sidecar (>) leave different state"
	fi
	for k; do
		others=.
		for o; do [ "$o" = "$k" ] || others="$others | ${o#*@@}"; done
		flat "$a" "$others" >"$LX_TMP/a.flat" && flat "$b" "$others" >"$LX_TMP/b.flat" ||
			fail "cannot flatten the snapshots"
		if cmp -s "$LX_TMP/a.flat" "$LX_TMP/b.flat"; then
			fail "known difference no longer seen (drop it from the test): ${k%%@@*}"
		fi
		echo "# known difference: ${k%%@@*}"
	done
}

# A /24 under 10.BASE/16 that no host route covers: sets NET (10.BASE.N).
free_net() {
	for _ in $(seq 20); do
		NET=10.$1.$((RANDOM % 250 + 1))
		ip -4 route show to match "$NET.1" | grep -qv '^default' || return 0
	done
	fail "no free 10.$1.N.0/24 on this host"
}

# What the CNI plugins store on the host (static IPAM: nothing; tuning may
# keep the original link settings): must be the same before and after.
cni_files() { find /var/lib/cni 2>/dev/null | sort; }

# linx NS DESIRED POLICY...: one reconcile pass, converged (exit 0).
linx() {
	local ns=$1 d=$2 rc=0 t0 t1
	shift 2
	e2e_mark t0
	"$LX_BIN" reconcile --netns "/run/netns/$ns" --desired "$d" --state-dir "$SD" \
		--json "$@" >"$LX_TMP/report.json" 2>"$LX_TMP/report.err" || rc=$?
	e2e_mark t1
	[ "$rc" = 0 ] || fail "linx-sidecar reconcile exit $rc: $(cat "$LX_TMP/report.err") $(jq -c '[.subsystems[].failed[]]' "$LX_TMP/report.json" 2>/dev/null)"
	LX_MS=$((t1 - t0))
}

# Cleanup of one test: its namespaces, then host links by name. Never fails.
CLEAN_IFS=()
parity_cleanup() {
	local i
	lx_cleanup_netns
	for i in "${CLEAN_IFS[@]}"; do ip link del "$i" 2>/dev/null || true; done
	rm -rf "$SD"
	return 0
}

# settle NS: wait (up to 5 s) until no address is tentative. The CNI plugins
# return once DAD is over (ip.SettleAddresses), linx-sidecar does not wait for
# the kernel's own link-local: both snapshots are taken settled.
settle() {
	local i
	for i in $(seq 100); do
		[ -z "$(ip -n "$1" addr show tentative)" ] && return 0
		sleep 0.05
	done
	fail "addresses in $1 still tentative after 5 s: $(ip -n "$1" -o addr show tentative)"
}

in_ns() { ip netns exec "$1" "$E2E_ROOTFS/bin/busybox" "${@:2}"; }

# bridge (isGateway, static IPAM: an address, the default route and one more)
# + tuning (mtu, two namespaced sysctls) + sbr (the routes moved to table 100,
# a source rule) against one linx document that says the same. The host end
# of linx's veth is enslaved to the bridge the CNI plugin made.
cni_parity_bridge_tuning_sbr() {
	local short br A B list res hpa hpb fwd files t0 t1
	short=$(e2e_short)
	br=lxcb$short SD=$LX_TMP/sd-$short
	CLEAN_IFS=("$br")
	trap parity_cleanup EXIT
	free_net 218
	e2e_rootfs || fail "busybox rootfs"
	files=$(cni_files) fwd=$(sysctl -n net.ipv4.ip_forward)
	new_netns A || fail "ip netns add"
	new_netns B || fail "ip netns add"
	list=$(jq -n --arg br "$br" --arg net "$NET" '{cniVersion: "1.0.0", name: "lxparity", plugins: [
		{type: "bridge", bridge: $br, isGateway: true, ipMasq: false,
		 ipam: {type: "static",
			addresses: [{address: "\($net).2/24", gateway: "\($net).1"}],
			routes: [{dst: "0.0.0.0/0"}, {dst: "10.98.0.0/16", gw: "\($net).254"}]}},
		{type: "tuning", mtu: 1400,
		 sysctl: {"net.ipv4.conf.eth0.rp_filter": "2", "net.ipv4.tcp_syncookies": "0"}},
		{type: "sbr"}]}')
	e2e_mark t0
	res=$(cni_chain ADD "$list" "$A" "lxparity-$short") || fail "CNI ADD"
	e2e_mark t1
	echo "# CNI bridge+tuning+sbr ADD: $((t1 - t0)) ms"
	hpa=$(jq -r --arg br "$br" '.interfaces[] | select(.sandbox == null and .name != $br) | .name' <<<"$res")
	[ -n "$hpa" ] || fail "no host veth in the CNI result: $res"
	in_ns "$A" ping -c1 -W2 -I "$NET.2" "$NET.1" >/dev/null || fail "CNI's namespace cannot ping the bridge"
	settle "$A"
	snapshot "$A" "$hpa" >"$LX_TMP/a.json" || fail "snapshot"
	cni_chain DEL "$list" "$A" "lxparity-$short" "$res" || fail "CNI DEL"
	e2e_no_link "$hpa" || fail "CNI DEL left the host veth $hpa"

	hpb=lxp$short
	CLEAN_IFS+=("$hpb")
	cat >"$LX_TMP/b.json" <<-EOF
		{"network": {
		  "links": ["lo up", "eth0 veth mtu 1400 txqlen 0 peer $hpb master $br peer-mtu 1500 up"],
		  "addresses": ["eth0 $NET.2/24 brd + noprefixroute"],
		  "routes": ["default via $NET.1 table 100", "10.98.0.0/16 via $NET.254 table 100",
		    "$NET.0/24 dev eth0 scope link src $NET.2 table 100",
		    "fe80::/64 dev eth0 metric 256 table 100"],
		  "rules": ["from $NET.2 table 100"]},
		 "sysctl": {"net.ipv4.conf.eth0.rp_filter": 2, "net.ipv4.tcp_syncookies": 0,
		            "net.ipv4.conf.eth0.arp_notify": 1, "net.ipv6.conf.eth0.accept_dad": 0}}
	EOF
	linx "$B" "$LX_TMP/b.json" --allow-master "$br"
	echo "# linx-sidecar reconcile: $LX_MS ms"
	in_ns "$B" ping -c1 -W2 -I "$NET.2" "$NET.1" >/dev/null || fail "linx's namespace cannot ping the bridge"
	settle "$B"
	snapshot "$B" "$hpb" >"$LX_TMP/b-state.json" || fail "snapshot"
	expect_eq "$(jq -r '.hostif[0].master' "$LX_TMP/b-state.json")" "$br" "linx host end's master"

	parity "$LX_TMP/a.json" "$LX_TMP/b-state.json" \
		"sbr moves the kernel's fe80::/64 route of eth0 out of main into table 100; linx never deletes a kernel route (SPEC: other protocols are never touched), so it adds the table-100 copy and main keeps the kernel's@@.routes |= map(select(.dst != \"fe80::/64\" or .table != null))" \
		"the CNI host veth has txqlen 0 (Go netlink's zero LinkAttrs), linx's the kernel default 1000: there is no peer-txqlen word (noqueue either way)@@.hostif |= map(del(.txqlen))"

	# CNI DEL's counterpart: a document without the veth removes both ends
	echo '{}' >"$LX_TMP/empty.json"
	linx "$B" "$LX_TMP/empty.json" --allow-master "$br"
	e2e_no_link "$hpb" || fail "linx left the host end $hpb after the veth left the document"
	expect_eq "$(ip -n "$B" -o link | wc -l)" 1 "links left in linx's namespace"
	expect_eq "$(ip -n "$B" rule | grep -c 'lookup 100')" 0 "linx's rule left"

	ip link del "$br" || fail "ip link del $br"
	expect_eq "$(cni_files)" "$files" "files under /var/lib/cni"
	[ "$(sysctl -n net.ipv4.ip_forward)" = "$fwd" ] || {
		sysctl -qw net.ipv4.ip_forward="$fwd"
		fail "the bridge plugin (isGateway) changed the host's net.ipv4.ip_forward"
	}
}

# ptp (static IPAM, v4 and v6, default routes) + tuning (mtu, a sysctl). The
# host end is the plugin's business (addresses, routes) and not linx's (SPEC:
# the host side is never otherwise changed): container side only.
cni_parity_ptp_tuning() {
	local short A B list res files t0 t1 v6
	short=$(e2e_short)
	SD=$LX_TMP/sd-$short
	CLEAN_IFS=()
	trap parity_cleanup EXIT
	free_net 219
	v6=fd42:4c58:$(printf %x $((RANDOM)))
	files=$(cni_files)
	new_netns A || fail "ip netns add"
	new_netns B || fail "ip netns add"
	list=$(jq -n --arg net "$NET" --arg v6 "$v6" '{cniVersion: "1.0.0", name: "lxparity", plugins: [
		{type: "ptp", ipMasq: false,
		 ipam: {type: "static",
			addresses: [{address: "\($net).2/24", gateway: "\($net).1"},
				    {address: "\($v6)::2/64", gateway: "\($v6)::1"}],
			routes: [{dst: "0.0.0.0/0"}, {dst: "::/0"}]}},
		{type: "tuning", mtu: 1300, sysctl: {"net.ipv4.conf.eth0.rp_filter": "2"}}]}')
	e2e_mark t0
	res=$(cni_chain ADD "$list" "$A" "lxparity-$short") || fail "CNI ADD"
	e2e_mark t1
	echo "# CNI ptp+tuning ADD: $((t1 - t0)) ms"
	settle "$A"
	snapshot "$A" >"$LX_TMP/a.json" || fail "snapshot"
	cni_chain DEL "$list" "$A" "lxparity-$short" "$res" || fail "CNI DEL"
	expect_eq "$(ip -n "$A" -o link | wc -l)" 1 "links left by CNI DEL"

	CLEAN_IFS=("lxq$short")
	cat >"$LX_TMP/b.json" <<-EOF
		{"network": {
		  "links": ["lo up", "eth0 veth mtu 1300 txqlen 0 peer lxq$short up"],
		  "addresses": ["eth0 $NET.2/24 brd + noprefixroute", "eth0 $v6::2/64 noprefixroute nodad"],
		  "routes": ["$NET.1 dev eth0 scope link src $NET.2", "$NET.0/24 via $NET.1 src $NET.2",
		    "default via $NET.1",
		    "$v6::1 dev eth0 src $v6::2", "$v6::/64 via $v6::1 src $v6::2", "default via $v6::1"]},
		 "sysctl": {"net.ipv4.conf.eth0.rp_filter": 2}}
	EOF
	linx "$B" "$LX_TMP/b.json"
	echo "# linx-sidecar reconcile: $LX_MS ms"
	settle "$B"
	snapshot "$B" >"$LX_TMP/b-state.json" || fail "snapshot"

	parity "$LX_TMP/a.json" "$LX_TMP/b-state.json"

	echo '{}' >"$LX_TMP/empty.json"
	linx "$B" "$LX_TMP/empty.json"
	e2e_no_link "lxq$short" || fail "linx left the host end lxq$short"
	expect_eq "$(ip -n "$B" -o link | wc -l)" 1 "links left in linx's namespace"
	expect_eq "$(cni_files)" "$files" "files under /var/lib/cni"
}

# `bash test_x.sh NAME...` runs only those tests
for n in "${@:-${TESTS[@]}}"; do t "$n" "$n"; done
