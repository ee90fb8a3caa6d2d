#!/bin/bash
# What an operator sees (issue 15): ids by unique prefix, pod names from
# CRI-O's io.kubernetes.* annotations, list / status / events, and the
# Prometheus exposition of `metrics` checked by promtool and against each
# sidecar's own status.
. "$(dirname "$0")/../lib.sh"

SD=$LX_TMP/state
PIDS=()   # targets: killed at exit (their sidecars follow them)
SPIDS=()  # sidecars started in the foreground: waited for

# start_hook ID [ANNOTATIONS-JSON]: a target and its hook-started sidecar.
# Sets tpid; the target is killed at exit, which ends the sidecar.
start_hook() {
	local id=$1 extra=${2:-'{}'}
	start_target
	PIDS+=("$tpid")
	jq -n --arg id "$id" --argjson pid "$tpid" --argjson extra "$extra" \
		'{ociVersion: "1.0.2", id: $id, status: "creating", pid: $pid, bundle: "/nonexistent",
		  annotations: ({"io.linx.links": "lo up",
		                 "io.linx.options": "interval_ms=2000; debounce_ms=10"} + $extra)}' \
		>"$LX_TMP/oci-$id.json"
	"$LX_BIN" hook createRuntime --state-dir "$SD" <"$LX_TMP/oci-$id.json" ||
		fail "hook $id failed"
}

stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}" "${SPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# the sidecars end with their targets and remove their state dirs
	for _ in $(seq 200); do [ -z "$(ls "$SD" 2>/dev/null)" ] && break; sleep 0.01; done
	true
}

H1=a60ffd13c7b2$$aaaa
H2=a60ffd13c7b2$$bbbb

test_id_prefix() {
	trap stop_all EXIT
	start_hook "$H1"
	start_hook "$H2"
	local out rc
	# a unique prefix is the sidecar
	out=$("$LX_BIN" status "${H1%aaa}" --state-dir "$SD" --json) || fail "status by prefix: exit $?"
	expect_eq "$(echo "$out" | jq -r .id)" "$H1" "status by prefix"
	# podman's 12 characters match both: ambiguous is a usage error naming both
	rc=0; out=$("$LX_BIN" status "${H1:0:12}" --state-dir "$SD" 2>&1) || rc=$?
	expect_eq "$rc" 2 "ambiguous prefix exit"
	expect_match "$out" "ambiguous" "ambiguous message"
	echo "$out" | grep -q "$H1" || fail "ambiguous message does not list $H1: $out"
	echo "$out" | grep -q "$H2" || fail "ambiguous message does not list $H2: $out"
	# unknown: exit 4, for every command that takes an ID
	local c
	for c in status reconcile stop events; do
		expect_rc 4 "$LX_BIN" $c ffff$$ --state-dir "$SD" 2>/dev/null
	done
	echo '{}' >"$LX_TMP/empty.json"
	expect_rc 4 "$LX_BIN" put ffff$$ --desired "$LX_TMP/empty.json" --state-dir "$SD" 2>/dev/null
	expect_rc 2 "$LX_BIN" put "${H1:0:12}" --desired "$LX_TMP/empty.json" --state-dir "$SD" 2>/dev/null
	# reconcile and put by prefix reach the right sidecar
	"$LX_BIN" reconcile "${H2%bbb}" --state-dir "$SD" >/dev/null || fail "reconcile by prefix"
	local st2
	st2=$("$LX_BIN" status "$H2" --state-dir "$SD" --json)
	expect_eq "$(jq -r .health.passes_by_trigger.manual <<<"$st2")" \
		"$(jq -r '.health.subsystems | length' <<<"$st2")" \
		"manual passes of $H2 (one per subsystem)"
	expect_eq "$("$LX_BIN" status "$H1" --state-dir "$SD" --json | jq -r .health.passes_by_trigger.manual)" 0 \
		"manual passes of $H1"
	# stop by prefix stops that one only
	"$LX_BIN" stop "${H1%aaa}" --state-dir "$SD" || fail "stop by prefix"
	for _ in $(seq 200); do [ -e "$SD/$H1" ] || break; sleep 0.01; done
	[ -e "$SD/$H1" ] && fail "$H1 still there after stop"
	# now the 12 characters are unique
	"$LX_BIN" status "${H1:0:12}" --state-dir "$SD" --json | jq -e ".id == \"$H2\"" >/dev/null ||
		fail "12-char prefix after stop"
}

