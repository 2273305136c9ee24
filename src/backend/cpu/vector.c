// vector.c: the CPU backend's element-wise ops, optimiser steps and
// clipping: layout-free, vectorised and threaded.
#include <math.h>
#include <stddef.h>

#include "backend/cpu/cpu.h"

// ---------------------------------------------------------------------------
// element-wise ops, optimisers, clipping: layout-free, vectorised and threaded.
// The same float operations in the same order as the reference, so the same
// bits (the vector square root and division are correctly rounded).

void cpu_relu_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void cpu_relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f;
}

void cpu_lrelu_forward(float *out, const float *inp, size_t n, float slope) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : inp[i] * slope;
}

void cpu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : dout[i] * slope;
}

void cpu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void cpu_add_forward(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void cpu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps) {
    const float a = (float)alpha, one_minus_a = (float)(1.0 - alpha);
    const float neg_lr = (float)(-lr), e = (float)eps;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float s = sq[i] * a + one_minus_a * g[i] * g[i];
        sq[i] = s;
        p[i] = p[i] + neg_lr * g[i] / (sqrtf(s) + e);
    }
}

void cpu_adam_step(float *p, float *m, float *v, const float *g, size_t n, double lr, double beta1,
                          double beta2, double eps, long t) {
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const double bc2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float neg_step = (float)(-(lr / bc1)), c2 = (float)bc2_sqrt, e = (float)eps;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float mi = m[i] * b1 + one_minus_b1 * g[i];
        const float vi = v[i] * b2 + one_minus_b2 * g[i] * g[i];
        m[i] = mi, v[i] = vi;
        p[i] = p[i] + neg_step * mi / (sqrtf(vi) / c2 + e);
    }
}

void cpu_clip_weights(float *p, size_t n, float c) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = p[i] < -c ? -c : p[i] > c ? c : p[i];
}
