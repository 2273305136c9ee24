// ref.c: the reference backend: host memory and the ops of ops/ops.h as they are.
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "ops/ops.h"
#include "util/util.h"

static float *ref_alloc(size_t n) { return fk_calloc(n, sizeof(float)); }
static void ref_zero(float *p, size_t n) {
    if (n) memset(p, 0, n * sizeof(float));
}

// The backward ops that may write their input gradient (backend.h: acc 0)
// zero it first and then add, as ops/ops.h defines them.
static void ref_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                const float *w, int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    if (dinp && !acc) ref_zero(dinp, (size_t)N * C * H * W);
    conv2d_backward(dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P);
}
static void ref_convt2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                 const float *w, int N, int C, int H, int W, int OC, int K, int S, int P, int acc) {
    if (dinp && !acc) ref_zero(dinp, (size_t)N * C * H * W);
    convt2d_backward(dinp, dw, db, dout, inp, w, N, C, H, W, OC, K, S, P);
}
static void ref_lrelu_backward(float *dinp, const float *dout, const float *inp, size_t n, float slope, int acc) {
    if (!acc) ref_zero(dinp, n);
    lrelu_backward(dinp, dout, inp, n, slope);
}

const Backend backend_ref = {
    .name = "ref",
    .description = "reference: plain C with OpenMP, the definition every other backend is tested against",
    .host_memory = 1,
    .set_threads = host_set_threads,
    .get_threads = host_get_threads,
    .alloc = ref_alloc,
    .free = host_free,
    .upload = host_copy,
    .download = host_copy,
    .copy = host_copy,
    .upload_bytes = host_copy_bytes,
    .zero = ref_zero,
    .conv2d_forward = conv2d_forward,
    .conv2d_backward = ref_conv2d_backward,
    .convt2d_forward = convt2d_forward,
    .convt2d_backward = ref_convt2d_backward,
    .batchnorm_forward_train = batchnorm_forward_train,
    .batchnorm_backward_train = batchnorm_backward_train,
    .batchnorm_forward_eval = batchnorm_forward_eval,
    .batchnorm_backward_eval = batchnorm_backward_eval,
    .batchnorm_stats = batchnorm_stats,
    .batchnorm_forward_stats = batchnorm_forward_stats,
    .batchnorm_backward_stats = batchnorm_backward_stats,
    .batchnorm_backward_apply = batchnorm_backward_apply,
    .layernorm_forward = layernorm_forward,
    .layernorm_backward = layernorm_backward,
    .layernorm_jvp = layernorm_jvp,
    .layernorm_jvp_backward = layernorm_jvp_backward,
    .relu_forward = relu_forward,
    .relu_backward = relu_backward,
    .lrelu_forward = lrelu_forward,
    .lrelu_backward = ref_lrelu_backward,
    .tanh_forward = tanh_forward,
    .tanh_backward = tanh_backward,
    .prelu_forward = prelu_forward,
    .prelu_backward = prelu_backward,
    .linear_forward = linear_forward,
    .linear_backward = linear_backward,
    .pixel_shuffle_forward = pixel_shuffle_forward,
    .pixel_shuffle_backward = pixel_shuffle_backward,
    .upsample_nearest_forward = upsample_nearest_forward,
    .upsample_nearest_backward = upsample_nearest_backward,
    .upsample_bicubic_forward = upsample_bicubic_forward,
    .upsample_bicubic_backward = upsample_bicubic_backward,
    .add_forward = add_forward,
    .add_backward = add_backward,
    .mean_batch_forward = mean_batch_forward,
    .mean_batch_backward = mean_batch_backward,
    .wgan_loss_forward = wgan_loss_forward,
    .wgan_loss_backward = wgan_loss_backward,
    .grad_penalty = grad_penalty,
    .l1_loss_forward = l1_loss_forward,
    .l1_loss_backward = l1_loss_backward,
    .mse_loss_forward = mse_loss_forward,
    .mse_loss_backward = mse_loss_backward,
    .rmsprop_step = rmsprop_step,
    .adam_step = adam_step,
    .clip_weights = clip_weights,
    .images_from_bytes = images_from_bytes,
    .lerp = lerp,
    .augment_forward = augment_forward,
    .augment_backward = augment_backward,
};
