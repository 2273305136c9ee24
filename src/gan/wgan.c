// wgan.c: the reference WGAN training loop, one generator iteration at a time.
#include "gan/wgan.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void wgan_defaults(WganConfig *c) {
    *c = (WganConfig){
        .isize = 64, .nc = 3, .nz = 100, .ngf = 64, .ndf = 64, .n_extra = 0, .bn_g = 1, .batch = 64,
        .adam = 0, .lr_g = 5e-5, .lr_d = 5e-5, .beta1 = 0.5, .beta2 = 0.999, .clip = 0.01,
        .d_iters = 5, .d_iters_warm = 100, .warm_iters = 25, .warm_every = 500, .seed = 1,
        .loss = WGAN_LOSS_CLIP, .critic_norm = DCGAN_NORM_BATCH, .gp_lambda = 10.0,
    };
}

void wgan_defaults_gp(WganConfig *c) {
    c->loss = WGAN_LOSS_GP;
    c->critic_norm = DCGAN_NORM_NONE;
    c->gp_lambda = 10.0;
    c->adam = 1;
    c->lr_g = c->lr_d = 1e-4;
    c->beta1 = 0.0, c->beta2 = 0.9;
    c->d_iters = c->d_iters_warm = 5;
}

void wgan_loss_defaults(WganConfig *c, unsigned given) {
    if (c->loss != WGAN_LOSS_GP) return;
    WganConfig gp = *c;
    wgan_defaults_gp(&gp);
    c->adam = 1;
    if (!(given & WGAN_GIVEN_LR_G)) c->lr_g = gp.lr_g;
    if (!(given & WGAN_GIVEN_LR_D)) c->lr_d = gp.lr_d;
    if (!(given & WGAN_GIVEN_BETA1)) c->beta1 = gp.beta1;
    if (!(given & WGAN_GIVEN_BETA2)) c->beta2 = gp.beta2;
    if (!(given & WGAN_GIVEN_D_ITERS)) c->d_iters = gp.d_iters;
    if (!(given & WGAN_GIVEN_D_ITERS_WARM)) c->d_iters_warm = (given & WGAN_GIVEN_D_ITERS) ? c->d_iters : gp.d_iters_warm;
    if (!(given & WGAN_GIVEN_CRITIC_NORM)) c->critic_norm = gp.critic_norm;
}

// Floats of one DCGAN network: parameters (*params) and activations per
// image (returned), the layers laid out as dcgan.c lays them: a convolution's
// output, its norm's and its activation's are counted apart (an upper bound:
// the backends share and fuse some of them).
static double dcgan_floats(const WganConfig *c, int generator, double *params) {
    double act = 0, p = 0;
    if (generator) {
        int ch = c->ngf / 2;
        for (int t = 4; t < c->isize; t *= 2) ch *= 2;  // "<": never endless on a size wgan_init refuses
        p += (double)c->nz * ch * 16 + 4.0 * ch, act += 3.0 * ch * 16;
        int sz = 4;
        for (; sz < c->isize / 2; sz *= 2, ch /= 2) p += (double)ch * (ch / 2) * 16 + 2.0 * ch, act += 3.0 * (ch / 2) * 4 * sz * sz;
        for (int t = 0; t < c->n_extra; t++) p += 9.0 * ch * ch + 4.0 * ch, act += 3.0 * ch * sz * sz;
        p += (double)ch * c->nc * 16, act += 2.0 * c->nc * c->isize * c->isize;
    } else {
        int ch = c->ndf, sz = c->isize / 2;
        p += (double)c->nc * ch * 16, act += 2.0 * ch * sz * sz;
        for (int t = 0; t < c->n_extra; t++) p += 9.0 * ch * ch + 4.0 * ch, act += 3.0 * ch * sz * sz;
        for (; sz > 4; sz /= 2, ch *= 2) p += (double)ch * ch * 2 * 16 + 8.0 * ch, act += 3.0 * ch * 2 * (sz / 2) * (sz / 2);
        p += (double)ch * 16, act += 1;
    }
    *params = p;
    return act;
}

double wgan_param_floats(const WganConfig *c, int nets) {
    double pg = 0, pd = 0;
    if (nets & 1) dcgan_floats(c, 1, &pg);
    if (nets & 2) dcgan_floats(c, 0, &pd);
    return pg + pd;
}

