// imageio.c: libvips decoding and PNG writing.
#include "image/imageio.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include <vips/vector.h>  // needs vips.h first

#include "ops/ops.h"  // bicubic_taps
#include "util/files.h"
#include "util/util.h"

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;

// libvips warns on stderr about every damaged file it meets; fakeit reports
// those files itself, one line each.
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data) {
    (void)domain, (void)level, (void)msg, (void)data;
}

static void vips_start(void) {
    if (VIPS_INIT("fakeit") != 0) {
        fk_error("cannot start libvips: %s", vips_error_buffer());
        exit(1);
    }
    vips_concurrency_set(1);  // fakeit runs one file per thread instead
    // liborc (libvips' run-time vector compiler, 0.4.33 in Debian 12) crashes
    // when two threads compile at once, which one-file-per-thread does; the
    // plain C paths measured as fast here (1200 PNGs: 4.7 s either way)
    vips_vector_set_enabled(FALSE);
    vips_cache_set_max(0);    // every file is decoded once: nothing to cache
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
}

// ---------------------------------------------------------------------------
// Declared dimensions read from the first bytes of PNG, GIF, BMP, JPEG and
// WebP files. Used when libvips refuses a header (some of its loaders reject
// absurd sizes outright), so that such a file is reported as too large.

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const uint8_t *p) { return le16(p + 2) << 16 | le16(p); }

static int sniff_dims(const char *path, double *w, double *h) {
    uint8_t b[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    const size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4)) {
        *w = be32(b + 16), *h = be32(b + 20);
        return 0;
    }
    if (n >= 10 && !memcmp(b, "GIF8", 4)) {
        *w = le16(b + 6), *h = le16(b + 8);
        return 0;
    }
    if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
        *w = (int32_t)le32(b + 18), *h = fabs((double)(int32_t)le32(b + 22));
        return 0;
    }
    if (n >= 30 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4)) {
        if (!memcmp(b + 12, "VP8X", 4)) {
            *w = 1 + (b[24] | b[25] << 8 | b[26] << 16), *h = 1 + (b[27] | b[28] << 8 | b[29] << 16);
            return 0;
        }
        if (!memcmp(b + 12, "VP8L", 4)) {
            const uint32_t v = le32(b + 21);
            *w = 1 + (v & 0x3fff), *h = 1 + ((v >> 14) & 0x3fff);
            return 0;
        }
        if (!memcmp(b + 12, "VP8 ", 4)) {
            *w = le16(b + 26) & 0x3fff, *h = le16(b + 28) & 0x3fff;
            return 0;
        }
        return -1;
    }
    if (n >= 4 && b[0] == 0xff && b[1] == 0xd8) {
        // walk the JPEG markers to the first start-of-frame
        size_t i = 2;
        while (i + 9 < n) {
            if (b[i] != 0xff) return -1;
            const uint8_t m = b[i + 1];
            if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
                *h = be16(b + i + 5), *w = be16(b + i + 7);
                return 0;
            }
            i += 2 + be16(b + i + 2);
        }
    }
    return -1;
}

void img_init(void) { pthread_once(&vips_once, vips_start); }

void thumb_free(Thumb *t) {
    free(t->rgb);
    t->rgb = NULL;
}

