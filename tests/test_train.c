// test_train.c: training, checkpoints, resume and sampling.
//
// - two generator iterations of the reference training loop (3 critic steps
//   each) from PyTorch's initial weights reproduce PyTorch's losses, weights
//   and running statistics (tests/fixtures/train.safetensors);
// - PyTorch -> fakeit: a state_dict PyTorch saved loads into fakeit and gives
//   PyTorch's images (training and eval mode); fakeit -> PyTorch: the
//   generator fakeit saves is byte for byte the file PyTorch loaded with
//   strict=True in tests/oracle.py, and gives the images PyTorch computed;
// - `fakeit train`: N iterations straight and N/2 + resume + N/2 give
//   bit-identical weights, buffers and optimiser state;
// - sampling is reproducible, -n 1 is the first of -n 8, ranking keeps K;
// - bad model files (wrong shape, dtype, missing or extra tensors, another
//   program's file) are refused with a message naming the tensor.
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/net.h"
#include "gan/augment.h"
#include "gan/runstate.h"
#include "data/dataset.h"
#include "util/rng.h"
#include "nn/safetensors.h"
#include "gan/generator.h"
#include "gan/sample.h"
#include "train/train.h"
#include "gan/wgan.h"
#include "interop.h"
#include "testlib.h"

static const Backend *be = &backend_ref;
static StFile fx, gpfx;
static char tmp[256];

static const StTensor *fixture(const char *name) {
    const StTensor *t = st_find(&fx, name);
    if (!t) t = st_find(&gpfx, name);
    FK_CHECK(t && t->dtype == ST_F32, "fixture has no F32 tensor '%s' (regenerate with make fixtures)", name);
    return t;
}

static void load_prefixed(Net *net, const char *prefix) {
    for (int i = 0; i < net->n_tensors; i++) {
        char key[200];
        snprintf(key, sizeof key, "%s%s", prefix, net->tensors[i].name);
        const StTensor *t = fixture(key);
        FK_CHECK(st_numel(t) == net_tensor_size(&net->tensors[i]), "size of %s", key);
        be->upload(net_tensor_data(net, &net->tensors[i]), (const float *)t->data, st_numel(t));
    }
}

static void compare_prefixed(Net *net, const char *prefix, const char *label) {
    int ok = 1;
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < net->n_tensors; i++) {
        char key[200];
        snprintf(key, sizeof key, "%s%s", prefix, net->tensors[i].name);
        const StTensor *t = fixture(key);
        const size_t n = st_numel(t);
        float *h = fk_malloc(n * sizeof(float));
        be->download(h, net_tensor_data(net, &net->tensors[i]), n);
        const float *ref = (const float *)t->data;
        for (size_t j = 0; j < n; j++) {
            const double d = fabs((double)h[j] - ref[j]);
            if (!(d <= 1e-5 + 1e-4 * fabs(ref[j]))) ok = 0;
            if (d > worst) worst = d, worst_name = net->tensors[i].name;
        }
        free(h);
    }
    tl_check(ok, "%s: every tensor within 1e-5 + 1e-4|ref| (worst %.3g in %s)", label, worst, worst_name);
}

static float *upload_fixture(const char *name, size_t n) {
    const StTensor *t = fixture(name);
    FK_CHECK(st_numel(t) == n, "size of %s", name);
    float *d = be->alloc(n);
    be->upload(d, (const float *)t->data, n);
    return d;
}

// ---------------------------------------------------------------------------

static void test_replay_pytorch(void) {
    WganConfig c;
    wgan_defaults(&c);
    c.isize = IO_SIZE, c.nz = IO_NZ, c.ngf = c.ndf = IO_WIDTH, c.batch = IO_BATCH;
    Wgan w;
    FK_CHECK(wgan_init(&w, &c, be, NULL) == 0, "wgan_init");
    load_prefixed(w.G, "G.init.");
    load_prefixed(w.D, "D.init.");
    const size_t img = (size_t)IO_BATCH * 3 * IO_SIZE * IO_SIZE;
    float ld[6], lg[2];
    for (int it = 0; it < 2; it++) {
        for (int j = 0; j < 3; j++) {
            char rn[32], zn[32];
            snprintf(rn, sizeof rn, "real.%d.%d", it, j);
            snprintf(zn, sizeof zn, "z.%d.%d", it, j);
            float *real = upload_fixture(rn, img), *z = upload_fixture(zn, IO_BATCH * IO_NZ);
            wgan_critic_step(&w, real, IO_BATCH, z, NULL);
            ld[it * 3 + j] = w.loss_d;
            be->free(real), be->free(z);
        }
        char zn[32];
        snprintf(zn, sizeof zn, "zg.%d", it);
        float *z = upload_fixture(zn, IO_BATCH * IO_NZ);
        wgan_generator_step(&w, z);
        lg[it] = w.loss_g;
        be->free(z);
    }
    char label[160];
    snprintf(label, sizeof label, "replay/%s: Loss_D of 6 critic steps (clip, RMSprop)", be->name);
    tl_close(label, ld, (const float *)fixture("loss_d")->data, 6, 1e-5, 1e-4);
    snprintf(label, sizeof label, "replay/%s: Loss_G of 2 generator steps", be->name);
    tl_close(label, lg, (const float *)fixture("loss_g")->data, 2, 1e-5, 1e-4);
    snprintf(label, sizeof label, "replay/%s: generator after 2 iterations (weights, running statistics)", be->name);
    compare_prefixed(w.G, "G.final.", label);
    snprintf(label, sizeof label, "replay/%s: critic after 2 iterations (weights, running statistics)", be->name);
    compare_prefixed(w.D, "D.final.", label);
    wgan_free(&w);
}