double wgan_memory_estimate(const WganConfig *c, double data_bytes) {
    double pg, pd;
    const double ag = dcgan_floats(c, 1, &pg), ad = dcgan_floats(c, 0, &pd);
    const int moments = c->adam ? 2 : 1;
    const double per_image = 2 * ag + (c->loss == WGAN_LOSS_GP ? 4 : 2) * ad  // activations and their gradients
                             + 3.0 * c->nc * c->isize * c->isize;               // real, fake, interpolates
    return 4.0 * ((pg + pd) * (2 + moments) + (double)c->batch * per_image) + data_bytes;
}

int wgan_init(Wgan *w, const WganConfig *cfg, const Backend *be, const Dataset *ds) {
    memset(w, 0, sizeof *w);
    if (!dcgan_size_ok(cfg->isize)) {
        fk_error("image size %d is not supported: the DCGAN pair needs a power of two (16, 32, 64, 128, 256): prepare the data at such a --size", cfg->isize);
        return -1;
    }
    if (ds && (ds->size != (uint32_t)cfg->isize || ds->channels != (uint32_t)cfg->nc)) {
        fk_error("the data set holds %ux%u images with %u channels, the model wants %dx%d with %d", ds->size, ds->size,
                 ds->channels, cfg->isize, cfg->isize, cfg->nc);
        return -1;
    }
    if (cfg->loss == WGAN_LOSS_GP && cfg->critic_norm == DCGAN_NORM_BATCH) {  // before anything is built
        fk_error("the gradient penalty is per sample and batch norm mixes samples: use --critic-norm none or layer");
        return -1;
    }
    w->cfg = *cfg;
    w->be = be;
    w->ds = ds;
    w->G = dcgan_generator(be, cfg->isize, cfg->nz, cfg->nc, cfg->ngf, cfg->n_extra,
                           cfg->bn_g ? DCGAN_NORM_BATCH : DCGAN_NORM_NONE);
    w->D = dcgan_critic(be, cfg->isize, cfg->nc, cfg->ndf, cfg->n_extra, (DcganNorm)cfg->critic_norm);
    Rng init;
    rng_seed(&init, cfg->seed);
    dcgan_init(w->G, &init);  // the reference initialises G, then D
    dcgan_init(w->D, &init);
    rng_seed(&w->rng, cfg->seed ^ 0x5eed0fda7a0de55ULL);
    net_set_batch(w->G, cfg->batch);
    if (cfg->loss == WGAN_LOSS_GP) net_enable_penalty(w->D);
    net_set_batch(w->D, cfg->batch);
    w->og = cfg->adam ? optim_adam(cfg->lr_g, cfg->beta1, cfg->beta2) : optim_rmsprop(cfg->lr_g);
    w->od = cfg->adam ? optim_adam(cfg->lr_d, cfg->beta1, cfg->beta2) : optim_rmsprop(cfg->lr_d);
    const size_t img = (size_t)cfg->batch * cfg->nc * cfg->isize * cfg->isize;
    w->real = be->alloc(img);
    w->fake = be->alloc(img);
    w->dfake = be->alloc(img);
    w->z = be->alloc((size_t)cfg->batch * cfg->nz);
    w->dscore = be->alloc((size_t)cfg->batch);
    w->loss = be->alloc(WGAN_LOSSES);
    w->host_z = fk_malloc((size_t)cfg->batch * cfg->nz * sizeof(float));
    if (cfg->loss == WGAN_LOSS_GP) {
        w->xhat = be->alloc(img), w->gx = be->alloc(img), w->vgx = be->alloc(img);
        w->ones = be->alloc((size_t)cfg->batch);
        w->alpha = be->alloc((size_t)cfg->batch);
        w->host_alpha = fk_malloc((size_t)cfg->batch * sizeof(float));
        float *one = fk_malloc((size_t)cfg->batch * sizeof(float));
        for (int i = 0; i < cfg->batch; i++) one[i] = 1.0f;
        be->upload(w->ones, one, (size_t)cfg->batch);
        free(one);
    }
    if (ds) {
        w->order = fk_malloc((size_t)(ds->count ? ds->count : 1) * sizeof(uint32_t));
        for (uint32_t i = 0; i < ds->count; i++) w->order[i] = i;
        w->pos = ds->count;  // the first iteration starts epoch 1
        w->pixels = ds->pixels;
        if (!be->host_memory) {  // the whole data set goes over once; batches are gathered there
            const size_t bytes = (size_t)ds->count * ds_image_bytes(ds);
            w->pixels_store = be->alloc((bytes + sizeof(float) - 1) / sizeof(float));
            be->upload_bytes(w->pixels_store, ds->pixels, bytes);
            w->pixels = (const unsigned char *)w->pixels_store;
            w->index = (unsigned *)be->alloc((size_t)cfg->batch);
        }
    }
    return 0;
}

