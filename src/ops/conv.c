// conv.c: reference 2-D convolution and transposed convolution.
//
// Three kernels do all the work. With x at stride S and padding P,
//   correlate_add:  y[n, o, i, j] += sum_{c,kh,kw} w[o, c, kh, kw] x[n, c, i*S-P+kh, j*S-P+kw]
//   scatter_add:    y[n, o, i*S-P+kh, j*S-P+kw] += sum_c x[n, c, i, j] w[c, o, kh, kw]
//   weight_grad:    dw[o, c, kh, kw] += sum_{n,i,j} g[n, o, i, j] x[n, c, i*S-P+kh, j*S-P+kw]
// A transposed convolution is the adjoint of a convolution, so
//   conv forward = correlate, conv backward-data = scatter,
//   convt forward = scatter,  convt backward-data = correlate,
// and both weight gradients are weight_grad with the roles of the two
// activations exchanged for convt.
//
// Each kernel is "for each tap, a strided axpy over the valid rows and
// columns", keeping the index arithmetic visible and the inner loop contiguous
// for stride 1. Parallel loops run over output planes or weight slices, so each
// value is summed by one thread in a fixed order: results do not depend on the
// thread count. Weight and bias gradients sum in double.
#include "ops/ops.h"

// Range [*lo, *hi) of positions i (0 <= i < n) whose partner i*S + off falls
// inside [0, m).
static void valid_range(int n, int m, int S, int off, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + S - 1) / S;
    int h = m - 1 - off >= 0 ? (m - 1 - off) / S + 1 : 0;
    if (h > n) h = n;
    *lo = l;
    *hi = h > l ? h : l;
}

// y (N, O, YH, YW) += correlation of x (N, C, XH, XW) with w (O, C, K, K)
static void correlate_add(float *y, const float *x, const float *w, int N, int C, int XH, int XW,
                          int O, int YH, int YW, int K, int S, int P) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int o = 0; o < O; o++) {
            float *yp = y + ((size_t)n * O + o) * YH * YW;
            for (int c = 0; c < C; c++) {
                const float *xp = x + ((size_t)n * C + c) * XH * XW;
                const float *wk = w + ((size_t)o * C + c) * K * K;
                for (int kh = 0; kh < K; kh++) {
                    int i0, i1;
                    valid_range(YH, XH, S, kh - P, &i0, &i1);
                    for (int kw = 0; kw < K; kw++) {
                        int j0, j1;
                        valid_range(YW, XW, S, kw - P, &j0, &j1);
                        const float wv = wk[kh * K + kw];
                        for (int i = i0; i < i1; i++) {
                            float *yrow = yp + (size_t)i * YW;
                            const float *xrow = xp + (size_t)(i * S - P + kh) * XW;
                            for (int j = j0; j < j1; j++) yrow[j] += wv * xrow[j * S + kw - P];
                        }
                    }
                }
            }
        }
    }
}

// y (N, O, YH, YW) += x (N, C, XH, XW) scattered through w (C, O, K, K)
static void scatter_add(float *y, const float *x, const float *w, int N, int C, int XH, int XW,
                        int O, int YH, int YW, int K, int S, int P) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int o = 0; o < O; o++) {
            float *yp = y + ((size_t)n * O + o) * YH * YW;
            for (int c = 0; c < C; c++) {
                const float *xp = x + ((size_t)n * C + c) * XH * XW;
                const float *wk = w + ((size_t)c * O + o) * K * K;
                for (int kh = 0; kh < K; kh++) {
                    int i0, i1;
                    valid_range(XH, YH, S, kh - P, &i0, &i1);
                    for (int kw = 0; kw < K; kw++) {
                        int j0, j1;
                        valid_range(XW, YW, S, kw - P, &j0, &j1);
                        const float wv = wk[kh * K + kw];
                        for (int i = i0; i < i1; i++) {
                            float *yrow = yp + (size_t)(i * S - P + kh) * YW;
                            const float *xrow = xp + (size_t)i * XW;
                            for (int j = j0; j < j1; j++) yrow[j * S + kw - P] += wv * xrow[j];
                        }
                    }
                }
            }
        }
    }
}

