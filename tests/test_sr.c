// test_sr.c: the super-resolution network and `fakeit upscale`.
//
// - the network's shape and parameter count (SRVGGNetCompact's 0.62 M,
//   fakeit's default 89 k), PyTorch's names;
// - the bicubic skip: with the body's output zeroed the network is the
//   bicubic baseline (img_resize_bicubic) to the byte;
// - tiling: tiled and untiled outputs agree within 1e-5 everywhere (tile
//   sizes that do and do not divide the image, a tile smaller than the
//   receptive radius), either skip, on the reference and the cpu backend;
// - model files: save, load, the same output bit for bit; a file without
//   "skip" (written before it existed) loads as nearest; a GAN model and a
//   damaged file refused;
// - upscale_run: a folder with an RGB image, an image with alpha and a
//   corrupt file: the good ones written at 4x with alpha kept, the bad one
//   skipped with exit status 1.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "image/imageio.h"
#include "sr/upscale.h"
#include "nn/safetensors.h"
#include "sr/sreval.h"
#include "train/srtrain.h"
#include "util/util.h"
#include "testlib.h"

static char tmp[256];

static float *random_image(int w, int h, Rng *r) {
    float *x = fk_malloc((size_t)3 * w * h * sizeof(float));
    for (size_t i = 0; i < (size_t)3 * w * h; i++) x[i] = (float)rng_uniform(r);
    return x;
}

static void test_shape(void) {
    SrConfig c = {.scale = 4, .feats = 64, .nconv = 16};  // SRVGGNetCompact's default size
    Net *net = sr_net(&backend_ref, &c, 16, 16);
    const Dims od = net_out_dims(net);
    tl_check(net->n_params == 621424 && od.C == 3 && od.H == 64 && od.W == 64,
             "sr: x4, 64 features, 16 body convs: %zu parameters (621424), output %dx%dx%d", net->n_params, od.C,
             od.H, od.W);
    tl_check(net_tensor(net, "body.0.weight") && net_tensor(net, "body.1.weight") && net_tensor(net, "body.34.bias") &&
                 !net_tensor(net, "body.35.weight"),
             "sr: PyTorch's names body.0 (conv), body.1 (PReLU) ... body.34 (last conv)");
    net_free(net);
    sr_defaults(&c);  // fakeit's default: 32 features, 8 body convs
    net = sr_net(&backend_ref, &c, 16, 16);
    tl_check(net->n_params == 89040 && net_tensor(net, "body.18.weight") && !net_tensor(net, "body.19.weight"),
             "sr: default x4, 32 features, 8 body convs: %zu parameters (89040), last conv body.18", net->n_params);
    net_free(net);
}

// The network with its last conv zeroed adds nothing to its skip: with the
// bicubic skip it must give img_resize_bicubic's bytes.
static void test_bicubic_skip(void) {
    for (int s = 2; s <= 4; s += 2) {
        SrConfig c = {.scale = s, .feats = 4, .nconv = 1, .skip = UPSAMPLE_BICUBIC};
        Rng r;
        rng_seed(&r, 7);
        Net *model = sr_net(&backend_ref, &c, 8, 8);
        sr_init(model, &r);
        const Layer *last = NULL;
        for (int i = 0; i < model->n_layers; i++)
            if (model->layers[i].kind == LAYER_CONV) last = &model->layers[i];
        memset(model->params + last->w, 0, (size_t)last->od.C * last->id.C * 9 * sizeof(float));
        memset(model->params + last->b, 0, (size_t)last->od.C * sizeof(float));
        const int w = 23, h = 17;
        uint8_t *rgb = fk_malloc((size_t)w * h * 3), *a = fk_malloc((size_t)w * h * 3 * s * s),
                *b = fk_malloc((size_t)w * h * 3 * s * s);
        for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)(rng_uniform(&r) * 256);
        const int ok = sr_upscale(model, &c, rgb, w, h, 8, a) == 0 && img_resize_bicubic(rgb, w, h, 3, b, w * s, h * s) == 0;
        size_t differ = 0;
        for (size_t i = 0; i < (size_t)w * h * 3 * s * s; i++) differ += a[i] != b[i];
        tl_check(ok && differ == 0, "sr: a x%d net adding nothing to its bicubic skip is the bicubic baseline (%zu bytes differ)",
                 s, differ);
        free(rgb), free(a), free(b);
        net_free(model);
    }
}

