// cpu.h: what the CPU backend's files share (private to src/backend/cpu/;
// everything else reaches the backend through backend/backend.h).
#ifndef FAKEIT_CPU_H
#define FAKEIT_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend/backend.h"

// fp32 -> bf16, rounded to nearest even; a NaN stays a NaN. Branch-free, so
// loops of it vectorise.
static inline uint16_t cpu_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1)) >> 16, nan = (u >> 16) | 0x40;
    return (uint16_t)((int32_t)(u & 0x7fffffffu) > 0x7f800000 ? nan : rounded);
}

// ---- layout (blocked.c, dnnl.c)
#define MAX_BLK 16
// Channels per block: what oneDNN's convolutions want on this CPU (16 with
// AVX-512, 8 with AVX2, or FAKEIT_CPU_BLOCK), fixed by the first call of
// cpu_block_size().
extern int cpu_blk;
#define BLK cpu_blk
int cpu_block_size(void);
// 1 when an activation (C, H, W) is stored blocked: C a multiple of the block, more than one pixel.
int cpu_blocked(int C, int H, int W);
// plain (N, C, HW) <-> blocked (N, C/B, HW, B); `acc` adds instead of writing.
void cpu_blocked_to_plain(float *dst, const float *src, int N, int C, int HW, int acc);
void cpu_plain_to_blocked(float *dst, const float *src, int N, int C, int HW, int acc);

// ---- the convolution a pass runs on (gemm.c, xsmm.c). A Conv2d (C -> OC,
// H x W -> OH x OW) is itself; a ConvTranspose2d (C -> OC, H x W -> OH x OW)
// is the adjoint of the Conv2d (OC -> C, OH x OW -> H x W) whose weights
// (C, OC, K, K) are the transposed weights as fakeit stores them: its forward
// is that convolution's input gradient, its input gradient that one's forward,
// its weight gradient that one's with input and output gradient swapped.
typedef struct {
    int N, C, H, W, OC, OH, OW, K, S, P;
    int transposed;  // of a transposed convolution: its forward pass is this one's input gradient
} CpuConvEq;
CpuConvEq cpu_conv_equivalent(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P);

// ---- LIBXSMM convolutions (xsmm.c, built with FAKEIT_HAVE_XSMM); which
// library runs each pass is decided in dnnl.c
// 1 when LIBXSMM can run this convolution (transposed: ConvTranspose2d) on
// the backend's blocked layout, fp32; shapes as the ops' (ops/ops.h)
int cpu_xsmm_can(int transposed, int N, int C, int H, int W, int OC, int K, int S, int P);
// out = conv(inp, w), overwritten; no bias
void cpu_xsmm_forward(int transposed, float *out, const float *inp, const float *w, int N, int C, int H, int W,
                      int OC, int K, int S, int P);
// dinp += the input gradient of dout
void cpu_xsmm_backward_data(int transposed, float *dinp, const float *dout, const float *w, int N, int C, int H,
                            int W, int OC, int K, int S, int P);
// dw += the weight gradient of dout
void cpu_xsmm_backward_weights(int transposed, float *dw, const float *dout, const float *inp, int N, int C, int H,
                               int W, int OC, int K, int S, int P);

// ---- fakeit's own AVX-512 kernels (kernels.c), fp32, for the equivalent
// convolution when it is 4x4, stride 2, padding 1, H = 2 OH, W = 2 OW, both
// sides in the backend's blocks: of 16 on an AVX-512 CPU, or of 8 (their
// AVX2 form, fp32 only) on a CPU with AVX2 and FMA. On blocks of 16, forward
// and input gradient run in tiles of 8 output pixels, so they also want the
// output 8k wide, or 4 wide with OH even, or 2 wide with OH a multiple of 4
// (on blocks of 8, any output).
// cpu_own_can_fwd: the forward can run here (also OC a multiple of 2 blocks);
// y (+)= (acc) the convolution of x with w (OC, C, 4, 4), plus b (OC) when
// not NULL (not with acc), through LeakyReLU (slope; 0: ReLU) when act.
// cpu_own_can: the input gradient can (also C a multiple of 2 blocks); dx (+)=
// (acc) the input gradient of dy through w. Both use scratch slots 0 and 4.
// cpu_own_can_upd: the weight gradient can (OW >= 2, any output width);
// dw (OC, C, 4, 4) += the weight gradient of dy with input x.
// bf16: operands rounded to bf16, fp32 sums (AVX-512 BF16 and blocks of 16:
// cpu_own_bf16).
int cpu_own_can_fwd(const CpuConvEq *e);
void cpu_own_forward(float *y, const float *x, const float *w, const float *b, const CpuConvEq *e, int acc, int act,
                     float slope, int bf16);
