// evaluate.c: `fakeit eval` — SWD, copy detection, mode-collapse alarm.
#include "eval/evaluate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/backend.h"
#include "data/dataset.h"
#include "draw/grid.h"
#include "image/imageio.h"
#include "util/rng.h"
#include "gan/sample.h"
#include "util/util.h"

#define COPY_RATIO 0.5   // closer than this x the median real-to-real distance: a likely copy
#define TWIN_RATIO 0.5   // same threshold between two fakes: near-twins
#define REAL_NN 500      // training images whose nearest neighbour sets the scale
#define PAIRS 4000       // random pairs for the mean pairwise distance
#define DOWN 4           // downsampling factor of the second copy search
#define SHEET 8          // fakes on nearest.png

// ---------------------------------------------------------------------------
// building blocks

void eval_nearest(uint32_t *idx, double *dist, const uint8_t *q, size_t nq, const uint8_t *ref, size_t nr, size_t D,
                  const uint32_t *skip_same) {
    const size_t chunk = 65536;  // 65536 * 255^2 fits in 32 bits
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < nq; i++) {
        const uint8_t *a = q + i * D;
        uint64_t best = UINT64_MAX;
        uint32_t bi = 0;
        for (size_t j = 0; j < nr; j++) {
            if (skip_same && skip_same[i] == j) continue;
            const uint8_t *b = ref + j * D;
            uint64_t s = 0;
            for (size_t k0 = 0; k0 < D && s < best; k0 += chunk) {
                const size_t k1 = k0 + chunk < D ? k0 + chunk : D;
                uint32_t part = 0;
#pragma omp simd reduction(+ : part)
                for (size_t k = k0; k < k1; k++) {
                    const int d = (int)a[k] - (int)b[k];
                    part += (uint32_t)(d * d);
                }
                s += part;
            }
            if (s < best) best = s, bi = (uint32_t)j;
        }
        idx[i] = bi;
        dist[i] = sqrt((double)best);
    }
}

void eval_downsample(uint8_t *out, const uint8_t *in, size_t n, int C, int S, int f) {
    const int s = S / f;
    for (size_t p = 0; p < n * C; p++)
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                unsigned sum = 0;
                for (int a = 0; a < f; a++)
                    for (int b = 0; b < f; b++) sum += in[p * S * S + (size_t)(y * f + a) * S + x * f + b];
                out[p * s * s + (size_t)y * s + x] = (uint8_t)((sum + (unsigned)(f * f) / 2) / (unsigned)(f * f));
            }
}

double eval_mean_pair_distance(const uint8_t *x, size_t n, size_t D, int pairs, uint64_t seed) {
    if (n < 2) return 0.0;
    Rng r;
    rng_seed(&r, seed);
    double total = 0.0;
    for (int p = 0; p < pairs; p++) {
        const size_t i = rng_u64(&r) % n;
        size_t j = rng_u64(&r) % (n - 1);
        if (j >= i) j++;
        uint64_t s = 0;
        for (size_t k = 0; k < D; k++) {
            const int d = (int)x[i * D + k] - (int)x[j * D + k];
            s += (uint64_t)(d * d);
        }
        total += sqrt((double)s);
    }
    return total / pairs;
}

void eval_to_bytes(uint8_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const double v = rint((double)src[i] * 127.5 + 127.5);
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

// ---------------------------------------------------------------------------
// image sets

typedef struct {
    uint8_t *pix;  // (n, C, S, S)
    size_t n;
    int C, S;
} ImgSet;

void eval_perm(uint32_t *p, uint32_t n, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++) p[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        const uint32_t j = (uint32_t)(rng_u64(&r) % i), t = p[i - 1];
        p[i - 1] = p[j], p[j] = t;
    }
}

