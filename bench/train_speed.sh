#!/usr/bin/env bash
# train_speed.sh: seconds per generator iteration of `fakeit train` and of the
# PyTorch reference loop (bench/torch_wgan.py, Debian's python3-torch), side
# by side, on the reference configuration: 64x64 bikes, batch 64, nz 100,
# ngf = ndf = 64, 5 critic steps per generator step (steady state: no early
# 100-step iterations), RMSprop with clipping, THREADS threads (default 2).
# usage: bench/train_speed.sh [ITERS] [THREADS]     (run by make bench)
set -euo pipefail
iters=${1:-2}
threads=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./fakeit bikes -n 1200 -o "$tmp/bikes" --size 128 > /dev/null
./fakeit prepare "$tmp/bikes" -o "$tmp/bikes64.fkd" --size 64 > /dev/null
# fakeit: every iteration has 5 critic steps (iteration 0 would otherwise be
# an early one: 0 % N == 0); the first includes start-up, the mean of the rest
./fakeit train "$tmp/bikes64.fkd" -o "$tmp/run" --iters $((iters + 1)) --early-iters 0 --d-iters-early 5 \
    --threads "$threads" --sample-every 1000000 --save-every 1000000 > /dev/null 2>&1
fk=$(awk -F, 'NR == 2 { t1 = $10 } END { printf "%.3f", ($10 - t1) / (NR - 2) }' "$tmp/run/metrics.csv")
echo "fakeit_wgan backend=$(./fakeit backends | awk '/default/ { print $1 }') size=64 batch=64 width=64 threads=$threads d_iters=5 seconds_per_gen_iter=$fk"
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
    line=$(/usr/bin/python3 bench/torch_wgan.py "$tmp/bikes64.fkd" --iters "$iters" --threads "$threads")
    echo "$line"
    pt=$(sed -n 's/.*seconds_per_gen_iter=//p' <<< "$line")
    awk -v a="$fk" -v b="$pt" 'BEGIN { printf "train_speed fakeit/pytorch time ratio=%.2f (speedup %.2fx)\n", a / b, b / a }'
else
    echo "train_speed: PyTorch not installed (scripts/install-deps.sh fixtures installs python3-torch); fakeit figure only"
fi
