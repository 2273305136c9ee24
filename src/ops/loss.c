// loss.c: reference losses. Each forward writes one float to *loss; each
// backward accumulates the gradient with respect to its prediction.
#include <math.h>

#include "ops/ops.h"

// loss = sign * mean(score)
void wgan_loss_forward(float *loss, const float *score, int N, float sign) {
    double s = 0.0;
    for (int n = 0; n < N; n++) s += score[n];
    *loss = (float)(sign * (s / N));
}

void wgan_loss_backward(float *dscore, int N, float sign) {
    for (int n = 0; n < N; n++) dscore[n] += sign / (float)N;
}

void l1_loss_forward(float *loss, const float *pred, const float *target, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += fabs((double)pred[i] - target[i]);
    *loss = (float)(s / (double)n);
}

// d|p - t| / dp = sign(p - t), 0 where equal (PyTorch's sign convention).
void l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n) {
    const float k = 1.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        const float d = pred[i] - target[i];
        dpred[i] += d > 0.0f ? k : d < 0.0f ? -k : 0.0f;
    }
}

void mse_loss_forward(float *loss, const float *pred, const float *target, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)pred[i] - target[i];
        s += d * d;
    }
    *loss = (float)(s / (double)n);
}

void mse_loss_backward(float *dpred, const float *pred, const float *target, size_t n) {
    const float k = 2.0f / (float)n;
    for (size_t i = 0; i < n; i++) dpred[i] += k * (pred[i] - target[i]);
}

// WGAN-GP: loss = lambda * mean over n of (||grad_n|| - 1)^2, grad (N, D) the
// critic's input gradient per sample; dgrad += d loss / d grad
// = lambda / N * 2 (||g|| - 1) g / ||g||, and 0 for a zero gradient (the
// subgradient PyTorch's norm takes there).
void grad_penalty(float *loss, float *dgrad, const float *grad, int N, size_t D, float lambda) {
    double total = 0.0;
    for (int n = 0; n < N; n++) {
        const float *g = grad + (size_t)n * D;
        double sq = 0.0;
        for (size_t i = 0; i < D; i++) sq += (double)g[i] * g[i];
        const double norm = sqrt(sq);
        total += (norm - 1.0) * (norm - 1.0);
        if (dgrad && norm > 0.0) {
            const float k = (float)(lambda * 2.0 * (norm - 1.0) / (norm * N));
            float *d = dgrad + (size_t)n * D;
            for (size_t i = 0; i < D; i++) d[i] += k * g[i];
        }
    }
    *loss = (float)(lambda * total / N);
}
