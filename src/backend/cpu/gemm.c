// gemm.c: convolutions as matrix products (im2col, one oneDNN matmul,
// col2im), for the passes where oneDNN 2.6's direct convolutions are slow:
// small outputs (the critic's 8x8 -> 4x4 layer and its mirror in the
// generator, whose weight gradients run at under half the fp32 FMA peak and a
// sixth of the AMX rate in bf16), one-pixel sides, and the input gradient of
// 3-channel layers; a matrix product of the same size runs at three quarters
// of the fp32 peak and several times it on AMX (docs/performance.md; the
// rule that picks this path is in dnnl.c).
//
// Each pass runs on the equivalent convolution (cpu_conv_equivalent, cpu.h):
// X (N, C, H, W) -> Y (N, OC,
// OH, OW), weights w (OC, C, K, K) as fakeit stores them, which is already
// the matrix (OC, KC) with KC = C K K columns ordered (c, kh, kw). With the
// rows of a chunk of samples, NP = n OH OW:
//   col (NP, KC)      = im2col(X)
//   forward   Y       = col x w^T
//   backward  dX     += col2im(dY x w)
//   weights   dw     += dY^T x col         (oneDNN adds into dw itself)
// The batch is cut into chunks of whole samples whose columns (and output
// rows) hold at most CHUNK elements, so they cost a fixed few MB whatever the
// batch or image size (the chunk count depends on the shapes only, so the
// bits repeat).
// In bf16 the matrix operands (col, dY, the weights) are written in bf16 as
// they are made, rounded to nearest even as oneDNN's reorders do; products
// and sums are fp32. Activations are read and written in the backend's
// layout (blocked or plain); buffers are the backend's scratch slots, grown
// once per shape. col2im is split by sample, each summed in a fixed order, so
// the same thread count gives the same bits.
#include <stdint.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

enum { SLOT_COL, SLOT_MAT, SLOT_W, SLOT_OUT };
#define CHUNK ((size_t)1 << 20)  // elements of col, dcol or mat per chunk: 4 MB in fp32

// element i of a matrix stored as fp32 or bf16
static inline void put1(void *m, size_t i, float v, int bf16) {
    if (bf16)
        ((uint16_t *)m)[i] = cpu_to_bf16(v);
    else
        ((float *)m)[i] = v;
}

CpuConvEq cpu_conv_equivalent(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P) {
    if (!transposed)
        return (CpuConvEq){N, C, H, W, OC, conv_out_size(H, K, S, P), conv_out_size(W, K, S, P), K, S, P};
    return (CpuConvEq){N, OC, convt_out_size(H, K, S, P), convt_out_size(W, K, S, P), C, H, W, K, S, P};
}

typedef CpuConvEq Eq;

// The layout of an activation (N, C, H, W): (N, C/B, HW, B), B the backend's
// block when blocked, 1 when plain.
static int block_of(int C, int H, int W) { return cpu_blocked(C, H, W) ? BLK : 1; }

// col (rows of samples n0 .. n0+n) of X in the backend's layout
static void im2col(void *col, const float *x, const Eq *e, int n0, int n, int bf16) {
    const int C = e->C, HW = e->H * e->W, K = e->K, KK = K * K, B = block_of(C, e->H, e->W), CB = C / B;
    const size_t KC = (size_t)KK * C;
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < n; i++)
        for (int oh = 0; oh < e->OH; oh++)
            for (int ow = 0; ow < e->OW; ow++) {
                const size_t row = (((size_t)i * e->OH + oh) * e->OW + ow) * KC;
                const float *xn = x + (size_t)(n0 + i) * C * HW;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        const int ih = oh * e->S - e->P + kh, iw = ow * e->S - e->P + kw, rs = kh * K + kw;
                        const int in = ih >= 0 && ih < e->H && iw >= 0 && iw < e->W;
                        const float *s = xn + (size_t)(in ? ih * e->W + iw : 0) * B;
                        for (int cb = 0; cb < CB; cb++, s += (size_t)HW * B)
                            for (int l = 0; l < B; l++)
                                put1(col, row + (size_t)(cb * B + l) * KK + rs, in ? s[l] : 0.0f, bf16);
                    }
            }
}

