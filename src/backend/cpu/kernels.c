// kernels.c: fakeit's own AVX-512 convolution kernels for every pass of a
// 4x4, stride 2, padding 1 convolution on the 16-channel blocked layout (the
// critic's layers and, through their equivalents, the generator's transposed
// ones), where oneDNN 2.6's kernels run at 67-88 % of the peak and these at
// 83-98 % in fp32: the forward and the input gradient in fp32 and bf16, the
// weight gradient in fp32 and bf16; and the input gradient of such a
// convolution whose input is an image (1-3 plain channels: the generator's
// last layer, the critic's first). The fp32 forward, input gradient and
// weight gradient also have an AVX2 form on the 8-channel blocked layout
// (the backend's on a CPU without AVX-512), for the small outputs where
// oneDNN's AVX2 kernels and matrix products are slow (below: "AVX2 form").
// Which pass runs here is dnnl.c's rule.
//
// On the equivalent convolution (cpu_conv_equivalent, cpu.h) X (N, C, H, W)
// -> Y (N, OC, OH, OW), H = 2 OH, W = 2 OW, weights w (OC, C, 4, 4).
//
// Input gradient:
//   dX[n][c][2i+a][2j+b] (+)= sum over oc and the taps (kh, kw) of parity
//       kh = 1 - a (mod 2), kw = 1 - b (mod 2) of
//       dY[n][oc][i + (a+1-kh)/2][j + (b+1-kw)/2] * w[oc][c][kh][kw]
// so each of the four output parities (a, b) is a 2x2, stride-1 convolution
// of dY with its own four taps, zero outside dY: it runs in the forward's
// tiles (below).
//
// Weight gradient:
//   dw[oc][c][kh][kw] += sum over n, oh, ow of
//       dY[n][oc][oh][ow] * X[n][c][2 oh - 1 + kh][2 ow - 1 + kw]
// in tiles of one input block (16 channels c, a vector), one kernel row kh,
// the four kw and 6 output channels: 24 sums in registers, and per output
// pixel two new X vectors (the other two are the previous pixel's, stride 2)
// and 6 broadcasts of dY. The tiles of one input block and kernel row sum
// sample after sample into a thread's buffer (the size of their part of dw),
// which is then added into dw. The bf16 form (below) takes two samples per
// step with vdpbf16ps; the AVX2 form, on 8-channel blocks, tiles of 3
// output channels (12 sums) with the X vectors read by the multiply-adds.
//
// Each output element is summed by one thread in a fixed order, whatever the
// thread count: the same bits with 1 or 2 threads.
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "util/util.h"

#include <omp.h>

enum { SLOT_DOT = 4 };  // the one-pixel kernels' scratch slot, when weights are not in a declared block (cpu.h)

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

enum { SLOT_PACK = 4 };  // a scratch slot gemm.c and plain.c leave free (cpu.h)

// The block the own kernels run on here: 16 (AVX-512 kernels) when the
// backend blocks by 16 on an AVX-512 CPU, 8 (AVX2 kernels, fp32) when it
// blocks by 8 on a CPU with AVX2 and FMA, else 0 (none)
static int own_block(void) {
    static int avx512 = -1, avx2 = -1;
    if (avx512 < 0)
        avx512 = __builtin_cpu_supports("avx512f"),
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return BLK == 16 && avx512 ? 16 : BLK == 8 && avx2 ? 8 : 0;
}

// This CPU and shape: blocks on both sides (own_block), 4x4 / 2 / 1, even sizes.
static int own_shape(const CpuConvEq *e) {
    const int B = own_block();
    return B && e->K == 4 && e->S == 2 && e->P == 1 && e->H == 2 * e->OH && e->W == 2 * e->OW && e->OC % B == 0 &&
           cpu_blocked(e->C, e->H, e->W) && cpu_blocked(e->OC, e->OH, e->OW);
}

// AVX-512 BF16 (vdpbf16ps) on this CPU, and the backend's blocks of 16 the bf16 kernels run on
static int has_bf16(void) {
    static int bf16 = -1;
    if (bf16 < 0) bf16 = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
    return bf16 && own_block() == 16;
}
int cpu_own_bf16(void) { return has_bf16(); }

// The taps of parity (a, b): t = th * 2 + tw, kh = (1 - a) + 2 th, kw = (1 - b) + 2 tw.
static int tap_k(int parity, int t) { return (1 - parity) + 2 * t; }
static int tap_d(int parity, int t) { return (parity + 1 - tap_k(parity, t)) / 2; }  // dY offset: -1, 0 or +1

// ---------------------------------------------------------------------------
// weight gradient

enum { TILE_OC = 6 };  // output channels of a tile: 4 x 6 sums, 4 X vectors and a broadcast in registers

// Samples per call of a tile's loop: as many as keep their input (`bytes`
// each) within about 128 KB (L2), at least one
static int samples_per_batch(size_t bytes) {
    const size_t batch = (size_t)128 * 1024;
    return bytes >= batch ? 1 : (int)(batch / bytes);
}

// a tile's 4 x 6 sums (vectors kw-major) from and back to a
__attribute__((target("avx512f"), always_inline)) static inline void tile_load(__m512 acc[4][TILE_OC], const float *a) {
#pragma GCC unroll 4
    for (int t = 0; t < 4; t++)
#pragma GCC unroll 8
        for (int o = 0; o < TILE_OC; o++) acc[t][o] = _mm512_load_ps(a + (t * TILE_OC + o) * 16);
}
__attribute__((target("avx512f"), always_inline)) static inline void tile_store(float *a, __m512 acc[4][TILE_OC]) {
#pragma GCC unroll 4
    for (int t = 0; t < 4; t++)
#pragma GCC unroll 8
        for (int o = 0; o < TILE_OC; o++) _mm512_store_ps(a + (t * TILE_OC + o) * 16, acc[t][o]);
}

int cpu_own_can_upd(const CpuConvEq *e) {
    return own_shape(e) && e->C % BLK == 0 && e->OW >= 2;
}

// One output pixel of a tile: acc[kw][o] += x[kw] * dY of output channel o at
// yp[o][at], for kw in [k0, k1) (a side pixel has three of the four taps).
__attribute__((target("avx512f"), always_inline)) static inline void upd_pixel(__m512 acc[4][TILE_OC], const __m512 *x,
                                                                               const float *const *yp, int at, int k0,
                                                                               int k1) {
#pragma GCC unroll 8
    for (int o = 0; o < TILE_OC; o++) {
        const __m512 v = _mm512_set1_ps(yp[o][at]);
#pragma GCC unroll 4
        for (int kw = k0; kw < k1; kw++) acc[kw][o] = _mm512_fmadd_ps(x[kw], v, acc[kw][o]);
    }
}

// One output row of a tile: X row (pixel iw at xr + 16 iw) against dY
// (output channel o's pixel ow at yp[o][16 ow]). Pixel ow reads X at
// iw = 2 ow - 1 + kw, so its kw 0 and 1 are the previous pixel's kw 2 and 3;
// the side pixels ow = 0 and OW - 1 have no kw = 0 and kw = 3 (padding).
__attribute__((target("avx512f"), always_inline)) static inline void upd_row(__m512 acc[4][TILE_OC], const float *xr,
                                                                             const float *const *yp, int OW) {
    __m512 x[4];
    x[1] = _mm512_load_ps(xr), x[2] = _mm512_load_ps(xr + 16), x[3] = _mm512_load_ps(xr + 32);
    upd_pixel(acc, x, yp, 0, 1, 4);
    for (int ow = 1; ow < OW - 1; ow++) {
        const float *xp = xr + (size_t)(2 * ow - 1) * 16;
        x[0] = x[2], x[1] = x[3], x[2] = _mm512_load_ps(xp + 32), x[3] = _mm512_load_ps(xp + 48);
        upd_pixel(acc, x, yp, ow * 16, 0, 4);
    }
    x[0] = x[2], x[1] = x[3], x[2] = _mm512_load_ps(xr + (size_t)(2 * OW - 1) * 16);
    upd_pixel(acc, x, yp, (OW - 1) * 16, 0, 3);
}

// One tile (an input block, kernel row kh, 6 output channels) over S
// samples: its 4 x 6 sums from and back to a (vectors kw-major), sample s's
// input block at xs + s xstep, output channel o's plane of dY at ys[o] +
// s ystep. The sums stay in registers from sample to sample: at 4x4 outputs
// a sample is only 12 pixel steps.
__attribute__((target("avx512f"))) static void upd_batch(float *a, const float *xs, size_t xstep,
                                                         const float *const *ys, size_t ystep, int S, int H, int W,
                                                         int OH, int OW, int kh) {
    __m512 acc[4][TILE_OC];
    tile_load(acc, a);
    for (int s = 0; s < S; s++)
        for (int oh = 0; oh < OH; oh++) {
            const int ih = 2 * oh - 1 + kh;
            if (ih < 0 || ih >= H) continue;
            const float *yp[TILE_OC];
#pragma GCC unroll 8
            for (int o = 0; o < TILE_OC; o++) yp[o] = ys[o] + s * ystep + (size_t)oh * OW * 16;
            upd_row(acc, xs + s * xstep + (size_t)ih * W * 16, yp, OW);
        }
    tile_store(a, acc);
}

