// optim.cu: RMSprop, Adam and weight clipping, each one kernel over a
// network's whole contiguous parameter block (so every tensor of the network
// steps in one launch), as ops/optim.c: the same float arithmetic, the
// hyperparameters rounded from double on the host as PyTorch rounds them.
// Also the training loop's data path: images from the data set's bytes
// (uploaded once) and the gradient penalty's mix, as ops/elementwise.c.
#include <math.h>

#include "backend/cuda/cuda.h"

__global__ static void k_rmsprop(float *p, float *sq, const float *g, size_t n, float a, float one_minus_a,
                                 float neg_lr, float e) {
    CU_EACH(i, n) {
        const float s = sq[i] * a + one_minus_a * g[i] * g[i];
        sq[i] = s;
        p[i] = p[i] + neg_lr * g[i] / (sqrtf(s) + e);
    }
}

__global__ static void k_adam(float *p, float *m, float *v, const float *g, size_t n, float b1, float one_minus_b1,
                              float b2, float one_minus_b2, float neg_step, float c2, float e) {
    CU_EACH(i, n) {
        const float mi = m[i] * b1 + one_minus_b1 * g[i];
        const float vi = v[i] * b2 + one_minus_b2 * g[i] * g[i];
        m[i] = mi, v[i] = vi;
        p[i] = p[i] + neg_step * mi / (sqrtf(vi) / c2 + e);
    }
}

__global__ static void k_clip(float *p, size_t n, float c) {
    CU_EACH(i, n) p[i] = p[i] < -c ? -c : p[i] > c ? c : p[i];
}

void cu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps) {
    CU_LAUNCH(k_rmsprop, n, p, sq, g, n, (float)alpha, (float)(1.0 - alpha), (float)(-lr), (float)eps);
}

void cu_adam_step(float *p, float *m, float *v, const float *g, size_t n, double lr, double beta1, double beta2,
                  double eps, long t) {
    const double bc1 = 1.0 - pow(beta1, (double)t), bc2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    CU_LAUNCH(k_adam, n, p, m, v, g, n, (float)beta1, (float)(1.0 - beta1), (float)beta2, (float)(1.0 - beta2),
              (float)(-(lr / bc1)), (float)bc2_sqrt, (float)eps);
}

void cu_clip_weights(float *p, size_t n, float c) { CU_LAUNCH(k_clip, n, p, n, c); }

__global__ static void k_bytes(float *dst, const unsigned char *pixels, const unsigned *index, size_t img, size_t n) {
    CU_EACH(i, n) dst[i] = ((float)pixels[(size_t)index[i / img] * img + i % img] / 255.0f - 0.5f) / 0.5f;
}

__global__ static void k_lerp(float *out, const float *a, const float *b, const float *alpha, size_t img, size_t n) {
    CU_EACH(i, n) {
        const float t = alpha[i / img];
        out[i] = t * a[i] + (1.0f - t) * b[i];
    }
}

void cu_images_from_bytes(float *dst, const unsigned char *pixels, const unsigned *index, int n, size_t img) {
    const size_t total = (size_t)n * img;
    CU_LAUNCH(k_bytes, total, dst, pixels, index, img, total);
}

void cu_lerp(float *out, const float *a, const float *b, const float *alpha, int n, size_t img) {
    const size_t total = (size_t)n * img;
    CU_LAUNCH(k_lerp, total, out, a, b, alpha, img, total);
}
