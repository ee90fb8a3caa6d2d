# Shared helpers for shell test suites (tests/cli, tests/e2e). Source it.
# A suite calls `t NAME CMD...`: runs CMD in a subshell; prints "ok NAME" or
# "not ok NAME"; `skip NAME WHY` for what this machine cannot run.
# Assertions inside CMD: `expect_eq A B what`, `expect_rc N cmd...`.
set -u
LX_BIN=${LX_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/linx-sidecar}
LX_TMP=$(mktemp -d /tmp/lx-t.XXXXXX)
LX_NETNS=()
trap 'lx_cleanup' EXIT

lx_cleanup_netns() {
	local n
	for n in "${LX_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	LX_NETNS=()
}
lx_cleanup() {
	lx_cleanup_netns
	rm -rf "$LX_TMP"
}

# Fresh named namespace, removed at exit: `ns=$(new_netns)` won't work (the
# array is set in a subshell), so call `new_netns VAR`.
new_netns() {
	local name="lxt$$-$RANDOM"
	ip netns add "$name" || return 1
	ip -n "$name" link set lo up
	LX_NETNS+=("$name")
	printf -v "$1" '%s' "$name"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"; }
expect_match() { [[ "$1" =~ $2 ]] || fail "${3:-value}: '$1' does not match /$2/"; }
expect_rc() {
	local want=$1; shift
	local rc=0
	"$@" || rc=$?
	[ "$rc" = "$want" ] || fail "exit code of '$*': expected $want, got $rc"
}

# A test runs under set -e in a subshell: any failing command or assertion
# fails it (capture expected failures with `rc=0; cmd || rc=$?`).
# Namespaces made by new_netns inside the test are removed when it ends.
t() {
	local name=$1; shift
	# ONLY=name runs one test of a suite
	[ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ] && return 0
	# Not `if ( ... )` nor `( ... ) || rc=$?`: bash ignores set -e in
	# everything run as the condition of if/&&/||, subshells included, so
	# a failing command would not fail the test. (Inside the test the same
	# holds for `f || x` and `if f`: f's own commands are not errexit-checked.)
	local rc
	( set -e; trap lx_cleanup_netns EXIT; "$@" )
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $name"
	else
		echo "not ok $name"
	fi
}
skip() { echo "skip $1: $2"; }

# Start `unshare -n sleep 600` in the background (a target with a network
# namespace of its own) and set $tpid once the child has entered it.
start_target() {
	unshare -n sleep 600 &
	tpid=$!
	for _ in $(seq 100); do
		[ "$(readlink /proc/$tpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.01
	done
}

# start_resident DESIRED ID LOG [ARGS...]: `linx-sidecar --pid $tpid` in the
# background with state in $SD; stderr appended to LOG. Sets $spid and
# returns once ready (control socket up, first pass reported); fails when
# the sidecar dies first (its log quoted) or is not ready within 5 s.
start_resident() {
	local d=$1 id=$2 log=$3
	shift 3
	"$LX_BIN" --pid "$tpid" --desired "$d" --state-dir "$SD" --id "$id" \
		"$@" 2>>"$log" &
	spid=$!
	for _ in $(seq 500); do
		[ -S "$SD/$id/control.sock" ] && [ -f "$SD/$id/report.json" ] && return 0
		wait_gone "$spid" 1 && fail "sidecar died: $(cat "$log")"
		sleep 0.01
	done
	fail "sidecar did not become ready"
}

# Wait until a process has ended: kill -0 succeeds on zombies, so read State.
wait_gone() {
	local pid=$1 ms=${2:-2000} i=0
	while [ $i -lt "$ms" ]; do
		local st
		st=$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.01; i=$((i + 10))
	done
	return 1
}

# Remove cgroup directories; a cgroup whose last task just died can stay
# busy for a moment, so retry (up to 1 s each). Never fails.
rmdir_cgroups() {
	local c
	for c in "$@"; do
		for _ in $(seq 50); do
			[ -d "$c" ] || break
			rmdir "$c" 2>/dev/null && break
			sleep 0.02
		done
	done
	true
}
