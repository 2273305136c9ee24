// augment.c: reference differentiable augmentation (DiffAugment): colour
// (brightness, saturation, contrast), translation with zero fill and cutout,
// one parameter row per sample (ops/ops.h), forward and exact backward.
#include "ops/ops.h"
#include "util/util.h"

enum { AUG_MAX_C = 4 };  // image channels: grey, RGB, RGBA

// Whether output pixel (h, w) of a sample with parameters q keeps a value:
// inside the image after the shift and outside the cut square. *sh, *sw: the
// source pixel it comes from.
static int aug_source(const float *q, int H, int W, int h, int w, int *sh, int *sw) {
    const int dx = (int)q[AUG_DX], dy = (int)q[AUG_DY];
    const int cx = (int)q[AUG_CUT_X], cy = (int)q[AUG_CUT_Y], cut = (int)q[AUG_CUT];
    if (cut > 0 && w >= cx && w < cx + cut && h >= cy && h < cy + cut) return 0;
    *sh = h - dy, *sw = w - dx;
    return *sh >= 0 && *sh < H && *sw >= 0 && *sw < W;
}

// x1 = x + b at the pixel's C values (stride HW), and m1, their mean.
static float aug_bright(float *x1, const float *x, int C, size_t HW, float b) {
    double m = 0.0;
    for (int c = 0; c < C; c++) x1[c] = x[(size_t)c * HW] + b, m += x1[c];
    return (float)(m / C);
}

void augment_forward(float *out, const float *inp, const float *params, int N, int C, int H, int W) {
    FK_CHECK(C >= 1 && C <= AUG_MAX_C, "augment: %d channels (images have 1 to %d)", C, AUG_MAX_C);
    const size_t HW = (size_t)H * W, img = (size_t)C * HW;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *q = params + (size_t)n * AUG_PARAMS, *x = inp + n * img;
        const float b = q[AUG_BRIGHT], s = q[AUG_SAT], k = q[AUG_CONTRAST];
        float x1[AUG_MAX_C];  // one pixel's channels
        double sum = 0.0;  // m2: the sample's mean after saturation
        for (size_t p = 0; p < HW; p++) {
            const float m1 = aug_bright(x1, x + p, C, HW, b);
            for (int c = 0; c < C; c++) sum += (x1[c] - m1) * s + m1;
        }
        const float m2 = (float)(sum / (double)img);
        float *y = out + n * img;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                int sh, sw;
                const size_t o = (size_t)h * W + w;
                if (!aug_source(q, H, W, h, w, &sh, &sw)) {
                    for (int c = 0; c < C; c++) y[c * HW + o] = 0.0f;
                    continue;
                }
                const float m1 = aug_bright(x1, x + (size_t)sh * W + sw, C, HW, b);
                for (int c = 0; c < C; c++) y[c * HW + o] = (((x1[c] - m1) * s + m1) - m2) * k + m2;
            }
    }
}

void augment_backward(float *dinp, const float *dout, const float *params, int N, int C, int H, int W) {
    FK_CHECK(C >= 1 && C <= AUG_MAX_C, "augment: %d channels (images have 1 to %d)", C, AUG_MAX_C);
    const size_t HW = (size_t)H * W, img = (size_t)C * HW;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *q = params + (size_t)n * AUG_PARAMS, *dy = dout + n * img;
        const float s = q[AUG_SAT], k = q[AUG_CONTRAST];
        const int dx = (int)q[AUG_DX], dyy = (int)q[AUG_DY];
        // g3 (the gradient at x3) is dout at the pixel each source pixel went
        // to, where it was kept; G3 its sum over the sample
        double sum = 0.0;
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                int sh, sw;
                if (!aug_source(q, H, W, h, w, &sh, &sw)) continue;
                for (int c = 0; c < C; c++) sum += dy[c * HW + (size_t)h * W + w];
            }
        const float g3mean = (float)(sum / (double)img);
        float *dx_ = dinp + n * img;
        float g2[AUG_MAX_C];
        for (int sh = 0; sh < H; sh++)
            for (int sw = 0; sw < W; sw++) {
                const int h = sh + dyy, w = sw + dx;
                int th, tw;
                const int kept = h >= 0 && h < H && w >= 0 && w < W && aug_source(q, H, W, h, w, &th, &tw);
                double gsum = 0.0;
                for (int c = 0; c < C; c++) {
                    const float g3 = kept ? dy[c * HW + (size_t)h * W + w] : 0.0f;
                    g2[c] = g3 * k + (1.0f - k) * g3mean;  // contrast: x3 = k x2 + (1 - k) m2
                    gsum += g2[c];
                }
                const float g2mean = (float)(gsum / C);
                const size_t o = (size_t)sh * W + sw;
                for (int c = 0; c < C; c++) dx_[c * HW + o] += g2[c] * s + (1.0f - s) * g2mean;  // saturation
            }
    }
}