// WGAN-GP against PyTorch autograd with create_graph=True
// (tests/fixtures/gp.safetensors), for a critic without normalisation and one
// with layer norm (32 px, width 8, one extra layer): the input gradient, the
// penalty and its parameter gradients alone; then 3 critic steps (losses,
// the first step's gradients, the weights after the third).
// A gradient tensor against PyTorch's: |got - ref| <= 1e-4 max|ref| + 1e-4 |ref|.
// The tolerance follows the tensor's scale: the layer-norm critic's gradients
// are sums of terms up to 1000x larger than the result (penalty ~1600), so
// both sides' float rounding is of that size (the ref and cpu backends differ
// from each other by as much as from PyTorch).
static void close_scaled(const char *label, const float *got, const float *ref, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(ref[i]));
    tl_close(label, got, ref, n, 1e-4 * m + 1e-7, 1e-4);
}

static void test_gp_pytorch(const char *norm_name, DcganNorm norm) {
    char key[160], label[240];
    const int N = 4, S = 32, NZ = 16, Wd = 8;
    const size_t img = (size_t)N * 3 * S * S;
    // 1. the penalty alone at one interpolate
    Net *D = dcgan_critic(be, S, 3, Wd, 1, norm);
    net_enable_penalty(D);
    net_set_batch(D, N);
    snprintf(key, sizeof key, "%s.D.init.", norm_name);
    load_prefixed(D, key);
    snprintf(key, sizeof key, "%s.xhat", norm_name);
    float *xhat = upload_fixture(key, img), *gx = be->alloc(img), *v = be->alloc(img), *ones = be->alloc(N);
    float *h = fk_malloc(img * sizeof(float)), one[4] = {1, 1, 1, 1}, pen, *pen_dev = be->alloc(1);
    be->upload(ones, one, N);
    net_forward(D, xhat, N);
    net_backward(D, ones, gx, 0);
    be->grad_penalty(pen_dev, v, gx, N, img / N, 10.0f);
    be->download(&pen, pen_dev, 1);
    be->free(pen_dev);
    net_zero_grads(D);
    net_penalty_backward(D, ones, v);
    be->download(h, gx, img);
    snprintf(key, sizeof key, "%s.gx", norm_name);
    snprintf(label, sizeof label, "gp %s/%s: critic input gradient at xhat", norm_name, be->name);
    tl_close(label, h, (const float *)fixture(key)->data, img, 1e-6, 1e-4);
    snprintf(key, sizeof key, "%s.penalty", norm_name);
    snprintf(label, sizeof label, "gp %s/%s: penalty 10 (||g|| - 1)^2", norm_name, be->name);
    tl_close(label, &pen, (const float *)fixture(key)->data, 1, 1e-5, 1e-5);
    float *grads = fk_malloc(D->n_params * sizeof(float));
    be->download(grads, D->grads, D->n_params);
    for (int i = 0; i < D->n_tensors; i++) {
        const NetTensor *t = &D->tensors[i];
        snprintf(key, sizeof key, "%s.pgrad.%s", norm_name, t->name);
        snprintf(label, sizeof label, "gp %s/%s: d penalty / d %s", norm_name, be->name, t->name);
        close_scaled(label, grads + t->off, (const float *)fixture(key)->data, net_tensor_size(t));
    }
    free(grads), free(h);
    be->free(xhat), be->free(gx), be->free(v), be->free(ones);
    net_free(D);

    // 2. three critic steps of the training loop
    WganConfig c;
    wgan_defaults(&c);
    wgan_defaults_gp(&c);
    c.critic_norm = norm, c.isize = S, c.nz = NZ, c.ngf = c.ndf = Wd, c.batch = N, c.n_extra = 1;
    Wgan w;
    FK_CHECK(wgan_init(&w, &c, be, NULL) == 0, "wgan_init");
    snprintf(key, sizeof key, "%s.G.init.", norm_name);
    load_prefixed(w.G, key);
    snprintf(key, sizeof key, "%s.D.init.", norm_name);
    load_prefixed(w.D, key);
    float losses[9];
    for (int j = 0; j < 3; j++) {
        char rn[48], zn[48], an[48];
        snprintf(rn, sizeof rn, "%s.real.%d", norm_name, j);
        snprintf(zn, sizeof zn, "%s.z.%d", norm_name, j);
        snprintf(an, sizeof an, "%s.alpha.%d", norm_name, j);
        float *real = upload_fixture(rn, img), *z = upload_fixture(zn, (size_t)N * NZ);
        wgan_critic_step(&w, real, N, z, (const float *)fixture(an)->data);
        losses[3 * j] = w.loss_d_real, losses[3 * j + 1] = w.loss_d_fake, losses[3 * j + 2] = w.loss_gp;
        if (j == 0) {  // the gradients the first step applied
            float *g = fk_malloc(w.D->n_params * sizeof(float));
            be->download(g, w.D->grads, w.D->n_params);
            for (int i = 0; i < w.D->n_tensors; i++) {
                const NetTensor *t = &w.D->tensors[i];
                snprintf(key, sizeof key, "%s.grad0.%s", norm_name, t->name);
                snprintf(label, sizeof label, "gp %s/%s: step 1 d Loss_D / d %s", norm_name, be->name, t->name);
                close_scaled(label, g + t->off, (const float *)fixture(key)->data, net_tensor_size(t));
            }
            free(g);
        }
        be->free(real), be->free(z);
    }
    snprintf(key, sizeof key, "%s.losses", norm_name);
    snprintf(label, sizeof label, "gp %s/%s: D(real), D(fake), penalty of 3 steps", norm_name, be->name);
    tl_close(label, losses, (const float *)fixture(key)->data, 9, 1e-5, 1e-4);
    snprintf(key, sizeof key, "%s.D.final.", norm_name);
    snprintf(label, sizeof label, "gp %s/%s: critic after 3 Adam (0, 0.9) steps", norm_name, be->name);
    compare_prefixed(w.D, key, label);
    wgan_free(&w);
}