// Converts any decoded image to 3-band 8-bit sRGB with alpha flattened onto white.
static VipsImage *to_srgb8(VipsImage *in) {
    VipsImage *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    if (vips_colourspace(in, &a, VIPS_INTERPRETATION_sRGB, NULL) != 0) return NULL;
    if (vips_image_hasalpha(a)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(a, &b, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        g_object_unref(a);
        if (rc != 0) return NULL;
    } else {
        b = a;
    }
    if (vips_cast_uchar(b, &c, NULL) != 0) {
        g_object_unref(b);
        return NULL;
    }
    g_object_unref(b);
    if (c->Bands == 3) return c;
    int rc;
    if (c->Bands == 1) {
        VipsImage *in3[3] = {c, c, c};
        rc = vips_bandjoin(in3, &d, 3, NULL);
    } else {
        rc = vips_extract_band(c, &d, 0, "n", 3, NULL);
    }
    g_object_unref(c);
    return rc == 0 ? d : NULL;
}

// The checks every decode starts with: a readable regular file whose header
// libvips understands, within max_pixels and at least min_side on a side.
// *w, *h: the header's size.
ImgStatus img_check_file(const char *path, double max_pixels, int min_side, char *why, size_t why_len, int *w,
                         int *h) {
    struct stat st, lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && stat(path, &st) != 0) {
        snprintf(why, why_len, "broken symbolic link");
        return IMG_UNREADABLE;
    }
    if (stat(path, &st) != 0) {
        snprintf(why, why_len, "cannot read: %s", strerror(errno));
        return IMG_UNREADABLE;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "not a regular file");
        return IMG_UNREADABLE;
    }
    if (st.st_size == 0) {
        snprintf(why, why_len, "empty file");
        return IMG_UNREADABLE;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        snprintf(why, why_len, "cannot read: %s", strerror(errno));
        return IMG_UNREADABLE;
    }
    fclose(probe);
    // header only: libvips opens lazily, no pixels are decoded here
    VipsImage *hdr = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!hdr) {
        vips_error_clear();
        double dw, dh;
        if (sniff_dims(path, &dw, &dh) == 0 && dw * dh > max_pixels) {
            snprintf(why, why_len, "header declares %.0fx%.0f pixels, over the limit of %.0f", dw, dh, max_pixels);
            return IMG_TOO_LARGE;
        }
        snprintf(why, why_len, "not an image in a format libvips reads");
        return IMG_UNREADABLE;
    }
    *w = vips_image_get_width(hdr), *h = vips_image_get_height(hdr);
    g_object_unref(hdr);
    if ((double)*w * (double)*h > max_pixels) {
        snprintf(why, why_len, "header declares %dx%d pixels, over the limit of %.0f", *w, *h, max_pixels);
        return IMG_TOO_LARGE;
    }
    if (*w < min_side || *h < min_side) {
        snprintf(why, why_len, "%dx%d is smaller than %d pixels on a side", *w, *h, min_side);
        return IMG_TOO_SMALL;
    }
    return IMG_OK;
}

// The shrink-on-load factor for a w x h JPEG made into a size x size
// thumbnail, as libvips' thumbnail picks it: 1, 2, 4 or 8, leaving at least a
// factor of 2 to the Lanczos filter; 1 for other formats.
static int jpeg_shrink(const char *path, int w, int h, int size, FitMode fit) {
    const char *loader = vips_foreign_find_load(path);
    if (!loader || strncmp(loader, "VipsForeignLoadJpeg", 19)) return 1;
    const double k = fit == FIT_CROP ? fmin((double)w / size, (double)h / size) : fmax((double)w / size, (double)h / size);
    return k >= 16 ? 8 : k >= 8 ? 4 : k >= 4 ? 2 : 1;
}

