// srtrain.c: `fakeit sr-train`.
#include "train/srtrain.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "image/imageio.h"
#include "nn/optimizer.h"
#include "nn/safetensors.h"
#include "util/files.h"
#include "util/util.h"
#include "gan/wgan.h"

void srtrain_defaults(SrTrainOpts *o) {
    memset(o, 0, sizeof *o);
    sr_defaults(&o->cfg);
    o->patch = 32, o->batch = 16, o->iters = 5000, o->lr = 1e-3;
    o->blur = 1.0, o->noise = 5.0, o->save_every = 500, o->seed = 1;
}

// ---------------------------------------------------------------------------
// the images, decoded once: RGB interleaved

typedef struct {
    Image *im;
    int n, cap;
} Pool;

static void pool_add(Pool *p, Image im) {
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->im = realloc(p->im, (size_t)p->cap * sizeof(Image));
        FK_CHECK(p->im != NULL, "out of memory");
    }
    p->im[p->n++] = im;
}

static void add_file(Pool *p, const char *path, int min_side) {
    Image im;
    char why[256];
    if (img_load_rgba(path, 1e8, &im, why, sizeof why) != IMG_OK) {
        fk_error("%s: %s (skipped)", path, why);
        return;
    }
    free(im.alpha), im.alpha = NULL;  // composited onto white in rgb already
    if (im.w < min_side || im.h < min_side) {
        fk_error("%s: %dx%d is smaller than a training crop of %d pixels (skipped)", path, im.w, im.h, min_side);
        image_free(&im);
        return;
    }
    pool_add(p, im);
}

static int load_inputs(Pool *p, const SrTrainOpts *o, int min_side) {
    for (int i = 0; i < o->n_inputs; i++) {
        const char *in = o->inputs[i];
        struct stat st;
        if (stat(in, &st) != 0) {
            fk_error("%s: %s", in, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode) && ds_is_dataset(in)) {
            Dataset ds;
            if (ds_open(&ds, in) != 0) return -1;
            const int S = (int)ds.size, C = (int)ds.channels;
            if (S < min_side) {
                fk_error("%s: %dx%d images are smaller than a training crop of %d pixels", in, S, S, min_side);
                ds_close(&ds);
                return -1;
            }
            for (uint32_t k = 0; k < ds.count; k++) {
                Image im = {.w = S, .h = S, .rgb = fk_malloc((size_t)S * S * 3)};
                img_planar_to_rgb(ds.pixels + (size_t)k * ds_image_bytes(&ds), C, (size_t)S * S, im.rgb);
                pool_add(p, im);
            }
            ds_close(&ds);
        } else {  // a folder's image files (as upscale and sr-eval take them), or one file
            size_t n = 0;
            char **names = fk_expand_input(in, img_is_image_name, &n);
            if (!names) {
                fk_error("%s: cannot read the folder: %s", in, strerror(errno));
                return -1;
            }
            for (size_t k = 0; k < n; k++) add_file(p, names[k], min_side), free(names[k]);
            free(names);
        }
    }
    if (p->n == 0) {
        fk_error("no usable training images (each needs at least %d pixels on a side)", min_side);
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// one batch

// Separable Gaussian blur of one (P, P) plane in place, mirror boundary.
static void blur_plane(float *x, int P, double sigma, float *tmp) {
    const int r = (int)ceil(3 * sigma);
    double k[64], sum = 0;
    const int R = r < 31 ? r : 31;
    for (int i = -R; i <= R; i++) sum += k[i + R] = exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * R; i++) k[i] /= sum;
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < P; y++)
            for (int xx = 0; xx < P; xx++) {
                double s = 0;
                for (int i = -R; i <= R; i++) {
                    int q = (pass ? y : xx) + i;
                    q = q < 0 ? -q : q >= P ? 2 * (P - 1) - q : q;
                    q = q < 0 ? 0 : q >= P ? P - 1 : q;
                    s += k[i + R] * (pass ? x[(size_t)q * P + xx] : x[(size_t)y * P + q]);
                }
                tmp[(size_t)y * P + xx] = (float)s;
            }
        memcpy(x, tmp, (size_t)P * P * sizeof(float));
    }
}

// Scratch for one crop, one per thread, allocated once per run.
typedef struct {
    uint8_t *crop, *small, *bic;  // (HP, HP, 3), (P, P, 3), (HP, HP, 3)
    float *tmp;                   // (P, P) for the blur
} Scratch;

