#!/usr/bin/env bash
# Fetches Debian's stock x86-64 kernel for the Linux boot tests, without installing it:
#   scripts/fetch-linux.sh DIR
# leaves in DIR:
#   vmlinuz  the bzImage exactly as Debian ships it (boot protocol, setup header)
#   vmlinux  the ELF kernel inside it (the bzImage's XZ payload, decompressed), which
#            boots without running the decompressor: on a host whose KVM emulates
#            ring 0 (see shared HOST.md) decompressing 60 MB is too slow to wait for.
#   version  the package name
# Nothing is fetched again when DIR already holds all three.
set -euo pipefail

dir=${1:?usage: fetch-linux.sh DIR}
mkdir -p "$dir"
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/vmlinux" ] && [ -s "$dir/version" ]; then
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb xz; do
    command -v "$tool" >/dev/null || { echo "fetch-linux: $tool is not installed" >&2; exit 1; }
done

# The package linux-image-amd64 points at; refresh the lists once if it is unknown.
package_of() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'; }
package=$(package_of || true)
if [ -z "$package" ]; then
    apt-get update -qq
    package=$(package_of || true)
fi
[ -n "$package" ] || { echo "fetch-linux: apt knows no linux-image-amd64" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package" >/dev/null 2>&1) \
    || (cd "$work" && apt-get download "$package")
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
vmlinuz=$(ls "$work"/boot/vmlinuz-*)

# The payload is XZ-compressed (Debian's choice); find its magic and decompress.
offset=$(LC_ALL=C grep -aboP '\xFD7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1 || true)
[ -n "$offset" ] || { echo "fetch-linux: no XZ payload found in $vmlinuz" >&2; exit 1; }
tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream > "$work/vmlinux" 2>/dev/null || true
head -c 4 "$work/vmlinux" | grep -q "ELF" || { echo "fetch-linux: the payload is not an ELF kernel" >&2; exit 1; }

cp "$vmlinuz" "$dir/vmlinuz"
cp "$work/vmlinux" "$dir/vmlinux"
echo "$package" > "$dir/version"
