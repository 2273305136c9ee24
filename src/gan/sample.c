// sample.c: fakes, critic ranking and latent walks from saved models.
#include "gan/sample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "draw/grid.h"
#include "gan/generator.h"
#include "image/imageio.h"
#include "nn/safetensors.h"
#include "sr/upscale.h"
#include "util/rng.h"
#include "util/util.h"

void sample_defaults(SampleOpts *o) { *o = (SampleOpts){.seed = 1, .n = -1}; }

void interp_defaults(InterpOpts *o) { *o = (InterpOpts){.rows = 4, .steps = 8, .seed = 1}; }

typedef struct {
    int idx;
    float score;
} Scored;

static int by_score(const void *a, const void *b) {
    const Scored *x = a, *y = b;
    return x->score < y->score ? -1 : x->score > y->score ? 1 : x->idx - y->idx;
}

// n fakes (n, C, S, S) in [-1, 1] through a super-resolution model (as bytes,
// the way an image file would go): (n, 3, S*s, S*s) in [-1, 1], malloc'd;
// NULL after printing when the upscaler fails.
static float *upscale_fakes(const Upscaler *u, const float *fakes, int n, int C, int S) {
    const int s = u->cfg.scale, So = S * s;
    const size_t plane = (size_t)S * S, oplane = (size_t)So * So;
    uint8_t *bytes = fk_malloc((size_t)C * plane), *rgb = fk_malloc(plane * 3), *big = fk_malloc(oplane * 3);
    float *out = fk_malloc((size_t)n * 3 * oplane * sizeof(float));
    for (int i = 0; i < n; i++) {
        float *o = out + (size_t)i * 3 * oplane;
        if (i % dist_size() != dist_rank()) {  // another process's: summed in below
            memset(o, 0, 3 * oplane * sizeof(float));
            continue;
        }
        gen_to_bytes(bytes, fakes + (size_t)i * C * plane, (size_t)C * plane);
        img_planar_to_rgb(bytes, C, plane, rgb);
        if (upscaler_run(u, rgb, S, S, 64, big) != 0) {
            free(out);
            out = NULL;
            break;
        }
        for (size_t p = 0; p < oplane; p++)
            for (int ch = 0; ch < 3; ch++) o[(size_t)ch * oplane + p] = big[p * 3 + ch] / 127.5f - 1.0f;
    }
    free(bytes), free(rgb), free(big);
    // every process gets every image (exact: sums with zeros); a failure anywhere fails all
    if (dist_max_int(out == NULL)) {
        free(out);
        return NULL;
    }
    dist_sum_f32(out, (size_t)n * 3 * oplane);
    return out;
}

// Keeps the k of n fakes the critic rates most real (the lowest scores: the
// critic minimises D(real) - D(fake)), in that order; returns a new array.
static float *rank_fakes(const float *fakes, const float *scores, int n, int k, size_t img) {
    Scored *sc = fk_malloc((size_t)n * sizeof(Scored));
    for (int i = 0; i < n; i++) sc[i] = (Scored){i, scores[i]};
    qsort(sc, (size_t)n, sizeof(Scored), by_score);
    float *best = fk_malloc((size_t)k * img * sizeof(float));
    for (int i = 0; i < k; i++) memcpy(best + (size_t)i * img, fakes + (size_t)sc[i].idx * img, img * sizeof(float));
    printf("ranked %d fakes by the critic; kept the %d it rates most real (scores %.5f .. %.5f; lower is more real)\n",
           n, k, sc[0].score, sc[k - 1].score);
    free(sc);
    return best;
}

// The fakes as PNG files in dir and/or one grid.
static int write_fakes(const SampleOpts *o, const float *fakes, int n, int C, int S) {
    const size_t img = (size_t)C * S * S;
    int rc = 0;
    for (int i = dist_rank(); i < n && o->out_dir && !rc; i += dist_size()) {  // under mpirun: every N-th file
        char path[4200];
        snprintf(path, sizeof path, "%s/fake_%05d.png", o->out_dir, i);
        rc = image_save(path, fakes + (size_t)i * img, C, S, S) != 0;
    }
    if (dist_max_int(rc)) return 1;
    if (o->grid && dist_lead() && grid_save(o->grid, fakes, n, C, S, S, 8)) return 1;
    if (o->out_dir) printf("wrote %d images to %s/fake_00000.png ...\n", n, o->out_dir);
    if (o->grid) printf("wrote grid %s\n", o->grid);
    return 0;
}

