// norm.cu: batch normalisation (with the fused ReLU / LeakyReLU) and layer
// normalisation with its tangent map, as in ops/norm.c.
//
// One block per channel (batch norm, layer norm's gamma and beta) or per
// sample (layer norm), CU_THREADS threads; statistics are summed in double,
// as the reference, through cu_block_sum's fixed tree, so the same inputs
// give the same bits.
#include "backend/cuda/cuda.h"

// The activation after batch norm: ACT_NONE, or ReLU / LeakyReLU with `slope`.
enum { ACT_NONE, ACT_ON };

__device__ __forceinline__ float act(float v, float slope) { return v > 0.0f ? v : slope == 0.0f ? 0.0f : v * slope; }

// ---------------------------------------------------------------------------
// batch norm: one block per channel; element t of a channel is (n, i) = (t / HW, t % HW)

__device__ __forceinline__ size_t chan_at(int c, int C, int HW, size_t t) {
    return ((t / HW) * C + c) * (size_t)HW + t % HW;
}

// Channel c (this block) of training-mode batch norm, given the batch's mean
// and biased variance over its Mt values: this part's N samples normalised
// (then the activation with with_act), the batch statistics saved, the
// running ones moved (unbiased variance).
__device__ static void bn_channel_forward(float *out, float *save_mean, float *save_rstd, float *rm, float *rv,
                                          const float *inp, const float *gamma, const float *beta, int c,
                                          double mean, double var, double Mt, int N, int C, int HW, float eps,
                                          float momentum, int with_act, float slope) {
    const size_t M = (size_t)N * HW;
    const float rstd = (float)(1.0 / sqrt(var + eps)), m = (float)mean, g = gamma[c], b = beta[c];
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const size_t j = chan_at(c, C, HW, t);
        const float o = (inp[j] - m) * rstd * g + b;
        out[j] = with_act ? act(o, slope) : o;
    }
    if (threadIdx.x == 0) {
        save_mean[c] = m, save_rstd[c] = rstd;
        rm[c] = (1.0f - momentum) * rm[c] + momentum * m;
        rv[c] = (1.0f - momentum) * rv[c] + momentum * (float)(var * Mt / (Mt - 1.0));
    }
}

// The gradient reaching batch norm's output: dout, through the activation when `out` is given.
__device__ __forceinline__ float bn_dy(const float *dout, const float *out, float slope, size_t j) {
    return out && !(out[j] > 0.0f) ? dout[j] * slope : dout[j];
}

__global__ static void bn_forward_train(float *out, float *save_mean, float *save_rstd, float *rm, float *rv,
                                        const float *inp, const float *gamma, const float *beta, int N, int C, int HW,
                                        float eps, float momentum, int with_act, float slope) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t M = (size_t)N * HW;
    double s = 0.0;
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) s += inp[chan_at(c, C, HW, t)];
    const double mean = cu_block_sum(s, sh) / (double)M;
    double q = 0.0;
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const double d = inp[chan_at(c, C, HW, t)] - mean;
        q += d * d;
    }
    const double var = cu_block_sum(q, sh) / (double)M;
    bn_channel_forward(out, save_mean, save_rstd, rm, rv, inp, gamma, beta, c, mean, var, (double)M, N, C, HW, eps,
                       momentum, with_act, slope);
}

// The backward pass of every batch-norm variant. train: mean and rstd_or_var
// are the saved batch statistics, else the running ones. with_act: dout is
// the activation's output gradient, masked by out > 0. acc: add into dinp
// (1) or write it (0, backend.h).
__global__ static void bn_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                   const float *inp, const float *mean, const float *rstd_or_var, const float *gamma,
                                   int N, int C, int HW, float eps, int with_act, float slope, int train, int acc) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t M = (size_t)N * HW;
    const float m = mean[c];
    const float rstd = train ? rstd_or_var[c] : (float)(1.0 / sqrt((double)rstd_or_var[c] + eps));
    double sdy = 0.0, sdyx = 0.0;
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const size_t j = chan_at(c, C, HW, t);
        const float dy = bn_dy(dout, with_act ? out : NULL, slope, j);
        sdy += dy;
        sdyx += (double)dy * ((inp[j] - m) * rstd);
    }
    sdy = cu_block_sum(sdy, sh);
    sdyx = cu_block_sum(sdyx, sh);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
    }
    if (!dinp) return;
    const float k = gamma[c] * rstd, mdy = (float)(sdy / (double)M), mdyx = (float)(sdyx / (double)M);
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const size_t j = chan_at(c, C, HW, t);
        const float dy = bn_dy(dout, with_act ? out : NULL, slope, j);
        const float xhat = (inp[j] - m) * rstd;
        const float g = train ? k * (dy - mdy - xhat * mdyx) : dy * gamma[c] * rstd;
        dinp[j] = g + (acc ? dinp[j] : 0.0f);
    }
}

