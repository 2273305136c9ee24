// test_oracle.c: fakeit's networks against PyTorch, tensor by tensor.
//
// tests/fixtures/engine.safetensors holds what tests/oracle.py computed with
// PyTorch: the reference DCGAN generator and critic (64x64, widths 8,
// batch 3), a small super-resolution net and a layer-norm critic, with fixed
// weights and inputs; outputs, losses, every parameter gradient, input
// gradients, running statistics, and the weights after 3 RMSprop-with-clipping
// steps and 3 Adam steps. Here the same is computed by fakeit on one backend
// (argv[2], default all) and compared with |a - b| <= atol + rtol |ref|.
//
// usage: test_oracle FIXTURE [BACKEND] [THREADS]
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "nn/dcgan.h"
#include "nn/net.h"
#include "nn/optimizer.h"
#include "nn/safetensors.h"
#include "util/util.h"
#include "testlib.h"

#define ATOL 1e-5
#define RTOL 1e-4

enum { ISIZE = 64, NZ = 16, NC = 3, NGF = 8, NDF = 8, BATCH = 3 };

static StFile fx;
static const char *be_name;

static const StTensor *fixture(const char *name) {
    const StTensor *t = st_find(&fx, name);
    FK_CHECK(t && t->dtype == ST_F32, "fixture has no F32 tensor '%s' (regenerate with make fixtures)", name);
    return t;
}

// A fixture tensor copied into backend memory.
static float *fixture_dev(const Backend *be, const char *name, size_t expect) {
    const StTensor *t = fixture(name);
    FK_CHECK(st_numel(t) == expect, "fixture '%s' has %zu values, expected %zu", name, st_numel(t), expect);
    float *d = be->alloc(expect);
    be->upload(d, (const float *)t->data, expect);
    return d;
}

// Compares n values in backend memory with fixture tensor `name`.
static void compare(const Backend *be, const char *label, const float *dev, size_t n, const char *name) {
    const StTensor *t = fixture(name);
    FK_CHECK(st_numel(t) == n, "fixture '%s' has %zu values, expected %zu", name, st_numel(t), n);
    float *host = fk_malloc(n * sizeof(float));
    be->download(host, dev, n);
    char what[160];
    snprintf(what, sizeof what, "[%s] %s", be_name, label);
    tl_close(what, host, (const float *)t->data, n, ATOL, RTOL);
    free(host);
}

static void compare_scalar(const char *label, float got, const char *name) {
    char what[160];
    snprintf(what, sizeof what, "[%s] %s", be_name, label);
    tl_close(what, &got, (const float *)fixture(name)->data, 1, ATOL, RTOL);
}

// Loads every parameter and buffer of `net` from "<prefix><tensor name>".
static void load_net(Net *net, const char *prefix) {
    for (int i = 0; i < net->n_tensors; i++) {
        const NetTensor *t = &net->tensors[i];
        char key[160];
        snprintf(key, sizeof key, "%s%s", prefix, t->name);
        const StTensor *s = fixture(key);
        FK_CHECK(s->ndim == t->ndim, "'%s': fixture has %d dims, net %d", key, s->ndim, t->ndim);
        for (int d = 0; d < t->ndim; d++)
            FK_CHECK(s->shape[d] == t->dims[d], "'%s': dim %d is %lld in the fixture, %d in the net", key, d,
                     (long long)s->shape[d], t->dims[d]);
        net->be->upload(net_tensor_data(net, t), (const float *)s->data, net_tensor_size(t));
    }
}

// Compares every tensor of `net` of the given role with "<prefix><name>";
// grads=1 compares the gradient block instead of the parameters.
static void compare_net(Net *net, const char *prefix, TensorRole role, int grads) {
    for (int i = 0; i < net->n_tensors; i++) {
        const NetTensor *t = &net->tensors[i];
        if (t->role != role) continue;
        char key[160];
        snprintf(key, sizeof key, "%s%s", prefix, t->name);
        const float *dev = grads ? net->grads + t->off : net_tensor_data(net, t);
        compare(net->be, key, dev, net_tensor_size(t), key);
    }
}

static float loss_value(const Backend *be, const float *dev_loss) {
    float v;
    be->download(&v, dev_loss, 1);
    return v;
}

