#!/usr/bin/env bash
# Fuzzes swift-vmm's parsers of untrusted bytes with libFuzzer (docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]   build, then fuzz each target SECONDS (default 60)
#   scripts/fuzz.sh seeds                    rebuild the committed seed corpus from the test guests
#
# TARGET: virtqueue, loader, snapshot, api. Each run starts from the committed seeds
# (Tests/FuzzRegressionTests/Seeds/TARGET) and the stored crash inputs, keeps the corpus
# it grows in .build/fuzz-corpus/TARGET, and writes crashes, timeouts and out-of-memory
# inputs to .build/fuzz-artifacts/TARGET/. Each target's executions, exec/s and final
# cov/ft are printed at the end. FUZZ_SANITIZE=address adds AddressSanitizer (a
# separate, slower build). FUZZ_JOBS=N runs N fuzzing processes per target.
# Store a crash input under Tests/FuzzRegressionTests/Inputs/TARGET/ once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(virtqueue loader snapshot api)
which=${1:-all}
seconds=${2:-60}
sanitize=${FUZZ_SANITIZE:-}
jobs=${FUZZ_JOBS:-1}
scratch=.build/fuzz${sanitize:+-$sanitize}
flags=(-c release --sanitize=fuzzer -Xswiftc -DFUZZING --scratch-path "$scratch" --product vmm-fuzz)
[ -n "$sanitize" ] && flags+=(--sanitize="$sanitize")

echo "building vmm-fuzz (${flags[*]})"
swift build "${flags[@]}" 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting|Wrapping)' || true
fuzzer="$scratch/release/vmm-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz.sh: build failed" >&2; exit 1; }

if [ "$which" = seeds ]; then
    guests=/tmp/swift-vmm-fuzz-guests
    make -s -C Guests OUT="$guests"
    rm -rf Tests/FuzzRegressionTests/Seeds
    # The multiboot, plain ELF and flat test guests; the rest are larger variants.
    "$fuzzer" seeds Tests/FuzzRegressionTests/Seeds \
        "$guests"/hello.elf "$guests"/exitcode.elf "$guests"/elf32.elf "$guests"/elf64.elf \
        "$guests"/protected.elf "$guests"/real.bin "$guests"/flat32.bin "$guests"/flat64.bin \
        "$guests"/pvh.elf "$guests"/acpi.elf
    exit 0
fi

if [ "$which" = all ]; then run=("${targets[@]}"); else run=("$which"); fi
summary=()
status=0
for target in "${run[@]}"; do
    corpus=.build/fuzz-corpus/$target
    artifacts=.build/fuzz-artifacts/$target
    log=.build/fuzz-logs/$target.log
    mkdir -p "$corpus" "$artifacts" .build/fuzz-logs
    inputs=(Tests/FuzzRegressionTests/Seeds/"$target")
    [ -d Tests/FuzzRegressionTests/Inputs/"$target" ] && inputs+=(Tests/FuzzRegressionTests/Inputs/"$target")
    max_len=4096
    [ "$target" = loader ] && max_len=65536
    [ "$target" = virtqueue ] && max_len=16384
    echo "== $target: $seconds s"
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
             -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$artifacts/")
    if [ "$jobs" -gt 1 ]; then options+=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); fi
    set +e
    "$fuzzer" "$target" "${options[@]}" "$corpus" "${inputs[@]}" >"$log" 2>&1
    code=$?
    set -e
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -2 || true
    executions=$(grep -Eo 'stat::number_of_executed_units:[[:space:]]+[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    rate=$(grep -Eo 'stat::average_exec_per_sec:[[:space:]]+[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
    cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
    ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || true)
    crashes=$(find "$artifacts" -type f | wc -l)
    line="$target: ${executions:-?} executions, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $(find "$corpus" -type f | wc -l), artifacts $crashes (exit $code)"
    summary+=("$line")
    if [ "$code" -ne 0 ]; then
        status=1
        grep -E 'ERROR|Fatal error|==[0-9]+==|Test unit written' "$log" | head -10 || true
    fi
done
echo "== summary (logs in .build/fuzz-logs, artifacts in .build/fuzz-artifacts)"
printf '%s\n' "${summary[@]}"
exit $status
