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

// acc 0 writes dinp (backend.h); g + 0 keeps the bits of adding g to zeros
void cpu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc) {
    if (acc) {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.0f ? dout[i] : dout[i] * slope;
    } else {
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < n; i++) dinp[i] = (inp[i] > 0.0f ? dout[i] : dout[i] * slope) + 0.0f;
    }
}

// tanh as a rational function of x (odd numerator of degree 13 over an even
// denominator of degree 6; the coefficients of Eigen's float tanh), clamped
// where tanhf reaches 1, so that it vectorises: within 2 ulp of tanh (and
// 1.2e-7 absolute) over all floats, where the reference's libm tanhf is
// within 1 ulp; tested against tanh in double (test_backends). The
// generator's last layer runs it on every image.
void cpu_tanh_forward(float *out, const float *inp, size_t n) {
    const float a1 = 4.89352455891786e-03f, a3 = 6.37261928875436e-04f, a5 = 1.48572235717979e-05f;
    const float a7 = 5.12229709037114e-08f, a9 = -8.60467152213735e-11f, a11 = 2.00018790482477e-13f;
    const float a13 = -2.76076847742355e-16f;
    const float b0 = 4.89352518554385e-03f, b2 = 2.26843463243900e-03f, b4 = 1.18534705686654e-04f;
    const float b6 = 1.19825839466702e-06f, clamp = 7.90531110763549805f;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float v = inp[i], x = v > clamp ? clamp : v < -clamp ? -clamp : v;
        const float x2 = x * x;
        const float p = ((((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1) * x;
        const float q = ((b6 * x2 + b4) * x2 + b2) * x2 + b0;
        const float t = p / q;
        // tiny |x|: tanh x rounds to x; NaN stays NaN (the clamp's compares are false for it)
        out[i] = (v < 0.0004f && v > -0.0004f) || v != v ? v : t;
    }
}

void cpu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void cpu_add_forward(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

// d|p - t| / dp = sign(p - t) / n, 0 where equal: the reference's (ops/loss.c)
// element by element. (The forward, a sum in double in order, stays the
// reference's.)
void cpu_l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n) {
    const float k = 1.0f / (float)n, nk = -k;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float d = pred[i] - target[i];
        dpred[i] += d > 0.0f ? k : d < 0.0f ? nk : 0.0f;
    }
}

void cpu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps) {
    cpu_written(p, n * sizeof(float));
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
    cpu_written(p, n * sizeof(float));
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
    cpu_written(p, n * sizeof(float));
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = p[i] < -c ? -c : p[i] > c ? c : p[i];
}