ImgStatus img_thumbnail(const char *path, int size, FitMode fit, double max_pixels, int min_side,
                        Thumb *out, char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    int w, h;
    const ImgStatus st = img_check_file(path, max_pixels, min_side, why, why_len, &w, &h);
    if (st != IMG_OK) return st;
    const int shrink = jpeg_shrink(path, w, h, size, fit);
    // Decoded (JPEGs shrunk on load) to 8-bit sRGB, then the thumbnail made
    // from it in float and rounded once: libvips' 8-bit resampling rounds
    // with a bias (thumbnails of textured pictures came out half a level too
    // bright, flat ones not)
    VipsImage *im = NULL, *srgb = NULL, *f = NULL, *t = NULL, *r = NULL, *rgb = NULL;
    const int ok = (im = shrink > 1 ? vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                                               VIPS_FAIL_ON_TRUNCATED, "shrink", shrink, NULL)
                                    : vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                                               VIPS_FAIL_ON_TRUNCATED, NULL)) != NULL &&
                   (srgb = to_srgb8(im)) != NULL && vips_cast_float(srgb, &f, NULL) == 0 &&
                   vips_thumbnail_image(f, &t, size, "height", size, "crop",
                                        fit == FIT_CROP ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, NULL) == 0 &&
                   vips_round(t, &r, VIPS_OPERATION_ROUND_RINT, NULL) == 0 && vips_cast_uchar(r, &rgb, NULL) == 0;
    if (im) g_object_unref(im);
    if (srgb) g_object_unref(srgb);
    if (f) g_object_unref(f);
    if (t) g_object_unref(t);
    if (r) g_object_unref(r);
    if (!ok) {
        if (rgb) g_object_unref(rgb);
        snprintf(why, why_len, "corrupt or truncated image data");
        vips_error_clear();
        return IMG_UNREADABLE;
    }
    size_t bytes = 0;
    void *mem = vips_image_write_to_memory(rgb, &bytes);  // the decode happens here
    out->w = rgb->Xsize, out->h = rgb->Ysize;
    g_object_unref(rgb);
    if (!mem || bytes != (size_t)out->w * out->h * 3) {
        g_free(mem);
        snprintf(why, why_len, "corrupt or truncated image data");
        vips_error_clear();
        return IMG_UNREADABLE;
    }
    out->rgb = fk_malloc(bytes);
    memcpy(out->rgb, mem, bytes);
    g_free(mem);
    return IMG_OK;
}

int img_write_png(const char *path, const uint8_t *pix, int w, int h, int bands) {
    img_init();
    VipsImage *im = vips_image_new_from_memory(pix, (size_t)w * h * bands, w, h, bands, VIPS_FORMAT_UCHAR);
    char *tmp = fk_tmp_path(path);  // whole or not at all: written aside, then renamed into place
    int rc = im ? vips_pngsave(im, tmp, "compression", 6, NULL) : -1;
    if (im) g_object_unref(im);
    if (rc != 0) {
        fk_error("%s: cannot write PNG: %s", path, vips_error_buffer());
        vips_error_clear();
        unlink(tmp);
    }
    rc = rc ? -1 : fk_commit(tmp, path);
    free(tmp);
    return rc;
}

static int resize_with(const uint8_t *pix, int w, int h, int bands, uint8_t *out, int ow, int oh, VipsKernel kernel) {
    img_init();
    VipsImage *im = vips_image_new_from_memory(pix, (size_t)w * h * bands, w, h, bands, VIPS_FORMAT_UCHAR);
    VipsImage *f = NULL, *r = NULL, *n = NULL, *c = NULL;
    int rc = -1;
    if (im && vips_cast_float(im, &f, NULL) == 0 &&
        vips_resize(f, &r, (double)ow / w, "vscale", (double)oh / h, "kernel", kernel, NULL) == 0 &&
        vips_round(r, &n, VIPS_OPERATION_ROUND_RINT, NULL) == 0 && vips_cast_uchar(n, &c, NULL) == 0 &&
        c->Xsize == ow && c->Ysize == oh) {
        size_t bytes = 0;
        void *mem = vips_image_write_to_memory(c, &bytes);
        if (mem && bytes == (size_t)ow * oh * bands) memcpy(out, mem, bytes), rc = 0;
        g_free(mem);
    }
    if (c) g_object_unref(c);
    if (n) g_object_unref(n);
    if (r) g_object_unref(r);
    if (f) g_object_unref(f);
    if (im) g_object_unref(im);
    if (rc) vips_error_clear();
    return rc;
}

int img_resize(const uint8_t *pix, int w, int h, int bands, uint8_t *out, int ow, int oh) {
    return resize_with(pix, w, h, bands, out, ow, oh, VIPS_KERNEL_LANCZOS3);
}

