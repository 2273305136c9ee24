// sreval.c: `fakeit sr-eval` — PSNR and SSIM on Y against bicubic.
#include "sr/sreval.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataset.h"
#include "image/imageio.h"
#include "sr/upscale.h"
#include "util/util.h"

// Y of the (h, w, 3) image inside the shaved border: (h - 2 shave, w - 2 shave) doubles.
static double *luma(const uint8_t *a, int w, int h, int shave, int *ow, int *oh) {
    *ow = w - 2 * shave, *oh = h - 2 * shave;
    FK_CHECK(*ow > 0 && *oh > 0, "image %dx%d too small to shave %d pixels", w, h, shave);
    double *y = fk_malloc((size_t)*ow * *oh * sizeof(double));
    for (int r = 0; r < *oh; r++)
        for (int c = 0; c < *ow; c++) {
            const uint8_t *p = a + ((size_t)(r + shave) * w + c + shave) * 3;
            y[(size_t)r * *ow + c] = 16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0;
        }
    return y;
}

double sr_psnr_y(const uint8_t *a, const uint8_t *b, int w, int h, int shave) {
    int W, H;
    double *ya = luma(a, w, h, shave, &W, &H), *yb = luma(b, w, h, shave, &W, &H);
    double s = 0;
    for (size_t i = 0; i < (size_t)W * H; i++) s += (ya[i] - yb[i]) * (ya[i] - yb[i]);
    free(ya), free(yb);
    const double mse = s / ((double)W * H);
    return mse == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / mse);
}

double sr_ssim_y(const uint8_t *a, const uint8_t *b, int w, int h, int shave) {
    int W, H;
    double *x = luma(a, w, h, shave, &W, &H), *y = luma(b, w, h, shave, &W, &H);
    double g[11], gs = 0;
    for (int i = 0; i < 11; i++) gs += g[i] = exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
    for (int i = 0; i < 11; i++) g[i] /= gs;
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0;
    long count = 0;
    for (int r = 5; r < H - 5; r++)
        for (int c = 5; c < W - 5; c++) {
            double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
            for (int i = -5; i <= 5; i++)
                for (int j = -5; j <= 5; j++) {
                    const double k = g[i + 5] * g[j + 5];
                    const double u = x[(size_t)(r + i) * W + c + j], v = y[(size_t)(r + i) * W + c + j];
                    mx += k * u, my += k * v, xx += k * u * u, yy += k * v * v, xy += k * u * v;
                }
            const double sx = xx - mx * mx, sy = yy - my * my, sxy = xy - mx * my;
            total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sx + sy + c2));
            count++;
        }
    free(x), free(y);
    return count ? total / count : NAN;
}

// ---------------------------------------------------------------------------

// bicubic | model | original side by side, 4 px of white between
static int save_compare(const char *dir, const char *src, const uint8_t *bic, const uint8_t *sr, const uint8_t *hr,
                        int w, int h) {
    const int W = 3 * w + 8;
    uint8_t *sheet = fk_malloc((size_t)W * h * 3);
    memset(sheet, 255, (size_t)W * h * 3);
    const uint8_t *parts[3] = {bic, sr, hr};
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < h; y++) memcpy(sheet + ((size_t)y * W + k * (w + 4)) * 3, parts[k] + (size_t)y * w * 3, (size_t)w * 3);
    char path[4200];
    fk_png_path(path, sizeof path, dir, src);
    const int rc = img_write_png(path, sheet, W, h, 3);
    free(sheet);
    return rc;
}

// The run's totals and rows.
typedef struct {
    const SrEvalOpts *o;
    const Upscaler *u;
    double sum[4];  // psnr model, psnr bicubic, ssim model, ssim bicubic
    int n, bad;
    cJSON *rows;
} Eval;

// Measures one high-resolution image (RGB interleaved, row stride im_w);
// its --compare picture is named after pic's file name.
static void eval_one(Eval *e, const char *name, const char *pic, const uint8_t *rgb, int im_w, int im_h) {
    const int s = e->u->cfg.scale;
    const int w = im_w / s * s, h = im_h / s * s, lw = w / s, lh = h / s;
    if (lw < 2 * s + 12 || lh < 2 * s + 12) {
        fk_error("%s: %dx%d is too small to measure at x%d (skipped)", name, im_w, im_h, s);
        e->bad++;
        return;
    }
    uint8_t *hr = fk_malloc((size_t)w * h * 3), *lr = fk_malloc((size_t)lw * lh * 3);
    uint8_t *up = fk_malloc((size_t)w * h * 3), *bic = fk_malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++) memcpy(hr + (size_t)y * w * 3, rgb + (size_t)y * im_w * 3, (size_t)w * 3);
    if (img_resize(hr, w, h, 3, lr, lw, lh) == 0 && img_resize_bicubic(lr, lw, lh, 3, bic, w, h) == 0 &&
        upscaler_run(e->u, lr, lw, lh, 64, up) == 0) {
        const double v[4] = {sr_psnr_y(up, hr, w, h, s), sr_psnr_y(bic, hr, w, h, s), sr_ssim_y(up, hr, w, h, s),
                             sr_ssim_y(bic, hr, w, h, s)};
        for (int q = 0; q < 4; q++) e->sum[q] += v[q];
        e->n++;
        const size_t len = strlen(name);  // long paths: their end, where the file name is
        if (!e->o->json) printf("%-40s %9.3f %9.3f %9.4f %9.4f\n", len > 40 ? name + len - 40 : name, v[0], v[1], v[2], v[3]);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "image", name);
        cJSON_AddNumberToObject(r, "psnr", v[0]), cJSON_AddNumberToObject(r, "psnr_bicubic", v[1]);
        cJSON_AddNumberToObject(r, "ssim", v[2]), cJSON_AddNumberToObject(r, "ssim_bicubic", v[3]);
        cJSON_AddItemToArray(e->rows, r);
        if (e->o->compare && save_compare(e->o->compare, pic, bic, up, hr, w, h) != 0) e->bad++;
    } else {
        fk_error("%s: cannot resize (skipped)", name);
        e->bad++;
    }
    free(hr), free(lr), free(up), free(bic);
}

