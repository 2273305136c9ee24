// elementwise.c: reference element-wise add (residual connections), the
// mean over the batch (the critic's output in the original WGAN) and the
// training loop's data path (images from bytes, the penalty's mix).
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

void images_from_bytes(float *dst, const unsigned char *pixels, const unsigned *index, int n, size_t img) {
#pragma omp parallel for schedule(static)
    for (int b = 0; b < n; b++) {
        const unsigned char *src = pixels + (size_t)index[b] * img;
        float *d = dst + (size_t)b * img;
        for (size_t i = 0; i < img; i++) d[i] = ((float)src[i] / 255.0f - 0.5f) / 0.5f;
    }
}

void lerp(float *out, const float *a, const float *b, const float *alpha, int n, size_t img) {
#pragma omp parallel for schedule(static)
    for (int s = 0; s < n; s++) {
        const float t = alpha[s];
        for (size_t i = 0; i < img; i++) {
            const size_t j = (size_t)s * img + i;
            out[j] = t * a[j] + (1.0f - t) * b[j];
        }
    }
}
