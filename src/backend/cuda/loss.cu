// loss.cu: the WGAN score, the gradient penalty, L1 and MSE, as ops/loss.c.
// Sums run in double in two fixed stages (a partial sum per block, then one
// block over the partials), so the same inputs give the same bits.
#include "backend/cuda/cuda.h"

enum { PARTS = 256 };  // blocks of a long sum's first stage

__global__ static void k_wgan_f(float *loss, const float *score, int N, float sign) {
    __shared__ double sh[CU_THREADS];
    double s = 0.0;
    for (int n = threadIdx.x; n < N; n += CU_THREADS) s += score[n];
    s = cu_block_sum(s, sh);
    if (threadIdx.x == 0) *loss = (float)(sign * (s / N));
}
__global__ static void k_wgan_b(float *dscore, int N, float sign) {
    CU_EACH(n, (size_t)N) dscore[n] += sign / (float)N;
}

void cu_wgan_loss_forward(float *loss, const float *score, int N, float sign) {
    k_wgan_f<<<1, CU_THREADS, 0, cu_stream>>>(loss, score, N, sign);
    CU_LAUNCHED();
}
void cu_wgan_loss_backward(float *dscore, int N, float sign) { CU_LAUNCH(k_wgan_b, (size_t)N, dscore, N, sign); }

// One block per sample: (||g|| - 1)^2 into part[n], and dgrad += k g.
__global__ static void k_penalty(double *part, float *dgrad, const float *grad, int N, size_t D, float lambda) {
    __shared__ double sh[CU_THREADS];
    const float *g = grad + blockIdx.x * D;
    double sq = 0.0;
    for (size_t i = threadIdx.x; i < D; i += CU_THREADS) sq += (double)g[i] * g[i];
    const double norm = sqrt(cu_block_sum(sq, sh));
    if (threadIdx.x == 0) part[blockIdx.x] = (norm - 1.0) * (norm - 1.0);
    if (dgrad && norm > 0.0) {
        const float k = (float)(lambda * 2.0 * (norm - 1.0) / (norm * N));
        float *d = dgrad + blockIdx.x * D;
        for (size_t i = threadIdx.x; i < D; i += CU_THREADS) d[i] += k * g[i];
    }
}

void cu_grad_penalty(float *loss, float *dgrad, const float *grad, int N, size_t D, float lambda) {
    double *part = (double *)cu_scratch(CU_SCRATCH_C, (size_t)(N ? N : 1) * sizeof(double));
    if (N) {
        k_penalty<<<N, CU_THREADS, 0, cu_stream>>>(part, dgrad, grad, N, D, lambda);
        CU_LAUNCHED();
    }
    cu_finish_sum(loss, part, N, lambda, N);
}

// part[block] = sum over the block's share of |p - t| (l1) or (p - t)^2
__global__ static void k_err(double *part, const float *p, const float *t, size_t n, int squared) {
    __shared__ double sh[CU_THREADS];
    double s = 0.0;
    CU_EACH(i, n) {
        const double d = (double)p[i] - t[i];
        s += squared ? d * d : fabs(d);
    }
    s = cu_block_sum(s, sh);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

static void err_sum(float *loss, const float *pred, const float *target, size_t n, int squared) {
    double *part = (double *)cu_scratch(CU_SCRATCH_C, PARTS * sizeof(double));
    k_err<<<PARTS, CU_THREADS, 0, cu_stream>>>(part, pred, target, n, squared);
    CU_LAUNCHED();
    cu_finish_sum(loss, part, PARTS, 1.0, (double)n);
}

__global__ static void k_l1_b(float *dp, const float *p, const float *t, size_t n, float k) {
    CU_EACH(i, n) {
        const float d = p[i] - t[i];
        dp[i] += d > 0.0f ? k : d < 0.0f ? -k : 0.0f;
    }
}
__global__ static void k_mse_b(float *dp, const float *p, const float *t, size_t n, float k) {
    CU_EACH(i, n) dp[i] += k * (p[i] - t[i]);
}

void cu_l1_loss_forward(float *loss, const float *pred, const float *target, size_t n) { err_sum(loss, pred, target, n, 0); }
void cu_mse_loss_forward(float *loss, const float *pred, const float *target, size_t n) { err_sum(loss, pred, target, n, 1); }
void cu_l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n) {
    CU_LAUNCH(k_l1_b, n, dpred, pred, target, n, 1.0f / (float)n);
}
void cu_mse_loss_backward(float *dpred, const float *pred, const float *target, size_t n) {
    CU_LAUNCH(k_mse_b, n, dpred, pred, target, n, 2.0f / (float)n);
}