// dw (OC, C, 4, 4) += a group's sums: input block cb (B channels), kernel
// row kh, tiles of TO output channels (vectors of B, kw-major)
static void add_group(float *dw, const float *gs, int C, int OC, int cb, int kh, int B, int TO) {
    for (int oc = 0; oc < OC; oc++) {
        const float *sv = gs + (size_t)(oc / TO) * 4 * TO * B + (oc % TO) * B;
        for (int l = 0; l < B; l++) {
            float *d = dw + (((size_t)oc * C + cb * B + l) * 4 + kh) * 4;
            for (int kw = 0; kw < 4; kw++) d[kw] += sv[(size_t)kw * TO * B + l];
        }
    }
}

// The AVX2 form on blocks of 8 channels (vectors of 8): tiles of 4 kw x
// TILE_OC8 output channels, 12 sums in registers; the X vectors are read
// from memory by the multiply-adds (16 registers hold no more than the sums,
// the broadcasts and one X vector).
enum { TILE_OC8 = 3 };

// output pixel ow of a row: X at iw = 2 ow - 1 + kw (xr + 8 iw), kw in [k0, k1)
__attribute__((target("avx2,fma"), always_inline)) static inline void upd_pixel8(__m256 acc[4][TILE_OC8],
                                                                                 const float *xr,
                                                                                 const float *const *yp, int ow,
                                                                                 int k0, int k1) {
#pragma GCC unroll 4
    for (int o = 0; o < TILE_OC8; o++) {
        const __m256 v = _mm256_broadcast_ss(yp[o] + ow * 8);
#pragma GCC unroll 4
        for (int kw = k0; kw < k1; kw++)
            acc[kw][o] = _mm256_fmadd_ps(_mm256_load_ps(xr + (size_t)(2 * ow - 1 + kw) * 8), v, acc[kw][o]);
    }
}

// upd_batch on 8-channel blocks
__attribute__((target("avx2,fma"))) static void upd_batch8(float *a, const float *xs, size_t xstep,
                                                          const float *const *ys, size_t ystep, int S, int H, int W,
                                                          int OH, int OW, int kh) {
    __m256 acc[4][TILE_OC8];
    for (int t = 0; t < 4; t++)
        for (int o = 0; o < TILE_OC8; o++) acc[t][o] = _mm256_load_ps(a + (t * TILE_OC8 + o) * 8);
    for (int s = 0; s < S; s++)
        for (int oh = 0; oh < OH; oh++) {
            const int ih = 2 * oh - 1 + kh;
            if (ih < 0 || ih >= H) continue;
            const float *yp[TILE_OC8];
            for (int o = 0; o < TILE_OC8; o++) yp[o] = ys[o] + s * ystep + (size_t)oh * OW * 8;
            const float *xr = xs + s * xstep + (size_t)ih * W * 8;
            upd_pixel8(acc, xr, yp, 0, 1, 4);  // the side pixels have no kw 0 (iw -1) and 3 (iw W)
            for (int ow = 1; ow < OW - 1; ow++) upd_pixel8(acc, xr, yp, ow, 0, 4);
            upd_pixel8(acc, xr, yp, OW - 1, 0, 3);
        }
    for (int t = 0; t < 4; t++)
        for (int o = 0; o < TILE_OC8; o++) _mm256_store_ps(a + (t * TILE_OC8 + o) * 8, acc[t][o]);
}

void cpu_own_backward_weights(float *dw, const float *dy, const float *x, const CpuConvEq *e) {
    const int B = own_block(), TO = B == 16 ? TILE_OC : TILE_OC8;
    const int C = e->C, OC = e->OC, H = e->H, W = e->W, OH = e->OH, OW = e->OW, CB = C / B;
    const int chunks = (OC + TO - 1) / TO, groups = CB * 4;
    const size_t tile_floats = (size_t)4 * TO * B, group_floats = (size_t)chunks * tile_floats;
    // a group is the tiles of one input block and kernel row (all output
    // channels): summed over the samples in a buffer of its own (one per
    // thread), then added into dw; a group's tiles read the same rows of X,
    // in batches of samples whose input blocks fit in L2
    const int S = samples_per_batch((size_t)H * W * B * sizeof(float));
    float *sums = cpu_scratch(SLOT_PACK, (size_t)omp_get_max_threads() * group_floats);
#pragma omp parallel
    {
        const int nt = omp_get_num_threads(), id = omp_get_thread_num();
        float *gs = sums + (size_t)id * group_floats;
        for (int g = (int)((long)groups * id / nt); g < (int)((long)groups * (id + 1) / nt); g++) {
            const int kh = g % 4, cb = g / 4;
            memset(gs, 0, group_floats * sizeof(float));
            for (int n0 = 0; n0 < e->N; n0 += S)
                for (int ch = 0; ch < chunks; ch++) {
                    const float *ys[TILE_OC];
                    for (int o = 0; o < TO; o++) {
                        // past the last output channel (the last chunk's tail): a real one, summed and dropped
                        const int oc = ch * TO + o < OC ? ch * TO + o : OC - 1;
                        ys[o] = dy + ((size_t)n0 * (OC / B) + oc / B) * OH * OW * B + oc % B;
                    }
                    (B == 16 ? upd_batch : upd_batch8)(gs + (size_t)ch * tile_floats,
                                                       x + ((size_t)n0 * CB + cb) * H * W * B, (size_t)CB * H * W * B,
                                                       ys, (size_t)OC * OH * OW, e->N - n0 < S ? e->N - n0 : S, H, W,
                                                       OH, OW, kh);
                }
            add_group(dw, gs, C, OC, cb, kh, B, TO);
        }
    }
}

// ---------------------------------------------------------------------------
// weight gradient, bf16 operands (AVX-512 BF16)
//
// The same tiles and pixel steps as upd_row, on operands rounded to bf16 (to
// nearest even, as oneDNN rounds them) with fp32 sums: vdpbf16ps adds to
// each of 16 fp32 sums the products of two bf16 pairs, and a pair is two
// samples, 2m and 2m + 1 (the last one's partner zero when N is odd). X is
// rewritten into rows of sample pairs, lane c of pixel iw holding
// (X[2m][c][ih][iw], X[2m + 1][c][ih][iw]); dY once per call into sample
// pairs in the tiles' order, (tiles of TILE_OC output channels, (N + 1) / 2,
// OH OW, TILE_OC), so a tile reads its dY in one stream and a step's 6
// broadcasts are 24 consecutive bytes. Per step (an output pixel of two
// samples): 2 new X vectors (the other two are the previous pixel's), 6
// broadcasts, 24 vdpbf16ps (48 pixel-taps). Against pairs of neighbouring
// output pixels (each X vector rewritten twice, 4 loaded per step, an even
// width), the rewrite writes half as much and the steps load half the X.
//
// A group is one input block and the kernel rows of one parity (kh0 and
// kh0 + 2 read input rows ih = 2 r - 1 + kh0, r = oh and oh + 1), so each
// input row is rewritten once per call. Sample pairs go in batches whose
// rows stay in L2 (about 128 KB), and a tile sums a whole batch in
// registers.

enum { SLOT_DY2 = 0, SLOT_X2 = 1 };  // gemm.c's and plain.c's slots, free while this runs (cpu.h)

int cpu_own_can_upd_bf16(const CpuConvEq *e) { return has_bf16() && cpu_own_can_upd(e); }