static void test_tiling(const Backend *be, UpsampleMode skip) {
    SrConfig c = {.scale = 4, .feats = 8, .nconv = 3, .skip = skip};
    Rng r;
    rng_seed(&r, 3);
    Net *model = sr_net(be, &c, 16, 16);
    sr_init(model, &r);
    const int w = 45, h = 37, s = c.scale;
    float *in = random_image(w, h, &r);
    const size_t on = (size_t)3 * w * h * s * s;
    float *whole = fk_malloc(on * sizeof(float)), *tiled = fk_malloc(on * sizeof(float));
    sr_upscale_planar(model, &c, in, w, h, 0, whole);
    const int tiles[] = {16, 20, 3};
    for (int t = 0; t < 3; t++) {
        memset(tiled, 0, on * sizeof(float));
        sr_upscale_planar(model, &c, in, w, h, tiles[t], tiled);
        double worst = 0;
        for (size_t i = 0; i < on; i++) worst = fmax(worst, fabs((double)tiled[i] - whole[i]));
        tl_check(worst <= 1e-5, "sr/%s, %s skip: tiles of %d px on a 45x37 image join without seams (max |diff| %.2g)",
                 be->name, sr_skip_name(skip), tiles[t], worst);
    }
    // the skip connection: a constant image stays constant where the body adds nothing
    free(in), free(whole), free(tiled);
    net_free(model);
}

static void test_model_files(void) {
    SrConfig c = {.scale = 2, .feats = 6, .nconv = 2, .skip = UPSAMPLE_BICUBIC}, c2;
    Rng r;
    rng_seed(&r, 4);
    Net *model = sr_net(&backend_ref, &c, 16, 16);
    sr_init(model, &r);
    char path[300];
    snprintf(path, sizeof path, "%s/sr.safetensors", tmp);
    tl_check(sr_save(path, model, &c) == 0, "sr: model saved");
    Net *back = sr_load(&backend_ref, path, &c2, 16, 16);
    tl_check(back && c2.scale == 2 && c2.feats == 6 && c2.nconv == 2 && c2.skip == UPSAMPLE_BICUBIC &&
                 !memcmp(back->params, model->params, model->n_params * sizeof(float)),
             "sr: loaded with its configuration and the same parameters");
    const int w = 11, h = 9;
    float *in = random_image(w, h, &r), *a = fk_malloc((size_t)3 * w * h * 4 * sizeof(float)),
          *b = fk_malloc((size_t)3 * w * h * 4 * sizeof(float));
    sr_upscale_planar(model, &c, in, w, h, 0, a);
    if (back) sr_upscale_planar(back, &c2, in, w, h, 0, b);
    tl_check(back && !memcmp(a, b, (size_t)3 * w * h * 4 * sizeof(float)), "sr: the loaded model upscales bit for bit alike");
    // a model file from before "skip" existed: nearest
    char old[300];
    snprintf(old, sizeof old, "%s/old.safetensors", tmp);
    Net *old_net = NULL;
    if (ckpt_save_net(old, model, "{\"format\":\"fakeit-sr 1\",\"scale\":\"2\",\"feats\":\"6\",\"nconv\":\"2\"}") == 0)
        old_net = sr_load(&backend_ref, old, &c2, 16, 16);
    tl_check(old_net && c2.skip == UPSAMPLE_NEAREST, "sr: a model file without \"skip\" loads with the nearest skip");
    net_free(old_net);
    SrConfig c3;
    tl_check(sr_load(&backend_ref, "tests/fixtures/fakeit_netG.safetensors", &c3, 16, 16) == NULL,
             "sr: a GAN generator is refused as a super-resolution model");
    free(in), free(a), free(b);
    net_free(model), net_free(back);
}