__global__ static void bn_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                                       const float *rm, const float *rv, int C, int HW, size_t n, float eps) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        const int c = (int)((i / HW) % C);
        const float rstd = (float)(1.0 / sqrt((double)rv[c] + eps));
        out[i] = (inp[i] - rm[c]) * rstd * gamma[c] + beta[c];
    }
}

void cu_batchnorm_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                float *running_var, const float *inp, const float *gamma, const float *beta, int N,
                                int C, int HW, float eps, float momentum) {
    FK_CHECK((size_t)N * HW > 1, "batch norm in training mode needs more than one value per channel (N=%d, HW=%d)", N,
             HW);
    bn_forward_train<<<C, CU_THREADS, 0, cu_stream>>>(out, save_mean, save_rstd, running_mean, running_var, inp,
                                                      gamma, beta, N, C, HW, eps, momentum, ACT_NONE, 0.0f);
    CU_LAUNCHED();
}

void cu_batchnorm_act_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                    float *running_var, const float *inp, const float *gamma, const float *beta,
                                    int N, int C, int HW, float eps, float momentum, float slope) {
    FK_CHECK((size_t)N * HW > 1, "batch norm in training mode needs more than one value per channel (N=%d, HW=%d)", N,
             HW);
    bn_forward_train<<<C, CU_THREADS, 0, cu_stream>>>(out, save_mean, save_rstd, running_mean, running_var, inp,
                                                      gamma, beta, N, C, HW, eps, momentum, ACT_ON, slope);
    CU_LAUNCHED();
}

void cu_batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                 const float *save_mean, const float *save_rstd, const float *gamma, int N, int C,
                                 int HW) {
    bn_backward<<<C, CU_THREADS, 0, cu_stream>>>(dinp, dgamma, dbeta, dout, NULL, inp, save_mean, save_rstd, gamma, N,
                                                 C, HW, 0.0f, ACT_NONE, 0.0f, 1, 1);
    CU_LAUNCHED();
}

void cu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                const float *gamma, const float *running_mean, const float *running_var, int N, int C,
                                int HW, float eps) {
    bn_backward<<<C, CU_THREADS, 0, cu_stream>>>(dinp, dgamma, dbeta, dout, NULL, inp, running_mean, running_var,
                                                 gamma, N, C, HW, eps, ACT_NONE, 0.0f, 0, 1);
    CU_LAUNCHED();
}

void cu_batchnorm_act_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                               const float *inp, const float *mean, const float *rstd_or_var, const float *gamma,
                               int N, int C, int HW, float eps, float slope, int train, int acc) {
    bn_backward<<<C, CU_THREADS, 0, cu_stream>>>(dinp, dgamma, dbeta, dout, out, inp, mean, rstd_or_var, gamma, N, C,
                                                 HW, eps, ACT_ON, slope, train, acc);
    CU_LAUNCHED();
}

void cu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                               const float *running_mean, const float *running_var, int N, int C, int HW, float eps) {
    const size_t n = (size_t)N * C * HW;
    bn_forward_eval<<<cu_blocks(n), CU_THREADS, 0, cu_stream>>>(out, inp, gamma, beta, running_mean, running_var, C,
                                                                HW, n, eps);
    CU_LAUNCHED();
}

// ---------------------------------------------------------------------------
// synchronised batch norm (ops/ops.h): one block per channel of this part's
// N samples; stats (2, C) doubles, summed over the parts by the caller

__global__ static void bn_stats(double *stats, const float *inp, int N, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t M = (size_t)N * HW;
    double s = 0.0, q = 0.0;
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const double x = inp[chan_at(c, C, HW, t)];
        s += x, q += x * x;
    }
    s = cu_block_sum(s, sh);
    q = cu_block_sum(q, sh);
    if (threadIdx.x == 0) stats[c] = s, stats[C + c] = q;
}

