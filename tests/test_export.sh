#!/usr/bin/env bash
# test_export.sh: `fakeit export` checked by a real runtime. The exported
# generator, critic and upscaler run in ONNX Runtime (onnxruntime-node from
# the npm registry, installed into build/npm by scripts/npm-deps.sh) on the
# inputs fakeit used, and must give fakeit's results (within 1e-4; the
# upscaler within rounding of fakeit upscale's PNG). Without node or npm the
# runtime checks say SKIPPED; the export's own checks still run.
# usage: FAKEIT=./fakeit tests/test_export.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
SR_MODEL=${FAKEIT_SR_MODEL:-models/bikes-x4.safetensors}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

"$FAKEIT" bikes -n 40 -o "$tmp/bikes" --size 64 --seed 5 > /dev/null
"$FAKEIT" prepare "$tmp/bikes" -o "$tmp/d.fkd" --size 32 --background any > /dev/null
small=(--ngf 8 --ndf 8 --nz 8 --batch 8 --threads 1 --d-iters-early 2 --iters 12 --sample-every 100)
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/clip" "${small[@]}" --seed 4 > /dev/null 2>&1
# every other layer kind: no batch norm in G, layer norm in D, extra 3x3 blocks
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/gp" "${small[@]}" --seed 6 --loss wgan-gp --critic-norm layer --no-bn-g \
    --extra-layers 1 > /dev/null 2>&1

# ---------------------------------------------------------------------------
# the exports themselves
for r in clip gp; do
    check "$r: export writes the generator and the critic" \
        '"$FAKEIT" export "$tmp/$r" -o "$tmp/$r/G.onnx" --critic "$tmp/$r/D.onnx" > /dev/null &&
         [ -s "$tmp/$r/G.onnx" ] && [ -s "$tmp/$r/D.onnx" ]'
    # 19 fakes: the last batch is partial; ranking writes the critic's scores
    check "$r: sample --tensors writes noise, fakes and scores" \
        '"$FAKEIT" sample "$tmp/$r" -n 19 --rank-by-critic 3 --tensors "$tmp/$r/s.safetensors" > /dev/null &&
         "$FAKEIT" inspect "$tmp/$r/s.safetensors" | grep -q "^noise .*\[24, 8, 1, 1\]" &&
         "$FAKEIT" inspect "$tmp/$r/s.safetensors" | grep -q "^fakes .*\[19, 3, 32, 32\]"'
done
check "a generator file exports too, its critic found beside it" \
    '"$FAKEIT" export "$tmp/clip/netG.safetensors" -o "$tmp/G2.onnx" --critic "$tmp/D2.onnx" > /dev/null &&
     [ -s "$tmp/G2.onnx" ] && [ -s "$tmp/D2.onnx" ]'
check "the upscaler exports" '"$FAKEIT" export "$SR_MODEL" -o "$tmp/sr.onnx" > /dev/null && [ -s "$tmp/sr.onnx" ]'
check "exporting twice gives the same bytes" \
    '"$FAKEIT" export "$tmp/clip" -o "$tmp/again.onnx" > /dev/null && cmp -s "$tmp/again.onnx" "$tmp/clip/G.onnx"'

