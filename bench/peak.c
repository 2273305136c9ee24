// peak.c: this machine's fp32 fused-multiply-add peak, the yardstick for the
// GFLOP/s figures of `make bench`.
//
// Each thread runs independent FMA chains on registers only (no memory
// traffic), with the widest vectors the CPU has (AVX-512 when present, else
// AVX2). Prints one line per thread count:
//   peak threads=T isa=avx512|avx2 gflops=G
// usage: bench_peak [MAX_THREADS]   (FAKEIT_PEAK_ISA=avx2: AVX2 even where AVX-512 is)
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define CHAINS 12  // enough independent accumulators to hide the FMA latency
#define REPS 20000000L

// The twelve chains are spelled out as named variables: written as an array
// with an inner loop, gcc -O2 keeps the array on the stack and the loop
// measures store-to-load forwarding instead (seen: half the peak on Zen 5).
#define FMA12(F)                                                                                           \
    a0 = F(a0, a, b), a1 = F(a1, a, b), a2 = F(a2, a, b), a3 = F(a3, a, b), a4 = F(a4, a, b),              \
    a5 = F(a5, a, b), a6 = F(a6, a, b), a7 = F(a7, a, b), a8 = F(a8, a, b), a9 = F(a9, a, b),              \
    a10 = F(a10, a, b), a11 = F(a11, a, b)

__attribute__((target("avx2,fma"))) static float run_avx2(long reps) {
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3),
           a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7),
           a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);
    for (long r = 0; r < reps; r++) FMA12(_mm256_fmadd_ps);
    const __m256 acc[CHAINS] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11};
    float s = 0, out[8];
    for (int i = 0; i < CHAINS; i++) {
        _mm256_storeu_ps(out, acc[i]);
        for (int l = 0; l < 8; l++) s += out[l];
    }
    return s;
}

__attribute__((target("avx512f"))) static float run_avx512(long reps) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3),
           a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7),
           a8 = _mm512_set1_ps(8), a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
    for (long r = 0; r < reps; r++) FMA12(_mm512_fmadd_ps);
    const __m512 acc[CHAINS] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11};
    float s = 0;
    for (int i = 0; i < CHAINS; i++) s += _mm512_reduce_add_ps(acc[i]);
    return s;
}

int main(int argc, char **argv) {
    const int max_threads = argc > 1 ? atoi(argv[1]) : omp_get_num_procs();
    // FAKEIT_PEAK_ISA=avx2: the AVX2 peak on an AVX-512 CPU (the yardstick
    // for runs with oneDNN held to AVX2: ONEDNN_MAX_CPU_ISA=AVX2)
    const char *isa = getenv("FAKEIT_PEAK_ISA");
    const int wide = __builtin_cpu_supports("avx512f") && !(isa && !strcmp(isa, "avx2"));
    const int lanes = wide ? 16 : 8;
    volatile float sink = 0;
    for (int t = 1; t <= max_threads; t++) {
        double best = 0;
        // the best of many short trials: on a shared virtual machine a core
        // can be taken away for a second or two (seen: 2 threads at 1 thread's rate)
        for (int trial = 0; trial < 12; trial++) {
            double t0 = fk_seconds();
#pragma omp parallel num_threads(t)
            {
                float s = wide ? run_avx512(REPS / 16) : run_avx2(REPS / 16);
#pragma omp atomic
                sink += s;
            }
            double secs = fk_seconds() - t0;
            double flops = 2.0 * lanes * CHAINS * (double)(REPS / 16) * t;
            if (flops / secs > best) best = flops / secs;
        }
        printf("peak threads=%d isa=%s gflops=%.0f\n", t, wide ? "avx512" : "avx2", best / 1e9);
    }
    return sink == 12345.0f;  // keeps the work observable
}
