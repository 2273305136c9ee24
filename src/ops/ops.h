// ops.h: the reference operations, the definition of what every op means.
//
// Plain C over raw float pointers with explicit sizes. Tensors are dense,
// row-major, batch first. Dimension letters, used everywhere in fakeit:
//   N batch, C input channels, H W input height and width,
//   OC output channels, OH OW output height and width,
//   K kernel size (square), S stride, P zero padding (both sides),
//   D features of a flattened sample.
//
// Conventions every backend keeps:
//   - forward functions overwrite their output;
//   - backward functions ACCUMULATE (+=) into every gradient pointer given,
//     like PyTorch's .grad, so a critic's real and fake passes sum into one
//     gradient and a residual input receives the sum of both paths;
//   - a NULL gradient pointer means "not wanted" and is never touched: that is
//     how a generator step gets dL/d(fake) through a frozen critic without
//     touching the critic's gradients;
//   - every loop that reduces is ordered so that each output element is summed
//     by one thread in a fixed order: results do not depend on thread count.
//
// WGAN-GP: the penalty's gradient with respect to the critic's parameters is
// taken exactly (no finite differences) by the reverse of the critic's tangent
// map along v = d penalty / d(input gradient) (Pearlmutter's R-operator):
// one more forward-like pass of the same layers on v (conv2d_forward with
// b = NULL, LeakyReLU masks via lrelu_backward on the saved pre-activations,
// layernorm_jvp), then weight-gradient products (conv2d_backward with
// dinp = NULL) and layer norm's second-order terms (layernorm_jvp_backward).
// net_penalty_backward (net.h) strings them together.
#ifndef FAKEIT_OPS_H
#define FAKEIT_OPS_H

#include <stddef.h>

// Output size of a convolution / transposed convolution along one axis.
static inline int conv_out_size(int in, int K, int S, int P) { return (in + 2 * P - K) / S + 1; }
static inline int convt_out_size(int in, int K, int S, int P) { return (in - 1) * S - 2 * P + K; }

// ---- convolution (PyTorch Conv2d, cross-correlation) -----------------------
// inp (N, C, H, W), w (OC, C, K, K), b (OC) or NULL, out (N, OC, OH, OW)
void conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                    int N, int C, int H, int W, int OC, int K, int S, int P);
void conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w,
                     int N, int C, int H, int W, int OC, int K, int S, int P);

// ---- transposed convolution (PyTorch ConvTranspose2d, no output padding) ---
// inp (N, C, H, W), w (C, OC, K, K), b (OC) or NULL, out (N, OC, OH, OW)
// with OH = (H - 1) * S - 2P + K.
void convt2d_forward(float *out, const float *inp, const float *w, const float *b,
                     int N, int C, int H, int W, int OC, int K, int S, int P);
void convt2d_backward(float *dinp, float *dw, float *db, const float *dout,
                      const float *inp, const float *w,
                      int N, int C, int H, int W, int OC, int K, int S, int P);

// ---- batch normalisation over (N, H, W) per channel ------------------------
// inp, out (N, C, HW); gamma, beta (C); running_mean, running_var (C);
// save_mean, save_rstd (C): batch statistics kept for the backward pass.
// Training: normalise with the batch mean and biased variance, then update
// running_mean and running_var (unbiased) with `momentum`, as PyTorch.
void batchnorm_forward_train(float *out, float *save_mean, float *save_rstd,
                             float *running_mean, float *running_var,
                             const float *inp, const float *gamma, const float *beta,
                             int N, int C, int HW, float eps, float momentum);
void batchnorm_backward_train(float *dinp, float *dgamma, float *dbeta, const float *dout,
                              const float *inp, const float *save_mean, const float *save_rstd,
                              const float *gamma, int N, int C, int HW);
// Eval: normalise with the running statistics.
void batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var,
                            int N, int C, int HW, float eps);
void batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const float *inp, const float *gamma,
                             const float *running_mean, const float *running_var,
                             int N, int C, int HW, float eps);

// Synchronised batch norm: one batch spread over several processes (or any
// parts), each op running on its part of N samples, M values per channel in
// the whole batch. The caller sums `stats` over the parts between the two
// halves of each pass (an all-reduce), so every part normalises with the
// whole batch's statistics, as batchnorm_forward_train / _backward_train on
// the whole batch would, up to summation order. stats (2, C) in double.
// With `act` (forward) or `out` (backward) the pair's ReLU (slope 0) or
// LeakyReLU follows, as Backend.batchnorm_act_*: the backward's mask is out > 0.
// Forward, 1: stats = (sum of x, sum of x^2) of this part.
void batchnorm_stats(double *stats, const float *inp, int N, int C, int HW);
// Forward, 2: mean = stats[c] / M, var = stats[C + c] / M - mean^2 (biased),
// then exactly as batchnorm_forward_train from mean and var (running
// statistics updated with the unbiased variance of all M values).
void batchnorm_forward_stats(float *out, float *save_mean, float *save_rstd, float *running_mean,
                             float *running_var, const float *inp, const float *gamma, const float *beta,
                             const double *stats, double M, int N, int C, int HW, float eps, float momentum,
                             int act, float slope);
