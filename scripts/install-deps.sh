#!/usr/bin/env bash
# Installs what swift-vmm's tests and benchmarks need on a fresh Debian machine:
# gcc, binutils and make build the test guests; QEMU is the reference peer;
# xz and dpkg-deb unpack Debian's kernel for the Linux boot tests; iproute2
# makes the TAP devices of the virtio-net tests; iasl (acpica-tools) disassembles
# and recompiles the generated ACPI tables.
# Safe to run again: it installs only what is missing.
set -euo pipefail

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v as >/dev/null || need+=(binutils)
command -v make >/dev/null || need+=(make)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v nm >/dev/null || need+=(binutils)
# The Linux boot tests fetch Debian's kernel package and unpack it (scripts/fetch-linux.sh).
command -v xz >/dev/null || need+=(xz-utils)
command -v dpkg-deb >/dev/null || need+=(dpkg)
# The virtio-net tests make TAP devices and addresses with ip(8).
command -v ip >/dev/null || need+=(iproute2)
# The ACPI table test runs iasl -d on the tables the VMM generates.
command -v iasl >/dev/null || need+=(acpica-tools)

if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing ${need[*]}; run as root or install them (apt-get install ${need[*]})" >&2
        exit 1
    fi
    echo "install-deps: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