static void generate(Net *G, const char *zname, const char *ref, const char *label) {
    const size_t img = (size_t)IO_BATCH * 3 * IO_SIZE * IO_SIZE;
    float *z = upload_fixture(zname, IO_BATCH * IO_NZ), *h = fk_malloc(img * sizeof(float));
    be->download(h, net_forward(G, z, IO_BATCH), img);
    tl_close(label, h, (const float *)fixture(ref)->data, img, 1e-5, 1e-4);
    free(h);
    be->free(z);
}

// Bytes -> [-1, 1] must be torchvision's ToTensor + Normalize(0.5, 0.5) to
// the bit, for all 256 values.
static void test_pixel_conversion(void) {
    uint8_t px[256];
    float got[256];
    for (int i = 0; i < 256; i++) px[i] = (uint8_t)i;
    wgan_pixels_to_float(got, px, 256);
    tl_check(!memcmp(got, fixture("pixels.to_float")->data, sizeof got),
             "data: bytes -> [-1, 1] bit for bit as ToTensor + Normalize(0.5, 0.5), all 256 values");
}

static void test_interop(void) {
    // PyTorch -> fakeit
    Net *G = dcgan_generator(be, IO_SIZE, IO_NZ, 3, IO_WIDTH, 0, DCGAN_NORM_BATCH);
    net_set_batch(G, IO_BATCH);
    tl_check(ckpt_load_net("tests/fixtures/torch_netG.safetensors", G) == 0,
             "interop: a state_dict saved from PyTorch loads into fakeit");
    generate(G, "interop.z", "interop.torch_G_train", "interop: PyTorch's weights in fakeit, training mode = PyTorch");
    G->training = 0;
    generate(G, "interop.z", "interop.torch_G_eval", "interop: PyTorch's weights in fakeit, eval mode = PyTorch");
    net_free(G);
    // fakeit -> PyTorch
    char path[512];
    snprintf(path, sizeof path, "%s/netG.safetensors", tmp);
    G = interop_generator(be, path);
    size_t na = 0, nb = 0;
    FILE *a = fopen(path, "rb"), *b = fopen("tests/fixtures/fakeit_netG.safetensors", "rb");
    unsigned char *ba = fk_malloc(1 << 20), *bb = fk_malloc(1 << 20);
    if (a) na = fread(ba, 1, 1 << 20, a), fclose(a);
    if (b) nb = fread(bb, 1, 1 << 20, b), fclose(b);
    tl_check(na > 0 && na == nb && !memcmp(ba, bb, na),
             "interop: fakeit writes byte for byte the generator file PyTorch loaded with strict=True");
    free(ba), free(bb);
    net_free(G);
    G = dcgan_generator(be, IO_SIZE, IO_NZ, 3, IO_WIDTH, 0, DCGAN_NORM_BATCH);
    net_set_batch(G, IO_BATCH);
    FK_CHECK(ckpt_load_net(path, G) == 0, "reload");
    tl_check(G->bn_batches == (long)*(const float *)fixture("interop.fakeit_G_tracked")->data,
             "interop: num_batches_tracked survives the round trip (%ld)", G->bn_batches);
    generate(G, "interop.z", "interop.fakeit_G_train", "interop: fakeit's weights in PyTorch, training mode = fakeit");
    G->training = 0;
    generate(G, "interop.z", "interop.fakeit_G_eval", "interop: fakeit's weights in PyTorch, eval mode = fakeit");
    net_free(G);
}

// ---------------------------------------------------------------------------

