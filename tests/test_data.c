// test_data.c: data sets from image folders.
//
// - the white-background filter on `fakeit bikes` output: precision and recall
//   of "white" against the drawn ground truth, both >= 0.98;
// - a corpus this test writes: every format and colour model the issue names
//   (JPEG, greyscale and CMYK JPEG, EXIF-rotated JPEG, PNG 8/16-bit, palette,
//   grey+alpha, transparent RGBA, WebP, GIF, TIFF, BMP) is kept, and each
//   malformed case (empty, truncated JPEG and PNG, text named .jpg, a PNG
//   header declaring 100000x100000, a broken symbolic link, a FIFO, a tiny
//   image, an exact duplicate) is skipped with the right reason;
// - IDX import (plain and gzipped) round-trips pixels, with and without
//   --invert and --pad;
// - the written data set reads back with the right counts and paths.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>
#include <zlib.h>

#include "data/bikes.h"
#include "data/dataset.h"
#include "image/imageio.h"
#include "data/prepare.h"
#include "util/util.h"
#include "testlib.h"

static char tmp[256];

static char *path_in(const char *dir, const char *name) {
    static char buf[8][1024];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 1024, "%s/%s/%s", tmp, dir, name);
    return p;
}

static void mkdir_in(const char *dir) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmp, dir);
    FK_CHECK(mkdir(p, 0777) == 0, "cannot create %s", p);
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    FK_CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    FK_CHECK(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = fk_malloc(*n);
    FK_CHECK(fread(b, 1, *n, f) == *n, "short read %s", path);
    fclose(f);
    return b;
}

// A bike on white as a vips image, w x h: drawn square at the shorter side,
// then widened with white.
static VipsImage *bike_image(int index, int w, int h) {
    const int S = w < h ? w : h;
    uint8_t *rgb = fk_malloc((size_t)S * S * 3);
    int i = index;
    while (bike_render(7, i, S, rgb) != BG_WHITE) i += 1000;  // a white-background one
    VipsImage *sq = vips_image_new_from_memory_copy(rgb, (size_t)S * S * 3, S, S, 3, VIPS_FORMAT_UCHAR);
    free(rgb);
    VipsImage *out;
    VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
    FK_CHECK(vips_embed(sq, &out, (w - S) / 2, (h - S) / 2, w, h, "extend", VIPS_EXTEND_BACKGROUND,
                        "background", white, NULL) == 0, "embed");
    vips_area_unref(VIPS_AREA(white));
    g_object_unref(sq);
    return out;
}

#define SAVE_OK(call) FK_CHECK((call) == 0, "vips could not write a test image: %s", vips_error_buffer())

// ---------------------------------------------------------------------------