// lane l: bf16(lo[l]) in the low half, bf16(hi[l]) in the high half
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static inline __m512i pair_bf16(__m512 lo, __m512 hi) {
    const __m512i mix = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(mix, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// dY (N, OC/16, OHW, 16) -> sample pairs in the tiles' order (tiles, M =
// (N + 1) / 2, OHW, TILE_OC), the last tile's missing output channels zero.
// A block's 16 lanes (output channels) fall in 3 or 4 tiles, each a run of
// lanes stored by one masked store at its place in the tile's row.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void pair_dy(uint32_t *d, const float *dy, int N, int OC,
                                                                             size_t OHW) {
    const int OB = OC / 16, tiles = (OC + TILE_OC - 1) / TILE_OC, M = (N + 1) / 2;
#pragma omp parallel for collapse(2) schedule(static)
    for (int m = 0; m < M; m++)
        for (int ob = 0; ob < OB; ob++) {
            const int t0 = ob * 16 / TILE_OC, t1 = (ob * 16 + 15) / TILE_OC;
            __mmask16 mask[4];
            ptrdiff_t at[4];  // lane l of tile t's run goes to at[t - t0] + l + p TILE_OC
            for (int t = t0; t <= t1; t++) {
                const int lo = (t * TILE_OC > ob * 16 ? t * TILE_OC : ob * 16) - ob * 16;
                const int hi = (t * TILE_OC + TILE_OC < ob * 16 + 16 ? t * TILE_OC + TILE_OC : ob * 16 + 16) - ob * 16;
                mask[t - t0] = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
                at[t - t0] = ((ptrdiff_t)t * M + m) * (ptrdiff_t)OHW * TILE_OC + ob * 16 - t * TILE_OC;
            }
            const float *s0 = dy + ((size_t)2 * m * OB + ob) * OHW * 16;
            const float *s1 = 2 * m + 1 < N ? s0 + (size_t)OB * OHW * 16 : NULL;
            for (size_t p = 0; p < OHW; p++) {
                const __m512i v = pair_bf16(_mm512_load_ps(s0 + p * 16), s1 ? _mm512_load_ps(s1 + p * 16)
                                                                            : _mm512_setzero_ps());
                for (int t = 0; t <= t1 - t0; t++)
                    _mm512_mask_storeu_epi32(d + at[t] + (ptrdiff_t)p * TILE_OC, mask[t], v);
            }
        }
    if (OC % TILE_OC)
        for (int m = 0; m < M; m++)
            for (size_t p = 0; p < OHW; p++)
                for (int o = OC % TILE_OC; o < TILE_OC; o++)
                    d[(((size_t)(tiles - 1) * M + m) * OHW + p) * TILE_OC + o] = 0;
}

// Rows of sample pairs of input block cb of samples n and n + 1 (zero past
// N): input row ih = 2 r - 1 + kh0 at d + r W 16, r in [0, OH]; rows outside
// X are skipped
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void pair_x(uint32_t *d, const float *x, int n, int N,
                                                                            int CB, int cb, int H, int W, int OH,
                                                                            int kh0) {
    const size_t plane = (size_t)H * W * 16;
    const float *x0 = x + ((size_t)n * CB + cb) * plane, *x1 = n + 1 < N ? x0 + (size_t)CB * plane : NULL;
    for (int r = 0; r <= OH; r++) {
        const int ih = 2 * r - 1 + kh0;
        if (ih < 0 || ih >= H) continue;
        const size_t row = (size_t)ih * W * 16;
        uint32_t *dr = d + (size_t)r * W * 16;
        for (int q = 0; q < W; q++)
            _mm512_store_si512(dr + (size_t)q * 16,
                               pair_bf16(_mm512_load_ps(x0 + row + (size_t)q * 16),
                                         x1 ? _mm512_load_ps(x1 + row + (size_t)q * 16) : _mm512_setzero_ps()));
    }
}

// one pixel step: acc[kw][o] += x[kw] . (dY pair of output channel o at yp[o]), kw in [k0, k1)
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline)) static inline void
upd_pair(__m512 acc[4][TILE_OC], const __m512bh *x, const uint32_t *yp, int k0, int k1) {
#pragma GCC unroll 8
    for (int o = 0; o < TILE_OC; o++) {
        const __m512bh v = (__m512bh)_mm512_set1_epi32((int)yp[o]);
#pragma GCC unroll 4
        for (int kw = k0; kw < k1; kw++) acc[kw][o] = _mm512_dpbf16_ps(acc[kw][o], x[kw], v);
    }
}

// One tile (kernel row kh, 6 output channels) over P sample pairs: its 4 x 6
// sums from and back to a; pair s's rows at x2 + s xstep (pair_x, kh0 =
// kh % 2), its dY of the tile at ys + s ystep. Pixel ow reads X at
// iw = 2 ow - 1 + kw, as upd_row.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void upd_batch_bf16(float *a, const uint32_t *x2,
                                                                                    size_t xstep, const uint32_t *ys,
                                                                                    size_t ystep, int P, int W, int OH,
                                                                                    int OW, int kh) {
    __m512 acc[4][TILE_OC];
    tile_load(acc, a);
    const int oh0 = kh == 0 ? 1 : 0, oh1 = kh == 3 ? OH - 1 : OH;  // rows inside X
    for (int s = 0; s < P; s++)
        for (int oh = oh0; oh < oh1; oh++) {
            const uint32_t *xr = x2 + s * xstep + (size_t)(oh + kh / 2) * W * 16;
            const uint32_t *yp = ys + s * ystep + (size_t)oh * OW * TILE_OC;
            __m512bh x[4];
            x[1] = (__m512bh)_mm512_load_si512(xr), x[2] = (__m512bh)_mm512_load_si512(xr + 16);
            x[3] = (__m512bh)_mm512_load_si512(xr + 32);
            upd_pair(acc, x, yp, 1, 4);
            for (int ow = 1; ow < OW - 1; ow++) {
                x[0] = x[2], x[1] = x[3];
                x[2] = (__m512bh)_mm512_load_si512(xr + (size_t)(2 * ow + 1) * 16);
                x[3] = (__m512bh)_mm512_load_si512(xr + (size_t)(2 * ow + 2) * 16);
                upd_pair(acc, x, yp + (size_t)ow * TILE_OC, 0, 4);
            }
            x[0] = x[2], x[1] = x[3], x[2] = (__m512bh)_mm512_load_si512(xr + (size_t)(2 * OW - 1) * 16);
            upd_pair(acc, x, yp + (size_t)(OW - 1) * TILE_OC, 0, 3);
        }
    tile_store(a, acc);
}

void cpu_own_backward_weights_bf16(float *dw, const float *dy, const float *x, const CpuConvEq *e) {
    const int C = e->C, OC = e->OC, H = e->H, W = e->W, OH = e->OH, OW = e->OW, CB = C / 16, M = (e->N + 1) / 2;
    const int tiles = (OC + TILE_OC - 1) / TILE_OC, groups = CB * 2, nt_max = omp_get_max_threads();
    const size_t tile_floats = 4 * TILE_OC * 16, kh_floats = (size_t)tiles * tile_floats;
    const size_t OHW = (size_t)OH * OW, ystep = OHW * TILE_OC, xstep = (size_t)(OH + 1) * W * 16;
    const int batch = samples_per_batch(xstep * sizeof(uint32_t)), P = batch < M ? batch : M;
    uint32_t *dy2 = (uint32_t *)cpu_scratch(SLOT_DY2, (size_t)tiles * M * ystep);
    uint32_t *x2all = (uint32_t *)cpu_scratch(SLOT_X2, (size_t)nt_max * P * xstep);
    float *sums = cpu_scratch(SLOT_PACK, (size_t)nt_max * 2 * kh_floats);
    pair_dy(dy2, dy, e->N, OC, OHW);
#pragma omp parallel
    {
        const int nt = omp_get_num_threads(), id = omp_get_thread_num();
        float *gs = sums + (size_t)id * 2 * kh_floats;
        uint32_t *x2 = x2all + (size_t)id * P * xstep;
        for (int g = (int)((long)groups * id / nt); g < (int)((long)groups * (id + 1) / nt); g++) {
            const int kh0 = g % 2, cb = g / 2;
            memset(gs, 0, 2 * kh_floats * sizeof(float));
            for (int m0 = 0; m0 < M; m0 += P) {
                const int mp = M - m0 < P ? M - m0 : P;
                for (int s = 0; s < mp; s++) pair_x(x2 + s * xstep, x, 2 * (m0 + s), e->N, CB, cb, H, W, OH, kh0);
                for (int k = 0; k < 2; k++)
                    for (int t = 0; t < tiles; t++)
                        upd_batch_bf16(gs + k * kh_floats + (size_t)t * tile_floats, x2, xstep,
                                       dy2 + ((size_t)t * M + m0) * ystep, ystep, mp, W, OH, OW, kh0 + 2 * k);
            }
            add_group(dw, gs, C, OC, cb, kh0, 16, TILE_OC);
            add_group(dw, gs + kh_floats, C, OC, cb, kh0 + 2, 16, TILE_OC);
        }
    }
}

