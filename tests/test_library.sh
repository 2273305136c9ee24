#!/usr/bin/env bash
# test_library.sh: fakeit as installed by `make install PREFIX=...`: the
# header, libfakeit.so with its version, fakeit.pc, the program and the
# shipped model; examples/fakeit_example.c built against it with
# `pkg-config --cflags --libs fakeit` and run from images to upscaled fakes.
# usage: tests/test_library.sh PREFIX   (after make install PREFIX=PREFIX)
set -u
prefix=$1
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
unset FAKEIT_SR_MODEL  # the installed program and library must find their own model
version=$(sed -n 's/^#define FAKEIT_VERSION "\(.*\)"/\1/p' "$here/../include/fakeit.h")

check "installed: program, header, model, pkg-config file" \
    '[ -x "$prefix/bin/fakeit" ] && [ -f "$prefix/include/fakeit.h" ] && [ -f "$prefix/share/fakeit/bikes-x4.safetensors" ] &&
     [ -f "$prefix/lib/pkgconfig/fakeit.pc" ]'
check "libfakeit.so.$version with its soname and links" \
    '[ -f "$prefix/lib/libfakeit.so.$version" ] && [ -L "$prefix/lib/libfakeit.so" ] &&
     objdump -p "$prefix/lib/libfakeit.so.$version" | grep -q "SONAME *libfakeit.so.${version%%.*}"'
check "the library exports the API and hides the rest" \
    'nm -D --defined-only "$prefix/lib/libfakeit.so" | grep -q " T fk_train" &&
     ! nm -D --defined-only "$prefix/lib/libfakeit.so" | grep -q " T wgan_iteration"'
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config knows fakeit $version" '[ "$(pkg-config --modversion fakeit)" = "$version" ]'
"$prefix/bin/fakeit" bikes -n 24 -o "$tmp/bikes" --size 64 --seed 9 > /dev/null
check "the installed program runs on the installed library" 'ldd "$prefix/bin/fakeit" | grep -q "$prefix/bin/../lib/libfakeit.so"'
check "the installed program finds the installed model" \
    '"$prefix/bin/fakeit" upscale "$tmp/bikes/bike_00000.png" -o "$tmp/up.png" > /dev/null && [ -s "$tmp/up.png" ]'

# shellcheck disable=SC2046
check "examples/fakeit_example.c builds with pkg-config --cflags --libs fakeit" \
    'cc -std=c11 -Wall -Wextra -Werror -o "$tmp/example" "$here/../examples/fakeit_example.c" \
        $(pkg-config --cflags --libs fakeit) -Wl,-rpath,"$(pkg-config --variable=libdir fakeit)"'
check "the example links the installed libfakeit.so" 'ldd "$tmp/example" | grep -q "$prefix/lib/libfakeit.so"'
out=$("$tmp/example" "$tmp/bikes" "$tmp/work" 20 2>&1); rc=$?
echo "$out" | sed 's/^/     /'
check "the example prepares, trains, samples and upscales" \
    '[ $rc = 0 ] && [ "$(head -c 13 "$tmp/work/fake_0.ppm" | tr "\n" " ")" = "P6 32 32 255 " ] &&
     [ "$(head -c 15 "$tmp/work/fake_0_x4.ppm" | tr "\n" " ")" = "P6 128 128 255 " ] && [ -s "$tmp/work/run/report.html" ]'
check "fakes are not blank" '[ "$(tail -c +14 "$tmp/work/fake_0.ppm" | od -An -tu1 -v | tr -s " " "\n" | sort -u | wc -l)" -gt 20 ]'
if [ -f "$prefix/share/fakeit/web/ort.wasm.min.js" ]; then
    check "the installed program writes the browser sampler from share/fakeit/web" \
        '"$prefix/bin/fakeit" export "$tmp/work/run" --web "$tmp/web" > /dev/null && [ -s "$tmp/web/ort-wasm-simd-threaded.wasm" ]'
fi
out=$("$tmp/example" "$tmp/nothing" "$tmp/w2" 2>&1); rc=$?
check "a failure reaches the program as a status and a message" '[ $rc = 1 ] && [[ "$out" == *FK_ERR_*nothing* ]]'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