// One crop's random draws, in the order they are drawn.
typedef struct {
    const Image *im;
    int x0, y0, flip;
    double sigma;  // blur; 0: none
    int noisy;     // its noise is in Batch.noise
} CropDraw;

// What a batch is made with, allocated once per run.
typedef struct {
    int nt;          // threads, each with its Scratch
    Scratch *sc;     // [nt]
    CropDraw *draw;  // [batch]
    float *noise;    // [batch][3 P P]
    double *bl1;     // [batch]
} Batch;

static void batch_free(Batch *w) {
    for (int t = 0; t < w->nt && w->sc; t++) free(w->sc[t].crop), free(w->sc[t].small), free(w->sc[t].bic), free(w->sc[t].tmp);
    free(w->sc), free(w->draw), free(w->noise), free(w->bl1);
    memset(w, 0, sizeof *w);
}

static void batch_init(Batch *w, const SrTrainOpts *o, int nt) {
    const int P = o->patch, HP = P * o->cfg.scale;
    w->nt = nt < 1 ? 1 : nt;
    w->sc = fk_malloc((size_t)w->nt * sizeof *w->sc);
    for (int t = 0; t < w->nt; t++)
        w->sc[t] = (Scratch){fk_malloc((size_t)HP * HP * 3), fk_malloc((size_t)P * P * 3), fk_malloc((size_t)HP * HP * 3),
                             fk_malloc((size_t)P * P * sizeof(float))};
    w->draw = fk_malloc((size_t)o->batch * sizeof *w->draw);
    w->noise = fk_malloc((size_t)o->batch * 3 * P * P * sizeof(float));
    w->bl1 = fk_malloc((size_t)o->batch * sizeof(double));
}

// Crop b from its draws: hr (3, HP, HP), lr (3, P, P) augmented; returns
// bicubic's L1 on it before augmentation.
static double make_crop(const SrTrainOpts *o, const CropDraw *d, const float *noise, const Scratch *sc, float *L,
                        float *H) {
    const int P = o->patch, HP = P * o->cfg.scale;
    const Image *im = d->im;
    uint8_t *crop = sc->crop, *small = sc->small, *bic = sc->bic;
    for (int y = 0; y < HP; y++)
        for (int x = 0; x < HP; x++) {
            const int sx = d->flip ? d->x0 + HP - 1 - x : d->x0 + x;
            memcpy(crop + ((size_t)y * HP + x) * 3, im->rgb + ((size_t)(d->y0 + y) * im->w + sx) * 3, 3);
        }
    FK_CHECK(img_resize(crop, HP, HP, 3, small, P, P) == 0, "cannot shrink a training crop");
    FK_CHECK(img_resize_bicubic(small, P, P, 3, bic, HP, HP) == 0, "cannot enlarge a training crop");
    long dist = 0;
    for (size_t q = 0; q < (size_t)HP * HP * 3; q++) dist += abs((int)bic[q] - (int)crop[q]);
    for (int q = 0; q < HP * HP; q++)
        for (int c = 0; c < 3; c++) H[(size_t)c * HP * HP + q] = crop[(size_t)q * 3 + c] / 255.0f;
    for (int q = 0; q < P * P; q++)
        for (int c = 0; c < 3; c++) L[(size_t)c * P * P + q] = small[(size_t)q * 3 + c] / 255.0f;
    if (d->sigma > 0)
        for (int c = 0; c < 3; c++) blur_plane(L + (size_t)c * P * P, P, d->sigma, sc->tmp);
    if (d->noisy)
        for (int q = 0; q < 3 * P * P; q++) L[q] += noise[q];
    return dist / (255.0 * HP * HP * 3);
}