// ---------------------------------------------------------------------------
// forward, and the input gradient in the same tiles
//
// Forward:
//   Y[n][oc][oh][ow] (+)= sum over c, kh, kw of
//       X[n][c][2 oh - 1 + kh][2 ow - 1 + kw] * w[oc][c][kh][kw]
// in tiles of 8 output pixels (R rows of Q: 1 x 8 where the output is at
// least 8 wide, 2 x 4 or 4 x 2 on narrower ones) and 32 output channels (2
// blocks): 16 sums in registers, per step 2 weight vectors and 8 broadcasts.
// The input gradient (see the top of this file) runs each of its four
// parities as the same tiles on the parity's OH x OW grid of dX pixels (2
// apart), its 4 taps reading dY, summed over the output channels.
//
// The pass's input (X, or dY) is first copied, a group of samples at a time,
// into a buffer with a zero border of one pixel, so every tile has all its
// taps. Weights are packed once per optimiser step (cpu_weight_copy), the
// forward's into [OC/32][C/16][kh][kw][16 c][32 oc], the input gradient's
// into [C/32][OC/64][a][b][4 blocks of 16 oc][tap][16 oc][32 c] (fewer
// blocks where OC/16 is not a multiple of 4); a tile sums one input block
// (the input gradient: 4 blocks) at a time, so the 32 KB chunk of weights it
// reads stays in L1 while every tile of the group uses it. A group has at
// least 8 tiles per chunk (4x4 forward outputs: 4 samples). Each output
// element is summed by one thread, input block after input block: the same
// bits with any thread count.
//
// bf16 (AVX-512 BF16): the same tiles on operands rounded to bf16 (to
// nearest even, as oneDNN rounds them), fp32 sums: the padded copy is in
// bf16, the weights packed with pairs of neighbouring input channels side
// by side ([16 c] becomes [8 pairs][32 oc][2]), and a step takes a pair:
// vdpbf16ps adds to each sum the products of the two channels.

enum { FWD_PX = 8, SLOT_PAD = 0 };  // a tile's pixels; the padded copies' slot (gemm.c's and plain.c's, free here)
enum { FWD_ZERO, FWD_BIAS, FWD_LOAD };  // what a tile's sums start from

// The AVX2 form (blocks of 8 channels, vectors of 8) runs tiles of 6
// output pixels in the grid's row-major order (a tile may wrap to the next
// row; the last one has the 1-5 left) and 16 output channels: 12 sums in
// registers, per step 2 weight vectors and 6 broadcasts; the weights of a
// tap [8 c][16 oc]. So any grid fits.
enum { FWD_PX8 = 6 };

static int fwd_q(int OW) { return OW >= 8 ? 8 : OW >= 4 ? 4 : 2; }  // AVX-512: a tile's pixels per row, 8, 4 or 2

// the tiles fit an OH x OW grid
static int grid_fits(int OH, int OW) {
    const int q = fwd_q(OW);
    return BLK == 8 || (OW % q == 0 && OH % (FWD_PX / q) == 0);
}

int cpu_own_can_fwd(const CpuConvEq *e) {
    return own_shape(e) && e->C % BLK == 0 && e->OC % (2 * BLK) == 0 && grid_fits(e->OH, e->OW);
}

int cpu_own_can(const CpuConvEq *e) {
    return own_shape(e) && e->C % (2 * BLK) == 0 && grid_fits(e->OH, e->OW);
}

// One tap's packed 16 x 32 block at d (fp32 [l][o], bf16 [l / 2][o][l % 2])
// of weight (l, o) at s + l ls + o os, by gathers of 16 lanes o; bf16 pairs
// rounded by pair_bf16 (to nearest even, as cpu_to_bf16). Scalar loops took
// 1.7-2.7 ms for the 2 M weights of the critic's 256 -> 512 in bf16, which a
// kernel repacks every optimiser step; they remain for blocks of 8 (the AVX2
// form: fp32 only, [l][o] per tap).
__attribute__((target("avx512f"))) static inline __m512i gather_at(int os) {
    return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32(os));
}
__attribute__((target("avx512f"))) static void pack_tap16(void *d, const float *s, int ls, int os) {
    const __m512i idx = gather_at(os);
    for (int q = 0; q < 2; q++)
        for (int l = 0; l < 16; l++)
            _mm512_store_ps((float *)d + l * 32 + q * 16,
                            _mm512_i32gather_ps(idx, s + (size_t)q * 16 * os + (size_t)l * ls, 4));
}
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void pack_tap16_bf16(void *d, const float *s, int ls,
                                                                                     int os) {
    const __m512i idx = gather_at(os);
    for (int q = 0; q < 2; q++)
        for (int j = 0; j < 8; j++) {
            const float *sq = s + (size_t)q * 16 * os + (size_t)2 * j * ls;
            _mm512_store_si512((uint16_t *)d + (j * 32 + q * 16) * 2,
                               pair_bf16(_mm512_i32gather_ps(idx, sq, 4), _mm512_i32gather_ps(idx, sq + ls, 4)));
        }
}

// w (OC, C, 4, 4) -> [OC/2B][C/B][kh][kw][B c][2B oc] (B = BLK)
static void pack_fwd_as(void *pw, const float *w, int C, int OC, int bf16) {
    const int B = BLK, CB = C / B;
    if (B == 16) {
        const size_t el = bf16 ? sizeof(uint16_t) : sizeof(float);
#pragma omp parallel for collapse(2) schedule(static)
        for (int ot = 0; ot < OC / 32; ot++)
            for (int cb = 0; cb < CB; cb++)
                for (int k = 0; k < 16; k++)
                    (bf16 ? pack_tap16_bf16 : pack_tap16)((char *)pw + (((size_t)ot * CB + cb) * 16 + k) * 512 * el,
                                                          w + ((size_t)ot * 32 * C + cb * 16) * 16 + k, 16, C * 16);
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int ot = 0; ot < OC / (2 * B); ot++)
        for (int cb = 0; cb < CB; cb++)
            for (int o = 0; o < 2 * B; o++) {  // reading w in order; the chunk written stays in L1
                const float *s = w + (((size_t)ot * 2 * B + o) * C + cb * B) * 16;
                const size_t d = ((size_t)ot * CB + cb) * 16 * B * 2 * B;
                for (int l = 0; l < B; l++)
                    for (int k = 0; k < 16; k++) ((float *)pw)[d + ((size_t)k * B + l) * 2 * B + o] = s[l * 16 + k];
            }
}

// output blocks of the input gradient's chunk
static int bwd_g(int OB) { return OB % 4 == 0 ? 4 : OB % 2 == 0 ? 2 : 1; }

// w (OC, C, 4, 4) -> [C/2B][OC/B/G][a][b][G][tap][B oc][2B c] (B = BLK)
static void pack_bwd_as(void *pw, const float *w, int C, int OC, int bf16) {
    const int B = BLK, OB = OC / B, G = bwd_g(OB);
    const size_t blk = (size_t)B * 2 * B;  // a tap's B x 2B weights
    if (B == 16) {
        const size_t el = bf16 ? sizeof(uint16_t) : sizeof(float);
#pragma omp parallel for collapse(2) schedule(static)
        for (int ct = 0; ct < C / 32; ct++)
            for (int ob = 0; ob < OB; ob++)
                for (int ab = 0; ab < 4; ab++)
                    for (int t = 0; t < 4; t++) {
                        const int k = tap_k(ab / 2, t / 2) * 4 + tap_k(ab % 2, t % 2);
                        const size_t d = ((((size_t)ct * (OB / G) + ob / G) * 4 + ab) * G + ob % G) * 4 + t;
                        (bf16 ? pack_tap16_bf16 : pack_tap16)((char *)pw + d * blk * el,
                                                              w + ((size_t)ob * 16 * C + ct * 32) * 16 + k, C * 16, 16);
                    }
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int ct = 0; ct < C / (2 * B); ct++)
        for (int ob = 0; ob < OB; ob++)
            for (int l = 0; l < B; l++)
                for (int c = 0; c < 2 * B; c++) {
                    const float *s = w + ((size_t)(ob * B + l) * C + ct * 2 * B + c) * 16;
                    const size_t d = (((size_t)ct * (OB / G) + ob / G) * 4 * G + ob % G) * 4 * blk + (size_t)l * 2 * B + c;
                    for (int k = 0; k < 16; k++) {
                        const int kh = k / 4, kw = k % 4, a = 1 - kh % 2, b = 1 - kw % 2;
                        const int t = (kh / 2) * 2 + kw / 2;  // tap_k(a, kh / 2) = kh
                        ((float *)pw)[d + (size_t)((a * 2 + b) * G * 4 + t) * blk] = s[k];
                    }
                }
}