static void make_dataset(const char *path, int n, int size) {
    DsWriter w;
    FK_CHECK(ds_writer_open(&w, path, (uint32_t)size, 3) == 0, "writer");
    Rng r;
    rng_seed(&r, 77);
    uint8_t *px = fk_malloc((size_t)3 * size * size);
    for (int i = 0; i < n; i++) {
        // a bright disc at a random place on white: something to learn
        const double cx = rng_uniform(&r) * size, cy = rng_uniform(&r) * size, rad = size * (0.15 + 0.2 * rng_uniform(&r));
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    px[(c * size + y) * size + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad ? (uint8_t)(60 * c) : 255;
        char src[32];
        snprintf(src, sizeof src, "disc%d", i);
        FK_CHECK(ds_writer_add(&w, px, src) == 0, "add");
    }
    free(px);
    FK_CHECK(ds_writer_finish(&w) == 0, "finish");
}


// The run's state, without its metadata (which holds wall-clock-free counters
// only, but also the data path): every tensor compared bit for bit.
static int same_state(const char *run_a, const char *run_b) {
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/state.safetensors", run_a);
    snprintf(pb, sizeof pb, "%s/state.safetensors", run_b);
    StFile a, b;
    if (st_load(&a, pa) || st_load(&b, pb)) return 0;
    int same = a.n == b.n;
    for (int i = 0; i < a.n && same; i++) {
        const StTensor *t = st_find(&b, a.tensors[i].name);
        same = t && t->nbytes == a.tensors[i].nbytes && !memcmp(t->data, a.tensors[i].data, t->nbytes);
        if (!same) printf("# state tensor %s differs\n", a.tensors[i].name);
    }
    st_free(&a), st_free(&b);
    return same;
}

static void small_config(TrainOpts *o, const char *data, const char *run, long iters) {
    train_defaults(o);
    o->data = data;
    o->run_dir = run;
    o->iters = iters, o->iters_set = 1, o->epochs = 0;
    o->cfg.batch = 8, o->cfg.nz = 8, o->cfg.ngf = o->cfg.ndf = 8;
    o->cfg.d_iters = 2, o->cfg.d_iters_warm = 4, o->cfg.warm_iters = 2, o->cfg.warm_every = 5;
    o->sample_every = 3, o->save_every = 4;
    o->cfg.seed = 9;
}

// The swd column of metrics.csv rows, "" when empty: into out (rows, 32 chars).
static int swd_column(const char *path, char out[][32], int max) {
    FILE *f = fopen(path, "r");
    char line[512];
    int r = -1;
    while (f && fgets(line, sizeof line, f) && r < max) {
        if (r >= 0) {
            const char *p = line;
            for (int k = 0; k < 12 && p; k++) p = strchr(p, ','), p = p ? p + 1 : NULL;
            size_t len = p ? strcspn(p, ",\n") : 0;
            snprintf(out[r], 32, "%.*s", (int)len, p ? p : "");
        }
        r++;
    }
    if (f) fclose(f);
    return r;
}

// WGAN-GP (layer-norm critic, short last batches of the 37-image set) with
// SWD every 3 iterations against a held-out part: the interpolation weights
// come from the run's generator and measuring never changes the training
// state, so resume is exact too.
static void test_resume_gp(void) {
    char data[512], straight[512], split[512];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);
    snprintf(straight, sizeof straight, "%s/gp-straight", tmp);
    snprintf(split, sizeof split, "%s/gp-split", tmp);
    TrainOpts o;
    small_config(&o, data, straight, 8);
    wgan_defaults_gp(&o.cfg), o.cfg.critic_norm = DCGAN_NORM_LAYER;
    o.eval_every = 3, o.eval_n = 4;
    int rc1 = train_run(&o);
    small_config(&o, data, split, 4);
    wgan_defaults_gp(&o.cfg), o.cfg.critic_norm = DCGAN_NORM_LAYER;
    o.eval_every = 3, o.eval_n = 4;
    int rc2 = train_run(&o);
    small_config(&o, NULL, split, 8);
    o.resume = 1;
    int rc3 = train_run(&o);
    tl_check(rc1 == 0 && rc2 == 0 && rc3 == 0, "resume gp: three runs finish");
    tl_check(same_state(straight, split), "resume gp: 8 iterations straight = 4 + resume + 4, every state tensor bit for bit");
    char a[8][32], b[8][32], ma[600], mb[600];
    snprintf(ma, sizeof ma, "%s/metrics.csv", straight);
    snprintf(mb, sizeof mb, "%s/metrics.csv", split);
    const int ra = swd_column(ma, a, 8), rb = swd_column(mb, b, 8);
    // straight: 3, 6, 8 (the last); split: also 4 (the first run's last)
    tl_check(ra == 8 && rb == 8 && a[2][0] && !strcmp(a[2], b[2]) && a[5][0] && !strcmp(a[5], b[5]) && a[7][0] &&
                 !strcmp(a[7], b[7]) && !a[0][0] && !a[3][0] && b[3][0],
             "resume gp: SWD logged at iterations 3, 6 and the last, the same in both runs (%s %s %s)", a[2], a[5], a[7]);
    // 7 of the 37 images are held out (2 x eval-n = 8, at most a fifth): an
    // epoch is 30 images, 4 batches of 8, so iteration 1 gets 4 critic steps of 5
    FILE *mf = fopen(ma, "r");
    char line[512];
    int ep = 0, im = 0, di = 0;
    if (mf && fgets(line, sizeof line, mf) && fgets(line, sizeof line, mf)) sscanf(line, "%*d,%d,%d,%d", &ep, &im, &di);
    if (mf) fclose(mf);
    tl_check(ep == 1 && im == 30 && di == 4,
             "eval: held-out images are never trained on (epoch 1 = %d images in %d critic steps; want 30 in 4)", im, di);
    WganConfig c;
    char sp[600];
    snprintf(sp, sizeof sp, "%s/netD.safetensors", split);
    tl_check(wgan_config_read(sp, &c) == 0 && c.loss == WGAN_LOSS_GP && c.critic_norm == DCGAN_NORM_LAYER &&
                 c.gp_lambda == 10.0 && c.beta1 == 0.0 && c.beta2 == 0.9,
             "resume gp: the model file keeps loss, critic norm, lambda and betas");
}

