#!/usr/bin/env bash
# demo.sh: what `make demo` runs. Samples the shipped 64x64 bike generator
# (seconds) and upscales its best fakes x4 with the shipped super-resolution
# model; then draws the built-in bikes, keeps the ones on white, trains a
# WGAN of its own on them for a bounded time on the CPU, samples and upscales
# it; ends with both side by side (DIR/index.html).
#
# usage: scripts/demo.sh [DIR]     (DEMO_MINUTES=N to change the training time)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
minutes=${DEMO_MINUTES:-8}
mkdir -p "$out"
echo "== 0. the shipped 64x64 generator: 64 fakes, and its critic's best 16 of 64 upscaled x4 (64 -> 256 px)"
./fakeit sample models/bikes-64.safetensors -n 64 --grid "$out/shipped-fakes.png"
./fakeit sample models/bikes-64.safetensors -n 64 --rank-by-critic 16 --grid "$out/shipped-x4.png" \
    --upscale models/bikes-x4.safetensors
echo "== 1. drawing 1,200 bikes (about a quarter on coloured backgrounds)"
./fakeit bikes -n 1200 -o "$out/bikes" --size 256 --seed 1
echo "== 2. keeping the ones on white, at 32x32"
./fakeit prepare "$out/bikes" -o "$out/bikes32.fkd" --size 32
echo "== 3. training for at most $minutes minutes on the CPU"
rm -rf "$out/run"
# Small networks at 32x32 and batch 32 so that a few CPU minutes show bikes
# (about 0.03 s per generator iteration on 2 AVX-512 cores with the cpu backend);
# a faster generator than critic (the seed's cure for mode collapse); 5 early
# 100-step critic phases instead of 25; no augmentation (it pays over longer runs).
./fakeit train "$out/bikes32.fkd" -o "$out/run" --iters 100000 --time-limit "$minutes" \
    --ngf 16 --ndf 16 --nz 32 --batch 32 --lr-d 2e-4 --lr-g 4e-4 --early-iters 5 --augment none \
    --sample-every 100 --save-every 100
echo "== 4. sampling"
./fakeit sample "$out/run/netG.safetensors" -n 64 --grid "$out/fakes.png"
./fakeit interp "$out/run/netG.safetensors" -o "$out/walks.png" --rows 4 --steps 8
echo "== 5. upscaling 16 fakes x4 with the shipped bike model, and with bicubic"
./fakeit sample "$out/run/netG.safetensors" -n 16 --grid "$out/fakes-x4.png" --upscale models/bikes-x4.safetensors
./fakeit sample "$out/run/netG.safetensors" -n 16 --grid "$out/fakes-bicubic.png" --upscale bicubic
cat > "$out/index.html" << 'HTML'
<!doctype html>
<meta charset="utf-8"><title>fakeit demo</title>
<style>body{font:15px sans-serif;margin:2em}figure{display:inline-block;vertical-align:top;margin:0 2em 2em 0}
img{image-rendering:pixelated;border:1px solid #ccc}figcaption{max-width:520px}</style>
<h1>fakeit demo</h1>
<figure><img src="shipped-fakes.png" width="520"><figcaption>64 fakes of the shipped 64&times;64 generator
(models/bikes-64.safetensors)</figcaption></figure>
<figure><img src="fakes.png" width="520"><figcaption>64 fakes of the 32&times;32 WGAN this demo just trained
(run/report.html has its whole run)</figcaption></figure>
<figure><img src="shipped-x4.png" width="1060"><figcaption>the shipped generator's critic's best 16 of 64,
upscaled &times;4 to 256&times;256 by models/bikes-x4.safetensors</figcaption></figure>
HTML
echo
echo "done. Look at:"
echo "  $out/index.html         both side by side in a browser: the shipped 64x64 model and this run"
echo "  $out/shipped-fakes.png  64 fakes of the shipped 64x64 generator"
echo "  $out/shipped-x4.png     its critic's best 16 of 64, upscaled x4 (256x256)"
echo "  $out/fakes.png          64 fakes of this run"
echo "  $out/walks.png          walks through the latent space"
echo "  $out/fakes-x4.png       the first 16 fakes upscaled x4 by models/bikes-x4.safetensors"
echo "  $out/fakes-bicubic.png  the same fakes upscaled by bicubic interpolation"
echo "  $out/run/report.html    the run in a browser: charts, the grids over time (fakeit report rewrites it)"
echo "  $out/run/loss.png       the Wasserstein estimate and Loss_G"
echo "  $out/run/real_samples.png   what the network learned from"
echo "  $out/accepted.png $out/rejected.png   what prepare kept and rejected"
echo "continue training with: ./fakeit train --resume $out/run --iters N"