void wgan_free(Wgan *w) {
    const Backend *be = w->be;
    if (!be) return;
    be->free(w->real), be->free(w->fake), be->free(w->dfake);
    be->free(w->z), be->free(w->dscore), be->free(w->loss);
    if (w->xhat) be->free(w->xhat), be->free(w->gx), be->free(w->vgx), be->free(w->ones), be->free(w->alpha);
    if (w->pixels_store) be->free(w->pixels_store), be->free((float *)w->index);
    free(w->host_alpha);
    free(w->host_z);
    free(w->order);
    net_free(w->G);
    net_free(w->D);
    memset(w, 0, sizeof *w);
}

int wgan_diters_at(const WganConfig *c, long gen_iter) {
    return gen_iter < c->warm_iters || gen_iter % c->warm_every == 0 ? c->d_iters_warm : c->d_iters;
}

int wgan_diters(const Wgan *w) { return wgan_diters_at(&w->cfg, w->gen_iter); }

// The losses of the last critic step and generator step, read back in one
// download (the only wait for the backend in an iteration).
static void read_losses(Wgan *w) {
    float v[WGAN_LOSSES];
    w->be->download(v, w->loss, WGAN_LOSSES);
    w->loss_d_real = v[WGAN_LOSS_D_REAL], w->loss_d_fake = v[WGAN_LOSS_D_FAKE];
    w->loss_gp = w->cfg.loss == WGAN_LOSS_GP ? v[WGAN_LOSS_PENALTY] : 0.0f;
    w->loss_d = w->loss_d_real - w->loss_d_fake + w->loss_gp;
    w->loss_g = v[WGAN_LOSS_G];
}

void wgan_noise(Wgan *w, float *host, int n) {
    rng_fill_normal(&w->rng, host, (size_t)n * w->cfg.nz, 0.0f, 1.0f);
}

// ---------------------------------------------------------------------------

// The penalty at xhat = alpha real + (1 - alpha) fake for the first n
// samples: adds its parameter gradient to D's, its value to its loss slot.
static void penalty_step(Wgan *w, const float *real, const float *fake, int n, const float *alpha) {
    const Backend *be = w->be;
    const size_t img = (size_t)w->cfg.nc * w->cfg.isize * w->cfg.isize;
    be->upload(w->alpha, alpha, (size_t)n);
    be->lerp(w->xhat, real, fake, w->alpha, n, img);
    Net *D = w->D;
    net_forward(D, w->xhat, n);
    be->zero(w->gx, (size_t)n * img);
    net_backward(D, w->ones, w->gx, 0);  // gx = d sum(D(xhat)) / d xhat, one row per sample
    be->zero(w->vgx, (size_t)n * img);
    be->grad_penalty(w->loss + WGAN_LOSS_PENALTY, w->vgx, w->gx, n, img, (float)w->cfg.gp_lambda);
    net_penalty_backward(D, w->ones, w->vgx);
}

void wgan_critic_update(Wgan *w, const float *real, int n, const float *fake, int nf, const float *alpha) {
    const Backend *be = w->be;
    const int gp = w->cfg.loss == WGAN_LOSS_GP;
    Net *D = w->D;
    if (!gp) net_clip_weights(D, (float)w->cfg.clip);
    net_zero_grads(D);
    const float *s = net_forward(D, real, n);
    be->wgan_loss_forward(w->loss + WGAN_LOSS_D_REAL, s, n, +1.0f);
    be->zero(w->dscore, (size_t)n);
    be->wgan_loss_backward(w->dscore, n, +1.0f);
    net_backward(D, w->dscore, NULL, 1);
    s = net_forward(D, fake, nf);
    be->wgan_loss_forward(w->loss + WGAN_LOSS_D_FAKE, s, nf, +1.0f);
    be->zero(w->dscore, (size_t)nf);
    be->wgan_loss_backward(w->dscore, nf, -1.0f);
    net_backward(D, w->dscore, NULL, 1);
    if (gp) penalty_step(w, real, fake, n, alpha);
    optim_step(&w->od, D);
    if (!w->defer) read_losses(w);
}

