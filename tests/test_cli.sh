#!/usr/bin/env bash
# test_cli.sh: the fakeit program's commands and exit codes.
# usage: FAKEIT=./fakeit tests/test_cli.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE DESCRIPTION PATTERN -- COMMAND...: exit code and output pattern
expect() {
    local code=$1 what=$2 pattern=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$code" ] && grep -Eq -- "$pattern" <<<"$out"; then
        echo "ok   $what"
        pass=$((pass + 1))
    else
        echo "FAIL $what (exit $rc, want $code; output: ${out:0:300})"
        fail=$((fail + 1))
    fi
}

expect 0 "fakeit help lists the commands" "backends" -- "$FAKEIT" help
expect 0 "fakeit version" "^fakeit [0-9]+\.[0-9]+\.[0-9]+" -- "$FAKEIT" version
expect 0 "fakeit backends lists the reference as default" "^ref .*\[default\]" -- "$FAKEIT" backends
expect 2 "no command: usage and exit 2" "usage: fakeit" -- "$FAKEIT"
expect 2 "unknown command: exit 2 naming it" "unknown command 'frobnicate'" -- "$FAKEIT" frobnicate
expect 2 "inspect without a file: exit 2" "wrong arguments for 'inspect'" -- "$FAKEIT" inspect
expect 0 "inspect lists a fixture's tensors" "D\.grad\.main\.initial:3-8:conv\.weight +F32 +\[8, 3, 4, 4\]" -- \
    "$FAKEIT" inspect tests/fixtures/engine.safetensors
expect 1 "inspect of a missing file names it" "$tmp/none.safetensors: cannot open" -- "$FAKEIT" inspect "$tmp/none.safetensors"
head -c 1000 tests/fixtures/engine.safetensors > "$tmp/cut.safetensors"
expect 1 "inspect of a truncated file names it and the problem" "cut.safetensors: declares a header longer than the file" -- \
    "$FAKEIT" inspect "$tmp/cut.safetensors"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
