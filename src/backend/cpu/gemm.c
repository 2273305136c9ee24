// gemm.c: convolutions as matrix products (im2col, one oneDNN matmul,
// col2im), for the shapes where oneDNN 2.6's direct convolutions are slow:
// small outputs (the critic's 8x8 -> 4x4 layer and its mirror in the
// generator), whose weight gradients run at a third of the FMA peak in fp32
// and a sixth of the AMX rate in bf16, while a matrix product of the same
// size runs at 75 % of the fp32 peak and several times it on AMX
// (docs/performance.md; the rule that picks this path is in dnnl.c).
//
// Each pass runs on the equivalent convolution (xsmm.c says why a
// transposed convolution is the adjoint of one): X (N, C, H, W) -> Y (N, OC,
// OH, OW), weights (OC, C, K, K) as fakeit stores them. With NP = N OH OW
// rows and KC = K K C columns, ordered (kh, kw, c) so that one pixel's
// channels are copied as a block:
//   col (NP, KC)      = im2col(X)
//   forward   Y       = col x Wr^T,        Wr (OC, KC)
//   backward  dX     += col2im(dY x Wr)
//   weights   dw     += dY^T x col,        permuted back to (OC, C, K, K)
// In bf16 the matrix operands (col, dY, the weights) are written in bf16 as
// they are made, rounded to nearest even as oneDNN's reorders do; products
// and sums are fp32. Activations are read and written in the backend's
// layout (blocked or plain). Buffers are the backend's scratch slots, grown
// once per shape. col2im is split by sample, each summed in a fixed order, so
// the same thread count gives the same bits.
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

enum { SLOT_COL, SLOT_MAT, SLOT_W, SLOT_OUT };

// Round to nearest even; a NaN stays a NaN. Branch-free, so loops of it vectorise.
static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1)) >> 16, nan = (u >> 16) | 0x40;
    return (uint16_t)((int32_t)(u & 0x7fffffffu) > 0x7f800000 ? nan : rounded);
}

// n floats at src -> dst[0..n) as fp32 or bf16
static inline void put(void *dst, size_t at, const float *src, int n, int bf16) {
    if (bf16) {
        uint16_t *d = (uint16_t *)dst + at;
        for (int i = 0; i < n; i++) d[i] = to_bf16(src[i]);
    } else {
        memcpy((float *)dst + at, src, (size_t)n * sizeof(float));
    }
}

static inline void put_zero(void *dst, size_t at, int n, int bf16) {
    memset(bf16 ? (void *)((uint16_t *)dst + at) : (void *)((float *)dst + at), 0, (size_t)n * (bf16 ? 2 : 4));
}

// The equivalent convolution of a pass.
typedef struct {
    int N, C, H, W, OC, OH, OW, K, S, P;
} Eq;

static Eq equivalent(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P) {
    if (!transposed) return (Eq){N, C, H, W, OC, conv_out_size(H, K, S, P), conv_out_size(W, K, S, P), K, S, P};
    return (Eq){N, OC, convt_out_size(H, K, S, P), convt_out_size(W, K, S, P), C, H, W, K, S, P};
}

// col (NP, KC) of X (N, C, H, W) in the backend's layout
static void im2col(void *col, const float *x, const Eq *e, int bf16) {
    const int C = e->C, HW = e->H * e->W, KK = e->K * e->K, KC = KK * C;
    const int blocked = cpu_blocked(C, e->H, e->W), CB = blocked ? C / BLK : 0;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < e->N; n++)
        for (int oh = 0; oh < e->OH; oh++) {
            float tmp[64];
            for (int ow = 0; ow < e->OW; ow++) {
                const size_t row = (((size_t)n * e->OH + oh) * e->OW + ow) * KC;
                for (int kh = 0; kh < e->K; kh++)
                    for (int kw = 0; kw < e->K; kw++) {
                        const int ih = oh * e->S - e->P + kh, iw = ow * e->S - e->P + kw;
                        const size_t at = row + (size_t)(kh * e->K + kw) * C;
                        if (ih < 0 || ih >= e->H || iw < 0 || iw >= e->W) {
                            put_zero(col, at, C, bf16);
                            continue;
                        }
                        const int p = ih * e->W + iw;
                        if (blocked) {
                            for (int cb = 0; cb < CB; cb++)
                                put(col, at + (size_t)cb * BLK, x + (((size_t)n * CB + cb) * HW + p) * BLK, BLK, bf16);
                        } else {
                            for (int c0 = 0; c0 < C; c0 += 64) {
                                const int m = C - c0 < 64 ? C - c0 : 64;
                                for (int c = 0; c < m; c++) tmp[c] = x[((size_t)n * C + c0 + c) * HW + p];
                                put(col, at + c0, tmp, m, bf16);
                            }
                        }
                    }
            }
        }
}

