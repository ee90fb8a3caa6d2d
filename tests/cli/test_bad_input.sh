#!/bin/bash
# Bad-input matrix (issue 6): malformed or hostile OCI state, annotations,
# desired documents, sysctls and cgroup limits. Each row runs one command
# under `timeout 10` and checks the exit code (SPEC.md "Exit codes"), that
# stderr is one "linx-sidecar: ..." line matching the row's regex (which
# names the field and the value), and that nothing changed: the target
# namespace's links, addresses, routes and sysctls, a few host sysctls, the
# target's cgroup limits, no state dir, no sidecar process, no host veth.
#
#   row NAME KIND RC REGEX INPUT [EXTRA ARGS...]
#
# KIND   command                                      INPUT is
# state  hook createRuntime, INPUT on stdin           the OCI state
# ann    hook createRuntime, state with annotations    the annotations object
# cfg    hook createRuntime, state without annotations the bundle's config.json
# doc    reconcile --netns PATH --desired FILE        the desired document
# pid    reconcile --pid PID --desired FILE           the desired document
# host   reconcile --netns /proc/self/ns/net ...      the desired document
#
# INPUT placeholders: @PID@ target pid, @DEAD@ pid of an exited process,
# @HOSTPID@ a process in the host netns,
# @BUNDLE@ a bundle with a valid config.json, @NOCFG@ a bundle without one,
# @BADCFG@ a bundle whose config.json is not JSON, @MIB@ 1 MiB of "x",
# @PEER@ a host-side name unique to this run, @NUL@ a NUL byte (state only),
# @5K@ 5000 digits, @NFT4097@ an nftables body of 4097 rules, @HOSTFWD@ the host's own net.ipv4.ip_forward (so that a
# row aimed at the host netns changes nothing even if the guard failed),
# @UNTRUSTED@ a state dir owned by nobody, mode 0777, @GWDIR@ a state dir
# whose id dir "gwid" is group-writable. Extra args are expanded too.
# RC 0: stderr must be empty; RC 1: REGEX is matched against the report on
# stdout; RC/N (e.g. 3/2): N problems, N lines. docs/bad-input.md is generated from the rows: BADINPUT_DOC=FILE.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
PEER=lxh$$x
PEER=${PEER:0:15}
NS= PID= DEAD= HOSTPID=
CG_CTRLS="memory pids cpu cpuset"
CGN=lxbad-$$
CGS=lxbad-shared-$$
PNSWRAP= PNSPID= SHAREPID= ROOTPID=

# Sysctls read inside the target namespace and on the host.
NS_SYSCTLS="net/ipv4/ip_forward net/ipv4/conf/all/forwarding
net/ipv6/conf/all/forwarding net/ipv4/ip_local_port_range
net/core/somaxconn net/ipv4/conf/lo/rp_filter"
HOST_SYSCTLS="kernel/core_pattern vm/overcommit_memory net/core/rmem_max
net/ipv4/ip_forward"

setup() {
	new_netns NS || return 1
	# Shared by every row: `t` would delete it after the first one.
	LX_NETNS=()
	ip netns exec "$NS" sleep 600 &
	PID=$!
	sleep 600 & # in the host netns
	HOSTPID=$!
	# A target in its own pid namespace whose cgroup a host process
	# shares (issue 10 #11): PNSPID, with SHAREPID beside it in $CGS.
	ip netns exec "$NS" unshare -p -f sleep 600 2>/dev/null &
	PNSWRAP=$!
	sleep 600 &
	SHAREPID=$!
	sleep 600 & # moved into the v1 pids hierarchy's root
	ROOTPID=$!
	[ -f /sys/fs/cgroup/pids/cgroup.procs ] && echo "$ROOTPID" >/sys/fs/cgroup/pids/cgroup.procs
	for _ in $(seq 100); do
		PNSPID=$(pgrep -P "$PNSWRAP" sleep) && break
		sleep 0.01
	done
	if [ -d /sys/fs/cgroup/pids ]; then
		mkdir -p /sys/fs/cgroup/pids/$CGS
		echo "$PNSPID" >/sys/fs/cgroup/pids/$CGS/cgroup.procs
		echo "$SHAREPID" >/sys/fs/cgroup/pids/$CGS/cgroup.procs
	fi
	sleep 0 &
	DEAD=$!
	wait "$DEAD"
	# The target's own v1 cgroups, with limits the rows must not change.
	local c
	for c in $CG_CTRLS; do
		[ -d /sys/fs/cgroup/$c ] || continue
		mkdir -p /sys/fs/cgroup/$c/$CGN
		# a v1 cpuset takes no task before it has CPUs and nodes
		if [ "$c" = cpuset ]; then
			cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/$CGN/cpuset.cpus
			cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/$CGN/cpuset.mems
		fi
		echo "$PID" >/sys/fs/cgroup/$c/$CGN/cgroup.procs
	done
	[ -d /sys/fs/cgroup/pids/$CGN ] && echo 50 >/sys/fs/cgroup/pids/$CGN/pids.max
	[ -d /sys/fs/cgroup/cpuset/$CGN ] && echo 0 >/sys/fs/cgroup/cpuset/$CGN/cpuset.cpus
	[ -d /sys/fs/cgroup/memory/$CGN ] &&
		echo 67108864 >/sys/fs/cgroup/memory/$CGN/memory.limit_in_bytes
	[ -d /sys/fs/cgroup/cpu/$CGN ] &&
		echo 50000 >/sys/fs/cgroup/cpu/$CGN/cpu.cfs_quota_us
	mkdir -p "$LX_TMP/bundle" "$LX_TMP/bundle-empty" "$LX_TMP/nocfg" \
		"$LX_TMP/badcfg"
	echo '{"ociVersion":"1.0.2","annotations":{"io.linx.links":"lo up"}}' \
		>"$LX_TMP/bundle/config.json"
	echo '{"ociVersion":"1.0.2"}' >"$LX_TMP/bundle-empty/config.json"
	echo 'not json {' >"$LX_TMP/badcfg/config.json"
	# State dirs others may write (SPEC.md "Policy": refused, exit 5).
	mkdir -p "$LX_TMP/untrusted" "$LX_TMP/gwdir/gwid" "$LX_TMP/gwdir/lxbad-$$"
	chown nobody "$LX_TMP/untrusted"
	chmod 0777 "$LX_TMP/untrusted"
	chmod 0775 "$LX_TMP/gwdir/gwid" "$LX_TMP/gwdir/lxbad-$$"
	MIB=$(head -c 1048577 /dev/zero | tr '\0' x)
	K5=$(head -c 5000 /dev/zero | tr '\0' 1)
	NFT4097="chain c { $(for ((i = 1; i <= 4097; i++)); do printf "tcp dport %d drop; " "$i"; done)}"
	return 0
}

teardown() {
	local c
	# PNSPID is its pid namespace's init: only SIGKILL reaches it from
	# here, and unshare -f waits for it with SIGTERM ignored.
	[ -n "$PNSPID" ] && kill -9 "$PNSPID" 2>/dev/null
	for p in $PID $HOSTPID $PNSWRAP $SHAREPID $ROOTPID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -d /sys/fs/cgroup/pids/$CGS ] && rmdir /sys/fs/cgroup/pids/$CGS 2>/dev/null
	for c in $CG_CTRLS; do
		[ -d /sys/fs/cgroup/$c/$CGN ] && rmdir /sys/fs/cgroup/$c/$CGN 2>/dev/null
	done
	ip link del "$PEER" 2>/dev/null
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	lx_cleanup
}
trap teardown EXIT

