// conv.c: reference 2-D convolution and transposed convolution.
//
// Both are written as "for each kernel tap, a strided axpy over the valid
// rows and columns", which keeps the index arithmetic visible and the inner
// loop contiguous for stride 1. Parallel loops run over output planes (or
// weight slices), so each output value is summed by one thread in a fixed
// order and results are independent of the thread count. Weight and bias
// gradients sum in double.
#include "../ops.h"

// Range [*lo, *hi) of output positions o (0 <= o < out_n) whose input
// position o*S + off falls inside [0, in_n).
static void valid_range(int out_n, int in_n, int S, int off, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + S - 1) / S;
    int h = in_n - 1 - off >= 0 ? (in_n - 1 - off) / S + 1 : 0;
    if (h > out_n) h = out_n;
    *lo = l;
    *hi = h > l ? h : l;
}

// Range of input positions i whose output position i*S + off lies in [0, out_n)
// (the transposed direction: the same relation with the roles swapped).
#define scatter_range valid_range

// ---------------------------------------------------------------------------
// Conv2d: out[n, oc, oh, ow] = b[oc] + sum_{c,kh,kw} w[oc, c, kh, kw] *
//                                     inp[n, c, oh*S - P + kh, ow*S - P + kw]

void conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                    int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = conv_out_size(H, K, S, P), OW = conv_out_size(W, K, S, P);
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            float *o = out + ((size_t)n * OC + oc) * OH * OW;  // (OH, OW)
            const float bias = b ? b[oc] : 0.0f;
            for (int i = 0; i < OH * OW; i++) o[i] = bias;
            for (int c = 0; c < C; c++) {
                const float *x = inp + ((size_t)n * C + c) * H * W;  // (H, W)
                const float *wk = w + ((size_t)oc * C + c) * K * K;   // (K, K)
                for (int kh = 0; kh < K; kh++) {
                    int oh0, oh1;
                    valid_range(OH, H, S, kh - P, &oh0, &oh1);
                    for (int kw = 0; kw < K; kw++) {
                        int ow0, ow1;
                        valid_range(OW, W, S, kw - P, &ow0, &ow1);
                        const float wv = wk[kh * K + kw];
                        for (int oh = oh0; oh < oh1; oh++) {
                            float *orow = o + (size_t)oh * OW;
                            const float *xrow = x + (size_t)(oh * S - P + kh) * W;
                            for (int ow = ow0; ow < ow1; ow++) orow[ow] += wv * xrow[ow * S + kw - P];
                        }
                    }
                }
            }
        }
    }
}

void conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w,
                     int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = conv_out_size(H, K, S, P), OW = conv_out_size(W, K, S, P);
    if (dinp) {
        // dinp[n, c, ih, iw] += sum_{oc,kh,kw} w[oc, c, kh, kw] * dout[n, oc, oh, ow]
#pragma omp parallel for collapse(2) schedule(static)
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                float *dx = dinp + ((size_t)n * C + c) * H * W;
                for (int oc = 0; oc < OC; oc++) {
                    const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                    const float *wk = w + ((size_t)oc * C + c) * K * K;
                    for (int kh = 0; kh < K; kh++) {
                        int oh0, oh1;
                        valid_range(OH, H, S, kh - P, &oh0, &oh1);
                        for (int kw = 0; kw < K; kw++) {
                            int ow0, ow1;
                            valid_range(OW, W, S, kw - P, &ow0, &ow1);
                            const float wv = wk[kh * K + kw];
                            for (int oh = oh0; oh < oh1; oh++) {
                                float *dxrow = dx + (size_t)(oh * S - P + kh) * W;
                                const float *grow = g + (size_t)oh * OW;
                                for (int ow = ow0; ow < ow1; ow++) dxrow[ow * S + kw - P] += wv * grow[ow];
                            }
                        }
                    }
                }
            }
        }
    }
    if (dw) {
        // dw[oc, c, kh, kw] += sum_{n,oh,ow} dout[n, oc, oh, ow] * inp[n, c, ih, iw]
#pragma omp parallel for collapse(2) schedule(static)
        for (int oc = 0; oc < OC; oc++) {
            for (int c = 0; c < C; c++) {
                for (int kh = 0; kh < K; kh++) {
                    int oh0, oh1;
                    valid_range(OH, H, S, kh - P, &oh0, &oh1);
                    for (int kw = 0; kw < K; kw++) {
                        int ow0, ow1;
                        valid_range(OW, W, S, kw - P, &ow0, &ow1);
                        double s = 0.0;
                        for (int n = 0; n < N; n++) {
                            const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                            const float *x = inp + ((size_t)n * C + c) * H * W;
                            for (int oh = oh0; oh < oh1; oh++) {
                                const float *xrow = x + (size_t)(oh * S - P + kh) * W;
                                const float *grow = g + (size_t)oh * OW;
                                for (int ow = ow0; ow < ow1; ow++)
                                    s += (double)grow[ow] * (double)xrow[ow * S + kw - P];
                            }
                        }
                        dw[(((size_t)oc * C + c) * K + kh) * K + kw] += (float)s;
                    }
                }
            }
        }
    }
    if (db) {
#pragma omp parallel for schedule(static)
        for (int oc = 0; oc < OC; oc++) {
            double s = 0.0;
            for (int n = 0; n < N; n++) {
                const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                for (int i = 0; i < OH * OW; i++) s += g[i];
            }
            db[oc] += (float)s;
        }
    }
}