// dX (N, C, H, W) in the backend's layout (+)= col2im(dcol (NP, KC)); `acc` 0 overwrites
static void col2im(float *dx, const float *dcol, const Eq *e, int acc) {
    const int C = e->C, HW = e->H * e->W, KC = e->K * e->K * C;
    const int blocked = cpu_blocked(C, e->H, e->W), CB = blocked ? C / BLK : 0;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < e->N; n++) {
        float *xn = dx + (size_t)n * C * HW;
        if (!acc) memset(xn, 0, (size_t)C * HW * sizeof(float));
        for (int oh = 0; oh < e->OH; oh++)
            for (int ow = 0; ow < e->OW; ow++) {
                const float *row = dcol + (((size_t)n * e->OH + oh) * e->OW + ow) * KC;
                for (int kh = 0; kh < e->K; kh++)
                    for (int kw = 0; kw < e->K; kw++) {
                        const int ih = oh * e->S - e->P + kh, iw = ow * e->S - e->P + kw;
                        if (ih < 0 || ih >= e->H || iw < 0 || iw >= e->W) continue;
                        const int p = ih * e->W + iw;
                        const float *s = row + (size_t)(kh * e->K + kw) * C;
                        if (blocked) {
                            for (int cb = 0; cb < CB; cb++) {
                                float *d = xn + ((size_t)cb * HW + p) * BLK;
                                for (int l = 0; l < BLK; l++) d[l] += s[cb * BLK + l];
                            }
                        } else {
                            for (int c = 0; c < C; c++) xn[(size_t)c * HW + p] += s[c];
                        }
                    }
            }
    }
}

// mat (NP, OC) as fp32 or bf16 <- Y (N, OC, OH, OW) in the backend's layout
static void act_to_mat(void *mat, const float *y, const Eq *e, int bf16) {
    const int OC = e->OC, OHW = e->OH * e->OW;
    const int blocked = cpu_blocked(OC, e->OH, e->OW), OB = blocked ? OC / BLK : 0;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < e->N; n++) {
        float tmp[64];
        for (int p = 0; p < OHW; p++) {
            const size_t at = ((size_t)n * OHW + p) * OC;
            if (blocked) {
                for (int ob = 0; ob < OB; ob++)
                    put(mat, at + (size_t)ob * BLK, y + (((size_t)n * OB + ob) * OHW + p) * BLK, BLK, bf16);
            } else {
                for (int c0 = 0; c0 < OC; c0 += 64) {
                    const int m = OC - c0 < 64 ? OC - c0 : 64;
                    for (int c = 0; c < m; c++) tmp[c] = y[((size_t)n * OC + c0 + c) * OHW + p];
                    put(mat, at + c0, tmp, m, bf16);
                }
            }
        }
    }
}

// Y (N, OC, OH, OW) in the backend's layout (+)= mat (NP, OC)
static void mat_to_act(float *y, const float *mat, const Eq *e, int acc) {
    const int OC = e->OC, OHW = e->OH * e->OW;
    const int blocked = cpu_blocked(OC, e->OH, e->OW), OB = blocked ? OC / BLK : 0;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < e->N; n++)
        for (int p = 0; p < OHW; p++) {
            const float *s = mat + ((size_t)n * OHW + p) * OC;
            for (int c = 0; c < OC; c++) {
                float *d = blocked ? y + (((size_t)n * OB + c / BLK) * OHW + p) * BLK + c % BLK
                                   : y + ((size_t)n * OC + c) * OHW + p;
                *d = acc ? *d + s[c] : s[c];
            }
        }
}

// weights (OC, C, K, K) -> Wr (OC, KC), columns (kh, kw, c)
static void weights_in(void *dst, const float *w, const Eq *e, int bf16) {
    const int C = e->C, OC = e->OC, KK = e->K * e->K, KC = KK * C;
#pragma omp parallel for schedule(static)
    for (int o = 0; o < OC; o++) {
        float row[4096];  // one (kh, kw)'s channels at a time
        for (int rs = 0; rs < KK; rs++)
            for (int c0 = 0; c0 < C; c0 += 4096) {
                const int m = C - c0 < 4096 ? C - c0 : 4096;
                for (int c = 0; c < m; c++) row[c] = w[((size_t)o * C + c0 + c) * KK + rs];
                put(dst, (size_t)o * KC + (size_t)rs * C + c0, row, m, bf16);
            }
    }
}

