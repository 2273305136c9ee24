// backend.h: the one table of functions through which networks and training
// reach memory and ops.
//
// Every op has the meaning, arguments and accumulation rules of its reference
// definition in ops/ops.h. A backend fills every entry of BACKEND_REQUIRED;
// one that cannot provide an op points it at a function that says so and
// stops (never at a silently different behaviour). backend_check() aborts,
// naming the entry, when one is left NULL. Pointers handed to ops are in the backend's memory
// (host memory for CPU backends, device memory for a GPU backend); upload and
// download cross that boundary.
#ifndef FAKEIT_BACKEND_H
#define FAKEIT_BACKEND_H

#include <stddef.h>

typedef struct Backend {
    const char *name;         // "ref", "cpu", "cuda"
    const char *description;  // one line for `fakeit backends`
    int host_memory;          // 1 when op pointers are ordinary host memory (CPU backends)

    // Activation layout. NULL: every tensor is plain NCHW. Otherwise blocked(C,
    // H, W) says whether this backend stores an activation of that shape in its
    // own layout (same element count); ops take and give activations in it, and
    // Net converts at the network's edges with to_native / to_plain (acc:
    // add into dst instead of overwriting). Parameters, gradients and flat
    // (N, D) operands of linear, losses and means are always plain.
    int (*blocked)(int C, int H, int W);
    void (*to_native)(float *dst, const float *plain, int N, int C, int H, int W, int acc);
    void (*to_plain)(float *dst, const float *native, int N, int C, int H, int W, int acc);

    // threads for ops that run on host cores; the same count gives the same bits
    void (*set_threads)(int n);
    int (*get_threads)(void);

    // memory, counted in floats
    float *(*alloc)(size_t n);  // zero-filled; aborts when memory is exhausted
    void (*free)(float *p);
    void (*upload)(float *dst, const float *host_src, size_t n);
    void (*download)(float *host_dst, const float *src, size_t n);
    void (*copy)(float *dst, const float *src, size_t n);
    void (*zero)(float *p, size_t n);
    // bytes from the host into backend memory (from alloc: n floats hold 4 n bytes)
    void (*upload_bytes)(void *dst, const void *host_src, size_t bytes);

    // ops: see ops/ops.h for shapes and meaning. Where a backward op below
    // takes `acc`, it adds its input gradient into dinp as ops/ops.h's
    // definition does when acc is 1, and writes it (whatever dinp held) when
    // acc is 0: Net writes a gradient buffer's first contribution, saving the
    // pass that zeroes it and the read of the zeros.
    void (*conv2d_forward)(float *out, const float *inp, const float *w, const float *b,
                           int N, int C, int H, int W, int OC, int K, int S, int P);
    void (*conv2d_backward)(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w,
                            int N, int C, int H, int W, int OC, int K, int S, int P, int acc);
    void (*convt2d_forward)(float *out, const float *inp, const float *w, const float *b,
                            int N, int C, int H, int W, int OC, int K, int S, int P);
    void (*convt2d_backward)(float *dinp, float *dw, float *db, const float *dout,
                             const float *inp, const float *w,
                             int N, int C, int H, int W, int OC, int K, int S, int P, int acc);
    void (*batchnorm_forward_train)(float *out, float *save_mean, float *save_rstd,
                                    float *running_mean, float *running_var,
                                    const float *inp, const float *gamma, const float *beta,
                                    int N, int C, int HW, float eps, float momentum);
    void (*batchnorm_backward_train)(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                     const float *inp, const float *save_mean, const float *save_rstd,
                                     const float *gamma, int N, int C, int HW);
    void (*batchnorm_forward_eval)(float *out, const float *inp, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var,
                                   int N, int C, int HW, float eps);
    void (*batchnorm_backward_eval)(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                    const float *inp, const float *gamma,
                                    const float *running_mean, const float *running_var,
                                    int N, int C, int HW, float eps);
    // Synchronised batch norm (ops/ops.h): a batch spread over processes,
    // stats (2, C) doubles in backend memory (n doubles take 2 n floats of
    // alloc), summed over the processes by the caller between the halves.
    void (*batchnorm_stats)(double *stats, const float *inp, int N, int C, int HW);
    void (*batchnorm_forward_stats)(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                    float *running_var, const float *inp, const float *gamma, const float *beta,
                                    const double *stats, double M, int N, int C, int HW, float eps,
                                    float momentum, int act, float slope);
    void (*batchnorm_backward_stats)(double *stats, float *dgamma, float *dbeta, const float *dout,
                                     const float *out, float slope, const float *inp, const float *save_mean,
                                     const float *save_rstd, int N, int C, int HW);
    void (*batchnorm_backward_apply)(float *dinp, const float *dout, const float *out, float slope,
                                     const float *inp, const float *save_mean, const float *save_rstd,
                                     const float *gamma, const double *stats, double M, int N, int C, int HW);
    // Optional fusion (NULL: Net runs the two layers one after the other):
    // batch norm followed by ReLU (slope 0) or LeakyReLU (slope > 0) in one
    // pass, out = act(BN(inp)), training mode. The backward pass takes the
    // pair's output (the activation's mask is out > 0) and, with train = 1,
    // the saved batch mean and rstd, or with train = 0 the running mean and
    // running variance (evaluation mode, where Net runs the forward as
    // batch norm then the activation in place).
    void (*batchnorm_act_forward_train)(float *out, float *save_mean, float *save_rstd,
                                        float *running_mean, float *running_var,
                                        const float *inp, const float *gamma, const float *beta,
                                        int N, int C, int HW, float eps, float momentum, float slope);
    void (*batchnorm_act_backward)(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                   const float *out, const float *inp, const float *mean,
                                   const float *rstd_or_var, const float *gamma,
                                   int N, int C, int HW, float eps, float slope, int train, int acc);
    // Optional fusion (NULL: Net runs the two layers one after the other): a
    // convolution followed by ReLU (slope 0) or LeakyReLU (slope > 0), out =
    // act(conv(inp)), in one pass. Net keeps only out: the activation's
    // backward reads it in place of its input (same mask for slope >= 0).
    void (*conv2d_act_forward)(float *out, const float *inp, const float *w, const float *b,
                               int N, int C, int H, int W, int OC, int K, int S, int P, float slope);
    void (*layernorm_forward)(float *out, float *save_mean, float *save_rstd,
                              const float *inp, const float *gamma, const float *beta,
                              int N, int C, int HW, float eps);
    void (*layernorm_backward)(float *dinp, float *dgamma, float *dbeta, const float *dout,
                               const float *inp, const float *save_mean, const float *save_rstd,
                               const float *gamma, int N, int C, int HW);
    void (*layernorm_jvp)(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                          const float *save_rstd, const float *gamma, int N, int C, int HW);
    void (*layernorm_jvp_backward)(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                   const float *dout_t, const float *inp, const float *inp_t,
                                   const float *save_mean, const float *save_rstd, const float *gamma,
                                   int N, int C, int HW);
    void (*relu_forward)(float *out, const float *inp, size_t n);
    void (*relu_backward)(float *dinp, const float *dout, const float *inp, size_t n);
    void (*lrelu_forward)(float *out, const float *inp, size_t n, float slope);
    void (*lrelu_backward)(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc);
    void (*tanh_forward)(float *out, const float *inp, size_t n);
    void (*tanh_backward)(float *dinp, const float *dout, const float *out, size_t n);
    void (*prelu_forward)(float *out, const float *inp, const float *a, int N, int C, int HW);
    void (*prelu_backward)(float *dinp, float *da, const float *dout, const float *inp,
                           const float *a, int N, int C, int HW);
    void (*linear_forward)(float *out, const float *inp, const float *w, const float *b,
                           int N, int D, int OD);
    void (*linear_backward)(float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, int N, int D, int OD);
    void (*pixel_shuffle_forward)(float *out, const float *inp, int N, int C, int H, int W, int r);
    void (*pixel_shuffle_backward)(float *dinp, const float *dout, int N, int C, int H, int W, int r);
    void (*upsample_nearest_forward)(float *out, const float *inp, int N, int C, int H, int W, int s);
    void (*upsample_nearest_backward)(float *dinp, const float *dout, int N, int C, int H, int W, int s);
    void (*upsample_bicubic_forward)(float *out, const float *inp, int N, int C, int H, int W, int s);
    void (*upsample_bicubic_backward)(float *dinp, const float *dout, int N, int C, int H, int W, int s);
    void (*add_forward)(float *out, const float *a, const float *b, size_t n);
    void (*add_backward)(float *da, float *db, const float *dout, size_t n);
    void (*mean_batch_forward)(float *out, const float *inp, int N, int D);
    void (*mean_batch_backward)(float *dinp, const float *dout, int N, int D);
    void (*wgan_loss_forward)(float *loss, const float *score, int N, float sign);
    void (*wgan_loss_backward)(float *dscore, int N, float sign);
    void (*grad_penalty)(float *loss, float *dgrad, const float *grad, int N, size_t D, float lambda);
    void (*l1_loss_forward)(float *loss, const float *pred, const float *target, size_t n);
    void (*l1_loss_backward)(float *dpred, const float *pred, const float *target, size_t n);
    void (*mse_loss_forward)(float *loss, const float *pred, const float *target, size_t n);
    void (*mse_loss_backward)(float *dpred, const float *pred, const float *target, size_t n);
    void (*rmsprop_step)(float *p, float *sq, const float *g, size_t n,
                         double lr, double alpha, double eps);
    void (*adam_step)(float *p, float *m, float *v, const float *g, size_t n,
                      double lr, double beta1, double beta2, double eps, long t);
    void (*clip_weights)(float *p, size_t n, float c);
    // the training loop's data path (ops/ops.h): images gathered from bytes, the penalty's mix
    void (*images_from_bytes)(float *dst, const unsigned char *pixels, const unsigned *index, int n, size_t img);
    void (*lerp)(float *out, const float *a, const float *b, const float *alpha, int n, size_t img);
    // differentiable augmentation (DiffAugment) of plain NCHW images, params (N, AUG_PARAMS) in backend memory
    void (*augment_forward)(float *out, const float *inp, const float *params, int N, int C, int H, int W);
    void (*augment_backward)(float *dinp, const float *dout, const float *params, int N, int C, int H, int W);

    // Optional: NULL, or why this build's backend cannot run on this machine
    // (no device); backend_all() then leaves it out.
    const char *(*unavailable)(void);
    // Optional: one line about the hardware and libraries it runs on, for `fakeit backends`.
    void (*describe)(char *buf, size_t n);
    // Optional (NULL: fp32 only): switch to BACKEND_PRECISION_*; NULL on
    // success, else why this backend cannot (the caller reports it).
    const char *(*set_precision)(int precision);
    // Optional: the most device memory this process has held at once, in
    // bytes (benchmarks; NULL for host backends, whose memory the OS counts).
    size_t (*peak_bytes)(void);
    // Optional (NULL: nothing kept): Net declares its parameter block p (n
    // floats from alloc) once, after alloc. Until it is freed the block is
    // written only through upload, upload_bytes, copy, zero, rmsprop_step,
    // adam_step and clip_weights (never by host code directly, even where
    // host_memory is 1), so a backend may keep converted copies of the
    // weights in it (the cpu backend's bf16 convolutions: one conversion per
    // optimiser step, not one per use) and remake them after those writes.
    void (*declare_params)(float *p, size_t n);
    // Optional (all or none; NULL: sums over the processes of a data-parallel
    // job go through host memory): sums on the device (NCCL), bootstrapped by
    // dist_attach. comm_id fills BACKEND_COMM_ID_BYTES bytes on rank 0, every
    // rank joins with them; both return NULL, or why not. comm_sum adds n
    // floats (dbl 0) or doubles (dbl 1) in backend memory over the processes,
    // in place, in a fixed order (the same bits on every process).
    const char *(*comm_id)(void *id);
    const char *(*comm_join)(const void *id, int rank, int size);
    void (*comm_sum)(void *p, size_t n, int dbl);
} Backend;

