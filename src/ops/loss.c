// loss.c: reference losses. Each forward writes one float to *loss; each
// backward accumulates the gradient with respect to its prediction.
#include <math.h>

#include "../ops.h"

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
