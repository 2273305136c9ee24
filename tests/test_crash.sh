#!/usr/bin/env bash
# test_crash.sh: a run survives kill -9 at any moment, one process per run
# folder, divergence and resource guards, resume keeps the run's options and
# checks its data.
# usage: FAKEIT=./fakeit [KILLS=30] [FAKEIT_TEST_SEED=N] tests/test_crash.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
KILLS=${KILLS:-30}
seed=${FAKEIT_TEST_SEED:-$(date +%s)}
RANDOM=$seed
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "${KEEP_TMP:-}" ] && trap - EXIT && echo "keeping $tmp"
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

"$FAKEIT" bikes -n 40 -o "$tmp/bikes" --size 64 --seed 3 > /dev/null
"$FAKEIT" prepare "$tmp/bikes" -o "$tmp/d.fkd" --size 32 --background any > /dev/null
# non-default values of every option that changes the computation
run_opts=(--ngf 8 --ndf 8 --nz 8 --batch 8 --threads 1 --d-iters 3 --d-iters-early 2 --early-iters 3 --early-every 7
          --lr-g 2e-4 --lr-d 1e-4 --clip 0.02 --seed 11 --sample-every 4 --save-every 1)
N=40

state_iter() { "$FAKEIT" inspect "$1/state.safetensors" 2> /dev/null | grep -o '"gen_iter":"[0-9]*"' | grep -o '[0-9]*'; }
# metrics.csv: the header, then iterations 1..m with no gap or repeat; prints m
metrics_rows() {
    awk -F, 'NR == 1 { if ($1 != "gen_iter") exit 1; next } { if ($1 != NR - 1) exit 1; m = $1 }
             END { print m + 0 }' "$1/metrics.csv"
}
# the columns that do not depend on the clock (all but seconds and images_per_s)
same_rows() { diff <(cut -d, -f1-9,12- "$1/metrics.csv") <(cut -d, -f1-9,12- "$2/metrics.csv") > /dev/null; }

"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/straight" --iters $N "${run_opts[@]}" > /dev/null 2>&1
check "the uninterrupted run reaches $N" '[ "$(state_iter "$tmp/straight")" = $N ]'

# ---------------------------------------------------------------------------
# kill -9 at random moments (start-up, critic steps, saves, resumes): every
# time the run must resume, metrics.csv must hold one row per iteration up to
# at least the state's, and a finished run must equal the straight one.
echo "kill -9 test: seed $seed (FAKEIT_TEST_SEED=$seed reproduces the moments)"
kills=0 cycles=0 startup=0 broken=0
span=350  # kill within this many ms of the start; doubled after a kill that left no new checkpoint (a slow machine)
while [ $kills -lt "$KILLS" ]; do
    run="$tmp/k$cycles"
    rm -rf "$run"
    while :; do
        before=$(state_iter "$run")
        if [ -n "$before" ]; then
            [ "$before" -ge $N ] && break
            "$FAKEIT" train --resume "$run" >> "$run.log" 2>&1 &
        else
            "$FAKEIT" train "$tmp/d.fkd" -o "$run" --iters $N "${run_opts[@]}" >> "$run.log" 2>&1 &
        fi
        pid=$!
        ms=$((RANDOM * 32768 + RANDOM)) ms=$((ms % span))
        sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
        if kill -9 $pid 2> /dev/null; then kills=$((kills + 1)); fi
        wait $pid 2> /dev/null
        after=$(state_iter "$run")
        if [ "${after:-0}" = "${before:-0}" ]; then
            startup=$((startup + 1)) span=$((span * 2 < 8000 ? span * 2 : 8000))
        else
            span=$((span * 3 / 4 > 350 ? span * 3 / 4 : 350))
        fi
        if [ -e "$run/state.safetensors" ] && [ -z "$after" ]; then
            broken=$((broken + 1)); echo "  after kill $kills: $run/state.safetensors unreadable"
        fi
        if [ -n "$after" ]; then
            m=$(metrics_rows "$run") || m=-1
            if [ "$m" -lt "$after" ]; then
                broken=$((broken + 1)); echo "  after kill $kills: metrics.csv rows 1..$m, state at $after"
            fi
        fi
    done
    m=$(metrics_rows "$run") || m=-1
    [ "$m" = $N ] || { broken=$((broken + 1)); echo "  cycle $cycles: metrics.csv has rows 1..$m, not 1..$N"; }
    cmp -s "$run/netG.safetensors" "$tmp/straight/netG.safetensors" &&
        cmp -s "$run/netD.safetensors" "$tmp/straight/netD.safetensors" ||
        { broken=$((broken + 1)); echo "  cycle $cycles: final weights differ from the uninterrupted run"; }
    same_rows "$run" "$tmp/straight" || { broken=$((broken + 1)); echo "  cycle $cycles: metrics differ from the uninterrupted run"; }
    cycles=$((cycles + 1))