// The generator's input and output as floats: "noise" (whole batches, nz, 1,
// 1) and "fakes" (n, C, S, S) in [-1, 1], before any ranking or upscaling,
// and with a critic its "scores" (n).
static int write_tensors(const char *path, const WganConfig *cfg, int n, uint64_t seed, const float *fakes,
                         const float *scores) {
    const int rows = gen_noise_rows(cfg, n);
    float *z = fk_malloc((size_t)rows * cfg->nz * sizeof(float));
    gen_noise(cfg, n, seed, z);
    const StOut t[3] = {
        {"noise", ST_F32, 4, {rows, cfg->nz, 1, 1}, z},
        {"fakes", ST_F32, 4, {n, cfg->nc, cfg->isize, cfg->isize}, fakes},
        {"scores", ST_F32, 1, {n}, scores},
    };
    char meta[160];
    snprintf(meta, sizeof meta, "{\"seed\":\"%llu\",\"batch\":\"%d\"}", (unsigned long long)seed, cfg->batch);
    const int rc = fk_mkparents(path) == 0 && st_save(path, t, scores ? 3 : 2, meta) == 0 ? 0 : 1;
    free(z);
    if (!rc) printf("wrote the noise and the fakes as floats to %s\n", path);
    return rc;
}

int sample_run(const SampleOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads, o->precision);
    if (!be) return 2;
    int rc = 1, keep = o->n;
    Net *G = NULL, *D = NULL;
    Upscaler up = {0};
    float *fakes = NULL, *scores = NULL, *tmp = NULL;
    char mpath[4200], *cpath = NULL;
    WganConfig cfg, dc;
    gen_model_path(o->model, 0, mpath, sizeof mpath);
    if (!(G = gen_load(be, mpath, 0, &cfg))) goto done;
    if (o->rank_k > 0) {
        // the critic: --critic, else the one beside the generator
        const char *critic = o->critic ? o->critic : (cpath = gen_critic_beside(mpath));
        if (!(D = gen_load(be, critic, 1, &dc))) {
            fk_error("--rank-by-critic needs the run's critic: %s (or name it with --critic)", critic);
            goto done;
        }
    }
    if (o->upscale && upscaler_open(&up, be, o->upscale, 0) != 0) goto done;
    if ((o->out_dir && fk_mkdirs(o->out_dir) != 0) || (o->grid && fk_mkparents(o->grid) != 0)) {
        rc = 2;
        goto done;
    }
    int C = cfg.nc, S = cfg.isize;
    const size_t img = (size_t)C * S * S;
    fakes = fk_malloc((size_t)o->n * img * sizeof(float));
    scores = D ? fk_malloc((size_t)o->n * sizeof(float)) : NULL;
    gen_fakes(be, G, &cfg, o->n, o->seed, fakes, D, scores);
    if (o->tensors && dist_lead() && write_tensors(o->tensors, &cfg, o->n, o->seed, fakes, scores) != 0) goto done;
    if (D) {
        keep = o->rank_k < o->n ? o->rank_k : o->n;
        tmp = rank_fakes(fakes, scores, o->n, keep, img);
        free(fakes), fakes = tmp, tmp = NULL;
    }
    if (o->upscale) {  // through the super-resolution model (or bicubic), as RGB
        if (!(tmp = upscale_fakes(&up, fakes, keep, C, S))) goto done;
        free(fakes), fakes = tmp, tmp = NULL;
        C = 3, S *= up.cfg.scale;
        printf("upscaled the fakes x%d with %s (%dx%d)\n", up.cfg.scale, o->upscale, S, S);
    }
    rc = write_fakes(o, fakes, keep, C, S);
done:
    free(fakes), free(scores), free(cpath);
    net_free(G), net_free(D), upscaler_close(&up);
    return rc;
}

void slerp(float *out, const float *a, const float *b, int n, double t) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    const double c = ab / sqrt(aa * bb), omega = acos(c < -1 ? -1 : c > 1 ? 1 : c), so = sin(omega);
    for (int i = 0; i < n; i++)
        out[i] = so < 1e-9 ? (float)((1 - t) * a[i] + t * b[i])  // parallel: a straight line is the same walk
                           : (float)(sin((1 - t) * omega) / so * a[i] + sin(t * omega) / so * b[i]);
}

int interp_run(const InterpOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads, o->precision);
    if (!be) return 2;
    WganConfig cfg;
    Net *G = gen_load(be, o->model, 0, &cfg);
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
    int rc = fk_mkparents(o->out) != 0 || grid_save(o->out, out, total, C, S, S, o->steps) ? 1 : 0;
    if (!rc) printf("wrote %s: %d walks of %d steps\n", o->out, o->rows, o->steps);
    free(lat), free(ends), free(out), free(zh);
    be->free(z);
    net_free(G);
    return rc;
}