static void write_corpus(void) {
    mkdir_in("corpus");
    mkdir_in("corpus/nested");
    mkdir_in("corpus/nested/deeper");
    // a different bike for every file, so lossless formats are not duplicates
    VipsImage *im, *t = NULL, *t2 = NULL;
    im = bike_image(1, 300, 180);
    SAVE_OK(vips_jpegsave(im, path_in("corpus", "photo.jpg"), "Q", 90, NULL));
    g_object_unref(im), im = bike_image(2, 300, 180);
    SAVE_OK(vips_pngsave(im, path_in("corpus", "rgb8.png"), NULL));
    g_object_unref(im), im = bike_image(3, 300, 180);
    SAVE_OK(vips_pngsave(im, path_in("corpus/nested", "palette.png"), "palette", TRUE, NULL));
    g_object_unref(im), im = bike_image(4, 300, 180);
    SAVE_OK(vips_webpsave(im, path_in("corpus/nested", "lossy.webp"), "Q", 80, NULL));
    g_object_unref(im), im = bike_image(5, 300, 180);
    SAVE_OK(vips_gifsave(im, path_in("corpus/nested/deeper", "anim.gif"), NULL));
    g_object_unref(im), im = bike_image(6, 300, 180);
    SAVE_OK(vips_tiffsave(im, path_in("corpus/nested/deeper", "scan.TIFF"), NULL));
    g_object_unref(im), im = bike_image(7, 300, 180);
    // 16-bit RGB
    SAVE_OK(vips_cast(im, &t, VIPS_FORMAT_USHORT, NULL));
    SAVE_OK(vips_linear1(t, &t2, 257.0, 0.0, NULL));
    g_object_unref(t);
    SAVE_OK(vips_cast(t2, &t, VIPS_FORMAT_USHORT, NULL));
    g_object_unref(t2);
    t->Type = VIPS_INTERPRETATION_RGB16;
    SAVE_OK(vips_pngsave(t, path_in("corpus", "deep16.png"), "bitdepth", 16, NULL));
    g_object_unref(t);
    g_object_unref(im), im = bike_image(8, 300, 180);
    // greyscale JPEG and grey+alpha PNG
    SAVE_OK(vips_colourspace(im, &t, VIPS_INTERPRETATION_B_W, NULL));
    SAVE_OK(vips_jpegsave(t, path_in("corpus", "grey.jpeg"), NULL));
    SAVE_OK(vips_bandjoin_const1(t, &t2, 255.0, NULL));
    SAVE_OK(vips_pngsave(t2, path_in("corpus", "grey_alpha.png"), NULL));
    g_object_unref(t);
    g_object_unref(t2);
    // RGBA with a transparent background: white is where alpha is 0
    g_object_unref(im), im = bike_image(9, 300, 180);
    {
        VipsImage *bands[3], *a = NULL, *rgba = NULL;
        SAVE_OK(vips_extract_band(im, &bands[0], 0, NULL));
        SAVE_OK(vips_extract_band(im, &bands[1], 1, NULL));
        SAVE_OK(vips_extract_band(im, &bands[2], 2, NULL));
        // alpha = 255 where any channel is below 250, else 0; colour under it black
        VipsImage *m0, *m1;
        SAVE_OK(vips_relational_const1(bands[0], &m0, VIPS_OPERATION_RELATIONAL_LESS, 250, NULL));
        SAVE_OK(vips_relational_const1(bands[1], &m1, VIPS_OPERATION_RELATIONAL_LESS, 250, NULL));
        SAVE_OK(vips_boolean(m0, m1, &a, VIPS_OPERATION_BOOLEAN_OR, NULL));
        VipsImage *black;
        SAVE_OK(vips_black(&black, im->Xsize, im->Ysize, "bands", 3, NULL));
        VipsImage *blackc;
        SAVE_OK(vips_cast_uchar(black, &blackc, NULL));
        VipsImage *colour;
        SAVE_OK(vips_ifthenelse(a, im, blackc, &colour, NULL));
        SAVE_OK(vips_bandjoin2(colour, a, &rgba, NULL));
        SAVE_OK(vips_pngsave(rgba, path_in("corpus", "transparent.png"), NULL));
        for (int i = 0; i < 3; i++) g_object_unref(bands[i]);
        g_object_unref(m0), g_object_unref(m1), g_object_unref(a), g_object_unref(black);
        g_object_unref(blackc), g_object_unref(colour), g_object_unref(rgba);
    }
    // CMYK JPEG: C = 255 - R, M = 255 - G, Y = 255 - B, K = 0
    g_object_unref(im), im = bike_image(10, 300, 180);
    {
        VipsImage *inv, *k, *k8, *cmyk;
        SAVE_OK(vips_invert(im, &inv, NULL));
        SAVE_OK(vips_black(&k, im->Xsize, im->Ysize, NULL));
        SAVE_OK(vips_cast_uchar(k, &k8, NULL));
        SAVE_OK(vips_bandjoin2(inv, k8, &cmyk, NULL));
        cmyk->Type = VIPS_INTERPRETATION_CMYK;
        SAVE_OK(vips_jpegsave(cmyk, path_in("corpus", "print_cmyk.jpg"), NULL));
        g_object_unref(inv), g_object_unref(k), g_object_unref(k8), g_object_unref(cmyk);
    }
    // EXIF orientation 6: pixels stored rotated, the tag says "rotate 90 clockwise to show"
    g_object_unref(im), im = bike_image(11, 300, 180);
    {
        VipsImage *rot, *copy;
        SAVE_OK(vips_rot(im, &rot, VIPS_ANGLE_D270, NULL));
        SAVE_OK(vips_copy(rot, &copy, NULL));
        vips_image_set_int(copy, "orientation", 6);
        SAVE_OK(vips_jpegsave(copy, path_in("corpus", "rotated_exif.jpg"), NULL));
        SAVE_OK(vips_jpegsave(im, path_in("corpus", "upright_twin.jpg"), NULL));  // the same picture, upright
        g_object_unref(rot), g_object_unref(copy);
    }
    // BMP, written by hand (24-bit, bottom-up rows padded to 4 bytes)
    g_object_unref(im), im = bike_image(12, 300, 180);
    {
        size_t n;
        uint8_t *px = vips_image_write_to_memory(im, &n);
        const int w = im->Xsize, h = im->Ysize, row = (w * 3 + 3) / 4 * 4;
        const size_t bytes = 54 + (size_t)row * h;
        uint8_t *b = fk_calloc(bytes, 1);
        b[0] = 'B', b[1] = 'M';
        uint32_t v[] = {(uint32_t)bytes, 0, 54, 40, (uint32_t)w, (uint32_t)h};
        memcpy(b + 2, &v[0], 4), memcpy(b + 10, &v[2], 4), memcpy(b + 14, &v[3], 4);
        memcpy(b + 18, &v[4], 4), memcpy(b + 22, &v[5], 4);
        b[26] = 1, b[28] = 24;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) b[54 + (size_t)(h - 1 - y) * row + x * 3 + c] = px[((size_t)y * w + x) * 3 + 2 - c];
        write_bytes(path_in("corpus", "old.bmp"), b, bytes);
        free(b);
        g_free(px);
    }
    // an exact duplicate of a kept file, and a tiny image
    size_t n;
    unsigned char *png = read_all(path_in("corpus", "rgb8.png"), &n);
    write_bytes(path_in("corpus", "rgb8_copy.png"), png, n);
    VipsImage *tiny;
    SAVE_OK(vips_extract_area(im, &tiny, 0, 0, 8, 8, NULL));
    SAVE_OK(vips_pngsave(tiny, path_in("corpus", "tiny.png"), NULL));
    g_object_unref(tiny);
    // malformed files
    write_bytes(path_in("corpus", "empty.jpg"), "", 0);
    write_bytes(path_in("corpus", "cut.png"), png, n / 2);
    free(png);
    unsigned char *jpg = read_all(path_in("corpus", "photo.jpg"), &n);
    write_bytes(path_in("corpus", "cut.jpg"), jpg, n / 2);
    free(jpg);
    const char *text = "this is a text file, not a photo\n";
    write_bytes(path_in("corpus", "notes.jpg"), text, strlen(text));
    write_bytes(path_in("corpus", "readme.txt"), text, strlen(text));  // no image extension: ignored
    {
        // PNG signature, an IHDR declaring 100000 x 100000 RGB, IEND
        unsigned char p[8 + 25 + 12] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
        unsigned char *c = p + 8;
        c[3] = 13;
        memcpy(c + 4, "IHDR", 4);
        const uint32_t dim = 100000;
        for (int i = 0; i < 4; i++) c[8 + i] = c[12 + i] = (unsigned char)(dim >> (24 - 8 * i));
        c[16] = 8, c[17] = 2;
        uint32_t crc = (uint32_t)crc32(0, c + 4, 17);
        for (int i = 0; i < 4; i++) c[21 + i] = (unsigned char)(crc >> (24 - 8 * i));
        unsigned char *e = c + 25;
        memcpy(e + 4, "IEND", 4);
        crc = (uint32_t)crc32(0, e + 4, 4);
        for (int i = 0; i < 4; i++) e[8 + i] = (unsigned char)(crc >> (24 - 8 * i));
        write_bytes(path_in("corpus", "huge_header.png"), p, sizeof p);
    }
    FK_CHECK(symlink("/nonexistent/target.png", path_in("corpus", "dangling.png")) == 0, "symlink");
    FK_CHECK(mkfifo(path_in("corpus", "pipe.png"), 0600) == 0, "mkfifo");
    g_object_unref(im);
}