// DiffAugment: its parameters come from the run's generator after each
// step's noise, so a resumed run draws the same ones (clipping and the
// penalty, whose interpolates mix the augmented pair); the model file keeps
// the policy; and it changes the training (the same run without it differs).
static void test_resume_augment(void) {
    char data[512], straight[512], split[512], plain[512];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);
    for (int gp = 0; gp < 2; gp++) {
        snprintf(straight, sizeof straight, "%s/aug%d-straight", tmp, gp);
        snprintf(split, sizeof split, "%s/aug%d-split", tmp, gp);
        snprintf(plain, sizeof plain, "%s/aug%d-plain", tmp, gp);
        TrainOpts o;
        int rc = 0;
        for (int k = 0; k < 3; k++) {
            small_config(&o, data, k == 0 ? straight : k == 1 ? split : plain, k == 1 ? 4 : 8);
            if (gp) wgan_defaults_gp(&o.cfg), o.cfg.critic_norm = DCGAN_NORM_LAYER;
            o.cfg.augment = k == 2 ? 0 : AUGMENT_ALL;
            rc |= train_run(&o);
        }
        small_config(&o, NULL, split, 8);
        o.resume = 1;
        rc |= train_run(&o);
        tl_check(rc == 0, "resume augment%s: four runs finish", gp ? " gp" : "");
        tl_check(same_state(straight, split),
                 "resume augment%s: 8 iterations straight = 4 + resume + 4, every state tensor bit for bit", gp ? " gp" : "");
        tl_check(!same_state(straight, plain), "resume augment%s: the same run without augmentation trains otherwise",
                 gp ? " gp" : "");
        WganConfig c;
        char sp[600];
        snprintf(sp, sizeof sp, "%s/netG.safetensors", split);
        tl_check(wgan_config_read(sp, &c) == 0 && c.augment == AUGMENT_ALL, "resume augment%s: the model file keeps the policy",
                 gp ? " gp" : "");
    }
}

// Model metadata: a field missing or not a number is refused; the fields
// WGAN-GP added are optional (files written before load with the defaults).
static void test_config_fields(void) {
    WganConfig c, back;
    wgan_defaults(&c);
    wgan_defaults_gp(&c);
    char *js = wgan_config_json(&c, "critic");
    tl_check(wgan_config_parse(js, &back, "x") == 0 && back.loss == WGAN_LOSS_GP && back.critic_norm == DCGAN_NORM_NONE &&
                 back.gp_lambda == 10.0 && back.beta1 == 0.0, "config: WGAN-GP fields round trip");
    cJSON *o = cJSON_Parse(js);
    cJSON_DeleteItemFromObject(o, "loss"), cJSON_DeleteItemFromObject(o, "critic_norm"), cJSON_DeleteItemFromObject(o, "gp_lambda");
    char *old = cJSON_PrintUnformatted(o);
    tl_check(wgan_config_parse(old, &back, "x") == 0 && back.loss == WGAN_LOSS_CLIP && back.critic_norm == DCGAN_NORM_BATCH,
             "config: a file without the WGAN-GP fields loads as clipping with batch norm");
    cJSON_AddStringToObject(o, "gp_lambda", "ten");
    char *badopt = cJSON_PrintUnformatted(o);
    cJSON_DeleteItemFromObject(o, "gp_lambda"), cJSON_DeleteItemFromObject(o, "lr_g");
    char *missing = cJSON_PrintUnformatted(o);
    tl_check(wgan_config_parse(badopt, &back, "x") != 0, "config: an optional field that is not a number is refused");
    tl_check(wgan_config_parse(missing, &back, "x") != 0, "config: a required field missing is refused");
    free(js), free(old), free(badopt), free(missing);
    cJSON_Delete(o);
}

static void test_resume(void) {
    char data[512], straight[512], split[512];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);
    snprintf(straight, sizeof straight, "%s/straight", tmp);
    snprintf(split, sizeof split, "%s/split", tmp);
    make_dataset(data, 37, 16);  // 37 / 8: epochs end mid critic loop, with a short last batch
    TrainOpts o;
    small_config(&o, data, straight, 10);
    int rc1 = train_run(&o);
    small_config(&o, data, split, 5);
    int rc2 = train_run(&o);
    small_config(&o, NULL, split, 10);
    o.resume = 1;
    int rc3 = train_run(&o);
    char ga[600], gb[600];
    snprintf(ga, sizeof ga, "%s/netG.safetensors", straight);
    snprintf(gb, sizeof gb, "%s/netG.safetensors", split);
    tl_check(rc1 == 0 && rc2 == 0 && rc3 == 0, "resume: three runs finish");
    tl_check(same_state(straight, split), "resume: 10 iterations straight = 5 + resume + 5, every state tensor bit for bit");
    tl_check(tl_same_file(ga, gb), "resume: the generator files are byte-identical");
    snprintf(ga, sizeof ga, "%s/metrics.csv", straight);
    size_t n;
    unsigned char *m = tl_slurp(ga, &n);
    int rows = 0;
    for (size_t i = 0; i < n; i++) rows += m[i] == '\n';
    free(m);
    tl_check(rows == 11, "resume: metrics.csv has a header and one row per generator iteration (%d lines)", rows);
    // 37 images in batches of 8 are 5 batches an epoch (the last of 5 images);
    // iterations 1-2 want 4 critic steps, later ones 2. Iteration 1 takes
    // batches 1-4; iteration 2 takes batch 5 and stops there, because the
    // epoch ends (as the original's `while j < Diters and i < len(dataloader)`)
    FILE *mf = fopen(ga, "r");
    char line[512];
    int di[3] = {0}, ep[3] = {0}, im[3] = {0};
    for (int r = -1; mf && r < 3 && fgets(line, sizeof line, mf); r++)
        if (r >= 0) sscanf(line, "%*d,%d,%d,%d", &ep[r], &im[r], &di[r]);
    if (mf) fclose(mf);
    tl_check(di[0] == 4 && di[1] == 1 && di[2] == 2 && ep[0] == 1 && ep[1] == 1 && ep[2] == 2 && im[0] == 32 &&
                 im[1] == 37 && im[2] == 53,
             "train: an epoch's end cuts the critic steps short (critic steps %d %d %d, epochs %d %d %d, images %d %d %d)",
             di[0], di[1], di[2], ep[0], ep[1], ep[2], im[0], im[1], im[2]);
    snprintf(ga, sizeof ga, "%s/fake_samples_000009.png", straight);
    snprintf(gb, sizeof gb, "%s/fake_samples_000009.png", split);
    tl_check(tl_same_file(ga, gb), "resume: the grid at iteration 9 is the same picture in both runs");
    // a new run into a folder that holds one is refused
    small_config(&o, data, straight, 10);
    tl_check(train_run(&o) == 2, "train: refuses to overwrite an existing run (exit 2)");
}

