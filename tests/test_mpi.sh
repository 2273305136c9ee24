#!/usr/bin/env bash
# test_mpi.sh: fakeit under mpirun (OpenMPI on localhost, 1 thread per rank).
# `sample` and `upscale` split their work across the ranks and write exactly
# what one process writes (files, grid, tensors, critic ranking, upscaled
# fakes, the exit status and a bad input named once). `train` is data-
# parallel: 2 and 3 ranks train what one process trains, within the
# tolerance derived below, for WGAN and WGAN-GP, including an epoch's last
# batch of 2 images (one rank of 3 holds none); the same ranks twice give
# the same bits; a resume under mpirun is bit-exact; a signal on the job
# undoes the iteration under way, saves, and the resume continues bit for
# bit; a rank killed with -9 ends the job within seconds, its last
# checkpoint intact; only rank 0 writes and prints. Commands that do not
# split their work are refused. Without mpirun, or with a fakeit built
# without MPI, it says SKIPPED.
# usage: FAKEIT=./fakeit FAKEIT_MPI=1 TENSOR_DIFF=build/tensor_diff tests/test_mpi.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
SR_MODEL=${FAKEIT_SR_MODEL:-models/bikes-x4.safetensors}
TENSOR_DIFF=${TENSOR_DIFF:-build/tensor_diff}
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

out=$(mpi 2 "$FAKEIT" prepare "$tmp/bikes" -o "$tmp/p.fkd" 2>&1); rc=$?
check "a command that does not split its work is refused under mpirun, with a message" \
    '[ $rc = 2 ] && grep -q "does not run as 2 processes under mpirun" <<< "$out" && [ ! -e "$tmp/p.fkd" ]'

# ---------------------------------------------------------------------------
# data-parallel training. 130 images in batches of 64: every epoch ends with
# a batch of 2 (1 + 1 on 2 ranks, 0 + 1 + 1 on 3: a rank with no sample).
#
# The tolerance. N ranks compute the sums of one process in another order
# (N partial sums added), so they differ by fp32 rounding: ~sqrt(L) 6e-8
# for a sum of L terms, measured 1e-10 to 2e-6 below (the state's vectors:
# each network's parameters, running statistics and optimiser moments, as
# one vector each; tensor_diff). RMSprop and Adam divide each gradient
# element by its own magnitude, so an element whose gradient is rounding
# noise (a bias whose gradient cancels) steps either way by up to
# 2 lr / sqrt(1 - alpha): with the default lr, 1e-3 per element, 2e-4 of the
# parameters' norm, which only luck keeps apart from a real error. So these
# runs use lr 1e-6: a flipped element is then 5e-6 of the norm, and the
# limits are 1e-5 for parameters and running statistics, 1e-2 for the
# moments (they hold the gradients themselves, as well defined as the
# critic they pass through: the reference backend and the cpu backend, one
# process each, differ there by up to 1.3e-3 on this data, measured), 1e-3
# of a column's largest value for the losses; the random generator, data
# order and fixed noise must be equal byte for byte. Broken data
# parallelism, measured on this configuration with 2 ranks: batch norm not
# synchronised 1.2e-4 (G parameters), 1.3e-3 (running statistics), 0.16
# (moments); losses not scaled by the whole batch: moments 3, losses 2x;
# ranks drawing the same noise rows 3.7e-5, 8.5e-4, 5.8e-2; the penalty's
# interpolation weights misassigned 4.7e-5 (D parameters), 0.23 (moments).
"$FAKEIT" bikes -n 130 -o "$tmp/b130" --size 64 --seed 6 > /dev/null
"$FAKEIT" prepare "$tmp/b130" -o "$tmp/t.fkd" --size 32 --background any > /dev/null
T_OPTS="--ngf 16 --ndf 16 --nz 16 --batch 64 --threads 1 --d-iters-early 3 --sample-every 1000 --save-every 1000"
TOL_W=1e-5 TOL_OPT=1e-2 TOL_LOSS=1e-3
# two runs' states within the limits; prints the worst of each kind
close_states() {
    local t rc=0
    for t in G.params G.buffers D.params D.buffers; do "$TENSOR_DIFF" "$1" "$2" $TOL_W $t || rc=1; done
    for t in G.opt D.opt; do "$TENSOR_DIFF" "$1" "$2" $TOL_OPT $t || rc=1; done
    for t in rng order fixed_noise; do "$TENSOR_DIFF" "$1" "$2" 0 $t || rc=1; done
    return $rc
}
# the losses of two metrics.csv files, row by row: |a - b| <= TOL_LOSS * (the column's largest |a|)
close_losses() {
    awk -F, -v tol=$TOL_LOSS 'NR == FNR { if (FNR > 1) for (c = 5; c <= 9; c++) { a[FNR, c] = $c; m = $c < 0 ? -$c : $c;
                                                                               if (m > big[c]) big[c] = m }
                                          rows = FNR; next }
        FNR > 1 { for (c = 5; c <= 9; c++) { d = a[FNR, c] - $c; if (d < 0) d = -d; if (d > tol * big[c]) bad++ } n = FNR }
        END { exit !(n == rows && n > 1 && bad == 0) }' "$1" "$2"
}
for loss in wgan wgan-gp; do
    L_OPTS="$T_OPTS --loss $loss --lr-d 1e-6 --lr-g 1e-6"
    "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/$loss-1" --iters 3 $L_OPTS > "$tmp/$loss-1.log" 2>&1
    for n in 2 3; do
        out=$(mpi $n "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/$loss-$n" --iters 3 $L_OPTS 2>&1); rc=$?
        d=$(close_states "$tmp/$loss-1/state.safetensors" "$tmp/$loss-$n/state.safetensors" | sed 's/.*normalised error \([^;]*\);.*/\1/' | tr '\n' ' ')
        check "$loss: $n ranks train what 1 process trains (G params, buffers, D params, buffers, G moments, D moments: $d)" \
            '[ $rc = 0 ] && close_states "$tmp/$loss-1/state.safetensors" "$tmp/$loss-$n/state.safetensors" > /dev/null'
        check "$loss: $n ranks: the losses of every iteration agree within $TOL_LOSS of their scale" \
            'close_losses "$tmp/$loss-1/metrics.csv" "$tmp/$loss-$n/metrics.csv"'
    done
    check "$loss: only rank 0 prints: one header, one summary, one progress line per iteration" \
        '[ "$(grep -c "^fakeit train: " <<< "$out")" = 1 ] && [ "$(grep -c "^done at generator iteration 3" <<< "$out")" = 1 ] &&
         [ "$(grep -c "^\[1/3\]" <<< "$out")" = 1 ]'
    check "$loss: only rank 0 writes: the files of a 1-process run, metrics.csv with one row per iteration" \
        '[ "$(ls -A "$tmp/$loss-1")" = "$(ls -A "$tmp/$loss-3")" ] && [ $(wc -l < "$tmp/$loss-3/metrics.csv") = 4 ]'
