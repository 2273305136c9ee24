// norm.c: reference batch normalisation and layer normalisation.
//
// Statistics are summed in double. Batch norm normalises with the biased
// variance and keeps the unbiased one in running_var, exactly as PyTorch's
// BatchNorm2d in training mode.
#include <math.h>
#include <stdlib.h>

#include "ops/ops.h"
#include "util/util.h"

// ---------------------------------------------------------------------------
// Batch normalisation: one mean and variance per channel over (N, H, W).

// Channel c of training-mode batch norm, given the batch's mean and biased
// variance over its M values: this part's N samples normalised (then ReLU /
// LeakyReLU with `act`), the batch statistics saved, the running ones moved
// (with the unbiased variance).
static void bn_channel_forward(float *out, float *save_mean, float *save_rstd, float *running_mean,
                               float *running_var, const float *inp, const float *gamma, const float *beta, int c,
                               double mean, double var, double M, int N, int C, int HW, float eps, float momentum,
                               int act, float slope) {
    const float rstd = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
    for (int n = 0; n < N; n++) {
        const float *x = inp + ((size_t)n * C + c) * HW;
        float *o = out + ((size_t)n * C + c) * HW;
        for (int i = 0; i < HW; i++) {
            const float y = (x[i] - m) * rstd * gamma[c] + beta[c];
            o[i] = act && y <= 0.0f ? y * slope : y;
        }
    }
    save_mean[c] = m;
    save_rstd[c] = rstd;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * m;
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * (float)(var * M / (M - 1));
}

// The gradient reaching batch norm's output: dout, through the activation when `out` is given.
static inline float bn_dy(const float *dout, const float *out, float slope, size_t j) {
    return out && out[j] <= 0.0f ? dout[j] * slope : dout[j];
}

// Channel c's sums of dy and dy * xhat over N samples.
static void bn_channel_sums(double *sum_dy, double *sum_dy_xhat, const float *dout, const float *out, float slope,
                            const float *inp, float m, float rstd, int N, int C, int HW, int c) {
    double s = 0.0, sx = 0.0;
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * C + c) * HW;
        for (int i = 0; i < HW; i++) {
            const float dy = bn_dy(dout, out, slope, base + i);
            s += dy;
            sx += (double)dy * ((inp[base + i] - m) * rstd);
        }
    }
    *sum_dy = s, *sum_dy_xhat = sx;
}

// dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)) over channel c.
static void bn_channel_dx(float *dinp, const float *dout, const float *out, float slope, const float *inp, float m,
                          float rstd, float gamma, float mean_dy, float mean_dy_xhat, int N, int C, int HW, int c) {
    const float k = gamma * rstd;
    for (int n = 0; n < N; n++) {
        const size_t base = ((size_t)n * C + c) * HW;
        for (int i = 0; i < HW; i++) {
            const float xhat = (inp[base + i] - m) * rstd;
            dinp[base + i] += k * (bn_dy(dout, out, slope, base + i) - mean_dy - xhat * mean_dy_xhat);
        }
    }
}

void batchnorm_forward_train(float *out, float *save_mean, float *save_rstd,
                             float *running_mean, float *running_var,
                             const float *inp, const float *gamma, const float *beta,
                             int N, int C, int HW, float eps, float momentum) {
    const size_t M = (size_t)N * HW;  // values per channel
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (N=%d, HW=%d)", N, HW);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) sum += x[i];
        }
        const double mean = sum / (double)M;
        double sq = 0.0;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                double d = x[i] - mean;
                sq += d * d;
            }
        }
        const double var = sq / (double)M;  // biased: used to normalise
        bn_channel_forward(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, c, mean, var,
                           (double)M, N, C, HW, eps, momentum, 0, 0.0f);
    }
}

void batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                              const float *inp, const float *save_mean, const float *save_rstd,
                              const float *gamma, int N, int C, int HW) {
    const double M = (double)N * HW;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum_dy, sum_dy_xhat;
        bn_channel_sums(&sum_dy, &sum_dy_xhat, dout, NULL, 0.0f, inp, save_mean[c], save_rstd[c], N, C, HW, c);
        if (dgamma) dgamma[c] += (float)sum_dy_xhat;
        if (dbeta) dbeta[c] += (float)sum_dy;
        if (dinp)
            bn_channel_dx(dinp, dout, NULL, 0.0f, inp, save_mean[c], save_rstd[c], gamma[c], (float)(sum_dy / M),
                          (float)(sum_dy_xhat / M), N, C, HW, c);
    }
}

void batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var,
                            int N, int C, int HW, float eps) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++) {
            const float rstd = (float)(1.0 / sqrt((double)running_var[c] + eps));
            const float m = running_mean[c];
            const float *x = inp + ((size_t)n * C + c) * HW;
            float *o = out + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) o[i] = (x[i] - m) * rstd * gamma[c] + beta[c];
        }
    }
}

void batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *gamma,
                             const float *running_mean, const float *running_var,
                             int N, int C, int HW, float eps) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float rstd = (float)(1.0 / sqrt((double)running_var[c] + eps));
        const float m = running_mean[c];
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            const float *dy = dout + ((size_t)n * C + c) * HW;
            float *dx = dinp ? dinp + ((size_t)n * C + c) * HW : NULL;
            for (int i = 0; i < HW; i++) {
                sum_dy += dy[i];
                sum_dy_xhat += (double)dy[i] * ((x[i] - m) * rstd);
                if (dx) dx[i] += dy[i] * gamma[c] * rstd;
            }
        }
        if (dgamma) dgamma[c] += (float)sum_dy_xhat;
        if (dbeta) dbeta[c] += (float)sum_dy;
    }
}

// ---------------------------------------------------------------------------
// Synchronised batch norm: the two halves of each pass, the statistics
// summed over the parts in between (ops.h).

void batchnorm_stats(double *stats, const float *inp, int N, int C, int HW) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double s = 0.0, q = 0.0;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++) s += x[i], q += (double)x[i] * x[i];
        }
        stats[c] = s, stats[C + c] = q;
    }
}

void batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                             float *running_var, const float *inp, const float *gamma, const float *beta,
                             const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                             int act, float slope) {
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (M=%.0f)", M);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const double mean = stats[c] / M, v = stats[C + c] / M - mean * mean;  // never below zero
        bn_channel_forward(out, save_mean, save_rstd, running_mean, running_var, inp, gamma, beta, c, mean,
                           v > 0.0 ? v : 0.0, M, N, C, HW, eps, momentum, act, slope);
    }
}

void batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                              float slope, const float *inp, const float *save_mean, const float *save_rstd,
                              int N, int C, int HW) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        bn_channel_sums(&stats[c], &stats[C + c], dout, out, slope, inp, save_mean[c], save_rstd[c], N, C, HW, c);
        if (dgamma) dgamma[c] += (float)stats[C + c];
        if (dbeta) dbeta[c] += (float)stats[c];
    }
}

void batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                              const float *save_mean, const float *save_rstd, const float *gamma,
                              const double *stats, double M, int N, int C, int HW) {
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        bn_channel_dx(dinp, dout, out, slope, inp, save_mean[c], save_rstd[c], gamma[c], (float)(stats[c] / M),
                      (float)(stats[C + c] / M), N, C, HW, c);
}

// ---------------------------------------------------------------------------
// Layer normalisation: one mean and variance per sample over (C, H, W), then a
// per-channel scale and shift (the WGAN-GP critic's normalisation).

void layernorm_forward(float *out, float *save_mean, float *save_rstd,
                       const float *inp, const float *gamma, const float *beta,
                       int N, int C, int HW, float eps) {
    const size_t M = (size_t)C * HW;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * M;
        float *o = out + (size_t)n * M;
        double sum = 0.0;
        for (size_t i = 0; i < M; i++) sum += x[i];
        const double mean = sum / (double)M;
        double sq = 0.0;
        for (size_t i = 0; i < M; i++) {
            double d = x[i] - mean;
            sq += d * d;
        }
        const float rstd = (float)(1.0 / sqrt(sq / (double)M + eps));
        const float m = (float)mean;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++)
                o[(size_t)c * HW + i] = (x[(size_t)c * HW + i] - m) * rstd * gamma[c] + beta[c];
        save_mean[n] = m;
        save_rstd[n] = rstd;
    }
}

void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *inp, const float *save_mean, const float *save_rstd,
                        const float *gamma, int N, int C, int HW) {
    const size_t M = (size_t)C * HW;
    if (dinp) {
        // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma[c]
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * M;
            const float *dy = dout + (size_t)n * M;
            float *dx = dinp + (size_t)n * M;
            const float m = save_mean[n], rstd = save_rstd[n];
            double sum_g = 0.0, sum_g_xhat = 0.0;
            for (int c = 0; c < C; c++)
                for (int i = 0; i < HW; i++) {
                    const size_t j = (size_t)c * HW + i;
                    const double g = (double)dy[j] * gamma[c];
                    sum_g += g;
                    sum_g_xhat += g * ((x[j] - m) * rstd);
                }
            const float mean_g = (float)(sum_g / (double)M), mean_g_xhat = (float)(sum_g_xhat / (double)M);
            for (int c = 0; c < C; c++)
                for (int i = 0; i < HW; i++) {
                    const size_t j = (size_t)c * HW + i;
                    const float xhat = (x[j] - m) * rstd;
                    dx[j] += rstd * (dy[j] * gamma[c] - mean_g - xhat * mean_g_xhat);
                }
        }
    }
    if (dgamma || dbeta) {
#pragma omp parallel for schedule(static)
        for (int c = 0; c < C; c++) {
            double sg = 0.0, sb = 0.0;
            for (int n = 0; n < N; n++) {
                const float *x = inp + (size_t)n * M + (size_t)c * HW;
                const float *dy = dout + (size_t)n * M + (size_t)c * HW;
                const float m = save_mean[n], rstd = save_rstd[n];
                for (int i = 0; i < HW; i++) {
                    sg += (double)dy[i] * ((x[i] - m) * rstd);
                    sb += dy[i];
                }
            }
            if (dgamma) dgamma[c] += (float)sg;
            if (dbeta) dbeta[c] += (float)sb;
        }
    }
}

