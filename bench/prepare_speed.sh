#!/usr/bin/env bash
# prepare_speed.sh: how long `fakeit prepare` takes on a scraped-looking
# folder of 1,200 JPEG photos of about 500x300, with 1 thread and with all.
# usage: bench/prepare_speed.sh [N]   (run by make bench)
set -euo pipefail
n=${1:-1200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/bench_photos "$n" "$tmp/photos"
bytes=$(du -sb "$tmp/photos" | cut -f1)
echo "prepare_speed: $n JPEG photos of about 500x300 ($((bytes / 1024 / 1024)) MB), $(nproc) cores"
for threads in 1 $(nproc); do
    start=$(date +%s.%N)
    ./fakeit prepare "$tmp/photos" -o "$tmp/out.fkd" --threads "$threads" > "$tmp/log"
    end=$(date +%s.%N)
    kept=$(sed -n 's/^  kept *//p' "$tmp/log")
    awk -v s="$start" -v e="$end" -v n="$n" -v t="$threads" -v k="$kept" \
        'BEGIN { printf "prepare_speed threads=%d seconds=%.2f images_per_s=%.0f kept=%d\n", t, e - s, n / (e - s), k }'
done