// Every image of a data set, named DATA.fkd#k (k from 0); pictures DATA_0000k.png.
static void eval_dataset(Eval *e, const char *path) {
    Dataset ds;
    if (ds_open(&ds, path) != 0) {
        e->bad++;
        return;
    }
    const int S = (int)ds.size, C = (int)ds.channels;
    uint8_t *rgb = fk_malloc((size_t)S * S * 3);
    for (uint32_t k = 0; k < ds.count; k++) {
        img_planar_to_rgb(ds.pixels + (size_t)k * ds_image_bytes(&ds), C, (size_t)S * S, rgb);
        char name[4200], pic[4200];
        snprintf(name, sizeof name, "%s#%u", path, k);
        snprintf(pic, sizeof pic, "%.*s_%05u.png", (int)strlen(path) - 4, path, k);
        eval_one(e, name, pic, rgb, S, S);
    }
    free(rgb);
    ds_close(&ds);
}

int sreval_run(const SrEvalOpts *o) {
    const Backend *be = backend_pick(o->backend, o->threads, o->precision);
    if (!be) return 2;
    Upscaler u;
    if (upscaler_open(&u, be, o->model, 0) != 0) return 2;
    if (o->compare && fk_mkdirs(o->compare) != 0) {
        upscaler_close(&u);
        return 2;
    }
    Eval e = {.o = o, .u = &u, .rows = cJSON_CreateArray()};
    const int s = u.cfg.scale;
    if (!o->json) {
        char head[32];
        snprintf(head, sizeof head, "image (x%d, Y channel)", s);
        printf("%-40s %9s %9s %9s %9s\n", head, "PSNR", "bicubic", "SSIM", "bicubic");
    }
    for (int i = 0; i < o->n_inputs; i++) {
        if (ds_is_dataset(o->inputs[i])) {
            eval_dataset(&e, o->inputs[i]);
            continue;
        }
        size_t nf = 0;
        char **files = fk_expand_input(o->inputs[i], img_is_image_name, &nf);
        for (size_t k = 0; files && k < nf; k++) {
            Image im;
            char why[256];
            if (img_load_rgba(files[k], 1e8, &im, why, sizeof why) != IMG_OK) {
                fk_error("%s: %s (skipped)", files[k], why);
                e.bad++;
            } else {
                eval_one(&e, files[k], files[k], im.rgb, im.w, im.h);
                image_free(&im);
            }
            free(files[k]);
        }
        if (!files) fk_error("%s: cannot read: %s (skipped)", o->inputs[i], strerror(errno)), e.bad++;
        free(files);
    }
    const int n = e.n;
    const double *sum = e.sum;
    int rc = n ? (e.bad ? 1 : 0) : 2;
    if (!n) fk_error("no image could be measured");
    if (n && !o->json)
        printf("mean of %d: PSNR %.3f dB (bicubic %.3f, %+.3f dB), SSIM %.4f (bicubic %.4f, %+.4f)\n", n, sum[0] / n,
               sum[1] / n, (sum[0] - sum[1]) / n, sum[2] / n, sum[3] / n, (sum[2] - sum[3]) / n);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "model", u.path);
        cJSON_AddNumberToObject(j, "scale", s);
        cJSON_AddNumberToObject(j, "images", n);
        cJSON_AddNumberToObject(j, "psnr", n ? sum[0] / n : NAN);
        cJSON_AddNumberToObject(j, "psnr_bicubic", n ? sum[1] / n : NAN);
        cJSON_AddNumberToObject(j, "ssim", n ? sum[2] / n : NAN);
        cJSON_AddNumberToObject(j, "ssim_bicubic", n ? sum[3] / n : NAN);
        cJSON_AddItemToObject(j, "per_image", e.rows);
        char *t = cJSON_PrintUnformatted(j);
        puts(t);
        free(t);
        cJSON_Delete(j);
    } else {
        cJSON_Delete(e.rows);
    }
    upscaler_close(&u);
    return rc;
}
