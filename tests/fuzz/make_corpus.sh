#!/usr/bin/env bash
# make_corpus.sh: writes the fuzzers' seed corpora (tests/fuzz/corpus/NAME)
# from fakeit's own outputs and hand-made headers; no third-party files.
# usage: FAKEIT=./fakeit tests/fuzz/make_corpus.sh   (then commit the result)
set -euo pipefail
cd "$(dirname "$0")/../.."
FAKEIT=${FAKEIT:-./fakeit}
c=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$c" && mkdir -p "$c"/{fuzz_checkpoint,fuzz_fkd,fuzz_idx,fuzz_image,fuzz_opts}

# a tiny run: generator, critic and state (WGAN and WGAN-GP), and an SR model
"$FAKEIT" bikes -n 6 -o "$tmp/b" --size 32 --seed 1 > /dev/null
"$FAKEIT" prepare "$tmp/b" -o "$tmp/d.fkd" --size 16 --background any > /dev/null
tiny=(--ngf 2 --ndf 2 --nz 2 --batch 2 --iters 1 --d-iters-early 1 --threads 1)
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/r" "${tiny[@]}" > /dev/null 2>&1
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/g" "${tiny[@]}" --loss wgan-gp --critic-norm layer > /dev/null 2>&1
"$FAKEIT" sr-train "$tmp/b" -o "$tmp/sr.safetensors" --iters 1 --batch 1 --patch 8 --feats 2 > /dev/null 2>&1
cp "$tmp/r/netG.safetensors" "$c/fuzz_checkpoint/netG"
cp "$tmp/r/netD.safetensors" "$c/fuzz_checkpoint/netD"
cp "$tmp/r/state.safetensors" "$c/fuzz_checkpoint/state"
cp "$tmp/g/state.safetensors" "$c/fuzz_checkpoint/state-gp"
cp "$tmp/sr.safetensors" "$c/fuzz_checkpoint/sr"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}\x00\x00\x80\x3f' > "$c/fuzz_checkpoint/tiny"

# a data set of 6 images of 16x16
cp "$tmp/d.fkd" "$c/fuzz_fkd/d.fkd"

# IDX: 3 images of 4x5, plain and gzipped; a label file (1 dimension)
idx() { printf '\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05'; head -c 60 /dev/zero | tr '\0' '\200'; }
idx > "$c/fuzz_idx/images-idx3-ubyte"
idx | gzip -9n > "$c/fuzz_idx/images-idx3-ubyte.gz"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03' > "$c/fuzz_idx/labels-idx1-ubyte"

# images: a real PNG from fakeit, and headers of each format fakeit sniffs
cp "$tmp/b/bike_00000.png" "$c/fuzz_image/bike.png"
printf 'GIF89a\x10\x00\x10\x00\x00\x00\x00;' > "$c/fuzz_image/head.gif"
printf 'BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x10\x00\x00\x00\xf0\xff\xff\xff\x01\x00\x18\x00' > "$c/fuzz_image/head.bmp"
printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xc0\x00\x11\x08\x00\x20\x00\x30\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9' > "$c/fuzz_image/head.jpg"
printf 'RIFF\x1a\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x1f\x00\x00\x1f\x00\x00' > "$c/fuzz_image/head-vp8x.webp"
printf 'RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x1f\xc0\x07\x00\x00\x00\x00\x00\x00' > "$c/fuzz_image/head-vp8l.webp"

# argument lists: the command's index (data.c, gan.c, eval.c, sr.c order in
# the harness), then NUL-separated arguments
args() { local i=$1; shift; { printf "\\x$(printf %02x "$i")"; printf '%s\0' "$@"; } > "$c/fuzz_opts/$i-$(echo "$*" | tr -c 'a-z0-9' '_' | head -c 40)"; }
args 0 dir -o out.fkd --size 64 --background any --pad 32
args 3 d.fkd -o run --iters 10 --lr-d 1e-4 --loss wgan-gp --critic-norm layer --time-limit 0.5
args 3 --resume run --iters 20 --threads 2 --data-changed d.fkd
args 4 run -n 8 --grid g.png --seed 3 --rank-by-critic 2 --upscale bicubic
args 6 --real r.fkd --fake run -n 10 --json --swd-only
args 7 a.png -o out --model bicubic --scale 2 --tile 0 --max-pixels 1e6
args 8 dir -o m.safetensors --iters 5 --patch 16 --feats 4 --adversarial 0.01
args 9 --model m.safetensors dir --compare out --json
echo "wrote $(find "$c" -type f | wc -l) seed inputs under $c"
