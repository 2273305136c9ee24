#!/usr/bin/env bash
# bikes.sh: the 64x64 bike recipe study (make bench-bikes; not part of make test).
#
# Data: the white bikes of `fakeit bikes -n 1200 --seed 1` prepared at 64x64
# (879 images) to train on; held-out renders of another seed (--seed 2, also
# prepared at 64x64) to measure against. Every run trains for the same
# BIKES_MINUTES of wall-clock training time (default 8; measuring is not
# counted) on the same machine, one after the other, with BIKES_PRECISION
# (default bf16 where the CPU has AVX-512 BF16, else fp32), and is measured
# every few iterations (--eval-every: SWD of 450 fakes against 450 held-out
# reals), then once at its end by `fakeit eval` (SWD, copy check against the
# training set, diversity, colour). The runs:
#   original     the WGAN of Arjovsky et al. as its reference code trains it (width 64)
#   seed-2x      the seed's cure, a generator 2x faster (lr-g 1e-4)
#   seed-5x      the seed's cure, a generator 5x faster (lr-g 2.5e-4)
#   gp-64        WGAN-GP with the paper's settings (the recipe wgan-gp, width 64)
#   clip-32      width 32, clipping, RMSprop lr-d 2e-4 / lr-g 4e-4, 5 early iterations
#   gp-32        WGAN-GP at width 32
#   clip-32-da   clip-32 with DiffAugment translation,cutout,color (the recipe fast)
#   gp-32-da     gp-32 with DiffAugment translation,cutout,color
#   pytorch-seed the seed's own system: the reference loop in PyTorch (bench/torch_seed.py),
#                width 64, fp32, the seed's cure at the better of the two ratios (5x)
# BIKES_RUNS="name ..." runs only those (the report keeps the others' results);
# BIKES_REPORT_ONLY=1 rebuilds docs/bikes from the runs there are.
#
# Writes build/bikes/ (data, runs) and docs/bikes/ (results.md, swd.csv, the
# curves, each run's last grid).
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${BIKES_MINUTES:-8}
B=build/bikes
DOCS=docs/bikes
FAKEIT=./fakeit
PY=/usr/bin/python3
N=450
if [ -z "${BIKES_PRECISION:-}" ]; then
    grep -q avx512_bf16 /proc/cpuinfo && BIKES_PRECISION=bf16 || BIKES_PRECISION=fp32
fi
isa=$(grep -q avx512f /proc/cpuinfo && echo "AVX-512$(grep -q avx512_bf16 /proc/cpuinfo && echo ' with bf16')" || echo AVX2)
mkdir -p "$B" "$DOCS"

if [ ! -f "$B/train.fkd" ]; then
    $FAKEIT bikes -n 1200 -o "$B/bikes1" --seed 1 > /dev/null
    $FAKEIT prepare "$B/bikes1" -o "$B/train.fkd" > /dev/null
fi
if [ ! -f "$B/held.fkd" ]; then
    $FAKEIT bikes -n 1200 -o "$B/bikes2" --seed 2 > /dev/null
    $FAKEIT prepare "$B/bikes2" -o "$B/held.fkd" > /dev/null
fi

declare -A ARGS=(
    [original]="--recipe original --eval-every 50"
    [seed-2x]="--recipe original --lr-g 1e-4 --eval-every 50"
    [seed-5x]="--recipe seed --eval-every 50"
    [gp-64]="--recipe wgan-gp --eval-every 50"
    [clip-32]="--recipe fast --augment none --eval-every 200"
    [gp-32]="--recipe wgan-gp --ngf 32 --ndf 32 --eval-every 200"
    [clip-32-da]="--recipe fast --eval-every 200"
    [gp-32-da]="--recipe wgan-gp --ngf 32 --ndf 32 --augment translation,cutout,color --eval-every 200"
)
ORDER="original seed-2x seed-5x gp-64 clip-32 gp-32 clip-32-da gp-32-da pytorch-seed"
RUNS=${BIKES_RUNS:-$ORDER}
[ -n "${BIKES_REPORT_ONLY:-}" ] && RUNS=

for name in $RUNS; do
    rm -rf "${B:?}/$name"
    echo "== $name ($MIN minutes) $(date -u +%H:%M:%S)"
    if [ "$name" = pytorch-seed ]; then
        mkdir -p "$B/$name"
        $PY bench/torch_seed.py "$B/train.fkd" --minutes "$MIN" --lr-g 2.5e-4 -o "$B/$name/fakes.fkd" \
            | tee "$B/$name/log.txt"
        fake="$B/$name/fakes.fkd"
    else
        # shellcheck disable=SC2086
        $FAKEIT train "$B/train.fkd" -o "$B/$name" ${ARGS[$name]} --precision "$BIKES_PRECISION" \
            --time-limit "$MIN" --iters 100000000 --eval-data "$B/held.fkd" --eval-n $N > "$B/$name.log"
        fake="$B/$name"
    fi
    $FAKEIT eval --real "$B/held.fkd" --fake "$fake" --train "$B/train.fkd" -n $N --json \
        --sheet "$B/$name/nearest.png" | tail -1 > "$B/$name/eval.json"