static const struct {
    const char *file;
    PrepReason want;
} corpus_expect[] = {
    {"photo.jpg", PR_KEPT},           {"rgb8.png", PR_KEPT},
    {"nested/palette.png", PR_KEPT},  {"nested/lossy.webp", PR_KEPT},
    {"nested/deeper/anim.gif", PR_KEPT}, {"nested/deeper/scan.TIFF", PR_KEPT},
    {"deep16.png", PR_KEPT},          {"grey.jpeg", PR_KEPT},
    {"grey_alpha.png", PR_KEPT},      {"transparent.png", PR_KEPT},
    {"print_cmyk.jpg", PR_KEPT},      {"rotated_exif.jpg", PR_KEPT},
    {"upright_twin.jpg", PR_KEPT},
    {"old.bmp", PR_KEPT},             {"rgb8_copy.png", PR_DUPLICATE},
    {"tiny.png", PR_TOO_SMALL},       {"empty.jpg", PR_UNREADABLE},
    {"cut.png", PR_UNREADABLE},       {"cut.jpg", PR_UNREADABLE},
    {"notes.jpg", PR_UNREADABLE},     {"huge_header.png", PR_TOO_LARGE},
    {"dangling.png", PR_UNREADABLE},  {"pipe.png", PR_UNREADABLE},
};

