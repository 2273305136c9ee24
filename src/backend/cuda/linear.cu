// linear.cu: the fully connected layer through cuBLAS, as ops/linear.c:
// out (N, OD) = inp (N, D) w^T + b with w (OD, D). Row-major matrices are
// column-major transposes, so out^T = w . inp^T is one SGEMM (op T on w).
// fp32 runs cuBLAS in pedantic math (no TF32); tf32 allows tensor ops.
#include "backend/cuda/cuda.h"

__global__ static void fill_rows(float *out, const float *b, int OD, size_t n) {
    CU_EACH(i, n) out[i] = b ? b[i % OD] : 0.0f;
}

void cu_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int D, int OD) {
    const size_t n = (size_t)N * OD;
    CU_LAUNCH(fill_rows, n, out, b, OD, n);
    const float one = 1.0f;
    if (n && D)
        BLAS_CHECK(cublasSgemm(cu_blas(), CUBLAS_OP_T, CUBLAS_OP_N, OD, N, D, &one, w, D, inp, D, &one, out, OD));
}

void cu_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int D, int OD) {
    const float one = 1.0f;
    if (!N || !D || !OD) return;
    // dinp (N, D) += dout (N, OD) . w (OD, D):  dinp^T = w^T . dout^T
    if (dinp) BLAS_CHECK(cublasSgemm(cu_blas(), CUBLAS_OP_N, CUBLAS_OP_N, D, N, OD, &one, w, D, dout, OD, &one, dinp, D));
    // dw (OD, D) += dout^T . inp:  dw^T = inp^T . dout
    if (dw) BLAS_CHECK(cublasSgemm(cu_blas(), CUBLAS_OP_N, CUBLAS_OP_T, D, OD, N, &one, inp, D, dout, OD, &one, dw, D));
    if (db) cu_channel_sum_acc(db, dout, N, OD, 1);
}
