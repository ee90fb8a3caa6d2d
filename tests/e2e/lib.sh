# Helpers for the end-to-end suites (real runtimes: runc, crun, podman).
# Source it after nothing else: it sources tests/lib.sh.
#
# Everything a test creates is recorded and removed at exit (containers, host
# veth peers, state dirs), also when a test fails half-way.
#
#   e2e_rootfs                    cached busybox rootfs + tarball (once per host)
#   e2e_bundle B                  runc bundle in B: sleep 3600, no terminal, netns
#   e2e_annotate B KEY VALUE      add an annotation to B/config.json
#   e2e_hooks B PATH ARG...       createRuntime hook PATH ARG... hook createRuntime
#                                 + poststop hook PATH ARG... hook poststop
#                                 (ARG0 first, e.g. linx-sidecar; policy flags after)
#   e2e_runc_run B ID             runc run -d; sets E2E_MS (wall ms) and E2E_ERR
#   e2e_crun_run B ID             same through the cgroup workaround
#   e2e_podman_setup              containers.conf + imported image (once)
#   e2e_podman ARGS...            podman with the private config/storage
#   e2e_hooks_dir D BINDIR POL... hooks.d from hooks/*.json, policy appended
#   e2e_standin DIR               stand-in hook DIR/bin/linx-sidecar
#   e2e_t NAME FUNC               `t` with per-test cleanup of what FUNC made
#   e2e_init_pid RT ID            container init pid (RT = runc|crun|podman)
#   e2e_gone ID STATEDIR [IF]     assert no sidecar, no state dir, no host veth
# shellcheck shell=bash
E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_HERE/../.." && pwd)
# shellcheck source=../lib.sh
. "$E2E_TOP/tests/lib.sh"

E2E_CACHE=${E2E_CACHE:-/var/tmp/linx-e2e}
E2E_ROOTFS=$E2E_CACHE/rootfs
E2E_TARBALL=$E2E_CACHE/rootfs.tar
E2E_IMAGE=localhost/linx-e2e-busybox:latest
E2E_PODMAN_ROOT=$E2E_CACHE/podman-root
E2E_PODMAN_RUNROOT=/run/linx-e2e-podman
E2E_CONTAINERS=() # "runtime id" pairs still to delete
E2E_HOSTIFS=()    # host-side interfaces to delete
E2E_MS=0
E2E_ERR=

trap 'e2e_cleanup; lx_cleanup' EXIT

e2e_cleanup() {
	local c rt id
	for c in "${E2E_CONTAINERS[@]}"; do
		rt=${c%% *} id=${c#* }
		case $rt in
		runc) runc delete -f "$id" >/dev/null 2>&1 || true ;;
		crun) e2e_crun delete -f "$id" >/dev/null 2>&1 || true ;;
		podman) e2e_podman rm -f -t 0 "$id" >/dev/null 2>&1 || true ;;
		esac
	done
	# runs under the test's `set -e`: nothing here may fail
	for c in "${E2E_HOSTIFS[@]}"; do
		ip link del "$c" 2>/dev/null || true
	done
	return 0
}

# Short unique name for ids, interface names and subnets: 8 hex digits.
e2e_short() { printf '%04x%04x' $((RANDOM)) $(($$ & 0xffff)); }

