#!/usr/bin/env bash
# gpu-check.sh: everything that needs an NVIDIA GPU, in one run with one log:
# the cuda backend's tests, every command end to end on the GPU, then
# `make bench-gpu`'s runs. Made for a lent GPU machine that has the driver,
# cuDNN and cuBLAS but no compiler or CUDA headers: build here first
# (`make gpu-pack` puts the program, the tests, the benchmark and, for a
# machine that lacks them, the shared libraries they need into build/gpu/),
# carry build/gpu, and run this from the repository root there.
#
# Each step has a time limit; a failing step is reported and the next one
# runs. The log is OUTDIR/gpu-check.log; the last lines list every step with
# its exit status, then the bench's gpu_summary line.
#
# usage: scripts/gpu-check.sh [OUTDIR]   (default: $OUT, else /tmp/gpu-check)
set -uo pipefail
out=${1:-${OUT:-/tmp/gpu-check}}
mkdir -p "$out"
log=$out/gpu-check.log
g=build/gpu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -a results=()

step() {  # step NAME SECONDS COMMAND...: runs it with a limit, notes its exit status
    local name=$1 secs=$2 rc
    shift 2
    echo "=== $name ($(date +%T), limit ${secs}s)"
    if declare -F "$1" > /dev/null; then  # a function of this script: in a shell of its own
        timeout "$secs" bash -c "$(declare -f expect "$1"); g=$g work=$work; $*"
    else
        timeout "$secs" "$@"
    fi
    rc=$?
    echo "=== $name: exit $rc"
    results+=("$rc $name")
}

expect() {  # expect STATUS PATTERN COMMAND...: the exit status and a line of its output
    local want=$1 pat=$2 rc
    shift 2
    "$@" > "$work/expect" 2>&1
    rc=$?
    cat "$work/expect"
    [ "$rc" = "$want" ] && grep -q -- "$pat" "$work/expect"
}

cli() {  # every command on the GPU, on a small data set
    local f=$g/fakeit d=$work/cli
    set -e
    mkdir -p "$d"
    "$f" bikes -n 300 -o "$d/bikes" --size 128 > /dev/null
    "$f" prepare "$d/bikes" -o "$d/b64.fkd" --size 64
    "$f" train "$d/b64.fkd" -o "$d/run" --backend cuda --iters 60 --eval-every 30 --sample-every 30 --save-every 30
    "$f" train --resume "$d/run" --iters 80 --backend cuda
    "$f" sample "$d/run" -n 16 -o "$d/samples" --backend cuda
    "$f" sample "$d/run" -n 16 -o "$d/samples-cpu" --backend cpu
    "$f" interp "$d/run" -o "$d/walk.png" --backend cuda
    "$f" eval --real "$d/b64.fkd" --fake "$d/run" -n 200 --backend cuda
    "$f" train "$d/b64.fkd" -o "$d/gp" --backend cuda --loss wgan-gp --critic-norm layer --iters 20 --batch 32
    "$f" train "$d/b64.fkd" -o "$d/tf32" --backend cuda --precision tf32 --iters 20
    "$f" sr-train "$d/bikes" -o "$d/sr.safetensors" --backend cuda --iters 200 --adversarial 0.001
    "$f" bikes -n 2 -o "$d/big" --size 1024 > /dev/null
    "$f" upscale "$d/big" -o "$d/up" --backend cuda --tile 128
    "$f" upscale "$d/big" -o "$d/up-whole" --backend cuda --tile 0
    "$f" sr-eval --model "$d/sr.safetensors" "$d/big" --backend cuda
    "$f" train "$d/b64.fkd" -o "$d/cpu-run" --backend cpu --iters 6 --save-every 3
    "$f" train --resume "$d/cpu-run" --iters 12 --backend cuda
    echo "--- out of device memory (128 px, batch 65536: far over 139 GiB): a clear message, exit 1"
    "$f" prepare "$d/bikes" -o "$d/b128.fkd" --size 128
    expect 1 "out of memory" "$f" train "$d/b128.fkd" -o "$d/oom" --backend cuda --batch 65536 --iters 1
    set +e
}

mpi_gpu() {  # data-parallel training on the GPU: 2 ranks against 1 process (tests/test_mpi.sh's limits)
    local f=$g/fakeit d=$work/mpi o="--backend cuda --ngf 16 --ndf 16 --nz 16 --batch 64 --d-iters-early 3 --iters 3"
    set -e
    mkdir -p "$d"
    "$f" bikes -n 130 -o "$d/bikes" --size 64 > /dev/null
    "$f" prepare "$d/bikes" -o "$d/t.fkd" --size 32 --background any > /dev/null
    "$f" train "$d/t.fkd" -o "$d/one" $o --lr-d 1e-6 --lr-g 1e-6
    # one GPU: NCCL refuses two ranks on one device, so this checks the host-memory sums;
    # with two GPUs or more each rank takes its own and the sums run on them
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 \
        "$f" train "$d/t.fkd" -o "$d/two" $o --lr-d 1e-6 --lr-g 1e-6
    for t in G.params G.buffers D.params D.buffers; do "$g/tensor_diff" "$d/one/state.safetensors" "$d/two/state.safetensors" 1e-5 $t; done
    for t in G.opt D.opt; do "$g/tensor_diff" "$d/one/state.safetensors" "$d/two/state.safetensors" 1e-2 $t; done
    set +e
}

main() {
    echo "gpu-check $(date -u +%FT%TZ) on $(hostname)"
    nvidia-smi -L || echo "nvidia-smi: not here"
    if [ ! -x "$g/fakeit" ]; then
        echo "gpu-check: $g/fakeit is missing: run 'make gpu-pack' on the build machine and carry build/gpu"
        return 1
    fi
    if ldd "$g/fakeit" | grep -q "not found"; then
        echo "--- libraries missing here, taking the packed ones:"
        ldd "$g/fakeit" | grep "not found"
        mkdir -p "$g/lib" && tar -xJf "$g/libs.tar.xz" -C "$g/lib" --strip-components=1
        export LD_LIBRARY_PATH=$PWD/$g/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        ldd "$g/fakeit" | grep "not found" && echo "gpu-check: still missing libraries"
    fi
    "$g/fakeit" backends
    step "test_engine (backend tables)" 60 "$g/test_engine"
    step "test_backends cuda (every op and network against the reference)" 300 "$g/test_backends" cuda
    step "test_oracle cuda (PyTorch fixtures)" 120 "$g/test_oracle" tests/fixtures/engine.safetensors cuda
    if command -v compute-sanitizer > /dev/null; then  # out-of-bounds and misaligned accesses in the kernels
        step "compute-sanitizer memcheck: test_oracle cuda" 240 \
            compute-sanitizer --tool memcheck --leak-check no --error-exitcode 3 \
            "$g/test_oracle" tests/fixtures/engine.safetensors cuda
    fi
    step "test_train (replay, penalty, resume on cuda, cuda <-> cpu)" 300 "$g/test_train"
    step "test_sr" 300 "$g/test_sr"
    step "every command on cuda" 400 cli
    if command -v mpirun > /dev/null; then
        step "data-parallel training on cuda: 2 ranks vs 1 process" 300 mpi_gpu
    else
        echo "=== data-parallel training on cuda: skipped (no mpirun on this machine)"
    fi
    step "bench-gpu" 600 env FAKEIT="$g/fakeit" BENCH_SPEED="$g/bench_speed" bench/gpu.sh
    echo "=== steps (exit status, name)"
    printf '%s\n' "${results[@]}"
}

main 2>&1 | tee "$log"
grep -h "^gpu_summary" "$log" | tail -n 1 | tee -a "$log"