test_pod_names_in_list_and_status() {
	trap stop_all EXIT
	local id=kube$$ out
	start_hook "$id" '{"io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": "web-0",
	                   "io.kubernetes.container.name": "POD"}'
	expect_eq "$(jq -r .pod_namespace "$SD/$id/meta.json")" shop "meta.json namespace"
	expect_eq "$(jq -r .pod_name "$SD/$id/meta.json")" web-0 "meta.json pod"
	out=$("$LX_BIN" list --state-dir "$SD")
	echo "$out" | grep -E "^${id:0:12} +shop/web-0/POD +$tpid +converged +ok " >/dev/null ||
		fail "list row: $out"
	out=$("$LX_BIN" list --state-dir "$SD" --json)
	expect_eq "$(echo "$out" | jq -r ".[] | select(.id == \"$id\") | .meta.pod_name")" web-0 "list --json pod"
	expect_eq "$(echo "$out" | jq -r ".[] | select(.id == \"$id\") | .pid")" "$tpid" "list --json pid"
	expect_eq "$(echo "$out" | jq -r ".[] | select(.id == \"$id\") | .sidecar_pid")" "$(cat "$SD/$id/pid")" \
		"list --json sidecar pid"
	out=$("$LX_BIN" status "$id" --state-dir "$SD")
	echo "$out" | grep -q "pod  *shop/web-0/POD" || fail "status pod line: $out"
	expect_eq "$("$LX_BIN" status "$id" --state-dir "$SD" --json | jq -r .meta.pod_namespace)" shop \
		"status --json meta"
	# a container without the annotations has no meta.json and a "-" name
	start_hook plain$$
	[ -e "$SD/plain$$/meta.json" ] && fail "meta.json without kubernetes annotations"
	"$LX_BIN" list --state-dir "$SD" | grep -E "^plain$$ +- +$tpid " >/dev/null || fail "list row without pod"
	true
}

test_list_shows_failing_and_backoff() {
	trap stop_all EXIT
	local id=fl$$ out
	# a gateway nobody can reach: every pass fails and backs off
	start_target; PIDS+=("$tpid")
	echo '{"network": {"links": [{"name": "lo", "up": true}], "routes": ["10.1.0.0/16 via 10.99.0.1"]},
	       "options": {"interval_ms": 1500, "debounce_ms": 10}}' >"$LX_TMP/f.json"
	"$LX_BIN" --pid "$tpid" --desired "$LX_TMP/f.json" --state-dir "$SD" --id "$id" 2>/dev/null &
	SPIDS+=($!)
	# the socket comes before the first pass, report.json after it
	for _ in $(seq 300); do [ -S "$SD/$id/control.sock" ] && [ -f "$SD/$id/report.json" ] && break; sleep 0.01; done
	out=$("$LX_BIN" list --state-dir "$SD")
	echo "$out" | grep -E "^$id +- +$tpid +diverged +backing off \(retry in [0-9.]+s\) " >/dev/null ||
		fail "list while backing off: $out"
	out=$("$LX_BIN" status "$id" --state-dir "$SD")
	echo "$out" | grep -q "last error  rtnl: create route 10.1.0.0/16 via 10.99.0.1.*ENETUNREACH" ||
		fail "status last error: $out"
	# applied/failed/pending of the last pass: the first one also put lo
	# up (1/1/0), each retry after it (50 ms, doubling) only fails (0/1/0)
	for _ in $(seq 100); do
		echo "$out" | grep -Eq "^  rtnl +diverged +0/1/0" && break
		sleep 0.02
		out=$("$LX_BIN" status "$id" --state-dir "$SD")
	done
	echo "$out" | grep -Eq "^  rtnl +diverged +0/1/0" || fail "status rtnl counts: $out"
	# 50 ms doubling reaches the 1.5 s cap within 2 s: then it is failing
	for _ in $(seq 40); do
		"$LX_BIN" list --state-dir "$SD" | grep -q "failing (retry in" && break
		sleep 0.1
	done
	"$LX_BIN" list --state-dir "$SD" | grep -q "failing (retry in" || fail "never failing at the cap"
	out=$("$LX_BIN" list --state-dir "$SD" --json)
	echo "$out" | jq -e ".[0].health.backing_off == true and .[0].converged == false and
	                     (.[0].health.next_retry_ms | type) == \"number\"" >/dev/null ||
		fail "list --json health: $out"
}