done

# ---- the report: one row per run from its eval.json and metrics.csv
echo "run,gen_iter,seconds,swd" > "$DOCS/swd.csv"
{
    echo "# The 64x64 bike recipe study"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($isa), $BIKES_PRECISION, every run $MIN minutes of"
    echo "training wall-clock time, one after the other (\`make bench-bikes\`, BIKES_MINUTES=$MIN)."
    echo "Training set: the 879 white bikes of \`fakeit bikes -n 1200 --seed 1\` at 64x64; measured"
    echo "against held-out renders of \`--seed 2\` ($N fakes against $N reals; SWD x1000, lower is better)."
    echo
    echo "| run | generator iterations | SWD | x floor | diversity | copies flagged | coloured fakes / reals | hue distance |"
    echo "|---|---:|---:|---:|---|---:|---|---:|"
} > "$DOCS/results.md"
floor=
for name in $ORDER; do
    j="$B/$name/eval.json"
    [ -f "$j" ] || continue
    if [ "$name" = pytorch-seed ]; then  # its one measurement, at its end
        sec=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$B/$name/log.txt")
        it=$(sed -n 's/.*gen_iters=\([0-9]*\).*/\1/p' "$B/$name/log.txt")
        echo "pytorch-seed (end),$it,$sec,$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['swd']['fake_avg'])" "$j")" >> "$DOCS/swd.csv"
    fi
    iters=$( [ "$name" = pytorch-seed ] && sed -n 's/.*gen_iters=\([0-9]*\).*/\1/p' "$B/$name/log.txt" \
             || tail -1 "$B/$name/metrics.csv" | cut -d, -f1)
    $PY - "$j" "$name" "$iters" >> "$DOCS/results.md" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); s = j['swd']; d = j['diversity']; c = j.get('colour', {})
col = f"{100 * c['fake']['coloured_share']:.0f}% / {100 * c['real']['coloured_share']:.0f}%" if c else ''
print(f"| {sys.argv[2]} | {sys.argv[3]} | {s['fake_avg']:.1f} | {s['ratio']:.2f} | {d['verdict'].split(':')[0]} "
      f"| {int(j['copy']['flagged'])} | {col} | {c.get('hue_distance', 0):.2f} |")
PY
    floor=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['swd']['real_avg'])" "$j")
    if [ -f "$B/$name/metrics.csv" ]; then
        # the measurements during training, then the final one of fakeit eval (the same SWD, set size and seed)
        awk -F, -v k="$name" 'NR > 1 && $13 != "" { print k "," $1 "," $10 "," $13 }' "$B/$name/metrics.csv" >> "$DOCS/swd.csv"
        tail -1 "$B/$name/metrics.csv" | awk -F, -v k="$name" -v s="$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['swd']['fake_avg'])" "$j")" \
            '$13 == "" { print k "," $1 "," $10 "," s }' >> "$DOCS/swd.csv"
        last=$(ls "$B/$name"/fake_samples_*.png | tail -1)
        cp "$last" "$DOCS/$name.png"
    fi
done
[ -n "$floor" ] && build/bench_curves "$DOCS/swd.csv" "$floor" "$DOCS/swd" \
    "64x64 bikes: SWD x1000 of $N fakes vs $N held-out renders (lower is better)"
{
    echo
    printf 'The real-vs-real floor at this set size: %.2f. SWD during training, against training seconds\n' "$floor"
    echo "and against generator iterations:"
    echo
    echo '<img src="swd_seconds.png" width="640" alt="SWD against training seconds"><br>'
    echo '<img src="swd_iters.png" width="640" alt="SWD against generator iterations">'
    echo
    echo "Each fakeit run's last grid of 64 fakes from its fixed noise:"
    echo
    for name in $ORDER; do
        [ -f "$DOCS/$name.png" ] && echo "<figure><img src=\"$name.png\" width=\"264\" alt=\"$name\"><figcaption>$name</figcaption></figure>"
    done
    echo
    echo "The PyTorch run's fakes are measured by the same \`fakeit eval\` from a data set it writes."
    # what the figures say, written by hand from a run of this script
    if [ -f "$DOCS/notes.md" ]; then echo; cat "$DOCS/notes.md"; fi
} >> "$DOCS/results.md"
cat "$DOCS/results.md"
