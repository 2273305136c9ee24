#!/usr/bin/env bash
# fuzz.sh: runs the libFuzzer harnesses built in build-fuzz/ (make fuzz).
# usage: scripts/fuzz.sh SECONDS NAME...
# Each harness first replays its regression inputs (tests/fuzz/regressions/NAME:
# inputs that once crashed, kept so the fix stays), then fuzzes for SECONDS
# from its seed corpus (tests/fuzz/corpus/NAME) and what earlier runs found
# (build-fuzz/corpus/NAME). A crash, leak, sanitizer report, timeout or
# oversized allocation stops it; the input is saved as build-fuzz/crash-NAME-*.
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
seconds=$1
shift
failed=0
export TMPDIR=$PWD/build-fuzz/tmp  # where the harnesses write each input for the parsers to open
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
for name in "$@"; do
    bin=build-fuzz/$name
    work=build-fuzz/corpus/$name
    mkdir -p "$work"
    log=build-fuzz/$name.log
    reg=(tests/fuzz/regressions/$name/*)
    if [ ${#reg[@]} -gt 0 ] && ! "$bin" "${reg[@]}" > "$log" 2>&1; then
        echo "FAIL $name: a regression input crashes again (see $log)"
        failed=1
        continue
    fi
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$name-" "$work" "tests/fuzz/corpus/$name" > "$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
        echo "ok   $name: $runs executions in ${seconds} s, ${cov:-no coverage line}, corpus $(ls "$work" | wc -l) + ${#reg[@]} regression input(s)"
    else
        echo "FAIL $name: see $log and build-fuzz/crash-$name-*"
        grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|internal error' "$log" | head -5
        failed=1
    fi
done
exit $failed