static void test_upscale_run(void) {
    SrConfig c = {.scale = 4, .feats = 4, .nconv = 1};
    Rng r;
    rng_seed(&r, 5);
    Net *model = sr_net(&backend_ref, &c, 16, 16);
    sr_init(model, &r);
    char mpath[300], in[300], out[300], p[400];
    snprintf(mpath, sizeof mpath, "%s/m.safetensors", tmp);
    snprintf(in, sizeof in, "%s/in", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    sr_save(mpath, model, &c);
    net_free(model);
    mkdir(in, 0777);
    uint8_t rgb[20 * 13 * 3], rgba[9 * 7 * 4];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)(rng_u64(&r) & 255);
    for (size_t i = 0; i < sizeof rgba; i++) rgba[i] = (uint8_t)(i % 4 == 3 ? (i / 4 < 30 ? 0 : 255) : i * 7);
    snprintf(p, sizeof p, "%s/a.png", in);
    img_write_png(p, rgb, 20, 13, 3);
    snprintf(p, sizeof p, "%s/b.png", in);
    img_write_png(p, rgba, 9, 7, 4);
    snprintf(p, sizeof p, "%s/c.png", in);
    FILE *f = fopen(p, "wb");
    fputs("\x89PNG\r\n\x1a\nnot really", f);
    fclose(f);
    const char *inputs[] = {in};
    UpscaleOpts o = {.inputs = inputs, .n_inputs = 1, .out = out, .model = mpath, .tile = 8, .backend = "ref"};
    const int rc = upscale_run(&o);
    Image a, b, cc;
    char why[200];
    snprintf(p, sizeof p, "%s/a.png", out);
    const int ra = img_load_rgba(p, 1e9, &a, why, sizeof why);
    snprintf(p, sizeof p, "%s/b.png", out);
    const int rb = img_load_rgba(p, 1e9, &b, why, sizeof why);
    snprintf(p, sizeof p, "%s/c.png", out);
    const int rcc = img_load_rgba(p, 1e9, &cc, why, sizeof why);
    tl_check(rc == 1, "upscale: a corrupt file in the folder gives exit status 1 (got %d)", rc);
    tl_check(ra == IMG_OK && a.w == 80 && a.h == 52 && !a.alpha, "upscale: RGB 20x13 -> 80x52, no alpha added");
    int alpha_ok = rb == IMG_OK && b.w == 36 && b.h == 28 && b.alpha;
    // transparent top rows stay transparent, opaque bottom rows opaque
    if (alpha_ok) alpha_ok = b.alpha[0] < 8 && b.alpha[(size_t)36 * 27 + 35] > 247;
    tl_check(alpha_ok, "upscale: alpha kept, 9x7 -> 36x28 (transparent stays transparent)");
    tl_check(rcc != IMG_OK, "upscale: nothing written for the corrupt file, the others still are");
    if (ra == IMG_OK) image_free(&a);
    if (rb == IMG_OK) image_free(&b);
    if (rcc == IMG_OK) image_free(&cc);
    // one file to one .png
    snprintf(p, sizeof p, "%s/a.png", in);
    const char *one[] = {p};
    char single[300];
    snprintf(single, sizeof single, "%s/single.png", tmp);
    UpscaleOpts o1 = {.inputs = one, .n_inputs = 1, .out = single, .model = mpath, .tile = 0, .backend = "ref"};
    struct stat st;
    tl_check(upscale_run(&o1) == 0 && stat(single, &st) == 0, "upscale: one file to OUT.png");
}

static void small_train(SrTrainOpts *o, const char **inputs, const char *out, long iters) {
    srtrain_defaults(o);
    o->inputs = inputs, o->n_inputs = 1, o->out = out, o->iters = iters;
    o->cfg = (SrConfig){.scale = 2, .feats = 8, .nconv = 2, .skip = UPSAMPLE_BICUBIC};
    o->patch = 12, o->batch = 4, o->lr = 2e-3, o->save_every = 1000;
}

