// activation.c: reference ReLU, LeakyReLU, Tanh and per-channel PReLU.
//
// Element-wise, so every loop parallelises without changing any result. At
// exactly 0 the derivative is the negative side's, as in PyTorch.
#include <math.h>

#include "ops/ops.h"

void relu_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

void lrelu_forward(float *out, const float *inp, size_t n, float slope) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : inp[i] * slope;
}

void lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : dout[i] * slope;
}

void tanh_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

// Uses the forward OUTPUT y: d tanh = 1 - y^2.
void tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            float *o = out + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) o[i] = x[i] > 0.0f ? x[i] : a[c] * x[i];
        }
}

void prelu_backward(float *dinp, float *da, const float *dout, const float *inp,
                    const float *a, int N, int C, int HW) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double s = 0.0;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            const float *dy = dout + ((size_t)n * C + c) * HW;
            float *dx = dinp ? dinp + ((size_t)n * C + c) * HW : NULL;
            for (int i = 0; i < HW; i++) {
                if (x[i] > 0.0f) {
                    if (dx) dx[i] += dy[i];
                } else {
                    if (dx) dx[i] += a[c] * dy[i];
                    s += (double)x[i] * dy[i];
                }
            }
        }
        if (da) da[c] += (float)s;
    }
}
