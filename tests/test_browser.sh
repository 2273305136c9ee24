#!/usr/bin/env bash
# test_browser.sh: fakeit's pages in a real browser, Debian's Chromium driven
# by playwright-core (scripts/npm-deps.sh installs it into build/npm):
#   - the run report: written during training (reloading itself) and at the
#     end (saying how the run ended), by `fakeit report` on demand; opened as
#     file:// it has no console error, its charts, the grid slider, the right
#     iteration count, hover values, eval's verdicts, a screenshot not blank;
#   - the browser sampler (`fakeit export --web`) served by python3 -m
#     http.server on 127.0.0.1: it draws a grid, two seeds differ, the latent
#     slider moves the fake, the upscaler draws it larger.
# Without chromium, node or npm the browser checks say SKIPPED; the report's
# file checks still run.
# usage: FAKEIT=./fakeit tests/test_browser.sh
set -u
FAKEIT=${FAKEIT:-./fakeit}
SR_MODEL=${FAKEIT_SR_MODEL:-models/bikes-x4.safetensors}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 skipped=""
tmp=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2> /dev/null; rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
status_of() { sed -n 's/.*<body data-status="\([a-z]*\)".*/\1/p' "$1/report.html"; }

"$FAKEIT" bikes -n 40 -o "$tmp/bikes" --size 64 --seed 7 > /dev/null
"$FAKEIT" prepare "$tmp/bikes" -o "$tmp/d.fkd" --size 32 --background any > /dev/null
small=(--ngf 8 --ndf 8 --nz 8 --batch 8 --threads 1 --d-iters-early 2)

# ---------------------------------------------------------------------------
# the report's files: during training, stopped, resumed, finished
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/run" "${small[@]}" --iters 100000 --sample-every 20 --save-every 20 \
    --eval-every 40 --eval-n 16 > "$tmp/train.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$tmp/run/report.html" ] && grep -q fake_samples_000040 "$tmp/run/report.html" && break; sleep 0.1; done
check "train writes report.html at its sample points, saying it trains" '[ "$(status_of "$tmp/run")" = training ]'
cp "$tmp/run/report.html" "$tmp/run/report-training.html"  # for the browser: its reload
check "fakeit report on a training run says it trains" \
    '"$FAKEIT" report "$tmp/run" | grep -q "training at iteration" && [ "$(status_of "$tmp/run")" = training ]'
kill -TERM $pid; wait $pid
check "a run stopped by a signal says so" '[ "$(status_of "$tmp/run")" = stopped ]'
check "fakeit report on a stopped run" '"$FAKEIT" report "$tmp/run" | grep -q "stopped at iteration"'
check "no temporary file is left" '! ls "$tmp/run" | grep -q "report.html.*tmp"'
last=$(awk -F, 'END { print $1 }' "$tmp/run/metrics.csv")
"$FAKEIT" train --resume "$tmp/run" --iters $((last + 23)) > /dev/null 2>&1
check "a resumed run that reaches its end is finished" '[ "$(status_of "$tmp/run")" = finished ]'
"$FAKEIT" eval --real "$tmp/d.fkd" --fake "$tmp/run" -n 16 > /dev/null
check "eval leaves eval.json beside nearest.png" '[ -s "$tmp/run/eval.json" ] && [ -s "$tmp/run/nearest.png" ]'
"$FAKEIT" report "$tmp/run" > /dev/null
grids=$(ls "$tmp/run" | grep -c '^fake_samples_')
out=$("$FAKEIT" report "$tmp/nowhere" 2>&1); rc=$?
check "fakeit report on a folder without a run: exit 1, named" '[ $rc = 1 ] && [[ "$out" == *nowhere* ]]'
# a WGAN-GP run: the penalty's chart too
"$FAKEIT" train "$tmp/d.fkd" -o "$tmp/gp" "${small[@]}" --iters 30 --sample-every 10 --loss wgan-gp \
    --critic-norm layer > /dev/null 2>&1
check "the GP run's report has the penalty's figures" 'grep -q "\"has_gp\":true" "$tmp/gp/report.html"'

# the sampler's files; without ONNX Runtime Web's files (a program away from its build) a message
cp "$FAKEIT" "$tmp/alone"
out=$("$tmp/alone" export "$tmp/run" --web "$tmp/w0" 2>&1); rc=$?
check "export --web without ONNX Runtime Web's files says to run make web (exit 2)" '[ $rc = 2 ] && [[ "$out" == *"make web"* ]]'
web_ok=0
if "$FAKEIT" export "$tmp/run" --web "$tmp/web" --upscale "$SR_MODEL" > /dev/null 2> "$tmp/web.log"; then
    web_ok=1
    check "export --web writes the page, the models and the runtime" \
        'for f in index.html sampler.js model.json generator.onnx upscaler.onnx ort.wasm.min.js ort-wasm-simd-threaded.wasm; do
             [ -s "$tmp/web/$f" ] || exit 1; done'
elif grep -q "make web" "$tmp/web.log"; then
    skipped="the sampler: ONNX Runtime Web's files are not built (make web)"
else
    bad "export --web: $(cat "$tmp/web.log")"
fi

# ---------------------------------------------------------------------------
# in Chromium
browser_ok=1
command -v chromium > /dev/null || { browser_ok=0; skipped="chromium is not installed"; }
if [ $browser_ok = 1 ] && ! "$here/../scripts/npm-deps.sh" > "$tmp/npm.log" 2>&1; then
    browser_ok=0
    skipped=$(tail -1 "$tmp/npm.log")
fi
if [ $browser_ok = 1 ]; then
    export NODE_PATH="$here/../build/npm/node_modules"
    it=$(awk -F, 'END { print $1 }' "$tmp/run/metrics.csv")
    check "the report in Chromium: charts, slider, iteration, eval, no console error" \
        'node "$here/js/browser_check.mjs" report "$tmp/run/report.html" "$it" 3 "$grids" "$tmp/report.png" eval'
    check "a report written during training reloads itself in Chromium" \
        'node "$here/js/browser_check.mjs" live "$tmp/run/report-training.html"'
    check "the GP run's report in Chromium: W, Loss_G and penalty charts" \
        'node "$here/js/browser_check.mjs" report "$tmp/gp/report.html" 30 3 3 "$tmp/gp.png"'
    if [ $web_ok = 1 ]; then
        # a local server on a free port (it prints the port)
        python3 -u -m http.server 0 --bind 127.0.0.1 -d "$tmp/web" > "$tmp/server.log" 2>&1 &
        server=$!
        port=""
        for _ in $(seq 100); do
            port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
            [ -n "$port" ] && break
            sleep 0.1
        done
        check "the sampler in Chromium: grid, seeds, latent walk, upscaling, no console error" \
            'node "$here/js/browser_check.mjs" sampler "http://127.0.0.1:$port/" "$tmp/sampler.png" upscale'
    fi
fi
[ -n "${SHOTS:-}" ] && mkdir -p "$SHOTS" && cp "$tmp"/*.png "$SHOTS"/ 2> /dev/null

[ -n "$skipped" ] && echo "test_browser: browser checks SKIPPED: $skipped"
echo "$pass passed, $fail failed${skipped:+, 1 skipped}"
[ $fail = 0 ]
