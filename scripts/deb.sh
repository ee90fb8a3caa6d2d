#!/bin/sh
# Build the Debian package from the files git tracks (plus uncommitted
# edits), in a scratch copy: dpkg-buildpackage cleans the tree it builds in
# and writes into its parent directory. Leaves OUT/linx-sidecar_*.deb
# (OUT defaults to build-deb).
#   scripts/deb.sh [OUT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/build-deb}" && cd "${1:-$top/build-deb}" && pwd)
work=$(mktemp -d /tmp/lx-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/linx-sidecar"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/linx-sidecar")
# git describe for --version: the copy has no .git
desc=$(git -C "$top" describe --always --dirty 2>/dev/null || true)
(cd "$work/linx-sidecar" && GIT_DESCRIBE="$desc" dpkg-buildpackage -us -uc -b)
rm -f "$out"/linx-sidecar_*.deb
mv "$work"/linx-sidecar_*.deb "$out"/
ls "$out"/linx-sidecar_*.deb
