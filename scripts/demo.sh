#!/usr/bin/env bash
# demo.sh: what `make demo` runs. Draws the built-in bikes, keeps the ones on
# white, trains a WGAN on them for a bounded time on the CPU, samples, and
# upscales fakes with the shipped super-resolution model.
#
# usage: scripts/demo.sh [DIR]     (DEMO_MINUTES=N to change the training time)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
minutes=${DEMO_MINUTES:-8}
mkdir -p "$out"
echo "== 1. drawing 1,200 bikes (about a quarter on coloured backgrounds)"
./fakeit bikes -n 1200 -o "$out/bikes" --size 256 --seed 1
echo "== 2. keeping the ones on white, at 32x32"
./fakeit prepare "$out/bikes" -o "$out/bikes32.fkd" --size 32
echo "== 3. training for at most $minutes minutes on the CPU"
rm -rf "$out/run"
# Small networks at 32x32 and batch 32 so that a few CPU minutes show bikes
# (about 0.03 s per generator iteration on 2 AVX-512 cores with the cpu backend);
# a faster generator than critic (the seed's cure for mode collapse); 5 early
# 100-step critic phases instead of 25.
./fakeit train "$out/bikes32.fkd" -o "$out/run" --iters 100000 --time-limit "$minutes" \
    --ngf 16 --ndf 16 --nz 32 --batch 32 --lr-d 2e-4 --lr-g 4e-4 --early-iters 5 \
    --sample-every 100 --save-every 100
echo "== 4. sampling"
./fakeit sample "$out/run/netG.safetensors" -n 64 --grid "$out/fakes.png"
./fakeit interp "$out/run/netG.safetensors" -o "$out/walks.png" --rows 4 --steps 8
echo "== 5. upscaling 16 fakes x4 with the shipped bike model, and with bicubic"
./fakeit sample "$out/run/netG.safetensors" -n 16 --grid "$out/fakes-x4.png" --upscale models/bikes-x4.safetensors
./fakeit sample "$out/run/netG.safetensors" -n 16 --grid "$out/fakes-bicubic.png" --upscale bicubic
echo
echo "done. Look at:"
echo "  $out/fakes.png          64 fakes"
echo "  $out/walks.png          walks through the latent space"
echo "  $out/fakes-x4.png       the first 16 fakes upscaled x4 by models/bikes-x4.safetensors"
echo "  $out/fakes-bicubic.png  the same fakes upscaled by bicubic interpolation"
echo "  $out/run/report.html    the run in a browser: charts, the grids over time (fakeit report rewrites it)"
echo "  $out/run/loss.png       the Wasserstein estimate and Loss_G"
echo "  $out/run/real_samples.png   what the network learned from"
echo "  $out/accepted.png $out/rejected.png   what prepare kept and rejected"
echo "continue training with: ./fakeit train --resume $out/run --iters N"