done
echo "  $kills kills in $cycles runs of $N iterations ($startup before a new checkpoint)"
check "kill -9 x $kills: every run resumed, metrics.csv whole, final weights and metrics = the uninterrupted run's" \
    '[ $broken = 0 ] && [ $kills -ge 30 ]'

# ---------------------------------------------------------------------------
# one trainer per run folder
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/locked" --iters 1000000 "${run_opts[@]}" > /dev/null 2>&1 &
holder=$!
for _ in $(seq 1 100); do [ -n "$(state_iter "$tmp/locked")" ] && break; sleep 0.05; done
out=$("$FAKEIT" train "$tmp/d.fkd" -o "$tmp/locked" --iters 3 "${run_opts[@]}" 2>&1); rc=$?
check "a second train on a folder in use: exit 2 naming the holder's PID" \
    '[ $rc = 2 ] && grep -q "in use by another fakeit process (PID $holder, fakeit train" <<<"$out"'
out=$("$FAKEIT" train --resume "$tmp/locked" 2>&1); rc=$?
check "a resume of a folder in use: refused the same way" '[ $rc = 2 ] && grep -q "PID $holder" <<<"$out"'
kill -9 $holder; wait $holder 2> /dev/null
out=$("$FAKEIT" train --resume "$tmp/locked" --iters $(($(state_iter "$tmp/locked") + 1)) 2>&1); rc=$?
check "the lock of a killed trainer does not block: resume works" '[ $rc = 0 ]'
"$FAKEIT" sr-train "$tmp/bikes" -o "$tmp/sr.safetensors" --iters 100000 --batch 2 --patch 16 --feats 4 > /dev/null 2>&1 &
holder=$!
for _ in $(seq 1 100); do grep -q "PID $holder" "$tmp/sr.safetensors.lock" 2> /dev/null && break; sleep 0.05; done
out=$("$FAKEIT" sr-train "$tmp/bikes" -o "$tmp/sr.safetensors" --iters 2 --batch 2 --patch 16 --feats 4 2>&1); rc=$?
check "sr-train: a second trainer of the same model: exit 2 naming the PID" '[ $rc = 2 ] && grep -q "PID $holder" <<<"$out"'
kill -9 $holder; wait $holder 2> /dev/null

# ---------------------------------------------------------------------------
# divergence: an absurd generator learning rate; the checkpoint before it stays
out=$("$FAKEIT" train "$tmp/d.fkd" -o "$tmp/div" --iters 50 "${run_opts[@]}" --lr-g 1e30 2>&1); rc=$?
check "divergence: exit 3 naming the iteration and what went non-finite" \
    '[ $rc = 3 ] && grep -Eq "diverged at generator iteration [0-9]+: .* is -?nan" <<<"$out"'
s=$(state_iter "$tmp/div")
check "divergence: the last good checkpoint is kept (iteration $s, before the divergence)" \
    'grep -q "the checkpoint of iteration $s is intact" <<<"$out"'
out=$("$FAKEIT" sample "$tmp/div/netG.safetensors" -n 4 --grid "$tmp/div.png" 2>&1)
check "divergence: the kept generator still samples" '[ $? = 0 ]'

