#!/usr/bin/env bash
# fmnist.sh: the Fashion-MNIST quality benchmark (make bench-fmnist).
#
# On Debian's dataset-fashion-mnist (60k train, 10k test, 28x28 grey padded
# to 32x32), three runs of the same DCGAN pair (width FMNIST_WIDTH, default
# 32, so that a 2-core machine gets through enough iterations):
#   1. fakeit WGAN (weight clipping, the original hyperparameters) for
#      FMNIST_MINUTES minutes of training (default 7);
#   2. fakeit WGAN-GP (its defaults: Adam 1e-4 (0, 0.9), lambda 10, critic
#      without batch norm) for the same minutes;
#   3. the PyTorch reference (bench/torch_fmnist.py: martinarjovsky's main.py
#      loop) for as many generator iterations as run 1 reached;
#   4. for each seed of FMNIST_SEEDS (default "2"), fakeit WGAN and PyTorch
#      again for that many iterations, so that equal-iteration quality is
#      compared across seeds, not one draw each.
# Every FMNIST_EVERY generator iterations (default 100) each run is measured
# by SWD against FMNIST_N (default 1000) test images (fakeit's runs during
# training, --eval-every; PyTorch's saved generators afterwards with
# `fakeit eval --swd-only`, the same code, images and noise), beside the
# test-vs-test floor. Measuring is never counted as training time.
#
# Writes build/fmnist/ (runs) and docs/fmnist/ (results.md, swd.csv, the
# charts, sample grids). FMNIST_REPORT_ONLY=1 rebuilds docs/fmnist from
# existing runs; FMNIST_ONLY_SEEDS=1 runs only step 4 (and the report).
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${FMNIST_MINUTES:-7}
EVERY=${FMNIST_EVERY:-100}
N=${FMNIST_N:-1000}
WIDTH=${FMNIST_WIDTH:-32}
THREADS=${FMNIST_THREADS:-2}
SEEDS=${FMNIST_SEEDS:-2}
B=build/fmnist
DOCS=docs/fmnist
FAKEIT=./fakeit
IDX=/usr/share/datasets/fashion-mnist

mkdir -p "$B" "$DOCS"

# PyTorch's saved generators measured by fakeit eval: DIR/swd.jsonl
measure_torch() {
    for g in "$1"/netG_*.safetensors; do
        it=$(basename "$g" .safetensors | sed 's/netG_0*//')
        "$FAKEIT" eval --real "$B/test.fkd" --fake "$g" -n "$N" --swd-only --json --threads "$THREADS" | tail -1 |
            sed "s/^/$it /"
    done > "$1/swd.jsonl"
}

# fakeit WGAN and PyTorch with another seed, for the iterations of the first run
run_seed() {
    local s=$1 iters
    iters=$(tail -1 "$B/wgan/metrics.csv" | cut -d, -f1)
    rm -rf "$B/wgan_s$s" "$B/torch_s$s"
    echo "== seed $s: fakeit WGAN and PyTorch, $iters generator iterations"
    "$FAKEIT" train "$B/train.fkd" -o "$B/wgan_s$s" --recipe original --ngf "$WIDTH" --ndf "$WIDTH" --iters "$iters" \
        --threads "$THREADS" --seed "$s" --eval-every "$EVERY" --eval-data "$B/test.fkd" --eval-n "$N" \
        --sample-every 100000000 --save-every 100000000 2> "$B/wgan_s$s.log"
    /usr/bin/python3 bench/torch_fmnist.py "$B/train.fkd" "$B/torch_s$s" --iters "$iters" --every "$EVERY" \
        --width "$WIDTH" --threads "$THREADS" --seed "$s" 2> "$B/torch_s$s.log"
    measure_torch "$B/torch_s$s"
}

if [ "${FMNIST_ONLY_SEEDS:-0}" = 1 ]; then
    for s in $SEEDS; do run_seed "$s"; done