__global__ static void bn_forward_stats(float *out, float *save_mean, float *save_rstd, float *rm, float *rv,
                                        const float *inp, const float *gamma, const float *beta, const double *stats,
                                        double Mt, int N, int C, int HW, float eps, float momentum, int with_act,
                                        float slope) {
    const int c = blockIdx.x;
    const double mean = stats[c] / Mt, v = stats[C + c] / Mt - mean * mean;  // never below zero
    bn_channel_forward(out, save_mean, save_rstd, rm, rv, inp, gamma, beta, c, mean, v > 0.0 ? v : 0.0, Mt, N, C, HW,
                       eps, momentum, with_act, slope);
}

__global__ static void bn_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout,
                                         const float *out, float slope, const float *inp, const float *mean,
                                         const float *rstd, int N, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t M = (size_t)N * HW;
    const float m = mean[c], r = rstd[c];
    double sdy = 0.0, sdyx = 0.0;
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const size_t j = chan_at(c, C, HW, t);
        const float dy = bn_dy(dout, out, slope, j);
        sdy += dy;
        sdyx += (double)dy * ((inp[j] - m) * r);
    }
    sdy = cu_block_sum(sdy, sh);
    sdyx = cu_block_sum(sdyx, sh);
    if (threadIdx.x == 0) {
        stats[c] = sdy, stats[C + c] = sdyx;
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
    }
}

__global__ static void bn_backward_apply(float *dinp, const float *dout, const float *out, float slope,
                                         const float *inp, const float *mean, const float *rstd, const float *gamma,
                                         const double *stats, double Mt, int N, int C, int HW) {
    const int c = blockIdx.x;
    const size_t M = (size_t)N * HW;
    const float m = mean[c], r = rstd[c], k = gamma[c] * r;
    const float mdy = (float)(stats[c] / Mt), mdyx = (float)(stats[C + c] / Mt);
    for (size_t t = threadIdx.x; t < M; t += CU_THREADS) {
        const size_t j = chan_at(c, C, HW, t);
        const float dy = bn_dy(dout, out, slope, j);
        dinp[j] += k * (dy - mdy - (inp[j] - m) * r * mdyx);
    }
}

void cu_batchnorm_stats(double *stats, const float *inp, int N, int C, int HW) {
    bn_stats<<<C, CU_THREADS, 0, cu_stream>>>(stats, inp, N, C, HW);
    CU_LAUNCHED();
}

void cu_batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                float *running_var, const float *inp, const float *gamma, const float *beta,
                                const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                                int with_act, float slope) {
    FK_CHECK(M > 1, "batch norm in training mode needs more than one value per channel (M=%.0f)", M);
    bn_forward_stats<<<C, CU_THREADS, 0, cu_stream>>>(out, save_mean, save_rstd, running_mean, running_var, inp,
                                                      gamma, beta, stats, M, N, C, HW, eps, momentum,
                                                      with_act ? ACT_ON : ACT_NONE, slope);
    CU_LAUNCHED();
}

void cu_batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                                 float slope, const float *inp, const float *save_mean, const float *save_rstd,
                                 int N, int C, int HW) {
    bn_backward_stats<<<C, CU_THREADS, 0, cu_stream>>>(stats, dgamma, dbeta, dout, out, slope, inp, save_mean,
                                                       save_rstd, N, C, HW);
    CU_LAUNCHED();
}

void cu_batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                                 const float *save_mean, const float *save_rstd, const float *gamma,
                                 const double *stats, double M, int N, int C, int HW) {
    bn_backward_apply<<<C, CU_THREADS, 0, cu_stream>>>(dinp, dout, out, slope, inp, save_mean, save_rstd, gamma,
                                                       stats, M, N, C, HW);
    CU_LAUNCHED();
}

// ---------------------------------------------------------------------------
// layer norm: one block per sample over M = C HW values

