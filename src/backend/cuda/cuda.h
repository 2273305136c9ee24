// cuda.h: what the CUDA backend's files share (private to src/backend/cuda/;
// everything else reaches the backend through backend/backend.h).
//
// Every op runs on one stream (cu_stream) in issue order; nothing here
// synchronises with the host except download (which must hand back data)
// and the first use of a shape (cuDNN's algorithm choice). Device pointers
// are plain fp32 NCHW, as the reference.
#ifndef FAKEIT_CUDA_H
#define FAKEIT_CUDA_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <stddef.h>

// The project's headers are C11: _Noreturn is not a C++ keyword.
#define _Noreturn __attribute__((noreturn))
extern "C" {
#include "backend/backend.h"
#include "util/util.h"
}
#undef _Noreturn

// A failed CUDA, cuDNN or cuBLAS call: the library's own words, file:line,
// then exit 1 (a sticky device error leaves nothing to recover).
void cu_fail(const char *lib, const char *what, const char *call, const char *file, int line)
    __attribute__((noreturn));
#define CU_CHECK(call)                                                                                   \
    do {                                                                                                 \
        cudaError_t e_ = (call);                                                                         \
        if (e_ != cudaSuccess) cu_fail("CUDA", cudaGetErrorString(e_), #call, __FILE__, __LINE__);       \
    } while (0)
#define DNN_CHECK(call)                                                                                  \
    do {                                                                                                 \
        cudnnStatus_t s_ = (call);                                                                       \
        if (s_ != CUDNN_STATUS_SUCCESS) cu_fail("cuDNN", cudnnGetErrorString(s_), #call, __FILE__, __LINE__); \
    } while (0)
#define BLAS_CHECK(call)                                                                                 \
    do {                                                                                                 \
        cublasStatus_t s_ = (call);                                                                      \
        if (s_ != CUBLAS_STATUS_SUCCESS) cu_fail("cuBLAS", cublasGetStatusString(s_), #call, __FILE__, __LINE__); \
    } while (0)
// After a kernel launch: a bad launch configuration is reported where it happened.
#define CU_LAUNCHED() CU_CHECK(cudaGetLastError())

// ---- the device (cuda.cu)
extern cudaStream_t cu_stream;  // every op's stream
cudnnHandle_t cu_dnn(void);
cublasHandle_t cu_blas(void);
// The backend's precision (BACKEND_PRECISION_*), set by set_precision.
extern int cu_precision;
// Device memory of `bytes`, or exit 1 with a message naming the size that did
// not fit and what is free (the caller's `what` says what it was for).
void *cu_malloc(size_t bytes, const char *what);
// Gives back a cu_malloc block (NULL: nothing) once the stream is done with it.
void cu_release(void *p);
// The workspace cuDNN's algorithms share: at least `bytes`, grown and kept.
void *cu_workspace(size_t bytes);
// Scratch buffers kept for the process, one per slot, grown to the largest
// request; contents left over from earlier calls. An op must not use one slot
// for two buffers it needs at once.
enum { CU_SCRATCH_A, CU_SCRATCH_B, CU_SCRATCH_C, CU_SCRATCH_SLOTS };
void *cu_scratch(int slot, size_t bytes);

// ---- kernels' launch shape
enum { CU_THREADS = 256 };  // threads per block everywhere (the reductions rely on it)
static inline unsigned cu_blocks(size_t n) {
    size_t b = (n + CU_THREADS - 1) / CU_THREADS;
    return (unsigned)(b < 1 ? 1 : b > 65535u * 16u ? 65535u * 16u : b);
}

// Element-wise kernels: a grid-stride loop over n, and its launch on the
// stream with enough blocks (none for n = 0).
#define CU_EACH(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)
#define CU_LAUNCH(kernel, n, ...)                                                \
    do {                                                                         \
        if ((n) == 0) break;                                                     \
        kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream>>>(__VA_ARGS__);         \
        CU_LAUNCHED();                                                           \
    } while (0)

// Sum of v over the block's CU_THREADS threads, in a fixed tree order (so the
// same inputs give the same bits); every thread gets the total. `sh` holds
// CU_THREADS doubles.
__device__ __forceinline__ double cu_block_sum(double v, double *sh) {
    const int t = threadIdx.x;
    __syncthreads();  // sh may still be read by an earlier call
    sh[t] = v;
    __syncthreads();
    for (int s = CU_THREADS / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] += sh[t + s];
        __syncthreads();
    }
    return sh[0];
}

// ---- ops shared between files
// dst[c] += sum over (N, HW) of src (N, C, HW) for every channel c (bias gradients).
void cu_channel_sum_acc(float *dst, const float *src, int N, int C, int HW);
// *out = (float)(mul * sum of the n doubles of part / div), on the device.
void cu_finish_sum(float *out, const double *part, int n, double mul, double div);

// ---- the ops of the table (see ops/ops.h for their meaning)
void cu_conv2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                       int OC, int K, int S, int P);
void cu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int C, int H, int W, int OC, int K, int S, int P, int acc);
void cu_convt2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                        int OC, int K, int S, int P);
void cu_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                         int C, int H, int W, int OC, int K, int S, int P, int acc);
void cu_conv_release(void);  // the cached descriptors (at exit)