size_t eval_take(uint8_t *dst, const uint8_t *pix, size_t count, size_t img, size_t skip, size_t n, uint64_t seed) {
    uint32_t *order = fk_malloc((count ? count : 1) * sizeof(uint32_t));
    eval_perm(order, (uint32_t)count, seed);
    const size_t got = skip >= count ? 0 : count - skip < n ? count - skip : n;
    for (size_t i = 0; i < got; i++) memcpy(dst + i * img, pix + (size_t)order[skip + i] * img, img);
    free(order);
    return got;
}

void eval_fakes(uint8_t *dst, const Backend *be, Net *G, const WganConfig *cfg, int n, uint64_t seed) {
    const size_t img = (size_t)cfg->nc * cfg->isize * cfg->isize;
    float *f = fk_malloc((size_t)n * img * sizeof(float));
    sample_make(be, G, cfg, n, seed, f, NULL, NULL);
    eval_to_bytes(dst, f, (size_t)n * img);
    free(f);
}

void eval_swd(SwdResult *r, const uint8_t *ra, const uint8_t *fakes, int n, int C, int S, uint64_t seed) {
    swd_images(r, ra, fakes, n, C, S, seed + 1);
}

// Up to n images of an open data set, at positions skip.. of its random order of `seed`.
static void take_from_ds(ImgSet *s, const Dataset *ds, uint64_t seed, size_t skip, size_t n) {
    const size_t img = ds_image_bytes(ds);
    s->C = (int)ds->channels, s->S = (int)ds->size;
    s->pix = fk_malloc((n ? n : 1) * img);
    s->n = eval_take(s->pix, ds->pixels, ds->count, img, skip, n, seed);
}

// Up to n images of a folder (sorted by name), each decoded and centre-cropped
// to S x S exactly as `fakeit prepare --fit crop` would (grey: BT.601 luma).
static int load_folder(ImgSet *s, const char *dir, int C, int S, size_t n) {
    size_t cnt = 0;
    char **names = fk_list_dir(dir, NULL, &cnt);
    if (!names) {
        fk_error("%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    img_init();
    const size_t img = (size_t)C * S * S;
    s->C = C, s->S = S, s->n = 0;
    s->pix = fk_malloc((n ? n : 1) * img);
    size_t skipped = 0;
    for (size_t i = 0; i < cnt && s->n < n; i++) {
        Thumb t;
        char why[256];
        if (img_thumbnail(names[i], S, FIT_CROP, 1e9, 1, &t, why, sizeof why) != IMG_OK) {
            skipped++;
            continue;
        }
        uint8_t *o = s->pix + s->n * img;
        for (int p = 0; p < S * S; p++) {
            const uint8_t *px = t.rgb + (size_t)p * 3;
            if (C == 1)
                o[p] = (uint8_t)((299 * px[0] + 587 * px[1] + 114 * px[2] + 500) / 1000);
            else
                for (int c = 0; c < 3; c++) o[(size_t)c * S * S + p] = px[c];
        }
        thumb_free(&t);
        s->n++;
    }
    for (size_t i = 0; i < cnt; i++) free(names[i]);
    free(names);
    if (skipped) fprintf(stderr, "fakeit: %s: %zu files skipped (not readable images)\n", dir, skipped);
    if (s->n == 0) {
        fk_error("%s: no readable images in the folder", dir);
        return -1;
    }
    return 0;
}

// n fakes from a generator file, as bytes.
static int load_model_fakes(ImgSet *s, const char *path, const EvalOpts *o, int C, int S, size_t n) {
    const Backend *be = backend_pick(o->backend, o->threads);
    if (!be) return -1;
    WganConfig cfg;
    Net *G = sample_load_generator(be, path, &cfg);
    if (!G) return -1;
    if (cfg.nc != C || cfg.isize != S) {
        fk_error("%s: the model makes %dx%d images with %d channels, the real set holds %dx%d with %d", path,
                 cfg.isize, cfg.isize, cfg.nc, S, S, C);
        net_free(G);
        return -1;
    }
    s->C = C, s->S = S, s->n = n;
    s->pix = fk_malloc(n * (size_t)C * S * S);
    eval_fakes(s->pix, be, G, &cfg, (int)n, o->seed);
    net_free(G);
    return 0;
}

static int load_fakes(ImgSet *s, const EvalOpts *o, int C, int S, size_t n) {
    struct stat st;
    if (stat(o->fake, &st) != 0) {
        fk_error("%s: %s", o->fake, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) return load_folder(s, o->fake, C, S, n);
    if (ds_is_dataset(o->fake)) {
        Dataset ds;
        if (ds_open(&ds, o->fake) != 0) return -1;
        if ((int)ds.size != S || (int)ds.channels != C) {
            fk_error("%s: holds %ux%u images with %u channels, the real set %dx%d with %d", o->fake, ds.size, ds.size,
                     ds.channels, S, S, C);
            ds_close(&ds);
            return -1;
        }
        take_from_ds(s, &ds, o->seed ^ 0xfa4e, 0, n);
        ds_close(&ds);
        return s->n ? 0 : (fk_error("%s: the data set is empty", o->fake), -1);
    }
    return load_model_fakes(s, o->fake, o, C, S, n);
}

// ---------------------------------------------------------------------------
// the report

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n) {
    double *c = fk_malloc((n ? n : 1) * sizeof(double));
    memcpy(c, v, n * sizeof(double));
    qsort(c, n, sizeof(double), cmp_double);
    double m = n ? (n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2])) : 0.0;
    free(c);
    return m;
}

