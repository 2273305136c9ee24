#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages fakeit needs that are missing.
# `make test`, `make demo` and `make fixtures` call it first, so a fresh
# Debian 12 machine needs nothing installed by hand.
#
# usage: scripts/install-deps.sh [build|test|fixtures|bench|photos]
#   build     compiler, make, pkg-config, cJSON, libvips, cairo, zlib, a font,
#             oneDNN and LIBXSMM (the fast CPU backend) (default)
#   test      also clang with libFuzzer and OpenMP, for the fuzzing harnesses,
#             Chromium and python3 (a local web server), for the browser
#             tests of the run report and the sampler, and OpenMPI (sample and
#             upscale under mpirun),
#             that `make test` and `make fuzz` run
#   fixtures  also Debian's PyTorch, for regenerating test fixtures (large; never
#             needed to build, test or run fakeit)
#   bench     also PyTorch with OpenBLAS, for the side-by-side benchmarks, and
#             Fashion-MNIST for the quality benchmark
#             (without OpenBLAS Debian's PyTorch falls back to the reference BLAS
#             and its transposed convolutions run 5x slower)
#   photos    also the photographs the super-resolution report trains and
#             evaluates on (Debian's wallpapers and scikit-image's sample photos)
set -euo pipefail

build=(gcc make libc6-dev pkg-config libcjson-dev libvips-dev libcairo2-dev zlib1g-dev fonts-dejavu-core libdnnl-dev libxsmm-dev)
test=(clang libclang-rt-14-dev libomp-14-dev chromium python3 libopenmpi-dev openmpi-bin)
fixtures=(python3 python3-torch python3-numpy)
bench=(python3 python3-torch python3-numpy libopenblas0-pthread dataset-fashion-mnist)
photos=(lomiri-wallpapers-16.04 python3-skimage python3-pil)

want=("${build[@]}")
case "${1:-build}" in
    build) ;;
    test) want+=("${test[@]}") ;;
    fixtures) want+=("${fixtures[@]}") ;;
    bench) want+=("${bench[@]}") ;;
    photos) want+=("${photos[@]}") ;;
    *) echo "usage: $0 [build|test|fixtures|bench|photos]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "fakeit: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "fakeit: need root to install: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