static void pack_fwd(void *pw, const float *w, int C, int OC) { pack_fwd_as(pw, w, C, OC, 0); }
static void pack_fwd_bf16(void *pw, const float *w, int C, int OC) { pack_fwd_as(pw, w, C, OC, 1); }
static void pack_bwd(void *pw, const float *w, int C, int OC) { pack_bwd_as(pw, w, C, OC, 0); }
static void pack_bwd_bf16(void *pw, const float *w, int C, int OC) { pack_bwd_as(pw, w, C, OC, 1); }

// One sample's blocks (B of H x W x BLK) -> blocks of (H + 2) x (W + 2) x
// BLK, zero borders; bf16 (BLK 16): rounded to bf16
static void pad_sample(void *dv, const float *x, int B, int H, int W) {
    float *d = dv;
    const int L = BLK;
    const size_t row = ((size_t)W + 2) * L, plane = (size_t)(H + 2) * row;
    for (int cb = 0; cb < B; cb++) {
        float *p = d + cb * plane;
        const float *s = x + (size_t)cb * H * W * L;
        memset(p, 0, row * sizeof(float));
        memset(p + (H + 1) * row, 0, row * sizeof(float));
        for (int i = 0; i < H; i++) {
            float *r = p + (i + 1) * row;
            memset(r, 0, L * sizeof(float));
            memcpy(r + L, s + (size_t)i * W * L, (size_t)W * L * sizeof(float));
            memset(r + row - L, 0, L * sizeof(float));
        }
    }
}
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void pad_sample_bf16(void *dv, const float *x, int B,
                                                                                     int H, int W) {
    uint16_t *d = dv;
    const size_t row = ((size_t)W + 2) * 16, plane = (size_t)(H + 2) * row;
    for (int cb = 0; cb < B; cb++) {
        uint16_t *p = d + cb * plane;
        const float *s = x + (size_t)cb * H * W * 16;
        memset(p, 0, row * sizeof(uint16_t));
        memset(p + (H + 1) * row, 0, row * sizeof(uint16_t));
        for (int i = 0; i < H; i++) {
            uint16_t *r = p + (i + 1) * row;
            memset(r, 0, 16 * sizeof(uint16_t));
            for (int j = 0; j < W; j++)
                _mm256_storeu_si256((__m256i *)(r + (size_t)(j + 1) * 16),
                                    (__m256i)_mm512_cvtneps_pbh(_mm512_load_ps(s + ((size_t)i * W + j) * 16)));
            memset(r + row - 16, 0, 16 * sizeof(uint16_t));
        }
    }
}

// A tile's 8 x 2 sums: from `start` (b: the bias), and back stored through
// LeakyReLU (slope) when act; pixel p's at y + (p / Q) yr + (p % Q) YQ, the
// second block ob1 further
__attribute__((target("avx512f"), always_inline)) static inline void tile_start(__m512 s[FWD_PX][2], const float *y,
                                                                                size_t yr, const int YQ, size_t ob1,
                                                                                const int Q, int start,
                                                                                const float *b) {
#pragma GCC unroll 8
    for (int p = 0; p < FWD_PX; p++) {
        const float *yp = y + (p / Q) * yr + (p % Q) * YQ;
        s[p][0] = start == FWD_LOAD ? _mm512_load_ps(yp) : start == FWD_BIAS ? _mm512_loadu_ps(b) : _mm512_setzero_ps();
        s[p][1] = start == FWD_LOAD ? _mm512_load_ps(yp + ob1)
                  : start == FWD_BIAS ? _mm512_loadu_ps(b + 16) : _mm512_setzero_ps();
    }
}
__attribute__((target("avx512f"), always_inline)) static inline void tile_end(__m512 s[FWD_PX][2], float *y, size_t yr,
                                                                              const int YQ, size_t ob1, const int Q,
                                                                              int act, float slope) {
    const __m512 zero = _mm512_setzero_ps(), k = _mm512_set1_ps(slope);
#pragma GCC unroll 8
    for (int p = 0; p < FWD_PX; p++) {
        float *yp = y + (p / Q) * yr + (p % Q) * YQ;
        for (int o = 0; o < 2; o++) {
            __m512 v = s[p][o];
            if (act)  // as cpu_lrelu_forward (x > 0 ? x : x slope) and, slope 0, cpu_relu_forward (x > 0 ? x : 0)
                v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ),
                                         slope == 0.0f ? zero : _mm512_mul_ps(v, k), v);
            _mm512_store_ps(yp + o * ob1, v);
        }
    }
}

// One tile, one input block: R x Q grid pixels, pixel (r, q)'s 32 sums at
// y + r yr + q YQ (the second block ob1 further), its taps reading the
// padded input at xp + r xr + q XQ + toff[k], k < nk, with the weights of
// tap k at pw + 512 k (16 c x 32 oc), all offsets in elements (floats, or
// bf16 in the bf16 form)
__attribute__((target("avx512f"), always_inline)) static inline void
tile8(float *y, size_t yr, const int YQ, size_t ob1, const float *xp, size_t xr, const int XQ, const long *toff,
      int nk, const float *pw, const int Q, int start, const float *b, int act, float slope) {
    __m512 s[FWD_PX][2];
    tile_start(s, y, yr, YQ, ob1, Q, start, b);
    for (int k = 0; k < nk; k++) {
        const float *xt = xp + toff[k], *wt = pw + k * 16 * 32;
#pragma GCC unroll 4
        for (int l = 0; l < 16; l++) {
            const __m512 w0 = _mm512_load_ps(wt + l * 32), w1 = _mm512_load_ps(wt + l * 32 + 16);
#pragma GCC unroll 8
            for (int p = 0; p < FWD_PX; p++) {
                const __m512 v = _mm512_set1_ps(xt[(p / Q) * xr + (p % Q) * XQ + l]);
                s[p][0] = _mm512_fmadd_ps(v, w0, s[p][0]);
                s[p][1] = _mm512_fmadd_ps(v, w1, s[p][1]);
            }
        }
    }
    tile_end(s, y, yr, YQ, ob1, Q, act, slope);
}
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline)) static inline void
tile8_bf16(float *y, size_t yr, const int YQ, size_t ob1, const uint16_t *xp, size_t xr, const int XQ,
           const long *toff, int nk, const uint16_t *pw, const int Q, int start, const float *b, int act,
           float slope) {
    __m512 s[FWD_PX][2];
    tile_start(s, y, yr, YQ, ob1, Q, start, b);
    for (int k = 0; k < nk; k++) {
        const uint16_t *xt = xp + toff[k], *wt = pw + k * 16 * 32;
#pragma GCC unroll 4
        for (int j = 0; j < 8; j++) {
            const __m512bh w0 = (__m512bh)_mm512_load_si512(wt + j * 64);
            const __m512bh w1 = (__m512bh)_mm512_load_si512(wt + j * 64 + 32);
#pragma GCC unroll 8
            for (int p = 0; p < FWD_PX; p++) {
                int32_t pair;
                memcpy(&pair, xt + (p / Q) * xr + (p % Q) * XQ + 2 * j, sizeof pair);
                const __m512bh v = (__m512bh)_mm512_set1_epi32(pair);
                s[p][0] = _mm512_dpbf16_ps(s[p][0], w0, v);
                s[p][1] = _mm512_dpbf16_ps(s[p][1], w1, v);
            }
        }
    }
    tile_end(s, y, yr, YQ, ob1, Q, act, slope);
}