static cJSON *num_array(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void add_swd_json(cJSON *j, const SwdResult *sf, const SwdResult *sr) {
    double sz[SWD_MAX_LEVELS];
    for (int k = 0; k < sf->nlevels; k++) sz[k] = sf->size[k];
    cJSON *sw = cJSON_AddObjectToObject(j, "swd");
    cJSON_AddItemToObject(sw, "levels", num_array(sz, sf->nlevels));
    cJSON_AddItemToObject(sw, "fake", num_array(sf->dist, sf->nlevels));
    cJSON_AddNumberToObject(sw, "fake_avg", sf->avg);
    cJSON_AddItemToObject(sw, "real", num_array(sr->dist, sr->nlevels));
    cJSON_AddNumberToObject(sw, "real_avg", sr->avg);
    cJSON_AddNumberToObject(sw, "ratio", sr->avg > 0 ? sf->avg / sr->avg : 0.0);
}

static void print_swd(const char *label, const SwdResult *r) {
    printf("  %-28s", label);
    for (int k = 0; k < r->nlevels; k++) printf(" %4dpx %8.2f", r->size[k], r->dist[k]);
    printf("   avg %8.2f\n", r->avg);
}

static void print_swd_block(size_t n, const SwdResult *sf, const SwdResult *sr) {
    printf("\nsliced Wasserstein distance (x1000, lower is better; %zu images per set)\n", n);
    print_swd("fakes vs reals", sf);
    print_swd("reals vs other reals", sr);
}

// The JSON object's first fields: the inputs and the SWD figures.
static cJSON *json_head(const EvalOpts *o, size_t n, const SwdResult *sf, const SwdResult *sr) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "real", o->real);
    cJSON_AddStringToObject(j, "fake", o->fake);
    cJSON_AddNumberToObject(j, "n", (double)n);
    add_swd_json(j, sf, sr);
    return j;
}

// Prints the object on one line and frees it.
static void print_json(cJSON *j) {
    char *s = cJSON_PrintUnformatted(j);
    puts(s);
    free(s);
    cJSON_Delete(j);
}

typedef struct {
    double fi;    // distance ratio at full size
    size_t i;     // fake index
} Close;

static int by_ratio(const void *a, const void *b) {
    const Close *x = a, *y = b;
    return x->fi < y->fi ? -1 : x->fi > y->fi ? 1 : (x->i > y->i) - (x->i < y->i);
}