enum { BACKEND_COMM_ID_BYTES = 128 };  // Backend.comm_id's identifier (NCCL's unique id)

// Arithmetic of the convolutions and matrix products. fp32 everywhere is the
// default and what the tests hold every backend to; tf32 and bf16 are opt-in
// speed modes (inputs rounded, fp32 accumulation, fp32 master weights).
enum { BACKEND_PRECISION_FP32, BACKEND_PRECISION_TF32, BACKEND_PRECISION_BF16 };
extern const char *const backend_precision_names[];  // "fp32", "tf32", "bf16", NULL

// The entries every backend fills, in the struct's order. The others are
// optional: blocked (NULL: every tensor plain NCHW; else to_native and
// to_plain too) and the batch-norm-and-activation fusion (both or neither).
#define BACKEND_REQUIRED(X)                                                                                     \
    X(set_threads) X(get_threads) X(alloc) X(free) X(upload) X(download) X(copy) X(zero) X(upload_bytes)       \
    X(conv2d_forward)                                                                                           \
    X(conv2d_backward) X(convt2d_forward) X(convt2d_backward) X(batchnorm_forward_train)                        \
    X(batchnorm_backward_train) X(batchnorm_forward_eval) X(batchnorm_backward_eval) X(batchnorm_stats)         \
    X(batchnorm_forward_stats) X(batchnorm_backward_stats) X(batchnorm_backward_apply) X(layernorm_forward)      \
    X(layernorm_backward) X(layernorm_jvp) X(layernorm_jvp_backward) X(relu_forward) X(relu_backward)          \
    X(lrelu_forward) X(lrelu_backward) X(tanh_forward) X(tanh_backward) X(prelu_forward) X(prelu_backward)     \
    X(linear_forward) X(linear_backward) X(pixel_shuffle_forward) X(pixel_shuffle_backward)                    \
    X(upsample_nearest_forward) X(upsample_nearest_backward) X(upsample_bicubic_forward)                       \
    X(upsample_bicubic_backward) X(add_forward) X(add_backward) X(mean_batch_forward) X(mean_batch_backward)   \
    X(wgan_loss_forward) X(wgan_loss_backward) X(grad_penalty) X(l1_loss_forward) X(l1_loss_backward)          \
    X(mse_loss_forward) X(mse_loss_backward) X(rmsprop_step) X(adam_step) X(clip_weights)                      \
    X(images_from_bytes) X(lerp) X(augment_forward) X(augment_backward)