// dX (samples n0 .. n0+n) in the backend's layout (+)= col2im(dcol); `acc` 0 overwrites
static void col2im(float *dx, const float *dcol, const Eq *e, int n0, int n, int acc) {
    const int C = e->C, HW = e->H * e->W, K = e->K, KK = K * K, B = block_of(C, e->H, e->W), CB = C / B;
    const size_t KC = (size_t)KK * C;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        float *xn = dx + (size_t)(n0 + i) * C * HW;
        if (!acc) memset(xn, 0, (size_t)C * HW * sizeof(float));
        for (int oh = 0; oh < e->OH; oh++)
            for (int ow = 0; ow < e->OW; ow++) {
                const float *row = dcol + (((size_t)i * e->OH + oh) * e->OW + ow) * KC;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        const int ih = oh * e->S - e->P + kh, iw = ow * e->S - e->P + kw, rs = kh * K + kw;
                        if (ih < 0 || ih >= e->H || iw < 0 || iw >= e->W) continue;
                        float *d = xn + (size_t)(ih * e->W + iw) * B;
                        for (int cb = 0; cb < CB; cb++, d += (size_t)HW * B)
                            for (int l = 0; l < B; l++) d[l] += row[(size_t)(cb * B + l) * KK + rs];
                    }
            }
    }
}

// mat (NP, OC) as fp32 or bf16 <- Y (samples n0 .. n0+n) in the backend's layout
static void act_to_mat(void *mat, const float *y, const Eq *e, int n0, int n, int bf16) {
    const int OC = e->OC, OHW = e->OH * e->OW, B = block_of(OC, e->OH, e->OW), OB = OC / B;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
        for (int ob = 0; ob < OB; ob++) {
            const float *s = y + ((size_t)(n0 + i) * OB + ob) * OHW * B;
            for (int p = 0; p < OHW; p++)
                for (int l = 0; l < B; l++) put1(mat, ((size_t)i * OHW + p) * OC + ob * B + l, s[(size_t)p * B + l], bf16);
        }
}

// Y (samples n0 .. n0+n) in the backend's layout (+)= mat (NP, OC)
static void mat_to_act(float *y, const float *mat, const Eq *e, int n0, int n, int acc) {
    const int OC = e->OC, OHW = e->OH * e->OW, B = block_of(OC, e->OH, e->OW), OB = OC / B;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++)
        for (int ob = 0; ob < OB; ob++) {
            float *d = y + ((size_t)(n0 + i) * OB + ob) * OHW * B;
            for (int p = 0; p < OHW; p++)
                for (int l = 0; l < B; l++) {
                    const float v = mat[((size_t)i * OHW + p) * OC + ob * B + l];
                    d[(size_t)p * B + l] = acc ? d[(size_t)p * B + l] + v : v;
                }
        }
}

// The weights as the matrix (OC, KC): w itself in fp32, a bf16 copy in bf16,
// kept from one use to the next while w is not written when w lies in a
// declared parameter block (cpu_weight_copy), else made in a scratch buffer.
static const void *weights(const float *w, const Eq *e, int bf16) {
    if (!bf16) return w;
    const size_t n = (size_t)e->OC * e->C * e->K * e->K;
    static const char owner;  // this file's layout: the weights as stored, in bf16
    int stale = 1;
    uint16_t *m = (uint16_t *)cpu_weight_copy(w, n, &owner, n * sizeof(uint16_t), &stale);
    if (!m) m = (uint16_t *)cpu_scratch(SLOT_W, (n + 1) / 2);
    if (!stale) return m;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) m[i] = cpu_to_bf16(w[i]);
    return m;
}

// samples per chunk
static int chunk(const Eq *e) {
    const size_t kc = (size_t)e->C * e->K * e->K, oc = (size_t)e->OC, per = (size_t)e->OH * e->OW * (kc > oc ? kc : oc);
    const size_t n = CHUNK / (per ? per : 1);
    return n < 1 ? 1 : n > (size_t)e->N ? e->N : (int)n;
}