static void test_corpus(void) {
    write_corpus();
    PrepareOpts o;
    prepare_defaults(&o);
    char out[512], dir[512];
    snprintf(out, sizeof out, "%s/corpus.fkd", tmp);
    snprintf(dir, sizeof dir, "%s/corpus", tmp);
    o.out = out;
    o.size = 48;
    o.sheet_max = 64;
    char *inputs[] = {dir};
    PrepareResult res;
    int rc = prepare_run(&o, inputs, 1, &res);
    const int n_expect = (int)(sizeof corpus_expect / sizeof corpus_expect[0]);
    tl_check(rc == 0 && res.seen == n_expect && res.ignored == 1,
             "corpus: prepare succeeds, %d candidates (want %d), %d other file ignored", res.seen, n_expect, res.ignored);
    int kept_want = 0;
    for (int i = 0; i < n_expect; i++) {
        const char *want_path = path_in("corpus", corpus_expect[i].file);
        int found = -1;
        for (int j = 0; j < res.seen; j++)
            if (!strcmp(res.paths[j], want_path)) found = j;
        kept_want += corpus_expect[i].want == PR_KEPT;
        tl_check(found >= 0 && res.outcome[found] == corpus_expect[i].want, "corpus: %-24s %s (want %s)",
                 corpus_expect[i].file, found >= 0 ? prep_reason_names[res.outcome[found]] : "not seen",
                 prep_reason_names[corpus_expect[i].want]);
    }
    Dataset ds;
    int ok = ds_open(&ds, out) == 0;
    tl_check(ok && (int)ds.count == kept_want && ds.size == 48 && ds.channels == 3,
             "corpus: data set holds the %d kept images at 48x48x3", kept_want);
    if (ok) {
        // EXIF rotation applied: the rotated file comes out as its upright
        // twin (up to JPEG noise), padded top and bottom
        int idx = -1, twin = -1;
        for (uint32_t i = 0; i < ds.count; i++) {
            if (strstr(ds.paths[i], "rotated_exif.jpg")) idx = (int)i;
            if (strstr(ds.paths[i], "upright_twin.jpg")) twin = (int)i;
        }
        int top_white = 1;
        double diff = 1e9;
        if (idx >= 0 && twin >= 0) {
            const uint8_t *p = ds.pixels + (size_t)idx * ds_image_bytes(&ds), *q = ds.pixels + (size_t)twin * ds_image_bytes(&ds);
            for (int x = 0; x < 48; x++) top_white &= p[x] == 255 && p[48 * 48 + x] == 255;
            diff = 0;
            for (size_t i = 0; i < ds_image_bytes(&ds); i++) diff += abs((int)p[i] - (int)q[i]);
            diff /= (double)ds_image_bytes(&ds);
        }
        printf("# EXIF: mean |rotated - upright twin| = %.2f\n", diff);
        tl_check(top_white && diff < 3.0, "corpus: EXIF orientation applied (same as the upright twin: mean diff %.2f < 3; white padding above)", diff);
        ds_close(&ds);
    }
    struct stat st;
    char sheet[600];
    snprintf(sheet, sizeof sheet, "%s/accepted.png", tmp);
    int a = stat(sheet, &st) == 0 && st.st_size > 1000;
    snprintf(sheet, sizeof sheet, "%s/rejected.png", tmp);
    tl_check(a && stat(sheet, &st) == 0 && st.st_size > 1000, "corpus: accepted.png and rejected.png written beside the data set");
    prepare_result_free(&res);
}

