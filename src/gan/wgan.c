// wgan.c: the reference WGAN training loop, one generator iteration at a time.
#include "gan/wgan.h"

#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "gan/augment.h"
#include "ops/ops.h"
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
                             + (c->augment ? 6.0 : 3.0) * c->nc * c->isize * c->isize;  // real, fake, interpolates (augmented)
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
    w->parallel = ds && dist_size() > 1;
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
    if (cfg->augment) {
        w->aug_real = be->alloc(img), w->aug_fake = be->alloc(img), w->daug = be->alloc(img);
        w->aug_params = be->alloc((size_t)2 * cfg->batch * AUG_PARAMS);
        w->host_aug = fk_malloc((size_t)2 * cfg->batch * AUG_PARAMS * sizeof(float));
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

// What wgan_iteration restores when interrupted: each network's
// parameters, buffers and optimiser state (backend memory), the counters,
// the random generator and, when the iteration began an epoch, the order.
struct WganUndo {
    float *copy[2][3];
    uint64_t rng[4];
    long gen_iter, epoch, pos, images, og_t, od_t, bn_batches[2];
    uint32_t *order;
    int order_kept;
};

static void undo_blocks(Wgan *w, int k, float *blocks[3], size_t sizes[3]) {
    Net *net = k ? w->D : w->G;
    const int moments = w->cfg.adam ? 2 : 1;
    blocks[0] = net->params, blocks[1] = net->buffers, blocks[2] = net_opt_state(net, moments);
    sizes[0] = net->n_params, sizes[1] = net->n_buffers, sizes[2] = moments * net->n_params;
}

static void undo_keep(Wgan *w) {
    struct WganUndo *u = w->undo;
    if (!u) {
        u = w->undo = fk_calloc(1, sizeof *u);
        u->order = fk_malloc((size_t)(w->ds->count ? w->ds->count : 1) * sizeof(uint32_t));
    }
    for (int k = 0; k < 2; k++) {
        float *blocks[3];
        size_t sizes[3];
        undo_blocks(w, k, blocks, sizes);
        for (int j = 0; j < 3; j++) {
            if (!u->copy[k][j]) u->copy[k][j] = w->be->alloc(sizes[j] ? sizes[j] : 1);
            w->be->copy(u->copy[k][j], blocks[j], sizes[j]);
        }
    }
    memcpy(u->rng, w->rng.s, sizeof u->rng);
    u->gen_iter = w->gen_iter, u->epoch = w->epoch, u->pos = w->pos, u->images = w->images;
    u->og_t = w->og.t, u->od_t = w->od.t;
    u->bn_batches[0] = w->G->bn_batches, u->bn_batches[1] = w->D->bn_batches;
    u->order_kept = 0;
}

static void undo_restore(Wgan *w) {
    struct WganUndo *u = w->undo;
    for (int k = 0; k < 2; k++) {
        float *blocks[3];
        size_t sizes[3];
        undo_blocks(w, k, blocks, sizes);
        for (int j = 0; j < 3; j++) w->be->copy(blocks[j], u->copy[k][j], sizes[j]);
    }
    memcpy(w->rng.s, u->rng, sizeof u->rng);
    w->gen_iter = u->gen_iter, w->epoch = u->epoch, w->pos = u->pos, w->images = u->images;
    w->og.t = u->og_t, w->od.t = u->od_t;
    w->G->bn_batches = u->bn_batches[0], w->D->bn_batches = u->bn_batches[1];
    if (u->order_kept) memcpy(w->order, u->order, w->ds->count * sizeof(uint32_t));
}

static void undo_free(Wgan *w) {
    struct WganUndo *u = w->undo;
    if (!u) return;
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++)
            if (u->copy[k][j]) w->be->free(u->copy[k][j]);
    free(u->order);
    free(u);
    w->undo = NULL;
}

