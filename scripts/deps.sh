#!/bin/sh
# Install what building, testing and the demo need on Debian 12. Idempotent:
# does nothing when every package is already installed.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev valgrind iproute2
libmnl-dev libjansson-dev libseccomp-dev libcriterion-dev
libnftables-dev libnftnl-dev nftables libnftables1
runc crun podman busybox-static containernetworking-plugins jq procps psmisc bc python3
scdoc man-db bash-completion prometheus python3-yaml debhelper dpkg-dev fakeroot"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