// ---------------------------------------------------------------------------

static void test_dcgan(const Backend *be) {
    const size_t img = (size_t)BATCH * NC * ISIZE * ISIZE;
    Net *G = dcgan_generator(be, ISIZE, NZ, NC, NGF, 0, DCGAN_NORM_BATCH);
    Net *D = dcgan_critic(be, ISIZE, NC, NDF, 0, DCGAN_NORM_BATCH);
    tl_check(G->n_tensors == 21 && D->n_tensors == 17, "[%s] DCGAN tensor counts G %d D %d", be_name,
             G->n_tensors, D->n_tensors);
    net_set_batch(G, BATCH);
    net_set_batch(D, BATCH);
    float *real = fixture_dev(be, "real", img);
    float *z = fixture_dev(be, "z", (size_t)BATCH * NZ);
    float *loss = be->alloc(1), *dscore = be->alloc(BATCH);
    float *dreal = be->alloc(img), *dfake = be->alloc(img), *fake = be->alloc(img);

    // 1. one critic step and one generator step, every gradient
    load_net(G, "G.init.");
    load_net(D, "D.init.");
    net_zero_grads(G);
    net_zero_grads(D);
    be->copy(fake, net_forward(G, z, BATCH), img);
    compare(be, "G(z)", fake, img, "G.fake");

    const float *s = net_forward(D, real, BATCH);
    compare(be, "D(real) per-sample scores", s, BATCH, "D.score_real");
    be->wgan_loss_forward(loss, s, BATCH, +1.0f);
    float err_real = loss_value(be, loss);
    be->zero(dscore, BATCH);
    be->wgan_loss_backward(dscore, BATCH, +1.0f);
    net_backward(D, dscore, dreal, 1);
    compare(be, "dLoss_D/d(real)", dreal, img, "D.dreal");

    s = net_forward(D, fake, BATCH);
    compare(be, "D(fake) per-sample scores", s, BATCH, "D.score_fake");
    be->wgan_loss_forward(loss, s, BATCH, -1.0f);
    compare_scalar("Loss_D = D(real) - D(fake)", err_real + loss_value(be, loss), "D.loss");
    be->zero(dscore, BATCH);
    be->wgan_loss_backward(dscore, BATCH, -1.0f);
    net_backward(D, dscore, NULL, 1);
    compare_net(D, "D.grad.", NET_PARAM, 1);

    // generator step through the frozen critic: D's gradients must not move
    float *dgrads_before = fk_malloc(D->n_params * sizeof(float));
    float *dgrads_after = fk_malloc(D->n_params * sizeof(float));
    be->download(dgrads_before, D->grads, D->n_params);
    const float *fake2 = net_forward(G, z, BATCH);
    s = net_forward(D, fake2, BATCH);
    be->wgan_loss_forward(loss, s, BATCH, +1.0f);
    compare_scalar("Loss_G = D(G(z))", loss_value(be, loss), "G.loss");
    be->zero(dscore, BATCH);
    be->wgan_loss_backward(dscore, BATCH, +1.0f);
    be->zero(dfake, img);
    net_backward(D, dscore, dfake, 0);
    compare(be, "dLoss_G/d(fake)", dfake, img, "G.dfake");
    be->download(dgrads_after, D->grads, D->n_params);
    tl_check(memcmp(dgrads_before, dgrads_after, D->n_params * sizeof(float)) == 0,
             "[%s] generator step leaves the frozen critic's gradients untouched", be_name);
    free(dgrads_before);
    free(dgrads_after);
    net_backward(G, dfake, NULL, 1);
    compare_net(G, "G.grad.", NET_PARAM, 1);
    compare_net(G, "G.after.", NET_BUFFER, 0);
    compare_net(D, "D.after.", NET_BUFFER, 0);

    // 2. three critic steps: clip to +-0.01, Loss_D backward, RMSprop 5e-5
    load_net(G, "G.init.");
    load_net(D, "D.init.");
    be->zero(net_opt_state(D, 1), D->n_params);
    Optim rms = optim_rmsprop(5e-5);
    be->copy(fake, net_forward(G, z, BATCH), img);
    float losses[3];
    for (int step = 0; step < 3; step++) {
        net_clip_weights(D, 0.01f);
        net_zero_grads(D);
        s = net_forward(D, real, BATCH);
        be->wgan_loss_forward(loss, s, BATCH, +1.0f);
        losses[step] = loss_value(be, loss);
        be->zero(dscore, BATCH);
        be->wgan_loss_backward(dscore, BATCH, +1.0f);
        net_backward(D, dscore, NULL, 1);
        s = net_forward(D, fake, BATCH);
        be->wgan_loss_forward(loss, s, BATCH, -1.0f);
        losses[step] += loss_value(be, loss);
        be->zero(dscore, BATCH);
        be->wgan_loss_backward(dscore, BATCH, -1.0f);
        net_backward(D, dscore, NULL, 1);
        optim_step(&rms, D);
    }
    {
        char what[64];
        snprintf(what, sizeof what, "[%s] Loss_D over 3 RMSprop steps", be_name);
        tl_close(what, losses, (const float *)fixture("D.rms.loss")->data, 3, ATOL, RTOL);
    }
    compare_net(D, "D.rms.", NET_PARAM, 0);
    compare_net(D, "D.rms.", NET_BUFFER, 0);

    // 3. three generator steps: Adam 1e-3 (0.5, 0.999) through the frozen critic
    load_net(G, "G.init.");
    load_net(D, "D.init.");
    be->zero(net_opt_state(G, 2), 2 * G->n_params);
    Optim adam = optim_adam(1e-3, 0.5, 0.999);
    for (int step = 0; step < 3; step++) {
        net_zero_grads(G);
        const float *f = net_forward(G, z, BATCH);
        s = net_forward(D, f, BATCH);
        be->wgan_loss_forward(loss, s, BATCH, +1.0f);
        losses[step] = loss_value(be, loss);
        be->zero(dscore, BATCH);
        be->wgan_loss_backward(dscore, BATCH, +1.0f);
        be->zero(dfake, img);
        net_backward(D, dscore, dfake, 0);
        net_backward(G, dfake, NULL, 1);
        optim_step(&adam, G);
    }
    {
        char what[64];
        snprintf(what, sizeof what, "[%s] Loss_G over 3 Adam steps", be_name);
        tl_close(what, losses, (const float *)fixture("G.adam.loss")->data, 3, ATOL, RTOL);
    }
    compare_net(G, "G.adam.", NET_PARAM, 0);
    compare_net(G, "G.adam.", NET_BUFFER, 0);
    G->training = 0;
    compare(be, "G(z) in eval mode (running statistics)", net_forward(G, z, BATCH), img, "G.eval_out");

    be->free(real), be->free(z), be->free(loss), be->free(dscore);
    be->free(dreal), be->free(dfake), be->free(fake);
    net_free(G);
    net_free(D);
}