void wgan_free(Wgan *w) {
    const Backend *be = w->be;
    if (!be) return;
    undo_free(w);
    be->free(w->real), be->free(w->fake), be->free(w->dfake);
    be->free(w->z), be->free(w->dscore), be->free(w->loss);
    if (w->xhat) be->free(w->xhat), be->free(w->gx), be->free(w->vgx), be->free(w->ones), be->free(w->alpha);
    if (w->pixels_store) be->free(w->pixels_store), be->free((float *)w->index);
    if (w->aug_params) be->free(w->aug_real), be->free(w->aug_fake), be->free(w->daug), be->free(w->aug_params);
    free(w->host_aug);
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
// download (the only wait for the backend in an iteration); in data-parallel
// training each slot holds this process's share, summed over the processes.
static void read_losses(Wgan *w) {
    float v[WGAN_LOSSES];
    w->be->download(v, w->loss, WGAN_LOSSES);
    if (w->parallel) dist_sum_f32(v, WGAN_LOSSES);
    w->loss_d_real = v[WGAN_LOSS_D_REAL], w->loss_d_fake = v[WGAN_LOSS_D_FAKE];
    w->loss_gp = w->cfg.loss == WGAN_LOSS_GP ? v[WGAN_LOSS_PENALTY] : 0.0f;
    w->loss_d = w->loss_d_real - w->loss_d_fake + w->loss_gp;
    w->loss_g = v[WGAN_LOSS_G];
}

void wgan_noise(Wgan *w, float *host, int n) {
    rng_fill_normal(&w->rng, host, (size_t)n * w->cfg.nz, 0.0f, 1.0f);
}

// ---------------------------------------------------------------------------

// A batch's loss on this process's n of its `all` samples: the slot gets
// sign * sum / all (this process's share of the mean), dscore sign / all
// each. n = all outside data-parallel training (the scale is then exactly 1).
static void batch_loss(Wgan *w, int slot, const float *score, int n, int all, float sign) {
    const Backend *be = w->be;
    be->zero(w->dscore, (size_t)w->cfg.batch);
    if (n == 0) {
        be->zero(w->loss + slot, 1);
        return;
    }
    const float share = (float)n / (float)all;
    be->wgan_loss_forward(w->loss + slot, score, n, share);
    be->wgan_loss_backward(w->dscore, n, sign * share);
}

// The penalty at xhat = alpha real + (1 - alpha) fake for this process's n
// of `all` samples: adds its parameter gradient to D's, its share of the
// value to its loss slot.
static void penalty_step(Wgan *w, const float *real, const float *fake, int n, int all, const float *alpha) {
    const Backend *be = w->be;
    if (n == 0) {  // the critic of the penalty has no batch norm: nothing to share
        be->zero(w->loss + WGAN_LOSS_PENALTY, 1);
        return;
    }
    const size_t img = (size_t)w->cfg.nc * w->cfg.isize * w->cfg.isize;
    be->upload(w->alpha, alpha, (size_t)n);
    be->lerp(w->xhat, real, fake, w->alpha, n, img);
    Net *D = w->D;
    net_forward(D, w->xhat, n);
    be->zero(w->gx, (size_t)n * img);
    net_backward(D, w->ones, w->gx, 0);  // gx = d sum(D(xhat)) / d xhat, one row per sample
    be->zero(w->vgx, (size_t)n * img);
    be->grad_penalty(w->loss + WGAN_LOSS_PENALTY, w->vgx, w->gx, n, img,
                     (float)w->cfg.gp_lambda * ((float)n / (float)all));
    net_penalty_backward(D, w->ones, w->vgx);
}

// DiffAugment's rows for a critic step whose real batch has `all` samples,
// this process's n of them from lo: every process draws the rows of the
// whole step (the reals', then one per fake of the batch) so that the
// trainer's stream stays one, and uploads its own — its reals' to rows
// [0, n), its fakes' (those next_noise gave it) from row `batch` on.
static void part_of(const Wgan *w, int all, int *lo, int *n);
static void augment_critic_rows(Wgan *w, int all, int lo, int n) {
    if (!w->cfg.augment) return;
    const int B = w->cfg.batch, S = w->cfg.isize;
    float *real_rows = w->host_aug, *fake_rows = w->host_aug + (size_t)B * AUG_PARAMS;
    augment_draw(&w->rng, (unsigned)w->cfg.augment, real_rows, all, S, S);
    augment_draw(&w->rng, (unsigned)w->cfg.augment, fake_rows, B, S, S);
    int elo, en;
    part_of(w, B - all, &elo, &en);
    float *dev = w->aug_params, *dev_fake = w->aug_params + (size_t)B * AUG_PARAMS;
    if (n) {
        w->be->upload(dev, real_rows + (size_t)lo * AUG_PARAMS, (size_t)n * AUG_PARAMS);
        w->be->upload(dev_fake, fake_rows + (size_t)lo * AUG_PARAMS, (size_t)n * AUG_PARAMS);
    }
    if (en)
        w->be->upload(dev_fake + (size_t)n * AUG_PARAMS, fake_rows + (size_t)(all + elo) * AUG_PARAMS,
                      (size_t)en * AUG_PARAMS);
}

// The generator step's rows: one per fake of the batch, this process's part
// (as next_noise gives it) from row `batch` on.
static void augment_generator_rows(Wgan *w) {
    if (!w->cfg.augment) return;
    const int B = w->cfg.batch, S = w->cfg.isize;
    float *rows = w->host_aug + (size_t)B * AUG_PARAMS;
    augment_draw(&w->rng, (unsigned)w->cfg.augment, rows, B, S, S);
    int lo, n;
    part_of(w, B, &lo, &n);
    if (n) w->be->upload(w->aug_params + (size_t)B * AUG_PARAMS, rows + (size_t)lo * AUG_PARAMS, (size_t)n * AUG_PARAMS);
}

// The critic step on this process's n of `all` reals and nf of `nf_all` fakes.
static void critic_update(Wgan *w, const float *real, int n, int all, const float *fake, int nf, int nf_all,
                          const float *alpha) {
    const int gp = w->cfg.loss == WGAN_LOSS_GP;
    Net *D = w->D;
    if (w->cfg.augment) {  // the critic sees only augmented images (rows from augment_critic_rows)
        const int C = w->cfg.nc, S = w->cfg.isize;
        if (n) w->be->augment_forward(w->aug_real, real, w->aug_params, n, C, S, S);
        if (nf) w->be->augment_forward(w->aug_fake, fake, w->aug_params + (size_t)w->cfg.batch * AUG_PARAMS, nf, C, S, S);
        real = w->aug_real, fake = w->aug_fake;
    }
    if (!gp) net_clip_weights(D, (float)w->cfg.clip);
    net_zero_grads(D);
    batch_loss(w, WGAN_LOSS_D_REAL, net_forward(D, real, n), n, all, +1.0f);
    net_backward(D, w->dscore, NULL, 1);
    batch_loss(w, WGAN_LOSS_D_FAKE, net_forward(D, fake, nf), nf, nf_all, -1.0f);
    net_backward(D, w->dscore, NULL, 1);
    if (gp) penalty_step(w, real, fake, n, all, alpha);
    net_sum_grads(D);
    optim_step(&w->od, D);
    if (!w->defer) read_losses(w);
}

void wgan_critic_update(Wgan *w, const float *real, int n, const float *fake, int nf, const float *alpha) {
    augment_critic_rows(w, n, 0, n);
    critic_update(w, real, n, n, fake, nf, nf, alpha);
}

// The fake batch (this process's nb of the batch's B noise vectors, made
// without gradients), then the critic step.
static void critic_step(Wgan *w, const float *real, int n, int all, const float *z, int nb, const float *alpha) {
    const size_t img = (size_t)nb * w->cfg.nc * w->cfg.isize * w->cfg.isize;
    const float *fake = net_forward(w->G, z, nb);
    if (nb) w->be->copy(w->fake, fake, img);
    critic_update(w, real, n, all, w->fake, nb, w->cfg.batch, alpha);
}

void wgan_critic_step(Wgan *w, const float *real, int n, const float *z, const float *alpha) {
    augment_critic_rows(w, n, 0, n);
    critic_step(w, real, n, n, z, w->cfg.batch, alpha);  // the fake batch is always a full batch
}

// The generator step on this process's nb of the batch's noise vectors.
static void generator_step(Wgan *w, const float *z, int nb) {
    const Backend *be = w->be;
    const size_t img = (size_t)nb * w->cfg.nc * w->cfg.isize * w->cfg.isize;
    augment_generator_rows(w);
    net_zero_grads(w->G);
    const float *fake = net_forward(w->G, z, nb);
    const float *rows = w->aug_params + (size_t)w->cfg.batch * AUG_PARAMS;
    const int C = w->cfg.nc, S = w->cfg.isize;
    if (w->cfg.augment && nb) be->augment_forward(w->aug_fake, fake, rows, nb, C, S, S);
    batch_loss(w, WGAN_LOSS_G, net_forward(w->D, w->cfg.augment ? w->aug_fake : fake, nb), nb, w->cfg.batch, +1.0f);
    be->zero(w->dfake, img);
    if (w->cfg.augment) {  // through the frozen critic, then back through the augmentation
        be->zero(w->daug, img);
        net_backward(w->D, w->dscore, w->daug, 0);
        if (nb) be->augment_backward(w->dfake, w->daug, rows, nb, C, S, S);
    } else {
        net_backward(w->D, w->dscore, w->dfake, 0);  // frozen critic: its gradients stay as they are
    }
    net_backward(w->G, w->dfake, NULL, 1);
    net_sum_grads(w->G);
    optim_step(&w->og, w->G);
    if (!w->defer) read_losses(w);
}

void wgan_generator_step(Wgan *w, const float *z) { generator_step(w, z, w->cfg.batch); }

// ---------------------------------------------------------------------------

static void new_epoch(Wgan *w) {
    const uint32_t n = w->ds->count;
    if (w->interrupt && w->undo && !w->undo->order_kept)
        memcpy(w->undo->order, w->order, n * sizeof(uint32_t)), w->undo->order_kept = 1;
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

// This process's part [*lo, *lo + *n) of a batch of `all` samples: all of
// it alone, a contiguous 1/N of it as rank r of N (dist).
static void part_of(const Wgan *w, int all, int *lo, int *n) {
    const long R = w->parallel ? dist_size() : 1, r = w->parallel ? dist_rank() : 0;
    *lo = (int)(all * r / R);
    *n = (int)(all * (r + 1) / R) - *lo;
}

// The next real batch (up to cfg.batch images; returns how many) as floats
// in [-1, 1], gathered by the backend from the data set's bytes in its
// memory: this process's part of it (*n from *lo) into w->real.
static int next_real(Wgan *w, int *lo, int *n) {
    const Dataset *ds = w->ds;
    const Backend *be = w->be;
    const int all = (int)(ds->count - w->pos < (uint32_t)w->cfg.batch ? ds->count - w->pos : (uint32_t)w->cfg.batch);
    part_of(w, all, lo, n);
    const unsigned *index = w->order + w->pos + *lo;
    if (w->index && *n) {
        be->upload_bytes(w->index, index, (size_t)*n * sizeof *index);
        index = w->index;
    }
    if (*n) be->images_from_bytes(w->real, w->pixels, index, *n, ds_image_bytes(ds));
    w->pos += all;
    w->images += all;
    return all;
}

// Noise for the whole batch from the trainer's generator (every process
// draws all of it); this process's rows [lo, lo + n) of it, then its part of
// rows [all, batch), uploaded into w->z. Returns how many. A critic step
// passes its part of the real batch of `all`, so that its first n fakes are
// those the penalty pairs with its reals; the generator step all = 0.
static int next_noise(Wgan *w, int all, int lo, int n) {
    const int nz = w->cfg.nz;
    int elo, en;
    part_of(w, w->cfg.batch - all, &elo, &en);
    wgan_noise(w, w->host_z, w->cfg.batch);
    if (n) w->be->upload(w->z, w->host_z + (size_t)lo * nz, (size_t)n * nz);
    if (en) w->be->upload(w->z + (size_t)n * nz, w->host_z + (size_t)(all + elo) * nz, (size_t)en * nz);
    return n + en;
}

int wgan_iteration(Wgan *w) {
    FK_CHECK(w->ds && w->ds->count > 0, "training needs a non-empty data set");
    if (w->interrupt) undo_keep(w);
    if (w->pos >= (long)w->ds->count) new_epoch(w);
    const int diters = wgan_diters(w);
    int j = 0;
    w->defer = 1;  // the losses are read once, at the end
    net_set_sync(w->G, w->parallel), net_set_sync(w->D, w->parallel);
    while (j < diters && w->pos < (long)w->ds->count) {
        int lo, n;
        const int all = next_real(w, &lo, &n);
        const int nb = next_noise(w, all, lo, n);
        if (w->host_alpha)  // every process draws all of them: the generator's stream stays one
            for (int b = 0; b < all; b++) w->host_alpha[b] = (float)rng_uniform(&w->rng);
        augment_critic_rows(w, all, lo, n);
        critic_step(w, w->real, n, all, w->z, nb, w->host_alpha ? w->host_alpha + lo : NULL);
        j++;
        if (w->interrupt && w->interrupt(w->interrupt_user)) {
            net_set_sync(w->G, 0), net_set_sync(w->D, 0);
            w->defer = 0;
            undo_restore(w);
            return 1;
        }
    }
    generator_step(w, w->z, next_noise(w, 0, 0, 0));
    net_set_sync(w->G, 0), net_set_sync(w->D, 0);  // grids and measurements are each process's own
    w->defer = 0;
    read_losses(w);
    w->gen_iter++;
    w->last_d_iters = j;
    return 0;
}
