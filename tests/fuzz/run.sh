#!/bin/bash
# Build the libFuzzer harnesses into build-fuzz/ and run each for SECONDS
# (default 60), one at a time. Fails when any harness finds a crash, leak or
# UB; the crashing input is left in build-fuzz/artifacts/ (add it to
# tests/fuzz/corpus/<harness>/ once fixed, so it stays a regression test).
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]
# Without HARNESS names, every tests/fuzz/fuzz_*.c is built and run.
set -euo pipefail
secs=${1:-60}; shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-fuzz
cc=${FUZZ_CC:-clang}
cd "$root"
if [ $# -gt 0 ]; then
	harnesses=$*
else
	harnesses=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi

# Only the pure code: parsers, codecs and the diff. Nothing here opens a
# socket or touches sysctl/cgroup files.
# The route, rule and neighbour models come with their codecs (one file
# per object); linking them opens nothing.
srcs=(lib/model.c lib/error.c lib/json_fast.c lib/format.c lib/jsonw.c lib/op.c lib/desired.c lib/grammar.c lib/link_grammar.c lib/cgroup_keys.c lib/nft_text.c
      lib/grammar_route.c lib/route.c lib/rule.c lib/neigh.c lib/addr.c lib/nl.c oci/*.c)
# fuzz_netlink also links the reconciler's pure half.
nl_srcs=(lib/link.c lib/rtnl.c lib/rtnl_tagged.c lib/owned_log.c lib/report.c lib/source.c)
flags=(-std=gnu11 -g -O1 -D_GNU_SOURCE -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/lib" -I"$root/oci" $(pkg-config --cflags jansson libmnl))
libs=$(pkg-config --libs jansson libmnl)

mkdir -p "$out/artifacts"
for h in $harnesses; do
	echo "== build $h"
	extra=()
	[ "$h" = fuzz_netlink ] && extra=("${nl_srcs[@]}")
	$cc "${flags[@]}" -o "$out/$h" "tests/fuzz/$h.c" "${srcs[@]}" \
	    ${extra[@]+"${extra[@]}"} $libs
done

status=0
for h in $harnesses; do
	mkdir -p "$out/corpus/$h" "tests/fuzz/corpus/$h"
	dict=tests/fuzz/linx.dict
	[ -f "tests/fuzz/$h.dict" ] && dict=tests/fuzz/$h.dict
	echo "== run $h for ${secs}s"
	# New units go to build-fuzz/corpus; the checked-in seeds (and past
	# crashers) are read from tests/fuzz/corpus and run first.
	if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	     "$out/$h" -max_total_time="$secs" -max_len=8192 -timeout=10 \
	     -dict="$dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" \
	     "$out/corpus/$h" "tests/fuzz/corpus/$h" >"$out/$h.log" 2>&1; then
		echo "FAIL $h (see $out/$h.log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out/$h.log" | head -20
		status=1
	else
		echo "ok $h: $(grep -E '^stat::number_of_executed_units' "$out/$h.log" | awk '{print $2}') execs," \
		     "$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$out/$h.log" | tail -1)"
	fi
done
exit $status
