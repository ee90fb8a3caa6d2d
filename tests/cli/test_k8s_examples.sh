#!/bin/bash
# examples/k8s cannot run here (no cluster, no CRI-O, no registry). What can
# be checked is checked: every manifest parses, the fields that must agree
# do (hook path under the hostPath the installer writes, anchored annotation
# regexes matching the pod and the sandbox only, hooks_dir, image tag =
# package version), install.sh really installs a runnable wrapper, and the
# pod's annotations are accepted and converged by the real hook.
. "$(dirname "$0")/../lib.sh"

TOP=$(cd "$(dirname "$0")/../.." && pwd)
K=$TOP/examples/k8s

test_manifests_agree() {
	python3 - "$K" "$TOP" <<'PY' || fail "manifest checks failed"
import glob, json, os, re, sys, tomllib, yaml

k, top = sys.argv[1], sys.argv[2]
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)

docs = {}
for f in sorted(glob.glob(os.path.join(k, "*.yaml"))):
    with open(f) as fh:
        ds = [d for d in yaml.safe_load_all(fh) if d is not None]
    check(ds, f + ": no document")
    for d in ds:
        check(isinstance(d, dict) and "apiVersion" in d and "kind" in d, f + ": not a manifest")
        docs[d["kind"]] = d
ds, pod = docs.get("DaemonSet"), docs.get("Pod")
check(ds is not None, "no DaemonSet")
check(pod is not None, "no Pod")

spec = ds["spec"]["template"]["spec"]
check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "selector does not match the template's labels")
vols = {v["name"]: v for v in spec["volumes"]}
init = spec["initContainers"][0]
env = {e["name"]: e["value"] for e in init.get("env", [])}
mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}

# container path -> node path, through the init container's hostPath mounts
def node_path(p):
    for name, mp in mounts.items():
        if p == mp or p.startswith(mp.rstrip("/") + "/"):
            hp = vols[name].get("hostPath")
            check(hp is not None, "volume %s is not a hostPath" % name)
            return hp["path"].rstrip("/") + p[len(mp.rstrip("/")):]
    bad.append("%s is on no hostPath mount" % p)
    return None

dest, hooks = node_path(env["DEST"]), node_path(env["HOOKS"])
check(dest == "/opt/linx-sidecar", "binary lands at %s, not /opt/linx-sidecar" % dest)
check(hooks == "/etc/containers/oci/hooks.d", "hooks land at %s" % hooks)
# install.sh renames DEST into place: DEST itself must not be a mount point
check(env["DEST"] not in mounts.values(), "DEST is a mount point (rename would fail)")

# image tag = package version (debian/changelog)
with open(os.path.join(top, "debian/changelog")) as fh:
    version = re.match(r"linx-sidecar \(([^)]+)\)", fh.readline()).group(1)
check(init["image"].endswith(":" + version), "image %s is not version %s" % (init["image"], version))
with open(os.path.join(k, "Containerfile")) as fh:
    cf = fh.read()
check(":%s ." % version in cf or ":%s\n" % version in cf, "Containerfile's build line is not tagged %s" % version)
check("ENTRYPOINT [\"/install.sh\"]" in cf and init["command"] == ["/install.sh"], "entry point")
check("COPY examples/k8s/hooks.d/ /hooks.d/" in cf, "hooks not copied to /hooks.d")

# hooks: the path is install.sh's wrapper under DEST on the node
with open(os.path.join(k, "install.sh")) as fh:
    inst = fh.read()
check('"$tmp/bin/linx-sidecar-hook"' in inst, "install.sh does not make bin/linx-sidecar-hook")
pod_ann = pod["metadata"]["annotations"]
sandbox = dict(pod_ann, **{"io.kubernetes.cri-o.ContainerType": "sandbox"})
app = dict(pod_ann, **{"io.kubernetes.cri-o.ContainerType": "container"})
bare = {"io.kubernetes.cri-o.ContainerType": "sandbox"}

def matches(when, ann):
    # oci-hooks(5): every key regex must match some annotation whose value
    # matches the value regex
    return all(any(re.search(kr, a) and re.search(vr, v) for a, v in ann.items())
               for kr, vr in when["annotations"].items())

stages = set()
for f in sorted(glob.glob(os.path.join(k, "hooks.d", "*.json"))):
    with open(f) as fh:
        h = json.load(fh)
    n = os.path.basename(f)
    check(h["version"] == "1.0.0", n + ": version")
    check(h["hook"]["path"] == dest + "/bin/linx-sidecar-hook", n + ": path " + h["hook"]["path"])
    check(h["hook"]["args"][1] == "hook" and h["hook"]["args"][2] in h["stages"], n + ": args")
    stages.update(h["stages"])
    for kr, vr in h["when"]["annotations"].items():
        check(kr.startswith("^") and kr.endswith("$"), n + ": key regex not anchored: " + kr)
    check(matches(h["when"], sandbox), n + ": does not match the pod's sandbox")
    check(not matches(h["when"], app), n + ": matches the pod's app containers too")
    check(not matches(h["when"], bare), n + ": matches a sandbox without io.linx annotations")
check(stages == {"createRuntime", "poststop"}, "stages: %s" % stages)

