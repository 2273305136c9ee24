// blocked.c: the CPU backend's blocked activation layout (nChw8c / nChw16c):
// conversion at a network's edges, and batch normalisation (with its ReLU /
// LeakyReLU fused) computed on it.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu/cpu.h"
#include "ops/ops.h"
#include "util/util.h"

int cpu_blocked(int C, int H, int W) { return C % cpu_block_size() == 0 && (size_t)H * W > 1; }

// ---------------------------------------------------------------------------
// layout conversion

// plain (N, C, HW) <-> blocked (N, C/B, HW, B); `acc` adds instead of writing.
void cpu_blocked_to_plain(float *dst, const float *src, int N, int C, int HW, int acc) {
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const float *s = src + (((size_t)n * CB + c / BLK) * HW) * BLK + c % BLK;
            float *d = dst + ((size_t)n * C + c) * HW;
            if (acc)
                for (int i = 0; i < HW; i++) d[i] += s[(size_t)i * BLK];
            else
                for (int i = 0; i < HW; i++) d[i] = s[(size_t)i * BLK];
        }
}

void cpu_plain_to_blocked(float *dst, const float *src, int N, int C, int HW, int acc) {
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            float *d = dst + ((size_t)n * CB + cb) * HW * BLK;
            const float *s = src + ((size_t)n * C + (size_t)cb * BLK) * HW;
            for (int i = 0; i < HW; i++)
                for (int l = 0; l < BLK; l++) {
                    float v = s[(size_t)l * HW + i];
                    d[(size_t)i * BLK + l] = acc ? d[(size_t)i * BLK + l] + v : v;
                }
        }
}

// Layout conversion at a network's edge: `blocked` when the shape is
// blocked, else a plain copy (or sum with acc).
static void convert(float *dst, const float *src, int N, int C, int H, int W, int acc,
                    void (*blocked)(float *, const float *, int, int, int, int)) {
    const size_t n = (size_t)N * C * H * W;
    if (cpu_blocked(C, H, W)) {
        blocked(dst, src, N, C, H * W, acc);
    } else if (acc) {
        for (size_t i = 0; i < n; i++) dst[i] += src[i];
    } else if (n) {
        memcpy(dst, src, n * sizeof(float));
    }
}

void cpu_to_native(float *dst, const float *src, int N, int C, int H, int W, int acc) {
    convert(dst, src, N, C, H, W, acc, cpu_plain_to_blocked);
}

void cpu_to_plain(float *dst, const float *src, int N, int C, int H, int W, int acc) {
    convert(dst, src, N, C, H, W, acc, cpu_blocked_to_plain);
}


// ---------------------------------------------------------------------------
// batch normalisation on the blocked layout: one thread owns a block of B
// channels and sums it in double, in the reference's order per channel, so
// results match the reference to rounding and never depend on thread count.

// The kernels below take the block B as a parameter and are always inlined
// with a constant (BY_BLOCK), so their lane loops compile to whole vectors.
#define INLINE static inline __attribute__((always_inline))
#define BY_BLOCK(call_with_B)                                                                                      \
    do {                                                                                                           \
        if (BLK == 16) {                                                                                           \
            enum { B = 16 };                                                                                       \
            call_with_B;                                                                                           \
        } else {                                                                                                   \
            enum { B = 8 };                                                                                        \
            call_with_B;                                                                                           \
        }                                                                                                          \
    } while (0)

INLINE void bn_stats_blocked(double *mean, double *var, const float *x, int N, int CB, int cb, int HW, const int B) {
    double s[MAX_BLK] = {0}, q[MAX_BLK] = {0};
    for (int n = 0; n < N; n++) {
        const float *p = x + ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) s[l] += p[(size_t)i * B + l];
    }
    const double M = (double)N * HW;
    for (int l = 0; l < B; l++) mean[l] = s[l] / M;
    for (int n = 0; n < N; n++) {
        const float *p = x + ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) {
                double d = p[(size_t)i * B + l] - mean[l];
                q[l] += d * d;
            }
    }
    for (int l = 0; l < B; l++) var[l] = q[l] / M;
}

