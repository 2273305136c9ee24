// resample.c: reference pixel shuffle (depth-to-space) and nearest-neighbour
// upsampling. Both are pure index maps; their backward passes gather, so each
// input gradient is summed by one thread.
#include "../ops.h"

// inp (N, C*r*r, H, W) -> out (N, C, H*r, W*r)
void pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r) {
    const int OH = H * r, OW = W * r;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const int ic = c * r * r + (oh % r) * r + (ow % r);
                    out[(((size_t)n * C + c) * OH + oh) * OW + ow] =
                        inp[(((size_t)n * C * r * r + ic) * H + oh / r) * W + ow / r];
                }
}

void pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r) {
    const int OH = H * r, OW = W * r;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    const int ic = c * r * r + (oh % r) * r + (ow % r);
                    dinp[(((size_t)n * C * r * r + ic) * H + oh / r) * W + ow / r] +=
                        dout[(((size_t)n * C + c) * OH + oh) * OW + ow];
                }
}

// inp (N, C, H, W) -> out (N, C, H*s, W*s), out[.., oh, ow] = inp[.., oh/s, ow/s]
void upsample_nearest_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    const int OH = H * s, OW = W * s;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const float *x = inp + ((size_t)n * C + c) * H * W;
            float *o = out + ((size_t)n * C + c) * OH * OW;
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) o[(size_t)oh * OW + ow] = x[(size_t)(oh / s) * W + ow / s];
        }
}

void upsample_nearest_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    const int OH = H * s, OW = W * s;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            float *dx = dinp + ((size_t)n * C + c) * H * W;
            const float *g = dout + ((size_t)n * C + c) * OH * OW;
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    float acc = 0.0f;
                    for (int i = 0; i < s; i++)
                        for (int j = 0; j < s; j++) acc += g[(size_t)(h * s + i) * OW + w * s + j];
                    dx[(size_t)h * W + w] += acc;
                }
        }
}