// dw (O, C, K, K) += sum over n, i, j of g (N, O, GH, GW) times x (N, C, XH, XW)
// at the tap's position
static void weight_grad(float *dw, const float *g, const float *x, int N, int C, int XH, int XW,
                        int O, int GH, int GW, int K, int S, int P) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int o = 0; o < O; o++) {
        for (int c = 0; c < C; c++) {
            for (int kh = 0; kh < K; kh++) {
                int i0, i1;
                valid_range(GH, XH, S, kh - P, &i0, &i1);
                for (int kw = 0; kw < K; kw++) {
                    int j0, j1;
                    valid_range(GW, XW, S, kw - P, &j0, &j1);
                    double s = 0.0;
                    for (int n = 0; n < N; n++) {
                        const float *gp = g + ((size_t)n * O + o) * GH * GW;
                        const float *xp = x + ((size_t)n * C + c) * XH * XW;
                        for (int i = i0; i < i1; i++) {
                            const float *grow = gp + (size_t)i * GW;
                            const float *xrow = xp + (size_t)(i * S - P + kh) * XW;
                            for (int j = j0; j < j1; j++) s += (double)grow[j] * (double)xrow[j * S + kw - P];
                        }
                    }
                    dw[(((size_t)o * C + c) * K + kh) * K + kw] += (float)s;
                }
            }
        }
    }
}

// out (N, OC, HW) = b[oc] everywhere (0 without bias)
static void fill_bias(float *out, const float *b, int N, int OC, size_t HW) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int oc = 0; oc < OC; oc++) {
            float *o = out + ((size_t)n * OC + oc) * HW;
            const float v = b ? b[oc] : 0.0f;
            for (size_t i = 0; i < HW; i++) o[i] = v;
        }
}

// db (OC) += sum of dout (N, OC, HW) over n and the plane
static void bias_grad(float *db, const float *dout, int N, int OC, size_t HW) {
#pragma omp parallel for schedule(static)
    for (int oc = 0; oc < OC; oc++) {
        double s = 0.0;
        for (int n = 0; n < N; n++) {
            const float *g = dout + ((size_t)n * OC + oc) * HW;
            for (size_t i = 0; i < HW; i++) s += g[i];
        }
        db[oc] += (float)s;
    }
}

// ---------------------------------------------------------------------------
// Conv2d: out[n, oc, oh, ow] = b[oc] + sum_{c,kh,kw} w[oc, c, kh, kw] *
//                                     inp[n, c, oh*S - P + kh, ow*S - P + kw]

void conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                    int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = conv_out_size(H, K, S, P), OW = conv_out_size(W, K, S, P);
    fill_bias(out, b, N, OC, (size_t)OH * OW);
    correlate_add(out, inp, w, N, C, H, W, OC, OH, OW, K, S, P);
}

void conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w,
                     int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = conv_out_size(H, K, S, P), OW = conv_out_size(W, K, S, P);
    // w (OC, C, K, K) read as a scatter from OC channels to C channels
    if (dinp) scatter_add(dinp, dout, w, N, OC, OH, OW, C, H, W, K, S, P);
    if (dw) weight_grad(dw, dout, inp, N, C, H, W, OC, OH, OW, K, S, P);
    if (db) bias_grad(db, dout, N, OC, (size_t)OH * OW);
}

// ---------------------------------------------------------------------------
// ConvTranspose2d: each input pixel scatters a K x K footprint,
// out[n, oc, ih*S - P + kh, iw*S - P + kw] += inp[n, c, ih, iw] * w[c, oc, kh, kw]

void convt2d_forward(float *out, const float *inp, const float *w, const float *b,
                     int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = convt_out_size(H, K, S, P), OW = convt_out_size(W, K, S, P);
    fill_bias(out, b, N, OC, (size_t)OH * OW);
    scatter_add(out, inp, w, N, C, H, W, OC, OH, OW, K, S, P);
}

void convt2d_backward(float *dinp, float *dw, float *db, const float *dout,
                      const float *inp, const float *w,
                      int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = convt_out_size(H, K, S, P), OW = convt_out_size(W, K, S, P);
    // w (C, OC, K, K) read as a correlation from OC channels to C channels
    if (dinp) correlate_add(dinp, dout, w, N, OC, OH, OW, C, H, W, K, S, P);
    // dw[c, oc] pairs inp (at the small size) with dout at the tap's position
    if (dw) weight_grad(dw, inp, dout, N, OC, OH, OW, C, H, W, K, S, P);
    if (db) bias_grad(db, dout, N, OC, (size_t)OH * OW);
}
