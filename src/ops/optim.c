// optim.c: reference optimiser steps and weight clipping over one whole
// parameter block. PyTorch 1.x/2.x single-tensor semantics, float arithmetic
// in the same order, hyperparameters rounded from double as PyTorch rounds its
// Python scalars.
#include <math.h>

#include "ops/ops.h"

// square_avg = alpha * square_avg + (1 - alpha) * g^2
// p -= lr * g / (sqrt(square_avg) + eps)
void rmsprop_step(float *p, float *sq, const float *g, size_t n,
                  double lr, double alpha, double eps) {
    const float a = (float)alpha, one_minus_a = (float)(1.0 - alpha);
    const float neg_lr = (float)(-lr), e = (float)eps;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        sq[i] = sq[i] * a + one_minus_a * g[i] * g[i];
        p[i] = p[i] + neg_lr * g[i] / (sqrtf(sq[i]) + e);
    }
}

// m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
// p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
void adam_step(float *p, float *m, float *v, const float *g, size_t n,
               double lr, double beta1, double beta2, double eps, long t) {
    const double bc1 = 1.0 - pow(beta1, (double)t);
    const double bc2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    const float b1 = (float)beta1, one_minus_b1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, one_minus_b2 = (float)(1.0 - beta2);
    const float neg_step = (float)(-(lr / bc1)), c2 = (float)bc2_sqrt, e = (float)eps;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        m[i] = m[i] * b1 + one_minus_b1 * g[i];
        v[i] = v[i] * b2 + one_minus_b2 * g[i] * g[i];
        p[i] = p[i] + neg_step * m[i] / (sqrtf(v[i]) / c2 + e);
    }
}

void clip_weights(float *p, size_t n, float c) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) p[i] = p[i] < -c ? -c : p[i] > c ? c : p[i];
}