// Fills lr (B, 3, P, P) and hr (B, 3, P*s, P*s) in [0, 1] (host memory);
// returns the mean L1 of bicubic upscaling (img_resize_bicubic, sr-eval's baseline)
// of the low-resolution crops before augmentation, on the same 0-1 scale as
// the training loss. The random draws come first, in one sequence (crop,
// flip, blur, noise per crop), then the crops are made in parallel: the
// same batch whatever the thread count.
static double make_batch(const Pool *pool, const SrTrainOpts *o, Rng *rng, const Batch *w, float *lr, float *hr) {
    const int P = o->patch, HP = P * o->cfg.scale, B = o->batch;
    for (int b = 0; b < B; b++) {
        CropDraw *d = &w->draw[b];
        d->im = &pool->im[rng_u64(rng) % (uint64_t)pool->n];
        d->x0 = (int)(rng_u64(rng) % (uint64_t)(d->im->w - HP + 1));
        d->y0 = (int)(rng_u64(rng) % (uint64_t)(d->im->h - HP + 1));
        d->flip = (int)(rng_u64(rng) & 1);
        d->sigma = 0, d->noisy = 0;
        if (o->blur > 0 && rng_uniform(rng) < 0.5) {
            const double sigma = o->blur * rng_uniform(rng);
            if (sigma > 0.05) d->sigma = sigma;
        }
        if (o->noise > 0 && rng_uniform(rng) < 0.5) {
            const double sd = o->noise / 255.0 * rng_uniform(rng);
            float *z = w->noise + (size_t)b * 3 * P * P;
            for (int q = 0; q < 3 * P * P; q++) z[q] = (float)(sd * rng_normal(rng));
            d->noisy = 1;
        }
    }
#pragma omp parallel for num_threads(w->nt) schedule(dynamic, 1)
    for (int b = 0; b < B; b++)
        w->bl1[b] = make_crop(o, &w->draw[b], w->noise + (size_t)b * 3 * P * P, &w->sc[omp_get_thread_num()],
                              lr + (size_t)b * 3 * P * P, hr + (size_t)b * 3 * HP * HP);
    double bl1 = 0;
    for (int b = 0; b < B; b++) bl1 += w->bl1[b];
    return bl1 / B;
}

// ---------------------------------------------------------------------------
// state: parameters, Adam moments, step, random generator; the configuration
// and counters in the metadata

static char *state_path(const char *model) {
    char *p = fk_malloc(strlen(model) + 32);
    sprintf(p, "%s.state.safetensors", model);
    return p;
}

// A network's parameters and Adam moments, downloaded for a state file.
static void put_net(StOut *t, const char *pname, const char *mname, Net *net) {
    float *params = fk_malloc(net->n_params * sizeof(float)), *mom = fk_malloc(2 * net->n_params * sizeof(float));
    net->be->download(params, net->params, net->n_params);
    net->be->download(mom, net_opt_state(net, 2), 2 * net->n_params);
    t[0] = (StOut){.name = pname, .dtype = ST_F32, .ndim = 1, .shape = {(int64_t)net->n_params}, .data = params};
    t[1] = (StOut){.name = mname, .dtype = ST_F32, .ndim = 1, .shape = {2 * (int64_t)net->n_params}, .data = mom};
}

// The inverse of put_net; -1 when the file's tensors do not fit the network.
static int get_net(const StFile *f, const char *pname, const char *mname, Net *net) {
    const StTensor *p = st_find(f, pname), *a = st_find(f, mname);
    if (!p || p->dtype != ST_F32 || st_numel(p) != net->n_params || !a || a->dtype != ST_F32 ||
        st_numel(a) != 2 * net->n_params)
        return -1;
    net->be->upload(net->params, (const float *)p->data, net->n_params);
    net->be->upload(net_opt_state(net, 2), (const float *)a->data, 2 * net->n_params);
    return 0;
}

static int save_all(const SrTrainOpts *o, Net *net, const Optim *opt, const Wgan *adv, const Rng *rng,
                    long step) {
    if (sr_save(o->out, net, &o->cfg) != 0) return -1;
    int64_t r[4];
    memcpy(r, rng->s, sizeof r);
    StOut t[5];
    put_net(t, "params", "adam", net);
    t[2] = (StOut){.name = "rng", .dtype = ST_I64, .ndim = 1, .shape = {4}, .data = r};
    const int nt = adv ? 5 : 3;
    if (adv) put_net(t + 3, "critic", "critic_adam", adv->D);
    char meta[1024];
    snprintf(meta, sizeof meta,
             "{\"format\":\"fakeit-sr-state 1\",\"scale\":\"%d\",\"feats\":\"%d\",\"nconv\":\"%d\",\"patch\":\"%d\","
             "\"batch\":\"%d\",\"lr\":\"%.17g\",\"blur\":\"%.17g\",\"noise\":\"%.17g\",\"seed\":\"%llu\","
             "\"step\":\"%ld\",\"adam_t\":\"%ld\",\"adversarial\":\"%.17g\",\"critic_t\":\"%ld\",\"iters\":\"%ld\","
             "\"skip\":\"%s\"}",
             o->cfg.scale, o->cfg.feats, o->cfg.nconv, o->patch, o->batch, o->lr, o->blur, o->noise,
             (unsigned long long)o->seed, step, opt->t, o->adversarial, adv ? adv->od.t : 0L, o->iters,
             sr_skip_name(o->cfg.skip));
    char *sp = state_path(o->out);
    const int rc = st_save(sp, t, nt, meta);
    free(sp);
    for (int i = 0; i < nt; i++)
        if (i != 2) free((void *)t[i].data);
    return rc;
}