// The largest |a - b| over two model files' tensors, relative to max |a|
// (INFINITY when they do not hold the same tensors).
static double model_gap(const char *pa, const char *pb) {
    StFile a, b;
    if (st_load(&a, pa)) return INFINITY;
    if (st_load(&b, pb)) return st_free(&a), INFINITY;
    double d = a.n == b.n ? 0 : INFINITY, m = 0;
    for (int i = 0; i < a.n && d < INFINITY; i++) {
        const StTensor *t = st_find(&b, a.tensors[i].name), *u = &a.tensors[i];
        if (!t || t->nbytes != u->nbytes || t->dtype != u->dtype) {
            d = INFINITY;
            break;
        }
        if (t->dtype != ST_F32) {  // counters: equal
            if (memcmp(t->data, u->data, t->nbytes)) d = INFINITY;
            continue;
        }
        for (size_t j = 0; j < st_numel(t); j++) {
            const double x = ((const float *)u->data)[j], y = ((const float *)t->data)[j];
            d = fmax(d, fabs(x - y)), m = fmax(m, fabs(x));
        }
    }
    st_free(&a), st_free(&b);
    return m > 0 ? d / m : d;
}

// Two backends trade runs: a run started on one resumes on the other with
// its optimiser state and counters (the same number of iterations, weights
// close to an uninterrupted run's: bits are promised on one backend only),
// and a model trained partly on each samples alike on both.
static void cross_pair(const char *host, const char *other) {
    const char *names[2] = {host, other};
    char data[512], run[2][600], whole[600], a[1300], b[1300];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);  // made by test_resume
    snprintf(whole, sizeof whole, "%s/cross-%s", tmp, host);
    TrainOpts o;
    small_config(&o, data, whole, 8);
    o.backend = host;
    int rc = train_run(&o);
    for (int k = 0; k < 2; k++) {  // k = 0: host then the other; 1: the other way round
        snprintf(run[k], sizeof run[k], "%s/cross-%s-then-%s", tmp, names[k], names[1 - k]);
        small_config(&o, data, run[k], 4);
        o.backend = names[k];
        rc |= train_run(&o);
        small_config(&o, NULL, run[k], 8);
        o.resume = 1, o.backend = names[1 - k];
        rc |= train_run(&o);
    }
    tl_check(rc == 0, "[%s/%s] 4 iterations on one, resumed for 4 on the other, both ways: all finish", host, other);
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "%s/netG.safetensors", whole), snprintf(b, sizeof b, "%s/netG.safetensors", run[k]);
        const double g = model_gap(a, b);
        snprintf(a, sizeof a, "%s/netD.safetensors", whole), snprintf(b, sizeof b, "%s/netD.safetensors", run[k]);
        const double d = model_gap(a, b);
        tl_check(g <= 1e-3 && d <= 1e-3,
                 "[%s/%s] started on %s, resumed on %s: G and D within 1e-3 of 8 iterations on %s (%.2g, %.2g)", host,
                 other, names[k], names[1 - k], host, g, d);
        snprintf(a, sizeof a, "%s/metrics.csv", run[k]);
        size_t n;
        unsigned char *m = tl_slurp(a, &n);
        int rows = 0;
        for (size_t i = 0; i < n; i++) rows += m[i] == '\n';
        free(m);
        tl_check(rows == 9, "[%s/%s] the resumed run's metrics.csv continues to iteration 8 (%d lines)", host, other,
                 rows);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(a, sizeof a, "%s/netG.safetensors", run[k]);
        WganConfig c;
        float *f[2] = {NULL, NULL};
        size_t n = 0;
        for (int j = 0; j < 2; j++) {
            const Backend *bj = backend_find(names[j]);
            Net *G = gen_load(bj, a, 0, &c);
            if (!G) break;
            n = (size_t)16 * c.nc * c.isize * c.isize;
            f[j] = fk_malloc(n * sizeof(float));
            gen_fakes(bj, G, &c, 16, 5, f[j], NULL, NULL);
            net_free(G);
        }
        double e = f[1] ? 0 : INFINITY;
        for (size_t i = 0; f[1] && i < n; i++) e = fmax(e, fabs(f[0][i] - f[1][i]));
        tl_check(e <= 1e-4, "[%s/%s] the generator started on %s samples alike on both (max |diff| %.2g)", host, other,
                 names[k], e);
        free(f[0]), free(f[1]);
    }
}

static void test_cross_backend(void) {
    const char *host = backend_find("cpu") ? "cpu" : "ref";
    if (strcmp(host, "ref") != 0) cross_pair(host, "ref");
    for (const Backend *const *b = backend_built(); *b; b++) {
        if ((*b)->host_memory) continue;
        if ((*b)->unavailable && (*b)->unavailable())
            tl_skip("[%s/%s] runs and models trade between them: %s", host, (*b)->name, (*b)->unavailable());
        else
            cross_pair(host, (*b)->name);
    }
}