# what is refused, with a message naming the file
out=$("$FAKEIT" export "$tmp/clip/state.safetensors" -o "$tmp/x.onnx" 2>&1); rc=$?
check "a run state is not a model (exit 2, named)" '[ $rc = 2 ] && [[ "$out" == *state.safetensors* ]] && [ ! -e "$tmp/x.onnx" ]'
printf 'not a model' > "$tmp/junk.safetensors"
out=$("$FAKEIT" export "$tmp/junk.safetensors" -o "$tmp/x.onnx" 2>&1); rc=$?
check "a damaged file is refused (exit 1, named)" '[ $rc = 1 ] && [[ "$out" == *junk.safetensors* ]] && [ ! -e "$tmp/x.onnx" ]'
out=$("$FAKEIT" export "$tmp/clip" -o /dev/null 2>&1); rc=$?
check "a device is never replaced by the output (exit 1, named)" '[ $rc = 1 ] && [[ "$out" == */dev/null* ]] && [ -c /dev/null ]'
out=$("$FAKEIT" export "$SR_MODEL" --critic "$tmp/x.onnx" 2>&1); rc=$?
check "an upscaler has no critic (exit 2)" '[ $rc = 2 ] && [[ "$out" == *"no critic"* ]] && [ ! -e "$tmp/x.onnx" ]'
out=$("$FAKEIT" export "$tmp/clip" 2>&1); rc=$?
check "nothing to write is a usage error" '[ $rc = 2 ] && [[ "$out" == *-o* ]]'
mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
    out=$("$FAKEIT" export "$tmp/clip" -o "$tmp/ro/G.onnx" 2>&1); rc=$?
    check "an unwritable output is named" '[ $rc = 1 ] && [[ "$out" == *ro/G.onnx* ]]'
fi

# ---------------------------------------------------------------------------
# ONNX Runtime
"$here/../scripts/npm-deps.sh" > "$tmp/npm.log" 2>&1; npm_rc=$?
if [ $npm_rc != 0 ]; then
    echo "SKIPPED the ONNX Runtime checks: $(tail -1 "$tmp/npm.log")"
    skip=1
else
    export NODE_PATH="$here/../build/npm/node_modules"
    node --version > /dev/null
    for r in clip gp; do
        check "$r: ONNX Runtime's generator and critic equal fakeit's (1e-4)" \
            'node "$here/js/onnx_check.mjs" gan "$tmp/$r/G.onnx" "$tmp/$r/s.safetensors" "$tmp/$r/D.onnx"'
    done
    # a bike (square, upscaled by fakeit in 4 tiles of 40) and a grid of fakes (not square)
    "$FAKEIT" sample "$tmp/clip" -n 3 --grid "$tmp/grid.png" > /dev/null
    for img in "$tmp/bikes/$(ls "$tmp/bikes" | head -1)" "$tmp/grid.png"; do
        "$FAKEIT" upscale "$img" -o "$tmp/up.png" --model "$SR_MODEL" --tile 40 > /dev/null
        check "the upscaler in ONNX Runtime matches fakeit upscale on $(basename "$img")" \
            'node "$here/js/onnx_check.mjs" sr "$tmp/sr.onnx" "$img" "$tmp/up.png"'
    done
    # an x2 model with Real-ESRGAN's nearest skip (Resize nearest, DepthToSpace 2)
    "$FAKEIT" sr-train "$tmp/bikes" -o "$tmp/srn.safetensors" --scale 2 --skip nearest --feats 8 --nconv 2 \
        --iters 3 --patch 16 --threads 1 > /dev/null 2>&1
    "$FAKEIT" export "$tmp/srn.safetensors" -o "$tmp/srn.onnx" > /dev/null
    "$FAKEIT" upscale "$tmp/grid.png" -o "$tmp/upn.png" --model "$tmp/srn.safetensors" --tile 20 > /dev/null
    check "an x2 nearest-skip upscaler in ONNX Runtime matches fakeit upscale" \
        'node "$here/js/onnx_check.mjs" sr "$tmp/srn.onnx" "$tmp/grid.png" "$tmp/upn.png"'
    check "metadata_props carry the configuration and the run" \
        'node "$here/js/onnx_check.mjs" meta "$tmp/clip/G.onnx" fakeit.run.gen_iter 12 > /dev/null &&
         node "$here/js/onnx_check.mjs" meta "$tmp/clip/G.onnx" fakeit.batch_norm training > /dev/null &&
         node "$here/js/onnx_check.mjs" meta "$tmp/sr.onnx" fakeit.scale 4 > /dev/null'
fi

[ $skip = 1 ] && echo "test_export: the ONNX Runtime checks were skipped (one skipped group)"
echo "$pass passed, $fail failed$([ $skip = 1 ] && echo ", 1 skipped")"
[ $fail = 0 ]