static size_t words(size_t n, int bf16) { return bf16 ? (n + 1) / 2 : n; }  // floats that hold n elements

// Y (+)= conv(X) of the equivalent convolution
static void eq_forward(float *y, const float *x, const float *w, const Eq *e, int acc, int bf16) {
    const int nc = chunk(e), OHW = e->OH * e->OW, KC = e->C * e->K * e->K;
    const void *wm = weights(w, e, bf16);
    void *col = cpu_scratch(SLOT_COL, words((size_t)nc * OHW * KC, bf16));
    float *out = cpu_scratch(SLOT_OUT, (size_t)nc * OHW * e->OC);
    for (int n0 = 0; n0 < e->N; n0 += nc) {
        const int n = e->N - n0 < nc ? e->N - n0 : nc;
        im2col(col, x, e, n0, n, bf16);
        cpu_matmul(out, col, wm, n * OHW, KC, e->OC, 0, 1, 0, bf16);
        mat_to_act(y, out, e, n0, n, acc);
    }
}

// dX (+)= the input gradient of dY
static void eq_backward_data(float *dx, const float *dy, const float *w, const Eq *e, int acc, int bf16) {
    const int nc = chunk(e), OHW = e->OH * e->OW, KC = e->C * e->K * e->K;
    const void *wm = weights(w, e, bf16);
    void *mat = cpu_scratch(SLOT_MAT, words((size_t)nc * OHW * e->OC, bf16));
    float *dcol = cpu_scratch(SLOT_OUT, (size_t)nc * OHW * KC);
    for (int n0 = 0; n0 < e->N; n0 += nc) {
        const int n = e->N - n0 < nc ? e->N - n0 : nc;
        act_to_mat(mat, dy, e, n0, n, bf16);
        cpu_matmul(dcol, mat, wm, n * OHW, e->OC, KC, 0, 0, 0, bf16);
        col2im(dx, dcol, e, n0, n, acc);
    }
}

// dw += the weight gradient of dY for input X
static void eq_backward_weights(float *dw, const float *dy, const float *x, const Eq *e, int bf16) {
    const int nc = chunk(e), OHW = e->OH * e->OW, KC = e->C * e->K * e->K;
    void *col = cpu_scratch(SLOT_COL, words((size_t)nc * OHW * KC, bf16));
    void *mat = cpu_scratch(SLOT_MAT, words((size_t)nc * OHW * e->OC, bf16));
    for (int n0 = 0; n0 < e->N; n0 += nc) {
        const int n = e->N - n0 < nc ? e->N - n0 : nc;
        im2col(col, x, e, n0, n, bf16);
        act_to_mat(mat, dy, e, n0, n, bf16);
        cpu_matmul(dw, mat, col, e->OC, n * OHW, KC, 1, 0, 1, bf16);
    }
}

// ---------------------------------------------------------------------------
// the passes of a convolution (transposed: ConvTranspose2d), shapes as the
// ops' (ops/ops.h); no bias (dnnl.c adds it)

void cpu_gemm_forward(int transposed, float *out, const float *inp, const float *w, int N, int C, int H, int W,
                      int OC, int K, int S, int P, int bf16) {
    const Eq e = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_backward_data(out, inp, w, &e, 0, bf16);
    else
        eq_forward(out, inp, w, &e, 0, bf16);
}

void cpu_gemm_backward_data(int transposed, float *dinp, const float *dout, const float *w, int N, int C, int H,
                            int W, int OC, int K, int S, int P, int bf16, int acc) {
    const Eq e = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_forward(dinp, dout, w, &e, acc, bf16);
    else
        eq_backward_data(dinp, dout, w, &e, acc, bf16);
}

void cpu_gemm_backward_weights(int transposed, float *dw, const float *dout, const float *inp, int N, int C, int H,
                               int W, int OC, int K, int S, int P, int bf16) {
    const Eq e = cpu_conv_equivalent(transposed, N, C, H, W, OC, K, S, P);
    if (transposed)
        eq_backward_weights(dw, inp, dout, &e, bf16);
    else
        eq_backward_weights(dw, dout, inp, &e, bf16);
}