test_events_human_and_follow() {
	trap stop_all EXIT
	local id=ev$$ out n
	# quiet while the log is compared: no timer passes, the monitor's
	# echo of the first pass has come and gone
	start_hook "$id" '{"io.linx.options": "interval_ms=60000; debounce_ms=10"}'
	sleep 0.5
	out=$("$LX_BIN" events "${id:0:4}" --state-dir "$SD")
	# one line per event, local time first
	n=$(wc -l <"$SD/$id/events.log")
	expect_eq "$(echo "$out" | wc -l)" "$n" "one line per event"
	echo "$out" | head -1 | grep -Eq "^$(date +%Y-%m-%d) [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} pass.start +trigger=initial$" ||
		fail "first line: $(echo "$out" | head -1)"
	echo "$out" | grep -Eq " pass.complete +subsystem=rtnl trigger=initial pass=1 converged=true applied=1 failed=0$" ||
		fail "pass.complete line: $out"
	# --json: the log's own lines
	"$LX_BIN" events "$id" --state-dir "$SD" --json | cmp - "$SD/$id/events.log" || fail "--json is not the raw log"
	# --follow prints what comes later and ends when the sidecar does
	"$LX_BIN" events "$id" --follow --state-dir "$SD" >"$LX_TMP/follow.txt" &
	local fpid=$!
	sleep 0.3
	"$LX_BIN" reconcile "$id" --state-dir "$SD" >/dev/null
	for _ in $(seq 100); do grep -q "trigger=manual" "$LX_TMP/follow.txt" && break; sleep 0.02; done
	grep -q "pass.complete.*trigger=manual" "$LX_TMP/follow.txt" || fail "--follow missed the manual pass"
	"$LX_BIN" stop "$id" --state-dir "$SD"
	wait_gone "$fpid" 3000 || { kill "$fpid"; fail "--follow did not end with the sidecar"; }
	grep -q " teardown .*reason=\"stop requested\"" "$LX_TMP/follow.txt" || fail "--follow missed teardown: $(tail -3 "$LX_TMP/follow.txt")"
}

# metric VALUE of NAME{labels} in file
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