# the pod's annotations are io.linx members the hook knows
members = {"links", "addresses", "routes", "rules", "neighbours", "nftables", "sysctl", "cgroup", "options"}
for a in pod_ann:
    if a.startswith("io.linx."):
        check(a[len("io.linx."):] in members, "unknown annotation " + a)

# CRI-O reads the directory the DaemonSet writes and keeps infra containers
with open(os.path.join(k, "crio-hooks.conf"), "rb") as fh:
    crio = tomllib.load(fh)["crio"]["runtime"]
check(hooks in crio["hooks_dir"], "hooks_dir %s lacks %s" % (crio["hooks_dir"], hooks))
check(crio.get("drop_infra_ctr") is False, "drop_infra_ctr must be false")

for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
}

# install.sh against a scratch node, from a `make install` tree as the image root.
test_install_sh_installs_a_runnable_hook() {
	local img=$LX_TMP/img node=$LX_TMP/node out
	make -s -C "$TOP" -o all BUILD="$(dirname "$LX_BIN")" DESTDIR="$img" PREFIX=/usr install ||
		fail "make install"
	mkdir -p "$node/opt" "$node/hooks.d"
	SRC=$img DEST=$node/opt/linx-sidecar HOOKS=$node/hooks.d HOOKS_SRC=$K/hooks.d sh "$K/install.sh" ||
		fail "install.sh"
	[ -x "$node/opt/linx-sidecar/bin/linx-sidecar-hook" ] || fail "no wrapper"
	ls "$node/opt/linx-sidecar/lib" | grep -q '^libmnl\.so' || fail "libmnl not copied"
	ls "$node/opt/linx-sidecar/lib" | grep -Eq '^(libc\.so|ld-linux)' && fail "glibc copied"
	cmp "$node/hooks.d/linx-sidecar-createRuntime.json" "$K/hooks.d/linx-sidecar-createRuntime.json" ||
		fail "hook file"
	out=$("$node/opt/linx-sidecar/bin/linx-sidecar-hook" --help) || fail "wrapper --help exit $?"
	echo "$out" | grep -q "linx-sidecar hook" || fail "wrapper did not run linx-sidecar: $out"
	# a second run replaces the tree (rename), leaving nothing beside it
	SRC=$img DEST=$node/opt/linx-sidecar HOOKS=$node/hooks.d HOOKS_SRC=$K/hooks.d sh "$K/install.sh" >/dev/null ||
		fail "install.sh again"
	expect_eq "$(ls -A "$node/opt")" linx-sidecar "node /opt after a reinstall"
	expect_eq "$(ls -A "$node/hooks.d" | tr '\n' ' ')" "linx-sidecar-createRuntime.json linx-sidecar-poststop.json " "node hooks.d"
}

# The pod's annotations through the real hook, on a namespace shaped like
# CNI leaves it (eth0 10.244.1.2/24).
test_pod_annotations_converge() {
	local sd=$LX_TMP/sd id=k8s$$ peer=lxk$$ spid
	start_target
	trap 'kill -9 '$tpid' 2>/dev/null || true; ip link del '$peer' 2>/dev/null || true' EXIT
	ip link add "$peer" type veth peer name eth0 netns "$tpid"
	nsenter -t "$tpid" -n sh -c 'ip addr add 10.244.1.2/24 dev eth0 && ip link set eth0 up'
	python3 -c '
import json, sys, yaml
pod = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "Pod")
ann = dict(pod["metadata"]["annotations"])
ann.update({"io.kubernetes.pod.namespace": pod["metadata"]["namespace"],
            "io.kubernetes.pod.name": pod["metadata"]["name"],
            "io.kubernetes.container.name": "POD",
            "io.kubernetes.cri-o.ContainerType": "sandbox"})
print(json.dumps({"ociVersion": "1.0.2", "id": sys.argv[2], "status": "creating",
                  "pid": int(sys.argv[3]), "bundle": "/nonexistent", "annotations": ann}))
' "$K/pod.yaml" "$id" "$tpid" >"$LX_TMP/oci.json" || fail "state from pod.yaml"
	"$LX_BIN" hook createRuntime --state-dir "$sd" <"$LX_TMP/oci.json" 2>"$LX_TMP/hook.err" ||
		fail "hook refused the pod's annotations: $(cat "$LX_TMP/hook.err")"
	expect_match "$(nsenter -t "$tpid" -n ip route show 10.96.0.0/12)" "via 10.244.1.1 .*metric 50" "route"
	expect_eq "$(nsenter -t "$tpid" -n sysctl -n net.ipv4.tcp_keepalive_time)" 120 "sysctl"
	"$LX_BIN" list --state-dir "$sd" | grep -q "shop/web-0/POD" || fail "list: $("$LX_BIN" list --state-dir "$sd")"
	spid=$(cat "$sd/$id/pid")
	kill -9 "$tpid"
	wait_gone "$spid" 2000 || fail "sidecar outlived the target"
}

t manifests_agree test_manifests_agree
t install_sh_installs_a_runnable_hook test_install_sh_installs_a_runnable_hook
t pod_annotations_converge test_pod_annotations_converge