snapshot() {
	local c f
	echo "== links"; ip -n "$NS" -d link
	echo "== addrs"; ip -n "$NS" addr
	echo "== routes"; ip -n "$NS" route show table all
	ip -n "$NS" -6 route show table all
	echo "== nft"; ip netns exec "$NS" nft list ruleset
	echo "== ns sysctls"
	ip netns exec "$NS" sh -c 'cd /proc/sys && for k; do echo "$k=$(cat $k)"; done' - $NS_SYSCTLS
	echo "== host sysctls"
	for f in $HOST_SYSCTLS; do echo "$f=$(cat /proc/sys/$f)"; done
	echo "== cgroup"
	[ -f /sys/fs/cgroup/pids/$CGS/pids.max ] && echo "shared pids.max=$(cat /sys/fs/cgroup/pids/$CGS/pids.max)"
	for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
		pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares \
		cpuset/cpuset.cpus; do
		c=/sys/fs/cgroup/${f%%/*}/$CGN/${f#*/}
		[ -f "$c" ] && echo "$f=$(cat "$c")"
	done
	echo "== host peer"; ip link show "$PEER" 2>&1 | head -1
	echo "== state dir"; ls -A "$SD" 2>/dev/null
	echo "== sidecars"; pgrep -f -- "--state-dir $SD" || true
	echo "== target"; [ -d /proc/$PID ] && echo alive
}