// tile8 on blocks of 8 (AVX2): NP pixels of a GW-wide grid from pixel p0
// in row-major order, 2 blocks of 8 output channels, the tap's weights at
// pw + 128 k (8 c x 16 oc)
__attribute__((target("avx2,fma"), always_inline)) static inline void
tile_avx2(float *y, size_t yr, const int YQ, size_t ob1, const float *xp, size_t xr, const int XQ, const long *toff,
          int nk, const float *pw, int GW, int p0, const int NP, int start, const float *b, int act, float slope) {
    long xo[FWD_PX8], yo[FWD_PX8];
    __m256 s[FWD_PX8][2];
#pragma GCC unroll 6
    for (int p = 0; p < NP; p++) {
        const int i = (p0 + p) / GW, j = (p0 + p) % GW;
        xo[p] = (long)i * (long)xr + j * XQ, yo[p] = (long)i * (long)yr + j * YQ;
        s[p][0] = start == FWD_LOAD ? _mm256_load_ps(y + yo[p])
                  : start == FWD_BIAS ? _mm256_loadu_ps(b) : _mm256_setzero_ps();
        s[p][1] = start == FWD_LOAD ? _mm256_load_ps(y + yo[p] + ob1)
                  : start == FWD_BIAS ? _mm256_loadu_ps(b + 8) : _mm256_setzero_ps();
    }
    for (int k = 0; k < nk; k++) {
        const float *xt = xp + toff[k], *wt = pw + k * 8 * 16;
#pragma GCC unroll 8
        for (int l = 0; l < 8; l++) {
            const __m256 w0 = _mm256_load_ps(wt + l * 16), w1 = _mm256_load_ps(wt + l * 16 + 8);
#pragma GCC unroll 6
            for (int p = 0; p < NP; p++) {
                const __m256 v = _mm256_broadcast_ss(xt + xo[p] + l);
                s[p][0] = _mm256_fmadd_ps(v, w0, s[p][0]);
                s[p][1] = _mm256_fmadd_ps(v, w1, s[p][1]);
            }
        }
    }
    const __m256 zero = _mm256_setzero_ps(), ks = _mm256_set1_ps(slope);
#pragma GCC unroll 6
    for (int p = 0; p < NP; p++)
        for (int o = 0; o < 2; o++) {
            __m256 v = s[p][o];
            if (act)  // as tile_end
                v = _mm256_blendv_ps(slope == 0.0f ? zero : _mm256_mul_ps(v, ks), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
            _mm256_store_ps(y + yo[p] + o * ob1, v);
        }
}

// The tiles of a GH x GW grid (arguments as tile8's; xp and pw of the form's element)
typedef void (*Tiles)(float *, size_t, size_t, const void *, size_t, const long *, int, const void *, int, int, int,
                      const float *, int, float);
#define DEF_TILES(NAME, TILE, T, ISA, PX, Q, XQ, YQ)                                                              \
    __attribute__((target(ISA))) static void NAME(float *y, size_t yr, size_t ob1, const void *xp, size_t xr,      \
                                                  const long *toff, int nk, const void *pw, int GH, int GW,        \
                                                  int start, const float *b, int act, float slope) {               \
        for (int i = 0; i < GH; i += PX / Q)                                                                       \
            for (int j = 0; j < GW; j += Q)                                                                        \
                TILE(y + i * yr + j * YQ, yr, YQ, ob1, (const T *)xp + i * xr + j * XQ, xr, XQ, toff, nk,         \
                     (const T *)pw, Q, start, b, act, slope);                                                      \
    }
// forward: input pixels 2 apart, output pixels next to each other; input gradient: the other way round
#define FP32 "avx512f"
#define BF16 "avx512f,avx512bw,avx512bf16"
#define AVX2 "avx2,fma"
DEF_TILES(fwd_tiles8, tile8, float, FP32, 8, 8, 32, 16)
DEF_TILES(fwd_tiles4, tile8, float, FP32, 8, 4, 32, 16)
DEF_TILES(fwd_tiles2, tile8, float, FP32, 8, 2, 32, 16)
DEF_TILES(bwd_tiles8, tile8, float, FP32, 8, 8, 16, 32)
DEF_TILES(bwd_tiles4, tile8, float, FP32, 8, 4, 16, 32)
DEF_TILES(bwd_tiles2, tile8, float, FP32, 8, 2, 16, 32)
DEF_TILES(fwd_tiles8_bf16, tile8_bf16, uint16_t, BF16, 8, 8, 32, 16)
DEF_TILES(fwd_tiles4_bf16, tile8_bf16, uint16_t, BF16, 8, 4, 32, 16)
DEF_TILES(fwd_tiles2_bf16, tile8_bf16, uint16_t, BF16, 8, 2, 32, 16)
DEF_TILES(bwd_tiles8_bf16, tile8_bf16, uint16_t, BF16, 8, 8, 16, 32)
DEF_TILES(bwd_tiles4_bf16, tile8_bf16, uint16_t, BF16, 8, 4, 16, 32)
DEF_TILES(bwd_tiles2_bf16, tile8_bf16, uint16_t, BF16, 8, 2, 16, 32)
#define DEF_TILES_AVX2(NAME, XQ, YQ)                                                                               \
    __attribute__((target(AVX2))) static void NAME(float *y, size_t yr, size_t ob1, const void *xp, size_t xr,     \
                                                   const long *toff, int nk, const void *pw, int GH, int GW,       \
                                                   int start, const float *b, int act, float slope) {              \
        const int n = GH * GW;                                                                                     \
        int p0 = 0;                                                                                                \
        for (; p0 + FWD_PX8 <= n; p0 += FWD_PX8)                                                                   \
            tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, FWD_PX8, start, b, act, slope);           \
        switch (n - p0) {                                                                                          \
        case 5: tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, 5, start, b, act, slope); break;      \
        case 4: tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, 4, start, b, act, slope); break;      \
        case 3: tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, 3, start, b, act, slope); break;      \
        case 2: tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, 2, start, b, act, slope); break;      \
        case 1: tile_avx2(y, yr, YQ, ob1, xp, xr, XQ, toff, nk, pw, GW, p0, 1, start, b, act, slope); break;      \
        }                                                                                                          \
    }
DEF_TILES_AVX2(fwd_tiles_avx2, 16, 8)
DEF_TILES_AVX2(bwd_tiles_avx2, 8, 16)
#undef FP32
#undef BF16
#undef AVX2

// [form][pass][Q 8, 4, 2]
static const Tiles tiles_of[2][2][3] = {
    {{fwd_tiles8, fwd_tiles4, fwd_tiles2}, {bwd_tiles8, bwd_tiles4, bwd_tiles2}},
    {{fwd_tiles8_bf16, fwd_tiles4_bf16, fwd_tiles2_bf16}, {bwd_tiles8_bf16, bwd_tiles4_bf16, bwd_tiles2_bf16}},
};
// the tiles of the backend's block (AVX2 on blocks of 8) for a grid OW wide
static Tiles tiles_for(int bf16, int bwd, int OW) {
    const int Q = fwd_q(OW);
    return BLK == 8 ? (bwd ? bwd_tiles_avx2 : fwd_tiles_avx2) : tiles_of[bf16][bwd][Q == 8 ? 0 : Q == 4 ? 1 : 2];
}

// Tiles of the backend's form over an OH x OW grid (the AVX2 form's last one partial)
static int grid_tiles(int OH, int OW) {
    const int px = BLK == 16 ? FWD_PX : FWD_PX8;
    return (OH * OW + px - 1) / px;
}

// Samples per group: at least 8 tiles (`tiles` per sample) per chunk of
// weights (more samples per group measured no faster)
static int tile_group(int tiles, int N) {
    const int s = tiles >= 8 ? 1 : (8 + tiles - 1) / tiles;
    return s < N ? s : N;
}

// The weights packed by `pack` (its address stands for the layout): kept
// from one use to the next (cpu_weight_copy) when w lies in a declared
// parameter block and, in fp32, is at most KEEP_BYTES, else packed per call
// into a scratch slot. A kept fp32 copy per kind (forward, input gradient)
// of the large layers would cost more memory than the reference's (size
// 128: 2 x 32 MB for each 512 <-> 1024 layer, 1,288 MB against PyTorch's
// 1,172), and their packing is a few percent of their pass (256 -> 512:
// 0.5 of 11.6 ms). In bf16 (half the size) the copy for the layer's forward
// pass (`fwd`) is kept at any size: the forwards between two optimiser
// steps read it (the critic's 2, the generator's 6); the critic's 256 -> 512
// repacked per call costs 0.8 ms of a 6 ms pass. The input gradient's (the
// critic's 2 per step, the generator's 1) is kept up to KEEP_BYTES, as in
// fp32: kept at any size, bf16 at 128 px took 1,188 MB against 1,177
// (PyTorch's fp32 run 1,170-1,182), for one repack per critic step saved.
enum { KEEP_BYTES = 2 << 20 };
typedef void (*Pack)(void *, const float *, int, int);
static const void *packed(const float *w, int C, int OC, Pack pack, int bf16, int fwd) {
    const size_t nw = (size_t)OC * C * 16, bytes = nw * (bf16 ? sizeof(uint16_t) : sizeof(float));
    int stale = 1;
    void *pw = bytes <= KEEP_BYTES || (bf16 && fwd) ? cpu_weight_copy(w, nw, (const void *)pack, bytes, &stale)
                                                     : NULL;
    if (!pw) pw = cpu_scratch(SLOT_PACK, nw);
    if (stale) pack(pw, w, C, OC);
    return pw;
}

// The samples of group g (S per group) padded into pad (samp elements each,
// of blocks B x H x W from src, src_samp floats apart), unless *padded
// already says pad holds g; returns how many samples the group has
static int pad_group(char *pad, int *padded, int g, int S, int N, const float *src, size_t src_samp, size_t samp,
                     int B, int H, int W, int bf16) {
    const int n0 = g * S, ns = N - n0 < S ? N - n0 : S;
    const size_t el = bf16 ? sizeof(uint16_t) : sizeof(float);
    if (*padded != g)
        for (int s = 0; s < ns; s++)
            (bf16 ? pad_sample_bf16 : pad_sample)(pad + s * samp * el, src + (size_t)(n0 + s) * src_samp, B, H, W);
    *padded = g;
    return ns;
}