static const char *meta_get(const cJSON *m, const char *k) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, k);
    return cJSON_IsString(e) ? e->valuestring : NULL;
}

// Reads the configuration of a saved run into o; with net given, restores the state.
static int load_state(SrTrainOpts *o, Net *net, Optim *opt, Wgan *adv, Rng *rng, long *step) {
    char *sp = state_path(o->out);
    StFile f;
    if (st_load(&f, sp) != 0) {
        fk_error("%s: nothing to resume (start without --resume)", sp);
        free(sp);
        return -1;
    }
    cJSON *m = f.metadata ? cJSON_Parse(f.metadata) : NULL;
    const char *fmt = meta_get(m, "format");
    int rc = fmt && !strcmp(fmt, "fakeit-sr-state 1") ? 0 : -1;
    const char *keys[] = {"scale", "feats", "nconv", "patch", "batch",  "lr",
                          "blur",  "noise", "seed",  "step",  "adam_t", "adversarial", "critic_t", "iters"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!meta_get(m, keys[k])) rc = -1;
    if (sr_skip_meta(meta_get(m, "skip"), &o->cfg.skip)) rc = -1;
    if (rc == 0) {
        o->cfg.scale = atoi(meta_get(m, "scale")), o->cfg.feats = atoi(meta_get(m, "feats"));
        o->cfg.nconv = atoi(meta_get(m, "nconv")), o->patch = atoi(meta_get(m, "patch"));
        o->batch = atoi(meta_get(m, "batch")), o->lr = atof(meta_get(m, "lr"));
        o->blur = atof(meta_get(m, "blur")), o->noise = atof(meta_get(m, "noise"));
        o->seed = strtoull(meta_get(m, "seed"), NULL, 10);
        o->adversarial = atof(meta_get(m, "adversarial"));
        if (!o->iters_given) o->iters = atol(meta_get(m, "iters"));
        if (net) {
            *step = atol(meta_get(m, "step"));
            opt->t = atol(meta_get(m, "adam_t"));
            const StTensor *r = st_find(&f, "rng");
            if (get_net(&f, "params", "adam", net) || !r || r->dtype != ST_I64 || st_numel(r) != 4 ||
                (adv && get_net(&f, "critic", "critic_adam", adv->D))) {
                rc = -1;
            } else {
                memcpy(rng->s, r->data, sizeof rng->s);
                if (adv) adv->od.t = atol(meta_get(m, "critic_t"));
            }
        }
    }
    if (rc) fk_error("%s: not a fakeit sr-train state, or damaged", sp);
    cJSON_Delete(m);
    st_free(&f);
    free(sp);
    return rc;
}

// ---------------------------------------------------------------------------

// The adversarial term (--adversarial W): fakeit's WGAN-GP critic (wgan.h)
// on the high-resolution crops, DCGAN layout without normalisation, width
// ADV_NDF, penalty 10, Adam 1e-4 betas (0, 0.9). The Wgan's generator is a
// smallest stand-in (ngf 2, nz 1) that is never run: the critic's fakes are the
// network's outputs.
#define ADV_NDF 32

static int adv_init(Wgan *w, const SrTrainOpts *o, const Backend *be) {
    const int HP = o->patch * o->cfg.scale;
    if (!dcgan_size_ok(HP)) {
        fk_error("--adversarial needs high-resolution crops of a power of two of at least 16 pixels (--patch %d x %d = %d)", o->patch,
                 o->cfg.scale, HP);
        return -1;
    }
    WganConfig c;
    wgan_defaults(&c);
    wgan_defaults_gp(&c);
    c.isize = HP, c.nc = 3, c.nz = 1, c.ngf = 2, c.ndf = ADV_NDF, c.n_extra = 0, c.bn_g = 0;
    c.batch = o->batch, c.seed = o->seed ^ 0xad7e25a1ULL;
    return wgan_init(w, &c, be, NULL);
}