// out = act((x - t) * k * gamma + beta) over one block of B channels; s is
// the slope of the activation after it (1: none; y * 1 is y, branch-free).
INLINE void bn_normalise_block(float *out, const float *inp, const float *k, const float *t, const float *gamma,
                               const float *beta, int N, int CB, int cb, int HW, float s, const int B) {
    const float *g = gamma + cb * B, *b = beta + cb * B;
    for (int n = 0; n < N; n++) {
        const float *p = inp + ((size_t)n * CB + cb) * HW * B;
        float *o = out + ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) {
                // the reference computes ((x - m) * rstd) * gamma + beta; keep its rounding
                const float y = (p[(size_t)i * B + l] - t[l]) * k[l] * g[l] + b[l], ys = y * s;
                o[(size_t)i * B + l] = y > 0.0f ? y : ys;
            }
    }
}

// Channel c's batch mean and biased variance (over M values) into the saved
// statistics (and k, t for bn_normalise_block) and the running ones.
INLINE void bn_keep_stats(float *k, float *t, float *save_mean, float *save_rstd, float *running_mean,
                          float *running_var, int c, double mean, double var, double M, float eps, float momentum) {
    const float rstd = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
    *k = rstd, *t = m;
    save_mean[c] = m, save_rstd[c] = rstd;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)(var * M / (M - 1));
}

// One block of B channels of batch norm in training mode; s as bn_normalise_block.
INLINE void bn_forward_block(float *out, float *save_mean, float *save_rstd, float *running_mean,
                             float *running_var, const float *inp, const float *gamma, const float *beta, int N,
                             int CB, int cb, int HW, float eps, float momentum, float s, const int B) {
    double mean[MAX_BLK], var[MAX_BLK];
    float k[MAX_BLK], t[MAX_BLK];
    bn_stats_blocked(mean, var, inp, N, CB, cb, HW, B);
    for (int l = 0; l < B; l++)
        bn_keep_stats(&k[l], &t[l], save_mean, save_rstd, running_mean, running_var, cb * B + l, mean[l], var[l],
                      (double)N * HW, eps, momentum);
    bn_normalise_block(out, inp, k, t, gamma, beta, N, CB, cb, HW, s, B);
}

// act 0: batch norm alone; 1: followed by y > 0 ? y : slope * y (ReLU when slope = 0)
static void bn_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean, float *running_var,
                             const float *inp, const float *gamma, const float *beta, int N, int C, int HW, float eps,
                             float momentum, int act, float slope) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW,
                                eps, momentum);
        if (act) cpu_lrelu_forward(out, out, (size_t)N * C * HW, slope);
        return;
    }
    const size_t M = (size_t)N * HW;
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (N=%d, HW=%d)", N, HW);
    const int CB = C / BLK;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++)
        BY_BLOCK(bn_forward_block(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, CB, cb,
                                  HW, eps, momentum, act ? slope : 1.0f, B));
}

void cpu_batchnorm_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                        float *running_var, const float *inp, const float *gamma, const float *beta,
                                        int N, int C, int HW, float eps, float momentum) {
    bn_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW, eps, momentum,
                     0, 0.0f);
}

void cpu_batchnorm_act_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                            float *running_var, const float *inp, const float *gamma,
                                            const float *beta, int N, int C, int HW, float eps, float momentum,
                                            float slope) {
    bn_forward_train(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, N, C, HW, eps, momentum,
                     1, slope);
}

// One block's sums of dy and dy * xhat, where dy = dout passed back through
// the activation: mask > 0 ? dout : s * dout (mask = inp, s = 1: none).
INLINE void bn_backward_sums_block(double *sdy, double *sdyx, const float *dout, const float *mask, float s,
                                   const float *inp, const float *m, const float *r, int N, int CB, int cb, int HW,
                                   const int B) {
    for (int l = 0; l < B; l++) sdy[l] = 0.0, sdyx[l] = 0.0;
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) {
                const float d = dout[base + (size_t)i * B + l], ds = d * s;
                const float dy = mask[base + (size_t)i * B + l] > 0.0f ? d : ds;
                const float xhat = (inp[base + (size_t)i * B + l] - m[l]) * r[l];
                sdy[l] += dy;
                sdyx[l] += (double)dy * xhat;
            }
    }
}