void cpu_own_forward(float *y, const float *x, const float *w, const float *b, const CpuConvEq *e, int acc, int act,
                     float slope, int bf16) {
    const int B = BLK;
    const int C = e->C, OC = e->OC, H = e->H, W = e->W, OH = e->OH, OW = e->OW, CB = C / B, OT = OC / (2 * B);
    const size_t el = bf16 ? sizeof(uint16_t) : sizeof(float);
    const size_t prow = ((size_t)W + 2) * B, plane = (size_t)(H + 2) * prow, samp = (size_t)CB * plane;
    const int S = tile_group(grid_tiles(OH, OW), e->N), groups = (e->N + S - 1) / S;
    const size_t ysamp = (size_t)OC * OH * OW, yrow = (size_t)OW * B, ob1 = (size_t)OH * OW * B;
    const char *pw = packed(w, C, OC, bf16 ? pack_fwd_bf16 : pack_fwd, bf16, !e->transposed);
    long toff[16];
    for (int k = 0; k < 16; k++) toff[k] = (long)(k / 4) * (long)prow + (k % 4) * B;
    const Tiles run = tiles_for(bf16, 0, OW);
    char *pads = (char *)cpu_scratch(SLOT_PAD, (size_t)omp_get_max_threads() * S * samp);
    const int items = groups * OT;
#pragma omp parallel
    {
        const int nt = omp_get_num_threads(), id = omp_get_thread_num();
        char *pad = pads + (size_t)id * S * samp * el;
        int padded = -1;  // the group in pad
        for (int it = (int)((long)items * id / nt); it < (int)((long)items * (id + 1) / nt); it++) {
            const int g = it / OT, ot = it % OT, n0 = g * S;
            const int ns = pad_group(pad, &padded, g, S, e->N, x, (size_t)C * H * W, samp, CB, H, W, bf16);
            for (int cb = 0; cb < CB; cb++) {
                const int start = cb > 0 || acc ? FWD_LOAD : b ? FWD_BIAS : FWD_ZERO;
                const char *pc = pw + ((size_t)ot * CB + cb) * 16 * B * 2 * B * el;
                for (int s = 0; s < ns; s++)
                    run(y + (size_t)(n0 + s) * ysamp + (size_t)ot * 2 * ob1, yrow, ob1,
                        pad + (s * samp + cb * plane) * el, 2 * prow, toff, 16, pc, OH, OW, start,
                        b ? b + ot * 2 * B : NULL, act && cb == CB - 1, slope);
            }
        }
    }
}

void cpu_own_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc, int bf16) {
    const int B = BLK;
    const int C = e->C, OC = e->OC, H = e->H, W = e->W, OH = e->OH, OW = e->OW, OB = OC / B, CT = C / (2 * B);
    const size_t el = bf16 ? sizeof(uint16_t) : sizeof(float);
    const size_t prow = ((size_t)OW + 2) * B, plane = (size_t)(OH + 2) * prow, samp = (size_t)OB * plane;
    const int S = tile_group(grid_tiles(OH, OW) * 4, e->N), groups = (e->N + S - 1) / S, G = bwd_g(OB);
    const size_t xsamp = (size_t)C * H * W, ob1 = (size_t)H * W * B;
    const char *pw = packed(w, C, OC, bf16 ? pack_bwd_bf16 : pack_bwd, bf16, e->transposed);
    long toff[4][4 * 4];  // parity (a, b), block g, tap t: dY at (i + tap_d(a, t / 2), j + tap_d(b, t % 2)) from the padded centre
    for (int ab = 0; ab < 4; ab++)
        for (int g = 0; g < G; g++)
            for (int t = 0; t < 4; t++)
                toff[ab][g * 4 + t] = (long)g * (long)plane + (long)(1 + tap_d(ab / 2, t / 2)) * (long)prow +
                                      (1 + tap_d(ab % 2, t % 2)) * B;
    const Tiles run = tiles_for(bf16, 1, OW);
    char *pads = (char *)cpu_scratch(SLOT_PAD, (size_t)omp_get_max_threads() * S * samp);
    const int items = groups * CT;
#pragma omp parallel
    {
        const int nt = omp_get_num_threads(), id = omp_get_thread_num();
        char *pad = pads + (size_t)id * S * samp * el;
        int padded = -1;  // the group in pad
        for (int it = (int)((long)items * id / nt); it < (int)((long)items * (id + 1) / nt); it++) {
            const int g = it / CT, ct = it % CT, n0 = g * S;
            const int ns = pad_group(pad, &padded, g, S, e->N, dy, (size_t)OC * OH * OW, samp, OB, OH, OW, bf16);
            for (int ob = 0; ob < OB; ob += G) {
                const int start = ob > 0 || acc ? FWD_LOAD : FWD_ZERO;
                for (int ab = 0; ab < 4; ab++)
                    for (int s = 0; s < ns; s++)
                        run(dx + (size_t)(n0 + s) * xsamp + (size_t)ct * 2 * ob1 + ((ab / 2) * W + ab % 2) * B,
                            2 * (size_t)W * B, ob1, pad + (s * samp + ob * plane) * el, prow, toff[ab], 4 * G,
                            pw + (((size_t)ct * (OB / G) + ob / G) * 4 + ab) * G * 4 * B * 2 * B * el, OH, OW,
                            start, NULL, 0, 0.0f);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// the input gradient of a 4x4, stride 2, padding 1 convolution whose input
// is an image (1 to 3 channels, plain layout) and whose output is blocked:
// the generator's last layer (its forward) and the critic's first (its
// input gradient).
//
// Per pixel (i, j) of dY, the 16 taps of each image channel c,
//   V[c][kh][kw] = sum over oc of dY[n][oc][i][j] * w[oc][c][kh][kw],
// are one vector: w as stored ((OC, C, 4, 4): 16 floats per (oc, c)) is
// already the packed form. A tile keeps 8 pixels of a row x C vectors in
// registers, per output channel C weight vectors and 8 broadcasts of dY;
// then each vector's kernel row kh (4 lanes) is added to dX at row
// 2 i - 1 + kh, columns 2 j - 1 ... 2 j + 2, in a per-sample copy of dX with
// a border of one pixel, whose inside is then written (or added) to dX.
// Each sample is summed by one thread in a fixed order.

int cpu_own_can_image(const CpuConvEq *e) {
    static int avx512 = -1;
    if (avx512 < 0) avx512 = __builtin_cpu_supports("avx512f");
    return avx512 && e->K == 4 && e->S == 2 && e->P == 1 && e->H == 2 * e->OH && e->W == 2 * e->OW && e->C >= 1 &&
           e->C <= 3 && !cpu_blocked(e->C, e->H, e->W) && e->OC % 16 == 0 && cpu_blocked(e->OC, e->OH, e->OW) &&
           BLK == 16;
}

// PX pixels of dY from yp (16 floats apart, blocks ystride apart), C image
// channels: the taps added into the bordered copy pb (row pw floats, channel
// plane floats apart) at its row 2 i, column 2 j (the pixel's top-left tap)
#define DEF_IMAGE_TILE(NAME, PX, C)                                                                              \
    __attribute__((target("avx512f"))) static void NAME(float *pb, size_t pw, size_t plane, const float *yp,     \
                                                         size_t ystride, const float *w, int OB) {              \
        __m512 s[PX][C];                                                                                         \
        for (int p = 0; p < PX; p++)                                                                             \
            for (int c = 0; c < C; c++) s[p][c] = _mm512_setzero_ps();                                           \
        for (int ob = 0; ob < OB; ob++)                                                                          \
            for (int l = 0; l < 16; l++) {                                                                       \
                const float *wo = w + (size_t)(ob * 16 + l) * C * 16;                                            \
                __m512 wv[C];                                                                                    \
                for (int c = 0; c < C; c++) wv[c] = _mm512_loadu_ps(wo + c * 16);                                \
                for (int p = 0; p < PX; p++) {                                                                   \
                    const __m512 v = _mm512_set1_ps(yp[ob * ystride + p * 16 + l]);                              \
                    for (int c = 0; c < C; c++) s[p][c] = _mm512_fmadd_ps(v, wv[c], s[p][c]);                    \
                }                                                                                                \
            }                                                                                                    \
        for (int p = 0; p < PX; p++)                                                                             \
            for (int c = 0; c < C; c++) {                                                                        \
                float *o = pb + c * plane + 2 * p;                                                               \
                _mm_storeu_ps(o, _mm_add_ps(_mm_loadu_ps(o), _mm512_castps512_ps128(s[p][c])));                  \
                _mm_storeu_ps(o + pw, _mm_add_ps(_mm_loadu_ps(o + pw), _mm512_extractf32x4_ps(s[p][c], 1)));     \
                _mm_storeu_ps(o + 2 * pw,                                                                        \
                              _mm_add_ps(_mm_loadu_ps(o + 2 * pw), _mm512_extractf32x4_ps(s[p][c], 2)));         \
                _mm_storeu_ps(o + 3 * pw,                                                                        \
                              _mm_add_ps(_mm_loadu_ps(o + 3 * pw), _mm512_extractf32x4_ps(s[p][c], 3)));         \
            }                                                                                                    \
    }
DEF_IMAGE_TILE(image_tile8_1, 8, 1)
DEF_IMAGE_TILE(image_tile1_1, 1, 1)
DEF_IMAGE_TILE(image_tile8_2, 8, 2)
DEF_IMAGE_TILE(image_tile1_2, 1, 2)
DEF_IMAGE_TILE(image_tile8_3, 8, 3)
DEF_IMAGE_TILE(image_tile1_3, 1, 3)

void cpu_own_image_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc) {
    const int C = e->C, H = e->H, W = e->W, OH = e->OH, OW = e->OW, OB = e->OC / 16;
    const size_t pw = (size_t)W + 2, plane = (size_t)(H + 2) * pw, ystride = (size_t)OH * OW * 16;
    typedef void (*ImageTile)(float *, size_t, size_t, const float *, size_t, const float *, int);
    static const ImageTile t8[3] = {image_tile8_1, image_tile8_2, image_tile8_3};
    static const ImageTile t1[3] = {image_tile1_1, image_tile1_2, image_tile1_3};
    float *bufs = cpu_scratch(SLOT_PAD, (size_t)omp_get_max_threads() * C * plane);
#pragma omp parallel
    {
        float *pb = bufs + (size_t)omp_get_thread_num() * C * plane;
#pragma omp for schedule(static)
        for (int n = 0; n < e->N; n++) {
            memset(pb, 0, (size_t)C * plane * sizeof(float));
            const float *yn = dy + (size_t)n * OB * ystride;
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW;) {
                    const int px = OW - j >= 8 ? 8 : 1;
                    (px == 8 ? t8 : t1)[C - 1](pb + 2 * i * pw + 2 * j, pw, plane, yn + ((size_t)i * OW + j) * 16,
                                               ystride, w, OB);
                    j += px;
                }
            float *xn = dx + (size_t)n * C * H * W;
            for (int c = 0; c < C; c++)
                for (int h = 0; h < H; h++) {
                    const float *src = pb + c * plane + (h + 1) * pw + 1;
                    float *dst = xn + ((size_t)c * H + h) * W;
                    if (acc)
                        for (int x = 0; x < W; x++) dst[x] += src[x];
                    else
                        memcpy(dst, src, (size_t)W * sizeof(float));
                }
        }
    }
}

#else  // not x86-64 with GCC or clang: never chosen

int cpu_own_can(const CpuConvEq *e) {
    (void)e;
    return 0;
}

int cpu_own_can_upd(const CpuConvEq *e) {
    (void)e;
    return 0;
}

void cpu_own_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc, int bf16) {
    (void)dx, (void)dy, (void)w, (void)e, (void)acc, (void)bf16;
    FK_CHECK(0, "fakeit's own AVX-512 kernels are not in this build");
}

void cpu_own_backward_weights(float *dw, const float *dy, const float *x, const CpuConvEq *e) {
    (void)dw, (void)dy, (void)x, (void)e;
    FK_CHECK(0, "fakeit's own AVX-512 kernels are not in this build");
}

int cpu_own_can_upd_bf16(const CpuConvEq *e) {
    (void)e;
    return 0;
}

void cpu_own_backward_weights_bf16(float *dw, const float *dy, const float *x, const CpuConvEq *e) {
    cpu_own_backward_weights(dw, dy, x, e);
}

int cpu_own_can_fwd(const CpuConvEq *e) {
    (void)e;
    return 0;
}

int cpu_own_bf16(void) { return 0; }

int cpu_own_can_image(const CpuConvEq *e) {
    (void)e;
    return 0;
}

void cpu_own_image_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc) {
    (void)dx, (void)dy, (void)w, (void)e, (void)acc;
    FK_CHECK(0, "fakeit's own AVX-512 kernels are not in this build");
}

