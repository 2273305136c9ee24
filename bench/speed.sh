#!/usr/bin/env bash
# speed.sh: fakeit against PyTorch, side by side in one run, training and
# sampling the reference WGAN (DCGAN pair, nz 100, width 64, 5 critic steps,
# RMSprop with clipping) on the built-in bikes.
#
# For each configuration it prints fakeit's line (build/bench_speed), PyTorch's
# line (bench/torch_wgan.py, Debian's /usr/bin/python3 and python3-torch, same
# thread count) and a ratio line; the machine's FMA peak comes first
# (build/bench_peak), and each ratio line's fakeit_of_peak is against the
# mean of a peak measured right before and one right after fakeit's run (the
# host's clock drifts by several percent within minutes). Configurations:
# the reference (64x64, batch 64) at 2 and 1 threads, then 32x32 and
# 128x128, then batch 16 and 256 (2 threads).
# Then the reference configuration with --precision bf16 (its ratio to fp32:
# the median of three alternated pairs; or the line saying why this build or
# CPU cannot). On an AVX-512 CPU, the
# reference configuration with oneDNN held to AVX2 against the AVX2 peak
# ("ratio avx2 emulated ..."). Then the super-resolution
# network of sr-train and upscale (build/bench_sr_speed against
# bench/torch_sr.py, 2 threads: a training step of 16 crops of 32 px, and
# upscaling tiles of 64 px), with its ratio line
#   ratio sr threads=2 train_speedup=X.XX upscale_speedup=Y.YY mem_ratio=Z.ZZ fakeit_of_peak=P%
# and its bf16 line and ratio where bf16 runs. The last line is the
# reference configuration at 2 threads:
#   summary isa=I train_speedup=X.XX sample_speedup=Y.YY mem_ratio=Z.ZZ fakeit_of_peak=P%
# (isa: the widest vector set bench_peak found, avx512 or avx2; speedups:
# fakeit rate / PyTorch rate; mem_ratio: fakeit peak resident memory /
# PyTorch's; fakeit_of_peak: fakeit's GFLOP/s over the FMA peak of 2 threads).
#
# usage: bench/speed.sh [ITERS]   timed generator iterations of the reference
#                                 configuration (default 3; others run 1)
set -euo pipefail
iters=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
if ! $py -c 'import torch' 2> /dev/null; then
    echo "speed.sh: PyTorch is missing: scripts/install-deps.sh bench installs it" >&2
    exit 1
fi

./fakeit bikes -n 1200 -o "$tmp/bikes" --size 128 > /dev/null
for s in 32 64 128; do ./fakeit prepare "$tmp/bikes" -o "$tmp/bikes$s.fkd" --size "$s" > /dev/null; done

build/bench_peak 2 | tee "$tmp/peak"
isa=$(sed -n 's/^peak threads=1 isa=\([^ ]*\).*/\1/p' "$tmp/peak")

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
# peak_now THREADS: the FMA peak of that many threads, measured now (60 ms)
peak_now() { build/bench_peak "$1" | sed -n "s/^peak threads=$1 .*gflops=//p"; }

# run SIZE BATCH THREADS ITERS: one configuration, both programs, a ratio line
run() {
    local size=$1 batch=$2 threads=$3 n=$4 fk pt before peak
    before=$(peak_now "$threads")
    fk=$(build/bench_speed "$tmp/bikes$size.fkd" --batch "$batch" --threads "$threads" --iters "$n")
    peak=$(( (before + $(peak_now "$threads")) / 2 ))
    pt=$($py bench/torch_wgan.py "$tmp/bikes$size.fkd" --batch "$batch" --threads "$threads" --iters "$n")
    echo "$fk"
    echo "$pt"
    awk -v fs="$(field "$fk" sec_per_iter)" -v ps="$(field "$pt" sec_per_iter)" \
        -v fi="$(field "$fk" sample_img_per_s)" -v pi="$(field "$pt" sample_img_per_s)" \
        -v fm="$(field "$fk" peak_rss_mb)" -v pm="$(field "$pt" peak_rss_mb)" \
        -v fg="$(field "$fk" gflop_per_iter)" -v peak="$peak" \
        -v cfg="size=$size batch=$batch threads=$threads" 'BEGIN {
            printf "ratio %s train_speedup=%.2f sample_speedup=%.2f mem_ratio=%.2f", cfg, ps / fs, fi / pi, fm / pm
            printf " fakeit_gflops=%.0f pytorch_gflops=%.0f fma_peak=%.0f fakeit_of_peak=%.0f%%\n", \
                fg / fs, fg / ps, peak, 100 * fg / fs / peak }' | tee -a "$tmp/ratios"
}