// ---------------------------------------------------------------------------
// Layer norm's tangent map and the reverse of (forward, tangent) together,
// for the gradient penalty (see ops.h). Per sample over M = C*HW values:
//   xhat = (x - mean) r,  r = 1 / sqrt(var + eps),
//   tangent  dxhat = r (dx - mean(dx) - xhat mean(xhat dx)),  dy = gamma dxhat.

void layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                   const float *save_rstd, const float *gamma, int N, int C, int HW) {
    const size_t M = (size_t)C * HW;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * M, *t = inp_t + (size_t)n * M;
        float *o = out_t + (size_t)n * M;
        const double m = save_mean[n], r = save_rstd[n];
        double st = 0.0, sxt = 0.0;
        for (size_t i = 0; i < M; i++) {
            st += t[i];
            sxt += (x[i] - m) * r * t[i];
        }
        const double mt = st / (double)M, mxt = sxt / (double)M;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++) {
                const size_t j = (size_t)c * HW + i;
                const double xhat = (x[j] - m) * r;
                o[j] = (float)(gamma[c] * r * (t[j] - mt - xhat * mxt));
            }
    }
}

// With u = gamma * dout_t and p = gamma * dout (p = 0 when dout is NULL):
//   d gamma += sum(dout_t * dxhat + dout * xhat),  d beta += sum(dout)
//   adjoint of xhat:  a = p - r (u mean(xhat dx) + mean(u xhat) dx)
//   adjoint of r:     R = sum(u dxhat) / r + sum(a xhat) / r
//   dinp += r (a - mean(a)) - R r^2 xhat / M
// (the tangent's own adjoint is layernorm_backward of dout_t, not repeated here).
void layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                            const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                            const float *gamma, int N, int C, int HW) {
    const size_t M = (size_t)C * HW;
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) {
            const size_t o = (size_t)n * M;
            const float *x = inp + o, *t = inp_t + o, *ut = dout_t + o, *up = dout ? dout + o : NULL;
            const double m = save_mean[n], r = save_rstd[n];
            double st = 0.0, sxt = 0.0, sux = 0.0;
            for (int c = 0; c < C; c++)
                for (int i = 0; i < HW; i++) {
                    const size_t j = (size_t)c * HW + i;
                    const double xhat = (x[j] - m) * r;
                    st += t[j];
                    sxt += xhat * t[j];
                    sux += gamma[c] * (double)ut[j] * xhat;
                }
            const double mt = st / (double)M, mxt = sxt / (double)M, mux = sux / (double)M;
            double sa = 0.0, sax = 0.0, sud = 0.0;
            for (int c = 0; c < C; c++)
                for (int i = 0; i < HW; i++) {
                    const size_t j = (size_t)c * HW + i;
                    const double xhat = (x[j] - m) * r, u = gamma[c] * (double)ut[j];
                    const double dxhat = r * (t[j] - mt - xhat * mxt);
                    const double a = (up ? gamma[c] * (double)up[j] : 0.0) - r * (u * mxt + mux * t[j]);
                    sa += a;
                    sax += a * xhat;
                    sud += u * dxhat;
                }
            const double ma = sa / (double)M, R = (sud + sax) / r;
            float *dx = dinp + o;
            for (int c = 0; c < C; c++)
                for (int i = 0; i < HW; i++) {
                    const size_t j = (size_t)c * HW + i;
                    const double xhat = (x[j] - m) * r, u = gamma[c] * (double)ut[j];
                    const double a = (up ? gamma[c] * (double)up[j] : 0.0) - r * (u * mxt + mux * t[j]);
                    dx[j] += (float)(r * (a - ma) - R * r * r * xhat / (double)M);
                }
        }
    }
    if (dgamma || dbeta) {
        // per-sample tangent statistics first, then one thread per channel
        double *mt = fk_malloc(2 * (size_t)N * sizeof(double));
        double *mxt = mt + N;
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * M, *t = inp_t + (size_t)n * M;
            const double m = save_mean[n], r = save_rstd[n];
            double st = 0.0, sxt = 0.0;
            for (size_t i = 0; i < M; i++) st += t[i], sxt += (x[i] - m) * r * t[i];
            mt[n] = st / (double)M, mxt[n] = sxt / (double)M;
        }
#pragma omp parallel for schedule(static)
        for (int c = 0; c < C; c++) {
            double sg = 0.0, sb = 0.0;
            for (int n = 0; n < N; n++) {
                const size_t o = (size_t)n * M + (size_t)c * HW;
                const double m = save_mean[n], r = save_rstd[n];
                for (int i = 0; i < HW; i++) {
                    const double xhat = (inp[o + i] - m) * r;
                    sg += (double)dout_t[o + i] * r * (inp_t[o + i] - mt[n] - xhat * mxt[n]);
                    if (dout) sg += (double)dout[o + i] * xhat, sb += dout[o + i];
                }
            }
            if (dgamma) dgamma[c] += (float)sg;
            if (dbeta) dbeta[c] += (float)sb;
        }
        free(mt);
    }
}