#endif

// ---------------------------------------------------------------------------
// a convolution whose kernel covers its whole input (one output pixel, no
// padding; the critic's last layer) and few output channels, its input in
// the blocked layout: each pass is a dot product, an axpy or a sum over the
// batch of the input's N x (C H W) values in the input's own order, against
// the weights rewritten once per optimiser step into that order,
// wp[oc][(cb HW + k) B + l] = w[oc][cb B + l][k]. Portable C; each output
// summed by one thread in a fixed order.

enum { DOT_MAX_OC = 16, DOT_CHUNK = 256 };

int cpu_own_can_dot(const CpuConvEq *e) {
    return e->OH == 1 && e->OW == 1 && e->K == e->H && e->K == e->W && e->P == 0 && e->OC <= DOT_MAX_OC &&
           cpu_blocked(e->C, e->H, e->W);
}

static void pack_dot(float *wp, const float *w, int C, int OC, int HW) {
    const int B = BLK;
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < HW; k++)
                wp[(size_t)oc * C * HW + ((size_t)(c / B) * HW + k) * B + c % B] = w[((size_t)oc * C + c) * HW + k];
}

static const float *dot_weights(const float *w, const CpuConvEq *e) {
    static const char owner;  // this layout
    const size_t n = (size_t)e->OC * e->C * e->H * e->W;
    int stale = 1;
    float *wp = cpu_weight_copy(w, n, &owner, n * sizeof(float), &stale);
    if (!wp) wp = cpu_scratch(SLOT_DOT, n);
    if (stale) pack_dot(wp, w, e->C, e->OC, e->H * e->W);
    return wp;
}

void cpu_own_dot_forward(float *y, const float *x, const float *w, const CpuConvEq *e) {
    const int OC = e->OC;
    const size_t L = (size_t)e->C * e->H * e->W;
    const float *wp = dot_weights(w, e);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < e->N; n++)
        for (int oc = 0; oc < OC; oc++) {
            const float *xn = x + (size_t)n * L, *wo = wp + (size_t)oc * L;
            float s = 0.0f;
#pragma omp simd reduction(+ : s)
            for (size_t i = 0; i < L; i++) s += xn[i] * wo[i];
            y[(size_t)n * OC + oc] = s;
        }
}

// acc 0: the first output channel's term is written (+ 0: the bits of adding to zeros)
void cpu_own_dot_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc) {
    const int OC = e->OC;
    const size_t L = (size_t)e->C * e->H * e->W;
    const float *wp = dot_weights(w, e);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < e->N; n++) {
        float *dxn = dx + (size_t)n * L;
        for (int oc = 0; oc < OC; oc++) {
            const float g = dy[(size_t)n * OC + oc], *wo = wp + (size_t)oc * L;
            if (oc == 0 && !acc) {
#pragma omp simd
                for (size_t i = 0; i < L; i++) dxn[i] = g * wo[i] + 0.0f;
            } else {
#pragma omp simd
                for (size_t i = 0; i < L; i++) dxn[i] += g * wo[i];
            }
        }
    }
}

void cpu_own_dot_backward_weights(float *dw, const float *dy, const float *x, const CpuConvEq *e) {
    const int OC = e->OC, C = e->C, HW = e->H * e->W, B = BLK;
    const size_t L = (size_t)C * HW;
    const long chunks = (long)((L + DOT_CHUNK - 1) / DOT_CHUNK);
#pragma omp parallel for collapse(2) schedule(static)
    for (int oc = 0; oc < OC; oc++)
        for (long ch = 0; ch < chunks; ch++) {
            const size_t i0 = (size_t)ch * DOT_CHUNK, m = L - i0 < DOT_CHUNK ? L - i0 : DOT_CHUNK;
            float s[DOT_CHUNK] = {0};
            for (int n = 0; n < e->N; n++) {
                const float g = dy[(size_t)n * OC + oc], *xn = x + (size_t)n * L + i0;
#pragma omp simd
                for (size_t i = 0; i < m; i++) s[i] += g * xn[i];
            }
            for (size_t i = 0; i < m; i++) {  // back to (OC, C, H, W): i0 + i = (cb HW + k) B + l
                const size_t j = i0 + i, l = j % B, k = (j / B) % HW, cb = j / B / HW;
                dw[((size_t)oc * C + cb * B + l) * HW + k] += s[i];
            }
        }
}
