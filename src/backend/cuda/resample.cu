// resample.cu: pixel shuffle, nearest and bicubic upsampling, as
// ops/resample.c. Backward passes gather (each input gradient summed by one
// thread) except bicubic's, which scatters along one column or row per thread.
#include "backend/cuda/cuda.h"

// out[n, c, oh, ow] = inp[n, c r r + (oh % r) r + ow % r, oh / r, ow / r]; the
// backward adds the same map the other way (one output per input element).
__global__ static void k_shuffle(float *out, const float *inp, int C, int H, int W, int r, size_t n, int backward) {
    const int OH = H * r, OW = W * r;
    CU_EACH(i, n) {
        const int ow = (int)(i % OW), oh = (int)(i / OW % OH);
        const size_t nc = i / ((size_t)OW * OH);
        const int c = (int)(nc % C);
        const size_t b = nc / C;
        const int ic = c * r * r + (oh % r) * r + ow % r;
        const size_t j = ((b * C * r * r + ic) * H + oh / r) * W + ow / r;
        if (backward) out[j] += inp[i];  // out = dinp, inp = dout
        else out[i] = inp[j];
    }
}

void cu_pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r) {
    const size_t n = (size_t)N * C * H * r * W * r;
    CU_LAUNCH(k_shuffle, n, out, inp, C, H, W, r, n, 0);
}
void cu_pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r) {
    const size_t n = (size_t)N * C * H * r * W * r;  // one-to-one: no two threads write one element
    CU_LAUNCH(k_shuffle, n, dinp, dout, C, H, W, r, n, 1);
}

__global__ static void k_near_f(float *out, const float *inp, int H, int W, int s, size_t n) {
    const int OH = H * s, OW = W * s;
    CU_EACH(i, n) {
        const int ow = (int)(i % OW), oh = (int)(i / OW % OH);
        const size_t p = i / ((size_t)OW * OH);
        out[i] = inp[(p * H + oh / s) * W + ow / s];
    }
}
__global__ static void k_near_b(float *dinp, const float *dout, int H, int W, int s, size_t n) {
    const int OW = W * s;
    CU_EACH(i, n) {
        const int w = (int)(i % W), h = (int)(i / W % H);
        const size_t p = i / ((size_t)W * H);
        const float *g = dout + p * (size_t)H * s * OW;
        float acc = 0.0f;
        for (int a = 0; a < s; a++)
            for (int b = 0; b < s; b++) acc += g[(size_t)(h * s + a) * OW + w * s + b];
        dinp[i] += acc;
    }
}

void cu_upsample_nearest_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    const size_t n = (size_t)N * C * H * s * W * s;
    CU_LAUNCH(k_near_f, n, out, inp, H, W, s, n);
}
void cu_upsample_nearest_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    const size_t n = (size_t)N * C * H * W;
    CU_LAUNCH(k_near_b, n, dinp, dout, H, W, s, n);
}

// Keys' cubic (a = -0.5) and the taps of output o along an axis of n
// enlarged to on, as ops/resample.c's bicubic_taps (weights rounded to float).
__device__ static double keys(double x) {
    x = fabs(x);
    if (x <= 1) return (1.5 * x - 2.5) * x * x + 1;
    if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
    return 0;
}
__device__ static void taps(int o, int n, int on, int idx[4], float wt[4]) {
    const double u = (o + 0.5) * n / on - 0.5;
    const int i0 = (int)floor(u);
    for (int k = 0; k < 4; k++) {
        const int i = i0 - 1 + k;
        idx[k] = i < 0 ? 0 : i >= n ? n - 1 : i;
        wt[k] = (float)keys(u - i);
    }
}

// rows: t (P, H, OW) from x (P, H, W)
__global__ static void k_bic_rows(float *t, const float *x, int H, int W, int s, size_t n) {
    const int OW = W * s;
    CU_EACH(i, n) {
        const int ow = (int)(i % OW);
        const size_t row = i / OW;  // plane * H + h
        int ix[4];
        float w[4];
        taps(ow, W, OW, ix, w);
        const float *r = x + row * W;
        t[i] = w[0] * r[ix[0]] + w[1] * r[ix[1]] + w[2] * r[ix[2]] + w[3] * r[ix[3]];
    }
}
// columns: out (P, OH, OW) from t (P, H, OW)
__global__ static void k_bic_cols(float *out, const float *t, int H, int OW, int s, size_t n) {
    const int OH = H * s;
    CU_EACH(i, n) {
        const int ow = (int)(i % OW), oh = (int)(i / OW % OH);
        const size_t p = i / ((size_t)OW * OH);
        int iy[4];
        float w[4];
        taps(oh, H, OH, iy, w);
        const float *tp = t + p * (size_t)H * OW + ow;
        out[i] = w[0] * tp[(size_t)iy[0] * OW] + w[1] * tp[(size_t)iy[1] * OW] + w[2] * tp[(size_t)iy[2] * OW] +
                 w[3] * tp[(size_t)iy[3] * OW];
    }
}
// backward, columns: one thread per (plane, ow) scatters down its column into dt (P, H, OW), zeroed first
__global__ static void k_bic_cols_b(float *dt, const float *g, int H, int OW, int s, size_t n) {
    const int OH = H * s;
    CU_EACH(i, n) {
        const int ow = (int)(i % OW);
        const size_t p = i / OW;
        float *d = dt + p * (size_t)H * OW + ow;
        const float *gp = g + p * (size_t)OH * OW + ow;
        for (int oh = 0; oh < OH; oh++) {
            int iy[4];
            float w[4];
            taps(oh, H, OH, iy, w);
            for (int k = 0; k < 4; k++) d[(size_t)iy[k] * OW] += w[k] * gp[(size_t)oh * OW];
        }
    }
}
// backward, rows: one thread per (plane, h) scatters along its row into dinp
__global__ static void k_bic_rows_b(float *dinp, const float *dt, int W, int s, size_t n) {
    const int OW = W * s;
    CU_EACH(i, n) {
        float *dx = dinp + i * W;
        const float *d = dt + i * OW;
        for (int ow = 0; ow < OW; ow++) {
            int ix[4];
            float w[4];
            taps(ow, W, OW, ix, w);
            for (int k = 0; k < 4; k++) dx[ix[k]] += w[k] * d[ow];
        }
    }
}

void cu_upsample_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s) {
    const size_t P = (size_t)N * C, nt = P * H * W * s, no = nt * s;
    float *t = (float *)cu_scratch(CU_SCRATCH_A, nt * sizeof(float));
    CU_LAUNCH(k_bic_rows, nt, t, inp, H, W, s, nt);
    CU_LAUNCH(k_bic_cols, no, out, t, H, W * s, s, no);
}

void cu_upsample_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s) {
    const size_t P = (size_t)N * C, nt = P * H * W * s;
    float *dt = (float *)cu_scratch(CU_SCRATCH_A, nt * sizeof(float));
    if (nt) CU_CHECK(cudaMemsetAsync(dt, 0, nt * sizeof(float), cu_stream));
    CU_LAUNCH(k_bic_cols_b, P * W * s, dt, dout, H, W * s, s, P * W * s);
    CU_LAUNCH(k_bic_rows_b, P * H, dinp, dt, W, s, P * H);
}
