#!/bin/bash
# make install / make uninstall with PREFIX and DESTDIR: the binary, the man
# page (rendered by man -l), the bash completion (found by bash-completion's
# loader and completing commands, options and resident ids), hooks.d files
# naming the installed binary, systemd units, examples; uninstall leaves
# nothing behind.
. "$(dirname "$0")/../lib.sh"

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=$(dirname "$LX_BIN")
D=$LX_TMP/root

# `-o all`: install what this suite's build dir holds (plain, or the ASan
# build), never rebuild it with other flags.
mk() { make -s -C "$TOP" -o all BUILD="$BUILDDIR" DESTDIR="$D" PREFIX=/usr "$@"; }

test_install_layout() {
	mk install || fail "make install"
	local f
	for f in usr/bin/linx-sidecar usr/share/man/man8/linx-sidecar.8 \
		usr/share/bash-completion/completions/linx-sidecar \
		usr/share/containers/oci/hooks.d/linx-sidecar-createRuntime.json \
		usr/share/containers/oci/hooks.d/linx-sidecar-poststop.json \
		usr/lib/systemd/system/linx-sidecar@.service \
		usr/lib/systemd/system/linx-sidecar-metrics.service \
		usr/lib/systemd/system/linx-sidecar-metrics.timer \
		usr/share/doc/linx-sidecar/examples/desired.json \
		usr/share/doc/linx-sidecar/examples/k8s/daemonset.yaml; do
		[ -f "$D/$f" ] || fail "not installed: /$f"
	done
	[ -x "$D/usr/bin/linx-sidecar" ] || fail "binary not executable"
	cmp "$D/usr/bin/linx-sidecar" "$LX_BIN" || fail "installed binary is not the build's"
	for f in "$D"/usr/share/containers/oci/hooks.d/*.json; do
		expect_eq "$(jq -r .hook.path "$f")" /usr/bin/linx-sidecar "hook path in $(basename "$f")"
	done
	grep -q '^ExecStart=/usr/bin/linx-sidecar ' "$D/usr/lib/systemd/system/linx-sidecar-metrics.service" ||
		fail "metrics unit does not run the installed binary"
	# the example units reference nothing that does not exist
	grep -q "^ExecStart=/usr/local/bin" "$D"/usr/lib/systemd/system/* && fail "a unit still names /usr/local/bin"
	true
}

test_man_page_renders() {
	mk install || fail "make install"
	local out
	out=$(MANWIDTH=80 man -P cat -l "$D/usr/share/man/man8/linx-sidecar.8" 2>&1) || fail "man -l: $out"
	echo "$out" | head -1 | grep -q '^linx-sidecar(8)' || fail "man header: $(echo "$out" | head -1)"
	local s
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS POLICY ANNOTATIONS "EXIT STATUS" FILES EXAMPLES; do
		echo "$out" | grep -q "^$s" || fail "man page lacks section $s"
	done
	# every command of the usage text has its entry
	for s in hook run reconcile plan observe status stop put list events metrics; do
		echo "$out" | grep -Eq "^       $s( |,|$)" || fail "man page: no entry for $s"
	done
	echo "$out" | grep -q "linx_sidecar_ops_failed_total" || fail "man page: metrics not described"
	# no scdoc markup left over
	echo "$out" | grep -E '(^|[^a-z])_[A-Z]+_|\*[a-z-]+\*' && fail "unrendered markup"
	true
}

# complete WORDS...: what the installed completion offers for the last word
complete_words() {
	BASH_COMPLETION_USER_DIR=$LX_TMP/none XDG_DATA_DIRS=$D/usr/share bash -c '
		. /usr/share/bash-completion/bash_completion
		complete -r linx-sidecar 2>/dev/null
		__load_completion linx-sidecar || { echo "LOAD FAILED"; exit 1; }
		complete -p linx-sidecar | grep -q "_linx_sidecar" || { echo "NOT REGISTERED"; exit 1; }
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_linx_sidecar linx-sidecar "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$@"
}

test_completion_loads_and_completes() {
	mk install || fail "make install"
	expect_eq "$(complete_words linx-sidecar ev | tr '\n' ' ')" "events " "command"
	expect_eq "$(complete_words linx-sidecar s | tr '\n' ' ')" "status stop " "commands"
	expect_eq "$(complete_words linx-sidecar events --f | tr '\n' ' ')" "--follow " "events option"
	expect_eq "$(complete_words linx-sidecar metrics --o | tr '\n' ' ')" "--output " "metrics option"
	expect_eq "$(complete_words linx-sidecar hook c | tr '\n' ' ')" "createRuntime " "hook stage"
	expect_eq "$(complete_words linx-sidecar - | grep -c -- --version)" 1 "--version offered"
	# resident ids of the state dir named on the line (a pid file each)
	mkdir -p "$LX_TMP/sd/a60ffd13c7b2aa" "$LX_TMP/sd/a60ffd13c7b2bb" "$LX_TMP/sd/pid-7"
	echo 1 >"$LX_TMP/sd/a60ffd13c7b2aa/pid"; echo 1 >"$LX_TMP/sd/a60ffd13c7b2bb/pid"
	expect_eq "$(complete_words linx-sidecar status --state-dir "$LX_TMP/sd" a6 | tr '\n' ' ')" \
		"a60ffd13c7b2aa a60ffd13c7b2bb " "ids"
}

test_uninstall_removes_everything() {
	mk install || fail "make install"
	mk uninstall || fail "make uninstall"
	local left
	left=$(find "$D" -type f -o -type l)
	[ -z "$left" ] || fail "left after uninstall: $left"
}

# --version: the Makefile's VERSION (the package's too), git describe when
# built from git.
test_version_matches_package() {
	local v deb out
	v=$(sed -n 's/^VERSION := //p' "$TOP/Makefile")
	deb=$(sed -n '1s/^linx-sidecar (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
	expect_eq "$deb" "$v" "debian/changelog version"
	out=$("$LX_BIN" --version) || fail "--version exit $?"
	expect_match "$out" "^linx-sidecar ${v//./\\.}( \\(git [0-9a-z.-]+\\))?$" "--version"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		expect_match "$out" "\\(git " "--version from a git tree"
	fi
	grep -q -- "--version" <<<"$("$LX_BIN" --help)" || fail "--help does not mention --version"
}

t version_matches_package test_version_matches_package
t install_layout test_install_layout
t man_page_renders test_man_page_renders
t completion_loads_and_completes test_completion_loads_and_completes
t uninstall_removes_everything test_uninstall_removes_everything
