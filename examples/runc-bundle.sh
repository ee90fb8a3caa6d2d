#!/bin/sh
# Make a runc/crun bundle whose container gets its network from linx-sidecar.
#
#   examples/runc-bundle.sh BUNDLE_DIR ROOTFS [LINX_SIDECAR]
#   runc run -d --bundle BUNDLE_DIR web-42 </dev/null >/dev/null 2>&1
#   ip addr add 10.213.42.1/24 dev lxh-web42     # host side is yours to set up
#   linx-sidecar status web-42
#   runc kill web-42 KILL; runc delete web-42
#
# Needs runc (for `runc spec`) and jq. The annotations are what a container's
# owner writes; the hook arguments (policy) are what the host's admin writes.
set -eu
bundle=${1:?usage: runc-bundle.sh BUNDLE_DIR ROOTFS [LINX_SIDECAR]}
rootfs=$(cd "${2:?rootfs directory}" && pwd)
bin=${3:-/usr/local/bin/linx-sidecar}

mkdir -p "$bundle"
cd "$bundle"
rm -f config.json
runc spec
jq --arg root "$rootfs" --arg bin "$bin" '
	.process.args = ["sleep", "infinity"]
	| .process.terminal = false
	| .root = {path: $root, readonly: true}
	# a network namespace of its own (runc spec has one; make sure)
	| .linux.namespaces |= (map(select(.type != "network")) + [{type: "network"}])
	| .annotations = {
		"io.linx.links": "lo up; eth0 veth peer lxh-web42 mtu 1500 up",
		"io.linx.addresses": "eth0 10.213.42.2/24; eth0 fd42:4c58::2/64 nodad",
		"io.linx.routes": "default via 10.213.42.1; 10.1.0.0/16 via 10.213.42.254 metric 100",
		"io.linx.sysctl": "net.ipv4.ip_forward=1; net.ipv4.ip_local_port_range=1024 65000",
		"io.linx.cgroup": "pids.max=100; memory.max=256M",
		"io.linx.options": "interval_ms=30000; debounce_ms=50"
	}
	# JSON works too in config.json (not through podman --annotation):
	# "io.linx.links": "[{\"name\":\"eth0\",\"kind\":\"veth\",\"up\":true,\"peer\":{\"name\":\"lxh-web42\",\"up\":true}}]"
	| .hooks = {
		createRuntime: [{path: $bin, args: ["linx-sidecar", "hook", "createRuntime",
			"--allow-sysctl", "net.ipv4."], timeout: 30}],
		poststop: [{path: $bin, args: ["linx-sidecar", "hook", "poststop"], timeout: 30}]
	}' config.json >config.json.new
mv config.json.new config.json
echo "bundle ready: $bundle/config.json"