// ---------------------------------------------------------------------------

static void test_filter(void) {
    char dir[512], out[512], csv[600];
    snprintf(dir, sizeof dir, "%s/bikes", tmp);
    snprintf(out, sizeof out, "%s/bikes.fkd", tmp);
    snprintf(csv, sizeof csv, "%s/bikes.csv", dir);
    const int n = 240;
    FK_CHECK(bikes_write(dir, n, 128, 11) == 0, "bikes_write failed");
    PrepareOpts o;
    prepare_defaults(&o);
    o.out = out;
    char *inputs[] = {dir};
    PrepareResult res;
    FK_CHECK(prepare_run(&o, inputs, 1, &res) == 0, "prepare on bikes failed");
    // ground truth from bikes.csv
    FILE *f = fopen(csv, "r");
    FK_CHECK(f != NULL, "no bikes.csv");
    char line[256], name[128], bg[32];
    int tp = 0, fp = 0, fn = 0, tn = 0, rows = 0;
    FK_CHECK(fgets(line, sizeof line, f) != NULL, "empty csv");
    while (fgets(line, sizeof line, f) && sscanf(line, "%127[^,],%31s", name, bg) == 2) {
        char full[700];
        snprintf(full, sizeof full, "%s/%s", dir, name);
        int kept = -1;
        for (int j = 0; j < res.seen; j++)
            if (!strcmp(res.paths[j], full)) kept = res.outcome[j] == PR_KEPT;
        FK_CHECK(kept >= 0, "%s was not seen by prepare", full);
        int white = !strcmp(bg, "white");
        tp += white && kept, fp += !white && kept, fn += white && !kept, tn += !white && !kept;
        rows++;
    }
    fclose(f);
    const double precision = tp / (double)(tp + fp), recall = tp / (double)(tp + fn);
    tl_check(rows == n && tn + fp > n / 8, "bikes: %d images, %d distractors (%.0f%%)", rows, tn + fp, 100.0 * (tn + fp) / rows);
    tl_check(precision >= 0.98 && recall >= 0.98, "bikes: white-background filter precision %.3f recall %.3f (both >= 0.98)",
             precision, recall);
    prepare_result_free(&res);
    // the same seed draws the same image
    uint8_t *a = fk_malloc(64 * 64 * 3), *b = fk_malloc(64 * 64 * 3);
    bike_render(3, 17, 64, a);
    bike_render(3, 17, 64, b);
    int same = !memcmp(a, b, 64 * 64 * 3);
    bike_render(4, 17, 64, b);
    tl_check(same && memcmp(a, b, 64 * 64 * 3) != 0, "bikes: same seed and index, same picture; another seed, another");
    free(a), free(b);
}

// ---------------------------------------------------------------------------

