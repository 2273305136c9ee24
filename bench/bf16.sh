#!/usr/bin/env bash
# bf16.sh: what `--precision bf16` costs in quality (make bench-bf16).
#
# The Fashion-MNIST setting of bench/fmnist.sh (Debian's dataset-fashion-mnist,
# 28x28 grey padded to 32x32, the DCGAN pair at width BF16_WIDTH, default 32,
# the original WGAN recipe) trained for BF16_ITERS generator iterations
# (default 911, what the 7-minute run of docs/fmnist reached) in fp32 and in
# bf16, for each seed of BF16_SEEDS (default "1 2"): equal generator
# iterations, so the curves compare the arithmetic, not the speed. SWD (x1000)
# of BF16_N (default 1000) fakes against as many test images every BF16_EVERY
# (default 100) iterations, with `--eval-every` (the same images, patches and
# directions for every run), beside the test-vs-test floor.
#
# Needs a CPU with AVX-512 BF16 (the script says so and stops otherwise).
# Writes build/bf16/ (runs) and docs/fmnist/bf16.md, bf16.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
ITERS=${BF16_ITERS:-911}
EVERY=${BF16_EVERY:-100}
N=${BF16_N:-1000}
WIDTH=${BF16_WIDTH:-32}
SEEDS=${BF16_SEEDS:-1 2}
B=build/bf16
DOCS=docs/fmnist
FAKEIT=./fakeit
IDX=/usr/share/datasets/fashion-mnist

mkdir -p "$B" "$DOCS"
[ -s "$B/train.fkd" ] || "$FAKEIT" prepare "$IDX/train-images-idx3-ubyte.gz" -o "$B/train.fkd" --size 32 --pad 32
[ -s "$B/test.fkd" ] || "$FAKEIT" prepare "$IDX/t10k-images-idx3-ubyte.gz" -o "$B/test.fkd" --size 32 --pad 32
if ! why=$("$FAKEIT" train "$B/train.fkd" -o "$B/probe" --iters 1 --precision bf16 2>&1 > /dev/null); then
    echo "bf16 unavailable: $why"
    exit 0
fi
rm -rf "$B/probe"

for s in $SEEDS; do
    for p in fp32 bf16; do
        rm -rf "$B/${p}_s$s"
        echo "== $p, seed $s, $ITERS generator iterations"
        "$FAKEIT" train "$B/train.fkd" -o "$B/${p}_s$s" --recipe original --ngf "$WIDTH" --ndf "$WIDTH" \
            --iters "$ITERS" --threads 2 \
            --seed "$s" --precision "$p" --eval-every "$EVERY" --eval-data "$B/test.fkd" --eval-n "$N" \
            --sample-every 100000000 --save-every 100000000 2> "$B/${p}_s$s.log"
    done
done

# metrics.csv: column 1 generator iteration, 10 seconds, 13 SWD, 14 floor
{
    echo "run,gen_iter,seconds,swd"
    for s in $SEEDS; do
        for p in fp32 bf16; do
            awk -F, -v r="${p}_s$s" 'NR > 1 && $13 != "" { print r "," $1 "," $10 "," $13 }' "$B/${p}_s$s/metrics.csv"
        done
    done
} > "$DOCS/bf16.csv"
first=$(set -- $SEEDS; echo "$1")
floor=$(awk -F, 'NR > 1 && $14 != "" { print $14; exit }' "$B/fp32_s$first/metrics.csv")
isa=$(grep -o -m1 'avx512_bf16' /proc/cpuinfo || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')

awk -F, -v seeds="$SEEDS" -v iters="$ITERS" -v floor="$floor" -v width="$WIDTH" -v n="$N" \
    -v date="$(date -u +%Y-%m-%d)" -v cpu="$cpu" -v isa="$isa" '
NR == 1 { next }
{ swd[$1, $2] = $4; sec[$1] = $3; last[$1] = $2; its[$2] = 1 }
END {
    ns = split(seeds, S, " ")
    printf "# bf16 against fp32 on Fashion-MNIST\n\n"
    printf "Reproduce with `make bench-bf16` (bench/bf16.sh); measured %s on %s (%s), 2 threads per run.\n\n", date, cpu, isa
    printf "The DCGAN pair at 32x32, width %d, the original WGAN recipe, %d generator iterations per run, in fp32 and with `--precision bf16` (convolutions read bf16 copies of their inputs and weights and sum in fp32, except the layers with an image side, which stay fp32 where that is faster; weights, optimiser, clipping, batch norm and losses stay fp32). SWD (x1000, lower is better) of %d fakes against %d test images; the test-vs-test floor is **%.2f**.\n\n", width, iters, n, n, floor
    printf "| generator iteration |"
    for (i = 1; i <= ns; i++) printf " fp32 s%s | bf16 s%s |", S[i], S[i]
    printf "\n|---:|"
    for (i = 1; i <= ns; i++) printf "---:|---:|"
    printf "\n"
    m = 0
    for (it in its) L[++m] = it + 0
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (L[j] < L[i]) { t = L[i]; L[i] = L[j]; L[j] = t }
    for (k = 1; k <= m; k++) {
        printf "| %d |", L[k]
        for (i = 1; i <= ns; i++) for (p = 1; p <= 2; p++) {
            r = (p == 1 ? "fp32_s" : "bf16_s") S[i]
            printf " %s |", ((r, L[k]) in swd) ? sprintf("%.2f", swd[r, L[k]]) : ""
        }
        printf "\n"
    }
    printf "\nMean SWD over the second half (iterations %d to %d) and training seconds:\n\n", iters / 2, iters
    printf "| run | mean SWD, second half | SWD at the end | training seconds | s / iteration |\n|---|---:|---:|---:|---:|\n"
    for (i = 1; i <= ns; i++) for (p = 1; p <= 2; p++) {
        r = (p == 1 ? "fp32_s" : "bf16_s") S[i]
        s = 0; c = 0
        for (k = 1; k <= m; k++) if (L[k] >= iters / 2 && ((r, L[k]) in swd)) { s += swd[r, L[k]]; c++ }
        mean[r] = c ? s / c : 0
        printf "| %s | %.2f | %.2f | %.0f | %.3f |\n", r, mean[r], swd[r, last[r]], sec[r], sec[r] / last[r]
    }
    lo = 1e9; hi = -1e9; blo = 1e9; bhi = -1e9
    for (i = 1; i <= ns; i++) {
        f = mean["fp32_s" S[i]]; b = mean["bf16_s" S[i]]
        if (f < lo) lo = f; if (f > hi) hi = f; if (b < blo) blo = b; if (b > bhi) bhi = b
    }
    printf "\nfp32 seeds span %.2f to %.2f (second-half means); bf16 seeds %.2f to %.2f.\n", lo, hi, blo, bhi
}' "$DOCS/bf16.csv" > "$DOCS/bf16.md"
cat "$DOCS/bf16.md"
