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
// In fp32, the backward of a kernel that is a multiple of its stride (the
// 4x4 stride-2 layers) runs instead as one product per class of dX pixels
// (ih + P, iw + P mod S), each a stride-1 correlation of dY written straight
// into its pixels (eq_backward_data_by_class below).
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
enum { KEEP_BYTES = 2 << 20 };  // the largest class weights kept from one use to the next

// element i of a matrix stored as fp32 or bf16
static inline void put1(void *m, size_t i, float v, int bf16) {
    if (bf16)
        ((uint16_t *)m)[i] = cpu_to_bf16(v);
    else
        ((float *)m)[i] = v;
}

CpuConvEq cpu_conv_equivalent(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P) {
    if (!transposed)
        return (CpuConvEq){N, C, H, W, OC, conv_out_size(H, K, S, P), conv_out_size(W, K, S, P), K, S, P, 0};
    return (CpuConvEq){N, OC, convt_out_size(H, K, S, P), convt_out_size(W, K, S, P), C, H, W, K, S, P, 1};
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

// samples per chunk when a sample takes `per` elements of the largest buffer
static int chunk_of(size_t per, int N) {
    const size_t n = CHUNK / (per ? per : 1);
    return n < 1 ? 1 : n > (size_t)N ? N : (int)n;
}
// samples per chunk of the product over all taps (col or dcol, or mat)
static int chunk(const Eq *e) {
    const size_t kc = (size_t)e->C * e->K * e->K, oc = (size_t)e->OC;
    return chunk_of((size_t)e->OH * e->OW * (kc > oc ? kc : oc), e->N);
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

// The input gradient of a strided convolution whose kernel is a multiple of
// its stride (T = K / S taps per class and axis: the 4x4 stride-2 layers),
// by the S x S classes of dX pixels, class (rh, rw) = ((ih + P) mod S,
// (iw + P) mod S). Within a class, dX[ih] sums dY[qh - th] w[rh + S th] over
// th < T with qh = (ih + P - rh) / S (and likewise along w): a stride-1
// correlation of dY, so one matrix product per class, its reduction over the
// taps and output channels (T T OC, ordered (th, tw, oc)), its outputs the C
// input channels, written straight to the class's pixels. Against the product
// over all K K taps and col2im, the product's output is C wide instead of
// K K C and its reduction T T times as long, the shape oneDNN's AVX2 matrix
// product runs fastest (docs/performance.md; oneDNN held to AVX2 on the AMD
// host: the critic's 256->512 input gradient 36-39 -> 25-29 ms a pass). fp32
// only: in bf16 the product over all taps measured faster (7.2-7.4 against
// 8.4-8.5 ms there, and slower whole iterations).
static int by_class(const Eq *e, int bf16) { return !bf16 && e->S > 1 && e->K % e->S == 0; }

// first dX row (or column) of class r, and how many there are of it
static int class_start(int r, int S, int P) { return ((r - P) % S + S) % S; }
static int class_count(int r, int S, int P, int H) {
    const int i0 = class_start(r, S, P);
    return H > i0 ? (H - i0 + S - 1) / S : 0;
}

// The matrix (T T OC, C) of class `cls` from w (OC, C, K, K), into m
static void class_matrix(float *m, const float *w, const Eq *e, int cls) {
    const int C = e->C, OC = e->OC, K = e->K, S = e->S, T = K / S, KK = K * K;
#pragma omp parallel for collapse(2) schedule(static)
    for (int oc = 0; oc < OC; oc++)
        for (int t = 0; t < T * T; t++) {
            const int k = (cls / S + S * (t / T)) * K + cls % S + S * (t % T);
            float *d = m + ((size_t)t * OC + oc) * C;
            const float *s = w + (size_t)oc * C * KK + k;
            for (int c = 0; c < C; c++) d[c] = s[(size_t)c * KK];
        }
}

// The matrix of class `cls`: of a copy of all classes' kept from one use to
// the next like weights()'s up to KEEP_BYTES, else made per call, one class at
// a time (kept copies of the large layers' weights, or of all classes at
// once, cost more memory than the reference's at 128 px: 1,280 and 1,246 MB
// against 1,212)
static const float *class_weights(const float *w, const Eq *e, int cls) {
    const size_t n = (size_t)e->OC * e->C * e->K * e->K, per = n / ((size_t)e->S * e->S);
    static const char owner;  // this layout
    int stale = 1;
    float *m = n * sizeof(float) <= KEEP_BYTES ? (float *)cpu_weight_copy(w, n, &owner, n * sizeof(float), &stale) : NULL;
    if (!m) {
        m = cpu_scratch(SLOT_W, per);
        class_matrix(m, w, e, cls);
        return m;
    }
    if (stale)
        for (int c = 0; c < e->S * e->S; c++) class_matrix(m + c * per, w, e, c);
    return m + cls * per;
}

static void eq_backward_data_by_class(float *dx, const float *dy, const float *w, const Eq *e, int acc) {
    const int C = e->C, OC = e->OC, S = e->S, T = e->K / S, H = e->H, W = e->W, OH = e->OH, OW = e->OW;
    const int BX = block_of(C, H, W), CB = C / BX, BY = block_of(OC, OH, OW), OB = OC / BY;
    const size_t TOC = (size_t)T * T * OC, HW = (size_t)H * W, OHW = (size_t)OH * OW;
    int HC = 0, WC = 0;  // the largest class
    for (int r = 0; r < S; r++) {
        const int hc = class_count(r, S, e->P, H), wc = class_count(r, S, e->P, W);
        HC = hc > HC ? hc : HC, WC = wc > WC ? wc : WC;
    }
    const int nc = chunk_of(TOC * HC * WC, e->N);
    float *col = cpu_scratch(SLOT_COL, (size_t)nc * HC * WC * TOC);
    float *out = cpu_scratch(SLOT_OUT, (size_t)nc * HC * WC * C);
    for (int rh = 0; rh < S; rh++)
        for (int rw = 0; rw < S; rw++) {
            const int h0 = class_start(rh, S, e->P), w0 = class_start(rw, S, e->P);
            const int hc = class_count(rh, S, e->P, H), wc = class_count(rw, S, e->P, W);
            if (!hc || !wc) continue;
            const float *wm = class_weights(w, e, rh * S + rw);
            for (int n0 = 0; n0 < e->N; n0 += nc) {
                const int n = e->N - n0 < nc ? e->N - n0 : nc;
#pragma omp parallel for collapse(2) schedule(static)
                for (int i = 0; i < n; i++)
                    for (int jh = 0; jh < hc; jh++) {
                        const float *yn = dy + (size_t)(n0 + i) * OC * OHW;
                        const int qh = (h0 + S * jh + e->P - rh) / S;
                        for (int jw = 0; jw < wc; jw++) {
                            const int qw = (w0 + S * jw + e->P - rw) / S;
                            float *r = col + (((size_t)i * hc + jh) * wc + jw) * TOC;
                            for (int th = 0; th < T; th++)
                                for (int tw = 0; tw < T; tw++, r += OC) {
                                    const int oh = qh - th, ow = qw - tw;
                                    if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) {
                                        memset(r, 0, (size_t)OC * sizeof(float));
                                        continue;
                                    }
                                    const float *src = yn + (size_t)(oh * OW + ow) * BY;
                                    for (int ob = 0; ob < OB; ob++, src += OHW * BY)
                                        memcpy(r + (size_t)ob * BY, src, (size_t)BY * sizeof(float));
                                }
                        }
                    }
                cpu_matmul(out, col, wm, n * hc * wc, (int)TOC, C, 0, 0, 0, 0);
#pragma omp parallel for collapse(2) schedule(static)
                for (int i = 0; i < n; i++)
                    for (int jh = 0; jh < hc; jh++) {
                        float *xn = dx + (size_t)(n0 + i) * C * HW + ((size_t)(h0 + S * jh) * W + w0) * BX;
                        const float *o = out + ((size_t)i * hc + jh) * wc * C;
                        for (int jw = 0; jw < wc; jw++, o += C) {
                            float *d = xn + (size_t)S * jw * BX;
                            for (int cb = 0; cb < CB; cb++) {
                                float *dd = d + cb * HW * BX;
                                const float *oo = o + (size_t)cb * BX;
                                if (acc)
                                    for (int l = 0; l < BX; l++) dd[l] += oo[l];
                                else
                                    memcpy(dd, oo, (size_t)BX * sizeof(float));
                            }
                        }
                    }
            }
        }
}

// dX (+)= the input gradient of dY
static void eq_backward_data(float *dx, const float *dy, const float *w, const Eq *e, int acc, int bf16) {
    if (by_class(e, bf16)) {
        eq_backward_data_by_class(dx, dy, w, e, acc);
        return;
    }
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