static void write_idx(const char *path, const uint8_t *px, int n, int rows, int cols, int gz) {
    unsigned char h[16] = {0, 0, 8, 3};
    uint32_t d[3] = {(uint32_t)n, (uint32_t)rows, (uint32_t)cols};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) h[4 + 4 * i + k] = (unsigned char)(d[i] >> (24 - 8 * k));
    if (gz) {
        gzFile f = gzopen(path, "wb");
        FK_CHECK(f && gzwrite(f, h, 16) == 16 && gzwrite(f, px, (unsigned)(n * rows * cols)) == n * rows * cols &&
                     gzclose(f) == Z_OK, "gz write");
    } else {
        unsigned char *b = fk_malloc(16 + (size_t)n * rows * cols);
        memcpy(b, h, 16);
        memcpy(b + 16, px, (size_t)n * rows * cols);
        write_bytes(path, b, 16 + (size_t)n * rows * cols);
        free(b);
    }
}

static void test_idx(void) {
    enum { N = 5, R = 28 };
    uint8_t px[N * R * R];
    for (int i = 0; i < N * R * R; i++) px[i] = (uint8_t)((i * 37 + i / 7) % 251);
    for (int i = 0; i < R; i++) px[i] = 0;  // top row black: background for the padding check
    char plain[512], gz[512], out[512];
    snprintf(plain, sizeof plain, "%s/t10k-images-idx3-ubyte", tmp);
    snprintf(gz, sizeof gz, "%s/train-images-idx3-ubyte.gz", tmp);
    snprintf(out, sizeof out, "%s/idx.fkd", tmp);
    write_idx(plain, px, N, R, R, 0);
    write_idx(gz, px, N, R, R, 1);
    for (int g = 0; g < 2; g++) {
        PrepareOpts o;
        prepare_defaults(&o);
        o.out = out;
        o.size = R;
        char *inputs[] = {g ? gz : plain};
        int rc = prepare_run(&o, inputs, 1, NULL);
        Dataset ds;
        int ok = rc == 0 && ds_open(&ds, out) == 0;
        char want_path[600];
        snprintf(want_path, sizeof want_path, "%s#4", inputs[0]);
        tl_check(ok && ds.count == N && ds.channels == 1 && ds.size == R && !memcmp(ds.pixels, px, sizeof px) &&
                     !strcmp(ds.paths[4], want_path),
                 "idx (%s): %d images round-trip bit for bit, grey, paths FILE#INDEX", g ? "gzipped" : "plain", N);
        if (ok) ds_close(&ds);
    }
    PrepareOpts o;
    prepare_defaults(&o);
    o.out = out;
    o.size = 32;
    o.idx_invert = 1;
    o.idx_pad = 32;
    char *inputs[] = {gz};
    Dataset ds;
    int ok = prepare_run(&o, inputs, 1, NULL) == 0 && ds_open(&ds, out) == 0;
    int good = ok && ds.count == N && ds.size == 32;
    for (int i = 0; good && i < N; i++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                const uint8_t got = ds.pixels[(size_t)i * 1024 + y * 32 + x];
                const int sy = y - 2, sx = x - 2;
                const uint8_t want = sy >= 0 && sy < R && sx >= 0 && sx < R ? (uint8_t)(255 - px[i * R * R + sy * R + sx]) : 255;
                good &= got == want;
            }
    tl_check(good, "idx --invert --pad 32: 255 - v inside, white padding of 2 pixels");
    if (ok) ds_close(&ds);
    // a truncated IDX file is refused with an error, nothing written
    write_idx(plain, px, N, R, R, 0);
    size_t n;
    unsigned char *b = read_all(plain, &n);
    write_bytes(plain, b, n - 100);
    free(b);
    unlink(out);
    prepare_defaults(&o);
    o.out = out;
    o.size = R;
    inputs[0] = plain;
    struct stat st;
    tl_check(prepare_run(&o, inputs, 1, NULL) == 1 && stat(out, &st) != 0, "idx: truncated file refused, no data set written");
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/fakeit-data-XXXXXX");
    FK_CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    img_init();
    printf("# skipped-file messages below are expected\n");
    fflush(stdout);
    test_corpus();
    test_filter();
    test_idx();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    tl_check(system(cmd) == 0, "temporary files removed");
    return tl_summary();
}