expand() {
	local s=$1
	s=${s//@PID@/$PID}
	s=${s//@DEAD@/$DEAD}
	s=${s//@HOSTPID@/$HOSTPID}
	s=${s//@BUNDLE@/$LX_TMP/bundle}
	s=${s//@NOCFG@/$LX_TMP/nocfg}
	s=${s//@BADCFG@/$LX_TMP/badcfg}
	s=${s//@PEER@/$PEER}
	s=${s//@MIB@/$MIB}
	s=${s//@5K@/$K5}
	s=${s//@NFT4097@/$NFT4097}
	s=${s//@HOSTFWD@/$(cat /proc/sys/net/ipv4/ip_forward)}
	s=${s//@UNTRUSTED@/$LX_TMP/untrusted}
	s=${s//@GWDIR@/$LX_TMP/gwdir}
	printf '%s' "$s"
}

state_with() { # ANNOTATIONS-JSON BUNDLE
	printf '{"ociVersion":"1.0.2","id":"lxbad-%s","status":"creating","pid":%s,"bundle":"%s","annotations":%s}' \
		"$$" "$PID" "$2" "$1"
}

# Run one row; fills OUT, ERR, RC.
run_row() {
	local kind=$1 input=$2; shift 2
	local in=$LX_TMP/in out=$LX_TMP/out errf=$LX_TMP/err d a args=()
	for a; do args+=("$(expand "$a")"); done
	set -- ${args[@]+"${args[@]}"}
	case $kind in
	state)
		expand "$input" | sed 's/@NUL@/\x00/g' >"$in"
		set -- hook createRuntime --state-dir "$SD" "$@" ;;
	ann)
		state_with "$(expand "$input")" "$LX_TMP/bundle-empty" >"$in"
		set -- hook createRuntime --state-dir "$SD" "$@" ;;
	cfg)
		d=$LX_TMP/cfg-bundle
		rm -rf "$d"; mkdir -p "$d"
		expand "$input" >"$d/config.json"
		state_with '{}' "$d" >"$in"
		set -- hook createRuntime --state-dir "$SD" "$@" ;;
	doc|pid|host)
		expand "$input" >"$LX_TMP/desired.json"
		: >"$in"
		if [ "$kind" = doc ]; then
			set -- reconcile --netns "/run/netns/$NS" --desired "$LX_TMP/desired.json" --state-dir "$SD" "$@"
		elif [ "$kind" = host ]; then
			set -- reconcile --netns /proc/self/ns/net --desired "$LX_TMP/desired.json" --state-dir "$SD" "$@"
		else
			set -- reconcile --pid "$PID" --desired "$LX_TMP/desired.json" --state-dir "$SD" "$@"
		fi ;;
	root | pns)
		# ROOTPID sits in the pids hierarchy's root; PNSPID shares its
		# cgroup with a host process
		expand "$input" >"$LX_TMP/desired.json"
		: >"$in"
		set -- reconcile --pid "$([ "$kind" = root ] && echo "$ROOTPID" || echo "$PNSPID")" \
			--desired "$LX_TMP/desired.json" --state-dir "$SD" "$@" ;;
	cli)
		# the command line as words, against the suite's state dir
		: >"$in"
		read -ra words <<<"$input"
		set -- "${words[@]}" --state-dir "$SD" "$@" ;;
	*) fail "unknown kind $kind" ;;
	esac
	RC=0
	timeout 10 "$LX_BIN" "$@" <"$in" >"$out" 2>"$errf" || RC=$?
	OUT=$(cat "$out"); ERR=$(cat "$errf")
}

check_row() {
	local name=$1 kind=$2 want=${3%/*} nlines=1 re=$4 input=$5
	local before after lines p
	[[ $3 == */* ]] && nlines=${3#*/}
	shift 5
	before=$(snapshot)
	run_row "$kind" "$input" "$@"
	[ -n "${BADINPUT_VERBOSE:-}" ] && printf "# %s rc=%s: %s\n" "$name" "$RC" "${ERR:-${OUT%%$'\n'*}}" >&2
	re=$(expand "$re")
	# A row that wrongly succeeded must not leave a sidecar for the next.
	for p in $(pgrep -f -- "--state-dir $SD"); do kill "$p"; done
	[ "$RC" != 124 ] || fail "$name: hung (killed after 10 s)"
	[ "$RC" -lt 128 ] || fail "$name: crashed (exit $RC): $ERR"
	expect_eq "$RC" "$want" "$name: exit code (stderr: ${ERR:0:300})"
	case $want in
	0) expect_eq "$ERR" "" "$name: stderr" ;;
	1) expect_match "$OUT$ERR" "$re" "$name: report" ;;
	*)
		lines=$(printf '%s\n' "$ERR" | wc -l)
		expect_eq "$lines" "$nlines" "$name: stderr lines ($ERR)"
		[ "$(printf '%s\n' "$ERR" | grep -vc '^linx-sidecar: ')" = 0 ] ||
			fail "$name: a stderr line lacks the 'linx-sidecar: ' prefix: $ERR"
		expect_match "$ERR" "$re" "$name: message" ;;
	esac
	# Exit 1 is a pass that ran: reconcile records it in its state dir.
	[ "$want" = 1 ] && rm -rf "$SD"
	after=$(snapshot)
	rm -rf "$SD"
	[ "$after" = "$before" ] ||
		fail "$name: system changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -10)"
}

ROWS=()
row() { ROWS+=("$(printf '%q ' "$@")"); }

# ---------------------------------------------------------------- OCI state
row state_empty state 3 'OCI state: invalid JSON' ''
row state_truncated state 3 'OCI state: invalid JSON at line 1 column' '{"ociVersion":"1.0.2","id":"x'
row state_huge state 3 'OCI state on stdin: larger than 1048576 bytes' '{"ociVersion":"1.0.2","id":"@MIB@"}'
row state_not_object state 3 'OCI state: expected an object, got an array' '["creating"]'
row state_nul_byte state 3 'OCI state: invalid JSON at line 1 column [0-9]+: control character 0x0' '{"id":"a@NUL@b","status":"creating","pid":@PID@,"bundle":"@BUNDLE@"}'
row state_duplicate_member state 3 'OCI state: invalid JSON.*duplicate.*pid' '{"id":"a","status":"creating","pid":@PID@,"pid":1,"bundle":"@BUNDLE@"}'
row state_id_number state 3 'OCI state: id: expected a string, got a number' '{"id":42,"status":"creating","pid":@PID@,"bundle":"@BUNDLE@"}'
row state_id_traversal state 3 'OCI state: id: invalid container id "\.\./\.\./etc"' '{"id":"../../etc","status":"creating","pid":@PID@,"bundle":"@BUNDLE@"}'
row state_status_unknown state 3 'OCI state: status: unknown status "exploding"' '{"id":"a","status":"exploding","pid":@PID@,"bundle":"@BUNDLE@"}'
row state_pid_missing state 3 'OCI state: member "pid" missing' '{"id":"a","status":"creating","bundle":"@BUNDLE@"}'
row state_pid_string state 3 'OCI state: pid: expected an integer, got a string' '{"id":"a","status":"creating","pid":"@PID@","bundle":"@BUNDLE@"}'
row state_pid_float state 3 'OCI state: pid: expected an integer, got a number' '{"id":"a","status":"creating","pid":1.5,"bundle":"@BUNDLE@"}'
row state_pid_zero state 3 'OCI state: pid: 0 is not a valid pid' '{"id":"a","status":"creating","pid":0,"bundle":"@BUNDLE@"}'
row state_pid_negative state 3 'OCI state: pid: -7 is not a valid pid' '{"id":"a","status":"creating","pid":-7,"bundle":"@BUNDLE@"}'
row state_pid_overflow state 3 'OCI state: pid: 4294967297 is not a valid pid' '{"id":"a","status":"creating","pid":4294967297,"bundle":"@BUNDLE@"}'
row state_pid_dead state 4 'pid @DEAD@: .*\(ESRCH\)' '{"id":"a","status":"creating","pid":@DEAD@,"bundle":"@BUNDLE@"}'
row state_bundle_missing state 3 'OCI state: bundle: missing' '{"id":"a","status":"creating","pid":@PID@}'
row state_bundle_relative state 3 'OCI state: bundle: not an absolute path: "bundle"' '{"id":"a","status":"creating","pid":@PID@,"bundle":"bundle"}'
row state_bundle_no_config state 0 '' '{"id":"a","status":"creating","pid":@PID@,"bundle":"@NOCFG@"}'
row state_config_not_json state 3 'badcfg/config.json: invalid JSON at line 1' '{"id":"a","status":"creating","pid":@PID@,"bundle":"@BADCFG@"}'
row state_annotation_not_string state 3 'OCI state: annotations\."io\.linx\.links": expected a string, got a number' '{"id":"a","status":"creating","pid":@PID@,"bundle":"@BUNDLE@","annotations":{"io.linx.links":1500}}'
row state_annotations_array state 3 'OCI state: annotations: expected an object, got an array' '{"id":"a","status":"creating","pid":@PID@,"bundle":"@BUNDLE@","annotations":["io.linx.links"]}'

# -------------------------------------------------------------- annotations
row ann_json_array_invalid ann 3 'io\.linx\.routes: invalid JSON' '{"io.linx.routes":"[\"default via 10.0.0.1\""}'
row ann_json_object_invalid ann 3 'io\.linx\.sysctl: invalid JSON' '{"io.linx.sysctl":"{net.ipv4.ip_forward: 1}"}'
row ann_json_wrong_shape ann 3 'io\.linx\.sysctl: expected a JSON object' '{"io.linx.sysctl":"[\"net.ipv4.ip_forward=1\"]"}'
row ann_unknown_key ann 3 '"io\.linx\.route": unknown annotation' '{"io.linx.route":"default via 10.0.0.1"}'
row ann_config_not_string cfg 3 'config\.json: annotations\."io\.linx\.options": expected a string, got a boolean' '{"annotations":{"io.linx.options":true}}'
row ann_mib_string cfg 3 'io\.linx\.routes: value too long \(1048577 bytes' '{"annotations":{"io.linx.routes":"@MIB@"}}'
row ann_compact_no_equals ann 3 'io\.linx\.sysctl: item 1 "net\.ipv4\.ip_forward": expected KEY=VALUE' '{"io.linx.sysctl":"net.ipv4.ip_forward"}'
row ann_compact_empty_key ann 3 'io\.linx\.cgroup: item 2 "=100": empty key' '{"io.linx.cgroup":"memory.max=32M; =100"}'
# nftables (io.linx.nftables / nftables): refused before anything is
# applied, the construct named; the snapshot includes the ruleset.
row ann_nft_include ann 3 'io\.linx\.nftables: refused: "include" at line 1:1: nft would read files of the host' '{"io.linx.nftables":"include \"/etc/shadow\""}'
row ann_nft_include_in_block ann 3 'io\.linx\.nftables: refused: "include" at line 1:11' '{"io.linx.nftables":"chain c { include \"/etc/passwd\" }"}'
row ann_nft_table ann 3 'io\.linx\.nftables: refused: "table" at line 1:1: .*another table' '{"io.linx.nftables":"table ip filter { chain c { } }"}'
row ann_nft_other_family ann 3 'io\.linx\.nftables: refused: "table".*another family' '{"io.linx.nftables":"table ip6 x { }"}'
row ann_nft_flush_ruleset ann 3 'io\.linx\.nftables: refused: "ruleset" at line 1:7' '{"io.linx.nftables":"flush ruleset"}'
row ann_nft_escape_block ann 3 "io\.linx\.nftables: refused: '}' at line 1:13 closes the table block" '{"io.linx.nftables":"chain c { } } delete chain inet linx-policy out"}'
row ann_nft_parse_error ann 3 'nftables \(io\.linx\.nftables\): line 1:[0-9]+-[0-9]+: Error: syntax error, unexpected drop' '{"io.linx.nftables":"chain c { secretword drop }"}'
row ann_nft_too_many_rules ann 3 'nftables \(io\.linx\.nftables\): refused: more than 4096 rules' '{"io.linx.nftables":"@NFT4097@"}'
row doc_nft_not_string doc 3 'nftables: expected a string \(nft syntax\)' '{"nftables": ["chain c { }"]}'
row ann_compact_duplicate ann 3 'io\.linx\.sysctl: item 2: duplicate key "net\.ipv4\.ip_forward"' '{"io.linx.sysctl":"net.ipv4.ip_forward=1; net.ipv4.ip_forward=0"}'
row ann_compact_bad_address ann 3 'io\.linx\.addresses: item 2 "lo 10\.0\.0\.256/24"' '{"io.linx.addresses":"lo 10.0.0.2/32; lo 10.0.0.256/24"}'
row ann_compact_bad_route_word ann 3 'io\.linx\.routes: item 1 "default via 10\.0\.0\.1 bogus 5".*bogus' '{"io.linx.routes":"default via 10.0.0.1 bogus 5"}'
row ann_compact_link_mtu_absurd ann 3 'io\.linx\.links: item 1 "lo up mtu 99999999999".*mtu' '{"io.linx.links":"lo up mtu 99999999999"}'
row ann_options_negative ann 3 'io\.linx\.options: .*interval_ms.*-1' '{"io.linx.options":"interval_ms=-1"}'
row ann_options_wrong_type ann 3 'io\.linx\.options: .*monitor.*maybe' '{"io.linx.options":"monitor=maybe"}'
row ann_options_unknown ann 3 'io\.linx\.options: .*frobnicate' '{"io.linx.options":"frobnicate=1"}'
row ann_sysctl_escape ann 5 'sysctl "net/\.\./\.\./kernel/core_pattern" \(io\.linx\.sysctl\): refused' '{"io.linx.sysctl":"net/../../kernel/core_pattern=|/tmp/x"}' --allow-sysctl net
row ann_sysctl_outside_prefix ann 5 'sysctl "net\.ipv4\.ip_forward" \(io\.linx\.sysctl\): refused: not under an allowed prefix' '{"io.linx.sysctl":"net.ipv4.ip_forward=1"}' --allow-sysctl net.ipv6
row ann_master_not_allowed ann 5 'link "eth0" \(io\.linx\.links\): refused: master "lxbr0"' '{"io.linx.links":"eth0 veth peer @PEER@ master lxbr0 up"}'
row ann_parent_not_allowed ann 5 'link "ipv0" \(io\.linx\.links\): refused: parent "lo"' '{"io.linx.links":"ipv0 ipvlan parent lo mode l2"}'
row ann_cgroup_negative ann 3 'io\.linx\.cgroup: .*pids\.max.*-1' '{"io.linx.cgroup":"pids.max=-1"}'
row ann_cgroup_suffix_overflow ann 3 'io\.linx\.cgroup: memory\.max: invalid size "99999999999999G"' '{"io.linx.cgroup":"memory.max=99999999999999G"}'
row ann_sysctl_prefix_is_whole_segments ann 5 'sysctl "net\.ipv4foo\.x" \(io\.linx\.sysctl\): refused: not under an allowed prefix' '{"io.linx.sysctl":"net.ipv4foo.x=1"}' --allow-sysctl net.ipv4
row ann_sysctl_two_spellings ann 3 'io\.linx\.sysctl: .*duplicate sysctl "net/ipv4/ip_forward" \(same file as "net\.ipv4\.ip_forward"\)' '{"io.linx.sysctl":"net.ipv4.ip_forward=1; net/ipv4/ip_forward=0"}'
row ann_two_problems ann 3/2 '"io\.linx\.route": unknown annotation.*io\.linx\.cgroup: pids\.max: invalid value "0"' '{"io.linx.route":"default via 10.0.0.1","io.linx.cgroup":"pids.max=0"}'
row ann_cgroup_raise ann 5 'pids\.max.*100.*50' '{"io.linx.cgroup":"pids.max=100"}'

# -------------------------------------------------------- desired documents
row doc_unknown_member doc 3 'bogus' '{"network": {}, "bogus": 1}'
row doc_unknown_link_member doc 3 'network\.links\[0\].*colour' '{"network": {"links": [{"name": "lo", "colour": "red"}]}}'
row doc_not_object doc 3 'expected an object|object' '["network"]'
row doc_truncated doc 3 'invalid JSON' '{"network": {"links": ['
row doc_addr_octet doc 3 'network\.addresses\[0\].*10\.0\.0\.300' '{"network": {"addresses": ["lo 10.0.0.300/24"]}}'
row doc_addr_prefix_v4 doc 3 'network\.addresses\[0\].*10\.0\.0\.1/33' '{"network": {"addresses": ["lo 10.0.0.1/33"]}}'
row doc_addr_prefix_v6 doc 3 'network\.addresses\[0\].*fd00::1/129' '{"network": {"addresses": [{"dev": "lo", "address": "fd00::1/129"}]}}'
row doc_addr_prefix_garbage doc 3 'network\.addresses\[0\].*10\.0\.0\.1/2x' '{"network": {"addresses": ["lo 10.0.0.1/2x"]}}'
row doc_addr_peer_family doc 3 'network\.addresses\[0\].*fd00::9' '{"network": {"addresses": [{"dev": "lo", "address": "10.0.0.1/32", "peer": "fd00::9/128"}]}}'
row doc_addr_scope doc 3 'network\.addresses\[0\].*galaxy' '{"network": {"addresses": [{"dev": "lo", "address": "10.0.0.1/8", "scope": "galaxy"}]}}'
row doc_addr_dev_too_long doc 3 'network\.addresses\[0\].*abcdefghijklmnopq' '{"network": {"addresses": ["abcdefghijklmnopq 10.0.0.1/24"]}}'
row doc_addr_unknown_dev doc 1 'nodev.*ENODEV' '{"network": {"addresses": ["nodev9 10.0.0.1/24"]}}'
row doc_route_dst_prefix doc 3 'network\.routes\[0\].*10\.1\.0\.0/40' '{"network": {"routes": ["10.1.0.0/40 via 10.0.0.1"]}}'
row doc_route_v4_via_v6 doc 3 'network\.routes\[0\].*fd00::1' '{"network": {"routes": ["10.1.0.0/16 via fd00::1"]}}'
row doc_route_v6_via_v4 doc 3 'network\.routes\[0\].*10\.0\.0\.1' '{"network": {"routes": [{"dst": "fd01::/64", "via": "10.0.0.1"}]}}'
row doc_route_src_family doc 3 'network\.routes\[0\].*fd00::2' '{"network": {"routes": ["10.1.0.0/16 dev lo src fd00::2"]}}'
row doc_route_metric_negative doc 3 'network\.routes\[0\].*metric.*-1' '{"network": {"routes": [{"dst": "10.1.0.0/16", "dev": "lo", "metric": -1}]}}'
row doc_route_metric_overflow doc 3 'network\.routes\[0\].*metric.*4294967296' '{"network": {"routes": ["10.1.0.0/16 dev lo metric 4294967296"]}}'
row doc_route_table_overflow doc 3 'network\.routes\[0\].*table.*4294967296' '{"network": {"routes": [{"dst": "10.1.0.0/16", "dev": "lo", "table": 4294967296}]}}'
row doc_route_table_name doc 3 'network\.routes\[0\].*table.*bogus' '{"network": {"routes": ["10.1.0.0/16 dev lo table bogus"]}}'
row doc_route_mtu doc 3 'network\.routes\[0\].*mtu.*99999999999' '{"network": {"routes": ["10.1.0.0/16 dev lo mtu 99999999999"]}}'
row doc_route_unknown_dev doc 1 'nodev9.*ENODEV' '{"network": {"routes": ["10.1.0.0/16 dev nodev9"]}}'
row doc_route_proto_word doc 3 'network\.routes\[0\]: "proto" is not a route word.*options\.protocol' '{"network": {"routes": ["10.1.0.0/16 dev lo proto static"]}}'
row doc_route_weight_range doc 3 'network\.routes\[0\]: invalid nexthop weight "300" \(1\.\.256\)' '{"network": {"routes": ["10.1.0.0/16 nexthop via 10.0.0.1 weight 300 nexthop via 10.0.0.3"]}}'
row doc_route_nexthop_no_via doc 3 'network\.routes\[0\]: nexthop 2 has no "via"' '{"network": {"routes": ["10.1.0.0/16 nexthop via 10.0.0.1 nexthop dev lo"]}}'
row doc_route_onlink_destination doc 3 'network\.routes\[0\]: "onlink" is for a gateway' '{"network": {"routes": ["10.1.0.0/16 dev lo onlink"]}}'
row doc_route_onlink_no_dev doc 3 'network\.routes\[0\]: "onlink" needs "dev"' '{"network": {"routes": ["default via 169.254.1.1 onlink"]}}'
row doc_route_blackhole_via doc 3 'network\.routes\[0\]: a blackhole route has no gateway' '{"network": {"routes": ["blackhole 10.1.0.0/16 via 10.0.0.1"]}}'
row doc_route_pref_v4 doc 3 'network\.routes\[0\]: "pref" is for IPv6 routes' '{"network": {"routes": ["10.1.0.0/16 dev lo pref high"]}}'
row doc_route_pref_value doc 3 'network\.routes\[0\]: invalid pref "urgent"' '{"network": {"routes": ["fd01::/64 dev lo pref urgent"]}}'
row doc_route_too_many_nexthops doc 3 'network\.routes\[0\]: 9 nexthops \(at most 8\)' '{"network": {"routes": ["10.1.0.0/16 nexthop via 10.0.0.1 nexthop via 10.0.0.2 nexthop via 10.0.0.3 nexthop via 10.0.0.4 nexthop via 10.0.0.5 nexthop via 10.0.0.6 nexthop via 10.0.0.7 nexthop via 10.0.0.8 nexthop via 10.0.0.9"]}}'
row doc_route_via_and_nexthop doc 3 'network\.routes\[0\]: "via" and "dev" go inside each "nexthop"' '{"network": {"routes": ["10.1.0.0/16 via 10.0.0.1 nexthop via 10.0.0.2 nexthop via 10.0.0.3"]}}'
row doc_route_quickack doc 3 'network\.routes\[0\]: invalid quickack "2" \(0\|1\)' '{"network": {"routes": ["10.1.0.0/16 dev lo quickack 2"]}}'
row doc_route_congctl doc 3 'network\.routes\[0\]: invalid congctl "cu/bic"' '{"network": {"routes": ["10.1.0.0/16 dev lo congctl cu/bic"]}}'
row doc_route_type doc 3 'network\.routes\[0\]\.type: .*|unknown route type "anycast"' '{"network": {"routes": [{"type": "anycast", "dst": "10.1.0.0/16"}]}}'
row doc_route_metric_alias_twice doc 3 'network\.routes\[0\]: "metric" and "priority" are the same' '{"network": {"routes": ["10.1.0.0/16 dev lo metric 5 priority 6"]}}'
row doc_route_via_inet6_v6 doc 3 'network\.routes\[0\]: gateway "10\.0\.0\.1" is not IPv6' '{"network": {"routes": ["fd01::/64 via inet6 10.0.0.1"]}}'
row doc_rule_no_action doc 3 'network\.rules\[0\]: a rule needs an action' '{"network": {"rules": ["from 10.0.0.2 priority 100"]}}'
row doc_rule_two_actions doc 3 'network\.rules\[0\]: two actions' '{"network": {"rules": ["from 10.0.0.2 table 100 blackhole"]}}'
row doc_rule_mixed_family doc 3 'network\.rules\[0\]: mixed IPv4 and IPv6' '{"network": {"rules": ["from 10.0.0.2 to fd00::/64 table 100"]}}'
row doc_rule_port_range doc 3 'network\.rules\[0\]: invalid dport "90-80"' '{"network": {"rules": ["ipproto tcp dport 90-80 table 100"]}}'
row doc_rule_table_zero doc 3 'network\.rules\[0\]: invalid table "0"' '{"network": {"rules": ["from all table 0"]}}'
row doc_rule_proto_word doc 3 'network\.rules\[0\]: "proto" is not a rule word' '{"network": {"rules": ["from all table 100 proto static"]}}'
row doc_rule_not_string doc 3 'network\.rules\[0\]: expected a string' '{"network": {"rules": [{"from": "10.0.0.2"}]}}'
row doc_neigh_mac_7_octets doc 3 'network\.neighbours\[0\]: invalid lladdr "02:00:0a:00:00:01:07" \(6 octets' '{"network": {"neighbours": ["10.0.0.1 lladdr 02:00:0a:00:00:01:07 dev lo"]}}'
row doc_neigh_no_lladdr doc 3 'network\.neighbours\[0\]: missing "lladdr MAC"' '{"network": {"neighbours": ["10.0.0.1 dev lo"]}}'
row doc_neigh_nud doc 3 'network\.neighbours\[0\]: invalid nud "reachable"' '{"network": {"neighbours": ["10.0.0.1 lladdr 02:00:0a:00:00:01 dev lo nud reachable"]}}'
row doc_neigh_duplicate doc 3 'network\.neighbours\[1\]: duplicate' '{"network": {"neighbours": ["10.0.0.1 lladdr 02:00:0a:00:00:01 dev lo", "10.0.0.1 lladdr 02:00:0a:00:00:02 dev lo"]}}'
row ann_compact_rule_no_action ann 3 'io\.linx\.rules: item 1 .*a rule needs an action' '{"io.linx.rules":"from 10.0.0.2"}'
row ann_compact_neigh_bad_mac ann 3 'io\.linx\.neighbours: item 1 .*invalid lladdr' '{"io.linx.neighbours":"10.0.0.1 lladdr 02:00 dev eth0"}'
row doc_link_duplicate doc 3 'network\.links\[1\].*d0' '{"network": {"links": [{"name": "d0", "kind": "dummy"}, {"name": "d0", "kind": "dummy", "up": true}]}}'
row doc_link_mtu_zero doc 3 'network\.links\[0\].*mtu.*0' '{"network": {"links": [{"name": "lo", "mtu": 0}]}}'
row doc_link_mtu_string doc 3 'network\.links\[0\].*mtu' '{"network": {"links": [{"name": "lo", "mtu": "1500"}]}}'
row doc_link_name_slash doc 3 'network\.links\[0\].*a/b' '{"network": {"links": [{"name": "a/b", "kind": "dummy"}]}}'
row doc_link_kind_unknown doc 3 'network\.links\[0\].*wireguard' '{"network": {"links": [{"name": "w0", "kind": "wireguard"}]}}'
row doc_options_protocol_kernel doc 3 'options\.protocol.*2' '{"options": {"protocol": 2}}'
# interval_ms below the admin's floor (--min-interval-ms, default 1000):
# the tenant does not pick the host's CPU bill; 0 (no timer) stays allowed
row ann_options_interval_below_floor ann 5 'options\.interval_ms \(io\.linx\.options\): refused: 1 is below the floor of 1000 ms' '{"io.linx.options":"interval_ms=1"}'
row doc_options_interval_below_floor doc 5 'options\.interval_ms \(io\.linx\.options\): refused: 999 is below the floor of 1000 ms' '{"options": {"interval_ms": 999}}'
row doc_options_interval_below_admin_floor doc 5 'refused: 4000 is below the floor of 5000 ms' '{"options": {"interval_ms": 4000}}' --min-interval-ms 5000
row cli_min_interval_not_a_number cli 2/2 '--min-interval-ms: "fast" is not a number of milliseconds' 'list --min-interval-ms fast'
row doc_options_interval_huge doc 3 'options\.interval_ms.*1e\+?300|options\.interval_ms' '{"options": {"interval_ms": 1e300}}'

# ------------------------------------------------------------------ sysctls
row sysctl_dotdot doc 5 'sysctl "net/\.\./kernel/core_pattern".*refused: empty name segment' '{"sysctl": {"net/../kernel/core_pattern": "|/tmp/x"}}'
row sysctl_absolute doc 5 'sysctl "/proc/sys/kernel/core_pattern".*refused: an absolute path' '{"sysctl": {"/proc/sys/kernel/core_pattern": "|/tmp/x"}}'
row sysctl_empty_part doc 5 'sysctl "net\.\.ipv4\.ip_forward".*refused: empty name segment' '{"sysctl": {"net..ipv4.ip_forward": 1}}'
row sysctl_dot doc 5 'sysctl "\.".*refused: empty name segment' '{"sysctl": {".": 1}}'
row sysctl_trailing_slash doc 5 'sysctl "net/ipv4/".*refused: empty name segment' '{"sysctl": {"net/ipv4/": 1}}'
row sysctl_kernel doc 5 'sysctl "kernel\.core_pattern".*refused: only net\.\* sysctls' '{"sysctl": {"net.ipv4.ip_forward": 1, "kernel.core_pattern": "|/tmp/x"}}'
row sysctl_vm doc 5 'sysctl "vm\.overcommit_memory".*refused: only net\.\*' '{"sysctl": {"vm.overcommit_memory": 1}}'
row sysctl_host_global doc 5 'sysctl "net\.core\.rmem_max".*refused: net\.core\.rmem_max is host-global' '{"sysctl": {"net.core.rmem_max": 4194304}}'
row sysctl_global_effect doc 5 'sysctl "net\.netfilter\.nf_hooks_lwtunnel".*refused: .*has a global effect although a child namespace can write it' '{"sysctl": {"net.netfilter.nf_hooks_lwtunnel": 1}}'
row sysctl_write_only doc 5 'sysctl "net\.ipv4\.route\.flush" \(io\.linx\.sysctl\): refused: it cannot be read back' '{"sysctl": {"net.ipv4.route.flush": 1}}'
row sysctl_alias doc 5 'sysctl "net\.ipv4\.conf\.all\.forwarding" \(io\.linx\.sysctl\): refused: the same kernel setting as net\.ipv4\.ip_forward' '{"sysctl": {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.forwarding": 1}}'
row sysctl_space doc 5 'sysctl "net\.ipv4\.ip forward".*refused: invalid character' '{"sysctl": {"net.ipv4.ip forward": 1}}'
row sysctl_nul doc 3 'invalid JSON.*NUL|\\u0000' '{"sysctl": {"net.ipv4.ip_forward\u0000/../../kernel/core_pattern": 1}}'
row sysctl_newline_value doc 3 'sysctl\.net\.ipv4\.ip_forward.*\\x0a|sysctl\.net\.ipv4\.ip_forward.*newline' '{"sysctl": {"net.ipv4.ip_forward": "1\nkernel.core_pattern=|/tmp/x"}}'
row sysctl_two_spellings doc 3 'sysctl\.net/ipv4/ip_forward: duplicate sysctl "net/ipv4/ip_forward" \(same file as "net\.ipv4\.ip_forward"\)' '{"sysctl": {"net.ipv4.ip_forward": 1, "net/ipv4/ip_forward": 0}}'
row sysctl_value_too_long doc 3 'sysctl\.net\.ipv4\.ip_local_port_range: value too long \(5000 bytes, max 4096\)' '{"sysctl": {"net.ipv4.ip_local_port_range": "@5K@"}}'
row sysctl_into_host_netns host 5 'sysctl \(io\.linx\.sysctl\): refused: the target is the sidecar.s own network namespace' '{"sysctl": {"net.ipv4.ip_forward": @HOSTFWD@}}'
row rule_into_host_netns host 5 'network\.rules \(io\.linx\.rules\): refused: the target is the sidecar.s own network namespace' '{"network": {"rules": ["from 198.51.100.7 table 100 priority 1234"]}}'
row neighbour_into_host_netns host 5 'network\.neighbours \(io\.linx\.neighbours\): refused: the target is the sidecar.s own network namespace' '{"network": {"neighbours": ["198.51.100.8 lladdr 02:00:00:00:00:08 dev lo"]}}'
row sysctl_hook_host_netns_pid state 5 'sysctl \(io\.linx\.sysctl\): refused: the target is the sidecar.s own network namespace' '{"id":"a","status":"creating","pid":@HOSTPID@,"bundle":"@BUNDLE@","annotations":{"io.linx.sysctl":"net.ipv4.ip_forward=@HOSTFWD@"}}'
row sysctl_value_object doc 3 'sysctl\.net\.ipv4\.ip_forward.*object' '{"sysctl": {"net.ipv4.ip_forward": {"v": 1}}}'
row sysctl_host_netns_via_annotation ann 5 'sysctl "kernel\.core_pattern" \(io\.linx\.sysctl\): refused' '{"io.linx.sysctl":"kernel.core_pattern=|/tmp/x"}'

# ------------------------------------------------------------------ cgroups
row cg_negative pid 3 'cgroup\.pids\.max.*-5' '{"cgroup": {"pids.max": -5}}'
row cg_overflow pid 3 'cgroup\.memory\.max.*18446744073709551616' '{"cgroup": {"memory.max": "18446744073709551616"}}'
row cg_suffix_overflow pid 3 'cgroup\.memory\.max.*99999999999G' '{"cgroup": {"memory.max": "99999999999G"}}'
row cg_suffix_unknown pid 3 'cgroup\.memory\.max.*12X' '{"cgroup": {"memory.max": "12X"}}'
row cg_unknown_knob pid 3 'cgroup.*cgroup\.procs' '{"cgroup": {"cgroup.procs": 1}}'
row cg_path_knob pid 3 'cgroup.*\.\./pids\.max' '{"cgroup": {"../pids.max": 1}}'
row cg_weight_max pid 3 'cgroup\.cpu\.weight.*max' '{"cgroup": {"cpu.weight": "max"}}'
row cg_weight_range pid 3 'cgroup\.cpu\.weight.*10001' '{"cgroup": {"cpu.weight": 10001}}'
row cg_cpu_max_zero_period pid 3 'cgroup\.cpu\.max.*50000 0' '{"cgroup": {"cpu.max": "50000 0"}}'
row cg_cpu_max_words pid 3 'cgroup\.cpu\.max.*fast' '{"cgroup": {"cpu.max": "fast"}}'
row cg_cpu_max_extra pid 3 'cgroup\.cpu\.max.*50000 100000 7' '{"cgroup": {"cpu.max": "50000 100000 7"}}'
row cg_pids_boolean pid 3 'cgroup\.pids\.max: expected an integer or a string, got true' '{"cgroup": {"pids.max": true}}'
row cg_raise_pids pid 5 'pids\.max.*100.*50' '{"cgroup": {"pids.max": 100}}'
row cg_raise_memory_max pid 5 'memory\.max.*max.*67108864' '{"cgroup": {"memory.max": "max"}}'
row cg_raise_cpuset pid 5 'cgroup "cpuset\.cpus" \(io\.linx\.cgroup\): refused: 0-1 is above the spawn value 0' '{"cgroup": {"cpuset.cpus": "0-1"}}'
row cg_no_v1_file pid 3 'cgroup "memory\.high" \(io\.linx\.cgroup\): not possible on this cgroup v1 host: .*memory\.low' '{"cgroup": {"memory.high": "32M"}}'
row cg_root_cgroup root 5 'cgroup \(io\.linx\.cgroup\): refused: the target.s pids cgroup /sys/fs/cgroup/pids is a hierarchy.s root' '{"cgroup": {"pids.max": "max"}}'
row cg_shared_cgroup pns 5 'cgroup \(io\.linx\.cgroup\): refused: the target.s pids cgroup .* is shared: it holds pid [0-9]+, whose pid namespace is not the container init.s' '{"cgroup": {"pids.max": 10}}'

# ---------------------------------------------------------------- state dir
row statedir_untrusted_reconcile doc 5 'state dir .*/untrusted: owner uid [0-9]+, mode 0777: refused: it must be owned by root and not writable by group or others' '{"network": {"addresses": ["lo 10.0.0.2/32"]}}' --state-dir @UNTRUSTED@
row statedir_untrusted_hook ann 5 'state dir .*/untrusted: owner uid [0-9]+, mode 0777: refused' '{"io.linx.addresses":"lo 10.0.0.2/32"}' --state-dir @UNTRUSTED@
row statedir_id_group_writable doc 5 'state dir .*/gwdir/gwid: owner uid 0, mode 0775: refused' '{"network": {"addresses": ["lo 10.0.0.2/32"]}}' --state-dir @GWDIR@ --id gwid
row statedir_id_group_writable_hook ann 5 'state dir .*/gwdir/lxbad-[0-9]+: owner uid 0, mode 0775: refused' '{"io.linx.addresses":"lo 10.0.0.2/32"}' --state-dir @GWDIR@
# ------------------------------------------------ client commands (issue 15)
# (an ambiguous prefix needs two residents: tests/cli/test_ops.sh id_prefix)
row cli_id_unknown cli 4 'no resident sidecar matches "ffff" in ' 'status ffff'
row cli_id_invalid cli 2 'id "\.\./x": invalid' 'stop ../x'
row cli_events_no_id cli 2 'events: exactly one sidecar ID expected' 'events'
row cli_list_argument cli 2 'list: no arguments expected, got "x"' 'list x'
row cli_metrics_argument cli 2 'metrics: no arguments expected, got "x"' 'metrics x'
row cli_metrics_output_empty cli 2 '--output: empty path' 'metrics --output='
# -------------------------------------------- links and addresses (issues 10, 12)
# Interface names are what the kernel stores verbatim (SPEC.md "Policy").
# The old host veth flood: the kernel expanded %d, so every pass made another.
row link_name_percent_veth_flood ann 3/2 'io\.linx\.links: item 1 "rq%d veth peer rqp%d".*invalid interface name "rq%d": .%. \(the kernel would expand it\).*"rqp%d"' '{"io.linx.links":"rq%d veth peer rqp%d"}'
row link_master_percent ann 3 'io\.linx\.links: item 1 .*peer\.master: invalid interface name "br%d"' '{"io.linx.links":"eth0 veth peer lxbadp0 master br%d up"}' --allow-master 'br%d'
row link_peer_colon doc 3 'network\.links\[0\]\.peer\.name: invalid interface name "a:b": ./. and .:. are not allowed' '{"network": {"links": [{"name": "e0", "kind": "veth", "peer": {"name": "a:b"}}]}}'
row link_parent_dotdot doc 3 'network\.links\[0\]\.parent: invalid interface name "\.\.": "\." and "\.\." are not names' '{"network": {"links": [{"name": "m0", "kind": "macvlan", "parent": ".."}]}}'
row link_addr_dev_percent doc 3 'network\.addresses\[0\]: invalid interface name "e%d": .%.' '{"network": {"addresses": ["e%d 10.0.0.2/24"]}}'
row link_route_dev_percent doc 3 'network\.routes\[0\]: invalid interface name "e%d": .%.' '{"network": {"routes": ["10.1.0.0/16 dev e%d"]}}'
row link_addr_noprefixroute_string doc 3 'network\.addresses\[0\]\.noprefixroute: expected true or false, got "yes"' '{"network": {"addresses": [{"dev": "lo", "address": "10.0.0.2/24", "noprefixroute": "yes"}]}}'
row link_addr_noprefixroute_value ann 3 'io\.linx\.addresses: item 1 "lo 10\.0\.0\.2/24 noprefixroute 1": unknown word "1"' '{"io.linx.addresses":"lo 10.0.0.2/24 noprefixroute 1"}'
row link_mac_seven_octets doc 3 'network\.links\[0\]\.address: invalid MAC address "02:42:0a:00:00:02:03"' '{"network": {"links": [{"name": "lo", "address": "02:42:0a:00:00:02:03"}]}}'
row link_mac_multicast ann 3 'io\.linx\.links: item 1 .*address: "01:00:5e:00:00:01" is a multicast address' '{"io.linx.links":"lo address 01:00:5e:00:00:01"}'
row link_txqlen_negative doc 3 'network\.links\[0\]\.txqlen: -1 out of range \(0\.\.4294967295\)' '{"network": {"links": [{"name": "lo", "txqlen": -1}]}}'
row link_peer_mtu_zero ann 3 'io\.linx\.links: item 1 "eth0 veth peer lxbadp0 peer-mtu 0": peer\.mtu: 0 out of range \(68\.\.65535\)' '{"io.linx.links":"eth0 veth peer lxbadp0 peer-mtu 0"}'
row link_peer_prefix ann 5 'link "eth0" \(io\.linx\.links\): refused: peer "cni0" does not start with a --peer-prefix \(lx\)' '{"io.linx.links":"eth0 veth peer cni0 up"}' --peer-prefix lx
# The host's lo (mtu 65536) as a master: a peer may not lower its MTU.
row link_peer_mtu_below_master ann 5 'link "eth0" \(io\.linx\.links\): refused: peer mtu 1500 is below the mtu 65536 of its master "lo"' '{"io.linx.links":"eth0 veth peer lxbadp0 master lo mtu 1500 up"}' --allow-master lo

# --------------------------------------------------------------------------
# docs/bad-input.md: each row run once more, its actual message recorded.
class_of() {
	case $1 in
	state_*) echo "OCI state" ;;
	ann_*) echo "annotation" ;;
	doc_*) echo "desired document" ;;
	sysctl_*) echo "sysctl" ;;
	cg_*) echo "cgroup" ;;
	statedir_*) echo "state dir" ;;
	cli_*) echo "command line" ;;
	link_*) echo "link" ;;
	esac
}