// sr-train on smooth synthetic images: the loss falls; N steps straight and
// N/2 + resume + N/2 write the same model file; bad inputs refused.
static void test_train(void) {
    char dir[300], p[400], m1[300], m2[300];
    snprintf(dir, sizeof dir, "%s/hr", tmp);
    mkdir(dir, 0777);
    Rng r;
    rng_seed(&r, 8);
    uint8_t img[48 * 40 * 3];
    for (int k = 0; k < 4; k++) {
        const double fx = 0.05 + 0.3 * rng_uniform(&r), fy = 0.05 + 0.3 * rng_uniform(&r);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 48; x++)
                for (int c = 0; c < 3; c++)
                    img[((size_t)y * 48 + x) * 3 + c] = (uint8_t)(127.5 + 120 * sin(fx * x + fy * y + c));
        snprintf(p, sizeof p, "%s/w%d.png", dir, k);
        img_write_png(p, img, 48, 40, 3);
    }
    const char *inputs[] = {dir};
    SrTrainOpts o;
    snprintf(m1, sizeof m1, "%s/a.safetensors", tmp);
    small_train(&o, inputs, m1, 60);
    const int rc1 = srtrain_run(&o);
    tl_check(rc1 == 0 && o.last_loss < 0.7 * o.first_loss, "sr-train: L1 falls over 60 steps (%.4f -> %.4f)",
             o.first_loss, o.last_loss);
    small_train(&o, inputs, m1, 6);
    snprintf(m1, sizeof m1, "%s/straight.safetensors", tmp);
    o.out = m1;
    const int ra = srtrain_run(&o);
    snprintf(m2, sizeof m2, "%s/split.safetensors", tmp);
    small_train(&o, inputs, m2, 6);
    o.stop_after = 3;
    const int rb = srtrain_run(&o);
    small_train(&o, inputs, m2, 999);
    o.resume = 1, o.cfg.feats = 99, o.cfg.skip = UPSAMPLE_NEAREST;  // the stored configuration and step count win
    const int rcr = srtrain_run(&o);
    char s1[400], s2[400];
    snprintf(s1, sizeof s1, "%s.state.safetensors", m1);
    snprintf(s2, sizeof s2, "%s.state.safetensors", m2);
    tl_check(ra == 0 && rb == 0 && rcr == 0 && tl_same_file(m1, m2) && tl_same_file(s1, s2),
             "sr-train: 6 steps straight = 3 + resume + 3, model and state byte for byte");
    // the crops are made in parallel after the draws: the same batches, so
    // (on the reference backend, whose sums do not depend on the thread
    // count) the same model, with 1 and 3 threads
    char t1[300], t3[300];
    snprintf(t1, sizeof t1, "%s/threads1.safetensors", tmp);
    snprintf(t3, sizeof t3, "%s/threads3.safetensors", tmp);
    small_train(&o, inputs, t1, 4);
    o.backend = "ref", o.threads = 1, o.noise = 20, o.blur = 1.5;
    const int r1 = srtrain_run(&o);
    small_train(&o, inputs, t3, 4);
    o.backend = "ref", o.threads = 3, o.noise = 20, o.blur = 1.5;
    const int r3 = srtrain_run(&o);
    tl_check(r1 == 0 && r3 == 0 && tl_same_file(t1, t3), "sr-train: 1 and 3 threads, the same batches (model byte for byte)");
    SrConfig c;
    Net *net = sr_load(&backend_ref, m1, &c, 16, 16);
    tl_check(net && c.scale == 2 && c.feats == 8 && c.nconv == 2 && c.skip == UPSAMPLE_BICUBIC,
             "sr-train: the model file loads for upscale, with its bicubic skip");
    net_free(net);
    SrTrainOpts q;
    srtrain_defaults(&q);
    q.lr = 1e-3, q.iters = 1000;
    tl_check(srtrain_rate(&q, 0) == 1e-3 && fabs(srtrain_rate(&q, 250) - 1e-3 * (2 + sqrt(2.0)) / 4) < 1e-15 &&
                 fabs(srtrain_rate(&q, 500) - 5e-4) < 1e-15 && srtrain_rate(&q, 1000) == 0 && srtrain_rate(&q, 1500) == 0,
             "sr-train: the rate is a cosine from --lr to 0 at --iters (%.6g %.6g %.6g)", srtrain_rate(&q, 0),
             srtrain_rate(&q, 500), srtrain_rate(&q, 1000));
    small_train(&o, inputs, m1, 2);
    o.patch = 64;  // 128 px crops from 48x40 images
    tl_check(srtrain_run(&o) == 2, "sr-train: images smaller than a crop are refused, exit 2");
    small_train(&o, inputs, m1, 2);
    o.adversarial = 0.1;  // 24 px crops: the DCGAN critic needs a power of two
    tl_check(srtrain_run(&o) == 2, "sr-train --adversarial: crops of 24 px refused, exit 2");

    // --adversarial: the critic's term changes the model; its state (critic
    // weights and moments) resumes bit for bit
    char m3[300], s3[400];
    snprintf(m1, sizeof m1, "%s/adv.safetensors", tmp);
    snprintf(m2, sizeof m2, "%s/adv_split.safetensors", tmp);
    snprintf(m3, sizeof m3, "%s/noadv.safetensors", tmp);
    small_train(&o, inputs, m1, 4);
    o.patch = 8, o.adversarial = 0.5;
    const int a1 = srtrain_run(&o);
    small_train(&o, inputs, m2, 4);
    o.patch = 8, o.adversarial = 0.5, o.stop_after = 2;
    const int a2 = srtrain_run(&o);
    small_train(&o, inputs, m2, 4);
    o.resume = 1;
    const int a3 = srtrain_run(&o);
    small_train(&o, inputs, m3, 4);
    o.patch = 8;
    const int a4 = srtrain_run(&o);
    snprintf(s1, sizeof s1, "%s.state.safetensors", m1);
    snprintf(s2, sizeof s2, "%s.state.safetensors", m2);
    snprintf(s3, sizeof s3, "%s.state.safetensors", m3);
    StFile f;
    const int has_critic = st_load(&f, s1) == 0 && st_find(&f, "critic") && st_find(&f, "critic_adam");
    if (has_critic) st_free(&f);
    tl_check(a1 == 0 && a2 == 0 && a3 == 0 && has_critic && tl_same_file(m1, m2) && tl_same_file(s1, s2),
             "sr-train --adversarial: 4 steps straight = 2 + resume + 2, critic in the state, byte for byte");
    tl_check(a4 == 0 && !tl_same_file(m1, m3), "sr-train --adversarial: the critic's term changes the model");
}