# A busybox-static rootfs, built once and shared read-only by every container.
# The tarball is what `podman import` takes.
e2e_rootfs() {
	mkdir -p "$E2E_CACHE"
	(
		flock 9
		[ -x "$E2E_ROOTFS/bin/busybox" ] && [ -s "$E2E_TARBALL" ] && exit 0
		local bb=/bin/busybox tmp
		if ! dpkg -L busybox-static 2>/dev/null | grep -qx /bin/busybox; then
			tmp=$(mktemp -d)
			(cd "$tmp" && apt-get download busybox-static >/dev/null &&
				dpkg-deb -x busybox-static_*.deb x) || exit 1
			bb=$tmp/x/bin/busybox
		fi
		rm -rf "$E2E_ROOTFS.new"
		mkdir -p "$E2E_ROOTFS.new"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root}
		install -m 0755 "$bb" "$E2E_ROOTFS.new/bin/busybox"
		local a
		for a in $("$bb" --list-full); do
			[ -e "$E2E_ROOTFS.new/$a" ] || ln -s /bin/busybox "$E2E_ROOTFS.new/$a"
		done
		printf 'root:x:0:0:root:/root:/bin/sh\n' >"$E2E_ROOTFS.new/etc/passwd"
		printf 'root:x:0:\n' >"$E2E_ROOTFS.new/etc/group"
		rm -rf "$E2E_ROOTFS" && mv "$E2E_ROOTFS.new" "$E2E_ROOTFS"
		tar -C "$E2E_ROOTFS" -cf "$E2E_TARBALL.new" . && mv "$E2E_TARBALL.new" "$E2E_TARBALL"
		[ -n "${tmp:-}" ] && rm -rf "$tmp"
		exit 0
	) 9>"$E2E_CACHE/.lock"
}

