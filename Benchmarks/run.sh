#!/usr/bin/env bash
# swift-vmm's benchmarks, in one command (from the repository root):
#
#   bash Benchmarks/run.sh
#
# Builds what it needs (the release vmm, the test guests, the C floor program,
# the allocation-counting shim, two trivial Swift programs, the ordo-one/benchmark
# package), then measures, each with its command line and figures:
#   (a) per-exit cost of ioloop.elf under vmm vs a minimal C KVM loop (kvm_floor)
#   (b) exec-to-exit time of hello.elf under vmm vs QEMU microvm
#   (c) peak RSS of vmm with a 64 MiB guest vs the guest pages it touched
#   (d) heap allocations per exit in steady state
#   (e) virtio-blk 4 KiB random I/O (virtio_bench.elf) under vmm vs QEMU microvm:
#       IOPS and exits per request
#   (f) the control plane (Benchmarks/control.py): process start -> API socket ready
#       (CPU-ms, vs Firecracker's 8 ms target and QEMU's QMP socket), InstanceStart
#       -> first serial byte, snapshot and restore of a 256 MiB guest (vs QEMU migration)
# and ends with a summary table. See docs/benchmarks.md.
#
# Environment:
#   BENCH_EXIT_REPS=N      repetitions of each method in (a) (default 15)
#   BENCH_REPS=N           interleaved repetitions in (b) (default 11)
#   BENCH_ONLY=abcdef      the sections to run
#   BENCH_CONTROL_REPS=N   repetitions of (f1) and (f2) (default 11); BENCH_SNAPSHOT_REPS=N of (f3) (default 3)
#   BENCH_BLK_REQUESTS=N   requests per guest run in (e) (default 200000)
#   BENCH_BLK_REPS=N       interleaved repetitions in (e) (default 7)
#   BENCH_NO_CALLGRIND=1   skip the callgrind instruction count in (a)
#   BENCH_NO_PACKAGE=1     skip the Benchmarks/ package: ordo-one/benchmark in (d) (the
#                          LD_PRELOAD shim still runs) and StartupPhases in (b)
#   BENCH_NO_STATIC=1      skip the variant of vmm built with --static-swift-stdlib
# Needs /dev/kvm. Installs gcc, make, binutils, QEMU and valgrind with apt-get when
# missing (as root). Build products go to .build-release/, .build-release-static/,
# .build-bench/ and Benchmarks/.build/ (all git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/.build-bench"
RELEASE="$ROOT/.build-release"
mkdir -p "$WORK"
cd "$ROOT"

step() { printf '\n## %s\n' "$*"; }

# Runs a build command quietly: its last line on success, its log's end on failure.
quietly() {
    local log="$WORK/build.log"
    if ! "$@" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "run.sh: failed: $*" >&2
        exit 1
    fi
    tail -n 1 "$log"
}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "run.sh: /dev/kvm is not usable here; these benchmarks need KVM" >&2
    exit 1
fi

step "Dependencies"
bash scripts/install-deps.sh
if ! command -v valgrind >/dev/null && [ -z "${BENCH_NO_CALLGRIND:-}" ] && [ "$(id -u)" -eq 0 ]; then
    echo "installing valgrind"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind >/dev/null ||
        echo "run.sh: valgrind could not be installed; the instruction counts are skipped"
fi
echo "gcc, make, binutils, qemu-system-x86_64$(command -v valgrind >/dev/null && echo ', valgrind'): present"

step "Build: release vmm (swift build -c release --product vmm --scratch-path .build-release)"
quietly swift build -c release --product vmm --scratch-path "$RELEASE"
VMM="$(swift build -c release --product vmm --scratch-path "$RELEASE" --show-bin-path)/vmm"
# valgrind 3.19 gives up on the debug info of this toolchain's release build
# ("Possibly corrupted debuginfo file"): callgrind runs a copy without it (same code).
cp "$VMM" "$WORK/vmm-nodebug"
strip --strip-debug "$WORK/vmm-nodebug"

ONLY="${BENCH_ONLY:-abcdef}"
# The --static-swift-stdlib variant is used by (b) and (c) only, the package by (b) and (d).
case "$ONLY" in *b*|*c*|*f*) ;; *) BENCH_NO_STATIC=1 ;; esac
case "$ONLY" in *b*|*d*) ;; *) BENCH_NO_PACKAGE=1 ;; esac

STATIC_ARGS=()
VMM_STATIC=""
if [ -z "${BENCH_NO_STATIC:-}" ]; then
    step "Build: release vmm with --static-swift-stdlib (a variant, --scratch-path .build-release-static)"
    quietly swift build -c release --product vmm --static-swift-stdlib --scratch-path "$ROOT/.build-release-static"
    STATIC_ARGS=(--vmm-static "$(swift build -c release --product vmm --static-swift-stdlib \
        --scratch-path "$ROOT/.build-release-static" --show-bin-path)/vmm")
    VMM_STATIC="${STATIC_ARGS[1]}"