int eval_run(const EvalOpts *o) {
    Dataset real, train;
    if (ds_open(&real, o->real) != 0) return 2;
    const int C = (int)real.channels, S = (int)real.size;
    const size_t img = (size_t)C * S * S;
    if (S < 16) {
        fk_error("%s: %dx%d images are too small for SWD (16 px or more)", o->real, S, S);
        ds_close(&real);
        return 2;
    }
    if (real.count < 4) {
        fk_error("%s: %u images; eval needs at least 4 real images (two sets to compare)", o->real, real.count);
        ds_close(&real);
        return 2;
    }
    size_t n = (size_t)o->n;
    if (n > real.count / 2) n = real.count / 2;  // two disjoint real sets for the baseline
    ImgSet fk = {0};
    if (load_fakes(&fk, o, C, S, n) != 0) {
        ds_close(&real);
        return 2;
    }
    if (fk.n < n) n = fk.n;
    if (n < 2) {
        fk_error("%s: at least 2 fakes are needed", o->fake);
        free(fk.pix), ds_close(&real);
        return 2;
    }
    ImgSet ra, rb;
    take_from_ds(&ra, &real, o->seed, 0, n);
    take_from_ds(&rb, &real, o->seed, n, n);
    if (!o->json) {
        printf("fakeit eval: %zu fakes from %s against %zu of %u real images of %s (%dx%d, %d channel%s)\n", n, o->fake,
               n, real.count, o->real, S, S, C, C > 1 ? "s" : "");
        if ((size_t)o->n > n)
            printf("  (fewer than the %d asked: each set has at most half the real images, and the fakes available)\n",
                   o->n);
        fflush(stdout);
    }
    const double t0 = fk_seconds();
    SwdResult sf, sr;
    eval_swd(&sf, ra.pix, fk.pix, (int)n, C, S, o->seed);
    eval_swd(&sr, ra.pix, rb.pix, (int)n, C, S, o->seed);
    const double t_swd = fk_seconds() - t0;
    if (o->swd_only) {
        if (o->json)
            print_json(json_head(o, n, &sf, &sr));
        else
            print_swd_block(n, &sf, &sr);
        free(fk.pix), free(ra.pix), free(rb.pix), ds_close(&real);
        return 0;
    }

    // copy detection against the training set
    const char *tpath = o->train ? o->train : o->real;
    if (ds_open(&train, tpath) != 0) {
        free(fk.pix), free(ra.pix), free(rb.pix), ds_close(&real);
        return 2;
    }
    if ((int)train.size != S || (int)train.channels != C) {
        fk_error("%s: holds %ux%u images with %u channels, the real set %dx%d with %d", tpath, train.size, train.size,
                 train.channels, S, S, C);
        free(fk.pix), free(ra.pix), free(rb.pix), ds_close(&real), ds_close(&train);
        return 2;
    }
    const size_t nt = train.count, sd = (size_t)S / DOWN, dimg = (size_t)C * sd * sd;
    uint8_t *tdown = fk_malloc(nt * dimg), *fdown = fk_malloc(n * dimg);
    eval_downsample(tdown, train.pixels, nt, C, S, DOWN);
    eval_downsample(fdown, fk.pix, n, C, S, DOWN);
    // the scale: real images' distances to their nearest other training image
    const size_t nq = nt - 1 < REAL_NN ? nt - 1 : REAL_NN;
    uint32_t *qi = fk_malloc((nq ? nq : 1) * sizeof(uint32_t)), *tmpi = fk_malloc(nt * sizeof(uint32_t));
    eval_perm(tmpi, (uint32_t)nt, o->seed ^ 0x5ca1e);
    memcpy(qi, tmpi, nq * sizeof(uint32_t));
    uint8_t *q = fk_malloc((nq ? nq : 1) * img), *qd = fk_malloc((nq ? nq : 1) * dimg);
    for (size_t i = 0; i < nq; i++) {
        memcpy(q + i * img, train.pixels + (size_t)qi[i] * img, img);
        memcpy(qd + i * dimg, tdown + (size_t)qi[i] * dimg, dimg);
    }
    double *rr = fk_malloc((nq ? nq : 1) * sizeof(double)), *rrd = fk_malloc((nq ? nq : 1) * sizeof(double));
    uint32_t *ri = fk_malloc((nq ? nq : 1) * sizeof(uint32_t));
    eval_nearest(ri, rr, q, nq, train.pixels, nt, img, qi);
    eval_nearest(ri, rrd, qd, nq, tdown, nt, dimg, qi);
    const double med_rr = median(rr, nq), med_rrd = median(rrd, nq);
    // each fake's nearest training image
    uint32_t *fi = fk_malloc(n * sizeof(uint32_t)), *fid = fk_malloc(n * sizeof(uint32_t));
    double *fd = fk_malloc(n * sizeof(double)), *fdd = fk_malloc(n * sizeof(double));
    eval_nearest(fi, fd, fk.pix, n, train.pixels, nt, img, NULL);
    eval_nearest(fid, fdd, fdown, n, tdown, nt, dimg, NULL);
    size_t flagged = 0;
    Close *cl = fk_malloc(n * sizeof(Close));
    double min_ratio = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const double a = med_rr > 0 ? fd[i] / med_rr : INFINITY, b = med_rrd > 0 ? fdd[i] / med_rrd : INFINITY;
        if (a < COPY_RATIO || b < COPY_RATIO) flagged++;
        cl[i] = (Close){a < b ? a : b, i};
        if (cl[i].fi < min_ratio) min_ratio = cl[i].fi;
    }
    const double med_fake_nn = median(fd, n);
    qsort(cl, n, sizeof(Close), by_ratio);
    // diversity
    const double div_f = eval_mean_pair_distance(fk.pix, n, img, PAIRS, o->seed + 7);
    const double div_r = eval_mean_pair_distance(ra.pix, n, img, PAIRS, o->seed + 7);
    const double div_ratio = div_r > 0 ? div_f / div_r : 0.0;
    const size_t nf = n < REAL_NN ? n : REAL_NN;
    uint32_t *self = fk_malloc(nf * sizeof(uint32_t)), *tw = fk_malloc(nf * sizeof(uint32_t));
    double *twd = fk_malloc(nf * sizeof(double));
    for (size_t i = 0; i < nf; i++) self[i] = (uint32_t)i;
    eval_nearest(tw, twd, fk.pix, nf, fk.pix, n, img, self);
    size_t twins = 0;
    for (size_t i = 0; i < nf; i++) twins += twd[i] < TWIN_RATIO * med_rr;
    const double twin_share = nf ? (double)twins / nf : 0.0;
    const double t_all = fk_seconds() - t0;

    // nearest.png: the closest fakes over their training images
    char sheet[4200];
    if (o->sheet) {
        snprintf(sheet, sizeof sheet, "%s", o->sheet);
    } else {
        struct stat st;
        const char *slash = strrchr(o->fake, '/');
        if (stat(o->fake, &st) == 0 && S_ISREG(st.st_mode) && !ds_is_dataset(o->fake))
            snprintf(sheet, sizeof sheet, "%.*snearest.png", slash ? (int)(slash - o->fake + 1) : 0, o->fake);
        else
            snprintf(sheet, sizeof sheet, "nearest.png");
    }
    const int ns = n < SHEET ? (int)n : SHEET;
    uint8_t *pairs = fk_malloc(2 * (size_t)ns * img);
    for (int i = 0; i < ns; i++) {
        memcpy(pairs + (size_t)i * img, fk.pix + cl[i].i * img, img);
        memcpy(pairs + (size_t)(ns + i) * img, train.pixels + (size_t)fi[cl[i].i] * img, img);
    }
    float *pf = fk_malloc(2 * (size_t)ns * img * sizeof(float));
    wgan_pixels_to_float(pf, pairs, 2 * (size_t)ns * img);
    int rc = grid_save(sheet, pf, 2 * ns, C, S, S, ns) ? 1 : 0;
    free(pf), free(pairs);

    const char *copy_verdict = flagged ? "likely memorisation: some fakes are much closer to a training image than "
                                         "real images are to each other (see the sheet)"
                                       : "no fake is suspiciously close to a training image";
    const char *div_verdict = div_ratio < 0.6 || twin_share > 0.2    ? "MODE COLLAPSE: the fakes are far less varied than the real images"
                              : div_ratio < 0.85 || twin_share > 0.05 ? "reduced diversity: partial mode collapse"
                                                                       : "diverse: the fakes vary about as much as the real images";
    if (!o->json) {
        print_swd_block(n, &sf, &sr);
        printf("  the fakes are %.2fx the real-vs-real floor (1.0 would be indistinguishable)\n",
               sr.avg > 0 ? sf.avg / sr.avg : 0.0);
        printf("\ncopy detection against %s (%zu training images)\n", tpath, nt);
        printf("  nearest other training image, median over %zu reals: %.1f (at 1/%d size %.1f)\n", nq, med_rr, DOWN,
               med_rrd);
        printf("  nearest training image, median over the fakes:       %.1f (%.2fx the reals')\n", med_fake_nn,
               med_rr > 0 ? med_fake_nn / med_rr : 0.0);
        printf("  closest fake: %.2fx; flagged (< %.1fx at either size): %zu of %zu\n", min_ratio, COPY_RATIO,
               flagged, n);
        printf("  -> %s\n", copy_verdict);
        printf("  sheet: %s (top: the %d fakes closest to training images; bottom: those images)\n", sheet, ns);
        printf("\ndiversity\n");
        printf("  mean pairwise distance: fakes %.1f, reals %.1f, ratio %.2f\n", div_f, div_r, div_ratio);
        printf("  fakes with a near-twin fake (< %.1fx the real nearest distance): %.1f%% of %zu\n", TWIN_RATIO,
               100 * twin_share, nf);
        printf("  -> %s\n", div_verdict);
        printf("\n(%.1f s, of which SWD %.1f s)\n", t_all, t_swd);
    }
    if (o->json) {
        cJSON *j = json_head(o, n, &sf, &sr);
        cJSON *cp = cJSON_AddObjectToObject(j, "copy");
        cJSON_AddStringToObject(cp, "train", tpath);
        cJSON_AddNumberToObject(cp, "real_nn_median", med_rr);
        cJSON_AddNumberToObject(cp, "real_nn_median_down", med_rrd);
        cJSON_AddNumberToObject(cp, "fake_nn_median", med_fake_nn);
        cJSON_AddNumberToObject(cp, "min_ratio", min_ratio);
        cJSON_AddNumberToObject(cp, "flagged", (double)flagged);
        cJSON_AddStringToObject(cp, "sheet", sheet);
        cJSON_AddStringToObject(cp, "verdict", copy_verdict);
        cJSON *dv = cJSON_AddObjectToObject(j, "diversity");
        cJSON_AddNumberToObject(dv, "fake_mean_pair", div_f);
        cJSON_AddNumberToObject(dv, "real_mean_pair", div_r);
        cJSON_AddNumberToObject(dv, "ratio", div_ratio);
        cJSON_AddNumberToObject(dv, "twin_share", twin_share);
        cJSON_AddStringToObject(dv, "verdict", div_verdict);
        cJSON_AddNumberToObject(j, "seconds", t_all);
        print_json(j);
    }
    free(fk.pix), free(ra.pix), free(rb.pix);
    free(tdown), free(fdown), free(qi), free(tmpi), free(q), free(qd), free(rr), free(rrd), free(ri);
    free(fi), free(fid), free(fd), free(fdd), free(cl), free(self), free(tw), free(twd);
    ds_close(&real), ds_close(&train);
    return rc;
}
