// elementwise.c: reference element-wise add (residual connections) and the
// mean over the batch (the critic's output in the original WGAN).
#include "ops/ops.h"

void add_forward(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void add_backward(float *da, float *db, const float *dout, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}

// inp (N, D) -> out (D)
void mean_batch_forward(float *out, const float *inp, int N, int D) {
#pragma omp parallel for schedule(static)
    for (int d = 0; d < D; d++) {
        double s = 0.0;
        for (int n = 0; n < N; n++) s += inp[(size_t)n * D + d];
        out[d] = (float)(s / N);
    }
}

void mean_batch_backward(float *dinp, const float *dout, int N, int D) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++) dinp[(size_t)n * D + d] += dout[d] / (float)N;
}