int img_resize_bicubic(const uint8_t *pix, int w, int h, int bands, uint8_t *out, int ow, int oh) {
    if (ow < w || oh < h || w < 1 || h < 1) return -1;
    double *rows = fk_malloc((size_t)h * ow * bands * sizeof(double));
    int idx[4];
    double wt[4];
    for (int x = 0; x < ow; x++) {  // horizontal pass: (h, w) -> (h, ow)
        bicubic_taps(x, w, ow, idx, wt);
        for (int y = 0; y < h; y++)
            for (int b = 0; b < bands; b++) {
                double v = 0;
                for (int k = 0; k < 4; k++) v += wt[k] * pix[((size_t)y * w + idx[k]) * bands + b];
                rows[((size_t)y * ow + x) * bands + b] = v;
            }
    }
    for (int y = 0; y < oh; y++) {  // vertical pass, rounded and clamped once
        bicubic_taps(y, h, oh, idx, wt);
        for (size_t q = 0; q < (size_t)ow * bands; q++) {
            double v = 0;
            for (int k = 0; k < 4; k++) v += wt[k] * rows[(size_t)idx[k] * ow * bands + q];
            v = rint(v);
            out[(size_t)y * ow * bands + q] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(rows);
    return 0;
}

// Copies a uchar image of `bands` bands into malloc'd memory; NULL on failure.
static uint8_t *to_memory(VipsImage *im, int bands) {
    size_t bytes = 0;
    void *mem = vips_image_write_to_memory(im, &bytes);
    uint8_t *out = NULL;
    if (mem && bytes == (size_t)im->Xsize * im->Ysize * bands) out = fk_malloc(bytes), memcpy(out, mem, bytes);
    g_free(mem);
    return out;
}

ImgStatus img_load_rgba(const char *path, double max_pixels, Image *out, char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    img_init();
    int w, h;
    const ImgStatus st = img_check_file(path, max_pixels, 1, why, why_len, &w, &h);
    if (st != IMG_OK) return st;
    VipsImage *im = vips_image_new_from_file(path, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    VipsImage *srgb = NULL, *alpha = NULL, *a8 = NULL, *rgb = NULL;
    int ok = im && vips_colourspace(im, &srgb, VIPS_INTERPRETATION_sRGB, NULL) == 0;
    if (ok && vips_image_hasalpha(srgb))
        ok = vips_extract_band(srgb, &alpha, srgb->Bands - 1, NULL) == 0 && vips_cast_uchar(alpha, &a8, NULL) == 0;
    ok = ok && (rgb = to_srgb8(srgb)) != NULL;
    if (ok) {
        out->w = rgb->Xsize, out->h = rgb->Ysize;
        out->rgb = to_memory(rgb, 3);  // the decode happens here
        if (a8) out->alpha = to_memory(a8, 1);
        ok = out->rgb && (!a8 || out->alpha);
    }
    if (im) g_object_unref(im);
    if (srgb) g_object_unref(srgb);
    if (alpha) g_object_unref(alpha);
    if (a8) g_object_unref(a8);
    if (rgb) g_object_unref(rgb);
    if (!ok) {
        image_free(out);
        snprintf(why, why_len, "corrupt or truncated image data");
        vips_error_clear();
        return IMG_UNREADABLE;
    }
    return IMG_OK;
}

void img_planar_to_rgb(const uint8_t *planar, int C, size_t npix, uint8_t *rgb) {
    for (size_t q = 0; q < npix; q++)
        for (int c = 0; c < 3; c++) rgb[q * 3 + c] = planar[(size_t)(C == 3 ? c : 0) * npix + q];
}

void image_free(Image *im) {
    free(im->rgb), free(im->alpha);
    im->rgb = im->alpha = NULL;
}

int img_is_image_name(const char *name) {
    static const char *const ext[] = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"};
    const size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        const size_t m = strlen(ext[i]);
        if (n >= m && strcasecmp(name + n - m, ext[i]) == 0) return 1;
    }
    return 0;
}
