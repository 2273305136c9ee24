#!/usr/bin/env bash
# sr_report.sh: what `make bench-sr` runs. The super-resolution report of
# README.md (docs/sr/):
#  (a) photographs: a model trained on 12 of Debian's lomiri wallpapers and
#      11 scikit-image samples, measured on 3 other wallpapers and 4 other
#      samples (x4, PSNR/SSIM on Y against bicubic);
#  (b) held-out bike drawings at 256 px (fakeit bikes, seed 2) with the shipped
#      model models/bikes-x4.safetensors: those prepare keeps (on white, the
#      GAN's and the model's domain), and all of them;
#  (c) GAN fakes: a 64 px WGAN trained on the bikes, its fakes upscaled x4 by
#      the shipped model and by bicubic, SWD of each against the real 256 px
#      bikes.
#
# usage: bench/sr_report.sh [WORK_DIR]       (default build/sr-report)
#   SR_PHOTO_ITERS   sr-train steps of the photo model (default 6000)
#   SR_GAN_MINUTES   training time of the 64 px WGAN (default 15)
#   SR_GAN           an existing 64 px generator instead (skips the training)
#   SR_N             fakes for SWD (default 400; at most half the 879 reals)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-build/sr-report}
docs=docs/sr
photo_iters=${SR_PHOTO_ITERS:-6000}
gan_minutes=${SR_GAN_MINUTES:-15}
n=${SR_N:-400}
model=models/bikes-x4.safetensors
mkdir -p "$work" "$docs"
[ -f "$model" ] || { echo "no $model: make sr-model first" >&2; exit 1; }

walls=/usr/share/backgrounds
ski=/usr/lib/python3/dist-packages/skimage/data
test_photos=("$walls/Bridge_by_Sander_Klootwijk.jpg" "$walls/life_by_Aitzol_Berasategi.jpg"
             "$walls/umang_by_Abhishek_Mudgal.jpg" "$ski/astronaut.png" "$ski/chelsea.png" "$ski/coffee.png"
             "$ski/rocket.jpg")
train_photos=()
for f in "$walls"/*.jpg; do
    case " ${test_photos[*]} " in *" $f "*) ;; *) train_photos+=("$f") ;; esac
done
for s in motorcycle_left.png motorcycle_right.png hubble_deep_field.jpg retina.jpg ihc.png camera.png brick.png \
         grass.png gravel.png moon.png coins.png; do
    train_photos+=("$ski/$s")
done

echo "== (a) photos: training on ${#train_photos[@]} photos, measuring on ${#test_photos[@]} others"
if [ ! -f "$work/photos-x4.safetensors" ]; then
    # evaluated on clean shrunk photos: no conditioning augmentation
    ./fakeit sr-train "${train_photos[@]}" -o "$work/photos-x4.safetensors" --iters "$photo_iters" \
        --blur 0 --noise 0 --seed 1 2>&1 | tee "$work/photos-train.log" | grep -v '^\[' || true
fi
./fakeit sr-eval --model "$work/photos-x4.safetensors" "${test_photos[@]}" --compare "$work/cmp-photos" --json \
    | tail -n 1 > "$work/photos.json"

echo "== (b) held-out bike drawings at 256 px, shipped model: those on white (the GAN's data), then all"
if [ ! -f "$work/bikes-test256.fkd" ]; then
    ./fakeit bikes -n 100 -o "$work/bikes-test" --size 256 --seed 2
    ./fakeit prepare "$work/bikes-test" -o "$work/bikes-test256.fkd" --size 256
fi
./fakeit sr-eval --model "$model" "$work/bikes-test256.fkd" --compare "$work/cmp-bikes" --json | tail -n 1 \
    > "$work/bikes.json"
./fakeit sr-eval --model "$model" "$work/bikes-test" --json | tail -n 1 > "$work/bikes-all.json"

echo "== (c) GAN fakes upscaled x4: SWD at 256 px against the real bikes"
if [ ! -f "$work/bikes256.fkd" ]; then
    [ -d "$work/bikes" ] || ./fakeit bikes -n 1200 -o "$work/bikes" --size 256 --seed 1
    ./fakeit prepare "$work/bikes" -o "$work/bikes256.fkd" --size 256
    ./fakeit prepare "$work/bikes" -o "$work/bikes64.fkd" --size 64
fi
gan=${SR_GAN:-$work/gan64/netG.safetensors}
if [ ! -f "$gan" ]; then
    ./fakeit train "$work/bikes64.fkd" -o "$work/gan64" --iters 100000 --time-limit "$gan_minutes" \
        --ngf 24 --ndf 24 --nz 32 --batch 32 --lr-d 2e-4 --lr-g 4e-4 --early-iters 5 --save-every 100 \
        2>&1 | grep -v '^\[' || true
fi
rm -rf "$work/fakes-model" "$work/fakes-bicubic"
./fakeit sample "$gan" -n "$n" --seed 7 -o "$work/fakes-model" --upscale "$model"
./fakeit sample "$gan" -n "$n" --seed 7 -o "$work/fakes-bicubic" --upscale bicubic
for k in model bicubic; do
    ./fakeit eval --real "$work/bikes256.fkd" --fake "$work/fakes-$k" -n "$n" --swd-only --json | tail -n 1 \
        > "$work/swd-$k.json"
done
./fakeit sample "$gan" -n 4 --seed 7 --grid "$work/fakes64.png"
./fakeit sample "$gan" -n 4 --seed 7 --grid "$work/fakes-bicubic.png" --upscale bicubic
./fakeit sample "$gan" -n 4 --seed 7 --grid "$work/fakes-model.png" --upscale "$model"

/usr/bin/python3 bench/sr_report.py "$work" "$docs"
cat "$docs/results.md"