// A run keeps what it computes on: trained with 1 thread, resumed without
// --threads, it continues with 1 (the cpu backend's sums are split by thread
// count, so 2 threads would change the bits), and metrics.csv's seconds go on
// from where the first session stopped.
static void test_resume_threads(void) {
    char data[512], straight[512], split[512], path[600];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);  // made by test_resume
    snprintf(straight, sizeof straight, "%s/threads-straight", tmp);
    snprintf(split, sizeof split, "%s/threads-split", tmp);
    TrainOpts o;
    small_config(&o, data, straight, 6);
    o.threads = 1, o.sample_every = 100;
    int rc = train_run(&o);
    small_config(&o, data, split, 3);
    o.threads = 1, o.sample_every = 100;
    rc |= train_run(&o);
    backend_default()->set_threads(2);  // what a new process would start with
    small_config(&o, NULL, split, 6);
    o.resume = 1, o.sample_every = 100;
    rc |= train_run(&o);
    tl_check(rc == 0 && same_state(straight, split),
             "resume: a run trained with --threads 1 resumes with 1 thread, bit for bit (6 straight = 3 + 3)");
    snprintf(path, sizeof path, "%s/metrics.csv", split);
    FILE *f = fopen(path, "r");
    char line[512];
    double sec[7] = {0};
    int row = -1;
    while (f && fgets(line, sizeof line, f) && row < 6) {
        if (row >= 0) sscanf(line, "%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%*[^,],%lf", &sec[row]);
        row++;
    }
    if (f) fclose(f);
    tl_check(row == 6 && sec[3] >= sec[2] && sec[2] > 0,
             "resume: metrics.csv's seconds continue after a resume (%.3f at 3, %.3f at 4)", sec[2], sec[3]);
    backend_default()->set_threads(2);
}

// A state written by fakeit 0.2 kept RMSprop's square_avg in room for two
// moments (the second all zeros): such a run still resumes, bit for bit.
static void test_resume_old_state(void) {
    char data[512], straight[512], split[512], path[600], old[640];
    snprintf(data, sizeof data, "%s/discs.fkd", tmp);  // made by test_resume
    snprintf(straight, sizeof straight, "%s/threads-straight", tmp);  // 6 iterations, 1 thread
    snprintf(split, sizeof split, "%s/old-split", tmp);
    TrainOpts o;
    small_config(&o, data, split, 3);
    o.threads = 1, o.sample_every = 100;
    int rc = train_run(&o);
    snprintf(path, sizeof path, "%s/state.safetensors", split);
    snprintf(old, sizeof old, "%s/state-0.2.safetensors", split);
    StFile f;
    FK_CHECK(st_load(&f, path) == 0, "load %s", path);
    StOut *t = fk_calloc((size_t)f.n, sizeof(StOut));
    float *wide[2] = {NULL, NULL};
    int k = 0, widened = 0;
    for (int i = 0; i < f.n; i++) {
        const StTensor *x = &f.tensors[i];
        t[i] = (StOut){.name = x->name, .dtype = x->dtype, .ndim = x->ndim, .data = x->data};
        memcpy(t[i].shape, x->shape, sizeof x->shape);
        if ((!strcmp(x->name, "G.opt") || !strcmp(x->name, "D.opt")) && k < 2) {
            const size_t n = st_numel(x);
            wide[k] = fk_calloc(2 * n, sizeof(float));
            memcpy(wide[k], x->data, n * sizeof(float));
            t[i].data = wide[k++], t[i].shape[0] = 2 * (int64_t)n;
            widened++;
        }
    }
    FK_CHECK(st_save(old, t, f.n, f.metadata) == 0, "save %s", old);
    st_free(&f);
    free(t), free(wide[0]), free(wide[1]);
    rc |= rename(old, path);
    small_config(&o, NULL, split, 6);
    o.resume = 1, o.sample_every = 100;
    rc |= train_run(&o);
    tl_check(rc == 0 && widened == 2 && same_state(straight, split),
             "resume: a state of fakeit 0.2 (RMSprop's moment in room for two) resumes, bit for bit (6 = 3 + 3)");
    backend_default()->set_threads(2);
}

static void test_sampling(void) {
    char model[600], d1[600], d2[600], d3[600], d4[600], f1[700], f2[700];
    snprintf(model, sizeof model, "%s/straight/netG.safetensors", tmp);
    snprintf(d1, sizeof d1, "%s/s1", tmp), snprintf(d2, sizeof d2, "%s/s2", tmp);
    snprintf(d3, sizeof d3, "%s/s3", tmp), snprintf(d4, sizeof d4, "%s/s4", tmp);
    SampleOpts o = {.model = model, .out_dir = d1, .n = 8, .seed = 3};
    int rc = sample_run(&o);
    o.out_dir = d2;
    rc |= sample_run(&o);
    o.out_dir = d3, o.n = 1;
    rc |= sample_run(&o);
    o.out_dir = d4, o.n = 8, o.seed = 4;
    rc |= sample_run(&o);
    int same = 1;
    for (int i = 0; i < 8; i++) {
        snprintf(f1, sizeof f1, "%s/fake_%05d.png", d1, i), snprintf(f2, sizeof f2, "%s/fake_%05d.png", d2, i);
        same &= tl_same_file(f1, f2);
    }
    tl_check(rc == 0 && same, "sample: the same seed gives the same 8 images");
    snprintf(f1, sizeof f1, "%s/fake_00000.png", d1), snprintf(f2, sizeof f2, "%s/fake_00000.png", d3);
    tl_check(tl_same_file(f1, f2), "sample: -n 1 gives the first image of -n 8");
    snprintf(f2, sizeof f2, "%s/fake_00000.png", d4);
    tl_check(!tl_same_file(f1, f2), "sample: another seed, another image");
    char d5[600];
    snprintf(d5, sizeof d5, "%s/s5", tmp);
    SampleOpts r = {.model = model, .out_dir = d5, .n = 16, .rank_k = 3, .seed = 3};
    rc = sample_run(&r);
    struct stat st;
    snprintf(f1, sizeof f1, "%s/fake_00002.png", d5), snprintf(f2, sizeof f2, "%s/fake_00003.png", d5);
    tl_check(rc == 0 && stat(f1, &st) == 0 && stat(f2, &st) != 0, "sample --rank-by-critic 3: keeps 3 of 16, using netD beside the model");
    snprintf(f1, sizeof f1, "%s/strip.png", tmp);
    InterpOpts io = {.model = model, .out = f1, .rows = 2, .steps = 5, .seed = 1};
    tl_check(interp_run(&io) == 0 && stat(f1, &st) == 0, "interp: a strip of 2 walks of 5 steps");
    float a[3] = {1, 0, 0}, b[3] = {0, 1, 0}, m[3];
    slerp(m, a, b, 3, 0.5);
    tl_check(fabsf(m[0] - 0.70710678f) < 1e-6f && fabsf(m[1] - 0.70710678f) < 1e-6f && m[2] == 0,
             "slerp: halfway between orthogonal unit vectors is (0.7071, 0.7071, 0)");
}