done
T_OPTS="$T_OPTS --lr-d 1e-6 --lr-g 1e-6"  # as the wgan runs above, which the checks below compare with
mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/again" --iters 3 $T_OPTS > /dev/null 2>&1
check "the same 2 ranks twice: the same bits (state, models)" \
    '"$TENSOR_DIFF" "$tmp/wgan-2/state.safetensors" "$tmp/again/state.safetensors" 0 > /dev/null &&
     cmp -s "$tmp/wgan-2/netG.safetensors" "$tmp/again/netG.safetensors" && cmp -s "$tmp/wgan-2/netD.safetensors" "$tmp/again/netD.safetensors"'

# resume: as 2 ranks bit for bit; a 1-process run continued as 2
mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/res" --iters 1 $T_OPTS > /dev/null 2>&1
mpi 2 "$FAKEIT" train --resume "$tmp/res" --iters 3 > /dev/null 2>&1; rc=$?
check "a run resumed as 2 ranks equals one that ran through, bit for bit" \
    '[ $rc = 0 ] && "$TENSOR_DIFF" "$tmp/wgan-2/state.safetensors" "$tmp/res/state.safetensors" 0 > /dev/null'
"$FAKEIT" train "$tmp/t.fkd" -o "$tmp/res1" --iters 1 $T_OPTS > /dev/null 2>&1
out=$(mpi 2 "$FAKEIT" train --resume "$tmp/res1" --iters 3 2>&1); rc=$?
check "a 1-process run continues as 2 ranks (saying so), within the limits of 1 process throughout" \
    '[ $rc = 0 ] && grep -q "ran as 1 process, it continues as 2" <<< "$out" &&
     close_states "$tmp/wgan-1/state.safetensors" "$tmp/res1/state.safetensors" > /dev/null'

