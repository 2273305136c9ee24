// upscale.c: tiled super-resolution of any image size, upscalers (a model or
// bicubic), the default model's lookup, and `fakeit upscale`.
#include "sr/upscale.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dist/dist.h"
#include "image/imageio.h"
#include "util/files.h"
#include "util/util.h"

// ---------------------------------------------------------------------------
// tiled upscaling

typedef struct {
    int h, w;
    Net *net;
} Sized;

#define SIZED 16  // tile shapes kept: interior, edges, corners, and those within the radius of an edge

// The network for an input of h x w with the model's weights, from a small
// cache (emptied when full, so memory stays bounded).
static Net *sized_net(Sized *cache, int *n, const Net *model, const SrConfig *c, int h, int w) {
    for (int i = 0; i < *n; i++)
        if (cache[i].h == h && cache[i].w == w) return cache[i].net;
    if (*n == SIZED) {
        for (int i = 0; i < *n; i++) net_free(cache[i].net);
        *n = 0;
    }
    Net *net = sr_net(model->be, c, h, w);
    model->be->copy(net->params, model->params, model->n_params);
    net_set_batch(net, 1);
    cache[*n] = (Sized){h, w, net};
    (*n)++;
    return net;
}

void sr_upscale_planar(const Net *model, const SrConfig *c, const float *in, int w, int h, int tile, float *out) {
    const Backend *be = model->be;
    const int s = c->scale, R = sr_radius(c), T = tile > 0 ? tile : (w > h ? w : h);
    const int OW = w * s;
    Sized cache[SIZED];
    int ncache = 0;
    float *reg = fk_malloc((size_t)3 * (T + 2 * R) * (T + 2 * R) * sizeof(float));
    float *dev = be->alloc((size_t)3 * (T + 2 * R) * (T + 2 * R));
    float *res = fk_malloc((size_t)3 * (T + 2 * R) * (T + 2 * R) * s * s * sizeof(float));
    for (int y0 = 0; y0 < h; y0 += T)
        for (int x0 = 0; x0 < w; x0 += T) {
            const int x1 = x0 + T < w ? x0 + T : w, y1 = y0 + T < h ? y0 + T : h;
            const int rx0 = x0 - R > 0 ? x0 - R : 0, ry0 = y0 - R > 0 ? y0 - R : 0;
            const int rx1 = x1 + R < w ? x1 + R : w, ry1 = y1 + R < h ? y1 + R : h;
            const int rw = rx1 - rx0, rh = ry1 - ry0;
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < rh; y++)
                    memcpy(reg + ((size_t)ch * rh + y) * rw, in + ((size_t)ch * h + ry0 + y) * w + rx0,
                           (size_t)rw * sizeof(float));
            Net *net = sized_net(cache, &ncache, model, c, rh, rw);
            be->upload(dev, reg, (size_t)3 * rh * rw);
            be->download(res, net_forward(net, dev, 1), (size_t)3 * rh * rw * s * s);
            // the core of the tile, (y0..y1, x0..x1) scaled
            const int RW = rw * s;
            for (int ch = 0; ch < 3; ch++)
                for (int y = y0 * s; y < y1 * s; y++)
                    memcpy(out + ((size_t)ch * h * s + y) * OW + (size_t)x0 * s,
                           res + ((size_t)ch * rh * s + (y - ry0 * s)) * RW + (size_t)(x0 - rx0) * s,
                           (size_t)(x1 - x0) * s * sizeof(float));
        }
    for (int i = 0; i < ncache; i++) net_free(cache[i].net);
    free(reg), free(res);
    be->free(dev);
}