run 64 64 2 "$iters"
reference=$(tail -n 1 "$tmp/ratios")
# bf16 over fp32: one iteration of each, alternated three times (the host's
# speed drifts by several percent within minutes), the median of the three
# pairs' ratios (each pair's in pairs=)
one() { build/bench_speed "$tmp/bikes64.fkd" --batch 64 --threads 2 --iters 1 --sample-reps 1 "$@"; }
if bf=$(one --precision bf16 2>&1); then
    echo "$bf"
    pairs=""
    for i in 1 2 3; do
        [ "$i" = 1 ] || bf=$(one --precision bf16)
        fp=$(one)
        pairs="$pairs $(awk -v f="$(field "$fp" sec_per_iter)" -v b="$(field "$bf" sec_per_iter)" 'BEGIN { printf "%.3f", f / b }')"
    done
    read -r _ b _ <<< "$(tr ' ' '\n' <<< "$pairs" | sed '/^$/d' | sort -n | tr '\n' ' ')"
    echo "ratio bf16 size=64 batch=64 threads=2 bf16_over_fp32=$(printf '%.2f' "$b") pairs=$(tr ' ' ',' <<< "${pairs# }")"
else
    echo "bf16 unavailable: $bf"
fi
# AVX2 on an AVX-512 CPU: oneDNN held to AVX2 (8-channel blocks, its AVX2
# kernels, the backend's AVX2 rule, no AVX-512 kernel of fakeit's own) against
# the AVX2 FMA peak of the same cores; an emulation of an AVX2-only host,
# whose caches and clocks are its own. The AVX2 peak is the mean of one
# measured right before and one right after the run (the host's clock drifts
# by several percent within minutes); the iterations as the reference row's
if [ "$isa" = avx512 ]; then
    peak_avx2() { FAKEIT_PEAK_ISA=avx2 build/bench_peak 2 | sed -n 's/^peak threads=2 .*gflops=//p'; }
    before=$(peak_avx2)
    avx2=$(ONEDNN_MAX_CPU_ISA=AVX2 build/bench_speed "$tmp/bikes64.fkd" --batch 64 --threads 2 --iters "$iters" --sample-reps 1)
    peak2=$(( (before + $(peak_avx2)) / 2 ))
    echo "$avx2"
    awk -v f="$(field "$avx2" gflops)" -v peak="$peak2" 'BEGIN {
        printf "ratio avx2 emulated size=64 batch=64 threads=2 fakeit_gflops=%.0f fma_peak=%.0f fakeit_of_peak=%.0f%%\n", \
            f, peak, 100 * f / peak }'
fi
# the super-resolution net, fp32 then bf16
before=$(peak_now 2)
sr_fk=$(build/bench_sr_speed --threads 2)
sr_peak=$(( (before + $(peak_now 2)) / 2 ))
sr_pt=$($py bench/torch_sr.py --threads 2)
echo "$sr_fk"
echo "$sr_pt"
awk -v fs="$(field "$sr_fk" sec_per_step)" -v ps="$(field "$sr_pt" sec_per_step)" \
    -v fu="$(field "$sr_fk" upscale_mpx_per_s)" -v pu="$(field "$sr_pt" upscale_mpx_per_s)" \
    -v fm="$(field "$sr_fk" peak_rss_mb)" -v pm="$(field "$sr_pt" peak_rss_mb)" \
    -v fg="$(field "$sr_fk" gflop_per_step)" -v peak="$sr_peak" 'BEGIN {
        printf "ratio sr threads=2 train_speedup=%.2f upscale_speedup=%.2f mem_ratio=%.2f fakeit_of_peak=%.0f%%\n", \
            ps / fs, fu / pu, fm / pm, 100 * fg / fs / peak }'
if sr_bf=$(build/bench_sr_speed --threads 2 --precision bf16 2>&1); then
    echo "$sr_bf"
    awk -v f="$(field "$sr_fk" sec_per_step)" -v b="$(field "$sr_bf" sec_per_step)" \
        -v fu="$(field "$sr_fk" upscale_mpx_per_s)" -v bu="$(field "$sr_bf" upscale_mpx_per_s)" \
        'BEGIN { printf "ratio sr bf16 threads=2 bf16_over_fp32=%.2f upscale_bf16_over_fp32=%.2f\n", f / b, bu / fu }'
else
    echo "sr bf16 unavailable: $sr_bf"
fi
run 64 64 1 1
run 32 64 2 1
run 128 64 2 1
run 64 16 2 1
run 64 256 2 1
echo "summary isa=$isa train_speedup=$(field "$reference" train_speedup)" \
     "sample_speedup=$(field "$reference" sample_speedup) mem_ratio=$(field "$reference" mem_ratio)" \
     "fakeit_of_peak=$(field "$reference" fakeit_of_peak)"