// One critic step on (hr, y), then adds W * d mean D(y) / dy to dy: lower
// critic scores are "real" (wgan.h), so the network is pushed towards them.
static void adv_step(Wgan *w, const SrTrainOpts *o, Rng *rng, const float *hr, const float *y, float *dy) {
    const Backend *be = w->be;
    const int B = o->batch;
    for (int b = 0; b < B; b++) w->host_alpha[b] = (float)rng_uniform(rng);
    wgan_critic_update(w, hr, B, y, B, w->host_alpha);
    net_forward(w->D, y, B);
    be->zero(w->dscore, (size_t)B);
    be->wgan_loss_backward(w->dscore, B, (float)o->adversarial);
    net_backward(w->D, w->dscore, dy, 0);
}

double srtrain_rate(const SrTrainOpts *o, long step) {
    const double f = step >= o->iters ? 1.0 : (double)step / (double)o->iters;
    return o->lr * 0.5 * (1.0 + cos(M_PI * f));
}

// Everything a run owns; srrun_free releases it all, whatever was reached.
typedef struct {
    SrTrainOpts *o;
    int lock;  // OUT.lock's descriptor: one trainer per model file (-1: not held)
    const Backend *be;
    Pool pool;
    Net *net;
    Optim opt;
    Wgan adv_state, *adv;  // the critic with --adversarial
    Rng rng;
    long step;
    size_t nl, nh;                                    // floats in a batch of LR and HR crops
    float *lr_h, *hr_h;                               // the batch (host)
    float *lr_d, *hr_d, *dout, *loss;                 // backend memory
    Batch batch;
} SrRun;

static void srrun_free(SrRun *r) {
    fk_unlock(r->lock);
    free(r->lr_h), free(r->hr_h);
    batch_free(&r->batch);
    if (r->lr_d) r->be->free(r->lr_d), r->be->free(r->hr_d), r->be->free(r->dout), r->be->free(r->loss);
    net_free(r->net);
    if (r->adv) wgan_free(r->adv);
    for (int i = 0; i < r->pool.n; i++) image_free(&r->pool.im[i]);
    free(r->pool.im);
}

// The inputs, the network (initialised or resumed), the critic, the buffers.
static int srrun_open(SrRun *r, SrTrainOpts *o) {
    memset(r, 0, sizeof *r);
    r->o = o;
    r->lock = -1;
    if (!(r->be = backend_pick(o->backend, o->threads, o->precision))) return 2;
    if (fk_mkparents(o->out) != 0) return 2;
    const size_t n = strlen(o->out) + 6;
    char *lock_path = fk_malloc(n);  // OUT.lock, taken before anything is written
    snprintf(lock_path, n, "%s.lock", o->out);
    r->lock = fk_lock(lock_path, o->out, o->resume ? "sr-train --resume" : "sr-train");
    free(lock_path);
    if (r->lock < 0) return 2;
    if (o->resume && load_state(o, NULL, NULL, NULL, NULL, NULL) != 0) return 2;
    const int P = o->patch, HP = P * o->cfg.scale;
    if (load_inputs(&r->pool, o, HP) != 0) return 2;
    r->net = sr_net(r->be, &o->cfg, P, P);
    rng_seed(&r->rng, o->seed);
    sr_init(r->net, &r->rng);
    r->opt = optim_adam(o->lr, 0.9, 0.99);
    if (o->adversarial > 0) {
        if (adv_init(&r->adv_state, o, r->be) != 0) return 2;
        r->adv = &r->adv_state;
    }
    if (o->resume && load_state(o, r->net, &r->opt, r->adv, &r->rng, &r->step) != 0) return 2;
    net_set_batch(r->net, o->batch);
    r->nl = (size_t)o->batch * 3 * P * P, r->nh = (size_t)o->batch * 3 * HP * HP;
    r->lr_h = fk_malloc(r->nl * sizeof(float)), r->hr_h = fk_malloc(r->nh * sizeof(float));
    r->lr_d = r->be->alloc(r->nl), r->hr_d = r->be->alloc(r->nh), r->dout = r->be->alloc(r->nh);
    r->loss = r->be->alloc(1);
    batch_init(&r->batch, o, r->be->get_threads());
    printf("fakeit sr-train: %d images -> %s; x%d, %d features, %d body convs (%zu parameters), %s skip; %d crops "
           "of %d px per step, Adam %g; augmentation blur <= %g, noise <= %g; backend %s, %d threads\n",
           r->pool.n, o->out, o->cfg.scale, o->cfg.feats, o->cfg.nconv, r->net->n_params, sr_skip_name(o->cfg.skip),
           o->batch, HP, o->lr, o->blur, o->noise, r->be->name, r->be->get_threads());
    if (o->resume) printf("  resuming at step %ld\n", r->step);
    fflush(stdout);
    return 0;
}