// dinp += k (dy - mdy - xhat mdyx) over one block (train), or k dy
// (evaluation); acc 0 writes it (backend.h: g + 0, the bits of adding to zeros).
INLINE void bn_backward_dx_block(float *dinp, const float *dout, const float *mask, float s, const float *inp,
                                 const float *m, const float *r, const float *k, const float *mdy,
                                 const float *mdyx, int N, int CB, int cb, int HW, int train, const int acc,
                                 const int B) {
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) {
                const size_t j = base + (size_t)i * B + l;
                const float xhat = (inp[j] - m[l]) * r[l];
                const float d = dout[j], ds = d * s;
                const float dy = mask[j] > 0.0f ? d : ds;
                const float g = train ? k[l] * (dy - mdy[l] - xhat * mdyx[l]) : k[l] * dy;
                dinp[j] = g + (acc ? dinp[j] : 0.0f);
            }
    }
}

// Shared by training and evaluation mode: in evaluation the statistics are
// the running ones and the mean terms of dx vanish (train = 1 keeps them).
// With `out` (the activation's output) the gradient first passes back
// through the activation: out > 0 ? dy : slope * dy.
INLINE void bn_backward_block(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *mask,
                              float s, const float *inp, const float *mean_c, const float *rstd_c,
                              const float *gamma, int N, int CB, int cb, int HW, int train, int acc,
                              const int B) {
    const double M = (double)N * HW;
    const float *m = mean_c + cb * B, *r = rstd_c + cb * B, *g = gamma + cb * B;
    double sdy[MAX_BLK], sdyx[MAX_BLK];
    bn_backward_sums_block(sdy, sdyx, dout, mask, s, inp, m, r, N, CB, cb, HW, B);
    for (int l = 0; l < B; l++) {
        if (dgamma) dgamma[cb * B + l] += (float)sdyx[l];
        if (dbeta) dbeta[cb * B + l] += (float)sdy[l];
    }
    if (!dinp) return;
    float k[MAX_BLK], mdy[MAX_BLK], mdyx[MAX_BLK];
    for (int l = 0; l < B; l++) {
        k[l] = g[l] * r[l];
        mdy[l] = train ? (float)(sdy[l] / M) : 0.0f;
        mdyx[l] = train ? (float)(sdyx[l] / M) : 0.0f;
    }
    if (acc)  // a constant in each copy: no read of dinp when it is written
        bn_backward_dx_block(dinp, dout, mask, s, inp, m, r, k, mdy, mdyx, N, CB, cb, HW, train, 1, B);
    else
        bn_backward_dx_block(dinp, dout, mask, s, inp, m, r, k, mdy, mdyx, N, CB, cb, HW, train, 0, B);
}

static void bn_backward_blocked(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                float slope, const float *inp, const float *mean_c, const float *rstd_c,
                                const float *gamma, int N, int C, int HW, int train, int acc) {
    const int CB = C / BLK;
    // without an activation the mask reads the input and scales by 1: branch-free
    const float *mask = out ? out : inp, s = out ? slope : 1.0f;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++)
        BY_BLOCK(bn_backward_block(dinp, dgamma, dbeta, dout, mask, s, inp, mean_c, rstd_c, gamma, N, CB, cb, HW,
                                   train, acc, B));
}

void cpu_batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                         const float *inp, const float *save_mean, const float *save_rstd,
                                         const float *gamma, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_train(dinp, dgamma, dbeta, dout, inp, save_mean, save_rstd, gamma, N, C, HW);
        return;
    }
    bn_backward_blocked(dinp, dgamma, dbeta, dout, NULL, 0.0f, inp, save_mean, save_rstd, gamma, N, C, HW, 1, 1);
}

static void eval_stats(float *rstd, const float *running_var, int C, float eps) {
    for (int c = 0; c < C; c++) rstd[c] = (float)(1.0 / sqrt((double)running_var[c] + eps));
}

void cpu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                                       const float *running_mean, const float *running_var,
                                       int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, N, C, HW, eps);
        return;
    }
    const int CB = C / BLK;
    float *rstd = cpu_scratch(CPU_SCRATCH_STATS, (size_t)C);
    eval_stats(rstd, running_var, C, eps);
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++) {
            const float *m = running_mean + cb * BLK, *r = rstd + cb * BLK, *g = gamma + cb * BLK, *b = beta + cb * BLK;
            const size_t base = ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const size_t j = base + (size_t)i * BLK + l;
                    out[j] = (inp[j] - m[l]) * r[l] * g[l] + b[l];
                }
        }
}

