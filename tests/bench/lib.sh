# Sourced by the bench scripts: clocks, statistics, settling, targets.
# Times are microseconds from bash's clock or from spawn_time: never a fork
# inside a measured interval (a fork from bash costs ~1-4 ms on this VM).

# Reference programs, built by `make bench` (Makefile: $(BUILD)/bench/).
BENCH_BIN=${BENCH_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bench}
for p in spawn_time bare_routes bare_setup bare_idle heal; do
	[ -x "$BENCH_BIN/$p" ] || { echo "missing $BENCH_BIN/$p: run make bench" >&2; exit 2; }
done
# Each target's verdict is appended here; run.sh prints them at the end.
BENCH_SUMMARY=${BENCH_SUMMARY:-/dev/null}

# now VAR: microseconds into VAR, no fork.
now() { local t=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' "$((10#$t))"; }

# spawn_time IN OUT CMD...: CMD started as a runtime starts it
# (posix_spawn), its wall time from spawn to exit printed in us.
spawn_time() { "$BENCH_BIN/spawn_time" "$@"; }

# stats FILE: "median min max" of the numbers in FILE, one a line.
stats() { sort -n "$1" | awk '{a[NR]=$1} END{if (!NR) {print "0 0 0"; exit} print a[int((NR+1)/2)], a[1], a[NR]}'; }

# ms US: microseconds as milliseconds, 1 decimal (2 under 10 ms).
ms() { awk -v u="$1" 'BEGIN{printf(u < 10000 ? "%.2f" : "%.1f", u / 1000)}'; }

# show LABEL FILE: "LABEL median ms (min-max, n rounds)"; sets MED.
show() {
	local s
	s=$(stats "$2")
	set -- "$1" $s "$(wc -l <"$2")"
	MED=$2
	printf '  %-38s %8s ms  (%s-%s, %d rounds)\n' "$1" "$(ms "$2")" "$(ms "$3")" "$(ms "$4")" "$5"
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b ? a / b : 0}'; }

# target WHAT VALUE le|ge LIMIT DETAIL: prints and records the verdict of
# "VALUE <= LIMIT" (or >=), VALUE a ratio.
target() {
	local v
	v=$(awk -v x="$2" -v op="$3" -v l="$4" 'BEGIN{print ((op == "le" ? x <= l : x >= l) ? "met" : "MISSED")}')
	printf '  target: %s %sx (%s %sx) %s\n' "$1" "$2" "$([ "$3" = le ] && echo '<=' || echo '>=')" "$4" "$v"
	printf '%-6s %-58s %7sx %s %sx  %s\n' "$v" "$1" "$2" "$([ "$3" = le ] && echo '<=' || echo '>=')" "$4" "$5" >>"$BENCH_SUMMARY"
}

# settle: a deleted namespace is torn down by a kernel worker (cleanup_net)
# after `ip netns del` returns; wait until none is at work, so that one
# round's teardown is not measured in the next.
settle() {
	local i=0
	while [ $i -lt 100 ] && grep -qs cleanup_net /proc/[0-9]*/stack; do
		sleep 0.05; i=$((i + 1))
	done
}
