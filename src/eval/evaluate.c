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
#include "eval/measure.h"
#include "gan/generator.h"
#include "gan/wgan.h"
#include "image/imageio.h"
#include "util/files.h"
#include "util/util.h"

#define COPY_RATIO 0.5   // closer than this x the median real-to-real distance: a likely copy
#define TWIN_RATIO 0.5   // same threshold between two fakes: near-twins
#define REAL_NN 500      // training images whose nearest neighbour sets the scale
#define PAIRS 4000       // random pairs for the mean pairwise distance
#define DOWN 4           // downsampling factor of the second copy search
#define SHEET 8          // fakes on nearest.png

void eval_defaults(EvalOpts *o) { *o = (EvalOpts){.n = 2000, .seed = 1}; }

// ---------------------------------------------------------------------------
// image sets

typedef struct {
    uint8_t *pix;  // (n, C, S, S)
    size_t n;
    int C, S;
} ImgSet;

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

// n fakes from a generator file or run folder, as bytes.
static int load_model_fakes(ImgSet *s, const Backend *be, const char *path, uint64_t seed, int C, int S, size_t n) {
    WganConfig cfg;
    Net *G = gen_load(be, path, 0, &cfg);
    if (!G) return -1;
    if (cfg.nc != C || cfg.isize != S) {
        char file[4200];
        fk_error("%s: the model makes %dx%d images with %d channels, the real set holds %dx%d with %d",
                 gen_model_path(path, 0, file, sizeof file), cfg.isize, cfg.isize, cfg.nc, S, S, C);
        net_free(G);
        return -1;
    }
    s->C = C, s->S = S, s->n = n;
    s->pix = fk_malloc(n * (size_t)C * S * S);
    gen_fakes_bytes(s->pix, be, G, &cfg, (int)n, seed);
    net_free(G);
    return 0;
}

// The fakes: a run folder or model file (n are drawn), a folder of images, or a data set.
static int load_fakes(ImgSet *s, const EvalOpts *o, const Backend *be, int C, int S, size_t n) {
    struct stat st;
    if (stat(o->fake, &st) != 0) {
        fk_error("%s: %s", o->fake, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode) && !gen_is_run(o->fake)) return load_folder(s, o->fake, C, S, n);
    if (S_ISDIR(st.st_mode) || !ds_is_dataset(o->fake)) return load_model_fakes(s, be, o->fake, o->seed, C, S, n);
    Dataset ds;
    if (ds_open(&ds, o->fake) != 0) return -1;
    int rc = 0;
    if ((int)ds.size != S || (int)ds.channels != C) {
        fk_error("%s: holds %ux%u images with %u channels, the real set %dx%d with %d", o->fake, ds.size, ds.size,
                 ds.channels, S, S, C);
        rc = -1;
    } else {
        take_from_ds(s, &ds, o->seed ^ 0xfa4e, 0, n);
        if (!s->n) fk_error("%s: the data set is empty", o->fake), rc = -1;
    }
    ds_close(&ds);
    return rc;
}

// ---------------------------------------------------------------------------
// copies and diversity

typedef struct {
    double med_rr, med_rrd;  // median real-to-nearest-training distance, at full and 1/DOWN size
    size_t nq;               // reals that median is over
    double med_fake_nn, min_ratio;
    size_t flagged;          // fakes closer than COPY_RATIO at either size
    uint32_t *nearest;       // (n) each fake's nearest training image
    size_t *closest;         // (n) fakes, closest to a training image first
} Copies;

typedef struct {
    double fake, real, ratio;  // mean pairwise distances and their ratio
    double twin_share;         // fakes with a near-twin among the first REAL_NN fakes
    size_t nf;
} Diversity;

typedef struct {
    double r;
    size_t i;
} Close;

static int by_ratio(const void *a, const void *b) {
    const Close *x = a, *y = b;
    return x->r < y->r ? -1 : x->r > y->r ? 1 : (x->i > y->i) - (x->i < y->i);
}