# a signal on the job: mpirun passes SIGTERM on, and kills a second later
mpirun_of() {  # the mpirun process of the job training into $1
    local p
    for p in $(pgrep -x mpirun); do grep -qa -- "$1" "/proc/$p/cmdline" 2> /dev/null && echo "$p"; done
}
# (batch 2: an iteration is 65 critic steps, to the epoch's end, so the signal
# nearly always comes in the middle of one, which is then undone)
S_OPTS="$T_OPTS --batch 2 --d-iters-early 100"
mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/sig" --iters 100000 $S_OPTS > "$tmp/sig.log" 2>&1 &
job=$!
for i in $(seq 600); do grep -q "^\[1/" "$tmp/sig.log" && break; sleep 0.1; done  # an iteration done first
sleep 0.5
kill -TERM $(mpirun_of "$tmp/sig")
wait $job; rc=$?
stop=$(sed -n 's/^stopped by signal at generator iteration \([0-9]*\).*/\1/p' "$tmp/sig.log")
undone=$(grep -c "under way when the signal came was undone" "$tmp/sig.log")
check "SIGTERM on mpirun: every rank stops, the state saved once, exit non-zero (stopped at ${stop:-?}, the iteration under way undone: $undone)" \
    '[ $rc != 0 ] && [ -n "$stop" ] && [ "$(grep -c "^stopped by signal" "$tmp/sig.log")" = 1 ] && ! ls "$tmp/sig" | grep -q "\.tmp$"'
if [ -n "$stop" ]; then
    target=$((stop + 1))
    mpi 2 "$FAKEIT" train --resume "$tmp/sig" --iters $target > /dev/null 2>&1
    mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/nosig" --iters $target $S_OPTS > /dev/null 2>&1
    check "resumed after the signal to iteration $target: the bits of a run that was never stopped" \
        '"$TENSOR_DIFF" "$tmp/nosig/state.safetensors" "$tmp/sig/state.safetensors" 0 > /dev/null'
else
    bad "resumed after the signal (no stop reported)"
fi

# a rank killed with -9 mid-run
rank_pid() {  # the process of rank $2 in the job training into $1
    local p name
    name=$(basename "$FAKEIT" | cut -c1-15)
    for p in $(pgrep -x "$name"); do
        grep -qa -- "$1" "/proc/$p/cmdline" 2> /dev/null &&
            tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$p"
    done
}
mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/kill" --iters 100000 --ngf 16 --ndf 16 --nz 16 --batch 64 --threads 1 \
    --d-iters-early 3 --save-every 2 --sample-every 1000 > "$tmp/kill.log" 2>&1 &
job=$!
for i in $(seq 600); do [ -e "$tmp/kill/state.safetensors" ] && break; sleep 0.1; done  # a checkpoint first
sleep 0.5
victim=$(rank_pid "$tmp/kill" 1)
t0=$(date +%s)
kill -9 $victim
wait $job; rc=$?
took=$(($(date +%s) - t0))
check "a rank killed with -9: the job exits non-zero within 20 s (exit $rc after ${took} s), saying which rank died" \
    '[ $rc != 0 ] && [ $took -le 20 ] && grep -q "rank 1" "$tmp/kill.log"'
check "... and its last checkpoint loads" \
    '"$FAKEIT" sample "$tmp/kill" -n 4 -o "$tmp/ks" --threads 1 > /dev/null 2>&1 && [ $(ls "$tmp/ks" | wc -l) = 4 ]'

out=$(mpi 2 "$FAKEIT" train "$tmp/nope.fkd" -o "$tmp/r4" --iters 2 2>&1); rc=$?
check "a bad data set under mpirun: exit 2, the error said once" \
    '[ $rc = 2 ] && [ "$(grep -c "nope.fkd" <<< "$out")" = 1 ]'
out=$(mpi 2 "$FAKEIT" train "$tmp/b130" -o "$tmp/fold" --iters 1 $T_OPTS 2>&1); rc=$?
check "train on a folder under mpirun: rank 0 prepares it, every rank trains on it" \
    '[ $rc = 0 ] && [ -s "$tmp/fold/data.fkd" ] && [ -s "$tmp/fold/state.safetensors" ]'

E_OPTS="--ngf 8 --ndf 8 --nz 8 --batch 16 --threads 1 --d-iters-early 2 --iters 4 --eval-every 2 --eval-n 20 --lr-d 1e-6 --lr-g 1e-6"
"$FAKEIT" train "$tmp/t.fkd" -o "$tmp/ev1" $E_OPTS > /dev/null 2>&1
mpi 2 "$FAKEIT" train "$tmp/t.fkd" -o "$tmp/ev2" $E_OPTS > /dev/null 2>&1; rc=$?
check "--eval-every under mpirun: the SWD of one process at the same iterations (within 1e-3)" \
    '[ $rc = 0 ] && paste -d, <(cut -d, -f1,13 "$tmp/ev1/metrics.csv") <(cut -d, -f1,13 "$tmp/ev2/metrics.csv") |
     awk -F, '"'"'NR > 1 && $2 != "" { n++; d = $2 - $4; if (d < 0) d = -d; if ($1 != $3 || d > 1e-3 * $2) bad++ }
                  END { exit !(n == 2 && !bad) }'"'"''

echo "$pass passed, $fail failed"
[ $fail = 0 ]