void wgan_critic_step(Wgan *w, const float *real, int n, const float *z, const float *alpha) {
    const int B = w->cfg.batch;
    const size_t img = (size_t)B * w->cfg.nc * w->cfg.isize * w->cfg.isize;
    // the fake batch is always a full batch, made without gradients
    w->be->copy(w->fake, net_forward(w->G, z, B), img);
    wgan_critic_update(w, real, n, w->fake, B, alpha);
}

void wgan_generator_step(Wgan *w, const float *z) {
    const Backend *be = w->be;
    const int B = w->cfg.batch;
    const size_t img = (size_t)B * w->cfg.nc * w->cfg.isize * w->cfg.isize;
    net_zero_grads(w->G);
    const float *fake = net_forward(w->G, z, B);
    const float *s = net_forward(w->D, fake, B);
    be->wgan_loss_forward(w->loss + WGAN_LOSS_G, s, B, +1.0f);
    be->zero(w->dscore, (size_t)B);
    be->wgan_loss_backward(w->dscore, B, +1.0f);
    be->zero(w->dfake, img);
    net_backward(w->D, w->dscore, w->dfake, 0);  // frozen critic: its gradients stay as they are
    net_backward(w->G, w->dfake, NULL, 1);
    optim_step(&w->og, w->G);
    if (!w->defer) read_losses(w);
}

// ---------------------------------------------------------------------------

static void new_epoch(Wgan *w) {
    const uint32_t n = w->ds->count;
    for (uint32_t i = 0; i < n; i++) w->order[i] = i;
    for (uint32_t i = n; i > 1; i--) {  // Fisher-Yates
        uint32_t j = (uint32_t)(rng_u64(&w->rng) % i), t = w->order[i - 1];
        w->order[i - 1] = w->order[j], w->order[j] = t;
    }
    w->pos = 0;
    w->epoch++;
}

void wgan_pixels_to_float(float *dst, const uint8_t *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = ((float)src[i] / 255.0f - 0.5f) / 0.5f;
}

// The next real batch (up to cfg.batch images) as floats in [-1, 1],
// gathered by the backend from the data set's bytes in its memory.
static int next_real(Wgan *w) {
    const Dataset *ds = w->ds;
    const Backend *be = w->be;
    const int n = (int)(ds->count - w->pos < (uint32_t)w->cfg.batch ? ds->count - w->pos : (uint32_t)w->cfg.batch);
    const unsigned *index = w->order + w->pos;
    if (w->index) {
        be->upload_bytes(w->index, index, (size_t)n * sizeof *index);
        index = w->index;
    }
    be->images_from_bytes(w->real, w->pixels, index, n, ds_image_bytes(ds));
    w->pos += n;
    w->images += n;
    return n;
}

void wgan_iteration(Wgan *w) {
    FK_CHECK(w->ds && w->ds->count > 0, "training needs a non-empty data set");
    const int B = w->cfg.batch;
    float *zh = w->host_z;
    if (w->pos >= (long)w->ds->count) new_epoch(w);
    const int diters = wgan_diters(w);
    int j = 0;
    w->defer = 1;  // the losses are read once, at the end
    while (j < diters && w->pos < (long)w->ds->count) {
        const int n = next_real(w);
        wgan_noise(w, zh, B);
        w->be->upload(w->z, zh, (size_t)B * w->cfg.nz);
        if (w->host_alpha)
            for (int b = 0; b < n; b++) w->host_alpha[b] = (float)rng_uniform(&w->rng);
        wgan_critic_step(w, w->real, n, w->z, w->host_alpha);
        j++;
    }
    wgan_noise(w, zh, B);
    w->be->upload(w->z, zh, (size_t)B * w->cfg.nz);
    wgan_generator_step(w, w->z);
    w->defer = 0;
    read_losses(w);
    w->gen_iter++;
    w->last_d_iters = j;
}
