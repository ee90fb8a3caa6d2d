#!/bin/sh
# The DaemonSet's init container: puts linx-sidecar and its hooks.d files on
# the node (both hostPath mounts). The binary is the .deb's; it goes with the
# shared libraries it needs except glibc's (the node's own loader and libc
# must stay a matched pair: nodes need glibc >= the image's, 2.36), behind a
# wrapper that points the loader at them. Each tree is replaced with one
# rename, so a runtime never runs half a copy; running sidecars keep their
# old binary until their containers end.
#   SRC   image root holding usr/bin/linx-sidecar   (default /)
#   DEST  node directory for the binary             (default /host/opt/linx-sidecar)
#   HOOKS node hooks.d directory                    (default /host/hooks.d)
#   HOOKS_SRC hooks.d files to install              (default /hooks.d)
set -eu
SRC=${SRC:-/}
DEST=${DEST:-/host/opt/linx-sidecar}
HOOKS=${HOOKS:-/host/hooks.d}
HOOKS_SRC=${HOOKS_SRC:-/hooks.d}
bin=$SRC/usr/bin/linx-sidecar

tmp=$DEST.new.$$
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/lib"
cp "$bin" "$tmp/bin/linx-sidecar"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
	case ${lib##*/} in
	libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
	*) cp -L "$lib" "$tmp/lib/" ;;
	esac
done
# The hook's path: finds its tree from its own location (the runtime execs
# it by its full path).
cat >"$tmp/bin/linx-sidecar-hook" <<'WRAPPER'
#!/bin/sh
top=${0%/bin/*}
LD_LIBRARY_PATH=$top/lib exec "$top/bin/linx-sidecar" "$@"
WRAPPER
chmod 0755 "$tmp/bin/linx-sidecar" "$tmp/bin/linx-sidecar-hook"
if [ -e "$DEST" ]; then
	rm -rf "$DEST.old"
	mv "$DEST" "$DEST.old"
fi
mv "$tmp" "$DEST"
rm -rf "$DEST.old"

mkdir -p "$HOOKS"
for f in "$HOOKS_SRC"/linx-sidecar-*.json; do
	cp "$f" "$HOOKS/.${f##*/}.tmp"
	mv "$HOOKS/.${f##*/}.tmp" "$HOOKS/${f##*/}"
done
echo "linx-sidecar: installed $("$DEST/bin/linx-sidecar-hook" --version 2>/dev/null || echo '(version unknown)') into $DEST, hooks into $HOOKS"
