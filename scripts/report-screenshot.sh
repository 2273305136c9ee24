#!/usr/bin/env bash
# report-screenshot.sh: docs/report.png, the README's picture of a run report:
# the demo's bikes and settings for a few minutes with SWD every 1,000
# iterations, fakeit eval, then the report rendered by Debian's Chromium.
# usage: scripts/report-screenshot.sh [MINUTES]   (default 3; needs make web's npm packages)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./fakeit bikes -n 1200 -o "$tmp/bikes" --size 256 --seed 1 > /dev/null
./fakeit prepare "$tmp/bikes" -o "$tmp/bikes32.fkd" --size 32 > /dev/null
./fakeit train "$tmp/bikes32.fkd" -o "$tmp/demo-run" --iters 100000 --time-limit "$minutes" \
    --ngf 16 --ndf 16 --nz 32 --batch 32 --lr-d 2e-4 --lr-g 4e-4 --early-iters 5 \
    --sample-every 250 --save-every 250 --eval-every 1000 --eval-n 256 > /dev/null
./fakeit eval --real "$tmp/bikes32.fkd" --fake "$tmp/demo-run" -n 400 > /dev/null
./fakeit report "$tmp/demo-run"
scripts/npm-deps.sh > /dev/null
it=$(awk -F, 'END { print $1 }' "$tmp/demo-run/metrics.csv")
grids=$(ls "$tmp/demo-run" | grep -c '^fake_samples_')
NODE_PATH=build/npm/node_modules node tests/js/browser_check.mjs report "$tmp/demo-run/report.html" "$it" 3 "$grids" \
    "$tmp/report.png" eval
# the page as it opens: the newest grid (the check moved the slider to the first)
NODE_PATH=build/npm/node_modules node -e '
const { chromium } = require("playwright-core");
(async () => {
  const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const p = await b.newPage({ viewport: { width: 1200, height: 1000 } });
  await p.goto("file://" + process.argv[1]);
  await p.waitForTimeout(500);
  await p.screenshot({ path: process.argv[2], fullPage: true });
  await b.close();
})();' "$tmp/demo-run/report.html" docs/report.png
echo "wrote docs/report.png (iteration $it)"
