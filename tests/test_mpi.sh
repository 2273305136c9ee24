#!/usr/bin/env bash
# test_mpi.sh: fakeit under mpirun (OpenMPI on localhost, 1 thread per rank):
# `sample` and `upscale` split their work across the ranks and write exactly
# what one process writes (files, grid, tensors, critic ranking, upscaled
# fakes, the exit status and a bad input named once); commands that do not
# split their work yet are refused with a message. Without mpirun, or with a
# fakeit built without MPI, it says SKIPPED.
# usage: FAKEIT=./fakeit FAKEIT_MPI=1 tests/test_mpi.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
SR_MODEL=${FAKEIT_SR_MODEL:-models/bikes-x4.safetensors}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
if [ "${FAKEIT_MPI:-0}" != 1 ] || ! command -v mpirun > /dev/null; then
    echo "test_mpi: SKIPPED (no mpirun, or fakeit built without MPI: scripts/install-deps.sh test installs OpenMPI)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
mpi() { local n=$1; shift; timeout 120 mpirun --oversubscribe -np "$n" "$@"; }

"$FAKEIT" bikes -n 30 -o "$tmp/bikes" --size 64 --seed 4 > /dev/null
"$FAKEIT" prepare "$tmp/bikes" -o "$tmp/d.fkd" --size 32 --background any > /dev/null
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/run" --ngf 8 --ndf 8 --nz 8 --batch 8 --threads 1 --d-iters-early 2 \
    --iters 10 --sample-every 100 > /dev/null 2>&1

# 21 fakes = 3 batches of 8, the last partial: split 2 and 3 ways
"$FAKEIT" sample "$tmp/run" -n 21 -o "$tmp/s1" --grid "$tmp/g1.png" --tensors "$tmp/t1.safetensors" --threads 1 > /dev/null
for n in 2 3; do
    out=$(mpi $n "$FAKEIT" sample "$tmp/run" -n 21 -o "$tmp/s$n" --grid "$tmp/g$n.png" --tensors "$tmp/t$n.safetensors" \
        --threads 1 2>&1); rc=$?
    check "sample as $n processes writes the same files, grid and tensors as one" \
        '[ $rc = 0 ] && diff -r "$tmp/s1" "$tmp/s$n" > /dev/null && cmp -s "$tmp/g1.png" "$tmp/g$n.png" &&
         cmp -s "$tmp/t1.safetensors" "$tmp/t$n.safetensors"'
    check "only one process reports ($n processes)" '[ "$(grep -c "^wrote 21 images" <<< "$out")" = 1 ]'
done
"$FAKEIT" sample "$tmp/run" -n 10 -o "$tmp/r1" --rank-by-critic 5 --upscale "$SR_MODEL" --threads 1 > /dev/null
mpi 2 "$FAKEIT" sample "$tmp/run" -n 10 -o "$tmp/r2" --rank-by-critic 5 --upscale "$SR_MODEL" --threads 1 > /dev/null 2>&1
check "critic ranking and upscaled fakes as 2 processes = one" 'diff -r "$tmp/r1" "$tmp/r2" > /dev/null'

cp -r "$tmp/bikes" "$tmp/in" && echo junk > "$tmp/in/zz_bad.png"
"$FAKEIT" upscale "$tmp/in" -o "$tmp/u1" --threads 1 --model "$SR_MODEL" > /dev/null 2>&1
out=$(mpi 2 "$FAKEIT" upscale "$tmp/in" -o "$tmp/u2" --threads 1 --model "$SR_MODEL" 2>&1); rc=$?
check "upscale as 2 processes writes the same images as one" 'diff -r "$tmp/u1" "$tmp/u2" > /dev/null && [ $(ls "$tmp/u2" | wc -l) = 30 ]'
check "its exit status is 1 (a bad input), the input named once, the total counted once" \
    '[ $rc = 1 ] && [ "$(grep -c "zz_bad.png" <<< "$out")" = 1 ] && grep -q "^upscaled 30 images" <<< "$out"'

out=$(mpi 2 "$FAKEIT" train "$tmp/d.fkd" -o "$tmp/r3" --iters 2 2>&1); rc=$?
check "train as 2 processes is refused with a message (not yet data-parallel)" \
    '[ $rc = 2 ] && grep -q "does not run as 2 processes under mpirun" <<< "$out" && [ ! -e "$tmp/r3" ]'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
