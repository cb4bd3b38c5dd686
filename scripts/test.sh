#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test.
# Tests that need /dev/kvm or QEMU print why they skip when those are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift test "$@"
