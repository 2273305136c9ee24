// sample.c: fakes, critic ranking and latent walks from saved models.
#include "gan/sample.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "nn/checkpoint.h"
#include "nn/dcgan.h"
#include "eval/evaluate.h"
#include "draw/grid.h"
#include "image/imageio.h"
#include "util/rng.h"
#include "sr/sr.h"
#include "util/util.h"

// A generator (or critic) built from the configuration in its model file.
static Net *load_model(const Backend *be, const char *path, int critic, WganConfig *cfg) {
    if (ckpt_read_config(path, cfg) != 0) return NULL;
    Net *net = critic ? dcgan_critic(be, cfg->isize, cfg->nc, cfg->ndf, cfg->n_extra, (DcganNorm)cfg->critic_norm)
                      : dcgan_generator(be, cfg->isize, cfg->nz, cfg->nc, cfg->ngf, cfg->n_extra,
                                        cfg->bn_g ? DCGAN_NORM_BATCH : DCGAN_NORM_NONE);
    if (ckpt_load_net(path, net) != 0) {
        if (critic ? strstr(path, "netG") != NULL : strstr(path, "netD") != NULL)
            fk_error("%s: this looks like the %s; pass the %s", path, critic ? "generator" : "critic",
                     critic ? "critic (netD.safetensors)" : "generator (netG.safetensors)");
        net_free(net);
        return NULL;
    }
    net_set_batch(net, cfg->batch);
    return net;
}

typedef struct {
    int idx;
    float score;
} Scored;

static int by_score(const void *a, const void *b) {
    const Scored *x = a, *y = b;
    return x->score < y->score ? -1 : x->score > y->score ? 1 : x->idx - y->idx;
}

// n fakes (n, C, S, S) in [-1, 1] through a super-resolution model (as bytes,
// the way an image file would go): (n, 3, S*s, S*s) in [-1, 1], malloc'd.
static float *upscale_fakes(const Upscaler *u, const float *fakes, int n, int C, int S) {
    const int s = u->cfg.scale, So = S * s;
    const size_t plane = (size_t)S * S, oplane = (size_t)So * So;
    uint8_t *bytes = fk_malloc((size_t)C * plane), *rgb = fk_malloc(plane * 3), *big = fk_malloc(oplane * 3);
    float *out = fk_malloc((size_t)n * 3 * oplane * sizeof(float));
    for (int i = 0; i < n; i++) {
        eval_to_bytes(bytes, fakes + (size_t)i * C * plane, (size_t)C * plane);
        img_planar_to_rgb(bytes, C, plane, rgb);
        FK_CHECK(upscaler_run(u, rgb, S, S, 64, big) == 0, "cannot upscale a fake");
        float *o = out + (size_t)i * 3 * oplane;
        for (size_t p = 0; p < oplane; p++)
            for (int ch = 0; ch < 3; ch++) o[(size_t)ch * oplane + p] = big[p * 3 + ch] / 127.5f - 1.0f;
    }
    free(bytes), free(rgb), free(big);
    return out;
}

int sample_run(const SampleOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads);
    if (!be) return 2;
    WganConfig cfg;
    Net *G = load_model(be, o->model, 0, &cfg);
    if (!G) return 1;
    Net *D = NULL;
    if (o->rank_k > 0) {
        char cpath[4200];
        if (o->critic) {
            snprintf(cpath, sizeof cpath, "%s", o->critic);
        } else {
            const char *slash = strrchr(o->model, '/');
            snprintf(cpath, sizeof cpath, "%.*snetD.safetensors", slash ? (int)(slash - o->model + 1) : 0, o->model);
        }
        WganConfig dc;
        D = load_model(be, cpath, 1, &dc);
        if (!D) {
            fk_error("--rank-by-critic needs the run's critic: %s (or name it with --critic)", cpath);
            net_free(G);
            return 1;
        }
    }
    Upscaler up = {0};
    if (o->upscale && upscaler_open(&up, be, o->upscale, 0) != 0) {
        net_free(G), net_free(D);
        return 1;
    }
    if (o->out_dir && mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
        fk_error("%s: cannot create the folder: %s", o->out_dir, strerror(errno));
        net_free(G), net_free(D), upscaler_close(&up);
        return 2;
    }
    const int C = cfg.nc, S = cfg.isize;
    const size_t img = (size_t)C * S * S;
    float *fakes = fk_malloc((size_t)o->n * img * sizeof(float));
    float *scores = D ? fk_malloc((size_t)o->n * sizeof(float)) : NULL;
    Scored *sc = fk_malloc((size_t)o->n * sizeof(Scored));
    sample_make(be, G, &cfg, o->n, o->seed, fakes, D, scores);
    if (D)
        for (int i = 0; i < o->n; i++) sc[i] = (Scored){i, scores[i]};
    int keep = o->n;
    if (D) {
        // the critic scores real images LOW (it minimises D(real) - D(fake))
        qsort(sc, (size_t)o->n, sizeof(Scored), by_score);
        keep = o->rank_k < o->n ? o->rank_k : o->n;
        float *best = fk_malloc((size_t)keep * img * sizeof(float));
        for (int i = 0; i < keep; i++) memcpy(best + (size_t)i * img, fakes + (size_t)sc[i].idx * img, img * sizeof(float));
        free(fakes);
        fakes = best;
        printf("ranked %d fakes by the critic; kept the %d it rates most real (scores %.5f .. %.5f; lower is more real)\n",
               o->n, keep, sc[0].score, sc[keep - 1].score);
    }
    int Co = C, So = S;
    if (o->upscale) {  // through the super-resolution model (or bicubic), as RGB
        float *big = upscale_fakes(&up, fakes, keep, C, S);
        free(fakes);
        fakes = big, Co = 3, So = S * up.cfg.scale;
        printf("upscaled the fakes x%d with %s (%dx%d)\n", up.cfg.scale, o->upscale, So, So);
    }
    const size_t img_out = (size_t)Co * So * So;
    int rc = 0;
    for (int i = 0; i < keep && o->out_dir && !rc; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/fake_%05d.png", o->out_dir, i);
        rc = image_save(path, fakes + (size_t)i * img_out, Co, So, So) ? 1 : 0;
    }
    if (!rc && o->grid) rc = grid_save(o->grid, fakes, keep, Co, So, So, 8) ? 1 : 0;
    if (!rc) {
        if (o->out_dir) printf("wrote %d images to %s/fake_00000.png ...\n", keep, o->out_dir);
        if (o->grid) printf("wrote grid %s\n", o->grid);
    }
    free(fakes), free(scores), free(sc);
    net_free(G), net_free(D), upscaler_close(&up);
    return rc;
}