// The scale: real images' distances to their nearest other training image,
// at full size and box-downsampled.
static void real_scale(Copies *c, const Dataset *train, const uint8_t *tdown, size_t dimg, uint64_t seed) {
    const size_t nt = train->count, img = ds_image_bytes(train);
    const size_t nq = nt - 1 < REAL_NN ? nt - 1 : REAL_NN, m = nq ? nq : 1;
    uint32_t *perm = fk_malloc(nt * sizeof(uint32_t)), *ri = fk_malloc(m * sizeof(uint32_t));
    uint8_t *q = fk_malloc(m * img), *qd = fk_malloc(m * dimg);
    double *rr = fk_malloc(m * sizeof(double)), *rrd = fk_malloc(m * sizeof(double));
    eval_perm(perm, (uint32_t)nt, seed ^ 0x5ca1e);
    for (size_t i = 0; i < nq; i++) {
        memcpy(q + i * img, train->pixels + (size_t)perm[i] * img, img);
        memcpy(qd + i * dimg, tdown + (size_t)perm[i] * dimg, dimg);
    }
    eval_nearest(ri, rr, q, nq, train->pixels, nt, img, perm);
    eval_nearest(ri, rrd, qd, nq, tdown, nt, dimg, perm);
    c->nq = nq, c->med_rr = eval_median(rr, nq), c->med_rrd = eval_median(rrd, nq);
    free(perm), free(ri), free(q), free(qd), free(rr), free(rrd);
}

// Each fake's nearest training image, against the scale.
static void find_copies(Copies *c, const Dataset *train, const ImgSet *fk, size_t n, uint64_t seed) {
    const size_t nt = train->count, img = ds_image_bytes(train);
    const size_t sd = (size_t)fk->S / DOWN, dimg = (size_t)fk->C * sd * sd;
    uint8_t *tdown = fk_malloc(nt * dimg), *fdown = fk_malloc(n * dimg);
    eval_downsample(tdown, train->pixels, nt, fk->C, fk->S, DOWN);
    eval_downsample(fdown, fk->pix, n, fk->C, fk->S, DOWN);
    real_scale(c, train, tdown, dimg, seed);
    uint32_t *fid = fk_malloc(n * sizeof(uint32_t));
    double *fd = fk_malloc(n * sizeof(double)), *fdd = fk_malloc(n * sizeof(double));
    Close *cl = fk_malloc(n * sizeof(Close));
    c->nearest = fk_malloc(n * sizeof(uint32_t));
    c->closest = fk_malloc(n * sizeof(size_t));
    eval_nearest(c->nearest, fd, fk->pix, n, train->pixels, nt, img, NULL);
    eval_nearest(fid, fdd, fdown, n, tdown, nt, dimg, NULL);
    c->flagged = 0, c->min_ratio = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const double a = c->med_rr > 0 ? fd[i] / c->med_rr : INFINITY;
        const double b = c->med_rrd > 0 ? fdd[i] / c->med_rrd : INFINITY;
        if (a < COPY_RATIO || b < COPY_RATIO) c->flagged++;
        cl[i] = (Close){a < b ? a : b, i};
        if (cl[i].r < c->min_ratio) c->min_ratio = cl[i].r;
    }
    c->med_fake_nn = eval_median(fd, n);
    qsort(cl, n, sizeof(Close), by_ratio);
    for (size_t i = 0; i < n; i++) c->closest[i] = cl[i].i;
    free(tdown), free(fdown), free(fid), free(fd), free(fdd), free(cl);
}

static void copies_free(Copies *c) { free(c->nearest), free(c->closest); }

static void diversity(Diversity *d, const ImgSet *fk, const ImgSet *ra, size_t n, double med_rr, uint64_t seed) {
    const size_t img = (size_t)fk->C * fk->S * fk->S;
    d->fake = eval_mean_pair_distance(fk->pix, n, img, PAIRS, seed + 7);
    d->real = eval_mean_pair_distance(ra->pix, n, img, PAIRS, seed + 7);
    d->ratio = d->real > 0 ? d->fake / d->real : 0.0;
    d->nf = n < REAL_NN ? n : REAL_NN;
    uint32_t *self = fk_malloc(d->nf * sizeof(uint32_t)), *tw = fk_malloc(d->nf * sizeof(uint32_t));
    double *twd = fk_malloc(d->nf * sizeof(double));
    for (size_t i = 0; i < d->nf; i++) self[i] = (uint32_t)i;
    eval_nearest(tw, twd, fk->pix, d->nf, fk->pix, n, img, self);
    size_t twins = 0;
    for (size_t i = 0; i < d->nf; i++) twins += twd[i] < TWIN_RATIO * med_rr;
    d->twin_share = d->nf ? (double)twins / d->nf : 0.0;
    free(self), free(tw), free(twd);
}