void cpu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                        const float *inp, const float *gamma, const float *running_mean,
                                        const float *running_var, int N, int C, int HW, float eps) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_eval(dinp, dgamma, dbeta, dout, inp, gamma, running_mean, running_var, N, C, HW, eps);
        return;
    }
    float *rstd = cpu_scratch(CPU_SCRATCH_STATS, (size_t)C);
    eval_stats(rstd, running_var, C, eps);
    bn_backward_blocked(dinp, dgamma, dbeta, dout, NULL, 0.0f, inp, running_mean, rstd, gamma, N, C, HW, 0, 1);
}

// Batch norm and its activation backward, from the activation's output.
// train 1: stats are the saved batch mean and rstd; 0: running mean and
// running variance (evaluation mode).
void cpu_batchnorm_act_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                       const float *inp, const float *mean, const float *rstd_or_var,
                                       const float *gamma, int N, int C, int HW, float eps, float slope, int train,
                                       int acc) {
    float *rstd = NULL;
    if (!train) {
        rstd = cpu_scratch(CPU_SCRATCH_STATS, (size_t)C);
        eval_stats(rstd, rstd_or_var, C, eps);
    }
    const float *r = train ? rstd_or_var : rstd;
    if (cpu_blocked(C, HW, 1)) {
        bn_backward_blocked(dinp, dgamma, dbeta, dout, out, slope, inp, mean, r, gamma, N, C, HW, train, acc);
    } else {  // plain: the activation's gradient, then the reference
        const size_t n = (size_t)N * C * HW;
        float *dy = cpu_scratch(0, n);
        cpu_lrelu_backward(dy, dout, out, n, slope, 0);
        if (dinp && !acc) memset(dinp, 0, n * sizeof(float));
        if (train)
            batchnorm_backward_train(dinp, dgamma, dbeta, dy, inp, mean, r, gamma, N, C, HW);
        else
            batchnorm_backward_eval(dinp, dgamma, dbeta, dy, inp, gamma, mean, rstd_or_var, N, C, HW, eps);
    }
}

// ---------------------------------------------------------------------------
// synchronised batch norm (ops/ops.h) on the blocked layout; plain shapes go to the reference

void cpu_batchnorm_stats(double *stats, const float *inp, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_stats(stats, inp, N, C, HW);
        return;
    }
    const int CB = C / BLK;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        double s[MAX_BLK] = {0}, q[MAX_BLK] = {0};
        for (int n = 0; n < N; n++) {
            const float *p = inp + ((size_t)n * CB + cb) * HW * BLK;
            for (int i = 0; i < HW; i++)
#pragma omp simd
                for (int l = 0; l < BLK; l++) {
                    const double x = p[(size_t)i * BLK + l];
                    s[l] += x, q[l] += x * x;
                }
        }
        for (int l = 0; l < BLK; l++) stats[cb * BLK + l] = s[l], stats[C + cb * BLK + l] = q[l];
    }
}

void cpu_batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                 float *running_var, const float *inp, const float *gamma, const float *beta,
                                 const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                                 int act, float slope) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_forward_stats(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, stats, M, N,
                                C, HW, eps, momentum, act, slope);
        return;
    }
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (M=%.0f)", M);
    const int CB = C / BLK;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        float k[MAX_BLK] = {0}, t[MAX_BLK] = {0};  // BLK of them are used
        for (int l = 0; l < BLK; l++) {
            const int c = cb * BLK + l;
            const double mean = stats[c] / M, v = stats[C + c] / M - mean * mean;
            bn_keep_stats(&k[l], &t[l], save_mean, save_rstd, running_mean, running_var, c, mean, v > 0.0 ? v : 0.0,
                          M, eps, momentum);
        }
        BY_BLOCK(bn_normalise_block(out, inp, k, t, gamma, beta, N, CB, cb, HW, act ? slope : 1.0f, B));
    }
}