int sr_upscale(const Net *model, const SrConfig *c, const uint8_t *rgb, int w, int h, int tile, uint8_t *out) {
    const int s = c->scale;
    const size_t n = (size_t)w * h, N = n * s * s;
    float *in = fk_malloc(3 * n * sizeof(float)), *o = fk_malloc(3 * N * sizeof(float));
    for (size_t p = 0; p < n; p++)
        for (int ch = 0; ch < 3; ch++) in[ch * n + p] = rgb[p * 3 + ch] / 255.0f;
    sr_upscale_planar(model, c, in, w, h, tile, o);
    for (size_t p = 0; p < N; p++)
        for (int ch = 0; ch < 3; ch++) {
            const double v = rint((double)o[ch * N + p] * 255.0);
            out[p * 3 + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(in), free(o);
    return 0;
}

// ---------------------------------------------------------------------------
// upscalers

const char *sr_default_model(void) {
    static char path[4200];
    const char *env = getenv("FAKEIT_SR_MODEL");
    if (env && *env) {
        if (access(env, R_OK) != 0) {
            fk_error("%s (named by FAKEIT_SR_MODEL): %s", env, strerror(errno));
            return NULL;
        }
        snprintf(path, sizeof path, "%s", env);
        return path;
    }
    if (fk_data_file(SR_DEFAULT_MODEL, NULL, path, sizeof path)) return path;
    fk_error("no --model given and no default model: set FAKEIT_SR_MODEL, or put %s in models/ beside fakeit "
             "(make sr-model trains it) or in ../share/fakeit/ (make install), beside the fakeit program or library", SR_DEFAULT_MODEL);
    return NULL;
}

int upscaler_open(Upscaler *u, const Backend *be, const char *spec, int scale) {
    memset(u, 0, sizeof *u);
    if (spec && !strcmp(spec, "bicubic")) {
        sr_defaults(&u->cfg);
        u->cfg.scale = scale > 0 ? scale : 4;
        u->path = "bicubic";
        return 0;
    }
    const char *path = spec ? spec : sr_default_model();
    if (!path || !(u->model = sr_load(be, path, &u->cfg, 16, 16))) return -1;
    u->path = path;
    if (scale > 0 && scale != u->cfg.scale) {
        fk_error("%s: the model upscales x%d, not x%d", path, u->cfg.scale, scale);
        upscaler_close(u);
        return -1;
    }
    return 0;
}

void upscaler_close(Upscaler *u) {
    net_free(u->model);
    u->model = NULL;
}

int upscaler_run(const Upscaler *u, const uint8_t *rgb, int w, int h, int tile, uint8_t *out) {
    const int s = u->cfg.scale;
    if (u->model) return sr_upscale(u->model, &u->cfg, rgb, w, h, tile, out);
    if (img_resize_bicubic(rgb, w, h, 3, out, w * s, h * s) != 0) {
        fk_error("bicubic upscaling failed");
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// `fakeit upscale`

void upscale_defaults(UpscaleOpts *o) { *o = (UpscaleOpts){.tile = 64, .max_pixels = 4e8}; }

// 0 when the output of a w x h input fits --max-pixels and the memory left,
// else 1 after printing why the image is skipped (nothing is allocated).
static int check_output(const Upscaler *u, const char *in, int w, int h, int alpha, int tile, double max_pixels) {
    const int s = u->cfg.scale;
    const double n = (double)w * h, N = n * s * s;
    if (max_pixels > 0 && N > max_pixels) {
        fk_error("%s: its x%d output would be %dx%d = %.0f pixels, over --max-pixels %.0f (skipped; raise --max-pixels "
                 "or shrink the image)", in, s, w * s, h * s, N, max_pixels);
        return 1;
    }
    // planar floats of the input and output, the output's bytes (and alpha's), a tile and its result
    const double T = tile > 0 ? tile + 64.0 : (w > h ? w : h);
    const double need = 4.0 * 3 * (n + N) + 3 * N + (alpha ? 6 * N : 0) + 4.0 * 3 * T * T * (1 + s * s) * 8;
    const double avail = (double)fk_mem_available();
    if (avail > 0 && need > avail) {
        char a[32], b[32];
        fk_error("%s: its x%d output (%dx%d) needs about %s of memory and %s is available (skipped; shrink the image)",
                 in, s, w * s, h * s, fk_bytes_str(need, a, sizeof a), fk_bytes_str(avail, b, sizeof b));
        return 1;
    }
    return 0;
}

// One input image -> out_path. 0, or 1 after printing why it was skipped.
static int upscale_file(const Upscaler *u, const char *in, const char *out_path, int tile, double max_pixels) {
    Image im;
    char why[256];
    if (img_load_rgba(in, 1e8, &im, why, sizeof why) != IMG_OK) {
        fk_error("%s: %s (skipped)", in, why);
        return 1;
    }
    if (check_output(u, in, im.w, im.h, im.alpha != NULL, tile, max_pixels)) {
        image_free(&im);
        return 1;
    }
    const int s = u->cfg.scale, OW = im.w * s, OH = im.h * s;
    uint8_t *up = fk_malloc((size_t)OW * OH * 3);
    int rc = 0;
    if (upscaler_run(u, im.rgb, im.w, im.h, tile, up) != 0) {
        fk_error("%s: cannot upscale (skipped)", in);
        rc = 1;
    } else if (im.alpha) {  // alpha is not a colour: resized with the thumbnail filter, then rejoined
        uint8_t *a = fk_malloc((size_t)OW * OH), *rgba = fk_malloc((size_t)OW * OH * 4);
        if (img_resize(im.alpha, im.w, im.h, 1, a, OW, OH) != 0) {
            fk_error("%s: cannot resize the alpha channel (skipped)", in);
            rc = 1;
        } else {
            for (size_t p = 0; p < (size_t)OW * OH; p++) {
                memcpy(rgba + p * 4, up + p * 3, 3);
                rgba[p * 4 + 3] = a[p];
            }
            rc = img_write_png(out_path, rgba, OW, OH, 4) ? 1 : 0;
        }
        free(a), free(rgba);
    } else {
        rc = img_write_png(out_path, up, OW, OH, 3) ? 1 : 0;
    }
    free(up);
    image_free(&im);
    return rc;
}

int upscale_run(const UpscaleOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads, o->precision);
    if (!be) return 2;
    Upscaler u;
    if (upscaler_open(&u, be, o->model, o->scale) != 0) return 2;
    // the work list: (input, output) pairs
    struct stat st;
    const int single = o->n_inputs == 1 && stat(o->inputs[0], &st) == 0 && S_ISREG(st.st_mode) &&
                       strlen(o->out) > 4 && !strcasecmp(o->out + strlen(o->out) - 4, ".png");
    if (single ? fk_mkparents(o->out) != 0 : fk_mkdirs(o->out) != 0) {
        upscaler_close(&u);
        return 2;
    }
    // under mpirun every process takes every N-th image (dist/dist.h)
    double count[2] = {0, 0};  // failed, done; summed over the processes
    long idx = 0;
    for (int i = 0; i < o->n_inputs; i++) {
        size_t nf = 0;
        char **files = fk_expand_input(o->inputs[i], img_is_image_name, &nf);
        if (!files) {
            if (dist_lead()) fk_error("%s: cannot read the folder: %s (skipped)", o->inputs[i], strerror(errno));
            count[0] += dist_lead();
            continue;
        }
        for (size_t k = 0; k < nf; k++, idx++) {
            if (idx % dist_size() != dist_rank()) {
                free(files[k]);
                continue;
            }
            char out_path[4200];
            if (single) {
                snprintf(out_path, sizeof out_path, "%s", o->out);
            } else {
                fk_png_path(out_path, sizeof out_path, o->out, files[k]);
            }
            count[upscale_file(&u, files[k], out_path, o->tile, o->max_pixels) ? 0 : 1]++;
            free(files[k]);
        }
        free(files);
    }
    dist_sum_f64(count, 2);
    const int failed = (int)count[0], done = (int)count[1];
    printf("upscaled %d image%s x%d%s into %s%s\n", done, done == 1 ? "" : "s", u.cfg.scale,
           u.model ? "" : " (bicubic)", o->out, failed ? "; some inputs were skipped (above)" : "");
    upscaler_close(&u);
    return failed ? 1 : 0;
}