// A model file with one tensor changed (renamed, reshaped or retyped).
static int load_tampered(const char *src, const char *dst, const char *victim, const char *rename_to,
                         int64_t reshape0, StDtype dtype, int drop, int add_extra) {
    StFile f;
    FK_CHECK(st_load(&f, src) == 0, "load %s", src);
    StOut *t = fk_calloc((size_t)f.n + 1, sizeof(StOut));
    int n = 0;
    static float extra[4];
    for (int i = 0; i < f.n; i++) {
        const StTensor *s = &f.tensors[i];
        if (!strcmp(s->name, victim) && drop) continue;
        t[n] = (StOut){.name = s->name, .dtype = s->dtype, .ndim = s->ndim, .data = s->data};
        memcpy(t[n].shape, s->shape, sizeof s->shape);
        if (!strcmp(s->name, victim)) {
            if (rename_to) t[n].name = rename_to;
            if (reshape0) {  // same bytes, other shape
                t[n].shape[0] = reshape0, t[n].shape[1] = (int64_t)(st_numel(s) / (size_t)reshape0);
                t[n].ndim = 2;
            }
            if (dtype != ST_F32) {  // same bytes, other dtype of the same size
                t[n].dtype = dtype;
            }
        }
        n++;
    }
    if (add_extra) t[n++] = (StOut){.name = "main.surprise.weight", .dtype = ST_F32, .ndim = 1, .shape = {4}, .data = extra};
    FK_CHECK(st_save(dst, t, n, f.metadata) == 0, "save %s", dst);
    free(t);
    st_free(&f);
    Net *G = dcgan_generator(be, 16, 8, 3, 8, 0, DCGAN_NORM_BATCH);
    printf("# expected refusal: ");
    fflush(stdout);
    int rc = ckpt_load_net(dst, G);
    net_free(G);
    return rc;
}

static void test_bad_models(void) {
    char src[600], dst[600];
    snprintf(src, sizeof src, "%s/straight/netG.safetensors", tmp);
    snprintf(dst, sizeof dst, "%s/bad.safetensors", tmp);
    const char *w = "main.pyramid:16-8:convt.weight";
    tl_check(load_tampered(src, dst, w, NULL, 0, ST_F32, 0, 0) == 0, "model: an untouched copy loads");
    tl_check(load_tampered(src, dst, w, NULL, 4, ST_F32, 0, 0) != 0, "model: a tensor of the wrong shape is refused");
    tl_check(load_tampered(src, dst, w, NULL, 0, ST_I32, 0, 0) != 0, "model: a tensor of the wrong dtype is refused");
    tl_check(load_tampered(src, dst, w, NULL, 0, ST_F32, 1, 0) != 0, "model: a missing tensor is refused");
    tl_check(load_tampered(src, dst, w, NULL, 0, ST_F32, 0, 1) != 0, "model: an unexpected tensor is refused");
    Net *G = dcgan_generator(be, 16, 8, 3, 16, 0, DCGAN_NORM_BATCH);
    printf("# expected refusal: ");
    fflush(stdout);
    tl_check(ckpt_load_net(src, G) != 0, "model: a model of another width is refused");
    net_free(G);
    WganConfig c;
    printf("# expected refusal: ");
    fflush(stdout);
    tl_check(wgan_config_read("tests/fixtures/torch_netG.safetensors", &c) != 0,
             "model: a file without fakeit's configuration cannot be sampled (message, no crash)");
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/fakeit-train-XXXXXX");
    FK_CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    if (st_load(&fx, "tests/fixtures/train.safetensors") != 0) return 2;
    if (st_load(&gpfx, "tests/fixtures/gp.safetensors") != 0) return 2;
    for (const Backend *const *b = backend_all(); *b; b++) {
        be = *b;
        be->set_threads(2);
        test_replay_pytorch();
        test_gp_pytorch("none", DCGAN_NORM_NONE);
        test_gp_pytorch("layer", DCGAN_NORM_LAYER);
    }
    be = &backend_ref;
    st_free(&gpfx);
    test_pixel_conversion();
    test_interop();
    test_config_fields();
    test_resume();
    test_resume_gp();
    test_resume_augment();
    test_resume_threads();
    test_resume_old_state();
    test_sampling();
    test_cross_backend();
    test_bad_models();
    st_free(&fx);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    tl_check(system(cmd) == 0, "temporary files removed");
    return tl_summary();
}
