// activation.cu: ReLU, LeakyReLU, Tanh, PReLU, element-wise add, the batch
// mean and the per-channel sums other files share, as in ops/activation.c
// and ops/elementwise.c. Element-wise kernels use grid-stride loops; every
// sum is one block's fixed tree (cu_block_sum).
#include "backend/cuda/cuda.h"

__global__ static void k_relu_f(float *o, const float *x, size_t n) {
    CU_EACH(i, n) o[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
__global__ static void k_relu_b(float *dx, const float *dy, const float *x, size_t n) {
    CU_EACH(i, n) dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}
__global__ static void k_lrelu_f(float *o, const float *x, size_t n, float s) {
    CU_EACH(i, n) o[i] = x[i] > 0.0f ? x[i] : x[i] * s;
}
__global__ static void k_lrelu_b(float *dx, const float *dy, const float *x, size_t n, float s, int acc) {
    CU_EACH(i, n) dx[i] = (x[i] > 0.0f ? dy[i] : dy[i] * s) + (acc ? dx[i] : 0.0f);
}
__global__ static void k_tanh_f(float *o, const float *x, size_t n) {
    CU_EACH(i, n) o[i] = tanhf(x[i]);
}
__global__ static void k_tanh_b(float *dx, const float *dy, const float *y, size_t n) {
    CU_EACH(i, n) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}
__global__ static void k_prelu_f(float *o, const float *x, const float *a, int C, int HW, size_t n) {
    CU_EACH(i, n) o[i] = x[i] > 0.0f ? x[i] : a[(i / HW) % C] * x[i];
}
__global__ static void k_prelu_dx(float *dx, const float *dy, const float *x, const float *a, int C, int HW, size_t n) {
    CU_EACH(i, n) dx[i] += x[i] > 0.0f ? dy[i] : a[(i / HW) % C] * dy[i];
}
// da[c] += sum of x dy where x <= 0: one block per channel
__global__ static void k_prelu_da(float *da, const float *dy, const float *x, int N, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t L = (size_t)N * HW;
    double s = 0.0;
    for (size_t t = threadIdx.x; t < L; t += CU_THREADS) {
        const size_t j = ((t / HW) * C + c) * (size_t)HW + t % HW;
        if (!(x[j] > 0.0f)) s += (double)x[j] * dy[j];
    }
    s = cu_block_sum(s, sh);
    if (threadIdx.x == 0) da[c] += (float)s;
}
__global__ static void k_add_f(float *o, const float *a, const float *b, size_t n) {
    CU_EACH(i, n) o[i] = a[i] + b[i];
}
__global__ static void k_acc(float *d, const float *g, size_t n) {
    CU_EACH(i, n) d[i] += g[i];
}
__global__ static void k_mean_f(float *o, const float *x, int N, int D) {
    CU_EACH(d, (size_t)D) {
        double s = 0.0;
        for (int n = 0; n < N; n++) s += x[(size_t)n * D + d];
        o[d] = (float)(s / N);
    }
}
__global__ static void k_mean_b(float *dx, const float *dy, int N, int D) {
    CU_EACH(i, (size_t)N * D) dx[i] += dy[i % D] / (float)N;
}
// dst[c] += sum over (N, HW) of src: one block per channel
__global__ static void k_channel_sum(float *dst, const float *src, int N, int C, int HW) {
    __shared__ double sh[CU_THREADS];
    const int c = blockIdx.x;
    const size_t L = (size_t)N * HW;
    double s = 0.0;
    for (size_t t = threadIdx.x; t < L; t += CU_THREADS) s += src[((t / HW) * C + c) * (size_t)HW + t % HW];
    s = cu_block_sum(s, sh);
    if (threadIdx.x == 0) dst[c] += (float)s;
}
__global__ static void k_finish(float *out, const double *part, int n, double mul, double div) {
    __shared__ double sh[CU_THREADS];
    double s = 0.0;
    for (int i = threadIdx.x; i < n; i += CU_THREADS) s += part[i];
    s = cu_block_sum(s, sh);
    if (threadIdx.x == 0) *out = (float)(mul * s / div);
}

void cu_relu_forward(float *out, const float *inp, size_t n) { CU_LAUNCH(k_relu_f, n, out, inp, n); }
void cu_relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    CU_LAUNCH(k_relu_b, n, dinp, dout, inp, n);
}
void cu_lrelu_forward(float *out, const float *inp, size_t n, float slope) { CU_LAUNCH(k_lrelu_f, n, out, inp, n, slope); }
void cu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc) {
    CU_LAUNCH(k_lrelu_b, n, dinp, dout, inp, n, slope, acc);
}
void cu_tanh_forward(float *out, const float *inp, size_t n) { CU_LAUNCH(k_tanh_f, n, out, inp, n); }
void cu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
    CU_LAUNCH(k_tanh_b, n, dinp, dout, out, n);
}
void cu_prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW) {
    const size_t n = (size_t)N * C * HW;
    CU_LAUNCH(k_prelu_f, n, out, inp, a, C, HW, n);
}
void cu_prelu_backward(float *dinp, float *da, const float *dout, const float *inp, const float *a, int N, int C,
                       int HW) {
    const size_t n = (size_t)N * C * HW;
    if (dinp) CU_LAUNCH(k_prelu_dx, n, dinp, dout, inp, a, C, HW, n);
    if (da && n) {
        k_prelu_da<<<C, CU_THREADS, 0, cu_stream>>>(da, dout, inp, N, C, HW);
        CU_LAUNCHED();
    }
}
void cu_add_forward(float *out, const float *a, const float *b, size_t n) { CU_LAUNCH(k_add_f, n, out, a, b, n); }
void cu_add_backward(float *da, float *db, const float *dout, size_t n) {
    if (da) CU_LAUNCH(k_acc, n, da, dout, n);
    if (db) CU_LAUNCH(k_acc, n, db, dout, n);
}
void cu_mean_batch_forward(float *out, const float *inp, int N, int D) { CU_LAUNCH(k_mean_f, (size_t)D, out, inp, N, D); }
void cu_mean_batch_backward(float *dinp, const float *dout, int N, int D) {
    CU_LAUNCH(k_mean_b, (size_t)N * D, dinp, dout, N, D);
}
void cu_channel_sum_acc(float *dst, const float *src, int N, int C, int HW) {
    if (!C) return;
    k_channel_sum<<<C, CU_THREADS, 0, cu_stream>>>(dst, src, N, C, HW);
    CU_LAUNCHED();
}
void cu_finish_sum(float *out, const double *part, int n, double mul, double div) {
    k_finish<<<1, CU_THREADS, 0, cu_stream>>>(out, part, n, mul, div);
    CU_LAUNCHED();
}
