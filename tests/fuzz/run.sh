#!/bin/bash
# Build the libFuzzer harnesses into build-fuzz/ and run each for SECONDS
# (default 60). Fails when any harness finds a crash, leak or UB; the
# crashing input is left in build-fuzz/artifacts/ (add it to
# tests/fuzz/corpus/<harness>/ once fixed, so it stays a regression test).
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]
set -euo pipefail
secs=${1:-60}; shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-fuzz
cc=${FUZZ_CC:-clang}
harnesses=${*:-fuzz_oci_state fuzz_annotations fuzz_grammar fuzz_desired}

# Only the parsing code: no netlink, no sysctl/cgroup I/O.
srcs=(lib/model.c lib/error.c lib/format.c lib/op.c lib/desired.c oci/*.c)
flags=(-std=gnu11 -g -O1 -D_GNU_SOURCE -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$root/lib" -I"$root/oci" $(pkg-config --cflags jansson))
libs=$(pkg-config --libs jansson)

mkdir -p "$out/artifacts"
cd "$root"
for h in $harnesses; do
	echo "== build $h"
	$cc "${flags[@]}" -o "$out/$h" "tests/fuzz/$h.c" "${srcs[@]}" $libs
done

status=0
for h in $harnesses; do
	mkdir -p "$out/corpus/$h" "tests/fuzz/corpus/$h"
	echo "== run $h for ${secs}s"
	# New units go to build-fuzz/corpus; the checked-in seeds (and past
	# crashers) are read from tests/fuzz/corpus and run first.
	if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	     "$out/$h" -max_total_time="$secs" -max_len=8192 -timeout=10 \
	     -dict=tests/fuzz/linx.dict -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" \
	     "$out/corpus/$h" "tests/fuzz/corpus/$h" >"$out/$h.log" 2>&1; then
		echo "FAIL $h (see $out/$h.log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out/$h.log" | head -20
		status=1
	else
		echo "ok $h: $(grep -E '^stat::number_of_executed_units' "$out/$h.log" | awk '{print $2}') execs"
	fi
done
exit $status
