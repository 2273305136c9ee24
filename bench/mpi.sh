#!/usr/bin/env bash
# mpi.sh: data-parallel training on this machine, side by side in one run:
# the reference configuration (64x64, widths 64, nz 100, batch 64, RMSprop
# with clipping, 5 critic steps per generator iteration; the 879 white bikes
# of `fakeit bikes -n 1200 --seed 1`) as 1 process with
# 1 thread, 1 process with all the cores' threads, and one process per core
# with 1 thread each (mpirun). Per configuration: seconds per generator
# iteration in the steady state (metrics.csv's clock from the 2nd iteration
# to the last), and for mpirun the sums over the processes that train's
# summary reports (calls, megabytes, milliseconds per generator iteration).
#
# Each configuration runs ROUNDS times, interleaved; the fastest counts.
#
# usage: FAKEIT=./fakeit bench/mpi.sh [ITERS [ROUNDS]]   (make bench-mpi; needs mpirun)
set -euo pipefail
FAKEIT=${FAKEIT:-./fakeit}
iters=${1:-6}
rounds=${2:-2}
cores=$(nproc)
if ! command -v mpirun > /dev/null; then
    echo "bench-mpi: no mpirun (scripts/install-deps.sh test installs OpenMPI)" >&2
    exit 2
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the built-in bikes as the demo and the seed use them: 1200 drawn, the white ones kept (879)
"$FAKEIT" bikes -n 1200 -o "$tmp/bikes" --size 64 --seed 1 > /dev/null
"$FAKEIT" prepare "$tmp/bikes" -o "$tmp/d.fkd" --size 64 > /dev/null
opts="--iters $iters --d-iters-early 5 --sample-every 100000 --save-every 100000"
isa=$(grep -o -m1 -w 'avx512f\|avx2' /proc/cpuinfo | head -1)

# seconds per generator iteration from iteration 2 to the last (metrics.csv column 10)
steady() { awk -F, 'NR == 3 { t0 = $10; i0 = $1 } END { printf "%.3f", ($10 - t0) / ($1 - i0) }' "$1"; }

# every configuration ROUNDS times, interleaved, the fastest kept: this
# machine's neighbours move single runs by 20 % and more
best() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (a == "" || b < a) ? b : a }'; }
one1="" one="" many="" all=""
for round in $(seq "$rounds"); do
    rm -rf "$tmp/one1" "$tmp/one" "$tmp/many"
    "$FAKEIT" train "$tmp/d.fkd" -o "$tmp/one1" --threads 1 $opts > /dev/null 2>&1
    t=$(steady "$tmp/one1/metrics.csv"); one1=$(best "$one1" "$t"); all+=" 1x1:$t"
    "$FAKEIT" train "$tmp/d.fkd" -o "$tmp/one" --threads "$cores" $opts > /dev/null 2>&1
    t=$(steady "$tmp/one/metrics.csv"); one=$(best "$one" "$t"); all+=" 1x$cores:$t"
    mpirun --oversubscribe -np "$cores" "$FAKEIT" train "$tmp/d.fkd" -o "$tmp/many" --threads 1 $opts > "$tmp/many.log" 2>&1
    t=$(steady "$tmp/many/metrics.csv"); all+=" ${cores}x1:$t"
    if [ "$(best "$many" "$t")" = "$t" ]; then  # the sums of the fastest mpirun run
        many=$t
        sums=$(sed -n 's/.*processes: \([0-9.]*\) per generator iteration, \([0-9.]*\) MB, \([0-9.]*\) ms.*/calls_per_iter=\1 mb_per_iter=\2 ms_per_iter=\3/p' "$tmp/many.log")
    fi
done
echo "mpi runs (sec_per_iter, procs x threads):$all"
echo "mpi procs=1 threads=1 isa=$isa sec_per_iter=$one1"
echo "mpi procs=1 threads=$cores isa=$isa sec_per_iter=$one"
echo "mpi procs=$cores threads=1 isa=$isa sec_per_iter=$many $sums"
awk -v a="$one" -v b="$many" -v c="$one1" -v n="$cores" 'BEGIN {
    printf "ratio procs_over_threads=%.2f procs_speedup_over_1=%.2f threads_speedup_over_1=%.2f ideal=%d\n", b / a, c / b, c / a, n }'
