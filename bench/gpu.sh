#!/usr/bin/env bash
# gpu.sh: fakeit's cuda backend against PyTorch eager and torch.compile
# (mode="reduce-overhead", CUDA graphs) on the same GPU, side by side in one
# run: the reference WGAN (DCGAN pair, nz 100, width 64, 5 critic steps,
# RMSprop with clipping) on the built-in bikes.
#
# For each configuration (64x64 batch 64 first, then 32 and 128 px, then
# batch 16 and 256) it prints fakeit's line (build/bench_speed --backend
# cuda), PyTorch eager's and compiled's (bench/torch_wgan.py --device cuda),
# then a ratio line with generator iterations/s, images/s, peak device memory
# and achieved TFLOP/s. Precision fp32 on both sides (TF32 off: cuDNN
# allow_tf32 False for PyTorch, CUDNN_FMA_MATH for fakeit); the reference
# configuration is run in tf32 too. The last line is the reference
# configuration in fp32:
#   gpu_summary fakeit_it_s=X torch_eager_it_s=Y torch_compile_it_s=Z mem_ratio=W
# (mem_ratio: fakeit's peak device memory / PyTorch eager's).
#
# Environment: PYTHON (default python3, a PyTorch with CUDA), FAKEIT
# (default ./fakeit), BENCH_SPEED (default build/bench_speed), DATA (a folder
# with bikes32.fkd, bikes64.fkd, bikes128.fkd; default: made here with
# fakeit), STEP_TIMEOUT (seconds per program run, default 300).
#
# usage: bench/gpu.sh [ITERS]   timed generator iterations per run (default 100)
set -uo pipefail
iters=${1:-100}
py=${PYTHON:-python3}
fakeit=${FAKEIT:-./fakeit}
bench=${BENCH_SPEED:-build/bench_speed}
limit=${STEP_TIMEOUT:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! $py -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
    echo "gpu.sh: needs an NVIDIA GPU and a PyTorch with CUDA in $py (set PYTHON)" >&2
    exit 1
fi
if ! "$bench" /dev/null --backend cuda 2>&1 | grep -q "not a regular file"; then
    echo "gpu.sh: $bench cannot use the GPU:" >&2
    "$bench" /dev/null --backend cuda >&2
    exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2> /dev/null | sed 's/^/gpu /'
$py -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'

data=${DATA:-}
if [ -z "$data" ]; then
    data=$tmp
    "$fakeit" bikes -n 1200 -o "$tmp/bikes" --size 128 > /dev/null
    for s in 32 64 128; do "$fakeit" prepare "$tmp/bikes" -o "$tmp/bikes$s.fkd" --size "$s" > /dev/null; done
fi

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }

# runs a program with the step limit; prints its last line, or a line saying it failed
one() {
    local out
    if out=$(timeout "$limit" "$@" 2> "$tmp/err"); then
        tail -n 1 <<< "$out"
    else
        echo "failed exit=$? cmd=$*: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
    fi
}

# run SIZE BATCH PRECISION: fakeit, PyTorch eager, PyTorch compiled; a ratio line
run() {
    local size=$1 batch=$2 prec=$3 fk pe pc tf=()
    [ "$prec" = tf32 ] && tf=(--tf32)
    fk=$(one "$bench" "$data/bikes$size.fkd" --backend cuda --precision "$prec" --batch "$batch" --iters "$iters" \
         --sample-reps 50)
    pe=$(one $py bench/torch_wgan.py "$data/bikes$size.fkd" --device cuda "${tf[@]}" --batch "$batch" \
         --iters "$iters" --warmup 5 --sample-reps 50)
    pc=$(one $py bench/torch_wgan.py "$data/bikes$size.fkd" --device cuda "${tf[@]}" --compile --batch "$batch" \
         --iters "$iters" --warmup 10 --sample-reps 50)
    printf '%s\n%s\n%s\n' "$fk" "$pe" "$pc"
    awk -v f="$(field "$fk" it_per_s)" -v e="$(field "$pe" it_per_s)" -v c="$(field "$pc" it_per_s)" \
        -v fi="$(field "$fk" real_img_per_s)" -v fs="$(field "$fk" sample_img_per_s)" \
        -v es="$(field "$pe" sample_img_per_s)" -v cs="$(field "$pc" sample_img_per_s)" \
        -v fm="$(field "$fk" peak_device_mb)" -v em="$(field "$pe" peak_device_mb)" \
        -v cm="$(field "$pc" peak_device_mb)" -v g="$(field "$fk" gflop_per_iter)" \
        -v cfg="size=$size batch=$batch precision=$prec" 'function r(a, b) { return b > 0 ? a / b : 0 }
        BEGIN {
            printf "ratio %s fakeit_it_s=%.1f torch_eager_it_s=%.1f torch_compile_it_s=%.1f", cfg, f, e, c
            printf " vs_eager=%.2f vs_compile=%.2f fakeit_img_s=%.0f", r(f, e), r(f, c), fi
            printf " sample_img_s=%.0f/%.0f/%.0f", fs, es, cs
            printf " peak_device_mb=%.0f/%.0f/%.0f mem_ratio=%.2f", fm, em, cm, r(fm, em)
            printf " tflops=%.1f/%.1f/%.1f\n", g * f / 1000, g * e / 1000, g * c / 1000 }' | tee -a "$tmp/ratios"
}

run 64 64 fp32
reference=$(tail -n 1 "$tmp/ratios")
run 64 64 tf32
run 32 64 fp32
run 128 64 fp32
run 64 16 fp32
run 64 256 fp32
echo "gpu_summary fakeit_it_s=$(field "$reference" fakeit_it_s) torch_eager_it_s=$(field "$reference" torch_eager_it_s)" \
     "torch_compile_it_s=$(field "$reference" torch_compile_it_s) mem_ratio=$(field "$reference" mem_ratio)"