test_metrics_promtool_and_values() {
	trap stop_all EXIT
	local a=ma$$ b=mb$$ f=$LX_TMP/node/linx.prom s
	command -v promtool >/dev/null || fail "promtool missing (package prometheus)"
	# no timer passes while the numbers are compared (60 s interval)
	start_hook "$a" '{"io.kubernetes.pod.namespace": "ns1", "io.kubernetes.pod.name": "p\"q",
	                  "io.linx.options": "interval_ms=60000; debounce_ms=10"}'
	start_target; PIDS+=("$tpid")
	echo '{"network": {"links": [{"name": "lo", "up": true}], "routes": ["10.1.0.0/16 via 10.99.0.1"]},
	       "options": {"interval_ms": 60000, "debounce_ms": 10}}' >"$LX_TMP/f.json"
	"$LX_BIN" --pid "$tpid" --desired "$LX_TMP/f.json" --state-dir "$SD" --id "$b" 2>/dev/null &
	SPIDS+=($!)
	for _ in $(seq 300); do [ -S "$SD/$b/control.sock" ] && [ -f "$SD/$b/report.json" ] && break; sleep 0.01; done
	sleep 0.5 # the monitor's echo of the first pass has come and gone
	mkdir -p "$LX_TMP/node"
	# $b retries on a backoff (1.6 s, 3.2 s, ... by now): take the
	# exposition between two statuses that agree, so the numbers compared
	# are those of one moment
	local before after i
	for i in $(seq 10); do
		before=$(for s in "$a" "$b"; do "$LX_BIN" status "$s" --state-dir "$SD" --json | jq -c '[.report.pass, .health.passes]'; done)
		"$LX_BIN" metrics --state-dir "$SD" --output "$f" || fail "metrics exit $?"
		after=$(for s in "$a" "$b"; do
			"$LX_BIN" status "$s" --state-dir "$SD" --json >"$LX_TMP/st-$s.json"
			jq -c '[.report.pass, .health.passes]' "$LX_TMP/st-$s.json"; done)
		[ "$before" = "$after" ] && break
	done
	[ "$before" = "$after" ] || fail "sidecars never quiet for a moment"
	ls "$LX_TMP/node" | grep -v '^linx.prom$' && fail "temporary file left beside the output"
	promtool check metrics <"$f" || fail "promtool: $(promtool check metrics <"$f" 2>&1)"
	expect_eq "$(metric "$f" linx_sidecar_sidecars)" 2 sidecars
	for s in "$a" "$b"; do
		local st
		st=$(cat "$LX_TMP/st-$s.json")
		expect_eq "$(metric "$f" "linx_sidecar_up{id=\"$s\"}")" 1 "up $s"
		expect_eq "$(metric "$f" "linx_sidecar_converged{id=\"$s\"}")" \
			"$(echo "$st" | jq -r 'if .converged then 1 else 0 end')" "converged $s"
		expect_eq "$(metric "$f" "linx_sidecar_backing_off{id=\"$s\"}")" \
			"$(echo "$st" | jq -r 'if .health.backing_off then 1 else 0 end')" "backing_off $s"
		local t sub
		for t in initial timer monitor put manual; do
			expect_eq "$(metric "$f" "linx_sidecar_passes_total{id=\"$s\",trigger=\"$t\"}")" \
				"$(echo "$st" | jq -r .health.passes_by_trigger.$t)" "passes $t of $s"
		done
		for sub in $(echo "$st" | jq -r '.health.subsystems | keys[]'); do
			expect_eq "$(metric "$f" "linx_sidecar_ops_applied_total{id=\"$s\",subsystem=\"$sub\"}")" \
				"$(echo "$st" | jq -r .health.subsystems.$sub.applied)" "applied $sub of $s"
			expect_eq "$(metric "$f" "linx_sidecar_ops_failed_total{id=\"$s\",subsystem=\"$sub\"}")" \
				"$(echo "$st" | jq -r .health.subsystems.$sub.failed)" "failed $sub of $s"
		done
		# the exposition's total of passes is the report's pass number
		expect_eq "$(awk -v p="linx_sidecar_passes_total{id=\"$s\"," 'index($1, p) == 1 { n += $2 } END { print n }' "$f")" \
			"$(echo "$st" | jq -r .report.pass)" "passes of $s = report pass"
		expect_eq "$(metric "$f" "linx_sidecar_last_pass_duration_seconds{id=\"$s\"}" | awk '{ printf "%d", $1 * 1e6 + 0.5 }')" \
			"$(echo "$st" | jq -r .health.last_duration_us)" "duration of $s"
	done
	# a converged sidecar has an age since convergence; one that never converged has none
	metric "$f" "linx_sidecar_seconds_since_last_converged{id=\"$a\"}" | grep -Eq '^[0-9.e-]+$' ||
		fail "no seconds_since_last_converged for $a"
	[ -z "$(metric "$f" "linx_sidecar_seconds_since_last_converged{id=\"$b\"}")" ] ||
		fail "seconds_since_last_converged for a sidecar that never converged"
	expect_eq "$(metric "$f" "linx_sidecar_ops_failed_total{id=\"$b\",subsystem=\"rtnl\"}" | awk '{ print ($1 > 0) }')" 1 \
		"failed ops counted"
	# label values escaped: the pod name holds a quote
	grep -qF "linx_sidecar_info{id=\"$a\",pod_namespace=\"ns1\",pod_name=\"p\\\"q\",container=\"\"} 1" "$f" ||
		fail "info line: $(grep info "$f")"
	# stdout form is the same exposition
	"$LX_BIN" metrics --state-dir "$SD" | promtool check metrics || fail "stdout exposition"
	# an empty node: zero sidecars, still valid
	"$LX_BIN" metrics --state-dir "$LX_TMP/none" | promtool check metrics || fail "empty exposition"
	expect_eq "$("$LX_BIN" metrics --state-dir "$LX_TMP/none" | metric /dev/stdin linx_sidecar_sidecars)" 0 "empty node"
	# an unwritable output is exit 1 and leaves nothing
	expect_rc 1 "$LX_BIN" metrics --state-dir "$SD" --output "$LX_TMP/no/such/dir/x.prom" 2>/dev/null
}

# COMMAND --help: that command's usage and help (exit 0, also after other
# options, and as --help COMMAND), not the global usage.
test_help_per_command() {
	local c out global
	global=$("$LX_BIN" --help) || fail "--help exit $?"
	for c in hook run reconcile plan observe status stop put list events metrics; do
		out=$("$LX_BIN" $c --help) || fail "$c --help exit $?"
		expect_match "$(echo "$out" | head -1)" "^usage: linx-sidecar $c( |\$)" "$c --help first line"
		[ "$out" != "$global" ] || fail "$c --help prints the global usage"
		[ "$(echo "$out" | wc -l)" -ge 3 ] || fail "$c --help says nothing: $out"
		expect_eq "$("$LX_BIN" $c --state-dir /nonexistent --help)" "$out" "$c --help after an option"
		expect_eq "$("$LX_BIN" --help $c)" "$out" "--help $c"
	done
	"$LX_BIN" events --help | grep -q -- "--follow" || fail "events --help lacks --follow"
	"$LX_BIN" metrics --help | grep -q -- "--output" || fail "metrics --help lacks --output"
	"$LX_BIN" status --help | grep -q "unique prefix" || fail "status --help lacks the prefix rule"
}

t help_per_command test_help_per_command
t id_prefix test_id_prefix
t pod_names_in_list_and_status test_pod_names_in_list_and_status
t list_shows_failing_and_backoff test_list_shows_failing_and_backoff
t events_human_and_follow test_events_human_and_follow
t metrics_promtool_and_values test_metrics_promtool_and_values