void cpu_batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                                  float slope, const float *inp, const float *save_mean, const float *save_rstd,
                                  int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_stats(stats, dgamma, dbeta, dout, out, slope, inp, save_mean, save_rstd, N, C, HW);
        return;
    }
    const int CB = C / BLK;
    const float *mask = out ? out : inp, s = out ? slope : 1.0f;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        double sdy[MAX_BLK], sdyx[MAX_BLK];
        BY_BLOCK(bn_backward_sums_block(sdy, sdyx, dout, mask, s, inp, save_mean + cb * B, save_rstd + cb * B, N, CB,
                                        cb, HW, B));
        for (int l = 0; l < BLK; l++) {
            const int c = cb * BLK + l;
            stats[c] = sdy[l], stats[C + c] = sdyx[l];
            if (dgamma) dgamma[c] += (float)sdyx[l];
            if (dbeta) dbeta[c] += (float)sdy[l];
        }
    }
}

void cpu_batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                                  const float *save_mean, const float *save_rstd, const float *gamma,
                                  const double *stats, double M, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        batchnorm_backward_apply(dinp, dout, out, slope, inp, save_mean, save_rstd, gamma, stats, M, N, C, HW);
        return;
    }
    const int CB = C / BLK;
    const float *mask = out ? out : inp, s = out ? slope : 1.0f;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++) {
        float k[MAX_BLK] = {0}, mdy[MAX_BLK] = {0}, mdyx[MAX_BLK] = {0};
        for (int l = 0; l < BLK; l++) {
            const int c = cb * BLK + l;
            k[l] = gamma[c] * save_rstd[c];
            mdy[l] = (float)(stats[c] / M), mdyx[l] = (float)(stats[C + c] / M);
        }
        BY_BLOCK(bn_backward_dx_block(dinp, dout, mask, s, inp, save_mean + cb * B, save_rstd + cb * B, k, mdy, mdyx,
                                      N, CB, cb, HW, 1, 1, B));
    }
}

// ---------------------------------------------------------------------------
// PReLU on the blocked layout (the super-resolution net's activation): both
// sides of the select computed, so the lane loops are whole vectors (a
// branch per value mispredicts on activations of either sign).

INLINE void prelu_forward_block(float *out, const float *inp, const float *a, size_t base, int HW, const int B) {
    for (int i = 0; i < HW; i++)
#pragma omp simd
        for (int l = 0; l < B; l++) {
            const float v = inp[base + (size_t)i * B + l], av = a[l] * v;
            out[base + (size_t)i * B + l] = v > 0.0f ? v : av;
        }
}

void cpu_prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        prelu_forward(out, inp, a, N, C, HW);
        return;
    }
    const int CB = C / BLK;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int cb = 0; cb < CB; cb++)
            BY_BLOCK(prelu_forward_block(out, inp, a + cb * B, ((size_t)n * CB + cb) * HW * B, HW, B));
}

// One block of B channels: dinp += x > 0 ? dy : a dy, and each channel's
// sum of x dy over x <= 0 in double, in the reference's order (samples,
// then pixels), so da gets the reference's bits whatever the thread count.
// Adding 0.0 where x > 0 leaves the sum as it is (it starts at +0.0, so it
// is never -0.0).
INLINE void prelu_backward_block(float *dinp, float *da, const float *dout, const float *inp, const float *a, int N,
                                 int CB, int cb, int HW, const int B) {
    double s[MAX_BLK] = {0};
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * CB + cb) * HW * B;
        for (int i = 0; i < HW; i++)
#pragma omp simd
            for (int l = 0; l < B; l++) {
                const size_t j = base + (size_t)i * B + l;
                const float x = inp[j], dy = dout[j], ady = a[l] * dy;
                const double p = (double)x * dy;
                if (dinp) dinp[j] += x > 0.0f ? dy : ady;
                s[l] += x > 0.0f ? 0.0 : p;
            }
    }
    if (da)
        for (int l = 0; l < B; l++) da[l] += (float)s[l];
}

void cpu_prelu_backward(float *dinp, float *da, const float *dout, const float *inp, const float *a, int N, int C,
                        int HW) {
    if (!cpu_blocked(C, HW, 1)) {
        prelu_backward(dinp, da, dout, inp, a, N, C, HW);
        return;
    }
    const int CB = C / BLK;
#pragma omp parallel for schedule(static)
    for (int cb = 0; cb < CB; cb++)
        BY_BLOCK(prelu_backward_block(dinp, da ? da + cb * B : NULL, dout, inp, a + cb * B, N, CB, cb, HW, B));
}