gen_doc() {
	local r name kind rc input msg via p
	cat <<'EOF'
# Bad-input matrix

Generated by `BADINPUT_DOC=docs/bad-input.md tests/cli/test_bad_input.sh`
(as root) from the rows of that suite. For every row the suite checks the
exit code, that stderr is one `linx-sidecar: ...` line per problem naming the
field and the value, and that nothing changed: the target namespace's links,
addresses, routes and sysctls, a few host sysctls, the target's cgroup
limits, no state dir, no resident sidecar, no host veth.

Exit codes (SPEC.md): 0 done, 1 not converged (the message is the failed op
of the report on stdout), 2 usage, 3 invalid input, 4 target not found,
5 refused by policy. `via`: `hook` is `linx-sidecar hook createRuntime` with
the OCI state on stdin (annotations in the state or in the bundle's
config.json); `reconcile` is `linx-sidecar reconcile --netns PATH` (or
`--pid N` for cgroup rows) `--desired FILE`. Temporary paths are shown as
`…`, pids as `N`.

Decisions the rows pin down: a state without annotations whose bundle has
no config.json is a container that is not ours (exit 0: the hook is
installed globally and must cost nothing); a `dev` that does not exist is
exit 1, not 3 (the device may appear later and the resident loop heals);
two spellings of one sysctl (`net.ipv4.x`, `net/ipv4/x`) and values longer
than one write (4096 bytes) are refused before anything is applied; a
refused request leaves no state dir; a cgroup key this host cannot apply
(no v1 file: `memory.high`, `memory.min`, `memory.oom.group`; `io.weight`
without BFQ) is exit 3, invalid for this target, not a policy refusal.

`via` `linx-sidecar` rows are client commands run against the suite's state
dir (`--state-dir`); an ambiguous ID prefix (exit 2, the matches listed one
per line) needs two residents and is checked by tests/cli/test_ops.sh.

| row | input class | via | example | exit | message |
| --- | --- | --- | --- | --- | --- |
EOF
	for r in "${ROWS[@]}"; do
		eval "set -- $r"
		name=$1 kind=$2 rc=${3%/*} input=$5
		shift 5
		run_row "$kind" "$input" "$@"
		for p in $(pgrep -f -- "--state-dir $SD"); do kill "$p"; done
		rm -rf "$SD"
		[ "$RC" = "$rc" ] || echo "warning: $name: exit $RC, row says $rc" >&2
		if [ "$rc" = 1 ]; then
			msg=$(printf '%s\n' "$OUT" | grep -m1 FAILED | sed 's/^ *//')
		else
			msg=$ERR
		fi
		msg=${msg//$LX_TMP/…}
		msg=${msg//$'\n'/ / }
		[ "$kind" = cfg ] && input="config.json: $input"
		[ "$kind" = ann ] && input="annotations: $input"
		input=${input//@MIB@/<1 MiB of x>}
		input=${input//@5K@/<5000 digits>}
		input=${input//@NFT4097@/chain c { <4097 rules> \}}
		[ ${#input} -gt 110 ] && input="${input:0:107}..."
		[ ${#msg} -gt 200 ] && msg="${msg:0:197}..."
		msg=$(printf '%s' "$msg" | sed -E 's/\b(pid[ -])[0-9]+/\1N/g; s/netns-[0-9]+/netns-N/g')
		input=${input//|/\\|}
		msg=${msg//|/\\|}
		case $kind in
		state | ann | cfg) via=hook ;;
		cli) via=linx-sidecar ;;
		*) via=reconcile ;;
		esac
		[ $# -gt 0 ] && via="$via $*"
		printf '| %s | %s | %s | `%s` | %s | %s |\n' "$name" \
			"$(class_of "$name")" "$via" "$input" "$rc" "${msg:+\`$msg\`}"
	done
	cat <<'EOF'

## Hostile neighbours: state, processes, namespaces, the control socket

Rows that need a live sidecar, a reused pid or a full disk do not fit the
matrix above; `tests/cli/test_ownership.sh` (or the file a row names) runs each of them (real
processes, fresh namespaces) and checks the outcome named here.

| row | input class | via | example | exit | outcome |
| --- | --- | --- | --- | --- | --- |
| poststop_never_signals_a_stranger | pid file | hook poststop | `DIR/ID/pid` names an unrelated `sleep` (resident killed -9, pid reused); or a `resident.json` naming it with another start time | 0 | nothing signalled, the sleep lives, `DIR/ID` removed |
| state_bound_to_its_netns | state.json | reconcile --netns B --id ID | state.json written for namespace A under the same id (a reused netns inode gives the same `netns-INODE` id) | 0 | state set aside as `state.json.discarded`, event `state.discarded`; nothing in B deleted |
| one_owner_second_run | namespace | run --pid N --id OTHER | a live sidecar serves N's namespace | 5 | `` linx-sidecar: target: refused: its network namespace is served by sidecar ID (pid N): one namespace, one owner (use `linx-sidecar reconcile ID`) `` |
| one_owner_one_shot | namespace | reconcile --pid N | a live sidecar serves N's namespace | 5 | the same message; `plan`, `observe` and `reconcile ID` stay allowed |
| one_owner_live_id | OCI state | hook | id of a live sidecar, another container | 5 | `linx-sidecar: id ID: refused: sidecar ID is already running (pid N); stop it first`; the first sidecar untouched |
| failed_start_full_state_dir | state dir | hook | the state dir's filesystem is full (ENOSPC) | 1 | nothing left: no `DIR/ID`, no resident, no address |
| control_socket_long_state_dir | state dir | hook, status | a state dir of 100+ characters and a 64-hex id (`DIR/ID/control.sock` past `sun_path`'s 108 bytes) | 0 | hook, status and poststop work (the socket is reached through the id dir's fd) |
| control_client_stalls | control socket | a client | pipelines 4096 `status` requests, never reads; or connects and never sends | — | a deleted route is healed at once while it stalls; the client is dropped after the timeout |
| flap_renamed_away | another process | resident | a bridge of ours renamed away right after each create (no deletion), its events waking the sidecar | — | (tests/cli/test_flap.sh) retried at 50, 100, 200 ms ... (capped at the interval, or 30 s), never a create per event; report `backoff` with `reason` `flap`, event `flap.detected` per retry, not converged |
| flap_value_changed_back | another process | resident | a sysctl of ours changed back right after each write | — | (tests/cli/test_flap.sh) rewritten on the same backoff steps, reported the same way (`flap`, or `failing` when the readback already saw it changed) |
| heal_after_delete_is_not_a_flap | another process | resident | `ip link del` of our link as soon as it shows, for 2 s | — | (tests/cli/test_flap.sh) healed within one debounce every time: the deletion event resets the backoff of its kind |
| op_failing_under_events | monitor | resident | an op that fails the same way while unrelated events keep waking the loop | — | (tests/unit/test_loop.c) retried on the backoff steps only, reported `failing` with its error |
EOF
}

if [ -n "${BADINPUT_DOC:-}" ]; then
	setup || exit 1
	gen_doc >"$BADINPUT_DOC"
	exit 0
fi

setup || { echo "not ok bad_input_setup"; exit 1; }
echo "# ${#ROWS[@]} rows"
for r in "${ROWS[@]}"; do
	eval "set -- $r"
	t "$1" check_row "$@"
done