elif [ "${FMNIST_REPORT_ONLY:-0}" != 1 ]; then
    [ -s "$B/train.fkd" ] || "$FAKEIT" prepare "$IDX/train-images-idx3-ubyte.gz" -o "$B/train.fkd" --size 32 --pad 32
    [ -s "$B/test.fkd" ] || "$FAKEIT" prepare "$IDX/t10k-images-idx3-ubyte.gz" -o "$B/test.fkd" --size 32 --pad 32
    rm -rf "$B/wgan" "$B/wgangp" "$B/torch"
    common=(--ngf "$WIDTH" --ndf "$WIDTH" --epochs 100000 --time-limit "$MIN" --threads "$THREADS" --seed 1
            --eval-every "$EVERY" --eval-data "$B/test.fkd" --eval-n "$N" --sample-every 100000000
            --save-every 100000000)
    echo "== fakeit WGAN, $MIN minutes"
    "$FAKEIT" train "$B/train.fkd" -o "$B/wgan" --recipe original "${common[@]}" 2> "$B/wgan.log"
    echo "== fakeit WGAN-GP, $MIN minutes"
    "$FAKEIT" train "$B/train.fkd" -o "$B/wgangp" --recipe wgan-gp "${common[@]}" 2> "$B/wgangp.log"
    iters=$(tail -1 "$B/wgan/metrics.csv" | cut -d, -f1)
    echo "== PyTorch reference, $iters generator iterations"
    /usr/bin/python3 bench/torch_fmnist.py "$B/train.fkd" "$B/torch" --iters "$iters" --every "$EVERY" \
        --width "$WIDTH" --threads "$THREADS" --seed 1 2> "$B/torch.log"
    echo "== measuring PyTorch's generators"
    measure_torch "$B/torch"
    for s in $SEEDS; do run_seed "$s"; done
fi

# one table: run,gen_iter,seconds,swd (runs wgan, wgangp, pytorch, and wgan_sN, pytorch_sN)
torch_rows() {  # NAME DIR
    while read -r it json; do
        sec=$(awk -F, -v it="$it" '$1 == it { print $2 }' "$2/metrics.csv")
        swd=$(sed 's/.*"fake_avg":\([-0-9.e+]*\).*/\1/' <<<"$json")
        echo "$1,$it,$sec,$swd"
    done < "$2/swd.jsonl"
}
{
    echo "run,gen_iter,seconds,swd"
    for r in wgan wgangp; do
        awk -F, -v r="$r" 'NR > 1 && $13 != "" { print r "," $1 "," $10 "," $13 }' "$B/$r/metrics.csv"
    done
    torch_rows pytorch "$B/torch"
    for s in $SEEDS; do
        [ -s "$B/wgan_s$s/metrics.csv" ] || continue
        awk -F, -v r="wgan_s$s" 'NR > 1 && $13 != "" { print r "," $1 "," $10 "," $13 }' "$B/wgan_s$s/metrics.csv"
        [ -s "$B/torch_s$s/swd.jsonl" ] && torch_rows "pytorch_s$s" "$B/torch_s$s"
    done
} > "$DOCS/swd.csv"
floor=$(sed -n 2p "$B/wgan/metrics.csv" | cut -d, -f14)
[ -n "$floor" ] || floor=$(awk -F, 'NR > 1 && $14 != "" { print $14; exit }' "$B/wgan/metrics.csv")
build/bench_curves "$DOCS/swd.csv" "$floor" "$DOCS/swd"

# sample grids from the final generators, the same noise for all three
last_torch=$(ls "$B"/torch/netG_*.safetensors | tail -1)
"$FAKEIT" sample "$B/wgan/netG.safetensors" -n 64 --grid "$DOCS/wgan.png" --seed 7 > /dev/null
"$FAKEIT" sample "$B/wgangp/netG.safetensors" -n 64 --grid "$DOCS/wgangp.png" --seed 7 > /dev/null
"$FAKEIT" sample "$last_torch" -n 64 --grid "$DOCS/pytorch.png" --seed 7 > /dev/null
cp "$B/wgan/real_samples.png" "$DOCS/real.png"
# copy detection and diversity of the final fakes
for r in wgan wgangp; do
    "$FAKEIT" eval --real "$B/test.fkd" --train "$B/train.fkd" --fake "$B/$r/netG.safetensors" -n "$N" \
        --sheet "$DOCS/nearest_$r.png" > "$B/$r/eval.txt"
done
"$FAKEIT" eval --real "$B/test.fkd" --train "$B/train.fkd" --fake "$last_torch" -n "$N" \
    --sheet "$DOCS/nearest_pytorch.png" > "$B/torch/eval.txt"
/usr/bin/python3 bench/fmnist_report.py "$B" "$DOCS" "$MIN" "$WIDTH" "$EVERY" "$N" "$floor" "$SEEDS" > "$DOCS/results.md"
cat "$DOCS/results.md"