// One step: a batch, L1 (+ the critic's term), Adam. Returns the L1 in *l
// and bicubic's L1 on the same crops.
static double srrun_step(SrRun *r, float *l) {
    const SrTrainOpts *o = r->o;
    const Backend *be = r->be;
    const double bl1 = make_batch(&r->pool, o, &r->rng, &r->batch, r->lr_h, r->hr_h);
    r->opt.lr = srtrain_rate(o, r->step);
    be->upload(r->lr_d, r->lr_h, r->nl);
    be->upload(r->hr_d, r->hr_h, r->nh);
    net_zero_grads(r->net);
    const float *y = net_forward(r->net, r->lr_d, o->batch);
    be->l1_loss_forward(r->loss, y, r->hr_d, r->nh);
    be->zero(r->dout, r->nh);
    be->l1_loss_backward(r->dout, y, r->hr_d, r->nh);
    if (r->adv) adv_step(r->adv, o, &r->rng, r->hr_d, y, r->dout);
    net_backward(r->net, r->dout, NULL, 1);
    optim_step(&r->opt, r->net);
    r->step++;
    be->download(l, r->loss, 1);
    return bl1;
}

static int keep_going(const SrRun *r, long start, double t0) {
    const SrTrainOpts *o = r->o;
    return r->step < o->iters && !fk_stop_signal() && !(o->time_limit > 0 && fk_seconds() - t0 >= o->time_limit) &&
           !(o->stop_after > 0 && r->step - start >= o->stop_after);
}

int srtrain_run(SrTrainOpts *o) {
    SrRun r;
    int rc = srrun_open(&r, o);
    if (rc) {
        srrun_free(&r);
        return rc;
    }
    fk_stop_catch();
    const int tty = isatty(STDERR_FILENO);
    const double t0 = fk_seconds();
    const long start = r.step;
    double first = 0, last[10] = {0}, win[2] = {0};  // win: L1 and bicubic's L1 since the last line
    int nfirst = 0, nwin = 0;
    while (!rc && keep_going(&r, start, t0)) {
        float l;
        const double bl1 = srrun_step(&r, &l);
        if (nfirst < 10) first += l, nfirst++;
        last[(r.step - start - 1) % 10] = l;
        win[0] += l, win[1] += bl1, nwin++;
        if (tty || r.step % 50 == 0 || r.step == start + 1) {
            char wd[48] = "";
            if (r.adv) snprintf(wd, sizeof wd, "  W %.4f", r.adv->loss_d_fake - r.adv->loss_d_real);
            fprintf(stderr, "%s[%ld/%ld] L1 %.5f (bicubic %.5f)%s  lr %.2g  %.2f s/step%s", tty ? "\r" : "", r.step,
                    o->iters, win[0] / nwin, win[1] / nwin, wd, r.opt.lr, (fk_seconds() - t0) / (double)(r.step - start),
                    tty ? "   " : "\n");
            if (!tty || r.step % 50 == 0) win[0] = win[1] = 0, nwin = 0;
        }
        if (r.step % o->save_every == 0 && save_all(o, r.net, &r.opt, r.adv, &r.rng, r.step) != 0) rc = 1;
    }
    if (tty) fputc('\n', stderr);
    if (!rc && save_all(o, r.net, &r.opt, r.adv, &r.rng, r.step) != 0) rc = 1;
    const long done = r.step - start;
    double sl = 0;
    const int nl10 = done < 10 ? (int)done : 10;
    for (int i = 0; i < nl10; i++) sl += last[i];
    o->first_loss = nfirst ? first / nfirst : 0, o->last_loss = nl10 ? sl / nl10 : 0;
    if (!rc) {
        printf("%s at step %ld: L1 %.5f over the first 10 steps of this run, %.5f over the last 10; model %s\n",
               fk_stop_signal() ? "stopped by signal" : "done", r.step, o->first_loss, o->last_loss, o->out);
        if (fk_stop_signal() || r.step < o->iters) printf("  continue with: fakeit sr-train --resume -o %s ...\n", o->out);
        if (fk_stop_signal()) rc = 128 + fk_stop_signal();
    }
    fk_stop_release();
    srrun_free(&r);
    return rc;
}