// ---------------------------------------------------------------------------
// ConvTranspose2d: the adjoint of Conv2d. Each input pixel scatters a K x K
// footprint: out[n, oc, ih*S - P + kh, iw*S - P + kw] += inp[n, c, ih, iw] * w[c, oc, kh, kw]

void convt2d_forward(float *out, const float *inp, const float *w, const float *b,
                     int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = convt_out_size(H, K, S, P), OW = convt_out_size(W, K, S, P);
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int oc = 0; oc < OC; oc++) {
            float *o = out + ((size_t)n * OC + oc) * OH * OW;  // (OH, OW)
            const float bias = b ? b[oc] : 0.0f;
            for (int i = 0; i < OH * OW; i++) o[i] = bias;
            for (int c = 0; c < C; c++) {
                const float *x = inp + ((size_t)n * C + c) * H * W;
                const float *wk = w + ((size_t)c * OC + oc) * K * K;
                for (int kh = 0; kh < K; kh++) {
                    int ih0, ih1;
                    scatter_range(H, OH, S, kh - P, &ih0, &ih1);
                    for (int kw = 0; kw < K; kw++) {
                        int iw0, iw1;
                        scatter_range(W, OW, S, kw - P, &iw0, &iw1);
                        const float wv = wk[kh * K + kw];
                        for (int ih = ih0; ih < ih1; ih++) {
                            float *orow = o + (size_t)(ih * S - P + kh) * OW;
                            const float *xrow = x + (size_t)ih * W;
                            for (int iw = iw0; iw < iw1; iw++) orow[iw * S + kw - P] += wv * xrow[iw];
                        }
                    }
                }
            }
        }
    }
}

void convt2d_backward(float *dinp, float *dw, float *db, const float *dout,
                      const float *inp, const float *w,
                      int N, int C, int H, int W, int OC, int K, int S, int P) {
    const int OH = convt_out_size(H, K, S, P), OW = convt_out_size(W, K, S, P);
    if (dinp) {
        // dinp[n, c, ih, iw] += sum_{oc,kh,kw} w[c, oc, kh, kw] * dout[n, oc, ih*S-P+kh, iw*S-P+kw]
#pragma omp parallel for collapse(2) schedule(static)
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                float *dx = dinp + ((size_t)n * C + c) * H * W;
                for (int oc = 0; oc < OC; oc++) {
                    const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                    const float *wk = w + ((size_t)c * OC + oc) * K * K;
                    for (int kh = 0; kh < K; kh++) {
                        int ih0, ih1;
                        scatter_range(H, OH, S, kh - P, &ih0, &ih1);
                        for (int kw = 0; kw < K; kw++) {
                            int iw0, iw1;
                            scatter_range(W, OW, S, kw - P, &iw0, &iw1);
                            const float wv = wk[kh * K + kw];
                            for (int ih = ih0; ih < ih1; ih++) {
                                float *dxrow = dx + (size_t)ih * W;
                                const float *grow = g + (size_t)(ih * S - P + kh) * OW;
                                for (int iw = iw0; iw < iw1; iw++) dxrow[iw] += wv * grow[iw * S + kw - P];
                            }
                        }
                    }
                }
            }
        }
    }
    if (dw) {
        // dw[c, oc, kh, kw] += sum_{n,ih,iw} inp[n, c, ih, iw] * dout[n, oc, oh, ow]
#pragma omp parallel for collapse(2) schedule(static)
        for (int c = 0; c < C; c++) {
            for (int oc = 0; oc < OC; oc++) {
                for (int kh = 0; kh < K; kh++) {
                    int ih0, ih1;
                    scatter_range(H, OH, S, kh - P, &ih0, &ih1);
                    for (int kw = 0; kw < K; kw++) {
                        int iw0, iw1;
                        scatter_range(W, OW, S, kw - P, &iw0, &iw1);
                        double s = 0.0;
                        for (int n = 0; n < N; n++) {
                            const float *x = inp + ((size_t)n * C + c) * H * W;
                            const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                            for (int ih = ih0; ih < ih1; ih++) {
                                const float *xrow = x + (size_t)ih * W;
                                const float *grow = g + (size_t)(ih * S - P + kh) * OW;
                                for (int iw = iw0; iw < iw1; iw++)
                                    s += (double)xrow[iw] * (double)grow[iw * S + kw - P];
                            }
                        }
                        dw[(((size_t)c * OC + oc) * K + kh) * K + kw] += (float)s;
                    }
                }
            }
        }
    }
    if (db) {
#pragma omp parallel for schedule(static)
        for (int oc = 0; oc < OC; oc++) {
            double s = 0.0;
            for (int n = 0; n < N; n++) {
                const float *g = dout + ((size_t)n * OC + oc) * OH * OW;
                for (int i = 0; i < OH * OW; i++) s += g[i];
            }
            db[oc] += (float)s;
        }
    }
}