// nearest.png: the closest fakes over their training images.
static int write_sheet(const char *path, const Copies *c, const ImgSet *fk, const Dataset *train, size_t n) {
    const size_t img = (size_t)fk->C * fk->S * fk->S;
    const int ns = n < SHEET ? (int)n : SHEET;
    uint8_t *pairs = fk_malloc(2 * (size_t)ns * img);
    for (int i = 0; i < ns; i++) {
        memcpy(pairs + (size_t)i * img, fk->pix + c->closest[i] * img, img);
        memcpy(pairs + (size_t)(ns + i) * img, train->pixels + (size_t)c->nearest[c->closest[i]] * img, img);
    }
    float *pf = fk_malloc(2 * (size_t)ns * img * sizeof(float));
    wgan_pixels_to_float(pf, pairs, 2 * (size_t)ns * img);
    int rc = fk_mkparents(path) || grid_save(path, pf, 2 * ns, fk->C, fk->S, fk->S, ns) ? 1 : 0;
    free(pf), free(pairs);
    return rc;
}

// Where nearest.png goes: --sheet; else -o DIR; else the run folder when the
// fakes are a run's (RUN or RUN/netG.safetensors, whose report shows
// eval.json); else the current folder — never beside a model file that is
// not a run's (an installed model's folder is not ours to write).
static void sheet_path(char *dst, size_t len, const EvalOpts *o) {
    char dir[4200];
    if (o->sheet) {
        snprintf(dst, len, "%s", o->sheet);
        return;
    }
    snprintf(dir, sizeof dir, "%s", o->out_dir ? o->out_dir : ".");
    if (!o->out_dir && gen_is_run(o->fake)) snprintf(dir, sizeof dir, "%s", o->fake);
    if (!o->out_dir && !gen_is_run(o->fake)) {
        const char *slash = strrchr(o->fake, '/');
        char parent[4200];
        snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - o->fake) : 1, slash ? o->fake : ".");
        if (gen_is_run(parent) && !strcmp(slash ? slash + 1 : o->fake, "netG.safetensors"))
            snprintf(dir, sizeof dir, "%s", parent);
    }
    char *p = fk_join(dir, "nearest.png");
    snprintf(dst, len, "%s", p);
    free(p);
}

// ---------------------------------------------------------------------------
// the report

static const char *copy_verdict(const Copies *c) {
    return c->flagged ? "likely memorisation: some fakes are much closer to a training image than real images are "
                        "to each other (see the sheet)"
                      : "no fake is suspiciously close to a training image";
}

static const char *diversity_verdict(const Diversity *d) {
    return d->ratio < 0.6 || d->twin_share > 0.2    ? "MODE COLLAPSE: the fakes are far less varied than the real images"
           : d->ratio < 0.85 || d->twin_share > 0.05 ? "reduced diversity: partial mode collapse"
                                                      : "diverse: the fakes vary about as much as the real images";
}

static cJSON *num_array(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
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
    double sz[SWD_MAX_LEVELS];
    for (int k = 0; k < sf->nlevels; k++) sz[k] = sf->size[k];
    cJSON *sw = cJSON_AddObjectToObject(j, "swd");
    cJSON_AddItemToObject(sw, "levels", num_array(sz, sf->nlevels));
    cJSON_AddItemToObject(sw, "fake", num_array(sf->dist, sf->nlevels));
    cJSON_AddNumberToObject(sw, "fake_avg", sf->avg);
    cJSON_AddItemToObject(sw, "real", num_array(sr->dist, sr->nlevels));
    cJSON_AddNumberToObject(sw, "real_avg", sr->avg);
    cJSON_AddNumberToObject(sw, "ratio", sr->avg > 0 ? sf->avg / sr->avg : 0.0);
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
    size_t n, nt;  // images per set, training images
    const char *train, *sheet;
    SwdResult sf, sr;
    Copies cp;
    Diversity dv;
    EvalColour cf, cr;  // colour of the fakes and of the reals (RGB only: cr.n 0 otherwise)
    int written;        // nearest.png and eval.json were written
    double seconds, swd_seconds;
} Report;

// Colours: the share of images with a coloured part, how evenly their hues
// spread, and how far the fakes' hue histogram is from the reals'.
static const char *colour_verdict(const EvalColour *f, const EvalColour *r) {
    if (!r->coloured) return "the real images have no colours to match";
    const double share = ((double)f->coloured / f->n) / ((double)r->coloured / r->n);
    const double spread = r->entropy > 0 ? f->entropy / r->entropy : 1.0;
    if (share < 0.8 || spread < 0.9 || eval_hue_distance(f, r) > 0.25)
        return "fewer or other colours than the real images (see the hue shares)";
    if (share > 1.25) return "more coloured than the real images";
    return "as varied as the real images: as many coloured, hues spread alike";
}

