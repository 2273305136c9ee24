#!/usr/bin/env bash
# test_model.sh: the shipped 64x64 bike generator (models/bikes-64.safetensors,
# its critic beside it) works out of the box, and still draws what its
# documented figures say (a guard for the model file and for sampling).
# usage: FAKEIT=./fakeit tests/test_model.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
MODEL=models/bikes-64.safetensors
# The documented figure (README, docs/bikes/results.md): SWD over the real-vs-real
# floor of 450 fakes against 450 white renders of `fakeit bikes -n 1200 --seed 7`,
# a seed never trained on, measured with --seed 1 on the cpu backend. The
# margin covers the backends' rounding and thread counts (the reference
# backend and the cpu backend draw fakes within 1e-4 of each other); an
# untrained or damaged generator scores 10x the floor and more.
RATIO=2.22
MARGIN=1.10
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() {  # check DESCRIPTION COMMAND...: exit 0 means pass
    local what=$1
    shift
    if "$@" > "$tmp/out" 2>&1; then
        echo "ok   $what"
        pass=$((pass + 1))
    else
        echo "FAIL $what: $(head -c 400 "$tmp/out")"
        fail=$((fail + 1))
    fi
}
check "sample: 64 fakes of the shipped generator in a grid" "$FAKEIT" sample "$MODEL" -n 64 --grid "$tmp/fakes.png"
check "sample --rank-by-critic finds the critic beside the generator" \
    "$FAKEIT" sample "$MODEL" -n 32 --rank-by-critic 8 -o "$tmp/best"
check "sample --upscale with the shipped x4 model: 64 -> 256 px" \
    bash -c "'$FAKEIT' sample '$MODEL' -n 4 -o '$tmp/up' --upscale models/bikes-x4.safetensors && \
             '$FAKEIT' prepare '$tmp/up' -o '$tmp/up.fkd' --size 256 --background any | grep -q '4 images, 256x256'"
check "interp: walks through the latent space" "$FAKEIT" interp "$MODEL" -o "$tmp/walks.png" --rows 2 --steps 5
check "the critic named explicitly ranks the same fakes" \
    bash -c "'$FAKEIT' sample '$MODEL' -n 32 --rank-by-critic 8 --critic models/bikes-64-critic.safetensors \
             -o '$tmp/best2' && cmp -s '$tmp/best/fake_00000.png' '$tmp/best2/fake_00000.png'"
"$FAKEIT" bikes -n 1200 -o "$tmp/bikes" --seed 7 > /dev/null && "$FAKEIT" prepare "$tmp/bikes" -o "$tmp/held.fkd" > /dev/null
ratio=$("$FAKEIT" eval --real "$tmp/held.fkd" --fake "$MODEL" -n 450 --swd-only --json | tail -1 |
        sed -n 's/.*"ratio":\([0-9.e+-]*\).*/\1/p')
check "SWD of its fakes against fresh held-out renders: ${ratio:-none}x the floor, documented $RATIO (limit x$MARGIN)" \
    awk -v r="${ratio:-1e9}" -v d="$RATIO" -v m="$MARGIN" 'BEGIN { exit !(r <= d * m) }'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