void sample_make(const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed, float *fakes, Net *D,
                 float *scores) {
    const int B = cfg->batch;
    const size_t img = (size_t)cfg->nc * cfg->isize * cfg->isize;
    float *zh = fk_malloc((size_t)B * cfg->nz * sizeof(float)), *z = be->alloc((size_t)B * cfg->nz);
    float *fdev = D ? be->alloc((size_t)B * img) : NULL, *sb = D ? fk_malloc((size_t)B * sizeof(float)) : NULL;
    Rng rng;
    rng_seed(&rng, seed);
    for (int b = 0; b * B < n; b++) {
        rng_fill_normal(&rng, zh, (size_t)B * cfg->nz, 0.0f, 1.0f);
        be->upload(z, zh, (size_t)B * cfg->nz);
        const float *out = net_forward(G, z, B);
        const int take = n - b * B < B ? n - b * B : B;
        be->download(fakes + (size_t)b * B * img, out, (size_t)take * img);
        if (D) {
            be->copy(fdev, out, (size_t)B * img);
            be->download(sb, net_forward(D, fdev, B), (size_t)B);
            memcpy(scores + (size_t)b * B, sb, (size_t)take * sizeof(float));
        }
    }
    free(zh), free(sb);
    be->free(z);
    if (fdev) be->free(fdev);
}

Net *sample_load_generator(const Backend *be, const char *path, WganConfig *cfg) { return load_model(be, path, 0, cfg); }

void slerp(float *out, const float *a, const float *b, int n, double t) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    const double c = ab / sqrt(aa * bb), omega = acos(c < -1 ? -1 : c > 1 ? 1 : c), so = sin(omega);
    for (int i = 0; i < n; i++)
        out[i] = so < 1e-9 ? (float)((1 - t) * a[i] + t * b[i])  // parallel: a straight line is the same walk
                           : (float)(sin((1 - t) * omega) / so * a[i] + sin(t * omega) / so * b[i]);
}

int interp_run(const InterpOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads);
    if (!be) return 2;
    WganConfig cfg;
    Net *G = load_model(be, o->model, 0, &cfg);
    if (!G) return 1;
    const int B = cfg.batch, nz = cfg.nz, C = cfg.nc, S = cfg.isize, total = o->rows * o->steps;
    const size_t img = (size_t)C * S * S;
    float *lat = fk_malloc((size_t)total * nz * sizeof(float)), *ends = fk_malloc(2 * (size_t)nz * sizeof(float));
    Rng rng;
    rng_seed(&rng, o->seed);
    for (int r = 0; r < o->rows; r++) {
        rng_fill_normal(&rng, ends, 2 * (size_t)nz, 0.0f, 1.0f);
        for (int s = 0; s < o->steps; s++)
            slerp(lat + ((size_t)r * o->steps + s) * nz, ends, ends + nz, nz, o->steps > 1 ? (double)s / (o->steps - 1) : 0);
    }
    float *out = fk_malloc((size_t)total * img * sizeof(float)), *zh = fk_malloc((size_t)B * nz * sizeof(float));
    float *z = be->alloc((size_t)B * nz);
    for (int b = 0; b * B < total; b++) {
        const int take = total - b * B < B ? total - b * B : B;
        // a full batch for batch-norm statistics: the walk, then fresh noise
        rng_fill_normal(&rng, zh, (size_t)B * nz, 0.0f, 1.0f);
        memcpy(zh, lat + (size_t)b * B * nz, (size_t)take * nz * sizeof(float));
        be->upload(z, zh, (size_t)B * nz);
        be->download(out + (size_t)b * B * img, net_forward(G, z, B), (size_t)take * img);
    }
    int rc = grid_save(o->out, out, total, C, S, S, o->steps) ? 1 : 0;
    if (!rc) printf("wrote %s: %d walks of %d steps\n", o->out, o->rows, o->steps);
    free(lat), free(ends), free(out), free(zh);
    be->free(z);
    net_free(G);
    return rc;
}