// Backward, 1: stats = (sum of dy, sum of dy * xhat) of this part, where dy
// is dout masked by the activation when `out` is given; dgamma and dbeta
// (when given) ACCUMULATE this part's sums, as batchnorm_backward_train (the
// parts' parameter gradients are summed with the rest of the gradients).
void batchnorm_backward_stats(double *stats, float *dgamma, float *dbeta, const float *dout, const float *out,
                              float slope, const float *inp, const float *save_mean, const float *save_rstd,
                              int N, int C, int HW);
// Backward, 2: dinp += gamma rstd (dy - stats[c] / M - xhat stats[C + c] / M).
void batchnorm_backward_apply(float *dinp, const float *dout, const float *out, float slope, const float *inp,
                              const float *save_mean, const float *save_rstd, const float *gamma,
                              const double *stats, double M, int N, int C, int HW);

// ---- layer normalisation over (C, H, W) per sample, per-channel affine ----
// inp, out (N, C, HW); gamma, beta (C); save_mean, save_rstd (N).
void layernorm_forward(float *out, float *save_mean, float *save_rstd,
                       const float *inp, const float *gamma, const float *beta,
                       int N, int C, int HW, float eps);
void layernorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *inp, const float *save_mean, const float *save_rstd,
                        const float *gamma, int N, int C, int HW);

// Tangent map of layernorm_forward: out_t = d out along inp_t (N, C, HW),
// from the saved statistics. Overwrites out_t.
void layernorm_jvp(float *out_t, const float *inp_t, const float *inp, const float *save_mean,
                   const float *save_rstd, const float *gamma, int N, int C, int HW);
// The reverse of (out, out_t) = (layernorm(inp), layernorm_jvp(inp_t)) with
// respect to inp, gamma and beta, given the adjoints dout (of out; NULL for
// zero) and dout_t (of out_t). Accumulates. The adjoint of inp_t is
// layernorm_backward of dout_t and is not computed here.
void layernorm_jvp_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *dout_t,
                            const float *inp, const float *inp_t, const float *save_mean, const float *save_rstd,
                            const float *gamma, int N, int C, int HW);

// ---- activations, element-wise over n values -------------------------------
// Backward passes take the forward input (ReLU, LeakyReLU, PReLU) or output
// (Tanh); the derivative at exactly 0 is the negative side's, as PyTorch.
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void lrelu_forward(float *out, const float *inp, size_t n, float slope);
void lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope);
void tanh_forward(float *out, const float *inp, size_t n);
void tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
// PReLU with one slope per channel: inp, out (N, C, HW); a (C).
void prelu_forward(float *out, const float *inp, const float *a, int N, int C, int HW);
void prelu_backward(float *dinp, float *da, const float *dout, const float *inp,
                    const float *a, int N, int C, int HW);

// ---- fully connected: out = inp w^T + b ------------------------------------
// inp (N, D), w (OD, D), b (OD) or NULL, out (N, OD)
void linear_forward(float *out, const float *inp, const float *w, const float *b,
                    int N, int D, int OD);
void linear_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, int N, int D, int OD);

// ---- resampling ------------------------------------------------------------
// Pixel shuffle (depth-to-space) by r: inp (N, C*r*r, H, W) -> out (N, C, H*r, W*r),
// out[n, c, h*r+i, w*r+j] = inp[n, c*r*r + i*r + j, h, w].
void pixel_shuffle_forward(float *out, const float *inp, int N, int C, int H, int W, int r);
void pixel_shuffle_backward(float *dinp, const float *dout, int N, int C, int H, int W, int r);
// Nearest-neighbour upsampling by an integer factor s:
// inp (N, C, H, W) -> out (N, C, H*s, W*s).
void upsample_nearest_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void upsample_nearest_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);
// Bicubic upsampling by an integer factor s: Keys' cubic with a = -0.5
// (MATLAB's imresize; PyTorch's "bicubic" uses -0.75), separable, centres
// aligned (output o samples input (o + 0.5) / s - 0.5), edge pixels
// replicated: inp (N, C, H, W) -> out (N, C, H*s, W*s).
void upsample_bicubic_forward(float *out, const float *inp, int N, int C, int H, int W, int s);
void upsample_bicubic_backward(float *dinp, const float *dout, int N, int C, int H, int W, int s);
// Its taps along one axis: output position o of n inputs enlarged to on
// reads inputs idx[0..3] with weights wt[0..3] (shared with img_resize_bicubic).
void bicubic_taps(int o, int n, int on, int idx[4], double wt[4]);