int cpu_own_can(const CpuConvEq *e);
void cpu_own_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc, int bf16);
int cpu_own_bf16(void);
int cpu_own_can_upd(const CpuConvEq *e);
void cpu_own_backward_weights(float *dw, const float *dy, const float *x, const CpuConvEq *e);
// cpu_own_can_image: the same convolution with 1 to 3 input channels in the
// plain layout (an image) and OC a multiple of 16, blocked: its input
// gradient can run here, dx (+)= (acc) the input gradient of dy through w
// (fp32; uses scratch slot 0).
int cpu_own_can_image(const CpuConvEq *e);
void cpu_own_image_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc);
// cpu_own_can_dot: a convolution whose kernel covers its whole input (one
// output pixel, no padding), at most 16 output channels, its input blocked
// (any CPU): y (N, OC) = the convolution (no bias), dx += the input gradient,
// dw += the weight gradient, each in the input's own order (fp32; scratch
// slot 4 when w is not in a declared block).
int cpu_own_can_dot(const CpuConvEq *e);
void cpu_own_dot_forward(float *y, const float *x, const float *w, const CpuConvEq *e);
void cpu_own_dot_backward_data(float *dx, const float *dy, const float *w, const CpuConvEq *e, int acc);
void cpu_own_dot_backward_weights(float *dw, const float *dy, const float *x, const CpuConvEq *e);
// The same weight gradient on operands rounded to bf16, fp32 sums (AVX-512
// BF16, OW even as well); uses scratch slots 0, 1 and 4.
int cpu_own_can_upd_bf16(const CpuConvEq *e);
void cpu_own_backward_weights_bf16(float *dw, const float *dy, const float *x, const CpuConvEq *e);

// ---- convolutions as matrix products (gemm.c); same shapes, bf16: the
// matrix operands in bf16
void cpu_gemm_forward(int transposed, float *out, const float *inp, const float *w, int N, int C, int H, int W,
                      int OC, int K, int S, int P, int bf16);
void cpu_gemm_backward_data(int transposed, float *dinp, const float *dout, const float *w, int N, int C, int H,
                            int W, int OC, int K, int S, int P, int bf16, int acc);
void cpu_gemm_backward_weights(int transposed, float *dw, const float *dout, const float *inp, int N, int C, int H,
                               int W, int OC, int K, int S, int P, int bf16);
// c (M, N) (+)= a (M, K) x b (K, N) on oneDNN (dnnl.c), row-major, fp32 c;
// ta, tb: a, b stored transposed, (K, M), (N, K); acc: added to c; bf16: a
// and b are bf16 (uint16_t)
void cpu_matmul(float *c, const void *a, const void *b, int M, int K, int N, int ta, int tb, int acc, int bf16);

// ---- memory (cpu.c)
// 64-byte aligned, zeroed; aborts when memory is exhausted.
float *cpu_aligned(size_t bytes);
// A scratch buffer of at least n floats that lives as long as the process:
// one per slot, reused by every call. Contents are left over from earlier
// calls (cpu_scratch_zero clears them). An op must not use one slot for two
// buffers it needs at once.
enum { CPU_SCRATCH_STATS = 5, CPU_SCRATCH_SLOTS = 6 };  // slots 0-4: tensors (plain.c, gemm.c 0-3, kernels.c 4 and its bf16 weight gradient 0-1, dnnl.c's flipped weights 4); STATS: per-channel figures
float *cpu_scratch(int slot, size_t n);
float *cpu_scratch_zero(int slot, size_t n);