// The small super-resolution net of tests/oracle.py.
static void test_sr(const Backend *be) {
    enum { N = 2, H = 10 };
    Net *sr = net_create(be, 3, H, H);
    int head = net_conv2d(sr, NET_INPUT, "head", 8, 9, 1, 4, 1);
    int h = net_prelu(sr, head, "head_act");
    net_conv2d(sr, h, "body1", 8, 3, 1, 1, 1);
    net_prelu(sr, NET_PREV, "body_act");
    int b2 = net_conv2d(sr, NET_PREV, "body2", 8, 3, 1, 1, 1);
    int r = net_add(sr, b2, h, "residual");
    net_conv2d(sr, r, "up", 12, 3, 1, 1, 1);
    int ps = net_pixel_shuffle(sr, NET_PREV, "shuffle", 2);
    int skip = net_upsample(sr, NET_INPUT, "skip", 2, UPSAMPLE_NEAREST);
    net_add(sr, ps, skip, "out");
    net_finish(sr);
    net_set_batch(sr, N);
    load_net(sr, "SR.init.");
    net_zero_grads(sr);

    const size_t nin = (size_t)N * 3 * H * H, nout = nin * 4;
    float *x = fixture_dev(be, "SR.x", nin), *target = fixture_dev(be, "SR.target", nout);
    float *loss = be->alloc(1), *dy = be->alloc(nout), *dx = be->alloc(nin);
    const float *y = net_forward(sr, x, N);
    compare(be, "SR(x)", y, nout, "SR.out");
    be->l1_loss_forward(loss, y, target, nout);
    compare_scalar("SR L1 loss", loss_value(be, loss), "SR.l1");
    be->mse_loss_forward(loss, y, target, nout);
    compare_scalar("SR MSE loss", loss_value(be, loss), "SR.mse");
    be->mse_loss_backward(dy, y, target, nout);
    compare(be, "dMSE/d(SR(x))", dy, nout, "SR.dmse");
    be->zero(dy, nout);
    be->l1_loss_backward(dy, y, target, nout);
    net_backward(sr, dy, dx, 1);
    compare(be, "dL1/dx (through skip and body)", dx, nin, "SR.dx");
    compare_net(sr, "SR.grad.", NET_PARAM, 1);
    be->free(x), be->free(target), be->free(loss), be->free(dy), be->free(dx);
    net_free(sr);
}