static void print_colour(const EvalColour *c, const char *what) {
    printf("  %-6s %5.1f%% coloured, hue entropy %.2f bits, colourfulness %5.1f; hues (0, 30, ... 330 deg):", what,
           c->n ? 100.0 * c->coloured / c->n : 0.0, c->entropy, c->colourfulness);
    for (int k = 0; k < EVAL_HUE_BINS; k++) printf(" %2.0f", 100 * c->hist[k]);
    printf("\n");
}

static cJSON *colour_json(const EvalColour *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "coloured_share", c->n ? (double)c->coloured / c->n : 0.0);
    cJSON_AddNumberToObject(o, "hue_entropy", c->entropy);
    cJSON_AddNumberToObject(o, "colourfulness", c->colourfulness);
    cJSON_AddItemToObject(o, "hue_shares", num_array(c->hist, EVAL_HUE_BINS));
    return o;
}

static void print_report(const Report *r) {
    const Copies *c = &r->cp;
    const Diversity *d = &r->dv;
    print_swd_block(r->n, &r->sf, &r->sr);
    printf("  the fakes are %.2fx the real-vs-real floor (1.0 would be indistinguishable)\n",
           r->sr.avg > 0 ? r->sf.avg / r->sr.avg : 0.0);
    printf("\ncopy detection against %s (%zu training images)\n", r->train, r->nt);
    printf("  nearest other training image, median over %zu reals: %.1f (at 1/%d size %.1f)\n", c->nq, c->med_rr,
           DOWN, c->med_rrd);
    printf("  nearest training image, median over the fakes:       %.1f (%.2fx the reals')\n", c->med_fake_nn,
           c->med_rr > 0 ? c->med_fake_nn / c->med_rr : 0.0);
    printf("  closest fake: %.2fx; flagged (< %.1fx at either size): %zu of %zu\n", c->min_ratio, COPY_RATIO,
           c->flagged, r->n);
    printf("  -> %s\n", copy_verdict(c));
    if (r->written)
        printf("  sheet: %s (top: the %d fakes closest to training images; bottom: those images)\n", r->sheet,
               r->n < SHEET ? (int)r->n : SHEET);
    else
        printf("  sheet: NOT written (%s; see the error above)\n", r->sheet);
    printf("\ndiversity\n");
    printf("  mean pairwise distance: fakes %.1f, reals %.1f, ratio %.2f\n", d->fake, d->real, d->ratio);
    printf("  fakes with a near-twin fake (< %.1fx the real nearest distance): %.1f%% of %zu\n", TWIN_RATIO,
           100 * d->twin_share, d->nf);
    printf("  -> %s\n", diversity_verdict(d));
    if (r->cr.n) {
        printf("\ncolour (a pixel is coloured at HSV saturation >= 0.3 and value >= 0.25; an image at 2%% of them)\n");
        print_colour(&r->cf, "fakes");
        print_colour(&r->cr, "reals");
        printf("  hue histograms' distance (total variation, 0 to 1): %.2f\n", eval_hue_distance(&r->cf, &r->cr));
        printf("  -> %s\n", colour_verdict(&r->cf, &r->cr));
    }
    printf("\n(%.1f s, of which SWD %.1f s)\n", r->seconds, r->swd_seconds);
}

static cJSON *report_json(const EvalOpts *o, const Report *r) {
    const Copies *c = &r->cp;
    const Diversity *d = &r->dv;
    cJSON *j = json_head(o, r->n, &r->sf, &r->sr);
    cJSON *cp = cJSON_AddObjectToObject(j, "copy");
    cJSON_AddStringToObject(cp, "train", r->train);
    cJSON_AddNumberToObject(cp, "real_nn_median", c->med_rr);
    cJSON_AddNumberToObject(cp, "real_nn_median_down", c->med_rrd);
    cJSON_AddNumberToObject(cp, "fake_nn_median", c->med_fake_nn);
    cJSON_AddNumberToObject(cp, "min_ratio", c->min_ratio);
    cJSON_AddNumberToObject(cp, "flagged", (double)c->flagged);
    cJSON_AddStringToObject(cp, "sheet", r->sheet);
    cJSON_AddStringToObject(cp, "verdict", copy_verdict(c));
    cJSON *dv = cJSON_AddObjectToObject(j, "diversity");
    cJSON_AddNumberToObject(dv, "fake_mean_pair", d->fake);
    cJSON_AddNumberToObject(dv, "real_mean_pair", d->real);
    cJSON_AddNumberToObject(dv, "ratio", d->ratio);
    cJSON_AddNumberToObject(dv, "twin_share", d->twin_share);
    cJSON_AddStringToObject(dv, "verdict", diversity_verdict(d));
    if (r->cr.n) {
        cJSON *co = cJSON_AddObjectToObject(j, "colour");
        cJSON_AddItemToObject(co, "fake", colour_json(&r->cf));
        cJSON_AddItemToObject(co, "real", colour_json(&r->cr));
        cJSON_AddNumberToObject(co, "hue_distance", eval_hue_distance(&r->cf, &r->cr));
        cJSON_AddStringToObject(co, "verdict", colour_verdict(&r->cf, &r->cr));
    }
    cJSON_AddNumberToObject(j, "seconds", r->seconds);
    return j;
}

