#!/usr/bin/env bash
# sr-model.sh: trains models/bikes-x4.safetensors, the default super-resolution
# model (fakeit upscale without --model, make demo), from the built-in bikes:
# the same 1,200 drawings as `make demo` (seed 1), the ones on white kept by
# `fakeit prepare` at 256 px and at 128 px (the GAN's thumbnails are those
# shrunk by 4 again), x4, fakeit's default network (32 features, 8 body convs)
# and training (5,000 steps; blur and noise augmentation). About 6 minutes on
# 2 CPU cores.
#
# usage: scripts/sr-model.sh [WORK_DIR]    (default build/sr-model)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-build/sr-model}
mkdir -p "$work" models
./fakeit bikes -n 1200 -o "$work/bikes" --size 256 --seed 1
./fakeit prepare "$work/bikes" -o "$work/bikes256.fkd" --size 256
./fakeit prepare "$work/bikes" -o "$work/bikes128.fkd" --size 128
rm -f "$work/bikes-x4.safetensors" "$work/bikes-x4.safetensors.state.safetensors"
./fakeit sr-train "$work/bikes256.fkd" "$work/bikes128.fkd" -o "$work/bikes-x4.safetensors" --iters 5000 --seed 1
cp "$work/bikes-x4.safetensors" models/bikes-x4.safetensors
echo "wrote models/bikes-x4.safetensors"