// dw (OC, C, K, K) += dwr (OC, KC), columns (kh, kw, c)
static void weights_out_add(float *dw, const float *dwr, const Eq *e) {
    const int C = e->C, OC = e->OC, KK = e->K * e->K, KC = KK * C;
#pragma omp parallel for schedule(static)
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++)
            for (int rs = 0; rs < KK; rs++) dw[((size_t)o * C + c) * KK + rs] += dwr[(size_t)o * KC + (size_t)rs * C + c];
}

static size_t words(size_t n, int bf16) { return bf16 ? (n + 1) / 2 : n; }  // floats that hold n elements

// Y (+)= conv(X) of the equivalent convolution
static void eq_forward(float *y, const float *x, const float *w, const Eq *e, int acc, int bf16) {
    const size_t NP = (size_t)e->N * e->OH * e->OW, KC = (size_t)e->K * e->K * e->C;
    void *col = cpu_scratch(SLOT_COL, words(NP * KC, bf16));
    void *wr = cpu_scratch(SLOT_W, words(KC * e->OC, bf16));
    float *out = cpu_scratch(SLOT_OUT, NP * e->OC);
    im2col(col, x, e, bf16);
    weights_in(wr, w, e, bf16);
    cpu_matmul(out, col, wr, (int)NP, (int)KC, e->OC, 0, 1, bf16);
    mat_to_act(y, out, e, acc);
}

// dX (+)= the input gradient of dY
static void eq_backward_data(float *dx, const float *dy, const float *w, const Eq *e, int acc, int bf16) {
    const size_t NP = (size_t)e->N * e->OH * e->OW, KC = (size_t)e->K * e->K * e->C;
    void *mat = cpu_scratch(SLOT_MAT, words(NP * e->OC, bf16));
    void *wr = cpu_scratch(SLOT_W, words((size_t)e->OC * KC, bf16));
    float *dcol = cpu_scratch(SLOT_OUT, NP * KC);
    act_to_mat(mat, dy, e, bf16);
    weights_in(wr, w, e, bf16);
    cpu_matmul(dcol, mat, wr, (int)NP, e->OC, (int)KC, 0, 0, bf16);
    col2im(dx, dcol, e, acc);
}

// dw += the weight gradient of dY for input X
static void eq_backward_weights(float *dw, const float *dy, const float *x, const Eq *e, int bf16) {
    const size_t NP = (size_t)e->N * e->OH * e->OW, KC = (size_t)e->K * e->K * e->C;
    void *col = cpu_scratch(SLOT_COL, words(NP * KC, bf16));
    void *mat = cpu_scratch(SLOT_MAT, words(NP * e->OC, bf16));
    float *dwr = cpu_scratch(SLOT_OUT, (size_t)e->OC * KC);
    im2col(col, x, e, bf16);
    act_to_mat(mat, dy, e, bf16);
    cpu_matmul(dwr, mat, col, e->OC, (int)NP, (int)KC, 1, 0, bf16);
    weights_out_add(dw, dwr, e);
}

// ---------------------------------------------------------------------------
// the passes of a convolution (transposed: ConvTranspose2d), shapes as the
// ops' (ops/ops.h); no bias (dnnl.c adds it)

void cpu_gemm_forward(int transposed, float *out, const float *inp, const float *w, int N, int C, int H, int W,
                      int OC, int K, int S, int P, int bf16) {
    const Eq e = equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_backward_data(out, inp, w, &e, 0, bf16);
    else
        eq_forward(out, inp, w, &e, 0, bf16);
}

void cpu_gemm_backward_data(int transposed, float *dinp, const float *dout, const float *w, int N, int C, int H,
                            int W, int OC, int K, int S, int P, int bf16) {
    const Eq e = equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_forward(dinp, dout, w, &e, 1, bf16);
    else
        eq_backward_data(dinp, dout, w, &e, 1, bf16);
}

void cpu_gemm_backward_weights(int transposed, float *dw, const float *dout, const float *inp, int N, int C, int H,
                               int W, int OC, int K, int S, int P, int bf16) {
    const Eq e = equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_backward_weights(dw, inp, dout, &e, bf16);
    else
        eq_backward_weights(dw, dout, inp, &e, bf16);
}