// The whole report as eval.json beside the sheet, where `fakeit report` finds
// it (RUN/eval.json for a run); 0, or -1 after printing.
static int save_report_json(const char *sheet, cJSON *j) {
    char *path = fk_beside(sheet, "eval.json"), *txt = cJSON_Print(j);
    const int rc = fk_write_file(path, txt, strlen(txt));
    free(path), free(txt);
    return rc;
}

// The real set must allow two disjoint sets of at least two 16 px images.
static int check_reals(const Dataset *real, const char *path) {
    if (real->size < 16) {
        fk_error("%s: %ux%u images are too small for SWD (16 px or more)", path, real->size, real->size);
        return -1;
    }
    if (real->count < 4) {
        fk_error("%s: %u images; eval needs at least 4 real images (two sets to compare)", path, real->count);
        return -1;
    }
    return 0;
}

int eval_run(const EvalOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads, o->precision);
    if (!be) return 2;
    Dataset real = {0}, train = {0};
    ImgSet fk = {0}, ra = {0}, rb = {0};
    Report r = {0};
    char sheet[4200];
    int rc = 2;
    if (ds_open(&real, o->real) != 0 || check_reals(&real, o->real) != 0) goto done;
    const int C = (int)real.channels, S = (int)real.size;
    size_t n = (size_t)o->n;
    if (n > real.count / 2) n = real.count / 2;  // two disjoint real sets for the baseline
    if (load_fakes(&fk, o, be, C, S, n) != 0) goto done;
    if (fk.n < n) n = fk.n;
    if (n < 2) {
        fk_error("%s: at least 2 fakes are needed", o->fake);
        goto done;
    }
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
    eval_swd(&r.sf, ra.pix, fk.pix, (int)n, C, S, o->seed);
    eval_swd(&r.sr, ra.pix, rb.pix, (int)n, C, S, o->seed);
    r.n = n, r.swd_seconds = fk_seconds() - t0;
    if (o->swd_only) {
        if (o->json) print_json(json_head(o, n, &r.sf, &r.sr));
        else print_swd_block(n, &r.sf, &r.sr);
        rc = 0;
        goto done;
    }
    r.train = o->train ? o->train : o->real;
    if (ds_open(&train, r.train) != 0) goto done;
    if ((int)train.size != S || (int)train.channels != C) {
        fk_error("%s: holds %ux%u images with %u channels, the real set %dx%d with %d", r.train, train.size,
                 train.size, train.channels, S, S, C);
        goto done;
    }
    r.nt = train.count;
    find_copies(&r.cp, &train, &fk, n, o->seed);
    diversity(&r.dv, &fk, &ra, n, r.cp.med_rr, o->seed);
    if (C == 3) eval_colour(&r.cf, fk.pix, n, S), eval_colour(&r.cr, ra.pix, n, S);
    r.seconds = fk_seconds() - t0;
    sheet_path(sheet, sizeof sheet, o);
    r.sheet = sheet;
    rc = write_sheet(sheet, &r.cp, &fk, &train, n);
    cJSON *j = report_json(o, &r);
    if (!rc && save_report_json(sheet, j) != 0) rc = 1;
    r.written = rc == 0;
    if (rc) fk_error("%s: the sheet and eval.json could not be written there: give a folder you can write with -o DIR", sheet);
    if (o->json) print_json(j);
    else {
        cJSON_Delete(j);
        print_report(&r);
    }
done:
    free(fk.pix), free(ra.pix), free(rb.pix);
    copies_free(&r.cp);
    ds_close(&real), ds_close(&train);
    return rc;
}
