#!/bin/bash
# Run the test suites and print one closing line "N passed, N failed, N skipped".
#   tests/run.sh BUILD_DIR [unit|netns|cli|e2e|load]...
# Criterion binaries (tests/unit, tests/netns) and shell suites (tests/cli,
# tests/e2e, tests/load: each prints "ok NAME", "not ok NAME: why" or
# "skip NAME: why"). `load` is not in the default list: it takes minutes
# (make load).
set -u
build=${1:-build}; shift || true
suites=${*:-unit netns cli e2e}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build"
export LX_BIN=${LX_BIN:-$(cd "$build" && pwd)/linx-sidecar}
passed=0 failed=0 skipped=0
log=$(mktemp -d /tmp/lx-tests.XXXXXX)

run_criterion() {
	local bin=$1 out
	out=$("$bin" --jobs=1 2>&1); local rc=$?
	echo "$out" | grep -E '^\[(----|FAIL|SKIP)\]|Synthesis' | sed "s|^|$(basename "$bin"): |"
	local syn
	syn=$(echo "$out" | grep -o 'Tested: [0-9]* | Passing: [0-9]* | Failing: [0-9]* | Crashing: [0-9]*' | tail -1)
	if [ -z "$syn" ]; then
		echo "$(basename "$bin"): no synthesis (rc=$rc)"; echo "$out" | tail -20
		failed=$((failed + 1)); return
	fi
	local p f c
	p=$(echo "$syn" | sed 's/.*Passing: \([0-9]*\).*/\1/')
	f=$(echo "$syn" | sed 's/.*Failing: \([0-9]*\).*/\1/')
	c=$(echo "$syn" | sed 's/.*Crashing: \([0-9]*\).*/\1/')
	local s
	s=$(echo "$out" | grep -c '^\[SKIP\]' || true)
	passed=$((passed + p)); failed=$((failed + f + c)); skipped=$((skipped + s))
	[ "$rc" = 0 ] || [ $((f + c)) -gt 0 ] || { echo "$(basename "$bin"): exit $rc"; failed=$((failed + 1)); }
}

# run_shell SUITE_FILE [figures]: with "figures", also print the suite's
# "# ..." lines (measurements) and its duration.
run_shell() {
	local t=$1 out t0=$SECONDS
	out="$log/$(basename "$t").log"
	bash "$t" >"$out" 2>&1; local rc=$?
	local p f s
	p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out"); s=$(grep -c '^skip ' "$out")
	if [ "${2:-}" = figures ]; then
		grep -E '^# ' "$out" | sed "s|^|$(basename "$t"): |"
		echo "$(basename "$t"): # took $((SECONDS - t0)) s"
	fi
	grep -E '^(ok|not ok|skip) ' "$out" | sed "s|^|$(basename "$t"): |"
	if [ "$f" -gt 0 ] || [ "$rc" != 0 ]; then
		echo "---- $(basename "$t") (rc=$rc), last lines:"; tail -25 "$out"
		[ "$f" = 0 ] && f=1
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for s in $suites; do
	case $s in
	unit|netns)
		for b in "$build"/tests/$s/test_*; do
			[ -x "$b" ] || continue
			run_criterion "$b"
		done ;;
	cli|e2e|load)
		for t in "$here"/$s/test_*.sh; do
			[ -f "$t" ] || continue
			run_shell "$t" "$([ "$s" = load ] && echo figures)"
		done ;;
	esac
done
echo "logs: $log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