# ---------------------------------------------------------------------------
# resource guards: refused with the estimate before allocating
out=$("$FAKEIT" train "$tmp/d.fkd" -o "$tmp/huge" --iters 1 --batch 65536 --ngf 512 --ndf 512 2>&1); rc=$?
check "train: a batch that cannot fit is refused with the estimate, exit 2" \
    '[ $rc = 2 ] && grep -q "needs about .* of memory .* is available" <<<"$out" && [ ! -e "$tmp/huge/state.safetensors" ]'
out=$(FAKEIT_MEM_AVAILABLE=20000000 "$FAKEIT" train "$tmp/d.fkd" -o "$tmp/small" --iters 1 --batch 64 2>&1); rc=$?
check "train: refused when the machine has little memory left (20 MB forced)" '[ $rc = 2 ] && grep -q "20 MB is available" <<<"$out"'
"$FAKEIT" bikes -n 1 -o "$tmp/big" --size 2000 > /dev/null
out=$("$FAKEIT" upscale "$tmp/big/bike_00000.png" -o "$tmp/big_x4.png" --max-pixels 1000000 2>&1); rc=$?
check "upscale: an output over --max-pixels is refused naming the file, exit 1" \
    '[ $rc = 1 ] && grep -q "bike_00000.png: .*8000x8000.* --max-pixels" <<<"$out" && [ ! -e "$tmp/big_x4.png" ]'
out=$(FAKEIT_MEM_AVAILABLE=100000000 "$FAKEIT" upscale "$tmp/big/bike_00000.png" -o "$tmp/big_x4.png" 2>&1); rc=$?
check "upscale: an output that cannot fit in memory is refused with the estimate, exit 1" \
    '[ $rc = 1 ] && grep -q "needs about .* of memory" <<<"$out" && [ ! -e "$tmp/big_x4.png" ]'

# ---------------------------------------------------------------------------
# resume keeps the run's options (all non-default above) and checks the data
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/split" --iters $((N / 2)) "${run_opts[@]}" > /dev/null 2>&1
"$FAKEIT" train --resume "$tmp/split" --iters $N > /dev/null 2>&1
check "resume with no options = the straight run with every option non-default (weights and metrics)" \
    'cmp -s "$tmp/split/netG.safetensors" "$tmp/straight/netG.safetensors" && cmp -s "$tmp/split/netD.safetensors" "$tmp/straight/netD.safetensors" && same_rows "$tmp/split" "$tmp/straight"'
out=$("$FAKEIT" train --resume "$tmp/split" --iters $((N + 1)) --lr-d 0.1 2>&1); rc=$?
check "resume: a configuration option is refused, not ignored (exit 2)" '[ $rc = 2 ] && grep -q "\-\-lr-d cannot change on --resume" <<<"$out"'
out=$("$FAKEIT" train --resume "$tmp/split" --iters $((N + 1)) --sample-every 9 2>&1)
check "resume: --sample-every given again says the results will differ" 'grep -q "continues every 9: .* will differ" <<<"$out"'
"$FAKEIT" bikes -n 40 -o "$tmp/bikes2" --size 64 --seed 4 > /dev/null
"$FAKEIT" prepare "$tmp/bikes2" -o "$tmp/d2.fkd" --size 32 --background any > /dev/null
cp "$tmp/d2.fkd" "$tmp/d.fkd"
out=$("$FAKEIT" train --resume "$tmp/split" --iters $((N + 2)) 2>&1); rc=$?
check "resume on a changed data set: refused naming it, exit 2" '[ $rc = 2 ] && grep -q "d.fkd: not the data set this run was trained on" <<<"$out"'
out=$("$FAKEIT" train --resume "$tmp/split" "$tmp/d2.fkd" --iters $((N + 2)) --data-changed 2>&1); rc=$?
check "resume on other data with --data-changed: continues, saying so" '[ $rc = 0 ] && grep -q "which is not the data set" <<<"$out"'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