// Bicubic upsampling x2 and x4 against tests/oracle.py's matrix form.
static void test_bicubic(const Backend *be) {
    enum { N = 2, C = 3, H = 6, W = 5 };
    const size_t nin = (size_t)N * C * H * W;
    float *x = fixture_dev(be, "BIC.x", nin), *dx = be->alloc(nin);
    for (int s = 2; s <= 4; s += 2) {
        const size_t nout = nin * s * s;
        char name[32], label[64];
        snprintf(name, sizeof name, "BIC.dy%d", s);
        float *dy = fixture_dev(be, name, nout), *y = be->alloc(nout);
        be->upsample_bicubic_forward(y, x, N, C, H, W, s);
        snprintf(name, sizeof name, "BIC.out%d", s), snprintf(label, sizeof label, "bicubic upsample x%d", s);
        compare(be, label, y, nout, name);
        be->zero(dx, nin);
        be->upsample_bicubic_backward(dx, dy, N, C, H, W, s);
        snprintf(name, sizeof name, "BIC.dx%d", s), snprintf(label, sizeof label, "bicubic upsample x%d backward", s);
        compare(be, label, dx, nin, name);
        be->free(dy), be->free(y);
    }
    be->free(x), be->free(dx);
}

// The layer-norm critic of tests/oracle.py.
static void test_layernorm_critic(const Backend *be) {
    enum { N = 3, H = 8 };
    Net *c = net_create(be, 3, H, H);
    net_conv2d(c, NET_INPUT, "conv", 4, 4, 2, 1, 0);
    net_layernorm(c, NET_PREV, "ln");
    net_lrelu(c, NET_PREV, "act", 0.2f);
    net_linear(c, NET_PREV, "fc", 1, 1);
    net_finish(c);
    net_set_batch(c, N);
    load_net(c, "LN.init.");
    net_zero_grads(c);
    const size_t nin = (size_t)N * 3 * H * H;
    float *x = fixture_dev(be, "LN.x", nin), *dx = be->alloc(nin), *ds = be->alloc(N);
    const float *s = net_forward(c, x, N);
    compare(be, "layer-norm critic scores", s, N, "LN.score");
    be->wgan_loss_backward(ds, N, +1.0f);
    net_backward(c, ds, dx, 1);
    compare(be, "layer-norm critic d(score)/dx", dx, nin, "LN.dx");
    compare_net(c, "LN.grad.", NET_PARAM, 1);
    be->free(x), be->free(dx), be->free(ds);
    net_free(c);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/fixtures/engine.safetensors";
    const char *only = argc > 2 ? argv[2] : NULL;
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (st_load(&fx, path) != 0) return 2;
    int tested = 0;
    for (const Backend *const *b = backend_built(); *b; b++) {
        if (only && strcmp(only, (*b)->name) != 0) continue;
        if ((*b)->unavailable && (*b)->unavailable()) {
            tl_skip("[%s] PyTorch's fixtures: %s", (*b)->name, (*b)->unavailable());
            continue;
        }
        tested++;
        be_name = (*b)->name;
        (*b)->set_threads(threads);
        test_dcgan(*b);
        test_sr(*b);
        test_layernorm_critic(*b);
        test_bicubic(*b);
    }
    st_free(&fx);
    if (only && !tested && !tl_skipped) {
        fprintf(stderr, "test_oracle: no backend '%s' in this build\n", only);
        return 2;
    }
    return tl_summary();
}