fi

step "Build: guests (make -C Guests OUT=$WORK/guests)"
quietly make -C Guests OUT="$WORK/guests"
ls "$WORK/guests/ioloop.elf" "$WORK/guests/hello.elf" "$WORK/guests/virtio_bench.elf"

step "Build: kvm_floor, measure, alloccount.so, trivial Swift programs"
gcc -O2 -Wall -Wextra -Werror -o "$WORK/kvm_floor" Benchmarks/floor/kvm_floor.c
# Static, so that the peak RSS a command inherits from its launcher is tiny.
gcc -O2 -static -Wall -Wextra -Werror -o "$WORK/measure" Benchmarks/measure/measure.c
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$WORK/alloccount.so" Benchmarks/alloccount/alloccount.c
# Built as SwiftPM builds vmm: -O, the Swift runtime and libraries linked dynamically.
[ "$WORK/trivial" -nt Benchmarks/rss/trivial.swift ] ||
    swiftc -O -o "$WORK/trivial" Benchmarks/rss/trivial.swift
[ "$WORK/trivial_foundation" -nt Benchmarks/rss/trivial_foundation.swift ] ||
    swiftc -O -o "$WORK/trivial_foundation" Benchmarks/rss/trivial_foundation.swift
if [ -z "${BENCH_NO_STATIC:-}" ]; then
    [ "$WORK/trivial_static" -nt Benchmarks/rss/trivial.swift ] ||
        swiftc -O -static-stdlib -o "$WORK/trivial_static" Benchmarks/rss/trivial.swift
    [ "$WORK/trivial_foundation_static" -nt Benchmarks/rss/trivial_foundation.swift ] ||
        swiftc -O -static-stdlib -o "$WORK/trivial_foundation_static" Benchmarks/rss/trivial_foundation.swift \
            >"$WORK/swiftc-static.log" 2>&1 || { cat "$WORK/swiftc-static.log"; exit 1; }
    # (the static link warns about FoundationEssentials' use of mktemp: not ours)
    STATIC_ARGS+=(--trivial-swift-static "$WORK/trivial_static"
                  --trivial-swift-foundation-static "$WORK/trivial_foundation_static")
fi
echo "built: $WORK/{kvm_floor,measure,alloccount.so,trivial,trivial_foundation}"

PACKAGE_ARGS=(--no-package-benchmark)
if [ -z "${BENCH_NO_PACKAGE:-}" ]; then
    step "Build: the Benchmarks/ package (ordo-one/benchmark, StartupPhases; release)"
    # `swift package benchmark` builds it too; building first keeps the build log
    # out of the measurements and shows failures here.
    (cd Benchmarks && quietly swift build -c release)
    PACKAGE_BIN="$(cd Benchmarks && swift build -c release --show-bin-path)"
    PACKAGE_ARGS=(--package-dir "$ROOT/Benchmarks" --startup-phases "$PACKAGE_BIN/StartupPhases")
fi

CALLGRIND_ARGS=(--vmm-nodebug "$WORK/vmm-nodebug")
if [ -n "${BENCH_NO_CALLGRIND:-}" ] || ! command -v valgrind >/dev/null; then
    CALLGRIND_ARGS=(--no-callgrind)
fi

step "Measurements"
if [[ "$ONLY" == *[abcde]* ]]; then
python3 Benchmarks/bench.py \
    --vmm "$VMM" \
    --floor "$WORK/kvm_floor" \
    --measure "$WORK/measure" \
    --guests "$WORK/guests" \
    --qemu "$(command -v qemu-system-x86_64)" \
    --trivial-swift "$WORK/trivial" \
    --trivial-swift-foundation "$WORK/trivial_foundation" \
    --alloccount "$WORK/alloccount.so" \
    --work "$WORK/run" \
    --reps "${BENCH_REPS:-11}" \
    --exit-reps "${BENCH_EXIT_REPS:-15}" \
    --only "$ONLY" \
    --blk-requests "${BENCH_BLK_REQUESTS:-200000}" \
    --blk-reps "${BENCH_BLK_REPS:-7}" \
    "${CALLGRIND_ARGS[@]}" "${PACKAGE_ARGS[@]}" "${STATIC_ARGS[@]}"
fi
if [[ "$ONLY" == *f* ]]; then
    step "(f) the control plane: API socket, InstanceStart, snapshot/restore (Benchmarks/control.py)"
    mkdir -p "$WORK/run"
    python3 Benchmarks/control.py --vmm "$VMM" --qemu "$(command -v qemu-system-x86_64)" \
        --hello "$WORK/guests/hello.elf" --counter "$WORK/guests/counter.elf" --work "$WORK/run" \
        --reps "${BENCH_CONTROL_REPS:-11}" --snapshot-reps "${BENCH_SNAPSHOT_REPS:-3}" \
        --json "$WORK/control.json" ${VMM_STATIC:+--vmm-static "$VMM_STATIC"}
fi
