// augment.cu: differentiable augmentation (DiffAugment) as ops/augment.c
// defines it: one block per sample, its sums in double over the block in a
// fixed order, then every pixel from its source pixel.
#include "backend/cuda/cuda.h"

extern "C" {
#include "ops/ops.h"
}

enum { AUG_MAX_C = 4 };  // image channels: grey, RGB, RGBA (checked on the host)

// As aug_source in ops/augment.c: whether output pixel (h, w) keeps a value,
// and the source pixel it comes from.
__device__ __forceinline__ int aug_source(const float *q, int H, int W, int h, int w, int *sh, int *sw) {
    const int dx = (int)q[AUG_DX], dy = (int)q[AUG_DY];
    const int cx = (int)q[AUG_CUT_X], cy = (int)q[AUG_CUT_Y], cut = (int)q[AUG_CUT];
    if (cut > 0 && w >= cx && w < cx + cut && h >= cy && h < cy + cut) return 0;
    *sh = h - dy, *sw = w - dx;
    return *sh >= 0 && *sh < H && *sw >= 0 && *sw < W;
}

__device__ __forceinline__ float aug_bright(float *x1, const float *x, int C, size_t HW, float b) {
    double m = 0.0;
    for (int c = 0; c < C; c++) x1[c] = x[(size_t)c * HW] + b, m += x1[c];
    return (float)(m / C);
}

__global__ static void k_augment_forward(float *out, const float *inp, const float *params, int C, int H, int W) {
    __shared__ double sh[CU_THREADS];
    const size_t HW = (size_t)H * W, img = (size_t)C * HW;
    const float *q = params + (size_t)blockIdx.x * AUG_PARAMS, *x = inp + blockIdx.x * img;
    const float b = q[AUG_BRIGHT], s = q[AUG_SAT], k = q[AUG_CONTRAST];
    float x1[AUG_MAX_C];
    double part = 0.0;
    for (size_t p = threadIdx.x; p < HW; p += CU_THREADS) {
        const float m1 = aug_bright(x1, x + p, C, HW, b);
        for (int c = 0; c < C; c++) part += (x1[c] - m1) * s + m1;
    }
    const float m2 = (float)(cu_block_sum(part, sh) / (double)img);
    float *y = out + blockIdx.x * img;
    for (size_t o = threadIdx.x; o < HW; o += CU_THREADS) {
        int sh_, sw;
        if (!aug_source(q, H, W, (int)(o / W), (int)(o % W), &sh_, &sw)) {
            for (int c = 0; c < C; c++) y[c * HW + o] = 0.0f;
            continue;
        }
        const float m1 = aug_bright(x1, x + (size_t)sh_ * W + sw, C, HW, b);
        for (int c = 0; c < C; c++) y[c * HW + o] = (((x1[c] - m1) * s + m1) - m2) * k + m2;
    }
}

__global__ static void k_augment_backward(float *dinp, const float *dout, const float *params, int C, int H, int W) {
    __shared__ double sh[CU_THREADS];
    const size_t HW = (size_t)H * W, img = (size_t)C * HW;
    const float *q = params + (size_t)blockIdx.x * AUG_PARAMS, *dy = dout + blockIdx.x * img;
    const float s = q[AUG_SAT], k = q[AUG_CONTRAST];
    const int dx = (int)q[AUG_DX], dyy = (int)q[AUG_DY];
    double part = 0.0;
    for (size_t o = threadIdx.x; o < HW; o += CU_THREADS) {
        int th, tw;
        if (!aug_source(q, H, W, (int)(o / W), (int)(o % W), &th, &tw)) continue;
        for (int c = 0; c < C; c++) part += dy[c * HW + o];
    }
    const float g3mean = (float)(cu_block_sum(part, sh) / (double)img);
    float *dx_ = dinp + blockIdx.x * img;
    float g2[AUG_MAX_C];
    for (size_t o = threadIdx.x; o < HW; o += CU_THREADS) {
        const int h = (int)(o / W) + dyy, w = (int)(o % W) + dx;
        int th, tw;
        const int kept = h >= 0 && h < H && w >= 0 && w < W && aug_source(q, H, W, h, w, &th, &tw);
        double gsum = 0.0;
        for (int c = 0; c < C; c++) {
            const float g3 = kept ? dy[c * HW + (size_t)h * W + w] : 0.0f;
            g2[c] = g3 * k + (1.0f - k) * g3mean;
            gsum += g2[c];
        }
        const float g2mean = (float)(gsum / C);
        for (int c = 0; c < C; c++) dx_[c * HW + o] += g2[c] * s + (1.0f - s) * g2mean;
    }
}

void cu_augment_forward(float *out, const float *inp, const float *params, int N, int C, int H, int W) {
    FK_CHECK(C >= 1 && C <= AUG_MAX_C, "augment: %d channels (images have 1 to %d)", C, (int)AUG_MAX_C);
    if (N == 0) return;
    k_augment_forward<<<N, CU_THREADS, 0, cu_stream>>>(out, inp, params, C, H, W);
    CU_LAUNCHED();
}

void cu_augment_backward(float *dinp, const float *dout, const float *params, int N, int C, int H, int W) {
    FK_CHECK(C >= 1 && C <= AUG_MAX_C, "augment: %d channels (images have 1 to %d)", C, (int)AUG_MAX_C);
    if (N == 0) return;
    k_augment_backward<<<N, CU_THREADS, 0, cu_stream>>>(dinp, dout, params, C, H, W);
    CU_LAUNCHED();
}