__global__ static void ln_forward(float *out, float *save_mean, float *save_rstd, const float *inp,
                                  const float *gamma, const float *beta, int C, int HW, float eps) {
    __shared__ double sh[CU_THREADS];
    const size_t M = (size_t)C * HW, o = blockIdx.x * M;
    const float *x = inp + o;
    double s = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) s += x[i];
    const double mean = cu_block_sum(s, sh) / (double)M;
    double q = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double d = x[i] - mean;
        q += d * d;
    }
    const float rstd = (float)(1.0 / sqrt(cu_block_sum(q, sh) / (double)M + eps)), m = (float)mean;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const int c = (int)(i / HW);
        out[o + i] = (x[i] - m) * rstd * gamma[c] + beta[c];
    }
    if (threadIdx.x == 0) save_mean[blockIdx.x] = m, save_rstd[blockIdx.x] = rstd;
}

__global__ static void ln_backward_input(float *dinp, const float *dout, const float *inp, const float *save_mean,
                                         const float *save_rstd, const float *gamma, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const size_t M = (size_t)C * HW, o = blockIdx.x * M;
    const float m = save_mean[blockIdx.x], rstd = save_rstd[blockIdx.x];
    double sg = 0.0, sgx = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double g = (double)dout[o + i] * gamma[i / HW];
        sg += g;
        sgx += g * ((inp[o + i] - m) * rstd);
    }
    const float mg = (float)(cu_block_sum(sg, sh) / (double)M), mgx = (float)(cu_block_sum(sgx, sh) / (double)M);
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const float xhat = (inp[o + i] - m) * rstd;
        dinp[o + i] += rstd * (dout[o + i] * gamma[i / HW] - mg - xhat * mgx);
    }
}

// d gamma, d beta of layer norm: one block per channel over (N, HW). With
// inp_t (the penalty's second-order pass), dgamma also gets dout_t times the
// tangent of xhat, from the per-sample tangent means mt, mxt.
__global__ static void ln_backward_affine(float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                                          const float *inp, const float *inp_t, const double *mt, const double *mxt,
                                          const float *save_mean, const float *save_rstd, int N, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t M = (size_t)C * HW, L = (size_t)N * HW;
    double sg = 0.0, sb = 0.0;
    for (size_t t = threadIdx.x; t < L; t += CU_THREADS) {
        const size_t n = t / HW, j = n * M + (size_t)c * HW + t % HW;
        const double m = save_mean[n], r = save_rstd[n];
        if (inp_t) {
            const double xhat = (inp[j] - m) * r;
            sg += (double)dout_t[j] * r * (inp_t[j] - mt[n] - xhat * mxt[n]);
            if (dout) sg += (double)dout[j] * xhat, sb += dout[j];
        } else {
            sg += (double)dout[j] * ((inp[j] - save_mean[n]) * save_rstd[n]);
            sb += dout[j];
        }
    }
    sg = cu_block_sum(sg, sh);
    sb = cu_block_sum(sb, sh);
    if (threadIdx.x == 0) {
        if (dgamma) dgamma[c] += (float)sg;
        if (dbeta) dbeta[c] += (float)sb;
    }
}

__global__ static void ln_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                              const float *save_rstd, const float *gamma, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const size_t M = (size_t)C * HW, o = blockIdx.x * M;
    const double m = save_mean[blockIdx.x], r = save_rstd[blockIdx.x];
    double st = 0.0, sxt = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        st += inp_t[o + i];
        sxt += (inp[o + i] - m) * r * inp_t[o + i];
    }
    const double mt = cu_block_sum(st, sh) / (double)M, mxt = cu_block_sum(sxt, sh) / (double)M;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double xhat = (inp[o + i] - m) * r;
        out_t[o + i] = (float)(gamma[i / HW] * r * (inp_t[o + i] - mt - xhat * mxt));
    }
}

// Per sample: the tangent's means mt = mean(t), mxt = mean(xhat t).
__global__ static void ln_tangent_means(double *mt, double *mxt, const float *inp, const float *inp_t,
                                        const float *save_mean, const float *save_rstd, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const size_t M = (size_t)C * HW, o = blockIdx.x * M;
    const double m = save_mean[blockIdx.x], r = save_rstd[blockIdx.x];
    double st = 0.0, sxt = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) st += inp_t[o + i], sxt += (inp[o + i] - m) * r * inp_t[o + i];
    st = cu_block_sum(st, sh);
    sxt = cu_block_sum(sxt, sh);
    if (threadIdx.x == 0) mt[blockIdx.x] = st / (double)M, mxt[blockIdx.x] = sxt / (double)M;
}

