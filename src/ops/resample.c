// resample.c: reference pixel shuffle (depth-to-space), nearest-neighbour and
// bicubic upsampling. The index maps' backward passes gather, so each input
// gradient is summed by one thread; bicubic's runs one plane per thread.
#include <math.h>
#include <stdlib.h>

#include "ops/ops.h"
#include "util/util.h"

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

// Keys' cubic convolution kernel with a = -0.5.
static double keys(double x) {
    x = fabs(x);
    if (x <= 1) return (1.5 * x - 2.5) * x * x + 1;
    if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
    return 0;
}

void bicubic_taps(int o, int n, int on, int idx[4], double wt[4]) {
    const double u = (o + 0.5) * n / on - 0.5;
    const int i0 = (int)floor(u);
    for (int k = 0; k < 4; k++) {
        const int i = i0 - 1 + k;
        idx[k] = i < 0 ? 0 : i >= n ? n - 1 : i;
        wt[k] = keys(u - i);
    }
}

// The taps of every output position along an axis of n enlarged to on:
// idx, wt (on, 4), the weights rounded to float.
static void taps_table(int n, int on, int *idx, float *wt) {
    double w[4];
    for (int o = 0; o < on; o++) {
        bicubic_taps(o, n, on, idx + 4 * o, w);
        for (int k = 0; k < 4; k++) wt[4 * o + k] = (float)w[k];
    }
}

// The taps of both axes of an H x W plane enlarged s times: ix, wx (W s, 4)
// and iy, wy (H s, 4), in two blocks (free ix and wx).
typedef struct {
    int *ix, *iy;
    float *wx, *wy;
} Taps;

static Taps plane_taps(int H, int W, int s) {
    Taps t;
    t.ix = fk_malloc((size_t)4 * (W + H) * s * sizeof(int)), t.iy = t.ix + 4 * W * s;
    t.wx = fk_malloc((size_t)4 * (W + H) * s * sizeof(float)), t.wy = t.wx + 4 * W * s;
    taps_table(W, W * s, t.ix, t.wx);
    taps_table(H, H * s, t.iy, t.wy);
    return t;
}

// Separable: rows first into t (H, OW), then columns; one plane per thread.
void upsample_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    const int OH = H * s, OW = W * s;
    const Taps tp = plane_taps(H, W, s);
    const int *ix = tp.ix, *iy = tp.iy;
    const float *wx = tp.wx, *wy = tp.wy;
    float *tmp = fk_malloc((size_t)N * C * H * OW * sizeof(float));
    // rows, then columns; threaded by row (a batch of one RGB image has only three planes)
#pragma omp parallel for collapse(2) schedule(static)
    for (int p = 0; p < N * C; p++)
        for (int h = 0; h < H; h++) {
            const float *r = inp + ((size_t)p * H + h) * W;
            float *t = tmp + ((size_t)p * H + h) * OW;
            for (int ow = 0; ow < OW; ow++) {
                const int *i = ix + 4 * ow;
                const float *w = wx + 4 * ow;
                t[ow] = w[0] * r[i[0]] + w[1] * r[i[1]] + w[2] * r[i[2]] + w[3] * r[i[3]];
            }
        }
#pragma omp parallel for collapse(2) schedule(static)
    for (int p = 0; p < N * C; p++)
        for (int oh = 0; oh < OH; oh++) {
            const float *t = tmp + (size_t)p * H * OW;
            const int *i = iy + 4 * oh;
            const float *w = wy + 4 * oh;
            const float *r0 = t + (size_t)i[0] * OW, *r1 = t + (size_t)i[1] * OW, *r2 = t + (size_t)i[2] * OW,
                        *r3 = t + (size_t)i[3] * OW;
            float *ro = out + ((size_t)p * OH + oh) * OW;
            for (int ow = 0; ow < OW; ow++) ro[ow] = w[0] * r0[ow] + w[1] * r1[ow] + w[2] * r2[ow] + w[3] * r3[ow];
        }
    free(tmp), free(tp.ix), free(tp.wx);
}

// The transpose of the forward: columns into dt (H, OW), then rows.
void upsample_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    const int OH = H * s, OW = W * s;
    const Taps tp = plane_taps(H, W, s);
    const int *ix = tp.ix, *iy = tp.iy;
    const float *wx = tp.wx, *wy = tp.wy;
    float *tmp = fk_calloc((size_t)N * C * H * OW, sizeof(float));
#pragma omp parallel for schedule(static)
    for (int p = 0; p < N * C; p++) {
        const float *g = dout + (size_t)p * OH * OW;
        float *dt = tmp + (size_t)p * H * OW, *dx = dinp + (size_t)p * H * W;
        for (int oh = 0; oh < OH; oh++)
            for (int k = 0; k < 4; k++) {
                const float w = wy[4 * oh + k];
                float *r = dt + (size_t)iy[4 * oh + k] * OW;
                const float *gr = g + (size_t)oh * OW;
                for (int ow = 0; ow < OW; ow++) r[ow] += w * gr[ow];
            }
        for (int h = 0; h < H; h++)
            for (int ow = 0; ow < OW; ow++)
                for (int k = 0; k < 4; k++) dx[(size_t)h * W + ix[4 * ow + k]] += wx[4 * ow + k] * dt[(size_t)h * OW + ow];
    }
    free(tmp), free(tp.ix), free(tp.wx);
}