#define BACKEND_OPTIONAL(X)                                                                                  \
    X(blocked) X(to_native) X(to_plain) X(batchnorm_act_forward_train) X(batchnorm_act_backward) X(unavailable) \
    X(conv2d_act_forward) X(describe) X(set_precision) X(peak_bytes) X(declare_params) X(comm_id) X(comm_join)    \
    X(comm_sum)

extern const Backend backend_ref;  // the reference: plain C, the oracle for all others (backend/ref.c)
#ifdef FAKEIT_HAVE_DNNL
extern const Backend backend_cpu;  // oneDNN convolutions, blocked layout (backend/cpu/)
#endif
#ifdef FAKEIT_HAVE_CUDA
// cuDNN, cuBLAS and fakeit's kernels on an NVIDIA GPU (backend/cuda/): the
// table of the module fakeit-cuda.so, which the registry loads when the
// backend may be used; programs never name it directly.
extern const Backend backend_cuda;
#endif

// Aborts (a broken invariant, with file:line) naming every required entry
// `be` leaves NULL, or an optional group it fills in part.
void backend_check(const Backend *be);
// backend_check on every backend of this build; the program runs it at
// start-up, and the registry before it hands out a backend.
void backend_check_all(void);

// Host-memory entries both CPU backends use (backend/host.c): OpenMP thread
// count, free, copy (also upload and download).
void host_set_threads(int n);
int host_get_threads(void);
void host_free(float *p);
void host_copy(float *dst, const float *src, size_t n);
void host_copy_bytes(void *dst, const void *src, size_t bytes);

// The usable backend called `name`, or NULL when this build has none by that
// name or it cannot run here.
const Backend *backend_find(const char *name);
// The fastest usable backend (cuda when built with it and a GPU answers, else
// cpu when built with oneDNN, else ref).
const Backend *backend_default(void);
// The backend called `name` (NULL: the default) with `threads` threads (0:
// leave as is) and `precision` ("fp32", "tf32", "bf16"; NULL: fp32), or NULL
// after printing why not (no such backend, cannot run here, no such precision).
const Backend *backend_pick(const char *name, int threads, const char *precision);
// Every backend this build has that can run here, NULL-terminated.
const Backend *const *backend_all(void);
// Every backend this build has, usable here or not, NULL-terminated (loads
// the CUDA module where it is built; one that cannot be loaded is left out:
// backend_unavailable("cuda") says why).
const Backend *const *backend_built(void);
// NULL when the backend called `name` can run here, else why not.
const char *backend_unavailable(const char *name);

#endif