// ---- element-wise add (residual connections) and batch mean ----------------
void add_forward(float *out, const float *a, const float *b, size_t n);
void add_backward(float *da, float *db, const float *dout, size_t n);
// inp (N, D) -> out (D), the mean over the batch.
void mean_batch_forward(float *out, const float *inp, int N, int D);
void mean_batch_backward(float *dinp, const float *dout, int N, int D);

// ---- the training loop's data path ----------------------------------------
// Images from bytes: dst (n, img) gets images index[0..n-1] of `pixels`
// (img bytes each), every byte v as (v / 255 - 0.5) / 0.5, in [-1, 1].
void images_from_bytes(float *dst, const unsigned char *pixels, const unsigned *index, int n, size_t img);
// The penalty's mix: out (n, img) = alpha[b] a + (1 - alpha[b]) b per sample
// b; out may be a.
void lerp(float *out, const float *a, const float *b, const float *alpha, int n, size_t img);

// ---- differentiable augmentation (DiffAugment, Zhao et al. 2020) -----------
// The same kind of random change applied to real and fake images on their way
// into the critic, differentiable so that the generator learns through it.
// inp, out (N, C, H, W); params (N, AUG_PARAMS), one row per sample, drawn by
// the trainer (gan/augment.c), in the op's memory:
//   AUG_BRIGHT b:   x1 = x + b
//   AUG_SAT s:      x2 = (x1 - m1) s + m1, m1 the mean of x1 over the channels
//                   at each pixel
//   AUG_CONTRAST c: x3 = (x2 - m2) c + m2, m2 the mean of x2 over the sample
//   AUG_DX, AUG_DY: out[c][h][w] = x3[c][h - dy][w - dx], 0 where that falls
//                   outside (integers held as floats)
//   AUG_CUT_X, AUG_CUT_Y, AUG_CUT: out = 0 on the square of side AUG_CUT
//                   whose top-left corner is (x, y), clipped to the image
// A row (0, 1, 1, 0, 0, 0, 0, 0) leaves the sample as it is. Sums over a
// sample are taken in double. out must not be inp.
enum { AUG_BRIGHT, AUG_SAT, AUG_CONTRAST, AUG_DX, AUG_DY, AUG_CUT_X, AUG_CUT_Y, AUG_CUT, AUG_PARAMS };
void augment_forward(float *out, const float *inp, const float *params, int N, int C, int H, int W);
// dinp (N, C, H, W) += the gradient of the loss with respect to inp, given
// dout (N, C, H, W) with respect to out (the parameters are not learned).
void augment_backward(float *dinp, const float *dout, const float *params, int N, int C, int H, int W);

// ---- losses: each writes the scalar loss to *loss (one float) ---------------
// WGAN score: loss = sign * mean(score), score (N) the critic's per-sample
// output. Critic loss (minimised) = D(real) - D(fake): wgan_loss(real, +1)
// plus wgan_loss(fake, -1), in separate passes; generator loss = wgan_loss(fake, +1).
// -(critic loss) is the Wasserstein estimate.
void wgan_loss_forward(float *loss, const float *score, int N, float sign);
void wgan_loss_backward(float *dscore, int N, float sign);
// WGAN-GP penalty: loss = lambda * mean_n (||grad_n||_2 - 1)^2 over the
// critic's input gradients grad (N, D); dgrad (N, D) += its gradient, or NULL.
void grad_penalty(float *loss, float *dgrad, const float *grad, int N, size_t D, float lambda);
// Mean absolute / mean squared error over n values; gradient wrt pred.
void l1_loss_forward(float *loss, const float *pred, const float *target, size_t n);
void l1_loss_backward(float *dpred, const float *pred, const float *target, size_t n);
void mse_loss_forward(float *loss, const float *pred, const float *target, size_t n);
void mse_loss_backward(float *dpred, const float *pred, const float *target, size_t n);

// ---- optimisers over a whole parameter block of n floats --------------------
// PyTorch semantics, no weight decay. RMSprop: alpha, eps 1e-8, no momentum;
// sq (n) is square_avg. Adam: m, v (n) first and second moments, t the step
// number starting at 1 (bias correction).
// Hyperparameters are doubles, as in PyTorch, and are rounded to float the
// way PyTorch rounds its Python scalars (1 - alpha is formed in double).
void rmsprop_step(float *p, float *sq, const float *g, size_t n,
                  double lr, double alpha, double eps);
void adam_step(float *p, float *m, float *v, const float *g, size_t n,
               double lr, double beta1, double beta2, double eps, long t);
void clip_weights(float *p, size_t n, float c);  // clamp to [-c, c]

#endif
