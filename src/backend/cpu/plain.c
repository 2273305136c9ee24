// plain.c: pixel shuffle between the layouts, and the CPU backend's ops that
// have no blocked kernel yet (layer norm, upsampling): for those a blocked
// tensor is copied to plain NCHW in a scratch buffer kept by the backend
// (cpu_scratch: nothing is allocated per call), the reference op runs, and
// the result is copied back. Plain tensors go straight to the reference.
#include <stddef.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"

// x (blocked) as plain NCHW in scratch slot `slot`.
static float *plain_copy(int slot, const float *x, int N, int C, int HW) {
    float *p = cpu_scratch(slot, (size_t)N * C * HW);
    cpu_blocked_to_plain(p, x, N, C, HW, 0);
    return p;
}

// A zeroed plain gradient in slot `slot` when `want` is wanted, else NULL.
static float *plain_zeros(int slot, const float *want, size_t n) { return want ? cpu_scratch_zero(slot, n) : NULL; }

void cpu_layernorm_forward(float *out, float *save_mean, float *save_rstd, const float *inp, const float *gamma,
                           const float *beta, int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_forward(out, save_mean, save_rstd, inp, gamma, beta, N, C, HW, eps);
        return;
    }
    float *x = plain_copy(0, inp, N, C, HW), *y = cpu_scratch(1, (size_t)N * C * HW);
    layernorm_forward(y, save_mean, save_rstd, x, gamma, beta, N, C, HW, eps);
    cpu_plain_to_blocked(out, y, N, C, HW, 0);
}

void cpu_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                            const float *save_mean, const float *save_rstd, const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_backward(dinp, dgamma, dbeta, dout, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    float *x = plain_copy(0, inp, N, C, HW), *dy = plain_copy(1, dout, N, C, HW);
    float *dx = plain_zeros(2, dinp, (size_t)N * C * HW);
    layernorm_backward(dx, dgamma, dbeta, dy, x, save_mean, save_rstd, gamma, N, C, HW);
    if (dinp) cpu_plain_to_blocked(dinp, dx, N, C, HW, 1);
}

void cpu_layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                       const float *save_rstd, const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_jvp(out_t, inp_t, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    float *x = plain_copy(0, inp, N, C, HW), *t = plain_copy(1, inp_t, N, C, HW);
    float *y = cpu_scratch(2, (size_t)N * C * HW);
    layernorm_jvp(y, t, x, save_mean, save_rstd, gamma, N, C, HW);
    cpu_plain_to_blocked(out_t, y, N, C, HW, 0);
}

void cpu_layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                                const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                                const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        layernorm_jvp_backward(dinp, dgamma, dbeta, dout, dout_t, inp, inp_t, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    float *x = plain_copy(0, inp, N, C, HW), *t = plain_copy(1, inp_t, N, C, HW);
    float *dyt = plain_copy(2, dout_t, N, C, HW), *dy = dout ? plain_copy(3, dout, N, C, HW) : NULL;
    float *dx = plain_zeros(4, dinp, (size_t)N * C * HW);
    layernorm_jvp_backward(dx, dgamma, dbeta, dy, dyt, x, t, save_mean, save_rstd, gamma, N, C, HW);
    if (dinp) cpu_plain_to_blocked(dinp, dx, N, C, HW, 1);
}

// Nearest and bicubic upsampling share the reference signature
// op(out, inp, N, C, H, W, s): (N, C, H, W) -> (N, C, H s, W s).
typedef void (*UpsampleFn)(float *, const float *, int, int, int, int, int);

static void resample_forward(UpsampleFn op, float *out, const float *inp, int N, int C, int H, int W, int r) {
    const int bi = cpu_blocked(C, H, W), bo = cpu_blocked(C, H * r, W * r);
    if (!bi && !bo) {
        op(out, inp, N, C, H, W, r);
        return;
    }
    const float *x = bi ? plain_copy(0, inp, N, C, H * W) : inp;
    float *y = bo ? cpu_scratch(1, (size_t)N * C * H * W * r * r) : out;
    op(y, x, N, C, H, W, r);
    if (bo) cpu_plain_to_blocked(out, y, N, C, H * W * r * r, 0);
}

static void resample_backward(UpsampleFn op, float *dinp, const float *dout, int N, int C, int H, int W, int r) {
    const int bi = cpu_blocked(C, H, W), bo = cpu_blocked(C, H * r, W * r);
    if (!bi && !bo) {
        op(dinp, dout, N, C, H, W, r);
        return;
    }
    const float *dy = bo ? plain_copy(0, dout, N, C, H * W * r * r) : dout;
    float *dx = bi ? cpu_scratch_zero(1, (size_t)N * C * H * W) : dinp;
    op(dx, dy, N, C, H, W, r);
    if (bi) cpu_plain_to_blocked(dinp, dx, N, C, H * W, 1);
}

// Pixel shuffle straight between the layouts (either side blocked or plain):
// out (N, C, H r, W r)[c, h r + i, w r + j] = inp (N, C r r, H, W)[c r r + i r + j, h, w].
// Each value is moved (or, backward, added) once, as the reference does, so
// the bits are the reference's. `back`: dinp += the gather of dout.
static void shuffle_blocked(float *x, float *y, int N, int C, int H, int W, int r, int back) {
    const int IC = C * r * r, OH = H * r, OW = W * r;
    const int Bi = cpu_blocked(IC, H, W) ? BLK : 1, Bo = cpu_blocked(C, OH, OW) ? BLK : 1;
    const size_t HW = (size_t)H * W, OHW = (size_t)OH * OW;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            float *yc = y + (((size_t)n * (C / Bo) + c / Bo) * OHW) * Bo + c % Bo;
            for (int oh = 0; oh < OH; oh++) {
                const int h = oh / r, i = oh % r;
                for (int j = 0; j < r; j++) {
                    const int ic = c * r * r + i * r + j;
                    float *xc = x + (((size_t)n * (IC / Bi) + ic / Bi) * HW + (size_t)h * W) * Bi + ic % Bi;
                    float *yr = yc + ((size_t)oh * OW + j) * Bo;
                    if (back)
                        for (int w = 0; w < W; w++) xc[(size_t)w * Bi] += yr[(size_t)w * r * Bo];
                    else
                        for (int w = 0; w < W; w++) yr[(size_t)w * r * Bo] = xc[(size_t)w * Bi];
                }
            }
        }
}

void cpu_pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r) {
    if (!cpu_blocked(C * r * r, H, W) && !cpu_blocked(C, H * r, W * r)) {
        pixel_shuffle_forward(out, inp, N, C, H, W, r);
        return;
    }
    shuffle_blocked((float *)inp, out, N, C, H, W, r, 0);
}
void cpu_pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r) {
    if (!cpu_blocked(C * r * r, H, W) && !cpu_blocked(C, H * r, W * r)) {
        pixel_shuffle_backward(dinp, dout, N, C, H, W, r);
        return;
    }
    shuffle_blocked(dinp, (float *)dout, N, C, H, W, r, 1);
}
void cpu_upsample_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    resample_forward(upsample_nearest_forward, out, inp, N, C, H, W, s);
}
void cpu_upsample_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    resample_backward(upsample_nearest_backward, dinp, dout, N, C, H, W, s);
}
void cpu_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    resample_forward(upsample_bicubic_forward, out, inp, N, C, H, W, s);
}
void cpu_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    resample_backward(upsample_bicubic_backward, dinp, dout, N, C, H, W, s);
}