// ---- kept copies of weights (cpu.c). Net declares its parameter block
// (Backend.declare_params), which is then written only through the table's
// entries; each of them that writes memory calls cpu_written on what it
// writes. cpu_weight_copy: NULL when weights w (n floats) are not inside a
// declared block, else a buffer of `bytes` kept for them and `owner` (whoever
// fills it, standing for the layout it wants), with *stale = 1 when it must
// be (re)filled from w: the first time, and after anything wrote w.
void cpu_written(const void *p, size_t bytes);
void *cpu_weight_copy(const float *w, size_t n, const void *owner, size_t bytes, int *stale);

// ---- the ops of the table (see ops/ops.h for their meaning)
const char *cpu_set_precision(int p);  // BACKEND_PRECISION_*: fp32, or bf16 where the CPU has it
void cpu_conv2d_act_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H,
                            int W, int OC, int K, int S, int P, float slope);
void cpu_conv2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                        int OC, int K, int S, int P);
void cpu_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                         int C, int H, int W, int OC, int K, int S, int P, int acc);
void cpu_convt2d_forward(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                         int OC, int K, int S, int P);
void cpu_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                          int N, int C, int H, int W, int OC, int K, int S, int P, int acc);
void cpu_to_native(float *dst, const float *src, int N, int C, int H, int W, int acc);
void cpu_to_plain(float *dst, const float *src, int N, int C, int H, int W, int acc);
void cpu_batchnorm_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                 float *running_var, const float *inp, const float *gamma, const float *beta, int N,
                                 int C, int HW, float eps, float momentum);
void cpu_batchnorm_act_forward_train(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                     float *running_var, const float *inp, const float *gamma, const float *beta,
                                     int N, int C, int HW, float eps, float momentum, float slope);
void cpu_batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                  const float *save_mean, const float *save_rstd, const float *gamma, int N, int C,
                                  int HW);
void cpu_batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int N, int C, int HW, float eps);
void cpu_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                                 const float *gamma, const float *running_mean, const float *running_var, int N, int C,
                                 int HW, float eps);
void cpu_batchnorm_stats(double *stats, const float *inp, int N, int C, int HW);
void cpu_batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                                 float *running_var, const float *inp, const float *gamma, const float *beta,
                                 const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                                 int act, float slope);
void cpu_batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                                  float slope, const float *inp, const float *save_mean, const float *save_rstd,
                                  int N, int C, int HW);
void cpu_batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                                  const float *save_mean, const float *save_rstd, const float *gamma,
                                  const double *stats, double M, int N, int C, int HW);
void cpu_batchnorm_act_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                const float *inp, const float *mean, const float *rstd_or_var, const float *gamma,
                                int N, int C, int HW, float eps, float slope, int train, int acc);
void cpu_layernorm_forward(float *out, float *save_mean, float *save_rstd, const float *inp, const float *gamma,
                           const float *beta, int N, int C, int HW, float eps);
void cpu_layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                            const float *save_mean, const float *save_rstd, const float *gamma, int N, int C, int HW);
void cpu_layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                       const float *save_rstd, const float *gamma, int N, int C, int HW);
void cpu_layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                                const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                                const float *gamma, int N, int C, int HW);
void cpu_prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW);
void cpu_prelu_backward(float *dinp, float *da, const float *dout, const float *inp, const float *a, int N, int C,
                        int HW);
void cpu_pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r);
void cpu_pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r);
void cpu_upsample_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void cpu_upsample_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);
void cpu_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void cpu_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);
void cpu_relu_forward(float *out, const float *inp, size_t n);
void cpu_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void cpu_lrelu_forward(float *out, const float *inp, size_t n, float slope);
void cpu_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc);
void cpu_tanh_forward(float *out, const float *inp, size_t n);
void cpu_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void cpu_add_forward(float *out, const float *a, const float *b, size_t n);
void cpu_l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n);
void cpu_rmsprop_step(float *p, float *sq, const float *g, size_t n, double lr, double alpha, double eps);
void cpu_adam_step(float *p, float *m, float *v, const float *g, size_t n, double lr, double beta1, double beta2,
                   double eps, long t);
void cpu_clip_weights(float *p, size_t n, float c);

#endif