// See ops/norm.c's layernorm_jvp_backward for the algebra.
__global__ static void ln_jvp_backward_input(float *dinp, const float *dout, const float *dout_t, const float *inp,
                                             const float *inp_t, const float *save_mean, const float *save_rstd,
                                             const float *gamma, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const size_t M = (size_t)C * HW, o = blockIdx.x * M;
    const double m = save_mean[blockIdx.x], r = save_rstd[blockIdx.x];
    double st = 0.0, sxt = 0.0, sux = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double xhat = (inp[o + i] - m) * r, t = inp_t[o + i];
        st += t;
        sxt += xhat * t;
        sux += gamma[i / HW] * (double)dout_t[o + i] * xhat;
    }
    const double mt = cu_block_sum(st, sh) / (double)M, mxt = cu_block_sum(sxt, sh) / (double)M;
    const double mux = cu_block_sum(sux, sh) / (double)M;
    double sa = 0.0, sax = 0.0, sud = 0.0;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double g = gamma[i / HW], xhat = (inp[o + i] - m) * r, u = g * (double)dout_t[o + i];
        const double t = inp_t[o + i], dxhat = r * (t - mt - xhat * mxt);
        const double a = (dout ? g * (double)dout[o + i] : 0.0) - r * (u * mxt + mux * t);
        sa += a;
        sax += a * xhat;
        sud += u * dxhat;
    }
    const double ma = cu_block_sum(sa, sh) / (double)M;
    sax = cu_block_sum(sax, sh);
    sud = cu_block_sum(sud, sh);
    const double R = (sud + sax) / r;
    for (size_t i = threadIdx.x; i < M; i += CU_THREADS) {
        const double g = gamma[i / HW], xhat = (inp[o + i] - m) * r, u = g * (double)dout_t[o + i];
        const double a = (dout ? g * (double)dout[o + i] : 0.0) - r * (u * mxt + mux * inp_t[o + i]);
        dinp[o + i] += (float)(r * (a - ma) - R * r * r * xhat / (double)M);
    }
}

void cu_layernorm_forward(float *out, float *save_mean, float *save_rstd, const float *inp, const float *gamma,
                          const float *beta, int N, int C, int HW, float eps) {
    ln_forward<<<N, CU_THREADS, 0, cu_stream>>>(out, save_mean, save_rstd, inp, gamma, beta, C, HW, eps);
    CU_LAUNCHED();
}

void cu_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *save_mean, const float *save_rstd, const float *gamma, int N, int C, int HW) {
    if (dinp) {
        ln_backward_input<<<N, CU_THREADS, 0, cu_stream>>>(dinp, dout, inp, save_mean, save_rstd, gamma, C, HW);
        CU_LAUNCHED();
    }
    if (dgamma || dbeta) {
        ln_backward_affine<<<C, CU_THREADS, 0, cu_stream>>>(dgamma, dbeta, dout, NULL, inp, NULL, NULL, NULL,
                                                            save_mean, save_rstd, N, C, HW);
        CU_LAUNCHED();
    }
}

void cu_layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                      const float *save_rstd, const float *gamma, int N, int C, int HW) {
    ln_jvp<<<N, CU_THREADS, 0, cu_stream>>>(out_t, inp_t, inp, save_mean, save_rstd, gamma, C, HW);
    CU_LAUNCHED();
}

void cu_layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                               const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                               const float *gamma, int N, int C, int HW) {
    if (dinp) {
        ln_jvp_backward_input<<<N, CU_THREADS, 0, cu_stream>>>(dinp, dout, dout_t, inp, inp_t, save_mean, save_rstd,
                                                               gamma, C, HW);
        CU_LAUNCHED();
    }
    if (dgamma || dbeta) {
        double *mt = (double *)cu_scratch(CU_SCRATCH_C, 2 * (size_t)N * sizeof(double)), *mxt = mt + N;
        ln_tangent_means<<<N, CU_THREADS, 0, cu_stream>>>(mt, mxt, inp, inp_t, save_mean, save_rstd, C, HW);
        CU_LAUNCHED();
        ln_backward_affine<<<C, CU_THREADS, 0, cu_stream>>>(dgamma, dbeta, dout, dout_t, inp, inp_t, mt, mxt,
                                                            save_mean, save_rstd, N, C, HW);
        CU_LAUNCHED();
    }
}