// PSNR and SSIM on Y against a NumPy transcription of BasicSR's
// (tests/srmetrics_oracle.py), border shaved by 4 and by 2.
static void test_metrics(void) {
    StFile f;
    if (st_load(&f, "tests/fixtures/srmetrics.safetensors") != 0) {
        tl_check(0, "srmetrics fixture readable");
        return;
    }
    const StTensor *ta = st_find(&f, "a"), *tb = st_find(&f, "b");
    const int h = (int)ta->shape[0], w = (int)ta->shape[1];
    uint8_t *a = fk_malloc((size_t)w * h * 3), *b = fk_malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        a[i] = (uint8_t)((const float *)ta->data)[i], b[i] = (uint8_t)((const float *)tb->data)[i];
    const char *names[4] = {"psnr", "ssim", "psnr_b2", "ssim_b2"};
    const double got[4] = {sr_psnr_y(a, b, w, h, 4), sr_ssim_y(a, b, w, h, 4), sr_psnr_y(a, b, w, h, 2),
                           sr_ssim_y(a, b, w, h, 2)};
    for (int k = 0; k < 4; k++) {
        const float *v = (const float *)st_find(&f, names[k])->data;
        const double ref = (double)v[0] + v[1];
        tl_check(fabs(got[k] - ref) <= 1e-9 * fabs(ref), "sr-eval: %s on Y = BasicSR's (%.9f vs %.9f)", names[k], got[k], ref);
    }
    tl_check(isinf(sr_psnr_y(a, a, w, h, 4)) && fabs(sr_ssim_y(a, a, w, h, 4) - 1.0) < 1e-12,
             "sr-eval: an image against itself: PSNR infinite, SSIM 1");
    free(a), free(b);
    st_free(&f);
}