# runc bundle: the shared rootfs (read-only), `sleep 3600`, no terminal, a new
# network namespace (runc spec already lists one; asserted here).
e2e_bundle() {
	local b=$1
	e2e_rootfs || return 1
	mkdir -p "$b"
	rm -f "$b/config.json"
	(cd "$b" && runc spec) || return 1
	e2e_jq "$b" --arg root "$E2E_ROOTFS" '
		.process.args = ["sleep", "3600"] | .process.terminal = false
		| .root = {path: $root, readonly: true}
		| .hostname = "lx-e2e"
		| .linux.namespaces |= (map(select(.type != "network")) + [{type: "network"}])
		| .annotations = (.annotations // {})'
}

# Apply a jq filter to B/config.json in place.
e2e_jq() {
	local b=$1; shift
	jq "$@" "$b/config.json" >"$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

e2e_annotate() {
	e2e_jq "$1" --arg k "$2" --arg v "$3" '.annotations[$k] = $v'
}

# e2e_hooks B PATH ARG0 [POLICY...]: the hook invocation SPEC.md gives,
# `ARG0 hook createRuntime POLICY...` and `ARG0 hook poststop POLICY...`.
e2e_hooks() {
	local b=$1 path=$2 arg0=$3; shift 3
	local pol
	pol=$(jq -cn '$ARGS.positional' --args -- "$@")
	e2e_jq "$b" --arg p "$path" --arg a0 "$arg0" --argjson pol "$pol" '
		.hooks.createRuntime = [{path: $p, args: ([$a0, "hook", "createRuntime"] + $pol), timeout: 30}]
		| .hooks.poststop = [{path: $p, args: ([$a0, "hook", "poststop"] + $pol), timeout: 30}]'
}

# e2e_mark VAR: milliseconds from bash's clock into VAR. No $(date): a fork
# costs ~4 ms on a small VM and would be counted in every figure.
e2e_mark() { local t=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' "$((10#$t / 1000))"; }

# runc run -d with stdio on files (so no pipe to us stays open). Sets E2E_MS to
# the wall time `runc run -d` took and E2E_ERR to its stderr. Returns its rc.
e2e_runc_run() {
	local b=$1 id=$2 t0 t1 rc
	E2E_CONTAINERS+=("runc $id")
	e2e_mark t0
	runc run -d --bundle "$b" "$id" </dev/null >"$b/run.out" 2>"$b/run.err"
	rc=$?
	e2e_mark t1
	E2E_MS=$((t1 - t0))
	E2E_ERR=$(cat "$b/run.err")
	return $rc
}

# crun refuses this host's hybrid cgroup layout (cgroup2 at
# /sys/fs/cgroup/unified with no controllers): hide that mount in a private
# mount namespace for every crun command, so crun sees plain cgroup v1.
e2e_crun() {
	unshare -m --propagation private sh -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"
}

e2e_crun_run() {
	local b=$1 id=$2 t0 t1 rc
	E2E_CONTAINERS+=("crun $id")
	e2e_mark t0
	e2e_crun run -d --bundle "$b" "$id" </dev/null >"$b/run.out" 2>"$b/run.err"
	rc=$?
	e2e_mark t1
	E2E_MS=$((t1 - t0))
	E2E_ERR=$(cat "$b/run.err")
	return $rc
}

# podman 4.3 here has no registry and cannot raise RLIMIT_NOFILE: a private
# containers.conf (runc, cgroupfs, modest ulimits), private storage, and the
# busybox rootfs imported as an image.
e2e_podman_setup() {
	e2e_rootfs || return 1
	mkdir -p "$E2E_CACHE"
	cat >"$E2E_CACHE/containers.conf" <<-'EOF'
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "none"
	EOF
	export CONTAINERS_CONF=$E2E_CACHE/containers.conf
	(
		flock 9
		e2e_podman image exists "$E2E_IMAGE" && exit 0
		e2e_podman import "$E2E_TARBALL" "$E2E_IMAGE" >/dev/null
	) 9>"$E2E_CACHE/.podman.lock"
}

e2e_podman() {
	CONTAINERS_CONF=$E2E_CACHE/containers.conf podman \
		--root "$E2E_PODMAN_ROOT" --runroot "$E2E_PODMAN_RUNROOT" \
		--storage-driver vfs --cgroup-manager cgroupfs --runtime runc "$@"
}

# hooks.d for podman generated from hooks/*.json with @BINDIR@ = BINDIR and
# POLICY... appended to each hook's args (e.g. --state-dir DIR).
# Only the hooks.d files (linx-sidecar-*.json): podman refuses to start any
# container when a file in the hooks dir is not a hook (the config snippet).
# With LX_HOOKS_DIR set (an installed package: /usr/share/containers/oci/
# hooks.d), its files are used as they are installed, path included (it
# must be LX_BIN), only the policy appended.
e2e_hooks_dir() {
	local dir=$1 bindir=$2 f pol
	shift 2
	pol=$(jq -cn '$ARGS.positional' --args -- "$@")
	mkdir -p "$dir"
	if [ -n "${LX_HOOKS_DIR:-}" ]; then
		for f in "$LX_HOOKS_DIR"/linx-sidecar-*.json; do
			[ "$(jq -r .hook.path "$f")" = "$LX_BIN" ] || {
				echo "$f: hook path $(jq -r .hook.path "$f") is not $LX_BIN" >&2
				return 1
			}
			jq --argjson pol "$pol" '.hook.args += $pol' "$f" >"$dir/$(basename "$f")" || return 1
		done
		return 0
	fi
	for f in "$E2E_TOP"/hooks/linx-sidecar-*.json; do
		sed "s|@BINDIR@|$bindir|g" "$f" |
			jq --argjson pol "$pol" '.hook.args += $pol' >"$dir/$(basename "$f")" || return 1
	done
}

# e2e_podman_run NAME HOOKS_DIR ARGS...: `podman run -d --name NAME
# --hooks-dir HOOKS_DIR --network none ARGS...` (image and command at the
# end of ARGS), tracked for cleanup. Sets E2E_MS (the run's wall time), ID
# (podman's 64-hex id = the OCI id) and PID (the init); fails on either.
e2e_podman_run() {
	local name=$1 hooks=$2 t0 t1
	shift 2
	E2E_CONTAINERS+=("podman $name")
	e2e_mark t0
	e2e_podman run -d --name "$name" --hooks-dir "$hooks" --network none \
		"$@" >/dev/null || fail "podman run failed"
	e2e_mark t1
	E2E_MS=$((t1 - t0))
	ID=$(e2e_podman inspect -f '{{.Id}}' "$name")
	PID=$(e2e_init_pid podman "$name")
	[ "${PID:-0}" -gt 0 ] || fail "no init pid for $name"
}

e2e_init_pid() {
	local rt=$1 id=$2
	case $rt in
	runc) runc state "$id" | jq -r .pid ;;
	crun) e2e_crun state "$id" | jq -r .pid ;;
	podman) e2e_podman inspect -f '{{.State.Pid}}' "$id" ;;
	esac
}