void cu_batchnorm_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                float *running_var, const float *inp, const float *gamma, const float *beta, int N,
                                int C, int HW, float eps, float momentum);
void cu_batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                 const float *save_mean, const float *save_rstd, const float *gamma, int N, int C,
                                 int HW);
void cu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                               const float *running_mean, const float *running_var, int N, int C, int HW, float eps);
void cu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                const float *gamma, const float *running_mean, const float *running_var, int N, int C,
                                int HW, float eps);
void cu_batchnorm_act_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                    float *running_var, const float *inp, const float *gamma, const float *beta,
                                    int N, int C, int HW, float eps, float momentum, float slope);
#ifdef FAKEIT_HAVE_NCCL
const char *cu_comm_id(void *id);
const char *cu_comm_join(const void *id, int rank, int size);
void cu_comm_sum(void *p, size_t n, int dbl);
#endif
void cu_batchnorm_stats(double *stats, const float *inp, int N, int C, int HW);
void cu_batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                float *running_var, const float *inp, const float *gamma, const float *beta,
                                const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                                int act, float slope);
void cu_batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                                 float slope, const float *inp, const float *save_mean, const float *save_rstd,
                                 int N, int C, int HW);
void cu_batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                                 const float *save_mean, const float *save_rstd, const float *gamma,
                                 const double *stats, double M, int N, int C, int HW);
void cu_batchnorm_act_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                               const float *inp, const float *mean, const float *rstd_or_var, const float *gamma,
                               int N, int C, int HW, float eps, float slope, int train, int acc);
void cu_layernorm_forward(float *out, float *save_mean, float *save_rstd, const float *inp, const float *gamma,
                          const float *beta, int N, int C, int HW, float eps);
void cu_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                           const float *save_mean, const float *save_rstd, const float *gamma, int N, int C, int HW);
void cu_layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                      const float *save_rstd, const float *gamma, int N, int C, int HW);
void cu_layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                               const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                               const float *gamma, int N, int C, int HW);

void cu_relu_forward(float *out, const float *inp, size_t n);
void cu_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void cu_lrelu_forward(float *out, const float *inp, size_t n, float slope);
void cu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc);
void cu_tanh_forward(float *out, const float *inp, size_t n);
void cu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void cu_prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW);
void cu_prelu_backward(float *dinp, float *da, const float *dout, const float *inp, const float *a, int N, int C,
                       int HW);
void cu_add_forward(float *out, const float *a, const float *b, size_t n);
void cu_add_backward(float *da, float *db, const float *dout, size_t n);
void cu_mean_batch_forward(float *out, const float *inp, int N, int D);
void cu_mean_batch_backward(float *dinp, const float *dout, int N, int D);

void cu_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int D, int OD);
void cu_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int D, int OD);

void cu_pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r);
void cu_pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r);
void cu_upsample_nearest_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void cu_upsample_nearest_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);
void cu_upsample_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void cu_upsample_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);

void cu_wgan_loss_forward(float *loss, const float *score, int N, float sign);
void cu_wgan_loss_backward(float *dscore, int N, float sign);
void cu_grad_penalty(float *loss, float *dgrad, const float *grad, int N, size_t D, float lambda);
void cu_l1_loss_forward(float *loss, const float *pred, const float *target, size_t n);
void cu_l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n);
void cu_mse_loss_forward(float *loss, const float *pred, const float *target, size_t n);
void cu_mse_loss_backward(float *dpred, const float *pred, const float *target, size_t n);

void cu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps);
void cu_adam_step(float *p, float *m, float *v, const float *g, size_t n, double lr, double beta1, double beta2,
                  double eps, long t);
void cu_clip_weights(float *p, size_t n, float c);

void cu_images_from_bytes(float *dst, const unsigned char *pixels, const unsigned *index, int n, size_t img);
void cu_lerp(float *out, const float *a, const float *b, const float *alpha, int n, size_t img);
void cu_augment_forward(float *out, const float *inp, const float *params, int N, int C, int H, int W);
void cu_augment_backward(float *dinp, const float *dout, const float *params, int N, int C, int H, int W);

#endif