// The low-resolution side sr-train and sr-eval make (img_resize) is the
// thumbnail fakeit prepare makes of the same picture, byte for byte, and
// neither is biased: a textured picture's thumbnail keeps its mean (libvips'
// 8-bit resampling made it about half a level brighter).
static void test_shrink(void) {
    enum { W = 256, S = 4 };
    Rng r;
    rng_seed(&r, 11);
    uint8_t *hr = fk_malloc((size_t)W * W * 3), *lr = fk_malloc((size_t)W * W * 3 / (S * S));
    double mean_hr = 0;
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                const double v = 128 + 60 * sin(0.9 * x + 0.3 * c) * cos(0.7 * y) + 30 * (rng_uniform(&r) - 0.5);
                hr[((size_t)y * W + x) * 3 + c] = (uint8_t)v;
                mean_hr += (uint8_t)v;
            }
    mean_hr /= (double)W * W * 3;
    char path[300], why[200];
    snprintf(path, sizeof path, "%s/texture.png", tmp);
    Thumb t = {0};
    const int ok = img_write_png(path, hr, W, W, 3) == 0 && img_resize(hr, W, W, 3, lr, W / S, W / S) == 0 &&
                   img_thumbnail(path, W / S, FIT_PAD, 1e9, 1, &t, why, sizeof why) == IMG_OK && t.w == W / S &&
                   t.h == W / S;
    tl_check(ok && !memcmp(t.rgb, lr, (size_t)W * W * 3 / (S * S)),
             "sr: the low-resolution side is prepare's thumbnail of the same picture, byte for byte");
    double mean_lr = 0, mean_t = 0;
    for (size_t i = 0; i < (size_t)W * W * 3 / (S * S); i++) mean_lr += lr[i], mean_t += ok ? t.rgb[i] : 0;
    mean_lr /= (double)W * W * 3 / (S * S), mean_t /= (double)W * W * 3 / (S * S);
    tl_check(ok && fabs(mean_lr - mean_hr) < 0.05 && fabs(mean_t - mean_hr) < 0.05,
             "sr: shrinking x4 keeps a textured picture's mean (resize %.3f, thumbnail %.3f, picture %.3f)", mean_lr,
             mean_t, mean_hr);
    thumb_free(&t);
    free(hr), free(lr);
}

// Upscalers: bicubic is centre-aligned (a ramp comes back exactly on the
// ramp away from the edges, at x2 and x4: cubic convolution reproduces
// linear functions, and a half-pixel shift would show); a model's scale is
// checked against the one asked for.
static void test_upscalers(void) {
    enum { W = 16 };
    uint8_t ramp[W * 6 * 3], big[W * 4 * 24 * 3];
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) ramp[(y * W + x) * 3 + c] = (uint8_t)(40 + 8 * x + c);
    Upscaler u;
    for (int s = 2; s <= 4; s += 2) {
        const int ok = upscaler_open(&u, &backend_ref, "bicubic", s) == 0 && !u.model && u.cfg.scale == s &&
                       upscaler_run(&u, ramp, W, 6, 64, big) == 0;
        double worst = 0;
        for (int y = 0; ok && y < 6 * s; y++)
            for (int X = 2 * s; X < (W - 2) * s; X++)  // taps inside the image
                for (int c = 0; c < 3; c++) {
                    const double want = 40 + 8 * ((X + 0.5) / s - 0.5) + c;
                    const double e = fabs(big[((size_t)y * W * s + X) * 3 + c] - want);
                    worst = e > worst ? e : worst;
                }
        tl_check(ok && worst == 0, "upscaler: bicubic x%d is centre-aligned (a ramp exact away from the edges; %g)", s,
                 worst);
        upscaler_close(&u);
    }
    char path[400];
    snprintf(path, sizeof path, "%s/x2.safetensors", tmp);
    SrConfig c = {.scale = 2, .feats = 4, .nconv = 1};
    Net *net = sr_net(&backend_ref, &c, 8, 8);
    Rng r;
    rng_seed(&r, 3);
    sr_init(net, &r);
    sr_save(path, net, &c);
    net_free(net);
    tl_check(upscaler_open(&u, &backend_ref, path, 4) == -1, "upscaler: a x2 model asked for x4 is refused");
    tl_check(upscaler_open(&u, &backend_ref, path, 0) == 0 && u.model && u.cfg.scale == 2,
             "upscaler: a model file, its own scale");
    upscaler_close(&u);
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/fakeit-sr-XXXXXX");
    FK_CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    test_shape();
    test_bicubic_skip();
    for (const Backend *const *b = backend_all(); *b; b++)
        if ((*b)->host_memory) test_tiling(*b, UPSAMPLE_NEAREST), test_tiling(*b, UPSAMPLE_BICUBIC);
    test_model_files();
    test_upscale_run();
    test_upscalers();
    test_shrink();
    test_train();
    test_metrics();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    tl_check(system(cmd) == 0, "temporary files removed");
    return tl_summary();
}