# Pids of linx-sidecar processes whose command line names STATEDIR (each test
# uses its own --state-dir, so this finds exactly that test's sidecars).
e2e_sidecar_pids() {
	local dir=$1 p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		[[ $cmd == *linx-sidecar* && $cmd == *"$dir"* ]] || continue
		[ "$(awk '/^State:/{print $2}' "$p/status" 2>/dev/null)" = Z ] && continue
		echo "${p#/proc/}"
	done
}

# Poll CMD... every 10 ms for up to MS milliseconds until it succeeds.
e2e_until() {
	local ms=$1 i=0; shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 10))
		[ $i -le "$ms" ] || return 1
		sleep 0.01
	done
}

e2e_no_sidecar() { [ -z "$(e2e_sidecar_pids "$1")" ]; }
e2e_no_path() { [ ! -e "$1" ]; }
e2e_no_link() { ! ip link show "$1" >/dev/null 2>&1; }

# e2e_gone ID STATEDIR [HOSTIF] [MS]: within MS (default 1000) there is no
# sidecar process for this state dir, no STATEDIR/ID and no host interface.
e2e_gone() {
	local id=$1 dir=$2 hostif=${3:-} ms=${4:-1000}
	e2e_until "$ms" e2e_no_sidecar "$dir" ||
		fail "sidecar still running for $id: $(e2e_sidecar_pids "$dir")"
	e2e_until "$ms" e2e_no_path "$dir/$id" ||
		fail "state dir $dir/$id left behind: $(ls -A "$dir/$id" 2>&1 | tr '\n' ' ')"
	if [ -n "$hostif" ]; then
		e2e_until "$ms" e2e_no_link "$hostif" || fail "host interface $hostif left behind"
	fi
}

# Register a host interface for deletion at exit (in case teardown fails).
e2e_track_if() { E2E_HOSTIFS+=("$1"); }

# `e2e_t NAME FUNC`: tests/lib.sh `t`, with the cleanup trap set inside the
# test's subshell (bash does not run the parent's EXIT trap there), so what a
# failing test created is removed before the next test starts.
e2e_t() {
	local name=$1; shift
	t "$name" e2e_wrap "$@"
}
e2e_wrap() {
	E2E_CONTAINERS=() E2E_HOSTIFS=()
	trap 'e2e_cleanup' EXIT
	"$@"
}

# Stand-in hook: DIR/bin/linx-sidecar saves what the runtime gives it
# (stdin, argv, its stdio targets, cwd) under DIR/cap/N-STAGE.*, then prints
# DIR/say to stderr and exits with DIR/rc if those files exist, else 0.
e2e_standin() {
	local dir=$1
	mkdir -p "$dir/bin" "$dir/cap"
	cat >"$dir/bin/linx-sidecar" <<-EOF
		#!/bin/sh
		cap=$dir/cap
		n=\$(date +%s%N)-\$2
		fd0=\$(readlink /proc/\$\$/fd/0) fd1=\$(readlink /proc/\$\$/fd/1) fd2=\$(readlink /proc/\$\$/fd/2)
		fds=\$(ls /proc/\$\$/fd | tr '\n' ' ')
		cat >"\$cap/\$n.json"
		{ echo "argv: \$0 \$*"; echo "cwd: \$(pwd)"
		  echo "fd0: \$fd0"; echo "fd1: \$fd1"; echo "fd2: \$fd2"; echo "fds: \$fds"
		  echo "netns: \$(readlink /proc/\$\$/ns/net) mntns: \$(readlink /proc/\$\$/ns/mnt)"
		  echo "env: \$(env | cut -d= -f1 | sort | tr '\n' ' ')"; } >"\$cap/\$n.info"
		[ -f $dir/say ] && cat $dir/say >&2
		[ -f $dir/rc ] && exit \$(cat $dir/rc)
		exit 0
	EOF
	chmod 0755 "$dir/bin/linx-sidecar"
}

# Is the real binary there? Suites skip every test otherwise.
e2e_have_bin() { [ -x "$LX_BIN" ]; }
